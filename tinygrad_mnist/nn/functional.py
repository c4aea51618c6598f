"""nn.functional: layers and losses as functions, including the fused linear and cross-entropy."""
from __future__ import annotations

import numpy as np

from .. import autograd, rng
from ..autograd import Function
from ..errors import DTypeError, ShapeError
from ..tensor import Tensor, _as_tensor, _make_tensor

_REDUCTIONS = ("mean", "sum", "none")


class Linear(Function):
    """x @ w.T + b in one node; backward is g @ w, g.T @ x and g summed over the batch."""
    save_inputs = True

    def forward(self, x, w, *bias):
        out = x @ w.T
        if bias:
            out += bias[0]
        return out

    def backward(self, g):
        x, w = self.inputs[:2]
        needs = self.needs
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        gx = g @ w if needs[0] else None
        gw = g2.T @ x2 if needs[1] else None
        gb = g2.sum(0) if len(needs) == 3 and needs[2] else None
        return (gx, gw, gb) if len(needs) == 3 else (gx, gw)


class CrossEntropy(Function):
    """Softmax cross-entropy against a target distribution q (rows of one-hot for class targets,
    smoothed when asked), fused: loss_i = -sum_c q_ic log_softmax(x)_ic, d/dx = p * sum(q) - q."""
    save_inputs = True

    def forward(self, logits, q, reduction):
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        losses = -(q * (shifted - np.log(total))).sum(axis=1)
        self.save(exp / total, q, reduction)
        self.args = {"reduction": reduction}
        return _reduce_array(losses, reduction)

    def backward(self, g):
        probs, q, reduction = self.saved
        if autograd.is_grad_enabled():  # create_graph: the softmax must be part of the new graph
            probs = self.inputs[0].softmax(dim=1)
        n = q.shape[0]
        if reduction == "none":
            g = g.reshape(n, 1)
        elif reduction == "mean":
            g = g / n
        return g * (probs * q.sum(axis=1, keepdims=True) - q)


def _reduce_array(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return values.mean()
    return values.sum() if reduction == "sum" else values


def _reduce(values: Tensor, reduction: str) -> Tensor:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if reduction == "mean":
        return values.mean()
    return values.sum() if reduction == "sum" else values


# ---- activations ---------------------------------------------------------------------------------

def relu(x: Tensor) -> Tensor: return x.relu()
def sigmoid(x: Tensor) -> Tensor: return x.sigmoid()
def tanh(x: Tensor) -> Tensor: return x.tanh()
def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor: return x.leaky_relu(negative_slope)
def softmax(x: Tensor, dim: int = -1) -> Tensor: return x.softmax(dim)
def log_softmax(x: Tensor, dim: int = -1) -> Tensor: return x.log_softmax(dim)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch."""
    if x.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight "
                         f"expects {weight.shape[-1]} (weight shape {weight.shape})")
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = rng.generator().random(x.shape, dtype=np.float32) >= p
    return x * (keep * x.dtype.type(1 / (1 - p)))


def one_hot(target: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows for class indices, as torch.nn.functional.one_hot."""
    y = _class_indices(target, "one_hot")
    if num_classes < 0:
        num_classes = int(y.max()) + 1 if y.size else 0
    _check_range(y, num_classes, "one_hot")
    out = np.zeros(y.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return _make_tensor(out, None)


# ---- losses --------------------------------------------------------------------------------------

def cross_entropy(input: Tensor, target, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    if input.ndim != 2:
        raise ShapeError(f"cross_entropy: expected logits of shape (N, C), got {input.shape}")
    n, c = input.shape
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind == "f":
        if t.shape != input.shape:
            raise ShapeError(f"cross_entropy: float targets are class probabilities and must have the "
                             f"logits' shape {input.shape}, got {t.shape}; class-index targets must be "
                             f"integers (use .long())")
        q = t.astype(input.dtype)
    else:
        y = _class_indices(t, "cross_entropy")
        if y.shape != (n,):
            raise ShapeError(f"cross_entropy: expected {n} class indices (shape ({n},)) for logits "
                             f"{input.shape}, got target shape {y.shape}")
        _check_range(y, c, "cross_entropy")
        q = np.zeros(input.shape, dtype=input.dtype)
        q[np.arange(n), y] = 1
    if label_smoothing:
        q = q * (1 - label_smoothing) + label_smoothing / c
    return CrossEntropy.apply(input, q=q, reduction=reduction)


def nll_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at class indices (N,)."""
    if input.ndim != 2:
        raise ShapeError(f"nll_loss: expected log-probabilities of shape (N, C), got {input.shape}")
    y = _class_indices(target, "nll_loss")
    if y.shape != (input.shape[0],):
        raise ShapeError(f"nll_loss: expected {input.shape[0]} class indices, got target shape {y.shape}")
    _check_range(y, input.shape[1], "nll_loss")
    return _reduce(-input[np.arange(len(y)), y], reduction)


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error; input and target must have the same shape (as torch warns otherwise)."""
    target = _float_target(input, target, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def binary_cross_entropy(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """BCE of probabilities in [0, 1]; each log is clamped at -100, as PyTorch does."""
    target = _float_target(input, target, "binary_cross_entropy")
    if input.data.size and (input.data.min() < 0 or input.data.max() > 1):
        raise ValueError("binary_cross_entropy: input must be probabilities in [0, 1] "
                         "(use binary_cross_entropy_with_logits for raw scores)")
    loss = -(target * input.log().clamp(min=-100) + (1 - target) * (-input).log1p().clamp(min=-100))
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Sigmoid + BCE in the stable form max(x, 0) - x*t + log1p(exp(-|x|))."""
    target = _float_target(input, target, "binary_cross_entropy_with_logits")
    loss = input.clamp(min=0) - input * target + (-input.abs()).exp().log1p()
    return _reduce(loss, reduction)


# ---- argument checks -----------------------------------------------------------------------------

def _class_indices(target, op: str) -> np.ndarray:
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype.kind not in "iu":
        raise DTypeError(f"{op}: class-index targets must be integers, got dtype {y.dtype}")
    return y


def _check_range(y: np.ndarray, num_classes: int, op: str) -> None:
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise ValueError(f"{op}: class index {bad} is out of range for {num_classes} classes "
                         f"(expected 0 to {num_classes - 1})")


def _float_target(input: Tensor, target, op: str) -> Tensor:
    target = _as_tensor(target)
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target shape {target.shape} differs from input shape {input.shape}")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    return target
