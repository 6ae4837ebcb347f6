"""onnx/: Add, Sub, Mul and Div of the running tensor and a constant (issue 14 follow-up):
convprop's own export (the input normalisation as Sub, Div) loads again and agrees with
onnxruntime and with convprop's predict; hand-built graphs with x - c, c / x and
per-channel broadcasting agree with onnxruntime (forward) and PyTorch (gradients);
constants that would reshape the running tensor, and residual adds, are refused by node."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

import onnx
from convprop import Tensor
from convprop import onnx as conv_onnx
from convprop.cli import main
from convprop.train import predict

H = onnx.helper
FLOAT = onnx.TensorProto.FLOAT


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def _model(nodes, initializers=(), shape=("N", 3, 4, 5), out_shape=None):
    inp = H.make_tensor_value_info("input", FLOAT, None if shape is None else list(shape))
    out_shape = shape if out_shape is None else out_shape
    out = H.make_tensor_value_info(nodes[-1].output[0], FLOAT, out_shape)
    graph = H.make_graph(nodes, "g", [inp], [out], list(initializers))
    return H.make_model(graph, opset_imports=[H.make_opsetid("", 22)])


def _const(name, array, dtype=np.float32):
    return onnx.numpy_helper.from_array(np.asarray(array, dtype), name)


def test_exported_checkpoint_loads_and_agrees_with_onnxruntime_and_predict(tmp_path, capsys):
    ckpt, out = tmp_path / "c.npz", tmp_path / "m.onnx"
    assert main(["train", "--epochs", "1", "--no-progress", "--checkpoint", str(ckpt)]) == 0
    assert main(["export", str(ckpt), "--onnx", str(out)]) == 0
    assert [n.op_type for n in onnx.load(str(out)).graph.node][:2] == ["Sub", "Div"]
    loaded = conv_onnx.load(out)  # raised "node 'Sub_1' (Sub): not supported" before

    from sklearn.datasets import load_digits

    from convprop.cli.predict import restore
    from convprop.data.digits import CONTRACT

    digits = load_digits().images[:6, None].astype(np.float32)  # raw pixels, 0..16
    noise = np.random.default_rng(3).uniform(0, 16, (3, 1, 8, 8)).astype(np.float32)
    raw = np.concatenate([digits, noise])
    got = loaded(Tensor(raw)).array
    np.testing.assert_allclose(got, _run(out, raw), rtol=1e-5, atol=1e-5)

    model, _ = restore(str(ckpt))  # convprop's predict normalises before the model
    classes, probabilities = predict(model, CONTRACT.normalise(raw))
    mine_classes, mine_probabilities = predict(loaded, raw)
    np.testing.assert_array_equal(mine_classes, classes)
    np.testing.assert_allclose(mine_probabilities, probabilities, rtol=1e-5, atol=1e-6)
    capsys.readouterr()
    image = tmp_path / "digit.npy"
    np.save(image, raw[0, 0])
    assert main(["predict", "--checkpoint", str(ckpt), str(image)]) == 0
    assert (
        f"{image}: {classes[0]} (p={probabilities[0, classes[0]]:.3f})" in capsys.readouterr().out
    )

    # load(export(load(file))): the same nodes, attributes and constants, the same outputs
    again = conv_onnx.export(loaded, raw[:1], tmp_path / "again.onnx")
    first, second = onnx.load(str(out)).graph, onnx.load(str(again)).graph
    assert [(n.op_type, list(n.attribute)) for n in first.node] == [
        (n.op_type, list(n.attribute)) for n in second.node
    ]
    for a, b in zip(first.initializer, second.initializer, strict=True):
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(a), onnx.numpy_helper.to_array(b))
    np.testing.assert_allclose(_run(again, raw), _run(out, raw), rtol=1e-6, atol=1e-6)


def _broadcasting_graph():
    """((c0 / (x - c1)) * c2) + c3 then c4 - that: constants per channel (3, 1, 1) and
    (1, 3, 1, 1), per column (5,), a scalar, the constant first in Div and the last Sub."""
    rng = np.random.default_rng(0)
    consts = {
        "c0": rng.uniform(0.5, 2, (1, 3, 1, 1)),
        "c1": rng.uniform(-1, 0, (3, 1, 1)),
        "c2": rng.uniform(-2, 2, (5,)),
        "c3": np.array(0.25),
        "c4": rng.uniform(-1, 1, (4, 5)),
    }
    nodes = [
        H.make_node("Sub", ["input", "c1"], ["a"], name="x_minus_c"),
        H.make_node("Div", ["c0", "a"], ["b"], name="c_over_x"),
        H.make_node("Mul", ["b", "c2"], ["c"], name="times_column"),
        H.make_node("Add", ["c3", "c"], ["d"], name="plus_scalar"),
        H.make_node("Sub", ["c4", "d"], ["y"], name="c_minus_x"),
    ]
    return _model(nodes, [_const(k, v) for k, v in consts.items()]), consts


def test_hand_built_broadcasting_graph_matches_onnxruntime_pytorch_and_round_trips(tmp_path):
    proto, c = _broadcasting_graph()
    path = tmp_path / "b.onnx"
    onnx.save(proto, str(path))
    model = conv_onnx.load(path)
    x = np.random.default_rng(1).uniform(1, 2, (2, 3, 4, 5)).astype(np.float32)
    want = _run(path, x)
    xt = Tensor(x, requires_grad=True)
    y = model(xt)
    assert y.shape == want.shape and y.dtype == want.dtype
    np.testing.assert_allclose(y.array, want, rtol=1e-6, atol=1e-6)
    # gradients: PyTorch's autograd on the same formula
    g = np.random.default_rng(2).standard_normal(want.shape).astype(np.float32)
    (y * Tensor(g)).sum().backward()
    tc = {k: torch.tensor(v, dtype=torch.float32) for k, v in c.items()}
    xp = torch.tensor(x, requires_grad=True)
    yp = tc["c4"] - (tc["c3"] + (tc["c0"] / (xp - tc["c1"])) * tc["c2"])
    (yp * torch.tensor(g)).sum().backward()
    assert xp.grad is not None
    np.testing.assert_allclose(xt.grad, xp.grad.numpy(), rtol=1e-5, atol=1e-6)
    # export writes the same operators, the constant first where it was
    again = conv_onnx.export(model, x[:1], tmp_path / "again.onnx")
    nodes = onnx.load(str(again)).graph.node
    assert [n.op_type for n in nodes] == ["Sub", "Div", "Mul", "Add", "Sub"]
    assert [n.input[0].endswith(".constant") for n in nodes] == [0, 1, 0, 1, 1]
    np.testing.assert_allclose(_run(again, x), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(conv_onnx.load(again)(Tensor(x)).array, want, rtol=1e-6)


def _one(op, inputs, consts, shape=("N", 3, 4, 5), name="n1"):
    return _model(
        [H.make_node(op, inputs, ["y"], name=name)],
        [_const(k, v) for k, v in consts.items()],
        shape,
    )


@pytest.mark.parametrize(
    "proto, message",
    [
        (
            _one("Add", ["input", "c"], {"c": np.ones((2, 1, 3, 1, 1))}, name="batch"),
            "node 'batch' \\(Add\\): a constant of shape \\(2, 1, 3, 1, 1\\) has more axes than "
            "the running tensor's 4: broadcasting would add a dimension",
        ),
        (
            _one(
                "Mul",
                ["c", "input"],
                {"c": np.ones((3, 1, 1))},
                shape=("N", 1, 4, 5),
                name="stretch",
            ),
            "node 'stretch' \\(Mul\\): a constant of shape \\(3, 1, 1\\) would stretch axis 1 "
            "of the running tensor \\(size 1\\)",
        ),
        (
            _one("Div", ["input", "c"], {"c": np.ones((2, 3, 1, 1))}, name="per_sample"),
            "node 'per_sample' \\(Div\\): a constant of shape \\(2, 3, 1, 1\\) would stretch "
            "axis 0 of the running tensor \\(size not fixed\\)",
        ),
        (
            _one("Add", ["input", "input"], {}, name="twice"),
            "node 'twice' \\(Add\\): both operands are computed at run time",
        ),
        (
            _model(
                [
                    H.make_node("Relu", ["input"], ["r"], name="r1"),
                    H.make_node("Add", ["r", "input"], ["y"], name="residual"),
                ]
            ),
            "node 'residual' \\(Add\\): both operands are computed at run time",
        ),
    ],
)
def test_reshaping_constants_and_residual_adds_are_refused_by_node(proto, message, tmp_path):
    path = tmp_path / "bad.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ValueError, match=message):
        conv_onnx.load(path)


def test_the_layer_checks_shapes_when_it_runs(tmp_path):
    """Where shape inference knows nothing of the running tensor, the layer refuses a
    constant that would change its shape when it runs, naming the node."""
    from convprop.formats.onnx.layers import Elementwise

    c = np.random.default_rng(4).uniform(1, 2, (3, 1, 1)).astype(np.float32)
    layer = Elementwise("Sub", c, True, "s1")
    x = np.random.default_rng(5).standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(layer(Tensor(x)).array, c - x)  # c - x: the same float ops
    for shape in [(2, 1, 4, 5), (2, 2, 4, 5)]:  # stretched to (2, 3, 4, 5); no broadcast
        with pytest.raises(ValueError, match="s1 \\(Sub\\): the constant of shape \\(3, 1, 1\\)"):
            layer(Tensor(np.zeros(shape, np.float32)))


def test_constant_arithmetic_is_folded_as_onnx_computes_it(tmp_path):
    """Add/Sub/Mul/Div on constants only are folded: integer Div truncates toward zero."""
    nodes = [
        H.make_node("Div", ["p", "q"], ["k"], name="int_div"),
        H.make_node("Cast", ["k"], ["kf"], to=FLOAT),
        H.make_node("Mul", ["kf", "half"], ["scale"], name="fold_mul"),
        H.make_node("Mul", ["input", "scale"], ["y"], name="scaled"),
    ]
    consts = [_const("p", [-7, 7, 9], np.int64), _const("q", [2], np.int64), _const("half", [0.5])]
    path = tmp_path / "f.onnx"
    onnx.save(_model(nodes, consts, shape=("N", 3)), str(path))
    x = np.random.default_rng(6).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(conv_onnx.load(path)(Tensor(x)).array, _run(path, x), rtol=1e-6)
