"""Real MPI (MPICH from the [mpi] extra, or the system's): two processes equal one process
with the whole batch, parameters agree on every rank, a failure on one rank ends the job,
and `mpirun -np 2 convprop train --distributed` writes exactly one usable checkpoint."""

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def _mpirun():
    found = shutil.which("mpirun", path=str(Path(sys.executable).parent)) or shutil.which("mpirun")
    if found is None:
        pytest.fail("mpirun not found: `pip install -e '.[test]'` installs MPICH with mpi4py")
    return [found, "-np", "2"]


def _run(args, timeout=120):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def test_two_processes_equal_one_with_the_whole_batch(tmp_path):
    out = tmp_path / "result.json"
    done = _run([*_mpirun(), sys.executable, str(HERE / "mpi_equality.py"), str(out)])
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["size"] == 2
    assert result["moved"] > 1e-3  # the steps changed the weights
    assert result["vs_one_process"] <= 1e-12  # float64 precision
    assert result["after_broadcast"] == 0.0 and result["after_training"] == 0.0


def test_an_exception_on_one_rank_ends_the_job_quickly():
    start = time.perf_counter()
    done = _run([*_mpirun(), sys.executable, str(HERE / "mpi_failure.py")], timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode != 0
    assert elapsed < 30
    assert "convprop.distributed: rank 1 failed" in done.stderr
    assert "deliberate failure on rank 1" in done.stderr


def test_distributed_training_writes_one_checkpoint_that_evaluates(tmp_path):
    ckpt = tmp_path / "model.npz"
    convprop = [sys.executable, "-m", "convprop"]

    def train(epochs, *extra):
        return _run(
            [
                *_mpirun(),
                *convprop,
                "train",
                "--distributed",
                "--epochs",
                str(epochs),
                "--no-progress",
                "--checkpoint",
                str(ckpt),
                "--metrics",
                str(tmp_path / "m.json"),
                *extra,
            ]
        )

    done = train(2)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("test accuracy") == 1  # rank 0 alone prints the table
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "model.npz"]
    assert json.loads((tmp_path / "m.json").read_text())["processes"] == 2
    evaluated = _run([*convprop, "evaluate", "--checkpoint", str(ckpt)])
    assert evaluated.returncode == 0 and "accuracy" in evaluated.stdout
    # --resume continues the same way under mpirun
    resumed = train(3, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming from" in resumed.stdout and resumed.stdout.count("resuming from") == 1
    # without mpirun the batches would be sharded otherwise: a different run, refused
    alone = _run(
        [
            *convprop,
            "train",
            "--epochs",
            "4",
            "--resume",
            "--checkpoint",
            str(ckpt),
            "--no-progress",
            "--metrics",
            str(tmp_path / "m.json"),
        ]
    )
    assert alone.returncode == 2
    assert alone.stderr.strip() == (
        f"convprop train: error: {ckpt} was trained by mpirun -np 2 ... --distributed; "
        "resume it the same way (this run: one process)"
    )


def test_a_failing_distributed_command_ends_every_rank(tmp_path):
    start = time.perf_counter()
    args = [
        *_mpirun(),
        sys.executable,
        "-m",
        "convprop",
        "train",
        "--distributed",
        "--batch-size",
        "63",
        "--metrics",
        str(tmp_path / "m.json"),
    ]
    done = _run(args, timeout=60)
    assert done.returncode == 2 and time.perf_counter() - start < 30
    # one line, no traceback, no MPI "Abort(1)" banner (main: a traceback plus Abort(1))
    assert done.stderr == (
        "convprop train: error: --batch-size 63 must split evenly over 2 processes\n"
    )


def test_ctrl_c_under_mpirun_is_one_line_and_exit_130(tmp_path):
    import os
    import signal

    ckpt = tmp_path / "c.npz"
    args = [
        *_mpirun(),
        sys.executable,
        "-m",
        "convprop",
        "train",
        "--distributed",
        "--epochs",
        "500",
        "--checkpoint",
        str(ckpt),
        "--metrics",
        str(tmp_path / "m.json"),
    ]
    run = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert run.stderr is not None
    for _ in range(2):  # the second epoch's line: the first is saved
        assert run.stderr.readline().startswith("epoch ")
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    err = run.communicate(timeout=60)[1]
    assert run.returncode == 130 and "Traceback" not in err and "Abort(" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"convprop train: interrupted; the last checkpoint is {ckpt}")
    # the hint resumes the run as it was started
    hint = f"`mpirun -np 2 convprop train --checkpoint {ckpt} --resume --distributed`"
    assert last.endswith(f"resume with {hint}")
