"""The run-directory contract the engine writes: table schemas, summary keys, atomic writer.

A run directory holds ``summary.json`` and the Parquet tables ``jobs``, ``steps``,
``satellites`` and (optionally) ``contacts``; the engines also write the per-satellite state
series ``states.parquet`` (and ``links.parquet``, see :mod:`spacecompute.sim.states`) and the
runner the resolved ``scenario.yaml``, which the 3D view and the CZML scene read. Every file is written through
:func:`spacecompute.table.atomic_write` (temp file, then rename): a crash never leaves a
half-written file nor destroys an earlier one. :class:`RunWriter` writes ``summary.json`` last,
so a directory with a summary is a complete run. Loading, finding and comparing runs is
:mod:`spacecompute.results` (the layer above).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..table import Table, atomic_write_text

# Column kinds: "int", "float" (any number), "string", "timestamp", "bool".
SCHEMAS: dict[str, dict[str, str]] = {
    "jobs": {
        "job_id": "int",
        "kind": "string",
        "satellite": "int",
        "arrival": "timestamp",
        "start": "timestamp",
        "end": "timestamp",
        "status": "string",
        "drop_reason": "string",
        "ops": "float",
        "bytes_in": "float",
        "bytes_out": "float",
        "latency_s": "float",
        "energy_j": "float",
        "lat_deg": "float",
        "lon_deg": "float",
    },
    "steps": {
        "time": "timestamp",
        **{
            name: "float"
            for name in (
                "utilisation_mean",
                "compute_power_w",
                "soc_min",
                "soc_mean",
                "soc_max",
                "temperature_min_k",
                "temperature_mean_k",
                "temperature_max_k",
                "bits_captured",
                "bits_processed",
                "bits_downlinked",
                "bits_dropped",
                "backlog_bits",
                "jobs_completed",
                "jobs_dropped",
                "brownouts",
                "faults",
            )
        },
    },
    "satellites": {
        "satellite": "int",
        "name": "string",
        "ops_done": "float",
        "energy_j": "float",
        "busy_fraction": "float",
        "sunlit_fraction": "float",
    },
    "contacts": {
        "station": "int",
        "station_name": "string",
        "satellite": "int",
        "satellite_name": "string",
        "start": "timestamp",
        "end": "timestamp",
        "duration_s": "float",
        "max_elevation_deg": "float",
        "time_of_max": "timestamp",
        "starts_before": "bool",
        "ends_after": "bool",
    },
}
REQUIRED_TABLES: tuple[str, ...] = ("jobs", "steps", "satellites")
OPTIONAL_TABLES: tuple[str, ...] = ("contacts",)

SUMMARY_TEXT_KEYS: tuple[str, ...] = ("scenario", "policy", "start", "end")
SUMMARY_NUMBER_KEYS: tuple[str, ...] = (
    "steps",
    "step_s",
    "satellites",
    "jobs_total",
    "jobs_completed",
    "jobs_dropped",
    "bits_captured",
    "bits_processed",
    "bits_downlinked",
    "bits_dropped",
    "energy_compute_j",
    "latency_median_s",
    "latency_p95_s",
    "brownouts",
    "faults_silent",
    "wall_time_s",
)
SUMMARY_KEYS: tuple[str, ...] = SUMMARY_TEXT_KEYS + SUMMARY_NUMBER_KEYS

_EXPECTED_KIND = {
    "int": "an integer column",
    "float": "a numeric column",
    "string": "a string column",
    "timestamp": "a timestamp column",
    "bool": "a boolean column",
}


def _type_matches(arrow_type: Any, kind: str) -> bool:
    import pyarrow.types as pat

    if pat.is_null(arrow_type):  # an all-null column written from an empty object array
        return True
    if kind == "int":
        return pat.is_integer(arrow_type)
    if kind == "float":
        return pat.is_integer(arrow_type) or pat.is_floating(arrow_type)
    if kind == "string":
        return pat.is_string(arrow_type) or pat.is_large_string(arrow_type)
    if kind == "timestamp":
        return pat.is_timestamp(arrow_type)
    if kind == "bool":
        return pat.is_boolean(arrow_type)
    raise ValueError(f"unknown column kind {kind!r}")


def check_schema(name: str, schema: Any, file: str) -> list[Problem]:
    """Problems of an Arrow ``schema`` against the contract of table ``name`` (empty if fine).

    Missing columns are reported in one problem naming all of them; each column of the wrong
    type gets its own. Extra columns are allowed.
    """
    spec = SCHEMAS[name]
    present = set(schema.names)
    problems: list[Problem] = []
    missing = [c for c in spec if c not in present]
    if missing:
        problems.append(
            Problem(
                message=f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                file=file,
                field=", ".join(missing),
                expected=f"the {name} table columns {', '.join(spec)}",
            )
        )
    for col, kind in spec.items():
        if col in present and not _type_matches(schema.field(col).type, kind):
            problems.append(
                Problem(
                    message=f"column has type {schema.field(col).type}",
                    file=file,
                    field=col,
                    expected=_EXPECTED_KIND[kind],
                )
            )
    return problems


def _json_value(value: Any) -> Any:
    """``value`` as plain JSON: numpy scalars to Python, NaN/inf to null, times to ISO text."""
    if isinstance(value, Mapping):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [
            _json_value(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)
        ]
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else str(np.datetime64(value, "s")) + "Z"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


class RunWriter:
    """Writes one run directory: tables first, ``summary.json`` last, every file atomically.

    >>> w = RunWriter("out/run1")            # doctest: +SKIP
    >>> w.write_table("jobs", jobs_table)    # doctest: +SKIP
    >>> w.write_summary(summary)             # doctest: +SKIP
    >>> w.finish()                           # doctest: +SKIP
    """

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.out_dir = Path(out_dir)
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot create the output directory ({exc.strerror or exc})",
                file=str(self.out_dir),
                expected="a writable directory",
            ) from None
        self.tables: list[str] = []
        self._summary_written = False

    def write_table(self, name: str, table: Table | Any) -> Path:
        """Write ``table`` (a :class:`Table` or a ``pyarrow.Table``) to ``<out_dir>/<name>.parquet``.

        Tables of the contract (jobs, steps, satellites, contacts) are checked against their
        schema first; a mismatch raises :class:`InputError` and writes nothing.
        """
        import pyarrow.parquet as pq

        from ..table import atomic_write

        arrow = table.to_arrow() if isinstance(table, Table) else table
        path = self.out_dir / f"{name}.parquet"
        if name in SCHEMAS:
            problems = check_schema(name, arrow.schema, str(path))
            if problems:
                raise InputError(problems=problems)
        atomic_write(path, lambda tmp: pq.write_table(arrow, tmp))
        if name not in self.tables:
            self.tables.append(name)
        return path

    def adopt_table(self, name: str) -> Path:
        """Count ``<out_dir>/<name>.parquet``, written already (streamed, see
        :mod:`spacecompute.sim.sink`), as a table of this run, its schema checked against the
        contract (footer only)."""
        import pyarrow.parquet as pq

        path = self.out_dir / f"{name}.parquet"
        if name in SCHEMAS:
            problems = check_schema(name, pq.read_schema(path), str(path))
            if problems:
                raise InputError(problems=problems)
        if name not in self.tables:
            self.tables.append(name)
        return path

    def write_summary(self, summary: Mapping[str, Any]) -> Path:
        """Write ``summary.json`` (NaN and numpy values made plain JSON; sorted as given)."""
        path = self.out_dir / "summary.json"
        text = json.dumps(_json_value(summary), indent=2, allow_nan=False) + "\n"
        atomic_write_text(path, text)
        self._summary_written = True
        return path

    def finish(self) -> Path:
        """Check the run is complete (summary and required tables written) and return its
        directory."""
        missing = [t for t in REQUIRED_TABLES if t not in self.tables]
        if not self._summary_written:
            missing.append("summary.json")
        if missing:
            raise RuntimeError(
                f"run {self.out_dir} is incomplete: {', '.join(missing)} not written"
            )
        return self.out_dir


def write_run_tables(
    out_dir: str | os.PathLike,
    jobs: Table | None,
    steps: Table,
    satellites: Table,
    summary: Mapping[str, Any],
    *,
    contacts: Table | None = None,
) -> Path:
    """Write a whole run directory (the tables, then ``summary.json``) and return it.

    ``jobs`` None: ``<out_dir>/jobs.parquet`` was streamed there already (its schema is
    checked)."""
    writer = RunWriter(out_dir)
    if jobs is None:  # streamed there already (spacecompute.sim.sink)
        writer.adopt_table("jobs")
    else:
        writer.write_table("jobs", jobs)
    writer.write_table("steps", steps)
    writer.write_table("satellites", satellites)
    if contacts is not None:
        writer.write_table("contacts", contacts)
    writer.write_summary(summary)
    return writer.finish()


def envelopes(soc: np.ndarray, temp: np.ndarray) -> dict[str, float]:
    """The ``steps`` columns of the state-of-charge and temperature envelopes: min, mean and
    max over the satellites of the step."""
    return {
        "soc_min": float(soc.min()),
        "soc_mean": float(soc.mean()),
        "soc_max": float(soc.max()),
        "temperature_min_k": float(temp.min()),
        "temperature_mean_k": float(temp.mean()),
        "temperature_max_k": float(temp.max()),
    }


def fleet_row(
    fleet_step: Any, compute_power_w: np.ndarray, ops_done: np.ndarray, peak_ops: float
) -> dict[str, float]:
    """The ``steps`` columns every engine takes from a fleet step: ``utilisation_mean`` (ops
    done over ``peak_ops``, the payload's peak ops in the step, mean over satellites),
    ``compute_power_w`` (summed) and the state-of-charge and temperature envelopes."""
    soc, temp = fleet_step.state_of_charge, fleet_step.temperature_k
    ops = np.asarray(ops_done)
    if not (ops.size and soc.size and ops.dtype == soc.dtype == temp.dtype == np.float64):
        return {
            "utilisation_mean": float(ops.mean()) / peak_ops if peak_ops > 0 else 0.0,
            "compute_power_w": float(np.asarray(compute_power_w).sum()),
            **envelopes(soc, temp),
        }
    # the same reductions as the methods' (a mean is numpy's sum over the count), without their
    # Python layers: called every step
    add, low, high = np.add.reduce, np.minimum.reduce, np.maximum.reduce
    return {
        "utilisation_mean": float(add(ops) / ops.size) / peak_ops if peak_ops > 0 else 0.0,
        "compute_power_w": float(add(np.asarray(compute_power_w))),
        "soc_min": float(low(soc)),
        "soc_mean": float(add(soc) / soc.size),
        "soc_max": float(high(soc)),
        "temperature_min_k": float(low(temp)),
        "temperature_mean_k": float(add(temp) / temp.size),
        "temperature_max_k": float(high(temp)),
    }
