"""data/dataset.py and data/digits.py: batching, seeded shuffles, drop_last, the digits."""

import numpy as np
import pytest

from convprop import Tensor
from convprop.data import DataLoader, Dataset, TensorDataset, load_digits


def test_loader_batches_every_sample_once_in_order():
    data = TensorDataset(np.arange(10.0)[:, None], np.arange(10))
    batches = list(DataLoader(data, batch_size=4))
    assert [len(b[0]) for b in batches] == [4, 4, 2] and len(DataLoader(data, 4)) == 3
    assert all(isinstance(t, Tensor) for b in batches for t in b)
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), np.arange(10))


def test_shuffle_is_seeded_and_changes_every_epoch():
    data = TensorDataset(np.arange(20))
    a, b = DataLoader(data, 5, shuffle=True, seed=1), DataLoader(data, 5, shuffle=True, seed=1)
    first = [x.numpy().tolist() for (x,) in a]
    assert first == [x.numpy().tolist() for (x,) in b]
    second = [x.numpy().tolist() for (x,) in a]
    assert second != first and sorted(i for batch in second for i in batch) == list(range(20))


def test_drop_last_leaves_out_the_short_batch():
    loader = DataLoader(TensorDataset(np.arange(10)), 4, drop_last=True)
    assert len(loader) == 2 and [len(x) for (x,) in loader] == [4, 4]


def test_a_plain_dataset_is_stacked():
    class Squares(Dataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return np.array([i * i]), np.int64(i)

    (x, _), *_ = DataLoader(Squares(), 3)
    np.testing.assert_array_equal(x.numpy()[:, 0], [0, 1, 4])


def test_errors():
    with pytest.raises(ValueError, match="first dimension"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros(3)), 0)


def test_digits_split_is_disjoint_and_complete():
    train, test = load_digits("train"), load_digits("test")
    assert len(train) + len(test) == 1797 and len(test) == 359
    x, _ = train.arrays
    assert x.shape[1:] == (1, 8, 8) and x.dtype == np.float32
    everything = np.concatenate([x, test.arrays[0]])
    assert (
        abs(float(everything.mean())) < 1e-3 and abs(float(everything.std()) - 1) < 1e-2
    )  # standardised
