"""Containers and the identity with PyTorch's names: Identity, ModuleList, ModuleDict.
Their children register as the Module's own (parameters(), state_dict() keys "0.weight",
"name.weight", train()/eval()), as in PyTorch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .module import Module


class Identity(Module):
    """Returns its input; any constructor arguments are accepted and unused, as PyTorch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Any) -> Any:
        return input


class ModuleList(Module):
    """A list of modules, children named "0", "1", ...; it has no forward of its own."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            if isinstance(modules, (Module, str, bytes)) or not isinstance(modules, Iterable):
                raise ValueError(
                    f"ModuleList: modules must be an iterable of Modules, got "
                    f"{type(modules).__name__}"
                )
            self.extend(modules)

    def _index(self, index: int) -> str:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ModuleList: index {index} is out of range for {n} modules")
        return str(index % n)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise ValueError(f"ModuleList: {type(module).__name__} is not a Module subclass")
        setattr(self, str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._index(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._index(index), module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class ModuleDict(Module):
    """Modules by name, in insertion order; it has no forward of its own."""

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        if isinstance(modules, (Module, str, bytes)) or not isinstance(modules, Iterable):
            raise ValueError(
                "ModuleDict: modules must be a mapping or an iterable of (name, Module) pairs, "
                f"got {type(modules).__name__}"
            )
        pairs = list(modules.items() if isinstance(modules, Mapping) else modules)
        for pair in pairs:
            if (
                not isinstance(pair, (tuple, list))
                or len(pair) != 2
                or not isinstance(pair[0], str)
            ):
                raise ValueError(f"ModuleDict: expected (name, Module) pairs, got {pair!r}")
        for name, m in pairs:
            self[name] = m

    def __getitem__(self, name: str) -> Module:
        return self._modules[name]

    def __setitem__(self, name: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise ValueError(f"ModuleDict: {type(module).__name__} is not a Module subclass")
        setattr(self, name, module)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()
