"""Bad input raises ValueError naming the operation, the rule and the shapes; nothing else."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from convprop import kernels as K

X = np.ones((2, 3, 5, 5))
W = np.ones((4, 3, 3, 3))

CASES = [
    ("stride 0", lambda: K.conv2d(X, W, stride=0), "stride must be >= 1", "(2, 3, 5, 5)"),
    (
        "negative stride",
        lambda: K.conv2d(X, W, stride=(1, -2)),
        "stride must be >= 1",
        "(4, 3, 3, 3)",
    ),
    (
        "float stride",
        lambda: K.conv2d(X, W, stride=1.5),
        "stride must be an integer",
        "(2, 3, 5, 5)",
    ),
    (
        "kernel larger than input",
        lambda: K.conv2d(X, np.ones((4, 3, 6, 6))),
        "larger than the padded input",
        "(4, 3, 6, 6)",
    ),
    (
        "dilated kernel too large",
        lambda: K.conv2d(X, W, dilation=3),
        "dilated kernel 7x7",
        "(2, 3, 5, 5)",
    ),
    (
        "channels mismatch",
        lambda: K.conv2d(X, np.ones((4, 4, 3, 3))),
        "input has 3 channels but weight expects 4",
        "(4, 4, 3, 3)",
    ),
    (
        "groups do not divide",
        lambda: K.conv2d(X, np.ones((4, 1, 3, 3)), groups=2),
        "channels",
        "(2, 3, 5, 5)",
    ),
    (
        "out channels vs groups",
        lambda: K.conv2d(X, np.ones((4, 1, 3, 3)), groups=3),
        "divisible by groups",
        "(4, 1, 3, 3)",
    ),
    ("wrong ndim", lambda: K.conv2d(X[0], W), "must be 4-D", "(3, 5, 5)"),
    (
        "dtype mismatch",
        lambda: K.conv2d(X.astype(np.float32), W),
        "share one dtype",
        "(2, 3, 5, 5)",
    ),
    ("integer dtype", lambda: K.conv2d(X.astype(int), W), "float32 or float64", "(2, 3, 5, 5)"),
    ("bias shape", lambda: K.conv2d(X, W, np.ones(3)), "bias must have shape (4,)", "(3,)"),
    (
        "same with stride",
        lambda: K.conv2d(X, W, padding="same", stride=2),
        "requires stride 1",
        "(2, 3, 5, 5)",
    ),
    (
        "unknown padding",
        lambda: K.conv2d(X, W, padding="full"),
        "'valid' or 'same'",
        "(2, 3, 5, 5)",
    ),
    (
        "grad_y shape",
        lambda: K.conv2d_backward(np.ones((2, 4, 4, 4)), X, W),
        "grad_y has shape",
        "(2, 4, 3, 3)",
    ),
    (
        "output_padding",
        lambda: K.conv_transpose2d(X, np.ones((3, 2, 3, 3)), output_padding=1),
        "output_padding",
        "(2, 3, 5, 5)",
    ),
    (
        "transpose channels",
        lambda: K.conv_transpose2d(X, np.ones((4, 2, 3, 3))),
        "weight expects 4",
        "(4, 2, 3, 3)",
    ),
    (
        "pool padding > half",
        lambda: K.max_pool2d(X, 2, padding=2),
        "at most half the kernel",
        "(2, 3, 5, 5)",
    ),
    (
        "pool kernel too large",
        lambda: K.max_pool2d(X, 6),
        "larger than the padded input",
        "(2, 3, 5, 5)",
    ),
    ("pool stride 0", lambda: K.avg_pool2d(X, 2, 0), "stride must be >= 1", "(2, 3, 5, 5)"),
    (
        "pool only padding",
        lambda: K.max_pool2d(np.ones((1, 1, 1, 2)), 2, padding=1, dilation=2),
        "entirely in the padding",
        "(1, 1, 1, 2)",
    ),
    (
        "divisor zero",
        lambda: K.avg_pool2d(X, 2, divisor_override=0),
        "divisor_override",
        "avg_pool2d",
    ),
    (
        "avg grad_y shape",
        lambda: K.avg_pool2d_backward(np.ones((2, 3, 3, 3)), X.shape, 2),
        "grad_y has shape",
        "(2, 3, 2, 2)",
    ),
    (
        "max indices range",
        lambda: K.max_pool2d_backward(np.ones((2, 3, 2, 2)), np.full((2, 3, 2, 2), 25), X.shape),
        "[0, 25)",
        "(2, 3, 5, 5)",
    ),
    (
        "unknown algorithm",
        lambda: K.conv2d(X, W, algorithm="gemm"),
        "algorithm must be one of",
        "conv2d",
    ),
    ("unknown convention", lambda: K.conv2d(X, W, convention="flip"), "convention", "conv2d"),
]


@pytest.mark.parametrize("name, call, rule, shape", CASES, ids=[c[0] for c in CASES])
def test_bad_input_raises_value_error_naming_rule_and_shapes(name, call, rule, shape):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert rule in message and shape in message, message
    assert message.split(":")[0] in {
        "conv2d",
        "conv2d_backward",
        "conv_transpose2d",
        "max_pool2d",
        "avg_pool2d",
        "avg_pool2d_backward",
        "max_pool2d_backward",
    }


ints = st.one_of(st.integers(-2, 6), st.tuples(st.integers(-1, 5), st.integers(-1, 5)))
anything = st.one_of(
    ints, st.none(), st.floats(-2, 4), st.sampled_from(["same", "valid", "full", ""])
)
# derandomized and without health checks: the same 300 examples every run, so a busy
# machine (slow data generation) cannot fail the suite at random


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(
    shape=st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 7), st.integers(0, 7)),
    kernel=st.tuples(st.integers(0, 4), st.integers(0, 3), st.integers(0, 5), st.integers(0, 5)),
    stride=anything,
    padding=anything,
    dilation=anything,
    groups=anything,
    algorithm=st.sampled_from(["direct", "im2col", "fft", "auto"]),
)
def test_conv_arguments_either_work_or_raise_value_error(
    shape, kernel, stride, padding, dilation, groups, algorithm
):
    x, w = np.ones(shape), np.ones(kernel)
    try:
        y = K.conv2d(x, w, None, stride, padding, dilation, groups, algorithm=algorithm)
    except ValueError:
        return
    assert y.shape[:2] == (shape[0], kernel[0]) and min(y.shape[2:]) >= 1
    grads = K.conv2d_backward(
        np.ones_like(y), x, w, stride, padding, dilation, groups, algorithm=algorithm
    )
    assert [g.shape for g in grads] == [x.shape, w.shape, (kernel[0],)]


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
@given(
    shape=st.tuples(st.integers(0, 2), st.integers(0, 3), st.integers(0, 7), st.integers(0, 7)),
    kernel=anything,
    stride=anything,
    padding=anything,
    dilation=anything,
    ceil_mode=st.booleans(),
)
def test_pool_arguments_either_work_or_raise_value_error(
    shape, kernel, stride, padding, dilation, ceil_mode
):
    x = np.ones(shape)
    try:
        y, idx = K.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode)
    except ValueError:
        return
    assert y.shape == idx.shape and y.shape[:2] == shape[:2]
    assert K.max_pool2d_backward(y, idx, x.shape).shape == x.shape
