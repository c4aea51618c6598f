"""The activations beyond ReLU, LeakyReLU, sigmoid and tanh (which live in ops.py): GELU (exact,
with erf, and tanh's approximation), SiLU, ELU, Softplus, LogSigmoid and Hardtanh (ReLU6), each one
Function, with their nn.functional forms. NumPy has no erf, so it is here too (W. J. Cody's
rational Chebyshev approximations), with the ops Tensor.erf and Tensor.erfc. The rest of torch's
activations (SELU, CELU, Mish, the hard and shrink ones, Threshold, PReLU) are in activations_more.py.

Backward rules run on ndarrays (array_backward) and, under create_graph, on Tensors: there they
rebuild their factors from recorded ops, so second derivatives come out right. A float16 input is
computed in float32 and rounded once, as torch computes it.
"""
from __future__ import annotations

import math

import numpy as np

from . import autograd
from .autograd import Function
from .errors import ConfigError, DTypeError, OutOfRangeError
from .promotion import _is_number, float16
from .tensor import Tensor

# ---- erf and erfc -------------------------------------------------------------------------------
# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
# 631-637, as in his CALERF: erf(x) = x R(x^2) for |x| <= 0.46875; erfc(y) = exp(-y^2) R(y) for
# 0.46875 < y <= 4; erfc(y) = exp(-y^2) / y (1/sqrt(pi) + R(1/y^2) / y^2) beyond. Each R is a ratio of
# polynomials evaluated by Horner's rule, in the input's dtype (float16 goes through float32).

_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03,
      1.85777706184603153e-1)
_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03)
_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01, 2.98635138197400131e02,
      8.81952221241769090e02, 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03,
      2.15311535474403846e-8)
_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02, 1.62138957456669019e03,
      3.29079923573345963e03, 4.36261909014324716e03, 3.43936767414372164e03, 1.23033935480374942e03)
_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2,
      6.58749161529837803e-4, 1.63153871373020978e-2)
_Q = (2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1, 6.05183413124413191e-2,
      2.33520497626869185e-3)
_INV_SQRT_PI = 5.6418958354775628695e-1
_THRESHOLD = 0.46875
_ERFC_ZERO = {np.dtype(np.float32): 10.1, np.dtype(np.float64): 27.3}  # erfc(y) rounds to 0 beyond


def _small_erf(x: np.ndarray) -> np.ndarray:
    """erf(x) for |x| <= 0.46875."""
    z = x * x
    num, den = _A[4] * z, z
    for a, b in zip(_A[:3], _B[:3]):
        num, den = (num + a) * z, (den + b) * z
    return x * (num + _A[3]) / (den + _B[3])


def _erfc_of_positive(y: np.ndarray) -> np.ndarray:
    """erfc(y) for y > 0.46875 (NaN stays NaN)."""
    out = np.zeros_like(y)
    out[np.isnan(y)] = np.nan
    mid = y <= 4
    if mid.any():
        m = y[mid]
        num, den = _C[8] * m, m
        for c, d in zip(_C[:7], _D[:7]):
            num, den = (num + c) * m, (den + d) * m
        out[mid] = _times_exp_minus_square(m, (num + _C[7]) / (den + _D[7]))
    far = (y > 4) & (y < _ERFC_ZERO[y.dtype])
    if far.any():
        f = y[far]
        z = 1 / (f * f)
        num, den = _P[5] * z, z
        for p, q in zip(_P[:4], _Q[:4]):
            num, den = (num + p) * z, (den + q) * z
        out[far] = _times_exp_minus_square(f, (_INV_SQRT_PI - z * (num + _P[4]) / (den + _Q[4])) / f)
    return out


def _times_exp_minus_square(y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """r exp(-y^2), with y^2 split as Cody does, s^2 + (y - s)(y + s) for s = y rounded down to
    1/16: s^2 is exact, so exp's relative error does not grow with y^2."""
    s = np.trunc(y * 16) / 16
    return np.exp(-s * s) * np.exp(-(y - s) * (y + s)) * r


def _in_working_dtype(fn):
    """fn on float32 or float64 arrays; float16 goes through float32, as torch computes it."""
    def wrapped(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        if x.dtype == np.float16:
            return fn(x.astype(np.float32)).astype(np.float16)
        return fn(x)
    wrapped.__doc__ = fn.__doc__
    return wrapped


@_in_working_dtype
def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, to a few ulp of float64 (or float32); erf(-0.0) = -0.0."""
    y = np.abs(x)
    small = y <= _THRESHOLD
    out = np.empty_like(x)
    out[small] = _small_erf(x[small])
    rest = ~small
    out[rest] = np.copysign(1 - _erfc_of_positive(y[rest]), x[rest])
    return out


@_in_working_dtype
def erfc(x: np.ndarray) -> np.ndarray:
    """1 - erf(x), elementwise, with its relative precision kept for large x (a few ulp)."""
    small = np.abs(x) <= _THRESHOLD
    out = np.empty_like(x)
    out[small] = 1 - _small_erf(x[small])
    rest = ~small
    r = x[rest]
    tail = _erfc_of_positive(np.abs(r))
    out[rest] = np.where(r < 0, 2 - tail, tail)
    return out


# ---- Functions ---------------------------------------------------------------------------------

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_TANH_SCALE = 2 * math.sqrt(2 / math.pi)  # twice tanh-GELU's sqrt(2 / pi): 1 + tanh(u) = 2 sigmoid(2u)
_TANH_CUBIC = 0.044715
# tanh-GELU's gradient factor 1 + 3 * 0.044715 x^2 is taken at x clamped to this: beyond, it multiplies
# sigmoid(2u)(1 - sigmoid(2u)), which is exactly 0 there, and x^2 could overflow to inf (0 * inf = NaN).
_TANH_CLAMP = 1e4


def _on_tensors(x) -> bool:
    return isinstance(x, autograd._Tensor)


def _sigmoid(a):
    """1 / (1 + exp(-a)) on an array, without overflow warnings (exp(-a) = inf gives 0), or recorded
    on a Tensor."""
    if _on_tensors(a):
        return a.sigmoid()
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-a))


def _exp(a):
    return a.exp() if _on_tensors(a) else np.exp(a)


def _normal_pdf(x):
    """exp(-x^2 / 2) / sqrt(2 pi), 0 where x^2 overflows."""
    return _exp(x * x * -0.5) * _INV_SQRT_2PI


_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Function):
    """erf(x) (Tensor.erf, tg.erf); d/dx = 2 / sqrt(pi) exp(-x^2)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        return erf(a)

    def backward(self, g):
        return g * _erf_slope(self.inputs[0])


class Erfc(Function):
    """erfc(x) = 1 - erf(x), keeping its relative precision for large x (Tensor.erfc, tg.erfc)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        return erfc(a)

    def backward(self, g):
        return g * -_erf_slope(self.inputs[0])


def _erf_slope(x):
    """2 / sqrt(pi) exp(-x^2), 0 where x^2 overflows."""
    with np.errstate(over="ignore"):
        return _exp(x * x * -1.0) * _TWO_OVER_SQRT_PI


class NormalCDF(Function):
    """The standard normal's CDF, erfc(-x / sqrt(2)) / 2 (exact GELU's factor, recorded under
    create_graph so that its second derivative has the pdf's)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        return erfc(a * -_SQRT1_2) * 0.5

    def backward(self, g):
        with np.errstate(over="ignore"):
            return g * _normal_pdf(self.inputs[0])


class GELU(Function):
    """x Phi(x), Phi the normal CDF (from erfc, so it keeps its relative precision for negative x,
    where torch's 1 + erf(x / sqrt(2)) cancels); approximate='tanh': x sigmoid(2u), u = sqrt(2/pi)
    (x + 0.044715 x^3), which is torch's x (1 + tanh(u)) / 2 without its cancellation."""
    array_backward = True
    save_inputs = True

    def forward(self, a, approximate):
        self.args = {"approximate": approximate}
        with np.errstate(over="ignore", invalid="ignore"):  # x^3 = inf for huge x; -inf * 0 = NaN, as torch
            factor = erfc(a * -_SQRT1_2) * 0.5 if approximate == "none" else _sigmoid(_tanh_inner(a))
            self.save(factor, approximate)
            return a * factor

    def backward(self, g):
        x = self.inputs[0]
        factor, approximate = self.saved
        if _on_tensors(x):
            factor = NormalCDF.apply(x) if approximate == "none" else _sigmoid(_tanh_inner(x))
        with np.errstate(over="ignore", invalid="ignore"):  # inf * 0 = NaN at x = +-inf, as torch
            if approximate == "none":
                return g * (factor + x * _normal_pdf(x))
            near = x.clip(-_TANH_CLAMP, _TANH_CLAMP)
            return g * (factor + x * (factor * (1 - factor)) * (_TANH_SCALE * (1 + near * near * (3 * _TANH_CUBIC))))


def _tanh_inner(x):
    """2u = 2 sqrt(2 / pi) (x + 0.044715 x^3)."""
    return x * _TANH_SCALE * (1 + x * x * _TANH_CUBIC)


class SiLU(Function):
    """x sigmoid(x); d/dx = s (1 + x (1 - s))."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        s = _sigmoid(a)
        self.save(s)
        with np.errstate(invalid="ignore"):  # -inf * 0 = NaN, as torch
            return a * s

    def backward(self, g):
        x = self.inputs[0]
        s = _sigmoid(x) if _on_tensors(x) else self.saved[0]
        with np.errstate(invalid="ignore"):
            return g * (s * (1 + x * (1 - s)))


class ELU(Function):
    """x for x > 0, alpha (exp(x) - 1) elsewhere, with torch's scale and input_scale (SELU and CELU):
    scale x, and alpha scale (exp(input_scale x) - 1); d/dx = alpha scale input_scale exp(input_scale x)
    where x <= 0, else scale (also at NaN, as torch's scalar loop)."""
    array_backward = True
    save_inputs = True

    def forward(self, a, alpha, scale=1.0, input_scale=1.0):
        self.save(alpha, scale, input_scale)
        self.args = {"alpha": alpha} if scale == input_scale == 1 else \
            {"alpha": alpha, "scale": scale, "input_scale": input_scale}
        with np.errstate(over="ignore"):  # a negative input_scale (CELU's alpha < 0) can overflow, to inf as torch
            return np.where(a > 0, a * scale, np.expm1(np.minimum(a, 0) * input_scale) * (alpha * scale))

    def backward(self, g):
        x, (alpha, scale, input_scale) = self.inputs[0], self.saved
        below, slope = autograd._plain(x) <= 0, alpha * scale * input_scale
        with np.errstate(over="ignore"):
            if _on_tensors(x):
                return g * ((x.clamp(max=0) * input_scale).exp() * slope).where(below, scale)
            return g * np.where(below, np.exp(np.minimum(x, 0) * input_scale) * slope, scale)


class Softplus(Function):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold; d/dx = sigmoid(beta x), and 1
    there. The log is taken as max(z, 0) + log1p(exp(-|z|)), which never overflows (torch's
    log1p(exp(z)) is inf for z above 709, or 88 in float32, reachable with a large threshold)."""
    array_backward = True
    save_inputs = True

    def forward(self, a, beta, threshold):
        self.save(beta, threshold)
        self.args = {"beta": beta, "threshold": threshold}
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # beta = 0 gives inf, as torch
            z = a * beta
            soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
            return np.where(z > threshold, a, soft)

    def backward(self, g):
        x = self.inputs[0]
        beta, threshold = self.saved
        with np.errstate(over="ignore", invalid="ignore"):
            z = x * beta
            linear = autograd._plain(z) > threshold
            if _on_tensors(x):
                return g * z.sigmoid().where(~linear, 1.0)
            return g * np.where(linear, 1, _sigmoid(z))


class LogSigmoid(Function):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), finite for every finite x; d/dx = sigmoid(-x)."""
    array_backward = True
    save_inputs = True

    def forward(self, a):
        return np.minimum(a, 0) - np.log1p(np.exp(-np.abs(a)))

    def backward(self, g):
        return g * _sigmoid(-self.inputs[0])


class Hardtanh(Function):
    """x clamped to [min_val, max_val]; the gradient passes only strictly inside, as torch (clamp's
    passes at the bounds too). At NaN it is 0, as torch's vectorized loop gives (its scalar loop, for
    the last few elements, passes it)."""
    array_backward = True
    saved_factors = True

    def forward(self, a, min_val, max_val):
        self.args = {"min_val": min_val, "max_val": max_val}
        if a.dtype.kind == "f":
            self.save((a > min_val) & (a < max_val))
        return np.clip(a, min_val, max_val)

    def backward(self, g): return g * self.saved[0]


# ---- functional forms (nn.functional re-exports them) --------------------------------------------

def _float_tensor(x, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":  # torch: not implemented for integer (and bool) tensors
        raise DTypeError(f"{op}: needs a floating-point tensor, got dtype {x.dtype}; use .float()")
    return x


def _apply(function: type[Function], x: Tensor, *others: Tensor, **args) -> Tensor:
    """function.apply(x, *others, **args); float16 is computed in float32 and rounded once, as torch
    computes it (in float16 throughout, silu and gelu were hundreds of units in the last place off
    where their values are small, and the gradients of softplus and logsigmoid too)."""
    if x.data.dtype == float16:
        return function.apply(x.float(), *(t.float() for t in others), **args).half()
    return function.apply(x, *others, **args)


def _number(value, op: str, name: str) -> float:
    """value as a Python float (so that a NumPy float64 does not widen a float32 tensor); bools count,
    as in torch."""
    if not _is_number(value):
        raise DTypeError(f"{op}: {name} must be a number, got {value!r} of type {type(value).__name__}")
    return float(value)


def _maybe_in_place(x: Tensor, inplace: bool, name: str, compute) -> Tensor:
    """compute(), written into x with inplace=True, as torch (see Tensor._in_place)."""
    return x._in_place(name, compute) if inplace else compute()


_APPROXIMATIONS = ("none", "tanh")


def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """x Phi(x) with Phi the standard normal CDF (exact, from erf), or with approximate='tanh' torch's
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2."""
    if not isinstance(approximate, str):
        raise DTypeError(f"gelu: approximate must be a str, 'none' or 'tanh', got {type(approximate).__name__}")
    if approximate not in _APPROXIMATIONS:  # torch raises a RuntimeError here
        raise ConfigError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _apply(GELU, _float_tensor(input, "gelu"), approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """x sigmoid(x) (swish)."""
    x = _float_tensor(input, "silu")
    return _maybe_in_place(x, inplace, "silu_", lambda: _apply(SiLU, x))


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha (exp(x) - 1) elsewhere."""
    x, alpha = _float_tensor(input, "elu"), _number(alpha, "elu", "alpha")
    return _maybe_in_place(x, inplace, "elu_", lambda: _apply(ELU, x, alpha=alpha))


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold."""
    x = _float_tensor(input, "softplus")
    beta, threshold = _number(beta, "softplus", "beta"), _number(threshold, "softplus", "threshold")
    return _apply(Softplus, x, beta=beta, threshold=threshold)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)), stable for large |x|."""
    return _apply(LogSigmoid, _float_tensor(input, "logsigmoid"))


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val] (min_val == max_val is allowed, as torch); integer tensors too,
    with the bounds truncated to integers, as torch."""
    return _hardtanh(input, min_val, max_val, inplace, "hardtanh")


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """min(max(x, 0), 6)."""
    return _hardtanh(input, 0.0, 6.0, inplace, "relu6")


def _hardtanh(x, min_val, max_val, inplace: bool, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    for name, value in (("min_val", min_val), ("max_val", max_val)):
        _number(value, op, name)
    if min_val > max_val:
        raise ConfigError(f"{op}: min_val cannot be greater than max_val, got {min_val} > {max_val}")
    bounds = _bounds_in(x.data.dtype, min_val, max_val, op)
    return _maybe_in_place(x, inplace, f"{op}_", lambda: Hardtanh.apply(x, min_val=bounds[0], max_val=bounds[1]))


def _bounds_in(dtype: np.dtype, min_val, max_val, op: str) -> tuple:
    """The bounds as numbers of dtype's kind, refused where torch refuses them: outside the dtype's
    range, negative for an unsigned one, or for a bool tensor."""
    if dtype.kind == "b":
        raise DTypeError(f"{op}: bool inputs are not supported, as in torch")
    if dtype.kind == "f":
        bounds, top = (float(min_val), float(max_val)), float(np.finfo(dtype).max)
        outside = [b for b in bounds if math.isfinite(b) and abs(b) > top]
    else:
        bounds = (int(min_val), int(max_val))  # truncated toward zero, as torch converts them
        info = np.iinfo(dtype)
        if dtype.kind == "u" and min(bounds) < 0:
            raise OutOfRangeError(f"{op}: cannot take negative limits for an unsigned tensor ({dtype}), as in torch")
        outside = [b for b in bounds if not info.min <= b <= info.max]
    if outside:
        raise OutOfRangeError(f"{op}: the limit {outside[0]} does not fit in the tensor's dtype {dtype}")
    return bounds
