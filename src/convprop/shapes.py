"""Shape arithmetic: the one output-size function, argument normalisation and shape errors.

Every operation in convprop asks this module for its geometry, so the course's formula

    W2 = (W1 - F + 2P) / S + 1        (with dilation D, F becomes D*(F-1) + 1)

is written exactly once, and every invalid configuration is rejected here with a
``ValueError`` that names the operation, the rule broken and the actual shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# the argument checks every operation uses, re-exported: callers import them from here
from .arguments import FLOAT_DTYPES as FLOAT_DTYPES
from .arguments import MAX_INT as MAX_INT
from .arguments import ArgumentTypeError as ArgumentTypeError
from .arguments import Pair as Pair
from .arguments import as_array as as_array
from .arguments import as_bool as as_bool
from .arguments import as_int as as_int
from .arguments import as_pair as as_pair
from .arguments import as_tuple as as_tuple
from .arguments import check_array as check_array
from .arguments import check_elements as check_elements
from .arguments import check_same_dtype as check_same_dtype
from .arguments import fmt as fmt
from .arguments import shapes_in_errors as shapes_in_errors

PaddingArg = int | str | tuple[Any, ...]  # an int, "same"/"valid", or per-axis ints or pairs


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


def dilated_extent(kernel: int, dilation: int) -> int:
    """The cells one dilated window spans along one dimension: D*(F-1) + 1. The same span
    holds for any taps evenly apart, e.g. O outputs spread by the stride: S*(O-1) + 1."""
    return dilation * (kernel - 1) + 1


def transposed_size(
    size: int, stride: int, padding: int, kernel: int, dilation: int = 1, output_padding: int = 0
) -> int:
    """The transposed convolution's (and max unpooling's) output along one dimension:
    (W1-1)*S - 2P + D*(F-1) + output_padding + 1, the inverse of output_size."""
    return (size - 1) * stride - 2 * padding + dilated_extent(kernel, dilation) + output_padding


def resolve_padding(
    op: str,
    padding: PaddingArg,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> tuple[Pair, ...]:
    """Padding as one (before, after) pair per spatial dimension.

    Accepts an int, one int per dimension, one (before, after) pair per dimension (or a
    mix of ints and pairs: ((top, bottom), (left, right)) in 2-D), "valid" (none) or
    "same" (stride 1 only, as in PyTorch; for an even effective kernel the extra row
    goes after, as PyTorch does).
    """
    dims = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * dims
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(
                    f"{op}: padding='same' requires stride 1 (as in PyTorch), got stride {stride}"
                )
            totals = [dilated_extent(k, d) - 1 for k, d in zip(kernel, dilation, strict=True)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(
            f"{op}: padding must be an int, one per dimension, 'valid' or 'same', got {padding!r}"
        )
    if isinstance(padding, (tuple, list)) and any(isinstance(p, (tuple, list)) for p in padding):
        if len(padding) != dims:
            raise ValueError(
                f"{op}: padding needs one entry per spatial dimension ({dims}), got {padding!r}"
            )
        return tuple(
            as_pair(op, "padding", p, 0)
            if isinstance(p, (tuple, list))
            else (as_int(op, "padding", p, 0),) * 2
            for p in padding
        )
    return tuple((p, p) for p in as_tuple(op, "padding", padding, 0, dims))


@dataclass(frozen=True)
class ConvGeometry:
    """Everything a convolution kernel needs to know, validated once, for any number of
    spatial dimensions (1-D signals, 2-D images, 3-D volumes).

    x: (N, C_in, *size); weight: (C_out, C_in/groups, *kernel); y: (N, C_out, *out_size).
    ``pad`` is one (before, after) pair per dimension: ((top, bottom), (left, right)) in
    2-D. out_size is stored, not recomputed, because conv_transpose's output_padding can
    make it smaller than the formula.
    """

    batch: int
    in_channels: int
    out_channels: int
    groups: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pad: tuple[Pair, ...]
    dilation: tuple[int, ...]
    out_size: tuple[int, ...]

    @property
    def dims(self) -> int:
        return len(self.size)

    @property
    def padded_size(self) -> tuple[int, ...]:
        return tuple(n + b + a for n, (b, a) in zip(self.size, self.pad, strict=True))

    @property
    def dilated_kernel(self) -> tuple[int, ...]:
        """The span of one window: D*(F-1) + 1 per dimension."""
        return tuple(map(dilated_extent, self.kernel, self.dilation))

    @property
    def x_shape(self) -> tuple[int, ...]:
        return (self.batch, self.in_channels, *self.size)

    @property
    def y_shape(self) -> tuple[int, ...]:
        return (self.batch, self.out_channels, *self.out_size)

    @property
    def w_shape(self) -> tuple[int, ...]:
        return (self.out_channels, self.in_channels // self.groups, *self.kernel)


def _times(sizes: tuple[int, ...]) -> str:
    return "x".join(str(v) for v in sizes)


def _split(op: str, x_shape: tuple[int, ...], w_shape: tuple[int, ...]) -> tuple[Any, ...]:
    """(shapes text, dims, x's two leading sizes, spatial size, w's two leading sizes, kernel)."""
    shapes = f"input {fmt(x_shape)}, weight {fmt(w_shape)}"
    dims = len(x_shape) - 2
    if dims < 1 or len(w_shape) != len(x_shape):
        raise ValueError(f"{op}: input and weight need the same number of dimensions; {shapes}")
    return (
        shapes,
        dims,
        x_shape[0],
        x_shape[1],
        tuple(x_shape[2:]),
        w_shape[0],
        w_shape[1],
        tuple(w_shape[2:]),
    )


def conv_geometry(
    op: str,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: Any = 1,
) -> ConvGeometry:
    """Validate a convolution over len(x_shape) - 2 spatial dimensions; its output size."""
    shapes, dims, n, c, size, c_out, c_per_group, kernel = _split(op, x_shape, w_shape)
    with shapes_in_errors(shapes):
        s = as_tuple(op, "stride", stride, 1, dims)
        d = as_tuple(op, "dilation", dilation, 1, dims)
        g = as_int(op, "groups", groups, 1)
        pad = resolve_padding(op, padding, kernel, s, d)
    if min(c, *size) < 1 or min(c_out, c_per_group, *kernel) < 1:
        raise ValueError(f"{op}: channels, sizes and kernel must be non-empty; {shapes}")
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
        output_size(n_, k, st, p, dl)
        for n_, k, st, p, dl in zip(size, kernel, s, pad, d, strict=True)
    )
    if min(out) < 1:
        span = tuple(map(dilated_extent, kernel, d))
        padded = tuple(n_ + b + a for n_, (b, a) in zip(size, pad, strict=True))
        raise ValueError(
            f"{op}: the dilated kernel {_times(span)} is larger than the padded input "
            f"{_times(padded)} (kernel {_times(kernel)}, dilation {d}, padding {pad}); {shapes}"
        )
    return _within_limits(op, ConvGeometry(n, c, c_out, g, size, kernel, s, pad, d, out))


def _within_limits(op: str, g: ConvGeometry) -> ConvGeometry:
    """Refuse a convolution whose padded input or output would exceed MAX_ELEMENTS, before
    any kernel allocates it (a zero-stride view can declare any size)."""
    check_elements(op, "the padded input", (g.batch, g.in_channels, *g.padded_size))
    check_elements(op, "the output", g.y_shape)
    return g


conv2d_geometry = conv_geometry  # the 2-D name the callers and tests know


def pool_stride(op: str, stride: Any, kernel: tuple[int, ...]) -> tuple[int, ...]:
    """Pooling's stride: the kernel size when None (or PyTorch's empty list), as PyTorch."""
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        return kernel
    return as_tuple(op, "stride", stride, 1, len(kernel))


@dataclass(frozen=True)
class PoolGeometry:
    """A pooling window over any number of spatial dimensions: x (N, C, *size) ->
    y (N, C, *out_size); (N, C, H, W) -> (N, C, Ho, Wo) in 2-D.

    ``pad`` is one (before, after) pair per dimension, after extended when ceil_mode lets
    the last window hang past the padded input.
    """

    size: tuple[int, ...]
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    out_size: tuple[int, ...]

    @property
    def pad(self) -> tuple[Pair, ...]:
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
            reach = (o - 1) * s + dilated_extent(k, d)  # cells the last window touches, from -p
            sides.append((p, max(p, reach - n - p)))
        return tuple(sides)


def pool_geometry(
    op: str,
    x_shape: tuple[int, ...],
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> PoolGeometry:
    """Validate a pooling configuration over len(x_shape) - 2 spatial dimensions."""
    dims = len(x_shape) - 2
    with shapes_in_errors(f"input {fmt(x_shape)}"):
        k = as_tuple(op, "kernel_size", kernel_size, 1, dims)
        s = pool_stride(op, stride, k)
        p = as_tuple(op, "padding", padding, 0, dims)
        d = as_tuple(op, "dilation", dilation, 1, dims)
        ceil = as_bool(op, "ceil_mode", ceil_mode)
    size = tuple(x_shape[2:])
    if min(x_shape[1:]) < 1:
        raise ValueError(f"{op}: channels and sizes must be non-empty, got {fmt(x_shape)}")
    for pi, ki in zip(p, k, strict=True):
        if 2 * pi > ki:
            raise ValueError(
                f"{op}: padding must be at most half the kernel size (PyTorch's rule), got "
                f"padding {p} for kernel_size {k}; input {fmt(x_shape)}"
            )
    out = tuple(
        output_size(n, ki, si, pi, di, ceil)
        for n, ki, si, pi, di in zip(size, k, s, p, d, strict=True)
    )
    if min(out) < 1:
        padded = tuple(n + 2 * pi for n, pi in zip(size, p, strict=True))
        raise ValueError(
            f"{op}: the window (kernel {k}, dilation {d}) is larger than the padded input "
            f"{_times(padded)} (padding {p}); input {fmt(x_shape)}"
        )
    check_elements(op, "the output", (*x_shape[:2], *out))
    padded = tuple(n + 2 * pi + si for n, pi, si in zip(size, p, s, strict=True))
    check_elements(op, "the padded input", (*x_shape[:2], *padded))
    for n, ki, si, pi, di, oi in zip(size, k, s, p, d, out, strict=True):
        # only windows starting in the leading padding can miss the input, and only through
        # their first ceil(P/D) + 1 taps: a few rows and columns, whatever the sizes
        rows, cols = min(oi, -(-pi // si)), min(ki, -(-pi // di) + 1)
        taps = (np.arange(rows) * si - pi)[:, None] + np.arange(cols) * di
        if not ((taps >= 0) & (taps < n)).any(axis=1).all():
            raise ValueError(
                f"{op}: a window (kernel {k}, stride {s}, padding {p}, dilation {d}) falls "
                f"entirely in the padding, so it has no input to pool; input {fmt(x_shape)}"
            )
    return PoolGeometry(size, k, s, p, d, out)


pool2d_geometry = pool_geometry  # the 2-D name the callers and tests know


def conv_transpose_geometry(
    op: str,
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: Any = 1,
    dilation: Any = 1,
) -> ConvGeometry:
    """The geometry of the convolution whose input-gradient conv_transpose computes.

    x: (N, C_in, *size), weight: (C_in, C_out/groups, *kernel). The transposed output Ho'
    is transposed_size per dimension; the returned geometry maps that (N, C_out, *Ho')
    "input" to an (N, C_in, *size) "output".
    """
    shapes, dims, n, c_in, size, w_in, c_out_per_group, kernel = _split(op, x_shape, w_shape)
    with shapes_in_errors(shapes):
        s = as_tuple(op, "stride", stride, 1, dims)
        d = as_tuple(op, "dilation", dilation, 1, dims)
        g = as_int(op, "groups", groups, 1)
        p = as_tuple(op, "padding", padding, 0, dims)
        op_pad = as_tuple(op, "output_padding", output_padding, 0, dims)
    if min(c_in, *size) < 1 or min(c_out_per_group, *kernel) < 1:
        raise ValueError(f"{op}: channels, sizes and kernel must be non-empty; {shapes}")
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
    out = tuple(map(transposed_size, size, s, p, kernel, d, op_pad))
    if min(out) < 1:
        raise ValueError(
            f"{op}: output size {_times(out)} is not positive (padding {p} too large); {shapes}"
        )
    return _within_limits(
        op,
        ConvGeometry(
            batch=n,
            in_channels=c_out_per_group * g,
            out_channels=c_in,
            groups=g,
            size=out,
            kernel=kernel,
            stride=s,
            pad=tuple((pi, pi) for pi in p),
            dilation=d,
            out_size=size,
        ),
    )


conv_transpose2d_geometry = conv_transpose_geometry
