"""Numerical stability: the saturating functions and losses stay finite and match torch for inputs
of magnitude 1e4, in float32 and float64, forward and backward."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import tinygrad_mnist as tg
from tinygrad_mnist.nn import functional as F
from tinygrad_mnist.testing import assert_matches_torch

LABELS = np.array([0, 3, 1, 4])
BINARY = (np.arange(20).reshape(4, 5) % 2).astype(np.float64)


def huge(dtype, scale=1e4):
    """(4, 5) values of magnitude up to `scale`, with both extremes exactly present and a zero."""
    x = np.random.default_rng(0).standard_normal((4, 5)) * scale
    x[0, :3] = scale, -scale, 0.0
    return x.astype(dtype)


def binary_like(x):
    return BINARY.astype(np.asarray(x.data if isinstance(x, tg.Tensor) else x.detach().numpy()).dtype)


FUNCTIONS = {
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "softmax": (lambda x: x.softmax(dim=1), lambda x: x.softmax(dim=1)),
    "log_softmax": (lambda x: x.log_softmax(dim=1), lambda x: x.log_softmax(dim=1)),
    "logsumexp": (lambda x: x.logsumexp(dim=1), lambda x: x.logsumexp(dim=1)),
    "cross_entropy": (lambda x: F.cross_entropy(x, tg.tensor(LABELS)),
                      lambda x: TF.cross_entropy(x, torch.tensor(LABELS))),
    "cross_entropy(label_smoothing=0.1)": (lambda x: F.cross_entropy(x, tg.tensor(LABELS), label_smoothing=0.1),
                                           lambda x: TF.cross_entropy(x, torch.tensor(LABELS), label_smoothing=0.1)),
    "binary_cross_entropy_with_logits": (
        lambda x: F.binary_cross_entropy_with_logits(x, tg.tensor(binary_like(x))),
        lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(binary_like(x)))),
    "binary_cross_entropy(sigmoid)": (  # sigmoid(+-1e4) is exactly 1 or 0: a saturated probability
        lambda x: F.binary_cross_entropy(x.sigmoid(), tg.tensor(binary_like(x))),
        lambda x: TF.binary_cross_entropy(x.sigmoid(), torch.tensor(binary_like(x)))),
}
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-10, atol=1e-12)}


@pytest.mark.parametrize("scale", [1.0, 1e4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", FUNCTIONS)
def test_matches_torch_and_stays_finite_at_large_magnitudes(name, dtype, scale):
    ours, theirs = FUNCTIONS[name]
    x = huge(dtype, scale)
    assert_matches_torch(ours, theirs, x, **TOLERANCE[dtype])  # forward, backward, dtypes
    xt = tg.tensor(x, requires_grad=True)
    out = ours(xt)
    out.sum().backward()
    assert np.isfinite(out.data).all() and np.isfinite(xt.grad.data).all()
    assert out.dtype == xt.grad.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_gradient_is_finite_at_saturated_probabilities_like_torch(dtype):
    # p = 0 or 1 exactly: the log is clamped at -100 and the gradient uses max(p (1 - p), 1e-12)
    p = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 1e-30]], dtype)
    t = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]], dtype)
    for reduction in ("mean", "sum", "none"):
        assert_matches_torch(lambda x: F.binary_cross_entropy(x, tg.tensor(t), reduction=reduction),
                             lambda x: TF.binary_cross_entropy(x, torch.tensor(t), reduction=reduction),
                             p, **TOLERANCE[dtype])


def test_bce_with_logits_gradient_at_zero_is_sigmoid_minus_target():
    # a zero-initialised output layer gives logits of exactly 0, where max(x, 0) and |x| have kinks
    t = np.array([0.0, 1.0, 0.5])
    assert_matches_torch(lambda x: F.binary_cross_entropy_with_logits(x, tg.tensor(t), reduction="sum"),
                         lambda x: TF.binary_cross_entropy_with_logits(x, torch.tensor(t), reduction="sum"),
                         np.zeros(3))


@pytest.mark.parametrize("fn, torch_fn", [
    (F.binary_cross_entropy, TF.binary_cross_entropy),
    (F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits),
], ids=["bce", "bce_with_logits"])
def test_fused_binary_losses_have_torch_gradients_for_target_and_second_order(fn, torch_fn):
    gen = np.random.default_rng(1)
    p, t = gen.uniform(0.05, 0.95, (4, 3)), gen.uniform(0, 1, (4, 3))
    assert_matches_torch(fn, torch_fn, p, t)  # also the gradient with respect to the target
    ours = tg.tensor(p, requires_grad=True)
    (g,) = tg.grad(fn(ours, tg.tensor(t)), ours, create_graph=True)
    (g * g).sum().backward()
    theirs = torch.tensor(p, requires_grad=True)
    (tg_,) = torch.autograd.grad(torch_fn(theirs, torch.tensor(t)), theirs, create_graph=True)
    (tg_ * tg_).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10)


def test_masked_softmax_with_minus_infinity_matches_torch():
    x = np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32)
    mask = np.array([[True, False, False, True]] * 3)
    assert_matches_torch(lambda v: v.masked_fill(tg.tensor(mask), float("-inf")).softmax(dim=1),
                         lambda v: v.masked_fill(torch.tensor(mask), float("-inf")).softmax(dim=1),
                         x, **TOLERANCE[np.float32])
