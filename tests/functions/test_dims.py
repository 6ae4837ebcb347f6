"""functions/dims.py: the number of spatial dimensions read from a batched input's rank."""

import numpy as np
import pytest

from convprop.functions.dims import SPATIAL_DIMS, spatial_dims


@pytest.mark.parametrize("shape, dims", [((2, 3, 4), 1), ((2, 3, 4, 5), 2), ((1, 1, 2, 2, 2), 3)])
def test_batch_and_channels_come_first_then_the_spatial_axes(shape, dims):
    assert spatial_dims(np.zeros(shape), "conv") == dims
    assert dims in SPATIAL_DIMS


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (1, 1, 1, 1, 1, 1)])
def test_other_ranks_are_refused_naming_the_op_and_the_shape(shape):
    with pytest.raises(ValueError) as info:
        spatial_dims(np.zeros(shape), "avg_pool")
    message = str(info.value)
    assert message.startswith("avg_pool: expected a batched 1-D, 2-D or 3-D input")
    assert str(shape) in message
