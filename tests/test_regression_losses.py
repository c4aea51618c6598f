"""l1_loss, smooth_l1_loss, huber_loss and kl_div (and their modules) against torch: values and the
gradients of input and target for every reduction, float32 and float64, 0-d to 3-D; the switch
points |x - t| == beta (delta); finite differences; second order; the arguments torch refuses."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.errors import ConfigError, DataError, DTypeError, OutOfRangeError, ShapeError
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch, compare_with_torch

from test_second_order import arr, check_second_order

TF = torch.nn.functional
# torch warns about the .grad reference cycle that double backward through .backward() makes.
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
rng = np.random.default_rng(0)

# name: (ours(x, t, reduction), torch's(x, t, reduction), the switch point or None)
POINTWISE = {
    "l1": (lambda x, t, r: F.l1_loss(x, t, reduction=r), lambda x, t, r: TF.l1_loss(x, t, reduction=r), None),
    "smooth_l1": (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r),
                  lambda x, t, r: TF.smooth_l1_loss(x, t, reduction=r), 1.0),
    "smooth_l1_beta_0.5": (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.5),
                           lambda x, t, r: TF.smooth_l1_loss(x, t, reduction=r, beta=0.5), 0.5),
    "smooth_l1_beta_0": (lambda x, t, r: F.smooth_l1_loss(x, t, reduction=r, beta=0.0),
                         lambda x, t, r: TF.smooth_l1_loss(x, t, reduction=r, beta=0.0), None),
    "huber": (lambda x, t, r: F.huber_loss(x, t, reduction=r), lambda x, t, r: TF.huber_loss(x, t, reduction=r), 1.0),
    "huber_delta_2": (lambda x, t, r: F.huber_loss(x, t, r, 2.0),  # reduction and delta positional, as torch's
                      lambda x, t, r: TF.huber_loss(x, t, r, 2.0), 2.0),
    "huber_delta_0.25": (lambda x, t, r: F.huber_loss(x, t, reduction=r, delta=0.25),
                         lambda x, t, r: TF.huber_loss(x, t, reduction=r, delta=0.25), 0.25),
}
SHAPES = [(), (5,), (4, 3), (2, 3, 4)]
DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_losses_and_their_input_and_target_gradients_match_torch(name, reduction, shape, dtype):
    ours, theirs, _ = POINTWISE[name]
    x, t = (rng.standard_normal(shape) * 2).astype(dtype), rng.standard_normal(shape).astype(dtype)
    assert_matches_torch(lambda x, t: ours(x, t, reduction), lambda x, t: theirs(x, t, reduction), x, t)
    # a target that wants no gradient: the input's alone, and the target has none
    target = tg.tensor(t)
    assert_matches_torch(lambda x: ours(x, target, reduction), lambda x: theirs(x, torch.tensor(t), reduction), x)
    assert target.grad is None


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", [n for n, (_, _, point) in POINTWISE.items() if point])
def test_values_and_gradients_at_and_around_the_switch_point_match_torch(name, reduction, dtype):
    ours, theirs, point = POINTWISE[name]
    # dyadic numbers, so that every difference is exact: |x - t| is the switch point, just below and
    # above it, 0, and far on either side
    t = np.array([0.0, 0.25, -0.5, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, -3.0])
    d = point * np.array([1.0, -1.0, 1.0, -1.0, 1 - 2 ** -10, -(1 + 2 ** -10), 0.0, 0.5, 4.0, -8.0])
    x, t = (t + d).astype(dtype), t.astype(dtype)
    assert np.array_equal(np.abs(x.astype(np.float64) - t)[:4], [point] * 4)
    assert_matches_torch(lambda x, t: ours(x, t, reduction), lambda x, t: theirs(x, t, reduction), x, t)
    if dtype == np.float64:  # the second derivative there too: torch's is 0 from |x - t| == beta (delta) on
        check_second_order(lambda x, t: ours(x, t, reduction), lambda x, t: theirs(x, t, reduction), x, t)


def test_smooth_l1_with_beta_0_is_the_l1_loss_and_the_huber_loss_is_delta_times_smooth_l1():
    x, t = tg.tensor(rng.standard_normal((4, 3))), tg.tensor(rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(F.smooth_l1_loss(x, t, beta=0).data, F.l1_loss(x, t).data)
    np.testing.assert_allclose(F.huber_loss(x, t, delta=0.5).data, 0.5 * F.smooth_l1_loss(x, t, beta=0.5).data,
                               rtol=1e-14)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_losses_pass_gradcheck(name, reduction):
    ours, _, _ = POINTWISE[name]
    x = tg.tensor(arr((3, 4), seed=1) * 2, requires_grad=True)
    t = tg.tensor(arr((3, 4), seed=2), requires_grad=True)
    assert tg.gradcheck(lambda x, t: ours(x, t, reduction), [x, t])


@pytest.mark.parametrize("name", POINTWISE)
def test_pointwise_losses_second_order_matches_torch(name):
    ours, theirs, _ = POINTWISE[name]
    for reduction in ("mean", "none"):
        check_second_order(lambda x, t: ours(x, t, reduction), lambda x, t: theirs(x, t, reduction),
                           arr((3, 4), seed=1) * 2, arr((3, 4), seed=2))


@pytest.mark.parametrize("name", POINTWISE)
@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float64, np.float32), (np.float32, np.int64),
                                    (np.float32, np.bool_)])
def test_pointwise_losses_compute_in_the_wider_dtype_and_take_integer_targets_as_torch(name, dtypes):
    ours, theirs, _ = POINTWISE[name]
    x, t = rng.standard_normal((4, 3)).astype(dtypes[0]), (rng.standard_normal((4, 3)) * 2).astype(dtypes[1])
    xt, tt = torch.tensor(x, requires_grad=True), torch.tensor(t)
    dtype = torch.result_type(xt, tt)
    # cast by hand: torch's huber_loss backward fails on mixed float dtypes ("Found dtype Double but expected Float")
    expected = theirs(xt.to(dtype), tt.to(dtype), "mean")
    expected.backward()
    x_ours = tg.tensor(x, requires_grad=True)
    got = ours(x_ours, tg.tensor(t), "mean")
    got.backward()
    assert str(got.dtype) == str(dtype).removeprefix("torch.") and x_ours.grad.dtype == x.dtype
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(x_ours.grad.data, xt.grad.numpy(), rtol=1e-5, atol=1e-7)


WEIGHTED = {  # torch's l1_loss and mse_loss divide a weighted mean by the weights' sum, huber_loss by the count
    "l1": lambda lib: lambda x, t, w, r: lib.nn.functional.l1_loss(x, t, reduction=r, weight=w),
    "mse": lambda lib: lambda x, t, w, r: lib.nn.functional.mse_loss(x, t, reduction=r, weight=w),
    "huber": lambda lib: lambda x, t, w, r: lib.nn.functional.huber_loss(x, t, r, 0.5, w),  # positional, as torch's
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", WEIGHTED)
def test_l1_mse_and_huber_take_torchs_elementwise_weight(name, reduction, dtype):
    x, t, w = (a.astype(dtype) for a in (rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.random((4, 3))))
    ours, theirs = WEIGHTED[name](tg), WEIGHTED[name](torch)
    tolerances = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else {}
    assert_matches_torch(lambda x, t, w: ours(x, t, w, reduction), lambda x, t, w: theirs(x, t, w, reduction),
                         x, t, w, **tolerances)  # (the gradients of input, target and weight)


@pytest.mark.parametrize("name", WEIGHTED)
def test_a_weight_of_another_shape_is_refused_as_by_torch(name):
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        WEIGHTED[name](torch)(torch.ones(4, 3), torch.ones(4, 3), torch.ones(3), "mean")
    with pytest.raises(ShapeError, match=r"weight must have the input's shape \(4, 3\), got \(3,\)"):
        WEIGHTED[name](tg)(tg.ones(4, 3), tg.ones(4, 3), tg.ones(3), "mean")
    with pytest.raises(DTypeError, match="weight must be a Tensor or None, got list"):
        WEIGHTED[name](tg)(tg.ones(4, 3), tg.ones(4, 3), [1.0] * 3, "mean")


# ---- kl_div --------------------------------------------------------------------------------------

def _log_probabilities(shape, dtype, seed):
    """log-softmax rows (the last dim) of random scores, or a log-probability for a 0-d shape."""
    scores = np.random.default_rng(seed).standard_normal(shape or (2,))
    log_p = scores - np.log(np.exp(scores).sum(-1, keepdims=True))
    return (log_p if shape else log_p[0]).astype(dtype)


def _probabilities_with_zeros(shape, dtype, seed):
    p = np.exp(_log_probabilities(shape, np.float64, seed))
    if p.size > 1:
        p.flat[::3] = 0  # torch's term there is 0 (and its target gradient NaN)
    return p.astype(dtype)


def _kl(lib, reduction, log_target):
    functional = F if lib is tg else TF
    return lambda x, t: functional.kl_div(x, t, reduction=reduction, log_target=log_target)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_and_its_input_and_target_gradients_match_torch(log_target, reduction, shape, dtype):
    x = _log_probabilities(shape, dtype, 1)
    t = _log_probabilities(shape, dtype, 2) if log_target else _probabilities_with_zeros(shape, dtype, 2)
    assert_matches_torch(_kl(tg, reduction, log_target), _kl(torch, reduction, log_target), x, t)
    target = tg.tensor(t)
    assert_matches_torch(lambda x: _kl(tg, reduction, log_target)(x, target),
                         lambda x: _kl(torch, reduction, log_target)(x, torch.tensor(t)), x)
    assert target.grad is None


def test_kl_div_term_is_0_where_the_target_is_0_and_nan_for_a_negative_target_as_torch():
    x, t = np.array([-1.0, -2.0, -0.5, 3.0]), np.array([0.0, 0.0, -0.5, 0.7])
    ours = F.kl_div(tg.tensor(x), tg.tensor(t), reduction="none").data
    theirs = TF.kl_div(torch.tensor(x), torch.tensor(t), reduction="none").numpy()
    np.testing.assert_array_equal(ours[:2], [0.0, 0.0])
    assert np.isnan(ours[2])
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    # the target's gradient there, as torch's xlogy: NaN at 0 (0/0), log(t) + 1 - x elsewhere
    xs, ts = tg.tensor(x[[0, 3]], requires_grad=True), tg.tensor(t[[0, 3]], requires_grad=True)
    F.kl_div(xs, ts, reduction="sum").backward()
    assert np.isnan(ts.grad.data[0]) and ts.grad.data[1] == pytest.approx(np.log(0.7) + 1 - 3.0)
    np.testing.assert_array_equal(xs.grad.data, -t[[0, 3]])


@pytest.mark.parametrize("reduction", ["mean", "batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_passes_gradcheck_and_its_second_order_matches_torch(log_target, reduction):
    x = tg.tensor(-arr((3, 4), "positive", seed=1), requires_grad=True)
    t = tg.tensor(-arr((3, 4), "positive", seed=2) if log_target else arr((3, 4), "positive", seed=2) / 2,
                  requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert tg.gradcheck(_kl(tg, reduction, log_target), [x, t])
        check_second_order(_kl(tg, reduction, log_target), _kl(torch, reduction, log_target),
                           x.data.copy(), t.data.copy())


def test_kl_div_batchmean_divides_the_sum_by_the_batch_size_and_a_0d_input_by_nothing():
    x, t = _log_probabilities((4, 3), np.float64, 1), _probabilities_with_zeros((4, 3), np.float64, 2)
    total = F.kl_div(tg.tensor(x), tg.tensor(t), reduction="sum").item()
    assert F.kl_div(tg.tensor(x), tg.tensor(t), reduction="batchmean").item() == pytest.approx(total / 4, rel=1e-15)
    zero_d = F.kl_div(tg.tensor(np.float64(-1.2)), tg.tensor(np.float64(0.4)), reduction="batchmean").item()
    assert zero_d == pytest.approx(0.4 * (np.log(0.4) + 1.2)) == TF.kl_div(
        torch.tensor(-1.2, dtype=torch.float64), torch.tensor(0.4, dtype=torch.float64), reduction="batchmean").item()


def test_kl_div_warns_for_reduction_mean_as_torch_and_only_for_it():
    x = tg.tensor(_log_probabilities((2, 3), np.float32, 1))
    t = tg.tensor(_probabilities_with_zeros((2, 3), np.float32, 2))
    with pytest.warns(UserWarning) as ours:
        F.kl_div(x, t)
        nn.KLDivLoss()(x, t)
    with pytest.warns(UserWarning) as theirs:
        TF.kl_div(torch.tensor(x.data), torch.tensor(t.data))
    assert [str(w.message) for w in ours] == [str(theirs[0].message)] * 2
    assert ours[0].filename == __file__  # it points at the caller, as torch's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for reduction in ("batchmean", "sum", "none"):
            F.kl_div(x, t, reduction=reduction)
            nn.KLDivLoss(reduction=reduction)(x, t)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float64, np.float32)])
def test_kl_div_computes_in_the_wider_float_dtype_as_torch(dtypes):
    x, t = _log_probabilities((4, 3), dtypes[0], 1), _probabilities_with_zeros((4, 3), dtypes[1], 2)
    xt = torch.tensor(x, requires_grad=True)
    expected = TF.kl_div(xt, torch.tensor(t), reduction="batchmean")
    expected.backward()
    ours = tg.tensor(x, requires_grad=True)
    got = F.kl_div(ours, tg.tensor(t), reduction="batchmean")
    got.backward()
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.") and ours.grad.dtype == x.dtype
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.grad.data, xt.grad.numpy(), rtol=1e-6)


# ---- poisson_nll_loss ----------------------------------------------------------------------------

def _counts(shape, dtype, seed):
    """Counts around the full loss's switch at 1: 0, 1, fractions and larger counts."""
    gen = np.random.default_rng(seed)
    return np.choose(gen.integers(0, 4, shape), [np.zeros(shape), np.ones(shape), gen.random(shape) * 3,
                                                 gen.integers(2, 9, shape).astype(float)]).astype(dtype)


def _poisson(lib, reduction, log_input, full, eps=1e-8):
    functional = F if lib is tg else TF
    return lambda x, t: functional.poisson_nll_loss(x, t, log_input, full, eps=eps, reduction=reduction)


def _poisson_input(shape, dtype, log_input, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    return (x if log_input else np.abs(x) + 0.1).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("log_input, full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss_and_its_input_and_target_gradients_match_torch(log_input, full, reduction, shape, dtype):
    x, t = _poisson_input(shape, dtype, log_input, 1), _counts(shape, dtype, 2)
    assert_matches_torch(_poisson(tg, reduction, log_input, full), _poisson(torch, reduction, log_input, full), x, t)
    target = tg.tensor(t)
    assert_matches_torch(lambda x: _poisson(tg, reduction, log_input, full)(x, target),
                         lambda x: _poisson(torch, reduction, log_input, full)(x, torch.tensor(t)), x)
    assert target.grad is None


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("log_input, full", [(True, False), (False, False), (True, True), (False, True)])
def test_poisson_nll_loss_passes_gradcheck_and_its_second_order_matches_torch(log_input, full, reduction):
    x = arr((3, 4), "positive" if not log_input else "any", seed=1)
    t = arr((3, 4), "positive", seed=2) * 2  # counts on both sides of 1
    assert tg.gradcheck(_poisson(tg, reduction, log_input, full),
                        [tg.tensor(x, requires_grad=True), tg.tensor(t, requires_grad=True)])
    check_second_order(_poisson(tg, reduction, log_input, full, eps=0.25),
                       _poisson(torch, reduction, log_input, full, eps=0.25), x, t)


def test_poisson_nll_loss_takes_integer_counts_and_eps_only_for_a_rate_input():
    x, y = rng.random((4, 3)) + 0.5, rng.integers(0, 6, (4, 3))
    assert_matches_torch(lambda x: F.poisson_nll_loss(x, tg.tensor(y), False, True),
                         lambda x: TF.poisson_nll_loss(x, torch.tensor(y.astype(float)), False, True), x)
    # torch takes the logs of integer counts in its default float32, which we do not follow: the
    # counts are used in the loss's (the input's) dtype
    ours = F.poisson_nll_loss(tg.tensor(x), tg.tensor(y), False, True).item()
    assert ours == F.poisson_nll_loss(tg.tensor(x), tg.tensor(y.astype(float)), False, True).item()
    assert ours == pytest.approx(TF.poisson_nll_loss(torch.tensor(x), torch.tensor(y), False, True).item(), rel=1e-6)
    for log_input in (True, False):
        small, large = (F.poisson_nll_loss(tg.tensor(x), tg.tensor(y), log_input, eps=eps).item()
                        for eps in (1e-8, 0.5))
        assert (small == large) == log_input


# ---- gaussian_nll_loss ---------------------------------------------------------------------------

def _gaussian(lib, reduction, full=False, eps=1e-6):
    functional = F if lib is tg else TF
    return lambda x, t, v: functional.gaussian_nll_loss(x, t, v, full, eps, reduction)


# (input shape, var shape): one variance per element, one per row (the last dim dropped, or of size
# 1), one shared along another dim, and 0-d
VAR_SHAPES = [((4, 3), (4, 3)), ((4, 3), (4,)), ((4, 3), (4, 1)), ((4, 3), (1, 3)), ((2, 3, 4), (2, 1, 4)),
              ((2, 3, 4), (2, 3)), ((5,), (5,)), ((5,), ()), ((), ())]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", VAR_SHAPES, ids=str)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_and_the_gradients_of_input_target_and_var_match_torch(full, reduction, shapes, dtype):
    x_shape, v_shape = shapes
    x, t = rng.standard_normal(x_shape).astype(dtype), rng.standard_normal(x_shape).astype(dtype)
    v = (rng.random(v_shape) + 0.1).astype(dtype)
    if v.size > 1:
        v.flat[0] = 1e-8  # below eps: clamped, and its gradient passes the clamp, as torch's
    assert_matches_torch(_gaussian(tg, reduction, full), _gaussian(torch, reduction, full), x, t, v)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("var", [0.5, 2, 0.0])
def test_gaussian_nll_loss_takes_a_number_for_the_variance(var, dtype):
    x, t = rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((4, 3)).astype(dtype)
    # torch takes only a float (an int fails in its negativity check); 0 is clamped to eps
    assert_matches_torch(lambda x, t: F.gaussian_nll_loss(x, t, var, reduction="sum"),
                         lambda x, t: TF.gaussian_nll_loss(x, t, float(var), reduction="sum"), x, t)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss_passes_gradcheck_and_its_second_order_matches_torch(full, reduction):
    for v_shape in [(3, 4), (3, 1), (3,)]:
        x, t, v = arr((3, 4), seed=1), arr((3, 4), seed=2), arr(v_shape, "positive", seed=3)
        assert tg.gradcheck(_gaussian(tg, reduction, full), [tg.tensor(a, requires_grad=True) for a in (x, t, v)])
        check_second_order(_gaussian(tg, reduction, full), _gaussian(torch, reduction, full), x, t, v)
    v = arr((3, 4), "positive", seed=3)
    v[0, 0] = 1e-3  # clamped at eps = 0.01: the gradient passes the clamp, which finite differences would not see
    check_second_order(_gaussian(tg, reduction, full, eps=0.01), _gaussian(torch, reduction, full, eps=0.01),
                       arr((3, 4), seed=1), arr((3, 4), seed=2), v)


@pytest.mark.parametrize("dtypes", [(np.float32, np.float64), (np.float64, np.float32)])
def test_gaussian_nll_loss_computes_in_the_wider_dtype_of_input_and_var_as_torch(dtypes):
    x, t = rng.standard_normal((4, 3)).astype(dtypes[0]), rng.standard_normal((4, 3)).astype(dtypes[0])
    v = (rng.random((4, 1)) + 0.1).astype(dtypes[1])
    xt, vt = torch.tensor(x, requires_grad=True), torch.tensor(v, requires_grad=True)
    expected = TF.gaussian_nll_loss(xt, torch.tensor(t), vt)
    expected.backward()
    xs, vs = tg.tensor(x, requires_grad=True), tg.tensor(v, requires_grad=True)
    got = F.gaussian_nll_loss(xs, tg.tensor(t), vs)
    got.backward()
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    assert (xs.grad.dtype, vs.grad.dtype) == (x.dtype, v.dtype)
    np.testing.assert_allclose(got.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(vs.grad.data, vt.grad.numpy(), rtol=1e-5)


def test_gaussian_nll_loss_refuses_what_torch_refuses():
    x, t = tg.randn(4, 3), tg.randn(4, 3)
    for var in (tg.rand(3), tg.rand(1, 1), tg.rand(()), tg.rand(4, 3, 1), tg.rand(2, 3)):
        with pytest.raises(ShapeError, match="gaussian_nll_loss: var of shape"):
            F.gaussian_nll_loss(x, t, var)
        with pytest.raises((ValueError, RuntimeError)):
            TF.gaussian_nll_loss(torch.randn(4, 3), torch.randn(4, 3), torch.rand(var.shape))
    for var in (-0.5, tg.tensor([[0.5], [-1.0], [0.5], [0.5]])):
        with pytest.raises(DataError, match="gaussian_nll_loss: var must be non-negative"):
            F.gaussian_nll_loss(x, t, var)
    with pytest.raises(ValueError, match="var has negative entry"):
        TF.gaussian_nll_loss(torch.randn(4, 3), torch.randn(4, 3), -0.5)
    with pytest.raises(DTypeError, match="gaussian_nll_loss: var must be floating point"):
        F.gaussian_nll_loss(x, t, tg.ones(4, 3, dtype=tg.int64))
    with pytest.raises(RuntimeError, match="can't be cast"):
        TF.gaussian_nll_loss(torch.randn(4, 3), torch.randn(4, 3), torch.ones(4, 3, dtype=torch.int64))
    with pytest.raises(DTypeError, match="gaussian_nll_loss: var must be a Tensor or a number"):
        F.gaussian_nll_loss(x, t, "1")
    with pytest.raises(DTypeError, match="gaussian_nll_loss: eps must be a number"):
        F.gaussian_nll_loss(x, t, tg.rand(4, 3), eps="a")
    with pytest.raises(ConfigError, match="gaussian_nll_loss: reduction must be one of"):
        F.gaussian_nll_loss(x, t, tg.rand(4, 3), reduction="batchmean")
    with pytest.raises(ShapeError, match="gaussian_nll_loss: target shape"):
        F.gaussian_nll_loss(x, tg.randn(4, 1), tg.rand(4, 3))
    with pytest.raises(TypeError, match="positional argument"):  # torch's has six arguments
        F.gaussian_nll_loss(x, t, tg.rand(4, 3), False, 1e-6, "mean", None)
    with pytest.raises(TypeError, match="positional argument"):  # keyword-only, as torch's
        nn.GaussianNLLLoss(True)
    with pytest.raises(DTypeError, match="GaussianNLLLoss: full must be a bool"):  # torch takes 1 as True
        nn.GaussianNLLLoss(full=1)


@pytest.mark.parametrize("kwargs", [{}, {"full": True, "eps": 1e-3, "reduction": "none"}, {"reduction": "sum"}])
def test_gaussian_nll_loss_module_matches_torch_with_its_repr_and_attributes(kwargs):
    loss, torch_loss = nn.GaussianNLLLoss(**kwargs), torch.nn.GaussianNLLLoss(**kwargs)
    v = rng.random((4, 1))
    v[0] = 1e-5
    assert_matches_torch(loss, torch_loss, rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), v)
    assert repr(loss) == repr(torch_loss)
    assert (loss.full, loss.eps, loss.reduction) == (torch_loss.full, torch_loss.eps, torch_loss.reduction)


# ---- float16 -------------------------------------------------------------------------------------

FLOAT16 = {  # name: (loss(lib, x, t, var, reduction), the target: "normal", "probabilities" or "counts")
    "mse": (lambda lib, x, t, v, r: lib.nn.functional.mse_loss(x, t, reduction=r), "normal"),
    **{name: ((lambda ours, theirs: lambda lib, x, t, v, r: (ours if lib is tg else theirs)(x, t, r))(ours, theirs),
              "normal") for name, (ours, theirs, _) in POINTWISE.items()},
    "kl_div": (lambda lib, x, t, v, r: lib.nn.functional.kl_div(x, t, reduction=r), "probabilities"),
    "kl_div_log_target": (lambda lib, x, t, v, r: lib.nn.functional.kl_div(x, t, reduction=r, log_target=True),
                          "normal"),
    "poisson_nll": (lambda lib, x, t, v, r: lib.nn.functional.poisson_nll_loss(x, t, reduction=r), "counts"),
    "poisson_nll_full": (lambda lib, x, t, v, r: lib.nn.functional.poisson_nll_loss(v, t, False, True, reduction=r),
                         "counts"),  # (the rates, positive, as v)
    "gaussian_nll": (lambda lib, x, t, v, r: lib.nn.functional.gaussian_nll_loss(x, t, v, reduction=r), "normal"),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", FLOAT16)
def test_float16_losses_are_computed_in_float32_and_rounded_once_as_torch_sums_them(name, reduction):
    # The mean of 20,000 float16 losses: summed in float16 it overflowed to inf (65504 is float16's
    # largest), where torch accumulates in float32 and gives the mean.
    loss, kind = FLOAT16[name]
    gen = np.random.default_rng(5)
    x = (gen.standard_normal(20000) * (1 if kind == "probabilities" else 3)).astype(np.float16)
    t = {"normal": gen.standard_normal(20000) * 3, "probabilities": gen.random(20000) + 0.01,
         "counts": gen.poisson(3, 20000)}[kind].astype(np.float16)
    v = (gen.random(20000) * 4 + 0.5).astype(np.float16)
    results = []
    for lib, dtype in ((tg, np.float16), (torch, np.float16), (torch, np.float64)):
        xs, vs = (lib.tensor(a.astype(dtype), requires_grad=True) for a in (x, v))
        out = loss(lib, xs, lib.tensor(t.astype(dtype)), vs, reduction)
        out.backward(lib.ones_like(out))
        grad = xs.grad if name != "poisson_nll_full" else vs.grad
        results.append([a.detach().numpy() if lib is torch else a.data for a in (out, grad)])
    (ours, ours_grad), (theirs, theirs_grad), (exact, exact_grad) = results
    assert ours.dtype == ours_grad.dtype == np.float16
    if reduction == "mean":  # (torch's kl_div and poisson_nll_loss, made of float16 ops, overflow to inf)
        assert np.isfinite(ours) and (np.isfinite(theirs) or name.startswith(("kl_div", "poisson_nll")))
    for o, t_, e in ((ours, theirs, exact), (ours_grad, theirs_grad, exact_grad)):
        with np.errstate(over="ignore"):
            finite = np.isfinite(e.astype(np.float16))  # (a sum beyond 65504 is inf in both)
        ours_error, torch_error = np.abs(o - e)[finite], np.abs(t_ - e)[finite]
        # within one rounding of the exact values, or no further off than torch
        ulp = np.spacing(np.abs(e[finite]).astype(np.float16)).astype(np.float64)
        assert np.all((ours_error <= ulp) | (ours_error <= torch_error)), name


# ---- refused arguments ---------------------------------------------------------------------------

ALL = {**{name: ours for name, (ours, _, _) in POINTWISE.items()},
       "kl_div": lambda x, t, r: F.kl_div(x, t, reduction=r),
       "poisson_nll_loss": lambda x, t, r: F.poisson_nll_loss(x, t, reduction=r)}
TORCH_ALL = {**{name: theirs for name, (_, theirs, _) in POINTWISE.items()},
             "kl_div": lambda x, t, r: TF.kl_div(x, t, reduction=r),
             "poisson_nll_loss": lambda x, t, r: TF.poisson_nll_loss(x, t, reduction=r)}


@pytest.mark.parametrize("name", ALL)
def test_unknown_reductions_are_refused_as_torch_refuses_them(name):
    x = tg.randn(4, 3)
    bad = ["avg", None, "MEAN"] + ([] if name == "kl_div" else ["batchmean"])
    for reduction in bad:
        with pytest.raises(ConfigError, match="reduction must be one of"):
            ALL[name](x, tg.randn(4, 3), reduction)
        with pytest.raises((ValueError, TypeError)):  # torch's poisson_nll_loss: None + str, a TypeError
            TORCH_ALL[name](torch.randn(4, 3), torch.randn(4, 3), reduction)


@pytest.mark.parametrize("name", ALL)
def test_mismatched_shapes_integer_inputs_and_non_finite_targets_are_refused(name):
    # torch warns and broadcasts mismatched shapes (kl_div silently); as the library's mse_loss, we refuse them
    with pytest.raises(ShapeError, match=r"target shape \(4,\) differs from input shape \(4, 1\)"):
        ALL[name](tg.randn(4, 1), tg.randn(4), "sum")
    with pytest.raises(DTypeError, match="input must be floating point"):
        ALL[name](tg.tensor([1, 2, 3]), tg.randn(3), "sum")
    with pytest.raises(DTypeError, match="input must be a Tensor"):
        ALL[name](np.zeros(3), tg.randn(3), "sum")
    with pytest.raises(ValueError, match="target must hold finite numbers"):
        ALL[name](tg.randn(3), tg.tensor([0.5, np.inf, 0.5]), "sum")
    with pytest.raises(ShapeError, match="the batch is empty"):
        ALL[name](tg.randn(0, 3), tg.randn(0, 3), "mean")


def test_kl_div_refuses_integer_targets_and_an_empty_batchmean_and_a_non_bool_log_target():
    x = tg.tensor(_log_probabilities((2, 3), np.float32, 1))
    for t in (np.ones((2, 3), np.int64), np.ones((2, 3), bool)):
        with pytest.raises(DTypeError, match="target must be floating point"):
            F.kl_div(x, tg.tensor(t), reduction="sum")
        with pytest.raises(RuntimeError, match="Integral inputs not supported"):  # DTypeError is one too
            TF.kl_div(torch.tensor(x.data), torch.tensor(t), reduction="sum")
    with pytest.raises(ShapeError, match="the batch is empty"):
        F.kl_div(tg.randn(0, 3), tg.randn(0, 3), reduction="batchmean")
    with pytest.raises(DTypeError, match="log_target must be a bool"):
        F.kl_div(x, x, reduction="sum", log_target=1)
    with pytest.raises(TypeError, match="log_target"):
        TF.kl_div(torch.tensor(x.data), torch.tensor(x.data), reduction="sum", log_target=1)
    with pytest.raises(DTypeError, match="log_target must be a bool"):
        nn.KLDivLoss(log_target="yes")


def test_poisson_nll_loss_refuses_non_bool_flags_and_a_non_number_eps_as_torch():
    x = tg.randn(4, 3)
    for kwargs, torch_message in (({"log_input": 1}, "log_input"), ({"full": 0}, "full"), ({"eps": "a"}, "eps")):
        name = next(iter(kwargs))
        with pytest.raises(DTypeError, match=f"poisson_nll_loss: {name} must be a"):
            F.poisson_nll_loss(x, x, **kwargs)
        with pytest.raises(TypeError, match=torch_message):
            TF.poisson_nll_loss(torch.randn(3), torch.randn(3), **kwargs)
        with pytest.raises(DTypeError, match=f"PoissonNLLLoss: {name} must be a"):
            nn.PoissonNLLLoss(**kwargs)


@pytest.mark.parametrize("op, name, values, torch_call", [
    (lambda v: F.smooth_l1_loss(tg.randn(3), tg.randn(3), beta=v), "beta", [-1.0, -1e-300, np.nan],
     lambda v: TF.smooth_l1_loss(torch.randn(3), torch.randn(3), beta=v)),
    (lambda v: F.huber_loss(tg.randn(3), tg.randn(3), delta=v), "delta", [0.0, -1.0, np.nan],
     lambda v: TF.huber_loss(torch.randn(3), torch.randn(3), delta=v)),
    (lambda v: nn.SmoothL1Loss(beta=v), "beta", [-1.0, np.nan], None),  # torch: only when called
    (lambda v: nn.HuberLoss(delta=v), "delta", [0.0, -2.0], None),
], ids=["smooth_l1_loss", "huber_loss", "SmoothL1Loss", "HuberLoss"])
def test_negative_beta_and_non_positive_delta_are_refused_as_torch_refuses_them(op, name, values, torch_call):
    for v in values:
        with pytest.raises(OutOfRangeError, match=f"{name} must be"):  # a RuntimeError, as torch's
            op(v)
        if torch_call is not None:
            with pytest.raises(RuntimeError, match=f"values for {name}"):
                torch_call(v)
    for v in ("1", None, [1.0]):
        with pytest.raises(DTypeError, match=f"{name} must be a number"):
            op(v)


def test_the_deprecated_positional_options_of_torch_are_refused_and_huber_takes_its_positionals():
    x, t = tg.randn(4, 3), tg.randn(4, 3)
    for call in (lambda: F.l1_loss(x, t, None), lambda: F.smooth_l1_loss(x, t, None, None, "sum"),
                 lambda: F.kl_div(x, t, None), lambda: nn.L1Loss(True), lambda: nn.SmoothL1Loss(None),
                 lambda: nn.KLDivLoss(None, None, "sum"), lambda: F.poisson_nll_loss(x, t, True, False, None),
                 lambda: nn.PoissonNLLLoss(True, False, None)):
        with pytest.raises(TypeError, match="positional argument"):
            call()
    loss = nn.HuberLoss("sum", 0.5)
    assert (loss.reduction, loss.delta) == ("sum", 0.5)
    np.testing.assert_array_equal(loss(x, t).data, F.huber_loss(x, t, "sum", 0.5).data)
    with pytest.raises(TypeError, match="positional argument"):  # none beyond torch's 5th, weight
        F.huber_loss(x, t, "sum", 0.5, None, None)


# ---- modules -------------------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@pytest.mark.parametrize("loss, torch_loss, kind", [
    (nn.L1Loss(), torch.nn.L1Loss(), "values"),
    (nn.L1Loss(reduction="none"), torch.nn.L1Loss(reduction="none"), "values"),
    (nn.SmoothL1Loss(), torch.nn.SmoothL1Loss(), "values"),
    (nn.SmoothL1Loss(reduction="sum", beta=0.5), torch.nn.SmoothL1Loss(reduction="sum", beta=0.5), "values"),
    (nn.SmoothL1Loss(beta=0), torch.nn.SmoothL1Loss(beta=0), "values"),
    (nn.HuberLoss(), torch.nn.HuberLoss(), "values"),
    (nn.HuberLoss(reduction="none", delta=2.0), torch.nn.HuberLoss(reduction="none", delta=2.0), "values"),
    (nn.KLDivLoss(), torch.nn.KLDivLoss(), "probabilities"),
    (nn.KLDivLoss(reduction="batchmean"), torch.nn.KLDivLoss(reduction="batchmean"), "probabilities"),
    (nn.KLDivLoss(reduction="sum", log_target=True), torch.nn.KLDivLoss(reduction="sum", log_target=True),
     "log-probabilities"),
    (nn.PoissonNLLLoss(), torch.nn.PoissonNLLLoss(), "counts"),
    (nn.PoissonNLLLoss(False, True, eps=1e-3, reduction="none"),
     torch.nn.PoissonNLLLoss(False, True, eps=1e-3, reduction="none"), "counts"),
], ids=lambda v: v if isinstance(v, str) else repr(v))
def test_loss_modules_match_torch_with_its_repr_and_attributes(loss, torch_loss, kind):
    x = _log_probabilities((4, 3), np.float64, 1)
    t = {"values": rng.standard_normal((4, 3)), "probabilities": _probabilities_with_zeros((4, 3), np.float64, 2),
         "log-probabilities": _log_probabilities((4, 3), np.float64, 2), "counts": _counts((4, 3), np.float64, 2)}[kind]
    if kind == "counts":
        x = np.exp(x)  # rates, for log_input=False (and log rates for True)
    assert_matches_torch(loss, torch_loss, x, t)
    assert repr(loss) == repr(torch_loss)
    for attribute in ("reduction", "beta", "delta", "log_target", "log_input", "full", "eps"):
        assert getattr(loss, attribute, None) == getattr(torch_loss, attribute, None), attribute
    assert loss.state_dict() == {} and not list(loss.parameters())


def test_loss_modules_check_their_reduction_when_built():
    for make in (nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.PoissonNLLLoss):
        with pytest.raises(ConfigError, match="reduction must be one of"):
            make(reduction="batchmean")
    with pytest.raises(ConfigError, match="KLDivLoss: reduction must be one of"):
        nn.KLDivLoss(reduction="avg")


@pytest.mark.parametrize("loss", ["l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "poisson_nll_loss",
                                  "gaussian_nll_loss"])
def test_an_mlps_parameter_gradients_under_each_loss_match_torch(loss):
    model = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 3), nn.LogSoftmax(dim=1)).double()
    torch_model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3),
                                      torch.nn.LogSoftmax(dim=1)).double()
    x = rng.standard_normal((8, 6))
    y = {"kl_div": _probabilities_with_zeros((8, 3), np.float64, 3),
         "poisson_nll_loss": _counts((8, 3), np.float64, 3)}.get(loss, rng.standard_normal((8, 3)))
    pair = {"kl_div": (lambda out, t: F.kl_div(out, t, reduction="batchmean"),
                       lambda out, t: TF.kl_div(out, t, reduction="batchmean")),
            "gaussian_nll_loss": (lambda out, t: F.gaussian_nll_loss(out, t, (out * out).mean(1)),  # a variance per row
                                  lambda out, t: TF.gaussian_nll_loss(out, t, (out * out).mean(1)))}.get(loss, loss)
    report = compare_with_torch(model, torch_model, x, y, loss=pair)
    assert report.ok, str(report)


# ---- fuzzing: any input is refused with one of the library's errors, naming the op, or matches torch

FUZZ_DTYPES = [np.float32, np.float64, np.int64, np.uint8, np.bool_]
FUZZ_LOSSES = {
    "l1_loss": (lambda x, t, r, p: F.l1_loss(x, t, reduction=r), lambda x, t, r, p: TF.l1_loss(x, t, reduction=r)),
    "smooth_l1_loss": (lambda x, t, r, p: F.smooth_l1_loss(x, t, reduction=r, beta=p),
                       lambda x, t, r, p: TF.smooth_l1_loss(x, t, reduction=r, beta=p)),
    "huber_loss": (lambda x, t, r, p: F.huber_loss(x, t, r, p), lambda x, t, r, p: TF.huber_loss(x, t, r, p)),
    "kl_div": (lambda x, t, r, p: F.kl_div(x, t, reduction=r, log_target=p > 1),
               lambda x, t, r, p: TF.kl_div(x, t, reduction=r, log_target=p > 1)),
    "poisson_nll_loss": (lambda x, t, r, p: F.poisson_nll_loss(x, t, p > 1, p < 1, eps=abs(p), reduction=r),
                         lambda x, t, r, p: TF.poisson_nll_loss(x, t, p > 1, p < 1, eps=abs(p), reduction=r)),
}


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides:UserWarning")
@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(FUZZ_LOSSES)), shape=st.lists(st.integers(0, 3), max_size=3).map(tuple),
       same_shape=st.booleans() | st.just(True),
       x_dtype=st.sampled_from(FUZZ_DTYPES[:2]) | st.sampled_from(FUZZ_DTYPES),
       t_dtype=st.sampled_from(FUZZ_DTYPES[:2]) | st.sampled_from(FUZZ_DTYPES),
       reduction=st.sampled_from(["mean", "sum", "none"]) | st.sampled_from(["batchmean", "avg"]),
       param=st.sampled_from([0.5, 1.0, 2.0]) | st.sampled_from([0.0, -1.0]), seed=st.integers(0, 2 ** 16))
def test_fuzz_regression_loss_inputs(name, shape, same_shape, x_dtype, t_dtype, reduction, param, seed):
    gen = np.random.default_rng(seed)
    t_shape = shape if same_shape else shape[1:]

    def values(shape, dtype):
        if np.dtype(dtype).kind == "f":
            return gen.standard_normal(shape).astype(dtype)
        return gen.integers(0, 2 if dtype == np.bool_ else 5, shape).astype(dtype)
    x, t = values(shape, x_dtype), values(t_shape, t_dtype)
    ours, theirs = FUZZ_LOSSES[name]
    xs, ts = tg.tensor(x, requires_grad=x.dtype.kind == "f"), tg.tensor(t)
    try:
        got = ours(xs, ts, reduction, param)
    except (ShapeError, DTypeError, DataError, ConfigError, OutOfRangeError) as err:
        assert name in str(err), f"the message does not name {name}: {err}"
        return
    xt = torch.tensor(x, requires_grad=True)
    dtype = torch.result_type(xt, torch.tensor(t))  # torch's huber_loss backward refuses mixed float dtypes
    expected = theirs(xt.to(dtype), torch.tensor(t).to(dtype), reduction, param)  # torch must accept it too
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.") and got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.data, expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    g = gen.standard_normal(got.shape)
    got.backward(tg.tensor(g.astype(got.dtype)))
    expected.backward(torch.tensor(g).to(expected.dtype))
    assert xs.grad.dtype == x.dtype
    np.testing.assert_allclose(xs.grad.data, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
