"""Instructions per call of each speed-suite case, counted by valgrind's callgrind.

Timings on a shared machine move 20-50% between runs; an instruction count does not (the
same binary, inputs and environment give the same total whatever else the machine does).
So this is how two source trees are compared when a change must be "no slower": each
case runs once and three times in a fresh interpreter under callgrind, single-threaded,
and (count(3) - count(1)) / 2 is one call's instructions, imports and warm-up cancelled.

    python -m benchmarks.instructions                      # this checkout's src/
    python -m benchmarks.instructions --src OLD/src --src src   # two trees, ratios to the first

It counts work, not memory stalls or threads: it complements benchmarks.layers (the
ratios to PyTorch), it does not replace it. Needs valgrind (Debian's package).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .layers import CONVS, POOLS

STEPS = ["train step: LeNet-5 batch 64", "train step: VGG-style 32x32 batch 32"]
CASES = [c[0] for c in CONVS] + [p[0] for p in POOLS] + STEPS


def _conv(index: int) -> Callable[[], object]:
    from convprop import kernels as K

    _, x_shape, w_shape, stride, padding, dilation, groups = CONVS[index]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    gy = np.ones_like(K.conv2d(x, w, None, stride, padding, dilation, groups))

    def both() -> object:
        K.conv2d(x, w, None, stride, padding, dilation, groups)
        return K.conv2d_backward(gy, x, w, stride, padding, dilation, groups)

    return both


def _pool(index: int) -> Callable[[], object]:
    from convprop import kernels as K

    _, kind, kernel, stride, padding = POOLS[index]
    x = np.random.default_rng(0).standard_normal((8, 64, 56, 56)).astype(np.float32)
    if kind == "avg":
        gy = np.ones_like(K.avg_pool2d(x, kernel, stride, padding))

        def average() -> object:
            K.avg_pool2d(x, kernel, stride, padding)
            return K.avg_pool2d_backward(gy, x.shape, kernel, stride, padding)

        return average
    y, switches = K.max_pool2d_switches(x, kernel, stride, padding)
    gy = np.ones_like(y)

    def both() -> object:
        K.max_pool2d_switches(x, kernel, stride, padding)
        return K.max_pool2d_switches_backward(gy, switches, x.shape, kernel, stride, padding)

    return both


def _step(index: int) -> Callable[[], object]:
    import convprop
    from convprop import models, nn, optim
    from convprop.autograd import Tensor
    from convprop.nn import functional as F

    from .train_step import _vgg

    convprop.manual_seed(0)
    model = models.lenet5(1, 10, 28) if index == 0 else _vgg(nn)
    shape = (64, 1, 28, 28) if index == 0 else (32, 3, 32, 32)
    x = Tensor(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    labels = Tensor(np.arange(shape[0]) % 10)
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> object:
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()
        return loss

    return step


def run(case: int, times: int) -> None:
    """The child: build case `case`, call it `times` times (under callgrind)."""
    n_conv, n_pool = len(CONVS), len(POOLS)
    if case < n_conv:
        fn = _conv(case)
    elif case < n_conv + n_pool:
        fn = _pool(case - n_conv)
    else:
        fn = _step(case - n_conv - n_pool)
    for _ in range(times):
        fn()


def count(src: Path, case: int, times: int) -> int:
    """Instructions of a fresh interpreter running the case `times` times on tree `src`."""
    env = dict(os.environ, PYTHONPATH=str(src.resolve()), OMP_NUM_THREADS="1")
    env.update(OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1")
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    command += ["-m", "benchmarks.instructions", "--run", str(case), "--times", str(times)]
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(command, env=env, cwd=root, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no total:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_call(src: Path, case: int) -> float:
    return (count(src, case, 3) - count(src, case, 1)) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", type=Path, help="a source tree (repeatable)")
    parser.add_argument("--cases", type=int, nargs="+", help="case numbers (default: all)")
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--times", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run is not None:
        return run(args.run, args.times)
    if shutil.which("valgrind") is None:
        parser.exit(2, "benchmarks.instructions: valgrind is not installed (Debian: valgrind)\n")
    trees = args.src or [Path(__file__).resolve().parents[1] / "src"]
    cases = args.cases or range(len(CASES))
    print("trees: " + ", ".join(f"{i}={t}" for i, t in enumerate(trees)))
    header = "".join(f"{'Minstr ' + str(i):>12s}" for i in range(len(trees)))
    print(f"{'case':40s}{header}" + ("   ratios to tree 0" if len(trees) > 1 else ""), flush=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for case in cases:  # each case's trees in parallel, printed as it finishes
            values = list(pool.map(per_call, trees, [case] * len(trees)))
            ratios = " ".join(f"{v / values[0]:.4f}" for v in values[1:])
            cells = "".join(f"{v / 1e6:12.1f}" for v in values)
            print(f"{CASES[case]:40s}{cells}   {ratios}", flush=True)


if __name__ == "__main__":
    main()
