"""`convprop shape`: the output-size formula with the numbers filled in, layer by layer."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from .shapes import conv2d_geometry, output_size, pool2d_geometry


@dataclass(frozen=True)
class Layer:
    kind: str  # "conv" or "pool"
    kernel: int
    stride: int
    padding: int | str = 0
    dilation: int = 1
    filters: int = 0
    ceil_mode: bool = False


def parse_input(text: str) -> tuple[int, int, int]:
    """'32x32x3' -> (H, W, C); '28x28' -> (28, 28, 1)."""
    parts = text.lower().split("x")
    try:
        dims = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"shape: input must look like HxWxC, e.g. 32x32x3, not {text!r}") from None
    if len(dims) == 2:
        dims.append(1)
    if len(dims) != 3 or min(dims) < 1:
        raise ValueError(f"shape: input must be HxWxC with positive sizes, got {text!r}")
    return dims[0], dims[1], dims[2]


def _padding(text: str) -> int | str:
    if text in ("same", "valid"):
        return text
    try:
        return int(text)
    except ValueError:
        message = f"shape: --padding must be an int, 'same' or 'valid', got {text!r}"
        raise ValueError(message) from None


def build_layers(args: argparse.Namespace) -> list[Layer]:
    """One conv layer per --filters value, each followed by its pool when --pool > 0."""
    count = len(args.filters)
    lists = {
        "--kernel": args.kernel,
        "--stride": args.stride,
        "--padding": args.padding,
        "--dilation": args.dilation,
        "--pool": args.pool,
        "--pool-stride": args.pool_stride or [0],
    }
    for name, values in lists.items():
        if len(values) not in (1, count):
            raise ValueError(
                f"shape: {name} takes one value or one per layer ({count}), got {len(values)}"
            )

    def at(values: list[int] | list[str], i: int) -> int | str:
        return values[i] if len(values) == count else values[0]

    layers = []
    for i in range(count):
        layers.append(
            Layer(
                "conv",
                int(at(args.kernel, i)),
                int(at(args.stride, i)),
                _padding(str(at(args.padding, i))),
                int(at(args.dilation, i)),
                args.filters[i],
            )
        )
        pool = int(at(args.pool, i))
        if pool > 0:
            stride = int(at(lists["--pool-stride"], i)) or pool
            layers.append(Layer("pool", pool, stride, ceil_mode=args.ceil_mode))
    return layers


def _formula(axis: str, size: int, layer: Layer, pad: tuple[int, int], out: int) -> str:
    """'W2 = (W1 - F + 2P)/S + 1 = (32 - 5 + 2*0)/1 + 1 = 28', with dilation and ceil shown."""
    f = layer.dilation * (layer.kernel - 1) + 1
    # a dilated window spans F' = D*(F-1)+1 cells: said once, then used as F
    fdef = f", F' = D*(F-1)+1 = {layer.dilation}*({layer.kernel}-1)+1 = {f}: "
    fname, fdef = ("F'", fdef) if layer.dilation > 1 else ("F", " = ")
    padding = f"2*{pad[0]}" if pad[0] == pad[1] else f"{pad[0]}+{pad[1]}"
    numerator = size - f + pad[0] + pad[1]
    exact = numerator % layer.stride == 0
    rounding = "ceil" if layer.ceil_mode else "floor"
    value = (
        f"{numerator // layer.stride + 1}"
        if exact
        else f"{rounding}({numerator}/{layer.stride}) + 1 = {out}"
    )
    line = (
        f"  {axis}2 = ({axis}1 - {fname} + 2P)/S + 1{fdef}({size} - {f} + {padding})/"
        f"{layer.stride} + 1 = {value}"
    )
    if not exact and not layer.ceil_mode:
        unseen = numerator % layer.stride
        what = ("row" if axis == "H" else "column") + ("s" if unseen > 1 else "")
        kind = "padded" if pad[0] or pad[1] else "input"  # no padding: the rows are X's own
        line += f"   (not whole: the last {unseen} {kind} {what} never seen)"
    return line


def walk(h: int, w: int, c: int, layers: list[Layer]) -> tuple[list[str], tuple[int, int, int]]:
    """Explanation lines and the final HxWxC; ValueError names the layer and the broken rule."""
    lines = [f"input: {h}x{w}x{c}"]
    for n, layer in enumerate(layers, 1):
        try:
            if layer.kind == "conv":
                g = conv2d_geometry(
                    "conv2d",
                    (1, c, h, w),
                    (layer.filters, c, layer.kernel, layer.kernel),
                    layer.stride,
                    layer.padding,
                    layer.dilation,
                )
                pads, out, c_out = g.pad, g.out_size, layer.filters
                title = (
                    f"layer {n}: conv {layer.filters} filters {layer.kernel}x{layer.kernel}x{c}, "
                    f"stride {layer.stride}, padding {layer.padding}"
                    + (f", dilation {layer.dilation}" if layer.dilation > 1 else "")
                )
            else:
                p = pool2d_geometry(
                    "max_pool2d", (1, c, h, w), layer.kernel, layer.stride, 0, 1, layer.ceil_mode
                )
                pads, out, c_out = ((0, 0), (0, 0)), p.out_size, c
                title = f"layer {n}: max pool {layer.kernel}x{layer.kernel}, stride {layer.stride}"
                title += ", ceil_mode" if layer.ceil_mode else ""
        except ValueError as e:
            raise ValueError(f"layer {n} ({layer.kind}): {e}") from None
        assert out[0] == output_size(
            h, layer.kernel, layer.stride, pads[0], layer.dilation, layer.ceil_mode
        )
        lines += [
            title,
            _formula("H", h, layer, pads[0], out[0]),
            _formula("W", w, layer, pads[1], out[1]),
        ]
        h, w, c = out[0], out[1], c_out
        lines.append(f"  -> {h}x{w}x{c}")
    return lines, (h, w, c)


def run_shape(args: argparse.Namespace) -> int:
    try:
        h, w, c = parse_input(args.input)
        lines, (h, w, c) = walk(h, w, c, build_layers(args))
    except ValueError as e:
        print(f"convprop shape: error: {e}", file=sys.stderr)
        return 2
    from .explain.text import fit

    print("\n".join(fit([*lines, f"output: {h}x{w}x{c}"])))
    return 0


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """The layer-stack options of `convprop shape` and `convprop explain shape`."""
    parser.add_argument("input", help="input size as HxWxC, e.g. 32x32x3 (or HxW for one channel)")
    parser.add_argument("--filters", nargs="+", type=int, default=[1], help="filters per layer (K)")
    parser.add_argument("--kernel", nargs="+", type=int, default=[3], help="filter size F")
    parser.add_argument("--stride", nargs="+", type=int, default=[1], help="stride S")
    parser.add_argument(
        "--padding", nargs="+", default=["0"], help="zero padding P: an int, 'valid' or 'same'"
    )
    parser.add_argument("--dilation", nargs="+", type=int, default=[1], help="dilation D")
    parser.add_argument(
        "--pool", nargs="+", type=int, default=[0], help="max-pool size after each layer (0: none)"
    )
    parser.add_argument(
        "--pool-stride", nargs="+", type=int, default=None, help="pool stride (default: pool size)"
    )
    parser.add_argument("--ceil-mode", action="store_true", help="round pool output sizes up")
