"""`convprop train` and `convprop evaluate`."""

from __future__ import annotations

import argparse
from typing import Any

from ..data import DataLoader
from ..train import (
    EpochResult,
    Progress,
    Resumed,
    Trainer,
    check_inputs,
    evaluate,
    load_data,
    restore,
)
from .settings import DEFAULTS, check_applies, choose_dataset, resolve


class Interrupted(Exception):
    """Ctrl-C during a command: the one-line notice to print, exit status 130."""


def _table(results: list[EpochResult]) -> str:
    rows = [
        f"{'epoch':>5} {'train loss':>10} {'train acc':>9} {'test loss':>9} {'test acc':>8} "
        f"{'img/s':>7} {'s':>6}"
    ]
    for r in results:
        rows.append(
            f"{r.epoch:>5} {r.train_loss:>10.4f} {r.train_accuracy:>9.4f} {r.test_loss:>9.4f} "
            f"{r.test_accuracy:>8.4f} {r.images_per_second:>7.0f} {r.seconds:>6.1f}"
        )
    return "\n".join(rows)


def run_train(args: argparse.Namespace) -> int:
    """convprop train; with --distributed, one process of an mpirun job (rank 0 prints and
    writes files; an error on any rank aborts the job)."""
    if not args.distributed:
        return _train(args, 0, 1)
    from .. import distributed

    rank, size = distributed.init()
    try:
        return _train(args, rank, size)
    except (ValueError, ImportError, Interrupted):
        raise  # a user's mistake or Ctrl-C: cli.main says it in one line and ends the job
    except BaseException as error:
        if size > 1:
            distributed.abort(error)  # a bug: prints this rank's traceback, ends every rank
        raise


def _interrupted(args: argparse.Namespace, last: int | None, epochs: int) -> Interrupted:
    if not args.checkpoint:
        return Interrupted("interrupted; nothing saved (train with --checkpoint PATH to resume)")
    if last is None:
        return Interrupted(f"interrupted in the first epoch; {args.checkpoint} was not written")
    command = f"{_launch(args)}convprop train --checkpoint {args.checkpoint} --resume"
    command += " --distributed" if args.distributed else ""
    return Interrupted(
        f"interrupted; the last checkpoint is {args.checkpoint} (epoch {last} of {epochs}): "
        f"resume with `{command}`"
    )


def _launch(args: argparse.Namespace) -> str:
    """How the run was started, for the resume hint: 'mpirun -np 2 ' or ''."""
    if not args.distributed:
        return ""
    from .. import distributed

    return f"mpirun -np {distributed.world().size} "


def _train(args: argparse.Namespace, rank: int, size: int) -> int:
    progress = Progress()  # the last epoch saved to disk, for the Ctrl-C line
    try:
        return _run(args, rank, size, progress)
    except KeyboardInterrupt:
        raise _interrupted(args, progress.last, progress.epochs) from None


def _run(args: argparse.Namespace, rank: int, size: int, progress: Progress) -> int:
    main = rank == 0

    def say(text: str) -> None:
        if main:
            print(text, flush=True)

    if args.resume and not args.checkpoint:
        raise ValueError("--resume needs --checkpoint PATH")
    resumed = Resumed.load(args.checkpoint) if args.resume else None
    meta: dict[str, Any] = resumed.meta if resumed is not None else {}
    if resumed is not None:
        progress.last = resumed.epoch
    settings = resolve(args, meta.get("config"), int(meta.get("epoch", 0)))
    trainer = Trainer(
        settings,
        checkpoint=args.checkpoint,
        resumed=resumed,
        rank=rank,
        size=size,
        distributed=bool(args.distributed),
        report=bool(args.report),
        progress=progress,
    )
    epochs = trainer.epochs
    if resumed is not None:
        say(f"resuming from {args.checkpoint} after epoch {trainer.start_epoch}")
        before = int(resumed.config.get("epochs", epochs))
        if epochs != before:
            say(
                f"the run now ends after epoch {epochs}, not {before}"
                + (
                    f": the cosine schedule is recomputed over {epochs} epochs, "
                    f"epoch {trainer.start_epoch + 1} at lr {trainer.lr:.3g}"
                    if trainer.cosine
                    else ""
                )
            )
    recorder = None
    if args.report:
        from ..report import TrainingRecorder

        recorder = TrainingRecorder(trainer.model)
    results = trainer.run(progress=main and not args.no_progress, on_step=recorder)
    if not main:
        return 0
    say(_table(results))
    if size > 1:
        say(f"(train loss and accuracy are rank 0's shard; the data was split over {size})")
    final = results[-1] if results else None
    if final is not None:
        dataset = trainer.config["dataset"]
        say(f"test accuracy {final.test_accuracy:.4f} on {len(trainer.test_set)} {dataset} images")
    if args.checkpoint and progress.last is not None:
        say(f"saved checkpoint to {args.checkpoint}")
    trainer.write_metrics(args.metrics)
    say(f"metrics written to {args.metrics}")
    if recorder is not None:
        from ..report import write_report

        test = trainer.test_set.arrays[0], trainer.test_set.arrays[1]
        path = write_report(
            args.report, trainer.model, recorder, trainer.history, test, trainer.config
        )
        print(f"report written to {path}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Test accuracy of a checkpoint on its dataset (or --dataset), whose images must be
    the kind the checkpoint's model was trained on."""
    model, meta = restore(args.checkpoint)
    config = meta["config"]
    dataset = choose_dataset(args, config["dataset"], data_first=True)
    check_applies(args, dataset)
    check_inputs(args.checkpoint, config, dataset)
    settings = {
        "dataset": dataset,
        "data": args.data or config.get("data"),
        "holdout": args.holdout or config.get("holdout") or DEFAULTS["holdout"],
    }
    _, test_set = load_data(settings)
    batch_size = args.batch_size or DEFAULTS["batch_size"]
    loss, accuracy = evaluate(model, DataLoader(test_set, batch_size))
    print(f"test loss {loss:.4f}, accuracy {accuracy:.4f} on {len(test_set)} {dataset} images")
    return 0
