"""F.pad as a differentiable op."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import kernels as K
from ..autograd.function import Function
from ..kernels.padding import pad_core_backward, pad_planned

PAD_MODES: tuple[str, ...] = K.padding.MODES  # for nn's checks: nn never imports the kernels


class Pad(Function):
    """F.pad's constant, reflect, replicate and circular modes."""

    def forward(self, x: np.ndarray, *, pads: Any, mode: str, value: float) -> np.ndarray:
        y, self.pads = pad_planned(x, pads, mode, value)
        self.mode = mode
        return y

    def backward(self, g: np.ndarray) -> tuple[np.ndarray]:
        # each padded cell's gradient goes back to the input cell it was read from
        return (pad_core_backward(g, self.pads, self.mode),)
