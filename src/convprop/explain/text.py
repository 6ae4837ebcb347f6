"""Numbers as text: matrices with aligned columns, marked cells, and sums written out."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Iterable

import numpy as np


def terminal_width() -> int:
    """The terminal's width in characters (COLUMNS honoured; 80 when not a terminal)."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


OPERATORS = frozenset({"=", "/", "*", "+", "-"})
# words that introduce the value after them: "sum 13 / 4 = 3.25", "max 6", "sum_ab Xp[...]"
PREFIXES = frozenset({"sum", "max"})


def fit(lines: Iterable[str], width: int | None = None) -> list[str]:
    """Each line wrapped to the width, continued 4 further in than it starts. Lines break
    only between whole terms: never next to an arithmetic operator ("13 / 4 = 3.25" and
    "0.25 + 0.5 = 0.75" stay whole), nor inside brackets. Only an expression longer than a
    line is split, before its top-level "=" (or, if that is not enough, its "+" or "-")."""
    width = width or terminal_width()
    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out += _pack(_terms(line.strip(), width - len(indent) - 4), width, indent)
    return out


def _terms(text: str, room: int) -> list[str]:
    """The text cut where a line may break; a term longer than room is cut at its
    top-level "=", then "+" / "-", then "," (the first level that makes the pieces fit)."""
    words = text.split(" ")
    # rank of each gap between words: 0 a free break; 1-4 inside an expression or brackets
    ranks, depth = [], 0
    for prev, nxt in itertools.pairwise(words):
        depth += sum(prev.count(c) for c in "([") - sum(prev.count(c) for c in ")]")
        glued = (
            depth > 0
            or prev in OPERATORS
            or nxt in OPERATORS
            or prev in PREFIXES
            or prev.startswith("sum_")
            or not prev
            or not nxt
        )
        if not glued:
            ranks.append(0)
        elif depth <= 0 and nxt == "=":
            ranks.append(1)
        elif depth <= 0 and nxt in ("+", "-"):
            ranks.append(2)
        elif depth <= 0 and prev.endswith(","):
            ranks.append(3)
        else:
            ranks.append(4)
    for level in range(5):
        pieces = _cut(words, ranks, level)
        if all(len(p) <= room for p in pieces) or level == 4:
            return pieces
    raise AssertionError("unreachable")


def _cut(words: list[str], ranks: list[int], level: int) -> list[str]:
    pieces, start = [], 0
    for k, rank in enumerate(ranks):
        if rank <= level:
            pieces.append(" ".join(words[start : k + 1]))
            start = k + 1
    return [*pieces, " ".join(words[start:])]


def _pack(terms: list[str], width: int, indent: str) -> list[str]:
    """Terms filled greedily into lines; a term longer than a line stays whole."""
    lines, cur = [], indent
    for term in terms:
        if cur.strip() and len(cur) + 1 + len(term) > width:
            lines.append(cur)
            cur = indent + "    " + term
        else:
            cur += (" " if cur.strip() else "") + term
    return [*lines, cur]


def num(v: float) -> str:
    """A number as short as it is exact: 3, -0.5, 0.3333."""
    v = float(v)
    if np.isnan(v):
        return "nan"
    if v == int(v) and abs(v) < 1e12:
        return str(int(v))
    return f"{v:.4g}"


def grid(title: str, a: np.ndarray, marked: Iterable[tuple[int, int]] = ()) -> list[str]:
    """A 2-D array under its title; marked cells in [brackets], the others padded alike.
    Too wide for the terminal, it is printed in blocks of columns."""
    a = np.asarray(a)
    marks = set(marked)
    cells = [[num(v) for v in row] for row in a]
    width = max((len(c) for row in cells for c in row), default=1)
    per_block = max(1, (terminal_width() - 4 + 1) // (width + 3))
    head = f"{title} ({a.shape[0]}x{a.shape[1]})"
    lines = []
    for start in range(0, max(a.shape[1], 1), per_block):
        stop = min(start + per_block, a.shape[1])
        split = a.shape[1] > per_block
        lines.append(head + (f", columns {start}-{stop - 1}:" if split else ":"))
        for i, row in enumerate(cells):
            text = " ".join(
                f"[{row[j]:>{width}}]" if (i, j) in marks else f" {row[j]:>{width}} "
                for j in range(start, stop)
            )
            lines.append("    " + text)
    return lines


def side_by_side(blocks: list[list[str]], gap: int = 4) -> list[str]:
    """Blocks of lines printed next to each other (a filter beside its flipped copy), or
    one under the other when side by side they would not fit the terminal."""
    widths = [max(len(line) for line in b) for b in blocks]
    if sum(widths) + gap * (len(blocks) - 1) > terminal_width():
        return [line for b in blocks for line in [*b, ""]][:-1]
    height = max(len(b) for b in blocks)
    out = []
    for r in range(height):
        parts = [(b[r] if r < len(b) else "").ljust(w) for b, w in zip(blocks, widths, strict=True)]
        out.append((" " * gap).join(parts).rstrip())
    return out


def product_sum(terms: list[tuple[float, float]], total: float) -> str:
    """'2*1 + (-1)*3 + 0*4 = -1': a sum of products written out, then its value."""
    if not terms:
        return f"(no terms) = {num(total)}"

    def factor(v: float) -> str:
        return f"({num(v)})" if v < 0 else num(v)

    return " + ".join(f"{factor(p)}*{factor(q)}" for p, q in terms) + f" = {num(total)}"
