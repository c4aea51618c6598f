"""nn.utils: gradient clipping and parameters as one vector, as torch.nn.utils."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ..autograd import no_grad
from ..errors import DTypeError, ShapeError
from ..functions import cat
from ..promotion import _values
from ..tensor import Tensor, _make_tensor


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale the gradients in place so that their joint norm (all of them as one vector) is at
    most max_norm; returns the norm from before, as torch (foreach is accepted and changes
    nothing)."""
    parameters = _tensors(parameters, "clip_grad_norm_")
    total = _total_norm(_grads(parameters, "clip_grad_norm_"), norm_type, error_if_nonfinite, "clip_grad_norm_",
                        ", so the gradients cannot be clipped; pass error_if_nonfinite=False to clip anyway")
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach=None) -> Tensor:
    """The norm of all of tensors as one vector (e.g. [p.grad for p in model.parameters()]): the
    norm of their norms, in their promoted dtype, as torch."""
    return _total_norm(_tensors(tensors, "get_total_norm"), norm_type, error_if_nonfinite, "get_total_norm",
                       "; pass error_if_nonfinite=False to get it anyway")


def _total_norm(tensors: list[Tensor], norm_type: float, error_if_nonfinite: bool, op: str, advice: str) -> Tensor:
    norm_type = float(norm_type)
    if not tensors:
        return _make_tensor(np.zeros((), np.float32), None)
    dtype = np.result_type(*(t.dtype for t in tensors))  # as torch: the norm of the stacked norms, promoted
    norms = np.array([_norm(t.data, norm_type) for t in tensors], dtype=dtype)
    total = np.asarray(_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} is {total.item()}{advice}")
    return _make_tensor(total, None)


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor,
                          foreach=None) -> None:
    """Scale the gradients in place by max_norm / (total_norm + 1e-6) where that is below 1: the
    second half of clip_grad_norm_, with a total norm from get_total_norm, as torch."""
    grads = _grads(parameters, "clip_grads_with_norm_")
    if not grads:
        return
    total = _values(total_norm)
    dtype = total.dtype
    scale = np.minimum(np.asarray(max_norm, dtype) / (total + np.asarray(1e-6, dtype)), np.asarray(1, dtype))
    with no_grad():
        for g in grads:
            g.mul_(_make_tensor(np.asarray(scale, g.dtype), None))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and joined into one vector, in the graph, as torch."""
    return cat([p.reshape(-1) for p in _tensors(parameters, "parameters_to_vector")])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Make each parameter, in turn, a view of the next stretch of vec (its values, in its dtype),
    as torch."""
    if not isinstance(vec, Tensor):
        raise DTypeError(f"vector_to_parameters: expected a Tensor as vec, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ShapeError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    parameters = _tensors(parameters, "vector_to_parameters")
    if vec.dtype.kind != "f" and any(p.requires_grad for p in parameters):
        raise DTypeError(f"vector_to_parameters: parameters that require grad must be floating point, as in torch, "
                         f"so vec must be too; got dtype {vec.dtype}")
    needed = sum(p.data.size for p in parameters)
    if vec.shape[0] < needed:
        raise ShapeError(f"vector_to_parameters: vec has {vec.shape[0]} elements, the parameters {needed}")
    start = 0
    for p in parameters:
        p.data = vec.data[start:start + p.data.size].reshape(p.shape)
        start += p.data.size


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
    return [p.grad for p in _tensors(parameters, op) if p.grad is not None]


def _tensors(tensors, op: str) -> list[Tensor]:
    """tensors (a Tensor or an iterable of them) as a list, checked."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise DTypeError(f"{op}: expected Tensors (e.g. model.parameters()), got {type(t).__name__} "
                             f"at position {i}")
    return tensors
