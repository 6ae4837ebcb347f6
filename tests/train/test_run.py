"""train.Trainer without the CLI: a run from settings that prints nothing, saves a
checkpoint after every epoch, resumes from it, and writes the metrics file."""

import json

from convprop.train import Progress, Resumed, Trainer


def _settings(epochs):
    return {
        "dataset": "digits",
        "model": "mlp",
        "lr": 3e-3,
        "schedule": "cosine",
        "optimizer": "adam",
        "momentum": 0.9,
        "seed": 0,
        "batch_size": 64,
        "holdout": 2000,
        "data": None,
        "epochs": epochs,
    }


def test_a_run_saves_resumes_and_writes_metrics_without_printing(tmp_path, capsys):
    path = str(tmp_path / "c.npz")
    progress = Progress()
    first = Trainer(_settings(1), checkpoint=path, progress=progress)
    results = first.run(progress=False)
    assert [r.epoch for r in results] == [1] and progress.last == 1 and progress.epochs == 1
    resumed = Resumed.load(path)
    second = Trainer(_settings(2), checkpoint=path, resumed=resumed)
    assert second.start_epoch == 1 and second.lr < 3e-3  # the cosine over 2 epochs, at 1
    assert [r.epoch for r in second.run(progress=False)] == [1, 2]
    second.write_metrics(str(tmp_path / "m" / "metrics.json"))
    metrics = json.loads((tmp_path / "m" / "metrics.json").read_text())
    assert [e["epoch"] for e in metrics["epochs"]] == [1, 2] and metrics["processes"] == 1
    assert metrics["test_accuracy"] == second.results()[-1].test_accuracy
    assert capsys.readouterr().out == ""
