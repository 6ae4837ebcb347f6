"""explain/shape_plot.py: the red rows and columns are exactly those no window reads (by
an independent count), the title names them, a legend says what red means, and an exact
stack still shows where its first and last windows lie."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from convprop.explain.plots import MARKS, pyplot, shape_figure
from convprop.explain.shape import explain
from convprop.explain.stack import Layer


def _runs(cells):
    """[2, 3, 4, 7] -> '2..4, 7'."""
    groups = np.split(np.array(cells), np.flatnonzero(np.diff(cells) != 1) + 1)
    return ", ".join(f"{g[0]}..{g[-1]}" if len(g) > 1 else str(g[0]) for g in groups)


def _unseen(size, f, s, p):
    """Input rows that no window [i*S - P, i*S - P + F) covers."""
    out = (size + 2 * p - f) // s + 1
    covered = np.zeros(size, dtype=bool)
    for i in range(out):
        start = i * s - p
        covered[max(start, 0) : max(start + f, 0)] = True
    return [int(r) for r in np.flatnonzero(~covered)]


@pytest.mark.parametrize(
    ("size", "layer"),
    [
        ((32, 32), Layer("conv", 5, 2, 0, filters=6)),
        ((31, 29), Layer("conv", 3, 3, 1, filters=2)),
        ((28, 28), Layer("conv", 5, 1, 2, filters=6)),
        ((9, 7), Layer("pool", 2, 2)),
        ((12, 13), Layer("conv", 2, 5, 0, filters=1)),
        ((30, 30), Layer("conv", 3, 2, 0, filters=1)),
    ],
)
def test_red_cells_and_title_name_exactly_the_unseen_rows_and_columns(size, layer):
    h, w = size
    story = explain(h, w, 3, [layer])
    fig = shape_figure(story)
    ax = fig.axes[0]
    p = layer.padding if layer.kind == "conv" else 0
    rows, cols = (
        _unseen(h, layer.kernel, layer.stride, p),
        _unseen(w, layer.kernel, layer.stride, p),
    )
    red = [
        r
        for r in ax.patches
        if isinstance(r, Rectangle) and r.get_facecolor()[:3] == to_rgba(MARKS)[:3]
    ]
    red_rows = sorted(int(r.get_y()) for r in red if r.get_width() == w and r.get_height() == 1)
    red_cols = sorted(int(r.get_x()) for r in red if r.get_height() == h and r.get_width() == 1)
    assert (red_rows, red_cols) == (rows, cols)
    title = ax.get_title()
    for name, found in (("row", rows), ("column", cols)):
        if len(found) == 1:
            assert f"{name} {found[0]}" in title and f"{name}s" not in title
        elif found:
            assert f"{name}s {_runs(found)} unseen" in title or f"{name}s {_runs(found)}," in title
        else:
            assert f" {name} " not in title.replace("every row and column", "")
    if not rows and not cols:
        assert "every row and column seen" in title
    dashed = [r for r in ax.patches if r.get_linestyle() == "--"]
    assert len(dashed) == 2  # the first and the last window, drawn even when all is seen
    legend = " ".join(t.get_text() for lg in fig.legends for t in lg.get_texts())
    assert "no window reads" in legend
    pyplot().close(fig)
