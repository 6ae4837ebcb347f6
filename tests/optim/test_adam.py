"""optim/adam.py: Adam and AdamW against torch.optim in float32, with parameter groups of
their own hyper-parameters and steps a parameter sits out; hand-worked first steps and
decoupled decay; PyTorch's defaults; the refusals."""

import numpy as np
import pytest
import torch

from convprop import Tensor, optim
from convprop.autograd import Parameter


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_float32_groups_and_skipped_steps_follow_pytorch(name):
    rng = np.random.default_rng(2)
    starts = [
        rng.standard_normal((3, 2)).astype(np.float32),
        rng.standard_normal(4).astype(np.float32),
    ]
    ours = [Parameter(s.copy()) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    groups = [dict(betas=(0.8, 0.95)), dict(lr=0.03, weight_decay=0.2, eps=1e-6)]
    opt = getattr(optim, name)(
        [{"params": [ours[0]], **groups[0]}, {"params": [ours[1]], **groups[1]}], lr=0.01
    )
    topt = getattr(torch.optim, name)(
        [{"params": [theirs[0]], **groups[0]}, {"params": [theirs[1]], **groups[1]}], lr=0.01
    )
    for step in range(10):
        for i, (p, t) in enumerate(zip(ours, theirs, strict=True)):
            if i == 1 and step % 3 == 1:  # this parameter sits the step out in both
                p.grad, t.grad = None, None
                continue
            g = rng.standard_normal(p.shape).astype(np.float32)
            p.grad, t.grad = Tensor(g.copy()), torch.tensor(g)
        opt.step()
        topt.step()
        for p, t in zip(ours, theirs, strict=True):
            assert p.dtype == np.float32
            np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert int(opt.state[0]["step"]) == 10 and int(opt.state[1]["step"]) == 10 - 3


def test_hand_worked_first_step_moves_each_element_by_lr_against_its_gradient_sign():
    # after bias correction m = g and sqrt(v) = |g|: the step is lr * g / (|g| + eps)
    p = Parameter(np.array([1.0, 1.0, 1.0]))
    opt = optim.Adam([p], lr=0.1, eps=1e-8)
    g = np.array([3.0, -0.5, 1e-3])
    p.grad = Tensor(g)
    opt.step()
    np.testing.assert_allclose(p.numpy(), 1.0 - 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adamw_decays_the_weights_themselves_and_adam_adds_the_decay_to_the_gradient():
    # a zero gradient: AdamW still shrinks p by (1 - lr * wd); Adam's L2 term becomes the
    # gradient, so its first step is a full lr step towards zero
    a, b = Parameter(np.array([2.0])), Parameter(np.array([2.0]))
    adamw = optim.AdamW([a], lr=0.1, weight_decay=0.5)
    adam = optim.Adam([b], lr=0.1, weight_decay=0.5)
    a.grad, b.grad = Tensor(np.zeros(1)), Tensor(np.zeros(1))
    adamw.step()
    adam.step()
    np.testing.assert_allclose(a.numpy(), [2.0 * (1 - 0.1 * 0.5)], rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), [2.0 - 0.1], rtol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_defaults_are_pytorchs(name):
    ours = getattr(optim, name)([Parameter(np.ones(1))]).defaults
    theirs = getattr(torch.optim, name)([torch.ones(1, requires_grad=True)]).defaults
    for key in ("lr", "eps", "weight_decay"):
        assert ours[key] == theirs[key], key
    assert tuple(ours["betas"]) == tuple(theirs["betas"])


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
@pytest.mark.parametrize(
    "kwargs",
    [
        dict(lr=-1e-3),
        dict(eps=-1e-8),
        dict(weight_decay=-0.1),
        dict(betas=(-0.1, 0.999)),
        dict(betas=(0.9, 1.0)),
    ],
)
def test_bad_hyper_parameters_are_refused_naming_the_optimizer(name, kwargs):
    with pytest.raises(ValueError, match=rf"^{name}: need lr, eps, weight_decay >= 0 and betas"):
        getattr(optim, name)([Parameter(np.ones(1))], **kwargs)
