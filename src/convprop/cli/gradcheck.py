"""`convprop gradcheck`: every kernel's gradients against central differences, as a table
that fits the terminal: the configuration comes last and wraps within its own column."""

from __future__ import annotations

import textwrap

from ..explain.text import fit, terminal_width
from ..gradcheck.grid import grid

COLUMNS = (("kernel", 18, "<"), ("max rel error", 13, ">"), ("kinks", 5, ">"), ("pass", 4, "<"))


def table_row(cells: tuple[str, ...], config: str, width: int) -> list[str]:
    """One row: the fixed columns, then the configuration wrapped under its own heading."""
    head = " ".join(f"{c:{align}{w}}" for c, (_, w, align) in zip(cells, COLUMNS, strict=True))
    indent = " " * (len(head) + 2)
    wrapped = textwrap.wrap(config, max(width - len(indent), 20), break_on_hyphens=False) or [""]
    return [f"{head}  {wrapped[0]}".rstrip(), *(indent + part for part in wrapped[1:])]


def run_gradcheck(quick: bool = False) -> int:
    width = terminal_width()
    header = table_row(tuple(name for name, _, _ in COLUMNS), "configuration", width)[0]
    print(header)
    print("-" * min(width, max(len(header), 80)))
    failures = kinked = 0
    for case in grid(quick=quick):
        reports = case.check()
        worst = max(r.max_rel_error for r in reports)
        ok = all(r.passed for r in reports)
        kinks = sum(len(r.kinks) for r in reports)
        failures += not ok
        kinked += kinks
        cells = (case.kernel, f"{worst:.2e}", str(kinks), "yes" if ok else "NO")
        details = [f"    {r.describe()}" for r in reports if not r.passed or r.kinks]
        for line in table_row(cells, case.config, width) + fit(details, width):
            print(line)
    if kinked:
        note = (
            "kinks: elements whose finite-difference step changed a max-pool winner or "
            "crossed another non-differentiable point; there the analytic gradient must lie "
            "between the one-sided slopes"
        )
        print("\n".join(fit([note], width)))
    print(f"{'all passed' if not failures else f'{failures} failed'}")
    return 1 if failures else 0
