"""Module: parameters, buffers, submodules, state_dict with PyTorch's keys. Parameter is
autograd's, re-exported here and as `convprop.nn.Parameter`."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import Parameter as Parameter
from ..autograd import Tensor
from ..autograd.convert import to_arguments


class Module:
    """Base of every layer. Assigning a Parameter, a Module or (via register_buffer) an
    array registers it, so parameters(), state_dict() and train()/eval() reach it."""

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- registration -------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._buffers and (value is None or isinstance(value, np.ndarray)):
            self._buffers[name] = value
            return
        for table in ("_parameters", "_modules", "_buffers"):
            self.__dict__[table].pop(name, None)
        if isinstance(value, (Parameter, Module)):
            # a plain attribute of that name (bias = None) would shadow the registered one
            self.__dict__.pop(name, None)
            (self._parameters if isinstance(value, Parameter) else self._modules)[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        for table in ("_parameters", "_modules", "_buffers"):
            entries = self.__dict__.get(table, {})
            if name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")

    def register_buffer(self, name: str, value: np.ndarray | None) -> None:
        """State that is saved but not learned (BatchNorm's running statistics)."""
        self.__dict__.pop(name, None)
        self._buffers[name] = value

    def register_parameter(self, name: str, value: Parameter | None) -> None:
        self.__dict__.pop(name, None)
        self._parameters[name] = value

    # --- traversal ----------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def children(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        for prefix, module in self.named_modules():
            for name, p in module._parameters.items():
                if p is not None:
                    yield (f"{prefix}.{name}" if prefix else name), p

    def parameters(self) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters())

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, module in self.named_modules():
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{prefix}.{name}" if prefix else name), b

    # --- state --------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Copies of every parameter and buffer, keyed as PyTorch keys them ("0.weight",
        "features.3.running_mean"); per module, parameters come before buffers."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    state[dot + name] = p.array.copy()
            for name, b in module._buffers.items():
                if b is not None:
                    state[dot + name] = np.array(b, copy=True)
        return state

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy values into this model's parameters and buffers, keeping their dtypes.

        A missing or unexpected key (with strict) or a shape mismatch raises ValueError
        naming the first offending key and both shapes; nothing is changed then.
        """
        targets: dict[str, np.ndarray] = {n: p.array for n, p in self.named_parameters()}
        targets.update(self.named_buffers())
        missing = [k for k in targets if k not in state]
        unexpected = [k for k in state if k not in targets]
        if strict and (missing or unexpected):
            raise ValueError(
                f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}"
            )
        for key, target in targets.items():
            if key in state:
                value = np.asarray(
                    state[key].array if isinstance(state[key], Tensor) else state[key]
                )
                if value.shape != target.shape:
                    raise ValueError(
                        f"load_state_dict: {key!r} has shape {value.shape} in the state but "
                        f"{target.shape} in the model"
                    )
        for key, target in targets.items():
            if key in state:
                value = state[key]
                target[...] = np.asarray(value.array if isinstance(value, Tensor) else value)

    # --- modes and grads ----------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget accumulated gradients: set them to None (PyTorch's default), or zero them
        in place with set_to_none=False."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.zero_()

    def apply(self, fn: Any) -> Module:
        """fn(module) for every submodule, children first, then this module, as PyTorch's
        (the usual way to initialise weights: model.apply(init_weights))."""
        for child in self._modules.values():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Every parameter's requires_grad set (freezing layers for fine-tuning)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """to(dtype), to(device), to(device, dtype), to(tensor) and the keywords device, dtype
        and non_blocking, as torch.nn.Module.to: every floating parameter and buffer cast to
        a floating dtype, in place (float64 for gradient checks); only the CPU as device."""
        dtype, _ = to_arguments("Module.to", args, kwargs)
        if dtype is None:
            return self  # only a device: the CPU, where everything already is
        if dtype.kind != "f":
            raise ValueError(f"Module.to: only floating dtypes are accepted, got {dtype}")
        for p in self.parameters():
            if p.dtype.kind == "f":
                p.array = p.array.astype(dtype)
                if p.grad is not None:  # as PyTorch: the gradient follows its parameter
                    p.grad = Tensor(p.grad.array.astype(dtype))
        for module in self.modules():
            for name, b in module._buffers.items():
                if b is not None and b.dtype.kind == "f":
                    module._buffers[name] = b.astype(dtype)
        return self

    def cpu(self) -> Module:
        return self

    def cuda(self, device: Any = None) -> Module:
        return self.to("cuda")  # refused: convprop computes on the CPU

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # --- printing -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(lines) + "\n)" if lines else ")")
