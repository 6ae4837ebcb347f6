"""What a run keeps between processes and restarts: the checkpoint of a run (model,
optimizer, scheduler, RNG and loader state, history, configuration), its restoration on
--resume, and a checkpoint's model for evaluate, predict, saliency and export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import rng
from ..data import DataLoader
from ..formats import checkpoint
from ..models import MODELS
from ..nn import Module
from ..optim import Optimizer
from ..optim.lr_scheduler import LRScheduler


@dataclass
class Progress:
    """How far a run got on disk, for the line Ctrl-C prints: the last epoch saved to the
    checkpoint (None: none yet) and the epochs the run was to reach."""

    last: int | None = None
    epochs: int = 0


@dataclass
class Resumed:
    """A checkpoint read for --resume: its model and optimizer state and its meta."""

    path: str
    model_state: dict[str, np.ndarray]
    optim_state: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str) -> Resumed:
        model_state, optim_state, meta = checkpoint.load(path)
        return cls(path, model_state, optim_state, meta)

    @property
    def epoch(self) -> int:
        return int(self.meta["epoch"])

    @property
    def config(self) -> dict[str, Any]:
        config = self.meta.get("config")
        return config if isinstance(config, dict) else {}

    def check_processes(self, size: int, distributed: bool) -> None:
        """A resumed run shards its batches as before, or its weights would differ silently."""
        saved = self.config
        if "processes" not in saved:  # a checkpoint from before the processes were recorded
            return
        was, now = (saved["processes"], saved["distributed"]), (size, distributed)
        if was != now:
            how = f"mpirun -np {was[0]} ... --distributed" if was[1] else "one process"
            raise ValueError(
                f"{self.path} was trained by {how}; resume it the same way "
                f"(this run: {f'{size} processes' if now[1] else 'one process'})"
            )

    def restore(
        self,
        model: Module,
        optimizer: Optimizer,
        scheduler: LRScheduler | None,
        loader: DataLoader,
    ) -> tuple[int, list[dict[str, Any]]]:
        """Put the saved state back: model, optimizer, scheduler (continued over this run's
        epochs), the loader's and the global RNG; (epoch reached, history so far)."""
        model.load_state_dict(self.model_state)
        optimizer.load_state_dict(self.optim_state)
        if scheduler is not None:
            # the schedule over this run's epochs, continued from the epoch reached: with a
            # larger --epochs, the cosine over the new total (lr falls, > 0 to the end)
            scheduler.load_state_dict(self.meta["scheduler"])
            for group, base in zip(optimizer.param_groups, scheduler.base_lrs, strict=True):
                group["lr"] = scheduler.lr_at(base, scheduler.last_epoch)
        loader.generator.bit_generator.state = self.meta["loader_rng"]
        rng.generator().bit_generator.state = self.meta["global_rng"]
        return self.epoch, list(self.meta["history"])


def save(
    path: str,
    epoch: int,
    config: dict[str, Any],
    history: list[dict[str, Any]],
    model: Module,
    optimizer: Optimizer,
    scheduler: LRScheduler | None,
    loader: DataLoader,
) -> None:
    """Write everything restore() needs to continue after this epoch."""
    state = {
        "epoch": epoch,
        "config": config,
        "history": history,
        "loader_rng": loader.generator.bit_generator.state,
        "global_rng": rng.generator().bit_generator.state,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
    }
    checkpoint.save(path, model.state_dict(), optimizer.state_dict(), state)


def build_model(config: dict[str, Any]) -> Module:
    return MODELS[config["model"]](
        config["in_channels"], config["num_classes"], config["image_size"]
    )


def restore(path: str) -> tuple[Module, dict[str, Any]]:
    """The checkpoint's model with its weights, and its meta."""
    model_state, _, meta = checkpoint.load(path)
    config = meta.get("config")
    if not isinstance(config, dict) or config.get("model") not in MODELS:
        raise ValueError(f"{path} has no model configuration convprop knows")
    model = build_model(config)
    model.load_state_dict(model_state)
    return model, meta
