"""nn/layers.py and nn/module.py: PyTorch's shapes, keys, init, outputs and gradients."""

import math

import numpy as np
import pytest
import torch

from convprop import Tensor, gradcheck, manual_seed, nn


def _pair_of_models():
    """The same network in convprop and PyTorch, float64, with PyTorch's weights copied over."""
    ours = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),
        nn.LeakyReLU(0.1),
        nn.AvgPool2d(2),
        nn.Conv2d(3, 6, 3, groups=3, bias=False),
        nn.Tanh(),
        nn.AdaptiveAvgPool2d((2, 3)),
        nn.Flatten(),
        nn.Linear(36, 5),
        nn.Sigmoid(),
    )
    T = torch.nn
    theirs = T.Sequential(
        T.Conv2d(2, 4, 3, padding=1),
        T.BatchNorm2d(4),
        T.ReLU(),
        T.MaxPool2d(2),
        T.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1),
        T.LeakyReLU(0.1),
        T.AvgPool2d(2),
        T.Conv2d(3, 6, 3, groups=3, bias=False),
        T.Tanh(),
        T.AdaptiveAvgPool2d((2, 3)),
        T.Flatten(),
        T.Linear(36, 5),
        T.Sigmoid(),
    ).double()
    ours.double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def test_state_dict_keys_and_shapes_match_pytorch():
    ours, theirs = _pair_of_models()
    want = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    got = {k: v.shape for k, v in ours.state_dict().items()}
    assert list(got) == list(want) and got == want


@pytest.mark.parametrize("training", [True, False])
def test_network_outputs_and_gradients_match_pytorch(training):
    ours, theirs = _pair_of_models()
    ours.train(training)
    theirs.train(training)
    x = np.random.default_rng(0).standard_normal((3, 2, 12, 12))
    y = ours(Tensor(x))
    yt = theirs(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    yt.backward(torch.tensor(g))
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(
            p.grad, grads[name].grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name
        )
    for name, b in theirs.named_buffers():  # running statistics moved the same way
        np.testing.assert_allclose(ours.state_dict()[name], b.numpy(), rtol=1e-12, err_msg=name)


def test_default_init_follows_pytorch_bounds():
    manual_seed(0)
    conv = nn.Conv2d(6, 16, 5)
    bound = 1 / math.sqrt(6 * 25)
    for p in (conv.weight, conv.bias):
        assert np.abs(p.numpy()).max() <= bound
        assert p.dtype == np.float32
    assert abs(conv.weight.numpy().std() - bound / math.sqrt(3)) < 0.1 * bound  # uniform's std
    manual_seed(0)
    np.testing.assert_array_equal(nn.Conv2d(6, 16, 5).weight.numpy(), conv.weight.numpy())


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 5, 5)),
        (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2), (2, 2, 3, 3)),
        (lambda: nn.Linear(4, 3), (2, 4)),
        (lambda: nn.BatchNorm2d(3), (4, 3, 2, 2)),
        (lambda: nn.AdaptiveAvgPool2d(2), (1, 2, 5, 3)),
    ],
)
def test_layers_pass_gradcheck_through_input_and_parameters(layer, shape):
    module = layer().double()
    params = list(module.parameters())
    x = np.random.default_rng(2).standard_normal(shape)

    def fn(x_t, *ps):
        return _with_params(module, params, ps, x_t)

    assert gradcheck(
        fn, [Tensor(x, requires_grad=True), *(Tensor(p.array, requires_grad=True) for p in params)]
    )


def _with_params(module, params, values, x):
    """Run module with its parameters swapped for the given leaf tensors."""
    tables = {
        id(p): (m, n) for m in module.modules() for n, p in m._parameters.items() if p is not None
    }
    for p, v in zip(params, values, strict=True):
        owner, name = tables[id(p)]
        owner._parameters[name] = v
    try:
        return module(x)
    finally:
        for p in params:
            owner, name = tables[id(p)]
            owner._parameters[name] = p


def test_load_state_dict_names_the_mismatch():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Linear(4, 2))
    state = model.state_dict()
    state["1.weight"] = np.zeros((3, 4))
    with pytest.raises(
        ValueError, match=r"'1.weight' has shape \(3, 4\) in the state but \(2, 4\)"
    ):
        model.load_state_dict(state)
    del state["1.weight"]
    with pytest.raises(ValueError, match="missing keys"):
        model.load_state_dict(state)


def test_train_eval_zero_grad_and_repr():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Dropout(0.5))
    model.eval()
    assert not model.training and not model[1].training
    model.train()
    assert model[1].training
    model(Tensor(np.ones((1, 1, 4, 4), np.float32))).sum().backward()
    assert model[0].weight.grad is not None
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    assert "(0): Conv2d(1, 2, kernel_size=(3, 3)" in repr(model) and "(1): Dropout(p=0.5)" in repr(
        model
    )


def test_first_layer_skips_the_input_gradient_but_keeps_the_weight_gradient():
    manual_seed(1)
    conv = nn.Conv2d(2, 3, 3, padding=1).double()
    x = np.random.default_rng(3).standard_normal((2, 2, 5, 5))
    conv(Tensor(x)).sum().backward()
    without = conv.weight.grad.array.copy()
    conv.zero_grad()
    leaf = Tensor(x, requires_grad=True)
    conv(leaf).sum().backward()
    np.testing.assert_allclose(conv.weight.grad, without, rtol=1e-12)
    assert leaf.grad is not None and leaf.grad.shape == x.shape


def test_a_parameter_assigned_later_is_the_one_forward_reads():
    # PyTorch: Linear(bias=False) then `bias = Parameter(...)` adds the bias to the output
    layer = nn.Linear(2, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.bias = nn.Parameter(np.ones(3, np.float32))
    t = torch.nn.Linear(2, 3, bias=False)
    t.bias = torch.nn.Parameter(torch.ones(3))
    t.weight.data = torch.from_numpy(layer.weight.array.copy())
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    want = t(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), want, rtol=1e-6)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
