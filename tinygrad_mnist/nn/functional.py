"""nn.functional: layers and losses as functions, including the fused linear and cross-entropy."""
from __future__ import annotations

import numpy as np

from .. import rng
from ..autograd import Function
from ..errors import ConfigError, DataError, DTypeError, ShapeError
from ..tensor import Tensor, _as_tensor, _make_tensor

_REDUCTIONS = ("mean", "sum", "none")
_UNSIGNED = {n: np.dtype(f"u{n}") for n in (1, 2, 4, 8)}


class Linear(Function):
    """x @ w.T + b in one node; backward is g @ w, g.T @ x and g summed over the batch."""
    save_inputs = True
    array_backward = True

    def forward(self, x, w, *bias):
        out = x @ w.T
        if bias:
            out += bias[0]
        return out

    def backward(self, g):
        x, w = self.inputs[:2]
        edges = self.next
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
        gx = None if edges[0] is None else g @ w
        gw = None if edges[1] is None else _weight_grad(g2, x2, w)
        if len(edges) == 2:
            return gx, gw
        if edges[2] is None:
            return gx, gw, None
        # ndarray.sum goes through a Python wrapper, which costs as much as the sum at these sizes
        return gx, gw, np.add.reduce(g2, axis=0) if type(g2) is np.ndarray else g2.sum(0)


def _weight_grad(g, x, w):
    """g.T @ x, in w's memory layout: for a column-major weight BLAS writes x.T @ g, the same
    numbers transposed, into a column-major array of its own."""
    if type(w) is not np.ndarray or not w.flags.f_contiguous or w.flags.c_contiguous:
        return g.T @ x
    gw = np.empty(w.shape, w.dtype, order="F")
    np.matmul(x.T, g, out=gw.T)
    return gw


class CrossEntropy(Function):
    """Softmax cross-entropy, fused: loss_i = -sum_c q_ic log_softmax(x)_ic, where q is the target
    distribution (one-hot rows of the class targets, smoothed when asked, or given probabilities);
    d loss_i / dx_i = p_i * sum(q_i) - q_i with p = softmax(x)."""
    save_inputs = True
    array_backward = True

    def forward(self, logits, target, smoothing, reduction):
        self.args = {"reduction": reduction}
        shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = np.add.reduce(exp, axis=1, keepdims=True)
        log_total = np.log(total)
        if target.dtype.kind == "f":
            log_probs = shifted - log_total
            losses = -(_distribution(target, smoothing, log_probs) * log_probs).sum(axis=1)
        else:  # class indices: -log_probs[i, y_i] = log_total[i] - shifted[i, y_i], no one-hot matrix
            losses = log_total[:, 0] - shifted[np.arange(len(target)), target]
            if smoothing:
                losses = (1 - smoothing) * losses - smoothing / logits.shape[1] * (shifted - log_total).sum(axis=1)
        np.divide(exp, total, out=exp)
        self.save(exp, target, smoothing, reduction)
        return _reduce_array(losses, reduction)

    def backward(self, g):
        probs, target, smoothing, reduction = self.saved
        n = len(target)
        scale = g.reshape(-1, 1) if reduction == "none" else (g / n if reduction == "mean" else g)
        if isinstance(g, Tensor):  # create_graph: the softmax must be part of the new graph
            q = _distribution(target, smoothing, probs)
            return scale * (self.inputs[0].softmax(dim=1) * q.sum(axis=1, keepdims=True) - q)
        grad = _softmax_minus_target(probs, target, smoothing)
        grad *= scale
        return grad


def _distribution(target: np.ndarray, smoothing: float, like: np.ndarray) -> np.ndarray:
    """The dense target distribution: probabilities as given, or one-hot rows of class indices;
    smoothed towards uniform by label smoothing."""
    if target.dtype.kind == "f":
        q = target.astype(like.dtype, copy=False)
    else:
        q = np.zeros(like.shape, dtype=like.dtype)
        q[np.arange(len(target)), target] = 1
    return q * (1 - smoothing) + smoothing / like.shape[1] if smoothing else q


def _softmax_minus_target(probs: np.ndarray, target: np.ndarray, smoothing: float) -> np.ndarray:
    """p * sum(q) - q as a new array, for class targets without building q."""
    if target.dtype.kind == "f":
        q = _distribution(target, smoothing, probs)
        return probs * q.sum(axis=1, keepdims=True) - q
    grad = probs - smoothing / probs.shape[1] if smoothing else probs.copy()
    grad[np.arange(len(target)), target] -= 1 - smoothing
    return grad


class SquaredError(Function):
    """(x - t)^2, reduced, in one node; d/dx = 2 (x - t) g (over the count for the mean) = -d/dt."""
    save_inputs = True
    array_backward = True

    def forward(self, x, t, reduction):
        self.save(reduction, x.size)
        self.args = {"reduction": reduction}
        diff = x - t
        diff *= diff
        return _reduce_array(diff, reduction)

    def backward(self, g):
        x, t = self.inputs
        reduction, count = self.saved
        grad = (x - t) * (g * (2 / count) if reduction == "mean" else g * 2)
        need_x, need_t = self.next[0] is not None, self.next[1] is not None
        return (grad if need_x else None), (-grad if need_t else None)


class BinaryCrossEntropy(Function):
    """-(t log p + (1 - t) log(1 - p)) with each log clamped at -100, fused so that saturated
    probabilities (p = 0 or 1) give torch's finite gradient (p - t) / max(p (1 - p), 1e-12)."""
    save_inputs = True

    def forward(self, p, t, reduction):
        with np.errstate(divide="ignore"):
            log_p, log_q = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        self.save(reduction)
        self.args = {"reduction": reduction}
        return _reduce_array(-(t * log_p + (1 - t) * log_q), reduction)

    def backward(self, g):
        p, t = self.inputs
        g = _per_element(g, self.saved[0], p.numel())
        gp = g * (p - t) / (p * (1 - p)).clamp(min=_BCE_EPS) if self.needs[0] else None
        gt = g * ((-p).log1p() - p.log()) if self.needs[1] else None
        return gp, gt


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid + BCE in the stable form max(x, 0) - x t + log1p(exp(-|x|)); d/dx = sigmoid(x) - t
    (also at x = 0, where the composed form's kinks would give 1 - t)."""
    save_inputs = True

    def forward(self, x, t, reduction):
        self.save(reduction)
        self.args = {"reduction": reduction}
        losses = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        return _reduce_array(losses, reduction)

    def backward(self, g):
        x, t = self.inputs
        g = _per_element(g, self.saved[0], x.numel())
        gx = g * (x.sigmoid() - t) if self.needs[0] else None
        gt = g * -x if self.needs[1] else None
        return gx, gt


_BCE_EPS = float(np.float32(1e-12))  # torch's epsilon is a C float, so it is this in float64 too


def _per_element(g, reduction: str, count: int):
    """The gradient reaching each element of a loss's input from its reduced output."""
    return g / count if reduction == "mean" else g


def _reduce_array(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.add.reduce(values, axis=None) / values.size
    return np.add.reduce(values, axis=None) if reduction == "sum" else values


def _reduce(values: Tensor, reduction: str) -> Tensor:
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
    data = x.data if isinstance(x, Tensor) else None
    if data is None or data.dtype.kind != "f" or not data.shape or data.shape[-1] != weight.data.shape[-1]:
        _bad_linear_input(x, weight)
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)


def _bad_linear_input(x, weight: Tensor) -> None:
    """Raise the error that says what is wrong with linear's input."""
    _check_float_tensor(x, "linear", "input")
    if not x.shape:
        raise ShapeError("linear: input must have at least 1 dim (features last), got a 0-d tensor")
    raise ShapeError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight "
                     f"expects {weight.shape[-1]} (weight shape {weight.shape})")


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    check_probability(p, "dropout", "p")
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
    out.reshape(y.size, num_classes)[np.arange(y.size), y.ravel()] = 1
    return _make_tensor(out, None)


# ---- losses --------------------------------------------------------------------------------------

def cross_entropy(input: Tensor, target, *, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C)."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    x = input.data if isinstance(input, Tensor) else None
    # The usual call, float logits (N, C) with N class indices and valid options, passes one test
    # and only the indices' range is left to check; any other goes through every check in turn.
    if (x is not None and x.dtype.kind == "f" and t.dtype.kind in "iu" and len(x.shape) == 2
            and x.shape[1] and t.shape == x.shape[:1] and (x.shape[0] or reduction != "mean")
            and reduction in _REDUCTIONS and type(label_smoothing) is float and 0 <= label_smoothing <= 1):
        _check_range(t, x.shape[1], "cross_entropy")
    else:
        _check_cross_entropy_args(input, t, reduction, label_smoothing)
        if isinstance(target, Tensor) and target.requires_grad:
            return _cross_entropy_with_target_grad(input, target, reduction, label_smoothing)
    return CrossEntropy.apply(input, target=t, smoothing=label_smoothing, reduction=reduction)


def _cross_entropy_with_target_grad(input: Tensor, target: Tensor, reduction: str, smoothing: float) -> Tensor:
    """cross_entropy against probabilities that want a gradient (d loss / d q = -log_softmax(x),
    scaled), from differentiable ops: the fused CrossEntropy holds its target as a constant."""
    q = target * (1 - smoothing) + smoothing / input.shape[1] if smoothing else target
    return _reduce(-(q * input.log_softmax(dim=1)).sum(dim=1), reduction)


def _check_cross_entropy_args(input: Tensor, t: np.ndarray, reduction: str, label_smoothing: float) -> None:
    check_reduction(reduction, "cross_entropy")
    check_probability(label_smoothing, "cross_entropy", "label_smoothing")
    _check_float_tensor(input, "cross_entropy", "input")
    shape = input.data.shape
    if len(shape) != 2 or shape[1] == 0:
        raise ShapeError(f"cross_entropy: expected logits of shape (N, C) with C >= 1, got {shape}")
    _check_not_empty(input, reduction, "cross_entropy")
    n, c = shape
    if t.dtype.kind == "f":
        if t.shape != shape:
            raise ShapeError(f"cross_entropy: float targets are class probabilities and must have the "
                             f"logits' shape {input.shape}, got {t.shape}; class-index targets must be "
                             f"integers (use .long())")
        _check_finite(t, "cross_entropy", "target")
    else:
        y = _class_indices(t, "cross_entropy")
        if y.shape != (n,):
            raise ShapeError(f"cross_entropy: expected {n} class indices (shape ({n},)) for logits "
                             f"{input.shape}, got target shape {y.shape}")
        _check_range(y, c, "cross_entropy")


def nll_loss(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at class indices (N,)."""
    check_reduction(reduction, "nll_loss")
    _check_float_tensor(input, "nll_loss", "input")
    if input.ndim != 2:
        raise ShapeError(f"nll_loss: expected log-probabilities of shape (N, C), got {input.shape}")
    y = _class_indices(target, "nll_loss")
    if y.shape != (input.shape[0],):
        raise ShapeError(f"nll_loss: expected {input.shape[0]} class indices, got target shape {y.shape}")
    _check_range(y, input.shape[1], "nll_loss")
    _check_not_empty(input, reduction, "nll_loss")
    return _reduce(-input[np.arange(len(y)), y.astype(np.intp, copy=False)], reduction)  # uint8 would be a mask


def mse_loss(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    """Mean squared error; input and target must have the same shape (as torch warns otherwise)."""
    target = _float_target(input, target, reduction, "mse_loss")
    return SquaredError.apply(input, target, reduction=reduction)


def binary_cross_entropy(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    """BCE of probabilities in [0, 1]; each log is clamped at -100, as PyTorch does."""
    target = _binary_target(input, target, reduction, "binary_cross_entropy")
    outside = (input.data < 0) | (input.data > 1)  # NaN is let through, so that fit() reports it
    if outside.any():
        raise DataError(f"binary_cross_entropy: input must be probabilities in [0, 1], got "
                        f"{input.data[outside].flat[0].item()} (use binary_cross_entropy_with_logits for raw scores)")
    return BinaryCrossEntropy.apply(input, target, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, *, reduction: str = "mean") -> Tensor:
    """Sigmoid + BCE in one stable op: max(x, 0) - x*t + log1p(exp(-|x|))."""
    target = _binary_target(input, target, reduction, "binary_cross_entropy_with_logits")
    return BinaryCrossEntropyWithLogits.apply(input, target, reduction=reduction)


# ---- argument checks -----------------------------------------------------------------------------

def check_reduction(reduction: str, op: str) -> None:
    """Raise ConfigError unless reduction is 'mean', 'sum' or 'none'."""
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ConfigError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def check_probability(value, op: str, name: str) -> None:
    """Raise DTypeError unless value is a real number, ConfigError unless it lies in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DTypeError(f"{op}: {name} must be a number in [0, 1], got {value!r} of type {type(value).__name__}")
    if not 0 <= value <= 1:
        raise ConfigError(f"{op}: {name} must be in [0, 1], got {value!r}")


def _check_float_tensor(x, op: str, name: str) -> None:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}; wrap arrays with tg.tensor(...)")
    if x.data.dtype.kind != "f":
        raise DTypeError(f"{op}: {name} must be floating point, got dtype {x.dtype}; convert with .float() "
                         f"(images: data.transforms.scale)")


def _check_not_empty(input: Tensor, reduction: str, op: str) -> None:
    if reduction == "mean" and input.data.size == 0:
        raise ShapeError(f"{op}: the batch is empty (input shape {input.shape}), so the mean loss is "
                         f"undefined; skip empty batches or use reduction='sum'")


def _check_finite(values: np.ndarray, op: str, name: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(f"{op}: {name} must hold finite numbers, got {values[index].item()} at index {index}")


def _class_indices(target, op: str) -> np.ndarray:
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype.kind not in "iu":
        raise DTypeError(f"{op}: class-index targets must be integers, got dtype {y.dtype}")
    return y


def _check_range(y: np.ndarray, num_classes: int, op: str) -> None:
    # One pass checks both ends: read as unsigned, negative indices become huge. On a batch of
    # indices argmax plus item() (a Python int) costs a third of a ufunc reduction (max).
    unsigned = y if y.dtype.kind == "u" else y.view(_UNSIGNED[y.dtype.itemsize])
    if y.size and unsigned.item(unsigned.argmax()) >= num_classes:
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise DataError(f"{op}: class index {bad} is out of range for {num_classes} classes "
                        f"(expected 0 to {num_classes - 1})")


def _float_target(input: Tensor, target, reduction: str, op: str) -> Tensor:
    """Check a loss's input and its same-shaped numeric target; the target in the input's dtype."""
    check_reduction(reduction, op)
    _check_float_tensor(input, op, "input")
    target = _as_tensor(target)
    if target.dtype.kind not in "biuf":
        raise DTypeError(f"{op}: target must be numeric, got dtype {target.dtype}")
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target shape {target.shape} differs from input shape {input.shape}")
    _check_not_empty(input, reduction, op)
    _check_finite(target.data, op, "target")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    return target


def _binary_target(input: Tensor, target, reduction: str, op: str) -> Tensor:
    """A binary loss's target: as _float_target, and each value in [0, 1]."""
    target = _float_target(input, target, reduction, op)
    outside = (target.data < 0) | (target.data > 1)
    if outside.any():
        raise DataError(f"{op}: target must be in [0, 1] (0/1 labels or probabilities), got "
                        f"{target.data[outside].flat[0].item()}; for class indices use cross_entropy")
    return target
