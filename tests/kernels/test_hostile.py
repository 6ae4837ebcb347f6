"""Hostile input found by fuzzing the public API (issue 14): one regression case per class.

Expected values come from PyTorch, never from the code under test.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from convprop import Tensor
from convprop import kernels as K
from convprop.arguments import MAX_ELEMENTS


def _kind(a: np.ndarray) -> np.ndarray:
    """0 finite, 1 NaN, 2 +Inf, 3 -Inf: where non-finite values are, and which."""
    return np.select([np.isnan(a), np.isposinf(a), np.isneginf(a)], [1, 2, 3], 0)


def _same(ours: np.ndarray, theirs: torch.Tensor) -> None:
    ref = theirs.detach().numpy()
    np.testing.assert_array_equal(_kind(ours), _kind(ref))
    finite = np.isfinite(ref)
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-9, atol=1e-9)


# -- non-finite values spread --------------------------------------------------------------


@pytest.mark.parametrize("value", [np.nan, np.inf])
@pytest.mark.parametrize("algorithm", ["auto", "fft", "im2col"])
def test_a_non_finite_pixel_reaches_only_the_windows_that_read_it(value, algorithm):
    # the case: one pixel of a 16x16 image under a 7x7 filter ("auto" picks the FFT)
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 1, 16, 16)), rng.standard_normal((1, 1, 7, 7))
    x[0, 0, 5, 6] = value
    gy = rng.standard_normal((1, 1, 10, 10))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = TF.conv2d(tx, tw)
    ty.backward(torch.tensor(gy))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "invalid value in matmul"
        y = K.conv2d(x, w, algorithm=algorithm)
        gx, gw, _ = K.conv2d_backward(gy, x, w, algorithm=algorithm)
    _same(y, ty)
    _same(gx, tx.grad)
    _same(gw, tw.grad)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_non_finite_weight_is_exact_in_the_input_gradient_and_the_transpose(value):
    # im2col's stride-1 input gradient correlates a zero-padded dL/dY with the flipped W:
    # 0 * Inf in that padding made NaN where the definition (and PyTorch) has no term
    rng = np.random.default_rng(1)
    # few output channels, so that route (cheaper than col2im there) is the one taken
    x, w = rng.standard_normal((1, 4, 6, 6)), rng.standard_normal((1, 4, 3, 3))
    w[0, 1, 2, 1] = value
    gy = rng.standard_normal((1, 1, 4, 4))
    tw = torch.tensor(w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        gx = K.conv2d_input(x.shape, w, gy, algorithm="im2col")
        yt = K.conv_transpose2d(gy, w, algorithm="im2col")
    _same(gx, torch.nn.grad.conv2d_input(x.shape, tw, torch.tensor(gy)))
    _same(yt, TF.conv_transpose2d(torch.tensor(gy), tw))


# -- unchecked indices and switches ---------------------------------------------------------


def test_max_unpool_backward_refuses_indices_outside_the_output():
    x = np.random.default_rng(2).standard_normal((1, 2, 6, 6))
    _, idx = K.max_pool2d(x, 2)
    for bad in (idx + 100, idx - 100):
        with pytest.raises(ValueError, match=r"max_unpool_backward: indices must lie in \[0, 36\)"):
            K.max_unpool_backward(np.ones((1, 2, 6, 6)), bad)


def test_switches_backward_refuses_a_switch_that_names_a_padding_tap():
    # a 3x3 window at the corner with padding 1: tap 0 is padding, never a max's winner
    switches = np.zeros((1, 1, 3, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="max_pool2d_switches_backward: a switch names tap 0"):
        K.max_pool2d_switches_backward(np.ones((1, 1, 3, 3)), switches, (1, 1, 6, 6), 3, 2, 1)


# -- stray exceptions -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, op",
    [
        (lambda: K.pad("abc", ((1, 1), (1, 1))), "pad"),
        (lambda: K.pad_backward([None], ((1, 1),)), "pad_backward"),
        (lambda: K.max_unpool_backward(None, np.zeros((1, 1, 2, 2), int)), "max_unpool_backward"),
        (lambda: K.adaptive_avg_pool_backward(3.0, (1, 1, 4, 4)), "adaptive_avg_pool_backward"),
        (lambda: K.conv2d(np.ones((1, 1, 4, 4)), None), "conv2d"),
    ],
)
def test_a_non_array_is_a_type_error_naming_the_operation(call, op):
    with pytest.raises(TypeError, match=f"^{op}: "):
        call()


def test_adaptive_backward_refuses_a_zero_size_input_shape():
    with pytest.raises(ValueError, match="adaptive_avg_pool_backward: input_shape"):
        K.adaptive_avg_pool_backward(np.ones((1, 2, 2, 2)), (1, 2, 0, 6))


@pytest.mark.parametrize("huge", [2**62, 10**30])
def test_a_huge_stride_is_a_value_error_not_an_overflow(huge):
    x = np.ones((1, 1, 6, 6))
    for call in (
        lambda: K.conv2d(x, np.ones((1, 1, 3, 3)), stride=huge),
        lambda: K.max_pool2d(x, 2, stride=huge),
        lambda: K.avg_pool2d(x, 2, stride=huge),
    ):
        with pytest.raises(ValueError, match=r"stride must be at most 2\*\*31 - 1"):
            call()


# -- types leak through ---------------------------------------------------------------------


def test_kernels_return_arrays_whatever_array_like_they_are_given():
    x = np.random.default_rng(3).standard_normal((1, 1, 4, 4))
    out = K.pad(torch.tensor(x), ((0, 0), (0, 0)))  # nothing to pad: used to return x itself
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, x)
    y = K.conv2d(torch.tensor(x), np.ones((1, 1, 1, 1)))
    assert type(y) is np.ndarray
    z = K.conv2d(Tensor(x), np.ones((1, 1, 1, 1)))  # convprop's own Tensor reads as an array
    assert type(z) is np.ndarray
    np.testing.assert_array_equal(z, y)


def test_complex_arrays_are_refused_not_padded_or_unpooled():
    z = np.ones((1, 1, 2, 2), dtype=np.complex64)
    with pytest.raises(TypeError, match="pad: input must be float32 or float64, got complex64"):
        K.pad(z, ((1, 1), (1, 1)))
    with pytest.raises(TypeError, match="max_unpool: input must be float32 or float64"):
        K.max_unpool(z, np.zeros((1, 1, 2, 2), dtype=np.int64), (4, 4))


def test_float16_is_widened_to_float32():
    x = np.arange(16, dtype=np.float16).reshape(1, 1, 4, 4)
    y = K.conv2d(x, np.ones((1, 1, 2, 2), dtype=np.float16))
    assert y.dtype == np.float32
    ref = TF.conv2d(torch.tensor(x, dtype=torch.float32), torch.ones(1, 1, 2, 2))
    np.testing.assert_allclose(y, ref.numpy())


# -- accepted what PyTorch refuses ----------------------------------------------------------


def test_a_string_ceil_mode_is_refused_as_pytorch_does():
    x = np.ones((1, 1, 5, 5))
    with pytest.raises(TypeError):
        TF.max_pool2d(torch.tensor(x), 2, ceil_mode="no")
    for call in (
        lambda: K.max_pool2d(x, 2, ceil_mode="no"),
        lambda: K.avg_pool2d(x, 2, 2, 0, "no"),
    ):
        with pytest.raises(TypeError, match="ceil_mode must be a bool"):
            call()


def test_a_one_element_list_is_expanded_as_pytorch_does():
    x = np.random.default_rng(4).standard_normal((1, 2, 5, 6))
    y, _ = K.max_pool2d(x, (2,), stride=[1])
    np.testing.assert_array_equal(y, TF.max_pool2d(torch.tensor(x), (2,), stride=[1]).numpy())


def test_pad_refuses_float_and_bool_widths():
    x = np.ones((1, 1, 3, 3))
    for pads in (((1.5, 1), (0, 0)), ((True, 0), (0, 0))):
        with pytest.raises(TypeError, match="pad: padding must be an integer"):
            K.pad(x, pads)


# -- memory ---------------------------------------------------------------------------------


def _declared(*shape: int) -> np.ndarray:
    """A zero-stride view declaring any shape over one float."""
    return np.lib.stride_tricks.as_strided(np.zeros(1), shape=shape, strides=(0,) * len(shape))


@pytest.mark.parametrize(
    "call",
    [
        lambda: K.conv1d(_declared(1, 1, 10**10), np.ones((1, 1, 1))),
        lambda: K.avg_pool2d(_declared(1, 1, 200_000, 200_000), 1),
        lambda: K.max_pool2d(_declared(1, 1, 200_000, 200_000), 1),
        lambda: K.pad(np.ones((1, 1, 2, 2)), ((2**30, 2**30), (2**30, 2**30))),
        lambda: K.conv_transpose2d(np.ones((1, 1, 2, 2)), np.ones((1, 1, 1, 1)), stride=2**30),
    ],
)
def test_a_declared_size_beyond_the_limit_is_refused_before_allocating(call):
    with pytest.raises(ValueError, match=f"more than the limit of {MAX_ELEMENTS}"):
        call()


def test_a_masked_array_is_refused_not_read_without_its_mask():
    x = np.ma.masked_array(np.ones((1, 1, 3, 3)), mask=np.eye(3, dtype=bool)[None, None])
    with pytest.raises(TypeError, match=r"conv2d: input is a masked array.*filled"):
        K.conv2d(x, np.ones((1, 1, 2, 2)))


def test_a_torch_tensor_that_requires_grad_gets_torch_advice():
    x = torch.ones(1, 1, 3, 3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(TypeError, match=r"detach\(\)\.cpu\(\)\.numpy\(\)"):
        K.conv2d(x, np.ones((1, 1, 2, 2)))
    mine = Tensor(np.ones((1, 1, 3, 3)), requires_grad=True)  # convprop's own Tensor
    with pytest.raises(TypeError, match=r"requires grad.*pass tensor\.detach\(\)\.numpy\(\)"):
        K.conv2d(mine, np.ones((1, 1, 2, 2)))


def test_flags_must_be_bools_not_truthy_strings():
    from convprop.nn import MaxPool2d
    from convprop.nn import functional as F

    x = Tensor(np.ones((1, 1, 4, 4)))
    with pytest.raises(TypeError, match="max_pool2d: return_indices must be a bool, got 'x'"):
        MaxPool2d(2, return_indices="x")(x)
    with pytest.raises(TypeError, match="adaptive_max_pool2d: return_indices must be a bool"):
        F.adaptive_max_pool2d(x, 2, return_indices="yes")
    with pytest.raises(TypeError, match="avg_pool2d: count_include_pad must be a bool"):
        K.avg_pool2d(np.ones((1, 1, 4, 4)), 2, count_include_pad="no")
    with pytest.raises(TypeError):  # PyTorch refuses it too
        TF.avg_pool2d(torch.ones(1, 1, 4, 4), 2, count_include_pad="no")


@pytest.mark.parametrize("algorithm", ["direct", "im2col", "fft", "auto"])
def test_non_finite_data_raises_no_numpy_warning(algorithm):
    rng = np.random.default_rng(7)
    x, w = rng.random((2, 3, 6, 6)), rng.random((4, 3, 3, 3))
    x[0, 0, 2, 2], x[1, 1, 1, 1], w[0, 0, 0, 0] = np.nan, np.inf, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PyTorch says nothing: NaN and Inf are data
        y = K.conv2d(x, w, algorithm=algorithm)
        K.conv2d_backward(np.ones_like(y), x, w, algorithm=algorithm)
        K.conv_transpose2d(y, w, algorithm=algorithm)
    want = TF.conv2d(torch.from_numpy(x), torch.from_numpy(w)).numpy()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(want))


def test_lp_pool_gradient_at_minus_inf_with_a_fractional_p_is_nan_as_pytorch():
    # found by the fuzz test at 3,000 examples: -inf outside every window, p = 0.5
    x = np.array([[[0.126, -np.inf], [0.640, 0.105]]])
    y, sums = K.lp_pool(x, 0.5, 1, 2)
    got = K.lp_pool_backward(np.ones_like(y), x, sums, 0.5, 1, 2)
    tx = torch.tensor(x, requires_grad=True)
    ty = TF.lp_pool1d(tx, 0.5, 1, 2)
    ty.backward(torch.ones_like(ty))
    np.testing.assert_allclose(got, tx.grad.numpy(), rtol=1e-12)  # NaN where torch has NaN
