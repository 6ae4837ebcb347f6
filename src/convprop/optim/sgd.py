"""Stochastic gradient descent: momentum, dampening, Nesterov, weight decay (PyTorch's rule)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..kernels import jit
from .optimizer import Optimizer, fusable

_fused_sgd = jit.lazy("fused", "sgd")


class SGD(Optimizer):
    """g = grad + weight_decay * p
    buf = g (first step) or momentum * buf + (1 - dampening) * g
    g = g + momentum * buf (nesterov) or buf;   p -= lr * g
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(
                f"SGD: lr, momentum and weight_decay must be >= 0, "
                f"got {lr}, {momentum}, {weight_decay}"
            )
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def _update(
        self, p: Any, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum, buf = group["momentum"], state.get("momentum_buffer")
        if fusable(p.array, grad, *(() if buf is None else (buf,))):
            first = bool(momentum) and buf is None
            if first:
                buf = state["momentum_buffer"] = np.empty_like(p.array)
            flat = (a.reshape(-1) for a in (p.array, grad, p.array if buf is None else buf))
            hyper = (group["lr"], momentum, group["dampening"], group["weight_decay"])
            _fused_sgd(*flat, *hyper, group["nesterov"], first)  # the lines below, one pass
            return
        g = grad + group["weight_decay"] * p.array if group["weight_decay"] else grad
        if momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            buf = state["momentum_buffer"]
            g = g + momentum * buf if group["nesterov"] else buf
        p.array -= (group["lr"] * g).astype(p.dtype, copy=False)
