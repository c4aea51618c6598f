"""MNIST, Fashion-MNIST and Kuzushiji-MNIST, shaped like torchvision's datasets.

Files live in `<root>/<ClassName>/` under their standard names, so they can also be placed by hand.
MNIST ships inside the package and needs no network; the others download from their mirrors into
the cache (`root=`, else $TINYGRAD_MNIST_DATA, else ~/.cache/tinygrad_mnist).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..errors import ConfigError, DataError
from .download import default_root, download
from .files import Checksum, read_verified
from .idx import parse_idx
from .loader import stack_items

BUNDLED = Path(__file__).parent / "mnist"


class MNIST:
    """The MNIST digits: `.data` uint8 (N, 28, 28), `.targets` int64 (N,), `ds[i] -> (image, label)`.

    With root=None the copy bundled in the package is used; with a root, `<root>/MNIST/` is looked
    in first and the bundled copy is the fallback. transform and target_transform, as torchvision's,
    are applied to each image and label that `ds[i]` (and so a DataLoader) gives, e.g.
    `transform=transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])`;
    `.data` and `.targets` stay as loaded."""

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]
    mirrors: tuple[str, ...] = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    checksums: dict[str, Checksum] = {
        "train-images-idx3-ubyte.gz": Checksum(
            sha256="ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            md5="f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train-labels-idx1-ubyte.gz": Checksum(
            sha256="65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            md5="d53e105ee54ea40749a09fcbcd1e9432"),
        "t10k-images-idx3-ubyte.gz": Checksum(
            sha256="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            md5="9fb629c4189551a2d022fa330f9573f3"),
        "t10k-labels-idx1-ubyte.gz": Checksum(
            sha256="ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            md5="ec29112dd5afa0611ce80d1b7f02629c"),
    }
    bundled: Path | None = BUNDLED
    image_shape = (28, 28)
    timeout = 30.0  # seconds per download attempt

    def __init__(self, root: str | os.PathLike | None = None, train: bool = True, download: bool = True,
                 mirrors: Sequence[str] | None = None, transform: Callable | None = None,
                 target_transform: Callable | None = None):
        """Load the training (train=True) or test split, downloading it first if needed and allowed."""
        for name, fn in (("transform", transform), ("target_transform", target_transform)):
            if fn is not None and not callable(fn):
                raise ConfigError(f"{type(self).__name__}: {name} must be callable (or None), got {fn!r}")
        self.root = Path(root).expanduser() if root is not None else None
        self.train = train
        self.transform, self.target_transform = transform, target_transform
        if mirrors is not None:
            self.mirrors = tuple(mirrors)
        split = "train" if train else "t10k"
        images_file, labels_file = f"{split}-images-idx3-ubyte.gz", f"{split}-labels-idx1-ubyte.gz"
        self.paths = (self._locate(images_file, download), self._locate(labels_file, download))
        images, labels = (parse_idx(self._read(path), str(path)) for path in self.paths)
        self._check(images, labels)
        self.data = images
        self.targets = labels.astype(np.int64)

    @property
    def folder(self) -> Path:
        """The folder this dataset's files are looked for in and downloaded to."""
        return (self.root if self.root is not None else default_root()) / type(self).__name__

    def _search_dirs(self) -> list[Path]:
        own = [self.folder] if self.root is not None or self.bundled is None else []
        return own + ([self.bundled] if self.bundled is not None else [])

    def _locate(self, filename: str, may_download: bool) -> Path:
        """The path of filename: found in a search folder, else downloaded into self.folder."""
        dirs = self._search_dirs()
        for folder in dirs:
            if (folder / filename).is_file():
                return folder / filename
        urls = [mirror.rstrip("/") + "/" + filename for mirror in self.mirrors]
        if not may_download:
            raise DataError(f"{type(self).__name__}: {filename} not found in "
                            f"{', '.join(str(d) for d in dirs)}; pass download=True to fetch it from "
                            f"{urls[0] if urls else 'a mirror'}, or copy it into {self.folder}{os.sep} by hand")
        dest = self.folder / filename
        download(urls, dest, self.checksums[filename], self.timeout)
        return dest

    def _read(self, path: Path) -> bytes:
        """The verified, decompressed bytes of path, with advice on what to do when they are bad."""
        try:
            return read_verified(path, self.checksums[path.name])
        except DataError as err:
            fix = ("the copy bundled with tinygrad_mnist is damaged: reinstall the package"
                   if path.parent == self.bundled else
                   f"delete {path} (download=True fetches a fresh copy) or replace it with a good one")
            raise DataError(f"{err}\n{fix}") from None

    def _check(self, images: np.ndarray, labels: np.ndarray) -> None:
        """Refuse files whose contents are not this dataset's images and labels."""
        images_path, labels_path = self.paths
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != self.image_shape:
            raise DataError(f"{images_path}: expected uint8 images of shape (N, {self.image_shape[0]}, "
                            f"{self.image_shape[1]}), got {images.dtype} {images.shape}")
        if labels.dtype != np.uint8 or labels.ndim != 1:
            raise DataError(f"{labels_path}: expected uint8 labels of shape (N,), got {labels.dtype} {labels.shape}")
        if len(images) != len(labels):
            raise DataError(f"{type(self).__name__}: {len(images)} images in {images_path.name} but "
                            f"{len(labels)} labels in {labels_path.name}")
        if len(labels) and labels.max() >= len(self.classes):
            raise DataError(f"{labels_path}: label {labels.max()} out of range for {len(self.classes)} classes")

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int):
        """One (image, label) pair: a uint8 (28, 28) array and an int, each through its transform if given."""
        image, label = self.data[index], int(self.targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _gather(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A batch (images, labels) gathered in one go (what DataLoader calls); with transforms,
        item by item, as torch's DataLoader does."""
        if self.transform is None and self.target_transform is None:
            return self.data[indices], self.targets[indices]
        return stack_items(self, indices)

    def __repr__(self) -> str:
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Files: {', '.join(str(p) for p in self.paths)}\n    Split: {'Train' if self.train else 'Test'}")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: ten kinds of clothing, in MNIST's format; downloaded on first use."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
    )
    checksums = {
        "train-images-idx3-ubyte.gz": Checksum(
            sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        "train-labels-idx1-ubyte.gz": Checksum(
            sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        "t10k-images-idx3-ubyte.gz": Checksum(
            sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        "t10k-labels-idx1-ubyte.gz": Checksum(
            sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    }
    bundled = None


class KMNIST(MNIST):
    """Kuzushiji-MNIST: ten cursive Japanese characters, in MNIST's format; downloaded on first use."""

    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
    mirrors = (
        "https://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
    )
    # Only the md5 of the published .gz files is known for KMNIST.
    checksums = {
        "train-images-idx3-ubyte.gz": Checksum(md5="bdb82020997e1d708af4cf47b453dcf7"),
        "train-labels-idx1-ubyte.gz": Checksum(md5="e144d726b3acfaa3e44228e80efcd344"),
        "t10k-images-idx3-ubyte.gz": Checksum(md5="5c965bf0a639b31b8f53240b1b52f4d7"),
        "t10k-labels-idx1-ubyte.gz": Checksum(md5="7320c461ea6c1c855c0b718fb2a4b134"),
    }
    bundled = None
