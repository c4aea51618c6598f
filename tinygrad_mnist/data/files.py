"""Reading data files safely: gzip-or-raw payloads and checksum verification."""
from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

GZIP_MAGIC = b"\x1f\x8b"


def decompress(raw: bytes, name: str) -> bytes:
    """The payload of raw: gunzipped when it starts with the gzip magic, else raw itself."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{name}: corrupt or truncated gzip data ({err})") from None


@dataclass(frozen=True)
class Checksum:
    """Known digests of one file: sha256 of its decompressed bytes and/or md5 of the file as published.

    A file is accepted when any known digest matches: the sha256 survives recompression by a mirror,
    the md5 is all some datasets publish."""

    sha256: str | None = None
    md5: str | None = None

    def describe(self) -> str:
        """The known digests as text, e.g. 'sha256 ab12..., md5 cd34...'."""
        return ", ".join(f"{kind} {value}" for kind, value in (("sha256", self.sha256), ("md5", self.md5))
                         if value)


_verified: set[tuple] = set()  # (path, size, mtime_ns, checksum) of files already checked


def read_verified(path: str | os.PathLike, checksum: Checksum) -> bytes:
    """The decompressed bytes of path, after checking them against checksum (once per process per file)."""
    path = Path(path)
    stat = path.stat()
    raw = path.read_bytes()
    payload = decompress(raw, str(path))
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, checksum)
    if key not in _verified:
        verify(raw, payload, checksum, str(path))
        _verified.add(key)
    return payload


def verify(raw: bytes, payload: bytes, checksum: Checksum, name: str) -> None:
    """Raise DataError unless the sha256 of payload or the md5 of raw matches checksum."""
    if not (checksum.sha256 or checksum.md5):
        raise DataError(f"{name}: no checksum is known for this file, so it cannot be verified")
    actual = Checksum(sha256=hashlib.sha256(payload).hexdigest() if checksum.sha256 else None,
                      md5=hashlib.md5(raw, usedforsecurity=False).hexdigest() if checksum.md5 else None)
    if (checksum.sha256 and actual.sha256 == checksum.sha256) or (checksum.md5 and actual.md5 == checksum.md5):
        return
    what = "sha256 of the decompressed bytes" if checksum.sha256 else "md5 of the file"
    if checksum.sha256 and checksum.md5:
        what = "sha256 of the decompressed bytes or md5 of the file"
    raise DataError(f"{name}: checksum mismatch ({what}): expected {checksum.describe()}, "
                    f"got {actual.describe()}")
