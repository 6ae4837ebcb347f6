"""Every name the README promises is importable: the kernels' table, the nn and functional
families, the package-level names, the optimizers and the data API."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import convprop

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _expand(name: str) -> list[str]:
    """'Conv1d/2d/3d' -> Conv1d, Conv2d, Conv3d; 'conv1d/3d_input' -> conv1d_input, ..."""
    m = re.fullmatch(r"([A-Za-z_]*?)(\d)d((?:/\d+d)+)(\w*)", name)
    if not m:
        return [name]
    head, first, rest, tail = m.groups()
    return [f"{head}{d}d{tail}" for d in [first, *re.findall(r"(\d)d", rest)]]


def _kernel_table() -> list[str]:
    section = README[README.index("## The kernels") : README.index("## The whole convolution")]
    return re.findall(r"^\| `([a-z_0-9]+)\(", section, re.M)


def _backticked_after(marker: str, stop: str) -> list[str]:
    section = README[README.index(marker) : README.index(stop, README.index(marker))]
    names = re.findall(r"`([A-Za-z_][\w/]*)(?:\(|`)", section)
    return [n for name in names for n in _expand(name)]


def test_the_kernel_table_is_importable() -> None:
    names = _kernel_table()
    assert len(names) >= 14
    missing = [n for n in names if not hasattr(convprop.kernels, n)]
    assert not missing


def test_the_convolution_family_is_importable() -> None:
    listed = _backticked_after("Kernels for any number of spatial dimensions", "- ONNX (")
    kernels = {n for n in listed if n[0].islower()}
    modules = {n for n in listed if n[0].isupper()}
    assert {"conv1d", "conv3d", "conv_transpose3d", "max_pool3d", "lp_pool"} <= kernels
    assert {"Conv3d", "ConvTranspose1d", "LPPool3d", "MaxUnpool2d"} <= modules
    arguments = {"padding_mode", "norm_type", "output_size", "TypeError"}  # not names to import
    assert not [n for n in kernels - arguments if not hasattr(convprop.kernels, n)]
    assert not [n for n in modules - arguments if not hasattr(convprop.nn, n)]
    assert convprop.nn.GlobalAvgPool().output_size in (1, (1, 1))


@pytest.mark.parametrize(
    "path",
    [
        "convprop.Tensor",
        "convprop.no_grad",
        "convprop.gradcheck",
        "convprop.manual_seed",
        "convprop.load_safetensors",
        "convprop.GradcheckResult",
        "convprop.GradcheckKinkWarning",
        "convprop.kernels.benchmark_mode",
        "convprop.kernels.workspace.limit_bytes",
        "convprop.arguments.MAX_ELEMENTS",
        "convprop.nn.functional.cross_entropy",
        "convprop.nn.functional.nll_loss",
        "convprop.nn.functional.mse_loss",
        "convprop.nn.functional.pad",
        "convprop.optim.SGD",
        "convprop.optim.Adam",
        "convprop.optim.AdamW",
        "convprop.optim.lr_scheduler.StepLR",
        "convprop.optim.lr_scheduler.CosineAnnealingLR",
        "convprop.data.DataLoader",
        "convprop.data.TensorDataset",
        "convprop.data.load_mnist",
        "convprop.data.load_digits",
        "convprop.onnx.export",
        "convprop.onnx.load",
        "convprop.distributed.init",
        "convprop.distributed.broadcast_parameters",
        "convprop.distributed.DistributedOptimizer",
        "convprop.distributed.DistributedSampler",
        "convprop.distributed.scale_lr",
        "convprop.distributed.is_main",
    ],
)
def test_a_named_object_exists(path: str) -> None:
    module_path, _, attr = path.rpartition(".")
    for cut in range(len(path.split(".")), 0, -1):  # the longest importable module prefix
        head = ".".join(path.split(".")[:cut])
        try:
            obj = importlib.import_module(head)
        except ImportError:
            continue
        for part in path.split(".")[cut:]:
            obj = getattr(obj, part)
        assert obj is not None
        return
    pytest.fail(f"{module_path}.{attr} is not importable")


def test_the_functional_twins_have_pytorchs_names() -> None:
    from convprop.nn import functional as F

    families = [
        "conv",
        "conv_transpose",
        "max_pool",
        "avg_pool",
        "lp_pool",
        "adaptive_avg_pool",
        "adaptive_max_pool",
        "max_unpool",
    ]
    names = [f"{f}{d}d" for f in families for d in (1, 2, 3)] + ["pad"]
    assert not [n for n in names if not callable(getattr(F, n, None))]
