"""explain/pool.py (its text): every route line and every divisor says what PyTorch computes."""

import re

import numpy as np
import pytest
import torch

from convprop.explain.pool import course_scenarios, tell

from .torch_pool import torch_route

ROUTE = re.compile(r"dL/dY\[(\d+),(\d+)\] = (\S+) -> (?:(\S+)/(\d+) = (\S+) to (?:each of )?)?(.*)")


def _torch_share(story, i, j):
    """What each input cell receives from dL/dY[i, j] alone, by torch's autograd."""
    return torch_route(story, i, j) * story.grad_y[i, j]


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_each_route_line_names_the_amount_torch_sends_to_each_cell(kind):
    for setup, x in course_scenarios(kind):
        if "ties" in setup.title:
            continue  # torch has no tie policy to compare with
        story = tell(setup, x)
        routes = [m for line in story.lines if (m := ROUTE.search(line))]
        assert len(routes) == story.y.size
        for m in routes:
            i, j = int(m[1]), int(m[2])
            amount = float(m[6]) if m[5] else float(m[3])
            if m[5]:  # a division written out must be the one it claims
                assert float(m[4]) / int(m[5]) == pytest.approx(amount, rel=1e-3)
            cells = [tuple(map(int, c)) for c in re.findall(r"X\[(\d+),(\d+)\]", m[7])]
            want = _torch_share(story, i, j)
            got = np.zeros_like(want)
            for rc in cells:
                got[rc] = amount
            np.testing.assert_allclose(got, want, rtol=1e-3, err_msg=m[0])


def test_the_ceil_mode_corner_says_it_divides_by_four():
    story = tell(*course_scenarios("avg")[2])
    assert "  dL/dY[2,2] = 9 -> 9/4 = 2.25 to X[3,3]" in story.lines


@pytest.mark.parametrize("scenario", [2, 3])
def test_each_average_window_explains_its_divisor(scenario):
    story = tell(*course_scenarios("avg")[scenario])
    s = story.setup
    counted = s.count_include_pad
    rule = [line for line in story.lines if line.startswith("divisor:")]
    assert len(rule) == 1 and f"count_include_pad={counted}" in rule[0]
    ones = torch.ones((1, 1, *story.x.shape), dtype=torch.float64)
    mean_of_ones = torch.nn.functional.avg_pool2d(
        ones, s.kernel, s.stride, s.padding, s.ceil_mode, counted
    )[0, 0].numpy()
    lines = [line for line in story.lines if line.startswith("  window (")]
    assert len(lines) == story.y.size
    for line in lines:
        i, j = map(int, re.search(r"window \((\d+),(\d+)\)", line).groups())
        real = len(re.search(r": \(([^)]*)\)", line)[1].split(","))
        divisor = int(re.search(r"sum \S+ / (\d+) =", line)[1])
        assert divisor == pytest.approx(real / mean_of_ones[i, j]), line  # torch's divisor
        if divisor == s.kernel[0] * s.kernel[1] and real == divisor:
            continue  # a window wholly inside X needs no explanation
        if counted:
            padding = int(re.search(r"\(divisor \d+ = \d+ input \+ (\d+) padding\)", line)[1])
            assert real + padding == divisor, line
        else:
            assert f"(divisor {divisor}: input cells only)" in line
