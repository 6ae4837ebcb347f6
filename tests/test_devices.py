"""Devices, dtypes and conversions with PyTorch's names (devices.py, dtypes.py,
autograd/convert.py), each against PyTorch; and the submodules `import convprop` reaches."""

from __future__ import annotations

import operator
import subprocess
import sys

import numpy as np
import pytest
import torch

import convprop
from convprop import Tensor, nn


def test_devices_are_named_and_printed_as_pytorchs():
    for spec in ("cpu", "cuda", "cuda:1"):
        ours, theirs = convprop.device(spec), torch.device(spec)
        assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert convprop.device("cpu") == "cpu" and convprop.device("cuda", 0) == convprop.device(
        "cuda:0"
    )
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        convprop.device("tpu")


def test_the_probes_scripts_make_answer_no_accelerator():
    assert convprop.cuda.is_available() is False and convprop.cuda.device_count() == 0
    assert convprop.backends.mps.is_available() is False
    assert convprop.accelerator.is_available() is False
    assert convprop.accelerator.current_accelerator() is None
    convprop.backends.cudnn.benchmark = True  # scripts set it; nothing to tune on the CPU
    where = convprop.device("cuda" if convprop.cuda.is_available() else "cpu")
    assert where == convprop.device("cpu")


def test_dtype_names_are_numpys_dtypes_named_as_pytorchs():
    pairs = {
        "float32": torch.float32,
        "float": torch.float,
        "float64": torch.float64,
        "double": torch.double,
        "float16": torch.float16,
        "half": torch.half,
        "int64": torch.int64,
        "long": torch.long,
        "int32": torch.int32,
        "int": torch.int,
        "int16": torch.int16,
        "short": torch.short,
        "int8": torch.int8,
        "uint8": torch.uint8,
        "bool": torch.bool,
    }
    for name, theirs in pairs.items():
        ours = getattr(convprop, name)
        assert isinstance(ours, np.dtype) and str(theirs) == f"torch.{ours}"
    assert Tensor(np.ones(2, np.float32)).dtype == convprop.float32


CONVERSIONS = {
    "float": lambda t: t.float(),
    "double": lambda t: t.double(),
    "long": lambda t: t.long(),
    "int": lambda t: t.int(),
    "bool": lambda t: t.bool(),
    "half": lambda t: t.half(),
    "cpu": lambda t: t.cpu(),
}


@pytest.mark.parametrize("name", CONVERSIONS)
def test_conversions_give_pytorchs_values_and_dtypes(name):
    a = np.array([[-1.7, 0.0, 2.5], [3.2, -0.4, 1.0]])
    ours, theirs = CONVERSIONS[name](Tensor(a)), CONVERSIONS[name](torch.tensor(a))
    assert str(theirs.dtype) == f"torch.{ours.dtype}"
    np.testing.assert_array_equal(ours.array, theirs.numpy())


def test_to_takes_pytorchs_arguments():
    a = np.arange(6.0).reshape(2, 3)
    t, theirs = Tensor(a), torch.tensor(a)
    for args, kwargs in [
        ((convprop.float32,), {}),
        (("cpu",), {}),
        (("cpu", convprop.float32), {}),
        ((), {"dtype": convprop.int64}),
        ((), {"device": "cpu", "dtype": convprop.float16, "non_blocking": True}),
        ((Tensor(np.zeros(1, np.int32)),), {}),
    ]:
        targs = [
            getattr(torch, str(x))
            if isinstance(x, np.dtype)
            else torch.zeros(1, dtype=torch.int32)
            if isinstance(x, Tensor)
            else x
            for x in args
        ]
        tkwargs = {
            k: getattr(torch, str(v)) if isinstance(v, np.dtype) else v for k, v in kwargs.items()
        }
        ours, want = t.to(*args, **kwargs), theirs.to(*targs, **tkwargs)
        assert str(want.dtype) == f"torch.{ours.dtype}"
        np.testing.assert_array_equal(ours.array, want.numpy())
    assert t.to("cpu") is t and t.to(convprop.float64) is t  # nothing to do: itself
    assert t.to(convprop.float64, copy=True) is not t
    assert t.device == convprop.device("cpu") and t.is_cuda is False


def test_moving_to_a_gpu_is_refused_clearly():
    t = Tensor(np.ones(2))
    for move in (lambda: t.to("cuda"), lambda: t.cuda(), lambda: nn.Linear(2, 2).cuda()):
        with pytest.raises(ValueError, match="convprop computes on the CPU; there is no cuda"):
            move()


def test_a_floating_conversion_stays_in_the_graph():
    a = np.array([0.5, -1.5, 2.0])
    ours = Tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    (ours.float() * ours.float()).sum().backward()
    (theirs.float() * theirs.float()).sum().backward()
    assert ours.grad.dtype == np.float64
    np.testing.assert_allclose(ours.grad.array, theirs.grad.numpy(), rtol=1e-7)
    assert ours.long().requires_grad is False and ours.float().requires_grad is True


def test_python_numbers_from_tensors_are_pytorchs():
    one, ints = Tensor(np.array([2.75])), Tensor(np.array([3]))
    assert float(one) == float(torch.tensor([2.75])) and int(one) == int(torch.tensor([2.75]))
    assert operator.index(ints) == 3 and list(range(ints)) == [0, 1, 2]
    assert one.item() == 2.75 and Tensor(np.arange(4).reshape(2, 2)).tolist() == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="only integer tensors of a single element"):
        operator.index(one)
    with pytest.raises(ValueError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        Tensor(np.ones(2)).item()
    assert Tensor(np.ones(2, np.float32)).type() == "convprop.FloatTensor"
    assert Tensor(np.ones(2)).type(convprop.float32).dtype == convprop.float32


def test_module_to_takes_devices_dtypes_and_tensors():
    m = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert m.to("cpu") is m and m.cpu() is m and m[0].weight.dtype == np.float32
    m.to(convprop.float64)
    assert m[0].weight.dtype == m[1].running_mean.dtype == np.float64
    m.to(device=convprop.device("cpu"), dtype=convprop.float32)
    assert m[0].weight.dtype == np.float32
    m.to(Tensor(np.zeros(1)))  # a tensor's dtype
    assert m[0].bias.dtype == np.float64
    with pytest.raises(ValueError, match=r"Module\.to: only floating dtypes"):
        m.to(convprop.long)


def test_import_convprop_reaches_the_submodules_lazily():
    code = (
        "import sys, convprop\n"
        "assert 'convprop.optim' not in sys.modules\n"
        "assert convprop.optim.Adam and convprop.nn.functional.relu and convprop.data\n"
        "assert convprop.cuda.is_available() is False\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout == "ok\n", done.stderr
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _ = convprop.nonexistent


def test_module_to_converts_gradients_with_their_parameters():
    m = nn.Linear(2, 1)
    m(Tensor(np.ones((1, 2), np.float32))).sum().backward()
    m.double()
    assert m.weight.dtype == m.weight.grad.dtype == np.float64
