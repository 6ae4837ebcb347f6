"""The one random generator behind initialisation, shuffling and dropout, like torch.manual_seed."""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed convprop's generator: the same seed gives the same weights, batches and masks."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    return _generator


def stream(generator: Generator | None) -> np.random.Generator:
    """The NumPy stream a `generator=` argument names: its own, else convprop's."""
    return _generator if generator is None else generator.numpy


class Generator:
    """torch.Generator's role: a random stream of its own, for a DataLoader's shuffle or
    random_split (`generator=convprop.Generator().manual_seed(42)`). Unseeded, it starts
    from PyTorch's default seed, and making one leaves convprop's generator untouched."""

    DEFAULT_SEED = 67280421310721  # torch.Generator().initial_seed()

    def __init__(self, device: object = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"Generator: convprop computes on the CPU, got device {device!r}")
        self._seed = self.DEFAULT_SEED
        self.numpy = np.random.default_rng(self._seed)

    def manual_seed(self, seed: int) -> Generator:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"Generator.manual_seed: seed must be an int, got {seed!r}")
        self._seed, self.numpy = seed, np.random.default_rng(seed)
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict[str, object]:
        return dict(self.numpy.bit_generator.state)

    def set_state(self, state: dict[str, object]) -> Generator:
        self.numpy.bit_generator.state = state
        return self
