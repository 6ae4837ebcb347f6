"""Run under `mpirun -np N python mpi_equality.py OUT.json`: N processes train a small net
for a few steps with DistributedOptimizer and DistributedSampler; rank 0 then trains one
process on the whole batches and writes how far apart the two are, and how far apart the
ranks' parameters are after the broadcast and after training."""

import json
import sys

import numpy as np

from convprop import distributed, nn, optim
from convprop.data import DataLoader, TensorDataset
from convprop.nn import functional as F

STEPS, GLOBAL_BATCH = 4, 12


def build(seed):
    from convprop import manual_seed

    manual_seed(seed)  # a different init per rank: the broadcast must make them equal
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(48, 4)
    ).double()


def data():
    rng = np.random.default_rng(0)
    return TensorDataset(rng.standard_normal((60, 1, 8, 8)), rng.integers(0, 4, 60))


def train(model, loader, opt):
    for step, (x, y) in enumerate(loader):
        if step == STEPS:
            break
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def flat(model):
    return np.concatenate([p.array.ravel() for _, p in sorted(model.named_parameters())])


def spread(comm, values):
    """max over ranks of |values - rank 0's values|."""
    reference = comm.bcast(values.copy(), 0)
    gap = np.array([np.abs(values - reference).max()])
    return float(comm.allreduce_sum(gap)[0])  # a sum of non-negative gaps: 0 iff all 0


rank, size = distributed.init()
comm = distributed.world()
dataset = data()
model = build(seed=rank)
distributed.broadcast_parameters(model)
after_broadcast = spread(comm, flat(model))
start = flat(model).copy()
initial = {k: v.copy() for k, v in model.state_dict().items()}  # after the broadcast
opt = distributed.DistributedOptimizer(
    optim.SGD(model.parameters(), lr=0.1, momentum=0.9), model.named_parameters()
)
sampler = distributed.DistributedSampler(dataset, seed=3)
train(model, DataLoader(dataset, GLOBAL_BATCH // size, sampler=sampler), opt)
after_training = spread(comm, flat(model))
if rank == 0:
    alone = build(seed=0)
    alone.load_state_dict(initial)
    one = distributed.DistributedSampler(dataset, num_replicas=1, rank=0, seed=3)
    train(
        alone,
        DataLoader(dataset, GLOBAL_BATCH, sampler=one),
        optim.SGD(alone.parameters(), lr=0.1, momentum=0.9),
    )
    result = dict(
        size=size,
        after_broadcast=after_broadcast,
        after_training=after_training,
        vs_one_process=float(np.abs(flat(model) - flat(alone)).max()),
        moved=float(np.abs(flat(model) - start).max()),
    )
    with open(sys.argv[1], "w") as f:
        json.dump(result, f)
