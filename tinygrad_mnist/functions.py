"""torch's module-level functions: matmul, where, cat and stack, and the module-level forms of the
Tensor methods (tg.sum(x, 1), tg.max(x, dim), tg.exp(x), tg.split(x, 2), ...), each a call of the
method. (This module's sum, max, min, abs, pow, round, all and any hide Python's, so it uses none of them.)"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from . import ops
from .arguments import _dim
from .errors import DTypeError, ShapeError
from .promotion import _as_tensor, _cat_dtype, _operands, bool_

Tensor = None  # set by tensor.py once the class exists (tensor.py imports this module)


def _tensor(input, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}; make one with tg.tensor()")
    return input


_BOOL_PRODUCT = "{op}: bool tensors have no matrix product (torch refuses them too); cast them first, e.g. .int()"


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product: 1-D, 2-D and batched (leading dims broadcast), of two tensors of one dtype,
    as torch.matmul."""
    a, b = _as_tensor(a), _as_tensor(b)
    if a.data.dtype != b.data.dtype:
        raise DTypeError(f"matmul: both operands need the same dtype, as in torch, got {a.dtype} and {b.dtype}; "
                         "cast one with .to(...)")
    if a.data.dtype == bool_:
        raise DTypeError(_BOOL_PRODUCT.format(op="matmul"))
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both arguments need at least 1 dim, got shapes {a.shape} and {b.shape}")
    inner_b = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != inner_b:
        hint = "; did you mean to transpose the second operand (.T)?" if a.shape[-1] == b.shape[-1] else ""
        raise ShapeError(f"matmul: shapes {a.shape} and {b.shape} do not align "
                         f"(inner dims {a.shape[-1]} != {inner_b}){hint}")
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum()
    if a.ndim == 1:
        return ops.MatMul.apply(a.unsqueeze(0), b).squeeze(-2)
    if b.ndim == 1:
        return ops.MatMul.apply(a, b.unsqueeze(1)).squeeze(-1)
    return ops.MatMul.apply(a, b)


def where(condition, input=None, other=None) -> Tensor | tuple[Tensor, ...]:
    """input where condition holds, other elsewhere (all three broadcast); of the condition alone,
    the indices where it is nonzero, one tensor per dim, as torch.where(c) and nonzero(as_tuple=True)."""
    if input is None and other is None:
        return _tensor(condition, "where").nonzero(as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: give both input and other, or neither (for the indices where the condition holds)")
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != bool_:
        raise DTypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
    if not isinstance(input, Tensor) and not isinstance(other, Tensor):
        input = _as_tensor(input)
    a, b = _operands(input, other)
    return ops.Where.apply(a, b, cond=cond)


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim. As torch, empty 1-D tensors (the tensor([]) an
    accumulating loop starts from) join whatever the others' shapes, adding only their dtype."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.ndim == 0:
            raise ShapeError(f"cat: zero-dimensional tensor (at position {i}) cannot be concatenated; "
                             "use stack")
    dtype = _cat_dtype([t.data.dtype for t in tensors])
    tensors = [t._cast(dtype) for t in tensors]
    shaped = [i for i, t in enumerate(tensors) if t.shape != (0,)] or [0]
    first = tensors[shaped[0]].shape
    dim = _dim(dim, len(first))
    for i in shaped[1:]:
        shape = tensors[i].shape
        if len(shape) != len(first) or shape[:dim] + shape[dim + 1:] != first[:dim] + first[dim + 1:]:
            raise ShapeError(f"cat: tensor {i} has shape {shape}, which does not match tensor "
                             f"{shaped[0]}'s {first} outside dim {dim}")
    return ops.Cat.apply(*tensors, dim=dim)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join equally shaped tensors along a new dim."""
    tensors = [_as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != tensors[0].shape:
            raise ShapeError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has {tensors[0].shape}")
    dim = _dim(dim, tensors[0].ndim + 1)
    return cat([t.unsqueeze(dim) for t in tensors], dim)


def split(tensor: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """tensor.split(split_size_or_sections, dim), as torch.split."""
    return tensor.split(split_size_or_sections, dim)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """input.chunk(chunks, dim), as torch.chunk."""
    return input.chunk(chunks, dim)


def maximum(a, b) -> Tensor:
    return _as_tensor(a).maximum(b)


def minimum(a, b) -> Tensor:
    return _as_tensor(a).minimum(b)


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
def round(input, *, decimals: int = 0) -> Tensor: return _tensor(input, "round").round(decimals=decimals)
def floor(input) -> Tensor: return _tensor(input, "floor").floor()
def ceil(input) -> Tensor: return _tensor(input, "ceil").ceil()
def trunc(input) -> Tensor: return _tensor(input, "trunc").trunc()
def square(input) -> Tensor: return _tensor(input, "square").square()
def log1p(input) -> Tensor: return _tensor(input, "log1p").log1p()
def erf(input) -> Tensor: return _tensor(input, "erf").erf()
def erfc(input) -> Tensor: return _tensor(input, "erfc").erfc()
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
def nonzero(input, *, as_tuple: bool = False): return _tensor(input, "nonzero").nonzero(as_tuple=as_tuple)


def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    return _tensor(input, "isclose").isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    return _tensor(input, "allclose").allclose(other, rtol, atol, equal_nan)


def is_tensor(obj, /) -> bool:
    """Whether obj is a Tensor of this library."""
    return isinstance(obj, Tensor)


def equal(input, other) -> bool:
    return _tensor(input, "equal").equal(other)
