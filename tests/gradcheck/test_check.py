"""gradcheck.py: every kernel passes; a wrong gradient is caught and named."""

import numpy as np
import pytest

from convprop import GradcheckError, GradcheckKinkWarning, gradcheck
from convprop import kernels as K
from convprop.gradcheck import check_gradients
from convprop.gradcheck.grid import grid

CASES = list(grid())


@pytest.mark.parametrize("case", CASES, ids=[f"{c.kernel}-{c.config}" for c in CASES])
def test_every_kernel_and_option_passes_gradcheck(case):
    assert gradcheck(case.fn, case.inputs)


def test_grid_covers_every_kernel():
    assert {c.kernel for c in CASES} == {
        *(f"conv{d}d" for d in (1, 2, 3)),
        *(f"conv_transpose{d}d" for d in (1, 2, 3)),
        *(f"max_pool{d}d" for d in (1, 2, 3)),
        *(f"avg_pool{d}d" for d in (1, 2, 3)),
        "adaptive_avg_pool",
        "pad",
    }


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
    result = gradcheck(fn, [np.ones(2), np.ones(2)], raise_exception=False)
    assert not result and not result.passed
    assert str(result).startswith("gradcheck failed: input 1 (jacobian)")


def test_float32_inputs_are_refused():
    with pytest.raises(ValueError, match="float64"):
        gradcheck(_square, [np.ones(3, dtype=np.float32)])


def _max_pool(x):
    y, idx = K.max_pool2d(x, 2)
    return y, lambda gy: (K.max_pool2d_backward(gy, idx, x.shape),)


def test_a_planted_near_tie_is_reported_as_a_kink_not_a_failure():
    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    x[0, 0, 0, 1] = x[0, 0, 0, 0] = 3.0
    x[0, 0, 0, 1] -= 1e-7  # within eps = 1e-6 of the winner: a step swaps them
    (report,) = check_gradients(_max_pool, [x])
    assert report.passed
    assert report.kinks == ("input(0, 0, 0, 0)", "input(0, 0, 0, 1)")
    assert "2 kink(s), checked between their one-sided slopes" in report.describe()
    # without the kink test the same check fails: the central difference is no gradient
    (blind,) = check_gradients(_max_pool, [x], kink_tol=np.inf)
    assert not blind.passed and not blind.kinks


def test_a_wrong_gradient_still_fails_beside_a_kink():
    x = np.random.default_rng(1).standard_normal((1, 1, 4, 4))
    x[0, 0, 0, 0], x[0, 0, 0, 1] = 3.0, 3.0 + 1e-7  # a near-tie for window (0, 0)

    def wrong(x):
        y, vjp = _max_pool(x)
        return y, lambda gy: (vjp(gy)[0] * np.where(np.arange(16).reshape(x.shape) == 15, 2, 1),)

    x[0, 0, 3, 3] = 10.0  # element 15 wins its window: its gradient is doubled, wrongly
    (report,) = check_gradients(wrong, [x])
    assert not report.passed
    assert report.kinks and "input(0, 0, 3, 3)" in report.worst


def test_a_relu_input_at_zero_is_a_kink_and_smooth_functions_have_none():
    from convprop.autograd import Tensor
    from convprop.nn import functional as F

    x = np.array([[-1.0, 0.0, 2.0, 5e-7]])
    (report,) = check_gradients(lambda t: F.relu(t) * 3, [Tensor(x, requires_grad=True)])
    assert report.passed and report.kinks == ("input(0, 1)", "input(0, 3)")
    smooth = np.random.default_rng(2).standard_normal((2, 5))
    (tanh,) = check_gradients(lambda t: F.tanh(t * 4), [Tensor(smooth, requires_grad=True)])
    assert tanh.passed and tanh.kinks == ()


def test_the_function_surfaces_the_kinks_it_found():
    from convprop.gradcheck import GradcheckKinkWarning

    x = np.random.default_rng(0).standard_normal((1, 1, 4, 4))
    x[0, 0, 0, 0], x[0, 0, 0, 1] = 3.0, 3.0 - 1e-7  # a near-tie: a step swaps the winner
    with pytest.warns(
        GradcheckKinkWarning, match=r"found 2 kink\(s\).*input 0: input\(0, 0, 0, 1\)"
    ):
        result = gradcheck(_max_pool, [x])
    assert result  # still passes: the kinks' gradients lie between their slopes
    assert result.kinks == ((0, "input(0, 0, 0, 0)"), (0, "input(0, 0, 0, 1)"))
    assert "2 kink(s)" in str(result) and str(result).startswith("gradcheck passed")


def test_a_smooth_check_has_no_kinks_and_no_warning(rng):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(_square, [rng.standard_normal((3, 4))])
    assert result and result.kinks == () and str(result) == "gradcheck passed"


def test_the_command_table_fits_80_columns_and_its_columns_align(monkeypatch, capsys):
    from convprop.cli import main

    monkeypatch.setenv("COLUMNS", "80")
    assert main(["gradcheck", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = lines[0]
    err_end = header.index("max rel error") + len("max rel error")
    config_at, pass_at = header.index("configuration"), header.index("pass")
    kernels = {c.kernel for c in grid(quick=True)}
    rows = [line for line in lines[2:] if line.split(" ", 1)[0] in kernels]
    assert len(rows) == len(list(grid(quick=True)))
    for row in rows:
        assert row[err_end - 1] != " " and row[err_end] == " ", row  # errors right-aligned
        assert row[pass_at : pass_at + 3] == "yes" and row[config_at - 1] == " ", row
        assert row[config_at] != " ", row
    for line in lines[2:-1]:
        if line.startswith(" " * 9):  # a configuration continued: under its heading
            assert len(line) - len(line.lstrip()) == config_at, line


def _scaled_max_pool(scale):
    def fn(x):
        y, idx = K.max_pool2d(x, 2)
        return y, lambda g: (K.max_pool2d_backward(g, idx, x.shape) * scale,)

    return fn


def test_a_wrong_gradient_at_a_kink_is_caught_between_the_one_sided_slopes():
    # a tie: its one-sided slopes are 0 and 1; a backward 7x too large cannot hide there
    x = np.array([[[[1.0, 1.0], [0.0, 0.0]]]])
    with pytest.warns(GradcheckKinkWarning):
        assert gradcheck(_scaled_max_pool(1.0), (x,))  # the first maximum's gradient, 1
    (report,) = check_gradients(_scaled_max_pool(7.0), [x])
    assert not report.passed and report.slopes is not None
    assert sorted(report.slopes) == pytest.approx([0.0, 1.0]) and report.analytic == 7.0
    assert "lies outside the one-sided slopes [0, 1]" in report.describe()
    with pytest.raises(GradcheckError, match="outside the one-sided slopes"):
        gradcheck(_scaled_max_pool(7.0), (x,))


def test_abs_at_its_kink_takes_any_subgradient_but_no_other_value():
    def f(g0):
        return lambda x: (np.abs(x), lambda g: (g * np.where(x == 0, g0, np.sign(x)),))

    x = np.array([0.0, 0.5])  # |x| at 0: one-sided slopes -1 and 1
    for inside in (-1.0, 0.0, 0.3, 1.0):
        assert check_gradients(f(inside), [x])[0].passed
    for outside in (100.0, -1.5):
        assert not check_gradients(f(outside), [x])[0].passed
    # beside the kink, x = 1e-9 > 0: the gradient is 1; the other piece's -1 is wrong
    near = np.array([1e-9, 0.5])
    assert check_gradients(lambda x: (np.abs(x), lambda g: (g * np.sign(x),)), [near])[0].passed
    assert not check_gradients(lambda x: (np.abs(x), lambda g: (-g,)), [near])[0].passed


def test_the_dot_product_test_holds_a_kinked_direction_between_its_slopes():
    # large enough for the dot-product test; every window a tie, so every direction kinks
    x = np.zeros((1, 1, 40, 40))
    (good,) = check_gradients(_scaled_max_pool(1.0), [x])
    (bad,) = check_gradients(_scaled_max_pool(7.0), [x])
    assert good.method == "dot-product" and good.kinks and good.passed
    assert bad.kinks and not bad.passed and "outside the one-sided slopes" in bad.describe()


def _tied_max_pool(kind):
    def fn(x):
        y, idx = K.max_pool2d(x, 2)

        def vjp(g):
            if kind == "every tied cell the whole gradient":
                return (np.repeat(np.repeat(g, 2, 2), 2, 3),)
            if kind == "none":
                return (np.zeros_like(x),)
            if kind == "split":
                return (K.max_pool2d_grad(x, g, 2, ties="split"),)
            return (K.max_pool2d_backward(g, idx, x.shape),)

        return y, vjp

    return fn


@pytest.mark.parametrize("shape", [(1, 1, 2, 2), (1, 1, 40, 40)])  # jacobian, dot product
@pytest.mark.parametrize("kind", ["every tied cell the whole gradient", "none"])
def test_tied_gradients_that_do_not_add_up_fail(shape, kind):
    # each tied cell's gradient in [0, 1] alone, but a window's must add up to 1
    (report,) = check_gradients(_tied_max_pool(kind), [np.zeros(shape)])
    assert report.kinks and not report.passed
    assert "at once" in report.describe()


@pytest.mark.parametrize("shape", [(1, 1, 2, 2), (1, 1, 40, 40)])
@pytest.mark.parametrize("kind", ["first", "split"])
def test_either_tie_policy_passes(shape, kind):
    (report,) = check_gradients(_tied_max_pool(kind), [np.zeros(shape)])
    assert report.kinks and report.passed
