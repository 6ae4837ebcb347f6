"""kernels/family.py and the tables in conv/api.py and pool/api.py: PyTorch's 1d/2d/3d names
are the N-d functions with `dims` fixed, named, documented and refusing other ranks."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest

from convprop import kernels as K
from convprop.kernels.conv import (
    conv,
    conv_backward,
    conv_input,
    conv_transpose,
    conv_transpose_backward,
    conv_weight,
)
from convprop.kernels.family import axis_names, spatial_dims
from convprop.kernels.pool import avg_pool, avg_pool_backward

GENERATED = [
    n for n in K.__all__ if any(f"{d}d" in n for d in (1, 2, 3)) and callable(getattr(K, n))
]
WITH_SHAPES = [
    n
    for n in GENERATED
    if n in {f"{f}{d}d" for f in ("conv", "conv_transpose", "max_pool", "avg_pool") for d in "123"}
]


def test_the_table_makes_every_dimension_named_kernel():
    assert len(GENERATED) == 34


@pytest.mark.parametrize("name", GENERATED)
def test_a_member_is_named_documented_and_picklable(name):
    fn = getattr(K, name)
    assert fn.__name__ == fn.__qualname__ == name
    assert fn.__module__ in ("convprop.kernels.conv.api", "convprop.kernels.pool.api")
    assert pickle.loads(pickle.dumps(fn)) is fn
    assert fn.__doc__ and "{" not in fn.__doc__  # the template filled
    assert "dims" not in inspect.signature(fn).parameters


@pytest.mark.parametrize("name", WITH_SHAPES)
def test_the_shape_section_names_the_members_axes(name):
    dims = int(name[-2])
    doc = getattr(K, name).__doc__
    assert (
        "Shape:" in doc
        and f"(N, C{'_in' if 'conv' in name else ''}, {axis_names(dims)['x']})" in doc
    )
    assert f"{axis_names(dims)['out']} = " in doc


def test_axis_names():
    assert axis_names(1)["x"] == "L" and axis_names(3)["y"] == "Do, Ho, Wo"
    assert axis_names(2)["layout"] == "NCHW" and axis_names(3)["flat"] == "(d*H + r)*W + c"


def test_spatial_dims():
    assert spatial_dims(np.ones((2, 3, 4))) == 1 and spatial_dims(np.ones((1,) * 7)) == 5
    assert spatial_dims(np.ones((1,) * 7), most=3) == 3 and spatial_dims(np.ones(2)) == 1
    assert spatial_dims([[1.0]]) == 2  # not an array: its check names the 2-D op


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_the_nd_functions_take_dims_from_the_arrays(rng, dims):
    x = rng.standard_normal((2, 4, *(6,) * dims))
    w = rng.standard_normal((6, 2, *(3,) * dims))
    named = {n: getattr(K, n.format(dims)) for n in ("conv{}d", "conv{}d_backward")}
    y = conv(x, w, None, 2, 1, 1, 2)
    np.testing.assert_array_equal(y, named["conv{}d"](x, w, None, 2, 1, 1, 2))
    gy = rng.standard_normal(y.shape)
    for a, b in zip(
        conv_backward(gy, x, w, 2, 1, 1, 2),
        named["conv{}d_backward"](gy, x, w, 2, 1, 1, 2),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        conv_input(x.shape, w, gy, 2, 1, 1, 2),
        getattr(K, f"conv{dims}d_input")(x.shape, w, gy, 2, 1, 1, 2),
    )
    np.testing.assert_array_equal(
        conv_weight(x, w.shape, gy, 2, 1, 1, 2),
        getattr(K, f"conv{dims}d_weight")(x, w.shape, gy, 2, 1, 1, 2),
    )
    wt = rng.standard_normal((4, 3, *(2,) * dims))
    yt = conv_transpose(x, wt, stride=2)
    np.testing.assert_array_equal(yt, getattr(K, f"conv_transpose{dims}d")(x, wt, stride=2))
    gyt = rng.standard_normal(yt.shape)
    got = conv_transpose_backward(gyt, x, wt, stride=2)
    want = getattr(K, f"conv_transpose{dims}d_backward")(gyt, x, wt, stride=2)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    p = avg_pool(x, 2, count_include_pad=False, dilation=1)
    np.testing.assert_array_equal(p, getattr(K, f"avg_pool{dims}d")(x, 2, count_include_pad=False))
    np.testing.assert_array_equal(
        avg_pool_backward(p, x.shape, 2), getattr(K, f"avg_pool{dims}d_backward")(p, x.shape, 2)
    )


def test_a_member_refuses_another_rank_naming_itself_and_the_nd_function_names_the_rank(rng):
    x3, w3 = rng.standard_normal((1, 2, 5)), rng.standard_normal((3, 2, 2))
    with pytest.raises(ValueError, match=r"^conv2d: input must be 4-D \(N, C, H, W\)"):
        K.conv2d(x3, w3)
    with pytest.raises(ValueError, match=r"^avg_pool3d: input must be 5-D"):
        K.avg_pool3d(x3, 2)
    with pytest.raises(ValueError, match=r"^conv1d: weight must be 3-D"):
        conv(x3, rng.standard_normal((3, 2, 2, 2)))
    with pytest.raises(ValueError, match=r"^conv: dims must be 1, 2 or 3, got 4"):
        conv(x3, w3, dims=4)
    assert conv(x3, w3, dims=1).shape == (1, 3, 4)


def test_a_member_refuses_what_its_signature_lacks_naming_itself(rng):
    x = rng.standard_normal((1, 2, 6))
    with pytest.raises(TypeError, match=r"^conv2d\(\) got an unexpected keyword argument 'dims'"):
        K.conv2d(np.ones((1, 2, 3, 3)), np.ones((1, 2, 1, 1)), dims=2)
    with pytest.raises(
        TypeError, match=r"^conv1d\(\) missing 1 required positional argument: 'weight'"
    ):
        K.conv1d(x)
    with pytest.raises(TypeError, match=r"^avg_pool1d\(\) got an unexpected keyword"):
        K.avg_pool1d(x, 2, divisor_override=3)
    with pytest.raises(
        TypeError, match=r"^avg_pool1d\(\) takes from 2 to 6 positional arguments but 7"
    ):
        K.avg_pool1d(x, 2, None, 0, False, True, 3)
    assert K.avg_pool3d(np.ones((1, 1, 2, 2, 2)), 2, divisor_override=4)[0, 0, 0, 0, 0] == 2.0
