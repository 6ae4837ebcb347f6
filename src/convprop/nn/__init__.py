"""Layers and losses on convprop Tensors, with PyTorch's names (modules to come)."""

from . import functional

__all__ = ["functional"]
