"""kernels/conv/chunking.py: under a small workspace limit, same results and bounded memory."""

import dataclasses
import tracemalloc

import numpy as np
import pytest

from convprop.arguments import MAX_ELEMENTS
from convprop.kernels import (
    ALGORITHMS,
    conv2d,
    conv2d_backward,
    conv_transpose2d,
    conv_transpose2d_backward,
    workspace,
)
from convprop.kernels.conv import chunking
from convprop.shapes import conv2d_geometry

from ...helpers import set_jit


@pytest.mark.parametrize("algorithm", ["im2col", "batch_inner", "fft"])
def test_chunked_results_equal_unchunked(rng, monkeypatch, algorithm):
    x = rng.standard_normal((5, 4, 9, 8))
    w = rng.standard_normal((6, 2, 3, 3))
    options = dict(stride=1, padding=1, dilation=1, groups=2, algorithm=algorithm)
    y = conv2d(x, w, **options)
    gy = rng.standard_normal(y.shape)
    grads = conv2d_backward(gy, x, w, **options)
    wt = rng.standard_normal((4, 3, 3, 3))
    yt = conv_transpose2d(x, wt, stride=2, algorithm=algorithm)
    gyt = rng.standard_normal(yt.shape)
    grads_t = conv_transpose2d_backward(gyt, x, wt, stride=2, algorithm=algorithm)
    monkeypatch.setattr(workspace, "limit_bytes", 4000)  # about one image per chunk
    np.testing.assert_allclose(conv2d(x, w, **options), y, atol=1e-12)
    for a, b in zip(conv2d_backward(gy, x, w, **options), grads, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-11)
    np.testing.assert_allclose(
        conv_transpose2d(x, wt, stride=2, algorithm=algorithm), yt, atol=1e-12
    )
    for a, b in zip(
        conv_transpose2d_backward(gyt, x, wt, stride=2, algorithm=algorithm), grads_t, strict=True
    ):
        np.testing.assert_allclose(a, b, atol=1e-11)


def _peak(fn) -> int:
    workspace.clear()
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_the_limit_bounds_peak_memory(rng, monkeypatch):
    x = rng.standard_normal((32, 8, 32, 32)).astype(np.float32)
    w = rng.standard_normal((8, 8, 5, 5)).astype(np.float32)
    unbounded = _peak(lambda: conv2d(x, w, padding=2, algorithm="im2col"))  # columns: 26 MB
    monkeypatch.setattr(workspace, "limit_bytes", 2**20)
    bounded = _peak(lambda: conv2d(x, w, padding=2, algorithm="im2col"))
    assert bounded < unbounded / 4


def _spying(record, batches):
    """record with its forward recording each chunk's batch size, and 1000 bytes per image."""

    def forward(x, w, g):
        batches.append((record.name, x.shape[0], g.batch))
        return record.forward(x, w, g)

    return dataclasses.replace(record, forward=forward, bytes_per_image=lambda g, dtype: 1000)


def test_chunks_follow_the_records_bytes_per_image(rng, monkeypatch):
    x, w = rng.standard_normal((5, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    g = conv2d_geometry("t", x.shape, w.shape)
    batches = []
    record = _spying(ALGORITHMS["im2col"], batches)
    monkeypatch.setattr(workspace, "limit_bytes", 2500)  # two images of 1000 bytes a chunk
    y = chunking.forward(record, x, w, g)
    assert batches == [("im2col", 2, 2), ("im2col", 2, 2), ("im2col", 1, 1)]
    np.testing.assert_allclose(y, ALGORITHMS["direct"].forward(x, w, g), atol=1e-12)


def test_a_nonfinite_operand_takes_the_records_detour(rng):
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    x[1, 0, 2, 3] = np.nan
    g = conv2d_geometry("t", x.shape, w.shape)
    batches = []
    detour = _spying(ALGORITHMS["im2col"], batches)
    fft = dataclasses.replace(_spying(ALGORITHMS["fft"], batches), nonfinite_detour=detour)
    y = chunking.forward(fft, x, w, g)
    assert [name for name, _, _ in batches] == ["im2col"]
    np.testing.assert_array_equal(np.isnan(y), np.isnan(ALGORITHMS["direct"].forward(x, w, g)))
    batches.clear()
    chunking.forward(fft, np.nan_to_num(x), w, g)
    assert [name for name, _, _ in batches] == ["fft"]


def test_one_image_beyond_max_elements_is_refused_naming_the_record(rng):
    x, w = rng.standard_normal((2, 2, 6, 6)), rng.standard_normal((3, 2, 3, 3))
    g = conv2d_geometry("t", x.shape, w.shape)
    huge = dataclasses.replace(
        ALGORITHMS["batch_inner"], bytes_per_image=lambda g, dtype: 8 * (MAX_ELEMENTS + 1)
    )
    with pytest.raises(ValueError, match=r"one image's batch_inner workspace would take"):
        chunking.forward(huge, x, w, g)


@pytest.mark.parametrize("name", ["numba", "winograd"])
def test_the_compiled_records_run_a_large_batch_unsplit(rng, monkeypatch, name):
    """Their temporaries are per thread (padded planes, blocks of tiles), not per image: a
    limit far below a padded copy of the batch does not split it."""
    set_jit(monkeypatch, True)
    x = rng.standard_normal((64, 8, 20, 20)).astype(np.float32)  # 820 KB
    w = rng.standard_normal((8, 8 if name == "winograd" else 1, 3, 3)).astype(np.float32)
    groups = 1 if name == "winograd" else 8
    g = conv2d_geometry("t", x.shape, w.shape, 1, 1, 1, groups)
    record = ALGORITHMS[name]
    batches = []
    spy = dataclasses.replace(
        record, forward=lambda x, w, g: batches.append(g.batch) or record.forward(x, w, g)
    )
    monkeypatch.setattr(workspace, "limit_bytes", 2**16)  # 64 KiB: 5 padded images
    y = chunking.forward(spy, x, w, g)
    assert batches == [64]
    np.testing.assert_allclose(y, ALGORITHMS["im2col"].forward(x, w, g), rtol=0, atol=1e-4)
