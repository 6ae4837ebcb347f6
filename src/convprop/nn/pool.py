"""The windowed pooling layers, 1-D to 3-D, with PyTorch's names, arguments and defaults:
max, average and power-average (LP) pooling, one base per kind keyed by `dims` and thin
subclasses; MAX_POOL, AVG_POOL and LP_POOL map dims to the class. Adaptive pooling, max
unpooling and GlobalAvgPool live in pool_adaptive.py.

Shape: (N, C, *L) -> (N, C, *Lo), Lo = floor((L + 2P - D(K-1) - 1)/S) + 1 per axis,
rounded up with ceil_mode (shapes.output_size); the stride defaults to the kernel size.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..autograd import Tensor
from ._checks import as_float, as_int, pool_arguments
from .functional_nd import avg_pool, lp_pool, max_pool
from .module import Module


class _MaxPoolNd(Module):
    """Each window's maximum; its gradient goes to the window's first maximum in row-major
    order (ties="first", PyTorch's rule) or is shared among all its maxima (ties="split")."""

    dims: ClassVar[int] = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
        *,
        ties: str = "first",
    ) -> None:
        super().__init__()
        pool_arguments(type(self).__name__, self.dims, kernel_size, stride, padding, dilation)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.dilation, self.return_indices, self.ceil_mode = dilation, return_indices, ceil_mode
        self.ties = ties  # "first" (PyTorch's) or "split": who gets a tied window's gradient

    def forward(self, x: Tensor) -> Any:
        return max_pool(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
            self.return_indices,
            ties=self.ties,
            dims=self.dims,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class MaxPool1d(_MaxPoolNd):
    dims = 1


class MaxPool2d(_MaxPoolNd):
    dims = 2


class MaxPool3d(_MaxPoolNd):
    dims = 3


class _AvgPoolNd(Module):
    """Each window's average: the sum over its taps divided by the window's area (or by
    the taps inside the input, count_include_pad=False, or by divisor_override)."""

    dims: ClassVar[int] = 2

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        pool_arguments(type(self).__name__, self.dims, kernel_size, stride, padding)
        if divisor_override is not None:
            as_int(type(self).__name__, "divisor_override", divisor_override, 1)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
            dims=self.dims,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPoolNd):
    dims = 1

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:  # PyTorch's AvgPool1d has no divisor_override
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)


class AvgPool2d(_AvgPoolNd):
    dims = 2


class AvgPool3d(_AvgPoolNd):
    dims = 3


class _LPPoolNd(Module):
    """(sum of x^p over each window)^(1/p), no padding."""

    dims: ClassVar[int] = 2

    def __init__(
        self, norm_type: float, kernel_size: Any, stride: Any = None, ceil_mode: bool = False
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if as_float(name, "norm_type", norm_type) <= 0:
            raise ValueError(f"{name}: norm_type must be positive and finite, got {norm_type!r}")
        pool_arguments(name, self.dims, kernel_size, stride, 0)
        self.norm_type, self.kernel_size, self.stride = norm_type, kernel_size, stride
        self.ceil_mode = ceil_mode

    def forward(self, x: Tensor) -> Tensor:
        return lp_pool(
            x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode, dims=self.dims
        )

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}"


class LPPool1d(_LPPoolNd):
    dims = 1


class LPPool2d(_LPPoolNd):
    dims = 2


class LPPool3d(_LPPoolNd):
    dims = 3


MAX_POOL: dict[int, type[_MaxPoolNd]] = {c.dims: c for c in (MaxPool1d, MaxPool2d, MaxPool3d)}
AVG_POOL: dict[int, type[_AvgPoolNd]] = {c.dims: c for c in (AvgPool1d, AvgPool2d, AvgPool3d)}
LP_POOL: dict[int, type[_LPPoolNd]] = {c.dims: c for c in (LPPool1d, LPPool2d, LPPool3d)}
