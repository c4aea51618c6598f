"""One training run from a config: data, model, optimizer, fit, test metrics and the run folder."""
from __future__ import annotations

import dataclasses
import json
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import data, metrics, models, nn, optim, rng, train
from .errors import ConfigError
from .nn import functional as F
from .serialization import atomic_write
from .tensor import Tensor

DATASETS = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST, "kmnist": data.KMNIST}
PREPROCESS = ("scale01", "scale11", "standardize")
LOSSES = ("cross_entropy", "mse", "nll", "bce", "bce_with_logits")
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop}


@dataclass
class RunConfig:
    """Everything that defines a run; the defaults are the README's main job."""
    dataset: str = "mnist"
    data_dir: str | None = None
    preprocess: str = "scale01"
    classes: list[int] | None = None          # e.g. [5, 8]: keep those digits, relabelled 0, 1
    val_fraction: float = 0.1                 # stratified, taken from the training set
    limit: int | None = None                  # train on this many samples only (quick runs)
    model: str | None = "default"             # a preset of models.PRESETS ...
    layers: list[int] | None = None           # ... or explicit sizes, e.g. [784, 128, 10]
    activation: str | None = None
    output: str | None = None
    init: str | None = None
    dropout: float | None = None
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    batch_size: int = 128
    epochs: int = 20
    early_stopping: int | None = 3            # patience on the validation loss; None: off
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def validate(self) -> None:
        """Raise ConfigError naming the first setting that is unknown or out of range."""
        for name, value, options in [("dataset", self.dataset, DATASETS), ("preprocess", self.preprocess, PREPROCESS),
                                     ("loss", self.loss, LOSSES), ("optimizer", self.optimizer, OPTIMIZERS)]:
            if value not in options:
                raise ConfigError(f"unknown {name} {value!r}; expected one of {', '.join(options)}")
        for name in ("lr", "batch_size", "epochs"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if not 0 <= self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.model is None and self.layers is None:
            raise ConfigError("give a model preset or layers")
        if self.model is not None and self.model not in models.PRESETS:
            raise ConfigError(f"unknown model preset {self.model!r}; expected one of {', '.join(models.PRESETS)}")


def load_splits(cfg: RunConfig) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Train/val/test (X float32 (N, 784), y int64) preprocessed as the config says."""
    source = DATASETS[cfg.dataset]
    train_set, test_set = (source(root=cfg.data_dir, train=flag) for flag in (True, False))
    splits = {"train": (train_set.data, train_set.targets), "test": (test_set.data, test_set.targets)}
    if cfg.classes:
        splits = {k: data.class_subset(v, cfg.classes) for k, v in splits.items()}
    gen = np.random.default_rng(cfg.seed)
    x, y = splits["train"]
    if cfg.limit is not None and cfg.limit < len(y):
        keep = gen.permutation(len(y))[:cfg.limit]
        x, y = x[keep], y[keep]
    if cfg.val_fraction:
        (x, y), (vx, vy) = data.stratified_split((x, y), [1 - cfg.val_fraction, cfg.val_fraction], gen)
        splits["val"] = (vx, vy)
    splits["train"] = (x, y)
    return _preprocess(splits, cfg.preprocess)


def _preprocess(splits: dict, how: str) -> dict:
    flat = {k: (data.transforms.flatten(x), y) for k, (x, y) in splits.items()}
    if how == "standardize":
        scaler = data.transforms.Standardizer().fit(data.transforms.scale(flat["train"][0]))
        return {k: (scaler.transform(data.transforms.scale(x)), y) for k, (x, y) in flat.items()}
    bounds = (0.0, 1.0) if how == "scale01" else (-1.0, 1.0)
    return {k: (data.transforms.scale(x, to=bounds), y) for k, (x, y) in flat.items()}


def build_model(cfg: RunConfig, n_features: int, n_classes: int) -> models.MLP:
    """The configured MLP, its input and output sizes fitted to the data."""
    overrides = dict(activation=cfg.activation, output=cfg.output, init=cfg.init, dropout=cfg.dropout)
    if cfg.layers is not None:
        overrides["sizes"] = list(cfg.layers)
    model = models.build(cfg.model if cfg.layers is None else None, **overrides)
    sizes = model.sizes
    expected_out = 1 if cfg.loss in ("bce", "bce_with_logits") else n_classes
    if sizes[0] != n_features or sizes[-1] != expected_out:
        raise ConfigError(f"model sizes {sizes} do not fit the data: expected {n_features} inputs and "
                          f"{expected_out} outputs for loss {cfg.loss!r} on {n_classes} classes")
    return model


def make_loss(name: str, n_classes: int):
    """A loss over (model output, integer labels), turning labels into what the loss needs."""
    if name == "cross_entropy":
        return nn.CrossEntropyLoss()
    if name == "nll":
        return nn.NLLLoss()
    if name == "mse":
        return lambda out, y: F.mse_loss(out, F.one_hot(y, n_classes).to(out.dtype))
    return _BinaryLoss(nn.BCELoss() if name == "bce" else nn.BCEWithLogitsLoss())


class _BinaryLoss:
    """BCE over (N, 1) outputs with integer 0/1 labels."""

    def __init__(self, loss):
        self.loss = loss
        self.outputs_probabilities = isinstance(loss, nn.BCELoss)

    def __call__(self, out: Tensor, y: Tensor) -> Tensor:
        return self.loss(out, y.to(out.dtype).reshape(out.shape))


def make_optimizer(cfg: RunConfig, params):
    kwargs = {"lr": cfg.lr, "weight_decay": cfg.weight_decay}
    if cfg.optimizer in ("sgd", "rmsprop"):
        kwargs["momentum"] = cfg.momentum
    return OPTIMIZERS[cfg.optimizer](params, **kwargs)


def run(cfg: RunConfig, out: str | None = None, resume: str | None = None, progress: bool | None = None,
        plots: bool = True) -> dict:
    """Train and test one config; with out, write the run folder. Returns the metrics dict."""
    cfg.validate()
    began = time.perf_counter()
    rng.manual_seed(cfg.seed)
    splits = load_splits(cfg)
    n_classes = len(cfg.classes) if cfg.classes else 10
    model = build_model(cfg, splits["train"][0].shape[1], n_classes)
    loss_fn = make_loss(cfg.loss, n_classes)
    optimizer = make_optimizer(cfg, model.parameters())
    loader = data.DataLoader(splits["train"], batch_size=cfg.batch_size, shuffle=True)
    val_loader = data.DataLoader(splits["val"], batch_size=1000) if "val" in splits else None
    callbacks = [train.EarlyStopping("val_loss", patience=cfg.early_stopping)] if cfg.early_stopping and val_loader else []
    checkpoint = os.path.join(out, "checkpoint.npz") if out else None
    history = train.fit(model, loss_fn, optimizer, loader, val_loader, cfg.epochs, callbacks,
                        checkpoint=checkpoint, resume=resume, progress=progress,
                        config={"run": dataclasses.asdict(cfg), "model": model.config()})
    test = train.evaluate(model, data.DataLoader(splits["test"], batch_size=1000), loss_fn)
    result = _metrics(cfg, history, test, n_classes, time.perf_counter() - began)
    if out:
        if checkpoint:  # the final weights (early stopping may have restored the best ones)
            train.save_checkpoint(checkpoint, model, optimizer, len(history), history, None, callbacks,
                                  loader, {"run": dataclasses.asdict(cfg), "model": model.config()})
        write_run_folder(out, result, history, test, splits["test"][0], n_classes, plots)
    return result


def _metrics(cfg: RunConfig, history: train.History, test: dict, n_classes: int, seconds: float) -> dict:
    p, r, f1, _ = metrics.precision_recall_fscore_support(test["targets"], test["predictions"],
                                                          labels=list(range(n_classes)), average="macro")
    val = [v for v in history["val_acc"] if v == v]
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"], "macro_f1": float(f1),
            "macro_precision": float(p), "macro_recall": float(r),
            "best_val_accuracy": max(val) if val else None, "final_train_accuracy": history["train_acc"][-1],
            "epochs": len(history), "seconds": seconds, "config": dataclasses.asdict(cfg)}


def write_run_folder(out: str, result: dict, history: train.History, test: dict, test_images: np.ndarray,
                     n_classes: int, plots: bool = True) -> None:
    """metrics.json, history.csv, classification_report.txt and the plots (checkpoint is written by fit)."""
    os.makedirs(out, exist_ok=True)
    atomic_write(os.path.join(out, "metrics.json"), (json.dumps(result, indent=2) + "\n").encode())
    history.to_csv(os.path.join(out, "history.csv"))
    report = metrics.classification_report(test["targets"], test["predictions"], labels=list(range(n_classes)), digits=4)
    atomic_write(os.path.join(out, "classification_report.txt"), (report + "\n").encode())
    if plots:
        from . import plots as P
        P.plot_history(history.data, os.path.join(out, "curves.png"))
        P.plot_confusion_matrix(metrics.confusion_matrix(test["targets"], test["predictions"],
                                                         labels=list(range(n_classes))),
                                os.path.join(out, "confusion_matrix.png"))
        P.plot_predictions(test_images[:25], test["targets"][:25], test["predictions"][:25],
                           os.path.join(out, "predictions.png"))
        if n_classes > 2 and test["outputs"].shape[1] == n_classes:
            P.plot_pr_curves(test["targets"], _softmax(test["outputs"]), os.path.join(out, "pr_curves.png"))


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
