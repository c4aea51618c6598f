"""Learning-rate schedulers with torch.optim.lr_scheduler's semantics: StepLR, ExponentialLR,
CosineAnnealingLR (recursive forms, so schedulers chain) and ReduceLROnPlateau.

Call scheduler.step() once per epoch after optimizer.step(); ReduceLROnPlateau.step(metric).
"""
from __future__ import annotations

import math
from typing import Any, SupportsFloat

from ..errors import ConfigError, DataError, DTypeError
from .optimizer import Optimizer, check_range


class LRScheduler:
    """Base: at each step(), set every param group's lr to what get_lr() computes."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        """Start the schedule (last_epoch=-1), or resume it after last_epoch epochs."""
        if not isinstance(optimizer, Optimizer):
            raise DTypeError(f"{type(self).__name__}: expected an Optimizer, got {type(optimizer).__name__}")
        check_range(type(self).__name__, "last_epoch", last_epoch, -1, integer=True)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ConfigError(f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                                      f"'initial_lr' in param_groups[{i}]; load the optimizer's "
                                      f"state_dict first, or use last_epoch=-1 for a fresh start")
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lr of each param group for the current last_epoch."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the learning rates."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per param group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (numbers, strings and lists of numbers)."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what state_dict() returned (for instance after unflatten_state_dict)."""
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        if unknown:
            raise DataError(f"{type(self).__name__}.load_state_dict: unexpected keys {unknown}")
        self.__dict__.update({k: list(v) if isinstance(v, (list, tuple)) else v for k, v in state_dict.items()})

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        check_range(type(self).__name__, "step_size", step_size, 1, integer=True)
        check_range(type(self).__name__, "gamma", gamma, 0, low_open=True)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1):
        check_range(type(self).__name__, "gamma", gamma, 0, low_open=True)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, computed recursively from
    the current lr as torch does (so it composes with other schedulers); rises again after T_max."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        check_range(type(self).__name__, "T_max", T_max, 1, integer=True)
        check_range(type(self).__name__, "eta_min", eta_min, 0)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._group_lrs()
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:  # just past a minimum, where the ratio below would be 0/0
            return [lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(self._group_lrs(), self.base_lrs, strict=True)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - low) + low for lr in self._group_lrs()]


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by factor (not below min_lr) once the metric has not improved by more than
    threshold for more than patience epochs; then wait cooldown epochs before counting again."""

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8):
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise DTypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
        if mode not in ("min", "max"):
            raise ConfigError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ConfigError(f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        check_range(name, "factor", factor, 0, 1, high_open=True)
        check_range(name, "patience", patience, 0, integer=True)
        check_range(name, "threshold", threshold, 0)
        check_range(name, "cooldown", cooldown, 0, integer=True)
        check_range(name, "eps", eps, 0)
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ConfigError(f"{name}: min_lr needs one value per param group ({n_groups}), "
                                  f"got {len(min_lr)}")
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * n_groups
        for i, value in enumerate(self.min_lrs):
            check_range(name, f"min_lr[{i}]", value, 0)
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._group_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: SupportsFloat) -> None:
        """Record one epoch's metric and reduce the learning rates if it has plateaued."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._group_lrs()

    def _is_better(self, current: float) -> bool:
        best, threshold, relative = self.best, self.threshold, self.threshold_mode == "rel"
        if self.mode == "min":
            return current < (best * (1 - threshold) if relative else best - threshold)
        return current > (best * (1 + threshold) if relative else best + threshold)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise ConfigError(f"{type(self).__name__}: the optimizer now has {len(groups)} param groups "
                                  f"but min_lr gave {len(self.min_lrs)} values; set .min_lrs to one per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
