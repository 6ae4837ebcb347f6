"""Making tensors with PyTorch's names, arguments and default dtypes: tensor, as_tensor,
from_numpy, zeros, ones, empty, full, arange, linspace, eye, rand, randn, randint,
randperm and the *_like forms.

Defaults follow PyTorch: Python floats make float32, ints int64, bools bool; zeros, ones,
empty, rand, randn, linspace and eye are float32; randint and randperm int64. Random
values come from convprop's generator (convprop.manual_seed) or a `generator=`
(convprop.Generator): the same seed gives the same values in convprop, not PyTorch's.
Only the CPU is accepted as device; `empty` is zero-filled (NumPy's empty would hand back
whatever the memory held).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import devices, dtypes, rng
from .autograd import Tensor


def _size(op: str, size: tuple[Any, ...]) -> tuple[int, ...]:
    """zeros(2, 3), zeros((2, 3)) and zeros([2, 3]) alike; every size an int >= 0."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in size):
        raise ValueError(f"{op}: size must be ints, got {size!r}")
    if any(n < 0 for n in size):
        raise ValueError(f"{op}: negative dimension in size {tuple(size)}")
    return tuple(int(n) for n in size)


def _made(op: str, array: np.ndarray, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    if device is not None:
        devices.as_device(op, device)
    if dtype is not None:
        array = array.astype(dtypes.as_dtype(op, dtype), copy=False)
    return Tensor(array, requires_grad=requires_grad)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of data (floats float32, ints int64, as PyTorch)."""
    if isinstance(data, (Tensor, np.ndarray, np.generic)):  # an array keeps its dtype
        array = np.array(data.array if isinstance(data, Tensor) else data, copy=True)
    else:  # Python data: Tensor's defaults (floats float32, ints int64), a new array
        array = Tensor(data).array
    return _made("tensor", array, dtype, device, requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """data as a tensor, sharing an ndarray's memory where no conversion is needed."""
    if isinstance(data, Tensor) and dtype is None:
        return data
    if isinstance(data, np.ndarray) and dtype is None:
        return Tensor._sharing(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """A tensor sharing ndarray's memory and dtype, as torch.from_numpy."""
    if not isinstance(ndarray, np.ndarray):
        raise ValueError(f"from_numpy: expected np.ndarray (got {type(ndarray).__name__})")
    return Tensor._sharing(ndarray)


def _filled(op: str, value: Any) -> Callable[..., Tensor]:
    def make(
        *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        array = np.full(_size(op, size), value, dtype=np.float32)
        return _made(op, array, dtype, device, requires_grad)

    make.__name__ = make.__qualname__ = op
    make.__doc__ = f"{op}(*size, dtype=None, device=None, requires_grad=False): float32 {value}s."
    return make


zeros, ones, empty = _filled("zeros", 0.0), _filled("ones", 1.0), _filled("empty", 0.0)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """size filled with fill_value; the dtype follows the value (float32, int64 or bool)."""
    kind = Tensor(fill_value).dtype if dtype is None else dtypes.as_dtype("full", dtype)
    array = np.full(_size("full", (size,)), fill_value, dtype=kind)
    return _made("full", array, None, device, requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """[start, end) by step; int64 when every bound is an int, else float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    array = np.arange(start, end, step, dtype=np.int64 if ints else np.float64)
    return _made(
        "arange", array.astype(array.dtype if ints else np.float32), dtype, device, requires_grad
    )


def linspace(
    start: float,
    end: float,
    steps: int,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"linspace: number of steps must be a non-negative int, got {steps!r}")
    array = np.linspace(start, end, steps).astype(np.float32)
    return _made("linspace", array, dtype, device, requires_grad)


def eye(
    n: int,
    m: int | None = None,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    size = _size("eye", (n, n if m is None else m))
    return _made("eye", np.eye(*size, dtype=np.float32), dtype, device, requires_grad)


def _random(op: str, draw: str, doc: str) -> Callable[..., Tensor]:
    def make(
        *size: Any,
        generator: rng.Generator | None = None,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        stream = rng.stream(generator)
        array = getattr(stream, draw)(_size(op, size), dtype=np.float32)
        return _made(op, array, dtype, device, requires_grad)

    make.__name__ = make.__qualname__ = op
    make.__doc__ = doc
    return make


rand = _random("rand", "random", "rand(*size, generator=None, ...): uniform on [0, 1), float32.")
randn = _random("randn", "standard_normal", "randn(*size, generator=None, ...): N(0, 1), float32.")


def randint(
    *args: Any,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
    size: Any = None,
) -> Tensor:
    """randint(high, size) or randint(low, high, size): integers in [low, high), int64."""
    if size is not None:
        args = (*args, size)
    if len(args) == 2:
        args = (0, *args)
    if len(args) != 3:
        raise ValueError("randint: expected randint(high, size) or randint(low, high, size)")
    low, high, shape = args
    if high <= low:
        raise ValueError(f"randint: low must be less than high, got {low} >= {high}")
    array = rng.stream(generator).integers(low, high, _size("randint", (shape,)), dtype=np.int64)
    return _made("randint", array, dtype, device, requires_grad)


def randperm(
    n: int,
    *,
    generator: rng.Generator | None = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """A random permutation of 0 .. n-1, int64."""
    _size("randperm", (n,))
    return _made(
        "randperm",
        rng.stream(generator).permutation(n).astype(np.int64),
        dtype,
        device,
        requires_grad,
    )


def _like(op: str, make: Callable[..., Tensor]) -> Callable[..., Tensor]:
    def like(input: Tensor, *, dtype: Any = None, **kwargs: Any) -> Tensor:
        out = make(tuple(input.shape), **kwargs)
        kind = input.dtype if dtype is None else dtype
        return _made(op, out.array, kind, None, out.requires_grad)

    like.__name__ = like.__qualname__ = op
    like.__doc__ = f"{op}(input, ...): as {make.__name__}, with input's shape and dtype."
    return like


zeros_like, ones_like = _like("zeros_like", zeros), _like("ones_like", ones)
empty_like, rand_like = _like("empty_like", empty), _like("rand_like", rand)
randn_like = _like("randn_like", randn)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, **kwargs: Any) -> Tensor:
    kind = input.dtype if dtype is None else dtype
    return full(tuple(input.shape), fill_value, dtype=kind, **kwargs)
