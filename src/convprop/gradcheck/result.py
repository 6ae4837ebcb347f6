"""What gradcheck finds: one report per input, and the result of a whole check, which
is true or false like a bool and lists the kinks it found."""

from __future__ import annotations

from dataclasses import dataclass


class GradcheckError(RuntimeError):
    """An analytic gradient disagrees with the numerical one."""


class GradcheckKinkWarning(UserWarning):
    """Some elements' finite-difference step crossed a kink (a max-pool winner changing, a
    ReLU input crossing zero): there the analytic gradient was only held between the
    one-sided slopes, not compared with the central difference."""


@dataclass(frozen=True)
class InputReport:
    """How one input's analytic gradient compares with the numerical one."""

    input_index: int
    method: str  # "jacobian" or "dot-product"
    max_abs_error: float
    max_rel_error: float
    worst: str  # where the worst disagreement is, in words
    numerical: float
    analytic: float
    passed: bool
    kinks: tuple[str, ...] = ()  # elements whose finite-difference step crossed a kink
    # set when the worst element is a kink whose analytic value lies outside its
    # one-sided slopes (left, right): then `numerical` is the nearer of the two
    slopes: tuple[float, float] | None = None

    def describe(self) -> str:
        if self.slopes is not None:
            lo, hi = sorted(self.slopes)
            text = (
                f"input {self.input_index} ({self.method}): {self.worst}: analytic "
                f"{self.analytic:.10g} lies outside the one-sided slopes [{lo:.6g}, {hi:.6g}] "
                "at a kink, where any valid gradient lies"
            )
        else:
            text = (
                f"input {self.input_index} ({self.method}): {self.worst}: numerical "
                f"{self.numerical:.10g}, analytic {self.analytic:.10g} (abs error "
                f"{self.max_abs_error:.3g}, rel error {self.max_rel_error:.3g})"
            )
        if self.kinks:
            shown = ", ".join(self.kinks[:4]) + (", ..." if len(self.kinks) > 4 else "")
            text += f"; {len(self.kinks)} kink(s), checked between their one-sided slopes: {shown}"
        return text


@dataclass(frozen=True)
class GradcheckResult:
    """gradcheck's answer: `bool(result)` is whether every input passed; `kinks` lists
    (input index, element) for every element whose step crossed a kink (checked only
    between its one-sided slopes)."""

    reports: tuple[InputReport, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.reports)

    @property
    def kinks(self) -> tuple[tuple[int, str], ...]:
        return tuple((r.input_index, k) for r in self.reports for k in r.kinks)

    def __bool__(self) -> bool:
        return self.passed

    def kink_summary(self) -> str:
        if not self.kinks:
            return "no kinks"
        shown = ", ".join(f"input {i}: {k}" for i, k in self.kinks[:6])
        more = f", and {len(self.kinks) - 6} more" if len(self.kinks) > 6 else ""
        return (
            f"gradcheck found {len(self.kinks)} kink(s), elements whose finite-difference step "
            "changed a max-pool winner or carried a ReLU input across zero; there the analytic "
            f"gradient was held between the one-sided slopes, not to the central difference: "
            f"{shown}{more}"
        )

    def __str__(self) -> str:
        failed = [r for r in self.reports if not r.passed]
        head = "gradcheck failed: " if failed else "gradcheck passed"
        text = head + "; ".join(r.describe() for r in failed)
        return text + (f" ({self.kink_summary()})" if self.kinks else "")
