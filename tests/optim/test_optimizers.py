"""optim: every optimizer and schedule step for step against PyTorch's, and state round trips."""

import numpy as np
import pytest
import torch

from convprop import Tensor, optim
from convprop.nn import Parameter

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=1e-3)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.02, betas=(0.5, 0.99), weight_decay=0.3)),
]


def _run(name, config, steps, start=None, split=None):
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    grads = [[rng.standard_normal(v.shape) for v in values] for _ in range(steps)]
    ours = [Parameter(v.copy()) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    opt = getattr(optim, name)(ours, **config)
    topt = getattr(torch.optim, name)(theirs, **config)
    history = []
    for k, step_grads in enumerate(grads):
        if split is not None and k == split:  # save, rebuild, load: the run must not notice
            saved = opt.state_dict()
            opt = getattr(optim, name)(ours, **config)
            opt.load_state_dict(saved)
        for p, t, g in zip(ours, theirs, step_grads, strict=True):
            p.grad = Tensor(g.copy())
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
        history.append(
            [
                (p.numpy().copy(), t.detach().numpy().copy())
                for p, t in zip(ours, theirs, strict=True)
            ]
        )
    return history


@pytest.mark.parametrize("name, config", CONFIGS, ids=[f"{n}-{c}" for n, c in CONFIGS])
def test_optimizer_matches_pytorch_for_20_steps(name, config):
    for step in _run(name, config, 20):
        for ours, theirs in step:
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name, config", CONFIGS, ids=[f"{n}-{c}" for n, c in CONFIGS])
def test_state_dict_round_trip_continues_the_same_run(name, config):
    whole = _run(name, config, 10)
    resumed = _run(name, config, 10, split=5)
    for a, b in zip(whole[-1], resumed[-1], strict=True):
        np.testing.assert_array_equal(a[0], b[0])


def test_zero_grad_and_skipping_parameters_without_grad():
    p, q = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = optim.SGD([p, q], lr=1.0)
    p.grad = Tensor(np.ones(2))
    opt.step()
    np.testing.assert_array_equal(p.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(q.numpy(), [1.0, 1.0])
    opt.zero_grad()
    assert p.grad is None


def test_parameter_groups_take_their_own_lr():
    p, q = Parameter(np.ones(1)), Parameter(np.ones(1))
    opt = optim.SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
    p.grad, q.grad = Tensor(np.ones(1)), Tensor(np.ones(1))
    opt.step()
    np.testing.assert_allclose([p.numpy()[0], q.numpy()[0]], [0.9, 0.5])


def test_bad_hyper_parameters_raise():
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([Parameter(np.ones(1))], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam([Parameter(np.ones(1))], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)


@pytest.mark.parametrize(
    "name, kwargs",
    [("StepLR", dict(step_size=3, gamma=0.5)), ("CosineAnnealingLR", dict(T_max=7, eta_min=0.01))],
)
def test_schedules_match_pytorch(name, kwargs):
    ours = optim.SGD([Parameter(np.ones(1))], lr=0.1)
    theirs = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1)
    s = getattr(optim.lr_scheduler, name)(ours, **kwargs)
    t = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(12):
        np.testing.assert_allclose(s.get_last_lr(), t.get_last_lr(), rtol=1e-12)
        theirs.step()
        s.step()
        t.step()
