"""torch.utils.data's names and behaviour: Dataset, TensorDataset, Subset, ConcatDataset,
random_split, the samplers and DataLoader, batches collated into Tensors.

* A TensorDataset's item is a tuple of Tensors, one row of each; default_collate stacks
  Tensors, arrays and numbers into a batch Tensor, and goes into tuples, lists and dicts
  as PyTorch's does (strings stay a list).
* shuffle=True without a generator draws each epoch's order from a seed drawn from
  convprop's generator, so convprop.manual_seed fixes the batches as torch.manual_seed does;
  with generator=convprop.Generator().manual_seed(s) the order follows that generator.
* num_workers > 0 is accepted and runs in this process: the same batches in the same
  order, as PyTorch's workers deliver them; pin_memory, timeout, prefetch_factor and
  persistent_workers have nothing to do on the CPU (PyTorch's checks of them kept).
  worker_init_fn is refused with workers (it would never run), as is a
  multiprocessing_context.
The orders are NumPy's random streams, not PyTorch's: the same seed gives the same batches
in convprop, not the same as PyTorch's.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .. import rng
from ..autograd import Tensor


class Dataset:
    """Anything with __getitem__(i) -> one sample, and __len__."""

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the i-th rows of tensors that share their first dimension."""

    def __init__(self, *tensors: Any) -> None:
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        if not self.tensors or len({t.shape[0] if t.ndim else -1 for t in self.tensors}) != 1:
            shapes = [tuple(t.shape) for t in self.tensors]
            raise ValueError(f"TensorDataset: Size mismatch between tensors: {shapes}")

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(t._sharing(np.asarray(t.array[index])) for t in self.tensors)

    def __len__(self) -> int:
        return int(self.tensors[0].shape[0])


class Subset(Dataset):
    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, list(indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)


class ConcatDataset(Dataset):
    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        self.ends = np.cumsum([len(d) for d in self.datasets])

    def __len__(self) -> int:
        return int(self.ends[-1])

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"ConcatDataset: index {index} out of range for {len(self)}")
        which = int(np.searchsorted(self.ends, index, side="right"))
        start = 0 if which == 0 else int(self.ends[which - 1])
        return self.datasets[which][index - start]


def _stream(generator: rng.Generator | None) -> np.random.Generator:
    """The NumPy stream to draw from: the generator's, else a fresh one seeded from
    convprop's generator (manual_seed reaches it), as PyTorch's samplers do each epoch."""
    if generator is not None:
        return rng.stream(generator)
    return np.random.default_rng(int(rng.generator().integers(2**63)))


def random_split(
    dataset: Any, lengths: Sequence[float], generator: rng.Generator | None = None
) -> list[Subset]:
    """Subsets of the given lengths, or fractions summing to 1 (the remainder given one by
    one to the first subsets, as PyTorch), over a random permutation."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, f in enumerate(lengths):
            if not 0 <= f <= 1:
                raise ValueError(f"random_split: Fraction at index {i} is not between 0 and 1")
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
    else:
        counts = [int(c) for c in lengths]
    if sum(counts) != n:
        raise ValueError(
            "random_split: Sum of input lengths does not equal the length of the input "
            f"dataset! ({sum(counts)} against {n})"
        )
    order = _stream(generator).permutation(n).tolist()
    starts = np.cumsum([0, *counts])
    return [Subset(dataset, order[a:b]) for a, b in itertools.pairwise(starts)]


class Sampler:
    """An iterable of dataset indices with a length."""

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source: Any) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order each epoch; with replacement, num_samples draws."""

    def __init__(
        self,
        data_source: Any,
        replacement: bool = False,
        num_samples: int | None = None,
        generator: rng.Generator | None = None,
    ) -> None:
        if num_samples is not None and (not isinstance(num_samples, int) or num_samples < 1):
            raise ValueError(
                "RandomSampler: num_samples should be a positive integer value, "
                f"got {num_samples!r}"
            )
        if not isinstance(replacement, bool):
            raise ValueError(
                f"RandomSampler: replacement should be a boolean value, got {replacement!r}"
            )
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        n, stream = len(self.data_source), _stream(self.generator)
        if self.replacement:
            return iter(stream.integers(0, n, self.num_samples).tolist())
        rounds = -(-self.num_samples // n) if n else 0
        orders = [stream.permutation(n) for _ in range(rounds)]
        order = np.concatenate(orders) if orders else np.zeros(0, np.int64)
        return iter(order[: self.num_samples].tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler:
    """Lists of batch_size indices from a sampler, the last one short unless drop_last."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(
                f"BatchSampler: batch_size should be a positive integer value, got {batch_size!r}"
            )
        if not isinstance(drop_last, bool):
            raise ValueError(
                f"BatchSampler: drop_last should be a boolean value, got {drop_last!r}"
            )
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)  # type: ignore[arg-type]
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def default_collate(batch: Sequence[Any]) -> Any:
    """Samples into a batch, as PyTorch's default_collate: Tensors, arrays and numbers
    stacked into one Tensor; dicts, lists and tuples collated field by field (a tuple's
    fields come back as a list, a namedtuple's as the namedtuple); strings left as given."""
    first = batch[0]
    if isinstance(first, Tensor):
        return first._sharing(np.stack([s.array for s in batch]))
    if isinstance(first, (np.ndarray, np.generic, int, float, bool)) and not isinstance(first, str):
        return Tensor(np.stack([np.asarray(s) for s in batch]))
    if isinstance(first, (str, bytes)):
        return batch  # as given: PyTorch's default_collate leaves strings alone
    if isinstance(first, Mapping):
        return {key: default_collate([s[key] for s in batch]) for key in first}
    if isinstance(first, (tuple, list)):
        if len({len(s) for s in batch}) != 1:
            raise ValueError(
                "default_collate: each element in list of batch should be of equal size"
            )
        columns = [default_collate(c) for c in zip(*batch, strict=True)]
        if isinstance(first, tuple) and hasattr(first, "_fields"):  # a namedtuple stays one
            return type(first)(*columns)
        return columns  # a list for a tuple too, as PyTorch's (its "backwards compatibility")
    raise ValueError(f"default_collate: cannot batch samples of type {type(first).__name__}")


class DataLoader:
    """torch.utils.data.DataLoader's arguments, defaults and batches (see the module's
    docstring for workers and shuffling)."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context: Any = None,
        generator: rng.Generator | None = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                "DataLoader: num_workers option should be non-negative; use num_workers=0 to "
                f"disable multiprocessing, got {num_workers!r}"
            )
        if num_workers > 0 and (worker_init_fn is not None or multiprocessing_context is not None):
            raise ValueError(
                "DataLoader: worker_init_fn and multiprocessing_context are not supported: "
                "convprop's loader runs in this process (num_workers gives the same batches)"
            )
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            raise ValueError(
                "DataLoader: prefetch_factor and persistent_workers options need "
                "num_workers > 0 (as PyTorch's)"
            )
        if timeout < 0:
            raise ValueError("DataLoader: timeout option should be non-negative")
        if batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is mutually "
                "exclusive with drop_last"
            )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler option is mutually exclusive with batch_size, "
                "shuffle, sampler, and drop_last"
            )
        self.dataset, self.num_workers, self.generator = dataset, num_workers, generator
        self.batch_size, self.drop_last = batch_size, bool(drop_last)
        self.pin_memory, self.timeout = pin_memory, timeout
        if sampler is None:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        self.sampler = sampler
        if batch_sampler is None and batch_size is not None:
            batch_sampler = BatchSampler(sampler, batch_size, self.drop_last)
        self.batch_sampler = batch_sampler
        self.collate_fn = collate_fn or (default_collate if batch_size is not None else _single)

    def __iter__(self) -> Iterator[Any]:
        if self.batch_sampler is None:  # batch_size=None: one sample at a time
            for index in self.sampler:
                yield self.collate_fn(self.dataset[index])
            return
        for indices in self.batch_sampler:
            yield self.collate_fn([self.dataset[i] for i in indices])

    def __len__(self) -> int:
        source = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return len(source)


def _single(sample: Any) -> Any:
    """batch_size=None: each sample converted as PyTorch's default_convert does."""
    if isinstance(sample, (np.ndarray, np.generic)):
        return Tensor(sample)
    return sample
