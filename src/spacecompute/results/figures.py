"""Drawing :class:`~.charts.Chart` s: interactive with plotly (hover for values, zoom, click a
legend entry to hide a run), or as static PNGs with matplotlib when plotly is not installed.

plotly is the optional extra ``spacecompute[plot]`` (also in ``[test]``). Its JavaScript is not
written here: the report includes it once per page (:func:`plotly_js`), inline, so the page
works offline from ``file://``.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from .charts import PALETTE, Chart, Panel, Series

#: d3 formats for hover values, by unit (SI prefixes for the big numbers).
_HOVER = {
    "fraction": "%{y:.1%}",
    "s": "%{y:.3s} s",
    "B": "%{y:.3s}B",
    "bit": "%{y:.3s}bit",
    "J": "%{y:.3s}J",
    "FLOP": "%{y:.3s}FLOP",
    "K": "%{y:.1f} K",
    "": "%{y:,.4~g}",
}


def have_plotly() -> bool:
    """Whether plotly is installed (the ``[plot]`` extra)."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return False
    return True


def plotly_js() -> str:
    """plotly.js, minified, to inline once per page (no CDN)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _bar_text(s: Series) -> list[str]:
    from .metrics import format_quantity

    return [format_quantity(float(v), s.unit) for v in np.asarray(s.y, float)]


def _plotly_trace(s: Series) -> Any:
    import plotly.graph_objects as go

    color = PALETTE[s.color % len(PALETTE)]
    common = {"name": s.name, "legendgroup": s.group or s.name, "showlegend": s.legend}
    hover = _HOVER.get(s.unit, _HOVER[""])
    if s.kind == "bar":
        text = _bar_text(s)
        y = np.where(np.asarray(s.y, float) > 0, s.y, np.nan)  # log axis: zero is not drawn
        return go.Bar(
            x=list(s.x), y=y, marker_color=color, text=text, textposition="outside",
            textangle=-90, textfont={"size": 10},
            customdata=text, hovertemplate="%{x}: %{customdata}<extra>" + s.name + "</extra>",
            cliponaxis=False, **common,
        )  # fmt: skip
    if s.kind == "band":
        x = np.concatenate([s.x, s.x[::-1]])
        y = np.concatenate([s.y, np.asarray(s.y_low)[::-1]])
        return go.Scatter(
            x=x, y=y, fill="toself", fillcolor=_rgba(color, 0.2), line={"width": 0},
            hoverinfo="skip", mode="lines", **common,
        )  # fmt: skip
    if s.kind == "points":
        return go.Scatter(
            x=s.x, y=s.y, mode="markers", marker={"color": color, "size": 4, "opacity": 0.5},
            hovertemplate="lon %{x:.1f}, lat %{y:.1f}<extra>" + s.name + "</extra>", **common,
        )  # fmt: skip
    return go.Scatter(
        x=s.x, y=s.y, mode="lines", line={"color": color, "dash": s.dash, "width": 1.6},
        line_shape="hv" if s.kind == "step" else "linear",
        hovertemplate=hover + "<extra>" + s.name + "</extra>", **common,
    )  # fmt: skip


def _plotly_axes(fig: Any, panel: Panel, row: int, col: int) -> None:
    x: dict[str, Any] = {"title_text": panel.xlabel, "row": row, "col": col}
    y: dict[str, Any] = {"title_text": panel.ylabel, "row": row, "col": col}
    if panel.xlog:
        x["type"] = "log"
    if panel.ylog:
        y["type"] = "log"
        y["exponentformat"] = "power"
    if panel.xrange:
        x["range"] = list(panel.xrange)
    if panel.yrange and not panel.ylog:
        y["range"] = list(panel.yrange)
    if panel.ylog and panel.log_span:
        lo, hi = panel.log_span  # headroom above the tallest bar for its label
        y["range"] = [math.log10(lo) - 0.5, math.log10(hi) + 1.5]
    if panel.percent:
        y["tickformat"] = ".3~%"
    if panel.geo:
        x |= {"dtick": 60, "zeroline": False}
        y |= {"dtick": 30, "zeroline": False}
    fig.update_xaxes(**x)
    fig.update_yaxes(**y)


def to_plotly_html(chart: Chart) -> str:
    """The chart as an HTML ``<div>`` and the script that draws it (plotly.js not included)."""
    import plotly.io as pio
    from plotly.subplots import make_subplots

    rows = math.ceil(len(chart.panels) / chart.cols) or 1
    titles = [p.title for p in chart.panels]
    fig = make_subplots(
        rows=rows, cols=chart.cols, subplot_titles=titles if any(titles) else None,
        shared_xaxes=all(p.time_x for p in chart.panels) and chart.cols == 1,
        vertical_spacing=min(0.12, 0.3 / rows), horizontal_spacing=0.08,
    )  # fmt: skip
    for s in chart.series:
        row, col = divmod(s.panel, chart.cols)
        fig.add_trace(_plotly_trace(s), row=row + 1, col=col + 1)
    for k, panel in enumerate(chart.panels):
        row, col = divmod(k, chart.cols)
        _plotly_axes(fig, panel, row + 1, col + 1)
        if not chart.has_data(k):
            ref = "" if k == 0 else str(k + 1)
            fig.add_annotation(
                text=panel.empty, x=0.5, y=0.5, xref=f"x{ref} domain", yref=f"y{ref} domain",
                showarrow=False, font={"color": "#777"},
            )  # fmt: skip
    for annotation in fig.layout.annotations:
        annotation.font.size = 12
    fig.update_layout(
        height=chart.height_px, template="plotly_white", barmode="group",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        hovermode="x unified" if all(p.time_x for p in chart.panels) else "closest",
        legend={"orientation": "h", "y": -0.15 if chart.name != "envelopes" else -0.1},
    )  # fmt: skip
    return pio.to_html(
        fig, include_plotlyjs=False, full_html=False, div_id=f"plot-{chart.name}",
        config={"displaylogo": False, "responsive": True},
    )  # fmt: skip


def _mpl_series(ax: Any, s: Series, offset: float, width: float) -> None:
    color = PALETTE[s.color % len(PALETTE)]
    dash = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}[s.dash]
    label = s.name if s.legend else None
    if s.kind == "bar":
        x = np.arange(len(s.x)) + offset
        y = np.asarray(s.y, float)
        bars = ax.bar(x, np.where(y > 0, y, np.nan), width, color=color, label=label)
        ax.bar_label(bars, _bar_text(s), fontsize=7, rotation=90, padding=2)
        ticks = [str(c).replace(" (", "\n(") for c in s.x]
        ax.set_xticks(np.arange(len(s.x)), ticks, fontsize=8)
    elif s.kind == "band":
        ax.fill_between(s.x, s.y_low, s.y, color=color, alpha=0.2, linewidth=0)
    elif s.kind == "points":
        ax.scatter(s.x, s.y, s=4, alpha=0.5, color=color, label=label)
    elif s.kind == "step":
        ax.step(s.x, s.y, where="post", color=color, linestyle=dash, label=label)
    else:
        ax.plot(s.x, s.y, color=color, linestyle=dash, label=label)


def _mpl_panel(ax: Any, chart: Chart, k: int, panel: Panel) -> None:
    bars = [s for s in chart.series if s.panel == k and s.kind == "bar"]
    width = 0.8 / max(len(bars), 1)
    for s in chart.series:
        if s.panel == k:
            j = bars.index(s) if s in bars else 0
            _mpl_series(ax, s, (j - (len(bars) - 1) / 2) * width, width)
    if not chart.has_data(k):
        ax.text(0.5, 0.5, panel.empty, ha="center", va="center", transform=ax.transAxes,
                color="#777")  # fmt: skip
    elif panel.xlog:
        ax.set_xscale("log")
    if panel.ylog and chart.has_data(k):
        ax.set_yscale("log")
        if panel.log_span:
            ax.set_ylim(panel.log_span[0] / 3, panel.log_span[1] * 30)  # room for the labels
    if panel.xrange:
        ax.set_xlim(*panel.xrange)
    if panel.yrange and not panel.ylog:
        ax.set_ylim(*panel.yrange)
    if panel.percent:
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if panel.geo:
        ax.set_xticks(np.arange(-180, 181, 60))
        ax.set_yticks(np.arange(-90, 91, 30))
        ax.set_aspect("equal")
    ax.set_title(panel.title, fontsize=9)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")


def to_png(chart: Chart) -> bytes:
    """The chart as a PNG (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    rows = math.ceil(len(chart.panels) / chart.cols) or 1
    fig, axes = plt.subplots(
        rows, chart.cols, figsize=(8.0 if chart.cols == 1 else 11.0, chart.height_px / 90),
        dpi=100, squeeze=False,
    )  # fmt: skip
    for k, ax in enumerate(axes.flat):
        if k < len(chart.panels):
            _mpl_panel(ax, chart, k, chart.panels[k])
        else:
            ax.set_visible(False)
    if any(p.time_x for p in chart.panels):
        fig.autofmt_xdate()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


__all__ = ["have_plotly", "plotly_js", "to_plotly_html", "to_png"]
