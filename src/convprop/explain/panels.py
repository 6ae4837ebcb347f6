"""What each picture of `explain conv --plot` holds: the array, its title and its marked
cells, computed here without matplotlib so that tests can hold every title against the
array drawn under it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import conv as C

if TYPE_CHECKING:
    from .conv_story import ConvExplanation

Cell = tuple[int, int]


@dataclass(frozen=True)
class Panel:
    key: str  # what it is, for code: "x", "w", "wf", "filter", "y", "gy", "padded", "gw", "gx"
    title: str
    array: np.ndarray
    marked: list[Cell] = field(default_factory=list)
    outlined: list[Cell] = field(default_factory=list)  # a second colour: the followed pixel


def conv_panels(e: ConvExplanation) -> list[Panel]:
    """X, W (and Wf under the true convolution), the filter of dL/dX, Y, dL/dY, dL/dY
    spread and padded, dL/dW and dL/dX, each titled with what it holds."""
    ex = e.example
    window = [ex.to_input(*rc) for _, rc, _, _ in C.output_terms(ex, *e.output)]
    region = [ij for ij, _, _, _ in C.pixel_terms(ex, *e.pixel)]
    name, flipped = C.backward_filter(ex)
    panels = [
        Panel(
            "x",
            f"X: window of Y{list(e.output)}, pixel {list(e.pixel)}",
            ex.x,
            [w for w in window if w is not None],
            [e.pixel],
        ),
        Panel("w", f"W (weight {list(e.weight)})", ex.w, [e.weight]),
    ]
    if ex.setup.convention == "convolution":
        fa, fb = ex.flip(*e.weight)
        panels.append(Panel("wf", "Wf = rot180(W), what the sums use", ex.wf, [(fa, fb)]))
    panels += [
        Panel("filter", f"{name}: slid over padded dL/dY for dL/dX", flipped),
        Panel("y", C.forward_formula(ex), C.forward(ex), [e.output]),
        Panel("gy", f"dL/dY, region P of X{list(e.pixel)} marked", ex.grad_y, region),
        Panel("padded", "dL/dY spread and padded by D*(K-1)", C.full_padded(ex)),
        Panel("gw", C.weight_formula(ex), C.grad_weight(ex), [e.weight]),
        Panel("gx", C.input_formula(ex), C.grad_input(ex), [e.pixel]),
    ]
    return panels
