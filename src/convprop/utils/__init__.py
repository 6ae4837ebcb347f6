"""convprop.utils: torch.utils' names (data: Dataset, DataLoader, samplers, random_split)."""

from . import data

__all__ = ["data"]
