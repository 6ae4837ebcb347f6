"""Every public kernel keeps the signature it had before the N-d table generated the 1d/2d/3d
names (issue 15): the same parameters, defaults and keyword-only markers, captured from the
hand-written functions before they were replaced (annotations left out: they are types, not
the calling convention)."""

from __future__ import annotations

import inspect

import pytest

from convprop import kernels as K

SIGNATURES = {
    "adaptive_avg_pool": "(x, output_size)",
    "adaptive_avg_pool_backward": "(grad_y, input_shape)",
    "adaptive_max_pool": "(x, output_size)",
    "adaptive_max_pool_backward": "(grad_y, indices, input_shape)",
    "avg_pool1d": (
        "(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, *, "
        "dilation=1)"
    ),
    "avg_pool1d_backward": (
        "(grad_y, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False, "
        "count_include_pad=True, *, dilation=1)"
    ),
    "avg_pool2d": (
        "(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
        "divisor_override=None, *, dilation=1)"
    ),
    "avg_pool2d_backward": (
        "(grad_y, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False, "
        "count_include_pad=True, divisor_override=None, *, dilation=1)"
    ),
    "avg_pool3d": (
        "(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True, "
        "divisor_override=None, *, dilation=1)"
    ),
    "avg_pool3d_backward": (
        "(grad_y, input_shape, kernel_size, stride=None, padding=0, ceil_mode=False, "
        "count_include_pad=True, divisor_override=None, *, dilation=1)"
    ),
    "benchmark_mode": "(enabled=True)",
    "choose": "(algorithm, g, op='conv2d', dtype=<class 'numpy.float32'>)",
    "conv1d": (
        "(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, algorithm='auto', "
        "convention='correlation')"
    ),
    "conv1d_backward": (
        "(grad_y, x, weight, stride=1, padding=0, dilation=1, groups=1, *, algorithm='auto', "
        "convention='correlation')"
    ),
    "conv1d_input": (
        "(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *, "
        "algorithm='auto')"
    ),
    "conv1d_weight": (
        "(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *, "
        "algorithm='auto')"
    ),
    "conv2d": (
        "(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, algorithm='auto', "
        "convention='correlation')"
    ),
    "conv2d_backward": (
        "(grad_y, x, weight, stride=1, padding=0, dilation=1, groups=1, *, algorithm='auto', "
        "convention='correlation')"
    ),
    "conv2d_input": (
        "(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *, "
        "algorithm='auto')"
    ),
    "conv2d_weight": (
        "(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *, "
        "algorithm='auto')"
    ),
    "conv3d": (
        "(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1, *, algorithm='auto', "
        "convention='correlation')"
    ),
    "conv3d_backward": (
        "(grad_y, x, weight, stride=1, padding=0, dilation=1, groups=1, *, algorithm='auto', "
        "convention='correlation')"
    ),
    "conv3d_input": (
        "(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *, "
        "algorithm='auto')"
    ),
    "conv3d_weight": (
        "(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *, "
        "algorithm='auto')"
    ),
    "conv_transpose1d": (
        "(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, "
        "algorithm='auto')"
    ),
    "conv_transpose1d_backward": (
        "(grad_y, x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, "
        "algorithm='auto')"
    ),
    "conv_transpose2d": (
        "(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, "
        "algorithm='auto')"
    ),
    "conv_transpose2d_backward": (
        "(grad_y, x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, "
        "algorithm='auto')"
    ),
    "conv_transpose3d": (
        "(x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, "
        "algorithm='auto')"
    ),
    "conv_transpose3d_backward": (
        "(grad_y, x, weight, stride=1, padding=0, output_padding=0, groups=1, dilation=1, *, "
        "algorithm='auto')"
    ),
    "lp_pool": (
        "(x, norm_type, kernel_size, stride=None, ceil_mode=False, *, dilation=1, absolute=False)"
    ),
    "lp_pool_backward": (
        "(grad_y, x, sums, norm_type, kernel_size, stride=None, ceil_mode=False, *, dilation=1, "
        "absolute=False)"
    ),
    "max_pool": (
        "(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, dims=None)"
    ),
    "max_pool1d": "(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)",
    "max_pool1d_backward": (
        "(grad_y, indices, input_shape, *, kernel_size=None, stride=None, dilation=1)"
    ),
    "max_pool2d": "(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)",
    "max_pool2d_backward": (
        "(grad_y, indices, input_shape, *, kernel_size=None, stride=None, dilation=1)"
    ),
    "max_pool2d_grad": (
        "(x, grad_y, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, "
        "ties='first')"
    ),
    "max_pool2d_indices": (
        "(switches, input_shape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)"
    ),
    "max_pool2d_switches": "(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)",
    "max_pool2d_switches_backward": (
        "(grad_y, switches, input_shape, kernel_size, stride=None, padding=0, dilation=1, "
        "ceil_mode=False)"
    ),
    "max_pool3d": "(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False)",
    "max_pool3d_backward": (
        "(grad_y, indices, input_shape, *, kernel_size=None, stride=None, dilation=1)"
    ),
    "max_pool_backward": (
        "(grad_y, indices, input_shape, *, kernel_size=None, stride=None, dilation=1, dims=None)"
    ),
    "max_pool_grad": (
        "(x, grad_y, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, "
        "ties='first', dims=None)"
    ),
    "max_pool_indices": (
        "(switches, input_shape, kernel_size, stride=None, padding=0, dilation=1, "
        "ceil_mode=False, *, dims=None)"
    ),
    "max_pool_switches": (
        "(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, *, dims=None)"
    ),
    "max_pool_switches_backward": (
        "(grad_y, switches, input_shape, kernel_size, stride=None, padding=0, dilation=1, "
        "ceil_mode=False, *, dims=None)"
    ),
    "max_unpool": "(x, indices, output_size)",
    "max_unpool_backward": "(grad_y, indices)",
    "pad": "(x, pads, mode='constant', value=0.0)",
    "pad_backward": "(grad_y, pads, mode='constant')",
}


def _bare(fn: object) -> str:
    """The signature without annotations: what a caller sees."""
    sig = inspect.signature(fn)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def test_every_exported_function_is_in_the_table() -> None:
    functions = {n for n in K.__all__ if inspect.isfunction(getattr(K, n))}
    assert functions == set(SIGNATURES)


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_the_signature_is_unchanged(name: str) -> None:
    assert _bare(getattr(K, name)) == SIGNATURES[name]
