"""Pooling as differentiable ops: max (switches or split ties), average, LP, adaptive and
max unpooling, each keeping what its forward settled for its backward."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels as K
from ..autograd.function import Function
from ..kernels.pool import avg as pool
from ..kernels.pool.adaptive import (
    adaptive_avg_core_backward,
    adaptive_max_core_backward,
    max_unpool_core_backward,
)
from ..kernels.pool.lp import lp_pool_core_backward, lp_pool_planned
from ..kernels.pool.max import flat_indices, max_pool_planned, route_switches, split_ties
from .dims import spatial_dims


class MaxPool(Function):
    """max_pool1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(self, x: np.ndarray, *, ties: str = "first", **params: Any) -> np.ndarray:
        if ties not in ("first", "split"):
            raise ValueError(f"max_pool: ties must be 'first' or 'split', got {ties!r}")
        y, self.switches, self.geometry = max_pool_planned(x, **params)
        self.shape = x.shape
        self.x = x if ties == "split" else None  # splitting ties needs the input's maxima
        return y

    @property
    def indices(self) -> np.ndarray:
        """PyTorch's flat indices (r*W + c in 2-D) of the winners (return_indices=True)."""
        return flat_indices(self.switches, self.geometry)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each gradient goes to its window's recorded winner (switch), or is split evenly
        # among the window's maxima (ties="split")
        if self.x is not None:
            return (split_ties(self.x, g, self.geometry),)
        return (route_switches(g, self.switches, self.shape, self.geometry),)


class AvgPool(Function):
    """avg_pool1d, 2d or 3d, by the input's number of spatial dimensions."""

    def forward(
        self,
        x: np.ndarray,
        *,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
        dilation: Any = 1,
    ) -> np.ndarray:
        dims = spatial_dims(x, "avg_pool")
        self.shape = x.shape
        args = (kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)
        y, self.geometry, self.divisor = pool.average_planned(
            f"avg_pool{dims}d", dims, x, *args, dilation
        )
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each input of a window gets the window's gradient divided by its divisor
        return (pool.average_core_backward(g, self.shape, self.geometry, self.divisor),)


class LPPool(Function):
    def forward(self, x: np.ndarray, **params: Any) -> np.ndarray:
        y, self.sums, self.x, self.plan = lp_pool_planned(x, **params)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # y = S^(1/p), S = sum_window x^p: dL/dx = sum_windows dL/dy * S^(1/p-1) * x^(p-1)
        # (zero where S == 0, as PyTorch's autograd; see kernels/pool/lp.py)
        return (lp_pool_core_backward(g, self.x, self.sums, self.plan),)


class AdaptiveAvgPool(Function):
    """Average over PyTorch's adaptive boxes, any number of spatial dimensions."""

    def forward(self, x: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.shape = x.shape
        return K.adaptive_avg_pool(x, output_size)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each input of box i gets dL/dY[i] / (box i's volume)
        return (adaptive_avg_core_backward(g, self.shape),)


class AdaptiveMaxPool(Function):
    def forward(self, x: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.shape = x.shape
        y, self.indices = K.adaptive_max_pool(x, output_size)
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each gradient goes to its box's winner (summed where boxes share one)
        return (adaptive_max_core_backward(g, self.indices, self.shape),)


class MaxUnpool(Function):
    def forward(self, x: np.ndarray, indices: np.ndarray, *, output_size: Any) -> np.ndarray:
        self.indices = indices
        return K.max_unpool(x, indices, output_size)

    def backward(self, g: np.ndarray) -> tuple[np.ndarray, None]:
        # dL/dX[i] = dL/dY at the cell input i was placed in; indices get no gradient
        return (max_unpool_core_backward(g, self.indices), None)
