import re

import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist.data import DataLoader, Subset, TensorDataset
from tinygrad_mnist.errors import ConfigError, DTypeError, ShapeError


def arrays(n=10, features=3):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    y = (np.arange(n) % 4).astype(np.uint8)
    return x, y


def rows(batches):
    """The first column of every batch's X, in order (identifies the samples)."""
    return np.concatenate([xb.numpy()[:, 0] for xb, _ in batches]) / 3


def test_sequential_batches_are_copies_in_order():
    x, y = arrays()
    loader = DataLoader((x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [xb.shape for xb, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(isinstance(t, tg.Tensor) for batch in batches for t in batch)
    xb, yb = batches[0]
    assert xb.dtype == np.float32 and yb.dtype == np.int64
    assert not np.shares_memory(xb.numpy(), x)  # a copy, as torch's: xb /= 10 must not change x
    np.testing.assert_array_equal(rows(batches), np.arange(10))
    np.testing.assert_array_equal(np.concatenate([yb.numpy() for _, yb in batches]), y)


def test_shuffled_epoch_covers_every_sample_once_and_labels_follow():
    x, y = arrays(103)
    loader = DataLoader((x, y), batch_size=10, shuffle=True, generator=0)
    batches = list(loader)
    order = rows(batches).astype(int)
    assert sorted(order) == list(range(103)) and order.tolist() != list(range(103))
    np.testing.assert_array_equal(np.concatenate([yb.numpy() for _, yb in batches]), y[order])
    assert not np.shares_memory(batches[0][0].numpy(), x)


def test_drop_last_and_len():
    x, y = arrays(10)
    for batch_size, drop_last, expected in [(4, False, 3), (4, True, 2), (5, True, 2), (10, True, 1),
                                            (11, True, 0), (11, False, 1), (1, False, 10)]:
        loader = DataLoader((x, y), batch_size=batch_size, drop_last=drop_last, shuffle=True, generator=1)
        batches = list(loader)
        assert len(loader) == len(batches) == expected
        if drop_last:
            assert all(len(xb) == batch_size for xb, _ in batches)
    assert len(DataLoader((x[:0], y[:0]), batch_size=4)) == 0 and list(DataLoader((x[:0], y[:0]))) == []


def test_seeded_generator_reproduces_and_each_epoch_differs():
    x, y = arrays(50)
    a = DataLoader((x, y), batch_size=7, shuffle=True, generator=42)
    b = DataLoader((x, y), batch_size=7, shuffle=True, generator=np.random.default_rng(42))
    first_a, first_b = rows(a), rows(b)
    np.testing.assert_array_equal(first_a, first_b)
    assert rows(a).tolist() != first_a.tolist()  # a new permutation every epoch


def test_default_shuffle_follows_manual_seed():
    x, y = arrays(50)
    loader = DataLoader((x, y), batch_size=8, shuffle=True)
    tg.manual_seed(3)
    first = rows(loader)
    tg.manual_seed(3)
    np.testing.assert_array_equal(rows(loader), first)
    tg.manual_seed(4)
    assert rows(loader).tolist() != first.tolist()


def test_single_array_yields_tensors_and_dtypes_are_kept():
    x = np.arange(12, dtype=np.float64).reshape(6, 2)
    batches = list(DataLoader(x, batch_size=4))
    assert isinstance(batches[0], tg.Tensor) and batches[0].dtype == np.float64 and batches[1].shape == (2, 2)
    # float targets (e.g. for BCE) keep their dtype; only integer labels become int64
    xb, yb = next(iter(DataLoader((x.astype(np.float32), np.ones(6, np.float32)), batch_size=6)))
    assert xb.dtype == np.float32 and yb.dtype == np.float32
    # tensors are accepted in place of arrays
    xb, yb = next(iter(DataLoader((tg.tensor(x), tg.tensor(np.arange(6))), batch_size=3)))
    assert xb.shape == (3, 2) and yb.tolist() == [0, 1, 2]


class ListDataset:
    """A dataset with only __len__ and __getitem__ (no batch access)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.full((2, 2), i, dtype=np.float32), i % 3


def test_generic_dataset_items_are_stacked():
    loader = DataLoader(ListDataset(7), batch_size=3, shuffle=True, generator=0)
    batches = list(loader)
    assert [xb.shape for xb, _ in batches] == [(3, 2, 2), (3, 2, 2), (1, 2, 2)]
    seen = np.concatenate([xb.numpy()[:, 0, 0] for xb, _ in batches]).astype(int)
    assert sorted(seen) == list(range(7))
    labels = np.concatenate([yb.numpy() for _, yb in batches])
    assert labels.dtype == np.int64 and labels.tolist() == [i % 3 for i in seen]
    sequential = list(DataLoader(ListDataset(4), batch_size=4))
    assert sequential[0][1].tolist() == [0, 1, 2, 0]


class ImagesOnly(ListDataset):
    def __getitem__(self, i):
        return super().__getitem__(i)[0]


def test_dataset_of_single_arrays_yields_single_tensors():
    batches = list(DataLoader(ImagesOnly(5), batch_size=2))
    assert all(isinstance(b, tg.Tensor) for b in batches)
    assert [b.shape for b in batches] == [(2, 2, 2), (2, 2, 2), (1, 2, 2)] and batches[2].numpy()[0, 0, 0] == 4


def test_subset_of_tensor_dataset_gathers_through():
    x, y = arrays(10)
    subset = Subset(TensorDataset(x, y), [9, 2, 5])
    assert len(subset) == 3 and subset[0][1] == y[9]
    xb, yb = next(iter(DataLoader(subset, batch_size=3)))
    np.testing.assert_array_equal(xb.numpy(), x[[9, 2, 5]])
    assert yb.dtype == np.int64 and yb.tolist() == y[[9, 2, 5]].tolist()


def test_loader_over_mnist_dataset_uses_batch_access():
    from tinygrad_mnist.data import MNIST
    test = MNIST(train=False)
    xb, yb = next(iter(DataLoader(test, batch_size=32)))
    assert xb.shape == (32, 28, 28) and xb.dtype == np.uint8 and yb.dtype == np.int64
    np.testing.assert_array_equal(yb.numpy(), test.targets[:32])


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "8"])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(arrays(), batch_size=batch_size)


def test_mismatched_lengths_and_wrong_types():
    x, y = arrays(10)
    with pytest.raises(ShapeError, match=r"share their first dimension, got shapes \[\(10, 3\), \(9,\)\]"):
        DataLoader((x, y[:9]))
    with pytest.raises(TypeError, match="expected a dataset"):
        DataLoader(42)


def test_a_list_is_a_dataset_of_samples_as_in_torch():
    import torch.utils.data as tud
    samples = [(np.float32(i), i % 2) for i in range(5)]
    vectors = [[np.full(3, i, np.float32), i] for i in range(5)]  # items may be lists too
    for items in (samples, vectors):
        ours = [[b.numpy() for b in batch] for batch in DataLoader(items, batch_size=2)]
        theirs = [[b.numpy() for b in batch] for batch in tud.DataLoader(items, batch_size=2)]
        assert len(ours) == len(theirs) == 3
        for a, b in zip(ours, theirs):
            for x, y in zip(a, b):
                np.testing.assert_array_equal(x, y)


def test_items_that_are_not_numbers_or_do_not_stack_are_named():
    with pytest.raises(DTypeError, match="items hold object values"):
        next(iter(DataLoader([(None, 1), (None, 2)], batch_size=2)))
    with pytest.raises(ShapeError, match="do not stack into a batch"):
        next(iter(DataLoader([(np.zeros(2), 0), (np.zeros(3), 1)], batch_size=2)))


def test_a_negative_seed_and_fractional_subset_indices_are_refused():
    with pytest.raises(DTypeError, match="generator must be .* seed >= 0"):
        DataLoader((np.zeros(4),), shuffle=True, generator=-1)
    with pytest.raises(DTypeError, match="Subset: indices must be integers"):
        Subset(TensorDataset(np.zeros(4)), [0.9, 1.9])


class ItemsDataset:
    """A dataset with torch's __getitems__: the list of the items at a list of indices."""
    def __init__(self, n=5):
        self.n, self.asked = n, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i], dtype=np.float32), 10 * i

    def __getitems__(self, indices):
        self.asked.append(indices)
        return [self[i] for i in indices]


@pytest.mark.parametrize("collate", [False, True])
def test_a_datasets_getitems_gives_items_which_are_collated_as_torch(collate):
    import torch
    ours, theirs = ItemsDataset(), ItemsDataset()
    collate_fn = (lambda items: [list(pair) for pair in items]) if collate else None
    got = list(DataLoader(ours, batch_size=2, collate_fn=collate_fn))
    expected = list(torch.utils.data.DataLoader(theirs, batch_size=2, collate_fn=collate_fn))
    assert ours.asked == theirs.asked == [[0, 1], [2, 3], [4]]  # one call per batch, with a list of ints
    if collate:
        assert repr(got) == repr(expected)
        return
    assert len(got) == len(expected) == 3
    for (xb, yb), (tx, ty) in zip(got, expected):
        np.testing.assert_array_equal(xb.numpy(), tx.numpy())
        np.testing.assert_array_equal(yb.numpy(), ty.numpy())


# ---- torch's keyword arguments -------------------------------------------------------------------

def torch_pair(n=10):
    """The same data for ours and torch's DataLoader: features 0..n-1 in column 0, labels 0..n-1."""
    import torch
    x, y = np.arange(n * 3, dtype=np.float32).reshape(n, 3) / 3, np.arange(n)
    return (x, y), torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))


def labels(batches):
    return [[int(v) for v in yb.numpy()] for _, yb in batches]


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=4, num_workers=0, pin_memory=False),
    dict(batch_size=4, collate_fn=None, sampler=None, batch_sampler=None),
    dict(batch_size=3, sampler=[7, 2, 9, 0, 4]),
    dict(batch_size=2, sampler=[7, 2, 9, 0, 4], drop_last=True),
    dict(batch_sampler=[[3, 1], [2], [9, 0, 4]]),
])
def test_torch_keyword_arguments_give_torchs_batches(kwargs):
    import torch
    ours, theirs = torch_pair()
    loader, reference = DataLoader(dataset=ours, **kwargs), torch.utils.data.DataLoader(dataset=theirs, **kwargs)
    assert len(loader) == len(reference)
    assert labels(loader) == [yb.tolist() for _, yb in reference]


def test_collate_fn_gets_the_batchs_items_as_in_torch():
    import torch
    ours, theirs = torch_pair()
    seen = []

    def collate(items):
        seen.append(items)
        return [int(y) for _, y in items]
    assert list(DataLoader(ours, batch_size=4, collate_fn=collate)) == \
        list(torch.utils.data.DataLoader(theirs, batch_size=4, collate_fn=lambda items: [int(y) for _, y in items]))
    assert [len(items) for items in seen] == [4, 4, 2] and all(len(item) == 2 for item in seen[0])
    np.testing.assert_array_equal(seen[1][0][0], ours[0][4])  # the dataset's item, as it returns it
    tg.manual_seed(0)
    shuffled = [y for batch in DataLoader(ours, batch_size=3, shuffle=True, collate_fn=collate) for y in batch]
    assert sorted(shuffled) == list(range(10))


@pytest.mark.parametrize("kwargs", [dict(sampler=[1, 2], shuffle=True), dict(batch_sampler=[[1, 2]], batch_size=2),
                                    dict(batch_sampler=[[1, 2]], drop_last=True),
                                    dict(batch_sampler=[[1, 2]], sampler=[1, 2])])
def test_options_that_exclude_each_other_are_refused_as_torch_does(kwargs):
    import torch
    ours, theirs = torch_pair()
    with pytest.raises(ValueError, match="mutually exclusive") as torch_error:
        torch.utils.data.DataLoader(theirs, **kwargs)
    with pytest.raises(ValueError) as error:
        DataLoader(ours, **kwargs)
    assert str(error.value) == f"DataLoader: {torch_error.value}"


@pytest.mark.parametrize("kwargs, message", [
    (dict(num_workers=2), "num_workers=2 has no effect: batches are made in the main process"),
    (dict(pin_memory=True), "pin_memory=True has no effect"),
])
def test_worker_processes_and_pinned_memory_only_warn_and_give_the_same_batches(kwargs, message):
    with pytest.warns(UserWarning, match=re.escape(message)):
        loader = DataLoader(arrays(), batch_size=4, **kwargs)
    for (x, y), (x0, y0) in zip(loader, DataLoader(arrays(), batch_size=4)):
        np.testing.assert_array_equal(x.numpy(), x0.numpy())
        np.testing.assert_array_equal(y.numpy(), y0.numpy())


@pytest.mark.parametrize("workers", [-1, 1.5, True])
def test_num_workers_must_be_a_count(workers):
    with pytest.raises(ConfigError, match="num_workers must be an integer >= 0"):
        DataLoader(arrays(), num_workers=workers)


def test_collate_fn_must_be_callable():
    with pytest.raises(DTypeError, match="collate_fn must be callable or None, got 3"):
        DataLoader(arrays(), collate_fn=3)


def test_an_in_place_op_on_a_batch_leaves_the_dataset_as_in_torch():
    x, y = arrays()
    before = x.copy()
    for _ in range(2):
        for xb, _ in DataLoader((x, y), batch_size=4):
            xb /= 10
    np.testing.assert_array_equal(x, before)


def test_a_tensor_datasets_items_are_tensors_as_in_torch():
    x, y = arrays()
    item = TensorDataset(x, y)[3]
    assert all(isinstance(t, tg.Tensor) for t in item)
    np.testing.assert_array_equal(item[0].numpy(), x[3])
    assert item[1].shape == () and item[1].item() == y[3]
    batch = DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=lambda items: tg.stack([i[0] for i in items]))
    np.testing.assert_array_equal(next(iter(batch)).numpy(), x[:4])


def test_dict_items_are_batched_per_key_as_in_torch():
    torch = pytest.importorskip("torch", reason="torch is the oracle here")
    items = [{"x": np.full(2, i, np.float32), "y": i} for i in range(5)]
    ours = list(DataLoader(items, batch_size=2))
    theirs = list(torch.utils.data.DataLoader(items, batch_size=2))
    assert len(ours) == len(theirs) == 3
    for o, t in zip(ours, theirs):
        assert set(o) == set(t) == {"x", "y"}
        for key in o:
            np.testing.assert_array_equal(o[key].numpy(), t[key].numpy())
