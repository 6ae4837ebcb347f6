"""The course's convolution sums as loops: the specification every fast algorithm is
tested against (pooling's loops: pool/reference.py).

Slow on purpose and written to be read beside the course. Loops run over output
pixels (i, j) and filter taps (a, b) (any number of spatial dimensions: i and a are
then multi-indices); the sum over channels (and the batch) at one (i, a) is a small
matrix product, which is the same sum written once.

Library convention (PyTorch's, "cross-correlation"), with padding P, stride S, dilation D:

    Y[n, o, i, j] = sum_{c, a, b} Xp[n, c, i*S + a*D, j*S + b*D] * W[o, c, a, b]

The single-channel functions at the end use the course's own symbols and its true
convolution (filter anchored at a corner), with scalar loops and nothing else.
"""

from __future__ import annotations

import numpy as np

from ...shapes import ConvGeometry
from ..layout import ALL, at, crop_spatial, pad_spatial


def _group_slices(g: ConvGeometry) -> list[tuple[slice, slice]]:
    """(input-channel slice, output-channel slice) of each group."""
    cg, og = g.in_channels // g.groups, g.out_channels // g.groups
    return [(slice(k * cg, (k + 1) * cg), slice(k * og, (k + 1) * og)) for k in range(g.groups)]


def _at(i: tuple[int, ...], a: tuple[int, ...], g: ConvGeometry) -> tuple[int, ...]:
    """The padded-input position output i reads with filter tap a: i*S + a*D per axis."""
    return tuple(ii * s + aa * d for ii, aa, s, d in zip(i, a, g.stride, g.dilation, strict=True))


def conv_forward(x: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Y[n,o,i] = sum_{c,a} Xp[n, c, i*S + a*D] * W[o, c, a], i and a running over all
    spatial positions and taps: (i, j) and (a, b) in 2-D."""
    xp = pad_spatial(x, g.pad)
    y = np.zeros(g.y_shape, dtype=x.dtype)
    for cs, os in _group_slices(g):
        for i in np.ndindex(*g.out_size):
            for a in np.ndindex(*g.kernel):
                y[at(ALL, os, i)] += xp[at(ALL, cs, _at(i, a, g))] @ weight[at(os, ALL, a)].T
    return y


def conv_grad_weight(grad_y: np.ndarray, x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dW[o,c,a] = sum_{n,i} dL/dY[n,o,i] * Xp[n, c, i*S + a*D]
    xp = pad_spatial(x, g.pad)
    gw = np.zeros(g.w_shape, dtype=x.dtype)
    for cs, os in _group_slices(g):
        for a in np.ndindex(*g.kernel):
            for i in np.ndindex(*g.out_size):
                gw[at(os, ALL, a)] += grad_y[at(ALL, os, i)].T @ xp[at(ALL, cs, _at(i, a, g))]
    return gw


def conv_grad_input(grad_y: np.ndarray, weight: np.ndarray, g: ConvGeometry) -> np.ndarray:
    # dL/dXp[n, c, i*S + a*D] += sum_o dL/dY[n,o,i] * W[o,c,a]   (chain rule);
    # gathered per input pixel this is dL/dY fully convolved with the flipped W.
    gxp = np.zeros((g.batch, g.in_channels, *g.padded_size), dtype=grad_y.dtype)
    for cs, os in _group_slices(g):
        for i in np.ndindex(*g.out_size):
            for a in np.ndindex(*g.kernel):
                gxp[at(ALL, cs, _at(i, a, g))] += grad_y[at(ALL, os, i)] @ weight[at(os, ALL, a)]
    return np.ascontiguousarray(crop_spatial(gxp, g.pad))


def course_convolve(X: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Y[i, j] = sum_{a<K1} sum_{b<K2} X[i-a, j-b] * W[a, b]  for K1-1 <= i < H, K2-1 <= j < W.

    Returned with Y's first row at i = K1-1 (the "valid" part, M1 x M2 = (H-K1+1) x (W-K2+1)).
    """
    K1, K2 = W.shape
    M1, M2 = X.shape[0] - K1 + 1, X.shape[1] - K2 + 1
    Y = np.zeros((M1, M2), dtype=X.dtype)
    for i in range(K1 - 1, K1 - 1 + M1):
        for j in range(K2 - 1, K2 - 1 + M2):
            for a in range(K1):
                for b in range(K2):
                    Y[i - K1 + 1, j - K2 + 1] += X[i - a, j - b] * W[a, b]
    return Y


def course_grad_weight(X: np.ndarray, dY: np.ndarray, K1: int, K2: int) -> np.ndarray:
    # dL/dW[a', b'] = sum_{i<M1} sum_{j<M2} dL/dY[i, j] * X[i - a', j - b']
    # (a convolution of X with dL/dY)
    M1, M2 = dY.shape
    dW = np.zeros((K1, K2), dtype=X.dtype)
    for a in range(K1):
        for b in range(K2):
            for i in range(M1):
                for j in range(M2):
                    # dY is stored from the course's i = K1-1; shift back to X's indices
                    dW[a, b] += dY[i, j] * X[i + K1 - 1 - a, j + K2 - 1 - b]
    return dW


def course_grad_input(dY: np.ndarray, W: np.ndarray, H: int, Wd: int) -> np.ndarray:
    # dL/dX[i', j'] = sum_{a<K1} sum_{b<K2} dL/dY[i' + a, j' + b] * W[a, b]
    # (dL/dY zero outside its range: dL/dY fully convolved with the 180-degree-flipped W)
    K1, K2 = W.shape
    M1, M2 = dY.shape
    dX = np.zeros((H, Wd), dtype=dY.dtype)
    for ip in range(H):
        for jp in range(Wd):
            for a in range(K1):
                for b in range(K2):
                    i, j = ip + a - (K1 - 1), jp + b - (K2 - 1)  # course index -> storage index
                    if 0 <= i < M1 and 0 <= j < M2:
                        dX[ip, jp] += dY[i, j] * W[a, b]
    return dX
