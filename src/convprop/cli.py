"""`convprop ...` subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .cli_shape import add_stack_options


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="convprop",
        description="Backpropagation through convolutional networks, as the course teaches it.",
    )
    parser.add_argument("--version", action="version", version=f"convprop {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    shape = sub.add_parser(
        "shape",
        help="walk a stack of conv (and pool) layers through W2 = (W1 - F + 2P)/S + 1",
        description=(
            "Explain the output-size arithmetic of a stack of convolutional layers, each "
            "optionally followed by a max pool. Options taking several values describe one "
            "layer each; a single value applies to every layer. Example (LeNet-5): "
            "convprop shape 32x32x1 --filters 6 16 --kernel 5 --pool 2"
        ),
    )
    add_stack_options(shape)

    check = sub.add_parser(
        "gradcheck",
        help="check every kernel's gradients against central differences",
        description=(
            "Check every kernel's analytic gradients against float64 central differences over "
            "a grid of configurations; prints a table and exits non-zero on any failure."
        ),
    )
    check.add_argument("--quick", action="store_true", help="a smaller grid")

    from .cli_explain import add_explain_parser

    add_explain_parser(sub)

    from .cli_train import add_data_options, add_train_options

    train = sub.add_parser("train", help="train a CNN (LeNet-5 on the bundled digits by default)")
    add_train_options(train)
    evaluate = sub.add_parser("evaluate", help="test accuracy of a saved checkpoint")
    evaluate.add_argument("--checkpoint", required=True)
    add_data_options(evaluate)
    predict = sub.add_parser("predict", help="classify images (.npy or .pgm) with a checkpoint")
    predict.add_argument("--checkpoint", required=True)
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    export = sub.add_parser("export", help="write a checkpoint's model as an ONNX file")
    export.add_argument("checkpoint", help="a .npz checkpoint written by convprop train")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx")
    export.add_argument("--opset", type=int, default=22)
    saliency = sub.add_parser(
        "saliency", help="|dL/dX| of images for a checkpoint's prediction (saliency maps)"
    )
    saliency.add_argument("--checkpoint", required=True)
    saliency.add_argument("images", nargs="+", metavar="IMAGE", help=".npy or .pgm images")
    saliency.add_argument("--plot", metavar="FILE.png", help="draw each image beside its map")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    if args.command == "shape":
        from .cli_shape import run_shape

        return run_shape(args)
    if args.command == "explain":
        from .cli_explain import run_explain

        return run_explain(args)
    if args.command == "gradcheck":
        from .cli_gradcheck import run_gradcheck

        return run_gradcheck(quick=args.quick)
    from . import cli_train

    runner = {
        "train": cli_train.run_train,
        "evaluate": cli_train.run_evaluate,
        "saliency": cli_train.run_saliency,
        "export": cli_train.run_export,
    }
    try:
        return runner.get(args.command, cli_train.run_predict)(args)
    except (ValueError, ImportError) as e:
        print(f"convprop {args.command}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
