"""nn.functional's convolution and pooling for any number of spatial dimensions: one
implementation per family, `dims` a keyword. PyTorch's conv1d ... lp_pool3d are these
functions with dims bound (functional_family.py); the nn modules call them with their own
dims. An unbatched input ((C, L), (C, H, W) or (C, D, H, W)) is accepted wherever
PyTorch accepts it, and gives an unbatched output. The output sizes are shapes.py's
(output_size, transposed_size), computed by the ops in `functions`, never here."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import functions as ops
from ..autograd import Tensor
from ..shapes import (
    MAX_INT,
    ArgumentTypeError,
    as_bool,
    as_int,
    as_tuple,
    fmt,
    pool_stride,
    transposed_size,
)


def op_name(family: str, dims: int) -> str:
    """The PyTorch name of a family's member: ("conv", 2) -> "conv2d"."""
    return f"{family}{dims}d"


def tensor_arg(op: str, name: str, value: Any) -> Tensor:
    """The one place nn.functional turns an argument into a Tensor: a Tensor as it is, a
    NumPy array wrapped (its dtype kept, for the kernels to judge); anything else (None, a
    string, a number, a list) an ArgumentTypeError (a TypeError, as PyTorch's) naming the
    function and the argument. Two isinstance checks: no pass over the data."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray):
        return Tensor(value)
    raise ArgumentTypeError(
        f"{op}: {name} must be a Tensor or a NumPy array, got {type(value).__name__}"
    )


def _present(op: str, x: Tensor, weight: Any, bias: Any) -> tuple[Tensor, ...]:
    """(x, weight) and the bias where one is given, each checked by tensor_arg."""
    w = tensor_arg(op, "weight", weight)
    return (x, w) if bias is None else (x, w, tensor_arg(op, "bias", bias))


def _batched(op: str, input: Any, dims: int) -> tuple[Tensor, bool]:
    """(input with a batch axis, whether one was added), or a ValueError naming the shapes."""
    input = tensor_arg(op, "input", input)
    if input.ndim == dims + 2:
        return input, False
    if input.ndim == dims + 1:
        return input.reshape(1, *input.shape), True
    raise ValueError(
        f"{op}: expected a {dims + 2}-D batched or {dims + 1}-D unbatched input, "
        f"got shape {tuple(input.shape)}"
    )


def _unbatched(y: Tensor, added: bool) -> Tensor:
    return y.reshape(*y.shape[1:]) if added else y


def conv(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    dims: int,
) -> Tensor:
    """Convolution (cross-correlation) over `dims` spatial dimensions: conv{1,2,3}d."""
    op = op_name("conv", dims)
    x, added = _batched(op, input, dims)
    y = ops.Conv.apply(
        *_present(op, x, weight, bias),
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
    )
    return _unbatched(y, added)


def conv_relu(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    *,
    dims: int,
) -> Tensor:
    """relu(conv(...)) as one differentiable op, its bias add and ReLU in one pass
    (nn.Sequential runs each Conv followed by a ReLU so)."""
    op = op_name("conv", dims)
    x, added = _batched(op, input, dims)
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return _unbatched(ops.Conv.apply(*_present(op, x, weight, bias), **options, relu=True), added)


def conv_transpose(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    *,
    dims: int,
) -> Tensor:
    """Transposed convolution, the adjoint of conv: conv_transpose{1,2,3}d."""
    op = op_name("conv_transpose", dims)
    x, added = _batched(op, input, dims)
    y = ops.ConvTranspose.apply(
        *_present(op, x, weight, bias),
        stride=stride,
        padding=padding,
        output_padding=output_padding,
        groups=groups,
        dilation=dilation,
    )
    return _unbatched(y, added)


def max_pool(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
    *,
    ties: str = "first",
    dims: int,
) -> Any:
    """Max pooling; ties: who gets a tied window's gradient: max_pool{1,2,3}d."""
    op = op_name("max_pool", dims)
    x, added = _batched(op, input, dims)
    return_indices = as_bool(op, "return_indices", return_indices)  # before the work
    y, fn = ops.MaxPool.apply_with(
        x,
        ties=ties,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    assert isinstance(fn, ops.MaxPool)
    y = _unbatched(y, added)
    if not return_indices:
        return y
    indices = fn.indices
    return y, Tensor(indices[0] if added else indices)


def avg_pool(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
    *,
    dilation: Any = 1,
    dims: int,
) -> Tensor:
    """Average pooling (dilation a keyword, not PyTorch's): avg_pool{1,2,3}d."""
    op = op_name("avg_pool", dims)
    x, added = _batched(op, input, dims)
    params = dict(
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        ceil_mode=ceil_mode,
        count_include_pad=count_include_pad,
        dilation=dilation,
    )
    if divisor_override is not None:
        if dims == 1:
            raise ValueError("avg_pool1d: divisor_override is not an argument (as PyTorch)")
        params["divisor_override"] = divisor_override
    return _unbatched(ops.AvgPool.apply(x, **params), added)


def lp_pool(
    input: Tensor,
    norm_type: float,
    kernel_size: Any,
    stride: Any = None,
    ceil_mode: bool = False,
    *,
    dilation: Any = 1,
    absolute: bool = False,
    dims: int,
) -> Tensor:
    """Power-average pooling, (sum x^p)^(1/p) per window: lp_pool{1,2,3}d."""
    op = op_name("lp_pool", dims)
    x, added = _batched(op, input, dims)
    y = ops.LPPool.apply(
        x,
        norm_type=norm_type,
        kernel_size=kernel_size,
        stride=stride,
        ceil_mode=ceil_mode,
        dilation=dilation,
        absolute=absolute,
    )
    return _unbatched(y, added)


def adaptive_avg_pool(input: Tensor, output_size: Any, *, dims: int) -> Tensor:
    """Average over PyTorch's adaptive windows: adaptive_avg_pool{1,2,3}d."""
    x, added = _batched(op_name("adaptive_avg_pool", dims), input, dims)
    return _unbatched(ops.AdaptiveAvgPool.apply(x, output_size=output_size), added)


def adaptive_max_pool(
    input: Tensor, output_size: Any, return_indices: bool = False, *, dims: int
) -> Any:
    """Max over PyTorch's adaptive windows: adaptive_max_pool{1,2,3}d."""
    op = op_name("adaptive_max_pool", dims)
    x, added = _batched(op, input, dims)
    return_indices = as_bool(op, "return_indices", return_indices)  # before the work
    y, fn = ops.AdaptiveMaxPool.apply_with(x, output_size=output_size)
    assert isinstance(fn, ops.AdaptiveMaxPool)
    y = _unbatched(y, added)
    if not return_indices:
        return y
    return y, Tensor(fn.indices[0] if added else fn.indices)


def max_unpool(
    input: Tensor,
    indices: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    output_size: Any = None,
    *,
    dims: int,
) -> Tensor:
    """The partial inverse of max pooling: max_unpool{1,2,3}d."""
    op = op_name("max_unpool", dims)
    x, added = _batched(op, input, dims)
    idx = tensor_arg(op, "indices", indices).array
    idx = idx[None] if added else idx
    size = _unpool_size(op, x.shape[2:], kernel_size, stride, padding, output_size)
    y = ops.MaxUnpool.apply(x, Tensor(idx), output_size=size)
    return _unbatched(y, added)


def _unpool_size(
    op: str, sizes: tuple[int, ...], kernel_size: Any, stride: Any, padding: Any, output: Any
) -> tuple[int, ...]:
    """PyTorch's _unpool_output_size: shapes.transposed_size per axis, or output_size (its
    spatial sizes, or N, C and those), each strictly within a stride of that default."""
    dims = len(sizes)
    k = as_tuple(op, "kernel_size", kernel_size, 1, dims)
    s = pool_stride(op, stride, k)
    p = as_tuple(op, "padding", padding, 0, dims)
    default = tuple(map(transposed_size, sizes, s, p, k))
    if output is None:
        return default
    if not isinstance(output, (tuple, list)):
        raise ArgumentTypeError(f"{op}: output_size must be a tuple of ints, got {output!r}")
    wanted = tuple(as_int(op, "output_size", v, 0) for v in output)
    if len(wanted) == dims + 2:
        wanted = wanted[2:]
    if len(wanted) != dims:
        raise ValueError(f"{op}: output_size must hold {dims} or {dims + 2} sizes, got {output!r}")
    for d, (n, base, step) in enumerate(zip(wanted, default, s, strict=True)):
        if not base - step < n < base + step:
            raise ValueError(
                f"{op}: invalid output_size {output!r} (dim {d} must be between "
                f"{base - step} and {base + step}, exclusive, as PyTorch's); "
                f"input spatial size {fmt(sizes)}"
            )
    return wanted


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """torch.nn.functional.pad: `pad` lists (before, after) pairs from the LAST axis
    backwards, (left, right, top, bottom, front, back); modes constant (value, default 0),
    reflect, replicate and circular pad only spatial axes, of a batched or unbatched input."""
    x = tensor_arg("pad", "input", input)
    if not isinstance(pad, (tuple, list)):
        raise ArgumentTypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    sizes = tuple(as_int("pad", "pad", p, -MAX_INT) for p in pad)  # never truncate 1.5
    if len(sizes) % 2 or not sizes:
        raise ValueError(f"pad: pad must hold (before, after) pairs, got {pad!r}")
    pairs = [(sizes[i], sizes[i + 1]) for i in range(0, len(sizes), 2)][::-1]
    if mode not in ops.PAD_MODES:
        raise ValueError(f"pad: mode must be one of {', '.join(ops.PAD_MODES)}, got {mode!r}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: value applies to mode 'constant' only, got mode {mode!r}")
    if len(pairs) > x.ndim - 1:
        raise ValueError(f"pad: {len(pairs)} padded axes for an input of shape {tuple(x.shape)}")
    lead = x.ndim - len(pairs)  # the axes that are not padded, batch and channels among them
    if lead < 2:  # unbatched, or padding the channel axis: work on a (1, ...) view
        view = x.reshape(*(1,) * (2 - lead), *x.shape)
        y = ops.Pad.apply(view, pads=tuple(pairs), mode=mode, value=value or 0.0)
        return y.reshape(*y.shape[2 - lead :])
    flat = x.reshape(-1, 1, *x.shape[lead:]) if lead > 2 else x
    y = ops.Pad.apply(flat, pads=tuple(pairs), mode=mode, value=value or 0.0)
    return y.reshape(*x.shape[:lead], *y.shape[2:]) if lead > 2 else y
