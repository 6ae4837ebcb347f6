"""`convprop train`, `evaluate` and `predict` end to end on the bundled digits."""

import json

import numpy as np
import pytest

from convprop.cli import main
from convprop.data import digits as digits_module
from convprop.data import load_digits
from convprop.formats import checkpoint


def _train(tmp_path, name, *extra):
    argv = ["train", "--no-progress", "--metrics", str(tmp_path / f"{name}.json")]
    argv += ["--checkpoint", str(tmp_path / f"{name}.npz"), *extra]
    assert main(argv) == 0
    return json.loads((tmp_path / f"{name}.json").read_text())


def test_one_epoch_writes_metrics_and_a_usable_checkpoint(tmp_path, capsys):
    metrics = _train(tmp_path, "run", "--epochs", "1")
    out = capsys.readouterr().out
    assert "test acc" in out and "metrics written" in out
    assert len(metrics["epochs"]) == 1 and metrics["config"]["model"] == "lenet5"
    assert 0.3 < metrics["test_accuracy"] <= 1 and metrics["epochs"][0]["images_per_second"] > 0
    assert main(["evaluate", "--checkpoint", str(tmp_path / "run.npz")]) == 0
    assert f"accuracy {metrics['test_accuracy']:.4f}" in capsys.readouterr().out


def test_same_seed_same_numbers(tmp_path):
    a = _train(tmp_path, "a", "--epochs", "1", "--seed", "3")
    b = _train(tmp_path, "b", "--epochs", "1", "--seed", "3")
    for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        assert a["epochs"][0][key] == b["epochs"][0][key]


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_resume_equals_uninterrupted_training(tmp_path, monkeypatch, optimizer):
    _train(tmp_path, "whole", "--epochs", "3", "--optimizer", optimizer)
    original = checkpoint.save

    def save_then_crash(*args, **kwargs):
        original(*args, **kwargs)
        raise KeyboardInterrupt  # the run dies right after its first checkpoint

    monkeypatch.setattr(checkpoint, "save", save_then_crash)
    argv = [
        "train",
        "--no-progress",
        "--metrics",
        str(tmp_path / "parts.json"),
        "--checkpoint",
        str(tmp_path / "parts.npz"),
        "--epochs",
        "3",
        "--optimizer",
        optimizer,
    ]
    assert main(argv) == 130  # Ctrl-C: a one-line notice, no traceback
    monkeypatch.setattr(checkpoint, "save", original)
    assert checkpoint.load(tmp_path / "parts.npz")[2]["epoch"] == 1
    _train(tmp_path, "parts", "--epochs", "3", "--optimizer", optimizer, "--resume")
    whole, _, whole_meta = checkpoint.load(tmp_path / "whole.npz")
    parts, _, parts_meta = checkpoint.load(tmp_path / "parts.npz")
    for key in whole:
        np.testing.assert_array_equal(parts[key], whole[key], err_msg=key)
    assert [h["test_accuracy"] for h in parts_meta["history"]] == [
        h["test_accuracy"] for h in whole_meta["history"]
    ]


def test_progress_bar_on_a_terminal_counts_every_batch(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert main(["train", "--epochs", "1", "--metrics", str(tmp_path / "m.json")]) == 0
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "loss=" in err and "acc=" in err and "img_s=" in err
    assert "23/23" in err and " 0/23 [" not in err.split("23/23")[0][-40:]  # count moves


def test_a_log_file_gets_one_line_per_epoch_not_redraws(tmp_path, capsys):
    assert main(["train", "--epochs", "2", "--metrics", str(tmp_path / "m.json")]) == 0
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and "\r" not in "".join(lines)  # main: 2 bars of ~23 redraws each
    assert lines[0].startswith("epoch 1/2: loss ") and "img/s" in lines[1]


def test_predict_classifies_saved_images(tmp_path, capsys):
    _train(tmp_path, "run", "--epochs", "10")
    x, y = load_digits("test").arrays
    paths = []
    for i in range(5):
        path = tmp_path / f"digit{i}.npy"
        np.save(path, (x[i, 0] * digits_module.STD + digits_module.MEAN) * 16)  # pixels 0..16
        paths.append(str(path))
    capsys.readouterr()
    assert main(["predict", "--checkpoint", str(tmp_path / "run.npz"), *paths]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    predicted = [int(line.split(": ")[1].split()[0]) for line in lines]
    assert sum(p == t for p, t in zip(predicted, y[:5], strict=True)) >= 4


def test_errors_exit_non_zero_with_a_message(tmp_path, capsys):
    assert main(["train", "--dataset", "mnist", "--metrics", str(tmp_path / "m.json")]) == 2
    assert "--data DIR" in capsys.readouterr().err
    assert main(["train", "--resume"]) == 2
    assert capsys.readouterr().err == "convprop train: error: --resume needs --checkpoint PATH\n"
    (tmp_path / "bad.npz").write_bytes(b"junk")
    assert main(["evaluate", "--checkpoint", str(tmp_path / "bad.npz")]) == 2
    assert "not an .npz archive" in capsys.readouterr().err
