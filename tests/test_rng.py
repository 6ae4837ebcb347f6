"""rng.py: manual_seed reseeds the one generator behind initialisation and dropout, so the
same seed gives the same weights and masks, and another seed other ones."""

import numpy as np

import convprop
from convprop import models, nn, rng
from convprop.autograd import Tensor
from convprop.nn import functional as F


def _weights(seed):
    convprop.manual_seed(seed)
    return [p.numpy().copy() for p in models.lenet5(1, 10, 8).parameters()]


def test_manual_seed_returns_the_generator_everything_draws_from():
    g = convprop.manual_seed(3)
    assert rng.generator() is g and convprop.manual_seed is rng.manual_seed
    expected = np.random.default_rng(3).random(4)  # a NumPy generator seeded with 3
    np.testing.assert_array_equal(rng.generator().random(4), expected)


def test_the_same_seed_gives_the_same_initial_weights_and_another_seed_others():
    first, again, other = _weights(0), _weights(0), _weights(1)
    assert len(first) == 10
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert all(not np.array_equal(a, c) for a, c in zip(first, other, strict=True) if a.size > 1)


def test_a_layer_drawn_later_differs_from_the_first_but_repeats_under_the_seed():
    convprop.manual_seed(7)
    a, b = nn.Linear(4, 4).weight.numpy().copy(), nn.Linear(4, 4).weight.numpy().copy()
    convprop.manual_seed(7)
    a2, b2 = nn.Linear(4, 4).weight.numpy(), nn.Linear(4, 4).weight.numpy()
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)


def test_dropout_masks_repeat_under_the_seed():
    x = Tensor(np.ones((4, 50), dtype=np.float32))

    def masks(seed):
        convprop.manual_seed(seed)
        return [F.dropout(x, 0.5).numpy().copy() for _ in range(2)]

    first, again = masks(11), masks(11)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], first[1])  # the generator moves on
    assert set(np.unique(first[0])) == {0.0, 2.0}  # kept values scaled by 1/(1-p)


def _shuffled_batches(seed):
    from convprop.data import DataLoader, TensorDataset

    convprop.manual_seed(seed)
    loader = DataLoader(TensorDataset(np.arange(32.0)), batch_size=8, shuffle=True)
    return [b.numpy().tolist() for (b,) in loader]


def test_manual_seed_fixes_a_shuffling_loaders_batches_without_a_seed_of_its_own():
    first, again, other = _shuffled_batches(5), _shuffled_batches(5), _shuffled_batches(6)
    assert first == again and first != other
    assert sorted(i for batch in first for i in batch) == list(
        range(32)
    )  # a permutation: nothing lost


def test_a_loader_that_does_not_shuffle_draws_nothing_from_the_global_generator():
    from convprop.data import DataLoader, TensorDataset

    convprop.manual_seed(9)
    DataLoader(TensorDataset(np.arange(8.0)), batch_size=2)
    after_loader = rng.generator().random(3)
    convprop.manual_seed(9)
    np.testing.assert_array_equal(after_loader, rng.generator().random(3))
