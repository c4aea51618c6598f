import numpy as np
import pytest

import tinygrad_mnist as tg
from tinygrad_mnist.data import MNIST, DataLoader, Standardizer, flatten, scale
from tinygrad_mnist.data import transforms as T
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


# ---- torchvision's per-item transforms (torchvision's formulas, written with torch) -------------

def test_to_tensor_of_uint8_images_is_torchvisions_channels_first_division_by_255():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for image in (rng.integers(0, 256, (28, 28), dtype=np.uint8), rng.integers(0, 256, (4, 5, 3), dtype=np.uint8)):
        ours = T.ToTensor()(image)
        hwc = torch.from_numpy(image if image.ndim == 3 else image[:, :, None])
        theirs = hwc.permute(2, 0, 1).contiguous().to(torch.float32).div(255)
        assert isinstance(ours, tg.Tensor) and ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    floats = rng.random((3, 4))  # other dtypes keep their values and dtype, as torchvision's
    assert T.ToTensor()(floats).dtype == np.float64
    np.testing.assert_array_equal(T.ToTensor()(floats).numpy()[0], floats)


@pytest.mark.parametrize("mean, std", [((0.1307,), (0.3081,)), ((0.5, 0.2, 0.1), (0.25, 0.5, 2.0)), (0.5, 0.25)])
@pytest.mark.parametrize("inplace", [False, True])
def test_normalize_is_torchvisions_per_channel_formula(mean, std, inplace):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).random((3, 4, 5)).astype(np.float32)
    t = tg.tensor(x)
    ours = T.Normalize(mean, std, inplace=inplace)(t)
    theirs = (torch.tensor(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert (ours is t) == inplace
    assert ours.dtype == np.float32


def test_compose_and_lambda_apply_in_order_and_print_as_torchvisions():
    pipeline = T.Compose([T.ToTensor(), T.Lambda(lambda t: t * 2), T.Normalize((0.5,), (0.5,))])
    out = pipeline(np.full((2, 2), 255, np.uint8))
    np.testing.assert_array_equal(out.numpy(), np.full((1, 2, 2), 3.0, np.float32))  # (255/255 * 2 - 0.5) / 0.5
    assert repr(pipeline) == "Compose(\n    ToTensor()\n    Lambda()\n    Normalize(mean=(0.5,), std=(0.5,))\n)"


def test_transforms_refuse_what_they_cannot_take():
    with pytest.raises(ShapeError, match=r"ToTensor: expected an image of shape \(H, W\) or \(H, W, C\), got shape \(5,\)"):
        T.ToTensor()(np.zeros(5, np.uint8))
    with pytest.raises(ValueError, match="Normalize: std must not be 0"):
        T.Normalize((0.5, 0.5), (1.0, 0.0))
    with pytest.raises(DTypeError, match="Normalize: expected a float Tensor"):
        T.Normalize(0.5, 0.5)(tg.zeros(1, 2, 2, dtype=tg.uint8))
    with pytest.raises(ShapeError, match=r"Normalize: expected a Tensor of shape \(C, H, W\)"):
        T.Normalize(0.5, 0.5)(tg.zeros(2, 2))
    with pytest.raises(ValueError, match="Lambda: expected a callable"):
        T.Lambda(3)
    with pytest.raises(ValueError, match="MNIST: transform must be callable"):
        MNIST(train=False, transform="to_tensor")


def test_a_dataset_transform_reaches_its_items_and_the_loaders_batches(mnist_test):
    pipeline = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    ds = MNIST(train=False, transform=pipeline, target_transform=lambda y: y + 10)
    image, label = ds[3]
    assert image.shape == (1, 28, 28) and label == int(mnist_test.targets[3]) + 10
    expected = (mnist_test.data[:8].astype(np.float32) / np.float32(255) - np.float32(0.1307)) / np.float32(0.3081)
    xb, yb = next(iter(DataLoader(ds, batch_size=8)))
    assert xb.shape == (8, 1, 28, 28) and xb.dtype == np.float32 and yb.dtype == np.int64
    np.testing.assert_allclose(xb.numpy()[:, 0], expected, rtol=1e-6)
    np.testing.assert_array_equal(yb.numpy(), mnist_test.targets[:8] + 10)
    assert ds.data.dtype == np.uint8  # the raw arrays stay as loaded

