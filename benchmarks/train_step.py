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


def _resnet(nn):
    """A small ResNet for 32x32 input (a stem, three basic blocks of 16, 32 and 64 channels,
    the last two with stride 2 and a 1x1 shortcut, global average pooling); written once
    for both libraries, as _vgg."""

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.shortcut = nn.Sequential()  # the identity
            if stride != 1 or cin != cout:
                projection = nn.Conv2d(cin, cout, 1, stride, bias=False)
                self.shortcut = nn.Sequential(projection, nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(y)) + self.shortcut(x))

    return nn.Sequential(
        nn.Conv2d(3, 16, 3, 1, 1, bias=False),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        Block(16, 16, 1),
        Block(16, 32, 2),
        Block(32, 64, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(64, 10),
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

    if case == "lenet":
        theirs, ours = _torch_lenet(), models.lenet5()
    else:
        build = _vgg if case == "vgg" else _resnet
        theirs, ours = build(torch.nn), build(nn)
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
    label = {
        "lenet": "LeNet-5 MNIST batch 64",
        "vgg": "VGG-style 32x32 batch 32",
        "resnet": "small ResNet 32x32 batch 32",
    }[case]
    return {
        "case": f"train step: {label}",
        "convprop_images_per_s": rate["convprop"],
        "pytorch_images_per_s": rate["pytorch"],
        "throughput_ratio": rate["convprop"] / rate["pytorch"],
        "step_ms": 1e3 * batch / rate["convprop"],
        "pytorch_step_ms": 1e3 * batch / rate["pytorch"],
    }
