"""Numerical gradient checks in float64 with central differences.

A function under check returns its output and its vector-Jacobian product:

    def fn(*inputs) -> tuple[y, vjp]      where vjp(grad_y) -> one gradient per input (or None)

or, when the inputs are Tensors, any function of Tensors returning a Tensor: its
gradients then come from autograd (inputs with requires_grad=True are checked).

Small inputs get the full Jacobian, column by column from central differences
(f(x + eps e_k) - f(x - eps e_k)) / 2 eps, row by row from the vjp of each unit output.
Large inputs get the dot-product test <v, J u> = <J^T v, u> for random u and v.

Kinks. Where a step of eps changes a max-pool winner (a near-tie) or carries a ReLU's
input across zero, f is not differentiable between x - eps and x + eps and the central
difference is no gradient at all (CS231n's notes describe the trap). Such a step shows
itself: the one-sided slopes (f(x+eps) - f(x))/eps and (f(x) - f(x-eps))/eps disagree
by a jump, where at a smooth point they agree to O(eps). Those input elements are
reported as kinks and not compared with the central difference; instead the analytic
gradient there must lie between the two one-sided slopes (where every gradient a library
may choose at a kink lies), so a wrong gradient cannot hide at a kink. Every other
element must match the central difference.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .result import (
    GradcheckError,
    GradcheckKinkWarning,
    GradcheckResult,
    InputReport,
)

__all__ = [
    "CheckedFn",
    "GradcheckError",
    "GradcheckKinkWarning",
    "GradcheckResult",
    "InputReport",
    "check_gradients",
    "gradcheck",
]

Vjp = Callable[[np.ndarray], Sequence[np.ndarray | None]]
CheckedFn = Callable[..., tuple[np.ndarray, Vjp]]


def _rel(num: np.ndarray, ana: np.ndarray, atol: float) -> float:
    """Largest |num - ana| / max(|num|, |ana|) over entries bigger than atol."""
    scale = np.maximum(np.abs(num), np.abs(ana))
    big = scale > atol
    return float(np.max(np.abs(num - ana)[big] / scale[big])) if big.any() else 0.0


def _central(plus: np.ndarray | float, minus: np.ndarray | float, eps: float) -> Any:
    """(f(x + eps u) - f(x - eps u)) / 2 eps, from the two steps' values: the slope along u,
    exact to O(eps^2) where f is smooth."""
    return (plus - minus) / (2 * eps)


def central_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, index: tuple[int, ...], eps: float = 1e-6
) -> float:
    """The central difference of the scalar f at x along one element, x[index]."""
    step = np.zeros_like(x)
    step[index] = eps
    return float(_central(f(x + step), f(x - step), eps))


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """df/dx by central differences, element by element (x float64)."""
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        out[index] = central_difference(f, x, index, eps)
    return out


def _steps(
    fn: CheckedFn, inputs: list[np.ndarray], k: int, du: np.ndarray, eps: float
) -> tuple[np.ndarray, np.ndarray]:
    """f(x + eps du) and f(x - eps du), x being input k, as float64 arrays."""
    plus = [a.copy() if i == k else a for i, a in enumerate(inputs)]
    minus = [a.copy() if i == k else a for i, a in enumerate(inputs)]
    plus[k] += eps * du
    minus[k] -= eps * du
    return (
        np.asarray(fn(*plus)[0], dtype=np.float64),
        np.asarray(fn(*minus)[0], dtype=np.float64),
    )


def _between_slopes(
    ana: np.ndarray, left: np.ndarray, right: np.ndarray, atol: float, rtol: float
) -> np.ndarray:
    """At a kink the derivative is not defined, but any gradient a library may choose
    there (a max-pool winner, ReLU'(0) = 0) lies between the one-sided slopes: a value
    outside them is wrong, kink or not."""
    lo, hi = np.minimum(left, right), np.maximum(left, right)
    tol = atol + rtol * np.maximum(np.abs(lo), np.abs(hi))
    return (ana >= lo - tol) & (ana <= hi + tol)


def _kinked(y: np.ndarray, plus: np.ndarray, minus: np.ndarray, eps: float, tol: float) -> bool:
    """Whether the one-sided slopes jump: the step crossed a point where f bends sharply."""
    jump = np.abs((plus - y) - (y - minus)) / eps
    return bool(np.max(jump, initial=0.0) > tol)


def _jacobian_report(
    fn: CheckedFn,
    inputs: list[np.ndarray],
    k: int,
    vjp: Vjp,
    y: np.ndarray,
    eps: float,
    atol: float,
    rtol: float,
    kink_tol: float,
) -> InputReport:
    x = inputs[k]
    y64 = np.asarray(y, dtype=np.float64)
    num = np.empty((y.size, x.size))
    left, right = np.empty_like(num), np.empty_like(num)  # the one-sided slopes
    smooth = np.ones(x.size, dtype=bool)
    for col in range(x.size):
        e = np.zeros(x.size)
        e[col] = 1.0
        plus, minus = _steps(fn, inputs, k, e.reshape(x.shape), eps)
        num[:, col] = _central(plus, minus, eps).ravel()
        left[:, col], right[:, col] = ((y64 - minus) / eps).ravel(), ((plus - y64) / eps).ravel()
        smooth[col] = not _kinked(y64, plus, minus, eps, kink_tol)
    ana = np.zeros_like(num)
    for row in range(y.size):
        e = np.zeros(y.size, dtype=y.dtype)
        e[row] = 1.0
        g = vjp(e.reshape(y.shape))[k]
        if g is not None:
            ana[row] = np.asarray(g).ravel()
    kinks = tuple(
        f"input{tuple(map(int, np.unravel_index(c, x.shape)))}" for c in np.flatnonzero(~smooth)
    )
    err = np.abs(num - ana) * smooth  # kinked columns: checked between the slopes instead
    inside = np.ones_like(num, dtype=bool)
    inside[:, ~smooth] = _between_slopes(
        ana[:, ~smooth], left[:, ~smooth], right[:, ~smooth], atol, rtol
    )
    where = "d output{} / d input{}"
    if not inside.all():
        worst = np.unravel_index(int(np.argmin(inside)), err.shape)
        slopes: tuple[float, float] | None = (float(left[worst]), float(right[worst]))
        value = float(ana[worst])
    else:
        worst = np.unravel_index(int(np.argmax(err - rtol * np.abs(num) * smooth)), err.shape)
        slopes, value = None, float(ana[worst])
        joint = _joint_kinks(fn, inputs, k, y64, ana, ~smooth, eps, atol, rtol)
        if joint is not None:  # each element within its slopes, but not together
            row, slopes, value, where = joint
            worst = np.unravel_index(row * x.size + int(np.flatnonzero(~smooth)[0]), err.shape)
    out_at = np.unravel_index(int(worst[0]), y.shape)
    in_at = np.unravel_index(int(worst[1]), x.shape)
    return InputReport(
        k,
        "jacobian",
        float(err.max(initial=0.0)),
        _rel(num[:, smooth], ana[:, smooth], atol),
        where.format(tuple(map(int, out_at)), tuple(map(int, in_at))),
        float(num[worst]),
        value,
        bool(np.all(err <= atol + rtol * np.abs(num))) and slopes is None,
        kinks,
        slopes,
    )


def _joint_kinks(
    fn: CheckedFn,
    inputs: list[np.ndarray],
    k: int,
    y64: np.ndarray,
    ana: np.ndarray,
    kinked: np.ndarray,
    eps: float,
    atol: float,
    rtol: float,
) -> tuple[int, tuple[float, float], float, str] | None:
    """Kinked elements move together too: a tied window's gradients must add up to the
    slope of moving all of them at once (4x the gradient on each of 4 tied cells, or none
    on any, lies within each cell's slopes but not within the window's). Checked along
    the all-ones direction over the kinked elements and one random direction over them."""
    if not kinked.any():
        return None
    rng = np.random.default_rng(0)
    for label, weights in (("all kinks at once", 1.0), ("a random mix of the kinks", None)):
        u = np.zeros(kinked.size)
        u[kinked] = weights if weights is not None else rng.standard_normal(int(kinked.sum()))
        plus, minus = _steps(fn, inputs, k, u.reshape(inputs[k].shape), eps)
        lo, hi = ((y64 - minus) / eps).ravel(), ((plus - y64) / eps).ravel()
        along = ana @ u
        ok = _between_slopes(along, lo, hi, atol, rtol)
        if not ok.all():
            row = int(np.argmin(ok))
            where = "d output{} / d input{}... along " + label
            return row, (float(lo[row]), float(hi[row])), float(along[row]), where
    return None


def _dot_report(
    fn: CheckedFn,
    inputs: list[np.ndarray],
    k: int,
    v: np.ndarray,
    jtv: np.ndarray | None,
    y: np.ndarray,
    eps: float,
    atol: float,
    rtol: float,
    kink_tol: float,
    rng: np.random.Generator,
) -> InputReport:
    # a random direction may cross a kink somewhere: then try a new direction (and a
    # smaller step), a few times; a direction that keeps crossing one is reported
    y64 = np.asarray(y, dtype=np.float64)
    tries = 0
    while True:
        tries += 1
        u = rng.standard_normal(inputs[k].shape)
        plus, minus = _steps(fn, inputs, k, u, eps)
        kinked = _kinked(y64, plus, minus, eps, kink_tol)
        if not kinked or tries == 4:
            break
        eps /= 10
    num = float(np.sum(v * (plus - minus) / (2 * eps)))
    ana = 0.0 if jtv is None else float(np.sum(np.asarray(jtv) * u))
    err = abs(num - ana)
    slopes = _dot_slopes(v, y64, plus, minus, eps)
    inside = _dot_inside(ana, slopes, atol, rtol)
    where, shown = "<v, J u> vs <J^T v, u>", ana
    if kinked and inside and jtv is not None:
        # a random direction's slopes leave a wide range; moving every element at once
        # keeps the kinks' elements together (a tie's gradients must add up)
        plus, minus = _steps(fn, inputs, k, np.ones(inputs[k].shape), eps)
        slopes, together = _dot_slopes(v, y64, plus, minus, eps), float(np.sum(jtv))
        inside = _dot_inside(together, slopes, atol, rtol)
        if not inside:
            where, shown = "<v, J 1> vs <J^T v, 1>, every element moved at once", together
    return InputReport(
        k,
        "dot-product",
        err,
        _rel(np.array([num]), np.array([ana]), atol),
        where,
        num,
        shown,
        inside if kinked else err <= atol + rtol * abs(num),
        (f"every one of {tries} random directions",) if kinked else (),
        slopes if kinked and not inside else None,
    )


def _dot_slopes(
    v: np.ndarray, y: np.ndarray, plus: np.ndarray, minus: np.ndarray, eps: float
) -> tuple[float, float]:
    """The one-sided slopes of <v, f> along the step: left and right."""
    return float(np.sum(v * (y - minus)) / eps), float(np.sum(v * (plus - y)) / eps)


def _dot_inside(ana: float, slopes: tuple[float, float], atol: float, rtol: float) -> bool:
    lo, hi = np.array(slopes[0]), np.array(slopes[1])
    return bool(_between_slopes(np.array(ana), lo, hi, atol, rtol))


def _from_autograd(
    fn: Callable[..., Any], tensors: Sequence[Any]
) -> tuple[CheckedFn, list[np.ndarray]]:
    """Wrap a function of Tensors as fn(*arrays) -> (y, vjp), vjp by Tensor.backward."""
    from ..autograd import Tensor

    flags = [isinstance(t, Tensor) and t.requires_grad for t in tensors]

    def checked(*arrays: np.ndarray) -> tuple[np.ndarray, Vjp]:
        leaves = [Tensor(a, requires_grad=f) for a, f in zip(arrays, flags, strict=True)]
        out = fn(*leaves)

        def vjp(grad_y: np.ndarray) -> list[np.ndarray | None]:
            for leaf in leaves:
                leaf.grad = None
            out.backward(grad_y)
            grads = [None if leaf.grad is None else leaf.grad.array for leaf in leaves]
            return [
                (np.zeros_like(leaf.array) if g is None else g) if f else None
                for leaf, g, f in zip(leaves, grads, flags, strict=True)
            ]

        return out.array, vjp

    arrays = [np.asarray(t.array if isinstance(t, Tensor) else t) for t in tensors]
    return checked, arrays


def check_gradients(
    fn: CheckedFn,
    inputs: Sequence[np.ndarray],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    full_jacobian_max: int = 200,
    seed: int = 0,
    kink_tol: float = 1e-3,
) -> list[InputReport]:
    """One report per differentiable input (those the vjp returns a gradient for).

    When the input and the output both have at most `full_jacobian_max` elements the
    full Jacobian is compared; otherwise the dot-product test. Elements whose step makes
    the one-sided slopes jump by more than kink_tol are kinks, reported, not compared.
    """
    from ..autograd import Tensor

    if any(isinstance(a, Tensor) for a in inputs):
        fn, arrays = _from_autograd(fn, inputs)
    else:
        arrays = [np.asarray(a) for a in inputs]
    for i, a in enumerate(arrays):
        if a.dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {a.dtype}; gradient checks need float64")
    y, vjp = fn(*arrays)
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(np.shape(y))
    jtv = list(vjp(v))
    if len(jtv) != len(arrays):
        raise ValueError(f"gradcheck: vjp returned {len(jtv)} gradients for {len(arrays)} inputs")
    reports = []
    for k, a in enumerate(arrays):
        grad = jtv[k]
        if grad is None:
            continue
        if np.shape(grad) != a.shape:
            raise ValueError(
                f"gradcheck: gradient {k} has shape {np.shape(grad)}, its input {a.shape}"
            )
        if a.size <= full_jacobian_max and np.size(y) <= full_jacobian_max:
            reports.append(
                _jacobian_report(fn, arrays, k, vjp, np.asarray(y), eps, atol, rtol, kink_tol)
            )
        else:
            reports.append(
                _dot_report(fn, arrays, k, v, grad, np.asarray(y), eps, atol, rtol, kink_tol, rng)
            )
    return reports


def gradcheck(
    fn: CheckedFn,
    inputs: Sequence[np.ndarray],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckResult:
    """Whether every analytic gradient of fn matches central differences in float64.

    The result is true or false like a bool (`assert gradcheck(fn, inputs)`), and lists
    the kinks (`.kinks`, and its str() says them): there the analytic gradient must lie
    between the one-sided slopes. Kinks also raise a GradcheckKinkWarning. On failure raises
    GradcheckError naming the input, the worst element and both values (or returns a
    false result with raise_exception=False).
    """
    result = GradcheckResult(tuple(check_gradients(fn, inputs, eps=eps, atol=atol, rtol=rtol)))
    if not result.passed and raise_exception:
        raise GradcheckError(str(result))
    if result.kinks:
        warnings.warn(result.kink_summary(), GradcheckKinkWarning, stacklevel=2)
    return result
