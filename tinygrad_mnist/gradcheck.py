"""Finite differences in float64 against backward()."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import autograd
from .tensor import Tensor, _make_tensor


class GradcheckError(AssertionError):
    """backward() and finite differences disagree; the message names the worst element."""


def _outputs(fn: Callable, inputs: Sequence[Tensor]) -> list[Tensor]:
    out = fn(*inputs)
    return list(out) if isinstance(out, (tuple, list)) else [out]


def gradcheck(fn: Callable, inputs: Sequence[Tensor] | Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare every input's analytical Jacobian (from backward) with central differences.

    inputs: a Tensor or a sequence of them (and other arguments). Inputs that require grad must
    be float64. Returns True, or raises GradcheckError naming the output, input and element where
    the two disagree most (returns False instead with raise_exception=False, as torch)."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise ValueError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences need float64")
    outs = _outputs(fn, inputs)
    try:
        for k, out in enumerate(outs):
            analytical = _analytical_jacobian(out, [inputs[i] for i in checked])
            for j, i in enumerate(checked):
                numerical = _numerical_jacobian(fn, inputs, i, k, out.data.size, eps)
                _compare(analytical[j], numerical, k, i, inputs[i].shape, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _analytical_jacobian(out: Tensor, wrt: list[Tensor]) -> list[np.ndarray]:
    """J[j][o, e]: d out.flat[o] / d wrt[j].flat[e], one backward per output element."""
    jac = [np.zeros((out.data.size, t.data.size)) for t in wrt]
    if not out.requires_grad:
        return jac
    for o in range(out.data.size):
        seed = np.zeros(out.shape)
        seed.flat[o] = 1
        grads = autograd.grad([out], wrt, [_make_tensor(seed, None)], retain_graph=True, allow_unused=True)
        for j, g in enumerate(grads):
            if g is not None:
                jac[j][o] = g.data.ravel()
    return jac


def _numerical_jacobian(fn: Callable, inputs: list, i: int, k: int, out_size: int, eps: float) -> np.ndarray:
    """Central differences of output k in input i's elements. fn runs with grad mode as it is, so
    that a fn which itself takes gradients (tg.grad with create_graph) can be checked."""
    x = inputs[i].data
    columns = []
    for e in np.ndindex(x.shape):  # indexes x in place even when it is not contiguous
        orig = x[e]
        x[e] = orig + eps
        plus = _outputs(fn, inputs)[k].data.astype(np.float64).ravel()
        x[e] = orig - eps
        minus = _outputs(fn, inputs)[k].data.astype(np.float64).ravel()
        x[e] = orig
        columns.append((plus - minus) / (2 * eps))
    return np.stack(columns, axis=1) if columns else np.zeros((out_size, 0))


def _compare(analytical, numerical, k, i, shape, atol, rtol) -> None:
    err = np.abs(analytical - numerical) - (atol + rtol * np.abs(numerical))
    if err.size and err.max() > 0:
        o, e = np.unravel_index(err.argmax(), err.shape)
        where = np.unravel_index(e, shape) if shape else ()
        raise GradcheckError(
            f"gradcheck: output {k}, input {i}, element {tuple(int(w) for w in where)} (output "
            f"element {o}): backward gives {analytical[o, e]:.8g}, finite differences give "
            f"{numerical[o, e]:.8g}")
