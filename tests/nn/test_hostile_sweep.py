"""A seeded sweep of hostile constructor arguments for every nn module class: each is
refused with a ValueError or TypeError naming the class, or computes what PyTorch's module
computes with the same arguments (split from test_hostile_modules.py, unchanged)."""

import inspect
import math
import warnings

import numpy as np
import torch
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from convprop import Tensor, nn

from .test_hostile_modules import _copy_to_torch

# --- a seeded sweep: hostile constructor arguments for every module class ------------------

MODULES = sorted(
    (
        cls
        for name in nn.__all__
        if inspect.isclass(cls := getattr(nn, name))
        and issubclass(cls, nn.Module)
        and cls not in (nn.Module, nn.Sequential, nn.ModuleList, nn.ModuleDict)  # no forward
    ),
    key=lambda c: c.__name__,
)
BASE = {  # arguments each class is valid with; the sweep replaces some of them
    "in_channels": 2,
    "out_channels": 2,
    "kernel_size": 2,
    "in_features": 3,
    "out_features": 2,
    "num_features": 2,
    "output_size": 2,
    "norm_type": 2,
}
HOSTILE = [
    None,
    "3",
    "same",
    "zeros",
    True,
    0,
    -1,
    1,
    2,
    3,
    2**31,
    2**40,
    10**30,
    2.5,
    0.0,
    1.0,
    math.nan,
    math.inf,
    (),
    (1, 2),
    (2, 2, 2),
    [2],
    np.int64(2),
    np.float64(0.5),
]


FLOATS = {"negative_slope", "p", "eps", "momentum", "norm_type"}


def _input(m):
    rng = np.random.default_rng(0)
    name = type(m).__name__
    dims = int(name[-2]) if name[-1] == "d" and name[-2].isdigit() else 2
    if name == "Linear":
        shape = (2, m.in_features)
    elif name.startswith(("Conv", "BatchNorm")):
        shape = (2, getattr(m, "in_channels", getattr(m, "num_features", 0)), *(5,) * dims)
    else:
        shape = (2, 2, *(6,) * dims)
    return rng.standard_normal(shape).astype(np.float32)


def _torch_forward(t, m, x):
    if isinstance(m, nn.MaxUnpool1d | nn.MaxUnpool2d | nn.MaxUnpool3d):
        pool = getattr(torch.nn.functional, f"max_pool{type(m).__name__[-2]}d")
        y, idx = pool(torch.from_numpy(x), m.kernel_size, m.stride, m.padding, return_indices=True)
        return t(y, idx), (Tensor(y.numpy()), Tensor(idx.numpy()))
    return t(torch.from_numpy(x.copy())), (Tensor(x),)  # a copy: inplace=True writes into it


def _torch_cannot(name, kwargs):
    """Where PyTorch's module fails on an argument convprop reads as PyTorch's functions do:
    LPPool multiplies by kernel_size, so a sequence there fails inside its forward; Conv's
    _pair keeps a one-element list ([2]) as it is, making a weight of the wrong rank."""
    kernel = kwargs.get("kernel_size")
    if name.startswith("LPPool") and isinstance(kernel, tuple | list):
        return True
    return isinstance(kernel, list) and len(kernel) == 1 and not name.endswith("1d")


@settings(
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.data())
def test_hostile_constructor_arguments_are_refused_or_match_torch(data):
    cls = data.draw(st.sampled_from(MODULES), label="class")
    name = cls.__name__
    params = inspect.signature(cls.__init__).parameters
    kwargs = {p: BASE[p] for p in params if p in BASE}
    for p in data.draw(
        st.lists(
            st.sampled_from([p for p in params if p != "self"] or ["-"]), max_size=2, unique=True
        ),
        label="replaced",
    ):
        if p != "-":
            kwargs[p] = data.draw(st.sampled_from(HOSTILE), label=p)
    try:
        m = cls(**kwargs)
    except (TypeError, ValueError) as e:
        assert name in str(e), f"{name}({kwargs}): {type(e).__name__} without the class: {e}"
        event("refused by the constructor")
        return
    if type(m).__name__ == "Dropout":
        m.eval()
    x = _input(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            # NumPy scalars are ints and floats to convprop; some PyTorch modules want Python's
            # and a float argument may be an int too large for C (10**30): PyTorch's OverflowError
            plain = {
                k: float(v)
                if k in FLOATS and type(v) is int
                else v.item()
                if isinstance(v, np.generic)
                else v
                for k, v in kwargs.items()
            }
            t = getattr(torch.nn, name)(**plain)
            _copy_to_torch(m, t)
            if isinstance(m, nn.Dropout):
                t.eval()
            want, args = _torch_forward(t, m, x)
        except Exception:
            want = None
        try:
            got = m(*args) if want is not None else m(Tensor(x))
        except (TypeError, ValueError):
            event("refused by the first call")
            return  # refused at the first call, with the functional's name (tested elsewhere)
    if want is None and _torch_cannot(name, kwargs):
        event("computed; PyTorch's own module cannot take these arguments")
        return
    assert want is not None, f"{name}({kwargs}) computed what PyTorch refuses"
    event("computed, compared with PyTorch")
    pairs = zip(got, want, strict=True) if isinstance(got, tuple) else [(got, want)]
    for g, w in pairs:
        np.testing.assert_allclose(g.array, w.detach().numpy(), rtol=1e-4, atol=1e-5)
