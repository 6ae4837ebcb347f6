"""The public signatures of nn.functional's generated 1-D to 3-D family and of every nn
module's constructor (and forward), captured from the hand-written code before the N-d
table replaced it (issue 15); the modules' reprs and state_dict keys with them."""

from __future__ import annotations

import inspect
import sys

import pytest

import convprop.nn as nn
import convprop.nn.functional as F

FUNCTIONS = {
    "conv1d": (
        "(input: 'Tensor', weight: 'Tensor', bias: 'Tensor | None' = None, stride: 'Any' = 1, "
        "padding: 'Any' = 0, dilation: 'Any' = 1, groups: 'int' = 1) -> 'Tensor'"
    ),
    "conv2d": (
        "(input: 'Tensor', weight: 'Tensor', bias: 'Tensor | None' = None, stride: 'Any' = 1, "
        "padding: 'Any' = 0, dilation: 'Any' = 1, groups: 'int' = 1) -> 'Tensor'"
    ),
    "conv3d": (
        "(input: 'Tensor', weight: 'Tensor', bias: 'Tensor | None' = None, stride: 'Any' = 1, "
        "padding: 'Any' = 0, dilation: 'Any' = 1, groups: 'int' = 1) -> 'Tensor'"
    ),
    "conv_transpose1d": (
        "(input: 'Tensor', weight: 'Tensor', bias: 'Tensor | None' = None, stride: 'Any' = 1, "
        "padding: 'Any' = 0, output_padding: 'Any' = 0, groups: 'int' = 1, dilation: 'Any' = 1) "
        "-> 'Tensor'"
    ),
    "conv_transpose2d": (
        "(input: 'Tensor', weight: 'Tensor', bias: 'Tensor | None' = None, stride: 'Any' = 1, "
        "padding: 'Any' = 0, output_padding: 'Any' = 0, groups: 'int' = 1, dilation: 'Any' = 1) "
        "-> 'Tensor'"
    ),
    "conv_transpose3d": (
        "(input: 'Tensor', weight: 'Tensor', bias: 'Tensor | None' = None, stride: 'Any' = 1, "
        "padding: 'Any' = 0, output_padding: 'Any' = 0, groups: 'int' = 1, dilation: 'Any' = 1) "
        "-> 'Tensor'"
    ),
    "max_pool1d": (
        "(input: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, "
        "dilation: 'Any' = 1, ceil_mode: 'bool' = False, return_indices: 'bool' = False, *, "
        "ties: 'str' = 'first') -> 'Any'"
    ),
    "max_pool2d": (
        "(input: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, "
        "dilation: 'Any' = 1, ceil_mode: 'bool' = False, return_indices: 'bool' = False, *, "
        "ties: 'str' = 'first') -> 'Any'"
    ),
    "max_pool3d": (
        "(input: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, "
        "dilation: 'Any' = 1, ceil_mode: 'bool' = False, return_indices: 'bool' = False, *, "
        "ties: 'str' = 'first') -> 'Any'"
    ),
    "avg_pool1d": (
        "(input: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, "
        "ceil_mode: 'bool' = False, count_include_pad: 'bool' = True, divisor_override: 'int | "
        "None' = None, *, dilation: 'Any' = 1) -> 'Tensor'"
    ),
    "avg_pool2d": (
        "(input: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, "
        "ceil_mode: 'bool' = False, count_include_pad: 'bool' = True, divisor_override: 'int | "
        "None' = None, *, dilation: 'Any' = 1) -> 'Tensor'"
    ),
    "avg_pool3d": (
        "(input: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, "
        "ceil_mode: 'bool' = False, count_include_pad: 'bool' = True, divisor_override: 'int | "
        "None' = None, *, dilation: 'Any' = 1) -> 'Tensor'"
    ),
    "lp_pool1d": (
        "(input: 'Tensor', norm_type: 'float', kernel_size: 'Any', stride: 'Any' = None, "
        "ceil_mode: 'bool' = False, *, dilation: 'Any' = 1, absolute: 'bool' = False) -> "
        "'Tensor'"
    ),
    "lp_pool2d": (
        "(input: 'Tensor', norm_type: 'float', kernel_size: 'Any', stride: 'Any' = None, "
        "ceil_mode: 'bool' = False, *, dilation: 'Any' = 1, absolute: 'bool' = False) -> "
        "'Tensor'"
    ),
    "lp_pool3d": (
        "(input: 'Tensor', norm_type: 'float', kernel_size: 'Any', stride: 'Any' = None, "
        "ceil_mode: 'bool' = False, *, dilation: 'Any' = 1, absolute: 'bool' = False) -> "
        "'Tensor'"
    ),
    "max_unpool1d": (
        "(input: 'Tensor', indices: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, "
        "padding: 'Any' = 0, output_size: 'Any' = None) -> 'Tensor'"
    ),
    "max_unpool2d": (
        "(input: 'Tensor', indices: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, "
        "padding: 'Any' = 0, output_size: 'Any' = None) -> 'Tensor'"
    ),
    "max_unpool3d": (
        "(input: 'Tensor', indices: 'Tensor', kernel_size: 'Any', stride: 'Any' = None, "
        "padding: 'Any' = 0, output_size: 'Any' = None) -> 'Tensor'"
    ),
    "adaptive_avg_pool1d": "(input: 'Tensor', output_size: 'Any') -> 'Tensor'",
    "adaptive_avg_pool2d": "(input: 'Tensor', output_size: 'Any') -> 'Tensor'",
    "adaptive_avg_pool3d": "(input: 'Tensor', output_size: 'Any') -> 'Tensor'",
    "adaptive_max_pool1d": (
        "(input: 'Tensor', output_size: 'Any', return_indices: 'bool' = False) -> 'Any'"
    ),
    "adaptive_max_pool2d": (
        "(input: 'Tensor', output_size: 'Any', return_indices: 'bool' = False) -> 'Any'"
    ),
    "adaptive_max_pool3d": (
        "(input: 'Tensor', output_size: 'Any', return_indices: 'bool' = False) -> 'Any'"
    ),
}

MODULES = {
    "AdaptiveAvgPool1d": "(self, output_size: 'Any') -> 'None'",
    "AdaptiveAvgPool2d": "(self, output_size: 'Any') -> 'None'",
    "AdaptiveAvgPool3d": "(self, output_size: 'Any') -> 'None'",
    "AdaptiveMaxPool1d": ("(self, output_size: 'Any', return_indices: 'bool' = False) -> 'None'"),
    "AdaptiveMaxPool2d": ("(self, output_size: 'Any', return_indices: 'bool' = False) -> 'None'"),
    "AdaptiveMaxPool3d": ("(self, output_size: 'Any', return_indices: 'bool' = False) -> 'None'"),
    "AvgPool1d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, ceil_mode: 'bool' "
        "= False, count_include_pad: 'bool' = True) -> 'None'"
    ),
    "AvgPool2d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, ceil_mode: 'bool' "
        "= False, count_include_pad: 'bool' = True, divisor_override: 'int | None' = None) -> "
        "'None'"
    ),
    "AvgPool3d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, ceil_mode: 'bool' "
        "= False, count_include_pad: 'bool' = True, divisor_override: 'int | None' = None) -> "
        "'None'"
    ),
    "BatchNorm2d": (
        "(self, num_features: 'int', eps: 'float' = 1e-05, momentum: 'float | None' = 0.1, "
        "affine: 'bool' = True, track_running_stats: 'bool' = True) -> 'None'"
    ),
    "Conv1d": (
        "(self, in_channels: 'int', out_channels: 'int', kernel_size: 'Any', stride: 'Any' = 1, "
        "padding: 'Any' = 0, dilation: 'Any' = 1, groups: 'int' = 1, bias: 'bool' = True, "
        "padding_mode: 'str' = 'zeros') -> 'None'"
    ),
    "Conv2d": (
        "(self, in_channels: 'int', out_channels: 'int', kernel_size: 'Any', stride: 'Any' = 1, "
        "padding: 'Any' = 0, dilation: 'Any' = 1, groups: 'int' = 1, bias: 'bool' = True, "
        "padding_mode: 'str' = 'zeros') -> 'None'"
    ),
    "Conv3d": (
        "(self, in_channels: 'int', out_channels: 'int', kernel_size: 'Any', stride: 'Any' = 1, "
        "padding: 'Any' = 0, dilation: 'Any' = 1, groups: 'int' = 1, bias: 'bool' = True, "
        "padding_mode: 'str' = 'zeros') -> 'None'"
    ),
    "ConvTranspose1d": (
        "(self, in_channels: 'int', out_channels: 'int', kernel_size: 'Any', stride: 'Any' = 1, "
        "padding: 'Any' = 0, output_padding: 'Any' = 0, groups: 'int' = 1, bias: 'bool' = True, "
        "dilation: 'Any' = 1, padding_mode: 'str' = 'zeros') -> 'None'"
    ),
    "ConvTranspose2d": (
        "(self, in_channels: 'int', out_channels: 'int', kernel_size: 'Any', stride: 'Any' = 1, "
        "padding: 'Any' = 0, output_padding: 'Any' = 0, groups: 'int' = 1, bias: 'bool' = True, "
        "dilation: 'Any' = 1, padding_mode: 'str' = 'zeros') -> 'None'"
    ),
    "ConvTranspose3d": (
        "(self, in_channels: 'int', out_channels: 'int', kernel_size: 'Any', stride: 'Any' = 1, "
        "padding: 'Any' = 0, output_padding: 'Any' = 0, groups: 'int' = 1, bias: 'bool' = True, "
        "dilation: 'Any' = 1, padding_mode: 'str' = 'zeros') -> 'None'"
    ),
    "Dropout": "(self, p: 'float' = 0.5, inplace: 'bool' = False) -> 'None'",
    "Flatten": "(self, start_dim: 'int' = 1, end_dim: 'int' = -1) -> 'None'",
    "GlobalAvgPool": "() -> 'AdaptiveAvgPool2d'",
    "LPPool1d": (
        "(self, norm_type: 'float', kernel_size: 'Any', stride: 'Any' = None, ceil_mode: 'bool' "
        "= False) -> 'None'"
    ),
    "LPPool2d": (
        "(self, norm_type: 'float', kernel_size: 'Any', stride: 'Any' = None, ceil_mode: 'bool' "
        "= False) -> 'None'"
    ),
    "LPPool3d": (
        "(self, norm_type: 'float', kernel_size: 'Any', stride: 'Any' = None, ceil_mode: 'bool' "
        "= False) -> 'None'"
    ),
    "LeakyReLU": ("(self, negative_slope: 'float' = 0.01, inplace: 'bool' = False) -> 'None'"),
    "Linear": ("(self, in_features: 'int', out_features: 'int', bias: 'bool' = True) -> 'None'"),
    "MaxPool1d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, dilation: 'Any' = "
        "1, return_indices: 'bool' = False, ceil_mode: 'bool' = False, *, ties: 'str' = "
        "'first') -> 'None'"
    ),
    "MaxPool2d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, dilation: 'Any' = "
        "1, return_indices: 'bool' = False, ceil_mode: 'bool' = False, *, ties: 'str' = "
        "'first') -> 'None'"
    ),
    "MaxPool3d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0, dilation: 'Any' = "
        "1, return_indices: 'bool' = False, ceil_mode: 'bool' = False, *, ties: 'str' = "
        "'first') -> 'None'"
    ),
    "MaxUnpool1d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0) -> 'None'"
    ),
    "MaxUnpool2d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0) -> 'None'"
    ),
    "MaxUnpool3d": (
        "(self, kernel_size: 'Any', stride: 'Any' = None, padding: 'Any' = 0) -> 'None'"
    ),
    "Module": "(self) -> 'None'",
    "Parameter": "(self, data: 'Any', requires_grad: 'bool' = True) -> 'None'",
    "ReLU": "(self, inplace: 'bool' = False) -> 'None'",
    "Sequential": "(self, *modules: 'Module') -> 'None'",
    "Sigmoid": "(self) -> 'None'",
    "Tanh": "(self) -> 'None'",
}

FORWARDS = {
    "AdaptiveAvgPool1d": "(self, x: 'Tensor') -> 'Tensor'",
    "AdaptiveAvgPool2d": "(self, x: 'Tensor') -> 'Tensor'",
    "AdaptiveAvgPool3d": "(self, x: 'Tensor') -> 'Tensor'",
    "AdaptiveMaxPool1d": "(self, x: 'Tensor') -> 'Any'",
    "AdaptiveMaxPool2d": "(self, x: 'Tensor') -> 'Any'",
    "AdaptiveMaxPool3d": "(self, x: 'Tensor') -> 'Any'",
    "AvgPool1d": "(self, x: 'Tensor') -> 'Tensor'",
    "AvgPool2d": "(self, x: 'Tensor') -> 'Tensor'",
    "AvgPool3d": "(self, x: 'Tensor') -> 'Tensor'",
    "BatchNorm2d": "(self, x: 'Tensor') -> 'Tensor'",
    "Conv1d": "(self, x: 'Tensor') -> 'Tensor'",
    "Conv2d": "(self, x: 'Tensor') -> 'Tensor'",
    "Conv3d": "(self, x: 'Tensor') -> 'Tensor'",
    "ConvTranspose1d": "(self, x: 'Tensor') -> 'Tensor'",
    "ConvTranspose2d": "(self, x: 'Tensor') -> 'Tensor'",
    "ConvTranspose3d": "(self, x: 'Tensor') -> 'Tensor'",
    "Dropout": "(self, x: 'Tensor') -> 'Tensor'",
    "Flatten": "(self, x: 'Tensor') -> 'Tensor'",
    "LPPool1d": "(self, x: 'Tensor') -> 'Tensor'",
    "LPPool2d": "(self, x: 'Tensor') -> 'Tensor'",
    "LPPool3d": "(self, x: 'Tensor') -> 'Tensor'",
    "LeakyReLU": "(self, x: 'Tensor') -> 'Tensor'",
    "Linear": "(self, x: 'Tensor') -> 'Tensor'",
    "MaxPool1d": "(self, x: 'Tensor') -> 'Any'",
    "MaxPool2d": "(self, x: 'Tensor') -> 'Any'",
    "MaxPool3d": "(self, x: 'Tensor') -> 'Any'",
    "MaxUnpool1d": (
        "(self, x: 'Tensor', indices: 'Tensor', output_size: 'Any' = None) -> 'Tensor'"
    ),
    "MaxUnpool2d": (
        "(self, x: 'Tensor', indices: 'Tensor', output_size: 'Any' = None) -> 'Tensor'"
    ),
    "MaxUnpool3d": (
        "(self, x: 'Tensor', indices: 'Tensor', output_size: 'Any' = None) -> 'Tensor'"
    ),
    "Module": "(self, *args: 'Any', **kwargs: 'Any') -> 'Any'",
    "ReLU": "(self, x: 'Tensor') -> 'Tensor'",
    "Sequential": "(self, x: 'Any') -> 'Any'",
    "Sigmoid": "(self, x: 'Tensor') -> 'Tensor'",
    "Tanh": "(self, x: 'Tensor') -> 'Tensor'",
}

REPRS = [
    ("Conv1d", "(2, 4, 3)", "Conv1d(2, 4, kernel_size=(3,), stride=1)", ["weight", "bias"]),
    (
        "Conv2d",
        (
            "(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False, "
            "padding_mode='reflect')"
        ),
        (
            "Conv2d(2, 4, kernel_size=(3, 3), stride=2, padding=1, dilation=2, groups=2, "
            "padding_mode='reflect', bias=False)"
        ),
        ["weight"],
    ),
    (
        "Conv3d",
        "(1, 1, (1, 2, 3))",
        "Conv3d(1, 1, kernel_size=(1, 2, 3), stride=1)",
        ["weight", "bias"],
    ),
    (
        "ConvTranspose1d",
        "(2, 4, 3)",
        "ConvTranspose1d(2, 4, kernel_size=(3,), stride=1)",
        ["weight", "bias"],
    ),
    (
        "ConvTranspose2d",
        ("(2, 4, 3, stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2)"),
        "ConvTranspose2d(2, 4, kernel_size=(3, 3), stride=2)",
        ["weight"],
    ),
    (
        "ConvTranspose3d",
        "(1, 2, 2)",
        "ConvTranspose3d(1, 2, kernel_size=(2, 2, 2), stride=1)",
        ["weight", "bias"],
    ),
    (
        "MaxPool1d",
        "(2)",
        ("MaxPool1d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
        [],
    ),
    (
        "MaxPool2d",
        "(3, 2, 1, 2, True, True, ties='split')",
        ("MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)"),
        [],
    ),
    (
        "MaxPool3d",
        "((1, 2, 2))",
        (
            "MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=0, dilation=1, "
            "ceil_mode=False)"
        ),
        [],
    ),
    ("AvgPool1d", "(3, 1, 1, True, False)", "AvgPool1d(kernel_size=3, stride=1, padding=1)", []),
    ("AvgPool2d", "(2, divisor_override=3)", "AvgPool2d(kernel_size=2, stride=2, padding=0)", []),
    ("AvgPool3d", "(2, 1)", "AvgPool3d(kernel_size=2, stride=1, padding=0)", []),
    ("LPPool1d", "(2, 3)", "LPPool1d(norm_type=2, kernel_size=3, stride=None)", []),
    ("LPPool2d", "(1.5, 2, 1, True)", "LPPool2d(norm_type=1.5, kernel_size=2, stride=1)", []),
    ("LPPool3d", "(3, (1, 2, 2))", "LPPool3d(norm_type=3, kernel_size=(1, 2, 2), stride=None)", []),
    ("AdaptiveAvgPool1d", "(4)", "AdaptiveAvgPool1d(output_size=4)", []),
    ("AdaptiveAvgPool2d", "((None, 3))", "AdaptiveAvgPool2d(output_size=(None, 3))", []),
    ("AdaptiveAvgPool3d", "(1)", "AdaptiveAvgPool3d(output_size=1)", []),
    ("AdaptiveMaxPool1d", "(2, True)", "AdaptiveMaxPool1d(output_size=2)", []),
    ("AdaptiveMaxPool2d", "(3)", "AdaptiveMaxPool2d(output_size=3)", []),
    ("AdaptiveMaxPool3d", "((1, 2, None))", "AdaptiveMaxPool3d(output_size=(1, 2, None))", []),
    ("MaxUnpool1d", "(2)", "MaxUnpool1d(kernel_size=2, stride=2, padding=0)", []),
    ("MaxUnpool2d", "(3, 2, 1)", "MaxUnpool2d(kernel_size=3, stride=2, padding=1)", []),
    (
        "MaxUnpool3d",
        "((1, 2, 2))",
        "MaxUnpool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2), padding=0)",
        [],
    ),
    ("GlobalAvgPool", "()", "AdaptiveAvgPool2d(output_size=1)", []),
]

FUNCTIONAL_NAMES = (
    "MAX_INT Tensor adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d "
    "adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool3d as_float as_int avg_pool1d "
    "avg_pool2d avg_pool3d batch_norm check_batch_statistics check_dropout_p conv1d conv2d "
    "conv3d conv_transpose1d conv_transpose2d conv_transpose3d cross_entropy dropout flatten "
    "flatten_as fmt generator leaky_relu linear log_softmax lp_pool1d lp_pool2d lp_pool3d "
    "max_pool1d max_pool2d max_pool3d max_unpool1d max_unpool2d max_unpool3d mse_loss nll_loss "
    "pad relu sigmoid softmax tanh tensor_arg"
).split()


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_generated_functional_signature(name: str) -> None:
    f = getattr(F, name)
    assert str(inspect.signature(f)) == FUNCTIONS[name]
    assert f.__name__ == f.__qualname__ == name
    assert getattr(sys.modules[f.__module__], f.__qualname__) is f  # importable where it says
    assert f.__doc__ and f.__doc__.strip()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_constructor_signature(name: str) -> None:
    made = getattr(nn, name)
    init = made.__init__ if isinstance(made, type) else made
    assert str(inspect.signature(init)) == MODULES[name]
    assert made.__name__ == made.__qualname__ == name
    assert getattr(sys.modules[made.__module__], name) is made  # importable where it says


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_module_forward_signature(name: str) -> None:
    assert str(inspect.signature(getattr(nn, name).forward)) == FORWARDS[name]


@pytest.mark.parametrize(("name", "args", "text", "keys"), REPRS)
def test_module_repr_and_state_dict_keys(name: str, args: str, text: str, keys: list[str]) -> None:
    module = eval(f"nn.{name}{args}")
    assert repr(module) == text
    assert list(module.state_dict()) == keys


def test_functional_names_unchanged() -> None:
    assert [n for n in FUNCTIONAL_NAMES if not hasattr(F, n)] == []
    assert set(F.__all__) <= set(FUNCTIONAL_NAMES)
