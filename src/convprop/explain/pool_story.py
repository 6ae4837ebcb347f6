"""The text of `convprop explain maxpool|avgpool`, from pool.py's windows."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .text import grid, num, side_by_side

if TYPE_CHECKING:
    from .pool import PoolStory, Window


def _pair(p: tuple[int, ...]) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def _switch(story: PoolStory, win: Window, rc: tuple[int, int]) -> str:
    """The recorded switch: tap (a, b) = a*kW + b of the window, and PyTorch's flat index."""
    g = story.g
    i, j = win.out
    a = (rc[0] - (i * g.stride[0] - g.padding[0])) // g.dilation[0]
    b = (rc[1] - (j * g.stride[1] - g.padding[1])) // g.dilation[1]
    return f"switch tap ({a},{b}) = {a * g.kernel[1] + b}, flat index {rc[0] * g.size[1] + rc[1]}"


def _window_line(story: PoolStory, win: Window) -> str:
    values = ", ".join(num(v) for v in win.values)
    where = f"window ({win.out[0]},{win.out[1]}): ({values})"
    padded = story.g.kernel[0] * story.g.kernel[1] - len(win.cells)
    if padded:
        where += f" + {padded} padding cell(s)"
    if story.setup.kind == "avg":
        return f"{where} -> sum {num(sum(win.values))} / {win.divisor} = {num(story.y[win.out])}"
    cells = " and ".join(f"X[{r},{c}]" for r, c in win.winners)
    top = num(story.y[win.out])
    if len(win.winners) == 1:
        return f"{where} -> max {top} at {cells} ({_switch(story, win, win.winners[0])})"
    return f"{where} -> max {top}, tied at {cells}"


def _route_line(story: PoolStory, win: Window) -> str:
    gy = story.grad_y[win.out]
    head = f"dL/dY[{win.out[0]},{win.out[1]}] = {num(gy)} ->"
    cells = ", ".join(f"X[{r},{c}]" for r, c in win.winners)
    if len(win.winners) == 1:
        return f"{head} {cells}"
    part = f"{num(gy)}/{len(win.winners) if story.setup.kind == 'max' else win.divisor}"
    return f"{head} {part} = {num(gy * win.share)} to each of {cells}"


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
