"""Learning-rate schedulers with torch.optim.lr_scheduler's semantics: StepLR, MultiStepLR, ExponentialLR,
CosineAnnealingLR, LambdaLR, MultiplicativeLR, LinearLR, ConstantLR and PolynomialLR (recursive forms, so
schedulers chain), CosineAnnealingWarmRestarts, OneCycleLR (which also cycles momentum or Adam's beta1),
SequentialLR and ChainedScheduler (which combine others) and ReduceLROnPlateau.

Call scheduler.step() once per epoch after optimizer.step() (OneCycleLR once per batch);
ReduceLROnPlateau.step(metric).
"""
from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from typing import Any, Callable, Iterable, Sequence, SupportsFloat

from ..errors import ConfigError, DataError, DTypeError
from .optimizer import Optimizer, check_flag, check_range

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
           "MultiplicativeLR", "LinearLR", "ConstantLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "OneCycleLR",
           "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]

EPOCH_DEPRECATION_WARNING = (  # torch's words
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. "
    "Please use `scheduler.step()` to step the scheduler. During the deprecation, if epoch is different "
    "from None, the closed form is used instead of the new chainable form, where available.")


def _deprecated_epoch(scheduler, epoch: float) -> float:
    """epoch, checked, for a step(epoch) call, after torch's deprecation warning."""
    warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=3)
    check_range(f"{type(scheduler).__name__}.step", "epoch", epoch, 0)
    return epoch


class LRScheduler:
    """Base: at each step(), set every param group's lr to what get_lr() computes."""

    # In a torch scheduler's state_dict: the count of steps behind its warnings about the order of
    # optimizer.step() and scheduler.step(), and the flag behind its warning about calling get_lr()
    _torch_only_keys = frozenset({"_step_count", "_get_lr_called_within_step"})

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        """Start the schedule (last_epoch=-1), or resume it after last_epoch epochs."""
        _check_optimizer(type(self).__name__, optimizer)
        check_range(type(self).__name__, "last_epoch", last_epoch, -1, integer=True)
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            _check_resumable(type(self).__name__, optimizer, last_epoch, ("initial_lr",))
        self.optimizer = optimizer
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """The constructor's step (also SequentialLR's for its first scheduler): set the lrs for
        last_epoch + 1, which the recursive forms take to be the current ones."""
        self._is_initial = True
        self.step()
        self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lr of each param group for the current last_epoch."""
        raise NotImplementedError

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch and set the learning rates. step(epoch), deprecated in torch, which warns,
        goes to epoch instead."""
        if epoch is None:
            self.last_epoch += 1
            self._set_lrs(self.get_lr())
            return
        self._go_to(_deprecated_epoch(self, epoch))

    def _go_to(self, epoch: float) -> None:
        """Go to epoch, as step(epoch) does, and SequentialLR at a milestone (to epoch 0): the closed
        form where there is one (from base_lrs, whatever the current lrs are), else get_lr()."""
        self.last_epoch = epoch
        closed_form = getattr(self, "_closed_form_lr", None)
        self._set_lrs(closed_form() if closed_form else self.get_lr())

    def _set_lrs(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = self._group_lrs()

    def get_last_lr(self) -> list[float]:
        """The learning rates the last step() set, one per param group."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Every attribute but the optimizer (numbers, strings and lists of numbers)."""
        return {k: list(v) if isinstance(v, list) else v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore what state_dict() returned (for instance after unflatten_state_dict), or what the
        torch scheduler of the same class returned (its bookkeeping that means nothing here is left out)."""
        state = {k: v for k, v in state_dict.items() if k not in self._torch_only_keys}
        unknown = sorted(set(state) - set(self.state_dict()))
        if unknown:
            name = type(self).__name__
            raise DataError(f"{name}.load_state_dict: unexpected keys {unknown}; expected those of a {name}'s "
                            f"state_dict(), ours or torch's")
        self.__dict__.update({k: list(v) if isinstance(v, (list, tuple)) else v for k, v in state.items()})

    def _group_lrs(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class _LRScheduler(LRScheduler):
    """LRScheduler's old name, which torch keeps (as a subclass, so that the name is its own)."""


def _check_optimizer(owner: str, optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        raise DTypeError(f"{owner}: expected an Optimizer, got {type(optimizer).__name__}")


def _check_resumable(owner: str, optimizer: Optimizer, last_epoch: int, keys: Iterable[str]) -> None:
    """Resuming needs what the fresh start put in the param groups (restored with the optimizer's state)."""
    for i, group in enumerate(optimizer.param_groups):
        for key in keys:
            if key not in group:
                raise ConfigError(f"{owner}: resuming at last_epoch={last_epoch} needs {key!r} in "
                                  f"param_groups[{i}]; load the optimizer's state_dict first, or use "
                                  f"last_epoch=-1 for a fresh start")


def _check_value_error(owner: str, name: str, value, low: float, *, integer: bool = False) -> None:
    """check_range, for arguments that torch rejects with ValueError whether their type or value is wrong."""
    try:
        check_range(owner, name, value, low, integer=integer)
    except DTypeError as err:
        raise ConfigError(str(err)) from None


def _check_epochs(owner: str, name: str, value, low: int) -> None:
    """check_range for a number of epochs or an epoch: an integer, or a float with a whole value, which
    torch takes (step_size=epochs / 4). A fractional one is refused: no epoch would reach it, and torch's
    recursive and closed forms disagree about it."""
    check_range(owner, name, value, low)
    if not float(value).is_integer():
        raise DTypeError(f"{owner}: {name} must be an integer (or a whole float) >= {low}, got {value!r}")


def _per_group(owner: str, name: str, value, optimizer: Optimizer) -> list:
    """value, one per param group: a list or tuple of that length, or one number for all."""
    n_groups = len(optimizer.param_groups)
    if not isinstance(value, (list, tuple)):
        value = [value] * n_groups
    elif len(value) != n_groups:
        raise ConfigError(f"{owner}: {name} needs one value per param group ({n_groups}), got {len(value)}")
    for i, v in enumerate(value):
        check_range(owner, f"{name}[{i}]", v, 0)
    return list(value)


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _check_epochs(type(self).__name__, "step_size", step_size, 1)
        check_range(type(self).__name__, "gamma", gamma, 0, low_open=True)
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._group_lrs()
        return [lr * self.gamma for lr in self._group_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each milestone epoch (by gamma ** n at one listed n times)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1, last_epoch: int = -1):
        milestones = list(milestones)
        for i, milestone in enumerate(milestones):
            _check_epochs(type(self).__name__, f"milestones[{i}]", milestone, 0)
        check_range(type(self).__name__, "gamma", gamma, 0, low_open=True)
        self.milestones = Counter(map(int, milestones))  # int keys, which save_state can store
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._group_lrs()
        return [lr * self.gamma ** self.milestones[self.last_epoch] for lr in self._group_lrs()]

    def _closed_form_lr(self) -> list[float]:
        passed = sum(n for milestone, n in self.milestones.items() if milestone <= self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]


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

    def _closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, computed recursively from
    the current lr as torch does (so it composes with other schedulers); rises again after T_max."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):
        check_range(type(self).__name__, "T_max", T_max, 0, low_open=True)  # any period, as torch
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

    def _closed_form_lr(self) -> list[float]:
        low = self.eta_min
        return [low + (base - low) * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class _LambdaScheduler(LRScheduler):
    """LambdaLR and MultiplicativeLR: one function of the epoch per param group. As torch, the
    state_dict keeps a callable object's attributes but not a function (None in its place)."""

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        n_groups = len(optimizer.param_groups)
        if not isinstance(lr_lambda, (list, tuple)):
            lr_lambda = [lr_lambda] * n_groups
        elif len(lr_lambda) != n_groups:
            raise ConfigError(f"{name}: expected {n_groups} lr_lambdas (one per param group), "
                              f"got {len(lr_lambda)}")
        for fn in lr_lambda:
            if not callable(fn):
                raise DTypeError(f"{name}: lr_lambda must be callable, got {type(fn).__name__}")
        self.lr_lambdas = list(lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")
                               else dict(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        if len(saved) != len(self.lr_lambdas):
            raise DataError(f"{type(self).__name__}.load_state_dict: lr_lambdas has {len(saved)} entries, "
                            f"for {len(self.lr_lambdas)} functions")
        super().load_state_dict(state)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(attributes)


class LambdaLR(_LambdaScheduler):
    """lr = initial lr * lr_lambda(epoch)."""

    def get_lr(self) -> list[float]:
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaScheduler):
    """Multiply the lr by lr_lambda(epoch) every epoch."""

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return self._group_lrs()
        return [lr * fn(self.last_epoch) for fn, lr in zip(self.lr_lambdas, self._group_lrs(), strict=True)]


class LinearLR(LRScheduler):
    """Multiply the initial lr by a factor going linearly from start_factor to end_factor over
    total_iters epochs, then keep it."""

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0,
                 total_iters: int = 5, last_epoch: int = -1):
        check_range(type(self).__name__, "start_factor", start_factor, 0, 1, low_open=True)
        check_range(type(self).__name__, "end_factor", end_factor, 0, 1)
        _check_epochs(type(self).__name__, "total_iters", total_iters, 1)
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in self._group_lrs()]
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        start, change = self.start_factor, self.end_factor - self.start_factor
        ratio = 1.0 + change / (self.total_iters * start + (self.last_epoch - 1) * change)
        return [lr * ratio for lr in self._group_lrs()]

    def _closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch)
        factor = self.start_factor + (self.end_factor - self.start_factor) * done / self.total_iters  # torch's order
        return [base * factor for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """Multiply the lr by factor for the first total_iters epochs."""

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1):
        # torch takes factor=0, then divides by it at total_iters
        check_range(type(self).__name__, "factor", factor, 0, 1, low_open=True)
        _check_epochs(type(self).__name__, "total_iters", total_iters, 0)
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in self._group_lrs()]
        if self.last_epoch != self.total_iters:
            return self._group_lrs()
        return [lr * (1.0 / self.factor) for lr in self._group_lrs()]

    def _closed_form_lr(self) -> list[float]:
        return [base * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr = initial lr * (1 - epoch / total_iters) ** power, reaching 0 at total_iters."""

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1):
        _check_epochs(type(self).__name__, "total_iters", total_iters, 1)
        check_range(type(self).__name__, "power", power, 0)
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial or self.last_epoch > self.total_iters:
            return self._group_lrs()
        t, T = self.last_epoch, self.total_iters
        decay = ((1.0 - t / T) / (1.0 - (t - 1) / T)) ** self.power
        return [lr * decay for lr in self._group_lrs()]

    def _closed_form_lr(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left ** self.power for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """lr = eta_min + (initial lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2, where T_cur counts the
    epochs since the last restart and the period T_i starts at T_0 and grows T_mult times at each."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1):
        _check_value_error(type(self).__name__, "T_0", T_0, 1, integer=True)
        _check_value_error(type(self).__name__, "T_mult", T_mult, 1, integer=True)
        _check_value_error(type(self).__name__, "eta_min", eta_min, 0)
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        low = self.eta_min
        return [low + (base - low) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2 for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or go to epoch (which may be fractional: step(epoch + i / batches) after
        batch i)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur, self.T_i = self.T_cur % self.T_i, self.T_i * self.T_mult
        else:
            _check_value_error(f"{type(self).__name__}.step", "epoch", epoch, 0)
            self.T_cur, self.T_i = self._position(epoch)
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())

    def _position(self, epoch: float) -> tuple[float, int]:
        """(T_cur, T_i) at epoch, as torch computes them."""
        if epoch < self.T_0:
            return epoch, self.T_0
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_i
        restarts = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
        return (epoch - self.T_0 * (self.T_mult ** restarts - 1) / (self.T_mult - 1),
                self.T_0 * self.T_mult ** restarts)


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per batch: the lr rises from max_lr / div_factor to max_lr over
    the first pct_start of total_steps, then falls to max_lr / div_factor / final_div_factor (with
    three_phase, back to the start first), by cosine or linear annealing; with cycle_momentum the
    momentum (Adam's beta1) moves the other way between max_momentum and base_momentum."""

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float], total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85, max_momentum: float | list[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        self.total_steps = _one_cycle_total_steps(name, total_steps, epochs, steps_per_epoch)
        if not isinstance(pct_start, float) or not 0 <= pct_start <= 1:
            raise ConfigError(f"{name}: pct_start must be a float in [0, 1], got {pct_start!r}")
        if pct_start * self.total_steps == 1:  # torch divides by zero here
            raise ConfigError(f"{name}: pct_start * total_steps must not be 1 (the rise would take no steps), "
                              f"got {pct_start} * {self.total_steps}")
        if anneal_strategy not in ("cos", "linear"):
            raise ConfigError(f"{name}: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        check_flag(name, "cycle_momentum", cycle_momentum)
        check_flag(name, "three_phase", three_phase)
        check_range(name, "div_factor", div_factor, 0, low_open=True)
        check_range(name, "final_div_factor", final_div_factor, 0, low_open=True)
        self._schedule_phases = _one_cycle_phases(pct_start, self.total_steps, three_phase)
        self._anneal_func_type = anneal_strategy
        self.cycle_momentum = cycle_momentum
        max_lrs = _per_group(name, "max_lr", max_lr, optimizer)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            self._start_momentum_cycle(optimizer, base_momentum, max_momentum, last_epoch == -1)
        if last_epoch != -1:
            momentum_keys = ("max_momentum", "base_momentum") if cycle_momentum else ()
            _check_resumable(name, optimizer, last_epoch, ("initial_lr", "max_lr", "min_lr", *momentum_keys))
        super().__init__(optimizer, last_epoch)

    def _start_momentum_cycle(self, optimizer: Optimizer, base_momentum, max_momentum, fresh: bool) -> None:
        name = type(self).__name__
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ConfigError(f"{name}: cycle_momentum=True needs an optimizer with 'momentum' or 'betas' "
                              f"({type(optimizer).__name__} has neither); pass cycle_momentum=False")
        self.use_beta1 = "betas" in optimizer.defaults
        max_momentums = _per_group(name, "max_momentum", max_momentum, optimizer)
        base_momentums = _per_group(name, "base_momentum", base_momentum, optimizer)
        if fresh:
            for group, high, low in zip(optimizer.param_groups, max_momentums, base_momentums):
                self._set_momentum(group, high)
                group["max_momentum"], group["base_momentum"] = high, low

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ConfigError(f"{type(self).__name__}: tried to step {step} times; the specified number of "
                              f"total steps is {self.total_steps}")
        phase, pct = self._phase_at(step)
        lrs = []
        for group in self.optimizer.param_groups:
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                self._set_momentum(group, self._anneal(group[phase["start_momentum"]],
                                                       group[phase["end_momentum"]], pct))
        return lrs

    def _phase_at(self, step: int) -> tuple[dict[str, Any], float]:
        """The phase step is in (the last one past its end) and how far through it, 0 to 1."""
        start_step = 0.0
        for phase in self._schedule_phases[:-1]:
            if step <= phase["end_step"]:
                return phase, (step - start_step) / (phase["end_step"] - start_step)
            start_step = phase["end_step"]
        last = self._schedule_phases[-1]
        return last, (step - start_step) / (last["end_step"] - start_step)


def _one_cycle_total_steps(owner: str, total_steps, epochs, steps_per_epoch) -> int:
    if total_steps is not None:
        _check_value_error(owner, "total_steps", total_steps, 1, integer=True)
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ConfigError(f"{owner}: pass total_steps, or both epochs and steps_per_epoch")
    _check_value_error(owner, "epochs", epochs, 1, integer=True)
    _check_value_error(owner, "steps_per_epoch", steps_per_epoch, 1, integer=True)
    return epochs * steps_per_epoch


def _one_cycle_phases(pct_start: float, total_steps: int, three_phase: bool) -> list[dict[str, Any]]:
    """OneCycleLR's phases: the step each ends at and the param-group keys of its start and end values."""
    def phase(end_step, start_lr, end_lr, start_momentum, end_momentum):
        return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
                "start_momentum": start_momentum, "end_momentum": end_momentum}
    rise = phase(float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum")
    if not three_phase:
        return [rise, phase(total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
    fall = phase(float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum")
    return [rise, fall, phase(total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]


class _CompositeScheduler(LRScheduler):
    """SequentialLR and ChainedScheduler: schedulers of one optimizer, whose states nest in the state_dict.
    They do not call LRScheduler.__init__: their schedulers made the initial steps."""

    def _take_schedulers(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None) -> None:
        """Check the schedulers (and the optimizer, by default the first one's) and keep them."""
        name = type(self).__name__
        if len(schedulers) < 1:
            raise ConfigError(f"{name}: expected at least one scheduler, got none")
        for i, scheduler in enumerate(schedulers):
            if not isinstance(scheduler, LRScheduler):
                raise DTypeError(f"{name}: schedulers[{i}] must be a learning-rate scheduler, "
                                 f"got {type(scheduler).__name__}")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ConfigError(f"{name}: schedulers[{i}] is a ReduceLROnPlateau, whose step() needs the "
                                  f"metric; step it on its own")
        optimizer = schedulers[0].optimizer if optimizer is None else optimizer
        _check_optimizer(name, optimizer)
        for i, scheduler in enumerate(schedulers):
            if scheduler.optimizer is not optimizer:
                raise ConfigError(f"{name}: schedulers[{i}] steps another optimizer; all must step the same one")
        self._schedulers = list(schedulers)
        self.optimizer = optimizer

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in super().state_dict().items() if k != "_schedulers"}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers", None)
        if saved is not None and len(saved) != len(self._schedulers):
            raise DataError(f"{type(self).__name__}.load_state_dict: {len(saved)} scheduler states for "
                            f"{len(self._schedulers)} schedulers")
        super().load_state_dict(state)
        for scheduler, scheduler_state in zip(self._schedulers, saved or []):
            scheduler.load_state_dict(scheduler_state)


class SequentialLR(_CompositeScheduler):
    """Run schedulers[0] until milestones[0], then schedulers[1] from its epoch 0, and so on."""

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler], milestones: Sequence[int],
                 last_epoch: int = -1):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        check_range(name, "last_epoch", last_epoch, -1, integer=True)
        self._take_schedulers(schedulers, optimizer)
        for i, scheduler in enumerate(schedulers[1:], 1):
            if isinstance(scheduler, _CompositeScheduler):  # torch fails at the milestone (no get_lr)
                raise ConfigError(f"{name}: schedulers[{i}] is a {type(scheduler).__name__}, which cannot start "
                                  f"afresh at a milestone; only the first scheduler may combine others")
        milestones = list(milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ConfigError(f"{name}: expected one milestone fewer than schedulers ({len(schedulers)}), "
                              f"got {len(milestones)}")
        for i, milestone in enumerate(milestones):
            _check_epochs(name, f"milestones[{i}]", milestone, 0)
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise ConfigError(f"{name}: milestones must be increasing, got {milestones}")
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        # Undo the schedulers' own initial steps, then make the first one's again from the initial lrs.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Advance one epoch: the current scheduler steps, or the next one starts at its epoch 0."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._go_to(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


def _undo_initial_steps(scheduler: LRScheduler) -> None:
    """Take back the epoch each scheduler's constructor counted (in nested composites too)."""
    if isinstance(scheduler, _CompositeScheduler):
        for inner in scheduler._schedulers:
            _undo_initial_steps(inner)
    else:
        scheduler.last_epoch -= 1


class ChainedScheduler(_CompositeScheduler):
    """Step every scheduler at each step(), in order, so that their changes to the lr compose."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None):
        self._take_schedulers(schedulers, optimizer)
        self._last_lr = self._group_lrs()

    def step(self) -> None:
        """Step each scheduler."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = self._group_lrs()


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by factor (not below min_lr) once the metric has not improved by more than
    threshold for more than patience epochs; then wait cooldown epochs before counting again."""

    _torch_only_keys = LRScheduler._torch_only_keys | {"mode_worse"}  # torch recomputes it from mode on loading

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr: float | list[float] = 0.0, eps: float = 1e-8):
        name = type(self).__name__
        _check_optimizer(name, optimizer)
        if mode not in ("min", "max"):
            raise ConfigError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ConfigError(f"{name}: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        check_range(name, "factor", factor, 0, 1, high_open=True)
        check_range(name, "patience", patience, 0, integer=True)
        check_range(name, "threshold", threshold, 0)
        check_range(name, "cooldown", cooldown, 0, integer=True)
        check_range(name, "eps", eps, 0)
        self.min_lrs = _per_group(name, "min_lr", min_lr, optimizer)
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else min_lr
        self.optimizer = optimizer
        self.mode, self.factor, self.patience, self.threshold = mode, factor, patience, threshold
        self.threshold_mode, self.cooldown, self.eps = threshold_mode, cooldown, eps
        self.last_epoch = 0
        self._last_lr = self._group_lrs()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:
        """Record one epoch's metric and reduce the learning rates if it has plateaued. An epoch
        (deprecated in torch, which warns) becomes last_epoch."""
        current = float(metrics)
        if epoch is None:
            self.last_epoch += 1
        else:
            self.last_epoch = _deprecated_epoch(self, epoch)
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
