"""tinygrad_mnist: a small reverse-mode autograd on NumPy with a PyTorch-shaped API."""
import builtins as _builtins

from .autograd import enable_grad, grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .errors import DTypeError, ShapeError
from .rng import manual_seed
from .tensor import Tensor
from .promotion import bool_, float16, float32, float64, int8, int16, int32, int64, uint8
from .factories import (
    arange, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones, ones_like, rand,
    rand_like, randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .functions import (
    abs, add, all, allclose, amax, amin, any, argmax, argmin, argsort, bmm, cat, ceil, chunk, clamp, clip, cumsum,
    div, eq, equal, erf, erfc, exp, flatten, flip, floor, gather, ge, gt, index_select, is_tensor, isclose,
    isfinite, isinf, isnan, le, log, log1p, log_softmax, logsumexp, lt, masked_fill, matmul, max, maximum, mean,
    min, minimum, mm, mul, ne, neg, nonzero, norm, numel, outer, permute, pow, prod, relu, reshape, round,
    sigmoid, sign, softmax, sort, split, sqrt, square, squeeze, stack, std, sub, sum, t, tanh, topk, transpose,
    trunc, unbind, unflatten, unsqueeze, var, where,
)
from .gradcheck import gradcheck

# torch's other names for the dtypes (here only: inside the package, float, int and bool are Python's)
float, double, half = float32, float64, float16
long, int, short, bool = int64, int32, int16, bool_
from .anomaly import detect_anomaly
from . import nn

__version__ = "0.1.0"


def __getattr__(name: str):
    """draw_graph and save_graph load the viz module (and graphviz) on first use, save and load the
    serialization module (and json and tempfile, about a tenth of the package's own import time)."""
    if name in ("draw_graph", "save_graph"):
        from . import viz
        return getattr(viz, name)
    if name in ("save", "load"):
        from . import serialization
        return getattr(serialization, name)
    raise AttributeError(f"module 'tinygrad_mnist' has no attribute {name!r}")


# A star import leaves Python's own float, int, bool, sum, max, min, abs, round, all and any as they are.
__all__ = [name for name in list(globals()) if not name.startswith("_") and not hasattr(_builtins, name)]
__all__ += ["save", "load"]
