"""A training run from its settings: the data, the model and optimizer (data-parallel over
MPI when asked), the checkpoint it resumes from, the epochs, the checkpoint after each, and
the metrics file. What is printed is the caller's (the CLI's): the Trainer hands back
records, never a line of text."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import _optional, optim, rng
from ..data import DataLoader, TensorDataset, load_digits, load_mnist
from ..data.contract import checkpoint_contract, contract_for
from ..nn import Module
from . import state
from .loop import EpochResult, fit
from .state import Progress, Resumed, build_model


def load_data(settings: dict[str, Any]) -> tuple[TensorDataset, TensorDataset]:
    """(train, test) of settings["dataset"]; MNIST reads settings["data"], holding out
    settings["holdout"] images when only one split is on disk."""
    if settings["dataset"] == "digits":
        return load_digits("train"), load_digits("test")
    data, holdout = settings.get("data"), settings["holdout"]
    if not data:
        raise ValueError("--dataset mnist needs --data DIR, the directory of the IDX files")
    return load_mnist(data, "train", holdout), load_mnist(data, "test", holdout)


def check_inputs(path: str, config: dict[str, Any], dataset: str) -> None:
    """Refuse a dataset whose images are not the kind the checkpoint's model was trained on."""
    wanted, found = checkpoint_contract(config), contract_for(dataset)
    if (wanted.size, wanted.low, wanted.high) != (found.size, found.low, found.high) or (
        wanted.mean,
        wanted.std,
    ) != (found.mean, found.std):
        raise ValueError(
            f"{path} is a model of {wanted.size}x{wanted.size} images in "
            f"{wanted.range_text()} ({config['dataset']}); {dataset} has {found.size}x"
            f"{found.size} images in {found.range_text()}"
        )


def build_optimizer(model: Module, name: str, lr: float, momentum: float) -> optim.Optimizer:
    if name == "sgd":
        return optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    return (optim.AdamW if name == "adamw" else optim.Adam)(model.parameters(), lr=lr)


class Trainer:
    """One run, built from resolved settings: on construction the data is loaded, the model,
    optimizer, loaders and schedule are built (seeded by settings["seed"]) and, given a
    checkpoint read for resuming, its state restored; run() trains the remaining epochs,
    writing `checkpoint` after each (rank 0 only). `progress` tracks what is on disk."""

    def __init__(
        self,
        settings: dict[str, Any],
        *,
        checkpoint: str | None = None,
        resumed: Resumed | None = None,
        rank: int = 0,
        size: int = 1,
        distributed: bool = False,
        report: bool = False,
        progress: Progress | None = None,
    ) -> None:
        self.progress = progress if progress is not None else Progress()
        if resumed is not None:
            self.progress.last = resumed.epoch
            resumed.check_processes(size, distributed)
        if settings["data"]:
            settings["data"] = str(Path(settings["data"]).resolve())
        self.settings, self.checkpoint, self.rank = settings, checkpoint, rank
        self.progress.epochs = self.epochs = int(settings["epochs"])
        self.train_set, self.test_set = load_data(settings)
        x_sample = self.train_set.arrays[0]
        self.config: dict[str, Any] = {
            **settings,
            "in_channels": int(x_sample.shape[1]),
            "image_size": int(x_sample.shape[2]),
            "num_classes": 10,
            "input": contract_for(settings["dataset"]).as_dict(),
            "processes": size,
            "distributed": distributed,
        }
        if report:
            _optional.pyplot()  # matplotlib missing: fail now, not after the training
        rng.manual_seed(settings["seed"])
        self.model = model = build_model(self.config)
        batch_size = settings["batch_size"]
        self.optimizer = build_optimizer(
            model, settings["optimizer"], settings["lr"], settings["momentum"]
        )
        if distributed:
            from .. import distributed as mpi

            if batch_size % size:
                raise ValueError(
                    f"--batch-size {batch_size} must split evenly over {size} processes"
                )
            mpi.broadcast_parameters(model)  # rank 0's initial weights everywhere
            self.optimizer = mpi.DistributedOptimizer(self.optimizer, model.named_parameters())
            sampler = mpi.DistributedSampler(self.train_set, size, rank, seed=settings["seed"])
            self.loader = DataLoader(self.train_set, batch_size // size, sampler=sampler)
        else:
            self.loader = DataLoader(
                self.train_set, batch_size, shuffle=True, seed=settings["seed"]
            )
        self.test_loader = DataLoader(self.test_set, 256)
        self.cosine = settings["schedule"] == "cosine"
        self.scheduler = (
            optim.lr_scheduler.CosineAnnealingLR(self.optimizer, self.epochs)
            if self.cosine
            else None
        )
        self.start_epoch = 0
        self.history: list[dict[str, Any]] = []
        if resumed is not None:
            self.start_epoch, self.history = resumed.restore(
                model, self.optimizer, self.scheduler, self.loader
            )
        self.started = time.perf_counter()

    @property
    def lr(self) -> float:
        """The learning rate of the next step."""
        return float(self.optimizer.param_groups[0]["lr"])

    def _save(self, result: EpochResult) -> None:
        self.history.append(result.as_dict())
        if self.checkpoint:
            if self.rank == 0:
                state.save(
                    self.checkpoint,
                    result.epoch,
                    self.config,
                    self.history,
                    self.model,
                    self.optimizer,
                    self.scheduler,
                    self.loader,
                )
            self.progress.last = result.epoch

    def run(
        self, progress: bool = True, on_step: Callable[[Module, float], None] | None = None
    ) -> list[EpochResult]:
        """Train the remaining epochs; every epoch of the run so far, resumed ones first."""
        self.started = time.perf_counter()
        fit(
            self.model,
            self.optimizer,
            self.loader,
            self.test_loader,
            self.epochs,
            self.start_epoch,
            self.scheduler,
            progress=progress,
            on_epoch=self._save,
            on_step=on_step,
        )
        return self.results()

    def results(self) -> list[EpochResult]:
        return [EpochResult(**h) for h in self.history]

    def metrics(self) -> dict[str, Any]:
        """The run's configuration and history, seconds since run() began, final test scores."""
        metrics: dict[str, Any] = {
            "config": self.config,
            "epochs": self.history,
            "seconds": time.perf_counter() - self.started,
            "processes": self.config["processes"],
        }
        if self.history:
            final = self.results()[-1]
            metrics["test_accuracy"], metrics["test_loss"] = final.test_accuracy, final.test_loss
        return metrics

    def write_metrics(self, path: str) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.metrics(), indent=2))
