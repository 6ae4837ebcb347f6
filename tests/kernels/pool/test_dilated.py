"""Dilated average pooling and LP pooling (issue 14): avg_pool with the dilation keyword
equals the reference loops and ONNX's reference AveragePool; lp_pool equals PyTorch's
F.lp_pool forward and autograd backward, zeros, negatives and NaNs included; gradcheck."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from convprop import Tensor, gradcheck
from convprop import kernels as K
from convprop.kernels.pool import reference as R
from convprop.nn import functional as F
from convprop.shapes import pool_geometry

AVG = {1: K.avg_pool1d, 2: K.avg_pool2d, 3: K.avg_pool3d}
AVG_BACK = {1: K.avg_pool1d_backward, 2: K.avg_pool2d_backward, 3: K.avg_pool3d_backward}
DILATED = [  # dims, size, kernel, stride, padding, dilation, ceil_mode, count_include_pad
    (1, (9,), 3, 1, 1, 2, False, True),
    (1, (10,), 2, 3, 1, 3, True, False),
    (2, (7, 8), (2, 3), (1, 2), (1, 1), (2, 2), False, False),
    (2, (6, 7), 3, 2, 1, (2, 1), True, True),
    (3, (5, 6, 5), 2, 1, (1, 0, 1), (2, 3, 1), True, False),
]


@pytest.mark.parametrize("case", DILATED)
def test_dilated_avg_pool_equals_the_reference_loops_forward_and_backward(case):
    dims, size, k, s, p, d, ceil, counted = case
    rng = np.random.default_rng(dims)
    x = rng.standard_normal((2, 3, *size))
    g = pool_geometry("avg", x.shape, k, s, p, d, ceil)
    y = AVG[dims](x, k, s, p, ceil, counted, dilation=d)
    np.testing.assert_allclose(y, R.avg_pool(x, g, counted, None), rtol=1e-12)
    gy = rng.standard_normal(y.shape)
    gx = AVG_BACK[dims](gy, x.shape, k, s, p, ceil, counted, dilation=d)
    np.testing.assert_allclose(gx, R.avg_pool_backward(gy, x.shape, g, counted, None), rtol=1e-12)


def test_reference_divisor_counts_the_taps_a_dilated_window_puts_in_the_input():
    # 1-D, n=5, kernel 3, dilation 2, padding 1: window 0 taps -1, 1, 3 (one in the padding)
    g = pool_geometry("avg", (1, 1, 5), 3, 1, 1, 2, False)
    assert R.avg_pool_divisor(g, (0,), True, None) == 3
    assert R.avg_pool_divisor(g, (0,), False, None) == 2
    x = np.arange(5.0).reshape(1, 1, 5)
    y = K.avg_pool1d(x, 3, 1, 1, False, False, dilation=2)
    assert y[0, 0, 0] == pytest.approx((1 + 3) / 2)  # taps 1 and 3, the padding not counted


@pytest.mark.parametrize("case", [c for c in DILATED if c[0] > 1])
def test_dilated_avg_pool_equals_onnx_reference_average_pool(case):
    onnx = pytest.importorskip("onnx")
    from onnx.reference import ReferenceEvaluator

    dims, size, k, s, p, d, ceil, counted = case
    kk, ss, pp, dd = (v if isinstance(v, tuple) else (v,) * dims for v in (k, s, p, d))
    node = onnx.helper.make_node(
        "AveragePool",
        ["x"],
        ["y"],
        kernel_shape=kk,
        strides=ss,
        pads=list(pp) * 2,
        dilations=dd,
        ceil_mode=int(ceil),
        count_include_pad=int(counted),
    )
    x = np.random.default_rng(5).standard_normal((1, 2, *size)).astype(np.float32)
    (want,) = ReferenceEvaluator(node).run(None, {"x": x})
    got = AVG[dims](x, k, s, p, ceil, counted, dilation=d)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


LP = {
    1: (F.lp_pool1d, TF.lp_pool1d),
    2: (F.lp_pool2d, TF.lp_pool2d),
    3: (F.lp_pool3d, TF.lp_pool3d),
}


@pytest.mark.parametrize("p", [1, 2, 3, 1.5, 0.5, 2.5])
@pytest.mark.parametrize(
    "dims, size, k, s, ceil",
    [
        (1, (9,), 3, 2, True),
        (2, (6, 7), (2, 3), (2, 1), True),
        (3, (4, 5, 4), 2, None, False),
    ],
)
def test_lp_pool_equals_pytorch_forward_and_autograd_with_zeros_and_negatives(
    p, dims, size, k, s, ceil
):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 2, *size))
    x[rng.random(x.shape) < 0.25] = 0.0
    x[..., :2] = 0.0  # whole windows of zeros: PyTorch's gradient is 0 there
    mine, theirs = LP[dims]
    xt = torch.tensor(x, requires_grad=True)
    want = theirs(xt, p, k, s, ceil)
    gy = rng.standard_normal(tuple(want.shape))
    want.backward(torch.tensor(gy))
    xc = Tensor(x, requires_grad=True)
    got = mine(xc, p, k, s, ceil)
    got.backward(Tensor(gy))
    w, gw = want.detach().numpy(), xt.grad.numpy()
    assert np.array_equal(np.isnan(got.array), np.isnan(w))  # NaN where PyTorch has NaN
    np.testing.assert_allclose(got.array, w, rtol=1e-10, atol=1e-12)
    assert np.array_equal(np.isnan(xc.grad), np.isnan(gw))
    np.testing.assert_allclose(xc.grad, gw, rtol=1e-9, atol=1e-12)


def test_lp_pool_with_dilation_and_absolute_is_the_lp_norm_and_passes_gradcheck():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 7, 8)) + 0.1
    y, _ = K.lp_pool(x, 3, 2, 1, dilation=(2, 3), absolute=True)
    a = np.abs(x)
    want = (
        a[..., :-2, :-3] ** 3 + a[..., 2:, :-3] ** 3 + a[..., :-2, 3:] ** 3 + a[..., 2:, 3:] ** 3
    ) ** (1 / 3)
    np.testing.assert_allclose(y, want, rtol=1e-12)

    def lp(v):
        out, sums = K.lp_pool(v, 3, 2, 1, dilation=(2, 3), absolute=True)
        back = K.lp_pool_backward
        return out, lambda g: (back(g, v, sums, 3, 2, 1, dilation=(2, 3), absolute=True),)

    assert gradcheck(lp, [x])


def test_lp_pool_refuses_a_non_positive_or_infinite_norm():
    x = np.ones((1, 1, 4, 4))
    for bad in (0, -1, float("inf")):
        with pytest.raises(ValueError, match="lp_pool2d: norm_type must be positive and finite"):
            K.lp_pool(x, bad, 2)
