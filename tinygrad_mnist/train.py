"""The training loop: fit(), History, EarlyStopping, and atomic .npz checkpoints that resume exactly."""
from __future__ import annotations

import importlib
import math
import numbers
import reprlib
import sys
import time
from typing import Callable, Iterable

import numpy as np

from . import autograd, nn, rng
from .errors import ConfigError, DataError, DTypeError, MissingToolError, TrainingError
from .optim import Optimizer
from .optim.lr_scheduler import OneCycleLR, ReduceLROnPlateau
from .serialization import atomic_write, load_state, save_state
from .tensor import Tensor

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds")


class History:
    """Per-epoch train/val loss and accuracy, learning rate and seconds, as lists (NaN when absent)."""

    def __init__(self, data: dict | None = None):
        self.data = {k: list((data or {}).get(k, [])) for k in HISTORY_KEYS}

    def append(self, **row) -> None:
        for k in HISTORY_KEYS:
            self.data[k].append(row.get(k, math.nan))

    def __getitem__(self, key: str) -> list:
        return self.data[key]

    def __len__(self) -> int:
        return len(self.data["epoch"])

    def to_csv(self, path: str) -> str:
        """Write one row per epoch (atomically) and return the path."""
        lines = [",".join(HISTORY_KEYS)]
        lines += [",".join(_fmt(self.data[k][i]) for k in HISTORY_KEYS) for i in range(len(self))]
        return atomic_write(path, ("\n".join(lines) + "\n").encode())


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _is_array_table(value) -> bool:
    return isinstance(value, dict) and all(isinstance(v, np.ndarray) for v in value.values())


def _fmt(value) -> str:
    """A cell: empty for a missing value; str(), not repr(), so NumPy scalars read 0.01, not np.float32(0.01)."""
    return "" if value is None or math.isnan(value) else str(value)


class EarlyStopping:
    """Stop when `monitor` has not improved by min_delta for `patience` epochs; optionally put the
    best weights back (as Keras' EarlyStopping, which the seeds used with patience 3)."""

    def __init__(self, monitor: str = "val_loss", patience: int = 3, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True):
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        if mode not in ("min", "max"):
            raise ConfigError(f"EarlyStopping: mode must be 'min', 'max' or 'auto', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ConfigError(f"EarlyStopping: patience must be an integer >= 0, got {patience!r}")
        self.monitor, self.patience, self.min_delta, self.mode = monitor, patience, abs(min_delta), mode
        self.restore_best_weights = restore_best_weights
        self.on_train_begin()

    def improved(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta

    def on_train_begin(self) -> None:
        """Forget an earlier training run (fit calls it unless it resumes)."""
        self.best, self.best_epoch, self.wait, self.best_weights = None, None, 0, None
        self.stopped_epoch = None

    def on_epoch_end(self, epoch: int, logs: dict, model: nn.Module) -> bool:
        """Record this epoch; return True when training should stop."""
        if self.monitor not in logs or logs[self.monitor] is None or math.isnan(logs[self.monitor]):
            raise ConfigError(f"EarlyStopping: monitored value {self.monitor!r} is not available; "
                              f"logged keys: {sorted(k for k, v in logs.items() if not _isnan(v))}")
        value = logs[self.monitor]
        if self.improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: v.copy() for k, v in model.state_dict().items()}
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model: nn.Module) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "best_weights": dict(self.best_weights) if self.best_weights is not None else None,
                "stopped_epoch": self.stopped_epoch}

    # What each entry of the state holds (None too, except for wait); stopped_epoch is absent from
    # checkpoints older than the field.
    STATE_KINDS = {"best": ("a number", _is_number), "best_epoch": ("an integer", _is_int),
                   "wait": ("an integer", _is_int), "best_weights": ("a table of arrays", _is_array_table),
                   "stopped_epoch": ("an integer", _is_int)}

    def load_state_dict(self, state: dict) -> None:
        required = [name for name in self.STATE_KINDS if name != "stopped_epoch"]
        missing = [name for name in required if name not in state] if isinstance(state, dict) else required
        if missing:
            raise DataError(f"EarlyStopping: the state has no {', '.join(missing)} (another callback's state?)")
        for name, (kind, check) in self.STATE_KINDS.items():
            value = state.get(name)
            if not (check(value) or (value is None and name != "wait")):
                raise DataError(f"EarlyStopping: {name} must be {kind}{'' if name == 'wait' else ' or none'}, "
                                f"got {reprlib.repr(value)}")
        self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
        self.best_weights = state["best_weights"]
        self.stopped_epoch = state.get("stopped_epoch")  # absent from checkpoints older than the field


def _isnan(v) -> bool:
    return isinstance(v, float) and math.isnan(v)


# ---- evaluation ---------------------------------------------------------------------------------

def default_predict(output: np.ndarray, probabilities: bool = False) -> np.ndarray:
    """Class predictions: argmax for several outputs; one output is a binary score, thresholded
    at 0.5 for probabilities and at 0 for logits."""
    if output.ndim == 2 and output.shape[1] > 1:
        return output.argmax(axis=1)
    return (output.reshape(len(output)) > (0.5 if probabilities else 0.0)).astype(np.int64)


def _outputs_probabilities(model: nn.Module, loss_fn) -> bool:
    """Whether the model's outputs are probabilities rather than logits: its last layer is a
    sigmoid (models.MLP's output='sigmoid', or an nn.Sigmoid ending a Sequential), or its loss
    takes probabilities (BCELoss)."""
    last = model[-1] if isinstance(model, nn.Sequential) and len(model) else None
    if getattr(model, "output", None) == "sigmoid" or isinstance(last, nn.Sigmoid):
        return True
    return getattr(loss_fn, "outputs_probabilities", isinstance(loss_fn, nn.BCELoss))


def _class_targets(targets: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """The class of each target, to score predictions against: class indices as they are, the
    most likely class of probability targets (a row per sample, like the outputs)."""
    if targets.dtype.kind == "f" and targets.ndim == 2 and targets.shape == outputs.shape and targets.shape[1] > 1:
        return targets.argmax(axis=1)
    return targets.reshape(len(targets)) if targets.ndim else targets


@autograd.no_grad()
def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable | None = None) -> dict:
    """Mean loss, accuracy, and the outputs, predictions and targets over a loader (eval mode)."""
    was_training = model.training
    model.eval()
    total, count, outputs, targets = 0.0, 0, [], []
    try:
        for x, y in loader:
            out = model(x)
            if loss_fn is not None:
                total += _sample_total(loss_fn(out, y), len(y), getattr(loss_fn, "reduction", "mean"), "evaluate")
            outputs.append(out.data)
            targets.append(y.data if isinstance(y, Tensor) else np.asarray(y))
            count += len(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise DataError("evaluate: the loader yielded no samples")
    outputs, targets = np.concatenate(outputs), np.concatenate(targets)
    predictions = default_predict(outputs, _outputs_probabilities(model, loss_fn))
    return {"loss": total / count if loss_fn is not None else math.nan,
            "accuracy": float((predictions == _class_targets(targets, outputs)).mean()),
            "outputs": outputs, "predictions": predictions, "targets": targets}


# ---- fit ----------------------------------------------------------------------------------------

def fit(model: nn.Module, loss_fn: Callable, optimizer, train_loader, val_loader=None, epochs: int = 10,
        callbacks: Iterable = (), scheduler=None, checkpoint: str | None = None, resume: str | None = None,
        progress: bool | None = None, config: dict | None = None, scheduler_interval: str | None = None) -> History:
    """Train for `epochs` epochs (or until a callback stops it) and return the History.

    loss_fn returns the batch's mean loss, or its sum when loss_fn.reduction is 'sum' (the
    History's losses are means over samples either way). scheduler steps after every epoch, or
    after every batch with scheduler_interval='batch' (the default for OneCycleLR, whose steps
    count batches, as in torch); ReduceLROnPlateau steps on the validation loss, or on the
    validation accuracy when its mode is 'max'. A callback has on_epoch_end(epoch, logs, model),
    which returns True to stop, and optionally on_train_begin(), on_train_end(model) and
    state_dict()/load_state_dict() (kept in checkpoints). checkpoint: path of an .npz written
    atomically after every epoch (model, optimizer, scheduler, callbacks, History, RNG state,
    config). resume: a checkpoint to continue from exactly where it stopped. progress: a tqdm
    bar per epoch (default: only on a terminal)."""
    callbacks = _checked_fit_args(optimizer, train_loader, epochs, callbacks, scheduler)
    if progress is None:  # bars on a terminal, where tqdm (the tools extra) is installed
        progress = sys.stderr.isatty() and _tqdm_installed()
    elif progress and not _tqdm_installed():
        raise MissingToolError("fit: progress=True needs tqdm, which cannot be imported; install it with "
                               "pip install 'tinygrad_mnist[tools]' (or pip install tqdm), or pass progress=False")
    batch_scheduler = scheduler if _interval(scheduler, scheduler_interval) == "batch" else None
    history, start = History(), 0
    if resume is not None:
        state = load_checkpoint(resume)
        _restore(resume, state, model, optimizer, scheduler, callbacks, train_loader)
        history, start = History(state["history"]), state["epoch"]
    else:
        for c in callbacks:  # a callback kept from an earlier fit starts afresh, as in Keras
            getattr(c, "on_train_begin", lambda: None)()
    probabilities = _outputs_probabilities(model, loss_fn)
    stop = any(getattr(c, "stopped_epoch", None) is not None for c in callbacks)
    for epoch in range(start + 1, epochs + 1):
        if stop:
            break
        began = time.perf_counter()
        train_loss, train_acc = _train_epoch(model, loss_fn, optimizer, train_loader, epoch, epochs,
                                             progress, probabilities, batch_scheduler)
        logs = {"epoch": epoch, "train_loss": train_loss, "train_acc": train_acc,
                "lr": optimizer.param_groups[0]["lr"]}
        if val_loader is not None:
            result = evaluate(model, val_loader, loss_fn)
            if not math.isfinite(result["loss"]):
                raise TrainingError(f"the validation loss became {result['loss']} in epoch {epoch}; training "
                                    "stopped. Lower the learning rate or check the inputs for NaN; the last "
                                    "checkpoint (if any) holds the last good epoch")
            logs.update(val_loss=result["loss"], val_acc=result["accuracy"])
        if scheduler is not None and batch_scheduler is None:
            _step_scheduler(scheduler, logs)
        stop = any([c.on_epoch_end(epoch, logs, model) for c in callbacks])  # every callback sees the epoch
        logs["seconds"] = time.perf_counter() - began
        history.append(**logs)
        if checkpoint is not None:
            save_checkpoint(checkpoint, model, optimizer, epoch, history, scheduler, callbacks,
                            train_loader, config)
    for c in callbacks:
        getattr(c, "on_train_end", lambda model: None)(model)
    return history


def _checked_fit_args(optimizer, train_loader, epochs, callbacks, scheduler) -> list:
    """fit's arguments that would otherwise fail later, or not at all; the callbacks as a list."""
    if not isinstance(optimizer, Optimizer):
        raise DTypeError(f"fit: optimizer must be a tinygrad_mnist.optim optimizer, got {type(optimizer).__name__}")
    if isinstance(train_loader, (tuple, np.ndarray, Tensor)):
        raise DTypeError("fit: train_loader must yield (x, y) batches; wrap arrays in "
                         "data.DataLoader((x, y), batch_size=...)")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ConfigError(f"fit: epochs must be an integer >= 0, got {epochs!r}")
    if hasattr(callbacks, "on_epoch_end"):
        raise DTypeError("fit: callbacks must be a list of callbacks; pass [callback]")
    callbacks = list(callbacks)
    for c in callbacks:
        if not callable(getattr(c, "on_epoch_end", None)):
            raise DTypeError(f"fit: a callback needs on_epoch_end(epoch, logs, model); {type(c).__name__} has none")
    if scheduler is not None and (isinstance(scheduler, Optimizer) or not callable(getattr(scheduler, "step", None))):
        raise DTypeError(f"fit: scheduler must be a learning-rate scheduler, got {type(scheduler).__name__}")
    return callbacks


def _interval(scheduler, interval: str | None) -> str | None:
    """When the scheduler steps: 'epoch' or 'batch' (OneCycleLR's default)."""
    if scheduler is None:
        return None
    if interval is None:
        return "batch" if isinstance(scheduler, OneCycleLR) else "epoch"
    if interval not in ("epoch", "batch"):
        raise ConfigError(f"fit: scheduler_interval must be 'epoch' or 'batch', got {interval!r}")
    if interval == "batch" and isinstance(scheduler, ReduceLROnPlateau):
        raise ConfigError("fit: ReduceLROnPlateau steps on a validation metric, so once per epoch")
    return interval


def _step_scheduler(scheduler, logs: dict) -> None:
    if not isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step()
        return
    metric = "val_acc" if scheduler.mode == "max" else "val_loss"
    if metric not in logs:
        watched = "accuracy" if metric == "val_acc" else "loss"
        raise ConfigError(f"ReduceLROnPlateau steps on the validation {watched}: give fit() a val_loader")
    scheduler.step(logs[metric])


def _sample_total(loss: Tensor, n: int, reduction: str, caller: str) -> float:
    """The batch's summed loss over its n samples, from what loss_fn returned."""
    if loss.data.size != 1:
        raise ConfigError(f"{caller}: loss_fn must return one number per batch (reduction 'mean' or 'sum'), "
                          f"got shape {loss.shape}")
    value = loss.item()
    return value if reduction == "sum" else value * n


def _train_epoch(model, loss_fn, optimizer, loader, epoch, epochs, progress, probabilities, batch_scheduler):
    model.train()
    total, correct, count = 0.0, 0, 0
    reduction = getattr(loss_fn, "reduction", "mean")
    bar = _progress_bar(loader, epoch, epochs) if progress else None
    for batch, (x, y) in enumerate(bar if bar is not None else loader, 1):
        out = model(x)
        loss = loss_fn(out, y)
        n = len(y)
        batch_total = _sample_total(loss, n, reduction, "fit")
        value = batch_total / n
        if not math.isfinite(value):
            raise TrainingError(f"the loss became {value} in epoch {epoch} (batch {batch}); "
                                "training stopped. Lower the learning rate or check the inputs for NaN; "
                                "the last checkpoint (if any) holds the last good epoch")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        total += batch_total
        targets = y.data if isinstance(y, Tensor) else np.asarray(y)
        correct += int((default_predict(out.data, probabilities) == _class_targets(targets, out.data)).sum())
        count += n
        if bar is not None:
            bar.set_postfix(loss=f"{total / count:.4f}", acc=f"{correct / count:.4f}", refresh=False)
    if bar is not None:
        bar.close()
    if count == 0:
        raise DataError("fit: the training loader yielded no samples")
    return total / count, correct / count


def _tqdm_installed() -> bool:
    try:
        importlib.import_module("tqdm")
    except ImportError:
        return False
    return True


def _progress_bar(loader, epoch: int, epochs: int):
    from tqdm import tqdm
    return tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False, dynamic_ncols=True)


# ---- checkpoints --------------------------------------------------------------------------------

CHECKPOINT_KEYS = ("format", "epoch", "config", "model", "optimizer", "scheduler", "callbacks", "history", "rng")


def save_checkpoint(path: str, model: nn.Module, optimizer=None, epoch: int = 0, history: History | None = None,
                    scheduler=None, callbacks: Iterable = (), loader=None, config: dict | None = None) -> str:
    """Everything needed to resume, in one .npz (no pickle), written atomically."""
    state = {
        "format": 1, "epoch": epoch, "config": config or {},
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "callbacks": [c.state_dict() if hasattr(c, "state_dict") else {} for c in callbacks],
        "callback_classes": [type(c).__name__ for c in callbacks],
        "optimizer_class": type(optimizer).__name__ if optimizer is not None else None,
        "history": (history or History()).data,
        "rng": rng.get_state(),
        "loader_rng": loader.generator.bit_generator.state if getattr(loader, "generator", None) is not None else None,
    }
    return save_state(path, state)


def _is_history(value) -> bool:
    return (isinstance(value, dict) and all(isinstance(value.get(k), list) for k in HISTORY_KEYS)
            and len({len(value[k]) for k in HISTORY_KEYS}) == 1
            and all(v is None or _is_number(v) for k in HISTORY_KEYS for v in value[k]))


def _is_rng_state(value, kind: type | None = None) -> bool:
    """Whether value is a state that numpy's bit generator `kind` (by default, the one it names) takes."""
    if kind is None and isinstance(value, dict):
        kind = getattr(np.random, str(value.get("bit_generator")), None)
    if not (isinstance(kind, type) and issubclass(kind, np.random.BitGenerator)):
        return False
    try:
        kind().state = value
    except (KeyError, NotImplementedError, TypeError, ValueError):  # NotImplementedError: the base class
        return False
    return True


def _or_none(check: Callable) -> Callable:
    return lambda value: value is None or check(value)


# What each checkpoint field holds, as load_checkpoint checks it; the last three are absent from checkpoints
# older than them.
CHECKPOINT_FIELDS = {
    "epoch": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
    "config": ("a table", lambda v: isinstance(v, dict)),
    "model": ("a table of arrays", _is_array_table),
    "optimizer": ("a table or none", _or_none(lambda v: isinstance(v, dict))),
    "scheduler": ("a table or none", _or_none(lambda v: isinstance(v, dict))),
    "callbacks": ("a list of tables", lambda v: isinstance(v, list) and all(isinstance(c, dict) for c in v)),
    "history": (f"a table of equally long lists of numbers under {', '.join(HISTORY_KEYS)}", _is_history),
    "rng": ("a PCG64 random generator state", lambda v: _is_rng_state(v, np.random.PCG64)),
    "loader_rng": ("a random generator state or none", _or_none(_is_rng_state)),
    "optimizer_class": ("a string or none", _or_none(lambda v: isinstance(v, str))),
    "callback_classes": ("a list of strings or none",
                         _or_none(lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v))),
}


def load_checkpoint(path: str) -> dict:
    """Read a checkpoint written by save_checkpoint (allow_pickle=False); a damaged file, or a field
    of the wrong structure, raises DataError naming the file and the field."""
    state = load_state(path)
    if not isinstance(state, dict) or state.get("format") != 1:
        raise DataError(f"checkpoint {path}: not a tinygrad_mnist checkpoint")
    missing = [key for key in CHECKPOINT_KEYS if key not in state]
    if missing:
        raise DataError(f"checkpoint {path}: damaged or incomplete, it has no {', '.join(missing)}")
    for name, (kind, check) in CHECKPOINT_FIELDS.items():
        if not check(state.get(name)):
            raise DataError(f"checkpoint {path}: damaged, {name} must be {kind}, got {reprlib.repr(state[name])}")
    return state


def _restore(path: str, state: dict, model, optimizer, scheduler, callbacks, loader) -> None:
    saved_class = state.get("optimizer_class")  # absent from checkpoints older than the field
    if optimizer is not None and saved_class is not None and saved_class != type(optimizer).__name__:
        raise ConfigError(f"resume: the checkpoint's optimizer is {saved_class}, this one is "
                          f"{type(optimizer).__name__}; resume with the same optimizer")
    saved_rng, generator = state.get("loader_rng"), getattr(loader, "generator", None)
    if saved_rng is not None and generator is not None and not _is_rng_state(saved_rng, type(generator.bit_generator)):
        raise ConfigError(f"resume: the checkpoint {path} holds the state of the loader's "
                          f"{saved_rng['bit_generator']} generator, this loader's is a "
                          f"{type(generator.bit_generator).__name__}; resume with the same kind of generator")
    _restore_callbacks(path, state, callbacks)  # before any state is loaded, as it refuses other callbacks
    model.load_state_dict(state["model"])
    if optimizer is not None and state["optimizer"] is not None:
        try:
            optimizer.load_state_dict(state["optimizer"])
        except DataError as err:
            raise DataError(f"checkpoint {path}: damaged optimizer state: {err}") from None
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    rng.set_state(state["rng"])
    if saved_rng is not None and generator is not None:
        generator.bit_generator.state = saved_rng


def _restore_callbacks(path: str, state: dict, callbacks: list) -> None:
    """Each callback's saved state, matched by position; other callbacks than the saved ones are refused."""
    names = [type(c).__name__ for c in callbacks]
    saved_names = state.get("callback_classes")  # absent from checkpoints older than the field
    given = ", ".join(names) or "none"
    if saved_names is not None and saved_names != names:
        raise ConfigError(f"resume: the checkpoint {path} was saved with the callbacks "
                          f"{', '.join(saved_names) or 'none'}, these are {given}; resume with the same callbacks, "
                          "in the same order")
    if len(state["callbacks"]) != len(callbacks):
        raise ConfigError(f"resume: the checkpoint {path} holds the state of {len(state['callbacks'])} callbacks, "
                          f"fit was given {given}; resume with the same callbacks, in the same order")
    for i, (c, saved) in enumerate(zip(callbacks, state["callbacks"]), 1):
        if hasattr(c, "load_state_dict"):
            try:
                c.load_state_dict(saved)
            except DataError as err:
                raise DataError(f"checkpoint {path}: callback {i} cannot take its saved state: {err}") from None
