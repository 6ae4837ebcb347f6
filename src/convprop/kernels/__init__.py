"""Pure functions on NCHW arrays: convolution and pooling, forward and backward.

No Tensor, no state. Argument names, order and defaults follow PyTorch's
torch.nn.functional, so code moves between the two by changing an import.
"""

from . import workspace
from .adaptive import (
    adaptive_avg_pool,
    adaptive_avg_pool_backward,
    adaptive_max_pool,
    adaptive_max_pool_backward,
    max_unpool,
    max_unpool_backward,
)
from .conv import (
    conv2d,
    conv2d_backward,
    conv2d_input,
    conv2d_weight,
    conv_transpose2d,
    conv_transpose2d_backward,
)
from .conv_nd import (
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
from .lp_pool import lp_pool, lp_pool_backward
from .max_pool import (
    max_pool,
    max_pool_backward,
    max_pool_grad,
    max_pool_indices,
    max_pool_switches,
    max_pool_switches_backward,
)
from .padding import pad, pad_backward
from .pool import avg_pool2d, avg_pool2d_backward
from .pool_nd import (
    avg_pool1d,
    avg_pool1d_backward,
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
from .select import ALGORITHMS, benchmark_mode, choose

__all__ = [
    "ALGORITHMS",
    "adaptive_avg_pool",
    "adaptive_avg_pool_backward",
    "adaptive_max_pool",
    "adaptive_max_pool_backward",
    "avg_pool1d",
    "avg_pool1d_backward",
    "avg_pool2d",
    "avg_pool2d_backward",
    "avg_pool3d",
    "avg_pool3d_backward",
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
    "pad",
    "pad_backward",
    "workspace",
]
