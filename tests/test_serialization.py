"""save_state / load_state / atomic_write: types survive, no pickle, damage is an error, writes are atomic."""
import os

import numpy as np
import pytest

from tinygrad_mnist.errors import DataError
from tinygrad_mnist.serialization import atomic_write, load_state, save_state


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
