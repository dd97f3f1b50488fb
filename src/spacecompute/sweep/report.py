"""``DIR/report.html`` of a sweep: what each axis does to each metric, heatmaps, Pareto front.

Self-contained HTML (PNG figures inline). Sections: the cells (finished, failed and why); for
each metric the effect of every axis (mean over the other axes, 95 % interval over seeds, see
:mod:`spacecompute.sweep.analysis`), ranged axes as scatter plots; a heatmap of each metric for
each pair of grid axes with two or more levels; the Pareto front of two metrics over the
combinations' means.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .analysis import (
    DEFAULT_METRICS,
    DEFAULT_PARETO,
    GOALS,
    combination_means,
    effects,
    grid_means,
    numbers,
    pareto_front,
)
from .results import read_table

#: At most this many heatmaps (metrics x pairs of grid axes) in a report.
MAX_HEATMAPS = 12

_CSS = (
    "body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 8px;"
    "text-align:right}th:first-child,td:first-child{text-align:left}"
    "figure{margin:1.5em 0}img{max-width:100%}.small{font-size:85%;color:#555}"
)


def _e(x: Any) -> str:
    return html.escape(str(x))


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return "-"
        return f"{v:.4g}"
    return "-" if v is None else str(v)


def _png(fig) -> str:
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _figure(ncols: int, width: float = 3.6, height: float = 3.0):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt.subplots(1, ncols, figsize=(width * ncols, height), squeeze=False)


def _label(metric: str) -> str:
    goal = GOALS.get(metric)
    return metric + (
        " (lower is better)" if goal == "min" else " (higher is better)" if goal == "max" else ""
    )


def _metrics(meta: dict, rows: list[dict], kind: str) -> list[str]:
    wanted = list(meta.get("report", {}).get("metrics") or []) or list(
        DEFAULT_METRICS.get(kind, ())
    )
    present = [m for m in wanted if np.isfinite(numbers([r.get(m) for r in rows])).any()]
    if present:
        return present
    skip = {"cell", "replicate", "seed", "cell_wall_time_s", "wall_time_s", "steps", "step_s"}
    skip |= {a["key"] for a in meta.get("axes", [])}
    names = [k for k in (rows[0] if rows else {}) if k not in skip]
    return [m for m in names if np.isfinite(numbers([r.get(m) for r in rows])).any()][:5]


def _kind(meta: dict, rows: list[dict]) -> str:
    if meta.get("kind") == "planner":
        return "planner"
    found = [r.get("workload") for r in rows if r.get("workload")]
    return str(found[0]) if found else "earth-observation"


def _effects_figure(rows: list[dict], axes: list[dict], metric: str) -> str:
    fig, subplots = _figure(len(axes))
    for ax, a in zip(subplots[0], axes, strict=True):
        if a["kind"] == "grid":
            levels = a["values"]
            eff = effects(rows, a["key"], levels, metric)
            xs = np.arange(len(levels))
            means = np.array([e.mean for e in eff])
            err = np.array([e.half_width if e.half_width is not None else 0.0 for e in eff])
            ax.errorbar(xs, means, yerr=err, fmt="o", capsize=4)
            ax.set_xticks(xs, [str(v) for v in levels], rotation=20, fontsize="small")
        else:
            ok = [r for r in rows if r.get("status") == "ok"]
            x = numbers([r.get(a["key"]) for r in ok])
            y = numbers([r.get(metric) for r in ok])
            ax.scatter(
                x, y, s=14, c=[r.get("replicate", 0) for r in ok], cmap="tab10", vmin=0, vmax=9
            )
            if a.get("log"):
                ax.set_xscale("log")
        ax.set_xlabel(a["key"], fontsize="small")
        ax.set_ylabel(metric, fontsize="small")
        ax.grid(alpha=0.3)
    return _png(fig)


def _effects_table(rows: list[dict], axes: list[dict], metric: str) -> str:
    parts = [
        "<table><tr><th>axis = level</th><th>mean</th><th>95 % interval</th><th>seeds</th></tr>"
    ]
    for a in axes:
        if a["kind"] != "grid":
            continue
        for e in effects(rows, a["key"], a["values"], metric):
            ci = (
                "-"
                if e.half_width is None
                else f"{e.mean - e.half_width:.4g} .. {e.mean + e.half_width:.4g}"
            )
            parts.append(
                f"<tr><td>{_e(a['key'])} = {_e(e.level)}</td><td>{_fmt(e.mean)}</td>"
                f"<td>{ci}</td><td>{e.seeds}</td></tr>"
            )
    parts.append("</table>")
    return "".join(parts)


def _heatmap(rows: list[dict], ax_x: dict, ax_y: dict, metric: str) -> str:
    grid = grid_means(rows, ax_x["key"], ax_x["values"], ax_y["key"], ax_y["values"], metric)
    fig, subplots = _figure(1, width=5.5, height=4.0)
    ax = subplots[0][0]
    cmap = "viridis_r" if GOALS.get(metric) == "min" else "viridis"
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap=cmap)
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_xticks(range(len(ax_x["values"])), [str(v) for v in ax_x["values"]], rotation=20)
    ax.set_yticks(range(len(ax_y["values"])), [str(v) for v in ax_y["values"]])
    ax.set_xlabel(ax_x["key"])
    ax.set_ylabel(ax_y["key"])
    lo, hi = np.nanmin(grid), np.nanmax(grid)
    for (i, j), v in np.ndenumerate(grid):
        if np.isfinite(v):
            t = (v - lo) / (hi - lo) if hi > lo else 0.5
            bright = t > 0.6 if cmap == "viridis" else t < 0.4  # viridis is light at its top
            color = "k" if bright else "w"
            ax.text(j, i, f"{v:.3g}", ha="center", va="center", color=color, fontsize="small")
    return _png(fig)


def _pareto(meta: dict, rows: list[dict], kind: str) -> tuple[str, str] | None:
    spec = meta.get("report", {}).get("pareto") or {}
    x = spec.get("x") or DEFAULT_PARETO.get(kind, ("", ""))[0]
    y = spec.get("y") or DEFAULT_PARETO.get(kind, ("", ""))[1]
    x_goal = spec.get("x_goal") or GOALS.get(x, "min")
    y_goal = spec.get("y_goal") or GOALS.get(y, "min")
    axes = [a["key"] for a in meta.get("axes", [])]
    combos = combination_means(rows, axes, [x, y])
    if not combos:
        return None
    xs = np.array([c[x] for c in combos])
    ys = np.array([c[y] for c in combos])
    if not (np.isfinite(xs) & np.isfinite(ys)).any():
        return None
    front = pareto_front(xs, ys, x_goal, y_goal)
    fig, subplots = _figure(1, width=6.5, height=4.5)
    ax = subplots[0][0]
    ax.scatter(xs, ys, s=18, color="#999", label="combinations (mean over seeds)")
    ax.plot(xs[front], ys[front], "o-", color="C3", label="Pareto front")
    ax.set_xlabel(f"{x} ({x_goal})")
    ax.set_ylabel(f"{y} ({y_goal})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    head = "".join(f"<th>{_e(a)}</th>" for a in axes)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{_e(_fmt(combos[i][a]))}</td>" for a in axes)
        + f"<td>{_fmt(combos[i][x])}</td><td>{_fmt(combos[i][y])}</td></tr>"
        for i in front
    )
    table = f"<table><tr>{head}<th>{_e(x)}</th><th>{_e(y)}</th></tr>{body}</table>"
    title = f"Pareto front: {_e(x)} ({x_goal}) vs {_e(y)} ({y_goal})"
    return title, f'<figure><img src="data:image/png;base64,{_png(fig)}"></figure>{table}'


def render(meta: dict, rows: list[dict]) -> str:
    """The report page of a sweep (its ``sweep.json`` and table rows)."""
    kind = _kind(meta, rows)
    axes = meta.get("axes", [])
    ok = sum(r.get("status") == "ok" for r in rows)
    failed = [r for r in rows if r.get("status") == "failed"]
    title = f"spacecompute sweep: {meta.get('name', '')}"
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>",
        f"<p>{_e(meta.get('description', ''))}</p>",
        f"<p>Base: {_e(meta.get('kind'))} <b>{_e(meta.get('base'))}</b>; {len(rows)} cells, "
        f"{ok} finished, {len(failed)} failed, "
        f"{len(rows) - ok - len(failed)} not run; seeds {_e(meta.get('seeds'))}.</p>",
        "<table><tr><th>axis</th><th>values</th></tr>"
        + "".join(
            f"<tr><td>{_e(a['key'])}</td><td>"
            + (
                _e(", ".join(str(v) for v in a["values"]))
                if a["kind"] == "grid"
                else f"{a['low']:g} .. {a['high']:g}{' (log)' if a.get('log') else ''}, sampled"
            )
            + "</td></tr>"
            for a in axes
        )
        + "</table>",
    ]
    if failed:
        why = Counter(str(r.get("error")) for r in failed)
        parts.append("<h2>Failed cells</h2><table><tr><th>error</th><th>cells</th></tr>")
        parts += [f"<tr><td>{_e(k)}</td><td>{n}</td></tr>" for k, n in why.most_common()]
        parts.append("</table>")
    metrics = _metrics(meta, rows, kind)
    if axes and ok:
        parts.append(
            "<h2>Effects</h2><p class='small'>Mean over the other axes; bars: 95 % Student-t "
            "intervals over seeds (none with one seed). Ranged axes: every cell, coloured by "
            "replicate.</p>"
        )
        for m in metrics:
            parts.append(f"<h3>{_e(_label(m))}</h3>")
            parts.append(
                f'<figure><img src="data:image/png;base64,{_effects_figure(rows, axes, m)}"></figure>'
            )
            parts.append(_effects_table(rows, axes, m))
    grids = [a for a in axes if a["kind"] == "grid" and len(a["values"]) >= 2]
    pairs = list(itertools.combinations(grids, 2))
    if pairs and ok:
        parts.append(
            "<h2>Heatmaps</h2><p class='small'>Mean over seeds and the other axes (metrics "
            "that vary between cells).</p>"
        )
        varying = [
            m for m in metrics if len({r.get(m) for r in rows if r.get("status") == "ok"}) > 1
        ]
        for m, (a, b) in list(itertools.product(varying, pairs))[:MAX_HEATMAPS]:
            parts.append(
                f"<figure><figcaption>{_e(m)}</figcaption>"
                f'<img src="data:image/png;base64,{_heatmap(rows, a, b, m)}"></figure>'
            )
    pareto = _pareto(meta, rows, kind) if ok else None
    if pareto is not None:
        parts.append(f"<h2>{pareto[0]}</h2>{pareto[1]}")
    parts.append(
        "<p class='small'>Table: sweep.parquet (one row per cell); query it with "
        '<code>spacecompute query DIR "SELECT ..."</code>.</p></body></html>'
    )
    return "\n".join(parts)


def write_sweep_report(out_dir: str | Path) -> Path:
    """(Re)write ``out_dir/report.html`` from ``sweep.json`` and ``sweep.parquet``."""
    from ..table import atomic_write_text

    out = Path(out_dir)
    try:
        meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError(
            "not a sweep directory: no readable sweep.json",
            file=str(out),
            expected="the --out DIR of `spacecompute sweep`",
        ) from None
    rows = read_table(out).to_pylist()
    return atomic_write_text(out / "report.html", render(meta, rows))


__all__ = ["MAX_HEATMAPS", "render", "write_sweep_report"]
