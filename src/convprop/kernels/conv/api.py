"""Convolution's checked entry points: the N-d functions, and PyTorch's 1d/2d/3d names made
from them by one table (family.fixed; the table is at the end).

conv, conv_backward, conv_input, conv_weight, conv_transpose and conv_transpose_backward
take any number of spatial dimensions (1 to 3), `dims` from the array when not given,
and name errors after the op they run ("conv2d: ..."). Each is core.py's checks, geometry
and choice of algorithm, then the chosen Algorithm's primitives; the gradient formulas are
written where those compute them (reference.py, im2col.py, batch_inner.py, fft.py,
direct.py, direct_backward.py, winograd.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..family import F, fixed, spatial_dims
from . import core
from .core import Convention
from .select import AlgorithmName

Grads = tuple[np.ndarray, np.ndarray, np.ndarray]


def _dims(family: str, a: Any, dims: int | None) -> tuple[str, int]:
    """(the op's name, e.g. conv2d_backward, and the spatial dimensions: dims, or a's)."""
    if dims is None:
        dims = spatial_dims(a, most=3)
    elif dims not in (1, 2, 3):
        raise ValueError(f"{family.replace('{}d', '')}: dims must be 1, 2 or 3, got {dims!r}")
    return family.format(dims), dims


def conv(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: AlgorithmName = "auto",
    convention: Convention = "correlation",
    dims: int | None = None,
) -> np.ndarray:
    """Convolution over (N, C_in, *size), 1 to 3 spatial dimensions (x.ndim - 2, or dims):
    conv1d, conv2d or conv3d, whose docstrings give the shapes."""
    op, dims = _dims("conv{}d", x, dims)
    args = (stride, padding, dilation, groups, algorithm, convention)
    return core.convolve_planned(op, dims, x, weight, bias, *args)[0]


def conv_backward(
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: AlgorithmName = "auto",
    convention: Convention = "correlation",
    dims: int | None = None,
) -> Grads:
    """(grad_x, grad_weight, grad_bias) of conv, dims from x."""
    op, dims = _dims("conv{}d_backward", x, dims)
    args = (stride, padding, dilation, groups, algorithm, convention)
    return core.convolve_backward(op, dims, grad_y, x, weight, *args)


def conv_input(
    input_size: Any,
    weight: np.ndarray,
    grad_output: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: AlgorithmName = "auto",
    dims: int | None = None,
) -> np.ndarray:
    """Only the input gradient of conv (torch.nn.grad's arguments), dims from weight."""
    op, dims = _dims("conv{}d_input", weight, dims)
    args = (stride, padding, dilation, groups, algorithm)
    return core.input_grad(op, dims, input_size, weight, grad_output, *args)


def conv_weight(
    input: np.ndarray,
    weight_size: Any,
    grad_output: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: AlgorithmName = "auto",
    dims: int | None = None,
) -> np.ndarray:
    """Only the weight gradient of conv (torch.nn.grad's arguments), dims from input."""
    op, dims = _dims("conv{}d_weight", input, dims)
    args = (stride, padding, dilation, groups, algorithm)
    return core.weight_grad(op, dims, input, weight_size, grad_output, *args)


def conv_transpose(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    *,
    algorithm: AlgorithmName = "auto",
    dims: int | None = None,
) -> np.ndarray:
    """Transposed convolution (the adjoint of conv in its input), dims from x."""
    op, dims = _dims("conv_transpose{}d", x, dims)
    args = (stride, padding, output_padding, groups, dilation, algorithm)
    return core.transpose_convolve_planned(op, dims, x, weight, bias, *args)[0]


def conv_transpose_backward(
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    *,
    algorithm: AlgorithmName = "auto",
    dims: int | None = None,
) -> Grads:
    """(grad_x, grad_weight, grad_bias) of conv_transpose, dims from x."""
    op, dims = _dims("conv_transpose{}d_backward", x, dims)
    args = (stride, padding, output_padding, groups, dilation, algorithm)
    return core.transpose_convolve_backward(op, dims, grad_y, x, weight, *args)


CONV = """{n}-D convolution over an {layout} batch (cross-correlation, as PyTorch, by default).

Shape:
    x: (N, C_in, {x}); weight: (C_out, C_in/groups, {k}); bias: (C_out,)
    y: (N, C_out, {y}) with {out} = floor(({size} + 2P - D*({ksize}-1) - 1) / S) + 1,
    the course's (W1 - F + 2P)/S + 1 when D = 1.{likewise}

padding: an int, one per axis, "valid", "same" (stride 1) or one (before, after) pair per
axis. algorithm: "auto", "direct" (the course's loops), "im2col", "batch_inner", "fft",
"numba" (the loops compiled; needs Numba on) or "winograd" (2-D 3x3 stride-1 layers; needs
Numba on); all but winograd support every option. convention="convolution" flips the
filter (the course's true convolution, Y[i,j] = sum X[i-a, j-b] W[a,b] in 2-D).
"""

CONV_BACKWARD = """Gradients of conv{n}d: (grad_x, grad_weight, grad_bias), shaped like x,
weight and (C_out,).

dL/dW is X correlated with dL/dY, dL/dX is dL/dY fully convolved with W, dL/db is dL/dY
summed over all but the channels; in the course's symbols where the loops compute them,
kernels/conv/reference.py.
"""

CONV_INPUT = """Only the input gradient of conv{n}d, for a layer whose weight needs no gradient.

torch.nn.grad.conv{n}d_input's arguments: input_size is x's shape (N, C_in, {x}).
"""

CONV_WEIGHT = """Only the weight gradient of conv{n}d: a network's first layer needs no dL/dX.

torch.nn.grad.conv{n}d_weight's arguments: weight_size is (C_out, C_in/groups, {k}).
"""

CONV_TRANSPOSE = """Transposed {n}-D convolution: the adjoint of conv{n}d in its input (PyTorch's
definition).

Shape:
    x: (N, C_in, {x}); weight: (C_in, C_out/groups, {k}); bias: (C_out,)
    y: (N, C_out, {y}) with
    {out} = ({size}-1)*S - 2P + D*({ksize}-1) + output_padding + 1.{likewise}
"""

CONV_TRANSPOSE_BACKWARD = """Gradients of conv_transpose{n}d: (grad_x, grad_weight, grad_bias).

dL/dx is conv{n}d of dL/dy with W (the transpose of a transpose), dL/dW conv{n}d's weight
gradient with input dL/dy and output gradient x: see core.transpose_planned_backward.
"""


def _family(nd: F, name: str, doc: str) -> tuple[F, F, F]:
    """nd's 1-D, 2-D and 3-D members, named name.format(d)."""
    one, two, three = (fixed(nd, name.format(d), d, doc, __name__) for d in (1, 2, 3))
    return one, two, three


# the table: each N-d function, its members' names and their docstring
conv1d, conv2d, conv3d = _family(conv, "conv{}d", CONV)
conv1d_backward, conv2d_backward, conv3d_backward = _family(
    conv_backward, "conv{}d_backward", CONV_BACKWARD
)
conv1d_input, conv2d_input, conv3d_input = _family(conv_input, "conv{}d_input", CONV_INPUT)
conv1d_weight, conv2d_weight, conv3d_weight = _family(conv_weight, "conv{}d_weight", CONV_WEIGHT)
conv_transpose1d, conv_transpose2d, conv_transpose3d = _family(
    conv_transpose, "conv_transpose{}d", CONV_TRANSPOSE
)
conv_transpose1d_backward, conv_transpose2d_backward, conv_transpose3d_backward = _family(
    conv_transpose_backward, "conv_transpose{}d_backward", CONV_TRANSPOSE_BACKWARD
)
