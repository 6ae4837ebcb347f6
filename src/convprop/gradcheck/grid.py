"""Every kernel as a function gradcheck can check, and the grid `convprop gradcheck` runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import kernels as K
from .check import CheckedFn, InputReport, check_gradients


def conv2d_fn(**options: Any) -> CheckedFn:
    """(x, weight, bias) -> conv2d and its vjp."""

    def fn(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
        y = K.conv2d(x, w, b, **options)
        return y, lambda gy: K.conv2d_backward(gy, x, w, **options)

    return fn


def conv_transpose2d_fn(**options: Any) -> CheckedFn:
    def fn(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, Any]:
        y = K.conv_transpose2d(x, w, b, **options)
        return y, lambda gy: K.conv_transpose2d_backward(gy, x, w, **options)

    return fn


def max_pool2d_fn(**options: Any) -> CheckedFn:
    def fn(x: np.ndarray) -> tuple[np.ndarray, Any]:
        y, idx = K.max_pool2d(x, **options)
        return y, lambda gy: (K.max_pool2d_backward(gy, idx, x.shape),)

    return fn


def avg_pool2d_fn(**options: Any) -> CheckedFn:
    def fn(x: np.ndarray) -> tuple[np.ndarray, Any]:
        y = K.avg_pool2d(x, **options)
        return y, lambda gy: (K.avg_pool2d_backward(gy, x.shape, **options),)

    return fn


def family_fn(forward: Any, backward: Any, **options: Any) -> CheckedFn:
    """(x, weight) -> a conv1d/conv3d-style forward and the first two of its gradients."""

    def fn(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, Any]:
        y = forward(x, w, **options)
        return y, lambda gy: backward(gy, x, w, **options)[:2]

    return fn


def avg_pool_nd_fn(forward: Any, backward: Any, **options: Any) -> CheckedFn:
    def fn(x: np.ndarray) -> tuple[np.ndarray, Any]:
        return forward(x, **options), lambda gy: (backward(gy, x.shape, **options),)

    return fn


def max_pool_nd_fn(**options: Any) -> CheckedFn:
    def fn(x: np.ndarray) -> tuple[np.ndarray, Any]:
        y, _ = K.max_pool(x, **options)
        return y, lambda gy: (K.max_pool_grad(x, gy, **options),)

    return fn


def adaptive_avg_pool_fn(output_size: Any) -> CheckedFn:
    def fn(x: np.ndarray) -> tuple[np.ndarray, Any]:
        y = K.adaptive_avg_pool(x, output_size)
        return y, lambda gy: (K.adaptive_avg_pool_backward(gy, x.shape),)

    return fn


def pad_fn(pads: Any, mode: str) -> CheckedFn:
    def fn(x: np.ndarray) -> tuple[np.ndarray, Any]:
        return K.pad(x, pads, mode), lambda gy: (K.pad_backward(gy, pads, mode),)

    return fn


def _family(rng: np.random.Generator, quick: bool) -> Iterator[Case]:
    """conv1d/3d, their transposes, 1-D/3-D pools, adaptive pools and padding modes."""
    convs: tuple[tuple[int, Any, Any], ...] = (
        (1, K.conv1d, K.conv1d_backward),
        (3, K.conv3d, K.conv3d_backward),
    )
    for dims, conv, back in convs:
        sizes = (7,) if dims == 1 else (4, 3, 5)
        opts: dict[str, Any] = dict(stride=2, padding=1, dilation=1, groups=2)
        x, w = rng.standard_normal((2, 4, *sizes)), rng.standard_normal((4, 2, *(2,) * dims))
        yield Case(f"conv{dims}d", _describe(opts), family_fn(conv, back, **opts), (x, w))
    if quick:
        return
    transposes: tuple[tuple[int, Any, Any], ...] = (
        (1, K.conv_transpose1d, K.conv_transpose1d_backward),
        (3, K.conv_transpose3d, K.conv_transpose3d_backward),
    )
    for dims, conv, back in transposes:
        x = rng.standard_normal((1, 2, *((5,) if dims == 1 else (2, 3, 2))))
        w = rng.standard_normal((2, 3, *(2,) * dims))
        opts = dict(stride=2, padding=1, output_padding=1)
        name = f"conv_transpose{dims}d"
        yield Case(name, _describe(opts), family_fn(conv, back, **opts), (x, w))
    x1, x3 = rng.standard_normal((2, 3, 9)), rng.standard_normal((1, 2, 4, 5, 3))
    pools = (
        ("avg_pool1d", x1, K.avg_pool1d, K.avg_pool1d_backward),
        ("avg_pool3d", x3, K.avg_pool3d, K.avg_pool3d_backward),
    )
    for name, x, forward, backward in pools:
        opts = dict(kernel_size=3, stride=2, padding=1)
        yield Case(name, _describe(opts), avg_pool_nd_fn(forward, backward, **opts), (x,))
    for name, x in (("max_pool1d", x1), ("max_pool3d", x3)):
        opts = dict(kernel_size=2, stride=1, padding=1)
        yield Case(name, _describe(opts), max_pool_nd_fn(**opts), (x,))
    x2 = rng.standard_normal((2, 2, 7, 5))
    yield Case("adaptive_avg_pool", "output_size=(3, 2)", adaptive_avg_pool_fn((3, 2)), (x2,))
    pads = ((2, 1), (0, 3))
    for mode in ("reflect", "replicate", "circular"):
        x = rng.standard_normal((1, 2, 4, 5))
        yield Case("pad", f"mode={mode} pads={pads}", pad_fn(pads, mode), (x,))


@dataclass(frozen=True)
class Case:
    kernel: str
    config: str
    fn: CheckedFn
    inputs: tuple[np.ndarray, ...]

    def check(self) -> list[InputReport]:
        return check_gradients(self.fn, self.inputs)


def _describe(options: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in options.items())


def grid(quick: bool = False, seed: int = 0) -> Iterator[Case]:
    """Each kernel over stride, padding, dilation, groups, bias and pooling options."""
    rng = np.random.default_rng(seed)
    algorithms = ["direct", "im2col", "fft"]
    conv_options: list[dict[str, Any]] = [
        dict(stride=1, padding=0, dilation=1, groups=1),
        dict(stride=2, padding=1, dilation=1, groups=2),
        dict(stride=1, padding="same", dilation=2, groups=1),
        dict(stride=3, padding=2, dilation=2, groups=4),
        dict(stride=(1, 2), padding=((2, 0), (1, 0)), dilation=(2, 1), groups=1),
    ]
    if quick:
        conv_options = conv_options[1:2]
    for options in conv_options:
        c_out, groups = 4, options["groups"]
        for algorithm in algorithms:
            for convention in ["correlation", "convolution"]:
                if convention == "convolution" and algorithm != "im2col":
                    continue
                x = rng.standard_normal((2, 4, 7, 6))
                w = rng.standard_normal((c_out, 4 // groups, 3, 2))
                opts = dict(options, algorithm=algorithm, convention=convention)
                yield Case(
                    "conv2d", _describe(opts), conv2d_fn(**opts), (x, w, rng.standard_normal(c_out))
                )
    transpose_options: list[dict[str, Any]] = [
        dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1),
        dict(stride=1, padding=0, output_padding=1, groups=1, dilation=2),
    ]
    for options in transpose_options[: 1 if quick else None]:
        for algorithm in algorithms:
            x = rng.standard_normal((2, 4, 4, 5))
            w = rng.standard_normal((4, 6 // options["groups"], 3, 3))
            opts = dict(options, algorithm=algorithm)
            yield Case(
                "conv_transpose2d",
                _describe(opts),
                conv_transpose2d_fn(**opts),
                (x, w, rng.standard_normal(6)),
            )
    pool_options: list[dict[str, Any]] = [
        dict(kernel_size=2, stride=2, padding=0, ceil_mode=False),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=3, stride=1, padding=1, ceil_mode=False),
    ]
    for options in pool_options[: 1 if quick else None]:
        x = rng.standard_normal((2, 3, 7, 6))
        for dilation in [1, 2]:
            opts = dict(options, dilation=dilation)
            yield Case("max_pool2d", _describe(opts), max_pool2d_fn(**opts), (x,))
        for count_include_pad, divisor_override in [(True, None), (False, None), (True, 5)]:
            opts = dict(
                options, count_include_pad=count_include_pad, divisor_override=divisor_override
            )
            yield Case("avg_pool2d", _describe(opts), avg_pool2d_fn(**opts), (x,))
    yield from _family(rng, quick)
