"""explain/pool_plot.py: every window's route can be traced in the picture and no mark
hides a number. Measured on the drawn figure (its renderer, display coordinates): arrows
start in their dL/dY cell and end in the cell torch says the gradient reaches, cross no
number's box anywhere (arrowheads included); every ring leaves its cell's number clear;
X's padding is drawn, and each window rings as many padding cells as its divisor line
says; every panel has one cell size."""

import re

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.patches import FancyArrowPatch, Rectangle

from convprop.explain.plots import pyplot
from convprop.explain.pool import course_scenarios, tell
from convprop.explain.pool_plot import pool_figure, ring_colors

from .torch_pool import torch_route


@pytest.fixture(scope="module", params=["max", "avg"])
def drawn(request):
    stories = [tell(s, x) for s, x in course_scenarios(request.param)]
    fig = pool_figure(stories)
    fig.canvas.draw()
    rows = np.array([ax for ax in fig.axes if ax.images]).reshape(len(stories), 4)
    yield fig, stories, rows, fig.canvas.get_renderer()
    pyplot().close(fig)


def _reached(story, i, j):
    """The input cells torch's autograd sends dL/dY[i, j] to (row-major)."""
    return [tuple(map(int, rc)) for rc in np.argwhere(torch_route(story, i, j) != 0)]


def _arrows(fig):
    return [a for a in fig.artists if isinstance(a, FancyArrowPatch)]


def _display_path(arrow):
    return arrow.get_transform().transform_path(arrow.get_path())


def _cell(ax, point):
    x, y = ax.transData.inverted().transform(point)
    return round(y), round(x)


def _numbers(rows):
    """Every number written in a cell of any panel (padding's too)."""
    return [t for ax in rows.ravel() for t in ax.texts if t.get_text()]


def test_routes_start_at_dl_dy_and_end_where_torch_sends_the_gradient(drawn):
    fig, stories, rows, _ = drawn
    colors = pyplot().get_cmap("tab10")
    arrows = _arrows(fig)
    for row, story in zip(rows, stories, strict=True):
        mine = [a for a in arrows if a.get_transform() == row[3].transData]
        routes = set()
        for a in mine:
            path = _display_path(a)
            start = _cell(row[2], path.vertices[0])
            head = path.vertices[-4:-1]  # the filled head: its three corners
            tip = head[np.argmax(head[:, 0])]  # arrows arrive heading right
            cell = _cell(row[3], tip)
            routes.add((start, cell))
            k = [w.out for w in story.windows].index(start)
            color = tuple(np.round(colors(k % 10), 4))
            assert color == tuple(np.round(a.get_edgecolor(), 4))
            assert color in ring_colors(row[3])[cell]  # it ends at its window's ring
            assert color in ring_colors(row[2])[start]
        if "ties" in story.setup.title:
            continue  # torch's tie rule is not the story's to check here
        want = set()
        for i, j in np.ndindex(story.y.shape):
            reached = _reached(story, i, j)
            if story.setup.kind == "avg":  # one arrow per window, to its first cell
                reached = reached[:1]
            want |= {((i, j), rc) for rc in reached}
        assert routes == want, story.setup.title


def test_no_arrow_touches_a_number(drawn):
    fig, stories, rows, renderer = drawn
    boxes = [t.get_window_extent(renderer).padded(1) for t in _numbers(rows)]
    assert len(boxes) > 100
    assert len(_arrows(fig)) >= sum(s.y.size for s in stories)  # one or more per window
    for a in _arrows(fig):
        path = _display_path(a)
        tip = path.vertices[-4:-1][np.argmax(path.vertices[-4:-1, 0])]
        for box in boxes:
            assert not box.contains(*tip), a.get_gid()
            assert not box.contains(*path.vertices[0]), a.get_gid()
            for part in path.to_polygons(closed_only=False):
                sub = type(path)(part)
                assert not sub.intersects_bbox(box, filled=False), (a.get_gid(), box)
    for ax in rows[:, 2]:  # the dots where the arrows start
        for line in ax.lines:
            dot = ax.transData.transform(line.get_xydata()[0])
            assert not any(box.contains(*dot) for box in boxes)


def test_every_ring_leaves_its_number_clear(drawn):
    fig, _, rows, renderer = drawn
    checked = 0
    for ax in rows.ravel():
        texts = {
            (round(t.get_position()[1]), round(t.get_position()[0])): t
            for t in ax.texts
            if t.get_text()
        }
        for p in ax.patches:
            if not isinstance(p, Rectangle) or p.get_fill():
                continue
            x, y = p.get_xy()
            text = texts[(round(y + p.get_height() / 2), round(x + p.get_width() / 2))]
            ring = p.get_window_extent(renderer)
            half = p.get_linewidth() * fig.dpi / 72 / 2
            inner = ring.padded(-half - 1)  # inside the stroke, a pixel to spare
            box = text.get_window_extent(renderer)
            assert inner.x0 < box.x0 and box.x1 < inner.x1, (text.get_text(), ring, box)
            assert inner.y0 < box.y0 and box.y1 < inner.y1, (text.get_text(), ring, box)
            checked += 1
    assert checked > 50


def test_nested_rings_each_windows_colour_none_hidden(drawn):
    _, stories, rows, _ = drawn
    colors = pyplot().get_cmap("tab10")
    story, row = stories[1], rows[1]  # overlapping windows
    counts: dict = {}
    for k, win in enumerate(story.windows):
        for rc in win.winners:
            counts[rc] = counts.get(rc, 0) + 1
            assert tuple(np.round(colors(k), 4)) in ring_colors(row[3])[rc]
    assert max(counts.values()) > 1  # a cell reached by several windows
    for (r, c), n in counts.items():
        sizes = [
            p.get_width()
            for p in row[3].patches
            if not p.get_fill()
            and abs(p.get_x() + p.get_width() / 2 - c) < 0.01
            and abs(p.get_y() + p.get_height() / 2 - r) < 0.01
        ]
        assert len(sizes) == len(set(sizes)) == n


def test_padding_is_drawn_and_each_window_rings_its_divisor(drawn):
    _, stories, rows, _ = drawn
    colors = pyplot().get_cmap("tab10")
    padded = [(s, r) for s, r in zip(stories, rows, strict=True) if s.setup.padding != (0, 0)]
    assert padded
    for story, row in padded:
        (h, w), (ph, pw) = story.x.shape, story.setup.padding
        cells = [p for p in row[0].patches if p.get_gid() == "padding"]
        assert len(cells) == (h + 2 * ph) * (w + 2 * pw) - h * w
        fill = "0" if story.setup.kind == "avg" else "-inf"  # max pools pad with -inf
        assert [t.get_text() for t in row[0].texts if t.get_gid() == "padding"] == [fill] * len(
            cells
        )
        if story.setup.kind == "max":
            continue
        pad = {(round(p.get_y() + 0.5), round(p.get_x() + 0.5)) for p in cells}
        rung = ring_colors(row[0])
        lines = [line for line in story.lines if line.startswith("  window (")]
        for k, (win, line) in enumerate(zip(story.windows, lines, strict=True)):
            color = tuple(np.round(colors(k % 10), 4))
            ringed = {rc for rc, cs in rung.items() if color in cs}
            on_padding, on_input = len(ringed & pad), len(ringed - pad)
            assert on_input == len(re.search(r": \(([^)]*)\)", line)[1].split(","))
            divisor = int(re.search(r"sum \S+ / (\d+) =", line)[1])
            if m := re.search(r"\(divisor (\d+) = (\d+) input \+ (\d+) padding\)", line):
                assert (on_input, on_padding) == (int(m[2]), int(m[3]))
                assert on_input + on_padding == divisor
            elif "input cells only" in line:
                assert on_input == divisor and on_padding == win.padding
            else:
                assert on_padding == 0 and on_input == divisor


def test_every_panel_draws_cells_of_one_size(drawn):
    _, _, rows, _ = drawn
    sizes = []
    for ax in rows.ravel():
        box = ax.get_window_extent()
        xs, ys = ax.get_xlim(), ax.get_ylim()
        sizes.append((box.width / abs(xs[1] - xs[0]), box.height / abs(ys[1] - ys[0])))
    np.testing.assert_allclose(sizes, [sizes[0]] * len(sizes), rtol=0.01)
    assert abs(sizes[0][0] - sizes[0][1]) < 0.01 * sizes[0][0]  # square cells
