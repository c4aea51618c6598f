"""MLPs as ordinary nn.Module definitions: one configurable class and named presets."""
from __future__ import annotations

from typing import Sequence

from . import nn
from .errors import ConfigError

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}
OUTPUTS = {"none": None, "softmax": lambda: nn.Softmax(dim=1), "sigmoid": nn.Sigmoid,
           "log_softmax": lambda: nn.LogSoftmax(dim=1)}
INITS = ("default", "normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal")


def _choice(kind: str, value: str, options) -> str:
    if value not in options:
        raise ConfigError(f"unknown {kind} {value!r}; expected one of {', '.join(sorted(options))}")
    return value


class MLP(nn.Module):
    """Fully connected layers of the given sizes, e.g. MLP([784, 128, 64, 10]).

    activation: between hidden layers; output: applied to the last layer ('none' leaves logits
    for CrossEntropyLoss); init: 'default' (PyTorch's Linear init), 'normal' (N(0, init_std^2),
    Keras' RandomNormal), or Xavier/Kaiming variants (gains from the activation); dropout: after
    each hidden activation."""

    def __init__(self, sizes: Sequence[int], activation: str = "relu", output: str = "none",
                 init: str = "default", dropout: float = 0.0, init_std: float = 0.05):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ConfigError(f"MLP sizes must list at least input and output sizes, all >= 1; got {sizes}")
        act = ACTIVATIONS[_choice("activation", activation, ACTIVATIONS)]
        out = OUTPUTS[_choice("output", output, OUTPUTS)]
        _choice("init", init, INITS)
        self.sizes, self.activation, self.output, self.init, self.dropout = sizes, activation, output, init, dropout
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                layers.append(act())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        if out is not None:
            layers.append(out())
        self.layers = nn.Sequential(*layers)
        self._initialise(init, activation, init_std)

    def _initialise(self, init: str, activation: str, std: float) -> None:
        if init == "default":
            return
        gain_name = "leaky_relu" if activation == "leaky_relu" else activation
        for layer in self.layers:
            if not isinstance(layer, nn.Linear):
                continue
            w = layer.weight
            if init == "normal":
                nn.init.normal_(w, 0.0, std)
            elif init.startswith("xavier"):
                gain = nn.init.calculate_gain(gain_name)
                (nn.init.xavier_uniform_ if init == "xavier_uniform" else nn.init.xavier_normal_)(w, gain)
            else:
                fill = nn.init.kaiming_uniform_ if init == "kaiming_uniform" else nn.init.kaiming_normal_
                fill(w, mode="fan_in", nonlinearity="relu" if activation == "relu" else gain_name)
            nn.init.zeros_(layer.bias)

    def forward(self, x):
        return self.layers(x.flatten(1) if x.ndim > 2 else x)

    def config(self) -> dict:
        """The constructor arguments, to rebuild this model from a checkpoint."""
        return {"sizes": self.sizes, "activation": self.activation, "output": self.output,
                "init": self.init, "dropout": self.dropout}


PRESETS = {
    # The README's main job: >= 97.5% MNIST test accuracy in well under 3 minutes on 2 cores.
    "default": dict(sizes=[784, 256, 128, 10], activation="relu", dropout=0.2),
    "seed000": dict(sizes=[784, 500, 500, 10], activation="sigmoid", output="softmax"),
    "seed000-textbook": dict(sizes=[784, 50, 10], activation="sigmoid", output="softmax"),
    "seed001-binary": dict(sizes=[784, 128, 64, 1], activation="relu", output="sigmoid"),
    "seed001-multiclass": dict(sizes=[784, 128, 64, 32, 10], activation="relu"),
    "seed003-v1": dict(sizes=[784, 128, 10], activation="tanh", init="xavier_uniform"),
    "seed003-v2": dict(sizes=[784, 64, 10], activation="relu", init="kaiming_normal", dropout=0.2),
    "seed004": dict(sizes=[784, 256, 10], activation="relu"),
}


def build(preset: str | None = None, **overrides) -> MLP:
    """An MLP from a preset name and/or explicit arguments (explicit ones win)."""
    config = dict(PRESETS[_choice("model preset", preset, PRESETS)]) if preset else {}
    config.update({k: v for k, v in overrides.items() if v is not None})
    if "sizes" not in config:
        raise ConfigError("build: give a preset or sizes (e.g. [784, 128, 10])")
    return MLP(**config)
