"""Convolution and transposed convolution as differentiable ops: the forward checks once and
keeps its plan (geometry, algorithm, convention); the backward runs the unchecked primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..kernels.conv import core as conv_core
from .dims import spatial_dims


class Conv(Function):
    """conv1d, conv2d or conv3d, by the input's number of spatial dimensions; with relu=True,
    relu(conv(...)) in one op (nn.Sequential's Conv + ReLU pairs: the bias add and the ReLU
    in one pass, and in the backward the ReLU's select and dL/db in one pass)."""

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray | None = None,
        *,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        algorithm: str = "auto",
        convention: str = "correlation",
        relu: bool = False,
    ) -> np.ndarray:
        dims = spatial_dims(x, "conv")
        self.x, self.w, self.has_bias = x, w, b is not None
        args = (stride, padding, dilation, groups, algorithm, convention)
        y, self.plan = conv_core.convolve_planned(f"conv{dims}d", dims, x, w, b, *args, relu=relu)
        self.y = y if relu else None  # the ReLU's backward reads its output
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # see conv_core.planned_backward (the first layer's input needs no gradient: skipped)
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        args = (self.plan, g, self.x, self.w, need_x, need_w, need_b, self.y)
        gx, gw, gb = conv_core.planned_backward(*args)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvTranspose(Function):
    """conv_transpose1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(
        self,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray | None = None,
        *,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        dilation: Any = 1,
        algorithm: str = "auto",
    ) -> np.ndarray:
        dims = spatial_dims(x, "conv_transpose")
        self.x, self.w, self.has_bias = x, w, b is not None
        args = (stride, padding, output_padding, groups, dilation, algorithm)
        op = f"conv_transpose{dims}d"
        y, self.plan = conv_core.transpose_convolve_planned(op, dims, x, w, b, *args)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray | None, ...]:
        # see conv_core.transpose_planned_backward
        need_x, need_w = self.needs_input_grad[:2]
        need_b = self.has_bias and self.needs_input_grad[2]
        args = (self.plan, g, self.x, self.w, need_x, need_w, need_b)
        gx, gw, gb = conv_core.transpose_planned_backward(*args)
        return (gx, gw, gb) if self.has_bias else (gx, gw)
