"""report/record.py: readable layer names (kind numbered among its kind, then where it
sits) and the recorder's per-step loss and per-layer gradient norms."""

import numpy as np
import pytest

from convprop import Tensor, nn
from convprop.report.record import TrainingRecorder, layer_names, readable


@pytest.mark.parametrize(
    "kind, count, prefix, name",
    [
        ("Conv2d", 1, "0", "conv1 (0)"),
        ("Linear", 3, "fc.2", "fc3 (fc.2)"),
        ("BatchNorm2d", 2, "4", "bn2 (4)"),
        ("BatchNorm1d", 1, "", "bn1"),
        ("Embedding", 1, "emb", "embedding1 (emb)"),
    ],
)
def test_readable_names(kind, count, prefix, name):
    assert readable(kind, count, prefix) == name


def _model():
    return nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.ReLU(),
        nn.BatchNorm2d(2),
        nn.Conv2d(2, 2, 3, bias=False),
        nn.Flatten(),
        nn.Linear(2, 3),
    )


def test_layer_names_follow_the_model_and_skip_layers_without_parameters():
    names = layer_names(_model())
    assert list(names.items()) == [
        ("0", "conv1 (0)"),
        ("2", "bn1 (2)"),
        ("3", "conv2 (3)"),
        ("5", "fc1 (5)"),
    ]


def test_a_model_that_is_one_layer_has_the_empty_prefix():
    assert dict(layer_names(nn.Linear(2, 2))) == {"": "fc1"}


def test_each_step_records_the_loss_and_every_layers_gradient_norm():
    model = _model()
    recorder = TrainingRecorder(model)
    rng = np.random.default_rng(0)
    grads = {}
    for name, p in model.named_parameters():
        p.grad = Tensor(rng.standard_normal(p.shape).astype(p.dtype))
        grads[name] = p.grad.array.astype(np.float64)
    model[5].bias.grad = None  # a parameter without a gradient adds nothing
    recorder(model, 2.5)
    recorder(model, 1.0)
    assert recorder.losses == [2.5, 1.0]
    want = {
        "conv1 (0)": np.sqrt(np.sum(grads["0.weight"] ** 2) + np.sum(grads["0.bias"] ** 2)),
        "bn1 (2)": np.sqrt(np.sum(grads["2.weight"] ** 2) + np.sum(grads["2.bias"] ** 2)),
        "conv2 (3)": np.sqrt(np.sum(grads["3.weight"] ** 2)),
        "fc1 (5)": np.sqrt(np.sum(grads["5.weight"] ** 2)),
    }
    assert list(recorder.grad_norms) == list(want)
    for label, norm in want.items():
        np.testing.assert_allclose(recorder.grad_norms[label], [norm, norm], rtol=1e-12)


def test_norms_are_summed_in_float64_so_large_float32_gradients_do_not_overflow():
    layer = nn.Linear(2, 2)
    recorder = TrainingRecorder(layer)
    layer.weight.grad = Tensor(np.full((2, 2), 1e20, dtype=np.float32))  # 1e40 overflows float32
    layer.bias.grad = Tensor(np.zeros(2, dtype=np.float32))
    recorder(layer, 0.0)
    np.testing.assert_allclose(recorder.grad_norms["fc1"], [2e20], rtol=1e-6)


def test_a_step_without_any_gradient_records_zero_norms():
    model = _model()
    recorder = TrainingRecorder(model)
    recorder(model, 0.5)
    assert all(values == [0.0] for values in recorder.grad_norms.values())
