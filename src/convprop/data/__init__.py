"""Datasets and loaders: in-memory tensors, MNIST from IDX files, scikit-learn's digits."""

from .dataset import DataLoader, Dataset, Subset, TensorDataset
from .digits import load_digits
from .mnist import load_mnist, read_idx

__all__ = [
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "load_digits",
    "load_mnist",
    "read_idx",
]
