"""Adaptive pooling (global pooling heads) and max unpooling as Modules, 1-D to 3-D, with
PyTorch's names and arguments: one base per kind keyed by `dims` and thin subclasses;
ADAPTIVE_AVG_POOL, ADAPTIVE_MAX_POOL and MAX_UNPOOL map dims to the class. GlobalAvgPool
is PyTorch's spelling: AdaptiveAvgPool2d(1).

Shape: adaptive pooling (N, C, *L) -> (N, C, *output_size); max unpooling (N, C, *L) ->
(N, C, *Lo), Lo = (L-1)S - 2P + K per axis (shapes.transposed_size) unless output_size
says otherwise.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..arguments import ArgumentTypeError
from ..autograd import Tensor
from ._checks import as_int, pool_arguments
from .functional_nd import adaptive_avg_pool, adaptive_max_pool, max_unpool
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
    """Averages over PyTorch's adaptive windows, so the output is exactly output_size."""

    dims: ClassVar[int] = 2

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        _output_size(type(self).__name__, self.dims, output_size)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool(x, self.output_size, dims=self.dims)

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
    """Maxima over PyTorch's adaptive windows; indices as max pooling's."""

    dims: ClassVar[int] = 2

    def __init__(self, output_size: Any, return_indices: bool = False) -> None:
        super().__init__()
        _output_size(type(self).__name__, self.dims, output_size)
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, x: Tensor) -> Any:
        return adaptive_max_pool(x, self.output_size, self.return_indices, dims=self.dims)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool1d(_AdaptiveMaxPoolNd):
    dims = 1


class AdaptiveMaxPool2d(_AdaptiveMaxPoolNd):
    dims = 2


class AdaptiveMaxPool3d(_AdaptiveMaxPoolNd):
    dims = 3


class _MaxUnpoolNd(Module):
    """The partial inverse of max pooling: values at their indices, zeros elsewhere."""

    dims: ClassVar[int] = 2

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        pool_arguments(type(self).__name__, self.dims, kernel_size, stride, padding)
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size

    def forward(self, x: Tensor, indices: Tensor, output_size: Any = None) -> Tensor:
        return max_unpool(
            x, indices, self.kernel_size, self.stride, self.padding, output_size, dims=self.dims
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    dims = 1


class MaxUnpool2d(_MaxUnpoolNd):
    dims = 2


class MaxUnpool3d(_MaxUnpoolNd):
    dims = 3


def GlobalAvgPool() -> AdaptiveAvgPool2d:
    """Global average pooling, the usual CNN head: AdaptiveAvgPool2d(1)."""
    return AdaptiveAvgPool2d(1)


ADAPTIVE_AVG_POOL: dict[int, type[_AdaptiveAvgPoolNd]] = {
    c.dims: c for c in (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d)
}
ADAPTIVE_MAX_POOL: dict[int, type[_AdaptiveMaxPoolNd]] = {
    c.dims: c for c in (AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d)
}
MAX_UNPOOL: dict[int, type[_MaxUnpoolNd]] = {
    c.dims: c for c in (MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)
}
