"""conv1d and conv3d, their transposes and gradients: the same N-dimensional kernels as
conv2d (conv_core.py), with PyTorch's names, arguments and defaults.

Shape (1-D): x (N, C_in, L), weight (C_out, C_in/groups, k), y (N, C_out, Lo) with
Lo = floor((L + 2P - D*(k-1) - 1) / S) + 1. Shape (3-D): x (N, C_in, D, H, W), weight
(C_out, C_in/groups, kD, kH, kW), the same formula along each axis. The transposes take
weight (C_in, C_out/groups, *k) and give (L-1)*S - 2P + D*(k-1) + output_padding + 1.
padding: an int, one per axis, one (before, after) pair per axis, "valid" or "same".
"""

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

Grads = tuple[np.ndarray, np.ndarray, np.ndarray]


def conv1d(
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
    """1-D convolution of (N, C, L) signals; see the module docstring for shapes."""
    args = (stride, padding, dilation, groups, algorithm, convention)
    return convolve("conv1d", 1, x, weight, bias, *args)


def conv3d(
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
    """3-D convolution of (N, C, D, H, W) volumes; see the module docstring for shapes."""
    args = (stride, padding, dilation, groups, algorithm, convention)
    return convolve("conv3d", 3, x, weight, bias, *args)


def conv1d_backward(
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
) -> Grads:
    """(grad_x, grad_weight, grad_bias) of conv1d."""
    args = (stride, padding, dilation, groups, algorithm, convention)
    return convolve_backward("conv1d_backward", 1, grad_y, x, weight, *args)


def conv3d_backward(
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
) -> Grads:
    """(grad_x, grad_weight, grad_bias) of conv3d."""
    args = (stride, padding, dilation, groups, algorithm, convention)
    return convolve_backward("conv3d_backward", 3, grad_y, x, weight, *args)


def conv1d_input(
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
    # torch.nn.grad.conv1d_input's arguments; the gradient: im2col.conv_grad_input
    args = (stride, padding, dilation, groups, algorithm)
    return input_grad("conv1d_input", 1, input_size, weight, grad_output, *args)


def conv3d_input(
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
    # torch.nn.grad.conv3d_input's arguments; the gradient: im2col.conv_grad_input
    args = (stride, padding, dilation, groups, algorithm)
    return input_grad("conv3d_input", 3, input_size, weight, grad_output, *args)


def conv1d_weight(
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
    # torch.nn.grad.conv1d_weight's arguments; the gradient: im2col.conv_grad_weight
    args = (stride, padding, dilation, groups, algorithm)
    return weight_grad("conv1d_weight", 1, input, weight_size, grad_output, *args)


def conv3d_weight(
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
    # torch.nn.grad.conv3d_weight's arguments; the gradient: im2col.conv_grad_weight
    args = (stride, padding, dilation, groups, algorithm)
    return weight_grad("conv3d_weight", 3, input, weight_size, grad_output, *args)


def conv_transpose1d(
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
    """Transposed 1-D convolution: the adjoint of conv1d in its input."""
    args = (stride, padding, output_padding, groups, dilation, algorithm)
    return transpose_convolve("conv_transpose1d", 1, x, weight, bias, *args)


def conv_transpose3d(
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
    """Transposed 3-D convolution: the adjoint of conv3d in its input."""
    args = (stride, padding, output_padding, groups, dilation, algorithm)
    return transpose_convolve("conv_transpose3d", 3, x, weight, bias, *args)


def conv_transpose1d_backward(
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
) -> Grads:
    # see conv_core.transpose_planned_backward
    args = (stride, padding, output_padding, groups, dilation, algorithm)
    return transpose_convolve_backward("conv_transpose1d_backward", 1, grad_y, x, weight, *args)


def conv_transpose3d_backward(
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
) -> Grads:
    # see conv_core.transpose_planned_backward
    args = (stride, padding, output_padding, groups, dilation, algorithm)
    return transpose_convolve_backward("conv_transpose3d_backward", 3, grad_y, x, weight, *args)
