"""convprop.accelerator: torch.accelerator's probes; convprop has no accelerator backend."""

from __future__ import annotations


def is_available() -> bool:
    return False


def current_accelerator() -> None:
    """None: no accelerator, as torch.accelerator.current_accelerator() on a CPU machine."""
    return None


def device_count() -> int:
    return 0
