"""explain/conv.py and conv_story.py: the step-by-step numbers equal the kernels' and a
numerical gradient's, for several sizes, strides, paddings, dilations and conventions."""

import numpy as np
import pytest

from convprop import kernels as K
from convprop.cli import main
from convprop.explain import conv as C
from convprop.explain.conv_story import explain

SETUPS = [
    C.ConvSetup(),
    C.ConvSetup(input_size=(6, 7), kernel=(2, 3), seed=1),
    C.ConvSetup(stride=(2, 2), padding=(1, 1), seed=2),
    C.ConvSetup(input_size=(7, 7), stride=(2, 1), dilation=(2, 2), padding=(2, 1), seed=3),
    C.ConvSetup(input_size=(8, 6), kernel=(3, 3), stride=(3, 2), seed=4),
    C.ConvSetup(convention="convolution", seed=5),
    C.ConvSetup(input_size=(6, 6), stride=(2, 2), dilation=(2, 1), convention="convolution"),
]


def _central_differences(loss, a, eps=1e-6):
    grad = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = eps
        grad[idx] = (loss(a + e) - loss(a - e)) / (2 * eps)
    return grad


@pytest.mark.parametrize("setup", SETUPS, ids=str)
def test_step_by_step_numbers_equal_the_kernels_and_central_differences(setup):
    ex = C.make_example(setup)
    opts = dict(
        stride=setup.stride,
        padding=setup.padding,
        dilation=setup.dilation,
        convention=setup.convention,
        algorithm="direct",
    )
    x4, w4, g4 = ex.x[None, None], ex.w[None, None], ex.grad_y[None, None]
    np.testing.assert_allclose(C.forward(ex), K.conv2d(x4, w4, **opts)[0, 0], atol=1e-12)
    gx, gw, _ = K.conv2d_backward(g4, x4, w4, **opts)
    for step in (C.grad_weight(ex), C.grad_weight_as_correlation(ex)):
        np.testing.assert_allclose(step, gw[0, 0], atol=1e-12)
    for step in (C.grad_input(ex), C.grad_input_as_full_convolution(ex)):
        np.testing.assert_allclose(step, gx[0, 0], atol=1e-12)

    def loss(x, w):
        return float(np.sum(K.conv2d(x[None, None], w[None, None], **opts) * g4))

    num_gx = _central_differences(lambda x: loss(x, ex.w), ex.x)
    num_gw = _central_differences(lambda w: loss(ex.x, w), ex.w)
    np.testing.assert_allclose(C.grad_input(ex), num_gx, atol=1e-6)
    np.testing.assert_allclose(C.grad_weight(ex), num_gw, atol=1e-6)
    assert explain(setup).check.ok


@pytest.mark.parametrize("setup", SETUPS[:4], ids=str)
def test_one_pixel_one_weight_one_output_sum_their_printed_terms(setup):
    ex = C.make_example(setup)
    h, w = ex.x.shape
    for r in range(h):
        for c in range(w):
            terms = C.pixel_terms(ex, r, c)
            # the region P: exactly the outputs whose window reads X[r, c]
            readers = {
                (i, j)
                for i in range(ex.g.out_size[0])
                for j in range(ex.g.out_size[1])
                for _, rc, _, _ in C.output_terms(ex, i, j)
                if ex.to_input(*rc) == (r, c)
            }
            assert {ij for ij, _, _, _ in terms} == readers
    y = C.forward(ex)
    terms = C.output_terms(ex, 0, 0)
    assert sum(xv * wv for _, _, xv, wv in terms) == y[0, 0]
    assert len(C.weight_terms(ex, 0, 0)) == ex.g.out_size[0] * ex.g.out_size[1]


def test_the_story_prints_each_step_and_a_passing_check(capsys):
    assert main(["explain", "conv", "--stride", "2", "--padding", "1", "--pixel", "2,1"]) == 0
    out = capsys.readouterr().out
    for step in ("1. one output pixel", "2. one weight", "3. one input pixel", "4. what stride"):
        assert step in out
    assert "spread apart with stride-1 zeros" in out
    assert out.rstrip().splitlines()[-1].endswith("-> OK")


def test_bad_choices_exit_2_naming_the_rule(capsys):
    assert main(["explain", "conv", "--pixel", "9,9"]) == 2
    assert "--pixel (9, 9) lies outside 5x5" in capsys.readouterr().err
    assert main(["explain", "conv", "--kernel", "7"]) == 2
    assert "explain conv" in capsys.readouterr().err
