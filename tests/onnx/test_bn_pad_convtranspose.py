"""onnx/ review fixes: BatchNormalization on any rank >= 2 (after a Gemm, 1-D and 3-D
data), Pad on any axis (the batch and channel axes too, wrap more than once), against
onnxruntime and ONNX's reference evaluator, with seeded randomised comparisons; a
ConvTranspose output longer than the full result (undefined) refused by node, but for the
one extra cell that ONNX's node test and both oracles agree on; PyTorch's
ConvTranspose with output_padding >= stride exported exactly; BatchNorm2d with float32
statistics on a float64 input computing in float64, as its export does."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

import onnx
from convprop import Tensor, nn
from convprop import onnx as conv_onnx
from convprop.formats.onnx.layers import BatchNormalization
from onnx import TensorProto, helper, numpy_helper

from .oracles import onnxruntime as _onnxruntime
from .oracles import reference as _reference

ort = pytest.importorskip("onnxruntime")
from onnx.reference import ReferenceEvaluator  # noqa: E402

ort.set_default_logger_severity(4)


def _model(nodes, shape, inits=(), elem=TensorProto.FLOAT):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", elem, list(shape))],
        [helper.make_tensor_value_info(nodes[-1].output[0], elem, [None] * len(shape))],
        list(inits),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 22)])
    model.ir_version = 10
    return model


def _load(model, tmp_path):
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    return conv_onnx.load(str(path))


def _convprop(model, x, tmp_path, node):
    """convprop's output, or the ValueError that refused it (which must name the node)."""
    try:
        return _load(model, tmp_path)(Tensor(x)).array
    except ValueError as error:
        assert f"'{node}'" in str(error), str(error)
        return error


def _same(a, b, tol=1e-5):
    return (
        isinstance(a, np.ndarray)
        and isinstance(b, np.ndarray)
        and a.shape == b.shape
        and np.allclose(a, b, rtol=tol, atol=tol)
    )


def _f32(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def _i64(name, array):
    return numpy_helper.from_array(np.asarray(array, np.int64), name)


# BatchNormalization


def _bn_node(c, rng, prefix="bn", **attrs):
    inits = [
        _f32(f"{prefix}.s", rng.standard_normal(c)),
        _f32(f"{prefix}.b", rng.standard_normal(c)),
        _f32(f"{prefix}.m", rng.standard_normal(c)),
        _f32(f"{prefix}.v", rng.random(c) + 0.1),
    ]
    inputs = [f"{prefix}.{k}" for k in "sbmv"]
    return inits, inputs, attrs


def test_batch_normalization_after_a_gemm_matches_both_oracles_and_exports_back(tmp_path):
    rng = np.random.default_rng(0)
    inits, names, _ = _bn_node(4, rng)
    nodes = [
        helper.make_node("Gemm", ["x", "w", "c"], ["h"], name="fc", transB=1),
        helper.make_node("BatchNormalization", ["h", *names], ["y"], name="bn1", epsilon=1e-3),
        helper.make_node("Relu", ["y"], ["z"], name="relu"),
    ]
    inits += [_f32("w", rng.standard_normal((4, 3))), _f32("c", rng.standard_normal(4))]
    model = _model(nodes, ["N", 3], inits)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    loaded = _load(model, tmp_path)
    assert isinstance(loaded[1], BatchNormalization)
    got = loaded(Tensor(x)).array
    np.testing.assert_allclose(got, _onnxruntime(model, x), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, _reference(model, x), rtol=1e-5, atol=1e-6)
    path = conv_onnx.export(loaded, x[:1], tmp_path / "back.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], got, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 2, 3, 4), (3, 2, 1, 2, 1, 2)])
def test_batch_normalization_on_1d_3d_and_4d_data_matches_torch(shape, tmp_path):
    rng = np.random.default_rng(1)
    c = shape[1]
    inits, names, _ = _bn_node(c, rng)
    node = helper.make_node("BatchNormalization", ["x", *names], ["y"], name="bn3", epsilon=0.5)
    model = _model([node], shape, inits)
    x = rng.standard_normal(shape).astype(np.float32)
    scale, bias, mean, var = (torch.tensor(numpy_helper.to_array(t)) for t in inits)
    want = torch.nn.functional.batch_norm(
        torch.from_numpy(x), mean, var, scale, bias, training=False, eps=0.5
    ).numpy()
    loaded = _load(model, tmp_path)
    np.testing.assert_allclose(loaded(Tensor(x)).array, want, rtol=1e-5, atol=1e-6)
    loaded.train()  # fine-tuning: batch statistics over N and every axis after C
    want = torch.nn.functional.batch_norm(
        torch.from_numpy(x), mean.clone(), var.clone(), scale, bias, training=True, eps=0.5
    ).numpy()
    np.testing.assert_allclose(loaded(Tensor(x)).array, want, rtol=1e-4, atol=1e-5)


def test_batch_normalization_refuses_rank_1_and_a_wrong_channel_count_by_node(tmp_path):
    rng = np.random.default_rng(2)
    inits, names, _ = _bn_node(1, rng)
    node = helper.make_node("BatchNormalization", ["x", *names], ["y"], name="bn_r1")
    with pytest.raises(ValueError, match=r"'bn_r1' \(BatchNormalization\): a rank-1 input"):
        _load(_model([node], [4], inits), tmp_path)
    inits, names, _ = _bn_node(3, rng)
    node = helper.make_node("BatchNormalization", ["x", *names], ["y"], name="bn_c")
    loaded = _load(_model([node], ["N", "C", 2], inits), tmp_path)
    with pytest.raises(ValueError, match=r"'bn_c' \(BatchNormalization\): expected an input"):
        loaded(Tensor(np.zeros((2, 4, 2), np.float32)))


def test_random_batch_normalizations_match_both_oracles(tmp_path):
    rng = np.random.default_rng(2025)
    start, compared = time.perf_counter(), 0
    for _ in range(40):
        rank, c = int(rng.integers(2, 6)), int(rng.integers(1, 5))
        shape = [int(rng.integers(1, 4)), c, *(int(rng.integers(1, 5)) for _ in range(rank - 2))]
        attrs = {"epsilon": float(rng.choice([1e-5, 1e-3, 0.5]))}
        if rng.random() < 0.3:
            attrs["momentum"] = 0.7
        inits, names, _ = _bn_node(c, rng)
        node = helper.make_node("BatchNormalization", ["x", *names], ["y"], name="bnr", **attrs)
        model = _model([node], shape, inits)
        x = rng.standard_normal(shape).astype(np.float32)
        reference, runtime = _reference(model, x), _onnxruntime(model, x)
        assert _same(reference, runtime, 1e-4), (shape, attrs)
        mine = _convprop(model, x, tmp_path, "bnr")
        assert _same(mine, runtime), (shape, attrs, mine)
        compared += 1
    assert compared == 40
    assert time.perf_counter() - start < 10


def test_batch_norm2d_with_float32_statistics_computes_a_float64_input_in_float64(tmp_path):
    rng = np.random.default_rng(3)
    layer = nn.BatchNorm2d(3, eps=0.5)  # ONNX's epsilon is a float32 attribute: 0.5 is exact
    layer.running_mean = rng.standard_normal(3).astype(np.float32)
    layer.running_var = (rng.random(3) + 0.2).astype(np.float32)
    layer.weight.array[...] = rng.standard_normal(3)
    layer.bias.array[...] = rng.standard_normal(3)
    model = nn.Sequential(layer).eval()
    x = rng.standard_normal((2, 3, 4, 5))
    shape = (1, 3, 1, 1)
    stats = [
        np.asarray(a, np.float64).reshape(shape)
        for a in (layer.running_mean, layer.running_var, layer.weight.array, layer.bias.array)
    ]
    mean, var, scale, bias = stats
    want = (x - mean) / np.sqrt(var + 0.5) * scale + bias
    got = model(Tensor(x)).array
    assert got.dtype == np.float64 and layer.running_var.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
    path = conv_onnx.export(model, x[:1], tmp_path / "bn64.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], got, rtol=1e-12, atol=1e-12)


# Pad


def _pad_model(shape, pads, mode, value=None, axes=None, name="pad0"):
    inits, inputs = [_i64("p", pads)], ["x", "p"]
    if value is not None or axes is not None:
        inits.append(_f32("c", np.float32(0.0 if value is None else value)))
        inputs.append("c")
    if axes is not None:
        inits.append(_i64("a", axes))
        inputs.append("a")
    node = helper.make_node("Pad", inputs, ["y"], name=name, mode=mode)
    return _model([node], shape, inits)


@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
def test_pad_on_the_batch_and_channel_axes_matches_both_oracles(mode, tmp_path):
    x = np.random.default_rng(4).standard_normal((3, 3, 2, 4, 3)).astype(np.float32)
    for pads, axes in [
        ([1, 2, 0, 1, 1, 1, 0, 1, 2, 0], None),  # all five axes
        ([2, 1, 0, 1], [0, -4]),  # batch and channels only, a negative axis
        ([1, 0, 2, 1], [1, 4]),
    ]:
        model = _pad_model(x.shape, pads, mode, 1.5, axes)
        want = _onnxruntime(model, x)
        assert _same(want, _reference(model, x))
        np.testing.assert_array_equal(_load(model, tmp_path)(Tensor(x)).array, want)


def test_wrap_may_go_round_more_than_once_and_reflect_may_not(tmp_path):
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3)
    wrap = _pad_model(x.shape, [0, 3, 5, 0, 4, 7], "wrap")
    want = _onnxruntime(wrap, x)
    assert _same(want, _reference(wrap, x))
    np.testing.assert_array_equal(_load(wrap, tmp_path)(Tensor(x)).array, want)
    reflect = _pad_model(x.shape, [0, 0, 3, 0, 0, 0], "reflect", name="refl")
    assert _onnxruntime(reflect, x) is None  # refused there, reflected again by the reference
    with pytest.raises(ValueError, match=r"'refl' \(Pad\): mode reflect with pads \(3, 0\)"):
        _load(reflect, tmp_path)(Tensor(x))


@pytest.mark.parametrize(
    "axes, pads, message",
    [
        ([0, -3], [1, 1, 1, 1], "names an axis more than once"),
        ([3], [1, 1], r"input axes \[3\] lies outside \[-3, 3\)"),
        ([1], [1, -1], "is negative"),
    ],
)
def test_pad_axes_that_onnx_does_not_define_are_refused_at_load_by_node(
    axes, pads, message, tmp_path
):
    model = _pad_model([2, 3, 4], pads, "constant", 0.0, axes, name="padbad")
    with pytest.raises(ValueError, match=rf"'padbad' \(Pad\): .*{message}"):
        _load(model, tmp_path)


def test_pad_gradients_match_torch_on_every_axis(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 3, 4, 5))
    cases = [  # torch pads any axis with constant, the last two of a 4-D input otherwise
        ("constant", [1, 0, 2, 1, 1, 2, 0, 1], (1, 1, 2, 0, 0, 2, 1, 1)),
        ("edge", [0, 0, 2, 1, 0, 0, 1, 3], (1, 3, 2, 1)),
        ("wrap", [0, 0, 1, 4, 0, 0, 2, 3], (4, 3, 1, 2)),
        ("reflect", [0, 0, 3, 1, 0, 0, 2, 4], (1, 4, 3, 2)),
    ]
    modes = {"constant": "constant", "edge": "replicate", "wrap": "circular", "reflect": "reflect"}
    for mode, pads, torch_pads in cases:
        model = _pad_model(x.shape, pads, mode, 0.0 if mode == "constant" else None)
        loaded = _load(model, tmp_path)
        t = Tensor(x, requires_grad=True)
        y = loaded(t)
        w = rng.standard_normal(y.shape)
        (y * Tensor(w)).sum().backward()
        xt = torch.from_numpy(x).requires_grad_()
        yt = torch.nn.functional.pad(xt, torch_pads, modes[mode])
        (yt * torch.from_numpy(w)).sum().backward()
        np.testing.assert_allclose(y.array, yt.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(t.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_random_pads_match_both_oracles_where_they_agree(tmp_path):
    rng = np.random.default_rng(2026)
    counts = {"matched": 0, "refused": 0, "oracles differ": 0}
    start = time.perf_counter()
    for _ in range(48):
        rank = int(rng.integers(2, 6))
        shape = [int(rng.integers(1, 5)) for _ in range(rank)]
        mode = str(rng.choice(["constant", "reflect", "edge", "wrap"]))
        axes = None
        if rng.random() < 0.5:
            chosen = rng.choice(rank, size=int(rng.integers(1, rank + 1)), replace=False)
            axes = sorted(int(a) - (rank if rng.random() < 0.5 else 0) for a in chosen)
        count = rank if axes is None else len(axes)
        pads = [int(rng.integers(0, 4)) for _ in range(2 * count)]
        value = float(rng.standard_normal()) if rng.random() < 0.7 else None
        model = _pad_model(shape, pads, mode, value, axes, name="padr")
        x = rng.standard_normal(shape).astype(np.float32)
        reference, runtime = _reference(model, x), _onnxruntime(model, x)
        if not _same(reference, runtime):
            counts["oracles differ"] += 1
            continue
        mine = _convprop(model, x, tmp_path, "padr")
        assert _same(mine, runtime), (shape, pads, mode, axes, mine)
        counts["matched"] += 1
    assert counts["matched"] >= 30, counts
    assert time.perf_counter() - start < 10


# ConvTranspose output_shape


def _conv_transpose(shape, w, **attrs):
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="up", **attrs)
    inits = [_f32("w", w), _f32("b", np.arange(w.shape[1]) + 1.0)]
    return _model([node], shape, inits)


def test_conv_transpose_output_longer_than_the_full_result_is_refused_by_node(tmp_path):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 1, 4)).astype(np.float32)
    w = rng.standard_normal((1, 2, 1))
    too_long = _conv_transpose(x.shape, w, output_shape=[11])  # the full result is 4 long
    assert _onnxruntime(too_long, x) is None
    with pytest.raises(ValueError, match=r"'up' \(ConvTranspose\): attribute output_shape=\[11\]"):
        _load(too_long, tmp_path)(Tensor(x))
    for attrs in (  # totals of -2 (SAME: 12 cells of 10), -1 from SAME, -1 split at the start
        {"strides": [3], "auto_pad": "SAME_LOWER"},
        {"strides": [2], "auto_pad": "SAME_LOWER"},  # 8 cells of 7
        {"strides": [2], "auto_pad": "SAME_UPPER"},
        {"strides": [2], "auto_pad": "SAME_UPPER", "output_shape": [8]},
    ):
        model = _conv_transpose(x.shape, w, **attrs)
        assert not _same(_onnxruntime(model, x), _reference(model, x)), attrs
        with pytest.raises(ValueError, match=r"'up' \(ConvTranspose\): .* total padding of -"):
            _load(model, tmp_path)(Tensor(x))
    for attrs in (  # the full result plus output_padding, and the one extra cell both agree on
        {"output_shape": [10], "strides": [3]},
        {"output_shape": [12], "strides": [3], "output_padding": [2]},
        {"output_shape": [11], "strides": [3]},  # -1: a zero (plus the bias) at the end
        {"output_shape": [8], "strides": [2], "auto_pad": "SAME_LOWER"},
    ):
        model = _conv_transpose(x.shape, w, **attrs)
        want = _onnxruntime(model, x)
        assert _same(want, _reference(model, x)), attrs
        np.testing.assert_allclose(_load(model, tmp_path)(Tensor(x)).array, want, rtol=1e-6)


# export: ConvTranspose with output_padding >= stride


@pytest.mark.parametrize(
    "dims, stride, padding, output_padding, dilation, bias",
    [
        (1, 1, 0, 1, 2, True),  # the reviewer's: output_padding (1) >= stride (1)
        (1, 1, 2, 1, 3, True),  # output_padding within the padding: asymmetric pads only
        (2, (1, 2), (0, 1), (2, 1), (3, 2), True),
        (2, 2, 1, 2, 3, False),
        (3, (1, 1, 2), (1, 0, 0), (1, 2, 1), (2, 3, 2), True),
    ],
)
def test_conv_transpose_with_output_padding_of_a_stride_or_more_exports_exactly(
    dims, stride, padding, output_padding, dilation, bias, tmp_path
):
    rng = np.random.default_rng(7)
    theirs = getattr(torch.nn, f"ConvTranspose{dims}d")(
        2, 3, 2, stride, padding, output_padding, 1, bias, dilation
    )
    ours = getattr(nn, f"ConvTranspose{dims}d")(
        2, 3, 2, stride, padding, output_padding, 1, bias, dilation
    )
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((2, 2, *(3,) * dims)).astype(np.float32)
    want = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(Tensor(x)).array, want, rtol=1e-5, atol=1e-6)
    path = conv_onnx.export(nn.Sequential(ours), x[:1], tmp_path / "ct.onnx")
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(session.run(None, {"input": x})[0], want, rtol=1e-5, atol=1e-6)
    reference = ReferenceEvaluator(str(path)).run(None, {"input": x})[0]
    np.testing.assert_allclose(reference, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(conv_onnx.load(path)(Tensor(x)).array, want, rtol=1e-5, atol=1e-6)
