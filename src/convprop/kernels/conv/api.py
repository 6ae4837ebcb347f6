"""conv2d and conv_transpose2d with their gradients: PyTorch's names, arguments and
defaults over conv_core.py's validation and dispatch (conv_nd.py has 1-D and 3-D)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import (
    Convention,
    convolve,
    convolve_backward,
    input_grad,
    transpose_convolve,
    transpose_convolve_backward,
    weight_grad,
)
from .select import AlgorithmName


def conv2d(
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
    return convolve(
        "conv2d", 2, x, weight, bias, stride, padding, dilation, groups, algorithm, convention
    )


def conv2d_backward(
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of conv2d: (grad_x, grad_weight, grad_bias), shaped like x, weight, (C_out,).

    In the course's symbols (one channel, stride 1, correlation convention):
        dL/dW = X correlated with dL/dY          dL/dW[a,b] = sum_ij dL/dY[i,j] X[i+a, j+b]
        dL/dX = dL/dY fully convolved with W     (= full correlation with the flipped W)
        dL/db = sum of dL/dY over N, H, W
    """
    return convolve_backward(
        "conv2d_backward",
        2,
        grad_y,
        x,
        weight,
        stride,
        padding,
        dilation,
        groups,
        algorithm,
        convention,
    )


def conv2d_input(
    input_size: Any,
    weight: np.ndarray,
    grad_output: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: AlgorithmName = "auto",
) -> np.ndarray:
    # torch.nn.grad.conv2d_input's arguments; the gradient: im2col.conv_grad_input
    """Only the input gradient of conv2d, for a layer whose weight needs no gradient."""
    return input_grad(
        "conv2d_input",
        2,
        input_size,
        weight,
        grad_output,
        stride,
        padding,
        dilation,
        groups,
        algorithm,
    )


def conv2d_weight(
    input: np.ndarray,
    weight_size: Any,
    grad_output: np.ndarray,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
    *,
    algorithm: AlgorithmName = "auto",
) -> np.ndarray:
    # torch.nn.grad.conv2d_weight's arguments; the gradient: im2col.conv_grad_weight
    """Only the weight gradient of conv2d: the first layer of a network needs no dL/dX."""
    return weight_grad(
        "conv2d_weight",
        2,
        input,
        weight_size,
        grad_output,
        stride,
        padding,
        dilation,
        groups,
        algorithm,
    )


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
    algorithm: AlgorithmName = "auto",
) -> np.ndarray:
    """Transposed convolution: the adjoint of conv2d in its input (PyTorch's definition).

    Shape:
        x: (N, C_in, H, W); weight: (C_in, C_out/groups, kH, kW); bias: (C_out,)
        y: (N, C_out, Ho, Wo) with Ho = (H-1)*S - 2P + D*(kH-1) + output_padding + 1.
    """
    return transpose_convolve(
        "conv_transpose2d",
        2,
        x,
        weight,
        bias,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        algorithm,
    )


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
    algorithm: AlgorithmName = "auto",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # see conv_core.transpose_planned_backward
    """Gradients of conv_transpose2d: (grad_x, grad_weight, grad_bias)."""
    return transpose_convolve_backward(
        "conv_transpose2d_backward",
        2,
        grad_y,
        x,
        weight,
        stride,
        padding,
        output_padding,
        groups,
        dilation,
        algorithm,
    )
