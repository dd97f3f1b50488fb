"""Side-by-side comparison of runs: summary metrics as rows, runs (or policies) as columns.

Where "better" is defined (fewer drops, lower latency, more bits delivered, ...) the best run of
each row is named in the ``best`` column; rows where every run ties name none.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..table import Table
from .store import RunResult, find_runs

# (summary key or derived name, label, better: "lower", "higher" or None)
METRICS: tuple[tuple[str, str, str | None], ...] = (
    ("satellites", "satellites", None),
    ("steps", "steps", None),
    ("jobs_total", "jobs total", None),
    ("jobs_completed", "jobs completed", "higher"),
    ("jobs_dropped", "jobs dropped", "lower"),
    ("completion_rate", "completion rate", "higher"),
    ("latency_median_s", "latency median (s)", "lower"),
    ("latency_p95_s", "latency p95 (s)", "lower"),
    ("bits_captured", "bits captured", None),
    ("bits_processed", "bits processed", "higher"),
    ("bits_downlinked", "bits downlinked", "higher"),
    ("bits_dropped", "bits dropped", "lower"),
    ("delivered_fraction", "downlinked / captured", "higher"),
    ("energy_compute_j", "compute energy (J)", None),
    # workload-specific (rows that no run has are left out)
    ("insights_delivered", "insights delivered (EO)", "higher"),
    ("insight_latency_median_s", "capture to insight median (s)", "lower"),
    ("bytes_downlinked", "bytes downlinked", None),
    ("energy_per_insight_j", "energy per insight (J)", "lower"),
    ("jobs_lost", "jobs lost (storage)", "lower"),
    ("jobs_on_time", "jobs on time", "higher"),
    ("jobs_missed_deadline", "jobs missed deadline", "lower"),
    ("ops_lost", "work lost to faults (FLOP)", "lower"),
    ("isl_bytes", "laser (ISL) bytes", None),
    ("brownouts", "brownouts", "lower"),
    ("faults_silent", "silent faults", "lower"),
    ("wall_time_s", "wall time (s)", None),
)

#: Rows of :data:`METRICS` that only some workloads have; left out when no run has them.
WORKLOAD_METRICS: frozenset[str] = frozenset(
    (
        "insights_delivered",
        "insight_latency_median_s",
        "bytes_downlinked",
        "energy_per_insight_j",
        "jobs_lost",
        "jobs_on_time",
        "jobs_missed_deadline",
        "ops_lost",
        "isl_bytes",
    )
)


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


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


def metric_matrix(runs: Sequence[RunResult]) -> np.ndarray:
    """(metrics, runs) float64 values of :data:`METRICS` (NaN where a run has none)."""
    keys = [k for k, _, _ in METRICS]
    m = np.array(
        [[_number(r.summary.get(k)) for r in runs] for k in keys], dtype=np.float64
    ).reshape(len(keys), len(runs))
    idx = {k: i for i, k in enumerate(keys)}

    def raw(key: str) -> np.ndarray:
        return np.array([_number(r.summary.get(key)) for r in runs], dtype=np.float64)

    with np.errstate(divide="ignore", invalid="ignore"):
        total = raw("jobs_total")
        m[idx["completion_rate"]] = np.where(total > 0, raw("jobs_completed") / total, np.nan)
        captured = raw("bits_captured")
        m[idx["delivered_fraction"]] = np.where(
            captured > 0, raw("bits_downlinked") / captured, np.nan
        )
    return m


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
    """Comparison :class:`Table` of loaded runs: columns ``metric``, ``label``, ``better``, one
    float64 column per run (named by its label), and ``best`` (the best runs' labels, joined by
    ", "; empty where none)."""
    labels = run_labels(runs)
    values = metric_matrix(runs)
    better = [b for _, _, b in METRICS]
    mask = best_mask(values, better)
    names = np.array(labels, dtype=object)
    best = np.array([", ".join(names[row]) for row in mask], dtype=object)
    cols: dict[str, Any] = {
        "metric": np.array([k for k, _, _ in METRICS], dtype=object),
        "label": np.array([lab for _, lab, _ in METRICS], dtype=object),
        "better": np.array([b or "" for b in better], dtype=object),
    }
    for j, label in enumerate(labels):
        cols[label] = values[:, j]
    cols["best"] = best
    optional = np.array([k in WORKLOAD_METRICS for k, _, _ in METRICS])
    keep = ~optional | np.isfinite(values).any(axis=1)
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
    return [c for c in table.columns if c not in ("metric", "label", "better", "best")]


def _table_best(table: Table, runs: Sequence[str]) -> np.ndarray:
    values = np.column_stack([table[r] for r in runs]).astype(np.float64)
    return best_mask(values, table["better"].tolist())


def format_value(x: float | None) -> str:
    """A metric for display: "-" if missing, integers and numbers from 10,000 up with thousands
    separators, else 4 significant digits."""
    if x is None or not math.isfinite(x):
        return "-"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if 1e4 <= abs(x) < 1e15:  # thousands separators, not an exponent
        return f"{x:,.0f}"
    return f"{x:.4g}"


def format_comparison(table: Table, title: str = "spacecompute compare") -> Any:
    """A ``rich.table.Table`` of a comparison: metrics as rows, runs as columns, the best value of
    each row in bold green."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    runs = run_columns(table)
    out = RichTable(title=title, title_justify="left")
    out.add_column("metric", style="bold")
    for label in runs:
        out.add_column(escape(label), justify="right")
    out.add_column("better", style="dim")
    mask = _table_best(table, runs)
    for i, label in enumerate(table["label"].tolist()):
        cells = []
        for j, run in enumerate(runs):
            text = escape(format_value(float(table[run][i])))
            cells.append(f"[bold green]{text}[/]" if mask[i, j] else text)
        out.add_row(escape(label), *cells, table["better"][i])
    return out


def comparison_json(table: Table) -> dict[str, Any]:
    """A comparison as plain JSON: ``runs`` and one entry per metric (null for missing values)."""
    runs = run_columns(table)
    mask = _table_best(table, runs)
    metrics = []
    for i, key in enumerate(table["metric"].tolist()):
        values = {r: float(table[r][i]) for r in runs}
        metrics.append(
            {
                "metric": key,
                "better": table["better"][i] or None,
                "values": {r: (v if math.isfinite(v) else None) for r, v in values.items()},
                "best": [r for j, r in enumerate(runs) if mask[i, j]],
            }
        )
    return {"runs": runs, "metrics": metrics}


__all__ = [
    "METRICS",
    "best_mask",
    "compare_results",
    "compare_runs",
    "comparison_json",
    "format_comparison",
    "format_value",
    "load_runs",
    "metric_matrix",
    "run_columns",
    "run_labels",
]
