"""torch's module-level forms of the Tensor methods (tg.sum(x, 1), tg.max(x, dim), tg.exp(x), ...),
each a call of the method. (This module's sum, max, min, abs, pow, all and any hide Python's, so it uses none
of them.)"""
from __future__ import annotations

from .errors import DTypeError
from .tensor import Tensor


def _tensor(input, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}; make one with tg.tensor()")
    return input


def argmax(input, dim=None, keepdim: bool = False) -> Tensor: return _tensor(input, "argmax").argmax(dim, keepdim)
def argmin(input, dim=None, keepdim: bool = False) -> Tensor: return _tensor(input, "argmin").argmin(dim, keepdim)


def max(input, dim=None, keepdim: bool = False, *, other=None):
    """max(x): the largest value; max(x, dim, keepdim=False): (values, indices); max(x, other) or
    max(x, other=y): the elementwise maximum, as torch.max."""
    return _tensor(input, "max").max(dim if other is None else other, keepdim)


def min(input, dim=None, keepdim: bool = False, *, other=None):
    """min(x), min(x, dim, keepdim=False), min(x, other) or min(x, other=y), as torch.min."""
    return _tensor(input, "min").min(dim if other is None else other, keepdim)


def sum(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    return _tensor(input, "sum").sum(dim, keepdim, dtype=dtype)


def mean(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    return _tensor(input, "mean").mean(dim, keepdim, dtype=dtype)


def prod(input, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
    return _tensor(input, "prod").prod(dim, keepdim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _tensor(input, "var").var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return _tensor(input, "std").std(dim, unbiased, keepdim, correction=correction)


def amax(input, dim=None, keepdim: bool = False) -> Tensor: return _tensor(input, "amax").amax(dim, keepdim)
def amin(input, dim=None, keepdim: bool = False) -> Tensor: return _tensor(input, "amin").amin(dim, keepdim)
def all(input, dim=None, keepdim: bool = False) -> Tensor: return _tensor(input, "all").all(dim, keepdim)
def any(input, dim=None, keepdim: bool = False) -> Tensor: return _tensor(input, "any").any(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim: bool = False) -> Tensor:
    return _tensor(input, "norm").norm(p, dim, keepdim)


def cumsum(input, dim: int, *, dtype=None) -> Tensor: return _tensor(input, "cumsum").cumsum(dim, dtype=dtype)
def exp(input) -> Tensor: return _tensor(input, "exp").exp()
def log(input) -> Tensor: return _tensor(input, "log").log()
def sqrt(input) -> Tensor: return _tensor(input, "sqrt").sqrt()
def abs(input) -> Tensor: return _tensor(input, "abs").abs()
def neg(input) -> Tensor: return _tensor(input, "neg").neg()
def sign(input) -> Tensor: return _tensor(input, "sign").sign()
def square(input) -> Tensor: return _tensor(input, "square").square()
def log1p(input) -> Tensor: return _tensor(input, "log1p").log1p()
def tanh(input) -> Tensor: return _tensor(input, "tanh").tanh()
def sigmoid(input) -> Tensor: return _tensor(input, "sigmoid").sigmoid()
def relu(input) -> Tensor: return _tensor(input, "relu").relu()
def softmax(input, dim: int, dtype=None) -> Tensor: return _tensor(input, "softmax").softmax(dim, dtype)
def log_softmax(input, dim: int, dtype=None) -> Tensor: return _tensor(input, "log_softmax").log_softmax(dim, dtype)


def clamp(input, min=None, max=None) -> Tensor: return _tensor(input, "clamp").clamp(min, max)


clip = clamp


def flatten(input, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    return _tensor(input, "flatten").flatten(start_dim, end_dim)


def unflatten(input, dim: int, sizes) -> Tensor: return _tensor(input, "unflatten").unflatten(dim, sizes)
def unbind(input, dim: int = 0) -> tuple: return _tensor(input, "unbind").unbind(dim)


def reshape(input, shape) -> Tensor: return _tensor(input, "reshape").reshape(shape)
def transpose(input, dim0: int, dim1: int) -> Tensor: return _tensor(input, "transpose").transpose(dim0, dim1)
def permute(input, dims) -> Tensor: return _tensor(input, "permute").permute(dims)
def t(input) -> Tensor: return _tensor(input, "t").t()
def squeeze(input, dim=None) -> Tensor: return _tensor(input, "squeeze").squeeze(dim)
def unsqueeze(input, dim: int) -> Tensor: return _tensor(input, "unsqueeze").unsqueeze(dim)
def flip(input, dims) -> Tensor: return _tensor(input, "flip").flip(dims)
def gather(input, dim: int, index) -> Tensor: return _tensor(input, "gather").gather(dim, index)


def index_select(input, dim: int, index) -> Tensor:
    return _tensor(input, "index_select").index_select(dim, index)


def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):
    return _tensor(input, "topk").topk(k, dim, largest, sorted)


def sort(input, dim: int = -1, descending: bool = False, *, stable: bool = False):
    return _tensor(input, "sort").sort(dim, descending, stable=stable)


def argsort(input, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
    return _tensor(input, "argsort").argsort(dim, descending, stable=stable)


def masked_fill(input, mask, value) -> Tensor: return _tensor(input, "masked_fill").masked_fill(mask, value)


def add(input, other, *, alpha=1) -> Tensor: return _tensor(input, "add").add(other, alpha=alpha)
def sub(input, other, *, alpha=1) -> Tensor: return _tensor(input, "sub").sub(other, alpha=alpha)
def mul(input, other) -> Tensor: return _tensor(input, "mul") * other
def div(input, other) -> Tensor: return _tensor(input, "div") / other
def pow(input, exponent) -> Tensor: return _tensor(input, "pow") ** exponent
def mm(input, mat2) -> Tensor: return _tensor(input, "mm").mm(mat2)
def bmm(input, mat2) -> Tensor: return _tensor(input, "bmm").bmm(mat2)
def outer(input, vec2) -> Tensor: return _tensor(input, "outer").outer(vec2)


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:
    return _tensor(input, "logsumexp").logsumexp(dim, keepdim)


def eq(input, other) -> Tensor: return _tensor(input, "eq").eq(other)
def ne(input, other) -> Tensor: return _tensor(input, "ne").ne(other)
def gt(input, other) -> Tensor: return _tensor(input, "gt").gt(other)
def lt(input, other) -> Tensor: return _tensor(input, "lt").lt(other)
def ge(input, other) -> Tensor: return _tensor(input, "ge").ge(other)
def le(input, other) -> Tensor: return _tensor(input, "le").le(other)
def isnan(input) -> Tensor: return _tensor(input, "isnan").isnan()
def isinf(input) -> Tensor: return _tensor(input, "isinf").isinf()
def isfinite(input) -> Tensor: return _tensor(input, "isfinite").isfinite()
def numel(input) -> int: return _tensor(input, "numel").numel()


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return _tensor(input, "isclose").isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return _tensor(input, "allclose").allclose(other, rtol, atol, equal_nan)


def is_tensor(obj, /) -> bool:
    """Whether obj is a Tensor of this library."""
    return isinstance(obj, Tensor)
