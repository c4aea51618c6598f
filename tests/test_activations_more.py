"""What is particular to SELU, CELU, Mish, Hardswish, Hardsigmoid, Softsign, Tanhshrink, Softshrink, Hardshrink,
Threshold and PReLU, against torch: where torch is not the oracle, piecewise-linear second order, integer inputs,
PReLU's weights and bad arguments (the tests every activation shares are in test_activations.py)."""
import math

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.errors import ConfigError, DTypeError, OutOfRangeError, ShapeError
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch

from test_activations import ACTIVATIONS, refused_by_both, ulps, values
from test_second_order import X, arr, check_second_order, first_and_second

TF = torch.nn.functional
pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")]

@pytest.mark.parametrize("name, expected", [("selu", 1.0507009873554805), ("celu", 1.0), ("hardswish", 1.0),
                                            ("softshrink", 1.0), ("hardshrink", 1.0)])
def test_gradient_at_nan_is_one_of_torchs_two(name, expected):
    # torch's vectorized loop gives one value, its scalar loop (a tensor's last few elements) the other
    # (NaN for selu, celu and hardswish, 0 for the shrinks); here always the scalar loop's value
    ours, theirs = ACTIVATIONS[name]
    seen = set()
    for n in (1, 3, 17, 40):
        t = torch.full((n,), np.nan, dtype=torch.float64, requires_grad=True)
        theirs(t).sum().backward()
        seen |= {"nan" if math.isnan(v) else v for v in t.grad.tolist()}
    assert len(seen) == 2 and expected in seen
    x = tg.tensor([np.nan, 0.25, np.nan], requires_grad=True)
    y = ours(x)
    y.sum().backward()
    assert math.isnan(y.tolist()[0]) and x.grad.tolist()[0] == x.grad.tolist()[2] == pytest.approx(expected)


def test_softsign_is_its_limit_at_infinity_where_torchs_is_nan():
    # torch computes x / (|x| + 1), inf / inf = NaN at +-inf; the limit, and the value at the largest
    # finite inputs, is +-1, with slope 0
    t = torch.tensor([np.inf, -np.inf], requires_grad=True)
    TF.softsign(t).sum().backward()
    assert np.isnan(t.detach().numpy()).sum() == 0 and np.isnan(TF.softsign(t).detach().numpy()).all()
    x = tg.tensor([np.inf, -np.inf, 3e38, -3e38], requires_grad=True)
    y = F.softsign(x)
    y.sum().backward()
    assert y.tolist() == [1.0, -1.0, 1.0, -1.0] and x.grad.tolist() == [0.0] * 4


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hardswish_of_the_largest_inputs_is_finite_where_torchs_overflows(dtype):
    big = np.finfo(dtype).max / 2
    assert torch.isinf(TF.hardswish(torch.tensor([big]))).all()  # torch: (x relu6(x + 3)) / 6, 6x = inf
    x = tg.tensor(np.array([big, -big], dtype), requires_grad=True)
    y = F.hardswish(x)
    y.sum().backward()
    assert y.tolist() == [dtype(big), 0.0] and x.grad.tolist() == [1.0, 0.0]


PIECEWISE = [  # the ops whose derivative is piecewise constant: torch's first gradient still depends on x
    ("softshrink", lambda lib, x: lib.nn.functional.softshrink(x, 0.8)),
    ("hardshrink", lambda lib, x: lib.nn.functional.hardshrink(x, 0.8)),
    ("threshold", lambda lib, x: lib.nn.functional.threshold(x, 0.5, -2.0)),
    ("prelu", lambda lib, x: lib.nn.functional.prelu(x, lib.tensor([0.3], dtype=x.dtype))),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, op", PIECEWISE, ids=[p[0] for p in PIECEWISE])
def test_the_gradient_of_a_piecewise_linear_op_depends_on_its_input_as_in_torch(name, op, dtype):
    theirs_x = torch.tensor(X, dtype=getattr(torch, dtype), requires_grad=True)
    (tplain,) = torch.autograd.grad(op(torch, theirs_x).sum(), theirs_x, create_graph=True)
    ours_x = tg.tensor(X, dtype=getattr(tg, dtype), requires_grad=True)
    (plain,) = tg.grad(op(tg, ours_x).sum(), ours_x, create_graph=True)
    assert plain.requires_grad is tplain.requires_grad is True
    np.testing.assert_array_equal(plain.detach().numpy(), tplain.detach().numpy())
    g, hx, hv = first_and_second(tg, op, X, getattr(tg, dtype))
    tg_, thx, thv = first_and_second(torch, op, X, getattr(torch, dtype))
    for ours, theirs, what in [(g, tg_, "gradient"), (hv, thv, "d/dv"), (hx, thx, "d/dx")]:
        np.testing.assert_allclose(ours.detach().numpy(), theirs.numpy(force=True), rtol=1e-6, atol=0, err_msg=what)


def test_hardsigmoids_gradient_has_a_second_derivative_of_zero_where_torch_has_none():
    t = torch.tensor(X, requires_grad=True)
    (tg_,) = torch.autograd.grad(TF.hardsigmoid(t * 2).sum(), t, create_graph=True)
    with pytest.raises(RuntimeError, match="derivative for aten::hardsigmoid_backward is not implemented"):
        torch.autograd.grad(tg_.sum(), t)
    x = tg.tensor(X, requires_grad=True)
    (g,) = tg.grad(F.hardsigmoid(x * 2).sum(), x, create_graph=True)
    assert g.requires_grad  # as torch's, a function of x: with derivative 0
    np.testing.assert_allclose(g.detach().numpy(), tg_.detach().numpy(), rtol=1e-7)
    (h,) = tg.grad(g.sum(), x)
    assert h.tolist() == np.zeros(X.shape).tolist()


def test_tanhshrink_gradient_keeps_its_precision_for_small_inputs():
    # tanh(x)^2, where torch's 1 - (1 - tanh(x)^2) keeps only float32's absolute precision
    x = np.array([1e-3, -3e-3, 1e-2, 0.05], np.float32)
    exact = np.tanh(x.astype(np.float64)) ** 2
    t = torch.tensor(x, requires_grad=True)
    TF.tanhshrink(t).sum().backward()
    assert np.abs(t.grad.numpy() / exact - 1).max() > 1e-3
    ours = tg.tensor(x, requires_grad=True)
    F.tanhshrink(ours).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), exact, rtol=1e-6)


def test_prelu_weight_gradient_in_float16_is_summed_in_float32():
    x = values((3000, 3), np.float16, seed=5)
    w = np.array([0.25, -0.5, 0.1], np.float16)
    g = np.random.default_rng(6).standard_normal(x.shape).astype(np.float16)
    grads = []
    for lib, dtype in ((tg, np.float16), (torch, np.float16), (torch, np.float64)):
        a, b = lib.tensor(x.astype(dtype), requires_grad=True), lib.tensor(w.astype(dtype), requires_grad=True)
        lib.nn.functional.prelu(a, b).backward(lib.tensor(g.astype(dtype)))
        grads.append(b.grad.detach().numpy())
    ours, theirs, exact = grads
    assert ours.dtype == np.float16
    assert ulps(ours, exact).max() <= 0.51
    np.testing.assert_allclose(ours, theirs, rtol=2e-3)


# ---- integer inputs ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["softsign", "tanhshrink"])
@pytest.mark.parametrize("dtype", ["int64", "int8"])
def test_softsign_and_tanhshrink_of_integers_are_float32_as_torch(name, dtype):
    data = np.arange(-5, 6).astype(dtype)
    ours, theirs = getattr(F, name)(tg.tensor(data)), getattr(TF, name)(torch.tensor(data))
    assert ours.dtype == tg.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int64", "int8", "int32", "uint8"])
@pytest.mark.parametrize("threshold, value", [(1.5, 7), (-0.5, 3), (2, 0.9), (4, 100)])
def test_threshold_of_integers_computes_as_torch(dtype, threshold, value):
    data = (np.arange(-6, 7) if dtype != "uint8" else np.arange(0, 13)).astype(dtype)
    if dtype == "uint8" and threshold < 0:
        refused_by_both(lambda lib: lib.nn.functional.threshold(lib.tensor(data), threshold, value),
                        RuntimeError, OutOfRangeError)
        return
    ours = F.threshold(tg.tensor(data), threshold, value)
    theirs = TF.threshold(torch.tensor(data), threshold, value)
    assert ours.dtype == np.dtype(dtype) and ours.tolist() == theirs.tolist()


# ---- PReLU --------------------------------------------------------------------------------------------

PRELU_SHAPES = [((5,), 1), ((4, 3), 1), ((4, 3), 3), ((2, 3, 5), 1), ((2, 3, 5), 3), ((), 1), ((2, 4, 3, 2), 4)]


@pytest.mark.parametrize("shape, channels", PRELU_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_prelu_and_its_weights_gradient_match_torch(shape, channels, dtype):
    x = values(shape, dtype)
    w = np.linspace(-0.5, 0.8, channels).astype(dtype)
    assert_matches_torch(F.prelu, TF.prelu, x, w)
    assert_matches_torch(F.prelu, TF.prelu, x, w.reshape(()) if channels == 1 else w)  # a 0-d weight too


@pytest.mark.parametrize("shape, channels", [((4, 3), 3), ((2, 3, 5), 3), ((2, 3, 5), 1)])
def test_prelu_second_order_matches_torch(shape, channels):
    check_second_order(F.prelu, TF.prelu, arr(shape), arr((channels,), seed=2) / 4)
    assert tg.gradcheck(F.prelu, [tg.tensor(arr(shape), requires_grad=True),
                                  tg.tensor(arr((channels,), seed=2) / 4, requires_grad=True)])


@pytest.mark.parametrize("shape, num_parameters", [((6, 3), 3), ((2, 3, 4), 3), ((7,), 1), ((2, 3, 4), 1)])
def test_prelu_module_trains_as_torchs(shape, num_parameters):
    x = values(shape, np.float64)
    layers = []
    for lib in (tg, torch):
        layer = lib.nn.PReLU(num_parameters, init=0.2).double()
        y = layer(lib.tensor(x))
        (y * y).sum().backward()
        layers.append(layer)
    ours, theirs = layers
    assert list(dict(ours.named_parameters())) == list(dict(theirs.named_parameters())) == ["weight"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.weight.shape == tuple(theirs.weight.shape) == (num_parameters,)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-10)
    fresh = nn.PReLU(num_parameters)
    fresh.load_state_dict({"weight": tg.tensor(theirs.weight.detach().numpy().astype(np.float32))})
    np.testing.assert_array_equal(fresh.weight.detach().numpy(), theirs.weight.detach().float().numpy())


def test_prelu_module_dtype_and_device():
    assert nn.PReLU(2, dtype=tg.float64).weight.dtype == tg.float64
    assert nn.PReLU().weight.dtype == tg.float32 and nn.PReLU().weight.requires_grad
    assert nn.PReLU(0).weight.shape == (0,)  # as torch
    with pytest.raises(DTypeError, match="PReLU: dtype must be floating point"):
        nn.PReLU(dtype=tg.int64)


def test_prelu_refuses_what_torch_refuses():
    refused_by_both(lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(4)), RuntimeError, ShapeError,
                    match="prelu: 4 weights for an input of 3 channels")
    refused_by_both(lambda lib: lib.nn.functional.prelu(lib.ones(3), lib.ones(3)), RuntimeError, ShapeError,
                    match="prelu: 3 weights for an input of 1 channel")
    refused_by_both(lambda lib: lib.nn.functional.prelu(lib.ones(()), lib.ones(3)), RuntimeError, ShapeError,
                    match="a 0-d input takes a single weight")
    refused_by_both(lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(1, 3)), RuntimeError, ShapeError,
                    match="weight must be 0-d or 1-D, got 2-D")
    refused_by_both(lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(3, dtype=lib.float64)),
                    RuntimeError, DTypeError, match="prelu: input and weight must have one dtype")
    refused_by_both(lambda lib: lib.nn.functional.prelu(lib.ones(2, 3, dtype=lib.int64), lib.ones(3)),
                    RuntimeError, DTypeError)
    refused_by_both(lambda lib: lib.nn.PReLU(-1), RuntimeError, ConfigError, match="num_parameters must be >= 0")
    refused_by_both(lambda lib: lib.nn.PReLU(2.5), TypeError, DTypeError, match="num_parameters must be an integer")
    refused_by_both(lambda lib: lib.nn.PReLU(3)(lib.ones(2, 4)), RuntimeError, ShapeError)
    with pytest.raises(DTypeError, match="prelu: weight must be a Tensor"):
        F.prelu(tg.ones(2), 0.25)


# ---- bad arguments ---------------------------------------------------------------------------------

def test_softshrink_refuses_a_negative_lambd_as_torch():
    message = r"softshrink: lambd must be in \[0, 3.40282e\+38\] for float32, got -0.5"
    refused_by_both(lambda lib: lib.nn.functional.softshrink(lib.ones(2), -0.5), RuntimeError, OutOfRangeError,
                    match=message)
    refused_by_both(lambda lib: lib.nn.functional.softshrink(lib.ones(2), 1e39), RuntimeError, OutOfRangeError)
    assert F.softshrink(tg.ones(2, dtype=tg.float64), 1e39).tolist() == [0.0, 0.0]  # fits float64, as torch
    layer = nn.Softshrink(-0.5)  # taken, and refused when called, as in torch
    assert repr(layer) == repr(torch.nn.Softshrink(-0.5))
    with pytest.raises(OutOfRangeError, match=message):
        layer(tg.ones(2))


def test_hardshrink_takes_a_negative_lambd_as_torch():
    x = np.array([-0.3, 0.0, 0.2, -2.0])
    assert_matches_torch(lambda t: F.hardshrink(t, -0.5), lambda t: TF.hardshrink(t, -0.5), x)


def test_celu_refuses_alpha_zero_as_torch():
    refused_by_both(lambda lib: lib.nn.functional.celu(lib.ones(2), 0.0), RuntimeError, ConfigError,
                    match="celu: alpha cannot be 0")
    with pytest.raises(ConfigError):
        nn.CELU(0)(tg.ones(2))


@pytest.mark.parametrize("name", ["softsign", "tanhshrink", "threshold"])
def test_bool_tensors_are_refused_as_torch(name):
    args = (0.5, 1.0) if name == "threshold" else ()
    refused_by_both(lambda lib: getattr(lib.nn.functional, name)(lib.ones(2, dtype=lib.bool), *args),
                    (RuntimeError, NotImplementedError), DTypeError, match="bool")
