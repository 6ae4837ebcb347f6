"""conv2d and conv_transpose2d with their backwards: validation, bias, convention, dispatch.

Each algorithm module (reference, im2col, fft) provides three primitives on a
validated ConvGeometry:

    conv_forward(x, W)        Y
    conv_grad_input(dY, W)    dL/dX  (the adjoint of the forward in X)
    conv_grad_weight(dY, X)   dL/dW  (the adjoint of the forward in W)

and everything here is built from those three, as JAX's transpose rules do:
conv_transpose2d *is* conv_grad_input, and its gradients are conv_forward and
conv_grad_weight with the roles of input and output swapped.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ..shapes import (
    check_array,
    check_same_dtype,
    conv2d_geometry,
    conv_transpose2d_geometry,
    fmt,
)
from . import chunking
from .select import Algorithm, choose

Convention = Literal["correlation", "convolution"]


def _checked(
    op: str,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    grad_y: np.ndarray | None = None,
) -> None:
    check_array(op, "input", x, 4, "(N, C, H, W)")
    check_array(op, "weight", weight, 4, "(C_out, C_in/groups, kH, kW)")
    if bias is not None:
        check_array(op, "bias", bias, 1, "(C_out,)")
    if grad_y is not None:
        check_array(op, "grad_y", grad_y, 4, "(N, C_out, Ho, Wo)")
    check_same_dtype(op, input=x, weight=weight, bias=bias, grad_y=grad_y)


def _check_bias(op: str, bias: np.ndarray | None, channels: int, weight: np.ndarray) -> None:
    if bias is not None and bias.shape != (channels,):
        raise ValueError(
            f"{op}: bias must have shape ({channels},), one per output channel, got "
            f"{fmt(bias.shape)}; weight {fmt(weight.shape)}"
        )


def _check_grad_y(op: str, grad_y: np.ndarray, expected: tuple[int, ...]) -> None:
    if grad_y.shape != expected:
        raise ValueError(
            f"{op}: grad_y has shape {fmt(grad_y.shape)} but the forward output is {fmt(expected)}"
        )


def _oriented(weight: np.ndarray, convention: str, op: str) -> np.ndarray:
    """The weight the correlation kernels see: W itself, or W rotated 180 degrees for the
    course's true convolution (Y[i,j] = sum X[i-a, j-b] W[a,b] is a correlation with rot180 W)."""
    if convention == "correlation":
        return weight
    if convention == "convolution":
        return weight[:, :, ::-1, ::-1]
    raise ValueError(f"{op}: convention must be 'correlation' or 'convolution', got {convention!r}")


def _add_bias(y: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    if bias is not None:
        y += bias[:, None, None]
    return y


def conv2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: Algorithm = "auto",
    convention: Convention = "correlation",
) -> np.ndarray:
    """2-D convolution over an NCHW batch (cross-correlation, as PyTorch, by default).

    Shape:
        x: (N, C_in, H, W); weight: (C_out, C_in/groups, kH, kW); bias: (C_out,)
        y: (N, C_out, Ho, Wo) with Ho = floor((H + 2P - D*(kH-1) - 1) / S) + 1,
        the course's (W1 - F + 2P)/S + 1 when D = 1. Likewise Wo.

    padding: int, pair, "valid", "same" (stride 1) or ((top, bottom), (left, right)).
    algorithm: "auto", "direct" (the course's loops), "im2col" or "fft"; all support
    every option. convention="convolution" flips the filter (the course's true
    convolution Y[i,j] = sum X[i-a, j-b] W[a,b]).
    """
    op = "conv2d"
    _checked(op, x, weight, bias)
    g = conv2d_geometry(op, x.shape, weight.shape, stride, padding, dilation, groups)
    _check_bias(op, bias, g.out_channels, weight)
    impl = choose(algorithm, g, op, x.dtype)
    y = chunking.forward(impl, x, _oriented(weight, convention, op), g)
    return _add_bias(y, bias)


def conv2d_backward(
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: Algorithm = "auto",
    convention: Convention = "correlation",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of conv2d: (grad_x, grad_weight, grad_bias), shaped like x, weight, (C_out,).

    In the course's symbols (one channel, stride 1, correlation convention):
        dL/dW = X correlated with dL/dY          dL/dW[a,b] = sum_ij dL/dY[i,j] X[i+a, j+b]
        dL/dX = dL/dY fully convolved with W     (= full correlation with the flipped W)
        dL/db = sum of dL/dY over N, H, W
    """
    # dL/dX = dL/dY fully convolved with W; dL/dW = X correlated with dL/dY; dL/db = sum dL/dY
    op = "conv2d_backward"
    _checked(op, x, weight, grad_y=grad_y)
    g = conv2d_geometry(op, x.shape, weight.shape, stride, padding, dilation, groups)
    _check_grad_y(op, grad_y, g.y_shape)
    impl = choose(algorithm, g, op, x.dtype)
    w = _oriented(weight, convention, op)
    grad_x = chunking.grad_input(impl, grad_y, w, g)
    # with the true convolution the kernels saw rot180(W); rotate its gradient back
    grad_w = _oriented(chunking.grad_weight(impl, grad_y, x, g), convention, op)
    grad_b = grad_y.sum(axis=(0, 2, 3))
    return grad_x, np.ascontiguousarray(grad_w), grad_b


def _shape_of(op: str, name: str, size: Any) -> tuple[int, int, int, int]:
    shape = tuple(size)
    if len(shape) != 4 or not all(isinstance(n, (int, np.integer)) and n >= 0 for n in shape):
        raise ValueError(f"{op}: {name} must be four non-negative ints, got {size!r}")
    return (int(shape[0]), int(shape[1]), int(shape[2]), int(shape[3]))


def conv2d_input(
    input_size: Any,
    weight: np.ndarray,
    grad_output: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: Algorithm = "auto",
) -> np.ndarray:
    # dL/dX = dL/dY fully convolved with W (torch.nn.grad.conv2d_input's arguments)
    """Only the input gradient of conv2d, for a layer whose weight needs no gradient."""
    op = "conv2d_input"
    check_array(op, "weight", weight, 4, "(C_out, C_in/groups, kH, kW)")
    check_array(op, "grad_output", grad_output, 4, "(N, C_out, Ho, Wo)")
    check_same_dtype(op, weight=weight, grad_output=grad_output)
    g = conv2d_geometry(
        op, _shape_of(op, "input_size", input_size), weight.shape, stride, padding, dilation, groups
    )
    _check_grad_y(op, grad_output, g.y_shape)
    return chunking.grad_input(choose(algorithm, g, op, weight.dtype), grad_output, weight, g)


def conv2d_weight(
    input: np.ndarray,
    weight_size: Any,
    grad_output: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: Algorithm = "auto",
) -> np.ndarray:
    # dL/dW = X correlated with dL/dY (torch.nn.grad.conv2d_weight's arguments)
    """Only the weight gradient of conv2d: the first layer of a network needs no dL/dX."""
    op = "conv2d_weight"
    check_array(op, "input", input, 4, "(N, C, H, W)")
    check_array(op, "grad_output", grad_output, 4, "(N, C_out, Ho, Wo)")
    check_same_dtype(op, input=input, grad_output=grad_output)
    g = conv2d_geometry(
        op,
        input.shape,
        _shape_of(op, "weight_size", weight_size),
        stride,
        padding,
        dilation,
        groups,
    )
    _check_grad_y(op, grad_output, g.y_shape)
    return chunking.grad_weight(choose(algorithm, g, op, input.dtype), grad_output, input, g)


def conv_transpose2d(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    *,
    algorithm: Algorithm = "auto",
) -> np.ndarray:
    """Transposed convolution: the adjoint of conv2d in its input (PyTorch's definition).

    Shape:
        x: (N, C_in, H, W); weight: (C_in, C_out/groups, kH, kW); bias: (C_out,)
        y: (N, C_out, Ho, Wo) with Ho = (H-1)*S - 2P + D*(kH-1) + output_padding + 1.
    """
    op = "conv_transpose2d"
    _checked(op, x, weight, bias)
    g = conv_transpose2d_geometry(
        op, x.shape, weight.shape, stride, padding, output_padding, groups, dilation
    )
    _check_bias(op, bias, g.in_channels, weight)
    y = chunking.grad_input(choose(algorithm, g, op, x.dtype), x, weight, g)
    return _add_bias(y, bias)


def conv_transpose2d_backward(
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
    *,
    algorithm: Algorithm = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # y = conv2d^T(x; W)  =>  dL/dx = conv2d(dL/dy; W)             (the transpose of a transpose)
    #                         dL/dW = conv2d's weight gradient with input dL/dy and output-grad x
    """Gradients of conv_transpose2d: (grad_x, grad_weight, grad_bias)."""
    op = "conv_transpose2d_backward"
    _checked(op, x, weight, grad_y=grad_y)
    g = conv_transpose2d_geometry(
        op, x.shape, weight.shape, stride, padding, output_padding, groups, dilation
    )
    _check_grad_y(op, grad_y, g.x_shape)
    impl = choose(algorithm, g, op, x.dtype)
    grad_x = chunking.forward(impl, grad_y, weight, g)
    grad_w = chunking.grad_weight(impl, x, grad_y, g)
    return grad_x, grad_w, grad_y.sum(axis=(0, 2, 3))
