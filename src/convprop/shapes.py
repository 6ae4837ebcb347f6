"""Shape arithmetic: the one output-size function, argument normalisation and shape errors.

Every operation in convprop asks this module for its geometry, so the course's formula

    W2 = (W1 - F + 2P) / S + 1        (with dilation D, F becomes D*(F-1) + 1)

is written exactly once, and every invalid configuration is rejected here with a
``ValueError`` that names the operation, the rule broken and the actual shapes.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from .memo import memoized

Pair = tuple[int, int]
PaddingArg = int | tuple[int, int] | tuple[tuple[int, int], tuple[int, int]] | str
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int | tuple[int, int] = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Number of window positions along one dimension.

    ``floor((W1 + P_before + P_after - D*(F-1) - 1) / S) + 1``, which for D = 1 and
    symmetric padding P is the course's ``(W1 - F + 2P)/S + 1``. With ``ceil_mode`` the
    division rounds up, but (PyTorch's rule) the last window must start inside the
    input or its leading padding, so a window larger than the padded input still gets
    one position. The result may be < 1; callers turn that into an error.
    """
    before, after = (padding, padding) if isinstance(padding, int) else padding
    span = size + before + after - dilation * (kernel - 1) - 1  # negative: window too large
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + before:
        out -= 1
    return out


def fmt(shape: tuple[int, ...]) -> str:
    """(8, 3, 32, 32), the way shapes are written in every error message."""
    return str(tuple(int(s) for s in shape))


def as_int(op: str, name: str, value: Any, minimum: int) -> int:
    """An integer argument >= minimum; bools and floats are rejected, NumPy ints accepted."""
    if isinstance(value, bool):
        raise ValueError(f"{op}: {name} must be an integer, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise ValueError(f"{op}: {name} must be an integer, got {value!r}") from None
    if result < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {result}")
    return result


def as_pair(op: str, name: str, value: Any, minimum: int) -> Pair:
    """An int or a pair of ints, as PyTorch's _pair, each >= minimum."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{op}: {name} must be an int or a pair, got {value!r}")
        return (as_int(op, name, value[0], minimum), as_int(op, name, value[1], minimum))
    v = as_int(op, name, value, minimum)
    return (v, v)


@contextmanager
def shapes_in_errors(shapes: str) -> Iterator[None]:
    """Append the actual shapes to an argument error raised inside (stride=0 and the like)."""
    try:
        yield
    except ValueError as e:
        raise ValueError(f"{e}; {shapes}") from None


def check_array(op: str, name: str, a: Any, ndim: int, layout: str) -> np.ndarray:
    """A floating NumPy array of the given ndim, else a ValueError naming its shape."""
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{op}: {name} must be a NumPy array, got {type(a).__name__}")
    if a.ndim != ndim:
        raise ValueError(f"{op}: {name} must be {ndim}-D {layout}, got shape {fmt(a.shape)}")
    if a.dtype not in FLOAT_DTYPES:
        raise ValueError(
            f"{op}: {name} must be float32 or float64, got {a.dtype} with shape {fmt(a.shape)}"
        )
    return a


def check_same_dtype(op: str, **arrays: np.ndarray | None) -> None:
    """All given arrays share one dtype; mixing float32 and float64 is an error, not a cast."""
    present = {k: a for k, a in arrays.items() if a is not None}
    dtypes = {a.dtype for a in present.values()}
    if len(dtypes) > 1:
        parts = ", ".join(f"{k} {a.dtype} {fmt(a.shape)}" for k, a in present.items())
        raise ValueError(f"{op}: arrays must share one dtype, got {parts}")


def resolve_padding(
    op: str, padding: PaddingArg, kernel: Pair, stride: Pair, dilation: Pair
) -> tuple[Pair, Pair]:
    """Padding as ((top, bottom), (left, right)).

    Accepts an int, a pair (rows, columns), explicit per-side pairs
    ((top, bottom), (left, right)), "valid" (none) or "same" (stride 1 only, as in
    PyTorch; for an even effective kernel the extra row/column goes after, as PyTorch does).
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{op}: padding='same' requires stride 1 (as in PyTorch), got stride {stride}"
                )
            sides = []
            for k, d in zip(kernel, dilation, strict=True):
                total = d * (k - 1)
                sides.append((total // 2, total - total // 2))
            return (sides[0], sides[1])
        raise ValueError(
            f"{op}: padding must be an int, a pair, 'valid' or 'same', got {padding!r}"
        )
    if (
        isinstance(padding, (tuple, list))
        and len(padding) == 2
        and all(isinstance(p, (tuple, list)) for p in padding)
    ):
        rows, cols = (as_pair(op, "padding", p, 0) for p in padding)
        return (rows, cols)
    ph, pw = as_pair(op, "padding", padding, 0)
    return ((ph, ph), (pw, pw))


@dataclass(frozen=True)
class ConvGeometry:
    """Everything a convolution kernel needs to know, validated once.

    x: (N, C_in, H, W); weight: (C_out, C_in/groups, kH, kW); y: (N, C_out, Ho, Wo).
    ``pad`` is ((top, bottom), (left, right)). Ho and Wo are stored, not recomputed,
    because conv_transpose2d's output_padding can make them smaller than the formula.
    """

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    size: Pair
    kernel: Pair
    stride: Pair
    pad: tuple[Pair, Pair]
    dilation: Pair
    out_size: Pair

    @property
    def padded_size(self) -> Pair:
        (t, b), (l, r) = self.pad
        return (self.size[0] + t + b, self.size[1] + l + r)

    @property
    def dilated_kernel(self) -> Pair:
        """The span of one window: D*(F-1) + 1 per dimension."""
        return (
            self.dilation[0] * (self.kernel[0] - 1) + 1,
            self.dilation[1] * (self.kernel[1] - 1) + 1,
        )

    @property
    def x_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.in_channels, *self.size)

    @property
    def y_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.out_channels, *self.out_size)

    @property
    def w_shape(self) -> tuple[int, int, int, int]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel)


@memoized
def conv2d_geometry(
    op: str,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
) -> ConvGeometry:
    """Validate a conv2d configuration and compute its output size."""
    shapes = f"input {fmt(x_shape)}, weight {fmt(w_shape)}"
    n, c, h, w = x_shape
    c_out, c_per_group, kh, kw = w_shape
    with shapes_in_errors(shapes):
        s = as_pair(op, "stride", stride, 1)
        d = as_pair(op, "dilation", dilation, 1)
        g = as_int(op, "groups", groups, 1)
        pad = resolve_padding(op, padding, (kh, kw), s, d)
    if min(c, h, w) < 1 or min(c_out, c_per_group, kh, kw) < 1:
        raise ValueError(f"{op}: channels, height, width and kernel must be non-empty; {shapes}")
    if c_per_group * g != c:
        raise ValueError(
            f"{op}: input has {c} channels but weight expects {c_per_group * g} "
            f"(groups={g}); {shapes}"
        )
    if c_out % g:
        raise ValueError(
            f"{op}: out_channels ({c_out}) must be divisible by groups ({g}); {shapes}"
        )
    out = tuple(
        output_size(size, k, st, p, dl)
        for size, k, st, p, dl in zip((h, w), (kh, kw), s, pad, d, strict=True)
    )
    if min(out) < 1:
        (t, b), (l, r) = pad
        raise ValueError(
            f"{op}: the dilated kernel {d[0] * (kh - 1) + 1}x{d[1] * (kw - 1) + 1} is larger than "
            f"the padded input {h + t + b}x{w + l + r} (kernel {kh}x{kw}, dilation {d}, "
            f"padding {pad}); {shapes}"
        )
    return ConvGeometry(n, c, c_out, g, (h, w), (kh, kw), s, pad, d, (out[0], out[1]))


def pool_stride(op: str, stride: Any, kernel: Pair) -> Pair:
    """Pooling's stride: the kernel size when None (or PyTorch's empty list), as PyTorch."""
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return kernel
    return as_pair(op, "stride", stride, 1)


@dataclass(frozen=True)
class PoolGeometry:
    """A pooling window: x (N, C, H, W) -> y (N, C, Ho, Wo).

    ``pad`` is ((top, bottom), (left, right)) with bottom/right extended when ceil_mode
    lets the last window hang past the padded input.
    """

    size: Pair
    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out_size: Pair

    @property
    def pad(self) -> tuple[Pair, Pair]:
        sides = []
        for n, k, s, p, d, o in zip(
            self.size,
            self.kernel,
            self.stride,
            self.padding,
            self.dilation,
            self.out_size,
            strict=True,
        ):
            reach = (o - 1) * s + d * (k - 1) + 1  # rows the last window touches, from -p
            sides.append((p, max(p, reach - n - p)))
        return (sides[0], sides[1])


@memoized
def pool2d_geometry(
    op: str,
    x_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> PoolGeometry:
    """Validate a 2-D pooling configuration and compute its output size."""
    with shapes_in_errors(f"input {fmt(x_shape)}"):
        k = as_pair(op, "kernel_size", kernel_size, 1)
        s = pool_stride(op, stride, k)
        p = as_pair(op, "padding", padding, 0)
        d = as_pair(op, "dilation", dilation, 1)
    h, w = x_shape[-2:]
    if min(x_shape[1:]) < 1:
        raise ValueError(f"{op}: channels, height and width must be non-empty, got {fmt(x_shape)}")
    for pi, ki in zip(p, k, strict=True):
        if 2 * pi > ki:
            raise ValueError(
                f"{op}: padding must be at most half the kernel size (PyTorch's rule), got "
                f"padding {p} for kernel_size {k}; input {fmt(x_shape)}"
            )
    out = tuple(
        output_size(n, ki, si, pi, di, bool(ceil_mode))
        for n, ki, si, pi, di in zip((h, w), k, s, p, d, strict=True)
    )
    if min(out) < 1:
        raise ValueError(
            f"{op}: the window (kernel {k}, dilation {d}) is larger than the padded input "
            f"{h + 2 * p[0]}x{w + 2 * p[1]} (padding {p}); input {fmt(x_shape)}"
        )
    for n, ki, si, pi, di, oi in zip((h, w), k, s, p, d, out, strict=True):
        taps = (np.arange(oi) * si - pi)[:, None] + np.arange(ki) * di
        if not ((taps >= 0) & (taps < n)).any(axis=1).all():
            raise ValueError(
                f"{op}: a window (kernel {k}, stride {s}, padding {p}, dilation {d}) falls "
                f"entirely in the padding, so it has no input to pool; input {fmt(x_shape)}"
            )
    return PoolGeometry((h, w), k, s, p, d, (out[0], out[1]))


@memoized
def conv_transpose2d_geometry(
    op: str,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
) -> ConvGeometry:
    """The geometry of the conv2d whose input-gradient conv_transpose2d computes.

    x: (N, C_in, H, W), weight: (C_in, C_out/groups, kH, kW). The transposed output is
    Ho' = (H-1)*S - 2P + D*(F-1) + output_padding + 1; the returned geometry maps that
    (N, C_out, Ho', Wo') "input" to an (N, C_in, H, W) "output".
    """
    shapes = f"input {fmt(x_shape)}, weight {fmt(w_shape)}"
    n, c_in, h, w = x_shape
    w_in, c_out_per_group, kh, kw = w_shape
    with shapes_in_errors(shapes):
        s = as_pair(op, "stride", stride, 1)
        d = as_pair(op, "dilation", dilation, 1)
        g = as_int(op, "groups", groups, 1)
        p = as_pair(op, "padding", padding, 0)
        op_pad = as_pair(op, "output_padding", output_padding, 0)
    if min(c_in, h, w) < 1 or min(c_out_per_group, kh, kw) < 1:
        raise ValueError(f"{op}: channels, height, width and kernel must be non-empty; {shapes}")
    if w_in != c_in:
        raise ValueError(f"{op}: input has {c_in} channels but weight expects {w_in}; {shapes}")
    if c_in % g:
        raise ValueError(f"{op}: in_channels ({c_in}) must be divisible by groups ({g}); {shapes}")
    for o, si, di in zip(op_pad, s, d, strict=True):
        if o >= max(si, di):
            raise ValueError(
                f"{op}: output_padding must be smaller than either stride or dilation, got "
                f"output_padding {op_pad}, stride {s}, dilation {d}; {shapes}"
            )
    out = [
        (n_ - 1) * si - 2 * pi + di * (ki - 1) + oi + 1
        for n_, si, pi, di, ki, oi in zip((h, w), s, p, d, (kh, kw), op_pad, strict=True)
    ]
    if min(out) < 1:
        raise ValueError(
            f"{op}: output size {out[0]}x{out[1]} is not positive (padding {p} too large); {shapes}"
        )
    return ConvGeometry(
        batch=n,
        in_channels=c_out_per_group * g,
        out_channels=c_in,
        groups=g,
        size=(out[0], out[1]),
        kernel=(kh, kw),
        stride=s,
        pad=((p[0], p[0]), (p[1], p[1])),
        dilation=d,
        out_size=(h, w),
    )
