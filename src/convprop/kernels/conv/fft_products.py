"""The FFT route's products of spectra, compiled with Numba: the channel sums of fft.py.

    forward      Y^[n, o]  = sum_c  Xp^[n, k*Cg + c] * conj(W^[o, c])
    grad_input   dX^[n, i] = sum_o  dY'^[n, o] * W^[o, i - k*Cg]     (o in group k = i // Cg)
    grad_weight  dW^[o, c] = sum_n  conj(dY'^[n, o]) * Xp^[n, k*Cg + c]

k is the group of the output channel (or of input channel i), Cg and Og the channels per
group. A spectrum is one flat axis of F complex numbers, so each product is a loop over
frequencies along contiguous memory, which LLVM vectorises (about 0.16 ns a complex
multiply-add on one core). NumPy's batched matmul needed the spectra transposed to put
frequencies first and then multiplied matrices of a few rows each: 3x slower here
(8 images, 16 channels, 16 filters, 72x72 transforms: 1.9 against 6.5 ms forward).

Work items are whole output rows, (image, channel) or (filter, channel): each thread writes
its items alone and each sum runs over channels (or images) in order, so the result is the
same for any number of threads. Items are rows, not blocks of a row: a call per block cost
more than its block's work (about 0.2 us each, for passing the array views).

Reached only through jit.lazy (fft.py): importing this module imports Numba.
"""

from __future__ import annotations

import numba
import numpy as np

from .. import parallel
from ..parallel import span


@numba.njit(cache=True)
def _mac(acc, a, b):  # type: ignore[no-untyped-def]
    for f in range(acc.size):  # acc += a * b
        acc[f] += a[f] * b[f]


@numba.njit(cache=True)
def _mac_conj_b(acc, a, b):  # type: ignore[no-untyped-def]
    for f in range(acc.size):  # acc += a * conj(b)
        acc[f] += a[f] * b[f].conjugate()


@numba.njit(cache=True)
def _mac_conj_a(acc, a, b):  # type: ignore[no-untyped-def]
    for f in range(acc.size):  # acc += conj(a) * b
        acc[f] += a[f].conjugate() * b[f]


@numba.njit(nogil=True, cache=True)
def _forward(xs, ws, G, out, share, shares):  # type: ignore[no-untyped-def]
    # Y^[n, o] = sum_c Xp^[n, k*Cg + c] * conj(W^[o, c]); xs (N, C, F), ws (O, Cg, F)
    N = xs.shape[0]
    O, Cg = ws.shape[0], ws.shape[1]
    Og = O // G
    lo, hi = span(share, shares, N * O)
    for item in range(lo, hi):
        n, o = item // O, item % O
        k = o // Og
        for c in range(Cg):
            _mac_conj_b(out[n, o], xs[n, k * Cg + c], ws[o, c])


@numba.njit(nogil=True, cache=True)
def _grad_input(dys, ws, G, out, share, shares):  # type: ignore[no-untyped-def]
    # dX^[n, i] = sum_{o in group k} dY'^[n, o] * W^[o, i - k*Cg]; dys (N, O, F)
    N, O = dys.shape[0], dys.shape[1]
    Cg = ws.shape[1]
    Og = O // G
    lo, hi = span(share, shares, N * G * Cg)
    for item in range(lo, hi):
        n, i = item // (G * Cg), item % (G * Cg)
        k, c = i // Cg, i % Cg
        for o in range(k * Og, (k + 1) * Og):
            _mac(out[n, i], dys[n, o], ws[o, c])


@numba.njit(nogil=True, cache=True)
def _grad_weight(dys, xs, G, out, share, shares):  # type: ignore[no-untyped-def]
    # dW^[o, c] = sum_n conj(dY'^[n, o]) * Xp^[n, k*Cg + c]; dys (N, O, F), xs (N, C, F)
    N, O = dys.shape[0], dys.shape[1]
    Cg = xs.shape[1] // G
    Og = O // G
    lo, hi = span(share, shares, O * Cg)
    for item in range(lo, hi):
        o, c = item // Cg, item % Cg
        k = o // Og
        for n in range(N):
            _mac_conj_a(out[o, c], dys[n, o], xs[n, k * Cg + c])


def forward(xs: np.ndarray, ws: np.ndarray, groups: int) -> np.ndarray:
    """Y^ (N, C_out, F) from Xp^ (N, C_in, F) and W^ (C_out, C_in/groups, F)."""
    out = np.zeros((xs.shape[0], ws.shape[0], xs.shape[2]), dtype=xs.dtype)
    parallel.in_parts(_forward, out.shape[0] * out.shape[1], xs, ws, groups, out)
    return out


def grad_input(dys: np.ndarray, ws: np.ndarray, groups: int) -> np.ndarray:
    """dX^ (N, C_in, F) from dY'^ (N, C_out, F) and W^ (C_out, C_in/groups, F)."""
    out = np.zeros((dys.shape[0], groups * ws.shape[1], dys.shape[2]), dtype=dys.dtype)
    parallel.in_parts(_grad_input, out.shape[0] * out.shape[1], dys, ws, groups, out)
    return out


def grad_weight(dys: np.ndarray, xs: np.ndarray, groups: int) -> np.ndarray:
    """dW^ (C_out, C_in/groups, F) from dY'^ (N, C_out, F) and Xp^ (N, C_in, F)."""
    out = np.zeros((dys.shape[1], xs.shape[1] // groups, dys.shape[2]), dtype=dys.dtype)
    parallel.in_parts(_grad_weight, out.shape[0] * out.shape[1], dys, xs, groups, out)
    return out
