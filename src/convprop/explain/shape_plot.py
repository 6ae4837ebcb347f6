"""`explain shape --plot`: each layer's input, its zero padding, its first and last
window, and in red the input rows and columns that no window reads; a legend says so."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .plots import MARKS, pyplot

if TYPE_CHECKING:
    from .shape import Remainder, ShapeStory

PAD = "#e6e6e6"
INPUT = "#cfe2f3"


def _listed(name: str, cells: tuple[int, ...]) -> str:
    from .shape import spans

    return f"{name} {cells[0]}" if len(cells) == 1 else f"{name}s {spans(cells)}"


def unseen_text(rem: list[Remainder]) -> str:
    """'row 31, column 31 unseen', or 'every row and column seen'."""
    parts = [_listed("row" if r.axis == "H" else "column", r.unseen) for r in rem if r.unseen]
    return ", ".join(parts) + " unseen" if parts else "every row and column seen"


def shape_figure(story: ShapeStory) -> Any:
    from matplotlib.patches import Patch, Rectangle

    from .shape import _pads

    plt = pyplot()
    n = max(len(story.layers), 1)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 4.0), squeeze=False)
    for ax, (layer, (h, w, c), (ho, wo, co), rem) in zip(axes[0], story.layers, strict=True):
        (top, bottom), (left, right) = _pads(layer, h, w, c)
        f = layer.span
        ax.add_patch(
            Rectangle(
                (-left, -top), w + left + right, h + top + bottom, facecolor=PAD, edgecolor="none"
            )
        )
        ax.add_patch(Rectangle((0, 0), w, h, facecolor=INPUT, edgecolor="black"))
        for r in rem:
            for k in r.unseen:
                box = (0, k, w, 1) if r.axis == "H" else (k, 0, 1, h)
                ax.add_patch(Rectangle(box[:2], box[2], box[3], facecolor=MARKS, alpha=0.7))
        for name, (i, j) in (("first", (0, 0)), ("last", (ho - 1, wo - 1))):
            corner = (j * layer.stride - left, i * layer.stride - top)
            ax.add_patch(
                Rectangle(
                    corner,
                    f,
                    f,
                    fill=False,
                    edgecolor="black",
                    linestyle="--",
                    linewidth=1.5,
                    label=f"{name} window",
                )
            )
        last_end = (max(ho, wo) - 1) * layer.stride + f
        ax.set_xlim(-left - 0.5, max(w + right, last_end - left) + 0.5)
        ax.set_ylim(max(h + bottom, last_end - top) + 0.5, -top - 0.5)
        ax.set_aspect("equal")
        kind = "conv" if layer.kind == "conv" else "max pool"
        ax.set_title(
            f"{kind} {layer.kernel}x{layer.kernel}, stride {layer.stride}\n{h}x{w}x{c} -> "
            f"{ho}x{wo}x{co}\n{unseen_text(rem)}",
            fontsize=10,
        )
        ax.tick_params(labelsize=7)
    handles = [
        Patch(facecolor=INPUT, edgecolor="black", label="the layer's input"),
        Patch(facecolor=PAD, label="zero padding"),
        Patch(facecolor=MARKS, alpha=0.7, label="input rows/columns no window reads"),
        Patch(fill=False, edgecolor="black", linestyle="--", label="first and last window"),
    ]
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig
