"""train/interrupt.py: a Ctrl-C whose KeyboardInterrupt something swallowed still stops
training at the end of the step, and fit() leaves Python's own SIGINT handler behind."""

import signal

import numpy as np
import pytest

from convprop import models, optim
from convprop.data import DataLoader, TensorDataset
from convprop.train import interrupt, loop


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own handler in place, as in a terminal (a shell's background job starts with
    SIGINT ignored, and fit() rightly leaves an ignored SIGINT alone), and no mark left over."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)
    interrupt._pending = False


def _fit(epochs, on_step):
    """LeNet-5 trained by fit() on 16 random 8x8 images, on_step called after each step."""
    train, test = _loaders()
    model = models.lenet5(1, 10, 8)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loop.fit(model, optimizer, train, test, epochs, progress=False, on_step=on_step)


def _loaders():
    rng = np.random.default_rng(0)
    data = TensorDataset(rng.standard_normal((16, 1, 8, 8)).astype(np.float32), np.arange(16) % 10)
    return DataLoader(data, 4), DataLoader(data, 8)


def test_a_swallowed_ctrl_c_stops_fit_at_the_end_of_the_step():
    steps = []

    def swallowed(_model, _loss):  # as if SIGINT's KeyboardInterrupt had been cleared
        steps.append(1)
        if len(steps) == 2:
            interrupt._pending = True

    with pytest.raises(KeyboardInterrupt):
        _fit(3, swallowed)
    assert len(steps) == 2  # stopped at the step that saw it, not at the epoch's end
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert not interrupt._pending


def test_during_fit_sigint_is_marked_and_raised():
    seen = []

    def handler_in_place(_model, _loss):
        seen.append(signal.getsignal(signal.SIGINT))
        if len(seen) == 1:
            signal.raise_signal(signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        _fit(1, handler_in_place)
    assert seen[0] is interrupt._on_sigint and len(seen) == 1
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_sigint_stays_ignored():
    # nohup and a shell's background jobs ignore SIGINT: fit() must not turn Ctrl-C back on
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    seen = []
    _fit(1, lambda _model, _loss: seen.append(signal.getsignal(signal.SIGINT)))
    assert seen and all(h is signal.SIG_IGN for h in seen)
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
