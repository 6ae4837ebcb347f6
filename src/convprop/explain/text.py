"""Numbers as text: matrices with aligned columns, marked cells, and sums written out."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable

import numpy as np


def terminal_width() -> int:
    """The terminal's width in characters (COLUMNS honoured; 80 when not a terminal)."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def fit(lines: Iterable[str], width: int | None = None) -> list[str]:
    """Each line wrapped at spaces to the width, continued 4 further in than it starts;
    a word longer than the width stays whole."""
    width = width or terminal_width()
    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(
            line.strip(), width, initial_indent=indent, subsequent_indent=indent + "    ",
            break_long_words=False, break_on_hyphens=False,
        )  # fmt: skip
    return out


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
