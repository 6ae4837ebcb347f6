"""`explain maxpool|avgpool --plot`: one row per scenario, X -> Y forward, dL/dY -> dL/dX
backward. Each window has a colour: its cells in X, its output in Y and dL/dY, and the
cells its gradient reaches in dL/dX are outlined in it, and an arrow runs from its
dL/dY cell to each of them. A cell several windows reach gets one ring per window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .plots import draw_grid, pyplot

if TYPE_CHECKING:
    from .pool import PoolStory

Cell = tuple[int, int]
COLUMNS = ("X", "Y (forward)", "dL/dY (upstream)", "dL/dX (where dL/dY lands)")


@dataclass(frozen=True)
class Ring:
    """One window's outline of one cell: inset from the cell's edge by its rank there."""

    cell: Cell
    window: int
    inset: float


def rings(story: PoolStory, cells_of: str) -> list[Ring]:
    """Outlines for each window's winners ("winners") or all its input cells ("cells"),
    nested where several windows reach the same cell."""
    seen: dict[Cell, int] = {}
    out = []
    for k, win in enumerate(story.windows):
        for rc in win.winners if cells_of == "winners" else win.cells:
            rank = seen.get(rc, 0)
            seen[rc] = rank + 1
            out.append(Ring(rc, k, 0.04 + 0.09 * rank))
    return out


def _ring(ax: Any, ring: Ring, color: Any) -> None:
    from matplotlib.patches import Rectangle

    (i, j), d = ring.cell, ring.inset
    side = 1 - 2 * d
    ax.add_patch(Rectangle((j - 0.5 + d, i - 0.5 + d), side, side, fill=False,
                           edgecolor=color, linewidth=2))  # fmt: skip


def arrow_ends(story: PoolStory, win: Any) -> list[tuple[float, float]]:
    """Where a window's arrows point in dL/dX: at each winner (max), or at the middle of
    the window's cells (average: every cell gets the same share, the rings say which)."""
    if story.setup.kind == "max":
        return [(float(r), float(c)) for r, c in win.winners]
    rows, cols = zip(*win.cells, strict=True)
    return [((min(rows) + max(rows)) / 2, (min(cols) + max(cols)) / 2)]


def _same_cells(axes: Any, rows: int, cols: int) -> None:
    """Every panel spans rows x cols cells, so that cells are one size in every row."""
    for ax in axes:
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)


def pool_figure(stories: list[PoolStory]) -> Any:
    from matplotlib.patches import ConnectionPatch

    plt = pyplot()
    arrays = [a for s in stories for a in (s.x, s.y, s.grad_y, s.grad_x)]
    rows = max(a.shape[0] for a in arrays)
    cols = max(a.shape[1] for a in arrays)
    fig, axes = plt.subplots(
        len(stories), 4, figsize=(3.4 * 4, 0.65 * rows * len(stories) + 1.0 * len(stories)),
        squeeze=False,
    )  # fmt: skip
    colors = plt.get_cmap("tab10")
    for row, story in zip(axes, stories, strict=True):
        title = story.setup.title or "input"
        for ax, name, a in zip(row, COLUMNS, (story.x, story.y, story.grad_y, story.grad_x),
                               strict=True):  # fmt: skip
            draw_grid(ax, a, name, pale=True)
        what = "each window's maximum" if story.setup.kind == "max" else "each window's cells"
        row[0].set_title(f"{title}\nX, {what} outlined", fontsize=9)
        _same_cells(row, rows, cols)
        forward = "winners" if story.setup.kind == "max" else "cells"
        for ring in rings(story, forward):
            _ring(row[0], ring, colors(ring.window % 10))
        for ring in rings(story, "winners"):
            _ring(row[3], ring, colors(ring.window % 10))
        for k, win in enumerate(story.windows):
            color = colors(k % 10)
            for ax in row[1:3]:
                _ring(ax, Ring(win.out, k, 0.04), color)
            for r, c in arrow_ends(story, win):
                arrow = ConnectionPatch(
                    xyA=(win.out[1], win.out[0]), coordsA=row[2].transData,
                    xyB=(c, r), coordsB=row[3].transData, axesA=row[2], axesB=row[3],
                    arrowstyle="->", color=color, alpha=0.8, shrinkA=11, shrinkB=11,
                )  # fmt: skip
                fig.add_artist(arrow)
        if story.setup.kind == "avg":
            row[3].set_title(
                "dL/dX: each ringed cell gets\nits window's dL/dY / divisor", fontsize=9
            )
    fig.tight_layout()
    return fig


def ring_colors(ax: Any) -> dict[Cell, list[tuple[float, ...]]]:
    """The outline colours drawn on each cell of a panel (for tests and checks)."""
    from matplotlib.patches import Rectangle

    found: dict[Cell, list[tuple[float, ...]]] = {}
    for p in ax.patches:
        if isinstance(p, Rectangle) and not p.get_fill():
            x, y = p.get_xy()
            cell = (round(y + p.get_height() / 2), round(x + p.get_width() / 2))
            edge = np.asarray(p.get_edgecolor(), dtype=np.float64)
            found.setdefault(cell, []).append(tuple(np.round(edge, 4)))
    return found
