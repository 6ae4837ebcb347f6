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
    return np.abs(x.grad).max(axis=1), predictions, probabilities
