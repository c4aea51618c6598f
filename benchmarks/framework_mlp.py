"""The benchmark MLP in tinygrad_mnist, written as a user of the library writes it."""
from __future__ import annotations

import numpy as np

import tinygrad_mnist as tg
from tinygrad_mnist import nn, optim

from .configs import Config, state_dict_keys


class FrameworkMLP:
    """nn.Sequential(Linear, activation, ..., Linear[, Softmax or LogSoftmax]) with tinygrad_mnist.optim."""

    def __init__(self, config: Config, weights: list[np.ndarray]):
        """Start from [W0, b0, W1, b1, ...] (copied) with config's activation, loss and optimizer."""
        layers: list[nn.Module] = []
        pairs = list(zip(config.sizes[:-1], config.sizes[1:]))
        for i, (n_in, n_out) in enumerate(pairs):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(pairs) - 1:
                layers.append(nn.Sigmoid() if config.activation == "sigmoid" else nn.ReLU())
        self.one_hot_targets = config.loss == "softmax_mse"
        if self.one_hot_targets:
            layers.append(nn.Softmax(dim=1))
        elif config.loss == "log_softmax_nll":
            layers.append(nn.LogSoftmax(dim=1))
        self.loss_fn = {"softmax_mse": nn.MSELoss, "cross_entropy": nn.CrossEntropyLoss,
                        "log_softmax_nll": nn.NLLLoss}[config.loss]()
        self.model = nn.Sequential(*layers)
        self.model.load_state_dict(dict(zip(state_dict_keys(config), weights)))
        opt = optim.SGD if config.optimizer == "sgd" else optim.Adam
        self.optimizer = opt(self.model.parameters(), lr=config.lr)
        self.classes = config.sizes[-1]

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One forward, backward and update on a batch; returns the batch loss."""
        out = self.model(tg.Tensor(x))
        target = tg.Tensor(y)
        if self.one_hot_targets:
            target = nn.functional.one_hot(target, self.classes).float()
        loss = self.loss_fn(out, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The predicted class of each row of x."""
        with tg.no_grad():
            return self.model(tg.Tensor(x)).argmax(dim=1).numpy()

    def parameters(self) -> list[np.ndarray]:
        """[W0, b0, W1, b1, ...] as arrays sharing the parameters' memory."""
        return [p.data for p in self.model.parameters()]
