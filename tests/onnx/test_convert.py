"""formats/onnx/convert.py and load.py pick convprop's layer by the input's spatial rank,
from nn's dims tables: a pooling node on a rank the tables do not hold (1-D to 3-D) is
refused by node, not looked up out of range."""

from __future__ import annotations

import pytest

import onnx
from convprop import nn
from convprop import onnx as conv_onnx
from onnx import TensorProto, helper


def _load(node, shape, tmp_path):
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * len(shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    model.ir_version = 10
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    return conv_onnx.load(str(path))


@pytest.mark.parametrize(
    ("op", "attrs", "shape", "message"),
    [
        ("GlobalAveragePool", {}, (2, 3), "node 'n' (GlobalAveragePool): a rank-2 input is not"),
        ("GlobalMaxPool", {}, (1, 2, 2, 2, 2, 2), "node 'n' (GlobalMaxPool): a rank-6 input"),
        ("MaxPool", {"kernel_shape": [1] * 4}, (1, 2, 2, 2, 2, 2), "rank-6 input is not"),
        ("LpPool", {"kernel_shape": [1] * 4}, (1, 2, 2, 2, 2, 2), "1-D to 3-D pooling is"),
    ],
)
def test_a_pool_of_an_unsupported_rank_is_refused_by_node(op, attrs, shape, message, tmp_path):
    node = helper.make_node(op, ["x"], ["y"], name="n", **attrs)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load(node, shape, tmp_path)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_pools_and_global_pools_are_the_classes_for_their_rank(dims, tmp_path):
    shape = (1, 2, *(4,) * dims)
    kernel = {"kernel_shape": [2] * dims, "strides": [2] * dims}
    expected = {
        "MaxPool": nn.MaxPool1d,
        "AveragePool": nn.AvgPool1d,
        "LpPool": nn.LPPool1d,
        "GlobalAveragePool": nn.AdaptiveAvgPool1d,
        "GlobalMaxPool": nn.AdaptiveMaxPool1d,
    }
    for op, first in expected.items():
        attrs = kernel if "Global" not in op else {}
        layer = _load(helper.make_node(op, ["x"], ["y"], name="n", **attrs), shape, tmp_path)[0]
        assert type(layer).__name__ == first.__name__.replace("1d", f"{dims}d")
        assert layer.dims == dims
