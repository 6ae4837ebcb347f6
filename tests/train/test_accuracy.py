"""Real digits, real accuracy: LeNet-5 learns MNIST and the bundled 8x8 digits."""

import json

from convprop.cli import main

from ..helpers import MNIST_DIR, needs_mnist


@needs_mnist
def test_lenet_reaches_98_percent_on_mnist_in_5_epochs(tmp_path):
    """First 8,000 images of the official test split to train, last 2,000 to test."""
    metrics = tmp_path / "mnist.json"
    argv = ["train", "--dataset", "mnist", "--data", str(MNIST_DIR), "--holdout", "2000"]
    assert main([*argv, "--epochs", "5", "--no-progress", "--metrics", str(metrics)]) == 0
    result = json.loads(metrics.read_text())
    assert result["config"]["epochs"] == 5 and len(result["epochs"]) == 5
    assert result["test_accuracy"] >= 0.98, result["test_accuracy"]


def test_default_run_reaches_97_percent_on_the_digits(tmp_path):
    metrics = tmp_path / "digits.json"
    assert main(["train", "--no-progress", "--metrics", str(metrics)]) == 0
    result = json.loads(metrics.read_text())
    assert result["config"]["dataset"] == "digits" and result["config"]["model"] == "lenet5"
    assert result["test_accuracy"] >= 0.97, result["test_accuracy"]
