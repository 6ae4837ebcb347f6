"""data/contract.py: what a model expects of its images: the normalisation its loader
applied (and the same as an affine map for ONNX), its words, its round trip through a
checkpoint's record, and the contract of each dataset."""

import dataclasses

import numpy as np
import pytest

from convprop.data import digits, load_digits, mnist
from convprop.data.contract import (
    POLARITY,
    InputContract,
    checkpoint_contract,
    contract_for,
)

CONTRACT = InputContract(size=8, low=0, high=16, mean=0.25, std=0.5)


def test_normalise_is_pixels_over_high_minus_mean_over_std_in_float32():
    pixels = np.array([[0, 4], [8, 16]], dtype=np.uint8)
    x = CONTRACT.normalise(pixels)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x, [[-0.5, 0.0], [0.5, 1.5]])  # (v/16 - 0.25) / 0.5
    assert CONTRACT.normalise(pixels.astype(np.float64)).dtype == np.float32


def test_the_affine_form_is_the_same_arithmetic():
    offset, scale = CONTRACT.affine()
    v = np.random.default_rng(0).uniform(0, 16, 50)
    np.testing.assert_allclose((v - offset) / scale, CONTRACT.normalise(v), rtol=1e-6)
    assert (offset, scale) == (4.0, 8.0)  # 0.25 * 16, 0.5 * 16


def test_its_words_name_the_size_range_polarity_and_formula():
    assert CONTRACT.range_text() == "[0, 16]"
    assert CONTRACT.describe() == (
        f"8x8 grey pixels in [0, 16], {POLARITY}; normalised as (v / 16 - 0.25) / 0.5"
    )


def test_a_record_round_trips_and_an_older_one_takes_the_defaults():
    assert InputContract.from_dict(CONTRACT.as_dict()) == CONTRACT
    old = {"size": 8, "low": 0, "high": 16, "mean": 0.25, "std": 0.5, "unknown": 1}
    restored = InputContract.from_dict(old)
    assert restored == CONTRACT and restored.channels == 1 and restored.polarity == POLARITY
    with pytest.raises(dataclasses.FrozenInstanceError):
        CONTRACT.size = 9  # type: ignore[misc]


def test_each_dataset_has_its_contract_and_others_are_refused():
    assert contract_for("digits") is digits.CONTRACT and contract_for("mnist") is mnist.CONTRACT
    assert (mnist.CONTRACT.size, mnist.CONTRACT.high) == (28, 255)
    with pytest.raises(ValueError, match=r"no input contract for dataset 'cifar' \(known: digits"):
        contract_for("cifar")


def test_the_digits_loader_applies_its_own_contract():
    from sklearn.datasets import load_digits as sklearn_digits

    images = sklearn_digits().images
    x = load_digits("train").arrays[0]
    everything = np.sort(digits.CONTRACT.normalise(images).ravel())
    assert set(np.unique(x)) <= set(np.unique(everything))  # the same arithmetic, value by value


def test_a_checkpoint_contract_is_its_record_or_its_datasets():
    assert checkpoint_contract({"input": CONTRACT.as_dict(), "dataset": "mnist"}) == CONTRACT
    assert checkpoint_contract({"dataset": "mnist"}) is mnist.CONTRACT
