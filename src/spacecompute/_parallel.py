"""Numba kernels compiled on one thread for small work and in parallel only for large work.

Why: compiling a ``parallel=True`` kernel costs about twice as much as the same kernel on one
thread (numba's parfor passes; the default run's cold compile went from 50 s to 27 s of CPU
when its kernels were compiled serially, docs/benchmarks.md), and on small problems (a dozen
satellites, a test) waking the worker threads costs more than it saves. :func:`twin_kernel`
makes two lazily compiled dispatchers from one Python function; a call runs the one-thread
twin unless the work (by default the size of the largest array argument) reaches
:data:`PARALLEL_MIN_WORK` and numba has more than one thread. A problem compiles only the twin
it uses, and both are cached on disk under their own names.

The two twins give identical results when the parallel loop has no floating-point reduction
(each iteration writes its own outputs; integer counters are exact in any order): use
:func:`twin_kernel` only for such kernels.
"""

from __future__ import annotations

import os
import types
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

#: Below this many array elements a twin kernel runs on one thread. Engine runs below
#: ``_runtime.PARALLEL_MIN_SATELLITES`` satellites use one numba thread anyway (measured,
#: docs/benchmarks.md); this threshold keeps direct calls on small arrays (the Python API, the
#: tests) on the one-thread twin. ``benchmarks/threads.py`` times both twins side by side.
PARALLEL_MIN_WORK = 200_000

#: True: every twin kernel runs its one-thread version. Set in a forked helper process
#: (``astro/prefetch.py``): numba's thread pool, if the parent started it, does not survive a
#: fork. Also set by ``SPACECOMPUTE_PARALLEL_KERNELS=0`` in the environment, for a machine where
#: threads do not pay or where compiling a second version of each kernel costs more than it saves
#: (the test suite sets it: results are the same bits either way, tested twin by twin).
_serial_only = os.environ.get("SPACECOMPUTE_PARALLEL_KERNELS", "1").strip() == "0"


def serial_only() -> None:
    """From now on, in this process, every twin kernel runs its one-thread version."""
    global _serial_only
    _serial_only = True


def largest_array_size(*args: Any) -> int:
    """The default measure of work: elements of the largest array argument."""
    size = 0
    for a in args:
        if isinstance(a, np.ndarray) and a.size > size:
            size = a.size
    return size


def read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a`` (no copy), for a kernel's input array.

    Why: numba compiles one version of a kernel per argument type, and whether an array is
    writeable is part of its type. A caller's array may be either (a broadcast or a parameter
    array is read-only, a fresh one is not), so one kernel compiled two to four times in a run
    or a test process, 5-15 s of CPU each time (measured over the test suite). Inputs passed
    through this function always give the read-only type: one compiled version.
    """
    view = a.view()
    view.flags.writeable = False
    return view


def _renamed(py_func: Callable, suffix: str) -> Callable:
    """A copy of ``py_func`` under another qualified name, so that numba caches it apart (the
    on-disk cache is keyed by module, qualified name and signature, not by the parallel flag)."""
    clone = types.FunctionType(
        py_func.__code__,
        py_func.__globals__,
        py_func.__name__ + suffix,
        py_func.__defaults__,
        py_func.__closure__,
    )
    clone.__qualname__ = py_func.__qualname__ + suffix
    clone.__module__ = py_func.__module__
    clone.__doc__ = py_func.__doc__
    return clone


class TwinKernel:
    """Callable like the kernel; chooses the one-thread or the parallel twin per call."""

    def __init__(self, py_func: Callable, work: Callable[..., int], options: dict[str, Any]):
        self.py_func = py_func
        self.serial = numba.njit(cache=True, **options)(py_func)
        self.parallel = numba.njit(cache=True, parallel=True, **options)(
            _renamed(py_func, "_parallel")
        )
        self._work = work
        self.__name__ = py_func.__name__
        self.__doc__ = py_func.__doc__

    def choose(self, *args: Any) -> Any:
        """The twin a call with these arguments runs."""
        # the size first: asking numba for its thread count costs microseconds per call
        if _serial_only:
            return self.serial
        if self._work(*args) >= PARALLEL_MIN_WORK and numba.get_num_threads() > 1:
            return self.parallel
        return self.serial

    def __call__(self, *args: Any) -> Any:
        if self._work is largest_array_size:  # the common case, inlined: called every step
            for a in args:
                if isinstance(a, np.ndarray) and a.size >= PARALLEL_MIN_WORK:
                    break
            else:
                return self.serial(*args)
        return self.choose(*args)(*args)


def twin_kernel(
    work: Callable[..., int] = largest_array_size, **options: Any
) -> Callable[[Callable], TwinKernel]:
    """Decorator: ``@twin_kernel()`` in place of ``@njit(parallel=True, cache=True)``; ``work``
    maps the call's arguments to its size; ``options`` go to :func:`numba.njit`."""

    def decorate(py_func: Callable) -> TwinKernel:
        return TwinKernel(py_func, work, options)

    return decorate


__all__ = [
    "PARALLEL_MIN_WORK",
    "TwinKernel",
    "largest_array_size",
    "read_only",
    "twin_kernel",
]
