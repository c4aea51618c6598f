"""MLPs as ordinary nn.Module definitions: one configurable class and the seed reports' architectures as presets."""
from __future__ import annotations

from typing import Sequence

from . import nn
from .errors import ConfigError

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "gelu": nn.GELU,
               "silu": nn.SiLU, "elu": nn.ELU, "selu": nn.SELU, "mish": nn.Mish, "hardswish": nn.Hardswish}
GAINED_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "selu")  # those torch's calculate_gain knows
OUTPUTS = {"none": None, "softmax": lambda: nn.Softmax(dim=1), "sigmoid": nn.Sigmoid,
           "log_softmax": lambda: nn.LogSoftmax(dim=1)}
INITS = ("default", "normal", "uniform", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
         "glorot_uniform", "he_normal")
DEFAULT_INIT_SCALE = {"normal": 0.05, "uniform": 0.05}  # Keras' RandomNormal / RandomUniform defaults
NORMS = {"batch": nn.BatchNorm1d, "layer": nn.LayerNorm}


def _choice(kind: str, value: str, options) -> str:
    if value not in options:
        raise ConfigError(f"unknown {kind} {value!r}; expected one of {', '.join(sorted(options))}")
    return value


class MLP(nn.Module):
    """Fully connected layers of the given sizes, e.g. MLP([784, 128, 64, 10]).

    activation: between hidden layers; output: applied to the last layer ('none' leaves logits
    for CrossEntropyLoss); dropout: after each hidden activation; norm: None, 'batch' (BatchNorm1d)
    or 'layer' (LayerNorm) after each hidden Linear, before its activation. init:
      'default'            PyTorch's Linear init;
      'normal'             weights N(0, init_scale^2), biases 0 (Keras' RandomNormal, std 0.05 by default);
      'uniform'            weights and biases U(-init_scale, init_scale) (seed 002's "random" init);
      'xavier_*', 'kaiming_*'  torch.nn.init's, with the gain of the activation (relu, leaky_relu,
                           sigmoid, tanh or selu: calculate_gain has none for the others); biases 0;
      'glorot_uniform'     Keras' default: Xavier uniform with gain 1; biases 0;
      'he_normal'          Keras' HeNormal: N(0, 2 / fan_in) whatever the activation; biases 0."""

    def __init__(self, sizes: Sequence[int], activation: str = "relu", output: str = "none",
                 init: str = "default", dropout: float = 0.0, init_scale: float | None = None,
                 norm: str | None = None):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ConfigError(f"MLP sizes must list at least input and output sizes, all >= 1; got {sizes}")
        if not 0 <= dropout < 1:
            raise ConfigError(f"MLP dropout must be in [0, 1), got {dropout}")
        act = ACTIVATIONS[_choice("activation", activation, ACTIVATIONS)]
        norm_layer = NORMS[_choice("norm", norm, NORMS)] if norm is not None else None
        out = OUTPUTS[_choice("output", output, OUTPUTS)]
        _choice("init", init, INITS)
        if init.startswith(("xavier", "kaiming")) and activation not in GAINED_ACTIVATIONS:
            raise ConfigError(f"MLP init {init!r} scales by the activation's gain, which torch's calculate_gain "
                              f"does not give for {activation!r}; use init 'default', 'glorot_uniform' or "
                              "'he_normal'")
        if init_scale is not None and not init_scale > 0:
            raise ConfigError(f"MLP init_scale must be > 0, got {init_scale}")
        self.sizes, self.activation, self.output, self.init, self.dropout = sizes, activation, output, init, dropout
        self.norm = norm
        self.init_scale = init_scale if init_scale is not None else DEFAULT_INIT_SCALE.get(init)
        layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:
                if norm_layer is not None:
                    layers.append(norm_layer(n_out))
                layers.append(act())
                if dropout:
                    layers.append(nn.Dropout(dropout))
        if out is not None:
            layers.append(out())
        self.layers = nn.Sequential(*layers)
        self._initialise()

    def _initialise(self) -> None:
        init, activation, scale = self.init, self.activation, self.init_scale
        if init == "default":
            return
        for layer in self.layers:
            if not isinstance(layer, nn.Linear):
                continue
            w = layer.weight
            nn.init.zeros_(layer.bias)
            if init == "normal":
                nn.init.normal_(w, 0.0, scale)
            elif init == "uniform":
                nn.init.uniform_(w, -scale, scale)
                nn.init.uniform_(layer.bias, -scale, scale)
            elif init == "glorot_uniform":
                nn.init.xavier_uniform_(w, 1.0)
            elif init == "he_normal":
                nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
            elif init.startswith("xavier"):
                gain = nn.init.calculate_gain(activation)
                (nn.init.xavier_uniform_ if init == "xavier_uniform" else nn.init.xavier_normal_)(w, gain)
            else:
                fill = nn.init.kaiming_uniform_ if init == "kaiming_uniform" else nn.init.kaiming_normal_
                fill(w, mode="fan_in", nonlinearity=activation)

    def forward(self, x):
        return self.layers(x.flatten(1) if x.ndim > 2 else x)

    def config(self) -> dict:
        """The constructor arguments, to rebuild this model from a checkpoint."""
        return {"sizes": self.sizes, "activation": self.activation, "output": self.output,
                "init": self.init, "dropout": self.dropout, "init_scale": self.init_scale, "norm": self.norm}


PRESETS = {
    # The README's main job: >= 97.5% MNIST test accuracy in well under 3 minutes on 2 cores.
    "default": dict(sizes=[784, 256, 128, 10], activation="relu", dropout=0.2),
    # The best MLP of RESULTS.md (examples/best_mlp.toml): >= 98.5% MNIST test accuracy.
    "best": dict(sizes=[784, 1024, 1024, 10], activation="relu", dropout=0.3),
    # Seed 000: NeuralNetMLP (sigmoid hidden layers, softmax output, trained on MSE) and the
    # one-hidden-layer net of Raschka et al. ch. 11 (sigmoid output too), both N(0, 0.1^2) weights.
    "seed000": dict(sizes=[784, 500, 500, 10], activation="sigmoid", output="softmax", init="normal",
                    init_scale=0.1),
    "seed000-textbook": dict(sizes=[784, 50, 10], activation="sigmoid", output="sigmoid", init="normal",
                             init_scale=0.1),
    # Seed 001 (Keras, so Glorot-uniform weights): binary 5-vs-8 nets with a sigmoid output, the
    # 10-class 128-64-32 net, and the compact 32-16 net of its batch-size x learning-rate grid.
    "seed001-binary": dict(sizes=[784, 128, 64, 1], activation="relu", output="sigmoid", init="glorot_uniform"),
    "seed001-binary-deep": dict(sizes=[784, 128, 64, 32, 1], activation="relu", output="sigmoid",
                                init="glorot_uniform"),
    "seed001-multiclass": dict(sizes=[784, 128, 64, 32, 10], activation="relu", init="glorot_uniform"),
    "seed001-compact": dict(sizes=[784, 32, 16, 10], activation="relu", init="glorot_uniform"),
    # Seed 002: the family [784, h1, (h2,) 10]; this is its best, experiment 7 ([784, 20, 10], Kaiming, ReLU).
    "seed002": dict(sizes=[784, 20, 10], activation="relu", init="he_normal"),
    # Seed 003: NN v1 (128 tanh, Xavier) and NN v2 (64 ReLU, He, dropout).
    "seed003-v1": dict(sizes=[784, 128, 10], activation="tanh", init="glorot_uniform"),
    "seed003-v2": dict(sizes=[784, 64, 10], activation="relu", init="he_normal", dropout=0.2),
    # Seed 004 (KMNIST): one hidden layer of 256 units, its best depth.
    "seed004": dict(sizes=[784, 256, 10], activation="relu"),
}


def build(preset: str | None = None, **overrides) -> MLP:
    """An MLP from a preset name and/or explicit arguments (explicit ones win)."""
    config = dict(PRESETS[_choice("model preset", preset, PRESETS)]) if preset else {}
    config.update({k: v for k, v in overrides.items() if v is not None})
    if "sizes" not in config:
        raise ConfigError("build: give a preset or sizes (e.g. [784, 128, 10])")
    return MLP(**config)
