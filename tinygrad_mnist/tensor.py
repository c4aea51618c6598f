"""Tensor: an ndarray that records the ops applied to it; most methods are one-liners over ops.py."""
from __future__ import annotations

import itertools
import math
import sys
import warnings
import weakref
from collections import namedtuple

import numpy as np

from . import autograd, functions, gradients, indexing, ops, promotion, rng
from .arguments import _correction, _dim, _dim_or_axis, _dims, _piece_sizes, _shape_args, check_cpu, is_device
from .errors import DTypeError, ShapeError
from .functions import _BOOL_PRODUCT, cat, chunk, matmul, maximum, minimum, split, stack, where
from .gradients import _backward, _default_grad
from .indexing import _check_index_put_dtype, _check_index_range, _index, _index_array
from .promotion import (
    _as_array, _as_tensor, _casts_in_place, _const_dtype, _division_operands, _float_input, _is_number,
    _need_float, _number_kind, _operands, _operands_not_both_bool, _result_type, _sub_operands, _values, as_dtype,
    bool_, default_float, float16, float32, float64, int8, int16, int32, int64, uint8,
)

# The dtype names (promotion.py's), is_device and check_cpu (arguments.py's) and the module-level functions
# (functions.py's) are offered here too, where they have always been.
__all__ = [
    "MinMax", "Sort", "Tensor", "TopK", "bool_", "cat", "check_cpu", "chunk", "default_float", "float16", "float32",
    "float64", "int8", "int16", "int32", "int64", "is_device", "matmul", "maximum", "minimum", "split", "stack",
    "uint8", "where",
]

# torch's names of its CPU tensor types, by dtype, for Tensor.type()
_TYPE_NAMES = {np.dtype(dtype): name for dtype, name in [
    ("bool", "BoolTensor"), ("uint8", "ByteTensor"), ("int8", "CharTensor"), ("int16", "ShortTensor"),
    ("int32", "IntTensor"), ("int64", "LongTensor"), ("uint16", "UInt16Tensor"), ("uint32", "UInt32Tensor"),
    ("uint64", "UInt64Tensor"), ("float16", "HalfTensor"), ("float32", "FloatTensor"),
    ("float64", "DoubleTensor"), ("complex64", "ComplexFloatTensor"), ("complex128", "ComplexDoubleTensor"),
]}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}

MinMax = namedtuple("MinMax", ["values", "indices"])
TopK = namedtuple("TopK", ["values", "indices"])
Sort = namedtuple("Sort", ["values", "indices"])


class Tensor:
    """An n-dimensional array with reverse-mode autodiff, shaped like torch.Tensor."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_priority__ = 1000  # so ndarray (op) Tensor defers to Tensor's reflected operator

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        """Wrap data; an ndarray of the right dtype is shared, not copied (use tensor() to copy)."""
        self.data = data if type(data) is np.ndarray and dtype is None else _as_array(data, dtype)
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            if not isinstance(requires_grad, (bool, np.bool_)):  # Tensor(2, 3) is a shape in torch's legacy constructor
                raise DTypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}; for a "
                                 "tensor of a given shape use tg.zeros(*shape) or tg.empty(*shape)")
            self.requires_grad_()

    # ---- attributes --------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx)
    T = property(lambda self: self.permute(*reversed(range(self.ndim))))
    mT = property(lambda self: self.transpose(-2, -1))

    def size(self, dim: int | None = None):
        """The shape, or its length along dim."""
        return self.data.shape if dim is None else self.data.shape[dim]

    def numel(self) -> int:
        return self.data.size

    nelement = numel

    def dim(self) -> int:
        return self.data.ndim

    def element_size(self) -> int:
        """The size of one element in bytes."""
        return self.data.itemsize

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item: only one-element tensors convert to a number, got shape {self.shape}")
        return self.data.item()

    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The underlying array (shared, not copied). As in torch, a tensor that requires grad
        refuses (NumPy's results would silently leave the graph) unless force=True."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on a Tensor that requires grad (NumPy functions of it "
                               "would get no gradient); use tensor.detach().numpy() instead")
        return self.data

    def tolist(self):
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        data = self.numpy()
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"converting a {data.dtype} tensor to {np.dtype(dtype)} needs a copy, "
                                 "but copy=False was given")
            return data.astype(dtype)
        return data.copy() if copy else data

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in .grad at each backward, as torch (a leaf's is kept anyway)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: can't retain the gradient of a tensor that does not require grad")
        if self._ctx is not None:
            autograd._retained[self._ctx] = weakref.ref(self)

    def register_hook(self, hook) -> autograd.RemovableHandle:
        """Call hook(grad) with this tensor's gradient at each backward; a Tensor it returns
        replaces the gradient (for a leaf, before it is added to .grad), as torch. Returns a handle
        whose remove() takes the hook off."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that doesn't require grad")
        if not callable(hook):
            raise DTypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
        return autograd.RemovableHandle(self._ctx or self, hook)

    @property
    def retains_grad(self) -> bool:
        """Whether retain_grad() was called on this non-leaf tensor."""
        return self._ctx is not None and self._ctx in autograd._retained

    def detach(self) -> Tensor:
        """The same data, cut from the graph."""
        return _make_tensor(self.data, None)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Mark a leaf as needing a gradient (floating-point tensors only)."""
        if requires_grad and self.data.dtype.kind != "f":
            raise DTypeError(f"requires_grad: only floating-point tensors can require gradients, got "
                             f"dtype {self.data.dtype}; convert with .float() first")
        if self._ctx is not None and not requires_grad:
            raise RuntimeError("requires_grad_: only leaves can stop requiring grad; use .detach()")
        self.requires_grad = requires_grad
        return self

    # ---- in place -----------------------------------------------------------------------------
    # As in torch, an in-place op writes into the tensor's own array (so every alias, such as the
    # array an optimizer or a view holds, sees it), keeping its dtype and shape. When the op must be
    # recorded (grad mode on, a float tensor, and a tensor that requires grad involved), the tensor
    # instead becomes the op's recorded result, as torch rebases its history: total += loss works.
    # That is the same as writing in place only while nothing else holds the array, so otherwise it
    # is refused, as it is on a leaf that requires grad (as in torch).

    def add_(self, other, *, alpha=1) -> Tensor:
        return self._in_place("add_", lambda: self + (other if alpha == 1 else other * alpha), other)

    def sub_(self, other, *, alpha=1) -> Tensor:
        return self._in_place("sub_", lambda: self - (other if alpha == 1 else other * alpha), other)

    def mul_(self, other) -> Tensor:
        return self._in_place("mul_", lambda: self * other, other)

    def div_(self, other) -> Tensor:
        return self._in_place("div_", lambda: self / other, other)

    def pow_(self, exponent) -> Tensor:
        return self._in_place("pow_", lambda: self ** exponent, exponent)

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._in_place("clamp_", lambda: self.clamp(min, max), min, max)

    clip_ = clamp_

    def masked_fill_(self, mask, value) -> Tensor:
        return self._in_place("masked_fill_", lambda: self.masked_fill(mask, value), value)

    # Augmented assignments are named by their operator: y[i] *= 3 on an element copy is fine (the
    # assignment y[i] = ... that Python makes next writes it back), where y[i].mul_(3) is not.
    def __iadd__(self, other): return self._in_place("+=", lambda: self + other, other)
    def __isub__(self, other): return self._in_place("-=", lambda: self - other, other)
    def __imul__(self, other): return self._in_place("*=", lambda: self * other, other)
    def __itruediv__(self, other): return self._in_place("/=", lambda: self / other, other)
    def __ipow__(self, other): return self._in_place("**=", lambda: self ** other, other)
    def __ifloordiv__(self, other): return self._in_place("//=", lambda: self // other, other)
    def __imod__(self, other): return self._in_place("%=", lambda: self % other, other)
    def __iand__(self, other): return self._in_place("&=", lambda: self & other, other)
    def __ior__(self, other): return self._in_place("|=", lambda: self | other, other)
    def __ixor__(self, other): return self._in_place("^=", lambda: self ^ other, other)

    def copy_(self, src) -> Tensor:
        """Copy src's values in (broadcast to this shape, cast to this dtype), as torch.Tensor.copy_."""
        return self._put("copy_", (Ellipsis,), None, src)

    def __setitem__(self, index, value) -> None:
        """self[index] = value in place (value broadcast and cast to this dtype), as in torch."""
        if isinstance(value, Tensor) and value.data.dtype != self.data.dtype:
            _check_index_put_dtype(index, value, self.data.dtype)
        select, index = _index(index)
        self._put("index assignment", index, select, value)

    def zero_(self) -> Tensor:
        """Fill with zeros in place."""
        return self._put("zero_", (Ellipsis,), None, 0)

    def fill_(self, value) -> Tensor:
        """Fill with value in place."""
        return self._put("fill_", (Ellipsis,), None, value)

    # (from is a Python keyword, so the first argument is positional only; torch's to= works)
    def uniform_(self, from_=0.0, /, to=1.0, *, generator=None) -> Tensor:
        """Fill in place with values from U(from, to), drawn by the library's generator or generator=
        (a np.random.Generator or a seed), as torch.Tensor.uniform_."""
        return self._put("uniform_", (Ellipsis,), None, rng.random_values("uniform_", self, generator, "uniform",
                                                                          from_, to))

    def normal_(self, mean=0.0, std=1.0, *, generator=None) -> Tensor:
        """Fill in place with values from N(mean, std^2), drawn as uniform_'s, as torch.Tensor.normal_."""
        if std < 0:
            raise ValueError(f"normal_ expects std >= 0.0, but found std {std}")
        return self._put("normal_", (Ellipsis,), None, rng.random_values("normal_", self, generator, "normal",
                                                                         mean, std))

    def detach_(self) -> Tensor:
        """Cut this tensor from its graph, in place: it becomes a leaf that does not require grad."""
        self._ctx, self.requires_grad = None, False
        return self

    def _recorded(self, name: str, *others) -> bool:
        """Whether an in-place op on self with others must be recorded; raises where it can't be."""
        if not name.endswith("=") and type(self._ctx) is ops.GetItem and self.data.ndim == 0 and all(
                type(i) is int for i in self._ctx.saved[1]):  # first: under no_grad it is a copy still
            raise RuntimeError(f"an in-place {name} on an element of a tensor in a graph (y[i].{name}(...) "
                               "with y[i] taken while grad mode was on): that element is a copy (torch's views "
                               "need its view tracking), so the change would not reach y; assign instead: "
                               "y[i] = ... or y[i] *= ..., or take the element under tg.no_grad()")
        if not autograd._grad_enabled or self.data.dtype.kind != "f" or not (
                self.requires_grad or any(isinstance(t, Tensor) and t.requires_grad for t in others)):
            return False
        if self.requires_grad and self._ctx is None:
            raise RuntimeError(f"a leaf that requires grad cannot take an in-place {name} while ops are "
                               "recorded, as in torch; do it under tg.no_grad()")
        if self._array_shared():
            raise RuntimeError(f"an in-place {name} in a graph: this tensor's memory is also held elsewhere "
                               "(a view, another tensor, a NumPy array, or a value the graph saved for "
                               "backward, which torch would refuse at backward), so it is not recorded "
                               "here; use the out-of-place op")
        return True

    def _array_shared(self) -> bool:
        """Whether anything but this tensor holds its array, or the array it views (CPython's counts:
        for the array, self.data, the local name and getrefcount's argument; for its base, the
        array's own reference and the argument)."""
        array = self.data
        return sys.getrefcount(array) > 3 or array.base is not None and sys.getrefcount(array.base) > 2

    def _writable(self, name: str) -> np.ndarray:
        if not self.data.flags.writeable:
            raise RuntimeError(f"{name}: this tensor's array is read-only (expand() and broadcasting make "
                               "read-only views, and so may NumPy); clone() it first")
        return self.data

    def _become(self, result: Tensor) -> Tensor:
        if self.retains_grad:  # the gradient kept is the new version's, as in torch
            del autograd._retained[self._ctx]
            autograd._retained[result._ctx] = weakref.ref(self)
        self.data, self._ctx, self.requires_grad = result.data, result._ctx, result.requires_grad
        return self

    def _in_place(self, name: str, compute, *others) -> Tensor:
        """Put compute()'s value (the out-of-place op) in self: written into its array, or, when the
        op must be recorded, as self's recorded result."""
        recorded = self._recorded(name, *others)
        with autograd.set_grad_enabled(recorded):
            result = compute()
        if result.shape != self.shape:
            raise ShapeError(f"{name}: the result has shape {result.shape}, which does not fit in place "
                             f"in shape {self.shape}")
        if not _casts_in_place(result.dtype, self.dtype):
            raise DTypeError(f"{name}: the result has dtype {result.dtype}, which can't be cast in place "
                             f"to this tensor's {self.dtype}")
        if recorded:
            return self._become(result if result.dtype == self.dtype else result._cast(self.dtype))
        self._writable(name)[...] = result.data
        autograd.record_change(self.data, name)
        return self

    def _put(self, name: str, index: tuple, select, value) -> Tensor:
        """self[select][index] = value, in self's array or, when recorded, as an IndexPut node."""
        if self._recorded(name, value):
            value = value if isinstance(value, Tensor) else _make_tensor(_values(value), None)
            return self._become(ops.IndexPut.apply(self, value, index=index, select=select))
        array = self._writable(name)
        (array if select is None else array[select])[index] = _values(value)
        autograd.record_change(array, name)
        return self

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(", precision=4)
        extras = [f"size={self.shape}"] if self.data.size == 0 and self.ndim != 1 else []  # as torch: [] alone is 1-D
        if self.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn={self._ctx!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "Tensor(" + ", ".join([body] + extras) + ")"

    def __contains__(self, value) -> bool:
        """value in t: whether any element equals value (a tensor or a number), as torch."""
        if not (isinstance(value, Tensor) or _is_number(value)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(value)}.")
        return bool(np.any((self == value).data))

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            values = "no values" if self.data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {values} is ambiguous (shape {self.shape})")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        """A one-element integer (or bool) tensor as a Python int, so it can index a list."""
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError(f"only integer tensors of a single element can be converted to an index, "
                            f"got dtype {self.data.dtype} and shape {self.shape}")
        return int(self.item())

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its Python number (f"{loss:.4f}"); others as str(), as torch."""
        if self.data.ndim == 0:
            return format(self.item(), format_spec)
        return object.__format__(self, format_spec)

    __hash__ = object.__hash__

    # ---- autograd ----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs=None) -> None:
        """Accumulate d(self)/d(leaf) into each leaf's .grad, or only into inputs' (which may be
        non-leaves), as torch.Tensor.backward."""
        if not self.requires_grad:
            raise RuntimeError("backward: this tensor does not require grad and has no grad_fn "
                               "(was it computed under no_grad, or from tensors without requires_grad?)")
        gs = [_default_grad(self, gradient, "backward", create_graph)]
        _backward([self], gs, retain_graph, create_graph, inputs)

    # ---- arithmetic --------------------------------------------------------------------------
    def __add__(self, other): return ops.Add.apply(*_operands(self, other))
    def __radd__(self, other): return ops.Add.apply(*_operands(other, self))
    def __sub__(self, other): return ops.Sub.apply(*_sub_operands(self, other))
    def __rsub__(self, other): return ops.Sub.apply(*_sub_operands(other, self))
    def __mul__(self, other): return ops.Mul.apply(*_operands(self, other))
    def __rmul__(self, other): return ops.Mul.apply(*_operands(other, self))
    def __truediv__(self, other): return ops.Div.apply(*_division_operands(self, other))
    def __rtruediv__(self, other): return ops.Div.apply(*_division_operands(other, self))
    def __neg__(self): return ops.Neg.apply(self)
    def __matmul__(self, other): return matmul(self, other)
    def __rmatmul__(self, other): return matmul(_as_tensor(other), self)

    def __pow__(self, exponent):
        if isinstance(exponent, np.generic):  # as a Python number, so float32 ** np.float64 stays float32
            exponent = exponent.item()
        if isinstance(exponent, (int, float)) and not isinstance(exponent, bool):
            # as torch: an integer tensor to a float power is float32, not NumPy's float64
            to_float = self.data.dtype.kind != "f" and isinstance(exponent, float)
            base = self._cast(default_float) if to_float else self
            return ops.PowScalar.apply(base, exponent=exponent)
        if isinstance(exponent, bool) and self.data.dtype == bool_:  # as torch: x ** True is x, x ** False all True
            return _make_tensor(np.logical_or(self.data, not exponent), None)
        return ops.Pow.apply(*_operands_not_both_bool(self, exponent, "pow"))

    def __rpow__(self, base): return ops.Pow.apply(*_operands_not_both_bool(base, self, "pow"))

    def floor_divide(self, other) -> Tensor:
        """self // other rounded toward minus infinity, as torch (int // int stays an integer).
        As in torch, the result is recorded but has no derivative: backward through it raises."""
        return ops.FloorDivide.apply(*_operands_not_both_bool(self, other, "floor_divide"))

    def remainder(self, other) -> Tensor:
        """self % other with the sign of other, as torch; d/dself = 1, d/dother = -floor(self / other)."""
        return ops.Remainder.apply(*_operands_not_both_bool(self, other, "remainder"))

    __floordiv__, __mod__ = floor_divide, remainder
    def __rfloordiv__(self, other): return ops.FloorDivide.apply(*_operands_not_both_bool(other, self, "floor_divide"))
    def __rmod__(self, other):
        return ops.Remainder.apply(*_operands_not_both_bool(other, self, "remainder"), number_first=_is_number(other))

    def __pos__(self) -> Tensor:
        """self, as torch's unary + (which refuses bool tensors)."""
        if self.data.dtype == bool_:
            raise DTypeError("The `+` operator, on a bool tensor is not supported (as in torch)")
        return self

    def __abs__(self): return self.abs()

    mul, div, pow, matmul = __mul__, __truediv__, __pow__, __matmul__

    def mm(self, mat2) -> Tensor:
        """The product of two matrices (2-D, of one dtype), as torch.mm."""
        _check_product("mm", self, mat2, 2)
        return ops.MatMul.apply(self, mat2)

    def bmm(self, mat2) -> Tensor:
        """The products of two batches of matrices (3-D, one batch size and dtype), as torch.bmm."""
        _check_product("bmm", self, mat2, 3)
        return ops.MatMul.apply(self, mat2)

    def outer(self, vec2) -> Tensor:
        """The outer product self[i] * vec2[j] of two 1-D tensors, as torch.outer."""
        if not isinstance(vec2, Tensor):
            raise DTypeError(f"outer: vec2 must be a Tensor, got {type(vec2).__name__}")
        for name, t in (("self", self), ("vec2", vec2)):
            if t.ndim != 1:
                raise ShapeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
        return self.unsqueeze(1) * vec2

    def add(self, other, *, alpha=1) -> Tensor:
        """self + alpha * other, as torch.add."""
        return self + self._times_alpha(other, alpha, "add")

    def sub(self, other, *, alpha=1) -> Tensor:
        """self - alpha * other, as torch.sub."""
        _sub_operands(self, other)  # refuses bools before alpha makes an integer of one
        return self - self._times_alpha(other, alpha, "sub")

    def _times_alpha(self, other, alpha, op: str):
        if alpha == 1:
            return other
        a, b = _operands(self, other)
        if _number_kind(alpha) == "f" and a.data.dtype.kind != "f":
            raise DTypeError(f"{op}: alpha must be an integer for integer or bool tensors (as in torch), got "
                             f"alpha={alpha!r} with dtype {a.data.dtype}")
        return b * alpha

    def neg(self) -> Tensor: return ops.Neg.apply(self)
    def neg_(self) -> Tensor: return self._in_place("neg_", self.neg)
    def exp(self) -> Tensor: return ops.Exp.apply(_float_input(self))
    def exp_(self) -> Tensor: return self._in_place("exp_", self.exp)
    def log(self) -> Tensor: return ops.Log.apply(_float_input(self))
    def log_(self) -> Tensor: return self._in_place("log_", self.log)
    def log1p(self) -> Tensor: return ops.Log1p.apply(_float_input(self))

    def erf(self) -> Tensor:
        from .activations import Erf  # (activations imports this module)
        return Erf.apply(_float_input(self))

    def erf_(self) -> Tensor: return self._in_place("erf_", self.erf)

    def erfc(self) -> Tensor:
        from .activations import Erfc
        return Erfc.apply(_float_input(self))

    def erfc_(self) -> Tensor: return self._in_place("erfc_", self.erfc)

    def sqrt(self) -> Tensor: return ops.Sqrt.apply(_float_input(self))
    def sqrt_(self) -> Tensor: return self._in_place("sqrt_", self.sqrt)
    def square(self) -> Tensor: return self ** 2
    def square_(self) -> Tensor: return self._in_place("square_", self.square)
    def abs(self) -> Tensor: return ops.Abs.apply(self)
    def abs_(self) -> Tensor: return self._in_place("abs_", self.abs)
    def relu(self) -> Tensor: return ops.ReLU.apply(self)
    def relu_(self) -> Tensor: return self._in_place("relu_", self.relu)
    def sigmoid(self) -> Tensor: return ops.Sigmoid.apply(_float_input(self))
    def sigmoid_(self) -> Tensor: return self._in_place("sigmoid_", self.sigmoid)
    def tanh(self) -> Tensor: return ops.Tanh.apply(_float_input(self))
    def tanh_(self) -> Tensor: return self._in_place("tanh_", self.tanh)

    def leaky_relu(self, negative_slope: float = 0.01) -> Tensor:
        _need_float(self, "leaky_relu")
        return ops.LeakyReLU.apply(self, slope=negative_slope)

    # dtype= (softmax, log_softmax and the reductions): the input is cast to it first, as in torch.
    def softmax(self, dim: int, dtype=None) -> Tensor:
        if dtype is not None:
            return self._cast(as_dtype(dtype, "softmax")).softmax(dim)
        _need_float(self, "softmax")
        return ops.Softmax.apply(self, dim=_dim(dim, self.ndim))

    def log_softmax(self, dim: int, dtype=None) -> Tensor:
        if dtype is not None:
            return self._cast(as_dtype(dtype, "log_softmax")).log_softmax(dim)
        _need_float(self, "log_softmax")
        return ops.LogSoftmax.apply(self, dim=_dim(dim, self.ndim))

    def logsumexp(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        dim = _dim_or_axis(dim, axis, "logsumexp")
        return ops.LogSumExp.apply(_float_input(self), dims=_dims(dim, self.ndim), keepdim=keepdim)

    def clamp(self, min=None, max=None) -> Tensor:
        """Limit values to [min, max], both numbers or both Tensors (which broadcast); the
        gradient passes where min <= x <= max, and to a Tensor bound where it binds."""
        if min is None and max is None:
            raise ValueError("clamp: give at least one of min and max")
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return self._clamp_to_tensors(min, max)
        dtype, bounds = self.data.dtype, []
        for name, bound in (("min", min), ("max", max)):
            if bound is not None:
                if not _is_number(bound):
                    raise DTypeError(f"clamp: {name} must be a number or a Tensor, got {type(bound).__name__}")
                dtype = _const_dtype(bound, dtype)  # as torch: an integer tensor clamped to 1.5 is float32
                if isinstance(bound, np.generic):  # so np.float64 does not widen a float32 tensor
                    bound = bound.item()
            bounds.append(bound)
        return ops.Clamp.apply(self._cast(dtype), lo=bounds[0], hi=bounds[1])

    clip = clamp

    def _clamp_to_tensors(self, min, max) -> Tensor:
        """clamp with Tensor bounds, all three in torch's promoted dtype."""
        bounds = [b for b in (min, max) if b is not None]
        if not all(isinstance(b, Tensor) for b in bounds):
            raise DTypeError(f"clamp: min and max must both be numbers or both be Tensors (as in torch), got "
                             f"{type(min).__name__} and {type(max).__name__}")
        dtype = _result_type([self] + bounds)
        return ops.ClampTensor.apply(self._cast(dtype), *(b._cast(dtype) for b in bounds),
                                     has_lo=min is not None, has_hi=max is not None)

    def maximum(self, other) -> Tensor: return ops.Maximum.apply(*_operands(self, other), largest=True)
    def minimum(self, other) -> Tensor: return ops.Maximum.apply(*_operands(self, other), largest=False)

    def where(self, condition, other) -> Tensor:
        """self where condition holds, other elsewhere."""
        return where(condition, self, other)

    def masked_fill(self, mask, value) -> Tensor:
        """value where mask is true, self elsewhere, in self's dtype (value is cast to it, as torch)."""
        value = value._cast(self.dtype) if isinstance(value, Tensor) else np.asarray(value).astype(self.dtype)
        return where(mask, value, self)

    def isnan(self) -> Tensor: return _make_tensor(np.asarray(np.isnan(self.data)), None)
    def isinf(self) -> Tensor: return _make_tensor(np.asarray(np.isinf(self.data)), None)
    def isfinite(self) -> Tensor: return _make_tensor(np.asarray(np.isfinite(self.data)), None)

    def sign(self) -> Tensor:
        """-1, 0 or 1 per element; recorded, as torch, with a zero gradient."""
        return ops.Sign.apply(self)

    # round, floor, ceil and trunc: recorded, as torch, with a zero gradient
    def round(self, *, decimals: int = 0) -> Tensor: return ops.Round.apply(self, decimals=decimals)
    def floor(self) -> Tensor: return ops.Floor.apply(self)
    def ceil(self) -> Tensor: return ops.Ceil.apply(self)
    def trunc(self) -> Tensor: return ops.Trunc.apply(self)

    def to(self, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False) -> Tensor:
        """This tensor in another dtype, as torch's to(dtype), to(device[, dtype]) and to(other),
        each followed by non_blocking and copy: a copy, or self when nothing changes (unless
        copy=True). The CPU is the only device, so to('cpu') changes nothing. Gradients flow back
        through a floating-point result; an integer or bool one is outside the graph, as in torch."""
        first, args = (args[0], args[1:]) if args else (None, ())
        if isinstance(first, Tensor):
            first = first.dtype
        elif is_device(first):
            device, first = first, None
            if args and not isinstance(args[0], bool):
                first, args = args[0], args[1:]
        if first is not None and dtype is not None or len(args) > 2 or not all(isinstance(a, bool) for a in args):
            raise TypeError("to: expected to(dtype), to(device, dtype=None) or to(other tensor), each "
                            "optionally followed by non_blocking and copy (True or False)")
        copy = args[1] if len(args) == 2 else copy
        check_cpu(device, "to")
        if dtype is None:
            dtype = self.data.dtype if first is None else first
        dtype = _number_dtype(dtype, "to")
        if copy and dtype == self.data.dtype:
            return self.clone()
        return self._cast(dtype)

    def _cast(self, dtype: np.dtype) -> Tensor:
        """to(dtype) for the library's own calls, without to()'s argument parsing."""
        if dtype == self.data.dtype:
            return self
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            return _make_tensor(self.data.astype(dtype), None)
        return ops.Copy.apply(self, dtype=dtype)

    device = property(lambda self: "cpu")
    is_cuda = property(lambda self: False)

    def cpu(self) -> Tensor:
        """self: the CPU is the only device."""
        return self

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None):
        """Refused, with to('cuda')'s error: the CPU is the only device (torch built without CUDA
        refuses too). torch's arguments are taken so that cuda(0) gets this error, not a TypeError."""
        check_cpu("cuda", "cuda")

    def float(self) -> Tensor: return self._cast(float32)
    def double(self) -> Tensor: return self._cast(float64)
    def half(self) -> Tensor: return self._cast(float16)
    def long(self) -> Tensor: return self._cast(int64)
    def int(self) -> Tensor: return self._cast(int32)
    def short(self) -> Tensor: return self._cast(int16)
    def byte(self) -> Tensor: return self._cast(uint8)
    def bool(self) -> Tensor: return self._cast(bool_)
    def type_as(self, other: Tensor) -> Tensor: return self._cast(other.dtype)
    def clone(self) -> Tensor: return ops.Copy.apply(self, dtype=self.data.dtype)

    def type(self, dtype=None, non_blocking: bool = False):
        """With no dtype, the name of torch's tensor type for this dtype, under this package's name:
        'tinygrad_mnist.FloatTensor' for float32, where torch gives 'torch.FloatTensor' (there is no
        such class here; the one class is Tensor). With a dtype, or a name type() gives (or torch's,
        'torch.FloatTensor'), this tensor cast to it as to(dtype) casts, as torch.Tensor.type."""
        if dtype is None:
            if self.data.dtype not in _TYPE_NAMES:
                raise DTypeError(f"type: torch has no tensor type for dtype {self.data.dtype}")
            return f"tinygrad_mnist.{_TYPE_NAMES[self.data.dtype]}"
        if isinstance(dtype, str):
            module, _, name = dtype.rpartition(".")
            if module not in ("tinygrad_mnist", "torch") or name not in _TYPE_DTYPES:
                raise DTypeError(f"type: invalid type {dtype!r}; give a dtype or a type name such as "
                                 "'tinygrad_mnist.FloatTensor'")
            dtype = _TYPE_DTYPES[name]
        elif isinstance(dtype, type) and not issubclass(dtype, np.generic):  # as torch (NumPy: float is float64)
            raise DTypeError(f"type: invalid type {dtype.__name__!r}; give a dtype such as tg.float32")
        return self._cast(_number_dtype(dtype, "type"))

    # ---- new tensors in this one's dtype (or dtype=), as torch's new_* ------------------------
    def new_zeros(self, size, *sizes, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_zeros", (size, *sizes), 0, dtype, device, requires_grad)

    def new_ones(self, size, *sizes, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_ones", (size, *sizes), 1, dtype, device, requires_grad)

    def new_empty(self, size, *sizes, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new_filled("new_empty", (size, *sizes), None, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        if not isinstance(size, (tuple, list)):  # (torch takes only a sequence here)
            raise DTypeError(f"new_full: size must be a tuple of ints, got {type(size).__name__}")
        return self._new_filled("new_full", (size,), fill_value, dtype, device, requires_grad)

    def _new_filled(self, op: str, size: tuple, value, dtype, device, requires_grad: bool) -> Tensor:
        """A tensor of size filled with value (cast to the dtype; None leaves it unset, as empty)."""
        check_cpu(device, op)
        data = np.empty(_shape_args(size, op), self.data.dtype if dtype is None else as_dtype(dtype, op))
        if value is not None:
            data.fill(value)
        return Tensor(data, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A copy of data as tg.tensor makes it, in this tensor's dtype unless dtype is given."""
        from .factories import _copy_of, warn_copy_construct  # (factories imports this module)
        if isinstance(data, Tensor):
            warn_copy_construct("tensor.new_tensor")
        check_cpu(device, "new_tensor")
        return _copy_of(data, dtype or self.data.dtype, requires_grad)

    # ---- reductions --------------------------------------------------------------------------
    def sum(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
        dim = _dim_or_axis(dim, axis, "sum")
        if dtype is not None:  # (integers add in int64; the result is cast, which wraps around the same)
            dtype = as_dtype(dtype, "sum")
            return self._cast(dtype).sum(dim, keepdim)._cast(dtype)
        source = self.long() if self.data.dtype.kind == "u" else self  # torch: int64; NumPy: uint64
        return ops.Sum.apply(source, dims=_dims(dim, self.ndim), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
        dim = _dim_or_axis(dim, axis, "mean")
        if dtype is not None:
            dtype = as_dtype(dtype, "mean")
            return self._cast(dtype).mean(dim, keepdim)
        _need_float(self, "mean")
        return ops.Mean.apply(self, dims=_dims(dim, self.ndim), keepdim=keepdim)

    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, axis=None) -> Tensor:
        """Variance with Bessel's correction by default, as torch.var: var(dim, unbiased, keepdim)
        or var(dim, correction=c, keepdim=k); var(False) is the biased variance of all elements."""
        dim = _dim_or_axis(dim, axis, "var")
        correction = _correction(dim, unbiased, correction, "var")
        return self._variance(None if isinstance(dim, bool) else dim, keepdim, correction, "var")

    def _variance(self, dim, keepdim: bool, correction: int, op: str) -> Tensor:
        """var's value once its arguments are parsed; op (var or std) names it in the warning."""
        if self.dtype == float16:  # in float32, as torch accumulates it: float16 overflows at 65504
            return self.float()._variance(dim, keepdim, correction, op)._cast(float16)
        dims = _dims(dim, self.ndim)
        # torch's count is the input's numel over the output's: 0 for no elements
        count = self.data.size and (self.data.size if dims is None else math.prod(self.shape[d] for d in dims))
        centred = self - self.mean(dims, keepdim=True)
        squares = (centred * centred).sum(dims, keepdim=keepdim)
        if count and count > correction:
            return squares / (count - correction)
        if count <= correction:  # as torch: this warning, then inf or nan
            warnings.warn(f"{op}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                          "reduction factor (input numel divided by output numel).", UserWarning, stacklevel=3)
        if not count:  # nan, as torch; 0 * nan rather than 0 / 0, of which NumPy warns, backward too (1 / 0)
            return squares * math.nan
        with np.errstate(divide="ignore", invalid="ignore"):  # (its backward still warns, in Div's 1 / 0)
            return squares / 0

    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *,
            correction: int | None = None, axis=None) -> Tensor:
        """Square root of var (same arguments); where var is 0 the gradient is 0 rather than nan, as torch."""
        dim = _dim_or_axis(dim, axis, "std")
        correction = _correction(dim, unbiased, correction, "std")
        v = self._variance(None if isinstance(dim, bool) else dim, keepdim, correction, "std")
        nonzero = v.data != 0
        return v.where(nonzero, 1.0).sqrt().where(nonzero, 0.0)

    def max(self, dim=None, keepdim: bool = False, *, axis=None):
        """The largest value, (values, indices) along dim, or, given a Tensor instead of dim, the
        elementwise maximum, as torch.max."""
        dim = _dim_or_axis(dim, axis, "max")
        return self._extreme(dim, keepdim, largest=True)

    def min(self, dim=None, keepdim: bool = False, *, axis=None):
        """The smallest value, (values, indices) along dim, or, given a Tensor instead of dim, the
        elementwise minimum, as torch.min."""
        dim = _dim_or_axis(dim, axis, "min")
        return self._extreme(dim, keepdim, largest=False)

    def _extreme(self, dim, keepdim, largest):
        if isinstance(dim, Tensor):
            return self.maximum(dim) if largest else self.minimum(dim)
        if dim is None:
            if self.data.size == 0:
                op = "max" if largest else "min"
                raise RuntimeError(f"{op}(): Expected reduction dim to be specified for input.numel() == 0 "
                                   "(an empty tensor has no largest or smallest value). Specify the reduction "
                                   "dim with the 'dim' argument.")
            return ops.Extreme.apply(self, dim=None, keepdim=False, largest=largest)
        dim = _dim(dim, self.ndim)
        if self.ndim == 0:  # as torch: the value itself, at index 0
            return MinMax(*self.reshape(1)._extreme(0, False, largest))
        values = ops.Extreme.apply(self, dim=dim, keepdim=keepdim, largest=largest)
        return MinMax(values, self.argmax(dim, keepdim) if largest else self.argmin(dim, keepdim))

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> TopK:
        """(values, indices) of the k largest (or smallest) elements along dim, in order (also
        with sorted=False, where torch allows any order); NaN counts as the largest, as torch.
        The gradient flows through the values to the elements picked."""
        dim = _dim(dim, self.ndim)
        n = self.shape[dim] if self.ndim else 1
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
            raise IndexError(f"topk: k={k} is out of range for dim {dim} of size {n} (expected 0 to {n})")
        if self.ndim == 0:  # as torch: the value itself, at index 0 (for k=0 too)
            return TopK(self.reshape(()), _make_tensor(np.zeros((), int64), None))
        order = np.argsort(self.data, axis=dim, kind="stable")  # ascending, NaN last
        if largest:
            order = np.flip(order, dim)
        indices = order[(slice(None),) * dim + (slice(0, k),)].astype(int64)
        return TopK(self.gather(dim, indices), _make_tensor(indices, None))

    def sort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Sort:
        """(values, indices) in ascending (or descending) order along dim, as torch.sort; NaN counts
        as the largest. The gradient flows through the values to the elements."""
        indices = self.argsort(dim, descending, stable=stable)
        return Sort(self.gather(dim, indices), indices)

    def argsort(self, dim: int = -1, descending: bool = False, *, stable: bool = False) -> Tensor:
        """The indices that sort along dim, as torch.argsort. Ties always keep their order, as
        stable=True asks (which stable=False allows)."""
        dim = _dim(dim, self.ndim)
        if self.ndim == 0:
            return _make_tensor(np.zeros((), int64), None)
        if not descending:
            order = np.argsort(self.data, axis=dim, kind="stable")
        else:  # the ascending order of the reversed values, reversed: descending with ties in order
            n = self.shape[dim]
            order = n - 1 - np.flip(np.argsort(np.flip(self.data, dim), axis=dim, kind="stable"), dim)
        return _make_tensor(order.astype(int64), None)

    def argmax(self, dim: int | None = None, keepdim: bool = False, *, axis=None) -> Tensor:
        dim = _dim_or_axis(dim, axis, "argmax")
        return _make_tensor(np.asarray(self.data.argmax(axis=dim, keepdims=keepdim)), None)

    def argmin(self, dim: int | None = None, keepdim: bool = False, *, axis=None) -> Tensor:
        dim = _dim_or_axis(dim, axis, "argmin")
        return _make_tensor(np.asarray(self.data.argmin(axis=dim, keepdims=keepdim)), None)

    def nonzero(self, *, as_tuple: bool = False):
        """The indices of the nonzero elements (NaN is one), in row-major order, as torch.nonzero: an
        int64 tensor of shape (count, ndim), or with as_tuple=True one 1-D tensor per dim (one for a
        0-d tensor, as torch). Integer indices: no gradient."""
        if as_tuple:
            return tuple(_make_tensor(i.astype(int64, copy=False), None)
                         for i in np.nonzero(self.data.reshape(1) if self.ndim == 0 else self.data))
        return _make_tensor(np.argwhere(self.data).astype(int64, copy=False), None)

    def amax(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """The largest value over dim (every dim by default); ties share the gradient equally, as torch."""
        dim = _dim_or_axis(dim, axis, "amax")
        return ops.AMax.apply(self, dims=_dims(dim, self.ndim), keepdim=keepdim, largest=True)

    def amin(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """The smallest value over dim (every dim by default); ties share the gradient equally, as torch."""
        dim = _dim_or_axis(dim, axis, "amin")
        return ops.AMax.apply(self, dims=_dims(dim, self.ndim), keepdim=keepdim, largest=False)

    def all(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Whether every element (over dim) is nonzero: bool, or uint8 for uint8 as in torch."""
        dim = _dim_or_axis(dim, axis, "all")
        return self._all_or_any(dim, keepdim, np.all)

    def any(self, dim=None, keepdim: bool = False, *, axis=None) -> Tensor:
        """Whether some element (over dim) is nonzero: bool, or uint8 for uint8 as in torch."""
        dim = _dim_or_axis(dim, axis, "any")
        return self._all_or_any(dim, keepdim, np.any)

    def _all_or_any(self, dim, keepdim: bool, reduce) -> Tensor:
        dtype = uint8 if self.data.dtype == uint8 else bool_
        if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) == 0:
            return _make_tensor((self.data != 0).astype(dtype), None)  # torch: here dim=() reduces nothing
        out = reduce(self.data, axis=_dims(dim, self.ndim), keepdims=keepdim)
        return _make_tensor(np.asarray(out, dtype=dtype), None)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
        """The product of all elements, or along one dim; integers and bools give int64, as torch.
        The gradient is right where the input has zeros (see ops.Prod)."""
        dim = _dim_or_axis(dim, axis, "prod")
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"prod: dim must be one int (or None), as in torch, got {type(dim).__name__}")
        if dtype is not None:
            dtype = as_dtype(dtype, "prod")
            return self._cast(dtype).prod(dim, keepdim)._cast(dtype)
        source = self if self.data.dtype.kind == "f" else self.long()
        return ops.Prod.apply(source, dims=_dims(dim, self.ndim), keepdim=keepdim)

    def cumsum(self, dim: int | None = None, *, dtype=None, axis=None) -> Tensor:
        """Cumulative sums along dim; integers and bools give int64, float16 adds in float32, as torch."""
        dim = _dim_or_axis(dim, axis, "cumsum")
        if dim is None:
            raise TypeError("cumsum() missing 1 required argument: 'dim'")
        if dtype is not None:
            dtype = as_dtype(dtype, "cumsum")
            return self._cast(dtype).cumsum(dim)._cast(dtype)
        dim = _dim(dim, self.ndim)
        if self.data.dtype == float16:
            return self.float().cumsum(dim)._cast(float16)
        source = self if self.data.dtype.kind == "f" else self.long()
        return source.clone() if self.ndim == 0 else ops.CumSum.apply(source, dim=dim)

    def norm(self, p="fro", dim=None, keepdim: bool = False) -> Tensor:
        """The vector p-norm over dim (every element by default), as torch.norm: p a number (2, 1,
        inf, -inf, 0 counts the nonzeros, any other) or 'fro' (2). Where the norm is 0 the gradient
        is 0, as torch; float16 is computed in float32."""
        _need_float(self, "norm")
        if isinstance(p, str):
            if p != "fro":
                raise ValueError(f"norm: p={p!r} is not supported; give 'fro' or a number")
            p = 2
        if self.data.dtype == float16:
            return self.float().norm(p, dim, keepdim)._cast(float16)
        dims = _dims(dim, self.ndim)
        if p == 0:  # the count of nonzeros (NaN is one), recorded with a zero gradient (torch's is None)
            return self.sign().abs().masked_fill(self.isnan(), 1).sum(dims, keepdim)
        if p in (math.inf, -math.inf):
            return self.abs().amax(dims, keepdim) if p > 0 else self.abs().amin(dims, keepdim)
        if p == 1:
            return self.abs().sum(dims, keepdim)
        powers = (self * self).sum(dims, keepdim) if p == 2 else self._abs_powers(p).sum(dims, keepdim)
        nonzero = powers.data != 0
        safe = powers.where(nonzero, 1.0)  # so that the gradient where the norm is 0 is 0, not nan
        return (safe.sqrt() if p == 2 else safe ** (1 / p)).where(nonzero, 0.0)

    def _abs_powers(self, p) -> Tensor:
        """|self| ** p with gradient 0 at zeros, as torch's norm (for p < 1, |x| ** p gives inf * 0 = NaN there)."""
        a = self.abs()
        nonzero = a.data != 0
        return (a.where(nonzero, 1.0) ** p).where(nonzero, 0.0 if p > 0 else math.inf)

    # ---- comparisons (no gradient) -----------------------------------------------------------
    def _compare(self, other, op) -> Tensor:
        """A bool tensor; against a tensor or a number, compared in the dtype that arithmetic with
        it would take, as in torch (float32 against a float64 0-d tensor or np.float64). Against
        anything else but an ndarray (None, a string, a list), NotImplemented, as torch gives:
        Python then makes == False, != True and < a TypeError."""
        if isinstance(other, Tensor) or _is_number(other):  # (detached: a cast for it is no graph node)
            a, b = _operands(self.detach(), other.detach() if isinstance(other, Tensor) else other)
            return _make_tensor(np.asarray(op(a.data, b.data)), None)
        if isinstance(other, np.ndarray):
            return _make_tensor(np.asarray(op(self.data, other)), None)
        return NotImplemented

    def _named_compare(self, other, op, name: str) -> Tensor:
        """eq(other) and the others, which refuse what the operators leave to Python, as torch."""
        out = self._compare(other, op)
        if out is NotImplemented:
            raise DTypeError(f"{name}: other must be a Tensor or a number, got {type(other).__name__}")
        return out

    def __eq__(self, other): return self._compare(other, np.equal)
    def __ne__(self, other): return self._compare(other, np.not_equal)
    def __lt__(self, other): return self._compare(other, np.less)
    def __le__(self, other): return self._compare(other, np.less_equal)
    def __gt__(self, other): return self._compare(other, np.greater)
    def __ge__(self, other): return self._compare(other, np.greater_equal)
    def eq(self, other): return self._named_compare(other, np.equal, "eq")
    def ne(self, other): return self._named_compare(other, np.not_equal, "ne")
    def lt(self, other): return self._named_compare(other, np.less, "lt")
    def le(self, other): return self._named_compare(other, np.less_equal, "le")
    def gt(self, other): return self._named_compare(other, np.greater, "gt")
    def ge(self, other): return self._named_compare(other, np.greater_equal, "ge")
    def __invert__(self): return _make_tensor(~self.data, None)
    def __and__(self, other): return self._bitwise(other, np.bitwise_and)
    def __or__(self, other): return self._bitwise(other, np.bitwise_or)
    def __xor__(self, other): return self._bitwise(other, np.bitwise_xor)
    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__  # each is symmetric

    def isclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
        """Where self equals other (broadcast), or |self - other| <= atol + rtol * |other|, or, with
        equal_nan, both are NaN; integers and bools compare in float32, as torch.isclose."""
        return self._close(other, rtol, atol, equal_nan, "isclose")

    def _close(self, other, rtol: float, atol: float, equal_nan: bool, op: str) -> Tensor:
        """isclose for op (isclose or allclose), whose errors it names."""
        if not isinstance(other, Tensor):
            raise DTypeError(f"{op}: other must be a Tensor, got {type(other).__name__}")
        _same_dtype(op, self, other)
        for name, tol in (("rtol", rtol), ("atol", atol)):
            if tol < 0:
                raise ValueError(f"{op}: {name} must be greater than or equal to zero, but got {tol}")
        a, b = self.data, other.data
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ShapeError(f"{op}: shapes {a.shape} and {b.shape} do not broadcast") from None
        close = np.asarray(a == b)
        if equal_nan and a.dtype.kind == "f":
            close |= np.isnan(a) & np.isnan(b)
        if rtol == 0 and atol == 0:
            return _make_tensor(close, None)
        if a.dtype.kind != "f":
            a, b = a.astype(default_float), b.astype(default_float)
        with np.errstate(invalid="ignore", over="ignore"):
            # as torch: float16 is multiplied by rtol in float32 and rounded, but atol is rounded first
            scaled = (b * np.float32(rtol)).astype(float16) if b.dtype == float16 else b * rtol
            allowed = atol + np.abs(scaled)
            actual = np.abs(a - b)
        return _make_tensor(np.asarray(close | np.isfinite(actual) & (actual <= allowed)), None)

    def allclose(self, other, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
        """Whether isclose holds everywhere, as torch.allclose."""
        return bool(self._close(other, rtol, atol, equal_nan, "allclose").data.all())

    def equal(self, other) -> bool:
        """Whether other has self's shape and equal values (NaN equals nothing), whatever the two
        dtypes, as torch.equal."""
        if not isinstance(other, Tensor):
            raise DTypeError(f"equal: other must be a Tensor, got {type(other).__name__}")
        return self.shape == other.shape and bool(np.array_equal(self.data, other.data))

    def _bitwise(self, other, op) -> Tensor:
        """&, | or ^: logical on bool tensors, bitwise on integer ones, as torch (no gradient)."""
        a, b = _operands(self, other)
        if a.data.dtype.kind not in "biu" or b.data.dtype.kind not in "biu":
            other_type = other.dtype if isinstance(other, Tensor) else type(other).__name__
            raise DTypeError(f"{op.__name__}: needs bool or integer operands, got {self.dtype} and {other_type}")
        return _make_tensor(np.asarray(op(a.data, b.data)), None)

    # ---- shapes ------------------------------------------------------------------------------
    def reshape(self, *shape) -> Tensor:
        """A view with another shape: a new tensor in the graph even when the shape is the same,
        as torch."""
        shape = _shape_args(shape, "reshape")
        if shape and min(shape) < -1:  # (NumPy takes any negative size as the one to infer)
            i = next(i for i, n in enumerate(shape) if n < -1)
            raise ShapeError(f"reshape: invalid shape dimension {shape[i]} at index {i} of shape {list(shape)}, "
                             "as torch (only -1, the size to infer, may be negative)")
        return ops.Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        start, end = _dim(start_dim, self.ndim), _dim(end_dim, self.ndim)
        if start > end:
            raise ShapeError("flatten() has invalid args: start_dim cannot come after end_dim "
                             f"(got start_dim={start_dim}, end_dim={end_dim} for {self.ndim} dims)")
        if self.ndim == 0:
            return self.reshape(1)
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1:])

    def unflatten(self, dim: int, sizes) -> Tensor:
        """Dim dim split into dims of sizes (one of them may be -1, inferred), as torch.unflatten."""
        if not isinstance(sizes, (tuple, list)):
            raise DTypeError(f"unflatten: sizes must be a tuple of ints, got {type(sizes).__name__}")
        sizes = _shape_args((sizes,), "unflatten")
        if not sizes:
            raise ShapeError("unflatten: sizes must be non-empty")
        if self.ndim == 0:
            raise IndexError("unflatten: Dimension specified as 0 but tensor has no dimensions")
        dim = _dim(dim, self.ndim)
        n, known = self.shape[dim], math.prod(s for s in sizes if s != -1)
        if sizes.count(-1) > 1 or min(sizes) < -1 or -1 in sizes and known == 0:
            raise ShapeError(f"unflatten: sizes {list(sizes)} may hold one -1, inferred from the other sizes "
                             "(then not 0), and no other negative size")
        if not (n % known == 0 if -1 in sizes else known == n):
            raise ShapeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
                             f"{dim} ({n}) in the input tensor")
        return self.reshape(self.shape[:dim] + sizes + self.shape[dim + 1:])

    def view_as(self, other: Tensor) -> Tensor: return self.reshape(other.shape)
    def reshape_as(self, other: Tensor) -> Tensor: return self.reshape(other.shape)

    def permute(self, *dims) -> Tensor:
        dims = tuple(_dim(d, self.ndim) for d in _shape_args(dims, "permute"))
        if sorted(dims) != list(range(self.ndim)):
            raise ShapeError(f"permute: {dims} is not an ordering of the {self.ndim} dims of {self.shape}")
        return ops.Permute.apply(self, dims=dims)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        dims = list(range(self.ndim))
        d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        if self.ndim:  # a 0-d tensor accepts dims 0 and -1 and stays as it is
            dims[d0], dims[d1] = d1, d0
        return ops.Permute.apply(self, dims=tuple(dims))

    def t(self) -> Tensor:
        """The transpose of a 2-D tensor; a 0-d or 1-D one as it is (a new tensor in the graph), as torch."""
        if self.ndim > 2:
            raise ShapeError(f"t: expects a tensor with <= 2 dims, got shape {self.shape}; use .mT or "
                             ".transpose(dim0, dim1)")
        return self.T

    def flip(self, *dims) -> Tensor:
        """The elements in reverse order along dims (flip(0, 1) or flip((0, 1))), a copy, as torch."""
        dims = _shape_args(dims, "flip")
        axes = tuple(_dim(d, self.ndim) for d in dims)
        if len(set(axes)) != len(axes):
            raise ShapeError(f"flip: a dim is given more than once in dims={dims} (for {self.ndim} dims)")
        return ops.Flip.apply(self, dims=axes if self.ndim else ())

    def squeeze(self, dim=None) -> Tensor:
        """Drop size-1 dims (all, or those named that have size 1)."""
        dims = range(self.ndim) if dim is None else _dims(dim, self.ndim)
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if not (i in dims and n == 1)))

    def unsqueeze(self, dim: int) -> Tensor:
        dim = _dim(dim, self.ndim + 1)
        return self.reshape(self.shape[:dim] + (1,) + self.shape[dim:])

    def expand(self, *sizes) -> Tensor:
        """Broadcast to sizes (-1 keeps a dim) without copying."""
        sizes = _shape_args(sizes, "expand")
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise ShapeError(f"expand: cannot expand shape {self.shape} to fewer dims {sizes}")
        if -1 in sizes[:lead]:
            raise ShapeError(f"expand: the expanded size of the tensor (-1) isn't allowed in a leading, "
                             f"non-existing dimension {sizes.index(-1)} (expanding {self.shape} to {sizes})")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        if shape == self.shape:  # a writable view (np.broadcast_to's is read-only), not self
            return self.reshape(shape)
        return ops.Expand.apply(self, shape=shape)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    def repeat(self, *sizes) -> Tensor:
        """Tile the tensor sizes[i] times along dim i (leading sizes add dims), as torch.repeat."""
        if not sizes:
            raise TypeError("repeat() missing 1 required positional argument: 'repeats' (the sizes)")
        sizes = _shape_args(sizes, "repeat")
        if len(sizes) < self.ndim:
            raise ShapeError(f"repeat: number of dimensions of repeat dims ({len(sizes)}) can not be smaller "
                             f"than number of dimensions of tensor ({self.ndim})")
        if any(n < 0 for n in sizes):
            raise ShapeError(f"repeat: repeats must be non-negative, got {sizes}")
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        # as (1, n0, 1, n1, ...) broadcast to (r0, n0, r1, n1, ...): each copy is a leading index
        spread = self.reshape(tuple(d for n in shape for d in (1, n)))
        tiled = spread.expand(tuple(d for r, n in zip(sizes, shape) for d in (r, n)))
        out = tiled.reshape(tuple(r * n for r, n in zip(sizes, shape)))
        # NumPy's reshape copies unless only size-1 dims were repeated; torch's repeat always copies
        return out.clone() if np.may_share_memory(out.data, self.data) else out

    def split(self, split_size, dim: int = 0) -> tuple:
        """Views of pieces along dim: of split_size each (the last may be smaller), or of the
        sizes in a list, as torch.split. Gradients flow back through each."""
        if self.ndim == 0:
            raise ShapeError("split expects at least a 1-dimensional tensor")
        dim = _dim(dim, self.ndim)
        n = self.shape[dim]
        if isinstance(split_size, (int, np.integer)) and not isinstance(split_size, bool):
            sizes = _piece_sizes(n, int(split_size))
        else:
            sizes = _shape_args((split_size,), "split")
            if sum(sizes) != n or any(s < 0 for s in sizes):
                raise ShapeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's "
                                 f"size at dimension {dim}), but got split_sizes={list(sizes)}")
        lead = (slice(None),) * dim
        starts = itertools.accumulate(sizes, initial=0)
        return tuple(self[lead + (slice(start, start + size),)] for start, size in zip(starts, sizes))

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        """Split into chunks views along dim, of equal size but for a smaller last one (fewer
        views when the size does not divide so), as torch.chunk."""
        if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool):
            raise DTypeError(f"chunk: chunks must be an int, got {type(chunks).__name__}")
        if chunks <= 0:
            raise ValueError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
        if self.ndim == 0:
            raise ShapeError("chunk expects at least a 1-dimensional tensor")
        n = self.shape[_dim(dim, self.ndim)]
        return self.split([0] * chunks if n == 0 else -(-n // chunks), dim)

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along dim, each without it, as torch.unbind; gradients flow back through each."""
        if self.ndim == 0:
            raise IndexError("unbind: Dimension specified as 0 but tensor has no dimensions")
        dim = _dim(dim, self.ndim)
        lead = (slice(None),) * dim
        return tuple(self[lead + (i,)] for i in range(self.shape[dim]))

    def gather(self, dim: int, index) -> Tensor:
        """The values at index along dim (for dim 1, out[i][j] = self[i][index[i][j]]), as
        torch.gather; the gradient is added back at the indices, so repeated ones accumulate."""
        dim = _dim(dim, self.ndim)
        idx = _index_array(index, "gather")
        if self.ndim == 0:
            return self.reshape(1).gather(0, idx.reshape(1)).reshape(())
        if idx.ndim != self.ndim:
            raise ShapeError(f"gather: index must have as many dims as the input ({self.ndim}, shape "
                             f"{self.shape}), got shape {idx.shape}")
        if any(m > n for d, (m, n) in enumerate(zip(idx.shape, self.shape)) if d != dim):
            raise ShapeError(f"gather: index of shape {idx.shape} is larger than the input's {self.shape} "
                             f"outside dim {dim}")
        _check_index_range(idx, self.shape[dim], dim, "gather")
        grid = list(np.indices(idx.shape, sparse=True))
        grid[dim] = idx
        return ops.GetItem.apply(self, index=tuple(grid), select=None)

    def index_select(self, dim: int, index) -> Tensor:
        """The slices at index (1-D, or 0-d) along dim, as torch.index_select; the gradient is
        added back at the indices, so repeated ones accumulate."""
        dim = _dim(dim, self.ndim)
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise ShapeError(f"index_select: index must be 1-D (or 0-d), got shape {idx.shape}")
        if self.ndim == 0:  # as torch: the value itself, for index 0
            return self.reshape(1).index_select(0, idx).reshape(())
        _check_index_range(idx, self.shape[dim], dim, "index_select")
        return self[(slice(None),) * dim + (idx.reshape(-1),)]

    def contiguous(self) -> Tensor:
        """self if its array is C-contiguous, else a C-contiguous copy (recorded), as torch."""
        if self.data.flags.c_contiguous:
            return self
        return ops.Copy.apply(self, dtype=self.data.dtype, order="C")

    def __getitem__(self, index) -> Tensor:
        select, index = _index(index)
        if index[-1] is Ellipsis and self.requires_grad and autograd._grad_enabled and all(
                type(i) is int for i in index[:-1]):
            # In a graph an element is a copy: a view there would make y[0] *= 3 an in-place op
            # on a view, which is refused without torch's view tracking.
            index = index[:-1]
        return ops.GetItem.apply(self, index=index, select=select)


def _make_tensor(data: np.ndarray, ctx) -> Tensor:
    """A Tensor around an op's result, skipping __init__'s conversions (the hot path)."""
    t = _new_tensor(Tensor)
    t.data = data
    t.grad = None
    t.requires_grad = ctx is not None
    t._ctx = ctx
    return t


_new_tensor = object.__new__
# The modules this one imports that need the class, or the fast constructor, are handed them here.
autograd._Tensor = functions.Tensor = gradients.Tensor = indexing.Tensor = promotion.Tensor = Tensor
autograd._make_tensor = gradients._make_tensor = promotion._make_tensor = _make_tensor


# ---- the checks of mm, bmm and isclose ---------------------------------------------------------

def _number_dtype(dtype, op: str) -> np.dtype:
    """dtype as a NumPy dtype that a tensor may have (numbers and bools, not strings or objects)."""
    dtype = as_dtype(dtype, op)
    if dtype.kind not in "biufc":
        raise DTypeError(f"{op}: {dtype} is not a dtype of numbers; give one such as tg.float32 or tg.int64")
    return dtype


def _check_product(op: str, a: Tensor, b, ndim: int) -> None:
    """Raise unless a @ b is the product mm (ndim 2) or bmm (ndim 3) takes: Tensors of ndim dims
    and one dtype, with the same batch size and matching inner dims."""
    if not isinstance(b, Tensor):
        raise DTypeError(f"{op}: mat2 must be a Tensor, got {type(b).__name__}")
    for name, t in (("input", a), ("mat2", b)):
        if t.data.ndim != ndim:
            raise ShapeError(f"{op}: {name} must be a {ndim}-D tensor, got shape {t.shape}")
    _same_dtype(op, a, b)
    if a.data.dtype == bool_:
        raise DTypeError(_BOOL_PRODUCT.format(op=op))
    if a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"{op}: shapes {a.shape} and {b.shape} cannot be multiplied (as torch, {op} needs "
                         f"{'one batch size and ' if ndim == 3 else ''}the inner dims to match)")


def _same_dtype(op: str, a: Tensor, b: Tensor) -> None:
    if a.data.dtype != b.data.dtype:
        raise DTypeError(f"{op}: both tensors need the same dtype (as in torch), got {a.data.dtype} and "
                         f"{b.data.dtype}")
