"""`convprop train`, `convprop evaluate` and `convprop predict`."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import checkpoint, optim, random
from .data import DataLoader, TensorDataset, digits, load_digits, load_mnist, mnist
from .models import MODELS
from .nn import Module
from .train import EpochResult, evaluate, fit, predict

NORMALISATION = {"digits": (digits.MEAN, digits.STD), "mnist": (mnist.MEAN, mnist.STD)}
DEFAULT_EPOCHS = {"digits": 50, "mnist": 5}


def add_data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        choices=["digits", "mnist"],
        help="default: digits (evaluate: the checkpoint's)",
    )
    parser.add_argument("--data", help="directory with MNIST IDX files (gzipped or raw)")
    parser.add_argument(
        "--holdout", type=int, default=2000,
        help="with only one MNIST split on disk, its last N images are the test set (default 2000)",
    )  # fmt: skip
    parser.add_argument("--batch-size", type=int, default=64)


def add_train_options(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    parser.add_argument("--model", choices=sorted(MODELS), default="lenet5")
    parser.add_argument("--epochs", type=int, help="default: 50 on digits, 5 on MNIST")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--schedule", choices=["cosine", "none"], default="cosine",
        help="learning-rate schedule over the epochs (default: cosine annealing to 0)",
    )  # fmt: skip
    parser.add_argument("--optimizer", choices=["adam", "adamw", "sgd"], default="adam")
    parser.add_argument("--momentum", type=float, default=0.9, help="for sgd")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", help="save the model here after every epoch (.npz)")
    parser.add_argument("--resume", action="store_true", help="continue from --checkpoint")
    parser.add_argument("--metrics", default="metrics.json", help="where to write the metrics JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--distributed", action="store_true",
        help="data-parallel over the processes of `mpirun -np N convprop train --distributed`: "
        "the global --batch-size is split among them (needs mpi4py: pip install 'convprop[mpi]')",
    )  # fmt: skip
    parser.add_argument(
        "--report", metavar="DIR",
        help="write DIR/report.html: curves, filters, feature maps, gradient norms, confusion "
        "matrix, saliency maps (needs matplotlib: pip install 'convprop[plot]')",
    )  # fmt: skip


def load_data(args: argparse.Namespace) -> tuple[TensorDataset, TensorDataset]:
    args.dataset = args.dataset or "digits"
    if args.dataset == "digits":
        return load_digits("train"), load_digits("test")
    if not args.data:
        raise ValueError("train: --dataset mnist needs --data DIR, the directory of the IDX files")
    return load_mnist(args.data, "train", args.holdout), load_mnist(args.data, "test", args.holdout)


def build_model(config: dict[str, Any]) -> Module:
    return MODELS[config["model"]](
        config["in_channels"], config["num_classes"], config["image_size"]
    )


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
    except BaseException as error:
        if size > 1:
            distributed.abort(error)  # prints this rank's error, ends every rank
        raise


def _train(args: argparse.Namespace, rank: int, size: int) -> int:
    main = rank == 0

    def say(text: str) -> None:
        if main:
            print(text)

    if args.resume and not args.checkpoint:
        raise ValueError("train: --resume needs --checkpoint PATH")
    train_set, test_set = load_data(args)  # sets args.dataset's default
    x_sample = train_set.arrays[0]
    config = {
        "model": args.model, "dataset": args.dataset, "in_channels": int(x_sample.shape[1]),
        "image_size": int(x_sample.shape[2]), "num_classes": 10, "optimizer": args.optimizer,
        "lr": args.lr, "schedule": args.schedule, "batch_size": args.batch_size, "seed": args.seed,
        "epochs": args.epochs or DEFAULT_EPOCHS[args.dataset],
    }  # fmt: skip
    if args.report:
        from .explain.plots import pyplot

        pyplot()  # matplotlib missing: fail now, not after the training
    random.manual_seed(args.seed)
    model = build_model(config)
    optimizer: Any = build_optimizer(model, args.optimizer, args.lr, args.momentum)
    if args.distributed:
        from . import distributed

        if args.batch_size % size:
            raise ValueError(
                f"train: --batch-size {args.batch_size} must split evenly over {size} processes"
            )
        distributed.broadcast_parameters(model)  # rank 0's initial weights everywhere
        optimizer = distributed.DistributedOptimizer(optimizer, model.named_parameters())
        sampler = distributed.DistributedSampler(train_set, size, rank, seed=args.seed)
        loader = DataLoader(train_set, args.batch_size // size, sampler=sampler)
    else:
        loader = DataLoader(train_set, args.batch_size, shuffle=True, seed=args.seed)
    test_loader = DataLoader(test_set, 256)
    scheduler = (
        optim.lr_scheduler.CosineAnnealingLR(optimizer, config["epochs"])
        if args.schedule == "cosine"
        else None
    )
    start_epoch, history = 0, []
    if args.resume:
        model_state, optim_state, meta = checkpoint.load(args.checkpoint)
        model.load_state_dict(model_state)
        optimizer.load_state_dict(optim_state)
        if scheduler is not None:
            scheduler.load_state_dict(meta["scheduler"])
        loader.generator.bit_generator.state = meta["loader_rng"]
        random.generator().bit_generator.state = meta["global_rng"]
        start_epoch, history = int(meta["epoch"]), meta["history"]
        say(f"resuming from {args.checkpoint} after epoch {start_epoch}")

    def save(result: EpochResult) -> None:
        history.append(result.as_dict())
        if args.checkpoint and main:
            meta = {
                "epoch": result.epoch, "config": config, "history": history,
                "loader_rng": loader.generator.bit_generator.state,
                "global_rng": random.generator().bit_generator.state,
                "scheduler": scheduler.state_dict() if scheduler is not None else None,
            }  # fmt: skip
            checkpoint.save(args.checkpoint, model.state_dict(), optimizer.state_dict(), meta)

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
        config["epochs"],
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
    metrics = {"config": config, "epochs": history, "seconds": time.perf_counter() - started,
               "processes": size}  # fmt: skip
    if final is not None:
        metrics["test_accuracy"], metrics["test_loss"] = final.test_accuracy, final.test_loss
        say(f"test accuracy {final.test_accuracy:.4f} on {len(test_set)} {args.dataset} images")
    Path(args.metrics).parent.mkdir(parents=True, exist_ok=True)
    Path(args.metrics).write_text(json.dumps(metrics, indent=2))
    say(f"metrics written to {args.metrics}")
    if recorder is not None:
        from .report import write_report

        x_test, y_test = test_set.arrays[0], test_set.arrays[1]
        path = write_report(args.report, model, recorder, history, (x_test, y_test), config)
        print(f"report written to {path}")
    return 0


def _restore(path: str) -> tuple[Module, dict[str, Any]]:
    model_state, _, meta = checkpoint.load(path)
    model = build_model(meta["config"])
    model.load_state_dict(model_state)
    return model, meta


def run_evaluate(args: argparse.Namespace) -> int:
    model, meta = _restore(args.checkpoint)
    args.dataset = args.dataset or meta["config"]["dataset"]
    _, test_set = load_data(args)
    loss, accuracy = evaluate(model, DataLoader(test_set, args.batch_size))
    print(f"test loss {loss:.4f}, accuracy {accuracy:.4f} on {len(test_set)} {args.dataset} images")
    return 0


def read_image(path: str) -> np.ndarray:
    """A grey image as (H, W) float32 in [0, 1]: .npy arrays or binary/ASCII PGM files."""
    p = Path(path)
    if p.suffix == ".npy":
        image = np.load(p, allow_pickle=False).astype(np.float32)
        return image / 255 if image.max() > 1 else image
    if p.suffix == ".pgm":
        tokens = p.read_bytes().split(maxsplit=4)
        if tokens[0] not in (b"P5", b"P2"):
            raise ValueError(f"predict: {path} is not a PGM file")
        w, h, top = int(tokens[1]), int(tokens[2]), int(tokens[3])
        body = tokens[4]
        values = (
            np.frombuffer(body[: w * h], np.uint8)
            if tokens[0] == b"P5"
            else np.array(body.split(), float)
        )
        return (values.reshape(h, w) / top).astype(np.float32)
    raise ValueError(f"predict: {path}: only .npy and .pgm images are read")


def model_inputs(op: str, paths: list[str], config: dict[str, Any]) -> np.ndarray:
    """Image files as the model's normalised (N, 1, H, W) input."""
    size = config["image_size"]
    images = []
    for path in paths:
        image = read_image(path)
        if image.shape != (size, size):
            raise ValueError(
                f"{op}: {path} is {image.shape[0]}x{image.shape[1]}, the model takes {size}x{size}"
            )
        mean, std = NORMALISATION[config["dataset"]]
        images.append((image[None] - mean) / std)
    return np.stack(images).astype(np.float32)


def run_predict(args: argparse.Namespace) -> int:
    model, meta = _restore(args.checkpoint)
    classes, probabilities = predict(model, model_inputs("predict", args.images, meta["config"]))
    for path, c, p in zip(args.images, classes, probabilities, strict=True):
        print(f"{path}: {c} (p={p[c]:.3f})")
    return 0


def run_saliency(args: argparse.Namespace) -> int:
    """|dL/dX| of each image for the model's prediction; --plot draws image and map."""
    from .saliency import saliency_maps

    model, meta = _restore(args.checkpoint)
    images = model_inputs("saliency", args.images, meta["config"])
    maps, classes, probabilities = saliency_maps(model, images)
    for path, c, p, m in zip(args.images, classes, probabilities, maps, strict=True):
        r, col = np.unravel_index(int(m.argmax()), m.shape)
        print(
            f"{path}: predicted {c} (p={p[c]:.3f}); largest |dL/dX| {m.max():.3g} at ({r}, {col})"
        )
    if args.plot:
        from .explain.plots import save
        from .report.figures import saliency

        print(f"plot: {save(saliency(model, images), args.plot)}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """convprop export CHECKPOINT --onnx OUT.onnx: the model on a one-image example input."""
    from .onnx import export

    model, meta = _restore(args.checkpoint)
    config = meta["config"]
    size = config["image_size"]
    example = np.zeros((1, config["in_channels"], size, size), dtype=np.float32)
    path = export(model, example, args.onnx, opset=args.opset)
    print(f"wrote {path} ({config['model']}, input (N, {config['in_channels']}, {size}, {size}))")
    return 0
