"""Helpers for gradient-equivalence tests against PyTorch (torch is imported only in here)."""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import autograd
from .tensor import Tensor


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("tinygrad_mnist.testing needs PyTorch as its oracle: "
                          "pip install 'tinygrad_mnist[test]' (or torch==2.13.0)") from None
    return torch


# torch.testing.assert_close's tolerances for the dtypes below float64, where one rounding in a
# long sum already exceeds float64's: (rtol, atol).
_LOW_PRECISION = {np.dtype(np.float32): (1.3e-6, 1e-5), np.dtype(np.float16): (1e-3, 1e-5)}


def _tolerances(dtype: np.dtype, rtol: float | None, atol: float | None, float64: tuple) -> tuple:
    """rtol and atol as given, else float64's for float64 (and non-float) values, else torch.testing's."""
    default = _LOW_PRECISION.get(np.dtype(dtype), float64)
    return (default[0] if rtol is None else rtol), (default[1] if atol is None else atol)


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


def assert_matches_torch(fn: Callable, torch_fn: Callable, *arrays: np.ndarray, rtol: float | None = None,
                         atol: float | None = None, seed: int = 0) -> None:
    """Run fn on Tensors and torch_fn on torch tensors made from the same arrays; compare the
    outputs (one tensor, or a tuple of them such as max(dim)'s values and indices), then
    backpropagate the same random gradient of every output that requires grad through both and
    compare the gradient of every floating-point input. Raises AssertionError naming the first
    mismatch. Tolerances default to rtol=1e-10, atol=1e-12 for float64 outputs and to
    torch.testing's for float32 and float16 ones."""
    torch = _torch()
    ours_in = [Tensor(np.array(a), requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
    theirs_in = [torch.tensor(np.array(a), requires_grad=np.asarray(a).dtype.kind == "f") for a in arrays]
    ours, theirs = _outputs(fn(*ours_in), "fn"), _outputs(torch_fn(*theirs_in), "torch_fn")
    if len(ours) != len(theirs):
        raise AssertionError(f"{len(ours)} outputs here, {len(theirs)} in torch")
    dtype = next((o.dtype for o in ours if o.dtype.kind == "f"), ours[0].dtype)
    rtol, atol = _tolerances(dtype, rtol, atol, (1e-10, 1e-12))
    rng = np.random.default_rng(seed)
    roots = [(o, t, rng.standard_normal(o.shape).astype(o.dtype)) for o, t in zip(ours, theirs) if o.requires_grad]
    for i, (o, t) in enumerate(zip(ours, theirs)):
        what = "output" if len(ours) == 1 else f"output {i}"
        _first_mismatch(what, o.data, t.detach().numpy(), rtol, atol)
        if o.requires_grad != t.requires_grad:
            raise AssertionError(f"{what} requires_grad is {o.requires_grad} here, {t.requires_grad} in torch")
    if not roots:
        return
    autograd.backward([o for o, _, _ in roots], [Tensor(g) for _, _, g in roots])
    torch.autograd.backward([t for _, t, _ in roots], [torch.tensor(g) for _, _, g in roots])
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if not a.requires_grad:
            continue
        if (a.grad is None) != (b.grad is None):
            raise AssertionError(f"grad of input {i}: {'None' if a.grad is None else 'present'} here, "
                                 f"{'None' if b.grad is None else 'present'} in torch")
        if a.grad is not None:
            _first_mismatch(f"grad of input {i}", a.grad.data, b.grad.numpy(), rtol, atol)


def _outputs(result, name: str) -> list:
    """A function's result as a list of tensors (it may return one, or a tuple of them)."""
    outputs = list(result) if isinstance(result, tuple) else [result]
    if not outputs or not all(hasattr(o, "requires_grad") and hasattr(o, "shape") for o in outputs):
        raise TypeError(f"assert_matches_torch: {name} must return a tensor or a tuple of tensors, "
                        f"got {type(result).__name__}")
    return outputs


class TorchComparison:
    """What compare_with_torch found: the loss and, per parameter, the largest gradient difference."""

    def __init__(self, loss: tuple[float, float], rows: list[tuple[str, tuple, float, float]], rtol: float, atol: float):
        self.loss, self.rows, self.rtol, self.atol = loss, rows, rtol, atol

    def __bool__(self) -> bool:  # so that `assert compare_with_torch(...)` asserts agreement
        return self.ok

    @property
    def ok(self) -> bool:
        """Whether the loss and every gradient agree within rtol/atol."""
        ours, theirs = self.loss
        return bool(np.isclose(ours, theirs, rtol=self.rtol, atol=self.atol)) and all(
            diff <= self.atol + self.rtol * scale for _, _, diff, scale in self.rows)

    def __str__(self) -> str:
        lines = [f"loss: {self.loss[0]!r} here, {self.loss[1]!r} in torch",
                 f"{'parameter':<30} {'shape':<14} {'max |grad diff|':>16} {'max |grad|':>12}"]
        lines += [f"{name:<30} {str(shape):<14} {diff:>16.3e} {scale:>12.3e}" for name, shape, diff, scale in self.rows]
        lines.append("OK" if self.ok else f"MISMATCH (rtol={self.rtol}, atol={self.atol})")
        return "\n".join(lines)


def compare_with_torch(model, torch_model, x: np.ndarray, y: np.ndarray, loss="cross_entropy",
                       rtol: float | None = None, atol: float | None = None) -> TorchComparison:
    """Copy model's weights (and which of them require grad) into torch_model, run one
    forward/backward of loss in both (eval mode, so dropout is off; both models' modes are
    restored) and report per-parameter gradient differences. loss is a name in both
    nn.functional modules ('cross_entropy', 'mse_loss', ...) or a pair (our_loss_fn,
    torch_loss_fn). Both run in the dtype of model's parameters; integer targets go to both as
    int64 (the class-index dtype). Tolerances default to rtol=1e-7, atol=1e-10 in float64 and to
    torch.testing's in float32 and float16. The report is true when everything agrees."""
    torch = _torch()
    from .nn import functional as F
    ours_loss, theirs_loss = ((getattr(F, loss), getattr(torch.nn.functional, loss))
                              if isinstance(loss, str) else loss)
    params = dict(model.named_parameters())
    dtype = next(iter(params.values())).dtype
    rtol, atol = _tolerances(dtype, rtol, atol, (1e-7, 1e-10))
    torch_model.to(getattr(torch, dtype.name))
    torch_model.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    for name, p in torch_model.named_parameters():
        if name in params:
            p.requires_grad_(params[name].requires_grad)
    modes = model.training, torch_model.training
    model.eval(), torch_model.eval()
    try:
        model.zero_grad(), torch_model.zero_grad(set_to_none=True)
        x = np.asarray(x, dtype=dtype)
        target = np.asarray(y, dtype=dtype if np.asarray(y).dtype.kind == "f" else np.int64)
        ours = ours_loss(model(Tensor(x)), Tensor(target))
        theirs = theirs_loss(torch_model(torch.tensor(x)), torch.tensor(target))
        ours.backward()
        theirs.backward()
    finally:
        model.train(modes[0]), torch_model.train(modes[1])
    torch_params = dict(torch_model.named_parameters())
    rows = []
    for name, p in params.items():
        if name not in torch_params:
            raise KeyError(f"compare_with_torch: parameter {name!r} has no counterpart in torch_model")
        g_ours = p.grad.data if p.grad is not None else np.zeros_like(p.data)
        t_grad = torch_params[name].grad
        g_theirs = t_grad.numpy() if t_grad is not None else np.zeros_like(p.data)
        rows.append((name, p.shape, float(np.abs(g_ours - g_theirs).max(initial=0)),
                     float(np.abs(g_theirs).max(initial=0))))
    return TorchComparison((ours.item(), theirs.item()), rows, rtol, atol)
