"""PyTorch's 1d/2d/3d functional names, generated from one table: family -> its N-d
implementation (functional_nd.py) and docstring; dims -> name by op_name ("conv", 2) ->
"conv2d".

Each generated function is its family's N-d function with `dims` bound: the same bytecode
(its `dims` parameter renamed out of reach, below), so calling F.conv2d runs
functional_nd.conv's body directly (no wrapper frame), with its own __name__, __qualname__,
__module__ and docstring, and PyTorch's signature (the keyword `dims` left out of it).
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Callable
from typing import Any

from ..functions.dims import SPATIAL_DIMS
from . import functional_nd as nd

# family -> (N-d implementation, docstring; {dims} and {name} filled in per member)
FAMILIES: dict[str, tuple[Callable[..., Any], str]] = {
    "conv": (
        nd.conv,
        "{dims}-D convolution (cross-correlation), as torch.nn.functional.{name}.\n\n"
        "Shape: input (N, C_in, *L) or (C_in, *L), weight (C_out, C_in/groups, *K) -> "
        "(N, C_out, *Lo), Lo = floor((L + 2P - D(K-1) - 1)/S) + 1 per axis "
        "(shapes.output_size).",
    ),
    "conv_transpose": (
        nd.conv_transpose,
        "{dims}-D transposed convolution, as torch.nn.functional.{name}.\n\n"
        "Shape: input (N, C_in, *L), weight (C_in, C_out/groups, *K) -> (N, C_out, *Lo), "
        "Lo = (L-1)S - 2P + D(K-1) + output_padding + 1 per axis (shapes.transposed_size).",
    ),
    "max_pool": (
        nd.max_pool,
        "{dims}-D max pooling (PyTorch's arguments). ties='first' sends a window's gradient "
        "to its first maximum (PyTorch's rule); ties='split' shares it among all its maxima."
        "\n\nShape: (N, C, *L) -> (N, C, *Lo), Lo = floor((L + 2P - D(K-1) - 1)/S) + 1 per "
        "axis, rounded up with ceil_mode (shapes.output_size).",
    ),
    "avg_pool": (
        nd.avg_pool,
        "{dims}-D average pooling, as torch.nn.functional.{name}; dilation (keyword, not "
        "PyTorch's) spaces the taps, the divisor counting those in the (padded) input.\n\n"
        "Shape: (N, C, *L) -> (N, C, *Lo), Lo as max_pool{dims}d's (shapes.output_size).",
    ),
    "lp_pool": (
        nd.lp_pool,
        "{dims}-D power-average pooling, (sum of x^p over each window)^(1/p), as "
        "torch.nn.functional.{name}; keywords (not PyTorch's): dilation, and absolute "
        "(|x|^p, ONNX's LpPool). Its gradient is PyTorch autograd's of the same formula.",
    ),
    "max_unpool": (
        nd.max_unpool,
        "The partial inverse of max_pool{dims}d: values at their indices, zeros elsewhere; "
        "output size (L-1)*S - 2P + K per axis unless output_size says otherwise, strictly "
        "within a stride of that size, as PyTorch's.",
    ),
    "adaptive_avg_pool": (
        nd.adaptive_avg_pool,
        "Average over PyTorch's adaptive windows so the output is exactly output_size "
        "({dims}-D; an int, or one per axis, None keeping that axis's size).",
    ),
    "adaptive_max_pool": (
        nd.adaptive_max_pool,
        "{dims}-D adaptive max pooling, indices as max_pool{dims}d's.",
    ),
}


# The name the bound `dims` parameter has in a member's code: not an identifier, so a call
# cannot pass it (F.conv2d(x, w, dims=3) is "got an unexpected keyword argument 'dims'", as
# for a hand-written conv2d); the body reads it by position, as it reads every local.
BOUND = "dims bound by functional_family"


def _member(family: str, dims: int) -> Callable[..., Any]:
    """The family's N-d function with dims bound, named and documented as PyTorch's."""
    implementation, doc = FAMILIES[family]
    name = nd.op_name(family, dims)
    code = implementation.__code__
    code = code.replace(co_varnames=tuple(BOUND if v == "dims" else v for v in code.co_varnames))
    member = types.FunctionType(code, implementation.__globals__, name, implementation.__defaults__)
    member.__kwdefaults__ = {**(implementation.__kwdefaults__ or {}), BOUND: dims}
    member.__qualname__, member.__module__ = name, __name__
    member.__doc__ = doc.format(dims=dims, name=name)
    annotations = implementation.__annotations__
    member.__annotations__ = {k: v for k, v in annotations.items() if k != "dims"}
    signature = inspect.signature(implementation)
    public = [p for p in signature.parameters.values() if p.name != "dims"]
    member.__dict__["__signature__"] = signature.replace(parameters=public)  # inspect's
    return member


def family(name: str) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """The 1-D, 2-D and 3-D members of a family."""
    one, two, three = (_member(name, dims) for dims in SPATIAL_DIMS)
    return one, two, three


conv1d, conv2d, conv3d = family("conv")
conv_transpose1d, conv_transpose2d, conv_transpose3d = family("conv_transpose")
max_pool1d, max_pool2d, max_pool3d = family("max_pool")
avg_pool1d, avg_pool2d, avg_pool3d = family("avg_pool")
lp_pool1d, lp_pool2d, lp_pool3d = family("lp_pool")
max_unpool1d, max_unpool2d, max_unpool3d = family("max_unpool")
adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = family("adaptive_avg_pool")
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = family("adaptive_max_pool")
