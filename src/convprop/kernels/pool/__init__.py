"""Pooling: max, average, LP and adaptive pooling and max unpooling, forward and backward;
the N-d functions and PyTorch's 1d/2d/3d names (api.py's table)."""

from .adaptive import (
    adaptive_avg_pool,
    adaptive_avg_pool_backward,
    adaptive_max_pool,
    adaptive_max_pool_backward,
    max_unpool,
    max_unpool_backward,
)
from .api import (
    avg_pool1d,
    avg_pool1d_backward,
    avg_pool2d,
    avg_pool2d_backward,
    avg_pool3d,
    avg_pool3d_backward,
    max_pool1d,
    max_pool1d_backward,
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_grad,
    max_pool2d_indices,
    max_pool2d_switches,
    max_pool2d_switches_backward,
    max_pool3d,
    max_pool3d_backward,
)
from .avg import avg_pool, avg_pool_backward
from .lp import lp_pool, lp_pool_backward
from .max import (
    max_pool,
    max_pool_backward,
    max_pool_grad,
    max_pool_indices,
    max_pool_switches,
    max_pool_switches_backward,
)

__all__ = [
    "adaptive_avg_pool",
    "adaptive_avg_pool_backward",
    "adaptive_max_pool",
    "adaptive_max_pool_backward",
    "avg_pool",
    "avg_pool1d",
    "avg_pool1d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool3d",
    "avg_pool3d_backward",
    "avg_pool_backward",
    "lp_pool",
    "lp_pool_backward",
    "max_pool",
    "max_pool1d",
    "max_pool1d_backward",
    "max_pool2d",
    "max_pool2d_backward",
    "max_pool2d_grad",
    "max_pool2d_indices",
    "max_pool2d_switches",
    "max_pool2d_switches_backward",
    "max_pool3d",
    "max_pool3d_backward",
    "max_pool_backward",
    "max_pool_grad",
    "max_pool_indices",
    "max_pool_switches",
    "max_pool_switches_backward",
    "max_unpool",
    "max_unpool_backward",
]
