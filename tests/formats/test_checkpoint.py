"""checkpoint.py: pickles refused unrun, clear errors, atomic writes, exact round trips."""

import os
import pickle
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from convprop import Tensor, models, optim
from convprop.formats import checkpoint


class Payload:
    def __reduce__(self):
        return (os.system, ("touch PWNED",))


def _state():
    model = models.lenet5(image_size=8)
    opt = optim.Adam(model.parameters())
    return model, opt


def test_round_trip_restores_model_optimizer_and_meta(tmp_path):
    model, opt = _state()
    for p in model.parameters():
        p.grad = Tensor(np.ones_like(p.array))
    opt.step()
    checkpoint.save(
        tmp_path / "c.npz", model.state_dict(), opt.state_dict(), {"epoch": 3, "metrics": [0.5]}
    )
    model_state, optim_state, meta = checkpoint.load(tmp_path / "c.npz")
    assert meta == {"epoch": 3, "metrics": [0.5]}
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(model_state[key], value)
    fresh, fresh_opt = _state()
    fresh.load_state_dict(model_state)
    fresh_opt.load_state_dict(optim_state)
    assert fresh_opt.state.keys() == opt.state.keys()
    np.testing.assert_array_equal(fresh_opt.state[0]["exp_avg"], opt.state[0]["exp_avg"])


def test_pickle_payloads_are_refused_without_running(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(Payload()))
    inside = tmp_path / "inside.npz"
    np.savez(inside, meta=np.array("{}"), evil=np.array([Payload()], dtype=object))
    for path in (raw, inside):
        with pytest.raises(ValueError, match="pickle"):
            checkpoint.load(path)
    assert not (tmp_path / "PWNED").exists()


def test_truncated_and_foreign_files_give_clear_errors(tmp_path):
    model, opt = _state()
    good = tmp_path / "good.npz"
    checkpoint.save(good, model.state_dict(), opt.state_dict(), {"epoch": 1})
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        checkpoint.load(cut)
    plain = tmp_path / "plain.npz"
    np.savez(plain, weights=np.ones(3))
    with pytest.raises(ValueError, match="not a convprop checkpoint"):
        checkpoint.load(plain)
    with pytest.raises(ValueError, match="does not exist"):
        checkpoint.load(tmp_path / "missing.npz")


def test_wrong_architecture_names_the_key_and_shapes(tmp_path):
    model, _ = _state()
    checkpoint.save(tmp_path / "c.npz", model.state_dict(), None, {})
    state, _, _ = checkpoint.load(tmp_path / "c.npz")
    with pytest.raises(
        ValueError, match=r"'0.weight' has shape \(6, 1, 3, 3\) in the state but \(6, 1, 5, 5\)"
    ):
        models.lenet5(image_size=28).load_state_dict(state)


def test_a_process_killed_mid_save_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"w": np.zeros(3)}, None, {"epoch": 1})
    # the child writes its new checkpoint and is killed while flushing it to disk: it
    # announces itself from inside fsync and then waits there, so the kill lands mid-save
    script = textwrap.dedent(
        f"""
        import os, time
        import numpy as np
        from convprop.formats import checkpoint

        def stuck_fsync(fd):
            print("saving", flush=True)
            time.sleep(60)

        os.fsync = stuck_fsync
        checkpoint.save({str(path)!r}, {{"w": np.ones(1000)}}, None, {{"epoch": 2}})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "saving"
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL
    state, _, meta = checkpoint.load(path)
    assert meta["epoch"] == 1 and state["w"].shape == (3,)


def test_a_checkpoint_honours_the_umask(tmp_path):
    model, opt = _state()
    for mask, mode in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
        old = os.umask(mask)
        try:
            checkpoint.save(tmp_path / "c.npz", model.state_dict(), opt.state_dict(), {})
        finally:
            os.umask(old)
        assert (tmp_path / "c.npz").stat().st_mode & 0o777 == mode  # main: always 0600
