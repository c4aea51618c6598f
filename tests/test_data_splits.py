import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_mnist as tg
from tinygrad_mnist.data import MNIST, Subset, class_subset, random_split, stratified_split


@pytest.fixture(scope="module")
def mnist_train():
    return MNIST(train=True)


def make(n=100, classes=4):
    x = np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32)
    y = (np.arange(n) * 7 % classes).astype(np.int64)
    return x, y


def test_random_split_counts_partition_the_data():
    x, y = make(100)
    parts = random_split((x, y), [70, 20, 10], generator=0)
    assert [len(px) for px, _ in parts] == [70, 20, 10]
    ids = np.concatenate([px[:, 0] for px, _ in parts]).astype(int)
    assert sorted(ids) == list(range(100))
    for px, py in parts:  # rows and labels stay paired
        np.testing.assert_array_equal(py, y[px[:, 0].astype(int)])


def test_random_split_fractions_hand_out_the_remainder_like_torch():
    x, y = make(11)
    parts = random_split((x, y), [0.5, 0.3, 0.2], generator=0)
    assert [len(px) for px, _ in parts] == [6, 3, 2]  # floors 5, 3, 2; the one left over goes to the first
    parts = random_split((x, y), [0.25, 0.25, 0.5], generator=0)
    assert [len(px) for px, _ in parts] == [3, 3, 5]  # floors 2, 2, 5; two left over, one each in turn


def test_random_split_matches_torch_sizes():
    torch = pytest.importorskip("torch")
    for n, fractions in [(11, [0.5, 0.3, 0.2]), (103, [0.8, 0.1, 0.1]), (7, [0.33, 0.33, 0.34])]:
        expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
        assert [len(p) for p in random_split(np.arange(n), fractions, generator=0)] == expected


def test_random_split_is_seeded_and_follows_manual_seed():
    x, y = make(50)
    a = random_split((x, y), [0.5, 0.5], generator=1)[0][0]
    b = random_split((x, y), [0.5, 0.5], generator=1)[0][0]
    np.testing.assert_array_equal(a, b)
    tg.manual_seed(5)
    c = random_split(x, [25, 25])[0]
    tg.manual_seed(5)
    np.testing.assert_array_equal(random_split(x, [25, 25])[0], c)


def test_random_split_of_a_dataset_gives_subsets(mnist_train):
    parts = random_split(mnist_train, [0.9, 0.1], generator=0)
    assert all(isinstance(p, Subset) for p in parts) and [len(p) for p in parts] == [54000, 6000]
    image, label = parts[1][0]
    i = parts[1].indices[0]
    np.testing.assert_array_equal(image, mnist_train.data[i])
    assert label == mnist_train.targets[i] and parts[1].targets[0] == label


@pytest.mark.parametrize("lengths", [[50, 40], [0.5, 0.6], [-10, 110], [50.5, 49.5]])
def test_random_split_rejects_bad_lengths(lengths):
    with pytest.raises(ValueError, match="lengths must be counts summing to 100 or fractions summing to 1"):
        random_split(make(100), lengths)


def assert_within_one_sample(labels, parts, fractions):
    for c in np.unique(labels):
        n_c = (labels == c).sum()
        for part, fraction in zip(parts, fractions):
            assert abs((part == c).sum() - n_c * fraction) < 1


def test_stratified_split_of_mnist_keeps_every_class_share_within_one_sample(mnist_train):
    fractions = [0.8, 0.1, 0.1]
    x, y = mnist_train.data, mnist_train.targets
    parts = stratified_split((x, y), fractions, generator=0)
    assert_within_one_sample(y, [py for _, py in parts], fractions)
    assert sum(len(py) for _, py in parts) == 60000
    for px, py in parts[1:]:  # images and labels stay paired
        first = np.flatnonzero((x == px[0]).all(axis=(1, 2)))
        assert y[first[0]] == py[0]
    assert not (np.diff(parts[0][1][:100]) >= 0).all()  # parts are shuffled, not grouped by class


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=200),
       st.lists(st.integers(1, 20), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_stratified_split_within_one_sample_for_any_labels(labels, weights, seed):
    labels = np.array(labels)
    fractions = np.array(weights) / sum(weights)
    parts = stratified_split(labels, fractions, generator=seed)
    assert_within_one_sample(labels, parts, fractions)
    assert sorted(np.concatenate(parts).tolist()) == sorted(labels.tolist())
    assert_part_sizes_are_the_wholes_shares(len(labels), parts, fractions)


def assert_part_sizes_are_the_wholes_shares(n, parts, fractions):
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n and all(abs(size - n * f) < 1 for size, f in zip(sizes, fractions))


@pytest.mark.parametrize("labels, fractions, sizes", [
    (np.arange(20) % 10, [0.9, 0.1], [18, 2]),     # each class alone would round 1.8/0.2 to 2/0
    (np.arange(4), [0.5, 0.5], [2, 2]),
    (np.arange(1000) % 10, [0.9, 0.1], [900, 100]),
    (np.array([0, 0, 1, 1, 1]), [0.25, 0.25, 0.5], [1, 1, 3]),  # needs an augmenting path
])
def test_stratified_split_part_sizes_are_exact(labels, fractions, sizes):
    parts = stratified_split(labels, fractions, generator=0)
    assert [len(p) for p in parts] == sizes
    assert_within_one_sample(labels, parts, fractions)


def test_stratified_split_of_mnist_gives_the_exact_validation_size(mnist_train):
    train, val = stratified_split((mnist_train.data, mnist_train.targets), (0.9, 0.1), generator=0)
    assert (len(train[1]), len(val[1])) == (54000, 6000)


def test_stratified_split_is_seeded_and_indices_are_disjoint():
    x, y = make(200, classes=3)
    a = stratified_split((x, y), (0.6, 0.4), generator=7)
    b = stratified_split((x, y), (0.6, 0.4), generator=7)
    np.testing.assert_array_equal(a[0][0], b[0][0])
    ids = [set(px[:, 0].astype(int)) for px, _ in a]
    assert not ids[0] & ids[1] and len(ids[0] | ids[1]) == 200


def test_stratified_split_of_a_dataset_gives_subsets(mnist_train):
    train, val = stratified_split(mnist_train, (0.9, 0.1), generator=0)
    assert isinstance(val, Subset) and len(train) + len(val) == 60000
    assert_within_one_sample(mnist_train.targets, [train.targets, val.targets], (0.9, 0.1))


@pytest.mark.parametrize("fractions", [[0.5, 0.6], [1.2, -0.2], [], [0.0, 1.0]])
def test_stratified_split_rejects_bad_fractions(fractions):
    with pytest.raises(ValueError, match="fractions must be positive and sum to 1"):
        stratified_split(make(10), fractions)


def test_class_subset_five_vs_eight(mnist_train):
    x, y = class_subset(mnist_train, (5, 8))
    assert len(y) == 5421 + 5851 and x.shape == (len(y), 28, 28)
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [5421, 5851]
    keep = np.isin(mnist_train.targets, (5, 8))
    np.testing.assert_array_equal(x, mnist_train.data[keep])
    np.testing.assert_array_equal(y, (mnist_train.targets[keep] == 8).astype(np.int64))
    # the order given decides the new labels; arrays work as well as datasets
    _, y2 = class_subset((mnist_train.data, mnist_train.targets), (8, 5))
    np.testing.assert_array_equal(y2, 1 - y)


def test_class_subset_rejects_bad_classes():
    x, y = make(20, classes=4)
    with pytest.raises(ValueError, match=r"classes \[7\] do not occur in the labels \(present: \[0, 1, 2, 3\]\)"):
        class_subset((x, y), (1, 7))
    with pytest.raises(ValueError, match="distinct and non-empty"):
        class_subset((x, y), (1, 1))
    with pytest.raises(TypeError, match=r"expected \(X, y\) arrays"):
        class_subset(x, (1, 2))


def test_a_list_of_samples_splits_into_subsets_of_samples_as_in_torch():
    torch = pytest.importorskip("torch", reason="torch is the oracle here")
    samples = [np.full(4, i) for i in range(4)]
    parts = random_split(samples, [0.5, 0.5], generator=0)
    assert all(isinstance(p, Subset) for p in parts) and [len(p) for p in parts] == [2, 2]
    assert sorted(int(p[i][0]) for p in parts for i in range(2)) == [0, 1, 2, 3]
    assert [len(p) for p in random_split(list(range(10)), [5, 5])] == \
        [len(p) for p in torch.utils.data.random_split(list(range(10)), [5, 5])]


def test_split_arguments_that_cannot_work_are_named():
    x, y = np.zeros((6, 2)), np.eye(3)[[0, 1, 2, 0, 1, 2]]
    with pytest.raises(tg.errors.ShapeError, match="labels must be 1-D class labels.*argmax"):
        stratified_split((x, y), [0.5, 0.5])
    for generator in ("0", -1, True, object()):
        with pytest.raises(tg.errors.DTypeError, match="generator must be a np.random.Generator"):
            random_split((x,), [3, 3], generator=generator)


def test_a_subset_takes_slices_and_lists_as_in_torch():
    ds = tg.data.TensorDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    sub = Subset(ds, [4, 2, 0])
    for index in (slice(0, 2), [0, 2], np.array([1, 2])):
        x, y = sub[index]
        np.testing.assert_array_equal(y.numpy(), np.array([4, 2, 0])[index])


def test_class_subset_takes_a_subset_of_a_dataset():
    mnist = MNIST(train=False)
    part = Subset(mnist, np.arange(200))
    x, y = class_subset(part, [5, 8])
    expected_x, expected_y = class_subset((np.asarray(mnist.data)[:200], np.asarray(mnist.targets)[:200]), [5, 8])
    np.testing.assert_array_equal(x, expected_x)
    np.testing.assert_array_equal(y, expected_y)
