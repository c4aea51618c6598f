"""The checks and normal forms of the arguments that Tensor methods and the factories share:
dims (negative ones counted from the end), shapes given as f(2, 3) or f((2, 3)), split sizes,
var's and std's correction, and devices (the CPU is the only one)."""
from __future__ import annotations

import operator

import numpy as np

from .errors import ConfigError, DTypeError


def is_device(device) -> bool:
    """Whether device names one of torch's devices, e.g. 'cuda', 'mps:0' or torch.device('cpu')."""
    name = _device_name(device)
    return isinstance(name, str) and name.split(":")[0] in ("cpu", "cuda", "mps", "xpu", "hip", "meta")


def check_cpu(device, op: str) -> None:
    """Raise unless device is None or the CPU, the only device here."""
    if device is None or _device_name(device) in ("cpu", "cpu:0"):
        return
    hint = "" if is_device(device) else " (as in torch, device comes before dtype: pass dtype=...)"
    raise ConfigError(f"{op}: the only device is 'cpu', got {device!r}{hint}")


def _device_name(device):
    """A device's name: a string as it is, a torch.device's as its str() gives it."""
    return device if isinstance(device, str) else str(device) if hasattr(device, "type") else None


def _dim(dim: int, ndim: int) -> int:
    """dim as a non-negative index, with an error naming the valid range."""
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"dim {dim} is out of range for a tensor of {ndim} dims "
                         f"(expected {-max(ndim, 1)} to {max(ndim, 1) - 1})")
    return dim % max(ndim, 1)


def _dims(dim, ndim: int) -> tuple | None:
    """None (all dims) or a sorted tuple of non-negative dims."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    if ndim == 0 or not dims:  # torch reads dim=() or [] as every dim
        return None
    return tuple(sorted({_dim(d, ndim) for d in dims}))


def _dim_or_axis(dim, axis, op: str):
    """dim, or axis (torch's other name for it); not both."""
    if axis is None:
        return dim
    if dim is not None:
        raise TypeError(f"{op}: got both dim and axis (axis is another name for dim)")
    return axis


def _correction(dim, unbiased, correction, op: str) -> int:
    """var's and std's correction from torch's two spellings (unbiased may come first, as dim)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError(f"{op}: unbiased given twice (as dim and as unbiased)")
        unbiased = dim
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give unbiased or correction, not both")
    if unbiased is not None:
        return int(unbiased)
    return 1 if correction is None else correction


def _shape_args(shape, op: str) -> tuple:
    """Accept f(2, 3) and f((2, 3)) alike; sizes must be integers (floats and bools are a
    TypeError, as in torch, rather than truncated)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, np.ndarray)):
        shape = tuple(shape[0])
    if all(type(n) is int for n in shape):
        return shape
    for i, n in enumerate(shape):
        if isinstance(n, (bool, np.bool_, float, np.floating)) or not hasattr(n, "__index__"):
            raise DTypeError(f"{op}: size must be a tuple of ints, but found element of type "
                             f"{type(n).__name__} at pos {i}")
    return tuple(operator.index(n) for n in shape)


def _piece_sizes(n: int, size: int) -> tuple:
    """The sizes of split(size) along a dim of length n."""
    if size < 0:
        raise ValueError(f"split expects split_size be non-negative, but got split_size={size}")
    if size == 0:
        if n:
            raise ValueError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        return (0,)
    return tuple(min(size, n - start) for start in range(0, max(n, 1), size))
