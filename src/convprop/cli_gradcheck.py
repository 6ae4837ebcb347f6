"""`convprop gradcheck`: every kernel's gradients against central differences, as a table."""

from __future__ import annotations

from .kernel_checks import grid


def run_gradcheck(quick: bool = False) -> int:
    header = f"{'kernel':<18} {'configuration':<72} {'max rel error':>13} {'kinks':>5}  pass"
    print(header)
    print("-" * len(header))
    failures = kinked = 0
    for case in grid(quick=quick):
        reports = case.check()
        worst = max(r.max_rel_error for r in reports)
        ok = all(r.passed for r in reports)
        kinks = sum(len(r.kinks) for r in reports)
        failures += not ok
        kinked += kinks
        print(
            f"{case.kernel:<18} {case.config:<72} {worst:>13.2e} {kinks:>5}  "
            f"{'yes' if ok else 'NO'}"
        )
        for r in reports:
            if not r.passed or r.kinks:
                print(f"    {r.describe()}")
    if kinked:
        print("kinks: elements whose finite-difference step changed a max-pool winner or")
        print("crossed another non-differentiable point; reported, left out of the comparison")
    print(f"{'all passed' if not failures else f'{failures} failed'}")
    return 1 if failures else 0
