"""The regression losses besides MSE, as torch has them: L1, smooth L1, Huber, the KL divergence and
the Poisson and Gaussian negative log-likelihoods, each one fused Function whose backward runs on
the bare arrays (and, with create_graph, on Tensors). nn.functional exports them; they reuse its
input and target checks."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..autograd import Function, ZeroDerivative
from ..errors import ConfigError, DataError, DTypeError, OutOfRangeError, ShapeError
from ..promotion import _as_tensor
from ..tensor import Tensor
from .functional import _apply_loss, _check_float_tensor, _float_target, _per_element, _reduce_array, _weighted

_KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")
_KL_MEAN_WARNING = ("reduction: 'mean' divides the total loss by both the batch size and the support size."
                    "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                    "'mean' will be changed to behave the same as 'batchmean' in the next major release.")


class _PointwiseLoss(Function):
    """A loss of each difference d = x - t, reduced; d loss / dx = slope(d) = -d loss / dt.
    Subclasses give losses(d, *params), which may overwrite the array d, and slope(d, *params), where
    d is an array or a NumPy scalar or, under create_graph, a Tensor."""
    save_inputs = True
    array_backward = True

    def forward(self, x, t, reduction, **params):
        self.args = {"reduction": reduction, **params}
        self.save(reduction, x.size, *params.values())
        d = np.asarray(x - t)  # a 0-d difference is a NumPy scalar, which losses' out= would refuse
        return _reduce_array(self.losses(d, *params.values()), reduction)

    def backward(self, g):
        x, t = self.inputs
        reduction, count, *params = self.saved
        grad = self.slope(x - t, *params) * _per_element(g, reduction, count)
        return (grad if self.needs[0] else None), (-grad if self.needs[1] else None)


class AbsoluteError(_PointwiseLoss):
    """|x - t|; the slope is sign(x - t), 0 where they are equal, as torch's."""

    @staticmethod
    def losses(d):
        return np.abs(d, out=d)

    @staticmethod
    def slope(d):
        if isinstance(d, Tensor):  # create_graph: a function of d whose derivative is 0, as torch's
            return ZeroDerivative.apply(d, value=np.sign(d.data))
        return np.sign(d)


class SmoothL1Error(_PointwiseLoss):
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta; the slope is clip(d / beta, -1, 1)."""

    @staticmethod
    def losses(d, beta):
        a = np.abs(d, out=d)
        return np.where(a < beta, a * a * (0.5 / beta), a - 0.5 * beta)

    @staticmethod
    def slope(d, beta):
        return _clipped(d, beta, 1 / beta)


class HuberError(_PointwiseLoss):
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); the slope is clip(d, -delta, delta)."""

    @staticmethod
    def losses(d, delta):
        a = np.abs(d, out=d)
        return np.where(a < delta, a * a * 0.5, (a - 0.5 * delta) * delta)

    @staticmethod
    def slope(d, delta):
        return _clipped(d, delta, 1.0)


def _clipped(d, limit: float, scale: float):
    """clip(d, -limit, limit) * scale. On a Tensor (create_graph) it is d * scale inside the limits
    plus a constant outside, so that its derivative is torch's: scale for |d| < limit, else 0 (and
    not NaN where d is inf, as d * 0 would give)."""
    if not isinstance(d, Tensor):
        clipped = np.clip(d, -limit, limit)
        return clipped if scale == 1 else clipped * scale
    values = d.data
    inside = np.abs(values) < limit
    outside = np.where(inside, 0, np.sign(values) * (limit * scale)).astype(values.dtype, copy=False)
    return d.where(inside, 0) * scale + outside


class KLDivergence(Function):
    """KL divergence terms t (log t - x), or exp(t) (t - x) for log targets, reduced; torch's xlogy
    makes a term 0 where t == 0 (and the target's gradient there NaN, 0/0). batchmean divides the
    sum by the batch size (the first dim; nothing for a 0-d input)."""
    save_inputs = True
    array_backward = True

    def forward(self, x, t, log_target, reduction):
        self.args = {"reduction": reduction, "log_target": log_target}
        divisor = x.size if reduction == "mean" else x.shape[0] if reduction == "batchmean" and x.ndim else 1
        if log_target:
            p = np.exp(t)
            losses = p * (t - x)
        else:
            p = None
            with np.errstate(divide="ignore", invalid="ignore"):  # log(0); a negative target gives NaN, as torch
                losses = np.where(t == 0, 0, t * np.log(t))
            losses -= t * x
        self.save(reduction, divisor, log_target, p)
        return losses if reduction == "none" else np.add.reduce(losses, axis=None) / divisor

    def backward(self, g):
        x, t = self.inputs
        reduction, divisor, log_target, p = self.saved
        g = g / divisor if divisor != 1 else g
        graph = isinstance(t, Tensor)
        if log_target:
            p = t.exp() if graph else p  # under create_graph, exp(t) must be part of the graph
            gx = -p * g if self.needs[0] else None
            gt = p * (t - x + 1) * g if self.needs[1] else None
            return gx, gt
        gx = -t * g if self.needs[0] else None
        if not self.needs[1]:
            return gx, None
        values = t.data if graph else t
        with np.errstate(divide="ignore", invalid="ignore"):
            log_t = t.log() if graph else np.log(t)
            # d/dt xlogy(t, t) = xlogy(t != 0, t) + t / t, which torch's autograd makes NaN at 0
            nan_at_zero = np.where(values == 0, np.nan, 0).astype(values.dtype)
            return gx, (log_t + nan_at_zero + 1 - x) * g


class PoissonNLL(Function):
    """exp(x) - t x for a log rate x (log_input), else x - t log(x + eps); with full, plus the
    Stirling term t log t - t + log(2 pi t) / 2 where t > 1 (0 elsewhere, as torch), reduced."""
    save_inputs = True
    array_backward = True

    def forward(self, x, t, log_input, full, eps, reduction):
        self.args = {"reduction": reduction, "log_input": log_input, "full": full}
        self.save(reduction, x.size, log_input, full, eps)
        with np.errstate(divide="ignore", invalid="ignore"):  # x + eps <= 0 gives -inf or NaN, as torch
            losses = np.exp(x) - t * x if log_input else x - t * np.log(x + eps)
            if full:
                losses += np.where(t > 1, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t), 0)
        return _reduce_array(losses, reduction)

    def backward(self, g):
        x, t = self.inputs
        reduction, count, log_input, full, eps = self.saved
        g = _per_element(g, reduction, count)
        with np.errstate(divide="ignore", invalid="ignore"):
            if log_input:
                gx = (_exp(x) - t) * g if self.needs[0] else None
                gt = -x * g if self.needs[1] else None
            else:
                gx = (1 - t / (x + eps)) * g if self.needs[0] else None
                gt = -_log(x + eps) * g if self.needs[1] else None
            if full and gt is not None:
                gt = gt + _stirling_slope(t) * g
        return gx, gt


def _stirling_slope(t):
    """d/dt of the Stirling term, log t + 1 / (2 t) where t > 1, else 0 (torch's masked_fill), but
    NaN where t <= 0: torch's autograd multiplies the masked zero by log(t) and t / t there."""
    values = t.data if isinstance(t, Tensor) else t
    counted = values > 1
    elsewhere = np.where(values > 0, 0, np.nan).astype(values.dtype)
    if not isinstance(t, Tensor):
        return np.where(counted, np.log(t) + 0.5 / t, elsewhere)
    safe = t.where(counted, 2.0)  # log and 1/t only where counted, so that no NaN reaches the graph
    return (safe.log() + 0.5 / safe) * counted.astype(values.dtype) + elsewhere


class GaussianNLL(Function):
    """(log v + (x - t)^2 / v) / 2, plus log(2 pi) / 2 with full, reduced, for the variance v
    clamped at eps; as torch's, which clamps under no_grad, v's gradient passes the clamp as it is.
    v has the input's shape or 1 along a dim (one variance shared along it), or is a 0-d constant."""
    save_inputs = True
    array_backward = True

    def forward(self, x, t, v, full, eps, reduction):
        self.args = {"reduction": reduction, "full": full}
        clamped = np.maximum(v, eps)
        d = x - t
        with np.errstate(divide="ignore"):  # a variance of 0, with eps <= 0
            losses = (np.log(clamped) + d * d / clamped) * 0.5
        if full:
            losses += 0.5 * math.log(2 * math.pi)
        self.save(reduction, x.size, clamped)
        return _reduce_array(losses, reduction)

    def backward(self, g):
        x, t, v = self.inputs
        reduction, count, clamped = self.saved
        g = _per_element(g, reduction, count)
        if isinstance(v, Tensor):  # create_graph: the clamped variance with v's derivative, 1
            clamped = v + (clamped - v.data)
        d = x - t
        gx = d / clamped * g
        # (the engine sums gv over the dims v was broadcast along)
        gv = (1 - d * d / clamped) / clamped * g * 0.5 if self.needs[2] else None
        return (gx if self.needs[0] else None), (-gx if self.needs[1] else None), gv


def _exp(a):
    return a.exp() if isinstance(a, Tensor) else np.exp(a)


def _log(a):
    return a.log() if isinstance(a, Tensor) else np.log(a)


# ---- the functional forms ------------------------------------------------------------------------

def l1_loss(input: Tensor, target, *, reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """Mean absolute error; input and target must have the same shape (as torch warns otherwise).
    weight, of their shape, scales each element's loss (the mean is then over the weights' sum)."""
    input, target = _float_target(input, target, reduction, "l1_loss")
    if weight is not None:
        return _weighted(_apply_loss(AbsoluteError, input, target, reduction="none"), weight, reduction, "l1_loss",
                         mean_over_weights=True)
    return _apply_loss(AbsoluteError, input, target, reduction=reduction)


def smooth_l1_loss(input: Tensor, target, *, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Squared error over 2 beta where |input - target| < beta, else the L1 loss less beta / 2;
    beta = 0 gives the L1 loss, as torch."""
    beta = check_threshold(beta, "smooth_l1_loss", "beta", zero_allowed=True)
    input, target = _float_target(input, target, reduction, "smooth_l1_loss")
    if beta == 0:
        return _apply_loss(AbsoluteError, input, target, reduction=reduction)
    return _apply_loss(SmoothL1Error, input, target, reduction=reduction, beta=beta)


def huber_loss(input: Tensor, target, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """Half the squared error where |input - target| < delta, else delta times the L1 loss less
    delta / 2: delta * smooth_l1_loss(beta=delta). reduction, delta and weight may be positional, as
    in torch (which has no deprecated size_average and reduce here); weight, of the input's shape,
    scales each element's loss (the mean stays over the count, as torch's)."""
    delta = check_threshold(delta, "huber_loss", "delta", zero_allowed=False)
    input, target = _float_target(input, target, reduction, "huber_loss")
    if weight is not None:
        return _weighted(_apply_loss(HuberError, input, target, reduction="none", delta=delta), weight, reduction,
                         "huber_loss", mean_over_weights=False)
    return _apply_loss(HuberError, input, target, reduction=reduction, delta=delta)


def kl_div(input: Tensor, target, *, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence of the target distribution from the input's: input holds log-probabilities,
    target probabilities (log-probabilities with log_target=True), both of the same shape.
    reduction='batchmean' (sum / batch size) is the true KL divergence; 'mean' divides by every
    element and warns, as torch."""
    check_kl_reduction(reduction, "kl_div")
    check_bool(log_target, "kl_div", "log_target")
    _check_float_tensor(input, "kl_div", "input")
    target = _as_tensor(target)
    if target.dtype.kind != "f":
        raise DTypeError(f"kl_div: target must be floating point (torch refuses integral inputs), got dtype "
                         f"{target.dtype}")
    input, target = _float_target(input, target, "sum" if reduction == "batchmean" else reduction, "kl_div")
    if reduction == "batchmean" and input.ndim and not input.shape[0]:
        raise ShapeError(f"kl_div: the batch is empty (input shape {input.shape}), so the batchmean loss is "
                         f"undefined; skip empty batches or use reduction='sum'")
    if reduction == "mean":
        warnings.warn(_KL_MEAN_WARNING, UserWarning, stacklevel=2)
    return _apply_loss(KLDivergence, input, target, log_target=bool(log_target), reduction=reduction)


def poisson_nll_loss(input: Tensor, target, log_input: bool = True, full: bool = False, *, eps: float = 1e-8,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of counts target under a Poisson with rate exp(input) (log_input)
    or input; full adds the Stirling approximation of log(target!). log_input and full may be
    positional, as in torch; eps and reduction come after torch's deprecated positionals, so are
    keyword-only here."""
    check_bool(log_input, "poisson_nll_loss", "log_input")
    check_bool(full, "poisson_nll_loss", "full")
    eps = check_number(eps, "poisson_nll_loss", "eps")
    input, target = _float_target(input, target, reduction, "poisson_nll_loss")
    return _apply_loss(PoissonNLL, input, target, log_input=bool(log_input), full=bool(full), eps=eps,
                       reduction=reduction)


def gaussian_nll_loss(input: Tensor, target, var, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target under Gaussians of mean input and variance var (clamped
    at eps for stability). var is a Tensor of the input's shape, of that shape less the last dim or
    with one dim of size 1 (a variance shared along it), or a number; its gradient flows, as torch's."""
    op = "gaussian_nll_loss"
    check_bool(full, op, "full")
    eps = check_number(eps, op, "eps")
    input, target = _float_target(input, target, reduction, op)
    var = _variance(var, input, op)
    if var.dtype.itemsize > input.dtype.itemsize:  # the wider float dtype, as torch
        input, target = input._cast(var.dtype), target._cast(var.dtype)
    return _apply_loss(GaussianNLL, input, target, var._cast(input.dtype), full=bool(full), eps=eps,
                       reduction=reduction)


def _variance(var, input: Tensor, op: str) -> Tensor:
    """gaussian_nll_loss's var as a Tensor whose shape broadcasts to the input's along at most one
    dim, checked as torch does: floating point, non-negative. A number is a 0-d constant (torch
    takes only a float, not an int)."""
    if isinstance(var, (int, float, np.integer, np.floating)) and not isinstance(var, (bool, np.bool_)):
        if var < 0:
            raise DataError(f"{op}: var must be non-negative, got {var}")
        return Tensor(np.asarray(var, dtype=input.dtype))
    if not isinstance(var, Tensor):
        raise DTypeError(f"{op}: var must be a Tensor or a number, got {type(var).__name__}")
    if var.dtype.kind != "f":
        raise DTypeError(f"{op}: var must be floating point, got dtype {var.dtype}")
    if var.shape != input.shape:
        if input.ndim and var.shape == input.shape[:-1]:  # one variance per row of the last dim
            var = var.reshape(var.shape + (1,))
        elif not (var.ndim == input.ndim and
                  [n for n, m in zip(var.shape, input.shape) if n != m] == [1]):
            raise ShapeError(f"{op}: var of shape {var.shape} does not fit the input's shape {input.shape}: it "
                             f"must be that shape, that shape less the last dim, or that shape with one dim of size 1")
    negative = var.data < 0
    if negative.any():
        raise DataError(f"{op}: var must be non-negative, got {var.data[negative].flat[0].item()}")
    return var


# ---- argument checks -----------------------------------------------------------------------------

def check_threshold(value, op: str, name: str, *, zero_allowed: bool) -> float:
    """value as a float; DTypeError unless it is a real number, OutOfRangeError (a RuntimeError, as
    torch's) if it is negative, or 0 when zero is not allowed, or NaN."""
    value = check_number(value, op, name)
    if not (value >= 0 if zero_allowed else value > 0):
        raise OutOfRangeError(f"{op}: {name} must be {'non-negative' if zero_allowed else 'positive'}, as in torch, "
                              f"got {value}")
    return value


def check_kl_reduction(reduction: str, op: str) -> None:
    """Raise ConfigError unless reduction is 'mean', 'batchmean', 'sum' or 'none'."""
    if not isinstance(reduction, str) or reduction not in _KL_REDUCTIONS:
        raise ConfigError(f"{op}: reduction must be one of {_KL_REDUCTIONS}, got {reduction!r}")


def check_number(value, op: str, name: str) -> float:
    """value as a Python float (so that float32 losses stay float32); DTypeError unless it is a
    real number."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise DTypeError(f"{op}: {name} must be a number, got {value!r} of type {type(value).__name__}")
    return float(value)


def check_bool(value, op: str, name: str) -> None:
    """Raise DTypeError unless value is a bool (torch's kl_div and poisson_nll_loss refuse 0 and 1 too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise DTypeError(f"{op}: {name} must be a bool, got {value!r} of type {type(value).__name__}")
