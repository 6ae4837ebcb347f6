"""`convprop explain shape`: `convprop shape`'s walk, with a warning wherever
(W1 - F + 2P)/S + 1 is not a whole number: which input rows and columns no window ever
sees, and the padding or input size that would make the division exact."""

from __future__ import annotations

from dataclasses import dataclass

from ..shapes import output_size
from .stack import Layer, walk


@dataclass(frozen=True)
class Remainder:
    """One axis of one layer that leaves input rows (or columns) unread."""

    axis: str  # "H" or "W"
    size: int  # the layer's input size along the axis
    left_over: int  # (size - F + 2P) mod S: padded rows past the last window (0: exact)
    unseen: tuple[int, ...]  # input rows (or columns) that no window reads
    pads: tuple[int, int]
    stride: int
    between: tuple[int, ...] = ()  # those of unseen that lie between windows or taps


def spans(cells: tuple[int, ...]) -> str:
    """(2, 3, 4, 7, 9) -> '2..4, 7, 9'."""
    runs: list[list[int]] = []
    for c in cells:
        if runs and c == runs[-1][-1] + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return ", ".join(f"{r[0]}..{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _remainders(layer: Layer, h: int, w: int, pads: tuple[tuple[int, int], ...]) -> list[Remainder]:
    out = []
    f = layer.span
    for axis, size, (before, after) in zip("HW", (h, w), pads, strict=True):
        windows = output_size(
            size, layer.kernel, layer.stride, (before, after), layer.dilation, layer.ceil_mode
        )
        read = {
            i * layer.stride - before + a * layer.dilation
            for i in range(windows)
            for a in range(layer.kernel)
        }
        unseen = tuple(r for r in range(size) if r not in read)
        last = max(read)
        left = 0 if layer.ceil_mode else (size - f + before + after) % layer.stride
        if left or unseen:
            between = tuple(r for r in unseen if r < last)
            out.append(Remainder(axis, size, left, unseen, (before, after), layer.stride, between))
    return out


def _advice(r: Remainder, layer: Layer) -> str:
    name = "rows" if r.axis == "H" else "columns"
    if len(r.unseen) == 1:
        seen = f"input {name[:-1]} {r.unseen[0]} is never seen by any window"
    elif r.unseen:
        seen = f"input {name} {spans(r.unseen)} are never seen by any window"
    else:
        seen = f"only padding {name} are left over, every input {name[:-1]} is seen"
    f = layer.span
    gaps = ""
    if r.between:
        gaps = (
            f"; {spans(r.between)} lie between windows (stride {r.stride} > window {f}): "
            f"a stride of at most {f} reads them"
            if r.stride > f
            else f"; {spans(r.between)} fall between the dilated taps of every window"
        )
    if not r.left_over:
        return f"  warning: along {r.axis}: {seen}{gaps}"
    grow = r.stride - r.left_over
    fixes = [f"an input {r.size - r.left_over} or {r.size + grow} long"]
    if grow % 2 == 0:
        fixes.insert(0, f"padding {r.pads[0] + grow // 2} on both sides")
    else:
        fixes.insert(0, f"padding {r.pads[0]} before and {r.pads[1] + grow} after")
    return (
        f"  warning: ({r.axis}1 - F + 2P)/S + 1 is not whole along {r.axis} "
        f"({r.left_over} left over): {seen}{gaps}; exact with " + " or ".join(fixes)
    )


@dataclass
class ShapeStory:
    lines: list[str]
    layers: list[tuple[Layer, tuple[int, int, int], tuple[int, int, int], list[Remainder]]]


def explain(h: int, w: int, c: int, layers: list[Layer]) -> ShapeStory:
    """Walk the stack layer by layer; ValueError names a layer that cannot exist."""
    lines = [f"input: {h}x{w}x{c}"]
    steps = []
    for n, layer in enumerate(layers, 1):
        try:
            body, out = walk(h, w, c, [layer])
        except ValueError as e:
            raise ValueError(str(e).replace("layer 1", f"layer {n}", 1)) from None
        lines += [body[1].replace("layer 1", f"layer {n}", 1), *body[2:]]
        pads = _pads(layer, h, w, c)
        rem = _remainders(layer, h, w, pads)
        lines += [_advice(r, layer) for r in rem]
        steps.append((layer, (h, w, c), out, rem))
        h, w, c = out
    if not any(s[3] for s in steps):
        lines.append("every division is exact: each input row and column is seen")
    elif not any(r.left_over for s in steps for r in s[3]):
        lines.append("every division is exact, but some input rows or columns are never seen")
    return ShapeStory(lines, steps)


def _pads(layer: Layer, h: int, w: int, c: int) -> tuple[tuple[int, int], ...]:
    if layer.kind == "pool":
        return ((0, 0), (0, 0))
    from ..shapes import conv2d_geometry

    g = conv2d_geometry(
        "conv2d",
        (1, c, h, w),
        (max(layer.filters, 1), c, layer.kernel, layer.kernel),
        layer.stride,
        layer.padding,
        layer.dilation,
    )
    return g.pad
