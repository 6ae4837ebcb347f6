"""scikit-learn's bundled 8x8 digits (1,797 images): real data with no download."""

from __future__ import annotations

import numpy as np

from .._optional import sklearn_datasets
from .contract import InputContract
from .dataset import TensorDataset

MEAN, STD = 0.305, 0.376  # of all 1,797 images' pixels / 16
CONTRACT = InputContract(size=8, low=0, high=16, mean=MEAN, std=STD)  # pixels 0..16


def load_digits(split: str = "train", test_fraction: float = 0.2, seed: int = 0) -> TensorDataset:
    """Images (N, 1, 8, 8) float32, standardised (pixels / 16, then (v - MEAN) / STD), and
    labels (N,) int64, split by a seeded shuffle."""
    datasets = sklearn_datasets()
    if split not in ("train", "test"):
        raise ValueError(f"digits: split must be 'train' or 'test', got {split!r}")
    bunch = datasets.load_digits()
    images = CONTRACT.normalise(bunch.images)[:, None]
    labels = bunch.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = round(len(labels) * test_fraction)
    chosen = order[n_test:] if split == "train" else order[:n_test]
    return TensorDataset(images[chosen], labels[chosen])
