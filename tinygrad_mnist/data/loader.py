"""DataLoader: minibatches of Tensors from arrays or a dataset, optionally shuffled by a seeded generator."""
from __future__ import annotations

import math
import warnings
from typing import Iterator, Sequence

import numpy as np

from .. import rng
from ..errors import ConfigError, DTypeError, ShapeError
from ..tensor import Tensor


class TensorDataset:
    """Equal-length arrays indexed together: `ds[i] -> (a[i], b[i], ...)`."""

    def __init__(self, *arrays):
        """Wrap arrays (ndarrays or Tensors) that share their first dimension."""
        if not arrays:
            raise ConfigError("TensorDataset: expected at least one array")
        self.arrays = tuple(a.data if isinstance(a, Tensor) else np.asarray(a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.dtype.kind not in "biuf":
                raise DTypeError(f"TensorDataset: array {i} has dtype {a.dtype}; expected numbers "
                                 f"(bool, integer or floating point)")
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            raise ShapeError(f"TensorDataset: arrays must share their first dimension, got shapes "
                             f"{[a.shape for a in self.arrays]}")

    def __len__(self) -> int:
        return len(self.arrays[0])

    def __getitem__(self, index):
        """(a[index], b[index], ...) as Tensors, as torch's TensorDataset gives them."""
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)

    def _gather(self, indices: np.ndarray) -> tuple[np.ndarray, ...]:
        return tuple(a[indices] for a in self.arrays)


class Subset:
    """The items of dataset at indices, in that order."""

    def __init__(self, dataset, indices: Sequence[int]):
        self.dataset = dataset
        given = np.asarray(indices)
        if given.size and given.dtype.kind not in "iu":
            raise DTypeError(f"Subset: indices must be integers, got dtype {given.dtype}")
        self.indices = given.astype(np.int64)

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index):
        """An item, or for a slice, list or array of positions the dataset's items there, as torch."""
        if isinstance(index, (int, np.integer)):
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[np.asarray(index) if isinstance(index, list) else index]]

    def _gather(self, indices: np.ndarray):
        return fetch(self.dataset, self.indices[indices])

    @property
    def targets(self) -> np.ndarray:
        """The labels of the selected items (when the dataset has .targets)."""
        return np.asarray(self.dataset.targets)[self.indices]


def fetch(dataset, indices: np.ndarray) -> tuple[np.ndarray, ...] | dict:
    """The items at indices as a tuple of stacked arrays (a dict of them for dict items): one
    gather for this library's datasets (their _gather), else the items stacked field by field."""
    if hasattr(dataset, "_gather"):
        batch = dataset._gather(indices)
        return batch if isinstance(batch, dict) else tuple(batch)
    return stack_items(dataset, indices)


def stack_items(dataset, indices: np.ndarray) -> tuple[np.ndarray, ...] | dict:
    """The items dataset[i] at indices, stacked field by field (a dict of batches for dict items)."""
    items = dataset_items(dataset, indices)
    if isinstance(items[0], dict):  # as torch's default collation: a dict of batches
        return {key: _stacked([item[key] for item in items]) for key in items[0]}
    if not isinstance(items[0], (tuple, list)):
        return (_stacked(items),)
    return tuple(_stacked([item[k] for item in items]) for k in range(len(items[0])))


def dataset_items(dataset, indices: np.ndarray) -> list:
    """The items at indices: from one call of the dataset's __getitems__ (torch's: a list of ints
    in, the list of their items out) where it has one, else item by item."""
    positions = [int(i) for i in indices]
    if hasattr(dataset, "__getitems__"):
        return list(dataset.__getitems__(positions))
    return [dataset[i] for i in positions]


def _stacked(values: list) -> np.ndarray:
    """One field of a batch of items, stacked; the items must hold numbers of one shape."""
    try:
        batch = np.stack([np.asarray(v) for v in values])
    except ValueError as err:
        raise ShapeError(f"DataLoader: the dataset's items do not stack into a batch: {err}") from None
    if batch.dtype.kind not in "biuf":
        raise DTypeError(f"DataLoader: the dataset's items hold {batch.dtype} values; expected numbers "
                         "(arrays, Tensors or tuples of them)")
    return batch


class DataLoader:
    """Minibatches over a dataset or a tuple of arrays, as Tensors.

    `DataLoader((X, y), batch_size=64, shuffle=True, generator=0)` yields `(X_batch, y_batch)`: a
    tuple is arrays side by side. A list is a dataset of items, as in torch (`[(x0, y0), (x1, y1),
    ...]`); dict items give dicts of batches. A single array (or a dataset of single arrays) yields
    single Tensors. Arrays keep their dtype, except integer labels (the last of two or more
    arrays), which become int64. Each batch is a copy of its slice of the arrays (one gather when
    shuffled). `generator` is a np.random.Generator or a seed; by default each epoch's permutation
    comes from the global generator, so `tg.manual_seed` makes it reproducible.

    As in torch, `sampler` (indices, e.g. a list) sets the order instead of shuffle, `batch_sampler`
    (lists of indices) sets whole batches, and `collate_fn` turns the list of a batch's items
    (`dataset[i]`, as the dataset returns them) into what is yielded. Batches are made in the main
    process on the CPU: num_workers > 0 and pin_memory=True only warn that they change nothing."""

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False, drop_last: bool = False,
                 generator: np.random.Generator | int | None = None):
        """Batch dataset (a dataset, an array or a tuple of arrays) batch_size items at a time."""
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ConfigError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, (bool, np.bool_)):
                raise DTypeError(f"DataLoader: {name} must be True or False, got {flag!r}")
        generator = rng.checked_generator(generator, "DataLoader")
        _check_torch_options(batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn, pin_memory,
                             drop_last)
        self.single = not isinstance(dataset, tuple)  # yield lone Tensors, not 1-tuples
        if isinstance(dataset, (np.ndarray, Tensor)):
            dataset = TensorDataset(dataset)
        elif isinstance(dataset, tuple):
            dataset = TensorDataset(*dataset)
        elif not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise DTypeError(f"DataLoader: expected a dataset (with __len__ and __getitem__), an array or "
                             f"a tuple of arrays, got {type(dataset).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.sampler, self.batch_sampler, self.collate_fn = sampler, batch_sampler, collate_fn
        self.drop_last = drop_last
        self.generator = generator

    def __len__(self) -> int:
        """The number of batches per epoch."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.dataset if self.sampler is None else self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator:
        arrays = self.dataset.arrays if isinstance(self.dataset, TensorDataset) else None
        in_order = not self.shuffle and self.sampler is None and self.batch_sampler is None
        if arrays is not None and in_order and self.collate_fn is None:
            # slices, copied as torch's batches are: an in-place op on a batch must not change the data
            size = self.batch_size
            for start in range(0, len(self) * size, size):
                yield self._as_batch(tuple(a[start:start + size].copy() for a in arrays))
            return
        for indices in self._index_batches():
            if self.collate_fn is not None:
                yield self.collate_fn(dataset_items(self.dataset, indices))
            else:
                yield self._as_batch(fetch(self.dataset, indices))

    def _index_batches(self) -> Iterator[np.ndarray]:
        """The dataset indices of each batch of one epoch."""
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield np.asarray(list(indices), dtype=np.int64)
            return
        n, size = len(self.dataset), self.batch_size
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64)
        elif self.shuffle:
            order = (self.generator if self.generator is not None else rng.generator()).permutation(n)
        else:
            order = np.arange(n)
        stop = len(order) // size * size if self.drop_last else len(order)
        for start in range(0, stop, size):
            yield order[start:start + size]

    def _as_batch(self, batch: tuple | dict):
        if isinstance(batch, dict):
            return {key: Tensor(value) for key, value in batch.items()}
        return Tensor(batch[0]) if self.single and len(batch) == 1 else _as_tensors(batch)


def _check_torch_options(batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn, pin_memory,
                         drop_last) -> None:
    """torch.utils.data.DataLoader's checks of these options, and the ones this CPU-only loader cannot honour."""
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
        raise ConfigError(f"DataLoader: num_workers must be an integer >= 0, got {num_workers!r}")
    # torch code often asks for these; the batches are the same without them, so they only warn
    if num_workers:
        warnings.warn(f"DataLoader: num_workers={num_workers} has no effect: batches are made in the main "
                      "process (the same batches)", UserWarning, stacklevel=3)
    if pin_memory:
        warnings.warn("DataLoader: pin_memory=True has no effect: there is no accelerator to pin memory for, "
                      "as torch warns on a CPU-only machine", UserWarning, stacklevel=3)
    if collate_fn is not None and not callable(collate_fn):
        raise DTypeError(f"DataLoader: collate_fn must be callable or None, got {collate_fn!r}")
    if sampler is not None and shuffle:
        raise ConfigError("DataLoader: sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
        raise ConfigError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                          "sampler, and drop_last")


def _as_tensors(batch: tuple) -> tuple[Tensor, ...]:
    """The batch's arrays as Tensors, integer labels (the last of two or more arrays) as int64."""
    arrays = [np.asarray(b) for b in batch]
    if len(arrays) > 1 and arrays[-1].dtype.kind in "iu":
        arrays[-1] = arrays[-1].astype(np.int64, copy=False)
    return tuple(Tensor(a) for a in arrays)
