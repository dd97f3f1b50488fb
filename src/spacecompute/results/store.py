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
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..sim.rundir import (  # noqa: F401  (re-exported: the contract lives with the engine)
    OPTIONAL_TABLES,
    REQUIRED_TABLES,
    SCHEMAS,
    SUMMARY_KEYS,
    SUMMARY_NUMBER_KEYS,
    SUMMARY_TEXT_KEYS,
    _json_value,
    check_schema,
)
from ..sim.rundir import RunWriter as _BaseRunWriter
from ..table import Table


class RunWriter(_BaseRunWriter):
    """:class:`spacecompute.sim.rundir.RunWriter` that can also write ``report.html``."""

    def finish(self, *, report: bool = False) -> Path:
        """Check the run is complete and return its directory; with ``report=True`` also
        write ``report.html``."""
        out = super().finish()
        if report:
            from .report import write_report

            write_report(out)
        return out


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
