"""What a training report needs from the run: the loss and every layer's gradient norm at
each step (to see gradients vanish or explode), recorded from train.fit's on_step hook."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..nn import Module

SHORT = {"Conv2d": "conv", "Linear": "fc", "BatchNorm2d": "bn", "BatchNorm1d": "bn"}


def readable(kind: str, count: int, prefix: str) -> str:
    """'conv1 (0)': the layer's kind numbered among its kind, then where it sits."""
    short = SHORT.get(kind, kind.lower())
    return f"{short}{count} ({prefix})" if prefix else f"{short}{count}"


def layer_names(model: Module) -> OrderedDict[str, str]:
    """Parameter-name prefix -> readable layer name, in the model's order:
    {'0': 'conv1 (0)', '3': 'conv2 (3)', '7': 'fc1 (7)'}."""
    modules = dict(model.named_modules())
    names: OrderedDict[str, str] = OrderedDict()
    counts: dict[str, int] = {}
    for name, _ in model.named_parameters():
        prefix = name.rsplit(".", 1)[0] if "." in name else ""
        if prefix not in names:
            kind = type(modules.get(prefix, model)).__name__
            counts[kind] = counts.get(kind, 0) + 1
            names[prefix] = readable(kind, counts[kind], prefix)
    return names


class TrainingRecorder:
    """Call after each backward (before the optimiser step): records the step's loss and,
    per layer, the L2 norm of all its parameters' gradients."""

    def __init__(self, model: Module) -> None:
        self.layers = layer_names(model)
        self.losses: list[float] = []
        self.grad_norms: dict[str, list[float]] = {name: [] for name in self.layers.values()}

    def __call__(self, model: Module, loss: float) -> None:
        self.losses.append(loss)
        squares = dict.fromkeys(self.layers, 0.0)
        for name, p in model.named_parameters():
            prefix = name.rsplit(".", 1)[0] if "." in name else ""
            if p.grad is not None:
                squares[prefix] += float(np.sum(np.square(p.grad.array, dtype=np.float64)))
        for prefix, label in self.layers.items():
            self.grad_norms[label].append(float(np.sqrt(squares[prefix])))
