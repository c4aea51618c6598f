"""The benchmark MLP in PyTorch (CPU, eager): the yardstick. Imported only where torch is installed."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .configs import Config, state_dict_keys


class TorchMLP:
    """nn.Sequential(Linear, activation, ..., Linear[, Softmax or LogSoftmax]) with torch.optim, as a user writes it."""

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
        self.model.load_state_dict({k: torch.from_numpy(w) for k, w in zip(state_dict_keys(config), weights)})
        opt = torch.optim.SGD if config.optimizer == "sgd" else torch.optim.Adam
        self.optimizer = opt(self.model.parameters(), lr=config.lr)
        self.classes = config.sizes[-1]

    def train_step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One forward, backward and update on a batch; returns the batch loss."""
        out = self.model(torch.from_numpy(x))
        target = torch.from_numpy(y)
        if self.one_hot_targets:
            target = nn.functional.one_hot(target, self.classes).to(out.dtype)
        loss = self.loss_fn(out, target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The predicted class of each row of x."""
        with torch.no_grad():
            return self.model(torch.from_numpy(x)).argmax(dim=1).numpy()

    def parameters(self) -> list[np.ndarray]:
        """[W0, b0, W1, b1, ...] as arrays sharing the parameters' memory."""
        return [p.detach().numpy() for p in self.model.parameters()]
