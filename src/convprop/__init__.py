"""convprop: backpropagation through convolutional neural networks, exact and fast."""

from . import (
    _threads,  # noqa: F401  (before NumPy loads BLAS: see _threads.py)
    kernels,
    nn,
)
from ._threads import get_num_threads, set_num_threads
from .autograd import Tensor, no_grad
from .formats.safetensors import load_safetensors
from .gradcheck import GradcheckError, GradcheckKinkWarning, GradcheckResult, gradcheck
from .rng import manual_seed
from .shapes import output_size

__version__ = "0.1.0"

__all__ = [
    "GradcheckError",
    "GradcheckKinkWarning",
    "GradcheckResult",
    "Tensor",
    "__version__",
    "get_num_threads",
    "gradcheck",
    "kernels",
    "load_safetensors",
    "manual_seed",
    "nn",
    "no_grad",
    "output_size",
    "set_num_threads",
]
