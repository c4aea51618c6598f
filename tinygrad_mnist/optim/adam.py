"""Adam (L2 weight decay, AMSGrad) and AdamW (decoupled weight decay): torch.optim's equations."""
from __future__ import annotations

from functools import partial
from typing import Any, Iterable

import numpy as np

from ..tensor import Tensor
from .optimizer import _WHOLE, Optimizer, check_adam_hyperparameters, check_not_differentiable, effective_grad


class Adam(Optimizer):
    """g = grad + weight_decay * p; m = lerp(m, g, 1 - beta1); v = beta2 * v + (1 - beta2) * g^2;
    v_max = max(v_max, v) with amsgrad; p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 0.0,
                 amsgrad: bool = False, *, foreach=None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused=None, decoupled_weight_decay: bool = False):
        check_not_differentiable(type(self).__name__, differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        check_adam_hyperparameters(self._name, group, ("amsgrad", "maximize", "decoupled_weight_decay"))

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self._first_state(p, ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if group["amsgrad"] else ()))
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        state["step"] += 1
        t = state["step"]
        moments = [state["exp_avg"], state["exp_avg_sq"]] + ([state["max_exp_avg_sq"]] if group["amsgrad"] else [])
        constants = self._constants(p.data.dtype, 1 - beta1, beta2, 1 - beta2, (1 - beta2 ** t) ** 0.5, eps,
                                    -lr / (1 - beta1 ** t))
        near_grad = constants[0] >= 0.5
        for work, tmp, param, g, m, v, *v_max in self._pieces(p, grad, *moments):
            if decoupled and wd:
                param *= 1 - lr * wd
            g = effective_grad(g, param, maximize, 0 if decoupled else wd, out=work)
            _adam_update(near_grad, *constants, v_max[0] if v_max else None, param, g, m, v, tmp)

    def _update_group(self, group: dict[str, Any], updated: list[np.ndarray]) -> None:
        if group["amsgrad"] or group["maximize"] or group["weight_decay"] and not group["decoupled_weight_decay"]:
            return super()._update_group(group, updated)
        # Adam without AMSGrad or L2 (and AdamW), the common case: _update's arithmetic without its
        # per-parameter set-up, which costs as much as the update on small layers. A parameter's
        # first step, a large parameter (updated in pieces) and a replaced p.data take _update.
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        kept, states = self._work, self.state
        key = None  # (step, dtype) of the constants, which the parameters of a group share as a rule
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data, grad = p.data, grad.data
            state, scratch = states.get(p), kept.get(p)
            if not state or scratch is None or scratch[0] is not data or data.size > _WHOLE \
                    or grad.shape != data.shape:  # (_checked_grad raises for the last)
                self._update(p, self._checked_grad(p), group)
            else:
                if wd:
                    data *= 1 - lr * wd
                t = state["step"] = state["step"] + 1
                if key != (t, data.dtype):
                    key = (t, data.dtype)
                    constants = self._constants(data.dtype, 1 - beta1, beta2, 1 - beta2, (1 - beta2 ** t) ** 0.5,
                                                eps, -lr / (1 - beta1 ** t))
                    # (a partial saves passing the constants for each parameter)
                    step = partial(_adam_update, constants[0] >= 0.5, *constants, None)
                step(data, grad, state["exp_avg"], state["exp_avg_sq"], scratch[2])
            updated.append(data)


def _adam_update(near_grad, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps, minus_step_size,
                 v_max, param, g, m, v, tmp) -> None:
    """One Adam update of param, m and v (and v_max, with AMSGrad; else None) in place, from the
    effective gradient g, through the scratch array tmp. m = lerp(m, g, 1 - beta1) is rounded as
    torch's lerp_ for any weight: m + (g - m) (1 - beta1) below 0.5, else (near_grad)
    g - (g - m) beta1, which keeps a gradient much smaller than m (with beta1 = 0, m is g exactly)."""
    if near_grad:
        np.subtract(g, np.multiply(np.subtract(g, m, out=tmp), 1 - one_minus_beta1, out=tmp), out=m)
    else:
        m += np.multiply(np.subtract(g, m, out=tmp), one_minus_beta1, out=tmp)
    v *= beta2
    v += np.multiply(np.multiply(g, g, out=tmp), one_minus_beta2, out=tmp)
    if v_max is not None:
        v = np.maximum(v_max, v, out=v_max)
    denom = np.sqrt(v, out=tmp)
    denom /= bias_correction2_sqrt
    denom += eps
    step = np.divide(m, denom, out=tmp)
    step *= minus_step_size
    param += step


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam step."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8, weight_decay: float = 1e-2,
                 amsgrad: bool = False, *, maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize, foreach=foreach,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
