"""The argument checks every nn module constructor shares, so a user's mistake is a
ValueError (or a TypeError for a wrong kind) naming the module class, the rule and the
value, before anything is allocated: sizes are ints in [minimum, 2**31 - 1], groups divide
both channel counts (PyTorch's messages), a parameter's element count is held to
MAX_ELEMENTS, floats are finite, flags are bools. A module's forward converts its input
through `module_input`, nn.functional's tensor_arg under the module's name."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..arguments import MAX_INT, as_bool, as_float, as_int, as_tuple, check_elements
from ..autograd import Tensor
from .functional_nd import tensor_arg
from .module import Parameter

__all__ = [
    "as_bool",
    "as_float",
    "as_int",
    "as_tuple",
    "check_groups",
    "module_input",
    "parameter",
    "pool_arguments",
]


def check_groups(op: str, in_channels: int, out_channels: int, groups: Any) -> int:
    """groups as an int dividing both channel counts, with PyTorch's messages and the values."""
    g = as_int(op, "groups", groups, -MAX_INT)
    if g < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {g}")
    if in_channels % g:
        raise ValueError(
            f"{op}: in_channels must be divisible by groups, got in_channels={in_channels}, "
            f"groups={g}"
        )
    if out_channels % g:
        raise ValueError(
            f"{op}: out_channels must be divisible by groups, got out_channels={out_channels}, "
            f"groups={g}"
        )
    return g


def parameter(op: str, name: str, *shape: int) -> Parameter:
    """A float32 Parameter of zeros, its element count checked against MAX_ELEMENTS first."""
    check_elements(op, name, shape)
    return Parameter(np.zeros(shape, dtype=np.float32))


def pool_arguments(
    op: str, dims: int, kernel_size: Any, stride: Any, padding: Any, dilation: Any = 1
) -> None:
    """A pooling module's window, checked when the module is built (the functional checks
    them again, against the input, on every call): kernel_size and dilation >= 1, stride
    None (the kernel size) or >= 1, padding >= 0; an int or one per spatial dimension."""
    as_tuple(op, "kernel_size", kernel_size, 1, dims)
    if stride is not None and not (isinstance(stride, (tuple, list)) and len(stride) == 0):
        as_tuple(op, "stride", stride, 1, dims)
    as_tuple(op, "padding", padding, 0, dims)
    as_tuple(op, "dilation", dilation, 1, dims)


def module_input(op: str, x: Any) -> Tensor:
    """A module's input as a Tensor (two isinstance checks), else an ArgumentTypeError
    naming the module: None, a string, a number or a list never reaches an attribute."""
    return tensor_arg(op, "input", x)
