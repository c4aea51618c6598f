"""Saving nested state (dicts, lists, Tensors, arrays, numbers, strings) as .npz without pickle,
atomically; save and load are torch.save's and torch.load's names for it (tg.save, tg.load).

One .npz holds every array under its own key plus `__meta__`, a JSON document of the structure in
which each array is a reference. Dict keys keep their type (int keys stay ints), tuples stay
tuples, Tensors come back as Tensors (leaves, with their requires_grad; a Parameter as a Parameter,
as torch.load gives it, told by a flag in its entry, not by a pickled class; one saved twice as
one Tensor, and an array saved twice as one array), and non-finite floats survive. Loading uses
allow_pickle=False.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator

import numpy as np

from .arguments import check_cpu, is_device
from .errors import ConfigError, DataError, MissingFileError, MissingFolderError
from .nn.module import Parameter
from .tensor import Tensor

FORMAT = "tinygrad_mnist-state-1"


def _file_mode() -> int:
    """rw for everyone the umask allows, as open() would give (mkstemp's files are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, *, make_folders: bool = True,
                op: str = "atomic_file") -> Iterator[IO[bytes]]:
    """Open a temporary file beside path for writing; rename it onto path only if the block
    succeeds, so a crash leaves either the old file or the new one, never a part. The folders
    path needs are made, unless make_folders=False, when a missing one raises MissingFolderError
    (naming op) before anything is written."""
    path = Path(path)
    if path.is_dir():  # checked first: the rename would fail only after the whole file was written
        raise IsADirectoryError(f"{path}: is a folder, not a file to write")
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise NotADirectoryError(f"{path}: {parent} is a file, not a folder to write into")
            break
    if not make_folders and parent != path.parent:
        raise MissingFolderError(f"{op}: the folder {path.parent} does not exist, and is not made (as with "
                                 "torch.save); make it first, e.g. with os.makedirs")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write(path: str | os.PathLike, payload: bytes, *, make_folders: bool = True,
                 op: str = "atomic_write") -> str:
    """Write bytes to path atomically (see atomic_file); returns the path."""
    with atomic_file(path, make_folders=make_folders, op=op) as f:
        f.write(payload)
    return os.fspath(path)


def save_state(path: str | os.PathLike, state: Any, *, make_folders: bool = True, op: str = "save_state") -> str:
    """Write a nested state (e.g. a model's, optimizer's or scheduler's state_dict) to an .npz,
    making the folders it needs unless make_folders=False (see atomic_file). A Tensor found twice
    is stored once and loads as one Tensor, as with torch.save."""
    arrays: dict[str, np.ndarray] = {}
    meta = json.dumps({"format": FORMAT, "state": _encode(state, arrays, "state", {})})
    buffer = io.BytesIO()
    np.savez(buffer, __meta__=np.array(meta), **arrays)
    return atomic_write(path, buffer.getvalue(), make_folders=make_folders, op=op)


def save(obj: Any, f: str | os.PathLike) -> None:
    """torch.save's order for save_state(f, obj): obj is a state_dict, a Tensor, an array, or dicts,
    lists and tuples of them, numbers, strings and None; anything else would need pickle and is
    refused with a TypeError. f is a path: unlike torch.save, no file object, as the file is written
    to a temporary name and then renamed. As torch.save, it makes no folder: into one that does not
    exist, it raises MissingFolderError (a RuntimeError, as torch's) and writes nothing."""
    save_state(_path(f, "save"), obj, make_folders=False, op="save")


def load(f: str | os.PathLike, map_location=None, *, weights_only=None) -> Any:
    """load_state(f) under torch.load's name, for a path f: a state_dict saved by save() loads back with
    model.load_state_dict(load(f)). map_location may name only the CPU, the one device;
    weights_only changes nothing, as the file never holds pickled objects (torch.save's files,
    pickles, are refused with a DataError)."""
    if map_location is not None and not is_device(map_location):  # torch's dicts and functions of devices
        raise ConfigError(f"load: map_location must be a device, and the only one is 'cpu', got "
                          f"{map_location!r}")
    check_cpu(map_location, "load")
    return load_state(_path(f, "load"))


def _path(f, op: str) -> str | os.PathLike:
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"{op}: f must be a path (a str or os.PathLike), got {type(f).__name__}; unlike torch, "
                        "this library takes no file object (it writes to a temporary name, then renames)")
    return f


def load_state(path: str | os.PathLike) -> Any:
    """Read what save_state wrote; a missing, damaged or foreign file raises DataError naming it (a
    missing one MissingFileError, also a FileNotFoundError, as torch.load's)."""
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":  # else np.load takes it for a pickle and suggests allow_pickle
                raise DataError(f"{path}: not an .npz file written by tinygrad_mnist")
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(str(arrays.pop("__meta__"))) if "__meta__" in arrays else None
    except FileNotFoundError:
        raise MissingFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, not a saved state") from None
    except DataError:
        raise
    except Exception as err:  # a damaged zip fails in many ways: BadZipFile, a bad CRC, NotImplementedError
        # (a flipped compression method), RuntimeError (a flipped "encrypted" bit), struct.error, ...
        raise DataError(f"{path}: unreadable or damaged ({type(err).__name__}: {err})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DataError(f"{path}: not a file written by tinygrad_mnist.serialization.save_state")
    try:
        return _decode(meta["state"], arrays, {})
    except (KeyError, TypeError, ValueError) as err:
        raise DataError(f"{path}: damaged structure ({err})") from None


def _encode(obj: Any, arrays: dict, where: str, seen: dict) -> Any:
    """obj as JSON, its arrays added to arrays; seen maps the id of each Tensor and array stored to its
    entry, which a second reference repeats (one array key, so that it loads as the same object: a
    tied weight in a state_dict, one array under two keys, is stored once). A Tensor's array has a
    key of its own, so that two Tensors over one array load as two."""
    if isinstance(obj, (Tensor, np.ndarray)):
        if id(obj) not in seen:
            if isinstance(obj, Tensor):
                seen[id(obj)] = {"__tensor__": _store(obj.data, arrays, where), "requires_grad": obj.requires_grad}
                if isinstance(obj, Parameter):
                    seen[id(obj)]["parameter"] = True
            else:
                seen[id(obj)] = {"__array__": _store(obj, arrays, where)}
        return seen[id(obj)]
    if isinstance(obj, dict):
        for k in obj:
            if not isinstance(k, (str, int, np.integer)) or isinstance(k, (bool, np.bool_)):
                raise TypeError(f"save_state: dict keys must be str or int, got {k!r} at {where}")
        return {"__dict__": [[k if isinstance(k, str) else int(k), _encode(v, arrays, f"{where}/{k}", seen)]
                             for k, v in obj.items()]}
    if isinstance(obj, (list, tuple)):
        tag = "__tuple__" if isinstance(obj, tuple) else "__list__"
        return {tag: [_encode(v, arrays, f"{where}[{i}]", seen) for i, v in enumerate(obj)]}
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return {"__float__": repr(obj)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    kind = type(obj)  # named with its module, so that a torch.Tensor is not called a Tensor
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    raise TypeError(f"save_state: cannot store {name} at {where} without pickle; expected "
                    "Tensors, arrays, numbers, strings, None, and dicts, lists or tuples of them (for a "
                    "model or an optimizer, its state_dict())")


def _store(array: np.ndarray, arrays: dict, where: str) -> str:
    """Add array to arrays under a new key, which is returned."""
    if array.dtype == object:
        raise TypeError(f"save_state: object array at {where} cannot be stored without pickle")
    key = f"a{len(arrays)}"
    arrays[key] = array
    return key


def _decode(obj: Any, arrays: dict, tensors: dict) -> Any:
    """What _encode stored; tensors maps the array key of each Tensor made to it, so that entries
    with one key (one Tensor saved twice) give one Tensor."""
    if isinstance(obj, dict):
        if "__array__" in obj:
            return arrays[obj["__array__"]]
        if "__tensor__" in obj:
            key = obj["__tensor__"]
            if key not in tensors:
                kind = Parameter if obj.get("parameter") is True else Tensor
                tensors[key] = kind(arrays[key], obj["requires_grad"])
            return tensors[key]
        if "__dict__" in obj:
            return {k: _decode(v, arrays, tensors) for k, v in obj["__dict__"]}
        if "__list__" in obj:
            return [_decode(v, arrays, tensors) for v in obj["__list__"]]
        if "__tuple__" in obj:
            return tuple(_decode(v, arrays, tensors) for v in obj["__tuple__"])
        if "__float__" in obj:
            return float(obj["__float__"])
        raise ValueError(f"unknown entry {sorted(obj)}")
    return obj
