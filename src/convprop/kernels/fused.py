"""Element-wise work on the training path, compiled with Numba: one pass over memory each,
where NumPy makes several and allocates a temporary for each.

* relu: y = x where x > 0 (and where x is NaN, which stays NaN), else +0, as np.maximum(x, 0).
* relu_backward: dL/dx = dL/dy where y > 0, else 0: a select, so an infinite or NaN
  dL/dy where y <= 0 gives 0, never inf * 0 = NaN.
* bias_relu (in place) and relu_bias_backward: a convolution's bias add and the ReLU after
  it in one pass, and in the backward the ReLU's select and the bias gradient in one pass
  (nn.Sequential's Conv + ReLU pairs); equal to the separate passes bit for bit, forward
  and dL/dz, and dL/db as bias_grad sums it.
* bias_grad: dL/db[c] = the sum of dL/dY[n, c, ...] over the batch and the positions, in
  float64 (the one sum here: reassociated so that LLVM vectorises it, in an order fixed by
  the compiled code, never by the thread count; more exact than NumPy's float32 sum).
* sgd and adam: PyTorch's update rules (optim/sgd.py and optim/adam.py state them), each
  parameter element read and written once.

Except bias_grad, each result equals, bit for bit, the NumPy expression it replaces (the
optimizers' NumPy code is the fallback and the test's oracle): hyper-parameters are
rounded to the array's dtype first, as NumPy does with a Python float against a float32
array, and every element's arithmetic runs in the same order, without fused
multiply-adds (no fastmath).

Arrays are flat and C-contiguous, and each loop runs on the calling thread: LLVM
vectorises it and one core then streams memory as fast as a copy (ReLU over 4 MiB:
0.09 ms against np.maximum's 0.35 ms and a copy's 0.10 ms); a parallel loop measured
0.5 ms there, its thread pool's start and a busy machine costing more than the work.

Imported only through jit.lazy: importing it imports Numba.
"""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def _relu(x, y):  # type: ignore[no-untyped-def]
    zero = x.dtype.type(0)
    for i in range(x.size):
        v = x[i]
        y[i] = v if v > 0 or v != v else zero


@numba.njit(cache=True)
def _relu_backward(g, y, gx):  # type: ignore[no-untyped-def]
    # dL/dx = dL/dy where y > 0 (exactly where x > 0), else 0
    zero = g.dtype.type(0)
    for i in range(g.size):
        gx[i] = g[i] if y[i] > 0 else zero


def _flat(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).reshape(-1)


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) element-wise, NaN kept (float32/float64 x)."""
    y = np.empty(x.shape, dtype=x.dtype)
    _relu(_flat(x), y.reshape(-1))
    return y


def relu_backward(grad_y: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/dx of y = relu(x): grad_y where y > 0, else 0 (same shape and dtype)."""
    grad_x = np.empty(grad_y.shape, dtype=grad_y.dtype)
    _relu_backward(_flat(grad_y), _flat(y), grad_x.reshape(-1))
    return grad_x


@numba.njit(cache=True, fastmath={"reassoc"})
def _channel_sums(grad_y, out):  # type: ignore[no-untyped-def]
    # dL/db[c] = sum over n and positions of dL/dY[n, c, position]
    batch, channels, positions = grad_y.shape
    for c in range(channels):
        total = 0.0
        for n in range(batch):
            row = grad_y[n, c]
            for j in range(positions):
                total += row[j]
        out[c] = total


def bias_grad(grad_y: np.ndarray) -> np.ndarray:
    """dL/db of a convolution from dL/dY (N, C, *out): per channel, the sum over the batch
    and the positions, in float64 (reassociated: vectorised, in an order fixed by the
    compiled code), rounded once to dL/dY's dtype."""
    n, c = grad_y.shape[:2]
    out = np.empty(c, dtype=grad_y.dtype)
    positions = math.prod(grad_y.shape[2:])  # not -1: an empty batch has 0 of them
    _channel_sums(np.ascontiguousarray(grad_y).reshape(n, c, positions), out)
    return out


@numba.njit(cache=True)
def _bias_relu(y, bias):  # type: ignore[no-untyped-def]
    # y[n, c] = relu(y[n, c] + b[c]): the add rounded first, as y += b then relu
    zero = y.dtype.type(0)
    batch, channels, positions = y.shape
    for n in range(batch):
        for c in range(channels):
            row, b = y[n, c], bias[c]
            for j in range(positions):
                v = row[j] + b
                row[j] = v if v > 0 or v != v else zero


@numba.njit(cache=True, fastmath={"reassoc"})
def _relu_bias_backward(g, y, gz, gb):  # type: ignore[no-untyped-def]
    # dL/dz = dL/dy where y > 0, else 0;  dL/db[c] = the sum of dL/dz[n, c, position]
    zero = g.dtype.type(0)
    batch, channels, positions = g.shape
    for c in range(channels):
        total = 0.0
        for n in range(batch):
            grow, yrow, zrow = g[n, c], y[n, c], gz[n, c]
            for j in range(positions):
                v = grow[j] if yrow[j] > 0 else zero
                zrow[j] = v
                total += v
        gb[c] = total


def _planes(a: np.ndarray) -> np.ndarray:
    """(N, C, *spatial) as a contiguous (N, C, positions) array (a view where it can be)."""
    n, c = a.shape[:2]
    return np.ascontiguousarray(a).reshape(n, c, math.prod(a.shape[2:]))


def bias_relu(y: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """relu(y + bias) per channel over y (N, C, *spatial): in place where y is C-contiguous
    (else in a contiguous copy); the result returned."""
    y = np.ascontiguousarray(y)
    _bias_relu(_planes(y), np.ascontiguousarray(bias))
    return y


def relu_bias_backward(grad_y: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dz, dL/db) for y = relu(z), z = conv + bias: dL/dy where y > 0 (else 0), and its
    per-channel sum over the batch and the positions in float64, rounded once."""
    grad_z = np.empty(grad_y.shape, dtype=grad_y.dtype)
    grad_b = np.empty(grad_y.shape[1], dtype=grad_y.dtype)
    _relu_bias_backward(_planes(grad_y), _planes(y), _planes(grad_z), grad_b)
    return grad_z, grad_b


@numba.njit(cache=True)
def _sgd(p, g, buf, lr, momentum, keep, weight_decay, nesterov, first):  # type: ignore[no-untyped-def]
    # g' = g + wd p;  buf = g' (first step) or momentum buf + (1 - dampening) g'
    # p -= lr (g' + momentum buf) with Nesterov, else lr buf; without momentum p -= lr g'
    t = p.dtype.type
    lr, mom, keep, wd = t(lr), t(momentum), t(keep), t(weight_decay)
    for i in range(p.size):
        d = g[i] + wd * p[i] if weight_decay else g[i]
        if momentum:
            b = d if first else buf[i] * mom + keep * d
            buf[i] = b
            d = d + mom * b if nesterov else b
        p[i] -= lr * d


@numba.njit(cache=True)
def _adam(  # type: ignore[no-untyped-def]
    p, g, m, v, shrink, weight_decay, decoupled, keep1, b2, keep2, step_size, correction2, eps
):
    # m += (1 - b1)(g - m);  v = b2 v + (1 - b2) g^2
    # p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    t = p.dtype.type
    shrink, wd, keep1, b2, keep2 = t(shrink), t(weight_decay), t(keep1), t(b2), t(keep2)
    step_size, correction2, eps = t(step_size), t(correction2), t(eps)
    for i in range(p.size):
        if weight_decay and decoupled:
            p[i] *= shrink
        d = g[i] + wd * p[i] if weight_decay and not decoupled else g[i]
        m[i] += keep1 * (d - m[i])
        v[i] = v[i] * b2 + keep2 * d * d
        p[i] -= step_size * m[i] / (np.sqrt(v[i]) / correction2 + eps)


def sgd(
    p: np.ndarray,
    grad: np.ndarray,
    buf: np.ndarray,
    lr: float,
    momentum: float,
    dampening: float,
    weight_decay: float,
    nesterov: bool,
    first: bool,
) -> None:
    """One SGD step on flat, contiguous arrays of one dtype: p and buf (momentum) in place."""
    hyper = (float(lr), float(momentum), float(1 - dampening), float(weight_decay))
    _sgd(p, grad, buf, *hyper, bool(nesterov), bool(first))


def adam(
    p: np.ndarray,
    grad: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    lr: float,
    betas: tuple[float, float],
    eps: float,
    weight_decay: float,
    decoupled: bool,
    step: int,
) -> None:
    """One Adam step (AdamW's where decoupled) on flat, contiguous arrays of one dtype: p, m
    and v in place. The scalars are Python's, as in optim/adam.py's NumPy expression."""
    b1, b2 = betas
    scalars = (1 - b1, b2, 1 - b2, lr / (1 - b1**step), math.sqrt(1 - b2**step), eps)
    decay = (1 - lr * weight_decay, float(weight_decay), bool(decoupled))
    _adam(p, grad, m, v, *decay, *(float(s) for s in scalars))
