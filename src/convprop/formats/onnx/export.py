"""convprop model -> ONNX file: each layer of a Sequential (nested ones flattened) becomes
one or two ONNX nodes; the example input fixes every shape, and the model runs in eval
mode (Dropout is the identity, BatchNorm uses its running statistics).

The traps this handles: ONNX pads list all begins then all ends ([top, left, bottom,
right] in 2-D), where PyTorch pairs them per axis; AveragePool's count_include_pad
defaults to 0 where PyTorch's is True (always written out here); BatchNormalization's
momentum is one minus PyTorch's; divisor_override has no ONNX form (exported as a scaled
AveragePool where every window is whole, refused otherwise); ConvTranspose's
output_padding of a stride or more (PyTorch allows it below the dilation, onnxruntime
refuses it) is written as asymmetric pads, a zero Pad and an Add of the bias; pooling
exports at opset 22 or later, after ONNX fixed ceil_mode's last window.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ... import _optional, nn
from ...autograd import Tensor, no_grad
from ...shapes import as_tuple, pool_stride, resolve_padding
from .layers import Elementwise

MIN_OPSET = 22
Shape = tuple[int, ...]

# the layers with an ONNX form, by their public classes (1-D to 3-D each)
CONV = nn.Conv1d | nn.Conv2d | nn.Conv3d
CONV_TRANSPOSE = nn.ConvTranspose1d | nn.ConvTranspose2d | nn.ConvTranspose3d
MAX_POOL = nn.MaxPool1d | nn.MaxPool2d | nn.MaxPool3d
AVG_POOL = nn.AvgPool1d | nn.AvgPool2d | nn.AvgPool3d
LP_POOL = nn.LPPool1d | nn.LPPool2d | nn.LPPool3d
ADAPTIVE_AVG = nn.AdaptiveAvgPool1d | nn.AdaptiveAvgPool2d | nn.AdaptiveAvgPool3d
ADAPTIVE_MAX = nn.AdaptiveMaxPool1d | nn.AdaptiveMaxPool2d | nn.AdaptiveMaxPool3d


def _onnx() -> Any:
    return _optional.onnx("ONNX export")


def layers_of(model: nn.Module) -> list[nn.Module]:
    """The model's layers in order: a Sequential's children, nested Sequentials flattened."""
    if isinstance(model, nn.Sequential):
        return [leaf for child in model for leaf in layers_of(child)]
    return [model]


class Graph:
    """The nodes, weights and running tensor name of an ONNX graph being built."""

    def __init__(self, onnx: Any, dtype: np.dtype) -> None:
        self.onnx, self.dtype = onnx, dtype
        self.nodes: list[Any] = []
        self.weights: list[Any] = []
        self.current = "input"
        self.count = 0

    def weight(self, name: str, value: np.ndarray) -> str:
        array = np.asarray(value)
        if array.dtype.kind == "f":
            array = array.astype(self.dtype)
        self.weights.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, extra_inputs: tuple[str, ...] = (), **attributes: Any) -> None:
        self.count += 1
        out = f"{op.lower()}_{self.count}"
        self.nodes.append(
            self.onnx.helper.make_node(
                op, [self.current, *extra_inputs], [out], name=f"{op}_{self.count}", **attributes
            )
        )
        self.current = out


def _onnx_pads(pairs: Any) -> list[int]:
    """Per-axis (before, after) pairs -> ONNX's [begins..., ends...]."""
    return [b for b, _ in pairs] + [a for _, a in pairs]


def _conv(g: Graph, layer: Any, prefix: str, shape: Shape) -> None:
    dims = len(shape) - 2
    stride = as_tuple("export", "stride", layer.stride, 1, dims)
    dilation = as_tuple("export", "dilation", layer.dilation, 1, dims)
    pairs = resolve_padding("export", layer.padding, layer.kernel_size, stride, dilation)
    if isinstance(layer, CONV) and layer.padding_mode != "zeros":
        mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[layer.padding_mode]
        pads = [0, 0] + [b for b, _ in pairs] + [0, 0] + [a for _, a in pairs]
        g.node("Pad", (g.weight(f"{prefix}.pads", np.array(pads, np.int64)),), mode=mode)
        pairs = ((0, 0),) * dims
    inputs = [g.weight(f"{prefix}.weight", layer.weight.array)]
    transpose = isinstance(layer, CONV_TRANSPOSE)
    out_pad = (
        as_tuple("export", "output_padding", layer.output_padding, 0, dims) if transpose else ()
    )
    narrow = not transpose or all(  # output_padding below the stride: what ONNX allows
        op < s for op, s in zip(out_pad, stride, strict=True)
    )
    if narrow and layer.bias is not None:
        inputs.append(g.weight(f"{prefix}.bias", layer.bias.array))
    common: dict[str, Any] = dict(
        kernel_shape=list(layer.kernel_size),
        strides=list(stride),
        dilations=list(dilation),
        group=layer.groups,
        pads=_onnx_pads(pairs),
    )
    if transpose:
        padding = as_tuple("export", "padding", layer.padding, 0, dims)
        common["pads"] = [*padding, *padding]
        if narrow:
            g.node("ConvTranspose", tuple(inputs), output_padding=list(out_pad), **common)
        else:
            _wide_output_padding(g, layer, prefix, inputs[0], common, padding, out_pad)
    else:
        g.node("Conv", tuple(inputs), **common)


def _wide_output_padding(
    g: Graph,
    layer: Any,
    prefix: str,
    weight: str,
    common: dict[str, Any],
    padding: tuple[int, ...],
    out_pad: tuple[int, ...],
) -> None:
    """ConvTranspose with output_padding >= stride (PyTorch allows it below the dilation,
    onnxruntime refuses it), written exactly: PyTorch's output on each axis is the unpadded
    (full) result from cell p on, op cells longer than the symmetric crop; in ONNX, pads
    (p, max(p - op, 0)) and no output_padding, then where op > p the op - p cells past the
    full result, which receive only the bias, as a Pad of zeros and an Add of the bias."""
    extra = [max(op - p, 0) for op, p in zip(out_pad, padding, strict=True)]
    ends = [max(p - op, 0) for op, p in zip(out_pad, padding, strict=True)]
    common["pads"] = [*padding, *ends]
    if not any(extra):
        bias = () if layer.bias is None else (g.weight(f"{prefix}.bias", layer.bias.array),)
        g.node("ConvTranspose", (weight, *bias), **common)
        return
    g.node("ConvTranspose", (weight,), **common)
    pads = np.array([0, 0, *([0] * len(extra)), 0, 0, *extra], np.int64)
    g.node("Pad", (g.weight(f"{prefix}.output_padding", pads),))
    if layer.bias is not None:
        per_channel = layer.bias.array.reshape(-1, *([1] * len(extra)))
        g.node("Add", (g.weight(f"{prefix}.bias", per_channel),))


def _pool(g: Graph, layer: Any, prefix: str, shape: Shape, out: Shape) -> None:
    dims = len(shape) - 2
    kernel = as_tuple("export", "kernel_size", layer.kernel_size, 1, dims)
    stride = pool_stride("export", layer.stride, kernel)
    padding = as_tuple("export", "padding", layer.padding, 0, dims)
    common: dict[str, Any] = dict(
        kernel_shape=list(kernel),
        strides=list(stride),
        pads=[*padding, *padding],
        ceil_mode=int(layer.ceil_mode),
    )
    if isinstance(layer, MAX_POOL):
        if layer.return_indices:
            raise ValueError(f"export: {prefix} MaxPool with return_indices has no ONNX output")
        dilation = as_tuple("export", "dilation", layer.dilation, 1, dims)
        g.node("MaxPool", dilations=list(dilation), **common)
        return
    g.node("AveragePool", count_include_pad=int(layer.count_include_pad), **common)
    if layer.divisor_override is not None:
        whole = not any(padding) and all(
            (o - 1) * s + k <= n
            for o, s, k, n in zip(out[2:], stride, kernel, shape[2:], strict=True)
        )
        if not whole:
            raise ValueError(
                f"export: {prefix} AvgPool divisor_override has no ONNX form when a window is "
                "padded or cut short (ceil_mode); remove the override or the padding"
            )
        scale = np.array(math.prod(kernel) / layer.divisor_override, dtype=g.dtype)
        g.node("Mul", (g.weight(f"{prefix}.divisor_scale", scale),))


def _adaptive(
    g: Graph, layer: Any, prefix: str, shape: tuple[int, ...], out: tuple[int, ...]
) -> None:
    average = isinstance(layer, ADAPTIVE_AVG)
    if all(o == 1 for o in out[2:]):
        g.node("GlobalAveragePool" if average else "GlobalMaxPool")
    elif out[2:] == shape[2:]:
        pass  # pools every cell alone: the identity, no node
    elif all(n % o == 0 for n, o in zip(shape[2:], out[2:], strict=True)):
        kernel = [n // o for n, o in zip(shape[2:], out[2:], strict=True)]
        g.node("AveragePool" if average else "MaxPool", kernel_shape=kernel, strides=kernel)
    else:
        raise ValueError(
            f"export: {prefix} {type(layer).__name__} from {shape[2:]} to {out[2:]} has uneven "
            "windows, which no ONNX pooling node expresses"
        )


def _elementwise(g: Graph, layer: Any, prefix: str) -> None:
    """convprop.onnx.load's Elementwise (Add/Sub/Mul/Div by a constant) back to its node,
    the constant first where it was (c - x)."""
    constant = g.weight(f"{prefix}.constant", layer.constant)
    if not layer.constant_first:
        g.node(layer.op, (constant,))
        return
    g.count += 1
    out = f"{layer.op.lower()}_{g.count}"
    g.nodes.append(
        g.onnx.helper.make_node(
            layer.op, [constant, g.current], [out], name=f"{layer.op}_{g.count}"
        )
    )
    g.current = out


def _lp_pool(
    g: Graph, layer: nn.Module, prefix: str, shape: tuple[int, ...], out: tuple[int, ...]
) -> None:
    """PyTorch's LPPool is (K * mean over the window of x^p)^(1/p); ONNX's LpPool is
    (sum of |x|^p)^(1/p). They agree only for an even integer p and whole windows."""
    p = float(layer.norm_type)
    if p != int(p) or int(p) % 2:
        raise ValueError(
            f"export: {prefix} LPPool's norm_type {layer.norm_type}: PyTorch raises x to p "
            "with its sign, ONNX's LpPool takes |x|^p; they agree only for an even integer p"
        )
    kernel = as_tuple("export", "kernel_size", layer.kernel_size, 1, len(shape) - 2)
    stride = pool_stride("export", layer.stride, kernel)
    spatial = zip(shape[2:], out[2:], kernel, stride, strict=True)
    if any((o - 1) * s + k > n for n, o, k, s in spatial):
        raise ValueError(
            f"export: {prefix} LPPool with ceil_mode on input {tuple(shape)}: its last window "
            "is partial, which PyTorch scales by K / (cells inside) and ONNX does not"
        )
    g.node(
        "LpPool",
        kernel_shape=list(kernel),
        strides=list(stride),
        p=int(p),
        ceil_mode=int(layer.ceil_mode),
    )


def _layer(
    g: Graph, layer: nn.Module, prefix: str, shape: tuple[int, ...], out: tuple[int, ...]
) -> None:
    if isinstance(layer, nn.Linear):
        inputs = [g.weight(f"{prefix}.weight", layer.weight.array)]
        if layer.bias is not None:
            inputs.append(g.weight(f"{prefix}.bias", layer.bias.array))
        g.node("Gemm", tuple(inputs), transB=1)
    elif isinstance(layer, nn.BatchNorm2d):
        mean = layer.running_mean if layer.track_running_stats else None
        if mean is None:
            raise ValueError(f"export: {prefix} BatchNorm2d without running statistics")
        c = layer.num_features
        scale = layer.weight.array if layer.weight is not None else np.ones(c)
        bias = layer.bias.array if layer.bias is not None else np.zeros(c)
        names = [
            g.weight(f"{prefix}.{n}", v)
            for n, v in (
                ("weight", scale),
                ("bias", bias),
                ("running_mean", layer.running_mean),
                ("running_var", layer.running_var),
            )
        ]
        g.node(
            "BatchNormalization",
            tuple(names),
            epsilon=float(layer.eps),
            momentum=1.0 - float(layer.momentum or 0.0),
        )
    elif isinstance(layer, nn.ReLU):
        g.node("Relu")
    elif isinstance(layer, nn.LeakyReLU):
        g.node("LeakyRelu", alpha=float(layer.negative_slope))
    elif isinstance(layer, nn.Sigmoid):
        g.node("Sigmoid")
    elif isinstance(layer, nn.Tanh):
        g.node("Tanh")
    elif isinstance(layer, nn.Dropout):
        pass  # the identity in eval mode: no node
    elif isinstance(layer, nn.Flatten):
        # ONNX's Flatten is always 2-D, (prod(shape[:axis]), prod(shape[axis:])): the same
        # as flatten(start_dim, -1) only when start_dim is the axis after the batch
        if layer.end_dim not in (-1, len(shape) - 1) or layer.start_dim % len(shape) != 1:
            raise ValueError(
                f"export: {prefix} Flatten(start_dim={layer.start_dim}, end_dim={layer.end_dim})"
                f" on shape {tuple(shape)}: ONNX's Flatten gives 2-D (N, rest); only "
                "start_dim=1, end_dim=-1 means that"
            )
        g.node("Flatten", axis=1)
    elif isinstance(layer, LP_POOL):
        _lp_pool(g, layer, prefix, shape, out)
    elif isinstance(layer, CONV | CONV_TRANSPOSE):
        _conv(g, layer, prefix, shape)
    elif isinstance(layer, MAX_POOL | AVG_POOL):
        _pool(g, layer, prefix, shape, out)
    elif isinstance(layer, ADAPTIVE_AVG | ADAPTIVE_MAX):
        _adaptive(g, layer, prefix, shape, out)
    elif isinstance(layer, Elementwise):
        _elementwise(g, layer, prefix)
    else:
        raise ValueError(f"export: layer {prefix} ({type(layer).__name__}) has no ONNX form here")


def export(
    model: nn.Module,
    example_input: Any,
    path: str | Path,
    opset: int = MIN_OPSET,
    normalise: tuple[float, float] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write model as an ONNX file at path; example_input (batched) fixes the shapes.

    normalise=(offset, scale) puts Sub(offset) and Div(scale) nodes in front, so the ONNX
    model takes raw pixels and computes (pixels - offset) / scale itself, as convprop does
    before the model; example_input is then raw pixels too. metadata goes into the
    model's metadata_props (the CLI records the input contract there)."""
    onnx = _onnx()
    if opset < MIN_OPSET:
        raise ValueError(f"export: opset must be at least {MIN_OPSET} (pooling's ceil_mode fix)")
    x = example_input.array if isinstance(example_input, Tensor) else np.asarray(example_input)
    dtype = np.dtype(x.dtype if x.dtype.kind == "f" else np.float32)
    g = Graph(onnx, dtype)
    h = Tensor(x.astype(dtype))
    if normalise is not None:
        offset, scale = normalise
        g.node("Sub", (g.weight("input_offset", np.array(offset, dtype)),))
        g.node("Div", (g.weight("input_scale", np.array(scale, dtype)),))
        h = Tensor(((x - offset) / scale).astype(dtype))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for n, layer in enumerate(layers_of(model)):
                before = tuple(h.shape)
                h = layer(h)
                _layer(g, layer, f"layer{n}", before, tuple(h.shape))
    finally:
        model.train(was_training)
    if not g.nodes:  # a model of identities still needs a node between input and output
        g.node("Identity")
    elem = onnx.helper.np_dtype_to_tensor_dtype(dtype)
    batch: list[Any] = ["N"]  # any batch size; the other axes as the example's
    graph = onnx.helper.make_graph(
        g.nodes,
        "convprop",
        [onnx.helper.make_tensor_value_info("input", elem, batch + list(x.shape[1:]))],
        [onnx.helper.make_tensor_value_info(g.current, elem, batch + list(h.shape[1:]))],
        g.weights,
    )
    proto = onnx.helper.make_model(
        graph, producer_name="convprop", opset_imports=[onnx.helper.make_opsetid("", opset)]
    )
    proto.ir_version = min(proto.ir_version, 10)  # what current onnxruntime releases read
    if metadata:
        onnx.helper.set_model_props(proto, dict(metadata))
    onnx.checker.check_model(proto, full_check=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, str(path))
    return path
