"""The answer to a workload's question, in words: which run is best on each headline metric of
:mod:`.metrics`, by how much, and which runs are best overall.

Values within ``rel_tol`` (1 %) of the best count as best: a policy is not "worse" for an energy
per insight 0.02 % higher. ``spacecompute compare`` still marks the exact best of every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import Metric, format_quantity

REL_TOL = 0.01


@dataclass
class Finding:
    """One headline metric across runs: ``values`` (NaN where missing), ``best`` (runs at or
    within ``rel_tol`` of the best value), ``tie`` (every run with a value is best) and
    ``sentence``."""

    metric: Metric
    values: np.ndarray
    best: np.ndarray
    tie: bool
    sentence: str

    @property
    def compared(self) -> bool:
        """Whether at least two runs have a value and the metric has a direction."""
        return self.metric.better is not None and int(np.isfinite(self.values).sum()) >= 2


def _names(labels: Sequence[str], mask: np.ndarray) -> str:
    """ "a", "a and b", "a, b and c"."""
    names = [label for label, m in zip(labels, mask, strict=True) if m]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def near_best(values: np.ndarray, better: str | None, rel_tol: float = REL_TOL) -> np.ndarray:
    """Runs whose value is the best or within ``rel_tol`` of it (False where NaN)."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    if better not in ("higher", "lower") or not finite.any():
        return np.zeros(v.shape, bool)
    best = v[finite].max() if better == "higher" else v[finite].min()
    slack = rel_tol * abs(best)
    with np.errstate(invalid="ignore"):
        ok = v >= best - slack if better == "higher" else v <= best + slack
    return finite & ok


def _sentence(metric: Metric, values: np.ndarray, best: np.ndarray, labels: Sequence[str]) -> str:
    fmt = [format_quantity(float(x), metric.unit) for x in values]
    finite = np.isfinite(values)
    if finite.sum() < 2 or metric.better is None:
        return "; ".join(f"{lab} {f}" for lab, f in zip(labels, fmt, strict=True))
    if best[finite].all():
        lo, hi = values[finite].min(), values[finite].max()
        if lo == hi:
            return f"all equal ({format_quantity(float(lo), metric.unit)})"
        return (
            f"about equal, within {100 * REL_TOL:g} % ({format_quantity(float(lo), metric.unit)}"
            f" to {format_quantity(float(hi), metric.unit)})"
        )
    top = int(np.flatnonzero(best)[0])
    others = [j for j in np.flatnonzero(finite & ~best)]
    text = f"best: {_names(labels, best)} with {fmt[top]}, against " + ", ".join(
        f"{fmt[j]} ({labels[j]})" for j in others
    )
    worst = max(others, key=lambda j: abs(values[j] - values[top]))
    a, b = abs(values[top]), abs(values[worst])
    if a > 0 and b > 0:
        ratio = max(a, b) / min(a, b)
        if ratio >= 2:
            word = "more" if metric.better == "higher" else "less"
            text += (
                f": {ratio:,.3g} times {word}" if ratio < 1e4 else f": {ratio:,.0f} times {word}"
            )
    return text


def findings(values: np.ndarray, metrics: Sequence[Metric], labels: Sequence[str]) -> list[Finding]:
    """One :class:`Finding` per metric (``values``: (metrics, runs))."""
    out = []
    for row, metric in zip(np.asarray(values, dtype=np.float64), metrics, strict=True):
        best = near_best(row, metric.better)
        finite = np.isfinite(row)
        tie = bool(finite.sum() >= 2 and best[finite].all())
        out.append(Finding(metric, row, best, tie, _sentence(metric, row, best, labels)))
    return out


def verdict(found: Sequence[Finding], labels: Sequence[str]) -> str:
    """Which runs are best (or within 1 % of it) on the most headline metrics, in one line."""
    compared = [f for f in found if f.compared]
    if len(labels) < 2:
        return "One run: nothing to compare it with; its answers are below."
    if not compared:
        return "No headline metric can be compared between these runs: nothing to rank."
    wins = np.sum([f.best for f in compared], axis=0)
    n = len(compared)
    top = wins == wins.max()
    decided = [f for f in compared if not f.tie]
    if not decided:
        return f"All runs are equal (within {100 * REL_TOL:g} %) on the {n} headline metrics."
    rest = "; ".join(
        f"{lab} {w} of {n}" for lab, w, t in zip(labels, wins, top, strict=True) if not t
    )
    lead = _names(labels, top)
    verb = "is" if int(top.sum()) == 1 else "are"
    line = f"{lead} {verb} best (or within {100 * REL_TOL:g} %) on {int(wins.max())} of {n}"
    line += " headline metrics" + (f"; {rest}." if rest else ".")
    return line


__all__ = ["REL_TOL", "Finding", "findings", "near_best", "verdict"]
