"""The IDX file format (MNIST's): read and write, gzip-compressed or raw, with every field validated.

Layout: two zero bytes, a dtype code, the number of dims; then each dim as a big-endian uint32;
then the payload, big-endian, exactly prod(dims) items long.
"""
from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np

from ..errors import DataError, DTypeError
from ..serialization import atomic_file
from .files import decompress

DTYPE_CODES = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_CODE_OF = {dtype.newbyteorder("="): code for code, dtype in DTYPE_CODES.items()}
_KNOWN = ", ".join(f"0x{code:02x} {dtype.name}" for code, dtype in DTYPE_CODES.items())
_MAX_DIMS = 64  # NumPy's limit (IDX's byte would allow 255)


def parse_idx(payload: bytes, name: str = "<bytes>") -> np.ndarray:
    """The array held in the (decompressed) IDX bytes payload; name is used in error messages."""
    if len(payload) < 4:
        raise DataError(f"{name}: too short for an IDX header ({len(payload)} bytes, need at least 4)")
    zero, code, ndim = int.from_bytes(payload[:2], "big"), payload[2], payload[3]
    if zero != 0:
        raise DataError(f"{name}: not an IDX file: magic number 0x{payload[:4].hex()} must start with "
                        f"two zero bytes (MNIST's are 0x00000801 for labels, 0x00000803 for images)")
    if code not in DTYPE_CODES:
        raise DataError(f"{name}: unknown IDX dtype code 0x{code:02x} (known: {_KNOWN})")
    if ndim > _MAX_DIMS:
        raise DataError(f"{name}: the header claims {ndim} dims; NumPy arrays have at most {_MAX_DIMS}")
    header_len = 4 + 4 * ndim
    if len(payload) < header_len:
        raise DataError(f"{name}: truncated header: {ndim} dims need {header_len} header bytes, "
                        f"the file has {len(payload)}")
    dims = tuple(int.from_bytes(payload[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = DTYPE_CODES[code]
    expected = math.prod(dims) * dtype.itemsize
    found = len(payload) - header_len
    if found < expected:
        raise DataError(f"{name}: truncated: dims {dims} of {dtype.name} need {expected} payload bytes, "
                        f"found {found}")
    if found > expected:
        raise DataError(f"{name}: {found - expected} unexpected bytes after the {expected}-byte payload "
                        f"of dims {dims}: the header does not describe this file")
    array = np.frombuffer(payload, dtype=dtype, offset=header_len).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # a writable, native-endian copy


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file, gzip-compressed or raw (detected from its first bytes)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such IDX file") from None
    return parse_idx(decompress(raw, str(path)), str(path))


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes (uncompressed) of array."""
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODE_OF:
        raise DTypeError(f"write_idx: IDX cannot store dtype {array.dtype}; expected one of "
                         f"uint8, int8, int16, int32, float32, float64 (cast with .astype first)")
    if any(n >= 2**32 for n in array.shape):
        raise DataError(f"write_idx: IDX dims must be below 2**32, got shape {array.shape}")
    header = bytes([0, 0, _CODE_OF[native], array.ndim]) + b"".join(n.to_bytes(4, "big") for n in array.shape)
    return header + array.astype(DTYPE_CODES[_CODE_OF[native]], copy=False).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write array as an IDX file (gzip-compressed when compress, by default when path ends in .gz)."""
    path = Path(path)
    payload = encode_idx(array)
    if compress is None:
        compress = path.suffix == ".gz"
    with atomic_file(path) as f:
        f.write(gzip.compress(payload, compresslevel=6, mtime=0) if compress else payload)
