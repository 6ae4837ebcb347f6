"""What tests/test_fuzz.py's families share: the hypothesis budget, the comparison with
PyTorch (values, NaN/Inf positions, gradients, or a clear error), the tolerated
differences, and the hostile draws."""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from convprop import Tensor

EXAMPLES = int(os.environ.get("CONVPROP_FUZZ_EXAMPLES", "500"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
NARROWER = (  # we refuse, PyTorch accepts: matched in our message
    "padding must be non-negative",
    "padding must be >= 0",  # pad: negative widths (PyTorch crops)
    "falls entirely in the padding",
    "must be at most 2**31 - 1",
    "sizes must be non-empty",  # a zero-size spatial axis (PyTorch's adaptive_*_pool1d takes it)
    "norm_type must be positive and finite",  # lp_pool: PyTorch takes inf, NaN, negative p
    "norm_type must be a number, got True",  # lp_pool: PyTorch reads True as p = 1
    "must be an integer, got True",  # a bool for an int (pad widths): PyTorch reads True as 1
)
WIDER = ("smaller than kernel size",)  # we accept, PyTorch refuses: in PyTorch's message
# K.max_unpool alone takes any output_size that holds the indices (F.max_unpool and the
# modules follow PyTorch: within a stride of the default size)
WIDER_KERNEL = (*WIDER, "invalid output_size")


class Refused(Exception):
    """PyTorch refused the call."""


class Unsafe(Exception):
    """PyTorch accepted the call but answered with something its own next step must not be
    given: max pooling's indices outside the input plane, which its backward would write
    through, outside its gradient buffer (see test_fuzz.torch_max_pool). Ours must refuse
    such a call with a NARROWER message."""


def _kind(a: np.ndarray) -> np.ndarray:
    return np.select([np.isnan(a), np.isposinf(a), np.isneginf(a)], [1, 2, 3], 0)


def _same(ours: Any, theirs: torch.Tensor, what: str) -> None:
    ref = theirs.detach().numpy()
    assert isinstance(ours, np.ndarray) and type(ours) is np.ndarray, what
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} vs {ref.shape}"
    np.testing.assert_array_equal(_kind(ours), _kind(ref), err_msg=f"{what}: non-finite")
    finite = np.isfinite(ref)
    scale = max(1.0, float(np.abs(ref[finite]).max(initial=0)))
    np.testing.assert_allclose(
        ours[finite], ref[finite], rtol=1e-7, atol=1e-9 * scale, err_msg=what
    )


def compare(op: str, ours: Any, theirs: Any, wider: tuple[str, ...] = WIDER) -> None:
    """Run PyTorch, then ours; hold ours to PyTorch's answer or to a clear error naming
    one of the '|'-separated names in op (a NARROWER one where PyTorch accepted, Unsafe
    included)."""
    try:
        expected = theirs()
    except Unsafe as e:
        expected = e
    except (RuntimeError, ValueError, TypeError, IndexError, AttributeError) as e:
        expected = Refused(str(e))
    except ZeroDivisionError as e:  # lp_pool's 1.0 / norm_type at p = 0
        expected = Refused(str(e))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "invalid value" notes
        try:
            got = ours()
        except (ValueError, TypeError) as e:
            assert any(o in str(e) for o in op.split("|")), (
                f"{type(e).__name__} not naming {op}: {e}"
            )
            if isinstance(expected, Refused):
                return
            assert any(m in str(e) for m in NARROWER), f"{op} refused what PyTorch accepts: {e}"
            return
    assert not isinstance(expected, Unsafe), f"{op} accepted what PyTorch botches: {expected}"
    if isinstance(expected, Refused):
        assert any(m in str(expected) for m in wider), (
            f"{op} accepted what PyTorch refuses: {expected}"
        )
        return
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        _same(a, b, f"{op} output {i}")


def array(draw: Any, shape: tuple[int, ...], nonfinite: bool = True) -> np.ndarray:
    seed = draw(st.integers(0, 2**32 - 1))
    a = np.random.default_rng(seed).standard_normal(shape)
    if nonfinite and a.size and draw(st.integers(0, 3)) == 0:
        a.flat[draw(st.integers(0, a.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return a


HOSTILE_INTS = st.sampled_from([0, -1, 2**62, 10**30, 1.5, None, "2", True, (1, 2, 3, 4)])


def integer(draw: Any, low: int, high: int, hostile: bool) -> Any:
    if hostile and draw(st.integers(0, 9)) == 0:
        return draw(HOSTILE_INTS)
    return draw(st.integers(low, high))


HOSTILE_ARRAYS = [None, "x", 3.0, [[1.0]], np.ones((2, 2), np.complex64), np.ones((1, 1, 2), int)]


def maybe_hostile(draw: Any, a: np.ndarray) -> Any:
    if draw(st.integers(0, 14)) == 0:
        return draw(st.sampled_from(HOSTILE_ARRAYS))
    return a


def rng(c: dict[str, Any]) -> np.random.Generator:
    """A fresh generator per side, so PyTorch and convprop get the same dL/dY."""
    return np.random.default_rng(c["seed"])


def leaf(a: Any) -> Any:
    """What nn.functional is handed: a float array as a Tensor requiring a gradient, a
    hostile value (None, a string, a list, a complex or integer array) as it is."""
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return Tensor(a, requires_grad=True)
    return a


def t(a: Any, grad: bool = False) -> Any:
    """The same for PyTorch."""
    if isinstance(a, np.ndarray) and a.dtype.kind == "f":
        return torch.tensor(a, requires_grad=grad)
    return torch.as_tensor(a) if isinstance(a, np.ndarray) else a


def gy(c: dict[str, Any], shape: Any) -> np.ndarray:
    """dL/dY for an output of this shape, the same on both sides."""
    return rng(c).standard_normal(tuple(shape))
