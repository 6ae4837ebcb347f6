"""The differentiable CNN ops (Functions over convprop.kernels), so the course's gradients
are the ones that train the network.

Each op validates once: its forward calls a checked kernel entry that returns the output
with what the backward needs (the geometry, the chosen algorithm, the switches, the
divisors), and its backward calls the unchecked primitives with them.
"""

from ..autograd.ops import Sigmoid, Tanh
from .activation import ELU, GELU, Hardtanh, LeakyReLU, LogSoftmax, ReLU, SiLU
from .conv import Conv, ConvTranspose
from .norm import BatchNorm
from .pad import PAD_MODES, Pad
from .pool import AdaptiveAvgPool, AdaptiveMaxPool, AvgPool, LPPool, MaxPool, MaxUnpool

__all__ = [
    "ELU",
    "GELU",
    "PAD_MODES",
    "AdaptiveAvgPool",
    "AdaptiveMaxPool",
    "AvgPool",
    "BatchNorm",
    "Conv",
    "ConvTranspose",
    "Hardtanh",
    "LPPool",
    "LeakyReLU",
    "LogSoftmax",
    "MaxPool",
    "MaxUnpool",
    "Pad",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Tanh",
]
