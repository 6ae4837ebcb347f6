"""report/figures.py: the gradient-norm chart is smoothed, named and told apart per layer;
feature-map labels are readable; an MLP's report names its first layer truly."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from convprop import models
from convprop.explain.plots import pyplot
from convprop.report import TrainingRecorder, figures, write_report


def _recorder(steps=200):
    rec = TrainingRecorder(models.lenet5(1, 10, 8))
    rng = np.random.default_rng(0)
    for name in rec.grad_norms:
        rec.grad_norms[name] = list(np.exp(rng.standard_normal(steps)))
    return rec


def test_gradient_norms_are_smoothed_named_and_each_layer_styled_apart():
    rec = _recorder()
    fig = figures.gradient_norms(rec)
    ax = fig.axes[0]
    named = {
        line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")
    }
    assert list(named) == ["conv1 (0)", "conv2 (3)", "fc1 (7)", "fc2 (9)", "fc3 (11)"]
    window = 200 // 25
    for name, line in named.items():
        raw = np.asarray(rec.grad_norms[name])
        want = [
            np.exp(np.mean(np.log(raw[max(0, t + 1 - window) : t + 1]))) for t in range(len(raw))
        ]
        np.testing.assert_allclose(line.get_ydata(), want, rtol=1e-10)
    faint = [line for line in ax.get_lines() if line.get_label().startswith("_")]
    assert len(faint) == len(named) and all(line.get_alpha() < 0.5 for line in faint)
    styles = {(line.get_color(), line.get_linestyle()) for line in named.values()}
    assert len(styles) == len(named)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(named)
    pyplot().close(fig)


def test_feature_map_labels_are_readable_and_named_by_layer():
    model = models.lenet5(1, 10, 8)
    x = np.random.default_rng(1).standard_normal((2, 1, 8, 8)).astype(np.float32)
    fig = figures.feature_maps(model, x)
    titles = [ax.title for ax in fig.axes if ax.get_title()]
    assert all(t.get_fontsize() >= 9 for t in titles)
    assert "conv1 ch0" in {t.get_text() for t in titles}
    pyplot().close(fig)


def test_an_mlp_report_does_not_speak_of_a_convolution(tmp_path):
    model = models.mlp(1, 10, 8)
    rec = TrainingRecorder(model)
    rec(model, 2.0)
    x = np.random.default_rng(2).standard_normal((6, 1, 8, 8)).astype(np.float32)
    history = [dict(epoch=1, train_loss=2.0, train_accuracy=0.1, test_loss=2.1, test_accuracy=0.1)]
    path = write_report(tmp_path, model, rec, history, (x, np.arange(6) % 10), {"num_classes": 10})
    text = path.read_text(encoding="utf-8")
    assert "convolution" not in text and "through the first layer (Linear) computes" in text
