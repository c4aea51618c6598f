"""detect_anomaly(): the first op whose forward or backward makes NaN/Inf raises, naming the op and
the line of user code that created the tensor; outside the block the engine is untouched."""
import inspect
import re

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.autograd import Function
from tinygrad_mnist.errors import AnomalyError
from tinygrad_mnist.nn import functional as F

HERE = __file__


def line_here() -> int:
    """The line number of the caller's current line."""
    return inspect.currentframe().f_back.f_lineno


def site(line: int) -> str:
    return re.escape(f"{HERE}:{line}")


def test_forward_nan_names_the_op_and_the_line_that_made_it():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(AnomalyError, match=r"Div forward produced nan .* created at " + site(line_here() + 2)):
        with tg.detect_anomaly(), np.errstate(invalid="ignore"):
            y = x / x  # 0 / 0  # noqa: F841


def test_forward_inf_names_the_op_and_the_line_that_made_it():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with tg.detect_anomaly():
        h = x * 2
        where = site(line_here() + 2)
        with pytest.raises(AnomalyError, match=r"Log forward produced inf .*from finite inputs.*" + where):
            h.log()


def test_backward_inf_names_the_op_and_where_its_tensor_was_created():
    x = tg.tensor([0.0, 4.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x.sqrt()              # finite forward (sqrt(0) = 0), infinite derivative at 0
        made = line_here() - 1
        loss = (y * 3).sum()
        with pytest.raises(AnomalyError) as info, np.errstate(divide="ignore"):
            loss.backward()
    message = str(info.value)
    assert "Sqrt backward produced inf in the gradient of its input 0 (shape (2,))" in message
    assert "from a finite incoming gradient" in message
    assert f"the Sqrt was created at {HERE}:{made} in {inspect.currentframe().f_code.co_name}" in message
    assert "y = x.sqrt()" in message  # the source line itself


def test_nan_in_the_data_is_reported_as_coming_from_outside_the_graph_with_the_module():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = np.ones((5, 4), np.float32)
    x[2, 1] = np.nan
    with tg.detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            F.cross_entropy(model(tg.tensor(x)), np.array([0, 1, 0, 1, 1]))
        line = line_here() - 1
    assert re.search(r"Linear got nan in input 0 \(shape \(5, 4\)\), which no op .* came from outside .*"
                     + site(line) + r" in \w+ \(inside Linear.forward\)", str(info.value)), str(info.value)


def test_a_nan_seed_gradient_is_reported_as_incoming():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.detect_anomaly():
        y = x * 2
        with pytest.raises(AnomalyError, match="Mul backward produced nan .* from an incoming gradient that "
                                               "already held nan or inf"):
            y.backward(tg.tensor([np.nan, 1.0]))


def test_a_graph_built_before_the_block_is_still_checked_in_backward():
    x = tg.tensor([0.0], requires_grad=True)
    y = x.sqrt().sum()
    with tg.detect_anomaly():
        with pytest.raises(AnomalyError, match="Sqrt backward .* created before detect_anomaly\\(\\) was entered"), \
                np.errstate(divide="ignore"):
            y.backward()


def test_healthy_training_steps_pass_and_give_the_same_gradients():
    def step(anomaly: bool):
        tg.manual_seed(3)
        model = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 1), nn.Sigmoid())
        x = tg.randn(16, 6) * 1e3            # saturates the sigmoid: probabilities of exactly 0 and 1
        y = (tg.randn(16, 1) > 0).float()
        with tg.detect_anomaly() if anomaly else tg.enable_grad():
            loss = nn.BCELoss()(model(x), y)
            loss.backward()
        return loss.item(), [p.grad.data.copy() for p in model.parameters()]

    plain, checked = step(False), step(True)
    assert plain[0] == checked[0]
    for a, b in zip(plain[1], checked[1]):
        np.testing.assert_array_equal(a, b)


def test_an_infinite_mask_is_not_an_anomaly_and_second_order_works():
    x = tg.randn(3, 4, requires_grad=True)
    mask = tg.tensor(np.array([[True, False, False, False]] * 3))
    with tg.detect_anomaly():
        p = x.masked_fill(mask, float("-inf")).softmax(dim=1)
        (g,) = tg.grad((p * p).sum(), x, create_graph=True)
        g.sum().backward()
    assert np.isfinite(x.grad.data).all() and (p.data[:, 0] == 0).all()


def engine_hooks():
    return Function.__dict__["apply"], Function.__dict__["_run_backward"]


def test_off_it_costs_nothing_the_engine_is_restored_exactly():
    original = engine_hooks()
    with tg.detect_anomaly():
        inside = engine_hooks()
        with tg.detect_anomaly():           # nested: still on, then still on after the inner exit
            assert engine_hooks() == inside
        assert engine_hooks() == inside
    assert inside[0] is not original[0] and inside[1] is not original[1]
    assert engine_hooks() == original
    with pytest.raises(AnomalyError):
        with tg.detect_anomaly():
            tg.tensor([0.0]).log()
    assert engine_hooks() == original       # restored after an error too
    y = tg.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan((y / y).data[0])    # outside the block nothing is checked


def test_works_as_a_decorator():
    original = engine_hooks()

    @tg.detect_anomaly()
    def overflowing(t):
        return t * 1e30 * 1e30  # beyond float32's 3.4e38

    with pytest.raises(AnomalyError, match="Mul forward produced inf"):
        with np.errstate(over="ignore"):
            overflowing(tg.ones(2))
    assert engine_hooks() == original
