"""Optimizer: parameter groups, per-parameter state, zero_grad and a saveable state_dict."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..autograd import Parameter
from ..kernels import jit


def fusable(p: np.ndarray, *arrays: np.ndarray) -> bool:
    """Whether the compiled one-pass update (kernels/fused.py) takes these arrays: float32 or
    float64 with the compiled kernels on, all of p's dtype and shape, C-contiguous; else
    the optimizer runs its NumPy expression (the same result, bit for bit)."""
    same = all(a.dtype == p.dtype and a.shape == p.shape for a in arrays)
    contiguous = all(a.flags.c_contiguous for a in (p, *arrays))
    return same and contiguous and p.flags.writeable and jit.runs(p.dtype)


class Optimizer:
    """Holds param_groups (dicts with "params" and hyper-parameters, as PyTorch) and the
    state of each parameter (momentum buffers, moments), keyed by its position."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.defaults = defaults
        self.param_groups: list[dict[str, Any]] = []
        for group in groups:
            full = {**defaults, **group, "params": list(group["params"])}
            for p in full["params"]:
                if not isinstance(p, Parameter) and not getattr(p, "requires_grad", False):
                    raise ValueError(
                        f"{type(self).__name__}: can only optimise tensors that require grad"
                    )
            full.setdefault("initial_lr", full["lr"])
            self.param_groups.append(full)
        self.state: dict[int, dict[str, Any]] = {}

    def _indexed(self) -> list[tuple[int, dict[str, Any], Any]]:
        """(position, group, parameter) for every parameter, in a fixed order."""
        out, i = [], 0
        for group in self.param_groups:
            for p in group["params"]:
                out.append((i, group, p))
                i += 1
        return out

    def zero_grad(self, set_to_none: bool = True) -> None:
        for _, _, p in self._indexed():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array[...] = 0

    def step(self) -> None:
        for i, group, p in self._indexed():
            if p.grad is not None:
                self._update(p, p.grad.array, self.state.setdefault(i, {}), group)

    def _update(
        self, p: Any, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters per group and each parameter's state, as plain numbers and arrays."""
        groups = [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]
        state = {
            i: {k: np.array(v, copy=True) for k, v in s.items()} for i, s in self.state.items()
        }
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(groups)} parameter groups saved, "
                f"{len(self.param_groups)} here"
            )
        for mine, saved in zip(self.param_groups, groups, strict=True):
            mine.update({k: v for k, v in saved.items() if k != "params"})
        positions = {i: p for i, _, p in self._indexed()}
        self.state = {}
        for i, s in state_dict["state"].items():
            key = int(i)
            if key not in positions:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: state for parameter {key} unknown"
                )
            self.state[key] = {k: np.array(v, copy=True) for k, v in s.items()}
