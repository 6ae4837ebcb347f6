"""Loss modules with PyTorch's names and constructor arguments: CrossEntropyLoss, NLLLoss,
MSELoss, each calling its functional twin. Arguments convprop does not implement (class
weights, the deprecated size_average and reduce, an ignore_index other than the default)
are refused, never ignored; a target equal to the default ignore_index (-100) is refused by
the functional's label check."""

from __future__ import annotations

from typing import Any

from ..autograd import Tensor
from . import functional as F
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def _checked(op: str, reduction: str, **unsupported: Any) -> str:
    defaults = {"weight": None, "size_average": None, "reduce": None, "ignore_index": -100}
    for name, value in unsupported.items():
        if value != defaults[name] or (value is not None and defaults[name] is None):
            raise ValueError(f"{op}: {name}={value!r} is not supported (convprop has no {name})")
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")
    return reduction


class _LabelLoss(Module):
    """What NLLLoss and CrossEntropyLoss share: PyTorch's _WeightedLoss arguments."""

    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__()
        self.reduction = _checked(
            type(self).__name__,
            reduction,
            weight=weight,
            size_average=size_average,
            ignore_index=ignore_index,
            reduce=reduce,
        )


class NLLLoss(_LabelLoss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_LabelLoss):
    def __init__(
        self,
        weight: Any = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        smoothing = label_smoothing
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)):
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be a float, got {smoothing!r}"
            )
        if not 0 <= smoothing <= 1:
            raise ValueError(
                f"CrossEntropyLoss: label_smoothing must be in [0, 1], got {smoothing}"
            )
        self.label_smoothing = float(smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input, target, reduction=self.reduction, label_smoothing=self.label_smoothing
        )


class MSELoss(Module):
    def __init__(
        self, size_average: Any = None, reduce: Any = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        self.reduction = _checked("MSELoss", reduction, size_average=size_average, reduce=reduce)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)
