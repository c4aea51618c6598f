"""save_state / load_state / atomic_write: types survive, no pickle, damage is an error, writes are atomic;
tg.save / tg.load, their torch-named forms, against torch.save / torch.load."""
import io
import json
import os

import numpy as np
import pytest
import torch

import tinygrad_mnist as tg
from tinygrad_mnist.errors import ConfigError, DataError, MissingFileError, MissingFolderError
from tinygrad_mnist.serialization import atomic_write, load_state, save_state

from test_tensor_api import same


def test_round_trip_keeps_types(tmp_path):
    nested = {"state": {0: {"step": 3, "buf": np.arange(3.0), "scalar_buf": np.array(2.5, dtype=np.float32)}, 1: {}},
              "param_groups": [{"lr": 0.1, "betas": (0.9, 0.99), "nesterov": True, "params": [0, 1],
                                "name": "head", "foreach": None}],
              "base_lrs": [0.1, 0.2], "best": float("inf"), "worst": float("-inf"), "big": 2 ** 100,
              "np_scalar": np.float32(1.5)}
    back = load_state(save_state(tmp_path / "s.npz", nested))
    assert set(back["state"]) == {0, 1} and back["state"][1] == {}
    assert back["state"][0]["step"] == 3 and isinstance(back["state"][0]["step"], int)
    np.testing.assert_array_equal(back["state"][0]["buf"], np.arange(3.0))
    assert back["state"][0]["scalar_buf"].dtype == np.float32 and back["state"][0]["scalar_buf"].shape == ()
    assert back["param_groups"] == nested["param_groups"]
    assert isinstance(back["param_groups"][0]["betas"], tuple)
    assert back["base_lrs"] == [0.1, 0.2] and back["best"] == float("inf") and back["worst"] == float("-inf")
    assert back["big"] == 2 ** 100 and back["np_scalar"] == 1.5
    with np.load(tmp_path / "s.npz", allow_pickle=False) as npz:
        assert all(npz[k].dtype != object for k in npz.files)


@pytest.mark.parametrize("value, where", [
    ({"extra": object()}, "cannot store object at state/extra"),
    ({"a": [np.array([None])]}, "object array at state/a\\[0\\]"),
    ({(1, 2): 3}, "dict keys must be str or int"),
])
def test_what_npz_cannot_hold_without_pickle_is_refused(tmp_path, value, where):
    with pytest.raises(TypeError, match=where):
        save_state(tmp_path / "x.npz", value)
    assert not list(tmp_path.iterdir())


def test_damaged_and_foreign_files_raise_data_error(tmp_path):
    path = save_state(tmp_path / "s.npz", {"w": np.ones((50, 50))})
    raw = open(path, "rb").read()
    (tmp_path / "cut.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="cut.npz: unreadable or damaged"):
        load_state(tmp_path / "cut.npz")
    np.savez(tmp_path / "foreign.npz", w=np.ones(3))
    with pytest.raises(DataError, match="foreign.npz: .*not a file written by"):
        load_state(tmp_path / "foreign.npz")
    with pytest.raises(DataError, match="no such file"):
        load_state(tmp_path / "missing.npz")


def test_loading_a_missing_file_is_a_file_not_found_error_as_in_torch(tmp_path):
    # `except FileNotFoundError:` around torch.load (start afresh without a checkpoint) works here too
    for lib in (tg, torch):
        with pytest.raises(FileNotFoundError):
            lib.load(tmp_path / "missing.pt")
    with pytest.raises(MissingFileError, match="missing.pt: no such file") as caught:
        tg.load(tmp_path / "missing.pt")
    assert isinstance(caught.value, DataError)


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "f.bin"
    atomic_write(target, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]


def test_atomic_files_get_ordinary_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = atomic_write(tmp_path / "f.bin", b"x")
    finally:
        os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~0o022


def test_save_state_names_a_path_it_cannot_write(tmp_path):
    (tmp_path / "file.npz").write_bytes(b"x")
    with pytest.raises(NotADirectoryError, match="file.npz is a file, not a folder"):
        save_state(tmp_path / "file.npz" / "best.npz", {"a": 1})
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        save_state(tmp_path / "folder", {"a": 1})
    assert os.listdir(tmp_path / "folder") == [] and sorted(os.listdir(tmp_path)) == ["file.npz", "folder"]
    with pytest.raises(DataError, match="is a folder, not a saved state"):
        load_state(tmp_path / "folder")


def test_numpy_integer_dict_keys_are_saved_as_ints(tmp_path):
    keys = np.unique([3, 1, 3])
    state = {k: float(k) for k in keys}
    assert load_state(save_state(tmp_path / "s.npz", state)) == {1: 1.0, 3: 3.0}


# ---- tg.save and tg.load against torch.save and torch.load ---------------------------------------

def _saved_and_loaded(lib, obj, path):
    lib.save(obj, path)
    return lib.load(path)


def test_a_state_dict_saved_with_save_loads_back_into_a_model_as_with_torch(tmp_path):
    for lib in (tg, torch):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
        for keep_vars in (False, True):
            state = _saved_and_loaded(lib, model.state_dict(keep_vars=keep_vars), tmp_path / f"m-{keep_vars}")
            for assign in (False, True):
                other = lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
                assert not other.load_state_dict(state, assign=assign).missing_keys
                for (name, p), q in zip(model.named_parameters(), other.parameters()):
                    np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy(), err_msg=name)
                    assert q.requires_grad


TENSORS = {  # name: (values, dtype name, requires_grad)
    "leaf": ([1.5, -2.0], "float32", True), "float64": ([[1.0], [2.0]], "float64", False),
    "0-d": (3.0, "float16", False), "empty": ([], "float32", False), "int": ([1, 2], "int64", False),
    "bool": ([True, False], "bool", False),
}


def _tensors(lib):
    made = {k: lib.tensor(v, dtype=getattr(lib, d), requires_grad=g) for k, (v, d, g) in TENSORS.items()}
    made["non-leaf"] = made["leaf"] * 2  # loads as a leaf that requires grad, in torch too
    return made


def test_tensors_inside_come_back_as_tensors_with_their_dtype_and_requires_grad_as_torch_gives(tmp_path):
    obj = {lib: {"tensors": _tensors(lib), "list": [lib.ones(2), 1.5], "pair": (lib.zeros(()), "x"), "n": 3}
           for lib in (tg, torch)}
    ours, theirs = (_saved_and_loaded(lib, obj[lib], tmp_path / lib.__name__) for lib in (tg, torch))
    assert ours["n"] == theirs["n"] == 3 and ours["pair"][1] == theirs["pair"][1] == "x"
    assert type(ours["pair"]) is type(theirs["pair"]) is tuple and ours["list"][1] == theirs["list"][1] == 1.5
    pairs = [(ours["tensors"][k], theirs["tensors"][k]) for k in theirs["tensors"]]
    pairs += [(ours["list"][0], theirs["list"][0]), (ours["pair"][0], theirs["pair"][0])]
    for a, b in pairs:
        assert isinstance(a, tg.Tensor) and a.is_leaf and a.requires_grad == b.requires_grad
        same(a, b)
    for lib in (tg, torch):  # a tensor alone too
        loaded = _saved_and_loaded(lib, lib.tensor(2.5), tmp_path / "alone")
        assert lib.is_tensor(loaded) and loaded.item() == 2.5 and loaded.shape == ()


def test_a_parameter_loads_as_a_parameter_with_its_requires_grad_as_in_torch(tmp_path):
    loaded = {}
    for lib in (tg, torch):
        p, frozen, t = lib.nn.Parameter(lib.randn(2, 3)), lib.nn.Parameter(lib.ones(2), requires_grad=False), lib.ones(1)
        alone = _saved_and_loaded(lib, p, tmp_path / "alone")
        inside = _saved_and_loaded(lib, {"p": p, "frozen": frozen, "list": [p, t]}, tmp_path / "inside")
        assert inside["p"] is inside["list"][0]  # one Parameter saved twice is one
        np.testing.assert_array_equal(alone.detach().numpy(), p.detach().numpy())
        loaded[lib] = [alone, inside["p"], inside["frozen"], inside["list"][1]]
    for ours, theirs in zip(loaded[tg], loaded[torch]):
        assert isinstance(ours, tg.nn.Parameter) == isinstance(theirs, torch.nn.Parameter), (ours, theirs)
        assert ours.requires_grad == theirs.requires_grad and ours.is_leaf and ours.shape == tuple(theirs.shape)


def test_a_tensor_saved_twice_loads_as_one_tensor_as_in_torch(tmp_path):
    for lib in (tg, torch):
        t, u = lib.ones(3, requires_grad=True), lib.zeros(2)
        back = _saved_and_loaded(lib, {"a": t, "b": t, "list": [t, u, u], "pair": (u,)}, tmp_path / lib.__name__)
        assert back["a"] is back["b"] is back["list"][0] and back["a"].requires_grad
        assert back["list"][1] is back["list"][2] is back["pair"][0] and back["a"] is not back["list"][1]
        lib.manual_seed(0)
        tied = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
        tied[1].weight = tied[0].weight
        state = _saved_and_loaded(lib, tied.state_dict(keep_vars=True), tmp_path / f"tied-{lib.__name__}")
        assert state["0.weight"] is state["1.weight"] and state["0.bias"] is not state["1.bias"]
    # Two Tensors over one array are two objects, in torch too (sharing memory there, not here).
    shared = np.ones(2)
    for lib in (tg, torch):
        first, second = _saved_and_loaded(lib, [lib.from_numpy(shared), lib.from_numpy(shared)], tmp_path / "two")
        assert first is not second and first.tolist() == second.tolist() == [1.0, 1.0]


def test_a_tied_weight_in_a_state_dict_of_arrays_is_stored_once_and_loads_as_one_array(tmp_path):
    # model.state_dict() holds the parameters' arrays, so a tied weight is one array under two keys: it
    # was stored twice and loaded as two arrays; torch's two entries load sharing one storage.
    for lib in (tg, torch):
        lib.manual_seed(0)
        tied = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
        tied[1].weight = tied[0].weight
        state = _saved_and_loaded(lib, tied.state_dict(), tmp_path / f"tied-{lib.__name__}")
        if lib is torch:
            assert state["0.weight"].untyped_storage().data_ptr() == state["1.weight"].untyped_storage().data_ptr()
        else:
            assert state["0.weight"] is state["1.weight"] and state["0.bias"] is not state["1.bias"]
        fresh = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 2))
        fresh.load_state_dict(state)
        assert fresh[1].weight.tolist() == fresh[0].weight.tolist() == tied[0].weight.tolist()
    with np.load(tmp_path / "tied-tinygrad_mnist") as npz:
        assert len(npz.files) == 4  # the structure, one weight and two biases
    array = np.arange(3.0)
    first, second, tensor = _saved_and_loaded(tg, [array, array, tg.from_numpy(array)], tmp_path / "arrays")
    assert first is second and isinstance(tensor, tg.Tensor) and tensor.tolist() == [0.0, 1.0, 2.0]


def test_files_with_each_tensor_stored_once_per_reference_still_load(tmp_path):
    # as save wrote them before a tensor saved_twice was stored once: two keys, two tensors
    meta = {"format": "tinygrad_mnist-state-1", "state": {"__list__": [{"__tensor__": "a0", "requires_grad": True},
                                                                       {"__tensor__": "a1", "requires_grad": True}]}}
    np.savez(tmp_path / "old.npz", __meta__=np.array(json.dumps(meta)), a0=np.ones(2), a1=np.ones(2))
    first, second = tg.load(tmp_path / "old.npz")
    assert first is not second and first.requires_grad and second.tolist() == [1.0, 1.0]


def test_save_into_a_folder_that_does_not_exist_is_refused_as_by_torch_and_writes_nothing(tmp_path):
    for missing in (tmp_path / "missing", tmp_path / "missing" / "deeper"):
        with pytest.raises(RuntimeError, match=f"Parent directory {missing} does not exist"):
            torch.save({"w": torch.ones(2)}, missing / "m.pt")
        with pytest.raises(MissingFolderError, match=rf"^save: the folder {missing} does not exist, and is not "
                                                     r"made \(as with torch.save\); make it first"):
            tg.save({"w": tg.ones(2)}, missing / "m.npz")
    assert os.listdir(tmp_path) == []
    assert issubclass(MissingFolderError, RuntimeError) and issubclass(MissingFolderError, FileNotFoundError)
    # save_state, which checkpoints are written with, makes the folders it needs
    assert load_state(save_state(tmp_path / "run" / "best.npz", {"a": 1})) == {"a": 1}
    tg.save({"w": tg.ones(2)}, tmp_path / "run" / "m.npz")
    assert sorted(os.listdir(tmp_path / "run")) == ["best.npz", "m.npz"]


def test_load_takes_the_cpu_as_map_location_and_weights_only_and_refuses_other_devices(tmp_path):
    for lib in (tg, torch):
        lib.save({"w": lib.ones(2)}, tmp_path / "s")
        for kwargs in [{"map_location": "cpu"}, {"map_location": torch.device("cpu")}, {"weights_only": True},
                       {"weights_only": False}]:
            assert lib.load(tmp_path / "s", **kwargs)["w"].tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError):  # torch: "Attempting to deserialize object on a CUDA device"
        torch.load(tmp_path / "s", map_location="cuda")
    with pytest.raises(ConfigError, match="^load: the only device is 'cpu', got 'cuda'$"):
        tg.load(tmp_path / "s", map_location="cuda")
    with pytest.raises(ConfigError, match="map_location must be a device, and the only one is 'cpu'"):
        tg.load(tmp_path / "s", map_location={"cuda:0": "cpu"})


def test_save_refuses_what_would_need_pickle_naming_what_it_stores(tmp_path):
    torch.save(torch.nn.Linear(2, 2), tmp_path / "model.pt")  # torch pickles the module
    for obj, where in [(tg.nn.Linear(2, 2), "tinygrad_mnist.nn.layers.Linear at state"),
                       ({"opt": tg.optim.SGD}, "type at state/opt"),
                       ({"w": [torch.ones(1)]}, "torch.Tensor at state/w\\[0\\]")]:  # not "Tensor"
        with pytest.raises(TypeError, match=f"cannot store {where} without pickle; expected Tensors, arrays, "
                                            r"numbers, strings, None, .*its state_dict\(\)"):
            tg.save(obj, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_save_and_load_take_paths_and_refuse_file_objects_by_name(tmp_path):
    tg.save({"w": tg.ones(2)}, str(tmp_path / "s.npz"))
    with open(tmp_path / "s.npz", "rb") as f:
        with pytest.raises(TypeError, match=r"^load: f must be a path \(a str or os.PathLike\), got BufferedReader"):
            tg.load(f)
    with pytest.raises(TypeError, match=r"^save: f must be a path .*, got BytesIO; unlike torch, this library "
                                        "takes no file object"):
        tg.save({"w": tg.ones(2)}, io.BytesIO())


@pytest.mark.parametrize("zipped", [True, False], ids=["zip", "legacy"])
def test_load_of_a_torch_save_file_is_refused_unread(tmp_path, zipped, monkeypatch):
    torch.save(torch.nn.Linear(2, 2).state_dict(), tmp_path / "m.pt", _use_new_zipfile_serialization=zipped)
    def unpickle(*args, **kwargs):
        raise AssertionError("a pickle was read")

    monkeypatch.setattr("pickle.load", unpickle)
    monkeypatch.setattr("pickle.loads", unpickle)
    with pytest.raises(DataError, match=r"m\.pt: not (an \.npz )?(a )?file written by tinygrad_mnist"):
        tg.load(tmp_path / "m.pt")
