"""saliency.py and `convprop saliency`: |dL/dX| equals a numerical input gradient."""

import numpy as np

from convprop import models
from convprop.autograd import Tensor
from convprop.cli import main
from convprop.nn import functional as F
from convprop.saliency import saliency_maps


def test_saliency_is_the_absolute_input_gradient_of_the_predicted_class_loss():
    rng = np.random.default_rng(0)
    model = models.lenet5(1, 10, 8).double()
    images = rng.standard_normal((2, 1, 8, 8))
    maps, predictions, probabilities = saliency_maps(model, images)
    assert maps.shape == (2, 8, 8) and np.allclose(probabilities.sum(axis=1), 1)

    def loss(x):
        return float(F.cross_entropy(model(Tensor(x)), Tensor(predictions), reduction="sum").item())

    eps = 1e-6
    for n, r, c in [(0, 3, 4), (1, 0, 0), (1, 5, 2)]:
        e = np.zeros_like(images)
        e[n, 0, r, c] = eps
        numerical = (loss(images + e) - loss(images - e)) / (2 * eps)
        np.testing.assert_allclose(maps[n, r, c], abs(numerical), rtol=1e-5, atol=1e-9)
    assert all(p.grad is None for p in model.parameters())  # the model is left clean


def test_saliency_command_prints_and_plots(tmp_path, capsys):
    from matplotlib.image import imread

    ckpt = tmp_path / "c.npz"
    argv = ["train", "--epochs", "1", "--no-progress", "--checkpoint", str(ckpt),
            "--metrics", str(tmp_path / "m.json")]  # fmt: skip
    assert main(argv) == 0
    image = tmp_path / "digit.npy"
    np.save(image, np.random.default_rng(1).integers(0, 8, (8, 8)).astype(np.float32))
    out_png = tmp_path / "s.png"
    assert main(["saliency", "--checkpoint", str(ckpt), str(image), "--plot", str(out_png)]) == 0
    out = capsys.readouterr().out
    assert "predicted" in out and "largest |dL/dX|" in out and f"plot: {out_png}" in out
    assert imread(out_png)[..., :3].std() > 0.05
