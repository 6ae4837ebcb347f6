"""Numbers as text: matrices with aligned columns, marked cells, and sums written out."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def num(v: float) -> str:
    """A number as short as it is exact: 3, -0.5, 0.3333."""
    v = float(v)
    if np.isnan(v):
        return "nan"
    if v == int(v) and abs(v) < 1e12:
        return str(int(v))
    return f"{v:.4g}"


def grid(title: str, a: np.ndarray, marked: Iterable[tuple[int, int]] = ()) -> list[str]:
    """A 2-D array under its title; marked cells in [brackets], the others padded alike."""
    a = np.asarray(a)
    marks = set(marked)
    cells = [[num(v) for v in row] for row in a]
    width = max((len(c) for row in cells for c in row), default=1)
    lines = [f"{title} ({a.shape[0]}x{a.shape[1]}):"]
    for i, row in enumerate(cells):
        text = " ".join(
            f"[{c:>{width}}]" if (i, j) in marks else f" {c:>{width}} " for j, c in enumerate(row)
        )
        lines.append("    " + text)
    return lines


def side_by_side(blocks: list[list[str]], gap: int = 4) -> list[str]:
    """Blocks of lines printed next to each other (a filter beside its flipped copy)."""
    height = max(len(b) for b in blocks)
    widths = [max(len(line) for line in b) for b in blocks]
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
