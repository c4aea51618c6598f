"""Layers: Linear, activations (PReLU with its learnable slope), Dropout, Flatten, Identity (reprs as PyTorch
prints them)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..activations import _number
from ..arguments import check_cpu
from ..errors import ConfigError, DTypeError
from ..promotion import as_dtype, float32
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


_COLUMN_MAJOR_FROM = 1 << 17  # weight elements (512 kB in float32): measured in benchmarks/, config A


class Linear(Module):
    """y = x @ weight.T + bias, weight (out_features, in_features), initialised as PyTorch does."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            _check_size(value, name)
        check_cpu(device, "Linear")
        dtype = float32 if dtype is None else as_dtype(dtype, "Linear")
        if dtype.kind != "f":
            raise DTypeError(f"Linear: dtype must be floating point, got {dtype}")
        self.in_features, self.out_features = in_features, out_features
        # A large weight of a layer that narrows its input (out < in) is stored column-major, as
        # the transpose of a C-ordered (in, out) array: OpenBLAS then multiplies x @ weight.T and
        # forms the weight's gradient 7-20% faster (g @ weight, the input's gradient, up to 15%
        # slower). For square and widening layers column-major came out level to 11% slower, and
        # small weights stay row-major, which their updates read faster. Measured on the products
        # of benchmarks/matmul_speed.py, shapes 256x784 to 2048x784, and in training.
        large = in_features * out_features >= _COLUMN_MAJOR_FROM
        order = "F" if large and out_features < in_features else "C"
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype, order=order))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """kaiming_uniform_(a=sqrt(5)) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _check_size(value, name: str, op: str = "Linear") -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DTypeError(f"{op}: {name} must be an integer, got {value!r} of type {type(value).__name__}")
    if value < 0:  # 0 makes an empty weight, as in torch
        raise ConfigError(f"{op}: {name} must be >= 0, got {value}")


class _InPlaceActivation(Module):
    """An activation whose one option is inplace=True: the result written into x, as torch (see
    Tensor's in-place ops)."""
    prints_inplace = True  # (torch's reprs of Hardswish and Hardsigmoid leave it out)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace and self.prints_inplace else ""


class ReLU(_InPlaceActivation):
    """max(x, 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu_() if self.inplace else x.relu()  # as F.relu, without its call on the hot path


class LeakyReLU(Module):
    """x for x >= 0, negative_slope * x below; inplace as in ReLU."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class GELU(Module):
    """x Phi(x), or tanh's approximation with approximate='tanh' (checked when called, as in torch)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_InPlaceActivation):
    """x sigmoid(x)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x, self.inplace)


class _AlphaActivation(Module):
    """An activation with torch's options alpha and inplace (ELU and CELU)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class ELU(_AlphaActivation):
    """x for x > 0, alpha (exp(x) - 1) elsewhere; inplace as in ReLU."""

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha, self.inplace)


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(x)


class Hardtanh(Module):
    """x clamped to [min_val, max_val], which must have min_val < max_val (torch raises an
    AssertionError, this a ConfigError); min_value and max_value are torch's deprecated names."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None):
        super().__init__()
        for old, new, value in (("min_value", "min_val", min_value), ("max_value", "max_val", max_value)):
            if value is not None:
                warnings.warn(f"keyword argument `{old}` is deprecated and renamed to `{new}`", FutureWarning,
                              stacklevel=2)
        min_val = min_val if min_value is None else min_value
        max_val = max_val if max_value is None else max_value
        name = type(self).__name__
        for bound, value in (("min_val", min_val), ("max_val", max_val)):
            _number(value, name, bound)
        if max_val <= min_val:
            raise ConfigError(f"{name}: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.hardtanh(x, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """min(max(x, 0), 6): Hardtanh(0.0, 6.0), as in torch."""

    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.relu6(x, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class SELU(_InPlaceActivation):
    """scale * elu(x, alpha) with the self-normalizing constants."""

    def forward(self, x: Tensor) -> Tensor:
        return F.selu(x, self.inplace)


class CELU(_AlphaActivation):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1)); inplace as in ReLU."""

    def forward(self, x: Tensor) -> Tensor:
        return F.celu(x, self.alpha, self.inplace)


class Mish(_InPlaceActivation):
    """x tanh(softplus(x))."""

    def forward(self, x: Tensor) -> Tensor:
        return F.mish(x, self.inplace)


class Hardswish(_InPlaceActivation):
    """x relu6(x + 3) / 6."""
    prints_inplace = False

    def forward(self, x: Tensor) -> Tensor:
        return F.hardswish(x, self.inplace)


class Hardsigmoid(_InPlaceActivation):
    """relu6(x + 3) / 6."""
    prints_inplace = False

    def forward(self, x: Tensor) -> Tensor:
        return F.hardsigmoid(x, self.inplace)


class Softsign(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.softsign(x)


class Tanhshrink(Module):
    def forward(self, x: Tensor) -> Tensor:
        return F.tanhshrink(x)


class _Shrink(Module):
    """An activation with torch's one option lambd (checked when called, as in torch)."""

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Softshrink(_Shrink):
    """x - lambd above lambd, x + lambd below -lambd, else 0."""

    def forward(self, x: Tensor) -> Tensor:
        return F.softshrink(x, self.lambd)


class Hardshrink(_Shrink):
    """x where |x| > lambd, else 0."""

    def forward(self, x: Tensor) -> Tensor:
        return F.hardshrink(x, self.lambd)


class Threshold(Module):
    """value where x <= threshold, else x; inplace as in ReLU."""

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.threshold(x, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x for x > 0, weight x elsewhere, with a learnable weight: one slope, or one per channel (dim 1),
    all starting at init."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        _check_size(num_parameters, "num_parameters", "PReLU")
        _number(init, "PReLU", "init")
        check_cpu(device, "PReLU")
        dtype = float32 if dtype is None else as_dtype(dtype, "PReLU")
        if dtype.kind != "f":
            raise DTypeError(f"PReLU: dtype must be floating point, got {dtype}")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(np.empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, x: Tensor) -> Tensor:
        return F.prelu(x, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class Softmax(Module):
    """softmax over dim; without one, over torch's implicit dim, with its warning (see F.softmax)."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, x: Tensor) -> Tensor:
        return F.log_softmax(x, self.dim)


class Dropout(Module):
    """Inverted dropout: active in training mode only, seeded by tg.manual_seed; inplace as in
    ReLU."""

    def __init__(self, p: float = 0.5, inplace: bool = False):
        super().__init__()
        F.check_probability(p, "Dropout", "p")
        self.p, self.inplace = p, inplace

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Flatten(Module):
    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Identity(Module):
    """x unchanged; any arguments are accepted and ignored, as in torch."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x
