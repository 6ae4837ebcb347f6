"""ONNX pooling where PyTorch's modules cannot say it, sized from the input at run time:
pads asymmetric or larger than half the kernel, auto_pad, dilated average and LP pooling
(LP as ONNX's |x|^p), MaxPool's Indices output. Differentiable: built from convprop's
functions (F.pad, then pooling with no padding)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import Tensor
from ..nn import functional as F
from ..nn.module import Module

Pairs = tuple[tuple[int, int], ...]


def same_pads(sizes: Any, kernel: Any, stride: Any, dilation: Any, upper: bool) -> Pairs:
    """auto_pad SAME_UPPER / SAME_LOWER: output ceil(n / s), the odd cell at the end (upper)
    or at the start (lower)."""
    pairs = []
    for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
        total = max((-(-n // s) - 1) * s + (k - 1) * d + 1 - n, 0)
        small, big = total // 2, total - total // 2
        pairs.append((small, big) if upper else (big, small))
    return tuple(pairs)


def _pad(x: Tensor, pairs: Pairs, value: float) -> Tensor:
    """Constant padding of the spatial axes, (before, after) per axis."""
    if not any(b or a for b, a in pairs):
        return x
    flat = [v for b, a in reversed(pairs) for v in (b, a)]
    return F.pad(x, tuple(flat), "constant", value)


class OnnxPool(Module):
    """MaxPool, AveragePool or LpPool with ONNX's attributes: the input padded explicitly
    (-inf for max, zeros otherwise) to every cell the windows reach, then pooled with no
    padding; average divisors count the taps in the padded input (count_include_pad) or in
    the input; LP pooling is (sum |x|^p)^(1/p); Indices are flat over (N, C, *size)."""

    def __init__(
        self, op: str, kernel: tuple[int, ...], stride: tuple[int, ...], pads: Pairs,
        auto_pad: str, dilation: tuple[int, ...], ceil_mode: bool, count_include_pad: bool,
        p: float, storage_order: int, indices: bool,
    ) -> None:  # fmt: skip
        super().__init__()
        self.op, self.kernel, self.stride, self.pads, self.auto_pad = (
            op,
            kernel,
            stride,
            pads,
            auto_pad,
        )
        self.dilation, self.ceil_mode, self.count_include_pad = (
            dilation,
            ceil_mode,
            count_include_pad,
        )
        self.p, self.storage_order, self.indices = p, storage_order, indices

    def geometry(self, sizes: tuple[int, ...]) -> tuple[Pairs, tuple[int, ...]]:
        """(pads, output sizes) for spatial input sizes, as the ONNX operator defines them."""
        k, s, d = self.kernel, self.stride, self.dilation
        span = tuple((ki - 1) * di + 1 for ki, di in zip(k, d, strict=True))
        if self.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            pads = same_pads(sizes, k, s, d, self.auto_pad == "SAME_UPPER")
            return pads, tuple(-(-n // si) for n, si in zip(sizes, s, strict=True))
        pads = self.pads if self.auto_pad == "NOTSET" else tuple((0, 0) for _ in sizes)
        outs = []
        for n, (b, a), w, si in zip(sizes, pads, span, s, strict=True):
            room = n + b + a - w
            o = (-(-room // si) if self.ceil_mode else room // si) + 1
            if self.ceil_mode and (o - 1) * si >= n + b:  # the last window starts in the end pad
                o -= 1
            outs.append(o)
        if min(outs) < 1:
            raise ValueError(f"{self.op}: the window {k} (dilation {d}) does not fit {sizes}")
        return pads, tuple(outs)

    def forward(self, x: Tensor) -> Any:
        sizes = tuple(x.shape[2:])
        pads, outs = self.geometry(sizes)
        reach = [
            (o - 1) * si + (ki - 1) * di + 1
            for o, si, ki, di in zip(outs, self.stride, self.kernel, self.dilation, strict=True)
        ]
        full = tuple(
            (b, max(a, r - n - b)) for (b, a), r, n in zip(pads, reach, sizes, strict=True)
        )
        dims, common = len(sizes), dict(kernel_size=self.kernel, stride=self.stride)
        if self.op == "MaxPool":
            pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[dims - 1]
            y, where = pool(_pad(x, full, -math.inf), **common, dilation=self.dilation,
                            return_indices=True)  # fmt: skip
            y = self._crop(y, outs)
            return (y, Tensor(self._flat(self._crop_array(where.data, outs), full, x.shape))) if (
                self.indices) else y  # fmt: skip
        if self.op == "LpPool":
            pool = (F.lp_pool1d, F.lp_pool2d, F.lp_pool3d)[dims - 1]
            y = pool(_pad(x, full, 0.0), self.p, **common, dilation=self.dilation, absolute=True)
            return self._crop(y, outs)
        pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[dims - 1]
        y = self._crop(pool(_pad(x, full, 0.0), **common, dilation=self.dilation), outs)
        return y * (math.prod(self.kernel) / self._counts(sizes, pads, outs)).astype(x.dtype)

    def _counts(self, sizes: tuple[int, ...], pads: Pairs, outs: tuple[int, ...]) -> np.ndarray:
        """Each window's divisor: its taps in the padded input or in the input."""
        per_axis = []
        for n, (b, a), o, k, s, d in zip(
            sizes, pads, outs, self.kernel, self.stride, self.dilation, strict=True
        ):
            tap = (np.arange(o) * s - b)[:, None] + np.arange(k) * d
            inside = (tap < n + a) if self.count_include_pad else (tap >= 0) & (tap < n)
            per_axis.append(np.maximum(inside.sum(axis=1), 1))
        return _outer(per_axis).astype(np.float64)

    @staticmethod
    def _crop(y: Tensor, outs: tuple[int, ...]) -> Tensor:
        if tuple(y.shape[2:]) == outs:
            return y
        index = (slice(None), slice(None), *(slice(0, o) for o in outs))
        return y[index]

    @staticmethod
    def _crop_array(a: np.ndarray, outs: tuple[int, ...]) -> np.ndarray:
        index = (slice(None), slice(None), *(slice(0, o) for o in outs))
        return a[index]

    def _flat(self, where: np.ndarray, full: Pairs, shape: tuple[int, ...]) -> np.ndarray:
        """Positions in the padded plane -> ONNX's flat index over (N, C, *size), row-major
        (storage_order 0) or column-major over the spatial axes (storage_order 1)."""
        sizes = tuple(shape[2:])
        padded = tuple(n + b + a for n, (b, a) in zip(sizes, full, strict=True))
        at = np.unravel_index(where, padded)
        cells: Any = tuple(c - b for c, (b, _) in zip(at, full, strict=True))
        plane: Any = np.ravel_multi_index(
            cells, sizes, mode="clip", order="F" if self.storage_order else "C"
        )
        n, c = shape[:2]
        base = (np.arange(n)[:, None] * c + np.arange(c)[None, :]) * math.prod(sizes)
        return (plane + base.reshape(n, c, *(1,) * len(sizes))).astype(np.int64)

    def extra_repr(self) -> str:
        return f"{self.op}, kernel={self.kernel}, stride={self.stride}, pads={self.pads}"


def _outer(parts: list[np.ndarray]) -> np.ndarray:
    out = parts[0]
    for part in parts[1:]:
        out = np.multiply.outer(out, part)
    return out
