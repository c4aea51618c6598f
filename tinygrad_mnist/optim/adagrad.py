"""Adagrad with learning-rate decay and L2 weight decay (torch.optim.Adagrad's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_not_differentiable, check_range, effective_grad


class Adagrad(Optimizer):
    """g = grad + weight_decay * p; s += g^2; p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps).

    As torch's, every parameter's state (step 0, and the sum at initial_accumulator_value) is made
    at construction, and the sum starts at the constructor's initial_accumulator_value even for a
    group that sets its own."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0, eps: float = 1e-10,
                 foreach=None, *, maximize: bool = False, differentiable: bool = False, fused=None):
        check_not_differentiable("Adagrad", differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_range(self._name, name, group[name], 0)
        check_flag(self._name, "maximize", group["maximize"])

    def _init_state(self, p: Tensor) -> dict[str, Any]:
        state = self.state[p]
        state["step"] = 0
        state["sum"] = np.full_like(p.data, self.defaults["initial_accumulator_value"])
        return state

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state.get(p) or self._init_state(p)  # (a parameter of a group added later)
        state["step"] += 1
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        for work, tmp, param, g, sum_ in self._pieces(p, grad, state["sum"]):
            g = effective_grad(g, param, group["maximize"], group["weight_decay"], out=work)
            sum_ += np.multiply(g, g, out=tmp)
            std = np.sqrt(sum_, out=tmp)
            std += group["eps"]
            step = np.multiply(g, -clr, out=work)
            step /= std
            param += step
