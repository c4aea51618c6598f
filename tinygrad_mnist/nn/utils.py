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
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return _make_tensor(np.zeros((), np.float32), None)
    if norm_type == math.inf:
        norms = [np.abs(g.data).max(initial=0) for g in grads]
        total = np.max(norms)
    else:
        norms = [np.linalg.norm(g.data.ravel(), norm_type) for g in grads]
        total = np.linalg.norm(np.array(norms), norm_type)
    total = np.asarray(total, dtype=grads[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                           f"{total.item()}, so they cannot be clipped; pass error_if_nonfinite=False "
                           "to clip anyway")
    scale = min(max_norm / (total.item() + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.mul_(scale)
    return _make_tensor(total, None)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach=None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place, as torch."""
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def _grads(parameters) -> list[Tensor]:
    """The .grad of each parameter that has one (parameters: a Tensor or an iterable of them)."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise DTypeError(f"expected Tensors (e.g. model.parameters()), got {type(p).__name__} at position {i}")
    return [p.grad for p in parameters if p.grad is not None]
