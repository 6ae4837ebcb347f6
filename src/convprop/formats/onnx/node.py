"""One ONNX node as the loader sees it: attributes decoded, constant inputs resolved, and
errors that name the node."""

from __future__ import annotations

from typing import Any

import numpy as np


class Node:
    """One ONNX node with its attributes decoded and its constant inputs resolved."""

    def __init__(self, proto: Any, onnx: Any, constants: dict[str, np.ndarray]) -> None:
        self.op, self.name = proto.op_type, proto.name or proto.op_type
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in proto.attribute}
        self.inputs, self.outputs = list(proto.input), list(proto.output)
        self.constants = constants

    def fail(self, what: str) -> ValueError:
        return ValueError(f"load: node {self.name!r} ({self.op}): {what}")

    def weight(self, k: int, required: bool = True) -> np.ndarray | None:
        if k >= len(self.inputs) or not self.inputs[k]:
            if required:
                raise self.fail(f"input {k} is missing")
            return None
        if self.inputs[k] not in self.constants:
            raise self.fail(f"input {self.inputs[k]!r} is computed at run time, not a weight")
        return self.constants[self.inputs[k]]

    def only(self, allowed: dict[str, Any]) -> None:
        """Every attribute known, each with a supported value (None: any value)."""
        for key, value in self.attrs.items():
            if key not in allowed:
                raise self.fail(f"attribute {key}={value!r} is not supported")
            ok = allowed[key]
            if ok is not None and value not in ok:
                raise self.fail(f"attribute {key}={value!r} is not supported (only {ok})")
