"""The benchmark configurations (A-D from the seed reports; E is D as PyTorch's MNIST example
writes its loss) and their shared initial weights."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Config:
    """One MLP training setup; every implementation trains exactly this."""

    name: str
    sizes: tuple[int, ...]              # layer widths, input first
    activation: str                     # hidden activation: "sigmoid" or "relu"
    loss: str                           # "softmax_mse" (softmax output, MSE on one-hot), "cross_entropy" or
                                        # "log_softmax_nll" (a LogSoftmax output, then NLL: cross-entropy in two)
    optimizer: str                      # "sgd" (plain) or "adam" (betas 0.9/0.999, eps 1e-8)
    lr: float
    batch_size: int
    input_range: tuple[float, float]    # pixels 0..255 mapped linearly onto this interval

    @property
    def description(self) -> str:
        """e.g. 'A 784-500-500-10 sigmoid, softmax+MSE, SGD 0.1, batch 100'."""
        loss = {"softmax_mse": "softmax+MSE", "cross_entropy": "CE", "log_softmax_nll": "log_softmax+NLL"}[self.loss]
        sizes = "-".join(map(str, self.sizes))
        return (f"{self.name} {sizes} {self.activation}, {loss}, {self.optimizer.upper()} {self.lr:g}, "
                f"batch {self.batch_size}")


CONFIGS = {
    # Seed 000 scales pixels to [-1, 1]; the others use [0, 1].
    "A": Config("A", (784, 500, 500, 10), "sigmoid", "softmax_mse", "sgd", 0.1, 100, (-1.0, 1.0)),
    "B": Config("B", (784, 128, 64, 32, 10), "relu", "cross_entropy", "adam", 1e-3, 128, (0.0, 1.0)),
    "C": Config("C", (784, 64, 10), "relu", "cross_entropy", "adam", 1e-3, 32, (0.0, 1.0)),
    "D": Config("D", (784, 20, 10), "relu", "cross_entropy", "sgd", 0.1, 16, (0.0, 1.0)),
    "E": Config("E", (784, 20, 10), "relu", "log_softmax_nll", "sgd", 0.1, 16, (0.0, 1.0)),
}


def get_config(name: str) -> Config:
    """The config called name (A-E), with an error listing the choices."""
    if name not in CONFIGS:
        raise ValueError(f"unknown config {name!r}; expected one of {', '.join(CONFIGS)}")
    return CONFIGS[name]


def initial_weights(config: Config, seed: int = 0) -> list[np.ndarray]:
    """[W0, b0, W1, b1, ...] float32, W of shape (out, in), drawn as torch.nn.Linear initialises:
    kaiming_uniform(a=sqrt(5)) for W and the bias both reduce to U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    gen = np.random.default_rng(seed)
    arrays = []
    for fan_in, fan_out in zip(config.sizes[:-1], config.sizes[1:]):
        bound = 1 / math.sqrt(fan_in)
        arrays.append(gen.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        arrays.append(gen.uniform(-bound, bound, fan_out).astype(np.float32))
    return arrays


def state_dict_keys(config: Config) -> list[str]:
    """The names of initial_weights' arrays in nn.Sequential(Linear, act, Linear, act, ..., Linear)."""
    keys = []
    for i in range(len(config.sizes) - 1):
        keys += [f"{2 * i}.weight", f"{2 * i}.bias"]
    return keys
