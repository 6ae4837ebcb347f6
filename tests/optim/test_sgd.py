"""optim/sgd.py: SGD's update rule step for step against torch.optim.SGD in float32 (the
dtype training uses), hand-worked momentum and Nesterov steps, and its refusals."""

import numpy as np
import pytest
import torch

from convprop import Tensor, optim
from convprop.autograd import Parameter

CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.05),
    dict(lr=0.05, momentum=0.9, dampening=0.5),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
]


@pytest.mark.parametrize("config", CONFIGS, ids=[str(c) for c in CONFIGS])
def test_float32_parameters_stay_float32_and_follow_pytorch(config):
    rng = np.random.default_rng(1)
    start = rng.standard_normal((4, 3)).astype(np.float32)
    ours, theirs = Parameter(start.copy()), torch.tensor(start.copy(), requires_grad=True)
    opt, topt = optim.SGD([ours], **config), torch.optim.SGD([theirs], **config)
    for _ in range(8):
        g = rng.standard_normal(start.shape).astype(np.float32)
        ours.grad, theirs.grad = Tensor(g.copy()), torch.tensor(g)
        opt.step()
        topt.step()
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-5, atol=1e-6)


def _steps(opt, p, grads):
    values = []
    for g in grads:
        p.grad = Tensor(np.full(p.shape, g))
        opt.step()
        values.append(float(p.numpy()[0]))
    return values


def test_hand_worked_momentum_the_first_step_takes_the_gradient_undamped():
    # buf1 = g = 1 (no dampening on the first step); buf2 = 0.9 * 1 + 0.5 * 1 = 1.4
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(_steps(opt, p, [1.0, 1.0]), [0.9, 0.9 - 0.14])
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"], [1.4])


def test_hand_worked_nesterov_looks_one_momentum_step_ahead():
    # step 1: buf = 1, g + 0.9 buf = 1.9; step 2: buf = 1.9, g + 0.9 buf = 2.71
    p = Parameter(np.array([1.0]))
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    np.testing.assert_allclose(_steps(opt, p, [1.0, 1.0]), [0.81, 0.81 - 0.271])


def test_weight_decay_pulls_towards_zero_without_a_gradient_of_its_own():
    # g = 0 + 0.5 * p: p = 2 - 0.1 * 1 = 1.9
    p = Parameter(np.array([2.0]))
    opt = optim.SGD([p], lr=0.1, weight_decay=0.5)
    assert _steps(opt, p, [0.0]) == pytest.approx([1.9])


def test_plain_sgd_keeps_no_momentum_buffer():
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1)
    _steps(opt, p, [1.0])
    assert "momentum_buffer" not in opt.state.get(0, {})


@pytest.mark.parametrize(
    "kwargs", [dict(lr=-0.1), dict(lr=0.1, momentum=-0.5), dict(lr=0.1, weight_decay=-1e-4)]
)
def test_negative_hyper_parameters_are_refused(kwargs):
    with pytest.raises(ValueError, match="SGD: lr, momentum and weight_decay must be >= 0"):
        optim.SGD([Parameter(np.ones(1))], **kwargs)


def test_nesterov_with_dampening_is_refused_as_pytorch():
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero damp"):
        optim.SGD([Parameter(np.ones(1))], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)
    with pytest.raises(ValueError):
        torch.optim.SGD(
            [torch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True
        )
