"""NAdam, Adam with Nesterov momentum and a momentum schedule (torch.optim.NAdam's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, adam_moments, check_adam_hyperparameters, check_not_differentiable


class NAdam(Optimizer):
    """g = grad + weight_decay * p (or p *= 1 - lr * weight_decay, decoupled);
    mu_t = beta1 (1 - 0.5 * 0.96^(t * momentum_decay)), P_t = mu_1 ... mu_t (state 'mu_product');
    m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g^2; d = sqrt(v / (1 - beta2^t)) + eps;
    p -= lr (1 - mu_t) / (1 - P_t) * g / d; p -= lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / d."""

    _scalar_state = frozenset({"step", "mu_product"})

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 momentum_decay: float = 4e-3, decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False):
        check_not_differentiable("NAdam", differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters(self._name, group, ("decoupled_weight_decay", "maximize"), ("momentum_decay",))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self._first_state(p, ("exp_avg", "exp_avg_sq"), mu_product=1.0)
        lr, (beta1, beta2), eps, decay = group["lr"], group["betas"], group["eps"], group["momentum_decay"]
        state["step"] += 1
        t = state["step"]
        bias_correction2 = 1 - beta2 ** t
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * decay))
        # torch keeps the product in a float32 0-d tensor (its default dtype) whatever the
        # parameters' dtype; rounding it so here keeps the two in step.
        mu_product = state["mu_product"] = float(np.float32(state["mu_product"]) * np.float32(mu))
        grad_scale = -lr * (1.0 - mu) / (1.0 - mu_product)
        avg_scale = (-lr * mu_next) / (1.0 - mu_product * mu_next)
        for work, tmp, param, g, exp_avg, exp_avg_sq in self._pieces(p, grad, state["exp_avg"],
                                                                     state["exp_avg_sq"]):
            g = adam_moments(param, g, exp_avg, exp_avg_sq, group, work, tmp)
            denom = np.sqrt(np.divide(exp_avg_sq, bias_correction2, out=tmp), out=tmp)
            denom += eps
            step = np.multiply(g, grad_scale, out=work)  # (g is done with: it may be work)
            step /= denom
            param += step
            step = np.multiply(exp_avg, avg_scale, out=work)
            step /= denom
            param += step
