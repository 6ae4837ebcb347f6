"""ONNX file -> convprop Sequential, for models whose graph is a chain of supported nodes
(each node reads the previous one's output; weights are initializers or Constants).

Supported: Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool,
LpPool, Gemm, MatMul (+ Add of a bias), BatchNormalization, Relu, LeakyRelu, Sigmoid,
Tanh, Flatten, Identity, Dropout, and Pad in front of a Conv (its padding_mode). Anything
else (an operator, an attribute such as auto_pad=SAME_UPPER or storage_order=1, a weight
computed at run time) raises ValueError naming the node and what is unsupported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .. import nn
from .export import _onnx

POOL_PAD_MODES = {b"reflect": "reflect", b"edge": "replicate", b"wrap": "circular"}


class Node:
    """One ONNX node with its attributes decoded and its constant inputs resolved."""

    def __init__(self, proto: Any, onnx: Any, constants: dict[str, np.ndarray]) -> None:
        self.op, self.name = proto.op_type, proto.name or proto.op_type
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
        self.inputs, self.outputs = list(proto.input), list(proto.output)
        self.constants = constants

    def fail(self, what: str) -> ValueError:
        return ValueError(f"load: node {self.name!r} ({self.op}): {what}")

    def weight(self, k: int, required: bool = True) -> np.ndarray | None:
        if k >= len(self.inputs) or not self.inputs[k]:
            if required:
                raise self.fail(f"input {k} is missing")
            return None
        if self.inputs[k] not in self.constants:
            raise self.fail(f"input {self.inputs[k]!r} is computed at run time, not a weight")
        return self.constants[self.inputs[k]]

    def only(self, allowed: dict[str, Any]) -> None:
        """Every attribute known, each with a supported value (None: any value)."""
        for key, value in self.attrs.items():
            if key not in allowed:
                raise self.fail(f"attribute {key}={value!r} is not supported")
            ok = allowed[key]
            if ok is not None and value not in ok:
                raise self.fail(f"attribute {key}={value!r} is not supported (only {ok})")


def _pairs(node: Node, dims: int) -> tuple[tuple[int, int], ...]:
    pads = list(node.attrs.get("pads", [0] * 2 * dims))
    if len(pads) != 2 * dims:
        raise node.fail(f"pads {pads} do not match {dims} spatial dimensions")
    return tuple((pads[i], pads[i + dims]) for i in range(dims))


def _symmetric(node: Node, dims: int) -> tuple[int, ...]:
    pairs = _pairs(node, dims)
    if any(b != a for b, a in pairs):
        raise node.fail(f"asymmetric pads {node.attrs['pads']} are not supported for pooling")
    return tuple(b for b, _ in pairs)


Padding = tuple[str, tuple[tuple[int, int], ...]] | None  # a Pad node's mode and pairs


def _conv(node: Node, pad: Padding) -> nn.Module:
    known = ("kernel_shape", "strides", "pads", "dilations", "group", "output_padding")
    node.only({**dict.fromkeys(known), "auto_pad": (b"NOTSET", b"VALID")})
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
        raise node.fail(f"kernel_shape {kernel} does not match the weight's shape {w.shape}")
    stride, dilation = (tuple(node.attrs.get(k, [1] * dims)) for k in ("strides", "dilations"))
    pairs, pad_mode = _pairs(node, dims), "zeros"
    if pad is not None:  # Pad(mode) then Conv without pads: PyTorch's padding_mode
        pad_mode, pad_pairs = pad
        if any(pairs[i] != (0, 0) for i in range(dims)) or len(pad_pairs) != dims:
            raise node.fail("a Pad in front of a padded Conv is not supported")
        pairs = pad_pairs
    if node.op == "ConvTranspose":
        if pad is not None or any(bb != a for bb, a in pairs):
            raise node.fail("asymmetric pads or a Pad in front are not supported")
        out_pad = tuple(node.attrs.get("output_padding", [0] * dims))
        layer: nn.Module = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[dims - 1](
            w.shape[0], w.shape[1] * group, kernel, stride, tuple(p for p, _ in pairs), out_pad,
            group, b is not None, dilation,
        )  # fmt: skip
    else:
        padding: Any = tuple(p for p, _ in pairs) if all(p == a for p, a in pairs) else pairs
        if pad_mode != "zeros" and not all(p == a for p, a in pairs):
            raise node.fail("asymmetric padding with a padding mode is not supported")
        layer = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[dims - 1](
            w.shape[1] * group, w.shape[0], kernel, stride, padding, dilation, group,
            b is not None, pad_mode,
        )  # fmt: skip
    layer.load_state_dict({"weight": w, **({"bias": b} if b is not None else {})})
    return layer


def _pool(node: Node, dims: int) -> nn.Module:
    common = {"kernel_shape": None, "strides": None, "pads": None, "ceil_mode": None,
              "auto_pad": (b"NOTSET", b"VALID")}  # fmt: skip
    if len(node.outputs) > 1 and node.outputs[1]:
        raise node.fail("the indices output is not supported")
    kernel = tuple(node.attrs["kernel_shape"])
    stride = tuple(node.attrs.get("strides", [1] * dims))
    ceil = bool(node.attrs.get("ceil_mode", 0))
    if node.op == "MaxPool":
        node.only({**common, "dilations": None, "storage_order": (0,)})
        dilation = tuple(node.attrs.get("dilations", [1] * dims))
        max_pool = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)[dims - 1]
        return max_pool(kernel, stride, _symmetric(node, dims), dilation, False, ceil)
    if node.op == "LpPool":
        node.only({**common, "p": None, "dilations": None})
        if any(_symmetric(node, dims)) or dims > 2:
            raise node.fail("padded or 3-D LpPool is not supported")
        return (nn.LPPool1d, nn.LPPool2d)[dims - 1](node.attrs.get("p", 2), kernel, stride, ceil)
    node.only({**common, "count_include_pad": None, "dilations": None})
    avg_pool = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)[dims - 1]
    counted = bool(node.attrs.get("count_include_pad", 0))  # ONNX's default is 0
    return avg_pool(kernel, stride, _symmetric(node, dims), ceil, counted)


def _linear(node: Node, matmul: bool) -> nn.Module:
    w = node.weight(1)
    assert w is not None
    if matmul:
        w = w.T
    else:
        node.only({"alpha": (1.0,), "beta": (1.0,), "transA": (0,), "transB": None})
        w = w if node.attrs.get("transB", 0) else w.T
    if w.ndim != 2:
        raise node.fail(f"a weight of shape {w.shape} is not a matrix")
    b = None if matmul else node.weight(2, required=False)
    if b is not None and b.shape not in ((w.shape[0],), (1, w.shape[0])):
        raise node.fail(f"bias of shape {b.shape} does not fit weight {w.shape}")
    layer = nn.Linear(w.shape[1], w.shape[0], bias=b is not None)
    layer.load_state_dict({"weight": w, **({"bias": b.reshape(-1)} if b is not None else {})})
    return layer


def _batch_norm(node: Node) -> nn.Module:
    node.only({"epsilon": None, "momentum": None, "training_mode": (0,)})
    scale, bias, mean, var = (node.weight(k) for k in range(1, 5))
    assert scale is not None and bias is not None and mean is not None and var is not None
    if not scale.shape == bias.shape == mean.shape == var.shape or scale.ndim != 1:
        raise node.fail("scale, bias, mean and variance must be vectors of one length")
    layer = nn.BatchNorm2d(len(scale), float(node.attrs.get("epsilon", 1e-5)),
                           1.0 - float(node.attrs.get("momentum", 0.9)))  # fmt: skip
    state = {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var}
    layer.load_state_dict({**state, "num_batches_tracked": np.zeros((), np.int64)})
    return layer


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
    if node.op in ("Unsqueeze", "Squeeze"):
        given: Any = args[1] if len(args) > 1 and args[1] is not None else []
        axes = tuple(int(v) for v in given)
        if node.op == "Squeeze":
            return np.squeeze(a, axis=axes or None)
        return np.expand_dims(a, axes)
    raise node.fail("this operator is not supported on constants")


def load(path: str | Path) -> nn.Sequential:
    """The ONNX model at path as a convprop Sequential in eval mode, weights loaded."""
    onnx = _onnx()
    try:
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto)
    except Exception as e:  # protobuf's DecodeError, the checker's ValidationError, OSError
        reason = f"{type(e).__name__}: {e}"
        raise ValueError(f"load: {path} is not a readable ONNX model ({reason})") from None
    graph = proto.graph
    constants = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError("load: only graphs with one input and one output are supported")
    rank = len(inputs[0].type.tensor_type.shape.dim)
    current, layers = inputs[0].name, list[nn.Module]()
    pad: Padding = None
    for proto_node in graph.node:
        node = Node(proto_node, onnx, constants)
        if node.op == "Constant":
            constants[node.outputs[0]] = onnx.numpy_helper.to_array(node.attrs["value"])
            continue
        if node.inputs and all(i in constants for i in node.inputs if i):
            constants[node.outputs[0]] = fold(node, onnx)  # arithmetic on weights only
            continue
        if not node.inputs or node.inputs[0] != current:
            raise node.fail("the graph is not a chain (this node does not read the previous one)")
        current = node.outputs[0]
        layer = _node_layer(node, rank, layers, pad)
        pad = None
        if node.op == "Pad":
            pad = layer
            continue
        if node.op == "Flatten":
            rank = 2
        if layer is not None:
            layers.append(layer)
    if pad is not None:
        raise ValueError("load: a Pad node must be followed by a Conv")
    if current != graph.output[0].name:
        raise ValueError("load: the graph's output is not the last node's")
    model = nn.Sequential(*layers)
    model.eval()
    return model


def _node_layer(node: Node, rank: int, layers: list[nn.Module], pad: Padding) -> Any:
    """The layer for one node (None: nothing to add; for Pad: its mode and pairs)."""
    simple = {"Relu": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh}
    if node.op != "Conv" and pad is not None:
        raise node.fail("a Pad node must be followed by a Conv")
    if node.op in simple:
        return simple[node.op]()
    if node.op in ("Identity", "Dropout"):
        return None
    if node.op == "LeakyRelu":
        return nn.LeakyReLU(float(node.attrs.get("alpha", 0.01)))
    if node.op == "Flatten":
        return nn.Flatten(int(node.attrs.get("axis", 1)))
    if node.op in ("Conv", "ConvTranspose"):
        return _conv(node, pad)
    if node.op in ("MaxPool", "AveragePool", "LpPool"):
        return _pool(node, rank - 2)
    if node.op in ("GlobalAveragePool", "GlobalMaxPool"):
        average = node.op == "GlobalAveragePool"
        table = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d) if average else (
            nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)  # fmt: skip
        return table[rank - 3](1)
    if node.op in ("Gemm", "MatMul"):
        return _linear(node, node.op == "MatMul")
    if node.op == "Add":
        last = layers[-1] if layers else None
        b = node.weight(1)
        if not isinstance(last, nn.Linear) or last.bias is not None or b is None:
            raise node.fail("only a bias added right after a MatMul is supported")
        if b.size != last.out_features:
            raise node.fail(f"bias of shape {b.shape} does not fit {last.out_features} outputs")
        last.bias = nn.Parameter(b.reshape(-1).astype(last.weight.data.dtype))
        return None
    if node.op == "BatchNormalization":
        return _batch_norm(node)
    if node.op == "Pad":
        mode = node.attrs.get("mode", b"constant")
        pads, value = node.weight(1), node.weight(2, required=False)
        if mode not in POOL_PAD_MODES or pads is None or (value is not None and np.any(value)):
            raise node.fail(f"only reflect, edge and wrap padding before a Conv, got {mode!r}")
        half = len(pads) // 2
        if len(node.inputs) > 3 or any(pads[[0, 1, half, half + 1]]):
            raise node.fail("only padding of the spatial axes is supported")
        pairs = tuple((int(pads[i]), int(pads[i + half])) for i in range(2, half))
        return POOL_PAD_MODES[mode], pairs
    raise node.fail("this operator is not supported")
