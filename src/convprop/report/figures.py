"""The report's pictures, each a matplotlib figure drawn from the trained model and the run."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Tensor, no_grad
from ..explain.plots import pyplot
from ..nn import Conv2d, Module, ReLU
from ..saliency import saliency_maps
from .record import TrainingRecorder


def curves(history: list[dict[str, float]], recorder: TrainingRecorder) -> Any:
    """Loss per step and per epoch; accuracy per epoch, train and test."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    steps = np.arange(1, len(recorder.losses) + 1)
    if len(steps):
        left.plot(steps, recorder.losses, color="#9ecae1", lw=0.8, label="train loss per step")
    if history and len(steps):
        per_epoch = len(steps) / len(history)
        at = [per_epoch * (i + 1) for i in range(len(history))]
        left.plot(at, [h["train_loss"] for h in history], "o-", label="train loss per epoch")
        left.plot(at, [h["test_loss"] for h in history], "s-", label="test loss")
    left.set_xlabel("step")
    left.set_ylabel("cross-entropy")
    left.set_yscale("log")
    left.legend(fontsize=8)
    epochs = [h["epoch"] for h in history]
    right.plot(epochs, [h["train_accuracy"] for h in history], "o-", label="train")
    right.plot(epochs, [h["test_accuracy"] for h in history], "s-", label="test")
    right.set_xlabel("epoch")
    right.xaxis.get_major_locator().set_params(integer=True)
    right.set_ylabel("accuracy")
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def first_convolution(model: Module) -> Conv2d | None:
    return next((m for m in model.modules() if isinstance(m, Conv2d)), None)


def filters(model: Module) -> Any:
    """The first layer's learned filters, one small image each (channels averaged)."""
    plt = pyplot()
    conv = first_convolution(model)
    assert conv is not None
    w = conv.weight.data.mean(axis=1)
    cols = min(8, len(w))
    rows = -(-len(w) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.5 * rows), squeeze=False)
    scale = float(np.abs(w).max()) or 1.0
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k < len(w):
            ax.imshow(w[k], cmap="coolwarm", vmin=-scale, vmax=scale)
            ax.set_title(f"filter {k}", fontsize=7)
    fig.tight_layout()
    return fig


def activations(model: Module, image: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """The output of every convolution (after its ReLU, when one follows) for one image."""
    layers = list(model) if hasattr(model, "__iter__") else []
    out, h = [], Tensor(image[None])
    with no_grad():
        for i, layer in enumerate(layers):
            h = layer(h)
            after_relu = isinstance(layer, ReLU) and i > 0 and isinstance(layers[i - 1], Conv2d)
            last_conv = isinstance(layer, Conv2d) and not (
                i + 1 < len(layers) and isinstance(layers[i + 1], ReLU)
            )
            if after_relu or last_conv:
                name = f"layer {i - 1 if after_relu else i} {type(layers[i - after_relu]).__name__}"
                out.append((name, h.numpy()[0]))
    return out


def feature_maps(model: Module, images: np.ndarray, channels: int = 6) -> Any:
    """For each image: the image, then a few channels of each convolution's output."""
    plt = pyplot()
    maps = [activations(model, im) for im in images]
    cols = 1 + channels * max(len(m) for m in maps)
    fig, axes = plt.subplots(len(images), cols, figsize=(1.1 * cols, 1.3 * len(images)),
                             squeeze=False)  # fmt: skip
    for row, image, layer_maps in zip(axes, images, maps, strict=True):
        for ax in row:
            ax.axis("off")
        row[0].imshow(image.mean(axis=0), cmap="gray")
        row[0].set_title("input", fontsize=7)
        col = 1
        for name, fmap in layer_maps:
            for c in range(min(channels, len(fmap))):
                row[col].imshow(fmap[c], cmap="viridis")
                row[col].set_title(f"{name.split()[1]} ch{c}", fontsize=6)
                col += 1
    fig.tight_layout()
    return fig


def gradient_norms(recorder: TrainingRecorder) -> Any:
    """Each layer's gradient norm at every step, on a log scale."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 3.8))
    for label, norms in recorder.grad_norms.items():
        ax.plot(np.arange(1, len(norms) + 1), norms, lw=0.9, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("||dL/dW|| of the layer")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def confusion(matrix: np.ndarray) -> Any:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 4.4))
    ax.imshow(matrix, cmap="Blues")
    for (i, j), v in np.ndenumerate(matrix):
        color = "white" if v > matrix.max() / 2 else "black"
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color=color)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_xticks(range(len(matrix)))
    ax.set_yticks(range(len(matrix)))
    fig.tight_layout()
    return fig


def saliency(model: Module, images: np.ndarray, labels: np.ndarray | None = None) -> Any:
    """Each image beside |dL/dX| for the model's prediction."""
    plt = pyplot()
    maps, predictions, probabilities = saliency_maps(model, images)
    fig, axes = plt.subplots(2, len(images), figsize=(1.8 * len(images), 3.8), squeeze=False)
    for k, (image, smap) in enumerate(zip(images, maps, strict=True)):
        title = f"predicted {predictions[k]} ({probabilities[k, predictions[k]]:.2f})"
        if labels is not None:
            title += f"\ntrue {labels[k]}"
        axes[0, k].imshow(image.mean(axis=0), cmap="gray")
        axes[0, k].set_title(title, fontsize=7)
        axes[1, k].imshow(smap, cmap="hot")
        axes[1, k].set_title("|dL/dX|", fontsize=7)
        for ax in axes[:, k]:
            ax.axis("off")
    fig.tight_layout()
    return fig
