"""Downloads against a real HTTP server on 127.0.0.1 serving small IDX files; nothing leaves loopback."""
import gzip
import hashlib
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from tinygrad_mnist.data import MNIST, Checksum, FashionMNIST, KMNIST
from tinygrad_mnist.data.idx import encode_idx
from tinygrad_mnist.errors import DataError

NAMES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, (6, 28, 28), dtype=np.uint8)
LABELS = np.array([3, 1, 4, 1, 5, 9], dtype=np.uint8)
RAW = {NAMES[0]: encode_idx(IMAGES), NAMES[1]: encode_idx(LABELS)}
GOOD = {name: gzip.compress(raw, mtime=0) for name, raw in RAW.items()}
RECOMPRESSED = {name: gzip.compress(raw, compresslevel=1, mtime=1) for name, raw in RAW.items()}
CORRUPT = {name: gzip.compress(raw[:-1] + bytes([raw[-1] ^ 1]), mtime=0) for name, raw in RAW.items()}
SHA256 = {name: hashlib.sha256(raw).hexdigest() for name, raw in RAW.items()}
MD5 = {name: hashlib.md5(packed).hexdigest() for name, packed in GOOD.items()}
REAL_MIRRORS = {cls: cls.mirrors for cls in (MNIST, FashionMNIST, KMNIST)}  # before any patching


class Handler(BaseHTTPRequestHandler):
    """/good/, /recompressed/, /corrupt/ serve those files; /partial/ stops halfway; /trickle/
    sends the good files slowly; others 404."""

    requests: list = []

    def do_GET(self):
        Handler.requests.append(self.path)
        kind, _, name = self.path.strip("/").partition("/")
        source = {"good": GOOD, "recompressed": RECOMPRESSED, "corrupt": CORRUPT, "partial": GOOD,
                  "trickle": GOOD}.get(kind, {})
        if name not in source:
            self.send_error(404)
            return
        body = source[name]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "trickle":  # a piece every 0.3 s: each wait is short, the whole is slow
            try:
                for i in range(0, len(body), len(body) // 8 + 1):
                    self.wfile.write(body[i:i + len(body) // 8 + 1])
                    self.wfile.flush()
                    time.sleep(0.3)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
                pass
        else:
            self.wfile.write(body[: len(body) // 2] if kind == "partial" else body)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def offline():
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mirror"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, offline):
    """No test reaches the real mirrors or the user's cache; checksums are those of the small files."""
    monkeypatch.setenv("TINYGRAD_MNIST_DATA", str(tmp_path / "cache"))
    for cls in (MNIST, FashionMNIST, KMNIST):
        monkeypatch.setattr(cls, "mirrors", (offline,))
        monkeypatch.setattr(cls, "timeout", 5.0)
    monkeypatch.setattr(FashionMNIST, "checksums", {n: Checksum(sha256=SHA256[n]) for n in NAMES})
    monkeypatch.setattr(KMNIST, "checksums", {n: Checksum(md5=MD5[n]) for n in NAMES})
    Handler.requests.clear()


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def test_download_verifies_writes_under_standard_names_and_then_works_offline(tmp_path, server, offline):
    ds = FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/good"])
    np.testing.assert_array_equal(ds.data, IMAGES)
    assert ds.targets.tolist() == LABELS.tolist() and ds.targets.dtype == np.int64
    assert files_under(tmp_path) == sorted(f"FashionMNIST/{n}" for n in NAMES)  # no temporary files left
    assert (tmp_path / "FashionMNIST" / NAMES[0]).read_bytes() == GOOD[NAMES[0]]
    assert Handler.requests == [f"/good/{n}" for n in NAMES]
    again = FashionMNIST(root=tmp_path, train=False, mirrors=[offline])
    np.testing.assert_array_equal(again.data, IMAGES)
    assert len(Handler.requests) == 2


def test_mirrors_are_tried_in_turn(tmp_path, server, offline):
    mirrors = [offline, f"{server}/missing", "notascheme://nowhere", f"{server}/good/"]
    ds = FashionMNIST(root=tmp_path, train=False, mirrors=mirrors)
    assert len(ds) == 6
    assert Handler.requests == [f"/missing/{NAMES[0]}", f"/good/{NAMES[0]}",
                                f"/missing/{NAMES[1]}", f"/good/{NAMES[1]}"]


def test_corrupt_download_names_file_and_digests_and_leaves_nothing(tmp_path, server):
    with pytest.raises(DataError) as info:
        FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/corrupt"])
    message = str(info.value)
    actual = hashlib.sha256(gzip.decompress(CORRUPT[NAMES[0]])).hexdigest()
    assert NAMES[0] in message and "checksum mismatch" in message
    assert f"expected sha256 {SHA256[NAMES[0]]}" in message and f"got sha256 {actual}" in message
    assert files_under(tmp_path) == []


def test_corrupt_mirror_falls_back_to_a_good_one(tmp_path, server):
    ds = FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/corrupt", f"{server}/good"])
    np.testing.assert_array_equal(ds.data, IMAGES)
    assert (tmp_path / "FashionMNIST" / NAMES[0]).read_bytes() == GOOD[NAMES[0]]


def test_interrupted_download_keeps_nothing_and_falls_back(tmp_path, server):
    with pytest.raises(DataError, match="interrupted") as info:
        FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/partial"])
    assert f"{server}/partial/{NAMES[0]}" in str(info.value)
    assert files_under(tmp_path) == []
    ds = FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/partial", f"{server}/good"])
    np.testing.assert_array_equal(ds.data, IMAGES)
    assert files_under(tmp_path) == sorted(f"FashionMNIST/{n}" for n in NAMES)


def test_offline_error_names_file_urls_and_how_to_place_by_hand(tmp_path, offline):
    mirrors = [offline + "1", offline + "2"]
    with pytest.raises(DataError) as info:
        KMNIST(root=tmp_path, train=False, mirrors=mirrors)
    message = str(info.value)
    assert f"could not download {NAMES[0]}" in message
    for mirror in mirrors:
        assert f"{mirror}/{NAMES[0]}" in message
    assert f"copy {NAMES[0]} into {tmp_path / 'KMNIST'}" in message
    assert "point root=, the command's --data-dir or $TINYGRAD_MNIST_DATA at a folder holding" in message
    assert files_under(tmp_path) == []


def test_download_false_without_files_says_where_it_looked(tmp_path, server):
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz not found in .*FashionMNIST.*download=True"):
        FashionMNIST(root=tmp_path, train=False, download=False, mirrors=[f"{server}/good"])
    assert Handler.requests == []


def test_cache_is_root_else_environment_variable(tmp_path, server):
    FashionMNIST(train=False, mirrors=[f"{server}/good"])
    assert files_under(tmp_path / "cache") == sorted(f"FashionMNIST/{n}" for n in NAMES)
    FashionMNIST(root=tmp_path / "mine", train=False, mirrors=[f"{server}/good"])
    assert files_under(tmp_path / "mine") == sorted(f"FashionMNIST/{n}" for n in NAMES)


def test_sha256_survives_recompression_md5_does_not(tmp_path, server):
    fashion = FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/recompressed"])
    np.testing.assert_array_equal(fashion.data, IMAGES)
    kmnist = KMNIST(root=tmp_path, train=False, mirrors=[f"{server}/good"])  # md5 of the exact .gz
    np.testing.assert_array_equal(kmnist.data, IMAGES)
    assert kmnist.paths[0] == tmp_path / "KMNIST" / NAMES[0]
    with pytest.raises(DataError, match=f"expected md5 {MD5[NAMES[0]]}, got md5 "):
        KMNIST(root=tmp_path / "other", train=False, mirrors=[f"{server}/recompressed"])
    assert files_under(tmp_path / "other") == []


def test_files_that_are_not_what_they_claim_are_refused(tmp_path, server, monkeypatch):
    # Images served as labels: checksums match (they were computed on the swapped files),
    # but the contents are not a label array.
    monkeypatch.setitem(GOOD, NAMES[1], GOOD[NAMES[0]])
    monkeypatch.setattr(FashionMNIST, "checksums", {n: Checksum(sha256=SHA256[NAMES[0]]) for n in NAMES})
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: expected uint8 labels of shape \(N,\), "
                                        r"got uint8 \(6, 28, 28\)"):
        FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/good"])


def test_mnist_downloads_when_the_bundled_copy_is_missing(tmp_path, server, monkeypatch):
    monkeypatch.setattr(MNIST, "bundled", tmp_path / "not-installed")
    monkeypatch.setattr(MNIST, "checksums", {n: Checksum(sha256=SHA256[n]) for n in NAMES})
    ds = MNIST(train=False, mirrors=[f"{server}/good"])
    assert ds.paths[0] == tmp_path / "cache" / "MNIST" / NAMES[0]
    np.testing.assert_array_equal(ds.data, IMAGES)


def test_every_dataset_has_several_real_mirrors():
    for mirrors in REAL_MIRRORS.values():
        assert len(mirrors) >= 2 and all(m.startswith(("http://", "https://")) for m in mirrors)
    assert len(set(REAL_MIRRORS[MNIST]) | set(REAL_MIRRORS[FashionMNIST]) | set(REAL_MIRRORS[KMNIST])) == 8


def test_a_mirror_that_sends_a_trickle_times_out_and_the_next_is_tried(tmp_path, server, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "timeout", 1.0)  # the trickle takes about 2.4 s per file
    started = time.monotonic()
    ds = FashionMNIST(root=tmp_path, train=False, mirrors=[f"{server}/trickle", f"{server}/good"])
    np.testing.assert_array_equal(ds.data, IMAGES)
    assert Handler.requests == [f"/trickle/{NAMES[0]}", f"/good/{NAMES[0]}", f"/trickle/{NAMES[1]}",
                                f"/good/{NAMES[1]}"]
    assert time.monotonic() - started < 4.0
