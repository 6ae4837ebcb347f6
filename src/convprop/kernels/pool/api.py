"""PyTorch's dimension-named pooling kernels, made from the N-d functions by one table
(family.fixed): max_pool1d/2d/3d and their backwards, the 2-D switch helpers, and
avg_pool1d/2d/3d with their backwards. Each is max.py's or avg.py's function with `dims`
fixed, so that it refuses an input of another rank, naming itself.

indices are flat positions in each input plane: c in 1-D, r*W + c in 2-D, (d*H + r)*W + c
in 3-D, as PyTorch's return_indices. Ties go to the first maximum in row-major window
order; a NaN always wins.
"""

from __future__ import annotations

from ..family import F, fixed
from .avg import avg_pool, avg_pool_backward
from .max import (
    max_pool,
    max_pool_backward,
    max_pool_grad,
    max_pool_indices,
    max_pool_switches,
    max_pool_switches_backward,
)

MAX_POOL = """{n}-D max pooling with the winners' positions: (y, indices).

Shape:
    x: (N, C, {x}) -> y, indices: (N, C, {y}) with
    {out} = floor(({size} + 2P - D*({ksize}-1) - 1) / S) + 1 (ceil with ceil_mode; the last
    window must start inside the input or the leading padding).{likewise}

indices are flat positions {flat} in each input plane, as PyTorch's return_indices.
Ties go to the first maximum in row-major window order; a NaN always wins.
"""

MAX_POOL_BACKWARD = """Route each gradient of max_pool{n}d to its window's recorded winner
(indices), summing where windows share one; given kernel_size (and stride, dilation),
windows that cannot overlap are assigned in one pass.
"""

MAX_POOL_SWITCHES = """max_pool{n}d recording each window's winning tap (a*kW + b in 2-D, unsigned
ints) instead of flat indices: smaller, and its backward needs no scatter.
"""

MAX_POOL_INDICES = """PyTorch's flat indices {flat} from max_pool{n}d_switches' taps."""

MAX_POOL_SWITCHES_BACKWARD = """Route each gradient of max_pool{n}d_switches to its window's
winning tap (its switch): no scatter where windows cannot overlap."""

MAX_POOL_GRAD = """max_pool{n}d's input gradient from the input, ties "first" (PyTorch) or
"split" (shared evenly among a window's maxima)."""

AVG_POOL = """{n}-D average pooling.

Shape:
    x: (N, C, {x}) -> y: (N, C, {y}) with
    {out} = floor(({size} + 2P - D*({ksize}-1) - 1) / S) + 1 (ceil with ceil_mode, as
    max_pool{n}d).{likewise}

The divisor is the window's volume, counting zero padding (count_include_pad=True) or
not, clipped where ceil_mode lets a window hang past the padded input; or
divisor_override (avg_pool2d and avg_pool3d: PyTorch's avg_pool1d has none). All as
PyTorch. dilation (keyword only, not PyTorch's): taps D apart, the divisor counting those
that land in the padded input (or the input), as ONNX's AveragePool.
"""

AVG_POOL_BACKWARD = """Gradient of avg_pool{n}d: each window's dL/dY shared equally by its
inputs, over its divisor (see avg_pool{n}d), for an input of shape input_shape."""

NO_DIVISOR: dict[int, tuple[str, ...]] = {
    1: ("divisor_override",)
}  # PyTorch's avg_pool1d has no divisor_override


def _family(nd: F, name: str, doc: str, drop: dict[int, tuple[str, ...]]) -> tuple[F, F, F]:
    """nd's 1-D, 2-D and 3-D members, named name.format(d)."""
    one, two, three = (
        fixed(nd, name.format(d), d, doc, __name__, drop=drop.get(d, ())) for d in (1, 2, 3)
    )
    return one, two, three


# the table: each N-d function, its members' names and their docstring
max_pool1d, max_pool2d, max_pool3d = _family(max_pool, "max_pool{}d", MAX_POOL, {})
max_pool1d_backward, max_pool2d_backward, max_pool3d_backward = _family(
    max_pool_backward, "max_pool{}d_backward", MAX_POOL_BACKWARD, {}
)
avg_pool1d, avg_pool2d, avg_pool3d = _family(avg_pool, "avg_pool{}d", AVG_POOL, NO_DIVISOR)
avg_pool1d_backward, avg_pool2d_backward, avg_pool3d_backward = _family(
    avg_pool_backward, "avg_pool{}d_backward", AVG_POOL_BACKWARD, NO_DIVISOR
)
# the switch helpers: PyTorch has no such functions, and convprop names only the 2-D ones
max_pool2d_switches = fixed(
    max_pool_switches, "max_pool2d_switches", 2, MAX_POOL_SWITCHES, __name__
)
max_pool2d_indices = fixed(max_pool_indices, "max_pool2d_indices", 2, MAX_POOL_INDICES, __name__)
max_pool2d_switches_backward = fixed(
    max_pool_switches_backward,
    "max_pool2d_switches_backward",
    2,
    MAX_POOL_SWITCHES_BACKWARD,
    __name__,
)
max_pool2d_grad = fixed(max_pool_grad, "max_pool2d_grad", 2, MAX_POOL_GRAD, __name__)
