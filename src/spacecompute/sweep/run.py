"""``spacecompute sweep``: run every cell of a sweep, resume by fingerprint, write the table.

Output directory ``DIR``:

- ``DIR/sweep.yaml`` (the sweep file as given) and ``DIR/sweep.json`` (axes, seeds, settings);
- ``DIR/cells/<cell_id>/``: one normal run directory per cell (``cell_id``: the first 16 hex
  digits of the cell's fingerprint) with its ``scenario.yaml`` or ``design.yaml`` and
  ``cell.json``;
- ``DIR/sweep.parquet``: one row per cell (:mod:`spacecompute.sweep.results`), rewritten
  atomically as cells finish; ``DIR/report.html`` at the end.

``resume=True`` reuses a cell only if its ``cell.json`` says ``ok`` for the same fingerprint
(resolved document and package version); an edited sweep file therefore re-runs exactly the
cells whose documents changed. Failed cells are run again. Without ``resume`` every cell runs
and its old directory is replaced.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from .cells import CellTask, read_record, unpack_cell
from .executors import run_dask, run_pool, run_serial
from .results import write_table
from .spec import Sweep, load_sweep

#: ``progress(done, failed, running, total)``
SweepProgressFn = Callable[[int, int, int, int], None]

#: Rewrite sweep.parquet at most this often while cells finish (and always at the end).
TABLE_EVERY_S = 1.0


@dataclass
class SweepRun:
    """The outcome of a sweep: counts, the reasons of failures, where it was written."""

    sweep: Sweep
    path: Path
    records: dict[int, dict[str, Any]]
    reused: int = 0
    ran: int = 0
    wall_time_s: float = 0.0
    errors: Counter = field(default_factory=Counter)
    twins: dict[int, list[int]] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> int:
        return sum(r["status"] == "ok" for r in self.records.values())

    @property
    def failed(self) -> int:
        return sum(r["status"] == "failed" for r in self.records.values())

    def _repr_html_(self) -> str:
        """In Jupyter: the counts, the reasons of failures and the first rows of
        ``sweep.parquet`` (axes, status and the headline metrics)."""
        from ..results.store import summary_html

        head = summary_html({self.sweep.name: self.to_json()}, title=f"sweep {self.sweep.name}")
        return head + _table_html(self.path / "sweep.parquet", rows=20)

    def to_json(self) -> dict[str, Any]:
        return {
            "sweep": self.sweep.name,
            "out": str(self.path),
            "cells": len(self.sweep.cells),
            "ok": self.ok,
            "failed": self.failed,
            "reused": self.reused,
            "ran": self.ran,
            "wall_time_s": self.wall_time_s,
            "errors": dict(self.errors.most_common()),
        }


def _table_html(path: Path, *, rows: int) -> str:
    """The first ``rows`` rows of a Parquet table as HTML (empty when there is none yet)."""
    from html import escape

    import pyarrow.parquet as pq

    if not path.is_file():
        return ""
    table = pq.read_table(path)
    shown = table.slice(0, rows).to_pylist()
    head = "".join(f"<th>{escape(c)}</th>" for c in table.column_names)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{escape(_cell_text(r[c]))}</td>" for c in table.column_names)
        + "</tr>"
        for r in shown
    )
    more = (
        f"<p>{table.num_rows - rows:,} more rows in {escape(str(path))}</p>"
        if table.num_rows > rows
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"


def _cell_text(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.6g}"
    return "" if value is None else str(value)


def default_workers() -> int:
    """The machine's cores available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(
    sweep: str | Sweep,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    dask_processes: bool = True,
    resume: bool = False,
    report: bool = True,
    progress: SweepProgressFn | None = None,
    shared_filesystem: bool | None = None,
) -> SweepRun:
    """Run ``sweep`` (file, built-in name or loaded :class:`Sweep`) into ``out_dir``.

    ``executor``: ``local`` (``workers`` processes; 1 runs here) or ``dask`` (a LocalCluster of
    ``workers`` workers, threads with ``dask_processes=False``, or the cluster at
    ``scheduler``). Results do not depend on the executor or the number of workers.
    ``shared_filesystem``: whether the workers write the cells' directories here themselves
    (default: yes, except on a cluster at ``scheduler``, whose cells come back as archives).
    """
    if executor not in ("local", "dask"):
        raise InputError(f"executor {executor!r}", field="executor", expected="local or dask")
    n_workers = default_workers() if workers is None else int(workers)
    if n_workers < 1:
        raise InputError(f"--workers {workers}", field="--workers", expected="an integer >= 1")
    spec = load_sweep(sweep) if isinstance(sweep, str) else sweep
    out = Path(out_dir)
    _prepare(out, spec)
    t0 = time.perf_counter()
    run = SweepRun(spec, out, {})
    if shared_filesystem is None:  # a LocalCluster's workers see this machine's disk
        shared_filesystem = executor != "dask" or scheduler is None
    tasks = _plan(run, resume, remote=not shared_filesystem)
    for index in list(run.records):
        _copy_twins(run, index)
    write_table(out, spec, run.records)
    total = len(spec.cells)
    state = {"running": 0, "written": time.perf_counter()}

    def tell() -> None:
        if progress is not None:
            progress(len(run.records), run.failed, state["running"], total)

    def running(n: int) -> None:
        state["running"] = n
        tell()

    tell()
    if executor == "dask":
        outcomes = run_dask(
            tasks, workers=n_workers, scheduler=scheduler, processes=dask_processes, running=running
        )
    elif n_workers == 1 or len(tasks) <= 1:
        outcomes = run_serial(tasks, running=running)
    else:
        outcomes = run_pool(tasks, n_workers, running=running)
    for outcome in outcomes:
        cell = spec.cells[outcome.index]
        if outcome.archive is not None:
            unpack_cell(outcome.archive, out / "cells" / cell.cell_id)
        run.records[outcome.index] = outcome.record
        run.ran += 1
        _copy_twins(run, outcome.index)
        if time.perf_counter() - state["written"] >= TABLE_EVERY_S:
            write_table(out, spec, run.records)
            state["written"] = time.perf_counter()
        tell()
    write_table(out, spec, run.records)
    run.wall_time_s = time.perf_counter() - t0
    run.errors = Counter(
        r["error"] for r in run.records.values() if r["status"] == "failed" and r.get("error")
    )
    if report:
        from .report import write_sweep_report

        write_sweep_report(out)
    return run


def _prepare(out: Path, spec: Sweep) -> None:
    from ..table import atomic_write_text

    try:
        (out / "cells").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror}",
            file=str(out),
            expected="a writable directory",
        ) from None
    atomic_write_text(out / "sweep.yaml", spec.text)
    atomic_write_text(out / "sweep.json", json.dumps(spec.to_json(), indent=2, default=str) + "\n")


def _plan(run: SweepRun, resume: bool, *, remote: bool) -> list[CellTask]:
    """Record reusable and rejected cells; the tasks of the cells to run."""
    tasks = []
    first: dict[str, int] = {}
    for cell in run.sweep.cells:
        run_dir = run.path / "cells" / cell.cell_id
        if cell.fingerprint in first:  # the same document twice (e.g. rounded samples): run once
            run.twins.setdefault(first[cell.fingerprint], []).append(cell.index)
            continue
        first[cell.fingerprint] = cell.index
        if cell.error is not None:
            run.records[cell.index] = _rejected(cell)
            continue
        old = read_record(run_dir) if resume else None
        if (
            old is not None
            and old.get("status") == "ok"
            and old.get("fingerprint") == cell.fingerprint
        ):
            run.records[cell.index] = {**old, "index": cell.index}
            run.reused += 1
            continue
        if not resume and run_dir.exists():
            shutil.rmtree(run_dir)
        tasks.append(
            CellTask(
                cell.index,
                cell.fingerprint,
                cell.document,
                None if remote else str(run_dir),
                resume=resume,
            )
        )
    return tasks


def _copy_twins(run: SweepRun, index: int) -> None:
    for twin in run.twins.get(index, ()):
        run.records[twin] = {**run.records[index], "index": twin}


def _rejected(cell: Any) -> dict[str, Any]:
    from .. import __version__

    return {
        "index": cell.index,
        "fingerprint": cell.fingerprint,
        "version": __version__,
        "status": "failed",
        "error": f"the model rejects this combination: {cell.error}",
        "cell_wall_time_s": None,
        "metrics": {},
    }


__all__ = ["SweepRun", "default_workers", "run_sweep"]
