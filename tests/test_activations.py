"""The activations against torch: values, gradients, second order, float16, in-place forms, modules and bad
arguments of each (the generic tests, over all of them), then what is particular to GELU, SiLU, ELU, Softplus,
LogSigmoid, Hardtanh and ReLU6, and the NumPy erf behind GELU against math.erf."""
import math
import warnings

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import nn
from tinygrad_mnist.activations import erf, erfc
from tinygrad_mnist.errors import ConfigError, OutOfRangeError
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch, compare_with_torch

from test_second_order import arr, check_second_order

TF = torch.nn.functional
# numpy's overflow and invalid-value warnings are RuntimeWarnings: none may come from these ops
pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")]

# ---- erf ------------------------------------------------------------------------------------------

ERF_POINTS = np.concatenate([
    [0.0, 5e-324, 1e-310, 1e-300, 1e-200, 1e-20, 1e-8, 1e-4],  # tiny and subnormal
    np.linspace(-0.5, 0.5, 2001),                                 # near 0, around Cody's 0.46875
    np.linspace(0.45, 6.0, 20001),                                # the middle, across 4
    np.geomspace(6.0, 27.5, 3001), [30.0, 100.0, 1e10, 1e300, 1.7e308],  # large: erf = 1, erfc underflows
])
ERF_POINTS = np.concatenate([ERF_POINTS, -ERF_POINTS])


def erf_points(dtype) -> np.ndarray:
    """ERF_POINTS that dtype can hold (for float32, without 1e300 and 1.7e308)."""
    return ERF_POINTS[np.abs(ERF_POINTS) <= np.finfo(dtype).max].astype(dtype)


def ulps(ours: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|ours - exact| in units of the last place of exact (of its dtype's smallest subnormal below it)."""
    dtype = ours.dtype
    spacing = np.maximum(np.spacing(np.abs(exact).astype(dtype)), np.finfo(dtype).smallest_subnormal)
    return np.abs(ours.astype(np.float64) - exact) / spacing.astype(np.float64)


@pytest.mark.parametrize("dtype, max_ulps", [(np.float64, 4), (np.float32, 4)])
def test_erf_is_within_a_few_ulp_of_math_erf(dtype, max_ulps):
    x = erf_points(dtype)
    exact = np.array([math.erf(v) for v in x.astype(np.float64)])
    ours = erf(x)
    assert ours.dtype == dtype
    assert ulps(ours, exact.astype(dtype)).max() <= max_ulps
    assert np.all(np.abs(ours) <= 1)


@pytest.mark.parametrize("dtype, max_ulps", [(np.float64, 8), (np.float32, 10)])
def test_erfc_keeps_its_relative_precision_down_to_underflow(dtype, max_ulps):
    x = erf_points(dtype)
    exact = np.array([math.erfc(v) for v in x.astype(np.float64)])
    ours = erfc(x)
    assert ours.dtype == dtype
    normal = exact >= np.finfo(dtype).tiny  # below, ulps of the subnormals: 1 is as good as it gets
    assert ulps(ours[normal], exact[normal].astype(dtype)).max() <= max_ulps
    assert ulps(ours[~normal], exact[~normal].astype(dtype)).max() <= 2
    assert erfc(np.array([20.0]))[0] == pytest.approx(math.erfc(20.0), rel=1e-14)  # 5.4e-176, not 1 - erf


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_erf_and_erfc_at_zero_infinities_and_nan(dtype):
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype)
    e, c = erf(x), erfc(x)
    assert e.dtype == c.dtype == dtype
    np.testing.assert_array_equal(e, [0.0, -0.0, 1.0, -1.0, np.nan])
    assert np.signbit(e[1]) and not np.signbit(e[0])
    np.testing.assert_array_equal(c, [1.0, 1.0, 0.0, 2.0, np.nan])
    assert erf(np.array(0.5, dtype)).shape == ()  # 0-d in, 0-d out


def test_erf_of_float16_goes_through_float32():
    x = np.linspace(-4, 4, 101).astype(np.float16)
    np.testing.assert_array_equal(erf(x), erf(x.astype(np.float32)).astype(np.float16))


@pytest.mark.parametrize("name", ["erf", "erfc"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_erf_and_erfc_as_ops_match_torch_with_their_gradients(name, dtype):
    x = np.concatenate([np.linspace(-6, 6, 61), [0.0, -0.0, 30.0, -30.0, 1e-300]]).astype(dtype)
    values, grads = [], []
    for lib in (tg, torch):
        t = lib.tensor(x, requires_grad=True)
        for out in (getattr(t, name)(), getattr(lib, name)(t)):
            out.backward(lib.ones_like(out))
        values.append(np.asarray(out.detach().numpy() if lib is torch else out.data))
        grads.append(np.asarray(t.grad.numpy() if lib is torch else t.grad.data) / 2)
    assert values[0].dtype == grads[0].dtype == np.dtype(dtype)
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(values[0], values[1], rtol=rtol, atol=1e-300)
    np.testing.assert_allclose(grads[0], grads[1], rtol=rtol * 10, atol=1e-300)
    assert tg.gradcheck(lambda a: getattr(a, name)(), [tg.tensor(x[:61].astype(np.float64) / 3, requires_grad=True)])


def test_erf_of_integers_is_float32_erf_in_place_and_second_order_as_torch():
    for lib in (tg, torch):
        assert lib.erf(lib.tensor([0, 1, 2])).dtype == lib.float32
    x = np.array([-1.5, 0.2, 2.5])
    ours, theirs = tg.tensor(x.copy()), torch.tensor(x.copy())
    ours.erfc_(), theirs.erfc_()
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-14)
    results = []
    for lib in (tg, torch):
        t = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad(lib.erf(t).sum(), t, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), t)
        results.append(h.detach().numpy() if lib is torch else h.data)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-13)


# ---- every activation: values and gradients against torch ------------------------------------------

ACTIVATIONS = {  # name: (ours, torch's); the generic tests below run over all of them
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    "silu": (F.silu, TF.silu),
    "elu": (F.elu, TF.elu),
    "elu_0.3": (lambda x: F.elu(x, 0.3), lambda x: TF.elu(x, 0.3)),
    "elu_negative_alpha": (lambda x: F.elu(x, alpha=-0.5), lambda x: TF.elu(x, alpha=-0.5)),
    "softplus": (F.softplus, TF.softplus),
    "softplus_2_5": (lambda x: F.softplus(x, 2, 5), lambda x: TF.softplus(x, 2, 5)),
    "softplus_negative_beta": (lambda x: F.softplus(x, beta=-0.5, threshold=3.0),
                               lambda x: TF.softplus(x, beta=-0.5, threshold=3.0)),
    "logsigmoid": (F.logsigmoid, TF.logsigmoid),
    "hardtanh": (F.hardtanh, TF.hardtanh),
    "hardtanh_-2_0.5": (lambda x: F.hardtanh(x, -2, 0.5), lambda x: TF.hardtanh(x, -2, 0.5)),
    "relu6": (F.relu6, TF.relu6),
    "selu": (F.selu, TF.selu),
    "celu": (F.celu, TF.celu),
    "celu_0.5": (lambda x: F.celu(x, 0.5), lambda x: TF.celu(x, 0.5)),
    "celu_negative_alpha": (lambda x: F.celu(x, alpha=-2.0), lambda x: TF.celu(x, alpha=-2.0)),
    "mish": (F.mish, TF.mish),
    "hardswish": (F.hardswish, TF.hardswish),
    "hardsigmoid": (F.hardsigmoid, TF.hardsigmoid),
    "softsign": (F.softsign, TF.softsign),
    "tanhshrink": (F.tanhshrink, TF.tanhshrink),
    "softshrink": (F.softshrink, TF.softshrink),
    "softshrink_2": (lambda x: F.softshrink(x, 2.0), lambda x: TF.softshrink(x, 2.0)),
    "hardshrink": (F.hardshrink, TF.hardshrink),
    "hardshrink_1.5": (lambda x: F.hardshrink(x, lambd=1.5), lambda x: TF.hardshrink(x, lambd=1.5)),
    "threshold": (lambda x: F.threshold(x, 0.5, -2.0), lambda x: TF.threshold(x, 0.5, -2.0)),
    "threshold_-1_20": (lambda x: F.threshold(x, -1, 20), lambda x: TF.threshold(x, -1, 20)),
    "prelu": (lambda x: F.prelu(x, tg.tensor([0.25], dtype=x.dtype)),
              lambda x: TF.prelu(x, torch.tensor([0.25], dtype=x.dtype))),
}
# torch's float64 hardsigmoid gradient is 1/6 rounded to float32 (0.1666666716337204): here 1/6 in the dtype
TOLERANCES = {("hardsigmoid", np.float64): {"rtol": 1e-7}}
LARGE = [-1e4, -200.0, -40.0, -25.0, -9.0, 9.0, 25.0, 40.0, 200.0, 1e4]


def values(shape, dtype, seed=0):
    """Normal values at scale 3, with large magnitudes in place of the first ones (where there is room)."""
    x = np.random.default_rng(seed).standard_normal(shape) * 3
    flat = x.reshape(-1)
    n = min(len(LARGE), flat.size - 1)
    flat[:n] = np.random.default_rng(seed).permutation(LARGE)[:n]
    return x.astype(dtype)


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (7,), (3, 4, 5)])
def test_values_and_gradients_match_torch(name, dtype, shape):
    ours, theirs = ACTIVATIONS[name]
    # (also checks the dtypes: float32 stays float32)
    assert_matches_torch(ours, theirs, values(shape, dtype), **TOLERANCES.get((name, dtype), {}))


EXTREMES = {np.float64: [0.0, -0.0, 1e-300, -1e-300, 1e150, -1e150, 1e300, -1e300, 1.7e308, -1.7e308],
            np.float32: [0.0, -0.0, 1e-40, -1e-40, 1e15, -1e15, 1e20, -1e20, 3e38, -3e38]}
# the slopes far out (of EXTREMES[dtype][4:]), where they are not 0 or 1
LIMIT_SLOPES = {"selu": {0.0, 1.0507009873554805}, "prelu": {0.25, 1.0}}
OVERFLOWS = {"celu_negative_alpha"}  # alpha (exp(x / alpha) - 1) with alpha < 0: inf for x far below 0


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n not in OVERFLOWS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_huge_inputs_give_finite_values_and_gradients_without_warnings(name, dtype):
    ours, _ = ACTIVATIONS[name]
    x = tg.tensor(np.array(EXTREMES[dtype], dtype), requires_grad=True)
    y = ours(x)
    y.backward(tg.ones_like(y))
    assert y.dtype == x.grad.dtype == dtype
    assert np.isfinite(y.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    slope = x.grad.numpy()[4:, None]  # the function's slope far out: one of its limits
    assert np.isclose(slope, sorted(LIMIT_SLOPES.get(name, {0.0, 1.0})), rtol=0, atol=5e-7).any(axis=1).all()


KINKS = [0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1.5, -1.5, 2.0, -2.0, 2.5, 3.0, -3.0, 5.0, 6.0, -6.0, 10.0, 20.0]
# torch's gradient at NaN depends on whether its vectorized or its scalar loop gets the element: see the tests
# of hardtanh's and of these (in test_activations_more.py)
NAN_GRADIENT_BY_POSITION = ("hardtanh", "relu6", "selu", "celu", "hardswish", "softshrink", "hardshrink")


def torch_is_the_oracle(name, dtype, v) -> bool:
    """Whether name's value and gradient at v are torch's: where they are not, a test of its own says why."""
    if math.isnan(v):
        return not name.startswith(NAN_GRADIENT_BY_POSITION)
    if name == "gelu" and dtype == np.float32:  # torch's vectorized float32 GELU: NaN at +inf, inf at +-3e38
        return v not in (np.inf, 3e38, -3e38)
    if name == "gelu_tanh":  # torch's tanh GELU: NaN gradients once x^3 overflows
        return not (np.isfinite(v) and abs(v) > np.cbrt(np.finfo(dtype).max))
    if name == "softsign":  # torch's x / (|x| + 1): NaN at +-inf
        return not np.isinf(v)
    if name == "hardswish":  # torch's x relu6(x + 3) / 6 overflows to inf at the largest inputs
        return abs(v) < np.finfo(dtype).max / 6
    return True


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kinks_huge_inputs_infinities_and_nan_match_torch(name, dtype):
    ours, theirs = ACTIVATIONS[name]
    special = [v for v in KINKS + EXTREMES[dtype] + [np.inf, -np.inf, np.nan] if torch_is_the_oracle(name, dtype, v)]
    assert_matches_torch(ours, theirs, np.array(special, dtype), **TOLERANCES.get((name, dtype), {}))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_gradients_match_finite_differences(name):
    ours, _ = ACTIVATIONS[name]
    x = tg.tensor(arr((3, 4), seed=1) * 2.2 + 0.1, requires_grad=True)  # away from the kinks: not on +-0.5, 1.5, ...
    assert tg.gradcheck(ours, [x])


NODES = {"gelu": "GELU", "silu": "SiLU", "elu": "ELU", "softplus": "Softplus", "logsigmoid": "LogSigmoid",
         "hardtanh": "Hardtanh", "relu6": "Hardtanh", "selu": "ELU", "celu": "ELU", "mish": "Mish",
         "hardswish": "Hardswish", "hardsigmoid": "Hardsigmoid", "softsign": "Softsign", "tanhshrink": "Tanhshrink",
         "softshrink": "Softshrink", "hardshrink": "Hardshrink", "threshold": "Threshold", "prelu": "PReLU"}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_each_is_one_graph_node(name):
    ours, _ = ACTIVATIONS[name]
    x = tg.randn(3, requires_grad=True)
    node = ours(x)._ctx
    assert node.next == ([x, None] if name == "prelu" else [x])  # one node, straight from the leaf (and prelu's
                                                                  # weight, which requires no grad here)
    assert node.name == NODES[name.split("_")[0]]


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "softplus", "softplus_2_5", "silu", "elu_0.3", "logsigmoid",
                                  "hardtanh", "relu6", "selu", "celu", "celu_0.5", "celu_negative_alpha", "mish",
                                  "hardswish", "softsign", "tanhshrink"])
def test_second_order_matches_torch(name):
    ours, theirs = ACTIVATIONS[name]
    check_second_order(ours, theirs, arr((3, 4)) * 2.2 + 0.1)


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "softplus", "silu", "mish", "hardswish", "softsign",
                                  "tanhshrink", "selu"])
@pytest.mark.parametrize("scale", [1, 1 / 100])  # (/ 100: the large ones in the kinks' neighbourhood too)
def test_second_order_in_float32_matches_torch(name, scale):
    ours, theirs = ACTIVATIONS[name]
    x = values((4, 5), np.float32) * np.float32(scale)
    a, b = tg.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    (ga,) = tg.grad(ours(a).sum(), [a], create_graph=True)
    (gb,) = torch.autograd.grad(theirs(b).sum(), [b], create_graph=True)
    (hga,) = tg.grad((ga * ga).sum(), [a])
    (hgb,) = torch.autograd.grad((gb * gb).sum(), [b])
    assert hga.dtype == tg.float32
    # torch's mish is NaN where an exp overflows float32 (from |x| = 88.7 on; 100, 200 and 1e4 here); here finite
    theirs_finite = np.isfinite(hgb.numpy())
    assert np.isfinite(hga.numpy()).all()
    assert theirs_finite.all() or (name == "mish" and (np.abs(x[~theirs_finite]) > 88).all())
    np.testing.assert_allclose(hga.numpy()[theirs_finite], hgb.numpy()[theirs_finite], rtol=1e-4, atol=1e-5)


# torch computes softsign and tanhshrink as compositions of float16 ops, each rounded: it is not the
# oracle for those in float16; tanhshrink's x - tanh(x) cancels for small x even in float32
FLOAT16_COMPOSITES = ("softsign", "tanhshrink")
FLOAT16_ULPS = {"tanhshrink": 0.6}  # the values' ulps from the exact ones, where not 0.51


@pytest.mark.parametrize("name", [n for n in ACTIVATIONS if n != "celu_negative_alpha"])  # (inf from x = -22 on)
def test_float16_is_computed_in_float32_and_rounded_once_as_torch(name):
    # torch computes float16 activations in float32; in float16 throughout, silu and gelu were hundreds
    # of units in the last place off where their values are small, and softplus's gradient too
    ours, theirs = ACTIVATIONS[name]
    x = values(20000, np.float16, seed=3)
    g = np.random.default_rng(4).standard_normal(x.shape).astype(np.float16)
    a, exact_in = tg.tensor(x, requires_grad=True), torch.tensor(x.astype(np.float64), requires_grad=True)
    y, exact = ours(a), theirs(exact_in)
    y.backward(tg.tensor(g)), exact.backward(torch.tensor(g.astype(np.float64)))
    assert y.dtype == a.grad.dtype == tg.float16
    assert ulps(y.data, exact.detach().numpy()).max() <= FLOAT16_ULPS.get(name, 0.51)
    assert ulps(a.grad.data, exact_in.grad.numpy()).max() <= 1  # (float32 derivatives, then the product rounded)
    if name in FLOAT16_COMPOSITES:
        return
    torch16 = torch.tensor(x, requires_grad=True)
    theirs(torch16).backward(torch.tensor(g))
    np.testing.assert_allclose(a.grad.numpy(), torch16.grad.numpy(), rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(y.detach().numpy(), theirs(torch.tensor(x)).numpy(), rtol=1e-3, atol=1e-5)


# ---- every activation: in place -------------------------------------------------------------------------

IN_PLACE = [
    (lambda lib, x: lib.nn.functional.silu(x, inplace=True)),
    (lambda lib, x: lib.nn.functional.elu(x, 0.5, inplace=True)),
    (lambda lib, x: lib.nn.functional.hardtanh(x, -0.5, 1.5, inplace=True)),
    (lambda lib, x: lib.nn.functional.relu6(x, inplace=True)),
    (lambda lib, x: lib.nn.functional.selu(x, inplace=True)),
    (lambda lib, x: lib.nn.functional.celu(x, 0.5, inplace=True)),
    (lambda lib, x: lib.nn.functional.mish(x, inplace=True)),
    (lambda lib, x: lib.nn.functional.hardswish(x, inplace=True)),
    (lambda lib, x: lib.nn.functional.hardsigmoid(x, inplace=True)),
    (lambda lib, x: lib.nn.functional.threshold(x, 0.4, -1.0, inplace=True)),
    (lambda lib, x: lib.nn.SiLU(inplace=True)(x)), (lambda lib, x: lib.nn.ELU(inplace=True)(x)),
    (lambda lib, x: lib.nn.Hardtanh(inplace=True)(x)), (lambda lib, x: lib.nn.ReLU6(inplace=True)(x)),
    (lambda lib, x: lib.nn.SELU(inplace=True)(x)), (lambda lib, x: lib.nn.CELU(2.0, inplace=True)(x)),
    (lambda lib, x: lib.nn.Mish(inplace=True)(x)), (lambda lib, x: lib.nn.Hardswish(inplace=True)(x)),
    (lambda lib, x: lib.nn.Hardsigmoid(True)(x)), (lambda lib, x: lib.nn.Threshold(0.1, 20, True)(x)),
]
ONE_SIXTH_IN_FLOAT32 = (IN_PLACE[8], IN_PLACE[18])  # hardsigmoid: torch's float64 gradient is 1/6 in float32


@pytest.mark.parametrize("case", IN_PLACE)
def test_inplace_writes_into_the_input_as_in_torch(case):
    data = np.array([[-1.3, 2.0], [0.5, -3.0], [7.0, 0.25]])
    results = []
    for lib in (tg, torch):
        w = lib.tensor(data, requires_grad=True)
        h = w * 1
        assert case(lib, h) is h  # the input itself, changed
        (h * lib.tensor(data)).sum().backward()
        results.append((h.detach().numpy(), w.grad.numpy()))
        x = lib.tensor(data)
        case(lib, x)  # outside a graph: written into its array
        results.append(x.numpy())
    np.testing.assert_allclose(results[0][0], results[2][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[2][1], rtol=1e-7 if case in ONE_SIXTH_IN_FLOAT32 else 1e-12)
    np.testing.assert_allclose(results[1], results[3], rtol=1e-12)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        case(tg, tg.ones(2, requires_grad=True))  # as torch
    half = tg.tensor(data.astype(np.float16))
    assert case(tg, half) is half and half.dtype == tg.float16  # (computed in float32)
    np.testing.assert_array_equal(half.numpy(), case(torch, torch.tensor(data.astype(np.float16))).numpy())


# ---- every activation: modules --------------------------------------------------------------------------

MODULES = [
    (lambda lib: lib.nn.GELU()), (lambda lib: lib.nn.GELU("tanh")), (lambda lib: lib.nn.GELU(approximate="none")),
    (lambda lib: lib.nn.SiLU()), (lambda lib: lib.nn.SiLU(inplace=True)), (lambda lib: lib.nn.SiLU(True)),
    (lambda lib: lib.nn.ELU()), (lambda lib: lib.nn.ELU(0.5)), (lambda lib: lib.nn.ELU(alpha=2, inplace=True)),
    (lambda lib: lib.nn.ELU(0.5, True)),
    (lambda lib: lib.nn.Softplus()), (lambda lib: lib.nn.Softplus(2, 10)), (lambda lib: lib.nn.Softplus(beta=0.5)),
    (lambda lib: lib.nn.Softplus(2, 7)),
    (lambda lib: lib.nn.LogSigmoid()),
    (lambda lib: lib.nn.Hardtanh()), (lambda lib: lib.nn.Hardtanh(-2, 3)), (lambda lib: lib.nn.Hardtanh(-3, 2)),
    (lambda lib: lib.nn.Hardtanh(-0.5, 0.25, inplace=True)),
    (lambda lib: lib.nn.ReLU6()), (lambda lib: lib.nn.ReLU6(inplace=True)), (lambda lib: lib.nn.ReLU6(True)),
    (lambda lib: lib.nn.SELU()), (lambda lib: lib.nn.SELU(inplace=True)),
    (lambda lib: lib.nn.CELU()), (lambda lib: lib.nn.CELU(0.5)), (lambda lib: lib.nn.CELU(alpha=2, inplace=True)),
    (lambda lib: lib.nn.Mish()), (lambda lib: lib.nn.Mish(True)),
    (lambda lib: lib.nn.Hardswish()), (lambda lib: lib.nn.Hardswish(inplace=True)),
    (lambda lib: lib.nn.Hardsigmoid()), (lambda lib: lib.nn.Hardsigmoid(True)),
    (lambda lib: lib.nn.Softsign()), (lambda lib: lib.nn.Tanhshrink()),
    (lambda lib: lib.nn.Softshrink()), (lambda lib: lib.nn.Softshrink(1.5)), (lambda lib: lib.nn.Softshrink(lambd=1)),
    (lambda lib: lib.nn.Hardshrink()), (lambda lib: lib.nn.Hardshrink(2)),
    (lambda lib: lib.nn.Threshold(0.1, 20)), (lambda lib: lib.nn.Threshold(-1.5, 0.5, inplace=True)),
    (lambda lib: lib.nn.PReLU()), (lambda lib: lib.nn.PReLU(init=0.1)),
]


@pytest.mark.parametrize("make", MODULES)
def test_modules_print_and_compute_as_torchs(make):
    ours, theirs = make(tg), make(torch)
    assert repr(ours) == repr(theirs)
    # torch refuses an in-place op on a leaf that requires grad, hence the x * 1
    assert_matches_torch(lambda x: ours(x * 1), lambda x: theirs(x * 1), values((5,), np.float32))
    ours.double(), theirs.double()
    rtol = 1e-7 if isinstance(ours, nn.Hardsigmoid) else None  # (torch's float64 gradient: 1/6 in float32)
    assert_matches_torch(lambda x: ours(x * 1), lambda x: theirs(x * 1), values((4, 3, 2), np.float64), rtol=rtol)


def test_modules_keep_their_arguments_as_attributes_as_torchs():
    for make in MODULES:
        ours, theirs = make(tg), make(torch)
        for name in ("alpha", "beta", "lambd", "threshold", "value", "min_val", "max_val", "inplace", "approximate",
                     "num_parameters", "init"):
            assert getattr(ours, name, None) == getattr(theirs, name, None), (repr(ours), name)
    assert isinstance(nn.ReLU6(), nn.Hardtanh)  # as in torch


@pytest.mark.parametrize("layers", [
    lambda lib: lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.GELU(), lib.nn.Linear(8, 8), lib.nn.SiLU(),
                                  lib.nn.Linear(8, 8), lib.nn.ELU(), lib.nn.Linear(8, 8), lib.nn.Softplus(),
                                  lib.nn.Linear(8, 8), lib.nn.Hardtanh(), lib.nn.Linear(8, 3)),
    lambda lib: lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.SELU(), lib.nn.Linear(8, 8), lib.nn.Mish(),
                                  lib.nn.Linear(8, 8), lib.nn.Hardswish(), lib.nn.Linear(8, 8),
                                  lib.nn.PReLU(8), lib.nn.Linear(8, 8), lib.nn.CELU(0.7), lib.nn.Linear(8, 3)),
])
def test_a_model_with_the_activations_matches_torch(layers):
    report = compare_with_torch(layers(tg).double(), layers(torch), np.random.default_rng(0).standard_normal((5, 6)),
                                np.array([0, 2, 1, 1, 0]))
    assert report.ok, str(report)


# ---- every activation: bad arguments ----------------------------------------------------------------------

def refused_by_both(fn, torch_type, ours_type=None, match=None):
    """fn(lib) raises torch_type in torch, and here ours_type (by default torch_type, or a subclass)."""
    with pytest.raises(torch_type):
        fn(torch)
    with pytest.raises(ours_type or torch_type, match=match):
        fn(tg)


@pytest.mark.parametrize("name", ["gelu", "silu", "elu", "softplus", "logsigmoid", "selu", "celu", "mish",
                                  "hardswish", "hardsigmoid", "softshrink", "hardshrink"])
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_float_only_activations_refuse_integer_and_bool_tensors_as_torch(name, dtype):
    refused_by_both(lambda lib: getattr(lib.nn.functional, name)(lib.ones(2, dtype=getattr(lib, dtype))),
                    RuntimeError, tg.DTypeError,
                    match=f"{name}: needs a floating-point tensor, got dtype {dtype}")


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.elu(lib.ones(2), "a"),
    lambda lib: lib.nn.functional.softplus(lib.ones(2), "a"),
    lambda lib: lib.nn.functional.softplus(lib.ones(2), 1.0, None),
    lambda lib: lib.nn.functional.hardtanh(lib.ones(2), "a"),
    lambda lib: lib.nn.functional.hardtanh(lib.ones(2), -1.0, None),
    lambda lib: lib.nn.Hardtanh("a", 1.0),
    lambda lib: lib.nn.functional.celu(lib.ones(2), "a"),
    lambda lib: lib.nn.functional.softshrink(lib.ones(2), "a"),
    lambda lib: lib.nn.functional.hardshrink(lib.ones(2), None),
    lambda lib: lib.nn.functional.threshold(lib.ones(2), "a", 1.0),
    lambda lib: lib.nn.functional.threshold(lib.ones(2), 1.0, None),
])
def test_non_numeric_arguments_are_refused_as_torch(call):
    refused_by_both(call, TypeError, tg.DTypeError, match="must be a number")


def test_non_tensor_inputs_are_refused():
    for fn in (F.gelu, F.silu, F.elu, F.softplus, F.logsigmoid, F.hardtanh, F.relu6, F.selu, F.celu, F.mish,
               F.hardswish, F.hardsigmoid, F.softsign, F.tanhshrink, F.softshrink, F.hardshrink,
               lambda x: F.threshold(x, 0.0, 0.0), lambda x: F.prelu(x, tg.ones(1))):
        with pytest.raises(TypeError, match="input must be a Tensor, got ndarray"):
            fn(np.ones(2))


def test_numpy_scalar_arguments_do_not_widen_float32():
    x = tg.randn(3)
    for y in (F.elu(x, np.float64(0.5)), F.softplus(x, np.float64(2.0), np.float64(5.0)),
              F.hardtanh(x, np.float64(-0.5), np.float64(0.5)), F.celu(x, np.float64(0.5)),
              F.softshrink(x, np.float64(0.2)), F.hardshrink(x, np.float64(0.2)),
              F.threshold(x, np.float64(0.1), np.float64(2.0))):
        assert y.dtype == tg.float32


# ---- GELU, SiLU, ELU, Softplus, LogSigmoid, Hardtanh and ReLU6 ---------------------------------------------

def test_tanh_gelu_gradient_is_finite_where_torchs_overflows_to_nan():
    x = np.array([1e20, -1e20, 3e38], np.float32)
    t = torch.tensor(x, requires_grad=True)
    TF.gelu(t, approximate="tanh").sum().backward()
    assert np.isnan(t.grad.numpy()).all()  # torch: x^2 = inf times (1 - tanh^2) = 0
    ours = tg.tensor(x, requires_grad=True)
    F.gelu(ours, approximate="tanh").sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), [1.0, 0.0, 1.0])


def test_exact_gelu_in_float32_is_its_float64_value_where_torchs_overflows():
    # torch's vectorized float32 GELU is NaN at +inf and inf at 3e38; here inf and 3e38, as its float64
    x = np.array([np.inf, 3e38, -3e38], np.float32)
    assert F.gelu(tg.tensor(x)).tolist() == [np.inf, np.float32(3e38), -0.0]


@pytest.mark.parametrize("fn", [F.hardtanh, F.relu6])
def test_hardtanh_gradient_at_nan_is_zero(fn):
    # torch's is 0 from its vectorized loop and 1 from its scalar one (a tensor's last few elements)
    x = tg.tensor([np.nan, 0.5, np.nan], requires_grad=True)
    fn(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_exact_gelu_keeps_relative_precision_for_negative_inputs():
    # x Phi(x) from erfc: torch's 1 + erf(x / sqrt 2) cancels (at x = -5 its 11th digit is off)
    x = np.array([-5.0, -8.0, -12.0, -20.0, -37.0])
    exact = x * np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    ours = F.gelu(tg.tensor(x)).numpy()
    np.testing.assert_allclose(ours, exact, rtol=1e-12)  # (x / sqrt 2's rounding, times 2 x^2 / 2)
    theirs = TF.gelu(torch.tensor(x)).numpy()
    assert abs(theirs[0] / exact[0] - 1) > 1e-12 and (theirs[2:] == 0).all()


def test_softplus_with_a_large_threshold_does_not_overflow():
    # torch computes log1p(exp(beta x)), inf from beta x = 710 on; here max(z, 0) + log1p(exp(-|z|))
    x = tg.tensor([800.0, 1000.0, -1000.0], requires_grad=True)
    y = F.softplus(x, threshold=1e4)
    y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy(), [800.0, 1000.0, 0.0])
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0, 0.0])
    assert torch.isinf(TF.softplus(torch.tensor([800.0]), threshold=1e4)).all()


def test_hardtanhs_deprecated_keywords_warn_as_torchs():
    for lib in (tg, torch):
        with pytest.warns(FutureWarning, match="`min_value` is deprecated and renamed to `min_val`"):
            layer = lib.nn.Hardtanh(min_value=-2.0)
        with pytest.warns(FutureWarning, match="`max_value` is deprecated"):
            layer = lib.nn.Hardtanh(max_value=3.0)
        assert (layer.min_val, layer.max_val) == (-1.0, 3.0)


# ---- integer inputs --------------------------------------------------------------------------------

SIGNED_ONLY = [(lambda lib, x: lib.nn.functional.hardtanh(x)), (lambda lib, x: lib.nn.functional.hardtanh(x, -2.7, 2.7))]
NONNEGATIVE = [(lambda lib, x: lib.nn.functional.relu6(x)), (lambda lib, x: lib.nn.functional.hardtanh(x, 0, 2.9))]


@pytest.mark.parametrize("fn, dtype", [(fn, d) for fn in SIGNED_ONLY + NONNEGATIVE for d in ("int64", "int8", "int32")]
                         + [(fn, "uint8") for fn in NONNEGATIVE])
def test_hardtanh_and_relu6_of_integers_compute_as_torch(fn, dtype):
    data = np.arange(-9, 10) if dtype != "uint8" else np.arange(0, 20)
    ours, theirs = fn(tg, tg.tensor(data.astype(dtype))), fn(torch, torch.tensor(data.astype(dtype)))
    assert ours.dtype == np.dtype(dtype) and ours.tolist() == theirs.tolist()


# ---- bad arguments ---------------------------------------------------------------------------------

def test_gelu_refuses_an_unknown_approximation():
    # torch raises a RuntimeError; here a ConfigError (a ValueError, as for other unknown settings)
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        TF.gelu(torch.ones(2), approximate="foo")
    for approximate in ("foo", "Tanh", "exact", ""):
        with pytest.raises(ConfigError, match=r"gelu: approximate must be 'none' or 'tanh', got '"):
            F.gelu(tg.ones(2), approximate=approximate)
    layer = nn.GELU("foo")  # taken, and refused when called, as in torch
    assert repr(layer) == repr(torch.nn.GELU("foo"))
    with pytest.raises(ConfigError):
        layer(tg.ones(2))
    refused_by_both(lambda lib: lib.nn.functional.gelu(lib.ones(2), approximate=None), TypeError,
                    match="approximate must be a str")
    refused_by_both(lambda lib: lib.nn.functional.gelu(lib.ones(2), "tanh"), TypeError)  # keyword-only


def test_hardtanh_refuses_min_val_above_max_val_as_torch():
    refused_by_both(lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 1.0, -1.0), ValueError, ConfigError,
                    match=r"hardtanh: min_val cannot be greater than max_val, got 1.0 > -1.0")
    for lib in (tg, torch):  # equal bounds: allowed in the function, everything becomes that value
        x = lib.tensor([-2.0, 0.5, 3.0], requires_grad=True)
        lib.nn.functional.hardtanh(x, 0.5, 0.5).sum().backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0]
    # the module also refuses equal bounds: torch with an AssertionError, here a ConfigError
    for bounds in ((1.0, 1.0), (2.0, 1.0)):
        with pytest.raises(AssertionError, match="must be greater than min_val"):
            torch.nn.Hardtanh(*bounds)
        with pytest.raises(ConfigError, match=r"Hardtanh: max_val \(.*\) must be greater than min_val"):
            nn.Hardtanh(*bounds)


def test_hardtanh_refuses_bounds_torch_refuses():
    refused_by_both(lambda lib: lib.nn.functional.hardtanh(lib.ones(2, dtype=lib.bool)), RuntimeError, tg.DTypeError,
                    match="bool inputs are not supported")
    refused_by_both(lambda lib: lib.nn.functional.relu6(lib.ones(2, dtype=lib.bool)), RuntimeError, tg.DTypeError)
    refused_by_both(lambda lib: lib.nn.functional.hardtanh(lib.ones(2, dtype=lib.uint8)), RuntimeError,
                    OutOfRangeError, match="negative limits for an unsigned tensor")
    refused_by_both(lambda lib: lib.nn.functional.hardtanh(lib.ones(2, dtype=lib.int8), -1000, 1000), RuntimeError,
                    OutOfRangeError, match="the limit -1000 does not fit in the tensor's dtype int8")
    refused_by_both(lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 1e300, 1e301), RuntimeError,
                    OutOfRangeError, match="float32")
    x = np.array([0.5, 2.0])  # in float64 the same bounds fit
    assert F.hardtanh(tg.tensor(x), 1e300, 1e301).tolist() == TF.hardtanh(torch.tensor(x), 1e300, 1e301).tolist()


def test_calculate_gain_takes_the_names_torch_takes():
    # torch's calculate_gain knows none of these activations (its list: linear, conv*, sigmoid, tanh, relu,
    # leaky_relu, selu), so both refuse them
    for name in ("gelu", "silu", "elu", "softplus", "logsigmoid", "hardtanh", "relu6"):
        for lib in (tg, torch):
            with pytest.raises(ValueError):
                lib.nn.init.calculate_gain(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.init.calculate_gain("selu") == torch.nn.init.calculate_gain("selu")


def test_inplace_elu_with_a_negative_alpha_gets_the_right_gradient_where_torch_refuses():
    w = torch.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="In-place elu backward calculation is triggered with a negative slope"):
        TF.elu(w * -1, -0.5, inplace=True).sum().backward()
    w = tg.ones(2, requires_grad=True)
    F.elu(w * -1, -0.5, inplace=True).sum().backward()  # recorded as the out-of-place op, so it has one
    np.testing.assert_allclose(w.grad.numpy(), [0.5 * math.exp(-1)] * 2, rtol=1e-6)
