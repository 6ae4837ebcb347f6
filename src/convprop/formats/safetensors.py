"""PyTorch weights without PyTorch: a state_dict saved as safetensors (by
safetensors.torch.save_file) read with safetensors.numpy into a convprop model with the
same layers, whose state_dict keys are PyTorch's. safetensors is the optional
[safetensors] extra."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._optional import safetensors_numpy
from ..nn import Module


def load_safetensors(model: Module, path: str | Path, strict: bool = True) -> Module:
    """Copy the tensors of a .safetensors file into model (keys as PyTorch's state_dict;
    dtypes kept as the model's). A missing, unexpected or mis-shaped key raises ValueError
    naming it, and nothing is changed."""
    load_file = safetensors_numpy().load_file
    try:
        state: dict[str, Any] = load_file(str(path))
    except Exception as e:  # the library's SafetensorError, OSError
        reason = f"{type(e).__name__}: {e}"
        message = f"load_safetensors: {path} is not a readable safetensors file ({reason})"
        raise ValueError(message) from None
    state = {k: np.asarray(v) for k, v in state.items()}
    model.load_state_dict(state, strict=strict)
    return model
