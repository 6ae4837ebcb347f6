"""One grey image from a file, checked against a model's input contract.

.npy arrays are read natively (allow_pickle=False) and taken as they are, in the model's
pixel units: the digits' 0..16, MNIST's 0..255. PNG, JPEG and PGM files are read by Pillow
(the optional [image] extra) and scaled by their bit depth to the model's range: 255
(8 bits) or 65535 (16 bits) becomes the range's top. Anything else is refused with a
ValueError naming the file and the rule it breaks; nothing is guessed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .._optional import pil_image
from .contract import InputContract

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".pgm")
FULL_SCALE = {"L": 255, "I;16": 65535, "I;16B": 65535, "I;16L": 65535, "I": 65535}


def pillow() -> Any:
    """PIL.Image, or an ImportError saying how to install it (convprop._optional)."""
    return pil_image()


def _load_npy(path: Path) -> np.ndarray:
    # np.load takes any file without .npy's magic bytes for a pickle: tell them apart first
    with open(path, "rb") as f:
        head = f.read(6)
    if head != b"\x93NUMPY" and not head.startswith(b"PK"):
        what = "a pickle" if head[:1] == b"\x80" else "not a .npy file (no NumPy header)"
        raise ValueError(f"{path} is {what}; only plain numeric .npy arrays are read")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e):
            raise ValueError(
                f"{path} holds pickled Python objects; only plain numeric arrays are read"
            ) from None
        raise ValueError(f"{path} is not a readable .npy array ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f"{path} is not a readable .npy array ({e})") from None
    if not isinstance(array, np.ndarray):  # an .npz archive
        array.close()
        raise ValueError(f"{path} is an .npz archive, not one .npy array")
    if array.dtype.kind not in "uif":
        raise ValueError(
            f"{path} has {array.dtype} values; pixels must be real numbers (integer or float)"
        )
    return array


def _load_picture(path: Path, high: float) -> np.ndarray:
    image_module = pillow()
    try:
        with image_module.open(path) as image:
            image.load()
            mode = image.mode
            if mode in ("1", "P", "LA", "PA"):
                image = image.convert("RGBA" if mode in ("P", "PA", "LA") else "L")
            elif mode not in FULL_SCALE and mode not in ("RGB", "RGBA"):
                raise ValueError(f"{path} has pixel mode {mode}; grey or RGB images are read")
            pixels = np.asarray(image)
            mode = image.mode
    except OSError as e:
        raise ValueError(f"{path} is not a readable image ({e})") from None
    if mode in ("RGB", "RGBA"):
        if mode == "RGBA" and (pixels[..., 3] != 255).any():
            raise ValueError(f"{path} is transparent; the model takes opaque grey images")
        rgb = pixels[..., :3]
        if not ((rgb[..., 0] == rgb[..., 1]) & (rgb[..., 1] == rgb[..., 2])).all():
            raise ValueError(f"{path} is a colour image; the model takes grey images")
        pixels, mode = rgb[..., 0], "L"
    full = FULL_SCALE[mode]
    if pixels.max(initial=0) > full:
        raise ValueError(f"{path} has pixels above {full}, more than 16 bits")
    return pixels.astype(np.float64) * (high / full)


def read_image(path: str | Path, contract: InputContract) -> np.ndarray:
    """The image at path as (size, size) float64 pixels in the contract's range, checked:
    shape (H, W), (1, H, W) or (H, W, 1); finite; within [low, high]; light on dark."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix != ".npy" and suffix not in IMAGE_SUFFIXES:
        raise ValueError(f"{path}: only .npy, .png, .jpg/.jpeg and .pgm images are read")
    if not p.is_file():
        raise ValueError(f"{path} does not exist" if not p.exists() else f"{path} is not a file")
    array = _load_npy(p) if suffix == ".npy" else _load_picture(p, contract.high)
    return check_pixels(str(path), array, contract)


def check_pixels(name: str, array: np.ndarray, contract: InputContract) -> np.ndarray:
    """array as (size, size) float64 if it fits the contract, else a ValueError naming name."""
    size, text = contract.size, contract.range_text()
    expected = f"one grey {size}x{size} image, shape ({size}, {size}) or (1, {size}, {size})"
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); the model takes {expected}")
    image = array
    if image.ndim == 3 and image.shape[0] == 1:
        image = image[0]
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.shape != (size, size):
        raise ValueError(f"{name} has shape {array.shape}; the model takes {expected}")
    image = image.astype(np.float64)
    if not np.isfinite(image).all():
        raise ValueError(f"{name} has NaN or infinite pixels; pixels must be finite, in {text}")
    low, high = float(image.min()), float(image.max())
    if low < contract.low or high > contract.high:
        raise ValueError(
            f"{name} has pixels in [{low:g}, {high:g}]; the model takes pixels in {text}"
        )
    if contract.high > 1 and 0 < high <= 1:
        raise ValueError(
            f"{name} has pixels in [{low:g}, {high:g}], a [0, 1] image; the model takes pixels "
            f"in {text}: multiply by {contract.high:g}"
        )
    border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
    if border.mean() > contract.low + (contract.high - contract.low) / 2:
        raise ValueError(
            f"{name} looks like a dark digit on a light background (its border averages "
            f"{border.mean():.3g} of {contract.high:g}); the model takes a {contract.polarity}: "
            f"invert it ({contract.high:g} - v)"
        )
    return image
