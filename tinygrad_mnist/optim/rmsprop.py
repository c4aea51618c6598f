"""RMSprop with L2 weight decay, momentum and the centered variant (torch.optim.RMSprop's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_not_differentiable, check_range, effective_grad


class RMSprop(Optimizer):
    """g = grad + weight_decay * p; s = alpha * s + (1 - alpha) * g^2; centered: a = lerp(a, g,
    1 - alpha), d = sqrt(s - a^2) + eps, else d = sqrt(s) + eps; with momentum b = momentum * b +
    g / d and p -= lr * b, else p -= lr * g / d."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False):
        check_not_differentiable("RMSprop", differentiable)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        for name in ("lr", "eps", "weight_decay", "momentum"):
            check_range(self._name, name, group[name], 0)
        check_range(self._name, "alpha", group["alpha"], 0, 1)
        check_flag(self._name, "centered", group["centered"])
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        alpha, lr, momentum, centered = group["alpha"], group["lr"], group["momentum"], group["centered"]
        state["step"] += 1
        extra = [state["grad_avg"]] if centered else []  # rest[0] below
        extra += [state["momentum_buffer"]] if momentum > 0 else []  # rest[-1]
        for work, tmp, param, g, square_avg, *rest in self._pieces(p, grad, state["square_avg"], *extra):
            g = effective_grad(g, param, group["maximize"], group["weight_decay"], out=work)
            square_avg *= alpha
            square_avg += np.multiply(np.multiply(g, g, out=tmp), 1 - alpha, out=tmp)
            if centered:
                grad_avg = rest[0]
                grad_avg += np.multiply(np.subtract(g, grad_avg, out=tmp), 1 - alpha, out=tmp)
                denom = np.sqrt(np.subtract(square_avg, np.multiply(grad_avg, grad_avg, out=tmp), out=tmp), out=tmp)
            else:
                denom = np.sqrt(square_avg, out=tmp)
            denom += group["eps"]
            if momentum > 0:
                buf = rest[-1]
                buf *= momentum
                buf += np.divide(g, denom, out=tmp)
                param += np.multiply(buf, -lr, out=tmp)
            else:
                step = np.divide(g, denom, out=tmp)
                step *= -lr
                param += step
