"""nn/functional_family.py and the dims tables: PyTorch's 1d/2d/3d functional names are
their family's N-d function (functional_nd.py) with dims bound, the same code and no
wrapper; each module class is found by dims in one table; a module's forward reaches the
differentiable op through exactly three nn frames (Module.__call__, forward, the N-d
functional)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest

from convprop import Tensor, nn
from convprop.nn import conv, functional_family, functional_nd, pool, pool_adaptive
from convprop.nn import functional as F

MEMBERS = [(family, dims) for family in functional_family.FAMILIES for dims in (1, 2, 3)]


@pytest.mark.parametrize(("family", "dims"), MEMBERS)
def test_each_name_is_its_family_with_dims_bound(family: str, dims: int) -> None:
    name = f"{family}{dims}d"
    member = getattr(F, name)
    implementation, _ = functional_family.FAMILIES[family]
    assert member is getattr(functional_family, name)
    assert member.__code__.co_code == implementation.__code__.co_code  # no wrapper frame
    assert member.__kwdefaults__[functional_family.BOUND] == dims
    with pytest.raises(TypeError, match=rf"^{name}\(\) got an unexpected keyword argument 'dims'$"):
        member(Tensor(np.ones((1, 1, *(2,) * dims))), dims=dims)  # bound: not an argument
    assert implementation is getattr(functional_nd, family)
    assert f"{dims}-D" in member.__doc__ or f"{dims}d" in member.__doc__


def test_the_table_generates_every_name_nn_functional_lists() -> None:
    generated = {f"{family}{dims}d" for family, dims in MEMBERS}
    listed = {n for n in F.__all__ if n[-2:] in ("1d", "2d", "3d")}
    assert generated == listed


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_a_generated_name_and_the_nd_function_agree(dims: int) -> None:
    rng = np.random.default_rng(dims)
    x = rng.standard_normal((2, 4, *(5,) * dims))
    w = rng.standard_normal((6, 2, *(3,) * dims))
    named = getattr(F, f"conv{dims}d")(Tensor(x), Tensor(w), None, 2, 1, 1, 2)
    nd = functional_nd.conv(Tensor(x), Tensor(w), None, 2, 1, 1, 2, dims=dims)
    np.testing.assert_array_equal(named.array, nd.array)
    pooled = getattr(F, f"max_pool{dims}d")(Tensor(x), 2, return_indices=True)
    y, i = functional_nd.max_pool(Tensor(x), 2, return_indices=True, dims=dims)
    np.testing.assert_array_equal(pooled[0].array, y.array)
    np.testing.assert_array_equal(pooled[1].array, i.array)


TABLES = [
    (conv.CONV, "Conv{}d"),
    (conv.CONV_TRANSPOSE, "ConvTranspose{}d"),
    (pool.MAX_POOL, "MaxPool{}d"),
    (pool.AVG_POOL, "AvgPool{}d"),
    (pool.LP_POOL, "LPPool{}d"),
    (pool_adaptive.ADAPTIVE_AVG_POOL, "AdaptiveAvgPool{}d"),
    (pool_adaptive.ADAPTIVE_MAX_POOL, "AdaptiveMaxPool{}d"),
    (pool_adaptive.MAX_UNPOOL, "MaxUnpool{}d"),
]


@pytest.mark.parametrize(("table", "name"), TABLES)
def test_each_module_is_found_by_dims(table: dict[int, type], name: str) -> None:
    assert sorted(table) == [1, 2, 3]
    for dims, cls in table.items():
        assert cls is getattr(nn, name.format(dims)) and cls.dims == dims


def _nn_frames(layer: nn.Module, *inputs: Any) -> list[str]:
    """The frames from layer's Module.__call__ to the first Function.apply(_with), excluded."""
    chains: list[list[str]] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        code = frame.f_code
        if event != "call" or chains or code.co_name not in ("apply", "apply_with"):
            return
        if not code.co_filename.endswith(str(Path("autograd", "function.py"))):
            return
        names, f = [], frame.f_back
        while f is not None:
            names.append(f"{Path(f.f_code.co_filename).name}:{f.f_code.co_name}")
            if f.f_code.co_name == "__call__" and f.f_locals.get("self") is layer:
                break
            f = f.f_back
        chains.append(names[::-1])

    sys.setprofile(profile)
    try:
        layer(*inputs)
    finally:
        sys.setprofile(None)
    return chains[0]


x2 = Tensor(np.random.default_rng(0).standard_normal((2, 4, 6, 6)).astype(np.float32))
LAYERS = [
    (nn.Conv2d(4, 2, 3), "conv.py", "conv", (x2,)),
    (nn.Conv1d(4, 2, 3), "conv.py", "conv", (Tensor(np.ones((1, 4, 5), np.float32)),)),
    (
        nn.ConvTranspose3d(4, 2, 2),
        "conv.py",
        "conv_transpose",
        (Tensor(np.ones((1, 4, 2, 2, 2), np.float32)),),
    ),
    (nn.MaxPool2d(2), "pool.py", "max_pool", (x2,)),
    (nn.AvgPool2d(2), "pool.py", "avg_pool", (x2,)),
    (nn.LPPool2d(2, 2), "pool.py", "lp_pool", (x2,)),
    (nn.AdaptiveAvgPool2d(1), "pool_adaptive.py", "adaptive_avg_pool", (x2,)),
    (nn.AdaptiveMaxPool2d(2), "pool_adaptive.py", "adaptive_max_pool", (x2,)),
    (
        nn.MaxUnpool1d(2),
        "pool_adaptive.py",
        "max_unpool",
        (Tensor(np.ones((1, 1, 2), np.float32)),),
    ),
]


@pytest.mark.parametrize(("layer", "file", "family", "inputs"), LAYERS)
def test_a_layer_reaches_its_op_through_three_nn_frames(
    layer: nn.Module, file: str, family: str, inputs: tuple[Tensor, ...]
) -> None:
    if family == "max_unpool":  # the indices of max_pool1d(kernel 2) on a length-4 signal
        inputs = (*inputs, Tensor(np.array([[[1, 2]]])))
    assert _nn_frames(layer, *inputs) == [
        "module.py:__call__",
        f"{file}:forward",
        f"functional_nd.py:{family}",
    ]
