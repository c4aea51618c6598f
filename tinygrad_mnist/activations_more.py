"""The rest of torch.nn's activations, with their nn.functional forms: SELU and CELU (activations.ELU
with torch's scale and input scale), Mish, Hardswish, Hardsigmoid, Softsign, Tanhshrink, Softshrink,
Hardshrink, Threshold and PReLU (a learnable slope per channel). Each is one Function with a
closed-form backward, built as those in activations.py: on ndarrays, and on Tensors under
create_graph; float16 is computed in float32 and rounded once.

At NaN, torch's gradients of selu, celu, hardswish and the shrinks depend on where the element is
(its vectorized loop and its scalar one disagree); these give the scalar loop's everywhere.
"""
from __future__ import annotations

import math

import numpy as np

from . import autograd
from .activations import (ELU, Softplus, _apply, _bounds_in, _float_tensor, _maybe_in_place, _number, _on_tensors,
                          _sigmoid)
from .autograd import Function, ZeroDerivative
from .errors import ConfigError, DTypeError, OutOfRangeError, ShapeError
from .tensor import Tensor

# Klambauer et al., "Self-Normalizing Neural Networks" (2017), as torch's constants
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class Mish(Function):
    """x tanh(softplus(x)); d/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x)) (NaN at +-inf,
    from inf * 0, as torch)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        with np.errstate(over="ignore", invalid="ignore"):
            t = np.tanh(np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a))))
            self.save(t)
            return a * t

    def backward(self, g):
        x = self.inputs[0]
        # under create_graph, softplus with no linear part: its derivative is sigmoid(x) everywhere
        t = Softplus.apply(x, beta=1.0, threshold=math.inf).tanh() if _on_tensors(x) else self.saved[0]
        with np.errstate(invalid="ignore"):
            return g * (t + x * _sigmoid(x) * (1 - t * t))


class Hardswish(Function):
    """x relu6(x + 3) / 6, as x (relu6(x + 3) / 6) (torch's (x relu6(x + 3)) / 6 overflows to inf from
    x = max / 6 on, where the value is x); d/dx = 0 up to -3, x / 3 + 1/2 below 3, else 1 (also at NaN)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        with np.errstate(invalid="ignore"):  # -inf * 0 = NaN, as torch
            return a * (np.clip(a + 3, 0, 6) / 6)

    def backward(self, g):
        x = self.inputs[0]
        plain = autograd._plain(x)
        inside = (plain > -3) & (plain < 3)
        outside = np.where(plain <= -3, 0, 1).astype(plain.dtype)
        if _on_tensors(x):  # the second derivative 1/3 inside, as torch's
            return g * (x / 3 + 0.5).where(inside, outside)
        return g * np.where(inside, x / 3 + 0.5, outside)


class _PiecewiseLinear(Function):
    """An op whose derivative is piecewise constant: forward saves it as a factor (see
    Function.saved_factors, so under create_graph the gradient depends on x, with derivative 0, as
    torch's), and backward multiplies by it."""
    array_backward = True
    saved_factors = True

    def backward(self, g): return g * self.saved[0]


class Hardsigmoid(_PiecewiseLinear):
    """relu6(x + 3) / 6; d/dx = 1/6 strictly between -3 and 3, else 0 (torch's float64 gradient is 1/6
    rounded to float32; here it is 1/6 in the input's dtype)."""

    def forward(self, a):
        self.save(np.where((a > -3) & (a < 3), 1 / 6, 0).astype(a.dtype))
        return np.clip(a + 3, 0, 6) / 6


class Softsign(Function):
    """x / (1 + |x|), +-1 at +-inf (torch's x / (|x| + 1) is inf / inf = NaN there, but the limit, and
    the value at the largest finite inputs, is +-1); d/dx = 1 / (1 + |x|)^2."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        with np.errstate(invalid="ignore"):  # inf / inf, replaced
            return np.where(np.isinf(a), np.sign(a), a / (1 + np.abs(a)))

    def backward(self, g):
        d = 1 + abs(self.inputs[0])
        with np.errstate(over="ignore"):  # d^2 = inf for huge x: the slope is 0
            return g / (d * d)


class Tanhshrink(Function):
    """x - tanh(x); d/dx = tanh(x)^2 (torch's 1 - (1 - tanh^2) rounds it off for small x)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        t = np.tanh(a)
        self.save(t)
        return a - t

    def backward(self, g):
        x = self.inputs[0]
        t = x.tanh() if _on_tensors(x) else self.saved[0]
        return g * (t * t)


class Softshrink(_PiecewiseLinear):
    """x - lambd above lambd, x + lambd below -lambd, 0 between; the gradient passes outside [-lambd,
    lambd] (and at NaN)."""

    def forward(self, a, lambd):
        self.args = {"lambd": lambd}
        self.save(_outside(a, lambd))
        return a - np.clip(a, -lambd, lambd)  # (NaN stays NaN)


class Hardshrink(_PiecewiseLinear):
    """x outside [-lambd, lambd] (and at NaN), 0 inside; the gradient passes where x does."""

    def forward(self, a, lambd):
        self.args = {"lambd": lambd}
        outside = _outside(a, lambd)
        self.save(outside)
        return a * outside


def _outside(a: np.ndarray, lambd: float) -> np.ndarray:
    """1 where a is not in [-lambd, lambd] (NaN included), else 0, in a's dtype."""
    return (~((a >= -lambd) & (a <= lambd))).astype(a.dtype)


class Threshold(_PiecewiseLinear):
    """value where x <= threshold, x elsewhere (NaN too); the gradient passes where x does. Integer
    tensors too (the arguments in their dtype, as torch)."""

    def forward(self, a, threshold, value):
        self.args = {"threshold": threshold, "value": value}
        below = a <= threshold
        if a.dtype.kind == "f":
            self.save((~below).astype(a.dtype))
        return np.where(below, a.dtype.type(value), a)


class PReLU(Function):
    """x for x > 0, w x elsewhere, w broadcast against x; the gradients: g where x > 0, else w g, and
    for w, x g where x <= 0, summed to w's shape."""
    array_backward = True
    save_inputs = True

    def forward(self, a, w):
        self.save(~(a > 0))  # (NaN takes the slope w, as torch)
        return np.where(a > 0, a, a * w)

    def backward(self, g):
        x, w = self.inputs
        below = self.saved[0]
        gx = gw = None
        if self.needs[0]:
            if _on_tensors(x):  # the slope as a function of x too, as torch's (see ZeroDerivative)
                gx = g * w.where(below, ZeroDerivative.apply(x, value=np.ones(x.shape, x.dtype)))
            else:
                gx = g * np.where(below, w, 1)
        if self.needs[1]:
            gw = autograd._unbroadcast((g * x).where(below, 0.0) if _on_tensors(x) else np.where(below, g * x, 0),
                                       w.shape)
        return gx, gw


# ---- functional forms (nn.functional re-exports them) ----------------------------------------------

def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale (x for x > 0, alpha (exp(x) - 1) elsewhere), with the self-normalizing alpha and scale."""
    x = _float_tensor(input, "selu")
    return _maybe_in_place(x, inplace, "selu_", lambda: _apply(ELU, x, alpha=_SELU_ALPHA, scale=_SELU_SCALE))


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    x, alpha = _float_tensor(input, "celu"), _number(alpha, "celu", "alpha")
    if alpha == 0:  # torch raises a RuntimeError ("ZeroDivisionError")
        raise ConfigError("celu: alpha cannot be 0 (it divides x)")
    return _maybe_in_place(x, inplace, "celu_", lambda: _apply(ELU, x, alpha=alpha, input_scale=1 / alpha))


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """x tanh(softplus(x))."""
    x = _float_tensor(input, "mish")
    return _maybe_in_place(x, inplace, "mish_", lambda: _apply(Mish, x))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """x relu6(x + 3) / 6."""
    x = _float_tensor(input, "hardswish")
    return _maybe_in_place(x, inplace, "hardswish_", lambda: _apply(Hardswish, x))


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(x + 3) / 6."""
    x = _float_tensor(input, "hardsigmoid")
    return _maybe_in_place(x, inplace, "hardsigmoid_", lambda: _apply(Hardsigmoid, x))


def softsign(input: Tensor) -> Tensor:
    """x / (1 + |x|); integer tensors give float32, as torch."""
    return _apply(Softsign, _float_or_integer(input, "softsign"))


def tanhshrink(input: Tensor) -> Tensor:
    """x - tanh(x); integer tensors give float32, as torch."""
    return _apply(Tanhshrink, _float_or_integer(input, "tanhshrink"))


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x - lambd above lambd, x + lambd below -lambd, else 0; lambd must be >= 0 (and fit the dtype),
    as torch."""
    x, lambd = _float_tensor(input, "softshrink"), _number(lambd, "softshrink", "lambd")
    top = float(np.finfo(x.data.dtype).max)
    if not 0 <= lambd <= top:
        raise OutOfRangeError(f"softshrink: lambd must be in [0, {top:g}] for {x.dtype}, got {lambd}")
    return _apply(Softshrink, x, lambd=lambd)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """x where |x| > lambd, else 0 (a negative lambd keeps every x, as torch)."""
    x, lambd = _float_tensor(input, "hardshrink"), _number(lambd, "hardshrink", "lambd")
    return _apply(Hardshrink, x, lambd=lambd)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """value where x <= threshold, else x; on integer tensors with both arguments in their dtype
    (truncated, and refused where they do not fit it), as torch."""
    if not isinstance(input, Tensor):
        raise DTypeError(f"threshold: input must be a Tensor, got {type(input).__name__}")
    for name, number in (("threshold", threshold), ("value", value)):
        _number(number, "threshold", name)
    bounds = _threshold_arguments(input.data.dtype, threshold, value)
    return _maybe_in_place(input, inplace, "threshold_",
                           lambda: _apply(Threshold, input, threshold=bounds[0], value=bounds[1]))


def _threshold_arguments(dtype: np.dtype, threshold, value) -> tuple:
    """threshold and value as numbers of dtype's kind; for an integer dtype, refused where they are
    outside its range and then truncated toward zero, as torch (int8 refuses 127.5, takes -128.0)."""
    if dtype.kind not in "iu":
        return _bounds_in(dtype, threshold, value, "threshold")
    info = np.iinfo(dtype)
    for name, number in (("threshold", threshold), ("value", value)):
        if not info.min <= number <= info.max:
            raise OutOfRangeError(f"threshold: {name} {number} does not fit in the tensor's dtype {dtype} "
                                  f"[{info.min}, {info.max}]")
    return int(threshold), int(value)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x for x > 0, weight x elsewhere: weight holds one slope, or one per channel (dim 1, as torch;
    a 1-D input has one channel)."""
    x = _float_tensor(input, "prelu")
    if not isinstance(weight, Tensor):
        raise DTypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    if weight.dtype != x.dtype:  # torch does not promote here either
        raise DTypeError(f"prelu: input and weight must have one dtype, got {x.dtype} and {weight.dtype}")
    if weight.ndim > 1:
        raise ShapeError(f"prelu: weight must be 0-d or 1-D, got {weight.ndim}-D (shape {weight.shape})")
    n = weight.numel()
    if n == 1:
        return _apply(PReLU, x, weight.reshape(()))
    if x.ndim == 0:
        raise ShapeError(f"prelu: a 0-d input takes a single weight, got {n}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if n != channels:
        raise ShapeError(f"prelu: {n} weights for an input of {channels} channel{'s' * (channels != 1)} "
                         f"(shape {x.shape}); give one weight, or one per channel (dim 1)")
    return _apply(PReLU, x, weight.reshape((1, n) + (1,) * (x.ndim - 2)))


def _float_or_integer(x, op: str) -> Tensor:
    """x, with an integer tensor as float32 (torch's default dtype); bool refused, as torch."""
    if isinstance(x, Tensor) and x.data.dtype.kind in "iu":
        return x.float()
    if isinstance(x, Tensor) and x.data.dtype.kind == "b":
        raise DTypeError(f"{op}: bool inputs are not supported, as in torch")
    return _float_tensor(x, op)
