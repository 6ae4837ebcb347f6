"""PyTorch's dimension-named kernels (conv2d, avg_pool1d_backward, max_pool3d, ...) made
from the N-d functions, as Equinox's Conv(num_spatial_dims) has thin 1d/2d/3d subclasses.

Every N-d kernel takes a keyword-only `dims` (the number of spatial dimensions, x.ndim - 2
when None) and names its errors after the dimension it runs, "conv2d: ...". `fixed` makes
the named member: the N-d function with `dims` fixed, so that an array of another rank is
refused by conv2d exactly as conv2d always refused it; its signature is the N-d one
without `dims` (and any parameter PyTorch's member lacks: avg_pool1d has no
divisor_override), and its docstring is the family's template filled with that
dimension's axis names. The tables that call it are conv/api.py and pool/api.py.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from .layout import SPATIAL

F = TypeVar("F", bound=Callable[..., Any])

# the axis a docstring's output-size formula is written for, and the others ("Likewise ...")
_EXAMPLE = {
    1: ("L", "k", "Lo", ""),
    2: ("H", "kH", "Ho", " Likewise Wo."),
    3: ("H", "kH", "Ho", " Likewise Do and Wo."),
}
_FLAT = {1: "c", 2: "r*W + c", 3: "(d*H + r)*W + c"}


def axis_names(dims: int) -> dict[str, str]:
    """The fields of a docstring template: n (1, 2, 3), x, k and y (the input, kernel and
    output axes: "H, W", "kH, kW", "Ho, Wo"), size, ksize and out (one axis's names, for the
    output-size formula), likewise (the other axes), layout ("NCHW") and flat (a flat index
    in an input plane, "r*W + c")."""
    x, k, y = SPATIAL[dims]
    size, ksize, out, likewise = _EXAMPLE[dims]
    layout = "NC" + x.replace(", ", "")
    return dict(
        n=str(dims),
        x=x,
        k=k,
        y=y,
        size=size,
        ksize=ksize,
        out=out,
        likewise=likewise,
        layout=layout,
        flat=_FLAT[dims],
    )


def spatial_dims(a: Any, most: int | None = None) -> int:
    """The spatial dimensions of an (N, C, *size) array: a.ndim - 2, at least 1 (and at most
    `most`). Anything but an ndarray counts as 2-D, so that its check (a list converted, a
    Tensor refused) names the 2-D op."""
    if not isinstance(a, np.ndarray):
        return 2
    dims = max(a.ndim - 2, 1)
    return dims if most is None else min(dims, most)


def fixed(nd: F, name: str, dims: int, doc: str, module: str, *, drop: tuple[str, ...] = ()) -> F:
    """nd with dims fixed, called `name` in `module` (the table's, where pickle finds it):
    its signature without `dims` and `drop`, its docstring `doc` filled with
    axis_names(dims).

    The member is a real def, written out from that signature as dataclasses writes its
    __init__: Python itself binds its arguments (and words a wrong call as it always did,
    "conv2d() missing 1 required positional argument: 'weight'"), at no cost per call
    beyond one frame; its defaults are the N-d function's own objects."""
    full = inspect.signature(nd)
    kept = [p for n, p in full.parameters.items() if n != "dims" and n not in drop]
    params, passed, defaults = [], [], {}
    for p in kept:
        assert p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY), (name, p)
        if p.kind is p.KEYWORD_ONLY and "*" not in params:
            params.append("*")
        if p.default is p.empty:
            params.append(p.name)
        else:
            defaults[f"_{p.name}"] = p.default
            params.append(f"{p.name}=_{p.name}")
        passed.append(p.name if p.kind is p.POSITIONAL_OR_KEYWORD else f"{p.name}={p.name}")
    source = f"def {name}({', '.join(params)}):\n    return _nd({', '.join(passed)}, dims={dims})\n"
    namespace: dict[str, Any] = {"_nd": nd, **defaults}
    exec(source, namespace)
    member = namespace[name]
    member.__qualname__ = name
    member.__module__ = module
    member.__doc__ = doc.format(**axis_names(dims))
    member.__signature__ = full.replace(parameters=kept)  # with the annotations
    return cast(F, member)
