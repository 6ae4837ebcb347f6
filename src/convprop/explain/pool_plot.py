"""`explain maxpool|avgpool --plot`: one row per scenario, X -> Y forward, dL/dY -> dL/dX
backward. Each window has a colour: its cells in X, its output in Y and dL/dY, and the
cells its gradient reaches in dL/dX are ringed in it. A cell several windows reach gets
one ring per window, nested towards the cell's edge, never over its number.

X shows its padding as dashed grey cells (0 for average pooling, -inf for max pooling,
whose padding never wins); cells past the padded edge, where ceil_mode's last windows
hang, are not drawn: they count in no divisor and hold nothing.

Arrows run from each dL/dY cell to where its gradient lands: max pooling, one arrow per
winner; average pooling, one arrow per window, to the ring of its first cell (every cell
ringed in the window's colour gets the same share). Arrows never cross a number: each
runs along its own lane beside the numbers (above them in dL/dY, below them in dL/dX),
down its own track between the two panels, and stops at its window's ring."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .plots import draw_grid, pyplot
from .text import num

if TYPE_CHECKING:
    from .pool import PoolStory, Window

Cell = tuple[int, int]
COLUMNS = ("X", "Y (forward)", "dL/dY (upstream)", "dL/dX (where dL/dY lands)")

FONT = 8.0  # the numbers' size, points (draw_grid's)
RING_WIDTH = 1.2  # ring stroke, points
RING_PITCH = 2.8  # between nested rings' centre lines, points
RING_EDGE = 1.4  # the outermost ring's centre line from the cell's edge, points
CLEAR = 2.5  # between a number's box and the nearest ring or lane, points
LANE_PITCH = 3.8  # between parallel arrows, points
HEAD = 2.0  # an arrowhead's half width, points
TRACK_PITCH = 5.0  # between the arrows' vertical tracks between dL/dY and dL/dX, points
MIN_CELL = 44.0  # points
GAP = 0.45  # inches between panels (tick labels)
TITLE, BELOW, SIDE = 0.62, 0.3, 0.35  # inches above and below each row, at the sides


@dataclass(frozen=True)
class Ring:
    """One window's outline of one cell: inset from the cell's edge by its rank there."""

    cell: Cell
    window: int
    rank: int


@dataclass(frozen=True)
class Route:
    """One arrow: from dL/dY[out] to the ring of `window` around dL/dX[cell]."""

    window: int
    out: Cell
    cell: Cell


@dataclass(frozen=True)
class Layout:
    cell: float  # points per cell
    tracks: int  # most arrows in one scenario
    text_size: tuple[float, float]  # the widest and tallest number, points

    def inset(self, rank: int) -> float:
        """A ring's centre line from its cell's edge, in cells."""
        return (RING_EDGE + rank * RING_PITCH) / self.cell

    def lane(self, slot: float) -> float:
        """A lane's distance from its row's centre line, in cells (clear of the numbers)."""
        return (self.text_size[1] / 2 + CLEAR + HEAD + slot * LANE_PITCH) / self.cell

    @property
    def inches(self) -> float:
        return self.cell / 72

    @property
    def track_gap(self) -> float:
        """Inches between dL/dY and dL/dX: one track per arrow, and the tick labels' gap."""
        return max(GAP, (self.tracks + 2) * TRACK_PITCH / 72)


def padding_cells(story: PoolStory) -> list[Cell]:
    """The cells of the padded input that are not X's (none without padding)."""
    (h, w), (ph, pw) = story.x.shape, story.g.padding
    return [
        (r, c)
        for r in range(-ph, h + ph)
        for c in range(-pw, w + pw)
        if not (0 <= r < h and 0 <= c < w)
    ]


def window_padding(story: PoolStory, win: Window) -> list[Cell]:
    """The padding cells inside a window (its cells past the padded edge left out)."""
    g, (i, j) = story.g, win.out
    rows = [i * g.stride[0] - g.padding[0] + a * g.dilation[0] for a in range(g.kernel[0])]
    cols = [j * g.stride[1] - g.padding[1] + b * g.dilation[1] for b in range(g.kernel[1])]
    pad = set(padding_cells(story))
    return [(r, c) for r in rows for c in cols if (r, c) in pad]


def rings(story: PoolStory, cells_of: str) -> list[Ring]:
    """Outlines for each window's winners ("winners"), or all its cells, padding included
    ("cells"), nested where several windows reach the same cell."""
    seen: dict[Cell, int] = {}
    out = []
    for k, win in enumerate(story.windows):
        cells = win.winners if cells_of == "winners" else [*win.cells, *window_padding(story, win)]
        for rc in cells:
            rank = seen.get(rc, 0)
            seen[rc] = rank + 1
            out.append(Ring(rc, k, rank))
    return out


def routes(story: PoolStory) -> list[Route]:
    """Max pooling: one arrow per winner. Average pooling: one arrow per window, to its
    first cell (the rings say which others get the same share)."""
    if story.setup.kind == "max":
        return [Route(k, w.out, rc) for k, w in enumerate(story.windows) for rc in w.winners]
    return [Route(k, w.out, min(w.cells)) for k, w in enumerate(story.windows) if w.cells]


def _padding_text(story: PoolStory) -> str:
    return "0" if story.setup.kind == "avg" else "-inf"


def _numbers(story: PoolStory) -> list[str]:
    arrays = (story.x, story.y, story.grad_y, story.grad_x)
    return [num(v) for a in arrays for v in a.ravel()] + [_padding_text(story)]


def layout(stories: list[PoolStory]) -> Layout:
    """One cell size for every panel: wide enough that the most rings any cell gets leave
    its number clear, tall enough for the lanes of arrows above and below the numbers."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    measure, prop = TextToPath(), FontProperties(size=FONT)
    sizes = [
        measure.get_text_width_height_descent(s, prop, ismath=False)
        for s in {n for st in stories for n in _numbers(st)}
    ]
    text_w = max(w for w, _, _ in sizes) + 2  # a point of slack each side
    text_h = FONT * 1.15  # matplotlib's box holds a line's full height
    most_rings = max(
        _most(r.cell for r in rings(s, kind)) for s in stories for kind in ("cells", "winners")
    )
    leaving = max(_most(r.out[0] for r in routes(s)) for s in stories)
    landing = max(_most(r.cell[0] for r in routes(s)) for s in stories)
    # lanes leave dL/dY above its numbers; in dL/dX they land below and, between those,
    # above (slot(): never at a height where a lane leaves dL/dY's row of the same index)
    lanes = max(leaving - 1, *(_slot(n)[1] for n in range(landing)))
    innermost = RING_EDGE + (most_rings - 1) * RING_PITCH + RING_WIDTH / 2
    across = 2 * (innermost + CLEAR + text_w / 2)
    down = 2 * (innermost + text_h / 2 + CLEAR + 2 * HEAD + lanes * LANE_PITCH + 1)
    return Layout(
        float(max(MIN_CELL, across, down)),
        max(len(routes(s)) for s in stories),
        (text_w, text_h),
    )


def _slot(n: int) -> tuple[int, float]:
    """The n-th lane landing in a dL/dX row: (side, slot), side 1 below the numbers, -1
    above them, half a slot off the lanes that leave dL/dY above its numbers."""
    return (1, n // 2) if n % 2 == 0 else (-1, n // 2 + 0.5)


def spans(story: PoolStory) -> tuple[Cell, Cell]:
    """(rows, columns) of the X panel (its padding included) and of the other three."""
    (h, w), (oh, ow), (ph, pw) = story.x.shape, story.y.shape, story.g.padding
    return (h + 2 * ph, w + 2 * pw), (max(h, oh), max(w, ow))


def _most(keys: Iterable[Hashable]) -> int:
    """How often the commonest key occurs (1 for none)."""
    counts: dict[Hashable, int] = defaultdict(int)
    for key in keys:
        counts[key] += 1
    return max(counts.values(), default=1)


def _ring(ax: Any, cell: Cell, inset: float, color: Any, **style: Any) -> None:
    from matplotlib.patches import Rectangle

    (i, j), d = cell, inset
    side = 1 - 2 * d
    ax.add_patch(
        Rectangle(
            (j - 0.5 + d, i - 0.5 + d),
            side,
            side,
            fill=False,
            edgecolor=color,
            linewidth=RING_WIDTH,
            **style,
        )
    )


def _padding(ax: Any, story: PoolStory) -> None:
    """X's padding: dashed grey cells holding what the pooling pads with."""
    from matplotlib.patches import Rectangle

    for r, c in padding_cells(story):
        ax.add_patch(
            Rectangle(
                (c - 0.5, r - 0.5),
                1,
                1,
                facecolor="#f2f2f2",
                edgecolor="grey",
                linestyle="--",
                linewidth=0.8,
                gid="padding",
            )
        )
        ax.text(
            c,
            r,
            _padding_text(story),
            ha="center",
            va="center",
            fontsize=FONT,
            color="dimgrey",
            gid="padding",
        )


def _limits(ax: Any, span: Cell, first: Cell = (0, 0)) -> None:
    """The panel spans `span` cells from `first` (X's first padding cell)."""
    (r0, c0), (rows, cols) = first, span
    ax.set_aspect("auto")  # the axes box is already span x cell inches: square cells
    ax.set_xlim(c0 - 0.5, c0 - 0.5 + cols)
    ax.set_ylim(r0 - 0.5 + rows, r0 - 0.5)


def _arrows(fig: Any, row: Any, story: PoolStory, lay: Layout, colors: Any) -> None:
    """Each route: along a lane above the numbers of its dL/dY row, down its own track
    between the panels, along a lane below the numbers of its dL/dX row, to its ring."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    rs = routes(story)
    ranks = {(r.window, r.cell): r.rank for r in rings(story, "winners")}
    shift = spans(story)[1][1] + lay.track_gap / lay.inches  # dL/dY's x -> dL/dX's
    slot_out: dict[int, int] = defaultdict(int)
    slot_in: dict[int, int] = defaultdict(int)
    for n, route in enumerate(sorted(rs, key=lambda r: (r.out, r.cell))):
        (i, j), (r, c) = route.out, route.cell
        y_out = i - lay.lane(slot_out[i])
        side, slot = _slot(slot_in[r])
        y_in = r + side * lay.lane(slot)
        slot_out[i] += 1
        slot_in[r] += 1
        start = j - 0.5 + lay.inset(0) + RING_WIDTH / lay.cell - shift
        track = -0.5 - lay.track_gap / lay.inches + (n + 1) * TRACK_PITCH / lay.cell
        end = c - 0.5 + lay.inset(ranks[(route.window, route.cell)])  # on its ring
        path = Path([(start, y_out), (track, y_out), (track, y_in), (end, y_in)])
        color = colors(route.window % 10)
        fig.add_artist(
            FancyArrowPatch(
                path=path,
                arrowstyle="-|>",
                mutation_scale=HEAD * 3,
                linewidth=1.1,
                color=color,
                transform=row[3].transData,
                gid=f"route {i},{j} -> {r},{c}",
            )
        )
        row[2].plot([start + shift], [y_out], "o", color=color, markersize=3.2)


def _titles(row: Any, story: PoolStory) -> None:
    title = story.setup.title or "input"
    what = "each window's maximum" if story.setup.kind == "max" else "each window's cells"
    pad = ""
    if story.g.padding != (0, 0):
        pad = f"; dashed: padding ({_padding_text(story)})"
    row[0].set_title(f"{title}\nX, {what} outlined{pad}", fontsize=9)
    if story.setup.kind == "avg":
        row[3].set_title(
            "dL/dX: one arrow per window, to its first cell;\n"
            "every cell ringed in its colour gets dL/dY / divisor",
            fontsize=9,
        )
    else:
        row[3].set_title("dL/dX: one arrow per winner, ending\nat its window's ring", fontsize=9)


def pool_figure(stories: list[PoolStory]) -> Any:
    plt = pyplot()
    lay = layout(stories)
    rows = []
    for story in stories:
        (xr, xc), (r, c) = spans(story)
        widths = [xc * lay.inches] + [c * lay.inches] * 3
        lefts = [SIDE]
        for width, gap in zip(widths, (GAP, GAP, lay.track_gap), strict=False):
            lefts.append(lefts[-1] + width + gap)
        heights = [xr * lay.inches] + [r * lay.inches] * 3
        rows.append((lefts, widths, heights))
    fig_w = max(lefts[-1] + widths[-1] + SIDE for lefts, widths, _ in rows)
    fig_h = sum(TITLE + max(h) + BELOW for _, _, h in rows)
    fig = plt.figure(figsize=(fig_w, fig_h))
    colors = plt.get_cmap("tab10")
    top = fig_h
    for story, (lefts, widths, heights) in zip(stories, rows, strict=True):
        top -= TITLE
        row = [
            fig.add_axes((x / fig_w, (top - h) / fig_h, w / fig_w, h / fig_h))
            for x, w, h in zip(lefts, widths, heights, strict=True)
        ]
        top -= max(heights) + BELOW
        x_span, span = spans(story)
        for ax, name, a in zip(
            row, COLUMNS, (story.x, story.y, story.grad_y, story.grad_x), strict=True
        ):
            draw_grid(ax, a, name, pale=True)
            _limits(ax, span)
        row[3].yaxis.tick_right()  # the arrows' tracks run where its labels would be
        _padding(row[0], story)
        _limits(row[0], x_span, (-story.g.padding[0], -story.g.padding[1]))
        _titles(row, story)
        forward = "winners" if story.setup.kind == "max" else "cells"
        for ring in rings(story, forward):
            _ring(row[0], ring.cell, lay.inset(ring.rank), colors(ring.window % 10))
        for ring in rings(story, "winners"):
            _ring(row[3], ring.cell, lay.inset(ring.rank), colors(ring.window % 10))
        for k, win in enumerate(story.windows):
            for ax in row[1:3]:
                _ring(ax, win.out, lay.inset(0), colors(k % 10))
        _arrows(fig, row, story, lay, colors)
    return fig


def ring_colors(ax: Any) -> dict[Cell, list[tuple[float, ...]]]:
    """The outline colours drawn on each cell of a panel (for tests and checks)."""
    import numpy as np
    from matplotlib.patches import Rectangle

    found: dict[Cell, list[tuple[float, ...]]] = {}
    for p in ax.patches:
        if isinstance(p, Rectangle) and not p.get_fill():
            x, y = p.get_xy()
            cell = (round(y + p.get_height() / 2), round(x + p.get_width() / 2))
            edge = np.asarray(p.get_edgecolor(), dtype=np.float64)
            found.setdefault(cell, []).append(tuple(np.round(edge, 4)))
    return found
