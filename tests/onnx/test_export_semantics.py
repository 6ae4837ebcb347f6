"""The export writes a layer only where ONNX's operator computes what the layer computes:
otherwise it refuses, naming the layer and the rule (never a silently different model)."""

import numpy as np
import onnxruntime as ort
import pytest
import torch

from convprop import Tensor, nn
from convprop import onnx as conv_onnx


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("start_dim", [0, 2, -1])
def test_a_flatten_onnx_would_reshape_differently_is_refused(start_dim, tmp_path):
    x = np.zeros((1, 2, 3, 4), np.float32)
    model = nn.Sequential(nn.Flatten(start_dim))
    assert model(Tensor(x)).shape == torch.flatten(torch.from_numpy(x), start_dim).shape
    with pytest.raises(ValueError, match=r"0 Flatten.*only start_dim=1"):
        conv_onnx.export(model, x, tmp_path / "f.onnx")


def test_flatten_from_the_channels_is_exported(tmp_path):
    x = np.random.default_rng(0).standard_normal((3, 2, 3, 4)).astype(np.float32)
    model = nn.Sequential(nn.Flatten())
    path = conv_onnx.export(model, x[:1], tmp_path / "f.onnx")
    np.testing.assert_array_equal(_run(path, x), torch.flatten(torch.from_numpy(x), 1).numpy())


@pytest.mark.parametrize("p", [1, 3, 1.5])
def test_lp_pool_whose_sign_handling_differs_from_onnx_is_refused(p, tmp_path):
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4)).astype(np.float32)
    with pytest.raises(ValueError, match=r"LPPool's norm_type.*even integer"):
        conv_onnx.export(nn.Sequential(nn.LPPool2d(p, 2)), x, tmp_path / "l.onnx")


def test_lp_pool_with_a_partial_ceil_window_is_refused_and_whole_windows_export(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 2, 5, 5)).astype(np.float32)  # negative values included
    with pytest.raises(ValueError, match="last window is partial"):
        conv_onnx.export(nn.Sequential(nn.LPPool2d(2, 2, ceil_mode=True)), x, tmp_path / "c.onnx")
    for layer, shape in [
        (nn.LPPool2d(2, 2, ceil_mode=True), (2, 2, 6, 6)),
        (nn.LPPool2d(4, 3, 2), (2, 2, 7, 7)),
        (nn.LPPool1d(2, 3), (2, 3, 9)),
    ]:
        x = rng.standard_normal(shape).astype(np.float32)
        path = conv_onnx.export(nn.Sequential(layer), x[:1], tmp_path / "l.onnx")
        pool = torch.nn.functional.lp_pool2d if len(shape) == 4 else torch.nn.functional.lp_pool1d
        want = pool(
            torch.from_numpy(x), layer.norm_type, layer.kernel_size, layer.stride, layer.ceil_mode
        ).numpy()
        np.testing.assert_allclose(_run(path, x), want, rtol=1e-5, atol=1e-6)
