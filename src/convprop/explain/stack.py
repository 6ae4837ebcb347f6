"""The layer-stack walk behind `convprop shape` and `convprop explain shape`: each layer's
output size from the course's formula, W2 = (W1 - F + 2P)/S + 1, with the numbers filled in."""

from __future__ import annotations

from dataclasses import dataclass

from ..shapes import conv2d_geometry, dilated_extent, output_size, pool2d_geometry


@dataclass(frozen=True)
class Layer:
    """One layer of the stack: a conv (K filters of FxF, stride S, padding P, dilation D) or a
    max pool (FxF, stride S, ceil_mode)."""

    kind: str  # "conv" or "pool"
    kernel: int
    stride: int
    padding: int | str = 0
    dilation: int = 1
    filters: int = 0
    ceil_mode: bool = False

    @property
    def span(self) -> int:
        """F' = D*(F-1) + 1: the cells one (dilated) window spans."""
        return dilated_extent(self.kernel, self.dilation)


def _formula(axis: str, size: int, layer: Layer, pad: tuple[int, int], out: int) -> str:
    """'W2 = (W1 - F + 2P)/S + 1 = (32 - 5 + 2*0)/1 + 1 = 28', with dilation and ceil shown."""
    f = layer.span  # a dilated window spans F' = D*(F-1)+1 cells: said once, then used as F
    fdef = f", F' = D*(F-1)+1 = {layer.dilation}*({layer.kernel}-1)+1 = {f}: "
    fname, fdef = ("F'", fdef) if layer.dilation > 1 else ("F", " = ")
    padding = f"2*{pad[0]}" if pad[0] == pad[1] else f"{pad[0]}+{pad[1]}"
    numerator = size - f + pad[0] + pad[1]
    exact = numerator % layer.stride == 0
    rounding = "ceil" if layer.ceil_mode else "floor"
    value = (
        f"{numerator // layer.stride + 1}"
        if exact
        else f"{rounding}({numerator}/{layer.stride}) + 1 = {out}"
    )
    line = (
        f"  {axis}2 = ({axis}1 - {fname} + 2P)/S + 1{fdef}({size} - {f} + {padding})/"
        f"{layer.stride} + 1 = {value}"
    )
    if not exact and not layer.ceil_mode:
        unseen = numerator % layer.stride
        what = ("row" if axis == "H" else "column") + ("s" if unseen > 1 else "")
        kind = "padded" if pad[0] or pad[1] else "input"  # no padding: the rows are X's own
        line += f"   (not whole: the last {unseen} {kind} {what} never seen)"
    return line


def walk(h: int, w: int, c: int, layers: list[Layer]) -> tuple[list[str], tuple[int, int, int]]:
    """Explanation lines and the final HxWxC; ValueError names the layer and the broken rule."""
    lines = [f"input: {h}x{w}x{c}"]
    for n, layer in enumerate(layers, 1):
        try:
            if layer.kind == "conv":
                g = conv2d_geometry(
                    "conv2d",
                    (1, c, h, w),
                    (layer.filters, c, layer.kernel, layer.kernel),
                    layer.stride,
                    layer.padding,
                    layer.dilation,
                )
                pads, out, c_out = g.pad, g.out_size, layer.filters
                title = (
                    f"layer {n}: conv {layer.filters} filters {layer.kernel}x{layer.kernel}x{c}, "
                    f"stride {layer.stride}, padding {layer.padding}"
                    + (f", dilation {layer.dilation}" if layer.dilation > 1 else "")
                )
            else:
                p = pool2d_geometry(
                    "max_pool2d", (1, c, h, w), layer.kernel, layer.stride, 0, 1, layer.ceil_mode
                )
                pads, out, c_out = ((0, 0), (0, 0)), p.out_size, c
                title = f"layer {n}: max pool {layer.kernel}x{layer.kernel}, stride {layer.stride}"
                title += ", ceil_mode" if layer.ceil_mode else ""
        except ValueError as e:
            raise ValueError(f"layer {n} ({layer.kind}): {e}") from None
        assert out[0] == output_size(
            h, layer.kernel, layer.stride, pads[0], layer.dilation, layer.ceil_mode
        )
        lines += [
            title,
            _formula("H", h, layer, pads[0], out[0]),
            _formula("W", w, layer, pads[1], out[1]),
        ]
        h, w, c = out[0], out[1], c_out
        lines.append(f"  -> {h}x{w}x{c}")
    return lines, (h, w, c)
