"""Run directories: writing them atomically and loading them back with their schema checked.

A run directory holds ``summary.json`` and the Parquet tables ``jobs``, ``steps``,
``satellites`` and (optionally) ``contacts``. A comparison run holds one run directory per
policy (``RUN/<policy>/``) and a ``RUN/summary.json`` whose key ``policies`` lists them.

Every file is written through :func:`spacecompute.table.atomic_write` (temp file, then rename):
a crash never leaves a half-written file nor destroys an earlier one. :class:`RunWriter` writes
``summary.json`` last, so a directory with a summary is a complete run.
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
        self.out_dir.mkdir(parents=True, exist_ok=True)
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

    def write_summary(self, summary: Mapping[str, Any]) -> Path:
        """Write ``summary.json`` (NaN and numpy values made plain JSON; sorted as given)."""
        path = self.out_dir / "summary.json"
        text = json.dumps(_json_value(summary), indent=2, allow_nan=False) + "\n"
        atomic_write_text(path, text)
        self._summary_written = True
        return path

    def finish(self, *, report: bool = False) -> Path:
        """Check the run is complete (summary and required tables written) and return its
        directory; with ``report=True`` also write ``report.html``."""
        missing = [t for t in REQUIRED_TABLES if t not in self.tables]
        if not self._summary_written:
            missing.append("summary.json")
        if missing:
            raise RuntimeError(
                f"run {self.out_dir} is incomplete: {', '.join(missing)} not written"
            )
        if report:
            from .report import write_report

            write_report(self.out_dir)
        return self.out_dir


def _read_summary(run_dir: Path) -> dict[str, Any]:
    """The parsed ``summary.json`` of ``run_dir`` (an InputError if missing or not an object)."""
    if not run_dir.exists():
        raise InputError(
            "no such directory", file=str(run_dir), expected="a run directory (summary.json)"
        )
    if not run_dir.is_dir():
        raise InputError("not a directory", file=str(run_dir), expected="a run directory")
    path = run_dir / "summary.json"
    if not path.is_file():
        raise InputError(
            "not a run directory: no summary.json",
            file=str(run_dir),
            expected="a directory written by `spacecompute run --out`",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path), expected="a JSON object") from None
    if not isinstance(data, dict):
        raise InputError(
            f"summary is a {type(data).__name__}", file=str(path), expected="a JSON object"
        )
    return data


def _check_summary(data: Mapping[str, Any], file: str) -> list[Problem]:
    problems: list[Problem] = []
    missing = [k for k in SUMMARY_KEYS if k not in data]
    if missing:
        problems.append(
            Problem(
                message=f"missing key{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                file=file,
                field=", ".join(missing),
                expected="the run summary keys " + ", ".join(SUMMARY_KEYS),
            )
        )
    for key in SUMMARY_NUMBER_KEYS:
        v = data.get(key)
        if (
            key in data
            and v is not None
            and (isinstance(v, bool) or not isinstance(v, (int, float)))
        ):
            problems.append(
                Problem(message=f"value {v!r}", file=file, field=key, expected="a number or null")
            )
    return problems


class RunResult:
    """One run directory, loaded lazily: the summary at once, each table when first asked for.

    ``label`` names it in comparisons and reports: its policy inside a comparison run (see
    :func:`find_runs`), else its directory name.

    :meth:`load` checks ``summary.json`` and the schema of every table (Parquet footers only, no
    data read), so a result that loads has every column of the contract.
    """

    def __init__(self, path: Path, summary: dict[str, Any], label: str | None = None) -> None:
        self.path = path
        self.summary = summary
        self.label = label or path.name
        self._arrow: dict[str, Any] = {}

    @classmethod
    def load(cls, run_dir: str | os.PathLike, label: str | None = None) -> RunResult:
        """Open ``run_dir``; :class:`InputError` naming the file and the missing or mistyped
        columns or keys if it is not a complete run directory of the contract."""
        import pyarrow.parquet as pq

        path = Path(run_dir)
        summary = _read_summary(path)
        summary_file = str(path / "summary.json")
        if "policies" in summary and not (path / "jobs.parquet").exists():
            raise InputError(
                "a comparison run (one directory per policy), not a single run",
                file=str(path),
                expected="one of its policy directories: "
                + ", ".join(str(p) for p in summary.get("policies") or []),
            )
        problems = _check_summary(summary, summary_file)
        for name in REQUIRED_TABLES + OPTIONAL_TABLES:
            file = path / f"{name}.parquet"
            if not file.is_file():
                if name in REQUIRED_TABLES:
                    problems.append(
                        Problem(
                            message=f"missing table {name}.parquet",
                            file=str(file),
                            expected="a Parquet file with columns " + ", ".join(SCHEMAS[name]),
                        )
                    )
                continue
            try:
                schema = pq.read_schema(file)
            except Exception as exc:  # pyarrow raises several types for a corrupt file
                problems.append(
                    Problem(message=f"cannot read: {exc}", file=str(file), expected="Parquet")
                )
                continue
            problems += check_schema(name, schema, str(file))
        if problems:
            raise InputError(problems=problems)
        return cls(path, summary, label)

    def arrow(self, name: str) -> Any:
        """Table ``name`` as a ``pyarrow.Table`` (read on first use; empty if optional and absent)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if name not in self._arrow:
            file = self.path / f"{name}.parquet"
            if not file.is_file() and name in OPTIONAL_TABLES:
                self._arrow[name] = pa.table({c: pa.array([], pa.null()) for c in SCHEMAS[name]})
            else:
                self._arrow[name] = pq.read_table(file)
        return self._arrow[name]

    def table(self, name: str) -> Table:
        """Table ``name`` as a :class:`Table` of numpy columns (null timestamps as NaT)."""
        arrow = self.arrow(name)
        return Table(
            {c: arrow.column(c).to_numpy(zero_copy_only=False) for c in arrow.column_names}
        )

    @property
    def jobs(self) -> Table:
        return self.table("jobs")

    @property
    def steps(self) -> Table:
        return self.table("steps")

    @property
    def satellites(self) -> Table:
        return self.table("satellites")

    @property
    def contacts(self) -> Table:
        return self.table("contacts")

    def __repr__(self) -> str:
        return f"RunResult({self.label!r} at {self.path})"


def is_comparison(run_dir: str | os.PathLike) -> bool:
    """Whether ``run_dir`` is a comparison run (its summary lists ``policies``)."""
    return "policies" in _read_summary(Path(run_dir))


def find_runs(run_dir: str | os.PathLike) -> list[RunResult]:
    """The runs in ``run_dir``: itself if it is a run, else its policy subdirectories in the order
    of the summary's ``policies`` (each labelled with its policy)."""
    path = Path(run_dir)
    summary = _read_summary(path)
    policies = summary.get("policies")
    if policies is None:
        return [RunResult.load(path)]
    file = str(path / "summary.json")
    if (
        not isinstance(policies, list)
        or not policies
        or not all(
            isinstance(p, str) and p and "/" not in p and p not in (".", "..") for p in policies
        )
    ):
        raise InputError(
            f"policies {policies!r}",
            file=file,
            field="policies",
            expected="a non-empty list of policy directory names",
        )
    runs: list[RunResult] = []
    problems: list[Problem] = []
    for policy in policies:
        try:
            runs.append(RunResult.load(path / policy, label=policy))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems=problems)
    return runs


__all__ = [
    "OPTIONAL_TABLES",
    "REQUIRED_TABLES",
    "SCHEMAS",
    "SUMMARY_KEYS",
    "RunResult",
    "RunWriter",
    "check_schema",
    "find_runs",
    "is_comparison",
]
