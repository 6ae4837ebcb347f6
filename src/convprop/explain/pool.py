"""`convprop explain maxpool|avgpool`: windows, winners (switches) and where gradients land.

Pooling has no weights. Max pooling records each window's winner in the forward pass
and sends the window's upstream gradient to it (ties="first", PyTorch's rule, the
first maximum in row-major order; ties="split" shares it among all the maxima, as
tinygrad does). Average pooling gives every cell of a window the window's gradient
divided by its divisor (the window's area, counting padding or not). A cell inside
several windows collects from each. The numbers come from loops over windows here,
and are checked against convprop.kernels and a numerical gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import kernels as K
from ..gradcheck import numerical_gradient
from ..shapes import PoolGeometry, pool2d_geometry

Pair = tuple[int, int]

# The course's slide: 2x2 windows (1,1,5,6), (2,4,7,8), (3,2,1,2), (1,0,3,4).
COURSE_X = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)


@dataclass(frozen=True)
class PoolSetup:
    kind: str = "max"  # or "avg"
    kernel: Pair = (2, 2)
    stride: Pair | None = None  # None: the kernel size
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    ceil_mode: bool = False
    ties: str = "first"
    count_include_pad: bool = True
    title: str = ""


@dataclass(frozen=True)
class Window:
    out: Pair  # (i, j)
    cells: list[Pair]  # input cells inside the window (padding left out)
    values: list[float]
    winners: list[Pair]  # max: the cells the gradient goes to; avg: all cells
    share: float  # what each winner receives of dL/dY[i, j], as a fraction
    divisor: int  # avg: the divisor; max: len(winners)
    padding: int = 0  # window cells on the zero padding
    past_edge: int = 0  # window cells past the padded input (ceil_mode's last windows)


@dataclass
class PoolStory:
    setup: PoolSetup
    x: np.ndarray
    grad_y: np.ndarray
    g: PoolGeometry
    windows: list[Window]
    y: np.ndarray
    grad_x: np.ndarray
    lines: list[str]
    kernel_gap: float  # step-by-step against convprop.kernels
    numerical_gap: float | None  # against central differences; None where a tie is a kink


def geometry(setup: PoolSetup, shape: tuple[int, ...]) -> PoolGeometry:
    dilation = setup.dilation if setup.kind == "max" else (1, 1)
    return pool2d_geometry(
        f"explain {setup.kind}pool",
        (1, 1, *shape),
        setup.kernel,
        setup.stride,
        setup.padding,
        dilation,
        setup.ceil_mode,
    )


def windows(setup: PoolSetup, x: np.ndarray, g: PoolGeometry) -> list[Window]:
    """Every window's cells, values and gradient shares, by the definitions."""
    if setup.ties not in ("first", "split"):
        raise ValueError(f"explain maxpool: --ties must be 'first' or 'split', got {setup.ties!r}")
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.padding, g.dilation
    h, w = x.shape
    out = []
    for i in range(g.out_size[0]):
        for j in range(g.out_size[1]):
            rows = [i * sh - ph + a * dh for a in range(kh)]
            cols = [j * sw - pw + b * dw for b in range(kw)]
            cells = [(r, c) for r in rows for c in cols if 0 <= r < h and 0 <= c < w]
            values = [float(x[rc]) for rc in cells]
            # cells of the padded input (h + 2ph rows); the rest hang past its edge
            padded = [(r, c) for r in rows for c in cols if r < h + ph and c < w + pw]
            extra = (len(padded) - len(cells), kh * kw - len(padded))
            if setup.kind == "avg":
                divisor = len(padded) if setup.count_include_pad else len(cells)
                out.append(Window((i, j), cells, values, cells, 1 / divisor, divisor, *extra))
                continue
            top = max(values)
            tied = [rc for rc, v in zip(cells, values, strict=True) if v == top]
            winners = tied[:1] if setup.ties == "first" else tied
            n = len(winners)
            out.append(Window((i, j), cells, values, winners, 1 / n, n, *extra))
    return out


def _kernel_results(setup: PoolSetup, x: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, ...]:
    x4, g4 = x[None, None], gy[None, None]
    stride = setup.stride
    if setup.kind == "max":
        window = (setup.kernel, stride, setup.padding, setup.dilation, setup.ceil_mode)
        y = K.max_pool2d(x4, *window)[0]
        return y[0, 0], K.max_pool2d_grad(x4, g4, *window, ties=setup.ties)[0, 0]
    ceil, counted = setup.ceil_mode, setup.count_include_pad
    y = K.avg_pool2d(x4, setup.kernel, stride, setup.padding, ceil, counted)
    gx = K.avg_pool2d_backward(g4, x4.shape, setup.kernel, stride, setup.padding, ceil, counted)
    return y[0, 0], gx[0, 0]


def tell(setup: PoolSetup, x: np.ndarray, grad_y: np.ndarray | None = None) -> PoolStory:
    """The story of one pooling: dL/dY defaults to 1, 2, 3, ... so each can be followed."""
    g = geometry(setup, x.shape)
    if grad_y is None:
        grad_y = np.arange(1.0, 1 + g.out_size[0] * g.out_size[1]).reshape(g.out_size)
    ws = windows(setup, x, g)
    y = np.zeros(g.out_size)
    gx = np.zeros(x.shape)
    for win in ws:
        y[win.out] = max(win.values) if setup.kind == "max" else sum(win.values) / win.divisor
        for rc in win.winners:
            gx[rc] += grad_y[win.out] * win.share
    y_k, gx_k = _kernel_results(setup, x, grad_y)
    kernel_gap = max(float(np.abs(y - y_k).max()), float(np.abs(gx - gx_k).max()))
    ties = setup.kind == "max" and any(
        win.values.count(max(win.values)) > 1 for win in ws
    )  # a tie is a kink: the max has no derivative there
    numerical_gap = None
    if not ties:
        numeric = numerical_gradient(
            lambda a: float(np.sum(_kernel_results(setup, a, grad_y)[0] * grad_y)), x
        )
        numerical_gap = float(np.abs(numeric - gx).max())
    story = PoolStory(setup, x, grad_y, g, ws, y, gx, [], kernel_gap, numerical_gap)
    from .pool_story import lines_of

    story.lines = lines_of(story)
    return story


def course_scenarios(kind: str, ties: str = "first") -> list[tuple[PoolSetup, np.ndarray]]:
    """The course's example, then what overlapping windows, padding with ceil_mode, and a
    tie (max) or an uncounted padding (average) change, on the same numbers."""
    course = PoolSetup(kind, ties=ties, title="the course's example: 2x2 windows, stride 2")
    overlap = PoolSetup(kind, stride=(1, 1), ties=ties, title="overlapping windows: 2x2, stride 1")
    padded = PoolSetup(
        kind,
        kernel=(3, 3),
        stride=(2, 2),
        padding=(1, 1),
        ceil_mode=True,
        ties=ties,
        title="padding 1 and ceil_mode: 3x3 windows, stride 2",
    )
    scenarios = [(course, COURSE_X), (overlap, COURSE_X), (padded, COURSE_X)]
    if kind == "max":
        tie_x = np.array([[5, 5, 1, 0], [1, 2, 3, 3]], dtype=np.float64)
        scenarios.append((PoolSetup(kind, ties=ties, title=f"ties (--ties {ties})"), tie_x))
    else:
        uncounted = PoolSetup(
            kind,
            kernel=(3, 3),
            stride=(2, 2),
            padding=(1, 1),
            count_include_pad=False,
            title="padding left out of the divisor (count_include_pad=False)",
        )
        scenarios.append((uncounted, COURSE_X))
    return scenarios
