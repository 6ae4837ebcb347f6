"""saliency.py and `convprop saliency`: |dL/dX| equals a numerical input gradient."""

import numpy as np
import pytest

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
    image = tmp_path / "digit.npy"
    np.save(image, np.random.default_rng(1).integers(0, 8, (8, 8)).astype(np.float32))
    out_png = tmp_path / "s.png"
    assert main(["saliency", "--checkpoint", str(ckpt), str(image), "--plot", str(out_png)]) == 0
    out = capsys.readouterr().out
    assert "predicted" in out and "largest |dL/dX|" in out and f"plot: {out_png}" in out
    assert imread(out_png)[..., :3].std() > 0.05


def _model(bias):
    model = models.lenet5(1, 10, 8)  # float32, as trained
    model[-1].bias.array[:] = 0.0
    model[-1].bias.array[0] = bias
    return model


def test_a_saturated_prediction_is_said_to_have_no_signal_not_stretched():
    from convprop.saliency import without_signal

    images = np.random.default_rng(3).standard_normal((2, 1, 8, 8)).astype(np.float32)
    maps, predictions, probabilities = saliency_maps(_model(30.0), images)
    assert maps.max() < 1e-6  # what used to be drawn at full brightness
    reasons = without_signal(maps, probabilities, predictions)
    assert all(r is not None and ("saturated" in r or "every" in r) for r in reasons)
    maps, predictions, probabilities = saliency_maps(_model(0.0), images)
    assert without_signal(maps, probabilities, predictions) == [None, None]
    flat = np.zeros((1, 8, 8))
    assert without_signal(flat, np.full((1, 10), 0.1), np.array([0])) == ["every |dL/dX| is 0"]


def test_the_plot_has_one_real_scale_names_and_says_no_signal():
    from convprop.explain.plots import pyplot
    from convprop.report.figures import saliency

    images = np.random.default_rng(4).standard_normal((3, 1, 8, 8)).astype(np.float32)
    model = _model(0.0)
    fig = saliency(model, images, names=["a.npy", "b.pgm", "c.npy"])
    maps, _, _ = saliency_maps(model, images)
    titles = [ax.get_title() for ax in fig.axes]
    assert all(any(t.startswith(n + "\n") for t in titles) for n in ["a.npy", "b.pgm", "c.npy"])
    bars = [ax for ax in fig.axes if ax.get_ylabel().startswith("|dL/dX|")]
    assert len(bars) == 1
    np.testing.assert_allclose(bars[0].get_ylim(), (0, maps.max()), rtol=1e-6)
    drawn = [ax.images[0] for ax in fig.axes if ax.images and ax.get_title().startswith("|dL/dX|")]
    assert [im.get_clim() for im in drawn] == [(0.0, pytest.approx(maps.max()))] * 3
    pyplot().close(fig)
    fig = saliency(_model(30.0), images)
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert sum("no signal" in t for t in texts) == 3
    assert not [ax for ax in fig.axes if ax.get_ylabel().startswith("|dL/dX|")]
    pyplot().close(fig)


def test_the_command_says_no_signal_and_titles_maps_with_file_names(tmp_path, capsys, monkeypatch):
    from convprop.cli import predict as cli_predict
    from convprop.report import figures

    model = _model(30.0)  # saturated: every map is rounding noise
    monkeypatch.setattr(cli_predict, "restore", lambda path: (model, {"config": {}}))
    monkeypatch.setattr(cli_predict, "checkpoint_contract", lambda config: None)
    images = np.random.default_rng(5).standard_normal((2, 1, 8, 8)).astype(np.float32)
    monkeypatch.setattr(cli_predict, "model_inputs", lambda paths, contract: images)
    names = []
    real = figures.saliency
    monkeypatch.setattr(
        figures, "saliency", lambda m, x, **kw: names.append(kw.get("names")) or real(m, x, **kw)
    )
    out_png = tmp_path / "s.png"
    argv = ["saliency", "--checkpoint", "c.npz", "one.npy", "two.npy", "--plot", str(out_png)]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["one.npy", "two.npy"]
    assert all("no signal" in line for line in lines[:2])
    assert names == [["one.npy", "two.npy"]]
