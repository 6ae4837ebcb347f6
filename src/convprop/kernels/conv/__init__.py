"""Convolution: the checked entry points, the algorithms and the choice among them."""

from .api import (
    conv2d,
    conv2d_backward,
    conv2d_input,
    conv2d_weight,
    conv_transpose2d,
    conv_transpose2d_backward,
)
from .api_nd import (
    conv1d,
    conv1d_backward,
    conv1d_input,
    conv1d_weight,
    conv3d,
    conv3d_backward,
    conv3d_input,
    conv3d_weight,
    conv_transpose1d,
    conv_transpose1d_backward,
    conv_transpose3d,
    conv_transpose3d_backward,
)
from .select import ALGORITHMS, benchmark_mode, choose

__all__ = [
    "ALGORITHMS",
    "benchmark_mode",
    "choose",
    "conv1d",
    "conv1d_backward",
    "conv1d_input",
    "conv1d_weight",
    "conv2d",
    "conv2d_backward",
    "conv2d_input",
    "conv2d_weight",
    "conv3d",
    "conv3d_backward",
    "conv3d_input",
    "conv3d_weight",
    "conv_transpose1d",
    "conv_transpose1d_backward",
    "conv_transpose2d",
    "conv_transpose2d_backward",
    "conv_transpose3d",
    "conv_transpose3d_backward",
]
