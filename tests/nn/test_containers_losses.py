"""Identity, ModuleList, ModuleDict and the loss modules (nn/containers.py, nn/losses.py)
against PyTorch: the same state_dict keys, the same losses and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convprop import Tensor, nn


def _build(lib):  # type: ignore[no-untyped-def]
    class Net(lib.Module):
        def __init__(self):  # type: ignore[no-untyped-def]
            super().__init__()
            self.blocks = lib.ModuleList([lib.Linear(3, 4), lib.Linear(4, 4)])
            self.heads = lib.ModuleDict({"a": lib.Linear(4, 2), "b": lib.Identity()})
            self.blocks.append(lib.Linear(4, 4))

        def forward(self, x):  # type: ignore[no-untyped-def]
            for block in self.blocks:
                x = block(x)
            return self.heads["a"](self.heads["b"](x))

    return Net()


def test_containers_register_children_with_pytorchs_keys():
    ours, theirs = _build(nn), _build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(
        ours(Tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,  # float32: one rounding apart near zero
    )
    assert len(ours.blocks) == 3 and isinstance(ours.blocks[-1], nn.Linear)
    assert len(ours.blocks[1:]) == 2 and "a" in ours.heads and list(ours.heads) == ["a", "b"]
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        ours.blocks[3]
    with pytest.raises(ValueError, match="int is not a Module subclass"):
        ours.blocks.append(3)


LOSSES = {
    "CrossEntropyLoss": ({}, "labels"),
    "CrossEntropyLoss sum smoothed": ({"reduction": "sum", "label_smoothing": 0.1}, "labels"),
    "NLLLoss none": ({"reduction": "none"}, "labels"),
    "MSELoss": ({}, "values"),
}


@pytest.mark.parametrize("name", LOSSES)
def test_loss_modules_match_pytorch(name):
    kwargs, kind = LOSSES[name]
    cls = name.split()[0]
    rng = np.random.default_rng(1)
    x0 = rng.standard_normal((6, 4))
    target = rng.integers(0, 4, 6) if kind == "labels" else rng.standard_normal((6, 4))
    results = []
    for lib, make in ((nn, Tensor), (torch.nn, torch.tensor)):
        x = make(x0.copy(), requires_grad=True)
        loss = getattr(lib, cls)(**kwargs)(x, make(target))
        loss.sum().backward()
        results.append((np.asarray(loss.detach()), np.asarray(x.grad)))
    for ours, theirs in zip(*results, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_loss_arguments_convprop_lacks_are_refused():
    with pytest.raises(ValueError, match=r"weight=.* is not supported"):
        nn.CrossEntropyLoss(weight=Tensor(np.ones(3)))
    with pytest.raises(ValueError, match="ignore_index=0 is not supported"):
        nn.NLLLoss(ignore_index=0)
    with pytest.raises(ValueError, match="reduce=False is not supported"):
        nn.MSELoss(reduce=False)
    with pytest.raises(ValueError, match="avg is not a valid value for reduction"):
        nn.MSELoss(reduction="avg")
