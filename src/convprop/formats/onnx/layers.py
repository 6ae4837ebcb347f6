"""Layers for ONNX semantics that PyTorch's modules lack, sized from the input at run time:
Flatten to 2-D, a stand-alone Pad (any axes, batch and channels included), SAME padding in
front of a Conv, ConvTranspose with asymmetric pads or output_shape, Gemm with transA or a
matrix bias, Add/Sub/Mul/Div by a constant, BatchNormalization on any rank >= 2.
Differentiable."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ...autograd import Tensor
from ...kernels.padding import source
from ...nn import functional as F
from ...nn.layers import BatchNorm2d
from ...nn.module import Module, Parameter
from .pool import Pairs, same_pads


class Flatten2d(Module):
    """ONNX's Flatten: (prod(shape[:axis]), prod(shape[axis:])) for any axis, 0 and negative
    axes included (PyTorch's Flatten keeps the leading axes instead)."""

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        axis = self.axis + x.ndim if self.axis < 0 else self.axis
        return x.reshape(math.prod(x.shape[:axis]), math.prod(x.shape[axis:]))


class Pad(Module):
    """ONNX's Pad on any axes, batch and channels included: pairs (before, after) per axis,
    mode constant (value), reflect, edge or wrap. wrap may go round the axis more than once
    (ONNX's reference and onnxruntime agree on that); reflect needs pads smaller than the
    axis (onnxruntime refuses more, ONNX's reference reflects again: refused, naming the
    node), and reflect, edge and wrap need a non-empty axis."""

    MODES: ClassVar[dict[str, str]] = {
        "constant": "constant",
        "reflect": "reflect",
        "edge": "replicate",
        "wrap": "circular",
    }

    def __init__(self, pairs: Pairs, mode: str, value: float, name: str = "Pad") -> None:
        super().__init__()
        self.pairs, self.mode, self.value, self.name = pairs, mode, value, name

    def fail(self, what: str) -> ValueError:
        return ValueError(f"node {self.name!r} (Pad): {what}")

    def forward(self, x: Tensor) -> Tensor:
        if len(self.pairs) != x.ndim:
            raise self.fail(
                f"pads for {len(self.pairs)} axes on an input of shape {tuple(x.shape)}"
            )
        for axis, ((b, a), n) in enumerate(zip(self.pairs, x.shape, strict=True)):
            if self.mode != "constant" and (b or a) and n == 0:
                raise self.fail(f"mode {self.mode} cannot pad axis {axis}, which is empty")
            if self.mode == "reflect" and max(b, a) >= n and (b or a):
                raise self.fail(
                    f"mode reflect with pads ({b}, {a}) on axis {axis} of size {n}: ONNX "
                    "reflects without repeating the edge cell, which allows at most "
                    f"{n - 1}; onnxruntime refuses more, ONNX's reference reflects again"
                )
        if self.mode != "constant":  # one gather per padded axis (differentiable)
            y = x
            for axis, (b, a) in enumerate(self.pairs):
                if b or a:
                    index = source(self.MODES[self.mode], x.shape[axis], b, a)
                    y = y[(slice(None),) * axis + (index,)]
            return y
        pairs = list(self.pairs)
        while pairs and pairs[0] == (0, 0):  # F.pad lists the padded axes from the last
            pairs.pop(0)
        if not pairs:
            return x
        flat = tuple(v for b, a in reversed(pairs) for v in (b, a))
        if len(pairs) < x.ndim:
            return F.pad(x, flat, "constant", self.value)
        y = F.pad(x.reshape(1, *x.shape), flat, "constant", self.value)  # the batch axis too
        return y.reshape(*y.shape[1:])


class SamePad(Module):
    """auto_pad SAME_UPPER / SAME_LOWER in front of a Conv: zeros so the output is
    ceil(size / stride) per axis."""

    def __init__(self, kernel: Any, stride: Any, dilation: Any, upper: bool) -> None:
        super().__init__()
        self.kernel, self.stride, self.dilation, self.upper = kernel, stride, dilation, upper

    def forward(self, x: Tensor) -> Tensor:
        pairs = same_pads(x.shape[2:], self.kernel, self.stride, self.dilation, self.upper)
        flat = tuple(v for b, a in reversed(pairs) for v in (b, a))
        return F.pad(x, flat) if any(flat) else x


class ConvTransposeCrop(Module):
    """A ConvTranspose run with no padding and no bias, then cut to ONNX's output: per axis
    [pads_begin, pads_begin + out), cells past the full result being zero (output_padding),
    then the bias added. An output (output_shape, or auto_pad SAME's input size times stride)
    longer than the full result plus output_padding is a negative total padding, which the
    spec leaves undefined: refused, naming the node, except a total of -1 for an output_shape
    with auto_pad NOTSET or SAME_LOWER (the extra cell, zero plus the bias, at the end), where
    onnxruntime, ONNX's reference and ONNX's node test test_convtranspose_output_shape agree."""

    def __init__(
        self,
        conv: Module,
        bias: np.ndarray | None,
        pads: Pairs | None,
        output_shape: Any,
        output_padding: tuple[int, ...],
        upper: bool,
        name: str = "ConvTranspose",
    ) -> None:
        super().__init__()
        self.conv, self.pads, self.output_shape = conv, pads, output_shape
        self.output_padding, self.upper, self.name = output_padding, upper, name
        self.bias = None if bias is None else Parameter(bias)

    def window(self, full: tuple[int, ...], sizes: Any) -> tuple[tuple[int, int], ...]:
        """(start, length) per axis of the wanted output within the unpadded result (an
        output_shape "same": input size times stride, auto_pad SAME's)."""
        want = self.output_shape
        if want == "same":
            stride = self.conv.stride
            want = tuple(n * s for n, s in zip(sizes, stride, strict=True))
        if want is None:
            assert self.pads is not None
            return tuple(
                (b, n + op - b - a)
                for n, (b, a), op in zip(full, self.pads, self.output_padding, strict=True)
            )
        spans = []
        for axis, (n, op, w) in enumerate(zip(full, self.output_padding, want, strict=True)):
            total = n + op - int(w)
            if total < -1 or (total == -1 and (self.upper or self.output_shape == "same")):
                what = (
                    "auto_pad SAME's output (input size times stride)"
                    if self.output_shape == "same"
                    else f"attribute output_shape={[int(v) for v in want]}"
                )
                raise ValueError(
                    f"node {self.name!r} (ConvTranspose): {what} asks for {int(w)} cells on "
                    f"spatial axis {axis}, while the full result is {n} plus output_padding "
                    f"{op} for input sizes {tuple(sizes)}: a total padding of {total}, which "
                    "ONNX's spec leaves undefined; onnxruntime and ONNX's reference agree "
                    "only on -1 for an output_shape with auto_pad NOTSET or SAME_LOWER (one "
                    "zero cell at the end, ONNX's node test test_convtranspose_output_shape)"
                )
            spans.append(((total // 2) if self.upper else total - total // 2, int(w)))
        return tuple(spans)

    def forward(self, x: Tensor) -> Tensor:
        y = self.conv(x)
        spans = self.window(tuple(y.shape[2:]), tuple(x.shape[2:]))
        short = [max(b + n - size, 0) for (b, n), size in zip(spans, y.shape[2:], strict=True)]
        if any(short):
            y = F.pad(y, tuple(v for s in reversed(short) for v in (0, s)))
        index = (slice(None), slice(None), *(slice(b, b + n) for b, n in spans))
        y = y[index]
        if self.bias is not None:
            y = y + self.bias.reshape(1, -1, *(1,) * (y.ndim - 2))
        return y


class Gemm(Module):
    """Y = (A or A^T) @ W + C, W = alpha * (B or B^T) and C = beta * the bias (any shape
    that broadcasts to Y), for what a Linear layer cannot hold."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None, trans_a: bool) -> None:
        super().__init__()
        self.weight, self.trans_a = Parameter(weight), trans_a
        self.bias = None if bias is None else Parameter(bias)

    def forward(self, x: Tensor) -> Tensor:
        y = (x.T if self.trans_a else x) @ self.weight
        return y + self.bias if self.bias is not None else y


class Elementwise(Module):
    """ONNX's Add, Sub, Mul or Div of the running tensor and a constant, in either order
    (x - c or c - x), with multidirectional (NumPy) broadcasting that must leave x's shape
    as it is. The constant is a buffer (saved, not learned); gradients reach x.

    Shape: x (*) -> (*); constant: at most x's rank, each axis 1 or x's size."""

    OPS: ClassVar[dict[str, Callable[[Any, Any], Any]]] = {
        "Add": operator.add,
        "Sub": operator.sub,
        "Mul": operator.mul,
        "Div": operator.truediv,
    }

    def __init__(self, op: str, constant: np.ndarray, constant_first: bool, name: str) -> None:
        super().__init__()
        if op not in self.OPS:
            raise ValueError(f"Elementwise: op must be one of {sorted(self.OPS)}, got {op!r}")
        self.op, self.constant_first, self.name = op, constant_first, name
        self.register_buffer("constant", np.asarray(constant))

    def forward(self, x: Tensor) -> Tensor:
        c = self.constant
        try:
            shape = np.broadcast_shapes(tuple(x.shape), c.shape)
        except ValueError:
            shape = None
        if shape != tuple(x.shape):
            raise ValueError(
                f"{self.name} ({self.op}): the constant of shape {c.shape} does not broadcast "
                f"to the input's shape {tuple(x.shape)} without changing it"
            )
        k = Tensor(c.astype(x.dtype, copy=False) if x.dtype.kind == "f" else c)
        a, b = (k, x) if self.constant_first else (x, k)
        out: Tensor = self.OPS[self.op](a, b)
        return out

    def extra_repr(self) -> str:
        operands = "c, x" if self.constant_first else "x, c"
        return f"{self.op}({operands}), c of shape {self.constant.shape}"


class BatchNormalization(BatchNorm2d):
    """ONNX's BatchNormalization on an input (N, C, D1, ..., Dn) of any rank >= 2: (x - mean)
    / sqrt(var + eps) * scale + bias per channel (axis 1). It is BatchNorm2d run on the input
    viewed as (N, C, D1 * ... * Dn, 1), whose statistics are per channel over the same cells,
    so it trains as BatchNorm2d does and exports back as BatchNormalization."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        name: str = "BatchNormalization",
    ) -> None:
        super().__init__(num_features, eps, momentum)
        self.name = name

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"node {self.name!r} (BatchNormalization): expected an input (N, "
                f"{self.num_features}, ...) of rank >= 2, got shape {tuple(x.shape)}"
            )
        y = super().forward(x.reshape(x.shape[0], x.shape[1], math.prod(x.shape[2:]), 1))
        return y.reshape(*x.shape)
