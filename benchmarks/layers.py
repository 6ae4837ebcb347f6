"""The speed suite of issue 4: each layer against PyTorch's CPU kernels in the same run.

    python -m benchmarks.layers [--repeats 7] [--json layers.json] [--no-training]

For every case: forward and backward medians (after a warm-up), their ratio to PyTorch
(lower is better), effective GFLOP/s and its share of the measured NumPy float32 GEMM
ceiling, the algorithm "auto" chose, and the peak memory convprop allocated (tracemalloc),
with the default 256 MiB workspace limit and with it lowered to 16 MiB (batch chunks).
Ends with the geometric mean of the forward+backward ratios and two whole training steps
(LeNet-5 on MNIST, batch 64; a VGG-style net on 32x32 input, batch 32; train_step.py).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from convprop import kernels as K
from convprop.shapes import conv2d_geometry

from .train_step import compare

# (name, input shape, weight shape, stride, padding)
CONVS = [
    ("lenet conv1 64x1x28x28 6@5x5 p2", (64, 1, 28, 28), (6, 1, 5, 5), 1, 2),
    ("lenet conv2 64x6x14x14 16@5x5", (64, 6, 14, 14), (16, 6, 5, 5), 1, 0),
    ("8x64x56x56 64@3x3 p1", (8, 64, 56, 56), (64, 64, 3, 3), 1, 1),
    ("8x3x224x224 64@7x7 s2 p3", (8, 3, 224, 224), (64, 3, 7, 7), 2, 3),
    ("8x256x28x28 64@1x1", (8, 256, 28, 28), (64, 256, 1, 1), 1, 0),
    ("8x16x64x64 16@11x11 p5", (8, 16, 64, 64), (16, 16, 11, 11), 1, 5),
]
POOLS = [("maxpool 8x64x56x56 2x2 s2", 2, 2, 0), ("maxpool 8x64x56x56 3x3 s2 p1", 3, 2, 1)]


def paired_medians(
    theirs: Callable[[], object], ours: Callable[[], object], repeats: int, rounds: int = 3
) -> tuple[float, float]:
    """Median seconds of each, timed in alternating rounds so that a slow spell of the
    shared machine hits both; a pause at each switch lets the other library's spinning
    worker threads go to sleep (measured: without it, the second library ran up to 2x
    slower)."""
    times: tuple[list[float], list[float]] = ([], [])
    per_round = max(1, -(-repeats // rounds))
    for _ in range(rounds):
        for fn, out in zip((theirs, ours), times, strict=True):
            time.sleep(0.05)
            fn()  # warm-up after the switch
            for _ in range(per_round):
                start = time.perf_counter()
                fn()
                out.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def peak_mib(fn: Callable[[], object]) -> float:
    """Peak bytes NumPy allocated during fn, workspace buffers included (cleared first)."""
    K.workspace.clear()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def limited_peak(fn: Callable[[], object], limit: int = 16 * 2**20) -> float:
    """Peak memory with the workspace limit lowered to 16 MiB (batch chunks)."""
    saved = K.workspace.limit_bytes
    K.workspace.limit_bytes = limit
    try:
        return peak_mib(fn)
    finally:
        K.workspace.limit_bytes = saved


def gemm_ceiling(repeats: int) -> float:
    """GFLOP/s of NumPy's float32 GEMM on square 2048 matrices, its fastest of `repeats`
    runs: the practical ceiling (a median let one slow spell lower it by a third)."""
    a = np.random.default_rng(0).standard_normal((2048, 2048)).astype(np.float32)
    a @ a
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    return 2 * 2048**3 / best / 1e9


def conv_case(name, x_shape, w_shape, stride, padding, repeats, ceiling):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    g = conv2d_geometry("bench", x_shape, w_shape, stride, padding)
    gy = rng.standard_normal(g.y_shape).astype(np.float32)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.zeros(w_shape[0], requires_grad=True)
    yt = F.conv2d(xt, wt, bt, stride, padding)
    gyt = torch.tensor(gy)

    def torch_forward() -> object:
        with torch.no_grad():
            return F.conv2d(xt, wt, bt, stride, padding)

    t_fwd, f = paired_medians(torch_forward, lambda: K.conv2d(x, w, None, stride, padding), repeats)
    t_bwd, b = paired_medians(
        lambda: torch.autograd.grad(yt, (xt, wt, bt), gyt, retain_graph=True),
        lambda: K.conv2d_backward(gy, x, w, stride, padding),
        repeats,
    )
    flops = 2 * math.prod(g.y_shape) * math.prod(w_shape[1:])
    gflops = (3 * flops) / (f + b) / 1e9  # forward plus two gradient passes
    return dict(
        case=name,
        algorithm=K.choose("auto", g).name,
        forward_ms=f * 1e3,
        backward_ms=b * 1e3,
        forward_ratio=f / t_fwd,
        backward_ratio=b / t_bwd,
        total_ratio=(f + b) / (t_fwd + t_bwd),
        gflops=gflops,
        ceiling_percent=100 * gflops / ceiling,
        peak_mib=peak_mib(lambda: K.conv2d_backward(gy, x, w, stride, padding)),
        peak_mib_16mib_limit=limited_peak(lambda: K.conv2d_backward(gy, x, w, stride, padding)),
    )


def pool_case(name, kernel, stride, padding, repeats):
    """Forward with switches and their backward: the path nn.MaxPool2d trains with."""
    import torch
    import torch.nn.functional as F

    x = np.random.default_rng(0).standard_normal((8, 64, 56, 56)).astype(np.float32)
    y, switches = K.max_pool2d_switches(x, kernel, stride, padding)
    gy = np.ones_like(y)
    xt = torch.tensor(x, requires_grad=True)
    yt = F.max_pool2d(xt, kernel, stride, padding)
    t_fwd, f = paired_medians(
        lambda: F.max_pool2d(torch.from_numpy(x), kernel, stride, padding),
        lambda: K.max_pool2d_switches(x, kernel, stride, padding),
        repeats,
    )
    t_bwd, b = paired_medians(
        lambda: torch.autograd.grad(yt, xt, torch.from_numpy(gy), retain_graph=True),
        lambda: K.max_pool2d_switches_backward(gy, switches, x.shape, kernel, stride, padding),
        repeats,
    )
    return dict(
        case=name,
        algorithm="taps",
        forward_ms=f * 1e3,
        backward_ms=b * 1e3,
        forward_ratio=f / t_fwd,
        backward_ratio=b / t_bwd,
        total_ratio=(f + b) / (t_fwd + t_bwd),
        gflops=float("nan"),
        ceiling_percent=float("nan"),
        peak_mib=peak_mib(lambda: K.max_pool2d_switches(x, kernel, stride, padding)),
        peak_mib_16mib_limit=float("nan"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", help="write the rows here")
    parser.add_argument("--no-training", action="store_true", help="skip the training steps")
    args = parser.parse_args()
    import torch

    ceiling = gemm_ceiling(args.repeats)
    threads = torch.get_num_threads()
    print(
        f"float32; torch {torch.__version__}, {threads} threads; GEMM ceiling {ceiling:.0f} GFLOP/s"
    )
    rows = [conv_case(*c, args.repeats, ceiling) for c in CONVS]
    rows += [pool_case(*p, args.repeats) for p in POOLS]
    header = (
        f"{'case':<34} {'algo':<7} {'fwd ms':>8} {'x torch':>7} {'bwd ms':>8} {'x torch':>7} "
        f"{'GFLOP/s':>8} {'% ceil':>6} {'peak MiB':>8} {'@16MiB':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['case']:<34} {r['algorithm']:<7} {r['forward_ms']:>8.2f} "
            f"{r['forward_ratio']:>7.2f} {r['backward_ms']:>8.2f} {r['backward_ratio']:>7.2f} "
            f"{r['gflops']:>8.1f} "
            f"{r['ceiling_percent']:>6.1f} {r['peak_mib']:>8.1f} {r['peak_mib_16mib_limit']:>7.1f}"
        )
    convs = [r["total_ratio"] for r in rows[: len(CONVS)]]
    geo = math.exp(sum(math.log(v) for v in convs) / len(convs))
    print(f"geometric mean of conv forward+backward ratios: {geo:.2f} (target <= 1.0)")
    steps = [] if args.no_training else [compare(case) for case in ("lenet", "vgg")]
    for r in steps:
        print(
            f"{r['case']:<42} convprop {r['step_ms']:6.1f} ms  pytorch {r['pytorch_step_ms']:6.1f}"
            f" ms  throughput ratio {r['throughput_ratio']:.2f} (target >= 1.0)"
        )
    if args.json:
        with open(args.json, "w") as f:
            result = {"ceiling_gflops": ceiling, "rows": rows, "conv_geomean_ratio": geo}
            json.dump({**result, "training_steps": steps}, f, indent=2)


if __name__ == "__main__":
    main()
