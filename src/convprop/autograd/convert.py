"""Conversions of Tensors with PyTorch's names: to(device | dtype | tensor), cpu, float,
double, half, long, int, bool, type(dtype), the device property, item, float(t), int(t),
operator.index(t) and tolist. Tensor's class body binds these functions as its methods.

A floating conversion stays in the graph (its gradient is cast back, as PyTorch's); one
to an integer or bool dtype leaves it, its result requiring no gradient. A conversion to
the tensor's own dtype returns the tensor itself, as PyTorch's `to` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import devices, dtypes
from .methods import named

if TYPE_CHECKING:
    from .tensor import Tensor


def _cast(t: Tensor, dtype: np.dtype, copy: bool = False) -> Tensor:
    from . import ops

    if dtype == t.dtype and not copy:
        return t
    if dtype.kind == "f" and t.dtype.kind == "f":
        return ops.Cast.apply(t, dtype=dtype)
    return t._sharing(t.array.astype(dtype))


def to_arguments(op: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """(the dtype named or None, copy) from `to`'s arguments, as PyTorch reads them: a dtype,
    a device, a tensor (its dtype), and the keywords device, dtype, non_blocking, copy and
    memory_format; a device other than the CPU is refused."""
    from .tensor import Tensor

    kwargs = dict(kwargs)
    kwargs.pop("non_blocking", None)  # no transfer to overlap on the CPU
    kwargs.pop("memory_format", None)
    copy = bool(kwargs.pop("copy", False))
    dtype, where = kwargs.pop("dtype", None), kwargs.pop("device", None)
    if kwargs:
        raise ValueError(f"{op}: unexpected keyword arguments {sorted(kwargs)}")
    flags: list[bool] = []  # positional non_blocking, then copy
    for a in args:
        if isinstance(a, bool):
            flags.append(a)
            continue
        is_device = isinstance(a, devices.device) or type(a).__name__ == "device"  # or torch's
        if is_device or (isinstance(a, str) and a not in dtypes.DTYPES):
            if where is not None:
                raise ValueError(f"{op}: received two devices ({where!r} and {a!r})")
            where = a
            continue
        if dtype is not None:
            raise ValueError(f"{op}: received two dtypes ({dtype!r} and {a!r})")
        dtype = a.dtype if isinstance(a, Tensor) else a
    if len(flags) > 2:
        raise ValueError(f"{op}: too many positional arguments {args!r}")
    copy = copy or (len(flags) == 2 and flags[1])
    if where is not None:
        devices.as_device(op, where)
    return (None if dtype is None else dtypes.as_dtype(op, dtype)), copy


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """to(dtype), to(device), to(device, dtype), to(other tensor), and the keywords device,
    dtype, non_blocking and copy, as torch.Tensor.to."""
    dtype, copy = to_arguments("to", args, kwargs)
    return _cast(self, self.dtype if dtype is None else dtype, copy)


def cpu(self: Tensor) -> Tensor:
    return self


def cuda(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    devices.as_device("cuda", "cuda")
    return self  # not reached: as_device refuses


def _caster(name: str, dtype: np.dtype) -> Callable[[Tensor], Tensor]:
    doc = f"Tensor.{name}(): the tensor as {dtype}, as PyTorch's."
    return named(name, doc, lambda self: _cast(self, dtype))


float_, double = _caster("float", dtypes.float32), _caster("double", dtypes.float64)
half, long = _caster("half", dtypes.float16), _caster("long", dtypes.int64)
int_, bool_ = _caster("int", dtypes.int32), _caster("bool", dtypes.bool)


def type_(self: Tensor, dtype: Any = None) -> Any:
    """type(): the type's name, as PyTorch's ('convprop.FloatTensor'); type(dtype): to(dtype)."""
    if dtype is None:
        names = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long"}
        names |= {"int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}
        return f"convprop.{names[str(self.dtype)]}Tensor"
    return _cast(self, dtypes.as_dtype("type", dtype))


def device(self: Tensor) -> devices.device:
    return devices.CPU


def item(self: Tensor) -> Any:
    if self.array.size != 1:
        raise ValueError(
            f"item: a Tensor with {self.array.size} elements cannot be converted to Scalar"
        )
    return self.array.item()


def to_float(self: Tensor) -> float:
    return float(item(self))


def to_int(self: Tensor) -> int:
    return int(item(self))


def index(self: Tensor) -> int:
    """operator.index(t): an integer tensor of one element, as in PyTorch (range(t), x[t])."""
    if self.dtype.kind not in "iub" or self.array.size != 1:
        raise ValueError(
            f"__index__: only integer tensors of a single element can be converted to an "
            f"index, got {self.dtype} of shape {tuple(self.shape)}"
        )
    return int(self.array.item())


def tolist(self: Tensor) -> Any:
    return self.array.tolist()
