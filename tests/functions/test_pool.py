"""functions/pool.py: max (first winner or split ties), average, LP, adaptive average and
max pooling and max unpooling in 1-D to 3-D against PyTorch (forward, indices and
gradient, float64 and float32), through gradcheck, and the course's hand-worked windows."""

import numpy as np
import pytest
import torch

from convprop import gradcheck
from convprop.autograd import Tensor
from convprop.functions import (
    AdaptiveAvgPool,
    AdaptiveMaxPool,
    AvgPool,
    LPPool,
    MaxPool,
    MaxUnpool,
)

from .oracle import compare

TF = torch.nn.functional
SIZES = {1: (11,), 2: (7, 8), 3: (5, 6, 4)}
DTYPES = [np.float64, np.float32]

MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=2, stride=1, dilation=2),
    dict(kernel_size=3, stride=2, ceil_mode=True),
]


def _torch_max(dims):
    return {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}[dims]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("opts", MAX_CASES, ids=[str(c) for c in MAX_CASES])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_pool_values_indices_and_gradient_match_pytorch(dims, opts, dtype):
    x = np.random.default_rng(dims).standard_normal((2, 2, *SIZES[dims])).astype(dtype)
    fns = []

    def ours(t):
        y, fn = MaxPool.apply_with(t, **opts)
        fns.append(fn)
        return y

    compare(ours, lambda t: _torch_max(dims)(t, **opts), [x])
    _, indices = _torch_max(dims)(torch.tensor(x), **opts, return_indices=True)
    np.testing.assert_array_equal(fns[0].indices, indices.numpy())


def test_max_pool_ties_go_to_the_first_maximum_as_pytorch():
    # small integers: overlapping windows full of ties
    x = np.random.default_rng(5).integers(0, 3, (2, 3, 6, 6)).astype(np.float64)
    opts = dict(kernel_size=3, stride=2, padding=1)
    compare(lambda t: MaxPool.apply(t, **opts), lambda t: TF.max_pool2d(t, **opts), [x])


def test_the_course_max_pool_example_routes_each_gradient_to_its_winner():
    # the 2x2 windows (1,1,5,6), (2,4,7,8), (3,2,1,2), (1,0,3,4) give 6, 8, 3, 4
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)
    xs = Tensor(x[None, None], requires_grad=True)
    y = MaxPool.apply(xs, kernel_size=2)
    np.testing.assert_array_equal(y.numpy()[0, 0], [[6, 8], [3, 4]])
    y.backward(np.array([[[[10.0, 20.0], [30.0, 40.0]]]]))
    want = np.zeros((4, 4))
    want[1, 1], want[1, 3], want[2, 0], want[3, 3] = 10, 20, 30, 40
    np.testing.assert_array_equal(xs.grad[0, 0], want)


def test_split_ties_share_the_gradient_evenly_as_torch_amax():
    # non-overlapping 2x2 windows: max pooling is amax over each window
    x = np.random.default_rng(6).integers(0, 2, (2, 2, 4, 6)).astype(np.float64)
    x[0, 0, :2, :2] = 1.0  # one window of four tied maxima: each gets a quarter
    compare(
        lambda t: MaxPool.apply(t, kernel_size=2, ties="split"),
        lambda t: t.reshape(2, 2, 2, 2, 3, 2).amax(dim=(3, 5)),
        [x],
    )
    xs = Tensor(x, requires_grad=True)
    MaxPool.apply(xs, kernel_size=2, ties="split").backward(np.ones((2, 2, 2, 3)))
    np.testing.assert_array_equal(xs.grad[0, 0, :2, :2], np.full((2, 2), 0.25))


def test_an_unknown_tie_rule_is_refused_before_any_work():
    with pytest.raises(ValueError, match=r"max_pool: ties must be 'first' or 'split', got 'last'"):
        MaxPool.apply(np.ones((1, 1, 4, 4)), kernel_size=2, ties="last")


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, divisor_override=3),
]


# torch's avg_pool1d takes no divisor_override
AVG = [(d, c) for d in (1, 2, 3) for c in AVG_CASES if d > 1 or "divisor_override" not in c]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims, opts", AVG, ids=[f"{d}d-{c}" for d, c in AVG])
def test_avg_pool_matches_pytorch(dims, opts, dtype):
    x = np.random.default_rng(dims).standard_normal((2, 3, *SIZES[dims])).astype(dtype)
    theirs = {1: TF.avg_pool1d, 2: TF.avg_pool2d, 3: TF.avg_pool3d}[dims]
    compare(lambda t: AvgPool.apply(t, **opts), lambda t: theirs(t, **opts), [x])


LP_CASES = [
    (2.0, dict(kernel_size=2)),
    (3.0, dict(kernel_size=3, stride=2)),
    (1.5, dict(kernel_size=2, stride=1)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, opts", LP_CASES, ids=[str(c) for c in LP_CASES])
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_lp_pool_matches_pytorch(dims, p, opts, dtype):
    # positive inputs: a fractional power of a negative number is NaN in both
    x = (np.random.default_rng(dims).random((2, 2, *SIZES[dims])) + 0.1).astype(dtype)
    theirs = {1: TF.lp_pool1d, 2: TF.lp_pool2d, 3: TF.lp_pool3d}[dims]
    compare(
        lambda t: LPPool.apply(t, norm_type=p, **opts),
        lambda t: theirs(t, p, **opts),
        [x],
    )


ADAPTIVE_SIZES = {1: (4,), 2: (3, 5), 3: (2, 4, 3)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_adaptive_avg_pool_matches_pytorch_with_overlapping_boxes(dims, dtype):
    x = np.random.default_rng(dims).standard_normal((2, 2, *SIZES[dims])).astype(dtype)
    out = ADAPTIVE_SIZES[dims]
    theirs = {1: TF.adaptive_avg_pool1d, 2: TF.adaptive_avg_pool2d, 3: TF.adaptive_avg_pool3d}
    compare(
        lambda t: AdaptiveAvgPool.apply(t, output_size=out),
        lambda t: theirs[dims](t, out),
        [x],
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_adaptive_max_pool_values_indices_and_gradient_match_pytorch(dims, dtype):
    x = np.random.default_rng(dims).standard_normal((2, 2, *SIZES[dims])).astype(dtype)
    out = ADAPTIVE_SIZES[dims]
    theirs = {1: TF.adaptive_max_pool1d, 2: TF.adaptive_max_pool2d, 3: TF.adaptive_max_pool3d}
    fns = []

    def ours(t):
        y, fn = AdaptiveMaxPool.apply_with(t, output_size=out)
        fns.append(fn)
        return y

    compare(ours, lambda t: theirs[dims](t, out), [x])
    _, indices = theirs[dims](torch.tensor(x), out, return_indices=True)
    np.testing.assert_array_equal(fns[0].indices, indices.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_unpool_places_values_and_routes_gradients_as_pytorch(dims, dtype):
    x = np.random.default_rng(dims).standard_normal((2, 2, *SIZES[dims])).astype(dtype)
    pooled, indices = _torch_max(dims)(torch.tensor(x), 2, return_indices=True)
    size = tuple(2 * s for s in pooled.shape[2:])  # (L-1)*S - 2P + K with S = K = 2
    theirs = {1: TF.max_unpool1d, 2: TF.max_unpool2d, 3: TF.max_unpool3d}[dims]
    compare(
        lambda t: MaxUnpool.apply(t, Tensor(indices.numpy()), output_size=size),
        lambda t: theirs(t, indices, 2),
        [pooled.numpy()],
    )


def test_max_unpool_gives_the_indices_no_gradient():
    x = np.arange(4.0).reshape(1, 1, 2, 2)
    indices = np.array([[[[0, 3], [9, 14]]]])
    y, fn = MaxUnpool.apply_with(Tensor(x, requires_grad=True), indices, output_size=(4, 4))
    assert fn.needs_input_grad == (True, False)
    placed = np.zeros(16)
    placed[[0, 3, 9, 14]] = [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_array_equal(y.numpy().ravel(), placed)
    g = np.arange(16.0).reshape(1, 1, 4, 4)
    gx, gi = fn.backward(g)
    assert gi is None
    np.testing.assert_array_equal(gx, [[[[0.0, 3.0], [9.0, 14.0]]]])  # read back at the indices


GRADCHECKED = [
    ("max", lambda t: MaxPool.apply(t, kernel_size=3, stride=2, padding=1)),
    ("max split", lambda t: MaxPool.apply(t, kernel_size=2, ties="split")),
    ("avg", lambda t: AvgPool.apply(t, kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("lp", lambda t: LPPool.apply(t * t + 0.5, norm_type=2.5, kernel_size=2, stride=1)),
    ("adaptive avg", lambda t: AdaptiveAvgPool.apply(t, output_size=(3, 3))),
    ("adaptive max", lambda t: AdaptiveMaxPool.apply(t, output_size=(3, 2))),
]


@pytest.mark.parametrize("name, fn", GRADCHECKED, ids=[c[0] for c in GRADCHECKED])
def test_gradcheck_in_float64(name, fn):
    x = np.random.default_rng(9).standard_normal((1, 2, 4, 5))  # no ties: smooth everywhere
    assert gradcheck(fn, [Tensor(x, requires_grad=True)])


REFUSERS = [
    (MaxPool, dict(kernel_size=2)),
    (AvgPool, dict(kernel_size=2)),
    (LPPool, dict(norm_type=2.0, kernel_size=2)),
    (AdaptiveAvgPool, dict(output_size=2)),
    (AdaptiveMaxPool, dict(output_size=2)),
]


@pytest.mark.parametrize("op, kwargs", REFUSERS, ids=[op.__name__ for op, _ in REFUSERS])
def test_an_unbatched_2d_input_is_refused_naming_the_op_and_the_shape(op, kwargs):
    with pytest.raises(ValueError, match=r"pool.*: .*\(4, 4\)"):
        op.apply(np.ones((4, 4)), **kwargs)
