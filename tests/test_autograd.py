"""Engine semantics against PyTorch: shared sub-graphs, accumulation, retain_graph and freed graphs,
implicit gradients, grad mode, dtype rules, deep graphs, memory release, tg.grad, errors, repr."""
import weakref

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist import optim
from tinygrad_mnist.autograd import Function
from tinygrad_mnist.testing import assert_matches_torch


def arr(*shape, seed=0, positive=False):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2, shape) if positive else rng.uniform(-2, 2, shape)


def dtype_name(t) -> str:
    """'float32', 'int64', 'bool', ... for a Tensor or a torch tensor."""
    return str(t.dtype).removeprefix("torch.") if isinstance(t, torch.Tensor) else t.dtype.name


# ---- shared sub-graphs and re-used nodes ------------------------------------------------------

def _reuse_then_square(a):
    b = a + a
    return b * b


def _reuse_then_double(a):
    b = a + a
    return b + b


def _three_branches(a):
    return a.exp() + a * a + a.tanh()


def _intermediate_in_three_branches(a):
    h = a * 2 - 1
    return h.exp() * h + h.sum() - h.tanh()


def _diamond(a):
    h = a.exp()
    return h.log() * h + h.sqrt()


def _parameter_used_twice(x, w):
    return (x @ w).tanh() @ w


def _node_reused_at_every_level(a):
    # 40 levels, each using the previous node twice: 2**40 paths, so only an engine that visits
    # each node once (topological order, accumulated gradients) finishes.
    for _ in range(40):
        a = (a + a.tanh()) * 0.5
    return a


@pytest.mark.parametrize("fn", [_reuse_then_square, _reuse_then_double, _three_branches,
                                _intermediate_in_three_branches, _diamond, _node_reused_at_every_level])
def test_shared_subgraphs_match_torch(fn):
    assert_matches_torch(fn, fn, arr(3, 4))


def test_parameter_used_twice_in_one_forward_matches_torch():
    assert_matches_torch(_parameter_used_twice, _parameter_used_twice, arr(2, 3), arr(3, 3, seed=1))


def test_b_equals_a_plus_a_gradient_by_hand():
    a = tg.tensor([1.0, -2.0], requires_grad=True)
    c = _reuse_then_square(a)           # c = 4 a^2
    c.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [8.0, -16.0])


def test_input_not_requiring_grad_gets_no_gradient():
    a = tg.tensor(arr(3), requires_grad=True)
    k = tg.tensor(arr(3, seed=1))
    (a * k).sum().backward()
    assert k.grad is None
    np.testing.assert_array_equal(a.grad.numpy(), k.numpy())


def test_only_leaves_get_grad():
    a = tg.tensor(arr(3), requires_grad=True)
    h = a.exp()
    h.sum().backward()
    assert a.is_leaf and not h.is_leaf
    assert h.grad is None


class MulWithoutGradForB(Function):
    """a * b whose backward gives b no gradient (None), like a custom op that stops it."""
    save_inputs = True

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        return g * self.inputs[1], None


def test_a_sub_graph_that_receives_no_gradient_is_skipped_and_freed():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w = tg.tensor(np.array([3.0, 4.0]), requires_grad=True)
    h = x.exp()
    saved = weakref.ref(h.data)
    out = MulWithoutGradForB.apply(w, h).sum()
    del h
    out.backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-15)
    assert saved() is None
    h = x.exp()  # a second path into the same node still delivers its gradient
    (MulWithoutGradForB.apply(w, h) + h * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-15)


class ReturnsGradients(Function):
    """a * b whose backward returns as many gradients as asked (for the count check)."""
    count = 2

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        return (g,) * type(self).count


@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("create_graph", [False, True])
def test_a_backward_returning_the_wrong_number_of_gradients_is_named(count, create_graph):
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([3.0, 4.0], requires_grad=True)
    op = type("ReturnsGradients", (ReturnsGradients,), {"count": count})
    out = op.apply(a, b).sum()
    with pytest.raises(RuntimeError, match=f"ReturnsGradients.backward returned {count} gradients for 2 inputs"):
        out.backward(create_graph=create_graph)
    assert a.grad is None and b.grad is None


class RecordingSquare(Function):
    """a * a that records the types its backward saw (g, self.inputs[0])."""
    save_inputs = True
    seen: list = []

    def forward(self, a):
        return a * a

    def backward(self, g):
        RecordingSquare.seen.append((type(g), type(self.inputs[0])))
        return g * self.inputs[0] * 2


class RecordingSquareOnArrays(RecordingSquare):
    array_backward = True


@pytest.mark.parametrize("op, plain_types", [(RecordingSquare, (tg.Tensor, tg.Tensor)),
                                             (RecordingSquareOnArrays, (np.ndarray, np.ndarray))])
def test_backward_sees_arrays_only_when_the_op_allows_and_no_graph_is_recorded(op, plain_types):
    x = tg.tensor(np.array([1.0, -2.0]), requires_grad=True)
    RecordingSquare.seen = []
    op.apply(x).sum().backward()
    (gx,) = tg.grad(op.apply(x).sum(), x, create_graph=True)
    assert RecordingSquare.seen == [plain_types, (tg.Tensor, tg.Tensor)]
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, -4.0])
    np.testing.assert_array_equal(gx.detach().numpy(), [2.0, -4.0])
    (ggx,) = tg.grad(gx.sum(), x)  # the Tensor-mode gradient is itself differentiable
    np.testing.assert_array_equal(ggx.numpy(), [2.0, 2.0])
    assert isinstance(op.apply(x)._ctx.inputs[0], np.ndarray), "nodes keep arrays between backwards"


def test_backward_on_a_leaf_gives_the_seed_like_torch():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    x.backward(tg.tensor(np.array([0.5, -1.0])))
    np.testing.assert_array_equal(x.grad.numpy(), [0.5, -1.0])
    s = tg.tensor(2.0, requires_grad=True)
    s.backward()
    assert s.grad.item() == 1.0 and s.grad.dtype == tg.float32


NO_OP_VIEWS = [("reshape", lambda t: t.reshape(2, 3)), ("view", lambda t: t.view(2, 3)),
               ("squeeze", lambda t: t.squeeze()), ("expand", lambda t: t.expand(2, -1)),
               ("flatten", lambda t: t.flatten(1))]


@pytest.mark.parametrize("name, view", NO_OP_VIEWS, ids=[v[0] for v in NO_OP_VIEWS])
def test_a_view_that_changes_nothing_is_a_new_tensor_in_the_graph(name, view):
    # As torch for all but flatten, which torch documents may return its input itself.
    x = tg.ones(2, 3, requires_grad=True)
    y = view(x)
    assert y is not x and not y.is_leaf and y.grad_fn is not None
    if name != "flatten":
        tx = torch.ones(2, 3, requires_grad=True)
        assert view(tx) is not tx and not view(tx).is_leaf
    (y * 2).sum().backward()
    assert y.grad is None and x.grad.tolist() == [[2.0] * 3] * 2
    with pytest.raises(RuntimeError, match="only leaves"):
        y.requires_grad_(False)
    assert x.requires_grad
    with tg.no_grad():
        z = view(x)
    z.fill_(5.0)  # a view shares memory, as in torch
    assert z is not x and x.data[0, 0] == 5.0


# ---- accumulation, retain_graph, freed graphs -------------------------------------------------

def test_leaf_gradients_accumulate_across_backward_calls_like_torch():
    x = tg.tensor(arr(3, 2), requires_grad=True)
    t = torch.tensor(arr(3, 2), requires_grad=True)
    for lib_x in (x, t):
        (lib_x * lib_x).sum().backward()
        lib_x.exp().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    x.grad = None
    x.exp().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp(arr(3, 2)), rtol=1e-12)


def test_retain_graph_allows_a_second_backward_then_the_graph_is_freed():
    x = tg.tensor(arr(4), requires_grad=True)
    t = torch.tensor(arr(4), requires_grad=True)
    y, ty = (x.exp() * x).sum(), (t.exp() * t).sum()
    y.backward(retain_graph=True)
    y.backward()
    ty.backward(retain_graph=True)
    ty.backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()
    with pytest.raises(RuntimeError):  # torch refuses as well
        ty.backward()


def test_second_backward_through_a_freed_graph_is_a_clear_error():
    x = tg.tensor(arr(4), requires_grad=True)
    y = (x.exp() * 3).sum()
    y.backward()
    first = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), first)  # the failed call added nothing
    z = (x.exp() * 3).sum()
    tg.grad(z, x)  # retain_graph defaults to False here too
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        tg.grad(z, x)


def test_gradients_do_not_share_memory_between_leaves_or_with_the_caller():
    a = tg.tensor(arr(2, 3), requires_grad=True)
    b = tg.tensor(arr(6, seed=1), requires_grad=True)
    upstream = np.ones((2, 3))
    (a + b.reshape(2, 3)).backward(tg.tensor(upstream))
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.zero_()  # an in-place change to one .grad leaves the others alone
    upstream[...] = 5
    np.testing.assert_array_equal(b.grad.numpy(), np.ones(6))
    c = tg.tensor(arr(3), requires_grad=True)
    d = tg.tensor(arr(3), requires_grad=True)
    (c + d).sum().backward()
    assert not np.shares_memory(c.grad.numpy(), d.grad.numpy())
    e = tg.tensor(arr(3), requires_grad=True)
    f = tg.tensor(arr(3), requires_grad=True)
    (e + f).backward(tg.tensor(np.ones(3)))  # Add hands the one seed array to both leaves
    assert not np.shares_memory(e.grad.numpy(), f.grad.numpy())


# ---- implicit gradient ------------------------------------------------------------------------

def test_implicit_gradient_only_for_one_element_outputs():
    x = tg.tensor(arr(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="only for one-element outputs.*\\(3,\\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError):
        (torch.tensor(arr(3), requires_grad=True) * 2).backward()  # torch agrees
    (x * 2).reshape(3, 1)[1:2].backward()  # shape (1, 1): one element is fine
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 2.0, 0.0])
    x.grad = None
    (x * 2).backward(tg.tensor([1.0, 0.0, -1.0], dtype=tg.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 0.0, -2.0])


def test_gradient_of_the_wrong_shape_is_refused():
    x = tg.tensor(arr(3), requires_grad=True)
    with pytest.raises(tg.ShapeError, match=r"gradient has shape \(2,\) but the output has shape \(3,\)"):
        (x * 2).backward(tg.ones(2))


def test_backward_on_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.tensor([1.0, 2.0]).sum().backward()


# ---- grad mode --------------------------------------------------------------------------------

def test_no_grad_records_nothing_like_torch():
    x = tg.tensor(arr(3), requires_grad=True)
    t = torch.tensor(arr(3), requires_grad=True)
    with tg.no_grad():
        assert not tg.is_grad_enabled()
        y = (x * 2).exp().sum()
    with torch.no_grad():
        ty = (t * 2).exp().sum()
    assert tg.is_grad_enabled()
    assert y.requires_grad is ty.requires_grad is False
    assert y.grad_fn is None and ty.grad_fn is None
    z = (x * 3).sum() + y  # a constant: only the recorded branch gives gradient
    z.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(3, 3.0))


def test_no_grad_and_enable_grad_as_decorators():
    x = tg.tensor(arr(3), requires_grad=True)

    @tg.no_grad()
    def frozen(v):
        return v * 2

    @tg.enable_grad()
    def recorded(v):
        return v * 2

    assert frozen(x).grad_fn is None and not frozen(x).requires_grad
    assert frozen.__name__ == "frozen"
    with tg.no_grad():
        assert recorded(x).grad_fn is not None
        assert not tg.is_grad_enabled()  # the decorator restored the mode
        with tg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_grad_mode_is_restored_after_an_exception_and_when_nested():
    with pytest.raises(ValueError):
        with tg.no_grad():
            raise ValueError("boom")
    assert tg.is_grad_enabled()
    with tg.no_grad():
        with tg.no_grad():
            pass
        assert not tg.is_grad_enabled()
        with tg.set_grad_enabled(True):
            assert tg.is_grad_enabled()
    with tg.set_grad_enabled(False):
        assert not tg.is_grad_enabled()
    assert tg.is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call_sets_the_mode_like_torch():
    results = []
    for lib in (tg, torch):
        try:
            lib.set_grad_enabled(False)
            results.append(((lib.ones(2, requires_grad=True) * 2).requires_grad, lib.is_grad_enabled()))
        finally:
            lib.set_grad_enabled(True)
        assert lib.is_grad_enabled()
    assert results[0] == results[1] == (False, False)


def test_set_grad_enabled_as_a_block_and_a_decorator_restores_the_mode_like_torch():
    for lib in (tg, torch):
        with lib.no_grad():
            with lib.set_grad_enabled(True):
                assert lib.is_grad_enabled()
            assert not lib.is_grad_enabled()

        @lib.set_grad_enabled(False)
        def frozen(v):
            return v * 2

        assert lib.is_grad_enabled()  # decorating does not change the mode outside
        assert not frozen(lib.ones(2, requires_grad=True)).requires_grad
        assert lib.is_grad_enabled()


def test_bare_no_grad_and_enable_grad_decorators_like_torch():
    for lib in (tg, torch):
        @lib.no_grad
        def frozen(v):
            return v * 2

        @lib.enable_grad
        def recorded(v):
            return v * 2

        x = lib.ones(2, requires_grad=True)
        assert not frozen(x).requires_grad and frozen.__name__ == "frozen"
        with lib.no_grad():
            assert recorded(x).requires_grad
            assert not lib.is_grad_enabled()
        assert lib.is_grad_enabled()


def test_no_input_requiring_grad_records_nothing():
    y = tg.tensor(arr(3)).exp() * 2
    assert not y.requires_grad and y.grad_fn is None


# ---- dtypes -----------------------------------------------------------------------------------

def test_default_dtypes_match_torch():
    pairs = [
        (tg.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])), (tg.tensor(1.5), torch.tensor(1.5)),
        (tg.tensor([1, 2]), torch.tensor([1, 2])), (tg.tensor([True]), torch.tensor([True])),
        (tg.zeros(2), torch.zeros(2)), (tg.ones(2, 3), torch.ones(2, 3)), (tg.randn(2), torch.randn(2)),
        (tg.rand(2), torch.rand(2)), (tg.arange(3), torch.arange(3)), (tg.arange(0.0, 1.0, 0.5),
        torch.arange(0.0, 1.0, 0.5)), (tg.eye(2), torch.eye(2)), (tg.full((2,), 7), torch.full((2,), 7)),
        (tg.full((2,), 7.0), torch.full((2,), 7.0)), (tg.randint(0, 5, (3,)), torch.randint(0, 5, (3,))),
        (tg.zeros_like(tg.tensor(arr(2))), torch.zeros_like(torch.tensor(arr(2)))),
    ]
    for ours, theirs in pairs:
        assert dtype_name(ours) == dtype_name(theirs), (ours, theirs)


SEQUENCES = {  # torch's dtype for a sequence: each NumPy scalar or array counts with its dtype, each Python
    # float as float32, and a float dtype beats an integer one (not NumPy's promotion: int64 and float32 give float32)
    "np.float64s": [np.float64(0.1), np.float64(0.2)], "np.float64 and float": [np.float64(0.1), 0.2],
    "nested": [[np.float64(1.0)], [2.0]], "float64 arrays": [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    "tuple": (np.float64(1.0), 2), "np.float16 and float": [np.float16(1.0), 2.0],
    "np.int32 and np.float16": [np.int32(1), np.float16(2.5)], "np.float32 and np.int64": [np.float32(1), np.int64(2)],
    "bool and np.float64": [True, np.float64(2.0)], "np.int64 and float": [np.int64(1), 2.5],
    "np.float16 and np.int16": [np.float16(1.5), np.int16(2)], "floats": [0.1, 0.2], "empty": [],
}


@pytest.mark.filterwarnings("ignore:Creating a tensor from a list of numpy.ndarrays:UserWarning")
@pytest.mark.parametrize("data", SEQUENCES.values(), ids=SEQUENCES.keys())
def test_the_dtype_of_a_sequence_holding_numpy_numbers_matches_torch(data):
    ours, theirs = tg.tensor(data), torch.tensor(data)
    assert dtype_name(ours) == dtype_name(theirs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


RANDINT_CALLS = [  # args, kwargs, the range [low, high) they name
    ((10, (3,)), {}, 0, 10), ((2, 5, (2, 3)), {}, 2, 5), ((10,), {"size": (4,)}, 0, 10),
    ((), {"low": 2, "high": 4, "size": [3]}, 2, 4), ((-3, 0, ()), {}, -3, 0),
]


@pytest.mark.parametrize("args, kwargs, low, high", RANDINT_CALLS, ids=repr)
def test_randint_takes_torchs_argument_forms(args, kwargs, low, high):
    ours, theirs = tg.randint(*args, **kwargs), torch.randint(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape) and dtype_name(ours) == dtype_name(theirs)
    assert ((ours.numpy() >= low) & (ours.numpy() < high)).all()


def test_randint_with_an_empty_range_names_the_bounds():
    with pytest.raises(ValueError, match="low must be less than high.*low=3 and high=2"):
        tg.randint(3, 2, (2,))
    with pytest.raises(RuntimeError, match="less than"):
        torch.randint(3, 2, (2,))


PROMOTIONS = [  # name, a, b (arrays become tensors of each library; Python numbers stay numbers)
    ("f32+python_float", np.ones(3, np.float32), 2.5),
    ("python_float*f32", 2.5, np.ones(3, np.float32)),
    ("f32+python_int", np.ones(3, np.float32), 2),
    ("f32/python_int", np.ones(3, np.float32), 3),
    ("python_int/f32", 3, np.ones(3, np.float32)),
    ("f32**python_float", np.ones(3, np.float32), 2.0),
    ("python_float**f32", 2.0, np.ones(3, np.float32)),
    ("f64*python_float", np.ones(3), 2.5),
    ("i64+python_float", np.arange(3), 1.5),
    ("i64*python_int", np.arange(3), 2),
    ("i64/python_int", np.arange(3), 2),
    ("i64/i64", np.arange(3), np.arange(1, 4)),
    ("i64+f32", np.arange(3), np.ones(3, np.float32)),
    ("i64*f64", np.arange(3), np.ones(3)),
    ("f32+f64", np.ones(3, np.float32), np.ones(3)),
    ("f32+0d_f64", np.ones(3, np.float32), np.array(2.0)),
    ("0d_f64+f32", np.array(2.0), np.ones(3, np.float32)),
    ("f64+0d_f32", np.ones(3), np.array(2.0, np.float32)),
    ("i32+0d_i64", np.arange(3, dtype=np.int32), np.array(2)),
    ("i64+0d_f64", np.arange(3), np.array(2.0)),
    ("0d_f32+0d_f64", np.array(1.0, np.float32), np.array(2.0)),
]
BINARY_OPS = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
              lambda a, b: a ** b]


@pytest.mark.parametrize("name, a, b", PROMOTIONS, ids=[p[0] for p in PROMOTIONS])
def test_type_promotion_matches_torch(name, a, b):
    def lib(make, v):
        return make(v) if isinstance(v, np.ndarray) else v
    for op in BINARY_OPS:
        ours = op(lib(tg.from_numpy, a), lib(tg.from_numpy, b))
        theirs = op(lib(torch.from_numpy, a), lib(torch.from_numpy, b))
        assert dtype_name(ours) == dtype_name(theirs), name
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("a, b", [(np.array([True, False]), np.array([3.0, 4.0])), (np.array([True]), np.array(3.0)),
                                  (np.array(True), np.array([3.0, 4.0])), (np.array([True]), np.ones(1, np.float16)),
                                  (np.array([3.0, 4.0]), np.array([True, True])), (np.array([True]), np.array([3]))],
                         ids=repr)
def test_true_division_with_a_bool_operand_like_torch(a, b):
    ours, theirs = tg.from_numpy(a) / tg.from_numpy(b), torch.from_numpy(a) / torch.from_numpy(b)
    assert dtype_name(ours) == dtype_name(theirs)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_bool_tensor_with_python_numbers_like_torch():
    mask = np.array([True, False])
    for op in (lambda a: a + 1, lambda a: a * 2, lambda a: 1.5 * a, lambda a: a / 2):
        ours, theirs = op(tg.from_numpy(mask)), op(torch.from_numpy(mask))
        assert dtype_name(ours) == dtype_name(theirs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


NUMPY_SCALAR_CASES = [  # name, f(lib) -> tensor
    ("i64*np.float32", lambda L: L.tensor([1, 2]) * np.float32(2.5)),
    ("np.float16*i64", lambda L: np.float16(2.5) * L.tensor([1, 2])),
    ("i64/np.float32", lambda L: L.tensor([1, 2]) / np.float32(2.5)),
    ("i64**np.float32", lambda L: L.tensor([4]) ** np.float32(0.5)),
    ("f32**np.float64", lambda L: L.tensor([4.0]) ** np.float64(0.5)),
    ("f32*np.float64", lambda L: L.tensor([4.0]) * np.float64(0.5)),
    ("bool+np.int64", lambda L: L.tensor([True]) + np.int64(2)),
    ("i32+np.int64", lambda L: L.tensor([1], dtype=L.int32) + np.int64(2)),
    ("full(np.float32)", lambda L: L.full((2,), np.float32(2.5))),
    ("full(np.int64)", lambda L: L.full((2,), np.int64(3))),
    ("full(True)", lambda L: L.full((2,), True)),
    ("where(i64, np.float32)", lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), np.float32(0.5))),
    ("arange(np.float32)", lambda L: L.arange(np.float32(2.5))),
    ("arange(np.int64)", lambda L: L.arange(np.int64(3))),
]


@pytest.mark.parametrize("name, make", NUMPY_SCALAR_CASES, ids=[c[0] for c in NUMPY_SCALAR_CASES])
def test_numpy_scalars_promote_like_python_numbers_as_in_torch(name, make):
    ours, theirs = make(tg), make(torch)
    assert dtype_name(ours) == dtype_name(theirs), name
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_numpy_bools_promote_like_python_bools():
    # torch takes np.bool_ for a float (tensor([1]) * np.bool_(True) is float32); here it is a bool.
    for make in (lambda v: tg.tensor([1, 2]) * v, lambda v: tg.tensor([True]) + v,
                 lambda v: tg.full((2,), v), lambda v: tg.where(tg.tensor([True]), tg.tensor([True]), v)):
        ours, python = make(np.bool_(True)), make(True)
        assert ours.dtype == python.dtype and ours.tolist() == python.tolist()
    assert tg.full((2,), np.bool_(True)).dtype == tg.bool_


def test_float32_stays_float32_through_a_model_and_its_gradients():
    ops = lambda x, w: ((x @ w).tanh() * 0.5 + 1).log_softmax(1).clamp(min=-3.0).mean() ** 2 / 3
    x, w = arr(4, 3).astype(np.float32), arr(3, 5, seed=1).astype(np.float32)
    # float32 rounding (2**-24 ~ 6e-8 per op) limits the agreement, hence rtol 1e-5.
    assert_matches_torch(ops, ops, x, w, rtol=1e-5, atol=1e-6)
    xs, ws = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    out = ops(xs, ws)
    out.backward()
    assert out.dtype == xs.grad.dtype == ws.grad.dtype == tg.float32


def test_float64_is_preserved_end_to_end():
    def model(x, w, b):
        h = (x @ w + b).relu().maximum(x[:, :1] * 0.1)
        h = tg.where(h > 1, h, h * 2) if isinstance(h, tg.Tensor) else torch.where(h > 1, h, h * 2)
        return (h.softmax(1) + h.sigmoid() ** 2 - 1 / (h.abs() + 1)).var(0).std() + h.logsumexp(1).mean()
    arrays = arr(4, 3), arr(3, 3, seed=1), arr(3, seed=2)
    assert_matches_torch(model, model, *arrays)  # also compares output and gradient dtypes
    ts = [tg.tensor(a, requires_grad=True) for a in arrays]
    out = model(*ts)
    out.backward()
    assert out.dtype == tg.float64 and all(t.grad.dtype == tg.float64 for t in ts)


def test_gradient_dtype_follows_each_input_in_mixed_precision_like_torch():
    x = tg.tensor(arr(3).astype(np.float32), requires_grad=True)
    w = tg.tensor(arr(3, seed=1), requires_grad=True)
    tx = torch.tensor(arr(3).astype(np.float32), requires_grad=True)
    tw = torch.tensor(arr(3, seed=1), requires_grad=True)
    (x * w).exp().sum().backward()
    (tx * tw).exp().sum().backward()
    assert dtype_name(x.grad) == dtype_name(tx.grad) == "float32"
    assert dtype_name(w.grad) == dtype_name(tw.grad) == "float64"
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)


def test_int_and_bool_tensors_cannot_require_grad():
    attempts = [lambda: tg.tensor([1, 2], requires_grad=True),
                lambda: tg.arange(3).requires_grad_(),
                lambda: tg.Tensor(np.array([True, False]), requires_grad=True),
                lambda: tg.zeros(3, dtype=tg.int64, requires_grad=True),
                lambda: tg.tensor([1, 2], dtype=tg.uint8).requires_grad_(True)]
    for attempt in attempts:
        with pytest.raises(tg.DTypeError, match="floating-point.*got dtype (int64|bool|uint8)"):
            attempt()
    assert issubclass(tg.DTypeError, TypeError)
    with pytest.raises(RuntimeError):  # torch refuses too
        torch.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_casts_to_integer_or_bool_leave_the_graph_like_torch(dtype):
    x, tx = tg.tensor([1.3, 2.7], requires_grad=True), torch.tensor([1.3, 2.7], requires_grad=True)
    y, ty = (x * 10).to(np.dtype(dtype)), (tx * 10).to(getattr(torch, dtype))
    assert y.requires_grad is ty.requires_grad is False
    assert y.grad_fn is None and ty.grad_fn is None and y.tolist() == ty.tolist()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.float().sum().backward()
    assert (x * 10).long().grad_fn is None
    half, thalf = (x * 10).to(tg.float16), (tx * 10).to(torch.float16)
    assert half.requires_grad is thalf.requires_grad is True  # a floating-point cast stays in the graph


def test_mean_of_an_integer_tensor_is_refused_like_torch():
    with pytest.raises(tg.DTypeError, match="int64"):
        tg.arange(4).mean()
    with pytest.raises(RuntimeError):
        torch.arange(4).mean()


# ---- deep graphs and memory -------------------------------------------------------------------

def test_a_chain_of_a_million_ops_goes_backward_without_recursion_error():
    x = tg.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    assert y.item() == 1_000_000.5
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing a million-node chain must not recurse either


def test_saved_arrays_are_released_after_backward():
    x = tg.tensor(arr(5), requires_grad=True)
    y = x.exp()  # Exp saves its output array for backward
    saved = weakref.ref(y.data)
    z = (y * 2).sum()
    del y
    assert saved() is not None  # the graph holds it until backward
    z.backward()
    assert saved() is None, "backward without retain_graph must free the saved output of exp"


def test_saved_arrays_survive_backward_with_retain_graph():
    x = tg.tensor(arr(5), requires_grad=True)
    y = x.exp()
    saved = weakref.ref(y.data)
    z = (y * 2).sum()
    del y
    z.backward(retain_graph=True)
    assert saved() is not None
    z.backward()  # the last pass may free it
    assert saved() is None
    np.testing.assert_allclose(x.grad.numpy(), 4 * np.exp(arr(5)), rtol=1e-12)


def test_saved_arrays_are_released_after_tg_grad():
    x = tg.tensor(arr(5), requires_grad=True)
    y = x.sigmoid()
    saved = weakref.ref(y.data)
    z = (y * y).sum()
    del y
    tg.grad(z, x)
    assert saved() is None


# ---- tg.grad ----------------------------------------------------------------------------------

def test_grad_with_allow_unused_like_torch():
    x, z = tg.tensor(arr(3), requires_grad=True), tg.tensor(arr(2), requires_grad=True)
    tx, tz = torch.tensor(arr(3), requires_grad=True), torch.tensor(arr(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tg.grad((x * x).sum(), [x, z])
    with pytest.raises(RuntimeError):
        torch.autograd.grad((tx * tx).sum(), [tx, tz])
    gx, gz = tg.grad((x * x).sum(), [x, z], allow_unused=True)
    tgx, tgz = torch.autograd.grad((tx * tx).sum(), [tx, tz], allow_unused=True)
    assert gz is None and tgz is None
    np.testing.assert_allclose(gx.numpy(), tgx.numpy(), rtol=1e-12)
    assert x.grad is None and z.grad is None  # tg.grad leaves .grad alone


def test_grad_of_intermediates_with_grad_outputs_and_several_outputs_like_torch():
    def run(lib_grad, x, ones):
        h = x.exp()
        y1, y2 = h * h, (h * 3).sum()
        return lib_grad([y1, y2], [h, x], grad_outputs=[ones, None])
    x, tx = tg.tensor(arr(3), requires_grad=True), torch.tensor(arr(3), requires_grad=True)
    ours = run(tg.grad, x, tg.tensor(np.full(3, 0.5)))
    theirs = run(torch.autograd.grad, tx, torch.full((3,), 0.5, dtype=torch.float64))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-12)


def test_grad_of_outputs_where_one_feeds_the_other_like_torch():
    # both are roots of the backward; y's gradient must reach h before h's node runs
    def run(lib_grad, x):
        h = x.exp()
        y = (h * h).sum()
        return lib_grad([h.sum(), y, h], [x], grad_outputs=[None, None, x * 0 + 2])
    x, tx = tg.tensor(arr(3), requires_grad=True), torch.tensor(arr(3), requires_grad=True)
    np.testing.assert_allclose(run(tg.grad, x)[0].numpy(), run(torch.autograd.grad, tx)[0].numpy(), rtol=1e-12)


def test_grad_needs_inputs_that_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        x = tg.tensor(arr(3), requires_grad=True)
        tg.grad((x * 2).sum(), [tg.tensor(arr(3))])


# ---- errors and repr --------------------------------------------------------------------------

def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(tg.ShapeError, match=r"matmul: shapes \(32, 784\) and \(500, 784\) do not "
                                            r"align \(inner dims 784 != 500\).*transpose"):
        tg.randn(32, 784) @ tg.randn(500, 784)
    with pytest.raises(ValueError, match=r"\(2, 3, 4\) and \(5,\)"):  # ShapeError is a ValueError
        tg.randn(2, 3, 4) @ tg.randn(5)
    with pytest.raises(tg.ShapeError, match=r"at least 1 dim.*\(\) and \(3,\)"):
        tg.tensor(2.0) @ tg.randn(3)


def test_broadcast_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(tg.ShapeError, match=r"add: shapes \(2, 3\), \(4,\)"):
        tg.randn(2, 3) + tg.randn(4)
    with pytest.raises(tg.ShapeError, match=r"mul: shapes \(3,\), \(2,\)"):
        tg.randn(3, requires_grad=True) * tg.randn(2)
    with pytest.raises(tg.ShapeError, match=r"cat: tensor 1 has shape \(2, 2\).*\(2, 3\)"):
        tg.cat([tg.randn(2, 3), tg.randn(2, 2)], 0)


def test_a_numpy_error_that_is_not_about_shapes_keeps_its_message_like_torch():
    with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed") as info:
        tg.tensor([1, 2]) ** -1  # (a tensor exponent computes, as in torch)
    assert not isinstance(info.value, tg.ShapeError) and "shapes" not in str(info.value)
    with pytest.raises(RuntimeError, match="Integers to negative integer powers are not allowed"):
        torch.tensor([1, 2]) ** -1


def test_cat_of_zero_dimensional_tensors_says_so_like_torch():
    for lib in (tg, torch):
        with pytest.raises((tg.ShapeError, RuntimeError),
                           match=r"zero-dimensional tensor \(at position 1\) cannot be concatenated"):
            lib.cat([lib.tensor([1.0]), lib.tensor(2.0)])


def test_arange_with_step_zero_says_so_like_torch():
    for lib in (tg, torch):
        with pytest.raises((ValueError, RuntimeError), match="step must be nonzero"):
            lib.arange(0, 5, 0)


def test_max_min_of_another_tensor_are_elementwise_like_torch():
    a, b = arr(2, 3), arr(3, seed=1)
    for name in ("max", "min"):
        assert_matches_torch(lambda x, y: getattr(x, name)(y), lambda x, y: getattr(x, name)(y), a, b)


def test_bool_of_a_tensor_without_exactly_one_value_is_ambiguous_like_torch():
    for values, which in (([1.0, 2.0], "more than one value"), ([], "no values")):
        with pytest.raises(RuntimeError, match=f"Boolean value of Tensor with {which} is ambiguous"):
            bool(tg.tensor(values) > 0)
        with pytest.raises(RuntimeError, match=f"Boolean value of Tensor with {which} is ambiguous"):
            bool(torch.tensor(values) > 0)
    assert bool(tg.tensor([[True]])) is bool(torch.tensor([[True]])) is True


def test_repr():
    leaf = tg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(leaf) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(leaf * 2) == "Tensor([2., 4.], grad_fn=<MulBackward>)"
    assert repr(leaf.exp().sum()).endswith("grad_fn=<SumBackward>)")
    assert repr(leaf + 1).endswith("grad_fn=<AddBackward>)")
    assert repr(tg.tensor([1, 2])) == "Tensor([1, 2])"
    assert repr(tg.tensor(3.0)) == "Tensor(3.)"
    assert repr(tg.tensor([1.5], dtype=tg.float64)) == "Tensor([1.5], dtype=float64)"
    assert repr(tg.tensor([[1.0, 0.0], [0.0, 1.0]])) == "Tensor([[1., 0.],\n        [0., 1.]])"
    with tg.no_grad():
        assert repr(leaf * 2) == "Tensor([2., 4.])"
    assert repr(leaf.detach()) == "Tensor([1., 2.])"


# ---- arrays a graph saved, changed in place before its backward: an error, as in torch -------

def _retained_product(lib):
    """y = sum(w * x), backward once with retain_graph: Mul saved both w and x."""
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    x = lib.tensor([3.0, 4.0], requires_grad=True)
    y = (w * x).sum()
    y.backward(retain_graph=True)
    return w, x, y


@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_an_optimizer_step_between_two_backwards_through_saved_weights_is_an_error(optimizer):
    w, x, y = _retained_product(torch)
    getattr(torch.optim, optimizer)([w], lr=1.0).step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
    w, x, y = _retained_product(tg)
    getattr(optim, optimizer)([w], lr=1.0).step()  # an optimizer gone by the backward counts too
    with pytest.raises(RuntimeError, match=f"MulBackward.*changed in place.*{optimizer}.step"):
        y.backward()  # x.grad would be [-1, 0] + [3, 4] computed from the updated w, not [2, 4] * 2


def test_an_optimizer_step_on_other_parameters_leaves_the_retained_graph_usable():
    w, x, y = _retained_product(tg)
    other = tg.zeros(2, requires_grad=True)
    other.grad = tg.ones(2)
    w.grad = None  # w is in the optimizer too, but without a gradient the step leaves it alone
    opt = optim.SGD([w, other], lr=1.0)
    opt.step()
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0])  # w, from each backward


def test_zero_grad_in_place_of_a_grad_an_op_used_is_an_error_at_that_backward():
    for lib, lib_optim in ((torch, torch.optim), (tg, optim)):
        w = lib.ones(3, requires_grad=True)
        (w * w).sum().backward()
        v = lib.ones(3, requires_grad=True)
        uses_grad = (v * w.grad).sum()  # Mul saved w.grad
        lib_optim.SGD([w], lr=0.1).zero_grad(set_to_none=False)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|changed in place.*zero_grad"):
            uses_grad.backward()


def test_a_saved_output_filled_under_no_grad_is_an_error_at_backward():
    for lib in (torch, tg):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        h = x.exp()  # Exp saves its output
        z = h.sum()
        with lib.no_grad():
            h.fill_(0.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation|changed in place"):
            z.backward()


def test_a_view_of_a_saved_array_zeroed_in_place_is_an_error_at_backward():
    x = tg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = tg.tensor([[1.0], [1.0]])
    y = (x @ w).sum()  # matmul saves x's and w's arrays
    w.reshape(2)[0:1].zero_()
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


def test_changes_made_before_the_graph_was_built_are_fine():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    w.grad = tg.ones(2)
    optim.SGD([w], lr=1.0).step()
    x = tg.tensor([3.0, 4.0])
    x.fill_(5.0)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0 + 5.0, 1.0 + 5.0])


def test_fill_or_zero_on_a_leaf_that_requires_grad_is_refused_while_recording():
    leaf = tg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf.*requires grad.*in-place fill_"):
        leaf.fill_(3.0)
    with tg.no_grad():
        leaf.zero_()  # as torch: allowed outside recording, e.g. to re-initialise a weight
    np.testing.assert_array_equal(leaf.detach().numpy(), [0.0, 0.0])


def test_an_init_function_on_a_saved_weight_is_an_error_at_backward():
    w = tg.ones(3, requires_grad=True)
    y = (w * w).sum()
    tg.nn.init.normal_(w)
    with pytest.raises(RuntimeError, match="changed in place.*nn.init"):
        y.backward()


@pytest.mark.parametrize("op", [lambda t: t.sum(), lambda t: t.mean(), lambda t: t.reshape(2, 2).sum(0).sum(),
                                lambda t: (tg if isinstance(t, tg.Tensor) else torch).cat([t, t]).sum(),
                                lambda t: (tg if isinstance(t, tg.Tensor) else torch).stack([t, t]).sum()])
def test_a_graph_that_saved_no_values_can_run_backward_again_without_retain_graph(op):
    # torch frees only saved tensors; nodes that kept shapes and dims alone can run again
    x = tg.tensor(arr(4), requires_grad=True)
    t = torch.tensor(arr(4), requires_grad=True)
    for lib_x in (x, t):
        y = op(lib_x)
        y.backward()
        y.backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_load_state_dict_into_a_saved_weight_is_an_error_at_backward():
    layer = tg.nn.Linear(3, 2)
    y = layer(tg.ones(1, 3)).sum()  # linear saved the weight's array
    layer.load_state_dict({"weight": np.zeros((2, 3), np.float32), "bias": np.zeros(2, np.float32)})
    with pytest.raises(RuntimeError, match="LinearBackward.*changed in place.*load_state_dict"):
        y.backward()


def test_backward_adds_to_an_existing_grad_in_place_as_torch():
    x = tg.tensor(arr(3), requires_grad=True)
    t = torch.tensor(arr(3), requires_grad=True)
    held = []
    for lib_x in (x, t):
        (lib_x * lib_x).sum().backward()
        held.append(lib_x.grad)
        (lib_x * 3.0).sum().backward()
        assert lib_x.grad is held[-1]  # the same tensor, now holding the sum
    np.testing.assert_allclose(held[0].numpy(), held[1].numpy(), rtol=1e-12)


def test_accumulating_into_a_grad_a_graph_saved_is_an_error_at_that_backward():
    x = tg.tensor(arr(3), requires_grad=True)
    (x * x).sum().backward()
    w = tg.ones(3, requires_grad=True)
    uses_grad = (w * x.grad).sum()  # Mul saved x.grad's array
    (x * 3.0).sum().backward()      # adds into that array
    with pytest.raises(RuntimeError, match="changed in place.*gradient accumulation"):
        uses_grad.backward()


@pytest.mark.parametrize("value, spec", [(1.5, ".2f"), (1.5, ""), (2, ">4"), (2, ".1f"), (True, ""),
                                         ([1.5, 2.0], "")], ids=repr)
def test_format_like_torch(value, spec):
    ours, theirs = tg.tensor(value), torch.tensor(value)
    expected = format(theirs, spec) if theirs.ndim == 0 else format(str(ours), spec)
    assert format(ours, spec) == expected


def test_format_of_a_tensor_with_dims_needs_an_empty_spec_like_torch():
    for lib in (tg, torch):
        with pytest.raises(TypeError, match="unsupported format string"):
            f"{lib.tensor([1.5]):.2f}"


def test_index_like_torch():
    items = [10, 20, 30]
    for make in (lambda L: L.tensor(1), lambda L: L.tensor([[2]]), lambda L: L.tensor(True),
                 lambda L: L.tensor(1, dtype=L.uint8)):
        assert items[make(tg)] == items[make(torch)]
    assert list(range(tg.tensor(3))) == [0, 1, 2]
    for make in (lambda L: L.tensor(1.0), lambda L: L.tensor([1, 2])):
        for lib in (tg, torch):
            with pytest.raises(TypeError, match="only integer tensors of a single element"):
                items[make(lib)]


def test_a_seed_gradient_that_requires_grad_is_not_shared_with_grad():
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        seed = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        (x + 1).backward(seed)
        (x + 1).backward(seed)
        np.testing.assert_array_equal(seed.detach().numpy(), [1.0, 2.0, 3.0])
        np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
        (g,) = (tg if lib is tg else torch.autograd).grad(x * 1, x, seed)
        with lib.no_grad():
            g.zero_()
        np.testing.assert_array_equal(seed.detach().numpy(), [1.0, 2.0, 3.0])


def test_a_parameter_a_later_step_skips_stays_checked_for_changes():
    a = tg.tensor([1.0, 2.0], requires_grad=True)
    b = tg.tensor([1.0, 1.0, 1.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    loss = (b * b).sum()  # saves b
    loss.backward(retain_graph=True)
    opt.step()            # changes a and b
    opt.zero_grad()
    (a * 2).sum().backward()
    opt.step()            # changes a only: b's change above must not be forgotten
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_an_integer_tensor_made_to_require_grad_by_assignment_gets_no_gradient():
    x = tg.tensor([1, 2])
    x.requires_grad = True  # requires_grad_() refuses this, as torch's assignment does
    with pytest.raises(RuntimeError, match="only floating-point"):
        (x * 2.5).sum().backward()


def test_grad_of_an_output_that_does_not_require_grad_says_so_as_torch():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    with tg.no_grad():
        y = (w * 2).sum()
    for allow_unused in (False, True):
        with pytest.raises(RuntimeError, match="output 0 does not require grad"):
            tg.grad(y, w, allow_unused=allow_unused)
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(torch.ones(2).sum(), torch.ones(2, requires_grad=True), allow_unused=True)


def test_backward_accumulates_only_into_the_inputs_given_as_torch():
    results = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        b = lib.tensor([3.0, 4.0], requires_grad=True)
        h = a * b
        (h * h).sum().backward(inputs=[a, h])
        results.append((a.grad.numpy(), b.grad, h.grad.numpy()))
    (ours_a, ours_b, ours_h), (theirs_a, theirs_b, theirs_h) = results
    np.testing.assert_array_equal(ours_a, theirs_a)
    np.testing.assert_array_equal(ours_h, theirs_h)
    assert ours_b is None and theirs_b is None
    with pytest.raises(RuntimeError, match="inputs\\[0\\] is not a tensor that requires grad"):
        (tg.ones(2, requires_grad=True) * 2).sum().backward(inputs=[tg.ones(2)])


@pytest.mark.parametrize("decorator", [tg.no_grad, tg.no_grad(), tg.inference_mode, tg.inference_mode()],
                         ids=["no_grad", "no_grad()", "inference_mode", "inference_mode()"])
def test_a_decorated_generator_runs_without_recording_as_in_torch(decorator):
    w = tg.ones(2, requires_grad=True)

    @decorator
    def batches():
        for _ in range(2):
            sent = yield w * 2
            assert sent is None or not (w * sent).requires_grad

    outputs = list(batches())
    assert [o.requires_grad for o in outputs] == [False, False]
    assert (w * 2).requires_grad  # and recording is back on between items and after
    gen = batches()
    next(gen)
    assert (w * 2).requires_grad
    gen.send(3.0)
    tw = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def torch_batches():
        yield tw * 2

    assert [o.requires_grad for o in torch_batches()] == [False]


def test_retain_grad_keeps_a_non_leafs_gradient_as_torch():
    results = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        h.retain_grad()
        y = (h * h).sum()
        y.retain_grad()
        grad_fn = tg.grad if lib is tg else torch.autograd.grad
        grad_fn(y, a, retain_graph=True)   # torch keeps it at autograd.grad too
        y.backward(retain_graph=True)      # and accumulates
        after = [h.grad.numpy().copy(), y.grad.numpy().copy()]
        a.grad.zero_()                     # a leaf's gradient is not the retained one's memory
        results.append(after + [h.grad.numpy(), h.retains_grad, a.retains_grad])
    ours, theirs = results
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o, t)
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(2).retain_grad()


def test_a_retained_input_of_backward_gets_its_gradient_once_as_torch():
    results = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        h = a * 3
        h.retain_grad()
        (h * h).sum().backward(inputs=[h])
        results.append(h.grad.numpy())
    np.testing.assert_array_equal(*results)


def test_a_decorated_generator_gets_what_is_thrown_into_it_and_closes_in_its_mode():
    log = []

    @tg.no_grad()
    def items():
        try:
            yield 1
        except ValueError:
            log.append(("caught", tg.is_grad_enabled()))
            yield 2
        finally:
            log.append(("finally", tg.is_grad_enabled()))

    gen = items()
    assert next(gen) == 1
    assert gen.throw(ValueError("x")) == 2
    gen.close()
    assert log == [("caught", False), ("finally", False)] and tg.is_grad_enabled()


def test_backward_arguments_that_cannot_work_are_named():
    y = tg.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="tensors\\[1\\] does not require grad"):
        tg.autograd.backward([y.sum(), tg.ones(1)])
    with pytest.raises(RuntimeError, match="inputs= must not be empty"):
        y.sum().backward(inputs=[])
    with pytest.raises(RuntimeError):
        (torch.ones(2, requires_grad=True) * 2).sum().backward(inputs=[])


def test_grad_of_a_non_leaf_stops_at_it_as_torch():
    results = []
    for lib in (tg, torch):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 3
        lib.autograd.grad((y * y).sum(), x)  # frees y's node
        (gy,) = lib.autograd.grad((y * y).sum(), y)  # does not run y's freed node again
        z = x * 2
        (z * z).sum().backward(inputs=[z])
        results.append((gy.numpy(), z.grad.numpy(), x.grad))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert results[0][2] is None and results[1][2] is None  # x was not asked for
