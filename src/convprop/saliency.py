"""Saliency maps: |dL/dX|, the gradient of the loss with respect to the input image.

The input gradient is exactly what backpropagation through the first convolution
computes (dL/dY fully convolved with the flipped filters), usually thrown away; here it
shows which pixels the prediction is most sensitive to (Simonyan et al., 2014).
"""

from __future__ import annotations

import numpy as np

from .autograd import Tensor
from .nn import Module
from .nn import functional as F


def saliency_maps(
    model: Module, images: np.ndarray, targets: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(maps, predictions, probabilities) for images (N, C, H, W).

    maps[n] = max over channels of |dL/dX[n]|, shape (N, H, W), with L the cross-entropy
    of the model's output against targets[n] (by default its own prediction).
    """
    if images.ndim != 4:
        raise ValueError(f"saliency: images must be (N, C, H, W), got shape {images.shape}")
    was_training = model.training
    model.eval()  # dropout off, batch norm on its running statistics
    x = Tensor(images, requires_grad=True)
    logits = model(x)
    probabilities = F.softmax(logits, dim=1).numpy()
    predictions = probabilities.argmax(axis=1)
    chosen = predictions if targets is None else np.asarray(targets)
    F.cross_entropy(logits, Tensor(chosen), reduction="sum").backward()
    model.train(was_training)
    for p in model.parameters():  # leave the model as it was: no stray gradients
        p.grad = None
    assert x.grad is not None
    return np.abs(x.grad.array).max(axis=1), predictions, probabilities


# A prediction this close to certain leaves dL/dlogits = softmax - one_hot at the float's
# rounding: 1 - p of at most SATURATED machine epsilons has under 6 significant bits.
SATURATED = 64


def without_signal(
    maps: np.ndarray, probabilities: np.ndarray, chosen: np.ndarray
) -> list[str | None]:
    """Per image, why its map carries no signal, or None where it does: every |dL/dX| is
    equal (all zero, say), or the loss is saturated, 1 - p(chosen class) within SATURATED
    machine epsilons of the computation's float type, so the gradient is rounding noise."""
    eps = float(np.finfo(probabilities.dtype).eps)
    reasons: list[str | None] = []
    for m, p, c in zip(maps, probabilities, chosen, strict=True):
        gap = 1.0 - float(p[c])
        if np.ptp(m) == 0:
            reasons.append(f"every |dL/dX| is {float(m.flat[0]):.3g}")
        elif gap <= SATURATED * eps:
            reasons.append(
                f"saturated: 1 - p = {gap:.1e}, within {SATURATED} eps of {probabilities.dtype}"
            )
        else:
            reasons.append(None)
    return reasons
