"""PyTorch as the oracle of a differentiable op: the same forward and every gradient, the
dtype kept, and no gradient for an input that does not require one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from convprop.autograd import Tensor

from ..helpers import TOLERANCE, max_error
from ..oracle.record import record


def close(ours: np.ndarray, theirs: Any, dtype: Any, what: str) -> None:
    """Same shape, the input's dtype, and equal within the dtype's tolerance."""
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    dtype = np.dtype(dtype)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} vs {theirs.shape}"
    assert ours.dtype == dtype, f"{what}: dtype {ours.dtype}, expected {dtype}"
    err = max_error(ours, theirs)
    record(str(dtype), err)
    assert err <= TOLERANCE[dtype], f"{what}: scaled error {err:.3g} > {TOLERANCE[dtype]:.1g}"


def compare(
    ours: Callable[..., Tensor],
    theirs: Callable[..., torch.Tensor],
    arrays: Sequence[np.ndarray],
    requires: Sequence[bool] | None = None,
    seed: int = 0,
) -> tuple[list[Tensor], list[torch.Tensor]]:
    """Run both on the same arrays, backpropagate the same random gradient, compare the
    output and each input's gradient (None where the input requires none)."""
    requires = [True] * len(arrays) if requires is None else list(requires)
    xs = [Tensor(a, requires_grad=r) for a, r in zip(arrays, requires, strict=True)]
    ts = [torch.tensor(a, requires_grad=r) for a, r in zip(arrays, requires, strict=True)]
    y, yt = ours(*xs), theirs(*ts)
    dtype = arrays[0].dtype
    close(y.numpy(), yt, dtype, "output")
    g = np.random.default_rng(seed).standard_normal(y.shape).astype(dtype)
    y.backward(g)
    yt.backward(torch.tensor(g))
    for i, (x, t, r) in enumerate(zip(xs, ts, requires, strict=True)):
        if r:
            assert x.grad is not None, f"input {i}: no gradient"
            close(x.grad, t.grad, arrays[i].dtype, f"gradient of input {i}")
        else:
            assert x.grad is None, f"input {i} requires no gradient but got one"
    return xs, ts
