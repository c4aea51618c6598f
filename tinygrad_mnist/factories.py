"""Making tensors: tensor(), from_numpy() and the factories (zeros, ones, empty, full, arange,
linspace, eye, rand, randn, randint and the *_like forms), with torch's arguments and default dtypes."""
from __future__ import annotations

import math
import operator
import warnings
from typing import Iterable

import numpy as np

from . import rng
from .arguments import _shape_args
from .errors import DTypeError, OutOfRangeError
from .promotion import (_NUMBER_DTYPES, _as_array, _as_integers, _number_kind, as_dtype, bool_, default_float, float32,
                        float64, int64)
from .tensor import Tensor


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of data (floats default to float32); of a Tensor, a copy out of
    the graph, with a warning to use clone(), as torch's."""
    if isinstance(data, Tensor):
        warn_copy_construct("tg.tensor")
    return _copy_of(data, dtype, requires_grad)


def warn_copy_construct(call: str) -> None:
    """torch's warning for tensor(t) and x.new_tensor(t) of a Tensor t, pointing at their caller."""
    warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                  f"sourceTensor.detach().clone().requires_grad_(True), rather than {call}(sourceTensor).",
                  UserWarning, stacklevel=3)


def _copy_of(data, dtype, requires_grad: bool) -> Tensor:
    """tensor() without its warning."""
    arr = _as_array(data, dtype)
    if arr.dtype.kind in "USOV":
        raise DTypeError(f"tensor: data must be numbers or bools (or nested sequences of them), got "
                         f"{type(data).__name__} {data!r:.60}, which NumPy reads as dtype {arr.dtype}")
    return Tensor(arr.copy() if arr is data or isinstance(data, Tensor) else arr, requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing array's memory and dtype."""
    return Tensor(array)


def _factory(array: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _factory(np.zeros(_shape_args(shape, "zeros"), as_dtype(dtype or default_float, "zeros")), requires_grad)


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _factory(np.ones(_shape_args(shape, "ones"), as_dtype(dtype or default_float, "ones")), requires_grad)


def empty(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of shape whose values are whatever was in its memory, as torch.empty."""
    return _factory(np.empty(_shape_args(shape, "empty"), as_dtype(dtype or default_float, "empty")), requires_grad)


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    shape = _shape_args((shape,), "full") if not isinstance(shape, int) else (shape,)
    dtype = as_dtype(dtype or _NUMBER_DTYPES[_number_kind(fill_value)], "full")
    if dtype.kind in "iu":  # the value converted as tensor(fill_value, dtype=dtype) converts it, as torch
        fill_value = _as_integers(fill_value, dtype, "full")
    return _factory(np.full(shape, fill_value, dtype), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like torch.arange: integers give int64, any float argument gives float32 (a one-element
    tensor counts as its value). For int64, start, end and step are first truncated to integers,
    as in torch; for a narrower integer dtype torch counts the values from float arguments as
    given, and steps from the truncated start by the truncated step. Integer values are computed
    in int64 (integers past it refused) and wrap into a narrower dtype, as in torch."""
    if end is None:
        start, end = 0, start
    start, end, step = (v.item() if isinstance(v, Tensor) else v for v in (start, end, step))
    floats = any(_number_kind(v) == "f" for v in (start, end, step))
    dtype = as_dtype(dtype if dtype is not None else float32 if floats else int64, "arange")
    if dtype == bool_:
        raise DTypeError("arange: bool is not a dtype for it (as in torch)")
    if floats and not all(map(math.isfinite, (start, end, step))):
        raise OutOfRangeError(f"arange: unsupported range {start} -> {end} (step {step}): start, end and step must "
                              "be finite, as in torch")
    if dtype == int64:
        if step != 0 and int(step) == 0:
            raise ValueError(f"arange: step must be nonzero, but step={step} is 0 in {dtype} (as torch, "
                             "start, end and step are cast to the dtype); give a whole step or a float dtype")
        start, end, step = int(start), int(end), int(step)
    if dtype.kind in "iu" and (dtype == int64 or not floats):  # integers: counted in int64, as torch does
        for name, value in (("start", start), ("end", end), ("step", step)):
            if not -2 ** 63 <= value < 2 ** 63:
                raise OutOfRangeError(f"arange: {name}={value} is out of range for int64, in which torch counts "
                                      "an integer arange")
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: a step of {step} never goes from {start} to {end}")
    if dtype.kind == "f":  # each value start + i * step in float64, rounded once, as torch
        return _factory(np.arange(start, end, step, dtype=float64).astype(dtype), requires_grad)
    if floats and dtype.kind in "iu":
        count = math.ceil((end - start) / step)
        return _factory((int(start) + np.arange(count) * int(step)).astype(dtype), requires_grad)
    return _factory(np.arange(start, end, step, dtype=int64).astype(dtype, copy=False), requires_grad)


def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    """steps evenly spaced values from start to end, both included (float32 by default), each
    computed in float64 and rounded once. For an integer dtype, start and end are first truncated
    to integers and the values then truncated, as in torch."""
    if steps < 0:
        raise ValueError(f"linspace: steps must be non-negative, got {steps}")
    dtype = as_dtype(dtype or default_float, "linspace")
    if dtype.kind != "f":
        start, end = int(start), int(end)
    return _factory(np.linspace(start, end, steps).astype(dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _factory(np.eye(n, m, dtype=as_dtype(dtype or default_float, "eye")), requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1) from the seeded global generator."""
    return _factory(_draw(rng.generator().random, _shape_args(shape, "rand"), dtype, "rand"), requires_grad)


def randn(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal from the seeded global generator."""
    return _factory(_draw(rng.generator().standard_normal, _shape_args(shape, "randn"), dtype, "randn"), requires_grad)


def _draw(method, shape: tuple, dtype, op: str) -> np.ndarray:
    """method(shape, dtype=dtype); NumPy's generators make only float32 and float64, so float16
    is drawn in float32 and rounded."""
    dtype = as_dtype(dtype or default_float, op)
    if dtype.kind != "f":
        raise DTypeError(f"random floats need a floating-point dtype, got {dtype}")
    if dtype == np.float16:
        return method(shape, dtype=np.float32).astype(np.float16)
    return method(shape, dtype=dtype)


def randint(low: int, high=None, size: Iterable[int] = (), dtype=int64) -> Tensor:
    """Integers in [low, high), called as torch.randint(low, high, size) or randint(high, size), in
    dtype (a float dtype holds the integers drawn, as torch)."""
    if isinstance(high, (tuple, list)):  # randint(high, size)
        high, size = None, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise ValueError(f"randint: low must be less than high, got low={low} and high={high}")
    dtype = as_dtype(dtype, "randint")
    drawn = rng.generator().integers(low, high, size=tuple(size), dtype=int64 if dtype.kind == "f" else dtype)
    return _factory(drawn.astype(dtype, copy=False), False)


def randperm(n: int, *, generator=None, dtype=int64, requires_grad: bool = False) -> Tensor:
    """0 to n - 1 in random order, from the seeded global generator or generator= (a
    np.random.Generator or a seed), as torch.randperm."""
    if isinstance(n, (bool, np.bool_, float, np.floating)) or not hasattr(n, "__index__"):
        raise DTypeError(f"randperm: n must be an int, got {type(n).__name__}")
    n, dtype = operator.index(n), as_dtype(dtype, "randperm")
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    if dtype == bool_:
        raise DTypeError("randperm: bool is not a dtype for it (as in torch)")
    largest = np.iinfo(dtype).max if dtype.kind in "iu" else 2 ** (np.finfo(dtype).nmant + 1)
    if n - 1 > largest:  # (the largest integer a float dtype holds with all those below it)
        raise ValueError(f"randperm: n={n} is more than dtype {dtype} holds exactly (up to {largest + 1})")
    given = rng.checked_generator(generator, "randperm")
    order = (rng.generator() if given is None else given).permutation(n)
    return _factory(order.astype(dtype), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return empty(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randint_like(t: Tensor, low: int = 0, high: int | None = None, dtype=None) -> Tensor:
    """randint in t's shape and dtype (or dtype): randint_like(t, high), (t, high=high) or
    (t, low, high), as torch."""
    if high is None:
        low, high = 0, low
    return randint(low, high, t.shape).to(dtype or t.dtype)


def randn_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
