"""nn.Sequential: modules applied in order, children named "0", "1", ... as in PyTorch.

A convolution followed by a ReLU runs as one op (_ConvNd.relu_forward): the bias add and
the ReLU in one pass over the output, and in the backward the ReLU's select and dL/db in
one pass over dL/dY. The values are the two modules' own, bit for bit. Only convprop's own
Conv1d/2d/3d and ReLU classes are paired, and only where neither instance has its forward
replaced, so that what runs is what their forward methods say.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .conv import Conv1d, Conv2d, Conv3d
from .layers import ReLU
from .module import Module

_FUSABLE_CONVS = (Conv1d, Conv2d, Conv3d)


def _conv_then_relu(first: Module, second: Module) -> bool:
    return (
        type(first) in _FUSABLE_CONVS
        and type(second) is ReLU
        and "forward" not in vars(first)
        and "forward" not in vars(second)
    )


class Sequential(Module):
    """Modules applied in order; children are named "0", "1", ... as in PyTorch."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        modules = list(self._modules.values())
        i = 0
        while i < len(modules):
            m = modules[i]
            if i + 1 < len(modules) and _conv_then_relu(m, modules[i + 1]):
                x, i = m.relu_forward(x), i + 2
            else:
                x, i = m(x), i + 1
        return x

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())
