import numpy as np

import tinygrad_mnist as tg
from tinygrad_mnist.testing import assert_matches_torch


def test_readme_example_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 784))
    w = rng.standard_normal((784, 10))
    b = np.zeros(10)
    y = rng.integers(0, 10, 32)
    assert_matches_torch(
        lambda x, w, b, y: (x @ w + b).log_softmax(dim=1)[tg.arange(32), y].mean().neg(),
        lambda x, w, b, y: (x @ w + b).log_softmax(dim=1)[np.arange(32), y].mean().neg(),
        x, w, b, y)
