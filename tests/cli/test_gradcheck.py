"""cli/gradcheck.py: `convprop gradcheck`'s table through convprop.cli.main: a failing
case says NO, names the input and exits 1; kinks are explained; the configuration wraps
under its own heading; a bad flag is argparse's usage and exit 2."""

from dataclasses import dataclass

import numpy as np
import pytest

from convprop.cli import gradcheck as cli_gradcheck
from convprop.cli import main
from convprop.cli.gradcheck import COLUMNS, table_row
from convprop.gradcheck import check_gradients


def _square(x):
    return x**2, lambda g: (2 * x * g,)


def _wrong(x):
    return x**2, lambda g: (3 * x * g,)


def _relu(x):
    return np.maximum(x, 0), lambda g: (g * (x > 0),)


@dataclass
class Case:
    kernel: str
    config: str
    fn: object
    x: np.ndarray

    def check(self):
        return check_gradients(self.fn, [self.x])


def _grid(*cases):
    return lambda quick=False: list(cases)


def test_a_wrong_gradient_is_a_no_row_with_the_input_named_and_exit_1(capsys, monkeypatch):
    x = np.random.default_rng(0).standard_normal((2, 3))
    cases = [Case("good", "plain", _square, x), Case("bad", "off by half", _wrong, x)]
    monkeypatch.setattr(cli_gradcheck, "grid", _grid(*cases))
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["gradcheck"]) == 1
    lines = capsys.readouterr().out.splitlines()
    rows = {line.split()[0]: line for line in lines[2:] if line.split()[:1] in (["good"], ["bad"])}
    assert rows["good"].split()[3] == "yes" and rows["bad"].split()[3] == "NO"
    assert "off by half" in rows["bad"]
    details = [line for line in lines if line.startswith("    input 0 (jacobian)")]
    assert len(details) == 1 and "numerical" in details[0] and "analytic" in details[0]
    assert lines[-1] == "1 failed"


def test_kinks_are_counted_and_explained_but_pass(capsys, monkeypatch):
    x = np.array([[-1.0, 0.0, 2.0]])  # ReLU at 0: one kink
    monkeypatch.setattr(cli_gradcheck, "grid", _grid(Case("relu", "at zero", _relu, x)))
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["gradcheck", "--quick"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("relu"))
    assert row.split()[2:4] == ["1", "yes"]
    flat = " ".join(out.split())  # the detail and the note wrap to the terminal
    assert "1 kink(s), checked between their one-sided slopes: input(0, 1)" in flat
    assert "kinks: elements whose finite-difference step changed a max-pool winner" in flat
    assert out.strip().endswith("all passed")


def test_the_quick_flag_reaches_the_grid(capsys, monkeypatch):
    asked = []

    def grid(quick=False):
        asked.append(quick)
        return []

    monkeypatch.setattr(cli_gradcheck, "grid", grid)
    assert main(["gradcheck", "--quick"]) == 0 and main(["gradcheck"]) == 0
    assert asked == [True, False]
    assert capsys.readouterr().out.splitlines()[-1] == "all passed"


def test_a_row_puts_each_column_at_its_width_and_wraps_the_configuration_under_itself():
    config = "stride=(2, 1) padding=1 dilation=2 groups=3 algorithm=im2col bias=True " * 2
    config = config.strip()
    lines = table_row(("conv2d", "1.00e-09", "0", "yes"), config, 80)
    head_width = sum(w for _, w, _ in COLUMNS) + len(COLUMNS) - 1
    assert lines[0][:head_width] == f"{'conv2d':<18} {'1.00e-09':>13} {'0':>5} {'yes':<4}"
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    indent = head_width + 2
    assert all(line[:indent] == " " * indent and line[indent] != " " for line in lines[1:])
    assert " ".join(part.strip() for part in [lines[0][indent:], *lines[1:]]) == config


def test_a_narrow_terminal_still_leaves_the_configuration_20_columns():
    lines = table_row(("k", "0", "0", "yes"), "abc " * 30, 10)
    parts = [lines[0][45:], *(line[45:] for line in lines[1:])]
    assert all(len(p) <= 20 for p in parts) and max(len(p) for p in parts) >= 16


def test_a_bad_flag_is_the_subcommands_usage_and_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["gradcheck", "--fast"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: convprop gradcheck")
    assert err.strip().splitlines()[-1] == (
        "convprop gradcheck: error: unrecognized arguments: --fast"
    )
