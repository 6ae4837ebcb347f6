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

# Below: making tensors and the top-level tensor functions (as torch.zeros and torch.cat),
# and PyTorch's dtype names (convprop.float32, convprop.long: NumPy's dtypes). Some shadow
# Python's int, float, bool, max, min and sum in this module, so they come last.
from .autograd import enable_grad, inference_mode, is_grad_enabled, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
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
from .tensor_ops import (
    argmax,
    argmin,
    cat,
    clamp,
    clip,
    concat,
    exp,
    flatten,
    log,
    matmul,
    max,
    mean,
    min,
    mm,
    norm,
    permute,
    reshape,
    sigmoid,
    sqrt,
    squeeze,
    stack,
    std,
    sum,
    tanh,
    transpose,
    unsqueeze,
    var,
    where,
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
    "arange",
    "argmax",
    "argmin",
    "as_tensor",
    "bool",
    "cat",
    "clamp",
    "clip",
    "concat",
    "device",
    "double",
    "empty",
    "empty_like",
    "enable_grad",
    "exp",
    "eye",
    "flatten",
    "float",
    "float16",
    "float32",
    "float64",
    "from_numpy",
    "full",
    "full_like",
    "get_num_threads",
    "gradcheck",
    "half",
    "inference_mode",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "is_grad_enabled",
    "kernels",
    "linspace",
    "load_safetensors",
    "log",
    "long",
    "manual_seed",
    "matmul",
    "max",
    "mean",
    "min",
    "mm",
    "nn",
    "no_grad",
    "norm",
    "ones",
    "ones_like",
    "output_size",
    "permute",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "reshape",
    "set_grad_enabled",
    "set_num_threads",
    "short",
    "sigmoid",
    "sqrt",
    "squeeze",
    "stack",
    "std",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "uint8",
    "unsqueeze",
    "var",
    "where",
    "zeros",
    "zeros_like",
]
