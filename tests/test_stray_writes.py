"""No stray writes: the heap corruption of the unpool fuzz draw (issue 14) was PyTorch's,
and our kernels neither write outside their outputs nor take the indices PyTorch
mishandles.

The abort ("malloc(): unaligned tcache chunk", "corrupted size vs. prev_size") came from
torch's max_pool*_with_indices_backward on a window lying entirely in the padding:
torch's forward gives it an index outside the input plane and its backward adds there,
past the end of the gradient buffer (the full account: test_fuzz.torch_max_pool). These
tests pin the three parts of the answer: the fuzz harness never hands torch's backward
such indices (run in a fresh process, as the corruption aborts the process, not a test);
our kernels refuse the window and such indices; and our kernels, run on inputs embedded
in larger sentinel-filled buffers, leave every byte around and under those inputs as it
was and return fresh outputs, not views of the inputs or of the reused workspace.
"""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from convprop import Tensor
from convprop import kernels as K
from convprop.nn import functional as F

from .fuzzing import Unsafe
from .test_fuzz import torch_max_pool

# the bisected example: torch's max_pool3d gives these windows index 9 in planes of 4 cells
SHAPE, KERNEL, STRIDE, PADDING, DILATION = (2, 2, 1, 1, 4), 2, 2, 1, 2
SENTINEL = -7.25e300  # the guard cells' value (the whole buffer is compared with a copy)

REPLAY = """
import numpy as np
from tests.test_fuzz import test_pooling_matches_pytorch_or_refuses_clearly as test
case = dict(
    dims=3, x=np.random.default_rng(0).standard_normal((2, 2, 1, 1, 4)), kernel=2, stride=2,
    padding=1, dilation=2, ceil=False, include=False, kind=KIND, delta=None, full=True,
    functional=FUNCTIONAL, seed=4539065,
)
for _ in range(20):  # repeated, so that a stray write meets the allocator
    test.hypothesis.inner_test(case)
print("survived")
"""


@pytest.mark.parametrize("kind", ["max", "unpool"])
@pytest.mark.parametrize("functional", [False, True])
def test_the_fuzz_harness_survives_the_example_that_aborted_it(kind: str, functional: bool) -> None:
    # before torch_max_pool's check, kind "max" ran torch's backward here and the process
    # aborted (SIGABRT, "double free or corruption (out)") on every run; kind "unpool" did
    # not, as torch's max_unpool refuses index 9 first, but its backward would reach the
    # same max_pool backward for any unpool size that holds the stray index
    code = REPLAY.replace("KIND", repr(kind)).replace("FUNCTIONAL", repr(functional))
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and "survived" in done.stdout, done.stderr[-2000:]


def test_torch_max_pool_stops_before_the_backward() -> None:
    x = torch.zeros(SHAPE, dtype=torch.float64, requires_grad=True)
    with pytest.raises(Unsafe, match=r"outside \[0, 4\)"):
        torch_max_pool("max_pool3d", x, KERNEL, STRIDE, PADDING, DILATION, False)
    assert x.grad is None


def test_a_valid_pooling_passes_torch_max_pool_unchanged() -> None:
    x = torch.arange(16.0, dtype=torch.float64).reshape(1, 1, 4, 4)
    y, idx = torch_max_pool("max_pool2d", x, 2, 2, 0, 1, False)
    assert idx.flatten().tolist() == [5, 7, 13, 15] and y.flatten().tolist() == [5, 7, 13, 15]


@pytest.mark.parametrize("size", [(1,), (1, 4), (1, 1, 4)])
def test_our_max_pooling_refuses_a_window_entirely_in_the_padding(size: tuple[int, ...]) -> None:
    # torch's indices for these (1-D: 1 in a plane of 1; 2-D: 5 of 4; 3-D: 9 of 4) lie outside
    dims, x = len(size), np.zeros((2, 2, *size))
    with pytest.raises(ValueError, match="falls entirely in the padding"):
        getattr(K, f"max_pool{dims}d")(x, KERNEL, STRIDE, PADDING, DILATION)
    with pytest.raises(ValueError, match="falls entirely in the padding"):
        pool = getattr(F, f"max_pool{dims}d")
        pool(Tensor(x, requires_grad=True), KERNEL, STRIDE, PADDING, DILATION, return_indices=True)


TORCH_INDICES = np.full((2, 2, 1, 1, 2), 9, dtype=np.int64)  # what torch's max_pool3d gave


@pytest.mark.parametrize(
    "call",
    [
        lambda i: K.max_pool_backward(np.ones(i.shape), i, SHAPE),
        lambda i: K.max_pool3d_backward(np.ones(i.shape), i, SHAPE),
        lambda i: K.max_unpool(np.ones(i.shape), i, SHAPE[2:]),
        lambda i: K.max_unpool_backward(np.ones(SHAPE), i),
        lambda i: K.adaptive_max_pool_backward(np.ones(i.shape), i, SHAPE),
    ],
    ids=[
        "max_pool_backward",
        "max_pool3d_backward",
        "max_unpool",
        "max_unpool_backward",
        "adaptive_max_pool_backward",
    ],
)
@pytest.mark.parametrize("bad", [9, 4, -1])
def test_our_kernels_refuse_indices_outside_the_plane(
    call: Callable[[np.ndarray], Any], bad: int
) -> None:
    indices = np.zeros_like(TORCH_INDICES)
    indices[-1, -1, ..., -1] = bad  # one stray index, in the last plane: the one past the end
    with pytest.raises(ValueError, match=r"indices must lie in \[0"):
        call(indices)


# -- guard buffers: every input a view inside a larger sentinel-filled buffer -----------------


def _guarded(values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(buffer, view): a sentinel-filled buffer with 3 cells of margin around every axis
    and, in its middle, a view holding `values`; strided (every other cell along the last
    axis) or contiguous at random."""
    shape, step = values.shape, int(rng.integers(1, 3))
    outer = (*(n + 6 for n in shape[:-1]), shape[-1] * step + 6)
    kind = values.dtype.kind
    big = np.full(outer, SENTINEL if kind == "f" else np.iinfo(values.dtype).max, values.dtype)
    middle = (*(slice(3, 3 + n) for n in shape[:-1]), slice(3, 3 + shape[-1] * step, step))
    view = big[middle]
    view[...] = values
    return big, view


def _check_untouched(
    buffers: list[tuple[np.ndarray, np.ndarray]], outputs: list[Any], what: str
) -> None:
    for big, before in buffers:
        np.testing.assert_array_equal(big, before, err_msg=f"{what} wrote into its input")
    for out in outputs:
        assert type(out) is np.ndarray, what
        for big, _ in buffers:
            assert not np.shares_memory(out, big), f"{what} returned a view of an input"


def _pool_cases(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    while len(cases) < count:
        dims = int(rng.integers(1, 4))
        k = int(rng.integers(1, 4))
        d = int(rng.integers(1, 3))
        p = int(rng.integers(0, k // 2 + 1))
        size = tuple(int(rng.integers(max(1, d * (k - 1) + 1 - 2 * p), 7)) for _ in range(dims))
        shape = (int(rng.integers(1, 3)), 2, *size)
        s, ceil = int(rng.integers(1, 4)), bool(rng.integers(0, 2))
        case = dict(dims=dims, shape=shape, k=k, s=s, p=p, d=d, ceil=ceil)
        try:
            K.max_pool(np.zeros(shape), k, s, p, d, ceil)
        except ValueError:
            continue  # a window entirely in the padding: refused, as tested above
        cases.append(case)
    return cases


def test_max_pooling_kernels_write_only_their_outputs() -> None:
    rng = np.random.default_rng(14)
    for c in _pool_cases(rng, 150):
        shape, k, s, p, d, ceil = c["shape"], c["k"], c["s"], c["p"], c["d"], c["ceil"]
        xb, x = _guarded(rng.standard_normal(shape), rng)
        y, idx = K.max_pool(x, k, s, p, d, ceil)
        gb, grad_y = _guarded(rng.standard_normal(y.shape), rng)
        ib, indices = _guarded(idx, rng)
        default = tuple(
            max(n, (o - 1) * s - 2 * p + k) for n, o in zip(shape[2:], y.shape[2:], strict=True)
        )
        ub, up_grad = _guarded(rng.standard_normal((*shape[:2], *default)), rng)
        buffers = [(b, b.copy()) for b in (xb, gb, ib, ub)]
        outputs = [
            K.max_pool(x, k, s, p, d, ceil)[0],
            K.max_pool_grad(x, grad_y, k, s, p, d, ceil),
            K.max_pool_grad(x, grad_y, k, s, p, d, ceil, ties="split"),
            K.max_pool_backward(grad_y, indices, shape),
            K.max_pool_backward(grad_y, indices, shape, kernel_size=k, stride=s, dilation=d),
            K.max_unpool(grad_y, indices, default),
            K.max_unpool_backward(up_grad, indices),
            K.adaptive_max_pool_backward(grad_y, indices, shape),
        ]
        y2, sw = K.max_pool_switches(x, k, s, p, d, ceil)
        sb, switches = _guarded(sw, rng)
        buffers.append((sb, sb.copy()))
        outputs += [
            y2,
            K.max_pool_indices(switches, shape, k, s, p, d, ceil),
            K.max_pool_switches_backward(grad_y, switches, shape, k, s, p, d, ceil),
        ]
        _check_untouched(buffers, outputs, f"max pooling {c}")
        # and the unpooled output holds the values at their indices (one where windows
        # share a winner), zeros elsewhere
        planes = outputs[5].reshape(math.prod(shape[:2]), -1)
        values = grad_y.reshape(len(planes), -1)
        for plane, ids, vals in zip(planes, indices.reshape(len(planes), -1), values, strict=True):
            once = np.bincount(ids, minlength=plane.size)[ids] == 1
            np.testing.assert_array_equal(plane[ids[once]], vals[once])
            assert not np.delete(plane, ids).any()


def test_adaptive_and_average_pooling_and_conv_write_only_their_outputs() -> None:
    rng = np.random.default_rng(15)
    for _ in range(60):
        dims = int(rng.integers(1, 4))
        shape = (int(rng.integers(1, 3)), 2, *(int(rng.integers(2, 7)) for _ in range(dims)))
        xb, x = _guarded(rng.standard_normal(shape), rng)
        wb, w = _guarded(rng.standard_normal((3, 2, *(2,) * dims)), rng)
        buffers = [(xb, xb.copy()), (wb, wb.copy())]
        ya, _ = K.adaptive_max_pool(x, 3)
        yv = K.adaptive_avg_pool(x, 3)
        conv = getattr(K, f"conv{dims}d")
        first = conv(x, w, None, padding=1)
        kept = first.copy()
        second = conv(x, w, None, padding=1, algorithm="im2col")
        grads = getattr(K, f"conv{dims}d_backward")(np.ones(first.shape), x, w, padding=1)
        outputs = [ya, yv, first, second, *grads]
        _check_untouched(buffers, outputs, f"pooling/conv {shape}")
        # the reused workspace is never handed out: a later call leaves earlier results be
        conv(rng.standard_normal(shape), w, None, padding=1)
        np.testing.assert_array_equal(first, kept)
        for a, b in [(first, second), (first, grads[0])]:
            assert not np.shares_memory(a, b)
