"""ONNX in and out: `export(model, example_input, path, opset=22)` and `load(path)`.
onnx (and onnxruntime, to run the files) are the optional [onnx] extra."""

from __future__ import annotations

from .export import export
from .load import load

__all__ = ["export", "load"]
