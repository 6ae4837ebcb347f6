"""The loops: one epoch of training, evaluation, fit over the epochs, prediction; a progress
bar per epoch. Checkpoints, resume and RNG state are state.py's, the run is run.py's."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .. import _optional
from ..autograd import Tensor, no_grad
from ..data import DataLoader
from ..data.contract import InputContract
from ..data.images import read_image
from ..nn import Module
from ..nn import functional as F
from ..optim import Optimizer
from ..optim.lr_scheduler import LRScheduler
from . import interrupt


@dataclass
class EpochResult:
    epoch: int
    train_loss: float
    train_accuracy: float
    test_loss: float
    test_accuracy: float
    seconds: float
    images_per_second: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def _progress_bar(loader: DataLoader, description: str, enabled: bool) -> Any:
    """A tqdm bar over the loader's batches, updated by the caller after every batch, when
    progress is wanted, stderr is a terminal and tqdm is installed; else None. A log file
    (stderr not a terminal) gets one line per epoch instead of hundreds of redraws."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        tqdm = _optional.tqdm()
    except ImportError as e:
        print(f"({e})", file=sys.stderr)
        return None
    return tqdm(total=len(loader), desc=description, unit="batch", leave=True, file=sys.stderr)


def evaluate(model: Module, loader: Iterable[tuple[Tensor, ...]]) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over the loader, in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += float(F.cross_entropy(logits, y, reduction="sum").item())
            correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
            count += len(y)
    model.train(was_training)
    return total_loss / max(count, 1), correct / max(count, 1)


def train_epoch(
    model: Module,
    loader: DataLoader,
    optimizer: Optimizer,
    description: str = "train",
    progress: bool = True,
    on_step: Callable[[Module, float], None] | None = None,
) -> tuple[float, float, float]:
    """One pass over the loader: (mean loss, accuracy, images per second). on_step sees
    the model after each backward, gradients in place, before the optimiser's step."""
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    start = time.perf_counter()
    bar = _progress_bar(loader, description, progress)
    for x, y in loader:
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        if on_step is not None:
            on_step(model, float(loss.item()))
        optimizer.step()
        interrupt.check()  # a Ctrl-C that something swallowed (interrupt.py)
        total_loss += float(loss.item()) * len(y)
        correct += int((logits.numpy().argmax(axis=1) == y.numpy()).sum())
        count += len(y)
        if bar is not None:
            rate = count / (time.perf_counter() - start)
            bar.set_postfix(
                loss=f"{total_loss / count:.4f}",
                acc=f"{correct / count:.3f}",
                img_s=f"{rate:.0f}",
                refresh=False,
            )
            bar.update(1)  # the count moves with every batch; tqdm redraws at most 10 times/s
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    elif progress:
        print(
            f"{description}: loss {total_loss / max(count, 1):.4f} acc "
            f"{correct / max(count, 1):.3f} {count / seconds:.0f} img/s {seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    return total_loss / max(count, 1), correct / max(count, 1), count / seconds


def fit(
    model: Module,
    optimizer: Optimizer,
    train_loader: DataLoader,
    test_loader: DataLoader,
    epochs: int,
    start_epoch: int = 0,
    scheduler: LRScheduler | None = None,
    progress: bool = True,
    on_epoch: Callable[[EpochResult], None] | None = None,
    on_step: Callable[[Module, float], None] | None = None,
) -> list[EpochResult]:
    """Train from start_epoch to epochs, evaluating after each; on_epoch sees every result
    (the CLI saves its checkpoint there), on_step every step (the report records there)."""
    results = []
    with interrupt.kept():  # a Ctrl-C is never lost (interrupt.py)
        for epoch in range(start_epoch, epochs):
            if hasattr(train_loader.sampler, "set_epoch"):
                train_loader.sampler.set_epoch(epoch)  # a new shard order each epoch, on every rank
            start = time.perf_counter()
            loss, acc, rate = train_epoch(
                model, train_loader, optimizer, f"epoch {epoch + 1}/{epochs}", progress, on_step
            )
            if scheduler is not None:
                scheduler.step()
            test_loss, test_acc = evaluate(model, test_loader)
            result = EpochResult(
                epoch + 1, loss, acc, test_loss, test_acc, time.perf_counter() - start, rate
            )
            results.append(result)
            if on_epoch is not None:
                on_epoch(result)
    return results


def predict(model: Module, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted classes and their softmax probabilities for a batch (N, C, H, W)."""
    model.eval()
    with no_grad():
        probabilities = F.softmax(model(Tensor(images)), dim=1).numpy()
    return probabilities.argmax(axis=1), probabilities


def model_inputs(paths: list[str], contract: InputContract) -> np.ndarray:
    """Image files as the model's normalised (N, 1, H, W) input, each checked first."""
    return np.stack([contract.normalise(read_image(p, contract))[None] for p in paths])
