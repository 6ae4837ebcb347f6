"""onnx/: convprop -> ONNX -> onnxruntime equals convprop; PyTorch -> ONNX -> convprop
equals PyTorch; ONNX -> convprop -> ONNX is stable; bad files give clear errors."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch

import onnx
from convprop import Tensor, models, nn, optim
from convprop import onnx as conv_onnx
from convprop.cli import main


def _vgg_bn_gap(m):
    """A small VGG-style net with BatchNorm and a global pooling head, in either library."""
    return m.Sequential(
        m.Conv2d(3, 8, 3, padding=1),
        m.BatchNorm2d(8),
        m.ReLU(),
        m.Conv2d(8, 8, 3, padding=1, padding_mode="reflect"),
        m.ReLU(),
        m.MaxPool2d(2),
        m.Conv2d(8, 16, 3, padding=1),
        m.BatchNorm2d(16),
        m.LeakyReLU(0.1),
        m.AdaptiveAvgPool2d(1),
        m.Flatten(),
        m.Dropout(0.2),
        m.Linear(16, 10),
    )


def _net_1d(m):
    return m.Sequential(
        m.Conv1d(2, 4, 5, padding=2),
        m.Tanh(),
        m.MaxPool1d(2),
        m.Conv1d(4, 6, 3, stride=2),
        m.Sigmoid(),
        m.AvgPool1d(2, ceil_mode=True, count_include_pad=False),
        m.Flatten(),
        m.Linear(6 * 3, 3),
    )


def _randomise_statistics(model, rng):
    for layer in model.modules():
        if isinstance(layer, nn.BatchNorm2d):
            layer.running_mean[...] = rng.standard_normal(layer.num_features)
            layer.running_var[...] = rng.random(layer.num_features) + 0.5


def _misc(m):
    """Transposed convolution, LP pooling, circular padding, ceil_mode average, global max."""
    return m.Sequential(
        m.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1),
        m.ReLU(),
        m.LPPool2d(2, 2),
        m.Conv2d(3, 4, 2, padding=1, padding_mode="circular"),
        m.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
        m.Conv2d(4, 2, 1),
        m.AdaptiveMaxPool2d(1),
        m.Flatten(),
        m.Linear(2, 2),
    )


MODELS = [
    ("lenet", lambda: models.lenet5(), (2, 1, 28, 28)),
    ("vgg_bn_gap", lambda: _vgg_bn_gap(nn), (2, 3, 16, 16)),
    ("net_1d", lambda: _net_1d(nn), (3, 2, 24)),
    ("misc", lambda: _misc(nn), (2, 2, 6, 7)),
]


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name, build, shape", MODELS, ids=[m[0] for m in MODELS])
def test_convprop_to_onnx_runs_the_same_in_onnxruntime(name, build, shape, tmp_path):
    rng = np.random.default_rng(0)
    model = build()
    _randomise_statistics(model, rng)
    x = rng.standard_normal(shape).astype(np.float32)
    path = conv_onnx.export(model, x[:1], tmp_path / f"{name}.onnx")
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    assert onnx.load(str(path)).opset_import[0].version == 22
    model.eval()
    want = model(Tensor(x)).array
    got = _run(path, x)  # a batch of several from a one-image example: the batch is free
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # ONNX -> convprop -> ONNX is stable: the same nodes, attributes and weights
    again = conv_onnx.export(conv_onnx.load(path), x[:1], tmp_path / "again.onnx")
    first, second = onnx.load(str(path)).graph, onnx.load(str(again)).graph
    assert [(n.op_type, list(n.attribute)) for n in first.node] == [
        (n.op_type, list(n.attribute)) for n in second.node
    ]
    for a, b in zip(first.initializer, second.initializer, strict=True):
        np.testing.assert_array_equal(onnx.numpy_helper.to_array(a), onnx.numpy_helper.to_array(b))


TORCH_MODELS = [
    (
        "lenet",
        lambda: torch.nn.Sequential(
            torch.nn.Conv2d(1, 6, 5, padding=2),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(6, 16, 5),
            torch.nn.ReLU(),
            torch.nn.MaxPool2d(2),
            torch.nn.Flatten(),
            torch.nn.Linear(400, 120),
            torch.nn.ReLU(),
            torch.nn.Linear(120, 84),
            torch.nn.ReLU(),
            torch.nn.Linear(84, 10),
        ),
        (2, 1, 28, 28),
    ),
    ("vgg_bn_gap", lambda: _vgg_bn_gap(torch.nn), (2, 3, 16, 16)),
    ("net_1d", lambda: _net_1d(torch.nn), (3, 2, 24)),
]


@pytest.mark.parametrize("name, build, shape", TORCH_MODELS, ids=[m[0] for m in TORCH_MODELS])
def test_pytorch_to_onnx_to_convprop_equals_pytorch_and_fine_tunes(name, build, shape, tmp_path):
    torch.manual_seed(0)
    theirs = build().eval()
    for layer in theirs.modules():
        if isinstance(layer, torch.nn.BatchNorm2d):
            layer.running_mean.normal_()
            layer.running_var.uniform_(0.5, 1.5)
    x = torch.randn(*shape)
    path = tmp_path / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            theirs, (x,), str(path), dynamo=False, opset_version=18, input_names=["input"]
        )
    ours = conv_onnx.load(path)
    np.testing.assert_allclose(
        ours(Tensor(x.numpy())).array, theirs(x).detach().numpy(), rtol=1e-5, atol=1e-5
    )
    # and it fine-tunes: gradients reach every parameter, and SGD steps lower a loss
    ours.train()
    opt = optim.SGD(ours.parameters(), lr=0.01)
    losses = []
    for _ in range(3):
        opt.zero_grad()
        y = ours(Tensor(x.numpy()))
        loss = (y * y).mean()
        loss.backward()
        assert all(p.grad is not None and np.isfinite(p.grad).all() for p in ours.parameters())
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < losses[0]


def _graph(nodes, initializers=(), shape=(1, 1, 4, 4), out_shape=(1, 1, 4, 4)):
    elem = onnx.TensorProto.FLOAT
    graph = onnx.helper.make_graph(
        nodes,
        "g",
        [onnx.helper.make_tensor_value_info("input", elem, list(shape))],
        [onnx.helper.make_tensor_value_info(nodes[-1].output[0], elem, list(out_shape))],
        list(initializers),
    )
    return onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 18)])


def _weight(name, array):
    return onnx.numpy_helper.from_array(np.asarray(array, np.float32), name)


@pytest.mark.parametrize(
    "proto, message",
    [
        (
            _graph([onnx.helper.make_node("Erf", ["input"], ["y"], name="erf1")]),
            "node 'erf1' \\(Erf\\): this operator is not supported",
        ),
        (
            _graph(
                [onnx.helper.make_node("Conv", ["input", "w", "b"], ["y"], name="c1")],
                [_weight("w", np.ones((2, 1, 3, 3))), _weight("b", np.ones(3))],
            ),
            "node 'c1' \\(Conv\\): bias of shape \\(3,\\) does not fit weight \\(2, 1, 3, 3\\)",
        ),
        (
            _graph(
                [
                    onnx.helper.make_node(
                        "MaxPool",
                        ["input"],
                        ["y"],
                        name="m1",
                        kernel_shape=[2, 2, 2],
                        storage_order=1,
                    )
                ],
                shape=(1, 1, 4, 4, 4),
                out_shape=(1, 1, 3, 3, 3),
            ),
            "node 'm1' \\(MaxPool\\): attribute storage_order=1 is defined for 2-D pooling",
        ),
        (
            _graph([onnx.helper.make_node("Conv", ["input", "input"], ["y"], name="c3")]),
            "node 'c3' \\(Conv\\): input 'input' is computed at run time, not a weight",
        ),
    ],
)
def test_bad_models_raise_errors_naming_the_node(proto, message, tmp_path):
    path = tmp_path / "bad.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ValueError, match=message):
        conv_onnx.load(path)


def test_truncated_file_and_unexportable_layers(tmp_path):
    good = conv_onnx.export(
        models.lenet5(), np.zeros((1, 1, 28, 28), np.float32), tmp_path / "g.onnx"
    )
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(good.read_bytes()[:1000])
    with pytest.raises(ValueError, match="is not a readable ONNX model"):
        conv_onnx.load(cut)
    padded = nn.Sequential(nn.AvgPool2d(2, padding=1, divisor_override=3))
    with pytest.raises(ValueError, match="divisor_override has no ONNX form"):
        conv_onnx.export(padded, np.zeros((1, 1, 4, 4), np.float32), tmp_path / "p.onnx")
    whole = nn.Sequential(nn.AvgPool2d(2, divisor_override=3))
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 6)).astype(np.float32)
    path = conv_onnx.export(whole, x, tmp_path / "w.onnx")
    np.testing.assert_allclose(_run(path, x), whole(Tensor(x)).array, rtol=1e-6)
    with pytest.raises(ValueError, match="has uneven windows"):
        conv_onnx.export(
            nn.Sequential(nn.AdaptiveAvgPool2d(3)),
            np.zeros((1, 1, 5, 5), np.float32),
            tmp_path / "a.onnx",
        )


def test_export_command_writes_a_file_that_evaluates_the_same(tmp_path, capsys):
    ckpt = tmp_path / "c.npz"
    argv = [
        "train",
        "--epochs",
        "1",
        "--no-progress",
        "--checkpoint",
        str(ckpt),
        "--metrics",
        str(tmp_path / "m.json"),
    ]
    assert main(argv) == 0
    out = tmp_path / "model.onnx"
    assert main(["export", str(ckpt), "--onnx", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    from convprop.cli.predict import restore
    from convprop.data.digits import CONTRACT

    model, _ = restore(str(ckpt))  # the ONNX model normalises raw 0..16 pixels itself
    raw = np.random.default_rng(2).uniform(0, 16, (5, 1, 8, 8)).astype(np.float32)
    expected = model(Tensor(CONTRACT.normalise(raw))).array
    np.testing.assert_allclose(_run(out, raw), expected, rtol=1e-5, atol=1e-5)
