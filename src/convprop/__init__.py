"""convprop: backpropagation through convolutional neural networks, exact and fast."""

from . import kernels
from .gradcheck import GradcheckError, gradcheck
from .shapes import output_size

__version__ = "0.1.0"

__all__ = ["GradcheckError", "__version__", "gradcheck", "kernels", "output_size"]
