"""report/: `convprop train --report DIR` writes valid, self-contained HTML with its pictures,
which a headless browser renders; the recorder's gradient norms and the confusion matrix."""

import base64
import io
import re
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

from convprop import models
from convprop.autograd import Tensor
from convprop.cli import main
from convprop.data import load_digits
from convprop.nn import functional as F
from convprop.report import TrainingRecorder, confusion_matrix
from convprop.train import evaluate

VOID = {"meta", "img", "br", "hr", "link", "input"}


class _Checker(HTMLParser):
    """Every non-void element closed in order; images collected."""

    def __init__(self):
        super().__init__()
        self.stack, self.images, self.errors, self.doctype = [], [], [], False

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    argv = [
        "train",
        "--epochs",
        "2",
        "--no-progress",
        "--metrics",
        str(out / "m.json"),
        "--report",
        str(out),
    ]
    assert main(argv) == 0
    return out / "report.html"


def test_report_is_valid_html_with_every_picture_embedded(report):
    from matplotlib.image import imread

    text = report.read_text(encoding="utf-8")
    checker = _Checker()
    checker.feed(text)
    assert checker.doctype and not checker.errors and not checker.stack
    titles = [img["alt"] for img in checker.images]
    assert titles == [
        "Loss and accuracy",
        "Gradient norm of each layer",
        "First layer's filters",
        "Feature maps",
        "Confusion matrix",
        "Saliency maps |dL/dX|",
    ]
    for img in checker.images:
        head, data = img["src"].split(",", 1)
        assert head == "data:image/png;base64"
        picture = imread(io.BytesIO(base64.b64decode(data)), format="png")
        assert picture[..., :3].std() > 0.05  # drawn, not blank
    assert not re.search(r'src="(?!data:)', text)  # nothing outside the page itself
    assert text.index("<table") > text.rindex("<img")  # the numbers after the pictures


def test_a_headless_browser_renders_the_report(report, tmp_path):
    from matplotlib.image import imread

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")
    shot = tmp_path / "shot.png"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,3000",
        f"--screenshot={shot}",
    ]
    subprocess.run([browser, *flags, report.as_uri()], timeout=120, capture_output=True)
    image = imread(shot)[..., :3]
    assert image.shape[:2] == (3000, 1200)
    assert image.std() > 0.05 and (image < 0.5).mean() > 0.01  # text and pictures drawn


def test_recorder_norms_are_each_layers_gradient_norm():
    x, y = load_digits("train").arrays
    model = models.lenet5(1, 10, 8)
    recorder = TrainingRecorder(model)
    F.cross_entropy(model(Tensor(x[:32])), Tensor(y[:32])).backward()
    recorder(model, 1.5)
    conv = model[0]
    want = np.sqrt(np.sum(conv.weight.grad.array**2) + np.sum(conv.bias.grad.array**2))
    assert recorder.losses == [1.5]
    layers = ["conv1 (0)", "conv2 (3)", "fc1 (7)", "fc2 (9)", "fc3 (11)"]
    assert list(recorder.grad_norms) == layers
    np.testing.assert_allclose(recorder.grad_norms["conv1 (0)"][0], want, rtol=1e-6)
    assert all(len(v) == 1 for v in recorder.grad_norms.values())


def test_confusion_matrix_counts_every_test_image_and_agrees_with_evaluate():
    from convprop.data import DataLoader

    test = load_digits("test")
    model = models.lenet5(1, 10, 8)
    counts = confusion_matrix(model, *test.arrays, 10)
    assert counts.sum() == len(test)
    _, accuracy = evaluate(model, DataLoader(test, 64))
    assert np.trace(counts) / counts.sum() == pytest.approx(accuracy)


def test_without_matplotlib_train_refuses_before_training(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["train", "--epochs", "1", "--report", str(tmp_path)]) == 2
    assert "pip install 'convprop[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "report.html").exists()
