"""The Python frames between a layer's Module.__call__ and the GEMM, for LeNet's conv2.

    python -m benchmarks.frames

Prints the chain of calls (the frame that calls np.matmul last) for the forward of
LeNet-5's second convolution inside the model, and the count. Not a timing: a measure
of how much Python a layer call walks through before NumPy does the work.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

import numpy as np

from convprop import Tensor, models

GEMM_CALLERS = {"conv_forward"}  # the algorithms' forward primitives, which call np.matmul


def chain_to_gemm(model: Any, x: np.ndarray, layer: Any) -> list[str]:
    """Frames from layer.__call__ (Module.__call__) to the innermost forward primitive (one
    primitive may hand over to another layout's: the deepest is the one calling np.matmul)."""
    found: list[str] = []

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or frame.f_code.co_name not in GEMM_CALLERS:
            return
        stack, f = [], frame
        while f is not None:
            stack.append(f)
            if f.f_code.co_name == "__call__" and f.f_locals.get("self") is layer:
                break
            f = f.f_back
        else:
            return
        if len(stack) <= len(found):
            return
        found.clear()
        for f in reversed(stack):
            path = f.f_code.co_filename.split("convprop/")[-1]
            found.append(f"{path}:{f.f_code.co_name}")

    sys.setprofile(profile)
    try:
        model(Tensor(x))
    finally:
        sys.setprofile(None)
    return found


def main() -> None:
    model = models.lenet5()
    convs = [m for m in model.modules() if type(m).__name__ == "Conv2d"]
    x = np.random.default_rng(0).standard_normal((64, 1, 28, 28)).astype(np.float32)
    chain = chain_to_gemm(model, x, convs[1])
    for depth, name in enumerate(chain, 1):
        print(f"{depth:3d}  {name}")
    print(f"{len(chain)} Python frames from Module.__call__ to the frame that calls the GEMM")


if __name__ == "__main__":
    main()
