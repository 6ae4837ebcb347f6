"""explain/pool.py: the course's max-pool example, routing, both tie policies, averages."""

import numpy as np
import pytest

from convprop import kernels as K
from convprop.cli import main
from convprop.explain.pool import COURSE_X, PoolSetup, course_scenarios, tell


def test_course_example_prints_its_winners_and_routes_each_gradient(capsys):
    assert main(["explain", "maxpool"]) == 0
    out = capsys.readouterr().out
    course = out.split("\n\n")[0]
    for line in (
        "window (0,0): (1, 1, 5, 6) -> max 6 at X[1,1]",
        "window (0,1): (2, 4, 7, 8) -> max 8 at X[1,3]",
        "window (1,0): (3, 2, 1, 2) -> max 3 at X[2,0]",
        "window (1,1): (1, 0, 3, 4) -> max 4 at X[3,3]",
        "dL/dY[0,0] = 1 -> X[1,1]",
        "dL/dY[0,1] = 2 -> X[1,3]",
        "dL/dY[1,0] = 3 -> X[2,0]",
        "dL/dY[1,1] = 4 -> X[3,3]",
    ):
        assert line in course
    story = tell(*course_scenarios("max")[0])
    expected = np.zeros((4, 4))
    expected[1, 1], expected[1, 3], expected[2, 0], expected[3, 3] = 1, 2, 3, 4
    np.testing.assert_array_equal(story.grad_x, expected)
    np.testing.assert_array_equal(story.y, [[6, 8], [3, 4]])


def test_overlapping_windows_show_a_winner_collecting_from_two_windows():
    story = tell(*course_scenarios("max")[1])
    assert "  X[1,3] collects from 2 windows (0,2), (1,2): 3 + 6 = 9" in story.lines
    assert story.grad_x[1, 3] == 9


@pytest.mark.parametrize("ties", ["first", "split"])
def test_every_scenario_matches_the_kernels_and_keeps_the_gradient_total(ties):
    for setup, x in course_scenarios("max", ties):
        story = tell(setup, x)
        assert story.kernel_gap == 0.0
        np.testing.assert_allclose(story.grad_x.sum(), story.grad_y.sum())
        assert story.lines[-1].endswith("-> OK")


def test_split_shares_a_tie_and_first_gives_it_to_the_first_maximum():
    tie = course_scenarios("max", "split")[-1]
    story = tell(*tie)
    np.testing.assert_array_equal(story.grad_x, [[0.5, 0.5, 0, 0], [0, 0, 1, 1]])
    np.testing.assert_array_equal(
        story.grad_x,
        K.max_pool2d_grad(tie[1][None, None], story.grad_y[None, None], 2, ties="split")[0, 0],
    )
    first = tell(*course_scenarios("max", "first")[-1])
    np.testing.assert_array_equal(first.grad_x, [[1, 0, 0, 0], [0, 0, 2, 0]])
    assert first.numerical_gap is None  # a tie is a kink: no numerical gradient claimed


def test_average_pooling_gives_each_cell_its_share(capsys):
    assert main(["explain", "avgpool"]) == 0
    out = capsys.readouterr().out
    assert "window (0,0): (1, 1, 5, 6) -> sum 13 / 4 = 3.25" in out
    assert "dL/dY[0,0] = 1 -> 1/4 = 0.25 to each of X[0,0], X[0,1], X[1,0], X[1,1]" in out
    story = tell(PoolSetup("avg"), COURSE_X)
    np.testing.assert_array_equal(story.grad_x, np.kron([[1, 2], [3, 4]], np.ones((2, 2))) / 4)
    uncounted = tell(*course_scenarios("avg")[-1])
    assert uncounted.windows[0].divisor == 4 and uncounted.kernel_gap == 0.0


def test_options_pick_one_scenario_on_a_random_input(capsys):
    args = [
        "explain",
        "maxpool",
        "--input",
        "5,6",
        "--kernel",
        "3",
        "--stride",
        "2",
        "--padding",
        "1",
        "--ceil-mode",
        "--ties",
        "split",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "max pooling 3x3, stride 2, padding 1, ceil_mode, ties split: 5x6 -> 3x4" in out
    assert main(["explain", "maxpool", "--kernel", "3", "--padding", "2"]) == 2
    assert "padding must be at most half" in capsys.readouterr().err
