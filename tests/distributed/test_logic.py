"""convprop.distributed without MPI: a world of one process, and N ranks simulated as
threads (LocalGroup): sharding, the fused gradient buffer and its order, averaging,
broadcasting, and rank-0-only output."""

import argparse
import sys
import threading

import numpy as np
import pytest

from convprop import Tensor, distributed, nn, optim
from convprop.data import DataLoader, TensorDataset
from convprop.nn import functional as F


def test_without_mpirun_the_world_has_one_process(monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # init() installs its own
    assert distributed.init() == (0, 1)
    assert distributed.is_main() and distributed.scale_lr(0.1) == 0.1
    assert distributed.scale_lr(0.1, 4) == pytest.approx(0.4)
    assert sys.excepthook is distributed._abort_on_exception


@pytest.mark.parametrize("n, size, drop_last", [(10, 3, False), (12, 4, False), (11, 2, True)])
def test_shards_are_disjoint_cover_the_data_and_change_each_epoch(n, size, drop_last):
    data = TensorDataset(np.arange(n))
    shards = [
        distributed.DistributedSampler(data, size, r, seed=5, drop_last=drop_last)
        for r in range(size)
    ]
    seen = np.concatenate([s.indices() for s in shards])
    assert all(len(s) == len(shards[0]) for s in shards) and len(seen) == size * len(shards[0])
    if drop_last:
        assert len(set(seen)) == len(seen)
    else:
        assert set(seen) == set(range(n))  # padded by repeats, nothing left out
    # rank r's k-th batch of B, over all ranks, is the one-process k-th batch of size*B
    whole = distributed.DistributedSampler(data, 1, 0, seed=5).indices()
    batch = 2
    for k in range(n // (size * batch)):  # the global batches the padding does not reach
        together = sorted(int(i) for s in shards for i in s.indices()[k * batch : (k + 1) * batch])
        assert together == sorted(int(i) for i in whole[k * size * batch : (k + 1) * size * batch])
    first = shards[0].indices().copy()
    shards[0].set_epoch(1)
    assert not np.array_equal(first, shards[0].indices())


def test_the_fused_buffer_holds_every_gradient_in_name_order():
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1))
    for name, p in model.named_parameters():
        p.grad = Tensor(np.full(p.array.shape, float(len(name)), dtype=np.float32))
    model[2].bias.grad = None
    opt = distributed.DistributedOptimizer(
        optim.SGD(model.parameters(), lr=1.0), model.named_parameters()
    )
    assert [name for name, _ in opt.named] == ["0.bias", "0.weight", "2.bias", "2.weight"]
    buffer = opt.fused_gradients()
    assert buffer.dtype == np.float64 and buffer.size == 2 + 6 + 1 + 2
    np.testing.assert_array_equal(buffer, [6, 6, *[8] * 6, 0, 8, 8])


def test_the_distributed_optimizer_is_an_optimizer_over_the_inner_ones_groups():
    model = nn.Sequential(nn.Linear(3, 2))
    inner = optim.Adam(model.parameters(), lr=0.1)
    opt = distributed.DistributedOptimizer(inner, model.named_parameters())
    assert isinstance(opt, optim.Optimizer)
    assert opt.param_groups is inner.param_groups and opt.defaults is inner.defaults
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, 4)
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.array.shape, dtype=p.array.dtype))
    opt.step()
    scheduler.step()
    assert inner.param_groups[0]["lr"] == scheduler.get_last_lr()[0] < 0.1
    assert opt.state is inner.state and len(opt.state) == 2
    saved = opt.state_dict()
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    again = distributed.DistributedOptimizer(optim.Adam(model.parameters(), lr=0.1))
    again.load_state_dict(saved)
    assert again.param_groups[0]["lr"] == inner.param_groups[0]["lr"]
    np.testing.assert_array_equal(again.state[0]["exp_avg"], inner.state[0]["exp_avg"])


def _in_threads(size, work):
    """work(comm) on `size` simulated ranks, each in its own thread; results by rank."""
    group = distributed.LocalGroup(size)
    results = [None] * size

    def run(r):
        results[r] = work(group.rank(r))

    threads = [threading.Thread(target=run, args=(r,)) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert group.aborted is None
    return results


def _model(seed):
    from convprop import manual_seed

    manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(), nn.Linear(8, 3)
    ).double()


def test_simulated_ranks_average_gradients_and_match_one_process_on_the_whole_batch():
    rng = np.random.default_rng(0)
    data = TensorDataset(rng.standard_normal((24, 1, 4, 4)), rng.integers(0, 3, 24))
    size, batch = 3, 2

    building = threading.Lock()  # manual_seed is global: one rank draws its weights at a time

    def rank_work(comm):
        with building:
            model = _model(seed=comm.rank)  # different on every rank until the broadcast
        distributed.broadcast_parameters(model, comm=comm)
        model.eval()  # BatchNorm on running statistics: the batch split cannot change it
        opt = distributed.DistributedOptimizer(
            optim.SGD(model.parameters(), lr=0.5), model.named_parameters(), comm=comm
        )
        sampler = distributed.DistributedSampler(data, size, comm.rank, seed=1)
        for x, y in DataLoader(data, batch, sampler=sampler):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
        return {k: v.copy() for k, v in model.state_dict().items()}

    states = _in_threads(size, rank_work)
    for state in states[1:]:
        for key, value in state.items():
            np.testing.assert_array_equal(value, states[0][key], err_msg=key)
    alone = _model(seed=0).eval()
    opt = optim.SGD(alone.parameters(), lr=0.5)
    for x, y in DataLoader(
        data, size * batch, sampler=distributed.DistributedSampler(data, 1, 0, seed=1)
    ):
        opt.zero_grad()
        F.cross_entropy(alone(x), y).backward()
        opt.step()
    for key, value in alone.state_dict().items():
        np.testing.assert_allclose(states[0][key], value, rtol=1e-12, atol=1e-14, err_msg=key)


def test_broadcast_copies_buffers_and_only_rank_0_is_main():
    def rank_work(comm):
        model = _model(seed=comm.rank)
        model[1].running_mean[...] = comm.rank + 1.0
        distributed.broadcast_parameters(model, comm=comm)
        return model[1].running_mean.copy(), distributed.is_main(comm)

    results = _in_threads(3, rank_work)
    for mean, _ in results:
        np.testing.assert_array_equal(mean, [1.0, 1.0])
    assert [main for _, main in results] == [True, False, False]


def test_ranks_other_than_0_print_nothing_and_write_nothing(tmp_path, capsys):
    from convprop.cli.settings import add_train_options
    from convprop.cli.train import _train

    parser = argparse.ArgumentParser()
    add_train_options(parser)
    files = ["--checkpoint", str(tmp_path / "c.npz"), "--metrics", str(tmp_path / "m.json")]
    args = parser.parse_args(["--epochs", "1", "--no-progress", *files])
    assert _train(args, rank=1, size=1) == 0
    assert capsys.readouterr().out == ""
    assert list(tmp_path.iterdir()) == []


def test_sampler_and_shuffle_exclude_each_other():
    data = TensorDataset(np.arange(4))
    with pytest.raises(ValueError, match="sampler and shuffle exclude each other"):
        DataLoader(data, 2, shuffle=True, sampler=distributed.DistributedSampler(data, 1, 0))
    loader = DataLoader(data, 3, sampler=distributed.DistributedSampler(data, 2, 1, shuffle=False))
    assert len(loader) == 1 and [b[0].array.tolist() for b in loader] == [[1, 3]]
    assert isinstance(next(iter(loader))[0], Tensor)


def test_under_mpirun_each_process_gets_its_share_of_the_cores(monkeypatch):
    from convprop import _threads

    # a private copy of the environment: the variables set below must not reach Numba,
    # which refuses a NUMBA_NUM_THREADS that changes after its threads start
    names = (*_threads.LOCAL_SIZE, *_threads.THREAD_VARIABLES)
    environ = {k: v for k, v in _threads.os.environ.items() if k not in names}
    monkeypatch.setattr(_threads.os, "environ", environ)
    monkeypatch.setattr(_threads.os, "cpu_count", lambda: 8)
    _threads.share_cores_under_mpirun()  # not under mpirun: nothing set
    assert "OPENBLAS_NUM_THREADS" not in _threads.os.environ
    monkeypatch.setenv("MPI_LOCALNRANKS", "2")
    _threads.share_cores_under_mpirun()
    assert _threads.os.environ["OPENBLAS_NUM_THREADS"] == "4"
    assert _threads.os.environ["OMP_NUM_THREADS"] == "4"
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")  # the user's choice stands
    monkeypatch.setenv("MPI_LOCALNRANKS", "4")
    _threads.share_cores_under_mpirun()
    assert _threads.os.environ["OPENBLAS_NUM_THREADS"] == "3"


def test_the_abort_hook_reports_ctrl_c_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # init() installs its own
    distributed.init()
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt as e:
        sys.excepthook(type(e), e, e.__traceback__)
    assert capsys.readouterr().err == "convprop.distributed: interrupted\n"  # no traceback
