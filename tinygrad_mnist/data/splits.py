"""Splitting data: random and stratified splits, and picking a subset of classes.

`data` is a tuple of equal-length arrays (labels last), or a dataset (labels in `.targets`). A split of
a tuple is a tuple of arrays; a split of a dataset is a `Subset`.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .. import rng
from ..errors import ConfigError, DTypeError, ShapeError
from ..tensor import Tensor
from .loader import Subset


def random_split(data, lengths: Sequence[int | float],
                 generator: np.random.Generator | int | None = None) -> list:
    """Shuffle data and cut it into parts of the given lengths (counts, or fractions summing to 1)."""
    n = _length(data)
    counts = _counts(lengths, n)
    order = _generator(generator).permutation(n)
    bounds = np.cumsum([0] + counts)
    return [_select(data, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def stratified_split(data, fractions: Sequence[float],
                     generator: np.random.Generator | int | None = None) -> list:
    """Split data into parts of the given fractions, each class spread in the same proportions.

    Every class's count in every part is within one sample of its exact share."""
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.ndim != 1 or len(fractions) == 0 or (fractions <= 0).any() or not math.isclose(fractions.sum(), 1.0):
        raise ConfigError(f"stratified_split: fractions must be positive and sum to 1, got {fractions.tolist()}")
    labels = _labels(data)
    gen = _generator(generator)
    parts = [[np.empty(0, np.int64)] for _ in fractions]
    for c in np.unique(labels):
        members = gen.permutation(np.flatnonzero(labels == c))
        bounds = np.cumsum([0] + _largest_remainder(len(members), fractions))
        for part, a, b in zip(parts, bounds[:-1], bounds[1:]):
            part.append(members[a:b])
    return [_select(data, gen.permutation(np.concatenate(part))) for part in parts]


def class_subset(data, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The (X, y) of the given classes only, relabelled 0, 1, ... in the order given (e.g. (5, 8) -> 0/1)."""
    arrays = _arrays(data)
    if arrays is not None and len(arrays) == 2:
        x, y = arrays
    elif arrays is None and hasattr(data, "data") and hasattr(data, "targets"):
        x, y = np.asarray(data.data), np.asarray(data.targets)
    else:
        raise DTypeError("class_subset: expected (X, y) arrays or a dataset with .data and .targets")
    classes = list(classes)
    if not classes or len(set(classes)) != len(classes):
        raise ConfigError(f"class_subset: classes must be distinct and non-empty, got {classes}")
    missing = [c for c in classes if not (y == c).any()]
    if missing:
        raise ConfigError(f"class_subset: classes {missing} do not occur in the labels "
                          f"(present: {np.unique(y).tolist()})")
    mask = np.isin(y, classes)
    picked = y[mask]
    relabelled = np.zeros(len(picked), dtype=np.int64)
    for new, old in enumerate(classes):
        relabelled[picked == old] = new
    return x[mask], relabelled


def _largest_remainder(n: int, fractions: np.ndarray) -> list[int]:
    """Integer counts summing to n, each the floor or ceiling of n * fraction."""
    exact = n * fractions
    counts = np.floor(exact).astype(np.int64)
    extra = np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]
    counts[extra] += 1
    return counts.tolist()


def _counts(lengths: Sequence[int | float], n: int) -> list[int]:
    """Part sizes from lengths: counts summing to n, or fractions summing to 1 (as torch's random_split)."""
    lengths = list(lengths)
    if lengths and all(0 <= f <= 1 for f in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):  # hand the remainder out one by one, as torch does
            counts[i % len(counts)] += 1
        return counts
    if any(isinstance(k, float) and not k.is_integer() for k in lengths) or any(k < 0 for k in lengths) \
            or sum(lengths) != n:
        raise ConfigError(f"random_split: lengths must be counts summing to {n} or fractions summing to 1, "
                          f"got {lengths}")
    return [int(k) for k in lengths]


def _generator(generator: np.random.Generator | int | None) -> np.random.Generator:
    if generator is None:
        return rng.generator()
    return generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)


def _arrays(data) -> tuple[np.ndarray, ...] | None:
    """data as a tuple of arrays when it is one (or a single array), else None (a dataset)."""
    if isinstance(data, (np.ndarray, Tensor)):
        data = (data,)
    if not isinstance(data, (tuple, list)):
        return None
    arrays = tuple(a.data if isinstance(a, Tensor) else np.asarray(a) for a in data)
    if len({len(a) for a in arrays}) > 1:
        raise ShapeError(f"split: arrays must share their first dimension, got shapes {[a.shape for a in arrays]}")
    return arrays


def _length(data) -> int:
    arrays = _arrays(data)
    return len(data) if arrays is None else len(arrays[0])


def _labels(data) -> np.ndarray:
    arrays = _arrays(data)
    if arrays is not None:
        return arrays[-1]
    if not hasattr(data, "targets"):
        raise DTypeError(f"{type(data).__name__} has no .targets: pass (X, y) arrays to split by class")
    return np.asarray(data.targets)


def _select(data, indices: np.ndarray):
    arrays = _arrays(data)
    if arrays is None:
        return Subset(data, indices)
    picked = tuple(a[indices] for a in arrays)
    return picked[0] if isinstance(data, (np.ndarray, Tensor)) else picked
