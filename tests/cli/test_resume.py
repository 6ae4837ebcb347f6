"""`convprop train --resume` takes the checkpoint's settings, extends a run for a larger
--epochs with a falling learning rate, and refuses other changes naming the option."""

import json
import math

import pytest

from convprop import optim
from convprop.cli import main
from convprop.formats import checkpoint

from ..helpers import MNIST_DIR, needs_mnist


def _train(tmp_path, *extra, name="c"):
    argv = [
        "train",
        "--no-progress",
        "--metrics",
        str(tmp_path / f"{name}.json"),
        "--checkpoint",
        str(tmp_path / f"{name}.npz"),
        *extra,
    ]
    return main(argv)


@pytest.fixture
def lrs(monkeypatch):
    """The learning rate of every epoch trained, as the optimizer had it."""
    seen = []
    real = optim.Adam.step

    def step(self):
        seen.append(self.param_groups[0]["lr"])
        real(self)

    monkeypatch.setattr(optim.Adam, "step", step)
    return seen


def test_a_larger_epochs_extends_the_run_with_a_falling_positive_lr(tmp_path, lrs, capsys):
    assert _train(tmp_path, "--epochs", "2") == 0
    first = len(lrs)
    assert _train(tmp_path, "--epochs", "4", "--resume") == 0
    out = capsys.readouterr().out
    assert "the cosine schedule is recomputed over 4 epochs" in out
    per_epoch = sorted(set(lrs[first:]), reverse=True)  # one lr per epoch
    assert len(per_epoch) == 2 and all(lr > 0 for lr in per_epoch)  # main: epoch 3 at lr 0
    assert lrs[first:] == sorted(lrs[first:], reverse=True)  # never rises
    assert per_epoch[0] == pytest.approx(3e-3 * (1 + math.cos(math.pi * 2 / 4)) / 2)
    meta = checkpoint.load(tmp_path / "c.npz")[2]
    assert meta["epoch"] == 4 and meta["config"]["epochs"] == 4


def test_resume_takes_the_checkpoints_settings(tmp_path, capsys):
    assert _train(tmp_path, "--epochs", "1", "--optimizer", "sgd", "--lr", "0.05") == 0
    assert _train(tmp_path, "--epochs", "2", "--resume") == 0  # sgd and 0.05 kept
    config = checkpoint.load(tmp_path / "c.npz")[2]["config"]
    assert config["optimizer"] == "sgd" and config["lr"] == 0.05
    assert json.loads((tmp_path / "c.json").read_text())["config"]["optimizer"] == "sgd"


@pytest.mark.parametrize(
    "change",
    [
        ["--optimizer", "sgd"],
        ["--lr", "0.01"],
        ["--model", "mlp"],
        ["--dataset", "mnist", "--data", "x"],
        ["--batch-size", "32"],
        ["--seed", "1"],
    ],
)
def test_a_differing_setting_is_refused_naming_it(tmp_path, capsys, change):
    assert _train(tmp_path, "--epochs", "1") == 0
    capsys.readouterr()
    assert _train(tmp_path, "--epochs", "2", "--resume", *change) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"convprop train: error: {change[0]} ") and "differs from the" in err
    assert err.count("\n") == 1


def test_fewer_epochs_than_done_is_refused(tmp_path, capsys):
    assert _train(tmp_path, "--epochs", "2") == 0
    capsys.readouterr()
    assert _train(tmp_path, "--epochs", "1", "--resume") == 2
    assert "fewer than the 2 epochs" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, rule",
    [
        (["--epochs", "0"], "--epochs: must be >= 1, got 0"),
        (["--batch-size", "0"], "--batch-size: must be >= 1"),
        (["--lr", "-1"], "--lr: must be > 0"),
        (["--epochs", "1", "--data", "/nonexistent"], "/nonexistent does not exist"),
        (["--dataset", "digits", "--data", "/tmp"], "--data DIR is for --dataset mnist"),
        (["--epochs", "1", "--bogus"], "unrecognized arguments: --bogus"),
        (["--epochs", "1", "--momentum", "0.5"], "--momentum is for --optimizer sgd; adam has"),
        (["--epochs", "1", "--optimizer", "adamw", "--momentum", "0.5"], "--momentum is for"),
        (["--epochs", "1", "--holdout", "7"], "--holdout is for --dataset mnist"),
    ],
)
def test_option_mistakes_are_one_line_and_exit_2(tmp_path, capsys, argv, rule):
    try:
        code = _train(tmp_path, *argv)
    except SystemExit as e:  # argparse's own errors
        code = e.code
    assert code == 2
    err = capsys.readouterr().err
    assert rule in err and "Traceback" not in err
    if "unrecognized" in rule or "must be" in rule:
        assert err.startswith("usage: convprop train")  # the subcommand's usage, not convprop's


@needs_mnist
def test_data_without_dataset_means_mnist(tmp_path, capsys):
    argv = ["--epochs", "1", "--data", str(MNIST_DIR), "--holdout", "9900", "--model", "mlp"]
    assert _train(tmp_path, *argv) == 0  # main: silently trained on the digits
    config = checkpoint.load(tmp_path / "c.npz")[2]["config"]
    assert config["dataset"] == "mnist" and config["input"]["high"] == 255
    assert "on 9900 mnist images" in capsys.readouterr().out
    # resume needs neither --dataset nor --data: both are the checkpoint's
    assert _train(tmp_path, "--resume", "--epochs", "2") == 0


@needs_mnist
def test_evaluate_refuses_a_checkpoint_of_other_images_and_says_evaluate(tmp_path, capsys):
    assert _train(tmp_path, "--epochs", "1") == 0
    capsys.readouterr()
    ckpt = str(tmp_path / "c.npz")
    assert main(["evaluate", "--checkpoint", ckpt, "--data", str(MNIST_DIR)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convprop evaluate: error:") and "8x8 images in [0, 16]" in err
    assert "28x28 images in [0, 255]" in err and "matmul" not in err
    assert main(["evaluate", "--checkpoint", ckpt, "--dataset", "mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convprop evaluate: error:") and "train:" not in err


def test_train_help_shows_defaults_and_every_option(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    for text in (
        "default: 3e-3",
        "default: lenet5",
        "default: adam",
        "default: 64",
        "default: metrics.json",
        "--no-progress",
        "one line per epoch",
    ):
        assert text.replace("3e-3", "0.003") in out or text in out, text
    with pytest.raises(SystemExit):
        main(["explain", "conv", "--help"])
    assert "--output" in capsys.readouterr().out


def test_checkpoint_location_is_said_and_its_mode_follows_the_umask(tmp_path, capsys):
    import os

    old = os.umask(0o022)
    try:
        assert _train(tmp_path, "--epochs", "1") == 0
    finally:
        os.umask(old)
    assert f"saved checkpoint to {tmp_path / 'c.npz'}" in capsys.readouterr().out
    assert (tmp_path / "c.npz").stat().st_mode & 0o777 == 0o644  # main: 0600


def test_ctrl_c_prints_where_the_checkpoint_is_and_exits_130(tmp_path):
    import signal
    import subprocess
    import sys

    ckpt = tmp_path / "c.npz"
    argv = [
        sys.executable,
        "-m",
        "convprop",
        "train",
        "--epochs",
        "200",
        "--checkpoint",
        str(ckpt),
        "--metrics",
        str(tmp_path / "m.json"),
    ]
    # a shell's background job starts with SIGINT ignored, and a child inherits that: give the
    # child the default disposition, so Python installs its own handler as in a terminal
    default = signal.SIG_DFL
    run = subprocess.Popen(
        argv,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, default),
    )
    assert run.stderr is not None
    assert run.stderr.readline().startswith("epoch 1/200: loss")
    assert run.stderr.readline().startswith("epoch 2/200: loss")  # epoch 1 is saved
    run.send_signal(signal.SIGINT)
    err = run.communicate(timeout=60)[1]
    assert run.returncode == 130 and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"convprop train: interrupted; the last checkpoint is {ckpt} (epoch ")
    assert last.endswith(f"resume with `convprop train --checkpoint {ckpt} --resume`")
    assert checkpoint.load(ckpt)[2]["epoch"] >= 1


def test_evaluate_refuses_an_option_it_would_ignore(tmp_path, capsys):
    assert _train(tmp_path, "--epochs", "1") == 0
    capsys.readouterr()
    argv = ["evaluate", "--checkpoint", str(tmp_path / "c.npz"), "--holdout", "7"]
    assert main(argv) == 2
    assert "--holdout is for --dataset mnist" in capsys.readouterr().err
