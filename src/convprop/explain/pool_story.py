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
