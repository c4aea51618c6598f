"""detect_anomaly(): stop at the first op whose forward or backward makes NaN or Inf.

Off, it costs nothing: the engine has no check of its own. On, Function.apply and
Function._run_backward are swapped for checking wrappers (put back on exit; the engine calls
_run_backward for every node while autograd._anomaly_checks is set), and the line of user
code that created each node is kept in a WeakKeyDictionary, so nodes need no extra slot.
"""
from __future__ import annotations

import contextlib
import linecache
import os
import sys
import weakref

import numpy as np

from . import autograd
from .autograd import Function
from .errors import AnomalyError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_created_at: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # node -> _Site
_saved: dict = {}   # the engine's own apply and _run_backward while a block is active
_depth = 0          # nested detect_anomaly() blocks
_in_backward = 0    # > 0 while a backward runs: its inner ops are judged by the gradients they give


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager or decorator, as torch.autograd.detect_anomaly: inside it, an op whose
    forward output or backward gradient holds NaN or Inf raises AnomalyError naming the op and
    the line of your code that created its tensor. Every op is checked: use it to debug."""

    def __enter__(self) -> detect_anomaly:
        global _depth
        if _depth == 0:
            _saved["apply"] = Function.__dict__["apply"]
            _saved["_run_backward"] = Function.__dict__["_run_backward"]
            Function.apply = classmethod(_checked_apply)
            Function._run_backward = _checked_run_backward
            autograd._anomaly_checks = True
        _depth += 1
        return self

    def __exit__(self, *exc) -> bool:
        global _depth
        _depth -= 1
        if _depth == 0:
            Function.apply = _saved.pop("apply")
            Function._run_backward = _saved.pop("_run_backward")
            autograd._anomaly_checks = False
        return False


class _Site:
    """Where a tensor was made: the innermost frame outside tinygrad_mnist, and the nn.Module
    whose forward was running."""
    __slots__ = ("filename", "lineno", "function", "module")

    def __init__(self, frame, scope: tuple):
        while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frame = frame.f_back
        code = frame.f_code if frame is not None else None
        self.filename = code.co_filename if code else "<unknown>"
        self.lineno = frame.f_lineno if frame is not None else 0
        self.function = code.co_name if code else "?"
        self.module = type(scope[-1]).__name__ if scope else None

    def __str__(self) -> str:
        line = linecache.getline(self.filename, self.lineno).strip()
        inside = f" (inside {self.module}.forward)" if self.module else ""
        return f"{self.filename}:{self.lineno} in {self.function}{inside}" + (f": {line}" if line else "")


def _checked_apply(cls, *inputs, **params):
    out = _saved["apply"].__func__(cls, *inputs, **params)
    site = _Site(sys._getframe(1), autograd._scope)
    if out._ctx is not None:
        _created_at[out._ctx] = site
    if not _in_backward and out.data.dtype.kind == "f" and not np.isfinite(out.data).all():
        _check_forward(cls.__name__, inputs, out.data, site)
    return out


def _check_forward(op: str, inputs, out: np.ndarray, site: _Site) -> None:
    """Raise unless the non-finite values of out were already in the inputs (an Inf mask is fine;
    NaN never is: inside the block no op can have made it, so it came from outside)."""
    def holding(test):
        return [i for i, t in enumerate(inputs) if t.data.dtype.kind == "f" and test(t.data).any()]
    with_nan, with_inf = holding(np.isnan), holding(np.isinf)
    if np.isnan(out).any():
        if with_nan:
            raise AnomalyError(
                f"detect_anomaly: {op} got nan in input {with_nan[0]} (shape {inputs[with_nan[0]].shape}), which "
                f"no op checked by detect_anomaly() made: it came from outside (the data, the weights, or a "
                f"tensor computed before the block); the op ran at {site}")
        raise AnomalyError(f"detect_anomaly: {op} forward produced nan (output shape {out.shape}) from inputs "
                           f"without nan; the tensor was created at {site}")
    if not with_inf and not with_nan:
        raise AnomalyError(f"detect_anomaly: {op} forward produced inf (output shape {out.shape}) from finite "
                           f"inputs; the tensor was created at {site}")


def _checked_run_backward(node: Function, grad):
    global _in_backward
    _in_backward += 1
    try:
        grads = _saved["_run_backward"](node, grad)
    finally:
        _in_backward -= 1
    for i, g in enumerate(grads):
        g = autograd._plain(g)
        if g is not None and g.dtype.kind == "f" and not np.isfinite(g).all():
            kind = "nan" if np.isnan(g).any() else "inf"
            came = ("a finite incoming gradient" if np.isfinite(autograd._plain(grad)).all() else
                    "an incoming gradient that already held nan or inf (the seed, or gradients summed "
                    "from several uses that overflowed)")
            site = _created_at.get(node)
            made = (f"the {node.name} was created at {site}" if site is not None else
                    f"the {node.name} was created before detect_anomaly() was entered, so its line is unknown")
            raise AnomalyError(f"detect_anomaly: {node.name} backward produced {kind} in the gradient of its "
                               f"input {i} (shape {g.shape}) from {came}; {made}")
    return grads


