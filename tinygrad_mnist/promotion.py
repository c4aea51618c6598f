"""The one place that decides dtypes, as torch decides them where NumPy's rules differ: the dtype
names, what data becomes as an array (Python floats float32), the dtype a number takes beside a
tensor, the operands of a binary op, the promoted dtype of several tensors, and which casts an
in-place op may make."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import DTypeError, OutOfRangeError, ShapeError


float16, float32, float64 = np.dtype("float16"), np.dtype("float32"), np.dtype("float64")
uint8, int32, int64, bool_ = np.dtype("uint8"), np.dtype("int32"), np.dtype("int64"), np.dtype(bool)
int8, int16 = np.dtype("int8"), np.dtype("int16")
default_float = float32

_NAMED_HERE = {"float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"}  # tg.<name>


def as_dtype(dtype, op: str) -> np.dtype:
    """np.dtype(dtype); one of torch's dtypes (told by its type's module: torch is not imported
    here) is refused with a DTypeError naming the dtype to give instead."""
    try:
        return np.dtype(dtype)
    except TypeError:
        if type(dtype).__module__ != "torch":
            raise
    name = str(dtype).removeprefix("torch.")
    hint = (f"use tg.{name}" if name in _NAMED_HERE else f"use np.{name}" if _is_numpy_number_dtype(name) else
            f"it has no {name} (tg.float32, say, instead)")
    raise DTypeError(f"{op}: {dtype} is torch's dtype; tinygrad_mnist takes its own (NumPy's): {hint}")


def _is_numpy_number_dtype(name: str) -> bool:
    return isinstance(getattr(np, name, None), type) and issubclass(getattr(np, name), np.number)


Tensor = None        # set by tensor.py once the class exists (tensor.py imports this module)
_make_tensor = None  # set by tensor.py: (ndarray, node or None) -> Tensor


def _as_array(data, dtype=None) -> np.ndarray:
    """An ndarray for data: Python floats become float32 (as torch); arrays and NumPy numbers keep
    their dtype, also inside a sequence, whose dtype is then torch's for what it holds (a tensor in
    it counts as its number, as in torch)."""
    if dtype is not None:
        dtype = as_dtype(dtype, "tensor")
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        return data if dtype is None else data.astype(dtype, copy=False)
    if isinstance(data, (list, tuple)):
        data = _tensors_as_numbers(data, dtype, data)
    if dtype is not None and dtype.kind in "iu":
        return _as_integers(data, dtype)
    if dtype == bool_ and isinstance(data, (list, tuple)):
        arr = np.asarray(data)
        if arr.dtype.kind in "fcO":  # (as in _as_integers: a float tensor inside makes it float)
            _refuse_float_tensors(data, dtype, "tensor")
        return arr.astype(bool_)
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype.kind == "f":
        if isinstance(data, (list, tuple)):
            arr = arr.astype(_cat_dtype(list(_item_dtypes(data, set())) or [default_float]), copy=False)
        elif arr.dtype == float64 and not isinstance(data, np.generic):
            arr = arr.astype(default_float)
    return arr


def _as_integers(data, dtype: np.dtype, op: str = "tensor") -> np.ndarray:
    """Numbers (or nested sequences of them) as an array of an integer dtype, as torch.tensor makes
    one: bools as 0 and 1, floats truncated toward zero, and like integers refused outside the
    dtype's range, except that an unsigned dtype takes negative integers down to -max, wrapped (-1
    is 255 in uint8). Each number counts by its own kind, as in torch: in [2**62 + 1, 0.5] the int
    is not rounded through a double."""
    values = np.asarray(data)  # int64 for integers (uint64 or Python ints beyond), float64 with a float
    kind = values.dtype.kind
    if kind in "fcO" and isinstance(data, (list, tuple)):  # (a float tensor inside makes it float)
        _refuse_float_tensors(data, dtype, op)
    if kind == "b":
        return values.astype(dtype)
    info = np.iinfo(dtype)
    if kind == "O" or kind == "f" and _holds_integers(data):
        items = np.asarray(data, dtype=object)
        return np.array([_integer(v, info, op) for v in items.flat], dtype=dtype).reshape(items.shape)
    if kind not in "iuf":
        raise DTypeError(f"{op}: {values.flat[0]!r} is not a number, which an integer dtype ({dtype}) needs")
    # A float is tested before truncation, as in torch (127.5 is out of range for int8), and NaN
    # fails; the last test refuses 2**63, which int64's max becomes as a float.
    low = _lowest(kind, info)
    fits = (values >= low) & (values <= info.max) & (values < info.max + 1)
    if not fits.all():
        raise _out_of_range(values[~fits].tolist()[0], kind, info, op)
    return values.astype(dtype)


def _tensors_as_numbers(data: list | tuple, dtype: np.dtype | None, whole: list | tuple) -> list | tuple:
    """data, a part of whole, with each tensor inside it as a 0-d one out of the graph: torch reads a
    tensor in a sequence as a number, which a tensor of one element is, whatever its shape; another
    is refused as torch refuses it. (data itself when it holds only Python numbers, found by their types.)"""
    if set(map(type, data)) <= _PYTHON_NUMBER_DTYPES.keys():
        return data
    items = []
    for item in data:
        if isinstance(item, (list, tuple)):
            item = _tensors_as_numbers(item, dtype, whole)
        elif isinstance(item, Tensor):
            if item.data.size != 1:
                raise _not_a_number(item, dtype, whole)
            item = _make_tensor(item.data.reshape(()), None)
        items.append(item)
    return type(data)(items)


def _not_a_number(item: Tensor, dtype: np.dtype | None, whole: list | tuple) -> Exception:
    """The error for a tensor of other than one element inside data, which becomes dtype (or the
    dtype torch infers for whole): a float dtype reads it as a number (torch's ValueError), an
    integer or bool one as an index (torch's TypeError, which a float tensor gets first)."""
    target = dtype if dtype is not None else _cat_dtype(list(_item_dtypes(whole, set())))
    what = f"tensor: a tensor of {item.data.size} elements (shape {item.shape}) inside data"
    hint = ("as in torch (which takes only one-element tensors in a sequence, as numbers); join tensors with "
            "tg.stack(...), or give their .tolist()")
    if target.kind in "fc":
        return ShapeError(f"{what} is not a number, {hint}")
    _refuse_float_tensors(whole, target, "tensor")
    return DTypeError(f"{what} cannot be an index for {target}, {hint}")


def _refuse_float_tensors(data: list | tuple, dtype: np.dtype, op: str) -> None:
    """Raise if a float (or complex) tensor is inside data, which torch converts to a float dtype
    only (for an integer or bool one it reads a tensor as an index, which only integers are)."""
    for value in data:
        if isinstance(value, (list, tuple)):
            _refuse_float_tensors(value, dtype, op)
        elif isinstance(value, Tensor) and value.data.dtype.kind in "fc":
            raise DTypeError(f"{op}: a {value.data.dtype} tensor inside data cannot become {dtype}, as in torch (which "
                             "converts only integer and bool tensors in a sequence to an integer or bool dtype); give "
                             "its .long() or its .item()")


def _holds_integers(data) -> bool:
    """Whether a nested sequence holds an integer (not a bool) among its numbers."""
    if isinstance(data, (list, tuple)):
        return any(map(_holds_integers, data))
    return isinstance(data, (int, np.integer)) and not isinstance(data, bool)


def _integer(value, info: np.iinfo, op: str) -> int:
    """One number of a sequence as _as_integers converts it: a Python int within info's range."""
    if hasattr(value, "__array__") and not isinstance(value, np.generic):  # a tensor or an array
        array = np.asarray(value)
        if array.size == 1:
            value = array.item()
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        kind, value = "i", int(value)
    elif isinstance(value, (float, np.floating)):
        kind = "f"
    else:
        raise DTypeError(f"{op}: {value!r} is not a number, which an integer dtype ({info.dtype}) needs")
    if not _lowest(kind, info) <= value <= info.max or kind == "f" and not value < info.max + 1:
        raise _out_of_range(value, kind, info, op)
    value = int(value)  # truncated toward zero
    return value + info.max + 1 if value < 0 and info.min == 0 else value


def _lowest(kind: str, info: np.iinfo) -> int:
    """The lowest number of a kind ('f' floats, else integers) that an integer dtype takes."""
    return -info.max if kind != "f" and info.min == 0 else info.min


def _out_of_range(value, kind: str, info: np.iinfo, op: str) -> OutOfRangeError:
    taken = ("floats from {} to {} for it, truncated toward zero" if kind == "f" else
             "integers from {} to {} for it, wrapping the negative ones around" if info.min == 0 else
             "integers from {} to {} for it")
    return OutOfRangeError(f"{op}: {value!r} is out of range for {info.dtype} (torch takes "
                           f"{taken.format(_lowest(kind, info), info.max)})")


def _item_dtypes(data, found: set) -> set:
    """found with the dtype torch infers for each item in data, a nested sequence: a Python
    number's as alone (float32 for a float), a NumPy number's, an array's or a tensor's own. (By
    the items' types first: a list of 10,000 floats takes a set of one type, not 10,000 tests.)"""
    for kind in set(map(type, data)):
        if kind in _PYTHON_NUMBER_DTYPES:
            found.add(_PYTHON_NUMBER_DTYPES[kind])
        elif issubclass(kind, np.generic):
            found.add(np.dtype(kind))
        else:
            for item in data:
                if type(item) is not kind:
                    continue
                if isinstance(item, (list, tuple)):
                    _item_dtypes(item, found)
                else:
                    found.add(item.dtype if isinstance(item, (np.ndarray, Tensor)) else
                              _NUMBER_DTYPES[_number_kind(item)])
    return found


def _casts_in_place(source: np.dtype, target: np.dtype) -> bool:
    """torch's rule for an in-place result: any cast but floating point to integer or bool, and
    anything but bool to bool (NumPy's same_kind would also refuse int64 into uint8)."""
    if target.kind == "b":
        return source.kind == "b"
    return not (source.kind == "f" and target.kind in "iu")


def _values(x, dtype=None) -> np.ndarray:
    """x as an array, for code that only reads values (metrics, plots, load_state_dict): a Tensor's
    array even when it requires grad, a torch tensor's too (detached: its __array__ refuses),
    anything else through np.asarray."""
    if isinstance(x, Tensor):
        x = x.data
    elif getattr(x, "requires_grad", False):
        x = x.detach()
    return np.asarray(x, dtype)


def _const_dtype(value, like: np.dtype) -> np.dtype:
    """The dtype a Python or NumPy number takes next to a tensor of dtype like (as torch)."""
    if like.kind == "f":
        return like
    kind = _number_kind(value)
    return like if like.kind in "iu" and kind != "f" else _NUMBER_DTYPES[kind]


def _number_kind(value) -> str:
    """"b", "i" or "f": a number's category. torch treats a NumPy scalar as the Python number of
    its kind, but only np.float64 subclasses a Python type (float), so test NumPy's types too."""
    if isinstance(value, (bool, np.bool_)):
        return "b"
    return "i" if isinstance(value, (int, np.integer)) else "f"


_NUMBER_DTYPES = {"b": bool_, "i": int64, "f": default_float}  # a lone number's dtype, as torch
_PYTHON_NUMBER_DTYPES = {bool: bool_, int: int64, float: default_float}


def _constant(value, like: np.dtype) -> np.ndarray:
    """A number as a 0-d array in the dtype it takes beside a tensor of dtype like; an integer
    outside that dtype's range wraps around, as in torch (a uint8 tensor - 1 gives 255 for 0)."""
    dtype = _const_dtype(value, like)
    try:
        return np.asarray(value, dtype)
    except OverflowError:
        return np.asarray(value).astype(dtype)


def _operands(a, b) -> tuple[Tensor, Tensor]:
    """Two Tensors for a binary op: numbers take the tensor's dtype; an integer tensor meeting a
    float one takes the float's dtype (torch's rule; NumPy would give float64)."""
    if not isinstance(a, Tensor):
        a = _make_tensor(_constant(a, b.data.dtype) if _is_number(a) else _as_array(a), None)
    elif not isinstance(b, Tensor):
        b = _make_tensor(_constant(b, a.data.dtype) if _is_number(b) else _as_array(b), None)
    da, db = a.data.dtype, b.data.dtype
    if da is not db and da != db:
        if (a.ndim == 0) != (b.ndim == 0) and _category(da) == _category(db):
            # torch: a 0-d tensor does not widen a dimensioned one of the same category
            a, b = (a._cast(db), b) if a.ndim == 0 else (a, b._cast(da))
        elif da.kind == "f" and db.kind in "iu":  # bool needs no cast: NumPy keeps the float dtype
            b = b._cast(da)
        elif db.kind == "f" and da.kind in "iu":
            a = a._cast(db)
    return a, b


def _division_operands(a, b) -> tuple[Tensor, Tensor]:
    """_operands for true division, where integers and bools divide as the default float, as in
    torch. Unless the other operand is a float tensor, an integer tensor becomes float first, so
    that a number does not take (and wrap around in) the integer dtype: uint8 255 / 256 is 0.996."""
    if not (isinstance(a, Tensor) and a.data.dtype.kind == "f" or isinstance(b, Tensor) and b.data.dtype.kind == "f"):
        a, b = (x._cast(default_float) if isinstance(x, Tensor) else x for x in (a, b))
    return _operands(a, b)


def _operands_not_both_bool(a, b, op: str) -> tuple[Tensor, Tensor]:
    """_operands for //, % and **, which torch does not define for two bools."""
    a, b = _operands(a, b)
    if a.data.dtype == bool_ and b.data.dtype == bool_:
        raise DTypeError(f"{op}: not defined for two bool tensors (as in torch); convert one with .long()")
    return a, b


def _sub_operands(a, b) -> tuple[Tensor, Tensor]:
    """_operands for subtraction, which torch refuses when either side is a bool tensor or a Python bool."""
    if isinstance(a, bool) or isinstance(b, bool) or bool_ in (getattr(a, "dtype", None), getattr(b, "dtype", None)):
        raise DTypeError("Subtraction, the `-` operator, with a bool tensor is not supported (as in torch); to "
                         "invert a mask use ~, else convert it with .long() or .float() first")
    return _operands(a, b)


def _category(dtype: np.dtype) -> int:
    """bool < integer < floating point, the categories of torch's type promotion."""
    return {"b": 0, "u": 1, "i": 1}.get(dtype.kind, 2)


def _is_number(x) -> bool:
    return isinstance(x, (int, float, np.number, np.bool_))


def _float_input(t: Tensor) -> Tensor:
    """t for a float-only op: integer and bool tensors become the default float, as in torch
    (NumPy would give float64)."""
    return t if t.data.dtype.kind == "f" else t._cast(default_float)


def _need_float(t: Tensor, op: str) -> None:
    if t.data.dtype.kind != "f":
        raise DTypeError(f"{op}: needs a floating-point tensor, got dtype {t.data.dtype}; use .float()")


def _as_tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _cat_dtype(dtypes: list[np.dtype]) -> np.dtype:
    """The dtype of a cat, as torch: the widest float when there is one (int64 with float32 is
    float32, where NumPy gives float64), else NumPy's promotion, which agrees with torch there."""
    floats = [d for d in dtypes if d.kind == "f"]
    return np.result_type(*(floats or dtypes))


def _result_type(tensors: Sequence[Tensor]) -> np.dtype:
    """torch's promoted dtype of several tensors: that of the dimensioned ones, unless a 0-d one
    is of a higher category (bool < integer < float), whose dtype then wins."""
    dims = [t.data.dtype for t in tensors if t.ndim]
    zero_dims = [t.data.dtype for t in tensors if not t.ndim]
    if not dims or not zero_dims:
        return _cat_dtype(dims or zero_dims)
    dim_type, zero_dim_type = _cat_dtype(dims), _cat_dtype(zero_dims)
    return zero_dim_type if _category(zero_dim_type) > _category(dim_type) else dim_type
