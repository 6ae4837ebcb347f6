"""convprop.utils.data against torch.utils.data: the same batches where no randomness is
involved, and PyTorch's guarantees where it is (permutations, reproducible seeds)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import convprop
from convprop import Tensor
from convprop.utils import data as cud


def _arrays(n=10):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 3)), np.arange(n)


def _as_numpy(batch):  # type: ignore[no-untyped-def]
    if isinstance(batch, (tuple, list)):
        return [_as_numpy(b) for b in batch]
    if isinstance(batch, dict):
        return {k: _as_numpy(v) for k, v in batch.items()}
    return np.asarray(batch.detach() if isinstance(batch, torch.Tensor) else batch)


def _same_batches(ours, theirs):  # type: ignore[no-untyped-def]
    ours, theirs = [_as_numpy(b) for b in ours], [_as_numpy(b) for b in theirs]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b)
        if isinstance(a, list):
            for x, y in zip(a, b, strict=True):
                np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (10, False)])
@pytest.mark.parametrize("num_workers", [0, 2])
def test_sequential_batches_equal_pytorchs(batch_size, drop_last, num_workers):
    x, y = _arrays()
    ours = cud.DataLoader(
        cud.TensorDataset(Tensor(x), Tensor(y)),
        batch_size,
        drop_last=drop_last,
        num_workers=num_workers,
        pin_memory=True,
    )
    theirs = tud.DataLoader(
        tud.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size, drop_last=drop_last
    )
    assert len(ours) == len(theirs)
    _same_batches(list(ours), list(theirs))
    first = next(iter(ours))
    assert all(isinstance(t, Tensor) for t in first) and first[1].dtype == np.int64


class Pairs:
    """A map-style dataset of (dict, string, number) samples, as scripts write them."""

    def __len__(self):  # type: ignore[no-untyped-def]
        return 5

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        return {"x": np.full(2, float(i)), "label": i}, f"item{i}", i * 0.5


def test_default_collate_goes_into_dicts_tuples_and_strings_as_pytorchs():
    ours = list(cud.DataLoader(Pairs(), batch_size=2))
    theirs = list(tud.DataLoader(Pairs(), batch_size=2))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a[0]["x"].array, b[0]["x"].numpy())
        np.testing.assert_array_equal(a[0]["label"].array, b[0]["label"].numpy())
        assert a[1] == b[1] and type(a) is type(b) is list
        np.testing.assert_array_equal(a[2].array, b[2].numpy())


def test_a_collate_fn_and_a_batch_sampler_are_used():
    x, y = _arrays(6)
    sampler = cud.BatchSampler(cud.SequentialSampler(range(6)), 4, drop_last=False)
    loader = cud.DataLoader(
        cud.TensorDataset(Tensor(x), Tensor(y)),
        batch_sampler=sampler,
        collate_fn=lambda samples: [s[1].item() for s in samples],
    )
    assert list(loader) == [[0, 1, 2, 3], [4, 5]]


def test_shuffle_honours_manual_seed_and_a_generator():
    x, y = _arrays(20)
    data = cud.TensorDataset(Tensor(x), Tensor(y))

    def labels(loader):  # type: ignore[no-untyped-def]
        return [int(v) for batch in loader for v in batch[1].array]

    convprop.manual_seed(3)
    first = labels(cud.DataLoader(data, 4, shuffle=True))
    convprop.manual_seed(3)
    again = labels(cud.DataLoader(data, 4, shuffle=True))
    assert first == again and sorted(first) == list(range(20)) and first != list(range(20))
    loader = cud.DataLoader(data, 4, shuffle=True, num_workers=3)
    assert labels(loader) != labels(loader)  # a new order each epoch
    seeded = [
        labels(cud.DataLoader(data, 4, shuffle=True, generator=convprop.Generator().manual_seed(7)))
        for _ in range(2)
    ]
    assert seeded[0] == seeded[1]


def test_random_split_by_lengths_and_fractions_as_pytorch():
    data = cud.TensorDataset(Tensor(np.arange(10.0)))
    for lengths in ([3, 7], [0.5, 0.3, 0.2], [0.34, 0.33, 0.33]):
        ours = cud.random_split(data, lengths, generator=convprop.Generator().manual_seed(0))
        theirs = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        items = sorted(int(s[i][0].item()) for s in ours for i in range(len(s)))
        assert items == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        cud.random_split(data, [3, 3])


def test_samplers_and_subsets():
    data = list(range(7))
    assert list(cud.SequentialSampler(data)) == list(tud.SequentialSampler(data))
    order = list(cud.RandomSampler(data, generator=convprop.Generator().manual_seed(1)))
    assert sorted(order) == data
    drawn = list(cud.RandomSampler(data, replacement=True, num_samples=20))
    assert len(drawn) == 20 and set(drawn) <= set(data)
    assert len(cud.RandomSampler(data, num_samples=10)) == 10
    subset = cud.Subset(cud.TensorDataset(Tensor(np.arange(7.0))), [6, 2])
    assert [subset[i][0].item() for i in range(2)] == [6.0, 2.0]
    joined = cud.ConcatDataset([data[:3], data[3:]])
    assert [joined[i] for i in range(len(joined))] == data and joined[-1] == 6


def test_pytorchs_refusals():
    x, y = _arrays()
    data = cud.TensorDataset(Tensor(x), Tensor(y))
    with pytest.raises(ValueError, match="mutually exclusive with shuffle"):
        cud.DataLoader(data, sampler=cud.SequentialSampler(data), shuffle=True)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        cud.DataLoader(data, num_workers=-1)
    with pytest.raises(ValueError, match="worker_init_fn"):
        cud.DataLoader(data, num_workers=2, worker_init_fn=print)
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        cud.TensorDataset(Tensor(np.ones(3)), Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        cud.DataLoader(data, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="need num_workers > 0"):
        cud.DataLoader(data, persistent_workers=True)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        cud.DataLoader(data, timeout=-1)
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        cud.random_split(data, [1.5, -0.5])
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        cud.RandomSampler(data, replacement="no")
    assert len(cud.DataLoader(data, worker_init_fn=print)) == 10  # never called without workers


def test_reachable_as_pytorchs_module_path():
    import convprop.utils.data as path

    assert path.DataLoader is convprop.utils.data.DataLoader is cud.DataLoader


def test_a_generator_is_pytorchs_shape_of_thing():
    g = convprop.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed()
    state = g.get_state()
    first = list(cud.RandomSampler(range(9), generator=g))
    g.set_state(state)
    assert list(cud.RandomSampler(range(9), generator=g)) == first
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    with pytest.raises(ValueError, match="convprop computes on the CPU"):
        convprop.Generator("cuda")
