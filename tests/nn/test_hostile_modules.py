"""Hostile arguments to the nn modules: every refusal is a ValueError (or a TypeError for a
wrong kind) naming the module, never a ZeroDivisionError, OverflowError, MemoryError or
AttributeError; the edge cases PyTorch accepts and computes sensibly still match it."""

import math

import numpy as np
import pytest
import torch

from convprop import Tensor, nn
from convprop.nn import functional as F

CONVS = [nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d, nn.ConvTranspose2d]


# --- 1. constructors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: nn.Conv1d(0, 2, 3), ValueError, r"Conv1d: in_channels must be >= 1, got 0"),
        (lambda: nn.Conv2d(0, 2, 3), ValueError, r"Conv2d: in_channels must be >= 1, got 0"),
        (lambda: nn.Conv3d(0, 2, 2), ValueError, r"Conv3d: in_channels must be >= 1, got 0"),
        (lambda: nn.Conv2d(2, 0, 3), ValueError, r"Conv2d: out_channels must be >= 1, got 0"),
        (
            lambda: nn.ConvTranspose2d(2, 0, 3),
            ValueError,
            r"ConvTranspose2d: out_channels must be >= 1, got 0",
        ),
        (
            lambda: nn.Conv2d(2, 2, 3, groups=0),
            ValueError,
            r"Conv2d: groups must be a positive integer, got 0",
        ),
        (
            lambda: nn.ConvTranspose2d(2, 2, 3, groups=0),
            ValueError,
            r"ConvTranspose2d: groups must be a positive integer, got 0",
        ),
        (
            lambda: nn.ConvTranspose2d(2, 2, 3, groups=2**40),
            ValueError,
            r"ConvTranspose2d: groups must be at most 2\*\*31 - 1, got 1099511627776",
        ),
        (
            lambda: nn.Conv2d(3, 2, 3, groups=2),
            ValueError,
            r"Conv2d: in_channels must be divisible by groups, got in_channels=3, groups=2",
        ),
        (
            lambda: nn.Conv2d(2, 3, 3, groups=2),
            ValueError,
            r"Conv2d: out_channels must be divisible by groups, got out_channels=3, groups=2",
        ),
        (
            lambda: nn.ConvTranspose1d(4, 3, 3, groups=2),
            ValueError,
            r"ConvTranspose1d: out_channels must be divisible by groups",
        ),
        (
            lambda: nn.Conv2d(2**40, 2, 3),
            ValueError,
            r"Conv2d: in_channels must be at most 2\*\*31 - 1, got 1099511627776",
        ),
        (lambda: nn.Conv1d(2, 2**40, 3), ValueError, r"Conv1d: out_channels must be at most"),
        (
            lambda: nn.ConvTranspose2d(2**40, 2, 3),
            ValueError,
            r"ConvTranspose2d: in_channels must be at most",
        ),
        (
            lambda: nn.Conv2d(2**20, 2**20, 3),
            ValueError,
            r"Conv2d: weight \(1048576, 1048576, 3, 3\) would hold 9895604649984 elements",
        ),
        (
            lambda: nn.Linear(2**16, 2**16 + 1),
            ValueError,
            r"Linear: weight \(65537, 65536\) would hold 4295032832 elements",
        ),
        (lambda: nn.Linear(0, 2**40), ValueError, r"Linear: out_features must be at most"),
        (lambda: nn.Linear(-1, 3), ValueError, r"Linear: in_features must be >= 0, got -1"),
        (lambda: nn.Linear(2.5, 3), TypeError, r"Linear: in_features must be an integer"),
        (lambda: nn.Linear(2, 3, bias="yes"), TypeError, r"Linear: bias must be a bool"),
        (lambda: nn.Conv2d(2, 2, 3, bias=None), TypeError, r"Conv2d: bias must be a bool"),
        (lambda: nn.Conv2d(None, 2, 3), TypeError, r"Conv2d: in_channels must be an integer"),
        (lambda: nn.Conv2d(2, 2, 3, stride=0), ValueError, r"Conv2d: stride must be >= 1"),
        (lambda: nn.Conv2d(2, 2, 3, padding=-1), ValueError, r"Conv2d: padding must be >= 0"),
        (
            lambda: nn.Conv2d(2, 2, 3, padding="same", stride=2),
            ValueError,
            r"Conv2d: padding='same' requires stride 1",
        ),
        (
            lambda: nn.Conv2d(2, 2, 3, padding_mode="mirror"),
            ValueError,
            r"Conv2d: padding_mode must be one of",
        ),
        (
            lambda: nn.ConvTranspose2d(2, 2, 3, padding_mode="reflect"),
            ValueError,
            r'ConvTranspose2d: Only "zeros" padding mode is supported for ConvTranspose2d',
        ),
        (
            lambda: nn.ConvTranspose2d(2, 2, 3, output_padding=-1),
            ValueError,
            r"ConvTranspose2d: output_padding must be >= 0",
        ),
        (lambda: nn.BatchNorm2d(0), ValueError, r"BatchNorm2d: num_features must be >= 1, got 0"),
        (lambda: nn.BatchNorm2d(2**40), ValueError, r"BatchNorm2d: num_features must be at most"),
        (lambda: nn.BatchNorm2d(2, eps=-1.0), ValueError, r"BatchNorm2d: eps must be >= 0"),
        (
            lambda: nn.BatchNorm2d(2, eps=math.nan),
            ValueError,
            r"BatchNorm2d: eps must be a finite number, got nan",
        ),
        (
            lambda: nn.BatchNorm2d(2, momentum="x"),
            TypeError,
            r"BatchNorm2d: momentum must be a real number, got 'x'",
        ),
        (
            lambda: nn.BatchNorm2d(2, momentum=math.inf),
            ValueError,
            r"BatchNorm2d: momentum must be a finite number",
        ),
        (lambda: nn.BatchNorm2d(2, affine="x"), TypeError, r"BatchNorm2d: affine must be a bool"),
        (
            lambda: nn.LeakyReLU(10**400),
            ValueError,
            r"LeakyReLU: negative_slope must be a finite number, got 1000.*\(401 characters\)",
        ),
        (
            lambda: nn.LeakyReLU(math.nan),
            ValueError,
            r"LeakyReLU: negative_slope must be a finite number, got nan",
        ),
        (lambda: nn.LeakyReLU("x"), TypeError, r"LeakyReLU: negative_slope must be a real number"),
        (
            lambda: nn.Dropout(2),
            ValueError,
            r"Dropout: dropout probability has to be between 0 and 1, but got 2",
        ),
        (lambda: nn.Dropout(math.nan), ValueError, r"Dropout: p must be a finite number"),
        (lambda: nn.Dropout(None), TypeError, r"Dropout: p must be a real number, got None"),
        (lambda: nn.Flatten(2.5), TypeError, r"Flatten: start_dim must be an integer"),
        (lambda: nn.MaxPool2d(0), ValueError, r"MaxPool2d: kernel_size must be >= 1, got 0"),
        (lambda: nn.MaxPool2d(2**40), ValueError, r"MaxPool2d: kernel_size must be at most"),
        (lambda: nn.AvgPool2d(2, stride=0), ValueError, r"AvgPool2d: stride must be >= 1"),
        (
            lambda: nn.AvgPool2d(2, divisor_override=0),
            ValueError,
            r"AvgPool2d: divisor_override must be >= 1",
        ),
        (
            lambda: nn.AdaptiveAvgPool2d(0),
            ValueError,
            r"AdaptiveAvgPool2d: output_size must be >= 1",
        ),
        (lambda: nn.AdaptiveMaxPool1d("x"), TypeError, r"AdaptiveMaxPool1d: output_size must be"),
        (lambda: nn.MaxUnpool2d(2, padding=-1), ValueError, r"MaxUnpool2d: padding must be >= 0"),
        (lambda: nn.LPPool2d(0, 2), ValueError, r"LPPool2d: norm_type must be positive"),
        (lambda: nn.LPPool1d(10**400, 2), ValueError, r"LPPool1d: norm_type must be a finite"),
    ],
)
def test_constructor_refusals_name_the_module(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_a_refused_size_allocates_nothing():
    # the element count is checked before np.zeros: no MemoryError, at once
    with pytest.raises(ValueError, match="MAX_ELEMENTS"):
        nn.Conv3d(2**31 - 1, 2**31 - 1, 3)


def _copy_to_torch(ours, theirs):
    theirs.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()})


@pytest.mark.parametrize(
    "ours, theirs, shape",
    [
        (lambda: nn.Linear(0, 3), lambda: torch.nn.Linear(0, 3), (2, 0)),  # an empty sum: the bias
        (lambda: nn.Linear(3, 0), lambda: torch.nn.Linear(3, 0), (2, 3)),  # no outputs
        (
            lambda: nn.Conv2d(np.int64(4), 6, 3, groups=2),
            lambda: torch.nn.Conv2d(4, 6, 3, groups=2),
            (2, 4, 5, 5),
        ),
        (
            lambda: nn.ConvTranspose2d(4, 2, 3, groups=2, stride=2, output_padding=1),
            lambda: torch.nn.ConvTranspose2d(4, 2, 3, groups=2, stride=2, output_padding=1),
            (1, 4, 3, 3),
        ),
        (
            lambda: nn.Conv1d(1, 1, 1, bias=False),
            lambda: torch.nn.Conv1d(1, 1, 1, bias=False),
            (2, 1, 1),
        ),
        (lambda: nn.LeakyReLU(-1), lambda: torch.nn.LeakyReLU(-1), (2, 3)),
        (lambda: nn.LeakyReLU(10**30), lambda: torch.nn.LeakyReLU(1e30), (2, 3)),
        (lambda: nn.Dropout(1), lambda: torch.nn.Dropout(1), (2, 3)),
        (lambda: nn.Flatten(0), lambda: torch.nn.Flatten(0), ()),
        (lambda: nn.Flatten(-3, 1), lambda: torch.nn.Flatten(-3, 1), (2, 3, 4)),
        (
            lambda: nn.BatchNorm2d(2),
            lambda: torch.nn.BatchNorm2d(2),
            (1, 2, 1, 2),
        ),  # two values per channel are enough
    ],
)
def test_valid_edge_cases_match_torch(ours, theirs, shape):
    m, t = ours(), theirs()
    _copy_to_torch(m, t)
    if isinstance(m, nn.Dropout):
        m.eval(), t.eval()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    want = t(torch.from_numpy(x)).detach().numpy()
    got = m(Tensor(x)).array
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for k, v in t.state_dict().items():  # BatchNorm's running statistics too
        np.testing.assert_allclose(m.state_dict()[k], v.numpy(), rtol=1e-6, atol=1e-7)


def test_batchnorm_eps_zero_evaluates_but_does_not_train_as_torch():
    x = np.random.default_rng(0).standard_normal((2, 2, 3, 3)).astype(np.float32)
    m, t = nn.BatchNorm2d(2, eps=0.0).eval(), torch.nn.BatchNorm2d(2, eps=0.0).eval()
    np.testing.assert_allclose(m(Tensor(x)).array, t(torch.from_numpy(x)).detach().numpy())
    m.train()
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d: batch_norm eps must be positive during "
        r"training, but got 0\.0",
    ):
        m(Tensor(x))
    assert int(m.num_batches_tracked) == 0


def test_batchnorm_momentum_none_is_the_cumulative_average_as_torch():
    m, t = nn.BatchNorm2d(3, momentum=None), torch.nn.BatchNorm2d(3, momentum=None)
    rng = np.random.default_rng(1)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 2)).astype(np.float32)
        np.testing.assert_allclose(
            m(Tensor(x)).array, t(torch.from_numpy(x)).detach().numpy(), atol=1e-5
        )
    for k in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(m.state_dict()[k], t.state_dict()[k].numpy(), atol=1e-6)


# --- 2. forward on something that is not a tensor ------------------------------------------


@pytest.mark.parametrize(
    "module", [nn.BatchNorm2d(2), nn.Flatten()], ids=["BatchNorm2d", "Flatten"]
)
@pytest.mark.parametrize("value", [None, "x", [1.0, 2.0], 3, True], ids=repr)
def test_forward_on_a_non_tensor_is_a_type_error_naming_the_module(module, value):
    name = type(module).__name__
    with pytest.raises(TypeError, match=rf"{name}: input must be a Tensor or a NumPy array, got"):
        module(value)


def test_flatten_dims_follow_torch():
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Flatten: start_dim out of range .*\[-2, 1\].* got 5"):
        nn.Flatten(5)(x)
    with pytest.raises(IndexError):  # PyTorch refuses it too
        torch.nn.Flatten(5)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="Flatten: start_dim cannot come after end_dim"):
        nn.Flatten(1, 0)(x)
    with pytest.raises(ValueError, match="flatten: end_dim out of range"):
        F.flatten(x, 0, 2)


def test_batchnorm_refuses_the_wrong_rank_naming_the_shape():
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected \(N, 2, H, W\) input, got shape"):
        nn.BatchNorm2d(2)(Tensor(np.zeros((2, 2, 3))))


# --- 3. batch statistics of one value, or of none --------------------------------------------


@pytest.mark.parametrize("track", [True, False])
def test_batchnorm_one_value_per_channel_is_refused_as_torch(track):
    x = np.ones((1, 2, 1, 1), np.float32)
    with pytest.raises(ValueError) as theirs:
        torch.nn.BatchNorm2d(2, track_running_stats=track)(torch.from_numpy(x))
    m = nn.BatchNorm2d(2, track_running_stats=track)
    before = m.state_dict()
    with pytest.raises(ValueError) as ours:
        m(Tensor(x))
    # PyTorch's words, with convprop's way of writing the shape
    assert str(ours.value) == "BatchNorm2d: " + str(theirs.value).replace(
        "torch.Size([1, 2, 1, 1])", "(1, 2, 1, 1)"
    )
    for k, v in m.state_dict().items():  # nothing moved, num_batches_tracked included
        np.testing.assert_array_equal(v, before[k])
    with pytest.raises(ValueError, match="batch_norm: Expected more than 1 value per channel"):
        F.batch_norm(Tensor(x), np.zeros(2), np.ones(2), training=True)


def test_batchnorm_empty_batch_is_refused_and_leaves_the_statistics_alone():
    m = nn.BatchNorm2d(2)
    m(Tensor(np.random.default_rng(0).standard_normal((4, 2, 3, 3))))
    before = m.state_dict()
    with pytest.raises(
        ValueError,
        match=r"BatchNorm2d: cannot compute batch statistics of an "
        r"empty input, got input size \(2, 2, 0, 0\)",
    ):
        m(Tensor(np.zeros((2, 2, 0, 0), np.float32)))
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
        assert np.isfinite(v).all()
    running_mean, running_var = np.zeros(2), np.ones(2)
    with pytest.raises(ValueError, match="batch_norm: cannot compute batch statistics"):
        F.batch_norm(Tensor(np.zeros((0, 2, 3, 3))), running_mean, running_var, training=True)
    assert running_mean.tolist() == [0, 0] and running_var.tolist() == [1, 1]
    # evaluation normalises with the running statistics: an empty batch is an empty output
    m.eval()
    assert m(Tensor(np.zeros((2, 2, 0, 0), np.float32))).shape == (2, 2, 0, 0)
