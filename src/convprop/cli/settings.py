"""The settings of a training run: its options, their defaults, their checks, and how
`--resume` reconciles the checkpoint's settings with the command's.

Every setting's option defaults to None, so that a value the user gave is told apart from
a default: a fresh run fills in DEFAULTS; a resumed run takes the checkpoint's value for
every option left out, accepts a given value equal to it, extends the run for a larger
--epochs, and refuses any other difference, naming the option.
"""

from __future__ import annotations

import argparse
from typing import Any

DEFAULTS: dict[str, Any] = {
    "dataset": "digits",
    "model": "lenet5",
    "lr": 3e-3,
    "schedule": "cosine",
    "optimizer": "adam",
    "momentum": 0.9,
    "seed": 0,
    "batch_size": 64,
    "holdout": 2000,
}
DEFAULT_EPOCHS = {"digits": 50, "mnist": 5}
SETTINGS = (*DEFAULTS, "data", "epochs")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _checked(kind: type, minimum: float, strict: bool) -> Any:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if value < minimum or (strict and value == minimum) or value != value:
            bound = f"> {minimum}" if strict else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse


positive_int, positive_float = _checked(int, 1, False), _checked(float, 0, True)
non_negative_float = _checked(float, 0, False)


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        choices=["digits", "mnist"],
        help="default: mnist with --data, else digits (evaluate, --resume: the checkpoint's)",
    )
    parser.add_argument(
        "--data", metavar="DIR", help="directory with MNIST IDX files (gzipped or raw)"
    )
    parser.add_argument(
        "--holdout",
        type=positive_int,
        metavar="N",
        help="with only one MNIST split on disk, its last N images are the test set "
        f"(default: {DEFAULTS['holdout']})",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        metavar="B",
        help=f"images per step, over all processes (default: {DEFAULTS['batch_size']})",
    )


def add_train_options(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    add = parser.add_argument
    add("--model", choices=["lenet5", "mlp"], help=f"default: {DEFAULTS['model']}")
    add("--epochs", type=positive_int, metavar="N", help="default: 50 on digits, 5 on MNIST")
    add("--lr", type=positive_float, help=f"learning rate (default: {DEFAULTS['lr']:g})")
    add(
        "--schedule",
        choices=["cosine", "none"],
        help="learning-rate schedule: cosine annealing to 0 over the epochs (default: cosine)",
    )
    add("--optimizer", choices=["adam", "adamw", "sgd"], help="default: adam")
    add("--momentum", type=non_negative_float, help="for sgd (default: 0.9)")
    add("--seed", type=int, help="seeds the weights and the batch order (default: 0)")
    add("--checkpoint", metavar="PATH", help="save the model here after every epoch (.npz)")
    add(
        "--resume",
        action="store_true",
        help="continue the run saved in --checkpoint with its settings; a larger --epochs "
        "extends it (the cosine schedule is recomputed over the new total)",
    )
    add(
        "--metrics",
        default="metrics.json",
        metavar="PATH",
        help="where to write the metrics JSON (default: metrics.json)",
    )
    add(
        "--no-progress",
        action="store_true",
        help="no progress output (by default a bar on a terminal, else one line per epoch)",
    )
    add(
        "--distributed",
        action="store_true",
        help="data-parallel over the processes of `mpirun -np N convprop train --distributed`: "
        "the global --batch-size is split among them (needs mpi4py: pip install 'convprop[mpi]')",
    )
    add(
        "--report",
        metavar="DIR",
        help="write DIR/report.html: curves, filters, feature maps, gradient norms, confusion "
        "matrix, saliency maps (needs matplotlib: pip install 'convprop[plot]')",
    )


def choose_dataset(
    args: argparse.Namespace, saved: str | None = None, *, data_first: bool = False
) -> str:
    """--dataset, else the checkpoint's, else mnist when --data is given, else digits;
    data_first (evaluate): --data means mnist even over the checkpoint's dataset."""
    from_data = "mnist" if args.data else None
    implied = (from_data or saved) if data_first else (saved or from_data)
    dataset = args.dataset or implied or DEFAULTS["dataset"]
    if dataset == "digits" and args.data:
        raise ValueError("--data DIR is for --dataset mnist; the digits need no files")
    return str(dataset)


def check_applies(args: argparse.Namespace, dataset: str, optimizer: str | None = None) -> None:
    """Refuse an option given where it has no effect: never accepted and ignored."""
    if getattr(args, "holdout", None) is not None and dataset != "mnist":
        raise ValueError(f"--holdout is for --dataset mnist; {dataset} has its own test split")
    if getattr(args, "momentum", None) is not None and optimizer not in (None, "sgd"):
        raise ValueError(f"--momentum is for --optimizer sgd; {optimizer} has none")


def resolve(args: argparse.Namespace, saved: dict[str, Any] | None, done: int) -> dict[str, Any]:
    """The run's settings: args over DEFAULTS, or, resuming a checkpoint whose config is
    `saved` after `done` epochs, args reconciled with it (see the module's docstring)."""
    settings: dict[str, Any] = {}
    saved = saved or {}
    settings["dataset"] = choose_dataset(args, saved.get("dataset"))
    for name in SETTINGS:
        given = getattr(args, name)
        if name == "dataset":
            given = settings["dataset"]
        elif given is None:
            given = saved.get(name, DEFAULTS.get(name))
        if name == "epochs" and given is None:
            given = DEFAULT_EPOCHS[settings["dataset"]]
        before = saved.get(name)
        if before is not None and given != before and name not in ("data", "epochs"):
            raise ValueError(
                f"{flag(name)} {given} differs from the checkpoint's {before}; --resume "
                f"continues a run with its own settings (leave out {flag(name)}, or start a "
                "new run with another --checkpoint)"
            )
        settings[name] = given
    check_applies(args, settings["dataset"], settings["optimizer"])
    if saved and settings["epochs"] < done:
        raise ValueError(
            f"--epochs {settings['epochs']} is fewer than the {done} epochs the checkpoint "
            "has already trained"
        )
    return settings
