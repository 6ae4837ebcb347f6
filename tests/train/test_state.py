"""train/state.py: a run's checkpoint written by save() and put back by Resumed.restore():
model, optimizer state, schedule, the loader's and the global RNG, epoch and history; the
process-count check; restore() of a checkpoint's model for predict and export."""

import numpy as np
import pytest

from convprop import Tensor, nn, optim, rng
from convprop.data import DataLoader, TensorDataset
from convprop.train import Progress, Resumed, build_model, restore
from convprop.train.state import save

CONFIG = {
    "model": "mlp",
    "in_channels": 1,
    "num_classes": 3,
    "image_size": 2,
    "processes": 1,
    "distributed": False,
}


def _run(seed=0):
    rng.manual_seed(seed)
    model = build_model(CONFIG)
    opt = optim.Adam(model.parameters(), lr=0.1)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, 5)
    data = TensorDataset(np.arange(12.0).reshape(12, 1), np.zeros(12, dtype=np.int64))
    loader = DataLoader(data, 4, shuffle=True, seed=seed)
    return model, opt, scheduler, loader


def _step(model, opt):
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.shape, dtype=p.dtype))
    opt.step()


def test_build_model_follows_the_configuration():
    model = build_model(CONFIG)
    assert isinstance(model, nn.Sequential)
    assert model[1].weight.shape == (128, 4) and model[3].weight.shape == (3, 128)


def test_save_then_restore_continues_exactly_where_the_run_was(tmp_path):
    path = str(tmp_path / "run.npz")
    model, opt, scheduler, loader = _run()
    _step(model, opt)
    scheduler.step()
    list(loader)  # one epoch's shuffle drawn
    history = [{"epoch": 1, "test_accuracy": 0.5}]
    save(path, 1, CONFIG, history, model, opt, scheduler, loader)
    # what the original run would do next
    next_order = [x.numpy().ravel().tolist() for x, _ in loader]
    next_draw = rng.generator().random(3)
    lr = opt.param_groups[0]["lr"]
    _step(model, opt)
    weights = model.state_dict()

    fresh, fresh_opt, fresh_scheduler, fresh_loader = _run(seed=99)  # everything different
    resumed = Resumed.load(path)
    epoch, got_history = resumed.restore(fresh, fresh_opt, fresh_scheduler, fresh_loader)
    assert epoch == resumed.epoch == 1 and got_history == history
    assert resumed.config == CONFIG
    assert [x.numpy().ravel().tolist() for x, _ in fresh_loader] == next_order
    np.testing.assert_array_equal(rng.generator().random(3), next_draw)
    assert fresh_opt.param_groups[0]["lr"] == pytest.approx(lr)
    assert int(fresh_opt.state[0]["step"]) == 1
    _step(fresh, fresh_opt)  # Adam's moments came back: the same second step
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, weights[name])


def test_a_run_without_a_schedule_saves_none_and_restores_without_one(tmp_path):
    path = str(tmp_path / "plain.npz")
    model, opt, _, loader = _run()
    save(path, 2, CONFIG, [], model, opt, None, loader)
    resumed = Resumed.load(path)
    assert resumed.meta["scheduler"] is None
    other, other_opt, _, other_loader = _run(seed=5)
    assert resumed.restore(other, other_opt, None, other_loader) == (2, [])
    for name, value in other.state_dict().items():
        np.testing.assert_array_equal(value, model.state_dict()[name])


@pytest.mark.parametrize(
    "size, distributed, how",
    [(1, True, "one process"), (2, True, "one process"), (4, False, "one process")],
)
def test_a_run_resumed_with_other_processes_is_refused(size, distributed, how):
    resumed = Resumed("c.npz", {}, {}, {"epoch": 1, "config": dict(CONFIG)})
    with pytest.raises(ValueError, match=rf"c.npz was trained by {how}; resume it the same way"):
        resumed.check_processes(size, distributed)


def test_the_same_processes_or_an_older_checkpoint_pass_the_check():
    Resumed("c.npz", {}, {}, {"config": dict(CONFIG)}).check_processes(1, False)
    mpi = {**CONFIG, "processes": 4, "distributed": True}
    Resumed("c.npz", {}, {}, {"config": mpi}).check_processes(4, True)
    with pytest.raises(ValueError, match=r"by mpirun -np 4 ... --distributed.*\(this run: one"):
        Resumed("c.npz", {}, {}, {"config": mpi}).check_processes(1, False)
    old = {k: v for k, v in CONFIG.items() if k not in ("processes", "distributed")}
    Resumed("c.npz", {}, {}, {"config": old}).check_processes(8, True)  # not recorded
    assert Resumed("c.npz", {}, {}, {"config": "not a dict"}).config == {}


def test_restore_gives_the_checkpoints_model_with_its_weights(tmp_path):
    path = str(tmp_path / "m.npz")
    model, opt, scheduler, loader = _run(seed=3)
    save(path, 1, CONFIG, [], model, opt, scheduler, loader)
    again, meta = restore(path)
    assert meta["epoch"] == 1 and meta["config"] == CONFIG
    for name, value in again.state_dict().items():
        np.testing.assert_array_equal(value, model.state_dict()[name])


def test_restore_refuses_a_checkpoint_of_an_unknown_model(tmp_path):
    path = str(tmp_path / "odd.npz")
    model, opt, scheduler, loader = _run()
    save(path, 1, {**CONFIG, "model": "resnet"}, [], model, opt, scheduler, loader)
    with pytest.raises(ValueError, match=r"odd.npz has no model configuration convprop knows"):
        restore(path)


def test_progress_starts_with_nothing_saved():
    progress = Progress()
    assert progress.last is None and progress.epochs == 0
