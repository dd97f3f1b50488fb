"""``report.html`` of a run directory: one self-contained page that answers the workload's
question first, then shows the plots.

Top: the question (e.g. for Earth observation "which policy delivers the most insights, soonest,
for the fewest downlinked bytes?"), a one-line verdict and, for each headline metric of
:mod:`.metrics`, which run is best and by how much (:mod:`.findings`). Then the runs, the plots of
:mod:`.charts` and the full metric table (the rows of ``spacecompute compare``).

Plots are interactive (plotly: hover for values, zoom, click a legend entry to hide a run) with
plotly.js inlined once, so the page works offline from ``file://``; without plotly (the optional
extra ``spacecompute[plot]``) they are static PNGs and the page says so. The page records any
script error into ``<pre id="sc-errors">`` and the number of drawn plots into
``<p id="sc-status" data-plots=N>`` (for headless-browser checks).
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..table import atomic_write_text
from .charts import PLOTS, build_charts, funnel_values
from .compare import best_mask, metric_matrix, metric_rows, run_labels
from .figures import have_plotly, plotly_js, to_plotly_html, to_png
from .findings import findings, verdict
from .metrics import ANY, MIX, MIXED, QUESTIONS, format_quantity, headline_metrics
from .store import RunResult, find_runs

STATIC_NOTE = (
    "Static images: install plotly (pip install 'spacecompute[plot]') for plots with hover, "
    "zoom and legend toggles."
)

_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;"
    "color:#222;line-height:1.4}h1{font-size:1.5em;margin-bottom:.2em}h2{margin-top:1.6em;"
    "border-bottom:1px solid #ddd}table{border-collapse:collapse;margin:.8em 0}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}"
    "th:first-child,td:first-child,th.why{text-align:left}td.why{text-align:left;color:#555;"
    "font-size:85%;max-width:26em}td.best{font-weight:bold;color:#176317;background:#eef8ee}"
    "figure{margin:1.2em 0}img{max-width:100%}.small{font-size:85%;color:#555}"
    ".question{font-size:1.15em;font-weight:600}.verdict{font-size:1.1em;background:#f4f7fb;"
    "border-left:4px solid #1f77b4;padding:.5em .8em}ul.answers li{margin:.25em 0}"
    "#sc-errors{color:#a00;background:#fee;padding:.5em;white-space:pre-wrap}"
    ".note{background:#fff7e0;padding:.4em .8em;border-left:4px solid #e0a800}"
)

# Collects script errors and console.error calls into #sc-errors (visible when non-empty).
_ERROR_COLLECTOR = """<script>
window.scErrors = [];
function scRecord(message) {
  window.scErrors.push(String(message));
  var box = document.getElementById('sc-errors');
  if (box) { box.textContent = window.scErrors.join('\\n'); box.hidden = false; }
}
window.addEventListener('error', function (ev) {
  scRecord('error: ' + (ev.message || (ev.target && ev.target.src) || ev.type));
}, true);
window.addEventListener('unhandledrejection', function (ev) {
  scRecord('unhandled rejection: ' + ev.reason);
});
(function () {
  var original = console.error;
  console.error = function () {
    scRecord('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
})();
</script>"""

_STATUS = """<script>
window.addEventListener('load', function () {
  var drawn = Array.prototype.filter.call(document.querySelectorAll('.js-plotly-plot'),
    function (div) { return div.querySelector('.main-svg') !== null; }).length;
  var n = drawn + document.querySelectorAll('figure img').length;
  var status = document.getElementById('sc-status');
  status.setAttribute('data-plots', String(n));
  status.setAttribute('data-errors', String(window.scErrors.length));
});
</script>"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(v: Any) -> float:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else float("nan")


def plots(runs: Sequence[RunResult], labels: Sequence[str] | None = None) -> dict[str, bytes]:
    """The report's plots as PNGs by name (see :data:`~.charts.PLOTS`; the static fallback)."""
    labels = list(labels) if labels is not None else run_labels(runs)
    workload = metric_rows(runs)[0]
    return {c.name: to_png(c) for c in build_charts(runs, labels, workload)}


def _answer(runs: Sequence[RunResult], labels: Sequence[str], workload: str) -> list[str]:
    """The question-first block: question, verdict, and the headline metrics table."""
    rows = headline_metrics(workload)
    values = metric_matrix(runs, rows)
    if workload == MIX:  # a mix names only the workloads it has
        have = np.isfinite(values).any(axis=1)
        rows, values = [m for m, h in zip(rows, have, strict=True) if h], values[have]
    found = findings(values, rows, labels)
    out = [
        "<section id='answer'>",
        f"<p class='question'>{_e(QUESTIONS[workload])}</p>",
        f"<p class='verdict'>{_e(verdict(found, labels))}</p>",
        "<table><tr><th>headline metric</th>",
        *[f"<th>{_e(label)}</th>" for label in labels],
        "<th class='why'>why this direction</th></tr>",
    ]
    for f in found:
        hint = (
            f" <span class='small'>({f.metric.better} is better)</span>" if f.metric.better else ""
        )
        out.append(f"<tr><td>{_e(f.metric.label)}{hint}</td>")
        for j, v in enumerate(f.values):
            cls = " class='best'" if f.best[j] and f.compared and not f.tie else ""
            out.append(f"<td{cls}>{_e(format_quantity(float(v), f.metric.unit))}</td>")
        out.append(f"<td class='why'>{_e(f.metric.why)}</td></tr>")
    out.append("</table>")
    if len(runs) > 1:
        out.append("<ul class='answers'>")
        out += [f"<li><b>{_e(f.metric.label)}</b>: {_e(f.sentence)}</li>" for f in found]
        out.append("</ul>")
    out.append("</section>")
    return out


def _runs_table(runs: Sequence[RunResult], labels: Sequence[str]) -> list[str]:
    out = [
        "<table><tr><th>run</th><th>scenario</th><th>policy</th><th>satellites</th>"
        "<th>start</th><th>end</th><th>step</th></tr>"
    ]
    for label, run in zip(labels, runs, strict=True):
        s = run.summary
        out.append(
            f"<tr><td>{_e(label)}</td><td>{_e(s.get('scenario'))}</td><td>{_e(s.get('policy'))}"
            f"</td><td>{_e(format_quantity(_num(s.get('satellites'))))}</td>"
            f"<td>{_e(s.get('start'))}</td><td>{_e(s.get('end'))}</td>"
            f"<td>{_e(format_quantity(_num(s.get('step_s')), 's'))}</td></tr>"
        )
    out.append("</table>")
    return out


def _metric_table(runs: Sequence[RunResult], labels: Sequence[str]) -> list[str]:
    """Every metric of the workload, best value per row in bold (as ``spacecompute compare``)."""
    workload, rows = metric_rows(runs)
    values = metric_matrix(runs, rows)
    best = best_mask(values, [m.better for m in rows]) if len(runs) > 1 else None
    keep = np.isfinite(values).any(axis=1) | (workload in (ANY, MIXED))
    out = ["<table><tr><th>metric</th>", *[f"<th>{_e(label)}</th>" for label in labels]]
    out.append("<th class='why'>why</th></tr>")
    for i, m in enumerate(rows):
        if not keep[i]:
            continue
        hint = f" <span class='small'>({m.better} is better)</span>" if m.better else ""
        out.append(f"<tr><td>{_e(m.label)}{hint}</td>")
        for j in range(len(runs)):
            cls = " class='best'" if best is not None and best[i, j] else ""
            out.append(f"<td{cls}>{_e(format_quantity(values[i, j], m.unit))}</td>")
        out.append(f"<td class='why'>{_e(m.why)}</td></tr>")
    out.append("</table>")
    return out


def render_html(
    runs: Sequence[RunResult], title: str = "spacecompute run", *, interactive: bool | None = None
) -> str:
    """The report page. ``interactive``: plotly plots (default: when plotly is installed), else
    PNGs with a note."""
    labels = run_labels(runs)
    workload = metric_rows(runs)[0]
    interactive = have_plotly() if interactive is None else interactive
    charts = build_charts(runs, labels, workload)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style>",
        _ERROR_COLLECTOR,
    ]
    if interactive:
        parts.append(f"<script>{plotly_js()}</script>")
    parts += [
        "</head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='small'>workload: {_e({ANY: 'unknown', MIXED: 'mixed'}.get(workload, workload))}"
        f"; {len(runs)} run{'s' if len(runs) > 1 else ''}</p>",
        "<pre id='sc-errors' hidden></pre>",
        *_answer(runs, labels, workload),
        "<h2>Runs</h2>",
        *_runs_table(runs, labels),
        "<h2>Plots</h2>",
    ]
    if not interactive:
        parts.append(f"<p class='note'>{_e(STATIC_NOTE)}</p>")
    for chart in charts:
        if interactive:
            body = to_plotly_html(chart)
        else:
            data = base64.b64encode(to_png(chart)).decode("ascii")
            body = f"<img alt='{chart.name}' src='data:image/png;base64,{data}'>"
        parts.append(
            f"<figure id='fig-{chart.name}'>{body}"
            f"<figcaption class='small'>{_e(chart.caption)}</figcaption></figure>"
        )
    parts += ["<h2>All metrics</h2>", *_metric_table(runs, labels)]
    parts += ["<p id='sc-status' hidden data-plots='0'></p>", _STATUS, "</body></html>"]
    return "\n".join(parts)


def write_report(run_dir: str | os.PathLike, *, interactive: bool | None = None) -> Path:
    """(Re)write ``run_dir/report.html`` (atomically) for a run or a comparison run; returns
    its path. Raises :class:`~spacecompute.errors.InputError` if ``run_dir`` is not a run."""
    path = Path(run_dir)
    runs = find_runs(path)
    if len(runs) > 1:
        title = f"spacecompute comparison: {path.name} ({', '.join(r.label for r in runs)})"
    else:
        s = runs[0].summary
        title = f"spacecompute run: {s.get('scenario')} / {s.get('policy')}"
    page = render_html(runs, title=title, interactive=interactive)
    return atomic_write_text(path / "report.html", page)


__all__ = ["PLOTS", "funnel_values", "plots", "render_html", "write_report"]
