"""Planner output: console table, ``results.json``, PNG plots and a self-contained HTML report.

:func:`write_report` writes into a folder, each file atomically
(:func:`spacecompute.table.atomic_write`): ``results.json`` (:meth:`PlanResult.to_json`), the
plots ``mass.png`` (mass breakdown of one satellite), ``costs.png`` (space and terrestrial cost
per kW-year by line), ``tornado.png``, ``montecarlo.png`` (histogram and CDF of the space cost
per kW-year against the terrestrial one) and ``eclipse.png`` (beta angle and eclipse over the
year), and ``report.html`` with the plots embedded (base64 PNG, matplotlib's Agg backend), the
published claims checked and every input with its source. :func:`print_plan` prints the summary
with rich.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..table import atomic_write, atomic_write_text
from .cost import SPACE_COST_LINES, TERRESTRIAL_COST_LINES
from .sizing import MASS_LINES
from .uncertainty import PlanResult

PLOTS = ("mass", "costs", "tornado", "montecarlo", "eclipse")

_LABELS = {
    "mass_compute_kg": "compute (accelerators + host)",
    "mass_solar_kg": "solar array",
    "mass_battery_kg": "battery",
    "mass_radiator_kg": "radiator",
    "mass_terminals_kg": "laser terminals",
    "mass_structure_kg": "structure",
    "mass_bus_kg": "bus (ADCS, propulsion, avionics)",
    "launch_usd": "launch",
    "satellites_usd": "satellites (bus, array, radiator, battery)",
    "compute_usd": "compute hardware",
    "insurance_usd": "insurance",
    "operations_usd": "operations",
    "ground_segment_usd": "ground segment",
    "terrestrial_energy_it_usd": "IT energy",
    "terrestrial_energy_overhead_usd": "cooling and losses (PUE - 1)",
    "terrestrial_facility_usd": "facility capital",
    "terrestrial_compute_usd": "compute hardware",
}


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def money(x: float | None, digits: int = 3) -> str:
    """``$1.23M``, ``$158k``, ``$7.59``; ``-`` for None/NaN."""
    if x is None or not math.isfinite(x):
        return "-"
    a = abs(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= scale:
            return f"${x / scale:,.{digits}g}{suffix}"
    return f"${x:,.{digits}g}" if a >= 1 else f"${x:.3g}"


def number(x: float | None, unit: str = "", digits: int = 4) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    text = f"{x:,.0f}" if abs(x) >= 10 ** (digits - 1) else f"{x:,.{digits}g}"
    return f"{text} {unit}".strip()


def _mass(kg: float) -> str:
    return number(kg / 1e3, "t") if kg >= 1e4 else number(kg, "kg")


def power(w: float) -> str:
    """``29.6 kW``, ``40 MW``, ``140 GW``."""
    for scale, unit in ((1e9, "GW"), (1e6, "MW"), (1e3, "kW")):
        if abs(w) >= scale:
            return number(w / scale, unit)
    return number(w, "W")


def _breakeven_text(r: PlanResult) -> str:
    n = r.nominal
    be = n["break_even_launch_price_usd_per_kg"]
    if math.isfinite(be):
        return f"${be:,.0f}/kg (space cost per kW-year = terrestrial)"
    return "none: even a free launch leaves space dearer than the ground"


def summary_rows(r: PlanResult) -> list[tuple[str, list[tuple[str, str]]]]:
    """The summary as sections of (label, value) rows (shared by the console and the HTML)."""
    n = r.nominal
    d = r.design
    e = r.physics.eclipse
    rad = r.physics.radiation
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    sections.append(
        (
            "Orbit (orbit kernel, one year)",
            [
                ("orbit", d.orbit.describe()),
                (
                    "eclipse",
                    f"{e.annual_fraction:.1%} of the year; longest {e.longest_eclipse_s / 60:.1f} min "
                    f"({e.max_fraction:.1%} of the {e.period_s / 60:.1f} min orbit); "
                    f"{e.eclipse_days:.0f} days with eclipses",
                ),
                (
                    "radiation",
                    f"{rad.dose_rad_per_year:,.0f} rad(Si)/yr behind "
                    f"{d.params['radiation_shielding_mm_al'].nominal:g} mm Al; "
                    + (
                        f"TID limit reached after {rad.life_limit_years:,.0f} y"
                        if math.isfinite(rad.life_limit_years)
                        else "TID tolerance unknown"
                    )
                    + (
                        f"; {n['sdc_events_per_accelerator_year']:.1f} silent data corruptions "
                        "per accelerator-year"
                        if "sdc_events_per_accelerator_year" in n
                        else ""
                    ),
                ),
            ],
        )
    )
    sections.append(
        (
            "Sizing",
            [
                (
                    "compute",
                    f"{n['accelerators']:,.0f} x {d.accelerator} "
                    f"({power(n['it_power_total_w'])} IT, {number(n['delivered_pflops'])} "
                    f"PFLOPS {d.target.precision} delivered)",
                ),
                (
                    "satellites",
                    f"{n['satellites']:,.0f} x {n['accelerators_per_satellite']:,.0f} accelerators, "
                    f"{power(n['load_per_satellite_w'])} load each "
                    f"({d.eclipse_operation} through eclipses)",
                ),
                (
                    "solar array",
                    f"{number(n['array_area_per_satellite_m2'], 'm2')} per satellite, "
                    f"{power(n['array_rated_power_per_satellite_w'])} rated "
                    f"({d.array_pointing})",
                ),
                (
                    "battery",
                    f"{number(n['battery_energy_per_satellite_j'] / 3.6e6, 'kWh')} per satellite "
                    f"for a {e.longest_eclipse_s / 60:.1f} min eclipse",
                ),
                (
                    "radiator",
                    f"{number(n['radiator_area_per_satellite_m2'], 'm2')} per satellite "
                    f"({n['radiator_flux_w_per_m2']:,.0f} W/m2 net, "
                    f"{n['radiator_absorbed_w_per_m2']:,.0f} W/m2 absorbed from the Earth)",
                ),
                (
                    "mass",
                    f"{_mass(n['mass_satellite_kg'])} per satellite, {_mass(n['mass_total_kg'])} "
                    f"in all ({n['it_kw_per_tonne']:,.3g} kW of IT per tonne)",
                ),
                (
                    "launches",
                    f"{n['launches']:,.0f} x {d.params['launch_vehicle_capacity_kg'].nominal / 1e3:,.4g} t"
                    + (f" ({d.vehicle})" if d.vehicle else ""),
                ),
            ],
        )
    )
    sections.append(
        (
            "Mass per satellite",
            [
                (_LABELS[k], f"{_mass(n[k])} ({n[k] / n['mass_satellite_kg']:.0%})")
                for k in MASS_LINES
            ],
        )
    )
    life = d.params["life_years"].nominal
    sections.append(
        (
            f"Cost over {life:g} years",
            [
                (
                    _LABELS[k],
                    f"{money(n[k])} ({n[k] / n['space_total_usd']:.0%})",
                )
                for k in SPACE_COST_LINES
            ]
            + [
                ("space total", money(n["space_total_usd"])),
                (
                    "launch price",
                    f"${n['launch_price_effective_usd_per_kg']:,.0f}/kg ({d.launch_pricing}); "
                    f"{_mass(n['launch_mass_kg'])} launched with replacements",
                ),
                (
                    "terrestrial total",
                    money(n["terrestrial_total_usd"])
                    + " ("
                    + ", ".join(f"{_LABELS[k]} {money(n[k])}" for k in TERRESTRIAL_COST_LINES)
                    + ")",
                ),
            ],
        )
    )
    sections.append(
        (
            "Figures of merit (space / terrestrial)",
            [
                (
                    "$/kW/yr",
                    f"{money(n['space_usd_per_kw_year'])} / {money(n['terrestrial_usd_per_kw_year'])} "
                    f"(x{n['space_to_terrestrial_ratio']:.3g})",
                ),
                (
                    "launched-power price, load basis",
                    f"{money(n['launched_power_price_usd_per_kw_year'])}/kW/yr on the load "
                    f"({power(n['load_per_satellite_w'])} per satellite: compute + bus)",
                ),
                (
                    "launched-power price, rated basis",
                    f"{money(n['launched_power_price_rated_usd_per_kw_year'])}/kW/yr on the "
                    f"array's rated power ({power(n['array_rated_power_per_satellite_w'])} per "
                    "satellite: Suncatcher Table 1's basis)",
                ),
                (
                    "terrestrial power price",
                    f"{money(n['terrestrial_power_price_usd_per_kw_year'])}/kW/yr "
                    "(Suncatcher's comparison for either basis)",
                ),
                (
                    "$/GPU-hour",
                    f"{money(n['space_usd_per_gpu_hour'])} / {money(n['terrestrial_usd_per_gpu_hour'])} "
                    f"(market rental {money(n['gpu_hour_market_price_usd'])})",
                ),
                (
                    "$/PFLOP-day",
                    f"{money(n['space_usd_per_pflop_day'])} / {money(n['terrestrial_usd_per_pflop_day'])}",
                ),
                (
                    "$/Mtoken",
                    f"{money(n['space_usd_per_mtoken'])} / {money(n['terrestrial_usd_per_mtoken'])} "
                    f"({d.params['token_model_parameters'].nominal / 1e9:g}B-parameter model)",
                ),
                ("break-even launch price", _breakeven_text(r)),
                (
                    "break-even, power only",
                    f"${n['break_even_launch_price_power_only_usd_per_kg']:,.0f}/kg on the load, "
                    f"${n['break_even_launch_price_power_only_rated_usd_per_kg']:,.0f}/kg on the "
                    "rated power (launched-power price = terrestrial power price)",
                ),
            ],
        )
    )
    if r.monte_carlo is not None:
        mc = r.monte_carlo
        rows = []
        for key, label, fmt in (
            ("space_usd_per_kw_year", "space $/kW/yr", money),
            ("terrestrial_usd_per_kw_year", "terrestrial $/kW/yr", money),
            ("space_to_terrestrial_ratio", "space / terrestrial", lambda x: number(x, "x", 3)),
            ("space_usd_per_gpu_hour", "space $/GPU-hour", money),
            ("mass_total_kg", "mass", _mass),
            ("break_even_launch_price_usd_per_kg", "break-even $/kg", money),
        ):
            p10, p50, p90 = mc.percentiles[key]
            rows.append((label, f"{fmt(p10)} / {fmt(p50)} / {fmt(p90)}"))
        sections.append(
            (f"Monte Carlo P10 / P50 / P90 ({mc.samples:,} samples, seed {mc.seed})", rows)
        )
    if r.tornado:
        sections.append(
            (
                "Inputs that matter most (tornado, space $/kW/yr)",
                [
                    (
                        b.name,
                        f"{money(b.output_low)} .. {money(b.output_high)} "
                        f"(input {b.low:,.4g} .. {b.high:,.4g})",
                    )
                    for b in r.tornado[:6]
                ],
            )
        )
    return sections


#: How published launched-power prices are compared (each on its own basis).
_CLAIMS_BASIS = (
    "launched-power prices are checked on each publication's own basis: the satellite's power as "
    "published (Suncatcher Table 1: rated power); compare the design on the same basis with "
    "'launched-power price, rated basis' above"
)


def _has_power_claims(r: PlanResult) -> bool:
    return any(c.check == "launched_power_price" for c in r.claims)


def print_plan(r: PlanResult, console) -> None:
    """Print the planner's summary, the published claims and the inconsistencies (rich)."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    d = r.design
    table = RichTable(
        title=f"spacecompute size: {escape(d.name)}",
        caption=escape(d.description),
        show_header=False,
        title_justify="left",
    )
    table.add_column("what", style="bold")
    table.add_column("value")
    for title, rows in summary_rows(r):
        table.add_row(f"[cyan]{escape(title)}[/]", "")
        for k, v in rows:
            table.add_row("  " + escape(k), escape(v))
    console.print(table)
    if r.claims:
        claims = RichTable(
            title="Published claims checked",
            title_justify="left",
            caption=_CLAIMS_BASIS if _has_power_claims(r) else None,
        )
        claims.add_column("claim")
        claims.add_column("stated", justify="right")
        claims.add_column("computed", justify="right")
        claims.add_column("")
        for c in r.claims:
            claims.add_row(
                escape(c.label),
                f"{c.stated:,.4g} {c.unit}",
                f"{c.computed:,.4g} {c.unit}",
                "[green]ok[/]" if c.consistent else "[bold red]inconsistent[/]",
            )
        console.print(claims)
    if r.inconsistencies:
        console.print("[bold red]Inconsistencies in the published design:[/]")
        for c in r.inconsistencies:
            console.print(f"  [red]-[/] {escape(c.label)}: {escape(c.message)}", soft_wrap=True)


# ---------------------------------------------------------------------------------------------
# Plots (matplotlib, Agg)
# ---------------------------------------------------------------------------------------------


def _figure(width: float = 7.0, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(width, height), dpi=110)
    return fig, ax


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def plot_mass(r: PlanResult) -> bytes:
    n = r.nominal
    fig, ax = _figure(7.0, 3.6)
    labels = [_LABELS[k] for k in MASS_LINES]
    values = [n[k] for k in MASS_LINES]
    ax.barh(labels[::-1], values[::-1], color="#4c72b0")
    ax.set_xlabel("kg per satellite")
    ax.set_title(f"Mass of one satellite: {_mass(n['mass_satellite_kg'])}")
    for y, v in enumerate(values[::-1]):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.margins(x=0.15)
    return _png(fig)


def plot_costs(r: PlanResult) -> bytes:
    n = r.nominal
    life = r.design.params["life_years"].nominal
    fig, ax = _figure(7.0, 4.0)
    import matplotlib

    colors = matplotlib.colormaps["tab20"].colors
    per_kw_space = life * n["it_power_total_w"] / 1e3 * n["availability"]
    per_kw_ground = life * n["it_power_total_w"] / 1e3
    left = 0.0
    for i, k in enumerate(SPACE_COST_LINES):
        v = n[k] / per_kw_space
        ax.barh(1, v, left=left, color=colors[i % 20], label=f"space: {_LABELS[k]}")
        left += v
    left = 0.0
    for i, k in enumerate(TERRESTRIAL_COST_LINES):
        v = n[k] / per_kw_ground
        ax.barh(0, v, left=left, color=colors[(i + 10) % 20], label=f"ground: {_LABELS[k]}")
        left += v
    ax.set_yticks([0, 1], ["terrestrial", "space"])
    ax.set_xlabel("USD per kW-year of IT power")
    ax.set_title("Cost per kW-year by line")
    ax.legend(fontsize=7, loc="lower right")
    return _png(fig)


def plot_tornado(r: PlanResult) -> bytes:
    bars = r.tornado[:12]
    fig, ax = _figure(7.0, max(2.5, 0.35 * len(bars) + 1.2))
    base = r.tornado_nominal
    for y, b in enumerate(bars[::-1]):
        lo, hi = sorted((b.output_low, b.output_high))
        ax.barh(y, hi - lo, left=lo, color="#dd8452")
    ax.set_yticks(range(len(bars)), [b.name for b in bars[::-1]], fontsize=8)
    ax.axvline(base, color="k", lw=1)
    ax.set_xlabel("space USD per kW-year (each input from its low to its high end)")
    ax.set_title("Tornado: the inputs that matter")
    return _png(fig)


def plot_montecarlo(r: PlanResult) -> bytes:
    mc = r.monte_carlo
    fig, (ax1, ax2) = _figure_pair()
    space = np.asarray(mc.outputs["space_usd_per_kw_year"], dtype=np.float64)
    ground = np.asarray(mc.outputs["terrestrial_usd_per_kw_year"], dtype=np.float64)
    space = space[np.isfinite(space)]
    ground = ground[np.isfinite(ground)]
    lo = max(min(space.min(), ground.min()), 1e-9)
    hi = max(space.max(), ground.max())
    bins = np.geomspace(lo, hi * 1.0001, 40) if hi > lo else 20
    ax1.hist(space, bins=bins, alpha=0.7, label="space")
    ax1.hist(ground, bins=bins, alpha=0.7, label="terrestrial")
    if hi > lo:
        ax1.set_xscale("log")
    ax1.set_xlabel("USD per kW-year")
    ax1.set_ylabel("samples")
    ax1.legend(fontsize=8)
    for data, label in ((space, "space"), (ground, "terrestrial")):
        x = np.sort(data)
        ax2.plot(x, np.arange(1, x.size + 1) / x.size, label=label)
    if hi > lo:
        ax2.set_xscale("log")
    ax2.set_xlabel("USD per kW-year")
    ax2.set_ylabel("cumulative probability")
    for q in (0.1, 0.5, 0.9):
        ax2.axhline(q, color="0.7", lw=0.5)
    fig.suptitle(f"Monte Carlo, {mc.samples:,} samples (seed {mc.seed})")
    return _png(fig)


def _figure_pair():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.6), dpi=110)
    return fig, axes


def plot_eclipse(r: PlanResult) -> bytes:
    e = r.physics.eclipse
    fig, ax = _figure(7.0, 3.4)
    days = (e.times - e.times[0]) / np.timedelta64(1, "D")
    ax.plot(days, e.eclipse_fraction * e.period_s / 60.0, color="#4c72b0")
    ax.set_xlabel(f"days from {str(e.times[0])[:10]}")
    ax.set_ylabel("eclipse per orbit, min", color="#4c72b0")
    ax2 = ax.twinx()
    ax2.plot(days, np.degrees(e.beta_rad), color="#c44e52", lw=0.8)
    ax2.set_ylabel("beta angle, deg", color="#c44e52")
    ax.set_title(f"{r.design.orbit.describe()}: {e.annual_fraction:.1%} of the year in eclipse")
    return _png(fig)


def plots(r: PlanResult) -> dict[str, bytes]:
    """PNG bytes of every plot (``montecarlo`` only when a Monte Carlo was run)."""
    out = {
        "mass": plot_mass(r),
        "costs": plot_costs(r),
        "eclipse": plot_eclipse(r),
    }
    if r.tornado:
        out["tornado"] = plot_tornado(r)
    if r.monte_carlo is not None:
        out["montecarlo"] = plot_montecarlo(r)
    return out


# ---------------------------------------------------------------------------------------------
# HTML and files
# ---------------------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:0.92em}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} .bad{color:#b00020;font-weight:bold} .ok{color:#1b7f3b}
.warn{border-left:4px solid #b00020;background:#fff4f4;padding:0.6em 1em;margin:1em 0}
img{max-width:100%} .small{font-size:0.85em;color:#555}
"""


def _e(x: Any) -> str:
    return html.escape(str(x))


def render_html(r: PlanResult, images: Mapping[str, bytes]) -> str:
    """The report as one self-contained HTML page (plots embedded as base64 PNG)."""
    d = r.design
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>spacecompute size: {_e(d.name)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Orbital data centre: {_e(d.name)}</h1>",
        f"<p>{_e(d.description)}</p>",
    ]
    if d.source:
        parts.append(f"<p class='small'>Source: {_e(d.source)}</p>")
    for note in d.notes:
        parts.append(f"<p class='small'>Note: {_e(note)}</p>")
    if r.inconsistencies:
        parts.append(
            "<div class='warn'><b>The published design is internally inconsistent:</b><ul>"
        )
        for c in r.inconsistencies:
            parts.append(f"<li><b>{_e(c.label)}</b>: {_e(c.message)}</li>")
        parts.append("</ul></div>")
    for title, rows in summary_rows(r):
        parts.append(f"<h2>{_e(title)}</h2><table>")
        for k, v in rows:
            parts.append(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>")
        parts.append("</table>")
    captions = {
        "eclipse": "Beta angle and eclipse length over the year (orbit kernel: J2 node drift, "
        "cylindrical shadow).",
        "mass": "Mass breakdown of one satellite.",
        "costs": "Cost per kW-year of IT power by line, space against terrestrial.",
        "tornado": "Each uncertain input moved to the ends of its range, the others nominal.",
        "montecarlo": "Distribution of the cost per kW-year, space and terrestrial.",
    }
    parts.append("<h2>Plots</h2>")
    for name in ("eclipse", "mass", "costs", "tornado", "montecarlo"):
        if name in images:
            data = base64.b64encode(images[name]).decode("ascii")
            parts.append(
                f"<figure><img alt='{name}' src='data:image/png;base64,{data}'>"
                f"<figcaption class='small'>{_e(captions[name])}</figcaption></figure>"
            )
    if r.launch_sweep:
        parts.append("<h2>Space cost against the launch price</h2><table>")
        parts.append(
            "<tr><th>launch $/kg</th><th>space $/kW/yr</th><th>space / terrestrial</th></tr>"
        )
        for p, s, ratio in r.launch_sweep:
            parts.append(f"<tr><td>{p:,.0f}</td><td>{money(s)}</td><td>{ratio:.3g}</td></tr>")
        parts.append("</table>")
    if r.claims:
        parts.append("<h2>Published claims checked</h2><table>")
        parts.append(
            "<tr><th>claim</th><th>stated</th><th>computed</th><th>check</th><th>source</th></tr>"
        )
        for c in r.claims:
            cls, word = ("ok", "consistent") if c.consistent else ("bad", "inconsistent")
            parts.append(
                f"<tr><td>{_e(c.label)}</td><td>{c.stated:,.4g} {_e(c.unit)}</td>"
                f"<td>{c.computed:,.4g} {_e(c.unit)}</td><td class='{cls}' title='{_e(c.message)}'>"
                f"{word} ({c.relative_error:+.1%})</td><td class='small'>{_e(c.source)}</td></tr>"
            )
        parts.append("</table>")
        if _has_power_claims(r):
            parts.append(f"<p class='small'>{_e(_CLAIMS_BASIS)}.</p>")
    parts.append("<h2>Inputs and their sources</h2><table>")
    parts.append(
        "<tr><th>parameter</th><th>value</th><th>from</th><th>source</th><th>date</th></tr>"
    )
    for name, prm in sorted(d.params.items()):
        flag = " (assumed)" if prm.assumed else ""
        parts.append(
            f"<tr><td>{_e(name)}</td><td>{_e(prm.dist.describe())}</td><td>{_e(prm.origin)}</td>"
            f"<td class='small'>{_e(prm.source)}{_e(flag)}"
            + (f"<br><i>{_e(prm.note)}</i>" if prm.note else "")
            + f"</td><td>{_e(prm.date)}</td></tr>"
        )
    parts.append("</table>")
    parts.append(
        "<p class='small'>Method and limits: docs/planner.md. Physics from spacecompute: eclipses "
        "from the orbit kernel, array and battery from spacecraft.power (SMAD), radiator from "
        "spacecraft.thermal, dose from spacecraft.radiation, accelerators from the hardware "
        "catalog.</p></body></html>"
    )
    return "\n".join(parts)


def results_json(r: PlanResult) -> str:
    """``results.json`` text (no NaN: missing values are null)."""
    return json.dumps(r.to_json(), indent=2, allow_nan=False) + "\n"


def write_report(r: PlanResult, out_dir: str | Path, *, plots_on: bool = True) -> list[Path]:
    """Write ``results.json``, the plots and ``report.html`` into ``out_dir``, atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [atomic_write_text(out / "results.json", results_json(r))]
    images = plots(r) if plots_on else {}
    for name, png in images.items():
        files.append(
            atomic_write(out / f"{name}.png", lambda tmp, png=png: Path(tmp).write_bytes(png))
        )
    files.append(atomic_write_text(out / "report.html", render_html(r, images)))
    return files


__all__ = [
    "PLOTS",
    "money",
    "plots",
    "power",
    "print_plan",
    "render_html",
    "results_json",
    "summary_rows",
    "write_report",
]
