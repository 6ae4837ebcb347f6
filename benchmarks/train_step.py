"""Training steps timed against PyTorch: LeNet-5 on MNIST and a small VGG-style net on 32x32.

Both libraries train the same network from the same weights on the same batches
(float32, SGD with momentum). Timed blocks of steps alternate between the two, after a
warm-up of each, so a slow spell of the shared machine hits both; each library's two
thread pools get a block to themselves (interleaving single steps made both ~2x slower).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

MNIST = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


def _torch_lenet():
    import torch.nn as T

    return T.Sequential(
        T.Conv2d(1, 6, 5, padding=2),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Conv2d(6, 16, 5),
        T.ReLU(),
        T.MaxPool2d(2),
        T.Flatten(),
        T.Linear(400, 120),
        T.ReLU(),
        T.Linear(120, 84),
        T.ReLU(),
        T.Linear(84, 10),
    )


def _vgg(nn):
    """Two VGG blocks (two 3x3 convolutions and a 2x2 max pool each) and a classifier;
    written once for both libraries, which share the layer names."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 8 * 8, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
    )


def _batches(case: str, steps: int, data: Path) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    if case == "lenet":
        from convprop.data import load_mnist

        batch = 64
        x, y = load_mnist(data, "train", holdout=2000).arrays
    else:  # random 32x32 colour images: the step's cost does not depend on the pixels
        batch = 32
        rng = np.random.default_rng(0)
        x = rng.standard_normal((batch * steps, 3, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, batch * steps)
    xs = [x[i : i + batch] for i in range(0, batch * steps, batch)]
    ys = [y[i : i + batch] for i in range(0, batch * steps, batch)]
    return xs, ys, batch


def compare(
    case: str, steps: int = 30, repeats: int = 5, data: Path = MNIST
) -> dict[str, float | str]:
    """Images per second of one training step, convprop and PyTorch, and their ratio."""
    import torch

    from convprop import Tensor, models, nn, optim
    from convprop.nn import functional as F

    theirs = _torch_lenet() if case == "lenet" else _vgg(torch.nn)
    ours = models.lenet5() if case == "lenet" else _vgg(nn)
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})
    opt = optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    xs, ys, batch = _batches(case, steps, data)

    def convprop_block() -> None:
        for xb, yb in zip(xs, ys, strict=True):
            opt.zero_grad()
            F.cross_entropy(ours(Tensor(xb)), Tensor(yb)).backward()
            opt.step()

    def torch_block() -> None:
        for xb, yb in zip(xs, ys, strict=True):
            topt.zero_grad()
            torch.nn.functional.cross_entropy(
                theirs(torch.from_numpy(xb)), torch.from_numpy(yb).long()
            ).backward()
            topt.step()

    times: dict[str, list[float]] = {"convprop": [], "pytorch": []}
    blocks: dict[str, Callable[[], None]] = {"convprop": convprop_block, "pytorch": torch_block}
    for block in blocks.values():
        block()  # warm-up: workspace buffers, caches, thread pools
    for _ in range(repeats):
        for name, block in blocks.items():
            time.sleep(0.05)  # let the other library's spinning worker threads sleep
            start = time.perf_counter()
            block()
            times[name].append(time.perf_counter() - start)
    rate = {name: batch * steps / statistics.median(t) for name, t in times.items()}
    label = "LeNet-5 MNIST batch 64" if case == "lenet" else "VGG-style 32x32 batch 32"
    return {
        "case": f"train step: {label}",
        "convprop_images_per_s": rate["convprop"],
        "pytorch_images_per_s": rate["pytorch"],
        "throughput_ratio": rate["convprop"] / rate["pytorch"],
        "step_ms": 1e3 * batch / rate["convprop"],
        "pytorch_step_ms": 1e3 * batch / rate["pytorch"],
    }
