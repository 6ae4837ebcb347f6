"""`convprop train --report DIR`: one self-contained HTML page (pictures embedded as PNG
data) showing what training did inside the network."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import pyplot
from ..autograd import Tensor, no_grad
from ..nn import Module
from . import figures
from .record import TrainingRecorder, layer_names

__all__ = ["TrainingRecorder", "confusion_matrix", "write_report"]


def confusion_matrix(model: Module, x: np.ndarray, y: np.ndarray, classes: int) -> np.ndarray:
    """counts[true, predicted] over the test set, in eval mode, in batches of 256."""
    was_training = model.training
    model.eval()
    predicted = []
    with no_grad():
        for i in range(0, len(x), 256):
            predicted.append(model(Tensor(x[i : i + 256])).numpy().argmax(axis=1))
    pairs = np.asarray(y, dtype=np.int64) * classes + np.concatenate(predicted)
    counts = np.bincount(pairs, minlength=classes * classes).reshape(classes, classes)
    model.train(was_training)
    return counts


def first_layer(model: Module) -> str:
    """'first convolution', or 'first layer (Linear)' for a model that starts otherwise."""
    prefix = next(iter(layer_names(model)), None)
    if prefix is None:
        return "first layer"
    kind = type(dict(model.named_modules()).get(prefix, model)).__name__
    return "first convolution" if kind == "Conv2d" else f"first layer ({kind})"


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    pyplot().close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _section(title: str, caption: str, fig: Any) -> str:
    return (
        f"<section><h2>{html.escape(title)}</h2><p>{html.escape(caption)}</p>"
        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{_png(fig)}"></section>'
    )


def _table(history: list[dict[str, float]]) -> str:
    head = "".join(
        f"<th>{h}</th>" for h in ("epoch", "train loss", "train acc", "test loss", "test acc")
    )
    rows = "".join(
        f"<tr><td>{int(h['epoch'])}</td><td>{h['train_loss']:.4f}</td>"
        f"<td>{h['train_accuracy']:.4f}</td><td>{h['test_loss']:.4f}</td>"
        f"<td>{h['test_accuracy']:.4f}</td></tr>"
        for h in history
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
)


def write_report(
    directory: str | Path,
    model: Module,
    recorder: TrainingRecorder,
    history: list[dict[str, float]],
    test: tuple[np.ndarray, np.ndarray],
    config: dict[str, Any],
    samples: int = 6,
) -> Path:
    """Write DIRECTORY/report.html and return its path."""
    x, y = test
    picks = np.linspace(0, len(x) - 1, min(samples, len(x))).astype(int)
    counts = confusion_matrix(model, x, y, int(config.get("num_classes", 10)))
    accuracy = np.trace(counts) / max(counts.sum(), 1)
    sections = [
        _section(
            "Loss and accuracy",
            "Cross-entropy at every step (and averaged per epoch), "
            "and accuracy per epoch on the training and test sets.",
            figures.curves(history, recorder),
        ),
        _section(
            "Gradient norm of each layer",
            "The L2 norm of every layer's weight and bias "
            "gradients at each step, on a log scale: lines falling towards zero in the "
            "early layers mean vanishing gradients; lines shooting up, exploding ones.",
            figures.gradient_norms(recorder),
        ),
        _section(
            "Confusion matrix",
            f"Test images by true class (rows) and predicted class "
            f"(columns); accuracy {accuracy:.4f} on {counts.sum()} images.",
            figures.confusion(counts),
        ),
        _section(
            "Saliency maps |dL/dX|",
            "For a few test images, the gradient of the loss "
            "with respect to each input pixel: the input gradient that backpropagation "
            f"through the {first_layer(model)} computes. Bright pixels change the "
            "prediction most; all maps share one scale (the colour bar).",
            figures.saliency(model, x[picks], y[picks]),
        ),
    ]
    if figures.first_convolution(model) is not None:
        sections.insert(
            2,
            _section(
                "First layer's filters",
                "The learned weights of the first convolution, one "
                "image per filter (red positive, blue negative; channels averaged).",
                figures.filters(model),
            ),
        )
        sections.insert(
            3,
            _section(
                "Feature maps",
                "A few test images and some channels of each convolution's "
                "output (after its ReLU): what the filters respond to.",
                figures.feature_maps(model, x[picks[:3]]),
            ),
        )
    settings = ", ".join(f"{k} {html.escape(str(v))}" for k, v in config.items())
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>convprop training report</title><style>{STYLE}</style></head><body>"
        f"<h1>convprop training report</h1><p>{settings}</p>"
        + "".join(sections)
        + f"<section><h2>Every epoch</h2>{_table(history)}</section></body></html>\n"
    )
    path = Path(directory) / "report.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
