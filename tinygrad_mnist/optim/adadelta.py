"""Adadelta with L2 weight decay (torch.optim.Adadelta's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_not_differentiable, check_range, effective_grad


class Adadelta(Optimizer):
    """g = grad + weight_decay * p; s = rho * s + (1 - rho) * g^2;
    d = sqrt(u + eps) / sqrt(s + eps) * g; u = rho * u + (1 - rho) * d^2; p -= lr * d
    (s is the state 'square_avg', u 'acc_delta')."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0.0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False):
        check_not_differentiable("Adadelta", differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay"):
            check_range(self._name, name, group[name], 0)
        check_range(self._name, "rho", group["rho"], 0, 1)
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self._first_state(p, ("square_avg", "acc_delta"))
        lr, rho, eps, wd, maximize = group["lr"], group["rho"], group["eps"], group["weight_decay"], group["maximize"]
        state["step"] += 1
        for work, tmp, param, grad_piece, square_avg, acc_delta in self._pieces(p, grad, state["square_avg"],
                                                                                state["acc_delta"]):
            g = effective_grad(grad_piece, param, maximize, wd, out=work)
            square_avg *= rho
            square_avg += np.multiply(np.multiply(g, 1 - rho, out=tmp), g, out=tmp)  # ((1 - rho) g) g, as torch
            std = np.sqrt(np.add(square_avg, eps, out=tmp), out=tmp)
            delta = np.sqrt(np.add(acc_delta, eps, out=work), out=work)
            delta /= std
            # g was in work, now delta's; param has not changed, so it comes again the same
            delta *= effective_grad(grad_piece, param, maximize, wd, out=tmp)
            acc_delta *= rho
            acc_delta += np.multiply(np.multiply(delta, 1 - rho, out=tmp), delta, out=tmp)
            param += np.multiply(delta, -lr, out=tmp)
