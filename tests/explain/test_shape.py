"""explain/shape.py: warnings where (W1 - F + 2P)/S + 1 is not whole, checked by brute force."""

import pytest

from convprop.cli import main
from convprop.explain.shape import explain
from convprop.explain.stack import Layer
from convprop.shapes import output_size


def _seen_rows(size, kernel, stride, pad, dilation):
    """Input rows some window reads, by walking every window."""
    out = output_size(size, kernel, stride, (pad, pad), dilation)
    return {
        i * stride - pad + a * dilation
        for i in range(out)
        for a in range(kernel)
        if 0 <= i * stride - pad + a * dilation < size
    }


@pytest.mark.parametrize(
    "size, kernel, stride, pad, dilation",
    [
        (32, 5, 2, 0, 1),
        (33, 3, 4, 1, 1),
        (20, 3, 3, 0, 2),
        (8, 3, 2, 1, 1),
        (28, 5, 1, 2, 1),
        (12, 2, 5, 0, 1),
        (12, 2, 3, 0, 3),
        (13, 2, 4, 1, 1),
    ],
)
def test_unseen_rows_and_suggested_fixes_are_right(size, kernel, stride, pad, dilation):
    story = explain(size, size, 1, [Layer("conv", kernel, stride, pad, dilation, 4)])
    (_, _, _, rem) = story.layers[0]
    unseen = set(range(size)) - _seen_rows(size, kernel, stride, pad, dilation)
    f = dilation * (kernel - 1) + 1
    whole = (size - f + 2 * pad) % stride == 0
    assert bool(rem) == (not whole or bool(unseen))
    for r in rem:
        assert set(r.unseen) == unseen
        # the suggested sizes divide exactly
        assert (r.size - r.left_over - f + 2 * pad) % stride == 0
        assert (r.size + stride - r.left_over - f + 2 * pad) % stride == 0
    seen_all = story.lines[-1] == "every division is exact: each input row and column is seen"
    assert seen_all == (whole and not unseen)  # never claimed where rows go unread


def test_the_command_warns_and_names_the_never_seen_rows(capsys):
    assert (
        main(["explain", "shape", "32x32x3", "--filters", "6", "--kernel", "5", "--stride", "2"])
        == 0
    )
    out = " ".join(capsys.readouterr().out.split())  # lines wrap to the terminal
    assert "input row 31 is never seen by any window" in out
    assert "exact with padding 0 before and 1 after or an input 31 or 33 long" in out
    assert main(["explain", "shape", "4x4", "--kernel", "7"]) == 2
    assert "layer 1" in capsys.readouterr().err
