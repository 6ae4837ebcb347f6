"""The number of spatial dimensions an op reads from its input's ndim."""

from __future__ import annotations

import numpy as np

SPATIAL_DIMS = (1, 2, 3)


def spatial_dims(x: np.ndarray, op: str) -> int:
    if x.ndim - 2 not in SPATIAL_DIMS:
        raise ValueError(f"{op}: expected a batched 1-D, 2-D or 3-D input, got shape {x.shape}")
    return x.ndim - 2
