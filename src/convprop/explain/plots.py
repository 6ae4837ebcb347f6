"""The explanations as pictures: grids with their numbers in the cells, the cells that
matter highlighted, arrows from pooling outputs to their winners (matplotlib, optional)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._optional import pyplot as pyplot  # re-exported: the explain modules draw with it

if TYPE_CHECKING:
    from .conv_story import ConvExplanation
    from .pool import PoolStory
    from .shape import ShapeStory

HIGHLIGHT = "#f4a300"
MARKS = "#d62728"


def draw_grid(ax: Any, a: np.ndarray, title: str, marked: Any = (), pale: bool = False) -> None:
    """A matrix as coloured cells (red positive, blue negative; pale blue shades for
    pooling's non-negative numbers) with its numbers written in; marked cells outlined."""
    from .text import num

    a = np.asarray(a, dtype=np.float64)
    finite = a[np.isfinite(a)]
    scale = float(np.abs(finite).max()) if finite.size and np.abs(finite).max() > 0 else 1.0
    if pale:
        ax.imshow(a, cmap="Blues", vmin=-0.2 * scale, vmax=2.5 * scale)
    else:
        ax.imshow(a, cmap="coolwarm", vmin=-1.3 * scale, vmax=1.3 * scale)
    for (i, j), v in np.ndenumerate(a):
        ax.text(j, i, num(v), ha="center", va="center", fontsize=8)
    for i, j in marked:
        ax.add_patch(_box(i, j))
    ax.set_title(title, fontsize=9)
    ax.set_xticks(range(a.shape[1]))
    ax.set_yticks(range(a.shape[0]))
    ax.tick_params(labelsize=6)


def _box(i: int, j: int, color: str = HIGHLIGHT) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=color, linewidth=2.5)


def save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return path


def conv_figure(e: ConvExplanation) -> Any:
    """conv_panels(e) in two rows, each array under the title that says what it holds."""
    from .panels import conv_panels

    plt = pyplot()
    panels = conv_panels(e)
    cols = -(-len(panels) // 2)
    fig, axes = plt.subplots(2, cols, figsize=(3.3 * cols, 6.8), squeeze=False)
    for ax, panel in zip(axes.ravel(), panels, strict=False):
        draw_grid(ax, panel.array, wrap_title(panel.title, 34), panel.marked)
        for i, j in panel.outlined:
            ax.add_patch(_box(i, j, color=MARKS))
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    fig.suptitle(e.lines[0], fontsize=10)
    fig.tight_layout()
    return fig


def wrap_title(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))


def pool_figure(stories: list[PoolStory]) -> Any:
    """X, Y, dL/dY and dL/dX per scenario, each window's route in its colour (pool_plot)."""
    from .pool_plot import pool_figure as draw

    return draw(stories)


def shape_figure(story: ShapeStory) -> Any:
    """Each layer's input, padding, first and last window, unseen rows in red (shape_plot)."""
    from .shape_plot import shape_figure as draw

    return draw(story)
