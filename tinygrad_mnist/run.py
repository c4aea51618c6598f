"""One training run from a config: data, model, optimizer, fit, test metrics and the run folder."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import data, metrics, models, nn, optim, rng, train
from .errors import ConfigError
from .nn import functional as F
from .plots import require_matplotlib
from .serialization import atomic_write
from .tensor import Tensor
from .train import _is_int, _is_number

DATASETS = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST, "kmnist": data.KMNIST}
PREPROCESS = ("scale01", "scale11", "standardize")
LOSSES = ("cross_entropy", "mse", "nll", "bce", "bce_with_logits")
OPTIMIZERS = {"sgd": optim.SGD, "adam": optim.Adam, "adamw": optim.AdamW, "rmsprop": optim.RMSprop,
              "adagrad": optim.Adagrad, "adamax": optim.Adamax, "nadam": optim.NAdam, "radam": optim.RAdam,
              "adadelta": optim.Adadelta, "rprop": optim.Rprop, "asgd": optim.ASGD}
SCHEDULERS = ("cosine", "step")
BINARY_LOSSES = ("bce", "bce_with_logits")  # (N, 1) outputs, two classes
MOMENTUM_OPTIMIZERS = ("sgd", "rmsprop")
NO_WEIGHT_DECAY_OPTIMIZERS = ("rprop",)
# What a run folder can hold (pr_curves.png only for more than two classes), and what `evaluate --out` writes.
TEST_FILES = ("metrics.json", "classification_report.txt", "confusion_matrix.png", "predictions.png",
              "pr_curves.png")
RUN_FILES = ("checkpoint.npz", "metrics.json", "history.csv", "classification_report.txt", "curves.png",
             "confusion_matrix.png", "predictions.png", "pr_curves.png")
EVALUATION_PREFIX = "evaluation_"
EVALUATION_FILES = tuple(EVALUATION_PREFIX + name for name in TEST_FILES)
RESUME_ITERATIONS = "resume continues epoch runs only; an iterations run restarts (they are short)"
DEFAULT_EVAL_EVERY = 100  # steps between evaluations of an iterations run
# The output layer each loss expects: cross_entropy and bce_with_logits take logits, nll log-probabilities.
LOSS_OUTPUTS = {"cross_entropy": ("none",), "bce_with_logits": ("none",), "nll": ("log_softmax",),
                "bce": ("sigmoid",)}
_BATCH_NORM_NEEDS = "norm 'batch' normalizes over each training batch, which "


def _is_json(value) -> bool:
    """Whether metrics.json (and so the checkpoint) can hold value: not TOML's dates and times."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


# What each RunConfig field holds, as validate() checks it, and the fields that may also be None.
KINDS = {"a string": lambda v: isinstance(v, str),
         "true or false": lambda v: isinstance(v, bool),
         "an integer": _is_int,
         "a number": _is_number,
         "a list of integers": lambda v: isinstance(v, (list, tuple)) and all(map(_is_int, v)),
         "a table of JSON values (no dates or times)": lambda v: isinstance(v, dict) and _is_json(v)}
FIELD_KINDS = {
    **dict.fromkeys(("dataset", "data_dir", "preprocess", "model", "activation", "output", "init", "norm", "loss",
                     "optimizer", "scheduler"), "a string"),
    **dict.fromkeys(("stratify", "nesterov"), "true or false"),
    **dict.fromkeys(("limit", "lr_step", "batch_size", "epochs", "iterations", "eval_every", "early_stopping",
                     "seed"), "an integer"),
    **dict.fromkeys(("test_fraction", "val_fraction", "init_scale", "dropout", "lr", "momentum", "weight_decay",
                     "lr_gamma"), "a number"),
    **dict.fromkeys(("classes", "layers"), "a list of integers"),
    "extra": "a table of JSON values (no dates or times)"}
MAY_BE_NONE = ("data_dir", "classes", "test_fraction", "limit", "model", "layers", "activation", "output", "init",
               "init_scale", "dropout", "norm", "scheduler", "iterations", "eval_every", "early_stopping")


@dataclass
class RunConfig:
    """Everything that defines a run; the defaults are the README's main job."""
    dataset: str = "mnist"
    data_dir: str | None = None
    preprocess: str = "scale01"
    classes: list[int] | None = None          # e.g. [5, 8]: keep those digits, relabelled 0, 1
    test_fraction: float | None = None        # None: the dataset's test set; else pool train and test
                                              # and hold out this share of the pool as the test set
    val_fraction: float = 0.1                 # share of the training data (after the test split) held out
    stratify: bool = True                     # splits keep class proportions; False: plain random splits
    limit: int | None = None                  # use this many training samples only, validation included
    model: str | None = None                  # a preset of models.PRESETS ('default' unless layers are given) ...
    layers: list[int] | None = None           # ... or explicit sizes, e.g. [784, 128, 10]
    activation: str | None = None
    output: str | None = None
    init: str | None = None
    init_scale: float | None = None           # std of init 'normal', bound of init 'uniform'
    dropout: float | None = None
    norm: str | None = None                   # 'batch' or 'layer' after each hidden Linear; None (or "none"): off
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.0
    nesterov: bool = False
    weight_decay: float = 0.0
    scheduler: str | None = None              # 'cosine' (to 0 over the run) or 'step' (lr *= lr_gamma every lr_step)
    lr_step: int = 10
    lr_gamma: float = 0.1
    batch_size: int | str = 128               # or "full": the whole training set in one batch
    epochs: int = 20
    iterations: int | None = None             # train for this many minibatch steps instead of epochs ...
    eval_every: int | None = None             # ... logging and validating every this many (default DEFAULT_EVAL_EVERY)
    early_stopping: int | None = 3            # patience on the validation loss (in evaluations); None: off
    seed: int = 0
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.model is None and self.layers is None:
            self.model = "default"
        if _is_int(self.early_stopping) and self.early_stopping == 0:  # how TOML and the CLI say off
            self.early_stopping = None
        if self.norm == "none":  # how TOML, which has no null, says no norm
            self.norm = None

    def validate(self) -> None:
        """Raise ConfigError naming the first setting of the wrong type, unknown or out of range."""
        for name, kind in FIELD_KINDS.items():
            value = getattr(self, name)
            if (value is None and name in MAY_BE_NONE) or (name == "batch_size" and value == "full") \
                    or KINDS[kind](value):
                continue
            expected = (kind + (" or 'full'" if name == "batch_size" else "")
                        + (" or none" if name in MAY_BE_NONE else ""))
            raise ConfigError(f"{name} must be {expected}, got {value!r}")
        for name, value, options in [("dataset", self.dataset, DATASETS), ("preprocess", self.preprocess, PREPROCESS),
                                     ("loss", self.loss, LOSSES), ("optimizer", self.optimizer, OPTIMIZERS)]:
            if value not in options:
                raise ConfigError(f"unknown {name} {value!r}; expected one of {', '.join(options)}")
        if self.norm is not None and self.norm not in models.NORMS:
            raise ConfigError(f"unknown norm {self.norm!r}; expected one of {', '.join(models.NORMS)}")
        if self.scheduler is not None and self.scheduler not in SCHEDULERS:
            raise ConfigError(f"unknown scheduler {self.scheduler!r}; expected one of {', '.join(SCHEDULERS)}")
        for name in ("lr", "batch_size", "epochs", "iterations", "eval_every", "lr_step", "lr_gamma", "limit"):
            value = getattr(self, name)
            if value is not None and value != "full" and not 0 < value < math.inf:
                raise ConfigError(f"{name} must be a finite number > 0, got {value}")
        for name in ("momentum", "weight_decay", "init_scale"):  # the optimizer and the MLP refuse NaN and < 0
            value = getattr(self, name)
            if value is not None and math.isinf(value):
                raise ConfigError(f"{name} must be finite, got {value}")
        if self.seed < 0:
            raise ConfigError(f"seed must be an integer >= 0, got {self.seed}")
        if self.early_stopping is not None and self.early_stopping < 0:
            raise ConfigError(f"early_stopping must be an integer >= 0 (0 turns it off), got {self.early_stopping}")
        if not 0 <= self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be in [0, 1), got {self.val_fraction}")
        if self.test_fraction is not None and not 0 < self.test_fraction < 1:
            raise ConfigError(f"test_fraction must be in (0, 1) or None (the dataset's test set), got {self.test_fraction}")
        if self.eval_every is not None and self.iterations is None:
            raise ConfigError("eval_every needs iterations (epoch runs evaluate after every epoch)")
        if self.model is None and self.layers is None:
            raise ConfigError("give a model preset or layers")
        if self.model is not None and self.model not in models.PRESETS:
            raise ConfigError(f"unknown model preset {self.model!r}; expected one of {', '.join(models.PRESETS)}")
        self._validate_combinations()

    def _validate_combinations(self) -> None:
        """Refuse settings that would have no effect, or make a task the model and loss cannot learn."""
        if self.model is not None and self.layers is not None:
            raise ConfigError(f"model {self.model!r} and layers are alternatives, give one: layers replace the "
                              "whole preset (for its settings with other sizes, give layers with activation, "
                              "output, init and dropout)")
        if self.classes is not None and len(self.classes) < 2:  # (data.class_subset refuses repeated ones)
            raise ConfigError(f"classes must list at least two classes, got {self.classes}")
        if self.loss in BINARY_LOSSES and (self.classes is None or len(self.classes) != 2):
            got = f"{len(self.classes)} classes {self.classes}" if self.classes else "all 10 classes"
            raise ConfigError(f"loss {self.loss!r} is binary, so it needs exactly two classes "
                              f"(classes = [A, B], e.g. --classes 5,8), got {got}")
        if self.momentum and self.optimizer not in MOMENTUM_OPTIMIZERS:
            raise ConfigError(f"momentum is for {' and '.join(MOMENTUM_OPTIMIZERS)}; optimizer {self.optimizer!r} "
                              f"has none (torch's {OPTIMIZERS[self.optimizer].__name__} takes no momentum)")
        if self.weight_decay and self.optimizer in NO_WEIGHT_DECAY_OPTIMIZERS:
            raise ConfigError(f"optimizer {self.optimizer!r} takes no weight_decay (torch's "
                              f"{OPTIMIZERS[self.optimizer].__name__} has none), got {self.weight_decay}")
        if self.nesterov and self.optimizer != "sgd":
            raise ConfigError(f"nesterov is for sgd only, got optimizer {self.optimizer!r}")
        if self.early_stopping and not self.val_fraction:
            raise ConfigError(f"early_stopping {self.early_stopping} watches the validation loss, but val_fraction "
                              "is 0: turn early stopping off (early_stopping = 0, --early-stopping 0) or keep a "
                              "validation split")
        if self.norm == "batch" and self.batch_size == 1:
            raise ConfigError(_BATCH_NORM_NEEDS + "a batch_size of 1 cannot do (BatchNorm1d refuses a batch of one "
                              "sample in training, as torch's); use a larger batch_size or norm 'layer'")


def check_config(cfg: RunConfig) -> None:
    """Raise what run() would raise for cfg before it trains (a ConfigError; an OutOfRangeError for a
    uniform init's bounds), without loading the data: the settings (validate()), the classes against
    the dataset's labels, the model against its image size and the loss, and the optimizer's
    hyperparameters. Only what depends on the data itself (whether a split would be empty, whether
    the files can be read) is left to run()."""
    cfg.validate()
    source = DATASETS[cfg.dataset]
    labels = np.arange(len(source.classes))
    if cfg.classes:
        data.class_subset((labels, labels), cfg.classes)
    n_classes = len(cfg.classes) if cfg.classes else len(labels)
    state = rng.get_state()  # building the model draws its initial weights
    try:
        model = build_model(cfg, math.prod(source.image_shape), n_classes)
        make_optimizer(cfg, model.parameters())
    finally:
        rng.set_state(state)


def load_splits(cfg: RunConfig) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Train/val/test (X float32 (N, 784), y int64) split and preprocessed as the config says."""
    source = DATASETS[cfg.dataset]
    train_set, test_set = (source(root=cfg.data_dir, train=flag) for flag in (True, False))
    splits = {"train": (train_set.data, train_set.targets), "test": (test_set.data, test_set.targets)}
    if cfg.classes:
        splits = {k: data.class_subset(v, cfg.classes) for k, v in splits.items()}
    gen = np.random.default_rng(cfg.seed)
    split = data.stratified_split if cfg.stratify else data.random_split
    if cfg.test_fraction is not None:
        pooled = tuple(np.concatenate(parts) for parts in zip(splits["train"], splits["test"]))
        splits["train"], splits["test"] = _split_off(split, pooled, "test_fraction", cfg.test_fraction, gen)
    x, y = splits["train"]
    if cfg.limit is not None and cfg.limit < len(y):
        keep = gen.permutation(len(y))[:cfg.limit]
        x, y = x[keep], y[keep]
    if cfg.val_fraction:
        (x, y), splits["val"] = _split_off(split, (x, y), "val_fraction", cfg.val_fraction, gen)
    splits["train"] = (x, y)
    return _preprocess(splits, cfg.preprocess)


def _split_off(split, arrays: tuple, setting: str, fraction: float, gen) -> list:
    """arrays split into the rest and a `fraction` share; ConfigError when either part would be empty."""
    parts = split(arrays, [1 - fraction, fraction], gen)
    sizes = [len(y) for _, y in parts]
    if 0 in sizes:
        held_out = "test" if setting == "test_fraction" else "validation"
        empty = "training" if sizes[0] == 0 else held_out
        raise ConfigError(f"{setting} {fraction:g} of {len(arrays[-1])} samples leaves the {empty} split empty "
                          f"({sizes[0]} training, {sizes[1]} {held_out}); use more samples (a larger limit) "
                          f"or another {setting}")
    return parts


def _preprocess(splits: dict, how: str) -> dict:
    flat = {k: (data.transforms.flatten(x), y) for k, (x, y) in splits.items()}
    if how == "standardize":
        scaler = data.transforms.Standardizer().fit(data.transforms.scale(flat["train"][0]))
        return {k: (scaler.transform(data.transforms.scale(x)), y) for k, (x, y) in flat.items()}
    bounds = (0.0, 1.0) if how == "scale01" else (-1.0, 1.0)
    return {k: (data.transforms.scale(x, to=bounds), y) for k, (x, y) in flat.items()}


def build_model(cfg: RunConfig, n_features: int, n_classes: int) -> models.MLP:
    """The configured MLP, its input and output sizes and output layer checked against the data and loss."""
    overrides = dict(activation=cfg.activation, output=cfg.output, init=cfg.init, dropout=cfg.dropout,
                     init_scale=cfg.init_scale, norm=cfg.norm)
    if cfg.layers is not None:
        overrides["sizes"] = list(cfg.layers)
    model = models.build(cfg.model, **overrides)
    sizes = model.sizes
    expected_out = 1 if cfg.loss in BINARY_LOSSES else n_classes
    if sizes[0] != n_features or sizes[-1] != expected_out:
        raise ConfigError(f"model sizes {sizes} do not fit the data: expected {n_features} inputs and "
                          f"{expected_out} outputs for loss {cfg.loss!r} on {n_classes} classes")
    check_output_layer(cfg.loss, model.output)
    return model


def check_output_layer(loss: str, output: str) -> None:
    """Raise unless the model's output layer gives what loss takes (logits, probabilities, ...)."""
    wanted = LOSS_OUTPUTS.get(loss)
    if wanted is not None and output not in wanted:
        raise ConfigError(f"loss {loss!r} expects the model output {' or '.join(map(repr, wanted))}, "
                          f"got output {output!r}; change the output layer or the loss (mse takes any)")


def fitting_loss(output: str, n_outputs: int) -> str:
    """The loss that suits a model's output layer: BCE for one output (on logits unless sigmoid),
    else cross-entropy on logits, NLL on log-probabilities, MSE on probabilities."""
    if n_outputs == 1:
        return "bce" if output == "sigmoid" else "bce_with_logits"
    return {"none": "cross_entropy", "log_softmax": "nll"}.get(output, "mse")


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
    """The configured optimizer over params."""
    kwargs = {"lr": cfg.lr}
    if cfg.optimizer not in NO_WEIGHT_DECAY_OPTIMIZERS:
        kwargs["weight_decay"] = cfg.weight_decay
    if cfg.optimizer in MOMENTUM_OPTIMIZERS:
        kwargs["momentum"] = cfg.momentum
    if cfg.optimizer == "sgd":
        kwargs["nesterov"] = cfg.nesterov
    return OPTIMIZERS[cfg.optimizer](params, **kwargs)


def make_scheduler(cfg: RunConfig, optimizer, steps: int):
    """The configured learning-rate schedule over `steps` scheduler steps (epochs or evaluations), or None."""
    if cfg.scheduler == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    if cfg.scheduler == "step":
        return optim.lr_scheduler.StepLR(optimizer, step_size=cfg.lr_step, gamma=cfg.lr_gamma)
    return None


class IterationLoader:
    """A fixed number of minibatch steps drawn from a DataLoader, reshuffled at each of its epochs and
    cut into passes of `every` steps, so that fit() validates (and logs) every `every` steps."""

    def __init__(self, loader: data.DataLoader, iterations: int, every: int):
        self.loader = loader
        self.passes = [every] * (iterations // every) + ([iterations % every] if iterations % every else [])
        self.done = 0
        self._batches = None

    def __len__(self) -> int:
        return self.passes[min(self.done, len(self.passes) - 1)]

    def __iter__(self):
        steps = len(self)
        self.done += 1
        for _ in range(steps):
            batch = next(self._batches, None) if self._batches is not None else None
            if batch is None:
                self._batches = iter(self.loader)
                batch = next(self._batches)
            yield batch


def train_loader(cfg: RunConfig, split: tuple[np.ndarray, np.ndarray]) -> data.DataLoader:
    """The training split in batches of cfg.batch_size, shuffled each epoch (the whole split unshuffled for
    'full'). With batch norm, a last batch of one sample, which BatchNorm1d cannot train on, is left out
    (drop_last, as torch users do; a different sample each epoch); a split of one sample is a ConfigError."""
    n = len(split[1])
    if cfg.norm == "batch" and n == 1:
        raise ConfigError(_BATCH_NORM_NEEDS + "the training split of 1 sample cannot do (BatchNorm1d refuses a "
                          "batch of one sample in training, as torch's); use more samples (a larger limit or a "
                          "smaller val_fraction) or norm 'layer'")
    full_batch = cfg.batch_size == "full"
    size = n if full_batch else cfg.batch_size
    return data.DataLoader(split, batch_size=size, shuffle=not full_batch,
                           drop_last=cfg.norm == "batch" and n % size == 1)


def saved_settings(run: dict) -> dict:
    """A run configuration saved by this or an older version, without the settings that older
    versions saved but ignored and that are refused now: the preset beside layers (experiment
    runs saved model 'default'), early stopping without a validation split, momentum for an
    optimizer without it, and nesterov for one other than sgd; with early stopping 0 saved as
    RunConfig holds it, None; and with norm None for a run saved before norm existed."""
    run = dict(run)
    if run.get("layers") is not None:
        run["model"] = None
    if run.get("val_fraction") == 0 or run.get("early_stopping") == 0:
        run["early_stopping"] = None
    if run.get("optimizer") not in MOMENTUM_OPTIMIZERS:
        run["momentum"] = 0.0
    if run.get("optimizer") != "sgd":
        run["nesterov"] = False
    run.setdefault("norm", None)  # absent from runs older than the setting
    return run


def run(cfg: RunConfig, out: str | None = None, resume: str | None = None, progress: bool | None = None,
        plots: bool = True, replace: bool = False) -> dict:
    """Train and test one config; with out, write the run folder. Returns the metrics dict.
    replace: out holds an earlier run, whose files are deleted once the data are loaded and the
    model is built, so that a mistake found there leaves that run as it was."""
    cfg.validate()
    if resume is not None and cfg.iterations is not None:
        raise ConfigError(RESUME_ITERATIONS)
    if out and plots:
        require_matplotlib("plots=False")
    began = time.perf_counter()
    rng.manual_seed(cfg.seed)
    splits = load_splits(cfg)
    n_classes = len(cfg.classes) if cfg.classes else 10
    model = build_model(cfg, splits["train"][0].shape[1], n_classes)
    loss_fn = make_loss(cfg.loss, n_classes)
    optimizer = make_optimizer(cfg, model.parameters())
    loader = train_loader(cfg, splits["train"])
    passes = cfg.epochs
    if cfg.iterations is not None:
        loader = IterationLoader(loader, cfg.iterations, cfg.eval_every or DEFAULT_EVAL_EVERY)
        passes = len(loader.passes)
    scheduler = make_scheduler(cfg, optimizer, passes)
    val_loader = data.DataLoader(splits["val"], batch_size=1000) if "val" in splits else None
    callbacks = [train.EarlyStopping("val_loss", patience=cfg.early_stopping)] if cfg.early_stopping and val_loader else []
    checkpoint = os.path.join(out, "checkpoint.npz") if out else None
    config = {"run": dataclasses.asdict(cfg), "model": model.config()}
    if out and replace:
        remove_run_files(out)
    history = train.fit(model, loss_fn, optimizer, loader, val_loader, passes, callbacks, scheduler=scheduler,
                        checkpoint=checkpoint, resume=resume, progress=progress, config=config)
    final = {name: train.evaluate(model, data.DataLoader(split, batch_size=1000), loss_fn)
             for name, split in splits.items()}
    result = _metrics(cfg, history, final, n_classes, time.perf_counter() - began)
    if out:
        if checkpoint:  # the final weights (early stopping may have restored the best ones)
            train.save_checkpoint(checkpoint, model, optimizer, len(history), history, scheduler, callbacks,
                                  loader, config)
        # What a resumed run wrote before, or an evaluation of its earlier checkpoint, is out of date now.
        remove_run_files(out, tuple(name for name in RUN_FILES + EVALUATION_FILES if name != "checkpoint.npz"))
        write_run_folder(out, result, history, final["test"], splits["test"][0], n_classes, plots,
                         probabilities=model.output == "softmax")
    return result


def evaluation_scores(test: dict, n_classes: int) -> dict:
    """Test accuracy and loss, and macro precision, recall and F1, of a train.evaluate() result."""
    p, r, f1, _ = metrics.precision_recall_fscore_support(test["targets"], test["predictions"],
                                                          labels=list(range(n_classes)), average="macro")
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"], "macro_f1": float(f1),
            "macro_precision": float(p), "macro_recall": float(r)}


def _metrics(cfg: RunConfig, history: train.History, final: dict, n_classes: int, seconds: float) -> dict:
    """The run's numbers: final train/val/test accuracy and loss (eval mode, final weights), macro scores."""
    val = [v for v in history["val_acc"] if v == v]
    result = {**evaluation_scores(final["test"], n_classes),
              "best_val_accuracy": max(val) if val else None, "final_train_accuracy": history["train_acc"][-1],
              "epochs": len(history), "seconds": seconds}
    if cfg.iterations is not None:
        result["iterations"] = min(len(history) * (cfg.eval_every or DEFAULT_EVAL_EVERY), cfg.iterations)
    for name in ("train", "val", "test"):
        result[f"{name}_size"] = len(final[name]["targets"]) if name in final else 0
        if name != "test":
            result[f"{name}_accuracy"] = final[name]["accuracy"] if name in final else None
            result[f"{name}_loss"] = final[name]["loss"] if name in final else None
    result["config"] = dataclasses.asdict(cfg)
    return result


def write_run_folder(out: str, result: dict, history: train.History, test: dict, test_images: np.ndarray,
                     n_classes: int, plots: bool = True, probabilities: bool = False) -> None:
    """history.csv (and curves.png), then the test files of write_test_files (checkpoint is written by fit)."""
    os.makedirs(out, exist_ok=True)
    history.to_csv(os.path.join(out, "history.csv"))
    if plots:
        from . import plots as P
        P.plot_history(history.data, os.path.join(out, "curves.png"))
    write_test_files(out, result, test, test_images, n_classes, plots, probabilities)


def write_test_files(out: str, result: dict, test: dict, test_images: np.ndarray, n_classes: int,
                     plots: bool = True, probabilities: bool = False, prefix: str = "") -> None:
    """metrics.json, classification_report.txt and the test plots (confusion_matrix.png, predictions.png,
    pr_curves.png for more than two classes), each name preceded by prefix.
    probabilities: the model's outputs are already class probabilities (a softmax output layer)."""
    os.makedirs(out, exist_ok=True)

    def path(name: str) -> str:
        return os.path.join(out, prefix + name)
    atomic_write(path("metrics.json"), (json.dumps(result, indent=2) + "\n").encode())
    labels = list(range(n_classes))
    report = metrics.classification_report(test["targets"], test["predictions"], labels=labels, digits=4)
    atomic_write(path("classification_report.txt"), (report + "\n").encode())
    if plots:
        from . import plots as P
        P.plot_confusion_matrix(metrics.confusion_matrix(test["targets"], test["predictions"], labels=labels),
                                path("confusion_matrix.png"))
        P.plot_predictions(test_images[:25], test["targets"][:25], test["predictions"][:25],
                           path("predictions.png"))
        if n_classes > 2 and test["outputs"].shape[1] == n_classes:
            scores = test["outputs"] if probabilities else _softmax(test["outputs"])
            P.plot_pr_curves(test["targets"], scores, path("pr_curves.png"))


def remove_run_files(folder: str, names: tuple[str, ...] = RUN_FILES + EVALUATION_FILES) -> None:
    """Delete the files of an earlier run and its evaluation (or the given names) from folder, so that
    what is written next is not mixed with them; other files stay."""
    for name in names:
        if os.path.isfile(os.path.join(folder, name)):
            os.remove(os.path.join(folder, name))


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)
