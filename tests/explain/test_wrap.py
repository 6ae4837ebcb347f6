"""explain/text.py: every explanation fits the terminal (COLUMNS honoured): long lines
wrap at spaces, grids too wide print in blocks of columns, side-by-side grids stack."""

import numpy as np
import pytest

from convprop.cli import main
from convprop.explain.text import fit, grid, side_by_side

COMMANDS = [
    ["explain", "conv"],
    ["explain", "conv", "--stride", "2", "--padding", "1", "--dilation", "2", "--input", "7",
     "--pixel", "3,3", "--weight", "0,2"],
    ["explain", "conv", "--convention", "convolution", "--input", "24"],
    ["explain", "maxpool"],
    ["explain", "maxpool", "--ties", "split", "--input", "9,13", "--kernel", "3"],
    ["explain", "avgpool"],
    ["explain", "shape", "32x32x3", "--filters", "6", "16", "--kernel", "5", "--stride", "2"],
    ["shape", "32x32x3", "--filters", "6", "16", "--kernel", "5", "--stride", "2"],
]  # fmt: skip


@pytest.mark.parametrize("columns", [60, 80])
@pytest.mark.parametrize("argv", COMMANDS, ids=lambda a: "-".join(a[:3]))
def test_no_line_is_wider_than_the_terminal(argv, columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(argv) == 0
    for line in capsys.readouterr().out.splitlines():
        assert len(line) <= columns or " " not in line.strip(), line


def test_wrapping_keeps_every_word_in_order_and_indents_continuations():
    line = "  reads " + ", ".join(f"X[{i},{i}]*W[0,{i}]" for i in range(20))
    wrapped = fit([line], 40)
    assert len(wrapped) > 1 and all(len(w) <= 40 for w in wrapped)
    assert wrapped[0].startswith("  reads") and all(w.startswith("      ") for w in wrapped[1:])
    assert " ".join(w.strip() for w in wrapped) == line.strip()
    assert fit(["x" * 50], 40) == ["x" * 50]  # one long word stays whole


def test_a_wide_grid_is_printed_in_blocks_holding_every_number(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    a = np.arange(3 * 20).reshape(3, 20)
    lines = grid("A", a, [(1, 17)])
    assert all(len(line) <= 40 for line in lines)
    heads = [k for k, line in enumerate(lines) if line.startswith("A (3x20)")]
    blocks = [lines[k + 1 : k + 4] for k in heads]
    rows = [" ".join(b[r] for b in blocks).replace("[", " ").replace("]", " ").split()
            for r in range(3)]  # fmt: skip
    np.testing.assert_array_equal(np.array(rows, dtype=int), a)
    assert any("[" in line and "]" in line for line in lines)
    wide = side_by_side([grid("B", np.ones((2, 8))), grid("C", np.ones((2, 8)))])
    assert all(len(line) <= 40 for line in wide) and wide[0].startswith("B (2x8)")
