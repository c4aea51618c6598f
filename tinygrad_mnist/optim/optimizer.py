"""Optimizer: parameter groups, per-parameter state, zero_grad, step and state_dict, as torch.optim.

Subclasses implement `_check_hyperparameters(group)` and `_update(param, grad, group)` (or, as in
torch, their own `step`, with `self.state[p]` a dict that starts empty); the update writes into
`param.data` in place, so the arrays held by the model and the graph stay the same objects and
keep their dtype (float32 stays float32). A subclass may also override
`_update_group(group, updated)`, which calls `_update` for each parameter with a gradient, to take
a common case in one loop (plain SGD does).
"""
from __future__ import annotations

import itertools
import math
import numbers
import reprlib
import weakref
from collections import defaultdict
from typing import Any, Callable, Iterable

import numpy as np

from .. import autograd
from ..autograd import enable_grad
from ..errors import ConfigError, DataError, DTypeError, ShapeError
from ..promotion import _values
from ..tensor import Tensor


class Optimizer:
    """Base class: holds param_groups and state; subclasses define the update equations."""

    _scalar_state = frozenset({"step"})  # state entries that are numbers (0-d tensors in torch's state_dict)
    _kept_subnormal = frozenset()  # state arrays whose subnormals change the steps: see _flush_subnormals

    def __init__(self, params: Iterable[Tensor] | Iterable[tuple[str, Tensor]] | Iterable[dict],
                 defaults: dict[str, Any]):
        """Take an iterable of Tensors or of (name, Tensor) pairs (model.named_parameters()), or of
        param-group dicts with per-group hyperparameters whose 'params' are either."""
        self.defaults = dict(defaults)
        self._check_hyperparameters(self.defaults)
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)  # as torch: {} before a first step
        self.param_groups: list[dict[str, Any]] = []
        self._work: dict[Tensor, tuple] = {}         # scratch arrays per parameter: see _pieces
        self._piece_work: dict[np.dtype, tuple] = {}  # scratch arrays per dtype, for pieces
        self._constants_key, self._constant_arrays = None, ()  # see _constants
        self._steps = 0        # for _flush_subnormals; not part of the state (it changes no result)
        # What the latest step changed, for backward's check of saved arrays (see autograd).
        self._step_record = autograd.StepRecord(f"{type(self).__name__}.step()")
        weakref.finalize(self, self._step_record.retire).atexit = False
        if isinstance(params, Tensor):
            raise DTypeError(f"{self._name}: params must be an iterable of Tensors or of param-group "
                             f"dicts, got a single Tensor; pass [tensor] or model.parameters()")
        groups = _ordered(self._name, params)
        if not groups:
            raise ConfigError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; hyperparameters it does not set come from the defaults. Given
        (name, Tensor) pairs, the group records the names as 'param_names', as torch does; then
        every group must have names."""
        if not isinstance(param_group, dict):
            raise DTypeError(f"{self._name}.add_param_group: expected a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ConfigError(f"{self._name}.add_param_group: the dict needs a 'params' entry, "
                              f"got keys {sorted(param_group)}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else _ordered(self._name, params)
        params, names = _split_names(self._name, params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise DTypeError(f"{self._name}: can only optimize Tensors, got {type(p).__name__} "
                                 f"at position {i}")
            if not p.is_leaf:
                raise ConfigError(f"{self._name}: can't optimize a non-leaf Tensor (position {i}); "
                                  f"optimize the leaf it was computed from, or .detach() it")
            if p.dtype.kind != "f":
                raise DTypeError(f"{self._name}: parameters must be floating point, got dtype "
                                 f"{p.dtype} at position {i}")
        if len({id(p) for p in params}) != len(params):
            raise ConfigError(f"{self._name}: a parameter group contains the same parameter twice")
        group = {**self.defaults, **param_group, "params": params}
        if names is not None:
            group["param_names"] = names
        named = "param_names" in group
        if any(("param_names" in other) != named for other in self.param_groups):
            raise ConfigError(f"{self._name}: all optimizer param groups should be with/without names; cannot "
                              f"add a param group {'with' if named else 'without'} names to groups "
                              f"{'without' if named else 'with'} them")
        seen = {id(p) for other in self.param_groups for p in other["params"]}
        if any(id(p) in seen for p in params):
            raise ConfigError(f"{self._name}: some parameters appear in more than one parameter group")
        self._check_hyperparameters(group)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient, or with set_to_none=False zero it in place."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; return closure()'s loss if one is given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        updated: list[np.ndarray] = []
        for group in self.param_groups:
            self._update_group(group, updated)
        self._step_record.record(updated)
        self._steps += 1
        if self._steps % _FLUSH_EVERY == 0:
            self._flush_subnormals()
        return loss

    def _flush_subnormals(self) -> None:
        """Set the subnormal numbers (below the dtype's smallest normal, ~1e-38 in float32) in
        the state arrays to zero. A moment that decays towards zero, as it does for the weights
        of an always-blank pixel, ends stuck at the smallest subnormal, and x86 arithmetic on
        subnormals is many times slower: Adam's step on MNIST grew 60% over four epochs. A step
        made from such a moment is below half an ulp of any parameter larger than about 1e-24
        in magnitude, so zeroing it leaves the parameters as they were. The arrays named in
        _kept_subnormal are left: for them that does not hold."""
        for state in self.state.values():
            for name, value in state.items():
                if isinstance(value, np.ndarray) and value.dtype.kind == "f" and name not in self._kept_subnormal:
                    value[np.abs(value) < np.finfo(value.dtype).tiny] = 0

    def _update_group(self, group: dict[str, Any], updated: list[np.ndarray]) -> None:
        """Update each parameter of group that has a gradient, and append its array to updated (a
        subclass may take a group at once)."""
        for p in group["params"]:
            if p.grad is not None:
                self._update(p, self._checked_grad(p), group)
                updated.append(p.data)

    def _checked_grad(self, p: Tensor) -> np.ndarray:
        """p's gradient array, which must have p's shape."""
        grad = p.grad.data
        if grad.shape != p.data.shape:
            raise ShapeError(f"{self._name}.step: gradient of shape {grad.shape} does not match "
                             f"its parameter of shape {p.data.shape}")
        return grad

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Raise for a bad hyperparameter of group; the built-in optimizers check theirs (an
        optimizer subclassed as in torch, with its own step, need not)."""

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _pieces(self, p: Tensor, *arrays: np.ndarray) -> list[tuple[np.ndarray, ...]]:
        """[(work, tmp, p.data, *arrays), ...] for an elementwise update of p.data and arrays (its
        gradient and state): the arrays whole, or, for a large parameter whose arrays share one
        layout, matching flat slices of _PIECE elements, so that what the update's dozen passes
        touch stays in the core's cache. work and tmp are scratch arrays of the pieces' size, kept
        between steps so that a step allocates nothing."""
        data = p.data
        if data.size <= _WHOLE or not _same_layout(data, arrays):
            return [(*self._scratch(p), data, *arrays)]
        work, tmp = self._piece_work.get(data.dtype) or self._piece_work.setdefault(
            data.dtype, (np.empty(_PIECE, data.dtype), np.empty(_PIECE, data.dtype)))
        flat = [a.ravel(order="K") for a in (data, *arrays)]  # views, in memory order
        pieces = []
        for start in range(0, data.size, _PIECE):
            piece = [f[start:start + _PIECE] for f in flat]
            n = piece[0].size
            pieces.append((work[:n], tmp[:n], *piece))
        return pieces

    def _constants(self, dtype: np.dtype, *values: float) -> tuple[np.ndarray, ...]:
        """values as 0-d arrays of dtype, which a ufunc takes 0.2-0.6 us faster than Python numbers
        (and rounds the same way); kept while the same values come again, as they do for every
        parameter of a step."""
        key = (dtype, values)
        if self._constants_key != key:
            self._constants_key, self._constant_arrays = key, tuple(map(np.array, values, itertools.repeat(dtype)))
        return self._constant_arrays

    def _first_state(self, p: Tensor, arrays: tuple[str, ...], **numbers) -> dict[str, Any]:
        """p's state, made at its first step as torch makes it: step 0, numbers, then arrays of
        zeros like p.data under the names given."""
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            state.update(numbers)
            for name in arrays:
                state[name] = np.zeros_like(p.data)
        return state

    def _scratch(self, p: Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Two scratch arrays like p.data (work, tmp), kept between steps."""
        data = p.data
        scratch = self._work.get(p)
        if scratch is None or scratch[0] is not data:  # new, or p.data was replaced
            for name, value in self.state.get(p, {}).items():
                if isinstance(value, np.ndarray) and value.shape != data.shape:
                    raise ShapeError(f"{self._name}.step: the state '{name}' has shape {value.shape}, but the "
                                     f"parameter's data (replaced?) has shape {data.shape}; clear its state "
                                     f"(del opt.state[p]) to start it afresh")
            scratch = self._work[p] = (data, np.empty_like(data), np.empty_like(data))
        return scratch[1], scratch[2]

    # ---- saving and loading ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {param index: {name: array or number}}, 'param_groups': [{..., 'params':
        [indices]}]}, with copies of the arrays. Save it without pickle with
        tinygrad_mnist.serialization.save_state(path, opt.state_dict()) and restore it with
        opt.load_state_dict(load_state(path))."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _copied(v) for k, v in s.items()} for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by state_dict() from an optimizer built on
        parameters of the same shapes in the same order; state arrays take each parameter's dtype."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise DataError(f"{self._name}.load_state_dict: expected a dict with keys 'param_groups' "
                            f"and 'state', got {got}")
        _check_structure(state_dict, self._name)
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ShapeError(f"{self._name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, this optimizer has {len(self.param_groups)}")
        by_index: dict[int, Tensor] = {}
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            saved_params = list(saved["params"])
            if len(saved_params) != len(group["params"]):
                raise ShapeError(f"{self._name}.load_state_dict: parameter group {i} has "
                                 f"{len(saved_params)} parameters in the state dict, "
                                 f"{len(group['params'])} here")
            by_index.update((int(k), p) for k, p in zip(saved_params, group["params"]))
        state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            if int(key) not in by_index:
                raise DataError(f"{self._name}.load_state_dict: state for parameter {key}, which "
                                f"no parameter group lists")
            p = by_index[int(key)]
            state[p] = {name: _restored(value, p, name in self._scalar_state, f"state '{name}' of parameter {key}",
                                        self._name) for name, value in values.items()}
        restored = []
        for group, saved in zip(self.param_groups, saved_groups):
            hyper = {name: _plain(value, like=group.get(name)) for name, value in saved.items() if name != "params"}
            self._check_hyperparameters({**group, **hyper})
            restored.append(hyper)
        for group, hyper in zip(self.param_groups, restored):  # only now that all are valid: never half-loaded
            group.update(hyper)
        self.state = state

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {k}: {group[k]}" for k in sorted(group) if k != "params")
        return "\n".join(lines) + "\n)"


_FLUSH_EVERY = 64  # steps between _flush_subnormals
_PIECE = 65536  # elements: the pieces of the five or six arrays an update reads fit in a 2 MB L2
_WHOLE = 2 * _PIECE  # elements: parameters up to this size are updated whole


def _same_layout(data: np.ndarray, arrays: tuple[np.ndarray, ...]) -> bool:
    """Whether data is contiguous and the arrays share its shape and memory order, so that
    their flat views line up element for element."""
    flags = data.flags
    return (flags.c_contiguous or flags.f_contiguous) and all(
        a.shape == data.shape and a.strides == data.strides for a in arrays)


def effective_grad(grad: np.ndarray, param: np.ndarray, maximize: bool, weight_decay: float,
                   out: np.ndarray) -> np.ndarray:
    """The gradient torch's update uses: negated when maximizing, plus weight_decay * param (L2)."""
    if weight_decay:
        np.multiply(param, weight_decay, out=out)
        return np.subtract(out, grad, out=out) if maximize else np.add(out, grad, out=out)
    if maximize:
        return np.negative(grad, out=out)
    return grad


def lerp_(m: np.ndarray, g: np.ndarray, weight: float, tmp: np.ndarray) -> np.ndarray:
    """m = lerp(m, g, weight) in place, rounded as torch's lerp_: m + (g - m) weight below a
    weight of 0.5, else g - (g - m) (1 - weight), which keeps a g much smaller than m; the weight
    is taken in m's dtype, as torch takes it in float32 for float32 tensors."""
    weight = m.dtype.type(weight)
    if weight < 0.5:
        m += np.multiply(np.subtract(g, m, out=tmp), weight, out=tmp)
    else:
        np.subtract(g, np.multiply(np.subtract(g, m, out=tmp), 1 - weight, out=tmp), out=m)
    return m


def adam_moments(param: np.ndarray, g: np.ndarray, exp_avg: np.ndarray, exp_avg_sq: np.ndarray,
                 group: dict[str, Any], work: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """The first half of an Adam-like update (NAdam's, RAdam's): the weight decay (into param when
    the group decouples it), then the moments in place, exp_avg = lerp(exp_avg, g, 1 - beta1) and
    exp_avg_sq = beta2 exp_avg_sq + (1 - beta2) g^2. Returns the effective gradient (maybe work)."""
    lr, wd, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
    decoupled = group["decoupled_weight_decay"]
    if decoupled and wd:
        param *= 1 - lr * wd
    g = effective_grad(g, param, group["maximize"], 0 if decoupled else wd, out=work)
    lerp_(exp_avg, g, 1 - beta1, tmp)
    exp_avg_sq *= beta2
    exp_avg_sq += np.multiply(np.multiply(g, g, out=tmp), 1 - beta2, out=tmp)
    return g


def check_adam_hyperparameters(owner: str, group: dict[str, Any], flags: tuple[str, ...],
                               ranges: tuple[str, ...] = ()) -> None:
    """Raise for a bad hyperparameter of an Adam-like group: lr, eps, weight_decay and ranges below
    0, betas not a pair in [0, 1), or flags not True or False."""
    for name in ("lr", "eps", "weight_decay", *ranges):
        check_range(owner, name, group[name], 0)
    betas = group["betas"]
    check_pair(owner, "betas", betas, "beta1, beta2")
    for i, beta in enumerate(betas):
        check_range(owner, f"betas[{i}]", beta, 0, 1, high_open=True)
    for name in flags:
        check_flag(owner, name, group[name])


def check_pair(owner: str, name: str, value, entries: str) -> None:
    """Raise ConfigError unless value is a pair (a tuple or list of two); entries names its two in the message."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ConfigError(f"{owner}: {name} must be a pair ({entries}), got {value!r}")


def check_not_differentiable(owner: str, differentiable: bool) -> None:
    """Refuse torch's differentiable=True, an update autograd can go through. (torch's foreach,
    fused and capturable flags choose how torch runs the same update; the optimizers take them and
    change nothing, as this library's update is one loop either way.)"""
    if differentiable:
        raise ConfigError(f"{owner}: differentiable=True (backpropagating through the update) is not available")


def check_range(owner: str, name: str, value, low: float, high: float = math.inf, *,
                low_open: bool = False, high_open: bool = False, integer: bool = False) -> None:
    """Raise DTypeError unless value is a real number (an integer if asked), ConfigError unless it
    lies between low and high (bounds included unless marked open; with neither bound, it must not
    be NaN); the message names both."""
    kind = "an integer" if integer else "a number"
    if low == -math.inf and high == math.inf:
        expected = ""
    elif high == math.inf:
        expected = f" {'>' if low_open else '>='} {low}"
    else:
        expected = f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if isinstance(value, bool) or not isinstance(value, numbers.Integral if integer else numbers.Real):
        raise DTypeError(f"{owner}: {name} must be {kind}{expected}, got {value!r} of type {type(value).__name__}")
    if not (low <= value <= high) or (low_open and value == low) or (high_open and value == high):
        raise ConfigError(f"{owner}: {name} must be {expected[1:] or kind}, got {value!r}")


def check_flag(owner: str, name: str, value) -> None:
    """Raise DTypeError unless value is True or False."""
    if not isinstance(value, (bool, np.bool_)):
        raise DTypeError(f"{owner}: {name} must be True or False, got {value!r}")


def zero_grads(params: Iterable[Tensor], set_to_none: bool = True) -> None:
    """Drop each parameter's gradient, or with set_to_none=False zero it in place, so that a held
    reference sees the zeros (Optimizer.zero_grad and Module.zero_grad)."""
    if set_to_none:
        for p in params:
            p.grad = None
        return
    for p in params:
        if p.grad is None:
            continue
        if p.grad.is_leaf and p.grad.data.flags.writeable:
            p.grad.data[...] = 0
            autograd.record_change(p.grad.data, "zero_grad")
        else:  # a gradient recorded with create_graph, or a read-only view: start afresh
            p.grad = Tensor(np.zeros_like(p.grad.data))


def _ordered(owner: str, params: Iterable) -> list:
    if isinstance(params, set):
        raise DTypeError(f"{owner}: params must be an ordered collection (a set's order changes "
                         f"between runs); pass a list")
    return list(params)


def _split_names(owner: str, params: list) -> tuple[list, list | None]:
    """(tensors, names) of a group's params: names is None for Tensors, and the names of (name,
    Tensor) pairs (what model.named_parameters() yields); a mix of the two is an error, as in torch."""
    named = [isinstance(p, tuple) for p in params]
    if not any(named):
        return params, None
    if not all(named):
        raise ConfigError(f"{owner}: all optimizer params should be with/without names; some param names are "
                          f"missing (position {named.index(False)} is not a (name, Tensor) pair)")
    for i, pair in enumerate(params):
        if len(pair) != 2:
            raise DTypeError(f"{owner}: a named parameter is a (name, Tensor) pair, got a tuple of length "
                             f"{len(pair)} at position {i}")
    return [p for _, p in params], [name for name, _ in params]


def _copied(value):
    """A state entry for state_dict: arrays and Tensors (an optimizer subclassed as in torch keeps
    those) copied, anything else as it is."""
    if isinstance(value, Tensor):
        return Tensor(value.data.copy())
    return value.copy() if isinstance(value, np.ndarray) else value


def _check_structure(state_dict: dict, owner: str) -> None:
    """Raise DataError unless state_dict's 'state' and 'param_groups' are shaped as state_dict() makes them."""
    state, groups = state_dict["state"], state_dict["param_groups"]
    if not (isinstance(state, dict) and all(isinstance(v, dict) for v in state.values())
            and all(isinstance(k, (int, np.integer)) or isinstance(k, str) and k.isdigit() for k in state)):
        raise DataError(f"{owner}.load_state_dict: 'state' must be a dict of each parameter's state (a dict) "
                        f"under its index, got {reprlib.repr(state)}")
    if not (isinstance(groups, (list, tuple))
            and all(isinstance(g, dict) and isinstance(g.get("params"), (list, tuple)) for g in groups)):
        raise DataError(f"{owner}.load_state_dict: 'param_groups' must be a list of dicts with a 'params' list, "
                        f"got {reprlib.repr(groups)}")


def _restored(value, p: Tensor, scalar: bool, what: str, owner: str):
    """A loaded state entry: arrays are copied with the parameter's dtype and memory layout,
    numbers made plain, and this library's Tensors (an optimizer subclassed as in torch keeps those)
    copied as Tensors. Other array-likes (torch's tensors, in a torch optimizer's state_dict) are
    read as arrays, and a scalar entry (the step count, a 0-d tensor in torch's) as a number."""
    if isinstance(value, Tensor):
        return Tensor(value.data.copy())
    if not isinstance(value, np.ndarray) and hasattr(value, "__array__"):
        value = _values(value)
    if not isinstance(value, np.ndarray) or scalar:
        return _plain(value)
    if value.shape != p.data.shape:
        raise ShapeError(f"{owner}.load_state_dict: {what} has shape {value.shape}, the parameter "
                         f"has shape {p.data.shape}")
    restored = np.empty_like(p.data)  # in the parameter's layout, which the fast updates need
    np.copyto(restored, value, casting="unsafe")
    return restored


def _plain(value, like=None):
    """NumPy scalars as Python numbers; a sequence as a tuple when the current value is one."""
    if isinstance(value, (np.ndarray, np.generic)):
        value = value.tolist()
    if isinstance(like, tuple) and isinstance(value, (list, tuple)):
        return tuple(value)
    return value
