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
    """One run: ``summary`` (dict of the run-directory contract's keys and the workload's own)
    and the tables ``jobs``, ``steps``, ``satellites``, ``contacts`` as :class:`Table`
    (``.to_pandas()`` if pandas is installed).

    Either a run directory, loaded lazily (the summary at once, each table when first asked
    for), or the tables of a run held in memory (``tables``; ``path`` None when nothing was
    written), as :func:`spacecompute.run` returns. ``label`` names it in comparisons and
    reports: its policy inside a comparison run (see :func:`find_runs`), else its directory name.
    In Jupyter it shows as an HTML table of its summary.

    :meth:`load` checks ``summary.json`` and the schema of every table (Parquet footers only, no
    data read), so a result that loads has every column of the contract.
    """

    def __init__(
        self,
        path: Path | None,
        summary: dict[str, Any],
        label: str | None = None,
        tables: Mapping[str, Table | None] | None = None,
    ) -> None:
        self.path = path
        self.summary = summary
        self.label = label or (path.name if path is not None else str(summary.get("policy")))
        self._arrow: dict[str, Any] = {}
        self._tables = {k: v for k, v in (tables or {}).items() if v is not None}

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

        if name not in self._arrow and name in self._tables:
            self._arrow[name] = self._tables[name].to_arrow()
        if name not in self._arrow and self.path is None:
            self._arrow[name] = pa.table({c: pa.array([], pa.null()) for c in SCHEMAS[name]})
        if name not in self._arrow:
            file = self.path / f"{name}.parquet"
            if not file.is_file() and name in OPTIONAL_TABLES:
                self._arrow[name] = pa.table({c: pa.array([], pa.null()) for c in SCHEMAS[name]})
            else:
                self._arrow[name] = pq.read_table(file)
        return self._arrow[name]

    def table(self, name: str) -> Table:
        """Table ``name`` as a :class:`Table` of numpy columns (null timestamps as NaT)."""
        if name in self._tables:
            return self._tables[name]
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
        where = "in memory" if self.path is None else f"at {self.path}"
        return f"RunResult({self.label!r} {where})"

    def _repr_html_(self) -> str:
        """The summary as an HTML table (Jupyter)."""
        return summary_html({self.label: self.summary}, title=f"run {self.label}")

    def view(self, *, height_px: int = 600) -> Html:
        """The 3D globe of this run (``spacecompute view``, docs/visualisation.md) to show in a
        notebook cell: offline, three.js and the data inline. Needs the run on disk (run it
        with ``out_dir``), where its state series and scenario are."""
        return _view_of(self.path, None, height_px)


class Html(str):
    """HTML text that Jupyter displays as HTML (no IPython needed to make one)."""

    def _repr_html_(self) -> str:
        return str(self)


def _view_of(path: Path | None, policy: str | None, height_px: int) -> Html:
    from ..errors import InputError
    from .view import embed_view

    if path is None:
        raise InputError(
            "the view reads a run directory, and this run was kept in memory",
            field="out_dir",
            expected="a run written to disk: sc.run(..., out_dir=DIR)",
        )
    return Html(embed_view(path, policy=policy, height_px=height_px))


def summary_html(summaries: Mapping[str, Mapping[str, Any]], *, title: str = "") -> str:
    """An HTML table of run summaries: one row per key, one column per run (escaped)."""
    from html import escape

    labels = list(summaries)
    keys: list[str] = []
    for summary in summaries.values():
        keys += [k for k in summary if k not in keys]

    def cell(v: Any) -> str:
        if isinstance(v, float) and not isinstance(v, bool):
            return f"{v:,.6g}" if abs(v) < 1e15 else f"{v:.6g}"
        if isinstance(v, int) and not isinstance(v, bool):
            return f"{v:,}"
        return "-" if v is None else str(v)

    head = "".join(f"<th>{escape(str(label))}</th>" for label in labels)
    rows = "".join(
        f"<tr><th style='text-align:left'>{escape(k)}</th>"
        + "".join(
            f"<td style='text-align:right'>{escape(cell(summaries[label].get(k)))}</td>"
            for label in labels
        )
        + "</tr>"
        for k in keys
    )
    caption = f"<caption>{escape(title)}</caption>" if title else ""
    return (
        f"<table>{caption}<thead><tr><th>key</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
    )


class RunResults(Mapping[str, RunResult]):
    """The runs of a comparison (several policies on one scenario), by label, in run order.

    ``results["energy-aware"]`` is one :class:`RunResult`; :meth:`compare` the side-by-side
    metric table of ``spacecompute compare``; ``path`` the comparison run's directory (or None).
    In Jupyter it shows as an HTML table of the summaries side by side.
    """

    def __init__(self, runs: Mapping[str, RunResult], path: Path | None = None) -> None:
        self._runs = dict(runs)
        self.path = path

    def __getitem__(self, label: str) -> RunResult:
        return self._runs[label]

    def __iter__(self):
        return iter(self._runs)

    def __len__(self) -> int:
        return len(self._runs)

    @property
    def summaries(self) -> dict[str, dict[str, Any]]:
        """Each run's summary, by label."""
        return {k: r.summary for k, r in self._runs.items()}

    def compare(self) -> Table:
        """Summary metrics side by side (:func:`spacecompute.results.compare.compare_results`)."""
        from .compare import compare_results

        return compare_results(list(self._runs.values()))

    def __repr__(self) -> str:
        return f"RunResults({list(self._runs)})"

    def _repr_html_(self) -> str:
        return summary_html(self.summaries, title="runs")

    def view(self, policy: str | None = None, *, height_px: int = 600) -> Html:
        """The 3D globe of one run of the comparison (``policy``, default the first), as
        :meth:`RunResult.view`."""
        if policy is not None and policy not in self._runs:
            from ..errors import InputError

            raise InputError(f"no run {policy!r}", field="policy", expected=f"one of {list(self)}")
        run = self._runs[policy] if policy is not None else next(iter(self._runs.values()))
        return _view_of(run.path, None, height_px)


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
    "RunResults",
    "RunWriter",
    "check_schema",
    "find_runs",
    "is_comparison",
]
