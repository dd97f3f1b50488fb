"""Process-level tuning for stepping large fleets (imports nothing of ours).

Stepping a million satellites allocates and frees arrays of 8-24 MB every step. glibc's malloc
returns such blocks to the operating system when they are freed (mmap threshold and heap trim),
so the next step touches fresh pages again; on virtual machines a first touch costs about
1.3-1.8 ms per MiB (measured here, docs/benchmarks.md), which doubled the per-step cost of the
spacecraft models. :func:`keep_freed_memory` asks malloc to serve blocks up to 32 MiB from the
heap and to keep up to 1 GiB of freed memory for reuse (``mallopt``, glibc manual, "Malloc
Tunable Parameters"). The process's resident memory then stays at its high-water mark instead of
shrinking between steps. Set ``SPACECOMPUTE_MALLOC_TUNING=0`` to leave malloc alone; it does
nothing off glibc.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024  # glibc's upper limit on 64-bit systems
_TRIM_THRESHOLD_BYTES = 1024 * 1024 * 1024

_done: bool | None = None


def keep_freed_memory() -> bool:
    """Tune glibc malloc once per process (see the module docstring); True if it was applied."""
    global _done
    if _done is not None:
        return _done
    _done = False
    if (
        not sys.platform.startswith("linux")
        or os.environ.get("SPACECOMPUTE_MALLOC_TUNING", "1") == "0"
    ):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_BYTES) == 1 and ok
    _done = ok
    return ok


__all__ = ["keep_freed_memory"]
