"""Side-by-side comparison of runs: summary metrics as rows, runs (or policies) as columns.

The rows and their directions come from the one metric table of
:mod:`~spacecompute.results.metrics`, per workload (for Earth observation fewer downlinked bytes
is better and cloudy frames discarded on purpose are not drops). Where "better" is defined the
best run of each row is named in the ``best`` column; rows where every run ties name none.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..table import Table
from .metrics import (
    ANY,
    MIXED,
    QUESTIONS,
    Metric,
    common_workload,
    format_quantity,
    headline_metrics,
    metric_value,
    metrics_for,
)
from .store import RunResult, find_runs

#: Columns of a comparison table that are not runs.
META_COLUMNS: tuple[str, ...] = ("metric", "label", "unit", "better", "workload", "why", "best")


def run_labels(runs: Sequence[RunResult]) -> list[str]:
    """Unique column labels: each run's label, qualified by its parent directory on clashes."""
    labels = [r.label for r in runs]
    if len(set(labels)) < len(labels):
        labels = [f"{r.path.parent.name}/{r.label}" for r in runs]
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def metric_rows(runs: Sequence[RunResult]) -> tuple[str, list[Metric]]:
    """The workload the runs share (``"*"`` if mixed or unknown) and its rows of
    :data:`~spacecompute.results.metrics.METRICS`."""
    workload = common_workload([r.summary for r in runs])
    return workload, metrics_for(workload)


def metric_matrix(runs: Sequence[RunResult], rows: Sequence[Metric] | None = None) -> np.ndarray:
    """(rows, runs) float64 values of ``rows`` (default: the runs' workload rows; NaN where a
    run has none)."""
    if rows is None:
        rows = metric_rows(runs)[1]
    return np.array(
        [[metric_value(r.summary, m) for r in runs] for m in rows], dtype=np.float64
    ).reshape(len(rows), len(runs))


def best_mask(values: np.ndarray, better: Sequence[str | None]) -> np.ndarray:
    """(metrics, runs) bool: the runs achieving each row's best value.

    A row gets no best when "better" is undefined, fewer than two runs have a value, or every run
    with a value ties.
    """
    values = np.asarray(values, dtype=np.float64)
    sign = np.array([{"lower": 1.0, "higher": -1.0}.get(b or "", 0.0) for b in better])
    scored = values * sign[:, None]  # lower is better after the sign flip
    finite = np.isfinite(scored)
    filled = np.where(finite, scored, np.inf)
    best = filled.min(axis=1, initial=np.inf)
    worst = np.where(finite, scored, -np.inf).max(axis=1, initial=-np.inf)
    usable = (sign != 0) & (finite.sum(axis=1) >= 2) & (best < worst)
    return usable[:, None] & finite & (filled == best[:, None])


def compare_results(runs: Sequence[RunResult]) -> Table:
    """Comparison :class:`Table` of loaded runs, one row per metric of the runs' workload (see
    :mod:`~spacecompute.results.metrics`; the workload's headline rows first): columns
    ``metric``, ``label``, ``unit``, ``better``, ``workload``, ``why``, one float64 column per run
    (named by its label, SI values), and ``best`` (the best runs' labels, joined by ", "; empty
    where none). A workload's rows that no run has are left out; the generic rows (runs of
    mixed or unknown workloads) are always shown."""
    labels = run_labels(runs)
    workload, rows = metric_rows(runs)
    values = metric_matrix(runs, rows)
    better = [m.better for m in rows]
    mask = best_mask(values, better)
    names = np.array(labels, dtype=object)
    best = np.array([", ".join(names[row]) for row in mask], dtype=object)
    cols: dict[str, Any] = {
        "metric": np.array([m.key for m in rows], dtype=object),
        "label": np.array([m.label for m in rows], dtype=object),
        "unit": np.array([m.unit for m in rows], dtype=object),
        "better": np.array([b or "" for b in better], dtype=object),
        "workload": np.array([workload] * len(rows), dtype=object),
        "why": np.array([m.why for m in rows], dtype=object),
    }
    for j, label in enumerate(labels):
        cols[label] = values[:, j]
    cols["best"] = best
    keep = np.isfinite(values).any(axis=1) | (workload in (ANY, MIXED))
    return Table({k: v[keep] for k, v in cols.items()})


def load_runs(dirs: Sequence[str | os.PathLike]) -> list[RunResult]:
    """The runs of ``dirs`` (a comparison run contributes one run per policy)."""
    runs: list[RunResult] = []
    for d in dirs:
        runs += find_runs(d)
    return runs


def compare_runs(dirs: Sequence[str | os.PathLike]) -> Table:
    """Summary metrics of the runs in ``dirs`` side by side (see :func:`compare_results`).

    Raises :class:`~spacecompute.errors.InputError` if a directory is not a run directory.
    """
    return compare_results(load_runs(dirs))


def run_columns(table: Table) -> list[str]:
    """The run columns of a comparison table, in order."""
    return [c for c in table.columns if c not in META_COLUMNS]


def _table_best(table: Table, runs: Sequence[str]) -> np.ndarray:
    values = np.column_stack([table[r] for r in runs]).astype(np.float64)
    return best_mask(values, table["better"].tolist())


def format_value(x: float | None) -> str:
    """A metric for display: "-" if missing, integers with thousands separators, else 4 digits."""
    if x is None or not math.isfinite(x):
        return "-"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.4g}"


def _workload(table: Table) -> str:
    return str(table["workload"][0]) if len(table) else ANY


def format_comparison(table: Table, title: str = "spacecompute compare") -> Any:
    """A ``rich.table.Table`` of a comparison: metrics as rows (the workload's question first),
    runs as columns, values with their units, the best value of each row in bold green."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    runs = run_columns(table)
    workload = _workload(table)
    if workload not in (ANY, MIXED):
        title = f"{title}: {workload}"
    out = RichTable(
        title=title, title_justify="left", caption=QUESTIONS[workload], caption_justify="left"
    )
    out.add_column("metric", style="bold")
    for label in runs:
        out.add_column(escape(label), justify="right")
    out.add_column("better", style="dim")
    mask = _table_best(table, runs)
    headline = {m.key for m in headline_metrics(workload)}
    keys = table["metric"].tolist()
    for i, label in enumerate(table["label"].tolist()):
        cells = []
        for j, run in enumerate(runs):
            text = escape(format_quantity(float(table[run][i]), table["unit"][i]))
            cells.append(f"[bold green]{text}[/]" if mask[i, j] else text)
        last_headline = keys[i] in headline and (i + 1 == len(keys) or keys[i + 1] not in headline)
        out.add_row(escape(label), *cells, table["better"][i], end_section=last_headline)
    return out


def comparison_json(table: Table) -> dict[str, Any]:
    """A comparison as plain JSON: ``runs``, ``workload`` and one entry per metric (``metric``,
    ``label``, ``unit``, ``better``, ``values`` in SI units, null where missing, ``best``)."""
    runs = run_columns(table)
    mask = _table_best(table, runs)
    metrics = []
    for i, key in enumerate(table["metric"].tolist()):
        values = {r: float(table[r][i]) for r in runs}
        metrics.append(
            {
                "metric": key,
                "label": table["label"][i],
                "unit": table["unit"][i],
                "better": table["better"][i] or None,
                "values": {r: (v if math.isfinite(v) else None) for r, v in values.items()},
                "best": [r for j, r in enumerate(runs) if mask[i, j]],
            }
        )
    return {"runs": runs, "workload": _workload(table), "metrics": metrics}


__all__ = [
    "META_COLUMNS",
    "best_mask",
    "compare_results",
    "compare_runs",
    "comparison_json",
    "format_comparison",
    "format_value",
    "load_runs",
    "metric_matrix",
    "metric_rows",
    "run_columns",
    "run_labels",
]
