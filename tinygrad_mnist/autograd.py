"""The engine: Function nodes, grad mode, and the backward pass.

A Function instance is one node of the graph. `apply` runs its forward on ndarrays and, when
recording, links the node to its inputs: `next[i]` is the node that made input i, the input
itself when it is a leaf that requires grad, or None when no gradient flows there. Nodes never
hold intermediate Tensors, only what their backward saved, so activations are freed as soon as
the graph no longer needs them.
"""
from __future__ import annotations

import functools
import heapq
import inspect
import itertools
import operator
import re
import weakref
from typing import Callable, Sequence

import numpy as np

from .errors import DTypeError, ShapeError

_grad_enabled = True
_scope: tuple = ()  # the nn.Module calls in progress, outermost first (for draw_graph's clusters)

class _GradMode:
    """Context manager and decorator setting whether ops are recorded."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __enter__(self):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.enabled

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev

    def __call__(self, fn: Callable) -> Callable:
        enabled = self.enabled
        if inspect.isgeneratorfunction(fn):  # the mode holds while the generator runs, not while its caller does
            @functools.wraps(fn)
            def generator(*args, **kwargs):
                gen = fn(*args, **kwargs)
                resume, value = gen.send, None  # how to resume it: what the caller sent or threw in
                while True:
                    try:
                        with _GradMode(enabled):
                            item = resume(value)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        resume, value = gen.send, (yield item)
                    except GeneratorExit:
                        with _GradMode(enabled):
                            gen.close()
                        raise
                    except BaseException as err:
                        resume, value = gen.throw, err
            return generator

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with _GradMode(enabled):
                return fn(*args, **kwargs)
        return wrapper


def no_grad(fn: Callable | None = None):
    """Stop recording ops: a context manager, or a decorator with or without parentheses
    (@no_grad() or @no_grad), as torch.no_grad."""
    mode = _GradMode(False)
    return mode if fn is None else mode(fn)


def enable_grad(fn: Callable | None = None):
    """Record ops again inside a no_grad block (context manager, or decorator as no_grad)."""
    mode = _GradMode(True)
    return mode if fn is None else mode(fn)


def inference_mode(mode: bool = True):
    """no_grad (with mode=True), as torch.inference_mode: a context manager or decorator. torch's
    inference tensors, which refuse autograd later, have no counterpart here."""
    if callable(mode):  # used bare, as @inference_mode
        return _GradMode(False)(mode)
    return _GradMode(not mode)


class _SetGradEnabled(_GradMode):
    """What set_grad_enabled returns. The call itself sets the mode, as in torch, so a plain call
    works too; leaving a with block restores the mode from before the call."""

    def __init__(self, enabled: bool):
        global _grad_enabled
        super().__init__(enabled)
        self.prev = _grad_enabled
        _grad_enabled = enabled

    def __enter__(self):
        pass

    def __call__(self, fn: Callable) -> Callable:
        global _grad_enabled
        _grad_enabled = self.prev  # as a decorator it sets the mode only inside fn
        return super().__call__(fn)


def set_grad_enabled(mode: bool) -> _SetGradEnabled:
    """Set grad mode now (a plain call), for a block (context manager) or inside a function
    (decorator), as torch.set_grad_enabled."""
    return _SetGradEnabled(mode)


def is_grad_enabled() -> bool:
    """Whether ops are being recorded now."""
    return _grad_enabled


_FREED = "freed"


class Function:
    """One differentiable op. Subclasses define forward (ndarrays in, ndarray out) and backward
    (output gradient in, one gradient or None per input out).

    backward runs on Tensors (g, self.inputs and self.output are Tensors; with create_graph its
    ops are recorded, so the gradient is itself differentiable). Ops that set array_backward also
    run it on the bare ndarrays when no graph is being recorded, the usual case, which skips Tensor
    dispatch: a rule written with arithmetic operators, reshape, .T, .mT and @ serves both."""

    # args: the op's arguments for draw_graph's labels (e.g. {"dim": (1,)}); never freed.
    # seq: the order of creation, which backward runs in reverse.
    __slots__ = ("next", "inputs", "output", "saved", "shape", "dtype", "scope", "args", "seq",
                 "__weakref__")
    save_inputs = False     # backward reads self.inputs (the inputs' values)
    save_output = False     # backward reads self.output (the output's value)
    array_backward = False  # backward also runs on ndarrays (see above)
    inputs_for_others = False  # backward reads input i only for the other inputs' gradients (a * b)
    saved_factors = False   # self.saved's arrays are factors made from the inputs: see ZeroDerivative

    @classmethod
    def apply(cls, *inputs, **params):
        node = _new(cls)
        node.saved = None
        arrays = list(map(_data, inputs))
        try:
            out = node.forward(*arrays, **params)
        except ValueError as err:
            raise _forward_error(cls, inputs, err) from None
        if type(out) is not np.ndarray:
            out = np.asarray(out)
        result = _new(_Tensor)
        result.data = out
        result.grad = None
        result._ctx = None
        result.requires_grad = False
        if _grad_enabled:
            edges = []
            tracked = False
            for t in inputs:
                if t.requires_grad:
                    edges.append(t._ctx or t)
                    tracked = True
                else:
                    edges.append(None)
            if not tracked:
                return result
            node.next = edges
            node.seq = _next_seq()
            node.shape = out.shape
            node.dtype = out.dtype
            node.scope = _scope
            if cls.save_inputs:
                node.inputs = arrays
            if cls.save_output:
                node.output = out
            result._ctx = node
            result.requires_grad = True
        return result

    def forward(self, *arrays: np.ndarray, **params) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad):
        raise NotImplementedError

    def save(self, *arrays) -> None:
        """Keep constants (masks, indices) for backward; freed with the graph."""
        self.saved = arrays

    @property
    def needs(self) -> tuple[bool, ...]:
        """Which inputs want a gradient."""
        return tuple(e is not None for e in self.next)

    @property
    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"

    def _run_backward(self, grad):
        """The gradients for the inputs, as a tuple: ndarrays when grad is one, else Tensors. (The
        engine runs this inline unless a node is watched: detect_anomaly swaps it for a checking one.)"""
        if self.saved is _FREED:
            raise _freed_error(self)
        if self.seq < _last_change:
            _check_unchanged(self)
        grads = self.backward(grad) if self.array_backward and not _grad_enabled else \
            self._backward_on_tensors(grad)
        return grads if type(grads) is tuple else (grads,)

    def _backward_on_tensors(self, grad):
        """backward with Tensors for g, self.inputs and self.output (which hold arrays otherwise).
        An input Tensor is rebuilt on the node that made it, so create_graph links through it."""
        arrays = not isinstance(grad, _Tensor)
        if self.save_inputs:
            values = self.inputs
            self.inputs = tuple(_make_tensor(a, e) if e is None or isinstance(e, Function) else e
                                for a, e in zip(values, self.next))
        if self.save_output:
            value = self.output
            self.output = _make_tensor(value, self)
        if self.saved_factors and not arrays:
            constants = self.saved
            self.saved = tuple(ZeroDerivative.on(a, self) if type(a) is np.ndarray else a for a in constants)
        try:
            grads = self.backward(_make_tensor(np.asarray(grad), None) if arrays else grad)
        finally:
            if self.save_inputs:
                self.inputs = values
            if self.save_output:
                self.output = value
            if self.saved_factors and not arrays:
                self.saved = constants
        if not arrays:
            return grads
        return tuple(None if g is None else g.data for g in (grads if type(grads) is tuple else (grads,)))


class ZeroDerivative(Function):
    """A constant (a mask, a slope) recorded as a function of some inputs whose derivative is 0.

    A backward rule that multiplies by a constant made from its input (leaky_relu's slopes,
    hardtanh's mask, l1_loss's signs) gives, under create_graph, a gradient that does not reach the
    input: it does not even require grad when the incoming gradient does not. torch's rules take
    the input, so there the gradient depends on it, with a second derivative of 0. Rules get that
    from ZeroDerivative.apply(x, value=array), or, for the arrays they saved, from saved_factors.
    (x * 0 + array would too, but gives NaN where x is inf.)"""
    array_backward = True

    def forward(self, *inputs, value):
        return value

    @classmethod
    def on(cls, value: np.ndarray, node: Function):
        """value, of node's dtype, as a Tensor recorded as a function of node's inputs (with
        create_graph, in node's backward: see Function.saved_factors)."""
        factor = _new(cls)
        factor.saved = None
        factor.next = list(node.next)
        factor.seq = _next_seq()
        factor.shape = value.shape
        factor.dtype = node.dtype
        factor.scope = _scope
        return _make_tensor(value.astype(node.dtype, copy=False), factor)

    def backward(self, g):
        zeros = [np.zeros(self.shape, self.dtype) if e is not None else None for e in self.next]
        if isinstance(g, _Tensor):
            zeros = [None if z is None else _make_tensor(z, None) for z in zeros]
        return tuple(zeros)


def _freed_error(node: Function) -> RuntimeError:
    return RuntimeError(
        f"{node.name}: trying to backward through the graph a second time, but its saved values "
        "were freed after the first backward; pass retain_graph=True to the first backward() if "
        "you need to go through it again")


def _holds_array(saved: tuple) -> bool:
    """Whether saved has an ndarray in it, or in a tuple in it (an index, for instance)."""
    return any(type(a) is np.ndarray or type(a) is tuple and _holds_array(a) for a in saved)


_SHAPE_WORDS = re.compile("shape|dimension|broadcast", re.IGNORECASE)


def _forward_error(cls: type, inputs: Sequence, err: ValueError) -> ValueError:
    """What to raise for a ValueError from cls.forward: NumPy's message after the op's name, as a
    ShapeError naming the input shapes when the message is about shapes. (NumPy raises plain
    ValueErrors for both, e.g. for broadcasting and for integers to negative powers.)"""
    op = cls.__name__.lower()
    if _SHAPE_WORDS.search(str(err)):
        shapes = ", ".join(str(t.shape) for t in inputs)
        return ShapeError(f"{op}: shapes {shapes} do not fit: {err}")
    return ValueError(f"{op}: {err}")


def _plain(x):
    """x's array when x is a Tensor, else x (rules and checks that see either)."""
    return x.data if isinstance(x, _Tensor) else x


_new = object.__new__
_next_seq = itertools.count().__next__
_data = operator.attrgetter("data")
_Tensor = None        # set by tensor.py (the engine builds Tensors without importing tensor.py)
_make_tensor = None   # set by tensor.py: (ndarray, node or None) -> Tensor


# Arrays changed in place after a node saved them would give wrong gradients, so, as torch's
# version counters do, backward refuses them. Each in-place change takes a sequence number from
# the counter that numbers the nodes; a node made after the latest change (as in every training
# step) needs no check. An optimizer's step is noted in its StepRecord (kept with the other
# changes once the optimizer is gone); the rarer changes (fill_, zero_, init, load_state_dict,
# gradient accumulation) note their arrays in _changed.
_last_change = -1
_changed: dict = {}            # id(owning array) -> (sequence number, how, weakref to the array)
_steps = weakref.WeakSet()     # the StepRecord of every optimizer


class StepRecord:
    """What an optimizer's latest step changed in place: its sequence number and the arrays."""
    __slots__ = ("how", "seq", "arrays", "__weakref__")

    def __init__(self, how: str):
        self.how, self.seq, self.arrays = how, -1, ()
        _steps.add(self)

    def record(self, arrays: list) -> None:
        global _last_change
        if len(arrays) != len(self.arrays) or not all(map(operator.is_, arrays, self.arrays)):
            self.retire()  # the step skipped an array the one before changed: keep that change
        self.seq = _last_change = _next_seq()
        self.arrays = arrays

    def retire(self) -> None:
        """Keep the latest step with the other changes (when the optimizer is garbage, or when its next
        step leaves some of these arrays out)."""
        for array in self.arrays:
            _note(array, self.how, self.seq)


def record_change(array: np.ndarray, how: str) -> None:
    """Note that array (or the memory it views) was just changed in place by how."""
    global _last_change
    _last_change = _next_seq()
    _note(array, how, _last_change)


def _note(array: np.ndarray, how: str, seq: int) -> None:
    owner = _owner(array)
    key = id(owner)
    old = _changed.get(key)  # (one lookup: the entry's weakref callback may drop it at any allocation)
    if old is not None and old[0] > seq:  # a retired step older than a later change
        return
    # The entry goes when the array does, so that a later array at the same address starts clean.
    _changed[key] = (seq, how, weakref.ref(owner, lambda _, key=key: _changed.pop(key, None)))


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns array's memory (array itself unless it is a view)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _check_unchanged(node: Function) -> None:
    """Raise if an array node saved for backward was changed in place after node was made."""
    # A copy, made without allocating an object per entry: a collection triggered while listing the
    # entries could run an array's weakref callback, which drops its entry from the dict being read.
    changes = {key: how for key, (seq, how, _) in _changed.copy().items() if seq > node.seq}
    for step in list(_steps):
        if step.seq > node.seq:
            changes.update((id(_owner(array)), step.how) for array in step.arrays)
    inputs = list(getattr(node, "inputs", ()))
    if node.inputs_for_others:  # as torch, a value no wanted gradient reads may have changed
        wanted = [e is not None for e in node.next]
        inputs = [a for i, a in enumerate(inputs) if any(wanted[:i] + wanted[i + 1:])]
    saved = [*inputs, getattr(node, "output", None), *(node.saved or ())]
    for array in saved:
        how = changes.get(id(_owner(array))) if isinstance(array, np.ndarray) else None
        if how is not None:
            raise RuntimeError(
                f"{node.name}Backward: an array it saved for backward was changed in place (by "
                f"{how}) after it was saved, so the gradient would be wrong; change a copy, or "
                "run backward before the change")


def _unbroadcast(grad, shape: tuple[int, ...]):
    """Sum a gradient of a broadcast result back to the shape of the input it flows to."""
    lead = grad.ndim - len(shape)
    dims = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if not dims:
        return grad.reshape(shape)
    if isinstance(grad, _Tensor):
        return grad.sum(dim=dims, keepdim=True).reshape(shape)
    return grad.sum(axis=dims, keepdims=True).reshape(shape)


def run_backward(tensors: Sequence, grads: Sequence, retain_graph: bool, create_graph: bool,
                 inputs: Sequence | None = None) -> dict:
    """Propagate grads (Tensors) from tensors through the graph. Returns {node or leaf: gradient}
    for the leaves reached (or, when inputs is given, for those inputs, which may be non-leaves):
    Tensors with create_graph, else ndarrays (or NumPy scalars, for 0-d).

    Nodes run in reverse creation order, from a heap keyed by their sequence numbers: every node
    was made after the nodes that feed it, so when one comes off the heap each of its consumers
    has already run and its gradient is complete. No counting pass over the graph is needed."""
    global _grad_enabled
    node_grads: dict = {}
    leaf_grads: dict = {}
    for t, g in zip(tensors, grads):
        if not create_graph:
            g = g.data
        key = t._ctx if t._ctx is not None else t
        target = node_grads if t._ctx is not None else leaf_grads
        target[key] = target[key] + g if key in target else g
    wanted = None if inputs is None else {(t._ctx if t._ctx is not None else t) for t in inputs}
    needed = None if wanted is None else _leading_to(list(node_grads), wanted)
    captured = {}
    # Whether any node needs a look (one test per node when none does); .data is the weak dict's
    # own dict, whose truth test, unlike the WeakKeyDictionary's, costs no Python call.
    watched = _retained.data or _hooks or _anomaly_checks
    on_arrays = not create_graph
    heap = [(-n.seq, n) for n in node_grads]
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    prev_mode = _grad_enabled
    _grad_enabled = create_graph
    try:
        while heap:
            node = pop(heap)[1]
            grad = node_grads.pop(node)
            if wanted is not None and node not in needed and node not in wanted:
                continue  # as torch, only what inputs= needs runs
            if watched and grad is not None:
                if id(node) in _hooks:
                    grad = _run_hooks(_hooks[id(node)][1], grad)
                if node in _retained:
                    _retain(_retained[node](), grad)
            if wanted is not None:
                if node in wanted:
                    captured[node] = grad
                if node not in needed:  # nothing asked for lies below it
                    continue
            edges = node.next
            # A node that received no gradient at all (every path gave None) passes None on.
            if grad is None:
                in_grads = (None,) * len(edges)
            elif watched:
                in_grads = node._run_backward(grad)
            else:  # _run_backward, inline, which saves a Python call per node
                if node.saved is _FREED:
                    raise _freed_error(node)
                if node.seq < _last_change:
                    _check_unchanged(node)
                in_grads = node.backward(grad) if on_arrays and node.array_backward else \
                    node._backward_on_tensors(grad)
                if type(in_grads) is not tuple:
                    in_grads = (in_grads,)
            try:  # (zip's strict check costs less than comparing the lengths first)
                for e, g in zip(edges, in_grads, strict=True):
                    if e is None:
                        continue
                    if isinstance(e, Function):
                        if g is not None and (g.shape != e.shape or g.dtype != e.dtype):
                            g = _fit(node, g, e.shape, e.dtype)
                        if e not in node_grads:
                            node_grads[e] = g
                            push(heap, (-e.seq, e))
                        elif g is not None:
                            old = node_grads[e]
                            node_grads[e] = g if old is None else old + g
                    elif g is not None:
                        value = e.data
                        if g.shape != value.shape or g.dtype != value.dtype:
                            g = _fit(node, g, value.shape, value.dtype)
                        leaf_grads[e] = leaf_grads[e] + g if e in leaf_grads else g
            except ValueError:
                if len(in_grads) == len(edges):
                    raise
                raise RuntimeError(f"{node.name}.backward returned {len(in_grads)} gradients "
                                   f"for {len(edges)} inputs") from None
            # Drop the arrays backward saved (`saved is _FREED` then marks the node as freed). A
            # node that saved no arrays (only shapes or dims) can run again, as in torch.
            if not retain_graph and (node.save_inputs or node.save_output or
                                     node.saved is not None and _holds_array(node.saved)):
                node.inputs = node.output = node.saved = _FREED
        if _hooks:  # a leaf's hooks see its whole gradient, before it reaches .grad (if asked for)
            for leaf, g in leaf_grads.items():
                if id(leaf) in _hooks and (wanted is None or leaf in wanted):
                    leaf_grads[leaf] = _run_hooks(_hooks[id(leaf)][1], g)
    finally:
        _grad_enabled = prev_mode
    if wanted is None:
        return leaf_grads
    captured.update((k, v) for k, v in leaf_grads.items() if k in wanted)
    return captured


def _leading_to(roots: list, wanted: set) -> set:
    """The nodes (roots and below) with a wanted node or leaf below them: those whose backward
    must run for backward(inputs=) and grad()."""
    reached, stack = set(roots), list(roots)
    while stack:
        for e in stack.pop().next:
            if isinstance(e, Function) and e not in reached:
                reached.add(e)
                stack.append(e)
    needed = set()
    for node in sorted(reached, key=_seq):  # every node after the nodes that feed it
        if any(e is not None and (e in needed or e in wanted) for e in node.next):
            needed.add(node)
    return needed


_seq = operator.attrgetter("seq")


# Whether detect_anomaly() is on: then every node goes through Function._run_backward, which it swaps.
_anomaly_checks = False

# Non-leaf tensors whose gradient backward keeps in .grad (Tensor.retain_grad): node -> weakref to the tensor.
_retained = weakref.WeakKeyDictionary()


def _retain(tensor, grad) -> None:
    """Add grad (of the node's output) to the retained tensor's .grad, a copy of its own (the
    array goes on through the graph, and may end up in a leaf's .grad)."""
    if tensor is None:
        return
    grad = grad.clone() if isinstance(grad, _Tensor) else _make_tensor(np.array(grad), None)
    tensor.grad = grad if tensor.grad is None else tensor.grad + grad


# Tensor.register_hook's functions, in the order registered: id(node of a non-leaf, or leaf) ->
# (a weak reference to it, the list). By id, since weak keys would compare Tensors with ==.
# A non-leaf's hooks stay on its node, so after an in-place op they see the old version's
# gradient, as in torch.
_hooks: dict = {}


class RemovableHandle:
    """What register_hook returns: remove() takes the hook off again (once; also on leaving a with
    block), as torch's handle."""

    def __init__(self, target, hook: Callable):
        key = id(target)
        entry = _hooks.get(key)
        if entry is None:  # the entry goes when target does
            entry = _hooks[key] = (weakref.ref(target, lambda _, key=key: _hooks.pop(key, None)), [])
        entry[1].append(self)
        self.hook, self._key, self._entry = hook, key, entry

    def remove(self) -> None:
        handles = self._entry[1]
        if self in handles:
            handles.remove(self)
            if not handles and _hooks.get(self._key) is self._entry:  # so backward has none to look for
                del _hooks[self._key]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _run_hooks(handles: list, grad):
    """grad after each hook in turn. A hook gets a Tensor (with arrays, a copy, since the array may
    flow on to other inputs too); what it returns replaces the gradient, and when it returns None,
    the tensor it got does, with any change the hook made to it in place, as in torch."""
    on_tensors = isinstance(grad, _Tensor)
    for handle in list(handles):
        given = grad if on_tensors else _make_tensor(np.array(grad), None)
        out = handle.hook(given)
        if out is None:
            out = given
        name = getattr(handle.hook, "__name__", type(handle.hook).__name__)
        if not isinstance(out, _Tensor):
            raise DTypeError(f"register_hook: the hook {name!r} must return a Tensor or None, "
                             f"got {type(out).__name__}")
        if out.shape != grad.shape:
            raise ShapeError(f"register_hook: the hook {name!r} changed the gradient's shape from "
                             f"{grad.shape} to {out.shape}")
        if out.dtype != grad.dtype:
            raise DTypeError(f"register_hook: the hook {name!r} changed the gradient's dtype from "
                             f"{grad.dtype} to {out.dtype}")
        grad = out if on_tensors else out.data
    return grad


def _fit(node: Function, grad, shape: tuple, dtype: np.dtype):
    """Reduce a gradient to its input's shape (the one place broadcasting is undone) and dtype,
    and check it."""
    if grad.dtype != dtype:  # e.g. a float32 input of an op whose output is float64
        if dtype.kind != "f":  # requires_grad set by assignment, which skips requires_grad_'s check
            raise RuntimeError(f"{node.name}: an input of dtype {dtype} requires grad, but only floating-point "
                               "tensors can have gradients, as in torch")
        with np.errstate(over="ignore"):  # into float16, beyond 65504 is inf, as in torch
            grad = grad._cast(dtype) if isinstance(grad, _Tensor) else grad.astype(dtype)
    if grad.shape != shape:
        if np.broadcast_shapes(grad.shape, shape) != grad.shape:
            raise RuntimeError(f"{node.name}: backward gave a gradient of shape {grad.shape} "
                               f"for an input of shape {shape}")
        grad = _unbroadcast(grad, shape)
    return grad


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate the gradients of several outputs at once into the leaves' .grad (or only into
    inputs'), as torch.autograd.backward; t.backward(g) does what backward([t], [g]) does."""
    from .gradients import _backward, _default_grad
    from .tensor import Tensor
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"backward: {len(grad_tensors)} grad_tensors for {len(tensors)} tensors")
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(f"backward: tensors[{i}] does not require grad and has no grad_fn")
    gs = [_default_grad(t, g, "backward", create_graph) for t, g in zip(tensors, grad_tensors)]
    _backward(tensors, gs, retain_graph, create_graph, inputs)


def grad(outputs, inputs, grad_outputs=None, create_graph: bool = False,
         retain_graph: bool | None = None, allow_unused: bool = False) -> tuple:
    """Gradients of outputs with respect to inputs, as torch.autograd.grad; .grad is untouched."""
    from .gradients import _default_grad
    from .tensor import Tensor
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(outputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: output {i} does not require grad and has no grad_fn (was it computed "
                               "under no_grad, or from tensors without requires_grad?)")
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("grad: one of the inputs does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    gs = [_default_grad(o, g, "grad", create_graph) for o, g in zip(outputs, grad_outputs)]
    found = run_backward(outputs, gs, retain_graph, create_graph, inputs)
    result = []
    for t in inputs:
        g = found.get(t._ctx if t._ctx is not None else t)
        if g is None and not allow_unused:
            raise RuntimeError("grad: one of the inputs was not used to compute the outputs; "
                               "pass allow_unused=True if this is intended")
        result.append(g if g is None or create_graph else _make_tensor(np.asarray(g), None))
    return tuple(result)
