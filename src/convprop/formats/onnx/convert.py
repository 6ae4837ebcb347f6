"""ONNX Conv, ConvTranspose, the pools and Gemm as convprop layers, every attribute of
the operator's spec either honoured or refused by name. PyTorch's own modules where they
say the same thing (so a loaded model exports again unchanged); onnx/pool.py and
onnx/layers.py where ONNX says more (asymmetric or large pads, auto_pad, dilated
average and LP pooling, Indices, output_shape, transA, a matrix bias)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import nn
from ...nn.conv import CONV, CONV_TRANSPOSE
from ...nn.pool import AVG_POOL, LP_POOL, MAX_POOL
from ...shapes import dilated_extent
from . import layers as L
from .node import Node
from .pool import Geometry, OnnxPool, guarded

AUTO_PADS = (b"NOTSET", b"VALID", b"SAME_UPPER", b"SAME_LOWER")
Pairs = tuple[tuple[int, int], ...]


def pairs(node: Node, dims: int) -> Pairs:
    pads = list(node.attrs.get("pads", [0] * 2 * dims))
    if len(pads) != 2 * dims:
        raise node.fail(f"attribute pads={pads} does not match {dims} spatial dimensions")
    if any(p < 0 for p in pads):
        raise node.fail(f"attribute pads={pads} is negative")
    return tuple((int(pads[i]), int(pads[i + dims])) for i in range(dims))


def _ints(node: Node, key: str, dims: int, default: int) -> tuple[int, ...]:
    values = tuple(int(v) for v in node.attrs.get(key, [default] * dims))
    if len(values) != dims or min(values, default=1) < (0 if key == "output_padding" else 1):
        raise node.fail(f"attribute {key}={list(values)} does not fit {dims} spatial dimensions")
    return values


def conv(node: Node, pad: Any) -> nn.Module:
    """Conv or ConvTranspose; pad: a reflect/edge/wrap Pad in front (PyTorch's padding_mode)."""
    known = {
        "kernel_shape": None,
        "strides": None,
        "pads": None,
        "dilations": None,
        "group": None,
        "auto_pad": AUTO_PADS,
    }
    if node.op == "ConvTranspose":
        known.update(output_padding=None, output_shape=None)
    node.only(known)
    w = node.weight(1)
    assert w is not None
    b = node.weight(2, required=False)
    dims, group = w.ndim - 2, int(node.attrs.get("group", 1))
    if dims not in (1, 2, 3):
        raise node.fail(f"a weight of shape {w.shape} is not a 1-D, 2-D or 3-D filter")
    channels = w.shape[1] * group if node.op == "ConvTranspose" else w.shape[0]
    if b is not None and b.shape != (channels,):
        raise node.fail(f"bias of shape {b.shape} does not fit weight {w.shape}")
    kernel = tuple(int(k) for k in node.attrs.get("kernel_shape", w.shape[2:]))
    if kernel != tuple(w.shape[2:]):
        raise node.fail(
            f"attribute kernel_shape={list(kernel)} does not match the weight {w.shape}"
        )
    stride, dilation = _ints(node, "strides", dims, 1), _ints(node, "dilations", dims, 1)
    auto = node.attrs.get("auto_pad", b"NOTSET").decode()
    sides = pairs(node, dims) if auto == "NOTSET" else tuple((0, 0) for _ in range(dims))
    state = {"weight": w, **({"bias": b} if b is not None else {})}
    if node.op == "ConvTranspose":
        return _conv_transpose(node, w, b, kernel, stride, dilation, group, sides, auto, pad)
    pad_mode = "zeros"
    if pad is not None:  # Pad(mode) then Conv without pads: PyTorch's padding_mode
        if any(sides[i] != (0, 0) for i in range(dims)) or auto != "NOTSET":
            raise node.fail("attribute pads (or auto_pad) with a Pad in front is not supported")
        pad_mode, sides = pad
    symmetric = all(p == a for p, a in sides)
    if pad_mode != "zeros" and not symmetric:
        raise node.fail("asymmetric padding with a padding mode is not supported")
    padding: Any = tuple(p for p, _ in sides) if symmetric else sides
    layer = CONV[dims](
        w.shape[1] * group,
        w.shape[0],
        kernel,
        stride,
        padding,
        dilation,
        group,
        b is not None,
        pad_mode,
    )
    layer.load_state_dict(state)
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        return nn.Sequential(L.SamePad(kernel, stride, dilation, auto == "SAME_UPPER"), layer)
    return layer


def _conv_transpose(
    node: Node,
    w: np.ndarray,
    b: np.ndarray | None,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    group: int,
    sides: Pairs,
    auto: str,
    pad: Any,
) -> nn.Module:
    dims = len(kernel)
    if pad is not None:
        raise node.fail("a Pad in front of a ConvTranspose is not supported")
    out_pad = _ints(node, "output_padding", dims, 0)
    shape = node.attrs.get("output_shape")
    if shape is not None and len(shape) != dims:
        raise node.fail(f"attribute output_shape={list(shape)} does not give {dims} sizes")
    table = CONV_TRANSPOSE[dims]
    plain = shape is None and auto in ("NOTSET", "VALID") and all(p == a for p, a in sides)
    if plain and all(op < max(s, d) for op, s, d in zip(out_pad, stride, dilation, strict=True)):
        layer: nn.Module = table(
            w.shape[0],
            w.shape[1] * group,
            kernel,
            stride,
            tuple(p for p, _ in sides),
            out_pad,
            group,
            b is not None,
            dilation,
        )
        layer.load_state_dict({"weight": w, **({"bias": b} if b is not None else {})})
        return layer
    inner = table(w.shape[0], w.shape[1] * group, kernel, stride, 0, 0, group, False, dilation)
    inner.load_state_dict({"weight": w})
    if shape is None and auto in ("SAME_UPPER", "SAME_LOWER"):
        shape = "same"
    return L.ConvTransposeCrop(inner, b, sides, shape, out_pad, auto == "SAME_UPPER", node.name)


def pool(node: Node, dims: int) -> nn.Module:
    """MaxPool, AveragePool or LpPool over dims spatial dimensions."""
    common = {
        "kernel_shape": None,
        "strides": None,
        "pads": None,
        "ceil_mode": (0, 1),
        "auto_pad": AUTO_PADS,
        "dilations": None,
    }
    extras: dict[str, dict[str, Any]] = {
        "MaxPool": {"storage_order": (0, 1)},
        "LpPool": {"p": None},
        "AveragePool": {"count_include_pad": (0, 1)},
    }
    extra = extras[node.op]
    node.only({**common, **extra})
    if "kernel_shape" not in node.attrs:
        raise node.fail("attribute kernel_shape is required")
    kernel = _ints(node, "kernel_shape", dims, 1)
    stride, dilation = _ints(node, "strides", dims, 1), _ints(node, "dilations", dims, 1)
    ceil = bool(node.attrs.get("ceil_mode", 0))
    auto = node.attrs.get("auto_pad", b"NOTSET").decode()
    sides = pairs(node, dims) if auto == "NOTSET" else tuple((0, 0) for _ in range(dims))
    indices = len(node.outputs) > 1 and bool(node.outputs[1])
    order = int(node.attrs.get("storage_order", 0))
    if order and dims != 2:
        raise node.fail(f"attribute storage_order=1 is defined for 2-D pooling, not {dims}-D")
    p = float(node.attrs.get("p", 2))
    if not p > 0:
        raise node.fail(f"attribute p={p} must be positive")
    counted = bool(node.attrs.get("count_include_pad", 0))  # ONNX's default is 0
    padding = tuple(b for b, _ in sides)
    undefined = node.op == "MaxPool" or (node.op == "AveragePool" and not counted)
    for axis, ((b, _), k, d) in enumerate(zip(sides, kernel, dilation, strict=True)):
        if undefined and b >= dilated_extent(k, d):  # the first window: all pad, on any input
            raise node.fail(
                f"attribute pads={list(node.attrs.get('pads', []))}: the first window on axis "
                f"{axis} lies wholly in the padding (kernel_shape={list(kernel)}, "
                f"dilations={list(dilation)}); ONNX defines no value for a window with no "
                "input cell (its reference gives NaN, onnxruntime refuses such pads)"
            )
    if auto in ("SAME_UPPER", "SAME_LOWER") and any(
        k > 1 and d > 1 for k, d in zip(kernel, dilation, strict=True)
    ):
        raise node.fail(
            f"attribute auto_pad={auto} with dilations={list(dilation)} is not supported: the "
            "spec pads for the dilated window, while onnxruntime (and ONNX's reference for "
            "AveragePool, LpPool and SAME_LOWER) pad for the undilated kernel_shape="
            f"{list(kernel)}, so the output would depend on the runtime"
        )
    if (
        auto == "VALID"
        and node.op != "MaxPool"
        and any(k > 1 and d > 1 for k, d in zip(kernel, dilation, strict=True))
    ):
        raise node.fail(
            f"attribute auto_pad=VALID with dilations={list(dilation)} is not supported: the "
            "spec sizes the output for the dilated window, ONNX's reference for the undilated "
            f"kernel_shape={list(kernel)}, so the output would depend on the runtime"
        )
    if dims not in MAX_POOL:
        raise node.fail(f"a rank-{dims + 2} input is not supported; 1-D to 3-D pooling is")
    geometry = Geometry(node.name, node.op, kernel, stride, sides, auto, dilation, ceil, counted)
    plain = (
        auto in ("NOTSET", "VALID")
        and all(b == a and 2 * b <= k for (b, a), k in zip(sides, kernel, strict=True))
        and not (auto == "VALID" and ceil)
    )
    if plain and node.op == "MaxPool" and not indices:
        return guarded(MAX_POOL[dims], geometry, kernel, stride, padding, dilation, False, ceil)
    undilated = all(d == 1 for d in dilation)
    if plain and node.op == "AveragePool" and undilated:
        return guarded(AVG_POOL[dims], geometry, kernel, stride, padding, ceil, counted)
    if (
        plain
        and node.op == "LpPool"
        and undilated
        and not ceil
        and not any(padding)
        and (p == int(p) and int(p) % 2 == 0)
    ):  # an even p: x^p == |x|^p, and PyTorch's LPPool is ONNX's
        return guarded(LP_POOL[dims], geometry, int(p), kernel, stride, ceil)
    return OnnxPool(
        node.op, kernel, stride, sides, auto, dilation, ceil, counted, p, order, indices, node.name
    )


def linear(node: Node, matmul: bool) -> nn.Module:
    """MatMul by a constant, or Gemm: Y = alpha * A' @ B' + beta * C."""
    w = node.weight(1)
    assert w is not None
    if not matmul:
        node.only({"alpha": None, "beta": None, "transA": (0, 1), "transB": (0, 1)})
        w = w.T if node.attrs.get("transB", 0) else w
    if w.ndim != 2:
        raise node.fail(f"a weight of shape {w.shape} is not a matrix")
    alpha, beta = float(node.attrs.get("alpha", 1.0)), float(node.attrs.get("beta", 1.0))
    b = None if matmul else node.weight(2, required=False)
    trans_a = bool(node.attrs.get("transA", 0))
    if b is not None and (b.ndim > 2 or (b.ndim and b.shape[-1] not in (1, w.shape[1]))):
        raise node.fail(f"bias of shape {b.shape} does not fit weight {w.shape}")
    scaled = (w * alpha).astype(w.dtype) if alpha != 1 else w
    bias = None if b is None else ((b * beta).astype(b.dtype) if beta != 1 else b)
    row = bias is None or (bias.size in (1, w.shape[1]) and (bias.ndim < 2 or bias.shape[0] == 1))
    if trans_a or not row:
        return L.Gemm(scaled, bias, trans_a)
    layer = nn.Linear(w.shape[0], w.shape[1], bias=bias is not None)
    vector = None if bias is None else np.broadcast_to(bias.reshape(-1), (w.shape[1],)).copy()
    layer.load_state_dict({"weight": scaled.T, **({"bias": vector} if vector is not None else {})})
    return layer


def elementwise(node: Node, running: int, shape: tuple[int | None, ...] | None, rank: int) -> Any:
    """Add, Sub, Mul or Div of the running tensor (input `running`) and a constant. shape:
    the running tensor's inferred shape (None: a dimension not fixed), or None if unknown.
    A constant that would change that shape (add an axis, stretch one) is refused."""
    node.only({})
    c = node.weight(1 - running)
    assert c is not None
    dims = shape if shape is not None else (None,) * rank
    if c.ndim > len(dims):
        raise node.fail(
            f"a constant of shape {c.shape} has more axes than the running tensor's "
            f"{len(dims)}: broadcasting would add a dimension"
        )
    if shape is not None:  # otherwise checked when the layer runs
        for axis, (n, k) in enumerate(zip(dims[len(dims) - c.ndim :], c.shape, strict=True)):
            if k != 1 and n != k:
                size = "not fixed" if n is None else str(n)
                raise node.fail(
                    f"a constant of shape {c.shape} would stretch axis "
                    f"{axis + len(dims) - c.ndim} of the running tensor (size {size})"
                )
    return L.Elementwise(node.op, c, running == 1, node.name)
