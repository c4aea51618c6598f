"""nn.functional: layers, activations, normalizations and losses as functions, including the fused linear and
cross-entropy (the newer activations and the normalizations live in their own modules and are re-exported here)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import rng
from ..activations import elu, gelu, hardtanh, logsigmoid, relu6, silu, softplus  # re-exported
from ..activations_more import (celu, hardshrink, hardsigmoid, hardswish, mish, prelu, selu, softshrink,  # re-exported
                                softsign, tanhshrink, threshold)
from ..autograd import Function, ZeroDerivative
from ..errors import ClassIndexError, ConfigError, DataError, DTypeError, OutOfRangeError, ShapeError
from ..functions import _BOOL_PRODUCT
from ..ops import CONSTANTS, sigmoid_array
from ..promotion import (_as_tensor, _casts_in_place, bool_, float16, float32, float64, int8, int16, int32, int64,
                         uint8)
from ..tensor import Tensor, _make_tensor
from .normalization import batch_norm, layer_norm, normalize  # re-exported (they live with their modules)

_REDUCTIONS = ("mean", "sum", "none")
_UNSIGNED = {n: np.dtype(f"u{n}") for n in (1, 2, 4, 8)}
_CLASS_INDEX_DTYPES = frozenset({int64, uint8})  # torch's Long and Byte, for logits (N, C) or (C,)


class Linear(Function):
    """x @ w.T + b in one node; backward is g @ w, g.T @ x and g summed over the batch."""
    save_inputs = True
    array_backward = True
    inputs_for_others = True

    def forward(self, x, w, bias=None):
        out = x @ w.T
        if bias is not None:
            out += bias
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
            n, c = logits.shape
            # The targets' positions in the flattened logits: a flat take (and, in backward, a
            # flat subtraction) costs half of indexing with (rows, targets).
            picked = np.arange(0, n * c, c)
            picked += target.astype(picked.dtype, copy=False)  # (int64 += uint64 is refused)
            losses = log_total[:, 0] - shifted.take(picked)
            if smoothing:
                losses = (1 - smoothing) * losses - smoothing / c * (shifted - log_total).sum(axis=1)
        np.divide(exp, total, out=exp)
        self.save(exp, target, smoothing, reduction, None if target.dtype.kind == "f" else picked)
        return _reduce_array(losses, reduction)

    def backward(self, g):
        probs, target, smoothing, reduction, picked = self.saved
        if isinstance(g, Tensor):  # create_graph: the softmax must be part of the new graph
            q = _distribution(target, smoothing, probs)
            scale = g.reshape(-1, 1) if reduction == "none" else (g / len(target) if reduction == "mean" else g)
            return scale * (self.inputs[0].softmax(dim=1) * q.sum(axis=1, keepdims=True) - q)
        if picked is None:
            grad = _softmax_minus_target(probs, target, smoothing)
        else:  # p - q for smoothed one-hot q, without building q; C order, so that the flat view is one
            grad = np.subtract(probs, smoothing / probs.shape[1], order="C") if smoothing else probs.copy()
            grad.reshape(-1)[picked] -= CONSTANTS[1 - smoothing, grad.dtype]
        if reduction == "none":
            grad *= g.reshape(-1, 1)
        else:
            grad *= g / CONSTANTS[len(target), g.dtype] if reduction == "mean" else g
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
    """p * sum(q) - q as a new array, for target probabilities (q their smoothed distribution)."""
    q = _distribution(target, smoothing, probs)
    return probs * q.sum(axis=1, keepdims=True) - q


class WeightedCrossEntropy(CrossEntropy):
    """CrossEntropy against dense target rows q that carry the class weights and are zero for ignored
    targets; the mean divides by total, the counted targets' summed weight, as torch's does. With
    nothing counted (total 0) the mean is NaN, and so is the gradient, except on the ignored rows,
    which get zero, as in torch."""

    def forward(self, logits, q, total, ignored, reduction):
        losses = super().forward(logits, q, 0.0, "none")
        self.save(self.saved[0], q, total, ignored, reduction)
        self.args = {"reduction": reduction}
        if reduction != "mean":
            return _reduce_array(losses, reduction)
        return np.add.reduce(losses, axis=None) / total if total else np.full((), np.nan, losses.dtype)

    def backward(self, g):
        probs, q, total, ignored, reduction = self.saved
        if reduction == "none":
            scale = g.reshape(-1, 1)
        else:
            scale = g if reduction == "sum" else (g / total if total else g * np.nan)
        if isinstance(g, Tensor):  # create_graph: the softmax must be part of the new graph
            grad = scale * (self.inputs[0].softmax(dim=1) * q.sum(axis=1, keepdims=True) - q)
            return grad if ignored is None else grad.masked_fill(ignored[:, None], 0)
        grad = _softmax_minus_target(probs, q, 0.0)
        grad *= scale
        if ignored is not None:
            grad[ignored] = 0
        return grad


class NegativeLogLikelihood(Function):
    """-log_probs[i, y_i], weighted and reduced, in one node: a flat take of the targets' positions
    (as CrossEntropy's); backward scatters -g, over N for the mean or times each target's share,
    into zeros of the input's shape. weights: each target's weight (0 where ignored), or None for
    1; the weighted mean divides by their sum, NaN when it is 0, as torch's."""
    array_backward = True

    def forward(self, log_probs, target, weights, ignored, reduction):
        self.args = {"reduction": reduction}
        n, c = log_probs.shape
        picked = np.arange(0, n * c, c)
        picked += target.astype(picked.dtype, copy=False)  # (int64 += uint64 is refused)
        losses = log_probs.take(picked)
        np.negative(losses, out=losses)
        if weights is None:
            shares, divisor = None, n if reduction == "mean" else 1
        else:
            if ignored is not None:  # skipped, as torch: 0 * -inf would be NaN
                losses[ignored] = 0
            losses *= weights
            shares, divisor = _shares_of_mean(weights, ignored) if reduction == "mean" else weights, 1
        self.save(picked, shares, divisor, reduction, log_probs.shape)
        if weights is None or reduction != "mean":
            return _reduce_array(losses, reduction)
        total = np.add.reduce(weights)
        return np.add.reduce(losses) / total if total else np.full((), np.nan, losses.dtype)

    def backward(self, g):
        picked, shares, divisor, reduction, shape = self.saved
        if isinstance(g, Tensor):  # create_graph: -onehot as a function of the input, whose derivative is 0
            factor = np.zeros(shape, g.dtype)
            factor.reshape(-1)[picked] = -1 if shares is None else -shares
            scale = g.reshape(-1, 1) if reduction == "none" else g
            return (scale / divisor if divisor != 1 else scale) * ZeroDerivative.on(factor, self)
        scale = g / CONSTANTS[divisor, g.dtype] if divisor != 1 else g
        grad = np.zeros(shape, g.dtype)
        grad.reshape(-1)[picked] = -scale if shares is None else -(scale * shares)
        return grad


def _shares_of_mean(weights: np.ndarray, ignored: np.ndarray | None) -> np.ndarray:
    """Each target's share of a weighted mean: its weight over their sum; NaN when the sum is 0,
    except for ignored targets, which get no gradient even then, as in torch."""
    total = np.add.reduce(weights)
    shares = weights / total if total else np.full_like(weights, np.nan)
    if ignored is not None:
        shares[ignored] = 0
    return shares


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
    array_backward = True

    def forward(self, p, t, weight, reduction):
        with np.errstate(divide="ignore"):
            log_p, log_q = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
        self.save(reduction, weight)
        self.args = {"reduction": reduction}
        losses = -(t * log_p + (1 - t) * log_q)
        if weight is not None:
            losses *= weight
        return _reduce_array(losses, reduction)

    def backward(self, g):
        p, t = self.inputs
        reduction, weight = self.saved
        g = _per_element(g, reduction, math.prod(p.shape))
        if weight is not None:
            g = g * weight
        need_p, need_t = self.needs
        if isinstance(p, Tensor):
            gp = g * (p - t) / (p * (1 - p)).clamp(min=_BCE_EPS) if need_p else None
            gt = g * ((-p).log1p() - p.log()) if need_t else None
            return gp, gt
        gp = g * (p - t) / np.maximum(p * (1 - p), _BCE_EPS) if need_p else None
        with np.errstate(divide="ignore"):  # log(0) = -inf, as the Tensor ops give it
            gt = g * (np.log1p(-p) - np.log(p)) if need_t else None
        return gp, gt


class BinaryCrossEntropyWithLogits(Function):
    """Sigmoid + BCE in the stable form max(x, 0) - x t + log1p(exp(-|x|)); d/dx = sigmoid(x) - t
    (also at x = 0, where the composed form's kinks would give 1 - t). With pos_weight w+, torch's
    (1 - t) x - l log sigmoid(x), l = 1 + (w+ - 1) t: d/dx = l sigmoid(x) - w+ t. weight scales each
    element's loss."""
    save_inputs = True
    array_backward = True

    def forward(self, x, t, weight, pos_weight, reduction):
        self.save(reduction, weight, pos_weight)
        self.args = {"reduction": reduction}
        if pos_weight is None:
            losses = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
        else:
            log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
            losses = (1 - t) * x - ((pos_weight - 1) * t + 1) * log_sigmoid
        if weight is not None:
            losses *= weight
        return _reduce_array(losses, reduction)

    def backward(self, g):
        x, t = self.inputs
        reduction, weight, pos_weight = self.saved
        g = _per_element(g, reduction, math.prod(x.shape))
        if weight is not None:
            g = g * weight
        need_x, need_t = self.needs
        on_tensors = isinstance(x, Tensor)
        sigmoid = (x.sigmoid() if on_tensors else sigmoid_array(x)) if need_x else None
        if pos_weight is None:
            return (g * (sigmoid - t) if need_x else None), (g * -x if need_t else None)
        positive = t * pos_weight
        gx = g * ((positive + 1 - t) * sigmoid - positive) if need_x else None
        gt = None
        if need_t:
            log_sigmoid = (x.clamp(max=0) - (-x.abs()).exp().log1p() if on_tensors else
                           np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x))))
            gt = g * (-x - log_sigmoid * (pos_weight - 1))
        return gx, gt


_BCE_EPS = float(np.float32(1e-12))  # torch's epsilon is a C float, so it is this in float64 too


def _per_element(g, reduction: str, count: int):
    """The gradient reaching each element of a loss's input from its reduced output."""
    return g / count if reduction == "mean" else g


def _reduce_array(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.add.reduce(values, axis=None) / values.size
    return np.add.reduce(values, axis=None) if reduction == "sum" else values


def _apply_loss(function: type[Function], input: Tensor, *tensors: Tensor, **args) -> Tensor:
    """function.apply(input, *tensors, **args); a float16 loss is computed in float32 and rounded
    once, as torch sums float16 (summed in float16, the mean of 20,000 losses overflowed to inf)."""
    if input.data.dtype == float16:
        return function.apply(input.float(), *(t.float() for t in tensors), **args).half()
    return function.apply(input, *tensors, **args)


def _weighted(losses: Tensor, weight, reduction: str, op: str, *, mean_over_weights: bool) -> Tensor:
    """losses (reduction='none') times weight, a Tensor of their shape, reduced as torch reduces its
    weighted l1_loss and mse_loss (the 'mean' divided by the weights' sum, mean_over_weights) and
    huber_loss (by the count)."""
    if not isinstance(weight, Tensor):
        raise DTypeError(f"{op}: weight must be a Tensor or None, got {type(weight).__name__}")
    if weight.shape != losses.shape:
        raise ShapeError(f"{op}: weight must have the input's shape {losses.shape}, got {weight.shape} (torch: "
                         "'Weights and input must have the same size.')")
    weighted = losses * weight
    if reduction != "mean":
        return weighted.sum() if reduction == "sum" else weighted
    return weighted.sum() / weight.sum() if mean_over_weights else weighted.mean()


def _reduce(values: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return values.mean()
    return values.sum() if reduction == "sum" else values


# ---- activations ---------------------------------------------------------------------------------

# inplace=True writes the result into x, as torch, through Tensor's in-place machinery: recorded
# in a graph, refused where it would be unsafe (on a leaf that requires grad, or memory held elsewhere).
def relu(x: Tensor, inplace: bool = False) -> Tensor: return x.relu_() if inplace else x.relu()
def sigmoid(x: Tensor) -> Tensor: return x.sigmoid()
def tanh(x: Tensor) -> Tensor: return x.tanh()


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    if inplace:
        return x._in_place("leaky_relu_", lambda: x.leaky_relu(negative_slope))
    return x.leaky_relu(negative_slope)
def softmax(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    return x.softmax(_softmax_dim(x, dim, "softmax"), dtype)


def log_softmax(x: Tensor, dim: int | None = None, dtype=None) -> Tensor:
    return x.log_softmax(_softmax_dim(x, dim, "log_softmax"), dtype)


def _softmax_dim(x: Tensor, dim: int | None, op: str) -> int:
    """dim, or without one torch's deprecated implicit choice (0 for 0-, 1- and 3-D inputs, else 1),
    with its warning."""
    if dim is not None:
        return dim
    dim = 0 if x.ndim in (0, 1, 3) else 1
    warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to include "
                  f"dim={dim} as an argument.", UserWarning, stacklevel=3)
    return dim


# The (input, weight) and (input, weight, bias) dtypes linear multiplies at once: all one dtype, not
# bool (one set lookup tests the three).
_LINEAR_DTYPES = (uint8, int8, int16, int32, int64, float16, float32, float64)
_ONE_DTYPE = {(d, d) for d in _LINEAR_DTYPES} | {(d, d, d) for d in _LINEAR_DTYPES}


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias, with weight of shape (out_features, in_features) as in PyTorch, or of
    shape (in_features,) for one dot product per row."""
    if not isinstance(x, Tensor):
        return _other_linear(x, weight, bias)
    data = x.data
    # one dtype, an input of at least 1 dim (the slices' comparison) whose features fit a 2-D weight
    if bias is None:
        if (data.dtype, weight.data.dtype) in _ONE_DTYPE and data.shape[-1:] == weight.data.shape[1:]:
            return Linear.apply(x, weight)
    elif (data.dtype, weight.data.dtype, bias.data.dtype) in _ONE_DTYPE and data.shape[-1:] == weight.data.shape[1:]:
        return Linear.apply(x, weight, bias)
    return _other_linear(x, weight, bias)


def _other_linear(x, weight: Tensor, bias: Tensor | None) -> Tensor:
    """linear with a 1-D weight (x @ weight + bias) or a 0-d bias of another dtype, or the error
    that says what is wrong."""
    if not isinstance(x, Tensor) or x.dtype != weight.dtype:
        _check_float_tensor(x, "linear", "input")
        raise DTypeError(f"linear: the input is {x.dtype} but the weight {weight.dtype}, which torch refuses too; "
                         f"cast the input (x.to(tg.{weight.dtype})) or the model (model.to(tg.{x.dtype}))")
    if x.data.dtype == bool_:
        raise DTypeError(_BOOL_PRODUCT.format(op="linear"))
    if not x.shape:
        raise ShapeError("linear: input must have at least 1 dim (features last), got a 0-d tensor")
    if weight.ndim not in (1, 2):
        raise ShapeError(f"linear: weight must be (out_features, in_features) or (in_features,), got shape "
                         f"{weight.shape}")
    if x.shape[-1] != weight.shape[-1]:
        raise ShapeError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) but the weight "
                         f"expects {weight.shape[-1]} (weight shape {weight.shape})")
    if bias is not None and weight.ndim == 1 and x.ndim != 1:
        raise ShapeError(f"linear: a 1-D weight with a bias takes only a 1-D input (as torch, where a batch needs "
                         f"a 2-D weight); got input shape {x.shape}")
    if bias is not None and bias.dtype != x.dtype:
        # torch's addmm (a 2-D input) refuses it; into other products it adds a 0-d bias in place
        if bias.ndim or x.ndim == 2 or not _casts_in_place(bias.dtype, x.dtype):
            raise DTypeError(f"linear: the bias is {bias.dtype} but the input and weight {x.dtype}, which torch "
                             f"refuses too; cast the bias (bias.to(tg.{x.dtype}))")
        bias = bias._cast(x.dtype)
        if weight.ndim == 2:
            return Linear.apply(x, weight, bias)
    out = x @ weight
    return out if bias is None else out + bias


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout);
    inplace as relu's."""
    if inplace and training and p:
        return x._in_place("dropout_", lambda: dropout(x, p, training))
    check_probability(p, "dropout", "p")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0
    keep = rng.generator().random(x.shape, dtype=np.float32) >= p
    return x * (keep * x.dtype.type(1 / (1 - p)))


def one_hot(target: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot rows for int64 class indices, as torch.nn.functional.one_hot."""
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype != np.int64:
        raise DTypeError(f"one_hot: class indices must be int64 (torch's LongTensor), as in torch, got {y.dtype}; "
                         "cast them with .long()")
    y = _class_indices(y, "one_hot")
    if num_classes == -1:
        if not y.size:
            raise ShapeError("one_hot: cannot infer the number of classes from an empty tensor (as torch); "
                             "give num_classes")
        num_classes = int(y.max()) + 1
    elif num_classes < 0:
        raise OutOfRangeError(f"one_hot: num_classes must be -1 (the largest index + 1) or at least 0, as in torch, "
                              f"got {num_classes}")
    _check_range(y, num_classes, "one_hot")
    out = np.zeros(y.shape + (num_classes,), dtype=np.int64)
    out.reshape(y.size, num_classes)[np.arange(y.size), y.ravel()] = 1
    return _make_tensor(out, None)


# ---- losses --------------------------------------------------------------------------------------

def cross_entropy(input: Tensor, target, weight: Tensor | None = None, *, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against class indices (N,) or probabilities (N, C);
    also, as torch, unbatched logits (C,) and extra dimensions (N, C, d1, ...). weight: one value per
    class, which scales that class's terms (against class indices the mean then divides by the
    targets' summed weight); class-index targets equal to ignore_index count for nothing."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    x = input.data if isinstance(input, Tensor) else None
    # The usual call, float logits (N, C) with N class indices in range, no weight and valid
    # options, passes one test and the range check; any other goes through every check in turn.
    if (x is not None and x.dtype.kind == "f" and t.dtype in _CLASS_INDEX_DTYPES and len(x.shape) == 2
            and x.shape[1] and t.shape == x.shape[:1] and (x.shape[0] or reduction != "mean")
            and reduction in _REDUCTIONS and type(label_smoothing) is float and 0 <= label_smoothing <= 1
            and weight is None and type(ignore_index) is int and ignore_index < 0
            and not _out_of_range(t, x.shape[1])):
        return CrossEntropy.apply(input, target=t, smoothing=label_smoothing, reduction=reduction)
    return _checked_cross_entropy(input, target, t, weight, ignore_index, reduction, label_smoothing)


def _checked_cross_entropy(input: Tensor, target, t: np.ndarray, weight, ignore_index: int, reduction: str,
                           smoothing: float) -> Tensor:
    """cross_entropy after every check, for any call the one-test path does not take."""
    check_reduction(reduction, "cross_entropy")
    check_probability(smoothing, "cross_entropy", "label_smoothing")
    check_ignore_index(ignore_index, "cross_entropy")
    _check_float_tensor(input, "cross_entropy", "input")
    _check_logits_shape(input, "cross_entropy")
    if input.ndim != 2:
        if t.dtype.kind != "f":
            _class_indices(t, "cross_entropy", input.ndim)
        rows, row_targets, loss_shape = _as_rows(input, target, t, "cross_entropy")
        loss = cross_entropy(rows, row_targets, weight, ignore_index=ignore_index, reduction=reduction,
                             label_smoothing=smoothing)
        return loss.reshape(loss_shape) if reduction == "none" else loss
    _check_not_empty(input, reduction, "cross_entropy")
    n, c = input.shape
    w = _class_weights(weight, input, "cross_entropy")
    if t.dtype.kind == "f":
        _check_probability_targets(input, t, ignore_index)
        input = _promoted(input, t)
        if isinstance(target, Tensor) and target.requires_grad:
            return _cross_entropy_with_target_grad(input, target, w, reduction, smoothing)
        if w is not None:  # torch's mean still divides by N here
            t, smoothing = _distribution(t, smoothing, input.data) * w, 0.0
        return CrossEntropy.apply(input, target=t, smoothing=smoothing, reduction=reduction)
    y = _class_indices(t, "cross_entropy")
    if y.shape != (n,):
        raise ShapeError(f"cross_entropy: expected {n} class indices (shape ({n},)) for logits "
                         f"{input.shape}, got target shape {y.shape}")
    if _plain_targets(y, c, w, ignore_index):
        return CrossEntropy.apply(input, target=y, smoothing=smoothing, reduction=reduction)
    ignored = _ignored_targets(y, c, ignore_index, "cross_entropy")
    q, total = _weighted_class_distribution(y, ignored, w, smoothing, input.data)
    return WeightedCrossEntropy.apply(input, q=q, total=total, ignored=ignored, reduction=reduction)


def _check_probability_targets(input: Tensor, t: np.ndarray, ignore_index: int) -> None:
    if t.shape != input.shape:
        raise ShapeError(f"cross_entropy: float targets are class probabilities and must have the "
                         f"logits' shape {input.shape}, got {t.shape}; class-index targets must be "
                         f"integers (use .long())")
    if ignore_index >= 0:  # torch's rule: a negative one can never match a class, so it is let through
        raise ConfigError(f"cross_entropy: ignore_index is not supported for probability (float) targets; "
                          f"got ignore_index={ignore_index}")
    _check_finite(t, "cross_entropy", "target")


def _cross_entropy_with_target_grad(input: Tensor, target: Tensor, weight: np.ndarray | None, reduction: str,
                                    smoothing: float) -> Tensor:
    """cross_entropy against probabilities that want a gradient (d loss / d q = -log_softmax(x),
    scaled), from differentiable ops: the fused CrossEntropy holds its target as a constant."""
    q = target * (1 - smoothing) + smoothing / input.shape[1] if smoothing else target
    if weight is not None:
        q = q * weight
    return _reduce(-(q * input.log_softmax(dim=1)).sum(dim=1), reduction)


def _weighted_class_distribution(y: np.ndarray, ignored: np.ndarray | None, weight: np.ndarray | None,
                                 smoothing: float, like: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dense target rows torch's weighted cross-entropy amounts to, and their total weight (the
    mean's divisor): row i is (1 - s) weight[y_i] at y_i plus s / C * weight, zero if y_i is ignored."""
    n, c = like.shape
    safe, counted = _target_weights(y, ignored, weight, like.dtype)
    q = np.zeros(like.shape, like.dtype)
    q[np.arange(n), safe] = counted * (1 - smoothing)
    if smoothing:
        q += smoothing / c * (1 if weight is None else weight)
        if ignored is not None:
            q[ignored] = 0
    return q, np.add.reduce(counted)


def nll_loss(input: Tensor, target, weight: Tensor | None = None, *, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities (N, C) at class indices (N,); also (C,) and
    (N, C, d1, ...) as torch. weight and ignore_index as in cross_entropy."""
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    x = input.data if isinstance(input, Tensor) else None
    # The usual call, as cross_entropy's, passes one test and the range check (float16 is summed
    # in float32, by _apply_loss, on the checked path).
    if (x is not None and x.dtype.kind == "f" and x.dtype != float16 and t.dtype in _CLASS_INDEX_DTYPES
            and len(x.shape) == 2 and x.shape[1] and t.shape == x.shape[:1] and (x.shape[0] or reduction != "mean")
            and reduction in _REDUCTIONS and weight is None and type(ignore_index) is int and ignore_index < 0
            and not _out_of_range(t, x.shape[1])):
        return NegativeLogLikelihood.apply(input, target=t, weights=None, ignored=None, reduction=reduction)
    return _checked_nll_loss(input, target, weight, ignore_index, reduction)


def _checked_nll_loss(input: Tensor, target, weight, ignore_index: int, reduction: str) -> Tensor:
    """nll_loss after every check, for any call the one-test path does not take."""
    check_reduction(reduction, "nll_loss")
    check_ignore_index(ignore_index, "nll_loss")
    _check_float_tensor(input, "nll_loss", "input")
    _check_logits_shape(input, "nll_loss")
    y = _class_indices(target, "nll_loss", input.ndim)
    if input.ndim != 2:
        rows, row_targets, loss_shape = _as_rows(input, y, y, "nll_loss")
        loss = nll_loss(rows, row_targets, weight, ignore_index=ignore_index, reduction=reduction)
        return loss.reshape(loss_shape) if reduction == "none" else loss
    n, c = input.shape
    if y.shape != (n,):
        raise ShapeError(f"nll_loss: expected {n} class indices, got target shape {y.shape}")
    w = _class_weights(weight, input, "nll_loss")
    _check_not_empty(input, reduction, "nll_loss")
    if _plain_targets(y, c, w, ignore_index):
        return _apply_loss(NegativeLogLikelihood, input, target=y, weights=None, ignored=None, reduction=reduction)
    ignored = _ignored_targets(y, c, ignore_index, "nll_loss")
    safe, counted = _target_weights(y, ignored, w, input.data.dtype)
    return _apply_loss(NegativeLogLikelihood, input, target=safe, weights=counted, ignored=ignored,
                       reduction=reduction)


_INPUT_NAMES = {"cross_entropy": "logits", "nll_loss": "log-probabilities"}


def _check_logits_shape(input: Tensor, op: str) -> None:
    shape = input.shape
    if not shape or shape[min(1, len(shape) - 1)] == 0:
        raise ShapeError(f"{op}: expected {_INPUT_NAMES[op]} of shape (N, C), (C,) or (N, C, d1, ...) with "
                         f"C >= 1 classes, got {shape}")


def _as_rows(input: Tensor, target, t: np.ndarray, op: str) -> tuple[Tensor, object, tuple]:
    """Unbatched (C,) or (N, C, d1, ...) input and its targets as torch reads them: rows (M, C), M
    class indices (or M rows of probabilities), and the shape of the loss with reduction='none'."""
    shape, probabilities = input.shape, t.dtype.kind == "f"
    loss_shape = shape[:1] + shape[2:] if len(shape) > 1 else ()
    expected = shape if probabilities else loss_shape
    if t.shape != expected:
        if len(shape) == 1:  # torch also takes a target of shape (1,) here, which this library refuses
            probabilities_too = " or C probabilities" if op == "cross_entropy" else ""
            raise ShapeError(f"{op}: expected {_INPUT_NAMES[op]} of shape (N, C) with C >= 1, got {shape}; "
                             f"unbatched {_INPUT_NAMES[op]} (C,) take a 0-d class index{probabilities_too}, "
                             f"got target shape {t.shape}")
        kind = "probability" if probabilities else "class-index"
        raise ShapeError(f"{op}: {kind} targets for {_INPUT_NAMES[op]} of shape {shape} must have shape "
                         f"{expected}, got {t.shape}")
    classes_last = (0, *range(2, len(shape)), 1)

    def rows(a):
        if len(shape) == 1:
            return a.reshape(1, -1)
        moved = a.permute(*classes_last) if isinstance(a, Tensor) else a.transpose(classes_last)
        return moved.reshape(-1, shape[1])
    targets = rows(target if isinstance(target, Tensor) else t) if probabilities else t.reshape(-1)
    return rows(input), targets, loss_shape


def _class_weights(weight, input: Tensor, op: str) -> np.ndarray | None:
    """weight's values, checked as torch does: one per class, in the input's dtype."""
    if weight is None:
        return None
    _check_weight_tensor(weight, op, "weight")
    num_classes = input.shape[1]
    if weight.shape != (num_classes,):
        raise ShapeError(f"{op}: weight must have one value per class, shape ({num_classes},), got {weight.shape}")
    if weight.dtype != input.dtype:
        raise DTypeError(f"{op}: weight must have the input's dtype {input.dtype}, got {weight.dtype}")
    return weight.data


def _plain_targets(y: np.ndarray, num_classes: int, weight: np.ndarray | None, ignore_index: int) -> bool:
    """Whether every target is a class in range, counted once: the unweighted loss, by one pass."""
    return weight is None and not 0 <= ignore_index < num_classes and not _out_of_range(y, num_classes)


def _ignored_targets(y: np.ndarray, num_classes: int, ignore_index: int, op: str) -> np.ndarray | None:
    """The mask of targets equal to ignore_index (None if there are none); any other index outside
    [0, num_classes) is an error."""
    ignored = y == ignore_index
    bad = ~ignored & ((y < 0) | (y >= num_classes))
    if bad.any():
        raise ClassIndexError(f"{op}: class index {y[bad][0]} is out of range for {num_classes} classes "
                              f"(expected 0 to {num_classes - 1}) and is not the ignore_index ({ignore_index})")
    return ignored if ignored.any() else None


def _target_weights(y: np.ndarray, ignored: np.ndarray | None, weight: np.ndarray | None,
                    dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Each target as an index safe to look up (0 where ignored) and the weight it counts with
    (its class's weight, or 1; 0 where ignored)."""
    safe = y if ignored is None else np.where(ignored, 0, y)
    counted = np.ones(len(y), dtype) if weight is None else weight[safe]  # a copy either way
    if ignored is not None:
        counted[ignored] = 0
    return safe, counted


def mse_loss(input: Tensor, target, *, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean squared error; input and target must have the same shape (as torch warns otherwise).
    weight, of their shape, scales each element's loss (the mean is then over the weights' sum)."""
    input, target = _float_target(input, target, reduction, "mse_loss")
    if weight is None and input.data.dtype != float16:  # the common case, without _apply_loss's call (config A)
        return SquaredError.apply(input, target, reduction=reduction)
    if weight is not None:
        return _weighted(_apply_loss(SquaredError, input, target, reduction="none"), weight, reduction, "mse_loss",
                         mean_over_weights=True)
    return _apply_loss(SquaredError, input, target, reduction=reduction)


def binary_cross_entropy(input: Tensor, target, weight: Tensor | None = None, *,
                         reduction: str = "mean") -> Tensor:
    """BCE of probabilities in [0, 1]; each log is clamped at -100, as PyTorch does. weight scales
    each element's loss and must broadcast to the input's shape."""
    input, target = _binary_target(input, target, reduction, "binary_cross_entropy")
    weight = _elementwise_weight(weight, input, "binary_cross_entropy", "weight")
    outside = (input.data < 0) | (input.data > 1)  # NaN is let through, so that fit() reports it
    if outside.any():
        raise DataError(f"binary_cross_entropy: input must be probabilities in [0, 1], got "
                        f"{input.data[outside].flat[0].item()} (use binary_cross_entropy_with_logits for raw scores)")
    return BinaryCrossEntropy.apply(input, target, weight=weight, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target, weight: Tensor | None = None, *,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Sigmoid + BCE in one stable op: max(x, 0) - x*t + log1p(exp(-|x|)). pos_weight scales the
    positive term (one per class, say, along the last dim), weight each element's loss; both must
    broadcast to the input's shape."""
    op = "binary_cross_entropy_with_logits"
    input, target = _binary_target(input, target, reduction, op)
    weight = _elementwise_weight(weight, input, op, "weight")
    pos_weight = _elementwise_weight(pos_weight, input, op, "pos_weight")
    return BinaryCrossEntropyWithLogits.apply(input, target, weight=weight, pos_weight=pos_weight,
                                              reduction=reduction)


def _elementwise_weight(weight, input: Tensor, op: str, name: str) -> np.ndarray | None:
    """A BCE weight's values in the input's dtype (torch casts any numeric one), checked to
    broadcast to the input's shape."""
    if weight is None:
        return None
    _check_weight_tensor(weight, op, name)
    if weight.dtype.kind not in "biuf":
        raise DTypeError(f"{op}: {name} must be numeric, got dtype {weight.dtype}")
    try:
        fits = np.broadcast_shapes(weight.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(f"{op}: {name} of shape {weight.shape} does not broadcast to the input's shape "
                         f"{input.shape}")
    return weight.data.astype(input.dtype, copy=False)


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


def check_ignore_index(value, op: str) -> None:
    """Raise DTypeError unless value is an integer (ignore_index)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{op}: ignore_index must be an int, got {value!r}")


def _check_weight_tensor(weight, op: str, name: str) -> None:
    if not isinstance(weight, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(weight).__name__}")
    if weight.requires_grad:
        raise RuntimeError(f"{op}: the loss is not differentiable with respect to its {name} (as in torch); "
                           f"pass {name}.detach()")


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


def _class_indices(target, op: str, input_ndim: int = 2) -> np.ndarray:
    """target's class indices as an index array, refused unless of a dtype torch takes for logits of
    input_ndim dimensions: int64, or uint8 for (N, C) or (C,) (torch's other kernel, for (N, C, d1,
    ...), takes int64 only)."""
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype != int64 and (y.dtype != uint8 or input_ndim > 2):
        which = ("targets for logits (N, C, d1, ...) must be int64" if input_ndim > 2 else
                 "targets must be int64 or uint8")
        raise DTypeError(f"{op}: class-index {which}, as in torch, got dtype {y.dtype}; cast them with target.long() "
                         "(or .to(tg.int64))")
    return y.astype(np.intp, copy=False)  # a uint8 array would index a Tensor as a mask


def _out_of_range(y: np.ndarray, num_classes: int) -> bool:
    """Whether an index lies outside [0, num_classes)."""
    # One pass checks both ends: read as unsigned, negative indices become huge. On a batch of
    # indices argmax plus item() (a Python int) costs a third of a ufunc reduction (max).
    unsigned = y if y.dtype.kind == "u" else y.view(_UNSIGNED[y.dtype.itemsize])
    return y.size != 0 and unsigned.item(unsigned.argmax()) >= num_classes


def _check_range(y: np.ndarray, num_classes: int, op: str) -> None:
    if _out_of_range(y, num_classes):
        bad = y[(y < 0) | (y >= num_classes)][0]
        expected = f"expected 0 to {num_classes - 1}" if num_classes else "there is none"
        raise OutOfRangeError(f"{op}: class index {bad} is out of range for {num_classes} classes ({expected})")


def _float_target(input: Tensor, target, reduction: str, op: str) -> tuple[Tensor, Tensor]:
    """Check a loss's input and its same-shaped numeric target; both in their wider float dtype, as
    torch promotes them (a float32 input against float64 targets gives a float64 loss)."""
    check_reduction(reduction, op)
    _check_float_tensor(input, op, "input")
    target = _as_tensor(target)
    if target.dtype.kind not in "biuf":
        raise DTypeError(f"{op}: target must be numeric, got dtype {target.dtype}")
    if target.shape != input.shape:
        raise ShapeError(f"{op}: target shape {target.shape} differs from input shape {input.shape}")
    _check_not_empty(input, reduction, op)
    _check_finite(target.data, op, "target")
    input = _promoted(input, target.data)
    return input, target._cast(input.dtype)


def _promoted(input: Tensor, target: np.ndarray) -> Tensor:
    """input in the wider of its dtype and a float target's (a recorded cast, so its gradient comes
    back in its own dtype)."""
    if target.dtype.kind == "f" and target.dtype.itemsize > input.dtype.itemsize:
        return input._cast(target.dtype)
    return input


def _binary_target(input: Tensor, target, reduction: str, op: str) -> tuple[Tensor, Tensor]:
    """A binary loss's input and target: as _float_target, and each target value in [0, 1]. Of two
    float dtypes the wider is taken here too, where torch's binary_cross_entropy refuses mixed ones
    and its binary_cross_entropy_with_logits takes the target's (float64 input, float32 target:
    a float32 loss). An integer or bool target is refused, as torch refuses it."""
    given = target.data.dtype if isinstance(target, Tensor) else np.asarray(target).dtype
    if given.kind in "biu":
        raise DTypeError(f"{op}: target must be floating point (0.0/1.0 labels or probabilities), as in torch, got "
                         f"dtype {given}; cast it with target.float()")
    input, target = _float_target(input, target, reduction, op)
    outside = (target.data < 0) | (target.data > 1)
    if outside.any():
        raise DataError(f"{op}: target must be in [0, 1] (0/1 labels or probabilities), got "
                        f"{target.data[outside].flat[0].item()}; for class indices use cross_entropy")
    return input, target


# Re-exported: the regression losses besides MSE live in their own module, which reads this one's
# helpers, so it is imported once they are defined.
from .regression_losses import (gaussian_nll_loss, huber_loss, kl_div, l1_loss, poisson_nll_loss,  # noqa: E402
                                smooth_l1_loss)
