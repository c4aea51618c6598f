"""The rest of torch's everyday API against torch: gather, index_select, t, flip, topk, the casts and
*_as methods, isnan/isinf/isfinite, add/sub with alpha, register_hook, unflatten, unbind, square,
sort/argsort, the new_* factories, isclose/allclose, uniform_/normal_, mm/bmm/outer, randperm and the
module-level forms. Values, dtypes and gradients are compared with torch; float64 gradients also with
finite differences."""
import math
import re
import subprocess
import sys
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist.errors import DataError, DTypeError, OutOfRangeError

from test_tensor_api import INF, NAN, both, check, same  # the same comparisons as for the other Tensor methods


def raises_in_both(fn, ours_type=Exception, torch_type=Exception, match=None):
    """fn(tg) raises ours_type (matching match) and fn(torch) raises torch_type."""
    with pytest.raises(torch_type):
        fn(torch)
    with pytest.raises(ours_type, match=match):
        fn(tg)


def rand(shape, seed=0):
    return np.random.default_rng(seed).uniform(-3, 3, shape)


def gradcheck(fn, *arrays):
    assert tg.gradcheck(fn, [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays])


# ---- gather and index_select --------------------------------------------------------------------

GATHERS = [  # input shape, dim, index
    ((3, 4), 0, [[0, 2, 2, 1], [2, 2, 0, 0]]),
    ((3, 4), 1, [[3, 3], [0, 1], [1, 1]]),
    ((3, 4), -1, [[1], [0]]),                    # smaller than the input outside dim
    ((2, 3, 4), 2, np.zeros((2, 3, 6), int)),    # larger along dim
    ((2, 3, 4), 1, [[[2, 0, 1, 1]], [[0, 0, 0, 2]]]),
    ((5,), 0, [4, 4, 0]),
    ((), 0, 0),
]


@pytest.mark.parametrize("shape, dim, index", GATHERS, ids=repr)
def test_gather_matches_torch_with_repeated_indices_accumulating_the_gradient(shape, dim, index):
    index = np.array(index)
    check(lambda x: x.gather(dim, tg.tensor(index)), rand(shape), torch_fn=lambda x: x.gather(dim, torch.tensor(index)))
    gradcheck(lambda x: x.gather(dim, tg.tensor(index)), rand(shape))


def test_gather_takes_an_int32_index_as_torch():
    x, index = rand((2, 3)), np.array([[2], [0]], np.int32)
    same(tg.tensor(x).gather(1, tg.tensor(index)), torch.tensor(x).gather(1, torch.tensor(index)))


@pytest.mark.parametrize("index, ours", [
    (lambda L: L.tensor([[0.0], [1.0]]), tg.DTypeError),
    (lambda L: L.tensor([0, 1]), tg.ShapeError),
    (lambda L: L.tensor([[3], [0]]), IndexError),
    (lambda L: L.tensor([[-1], [0]]), IndexError),
    (lambda L: L.tensor([[0], [0], [0]]), tg.ShapeError),
], ids=["float", "ndim", "too_large", "negative", "larger_outside_dim"])
def test_bad_gather_indices_are_errors_as_in_torch(index, ours):
    raises_in_both(lambda L: L.zeros(2, 3).gather(1, index(L)), ours, RuntimeError, "gather")


@pytest.mark.parametrize("shape, dim, index", [((3, 4), 0, [2, 0, 2]), ((3, 4), 1, [3]), ((3, 4), -1, 1),
                                               ((2, 3, 4), 1, [1, 1, 1, 0]), ((4,), 0, [])], ids=repr)
def test_index_select_matches_torch_with_gradients(shape, dim, index):
    index = np.array(index, dtype=np.int64)
    check(lambda x: x.index_select(dim, tg.tensor(index)), rand(shape),
          torch_fn=lambda x: x.index_select(dim, torch.tensor(index)))
    gradcheck(lambda x: x.index_select(dim, tg.tensor(index)), rand(shape))


@pytest.mark.parametrize("index, ours", [
    (lambda L: L.tensor([0.0]), tg.DTypeError),
    (lambda L: L.tensor([[0]]), tg.ShapeError),
    (lambda L: L.tensor([3]), IndexError),
    (lambda L: L.tensor([-1]), IndexError),
], ids=["float", "2d", "too_large", "negative"])
def test_bad_index_select_indices_are_errors_as_in_torch(index, ours):
    raises_in_both(lambda L: L.zeros(2, 3).index_select(1, index(L)), ours, (RuntimeError, IndexError),
                   "index_select")


# ---- t, flip, topk --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(), (3,), (2, 3)], ids=repr)
def test_t_matches_torch(shape):
    check(lambda x: x.t() * 2, rand(shape))


def test_t_of_more_than_two_dims_is_an_error_as_in_torch():
    raises_in_both(lambda L: L.zeros(2, 2, 2).t(), tg.ShapeError, RuntimeError, "t: expects")


@pytest.mark.parametrize("shape, dims", [((5,), (0,)), ((3, 4), (0, 1)), ((3, 4), (-1,)), ((2, 3, 4), (2, 0)),
                                         ((), ()), ((2, 3), [1])], ids=repr)
def test_flip_matches_torch_with_gradients(shape, dims):
    check(lambda x: x.flip(dims), rand(shape))
    gradcheck(lambda x: x.flip(dims), rand(shape))


def test_flip_takes_dims_as_several_arguments_and_refuses_repeats_as_torch():
    x = rand((2, 3))
    same(tg.tensor(x).flip(0, 1), torch.tensor(x).flip(0, 1))
    raises_in_both(lambda L: L.zeros(2, 3).flip(0, -2), tg.ShapeError, RuntimeError, "more than once")


@pytest.mark.parametrize("shape, k, kw", [((6,), 3, {}), ((6,), 6, {"largest": False}), ((4, 5), 2, {"dim": 0}),
                                          ((4, 5), 0, {}), ((2, 3, 4), 2, {"dim": 1, "largest": False}),
                                          ((3, 4), 1, {"sorted": True})], ids=repr)
def test_topk_matches_torch_with_gradients_through_the_values(shape, k, kw):
    x = np.random.default_rng(0).permutation(math.prod(shape)).reshape(shape) / 3.0  # no ties
    check(lambda x: x.topk(k, **kw), x)
    gradcheck(lambda x: x.topk(k, **kw).values, x)
    assert tg.tensor(x).topk(k, **kw).indices.dtype == tg.int64


def test_topk_puts_nan_first_when_largest_as_torch():
    x = [1.0, NAN, 3.0, 2.0]
    for kw in ({}, {"largest": False}):
        ours, theirs = tg.tensor(x).topk(2, **kw), torch.tensor(x).topk(2, **kw)
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)


@pytest.mark.parametrize("k", [0, 1])
def test_topk_of_a_0d_tensor_and_a_bad_k_match_torch(k):
    check(lambda x: x.topk(k), np.array(3.0))
    ours, theirs = tg.tensor(3.0).topk(k), torch.tensor(3.0).topk(k)
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)
    raises_in_both(lambda L: L.zeros(2, 3).topk(4), IndexError, RuntimeError, "topk: k=4")
    raises_in_both(lambda L: L.zeros(2, 3).topk(-1), IndexError, RuntimeError, "topk: k=-1")


# ---- casts and the *_as methods ---------------------------------------------------------------------

@pytest.mark.parametrize("cast", ["int", "bool", "half", "short", "byte", "long", "double", "float"])
def test_cast_methods_match_torch(cast):
    x = np.array([0.0, 2.7, 100.0, 1.25], np.float32)  # (negatives to uint8 differ between the two)
    same(getattr(tg.tensor(x), cast)(), getattr(torch.tensor(x), cast)())


def test_a_float_cast_carries_the_gradient_back_in_the_inputs_dtype():
    check(lambda x: x.half().float() * 2, np.array([1.5, -2.25]))


def test_type_as_view_as_reshape_as_expand_as_match_torch():
    x, other = rand((2, 3)), np.zeros((3, 2), np.float32)
    for fn in (lambda x, o: x.type_as(o), lambda x, o: x.view_as(o), lambda x, o: x.reshape_as(o),
               lambda x, o: x[:1].expand_as(o.T)):
        check(fn, x, other)


TYPE_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64", "float16",
               "float32", "float64", "complex64", "complex128"]


@pytest.mark.parametrize("shape", [(), (0,), (2, 3)], ids=repr)
@pytest.mark.parametrize("name", TYPE_DTYPES)
def test_type_element_size_is_floating_point_and_nelement_match_torch(name, shape):
    ours, theirs = tg.zeros(shape, dtype=np.dtype(name)), torch.zeros(shape, dtype=getattr(torch, name))
    assert ours.type() == theirs.type().replace("torch.", "tinygrad_mnist.")  # 'tinygrad_mnist.FloatTensor'
    assert ours.element_size() == theirs.element_size()
    assert ours.is_floating_point() is theirs.is_floating_point()
    assert ours.nelement() == theirs.nelement() == ours.numel()


def test_type_without_a_torch_name_for_the_dtype_is_refused():
    with pytest.raises(tg.DTypeError, match="torch has no tensor type for dtype float128"):
        tg.Tensor(np.zeros(2, np.longdouble)).type()


@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "uint8", "bool"])
def test_type_of_a_dtype_casts_as_torch_with_the_gradient_for_floats(dtype):
    x = np.array([0.0, 2.7, -1.5, 100.0], np.float32)
    same(tg.tensor(x).type(getattr(tg, dtype)), torch.tensor(x).type(getattr(torch, dtype)))
    check(lambda t: t.type(getattr(tg, dtype)), x, torch_fn=lambda t: t.type(getattr(torch, dtype)))
    name = torch.zeros(0, dtype=getattr(torch, dtype)).type()  # the type name does as well, torch's or ours
    same(tg.tensor(x).type(name), torch.tensor(x).type(name))
    same(tg.tensor(x).type(name.replace("torch.", "tinygrad_mnist.")), torch.tensor(x).type(name))


def test_type_of_its_own_dtype_is_the_tensor_itself_and_python_types_or_other_names_are_refused_as_torch():
    for lib in (tg, torch):
        x = lib.ones(2, requires_grad=True)
        assert x.type(lib.float32) is x and x.type(x.type()) is x
    for bad in [float, int, "float64", "torch.Float", "numpy.FloatTensor"]:
        raises_in_both(lambda L: L.ones(2).type(bad), tg.DTypeError, ValueError, "type: invalid type")


@pytest.mark.parametrize("cast", ["type", "to"])
@pytest.mark.parametrize("dtype", [np.str_, np.object_, np.datetime64, np.dtype("U3")], ids=repr)
def test_a_cast_to_a_dtype_that_is_not_of_numbers_is_refused(cast, dtype):
    with pytest.raises(tg.DTypeError, match=rf"^{cast}: .* is not a dtype of numbers; give one such as tg.float32"):
        getattr(tg.ones(2), cast)(dtype)


# ---- isnan, isinf, isfinite ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
@pytest.mark.parametrize("values, dtype", [([0.0, -INF, INF, NAN, 1e308], np.float64),
                                           ([1.0, NAN, INF], np.float16), ([1, -2], np.int64), ([True], np.bool_)],
                         ids=["float64", "float16", "int64", "bool"])
def test_isnan_isinf_isfinite_match_torch(name, values, dtype):
    x = np.array(values, dtype)
    same(getattr(tg.tensor(x), name)(), getattr(torch.tensor(x), name)())


# ---- add and sub with alpha ------------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["add", "sub"])
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 1), (1, 4)), ((), (2,))], ids=repr)
def test_add_and_sub_with_alpha_match_torch_with_broadcast_gradients(op, shapes):
    check(lambda x, y: getattr(x, op)(y, alpha=2.5), rand(shapes[0], 1), rand(shapes[1], 2))
    check(lambda x: getattr(x, op)(3, alpha=-2), rand(shapes[0]))


def test_add_with_alpha_keeps_integer_dtypes_and_refuses_a_float_alpha_for_them_as_torch():
    same(tg.tensor([1, 2]).add(tg.tensor([1, 1]), alpha=2), torch.tensor([1, 2]).add(torch.tensor([1, 1]), alpha=2))
    raises_in_both(lambda L: L.tensor([1, 2]).sub(L.tensor([1, 1]), alpha=1.5), tg.DTypeError, RuntimeError, "alpha")


# ---- register_hook -------------------------------------------------------------------------------------

def _hooked_grads(lib, log):
    a = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    b = a * 2
    b.retain_grad()
    b.register_hook(lambda g: log.append(("b", g.tolist())) or g * 10)
    a.register_hook(lambda g: log.append(("a", g.tolist())) or g + 1)
    (b * 3 + b).sum().backward()
    return a.grad.tolist(), b.grad.tolist()


def test_hooks_see_the_summed_gradient_and_replace_it_as_in_torch():
    ours_log, theirs_log = [], []
    assert _hooked_grads(tg, ours_log) == _hooked_grads(torch, theirs_log) == ([81.0, 81.0], [40.0, 40.0])
    assert ours_log == theirs_log == [("b", [4.0, 4.0]), ("a", [80.0, 80.0])]


def test_a_hook_that_returns_nothing_only_observes_and_hooks_run_in_order():
    seen = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        a.register_hook(lambda g: g * 2)
        a.register_hook(lambda g: seen.append(g.tolist()))
        (a * 3 + a).sum().backward()  # the hooks run once, on the sum of both paths
        seen.append(a.grad.tolist())
    assert seen == [[8.0, 8.0], [8.0, 8.0]] * 2


def test_hooks_apply_to_autograd_grad_and_a_removed_hook_is_gone():
    results = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        handle = a.register_hook(lambda g: g * 100)
        b = a * 2
        b.register_hook(lambda g: g * 5)
        results.append([lib.autograd.grad((a * a).sum(), a)[0].tolist(),
                        lib.autograd.grad((b * b).sum(), b)[0].tolist()])
        handle.remove()
        handle.remove()  # a second remove does nothing, as in torch
        results[-1].append(lib.autograd.grad((a * a).sum(), a)[0].tolist())
        if lib is tg:
            assert id(a) not in tg.autograd._hooks  # nothing left for backward to look for
    assert results[0] == results[1] == [[200.0, 400.0], [20.0, 40.0], [2.0, 4.0]]


def test_hooks_under_create_graph_get_tensors_and_second_derivatives_see_them():
    for lib in (tg, torch):
        x = lib.tensor([1.5, -2.0], dtype=lib.float64, requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g * x)
        (gx,) = lib.autograd.grad(y.sum(), x, create_graph=True)  # d/dx sum(x^2) scaled by x: 2 x^2
        (ggx,) = lib.autograd.grad(gx.sum(), x)
        assert gx.tolist() == [4.5, 8.0] and ggx.tolist() == [6.0, -8.0]


def test_register_hook_errors_match_torch():
    raises_in_both(lambda L: L.tensor([1.0]).register_hook(print), RuntimeError, RuntimeError,
                   "doesn't require grad")
    for hook, ours in ((lambda g: g[:1], tg.ShapeError), (lambda g: g.double(), tg.DTypeError)):
        for lib in (torch, tg):
            a = lib.tensor([1.0, 2.0], requires_grad=True)
            a.register_hook(hook)
            with pytest.raises(ours if lib is tg else RuntimeError, match="hook"):
                (a * 1).sum().backward()
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    a.register_hook(lambda g: g.numpy())  # torch raises a TypeError of its own here
    with pytest.raises(TypeError, match="hook '<lambda>' must return a Tensor or None, got ndarray"):
        (a * 1).sum().backward()


@pytest.mark.parametrize("op", [lambda x, L: x.gather(1, L.tensor([[2, 2], [0, 1]])),
                                lambda x, L: x.index_select(0, L.tensor([1, 1, 0])),
                                lambda x, L: x.flip(0, 1), lambda x, L: x.topk(2).values],
                         ids=["gather", "index_select", "flip", "topk"])
def test_second_derivatives_through_the_selections_match_torch(op):
    results = []
    for L in (tg, torch):
        x = L.tensor(rand((2, 3)), requires_grad=True)
        (g,) = L.autograd.grad((op(x, L) ** 3).sum(), x, create_graph=True)
        (gg,) = L.autograd.grad((g * g).sum(), x)
        results.append((g.detach().numpy(), gg.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---- dtype= on reductions and softmax -------------------------------------------------------------

DTYPE_OPS = {
    "sum": lambda x, d: x.sum(dtype=d), "sum_dim": lambda x, d: x.sum(1, keepdim=True, dtype=d),
    "mean": lambda x, d: x.mean(dtype=d), "mean_dim": lambda x, d: x.mean(0, dtype=d),
    "cumsum": lambda x, d: x.cumsum(1, dtype=d), "prod": lambda x, d: x.prod(1, dtype=d),
    "softmax": lambda x, d: x.softmax(1, dtype=d), "log_softmax": lambda x, d: x.log_softmax(-1, dtype=d),
}
FUNCTIONAL = {
    "F.softmax": (lambda x, d: tg.nn.functional.softmax(x, 1, dtype=d),
                  lambda x, d: torch.nn.functional.softmax(x, 1, dtype=d)),
    "F.log_softmax": (lambda x, d: tg.nn.functional.log_softmax(x, 0, dtype=d),
                      lambda x, d: torch.nn.functional.log_softmax(x, 0, dtype=d)),
}


def _fns(name):
    return FUNCTIONAL[name] if name in FUNCTIONAL else (DTYPE_OPS[name], DTYPE_OPS[name])


@pytest.mark.parametrize("name", [*DTYPE_OPS, *FUNCTIONAL])
def test_dtype_casts_the_input_first_and_the_gradient_comes_back_in_the_inputs_dtype(name):
    ours, theirs = _fns(name)
    x = rand((3, 4)).astype(np.float32)
    check(lambda x: ours(x, tg.float64), x, torch_fn=lambda x: theirs(x, torch.float64), rtol=1e-6, atol=1e-6)
    check(lambda x: ours(x.double(), tg.float32), x.astype(np.float64),  # down to float32, back in float64
          torch_fn=lambda x: theirs(x.double(), torch.float32), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, dtype", [("sum", "int32"), ("sum", "float32"), ("sum_dim", "uint8"),
                                         ("mean", "float64"),
                                         ("cumsum", "int16"), ("cumsum", "float16"), ("prod", "int32"),
                                         ("softmax", "float32")])
def test_dtype_of_integer_inputs_matches_torch(name, dtype):
    x = np.array([[1, 2, 3, 4], [5, 6, 7, 250]], np.uint8)
    op = DTYPE_OPS[name]
    ours, theirs = op(tg.tensor(x), np.dtype(dtype)), op(torch.tensor(x), getattr(torch, dtype))
    if name == "softmax":  # exp may differ in the last bit
        assert ours.dtype == tg.float32
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    else:
        same(ours, theirs)


def test_mean_with_an_integer_dtype_is_refused_as_in_torch():
    raises_in_both(lambda L: L.tensor([1.0, 2.0]).mean(dtype=L.int64), tg.DTypeError, RuntimeError, "mean")


# ---- dtype names ------------------------------------------------------------------------------------

DTYPE_NAMES = ["float", "double", "half", "long", "int", "short", "bool", "uint8", "int8", "int16", "int32",
               "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_names_are_torchs(name):
    assert getattr(tg, name) == np.dtype(str(getattr(torch, name)).removeprefix("torch."))
    assert isinstance(getattr(tg, name), np.dtype)


FACTORIES = {"zeros": lambda L, d: L.zeros(2, 3, dtype=d), "ones": lambda L, d: L.ones((2,), dtype=d),
             "full": lambda L, d: L.full((2,), 1, dtype=d), "tensor": lambda L, d: L.tensor([0, 1], dtype=d),
             "arange": lambda L, d: L.arange(3, dtype=d), "to": lambda L, d: L.tensor([1.5, 0.0]).to(d),
             "zeros_like": lambda L, d: L.zeros_like(L.ones(2), dtype=d)}


@pytest.mark.parametrize("make, name", [pytest.param(make, name, id=f"{f}-{name}") for f, make in FACTORIES.items()
                                        for name in DTYPE_NAMES if (f, name) != ("arange", "bool")])  # not in torch
def test_dtype_names_work_in_factories_and_to_as_in_torch(make, name):
    same(make(tg, getattr(tg, name)), make(torch, getattr(torch, name)))


TORCH_DTYPE_CALLS = {
    **FACTORIES, "Tensor": lambda L, d: L.Tensor([0, 1], dtype=d), "type": lambda L, d: L.tensor([1.5]).type(d),
    "to-dtype=": lambda L, d: L.ones(2).to(dtype=d), "sum": lambda L, d: L.ones(2).sum(dtype=d),
    "mean": lambda L, d: L.ones(2).mean(dtype=d), "new_zeros": lambda L, d: L.ones(2).new_zeros(2, dtype=d),
    "empty": lambda L, d: L.empty(2, dtype=d), "eye": lambda L, d: L.eye(2, dtype=d),
    "linspace": lambda L, d: L.linspace(0, 1, 3, dtype=d), "rand": lambda L, d: L.rand(2, dtype=d),
    "randn_like": lambda L, d: L.randn_like(L.ones(2), dtype=d), "randperm": lambda L, d: L.randperm(3, dtype=d),
    "randint": lambda L, d: L.randint(0, 3, (2,), dtype=d), "Linear": lambda L, d: L.nn.Linear(2, 2, dtype=d),
    "Module.to": lambda L, d: L.nn.Linear(2, 2).to(d), "LayerNorm": lambda L, d: L.nn.LayerNorm(2, dtype=d),
    "BatchNorm1d": lambda L, d: L.nn.BatchNorm1d(2, dtype=d), "softmax": lambda L, d: L.ones(2).softmax(0, dtype=d),
    "log_softmax": lambda L, d: L.nn.functional.log_softmax(L.ones(2), 0, dtype=d),
    "cumsum": lambda L, d: L.ones(2).cumsum(0, dtype=d), "prod": lambda L, d: L.ones(2).prod(dtype=d),
}


@pytest.mark.parametrize("make", TORCH_DTYPE_CALLS.values(), ids=TORCH_DTYPE_CALLS)
@pytest.mark.parametrize("name", ["float32", "float64", "long", "int32", "uint8", "bool"])
def test_a_torch_dtype_is_refused_naming_the_dtype_to_give_here(make, name):
    given = getattr(torch, name)
    here = str(given).removeprefix("torch.")
    with pytest.raises(DTypeError, match=rf"^[\w.]+: {re.escape(str(given))} is torch's dtype; tinygrad_mnist "
                                         rf"takes its own \(NumPy's\): use tg\.{here}$"):
        make(tg, given)


@pytest.mark.parametrize("name, hint", [("complex64", "use np.complex64"), ("uint16", "use np.uint16"),
                                        ("bfloat16", "it has no bfloat16 (tg.float32, say, instead)")])
def test_a_torch_dtype_without_a_tg_name_is_refused_naming_numpys_or_saying_there_is_none(name, hint):
    for make in (lambda d: tg.tensor([1.0], dtype=d), lambda d: tg.ones(2).to(d)):
        with pytest.raises(DTypeError, match=rf"torch\.{name} is torch's dtype.*{re.escape(hint)}"):
            make(getattr(torch, name))


def test_the_bool_cast_and_pythons_bool_of_a_tensor_both_work():
    assert tg.tensor([1, 0]).bool().dtype == tg.bool and bool(tg.tensor(1)) is True


# ---- factories ------------------------------------------------------------------------------------------

INTEGER_DATA = [  # data, dtype: torch.tensor truncates floats toward zero and wraps negative ints into uint8
    ([1.7, -1.7, 2.5, -0.5], "int8"), ([[1.5], [-2.5]], "int16"), (-1.7, "int64"), ([1e10, -1e10], "int64"),
    ([-1.9, 0.9], "int32"), ([255.0, 127.9, -0.0], "uint8"), ([True, 2], "uint8"), ([1.5, True], "int8"),
    ([-1, -128, -255], "uint8"), (-1, "uint8"), ((-1, 2), "uint8"), ([[-1, 2], [3, -4]], "uint8"),
    ([-128, 127], "int8"), ([2 ** 31 - 1, -2 ** 31], "int32"), ([2 ** 63 - 1, -2 ** 63], "int64"), ([], "uint8"),
    # bools, and each number of a mixed list by its own kind (an int is not rounded through a double)
    (True, "int64"), ([True, False], "int64"), ([[True], [False]], "int64"), ([2 ** 62 + 1, 0.5], "int64"),
    ([2 ** 53 + 1, 0.0], "int64"), ([2 ** 63 - 1, 0.5], "int64"), ([-1, 1.5], "uint8"), ([np.int64(-1), 1.5], "uint8"),
    ([[1, 2.5], [-3, 4.9]], "int16"),
]


@pytest.mark.parametrize("data, dtype", INTEGER_DATA, ids=repr)
def test_tensor_converts_numbers_to_an_integer_dtype_as_torch(data, dtype):
    same(tg.tensor(data, dtype=getattr(tg, dtype)), torch.tensor(data, dtype=getattr(torch, dtype)))
    same(tg.Tensor(data, dtype=getattr(tg, dtype)), torch.tensor(data, dtype=getattr(torch, dtype)))


OUT_OF_RANGE_DATA = [  # data, dtype, the value named; torch refuses each (a ValueError past int64)
    ([256], "uint8", "256"), ([-256], "uint8", "-256"), ([-0.5], "uint8", "-0.5"), ([255.5], "uint8", "255.5"),
    (-1.7, "uint8", "-1.7"), ([1, 128], "int8", "128"), ([127.9], "int8", "127.9"), ([-128.5], "int8", "-128.5"),
    ([[2 ** 31]], "int32", "2147483648"), ([NAN], "int64", "nan"), ([INF], "int32", "inf"), ([-INF], "int16", "-inf"),
    ([9.3e18], "int64", "9.3e+18"), ([2.0 ** 63], "int64", "9.223372036854776e+18"), ([2 ** 63], "int64", str(2 ** 63)),
    ([-2 ** 63 - 1], "int64", str(-2 ** 63 - 1)), ([2 ** 64, 1], "uint8", str(2 ** 64)),
    ([1, 2 ** 70, 3.0], "int64", str(2 ** 70)), ([-256, 0.5], "uint8", "-256"), ([3, -0.5], "uint8", "-0.5"),
]


@pytest.mark.parametrize("data, dtype, value", OUT_OF_RANGE_DATA, ids=repr)
def test_tensor_refuses_numbers_out_of_an_integer_dtypes_range_as_torch(data, dtype, value):
    if data != [2.0 ** 63]:  # torch's test lets 2**63 through (int64's max rounds to it as a double) and wraps it
        with pytest.raises((RuntimeError, ValueError)):  # torch: value cannot be converted to type ... without overflow
            torch.tensor(data, dtype=getattr(torch, dtype))
    with pytest.raises(OutOfRangeError, match=rf"^tensor: {re.escape(value)} is out of range for {dtype} \(torch takes"):
        tg.tensor(data, dtype=getattr(tg, dtype))
    assert issubclass(OutOfRangeError, DataError) and issubclass(OutOfRangeError, RuntimeError)

@pytest.mark.parametrize("value, dtype", [(-1, "uint8"), (1.7, "int64"), (-1.7, "int64"), (True, "int64"),
                                          (-255, "uint8"), (127, "int8")], ids=repr)
def test_full_converts_its_value_to_an_integer_dtype_as_torch(value, dtype):
    same(tg.full((2, 3), value, dtype=getattr(tg, dtype)), torch.full((2, 3), value, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("value, dtype", [(300, "uint8"), (-256, "uint8"), (NAN, "int32"), (2 ** 63, "int64")], ids=repr)
def test_full_refuses_a_value_out_of_an_integer_dtypes_range_as_torch(value, dtype):
    raises_in_both(lambda L: L.full((2,), value, dtype=getattr(L, dtype)), OutOfRangeError, RuntimeError,
                   rf"^full: {re.escape(repr(value))} is out of range for {dtype} \(torch takes")


@pytest.mark.parametrize("data", [["1", "2"], [1, "a"], [Decimal("2.5")], [Fraction(3, 2)], [1, None]], ids=repr)
def test_tensor_refuses_what_is_not_a_number_for_an_integer_dtype_as_torch(data):
    with pytest.raises((TypeError, ValueError)):
        torch.tensor(data, dtype=torch.int64)
    with pytest.raises(DTypeError, match=r"^tensor: .* is not a number"):
        tg.tensor(data, dtype=tg.int64)


FLOAT_TENSORS_INSIDE = {  # a float tensor inside the data, anywhere
    "0-d and an int": lambda L: [L.tensor(1.5), 2], "a whole float": lambda L: [L.tensor(1.0)],
    "nested": lambda L: [[L.tensor(-1.5)]], "an int tensor first": lambda L: [L.tensor(1), L.tensor(2.0)],
    "1-d": lambda L: [L.tensor([1.5, 2.5]), L.tensor([1.0, 2.0])],
    "float64": lambda L: [L.tensor(1.5, dtype=L.float64), 2],
    "float16": lambda L: (L.tensor(0.5, dtype=L.float16),), "nan": lambda L: [L.tensor(NAN)],
}


@pytest.mark.parametrize("make", FLOAT_TENSORS_INSIDE.values(), ids=FLOAT_TENSORS_INSIDE)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_tensor_refuses_a_float_tensor_inside_data_for_an_integer_or_bool_dtype_as_torch(make, dtype):
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        torch.tensor(make(torch), dtype=getattr(torch, dtype))
    for construct in (tg.tensor, tg.Tensor):
        with pytest.raises(DTypeError, match=rf"^tensor: a float\d+ tensor inside data cannot become {dtype}, as in "
                                             r"torch \(which converts only integer and bool tensors in a sequence to "
                                             r"an integer or bool dtype\); give its \.long\(\) or its \.item\(\)$"):
            construct(make(tg), dtype=getattr(tg, dtype))


@pytest.mark.parametrize("make, dtype", [
    (lambda L: [L.tensor(True), 2], "int64"), (lambda L: [L.tensor(2), 0], "bool"),
    (lambda L: [L.tensor(7), 1.5], "uint8"), (lambda L: [1.5, L.tensor(-2)], "int8"),
    (lambda L: [L.tensor(1.5), 2], "float64"), (lambda L: [L.tensor(1.5), 2], "float16"),
    (lambda L: L.tensor(1.5), "int64"),
], ids=["bool-int64", "int-bool", "int-uint8", "int-int8", "float-float64", "float-float16", "alone-int64"])
def test_tensor_converts_integer_tensors_inside_data_and_a_float_tensor_alone_as_torch(make, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # both: to copy construct from a tensor, use clone()
        theirs = torch.tensor(make(torch), dtype=getattr(torch, dtype))
        ours = tg.tensor(make(tg), dtype=getattr(tg, dtype))
    same(ours, theirs)


MULTI_ELEMENT_TENSORS_INSIDE = {  # data with a tensor of more or fewer than one element inside, and a dtype
    "floats": (lambda L: [L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])], None),
    "after a 0-d one": (lambda L: [L.tensor(1.0), L.tensor([2.0, 3.0])], None),
    "nested": (lambda L: [[1.0, 2.0], [L.tensor([1.0, 2.0]), 3.0]], None), "empty": (lambda L: [L.zeros(0)], None),
    "tuple": (lambda L: (L.tensor([[1.0, 2.0]]),), None), "ints to float": (lambda L: [L.tensor([1, 2])], "float32"),
    "ints": (lambda L: [L.tensor([1, 2])], None), "ints to int64": (lambda L: [L.tensor([1, 2]), 3], "int64"),
    "ints to uint8": (lambda L: [L.tensor([1, 2], dtype=L.uint8)], "uint8"),
    "bools": (lambda L: [L.tensor([True, False])], None), "ints to bool": (lambda L: [L.tensor([1, 0])], "bool"),
}


@pytest.mark.parametrize("make, dtype", MULTI_ELEMENT_TENSORS_INSIDE.values(), ids=MULTI_ELEMENT_TENSORS_INSIDE)
def test_tensor_refuses_a_tensor_of_more_than_one_element_inside_data_as_torch(make, dtype):
    with pytest.raises((TypeError, ValueError)) as theirs:
        torch.tensor(make(torch), dtype=dtype and getattr(torch, dtype))
    for construct in (tg.tensor, tg.Tensor):
        with pytest.raises(theirs.type) as ours:  # torch's TypeError when read as an index, else ValueError
            construct(make(tg), dtype=dtype and getattr(tg, dtype))
        size = re.search(r"\d+ elements", str(ours.value))
        assert re.match(r"^tensor: a tensor of \d+ elements \(shape \(.*\)\) inside data (is not a number|cannot be "
                        r"an index)", str(ours.value)) and size is not None, ours.value
        assert "only one-element tensors" in str(ours.value) and "tg.stack" in str(ours.value)


ONE_ELEMENT_TENSORS_INSIDE = {  # torch reads each as its number, whatever its shape
    "1-d": (lambda L: [L.tensor([1.0]), L.tensor([2.0])], None),
    "shapes": (lambda L: [L.tensor([1.0]), L.tensor([[2.0]]), 3.0], None),
    "nested": (lambda L: [[L.tensor([[1.5]]), 2], [3, L.tensor(4)]], None),
    "ints to int64": (lambda L: [L.tensor([1]), L.tensor([[2]])], "int64"),
    "int among floats": (lambda L: [L.tensor([1]), 2.5], None),
    "float16": (lambda L: [L.tensor([1.0], dtype=L.float16)], None),
    "ints to uint8": (lambda L: [L.tensor([7]), L.tensor([[200]])], "uint8"),
    "bools": (lambda L: (L.tensor([True]), L.tensor([[False]])), None),
    "needs grad": (lambda L: [L.tensor([1.0], requires_grad=True)], "float64"),
}


@pytest.mark.parametrize("make, dtype", ONE_ELEMENT_TENSORS_INSIDE.values(), ids=ONE_ELEMENT_TENSORS_INSIDE)
def test_tensor_reads_one_element_tensors_inside_data_as_numbers_as_torch(make, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: a tensor that requires grad, read as a number
        theirs = torch.tensor(make(torch), dtype=dtype and getattr(torch, dtype))
    for construct in (tg.tensor, tg.Tensor):
        same(construct(make(tg), dtype=dtype and getattr(tg, dtype)), theirs)


@pytest.mark.parametrize("args, kw", [((2, 3), {}), (((2, 3),), {"dtype": tg.long}), ((0,), {})], ids=repr)
def test_empty_and_empty_like_have_torchs_shapes_and_dtypes(args, kw):
    ours, theirs = tg.empty(*args, **kw), torch.empty(*args, **{k: getattr(torch, v.name) for k, v in kw.items()})
    assert ours.shape == tuple(theirs.shape) and ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    like = tg.empty_like(tg.zeros(2, 3, dtype=tg.float64))
    assert like.shape == (2, 3) and like.dtype == tg.float64
    assert tg.empty_like(tg.zeros(2), dtype=tg.int8).dtype == tg.int8
    assert tg.empty(2, requires_grad=True).requires_grad


@pytest.mark.parametrize("start, end, steps", [(0, 1, 5), (-3.7, 12.1, 50), (1e6, -2.5, 1001), (3, 3, 1),
                                               (0, 100, 50), (0, 1, 0), (2.5, -1, 2), (0.1, 0.7, 7)], ids=repr)
@pytest.mark.parametrize("dtype", [None, "float64", "int64", "int32"])
def test_linspace_matches_torch(start, end, steps, dtype):
    ours = tg.linspace(start, end, steps, dtype=dtype and np.dtype(dtype))
    theirs = torch.linspace(start, end, steps, dtype=dtype and getattr(torch, dtype))
    if ours.dtype.kind in "iu":
        same(ours, theirs)
    else:  # torch's vectorized steps differ from a single rounding in the last bit
        assert ours.dtype == np.dtype(dtype or "float32")
        scale = max(abs(start), abs(end))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=0, atol=4 * np.finfo(ours.dtype).eps * scale)
        assert ours.tolist()[::steps - 1 or 1] == theirs.tolist()[::steps - 1 or 1]  # the ends exactly


def test_linspace_needs_steps_and_refuses_negative_ones_as_torch():
    raises_in_both(lambda L: L.linspace(0, 1), TypeError, TypeError)
    raises_in_both(lambda L: L.linspace(0, 1, -1), ValueError, RuntimeError, "linspace: steps must be non-negative")
    assert tg.linspace(0, 1, 3, requires_grad=True).requires_grad


@pytest.mark.parametrize("args, dtype", [
    ((250, 260), "uint8"), ((-5, 5), "uint8"), ((5, -5, -1), "uint8"), ((250, 260), "int8"), ((0, 300, 50), "int8"),
    ((32760, 32770), "int16"), ((2 ** 31 - 2, 2 ** 31 + 2), "int32"), ((127.5, 130.0), "int8"),
    ((0.5, 300.5, 50), "uint8"), ((2 ** 63 - 3, 2 ** 63 - 1), "int64"), ((-2 ** 63, -2 ** 63 + 2), "int64"),
], ids=repr)
def test_arange_wraps_values_past_a_narrower_integer_dtype_as_torch(args, dtype):
    same(tg.arange(*args, dtype=getattr(tg, dtype)), torch.arange(*args, dtype=getattr(torch, dtype)))


@pytest.mark.parametrize("call, theirs, message", [
    (lambda L: L.arange(2 ** 63 - 3, 2 ** 63 + 1), RuntimeError, "end=9223372036854775809"),
    (lambda L: L.arange(2 ** 63), RuntimeError, "end=9223372036854775808"),
    (lambda L: L.arange(0, 5, 2 ** 63), RuntimeError, "step=9223372036854775808"),
    (lambda L: L.arange(-2 ** 63 - 1, 0), OverflowError, "start=-9223372036854775809"),
    (lambda L: L.arange(0, 1e19, 1e18, dtype=L.int64), RuntimeError, "end=10000000000000000000"),
    (lambda L: L.arange(2 ** 63, 2 ** 63 + 2, dtype=L.int8), RuntimeError, "start=9223372036854775808"),
], ids=["end", "end only", "step", "start", "float end", "int8"])
def test_arange_refuses_integers_past_int64_as_torch(call, theirs, message):
    # torch: value cannot be converted to type int64_t without overflow (or Python's OverflowError)
    raises_in_both(call, OutOfRangeError, theirs, rf"^arange: {message} is out of range for int64, in which torch "
                                                   "counts")


@pytest.mark.parametrize("args, dtype", [((NAN,), "int64"), ((0, INF), "int64"), ((0, INF), "float32"),
                                         ((-INF, 0), "float64"), ((0, 5, NAN), "float32"), ((0, NAN), "int8")], ids=repr)
def test_arange_refuses_a_range_that_is_not_finite_as_torch(args, dtype):  # torch: unsupported range
    raises_in_both(lambda L: L.arange(*args, dtype=getattr(L, dtype)), OutOfRangeError, RuntimeError,
                   r"^arange: unsupported range .*: start, end and step must be finite, as in torch")


def test_arange_refuses_a_bool_dtype_as_torch():  # torch: "arange_cpu" not implemented for 'Bool'
    for args in ((2,), (0, 1), (0.5, 2.5)):
        raises_in_both(lambda L: L.arange(*args, dtype=L.bool), tg.DTypeError, NotImplementedError,
                       r"^arange: bool is not a dtype for it \(as in torch\)")


def test_randint_like_draws_in_the_tensors_shape_and_dtype_as_torch():
    x = tg.zeros(200, 3)
    for args in ((5,), (2, 5)):
        ours, theirs = tg.randint_like(x, *args), torch.randint_like(torch.zeros(200, 3), *args)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == tg.float32
        assert set(np.unique(ours.numpy())) == set(np.unique(theirs.numpy())) == set(range(*((0,) + args)[-2:]))
    assert tg.randint_like(tg.zeros(2, dtype=tg.int8), 3).dtype == tg.int8
    assert set(np.unique(tg.randint_like(x, high=2).numpy())) == {0, 1}  # torch's keyword form
    assert tg.randint_like(x, 3, dtype=tg.long).dtype == tg.int64
    tg.manual_seed(1)
    first = tg.randint_like(x, 9)
    tg.manual_seed(1)
    assert (tg.randint_like(x, 9) == first).all()


# ---- module-level functions ------------------------------------------------------------------------------

X34 = rand((3, 4))
UNARY_FUNCTIONS = {  # name: (args after the input, kwargs); the same call in both libraries
    "argmax": ((), {}), "argmin": ((1,), {"keepdim": True}),
    "sum": ((), {}), "mean": ((1,), {"keepdim": True}),
    "exp": ((), {}), "tanh": ((), {}), "sigmoid": ((), {}), "relu": ((), {}), "abs": ((), {}),
    "softmax": ((1,), {}), "log_softmax": ((0,), {}), "flatten": ((), {}), "reshape": (((2, 6),), {}),
    "transpose": ((0, 1), {}), "squeeze": ((), {}), "unsqueeze": ((1,), {}), "clamp": ((-1.0, 1.0), {}),
    "clip": ((), {"min": 0.5}), "topk": ((2,), {"dim": 0}), "flip": (((0, 1),), {}), "t": ((), {}),
    "gather": ((1, "index"), {}), "index_select": ((0, "index1d"), {}), "cumsum": ((1,), {}),
    "prod": ((0,), {}), "permute": (((1, 0),), {}), "isnan": ((), {}), "isinf": ((), {}), "isfinite": ((), {}),
    "max": ((), {}), "max_dim": ((1,), {}), "max_keepdim": ((0, True), {}), "min": ((), {}),
    "min_dim": ((1,), {"keepdim": True}), "logsumexp": ((1,), {}), "pow": ((2,), {}),
}
INDICES = {"index": np.array([[0, 0], [3, 1], [2, 2]]), "index1d": np.array([2, 0, 2])}


def _call(lib, name, x, args, kwargs):
    args = [lib.tensor(INDICES[a]) if isinstance(a, str) else a for a in args]
    return getattr(lib, name.split("_")[0] if name.startswith(("max_", "min_")) else name)(x, *args, **kwargs)


@pytest.mark.parametrize("name", UNARY_FUNCTIONS)
def test_module_level_functions_match_torch_with_gradients(name):
    args, kwargs = UNARY_FUNCTIONS[name]
    x = X34 if name not in ("sqrt", "log") else np.abs(X34) + 0.5
    check(lambda x: _call(tg, name, x, args, kwargs), x, torch_fn=lambda x: _call(torch, name, x, args, kwargs))


@pytest.mark.parametrize("name", ["sqrt", "log"])
def test_module_level_sqrt_and_log_match_torch(name):
    check(lambda x: getattr(tg, name)(x), np.abs(X34) + 0.5, torch_fn=lambda x: getattr(torch, name)(x))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((3, 1), (1, 4))], ids=repr)
def test_max_and_min_of_two_tensors_are_elementwise_with_broadcast_gradients_as_torch(name, shapes):
    check(lambda x, y: getattr(tg, name)(x, y), rand(shapes[0], 1), rand(shapes[1], 2),
          torch_fn=lambda x, y: getattr(torch, name)(x, y))


@pytest.mark.parametrize("call", [lambda lib, x, y: lib.max(x, other=y), lambda lib, x, y: lib.min(input=x, other=y),
                                  lambda lib, x, y: lib.add(x, y, alpha=2), lambda lib, x, y: lib.sub(x, y, alpha=0.5),
                                  lambda lib, x, y: lib.mul(x, y), lambda lib, x, y: lib.div(x, y)],
                         ids=["max-other", "min-other", "add-alpha", "sub-alpha", "mul", "div"])
def test_module_level_binary_functions_match_torch(call):
    check(lambda x, y: call(tg, x, y), rand((3, 4), 1), np.abs(rand((4,), 2)) + 0.5,
          torch_fn=lambda x, y: call(torch, x, y))


def test_max_along_a_dim_returns_values_and_indices_by_name_as_torch():
    ours, theirs = tg.max(tg.tensor(X34), 1), torch.max(torch.tensor(X34), 1)
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)


@pytest.mark.parametrize("name", ["eq", "ne", "gt", "lt", "ge", "le"])
def test_module_level_comparisons_match_torch(name):
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0], [1.0]])
    same(getattr(tg, name)(tg.tensor(a), tg.tensor(b)), getattr(torch, name)(torch.tensor(a), torch.tensor(b)))
    same(getattr(tg, name)(tg.tensor(a), 2.0), getattr(torch, name)(torch.tensor(a), 2.0))


def test_module_level_numel_sum_dtype_and_softmax_dtype_match_torch():
    assert tg.numel(tg.zeros(3, 4)) == torch.numel(torch.zeros(3, 4)) == 12
    same(tg.sum(tg.tensor([1, 2], dtype=tg.uint8), dtype=tg.int16),
         torch.sum(torch.tensor([1, 2], dtype=torch.uint8), dtype=torch.int16))
    check(lambda x: tg.softmax(x, 0, dtype=tg.float64), X34.astype(np.float32),
          torch_fn=lambda x: torch.softmax(x, 0, dtype=torch.float64), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["exp", "sum", "max", "reshape", "eq", "nonzero"])
def test_module_level_functions_of_something_other_than_a_tensor_are_a_type_error_as_in_torch(name):
    args = {"reshape": ((2,),), "eq": (1.0,)}.get(name, ())
    raises_in_both(lambda L: getattr(L, name)([1.0, 2.0], *args), tg.DTypeError, TypeError,
                   f"{name}: input must be a Tensor, got list")


def test_a_star_import_leaves_pythons_builtins_alone():
    namespace = {}
    exec("from tinygrad_mnist import *", namespace)
    assert not {"float", "int", "bool", "sum", "max", "min", "abs"} & set(namespace)
    assert {"Tensor", "argmax", "long", "nn", "no_grad", "save", "load"} <= set(namespace)


def test_save_and_load_are_there_without_import_tinygrad_mnist_loading_serialization():
    code = ("import sys, tinygrad_mnist as tg; assert 'tinygrad_mnist.serialization' not in sys.modules; "
            "from tinygrad_mnist import save; assert tg.load and save is tg.save")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_tinygrad_mnist_leaves_the_slower_standard_modules_to_the_functions_using_them():
    code = ("import sys; import numpy; before = set(sys.modules); import tinygrad_mnist; "
            "print(' '.join(sorted(set(sys.modules) - before)))")
    added = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    # statistics (trunc_normal_'s far tails) brings decimal, fractions and random: 5 ms; json and
    # tempfile come with save/load, argparse with the command line, csv and tomllib with the tooling
    assert not {"statistics", "decimal", "fractions", "random", "json", "tempfile", "argparse", "csv",
                "tomllib"} & set(added), added


def test_a_leafs_hook_runs_only_when_its_gradient_is_asked_for_as_in_torch():
    for lib in (tg, torch):
        calls = []
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        x.register_hook(lambda g: calls.append("x"))
        w.register_hook(lambda g: calls.append("w"))
        lib.autograd.grad(((x * w) ** 2).sum(), [w])
        ((x * w) ** 2).sum().backward(inputs=[w])
        assert calls == ["w", "w"]


def test_index_select_of_a_0_d_tensor_and_in_with_a_string_as_torch():
    for lib in (tg, torch):
        x = lib.tensor(5.0, requires_grad=True)
        picked = x.index_select(0, lib.tensor([0]))
        assert picked.shape == () and picked.item() == 5.0
        picked.backward()
        assert x.grad.item() == 1.0
        with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
            "a" in lib.ones(2)
    with pytest.raises(IndexError, match="out of range"):
        tg.tensor(5.0).index_select(0, tg.tensor([1]))


def test_a_hook_may_change_the_gradient_in_place_and_a_handle_removes_its_own_hook_once():
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
        h = x * 1
        h.register_hook(lambda g: g.clamp_(max=2.0))  # returns the tensor it changed, as torch's clamp_ does
        x.register_hook(lambda g: None if g.mul_(0.5) is None else None)  # changes it, returns None
        ((h * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum()).backward()
        first = x.grad.numpy().copy()

        w = lib.tensor([1.0, 2.0], requires_grad=True)
        double = lambda g: g * 2
        h1 = w.register_hook(double)
        w.register_hook(double)  # the same function again, under its own handle
        h1.remove()
        h1.remove()  # a second remove() leaves the other registration alone
        with w.register_hook(lambda g: g * 10):
            pass  # leaving the block removes that hook
        (w * w).sum().backward()
        results.append((first, w.grad.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(results[0][1], [4.0, 8.0])


# ---- unflatten, unbind and square -----------------------------------------------------------------------

@pytest.mark.parametrize("shape, dim, sizes", [((2, 6), 1, (2, 3)), ((2, 6), -1, [3, -1]), ((4, 3), 0, (-1,)),
                                               ((2, 3, 4), 1, (1, 3, 1)), ((2, 0), 1, (5, -1)), ((6,), 0, (2, 1, 3))],
                         ids=repr)
def test_unflatten_matches_torch_with_gradients(shape, dim, sizes):
    check(lambda x: x.unflatten(dim, sizes), rand(shape))
    check(lambda x: tg.unflatten(x, dim, sizes), rand(shape), torch_fn=lambda x: torch.unflatten(x, dim, sizes))


@pytest.mark.parametrize("sizes, ours", [((2, 2), tg.ShapeError), ((-1, -1), tg.ShapeError), ((-2, -3), tg.ShapeError),
                                         ((0, -1), tg.ShapeError), ((), tg.ShapeError), (6, TypeError),
                                         ((2.0, 3), TypeError)], ids=repr)
def test_bad_unflatten_sizes_are_errors_as_in_torch(sizes, ours):
    raises_in_both(lambda L: L.zeros(2, 6).unflatten(1, sizes), ours, (RuntimeError, TypeError), "unflatten|size")


def test_unflatten_of_a_0_d_tensor_or_a_dim_out_of_range_is_an_index_error_as_in_torch():
    raises_in_both(lambda L: L.tensor(1.0).unflatten(0, (1,)), IndexError, RuntimeError, "no dimensions")
    raises_in_both(lambda L: L.zeros(2, 6).unflatten(2, (6,)), IndexError, IndexError, "out of range")


@pytest.mark.parametrize("shape, dim", [((3, 4), 0), ((3, 4), 1), ((2, 3, 4), -1), ((5,), 0), ((0, 2), 0)], ids=repr)
def test_unbind_matches_torch_with_gradients_through_every_slice(shape, dim):
    check(lambda x: x.unbind(dim) or (x * 1,), rand(shape))  # (a tuple of none is not an output)
    check(lambda x: tg.unbind(x, dim=dim) or (x * 1,), rand(shape),
          torch_fn=lambda x: torch.unbind(x, dim=dim) or (x * 1,))


def test_unbind_of_a_0_d_tensor_is_an_index_error_as_in_torch():
    raises_in_both(lambda L: L.tensor(1.0).unbind(), IndexError, IndexError, "no dimensions")
    assert type(tg.zeros(2, 3).unbind()) is tuple


@pytest.mark.parametrize("shape", [(), (5,), (3, 4)], ids=repr)
def test_square_matches_torch_with_gradients(shape):
    check(lambda x: x.square(), rand(shape))
    check(lambda x: tg.square(x), rand(shape), torch_fn=lambda x: torch.square(x))
    check(lambda x: x.float().square(), rand(shape))


@pytest.mark.parametrize("values, dtype", [([True, False], np.bool_), ([3, 20], np.uint8), ([300, -7], np.int16)],
                         ids=repr)
def test_square_of_integers_and_bools_has_torchs_dtype_and_wraps_around_as_there(values, dtype):
    ours, theirs = both(values, dtype)
    same(ours.square(), theirs.square())


# ---- sort and argsort -----------------------------------------------------------------------------------

SORT_VALUES = np.array([[3.0, 1.0, 2.0, 1.0, NAN], [-0.0, 0.0, -INF, 5.0, 5.0], [2.0, 2.0, 2.0, INF, -1.0]])


@pytest.mark.parametrize("kw", [{}, {"dim": 0}, {"descending": True}, {"dim": 0, "descending": True},
                                {"stable": True, "descending": True}, {"dim": -1, "stable": True}], ids=repr)
def test_sort_and_argsort_match_torch_with_nan_largest_and_ties_in_order(kw):
    ours, theirs = tg.tensor(SORT_VALUES).sort(**kw), torch.tensor(SORT_VALUES).sort(**kw)
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)
    same(tg.tensor(SORT_VALUES).argsort(**kw), torch.tensor(SORT_VALUES).argsort(**kw))
    same(tg.sort(tg.tensor(SORT_VALUES), **kw)[1], torch.sort(torch.tensor(SORT_VALUES), **kw)[1])
    same(tg.argsort(tg.tensor(SORT_VALUES), **kw), torch.argsort(torch.tensor(SORT_VALUES), **kw))


@pytest.mark.parametrize("shape, args", [((7,), ()), ((3, 4), (0,)), ((3, 4), (1, True)), ((2, 3, 4), (1,)), ((), ())],
                         ids=repr)
def test_sort_matches_torch_with_gradients_through_the_values(shape, args):
    check(lambda x: x.sort(*args), rand(shape))
    check(lambda x: x.float().sort(*args).values, rand(shape))


def test_sort_of_integers_bools_and_repeated_values_matches_torch():
    for values, dtype in [([2, 255, 2, 0], np.uint8), ([True, False, True], np.bool_),
                          ([1, 1, 1, 0, 0, 0, 2, 2], np.int64)]:
        for descending in (False, True):
            ours, theirs = both(values, dtype)
            for o, t in zip(ours.sort(descending=descending), theirs.sort(descending=descending)):
                same(o, t)


def test_sort_of_a_0_d_tensor_and_a_dim_out_of_range_match_torch():
    for lib in (tg, torch):
        values, indices = lib.tensor(5.0).sort()
        assert values.item() == 5.0 and indices.item() == 0 and indices.dtype == lib.int64
    raises_in_both(lambda L: L.zeros(2, 3).sort(2), IndexError, IndexError, "out of range")
    raises_in_both(lambda L: L.zeros(2, 3).argsort(-3), IndexError, IndexError, "out of range")


# ---- new_zeros, new_ones, new_full, new_empty and new_tensor ---------------------------------------------

NEW = {  # name: the same call in both libraries
    "new_zeros-sizes": lambda x, L: x.new_zeros(2, 3), "new_zeros-tuple": lambda x, L: x.new_zeros((2, 3)),
    "new_ones-list": lambda x, L: x.new_ones([4]), "new_ones-dtype": lambda x, L: x.new_ones(2, dtype=L.int32),
    "new_full": lambda x, L: x.new_full((2,), 7.5), "new_full-bool": lambda x, L: x.new_full([1, 2], True),
    "new_full-dtype": lambda x, L: x.new_full((2,), fill_value=3, dtype=L.float64),
    "new_tensor": lambda x, L: x.new_tensor([1.5, 2, 3.7]), "new_tensor-0d": lambda x, L: x.new_tensor(3.0),
    "new_tensor-dtype": lambda x, L: x.new_tensor([1, 2], dtype=L.int8),
    "new_tensor-array": lambda x, L: x.new_tensor(np.array([True, False])),
    "new_zeros-cpu": lambda x, L: x.new_zeros(2, device="cpu"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
@pytest.mark.parametrize("make", NEW.values(), ids=NEW.keys())
def test_new_factories_take_this_tensors_dtype_unless_given_one_as_in_torch(make, dtype):
    ours = make(tg.zeros(1, dtype=getattr(tg, dtype)), tg)
    theirs = make(torch.zeros(1, dtype=getattr(torch, dtype)), torch)
    same(ours, theirs)
    assert not ours.requires_grad


def test_new_empty_has_the_shape_and_dtype_and_new_tensors_require_grad_as_asked():
    for lib in (tg, torch):
        x = lib.zeros(1, dtype=lib.float64)
        assert tuple(x.new_empty(2, 3).shape) == (2, 3) and x.new_empty((2,)).dtype == lib.float64
        assert x.new_ones(2, requires_grad=True).requires_grad and x.new_tensor([1.0], requires_grad=True).is_leaf
        with pytest.raises(TypeError):
            x.new_zeros()


def test_new_factories_refuse_what_torch_refuses():
    raises_in_both(lambda L: L.zeros(1).new_full(2, 1.0), TypeError, TypeError, "size must be a tuple")
    raises_in_both(lambda L: L.zeros(1).new_ones(2.0), TypeError, TypeError, "size must be a tuple of ints")
    raises_in_both(lambda L: L.zeros(1, dtype=L.long).new_zeros(2, requires_grad=True), tg.DTypeError, RuntimeError,
                   "floating-point")
    with pytest.raises(tg.errors.ConfigError, match="only device"):
        tg.zeros(1).new_ones(2, device="cuda")


def test_new_tensor_of_a_tensor_copies_it_out_of_the_graph_and_warns_as_torch():
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.warns(UserWarning, match="detach"):
            copy = x.new_tensor(x)
        assert not copy.requires_grad
        with lib.no_grad():
            copy[0] = 5.0
        assert x[0].item() == 1.0


COPY_SOURCES = {  # make(lib) -> (source tensor, tensor()'s keyword arguments)
    "0-d": lambda L: (L.tensor(1.5), {}), "needs grad": lambda L: (L.tensor([1.0, 2.0], requires_grad=True), {}),
    "asks grad": lambda L: (L.tensor([1.0, 2.0], requires_grad=True), {"requires_grad": True}),
    "to float64": lambda L: (L.tensor([[1.0, -2.5]]), {"dtype": L.float64}),
    "int": lambda L: (L.tensor([3, 4]), {}), "parameter": lambda L: (L.nn.Parameter(L.ones(2, 3)), {}),
}


@pytest.mark.parametrize("make", COPY_SOURCES.values(), ids=COPY_SOURCES)
def test_tensor_of_a_tensor_warns_and_copies_it_out_of_the_graph_as_torch(make):
    results = {}
    for lib in (tg, torch):
        source, kw = make(lib)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            copy = lib.tensor(source, **{k: getattr(lib, v.name if lib is tg else str(v).removeprefix("torch."))
                                         if k == "dtype" else v for k, v in kw.items()})
        with lib.no_grad():
            copy.zero_()
        assert source.abs().sum().item() != 0  # no memory shared
        results[lib] = copy, caught
    (ours, our_warnings), (theirs, their_warnings) = results[tg], results[torch]
    same(ours, theirs)
    assert type(ours) is tg.Tensor and type(theirs) is torch.Tensor  # a Parameter's copy is a plain tensor
    assert (ours.requires_grad, ours.is_leaf) == (theirs.requires_grad, theirs.is_leaf)
    assert [(w.category, str(w.message).replace("torch.tensor(", "tg.tensor(")) for w in their_warnings] == \
        [(w.category, str(w.message)) for w in our_warnings]
    assert our_warnings[0].filename == __file__  # the warning points at the caller, as torch's


def test_tensor_of_numbers_arrays_or_tensors_in_a_list_does_not_warn_as_torch():
    for lib in (tg, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            lib.tensor([lib.tensor(1.0), 2.0])
            lib.tensor(np.zeros(2))


def test_new_tensor_of_a_tensor_warns_once_with_torchs_message():
    caught = {}
    for lib in (tg, torch):
        with warnings.catch_warnings(record=True) as caught[lib]:
            warnings.simplefilter("always")
            lib.zeros(1).new_tensor(lib.ones(2))
    assert [(w.category, str(w.message)) for w in caught[tg]] == [(w.category, str(w.message)) for w in caught[torch]]


# ---- isclose and allclose --------------------------------------------------------------------------------

CLOSE_PAIRS = [  # a, b, dtype
    ([1.0, 2.0, 0.0, 1e-9, 100.0], [1.00001, 2.1, 1e-8, 0.0, 100.001], np.float32),
    ([1.0, 2.0, 0.0, 1e-9, 100.0], [1.00001, 2.1, 1e-8, 0.0, 100.001], np.float64),
    ([INF, -INF, NAN, INF, 1.0, NAN], [INF, INF, NAN, 1.0, NAN, 1.0], np.float64),
    ([1.0, 1.001, 2048.0, 0.0], [1.0009766, 1.0, 2049.0, 6e-8], np.float16),
    ([1, 2, 100], [1, 3, 101], np.int64),
    ([100, 110, 0], [110, 100, 255], np.uint8),
    ([True, False], [False, False], np.bool_),
]


@pytest.mark.parametrize("kw", [{}, {"equal_nan": True}, {"rtol": 0.1}, {"atol": 1.0}, {"rtol": 0, "atol": 0},
                                {"rtol": 1e-3, "atol": 0}], ids=repr)
@pytest.mark.parametrize("a, b, dtype", CLOSE_PAIRS, ids=lambda v: getattr(v, "__name__", None))
def test_isclose_and_allclose_match_torch(a, b, dtype, kw):
    (ours_a, theirs_a), (ours_b, theirs_b) = both(a, dtype), both(b, dtype)
    same(ours_a.isclose(ours_b, **kw), theirs_a.isclose(theirs_b, **kw))
    same(tg.isclose(ours_b, ours_a, **kw), torch.isclose(theirs_b, theirs_a, **kw))
    assert ours_a.allclose(ours_b, **kw) is theirs_a.allclose(theirs_b, **kw)
    assert tg.allclose(ours_a[:2], ours_a[:2], **kw) is torch.allclose(theirs_a[:2], theirs_a[:2], **kw)


def test_isclose_at_float16_tolerances_matches_torch_bit_for_bit():
    rng = np.random.default_rng(0)
    a = rng.uniform(-4, 4, 100000).astype(np.float16)
    b = (a * (1 + rng.uniform(-1e-3, 1e-3, a.shape))).astype(np.float16)
    for rtol, atol in [(1e-3, 1e-5), (3e-4, 0.0), (0.0, 1e-3), (1e-5, 1e-8), (1e-3, 3e-4)]:
        same(tg.tensor(a).isclose(tg.tensor(b), rtol, atol), torch.tensor(a).isclose(torch.tensor(b), rtol, atol))


def test_isclose_broadcasts_and_gives_a_0_d_result_for_0_d_tensors_as_torch():
    same(tg.isclose(tg.ones(2, 1), tg.ones(3)), torch.isclose(torch.ones(2, 1), torch.ones(3)))
    same(tg.isclose(tg.tensor(1.0), tg.tensor(2.0), atol=1),
         torch.isclose(torch.tensor(1.0), torch.tensor(2.0), atol=1))
    assert type(tg.isclose(tg.tensor(1.0), tg.tensor(2.0), atol=1).data) is np.ndarray
    assert tg.allclose(tg.tensor(1.0), tg.ones(2)) is torch.allclose(torch.tensor(1.0), torch.ones(2)) is True


@pytest.mark.parametrize("call, ours", [
    (lambda L: L.isclose(L.ones(1), L.ones(1, dtype=L.float64)), tg.DTypeError),
    (lambda L: L.isclose(L.ones(1, dtype=L.long), L.ones(1)), tg.DTypeError),
    (lambda L: L.isclose(L.ones(1), 1.0), TypeError),
    (lambda L: L.ones(1).isclose(L.ones(1), rtol=-1), ValueError),
    (lambda L: L.allclose(L.ones(1), L.ones(1), atol=-1), ValueError),
    (lambda L: L.allclose(L.ones(2), L.ones(3)), tg.ShapeError),
], ids=["float64", "int64", "number", "rtol", "atol", "shapes"])
def test_bad_isclose_arguments_are_errors_as_in_torch(call, ours):
    raises_in_both(call, ours, (RuntimeError, TypeError), "^(isclose|allclose): ")


EQUAL_PAIRS = {  # a, b: torch.equal is True for the same shape and values, whatever the dtypes
    "same": (np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)),
    "one differs": (np.array([1.0, 2.0]), np.array([1.0, 2.5])),
    "int and float": (np.array([1, 2]), np.array([1.0, 2.0], np.float32)),
    "bool and int": (np.array([True, False]), np.array([1, 0])),
    "float16 and float32": (np.array([0.5, 3.0], np.float16), np.array([0.5, 3.0], np.float32)),
    "signed zeros": (np.array([0.0]), np.array([-0.0])),
    "nan": (np.array([NAN]), np.array([NAN])),
    "empty": (np.zeros(0), np.zeros(0)),
    "other shape": (np.ones((1, 2)), np.ones(2)),
    "0-d and 1-d": (np.array(1.0), np.array([1.0])),
}


@pytest.mark.parametrize("a, b", EQUAL_PAIRS.values(), ids=EQUAL_PAIRS.keys())
def test_equal_is_one_bool_for_the_same_shape_and_values_as_torch(a, b):
    """torch.equal(model(x), loaded(x)): the check after a state_dict round trip."""
    expected = torch.equal(torch.tensor(a), torch.tensor(b))
    assert tg.equal(tg.tensor(a), tg.tensor(b)) is expected
    assert tg.tensor(b).equal(tg.tensor(a)) is expected


def test_equal_of_a_tensor_requiring_grad_and_its_detached_copy_is_true_and_of_a_number_refused_as_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert tg.equal(x, x.detach() * 1) is True
    raises_in_both(lambda L: L.equal(L.ones(1), 1.0), TypeError, TypeError, "equal: other must be a Tensor, got float")


# ---- uniform_ and normal_ --------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_uniform_and_normal_fill_in_place_from_the_seeded_generator_in_the_tensors_dtype(dtype):
    x = tg.zeros(20000, dtype=getattr(tg, dtype))
    alias = x[:5]
    tg.manual_seed(3)
    assert x.uniform_(-2, 3) is x and x.dtype == getattr(tg, dtype)
    values = x.numpy().astype(np.float64)
    assert -2 <= values.min() < -1.99 and 2.99 < values.max() <= 3 and abs(values.mean() - 0.5) < 0.05
    np.testing.assert_array_equal(alias.numpy(), x.numpy()[:5])
    tg.manual_seed(3)
    np.testing.assert_array_equal(tg.zeros(20000, dtype=getattr(tg, dtype)).uniform_(-2, to=3).numpy(), x.numpy())
    x.normal_(std=2.0, mean=1.0)
    values = x.numpy().astype(np.float64)
    assert abs(values.mean() - 1.0) < 0.05 and abs(values.std() - 2.0) < 0.05
    assert (tg.zeros(3).uniform_().numpy() < 1).all() and tg.zeros(3).uniform_(1, 1).tolist() == [1.0] * 3
    assert tg.zeros(2).normal_(5.0, 0.0).tolist() == torch.zeros(2).normal_(5.0, 0.0).tolist() == [5.0, 5.0]


def test_uniform_and_normal_take_a_generator_or_a_seed_as_nn_init_does():
    seeded = tg.zeros(5).normal_(generator=7).numpy()
    np.testing.assert_array_equal(tg.zeros(5).normal_(generator=np.random.default_rng(7)).numpy(), seeded)
    np.testing.assert_array_equal(tg.nn.init.normal_(tg.zeros(5), generator=7).numpy(), seeded)
    np.testing.assert_array_equal(tg.zeros(5).uniform_(generator=7).numpy(),
                                  tg.nn.init.uniform_(tg.zeros(5), generator=7).numpy())
    with pytest.raises(tg.DTypeError, match="uniform_: generator must be"):
        tg.zeros(2).uniform_(generator="seed")


UNIFORM_BOUNDS = [  # dtype, from, to, what our message says; torch refuses each (its checks, in its order)
    ("float32", 2, 1, r"uniform_ expects to return a \[from, to\) range, but found from=2 > to=1"),
    ("float32", 0, INF, "uniform_: to=inf is out of bounds for float32"),
    ("float64", -INF, 0, "uniform_: from=-inf is out of bounds for float64"),
    ("float32", NAN, 1, "uniform_: from=nan is out of bounds"), ("float32", 0, NAN, "uniform_: to=nan is out of"),
    ("float32", -1e39, 1e39, "uniform_: from=-1e[+]39 is out of bounds for float32 \\(from -3.40.*e[+]38 to 3.40"),
    ("float16", 0, 70000, "uniform_: to=70000 is out of bounds for float16 \\(from -65504.0 to 65504.0\\)"),
    ("float32", -3e38, 3e38, "uniform_: to - from = 6e[+]38 is more than float32 holds \\(3.40.*e[+]38\\)"),
    ("float16", -40000, 40000, "uniform_: to - from = 80000.0 is more than float16 holds \\(65504.0\\)"),
    ("float64", -1e308, 1e308, "uniform_: to - from = inf is more than float64 holds"),
]


@pytest.mark.parametrize("dtype, low, high, message", UNIFORM_BOUNDS, ids=repr)
def test_uniform_refuses_the_bounds_torch_refuses(dtype, low, high, message):
    for fill in (lambda L, t: t.uniform_(low, high), lambda L, t: L.nn.init.uniform_(t, low, high)):
        raises_in_both(lambda L: fill(L, L.zeros(3, dtype=getattr(L, dtype))), OutOfRangeError, RuntimeError, message)
    assert tg.zeros(2, dtype=tg.float64).uniform_(0, 1e308).dtype == tg.float64  # within both tests
    assert tg.zeros(2, dtype=tg.float16).uniform_(-30000, 30000).dtype == tg.float16


@pytest.mark.parametrize("call, ours, theirs", [
    (lambda L: L.zeros(2).uniform_(2, 1), ValueError, RuntimeError),
    (lambda L: L.zeros(2).normal_(0, -1), ValueError, RuntimeError),
    (lambda L: L.zeros(2, dtype=L.long).uniform_(), tg.DTypeError, NotImplementedError),
    (lambda L: L.zeros(2, dtype=L.bool).normal_(), tg.DTypeError, NotImplementedError),
], ids=["from>to", "std<0", "long", "bool"])
def test_bad_uniform_and_normal_arguments_are_errors_as_in_torch(call, ours, theirs):
    raises_in_both(call, ours, theirs, "uniform_|normal_")


# ---- more module-level forms, mm, bmm, outer, randperm, is_tensor ----------------------------------------

MORE_FUNCTIONS = {  # name: (args after the input, kwargs); the same call in both libraries
    "std": ((1,), {}), "std_unbiased": ((1, False, True), {}), "std_correction": ((), {"dim": 0, "correction": 0}),
    "var": (((0, 1),), {}), "var_unbiased": ((False,), {}), "var_keepdim": ((), {"dim": 1, "keepdim": True}),
    "amax": ((1,), {}), "amin": ((), {"dim": (0, 1), "keepdim": True}), "all": ((1,), {}), "any": ((), {}),
    "norm": ((1, 1), {}), "norm_dim": ((), {"dim": 0}), "sign": ((), {}), "neg": ((), {}), "log1p": ((), {}),
    "square": ((), {}), "masked_fill": (("mask", -1.5), {}), "sort": ((0, True), {}),
    "argsort": ((), {"descending": True}),
    "unbind": ((1,), {}), "unflatten": ((1, (2, 2)), {}),
}


def _call_more(lib, name, x):
    args, kwargs = MORE_FUNCTIONS[name]
    args = [lib.tensor(X34 > 0) if a == "mask" else a for a in args]
    return getattr(lib, name.split("_")[0] if name != "masked_fill" else name)(x, *args, **kwargs)


@pytest.mark.parametrize("name", MORE_FUNCTIONS)
def test_more_module_level_functions_match_torch_with_gradients(name):
    x = np.abs(X34) if name == "log1p" else X34
    check(lambda x: _call_more(tg, name, x), x, torch_fn=lambda x: _call_more(torch, name, x))


@pytest.mark.parametrize("shapes, op", [(((3, 4), (4, 2)), "mm"), (((1, 1), (1, 5)), "mm"),
                                        (((2, 3, 4), (2, 4, 5)), "bmm"), (((3,), (4,)), "outer"),
                                        (((1,), (3,)), "outer")], ids=repr)
def test_mm_bmm_and_outer_match_torch_with_gradients(shapes, op):
    check(lambda a, b: getattr(tg, op)(a, b), rand(shapes[0], 1), rand(shapes[1], 2),
          torch_fn=lambda a, b: getattr(torch, op)(a, b))
    check(lambda a, b: getattr(a, op)(b), rand(shapes[0], 1), rand(shapes[1], 2))


def test_mm_of_integers_and_outer_of_an_integer_and_a_float_tensor_have_torchs_dtypes():
    same(tg.mm(tg.ones(2, 3, dtype=tg.long), tg.ones(3, 4, dtype=tg.long)),
         torch.mm(torch.ones(2, 3, dtype=torch.long), torch.ones(3, 4, dtype=torch.long)))
    same(tg.outer(tg.arange(3), tg.ones(2)), torch.outer(torch.arange(3), torch.ones(2)))
    assert tg.mm(tg.ones(2, 3), mat2=tg.ones(3, 1)).shape == (2, 1)


@pytest.mark.parametrize("call, ours", [
    (lambda L: L.mm(L.ones(2, 3), L.ones(4, 4)), tg.ShapeError),
    (lambda L: L.mm(L.ones(3), L.ones(3, 4)), tg.ShapeError),
    (lambda L: L.mm(L.ones(2, 3), L.ones(3)), tg.ShapeError),
    (lambda L: L.ones(2, 3).mm(L.ones(3, 4, dtype=L.float64)), tg.DTypeError),
    (lambda L: L.bmm(L.ones(2, 2, 3), L.ones(1, 3, 4)), tg.ShapeError),
    (lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 4, 4)), tg.ShapeError),
    (lambda L: L.bmm(L.ones(2, 3), L.ones(2, 3, 4)), tg.ShapeError),
    (lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 3, 4, dtype=L.float64)), tg.DTypeError),
    (lambda L: L.outer(L.ones(2, 1), L.ones(3)), tg.ShapeError),
    (lambda L: L.outer(L.ones(2), L.ones(())), tg.ShapeError),
    (lambda L: L.outer(L.ones(2), [1.0, 2.0]), tg.DTypeError),
    (lambda L: L.mm(L.ones(2, 2), [[1.0], [2.0]]), tg.DTypeError),
], ids=["mm-inner", "mm-1d", "mm-mat2-1d", "mm-dtypes", "bmm-batch", "bmm-inner", "bmm-2d", "bmm-dtypes",
        "outer-2d", "outer-0d", "outer-list", "mm-list"])
def test_bad_mm_bmm_and_outer_operands_are_errors_as_in_torch(call, ours):
    raises_in_both(call, ours, (RuntimeError, TypeError), "mm|outer")


@pytest.mark.parametrize("op, shapes", [("mm", ((2, 3), (3, 4))), ("bmm", ((2, 2, 3), (2, 3, 4)))], ids=repr)
def test_mm_and_bmm_of_bool_tensors_are_refused_as_in_torch(op, shapes):
    raises_in_both(lambda L: getattr(L, op)(*(L.ones(*shape, dtype=L.bool) for shape in shapes)), tg.DTypeError,
                   NotImplementedError, rf"{op}: bool tensors have no matrix product \(torch refuses them too\)")


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float16", "float64"])
def test_randperm_is_a_seeded_permutation_in_torchs_dtypes(dtype):
    tg.manual_seed(2)
    ours, theirs = tg.randperm(200, dtype=getattr(tg, dtype)), torch.randperm(200, dtype=getattr(torch, dtype))
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.") and ours.shape == (200,)
    np.testing.assert_array_equal(np.sort(ours.numpy()), np.arange(200))
    tg.manual_seed(2)
    np.testing.assert_array_equal(tg.randperm(200, dtype=getattr(tg, dtype)).numpy(), ours.numpy())


def test_randperm_takes_a_generator_n_as_a_tensor_and_requires_grad_for_floats_as_torch():
    np.testing.assert_array_equal(tg.randperm(9, generator=4).numpy(),
                                  tg.randperm(9, generator=np.random.default_rng(4)).numpy())
    assert tg.randperm(0).shape == (0,) and tg.randperm(tg.tensor(3)).shape == (3,)
    assert tg.randperm(3, dtype=tg.float32, requires_grad=True).requires_grad
    assert tg.randperm(2049, dtype=tg.float16).shape == (2049,)  # the largest float16 takes exactly


@pytest.mark.parametrize("call, ours, theirs", [
    (lambda L: L.randperm(-1), ValueError, RuntimeError),
    (lambda L: L.randperm(3.0), TypeError, TypeError),
    (lambda L: L.randperm(257, dtype=L.uint8), ValueError, RuntimeError),
    (lambda L: L.randperm(2050, dtype=L.float16), ValueError, RuntimeError),
    (lambda L: L.randperm(3, dtype=L.bool), TypeError, NotImplementedError),
    (lambda L: L.randperm(3, requires_grad=True), tg.DTypeError, RuntimeError),
], ids=["negative", "float", "uint8", "float16", "bool", "requires_grad"])
def test_bad_randperm_arguments_are_errors_as_in_torch(call, ours, theirs):
    raises_in_both(call, ours, theirs)


def test_is_tensor_as_torch():
    for lib in (tg, torch):
        assert lib.is_tensor(lib.ones(1)) and not lib.is_tensor(np.ones(1)) and not lib.is_tensor(3)
    assert not tg.is_tensor(torch.ones(1)) and not torch.is_tensor(tg.ones(1))


# ---- nonzero ----------------------------------------------------------------------------------------------

NONZERO_INPUTS = {
    "0-d": np.array(5.0), "0-d zero": np.array(0.0), "0-d bool": np.array(True), "empty": np.zeros(0),
    "empty 3-d": np.zeros((2, 0, 3)), "specials": np.array([0.0, -0.0, NAN, INF, -INF, 1e-45], np.float32),
    "float16": np.array([[0, 1e-7], [0.5, 0]], np.float16), "bool": np.array([[True, False], [False, True]]),
    "uint8": np.array([[0, 3], [2, 0]], np.uint8), "int64": np.array([-1, 0, 7]),
    "3-d": np.random.default_rng(0).integers(0, 2, (3, 4, 5)).astype(np.float64),
    "transposed": np.random.default_rng(1).integers(0, 2, (4, 3)).T,  # (order is row-major of the view)
}


@pytest.mark.parametrize("values", NONZERO_INPUTS.values(), ids=NONZERO_INPUTS.keys())
def test_nonzero_gives_int64_indices_and_as_tuple_one_tensor_per_dim_as_torch(values):
    ours, theirs = tg.tensor(values), torch.tensor(values)
    same(ours.nonzero(), theirs.nonzero())
    same(tg.nonzero(ours), torch.nonzero(theirs))
    for method in (lambda t, L: t.nonzero(as_tuple=True), lambda t, L: L.nonzero(t, as_tuple=True)):
        a, b = method(ours, tg), method(theirs, torch)
        assert type(a) is tuple and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)


def test_nonzero_of_a_tensor_requiring_grad_is_outside_the_graph_and_as_tuple_is_keyword_only_as_torch():
    for lib in (tg, torch):
        x = lib.tensor([1.0, 0.0, 2.0], requires_grad=True)
        assert not x.nonzero().requires_grad and not x.nonzero(as_tuple=True)[0].requires_grad
        with pytest.raises(TypeError):
            x.nonzero(True)


@pytest.mark.parametrize("values", NONZERO_INPUTS.values(), ids=NONZERO_INPUTS.keys())
def test_where_of_a_condition_alone_is_nonzero_as_tuple_as_torch(values):
    """torch.where(preds != y)[0]: the indices of the wrong predictions, as MNIST notebooks find them."""
    ours, theirs = tg.where(tg.tensor(values)), torch.where(torch.tensor(values))
    assert type(ours) is tuple and len(ours) == len(theirs)
    for x, y in zip(ours, theirs):
        same(x, y)


def test_where_with_a_condition_and_only_one_of_input_and_other_is_refused_as_torch():
    raises_in_both(lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0])), TypeError, TypeError,
                   "where: give both input and other, or neither")


def _lenient_load(model, state):
    """torch code's strict-then-lenient load: a strict load's mismatch is a RuntimeError in torch."""
    try:
        return model.load_state_dict(state)
    except RuntimeError:
        return model.load_state_dict(state, strict=False)


def test_errors_are_of_torchs_types_and_still_of_ours():
    for lib in (tg, torch):
        assert _lenient_load(lib.nn.Linear(2, 2), {"weight": lib.zeros(2, 2)}).missing_keys == ["bias"]
        with pytest.raises(RuntimeError):
            lib.nn.Linear(2, 2).load_state_dict({"weight": lib.zeros(3, 2), "bias": lib.zeros(2)})
        with pytest.raises(RuntimeError):
            lib.nn.Linear(5, 2)(lib.zeros(4, 3))
        with pytest.raises(IndexError):
            lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 5]))
        with pytest.raises(IndexError):
            lib.nn.functional.nll_loss(lib.zeros(2, 3), lib.tensor([0, -2]))
        with pytest.raises(ValueError):
            lib.nn.Linear(2, 2).train(0)
    with pytest.raises(tg.ShapeError, match=r"weight: shape \(3, 2\) in the state_dict, \(2, 2\) in the model"):
        tg.nn.Linear(2, 2).load_state_dict({"weight": tg.zeros(3, 2), "bias": tg.zeros(2)})
    with pytest.raises(DataError, match="class index 5 is out of range for 3 classes"):
        tg.nn.functional.cross_entropy(tg.zeros(2, 3), tg.tensor([0, 5]))


@pytest.mark.parametrize("fn", [
    lambda L: L.zeros(3).__setitem__([0, 1], L.tensor([1.0, 2.0], dtype=L.float64)),
    lambda L: L.tensor([True]) - L.tensor([1]),
    lambda L: L.mm(L.ones(1, 2), L.ones(2, 1, dtype=L.float64)),
    lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.float64)),
    lambda L: L.tensor([1, 2]).exp_(),
], ids=["index_put", "bool_sub", "mm", "isclose", "exp_"])
def test_a_dtype_mismatch_is_caught_as_the_runtime_error_torch_raises(fn):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError):
            fn(lib)
    with pytest.raises(tg.DTypeError):
        fn(tg)


@pytest.mark.parametrize("negate", [lambda t: -t, lambda t: t.neg(), lambda t: t.neg_()], ids=["-", "neg", "neg_"])
def test_negating_a_bool_tensor_is_refused_as_in_torch(negate):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match="[Nn]egation, the `?-`? operator,? (on|of) a bool tensor is not supported"):
            negate(lib.tensor([True, False]))


@pytest.mark.parametrize("shape", [(-2, 3), (3, -3)])
def test_a_negative_size_other_than_minus_1_is_refused_by_reshape_and_view_as_in_torch(shape):
    for method in ("reshape", "view"):
        raises_in_both(lambda L: getattr(L.ones(6), method)(*shape), tg.ShapeError, RuntimeError,
                       f"invalid shape dimension {min(shape)} at index {shape.index(min(shape))}")


def test_allclose_names_itself_in_its_errors():
    with pytest.raises(tg.ShapeError, match=r"^allclose: shapes \(2,\) and \(3,\) do not broadcast"):
        tg.allclose(tg.ones(2), tg.ones(3))
    with pytest.raises(tg.DTypeError, match="^allclose: both tensors need the same dtype"):
        tg.ones(2).allclose(tg.ones(2, dtype=tg.float64))


@pytest.mark.parametrize("fn", [
    lambda L: L.ones(2, 3) @ L.ones(3, 2, dtype=L.float64),
    lambda L: L.matmul(L.ones(2, 3, dtype=L.int64), L.ones(3, 2)),
    lambda L: L.ones(3, dtype=L.float64) @ L.ones(3),
    lambda L: (L.nn.functional if L is tg else torch.nn.functional).linear(L.ones(2, 3, dtype=L.float64), L.ones(4, 3)),
], ids=["float32@float64", "int64@float32", "1-D", "linear"])
def test_a_product_of_two_dtypes_is_refused_as_in_torch_not_silently_widened(fn):
    # (a float64 NumPy batch into a float32 model would otherwise run the whole step in float64)
    raises_in_both(fn, tg.DTypeError, RuntimeError, "same dtype|the input is float64 but the weight float32")
