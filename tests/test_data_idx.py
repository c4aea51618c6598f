import gzip
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from tinygrad_mnist.data.idx import DTYPE_CODES, encode_idx, parse_idx, read_idx, write_idx
from tinygrad_mnist.errors import DataError, DTypeError

IDX_DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", IDX_DTYPES)
@pytest.mark.parametrize("suffix", [".gz", ""])
def test_round_trip_each_dtype_code(tmp_path, dtype, suffix):
    rng = np.random.default_rng(0)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    array = (rng.integers(info.min, info.max, (3, 4, 5), endpoint=True) if info
             else rng.standard_normal((3, 4, 5)) * 1e3).astype(dtype)
    path = tmp_path / f"a-idx3{suffix}"
    write_idx(path, array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    assert back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, array)
    assert path.read_bytes().startswith(b"\x1f\x8b") == (suffix == ".gz")
    assert os.listdir(tmp_path) == [path.name]  # the temporary file was renamed, nothing else left


def test_header_bytes_follow_the_format():
    payload = encode_idx(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert payload[:4] == b"\x00\x00\x08\x02"
    assert payload[4:12] == (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    assert payload[12:] == bytes(range(6))
    big_endian = encode_idx(np.array([1], dtype=np.int32))
    assert big_endian == b"\x00\x00\x0c\x01" + (1).to_bytes(4, "big") + (1).to_bytes(4, "big")


def test_round_trip_keeps_empty_and_one_dim_and_big_endian_input(tmp_path):
    for array in [np.zeros((0, 28, 28), np.uint8), np.arange(10, dtype=">i2"), np.array(2.5, dtype=np.float64)]:
        write_idx(tmp_path / "x.gz", array)
        back = read_idx(tmp_path / "x.gz")
        assert back.shape == array.shape
        np.testing.assert_array_equal(back, array)


def test_compression_follows_the_argument_over_the_suffix(tmp_path):
    write_idx(tmp_path / "raw.gz", np.arange(4, dtype=np.uint8), compress=False)
    assert not (tmp_path / "raw.gz").read_bytes().startswith(b"\x1f\x8b")
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), np.arange(4))


@pytest.mark.parametrize("dtype", [np.int64, np.bool_, np.uint16, np.complex64])
def test_write_refuses_dtypes_idx_cannot_hold(tmp_path, dtype):
    with pytest.raises(DTypeError, match=f"cannot store dtype {np.dtype(dtype)}"):
        write_idx(tmp_path / "x.gz", np.zeros(3, dtype))
    assert os.listdir(tmp_path) == []


def _valid(shape=(2, 3, 4), dtype=np.uint8) -> bytes:
    return encode_idx(np.arange(np.prod(shape)).astype(dtype).reshape(shape))


@pytest.mark.parametrize("payload, message", [
    (b"\x00\x00", "too short for an IDX header"),
    (b"\x01\x00\x08\x01" + b"\x00" * 8, "not an IDX file: magic number 0x01000801"),
    (b"\x00\x00\x0a\x01" + b"\x00\x00\x00\x01" + b"\x00", r"unknown IDX dtype code 0x0a"),
    (b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02", r"truncated header: 3 dims need 16 header bytes, the file has 8"),
    (_valid()[:-1], r"truncated: dims \(2, 3, 4\) of uint8 need 24 payload bytes, found 23"),
    (_valid() + b"\x00\x00", r"2 unexpected bytes after the 24-byte payload"),
    (_valid((2, 3), np.int32)[:-2], r"truncated: dims \(2, 3\) of int32 need 24 payload bytes, found 22"),
])
def test_bad_files_raise_naming_the_file_and_the_problem(tmp_path, payload, message):
    path = tmp_path / "bad-idx.gz"
    path.write_bytes(gzip.compress(payload))
    with pytest.raises(DataError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_mislabelled_file_is_caught_by_its_length():
    # An images header on a labels payload (the header claims more data than there is).
    labels = encode_idx(np.zeros(60, np.uint8))
    lying = b"\x00\x00\x08\x03" + b"".join(n.to_bytes(4, "big") for n in (60, 28, 28)) + labels[8:]
    with pytest.raises(DataError, match="truncated"):
        parse_idx(lying, "labels-as-images")


def test_truncated_and_corrupted_gzip_raise_data_error(tmp_path):
    packed = gzip.compress(_valid())
    (tmp_path / "short.gz").write_bytes(packed[:-10])
    with pytest.raises(DataError, match="short.gz: corrupt or truncated gzip"):
        read_idx(tmp_path / "short.gz")
    flipped = bytearray(packed)
    flipped[-6] ^= 0xFF  # inside the CRC32 trailer
    (tmp_path / "crc.gz").write_bytes(bytes(flipped))
    with pytest.raises(DataError, match="crc.gz: corrupt or truncated gzip"):
        read_idx(tmp_path / "crc.gz")


def test_missing_file_raises_data_error(tmp_path):
    with pytest.raises(DataError, match="no such IDX file"):
        read_idx(tmp_path / "nope.gz")


def _check_parse_is_exact_or_raises(payload: bytes) -> None:
    """parse_idx either raises DataError or returns exactly what the header declares."""
    try:
        array = parse_idx(payload, "fuzz")
    except DataError:
        return
    ndim = payload[3]
    dims = tuple(int.from_bytes(payload[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    assert array.shape == dims
    assert array.dtype == DTYPE_CODES[payload[2]].newbyteorder("=")
    assert 4 + 4 * ndim + array.nbytes == len(payload)
    assert array.tobytes() == np.frombuffer(payload, DTYPE_CODES[payload[2]], offset=4 + 4 * ndim).astype(
        array.dtype).tobytes()


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_arbitrary_bytes(payload):
    _check_parse_is_exact_or_raises(payload)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 255)), min_size=1, max_size=4),
       st.integers(-3, 3))
def test_fuzz_corrupted_headers_of_valid_files(edits, length_change):
    payload = bytearray(_valid((2, 3), np.int16))  # header: 4 + 2 * 4 = 12 bytes
    for position, value in edits:
        payload[position] = value
    payload = bytes(payload) + b"\x07" * max(length_change, 0)
    if length_change < 0:
        payload = payload[:length_change]
    _check_parse_is_exact_or_raises(payload)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 0xFF), st.integers(0, 5), st.lists(st.integers(0, 2**32 - 1), max_size=5),
       st.binary(max_size=40))
def test_fuzz_headers_with_huge_or_inconsistent_dims(code, ndim, dims, body):
    header = bytes([0, 0, code, ndim]) + b"".join(d.to_bytes(4, "big") for d in dims)
    _check_parse_is_exact_or_raises(header + body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 80))
def test_fuzz_damaged_gzip_streams(tmp_path_factory, noise, cut):
    packed = gzip.compress(_valid((2, 3), np.int16), mtime=0)
    path = tmp_path_factory.mktemp("fuzz") / "x.gz"
    for damaged in (b"\x1f\x8b" + noise, packed[:cut] + noise, packed[:cut]):
        path.write_bytes(damaged)
        try:
            array = read_idx(path)
        except DataError as err:
            assert str(path) in str(err)
            continue
        # it decompressed and parsed: then it is exactly what its header says
        payload = gzip.decompress(damaged) if damaged.startswith(b"\x1f\x8b") else damaged
        _check_parse_is_exact_or_raises(payload)
        assert array.ndim == payload[3]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    from tinygrad_mnist.serialization import atomic_file
    path = tmp_path / "kept.gz"
    write_idx(path, np.arange(3, dtype=np.uint8))
    with pytest.raises(RuntimeError, match="disk full"):
        with atomic_file(path) as f:
            f.write(b"half a file")
            raise RuntimeError("disk full")
    assert os.listdir(tmp_path) == ["kept.gz"]
    np.testing.assert_array_equal(read_idx(path), [0, 1, 2])


def test_a_header_with_more_dims_than_numpy_allows_names_the_file():
    payload = bytes([0, 0, 0x08, 65]) + (1).to_bytes(4, "big") * 65 + b"\x00"
    with pytest.raises(DataError, match="labels.idx: the header claims 65 dims"):
        parse_idx(payload, "labels.idx")
