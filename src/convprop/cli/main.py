"""`convprop ...` subcommands."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..kernels import jit
from .shape import add_stack_options


class _Formatter(argparse.HelpFormatter):
    """Every option's default in its help, unless the help already says it or there is none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "default" in text
            or default in (None, False, argparse.SUPPRESS)
            or not action.option_strings
            or isinstance(action, argparse._HelpAction | argparse._VersionAction)
        ):
            return action.help
        return f"{text} (default: {default})".strip()


class _Parser(argparse.ArgumentParser):
    """A subcommand's parser: defaults in its help, and its own usage for an unknown option
    (argparse would hand unknown options up to `convprop`'s usage otherwise)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if extras and self.prog != "convprop":
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed, extras


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="convprop",
        description="Backpropagation through convolutional networks, as the course teaches it.",
    )
    parser.add_argument("--version", action="version", version=f"convprop {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

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

    from .explain import add_explain_parser

    add_explain_parser(sub)

    from .settings import add_data_options, add_train_options

    train = sub.add_parser(
        "train",
        help="train a CNN (LeNet-5 on the bundled digits by default)",
        description="Train LeNet-5 (or an MLP) on the bundled 8x8 digits or on MNIST; "
        "prints a table per epoch and the test accuracy, writes the metrics JSON.",
    )
    add_train_options(train)
    evaluate = sub.add_parser("evaluate", help="test accuracy of a saved checkpoint")
    evaluate.add_argument("--checkpoint", required=True, metavar="PATH")
    add_data_options(evaluate)
    images = (
        "images: .npy arrays (H, W) of the model's own pixel values (the digits 0..16, MNIST "
        "0..255), or PNG, JPEG and PGM files scaled by their bit depth to that range (needs "
        "Pillow: pip install 'convprop[image]'); grey, a light digit on a dark background"
    )
    predict = sub.add_parser(
        "predict", help="classify images with a checkpoint", description=images
    )
    predict.add_argument("--checkpoint", required=True, metavar="PATH")
    predict.add_argument("images", nargs="+", metavar="IMAGE")
    export = sub.add_parser(
        "export",
        help="write a checkpoint's model as an ONNX file",
        description="The ONNX model takes the same raw pixels as `convprop predict`: the "
        "checkpoint's normalisation is its first two nodes (Sub, Div).",
    )
    export.add_argument("checkpoint", help="a .npz checkpoint written by convprop train")
    export.add_argument("--onnx", required=True, metavar="OUT.onnx")
    export.add_argument("--opset", type=int, default=22)
    saliency = sub.add_parser(
        "saliency",
        help="|dL/dX| of images for a checkpoint's prediction (saliency maps)",
        description=images,
    )
    saliency.add_argument("--checkpoint", required=True, metavar="PATH")
    saliency.add_argument("images", nargs="+", metavar="IMAGE")
    saliency.add_argument("--plot", metavar="FILE.png", help="draw each image beside its map")
    return parser


def _fail(command: str, message: str, code: int) -> int:
    """Print `convprop COMMAND: message` and return code; in an MPI job of several
    processes, end the whole job with that code instead (no traceback)."""
    line = f"convprop {command}: {message}"
    distributed = sys.modules.get("convprop.distributed")
    if distributed is not None and distributed.world().size > 1:
        distributed.fail(line, code)  # does not return
    print(line, file=sys.stderr, flush=True)
    return code


def _compiling(notice: str) -> None:
    """The first run's pause explained to a person watching: on stderr where it is a
    terminal (as the progress bars), by rank 0 only in an MPI job."""
    distributed = sys.modules.get("convprop.distributed")
    if sys.stderr.isatty() and (distributed is None or distributed.world().rank == 0):
        print(f"convprop: {notice}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    try:
        return _run(args)
    except BrokenPipeError:  # `convprop explain ... | head`: the reader left; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush is silent
        return 141  # as a process killed by SIGPIPE


def _run(args: argparse.Namespace) -> int:
    if args.command == "shape":
        from .shape import run_shape

        return run_shape(args)
    if args.command == "explain":
        from .explain import run_explain

        return run_explain(args)
    if args.command == "gradcheck":
        from .gradcheck import run_gradcheck

        return run_gradcheck(quick=args.quick)
    from . import predict as cli_predict
    from . import train as cli_train

    runner = {
        "train": cli_train.run_train,
        "evaluate": cli_train.run_evaluate,
        "predict": cli_predict.run_predict,
        "saliency": cli_predict.run_saliency,
        "export": cli_predict.run_export,
    }[args.command]
    jit.announce_compiling(_compiling)
    try:
        return runner(args)
    except (ValueError, ImportError) as e:  # the user's mistake: one line, no traceback
        if os.environ.get("CONVPROP_TRACEBACK"):  # or a bug: the whole story on request
            raise
        return _fail(args.command, f"error: {e}", 2)
    except cli_train.Interrupted as e:
        return _fail(args.command, str(e), 130)
    except KeyboardInterrupt:
        return _fail(args.command, "interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
