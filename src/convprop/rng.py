"""The one random generator behind initialisation, shuffling and dropout, like torch.manual_seed."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed convprop's generator: the same seed gives the same weights, batches and masks."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    return _generator
