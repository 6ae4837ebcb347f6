"""kernels/conv/select.py: the Algorithm records and the documented rule for algorithm="auto"."""

import dataclasses

import numpy as np
import pytest

from convprop.kernels import ALGORITHMS, choose
from convprop.kernels.conv import (
    batch_inner,
    fft_tiles,
    im2col,
    reference,
    select,
    winograd_plan,
)
from convprop.kernels.conv.select import Algorithm
from convprop.shapes import conv2d_geometry, conv_geometry

LENET_CONV2 = conv2d_geometry("t", (64, 6, 14, 14), (16, 6, 5, 5))
WIDE = conv2d_geometry("t", (8, 64, 56, 56), (64, 64, 3, 3), padding=1)
DEPTHWISE = conv2d_geometry("t", (8, 64, 56, 56), (64, 1, 3, 3), padding=1, groups=64)


@pytest.fixture
def jit_off(monkeypatch):
    """The NumPy rule: the compiled kernels off, as CONVPROP_JIT=0 or no Numba make it."""
    monkeypatch.setenv("CONVPROP_JIT", "0")


@pytest.fixture
def jit_on(monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setenv("CONVPROP_JIT", "1")


@pytest.mark.parametrize(
    "kernel, stride, expected",
    [
        (1, 1, "im2col"),
        (3, 1, "im2col"),
        (5, 1, "im2col"),
        (7, 1, "fft"),
        (11, 1, "fft"),
        (7, 2, "batch_inner"),  # 13 outputs wide: narrower than WIDTH_LIMIT
    ],
)
def test_auto_rule(kernel, stride, expected, jit_off):
    g = conv2d_geometry("t", (2, 3, 32, 32), (4, 3, kernel, kernel), stride)
    assert choose("auto", g) is ALGORITHMS[expected]


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, groups, expected",
    [
        ((8, 64, 56, 56), (64, 1, 3, 3), 1, 64, "numba"),  # depthwise
        ((8, 32, 28, 28), (64, 1, 3, 3), 2, 32, "numba"),  # depthwise, multiplier 2
        ((8, 64, 28, 28), (128, 4, 3, 3), 1, 16, "numba"),  # grouped: 4 in, 8 out per group
        ((8, 64, 28, 28), (256, 4, 3, 3), 1, 16, "im2col"),  # 16 out per group
        ((8, 64, 28, 28), (64, 8, 3, 3), 1, 8, "winograd"),  # 8 in and out per group
        ((8, 64, 28, 28), (64, 8, 3, 3), 2, 8, "batch_inner"),  # ... at stride 2
        ((8, 64, 28, 28), (112, 16, 3, 3), 1, 4, "winograd"),  # 16 in, 28 out per group
        ((8, 28, 28, 28), (28, 7, 3, 3), 1, 4, "im2col"),  # 7 per group
        ((8, 64, 14, 14), (64, 64, 3, 3), 1, 1, "batch_inner"),  # a 14x14 output
        ((1, 64, 16, 16), (64, 64, 3, 3), 1, 1, "winograd"),  # 16x16, one image
        ((8, 64, 16, 16), (64, 64, 5, 5), 1, 1, "im2col"),  # 5x5
        ((8, 64, 16, 16), (64, 64, 3, 3), 2, 1, "batch_inner"),  # stride 2
        ((2, 64, 16, 16, 16), (64, 64, 3, 3, 3), 1, 1, "im2col"),  # 3-D
        ((64, 1, 28, 28), (6, 1, 5, 5), 1, 1, "numba"),  # LeNet's conv1
        ((8, 3, 32, 32), (8, 3, 3, 3), 1, 1, "numba"),
        ((8, 3, 32, 32), (16, 3, 3, 3), 1, 1, "im2col"),  # 16 filters: the GEMM wins
        ((64, 6, 14, 14), (16, 6, 5, 5), 1, 1, "batch_inner"),  # LeNet's conv2
        ((8, 64, 56, 56), (64, 64, 3, 3), 1, 1, "winograd"),
        ((8, 2, 32, 32), (2, 2, 1, 1), 1, 1, "im2col"),  # 1x1: one GEMM on the input
        ((8, 4, 64, 64), (4, 1, 9, 9), 1, 4, "fft"),  # 81 taps at stride 1
        ((8, 4, 64, 64), (4, 1, 9, 9), 2, 4, "numba"),  # ... at stride 2
        ((8, 32, 28, 28), (32, 1, 7, 7), 1, 32, "numba"),  # 49 taps: still numba
        ((1, 1, 64), (2, 1, 31), 1, 1, "numba"),  # 1-D
        ((1, 1, 64), (2, 1, 51), 1, 1, "fft"),
        ((1, 8, 64), (2, 8, 51), 1, 1, "fft"),
    ],
)
def test_auto_rule_with_numba_on(jit_on, x_shape, w_shape, stride, groups, expected):
    g = conv_geometry("t", x_shape, w_shape, stride, "same" if stride == 1 else 1, 1, groups)
    assert choose("auto", g) is ALGORITHMS[expected]


def test_auto_never_picks_numba_while_it_is_off(jit_off):
    assert choose("auto", DEPTHWISE) is ALGORITHMS["im2col"]


def test_numba_by_name_while_it_is_off_is_refused_naming_the_op(jit_off):
    with pytest.raises(ValueError, match=r"^conv1d: algorithm 'numba' .*Numba is off"):
        choose("numba", DEPTHWISE, "conv1d")
    from convprop import kernels

    x, w = np.ones((1, 2, 5, 5)), np.ones((2, 1, 3, 3))
    with pytest.raises(ValueError, match=r"^conv2d: .*Numba is off \(CONVPROP_JIT=0\)"):
        kernels.conv2d(x, w, groups=2, algorithm="numba")


def test_auto_picks_batch_inner_for_lenets_conv2_and_im2col_for_a_wide_layer(jit_off):
    assert choose("auto", LENET_CONV2) is ALGORITHMS["batch_inner"]
    assert choose("auto", WIDE) is ALGORITHMS["im2col"]
    single = conv2d_geometry("t", (1, 6, 14, 14), (16, 6, 5, 5))  # one image: nothing to gain
    assert choose("auto", single) is ALGORITHMS["im2col"]


def test_explicit_algorithms_are_honoured(jit_on):
    g = conv2d_geometry("t", (2, 3, 32, 32), (4, 3, 3, 3))
    assert choose("fft", g) is ALGORITHMS["fft"] and choose("im2col", g) is ALGORITHMS["im2col"]
    assert choose("direct", g) is ALGORITHMS["direct"]
    assert choose("numba", WIDE) is ALGORITHMS["numba"]
    assert choose("winograd", WIDE) is ALGORITHMS["winograd"]
    assert choose("batch_inner", WIDE) is ALGORITHMS["batch_inner"]
    # "im2col" names the family: its columns go batch-innermost where that layout wins
    assert choose("im2col", LENET_CONV2) is ALGORITHMS["batch_inner"]


def test_the_records_hold_their_modules_primitives():
    modules = {"direct": reference, "im2col": im2col, "batch_inner": batch_inner, "fft": fft_tiles}
    assert set(ALGORITHMS) == {*modules, "numba", "winograd"}
    for name, record in ALGORITHMS.items():
        if name in ("numba", "winograd"):
            continue  # the compiled modules load on the first call: test_numba_record
        assert isinstance(record, Algorithm) and record.name == name
        module = modules[name]
        assert record.forward is module.conv_forward
        assert record.grad_input is module.conv_grad_input
        assert record.grad_weight is module.conv_grad_weight
    for name in ("fft", "winograd"):  # both mix a value into outputs that never read it
        assert ALGORITHMS[name].nonfinite_detour is ALGORITHMS["im2col"]
    detoured = ("fft", "winograd")
    assert all(r.nonfinite_detour is None for n, r in ALGORITHMS.items() if n not in detoured)


def test_numba_record_loads_direct_on_its_first_call(rng):
    """The record's primitives are stand-ins that import kernels/conv/direct.py (and Numba)
    when first called, then compute what direct.py's functions compute."""
    numba_record = ALGORITHMS["numba"]
    assert numba_record.nonfinite_detour is None
    names = ("conv_forward", "conv_grad_input", "conv_grad_weight")
    primitives = (numba_record.forward, numba_record.grad_input, numba_record.grad_weight)
    assert [p.__name__ for p in primitives] == list(names)
    pytest.importorskip("numba")
    from convprop.kernels.conv import direct

    g = conv2d_geometry("t", (2, 2, 5, 6), (2, 1, 3, 3), 1, 1, 1, 2)
    x, w, gy = (rng.standard_normal(s) for s in (g.x_shape, g.w_shape, g.y_shape))
    for primitive, name, a, b in zip(primitives, names, (x, gy, gy), (w, w, x), strict=True):
        np.testing.assert_array_equal(primitive(a, b, g), getattr(direct, name)(a, b, g))


@pytest.mark.parametrize(
    "x_shape, w_shape, stride, padding, dilation, groups",
    [
        ((2, 4, 9), (6, 2, 3), 2, 1, 2, 2),
        ((2, 3, 8, 7), (4, 3, 3, 2), (2, 1), ((0, 2), (1, 0)), 1, 1),
        ((1, 4, 5, 4, 6), (8, 1, 2, 3, 2), 1, "same", (1, 2, 1), 4),
    ],
)
def test_every_record_supports_every_option(x_shape, w_shape, stride, padding, dilation, groups):
    g = conv_geometry("t", x_shape, w_shape, stride, padding, dilation, groups)
    assert all(r.supports(g) for n, r in ALGORITHMS.items() if n != "winograd")
    assert not ALGORITHMS["winograd"].supports(g)  # 3x3, stride 1, 2-D only: test_winograd


def test_bytes_per_image_follow_each_algorithms_temporaries():
    g = WIDE  # 8x64x56x56, 64 3x3 filters, padding 1
    taps, out, padded = 9, 56 * 56, 58 * 58
    for dtype in (np.float32, np.float64):
        item = np.dtype(dtype).itemsize
        assert ALGORITHMS["direct"].bytes_per_image(g, dtype) == 0
        # dL/dW's partial sums (one per 8 images, at most one per image); no padded copy
        assert ALGORITHMS["numba"].bytes_per_image(g, dtype) == item * 64 * 64 * taps
        # the stride-1 input gradient's columns (64*58*58 per tap) outgrow the forward's
        assert ALGORITHMS["im2col"].bytes_per_image(g, dtype) == item * taps * 64 * padded
        inner = item * (64 * taps * out + 64 * padded)
        assert ALGORITHMS["batch_inner"].bytes_per_image(g, dtype) == inner
        spectra = 3 * 2 * item * (64 + 64) * 58 * (58 // 2 + 1)
        assert ALGORITHMS["fft"].bytes_per_image(g, dtype) == spectra
        # one block of tiles per thread, in and out: 9 rows of 28 tiles padded to 256
        # (float32); in float64 2 MiB holds 128 tiles: 5 rows, 140, padded to 144; nothing
        # per image, so a batch is never split for memory
        tiles = 256 if item == 4 else 144
        assert winograd_plan.workspace_bytes(g, dtype) == item * 16 * 128 * tiles
        assert ALGORITHMS["winograd"].bytes_per_image(g, dtype) == 0
    strided = conv2d_geometry("t", (2, 64, 56, 56), (64, 64, 3, 3), 2, 1)
    assert ALGORITHMS["im2col"].bytes_per_image(strided, np.float32) == 4 * taps * 64 * 28 * 28


def test_an_unsupported_geometry_is_refused_naming_the_op(monkeypatch):
    never = Algorithm("never", *(ALGORITHMS["direct"].forward,) * 3, lambda g, d: 0, lambda g: 0)
    monkeypatch.setitem(select.ALGORITHMS, "never", never)
    with pytest.raises(ValueError, match=r"^conv3d: algorithm 'never' does not support"):
        choose("never", WIDE, "conv3d")


def test_an_unknown_name_lists_every_accepted_one():
    with pytest.raises(ValueError) as info:
        choose("gemm", WIDE, "conv2d")
    assert str(info.value) == (
        "conv2d: algorithm must be one of 'auto', 'direct', 'im2col', 'batch_inner', 'fft', "
        "'numba', 'winograd', got 'gemm'"
    )


def test_benchmark_mode_measures_once_per_geometry_and_stays_exact(rng, monkeypatch, jit_off):
    from convprop import kernels

    calls = []
    measure = select._measure
    monkeypatch.setattr(select, "_measure", lambda g, dtype: calls.append(g) or measure(g, dtype))
    x, w = rng.standard_normal((2, 3, 12, 12)), rng.standard_normal((4, 3, 3, 3))
    kernels.benchmark_mode(True)
    try:
        first = kernels.conv2d(x, w, padding=1)
        second = kernels.conv2d(x, w, padding=1)
        kernels.conv2d_backward(np.ones_like(first), x, w, padding=1)
        assert len(calls) == 1  # measured once, remembered after
        g = conv2d_geometry("t", x.shape, w.shape, 1, 1)
        assert choose("auto", g, dtype=x.dtype) in select.CANDIDATES
        np.testing.assert_allclose(
            first, kernels.conv2d(x, w, padding=1, algorithm="direct"), atol=1e-12
        )
        np.testing.assert_array_equal(first, second)
    finally:
        kernels.benchmark_mode(False)
    g = conv2d_geometry("t", x.shape, w.shape, 1, 1)
    assert choose("auto", g) is ALGORITHMS["batch_inner"] and not select._winners  # the rule


def test_benchmark_mode_times_batch_inner_too(monkeypatch):
    """Every candidate that supports the geometry is timed, and the fastest wins: here a
    clock that each forward advances by its record's cost makes batch_inner the fastest."""
    clock = [0.0]
    cost = {"im2col": 3.0, "batch_inner": 1.0, "fft": 2.0, "numba": 4.0, "winograd": 5.0}
    timed = []

    def spying(record):
        def forward(x, w, g):
            timed.append(record.name)
            clock[0] += cost[record.name]
            return record.forward(x, w, g)

        return dataclasses.replace(record, forward=forward)

    spies = tuple(spying(r) for r in select.CANDIDATES if r.name not in ("numba", "winograd"))
    monkeypatch.setattr(select, "CANDIDATES", spies)
    monkeypatch.setattr(select.time, "perf_counter", lambda: clock[0])
    g = conv2d_geometry("t", (4, 2, 6, 6), (3, 2, 3, 3))
    assert select._measure(g, np.dtype(np.float64)).name == "batch_inner"
    assert sorted(set(timed)) == ["batch_inner", "fft", "im2col"]
    unsupported = dataclasses.replace(spies[1], supports=lambda g: False)
    monkeypatch.setattr(select, "CANDIDATES", (spies[0], unsupported, spies[2]))
    timed.clear()
    assert select._measure(g, np.dtype(np.float64)).name == "fft"
    assert "batch_inner" not in timed


def test_benchmark_mode_remembers_a_bounded_number_of_geometries(monkeypatch):
    monkeypatch.setattr(select, "WINNERS", 3)
    monkeypatch.setattr(select, "_measure", lambda g, dtype: ALGORITHMS["im2col"])
    select.benchmark_mode(True)
    try:
        for n in range(1, 6):
            choose("auto", conv2d_geometry("t", (n, 1, 4, 4), (1, 1, 2, 2)), dtype=np.float32)
        assert len(select._winners) == 3
        assert [g.batch for g, _ in select._winners] == [3, 4, 5]  # the oldest dropped
    finally:
        select.benchmark_mode(False)
    assert not select._winners


@pytest.mark.parametrize("stride", [1, 2])
def test_benchmark_mode_times_numba_and_winograd_only_while_they_are_on(monkeypatch, stride):
    pytest.importorskip("numba")
    g = conv2d_geometry("t", (4, 2, 6, 6), (2, 1, 3, 3), stride, groups=2)
    monkeypatch.setenv("CONVPROP_JIT", "1")
    compiled = ["numba", "winograd"] if stride == 1 else ["numba"]  # winograd: stride 1
    assert [a.name for a in select._candidates(g)] == ["im2col", "batch_inner", "fft", *compiled]
    monkeypatch.setenv("CONVPROP_JIT", "0")
    assert [a.name for a in select._candidates(g)] == ["im2col", "batch_inner", "fft"]
