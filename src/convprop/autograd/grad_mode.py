"""Grad mode, as PyTorch's: no_grad, enable_grad, set_grad_enabled and inference_mode, as
context managers and as decorators, and is_grad_enabled.

The mode is per thread (a thread inside no_grad never turns recording off for another),
and each manager saves the mode it replaced on a stack of its own, so one decorator
instance on a recursive function restores every level correctly.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set(enabled: bool) -> None:
    _state.enabled = enabled


class _GradMode:
    """Sets grad mode to `self.mode` inside; restores what it found, per entry."""

    mode: bool

    def __init__(self) -> None:
        self._saved = threading.local()

    def _stack(self) -> list[bool]:
        stack: list[bool] | None = getattr(self._saved, "stack", None)
        if stack is None:
            stack = self._saved.stack = []
        return stack

    def __enter__(self) -> None:
        self._stack().append(is_grad_enabled())
        _set(self.mode)

    def __exit__(self, *exc: object) -> None:
        _set(self._stack().pop())

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Within this context (or a function it decorates) operations record no graph."""

    mode = False


class enable_grad(_GradMode):
    """Recording on again inside, e.g. within a no_grad region."""

    mode = True


class set_grad_enabled(_GradMode):
    """set_grad_enabled(mode): recording on or off; called alone it sets the mode, as
    torch.set_grad_enabled(False) does, and as a context it restores the previous one."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise ValueError(f"set_grad_enabled: mode must be a bool, got {mode!r}")
        super().__init__()
        self.mode = mode
        self._before = is_grad_enabled()
        _set(mode)

    def __enter__(self) -> None:
        self._stack().append(self._before)
        _set(self.mode)


class inference_mode(_GradMode):
    """inference_mode(mode=True): no recording inside (convprop's no_grad: no graph, no
    saved state), as torch.inference_mode."""

    def __init__(self, mode: bool = True) -> None:
        if not isinstance(mode, bool):
            raise ValueError(f"inference_mode: mode must be a bool, got {mode!r}")
        super().__init__()
        self.mode = not mode
