"""convprop.backends: the flags scripts read or set (torch.backends.cudnn.benchmark = True,
torch.backends.mps.is_available()). Without a GPU they change nothing, as in a CPU-only
PyTorch."""

from __future__ import annotations

from types import SimpleNamespace

cudnn = SimpleNamespace(
    benchmark=False, deterministic=False, enabled=True, is_available=lambda: False
)
mps = SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
