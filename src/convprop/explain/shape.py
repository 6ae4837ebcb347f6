"""`convprop explain shape`: `convprop shape`'s walk, with a warning wherever
(W1 - F + 2P)/S + 1 is not a whole number: which input rows and columns no window ever
sees, and the padding or input size that would make the division exact."""

from __future__ import annotations

from dataclasses import dataclass

from ..cli_shape import Layer, walk


@dataclass(frozen=True)
class Remainder:
    """One axis of one layer whose windows do not fit exactly."""

    axis: str  # "H" or "W"
    size: int  # the layer's input size along the axis
    left_over: int  # (size - F + 2P) mod S: padded rows past the last window
    unseen: tuple[int, ...]  # input rows (or columns) that no window reads
    pads: tuple[int, int]
    stride: int


def _remainders(layer: Layer, h: int, w: int, pads: tuple[tuple[int, int], ...]) -> list[Remainder]:
    out = []
    f = layer.dilation * (layer.kernel - 1) + 1
    for axis, size, (before, after) in zip("HW", (h, w), pads, strict=True):
        left = (size - f + before + after) % layer.stride
        if left == 0 or layer.ceil_mode:  # ceil_mode: the last window hangs past instead
            continue
        # the last `left` padded rows are never read; those before `after` are input rows
        first_unseen = size + after - left
        unseen = tuple(range(max(first_unseen, 0), size))
        out.append(Remainder(axis, size, left, unseen, (before, after), layer.stride))
    return out


def _advice(r: Remainder, layer: Layer) -> str:
    name = "rows" if r.axis == "H" else "columns"
    if len(r.unseen) == 1:
        seen = f"input {name[:-1]} {r.unseen[0]} is never seen by any window"
    elif r.unseen:
        seen = f"input {name} {r.unseen[0]}..{r.unseen[-1]} are never seen by any window"
    else:
        seen = f"only padding {name} are left over, every input {name[:-1]} is seen"
    grow = r.stride - r.left_over
    fixes = [f"an input {r.size - r.left_over} or {r.size + grow} long"]
    if grow % 2 == 0:
        fixes.insert(0, f"padding {r.pads[0] + grow // 2} on both sides")
    else:
        fixes.insert(0, f"padding {r.pads[0]} before and {r.pads[1] + grow} after")
    return (
        f"  warning: ({r.axis}1 - F + 2P)/S + 1 is not whole along {r.axis} "
        f"({r.left_over} left over): {seen}; exact with " + " or ".join(fixes)
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
    return ShapeStory(lines, steps)


def _pads(layer: Layer, h: int, w: int, c: int) -> tuple[tuple[int, int], ...]:
    if layer.kind == "pool":
        return ((0, 0), (0, 0))
    from ..shapes import conv2d_geometry

    g = conv2d_geometry(
        "conv2d", (1, c, h, w), (max(layer.filters, 1), c, layer.kernel, layer.kernel),
        layer.stride, layer.padding, layer.dilation,
    )  # fmt: skip
    return g.pad
