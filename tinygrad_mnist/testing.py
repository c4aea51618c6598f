"""Helpers for gradient-equivalence tests against PyTorch (torch is imported only in here)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from .tensor import Tensor


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("tinygrad_mnist.testing needs PyTorch as its oracle: "
                          "pip install 'tinygrad_mnist[test]' (or torch==2.13.0)") from None
    return torch


def _first_mismatch(what: str, ours: np.ndarray, theirs: np.ndarray, rtol: float, atol: float) -> None:
    if ours.shape != theirs.shape:
        raise AssertionError(f"{what}: shape {ours.shape} here, {theirs.shape} in torch")
    if ours.dtype != theirs.dtype:
        raise AssertionError(f"{what}: dtype {ours.dtype} here, {theirs.dtype} in torch")
    bad = ~np.isclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(f"{what}: first mismatch at index {idx}: {ours[idx]!r} here, "
                             f"{theirs[idx]!r} in torch ({int(bad.sum())} of {bad.size} differ)")


def assert_matches_torch(fn: Callable, torch_fn: Callable, *arrays: np.ndarray, rtol: float = 1e-10,
                         atol: float = 1e-12, seed: int = 0) -> None:
    """Run fn on Tensors and torch_fn on torch tensors made from the same arrays; compare the
    outputs, then backpropagate the same random output gradient through both and compare the
    gradient of every floating-point input. Raises AssertionError naming the first mismatch."""
    torch = _torch()
    ours_in = [Tensor(np.array(a), requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
    theirs_in = [torch.tensor(np.array(a), requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
    ours, theirs = fn(*ours_in), torch_fn(*theirs_in)
    _first_mismatch("output", ours.data, theirs.detach().numpy(), rtol, atol)
    if not (ours.requires_grad and theirs.requires_grad):
        if ours.requires_grad != theirs.requires_grad:
            raise AssertionError(f"output requires_grad is {ours.requires_grad} here, "
                                 f"{theirs.requires_grad} in torch")
        return
    upstream = np.random.default_rng(seed).standard_normal(ours.shape).astype(ours.dtype)
    ours.backward(Tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if not a.requires_grad:
            continue
        if (a.grad is None) != (b.grad is None):
            raise AssertionError(f"grad of input {i}: {'None' if a.grad is None else 'present'} here, "
                                 f"{'None' if b.grad is None else 'present'} in torch")
        if a.grad is not None:
            _first_mismatch(f"grad of input {i}", a.grad.data, b.grad.numpy(), rtol, atol)
