"""explain/pool_plot.py: every window's route can be traced in the picture: dL/dY is drawn,
arrows run from it (not over Y) to the cells numpy says the gradient reaches, a cell won
by several windows shows each window's colour, and every row has one cell size."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.patches import ConnectionPatch

from convprop.explain.plots import pyplot
from convprop.explain.pool import course_scenarios, tell
from convprop.explain.pool_plot import pool_figure, ring_colors


def _winners(x, k, s):
    """Window (i, j) -> its first maximum, by numpy (no padding)."""
    out = {}
    for i in range((x.shape[0] - k) // s + 1):
        for j in range((x.shape[1] - k) // s + 1):
            a, b = np.unravel_index(np.argmax(x[i * s : i * s + k, j * s : j * s + k]), (k, k))
            out[(i, j)] = (i * s + int(a), j * s + int(b))
    return out


@pytest.fixture(scope="module")
def drawn():
    stories = [tell(s, x) for s, x in course_scenarios("max")]
    fig = pool_figure(stories)
    yield fig, stories
    pyplot().close(fig)


def test_routes_start_at_dl_dy_and_end_at_the_winners(drawn):
    fig, stories = drawn
    rows = np.array([ax for ax in fig.axes if ax.images]).reshape(len(stories), 4)
    arrows = [a for a in fig.artists if isinstance(a, ConnectionPatch)]
    for row, story, (setup, x) in zip(rows, stories, course_scenarios("max"), strict=True):
        np.testing.assert_array_equal(row[2].images[0].get_array(), story.grad_y)
        assert "dL/dY" in row[2].get_title()
        mine = [a for a in arrows if a.axesA is row[2]]
        assert not [a for a in arrows if a.axesA is row[1] or a.axesB is row[1]]  # Y is clear
        assert all(a.axesB is row[3] for a in mine)
        routes = {((round(a.xy1[1]), round(a.xy1[0])), (round(a.xy2[1]), round(a.xy2[0])))
                  for a in mine}  # fmt: skip
        if setup.padding == (0, 0) and "ties" not in setup.title:
            stride = (setup.stride or setup.kernel)[0]
            assert routes == set(_winners(x, setup.kernel[0], stride).items())


def test_a_cell_won_by_several_windows_shows_every_windows_colour(drawn):
    fig, stories = drawn
    rows = np.array([ax for ax in fig.axes if ax.images]).reshape(len(stories), 4)
    colors = pyplot().get_cmap("tab10")
    story, row = stories[1], rows[1]  # overlapping windows: X[1,3] wins (0,2) and (1,2)
    winners = _winners(story.x, 2, 1)
    for panel in (row[0], row[3]):
        rings = ring_colors(panel)
        for k, (out, cell) in enumerate(sorted(winners.items())):
            assert tuple(np.round(colors(k), 4)) in rings[cell], (out, cell)
        for cell in set(winners.values()):
            n = sum(c == cell for c in winners.values())
            assert len(set(rings[cell])) == n  # as many distinct colours as windows
    shared = [c for c in set(winners.values()) if list(winners.values()).count(c) > 1]
    assert shared  # the scenario has a cell won twice
    for r, c in shared:  # nested rings: none hidden under another
        sizes = [p.get_width() for p in row[3].patches
                 if abs(p.get_x() + p.get_width() / 2 - c) < 0.01
                 and abs(p.get_y() + p.get_height() / 2 - r) < 0.01]  # fmt: skip
        assert len(sizes) == len(set(sizes)) == list(winners.values()).count((r, c))


def test_every_row_draws_cells_of_one_size(drawn):
    fig, _ = drawn
    fig.canvas.draw()
    sizes = []
    for ax in (a for a in fig.axes if a.images):
        box = ax.get_window_extent()
        xs, ys = ax.get_xlim(), ax.get_ylim()
        sizes.append((box.width / abs(xs[1] - xs[0]), box.height / abs(ys[1] - ys[0])))
    np.testing.assert_allclose(sizes, [sizes[0]] * len(sizes), rtol=0.02)
