"""The speed suite: each layer kind real CNNs use against PyTorch's CPU kernels, same run.

    python -m benchmarks.layers [--repeats 15] [--json layers.json] [--no-training]

Cases: 3x3 layers of 32-64 channels on 16x16 to 56x56, stride 2, 7x7 stride 2, 1x1,
depthwise, grouped, dilated, 5x5, 9x9 and 11x11 (the FFT), a batch-1 forward (inference),
a stride-2 transposed convolution, max and average pooling. For every case: forward and
backward medians (after a warm-up; the backward computes dL/dX, dL/dW and dL/db on both
sides), their ratio to PyTorch (lower is better), effective
GFLOP/s and its share of the measured NumPy float32 GEMM ceiling, the algorithm "auto"
chose, the first call's extra time apart from run time ("1st +ms": compiling the Numba
kernels on a fresh install, reading their cache after), and the peak memory convprop
allocated (tracemalloc), with the default 256 MiB workspace limit and with it lowered to
16 MiB (batch chunks). Ends with the geometric mean of the ratios and three whole training
steps (LeNet-5 on MNIST, batch 64; a VGG-style net and a small ResNet on 32x32 input,
batch 32; train_step.py).
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

# (name, input shape, weight shape, stride, padding, dilation, groups): the layer kinds
# real CNNs use (issue 16)
CONVS = [
    ("lenet conv1 64x1x28x28 6@5x5 p2", (64, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1, 1),
    ("lenet conv2 64x6x14x14 16@5x5", (64, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1, 1),
    ("8x64x56x56 64@3x3 p1", (8, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1, 1),
    ("8x32x32x32 32@3x3 p1", (8, 32, 32, 32), (32, 32, 3, 3), 1, 1, 1, 1),
    ("8x64x16x16 64@3x3 p1", (8, 64, 16, 16), (64, 64, 3, 3), 1, 1, 1, 1),
    ("8x64x28x28 128@3x3 s2 p1", (8, 64, 28, 28), (128, 64, 3, 3), 2, 1, 1, 1),
    ("8x3x224x224 64@7x7 s2 p3", (8, 3, 224, 224), (64, 3, 7, 7), 2, 3, 1, 1),
    ("8x256x28x28 64@1x1", (8, 256, 28, 28), (64, 256, 1, 1), 1, 0, 1, 1),
    ("depthwise 8x64x56x56 3x3 p1", (8, 64, 56, 56), (64, 1, 3, 3), 1, 1, 1, 64),
    ("grouped 8x64x28x28 64@3x3 g4 p1", (8, 64, 28, 28), (64, 16, 3, 3), 1, 1, 1, 4),
    ("dilated 8x64x28x28 64@3x3 d2 p2", (8, 64, 28, 28), (64, 64, 3, 3), 1, 2, 2, 1),
    ("8x32x28x28 32@5x5 p2", (8, 32, 28, 28), (32, 32, 5, 5), 1, 2, 1, 1),
    ("8x16x64x64 16@9x9 p4", (8, 16, 64, 64), (16, 16, 9, 9), 1, 4, 1, 1),
    ("8x16x64x64 16@11x11 p5", (8, 16, 64, 64), (16, 16, 11, 11), 1, 5, 1, 1),
]
INFERENCE = [("batch 1 forward 1x64x56x56 64@3x3 p1", (1, 64, 56, 56), (64, 64, 3, 3), 1, 1, 1, 1)]
# (name, input shape, weight shape (C_in, C_out, kH, kW), stride, padding)
TRANSPOSED = [("transposed 8x64x14x14 32@4x4 s2 p1", (8, 64, 14, 14), (64, 32, 4, 4), 2, 1)]
# (name, kind, kernel, stride, padding) on 8x64x56x56, and LeNet's first pool
POOLS = [
    ("maxpool 8x64x56x56 2x2 s2", "max", 2, 2, 0),
    ("maxpool 8x64x56x56 3x3 s2 p1", "max", 3, 2, 1),
    ("avgpool 8x64x56x56 2x2 s2", "avg", 2, 2, 0),
    ("avgpool 8x64x56x56 3x3 s2 p1", "avg", 3, 2, 1),
]


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


def blas_kernels() -> str:
    """NumPy's BLAS and the CPU kernels it runs (OpenBLAS picks them when it loads, or
    takes OPENBLAS_CORETYPE from the environment: AVX2 'Haswell' kernels on an AVX-512 CPU
    halve the GEMM ceiling)."""
    from threadpoolctl import threadpool_info

    pools = [p for p in threadpool_info() if p["user_api"] == "blas"]
    return ", ".join(f"{p['internal_api']} {p.get('architecture', '?')} kernels" for p in pools)


def first_call(fn: Callable[[], object]) -> float:
    """Seconds of fn's first call: compiling its kernels (or reading Numba's cache) included;
    the row's compile_ms is this less a warm call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _row(name, algorithm, f, b, t_fwd, t_bwd, first, flops, ceiling, peak, peak16) -> dict:
    gflops = flops / (f + b) / 1e9 if flops else float("nan")
    return dict(
        case=name,
        algorithm=algorithm,
        forward_ms=f * 1e3,
        backward_ms=b * 1e3,
        forward_ratio=f / t_fwd,
        backward_ratio=b / t_bwd if t_bwd else float("nan"),
        total_ratio=(f + b) / (t_fwd + t_bwd),
        gflops=gflops,
        ceiling_percent=100 * gflops / ceiling,
        compile_ms=max(0.0, first - f - b) * 1e3,
        peak_mib=peak,
        peak_mib_16mib_limit=peak16,
    )


def conv_case(
    name, x_shape, w_shape, stride, padding, dilation, groups, repeats, ceiling, *, backward=True
):
    """Forward (and, for training, both gradients) against torch.nn.functional.conv2d."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    g = conv2d_geometry("bench", x_shape, w_shape, stride, padding, dilation, groups)
    gy = rng.standard_normal(g.y_shape).astype(np.float32)
    options = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    ours_fwd = lambda: K.conv2d(x, w, None, **options)  # noqa: E731
    ours_bwd = lambda: K.conv2d_backward(gy, x, w, **options)  # noqa: E731
    first = first_call(ours_fwd) + (first_call(ours_bwd) if backward else 0.0)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    # conv2d_backward returns dL/db too (the sum of dL/dY per channel): PyTorch's backward
    # gets a bias, so both compute the same three gradients
    bt = torch.zeros(w_shape[0], requires_grad=True)
    yt = F.conv2d(xt, wt, bt, **options)
    gyt = torch.tensor(gy)

    def torch_forward() -> object:
        with torch.no_grad():
            return F.conv2d(xt, wt, None, **options)

    t_fwd, f = paired_medians(torch_forward, ours_fwd, repeats)
    t_bwd, b = 0.0, 0.0
    if backward:
        t_bwd, b = paired_medians(
            lambda: torch.autograd.grad(yt, (xt, wt, bt), gyt, retain_graph=True),
            ours_bwd,
            repeats,
        )
    flops = 2 * math.prod(g.y_shape) * math.prod(w_shape[1:]) * (3 if backward else 1)
    run = ours_bwd if backward else ours_fwd
    return _row(
        name,
        K.choose("auto", g, dtype=np.float32).name,
        f,
        b,
        t_fwd,
        t_bwd,
        first,
        flops,
        ceiling,
        peak_mib(run),
        limited_peak(run),
    )


def transposed_case(name, x_shape, w_shape, stride, padding, repeats, ceiling):
    """conv_transpose2d forward and backward against PyTorch's."""
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    ours_fwd = lambda: K.conv_transpose2d(x, w, None, stride, padding)  # noqa: E731
    gy = rng.standard_normal(ours_fwd().shape).astype(np.float32)
    ours_bwd = lambda: K.conv_transpose2d_backward(gy, x, w, stride, padding)  # noqa: E731
    first = first_call(ours_fwd) + first_call(ours_bwd)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    bt = torch.zeros(w_shape[1], requires_grad=True)  # dL/db on both sides, as conv_case
    yt = F.conv_transpose2d(xt, wt, bt, stride, padding)
    gyt = torch.tensor(gy)

    def torch_forward() -> object:
        with torch.no_grad():
            return F.conv_transpose2d(xt, wt, None, stride, padding)

    t_fwd, f = paired_medians(torch_forward, ours_fwd, repeats)
    t_bwd, b = paired_medians(
        lambda: torch.autograd.grad(yt, (xt, wt, bt), gyt, retain_graph=True), ours_bwd, repeats
    )
    flops = 3 * 2 * math.prod(x_shape) * math.prod(w_shape[1:])
    return _row(
        name,
        "transposed",
        f,
        b,
        t_fwd,
        t_bwd,
        first,
        flops,
        ceiling,
        peak_mib(ours_bwd),
        limited_peak(ours_bwd),
    )


def pool_case(name, kind, kernel, stride, padding, repeats, ceiling):
    """Max pooling with switches and their backward (what nn.MaxPool2d trains with), or
    average pooling and its backward."""
    import torch
    import torch.nn.functional as F

    x = np.random.default_rng(0).standard_normal((8, 64, 56, 56)).astype(np.float32)
    if kind == "max":
        y, switches = K.max_pool2d_switches(x, kernel, stride, padding)
        ours_fwd = lambda: K.max_pool2d_switches(x, kernel, stride, padding)  # noqa: E731
        ours_bwd = lambda: K.max_pool2d_switches_backward(  # noqa: E731
            gy, switches, x.shape, kernel, stride, padding
        )
        torch_pool = F.max_pool2d
    else:
        y = K.avg_pool2d(x, kernel, stride, padding)
        ours_fwd = lambda: K.avg_pool2d(x, kernel, stride, padding)  # noqa: E731
        ours_bwd = lambda: K.avg_pool2d_backward(gy, x.shape, kernel, stride, padding)  # noqa: E731
        torch_pool = F.avg_pool2d
    gy = np.ones_like(y)
    first = first_call(ours_fwd) + first_call(ours_bwd)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch_pool(xt, kernel, stride, padding)
    t_fwd, f = paired_medians(
        lambda: torch_pool(torch.from_numpy(x), kernel, stride, padding), ours_fwd, repeats
    )
    t_bwd, b = paired_medians(
        lambda: torch.autograd.grad(yt, xt, torch.from_numpy(gy), retain_graph=True),
        ours_bwd,
        repeats,
    )
    return _row(name, kind, f, b, t_fwd, t_bwd, first, 0, ceiling, peak_mib(ours_fwd), float("nan"))


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
        f" ({blas_kernels()})"
    )
    rows = [conv_case(*c, args.repeats, ceiling) for c in CONVS]
    rows += [conv_case(*c, args.repeats, ceiling, backward=False) for c in INFERENCE]
    rows += [transposed_case(*c, args.repeats, ceiling) for c in TRANSPOSED]
    rows += [pool_case(*p, args.repeats, ceiling) for p in POOLS]
    header = (
        f"{'case':<38} {'algo':<11} {'fwd ms':>8} {'x torch':>7} {'bwd ms':>8} {'x torch':>7} "
        f"{'total x':>7} {'GFLOP/s':>8} {'% ceil':>6} {'1st +ms':>8} {'peak MiB':>8} {'@16MiB':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['case']:<38} {r['algorithm']:<11} {r['forward_ms']:>8.2f} "
            f"{r['forward_ratio']:>7.2f} {r['backward_ms']:>8.2f} {r['backward_ratio']:>7.2f} "
            f"{r['total_ratio']:>7.2f} {r['gflops']:>8.1f} {r['ceiling_percent']:>6.1f} "
            f"{r['compile_ms']:>8.0f} {r['peak_mib']:>8.1f} {r['peak_mib_16mib_limit']:>7.1f}"
        )
    ratios = [r["total_ratio"] for r in rows]
    geo = math.exp(sum(math.log(v) for v in ratios) / len(ratios))
    print(f"geometric mean of the forward+backward ratios: {geo:.2f} (target <= 0.8)")
    cases = ("lenet", "vgg", "resnet")
    steps = [] if args.no_training else [compare(case) for case in cases]
    for r in steps:
        print(
            f"{r['case']:<42} convprop {r['step_ms']:6.1f} ms  pytorch {r['pytorch_step_ms']:6.1f}"
            f" ms  throughput ratio {r['throughput_ratio']:.2f} (target >= 1.0; LeNet >= 1.25)"
        )
    if args.json:
        with open(args.json, "w") as f:
            result = {"ceiling_gflops": ceiling, "rows": rows, "conv_geomean_ratio": geo}
            json.dump({**result, "training_steps": steps}, f, indent=2)


if __name__ == "__main__":
    main()
