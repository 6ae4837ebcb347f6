"""MNIST from IDX files (gzipped or raw) in a directory the user names; no download."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from .contract import InputContract
from .dataset import TensorDataset

# IDX magic numbers: 0x0000 0803 = unsigned bytes, 3 dimensions (images); 0x0801 labels
IMAGES_MAGIC, LABELS_MAGIC = 2051, 2049
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
MEAN, STD = 0.1307, 0.3081  # the usual normalisation of MNIST pixels in [0, 1]
CONTRACT = InputContract(size=28, low=0, high=255, mean=MEAN, std=STD)  # bytes 0..255


def read_idx(path: str | os.PathLike[str], magic: int) -> np.ndarray:
    """An IDX file as a uint8 array; ValueError naming the file for anything wrong with it."""
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise ValueError(f"MNIST: cannot read {path}: {e}") from None
    if len(raw) < 8:
        raise ValueError(f"MNIST: {path} is truncated: {len(raw)} bytes, not even a header")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(f"MNIST: {path} has magic number {found}, expected {magic}")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise ValueError(
            f"MNIST: {path} is truncated or padded: its header promises {dims} "
            f"({expected} bytes) but it holds {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find(root: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (root / name).exists():
            return root / name
    return None


def load_mnist(
    root: str | os.PathLike[str], split: str = "train", holdout: int | None = None
) -> TensorDataset:
    """Images (N, 1, 28, 28) float32, normalised, and labels (N,) int64.

    split is "train" or "test". A directory holding only one split (the shared copy holds
    only t10k) can still be divided: with holdout=K its first len-K images are "train"
    and its last K "test". With both splits on disk, holdout is not used.
    """
    if split not in FILES:
        raise ValueError(f"MNIST: split must be 'train' or 'test', got {split!r}")
    root = Path(root)
    if not root.is_dir():
        what = "is not a directory" if root.exists() else "does not exist"
        raise ValueError(f"MNIST: data directory {root} {what}")
    found = {name: [_find(root, stem) for stem in stems] for name, stems in FILES.items()}
    available = [name for name, paths in found.items() if None not in paths]
    part = slice(None)
    if holdout is not None and len(available) == 1:
        # one split on disk: its first len-K images train, its last K test
        paths = found[available[0]]
        part = slice(None, -holdout) if split == "train" else slice(-holdout, None)
    elif split in available:
        paths = found[split]
    else:
        stems = " and ".join(FILES[split])
        hint = "" if holdout is not None else " (a directory with one split needs holdout=K)"
        raise ValueError(f"MNIST: {root} has no {stems}[.gz]{hint}")
    image_path, label_path = paths
    assert image_path is not None and label_path is not None
    images = read_idx(image_path, IMAGES_MAGIC)
    labels = read_idx(label_path, LABELS_MAGIC)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"MNIST: {image_path} holds {images.shape} and {label_path} {labels.shape}; "
            "expected N images and N labels"
        )
    if holdout is not None and not 0 < holdout < len(images):
        raise ValueError(f"MNIST: holdout must be in (0, {len(images)}), got {holdout}")
    x = CONTRACT.normalise(images[part])[:, None]
    return TensorDataset(x, labels[part].astype(np.int64))
