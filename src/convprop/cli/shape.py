"""`convprop shape`: the output-size formula with the numbers filled in, layer by layer."""

from __future__ import annotations

import argparse
import sys

from ..explain.stack import Layer, walk

__all__ = ["Layer", "add_stack_options", "build_layers", "parse_input", "run_shape", "walk"]


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


def run_shape(args: argparse.Namespace) -> int:
    try:
        h, w, c = parse_input(args.input)
        lines, (h, w, c) = walk(h, w, c, build_layers(args))
    except ValueError as e:
        print(f"convprop shape: error: {e}", file=sys.stderr)
        return 2
    from ..explain.text import fit

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
