"""explain/panels.py, plots.conv_figure and the text: under each convention every title
says exactly what the array under it holds, computed here with scipy and torch."""

import numpy as np
import pytest
import torch
from scipy.signal import convolve2d, correlate2d

from convprop.explain import conv as C
from convprop.explain.conv_story import explain
from convprop.explain.panels import conv_panels

FILTER = ": slid over padded dL/dY for dL/dX"


def _claims(x, w, g, convention):
    """Title -> what that title says the panel holds (stride 1, no padding or dilation)."""
    if convention == "correlation":
        return {
            "Y = X correlated with W": correlate2d(x, w, "valid"),
            "rot180(W) (flipped 180 degrees)" + FILTER: np.rot90(w, 2),
            "dL/dW = X correlated with dL/dY": correlate2d(x, g, "valid"),
            "dL/dX = dL/dY full-conv W": convolve2d(g, w, "full"),
        }
    return {
        "Y = X convolved with W (= X correlated with Wf)": convolve2d(x, w, "valid"),
        "Wf = rot180(W), what the sums use": np.rot90(w, 2),
        "rot180(Wf) = W (unflipped)" + FILTER: w,
        "dL/dW = rot180(X correlated with dL/dY)": np.rot90(correlate2d(x, g, "valid"), 2),
        "dL/dX = dL/dY full-corr W (= full-conv Wf)": correlate2d(g, w, "full"),
    }


def _torch_truth(ex):
    """Y, dL/dW, dL/dX of L = sum(Y * G) by torch (which correlates; flip W for the other)."""
    s = ex.setup
    x = torch.tensor(ex.x[None, None], requires_grad=True)
    w = torch.tensor(ex.w[None, None], requires_grad=True)
    used = w if s.convention == "correlation" else torch.flip(w, (2, 3))
    y = torch.nn.functional.conv2d(x, used, None, s.stride, s.padding, s.dilation)
    (y * torch.tensor(ex.grad_y)).sum().backward()
    return {"y": y[0, 0].detach().numpy(), "gw": w.grad[0, 0].numpy(), "gx": x.grad[0, 0].numpy()}


@pytest.mark.parametrize("convention", ["correlation", "convolution"])
@pytest.mark.parametrize("size", [((5, 5), (3, 3)), ((6, 7), (2, 3))])
def test_each_title_says_what_its_panel_holds(convention, size):
    e = explain(C.ConvSetup(input_size=size[0], kernel=size[1], seed=3, convention=convention))
    ex = e.example
    panels = {p.title: p.array for p in conv_panels(e)}
    claims = _claims(ex.x, ex.w, ex.grad_y, convention)
    for title, want in claims.items():
        assert title in panels, (title, list(panels))
        np.testing.assert_allclose(panels[title], want, atol=1e-12, err_msg=title)
    by_key = {p.key: p.array for p in conv_panels(e)}
    for key, want in _torch_truth(ex).items():
        np.testing.assert_allclose(by_key[key], want, atol=1e-9, err_msg=key)
    assert ("wf" in by_key) == (convention == "convolution")  # the text's Wf panel, drawn too


SETUPS = [
    C.ConvSetup(stride=(2, 2), padding=(1, 1), seed=2),
    C.ConvSetup(input_size=(7, 7), stride=(2, 1), dilation=(2, 2), padding=(2, 1), seed=3),
    C.ConvSetup(input_size=(6, 6), stride=(2, 2), dilation=(2, 1), convention="convolution"),
    C.ConvSetup(input_size=(7, 6), stride=(2, 2), padding=(1, 1), convention="convolution"),
]


def _spread(g, s):
    out = np.zeros(((g.shape[0] - 1) * s[0] + 1, (g.shape[1] - 1) * s[1] + 1))
    out[:: s[0], :: s[1]] = g
    return out


@pytest.mark.parametrize("setup", SETUPS, ids=str)
def test_titles_name_stride_padding_and_dilation_and_hold_what_they_say(setup):
    e = explain(setup)
    ex, s = e.example, setup
    panels = {p.key: p for p in conv_panels(e)}
    for key, want in _torch_truth(ex).items():
        np.testing.assert_allclose(panels[key].array, want, atol=1e-9, err_msg=key)
    flip = s.convention == "convolution"
    wf = np.rot90(ex.w, 2) if flip else ex.w
    gs, xp = _spread(ex.grad_y, s.stride), np.pad(ex.x, [(p, p) for p in s.padding])
    # dL/dW as its title says: Xp correlated with spread dL/dY, every D-th cell (rot180'd)
    gw = correlate2d(xp, gs, "valid")[:: s.dilation[0], :: s.dilation[1]][
        : ex.w.shape[0], : ex.w.shape[1]
    ]
    np.testing.assert_allclose(np.rot90(gw, 2) if flip else gw, panels["gw"].array, atol=1e-9)
    title = panels["gw"].title
    assert ("Xp" in title) == (s.padding != (0, 0)) and ("spread" in title) == (s.stride != (1, 1))
    assert ("every" in title) == (s.dilation != (1, 1)) and ("rot180" in title) == flip
    # the filter slid over padded dL/dY: rot180 of the dilated filter the sums use
    dilated = np.zeros(
        ((ex.w.shape[0] - 1) * s.dilation[0] + 1, (ex.w.shape[1] - 1) * s.dilation[1] + 1)
    )
    dilated[:: s.dilation[0], :: s.dilation[1]] = wf
    np.testing.assert_allclose(panels["filter"].array, np.rot90(dilated, 2))
    assert ("dilated" in panels["filter"].title) == (s.dilation != (1, 1))
    # dL/dX: spread dL/dY fully convolved with dilated Wf, cropped by the padding
    full = convolve2d(gs, dilated, "full")
    gx = np.zeros(np.add(ex.x.shape, [2 * p for p in s.padding]))
    gx[: full.shape[0], : full.shape[1]] = full[: gx.shape[0], : gx.shape[1]]
    gx = gx[
        s.padding[0] : s.padding[0] + ex.x.shape[0], s.padding[1] : s.padding[1] + ex.x.shape[1]
    ]
    np.testing.assert_allclose(gx, panels["gx"].array, atol=1e-9)
    assert ("cropped" in panels["gx"].title) == (s.padding != (0, 0))
    assert ("full-corr" in panels["gx"].title) == flip


def _grid(lines, title):
    """The numbers printed under a grid's title (which may stand beside another grid)."""
    start = next(k for k, line in enumerate(lines) if title + " (" in line)
    col = lines[start].index(title)
    rows = []
    for line in lines[start + 1 :]:
        cells = line[col:].replace("[", " ").replace("]", " ").split()
        if not cells:
            break
        rows.append(cells)
    return rows


@pytest.mark.parametrize("convention", ["correlation", "convolution"])
def test_the_plot_and_the_text_show_the_same_panels(convention):
    from convprop.explain.plots import conv_figure, pyplot

    e = explain(C.ConvSetup(seed=4, convention=convention))
    panels = conv_panels(e)
    fig = conv_figure(e)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == len(panels)
    for ax, panel in zip(drawn, panels, strict=True):
        assert ax.get_title().replace("\n", " ") == panel.title
        np.testing.assert_array_equal(ax.images[0].get_array(), panel.array)
    pyplot().close(fig)
    name = C.backward_filter(e.example)[0]
    want = np.rot90(e.example.w, 2) if convention == "correlation" else e.example.w
    printed = _grid(e.lines, name)
    np.testing.assert_array_equal(np.array(printed, dtype=float), want)
