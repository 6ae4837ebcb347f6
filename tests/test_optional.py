"""The optional extras fail from one place (convprop._optional) with one line: with the
extra's module unimportable, each entry point that needs it raises ImportError saying
`... needs <package>: pip install 'convprop[<extra>]'`."""

from __future__ import annotations

import importlib.util
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from convprop import _optional, distributed, load_safetensors, nn
from convprop import onnx as conv_onnx
from convprop.data import load_digits
from convprop.data.images import pillow
from convprop.explain import plots
from convprop.report import figures
from convprop.train import _progress_bar


def block(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make `import name` fail, as if not installed (submodules imported before by other
    tests stay in sys.modules: _optional must still see the package as missing)."""
    monkeypatch.setitem(sys.modules, name, None)


def _model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 1, 3))


ENTRY_POINTS: list[tuple[str, str, str, Callable[[Path], Any]]] = [
    ("matplotlib", "plot", "matplotlib", lambda _: plots.pyplot()),
    ("matplotlib", "plot", "matplotlib", lambda _: figures.pyplot()),
    ("sklearn", "digits", "scikit-learn", lambda _: load_digits()),
    ("PIL", "image", "Pillow", lambda _: pillow()),
    (
        "onnx",
        "onnx",
        "onnx",
        lambda d: conv_onnx.export(_model(), np.zeros((1, 1, 5, 5), np.float32), d / "m.onnx"),
    ),
    ("onnx", "onnx", "onnx", lambda d: conv_onnx.load(d / "m.onnx")),
    ("safetensors", "safetensors", "safetensors", lambda d: load_safetensors(_model(), d / "w")),
    ("tqdm", "progress", "tqdm", lambda _: _optional.tqdm()),
]


@pytest.mark.parametrize(
    "module, extra, package, call",
    ENTRY_POINTS,
    ids=[f"{m}-{i}" for i, (m, *_) in enumerate(ENTRY_POINTS)],
)
def test_a_missing_extra_names_its_install_line(
    monkeypatch, tmp_path, module, extra, package, call
):
    block(monkeypatch, module)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # distributed.init() sets its own
    with pytest.raises(ImportError) as raised:
        call(tmp_path)
    message = str(raised.value)
    assert message.endswith(f" needs {package}: pip install 'convprop[{extra}]'"), message
    assert "\n" not in message and raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_without_tqdm_training_says_the_extra_once_and_goes_on_without_a_bar(monkeypatch, capsys):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    block(monkeypatch, "tqdm")
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert _progress_bar([], "epoch 1", enabled=True) is None
    said = sys.stderr.getvalue()
    assert said == "(showing progress bars needs tqdm: pip install 'convprop[progress]')\n"


def test_a_broken_extra_is_not_hidden_behind_the_install_line(monkeypatch, tmp_path):
    # the extra is installed but a dependency of it is missing: say which, not "install it"
    (tmp_path / "half_installed_extra.py").write_text("import some_dependency_nowhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ImportError, match="some_dependency_nowhere") as raised:
        _optional.require("half_installed_extra", "plot", "drawing plots")
    assert "pip install" not in str(raised.value)


def test_the_generator_module_is_rng_not_a_shadow_of_random():
    assert importlib.util.find_spec("convprop.random") is None
    import convprop
    from convprop import rng

    assert convprop.manual_seed is rng.manual_seed
    a = convprop.manual_seed(3).random(4)
    assert np.array_equal(a, np.random.default_rng(3).random(4))


def test_without_mpi4py_a_script_runs_alone_but_not_under_a_launcher(monkeypatch):
    block(monkeypatch, "mpi4py")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # distributed.init() sets its own
    for name in ("PMI_SIZE", "PMI_RANK", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"):
        monkeypatch.delenv(name, raising=False)
    assert distributed.init() == (0, 1)  # README: the same script runs alone
    monkeypatch.setenv("PMI_SIZE", "2")  # started by mpirun: training alone would be wrong
    with pytest.raises(ImportError, match=r"needs mpi4py: pip install 'convprop\[mpi\]'"):
        distributed.init()
