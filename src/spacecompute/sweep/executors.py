"""Where the cells run: this process, a local process pool, or a Dask cluster.

Every executor yields :class:`~spacecompute.sweep.cells.CellOutcome` objects as cells finish (in
any order); the sweep sorts them by cell index, so the table does not depend on the executor or
the number of workers. Cells are independent and each carries its own seed.

- ``local`` with one worker runs the cells here, one after the other;
- ``local`` with N workers: a ``concurrent.futures`` process pool ("spawn" start method: a
  clean interpreter per worker, no inherited threads or locks). A worker that dies (killed, out
  of memory) breaks the pool: the pool is restarted and the unfinished cells are resubmitted;
  a cell that was running during two such deaths is recorded as failed;
- ``dask``: a ``dask.distributed.LocalCluster`` of N single-threaded workers, or an existing
  cluster (``scheduler="tcp://host:8786"``). Cells run in a temporary directory on the worker
  and come back to the client as bytes (no shared filesystem needed). Dask retries a cell
  whose worker died on another worker and gives up with ``KilledWorker`` (recorded as failed).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from ..errors import InputError
from .cells import CellOutcome, CellTask, run_cell, run_cell_beside_others

#: ``running(n)``: how many cells are running now (for the progress bar).
RunningFn = Callable[[int], None]

#: A cell running while this many pool workers died is recorded as failed.
MAX_WORKER_DEATHS = 2


def _failed(task: CellTask, error: str) -> CellOutcome:
    from .. import __version__

    record = {
        "index": task.index,
        "fingerprint": task.fingerprint,
        "version": __version__,
        "status": "failed",
        "error": error,
        "cell_wall_time_s": None,
        "metrics": {},
    }
    return CellOutcome(task.index, record)


def run_serial(
    tasks: Sequence[CellTask], running: RunningFn | None = None
) -> Iterator[CellOutcome]:
    """Run the cells here, one after the other."""
    for task in tasks:
        if running is not None:
            running(1)
        yield run_cell(task)
    if running is not None:
        running(0)


def run_pool(
    tasks: Sequence[CellTask], workers: int, running: RunningFn | None = None
) -> Iterator[CellOutcome]:
    """Run the cells on a local process pool of ``workers`` processes (see the module doc)."""
    todo = list(tasks)
    deaths: dict[int, int] = {}
    context = multiprocessing.get_context("spawn")
    while todo:
        pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), mp_context=context)
        futures: dict[Future, CellTask] = {pool.submit(run_cell_beside_others, t): t for t in todo}
        todo = []
        broken = False
        try:
            pending = set(futures)
            while pending:
                if running is not None:
                    running(min(workers, len(pending)))
                started = {f for f in pending if f.running()}
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    task = futures[f]
                    try:
                        yield f.result()
                    except BrokenProcessPool:
                        broken = True
                        if f in started or not started:
                            deaths[task.index] = deaths.get(task.index, 0) + 1
                        if deaths.get(task.index, 0) >= MAX_WORKER_DEATHS:
                            yield _failed(task, "worker process died (killed or out of memory)")
                        else:
                            todo.append(task)
                if broken:
                    todo += [futures[f] for f in pending]
                    break
        finally:
            pool.shutdown(wait=not broken, cancel_futures=True)
    if running is not None:
        running(0)


def run_dask(
    tasks: Sequence[CellTask],
    *,
    workers: int,
    scheduler: str | None = None,
    processes: bool = True,
    running: RunningFn | None = None,
) -> Iterator[CellOutcome]:
    """Run the cells on Dask: a LocalCluster of ``workers`` workers, or the cluster at
    ``scheduler``. A cell with a ``run_dir`` is written there by its worker (a shared
    filesystem: a LocalCluster); without one it comes back as an archive."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise InputError(
            "Dask is not installed",
            field="--dask" if scheduler is None else "--scheduler",
            expected="pip install 'spacecompute[dask]'",
        ) from None
    cluster: Any = None
    try:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=processes,
                dashboard_address=None,
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise InputError(
            f"cannot reach the Dask scheduler: {exc}",
            field="--scheduler",
            expected="the address of a running `dask scheduler`, e.g. tcp://host:8786",
        ) from None
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
        futures = {
            client.submit(
                run_cell_beside_others, t, key=f"cell-{t.index}-{t.fingerprint[:16]}", pure=False
            ): t
            for t in tasks
        }
        left = len(futures)
        for future in as_completed(futures):
            task = futures[future]
            if running is not None:
                running(min(n_workers, left))
            try:
                yield future.result()
            except Exception as exc:  # KilledWorker, a lost connection: the cell failed
                yield _failed(task, f"{type(exc).__name__}: {exc}")
            left -= 1
            future.release()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if running is not None:
        running(0)


__all__ = ["MAX_WORKER_DEATHS", "run_dask", "run_pool", "run_serial"]
