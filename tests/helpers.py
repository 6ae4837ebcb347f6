"""Shared test helpers: tolerances by dtype, a seeded generator of arrays, and the
compiled kernels turned on or off for one test."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

# Largest allowed |a - b| relative to max(1, max|b|): float64 agrees to rounding,
# float32 sums of a few hundred terms (and float32 FFTs) to a few ulps of the scale.
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 2e-5}


def set_jit(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    """The compiled kernels on or off for this test (CONVPROP_JIT), and checked so."""
    from convprop.kernels import jit

    monkeypatch.setenv(jit.ENVIRONMENT, "1" if on else "0")
    assert jit.enabled() is on


def compiled_and_numpy(monkeypatch: pytest.MonkeyPatch, fn):  # type: ignore[no-untyped-def]
    """(fn() through the compiled kernels, fn() through the NumPy algorithms); on after."""
    set_jit(monkeypatch, True)
    fast = fn()
    set_jit(monkeypatch, False)
    slow = fn()
    set_jit(monkeypatch, True)
    return fast, slow


def max_error(a: np.ndarray, b: np.ndarray) -> float:
    """max|a - b| scaled by max(1, max|b|)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(1.0, float(np.abs(b).max(initial=0.0)))
    return float(np.abs(a - b).max(initial=0.0)) / scale


def assert_close(actual: np.ndarray, expected: np.ndarray, dtype: np.dtype | type | None = None):
    """Same shape, the expected dtype, and equal within the dtype's tolerance."""
    dtype = np.dtype(dtype or expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == dtype, (actual.dtype, dtype)
    err = max_error(actual, expected)
    assert err <= TOLERANCE[dtype], f"max scaled error {err:.3g} > {TOLERANCE[dtype]:.1g}"


def randn(rng: np.random.Generator, shape: tuple[int, ...], dtype=np.float64) -> np.ndarray:
    return rng.standard_normal(shape).astype(dtype)


def _mnist_dir() -> Path:
    """The shared MNIST copy: $CONVPROP_MNIST_DIR, else ../shared/data/mnist beside the repo."""
    if os.environ.get("CONVPROP_MNIST_DIR"):
        return Path(os.environ["CONVPROP_MNIST_DIR"])
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "mnist"


MNIST_DIR = _mnist_dir()
needs_mnist = pytest.mark.skipif(
    not MNIST_DIR.exists(), reason=f"the shared MNIST copy is not at {MNIST_DIR} (outside the repo)"
)
