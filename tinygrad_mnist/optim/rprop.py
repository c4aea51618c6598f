"""Rprop, resilient backpropagation (torch.optim.Rprop's equations)."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, check_flag, check_not_differentiable, check_pair, check_range, effective_grad


class Rprop(Optimizer):
    """f = etaplus where g * prev > 0, etaminus where < 0, else 1; step_size = clamp(step_size * f,
    *step_sizes); g = 0 where f = etaminus; p -= sign(g) * step_size; prev = g. The step sizes
    start at lr (the state 'step_size'); prev at 0."""

    # Its update reads prev's sign, and grows a step size by etaplus from however small it is
    _kept_subnormal = frozenset({"prev", "step_size"})

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2), step_sizes: tuple[float, float] = (1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False, differentiable: bool = False):
        check_not_differentiable("Rprop", differentiable)
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        check_range(self._name, "lr", group["lr"], 0)
        check_pair(self._name, "etas", group["etas"], "etaminus, etaplus")
        check_range(self._name, "etas[0]", group["etas"][0], 0, 1, low_open=True, high_open=True)
        check_range(self._name, "etas[1]", group["etas"][1], 1, low_open=True)
        check_pair(self._name, "step_sizes", group["step_sizes"], "min_step, max_step")
        for i, size in enumerate(group["step_sizes"]):  # (torch takes any, a minimum above the maximum too)
            check_range(self._name, f"step_sizes[{i}]", size, -math.inf)
        check_flag(self._name, "maximize", group["maximize"])

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state.setdefault(p, {})
        if not state:
            state.update(step=0, prev=np.zeros_like(p.data), step_size=np.full_like(p.data, group["lr"]))
        state["step"] += 1
        # torch compares and clamps in the parameters' dtype (NumPy would compare with a NumPy float64 in float64)
        etaminus, etaplus, low, high = map(p.data.dtype.type, (*group["etas"], *group["step_sizes"]))
        for work, tmp, param, g, prev, step_size in self._pieces(p, grad, state["prev"], state["step_size"]):
            g = effective_grad(g, param, group["maximize"], 0, out=work)
            factor = np.sign(np.multiply(g, prev, out=tmp), out=tmp)  # (a product that underflows has no sign)
            factor[factor > 0] = etaplus
            factor[factor < 0] = etaminus
            factor[factor == 0] = 1
            step_size *= factor
            np.clip(step_size, low, high, out=step_size)
            if g is not work:
                np.copyto(work, g)
            work[factor == etaminus] = 0
            np.copyto(prev, work)
            param -= np.multiply(np.sign(work, out=tmp), step_size, out=tmp)
