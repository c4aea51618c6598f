"""The files every child process trains from: the same images, initial weights and batch order.

The parent writes them once into a temporary folder; each child loads them with NumPy only, so a
child measures its own implementation and nothing else. Images are stored scaled, as float32
.npy files, so loading them allocates the array once (no transient copy inflating peak RSS).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .configs import Config, initial_weights


@dataclass
class Inputs:
    train_x: np.ndarray     # (N, 784) float32
    train_y: np.ndarray     # (N,) int64
    test_x: np.ndarray
    test_y: np.ndarray
    weights: list[np.ndarray]   # [W0, b0, W1, b1, ...] float32
    orders: np.ndarray      # (epochs, N) int64: the sample order of each timed epoch

    @property
    def data_mb(self) -> float:
        """Memory held by the images and labels (part of every implementation's peak RSS)."""
        arrays = (self.train_x, self.train_y, self.test_x, self.test_y)
        return sum(a.nbytes for a in arrays) / 2**20


def scale_images(images: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """uint8 images (N, 28, 28) as float32 rows (N, 784) mapped linearly from 0..255 onto bounds."""
    low, high = bounds
    x = images.reshape(len(images), -1).astype(np.float32)
    x /= np.float32(255 / (high - low))
    x += np.float32(low)
    return x


def batch_orders(n: int, epochs: int, seed: int = 0) -> np.ndarray:
    """One random permutation of range(n) per epoch, from a seeded generator."""
    gen = np.random.default_rng(seed)
    return np.stack([gen.permutation(n) for _ in range(epochs)]).astype(np.int64)


def _range_tag(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:g}_{bounds[1]:g}"


def _save(path: Path, **arrays: np.ndarray) -> None:
    """Write .npy (one array) or .npz under a temporary name, then rename."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        if path.suffix == ".npy":
            (array,) = arrays.values()
            np.save(f, array)
        else:
            np.savez(f, **arrays)
    os.replace(tmp, path)


def prepare_inputs(folder: Path, config: Config, limit: int | None, epochs: int, seed: int = 0) -> None:
    """Write config's images (the first `limit` of each split), labels, initial weights and batch
    orders into folder; images already written for another config with the same scaling are reused."""
    from tinygrad_mnist.data import MNIST  # the bundled, checksummed copy

    tag = _range_tag(config.input_range)
    for split, train in (("train", True), ("test", False)):
        x_path = folder / f"{split}_x_{tag}.npy"
        if x_path.exists():
            continue
        ds = MNIST(train=train)
        images, labels = ds.data[:limit], ds.targets[:limit]
        _save(x_path, x=scale_images(images, config.input_range))
        _save(folder / f"{split}_y.npy", y=labels.astype(np.int64))
    n = len(np.load(folder / "train_y.npy", mmap_mode="r"))
    weights = initial_weights(config, seed)
    _save(folder / f"{config.name}_init.npz", orders=batch_orders(n, epochs, seed),
          **{f"w{i}": w for i, w in enumerate(weights)})


def load_inputs(folder: Path, config: Config) -> Inputs:
    """What prepare_inputs wrote for config, loaded into memory."""
    tag = _range_tag(config.input_range)
    with np.load(folder / f"{config.name}_init.npz") as init:
        weights = [init[f"w{i}"] for i in range(2 * (len(config.sizes) - 1))]
        orders = init["orders"]
    return Inputs(np.load(folder / f"train_x_{tag}.npy"), np.load(folder / "train_y.npy"),
                  np.load(folder / f"test_x_{tag}.npy"), np.load(folder / "test_y.npy"),
                  weights, orders)
