"""RAdam, Adam with the variance of its adaptive step rectified (torch.optim.RAdam's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, adam_moments, check_adam_hyperparameters, check_not_differentiable


class RAdam(Optimizer):
    """g = grad + weight_decay * p (or p *= 1 - lr * weight_decay, decoupled); m = lerp(m, g,
    1 - beta1); v = beta2 * v + (1 - beta2) * g^2; rho_inf = 2 / (1 - beta2) - 1, rho_t = rho_inf -
    2 t beta2^t / (1 - beta2^t); while rho_t <= 5, p -= lr * m / (1 - beta1^t); then p -= lr * m /
    (1 - beta1^t) * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r_t, with r_t = sqrt((rho_t - 4)(rho_t - 2)
    rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False, *, foreach=None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        check_not_differentiable("RAdam", differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters(self._name, group, ("decoupled_weight_decay", "maximize"))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self._first_state(p, ("exp_avg", "exp_avg_sq"))
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        state["step"] += 1
        t = state["step"]
        bias_correction1, bias_correction2 = 1 - beta1 ** t, 1 - beta2 ** t
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5 \
            if rho_t > 5.0 else None
        for work, tmp, param, g, exp_avg, exp_avg_sq in self._pieces(p, grad, state["exp_avg"],
                                                                     state["exp_avg_sq"]):
            g = adam_moments(param, g, exp_avg, exp_avg_sq, group, work, tmp)
            step = np.divide(exp_avg, bias_correction1, out=work)  # (g is done with: it may be work)
            step *= lr
            if rect is not None:
                adaptive_lr = np.sqrt(exp_avg_sq, out=tmp)
                adaptive_lr += eps
                step *= np.divide(bias_correction2 ** 0.5, adaptive_lr, out=tmp)
                step *= rect
            param -= step
