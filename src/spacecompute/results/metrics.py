"""The one table of run metrics: key, label, unit, direction ("better") and workload.

``spacecompute compare`` and ``report.html`` both read :data:`METRICS`, so a metric means the
same, and points the same way, in both.

A direction belongs to a workload, not to a number. For Earth observation the goal is insights
(useful, cloud-free frames whose result reached the ground) delivered soon for few downlinked
bytes: fewer bytes downlinked is better, and the cloudy frames discarded on board on purpose are
not lost work (Denby & Lucia, "Orbital Edge Computing", ASPLOS 2020). For inference the goal is
requests answered within the latency objective, fast, for little energy per answer; for training,
jobs finished before their deadline with little work lost to faults. Rows with workload ``"*"``
apply to every workload unless a row of the run's workload has the same key (an override); a
comparison of runs of different workloads (``"mixed"``) shows the ``"*"`` rows with no direction:
each workload has its own goal.

Units: ``""`` a count or a plain number, ``"fraction"`` (0..1, shown as %), ``"s"``, ``"B"``
(bytes), ``"bit"``, ``"J"``, ``"FLOP"``. Values are SI; :func:`format_quantity` scales them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

ANY = "*"
MIXED = "mixed"  # runs of different workloads: no direction is shared
EO = "earth-observation"
INFERENCE = "inference"
TRAINING = "training"
MIX = "mix"  # one run of several workloads on one fleet (scenario key workloads:)
WORKLOADS: tuple[str, ...] = (EO, INFERENCE, TRAINING, MIX)


@dataclass(frozen=True)
class Metric:
    """One row: ``key`` (the row's name, e.g. in ``compare --json``), ``label``, ``unit``,
    ``better`` ("higher", "lower" or None: context, no winner), ``workload`` (a workload name or
    ``"*"``), ``source`` (the summary key read when it differs from ``key``, or a derived value of
    :data:`DERIVED`), ``headline`` (one of the workload's questions, shown first and used for the
    report's verdict) and ``why`` (the reason for the direction, shown in the report)."""

    key: str
    label: str
    unit: str
    better: str | None
    workload: str = ANY
    source: str | None = None
    headline: bool = False
    why: str = ""

    @property
    def read(self) -> str:
        """The summary key (or derived name) this row reads."""
        return self.source or self.key

    @property
    def title(self) -> str:
        """Label with its unit, as in a table header: "latency median (s)"."""
        unit = {"fraction": "", "": ""}.get(self.unit, self.unit)
        return f"{self.label} ({unit})" if unit else self.label


M = Metric
METRICS: tuple[Metric, ...] = (
    # ---- every workload (the run-directory contract's summary keys first)
    M("satellites", "satellites", "", None),
    M("steps", "steps", "", None),
    M("jobs_total", "jobs total", "", None),
    M("jobs_completed", "jobs completed", "", "higher"),
    M("jobs_dropped", "jobs dropped", "", "lower"),
    M("completion_rate", "completion rate", "fraction", "higher"),
    M("latency_median_s", "latency median", "s", "lower"),
    M("latency_p95_s", "latency p95", "s", "lower"),
    M("bits_captured", "bits captured", "bit", None),
    M("bits_processed", "bits processed", "bit", "higher"),
    M("bits_downlinked", "bits downlinked", "bit", "higher"),
    M("bits_dropped", "bits dropped", "bit", "lower"),
    M("delivered_fraction", "downlinked / captured", "fraction", "higher"),
    M("energy_compute_j", "compute energy", "J", None),
    M("brownouts", "brownouts (satellite-steps)", "", "lower"),
    M("faults_silent", "silent faults", "", "lower"),
    M("wall_time_s", "wall time", "s", None),
    # ---- Earth observation: insights, soon, for few downlinked bytes
    M("insights_delivered", "insights delivered (useful frames)", "", "higher", EO,
      headline=True, why="the goal: cloud-free frames whose result reached the ground"),
    M("insight_latency_median_s", "capture to insight, median", "s", "lower", EO,
      headline=True, why="an insight is worth more the sooner it arrives"),
    M("bytes_downlinked", "bytes downlinked", "B", "lower", EO, headline=True,
      why="every downlinked byte costs ground-station time; insights, not bytes, are the goal"),
    M("energy_per_insight_j", "energy per insight", "J", "lower", EO, headline=True,
      why="payload energy (idle draw included) per insight delivered"),
    M("insight_latency_p95_s", "capture to insight, p95", "s", "lower", EO),
    M("downlink_time_s", "ground-station time used", "s", "lower", EO,
      why="contact time is the scarce, paid-for resource of a ground network"),
    M("jobs_lost", "frames lost (storage full)", "", "lower", EO,
      why="frames that never got a chance: true losses"),
    M("jobs_discarded_cloudy", "cloudy frames discarded on board", "", None, EO,
      why="discarded on purpose: a cloudy frame holds no insight"),
    M("jobs_completed", "frames processed (on board or on the ground)", "", None, EO,
      why="bent pipe 'completes' cloudy frames on the ground: a count of work, not of value"),
    M("jobs_dropped", "frames dropped (cloudy discarded + lost)", "", None, EO,
      why="mostly cloudy frames discarded on purpose; see frames lost"),
    M("completion_rate", "frames processed / captured", "fraction", None, EO),
    M("latency_median_s", "frame latency median", "s", None, EO,
      why="over every processed frame, cloudy ones included; see capture to insight"),
    M("latency_p95_s", "frame latency p95", "s", None, EO),
    M("bits_processed", "bits processed", "bit", None, EO),
    M("bits_downlinked", "bits downlinked", "bit", "lower", EO,
      why="fewer is better: see bytes downlinked"),
    M("bits_dropped", "bits dropped (cloudy discarded + lost)", "bit", None, EO),
    M("delivered_fraction", "downlinked / captured", "fraction", "lower", EO,
      why="the fraction of the captured data that had to be sent down"),
    M("isl_bytes", "laser (ISL) bytes", "B", None, EO),
    # ---- inference: answered within the objective, fast, for little energy per answer
    M("jobs_on_time", "answered within the objective", "", "higher", INFERENCE, headline=True,
      why="the goal: requests answered within the latency objective"),
    M("latency_median_s", "latency median", "s", "lower", INFERENCE, headline=True),
    M("latency_p95_s", "latency p95", "s", "lower", INFERENCE, headline=True,
      why="the tail is what users notice"),
    M("energy_per_completed_j", "energy per answered request", "J", "lower", INFERENCE,
      headline=True),
    M("on_time_fraction", "answered within the objective / requests", "fraction", "higher",
      INFERENCE),
    M("jobs_completed", "requests answered", "", "higher", INFERENCE),
    M("jobs_late", "answered late", "", "lower", INFERENCE),
    M("dropped_no_satellite", "dropped: no satellite in view", "", "lower", INFERENCE),
    M("dropped_no_capacity", "dropped: no compute capacity", "", "lower", INFERENCE),
    M("dropped_deadline", "dropped: deadline", "", "lower", INFERENCE),
    M("isl_bytes", "laser (ISL) bytes", "B", None, INFERENCE,
      why="the cost of offloading over the lasers"),
    # ---- training: finished before the deadline, little work lost
    M("jobs_on_time", "finished before the deadline", "", "higher", TRAINING, headline=True,
      why="the goal: training jobs done in time"),
    M("jobs_missed_deadline", "missed the deadline", "", "lower", TRAINING, headline=True),
    M("work_lost_fraction", "work lost to faults / work spent", "fraction", "lower", TRAINING,
      headline=True, why="rollbacks to the last checkpoint after a fault"),
    M("ops_completed_jobs", "work of finished jobs", "FLOP", "higher", TRAINING),
    M("ops_lost", "work lost to faults", "FLOP", "lower", TRAINING),
    M("jobs_rejected", "rejected", "", "lower", TRAINING),
    M("jobs_pending", "running or queued at the end", "", None, TRAINING),
    M("isl_bytes", "laser (ISL) bytes: all-reduce", "B", None, TRAINING,
      source="allreduce_bytes", why="gradient all-reduce over the laser ring"),
    M("checkpoint_bytes", "checkpoint traffic", "B", None, TRAINING),
    M("utilisation_mean", "payload utilisation", "fraction", "higher", TRAINING),
)  # fmt: skip
del M


def _number(value: Any) -> float:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return math.nan
    return float(value)


def _ratio(num: str, den: str) -> Callable[[Mapping[str, Any]], float]:
    def derive(s: Mapping[str, Any]) -> float:
        a, b = _number(s.get(num)), _number(s.get(den))
        return a / b if b > 0 else math.nan

    return derive


def _checkpoint_bytes(s: Mapping[str, Any]) -> float:
    w, r = _number(s.get("checkpoint_write_bytes")), _number(s.get("checkpoint_read_bytes"))
    return (
        math.nan
        if math.isnan(w) and math.isnan(r)
        else math.fsum(x for x in (w, r) if not math.isnan(x))
    )


#: Values computed from other summary keys (NaN where their inputs are missing).
DERIVED: dict[str, Callable[[Mapping[str, Any]], float]] = {
    "completion_rate": _ratio("jobs_completed", "jobs_total"),
    "delivered_fraction": _ratio("bits_downlinked", "bits_captured"),
    "work_lost_fraction": _ratio("ops_lost", "ops_spent"),
    "checkpoint_bytes": _checkpoint_bytes,
}

#: Each workload's question, in words (the report's first line).
QUESTIONS: dict[str, str] = {
    EO: "Which policy delivers the most insights, soonest, for the fewest downlinked bytes?",
    INFERENCE: "Which policy answers the most requests within the latency objective, fastest, "
    "for the least energy per answer?",
    TRAINING: "Which policy finishes the most training jobs before their deadline and loses "
    "the least work to faults?",
    ANY: "Which run completes the most jobs, soonest, with the fewest dropped?",
    MIX: "What does each workload get of the shared satellites: requests answered on time, "
    "insights, jobs done, and each one's share of the payloads and of their energy?",
    MIXED: "Runs of different workloads: side by side, with no best marked (each workload has "
    "its own goal; compare runs of one workload for a verdict).",
}

_GENERIC_HEADLINE = ("jobs_completed", "jobs_dropped", "latency_median_s")


def _mix_rows() -> tuple[Metric, ...]:
    """A mix's rows: what each workload (by its default name) got of the shared fleet."""
    rows = [
        Metric(
            "on_time_fraction_inference", "inference: answered on time", "fraction", "higher",
            MIX, headline=True, why="requests answered within their latency objective",
        ),
        Metric("insights_delivered_eo", "eo: insights delivered", "", "higher", MIX, headline=True),
    ]  # fmt: skip
    for name in ("inference", "eo", "training", "batch"):
        lead = name in ("training", "batch")
        rows += [
            Metric(f"jobs_completed_{name}", f"{name}: jobs completed", "", "higher", MIX,
                   headline=lead),
            Metric(f"jobs_dropped_{name}", f"{name}: jobs dropped", "", "lower", MIX),
            Metric(f"utilisation_{name}", f"{name}: share of the payloads", "fraction", None, MIX),
            Metric(f"energy_{name}_j", f"{name}: payload energy above idle", "J", None, MIX),
        ]  # fmt: skip
    rows.append(Metric("energy_idle_j", "payload idle energy", "J", None, MIX))
    return tuple(rows)


METRICS = METRICS + _mix_rows()


def workload_of(summary: Mapping[str, Any]) -> str:
    """The workload of a run summary: its ``workload`` key, else recognised by its keys
    (inference runs carry ``on_time_fraction``), else ``"*"`` (unknown: generic metrics)."""
    w = summary.get("workload")
    if isinstance(w, str) and w in WORKLOADS:
        return w
    if "on_time_fraction" in summary or "latency_objective_s" in summary:
        return INFERENCE
    if "allreduce_bytes" in summary:
        return TRAINING
    if "insights_delivered" in summary:
        return EO
    return ANY


def common_workload(summaries: Sequence[Mapping[str, Any]]) -> str:
    """The workload every summary shares, else ``"mixed"``."""
    kinds = {workload_of(s) for s in summaries}
    return kinds.pop() if len(kinds) == 1 else MIXED


def metrics_for(workload: str) -> list[Metric]:
    """The rows for ``workload``: its headline rows first, then the ``"*"`` rows in order (each
    replaced by the workload's row of the same key, if any), then its other rows. ``"mixed"``:
    the ``"*"`` rows with no direction."""
    if workload == MIXED:
        return [replace(m, better=None) for m in METRICS if m.workload == ANY]
    own = [m for m in METRICS if m.workload == workload] if workload != ANY else []
    by_key = {m.key: m for m in own}
    generic = [by_key.get(m.key, m) for m in METRICS if m.workload == ANY]
    generic_keys = {m.key for m in generic}
    rest = [m for m in own if m.key not in generic_keys]
    rows = generic + rest
    if workload == ANY:
        headline = [m for m in rows if m.key in _GENERIC_HEADLINE]
    else:
        headline = [m for m in own if m.headline]  # in the order of the workload's question
    return headline + [m for m in rows if m not in headline]


def headline_metrics(workload: str) -> list[Metric]:
    """The rows that answer the workload's question (see :data:`QUESTIONS`)."""
    rows = metrics_for(workload)
    if workload in (ANY, MIXED):
        return [m for m in rows if m.key in _GENERIC_HEADLINE]
    return [m for m in rows if m.headline]


def metric_value(summary: Mapping[str, Any], metric: Metric) -> float:
    """A row's value for one run (NaN where the run has none)."""
    if metric.read in DERIVED:
        return DERIVED[metric.read](summary)
    return _number(summary.get(metric.read))


_PREFIXES = ((1e21, "Z"), (1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"),
             (1e3, "k"))  # fmt: skip


def _count(x: float) -> str:
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.4g}"


def format_quantity(x: float | None, unit: str = "") -> str:
    """A value with its unit for display: "-" if missing; bytes, bits, joules and FLOP with SI
    prefixes ("18.78 MB"), seconds as s / min / h, fractions as %, counts with separators."""
    if x is None or not math.isfinite(x):
        return "-"
    if unit == "fraction":
        return f"{100 * x:.3g} %" if abs(x) >= 1e-3 or x == 0 else f"{100 * x:.2e} %"
    if unit == "s":
        if abs(x) >= 3600:
            return f"{x / 3600:,.2f} h"
        return f"{x / 60:,.1f} min" if abs(x) >= 60 else f"{x:.3g} s"
    if unit in ("B", "bit", "J", "FLOP"):
        for factor, prefix in _PREFIXES:
            if abs(x) >= factor:
                return f"{x / factor:,.2f} {prefix}{unit}"
        return f"{x:.3g} {unit}"
    return _count(x)


__all__ = [
    "ANY",
    "DERIVED",
    "EO",
    "INFERENCE",
    "METRICS",
    "MIXED",
    "QUESTIONS",
    "TRAINING",
    "WORKLOADS",
    "Metric",
    "common_workload",
    "format_quantity",
    "headline_metrics",
    "metric_value",
    "metrics_for",
    "workload_of",
]
