"""Indexing as torch means it, in NumPy's terms: what x[index] and x[index] = v pass to GetItem and
IndexPut (_index), when an assignment must match the tensor's dtype, and the index arrays of
gather and index_select."""
from __future__ import annotations

import warnings

import numpy as np

from .errors import DTypeError
from .promotion import bool_

Tensor = None  # set by tensor.py once the class exists (tensor.py imports this module)


def _index(index) -> tuple:
    """(select, index) for GetItem: torch's meaning of index as NumPy indexes. Tensors and lists
    become arrays (a list is copied: changing it later does not change the graph), a uint8 array
    is a mask, and integers (also 0-d integer arrays) select before the other indices apply:
    torch's x[0, :, [1, 0]] is NumPy's x[0][:, [1, 0]], not x[0, :, [1, 0]], where an integer
    counts as an array. select is the basic index of those integers, or None when index alone
    means the same. An index of integers alone gets a trailing ..., so that NumPy gives a 0-d view
    of the element, as torch does, not a copy of it (and assigns a value of shape (1,) to it)."""
    if type(index) is slice:  # the usual cases, with little to do
        return None, (index,)
    if type(index) is int:
        return None, (index, Ellipsis)
    items = list(map(_index_item, index if type(index) is tuple else (index,)))
    ints = [type(i) is int for i in items]
    if all(ints):
        return None, (*items, Ellipsis)
    if not any(ints) or not any(type(i) is np.ndarray for i in items):
        return None, tuple(items)
    select = []  # the integers, with a full slice for every dim the other items index
    for i in items:
        if type(i) is int or i is Ellipsis:
            select.append(i)
        elif i is not None:
            select.extend([slice(None)] * (i.ndim if type(i) is np.ndarray and i.dtype == bool_ else 1))
    return tuple(select), tuple(i for i, is_int in zip(items, ints) if not is_int)


def _check_index_put_dtype(index, value: Tensor, dtype: np.dtype) -> None:
    """Raise, as torch's index_put does, for a value of another dtype behind an index that holds a
    list, an array or a tensor (torch casts the value only for a basic index, or for a mask and a
    one-element value, which it fills in)."""
    items = index if type(index) is tuple else (index,)
    advanced = [np.asarray(i.data if isinstance(i, Tensor) else i) for i in items if isinstance(i, list) or
                isinstance(i, (Tensor, np.ndarray)) and (i.ndim or i.dtype == bool_)]
    if not advanced or value.data.size == 1 and all(i.dtype == bool_ for i in advanced):
        return
    raise DTypeError(f"index assignment: the value has dtype {value.dtype} and this tensor {dtype}; with an index "
                     f"holding a list, an array or a tensor they must match, as in torch's index_put (a Python "
                     f"number is cast); cast the value with .to(tg.{dtype})")


def _index_item(i):
    """One item of an index as _index passes it on."""
    if isinstance(i, Tensor):
        i = i.data
    elif isinstance(i, list):
        i = np.array(i) if i else np.array([], dtype=np.intp)
    if isinstance(i, np.generic) and i.dtype.kind in "iu":  # a NumPy integer (an MNIST label) is a number
        return int(i)
    if isinstance(i, (np.ndarray, np.generic)):
        if i.dtype == np.uint8:  # (stacklevel: the caller of [] or []=)
            warnings.warn("indexing with a uint8 tensor reads it as a mask, as torch does (deprecated "
                          "there too); index with a bool tensor instead", UserWarning, stacklevel=4)
            return np.asarray(i, dtype=bool_)
        if i.ndim == 0 and i.dtype.kind in "iu":
            return int(i)
        return np.asarray(i)
    if isinstance(i, bool):  # as a 0-d bool array, which _index knows adds a dim (as torch's True does)
        return np.asarray(i)
    return int(i) if isinstance(i, int) else i


def _index_array(index, op: str) -> np.ndarray:
    """gather's and index_select's index as an integer array."""
    idx = index.data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu":
        raise DTypeError(f"{op}: index must be an integer tensor, got dtype {idx.dtype}")
    return idx


def _check_index_range(idx: np.ndarray, n: int, dim: int, op: str) -> None:
    """Raise for an index outside 0 to n - 1 (as torch: NumPy would read a negative one from the end)."""
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise IndexError(f"{op}: index {bad[0]} is out of range for dim {dim} of size {n} (expected 0 to {n - 1})")
