"""The bundled MNIST: shapes, class counts, checksums, and where files are looked for."""
import gzip
import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mnist.data import MNIST, default_root, read_idx, write_idx
from tinygrad_mnist.data.datasets import BUNDLED
from tinygrad_mnist.errors import DataError

# From ../shared/data/mnist/README.md: sha256 of the decompressed files.
README_SHA256 = {
    "train-images-idx3-ubyte.gz": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte.gz": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte.gz": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte.gz": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def train():
    return MNIST(train=True)


@pytest.fixture(scope="module")
def test():
    return MNIST(train=False)


def test_bundled_train_has_documented_shapes_and_class_counts(train):
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == np.uint8
    assert train.targets.shape == (60000,) and train.targets.dtype == np.int64
    assert len(train) == 60000
    assert np.bincount(train.targets).tolist() == TRAIN_COUNTS
    assert train.data.min() == 0 and train.data.max() == 255
    assert all(p.parent == BUNDLED for p in train.paths)


def test_bundled_test_split(test):
    assert test.data.shape == (10000, 28, 28)
    assert np.bincount(test.targets).tolist() == TEST_COUNTS
    assert "t10k-images-idx3-ubyte.gz" in repr(test) and "Split: Test" in repr(test)


def test_item_and_batch_access(train):
    image, label = train[0]
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert isinstance(label, int) and label == 5  # the famous first training digit
    images, labels = train._gather(np.array([0, 1, 59999]))
    assert images.shape == (3, 28, 28) and labels.tolist() == [5, 0, 8]
    assert train.classes[5] == "5 - five" and len(train.classes) == 10


def test_bundled_files_match_the_published_checksums():
    for name, sha in README_SHA256.items():
        assert MNIST.checksums[name].sha256 == sha
        assert hashlib.sha256(gzip.decompress((BUNDLED / name).read_bytes())).hexdigest() == sha


def test_cache_root_is_the_environment_variable_else_home_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_MNIST_DATA", str(tmp_path))
    assert default_root() == tmp_path
    monkeypatch.delenv("TINYGRAD_MNIST_DATA")
    assert default_root() == Path.home() / ".cache" / "tinygrad_mnist"


def test_root_none_uses_the_bundled_copy_even_with_a_cache_set(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYGRAD_MNIST_DATA", str(tmp_path))
    ds = MNIST(train=False, download=False)
    assert all(p.parent == BUNDLED for p in ds.paths)
    assert list(tmp_path.iterdir()) == []


def test_root_is_searched_first_then_bundled(tmp_path):
    # Files placed by hand in <root>/MNIST/ are used; missing ones fall back to the bundled copy.
    (tmp_path / "MNIST").mkdir()
    shutil.copy(BUNDLED / "t10k-labels-idx1-ubyte.gz", tmp_path / "MNIST")
    ds = MNIST(root=tmp_path, train=False, download=False)
    assert ds.paths == (BUNDLED / "t10k-images-idx3-ubyte.gz", tmp_path / "MNIST" / "t10k-labels-idx1-ubyte.gz")
    assert np.bincount(ds.targets).tolist() == TEST_COUNTS


def test_recompressed_mnist_file_is_accepted(tmp_path):
    # The checksum is over the decompressed bytes, so a mirror's recompression is fine.
    (tmp_path / "MNIST").mkdir()
    raw = gzip.decompress((BUNDLED / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (tmp_path / "MNIST" / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    ds = MNIST(root=tmp_path, train=False)
    assert ds.paths[1].parent == tmp_path / "MNIST"


def test_tampered_file_in_root_raises_with_both_digests(tmp_path):
    labels = read_idx(BUNDLED / "t10k-labels-idx1-ubyte.gz")
    labels[0] = (labels[0] + 1) % 10
    target = tmp_path / "MNIST" / "t10k-labels-idx1-ubyte.gz"
    write_idx(target, labels)
    with pytest.raises(DataError) as info:
        MNIST(root=tmp_path, train=False)
    message = str(info.value)
    actual = hashlib.sha256(gzip.decompress(target.read_bytes())).hexdigest()
    assert str(target) in message and "checksum mismatch" in message
    assert README_SHA256["t10k-labels-idx1-ubyte.gz"] in message and actual in message
    assert f"delete {target}" in message
    assert target.exists()  # a file the user placed is never deleted behind their back


def test_damaged_bundled_copy_says_to_reinstall(tmp_path, monkeypatch):
    fake = tmp_path / "bundled"
    fake.mkdir()
    shutil.copy(BUNDLED / "t10k-images-idx3-ubyte.gz", fake)
    write_idx(fake / "t10k-labels-idx1-ubyte.gz", np.zeros(10000, np.uint8))
    monkeypatch.setattr(MNIST, "bundled", fake)
    with pytest.raises(DataError, match="bundled with tinygrad_mnist is damaged: reinstall"):
        MNIST(train=False)
