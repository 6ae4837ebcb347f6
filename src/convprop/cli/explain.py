"""`convprop explain conv|maxpool|avgpool|shape [--plot FILE.png]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from .shape import add_stack_options


def pair(text: str) -> tuple[int, int]:
    """'3' -> (3, 3); '3x2' or '3,2' -> (3, 2)."""
    parts = text.replace("x", ",").split(",")
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected N or N,M (N x M), got {text!r}") from None
    if len(values) == 1:
        values *= 2
    if len(values) != 2:
        raise argparse.ArgumentTypeError(f"expected N or N,M, got {text!r}")
    return values[0], values[1]


def _geometry_options(p: argparse.ArgumentParser, kernel: str, dilation: bool = True) -> None:
    p.add_argument("--kernel", type=pair, default=None, help=f"kernel size, N or N,M ({kernel})")
    p.add_argument("--stride", type=pair, default=None, help="stride")
    p.add_argument("--padding", type=pair, default=None, help="zero padding on each side")
    if dilation:
        p.add_argument("--dilation", type=pair, default=None, help="spacing of the kernel's taps")
    p.add_argument("--seed", type=int, default=0, help="seed of the random example numbers")
    p.add_argument("--plot", metavar="FILE.png", help="also draw the story into this PNG")


def add_explain_parser(sub: Any) -> None:
    explain = sub.add_parser(
        "explain",
        help="the course's derivations with live numbers: conv, maxpool, avgpool, shape",
        description="Print (and with --plot draw) how gradients flow, number by number.",
    )
    kinds = explain.add_subparsers(dest="what", required=True, metavar="WHAT")
    conv = kinds.add_parser("conv", help="one output, one weight, one input pixel, step by step")
    conv.add_argument("--input", type=pair, default=(5, 5), help="input size (5)")
    _geometry_options(conv, "3")
    conv.add_argument("--weight", type=pair, default=(0, 0), help="the weight W[a,b] to follow")
    conv.add_argument("--pixel", type=pair, default=None, help="the input pixel X[i,j] to follow")
    conv.add_argument("--output", type=pair, default=None, help="the output pixel Y[i,j] to sum")
    conv.add_argument("--convention", choices=["correlation", "convolution"], default="correlation")
    for name, text in (("maxpool", "max"), ("avgpool", "average")):
        pool = kinds.add_parser(name, help=f"{text} pooling's windows and where gradients land")
        pool.add_argument(
            "--input",
            type=pair,
            default=None,
            help="a random input of this size instead of the course's 4x4 example",
        )
        _geometry_options(pool, "2", dilation=name == "maxpool")
        pool.add_argument("--ceil-mode", action="store_true", help="round output sizes up")
        if name == "maxpool":
            pool.add_argument(
                "--ties",
                choices=["first", "split"],
                default="first",
                help="who gets a tied window's gradient: the first maximum (PyTorch) or all, "
                "split evenly (tinygrad)",
            )
        else:
            pool.add_argument(
                "--no-count-include-pad",
                dest="count_include_pad",
                action="store_false",
                help="leave padding out of the divisor",
            )
    shape = kinds.add_parser("shape", help="convprop shape, warning where sizes are not whole")
    add_stack_options(shape)
    shape.add_argument("--plot", metavar="FILE.png", help="also draw the layers into this PNG")


def run_explain(args: argparse.Namespace) -> int:
    try:
        from ..explain.text import fit

        lines, figure = _explain(args)
        print("\n".join(fit(lines)))
        if args.plot:
            from ..explain.plots import save

            print(f"plot: {save(figure(), args.plot)}")
    except (ValueError, ImportError) as e:  # ImportError: matplotlib missing for --plot
        print(f"convprop explain {args.what}: error: {e}", file=sys.stderr)
        return 2
    return 0


def _explain(args: argparse.Namespace) -> tuple[list[str], Any]:
    from ..explain import plots

    if args.what == "conv":
        from ..explain.conv import ConvSetup
        from ..explain.conv_story import explain

        setup = ConvSetup(
            args.input,
            args.kernel or (3, 3),
            args.stride or (1, 1),
            args.padding or (0, 0),
            args.dilation or (1, 1),
            args.seed,
            args.convention,
        )
        e = explain(setup, args.output, args.weight, args.pixel)
        return e.lines, lambda: plots.conv_figure(e)
    if args.what in ("maxpool", "avgpool"):
        stories = _pool_stories(args)
        lines = [line for s in stories for line in [*s.lines, ""]][:-1]
        return lines, lambda: plots.pool_figure(stories)
    from ..explain.shape import explain as explain_shape
    from .shape import build_layers, parse_input

    story = explain_shape(*parse_input(args.input), build_layers(args))
    return story.lines, lambda: plots.shape_figure(story)


def _pool_stories(args: argparse.Namespace) -> list[Any]:
    from ..explain.pool import COURSE_X, PoolSetup, course_scenarios, tell

    kind = "max" if args.what == "maxpool" else "avg"
    ties = getattr(args, "ties", "first")
    chosen = [args.input, args.kernel, args.stride, args.padding, getattr(args, "dilation", None)]
    if not any(v is not None for v in chosen) and not args.ceil_mode:
        if kind == "avg" and not args.count_include_pad:
            return [tell(PoolSetup(kind, count_include_pad=False), COURSE_X)]
        return [tell(s, x) for s, x in course_scenarios(kind, ties)]
    x = COURSE_X
    if args.input is not None:
        x = np.random.default_rng(args.seed).integers(0, 10, args.input).astype(np.float64)
    setup = PoolSetup(
        kind,
        args.kernel or (2, 2),
        args.stride,
        args.padding or (0, 0),
        getattr(args, "dilation", None) or (1, 1),
        args.ceil_mode,
        ties,
        getattr(args, "count_include_pad", True),
    )
    return [tell(setup, x)]
