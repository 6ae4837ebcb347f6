"""What a trained model expects of its input images, recorded in every checkpoint.

A dataset's loader reads pixels in its natural range (the digits 0..16, MNIST's bytes
0..255), then normalises them: x = (pixel / high - mean) / std. A checkpoint records that
contract, so that predict, saliency, evaluate and the ONNX export apply the very same
arithmetic to new images, and refuse images that cannot be what the model was trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

POLARITY = "light digit on a dark background"


@dataclass(frozen=True)
class InputContract:
    """Grey images of size x size pixels in [low, high], normalised by (v / high - mean) / std."""

    size: int
    low: float
    high: float
    mean: float
    std: float
    channels: int = 1
    polarity: str = POLARITY

    def normalise(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels in [low, high] as the model's float32 input (the loaders' own arithmetic)."""
        x = pixels.astype(np.float32) if pixels.dtype.kind in "uib" else pixels
        return ((x / self.high - self.mean) / self.std).astype(np.float32)

    def affine(self) -> tuple[float, float]:
        """(offset, scale) with normalise(v) == (v - offset) / scale: for the ONNX export."""
        return self.mean * self.high, self.std * self.high

    def range_text(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"

    def describe(self) -> str:
        return (
            f"{self.size}x{self.size} grey pixels in {self.range_text()}, {self.polarity}; "
            f"normalised as (v / {self.high:g} - {self.mean:g}) / {self.std:g}"
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> InputContract:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in record.items() if k in names})


def contract_for(dataset: str) -> InputContract:
    """The contract of a dataset convprop trains on ("digits" or "mnist")."""
    from . import digits, mnist

    contracts = {"digits": digits.CONTRACT, "mnist": mnist.CONTRACT}
    if dataset not in contracts:
        raise ValueError(f"no input contract for dataset {dataset!r} (known: digits, mnist)")
    return contracts[dataset]


def checkpoint_contract(config: dict[str, Any]) -> InputContract:
    """A checkpoint's recorded contract; older checkpoints without one get their dataset's."""
    if "input" in config:
        return InputContract.from_dict(config["input"])
    return contract_for(config["dataset"])
