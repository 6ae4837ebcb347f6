"""ONNX file -> convprop Sequential, for models whose graph is a chain of supported nodes
(each node reads the previous one's output; weights are initializers or Constants).

Supported: Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool,
LpPool, Gemm, MatMul (+ Add of a bias), BatchNormalization (inference, any rank >= 2),
Relu, LeakyRelu, Sigmoid, Tanh, Flatten, Identity, Dropout, Pad (any axes; in front of a
Conv: its padding_mode), and Add, Sub, Mul, Div of the running tensor and a constant, in
either order, whose broadcast keeps the running tensor's shape. Anything else (an operator,
an attribute such as storage_order=1 in 3-D, a weight computed at run time, both operands
of an Add computed at run time, a constant that would add or stretch an axis) raises
ValueError naming the node and what is unsupported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ... import _optional, nn
from ...nn.pool_adaptive import ADAPTIVE_AVG_POOL, ADAPTIVE_MAX_POOL
from . import layers as L
from .convert import conv, elementwise, linear, pool
from .fold import fold
from .node import Node

POOL_PAD_MODES = {"reflect": "reflect", "edge": "replicate", "wrap": "circular"}
FLOATS = (1, 11)  # TensorProto.FLOAT, DOUBLE
ARITHMETIC = ("Add", "Sub", "Mul", "Div")
Shape = tuple[int | None, ...]


def _shapes(onnx: Any, proto: Any) -> dict[str, Shape]:
    """Every tensor's shape as ONNX's shape inference gives it (None: an axis not fixed);
    empty where inference fails."""
    try:
        graph = onnx.shape_inference.infer_shapes(proto).graph
    except Exception:  # an inference error: shapes are then checked when the layers run
        return {}
    shapes = {}
    for info in [*graph.input, *graph.value_info, *graph.output]:
        kind = info.type.tensor_type
        if kind.HasField("shape"):
            dims = kind.shape.dim
            shapes[info.name] = tuple(
                d.dim_value if d.HasField("dim_value") else None for d in dims
            )
    return shapes


def _running(node: Node, constants: dict[str, np.ndarray]) -> int:
    """Which input is the running tensor: the first, or for Add/Sub/Mul/Div the one that
    is not a constant (c - x reads it second)."""
    if node.op not in ARITHMETIC or len(node.inputs) != 2:
        return 0
    live = [k for k, name in enumerate(node.inputs) if name not in constants]
    if len(live) == 2:
        raise node.fail(
            "both operands are computed at run time (a residual connection?); "
            "only one operand may be the running tensor, the other a constant"
        )
    return live[0]


def _batch_norm(node: Node, rank: int) -> nn.Module:
    """Inference-mode BatchNormalization: BatchNorm2d on a 4-D input (PyTorch's form, which
    exports back the same), onnx/layers.py's BatchNormalization on any other rank >= 2
    ((N, C) after a Gemm, (N, C, L), (N, C, D, H, W)); a rank-1 input is refused."""
    node.only({"epsilon": None, "momentum": None, "training_mode": (0,)})
    if len(node.outputs) > 1 and any(node.outputs[1:]):
        raise node.fail("the running mean and variance outputs (training mode) are not supported")
    if 0 < rank < 2:
        raise node.fail(f"a rank-{rank} input (C taken as 1) is not supported; rank >= 2 is")
    scale, bias, mean, var = (node.weight(k) for k in range(1, 5))
    assert scale is not None and bias is not None and mean is not None and var is not None
    if not scale.shape == bias.shape == mean.shape == var.shape or scale.ndim != 1:
        raise node.fail("scale, bias, mean and variance must be vectors of one length")
    eps, momentum = (
        float(node.attrs.get("epsilon", 1e-5)),
        1.0 - float(node.attrs.get("momentum", 0.9)),
    )
    layer = (
        nn.BatchNorm2d(len(scale), eps, momentum)
        if rank == 4
        else L.BatchNormalization(len(scale), eps, momentum, node.name)
    )
    state = {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var}
    layer.load_state_dict({**state, "num_batches_tracked": np.zeros((), np.int64)})
    return layer


def load(path: str | Path) -> nn.Sequential:
    """The ONNX model at path as a convprop Sequential in eval mode, weights loaded."""
    onnx = _optional.onnx("reading ONNX models")
    try:
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto)
    except Exception as e:  # protobuf's DecodeError, the checker's ValidationError, OSError
        reason = f"{type(e).__name__}: {e}"
        raise ValueError(f"load: {path} is not a readable ONNX model ({reason})") from None
    graph = proto.graph
    constants = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in constants]
    for proto_node in graph.node if len(inputs) > 1 else ():
        extra = [i for i in proto_node.input if i in {g.name for g in inputs[1:]}]
        if extra:
            node = Node(proto_node, onnx, constants)
            raise node.fail(f"input {extra[0]!r} is computed at run time, not a weight")
    if len(inputs) != 1:
        names = ", ".join(repr(i.name) for i in inputs)
        raise ValueError(f"load: only graphs with one input are supported, got {names}")
    rank = len(inputs[0].type.tensor_type.shape.dim)
    elem = inputs[0].type.tensor_type.elem_type
    current, layers, last = inputs[0].name, list[nn.Module](), None
    shapes = _shapes(onnx, proto)
    for proto_node in graph.node:
        node = Node(proto_node, onnx, constants)
        if node.op == "Constant":
            constants[node.outputs[0]] = onnx.numpy_helper.to_array(node.attrs["value"])
            continue
        if node.inputs and all(i in constants for i in node.inputs if i):
            constants[node.outputs[0]] = fold(node, onnx)  # arithmetic on weights only
            continue
        running = _running(node, constants) if node.inputs else 0
        if not node.inputs or node.inputs[running] != current:
            raise node.fail("the graph is not a chain (this node does not read the previous one)")
        for k, name in enumerate(node.inputs):
            if k != running and name and name not in constants:
                raise node.fail(f"input {name!r} is computed at run time, not a weight")
        if last is None and elem not in FLOATS:
            kind = onnx.helper.tensor_dtype_to_np_dtype(elem)
            raise node.fail(f"input {current!r} has element type {kind}; only float32 and float64")
        shape = shapes.get(current)
        current, last = node.outputs[0], node
        if node.op in ARITHMETIC:
            layer = _arithmetic(node, running, shape, rank, layers)
        else:
            layer = _node_layer(node, rank, layers)
        if node.op == "Flatten":
            rank = 2
        if layer is not None:
            layers.append(layer)
    wanted = [o.name for o in graph.output]
    given = [o for o in last.outputs if o] if last is not None else [current]
    if wanted != given[: len(wanted)] or (
        len(wanted) > 1 and last is not None and last.op != "MaxPool"
    ):
        raise ValueError(f"load: the graph's outputs {wanted} are not the last node's {given}")
    model = nn.Sequential(*layers)
    model.eval()
    return model


def _absorb_pad(node: Node, layers: list[nn.Module]) -> tuple[str, Any] | None:
    """A reflect/edge/wrap Pad of the spatial axes right before an unpadded Conv becomes
    the Conv's padding_mode (PyTorch's form, which exports back the same)."""
    pad = layers[-1] if layers else None
    if node.op != "Conv" or not isinstance(pad, L.Pad) or pad.mode not in POOL_PAD_MODES:
        return None
    if any(node.attrs.get("pads", [])) or node.attrs.get("auto_pad", b"NOTSET") != b"NOTSET":
        return None
    if any(v for pair in pad.pairs[:2] for v in pair):
        return None
    layers.pop()
    return POOL_PAD_MODES[pad.mode], pad.pairs[2:]


def _pad(node: Node, rank: int) -> nn.Module:
    """ONNX's Pad (opset 11+: pads, constant_value and axes as inputs), on any axes."""
    node.only({"mode": (b"constant", b"reflect", b"edge", b"wrap")})
    mode = node.attrs.get("mode", b"constant").decode()
    pads, value = node.weight(1), node.weight(2, required=False)
    axes_in = node.weight(3, required=False)
    assert pads is not None
    given = [int(a) for a in axes_in.reshape(-1)] if axes_in is not None else None
    if given is not None and any(not -rank <= a < rank for a in given):
        raise node.fail(
            f"input axes {given} lies outside [-{rank}, {rank}) for a rank-{rank} input"
        )
    axes = [a % rank for a in given] if given is not None else list(range(rank))
    if len(set(axes)) != len(axes):
        raise node.fail(f"input axes {given} names an axis more than once")
    pads = pads.reshape(-1)
    if len(pads) != 2 * len(axes):
        raise node.fail(f"input pads {list(pads)} does not give 2 values for each of {axes}")
    if np.any(pads < 0):
        raise node.fail(f"input pads {list(pads)} is negative (cropping is not supported)")
    sides = [(0, 0)] * rank
    for k, axis in enumerate(axes):
        sides[axis] = (int(pads[k]), int(pads[k + len(axes)]))
    fill = float(np.asarray(value).reshape(-1)[0]) if value is not None and value.size else 0.0
    return L.Pad(tuple(sides), mode, fill, node.name)


def _arithmetic(
    node: Node, running: int, shape: Shape | None, rank: int, layers: list[nn.Module]
) -> nn.Module | None:
    """Add/Sub/Mul/Div by a constant: a bias vector added right after a bias-less Linear
    (MatMul then Add) becomes its bias; anything else an Elementwise layer."""
    last = layers[-1] if layers else None
    b = node.weight(1 - running)
    assert b is not None
    if node.op == "Add" and isinstance(last, nn.Linear) and last.bias is None:
        node.only({})
        if b.shape in ((last.out_features,), (1, last.out_features)):
            last.bias = nn.Parameter(b.reshape(-1).astype(last.weight.array.dtype))
            return None
    layer: nn.Module = elementwise(node, running, shape, rank)
    return layer


def _node_layer(node: Node, rank: int, layers: list[nn.Module]) -> Any:
    """The layer for one node (None: nothing to add)."""
    simple = {"Relu": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh}
    if node.op in simple:
        node.only({})
        return simple[node.op]()
    if node.op in ("Identity", "Dropout"):
        return None
    if node.op == "LeakyRelu":
        node.only({"alpha": None})
        return nn.LeakyReLU(float(node.attrs.get("alpha", 0.01)))
    if node.op == "Flatten":
        node.only({"axis": None})
        axis = int(node.attrs.get("axis", 1))
        if not -rank <= axis <= rank:
            raise node.fail(f"attribute axis={axis} is outside [-{rank}, {rank}]")
        return nn.Flatten(1) if axis in (1, 1 - rank) else L.Flatten2d(axis)
    if node.op in ("Conv", "ConvTranspose"):
        return conv(node, _absorb_pad(node, layers))
    if node.op in ("MaxPool", "AveragePool", "LpPool"):
        return pool(node, rank - 2)
    if node.op in ("GlobalAveragePool", "GlobalMaxPool"):
        node.only({})
        table = ADAPTIVE_AVG_POOL if node.op == "GlobalAveragePool" else ADAPTIVE_MAX_POOL
        if rank - 2 not in table:
            raise node.fail(f"a rank-{rank} input is not supported; rank 3 to 5 is")
        return table[rank - 2](1)
    if node.op in ("Gemm", "MatMul"):
        return linear(node, node.op == "MatMul")
    if node.op == "BatchNormalization":
        return _batch_norm(node, rank)
    if node.op == "Pad":
        return _pad(node, rank)
    raise node.fail("this operator is not supported")
