"""The text of `convprop explain conv`: conv.py's sums told step by step, then checked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import kernels as K
from ..gradcheck import numerical_gradient
from . import conv as C
from .text import grid, product_sum, side_by_side


@dataclass(frozen=True)
class ConvCheck:
    """Largest absolute differences between the step-by-step numbers and independent ones."""

    y_vs_kernels: float
    grad_w_vs_kernels: float
    grad_x_vs_kernels: float
    grad_w_vs_numerical: float
    grad_x_vs_numerical: float
    identities: float  # the whole-convolution forms against the term-by-term sums

    @property
    def ok(self) -> bool:
        """Exact comparisons to rounding; central differences to their own error (~1e-9)."""
        exact = (self.y_vs_kernels, self.grad_w_vs_kernels, self.grad_x_vs_kernels)
        numerical = (self.grad_w_vs_numerical, self.grad_x_vs_numerical)
        return max(*exact, self.identities) <= 1e-9 and max(numerical) <= 1e-5


@dataclass
class ConvExplanation:
    example: C.ConvExample
    output: C.Pair
    weight: C.Pair
    pixel: C.Pair
    lines: list[str]
    check: ConvCheck


def _kernel_options(ex: C.ConvExample) -> dict[str, object]:
    s = ex.setup
    return dict(stride=s.stride, padding=ex.g.pad, dilation=s.dilation, convention=s.convention)


def check(ex: C.ConvExample) -> ConvCheck:
    opts = _kernel_options(ex)
    x4, w4, g4 = ex.x[None, None], ex.w[None, None], ex.grad_y[None, None]
    y = K.conv2d(x4, w4, **opts)[0, 0]  # type: ignore[arg-type]
    gx, gw, _ = K.conv2d_backward(g4, x4, w4, **opts)  # type: ignore[arg-type]

    def loss(x: np.ndarray, w: np.ndarray) -> float:
        return float(np.sum(K.conv2d(x[None, None], w[None, None], **opts) * g4))  # type: ignore[arg-type]

    num_gx = numerical_gradient(lambda x: loss(x, ex.w), ex.x)
    num_gw = numerical_gradient(lambda w: loss(ex.x, w), ex.w)
    step_y, step_gw, step_gx = C.forward(ex), C.grad_weight(ex), C.grad_input(ex)

    def gap(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.max(np.abs(a - b), initial=0.0))

    identities = max(
        gap(C.grad_weight_as_correlation(ex), step_gw),
        gap(C.grad_input_as_full_convolution(ex), step_gx),
    )
    return ConvCheck(
        gap(step_y, y),
        gap(step_gw, gw[0, 0]),
        gap(step_gx, gx[0, 0]),
        gap(step_gw, num_gw),
        gap(step_gx, num_gx),
        identities,
    )


def _cell(ex: C.ConvExample, rc: C.Pair) -> str:
    inside = ex.to_input(*rc)
    return f"X[{inside[0]},{inside[1]}]" if inside else "pad"


def explain(
    setup: C.ConvSetup,
    output: C.Pair | None = None,
    weight: C.Pair = (0, 0),
    pixel: C.Pair | None = None,
) -> ConvExplanation:
    """The whole story; output and pixel default to the middle of Y and of X."""
    ex = C.make_example(setup)
    (ho, wo), (h, w), (kh, kw) = ex.g.out_size, ex.x.shape, ex.w.shape
    output = output or (ho // 2, wo // 2)
    pixel = pixel or (h // 2, w // 2)
    for name, at, size in (
        ("--output", output, (ho, wo)),
        ("--weight", weight, (kh, kw)),
        ("--pixel", pixel, (h, w)),
    ):
        if not (0 <= at[0] < size[0] and 0 <= at[1] < size[1]):
            raise ValueError(f"explain conv: {name} {at} lies outside {size[0]}x{size[1]}")
    s = setup
    lines = [
        f"convolution of a {h}x{w} input with a {kh}x{kw} filter: stride {pair(s.stride)}, "
        f"padding {pair(s.padding)}, dilation {pair(s.dilation)}, {s.convention} "
        f"(seed {s.seed})",
        f"output size: Ho = (H + 2P - D*(K-1) - 1)/S + 1 = {ho}, Wo = {wo}",
        "",
    ]
    filters = [grid("X", ex.x), grid("W", ex.w)]
    if s.convention == "convolution":
        filters.append(grid("Wf = rot180(W), what the sums use", ex.wf))
    lines += side_by_side(filters)
    lines += _one_output(ex, output)
    lines += _one_weight(ex, weight)
    lines += _one_pixel(ex, pixel)
    lines += ["", "4. what stride, padding and dilation change:", *_changes(ex)]
    result = check(ex)
    values = ", ".join(f"{v:.1e}" for v in vars(result).values())
    lines += [
        "",
        "check (Y, dL/dW, dL/dX against convprop.kernels; dL/dW, dL/dX against central "
        f"differences; whole-convolution forms against the sums): {values} -> "
        + ("OK" if result.ok else "MISMATCH"),
    ]
    return ConvExplanation(ex, output, weight, pixel, lines, result)


def _one_output(ex: C.ConvExample, at: C.Pair) -> list[str]:
    y = C.forward(ex)
    terms = C.output_terms(ex, *at)
    wname = "Wf" if ex.setup.convention == "convolution" else "W"
    reads = ", ".join(f"{_cell(ex, rc)}*{wname}[{ab[0]},{ab[1]}]" for ab, rc, _, _ in terms)
    lines = [
        "",
        f"1. one output pixel: Y[{at[0]},{at[1]}] = "
        f"sum_ab Xp[{at[0]}*S + a*D, {at[1]}*S + b*D] * {wname}[a,b]",
        "   = " + product_sum([(xv, wv) for _, _, xv, wv in terms], y[at]),
        f"   reads {reads}  ('pad' cells are 0)",
    ]
    return lines + side_by_side([grid("Y", y, [at]), grid("dL/dY = G, for L = sum Y*G", ex.grad_y)])


def _one_weight(ex: C.ConvExample, at: C.Pair) -> list[str]:
    a, b = at
    terms = C.weight_terms(ex, a, b)
    gw = C.grad_weight(ex)
    ho, wo = ex.g.out_size
    flipped = ex.setup.convention == "convolution"
    fa, fb = ex.flip(a, b)
    return [
        "",
        f"2. one weight: W[{a},{b}] touches every output pixel, all {ho * wo} of them"
        + (f" (as Wf[{fa},{fb}])" if flipped else ""),
        f"   dL/dW[{a},{b}] = sum_ij dL/dY[i,j] * Xp[i*S + {fa}*D, j*S + {fb}*D]",
        "   = " + product_sum([(dy, xv) for _, _, dy, xv in terms], gw[a, b]),
        f"   as one operation: {C.weight_formula(ex)}:",
        *grid("dL/dW", gw, [at]),
    ]


def _one_pixel(ex: C.ConvExample, at: C.Pair) -> list[str]:
    terms = C.pixel_terms(ex, *at)
    gx = C.grad_input(ex)
    name, flipped = C.backward_filter(ex)
    region = [ij for ij, _, _, _ in terms]
    taps = ", ".join(f"Y[{ij[0]},{ij[1]}] via W[{ab[0]},{ab[1]}]" for ij, ab, _, _ in terms)
    lines = [
        "",
        f"3. one input pixel: X[{at[0]},{at[1]}] is read by a region P of {len(region)} "
        f"output pixel(s): {taps or 'none'}",
        f"   dL/dX[{at[0]},{at[1]}] = sum over P of dL/dY[i,j] * W[a,b], the tap that read it",
        "   = " + product_sum([(dy, wv) for _, _, dy, wv in terms], gx[at]),
        *grid("dL/dY, P marked", ex.grad_y, region),
        f"   as one operation: {C.input_formula(ex)}: spread dL/dY, pad it by D*(K-1), "
        f"slide the filter {name} over it"
        + (", crop the padding:" if ex.g.pad != ((0, 0), (0, 0)) else ":"),
    ]
    lines += side_by_side([grid("dL/dY spread and padded", C.full_padded(ex)), grid(name, flipped)])
    return lines + grid("dL/dX", gx, [at])


def pair(p: C.Pair) -> str:
    """2 for (2, 2), 2x3 for (2, 3)."""
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"


def _changes(ex: C.ConvExample) -> list[str]:
    s, g = ex.setup, ex.g
    out = []
    if s.stride == (1, 1):
        out.append(
            "   stride 1: neighbouring outputs read neighbouring windows; nothing is spread."
        )
    else:
        out.append(
            f"   stride {pair(s.stride)}: outputs read windows {pair(s.stride)} apart, so in both "
            "gradients "
            f"dL/dY is first spread apart with stride-1 zeros ({ex.grad_y.shape} -> "
            f"{C.spread(ex).shape}) before the two convolutions."
        )
    if g.pad == ((0, 0), (0, 0)):
        out.append("   padding 0: every window lies inside X.")
    else:
        out.append(
            f"   padding {pair(s.padding)}: X is surrounded by zeros; their gradients are "
            "computed and thrown away (dL/dX is cropped back to X's size), and they add "
            "nothing to dL/dW."
        )
    if s.dilation == (1, 1):
        out.append("   dilation 1: the filter's taps are adjacent.")
    else:
        out.append(
            f"   dilation {pair(s.dilation)}: the taps are {pair(s.dilation)} apart; the filter "
            f"acts as its dilated copy ({ex.w.shape} -> {C.dilated(ex.w, ex).shape}, zeros "
            "between taps), and dL/dW reads the correlation every D-th cell."
        )
    return out
