"""Fetch a data file from a list of mirrors into the cache: verified, written atomically, never half-kept."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Sequence

from ..errors import DataError
from ..serialization import atomic_file
from .files import Checksum, decompress, verify

ENV_VAR = "TINYGRAD_MNIST_DATA"
CHUNK = 1 << 20


def default_root() -> Path:
    """Where datasets are cached: $TINYGRAD_MNIST_DATA if set, else ~/.cache/tinygrad_mnist."""
    env = os.environ.get(ENV_VAR)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinygrad_mnist"


def download(urls: Sequence[str], dest: Path, checksum: Checksum, timeout: float = 30.0) -> None:
    """Download dest from the first of urls that delivers a complete file matching checksum.

    A download is checked in memory, then written to a temporary file beside dest and renamed;
    a failed, interrupted or corrupt attempt leaves nothing behind and the next URL is tried."""
    failures = []
    for url in urls:
        print(f"Downloading {url} -> {dest}", file=sys.stderr)
        try:
            raw = _fetch(url, timeout)
            verify(raw, decompress(raw, dest.name), checksum, dest.name)
        except (OSError, ValueError) as err:  # network: OSError; bad URL or DataError: ValueError
            failures.append(f"  {url}: {err}")
            continue
        with atomic_file(dest) as f:
            f.write(raw)
        return
    raise DataError(f"could not download {dest.name} (offline, or no mirror had a good copy); tried:\n"
                    + "\n".join(failures or ["  (no URLs)"])
                    + f"\nTo place the file by hand, copy {dest.name} into {dest.parent}{os.sep} "
                    f"(or point root=, the command's --data-dir or ${ENV_VAR} at a folder holding "
                    f"{dest.parent.name}{os.sep}{dest.name}).")


def _fetch(url: str, timeout: float) -> bytes:
    """The body at url; OSError if it cannot be had in full within about timeout seconds (the
    socket's timeout bounds each wait, the deadline the whole attempt: a mirror that sends a
    trickle must not hold the download forever)."""
    import http.client
    import urllib.request

    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": "tinygrad_mnist"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            chunks = []
            while chunk := response.read1(CHUNK):  # what has arrived, so the deadline is checked often
                chunks.append(chunk)
                if time.monotonic() > deadline:
                    raise OSError(f"timed out: not complete after {timeout:g} s")
    except http.client.HTTPException as err:  # e.g. IncompleteRead: not an OSError
        raise OSError(f"interrupted download ({err!r})") from None
    body = b"".join(chunks)
    if announced is not None and len(body) != int(announced):
        raise OSError(f"interrupted download: received {len(body)} of {announced} bytes")
    return body
