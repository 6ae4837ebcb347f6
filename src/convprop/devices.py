"""Devices with PyTorch's names, so scripts that pick a device run unchanged.

convprop computes on the CPU. `device("cuda")` can be named, as in PyTorch (scripts build
it before asking whether CUDA exists), but moving a tensor or a model to it is refused
with a clear error; `cuda.is_available()` and the other probes answer False.
"""

from __future__ import annotations

from typing import Any


class device:
    """A device as PyTorch names one: device("cpu"), device("cuda:0"), device("cuda", 1)."""

    __slots__ = ("index", "type")
    type: str
    index: int | None

    def __init__(self, type: Any, index: Any = None) -> None:
        spec = type
        if isinstance(spec, device):
            spec, index = spec.type, spec.index
        if not isinstance(spec, str):
            raise ValueError(f"device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        name, _, number = spec.partition(":")
        if number:
            if index is not None or not number.isdigit():
                raise ValueError(f"device: invalid device string {spec!r}")
            index = int(number)
        if name not in ("cpu", "cuda", "mps", "xpu", "meta"):
            raise ValueError(f"device: unknown device type {name!r} (convprop runs on 'cpu')")
        self.type, self.index = name, index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


CPU = device("cpu")


def as_device(op: str, value: Any) -> device:
    """A device from a device, a string or a torch.device; only the CPU is accepted."""
    if type(value).__module__.split(".")[0] == "torch":
        value = str(value)
    where = value if isinstance(value, device) else device(value)
    if where.type != "cpu":
        raise ValueError(
            f"{op}: convprop computes on the CPU; there is no {where.type} backend "
            f"(got device {str(where)!r}; convprop.cuda.is_available() is False)"
        )
    return where
