"""ONNX pooling where PyTorch's modules cannot say it, sized from the input at run time:
pads asymmetric or larger than half the kernel, auto_pad, dilated average and LP pooling
(LP as ONNX's |x|^p), MaxPool's Indices output. Differentiable: built from convprop's
functions (F.pad, then pooling with no padding).

The geometry is the operator spec's, for PyTorch's modules too (`guarded`): an output size
of 0 gives an empty result, as ONNX's reference and onnxruntime do; a negative one is
refused. A SAME total pad that comes out negative (a stride wider than the window) crops the
input, half from each end, as both do; an odd negative total, which the spec does not split
(the reference and onnxruntime split it differently), is refused. A window holding no input
cell has no maximum (MaxPool) and no average over the cells that are not padding
(AveragePool with count_include_pad=0): ONNX's reference gives NaN and onnxruntime refuses
such pads, so convprop refuses them, naming the node and its pads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...autograd import Tensor
from ...nn import functional as F
from ...nn.functional_nd import avg_pool, lp_pool, max_pool
from ...nn.module import Module
from ...shapes import output_size, transposed_size

Pairs = tuple[tuple[int, int], ...]


def same_total(n: int, k: int, s: int, d: int) -> int:
    """SAME's total pad on one axis of size n: the cells its ceil(n / s) windows reach, less
    n (shapes.transposed_size with no padding); negative when the input is to be cropped."""
    return transposed_size(-(-n // s), s, 0, k, d) - n


def window_taps(o: int, s: int, b: int, k: int, d: int) -> np.ndarray:
    """The input positions of o windows' taps on one axis, a row per window: i*S - P + j*D."""
    return (np.arange(o) * s - b)[:, None] + np.arange(k) * d


def same_pads(sizes: Any, kernel: Any, stride: Any, dilation: Any, upper: bool) -> Pairs:
    """auto_pad SAME_UPPER / SAME_LOWER in front of a Conv: output ceil(n / s), the odd cell
    at the end (upper) or at the start (lower); a negative total is taken as 0, as ONNX's
    reference and onnxruntime do for Conv."""
    pairs = []
    for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=True):
        total = max(same_total(n, k, s, d), 0)
        small, big = total // 2, total - total // 2
        pairs.append((small, big) if upper else (big, small))
    return tuple(pairs)


@dataclass(frozen=True)
class Geometry:
    """One ONNX pooling node's windows: where they lie on an input of given spatial sizes."""

    name: str
    op: str
    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    pads: Pairs
    auto_pad: str
    dilation: tuple[int, ...]
    ceil_mode: bool
    count_include_pad: bool

    def fail(self, what: str) -> ValueError:
        return ValueError(f"node {self.name!r} ({self.op}): {what}")

    def _attrs(self) -> str:
        pads = (
            f"pads={[b for b, _ in self.pads] + [a for _, a in self.pads]}"
            if self.auto_pad == "NOTSET"
            else f"auto_pad={self.auto_pad}"
        )
        return (
            f"kernel_shape={list(self.kernel)}, strides={list(self.stride)}, "
            f"dilations={list(self.dilation)}, {pads}, ceil_mode={int(self.ceil_mode)}"
        )

    def layout(self, sizes: tuple[int, ...]) -> tuple[Pairs, tuple[int, ...]]:
        """(pads, output sizes) on spatial input sizes, as the operator's spec defines them.
        A pad may be negative (SAME with a stride wider than the window): a crop."""
        pads, outs = [], []
        for axis, (n, k, s, d) in enumerate(
            zip(sizes, self.kernel, self.stride, self.dilation, strict=True)
        ):
            if self.auto_pad in ("SAME_UPPER", "SAME_LOWER"):
                o, total = -(-n // s), same_total(n, k, s, d)
                if total < 0 and total % 2:
                    raise self.fail(
                        f"{self._attrs()} on spatial size {n} (axis {axis}) gives a total "
                        f"pad of {total} (the input cropped), which ONNX's spec does "
                        "not split between the ends (its reference and onnxruntime differ)"
                    )
                small, big = total // 2, total - total // 2
                b, a = (small, big) if self.auto_pad == "SAME_UPPER" else (big, small)
            elif self.auto_pad == "VALID":  # the spec's VALID sizes, ceil_mode or not
                b, a = 0, 0
                o = output_size(n, k, s, 0, d)
                if self.ceil_mode and o >= 0 and output_size(n, k, s, 0, d, True) != o:
                    raise self.fail(
                        f"{self._attrs()} on spatial size {n} (axis {axis}): the spec's VALID "
                        f"size is {o}, while onnxruntime pools ceil_mode's partial window "
                        f"too ({o + 1}); refused rather than depend on the runtime"
                    )
            else:
                b, a = self.pads[axis]
                o = output_size(n, k, s, (b, a), d, self.ceil_mode)  # PyTorch's ceil rule too
            if o < 0:
                raise self.fail(
                    f"the window does not fit spatial size {n} (axis {axis}): {self._attrs()} "
                    f"give an output size of {o}"
                )
            if o and self._empty_window(n, b, o, k, s, d):
                raise self.fail(
                    f"a window lies wholly in the padding on spatial size {n} (axis {axis}) "
                    f"with {self._attrs()}: it holds no input cell, and ONNX defines no "
                    + ("maximum" if self.op == "MaxPool" else "average")
                    + " for it (its reference gives NaN, onnxruntime refuses such pads)"
                )
            pads.append((b, a))
            outs.append(o)
        return tuple(pads), tuple(outs)

    def _empty_window(self, n: int, b: int, o: int, k: int, s: int, d: int) -> bool:
        """Whether some window holds no input cell, where that leaves its value undefined."""
        if self.op == "LpPool" or (self.op == "AveragePool" and self.count_include_pad):
            return False  # the padding's zeros: a norm or an average of 0
        taps = window_taps(o, s, b, k, d)
        return bool((~((taps >= 0) & (taps < n)).any(axis=1)).any())


def empty(x: Tensor, outs: tuple[int, ...]) -> Tensor:
    """An (N, C, *outs) result with no cells, its gradient (zeros) flowing back to x."""
    spatial = tuple(range(2, x.ndim))
    return x.sum(spatial, keepdim=True) * np.zeros((1, 1, *outs), dtype=x.dtype)


def guarded(layer_type: type[Module], geometry: Geometry, *args: Any) -> Module:
    """PyTorch's pooling module layer_type(*args), held to the node's ONNX geometry at run
    time: an empty output is produced, a negative one or an empty window refused."""
    cls = _GUARDED.get(layer_type)
    if cls is None:
        cls = type(layer_type.__name__, (_Guarded, layer_type), {})
        cls.__qualname__ = layer_type.__qualname__
        _GUARDED[layer_type] = cls
    layer = cls(*args)
    layer.onnx_geometry = geometry
    return layer


class _Guarded:
    onnx_geometry: Geometry

    def forward(self, x: Tensor) -> Any:
        _, outs = self.onnx_geometry.layout(tuple(x.shape[2:]))
        if 0 in outs:
            return empty(x, outs)
        return super().forward(x)  # type: ignore[misc]


_GUARDED: dict[type[Module], type[Module]] = {}


def _pad(x: Tensor, pairs: Pairs, value: float) -> Tensor:
    """Constant padding of the spatial axes, (before, after) per axis."""
    if not any(b or a for b, a in pairs):
        return x
    flat = [v for b, a in reversed(pairs) for v in (b, a)]
    return F.pad(x, tuple(flat), "constant", value)


class OnnxPool(Module):
    """MaxPool, AveragePool or LpPool with ONNX's attributes: the input cropped where a SAME
    pad is negative and padded explicitly (-inf for max, zeros otherwise) to every cell the
    windows reach, then pooled with no padding; average divisors count the taps in the padded
    input (count_include_pad) or in the input; LP pooling is (sum |x|^p)^(1/p); Indices are
    flat over (N, C, *size)."""

    def __init__(
        self,
        op: str,
        kernel: tuple[int, ...],
        stride: tuple[int, ...],
        pads: Pairs,
        auto_pad: str,
        dilation: tuple[int, ...],
        ceil_mode: bool,
        count_include_pad: bool,
        p: float,
        storage_order: int,
        indices: bool,
        name: str | None = None,
    ) -> None:
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
        self.onnx_geometry = Geometry(
            name or op,
            op,
            kernel,
            stride,
            pads,
            auto_pad,
            dilation,
            ceil_mode,
            count_include_pad,
        )

    def geometry(self, sizes: tuple[int, ...]) -> tuple[Pairs, tuple[int, ...]]:
        """(pads, output sizes) for spatial input sizes, as the ONNX operator defines them."""
        return self.onnx_geometry.layout(sizes)

    def forward(self, x: Tensor) -> Any:
        shape = tuple(x.shape)
        pads, outs = self.geometry(shape[2:])
        if 0 in outs:
            y = empty(x, outs)
            return (y, Tensor(np.zeros(y.shape, np.int64))) if self.indices else y
        crop = tuple((max(-b, 0), max(-a, 0)) for b, a in pads)
        if any(cb or ca for cb, ca in crop):  # a negative SAME pad: those cells are cut off
            keep = tuple(slice(cb, n - ca) for (cb, ca), n in zip(crop, shape[2:], strict=True))
            index = (slice(None), slice(None), *keep)
            x = x[index]
            pads = tuple((max(b, 0), max(a, 0)) for b, a in pads)
        sizes = tuple(x.shape[2:])
        dims = len(sizes)
        reach = map(transposed_size, outs, self.stride, (0,) * dims, self.kernel, self.dilation)
        full = tuple(
            (b, max(a, r - n - b)) for (b, a), r, n in zip(pads, reach, sizes, strict=True)
        )
        k, s, d = self.kernel, self.stride, self.dilation
        if self.op == "MaxPool":
            y, where = max_pool(
                _pad(x, full, -math.inf), k, s, dilation=d, return_indices=True, dims=dims
            )
            y = self._crop(y, outs)
            if not self.indices:
                return y
            shift = tuple(cb - b for (cb, _), (b, _) in zip(crop, full, strict=True))
            padded = tuple(n + b + a for n, (b, a) in zip(sizes, full, strict=True))
            flat = self._flat(self._crop_array(where.array, outs), padded, shift, shape)
            return y, Tensor(flat)
        if self.op == "LpPool":
            y = lp_pool(_pad(x, full, 0.0), self.p, k, s, dilation=d, absolute=True, dims=dims)
            return self._crop(y, outs)
        y = self._crop(avg_pool(_pad(x, full, 0.0), k, s, dilation=d, dims=dims), outs)
        return y * (math.prod(self.kernel) / self._counts(sizes, pads, outs)).astype(x.dtype)

    def _counts(self, sizes: tuple[int, ...], pads: Pairs, outs: tuple[int, ...]) -> np.ndarray:
        """Each window's divisor: its taps in the padded input or in the input (never 0:
        Geometry refuses a window with no input cell when the padding does not count)."""
        per_axis = []
        for n, (b, a), o, k, s, d in zip(
            sizes, pads, outs, self.kernel, self.stride, self.dilation, strict=True
        ):
            tap = window_taps(o, s, b, k, d)
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

    def _flat(
        self,
        where: np.ndarray,
        padded: tuple[int, ...],
        shift: tuple[int, ...],
        shape: tuple[int, ...],
    ) -> np.ndarray:
        """Positions in the padded plane of sizes `padded` (its cell c is input cell
        c + shift) -> ONNX's flat index over (N, C, *size), row-major (storage_order 0) or
        column-major over the spatial axes (storage_order 1)."""
        sizes = tuple(shape[2:])
        at = np.unravel_index(where, padded)
        cells: Any = tuple(c + s for c, s in zip(at, shift, strict=True))
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
