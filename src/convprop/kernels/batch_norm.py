"""Batch normalisation (training mode), forward and backward compiled with Numba: a few
passes over each channel where NumPy's expressions (functions/norm.py) make about ten,
each allocating a temporary.

    forward   mean_c = sum x / M,  var_c = sum (x - mean_c)^2 / M      (M = N * positions)
              x_hat = (x - mean_c) / sqrt(var_c + eps),  y = gamma_c x_hat + beta_c
    backward  dL/dbeta_c = sum g,  dL/dgamma_c = sum g x_hat
              dL/dx = gamma_c / sqrt(var_c + eps) * (g - dL/dbeta_c / M - x_hat dL/dgamma_c / M)

Each takes two passes per channel: one for the sums, one writing the result. Sums run in
float64 (NumPy sums in the input's dtype), the variance's from values shifted by the
channel's first one (so data far from 0 does not cancel). One thread owns each channel
(parallel.in_parts over channels): no reduction's order depends on the thread count, so
the results are bit-identical for any number of threads.

Arrays are (N, C, positions) and C-contiguous. Division follows NumPy's rules
(error_model="numpy"): an empty batch or a zero variance with eps = 0 gives NaN or inf, as
the NumPy path does, not Python's ZeroDivisionError.

Imported only through jit.lazy: importing it imports Numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import parallel
from .parallel import span


# The sums may be reassociated (fastmath "reassoc", nothing else): LLVM then keeps them in
# vector registers, 7x faster than a strict left-to-right float64 sum (4.6 against 32 us
# per 65,536 floats; NumPy's float32 sum 9 us). The order it picks is fixed in the
# compiled code, so the results are still the same on every run and for any thread count.
@numba.njit(cache=True, fastmath={"reassoc"})
def _moments(a, shift):  # type: ignore[no-untyped-def]
    """(sum of d, sum of d^2) with d = a[j] - shift, in float64, over a 1-D array."""
    s = q = 0.0
    for j in range(a.size):
        d = a[j] - shift
        s += d
        q += d * d
    return s, q


@numba.njit(cache=True, fastmath={"reassoc"})
def _dot(a, b):  # type: ignore[no-untyped-def]
    """(sum of a[j], sum of a[j] * b[j]) in float64, over 1-D arrays."""
    s = p = 0.0
    for j in range(a.size):
        v = np.float64(a[j])
        s += v
        p += v * b[j]
    return s, p


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _forward(x, gamma, beta, eps, y, x_hat, mean, var, part, parts):  # type: ignore[no-untyped-def]
    batch, channels, _ = x.shape
    count = x.size // channels
    lo, hi = span(part, parts, channels)
    for c in range(lo, hi):
        # sums of d = x - K and d^2, K = the channel's first value: shifted, so that
        # var = (sum d^2 - (sum d)^2 / M) / M does not cancel for data far from 0
        shift = np.float64(x[0, c, 0]) if x.size else 0.0
        total = squares = 0.0
        for n in range(batch):
            s, q = _moments(x[n, c], shift)
            total += s
            squares += q
        m = shift + total / count
        v = (squares - total * total / count) / count
        if v < 0.0:  # rounding below 0; NaN (no values) stays NaN, as NumPy's var gives
            v = 0.0
        inv = 1.0 / np.sqrt(v + eps)
        scale, offset = np.float64(gamma[c]), np.float64(beta[c])
        for n in range(batch):
            row, out, normed = x[n, c], y[n, c], x_hat[n, c]
            for j in range(row.size):
                h = (row[j] - m) * inv
                normed[j] = h
                out[j] = h * scale + offset
        mean[c] = m
        var[c] = v


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _backward(g, x_hat, gamma, inv_std, grad_x, grad_gamma, grad_beta, part, parts):  # type: ignore[no-untyped-def]
    # dL/dbeta = sum g;  dL/dgamma = sum g x_hat
    # dL/dx = gamma / sigma * (g - dL/dbeta / M - x_hat * dL/dgamma / M)
    batch, channels, _ = g.shape
    count = g.size // channels
    lo, hi = span(part, parts, channels)
    for c in range(lo, hi):
        sum_g = sum_gx = 0.0
        for n in range(batch):
            s, p = _dot(g[n, c], x_hat[n, c])
            sum_g += s
            sum_gx += p
        k = np.float64(gamma[c]) * np.float64(inv_std[c])
        mean_g, mean_gx = sum_g / count, sum_gx / count
        for n in range(batch):
            gr, xh, out = g[n, c], x_hat[n, c], grad_x[n, c]
            for j in range(gr.size):
                out[j] = k * (gr[j] - mean_g - xh[j] * mean_gx)
        grad_gamma[c] = sum_gx
        grad_beta[c] = sum_g


def _planes(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(*a.shape[:2], math.prod(a.shape[2:]))


def forward(
    x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(y, x_hat, mean, var, inv_std) of x (N, C, ...) normalised per channel: y and x_hat
    in x's dtype, the per-channel statistics in float64 (var biased, as normalising uses
    it; inv_std = 1/sqrt(var + eps), which backward takes)."""
    y, x_hat = np.empty_like(x, order="C"), np.empty_like(x, order="C")
    mean = np.empty(x.shape[1], dtype=np.float64)
    var = np.empty(x.shape[1], dtype=np.float64)
    gamma_, beta_ = np.ascontiguousarray(gamma), np.ascontiguousarray(beta)
    args = (_planes(x), gamma_, beta_, float(eps), _planes(y), _planes(x_hat), mean, var)
    parallel.in_parts(_forward, x.shape[1], *args)
    return y, x_hat, mean, var, 1.0 / np.sqrt(var + eps)


def backward(
    g: np.ndarray, x_hat: np.ndarray, gamma: np.ndarray, inv_std: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dL/dx, dL/dgamma, dL/dbeta) from dL/dy and the forward's x_hat and inv_std."""
    grad_x = np.empty(g.shape, dtype=g.dtype)
    grad_gamma = np.empty(g.shape[1], dtype=g.dtype)
    grad_beta = np.empty(g.shape[1], dtype=g.dtype)
    planes = (_planes(g), _planes(x_hat), np.ascontiguousarray(gamma), inv_std)
    args = (*planes, _planes(grad_x), grad_gamma, grad_beta)
    parallel.in_parts(_backward, g.shape[1], *args)
    return grad_x, grad_gamma, grad_beta
