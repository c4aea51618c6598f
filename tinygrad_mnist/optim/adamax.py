"""Adamax, Adam with the infinity norm (torch.optim.Adamax's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_adam_hyperparameters, check_not_differentiable, effective_grad, lerp_


class Adamax(Optimizer):
    """g = grad + weight_decay * p; m = lerp(m, g, 1 - beta1); u = max(beta2 * u, |g| + eps);
    p -= lr / (1 - beta1^t) * m / u."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 foreach=None, *, maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        check_not_differentiable("Adamax", differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters(self._name, group, ("maximize",))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self._first_state(p, ("exp_avg", "exp_inf"))
        (beta1, beta2), eps = group["betas"], group["eps"]
        state["step"] += 1
        clr = group["lr"] / (1 - beta1 ** state["step"])
        for work, tmp, param, g, exp_avg, exp_inf in self._pieces(p, grad, state["exp_avg"], state["exp_inf"]):
            g = effective_grad(g, param, group["maximize"], group["weight_decay"], out=work)
            lerp_(exp_avg, g, 1 - beta1, tmp)
            exp_inf *= beta2
            np.maximum(exp_inf, np.add(np.abs(g, out=tmp), eps, out=tmp), out=exp_inf)
            step = np.multiply(exp_avg, -clr, out=tmp)
            step /= exp_inf
            param += step
