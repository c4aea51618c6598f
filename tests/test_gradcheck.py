"""gradcheck: finite differences agree with backward() on every differentiable op, and a wrong
backward is caught and located."""
import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist.autograd import Function
from tinygrad_mnist.gradcheck import GradcheckError
from tinygrad_mnist.testing import assert_matches_torch


def arr(shape, domain="any", seed=0):
    """float64 values away from every kink and tie: magnitudes in [0.5, 2) with distinct values."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    magnitudes = 0.5 + 1.5 * (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n  # all distinct
    signs = 1.0 if domain == "positive" else rng.choice([-1.0, 1.0], n)
    return (magnitudes * signs).reshape(shape)


def leaves(*specs):
    """One float64 leaf per (shape, domain) spec."""
    return [tg.tensor(arr(shape, domain, seed=i), dtype=tg.float64, requires_grad=True)
            for i, (shape, domain) in enumerate(specs)]


A = ((3, 4), "any")
P = ((3, 4), "positive")
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

OPS = [  # name, fn, input specs
    ("add_broadcast", lambda a, b: a + b, [((3, 1), "any"), ((1, 4), "any")]),
    ("sub_broadcast", lambda a, b: a - b, [((4,), "any"), ((2, 3, 4), "any")]),
    ("mul", lambda a, b: a * b, [A, A]),
    ("div", lambda a, b: a / b, [A, A]),
    ("pow_tensor", lambda a, b: a ** b, [P, A]),
    ("pow_scalar", lambda a: a ** 3, [A]),
    ("square", lambda a: a.square(), [A]),
    ("pow_negative_scalar", lambda a: a ** -0.5, [P]),
    ("rpow", lambda a: 2.0 ** a, [A]),
    ("rsub_rdiv", lambda a: (1 - a) / (3 / a), [A]),
    ("neg", lambda a: -a, [A]),
    ("matmul_2d", lambda a, b: a @ b, [((3, 4), "any"), ((4, 2), "any")]),
    ("matmul_batched", lambda a, b: a @ b, [((2, 1, 2, 3), "any"), ((3, 3, 2), "any")]),
    ("matmul_vectors", lambda a, b: a @ (b @ a), [((3,), "any"), ((3, 3), "any")]),
    ("mm", lambda a, b: a.mm(b), [((3, 4), "any"), ((4, 2), "any")]),
    ("bmm", lambda a, b: tg.bmm(a, b), [((2, 3, 4), "any"), ((2, 4, 2), "any")]),
    ("outer", lambda a, b: a.outer(b), [((3,), "any"), ((4,), "any")]),
    ("exp", lambda a: a.exp(), [A]),
    ("log", lambda a: a.log(), [P]),
    ("sqrt", lambda a: a.sqrt(), [P]),
    ("abs", lambda a: a.abs(), [A]),
    ("relu", lambda a: a.relu(), [A]),
    ("leaky_relu", lambda a: a.leaky_relu(0.2), [A]),
    ("sigmoid", lambda a: a.sigmoid(), [A]),
    ("tanh", lambda a: a.tanh(), [A]),
    ("softmax", lambda a: a.softmax(1), [A]),
    ("log_softmax", lambda a: a.log_softmax(0), [A]),
    ("logsumexp", lambda a: a.logsumexp(1, keepdim=True), [A]),
    ("sum", lambda a: a.sum(0), [A]),
    ("mean", lambda a: a.mean((0, 1), keepdim=True), [A]),
    ("var", lambda a: a.var(1), [A]),
    ("std", lambda a: a.std(0, correction=0), [A]),
    ("max", lambda a: a.max(), [A]),
    ("max_dim", lambda a: a.max(1).values, [A]),
    ("min", lambda a: a.min(), [A]),
    ("min_dim", lambda a: a.min(0, keepdim=True).values, [A]),
    ("sort", lambda a: a.sort(0, descending=True).values * a, [A]),
    ("reshape_view_flatten", lambda a: a.reshape(2, 6).view(6, 2).flatten() * 2, [A]),
    ("transpose_permute_T", lambda a: a.transpose(0, 1).unsqueeze(0).permute(2, 0, 1).T * 3,
     [A]),
    ("squeeze_unsqueeze", lambda a: a.unsqueeze(1).squeeze() * a, [A]),
    ("unflatten", lambda a: a.unflatten(1, (2, -1)) * 2, [A]),
    ("unbind", lambda a: a.unbind(1), [A]),
    ("expand", lambda a: a.expand(2, 3, 4) * 2, [((3, 1), "any")]),
    ("getitem_slice", lambda a: a[1:, ::2] * 2, [A]),
    ("getitem_repeated", lambda a: a[[0, 2, 0], [1, 1, 1]] ** 2, [A]),
    ("getitem_mask", lambda a: a[tg.tensor(MASK)] ** 2, [A]),
    ("cat", lambda a, b: tg.cat([a, b, a], 1), [((2, 3), "any"), ((2, 1), "any")]),
    ("stack", lambda a, b: tg.stack([a, b], -1), [A, A]),
    ("where", lambda a, b: tg.where(tg.tensor(MASK), a, b), [A, ((4,), "any")]),
    ("clamp", lambda a: a.clamp(-1.0, 1.0), [A]),
    ("maximum", lambda a, b: a.maximum(b), [A, ((1, 4), "any")]),
    ("minimum", lambda a, b: tg.minimum(a, b), [A, A]),
    ("masked_fill", lambda a: a.masked_fill(tg.tensor(MASK), 0.5), [A]),
    ("clone_double", lambda a: a.clone().double() * 2, [A]),
    ("mse_loss", lambda a, b: tg.nn.functional.mse_loss(a, b), [A, A]),
    ("mse_loss_none", lambda a, b: tg.nn.functional.mse_loss(a, b, reduction="none"), [A, A]),
]


@pytest.mark.parametrize("name, fn, specs", OPS, ids=[o[0] for o in OPS])
def test_gradcheck_passes(name, fn, specs):
    assert tg.gradcheck(fn, leaves(*specs)) is True


@pytest.mark.parametrize("order", ["C", "F"])
def test_gradcheck_passes_on_linear_with_a_row_or_column_major_weight(order):
    x, w, b = leaves(((5, 3), "any"), ((4, 3), "any"), ((4,), "any"))
    w = tg.Tensor(np.array(w.data, order=order), requires_grad=True)  # large Linear layers are "F"
    assert w.data.flags[f"{order}_CONTIGUOUS"] and tg.gradcheck(tg.nn.functional.linear, [x, w, b]) is True


def test_gradcheck_on_non_contiguous_and_0d_inputs():
    x = tg.Tensor(arr((4, 3)).T, requires_grad=True)  # a transposed view: perturbed in place
    assert not x.data.flags.c_contiguous
    assert tg.gradcheck(lambda t: (t * t).sum(1), [x])
    assert tg.gradcheck(lambda s, t: s * t.exp(), leaves(((), "any"), ((2,), "any")))


def test_gradcheck_on_a_small_mlp_loss():
    labels = tg.tensor([0, 2, 1])
    x = tg.tensor(arr((3, 4), seed=9), dtype=tg.float64)  # an input that needs no gradient

    def loss(w1, b1, w2):
        h = (x @ w1 + b1).tanh()
        return (h @ w2).log_softmax(1)[tg.arange(3), labels].mean().neg()
    assert tg.gradcheck(loss, leaves(((4, 5), "any"), ((5,), "any"), ((5, 3), "any")))


def test_gradcheck_checks_every_output_of_a_tuple():
    assert tg.gradcheck(lambda a: (a.exp(), *a.max(1)), leaves(A))  # indices have no gradient


# ---- deliberately wrong backward rules --------------------------------------------------------

class SquareWrongAtOneElement(Function):
    """x * x whose backward is off at element (1, 2) only."""
    save_inputs = True

    def forward(self, a):
        return a * a

    def backward(self, g):
        (a,) = self.inputs
        bump = np.zeros(a.shape)
        bump[1, 2] = 1.0
        return g * a * 2 + g * bump


class ExpMissingFactor(Function):
    """exp whose backward forgets to multiply by the output."""

    def forward(self, a):
        return np.exp(a)

    def backward(self, g):
        return g


class MulWrongForSecondInput(Function):
    """a * b whose gradient for b has the wrong sign."""
    save_inputs = True

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return g * b, -g * a


def test_gradcheck_names_the_element_of_a_wrong_backward():
    x = leaves(A)
    with pytest.raises(GradcheckError, match=r"output 0, input 0, element \(1, 2\)"):
        tg.gradcheck(lambda t: SquareWrongAtOneElement.apply(t), x)


def test_gradcheck_fails_on_a_missing_factor():
    with pytest.raises(GradcheckError, match=r"backward gives .*finite differences give"):
        tg.gradcheck(lambda t: ExpMissingFactor.apply(t), leaves(A))


def test_gradcheck_names_the_input_with_the_wrong_gradient():
    with pytest.raises(GradcheckError, match=r"input 1"):
        tg.gradcheck(lambda a, b: MulWrongForSecondInput.apply(a, b), leaves(A, A))


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_gradcheck_catches_an_error_in_a_later_output():
    with pytest.raises(GradcheckError, match=r"output 1"):
        tg.gradcheck(lambda t: (t.exp(), ExpMissingFactor.apply(t)), leaves(A))


def test_gradcheck_rejects_float32_and_inputs_without_grad():
    with pytest.raises(ValueError, match="float64"):
        tg.gradcheck(lambda t: t * 2, [tg.randn(3, requires_grad=True)])
    with pytest.raises(ValueError, match="no input requires grad"):
        tg.gradcheck(lambda t: t * 2, [tg.randn(3, dtype=tg.float64)])


def test_gradcheck_takes_a_lone_tensor_and_keeps_its_shape():
    w = tg.randn(1, 4, dtype=tg.float64, requires_grad=True)
    shapes = []
    assert tg.gradcheck(lambda a: shapes.append(a.shape) or (a * a).sum(), w)
    assert set(shapes) == {(1, 4)}


def test_gradcheck_of_a_function_that_takes_a_gradient():
    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda a: tg.grad((a ** 3).sum(), a, create_graph=True)[0], [x])


def test_gradcheck_with_an_empty_input_and_without_raising():
    empty = tg.zeros(0, dtype=tg.float64, requires_grad=True)
    x = tg.randn(3, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda a, b: a.sum() + b, [empty, x])

    class WrongBackward(Function):
        def forward(self, a): return a * 2
        def backward(self, g): return g * 3
    assert tg.gradcheck(WrongBackward.apply, [x], raise_exception=False) is False
    with pytest.raises(GradcheckError):
        tg.gradcheck(WrongBackward.apply, [x])


def test_assert_matches_torch_compares_every_output_of_a_tuple():
    values = np.random.default_rng(0).standard_normal((3, 4))
    assert_matches_torch(lambda x: x.max(1), lambda x: x.max(1), values)
    with pytest.raises(AssertionError, match="output 1: first mismatch"):  # the indices differ
        assert_matches_torch(lambda x: x.max(1), lambda x: tuple(x.max(1))[:1] + (x.argmin(1),), values)
    with pytest.raises(TypeError, match="must return a tensor or a tuple of tensors"):
        assert_matches_torch(lambda x: 3.0, lambda x: x.sum(), values)


def test_autograd_backward_takes_several_outputs_as_torch():
    results = []
    for lib in (tg, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y1, y2 = a * 3, (a * a).sum()
        lib.autograd.backward([y1, y2], [lib.tensor([1.0, -1.0]), None])
        results.append(a.grad.numpy())
    np.testing.assert_array_equal(*results)
    with pytest.raises(RuntimeError, match="2 grad_tensors for 1 tensors"):
        tg.autograd.backward([tg.ones(1, requires_grad=True) * 2], [None, None])


def test_assert_matches_torch_reports_outputs_that_differ_in_number_or_in_requires_grad():
    values = np.arange(3.0)
    with pytest.raises(AssertionError, match="2 outputs here, 1 in torch"):
        assert_matches_torch(lambda x: (x, x * 2), lambda x: (x,), values)
    with pytest.raises(AssertionError, match="requires_grad is False here, True in torch"):
        assert_matches_torch(lambda x: x.detach(), lambda x: x * 1, values)
