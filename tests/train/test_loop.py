"""train/loop.py: train_epoch, fit, evaluate, predict and model_inputs on a tiny synthetic
dataset, each against PyTorch doing the same arithmetic (or against hand-counted values)."""

import sys

import numpy as np
import pytest
import torch

from convprop import nn, optim
from convprop.data import DataLoader, TensorDataset
from convprop.data.contract import InputContract
from convprop.train import EpochResult, evaluate, fit, model_inputs, predict, train_epoch

TF = torch.nn.functional


def _data(n=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4)).astype(np.float32)
    y = rng.integers(0, 3, n).astype(np.int64)
    return TensorDataset(x, y)


def _model():
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    twin = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for name, value in model.state_dict().items():
            twin.state_dict()[name].copy_(torch.tensor(value))
    return model, twin


def test_an_epoch_takes_the_same_steps_as_pytorch_and_reports_the_mean_loss():
    data = _data(10)
    model, twin = _model()
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.5)
    topt = torch.optim.SGD(twin.parameters(), lr=0.2, momentum=0.5)
    losses, correct = [], 0
    x_all, y_all = (torch.tensor(a) for a in data.arrays)
    for start in range(0, 10, 4):  # batches of 4, 4 and 2, in order
        x, y = x_all[start : start + 4], y_all[start : start + 4]
        topt.zero_grad()
        logits = twin(x)
        loss = TF.cross_entropy(logits, y)
        loss.backward()
        topt.step()
        losses.append(float(loss.detach()) * len(y))
        correct += int((logits.argmax(1) == y).sum())
    seen = []
    loss, accuracy, rate = train_epoch(
        model, DataLoader(data, 4), opt, progress=False, on_step=lambda m, l: seen.append(l)
    )
    assert loss == pytest.approx(sum(losses) / 10, rel=1e-5)
    assert accuracy == correct / 10 and rate > 0
    assert len(seen) == 3  # on_step: once per batch
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[name].numpy(), rtol=1e-5, atol=1e-6)


def test_on_step_sees_the_gradients_before_the_step():
    data = _data(4)
    model, _ = _model()
    before = {k: v.copy() for k, v in model.state_dict().items()}
    grads = []

    def look(m, loss):
        grads.append(all(p.grad is not None for p in m.parameters()))
        assert all(np.array_equal(v, before[k]) for k, v in m.state_dict().items())

    train_epoch(
        model,
        DataLoader(data, 4),
        optim.SGD(model.parameters(), lr=0.1),
        progress=False,
        on_step=look,
    )
    assert grads == [True]


@pytest.mark.parametrize("training", [True, False])
def test_evaluate_is_pytorchs_mean_cross_entropy_and_accuracy_and_keeps_the_mode(training):
    data = _data(9, seed=3)
    model, twin = _model()
    model.train(training)
    loss, accuracy = evaluate(model, DataLoader(data, 4))
    x, y = (torch.tensor(a) for a in data.arrays)
    with torch.no_grad():
        logits = twin(x)
    assert loss == pytest.approx(float(TF.cross_entropy(logits, y)), rel=1e-5)
    assert accuracy == int((logits.argmax(1) == y).sum()) / 9
    assert model.training is training
    assert all(p.grad is None for p in model.parameters())  # no graph, no gradients


def test_fit_numbers_its_epochs_steps_the_schedule_and_calls_back_each_epoch():
    data = _data(8)
    model, _ = _model()
    opt = optim.SGD(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    class Sampler:  # an order with set_epoch, as DistributedSampler's
        def __init__(self):
            self.epochs = []

        def __len__(self):
            return 8

        def __iter__(self):
            return iter(range(8))

        def set_epoch(self, epoch):
            self.epochs.append(epoch)

    sampler = Sampler()
    seen = []
    results = fit(
        model,
        opt,
        DataLoader(data, 4, sampler=sampler),
        DataLoader(data, 8),
        epochs=3,
        start_epoch=1,
        scheduler=scheduler,
        progress=False,
        on_epoch=seen.append,
    )
    assert [r.epoch for r in results] == [2, 3] and seen == results
    assert sampler.epochs == [1, 2]
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**2)
    test_loss, test_accuracy = evaluate(model, DataLoader(data, 8))
    assert results[-1].test_loss == pytest.approx(test_loss)
    assert results[-1].test_accuracy == test_accuracy
    assert set(results[0].as_dict()) == set(EpochResult.__dataclass_fields__)


def test_without_a_terminal_progress_is_one_line_per_epoch_on_stderr(capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    data = _data(8)
    model, _ = _model()
    fit(model, optim.SGD(model.parameters(), lr=0.1), DataLoader(data, 4), DataLoader(data, 8), 2)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert captured.out == "" and len(lines) == 2
    assert lines[0].startswith("epoch 1/2: loss ") and lines[1].startswith("epoch 2/2: loss ")
    assert fit(
        model,
        optim.SGD(model.parameters(), lr=0.1),
        DataLoader(data, 4),
        DataLoader(data, 8),
        1,
        progress=False,
    )
    assert capsys.readouterr().err == ""


def test_predict_gives_the_argmax_and_pytorchs_softmax():
    model, twin = _model()
    x = np.random.default_rng(5).standard_normal((6, 4)).astype(np.float32)
    classes, probabilities = predict(model, x)
    theirs = torch.softmax(twin(torch.tensor(x)), dim=1).detach().numpy()
    np.testing.assert_allclose(probabilities, theirs, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(classes, theirs.argmax(axis=1))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_model_inputs_reads_and_normalises_each_image(tmp_path):
    contract = InputContract(size=3, low=0, high=16, mean=0.25, std=0.5)
    bright_centre = np.zeros((1, 3, 3))
    bright_centre[0, 1, 1] = 16  # a light digit on a dark background
    images = [np.arange(9).reshape(3, 3), bright_centre]
    paths = []
    for i, image in enumerate(images):
        np.save(tmp_path / f"{i}.npy", image)
        paths.append(str(tmp_path / f"{i}.npy"))
    x = model_inputs(paths, contract)
    assert x.shape == (2, 1, 3, 3) and x.dtype == np.float32
    np.testing.assert_allclose(x[0, 0], (np.arange(9).reshape(3, 3) / 16 - 0.25) / 0.5)
    want = np.full((3, 3), -0.5)  # (0/16 - 0.25) / 0.5
    want[1, 1] = 1.5  # (16/16 - 0.25) / 0.5
    np.testing.assert_allclose(x[1, 0], want)
    with pytest.raises(ValueError, match=r"1\.npy has pixels in \[0, 20\]"):
        np.save(tmp_path / "1.npy", bright_centre * 20 / 16)
        model_inputs(paths, contract)
