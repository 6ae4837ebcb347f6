"""explain/text.py: every explanation fits the terminal (COLUMNS honoured): long lines
wrap at spaces, grids too wide print in blocks of columns, side-by-side grids stack."""

import numpy as np
import pytest

from convprop.cli import main
from convprop.explain.text import fit, grid, side_by_side

COMMANDS = [
    ["explain", "conv"],
    [
        "explain",
        "conv",
        "--stride",
        "2",
        "--padding",
        "1",
        "--dilation",
        "2",
        "--input",
        "7",
        "--pixel",
        "3,3",
        "--weight",
        "0,2",
    ],
    ["explain", "conv", "--convention", "convolution", "--input", "24"],
    ["explain", "maxpool"],
    ["explain", "maxpool", "--ties", "split", "--input", "9,13", "--kernel", "3"],
    ["explain", "avgpool"],
    ["explain", "shape", "32x32x3", "--filters", "6", "16", "--kernel", "5", "--stride", "2"],
    ["shape", "32x32x3", "--filters", "6", "16", "--kernel", "5", "--stride", "2"],
]


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
    rows = [
        " ".join(b[r] for b in blocks).replace("[", " ").replace("]", " ").split() for r in range(3)
    ]
    np.testing.assert_array_equal(np.array(rows, dtype=int), a)
    assert any("[" in line and "]" in line for line in lines)
    wide = side_by_side([grid("B", np.ones((2, 8))), grid("C", np.ones((2, 8)))])
    assert all(len(line) <= 40 for line in wide) and wide[0].startswith("B (2x8)")


OPERATORS = {"=", "/", "*", "+", "-"}


def _glued(words, k, depth):
    """Whether the gap after words[k] lies inside an arithmetic expression or brackets."""
    prev, nxt = words[k], words[k + 1]
    return (
        depth > 0
        or prev in OPERATORS
        or nxt in OPERATORS
        or prev in ("sum", "max")
        or prev.startswith("sum_")
    )


def _bad_breaks(line, pieces, width):
    """Breaks inside an expression or brackets, except where a group longer than a line
    must break: at its top level before "=", "+" or "-", or between two words of a long
    bracketed aside (never next to an operator)."""
    words = line.split()
    depths, depth = [], 0
    for w in words:
        depth += sum(w.count(c) for c in "([") - sum(w.count(c) for c in ")]")
        depths.append(depth)
    bad, at = [], -1
    for piece in pieces[:-1]:
        at += len(piece.split())  # index of the last word before the break
        if not _glued(words, at, depths[at]):
            continue
        lo, hi = at, at + 1  # the whole expression around the break
        while lo > 0 and _glued(words, lo - 1, depths[lo - 1]):
            lo -= 1
        while hi < len(words) - 1 and _glued(words, hi, depths[hi]):
            hi += 1
        too_long = len(" ".join(words[lo : hi + 1])) > width - 8
        top_level = depths[at] <= 0 and words[at + 1] in ("=", "+", "-")
        between_words = words[at] not in OPERATORS and words[at + 1] not in OPERATORS
        if not (too_long and (top_level or between_words)):  # a long (aside) breaks too
            bad.append(f"{' '.join(words[max(0, at - 2) : at + 1])} | {words[at + 1]}")
    return bad


@pytest.mark.parametrize("columns", [60, 80])
@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "avgpool"],
        ["explain", "maxpool"],
        ["explain", "conv"],
        [
            "explain",
            "conv",
            "--stride",
            "2",
            "--padding",
            "1",
            "--dilation",
            "2",
            "--input",
            "7",
            "--pixel",
            "3,3",
            "--weight",
            "0,2",
        ],
    ],
    ids=lambda a: "-".join(a[:4]),
)
def test_lines_break_only_between_whole_terms(argv, columns, monkeypatch, capsys):
    from convprop.explain import text

    seen, real = [], text.fit
    monkeypatch.setattr(text, "fit", lambda lines, width=None: real(seen.extend(lines) or seen))
    monkeypatch.setenv("COLUMNS", str(columns))
    assert main(argv) == 0
    assert capsys.readouterr().out.splitlines() == real(seen, columns)
    bad = []
    for line in seen:
        pieces = real([line], columns)
        assert " ".join(" ".join(p.split()) for p in pieces) == " ".join(line.split())
        bad += _bad_breaks(line, pieces, columns)
    assert not bad, bad
    # the reviewer's case: an average window's "sum 13 / 4 = 3.25" stays on one line
    if "avgpool" in argv:
        assert any("sum 4 / 4 = 1" in p for p in real(seen, columns))


def test_a_division_is_never_split():
    line = "  window (0,0): (1, 1, 5, 6) + 5 padding cell(s) -> sum 13 / 9 = 1.444 (divisor 9)"
    for width in range(40, 90):
        for piece in fit([line], width):
            words = piece.split()
            assert words[-1] not in OPERATORS and words[0] not in OPERATORS, (width, piece)
