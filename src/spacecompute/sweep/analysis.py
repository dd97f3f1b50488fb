"""Statistics of a sweep table: effects of each axis with 95 % confidence intervals over seeds,
2-D means for pairs of grid axes, and the Pareto front of two metrics.

Effect of axis A at level v on metric m: for each replicate (seed) r, the mean of m over the
finished cells with A = v and replicate r (averaging over the other axes); the effect is the
mean of these per-seed values, with the two-sided 95 % Student-t interval
``mean +/- t(0.975, n-1) s / sqrt(n)`` over the n seeds (no interval with one seed). Seeds are
shared across the cells of a replicate (common random numbers), so differences between levels
are not blurred by different draws.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Better direction of common metrics (the rest have none): "min" or "max".
GOALS: dict[str, str] = {
    "insights_delivered": "max",
    "insight_latency_median_s": "min",
    "insight_latency_p95_s": "min",
    "energy_per_insight_j": "min",
    "jobs_on_time": "max",
    "on_time_fraction": "max",
    "latency_median_s": "min",
    "latency_p95_s": "min",
    "energy_compute_j": "min",
    "energy_per_completed_j": "min",
    "jobs_completed": "max",
    "jobs_dropped": "min",
    "jobs_lost": "min",
    "brownouts": "min",
    "ops_lost": "min",
    "bits_downlinked": "max",
    "space_usd_per_kw_year": "min",
    "space_usd_per_gpu_hour": "min",
    "space_usd_per_pflop_day": "min",
    "space_to_terrestrial_ratio": "min",
    "mass_total_kg": "min",
    "break_even_launch_price_usd_per_kg": "max",
}

#: Metrics the report shows when the sweep file names none, by workload (or "planner").
DEFAULT_METRICS: dict[str, tuple[str, ...]] = {
    "earth-observation": (
        "insights_delivered",
        "insight_latency_median_s",
        "energy_per_insight_j",
        "bits_downlinked",
        "brownouts",
    ),
    "inference": ("on_time_fraction", "latency_median_s", "energy_per_completed_j", "jobs_on_time"),
    "training": ("jobs_on_time", "jobs_missed_deadline", "ops_lost", "energy_compute_j"),
    "planner": (
        "space_usd_per_kw_year",
        "space_to_terrestrial_ratio",
        "mass_total_kg",
        "satellites",
        "break_even_launch_price_usd_per_kg",
    ),
}

#: The Pareto pair when the sweep file names none: (x, y), each with its goal in GOALS.
DEFAULT_PARETO: dict[str, tuple[str, str]] = {
    "earth-observation": ("energy_per_insight_j", "insight_latency_median_s"),
    "inference": ("energy_compute_j", "jobs_on_time"),
    "training": ("energy_compute_j", "jobs_on_time"),
    "planner": ("space_usd_per_kw_year", "mass_total_kg"),
}


def numbers(values: Sequence[Any]) -> np.ndarray:
    """Floats (NaN for missing or non-numeric values)."""
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if isinstance(v, int | float) and not isinstance(v, bool):
            out[i] = float(v)
    return out


def mean_ci(samples: Sequence[float], level: float = 0.95) -> tuple[float, float | None, int]:
    """(mean, half-width of the two-sided Student-t interval or None, n) of the finite
    ``samples``."""
    from scipy.stats import t

    x = np.asarray(samples, dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return math.nan, None, 0
    mean = float(x.mean())
    if n < 2:
        return mean, None, n
    half = float(t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, half, n


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


@dataclass(frozen=True)
class Effect:
    """The metric's mean at one level of an axis, with its 95 % interval over seeds."""

    level: Any
    mean: float
    half_width: float | None
    seeds: int


def per_seed_means(
    rows: Sequence[Mapping[str, Any]], metric: str, where: Mapping[str, Any]
) -> list[float]:
    """For each replicate, the mean of ``metric`` over finished rows matching ``where``."""
    by_seed: dict[int, list[float]] = {}
    for row in rows:
        if row.get("status") != "ok":
            continue
        if any(_key(row.get(k)) != _key(v) for k, v in where.items()):
            continue
        value = numbers([row.get(metric)])[0]
        if np.isfinite(value):
            by_seed.setdefault(int(row["replicate"]), []).append(float(value))
    return [float(np.mean(v)) for _, v in sorted(by_seed.items())]


def effects(
    rows: Sequence[Mapping[str, Any]], axis: str, levels: Sequence[Any], metric: str
) -> list[Effect]:
    """:class:`Effect` of each level of a grid axis on ``metric`` (see the module docstring)."""
    out = []
    for level in levels:
        mean, half, n = mean_ci(per_seed_means(rows, metric, {axis: level}))
        out.append(Effect(level, mean, half, n))
    return out


def grid_means(
    rows: Sequence[Mapping[str, Any]],
    x_axis: str,
    x_levels: Sequence[Any],
    y_axis: str,
    y_levels: Sequence[Any],
    metric: str,
) -> np.ndarray:
    """Mean of ``metric`` over seeds (and the other axes) for each (y level, x level)."""
    out = np.full((len(y_levels), len(x_levels)), np.nan)
    for i, yv in enumerate(y_levels):
        for j, xv in enumerate(x_levels):
            values = per_seed_means(rows, metric, {x_axis: xv, y_axis: yv})
            if values:
                out[i, j] = float(np.mean(values))
    return out


def pareto_front(x: np.ndarray, y: np.ndarray, x_goal: str, y_goal: str) -> np.ndarray:
    """Indices of the points that no other point dominates (at least as good on both metrics,
    better on one), ordered by x; NaN points are never on the front."""
    x = np.asarray(x, dtype=float) * (1.0 if x_goal == "min" else -1.0)
    y = np.asarray(y, dtype=float) * (1.0 if y_goal == "min" else -1.0)
    idx = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    order = idx[np.lexsort((y[idx], x[idx]))]
    front = []
    best_y = math.inf
    for i in order:  # sorted by x then y: a point is on the front iff its y beats all before it
        if y[i] < best_y:
            front.append(int(i))
            best_y = y[i]
    return np.array(front, dtype=np.int64)


def combination_means(
    rows: Sequence[Mapping[str, Any]], axes: Sequence[str], metrics: Sequence[str]
) -> list[dict[str, Any]]:
    """One row per combination of axis values (over seeds): the axes and the metrics' means."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row.get("status") == "ok":
            groups.setdefault(_key([row.get(a) for a in axes]), []).append(row)
    out = []
    for members in groups.values():
        combo = {a: members[0].get(a) for a in axes}
        for m in metrics:
            vals = numbers([r.get(m) for r in members])
            combo[m] = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
        combo["seeds"] = len(members)
        out.append(combo)
    return out


__all__ = [
    "DEFAULT_METRICS",
    "DEFAULT_PARETO",
    "GOALS",
    "Effect",
    "combination_means",
    "effects",
    "grid_means",
    "mean_ci",
    "numbers",
    "pareto_front",
    "per_seed_means",
]
