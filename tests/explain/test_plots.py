"""explain/plots.py: every explain command's --plot writes a PNG that is not blank."""

import numpy as np
import pytest

from convprop.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["conv", "--stride", "2", "--padding", "1"],
        ["conv", "--convention", "convolution", "--dilation", "2", "--input", "7"],
        ["maxpool"],
        ["maxpool", "--ties", "split", "--input", "6,5", "--kernel", "3"],
        ["avgpool"],
        ["shape", "32x32x3", "--filters", "6", "16", "--kernel", "5", "--stride", "2"],
    ],
    ids=lambda a: "-".join(a[:2]),
)
def test_plot_writes_a_picture_with_content(tmp_path, args, capsys):
    from matplotlib.image import imread

    path = tmp_path / "out.png"
    assert main(["explain", *args, "--plot", str(path)]) == 0
    assert f"plot: {path}" in capsys.readouterr().out
    image = imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 200
    pixels = image[..., :3].reshape(-1, 3)
    assert pixels.std() > 0.05  # not one flat colour
    assert len(np.unique((pixels * 255).astype(np.uint8), axis=0)) > 20  # drawn cells, text


def test_without_matplotlib_the_error_names_the_extra(tmp_path, monkeypatch, capsys):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    assert main(["explain", "maxpool", "--plot", str(tmp_path / "x.png")]) == 2
    assert "pip install 'convprop[plot]'" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()
