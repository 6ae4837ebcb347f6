"""Dataset, TensorDataset and DataLoader with PyTorch's names; batches come as Tensors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import rng
from ..autograd import Tensor


class Dataset:
    """Anything with __len__ and __getitem__(i) -> a tuple of arrays (one sample)."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: int) -> tuple[np.ndarray, ...]:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Samples are the i-th rows of arrays that share their first dimension."""

    def __init__(self, *arrays: Any) -> None:
        self.arrays = tuple(np.asarray(a.array if isinstance(a, Tensor) else a) for a in arrays)
        if not self.arrays or len({len(a) for a in self.arrays}) != 1:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(
                f"TensorDataset: arrays must share their first dimension, got {shapes}"
            )

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return tuple(a[index] for a in self.arrays)


class Subset(Dataset):
    def __init__(self, dataset: Dataset, indices: Any) -> None:
        self.dataset, self.indices = dataset, np.asarray(indices)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> tuple[np.ndarray, ...]:
        return self.dataset[self.indices[index]]


class DataLoader:
    """Batches of a dataset as tuples of Tensors.

    shuffle draws a new order every epoch from a generator seeded with `seed` (so the
    same seed gives the same batches); without a seed, a shuffling loader's is seeded from
    convprop's own (rng.py), so convprop.manual_seed fixes the batches as it fixes the
    weights, as torch.manual_seed does for PyTorch's DataLoader. drop_last leaves out a
    short final batch. A sampler (an iterable of indices with a length, such as
    distributed.DistributedSampler) gives the order instead, as in PyTorch; it excludes
    shuffle.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        sampler: Any = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle exclude each other (as PyTorch)")
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.sampler = shuffle, drop_last, sampler
        if seed is None and shuffle:  # a child of the global generator: manual_seed
            seed = int(rng.generator().integers(2**63))  # reaches the order
        self.generator = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, ...]]:
        n = len(self.dataset)
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64)
        else:
            order = self.generator.permutation(n) if self.shuffle else np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            batch = order[start : start + self.batch_size]
            yield tuple(Tensor(a) for a in self._fetch(batch))

    def _fetch(self, batch: np.ndarray) -> tuple[np.ndarray, ...]:
        if isinstance(self.dataset, (TensorDataset, Subset)):
            return self.dataset[batch]  # one fancy-indexing call per array
        samples = [self.dataset[int(i)] for i in batch]
        return tuple(np.stack(column) for column in zip(*samples, strict=True))
