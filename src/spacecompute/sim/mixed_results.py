"""The tables and summary of a mixed run (see :mod:`spacecompute.sim.mixed` for the layout)."""

from __future__ import annotations

import time as _time
from typing import Any

import numpy as np

from ..table import Table, filled_column
from .engine import EngineResult

#: Step columns of the contract that are sums of the workloads' (data, not fleet state).
_SUMMED_STEP_COLUMNS = (
    "bits_captured",
    "bits_processed",
    "bits_downlinked",
    "bits_dropped",
    "backlog_bits",
    "jobs_completed",
    "jobs_dropped",
)
#: Summary keys of the contract that are sums over the workloads.
_SUMMED_KEYS = (
    "jobs_total",
    "jobs_completed",
    "jobs_dropped",
    "bits_captured",
    "bits_processed",
    "bits_downlinked",
    "bits_dropped",
)


#: Keys of each workload's summary also given flat, ``<key>_<name>`` (compare and the report).
_FLAT_KEYS = (
    "jobs_total",
    "jobs_completed",
    "jobs_dropped",
    "latency_median_s",
    "on_time_fraction",
    "insights_delivered",
    "jobs_on_time",
)


def _jobs_union(names: list[str], parts: list[EngineResult]) -> Table:
    """Every workload's jobs with the contract's columns and ``workload``: each column
    allocated once (the dtype ``np.concatenate`` would give) and filled piece by piece, a
    workload's table kept on disk (``sink.KeptTable``) read piece by piece without being
    assembled first (one copy of its rows instead of two)."""
    from .rundir import SCHEMAS

    cols = list(SCHEMAS["jobs"])
    out: dict[str, Any] = {"workload": np.concatenate(
        [filled_column(len(p.jobs), name) for name, p in zip(names, parts, strict=True)]
    )}  # fmt: skip
    n = len(out["workload"])
    for c in cols:
        out[c] = np.empty(n, np.result_type(*(_dtype(p.jobs, c) for p in parts)))
    at = 0
    for p in parts:
        pieces = getattr(p.jobs, "pieces", None)
        for piece in pieces() if callable(pieces) else (p.jobs,):
            m = len(piece)
            for c in cols:
                out[c][at : at + m] = np.asarray(piece[c])
            at += m
    if at != n:
        raise RuntimeError(f"the workloads' jobs gave {at} rows, their tables {n}")
    return Table({c: out[c] for c in [*cols, "workload"]})


def _dtype(table: Any, column: str) -> np.dtype:
    dtype = getattr(table, "dtype", None)
    return dtype(column) if callable(dtype) else np.asarray(table[column]).dtype


def _steps(run: Any, parts: list[EngineResult]) -> Table:
    n_steps = len(run.step_times)
    cols: dict[str, Any] = {"time": np.asarray(run.step_times, np.int64).astype("datetime64[ns]")}
    rows = {k: np.asarray(v, float) for k, v in run.rows.items()}
    for k in ("utilisation_mean", "compute_power_w", "soc_min", "soc_mean", "soc_max"):
        cols[k] = rows[k]
    for k in ("temperature_min_k", "temperature_mean_k", "temperature_max_k"):
        cols[k] = rows[k]
    for k in _SUMMED_STEP_COLUMNS:
        cols[k] = np.sum([np.asarray(p.steps[k], float)[:n_steps] for p in parts], axis=0)
    cols["brownouts"], cols["faults"] = rows["brownouts"], rows["faults"]
    cols["energy_idle_j"] = rows["energy_idle_j"]
    for name in run.names:
        for k in (f"utilisation_{name}", f"demand_{name}", f"grant_{name}", f"energy_{name}_j"):
            cols[k] = rows[k]
        for k in (f"storage_{name}_bytes", f"link_{name}_bytes"):
            if k in rows:
                cols[k] = rows[k]
    return Table(cols)


def _satellites(run: Any, parts: list[EngineResult]) -> Table:
    sat, n_steps = run.sat, max(len(run.step_times), 1)
    cols: dict[str, Any] = {
        "satellite": np.arange(run.n, dtype=np.int64),
        "name": np.asarray([str(x) for x in run.core.const.names], dtype=object),
        "ops_done": np.sum([np.asarray(p.satellites["ops_done"], float) for p in parts], axis=0),
        "energy_j": sat["energy_j"].copy(),
        "busy_fraction": sat["useful"] / n_steps,
        "sunlit_fraction": sat["sunlit"] / n_steps,
        "energy_idle_j": sat["energy_idle_j"].copy(),
    }
    for i, name in enumerate(run.names):
        cols[f"energy_{name}_j"] = sat["energy_w"][i].copy()
        cols[f"utilisation_{name}"] = sat["useful_w"][i] / n_steps
    return Table(cols)


def _summary(run: Any, parts: list[EngineResult], steps: Table, jobs: Table, wall0: float) -> dict:
    first = parts[0].summary
    completed = np.asarray(jobs["status"]) == "completed"
    lat = np.asarray(jobs["latency_s"], float)[completed]
    sat = run.sat
    summary: dict[str, Any] = {
        "scenario": run.config.scenario,
        "policy": "+".join(str(p.summary.get("policy")) for p in parts),
        "start": first["start"],
        "end": first["end"],
        "steps": len(run.step_times),
        "step_s": run.dt,
        "satellites": run.n,
    }
    for k in _SUMMED_KEYS:
        summary[k] = sum(p.summary.get(k) or 0 for p in parts)
    summary.update(
        {
            "energy_compute_j": float(sat["energy_j"].sum()),
            "latency_median_s": float(np.median(lat)) if lat.size else None,
            "latency_p95_s": float(np.percentile(lat, 95)) if lat.size else None,
            "brownouts": float(run.totals[0]),
            "faults_silent": float(run.totals[1]),
            "wall_time_s": _time.perf_counter() - wall0,
            "workload": "mix",
            "arbiter": getattr(run.arbiter, "name", type(run.arbiter).__name__),
            "seed": first.get("seed"),
            "constellation": first.get("constellation"),
            "energy_idle_j": float(sat["energy_idle_j"].sum()),
            "utilisation": float(np.asarray(steps["utilisation_mean"]).mean())
            if len(steps)
            else 0.0,
        }
    )
    workloads = {}
    for i, (name, p, w) in enumerate(zip(run.names, parts, run.config.workloads, strict=True)):
        s = {k: v for k, v in p.summary.items() if k != "wall_time_s"}
        s.update(
            {
                "priority": int(w.priority),
                "weight": float(w.weight),
                "utilisation": float(sat["useful_w"][i].sum() / max(len(run.step_times), 1))
                / max(run.n, 1),
                "energy_active_j": float(sat["energy_w"][i].sum()),
            }
        )
        workloads[name] = s
        summary[f"utilisation_{name}"] = s["utilisation"]
        summary[f"energy_{name}_j"] = s["energy_active_j"]
        for key in _FLAT_KEYS:
            if s.get(key) is not None:
                summary[f"{key}_{name}"] = s[key]
    summary["workloads"] = workloads
    return summary


def mixed_result(run: Any, parts: list[EngineResult], wall0: float, out_dir: Any) -> EngineResult:
    """The mixed run's :class:`EngineResult` (``parts``: each workload's, by name); with
    ``out_dir`` written as a run directory plus ``jobs-<name>.parquet`` per workload."""
    jobs = _jobs_union(run.names, parts)
    steps = _steps(run, parts)
    satellites = _satellites(run, parts)
    summary = _summary(run, parts, steps, jobs, wall0)
    result = EngineResult(summary, jobs, steps, satellites)
    result.parts = dict(zip(run.names, parts, strict=True))
    if out_dir is not None:
        from .rundir import RunWriter

        writer = RunWriter(out_dir)
        writer.write_table("jobs", jobs)
        writer.write_table("steps", steps)
        writer.write_table("satellites", satellites)
        for name, part in result.parts.items():
            writer.write_table(f"jobs-{name}", part.jobs)
        writer.write_summary(summary)
        result.path = writer.finish()
    return result


__all__ = ["mixed_result"]
