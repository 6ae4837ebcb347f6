"""The report's pictures, each a matplotlib figure drawn from the trained model and the run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._optional import pyplot
from ..autograd import Tensor, no_grad
from ..nn import Conv2d, Module, ReLU
from ..saliency import saliency_maps, without_signal
from .record import TrainingRecorder, layer_names


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
    w = conv.weight.array.mean(axis=1)
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
    """The output of every convolution (after its ReLU, when one follows) for one image,
    named like the gradient-norm chart: 'conv1 (0)'."""
    layers = list(model) if hasattr(model, "__iter__") else []
    names = layer_names(model)
    out, h = [], Tensor(image[None])
    with no_grad():
        for i, layer in enumerate(layers):
            h = layer(h)
            after_relu = isinstance(layer, ReLU) and i > 0 and isinstance(layers[i - 1], Conv2d)
            last_conv = isinstance(layer, Conv2d) and not (
                i + 1 < len(layers) and isinstance(layers[i + 1], ReLU)
            )
            if after_relu or last_conv:
                at = str(i - 1 if after_relu else i)
                out.append((names.get(at, f"layer {at}"), h.numpy()[0]))
    return out


def feature_maps(model: Module, images: np.ndarray, channels: int = 6) -> Any:
    """For each image: the image, then a few channels of each convolution's output."""
    plt = pyplot()
    maps = [activations(model, im) for im in images]
    cols = 1 + channels * max(len(m) for m in maps)
    fig, axes = plt.subplots(
        len(images), cols, figsize=(1.45 * cols, 1.8 * len(images)), squeeze=False
    )
    for row, image, layer_maps in zip(axes, images, maps, strict=True):
        for ax in row:
            ax.axis("off")
        row[0].imshow(image.mean(axis=0), cmap="gray")
        row[0].set_title("input", fontsize=10)
        col = 1
        for name, fmap in layer_maps:
            for c in range(min(channels, len(fmap))):
                row[col].imshow(fmap[c], cmap="viridis")
                row[col].set_title(f"{name.split()[0]} ch{c}", fontsize=10)
                col += 1
    fig.tight_layout()
    return fig


def smoothed(norms: Sequence[float], window: int) -> np.ndarray:
    """The geometric moving average over the last `window` steps (fewer at the start):
    an average of log norms, as the log-scale chart shows them."""
    logs = np.log(np.maximum(np.asarray(norms, dtype=np.float64), 1e-300))
    total = np.concatenate([[0.0], np.cumsum(logs)])
    ends = np.arange(1, len(logs) + 1)
    starts = np.maximum(ends - window, 0)
    return np.exp((total[ends] - total[starts]) / (ends - starts))


STYLES = ("-", "--", "-.", ":")


def gradient_norms(recorder: TrainingRecorder) -> Any:
    """Each layer's gradient norm per step on a log scale: faint raw, bold smoothed, one
    colour and line style per layer, named by its kind and position."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(11, 4.4))
    steps = max((len(v) for v in recorder.grad_norms.values()), default=0)
    window = int(np.clip(steps // 25, 1, 50))
    colors = plt.get_cmap("tab10")
    for k, (label, norms) in enumerate(recorder.grad_norms.items()):
        x = np.arange(1, len(norms) + 1)
        color, style = colors(k % 10), STYLES[k % len(STYLES)]
        ax.plot(x, norms, color=color, lw=0.6, alpha=0.25)
        ax.plot(x, smoothed(norms, window), color=color, ls=style, lw=2.0, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step", fontsize=11)
    ax.set_ylabel("||dL/dW|| of the layer", fontsize=11)
    ax.set_title(f"bold: average over {window} step(s); faint: every step", fontsize=10)
    ax.legend(fontsize=10, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
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


def saliency(
    model: Module,
    images: np.ndarray,
    labels: np.ndarray | None = None,
    names: Sequence[str] | None = None,
) -> Any:
    """Each image (titled with its name) above |dL/dX| for the model's prediction, every
    map on one scale with a colour bar in real units; a map without signal says why
    instead of stretching rounding noise to full brightness."""
    plt = pyplot()
    maps, predictions, probabilities = saliency_maps(model, images)
    reasons = without_signal(maps, probabilities, predictions)
    real = [m for m, why in zip(maps, reasons, strict=True) if why is None]
    top = max((float(m.max()) for m in real), default=1.0) or 1.0
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(2.1 * n + 1.2, 4.6), squeeze=False)
    shown = None
    for k, (image, smap, why) in enumerate(zip(images, maps, reasons, strict=True)):
        title = f"predicted {predictions[k]} (p={probabilities[k, predictions[k]]:.3f})"
        if labels is not None:
            title += f", true {labels[k]}"
        if names is not None:
            title = f"{names[k]}\n{title}"
        axes[0, k].imshow(image.mean(axis=0), cmap="gray")
        axes[0, k].set_title(title, fontsize=8)
        if why is None:
            shown = axes[1, k].imshow(smap, cmap="hot", vmin=0.0, vmax=top)
            axes[1, k].set_title(f"|dL/dX|, largest {smap.max():.2g}", fontsize=8)
        else:
            axes[1, k].imshow(np.zeros_like(smap), cmap="gray", vmin=-1.0, vmax=1.0)
            axes[1, k].text(
                0.5,
                0.5,
                "no signal:\n" + why.replace(", ", ",\n"),
                transform=axes[1, k].transAxes,
                ha="center",
                va="center",
                fontsize=7,
                color="black",
                wrap=True,
            )
            axes[1, k].set_title(f"|dL/dX|, largest {smap.max():.2g}", fontsize=8)
        for ax in axes[:, k]:
            ax.axis("off")
    if shown is not None:
        fig.colorbar(shown, ax=list(axes[1]), label="|dL/dX| (one scale for all)", shrink=0.9)
    return fig
