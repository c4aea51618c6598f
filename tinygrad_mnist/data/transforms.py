"""Preprocessing as the seeds use it: scale pixels, flatten images, standardize with training statistics.
All of them take NumPy arrays (e.g. `MNIST().data`) and return new float32 arrays.

Also torchvision's per-item transforms, for a dataset's `transform=` (as PyTorch's MNIST example
writes it): ToTensor, Normalize, Compose and Lambda.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError, DTypeError, ShapeError
from ..tensor import Tensor


def scale(images: np.ndarray, to: tuple[float, float] = (0.0, 1.0), max_value: float = 255.0) -> np.ndarray:
    """Pixels 0..max_value mapped linearly onto to=(low, high) as float32: (0, 1) or (-1, 1)."""
    images = np.asarray(images)
    if images.dtype.kind not in "uif":
        raise DTypeError(f"scale: expected a numeric image array, got dtype {images.dtype}")
    low, high = to
    if not high > low:
        raise ConfigError(f"scale: to=(low, high) needs low < high, got {to}")
    out = images.astype(np.float32)
    out /= np.float32(max_value / (high - low))
    if low:
        out += np.float32(low)
    return out


def flatten(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) images as (N, 784) rows (a view when possible)."""
    images = np.asarray(images)
    if images.ndim < 2:
        raise ShapeError(f"flatten: expected a batch of images (N, ...), got shape {images.shape}")
    return images.reshape(len(images), math.prod(images.shape[1:]))  # -1 cannot be solved for 0 images


class Standardizer:
    """Zero mean and unit variance with statistics fitted on the training set, applied to any set.

    Per feature (pixel) by default, as scikit-learn's StandardScaler; features that never vary in
    training are only centred. per_feature=False uses one mean and std over all values."""

    def __init__(self, per_feature: bool = True):
        self.per_feature = per_feature
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, train: np.ndarray) -> Standardizer:
        """Learn the mean and std of train (rows are samples)."""
        train = np.asarray(train)
        if train.ndim < 1 or len(train) == 0:
            raise ShapeError(f"Standardizer.fit: expected a non-empty (N, ...) array, got shape {train.shape}")
        axis = 0 if self.per_feature else None
        mean = train.mean(axis=axis, dtype=np.float64)
        std = train.std(axis=axis, dtype=np.float64)
        self.mean = np.asarray(mean, dtype=np.float32)
        constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))  # rounding noise
        self.std = np.asarray(np.where(constant, 1.0, std), dtype=np.float32)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """x standardized with the fitted statistics, as float32."""
        if self.mean is None:
            raise RuntimeError("Standardizer.transform: not fitted yet; call fit(train) first")
        x = np.asarray(x)
        if self.per_feature and x.shape[1:] != self.mean.shape:
            raise ShapeError(f"Standardizer.transform: fitted on samples of shape {self.mean.shape}, "
                             f"got samples of shape {x.shape[1:]}")
        out = x.astype(np.float32)
        out -= self.mean
        out /= self.std
        return out

    def fit_transform(self, train: np.ndarray) -> np.ndarray:
        """fit(train), then transform(train)."""
        return self.fit(train).transform(train)


# ---- torchvision's per-item transforms ------------------------------------------------------------

class ToTensor:
    """An image array (H, W) or (H, W, C) as a Tensor (C, H, W); uint8 pixels become float32 in
    [0, 1] (divided by 255), any other dtype is kept, as torchvision's ToTensor does."""

    def __call__(self, pic) -> Tensor:
        image = np.asarray(pic)
        if image.ndim not in (2, 3):
            raise ShapeError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got shape {image.shape}")
        if image.ndim == 2:
            image = image[:, :, None]
        chw = np.ascontiguousarray(image.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            chw = chw.astype(np.float32)
            chw /= np.float32(255)
        return Tensor(chw)

    def __repr__(self) -> str:
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel of a float Tensor (C, H, W) (or a batch (N, C, H, W)), as
    torchvision's Normalize; mean and std hold one value, or one per channel."""

    def __init__(self, mean, std, inplace: bool = False):
        self.mean, self.std, self.inplace = mean, std, inplace
        if np.any(np.asarray(std, dtype=np.float64) == 0):
            raise ConfigError(f"Normalize: std must not be 0 (it divides), got {std}")

    def __call__(self, tensor: Tensor) -> Tensor:
        if not isinstance(tensor, Tensor) or tensor.dtype.kind != "f":
            raise DTypeError(f"Normalize: expected a float Tensor (C, H, W), as ToTensor makes, got "
                             f"{tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__}")
        if tensor.ndim < 3:
            raise ShapeError(f"Normalize: expected a Tensor of shape (C, H, W) or (N, C, H, W), got {tensor.shape}")
        per_channel = (-1, 1, 1)
        mean = np.asarray(self.mean, dtype=tensor.dtype).reshape(per_channel)
        std = np.asarray(self.std, dtype=tensor.dtype).reshape(per_channel)
        if self.inplace:
            return tensor.sub_(Tensor(mean)).div_(Tensor(std))
        return (tensor - Tensor(mean)) / Tensor(std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Compose:
    """The transforms applied in turn, as torchvision's Compose."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t}\n" for t in self.transforms) + ")"


class Lambda:
    """A function as a transform, as torchvision's Lambda."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise ConfigError(f"Lambda: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self) -> str:
        return "Lambda()"
