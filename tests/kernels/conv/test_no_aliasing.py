"""What a kernel returns is the caller's own: never a view of a reused workspace buffer,
which the next call would overwrite (found: with the compiled columns, batch_inner's dL/dX
of a one-channel, one-pixel layer was a view of the buffer that dL/dW's fill then filled
with X, so conv1d_backward returned X as dL/dX)."""

import numpy as np
import pytest

from convprop import kernels as K

from ...helpers import assert_close

# (x shape, w shape, stride, padding, dilation): the one-pixel layer that was wrong, a
# narrow one (batch_inner's layout) and a wide one (NCHW columns)
LAYERS = [
    ((2, 1, 1), (1, 1, 1), 2, 1, 2),
    ((2, 1, 1, 1), (1, 1, 1, 1), 2, 1, 2),
    ((3, 2, 5, 5), (4, 2, 3, 3), 1, 1, 1),
    ((2, 3, 20, 20), (4, 3, 3, 3), 2, 1, 1),
]


# every algorithm with the compiled kernels on, and the NumPy ones with them off
RUNS = [(a, "1") for a in ("im2col", "batch_inner", "fft", "numba")]
RUNS += [(a, "0") for a in ("im2col", "batch_inner", "fft")]


@pytest.mark.parametrize(("algorithm", "jit"), RUNS)
@pytest.mark.parametrize("layer", LAYERS)
def test_backward_results_survive_the_next_call_and_equal_the_reference(
    layer, algorithm, jit, monkeypatch
):
    monkeypatch.setenv("CONVPROP_JIT", jit)
    x_shape, w_shape, stride, padding, dilation = layer
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    conv, backward = (
        (K.conv1d, K.conv1d_backward) if len(x_shape) == 3 else (K.conv2d, K.conv2d_backward)
    )
    args = (stride, padding, dilation)
    y = conv(x, w, None, *args, algorithm=algorithm)
    gy = rng.standard_normal(y.shape)
    grads = backward(gy, x, w, *args, algorithm=algorithm)
    kept = [g.copy() for g in grads]
    conv(-x, 2 * w, None, *args, algorithm=algorithm)  # fills every buffer with other values
    backward(-gy, -x, 2 * w, *args, algorithm=algorithm)
    want = backward(gy, x, w, *args, algorithm="direct")
    for got, copy, reference in zip(grads, kept, want, strict=True):
        np.testing.assert_array_equal(got, copy)  # unchanged by the later calls
        assert_close(got, reference)
