"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay (torch.optim.SGD's equations)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..errors import ConfigError
from ..tensor import Tensor
from .optimizer import _WHOLE, Optimizer, check_flag, check_not_differentiable, check_range, effective_grad


class SGD(Optimizer):
    """g = grad + weight_decay * p; b = momentum * b + (1 - dampening) * g (b = g at the first
    step); g = g + momentum * b if nesterov else b; p -= lr * g."""

    def __init__(self, params: Iterable[Tensor] | Iterable[dict], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False, *,
                 maximize: bool = False, foreach=None, differentiable: bool = False, fused=None):
        check_not_differentiable("SGD", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        for name in ("lr", "momentum", "weight_decay"):
            check_range(self._name, name, group[name], 0)
        check_range(self._name, "dampening", group["dampening"], 0, 1)
        check_flag(self._name, "nesterov", group["nesterov"])
        check_flag(self._name, "maximize", group["maximize"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ConfigError(f"{self._name}: nesterov=True needs momentum > 0 and dampening == 0, got "
                              f"momentum={group['momentum']!r}, dampening={group['dampening']!r}")

    def _update_group(self, group: dict[str, Any], updated: list[np.ndarray]) -> None:
        if group["momentum"] or group["weight_decay"] or group["maximize"]:
            return super()._update_group(group, updated)
        # Plain SGD, the common case: p -= lr * grad through a scratch array, without the general
        # path's per-parameter bookkeeping; a large parameter takes the general path, in pieces.
        scale = None  # -lr as a 0-d array of the gradient's dtype, which NumPy multiplies by faster
        kept = self._work  # _scratch's arrays, looked up here: a call per parameter costs as much as the update
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            data, grad = p.data, grad.data
            if data.size > _WHOLE or grad.shape != data.shape:  # (_checked_grad raises for the latter)
                self._update(p, self._checked_grad(p), group)
            else:
                if scale is None or scale.dtype != grad.dtype:
                    scale = np.array(-group["lr"], grad.dtype)
                scratch = kept.get(p)
                tmp = scratch[2] if scratch is not None and scratch[0] is data else self._scratch(p)[1]
                data += np.multiply(grad, scale, out=tmp)
            updated.append(data)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        buffers, first_step = (), False
        if momentum:
            state = self.state.setdefault(p, {})
            first_step = state.get("momentum_buffer") is None
            if first_step:
                state["momentum_buffer"] = np.empty_like(p.data)
            buffers = (state["momentum_buffer"],)
        for work, tmp, param, g, *buf in self._pieces(p, grad, *buffers):
            g = effective_grad(g, param, group["maximize"], group["weight_decay"], out=work)
            if buf:
                (buf,) = buf
                if first_step:
                    np.copyto(buf, g)
                else:
                    buf *= momentum
                    buf += np.multiply(g, 1 - dampening, out=tmp) if dampening else g
                g = np.add(g, np.multiply(buf, momentum, out=tmp), out=tmp) if group["nesterov"] else buf
            param += np.multiply(g, -lr, out=tmp)
