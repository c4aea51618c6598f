"""Tensor API against torch: // and %, clamp with Tensor bounds, the common methods (all/any, amax/amin,
split/chunk, repeat, cumsum, prod, norm, ...), the axis= alias, and the argument checks torch makes.
Values, dtypes and gradients are compared with torch; float64 gradients also with finite differences."""
import math

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist.errors import ConfigError
from tinygrad_mnist.testing import assert_matches_torch

INF, NAN = math.inf, math.nan


def check(fn, *arrays, torch_fn=None, **tol):
    """assert_matches_torch with the same code for both libraries unless torch_fn is given."""
    assert_matches_torch(fn, torch_fn or fn, *arrays, **tol)


def same(ours, theirs):
    """Equal values (NaN equal to NaN, and the sign of zeros too, not of NaNs), shape and dtype."""
    theirs = theirs.detach()
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch."), (ours.dtype, theirs.dtype)
    a, b = np.asarray(ours.data), theirs.numpy()
    assert a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    if a.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(a) | np.isnan(a), np.signbit(b) | np.isnan(b))


def both(values, dtype):
    """The same values as one of ours and a torch tensor."""
    arr = np.array(values, dtype=dtype)
    return tg.tensor(arr), torch.tensor(arr)


def raises_in_both(fn, ours_type=Exception, torch_type=Exception, match=None):
    """fn(tg) raises ours_type (matching match) and fn(torch) raises torch_type."""
    with pytest.raises(torch_type):
        fn(torch)
    with pytest.raises(ours_type, match=match):
        fn(tg)


def rand(shape, seed=0, low=-3.0, high=3.0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def gradcheck(fn, *arrays):
    assert tg.gradcheck(fn, [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays])


# ---- // and % --------------------------------------------------------------------------------

SPECIAL = [0.0, -0.0, 1.0, -1.0, 2.5, -2.5, 7.0, -7.0, -4.0, 4.0, 0.5, INF, -INF, NAN, 1e-30]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
@pytest.mark.parametrize("op", ["floordiv", "mod"])
def test_float_floor_division_and_remainder_match_torch_bit_for_bit(op, dtype):
    a, b = np.meshgrid(SPECIAL, SPECIAL)
    rng = np.random.default_rng(0)
    a = np.concatenate([a.ravel(), rng.uniform(-10, 10, 3000)]).astype(dtype)
    b = np.concatenate([b.ravel(), rng.uniform(-3, 3, 3000)]).astype(dtype)
    fn = (lambda x, y: x // y) if op == "floordiv" else (lambda x, y: x % y)
    same(fn(tg.tensor(a), tg.tensor(b)), fn(torch.tensor(a), torch.tensor(b)))


DIVISION_CASES = [  # (values, dtype) of a, then of b, or a Python number for b
    (([-7, 7, 0, 5], np.int64), ([2, -2, 3, -5], np.int64)),
    (([-7, 7, 0, 5], np.int32), ([2, -2, 3, -5], np.int64)),
    (([-7, 7, 0, 5], np.int64), ([2, -2, 3, -5], np.int32)),
    (([3, 200, 255], np.uint8), ([2, 7, 255], np.uint8)),
    (([3, 200, 255], np.uint8), -1),
    (([3, 200, 255], np.uint8), 2),
    (([-7, 7], np.int64), 2.5),
    (([-7.5, 7.5], np.float32), ([2, -2], np.int64)),
    (([-7.5, 7.5], np.float32), ([2.0], np.float64)),
    (([-7.5, 7.5], np.float32), (2.0, np.float64)),  # a 0-d float64 does not widen float32
    (([-7.5, 7.5], np.float16), 2.5),
    (([True, False], np.bool_), ([2, -3], np.int64)),
    (([-7, 7], np.int64), True),
]


@pytest.mark.parametrize("form", ["//", "%", "floor_divide", "remainder", "r//", "r%"])
@pytest.mark.parametrize("a, b", DIVISION_CASES, ids=repr)
def test_floor_division_and_remainder_forms_and_dtypes_match_torch(a, b, form):
    ours_a, theirs_a = both(*a)
    ours_b, theirs_b = both(*b) if isinstance(b, tuple) else (b, b)
    fn = {"//": lambda x, y: x // y, "%": lambda x, y: x % y,
          "floor_divide": lambda x, y: x.floor_divide(y), "remainder": lambda x, y: x.remainder(y),
          "r//": lambda x, y: y // x, "r%": lambda x, y: y % x}[form]
    if form.startswith("r"):  # a divides: make it nonzero
        ours_a, theirs_a = both(np.where(a[0], a[0], 3), a[1])
    same(fn(ours_a, ours_b), fn(theirs_a, theirs_b))


def test_integer_division_by_zero_is_an_error_as_in_torch():
    raises_in_both(lambda L: L.tensor([1, 2]) // L.tensor([1, 0]), RuntimeError, RuntimeError, "division by zero")
    raises_in_both(lambda L: L.tensor([1, 2]) % 0, RuntimeError, RuntimeError, "division by zero")
    raises_in_both(lambda L: 3 // L.tensor([0]), RuntimeError, RuntimeError, "division by zero")


def test_floor_division_of_two_bools_is_refused_as_in_torch():
    raises_in_both(lambda L: L.tensor([True]) // L.tensor([True]), tg.DTypeError, NotImplementedError, "bool")
    raises_in_both(lambda L: L.tensor([True]) % L.tensor([True]), tg.DTypeError, NotImplementedError, "bool")


@pytest.mark.parametrize("shapes", [((5,), (5,)), ((3, 4), (4,)), ((3, 1), (1, 4)), ((), (3,)), ((2, 3), ())],
                         ids=repr)
def test_remainder_gradients_match_torch_with_broadcasting(shapes):
    a, b = rand(shapes[0], 1, -10, 10), rand(shapes[1], 2, 0.5, 3) * np.where(rand(shapes[1], 3) > 0, 1, -1)
    check(lambda x, y: x % y, a, b)
    check(lambda x, y: x.remainder(y) * 2, a, b)
    check(lambda x: x % -2.5, a)
    check(lambda x: tg.tensor(7.5, dtype=tg.float64) % x, b, torch_fn=lambda x: torch.tensor(7.5).double() % x)
    gradcheck(lambda x, y: x % y, a, b)


def test_a_number_modulo_a_tensor_has_no_derivative_as_in_torch():
    for L in (tg, torch):
        x = L.tensor([1.5, -2.0], dtype=L.float64, requires_grad=True)
        y = 7.5 % x
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .*remainder is not implemented"):
            y.sum().backward()


def test_floor_division_is_recorded_without_a_derivative_as_in_torch():
    for L in (tg, torch):
        x = L.tensor([-7.5, 7.5], dtype=L.float64, requires_grad=True)
        y = x // 2
        assert y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for .*floor_divide is not implemented"):
            (y.sum() + x.sum()).backward()
        assert x.grad is None


# ---- clamp with Tensor bounds -------------------------------------------------------------------

X = [-2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 1.0, 2.0]
LO = [-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, 2.0]   # ties: x == lo at 1, 3 and 7
HI = [1.0, 1.0, 1.0, 1.0, 0.0, 3.0, 1.0, 1.0]      # x == hi at 3, 5 and 6; lo > hi at 4 and 7


@pytest.mark.parametrize("fn", [
    lambda x, lo, hi: x.clamp(lo, hi),
    lambda x, lo, hi: x.clamp(min=lo, max=hi),
    lambda x, lo, hi: x.clip(lo, hi),
    lambda x, lo, hi: x.clamp(min=lo) * 2 + x.clamp(max=hi),
    lambda x, lo, hi: x.clip(min=lo) + hi,
    lambda x, lo, hi: x.clamp(max=hi) + lo,
], ids=["both", "keywords", "clip", "min_then_max", "clip_min", "max_only"])
def test_clamp_with_tensor_bounds_matches_torch_at_ties_and_crossed_bounds(fn):
    check(fn, np.array(X), np.array(LO), np.array(HI))


@pytest.mark.parametrize("shapes", [((3, 4), (4,), ()), ((3, 4), (3, 1), (1,)), ((2, 3), (), (3,)),
                                    ((3, 1), (4,), ()), ((4,), (3, 4), (1,)), ((), (2, 3), (3,))], ids=repr)
def test_clamp_with_broadcast_tensor_bounds_matches_torch(shapes):
    x, lo, hi = rand(shapes[0], 1), rand(shapes[1], 2, -2, 0), rand(shapes[2], 3, 0, 2)
    gradcheck(lambda x, lo, hi: x.clamp(lo, hi), x, lo, hi)
    if np.broadcast_shapes(*shapes) == shapes[0]:
        check(lambda x, lo, hi: x.clamp(lo, hi), x, lo, hi)
    else:  # torch's backward fails when the bounds broadcast x to a larger shape; its forward works
        same(tg.tensor(x).clamp(tg.tensor(lo), tg.tensor(hi)), torch.tensor(x).clamp(torch.tensor(lo), torch.tensor(hi)))


def test_clamp_with_tensor_bounds_propagates_nan_as_torch():
    x, lo = np.array([1.0, NAN, 3.0]), np.array([NAN, 2.0, 2.0])
    check(lambda x, lo: x.clamp(min=lo), x, lo)
    check(lambda x, hi: x.clamp(max=hi), x, lo)


@pytest.mark.parametrize("x, lo, hi", [
    (([1, 5], np.int64), ([2.0, 2.0], np.float32), None),
    (([1, 5], np.int64), ([2, 2], np.int64), ([3, 3], np.int64)),
    (([1.0, 5.0], np.float32), ([2, 2], np.int64), None),
    (([1.0, 5.0], np.float32), (2.0, np.float64), (3.0, np.float32)),
    (([1.0, 5.0], np.float32), ([2.0], np.float64), None),
    (([1, 5], np.uint8), (2, np.int64), None),
    (([1, 5], np.uint8), ([2], np.int64), None),
    (([1, 5], np.int64), (2.5, np.float32), None),
    (([True, False], np.bool_), ([True, True], np.bool_), None),
    (([1, 200], np.uint8), (2.5, np.float64), ([100.0, 3.0], np.float16)),
], ids=repr)
def test_clamp_with_tensor_bounds_promotes_dtypes_as_torch(x, lo, hi):
    (ox, tx), (olo, tlo) = both(*x), both(*lo)
    ohi, thi = both(*hi) if hi else (None, None)
    same(ox.clamp(olo, ohi), tx.clamp(tlo, thi))


def test_clamp_refuses_a_tensor_with_a_number_or_a_list_as_torch():
    raises_in_both(lambda L: L.tensor([1.0, 5.0]).clamp(L.tensor([2.0]), 3.0), TypeError, TypeError, "both")
    raises_in_both(lambda L: L.tensor([1.0, 5.0]).clamp(min=2, max=L.tensor([3.0])), TypeError, TypeError, "both")
    raises_in_both(lambda L: L.tensor([1.0, 5.0]).clamp(min=[2.0, 2.0]), TypeError, TypeError, "list")


# ---- small methods and operators --------------------------------------------------------------

def test_contiguous_keeps_the_values_and_the_graph():
    check(lambda x: x.T.contiguous() * 2, rand((3, 4)))


@pytest.mark.parametrize("values, dtype", [([-1.5, 0.0, 2.0], np.float32), ([-3, 0, 2], np.int64),
                                           ([-3, 2], np.int32), ([3, 250], np.uint8)], ids=repr)
def test_abs_and_unary_plus_match_torch(values, dtype):
    ours, theirs = both(values, dtype)
    same(abs(ours), abs(theirs))
    same(+ours, +theirs)
    assert +ours is ours


def test_abs_and_unary_plus_gradients_match_torch():
    check(lambda x: abs(x) * +x, np.array([-1.5, 0.0, 2.0]))


@pytest.mark.parametrize("call", [lambda L: L.tensor([True]).abs(), lambda L: L.abs(L.tensor([True, False])),
                                  lambda L: abs(L.tensor(False)), lambda L: L.tensor([True]).abs_()],
                         ids=["abs", "tg.abs", "builtin abs", "abs_"])
def test_abs_of_a_bool_tensor_is_refused_as_in_torch(call):  # torch: "abs_cpu" not implemented for 'Bool'
    raises_in_both(call, tg.DTypeError, NotImplementedError, "^abs of a bool tensor is not supported, as in torch")


def test_unary_plus_of_a_bool_tensor_is_refused_as_in_torch():
    raises_in_both(lambda L: +L.tensor([True]), tg.DTypeError, RuntimeError, "bool")


BOOL_SUBTRACTIONS = {
    "bool - int": lambda L: L.tensor([True, False]) - L.tensor([3, 4]),
    "int - bool": lambda L: L.tensor([3, 4]) - L.tensor([True, False]),
    "bool - bool": lambda L: L.tensor([True]) - L.tensor([False]),
    "int - True": lambda L: L.tensor([3, 4]) - True,
    "True - float": lambda L: True - L.tensor([1.5]),
    "bool - 1": lambda L: L.tensor([True]) - 1,
    "1.5 - bool": lambda L: 1.5 - L.tensor([True]),
    "sub": lambda L: L.tensor([3, 4]).sub(L.tensor([True, False]), alpha=2),
    "sub_": lambda L: L.tensor([3, 4]).sub_(True),
    "-=": lambda L: L.tensor([3.0, 4.0]).__isub__(True),
    "module sub": lambda L: L.sub(L.tensor([3, 4]), True),
}


@pytest.mark.parametrize("subtract", BOOL_SUBTRACTIONS.values(), ids=BOOL_SUBTRACTIONS.keys())
def test_subtraction_with_a_bool_is_refused_as_in_torch(subtract):
    raises_in_both(subtract, tg.DTypeError, RuntimeError, r"Subtraction, the `-` operator, with a bool .* ~")


def test_adding_a_negated_bool_still_works_as_in_torch():
    same(tg.tensor([3, 4]).add(tg.tensor([True, False]), alpha=-1),
         torch.tensor([3, 4]).add(torch.tensor([True, False]), alpha=-1))


@pytest.mark.parametrize("power", [lambda L: L.tensor([True, False]) ** L.tensor([True, True]),
                                   lambda L: L.tensor([True, False]) ** L.tensor(True),
                                   lambda L: True ** L.tensor([True, False]),
                                   lambda L: L.tensor([True]).pow(L.tensor([False]))],
                         ids=["bool ** bool", "bool ** 0-d bool", "True ** bool", "pow"])
def test_a_bool_to_a_bool_tensor_power_is_refused_as_in_torch(power):
    raises_in_both(power, tg.DTypeError, NotImplementedError, "pow")


@pytest.mark.parametrize("exponent", [True, False, 2, 2.5, 0])
def test_a_bool_tensor_to_a_number_power_matches_torch(exponent):
    # a bool exponent keeps the bool dtype: x ** True is x, x ** False is all True
    same(tg.tensor([True, False]) ** exponent, torch.tensor([True, False]) ** exponent)


def test_the_sign_of_a_bool_tensor_is_itself_as_in_torch():
    same(tg.tensor([True, False]).sign(), torch.tensor([True, False]).sign())


@pytest.mark.parametrize("op", [lambda a, b: a & b, lambda a, b: a | b, lambda a, b: a ^ b],
                         ids=["and", "or", "xor"])
@pytest.mark.parametrize("left, right", [
    (True, ([True, False], np.bool_)), (([True, False], np.bool_), False),
    (([True, False], np.bool_), ([True, True], np.bool_)), (3, ([3, 5], np.int64)),
    (([3, 5], np.int64), 6), (True, ([3, 5], np.int64)), (([3, 5], np.uint8), 300),
    (([3, 5], np.int32), ([1, 4], np.int64)), (([True, False], np.bool_), ([3, 5], np.uint8)),
], ids=repr)
def test_bitwise_operators_and_their_reflections_match_torch(op, left, right):
    ol, tl = both(*left) if isinstance(left, tuple) else (left, left)
    orr, tr = both(*right) if isinstance(right, tuple) else (right, right)
    same(op(ol, orr), op(tl, tr))


def test_xor_of_floats_is_refused_as_in_torch():
    raises_in_both(lambda L: L.tensor([1.0]) ^ L.tensor([1.0]), tg.DTypeError, NotImplementedError, "bitwise_xor")
    raises_in_both(lambda L: 1.5 ^ L.tensor([1, 2]), tg.DTypeError, NotImplementedError, "bitwise_xor")


ALL_ANY_INPUTS = [([[1.0, 0.0], [2.0, NAN]], np.float32), ([[True, False], [True, True]], np.bool_),
                  ([[1, 0], [2, 3]], np.uint8), ([[1, 0], [2, 3]], np.int64), (1.0, np.float64),
                  (np.zeros((0, 2)), np.float32)]


@pytest.mark.parametrize("kw", [{}, dict(dim=1), dict(dim=0, keepdim=True), dict(dim=(0, 1)), dict(dim=-1),
                                dict(dim=()), dict(axis=1), dict(axis=(0,), keepdim=True)], ids=repr)
@pytest.mark.parametrize("values, dtype", ALL_ANY_INPUTS, ids=lambda v: getattr(v, "__name__", None))
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_and_any_match_torch(name, values, dtype, kw):
    ours, theirs = both(values, dtype)
    if ours.ndim < 2 and kw:
        kw = {k: v for k, v in kw.items() if k == "keepdim"} | ({"dim": 0} if "dim" in kw or "axis" in kw else {})
    same(getattr(ours, name)(**kw), getattr(theirs, name)(**kw))


def test_all_and_any_are_outside_the_graph_as_in_torch():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    assert not x.all().requires_grad and not x.any(0).requires_grad


AMAX_DIMS = [dict(), dict(dim=1), dict(dim=(0, 2)), dict(dim=(0, 1, 2), keepdim=True), dict(dim=-1, keepdim=True),
             dict(dim=()), dict(axis=(1, 2))]


@pytest.mark.parametrize("kw", AMAX_DIMS, ids=repr)
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_match_torch_and_split_the_gradient_among_ties(name, kw):
    x = np.random.default_rng(0).integers(-2, 3, (3, 4, 2)).astype(np.float64)  # many ties
    check(lambda t: getattr(t, name)(**kw), x)
    check(lambda t: getattr(t, name)(**kw), rand((3, 4, 2)))
    gradcheck(lambda t: getattr(t, name)(**kw), rand((3, 4, 2)))


def test_amax_of_a_nan_slice_gives_nan_gradients_as_torch():
    check(lambda t: t.amax(1), np.array([[3.0, NAN, 1.0], [2.0, 5.0, 5.0]]))
    check(lambda t: t.amin(), np.array([[3.0, NAN, NAN], [2.0, 5.0, 5.0]]))


@pytest.mark.parametrize("values, dtype", [([[1, 3], [3, 2]], np.int64), ([True, False], np.bool_),
                                           ([[1, 3], [3, 2]], np.uint8), ([1.5, -2.0], np.float16)], ids=repr)
def test_amax_amin_dtypes_match_torch(values, dtype):
    ours, theirs = both(values, dtype)
    same(ours.amax(), theirs.amax())
    same(ours.amin(0), theirs.amin(0))


SPLITS = [(2, 0), ([1, 4], 0), ((2, 3), 0), (1, 1), (7, 0), ([5, 0], 0), (2, -2), ([1, 1], 1)]


@pytest.mark.parametrize("module_level", [False, True])
@pytest.mark.parametrize("size, dim", SPLITS, ids=repr)
def test_split_matches_torch_with_gradients_through_every_piece(size, dim, module_level):
    def pieces(L, x):
        return L.split(x, size, dim) if module_level else x.split(size, dim)

    def weighted(L):
        return lambda x: L.cat([p * (i + 1) for i, p in enumerate(pieces(L, x))], dim)

    x = rand((5, 2))
    for ours, theirs in zip(pieces(tg, tg.tensor(x)), pieces(torch, torch.tensor(x))):
        same(ours, theirs)
    check(weighted(tg), x, torch_fn=weighted(torch))


@pytest.mark.parametrize("module_level", [False, True])
@pytest.mark.parametrize("shape, chunks, dim", [((5, 2), 2, 0), ((5, 2), 3, 0), ((5, 2), 4, 0), ((6,), 4, 0),
                                               ((5, 2), 10, 0), ((5, 2), 2, 1), ((0,), 3, 0), ((5, 2), 1, -1)],
                         ids=repr)
def test_chunk_matches_torch_with_gradients(shape, chunks, dim, module_level):
    def pieces(L, x):
        return L.chunk(x, chunks, dim) if module_level else x.chunk(chunks, dim)

    def weighted(L):
        return lambda x: L.cat([p * (i + 1) for i, p in enumerate(pieces(L, x))], dim)

    x = rand(shape)
    ours, theirs = pieces(tg, tg.tensor(x)), pieces(torch, torch.tensor(x))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        same(o, t)
    check(weighted(tg), x, torch_fn=weighted(torch))


def test_split_and_chunk_pieces_are_views():
    x = tg.tensor(np.arange(6.0))
    assert all(np.shares_memory(p.data, x.data) for p in x.split(2) + x.chunk(3))


@pytest.mark.parametrize("call, ours, theirs, match", [
    (lambda L: L.ones(5, 2).split([1, 1]), tg.ShapeError, RuntimeError, r"sum exactly to 5 .*\[1, 1\]"),
    (lambda L: L.ones(5, 2).split(0), ValueError, RuntimeError, "split_size can only be 0"),
    (lambda L: L.ones(5, 2).split(-1), ValueError, RuntimeError, "non-negative"),
    (lambda L: L.ones(5, 2).split(2.0), TypeError, TypeError, "tuple of ints"),
    (lambda L: L.tensor(1.0).split(1), tg.ShapeError, RuntimeError, "at least a 1-dimensional"),
    (lambda L: L.ones(5).chunk(0), ValueError, RuntimeError, "greater than 0"),
    (lambda L: L.ones(5).chunk(2.0), TypeError, TypeError, "must be an int"),
    (lambda L: L.tensor(1.0).chunk(1), tg.ShapeError, RuntimeError, "at least a 1-dimensional"),
    (lambda L: L.ones(5).split(2, 1), IndexError, IndexError, "out of range"),
], ids=["sizes_do_not_sum", "zero_size", "negative", "float", "0d", "zero_chunks", "float_chunks", "0d_chunk",
        "dim_out_of_range"])
def test_bad_split_and_chunk_arguments_are_errors_as_in_torch(call, ours, theirs, match):
    raises_in_both(call, ours, theirs, match)


@pytest.mark.parametrize("shape, sizes", [((2,), (3,)), ((1, 2), (2, 3)), ((2, 3), (2, 1, 3)), ((), (3,)),
                                          ((2, 3), ((2, 2),)), ((2, 3), (0, 2)), ((3,), (1,))], ids=repr)
def test_repeat_matches_torch_with_gradients(shape, sizes):
    check(lambda t: t.repeat(*sizes), rand(shape))
    gradcheck(lambda t: t.repeat(*sizes), rand(shape))


@pytest.mark.parametrize("shape, sizes", [((2, 2), (1, 1)), ((1, 2), (3, 1)), ((2,), (3, 1)), ((1,), (4,))], ids=repr)
def test_repeat_always_copies_as_torch(shape, sizes):
    for lib in (tg, torch):  # writable (a size-1 dim repeated was a read-only view), and not x's memory
        x = lib.ones(*shape)
        tiled = x.repeat(*sizes)
        tiled[0] = 5.0
        tiled += 1
        expected = np.full(tiled.shape, 2.0)
        expected[0] = 6.0
        assert x.tolist() == np.ones(shape).tolist() and tiled.tolist() == expected.tolist()


@pytest.mark.parametrize("sizes, ours, theirs, match", [
    ((2,), tg.ShapeError, RuntimeError, "can not be smaller"), ((-1, 2), tg.ShapeError, RuntimeError, "non-negative"),
    ((2.0, 1), TypeError, TypeError, "ints"), ((True, 1), TypeError, TypeError, "ints"),
    ((), TypeError, TypeError, "missing"),
], ids=repr)
def test_bad_repeat_sizes_are_errors_as_in_torch(sizes, ours, theirs, match):
    raises_in_both(lambda L: L.ones(2, 3).repeat(*sizes), ours, theirs, match)


@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((), 0), ((0, 3), 0)],
                         ids=repr)
def test_cumsum_matches_torch_with_gradients(shape, dim):
    check(lambda t: t.cumsum(dim), rand(shape))
    check(lambda t: t.cumsum(axis=dim), rand(shape))
    gradcheck(lambda t: t.cumsum(dim) ** 2, rand(shape))


def test_second_derivative_through_cumsum_matches_torch():
    def second(L):
        def fn(x):
            g, = L.autograd.grad((x.cumsum(0) ** 3).sum(), x, create_graph=True) if L is torch else \
                tg.grad((x.cumsum(0) ** 3).sum(), x, create_graph=True)
            return g * x
        return fn
    check(second(tg), rand((4,)), torch_fn=second(torch))


@pytest.mark.parametrize("values, dtype", [([1, 2], np.int64), ([1, 2], np.int32), ([200, 100], np.uint8),
                                           ([True, True], np.bool_), ([0.5, 1.25], np.float32),
                                           (np.linspace(0.5, 2, 300), np.float16)], ids=repr)
def test_cumsum_dtypes_match_torch(values, dtype):
    ours, theirs = both(values, dtype)
    same(ours.cumsum(0), theirs.cumsum(0))


PROD_INPUTS = {
    "no_zero": np.array([[2.0, -1.5, 3.0], [1.0, 2.0, 0.5]]),
    "one_zero": np.array([[2.0, 0.0, 3.0], [1.0, 2.0, 0.5]]),
    "two_zeros_in_a_row": np.array([[0.0, 0.0, 3.0], [1.0, 2.0, 0.5]]),
    "zeros_everywhere": np.array([[0.0, 2.0, 0.0], [0.0, -2.0, 0.5]]),
}


@pytest.mark.parametrize("kw", [{}, dict(dim=1), dict(dim=0, keepdim=True), dict(dim=-1), dict(axis=1)], ids=repr)
@pytest.mark.parametrize("name", PROD_INPUTS)
def test_prod_matches_torch_with_zeros_in_the_input(name, kw):
    check(lambda t: t.prod(**kw), PROD_INPUTS[name])
    gradcheck(lambda t: t.prod(**kw), PROD_INPUTS[name])


@pytest.mark.parametrize("name", ["no_zero", "one_zero"])
def test_second_derivative_through_prod_matches_torch(name):
    def second(L):
        def fn(x):
            g, = L.autograd.grad(x.prod(1).sum(), x, create_graph=True) if L is torch else \
                tg.grad(x.prod(1).sum(), x, create_graph=True)
            return g * x.detach()
        return fn
    check(second(tg), PROD_INPUTS[name], torch_fn=second(torch))


def test_prod_of_0d_and_empty_tensors_matches_torch():
    check(lambda t: t.prod(), np.array(3.0))
    check(lambda t: t.prod(0), np.array(3.0))
    check(lambda t: t.prod(), np.zeros(0))


@pytest.mark.parametrize("values, dtype", [([1, 2], np.int64), ([1, 2], np.int32), ([20, 20], np.uint8),
                                           ([True, True], np.bool_), ([1.5, 2.0], np.float32)], ids=repr)
def test_prod_dtypes_match_torch(values, dtype):
    ours, theirs = both(values, dtype)
    same(ours.prod(), theirs.prod())
    same(ours.prod(0), theirs.prod(0))


def test_prod_over_several_dims_is_a_type_error_as_in_torch():
    raises_in_both(lambda L: L.ones(2, 3).prod(dim=(0, 1)), TypeError, TypeError)


NORM_INPUT = np.array([[3.0, 0.0, -4.0], [0.0, 0.0, 0.0], [-2.0, 2.0, 1.0]])


@pytest.mark.parametrize("dims", [dict(), dict(dim=1), dict(dim=0, keepdim=True), dict(dim=(0, 1)), dict(dim=())],
                         ids=repr)
@pytest.mark.parametrize("p", [2, "fro", 1, INF, -INF, 3, 1.5, 2.0, 0.5, 0.3, -1], ids=repr)
def test_norm_matches_torch_with_zero_rows(p, dims):
    check(lambda t: t.norm(p, **dims), NORM_INPUT)
    check(lambda t: t.norm(p=p, **dims), np.zeros((2, 3)))


@pytest.mark.parametrize("dims", [dict(), dict(dim=1), dict(dim=0, keepdim=True)], ids=repr)
def test_norm_0_counts_nonzeros_with_no_gradient_as_torch(dims):
    ours, theirs = tg.tensor(NORM_INPUT, requires_grad=True), torch.tensor(NORM_INPUT, requires_grad=True)
    out, expected = ours.norm(0, **dims), theirs.norm(0, **dims)
    same(out, expected)
    assert out.requires_grad and expected.requires_grad
    out.sum().backward()
    expected.sum().backward()
    assert theirs.grad is None and not ours.grad.data.any()  # torch's undefined gradient is a zero one


@pytest.mark.parametrize("p", [2, 1, INF, 3])
def test_norm_gradcheck(p):
    gradcheck(lambda t: t.norm(p, dim=1), rand((3, 4)))
    gradcheck(lambda t: t.norm(p), rand((3, 4)))


def test_norm_default_and_float16_match_torch():
    check(lambda t: t.norm(), NORM_INPUT)
    x = np.random.default_rng(0).uniform(-300, 300, 3000).astype(np.float16)
    same(tg.tensor(x).norm(), torch.tensor(x).norm())


def test_norm_of_an_integer_tensor_and_an_unknown_p_are_errors_as_in_torch():
    raises_in_both(lambda L: L.tensor([1, 2]).norm(), TypeError, RuntimeError)
    raises_in_both(lambda L: L.ones(2, 2).norm("abc"), ValueError, RuntimeError, "abc")


# ---- axis= -------------------------------------------------------------------------------------

AXIS_METHODS = ["sum", "mean", "var", "std", "amax", "amin", "argmax", "argmin", "all", "any", "prod", "cumsum",
                "logsumexp"]


@pytest.mark.parametrize("name", AXIS_METHODS + ["max", "min"])
def test_axis_is_another_name_for_dim_as_in_torch(name):
    x = rand((3, 4))
    ours, theirs = getattr(tg.tensor(x), name)(axis=1), getattr(torch.tensor(x), name)(axis=1)
    if name in ("max", "min"):
        same(ours.values, theirs.values)
        same(ours.indices, theirs.indices)
    else:
        np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-12)
        assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    raises_in_both(lambda L: getattr(L.tensor(x), name)(1, axis=1), TypeError, TypeError)
    raises_in_both(lambda L: getattr(L.tensor(x), name)(dim=1, axis=1), TypeError, TypeError)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "amax", "prod"])
def test_reductions_with_axis_and_keepdim_carry_the_gradient_like_torch(name):
    check(lambda t: getattr(t, name)(axis=0, keepdim=True), rand((3, 4)))


# ---- argument checks ---------------------------------------------------------------------------

def test_expand_refuses_minus_one_in_a_new_leading_dim_as_torch():
    raises_in_both(lambda L: L.ones(4).expand(-1, 4), tg.ShapeError, RuntimeError, "-1.*leading, non-existing")
    raises_in_both(lambda L: L.ones(1, 4).expand(2, -1, -1, 4), tg.ShapeError, RuntimeError, "leading")
    same(tg.ones(4).expand(2, -1), torch.ones(4).expand(2, -1))


@pytest.mark.parametrize("call", [
    lambda L: L.zeros(2.5), lambda L: L.ones(2, 3.7), lambda L: L.rand((2, 3.0)), lambda L: L.randn(2.0),
    lambda L: L.zeros([2.0, 3]), lambda L: L.zeros(True), lambda L: L.ones(False), lambda L: L.full((2.0,), 1.0),
    lambda L: L.full((True,), 1.0), lambda L: L.ones(4).reshape((2, 2.0)), lambda L: L.ones(4).view((2.0, 2)),
    lambda L: L.ones(4).expand((2.0, 4)), lambda L: L.ones(2, 3).repeat(2.0), lambda L: L.zeros(np.float64(2)),
], ids=["zeros", "ones", "rand", "randn", "list", "bool", "bool_ones", "full", "full_bool", "reshape", "view",
        "expand", "repeat", "numpy_float"])
def test_float_and_bool_sizes_are_a_type_error_as_in_torch(call):
    raises_in_both(call, TypeError, TypeError, "must be a tuple of ints")


def test_integer_sizes_of_other_types_are_accepted_as_in_torch():
    for L in (tg, torch):
        assert tuple(L.zeros(np.int64(2), 3).shape) == (2, 3)
        assert tuple(L.ones(4).view(np.int32(2), 2).shape) == (2, 2)
        assert tuple(L.ones(L.tensor(3)).shape) == (3,)


def test_flatten_with_start_after_end_gives_torchs_error():
    raises_in_both(lambda L: L.ones(2, 3, 4).flatten(2, 0), tg.ShapeError, RuntimeError,
                   "flatten\\(\\) has invalid args: start_dim cannot come after end_dim")
    raises_in_both(lambda L: L.ones(2, 3, 4).flatten(-1, 0), tg.ShapeError, RuntimeError, "start_dim cannot")
    same(tg.ones(2, 3, 4).flatten(1, 1), torch.ones(2, 3, 4).flatten(1, 1))


@pytest.mark.parametrize("data", ["abc", [1, "a"], b"abc", None], ids=repr)
def test_tensor_of_strings_or_none_is_a_clear_error(data):
    raises_in_both(lambda L: L.tensor(data), TypeError, (TypeError, RuntimeError), "data must be numbers")


def test_to_takes_torchs_device_and_tensor_forms():
    x = tg.ones(2)
    for lib, t in ((tg, x), (torch, torch.ones(2))):
        assert t.to("cpu") is t and t.cpu() is t and str(t.device) == "cpu"
        assert str(t.to("cpu", lib.float64).dtype).endswith("float64")
        assert str(t.to(lib.zeros(1, dtype=lib.int64)).dtype).endswith("int64")
        assert str(t.to(t.device, dtype=lib.float64).dtype).endswith("float64")
        copied = t.to("cpu", copy=True)
        assert copied is not t and copied.tolist() == t.tolist()
        # torch's positional flags: to(dtype, non_blocking, copy), to(device, dtype, non_blocking, copy)
        assert t.to(lib.float32, False, True) is not t and t.to(t, False, False) is t
        assert str(t.to("cpu", lib.float64, False, True).dtype).endswith("float64")
    w = tg.ones(2, requires_grad=True)
    w.to("cpu", tg.float64).sum().backward()  # the cast is in the graph
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="the only device is 'cpu', got 'cuda'"):
        x.to("cuda")
    for bad in [(tg.float64, tg.float32), (tg.float64, 1), (tg.float64, False, False, False)]:
        with pytest.raises(TypeError, match="expected to"):
            x.to(*bad)
    with pytest.raises(TypeError, match="expected to"):
        x.to(tg.float64, dtype=tg.float32)


def test_the_repr_of_an_empty_tensor_gives_its_shape_as_torch():
    for shape, kwargs in [((0, 3), {}), ((0,), {}), ((2, 0), {"dtype": np.float64})]:
        theirs = repr(torch.zeros(*shape, **{k: getattr(torch, str(np.dtype(v))) for k, v in kwargs.items()}))
        assert repr(tg.zeros(*shape, **kwargs)) == theirs.replace("tensor", "Tensor").replace("torch.", "")


def test_tensor_with_a_shape_for_requires_grad_says_what_to_use():
    with pytest.raises(TypeError, match=r"requires_grad must be True or False, got 3; .* tg.zeros\(\*shape\)"):
        tg.Tensor(2, 3)
    assert tg.Tensor([1.0], np.bool_(True)).requires_grad


def test_to_takes_a_torch_device_and_linear_says_where_its_dtype_goes():
    assert tg.ones(2).to(torch.device("cpu")).shape == (2,)
    assert isinstance(tg.nn.Linear(2, 2).to(torch.device("cpu")), tg.nn.Linear)
    with pytest.raises(ValueError, match="only device is 'cpu', got device\\(type='cuda'\\)"):
        tg.ones(2).to(torch.device("cuda"))
    with pytest.raises(ValueError, match="device comes before dtype: pass dtype="):
        tg.nn.Linear(3, 2, True, np.float64)  # torch's order is (bias, device, dtype)


@pytest.mark.parametrize("call", [
    lambda t: t.cuda(), lambda t: t.cuda(0), lambda t: t.cuda("cuda:1"), lambda t: t.cuda(non_blocking=True),
], ids=["cuda()", "cuda(0)", "cuda('cuda:1')", "cuda(non_blocking)"])
def test_cuda_is_refused_as_by_a_torch_without_cuda_saying_the_cpu_is_the_only_device(call):
    assert tg.ones(2).is_cuda is torch.ones(2).is_cuda is False
    with pytest.raises((AssertionError, RuntimeError)):  # "Torch not compiled with CUDA enabled"
        call(torch.ones(2))
    with pytest.raises(ConfigError, match="^cuda: the only device is 'cpu', got 'cuda'$"):
        call(tg.ones(2))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_of_an_empty_tensor_ask_for_a_dim_as_torch(name):
    for lib in (tg, torch):
        with pytest.raises(RuntimeError, match=rf"{name}\(\): Expected reduction dim to be specified"):
            getattr(lib.zeros(0), name)()
