"""MatMul followed by Add of a bias vector: the bias reaches the output (it used to be set on
a Linear built without bias, where a plain `bias = None` attribute shadowed it)."""

import numpy as np
import onnxruntime as ort
import pytest

import onnx
from convprop import Tensor
from convprop import onnx as conv_onnx


@pytest.mark.parametrize("bias_shape", [(3,), (1, 3)])
def test_matmul_add_keeps_its_bias(bias_shape, tmp_path):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(bias_shape).astype(np.float32)
    f32 = onnx.TensorProto.FLOAT
    graph = onnx.helper.make_graph(
        [
            onnx.helper.make_node("MatMul", ["input", "w"], ["h"], name="mm"),
            onnx.helper.make_node("Add", ["h", "b"], ["y"], name="add"),
        ],
        "g",
        [onnx.helper.make_tensor_value_info("input", f32, ["N", 4])],
        [onnx.helper.make_tensor_value_info("y", f32, ["N", 3])],
        [onnx.numpy_helper.from_array(w, "w"), onnx.numpy_helper.from_array(b, "b")],
    )
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 18)])
    path = tmp_path / "mm.onnx"
    onnx.save(model, str(path))
    x = rng.standard_normal((5, 4)).astype(np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    want = session.run(None, {"input": x})[0]
    got = conv_onnx.load(path)(Tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
