"""The convolution and transposed convolution layers, 1-D to 3-D, with PyTorch's names,
arguments, defaults, parameter shapes and initialisation: one base per kind keyed by
`dims` (PyTorch's _ConvNd, Equinox's Conv(num_spatial_dims)) and thin subclasses; CONV and
CONV_TRANSPOSE map dims to the class.

Conv{1,2,3}d: weight (out_channels, in_channels/groups, *kernel_size); padding_mode
"zeros", "reflect", "replicate" or "circular" (the last three pad with F.pad first, then
convolve without padding, as PyTorch does). ConvTranspose{1,2,3}d: weight (in_channels,
out_channels/groups, *kernel_size).
"""

from __future__ import annotations

from typing import Any, ClassVar

from ..autograd import Tensor
from ..functions import PAD_MODES
from ..shapes import resolve_padding
from ._checks import as_bool, as_int, as_tuple, check_groups, parameter
from .functional_nd import conv, conv_relu, conv_transpose, pad
from .init import default_layer_init_
from .module import Module

PADDING_MODES = ("zeros", *PAD_MODES[1:])


class _ConvNd(Module):
    """y = conv(x, weight, bias) over `dims` spatial dimensions.

    Shape: (N, C_in, *L) -> (N, C_out, *Lo), Lo = floor((L + 2P - D(K-1) - 1)/S) + 1 per
    axis (shapes.output_size; the course's (W1 - F + 2P)/S + 1).
    """

    dims: ClassVar[int] = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        name = type(self).__name__
        in_channels = as_int(name, "in_channels", in_channels, 1)
        out_channels = as_int(name, "out_channels", out_channels, 1)
        groups = check_groups(name, in_channels, out_channels, groups)
        has_bias = as_bool(name, "bias", bias)
        if not isinstance(padding_mode, str) or padding_mode not in PADDING_MODES:
            raise ValueError(
                f"{name}: padding_mode must be one of {', '.join(PADDING_MODES)}, "
                f"got {padding_mode!r}"
            )
        kernel = as_tuple(name, "kernel_size", kernel_size, 1, self.dims)
        pairs = resolve_padding(  # checks stride, dilation and padding ('same' needs stride 1)
            name,
            padding,
            kernel,
            as_tuple(name, "stride", stride, 1, self.dims),
            as_tuple(name, "dilation", dilation, 1, self.dims),
        )
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel
        self.stride, self.padding, self.dilation, self.groups = stride, padding, dilation, groups
        self.padding_mode = padding_mode
        if padding_mode != "zeros":  # F.pad's pairs, last axis first, as PyTorch computes them
            self._pad = [v for pair in reversed(pairs) for v in pair]
        self.weight = parameter(name, "weight", out_channels, in_channels // groups, *kernel)
        self.bias = parameter(name, "bias", out_channels) if has_bias else None
        default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if self.padding_mode == "zeros":
            return conv(
                x,
                self.weight,
                self.bias,
                self.stride,
                self.padding,
                self.dilation,
                self.groups,
                dims=self.dims,
            )
        padded = pad(x, self._pad, mode=self.padding_mode)
        return conv(
            padded,
            self.weight,
            self.bias,
            self.stride,
            0,
            self.dilation,
            self.groups,
            dims=self.dims,
        )

    def relu_forward(self, x: Tensor) -> Tensor:
        """relu(self(x)) as one op: nn.Sequential runs a Conv followed by a ReLU so."""
        padding = self.padding
        if self.padding_mode != "zeros":
            x, padding = pad(x, self._pad, mode=self.padding_mode), 0
        args = (self.weight, self.bias, self.stride, padding, self.dilation, self.groups)
        return conv_relu(x, *args, dims=self.dims)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        text += f", stride={self.stride}"
        if self.padding != 0:
            text += f", padding={self.padding}"
        if self.dilation != 1:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode!r}"
        return text + ("" if self.bias is not None else ", bias=False")


class Conv1d(_ConvNd):
    """y = conv1d(x, weight, bias): (N, C_in, L) -> (N, C_out, Lo)."""

    dims = 1


class Conv2d(_ConvNd):
    """y = conv2d(x, weight, bias); weight (out_channels, in_channels/groups, kH, kW).

    Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo), Ho = floor((H + 2P - D(K-1) - 1)/S) + 1.
    """

    dims = 2


class Conv3d(_ConvNd):
    """y = conv3d(x, weight, bias): (N, C_in, D, H, W) -> (N, C_out, Do, Ho, Wo)."""

    dims = 3


class _ConvTransposeNd(Module):
    """The adjoint of _ConvNd over `dims` spatial dimensions.

    Shape: (N, C_in, *L) -> (N, C_out, *Lo), Lo = (L-1)S - 2P + D(K-1) + output_padding + 1
    per axis (shapes.transposed_size).
    """

    dims: ClassVar[int] = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        name = type(self).__name__
        in_channels = as_int(name, "in_channels", in_channels, 1)
        out_channels = as_int(name, "out_channels", out_channels, 1)
        groups = check_groups(name, in_channels, out_channels, groups)
        has_bias = as_bool(name, "bias", bias)
        if not (isinstance(padding_mode, str) and padding_mode == "zeros"):
            raise ValueError(
                f'{name}: Only "zeros" padding mode is supported for {name}, '
                f"got padding_mode={padding_mode!r}"
            )
        kernel = as_tuple(name, "kernel_size", kernel_size, 1, self.dims)
        as_tuple(name, "stride", stride, 1, self.dims)
        as_tuple(name, "padding", padding, 0, self.dims)
        as_tuple(name, "output_padding", output_padding, 0, self.dims)
        as_tuple(name, "dilation", dilation, 1, self.dims)
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation = groups, dilation
        self.weight = parameter(name, "weight", in_channels, out_channels // groups, *kernel)
        self.bias = parameter(name, "bias", out_channels) if has_bias else None
        default_layer_init_(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return conv_transpose(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
            dims=self.dims,
        )

    def extra_repr(self) -> str:
        sizes = f"{self.in_channels}, {self.out_channels}"
        return f"{sizes}, kernel_size={self.kernel_size}, stride={self.stride}"


class ConvTranspose1d(_ConvTransposeNd):
    """The adjoint of Conv1d: (N, C_in, L) -> (N, C_out, Lo)."""

    dims = 1


class ConvTranspose2d(_ConvTransposeNd):
    """The adjoint of Conv2d; weight (in_channels, out_channels/groups, kH, kW).

    Shape: (N, C_in, H, W) -> (N, C_out, Ho, Wo), Ho = (H-1)S - 2P + D(K-1) + output_padding + 1.
    """

    dims = 2


class ConvTranspose3d(_ConvTransposeNd):
    """The adjoint of Conv3d: (N, C_in, D, H, W) -> (N, C_out, Do, Ho, Wo)."""

    dims = 3


CONV: dict[int, type[_ConvNd]] = {cls.dims: cls for cls in (Conv1d, Conv2d, Conv3d)}
CONV_TRANSPOSE: dict[int, type[_ConvTransposeNd]] = {
    cls.dims: cls for cls in (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)
}
