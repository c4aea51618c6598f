"""Module, Parameter and the containers (Sequential, ModuleList, ModuleDict, ParameterList,
ParameterDict): registration, buffers, state_dict and repr as in PyTorch."""
from __future__ import annotations

import itertools
import operator
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from .. import autograd
from ..arguments import check_cpu, is_device
from ..errors import ConfigError, DTypeError, ShapeError
from ..optim.optimizer import zero_grads
from ..promotion import _as_array, _values, as_dtype
from ..tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

_data_slot = Tensor.data  # the slot's own descriptor, which Parameter.data reads and writes through


def _set_parameter_data(p: Tensor, value) -> None:
    """p.data = value: an ndarray as it is; a Tensor's array, which p then shares, as torch's
    parameter shares the tensor's storage (tutorials' p.data = p.data - lr * p.grad is a Tensor)."""
    if type(value) is not np.ndarray:
        if isinstance(value, Tensor):
            value = value.data
        elif isinstance(value, np.ndarray):
            value = np.asarray(value)  # a subclass (np.matrix, memmap) as a plain view
        else:
            raise TypeError(f"Parameter.data: expected a Tensor or a NumPy array, got {type(value).__name__}")
    _data_slot.__set__(p, value)


class Parameter(Tensor):
    """A Tensor that a Module registers as one of its parameters (requires grad by default)."""

    __slots__ = ()
    # A property on Parameters only: it makes benchmark config D's step 2% slower (1.3 of 72 us,
    # for 18 reads through it), and on Tensor it would slow every op.
    data = property(_data_slot.__get__, _set_parameter_data, doc="The parameter's NumPy array.")

    def __init__(self, data, requires_grad: bool = True):
        super().__init__(_as_array(data), requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo: dict) -> Parameter:
        """A new Parameter on a copy of the array (in its memory layout), without the gradient, as torch's."""
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.data.copy(order="K"), self.requires_grad)
        return memo[id(self)]


class _Registry(OrderedDict):
    """A module's _parameters, _buffers or _modules. Every change to it also sets or deletes the
    module's attribute of that name, so the attribute that forward() reads (a plain lookup, where
    torch's __getattr__ costs a Python call) is what the registry holds, however the registry was
    changed: torch code swaps a layer with model._modules[name] = nn.Tanh(). A shallow copy of the
    module shares its registries, as in torch, so they also update the copies they know of (weakly:
    a copy is freed as torch's is, and is no part of a pickle or deepcopy of the registry)."""

    __slots__ = ("_owner", "_copies")

    def __init__(self, owner: Module | None = None):  # None while copy or pickle rebuilds it
        super().__init__()
        self._owner = owner
        self._copies = weakref.WeakSet()

    def __reduce__(self):
        return type(self), (), (None, {"_owner": self._owner}), None, iter(self.items())

    def _owners(self) -> list:
        return ([] if self._owner is None else [self._owner]) + list(self._copies)

    def __setitem__(self, name, value) -> None:
        super().__setitem__(name, value)
        for owner in self._owners():
            owner.__dict__[name] = value

    def __delitem__(self, name) -> None:
        super().__delitem__(name)
        self._drop(name)

    # OrderedDict's own pop, popitem and clear do not go through __delitem__
    def pop(self, name, *default):
        if name in self:
            self._drop(name)
        return super().pop(name, *default)

    def popitem(self, last: bool = True) -> tuple:
        name, value = super().popitem(last)
        self._drop(name)
        return name, value

    def clear(self) -> None:
        for name in self:
            self._drop(name)
        super().clear()

    def _drop(self, name) -> None:
        for owner in self._owners():
            owner.__dict__.pop(name, None)

    def __repr__(self) -> str:
        return repr(dict(self))  # as torch's registries, which are dicts


class Module:
    """Base class of layers and models: assign Parameters and Modules as attributes to register them,
    and register other state that belongs in the state_dict with register_buffer."""

    # Entries of this module's state_dict that load_state_dict lets a state_dict leave out, keeping
    # their values, as torch does for state_dicts of older versions (BatchNorm's num_batches_tracked).
    _older_state_dicts_lack: tuple[str, ...] = ()

    def __init__(self):
        object.__setattr__(self, "_parameters", _Registry(self))
        object.__setattr__(self, "_buffers", _Registry(self))
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", _Registry(self))
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())  # handle id -> hook
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())  # the ids of the hooks that take kwargs
        object.__setattr__(self, "training", True)

    def __copy__(self) -> Module:
        """A shallow copy, sharing this module's parameters, buffers and children as torch's does: its
        registries too, so assigning one of them on either module changes both, as in torch."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        for registry in (self._parameters, self._buffers, self._modules):
            registry._copies.add(clone)
        return clone

    def __setstate__(self, state: dict) -> None:
        """Unpickled or deep-copied: a shallow copy's registries are another module's, so it joins them."""
        self.__dict__.update(state)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry._owner is not self:
                registry._copies.add(self)

    # Registered values are also attributes (see _Registry). The order of the cases is torch's: a
    # Parameter or a Module takes over a name from any other kind, while a parameter's name takes
    # only None otherwise and a buffer's a Tensor or None.
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if isinstance(value, Parameter):
            self._unregister(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif name in self._parameters:
            if value is not None:
                raise DTypeError(f"cannot assign {_type_name(value)} as parameter '{name}' "
                                 f"(Parameter or None expected)")
            self.register_parameter(name, None)
        elif isinstance(value, Module) or (value is None and name in self._modules):
            self._unregister(name, keep=self._modules)
            self._modules[name] = value  # no name checks, as in torch: only add_module makes them
        elif name in self._modules:
            raise DTypeError(f"cannot assign {_type_name(value)} as child module '{name}' (Module or None expected)")
        elif name in self._buffers:
            if value is not None and not isinstance(value, Tensor):
                raise DTypeError(f"cannot assign {_type_name(value)} as buffer '{name}' (Tensor or None expected)")
            self.register_buffer(name, value, persistent=name not in self._non_persistent_buffers_set)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if not any(name in registry for registry in (self._parameters, self._buffers, self._modules)):
            object.__delattr__(self, name)
        self._unregister(name)

    def _unregister(self, name: str, keep: dict | None = None) -> None:
        """Drop name from the instance dict and from the registries but keep (the one to register it
        in again, where it keeps its place)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    # A name that is already registered keeps its place (dicts keep a key's position on
    # reassignment), so replacing a layer of a Sequential does not move it to the end. None
    # keeps the name registered, as in torch, for an optional parameter (Linear's bias) or module.
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register param under name (None records a missing optional parameter, e.g. bias)."""
        self._check_new_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise DTypeError(f"cannot register {_type_name(param)} as parameter '{name}' (Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register tensor under name as a buffer: state that is not a parameter (a running mean, say),
        so the optimizer never sees it, but to() converts it and state_dict() saves it unless
        persistent is False. None keeps the name registered, empty and left out of the state_dict."""
        self._check_new_name("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise DTypeError(f"cannot register {_type_name(tensor)} as buffer '{name}' (Tensor or None expected)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register module as the child called name (None keeps the name registered, empty)."""
        _check_module(module, name)
        self._check_new_name("module", name, "_modules")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as 'encoder.0' ('' for this module)."""
        module = self
        for name in target.split(".") if target else []:
            if not hasattr(module, name):
                raise AttributeError(f"get_submodule: {type(module).__name__} has no attribute `{name}`")
            module = getattr(module, name)
            if not isinstance(module, Module):
                raise AttributeError(f"get_submodule: `{name}` is not an nn.Module")
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as 'encoder.0.weight'."""
        module, name = self._owner_of("get_parameter", target)
        if not isinstance(getattr(module, name), Parameter):
            raise AttributeError(f"get_parameter: `{name}` is not an nn.Parameter")
        return getattr(module, name)

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at a dotted path such as 'bn.running_mean'."""
        module, name = self._owner_of("get_buffer", target)
        if name not in module._buffers:
            raise AttributeError(f"get_buffer: `{name}` is not a buffer")
        return getattr(module, name)

    def _owner_of(self, owner: str, target: str) -> tuple[Module, str]:
        """The module holding the attribute at a dotted path, and the attribute's name."""
        path, _, name = target.rpartition(".")
        try:
            module = self.get_submodule(path)
        except AttributeError as err:
            raise AttributeError(str(err).replace("get_submodule", owner, 1)) from None
        if not hasattr(module, name):
            raise AttributeError(f"{owner}: {type(module).__name__} has no attribute `{name}`")
        return module, name

    def _check_new_name(self, kind: str, name, registry: str) -> None:
        """Raise as torch does unless name can be registered in registry ('_parameters', ...): a
        string without dots, and not an attribute or method of another kind."""
        if registry not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before registering "
                                 f"the {kind} {name!r}")
        if not isinstance(name, str):
            raise DTypeError(f"{kind} name should be a string, got {_type_name(name)}")
        if "." in name:
            raise KeyError(f"{kind} name can't contain '.' (it separates the names of a state_dict key), "
                           f"got {name!r}")
        if not name:
            raise KeyError(f"{kind} name can't be an empty string")
        if hasattr(self, name) and name not in self.__dict__[registry]:
            raise KeyError(f"attribute '{name}' already exists in {type(self).__name__}")

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        outer = autograd._scope
        autograd._scope = outer + (self,)
        try:
            return self.forward(*args, **kwargs)
        finally:
            autograd._scope = outer

    # Until a module has a forward hook, module calls cost nothing for hooks: the first one registered
    # makes _call_with_hooks every module's __call__, for good (a deepcopy carries hooks along).
    _call_without_hooks = __call__

    def _call_with_hooks(self, *args, **kwargs):
        """__call__ with this module's forward pre-hooks before forward and its forward hooks after,
        as torch runs them."""
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self._call_without_hooks(*args, **kwargs)
        with_kwargs = self._hooks_with_kwargs
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in with_kwargs:
                new = hook(self, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(f"forward pre-hook must return None or a tuple of (new_args, "
                                           f"new_kwargs), but got {new!r}")
                    args, kwargs = new
            else:
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        output = self._call_without_hooks(*args, **kwargs)
        for hook_id, hook in list(self._forward_hooks.items()):
            new = hook(self, args, kwargs, output) if hook_id in with_kwargs else hook(self, args, output)
            if new is not None:
                output = new
        return output

    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> _HookHandle:
        """Call hook(module, args) before each forward; what it returns (not None) replaces args (a
        single value becomes the one positional argument). With with_kwargs=True, hook(module, args,
        kwargs) returns None or (args, kwargs). prepend=True runs it before the hooks already there.
        Returns a handle whose remove() takes it off, as torch."""
        return self._add_hook("register_forward_pre_hook", self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> _HookHandle:
        """Call hook(module, args, output) after each forward (hook(module, args, kwargs, output)
        with with_kwargs=True); what it returns (not None) replaces the output. prepend and the
        handle as in register_forward_pre_hook, as torch."""
        return self._add_hook("register_forward_hook", self._forward_hooks, hook, prepend, with_kwargs)

    def _add_hook(self, owner: str, hooks: OrderedDict, hook, prepend: bool, with_kwargs: bool) -> _HookHandle:
        if not callable(hook):
            raise DTypeError(f"{owner}: hook must be callable, got {type(hook).__name__}")
        handle = _HookHandle(hooks, self._hooks_with_kwargs)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        if with_kwargs:
            self._hooks_with_kwargs.add(handle.id)
        Module.__call__ = Module._call_with_hooks
        return handle

    # ---- traversal ---------------------------------------------------------------------------
    def named_modules(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """This module and every descendant, with dotted names ('' for self); a module reached by
        several paths comes once unless remove_duplicate is False."""
        stack = [(prefix, self)]
        seen = set()
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in seen:
                    continue
                seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """The direct submodules, a module registered under several names once (under its first)."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs in registration order, each parameter once unless
        remove_duplicate is False (then a shared one comes under each of its names)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer) pairs, persistent or not, as named_parameters gives parameters."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers(recurse=recurse))

    def _named_members(self, registry: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        seen = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for mod_name, module in modules:
            for name, value in module.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    # ---- modes and grads ---------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (Dropout active) on this module and its descendants."""
        if not isinstance(mode, bool):
            # torch's ValueError
            raise ConfigError(f"train: training mode is expected to be True or False, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient, or with set_to_none=False zero it in place, as
        Optimizer.zero_grad does."""
        zero_grads(self.parameters(), set_to_none)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter (False freezes the module, e.g. for fine-tuning)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn) -> Module:
        """Call fn on every submodule, children first, then on this module (e.g. a custom init)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, device=None, dtype=None, non_blocking: bool = False) -> Module:
        """Convert every floating-point parameter and buffer, and the parameters' gradients, to a
        floating dtype (e.g. np.float64 for exact comparisons). Takes torch's forms to(dtype),
        to(tensor) (its dtype), to(device) and to(device, dtype), each followed by non_blocking; the
        CPU is the only device, so to('cpu') changes nothing."""
        if device is not None and not is_device(device) and (dtype is None or isinstance(dtype, bool)):
            # to(dtype) or to(tensor), with non_blocking in dtype's place
            if isinstance(dtype, bool):
                non_blocking = dtype
            device, dtype = None, device.dtype if isinstance(device, Tensor) else device
        if not isinstance(non_blocking, bool):
            raise DTypeError(f"Module.to: non_blocking must be True or False, got {non_blocking!r}")
        check_cpu(device, "Module.to")
        if dtype is None:
            return self
        dtype = _floating_dtype(dtype)
        for t in itertools.chain(self.parameters(), self.buffers()):
            if t.data.dtype.kind == "f" and t.data.dtype != dtype:
                t.data = t.data.astype(dtype)
                if t.grad is not None:
                    t.grad = Tensor(t.grad.data.astype(dtype))
        return self

    def cpu(self) -> Module:
        """self: the CPU is the only device."""
        return self

    def cuda(self, device=None):
        """Refused, with Tensor.cuda()'s error: the CPU is the only device (torch built without CUDA
        refuses too)."""
        check_cpu("cuda", "Module.cuda")

    def half(self) -> Module:
        return self.to(np.float16)

    def float(self) -> Module:
        return self.to(np.float32)

    def double(self) -> Module:
        return self.to(np.float64)

    # ---- state -------------------------------------------------------------------------------
    def state_dict(self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False) -> dict:
        """Every parameter and persistent buffer as its NumPy array under PyTorch's key names
        (after prefix) and shapes, in a new OrderedDict or added to destination; a tied (shared) one
        appears under each of its names. As torch's, the arrays share the module's memory (an update
        through them, as an EMA of weights makes, changes the module): copy them to keep a snapshot.
        keep_vars=True gives the Parameters and buffer Tensors themselves."""
        destination = OrderedDict() if destination is None else destination
        for name, t in self._named_state():
            destination[prefix + name] = t if keep_vars else t.data
        return destination

    def _named_state(self) -> Iterator[tuple[str, Tensor]]:
        """The state_dict's (key, Tensor) pairs in torch's order: module by module, its parameters
        and then its persistent buffers."""
        for mod_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{mod_name}." if mod_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    yield prefix + name, p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    yield prefix + name, b

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False) -> IncompatibleKeys:
        """Copy arrays (or torch tensors) into the parameters and persistent buffers in place,
        checking keys and shapes; with assign=True, as torch, make the state_dict's arrays (with
        their dtypes) the module's instead, keeping each parameter's requires_grad."""
        if not hasattr(state_dict, "keys"):
            raise DTypeError(f"load_state_dict: expected a mapping of names to arrays, got {type(state_dict).__name__}")
        own = dict(self._named_state())
        may_lack = {f"{name}.{key}" if name else key for name, module in self.named_modules(remove_duplicate=False)
                    for key in module._older_state_dicts_lack}
        missing = [k for k in own if k not in state_dict and k not in may_lack]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        values = {}
        for name, p in own.items():
            if name in state_dict:
                value = _values(state_dict[name])  # a Parameter's values too (it requires grad)
                if value.shape != p.shape:
                    problems.append(f"{name}: shape {value.shape} in the state_dict, {p.shape} in the model")
                elif value.dtype.kind not in "biuf":  # caught here, not half-way through the copying
                    problems.append(f"{name}: dtype {value.dtype} in the state_dict is not numeric")
                elif assign and p.requires_grad and value.dtype.kind != "f":
                    problems.append(f"{name}: dtype {value.dtype} in the state_dict cannot require grad")
                values[name] = value
        if problems:
            raise ShapeError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        for name, value in values.items():
            if assign:
                self._assign(name, own[name], state_dict[name], value)
            else:
                own[name].data[...] = value
                autograd.record_change(own[name].data, "load_state_dict")
        return IncompatibleKeys(missing, unexpected)

    def _assign(self, name: str, old: Tensor, given, value: np.ndarray) -> None:
        """load_state_dict(assign=True) of one entry: given itself where it is of old's kind (a
        Parameter, a Tensor), else a new one on its array value."""
        if isinstance(old, Parameter):
            new = (given.requires_grad_(old.requires_grad) if isinstance(given, Parameter)
                   else Parameter(value, old.requires_grad))
        else:
            new = given if isinstance(given, Tensor) else Tensor(value)
        path, _, attribute = name.rpartition(".")
        setattr(self.get_submodule(path), attribute, new)

    # ---- repr --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        """torch's layout: a one-line extra_repr inline, otherwise one line per extra line and child."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(m), 2) for name, m in self._modules.items()]
        if not child_lines and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra_lines + child_lines) + "\n)"


class _HookHandle(autograd.RemovableHandle):
    """What register_forward_(pre_)hook returns: remove() (or leaving a with block) takes the hook off,
    once, as Tensor.register_hook's handle and torch's."""

    _ids = itertools.count()

    def __init__(self, hooks: OrderedDict, with_kwargs: set):
        self.id = next(self._ids)
        self._hooks, self._with_kwargs = hooks, with_kwargs

    def remove(self) -> None:
        self._hooks.pop(self.id, None)
        self._with_kwargs.discard(self.id)


def _floating_dtype(dtype) -> np.dtype:
    try:
        dtype = as_dtype(dtype, "Module.to")
    except DTypeError:  # one of torch's, named
        raise
    except (TypeError, ValueError):
        raise DTypeError(f"Module.to: expected a NumPy floating dtype such as np.float64, or the device "
                         f"'cpu', got {dtype!r}") from None
    if dtype.kind != "f":
        raise DTypeError(f"Module.to: parameters can only be converted to floating-point dtypes, got {dtype}")
    return dtype


def _type_name(value) -> str:
    """How an error names a wrong value: by its type, or for a class passed where an instance
    belongs (nn.ReLU for nn.ReLU()) by saying so."""
    if isinstance(value, type):
        return f"the class '{value.__name__}' (not an instance)"
    return f"'{type(value).__name__}'"


def _check_module(module, name: str) -> None:
    if module is not None and not isinstance(module, Module):
        raise DTypeError(f"cannot add {_type_name(module)} as child module '{name}' (Module or None expected)")


def _indent(text: str, spaces: int) -> str:
    """Indent every line but the first (PyTorch's layout for nested module reprs)."""
    return text.replace("\n", "\n" + " " * spaces)


class _ModuleSequence(Module):
    """Children registered under '0', '1', ...: length, iteration and torch's list operations."""

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if not isinstance(modules, Iterable):
            raise DTypeError(f"{type(self).__name__}.extend: expected an iterable of Modules, got {_type_name(modules)}")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module):
        """Put module before position index (-len <= index <= len) and number the children 0, 1, ... again."""
        n = len(self)
        index = operator.index(index)
        if not -n <= index <= n:
            raise IndexError(f"{type(self).__name__}.insert: index {index} is out of range for {n} modules")
        if index < 0:
            index += n
        _check_module(module, str(index))
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def __setitem__(self, index: int, module: Module) -> None:
        setattr(self, self._name_at(index), module)

    def __delitem__(self, index) -> None:
        """Remove a child or a slice of them; the rest are numbered 0, 1, ... again, as in torch
        (a Sequential built from an OrderedDict loses its names)."""
        doomed = list(self._modules)[index] if isinstance(index, slice) else [self._name_at(index)]
        self._renumber([m for name, m in self._modules.items() if name not in doomed])

    def pop(self, index):
        """Remove and return the child at index (or a slice of them, as a container of the same type)."""
        module = self[index]
        del self[index]
        return module

    def _name_at(self, index: int) -> str:
        return list(self._modules)[_position(index, len(self), type(self).__name__, "modules")]

    def _renumber(self, modules) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(modules):
            self.add_module(str(i), m)


class Sequential(_ModuleSequence):
    """Modules applied in order; indexable, sliceable, iterable."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for m in modules:
                self.append(m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return self._modules[self._name_at(index)]

    def __add__(self, other: Sequential) -> Sequential:
        """A new Sequential of this one's modules, then other's."""
        if not isinstance(other, Sequential):
            raise ConfigError(f"Sequential +: expected a Sequential, got {_type_name(other)}")  # torch's ValueError
        return Sequential(*self, *other)


class ModuleList(_ModuleSequence):
    """A list of modules, registered so their parameters are found."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._name_at(index)]

    def __iadd__(self, modules) -> ModuleList:
        return self.extend(modules)

    def __add__(self, modules) -> ModuleList:
        return ModuleList(self).extend(modules)

    def __repr__(self) -> str:
        """torch's: a run of consecutive modules with equal reprs on one line, '(0-2): 3 x Linear(...)'."""
        if not self._modules:
            return f"{type(self).__name__}()"
        runs = []  # [first index, last index, repr]
        for i, text in enumerate(map(repr, self)):
            if runs and runs[-1][2] == text:
                runs[-1][1] = i
            else:
                runs.append([i, i, text])
        lines = []
        for first, last, text in runs:
            entry = f"({first}): {text}" if first == last else f"({first}-{last}): {last - first + 1} x {text}"
            lines.append(_indent(entry, 2))
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _position(index, n: int, owner: str, what: str) -> int:
    """index (negative counts from the end) as a position in a container of n items."""
    index = operator.index(index)
    if not -n <= index < n:
        raise IndexError(f"{owner}: index {index} is out of range for {n} {what}")
    return index % n


class _Keyed:
    """The dict methods ModuleDict and ParameterDict share, over _entries(), the dict of their keys."""

    def __len__(self) -> int:
        return len(self._entries())

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries())

    def __contains__(self, key) -> bool:
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def pop(self, key: str):
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._entries()):
            del self[key]


class ModuleDict(_Keyed, Module):
    """Modules under string keys, registered so their parameters are found; ordered like a dict."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def _entries(self) -> dict:
        return self._modules

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules) -> None:
        """Add or replace modules from a mapping or an iterable of (key, module) pairs, in their order."""
        for key, module in _key_value_pairs(type(self).__name__, modules):
            self[key] = module


class ParameterList(Module):
    """A list of parameters registered under '0', '1', ...; a Tensor put in it becomes a Parameter
    (sharing its array), as in torch."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(self[i] for i in range(*index.indices(len(self))))
        return getattr(self, self._name_at(index))

    def __setitem__(self, index: int, value) -> None:
        setattr(self, self._name_at(index), _as_parameter(value))

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self)))

    def __iadd__(self, values) -> ParameterList:
        return self.extend(values)

    def append(self, value) -> ParameterList:
        self._size += 1
        self[self._size - 1] = value
        return self

    def extend(self, values) -> ParameterList:
        if not isinstance(values, Iterable) or isinstance(values, Tensor):
            raise DTypeError(f"ParameterList.extend: expected an iterable of Parameters, "
                             f"got {_type_name(values)}")
        for value in values:
            self.append(value)
        return self

    def _name_at(self, index: int) -> str:
        return str(_position(index, len(self), "ParameterList", "parameters"))

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(i, value, _torch_dtype) for i, value in enumerate(self))

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterList should not be called.")


class ParameterDict(_Keyed, Module):
    """Parameters under string keys, registered so they are found; a Tensor put in it becomes a
    Parameter (sharing its array), as in torch."""

    def __init__(self, parameters=None):
        super().__init__()
        self._keys: dict[str, None] = {}
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str):
        if _checked_key(key) not in self._keys:
            raise AttributeError(f"ParameterDict has no key {key!r}")  # torch's type, from its getattr
        return getattr(self, key)

    def __setitem__(self, key: str, value) -> None:
        setattr(self, _checked_key(key), _as_parameter(value))
        self._keys[key] = None

    def __delitem__(self, key: str) -> None:
        del self._keys[key]
        delattr(self, key)

    def _entries(self) -> dict:
        return self._keys

    def __reversed__(self) -> Iterator[str]:
        return reversed(self._keys)

    def items(self) -> Iterator[tuple[str, Parameter]]:
        return ((k, self[k]) for k in self._keys)

    def values(self) -> Iterator[Parameter]:
        return (self[k] for k in self._keys)

    def get(self, key: str, default=None):
        return self[key] if key in self else default

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def popitem(self) -> tuple[str, Parameter]:
        """Remove and return the last inserted (key, parameter) pair."""
        if not self._keys:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._keys))
        return key, self.pop(key)

    def copy(self) -> ParameterDict:
        """A new ParameterDict holding the same parameters."""
        return ParameterDict(OrderedDict(self.items()))

    def fromkeys(self, keys: Iterable[str], default=None) -> ParameterDict:
        return ParameterDict((k, default) for k in keys)

    def update(self, parameters) -> None:
        """Add or replace parameters from an OrderedDict, a ParameterDict or an iterable of (key,
        value) pairs in their order, or from another mapping (a plain dict) in sorted key order,
        as torch does."""
        for key, value in _key_value_pairs(type(self).__name__, parameters, sort_mappings=True):
            self[key] = value

    def __or__(self, other) -> ParameterDict:
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other) -> ParameterDict:
        merged = other.copy()
        merged.update(self)
        return merged

    def __ior__(self, other) -> ParameterDict:
        self.update(other)
        return self

    def extra_repr(self) -> str:
        return "\n".join(_entry_repr(key, value, _torch_typename) for key, value in self.items())

    def __call__(self, *args, **kwargs):
        raise RuntimeError("ParameterDict should not be called.")


# torch.typename of a CPU tensor by dtype, which ParameterDict's repr shows
_TORCH_TYPENAMES = {"float16": "torch.HalfTensor", "float32": "torch.FloatTensor",
                    "float64": "torch.DoubleTensor", "int64": "torch.LongTensor", "int32": "torch.IntTensor",
                    "int16": "torch.ShortTensor", "int8": "torch.CharTensor", "uint8": "torch.ByteTensor",
                    "bool": "torch.BoolTensor"}


def _torch_dtype(tensor: Tensor) -> str:
    """How ParameterList's repr names a tensor's type: by torch's dtype, e.g. torch.float32."""
    return f"torch.{tensor.dtype}"


def _torch_typename(tensor: Tensor) -> str:
    """How ParameterDict's repr names a tensor's type: by torch's typename, e.g. torch.FloatTensor."""
    return _TORCH_TYPENAMES.get(tensor.dtype.name, _torch_dtype(tensor))


def _as_parameter(value):
    """value, a Tensor made a Parameter that shares its array (other values are kept, as in torch)."""
    if isinstance(value, Tensor) and not isinstance(value, Parameter):
        return Parameter(value)
    return value


def _checked_key(key) -> str:
    if not isinstance(key, str):
        raise DTypeError(f"ParameterDict keys must be strings, got {_type_name(key)}")
    return key


def _entry_repr(key, value, type_name) -> str:
    """One line of a ParameterList's or ParameterDict's repr, in torch's words (type_name(tensor)
    names a tensor's type)."""
    if not isinstance(value, Tensor):
        return f"  ({key}): Object of type: {type(value).__name__}"
    kind = "Parameter" if isinstance(value, Parameter) else "Tensor"
    return f"  ({key}): {kind} containing: [{type_name(value)} of size {'x'.join(map(str, value.shape))}]"


def _key_value_pairs(owner: str, items, sort_mappings: bool = False) -> list:
    """The (key, value) pairs of a container's update(items): a mapping's items (sorted if
    sort_mappings, unless it is ordered: an OrderedDict, ModuleDict or ParameterDict), or the
    pairs an iterable yields."""
    if isinstance(items, (OrderedDict, ModuleDict, ParameterDict)):
        return list(items.items())
    if isinstance(items, Mapping):
        return sorted(items.items()) if sort_mappings else list(items.items())
    if not isinstance(items, Iterable):
        raise DTypeError(f"{owner}.update: expected a mapping or an iterable of (key, value) pairs, "
                         f"got {_type_name(items)}")
    pairs = []
    for i, item in enumerate(items):
        if not isinstance(item, Iterable):
            raise DTypeError(f"{owner}.update: element #{i} should be a (key, value) pair, "
                             f"got {_type_name(item)}")
        item = tuple(item)
        if len(item) != 2:
            raise ConfigError(f"{owner}.update: element #{i} has length {len(item)}; a (key, value) pair "
                              f"has 2")
        pairs.append(item)
    return pairs
