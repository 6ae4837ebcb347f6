"""ONNX's own node tests (onnx.backend.test.case.node, shipped in the onnx package) for
every operator convprop.formats.onnx.load claims: each case must give ONNX's expected outputs or
be refused with a ValueError naming the node and the attribute (REFUSED, a reason each).
A case whose data input is not float32/float64 (the uint8, int8... variants) must be refused
as such: convprop's kernels and Tensors compute in floating point.

The loader reads weights from initializers, while a node test feeds every input at run
time; the harness moves every input after the first into an initializer holding the
test's value, which is how such a node sits in a real model.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import onnx
from convprop import Tensor
from convprop import onnx as conv_onnx

CLAIMED = {
    "Conv",
    "ConvTranspose",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "LpPool",
    "MaxUnpool",
    "Pad",
    "Gemm",
    "Relu",
    "LeakyRelu",
    "Sigmoid",
    "Tanh",
    "BatchNormalization",
    "Flatten",
    "Add",
    "Sub",
    "Mul",
    "Div",
}

# case name -> (what the error must name, why it is refused)
FLOAT_ONLY = "only float32 and float64"  # convprop's kernels compute in floating point
RUN_TIME = "computed at run time"
REFUSED: dict[str, tuple[str, str]] = {
    "test_batchnorm_epsilon_training_mode": ("training_mode=1", "outputs running statistics"),
    "test_batchnorm_example_training_mode": ("training_mode=1", "outputs running statistics"),
    "test_maxunpool_export_with_output_shape": (RUN_TIME, "indices are a second graph input"),
    "test_maxunpool_export_without_output_shape": (RUN_TIME, "indices are a second graph input"),
}


def _refusal(case) -> tuple[str, str] | None:
    """What a refused case's error must name, and why; None: the case must pass."""
    if case.name in REFUSED:
        return REFUSED[case.name]
    kind = np.asarray(case.data_sets[0][0][0]).dtype
    if kind not in (np.float32, np.float64):
        return (FLOAT_ONLY, f"a {kind} input")
    return None


def _cases() -> list:
    from onnx.backend.test.case.node import collect_testcases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cases = collect_testcases(None)
    chosen = []
    for case in cases:
        nodes = case.model.graph.node if case.model is not None else []
        if len(nodes) == 1 and nodes[0].op_type in CLAIMED:
            chosen.append(case)
    return sorted(chosen, key=lambda c: c.name)


CASES = _cases()


def _as_weights(model: onnx.ModelProto, inputs: list, keep: int = 1) -> onnx.ModelProto:
    """The model with every graph input after the first `keep` made an initializer of its
    value (MaxUnpool keeps its indices a run-time input: they are data, not a weight)."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    for info, value in list(zip(graph.input, inputs, strict=False))[keep:]:
        graph.initializer.append(onnx.numpy_helper.from_array(np.asarray(value), info.name))
    kept = list(graph.input[:keep])
    del graph.input[:]
    graph.input.extend(kept)
    return model


def _tolerance(case, dtype: np.dtype) -> tuple[float, float]:
    if dtype == np.float64:
        return max(case.rtol, 1e-7), max(case.atol, 1e-9)
    return max(case.rtol, 1e-5), max(case.atol, 1e-6)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_onnx_node_case_passes_or_is_refused_by_name(case, tmp_path):
    node = case.model.graph.node[0]
    for k, (inputs, outputs) in enumerate(case.data_sets):
        path = tmp_path / f"{case.name}_{k}.onnx"
        keep = 2 if case.model.graph.node[0].op_type == "MaxUnpool" else 1
        onnx.save(_as_weights(case.model, inputs, keep), str(path))
        refusal = _refusal(case)
        if refusal is not None:
            what, _ = refusal
            with pytest.raises(ValueError) as err:
                conv_onnx.load(path)
            message = str(err.value)
            assert re.search(f"node '{re.escape(node.name or node.op_type)}'", message), message
            assert what in message, message
            continue
        model = conv_onnx.load(path)
        got = model(Tensor(np.asarray(inputs[0])))
        got = got if isinstance(got, tuple) else (got,)
        assert len(got) == len(outputs), case.name
        for mine, want in zip(got, outputs, strict=True):
            mine = mine.array if isinstance(mine, Tensor) else np.asarray(mine)
            assert mine.shape == want.shape, (case.name, mine.shape, want.shape)
            assert mine.dtype == want.dtype, (case.name, mine.dtype, want.dtype)
            rtol, atol = _tolerance(case, want.dtype)
            np.testing.assert_allclose(mine, want, rtol=rtol, atol=atol, err_msg=case.name)


def test_the_refusals_are_few_and_each_names_a_case():
    names = {c.name for c in CASES}
    assert set(REFUSED) <= names
    assert len(REFUSED) <= 12
