"""The optional extras, imported from this one place: require(module, extra, purpose) gives
the module, or an ImportError saying `<purpose> needs <package>: pip install
'convprop[<extra>]'`. Nothing here is imported until a feature asks for it, so `import
convprop` needs only NumPy and SciPy."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# the module's top-level name -> the name pip knows it by (where they differ)
PACKAGES = {
    "matplotlib": "matplotlib",
    "tqdm": "tqdm",
    "sklearn": "scikit-learn",
    "PIL": "Pillow",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "safetensors": "safetensors",
    "mpi4py": "mpi4py",
}


def install_hint(module: str, extra: str, purpose: str) -> str:
    """`<purpose> needs <package>: pip install 'convprop[<extra>]'`, the one wording."""
    package = PACKAGES.get(module.partition(".")[0], module.partition(".")[0])
    return f"{purpose} needs {package}: pip install 'convprop[{extra}]'"


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """import module (dotted names too), or raise ImportError with install_hint's line.
    Only the extra's own package missing becomes the hint; a missing dependency of an
    installed extra (a broken installation) propagates as it is, naming what is missing."""
    top = module.partition(".")[0]
    try:
        importlib.import_module(top)  # first: a submodule imported before would hide its absence
        return importlib.import_module(module)
    except ImportError as e:
        if e.name is None or (e.name != top and not e.name.startswith(top + ".")):
            raise  # a dependency of the extra is missing (a broken installation): say which
        raise ImportError(install_hint(module, extra, purpose), name=top) from None


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (files, no screen), or the [plot] hint."""
    matplotlib = require("matplotlib", "plot", "drawing plots")
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", "plot", "drawing plots")


def tqdm() -> Any:
    """tqdm.tqdm (the progress bar class), or the [progress] hint."""
    return require("tqdm", "progress", "showing progress bars").tqdm


def sklearn_datasets() -> Any:
    """sklearn.datasets, or the [digits] hint."""
    return require("sklearn.datasets", "digits", "the digits dataset")


def pil_image() -> Any:
    """PIL.Image, or the [image] hint."""
    return require("PIL.Image", "image", "reading PNG, JPEG and PGM images")


def onnx(purpose: str) -> Any:
    """onnx, or the [onnx] hint."""
    return require("onnx", "onnx", purpose)


def safetensors_numpy() -> Any:
    """safetensors.numpy, or the [safetensors] hint."""
    return require("safetensors.numpy", "safetensors", "reading .safetensors files")


def mpi() -> Any:
    """mpi4py.MPI (importing it initialises MPI), or the [mpi] hint."""
    return require("mpi4py.MPI", "mpi", "distributed training")
