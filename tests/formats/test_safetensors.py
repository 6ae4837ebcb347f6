"""safetensors_io.py: a PyTorch state_dict saved as safetensors runs in convprop unchanged."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import convprop
from convprop import Tensor, models, nn


def test_pytorch_weights_load_into_the_matching_convprop_model(tmp_path):
    torch.manual_seed(0)
    T = torch.nn
    theirs = T.Sequential(
        T.Conv2d(1, 6, 5, padding=2),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Conv2d(6, 16, 5),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Flatten(),
        T.Linear(400, 120),
        T.ReLU(),
        T.Linear(120, 84),
        T.ReLU(),
        T.Linear(84, 10),
    ).eval()
    path = tmp_path / "lenet.safetensors"
    save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(path))
    ours = convprop.load_safetensors(models.lenet5(), path).eval()
    x = torch.randn(4, 1, 28, 28)
    np.testing.assert_allclose(
        ours(Tensor(x.numpy())).array, theirs(x).detach().numpy(), rtol=1e-5, atol=1e-6
    )


def test_batch_norm_buffers_and_errors(tmp_path):
    theirs = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3)).eval()
    theirs[1].running_mean.normal_()
    path = tmp_path / "bn.safetensors"
    save_file(dict(theirs.state_dict()), str(path))
    ours = convprop.load_safetensors(nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3)), path)
    np.testing.assert_array_equal(ours[1].running_mean, theirs[1].running_mean.numpy())
    with pytest.raises(ValueError, match=r"'0\.weight' has shape \(3, 2, 3, 3\) in the state"):
        convprop.load_safetensors(nn.Sequential(nn.Conv2d(2, 3, 5), nn.BatchNorm2d(3)), path)
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="is not a readable safetensors file"):
        convprop.load_safetensors(ours, broken)
