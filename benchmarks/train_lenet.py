"""LeNet-5 training throughput on MNIST (batch 64): convprop against PyTorch in the same run.

    python -m benchmarks.train_lenet [--data ../shared/data/mnist] [--steps 30] [--vgg]

Both train the same network from the same weights on the same batches (float32, SGD
with momentum), in alternating timed blocks (see train_step.py); the median images per
second is reported with the ratio convprop / PyTorch (higher is better for convprop).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .train_step import MNIST, compare


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=MNIST)
    parser.add_argument("--steps", type=int, default=30, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--vgg", action="store_true", help="also the VGG-style 32x32 step")
    args = parser.parse_args()
    print(f"float32, torch {torch.__version__} ({torch.get_num_threads()} threads)")
    for case in ("lenet", "vgg") if args.vgg else ("lenet",):
        r = compare(case, args.steps, args.repeats, args.data)
        print(
            f"{r['case']}: convprop {r['convprop_images_per_s']:.0f} images/s, "
            f"pytorch {r['pytorch_images_per_s']:.0f} images/s, "
            f"throughput ratio {r['throughput_ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
