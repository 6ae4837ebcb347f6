"""Adaptive pooling (global pooling heads), max unpooling and power-average pooling as
Modules, 1-D to 3-D, with PyTorch's names and arguments. GlobalAvgPool is PyTorch's
spelling: AdaptiveAvgPool2d(1)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..arguments import ArgumentTypeError
from ..autograd import Tensor
from . import functional_conv as FC
from ._checks import as_float, as_int, pool_arguments
from .module import Module


def _output_size(op: str, dims: int, output_size: Any) -> None:
    """An adaptive pool's output_size: an int >= 1, or one int >= 1 or None (keep the
    input's size) per spatial dimension."""
    if output_size is None:
        raise ArgumentTypeError(f"{op}: output_size must be an int or {dims} values, got None")
    sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * dims
    if len(sizes) != dims:
        raise ValueError(f"{op}: output_size must be an int or {dims} values, got {output_size!r}")
    for size in sizes:
        if size is not None:
            as_int(op, "output_size", size, 1)


class _AdaptiveAvgPoolNd(Module):
    dims: ClassVar[int] = 2

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _output_size(type(self).__name__, self.dims, output_size)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        pool = (FC.adaptive_avg_pool1d, FC.adaptive_avg_pool2d, FC.adaptive_avg_pool3d)
        return pool[self.dims - 1](x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    dims = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """(N, C, H, W) -> (N, C, *output_size); AdaptiveAvgPool2d(1) is global average pooling."""

    dims = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    dims = 3


class _AdaptiveMaxPoolNd(Module):
    dims: ClassVar[int] = 2

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        _output_size(type(self).__name__, self.dims, output_size)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Tensor) -> Any:
        pool = (FC.adaptive_max_pool1d, FC.adaptive_max_pool2d, FC.adaptive_max_pool3d)
        return pool[self.dims - 1](x, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    dims = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    dims = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    dims = 3


class _MaxUnpoolNd(Module):
    dims: ClassVar[int] = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        pool_arguments(type(self).__name__, self.dims, kernel_size, stride, padding)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size

    def forward(self, x: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        unpool = (FC.max_unpool1d, FC.max_unpool2d, FC.max_unpool3d)[self.dims - 1]
        return unpool(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    dims = 3


class _LPPoolNd(Module):
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
        pool = (FC.lp_pool1d, FC.lp_pool2d, FC.lp_pool3d)[self.dims - 1]
        return pool(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}"


class LPPool1d(_LPPoolNd):
    dims = 1


class LPPool2d(_LPPoolNd):
    dims = 2


class LPPool3d(_LPPoolNd):
    dims = 3


def GlobalAvgPool() -> AdaptiveAvgPool2d:
    """Global average pooling, the usual CNN head: AdaptiveAvgPool2d(1)."""
    return AdaptiveAvgPool2d(1)
