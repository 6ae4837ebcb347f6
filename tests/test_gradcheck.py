"""gradcheck.py: every kernel passes; a wrong gradient is caught and named."""

import numpy as np
import pytest

from convprop import GradcheckError, gradcheck
from convprop.gradcheck import check_gradients
from convprop.kernel_checks import grid

CASES = list(grid())


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kernel}-{c.config}" for c in CASES])
def test_every_kernel_and_option_passes_gradcheck(case):
    assert gradcheck(case.fn, case.inputs)


def test_grid_covers_every_kernel():
    assert {c.kernel for c in CASES} == {"conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d"}


def _square(x):
    return x**2, lambda gy: (2 * x * gy,)


def _wrong_square(x):
    return x**2, lambda gy: (2.1 * x * gy,)  # off by 5%


def test_wrong_gradient_is_caught_by_the_jacobian_and_named(rng):
    x = rng.standard_normal((3, 4))
    assert gradcheck(_square, [x])
    with pytest.raises(GradcheckError) as info:
        gradcheck(_wrong_square, [x])
    message = str(info.value)
    assert "input 0 (jacobian)" in message and "numerical" in message and "analytic" in message
    assert "d output(" in message  # the worst element, by position


def test_wrong_gradient_is_caught_by_the_dot_product_test(rng):
    x = rng.standard_normal((30, 30))  # too large for the full Jacobian
    report = check_gradients(_square, [x])[0]
    assert report.method == "dot-product" and report.passed
    with pytest.raises(GradcheckError, match=r"input 0 \(dot-product\)"):
        gradcheck(_wrong_square, [x])


def test_only_the_wrong_input_is_named(rng):
    def fn(a, b):
        return a * b, lambda gy: (gy * b, gy * a * 1.01)

    reports = check_gradients(fn, [rng.standard_normal(5), rng.standard_normal(5)])
    assert [r.passed for r in reports] == [True, False]
    assert gradcheck(fn, [np.ones(2), np.ones(2)], raise_exception=False) is False


def test_float32_inputs_are_refused():
    with pytest.raises(ValueError, match="float64"):
        gradcheck(_square, [np.ones(3, dtype=np.float32)])
