"""Constant folding for the loader: a node whose inputs are all constants (exporters compute
pads and shapes this way) evaluated once with NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np

from .node import Node


def fold(node: Node, onnx: Any) -> np.ndarray:
    """Evaluate a node whose inputs are all constants (exporters compute pads this way)."""
    args = [node.constants[i] if i else None for i in node.inputs]
    a = args[0]
    assert a is not None
    if node.op == "ConstantOfShape":
        value = node.attrs.get("value")
        fill = onnx.numpy_helper.to_array(value) if value is not None else np.zeros(1, np.float32)
        return np.full(tuple(int(v) for v in a), fill.reshape(-1)[0], dtype=fill.dtype)
    if node.op == "Concat":
        return np.concatenate([v for v in args if v is not None], axis=node.attrs["axis"])
    if node.op == "Reshape":
        assert args[1] is not None
        shape = [a.shape[i] if v == 0 else int(v) for i, v in enumerate(args[1])]
        return a.reshape(shape)
    if node.op == "Transpose":
        return a.transpose(node.attrs.get("perm"))
    if node.op == "Cast":
        return a.astype(onnx.helper.tensor_dtype_to_np_dtype(node.attrs["to"]))
    if node.op == "Identity":
        return a
    if node.op == "Slice":
        starts: Any = args[1]
        ends: Any = args[2]
        axes: Any = args[3] if len(args) > 3 and args[3] is not None else range(len(starts))
        steps: Any = args[4] if len(args) > 4 and args[4] is not None else [1] * len(starts)
        index = [slice(None)] * a.ndim
        for s0, e, ax, st in zip(starts, ends, axes, steps, strict=True):
            index[int(ax)] = slice(int(s0), int(e), int(st))
        return a[tuple(index)]
    if node.op in ("Add", "Sub", "Mul", "Div"):
        b = args[1]
        assert b is not None
        if node.op == "Div" and a.dtype.kind in "iu":  # ONNX's integer Div truncates
            quotient = np.abs(a) // np.where(b == 0, 1, np.abs(b))
            return (quotient * np.sign(a) * np.sign(b)).astype(a.dtype)
        ufunc = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}
        return np.asarray(ufunc[node.op](a, b)).astype(a.dtype)
    if node.op in ("Unsqueeze", "Squeeze"):
        given: Any = args[1] if len(args) > 1 and args[1] is not None else []
        axes = tuple(int(v) for v in given)
        if node.op == "Squeeze":
            return np.squeeze(a, axis=axes or None)
        return np.expand_dims(a, axes)
    raise node.fail("this operator is not supported on constants")
