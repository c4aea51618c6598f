"""What Tensor.backward and tg.autograd.backward do around the engine's walk of the graph
(autograd.run_backward): the gradient each output starts from (_default_grad, also tg.grad's),
the check of inputs=, and adding the gradients found to the tensors' .grad."""
from __future__ import annotations

import numpy as np

from . import autograd
from .errors import ShapeError
from .promotion import _as_tensor

Tensor = None        # set by tensor.py once the class exists (tensor.py imports this module)
_make_tensor = None  # set by tensor.py: (ndarray, node or None) -> Tensor
_new = object.__new__


def _backward(tensors: list, gs: list, retain_graph: bool | None, create_graph: bool, inputs) -> None:
    """What Tensor.backward and autograd.backward do once their arguments are checked, from the
    gradients gs that _default_grad made for the tensors."""
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        inputs = _backward_inputs(inputs)
    grads = autograd.run_backward(tensors, gs, retain_graph, create_graph, inputs)
    _store_grads(grads if inputs is None else _by_input(grads, inputs), create_graph)


def _store_grads(grads: dict, create_graph: bool) -> None:
    """Add each gradient found by backward to its tensor's .grad ({tensor: gradient})."""
    if create_graph:  # as torch, a recorded copy (one gradient can reach several leaves, or be a read-only view)
        with autograd.enable_grad():
            for leaf, g in grads.items():
                leaf.grad = g.clone() if leaf.grad is None else leaf.grad + g
        return
    # A view (of another leaf's gradient, or read-only from broadcasting) is copied so that no two
    # .grad arrays share memory; so is every gradient when one array was given to two leaves.
    shared = len(set(map(id, grads.values()))) < len(grads)
    for leaf, g in grads.items():
        if leaf.grad is not None:
            _accumulate(leaf, g)
            continue
        if type(g) is not np.ndarray or g.base is not None or shared:
            g = np.array(g)
        grad = leaf.grad = _new(Tensor)  # _make_tensor(g, None), inline (a call per leaf costs a fifth of this loop)
        grad.data = g
        grad.grad = grad._ctx = None
        grad.requires_grad = False


def _backward_inputs(inputs) -> list:
    """backward's inputs= as a list of tensors that require grad."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("backward: inputs= must not be empty (leave it out to reach every leaf)")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"backward: inputs[{i}] is not a tensor that requires grad")
    return inputs


def _by_input(grads: dict, inputs: list) -> dict:
    """run_backward's {node or leaf: gradient} as {input tensor: gradient}, for the inputs reached."""
    found = {}
    for t in inputs:
        g = grads.get(t._ctx if t._ctx is not None else t)
        if g is not None and not t.retains_grad:  # a retained one's .grad has it already
            found[t] = g
    return found


def _accumulate(leaf: Tensor, g) -> None:
    """Add g to leaf.grad in place, as torch does (a reference to .grad sees the sum), unless
    .grad is in a graph, read-only, or of another shape or dtype: then leaf.grad + g."""
    old = leaf.grad.data
    if leaf.grad.requires_grad or not old.flags.writeable or old.shape != g.shape or old.dtype != g.dtype:
        leaf.grad = leaf.grad + _make_tensor(np.asarray(g), None)
        return
    old += g
    autograd.record_change(old, "gradient accumulation")


def _default_grad(t: Tensor, gradient, caller: str, create_graph: bool) -> Tensor:
    """The gradient to start backward from: given (a copy, so that no .grad shares its memory,
    unless create_graph links backward's graph to it), or 1 for a one-element output."""
    if gradient is None:
        data = t.data
        if data.size != 1:
            raise RuntimeError(f"{caller}: grad can be implicitly created only for one-element outputs, "
                               f"got shape {data.shape}; pass gradient= of that shape")
        seed = np.empty(data.shape, data.dtype)
        seed.fill(1)  # np.ones goes through a Python wrapper
        return _make_tensor(seed, None)
    g = _as_tensor(gradient)
    if g.shape != t.shape:
        raise ShapeError(f"{caller}: gradient has shape {g.shape} but the output has shape {t.shape}")
    return g if g.requires_grad and create_graph else _make_tensor(np.array(g.data, dtype=t.dtype), None)
