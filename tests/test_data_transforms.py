import numpy as np
import pytest

from tinygrad_mnist.data import MNIST, Standardizer, flatten, scale
from tinygrad_mnist.errors import DTypeError, ShapeError


@pytest.fixture(scope="module")
def mnist_test():
    return MNIST(train=False)


def test_scale_to_unit_interval_is_division_by_255(mnist_test):
    out = scale(mnist_test.data)
    assert out.dtype == np.float32 and out.shape == mnist_test.data.shape
    np.testing.assert_array_equal(out, mnist_test.data.astype(np.float32) / np.float32(255))
    assert out.min() == 0.0 and out.max() == 1.0
    assert mnist_test.data.dtype == np.uint8  # the input is untouched


def test_scale_to_minus_one_one_is_seed_000s_formula(mnist_test):
    out = scale(mnist_test.data, to=(-1, 1))
    seed_000 = (mnist_test.data / 255.0 - 0.5) * 2  # X_norm = (X / 255 - 0.5) * 2, in float64
    assert out.dtype == np.float32 and out.min() == -1.0 and out.max() == 1.0
    np.testing.assert_allclose(out, seed_000, rtol=0, atol=1e-6)


def test_scale_rejects_bad_input():
    with pytest.raises(ValueError, match=r"low < high, got \(1, 0\)"):
        scale(np.zeros(3, np.uint8), to=(1, 0))
    with pytest.raises(DTypeError, match="numeric image array, got dtype <U1"):
        scale(np.array(["a"]))


def test_flatten_gives_784_columns_as_a_view(mnist_test):
    flat = flatten(mnist_test.data)
    assert flat.shape == (10000, 784) and np.shares_memory(flat, mnist_test.data)
    np.testing.assert_array_equal(flat[3].reshape(28, 28), mnist_test.data[3])
    with pytest.raises(ShapeError, match=r"expected a batch of images \(N, \.\.\.\), got shape \(5,\)"):
        flatten(np.zeros(5))


def test_standardizer_matches_sklearn_fitted_on_train_applied_to_test(mnist_test):
    StandardScaler = pytest.importorskip("sklearn.preprocessing").StandardScaler
    x = flatten(scale(mnist_test.data))
    train, other = x[:6000], x[6000:]
    ours = Standardizer().fit(train)
    theirs = StandardScaler().fit(train.astype(np.float64))
    np.testing.assert_allclose(ours.transform(other), theirs.transform(other.astype(np.float64)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.fit_transform(train), theirs.transform(train.astype(np.float64)), atol=1e-4)
    assert ours.transform(other).dtype == np.float32
    # features constant in training (the border pixels) are only centred, never divided by zero
    constant = train.std(axis=0) == 0
    assert constant.sum() > 10 and (ours.std[constant] == 1).all()
    assert np.isfinite(ours.transform(other)).all()


def test_standardizer_uses_training_statistics_only():
    train = np.array([[0.0, 10.0], [2.0, 30.0]], np.float32)
    s = Standardizer().fit(train)
    np.testing.assert_allclose(s.transform(np.array([[1.0, 20.0], [3.0, 40.0]])), [[0, 0], [2, 2]])
    whole = Standardizer(per_feature=False).fit(train)
    assert whole.mean.shape == () and whole.mean == 10.5
    np.testing.assert_allclose(whole.transform(train).mean(), 0, atol=1e-6)
    np.testing.assert_allclose(whole.transform(train).std(), 1, atol=1e-6)


def test_standardizer_rounding_noise_counts_as_constant():
    train = np.full((1000, 1), 0.1, np.float32)
    out = Standardizer().fit_transform(train)
    assert np.abs(out).max() < 1e-6


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match=r"not fitted yet; call fit\(train\) first"):
        Standardizer().transform(np.zeros((2, 3)))
    s = Standardizer().fit(np.zeros((4, 784)))
    with pytest.raises(ShapeError, match=r"fitted on samples of shape \(784,\), got samples of shape \(28, 28\)"):
        s.transform(np.zeros((4, 28, 28)))
    with pytest.raises(ShapeError, match="non-empty"):
        Standardizer().fit(np.zeros((0, 3)))


def test_flatten_of_an_empty_batch():
    assert flatten(np.zeros((0, 28, 28), np.uint8)).shape == (0, 784)
