"""Resident memory of the current process, in MiB."""
from __future__ import annotations

import resource
import sys


def _proc_status_mb(field: str) -> float | None:
    """A memory field of /proc/self/status (Linux), e.g. 'VmHWM', in MiB; None elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 2**10  # the file counts kB
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """The largest resident set this process has had so far.

    On Linux this is VmHWM, the high-water mark of this process's own address space: getrusage's
    ru_maxrss survives execve there, so a child started by a big parent would report the
    parent's peak. Elsewhere it is getrusage's ru_maxrss."""
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes on macOS, KiB elsewhere


def current_rss_mb() -> float | None:
    """The resident set now (VmRSS; Linux only, None elsewhere)."""
    return _proc_status_mb("VmRSS")
