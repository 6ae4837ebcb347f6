"""LeNet-5 training throughput on MNIST (batch 64): convprop against PyTorch in the same run.

    python -m benchmarks.train_lenet [--data ../shared/data/mnist] [--steps 60]

Both train the same network from the same weights on the same batches (float32,
SGD with momentum); the median images per second over repeated timed blocks is reported
with the ratio convprop / PyTorch (higher is better for convprop).
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    import torch

    from convprop import Tensor, models, optim
    from convprop.data import load_mnist
    from convprop.nn import functional as F

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/mnist")
    parser.add_argument("--steps", type=int, default=40, help="steps per timed block")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    x, y = load_mnist(args.data, "train", holdout=2000).arrays
    T = torch.nn
    theirs = T.Sequential(
        T.Conv2d(1, 6, 5, padding=2), T.ReLU(), T.MaxPool2d(2), T.Conv2d(6, 16, 5), T.ReLU(),
        T.MaxPool2d(2), T.Flatten(), T.Linear(400, 120), T.ReLU(), T.Linear(120, 84), T.ReLU(),
        T.Linear(84, 10),
    )  # fmt: skip
    ours = models.lenet5()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    opt = optim.SGD(ours.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.01, momentum=0.9)
    batches = [(x[i : i + 64], y[i : i + 64]) for i in range(0, 64 * args.steps, 64)]

    def convprop_block() -> None:
        for xb, yb in batches:
            opt.zero_grad()
            F.cross_entropy(ours(Tensor(xb)), Tensor(yb)).backward()
            opt.step()

    def torch_block() -> None:
        for xb, yb in batches:
            topt.zero_grad()
            torch.nn.functional.cross_entropy(
                theirs(torch.from_numpy(xb)), torch.from_numpy(yb)
            ).backward()
            topt.step()

    rates = {}
    for name, block in (("convprop", convprop_block), ("pytorch", torch_block)):
        block()  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            block()
            times.append(time.perf_counter() - start)
        rates[name] = 64 * args.steps / statistics.median(times)
    threads = torch.get_num_threads()
    print(
        f"LeNet-5 training, MNIST batch 64, float32, torch {torch.__version__} ({threads} threads)"
    )
    for name, rate in rates.items():
        print(f"{name:<9} {rate:>8.0f} images/s")
    print(f"convprop / pytorch throughput: {rates['convprop'] / rates['pytorch']:.2f}")


if __name__ == "__main__":
    main()
