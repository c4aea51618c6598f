"""Every op of the engine against PyTorch: forward values and every input gradient, in float64
with rtol 1e-10 (the default of assert_matches_torch), over several shapes."""
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tinygrad_mnist as tg
from tinygrad_mnist.errors import DTypeError
from tinygrad_mnist.testing import assert_matches_torch

from test_tensor_api import same  # equal values, NaNs and signs of zeros, and dtype


class T:
    """A shape whose array is handed over as a transposed, non-contiguous view."""

    def __init__(self, *shape):
        self.shape = shape

    def __repr__(self):
        return f"T{self.shape}"


def arr(spec, domain="any", seed=0):
    """Random float64 values of a shape (or T(shape)) in a domain: any, positive or nonzero."""
    transposed = isinstance(spec, T)
    shape = spec.shape if transposed else spec
    rng = np.random.default_rng(seed)
    size = shape[::-1] if transposed else shape
    if domain == "any":
        a = rng.uniform(-2, 2, size)
    elif domain == "positive":
        a = rng.uniform(0.5, 2, size)
    else:  # nonzero: magnitudes in [0.5, 2), random signs
        a = rng.uniform(0.5, 2, size) * rng.choice([-1.0, 1.0], size)
    a = np.asarray(a)
    if transposed:
        a = a.T
        assert not a.flags.c_contiguous
    return a


def check(fn, *arrays, torch_fn=None, **tol):
    """assert_matches_torch with the same code for both libraries unless torch_fn is given."""
    assert_matches_torch(fn, torch_fn or fn, *arrays, **tol)


UNARY_SHAPES = [(), (1,), (5,), (3, 4), (2, 1, 3), T(3, 4), T(2, 3, 4)]

UNARY = [  # name, ours, torch, domain
    ("neg", lambda x: -x, lambda x: -x, "any"),
    ("neg_method", lambda x: x.neg(), lambda x: x.neg(), "any"),
    ("exp", lambda x: x.exp(), lambda x: x.exp(), "any"),
    ("log", lambda x: x.log(), lambda x: x.log(), "positive"),
    ("sqrt", lambda x: x.sqrt(), lambda x: x.sqrt(), "positive"),
    ("abs", lambda x: x.abs(), lambda x: x.abs(), "nonzero"),
    ("relu", lambda x: x.relu(), lambda x: x.relu(), "nonzero"),
    ("leaky_relu", lambda x: x.leaky_relu(), lambda x: F.leaky_relu(x), "nonzero"),
    ("leaky_relu_0.2", lambda x: x.leaky_relu(0.2), lambda x: F.leaky_relu(x, 0.2), "nonzero"),
    ("sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid(), "any"),
    ("tanh", lambda x: x.tanh(), lambda x: x.tanh(), "any"),
]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=repr)
@pytest.mark.parametrize("name, ours, theirs, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary(name, ours, theirs, domain, shape):
    check(ours, arr(shape, domain), torch_fn=theirs)


@pytest.mark.parametrize("name, ours, theirs, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_after_transpose_in_graph(name, ours, theirs, domain):
    check(lambda x: ours(x.transpose(0, 2)), arr((2, 3, 4), domain),
          torch_fn=lambda x: theirs(x.transpose(0, 2)))


def test_kinks_at_zero_match_torch():
    # torch's conventions at the kink: abs'(0) = 0, relu'(0) = 0, leaky_relu'(0) = slope.
    x = np.array([-1.0, 0.0, 0.0, 2.0])
    for ours, theirs in [(lambda t: t.abs(), lambda t: t.abs()),
                         (lambda t: t.relu(), lambda t: t.relu()),
                         (lambda t: t.leaky_relu(0.3), lambda t: F.leaky_relu(t, 0.3))]:
        check(ours, x, torch_fn=theirs)


def test_sigmoid_saturates_like_torch():
    check(lambda x: x.sigmoid(), np.array([-800.0, -40.0, -1e-8, 0.0, 1e-8, 40.0, 800.0]))


FLOAT_ONLY_UNARY = [  # name, op (same code for both libraries)
    ("exp", lambda x: x.exp()), ("log", lambda x: x.log()), ("log1p", lambda x: x.log1p()),
    ("sqrt", lambda x: x.sqrt()), ("sigmoid", lambda x: x.sigmoid()), ("tanh", lambda x: x.tanh()),
    ("logsumexp", lambda x: x.logsumexp(0)),
]


@pytest.mark.parametrize("values", [np.arange(1, 4), np.array([True, False]), np.array([1, 20], np.uint8),
                                    np.array([3], np.int32)], ids=lambda v: v.dtype.name)
@pytest.mark.parametrize("name, op", FLOAT_ONLY_UNARY, ids=[u[0] for u in FLOAT_ONLY_UNARY])
def test_float_only_ops_of_integer_and_bool_tensors_give_float32_like_torch(name, op, values):
    check(op, values, rtol=1e-6, atol=1e-7)  # also compares the dtypes: float32 in both


@pytest.mark.parametrize("ours, theirs", [(lambda x: x.softmax(0), lambda x: x.softmax(0)),
                                          (lambda x: x.log_softmax(0), lambda x: x.log_softmax(0)),
                                          (lambda x: x.leaky_relu(), F.leaky_relu)],
                         ids=["softmax", "log_softmax", "leaky_relu"])
def test_softmax_and_leaky_relu_of_integer_tensors_are_refused_like_torch(ours, theirs):
    with pytest.raises(tg.DTypeError, match="needs a floating-point tensor, got dtype int64"):
        ours(tg.arange(1, 4))
    with pytest.raises(NotImplementedError):
        theirs(torch.arange(1, 4))


BINARY_PAIRS = [
    ((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)),
    ((2, 3, 4), (4,)), ((), (2, 3)), ((1,), (3,)), ((2, 1, 3), (4, 1)),
    (T(3, 4), (3, 4)), (T(3, 4), T(3, 4)), (T(4, 3), (1, 3)),
]

BINARY = [  # name, op (same code for both libraries), domain of a, domain of b
    ("add", lambda a, b: a + b, "any", "any"),
    ("sub", lambda a, b: a - b, "any", "any"),
    ("mul", lambda a, b: a * b, "any", "any"),
    ("div", lambda a, b: a / b, "any", "nonzero"),
    ("pow", lambda a, b: a ** b, "positive", "any"),
    ("maximum", lambda a, b: a.maximum(b), "any", "any"),
    ("minimum", lambda a, b: a.minimum(b), "any", "any"),
    ("add_method", lambda a, b: a.add(b), "any", "any"),
    ("sub_method", lambda a, b: a.sub(b), "any", "any"),
    ("mul_method", lambda a, b: a.mul(b), "any", "any"),
    ("div_method", lambda a, b: a.div(b), "any", "nonzero"),
    ("pow_method", lambda a, b: a.pow(b), "positive", "any"),
]


@pytest.mark.parametrize("shapes", BINARY_PAIRS, ids=repr)
@pytest.mark.parametrize("name, op, dom_a, dom_b", BINARY, ids=[b[0] for b in BINARY])
def test_binary(name, op, dom_a, dom_b, shapes):
    check(op, arr(shapes[0], dom_a, seed=1), arr(shapes[1], dom_b, seed=2))


def test_module_level_maximum_minimum():
    a, b = arr((3, 1), seed=1), arr((4,), seed=2)
    check(lambda a, b: tg.maximum(a, b), a, b, torch_fn=torch.maximum)
    check(lambda a, b: tg.minimum(a, b), a, b, torch_fn=torch.minimum)


def test_maximum_minimum_ties_split_the_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0, -1.0, 0.0])
    b = np.array([1.0, 0.0, 3.0, 4.0, 0.0])
    check(lambda a, b: a.maximum(b), a, b)
    check(lambda a, b: a.minimum(b), a, b)
    check(lambda a: a.maximum(a), a)  # the same tensor on both sides: the halves add up to 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 ** -1, 0 / 0: expected
def test_pow_at_zero_base_matches_torch():
    # torch: d(a**b)/db is 0 where a == 0 and b >= 0; d/da is 0 where b == 0.
    a = np.array([0.0, 0.0, 1.5, 2.0, 0.5])
    b = np.array([2.0, 0.0, 0.0, -1.0, 3.0])
    check(lambda a, b: a ** b, a, b)


@pytest.mark.parametrize("dtypes", [("float32", "float64"), ("float64", "float32"), ("float16", "float32"),
                                    ("float32", "float16")], ids="-".join)
@pytest.mark.parametrize("create_graph", [False, True])
def test_pow_of_two_dtypes_takes_its_gradients_in_the_results_dtype_as_torch(dtypes, create_graph):
    # float16 ** float32 is float32: log(a) for d/db must be taken in float32 too, not in float16
    a, b = np.array([0.5, 2.0, 3.0, 0.7]), np.array([2.0, 0.5, -1.5, 3.3])
    grads = []
    for lib in (tg, torch):
        x = lib.tensor(a.astype(dtypes[0]), requires_grad=True)
        y = lib.tensor(b.astype(dtypes[1]), requires_grad=True)
        gx, gy = lib.autograd.grad((x ** y).sum(), [x, y], create_graph=create_graph)
        grads.append([(g.dtype if lib is tg else np.dtype(str(g.dtype).split(".")[1]), g.detach().numpy())
                      for g in (gx, gy)])
    for (ours_dtype, ours), (theirs_dtype, theirs) in zip(*grads):
        assert ours_dtype == theirs_dtype
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("a, b", [(1e30, 1e20), (1e-25, 1e-25), (-3e38, 2e19)], ids=repr)
def test_the_gradient_of_a_division_by_a_large_or_tiny_float32_is_finite_as_torch(a, b):
    grads = []
    for lib in (tg, torch):
        x = lib.tensor([a], requires_grad=True)
        y = lib.tensor([b], requires_grad=True)
        (x / y).sum().backward()
        grads.append((x.grad.tolist(), y.grad.tolist()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-6)
    assert np.isfinite(grads[0]).all() and 0 not in grads[0][1]


@pytest.mark.parametrize("base, exponent", [
    (([2, 1, -1, 3, 0, -2, -1, -1], np.int64), ([-1, -1, -1, 2, -2, -3, -2, -3], np.int64)),
    (([2, 3], np.uint8), ([-1, 2], np.int64)),
    (([2, -1], np.int32), (-1, np.int64)),
    (([True, False], bool), ([-1, 2], np.int64)),
    (2, ([-1, 3], np.int64)),
], ids=["int64", "uint8-int64", "int32-0d", "bool-int64", "number"])
def test_integer_powers_with_negative_integer_tensor_exponents_match_torch(base, exponent):
    # torch: 1 ** -n = 1, (-1) ** -n = +-1 and 0 otherwise, where NumPy refuses
    def tensors(lib, spec):
        return spec if isinstance(spec, int) else lib.tensor(np.array(spec[0], dtype=spec[1]))
    same(tensors(tg, base) ** tensors(tg, exponent), tensors(torch, base) ** tensors(torch, exponent))


SCALAR_OPS = [  # name, op, domain of x
    ("add", lambda x: x + 2.5, "any"),
    ("radd", lambda x: 2.5 + x, "any"),
    ("add_int", lambda x: x + 2, "any"),
    ("sub", lambda x: x - 3, "any"),
    ("rsub", lambda x: 3 - x, "any"),
    ("mul", lambda x: x * -1.5, "any"),
    ("rmul", lambda x: 2 * x, "any"),
    ("div", lambda x: x / 4, "any"),
    ("rdiv", lambda x: 4 / x, "nonzero"),
    ("pow_2", lambda x: x ** 2, "any"),
    ("pow_3", lambda x: x ** 3, "any"),
    ("pow_0", lambda x: x ** 0, "any"),
    ("pow_1", lambda x: x ** 1, "any"),
    ("pow_half", lambda x: x ** 0.5, "positive"),
    ("pow_neg", lambda x: x ** -1.5, "positive"),
    ("pow_float_int_valued", lambda x: x ** 2.0, "any"),
    ("rpow", lambda x: 2 ** x, "any"),
    ("rpow_float", lambda x: 0.5 ** x, "any"),
]


@pytest.mark.parametrize("shape", [(), (1,), (3, 4), T(3, 4)], ids=repr)
@pytest.mark.parametrize("name, op, domain", SCALAR_OPS, ids=[s[0] for s in SCALAR_OPS])
def test_python_scalar_operands(name, op, domain, shape):
    check(op, arr(shape, domain))


MATMUL_SHAPES = [
    ((4,), (4,)), ((4,), (4, 3)), ((3, 4), (4,)), ((3, 4), (4, 5)), ((1, 4), (4, 1)),
    ((2, 3, 4), (4, 5)), ((2, 3, 4), (2, 4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), (T(3, 4), (4, 5)), ((3, 4), T(4, 5)), (T(3, 4), T(4, 2)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=repr)
def test_matmul(shapes):
    a, b = arr(shapes[0], seed=1), arr(shapes[1], seed=2)
    check(lambda a, b: a @ b, a, b)
    check(lambda a, b: a.matmul(b), a, b)


def test_matmul_function_and_reflected_with_ndarray():
    a, b = arr((3, 4), seed=1), arr((4, 2), seed=2)
    check(lambda a, b: tg.matmul(a, b), a, b, torch_fn=torch.matmul)
    check(lambda a: a.T @ a, a)  # the same tensor on both sides, once transposed in the graph
    ours = b.T @ tg.tensor(a.T)  # ndarray @ Tensor goes to Tensor.__rmatmul__
    assert isinstance(ours, tg.Tensor)
    np.testing.assert_allclose(ours.numpy(), b.T @ a.T, rtol=1e-12)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)), ((2, 2, 3), (3, 4))], ids=repr)
def test_matmul_of_bool_tensors_is_refused_as_in_torch(shapes):
    for lib in (tg, torch):  # torch: "addmm_impl_cpu_" (or "dot", "bmm") not implemented for 'Bool'
        a, b = (lib.ones(*shape, dtype=lib.bool) for shape in shapes)
        with pytest.raises(RuntimeError):
            a @ b
        with pytest.raises(RuntimeError):
            lib.matmul(a, b)
    a, b = (tg.ones(*shape, dtype=tg.bool) for shape in shapes)
    with pytest.raises(DTypeError, match=r"matmul: bool tensors have no matrix product \(torch refuses them too\)"):
        a @ b


# ---- softmax family ---------------------------------------------------------------------------

SOFTMAX_CASES = [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1),
                 (T(3, 4), 1), (T(2, 3, 4), 0), ((1, 1), 1), ((), 0)]
SOFTMAX_OPS = [
    ("softmax", lambda x, d: x.softmax(d)),
    ("log_softmax", lambda x, d: x.log_softmax(d)),
    ("logsumexp", lambda x, d: x.logsumexp(d)),
    ("logsumexp_keepdim", lambda x, d: x.logsumexp(d, keepdim=True)),
]


@pytest.mark.parametrize("scale", [1.0, 1e4], ids=["unit", "1e4"])
@pytest.mark.parametrize("shape, dim", SOFTMAX_CASES, ids=repr)
@pytest.mark.parametrize("name, op", SOFTMAX_OPS, ids=[s[0] for s in SOFTMAX_OPS])
def test_softmax_family(name, op, shape, dim, scale):
    check(lambda x: op(x, dim), arr(shape) * scale)


@pytest.mark.parametrize("name, op", SOFTMAX_OPS, ids=[s[0] for s in SOFTMAX_OPS])
def test_softmax_family_with_minus_inf_entries(name, op):
    # -inf is the usual mask value for logits; each row keeps at least one finite entry.
    x = np.array([[0.0, -np.inf, 1.0, 3.0], [-np.inf, 2.0, -np.inf, -1e4], [5.0, 5.0, 5.0, 5.0]])
    check(lambda t: op(t, 1), x)
    check(lambda t: op(t, 0), x[:, 1:])


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf: expected
@pytest.mark.parametrize("name, op", SOFTMAX_OPS, ids=[s[0] for s in SOFTMAX_OPS])
def test_softmax_family_of_rows_holding_plus_inf_matches_torch(name, op):
    # softmax and log_softmax: NaN throughout a row holding +inf (inf - inf); logsumexp: inf there
    x = np.array([[np.inf, 1.0, 2.0], [np.inf, -np.inf, 1.0], [np.inf, np.inf, 1.0], [-np.inf, -np.inf, -np.inf]])
    same(op(tg.tensor(x), 1), op(torch.tensor(x), 1))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 ** -1, 0 / 0: expected
def test_softmax_of_a_fully_masked_row_is_nan_like_torch():
    x = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
    check(lambda t: t.softmax(1), x)
    check(lambda t: t.log_softmax(1), x)


@pytest.mark.parametrize("dim, keepdim", [(None, False), ((0, 2), False), ((0, 2), True),
                                          ((-1, 0), True), ((1,), False)])
def test_logsumexp_over_several_dims(dim, keepdim):
    x = arr((2, 3, 4)) * 50
    if dim is None:  # torch.logsumexp needs a dim; all of them is the same reduction
        check(lambda t: t.logsumexp(), x, torch_fn=lambda t: t.logsumexp((0, 1, 2)))
    else:
        check(lambda t: t.logsumexp(dim, keepdim=keepdim), x)


def test_log_softmax_then_nll_as_in_the_readme():
    x, y = arr((6, 5)) * 30, np.array([0, 4, 4, 1, 2, 0])
    check(lambda x, y: x.log_softmax(1)[tg.arange(6), y].mean().neg(), x, y,
          torch_fn=lambda x, y: x.log_softmax(1)[torch.arange(6), y].mean().neg())


# ---- reductions -------------------------------------------------------------------------------

REDUCE_CASES = [  # shape, dim, keepdim
    ((2, 3, 4), None, False), ((2, 3, 4), None, True), ((2, 3, 4), 0, False), ((2, 3, 4), -1, True),
    ((2, 3, 4), (0, 2), False), ((2, 3, 4), (2, 0), True), ((2, 3, 4), 1, False),
    (T(3, 4), 0, False), (T(3, 4), 1, True), (T(3, 4), None, False), ((5,), 0, False),
    ((1,), None, False), ((1, 4), 0, True), ((), None, False), ((), 0, True),
]


def _reduce(name, dim, keepdim, **kw):
    if dim is None and not keepdim:
        return lambda x: getattr(x, name)(**kw)
    return lambda x: getattr(x, name)(dim=dim, keepdim=keepdim, **kw)


@pytest.mark.parametrize("shape, dim, keepdim", REDUCE_CASES, ids=repr)
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_sum_mean(name, shape, dim, keepdim):
    check(_reduce(name, dim, keepdim), arr(shape))


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int32", "int64", "bool"])
def test_sum_of_integer_and_bool_tensors_is_int64_like_torch(dtype):
    values = np.array([[200, 100], [1, 0]]).astype(dtype)
    for dim in (None, 0, 1):
        check(lambda t: t.sum(dim), values)


@pytest.mark.parametrize("shape, dim, keepdim", [c for c in REDUCE_CASES if c[0] not in [(), (1,), (1, 4)]],
                         ids=repr)
@pytest.mark.parametrize("correction", [1, 0])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std(name, correction, shape, dim, keepdim):
    x = arr(shape) + 10  # an offset exercises the centring
    check(_reduce(name, dim, keepdim, correction=correction), x)
    if dim is not None:
        check(_reduce(name, dim, keepdim, unbiased=bool(correction)), x)


def test_std_of_constant_values_has_zero_gradient_like_torch():
    # d sqrt(v)/dv is infinite at v = 0; torch defines std's gradient there as 0, not nan.
    x = np.array([[1.5, -2.0, 3.0, 3.0]])
    check(lambda t: t.std(0, correction=0), x)
    check(lambda t: t.std(1, correction=0), np.array([[3.0, 3.0], [1.0, 2.0]]))
    check(lambda t: t.var(0, correction=0), x)


@pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_without_degrees_of_freedom_are_nan_like_torch(name):
    check(lambda t: getattr(t, name)(0), np.array([[1.5, -2.0, 3.0]]))
    check(lambda t: getattr(t, name)(), np.array(2.0))


EMPTY_REDUCTIONS = [((0,), None), ((0, 3), 0), ((3, 0), 1), ((0, 3), (0, 1)), ((2, 0, 3), 1), ((0, 3), None)]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("shape, dim", EMPTY_REDUCTIONS, ids=repr)
@pytest.mark.parametrize("name", ["mean", "var", "std"])
def test_mean_var_and_std_of_no_elements_are_nan_with_no_warning_of_numpys_forward_or_backward(name, shape, dim, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns only that var and std have no degrees of freedom
        warnings.filterwarnings("ignore", r"(var|std)\(\): degrees of freedom is <= 0", UserWarning)
        check(lambda t: getattr(t, name)(dim), np.zeros(shape, dtype))
        check(lambda t: getattr(t, name)(dim, keepdim=True), np.zeros(shape, dtype))


NO_FREEDOM = [((0,), None, 1), ((0,), None, 0), ((1,), None, 1), ((0, 3), 0, 1), ((3, 0), 0, 1), ((0, 3), 1, 1),
              ((2, 3), 0, 2), ((2, 3), 0, 3), ((2, 3), (0, 1), 6),
              ((0,), None, -1), ((0, 3), 0, -1), ((3, 0), 0, -1)]  # torch: no warning, and nan (or empty)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16"])
@pytest.mark.parametrize("shape, dim, correction", NO_FREEDOM, ids=repr)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_without_degrees_of_freedom_warn_only_as_torch_does(name, shape, dim, correction, dtype):
    values = arr(shape).astype(dtype)
    caught, outs = {}, {}
    for lib in (tg, torch):
        with warnings.catch_warnings(record=True) as caught[lib]:
            warnings.simplefilter("always")
            outs[lib] = getattr(lib.tensor(values), name)(dim, correction=correction)
        caught[lib] = [(w.category, str(w.message).split(" (Triggered internally")[0]) for w in caught[lib]]
    same(outs[tg], outs[torch])  # inf where the sum of squares is not 0, else nan
    warned = [(UserWarning, f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                            "reduction factor (input numel divided by output numel).")]
    assert caught[tg] == caught[torch] == (warned if correction >= 0 else [])


MAXMIN_CASES = [((2, 3, 4), 0, False), ((2, 3, 4), -1, True), ((2, 3, 4), 1, False),
                (T(3, 4), 1, False), (T(3, 4), 0, True), ((5,), 0, False), ((1, 4), 0, True), ((), 0, False),
                ((), 0, True)]


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_over_everything(name):
    for shape in [(), (1,), (5,), (2, 3, 4), T(3, 4)]:
        check(lambda x: getattr(x, name)(), arr(shape))


@pytest.mark.parametrize("shape, dim, keepdim", MAXMIN_CASES, ids=repr)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_along_a_dim_return_values_and_indices(name, shape, dim, keepdim):
    x = arr(shape)
    check(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim).values, x)
    check(lambda t: getattr(t, name)(dim, keepdim)[0], x)
    ours = getattr(tg.tensor(x), name)(dim=dim, keepdim=keepdim)
    theirs = getattr(torch.tensor(x), name)(dim=dim, keepdim=keepdim)
    values, indices = ours  # unpacks like torch's (values, indices)
    assert indices.dtype == tg.int64
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
    np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())


TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_ties_like_torch(name):
    # Over everything torch shares the gradient evenly between tied elements; along a dim it
    # goes to the single index returned, the first tied one.
    check(lambda t: getattr(t, name)(), TIES)
    for dim in (0, 1):
        check(lambda t: getattr(t, name)(dim).values, TIES)
        np.testing.assert_array_equal(getattr(tg.tensor(TIES), name)(dim).indices.numpy(),
                                      getattr(torch.tensor(TIES), name)(dim).indices.numpy())


# ---- shape ops --------------------------------------------------------------------------------

SHAPE_OPS = [  # name, input shape, op (same code for both libraries)
    ("reshape_flat", (3, 4), lambda x: x.reshape(-1)),
    ("reshape_args", (3, 4), lambda x: x.reshape(2, 3, 2)),
    ("reshape_tuple", (3, 4), lambda x: x.reshape((4, -1))),
    ("reshape_transposed", T(3, 4), lambda x: x.reshape(12)),
    ("reshape_0d", (), lambda x: x.reshape(1, 1)),
    ("reshape_to_0d", (1, 1), lambda x: x.reshape(())),
    ("view", (3, 4), lambda x: x.view(2, 6)),
    ("view_minus1", (2, 3, 4), lambda x: x.view(-1, 4)),
    ("flatten", (2, 3, 4), lambda x: x.flatten()),
    ("flatten_start", (2, 3, 4), lambda x: x.flatten(1)),
    ("flatten_range", (2, 3, 4, 1), lambda x: x.flatten(0, 1)),
    ("flatten_transposed", T(3, 4), lambda x: x.flatten()),
    ("flatten_0d", (), lambda x: x.flatten()),
    ("transpose", (3, 4), lambda x: x.transpose(0, 1)),
    ("transpose_neg", (2, 3, 4), lambda x: x.transpose(-1, 0)),
    ("transpose_same", (2, 3), lambda x: x.transpose(1, 1)),
    ("transpose_0d", (), lambda x: x.transpose(0, 0)),
    ("permute", (2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ("permute_tuple", (2, 3, 4), lambda x: x.permute((1, 2, 0))),
    ("permute_neg", (2, 3, 4), lambda x: x.permute(-1, -3, -2)),
    ("T", (3, 4), lambda x: x.T),
    ("T_transposed", T(3, 4), lambda x: x.T),
    ("mT", (2, 3, 4), lambda x: x.mT),
    ("squeeze_all", (1, 3, 1, 4), lambda x: x.squeeze()),
    ("squeeze_dim", (1, 3, 1, 4), lambda x: x.squeeze(2)),
    ("squeeze_neg", (3, 1), lambda x: x.squeeze(-1)),
    ("squeeze_not_one", (3, 4), lambda x: x.squeeze(0)),
    ("squeeze_0d", (), lambda x: x.squeeze()),
    ("unsqueeze_front", (3, 4), lambda x: x.unsqueeze(0)),
    ("unsqueeze_back", (3, 4), lambda x: x.unsqueeze(-1)),
    ("unsqueeze_mid", (3, 4), lambda x: x.unsqueeze(1)),
    ("unsqueeze_0d", (), lambda x: x.unsqueeze(0)),
    ("expand", (3, 1), lambda x: x.expand(3, 4)),
    ("expand_minus1", (3, 1), lambda x: x.expand(-1, 5)),
    ("expand_new_dims", (3, 1), lambda x: x.expand(2, 3, 4)),
    ("expand_tuple", (1,), lambda x: x.expand((2, 3))),
    ("expand_0d", (), lambda x: x.expand(2, 3)),
    ("expand_transposed", T(2, 1, 3), lambda x: x.expand(4, 2, 5, 3)),
    ("expand_as", (1, 4), lambda x: x.expand_as(x * np.ones((3, 1)) if isinstance(x, tg.Tensor)
                                                else x * torch.ones(3, 1, dtype=x.dtype))),
]


@pytest.mark.parametrize("name, shape, op", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_ops(name, shape, op):
    check(op, arr(shape))


def test_shape_ops_composed_then_reduced():
    x = arr((2, 3, 4))
    check(lambda t: (t.permute(2, 0, 1).reshape(4, 6).T.unsqueeze(0).expand(2, 6, 4)
                     * t.reshape(6, 4)).sum(0), x)


# ---- indexing ---------------------------------------------------------------------------------

INDEXES = [  # name, index (a list is the same for both; ndarrays become tensors of each library)
    ("int", 1),
    ("negative_int", -1),
    ("slice", slice(1, 3)),
    ("slice_step", (slice(None), slice(1, 5, 2))),
    ("ellipsis", (Ellipsis, 0)),
    ("none", (None, slice(1, None))),
    ("element", (1, 2)),
    ("int_list_repeated", [0, 2, 0, 0]),
    ("int_array_pairs_repeated", (np.array([0, 0, 3, 0]), np.array([1, 1, 4, 1]))),
    ("int_array_in_dim1", (slice(None), np.array([4, 4, 0]))),
    ("int_array_2d", np.array([[0, 1], [1, 1]])),
    ("slice_and_array", (slice(1, None), np.array([0, 0, 2]))),
    ("negative_int_array", np.array([-1, -1, 1])),
    ("bool_rows", np.array([True, False, True, True])),
    ("bool_mask_2d", np.arange(20).reshape(4, 5) % 3 == 0),
    ("bool_then_slice", (np.array([False, True, True, False]), slice(0, 2))),
]


def _to(lib_tensor, index):
    if isinstance(index, tuple):
        return tuple(_to(lib_tensor, i) for i in index)
    return lib_tensor(index) if isinstance(index, np.ndarray) else index


@pytest.mark.parametrize("transposed", [False, True], ids=["contiguous", "transposed"])
@pytest.mark.parametrize("name, index", INDEXES, ids=[i[0] for i in INDEXES])
def test_getitem(name, index, transposed):
    x = arr(T(4, 5) if transposed else (4, 5))
    check(lambda t: t[_to(tg.tensor, index)], x, torch_fn=lambda t: t[_to(torch.tensor, index)])
    if isinstance(index, np.ndarray) or (isinstance(index, tuple) and
                                         any(isinstance(i, np.ndarray) for i in index)):
        check(lambda t: t[index], x, torch_fn=lambda t: t[_to(torch.tensor, index)])  # raw ndarrays


def test_getitem_repeated_indices_accumulate_gradient():
    x = arr((3,))
    check(lambda t: t[[1, 1, 1, 0]], x)
    t = tg.tensor(x, requires_grad=True)
    t[[1, 1, 1, 0]].sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [1.0, 3.0, 0.0])


def test_getitem_with_mask_computed_from_the_data():
    x = arr((4, 5))
    check(lambda t: t[t > 0], x)
    check(lambda t: t[t.sum(1) > 0], x)
    check(lambda t: t[0][t[0] < 0.5] * 2, x)


def test_getitem_of_0d_and_1d():
    check(lambda t: t[...], arr(()))
    check(lambda t: t[None], arr(()))
    check(lambda t: t[2], arr((5,)))
    check(lambda t: t[::2], arr((5,)))


# ---- joining and selection --------------------------------------------------------------------

CAT_CASES = [  # shapes, dim
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1), ([(2, 3), (2, 1), (2, 2)], -1),
    ([(3,), (1,), (2,)], 0), ([(2, 1, 3), (2, 2, 3)], 1), ([T(3, 4), (2, 4)], 0), ([(5,)], 0),
]


@pytest.mark.parametrize("shapes, dim", CAT_CASES, ids=repr)
def test_cat(shapes, dim):
    arrays = [arr(s, seed=i) for i, s in enumerate(shapes)]
    check(lambda *ts: tg.cat(ts, dim=dim), *arrays, torch_fn=lambda *ts: torch.cat(ts, dim=dim))


CAT_DTYPES = [("int64", "float32"), ("float32", "int64"), ("bool", "int64"), ("uint8", "int8"),
              ("float16", "float32"), ("int32", "float64"), ("bool", "float16")]


@pytest.mark.parametrize("dtypes", CAT_DTYPES, ids=repr)
def test_cat_and_stack_promote_mixed_dtypes_like_torch(dtypes):
    arrays = [np.array([1, 0]).astype(d) for d in dtypes]
    for join in ("cat", "stack"):
        check(lambda *ts: getattr(tg, join)(ts), *arrays, torch_fn=lambda *ts: getattr(torch, join)(ts))


def test_cat_of_an_integer_and_a_float_tensor_keeps_the_float_gradient_like_torch():
    check(lambda t: tg.cat([tg.tensor([1, 2]), t * 2]), arr((3,)).astype(np.float32),
          torch_fn=lambda t: torch.cat([torch.tensor([1, 2]), t * 2]))


@pytest.mark.parametrize("shape, dim", [((2, 3), 0), ((2, 3), 1), ((2, 3), 2), ((2, 3), -1),
                                        ((), 0), (T(3, 4), 1)], ids=repr)
def test_stack(shape, dim):
    arrays = [arr(shape, seed=i) for i in range(3)]
    check(lambda *ts: tg.stack(ts, dim=dim), *arrays, torch_fn=lambda *ts: torch.stack(ts, dim=dim))


def test_cat_and_stack_of_one_tensor_used_twice():
    check(lambda t: tg.cat([t, t * 2, t], 0), arr((2, 3)), torch_fn=lambda t: torch.cat([t, t * 2, t], 0))
    check(lambda t: tg.stack([t, t], 1), arr((3,)), torch_fn=lambda t: torch.stack([t, t], 1))


WHERE_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)), ((4,), (2, 3, 4), ()),
                ((3, 4), T(3, 4), (3, 4)), ((), (2,), (2,))]


@pytest.mark.parametrize("shapes", WHERE_SHAPES, ids=repr)
def test_where(shapes):
    cond = np.random.default_rng(3).random(shapes[0]) > 0.5
    a, b = arr(shapes[1], seed=1), arr(shapes[2], seed=2)
    check(lambda a, b: tg.where(tg.tensor(cond), a, b), a, b,
          torch_fn=lambda a, b: torch.where(torch.tensor(cond), a, b))
    check(lambda a, b: a.where(tg.tensor(cond), b), a, b,
          torch_fn=lambda a, b: a.where(torch.tensor(cond), b))


def test_where_with_scalars_and_data_conditions():
    x = arr((3, 4))
    check(lambda t: tg.where(t > 0, t, 0.0), x, torch_fn=lambda t: torch.where(t > 0, t, 0.0))
    check(lambda t: tg.where(t > 0, -1.0, t * 3), x, torch_fn=lambda t: torch.where(t > 0, -1.0, t * 3))
    check(lambda t: tg.where(t > 0, t, t * t), x, torch_fn=lambda t: torch.where(t > 0, t, t * t))


CLAMP_CASES = [dict(min=-0.5), dict(max=0.5), dict(min=-1.0, max=1.0), dict(min=0.3, max=0.3)]


@pytest.mark.parametrize("shape", [(), (5,), (3, 4), T(3, 4)], ids=repr)
@pytest.mark.parametrize("bounds", CLAMP_CASES, ids=repr)
def test_clamp(bounds, shape):
    check(lambda t: t.clamp(**bounds), arr(shape))
    check(lambda t: t.clip(**bounds), arr(shape))


def test_clamp_passes_the_gradient_at_the_bounds_like_torch():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    check(lambda t: t.clamp(-1.0, 1.0), x)
    check(lambda t: t.clamp(min=0.0), x)


@pytest.mark.parametrize("values", [np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0], np.float32),
                                    np.array([True, False])], ids=lambda v: v.dtype.name)
@pytest.mark.parametrize("bounds", [dict(min=1.5), dict(max=2), dict(min=np.float32(1.5)), dict(min=np.float64(1.5)),
                                    dict(min=np.int64(2)), dict(min=1, max=2.5)], ids=repr)
def test_clamp_dtypes_with_python_and_numpy_bounds_like_torch(bounds, values):
    check(lambda t: t.clamp(**bounds), values)


MASKED_FILL_CASES = [((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 4), (3, 1)), ((2, 3, 4), (4,)),
                     (T(3, 4), (3, 4)), ((), ())]


@pytest.mark.parametrize("value", [0.0, -1.5, -np.inf], ids=repr)
@pytest.mark.parametrize("shape, mask_shape", MASKED_FILL_CASES, ids=repr)
def test_masked_fill(shape, mask_shape, value):
    mask = np.random.default_rng(4).random(mask_shape) > 0.5
    check(lambda t: t.masked_fill(tg.tensor(mask), value), arr(shape),
          torch_fn=lambda t: t.masked_fill(torch.tensor(mask), value))


def test_masked_fill_then_softmax_like_attention():
    mask = np.triu(np.ones((4, 4), dtype=bool), 1)
    check(lambda t: t.masked_fill(tg.tensor(mask), -np.inf).softmax(-1), arr((2, 4, 4)),
          torch_fn=lambda t: t.masked_fill(torch.tensor(mask), -np.inf).softmax(-1))
    check(lambda t: t.masked_fill(t < 0, 0.0), arr((3, 4)))


# ---- without gradients ------------------------------------------------------------------------

COMPARISONS = [
    ("lt", lambda a, b: a < b), ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b),
    ("ge", lambda a, b: a >= b), ("eq_op", lambda a, b: a == b), ("ne_op", lambda a, b: a != b),
    ("eq", lambda a, b: a.eq(b)), ("ne", lambda a, b: a.ne(b)), ("lt_m", lambda a, b: a.lt(b)),
    ("le_m", lambda a, b: a.le(b)), ("gt_m", lambda a, b: a.gt(b)), ("ge_m", lambda a, b: a.ge(b)),
]


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((), ()),
                                    (T(3, 4), (3, 4))], ids=repr)
@pytest.mark.parametrize("name, op", COMPARISONS, ids=[c[0] for c in COMPARISONS])
def test_comparisons(name, op, shapes):
    # Rounded values make ties (a == b) common, so ==, <= and >= are really exercised.
    a = np.round(arr(shapes[0], seed=1))
    b = np.round(arr(shapes[1], seed=2))
    check(op, a, b)  # outputs are bool and do not require grad in either library
    check(lambda a: op(a, 1.0), a)
    check(lambda a: op(a, 0), a)
    out = op(tg.tensor(a, requires_grad=True), tg.tensor(b))
    assert out.dtype == tg.bool_ and not out.requires_grad and out.grad_fn is None


def test_comparisons_of_integer_tensors():
    a, b = np.array([1, 2, 3, 4]), np.array([4, 2, 2, 4])
    for _, op in COMPARISONS:
        check(op, a, b)
        check(lambda a: op(a, 2.5), a)


BITWISE_OPERANDS = [  # a, b (arrays become tensors of each library; numbers stay numbers)
    (np.array([1, 2, 6]), np.array([3, 1, 4])), (np.array([True, False, True]), np.array([True, True, False])),
    (np.array([1, 2, 6]), np.array([True, False, True])), (np.array([5, 0], np.uint8), 1),
    (np.array([True, False]), 1), (np.array([1, 2, 6]), 4), (np.array([5, 7], np.uint8), np.array(3)),
]


@pytest.mark.parametrize("a, b", BITWISE_OPERANDS, ids=repr)
@pytest.mark.parametrize("op", [lambda a, b: a & b, lambda a, b: a | b], ids=["and", "or"])
def test_and_or_are_bitwise_on_integers_and_logical_on_bools_like_torch(op, a, b):
    if isinstance(b, np.ndarray):
        check(op, a, b)
    else:
        check(lambda t: op(t, b), a)


def test_and_or_of_float_tensors_are_refused():
    with pytest.raises(tg.DTypeError, match="bitwise_and: needs bool or integer operands, got float32 and int64"):
        tg.tensor([1.0]) & tg.tensor([1])
    with pytest.raises(tg.DTypeError, match="bitwise_or: .*got int64 and float"):
        tg.tensor([1]) | 1.5
    with pytest.raises(NotImplementedError):
        torch.tensor([1.0]) & torch.tensor([1])


ARG_CASES = [((2, 3, 4), None, False), ((2, 3, 4), 0, False), ((2, 3, 4), -1, True),
             ((2, 3, 4), 1, False), (T(3, 4), 1, False), ((5,), 0, True), ((), None, False)]


@pytest.mark.parametrize("shape, dim, keepdim", ARG_CASES, ids=repr)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, shape, dim, keepdim):
    x = arr(shape)
    check(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), x)
    check(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), np.round(x))  # ties: the first


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_ties_pick_the_first_like_torch(name):
    for dim in (None, 0, 1):
        check(lambda t: getattr(t, name)(dim), TIES)
    check(lambda t: getattr(t, name)(), np.array([[1, 7, 7], [7, 0, 0]]))  # integer tensors too


def test_float16_mean_and_var_accumulate_in_float32_like_torch():
    values = np.random.default_rng(0).normal(3, 2, 100_000).astype(np.float16)  # sum beyond 65504
    for reduce in ("mean", "var", "std"):
        ours = getattr(tg.tensor(values), reduce)()
        theirs = getattr(torch.tensor(values), reduce)()
        assert ours.dtype == tg.float16
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-3)


@pytest.mark.parametrize("factory", ["rand", "randn"])
def test_random_factories_make_float16_and_refuse_integer_dtypes(factory):
    t = getattr(tg, factory)(3, 4, dtype=tg.float16)
    assert t.dtype == tg.float16 and t.shape == (3, 4) and np.isfinite(t.numpy()).all()
    with pytest.raises(DTypeError, match="floating-point dtype"):
        getattr(tg, factory)(3, dtype=tg.int64)


@pytest.mark.parametrize("reduce", ["max", "min"])
def test_a_nan_takes_the_gradient_of_a_max_or_min_as_in_torch(reduce):
    values = np.array([1.0, np.nan, 3.0, np.nan])
    assert_matches_torch(lambda x: getattr(x, reduce)(), lambda x: getattr(x, reduce)(), values)


@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_elementwise_max_min_give_both_sides_the_gradient_where_one_is_nan_as_in_torch(op):
    a = np.array([1.0, np.nan, 3.0, 2.0, np.nan])
    b = np.array([2.0, 1.0, np.nan, 2.0, np.nan])
    assert_matches_torch(lambda x, y: getattr(tg, op)(x, y), lambda x, y: getattr(torch, op)(x, y), a, b)


@pytest.mark.parametrize("as_tensor", [False, True], ids=["number", "0-d tensor"])
@pytest.mark.parametrize("values, fill", [([1, 2], 2.5), ([1.5, 2.5], 7), ([True, False], 0), ([1.0, 2.0], 2.5)])
def test_masked_fill_keeps_the_tensors_dtype_as_in_torch(values, fill, as_tensor):
    mask = [True, False]
    ours = tg.tensor(values).masked_fill(tg.tensor(mask), tg.tensor(fill) if as_tensor else fill)
    theirs = torch.tensor(values).masked_fill(torch.tensor(mask), torch.tensor(fill) if as_tensor else fill)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("op", ["sign", "abs", "relu"])
def test_sign_abs_and_relu_at_nan_match_torch_with_gradients(op, create_graph):
    # torch: sign(nan) = 0, so d|x|/dx there is 0; relu passes the gradient at nan (only out <= 0 stops it)
    values = np.array([np.nan, -2.0, 0.0, 3.0, np.inf, -np.inf])
    results = []
    for lib in (tg, torch):
        x = lib.tensor(values, requires_grad=True)
        out = getattr(x, op)()
        (g,) = lib.autograd.grad((out * 3).sum(), x, create_graph=create_graph)
        results.append((out, g))
    for ours, theirs in zip(*results):
        same(ours, theirs)


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_relu_of_minus_zero_is_torchs_zero_and_its_sign_too_in_float16(dtype):
    values = np.array([-0.0, 0.0, -1.0, 2.0] * 5, dtype=dtype)  # 20: NumPy's vectorised loops too
    ours, theirs = tg.tensor(values).relu(), torch.tensor(values).relu()
    assert np.signbit(theirs.numpy()[0])  # torch: max(-0.0, 0) keeps -0.0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    if dtype == "float16":
        same(ours, theirs)
    else:  # README: NumPy's maximum gives 0.0 there, and the order of its operands that keeps -0.0 costs time
        assert not np.signbit(ours.numpy()).any()


def test_norm_0_counts_nan_as_nonzero_as_torch():
    values = np.array([[np.nan, 1.0, 0.0], [0.0, -0.0, np.nan]])
    same(tg.tensor(values).norm(0), torch.tensor(values).norm(0))
    same(tg.tensor(values).norm(0, dim=1), torch.tensor(values).norm(0, dim=1))


def test_sign_is_recorded_with_a_zero_gradient_as_in_torch():
    values = np.array([-2.0, 0.0, 3.0])
    assert_matches_torch(lambda x: x.sign() * x, lambda x: x.sign() * x, values)  # d/dx = sign(x)
    assert tg.tensor(values, requires_grad=True).sign().requires_grad
    x = tg.tensor(values, requires_grad=True)
    x.sign().backward(tg.tensor([np.inf, np.nan, 1.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


ROUNDING_VALUES = np.array([-2.5, -1.5, -0.5, -0.2, -0.0, 0.0, 0.4, 0.5, 1.5, 2.5, 2.7, 6e4, np.inf, -np.inf,
                            np.nan])


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("op", ["round", "floor", "ceil", "trunc"])
def test_round_floor_ceil_and_trunc_match_torch_halves_to_even_with_a_zero_gradient(op, dtype):
    """torch.round(torch.sigmoid(out)): the predicted class of a binary classifier."""
    values = ROUNDING_VALUES.astype(dtype)
    same(getattr(tg.tensor(values), op)(), getattr(torch.tensor(values), op)())
    same(getattr(tg, op)(tg.tensor(values)), getattr(torch, op)(torch.tensor(values)))
    x = tg.tensor(values, requires_grad=True)
    y = getattr(x, op)()
    assert y.requires_grad and repr(y.grad_fn) == f"<{op.capitalize()}Backward>"
    y.backward(tg.tensor(np.full(values.shape, np.nan, dtype)))  # zeros even for a NaN gradient, as torch
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(values.shape, dtype))


@pytest.mark.parametrize("decimals", [1, 2, 3, -1, -2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_round_to_decimals_matches_torch(decimals, dtype):
    values = np.random.default_rng(0).uniform(-500, 500, 1000).astype(dtype)
    same(tg.tensor(values).round(decimals=decimals), torch.tensor(values).round(decimals=decimals))
    same(tg.round(tg.tensor(values), decimals=decimals), torch.round(torch.tensor(values), decimals=decimals))


@pytest.mark.parametrize("dtype", ["uint8", "int32", "int64"])
@pytest.mark.parametrize("op", ["round", "floor", "ceil", "trunc"])
def test_round_floor_ceil_and_trunc_of_integers_are_a_copy_in_their_dtype_as_torch(op, dtype):
    values = np.array([0, 3, 100], dtype=dtype)
    ours = getattr(tg.tensor(values), op)()
    same(ours, getattr(torch.tensor(values), op)())
    ours.data[0] = 7
    assert values[0] == 0


@pytest.mark.parametrize("call", [lambda L: L.tensor([True]).round(), lambda L: L.tensor([True]).floor(),
                                  lambda L: L.tensor([1, 2]).round(decimals=1)], ids=["bool", "bool floor", "decimals"])
def test_rounding_a_bool_tensor_or_integers_to_decimals_is_refused_as_by_torch(call):
    with pytest.raises(NotImplementedError):
        call(torch)
    with pytest.raises(tg.DTypeError, match="(round|floor): .*(bool|integer)"):
        call(tg)


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_an_integer_outside_the_tensors_range_wraps_around_as_in_torch(dtype):
    values = np.array([0, 5, 100], dtype=dtype)
    for number in (-1, 300):
        ours = tg.tensor(values) + number
        theirs = torch.tensor(values) + number
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("args, kwargs", [
    ((1, False), {}), ((1, True), {}), ((1, False, True), {}), ((False,), {}), ((0,), {"correction": 0}),
    ((), {"dim": (0, 1), "correction": 2, "keepdim": True})],
    ids=["dim-biased", "dim-unbiased", "dim-biased-keepdim", "all-biased", "correction", "tuple-keepdim"])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_take_torchs_positional_unbiased(op, args, kwargs):
    values = np.arange(12.0).reshape(3, 4) ** 1.5
    assert_matches_torch(lambda x: getattr(x, op)(*args, **kwargs), lambda x: getattr(x, op)(*args, **kwargs), values)


def test_var_refuses_both_unbiased_and_correction():
    with pytest.raises(TypeError, match="unbiased or correction"):
        tg.ones(3).var(0, True, correction=0)


@pytest.mark.parametrize("op", ["sum", "mean"])
@pytest.mark.parametrize("dim", [(), []], ids=["tuple", "list"])
def test_an_empty_dim_reduces_every_dim_as_in_torch(op, dim):
    values = np.arange(6.0).reshape(2, 3)
    assert_matches_torch(lambda x: getattr(x, op)(dim=dim), lambda x: getattr(x, op)(dim=dim), values)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_and_std_over_an_empty_dim_are_those_of_every_element(op):
    # torch 2.13 agrees on the value, but its backward divides by the size of no dims less one,
    # 0, and gives -inf: the gradient of the same function as var() is var()'s.
    values = np.arange(12.0).reshape(3, 4) ** 1.5
    assert_matches_torch(lambda x: getattr(x, op)(dim=()), lambda x: getattr(x, op)(), values)


INDEXES = {  # each as torch reads it: integers select first, then the other indices apply
    "int-slice-list": lambda x: x[0, :, [1, 0]],
    "int-slice-list-square": lambda x: x[0, :3, [1, 0, 0]],
    "list-slice-int": lambda x: x[[0, 1], :, 0],
    "slice-int-list": lambda x: x[:, 0, [1, 0]],
    "list-int-list": lambda x: x[[0, 1], 1, [1, 0]],
    "none-int-ellipsis-list": lambda x: x[None, 0, ..., [1, 0]],
    "int-mask-slice": lambda x: x[0, [True, False, True], 1:],
    "ellipsis-int-list": lambda x: x[..., 0, [1, 0]],
    "int-nested-list-int": lambda x: x[1, [[0, 2], [1, 1]], 2],
    "repeated": lambda x: x[[0, 0]],
    "empty-list": lambda x: x[[]],
    "list-true-int": lambda x: x[[1, 0], True, 0],  # a Python bool adds a dim, as None does
    "int-ellipsis-true": lambda x: x[0, ..., True],
    "true-int-slice-list": lambda x: x[True, 1, :, [1, 0]],
    "none-true-int-ellipsis-list": lambda x: x[None, True, 0, ..., [1]],
    "int-true-list": lambda x: x[0, True, [2, 1]],
}


@pytest.mark.parametrize("index", INDEXES.values(), ids=INDEXES.keys())
def test_indexing_mixes_integers_and_arrays_as_torch(index):
    values = np.arange(24.0).reshape(2, 3, 4)
    assert_matches_torch(index, index, values)


def test_integer_tensor_indices_select_first_as_torch():
    values = np.arange(48.0).reshape(2, 3, 2, 4)
    assert_matches_torch(lambda x: x[:, tg.tensor(0), :, tg.tensor([1, 0])],
                         lambda x: x[:, torch.tensor(0), :, torch.tensor([1, 0])], values)


def test_second_derivative_through_an_index_that_selects_first():
    def f(x):
        return (x[0, :, [1, 0]] ** 3).sum()
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    (g,) = tg.grad(f(x), x, create_graph=True)
    g.sum().backward()
    xt = torch.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    (gt,) = torch.autograd.grad(f(xt), xt, create_graph=True)
    gt.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())


def test_a_list_index_changed_after_indexing_does_not_change_the_gradient():
    index = [0, 0]
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x[index]
    index[1] = 2
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, 0.0])


def test_a_uint8_index_is_a_mask_with_a_warning_as_in_torch():
    values = np.arange(6.0).reshape(3, 2)
    mask = np.array([0, 1, 1], dtype=np.uint8)
    with pytest.warns(UserWarning, match="uint8"):
        ours = tg.tensor(values)[tg.tensor(mask)]
    with pytest.warns(UserWarning):
        theirs = torch.tensor(values)[torch.tensor(mask)]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("values, dtype", [([0, 128, 255], "uint8"), ([100, -7], "int8"), ([True, False], "bool")])
@pytest.mark.parametrize("number", [256, 200, 3, 2.5])
def test_an_integer_tensor_divided_by_a_number_divides_as_floats_as_in_torch(values, dtype, number):
    ours, theirs = tg.tensor(np.array(values, dtype)) / number, torch.tensor(np.array(values, dtype)) / number
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("factory", ["zeros", "ones", "rand", "randn"])
def test_factories_given_dtype_none_make_the_default_float_as_in_torch(factory):
    assert getattr(tg, factory)(2, 3, dtype=None).dtype == tg.float32
    assert tg.eye(2, dtype=None).dtype == tg.float32


@pytest.mark.parametrize("args", [(1, 2.5, 0.3), (0, 1000, 0.37), (-3.2, 7.9, 0.013), (10, -5, -0.7)])
def test_float_arange_rounds_each_value_once(args):
    # torch's vectorised kernel rounds the first value of each SIMD block to float32 and steps from
    # there, so it can be an ulp or so further from start + i * step than rounding once is.
    ours, theirs = tg.arange(*args).numpy(), torch.arange(*args).numpy()
    exact = args[0] + args[2] * np.arange(len(theirs), dtype=np.float64)
    assert ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, exact.astype(np.float32))
    assert (np.abs(ours - exact) <= np.abs(theirs - exact)).all()


@pytest.mark.parametrize("args", [(5, 0), (0, 5, -1), (0.0, -1.0, 0.5)])
def test_arange_refuses_a_step_that_never_reaches_the_end(args):
    with pytest.raises(RuntimeError):
        torch.arange(*args)
    with pytest.raises(ValueError, match="never goes from"):
        tg.arange(*args)


@pytest.mark.parametrize("args", [(0, 5, 1.5), (0, 2.5, 1), (1.7, 6.2, 2.5), (0.5, 3), (-2.5, 1.9, 1.2), (4.9,)])
def test_arange_with_an_integer_dtype_truncates_start_end_and_step_first_as_torch(args):
    same(tg.arange(*args, dtype=tg.int64), torch.arange(*args, dtype=torch.int64))


@pytest.mark.parametrize("args, dtype", [  # (no negative values for uint8)
    (args, dtype) for args in [(0.5, 4.9), (0, 5, 1.5), (0.7, 3.2, 0.9), (0, 2.5, 0.5), (-2.5, 1.9, 1.2), (5, 0, -2)]
    for dtype in ["int32", "int16", "int8", "uint8"] if dtype != "uint8" or min(args) >= 0])
def test_arange_with_a_narrower_integer_dtype_counts_in_float_as_torch(args, dtype):
    # torch counts the values from the arguments as given, then steps from start by step, both truncated
    same(tg.arange(*args, dtype=getattr(tg, dtype)), torch.arange(*args, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("step", [0.5, -0.7])
def test_arange_whose_step_is_0_in_an_integer_dtype_is_refused_as_in_torch(step):
    with pytest.raises(ValueError, match="step must be nonzero"):
        torch.arange(0, -3 if step < 0 else 3, step, dtype=torch.int64)
    with pytest.raises(ValueError, match=rf"step must be nonzero, but step={step} is 0 in int64"):
        tg.arange(0, -3 if step < 0 else 3, step, dtype=tg.int64)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bool", "int8"])
def test_randint_makes_any_dtype_torch_does(dtype):
    ours = tg.randint(0, 2 if dtype == "bool" else 3, (200,), dtype=getattr(tg, dtype))
    theirs = torch.randint(0, 2 if dtype == "bool" else 3, (200,), dtype=getattr(torch, dtype))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert set(ours.tolist()) == set(theirs.tolist())


def test_numpy_of_a_tensor_that_requires_grad_is_refused_as_in_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    for convert in (lambda t: t.numpy(), np.exp, np.asarray):
        with pytest.raises(RuntimeError, match="requires grad"):  # x * np.exp(x) would lose a term of its gradient
            convert(x)
        with pytest.raises(RuntimeError):
            convert(torch.tensor([1.0, 2.0], requires_grad=True))
    assert x.numpy(force=True) is x.data
    np.testing.assert_array_equal(np.exp(x.detach()), np.exp(np.array([1.0, 2.0], np.float32)))


def test_a_numpy_integer_index_is_a_number_not_a_mask_as_in_torch():
    values = np.arange(12.0).reshape(3, 4)
    label = np.uint8(1)  # MNIST's labels are uint8
    np.testing.assert_array_equal(tg.tensor(values)[label].numpy(), torch.tensor(values)[label].numpy())
    with pytest.warns(UserWarning) as caught:
        tg.tensor(values)[tg.tensor(np.array([1, 0, 1], np.uint8))]
    assert caught[0].filename == __file__  # the warning names the line that indexed


def test_contiguous_copies_a_transposed_tensor_as_torch():
    ours, theirs = tg.tensor(np.arange(4.0).reshape(2, 2)), torch.tensor(np.arange(4.0).reshape(2, 2))
    for t in (ours, theirs):
        c = t.T.contiguous()
        c[0, 0] = 100.0
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.contiguous() is ours and ours.T.contiguous().data.flags.c_contiguous
    assert_matches_torch(lambda x: x.T.contiguous() * 2, lambda x: x.T.contiguous() * 2, np.arange(6.0).reshape(2, 3))


def test_np_array_of_a_tensor_is_a_copy():
    t = tg.tensor([1.0, 2.0])
    a = np.array(t)
    a[0] = 5.0
    assert t[0].item() == 1.0 and np.asarray(t) is t.data


def test_lax_reduction_arguments_are_named():
    x = tg.ones(3)
    with pytest.raises(TypeError, match="std: unbiased given twice"):
        x.std(True, unbiased=False)
    with pytest.raises(TypeError, match="var: give unbiased or correction, not both"):
        x.var(0, False, correction=1)
    with pytest.raises(TypeError, match="cumsum\\(\\) missing 1 required argument: 'dim'"):
        x.cumsum()
    with pytest.raises(TypeError, match="sum: got both dim and axis"):
        x.sum(dim=0, axis=0)
    with pytest.raises(TypeError):
        torch.ones(3).cumsum()


def test_array_conversion_copies_only_as_asked():
    t = tg.tensor([1.0, 2.0])
    assert np.asarray(t, dtype=np.float32) is t.data  # same dtype: no copy needed
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), [1.0, 2.0])
    with pytest.raises(ValueError, match="needs a copy, but copy=False"):
        t.__array__(np.float64, copy=False)
    with pytest.raises(ValueError):  # NumPy refuses the same
        np.array(np.ones(2, np.float32), dtype=np.float64, copy=False)


def test_cat_joins_the_empty_1_d_tensor_an_accumulating_loop_starts_from_as_torch():
    for lib in (tg, torch):
        preds = lib.tensor([])
        for _ in range(3):
            preds = lib.cat((preds, lib.ones(4, 10)), dim=0)
        assert tuple(preds.shape) == (12, 10)
    assert tg.cat([tg.tensor([]), tg.ones(2, 3)], 1).shape == (2, 3)
    assert tg.cat([tg.zeros(0, dtype=np.float64), tg.ones(2, 3)]).dtype == np.float64  # it counts for the dtype
    assert tg.cat([tg.tensor([]), tg.tensor([])]).shape == (0,)
    with pytest.raises(tg.ShapeError, match=r"tensor 2 has shape \(3, 3\), which does not match tensor 1's \(2, 3\)"):
        tg.cat([tg.tensor([]), tg.ones(2, 3), tg.ones(3, 3)], 1)  # positions in the list given
    for lib in (tg, torch):  # the empty input's gradient is empty too
        empty, w = lib.tensor([], requires_grad=True), lib.ones(2, 3, requires_grad=True)
        (lib.cat([empty, w], 1) * 2).sum().backward()
        assert tuple(empty.grad.shape) == (0,)
        np.testing.assert_array_equal(w.grad.numpy(), np.full((2, 3), 2.0))


def test_arange_reads_a_one_element_integer_tensor_as_an_integer_as_torch():
    for lib in (tg, torch):
        lengths = lib.tensor([2, 4, 3])
        r = lib.arange(lengths.max())
        assert str(r.dtype).endswith("int64")
        assert lib.arange(lengths[0], 2 * lengths[0]).tolist() == [2, 3]
    assert tg.arange(tg.tensor(2.5)).dtype == np.float32


@pytest.mark.parametrize("threshold", ["float64 0-d tensor", "np.float64", "python float"])
def test_comparisons_take_the_dtype_arithmetic_takes_as_torch(threshold):
    values = np.array([0.1, 0.2, 0.3], dtype=np.float32)
    results = []
    for lib in (tg, torch):
        x = lib.tensor(values)
        thr = {"float64 0-d tensor": lambda: lib.tensor(0.1, dtype=lib.float64), "np.float64": lambda: np.float64(0.1),
               "python float": lambda: 0.1}[threshold]()
        results.append([(x == thr).tolist(), (x > thr).tolist(), (x <= thr).tolist()])
    assert results[0] == results[1]
    assert (tg.tensor(np.array([0, 200], np.uint8)) > -1).tolist() == [False, False]  # -1 wraps to 255, as in torch


def test_in_looks_for_an_equal_element_as_torch():
    for lib in (tg, torch):
        t = lib.tensor([[1, 2], [3, 4]])
        assert 3 in t and 7 not in t and 2.0 in t


@pytest.mark.parametrize("other", [None, "abc", [1.0, 2.0], object()], ids=["None", "str", "list", "object"])
def test_comparing_with_something_not_a_tensor_or_number_is_identity_or_a_type_error_as_torch(other):
    for lib in (tg, torch):
        t = lib.tensor([1.0, 2.0])
        assert (t == other) is False and (t != other) is True
        for compare in (lambda: t < other, lambda: t >= other, lambda: t.eq(other), lambda: lib.ne(t, other)):
            with pytest.raises(TypeError):
                compare()


def test_logsumexp_over_an_empty_dim_is_minus_infinity_as_torch():
    ours, theirs = tg.zeros(0, 3, requires_grad=True), torch.zeros(0, 3, requires_grad=True)
    for x in (ours, theirs):
        x.logsumexp(0).sum().backward()
    np.testing.assert_array_equal(ours.logsumexp(0).detach().numpy(), theirs.logsumexp(0).detach().numpy())
    assert ours.grad.shape == (0, 3)
    np.testing.assert_array_equal(tg.full((2, 2), -np.inf).logsumexp(1).numpy(), [-np.inf, -np.inf])


def test_a_cast_into_float16_beyond_its_range_is_inf_without_numpys_warning_as_torch():
    x = tg.tensor([1e5, 7e4, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x.half()
        (y.float() * 1e5).sum().backward()  # the gradient 1e5 of y is inf in float16
    expected = torch.tensor([1e5, 7e4, 2.0]).half()
    np.testing.assert_array_equal(y.data, expected.numpy())
    assert np.isinf(y.data[:2]).all()
    assert np.isinf(x.grad.data).all()


def test_sigmoid_of_float16_is_computed_in_float32_and_rounded_once_as_torch():
    x = np.linspace(-12, 12, 20001).astype(np.float16)  # each step in float16 had put it 255 ulp off
    ours = tg.tensor(x).sigmoid()
    theirs = torch.tensor(x).sigmoid()
    assert ours.dtype == tg.float16
    np.testing.assert_array_equal(ours.data, theirs.numpy())
