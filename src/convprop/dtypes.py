"""dtypes with PyTorch's names: convprop.float32, convprop.long and the others.

They are NumPy's dtypes (`convprop.float32 is np.dtype("float32")`), so `t.dtype ==
convprop.float32` holds for a float32 tensor. bfloat16 has no NumPy dtype and is absent.
This module's names shadow Python's float, int and bool: import it, never `from` it.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8, uint8 = np.dtype(np.int8), np.dtype(np.uint8)
int16 = short = np.dtype(np.int16)
int32 = int = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
bool = np.dtype(np.bool_)

DTYPES = {str(d): d for d in (float16, float32, float64, int8, uint8, int16, int32, int64, bool)}


def as_dtype(op: str, value: Any) -> np.dtype:
    """A dtype named any way NumPy or PyTorch-style code names one, else a ValueError."""
    if value is None or (isinstance(value, builtins.str) and value not in DTYPES):
        raise ValueError(f"{op}: dtype must be one of {', '.join(DTYPES)}, got {value!r}")
    module = type(value).__module__.split(".")[0]
    if module == "torch":  # torch.float32: its name, as convprop's
        value = str(value).removeprefix("torch.")
    try:
        dtype = np.dtype(value)
    except builtins.TypeError:
        dtype = None
    if dtype is None or dtype not in DTYPES.values():
        raise ValueError(f"{op}: dtype must be one of {', '.join(DTYPES)}, got {value!r}")
    return dtype
