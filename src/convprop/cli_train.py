"""`convprop train` and `convprop evaluate`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from . import checkpoint, optim, rng
from .cli_predict import build_model, restore
from .cli_settings import DEFAULTS, check_applies, resolve
from .data import DataLoader, TensorDataset, load_digits, load_mnist
from .data.contract import checkpoint_contract, contract_for
from .nn import Module
from .train import EpochResult, evaluate, fit


class Interrupted(Exception):
    """Ctrl-C during a command: the one-line notice to print, exit status 130."""


def load_data(settings: dict[str, Any]) -> tuple[TensorDataset, TensorDataset]:
    if settings["dataset"] == "digits":
        return load_digits("train"), load_digits("test")
    data, holdout = settings.get("data"), settings.get("holdout") or DEFAULTS["holdout"]
    if not data:
        raise ValueError("--dataset mnist needs --data DIR, the directory of the IDX files")
    return load_mnist(data, "train", holdout), load_mnist(data, "test", holdout)


def build_optimizer(model: Module, name: str, lr: float, momentum: float) -> optim.Optimizer:
    if name == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return (optim.AdamW if name == "adamw" else optim.Adam)(model.parameters(), lr=lr)


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
    from . import distributed

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
    from . import distributed

    return f"mpirun -np {distributed.world().size} "


def _same_processes(saved: dict[str, Any], args: argparse.Namespace, size: int) -> None:
    """A resumed run shards its batches as before, or its weights would differ silently."""
    if "processes" not in saved:  # a checkpoint from before the processes were recorded
        return
    was, now = (saved["processes"], saved["distributed"]), (size, bool(args.distributed))
    if was != now:
        how = f"mpirun -np {was[0]} ... --distributed" if was[1] else "one process"
        raise ValueError(
            f"{args.checkpoint} was trained by {how}; resume it the same way "
            f"(this run: {f'{size} processes' if now[1] else 'one process'})"
        )


def _train(args: argparse.Namespace, rank: int, size: int) -> int:
    progress: dict[str, Any] = {"last": None, "epochs": 0}  # the last epoch saved to disk
    try:
        return _run(args, rank, size, progress)
    except KeyboardInterrupt:
        raise _interrupted(args, progress["last"], progress["epochs"]) from None


def _run(args: argparse.Namespace, rank: int, size: int, progress: dict[str, Any]) -> int:
    main = rank == 0

    def say(text: str) -> None:
        if main:
            print(text, flush=True)

    if args.resume and not args.checkpoint:
        raise ValueError("--resume needs --checkpoint PATH")
    meta: dict[str, Any] = {}
    if args.resume:
        model_state, optim_state, meta = checkpoint.load(args.checkpoint)
        progress["last"] = int(meta["epoch"])
    settings = resolve(args, meta.get("config"), int(meta.get("epoch", 0)))
    if args.resume:
        _same_processes(meta.get("config") or {}, args, size)
    if settings["data"]:
        settings["data"] = str(Path(settings["data"]).resolve())
    progress["epochs"] = epochs = settings["epochs"]
    train_set, test_set = load_data(settings)
    x_sample = train_set.arrays[0]
    config = {
        **settings,
        "in_channels": int(x_sample.shape[1]),
        "image_size": int(x_sample.shape[2]),
        "num_classes": 10,
        "input": contract_for(settings["dataset"]).as_dict(),
        "processes": size,
        "distributed": bool(args.distributed),
    }
    if args.report:
        from ._optional import pyplot

        pyplot()  # matplotlib missing: fail now, not after the training
    rng.manual_seed(settings["seed"])
    model = build_model(config)
    batch_size = settings["batch_size"]
    optimizer: Any = build_optimizer(
        model, settings["optimizer"], settings["lr"], settings["momentum"]
    )
    if args.distributed:
        from . import distributed

        if batch_size % size:
            raise ValueError(f"--batch-size {batch_size} must split evenly over {size} processes")
        distributed.broadcast_parameters(model)  # rank 0's initial weights everywhere
        optimizer = distributed.DistributedOptimizer(optimizer, model.named_parameters())
        sampler = distributed.DistributedSampler(train_set, size, rank, seed=settings["seed"])
        loader = DataLoader(train_set, batch_size // size, sampler=sampler)
    else:
        loader = DataLoader(train_set, batch_size, shuffle=True, seed=settings["seed"])
    test_loader = DataLoader(test_set, 256)
    cosine = settings["schedule"] == "cosine"
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs) if cosine else None
    start_epoch, history = 0, []
    if args.resume:
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optim_state)
        start_epoch, history = int(meta["epoch"]), meta["history"]
        if scheduler is not None:
            # the schedule over this run's epochs, continued from the epoch reached: with a
            # larger --epochs, the cosine over the new total (lr falls, > 0 to the end)
            scheduler.load_state_dict(meta["scheduler"])
            for group, base in zip(optimizer.param_groups, scheduler.base_lrs, strict=True):
                group["lr"] = scheduler.lr_at(base, scheduler.last_epoch)
        loader.generator.bit_generator.state = meta["loader_rng"]
        rng.generator().bit_generator.state = meta["global_rng"]
        say(f"resuming from {args.checkpoint} after epoch {start_epoch}")
        before = int(meta["config"].get("epochs", epochs))
        if epochs != before:
            lr = optimizer.param_groups[0]["lr"]
            say(
                f"the run now ends after epoch {epochs}, not {before}"
                + (
                    f": the cosine schedule is recomputed over {epochs} epochs, "
                    f"epoch {start_epoch + 1} at lr {lr:.3g}"
                    if cosine
                    else ""
                )
            )

    def save(result: EpochResult) -> None:
        history.append(result.as_dict())
        if args.checkpoint:
            if main:
                state = {
                    "epoch": result.epoch,
                    "config": config,
                    "history": history,
                    "loader_rng": loader.generator.bit_generator.state,
                    "global_rng": rng.generator().bit_generator.state,
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                }
                checkpoint.save(args.checkpoint, model.state_dict(), optimizer.state_dict(), state)
            progress["last"] = result.epoch

    recorder = None
    if args.report:
        from .report import TrainingRecorder

        recorder = TrainingRecorder(model)
    started = time.perf_counter()
    fit(
        model,
        optimizer,
        loader,
        test_loader,
        epochs,
        start_epoch,
        scheduler,
        progress=main and not args.no_progress,
        on_epoch=save,
        on_step=recorder,
    )
    if not main:
        return 0
    results = [EpochResult(**h) for h in history]
    say(_table(results))
    if size > 1:
        say(f"(train loss and accuracy are rank 0's shard; the data was split over {size})")
    final = results[-1] if results else None
    metrics = {
        "config": config,
        "epochs": history,
        "seconds": time.perf_counter() - started,
        "processes": size,
    }
    if final is not None:
        metrics["test_accuracy"], metrics["test_loss"] = final.test_accuracy, final.test_loss
        dataset = config["dataset"]
        say(f"test accuracy {final.test_accuracy:.4f} on {len(test_set)} {dataset} images")
    if args.checkpoint and progress["last"] is not None:
        say(f"saved checkpoint to {args.checkpoint}")
    Path(args.metrics).parent.mkdir(parents=True, exist_ok=True)
    Path(args.metrics).write_text(json.dumps(metrics, indent=2))
    say(f"metrics written to {args.metrics}")
    if recorder is not None:
        from .report import write_report

        x_test, y_test = test_set.arrays[0], test_set.arrays[1]
        path = write_report(args.report, model, recorder, history, (x_test, y_test), config)
        print(f"report written to {path}")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    """Test accuracy of a checkpoint on its dataset (or --dataset), whose images must be
    the kind the checkpoint's model was trained on."""
    model, meta = restore(args.checkpoint)
    config = meta["config"]
    dataset = args.dataset or ("mnist" if args.data else config["dataset"])
    if dataset == "digits" and args.data:
        raise ValueError("--data DIR is for --dataset mnist; the digits need no files")
    check_applies(args, dataset)
    wanted, found = checkpoint_contract(config), contract_for(dataset)
    if (wanted.size, wanted.low, wanted.high) != (found.size, found.low, found.high) or (
        wanted.mean,
        wanted.std,
    ) != (found.mean, found.std):
        raise ValueError(
            f"{args.checkpoint} is a model of {wanted.size}x{wanted.size} images in "
            f"{wanted.range_text()} ({config['dataset']}); {dataset} has {found.size}x"
            f"{found.size} images in {found.range_text()}"
        )
    settings = {
        "dataset": dataset,
        "data": args.data or config.get("data"),
        "holdout": args.holdout or config.get("holdout"),
    }
    _, test_set = load_data(settings)
    batch_size = args.batch_size or DEFAULTS["batch_size"]
    loss, accuracy = evaluate(model, DataLoader(test_set, batch_size))
    print(f"test loss {loss:.4f}, accuracy {accuracy:.4f} on {len(test_set)} {dataset} images")
    return 0
