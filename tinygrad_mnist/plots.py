"""PNG figures for a training run: learning curves, confusion matrix, sample predictions, PR curves.

matplotlib is imported inside each function (so `import tinygrad_mnist` stays light) and drawn with
its Agg canvas directly, never through pyplot, so no GUI backend or global figure state is touched.
Each function writes its PNG to a temporary name, renames it onto `path`, and returns `path`.
The image size in pixels is the figure size in inches (given in each docstring) times `dpi`.
"""
from __future__ import annotations

import importlib
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from . import metrics
from .errors import MissingToolError, ShapeError
from .promotion import _values
from .serialization import atomic_file

def require_matplotlib(skip: str) -> None:
    """Fail now, before any work, if the plots drawn at the end of it cannot be: skip names how to
    go without them (e.g. --no-plots)."""
    try:
        importlib.import_module("matplotlib")
    except ImportError as err:
        raise MissingToolError(f"the plots need matplotlib, which cannot be imported ({err}); install it with "
                               "pip install 'tinygrad_mnist[tools]' (or pip install matplotlib), or give "
                               f"{skip} to skip the plots") from None


CORRECT_COLOR, WRONG_COLOR = "#1a7f37", "#d1242f"
# Spellings accepted for each learning curve; the first is the canonical one.
HISTORY_KEYS = {
    "train_loss": ("train_loss", "loss"),
    "val_loss": ("val_loss",),
    "train_acc": ("train_acc", "train_accuracy", "acc", "accuracy"),
    "val_acc": ("val_acc", "val_accuracy"),
}


def _new_figure(width: float, height: float, dpi: int):
    """A Figure bound to an Agg canvas (no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: str | os.PathLike) -> Path:
    """Write fig as PNG to a temporary file next to path, then rename it onto path."""
    with atomic_file(path) as f:
        fig.savefig(f, format="png", dpi=fig.dpi)
    return Path(path)


# ---- learning curves -----------------------------------------------------------------------------

def _history_series(history: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(epoch numbers, the per-epoch curves under their canonical names) from a mapping, an object
    indexable by key (train.History) or an object with attributes; all-missing curves are dropped."""
    def lookup(name: str):
        try:
            return history[name]
        except (KeyError, IndexError, TypeError):
            return getattr(history, name, None)

    series = {}
    for canonical, spellings in HISTORY_KEYS.items():
        values = next((v for v in map(lookup, spellings) if v is not None), [])
        values = np.array([np.nan if v is None else float(v) for v in values])
        if not np.all(np.isnan(values)):
            series[canonical] = values
    n_epochs = max(map(len, series.values()), default=0)
    epochs = lookup("epoch")
    epochs = np.array([] if epochs is None else epochs, dtype=float)
    if len(epochs) != n_epochs:
        epochs = np.arange(1, n_epochs + 1, dtype=float)
    return epochs, series


def plot_history(history: Mapping[str, Sequence[float]] | Any, path: str | os.PathLike,
                 title: str = "Training history", dpi: int = 100) -> Path:
    """Loss (left) and accuracy (right) per epoch, train vs validation; 11 x 4.5 inches.

    history is a train.History, a mapping of per-epoch lists, or an object with those lists as
    attributes: 'train_loss', 'val_loss', 'train_acc', 'val_acc' (also accepted: 'loss',
    'train_accuracy'/'accuracy'/'acc', 'val_accuracy'), and optionally 'epoch' for the x axis
    (default 1, 2, ...). Missing, empty or all-NaN curves are left out; None or NaN entries (an
    epoch without validation) are gaps. Accuracy is a fraction in [0, 1]."""
    epochs, series = _history_series(history)
    if "train_loss" not in series and "val_loss" not in series:
        found = sorted(history) if isinstance(history, Mapping) else type(history).__name__
        raise ValueError(f"plot_history: history has no 'train_loss' or 'val_loss' values (got {found})")
    fig = _new_figure(11, 4.5, dpi)
    loss_ax, acc_ax = fig.subplots(1, 2)
    for ax, kind, label in ((loss_ax, "loss", "Loss"), (acc_ax, "acc", "Accuracy")):
        for split, style, name in (("train", "-o", "train"), ("val", "--s", "validation")):
            values = series.get(f"{split}_{kind}")
            if values is not None:
                ax.plot(epochs[:len(values)], values, style, markersize=4, label=name)
        if ax is loss_ax and "val_loss" in series:
            best = epochs[int(np.nanargmin(series["val_loss"]))]
            ax.axvline(best, color="grey", linestyle=":", label=f"best validation (epoch {best:g})")
        ax.set(title=label, xlabel="Epoch", ylabel=label)
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.lines:
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no accuracy recorded", ha="center", va="center", transform=ax.transAxes)
    fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path)


# ---- confusion matrix ----------------------------------------------------------------------------

def plot_confusion_matrix(cm: Any, path: str | os.PathLike, class_names: Sequence[str] | None = None,
                          title: str = "Confusion matrix", dpi: int = 100) -> Path:
    """Heatmap of a confusion matrix (rows true, columns predicted) with the count in every cell;
    7.5 x 6.5 inches. Counts get an accuracy line in the title; a normalized (float) matrix is
    shown as fractions. class_names defaults to 0..C-1."""
    cm = _values(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.size == 0:
        raise ShapeError(f"plot_confusion_matrix: cm must be a square (C, C) matrix, got shape {cm.shape}")
    n = cm.shape[0]
    names = [str(i) for i in range(n)] if class_names is None else [str(c) for c in class_names]
    if len(names) != n:
        raise ShapeError(f"plot_confusion_matrix: class_names has {len(names)} names for a "
                         f"{cm.shape} matrix; pass one name per class")
    fig = _new_figure(7.5, 6.5, dpi)
    ax = fig.subplots()
    counts = cm.dtype.kind in "iub"
    image = ax.imshow(cm, cmap="Blues", vmin=0)
    fig.colorbar(image, ax=ax, label="samples" if counts else "fraction")
    threshold = cm.max() / 2
    font_size = 10 if n <= 10 else max(5, 100 // n)
    for (i, j), value in np.ndenumerate(cm):
        ax.text(j, i, f"{value:d}" if counts else f"{value:.2f}", ha="center", va="center",
                fontsize=font_size, color="white" if value > threshold else "black")
    long_names = max(map(len, names)) > 3
    ax.set_xticks(range(n), names, rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(n), names)
    if counts and cm.sum() > 0:
        title += f"\n{np.trace(cm)} of {cm.sum()} correct ({np.trace(cm) / cm.sum():.2%})"
    ax.set(title=title, xlabel="Predicted label", ylabel="True label")
    fig.tight_layout()
    return _save(fig, path)


# ---- sample predictions --------------------------------------------------------------------------

def _as_square_images(images: Any) -> np.ndarray:
    """(N, H, W) images from (N, H, W), (N, 1, H, W) or flattened square (N, H*W)."""
    arr = _values(images, np.float64)
    if arr.ndim == 4 and arr.shape[1] == 1:
        return arr[:, 0]
    if arr.ndim == 3:
        return arr
    if arr.ndim == 2 and math.isqrt(arr.shape[1]) ** 2 == arr.shape[1]:
        side = math.isqrt(arr.shape[1])
        return arr.reshape(len(arr), side, side)
    raise ShapeError(f"plot_predictions: images must be (N, 28, 28), (N, 1, 28, 28) or (N, 784) "
                     f"(any square size), got shape {arr.shape}")


def plot_predictions(images: Any, y_true: Any, y_pred: Any, path: str | os.PathLike,
                     class_names: Sequence[str] | None = None, max_images: int = 25, n_cols: int = 5,
                     dpi: int = 100) -> Path:
    """A grid of the first max_images images titled 'true X / pred Y'; wrong predictions get a red
    title and frame. The figure is n_cols * 1.6 inches wide and n_rows * 1.8 + 0.6 inches high."""
    imgs = _as_square_images(images)
    t, p = _values(y_true), _values(y_pred)
    if t.shape != (len(imgs),) or p.shape != (len(imgs),):
        raise ShapeError(f"plot_predictions: y_true and y_pred must be 1-D with one label per image, "
                         f"got images shape {np.shape(images)}, y_true shape {t.shape} and "
                         f"y_pred shape {p.shape}")
    if max_images < 1 or n_cols < 1 or len(imgs) == 0:
        raise ValueError(f"plot_predictions: need at least one image, max_images >= 1 and n_cols >= 1 "
                         f"(got {len(imgs)} images, max_images={max_images}, n_cols={n_cols})")
    shown = min(len(imgs), max_images)
    n_cols = min(n_cols, shown)
    n_rows = math.ceil(shown / n_cols)

    def name(label) -> str:
        return str(label) if class_names is None else str(class_names[int(label)])

    fig = _new_figure(n_cols * 1.6, n_rows * 1.8 + 0.6, dpi)
    axes = np.atleast_1d(fig.subplots(n_rows, n_cols)).ravel()
    for k, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= shown:
            ax.set_axis_off()
            continue
        ax.imshow(imgs[k], cmap="gray_r")
        wrong = t[k] != p[k]
        color = WRONG_COLOR if wrong else CORRECT_COLOR
        ax.set_title(f"true {name(t[k])}\npred {name(p[k])}", color=color, fontsize=9,
                     fontweight="bold" if wrong else "normal")
        for spine in ax.spines.values():
            spine.set(color=color if wrong else "lightgrey", linewidth=3 if wrong else 1)
    n_wrong = int(np.sum(t[:shown] != p[:shown]))
    fig.suptitle(f"Sample predictions: {n_wrong} of {shown} wrong (in red)")
    fig.tight_layout()
    return _save(fig, path)


# ---- precision-recall curves ---------------------------------------------------------------------

def plot_pr_curves(y_true: Any, scores: Any, path: str | os.PathLike, class_names: Sequence[str] | None = None,
                   title: str = "Precision-recall curves (one vs rest)", dpi: int = 100) -> Path:
    """One precision-recall curve per class (column of scores), its average precision in the
    legend; 8 x 6.5 inches. scores is (N, C): probabilities or any per-class scores."""
    curves = metrics.precision_recall_curve(y_true, scores)
    ap = metrics.average_precision(y_true, scores)
    names = [str(c) for c in curves] if class_names is None else [str(c) for c in class_names]
    if len(names) != len(curves):
        raise ShapeError(f"plot_pr_curves: class_names has {len(names)} names for scores shape "
                         f"{np.shape(scores)}; pass one name per column")
    fig = _new_figure(8, 6.5, dpi)
    ax = fig.subplots()
    for k, (curve, name, class_ap) in enumerate(zip(curves.values(), names, ap)):
        # the 10 default colours repeat past class 10, so later classes are dashed
        ax.plot(curve.recall, curve.precision, drawstyle="steps-post", color=f"C{k % 10}",
                linestyle="-" if k < 10 else "--", label=f"{name} (AP {class_ap:.3f})")
    ax.set(title=f"{title}\nmean average precision {ap.mean():.3f}", xlabel="Recall", ylabel="Precision",
           xlim=(0, 1), ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, ncols=2 if len(names) > 10 else 1, title="class")
    fig.tight_layout()
    return _save(fig, path)


# ---- experiment summaries ------------------------------------------------------------------------

def plot_accuracy_bars(names: Sequence[str], val_accuracy: Sequence[float], test_accuracy: Sequence[float],
                       path: str | os.PathLike, title: str = "", dpi: int = 100) -> Path:
    """Validation and test accuracy (fractions) of each named run as paired horizontal bars.
    Figure: 8 x (1.2 + 0.28 per run) inches."""
    fig = _new_figure(8, 1.2 + 0.28 * len(names), dpi)
    ax = fig.add_subplot()
    ys = range(len(names))
    for offset, values, label in ((-0.2, val_accuracy, "validation"), (0.2, test_accuracy, "test")):
        ax.barh([y + offset for y in ys], [100 * v for v in values], height=0.4, label=label)
    ax.set_yticks(list(ys), list(names), fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def plot_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], path: str | os.PathLike,
                xlabel: str, ylabel: str, dpi: int = 100) -> Path:
    """One line per name from its (x, y); the x axis turns logarithmic when the curves' lengths
    differ more than tenfold, so all stay visible. Figure: 10 x 5 inches."""
    fig = _new_figure(10, 5, dpi)
    ax = fig.add_subplot()
    for name, (x, y) in curves.items():
        ax.plot(x, y, label=name, linewidth=1)
    ends = [x[-1] for x, _ in curves.values() if len(x)]
    if ends and max(ends) > 10 * min(ends):
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1 + len(curves) // 30)
    fig.tight_layout()
    return _save(fig, path)


def plot_heatmap(values: Sequence[Sequence[float]], row_labels: Sequence[str], col_labels: Sequence[str],
                 path: str | os.PathLike, row_name: str = "", col_name: str = "", title: str = "",
                 dpi: int = 100) -> Path:
    """A table of numbers as a heatmap with each value written in its cell (NaN as a dash).
    Figure: (1.8 + 1.1 per column) x (1.4 + 0.6 per row) inches."""
    fig = _new_figure(1.8 + 1.1 * len(col_labels), 1.4 + 0.6 * len(row_labels), dpi)
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="viridis", aspect="auto")
    low, high = image.get_clim()
    for r, row in enumerate(values):
        for c, v in enumerate(row):
            bright = not math.isnan(v) and v > (low + high) / 2  # viridis is light at the top of its range
            ax.text(c, r, "—" if math.isnan(v) else f"{v:.1f}", ha="center", va="center",
                    color="black" if bright else "white", fontsize=8)
    ax.set_xticks(range(len(col_labels)), list(col_labels), fontsize=8)
    ax.set_yticks(range(len(row_labels)), list(row_labels), fontsize=8)
    ax.set_xlabel(col_name)
    ax.set_ylabel(row_name)
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return _save(fig, path)
