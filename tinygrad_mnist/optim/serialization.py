"""Turn an optimizer's or scheduler's state_dict into a flat {name: ndarray} dict and back, so that
np.savez stores it and np.load reads it without pickle:

    np.savez(path, **flatten_state_dict(opt.state_dict()))
    opt.load_state_dict(unflatten_state_dict(np.load(path)))

Names are '/'-separated paths ('state/0/exp_avg', 'param_groups/[1]/lr:scalar'). A path segment
'[i]' is a list item, a digits-only segment an integer dict key. Arrays keep their name; other
leaves get a suffix saying how to rebuild them: ':scalar' (a bool, int, float or str), ':list' and
':tuple' (of numbers), ':none', ':dict' (an empty dict).
"""
from __future__ import annotations

import numbers
from typing import Any, Mapping

import numpy as np


def flatten_state_dict(state_dict: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """A state_dict as {path: ndarray}, ready for np.savez."""
    flat: dict[str, np.ndarray] = {}
    _flatten(dict(state_dict), "", flat)
    return flat


def unflatten_state_dict(arrays: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """Rebuild the state_dict that flatten_state_dict flattened (arrays are copied)."""
    root: dict = {}
    for name in arrays:
        path, _, kind = name.partition(":")
        *parents, leaf = path.split("/")
        node = root
        for segment in parents:
            node = node.setdefault(_key(segment), {})
        node[_key(leaf)] = _leaf(np.array(arrays[name]), kind, name)
    return _lists(root)


def _flatten(value: Any, path: str, flat: dict[str, np.ndarray]) -> None:
    prefix = path + "/" if path else ""
    if isinstance(value, np.ndarray):
        flat[path] = value
    elif isinstance(value, dict):
        if not value:
            flat[path + ":dict"] = np.zeros(0)
        for key, item in value.items():
            if isinstance(key, str) and (not key or key.isdigit() or any(c in key for c in "/:[")):
                raise ValueError(f"flatten_state_dict: key {key!r} at {path or 'the top'} cannot be "
                                 f"stored (it is empty, all digits, or holds '/', ':' or '[')")
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                raise TypeError(f"flatten_state_dict: keys must be str or int, got {key!r} "
                                f"at {path or 'the top'}")
            _flatten(item, prefix + str(key), flat)
    elif isinstance(value, (list, tuple)) and all(_is_scalar(v) and not isinstance(v, str) for v in value):
        flat[f"{path}:{type(value).__name__}"] = np.array(value)
    elif isinstance(value, list) and all(isinstance(v, dict) for v in value):
        for i, item in enumerate(value):
            _flatten(item, f"{prefix}[{i}]", flat)
    elif value is None:
        flat[path + ":none"] = np.zeros(0)
    elif _is_scalar(value):
        flat[path + ":scalar"] = np.array(value)
    else:
        raise TypeError(f"flatten_state_dict: cannot store {type(value).__name__} at {path!r}; expected "
                        f"arrays, numbers, strings, None, lists of numbers or of dicts")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, (numbers.Number, str, np.generic))


def _key(segment: str) -> str | int:
    return int(segment) if segment.isdigit() else segment


def _leaf(array: np.ndarray, kind: str, name: str) -> Any:
    if kind == "":
        return array
    if kind == "scalar":
        return array.item()
    if kind in ("list", "tuple"):
        return array.tolist() if kind == "list" else tuple(array.tolist())
    if kind == "none":
        return None
    if kind == "dict":
        return {}
    raise ValueError(f"unflatten_state_dict: unknown suffix ':{kind}' in {name!r}")


def _lists(node: Any) -> Any:
    """Turn dicts whose keys are all '[i]' back into lists, depth first."""
    if not isinstance(node, dict):
        return node
    items = {k: _lists(v) for k, v in node.items()}
    if items and all(isinstance(k, str) and k.startswith("[") for k in items):
        return [items[f"[{i}]"] for i in range(len(items))]
    return items
