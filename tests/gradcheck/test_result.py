"""gradcheck/result.py: an InputReport's words (values, or the slopes a kink's gradient left),
and a GradcheckResult that is true or false like a bool, lists and summarises its kinks,
and names only the inputs that failed."""

import dataclasses

import pytest

from convprop.gradcheck import GradcheckError, GradcheckKinkWarning, GradcheckResult, InputReport


def _report(index=0, passed=True, kinks=(), slopes=None, method="jacobian"):
    return InputReport(
        index, method, 2e-3, 1e-3, "d output(0,) / d input(1,)", 1.5, 1.5015, passed, kinks, slopes
    )


def test_a_report_says_where_both_values_and_the_errors():
    text = _report(passed=False).describe()
    assert text == (
        "input 0 (jacobian): d output(0,) / d input(1,): numerical 1.5, analytic 1.5015 "
        "(abs error 0.002, rel error 0.001)"
    )


def test_a_kinks_gradient_outside_its_slopes_is_said_with_the_slopes_low_to_high():
    text = _report(passed=False, slopes=(1.0, -0.5), kinks=("input(1,)",)).describe()
    assert text.startswith(
        "input 0 (jacobian): d output(0,) / d input(1,): analytic 1.5015 lies outside the "
        "one-sided slopes [-0.5, 1] at a kink"
    )
    assert text.endswith("1 kink(s), checked between their one-sided slopes: input(1,)")


def test_more_than_four_kinks_are_shortened():
    kinks = tuple(f"input({i},)" for i in range(6))
    text = _report(kinks=kinks).describe()
    assert "6 kink(s)" in text and text.endswith("input(3,), ...")
    assert "input(4,)" not in text


def test_a_result_is_true_exactly_when_every_input_passed():
    good, bad = _report(0), _report(1, passed=False)
    assert GradcheckResult((good, good)) and GradcheckResult((good, good)).passed
    assert not GradcheckResult((good, bad)) and not GradcheckResult((good, bad)).passed
    assert GradcheckResult(())  # nothing to check: nothing failed


def test_a_failed_result_names_only_the_failed_inputs():
    result = GradcheckResult((_report(0), _report(1, passed=False), _report(2, passed=False)))
    text = str(result)
    assert text.startswith("gradcheck failed: input 1 (jacobian)")
    assert "; input 2 (jacobian)" in text and "input 0" not in text


def test_kinks_are_listed_per_input_and_summarised():
    result = GradcheckResult(
        (_report(0, kinks=("input(0,)", "input(2,)")), _report(1, kinks=("input(5,)",)))
    )
    assert result.kinks == ((0, "input(0,)"), (0, "input(2,)"), (1, "input(5,)"))
    summary = result.kink_summary()
    assert summary.startswith("gradcheck found 3 kink(s)")
    assert summary.endswith("input 0: input(0,), input 0: input(2,), input 1: input(5,)")
    assert str(result) == f"gradcheck passed ({summary})"


def test_no_kinks_say_so_and_many_are_counted_past_six():
    assert GradcheckResult((_report(),)).kink_summary() == "no kinks"
    assert str(GradcheckResult((_report(),))) == "gradcheck passed"
    many = GradcheckResult((_report(kinks=tuple(f"input({i},)" for i in range(9))),))
    assert many.kink_summary().endswith("input 0: input(5,), and 3 more")


def test_reports_and_results_are_frozen_and_the_error_types_are_their_kinds():
    with pytest.raises(dataclasses.FrozenInstanceError):
        _report().passed = False  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        GradcheckResult(()).reports = ()  # type: ignore[misc]
    assert issubclass(GradcheckError, RuntimeError)
    assert issubclass(GradcheckKinkWarning, UserWarning)
