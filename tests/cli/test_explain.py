"""cli/explain.py: `convprop explain conv|maxpool|avgpool|shape` through convprop.cli.main:
the numbers it prints are PyTorch's for the same input, its N or N,M sizes, and its
mistakes (one line and exit 2; argparse's usage for a bad flag)."""

import argparse
import re

import numpy as np
import pytest
import torch

from convprop.cli import main
from convprop.cli.explain import pair

TF = torch.nn.functional
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _block(lines, title, rows, cols, skip=0):
    """The rows x cols numbers under the line that starts with title (skipping `skip`
    numbers on each row: a block printed to the left of it)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    values = [[float(v) for v in NUMBER.findall(line)] for line in lines[start + 1 :][:rows]]
    return np.array([row[skip : skip + cols] for row in values])


def _run(capsys, monkeypatch, *argv):
    monkeypatch.setenv("COLUMNS", "120")  # no wrapping: one matrix row a line
    assert main(["explain", *argv]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    return captured.out.splitlines()


@pytest.mark.parametrize(
    "text, expected", [("3", (3, 3)), ("3x2", (3, 2)), ("3,2", (3, 2)), ("10", (10, 10))]
)
def test_sizes_are_n_or_n_by_m(text, expected):
    assert pair(text) == expected


@pytest.mark.parametrize("text", ["a", "3x", "1x2x3", ""])
def test_other_sizes_are_refused_saying_the_form(text):
    with pytest.raises(argparse.ArgumentTypeError, match="expected N or N,M"):
        pair(text)


def test_the_conv_story_is_pytorchs_conv2d_and_its_gradients(capsys, monkeypatch):
    lines = _run(capsys, monkeypatch, "conv", "--stride", "2", "--padding", "1", "--seed", "3")
    x = _block(lines, "X (5x5)", 5, 5)
    w = _block(lines, "X (5x5)", 3, 3, skip=5)
    y = _block(lines, "Y (3x3)", 3, 3)
    g = _block(lines, "Y (3x3)", 3, 3, skip=3)
    xt = torch.tensor(x[None, None], requires_grad=True)
    wt = torch.tensor(w[None, None], requires_grad=True)
    yt = TF.conv2d(xt, wt, stride=2, padding=1)
    np.testing.assert_array_equal(y, yt.detach().numpy()[0, 0])
    yt.backward(torch.tensor(g[None, None]))
    np.testing.assert_array_equal(_block(lines, "dL/dW (3x3)", 3, 3), wt.grad.numpy()[0, 0])
    np.testing.assert_array_equal(_block(lines, "dL/dX (5x5)", 5, 5), xt.grad.numpy()[0, 0])


def test_the_true_convolution_turns_the_filter(capsys, monkeypatch):
    lines = _run(capsys, monkeypatch, "conv", "--convention", "convolution", "--seed", "1")
    x, w = _block(lines, "X (5x5)", 5, 5), _block(lines, "X (5x5)", 3, 3, skip=5)
    yt = TF.conv2d(torch.tensor(x[None, None]), torch.tensor(w[None, None]).flip(-1, -2))
    np.testing.assert_array_equal(_block(lines, "Y (3x3)", 3, 3), yt.numpy()[0, 0])


@pytest.mark.parametrize("include", [True, False])
def test_the_avgpool_story_is_pytorchs_avg_pool2d(capsys, monkeypatch, include):
    flags = [] if include else ["--no-count-include-pad"]
    lines = _run(capsys, monkeypatch, "avgpool", "--padding", "1", *flags)
    x = _block(lines, "X (4x4)", 4, 4)
    g = _block(lines, "Y (3x3)", 3, 3, skip=3)
    xt = torch.tensor(x[None, None], requires_grad=True)
    yt = TF.avg_pool2d(xt, 2, padding=1, count_include_pad=include)
    np.testing.assert_allclose(_block(lines, "Y (3x3)", 3, 3), yt.detach().numpy()[0, 0])
    yt.backward(torch.tensor(g[None, None]))
    np.testing.assert_allclose(_block(lines, "dL/dX (4x4)", 4, 4), xt.grad.numpy()[0, 0])


def test_split_ties_share_each_gradient_as_torch_amax_does(capsys, monkeypatch):
    argv = ["maxpool", "--input", "5x5", "--seed", "1", "--kernel", "2", "--stride", "1"]
    lines = _run(capsys, monkeypatch, *argv, "--ties", "split")
    x = _block(lines, "X, winners marked (5x5)", 5, 5)
    g = _block(lines, "Y (4x4)", 4, 4, skip=4)
    xt = torch.tensor(x[None, None], requires_grad=True)
    yt = xt.unfold(2, 2, 1).unfold(3, 2, 1).amax(dim=(-2, -1))  # ties share the gradient
    np.testing.assert_array_equal(_block(lines, "Y (4x4)", 4, 4), yt.detach().numpy()[0, 0])
    yt.backward(torch.tensor(g[None, None]))
    assert len(np.unique(x)) < x.size  # the seed's input has ties to split
    np.testing.assert_allclose(_block(lines, "dL/dX (5x5)", 5, 5), xt.grad.numpy()[0, 0])


def test_first_winner_ties_are_pytorchs_max_pool2d(capsys, monkeypatch):
    argv = ["maxpool", "--input", "5x5", "--seed", "1", "--kernel", "2", "--stride", "1"]
    lines = _run(capsys, monkeypatch, *argv)
    x = _block(lines, "X, winners marked (5x5)", 5, 5)
    g = _block(lines, "Y (4x4)", 4, 4, skip=4)
    xt = torch.tensor(x[None, None], requires_grad=True)
    yt = TF.max_pool2d(xt, 2, stride=1)
    yt.backward(torch.tensor(g[None, None]))
    np.testing.assert_array_equal(_block(lines, "dL/dX (5x5)", 5, 5), xt.grad.numpy()[0, 0])


def test_an_impossible_geometry_is_one_line_and_exit_2(capsys):
    assert main(["explain", "avgpool", "--kernel", "3", "--padding", "2"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("convprop explain avgpool: error: ")
    assert "padding" in lines[0] and "Traceback" not in captured.err


@pytest.mark.parametrize(
    "argv, rule",
    [
        (["conv", "--bogus"], "unrecognized arguments: --bogus"),
        (["conv", "--kernel", "3x"], "argument --kernel: expected N or N,M"),
        (["avgpool", "--ties", "split"], "unrecognized arguments: --ties split"),
        (["conv", "--convention", "flipped"], "argument --convention: invalid choice"),
        (["pool"], "argument WHAT: invalid choice"),
    ],
)
def test_a_bad_flag_is_argparses_usage_and_one_error_line_with_exit_2(capsys, argv, rule):
    with pytest.raises(SystemExit) as info:
        main(["explain", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: convprop explain") and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("convprop explain") and ": error: " in last and rule in last
