"""Ctrl-C during training is never lost.

Python raises KeyboardInterrupt at whatever Python code runs when the signal arrives, and
that can be code a C extension calls and whose exception it clears (Numba's dispatcher
types its arguments that way): the interrupt then vanishes and training runs on (seen in
CI: `convprop train` ran all its epochs after a Ctrl-C and exited 0). So while fit()
runs, SIGINT also leaves a mark, and each training step ends by checking it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_pending = False


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _pending
    _pending = True
    raise KeyboardInterrupt


@contextmanager
def kept() -> Iterator[None]:
    """SIGINT marks itself while the block runs (from the main thread, where Python's own
    handler is installed; elsewhere nothing changes)."""
    global _pending
    mine = threading.current_thread() is threading.main_thread() and (
        signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )
    if not mine:
        yield
        return
    _pending = False
    signal.signal(signal.SIGINT, _on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _pending = False


def check() -> None:
    """Raise the KeyboardInterrupt a Ctrl-C asked for, if something swallowed it."""
    if _pending:
        raise KeyboardInterrupt
