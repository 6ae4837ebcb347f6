"""Adam and AdamW with PyTorch's update rules, bias corrections included."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..kernels import jit
from .optimizer import Optimizer, fusable

_fused_adam = jit.lazy("fused", "adam")


class Adam(Optimizer):
    """m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  t += 1
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    weight_decay adds weight_decay * p to g (L2); AdamW decays p directly instead.
    """

    decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(
                f"{type(self).__name__}: need lr, eps, weight_decay >= 0 and betas in [0, 1), got "
                f"lr={lr}, betas={betas}, eps={eps}, weight_decay={weight_decay}"
            )
        super().__init__(
            params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        )

    def _update(
        self, p: Any, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, (b1, b2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if "step" not in state:
            state["step"] = np.array(0)
            state["exp_avg"] = np.zeros_like(p.array)
            state["exp_avg_sq"] = np.zeros_like(p.array)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if fusable(p.array, grad, m, v):
            state["step"] += 1
            flat = (a.reshape(-1) for a in (p.array, grad, m, v))
            step = int(state["step"])
            _fused_adam(*flat, lr, (b1, b2), eps, wd, self.decoupled, step)  # below, one pass
            return
        if wd and self.decoupled:
            p.array *= 1 - lr * wd
        elif wd:
            grad = grad + wd * p.array
        state["step"] += 1
        t = int(state["step"])
        m += (1 - b1) * (grad - m)  # PyTorch's lerp form of b1 m + (1-b1) g
        v *= b2
        v += (1 - b2) * grad * grad
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        p.array -= (lr / (1 - b1**t) * m / denom).astype(p.dtype, copy=False)


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
