"""Independent runs of one command side by side, one forked process per core.

Why: a comparison run (``policy`` plus ``compare``) steps the same scenario once per policy, and
the runs share nothing. Below a few tens of thousands of satellites a run is a single-threaded
Python loop over steps, so on a 2-core machine two policies run in about the time of one.

How: the runs are given as callables; a :class:`concurrent.futures.ProcessPoolExecutor` with
the ``fork`` start method inherits them (nothing is pickled on the way in: user policy objects
and built scenarios need not be picklable), and each returns its result by pickle. Progress is
relayed through a queue to the caller's callback in this process.

When not: fork is only safe where this process has started no thread pool that a child would
inherit half-dead: not where other threads run (a notebook's kernel, a Dask worker); numba's OpenMP and TBB layers are not fork-safe once their threads run, so
:func:`fork_is_safe` is False after numba launched its threads (an earlier parallel kernel in the
same process, e.g. in a notebook); inside a daemonic worker (a sweep's process pool, which
cannot have children); and off Linux. The caller then runs the same callables one after another,
with identical results.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from typing import Any

#: ``task(report)`` where ``report(done, total)`` relays progress
Task = Callable[[Callable[[int, int], None]], Any]

_tasks: dict[str, Task] = {}
_queue: Any = None
_in_child = False


_beside_others = 0


def in_forked_run() -> bool:
    """True inside one of :func:`run_forked`'s processes, or within :func:`cores_shared`: the
    runs already share the cores with others."""
    return _in_child or _beside_others > 0


@contextlib.contextmanager
def cores_shared() -> Iterator[None]:
    """Within the block this process runs beside others that share its cores (a sweep cell on a
    pool or Dask worker): a run adds no process of its own (``astro/prefetch.py``)."""
    global _beside_others
    _beside_others += 1
    try:
        yield
    finally:
        _beside_others -= 1


def fork_is_safe() -> bool:
    """True where :func:`run_forked` may fork this process (see the module docstring)."""
    if not sys.platform.startswith("linux"):
        return False
    if multiprocessing.current_process().daemon or threading.active_count() > 1:
        return False  # a pool's worker, or threads (a notebook, a Dask worker) a fork would copy
    if os.environ.get("SPACECOMPUTE_RUN_PROCESSES", "") == "1":
        return False
    try:
        from numba.np.ufunc import parallel
    except ImportError:  # pragma: no cover - numba is a dependency
        return True
    return not getattr(parallel, "_is_initialized", True)


def usable_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _report_from_child(key: str) -> Callable[[int, int], None]:
    last = [-1]

    def report(done: int, total: int) -> None:
        percent = (100 * done) // max(total, 1)
        if percent != last[0] or done == total:  # at most about 100 messages a run
            last[0] = percent
            _queue.put((key, done, total))

    return report


def _run_in_child(key: str) -> tuple[str, Any]:
    global _in_child
    _in_child = True
    try:
        return "ok", _tasks[key](_report_from_child(key))
    except BaseException as exc:  # the caller re-raises it, KeyboardInterrupt included
        try:
            pickle.dumps(exc)
        except Exception:
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        return "error", exc


def _relay(
    queue: Any, progress: Callable[[str, int, int], None] | None, failed: list[BaseException]
) -> None:
    while True:
        item = queue.get()
        if item is None:
            return
        if progress is not None and not failed:
            try:
                progress(*item)
            except BaseException as exc:  # the caller's callback stops the runs (e.g. Ctrl-C)
                failed.append(exc)


def _outcomes(futures: dict[str, Any], pool: Any, failed: list[BaseException]) -> dict[str, Any]:
    """The futures' results; if the progress callback raised meanwhile, the runs are stopped
    and its exception is raised here."""
    pending = set(futures.values())
    while pending:
        _, pending = wait(pending, timeout=0.2)
        if failed:
            for process in list(getattr(pool, "_processes", {}).values()):
                process.terminate()
            raise failed[0]
    return {key: future.result() for key, future in futures.items()}


def run_forked(
    tasks: dict[str, Task],
    workers: int,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, Any]:
    """Run ``tasks`` (key -> task) in ``workers`` forked processes; their results by key, in
    the order of ``tasks``. The first task that raised re-raises its exception here, after the
    other tasks ended (each writes its own output, as it would have one after another)."""
    global _tasks, _queue
    context = multiprocessing.get_context("fork")
    _tasks, _queue = dict(tasks), context.SimpleQueue()
    failed: list[BaseException] = []
    relay = threading.Thread(target=_relay, args=(_queue, progress, failed), daemon=True)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            futures = {key: pool.submit(_run_in_child, key) for key in tasks}
            relay.start()  # after the fork (with "fork" the pool starts every worker at once)
            outcomes = _outcomes(futures, pool, failed)
    finally:
        if relay.is_alive():
            _queue.put(None)
            relay.join()
        _tasks, _queue = {}, None
    for status, value in outcomes.values():
        if status == "error":
            raise value
    return {key: value for key, (_, value) in outcomes.items()}


__all__ = ["cores_shared", "fork_is_safe", "in_forked_run", "run_forked", "usable_cores"]
