"""optim/optimizer.py: what every optimizer shares: parameter groups filled from the
defaults, zero_grad either way, a state_dict that is a copy, and load_state_dict's checks."""

import numpy as np
import pytest

from convprop import Tensor, nn, optim
from convprop.autograd import Parameter
from convprop.optim import Optimizer


def test_groups_take_the_defaults_they_do_not_set_and_remember_their_initial_lr():
    p, q = Parameter(np.ones(1)), Parameter(np.ones(1))
    opt = optim.SGD([{"params": [p]}, {"params": (q,), "lr": 0.5, "momentum": 0.9}], lr=0.1)
    first, second = opt.param_groups
    assert first["lr"] == first["initial_lr"] == 0.1 and first["momentum"] == 0.0
    assert second["lr"] == second["initial_lr"] == 0.5 and second["momentum"] == 0.9
    assert second["params"] == [q] and isinstance(second["params"], list)


def test_a_generator_of_parameters_is_taken_whole():
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1)  # a generator, read once
    assert len(opt.param_groups[0]["params"]) == 2


def test_zero_grad_sets_to_none_or_zeroes_in_place():
    p = Parameter(np.ones(3))
    opt = optim.SGD([p], lr=0.1)
    grad = np.full(3, 2.0)
    p.grad = Tensor(grad)
    opt.zero_grad(set_to_none=False)
    assert p.grad.array is grad and not grad.any()  # the same array, zeroed
    opt.zero_grad()
    assert p.grad is None
    opt.zero_grad(set_to_none=False)  # nothing to zero: no error, still None
    assert p.grad is None


def test_the_state_dict_is_a_copy_the_optimizer_keeps_no_hold_on():
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = Tensor(np.ones(2))
    opt.step()
    saved = opt.state_dict()
    before = saved["state"][0]["momentum_buffer"].copy()
    opt.step()  # the live buffer changes in place
    np.testing.assert_array_equal(saved["state"][0]["momentum_buffer"], before)
    assert "params" not in saved["param_groups"][0] and saved["param_groups"][0]["lr"] == 0.1


def test_state_keys_may_come_back_as_strings():
    # a checkpoint format that writes keys as text: "0" is parameter 0
    p = Parameter(np.ones(2))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = Tensor(np.ones(2))
    opt.step()
    saved = opt.state_dict()
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    other = optim.SGD([Parameter(np.ones(2))], lr=0.1, momentum=0.9)
    other.load_state_dict(saved)
    np.testing.assert_array_equal(other.state[0]["momentum_buffer"], [1.0, 1.0])


def test_loading_a_state_of_another_shape_of_optimizer_is_refused():
    p, q = Parameter(np.ones(1)), Parameter(np.ones(1))
    two_groups = optim.SGD([{"params": [p]}, {"params": [q]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match=r"SGD.load_state_dict: 2 parameter groups saved, 1 here"):
        optim.SGD([p], lr=0.1).load_state_dict(two_groups)
    foreign = {"param_groups": [{"lr": 0.1}], "state": {3: {"momentum_buffer": np.ones(1)}}}
    with pytest.raises(ValueError, match=r"state for parameter 3 unknown"):
        optim.SGD([p], lr=0.1).load_state_dict(foreign)


def test_loading_restores_the_saved_hyper_parameters():
    p = Parameter(np.ones(1))
    saved = optim.SGD([p], lr=0.01, momentum=0.5).state_dict()
    opt = optim.SGD([p], lr=1.0, momentum=0.5)
    opt.load_state_dict(saved)
    assert opt.param_groups[0]["lr"] == 0.01 and opt.param_groups[0]["params"] == [p]


def test_the_base_class_has_no_update_rule():
    p = Parameter(np.ones(1))
    opt = Optimizer([p], dict(lr=0.1))
    p.grad = Tensor(np.ones(1))
    with pytest.raises(NotImplementedError):
        opt.step()
