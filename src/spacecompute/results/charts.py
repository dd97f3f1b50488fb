"""The report's charts as data: what to draw, not how (see :mod:`.figures` for plotly and
matplotlib).

A :class:`Chart` is panels and series (lines, min-max bands, step curves, grouped bars, points)
with their units, built from run directories by :func:`build_charts`. Both renderers draw the
same chart, so the interactive page and its static fallback show the same numbers.

Charts: utilisation over time; battery state of charge and temperature envelopes; latency CDF
(for Earth observation capture to insight, useful frames only); the workload's funnel on a log
scale (Earth observation: bits captured, processed, downlinked, dropped; inference: requests,
answered, within the objective, dropped; training: FLOP executed, spent on jobs, in finished jobs,
lost to faults) beside the bytes each run moved (downlink, lasers, checkpoints); and a map of where
on-board work ran, one panel per run, ground work (a bent pipe's frames processed on the ground)
counted in the panel's title and never drawn as on-board work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .metrics import ANY, DERIVED, EO, INFERENCE, TRAINING, format_quantity
from .store import RunResult

#: Colours by run (matplotlib's tab10, so both renderers agree).
PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip
MAP_MAX_POINTS = 5_000  # per run; a deterministic subsample keeps the page small and quick
MAX_STEPS_DRAWN = 4_000  # time series: longer runs are merged into this many bins
MAX_CDF_POINTS = 2_000  # latency CDF: points per run and job kind

PLOTS: tuple[str, ...] = ("utilisation", "envelopes", "latency_cdf", "funnel", "map")


@dataclass(eq=False)  # compared by identity: the fields are arrays
class Series:
    """One drawn thing: ``kind`` "line", "step" (a staircase), "band" (``y_low`` to ``y``),
    "bar" (``x`` are categories) or "points"; ``color`` indexes :data:`PALETTE`; ``group``
    ties a run's series together (one legend entry toggles them all)."""

    kind: str
    x: np.ndarray
    y: np.ndarray
    name: str
    color: int
    panel: int = 0
    y_low: np.ndarray | None = None
    dash: str = "solid"
    unit: str = ""
    group: str = ""
    legend: bool = True


@dataclass
class Panel:
    """One set of axes. ``empty``: the text shown when no series has data."""

    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    xlog: bool = False
    ylog: bool = False
    xrange: tuple[float, float] | None = None
    yrange: tuple[float, float] | None = None
    time_x: bool = False
    geo: bool = False
    empty: str = ""
    log_span: tuple[float, float] | None = None  # smallest and largest positive value drawn
    percent: bool = False  # y values are fractions: ticks in %


@dataclass
class Chart:
    """Panels on a grid of ``cols`` columns, and their series."""

    name: str
    caption: str
    panels: list[Panel]
    series: list[Series] = field(default_factory=list)
    cols: int = 1
    height_px: int = 380

    def has_data(self, panel: int) -> bool:
        return any(
            s.panel == panel and np.size(s.y) and np.isfinite(np.asarray(s.y, float)).any()
            for s in self.series
        )


def _time(run: RunResult) -> np.ndarray:
    return _bins(run.arrow("steps").column("time").to_numpy(zero_copy_only=False), "first")


def _column(run: RunResult, table: str, name: str, how: str = "mean") -> np.ndarray:
    values = run.arrow(table).column(name).to_numpy(zero_copy_only=False).astype(np.float64)
    return _bins(values, how) if table == "steps" else values


def _bins(values: np.ndarray, how: str) -> np.ndarray:
    """Steps merged into at most :data:`MAX_STEPS_DRAWN` bins (the ``first`` time, the ``mean``,
    ``min`` or ``max`` value of each), so a long run stays a light page; shorter runs as they
    are."""
    n = values.shape[0]
    if n <= MAX_STEPS_DRAWN:
        return values
    starts = np.linspace(0, n, MAX_STEPS_DRAWN, endpoint=False).astype(np.int64)
    if how == "first":
        return values[starts]
    ufunc = {"min": np.fmin, "max": np.fmax, "mean": np.add}[how]
    out = ufunc.reduceat(values, starts)
    return out / np.diff(np.append(starts, n)) if how == "mean" else out


def utilisation_chart(runs: Sequence[RunResult], labels: Sequence[str]) -> Chart:
    """Mean compute utilisation of the fleet over time, one line per run."""
    chart = Chart(
        "utilisation",
        "Mean compute utilisation of the fleet, step by step.",
        [
            Panel(
                xlabel="time (UTC)",
                ylabel="utilisation (mean)",
                time_x=True,
                percent=True,
                empty="no steps",
            )
        ],
    )
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        y = _column(run, "steps", "utilisation_mean")
        chart.series.append(Series("line", _time(run), y, label, i, unit="fraction", group=label))
        # a mix (workloads:): each workload's share of the payloads, dashed, under the total
        names = [
            c[len("utilisation_") :]
            for c in run.arrow("steps").column_names
            if c.startswith("utilisation_") and c != "utilisation_mean"
        ]
        for j, name in enumerate(names):
            y = _column(run, "steps", f"utilisation_{name}")
            dash = ("dash", "dot", "dashdot")[j % 3]
            chart.series.append(
                Series("line", _time(run), y, f"{label}: {name}", i, dash=dash,
                       unit="fraction", group=label)
            )  # fmt: skip
    if any(s.dash != "solid" for s in chart.series):
        chart.caption += " Dashed: each workload's share of a mixed run."
    return chart


def envelopes_chart(runs: Sequence[RunResult], labels: Sequence[str]) -> Chart:
    """Battery state of charge and temperature: min-max band and mean line per run."""
    chart = Chart(
        "envelopes",
        "Battery state of charge and temperature across the fleet: the band spans the coolest "
        "(emptiest) to the warmest (fullest) satellite, the line is the fleet mean.",
        [
            Panel(ylabel="battery state of charge", time_x=True, percent=True, empty="no steps"),
            Panel(xlabel="time (UTC)", ylabel="temperature (K)", time_x=True, empty="no steps"),
        ],
        height_px=560,
    )
    for p, (prefix, suffix, unit) in enumerate(
        (("soc", "", "fraction"), ("temperature", "_k", "K"))
    ):
        for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
            t = _time(run)
            lo, mean, hi = (
                _column(run, "steps", f"{prefix}_{s}{suffix}", s) for s in ("min", "mean", "max")
            )
            chart.series.append(
                Series("band", t, hi, f"{label} min-max", i, p, y_low=lo, unit=unit, group=label,
                       legend=False)
            )  # fmt: skip
            chart.series.append(
                Series("line", t, mean, label, i, p, unit=unit, group=label, legend=p == 0)
            )
    return chart


def _completed(run: RunResult, *columns: str) -> dict[str, np.ndarray]:
    """Columns of the completed jobs of ``run`` (filtered in Arrow, not in Python)."""
    import pyarrow.compute as pc

    jobs = run.arrow("jobs")
    present = [c for c in columns if c in jobs.column_names]
    jobs = jobs.select(["status", *present])
    done = jobs.filter(pc.equal(jobs.column("status"), "completed"))
    return {c: done.column(c).to_numpy(zero_copy_only=False) for c in present}


_DASHES = ("solid", "dash", "dot", "dashdot")


def latency_chart(runs: Sequence[RunResult], labels: Sequence[str], workload: str) -> Chart:
    """Empirical CDF of completed jobs' latency: colour per run, dash per job kind; for Earth
    observation the useful (cloud-free) frames only, i.e. capture to insight."""
    insight = workload == EO
    caption = (
        "Capture to insight: latency of the useful (cloud-free) frames whose result reached the "
        "ground, cumulative."
        if insight
        else "Latency of completed jobs (arrival to end), cumulative, per job kind."
    )
    chart = Chart(
        "latency_cdf",
        caption,
        [Panel(ylabel="fraction of jobs", percent=True, empty="no completed jobs")],
    )
    kinds: list[str] = []
    positive = True
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        done = _completed(run, "kind", "latency_s", "cloudy")
        kind = done["kind"].astype(str)
        lat = done["latency_s"].astype(np.float64)
        ok = np.isfinite(lat)
        if insight and "cloudy" in done:
            ok &= ~done["cloudy"].astype(bool)
        for k in np.unique(kind[ok]):  # a handful of kinds
            if k not in kinds:
                kinds.append(k)
            x = np.sort(lat[ok & (kind == k)])
            positive &= bool(x[0] > 0)
            # the CDF at most MAX_CDF_POINTS quantiles (first and last included)
            rank = np.unique(
                np.linspace(0, x.size - 1, min(x.size, MAX_CDF_POINTS)).astype(np.int64)
            )
            x, y = x[rank], (rank + 1) / x.size
            name = label if np.unique(kind[ok]).size == 1 else f"{label}: {k}"
            chart.series.append(
                Series("step", x, y, name, i, dash=_DASHES[kinds.index(k) % len(_DASHES)],
                       unit="fraction", group=label)
            )  # fmt: skip
    panel = chart.panels[0]
    panel.xlabel = "capture to insight (s)" if insight else "latency (s)"
    panel.xlog = bool(chart.series) and positive
    panel.yrange = (0.0, 1.02)
    return chart


#: Each workload's funnel: unit and (summary key or derived name, stage) in order.
FUNNELS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    EO: ("bit", (("bits_captured", "captured"), ("bits_processed", "processed (board or ground)"),
                 ("bits_downlinked", "downlinked"), ("bits_dropped", "dropped (cloudy + lost)"))),
    INFERENCE: ("", (("jobs_total", "requests"), ("jobs_completed", "answered"),
                     ("jobs_on_time", "within the objective"), ("jobs_dropped", "dropped"))),
    TRAINING: ("FLOP", (("ops_executed", "executed"), ("ops_spent", "spent on jobs"),
                        ("ops_completed_jobs", "in finished jobs"), ("ops_lost", "lost to faults"))),
    ANY: ("bit", (("bits_captured", "captured"), ("bits_processed", "processed"),
                  ("bits_downlinked", "downlinked"), ("bits_dropped", "dropped"))),
}  # fmt: skip

#: The bytes a run moved: (summary keys tried in order, derived allowed; stage).
TRAFFIC: tuple[tuple[tuple[str, ...], str], ...] = (
    (("bytes_downlinked", "bytes_from_bits_downlinked"), "downlink"),
    (("isl_bytes", "allreduce_bytes"), "lasers (ISL)"),
    (("checkpoint_bytes",), "checkpoints"),
)


def _summary_value(run: RunResult, key: str) -> float:
    """A summary number (derived where :data:`DERIVED` defines it), else the sum of the steps
    column of that name, else NaN."""
    import pyarrow.compute as pc

    s = run.summary
    if key == "bytes_from_bits_downlinked":
        v = _summary_value(run, "bits_downlinked")
        return v / 8 if math.isfinite(v) else v
    v = DERIVED[key](s) if key in DERIVED else s.get(key)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
        return float(v)
    steps = run.arrow("steps")
    if key in steps.column_names:
        total = pc.sum(steps.column(key)).as_py()
        return math.nan if total is None else float(total)
    return math.nan


def funnel_values(run: RunResult, workload: str = ANY) -> np.ndarray:
    """The workload's funnel stages of one run (see :data:`FUNNELS`; NaN where missing)."""
    return np.array([_summary_value(run, k) for k, _ in FUNNELS.get(workload, FUNNELS[ANY])[1]])


def traffic_values(run: RunResult) -> np.ndarray:
    """Bytes moved over the downlink, the lasers and to checkpoints (see :data:`TRAFFIC`)."""
    out = np.full(len(TRAFFIC), np.nan)
    for j, (keys, _) in enumerate(TRAFFIC):
        for key in keys:
            v = _summary_value(run, key)
            if math.isfinite(v):
                out[j] = v
                break
    return out


def funnel_chart(runs: Sequence[RunResult], labels: Sequence[str], workload: str) -> Chart:
    """Grouped bars on a log scale: the workload's funnel, and the bytes each run moved."""
    unit, stages = FUNNELS.get(workload, FUNNELS[ANY])
    what = {EO: "Data funnel", INFERENCE: "Request funnel", TRAINING: "Work funnel"}.get(
        workload, "Data funnel"
    )
    chart = Chart(
        "funnel",
        f"{what} ({', '.join(s for _, s in stages)}) and the bytes each run moved, on a log "
        "scale (a bar of zero is not drawn; hover or read the label for its value).",
        [
            Panel(title=what, ylabel=unit or "count", ylog=True, empty="no data"),
            Panel(title="Bytes moved", ylabel="bytes", ylog=True, empty="no traffic"),
        ],
        cols=2,
        height_px=420,
    )
    cats = np.array([s for _, s in stages], dtype=object)
    traffic = np.array([s for _, s in TRAFFIC], dtype=object)
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        chart.series.append(
            Series("bar", cats, funnel_values(run, workload), label, i, 0, unit=unit, group=label)
        )
        chart.series.append(
            Series("bar", traffic, traffic_values(run), label, i, 1, unit="B", group=label,
                   legend=False)
        )  # fmt: skip
    for k, panel in enumerate(chart.panels):
        y = np.concatenate([np.asarray(s.y, float) for s in chart.series if s.panel == k])
        y = y[np.isfinite(y) & (y > 0)]
        panel.log_span = (float(y.min()), float(y.max())) if y.size else None
    return chart


_WHERE = {
    EO: "where each processed frame was imaged",
    INFERENCE: "the requesting users' city",
    TRAINING: "the sub-satellite point where each job first ran",
}


def work_locations(run: RunResult) -> tuple[np.ndarray, np.ndarray, int]:
    """Longitude and latitude (deg) of the completed jobs that ran on board, and how many
    completed jobs ran on the ground. On board: a satellite index and payload energy spent
    (a bent pipe's frames carry their satellite but no on-board energy: ground work)."""
    done = _completed(run, "satellite", "energy_j", "lat_deg", "lon_deg")
    sat = done["satellite"].astype(np.int64)
    energy = done["energy_j"].astype(np.float64)
    on_board = (sat >= 0) & (np.nan_to_num(energy) > 0)
    lat = done["lat_deg"].astype(np.float64)
    lon = done["lon_deg"].astype(np.float64)
    where = on_board & np.isfinite(lat) & np.isfinite(lon)
    return lon[where], lat[where], int((~on_board).sum())


def map_chart(runs: Sequence[RunResult], labels: Sequence[str], workload: str) -> Chart:
    """Where on-board work ran: one longitude/latitude panel per run (equirectangular, no
    basemap); ground work is counted in the panel title, never drawn."""
    where = _WHERE.get(workload, "the sub-satellite point at completion")
    cols = 1 if len(runs) == 1 else 2
    chart = Chart(
        "map",
        f"Where completed work ran on board, one panel per run (location: {where}). Work done "
        "on the ground, such as a bent pipe's frames processed after downlink, is counted in "
        "the title and not drawn.",
        [],
        cols=cols,
        height_px=330 * math.ceil(len(runs) / cols) + 40,
    )
    rng = np.random.default_rng(0)
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        lon, lat, ground = work_locations(run)
        title = f"{label}: {format_quantity(lon.size)} jobs on board"
        if ground:
            title += f", {format_quantity(ground)} on the ground (not drawn)"
        if lon.size > MAP_MAX_POINTS:
            keep = np.sort(rng.choice(lon.size, MAP_MAX_POINTS, replace=False))
            lon, lat = lon[keep], lat[keep]
            title += f"; {MAP_MAX_POINTS:,} drawn"
        chart.panels.append(
            Panel(title=title, xlabel="longitude (deg)", ylabel="latitude (deg)",
                  xrange=(-180.0, 180.0), yrange=(-90.0, 90.0), geo=True,
                  empty="no on-board work" + (" (all on the ground)" if ground else ""))
        )  # fmt: skip
        chart.series.append(Series("points", lon, lat, label, i, i, group=label, legend=False))
    return chart


def build_charts(
    runs: Sequence[RunResult], labels: Sequence[str], workload: str = ANY
) -> list[Chart]:
    """The report's charts, in the order of :data:`PLOTS`."""
    return [
        utilisation_chart(runs, labels),
        envelopes_chart(runs, labels),
        latency_chart(runs, labels, workload),
        funnel_chart(runs, labels, workload),
        map_chart(runs, labels, workload),
    ]


__all__ = [
    "FUNNELS",
    "MAP_MAX_POINTS",
    "PALETTE",
    "PLOTS",
    "TRAFFIC",
    "Chart",
    "Panel",
    "Series",
    "build_charts",
    "funnel_values",
    "traffic_values",
    "work_locations",
]
