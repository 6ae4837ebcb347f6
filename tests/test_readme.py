"""The README's Python examples run as shown: each block, whole, in a fresh interpreter."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) >= 4  # training, kernels, ONNX, distributed


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_block_runs(code: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"README block failed:\n{code}\n{done.stderr[-2000:]}"


def test_readme_training_example_learns(tmp_path: Path) -> None:
    training = next(b for b in BLOCKS if "loss.backward()" in b and "distributed" not in b)
    done = subprocess.run(
        [sys.executable, "-c", training], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", done.stdout).group(1))  # type: ignore[union-attr]
    assert accuracy > 90


def test_readme_links_nothing_outside_the_repository() -> None:
    text = README.read_text()
    assert "DESIGN.md" not in text
    assert "../shared" not in text  # a path that exists only on the team's machines
