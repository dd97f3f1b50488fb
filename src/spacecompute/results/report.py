"""``report.html`` of a run directory: one self-contained page (PNG plots embedded as base64).

Plots: utilisation over time, battery state of charge and temperature envelopes (min/mean/max
bands), latency CDF per job kind, the data funnel (captured -> processed -> downlinked, and
dropped), a map of where completed work ran (plain longitude/latitude axes) and a summary
table. For a comparison run the same plots overlay one curve per policy.
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..table import atomic_write_text
from .metrics import METRICS
from .compare import best_mask, format_value, metric_matrix, run_labels
from .store import RunResult, find_runs

PLOTS: tuple[str, ...] = ("utilisation", "envelopes", "latency_cdf", "funnel", "map")
CAPTIONS: dict[str, str] = {
    "utilisation": "Mean compute utilisation of the fleet, step by step.",
    "envelopes": "Battery state of charge and temperature across the fleet: the band spans the "
    "minimum to the maximum satellite, the line is the mean.",
    "latency_cdf": "Latency of completed jobs (arrival to end), cumulative, per job kind.",
    "funnel": "Data funnel: bits captured, processed, downlinked and dropped.",
    "map": "Where completed work ran (sub-satellite point at completion; ground work not shown).",
}
MAP_MAX_POINTS = 20_000  # per run; a deterministic subsample keeps the page small

_CSS = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th:first-child,td:first-child{text-align:left}"
    "td.best{font-weight:bold;color:#176317}figure{margin:1.5em 0}img{max-width:100%}"
    ".small{font-size:85%;color:#555}"
)


def _figure(nrows: int = 1, ncols: int = 1, width: float = 8.0, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), dpi=100, squeeze=False)
    return fig, axes


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _color(i: int) -> str:
    return f"C{i % 10}"


def _legend(ax) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#777")


def plot_utilisation(runs: Sequence[RunResult], labels: Sequence[str]) -> bytes:
    """Mean utilisation over time, one line per run."""
    fig, axes = _figure()
    ax = axes[0, 0]
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        steps = run.arrow("steps")
        t = steps.column("time").to_numpy(zero_copy_only=False)
        ax.plot(t, steps.column("utilisation_mean").to_numpy(), color=_color(i), label=label)
    ax.set_ylabel("utilisation (mean)")
    ax.set_xlabel("time (UTC)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    _legend(ax)
    fig.autofmt_xdate()
    return _png(fig)


def plot_envelopes(runs: Sequence[RunResult], labels: Sequence[str]) -> bytes:
    """Battery SoC and temperature: min-max band and mean line per run."""
    fig, axes = _figure(2, 1, height=6.0)
    panels = (("soc", "", "battery state of charge"), ("temperature", "_k", "temperature (K)"))
    for ax, (prefix, suffix, ylabel) in zip(axes[:, 0], panels, strict=True):
        for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
            steps = run.arrow("steps")
            t = steps.column("time").to_numpy(zero_copy_only=False)
            lo, mean, hi = (
                steps.column(f"{prefix}_{s}{suffix}").to_numpy().astype(np.float64)
                for s in ("min", "mean", "max")
            )
            ax.fill_between(t, lo, hi, color=_color(i), alpha=0.2, linewidth=0)
            ax.plot(t, mean, color=_color(i), label=label)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        _legend(ax)
    axes[1, 0].set_xlabel("time (UTC)")
    fig.autofmt_xdate()
    return _png(fig)


def _completed(run: RunResult, *columns: str) -> dict[str, np.ndarray]:
    """Columns of the completed jobs of ``run`` (filtered in Arrow, not in Python)."""
    import pyarrow.compute as pc

    jobs = run.arrow("jobs").select(["status", *columns])
    done = jobs.filter(pc.equal(jobs.column("status"), "completed"))
    return {c: done.column(c).to_numpy(zero_copy_only=False) for c in columns}


def plot_latency_cdf(runs: Sequence[RunResult], labels: Sequence[str]) -> bytes:
    """Empirical CDF of completed jobs' latency: colour per run, line style per job kind."""
    fig, axes = _figure()
    ax = axes[0, 0]
    styles = ("-", "--", ":", "-.")
    kinds_seen: list[str] = []
    any_data = False
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        done = _completed(run, "kind", "latency_s")
        kind = done["kind"].astype(str)
        lat = done["latency_s"].astype(np.float64)
        ok = np.isfinite(lat)
        for k in np.unique(kind[ok]):  # a handful of kinds
            if k not in kinds_seen:
                kinds_seen.append(k)
            x = np.sort(lat[ok & (kind == k)])
            y = np.arange(1, x.size + 1) / x.size
            ax.step(
                x,
                y,
                where="post",
                color=_color(i),
                linestyle=styles[kinds_seen.index(k) % len(styles)],
                label=f"{label}: {k}" if len(runs) > 1 else str(k),
            )
            any_data = True
    if any_data:
        positive = [ln.get_xdata() for ln in ax.get_lines()]
        if all(np.nanmin(x) > 0 for x in positive if len(x)):
            ax.set_xscale("log")
    else:
        _empty(ax, "no completed jobs")
    ax.set_xlabel("latency (s)")
    ax.set_ylabel("fraction of completed jobs")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    _legend(ax)
    return _png(fig)


FUNNEL: tuple[str, ...] = ("bits_captured", "bits_processed", "bits_downlinked", "bits_dropped")


def funnel_values(run: RunResult) -> np.ndarray:
    """(4,) bits captured, processed, downlinked, dropped: from the summary, or summed over the
    steps table where the summary has null."""
    import pyarrow.compute as pc

    steps = run.arrow("steps")
    out = np.empty(len(FUNNEL))
    for j, key in enumerate(FUNNEL):
        v = run.summary.get(key)
        if v is None:
            v = pc.sum(steps.column(key)).as_py()
        out[j] = np.nan if v is None else float(v)
    return out


def plot_funnel(runs: Sequence[RunResult], labels: Sequence[str]) -> bytes:
    """Grouped bars of the data funnel, one colour per run."""
    fig, axes = _figure()
    ax = axes[0, 0]
    values = np.array([funnel_values(r) for r in runs])  # (runs, 4)
    x = np.arange(len(FUNNEL))
    width = 0.8 / len(runs)
    for i, label in enumerate(labels):
        ax.bar(
            x + (i - (len(runs) - 1) / 2) * width, values[i], width, color=_color(i), label=label
        )
    ax.set_xticks(x, [k.removeprefix("bits_") for k in FUNNEL])
    ax.set_ylabel("bits")
    ax.grid(alpha=0.3, axis="y")
    _legend(ax)
    return _png(fig)


def plot_map(runs: Sequence[RunResult], labels: Sequence[str]) -> bytes:
    """Where completed work ran: longitude/latitude scatter (equirectangular, no basemap)."""
    fig, axes = _figure(height=4.5)
    ax = axes[0, 0]
    rng = np.random.default_rng(0)
    any_data = False
    for i, (run, label) in enumerate(zip(runs, labels, strict=True)):
        done = _completed(run, "lat_deg", "lon_deg")
        lat = done["lat_deg"].astype(np.float64)
        lon = done["lon_deg"].astype(np.float64)
        ok = np.flatnonzero(np.isfinite(lat) & np.isfinite(lon))
        if ok.size > MAP_MAX_POINTS:
            ok = np.sort(rng.choice(ok, MAP_MAX_POINTS, replace=False))
        if ok.size:
            any_data = True
            ax.scatter(lon[ok], lat[ok], s=4, alpha=0.5, color=_color(i), label=label)
    if not any_data:
        _empty(ax, "no completed work in orbit")
    ax.set_xlim(-180, 180)
    ax.set_ylim(-90, 90)
    ax.set_xticks(np.arange(-180, 181, 60))
    ax.set_yticks(np.arange(-90, 91, 30))
    ax.set_aspect("equal")
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.grid(alpha=0.3)
    if len(runs) > 1:
        _legend(ax)
    return _png(fig)


def plots(runs: Sequence[RunResult], labels: Sequence[str] | None = None) -> dict[str, bytes]:
    """The report's PNG plots by name (see :data:`PLOTS`)."""
    labels = list(labels) if labels is not None else run_labels(runs)
    makers = {
        "utilisation": plot_utilisation,
        "envelopes": plot_envelopes,
        "latency_cdf": plot_latency_cdf,
        "funnel": plot_funnel,
        "map": plot_map,
    }
    return {name: makers[name](runs, labels) for name in PLOTS}


def _e(x: Any) -> str:
    return html.escape(str(x))


def render_html(
    runs: Sequence[RunResult], images: dict[str, bytes], title: str = "spacecompute run"
) -> str:
    """The report page: run descriptions, summary table (best value per row in bold) and plots."""
    labels = run_labels(runs)
    values = metric_matrix(runs)
    best = best_mask(values, [b for _, _, b in METRICS]) if len(runs) > 1 else None
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<h2>Runs</h2><table><tr><th>run</th><th>scenario</th><th>policy</th><th>start</th>"
        "<th>end</th><th>step (s)</th></tr>",
    ]
    for label, run in zip(labels, runs, strict=True):
        s = run.summary
        parts.append(
            f"<tr><td>{_e(label)}</td><td>{_e(s.get('scenario'))}</td><td>{_e(s.get('policy'))}"
            f"</td><td>{_e(s.get('start'))}</td><td>{_e(s.get('end'))}</td>"
            f"<td>{_e(format_value(_num(s.get('step_s'))))}</td></tr>"
        )
    parts.append("</table><h2>Summary</h2><table><tr><th>metric</th>")
    parts += [f"<th>{_e(label)}</th>" for label in labels]
    parts.append("</tr>")
    for i, (_, name, better) in enumerate(METRICS):
        hint = f" <span class='small'>({better} is better)</span>" if better else ""
        parts.append(f"<tr><td>{_e(name)}{hint}</td>")
        for j in range(len(runs)):
            cls = " class='best'" if best is not None and best[i, j] else ""
            parts.append(f"<td{cls}>{_e(format_value(values[i, j]))}</td>")
        parts.append("</tr>")
    parts.append("</table><h2>Plots</h2>")
    for name in PLOTS:
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            parts.append(
                f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
                f"<figcaption class='small'>{_e(CAPTIONS[name])}</figcaption></figure>"
            )
    parts.append("</body></html>")
    return "\n".join(parts)


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")


def write_report(run_dir: str | os.PathLike) -> Path:
    """(Re)write ``run_dir/report.html`` (atomically) for a run or a comparison run; returns
    its path. Raises :class:`~spacecompute.errors.InputError` if ``run_dir`` is not a run."""
    path = Path(run_dir)
    runs = find_runs(path)
    if len(runs) > 1:
        title = f"spacecompute comparison: {path.name} ({', '.join(r.label for r in runs)})"
    else:
        s = runs[0].summary
        title = f"spacecompute run: {s.get('scenario')} / {s.get('policy')}"
    page = render_html(runs, plots(runs), title=title)
    return atomic_write_text(path / "report.html", page)


__all__ = [
    "CAPTIONS",
    "PLOTS",
    "funnel_values",
    "plot_envelopes",
    "plot_funnel",
    "plot_latency_cdf",
    "plot_map",
    "plot_utilisation",
    "plots",
    "render_html",
    "write_report",
]
