"""Running one sweep cell: a normal run directory, and the record that the sweep table keeps.

A scenario cell writes ``scenario.yaml`` (its fully resolved document) and runs it with
:func:`spacecompute.runner.run_scenario` into its directory, so ``spacecompute compare``,
``report`` and ``run --resume`` work on it; a planner cell writes ``design.yaml`` and the
planner's output (``results.json``, ``report.html``). ``cell.json`` (fingerprint, status, error,
metrics) is written last: a directory with a matching ``cell.json`` is a finished cell.

On a remote worker (no shared filesystem) the cell runs in a temporary directory that is sent
back to the client as a tar archive (bytes) and unpacked there (:func:`unpack_cell`).
"""

from __future__ import annotations

import io
import json
import math
import shutil
import tarfile
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

CELL_FILE = "cell.json"


@dataclass(frozen=True)
class CellTask:
    """What a worker needs to run one cell; ``run_dir`` None: run in a temporary directory and
    return it as an archive (remote workers)."""

    index: int
    fingerprint: str
    document: dict[str, Any]
    run_dir: str | None
    resume: bool = False


@dataclass(frozen=True)
class CellOutcome:
    """A finished cell: its record (``cell.json``) and, from a remote worker, its directory."""

    index: int
    record: dict[str, Any]
    archive: bytes | None = None


def _scalars(prefix: str, value: Any, out: dict[str, Any]) -> None:
    """Flatten a summary into scalar columns (nested keys joined by dots; lists left out)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _scalars(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif value is None or isinstance(value, bool | int | str):
        out[prefix] = value
    elif isinstance(value, float):
        out[prefix] = value if math.isfinite(value) else None


def _run_scenario_cell(document: dict[str, Any], run_dir: Path, resume: bool) -> dict[str, Any]:
    import yaml

    from ..runner import run_scenario
    from ..scenario.loader import load_scenario
    from ..table import atomic_write_text

    scenario = document["scenario"]
    # The cell's scenario is written outside its run directory (which holds only run files);
    # its paths are absolute, so the folder does not matter. The sweep has already decided that
    # this cell runs (its fingerprint differs from what is there, or nothing is): force.
    with tempfile.TemporaryDirectory(prefix="spacecompute-cell-") as tmp:
        path = Path(tmp) / "scenario.yaml"
        atomic_write_text(path, yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True))
        loaded = load_scenario(str(path))
        if document.get("base_dir"):  # user policies live beside the base scenario
            loaded = replace(loaded, base_dir=Path(document["base_dir"]))
        result = run_scenario(loaded, out_dir=run_dir, resume=resume, force=True)
    metrics: dict[str, Any] = {}
    _scalars("", result.summaries[result.policies[0]], metrics)  # keyed by the policy's label
    return metrics


def _run_planner_cell(document: dict[str, Any], run_dir: Path) -> dict[str, Any]:
    import yaml

    from ..economics.presets import load_design
    from ..economics.report import write_report
    from ..economics.uncertainty import plan
    from ..table import atomic_write_text

    path = run_dir / "design.yaml"
    atomic_write_text(path, yaml.safe_dump(document["design"], sort_keys=False))
    result = plan(
        load_design(str(path)), samples=int(document["monte_carlo_samples"]), seed=document["seed"]
    )
    write_report(result, run_dir, plots_on=False)
    data = result.to_json()
    metrics: dict[str, Any] = {}
    _scalars("", data["results"], metrics)
    metrics["break_even_launch_price_usd_per_kg"] = data["break_even_launch_price_usd_per_kg"]
    metrics["inconsistent_claims"] = len(data["inconsistencies"])
    for name, q in ((data.get("monte_carlo") or {}).get("percentiles") or {}).items():
        for k, v in q.items():
            _scalars(f"{name}_{k}", v, metrics)
    return metrics


def _error_text(exc: BaseException) -> str:
    from ..errors import SpacecomputeError

    if isinstance(exc, SpacecomputeError):
        return " ".join(str(exc).split())
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {Path(last[0].filename).name}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def execute(task: CellTask, run_dir: Path) -> dict[str, Any]:
    """Run ``task`` into ``run_dir`` and write its ``cell.json``; errors become a failed
    record (the sweep goes on)."""
    from .. import __version__
    from .._runtime import keep_freed_memory
    from ..table import atomic_write_text

    keep_freed_memory()
    t0 = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        if task.document["kind"] == "scenario":
            metrics = _run_scenario_cell(task.document, run_dir, task.resume)
        else:
            metrics = _run_planner_cell(task.document, run_dir)
        status, error = "ok", None
    except Exception as exc:  # a cell's failure is recorded; the sweep goes on
        metrics, status, error = {}, "failed", _error_text(exc)
    record = {
        "index": task.index,
        "fingerprint": task.fingerprint,
        "version": __version__,
        "status": status,
        "error": error,
        "cell_wall_time_s": time.perf_counter() - t0,
        "metrics": metrics,
    }
    atomic_write_text(run_dir / CELL_FILE, json.dumps(record, indent=2, allow_nan=False) + "\n")
    return record


def run_cell(task: CellTask) -> CellOutcome:
    """Run one cell on a worker: into ``task.run_dir``, or in a temporary directory returned as
    a tar archive."""
    if task.run_dir is not None:
        return CellOutcome(task.index, execute(task, Path(task.run_dir)))
    with tempfile.TemporaryDirectory(prefix="spacecompute-cell-") as tmp:
        run_dir = Path(tmp) / "cell"
        record = execute(task, run_dir)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:  # Parquet is compressed already
            for path in sorted(run_dir.iterdir()):
                if path.name != ".checkpoint":
                    tar.add(path, arcname=path.name)
        return CellOutcome(task.index, record, buffer.getvalue())


def run_cell_beside_others(task: CellTask) -> CellOutcome:
    """:func:`run_cell` on a pool or Dask worker, which runs beside other workers on the same
    cores: its runs add no propagation process of their own (``astro/prefetch.py``)."""
    from .._forked import cores_shared

    with cores_shared():
        return run_cell(task)


def unpack_cell(archive: bytes, run_dir: Path) -> None:
    """Write a cell's directory sent back by a remote worker: unpacked beside ``run_dir``, then
    moved into place (an earlier directory is replaced only once the new one is complete)."""
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{run_dir.name}.", dir=run_dir.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r") as tar:
            tar.extractall(tmp, filter="data")
        if run_dir.exists():
            shutil.rmtree(run_dir)
        tmp.rename(run_dir)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_record(run_dir: Path) -> dict[str, Any] | None:
    """The ``cell.json`` of a cell directory, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((run_dir / CELL_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


__all__ = [
    "CELL_FILE",
    "CellOutcome",
    "CellTask",
    "execute",
    "read_record",
    "run_cell",
    "unpack_cell",
]
