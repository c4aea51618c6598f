"""Second order: Hessian-vector products and grad of grad, through tg.grad(create_graph=True) and
backward(create_graph=True), equal torch.autograd's for every op and for a small tanh MLP."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import tinygrad_mnist as tg

RTOL, ATOL = 1e-10, 1e-12
# torch warns about the .grad reference cycle that double backward through .backward() makes.
pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")


def arr(shape, domain="any", seed=0):
    """float64 values away from kinks and ties (distinct magnitudes in [0.5, 2))."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    magnitudes = 0.5 + 1.5 * (rng.permutation(n) + rng.uniform(0.1, 0.9, n)) / n
    signs = 1.0 if domain == "positive" else rng.choice([-1.0, 1.0], n)
    return (magnitudes * signs).reshape(shape)


def close(ours, theirs, what):
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def objective(out, w1, w2):
    """A scalar with curvature from the op itself (out * w1) and from the chain (out * out * w2)."""
    return (out * w1).sum() + (out * out * w2).sum()


def both_libraries(fn, torch_fn, arrays):
    """Per library: inputs, scalar objective of the op's output, and the direction vectors."""
    rng = np.random.default_rng(7)
    out_shape = torch_fn(*[torch.tensor(a) for a in arrays]).shape
    w1, w2 = rng.standard_normal(out_shape), rng.standard_normal(out_shape)
    vs = [rng.standard_normal(a.shape) for a in arrays]
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return (ours, lambda *xs: objective(fn(*xs), tg.tensor(w1), tg.tensor(w2)), [tg.tensor(v) for v in vs],
            theirs, lambda *xs: objective(torch_fn(*xs), torch.tensor(w1), torch.tensor(w2)),
            tuple(torch.tensor(v) for v in vs))


def check_second_order(fn, torch_fn, *arrays):
    xs, f, vs, txs, tf, tvs = both_libraries(fn, torch_fn, arrays)

    # Hessian-vector product with tg.grad(create_graph=True), against torch.autograd.functional.hvp.
    grads = tg.grad(f(*xs), xs, create_graph=True)
    assert all(g.requires_grad for g in grads), "create_graph=True gives differentiable gradients"
    hv = tg.grad(sum((g * v).sum() for g, v in zip(grads, vs)), xs, allow_unused=True)
    value, thv = torch.autograd.functional.hvp(tf, tuple(txs), tvs)
    tgrads = torch.autograd.grad(tf(*txs), txs)
    for i, (g, tg_, h, th) in enumerate(zip(grads, tgrads, hv, thv)):
        close(g.detach().numpy(), tg_.detach().numpy(), f"gradient of input {i}")
        close(np.zeros(th.shape) if h is None else h.detach().numpy(), th.detach().numpy(), f"Hv of input {i}")

    # The same through backward(create_graph=True) and a second backward, as torch's double
    # backward.
    for x, t in zip(xs, txs):
        x.grad, t.grad = None, None
    f(*xs).backward(create_graph=True)
    tf(*txs).backward(create_graph=True)
    first = [x.grad for x in xs]
    tfirst = [t.grad for t in txs]
    for x, t in zip(xs, txs):
        x.grad, t.grad = None, None
    sum((g * v).sum() for g, v in zip(first, vs)).backward()
    sum((g * v).sum() for g, v in zip(tfirst, tvs)).backward()
    for i, (x, t) in enumerate(zip(xs, txs)):
        if t.grad is None:
            assert x.grad is None, f"input {i}: torch has no second-order gradient, we do"
        else:
            close(x.grad.detach().numpy(), t.grad.detach().numpy(), f"double backward of input {i}")


A = (3, 4)
MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])

OPS = [  # name, ours, torch (None: the same code), input (shape, domain) specs
    ("add", lambda a, b: a + b, None, [((3, 1), "any"), ((1, 4), "any")]),
    ("sub", lambda a, b: a - b, None, [((4,), "any"), ((2, 3, 4), "any")]),
    ("mul", lambda a, b: a * b, None, [(A, "any"), ((4,), "any")]),
    ("div", lambda a, b: a / b, None, [(A, "any"), ((3, 1), "any")]),
    ("pow_tensor", lambda a, b: a ** b, None, [(A, "positive"), (A, "any")]),
    ("pow_scalar", lambda a: a ** 3, None, [(A, "any")]),
    ("pow_fractional", lambda a: a ** -1.5, None, [(A, "positive")]),
    ("rpow", lambda a: 3.0 ** a, None, [(A, "any")]),
    ("rdiv", lambda a: 2 / a, None, [(A, "any")]),
    ("neg", lambda a: -a, None, [(A, "any")]),
    ("matmul", lambda a, b: a @ b, None, [((2, 3), "any"), ((3, 4), "any")]),
    ("matmul_batched", lambda a, b: a @ b, None, [((2, 1, 2, 3), "any"), ((3, 3, 2), "any")]),
    ("matmul_vector", lambda a, b: b @ a, None, [((3,), "any"), ((2, 3), "any")]),
    ("exp", lambda a: a.exp(), None, [(A, "any")]),
    ("log", lambda a: a.log(), None, [(A, "positive")]),
    ("sqrt", lambda a: a.sqrt(), None, [(A, "positive")]),
    ("abs", lambda a: a.abs(), None, [(A, "any")]),
    ("relu", lambda a: a.relu(), None, [(A, "any")]),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), lambda a: F.leaky_relu(a, 0.1), [(A, "any")]),
    ("sigmoid", lambda a: a.sigmoid(), None, [(A, "any")]),
    ("tanh", lambda a: a.tanh(), None, [(A, "any")]),
    ("softmax", lambda a: a.softmax(1), None, [(A, "any")]),
    ("log_softmax", lambda a: a.log_softmax(0), None, [(A, "any")]),
    ("logsumexp", lambda a: a.logsumexp(1), None, [(A, "any")]),
    ("logsumexp_all", lambda a: a.logsumexp((0, 1), keepdim=True), None, [(A, "any")]),
    ("sum", lambda a: a.sum(0), None, [(A, "any")]),
    ("mean", lambda a: a.mean(1, keepdim=True), None, [(A, "any")]),
    ("var", lambda a: a.var(1), None, [(A, "any")]),
    ("std", lambda a: a.std(0, correction=0), None, [(A, "any")]),
    ("std_all", lambda a: a.std(), None, [(A, "any")]),
    ("max", lambda a: a.max(), None, [(A, "any")]),
    ("max_dim", lambda a: a.max(1).values, None, [(A, "any")]),
    ("min_dim", lambda a: a.min(0, keepdim=True).values, None, [(A, "any")]),
    ("reshape_flatten", lambda a: a.reshape(2, 6).flatten() * a.view(12), None, [(A, "any")]),
    ("transpose_permute_T", lambda a: a.T.unsqueeze(0).permute(2, 1, 0).transpose(0, 1).squeeze(),
     None, [(A, "any")]),
    ("expand", lambda a: a.expand(2, 3, 4), None, [((3, 1), "any")]),
    ("getitem_repeated", lambda a: a[[0, 2, 0], [1, 1, 1]], None, [(A, "any")]),
    ("getitem_slice", lambda a: a[1:, ::2], None, [(A, "any")]),
    ("getitem_mask", lambda a: a[a > 0], None, [(A, "any")]),
    ("cat", lambda a, b: tg.cat([a, b, a], 1), lambda a, b: torch.cat([a, b, a], 1),
     [((2, 3), "any"), ((2, 1), "any")]),
    ("stack", lambda a, b: tg.stack([a, b], 0), lambda a, b: torch.stack([a, b], 0),
     [(A, "any"), (A, "any")]),
    ("where", lambda a, b: tg.where(tg.tensor(MASK), a, b), lambda a, b: torch.where(torch.tensor(MASK), a, b),
     [(A, "any"), ((4,), "any")]),
    ("masked_fill", lambda a: a.masked_fill(tg.tensor(MASK), 2.0),
     lambda a: a.masked_fill(torch.tensor(MASK), 2.0), [(A, "any")]),
    ("clamp", lambda a: a.clamp(-1.0, 1.0), None, [(A, "any")]),
    ("maximum", lambda a, b: a.maximum(b), None, [(A, "any"), ((1, 4), "any")]),
    ("minimum", lambda a, b: a.minimum(b), None, [(A, "any"), (A, "any")]),
    ("clone", lambda a: a.clone() * a, None, [(A, "any")]),
    ("hardtanh", lambda a: tg.nn.functional.hardtanh(a), lambda a: F.hardtanh(a), [(A, "any")]),
    ("relu6", lambda a: tg.nn.functional.relu6(a * 4), lambda a: F.relu6(a * 4), [(A, "any")]),
    ("l1_loss", lambda a, b: tg.nn.functional.l1_loss(a, b), lambda a, b: F.l1_loss(a, b),
     [(A, "any"), (A, "any")]),
    ("smooth_l1_loss", lambda a, b: tg.nn.functional.smooth_l1_loss(a, b, reduction="none", beta=1.5),
     lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=1.5), [(A, "any"), (A, "any")]),
    ("huber_loss", lambda a, b: tg.nn.functional.huber_loss(a, b, reduction="sum"),
     lambda a, b: F.huber_loss(a, b, reduction="sum"), [(A, "any"), (A, "any")]),
    ("bce", lambda a, b: tg.nn.functional.binary_cross_entropy(a.sigmoid(), b.sigmoid()),
     lambda a, b: F.binary_cross_entropy(a.sigmoid(), b.sigmoid()), [(A, "any"), (A, "any")]),
    ("bce_with_logits", lambda a, b: tg.nn.functional.binary_cross_entropy_with_logits(a, b.sigmoid(), reduction="sum"),
     lambda a, b: F.binary_cross_entropy_with_logits(a, b.sigmoid(), reduction="sum"), [(A, "any"), (A, "any")]),
    ("bce_with_logits_pos_weight", lambda a, b: tg.nn.functional.binary_cross_entropy_with_logits(
        a, b.sigmoid(), pos_weight=tg.tensor([0.5, 2.0, 1.0, 3.0], dtype=tg.float64)),
     lambda a, b: F.binary_cross_entropy_with_logits(
        a, b.sigmoid(), pos_weight=torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=torch.float64)), [(A, "any"), (A, "any")]),
    ("mse_loss", lambda a, b: tg.nn.functional.mse_loss(a, b), lambda a, b: F.mse_loss(a, b),
     [(A, "any"), (A, "any")]),
    ("mse_loss_none", lambda a, b: tg.nn.functional.mse_loss(a, b, reduction="none"),
     lambda a, b: F.mse_loss(a, b, reduction="none"), [(A, "any"), (A, "any")]),
]


@pytest.mark.parametrize("name, fn, torch_fn, specs", OPS, ids=[o[0] for o in OPS])
def test_hvp_and_double_backward_match_torch(name, fn, torch_fn, specs):
    arrays = [arr(shape, domain, seed=i) for i, (shape, domain) in enumerate(specs)]
    check_second_order(fn, torch_fn or fn, *arrays)


def test_grad_of_grad_of_a_scalar_function_to_third_order():
    x = tg.tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
    t = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64, requires_grad=True)
    ys = [(x ** 3 * x.tanh()).sum()]
    tys = [(t ** 3 * t.tanh()).sum()]
    for order in range(1, 4):
        (g,) = tg.grad(ys[-1], x, create_graph=True)
        (tg_,) = torch.autograd.grad(tys[-1], t, create_graph=True)
        close(g.detach().numpy(), tg_.detach().numpy(), f"derivative of order {order}")
        ys.append(g.sum())
        tys.append(tg_.sum())


def test_hessian_of_x_cubed_is_6x():
    x = tg.tensor(np.array([1.0, -2.0, 0.5]), requires_grad=True)
    (g,) = tg.grad((x ** 3).sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x)
    np.testing.assert_array_equal(g.detach().numpy(), 3 * x.detach().numpy() ** 2)
    np.testing.assert_array_equal(h.detach().numpy(), 6 * x.detach().numpy())


def test_gradients_without_create_graph_are_constants():
    x = tg.tensor(np.array([1.0, 2.0]), requires_grad=True)
    (g,) = tg.grad((x.exp() * x).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    y = (x.exp() * x).sum()
    y.backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_backward_with_create_graph_gives_each_leaf_its_own_writable_grad_as_torch():
    # An Add passes one gradient to both leaves, and a sum's gradient is a broadcast view.
    for lib in (tg, torch):
        x = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=True)
        y = lib.tensor([0.0, 0.0], dtype=lib.float64, requires_grad=True)
        ((x + y) ** 2).sum().backward(create_graph=True)
        assert x.grad is not y.grad and x.grad.requires_grad
        lib.nn.utils.clip_grad_norm_([x, y], max_norm=1.0)
        np.testing.assert_allclose(x.grad.tolist(), [0.6 / 2 ** 0.5, 0.8 / 2 ** 0.5])
        np.testing.assert_allclose(y.grad.tolist(), x.grad.tolist())
        z = lib.tensor([1.0, 2.0], requires_grad=True)
        z.sum().backward(create_graph=True)
        lib.nn.utils.clip_grad_value_([z], 0.5)
        assert z.grad.tolist() == [0.5, 0.5]
        with lib.no_grad():
            z.grad.zero_()
        assert z.grad.tolist() == [0.0, 0.0]


# ---- a small tanh MLP -------------------------------------------------------------------------

def mlp_loss(x, y, w1, b1, w2, b2, lib):
    logits = (x @ w1 + b1).tanh() @ w2 + b2
    arange = tg.arange if lib is tg else torch.arange
    return logits.log_softmax(1)[arange(x.shape[0]), y].mean().neg()


def mlp_arrays():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((6, 4))
    y = rng.integers(0, 3, 6)
    params = [rng.standard_normal(s) * 0.7 for s in [(4, 5), (5,), (5, 3), (3,)]]
    vs = [rng.standard_normal(p.shape) for p in params]
    return x, y, params, vs


def test_mlp_hvp_matches_torch_functional_hvp():
    x, y, params, vs = mlp_arrays()
    ps = [tg.tensor(p, requires_grad=True) for p in params]
    loss = mlp_loss(tg.tensor(x), tg.tensor(y), *ps, lib=tg)
    grads = tg.grad(loss, ps, create_graph=True)
    hv = tg.grad(sum((g * tg.tensor(v)).sum() for g, v in zip(grads, vs)), ps)

    tx, ty = torch.tensor(x), torch.tensor(y)
    tloss, thv = torch.autograd.functional.hvp(
        lambda *tp: mlp_loss(tx, ty, *tp, lib=torch), tuple(torch.tensor(p) for p in params),
        tuple(torch.tensor(v) for v in vs))
    close(loss.detach().numpy(), tloss.detach().numpy(), "loss")
    for i, (h, th) in enumerate(zip(hv, thv)):
        close(h.detach().numpy(), th.detach().numpy(), f"Hv of parameter {i}")


def test_mlp_double_backward_matches_torch():
    # A gradient-norm penalty, as in WGAN-GP: d/dparams of |d loss / d x|^2.
    x, y, params, _ = mlp_arrays()
    xs = tg.tensor(x, requires_grad=True)
    ps = [tg.tensor(p, requires_grad=True) for p in params]
    (gx,) = tg.grad(mlp_loss(xs, tg.tensor(y), *ps, lib=tg), xs, create_graph=True)
    (gx * gx).sum().backward()

    tx = torch.tensor(x, requires_grad=True)
    tps = [torch.tensor(p, requires_grad=True) for p in params]
    (tgx,) = torch.autograd.grad(mlp_loss(tx, torch.tensor(y), *tps, lib=torch), tx, create_graph=True)
    (tgx * tgx).sum().backward()
    close(gx.detach().numpy(), tgx.detach().numpy(), "d loss / d x")
    close(xs.grad.detach().numpy(), tx.grad.detach().numpy(), "penalty gradient for x")
    for i, (p, tp) in enumerate(zip(ps, tps)):
        close(p.grad.detach().numpy(), tp.grad.detach().numpy(), f"penalty gradient for parameter {i}")


@pytest.mark.parametrize("op", ["relu", "abs"])
def test_the_second_derivative_of_a_kinked_op_alone_is_zero_as_in_torch(op):
    x = arr((5,))
    t = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(getattr(t, op)().sum(), t, create_graph=True)
    (theirs,) = torch.autograd.grad(g.sum(), t)
    ours_x = tg.tensor(x, requires_grad=True)
    (ours_g,) = tg.grad(getattr(ours_x, op)().sum(), ours_x, create_graph=True)
    (ours,) = tg.grad(ours_g.sum(), ours_x)
    close(ours.detach().numpy(), theirs.numpy(force=True), op)  # torch gives abs a ZeroTensor here
    close(ours_g.detach().numpy(), g.detach().numpy(), op)


# ---- ops whose derivative is piecewise constant -------------------------------------------------

TARGET = np.array([[0.1, -0.2, 0.5], [-0.6, 0.2, 1.9]])
X = np.array([[-2.5, -0.7, 0.3], [0.9, 1.6, -1.2]])  # on both sides of every switch point below
PIECEWISE = [  # name, op(lib, x), whether torch's first gradient depends on x
    ("leaky_relu", lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1), True),
    ("leaky_relu_method", lambda lib, x: x.leaky_relu(0.2) if lib is tg else F.leaky_relu(x, 0.2), True),
    ("hardtanh", lambda lib, x: lib.nn.functional.hardtanh(x, -1.0, 0.5), True),
    ("relu6", lambda lib, x: lib.nn.functional.relu6(x * 3), True),
    ("relu", lambda lib, x: lib.nn.functional.relu(x), True),
    ("abs", lambda lib, x: x.abs(), True),
    ("l1_loss", lambda lib, x: lib.nn.functional.l1_loss(x, lib.tensor(TARGET, dtype=x.dtype)), True),
    ("l1_loss_none", lambda lib, x: lib.nn.functional.l1_loss(x, lib.tensor(TARGET, dtype=x.dtype),
                                                              reduction="none"), True),
    ("smooth_l1_loss_beta_0", lambda lib, x: lib.nn.functional.smooth_l1_loss(
        x, lib.tensor(TARGET, dtype=x.dtype), reduction="sum", beta=0.0), True),
    ("smooth_l1_loss", lambda lib, x: lib.nn.functional.smooth_l1_loss(
        x, lib.tensor(TARGET, dtype=x.dtype), reduction="none", beta=0.5), True),
    ("huber_loss", lambda lib, x: lib.nn.functional.huber_loss(x, lib.tensor(TARGET, dtype=x.dtype), delta=0.5), True),
    # torch's rules of these take no differentiable function of the input: the gradient is a constant
    ("clamp", lambda lib, x: x.clamp(-1.0, 1.0), False),
    ("clamp_tensor", lambda lib, x: x.clamp(lib.tensor(TARGET - 1, dtype=x.dtype)), False),
    ("sign", lambda lib, x: x.sign(), False),
    ("masked_fill", lambda lib, x: x.masked_fill(lib.tensor(X > 0), 2.0), False),
    ("where", lambda lib, x: lib.where(x > 0, x, 0.0), False),
    ("max", lambda lib, x: x.max(), False),
    ("max_dim", lambda lib, x: x.max(1).values, False),
    ("amin", lambda lib, x: x.amin(0), False),
    ("maximum", lambda lib, x: x.maximum(lib.tensor(TARGET, dtype=x.dtype)), False),
    ("remainder", lambda lib, x: x % 0.7, False),
]


def first_and_second(lib, op, x, dtype):
    """The gradient of op's output (weighted by v, which requires grad) with create_graph, and the
    derivatives of its weighted sum with respect to x and v."""
    xt = lib.tensor(x, dtype=dtype, requires_grad=True)
    out = op(lib, xt)
    v = lib.tensor(np.linspace(0.5, 1.5, int(np.prod(out.shape))).reshape(out.shape), dtype=dtype,
                   requires_grad=True)
    (g,) = lib.autograd.grad(out, xt, grad_outputs=v, create_graph=True)
    if not g.requires_grad:  # sign's gradient is zeros, which depend on neither
        return g, None, None
    u = lib.tensor(np.arange(1.0, 7.0).reshape(X.shape), dtype=dtype)
    hx, hv = lib.autograd.grad((g * u).sum(), [xt, v], allow_unused=True)
    return g, hx, hv


def values(t):
    return t.detach().numpy() if isinstance(t, tg.Tensor) else t.numpy(force=True)  # torch may give a ZeroTensor


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, op, linked", PIECEWISE, ids=[p[0] for p in PIECEWISE])
def test_the_gradient_of_a_piecewise_linear_op_depends_on_its_input_as_in_torch(name, op, linked, dtype):
    # With a constant incoming gradient, torch's first gradient requires grad exactly when its rule
    # takes the input; then its second derivative is 0 (not missing), and the derivative with
    # respect to the incoming gradient is the slope.
    theirs_x = torch.tensor(X, dtype=getattr(torch, dtype), requires_grad=True)
    (tplain,) = torch.autograd.grad(op(torch, theirs_x).sum(), theirs_x, create_graph=True)
    assert tplain.requires_grad is linked
    ours_x = tg.tensor(X, dtype=getattr(tg, dtype), requires_grad=True)
    (plain,) = tg.grad(op(tg, ours_x).sum(), ours_x, create_graph=True)
    assert plain.requires_grad is linked
    np.testing.assert_array_equal(values(plain), values(tplain))
    if linked:
        (h,) = tg.grad(plain.sum(), ours_x)
        (th,) = torch.autograd.grad(tplain.sum(), theirs_x)
        np.testing.assert_allclose(values(h), values(th), rtol=1e-6, atol=0)
    g, hx, hv = first_and_second(tg, op, X, getattr(tg, dtype))
    tg_, thx, thv = first_and_second(torch, op, X, getattr(torch, dtype))
    assert g.requires_grad is tg_.requires_grad and g.dtype == getattr(tg, dtype)
    assert (hx is None) == (thx is None) == (not linked)
    pairs = [(g, tg_, "gradient")] + [(hv, thv, "d/dv")] * g.requires_grad + [(hx, thx, "d/dx")] * linked
    for ours, theirs, what in pairs:
        np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-6, atol=0, err_msg=what)


def test_the_create_graph_gradients_of_the_regression_losses_are_exact_at_inf_as_torch():
    x = np.array([np.inf, -3.0, 0.2, -np.inf])
    t = np.array([0.0, 0.0, 0.0, 1.0])
    u = np.array([1.0, 2.0, 3.0, 4.0])
    for name, kwargs in [("huber_loss", {"delta": 0.5}), ("smooth_l1_loss", {"beta": 0.5}), ("l1_loss", {})]:
        results = []
        for lib in (tg, torch):
            xs, ts = lib.tensor(x, requires_grad=True), lib.tensor(t, requires_grad=True)
            gx, gt = lib.autograd.grad(getattr(lib.nn.functional, name)(xs, ts, **kwargs), [xs, ts], create_graph=True)
            hx, ht = lib.autograd.grad((gx * lib.tensor(u)).sum() + gt.sum(), [xs, ts])
            results.append([values(a) for a in (gx, gt, hx, ht)])
        for ours, theirs in zip(*results):
            np.testing.assert_array_equal(ours, theirs, err_msg=name)  # no NaN from inf * 0


def test_third_order_through_a_zero_derivative():
    x = tg.tensor(X, requires_grad=True)
    (g,) = tg.grad(tg.nn.functional.leaky_relu(x, 0.1).sum(), x, create_graph=True)
    (h,) = tg.grad(g.sum(), x, create_graph=True)
    assert h.requires_grad is False  # torch's is a constant too: zeros
    np.testing.assert_array_equal(h.numpy(), np.zeros(X.shape))
