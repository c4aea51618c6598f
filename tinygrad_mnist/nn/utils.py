"""nn.utils: gradient clipping, as torch.nn.utils."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ..autograd import no_grad
from ..errors import DTypeError
from ..tensor import Tensor, _make_tensor


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale the gradients in place so that their joint norm (all of them as one vector) is at
    most max_norm; returns the norm from before, as torch (foreach is accepted and changes
    nothing)."""
    grads = _grads(parameters, "clip_grad_norm_")
    norm_type = float(norm_type)
    if not grads:
        return _make_tensor(np.zeros((), np.float32), None)
    dtype = np.result_type(*(g.dtype for g in grads))  # as torch: the norm of the stacked norms, promoted
    norms = np.array([_norm(g.data, norm_type) for g in grads], dtype=dtype)
    total = np.asarray(_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total.item()}, so they cannot be clipped; pass error_if_nonfinite=False "
                           "to clip anyway")
    scale = np.minimum(np.asarray(max_norm, dtype) / (total + np.asarray(1e-6, dtype)), np.asarray(1, dtype))
    with no_grad():
        for g in grads:
            g.mul_(_make_tensor(np.asarray(scale, g.dtype), None))
    return _make_tensor(total, None)


def _norm(values: np.ndarray, norm_type: float):
    """The vector norm of all of values, in their dtype (float16 summed in float32, as torch does)."""
    flat = values.ravel()
    if flat.dtype == np.float16:
        return np.float16(_norm(flat.astype(np.float32), norm_type))
    if norm_type == math.inf:
        return np.abs(flat).max(initial=0)
    return np.linalg.norm(flat, norm_type)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place, as torch."""
    with no_grad():
        for g in _grads(parameters, "clip_grad_value_"):
            g.clamp_(-clip_value, clip_value)


def _grads(parameters, op: str) -> list[Tensor]:
    """The .grad of each parameter that has one (parameters: a Tensor or an iterable of them)."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise DTypeError(f"{op}: expected Tensors (e.g. model.parameters()), got {type(p).__name__} "
                             f"at position {i}")
    return [p.grad for p in parameters if p.grad is not None]
