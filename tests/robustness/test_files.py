"""Files: checkpoints load without pickle, a foreign or damaged checkpoint or IDX file raises and
never half-loads, and a writer killed mid-write leaves the previous file intact."""
import gzip
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import tinygrad_mnist as tg
from tinygrad_mnist import data, models, nn, optim, train
from tinygrad_mnist.data.idx import encode_idx, read_idx
from tinygrad_mnist.errors import DataError, ShapeError
from tinygrad_mnist.serialization import load_state

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def small_checkpoint(path, sizes=(20, 8, 3)):
    tg.manual_seed(0)
    model = models.MLP(list(sizes))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    model(tg.randn(4, sizes[0])).sum().backward()
    opt.step()
    train.save_checkpoint(str(path), model, opt, epoch=2, history=train.History(), config={"model": model.config()})
    return model


def assert_same(a, b):
    """Nested states are equal, arrays by dtype, shape and value."""
    assert type(a) is type(b)
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    else:
        assert a == b or (a != a and b != b)


# ---- checkpoints -----------------------------------------------------------------------------------

def test_a_checkpoint_of_another_model_names_the_mismatching_keys_and_shapes(tmp_path):
    small_checkpoint(tmp_path / "c.npz", sizes=(20, 8, 3))
    state = train.load_checkpoint(str(tmp_path / "c.npz"))
    wider = models.MLP([20, 16, 3])
    before = [p.data.copy() for p in wider.parameters()]
    with pytest.raises(ShapeError, match=r"layers.0.weight: shape \(8, 20\) in the state_dict, \(16, 20\) in the "
                                         r"model; layers.0.bias: shape \(8,\) in the state_dict, \(16,\)"):
        wider.load_state_dict(state["model"])
    deeper = models.MLP([20, 8, 8, 3])
    with pytest.raises(ShapeError, match=r"missing keys: layers.4.weight, layers.4.bias; layers.2.weight: "
                                         r"shape \(3, 8\) in the state_dict, \(8, 8\) in the model"):
        deeper.load_state_dict(state["model"])
    # nothing was half-loaded: the matching layers were not touched either
    assert all(np.array_equal(a, p.data) for a, p in zip(before, wider.parameters()))


def test_a_state_dict_with_a_non_numeric_entry_is_refused_before_anything_is_copied():
    model = models.MLP([6, 4, 2])
    before = [p.data.copy() for p in model.parameters()]
    state = {k: v + 1 for k, v in model.state_dict().items()}
    state["layers.2.bias"] = np.array(["x", "y"])
    with pytest.raises(ShapeError, match=r"layers.2.bias: dtype <U1 in the state_dict is not numeric"):
        model.load_state_dict(state)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters()))
    with pytest.raises(TypeError, match="expected a mapping of names to arrays, got list"):
        model.load_state_dict(list(state.items()))


def test_resuming_a_run_from_another_models_checkpoint_is_refused_before_training(tmp_path):
    small_checkpoint(tmp_path / "c.npz", sizes=(20, 8, 3))
    model = models.MLP([20, 5, 3])
    opt = optim.Adam(model.parameters(), lr=1e-3)  # the checkpoint's optimizer, so the model is what differs
    loader = data.DataLoader((np.zeros((8, 20), np.float32), np.zeros(8, np.int64)), batch_size=4)
    with pytest.raises(ShapeError, match=r"layers.0.weight: shape \(8, 20\) in the state_dict, \(5, 20\)"):
        train.fit(model, nn.CrossEntropyLoss(), opt, loader, epochs=3, resume=str(tmp_path / "c.npz"), progress=False)


def test_a_truncated_checkpoint_raises_data_error_wherever_it_was_cut(tmp_path):
    small_checkpoint(tmp_path / "c.npz", sizes=(6, 4, 2))
    raw = (tmp_path / "c.npz").read_bytes()
    cut = tmp_path / "cut.npz"
    # a write that stopped anywhere: every byte of the zip's head and of its directory at the end,
    # and every 37th byte between
    lengths = sorted({*range(300), *range(300, len(raw) - 300, 37), *range(len(raw) - 300, len(raw))})
    for length in lengths:
        cut.write_bytes(raw[:length])
        with pytest.raises(DataError, match="cut.npz"):
            train.load_checkpoint(str(cut))


@settings(max_examples=200, deadline=None)
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), min_size=1, max_size=3))
def test_a_tampered_checkpoint_raises_or_loads_exactly_what_was_saved(tmp_path_factory, flips):
    folder = tmp_path_factory.mktemp("tamper")
    original = folder / "c.npz"
    if not original.exists():
        small_checkpoint(original, sizes=(6, 4, 2))
    raw = bytearray(original.read_bytes())
    for where, xor in flips:
        raw[int(where * len(raw))] ^= xor
    tampered = folder / "t.npz"
    tampered.write_bytes(bytes(raw))
    try:
        state = train.load_checkpoint(str(tampered))
    except DataError as err:
        assert "t.npz" in str(err)
        return
    assert_same(state, train.load_checkpoint(str(original)))  # e.g. a flipped byte in a zip comment


class _Payload:
    """Unpickling this would run code: create the marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_checkpoint_holding_a_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _Payload(str(marker))
    small_checkpoint(tmp_path / "c.npz", sizes=(6, 4, 2))
    with np.load(tmp_path / "c.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["a0"] = evil                         # swap a weight for a pickled object
    np.savez(tmp_path / "evil.npz", **arrays, allow_pickle=True)
    pickle.loads(pickle.dumps(_Payload(str(tmp_path / "live"))))
    assert (tmp_path / "live").exists()         # the payload is live: unpickled, it runs
    with pytest.raises(DataError, match="evil.npz: unreadable or damaged .*allow_pickle=False"):
        train.load_checkpoint(str(tmp_path / "evil.npz"))
    assert not marker.exists()


# ---- IDX files -----------------------------------------------------------------------------------

@pytest.mark.parametrize("compressed", [False, True], ids=["raw", "gzip"])
def test_every_truncation_of_an_idx_file_raises_data_error(tmp_path, compressed):
    payload = encode_idx(np.arange(2 * 3 * 4, dtype=np.int16).reshape(2, 3, 4))
    raw = gzip.compress(payload, mtime=0) if compressed else payload
    path = tmp_path / "x-idx3-ubyte"
    for length in range(len(raw)):
        path.write_bytes(raw[:length])
        with pytest.raises(DataError, match="x-idx3-ubyte"):
            read_idx(path)


def test_a_tampered_mnist_file_is_refused_by_its_checksum(tmp_path):
    source = data.MNIST.bundled / "t10k-labels-idx1-ubyte.gz"
    target = tmp_path / "MNIST" / source.name
    target.parent.mkdir()
    payload = bytearray(gzip.decompress(source.read_bytes()))
    payload[100] = (payload[100] + 1) % 10      # one label changed: still a valid IDX file
    target.write_bytes(gzip.compress(bytes(payload), mtime=0))
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: checksum mismatch"):
        data.MNIST(root=tmp_path, train=False, download=False)


# ---- a writer killed mid-write -------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    import numpy as np
    from tinygrad_mnist.serialization import save_state
    i = 0
    while True:
        save_state(sys.argv[1], {"i": i, "w": np.full((2000, 2000), i, np.float32), "tail": [i] * 100})
        print(i, flush=True)
        i += 1
""")


def test_killing_a_writer_mid_write_leaves_the_previous_checkpoint_intact(tmp_path):
    path = tmp_path / "checkpoint.npz"
    env = dict(os.environ, PYTHONPATH=ROOT)
    mid_write = 0
    for _ in range(20):
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env, stdout=subprocess.PIPE, text=True)
        try:
            last = int(proc.stdout.readline())   # one save is complete
            deadline = time.monotonic() + 10
            while not list(tmp_path.glob(".checkpoint.npz.*.part")) and time.monotonic() < deadline:
                pass                             # the next save's temporary file appeared: kill now
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        state = load_state(path)                 # the file at the final name is always complete
        assert state["i"] >= last and (state["w"] == state["i"]).all() and state["tail"] == [state["i"]] * 100
        parts = list(tmp_path.glob(".checkpoint.npz.*.part"))
        mid_write += bool(parts)                 # the kill landed while a temporary was being written
        for part in parts:
            part.unlink()
        if mid_write == 3:
            break
    assert mid_write == 3, f"only {mid_write} of the kills landed mid-write"
