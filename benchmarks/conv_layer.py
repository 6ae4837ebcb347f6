"""Time each convolution algorithm against PyTorch's CPU convolution in the same run.

    python -m benchmarks.conv_layer            # the issue's 8x64x56x56, 64@3x3 layer
    python -m benchmarks.conv_layer --all      # plus layers that decide algorithm="auto"

Medians of repeated runs after a warm-up; ratios are convprop / PyTorch (lower is
better). PyTorch is only needed here and in the tests, never at run time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np

from convprop import kernels as K

# (name, input shape, weight shape, padding)
LAYERS = [
    ("8x64x56x56 64@3x3 p1", (8, 64, 56, 56), (64, 64, 3, 3), 1),
]
MORE_LAYERS = [
    ("lenet conv1 64x1x28x28 6@5x5", (64, 1, 28, 28), (6, 1, 5, 5), 0),
    ("lenet conv2 64x6x12x12 16@5x5", (64, 6, 12, 12), (16, 6, 5, 5), 0),
    ("8x16x64x64 16@7x7 p3", (8, 16, 64, 64), (16, 16, 7, 7), 3),
    ("8x16x64x64 16@9x9 p4", (8, 16, 64, 64), (16, 16, 9, 9), 4),
    ("8x16x64x64 16@11x11 p5", (8, 16, 64, 64), (16, 16, 11, 11), 5),
]


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_layer(name, x_shape, w_shape, padding, algorithms, repeats):
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    bt = torch.zeros(w_shape[0], requires_grad=True)
    y = K.conv2d(x, w, padding=padding)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    gyt = torch.tensor(gy)

    def torch_forward():
        with torch.no_grad():
            F.conv2d(xt, wt, bt, padding=padding)

    yt = F.conv2d(xt, wt, bt, padding=padding)

    def torch_backward():
        # dX, dW and db from one recorded forward, as convprop's conv2d_backward computes them
        torch.autograd.grad(yt, (xt, wt, bt), gyt, retain_graph=True)

    t_fwd = median_seconds(torch_forward, repeats)
    t_bwd = median_seconds(torch_backward, repeats)
    rows = [dict(layer=name, algorithm="pytorch", forward_ms=t_fwd * 1e3, backward_ms=t_bwd * 1e3)]
    for algorithm in algorithms:
        try:  # winograd takes 3x3 stride-1 layers only; numba and winograd need Numba on
            K.choose(algorithm, _geometry(x, w, padding))
        except ValueError:
            continue
        reps = 1 if algorithm == "direct" else repeats
        f = median_seconds(lambda a=algorithm: K.conv2d(x, w, padding=padding, algorithm=a), reps)
        b = median_seconds(
            lambda a=algorithm: K.conv2d_backward(gy, x, w, padding=padding, algorithm=a), reps
        )
        chosen = K.choose("auto", _geometry(x, w, padding)).name
        label = f"auto ({chosen})" if algorithm == "auto" else algorithm
        rows.append(
            dict(
                layer=name,
                algorithm=label,
                forward_ms=f * 1e3,
                backward_ms=b * 1e3,
                forward_ratio=f / t_fwd,
                backward_ratio=b / t_bwd,
            )
        )
    return rows


def _geometry(x, w, padding):
    from convprop.shapes import conv2d_geometry

    return conv2d_geometry("bench", x.shape, w.shape, 1, padding)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="also the layers that decide 'auto'")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-direct", action="store_true", help="skip the slow reference loops")
    parser.add_argument("--json", help="write the rows here")
    args = parser.parse_args()
    import torch

    print(f"float32; torch {torch.__version__} with {torch.get_num_threads()} threads; medians")
    layers = LAYERS + (MORE_LAYERS if args.all else [])
    algorithms = ["im2col", "batch_inner", "fft", "numba", "winograd", "auto"]
    algorithms += [] if args.no_direct else ["direct"]
    rows = []
    header = (
        f"{'layer':<32} {'algorithm':<16} {'fwd ms':>9} {'x torch':>8} {'bwd ms':>9} {'x torch':>8}"
    )
    print(header)
    print("-" * len(header))
    for layer in layers:
        for row in bench_layer(*layer, algorithms, args.repeats):
            rows.append(row)
            fr = f"{row['forward_ratio']:.2f}" if "forward_ratio" in row else "1"
            br = f"{row['backward_ratio']:.2f}" if "backward_ratio" in row else "1"
            print(
                f"{row['layer']:<32} {row['algorithm']:<16} {row['forward_ms']:>9.2f} {fr:>8} "
                f"{row['backward_ms']:>9.2f} {br:>8}"
            )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
