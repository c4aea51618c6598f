"""ASGD, averaged stochastic gradient descent (torch.optim.ASGD's equations)."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_not_differentiable, check_range, effective_grad


class ASGD(Optimizer):
    """g = grad + weight_decay * p; p *= 1 - lambd * eta; p -= eta * g; ax = p while mu = 1, then
    ax += mu (p - ax); after step t: eta = lr / (1 + lambd lr t)^alpha, mu = 1 / max(1, t - t0).
    eta starts at lr, mu at 1."""

    _scalar_state = frozenset({"step", "eta", "mu"})

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0.0, foreach=None,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        check_not_differentiable("ASGD", differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        for name in ("lr", "weight_decay"):
            check_range(self._name, name, group[name], 0)
        for name in ("lambd", "alpha", "t0"):  # (torch takes any number)
            check_range(self._name, name, group[name], -math.inf)
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, eta=_float32(group["lr"]), mu=1.0, ax=np.zeros_like(p.data))
        lr, lambd, eta, mu = group["lr"], group["lambd"], state["eta"], state["mu"]
        state["step"] += 1
        for work, tmp, param, g, ax in self._pieces(p, grad, state["ax"]):
            g = effective_grad(g, param, group["maximize"], group["weight_decay"], out=work)
            param *= 1 - lambd * eta
            param += np.multiply(g, -eta, out=tmp)
            if mu != 1:
                ax += np.multiply(np.subtract(param, ax, out=tmp), mu, out=tmp)
            else:
                np.copyto(ax, param)
        t = state["step"]
        state["eta"] = _float32(lr / ((1 + lambd * lr * t) ** group["alpha"]))
        state["mu"] = _float32(1 / max(1, t - group["t0"]))


def _float32(value: float) -> float:
    """value rounded to float32: torch keeps eta and mu in float32 0-d tensors (its default dtype)
    whatever the parameters' dtype, and this keeps the two in step."""
    return float(np.float32(value))
