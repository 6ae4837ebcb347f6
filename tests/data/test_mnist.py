"""data/mnist.py: real digits from the shared copy; clear errors for broken files."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from convprop.data import load_mnist, read_idx

from ..helpers import MNIST_DIR, needs_mnist


def _idx(magic: int, array: np.ndarray) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_split(root: Path, prefix: str, n: int, gz: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, (n, 28, 28))
    labels = rng.integers(0, 10, n)
    for stem, magic, array in (
        ("images-idx3-ubyte", 2051, images),
        ("labels-idx1-ubyte", 2049, labels),
    ):
        data = _idx(magic, array)
        name = f"{prefix}-{stem}" + (".gz" if gz else "")
        (root / name).write_bytes(gzip.compress(data) if gz else data)
    return images, labels


@needs_mnist
def test_shared_mnist_test_split_reads_as_8000_plus_2000():
    train = load_mnist(MNIST_DIR, "train", holdout=2000)
    test = load_mnist(MNIST_DIR, "test", holdout=2000)
    assert len(train) == 8000 and len(test) == 2000
    x, y = train.arrays
    assert x.shape == (8000, 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y)) == set(range(10))
    assert abs(float(x.mean())) < 0.05 and abs(float(x.std()) - 1) < 0.05  # normalised


@pytest.mark.parametrize("gz", [False, True])
def test_raw_and_gzipped_files_round_trip(tmp_path, gz):
    images, labels = _write_split(tmp_path, "train", 5, gz)
    _write_split(tmp_path, "t10k", 3, gz)
    train, test = load_mnist(tmp_path, "train"), load_mnist(tmp_path, "test")
    assert len(train) == 5 and len(test) == 3
    np.testing.assert_array_equal(train.arrays[1], labels)
    np.testing.assert_allclose(train.arrays[0][:, 0], (images / 255 - 0.1307) / 0.3081, rtol=1e-6)


def test_one_split_directory_needs_holdout(tmp_path):
    _write_split(tmp_path, "t10k", 10, True)
    with pytest.raises(ValueError, match="holdout"):
        load_mnist(tmp_path, "train")
    assert len(load_mnist(tmp_path, "train", holdout=3)) == 7
    with pytest.raises(ValueError, match="holdout must be in"):
        load_mnist(tmp_path, "train", holdout=10)


def test_broken_files_name_the_file_and_the_fault(tmp_path):
    good = _idx(2051, np.zeros((2, 28, 28)))
    cases = {
        "magic.idx": (good[:3] + b"\x01" + good[4:], "magic number"),
        "short.idx": (good[:-10], "truncated"),
        "tiny.idx": (good[:5], "not even a header"),
        "junk.gz": (b"not gzip at all", "cannot read"),
        "cut.gz": (gzip.compress(good)[:-20], "cannot read"),
    }
    for name, (data, fault) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=fault) as info:
            read_idx(tmp_path / name, 2051)
        assert name in str(info.value)


def test_images_and_labels_must_agree(tmp_path):
    _write_split(tmp_path, "train", 4, False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx(2049, np.zeros(3)))
    with pytest.raises(ValueError, match="expected N images and N labels"):
        load_mnist(tmp_path, "train")
