"""convprop: backpropagation through convolutional neural networks, exact and fast."""

from . import (
    _threads,  # noqa: F401  (before NumPy loads BLAS: see _threads.py)
    kernels,
    nn,
)
from ._threads import get_num_threads, set_num_threads
from .autograd import Tensor, no_grad
from .devices import device
from .formats.safetensors import load_safetensors
from .gradcheck import GradcheckError, GradcheckKinkWarning, GradcheckResult, gradcheck
from .rng import Generator, manual_seed
from .shapes import output_size

__version__ = "0.1.0"

# PyTorch's dtype names (convprop.float32, convprop.long, ...): NumPy's dtypes
from .dtypes import (
    bool,
    double,
    float,
    float16,
    float32,
    float64,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    short,
    uint8,
)

# Reached as attributes on first use (convprop.optim.Adam, convprop.cuda.is_available()),
# as torch's are, so that `import convprop` stays fast
_LAZY = {
    "accelerator",
    "backends",
    "cuda",
    "data",
    "distributed",
    "explain",
    "formats",
    "models",
    "onnx",
    "optim",
    "report",
    "saliency",
    "train",
    "utils",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'convprop' has no attribute {name!r}")


__all__ = [
    "Generator",
    "GradcheckError",
    "GradcheckKinkWarning",
    "GradcheckResult",
    "Tensor",
    "__version__",
    "bool",
    "device",
    "double",
    "float",
    "float16",
    "float32",
    "float64",
    "get_num_threads",
    "gradcheck",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "kernels",
    "load_safetensors",
    "long",
    "manual_seed",
    "nn",
    "no_grad",
    "output_size",
    "set_num_threads",
    "short",
    "uint8",
]
