"""Normalization: layer norm, batch norm (with running statistics) and normalize, each one graph
node with the closed-form backward, as functions (exported from nn.functional) and as the modules
LayerNorm and BatchNorm1d, whose arguments, defaults, buffers and reprs are torch's."""
from __future__ import annotations

import math
import numbers

import numpy as np

from .. import autograd
from ..arguments import check_cpu
from ..autograd import Function
from ..errors import ConfigError, DTypeError, ShapeError
from ..ops import CONSTANTS, _sum_kept
from ..promotion import as_dtype, float16, float32, int64
from ..tensor import Tensor, _make_tensor
from . import init
from .module import Module, Parameter


# Rules that run on ndarrays and, with create_graph, on Tensors, where these spellings differ.
def _sum(x, dims: tuple):
    """x summed over dims, which go."""
    if not dims:
        return x
    return x.sum(dim=dims) if isinstance(x, Tensor) else np.add.reduce(x, axis=dims)


def _sign(x):
    return x.sign() if isinstance(x, Tensor) else np.sign(x)


class _Normalization(Function):
    """(x - mean) / sqrt(var + eps) * weight + bias in one node: mean and var over dims, the
    input's own (from_batch, given or computed here) or constants (batch norm's running
    statistics); weight and bias reshaped to param_shape, or 0-d constants when absent. With
    x^ the normalized input, n the count over dims and gx^ = g * weight, the input's gradient is
    (gx^ - mean(gx^) - x^ mean(gx^ x^)) / sqrt(var + eps), or gx^ / sqrt(var + eps) for constant
    statistics; the weight's is g x^ and the bias's g, summed over the dims they broadcast along."""
    save_inputs = True
    array_backward = True

    def forward(self, x, weight, bias, *, dims, param_dims, param_shape, eps, stats=None, from_batch=True):
        count = math.prod(x.shape[d] for d in dims)
        if stats is None and count:
            stats = x.mean(axis=dims, keepdims=True), x.var(axis=dims, keepdims=True)
        elif stats is None:  # no elements to normalize (NumPy's mean of them would warn)
            shape = tuple(1 if d in dims else n for d, n in enumerate(x.shape))
            stats = np.zeros(shape, x.dtype), np.ones(shape, x.dtype)
        mean, var = stats
        rstd = 1 / np.sqrt(var + eps)
        xhat = (x - mean) * rstd
        count = max(count, 1)  # (of an empty input only empty sums are divided)
        self.save(xhat, rstd, mean, count, dims, param_dims, param_shape, eps, from_batch)
        self.args = {"eps": eps}
        return xhat * _shaped(weight, param_shape) + _shaped(bias, param_shape)

    def backward(self, g):
        x, weight = self.inputs[:2]
        xhat, rstd, mean, count, dims, param_dims, param_shape, eps, from_batch = self.saved
        if isinstance(g, Tensor):  # create_graph: the statistics of x must be part of the new graph
            if from_batch:
                mean = x.mean(dims, keepdim=True)
                centred = x - mean
                rstd = 1 / ((centred * centred).mean(dims, keepdim=True) + eps).sqrt()
            xhat = (x - mean) * rstd
        need_x, need_w, need_b = self.needs
        gx = None
        if need_x:
            gxhat = g * _shaped(weight, param_shape)
            if from_batch:
                gx = (gxhat - _sum_kept(gxhat, dims) / count - xhat * (_sum_kept(gxhat * xhat, dims) / count)) * rstd
            else:
                gx = gxhat * rstd
        gw = _sum(g * xhat, param_dims) if need_w else None
        gb = _sum(g, param_dims) if need_b else None
        return gx, gw, gb


def _shaped(param, shape: tuple):
    """A weight or bias shaped to broadcast against the input (a 0-d constant as it is)."""
    return param if param.ndim == 0 else param.reshape(shape)


class NativeLayerNorm(_Normalization):
    """layer_norm's node (torch's grad_fn is NativeLayerNormBackward0)."""


class NativeBatchNorm(_Normalization):
    """batch_norm's node (torch's grad_fn is NativeBatchNormBackward0)."""


def _check_params(op: str, x: Tensor, shape: tuple, **params) -> np.dtype:
    """Raise unless each of params (weights, biases, running statistics) is None or a Tensor of shape
    and x's dtype, or, for a float16 x, all float32 (torch's mixed precision on the CPU). Returns the
    dtype to normalize in: float32 for a float16 x, as torch computes it, else x's."""
    given = {name: param for name, param in params.items() if param is not None}
    for name, param in given.items():
        if not isinstance(param, Tensor):
            raise DTypeError(f"{op}: {name} must be a Tensor or None, got {type(param).__name__}")
        if param.shape != shape:
            raise ShapeError(f"{op}: {name} must have shape {shape} for input {x.shape}, got {param.shape}")
    half = x.dtype == float16
    if half and given and all(param.dtype == float32 for param in given.values()):
        return float32
    for name, param in given.items():
        if param.dtype != x.dtype:
            raise DTypeError(f"{op}: {name} is {param.dtype} but the input {x.dtype}; torch refuses mixed dtypes "
                             f"too (cast with .to(tg.{x.dtype}))"
                             + ("; a float16 input takes parameters all float16 or all float32" if half else ""))
    return float32 if half else x.dtype


def _cast(param: Tensor | None, dtype: np.dtype) -> Tensor | None:
    return None if param is None else param._cast(dtype)


def _or_constant(param: Tensor | None, fill: int, x: Tensor) -> Tensor:
    """param, or for None the 0-d constant fill (1 for a weight, 0 for a bias) in x's dtype."""
    return _make_tensor(CONSTANTS[fill, x.data.dtype], None) if param is None else param


def _check_float_input(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        raise DTypeError(f"{op}: input must be floating point, got dtype {x.dtype}, as torch refuses it")


def _check_eps(eps, op: str, positive: bool = False) -> None:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise DTypeError(f"{op}: eps must be a number, got {eps!r}")
    if eps < 0 or positive and eps <= 0:
        raise ConfigError(f"{op}: eps must be {'positive' if positive else 'non-negative'}"
                          f"{' during training' if positive else ''}, got {eps}")


def _shape_tuple(shape, op: str) -> tuple:
    """normalized_shape as a tuple of ints (torch's module also takes an int)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in shape):
        raise DTypeError(f"{op}: normalized_shape must be an int or a tuple of ints, got {shape!r}")
    return tuple(int(n) for n in shape)


# ---- functional forms ----------------------------------------------------------------------------

def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalize over the last len(normalized_shape) dims (the biased variance), then scale by weight
    and shift by bias (each of shape normalized_shape), as torch.nn.functional.layer_norm. Unlike
    torch's functional form, which wants a list, an int is taken as torch's module takes it."""
    op = "layer_norm"
    shape = _shape_tuple(normalized_shape, op)
    _check_float_input(input, op)
    _check_eps(eps, op)
    if not shape:
        raise ShapeError(f"{op}: normalized_shape must have at least one element, got {shape}")
    if input.shape[input.ndim - len(shape):] != shape or input.ndim < len(shape):
        raise ShapeError(f"{op}: given normalized_shape={shape}, expected an input of shape (*, "
                         f"{', '.join(map(str, shape))}), got {input.shape}")
    work = _check_params(op, input, shape, weight=weight, bias=bias)
    if work != input.dtype:  # float16, normalized in float32 and rounded once
        return layer_norm(input.float(), shape, _cast(weight, work), _cast(bias, work), eps).half()
    lead = input.ndim - len(shape)
    return NativeLayerNorm.apply(input, _or_constant(weight, 1, input), _or_constant(bias, 0, input),
                                 dims=tuple(range(lead, input.ndim)), param_dims=tuple(range(lead)),
                                 param_shape=shape, eps=eps)


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalize each channel (dim 1) of (N, C, *) input over the other dims, then scale and shift it
    by weight and bias (C,), as torch.nn.functional.batch_norm. In training, with the batch's mean and
    biased variance, and, when running_mean and running_var are given, updating them in place to
    (1 - momentum) * running + momentum * batch statistic, the variance's unbiased; otherwise with
    the running statistics."""
    op = "batch_norm"
    _check_float_input(input, op)
    if (running_mean is None) != (running_var is None):
        raise ConfigError(f"{op}: running_mean and running_var must both be None or neither, as in torch")
    if not training and running_mean is None:
        raise ConfigError(f"{op}: running_mean and running_var must be given in evaluation mode "
                          "(training=False), as in torch")
    if isinstance(momentum, bool) or not isinstance(momentum, numbers.Real):
        raise DTypeError(f"{op}: momentum must be a number, got {momentum!r} (the module's momentum=None, the "
                         "cumulative average, passes 1 / num_batches_tracked)")
    _check_eps(eps, op, positive=training)
    if input.ndim < 2:
        raise ShapeError(f"{op}: expected an input of shape (N, C, *) with at least 2 dims, got {input.shape}")
    channels = input.shape[1]
    work = _check_params(op, input, (channels,), running_mean=running_mean, running_var=running_var, weight=weight,
                         bias=bias)  # one value per channel
    x = input if work == input.dtype else input.float()  # float16 is normalized in float32, then rounded once
    weight, bias = _cast(weight, work), _cast(bias, work)
    dims = (0,) + tuple(range(2, input.ndim))
    count = input.data.size // channels if channels else 0
    if training and count == 1:
        raise ShapeError(f"{op}: expected more than 1 value per channel when training, got input shape "
                         f"{input.shape}, as torch refuses it")
    param_shape = (1, channels) + (1,) * (input.ndim - 2)
    if training:
        values = x.data
        if count:
            mean, var = values.mean(axis=dims, keepdims=True), values.var(axis=dims, keepdims=True)
            if running_mean is not None:
                _update(running_mean, mean, momentum)
                _update(running_var, var * (count / (count - 1)), momentum)
        else:  # an empty batch, whose (empty) output needs no statistics; torch leaves the running ones too
            mean = var = np.zeros(param_shape, work)
        stats, from_batch = (mean, var), True
    else:
        # A copy of the mean, which backward reads: a later training step changes the buffer in place, and
        # the gradient stays that of the statistics used (torch's backward reads the updated buffers).
        mean = running_mean.data.reshape(param_shape).astype(work)
        stats, from_batch = (mean, running_var.data.reshape(param_shape).astype(work, copy=False)), False
    out = NativeBatchNorm.apply(x, _or_constant(weight, 1, x), _or_constant(bias, 0, x), dims=dims, param_dims=dims,
                                param_shape=param_shape, eps=eps, stats=stats, from_batch=from_batch)
    return out if x is input else out.half()


def _update(running: Tensor, batch: np.ndarray, momentum: float) -> None:
    """running = (1 - momentum) * running + momentum * batch, in place and unrecorded, in batch's
    dtype (float32 for float16 statistics, as torch), rounded once to running's."""
    array = running.data
    np.add(momentum * batch.reshape(array.shape), (1 - momentum) * array.astype(batch.dtype, copy=False), out=array)
    autograd.record_change(array, "batch_norm's running statistics")


class Normalize(Function):
    """x / d along dim in one node, d = max(||x||_p, eps). Where the norm exceeds eps the gradient is
    g / d - sum(g x) / d^2 * d||x||_p/dx, with d||x||_p/dx = sign(x) |x|^(p-1) / ||x||_p^(p-1) for
    finite p (0 for p = 0), and for p = +-inf sign(x) shared among the elements where |x| reaches
    the norm, as torch's norm shares it; elsewhere it is g / eps."""
    save_inputs = True
    array_backward = True

    def forward(self, x, *, p, dim, eps):
        norm = _vector_norm(x, p, dim)
        self.save(norm, p, dim, eps)
        self.args = {"p": p, "dim": dim}
        return x / np.maximum(norm, CONSTANTS[eps, x.dtype])

    def backward(self, g):
        x = self.inputs[0]
        norm, p, dim, eps = self.saved
        values = x.data if isinstance(x, Tensor) else x
        above = norm > eps
        beneath = (~above).astype(norm.dtype)
        if isinstance(g, Tensor):  # create_graph: the norm of x must be part of the new graph
            norm = x.norm(p, dim, keepdim=True)
        denominator = norm * above + beneath * CONSTANTS[eps, values.dtype]  # d, with the norm's gradient
        gx = g / denominator
        if p == 0:
            return gx
        safe = norm * above + beneath  # the norm, or 1 where it does not count (no 0/0 to mask later)
        if math.isinf(p):
            reaches = ((np.abs(values) == self.saved[0]) & above).astype(values.dtype)
            slope = _sign(x) * (reaches / np.maximum(_sum_kept(reaches, dim), 1))
        elif p == 2:
            slope = x / safe
        else:
            magnitude = abs(x)
            if p < 1:  # |x|^(p-1) is infinite at 0, where torch's gradient is 0
                magnitude = magnitude + (values == 0)
            slope = _sign(x) * magnitude ** (p - 1) / safe ** (p - 1)
        return gx - _sum_kept(g * x, dim) * above / (denominator * denominator) * slope


def _vector_norm(x: np.ndarray, p: float, dim: int) -> np.ndarray:
    """torch's vector p-norm of x along dim, kept as a size-1 dim."""
    magnitude = np.abs(x)
    if p == math.inf:
        return magnitude.max(axis=dim, keepdims=True, initial=0)
    if p == -math.inf:
        return magnitude.min(axis=dim, keepdims=True)
    if p == 0:
        return (x != 0).sum(axis=dim, keepdims=True).astype(x.dtype)
    with np.errstate(divide="ignore"):
        return (magnitude ** p).sum(axis=dim, keepdims=True) ** (1 / p)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along dim, as torch.nn.functional.normalize (torch's out= is
    not taken)."""
    op = "normalize"
    _check_float_input(input, op)
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise DTypeError(f"{op}: p must be a number, got {p!r}")
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise DTypeError(f"{op}: dim must be an int, got {dim!r}")
    _check_eps(eps, op)
    ndim = max(input.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {input.ndim} dims "
                         f"(expected {-ndim} to {ndim - 1}), as torch")
    if input.dtype == float16:  # in float32 and rounded once, as torch takes the norm (float16's sums overflow)
        return normalize(input.float(), p, dim, eps).half()
    if input.ndim == 0:
        return Normalize.apply(input.reshape(1), p=float(p), dim=0, eps=eps).reshape(())
    return Normalize.apply(input, p=float(p), dim=int(dim) % ndim, eps=eps)


# ---- modules -------------------------------------------------------------------------------------

def _float_dtype(dtype, owner: str) -> np.dtype:
    dtype = float32 if dtype is None else as_dtype(dtype, owner)
    if dtype.kind != "f":
        raise DTypeError(f"{owner}: dtype must be floating point, got {dtype}")
    return dtype


class LayerNorm(Module):
    """layer_norm over the last dims, of shape normalized_shape (an int for one dim), with a learned
    weight (ones) and bias (zeros) of that shape when elementwise_affine (bias=False drops the bias)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        check_cpu(device, "LayerNorm")
        dtype = _float_dtype(dtype, "LayerNorm")
        self.normalized_shape = _shape_tuple(normalized_shape, "LayerNorm")
        if any(n < 0 for n in self.normalized_shape):
            raise ConfigError(f"LayerNorm: normalized_shape must not be negative, got {self.normalized_shape}")
        _check_eps(eps, "LayerNorm")
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, dtype))
            if bias:
                self.bias = Parameter(np.empty(self.normalized_shape, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class BatchNorm1d(Module):
    """batch_norm of (N, C) or (N, C, L) input over its C channels: the batch's statistics in training,
    which also update the running_mean and running_var buffers (momentum=None: their cumulative
    average), the running ones in eval (the batch's when track_running_stats is False); a learned
    weight (ones) and bias (zeros) of shape (C,) when affine."""
    _older_state_dicts_lack = ("num_batches_tracked",)  # (torch's state_dicts before 0.4.1)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, numbers.Integral):
            raise DTypeError(f"BatchNorm1d: num_features must be an int, got {num_features!r}")
        if num_features < 0:
            raise ConfigError(f"BatchNorm1d: num_features must be >= 0, got {num_features}")
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, numbers.Real)):
            raise DTypeError(f"BatchNorm1d: momentum must be a number or None, got {momentum!r}")
        _check_eps(eps, "BatchNorm1d")
        check_cpu(device, "BatchNorm1d")
        dtype = _float_dtype(dtype, "BatchNorm1d")
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.empty(num_features, dtype))
            if bias:
                self.bias = Parameter(np.empty(num_features, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, int64)))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(x, Tensor) and x.ndim not in (2, 3):
            raise ShapeError(f"BatchNorm1d: expected 2D or 3D input (got {x.ndim}D input of shape {x.shape})")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.data += 1
            autograd.record_change(self.num_batches_tracked.data, "BatchNorm1d's num_batches_tracked")
            if self.momentum is None:  # the cumulative average
                factor = 1.0 / int(self.num_batches_tracked.data)
        batch_stats = self.training or self.running_mean is None and self.running_var is None
        tracked = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if tracked else None, self.running_var if tracked else None,
                          self.weight, self.bias, batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")
