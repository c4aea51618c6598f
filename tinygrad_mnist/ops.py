"""One small Function per primitive: forward on ndarrays, backward with Tensor ops.

Backward rules may return a gradient of the broadcast output shape: the engine reduces it to the
input's shape. Rules only compute the gradients an input needs (`self.needs`).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from . import autograd
from .autograd import Function
from .errors import DTypeError


def _kept_shape(shape: tuple, dims: tuple | None) -> tuple:
    """The shape of a reduction over dims with keepdim=True."""
    if dims is None:
        return (1,) * len(shape)
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


class _Constants(dict):
    """(value, dtype) -> a read-only 0-d array of value in dtype, made on first use. A ufunc takes
    a Python number through a slower path than an array of its operand's dtype: np.maximum(a, 0)
    on a 16x20 array takes 0.2 us longer than np.maximum(a, CONSTANTS[0, a.dtype])."""

    def __missing__(self, key: tuple) -> np.ndarray:
        value, dtype = key
        constant = self[key] = np.array(value, dtype)
        constant.flags.writeable = False
        return constant


CONSTANTS = _Constants()


# Two spellings that differ between ndarray and Tensor, for rules that run on both.
def _sum_kept(x, dims):
    """x summed over dims, which stay as size-1 dims."""
    if isinstance(x, autograd._Tensor):
        return x.sum(dim=dims, keepdim=True)
    return np.add.reduce(x, axis=dims, keepdims=True)  # (ndarray.sum goes through a Python wrapper)


def _expand(x, shape: tuple):
    """x broadcast to shape (a new array: filling one costs less than np.broadcast_to's wrapper)."""
    if isinstance(x, autograd._Tensor):
        return x.expand(shape)
    out = np.empty(shape, x.dtype)
    out[...] = x
    return out


# ---- elementwise arithmetic -------------------------------------------------------------------

class Add(Function):
    array_backward = True
    def forward(self, a, b): return a + b
    def backward(self, g): return g, g


class Sub(Function):
    array_backward = True
    def forward(self, a, b): return a - b
    def backward(self, g): return g, (-g if self.next[1] is not None else None)


class Mul(Function):
    array_backward = True
    save_inputs = True
    inputs_for_others = True
    def forward(self, a, b): return a * b

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Function):
    array_backward = True
    save_inputs = True
    def forward(self, a, b): return a / b

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs
        # a / b / b, as torch: b * b leaves float32's range for |b| above 1.8e19 or below 1e-19
        return (g / b if need_a else None), (-g * (a / b / b) if need_b else None)


class Neg(Function):
    array_backward = True
    def forward(self, a):
        if a.dtype == np.bool_:
            raise DTypeError("negation, the - operator, of a bool tensor is not supported, as in torch; to invert "
                             "a mask use ~")
        return -a
    def backward(self, g): return -g


def _power(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a ** b; for integers, where b < 0, torch's 1 ** b = 1, (-1) ** b = +-1 and 0 for any other a
    (NumPy refuses negative integer powers)."""
    if b.dtype.kind != "i" or a.dtype.kind == "f" or not (b < 0).any():
        return np.power(a, b)
    negative = b < 0
    return np.where(negative & (np.abs(a) != 1), 0, np.power(a, np.where(negative, -b, b)))


class Pow(Function):
    """a ** b with b a tensor; where b == 0, d/da is 0, and where a == 0 and b >= 0, d/db is 0 (as
    torch). The gradients are computed in the result's dtype (of float16 ** float32, float32)."""
    array_backward = True
    save_inputs = True
    save_output = True
    def forward(self, a, b): return _power(a, b)

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs
        if isinstance(a, autograd._Tensor):
            a = a._cast(self.dtype)
            ga = (g * b * a ** (b - 1)).masked_fill(b.data == 0, 0) if need_a else None
            gb = None
            if need_b:
                zero = (a.data == 0) & (b.data >= 0)
                gb = (g * self.output * a.masked_fill(zero, 1).log()).masked_fill(zero, 0)
            return ga, gb
        a = a.astype(self.dtype, copy=False)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0 ** negative = inf, as the Tensor ops give it
            ga = np.where(b == 0, 0, g * b * a ** (b - 1)) if need_a else None
            gb = None
            if need_b:
                zero = (a == 0) & (b >= 0)
                gb = np.where(zero, 0, g * self.output * np.log(np.where(zero, 1, a)))
        return ga, gb


class PowScalar(Function):
    """a ** e for a Python number e (kept out of the graph)."""
    array_backward = True
    save_inputs = True
    def forward(self, a, exponent):
        self.save(exponent)
        self.args = {"exponent": exponent}
        return np.power(a, exponent)

    def backward(self, g):
        (a,), (e,) = self.inputs, self.saved
        return g * 0 if e == 0 else g * e * a ** (e - 1)


def _floor_divide(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a // b as torch computes it: integers floor (dividing by zero is an error, where NumPy
    gives 0); floats with torch's formula in their own dtype (NumPy rounds float16 through
    float32, which differs in the last bit), and a / b where b is 0."""
    if a.dtype.kind != "f" and b.dtype.kind != "f":
        _refuse_integer_zero(b, "floor_divide")
        return np.floor_divide(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.fmod(a, b)
        div = (a - mod) / b
        div = div - _off_by_sign(mod, b)
        floor = np.floor(div)
        floor = floor + (div - floor > 0.5)
        floor = np.where(div == 0, np.copysign(np.zeros_like(div), a / b), floor)
        return np.where(b == 0, a / b, floor)


def _remainder(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a - floor(a / b) * b with the sign of b, as torch (a zero keeps fmod's sign, as there)."""
    if a.dtype.kind != "f" and b.dtype.kind != "f":
        _refuse_integer_zero(b, "remainder")
        return np.remainder(a, b)
    with np.errstate(invalid="ignore"):
        mod = np.fmod(a, b)
        return np.where(_off_by_sign(mod, b), mod + b, mod)


def _off_by_sign(mod: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where fmod's remainder is nonzero with the other sign than b: there floor division is one
    lower than truncation, and torch's remainder is mod + b."""
    return (mod != 0) & ((b < 0) != (mod < 0))


def _refuse_integer_zero(b: np.ndarray, op: str) -> None:
    """Raise, as torch, where an integer divisor is 0 (NumPy would give 0 with a warning)."""
    if (b == 0).any():
        raise RuntimeError(f"{op}: integer division by zero (ZeroDivisionError, as in torch)")


class FloorDivide(Function):
    """a // b, rounded toward minus infinity. torch records it but defines no derivative, so
    backward through it raises, as there."""
    def forward(self, a, b): return _floor_divide(a, b)

    def backward(self, g):
        raise RuntimeError("derivative for floor_divide is not implemented (nor in torch: the result "
                           "is piecewise constant); detach() its inputs if no gradient should flow")


class Remainder(Function):
    """a % b with the sign of b; d/da = 1 and d/db = -floor(a / b), as torch, except that torch
    defines no derivative for a number % a tensor (number_first), so backward then raises."""
    array_backward = True
    save_inputs = True
    def forward(self, a, b, number_first=False):
        self.save(number_first)
        return _remainder(a, b)

    def backward(self, g):
        if self.saved[0]:
            raise RuntimeError("derivative for remainder is not implemented for a number % a tensor (nor "
                               "in torch); make the number a tensor, tensor(number) % x, to get one")
        a, b = self.inputs
        need_a, need_b = self.needs
        return (g if need_a else None), (-g * _floor_divide(autograd._plain(a), autograd._plain(b)) if need_b else None)


# ---- unary math -------------------------------------------------------------------------------

class Exp(Function):
    array_backward = True
    save_output = True
    def forward(self, a): return np.exp(a)
    def backward(self, g): return g * self.output


class Log(Function):
    array_backward = True
    save_inputs = True
    def forward(self, a):
        with np.errstate(divide="ignore"):  # log(0) = -inf, silently, as in torch
            return np.log(a)
    def backward(self, g): return g / self.inputs[0]


class Log1p(Function):
    array_backward = True
    save_inputs = True
    def forward(self, a):
        with np.errstate(divide="ignore"):
            return np.log1p(a)
    def backward(self, g): return g / (self.inputs[0] + 1)


class Sqrt(Function):
    array_backward = True
    save_output = True
    def forward(self, a): return np.sqrt(a)
    def backward(self, g): return g / (self.output * 2)


def _sign(a: np.ndarray) -> np.ndarray:
    """-1, 0 or 1 per element, and 0 at NaN, as torch.sign (NumPy's is NaN there); a bool tensor's
    is itself, as torch's (NumPy has none)."""
    if a.dtype == bool:
        return a.copy()
    if a.dtype.kind != "f":
        return np.sign(a)
    return np.sign(a, out=np.zeros_like(a), where=~np.isnan(a))


# Under create_graph, the masks of abs and relu are taken with the recorded sign(), whose
# derivative is zero: the gradient then depends on x, as torch's does, so a second derivative
# through them is zero instead of an input the graph does not reach.
class Abs(Function):
    array_backward = True
    save_inputs = True
    def forward(self, a):
        if a.dtype == np.bool_:
            raise DTypeError("abs of a bool tensor is not supported, as in torch; a mask is its own abs")
        return np.abs(a)

    def backward(self, g):
        a = self.inputs[0]
        return g * (_sign(a) if type(a) is np.ndarray else a.sign())


class _PiecewiseConstant(Function):
    """An op whose gradient is zero: recorded, as torch records it, so that its graph goes on."""
    array_backward = True
    def backward(self, g):  # zeros even where g is inf or nan, as torch
        return autograd._make_tensor(np.zeros_like(g.data), None) if isinstance(g, autograd._Tensor) \
            else np.zeros_like(g)


class Sign(_PiecewiseConstant):
    def forward(self, a): return _sign(a)


def _integral(a: np.ndarray, op: str, rounded):
    """rounded(a) in a's dtype; an integer tensor is already integral (a copy, as torch's)."""
    if a.dtype == np.bool_:
        raise DTypeError(f"{op}: a bool tensor cannot be rounded, as in torch; cast it first, e.g. .float()")
    return a.copy() if a.dtype.kind in "iu" else rounded(a)


class Round(_PiecewiseConstant):
    def forward(self, a, decimals: int):  # halves to even, as torch and NumPy
        if decimals and a.dtype.kind in "iu":
            raise DTypeError(f"round: decimals={decimals} of an integer tensor is not supported, as in torch; "
                             "cast it first, e.g. .float()")
        return _integral(a, "round", lambda v: np.round(v, decimals))


class Floor(_PiecewiseConstant):
    def forward(self, a): return _integral(a, "floor", np.floor)


class Ceil(_PiecewiseConstant):
    def forward(self, a): return _integral(a, "ceil", np.ceil)


class Trunc(_PiecewiseConstant):
    def forward(self, a): return _integral(a, "trunc", np.trunc)


class ReLU(Function):
    array_backward = True
    save_output = True
    def forward(self, a): return np.maximum(a, CONSTANTS[0, a.dtype])
    def backward(self, g):  # g passes where out is not 0 (out >= 0), also at NaN, as torch
        out = self.output
        if type(out) is np.ndarray:
            return g * (out != CONSTANTS[0, out.dtype])
        return g * out.sign().masked_fill(out.isnan(), 1)  # sign(out) is out > 0


class LeakyReLU(Function):
    array_backward = True
    saved_factors = True
    def forward(self, a, slope):
        factor = np.where(a > 0, 1, slope).astype(a.dtype)
        self.save(factor)
        self.args = {"negative_slope": slope}
        return a * factor

    def backward(self, g): return g * self.saved[0]


def sigmoid_array(a: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-a)), as a new array."""
    if a.dtype == np.float16:  # in float32, rounded once, as torch: in float16 its four steps' roundings add up
        return sigmoid_array(a.astype(np.float32)).astype(np.float16)
    out = np.asarray(np.negative(a))  # (a 0-d input gives a NumPy scalar)
    with np.errstate(over="ignore"):  # exp(-a) = inf for very negative a still gives 0
        np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class Sigmoid(Function):
    array_backward = True
    save_output = True
    def forward(self, a): return sigmoid_array(a)

    def backward(self, g):
        s = self.output
        if type(s) is not np.ndarray:  # Tensors: recorded products
            return g * s * (1 - s)
        d = 1 - s
        d *= s
        d *= g
        return d


class Tanh(Function):
    array_backward = True
    save_output = True
    def forward(self, a): return np.tanh(a)

    def backward(self, g):
        t = self.output
        return g * (1 - t * t)


# ---- softmax family ---------------------------------------------------------------------------

def _stable_max(a: np.ndarray, dim, keep_plus_inf: bool = False) -> np.ndarray:
    """max over dim (kept), with infinities replaced by 0 so a - max stays finite (and 0 over an
    empty dim), as torch's logsumexp. softmax keeps a max of +inf, so its slice is NaN throughout
    (inf - inf), as in torch."""
    m = np.maximum.reduce(a, axis=dim, keepdims=True, initial=-np.inf)  # (np.max and .all() go
    kept = m != -np.inf if keep_plus_inf else np.isfinite(m)               # through Python wrappers)
    return m if np.logical_and.reduce(kept, axis=None) else np.where(kept, m, 0)


class Softmax(Function):
    array_backward = True
    save_output = True
    def forward(self, a, dim):
        self.save(dim)
        self.args = {"dim": dim}
        e = np.exp(a - _stable_max(a, dim, keep_plus_inf=True))
        return e / e.sum(axis=dim, keepdims=True)

    def backward(self, g):
        s, dim = self.output, self.saved[0]
        return s * (g - _sum_kept(g * s, dim))


class LogSoftmax(Function):
    array_backward = True
    save_output = True
    def forward(self, a, dim):
        self.save(dim)
        self.args = {"dim": dim}
        shifted = a - _stable_max(a, dim, keep_plus_inf=True)
        return shifted - np.log(np.add.reduce(np.exp(shifted), axis=dim, keepdims=True))

    def backward(self, g):
        out, dim = self.output, self.saved[0]
        return g - (out.exp() if isinstance(out, autograd._Tensor) else np.exp(out)) * _sum_kept(g, dim)


class LogSumExp(Function):
    array_backward = True
    save_inputs = True
    save_output = True
    def forward(self, a, dims, keepdim):
        self.save(dims)
        self.args = {"dim": dims, "keepdim": keepdim}
        m = _stable_max(a, dims)
        with np.errstate(divide="ignore"):  # log(0) = -inf: empty dims, or all -inf
            out = np.log(np.exp(a - m).sum(axis=dims, keepdims=True)) + m
        return out if keepdim else out.squeeze(dims)

    def backward(self, g):
        (a,), (dims,) = self.inputs, self.saved
        kept = _kept_shape(a.shape, dims)
        shifted = a - self.output.reshape(kept)
        return g.reshape(kept) * (shifted.exp() if isinstance(shifted, autograd._Tensor) else np.exp(shifted))


# ---- reductions -------------------------------------------------------------------------------

class Sum(Function):
    array_backward = True
    def forward(self, a, dims, keepdim):
        self.save(a.shape, dims)
        self.args = {"dim": dims, "keepdim": keepdim}
        return a.sum(axis=dims, keepdims=keepdim)

    def backward(self, g):
        shape, dims = self.saved
        return _expand(g.reshape(_kept_shape(shape, dims)), shape)


class Mean(Function):
    array_backward = True
    def forward(self, a, dims, keepdim):
        # Of no elements: 0 / nan, nan as torch gives it, where 0 / 0 would make NumPy warn.
        count = (a.size if dims is None else math.prod(a.shape[d] for d in dims)) or math.nan
        self.save(a.shape, dims, count)
        self.args = {"dim": dims, "keepdim": keepdim}
        if a.dtype == np.float16:  # summed in float32, as torch does: float16 overflows at 65504
            return (a.sum(axis=dims, keepdims=keepdim, dtype=np.float32) / count).astype(np.float16)
        return a.sum(axis=dims, keepdims=keepdim) / count  # ndarray.mean's Python wrapper costs more

    def backward(self, g):
        shape, dims, count = self.saved
        return _expand(g.reshape(_kept_shape(shape, dims)), shape) / count


class Extreme(Function):
    """max or min over all elements (ties share the gradient equally, as torch) or over one
    dim (the gradient goes to the index returned)."""
    array_backward = True
    def forward(self, a, dim, keepdim, largest):
        self.args = {"dim": dim, "keepdim": keepdim, "largest": largest}
        if dim is None:
            out = a.max() if largest else a.min()
            mask = a == out if out == out else np.isnan(a)  # a NaN result: the NaNs share it, as torch
            self.save(mask / mask.sum(dtype=a.dtype), None)
            return out
        idx = np.expand_dims((a.argmax if largest else a.argmin)(axis=dim), dim)
        mask = np.zeros(a.shape, dtype=a.dtype)
        np.put_along_axis(mask, idx, 1, axis=dim)
        self.save(mask, dim)
        out = np.take_along_axis(a, idx, axis=dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, g):
        mask, dim = self.saved
        if dim is not None and g.ndim < mask.ndim:
            g = g.reshape(_kept_shape(mask.shape, (dim,)))
        return g * mask


class AMax(Function):
    """amax or amin over dims (None: all): the ties of each slice share its gradient equally, and
    a slice whose result is NaN gets NaN gradients, as torch."""
    array_backward = True
    def forward(self, a, dims, keepdim, largest):
        self.args = {"dim": dims, "keepdim": keepdim, "largest": largest}
        out = (a.max if largest else a.min)(axis=dims, keepdims=True)
        if a.dtype.kind == "f":  # (other dtypes cannot require grad)
            hit = a == out
            with np.errstate(invalid="ignore"):
                self.save(hit / hit.sum(axis=dims, keepdims=True, dtype=a.dtype), dims)
        return out if keepdim else out.squeeze(dims)

    def backward(self, g):
        share, dims = self.saved
        return g.reshape(_kept_shape(share.shape, dims)) * share


class Prod(Function):
    """The product over dims (None or one dim). d/dx_i is the product of the other elements of
    its slice: out / x_i without zeros; with one zero, the product of the nonzero others at the
    zero and 0 elsewhere; with several zeros, 0 (as torch). Second derivatives are exact except
    in slices with two or more zeros, where they are taken as 0 (torch's are not)."""
    save_inputs = True
    def forward(self, a, dims, keepdim):
        self.save(dims)
        self.args = {"dim": dims, "keepdim": keepdim}
        return a.prod(axis=dims, keepdims=keepdim)

    def backward(self, g):
        (a,), (dims,) = self.inputs, self.saved
        zero = a.data == 0
        nonzero = a.masked_fill(zero, 1)
        others = Prod.apply(nonzero, dims=dims, keepdim=True) / nonzero  # the nonzero others
        zeros = zero.sum(axis=dims, keepdims=True)
        # With one zero in the slice, its value times the nonzero others (both 0 and d/d(zero)
        # right) is the gradient of each other element, so second derivatives stay exact.
        the_zero = a.masked_fill(~zero, 0).sum(dim=dims, keepdim=True)
        no_zero_in_others = (zeros == 0) | (zeros == 1) & zero
        factor = the_zero.where((zeros == 1) & ~zero, 0.0).where(~no_zero_in_others, 1.0)
        return g.reshape(_kept_shape(a.shape, dims)) * others * factor


def _cumsum(a: np.ndarray, dim: int, reverse: bool) -> np.ndarray:
    """Cumulative sums along dim, from the last element when reverse."""
    if not reverse:
        return np.cumsum(a, axis=dim)
    return np.flip(np.cumsum(np.flip(a, dim), axis=dim), dim)


class CumSum(Function):
    """Cumulative sums along dim; the gradient is the cumulative sum from the other end."""
    array_backward = True
    def forward(self, a, dim, reverse=False):
        self.save(dim, reverse)
        self.args = {"dim": dim}
        return _cumsum(a, dim, reverse)

    def backward(self, g):
        dim, reverse = self.saved
        if type(g) is np.ndarray:
            return _cumsum(g, dim, not reverse)
        return CumSum.apply(g, dim=dim, reverse=not reverse)


# ---- shape ops --------------------------------------------------------------------------------

class Reshape(Function):
    array_backward = True
    def forward(self, a, shape):
        self.save(a.shape)
        return a.reshape(shape)

    def backward(self, g): return g.reshape(self.saved[0])


class Permute(Function):
    array_backward = True
    def forward(self, a, dims):
        self.save(dims)
        self.args = {"dims": dims}
        return a.transpose(dims)

    def backward(self, g):
        order = np.argsort(self.saved[0])
        return g.permute(*order) if isinstance(g, autograd._Tensor) else g.transpose(order)


class Expand(Function):
    array_backward = True
    def forward(self, a, shape): return np.broadcast_to(a, shape)
    def backward(self, g): return g  # the engine sums it back to the input's shape


class Flip(Function):
    """The elements in reverse order along dims: a copy, as in torch (np.flip alone is a view)."""
    array_backward = True
    def forward(self, a, dims):
        self.save(dims)
        self.args = {"dims": dims}
        return np.flip(a, dims).copy()

    def backward(self, g):
        dims = self.saved[0]
        return np.flip(g, dims) if type(g) is np.ndarray else Flip.apply(g, dims=dims)


class GetItem(Function):
    """a[select][index], where select is a basic index (a view) or None."""
    array_backward = True
    def forward(self, a, index, select):
        self.save(a.shape, index, select)
        return (a if select is None else a[select])[index]

    def backward(self, g):
        shape, index, select = self.saved
        if isinstance(g, autograd._Tensor):
            return ScatterAdd.apply(g, shape=shape, index=index, select=select)
        return _scatter_add(g, shape, index, select)


class IndexPut(Function):
    """A copy of a with value put at [select][index] (broadcast, cast to a's dtype): index
    assignment, fill_ and copy_ when they are recorded. a's gradient is g with zeros there,
    value's the part of g there."""
    array_backward = True
    def forward(self, a, value, index, select):
        self.save(index, select, value.shape)
        out = a.copy()
        (out if select is None else out[select])[index] = value
        return out

    def backward(self, g):
        index, select, value_shape = self.saved
        on_tensors = isinstance(g, autograd._Tensor)
        if not on_tensors:
            g = np.asarray(g)  # a 0-d gradient can come as a NumPy scalar
        ga = gv = None
        if self.next[0] is not None:
            if on_tensors:
                ga = IndexPut.apply(g, autograd._make_tensor(CONSTANTS[0, g.dtype], None), index=index, select=select)
            else:
                ga = g.copy()
                (ga if select is None else ga[select])[index] = 0
        if self.next[1] is not None:
            gv = GetItem.apply(g, index=index, select=select) if on_tensors else \
                (g if select is None else g[select])[index]
            if gv.ndim < len(value_shape):  # NumPy also assigns a value with more leading 1s
                gv = gv.reshape((1,) * (len(value_shape) - gv.ndim) + tuple(gv.shape))
        return ga, gv


def _hits_each_once(index) -> bool:
    """Whether an index can name an element at most once (so assignment equals accumulation)."""
    if isinstance(index, np.ndarray):
        return index.dtype == bool
    items = index if type(index) is tuple else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis
               or isinstance(i, np.ndarray) and i.dtype == bool for i in items)


class ScatterAdd(Function):
    """zeros(shape) with g added at [select][index] (repeated indices accumulate): GetItem's
    backward, itself differentiable so gradients of gradients work."""
    def forward(self, g, shape, index, select):
        self.save(index, select)
        return _scatter_add(g, shape, index, select)

    def backward(self, gg):
        index, select = self.saved
        return (gg if select is None else gg[select])[index]


def _scatter_add(g: np.ndarray, shape: tuple, index, select) -> np.ndarray:
    out = np.zeros(shape, dtype=g.dtype)
    target = out if select is None else out[select]  # a view of out
    if _hits_each_once(index):
        target[index] = g
    else:
        np.add.at(target, index, g)
    return out


class Cat(Function):
    """Empty 1-D inputs (see tensor.cat) are left out of the join and get an empty gradient."""
    array_backward = True
    def forward(self, *arrays, dim):
        empty = tuple(a.shape == (0,) for a in arrays)
        sizes = (0 if e else a.shape[dim] for a, e in zip(arrays, empty))
        self.save(dim, empty, tuple(itertools.accumulate(sizes, initial=0)))
        self.args = {"dim": dim}
        return np.concatenate([a for a, e in zip(arrays, empty) if not e] or arrays[:1], axis=dim)

    def backward(self, g):
        dim, empty, bounds = self.saved
        lead = (slice(None),) * (dim % g.ndim)
        return tuple(None if not need else g.reshape(-1)[:0] if e else g[lead + (slice(lo, hi),)]
                     for lo, hi, e, need in zip(bounds[:-1], bounds[1:], empty, self.needs))


# ---- selection --------------------------------------------------------------------------------

class Where(Function):
    array_backward = True
    def forward(self, a, b, cond):
        self.save(cond)
        return np.where(cond, a, b)

    def backward(self, g):
        cond = self.saved[0]
        need_a, need_b = self.needs
        if isinstance(g, autograd._Tensor):
            return (g.where(cond, 0) if need_a else None), (g.where(~cond, 0) if need_b else None)
        return (np.where(cond, g, 0) if need_a else None), (np.where(cond, 0, g) if need_b else None)


class Clamp(Function):
    array_backward = True
    def forward(self, a, lo, hi):
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        self.save(inside)
        self.args = {"min": lo, "max": hi}
        return np.clip(a, lo, hi)

    def backward(self, g): return g * self.saved[0]


class ClampTensor(Function):
    """clamp with Tensor bounds (lo, hi or both, given as inputs after a): the result is
    min(max(a, lo), hi). As torch, the gradient goes to a where lo <= a <= hi, to lo where
    a < lo < hi and to hi where a > hi or hi < lo."""
    array_backward = True
    def forward(self, a, *bounds, has_lo, has_hi):
        lo = bounds[0] if has_lo else None
        hi = bounds[-1] if has_hi else None
        out = a if lo is None else np.maximum(a, lo)
        out = out if hi is None else np.minimum(out, hi)
        to_a = np.ones(out.shape, dtype=bool)
        masks = [to_a]
        if lo is not None:
            to_a &= a >= lo
            masks.append((a < lo) & (lo < hi) if hi is not None else a < lo)
        if hi is not None:
            to_a &= a <= hi
            masks.append((a > hi) | (hi < lo) if lo is not None else a > hi)
        self.save(*masks)
        return out

    def backward(self, g):
        return tuple(g * mask if need else None for mask, need in zip(self.saved, self.needs))


class Maximum(Function):
    """Elementwise max; where a == b each side gets half the gradient, and where either is NaN
    (the result is NaN) both get all of it, as torch."""
    array_backward = True
    def forward(self, a, b, largest):
        out = np.maximum(a, b) if largest else np.minimum(a, b)
        a_loses, b_loses = (a < b, a > b) if largest else (a > b, a < b)
        tie = 0.5 * (a == b)
        self.save((1 - a_loses - tie).astype(out.dtype), (1 - b_loses - tie).astype(out.dtype))
        return out

    def backward(self, g):
        share_a, share_b = self.saved
        need_a, need_b = self.needs
        return (g * share_a if need_a else None), (g * share_b if need_b else None)


class Copy(Function):
    """A copy, optionally to another dtype (clone, to, float, double)."""
    array_backward = True
    def forward(self, a, dtype, order="K"):
        if dtype == np.float16:  # beyond 65504 is inf, as in torch, without NumPy's overflow warning
            with np.errstate(over="ignore"):
                return a.astype(dtype, order=order)
        return a.astype(dtype, order=order)

    def backward(self, g): return g  # the engine casts it to the input's dtype


class MatMul(Function):
    """a @ b for a, b of at least 2 dims (batched dims broadcast); 1-D is handled in Tensor."""
    array_backward = True
    save_inputs = True
    inputs_for_others = True
    def forward(self, a, b): return a @ b

    def backward(self, g):
        a, b = self.inputs
        need_a, need_b = self.needs
        return (g @ b.mT if need_a else None), (a.mT @ g if need_b else None)
