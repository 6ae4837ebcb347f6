"""convprop.onnx: ONNX export and load (the code lives in formats/onnx/)."""

from .formats.onnx import export, load

__all__ = ["export", "load"]
