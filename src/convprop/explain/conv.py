"""`convprop explain conv`: one convolution's forward and both gradients, number by number.

One channel, one filter, small integers so every sum can be checked by hand, and a loss
L = sum(Y * G) for a fixed random G, so that dL/dY = G. With stride S, padding P and
dilation D, output pixel (i, j) reads the padded input at (i*S + a*D, j*S + b*D):

    Y[i, j]      = sum_ab  Xp[i*S + a*D, j*S + b*D] * Wf[a, b]
    dL/dWf[a, b] = sum_ij  dL/dY[i, j] * Xp[i*S + a*D, j*S + b*D]   (X correlated with dL/dY)
    dL/dXp[r, c] = sum over the (i, j, a, b) that read (r, c) of dL/dY[i, j] * Wf[a, b]
                                         (dL/dY fully convolved with Wf)

Wf is the filter the sums use: W itself (cross-correlation, PyTorch's convention) or W
rotated 180 degrees (the course's true convolution). The whole arrays are these sums as
`kernels.reference` loops them (its one-channel case); the term-by-term lists below name
each product of one entry's sum. `check` compares them with the library's fast kernels
and central differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..kernels.conv import reference
from ..shapes import ConvGeometry, conv2d_geometry

Pair = tuple[int, int]


@dataclass(frozen=True)
class ConvSetup:
    input_size: Pair = (5, 5)
    kernel: Pair = (3, 3)
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    dilation: Pair = (1, 1)
    seed: int = 0
    convention: str = "correlation"


@dataclass
class ConvExample:
    setup: ConvSetup
    x: np.ndarray  # (H, W)
    w: np.ndarray  # (kH, kW)
    grad_y: np.ndarray  # (Ho, Wo): dL/dY = G
    g: ConvGeometry = field(repr=False)

    @property
    def wf(self) -> np.ndarray:
        """The filter the sums use: W, or W rotated 180 degrees for the true convolution."""
        return self.w if self.setup.convention == "correlation" else self.w[::-1, ::-1]

    @property
    def xp(self) -> np.ndarray:
        (t, b), (l, r) = self.g.pad
        return np.pad(self.x, ((t, b), (l, r)))

    def read(self, i: int, j: int, a: int, b: int) -> Pair:
        """The padded-input cell that output (i, j) reads with filter tap (a, b)."""
        (sh, sw), (dh, dw) = self.g.stride, self.g.dilation
        return i * sh + a * dh, j * sw + b * dw

    def to_input(self, r: int, c: int) -> Pair | None:
        """Padded coordinates -> input coordinates, None inside the zero padding."""
        r, c = r - self.g.pad[0][0], c - self.g.pad[1][0]
        inside = 0 <= r < self.x.shape[0] and 0 <= c < self.x.shape[1]
        return (r, c) if inside else None

    def flip(self, a: int, b: int) -> Pair:
        """W[a, b] sits at Wf[flip(a, b)]."""
        if self.setup.convention == "correlation":
            return a, b
        return self.w.shape[0] - 1 - a, self.w.shape[1] - 1 - b


def make_example(setup: ConvSetup) -> ConvExample:
    """Seeded small integers; ValueError (from the shape rules) for an impossible layer."""
    if setup.convention not in ("correlation", "convolution"):
        raise ValueError(
            f"explain conv: convention must be 'correlation' or 'convolution', "
            f"got {setup.convention!r}"
        )
    g = conv2d_geometry(
        "explain conv",
        (1, 1, *setup.input_size),
        (1, 1, *setup.kernel),
        setup.stride,
        setup.padding,
        setup.dilation,
    )
    rng = np.random.default_rng(setup.seed)
    x = rng.integers(-3, 4, setup.input_size).astype(np.float64)
    w = rng.integers(-2, 3, setup.kernel).astype(np.float64)
    grad_y = rng.integers(-2, 3, g.out_size).astype(np.float64)
    return ConvExample(setup, x, w, grad_y, g)


# --- the three sums, as loops ---------------------------------------------------------


def output_terms(ex: ConvExample, i: int, j: int) -> list[tuple[Pair, Pair, float, float]]:
    """Y[i, j] term by term: (tap (a, b), padded cell (r, c), Xp[r, c], Wf[a, b])."""
    xp, wf = ex.xp, ex.wf
    terms = []
    for a in range(wf.shape[0]):
        for b in range(wf.shape[1]):
            r, c = ex.read(i, j, a, b)
            terms.append(((a, b), (r, c), float(xp[r, c]), float(wf[a, b])))
    return terms


def forward(ex: ConvExample) -> np.ndarray:
    """Y, every entry the sum output_terms lists (reference.conv_forward's loops)."""
    return reference.conv_forward(ex.x[None, None], ex.wf[None, None], ex.g)[0, 0]


def weight_terms(ex: ConvExample, a: int, b: int) -> list[tuple[Pair, Pair, float, float]]:
    """dL/dW[a, b] term by term over every output pixel it touches (all of them):
    (output (i, j), padded cell (r, c), dL/dY[i, j], Xp[r, c])."""
    fa, fb = ex.flip(a, b)
    xp = ex.xp
    terms = []
    for i in range(ex.g.out_size[0]):
        for j in range(ex.g.out_size[1]):
            r, c = ex.read(i, j, fa, fb)
            terms.append(((i, j), (r, c), float(ex.grad_y[i, j]), float(xp[r, c])))
    return terms


def grad_weight(ex: ConvExample) -> np.ndarray:
    """dL/dW, each entry its sum over all output pixels (reference.conv_grad_weight's loops
    give dL/dWf; under the true convolution W[a, b] is Wf[flip(a, b)])."""
    gwf = reference.conv_grad_weight(ex.grad_y[None, None], ex.x[None, None], ex.g)[0, 0]
    return gwf if ex.setup.convention == "correlation" else np.ascontiguousarray(gwf[::-1, ::-1])


def pixel_terms(ex: ConvExample, r: int, c: int) -> list[tuple[Pair, Pair, float, float]]:
    """dL/dX[r, c] term by term over the region P of output pixels that read it:
    (output (i, j), W's tap (a, b), dL/dY[i, j], W[a, b])."""
    rp, cp = r + ex.g.pad[0][0], c + ex.g.pad[1][0]
    terms = []
    for i in range(ex.g.out_size[0]):
        for j in range(ex.g.out_size[1]):
            for fa in range(ex.w.shape[0]):
                for fb in range(ex.w.shape[1]):
                    if ex.read(i, j, fa, fb) == (rp, cp):
                        a, b = ex.flip(fa, fb)  # the flip is its own inverse
                        terms.append(((i, j), (a, b), float(ex.grad_y[i, j]), float(ex.w[a, b])))
    return terms


def grad_input(ex: ConvExample) -> np.ndarray:
    """dL/dX, each entry its sum over its region P (reference.conv_grad_input's loops)."""
    return reference.conv_grad_input(ex.grad_y[None, None], ex.wf[None, None], ex.g)[0, 0]


# --- the same gradients as whole convolutions -------------------------------------------


def spread(ex: ConvExample) -> np.ndarray:
    """dL/dY with S-1 zeros between neighbours: the stride's effect on both gradients."""
    (sh, sw), (ho, wo) = ex.g.stride, ex.g.out_size
    out = np.zeros(((ho - 1) * sh + 1, (wo - 1) * sw + 1))
    out[::sh, ::sw] = ex.grad_y
    return out


def dilated(w: np.ndarray, ex: ConvExample) -> np.ndarray:
    """A filter with D-1 zeros between taps: D*(K-1) + 1 wide (the geometry's window span)."""
    dh, dw = ex.g.dilation
    out = np.zeros(ex.g.dilated_kernel)
    out[::dh, ::dw] = w
    return out


def correlate(a: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation: out[u, v] = sum_pq a[u + p, v + q] * k[p, q]."""
    ho, wo = a.shape[0] - k.shape[0] + 1, a.shape[1] - k.shape[1] + 1
    out = np.zeros((ho, wo))
    for u in range(ho):
        for v in range(wo):
            out[u, v] = np.sum(a[u : u + k.shape[0], v : v + k.shape[1]] * k)
    return out


def grad_weight_as_correlation(ex: ConvExample) -> np.ndarray:
    """dL/dWf = Xp correlated with spread dL/dY, read every D-th cell; then unflipped."""
    dwf = correlate(ex.xp, spread(ex))[:: ex.g.dilation[0], :: ex.g.dilation[1]]
    dwf = dwf[: ex.w.shape[0], : ex.w.shape[1]]
    return dwf if ex.setup.convention == "correlation" else dwf[::-1, ::-1]


def full_padded(ex: ConvExample) -> np.ndarray:
    """spread dL/dY with D*(K-1) zeros around it, where the full convolution starts."""
    ph, pw = (span - 1 for span in ex.g.dilated_kernel)
    return np.pad(spread(ex), ((ph, ph), (pw, pw)))


def grad_input_as_full_convolution(ex: ConvExample) -> np.ndarray:
    """dL/dXp = the full correlation of spread dL/dY with rot180(dilated Wf) (= the full
    convolution with Wf), extended with zeros to the padded size, padding cropped."""
    dxp_seen = correlate(full_padded(ex), dilated(ex.wf, ex)[::-1, ::-1])
    hp, wp = ex.g.padded_size
    dxp = np.zeros((hp, wp))  # rows/columns no window reaches get no gradient
    dxp[: dxp_seen.shape[0], : dxp_seen.shape[1]] = dxp_seen
    (t, _), (l, _) = ex.g.pad
    return dxp[t : t + ex.x.shape[0], l : l + ex.x.shape[1]]


# --- what each whole form is, in words (the text and the plot say the same) --------------


def backward_filter(ex: ConvExample) -> tuple[str, np.ndarray]:
    """The filter slid over padded dL/dY for dL/dX, with its name: rot180 of the (dilated)
    filter the sums use, which is W itself under the true convolution."""
    taps = "dilated " if ex.setup.dilation != (1, 1) else ""
    if ex.setup.convention == "correlation":
        name = f"rot180({taps}W) (flipped 180 degrees)"
    else:
        name = f"rot180({taps}Wf) = {taps}W (unflipped)"
    return name, dilated(ex.wf, ex)[::-1, ::-1]


def forward_formula(ex: ConvExample) -> str:
    if ex.setup.convention == "correlation":
        return "Y = X correlated with W"
    return "Y = X convolved with W (= X correlated with Wf)"


def weight_formula(ex: ConvExample) -> str:
    """dL/dW as one whole operation, exactly as grad_weight_as_correlation computes it."""
    xp = "Xp" if ex.g.pad != ((0, 0), (0, 0)) else "X"
    gy = "spread dL/dY" if ex.setup.stride != (1, 1) else "dL/dY"
    text = f"{xp} correlated with {gy}"
    if ex.setup.dilation != (1, 1):
        text += f", every {pair_text(ex.setup.dilation)}-th cell"
    return "dL/dW = " + (text if ex.setup.convention == "correlation" else f"rot180({text})")


def input_formula(ex: ConvExample) -> str:
    """dL/dX as one whole operation, exactly as grad_input_as_full_convolution computes it."""
    gy = "spread dL/dY" if ex.setup.stride != (1, 1) else "dL/dY"
    taps = "dilated " if ex.setup.dilation != (1, 1) else ""
    if ex.setup.convention == "correlation":
        text = f"dL/dX = {gy} full-conv {taps}W"
    else:
        text = f"dL/dX = {gy} full-corr {taps}W (= full-conv {taps}Wf)"
    return text + (", cropped" if ex.g.pad != ((0, 0), (0, 0)) else "")


def pair_text(p: Pair) -> str:
    """2 for (2, 2), 2x3 for (2, 3)."""
    return str(p[0]) if p[0] == p[1] else f"{p[0]}x{p[1]}"
