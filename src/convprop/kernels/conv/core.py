"""Convolution's checks, plans and planned cores, for any number of spatial dimensions.

The entry points (api.py) are "check + geometry + choose" and then the chosen Algorithm
record's primitives (select.py), run by chunking.py in batch chunks:

    forward(x, W)        Y
    grad_input(dY, W)    dL/dX  (the adjoint of the forward in X)
    grad_weight(dY, X)   dL/dW  (the adjoint of the forward in W)

Everything is built from those three, as JAX's transpose rules do: conv_transpose *is*
grad_input, and its gradients are forward and grad_weight with the roles of input and
output swapped.

The differentiable ops validate once: convolve_planned (and transpose_convolve_planned)
return the output with a ConvPlan (the geometry, the chosen Algorithm, the convention), and
their backward hands that plan to planned_backward (transpose_planned_backward), which
runs the primitives without checking anything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ...shapes import (
    ConvGeometry,
    as_int,
    check_array,
    check_same_dtype,
    conv_geometry,
    conv_transpose_geometry,
    fmt,
)
from .. import jit
from ..layout import conv_layouts
from . import chunking
from .select import Algorithm, choose

_bias_grad = jit.lazy("fused", "bias_grad")
_bias_relu = jit.lazy("fused", "bias_relu")
_relu_bias_backward = jit.lazy("fused", "relu_bias_backward")
_relu_backward_only = jit.lazy("fused", "relu_backward")

Convention = Literal["correlation", "convolution"]


def _checked(
    op: str,
    x: Any,
    weight: Any,
    bias: Any = None,
    grad_y: Any = None,
    dims: int = 2,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(x, weight, bias, grad_y) as float arrays of the right ndim and one dtype."""
    x_layout, w_layout, y_layout = conv_layouts(dims)
    x = check_array(op, "input", x, dims + 2, x_layout)
    weight = check_array(op, "weight", weight, dims + 2, w_layout)
    if bias is not None:
        bias = check_array(op, "bias", bias, 1, "(C_out,)")
    if grad_y is not None:
        grad_y = check_array(op, "grad_y", grad_y, dims + 2, y_layout)
    check_same_dtype(op, input=x, weight=weight, bias=bias, grad_y=grad_y)
    return x, weight, bias, grad_y


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
    course's true convolution (Y[i,j] = sum X[i-a, j-b] W[a,b] is a correlation with rot180 W);
    in 1-D and 3-D, W reversed along every spatial axis."""
    if convention == "correlation":
        return weight
    if convention == "convolution":
        return weight[(slice(None), slice(None)) + (slice(None, None, -1),) * (weight.ndim - 2)]
    raise ValueError(f"{op}: convention must be 'correlation' or 'convolution', got {convention!r}")


@dataclass(frozen=True)
class ConvPlan:
    """What a checked forward settled and its backward reuses: the geometry, the chosen
    Algorithm record and the (validated) convention. Holds no arrays."""

    geometry: ConvGeometry
    algorithm: Algorithm
    convention: str = "correlation"


def _add_bias(y: np.ndarray, bias: np.ndarray | None, relu: bool = False) -> np.ndarray:
    """y + bias per channel, in place; then max(., 0) with relu (NaN kept), in the same pass
    where the compiled kernels run (fused.bias_relu)."""
    if relu and jit.runs(y.dtype):
        return _bias_relu(y, np.zeros(y.shape[1], y.dtype) if bias is None else bias)
    if bias is not None:
        y += bias.reshape(-1, *(1,) * (y.ndim - 2))
    if relu:
        np.maximum(y, 0, out=y)
    return y


def _relu_backward(
    grad_y: np.ndarray, y: np.ndarray, need_b: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """(dL/dz, dL/db) through y = relu(z): dL/dy where y > 0, else 0 (a select: an inf or NaN
    dL/dy where y <= 0 gives 0), and its per-channel sum where need_b."""
    if jit.runs(grad_y.dtype):
        return _relu_bias_backward(grad_y, y) if need_b else (_relu_backward_only(grad_y, y), None)
    grad_z = np.where(y > 0, grad_y, grad_y.dtype.type(0))
    return grad_z, bias_grad(grad_z) if need_b else None


def convolve_planned(
    op: str,
    dims: int,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    algorithm: str,
    convention: str,
    *,
    relu: bool = False,
) -> tuple[np.ndarray, ConvPlan]:
    """conv1d/2d/3d's checked forward (validation, bias, convention, the algorithm) and its
    plan; with relu, max(output, 0) (a ReLU after the layer, fused with the bias add)."""
    x, weight, bias, _ = _checked(op, x, weight, bias, dims=dims)
    g = conv_geometry(op, x.shape, weight.shape, stride, padding, dilation, groups)
    _check_bias(op, bias, g.out_channels, weight)
    chosen = choose(algorithm, g, op, x.dtype)
    y = chunking.forward(chosen, x, _oriented(weight, convention, op), g)
    return _add_bias(y, bias, relu), ConvPlan(g, chosen, convention)


def bias_grad(grad_y: np.ndarray) -> np.ndarray:
    """dL/db = the sum of dL/dY over the batch and every spatial axis, per channel (compiled,
    in float64, where the compiled kernels run: fused.bias_grad)."""
    if jit.runs(grad_y.dtype):
        return _bias_grad(grad_y)
    return grad_y.sum(axis=(0, *range(2, grad_y.ndim)))


def planned_backward(
    plan: ConvPlan,
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    need_x: bool = True,
    need_w: bool = True,
    need_b: bool = True,
    relu_output: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Unchecked: the gradients of a convolution whose forward made `plan` (grad_y shaped
    like its output); None for a gradient not needed (the first layer's input, the bias of
    a layer without one: a pass over dL/dY saved). relu_output: the forward's output where
    it ran with relu; grad_y is then dL/d(that output), taken back through the ReLU first."""
    # dL/dz = dL/dY where Y > 0 (z: the output before the ReLU, when the forward fused one)
    grad_b = None
    if relu_output is not None:
        grad_y, grad_b = _relu_backward(grad_y, relu_output, need_b)
    elif need_b:
        grad_b = bias_grad(grad_y)
    # dL/dX and dL/dW: the record's grad_input and grad_weight (formulas: reference.py)
    g, chosen = plan.geometry, plan.algorithm
    grad_x = grad_w = None
    if need_x:
        grad_x = chunking.grad_input(chosen, grad_y, _oriented(weight, plan.convention, ""), g)
    if need_w:
        # with the true convolution the kernels saw rot180(W); rotate its gradient back
        gw = _oriented(chunking.grad_weight(chosen, grad_y, x, g), plan.convention, "")
        grad_w = np.ascontiguousarray(gw)
    return grad_x, grad_w, grad_b


def convolve_backward(
    op: str,
    dims: int,
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    algorithm: str,
    convention: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, weight, _, checked_grad_y = _checked(op, x, weight, grad_y=grad_y, dims=dims)
    assert checked_grad_y is not None
    grad_y = checked_grad_y
    g = conv_geometry(op, x.shape, weight.shape, stride, padding, dilation, groups)
    _check_grad_y(op, grad_y, g.y_shape)
    chosen = choose(algorithm, g, op, x.dtype)
    _oriented(weight, convention, op)  # refuses an unknown convention, naming op
    plan = ConvPlan(g, chosen, convention)
    grad_x, grad_w, grad_b = planned_backward(plan, grad_y, x, weight)
    assert grad_x is not None and grad_w is not None and grad_b is not None
    return grad_x, grad_w, grad_b


def transpose_convolve_planned(
    op: str,
    dims: int,
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
    algorithm: str,
) -> tuple[np.ndarray, ConvPlan]:
    """conv_transpose1d/2d/3d's checked forward (a convolution's input gradient) and its
    plan."""
    x, weight, bias, _ = _checked(op, x, weight, bias, dims=dims)
    g = conv_transpose_geometry(
        op, x.shape, weight.shape, stride, padding, output_padding, groups, dilation
    )
    _check_bias(op, bias, g.in_channels, weight)
    plan = ConvPlan(g, choose(algorithm, g, op, x.dtype))
    return _add_bias(chunking.grad_input(plan.algorithm, x, weight, g), bias), plan


def transpose_planned_backward(
    plan: ConvPlan,
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    need_x: bool = True,
    need_w: bool = True,
    need_b: bool = True,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Unchecked: the gradients of a transposed convolution whose forward made `plan`."""
    # y = conv^T(x; W)  =>  dL/dx = conv(dL/dy; W)                  (the transpose of a transpose)
    #                       dL/dW = conv's weight gradient with input dL/dy and output-grad x
    g, chosen = plan.geometry, plan.algorithm
    grad_x = chunking.forward(chosen, grad_y, weight, g) if need_x else None
    grad_w = chunking.grad_weight(chosen, x, grad_y, g) if need_w else None
    return grad_x, grad_w, bias_grad(grad_y) if need_b else None


def transpose_convolve_backward(
    op: str,
    dims: int,
    grad_y: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
    algorithm: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, weight, _, checked_grad_y = _checked(op, x, weight, grad_y=grad_y, dims=dims)
    assert checked_grad_y is not None
    grad_y = checked_grad_y
    g = conv_transpose_geometry(
        op, x.shape, weight.shape, stride, padding, output_padding, groups, dilation
    )
    _check_grad_y(op, grad_y, g.x_shape)
    plan = ConvPlan(g, choose(algorithm, g, op, x.dtype))
    grad_x, grad_w, grad_b = transpose_planned_backward(plan, grad_y, x, weight)
    assert grad_x is not None and grad_w is not None and grad_b is not None
    return grad_x, grad_w, grad_b


def shape_of(op: str, name: str, size: Any, dims: int) -> tuple[int, ...]:
    count = {3: "three", 4: "four", 5: "five"}[dims + 2]
    wrong = ValueError(f"{op}: {name} must be {count} non-negative ints, got {size!r}")
    if not isinstance(size, (tuple, list, np.ndarray)) or len(size) != dims + 2:
        raise wrong
    try:
        return tuple(as_int(op, name, n, 0) for n in size)
    except ValueError:
        raise wrong from None


def input_grad(
    op: str,
    dims: int,
    input_size: Any,
    weight: np.ndarray,
    grad_output: np.ndarray,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    algorithm: str,
) -> np.ndarray:
    # torch.nn.grad.convNd_input's arguments; the gradient: the record's grad_input
    _, w_layout, y_layout = conv_layouts(dims)
    weight = check_array(op, "weight", weight, dims + 2, w_layout)
    grad_output = check_array(op, "grad_output", grad_output, dims + 2, y_layout)
    check_same_dtype(op, weight=weight, grad_output=grad_output)
    x_shape = shape_of(op, "input_size", input_size, dims)
    g = conv_geometry(op, x_shape, weight.shape, stride, padding, dilation, groups)
    _check_grad_y(op, grad_output, g.y_shape)
    return chunking.grad_input(choose(algorithm, g, op, weight.dtype), grad_output, weight, g)


def weight_grad(
    op: str,
    dims: int,
    input: np.ndarray,
    weight_size: Any,
    grad_output: np.ndarray,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    algorithm: str,
) -> np.ndarray:
    # torch.nn.grad.convNd_weight's arguments; the gradient: the record's grad_weight
    x_layout, _, y_layout = conv_layouts(dims)
    input = check_array(op, "input", input, dims + 2, x_layout)
    grad_output = check_array(op, "grad_output", grad_output, dims + 2, y_layout)
    check_same_dtype(op, input=input, grad_output=grad_output)
    w_shape = shape_of(op, "weight_size", weight_size, dims)
    g = conv_geometry(op, input.shape, w_shape, stride, padding, dilation, groups)
    _check_grad_y(op, grad_output, g.y_shape)
    return chunking.grad_weight(choose(algorithm, g, op, input.dtype), grad_output, input, g)
