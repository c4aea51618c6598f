"""Classification and regression metrics on NumPy, with the same numbers as scikit-learn's.

Every function accepts NumPy arrays, lists, or Tensors (anything `np.asarray` takes). Class labels
are 1-D (integers, bools or strings); scores and probabilities are (n_samples, n_classes) with
column j belonging to class `labels[j]` (by default class j).

Differences from scikit-learn, on purpose:
- `precision_recall_fscore_support` defaults to `average=None` (per class), not 'binary'.
- `zero_division` takes 0.0 (scikit-learn's default value), 1.0 or nan; nothing is warned.
- Empty inputs are an error; `confusion_matrix` accepts `labels` none of which occur in y_true.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, NamedTuple

import numpy as np

from .errors import DTypeError, ShapeError
from .promotion import _values as _array

ArrayLike = Any  # np.ndarray, a (nested) list, or a tinygrad_mnist Tensor
AVERAGES = (None, "micro", "macro", "weighted")
REPORT_HEADERS = ("precision", "recall", "f1-score", "support")


class PRCurve(NamedTuple):
    """One precision-recall curve: recall decreasing to 0, the last point is (recall 0, precision 1);
    thresholds[i] is the score cut-off of point i (one fewer threshold than points)."""

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray


# ---- input checks ------------------------------------------------------------------------------


def _labels_1d(fn: str, name: str, values: ArrayLike) -> np.ndarray:
    """values as a 1-D array of class labels; scores, empty and non-integral floats are refused."""
    arr = _array(values)
    if arr.ndim != 1:
        hint = "; for scores or logits pass y.argmax(axis=1)" if arr.ndim == 2 else ""
        raise ShapeError(f"{fn}: {name} must be 1-D class labels, got shape {arr.shape}{hint}")
    if arr.size == 0:
        raise ShapeError(f"{fn}: {name} is empty (shape {arr.shape}); need at least one sample")
    if arr.dtype.kind not in "biuUSO" and not (arr.dtype.kind == "f" and np.all(np.isfinite(arr))
                                                and np.all(arr == np.round(arr))):
        raise DTypeError(f"{fn}: {name} must hold class labels (integers, bools or strings), got "
                         f"dtype {arr.dtype}" + (" with non-integer values" if arr.dtype.kind == "f" else ""))
    return arr


def _label_pair(fn: str, y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """y_true and y_pred as 1-D label arrays of the same length and a comparable kind."""
    t, p = _labels_1d(fn, "y_true", y_true), _labels_1d(fn, "y_pred", y_pred)
    if t.shape != p.shape:
        raise ShapeError(f"{fn}: y_true and y_pred must have the same length, got y_true shape "
                         f"{t.shape} and y_pred shape {p.shape}")
    if _is_text(t) != _is_text(p) or (t.dtype.kind == "S") != (p.dtype.kind == "S"):
        raise DTypeError(f"{fn}: y_true and y_pred mix label types (dtype {t.dtype} and {p.dtype}); "
                         f"use numbers for both, strings for both or bytes for both")
    return t, p


def _is_text(arr: np.ndarray) -> bool:
    return arr.dtype.kind in "USO"


def _resolve_labels(fn: str, labels: ArrayLike | None, *present: np.ndarray) -> np.ndarray:
    """The given labels (checked), or the sorted union of the labels present."""
    if labels is None:
        return np.unique(np.concatenate(present))
    arr = _array(labels)
    if arr.ndim != 1 or arr.size == 0:
        raise ShapeError(f"{fn}: labels must be a non-empty 1-D list of classes, got shape {arr.shape}")
    if present and _is_text(arr) != _is_text(present[0]):
        raise DTypeError(f"{fn}: labels (dtype {arr.dtype}) and y (dtype {present[0].dtype}) mix "
                         f"label types; use numbers for both or strings for both")
    if np.unique(arr).size != arr.size:
        raise ValueError(f"{fn}: labels must not repeat a class, got {arr.tolist()}")
    return arr


def _index_of(values: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Position of each value in labels, or -1 where the value is not one of the labels."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    pos = np.clip(np.searchsorted(sorted_labels, values), 0, len(labels) - 1)
    found = sorted_labels[pos] == values
    return np.where(found, order[pos], -1)


def _check_zero_division(fn: str, zero_division: float) -> float:
    value = float(zero_division) if isinstance(zero_division, numbers.Real) else None
    if value is None or not (value in (0.0, 1.0) or math.isnan(value)):
        raise ValueError(f"{fn}: zero_division must be 0.0, 1.0 or nan, got {zero_division!r}")
    return value


# ---- label metrics -----------------------------------------------------------------------------

def accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """The fraction of samples whose predicted label equals the true label."""
    t, p = _label_pair("accuracy", y_true, y_pred)
    return float(np.mean(t == p))


def confusion_matrix(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None) -> np.ndarray:
    """Counts C[i, j] of samples with true class labels[i] predicted as labels[j] (int64).

    labels defaults to the sorted classes found in y_true or y_pred; samples whose true or
    predicted class is not in labels are left out, as in scikit-learn."""
    t, p = _label_pair("confusion_matrix", y_true, y_pred)
    labels = _resolve_labels("confusion_matrix", labels, t, p)
    n = len(labels)
    ti, pi = _index_of(t, labels), _index_of(p, labels)
    kept = (ti >= 0) & (pi >= 0)
    return np.bincount(ti[kept] * n + pi[kept], minlength=n * n).reshape(n, n).astype(np.int64)


def _divide(num: np.ndarray, den: np.ndarray, zero_division: float) -> np.ndarray:
    out = np.full(num.shape, zero_division, dtype=np.float64)
    np.divide(num, den, out=out, where=den != 0)
    return out


def _nan_average(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted mean ignoring nans; all-zero weights fall back to the plain mean (as scikit-learn)."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is None or weights[keep].sum() == 0:
        return float(np.mean(values[keep]))
    return float(np.average(values[keep], weights=weights[keep]))


def precision_recall_fscore_support(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None,
                                    average: str | None = None, zero_division: float = 0.0) -> tuple:
    """Precision, recall, F1 and support (true count) per class, or averaged over the classes.

    average=None returns four arrays in the order of labels (default: sorted classes present);
    'macro' (unweighted mean), 'weighted' (mean weighted by support) or 'micro' (from the summed
    counts) return three floats and None for support. A ratio whose denominator is 0 (a class
    never predicted, or absent from y_true) is set to zero_division."""
    fn = "precision_recall_fscore_support"
    t, p = _label_pair(fn, y_true, y_pred)
    if average not in AVERAGES:
        raise ValueError(f"{fn}: average must be one of {AVERAGES}, got {average!r}")
    zero_division = _check_zero_division(fn, zero_division)
    labels = _resolve_labels(fn, labels, t, p)
    n = len(labels)
    ti, pi = _index_of(t, labels), _index_of(p, labels)
    true_sum = np.bincount(ti[ti >= 0], minlength=n)
    pred_sum = np.bincount(pi[pi >= 0], minlength=n)
    tp_sum = np.bincount(ti[(ti >= 0) & (t == p)], minlength=n)
    if average == "micro":
        tp_sum, pred_sum, true_sum = (np.array([s.sum()]) for s in (tp_sum, pred_sum, true_sum))
    precision = _divide(tp_sum, pred_sum, zero_division)
    recall = _divide(tp_sum, true_sum, zero_division)
    f1 = _divide(2 * tp_sum, true_sum + pred_sum, zero_division)
    if average is None:
        return precision, recall, f1, true_sum.astype(np.int64)
    weights = true_sum if average == "weighted" else None
    return _nan_average(precision, weights), _nan_average(recall, weights), _nan_average(f1, weights), None


def classification_report(y_true: ArrayLike, y_pred: ArrayLike, labels: ArrayLike | None = None,
                          target_names: list[str] | None = None, digits: int = 2,
                          output_dict: bool = False, zero_division: float = 0.0) -> str | dict:
    """scikit-learn's classification_report: a text table (or a dict) of per-class precision,
    recall, F1 and support, then accuracy (or 'micro avg' when labels leave classes out),
    'macro avg' and 'weighted avg'."""
    fn = "classification_report"
    t, p = _label_pair(fn, y_true, y_pred)
    labels_given = labels is not None
    labels = _resolve_labels(fn, labels, t, p)
    if target_names is None:
        target_names = [str(label) for label in labels]
    elif len(target_names) != len(labels):
        raise ShapeError(f"{fn}: target_names has {len(target_names)} names but there are "
                         f"{len(labels)} classes ({labels.tolist()}); pass one name per class")
    present = np.unique(np.concatenate([t, p]))
    micro_is_accuracy = not labels_given or set(present.tolist()) <= set(labels.tolist())

    per_class = precision_recall_fscore_support(t, p, labels=labels, zero_division=zero_division)
    rows = [(str(name), *values) for name, *values in zip(target_names, *per_class)]
    total = int(per_class[3].sum())
    averages = []
    for average in ("micro", "macro", "weighted"):
        heading = "accuracy" if average == "micro" and micro_is_accuracy else f"{average} avg"
        prf = precision_recall_fscore_support(t, p, labels=labels, average=average, zero_division=zero_division)
        averages.append((heading, *prf[:3], total))

    if output_dict:
        report = {row[0]: dict(zip(REPORT_HEADERS, map(float, row[1:]))) for row in rows + averages}
        if "accuracy" in report:
            report["accuracy"] = report["accuracy"]["f1-score"]
        return report
    return _format_report(rows, averages, digits)


def _format_report(rows: list[tuple], averages: list[tuple], digits: int) -> str:
    """The text table, laid out exactly as scikit-learn lays it out."""
    width = max(max(len(row[0]) for row in rows), len("weighted avg"), digits)

    def line(name: str, cells: list[str]) -> str:
        return f"{name:>{width}} " + "".join(f" {cell:>9}" for cell in cells)

    def cells(row: tuple) -> list[str]:
        return [f"{v:.{digits}f}" for v in row[1:4]] + [str(row[4])]

    body = [line(row[0], cells(row)) for row in rows]
    tail = [line(row[0], ["", ""] + cells(row)[2:] if row[0] == "accuracy" else cells(row)) for row in averages]
    return line("", list(REPORT_HEADERS)) + "\n\n" + "\n".join(body) + "\n\n" + "\n".join(tail) + "\n"


# ---- score metrics -----------------------------------------------------------------------------

def _binary_inputs(fn: str, is_positive: ArrayLike, score: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    pos, s = _array(is_positive), _array(score)
    if pos.ndim != 1 or s.shape != pos.shape or pos.size == 0:
        raise ShapeError(f"{fn}: is_positive and score must be non-empty 1-D arrays of the same "
                         f"length, got is_positive shape {pos.shape} and score shape {s.shape}")
    if pos.dtype.kind not in "biu" or not np.isin(pos, (0, 1)).all():
        raise DTypeError(f"{fn}: is_positive must be booleans (or 0/1), got dtype {pos.dtype}")
    if s.dtype.kind not in "biuf" or not np.isfinite(s).all():
        raise DTypeError(f"{fn}: score must be finite numbers, got dtype {s.dtype}")
    return pos.astype(bool), s


def binary_precision_recall_curve(is_positive: ArrayLike, score: ArrayLike) -> PRCurve:
    """Precision and recall at every distinct score threshold (as scikit-learn's
    precision_recall_curve); with no positives at all, recall is 1 at every threshold."""
    pos, s = _binary_inputs("binary_precision_recall_curve", is_positive, score)
    order = np.argsort(s, kind="stable")[::-1]
    s, pos = s[order], pos[order]
    # the last sample of each run of equal scores: the threshold "score >= s" takes the whole run
    cut = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(pos, dtype=np.float64)[cut]
    fps = (cut + 1) - tps
    precision = _divide(tps, tps + fps, 0.0)
    recall = tps / tps[-1] if tps[-1] > 0 else np.ones_like(tps)
    return PRCurve(np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], s[cut][::-1])


def binary_average_precision(is_positive: ArrayLike, score: ArrayLike) -> float:
    """Average precision: the sum over thresholds of precision times the gain in recall (no
    interpolation), as scikit-learn's average_precision_score; 0.0 when there are no positives."""
    precision, recall, _ = binary_precision_recall_curve(is_positive, score)
    return max(0.0, float(-np.sum(np.diff(recall) * precision[:-1])))


def _one_vs_rest(fn: str, y_true: ArrayLike, scores: ArrayLike,
                 labels: ArrayLike | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(one-hot truth (n, C), scores (n, C), labels (C,)) after checking their shapes."""
    t = _labels_1d(fn, "y_true", y_true)
    s = _array(scores)
    if s.ndim != 2 or s.shape[0] != t.shape[0]:
        raise ShapeError(f"{fn}: scores must be (n_samples, n_classes) with one row per label in "
                         f"y_true, got scores shape {s.shape} and y_true shape {t.shape}")
    labels = np.arange(s.shape[1]) if labels is None else _resolve_labels(fn, labels)
    if labels.shape != (s.shape[1],):
        raise ShapeError(f"{fn}: labels must name one class per scores column, got {len(labels)} "
                         f"labels and scores shape {s.shape}")
    idx = _index_of(t, labels)
    if (idx < 0).any():
        raise ValueError(f"{fn}: y_true holds classes with no scores column: "
                         f"{np.unique(t[idx < 0]).tolist()} (columns are labels {labels.tolist()})")
    return idx[:, None] == np.arange(len(labels)), s, labels


def precision_recall_curve(y_true: ArrayLike, scores: ArrayLike,
                           labels: ArrayLike | None = None) -> dict[Any, PRCurve]:
    """One-vs-rest precision-recall curve of every class: {label: PRCurve}, in column order."""
    truth, s, labels = _one_vs_rest("precision_recall_curve", y_true, scores, labels)
    return {label.item(): binary_precision_recall_curve(truth[:, j], s[:, j]) for j, label in enumerate(labels)}


def average_precision(y_true: ArrayLike, scores: ArrayLike, labels: ArrayLike | None = None,
                      average: str | None = None) -> np.ndarray | float:
    """One-vs-rest average precision per class (average=None), or its 'macro' mean, its mean
    'weighted' by support, or 'micro' (all classes' scores pooled into one binary problem)."""
    fn = "average_precision"
    if average not in AVERAGES:
        raise ValueError(f"{fn}: average must be one of {AVERAGES}, got {average!r}")
    truth, s, _ = _one_vs_rest(fn, y_true, scores, labels)
    if average == "micro":
        return binary_average_precision(truth.ravel(), s.ravel())
    per_class = np.array([binary_average_precision(truth[:, j], s[:, j]) for j in range(s.shape[1])])
    if average is None:
        return per_class
    if average == "macro":
        return float(np.mean(per_class))
    support = truth.sum(axis=0)
    return float(np.average(per_class, weights=support))


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """The mean of the squared differences over all elements."""
    t, p = _array(y_true), _array(y_pred)
    if t.shape != p.shape or t.size == 0:
        raise ShapeError(f"mean_squared_error: y_true and y_pred must be non-empty and of the same "
                         f"shape, got y_true shape {t.shape} and y_pred shape {p.shape}")
    if t.dtype.kind not in "biuf" or p.dtype.kind not in "biuf":
        raise DTypeError(f"mean_squared_error: y_true and y_pred must be numbers, got dtypes "
                         f"{t.dtype} and {p.dtype}")
    return float(np.mean((t.astype(np.float64) - p.astype(np.float64)) ** 2))
