"""ONNX MaxPool, AveragePool and LpPool against both oracles, ONNX's reference evaluator
(onnx.reference.ReferenceEvaluator) and onnxruntime: wherever the two agree, convprop gives
the same result or refuses the node with a ValueError naming it. Plus the cases a review
found: a SAME pad that comes out negative (the input cropped, as both oracles do), an empty
output (produced, as both do), a window lying wholly in the padding (no maximum, no
average over input cells: refused, naming the pads)."""

from __future__ import annotations

import time

import numpy as np
import pytest

import onnx
from convprop import Tensor
from convprop import onnx as conv_onnx
from onnx import TensorProto, helper

from .oracles import onnxruntime as _onnxruntime
from .oracles import reference as _reference

ort = pytest.importorskip("onnxruntime")

ort.set_default_logger_severity(4)


def _model(op, shape, attrs):
    node = helper.make_node(op, ["x"], ["y"], name="pool0", **attrs)
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None] * len(shape))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    model.ir_version = 10
    return model


def _convprop(model, x, tmp_path):
    """convprop's output, or the ValueError that refused the node."""
    path = tmp_path / "pool.onnx"
    onnx.save(model, str(path))
    try:
        y = conv_onnx.load(str(path))(Tensor(x))
    except ValueError as error:
        assert "'pool0'" in str(error), str(error)
        return error
    return y.array


def _same(a, b):
    return (
        isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and a.shape == b.shape
        and np.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)
    )


def _random_case(rng, op):
    dims = int(rng.integers(1, 3))
    size = [int(rng.integers(1, 8)) for _ in range(dims)]
    attrs = {"kernel_shape": [int(rng.integers(1, 4)) for _ in range(dims)]}
    if rng.random() < 0.6:
        attrs["strides"] = [int(rng.integers(1, 4)) for _ in range(dims)]
    if rng.random() < 0.5:
        attrs["dilations"] = [int(rng.integers(1, 4)) for _ in range(dims)]
    auto = str(rng.choice(["NOTSET", "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    if auto != "NOTSET":
        attrs["auto_pad"] = auto
    elif rng.random() < 0.7:
        attrs["pads"] = [int(rng.integers(0, 4)) for _ in range(2 * dims)]
    if rng.random() < 0.4:
        attrs["ceil_mode"] = 1
    if op == "AveragePool" and rng.random() < 0.5:
        attrs["count_include_pad"] = 1
    if op == "LpPool":
        attrs["p"] = int(rng.choice([1, 2, 3]))
    return size, attrs


def test_random_pools_match_both_oracles_where_they_agree_or_are_refused(tmp_path):
    rng = np.random.default_rng(2024)
    counts = {"matched": 0, "refused": 0, "oracles differ": 0}
    start = time.perf_counter()
    for t in range(450):
        op = ("MaxPool", "AveragePool", "LpPool")[t % 3]
        size, attrs = _random_case(rng, op)
        x = rng.standard_normal([1, 2, *size]).astype(np.float32)
        model = _model(op, x.shape, attrs)
        reference, runtime = _reference(model, x), _onnxruntime(model, x)
        if not _same(reference, runtime):
            counts["oracles differ"] += 1
            continue
        mine = _convprop(model, x, tmp_path)
        if isinstance(mine, ValueError):
            counts["refused"] += 1
            continue
        assert _same(mine, reference), (op, size, attrs, mine, reference)
        counts["matched"] += 1
    assert counts["matched"] >= 120, counts  # the comparison compares something
    assert time.perf_counter() - start < 20


# (op, input size, attributes, the output both oracles give)
AGREED = [
    # a SAME total pad of -2 (stride wider than the window): cropped one cell from each end
    (
        "MaxPool",
        [3],
        {"kernel_shape": [1], "strides": [3], "dilations": [2], "auto_pad": "SAME_UPPER"},
        [2.0],
    ),
    # empty outputs
    ("MaxPool", [4], {"kernel_shape": [3], "dilations": [2], "ceil_mode": 1}, []),
    ("AveragePool", [2], {"kernel_shape": [3], "auto_pad": "VALID"}, []),
    ("LpPool", [2], {"kernel_shape": [3], "auto_pad": "VALID"}, []),
    ("MaxPool", [1], {"kernel_shape": [2], "dilations": [3], "pads": [1, 1]}, []),
    # ceil_mode's last window, partly past the input
    ("MaxPool", [4], {"kernel_shape": [2], "strides": [3], "ceil_mode": 1}, [2.0, 4.0]),
    (
        "MaxPool",
        [4],
        {"kernel_shape": [3], "dilations": [2], "strides": [2], "ceil_mode": 1},
        [3.0],
    ),
]


@pytest.mark.parametrize("op, size, attrs, expected", AGREED)
def test_cases_both_oracles_agree_on(op, size, attrs, expected, tmp_path):
    x = (np.arange(np.prod(size), dtype=np.float32) + 1).reshape([1, 1, *size])
    model = _model(op, x.shape, attrs)
    want = np.array(expected, np.float32).reshape(1, 1, -1)
    assert _same(_reference(model, x), want) and _same(_onnxruntime(model, x), want)
    assert _same(_convprop(model, x, tmp_path), want)


def test_empty_output_passes_a_zero_gradient_back(tmp_path):
    model = _model("AveragePool", (1, 1, 2), {"kernel_shape": [3], "auto_pad": "VALID"})
    path = tmp_path / "empty.onnx"
    onnx.save(model, str(path))
    x = Tensor(np.ones((1, 1, 2), np.float32), requires_grad=True)
    y = conv_onnx.load(str(path))(x)
    assert y.shape == (1, 1, 0)
    (y.sum() + x.sum()).backward()
    assert np.array_equal(x.grad, np.ones((1, 1, 2), np.float32))


# (op, input size, attributes, what the refusal names)
REFUSED = [
    # a window wholly in the padding: the reference gives NaN, onnxruntime refuses the pads
    ("AveragePool", [8], {"kernel_shape": [1], "pads": [2, 0]}, "pads=[2, 0]"),
    (
        "MaxPool",
        [8],
        {"kernel_shape": [3], "strides": [3], "pads": [3, 0], "ceil_mode": 1},
        "pads=[3, 0]",
    ),
    ("MaxPool", [2], {"kernel_shape": [2], "dilations": [3], "pads": [1, 1]}, "pads=[1, 1]"),
    # an odd negative SAME total: the spec does not say which end loses the cell
    (
        "MaxPool",
        [5],
        {"kernel_shape": [1], "strides": [3], "auto_pad": "SAME_UPPER"},
        "auto_pad=SAME_UPPER",
    ),
    # the oracles pad SAME for the undilated kernel, the spec for the dilated window
    (
        "MaxPool",
        [7],
        {"kernel_shape": [3], "strides": [2], "dilations": [2], "auto_pad": "SAME_LOWER"},
        "auto_pad=SAME_LOWER",
    ),
    (
        "AveragePool",
        [5],
        {"kernel_shape": [3], "strides": [3], "dilations": [3], "auto_pad": "VALID"},
        "auto_pad=VALID",
    ),
    # VALID with ceil_mode: the spec's size and onnxruntime's differ
    (
        "MaxPool",
        [4],
        {"kernel_shape": [2], "strides": [3], "auto_pad": "VALID", "ceil_mode": 1},
        "auto_pad=VALID",
    ),
]


@pytest.mark.parametrize("op, size, attrs, named", REFUSED)
def test_undefined_or_disputed_geometry_is_refused_naming_node_and_attribute(
    op, size, attrs, named, tmp_path
):
    x = (np.arange(np.prod(size), dtype=np.float32) + 1).reshape([1, 1, *size])
    error = _convprop(_model(op, x.shape, attrs), x, tmp_path)
    assert isinstance(error, ValueError), error
    assert named in str(error) and "pool0" in str(error), str(error)


def test_a_window_wholly_in_the_padding_is_zero_where_the_padding_counts(tmp_path):
    """AveragePool with count_include_pad=1 and LpPool: the padding's zeros are averaged or
    normed, so the value is 0, as ONNX's reference gives (onnxruntime refuses the pads)."""
    x = (np.arange(8, dtype=np.float32) + 1).reshape(1, 1, 8)
    want = np.concatenate([[0.0, 0.0], x.ravel()]).reshape(1, 1, 10)
    for op, extra in (("AveragePool", {"count_include_pad": 1}), ("LpPool", {})):
        model = _model(op, x.shape, {"kernel_shape": [1], "pads": [2, 0], **extra})
        assert _same(_reference(model, x), want)
        assert _same(_convprop(model, x, tmp_path), want)
