"""Splitting data: random and stratified splits, and picking a subset of classes.

`data` is a tuple of equal-length arrays (labels last), or a dataset (labels in `.targets`; a list
is a dataset of items, as in torch). A split of a tuple is a tuple of arrays; a split of a dataset
is a `Subset`.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .. import rng
from ..errors import ConfigError, DTypeError, ShapeError
from ..tensor import Tensor
from .loader import Subset, fetch


def random_split(data, lengths: Sequence[int | float],
                 generator: np.random.Generator | int | None = None) -> list:
    """Shuffle data and cut it into parts of the given lengths (counts, or fractions summing to 1)."""
    n = _length(data)
    counts = _counts(lengths, n)
    order = _generator(generator, "random_split").permutation(n)
    bounds = np.cumsum([0] + counts)
    return [_select(data, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def stratified_split(data, fractions: Sequence[float],
                     generator: np.random.Generator | int | None = None) -> list:
    """Split data into parts of the given fractions, each class spread in the same proportions.

    The parts' sizes are the whole's shares n * fraction rounded by largest remainder (ties to the
    earlier part), so that they add up to n, and every class's count in every part is within one
    sample of its exact share."""
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.ndim != 1 or len(fractions) == 0 or (fractions <= 0).any() or not math.isclose(fractions.sum(), 1.0):
        raise ConfigError(f"stratified_split: fractions must be positive and sum to 1, got {fractions.tolist()}")
    classes, class_of = np.unique(_labels(data), return_inverse=True)
    gen = _generator(generator, "stratified_split")
    counts = _class_counts(np.bincount(class_of, minlength=len(classes)), fractions)
    parts = [[np.empty(0, np.int64)] for _ in fractions]
    for c in range(len(classes)):
        members = gen.permutation(np.flatnonzero(class_of == c))
        bounds = np.cumsum([0, *counts[c]])
        for part, a, b in zip(parts, bounds[:-1], bounds[1:]):
            part.append(members[a:b])
    return [_select(data, gen.permutation(np.concatenate(part))) for part in parts]


def class_subset(data, classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The (X, y) of the given classes only, relabelled 0, 1, ... in the order given (e.g. (5, 8) -> 0/1)."""
    arrays = _arrays(data)
    if arrays is not None and len(arrays) == 2:
        x, y = arrays
    elif arrays is None and hasattr(data, "targets"):  # a dataset, or a Subset of one (which has no .data)
        x = np.asarray(data.data) if hasattr(data, "data") else fetch(data, np.arange(len(data)))[0]
        y = np.asarray(data.targets)
    else:
        raise DTypeError("class_subset: expected (X, y) arrays or a dataset with .targets")
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


def _class_counts(class_sizes: np.ndarray, fractions: np.ndarray) -> np.ndarray:
    """counts[c, j], class c's samples in part j: the floor or ceiling of class_sizes[c] * fractions[j],
    each row summing to its class's size and each column to its part's largest-remainder share of the
    whole. The floors leave each class and each part a few samples short; one more sample per cell
    goes first to the cells of largest remainder, then along augmenting paths (a bipartite b-matching
    of classes to parts) until every class and every part has its count."""
    exact = np.outer(class_sizes, fractions)
    counts = np.floor(exact).astype(np.int64)
    can_take = exact > counts
    class_short = class_sizes - counts.sum(axis=1)
    part_short = np.array(_largest_remainder(int(class_sizes.sum()), fractions)) - counts.sum(axis=0)
    extra = np.zeros(counts.shape, dtype=bool)
    for c, j in zip(*np.unravel_index(np.argsort(-(exact - counts), axis=None, kind="stable"), counts.shape)):
        if can_take[c, j] and class_short[c] and part_short[j]:
            extra[c, j] = True
            class_short[c] -= 1
            part_short[j] -= 1
    for c in np.flatnonzero(class_short):
        for _ in range(class_short[c]):
            j = _augment(c, extra, can_take, part_short)
            part_short[j] -= 1
    return counts + extra


def _augment(start: int, extra: np.ndarray, can_take: np.ndarray, part_short: np.ndarray) -> int:
    """Give class `start` one more extra sample along a shortest augmenting path, moving others'
    extras from part to part, and return the part that was short of one."""
    came_from = {("class", start): None}
    queue = [("class", start)]
    for kind, i in queue:  # breadth first: the queue grows while it is read
        if kind == "part" and part_short[i]:
            node = (kind, i)
            while came_from[node] is not None:
                prev = came_from[node]
                cell = (prev[1], node[1]) if node[0] == "part" else (node[1], prev[1])
                extra[cell] = node[0] == "part"   # class -> part takes the cell; part -> class gives it up
                node = prev
            return i
        if kind == "class":
            nxt = [("part", j) for j in np.flatnonzero(can_take[i] & ~extra[i])]
        else:
            nxt = [("class", c) for c in np.flatnonzero(extra[:, i])]
        for node in nxt:
            if node not in came_from:
                came_from[node] = (kind, i)
                queue.append(node)
    # Not reached: rounding the fractional table keeps such a path open (checked on 100,000 random tables).
    raise RuntimeError("stratified_split: found no allocation of classes to parts; please report this")


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


def _generator(generator: np.random.Generator | int | None, owner: str) -> np.random.Generator:
    gen = rng.checked_generator(generator, owner)
    return rng.generator() if gen is None else gen


def _arrays(data) -> tuple[np.ndarray, ...] | None:
    """data as a tuple of arrays when it is one (or a single array), else None (a dataset)."""
    if isinstance(data, (np.ndarray, Tensor)):
        data = (data,)
    if not isinstance(data, tuple):  # a list is a dataset of items, as in torch
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
        labels = arrays[-1]
    elif hasattr(data, "targets"):
        labels = np.asarray(data.targets)
    else:
        raise DTypeError(f"{type(data).__name__} has no .targets: pass (X, y) arrays to split by class")
    if labels.ndim != 1:
        hint = "; for one-hot labels pass y.argmax(1)" if labels.ndim == 2 else ""
        raise ShapeError(f"stratified_split: labels must be 1-D class labels, got shape {labels.shape}{hint}")
    return labels


def _select(data, indices: np.ndarray):
    arrays = _arrays(data)
    if arrays is None:
        return Subset(data, indices)
    picked = tuple(a[indices] for a in arrays)
    return picked[0] if isinstance(data, (np.ndarray, Tensor)) else picked
