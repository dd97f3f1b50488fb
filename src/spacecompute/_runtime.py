"""Process-level tuning for stepping large fleets (imports nothing of ours).

Stepping a million satellites allocates and frees arrays of 8-24 MB every step. glibc's malloc
returns such blocks to the operating system when they are freed (mmap threshold and heap trim),
so the next step touches fresh pages again; on virtual machines a first touch costs about
1.3-1.8 ms per MiB (measured here, docs/benchmarks.md), which doubled the per-step cost of the
spacecraft models. :func:`keep_freed_memory` asks malloc to serve blocks up to 32 MiB from the
heap and to keep up to 1 GiB of freed memory for reuse (``mallopt``, glibc manual, "Malloc
Tunable Parameters"). The process's resident memory then stays at its high-water mark instead of
shrinking between steps. pyarrow then allocates from malloc as well (its default pool,
mimalloc, would hold freed memory of its own beside it), unless ``ARROW_DEFAULT_MEMORY_POOL``
names a pool. Set ``SPACECOMPUTE_MALLOC_TUNING=0`` to leave malloc and pyarrow alone; it does
nothing off glibc.

:func:`import_blas_lean`: numba imports ``scipy.linalg`` for BLAS when it loads its first
kernel, and scipy's array-API layer then imports ``numpy.f2py`` and ``numpy.testing`` (with
``unittest`` and ``charset_normalizer``), which nothing here uses: 0.15-0.25 s of every run.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

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
    if ok and "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        _arrow_on_malloc()
    _done = ok
    return ok


def _arrow_on_malloc() -> None:
    """Let pyarrow allocate from malloc too (its own pool would keep its own freed memory
    beside malloc's: 0.18 GiB more at the peak of a 10,000-satellite run writing its tables,
    docs/benchmarks.md, Memory). Before pyarrow is imported, by the variable it reads when it
    first allocates (importing pyarrow costs about 0.1 s, and many commands never need it)."""
    if "pyarrow" not in sys.modules:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
        return
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - a dependency
        return
    pa.set_memory_pool(pa.system_memory_pool())


def release_free_heap() -> bool:
    """Give malloc's free memory back to the system (``malloc_trim(0)``: the free pages inside
    the heap too, not only its top); True if it was called (glibc only). For a forked helper
    process, once: the free memory it inherited from its parent would otherwise become its own
    copy, page by page, as the parent reuses it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    trim(0)
    return True


__all__ = ["keep_freed_memory", "release_free_heap"]


#: Below this many satellites a run uses one numba thread. A step calls a dozen small parallel
#: kernels (fleet, eclipse, geometry); on a shared 2-core machine each call waits for a worker
#: thread another process may hold, which cost 3-30x whole runs of 16 to 10,000 satellites
#: (measured for the training and Earth-observation engines, docs/benchmarks.md). From 100,000
#: satellites the step's kernels (``Fleet.step`` 2.7x faster on two threads) pay for waking the
#: workers, the more so as SGP4 runs in its own process there (``astro/prefetch.py``): 100,000
#: satellites x 6 h took 62.5 s with one thread and 55.4 s with two (docs/benchmarks.md).
PARALLEL_MIN_SATELLITES = 100_000

#: Below this many points (satellite-instants, or station-satellite-instants for look angles)
#: the per-chunk geometry (look angles, geodetic positions, imaging steps) runs its numpy
#: formulas instead of the fused numba kernels: the numbers are the same bit for bit (tested),
#: and a small run such as the default 12-satellite scenario compiles none of those kernels
#: (0.2-0.8 s each on a cold numba cache, several seconds on a loaded machine,
#: docs/benchmarks.md).
FUSED_MIN_POINTS = 100_000


@contextmanager
def numba_threads_for(n_satellites: int) -> Iterator[None]:
    """Run the block with one numba thread when ``n_satellites`` is below
    :data:`PARALLEL_MIN_SATELLITES` (else unchanged), then restore the previous count.
    Results do not depend on the number of threads."""
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        yield
        return
    before = numba.get_num_threads()
    if n_satellites < PARALLEL_MIN_SATELLITES:
        numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def import_blas_lean() -> None:
    """Import ``scipy.linalg.cython_blas`` (what numba's first kernel imports) before numba does,
    without the ``numpy.f2py`` and ``numpy.testing`` imports that scipy's array-API layer makes
    when it copies numpy's namespace (``from numpy import *`` and every name of ``dir(numpy)``).
    Its copy then lacks those two submodules, which scipy's code does not use from it; numpy
    itself is left as it was. Nothing happens where scipy.linalg is already imported, or where
    both submodules are."""
    if "scipy.linalg" in sys.modules:
        return
    import numpy

    skip = {"f2py", "testing"} - {n for n in ("f2py", "testing") if f"numpy.{n}" in sys.modules}
    if not skip:
        return
    names, listing = numpy.__all__, numpy.__dict__.get("__dir__")
    numpy.__all__ = [n for n in names if n not in skip]
    if listing is not None:
        numpy.__dir__ = lambda: [n for n in listing() if n not in skip]
    try:
        import scipy.linalg.cython_blas  # noqa: F401
    except Exception:  # numba's own import then tries again, as it would have, and reports it
        pass
    finally:
        numpy.__all__ = names
        if listing is not None:
            numpy.__dir__ = listing
