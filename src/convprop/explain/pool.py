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

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .. import kernels as K
from ..gradcheck import numerical_gradient
from ..shapes import PoolGeometry, pool2d_geometry
from .text import grid, num, side_by_side

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


# --- the text of `convprop explain maxpool|avgpool`, from the windows above ---


def _pair(p: tuple[int, ...]) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def _switch(story: PoolStory, win: Window, rc: tuple[int, int]) -> str:
    """The recorded switch: tap (a, b) = a*kW + b of the window, and PyTorch's flat index."""
    g = story.g
    i, j = win.out
    a = (rc[0] - (i * g.stride[0] - g.padding[0])) // g.dilation[0]
    b = (rc[1] - (j * g.stride[1] - g.padding[1])) // g.dilation[1]
    return f"switch tap ({a},{b}) = {a * g.kernel[1] + b}, flat index {rc[0] * g.size[1] + rc[1]}"


def _extra(win: Window) -> str:
    """' + 4 padding cell(s), 3 past the padded edge': the window's cells outside X."""
    parts = [f"{win.padding} padding cell(s)"] if win.padding else []
    parts += [f"{win.past_edge} cell(s) past the padded edge"] if win.past_edge else []
    return " + " + ", ".join(parts) if parts else ""


def _divisor(story: PoolStory, win: Window) -> str:
    """Why the divisor is what it is, when the window is not all input cells."""
    if not (win.padding or win.past_edge):
        return ""
    if story.setup.count_include_pad:
        return f" (divisor {win.divisor} = {len(win.cells)} input + {win.padding} padding)"
    return f" (divisor {win.divisor}: input cells only)"


def _window_line(story: PoolStory, win: Window) -> str:
    values = ", ".join(num(v) for v in win.values)
    where = f"window ({win.out[0]},{win.out[1]}): ({values}){_extra(win)}"
    if story.setup.kind == "avg":
        total = f"sum {num(sum(win.values))} / {win.divisor} = {num(story.y[win.out])}"
        return f"{where} -> {total}{_divisor(story, win)}"
    cells = " and ".join(f"X[{r},{c}]" for r, c in win.winners)
    top = num(story.y[win.out])
    if len(win.winners) == 1:
        return f"{where} -> max {top} at {cells} ({_switch(story, win, win.winners[0])})"
    return f"{where} -> max {top}, tied at {cells}"


def _route_line(story: PoolStory, win: Window) -> str:
    """Where dL/dY[i, j] goes; any share other than the whole is written as a division."""
    gy = story.grad_y[win.out]
    head = f"dL/dY[{win.out[0]},{win.out[1]}] = {num(gy)} ->"
    cells = ", ".join(f"X[{r},{c}]" for r, c in win.winners)
    if win.divisor == 1:
        return f"{head} {cells}"
    to = "each of " if len(win.winners) > 1 else ""
    return f"{head} {num(gy)}/{win.divisor} = {num(gy * win.share)} to {to}{cells}"


def _divisor_rule(story: PoolStory) -> list[str]:
    """How average pooling counts its divisor, said once, when windows reach past X."""
    s = story.setup
    if s.kind != "avg" or not any(w.padding or w.past_edge for w in story.windows):
        return []
    if s.count_include_pad:
        rule = (
            "the window's cells inside the padded input, zero padding included "
            "(count_include_pad=True)"
        )
        if any(w.past_edge for w in story.windows):
            rule += "; cells past the padded edge, where ceil_mode's last windows hang, never count"
        return [f"divisor: {rule}"]
    return ["divisor: the window's input cells only; padding is left out (count_include_pad=False)"]


def lines_of(story: PoolStory) -> list[str]:
    s, g = story.setup, story.g
    name = "max" if s.kind == "max" else "average"
    head = (
        f"{name} pooling {g.kernel[0]}x{g.kernel[1]}, stride {_pair(g.stride)}"
        + (" (the kernel size)" if s.stride is None else "")
        + ", "
        f"padding {_pair(s.padding)}"
        + (f", dilation {_pair(s.dilation)}" if s.kind == "max" and s.dilation != (1, 1) else "")
        + (", ceil_mode" if s.ceil_mode else "")
        + (f", ties {s.ties}" if s.kind == "max" else "")
        + ("" if s.kind == "max" else f", count_include_pad={s.count_include_pad}")
        + f": {story.x.shape[0]}x{story.x.shape[1]} -> {g.out_size[0]}x{g.out_size[1]}"
    )
    lines = ([s.title] if s.title else []) + [head]
    winners = [rc for w in story.windows for rc in w.winners] if s.kind == "max" else []
    lines += grid("X" + (", winners marked" if winners else ""), story.x, winners)
    lines += _divisor_rule(story)
    lines += ["forward:"] + ["  " + _window_line(story, w) for w in story.windows]
    lines += side_by_side([grid("Y", story.y), grid("dL/dY (upstream)", story.grad_y)])
    rule = (
        "each gradient goes to its window's recorded winner"
        if s.kind == "max" and s.ties == "first"
        else "each gradient is split evenly among its window's maxima"
        if s.kind == "max"
        else "each cell of a window gets the window's gradient divided by the divisor"
    )
    lines += [f"backward: {rule}:"] + ["  " + _route_line(story, w) for w in story.windows]
    lines += grid("dL/dX", story.grad_x, winners)
    lines += _collectors(story)
    numeric = (
        f"{story.numerical_gap:.1e}"
        if story.numerical_gap is not None
        else "not defined (a tie: the maximum has no derivative there)"
    )
    ok = story.kernel_gap <= 1e-12 and (story.numerical_gap or 0.0) <= 1e-6
    lines.append(
        f"check: vs convprop.kernels {story.kernel_gap:.1e}; vs numerical gradient {numeric}"
        f" -> {'OK' if ok else 'MISMATCH'}"
    )
    return lines


def _collectors(story: PoolStory) -> list[str]:
    """Cells that receive gradient from more than one window."""
    received: dict[tuple[int, int], list[tuple[tuple[int, int], float]]] = defaultdict(list)
    for win in story.windows:
        for rc in win.winners:
            received[rc].append((win.out, story.grad_y[win.out] * win.share))
    lines = []
    for (r, c), parts in sorted(received.items()):
        if len(parts) > 1:
            total = " + ".join(num(v) for _, v in parts)
            outs = ", ".join(f"({i},{j})" for (i, j), _ in parts)
            lines.append(
                f"  X[{r},{c}] collects from {len(parts)} windows {outs}: {total} = "
                f"{num(story.grad_x[r, c])}"
            )
    return (["cells inside several windows sum what they receive:", *lines]) if lines else []
