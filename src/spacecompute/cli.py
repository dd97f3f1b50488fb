"""The ``spacecompute`` command line (typer).

Every user mistake (bad file, bad key, unknown preset) is printed as ``file:line: field: problem
(expected ...)`` on stderr and exits with status 2; no traceback is shown for them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from .astro.timeutil import parse_time
from .errors import InputError, MemoryBudgetError, SpacecomputeError

app = typer.Typer(
    name="spacecompute",
    help="Computing in orbit: how much compute a constellation delivers, to whom, at what latency, energy and cost.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="scenario YAML file or built-in preset name (see `spacecompute scenarios`)"
    ),
]


def _fail(exc: SpacecomputeError) -> None:
    if isinstance(exc, InputError):
        n = len(exc.problems)
        errors = [p for p in exc.problems if p.severity == "error"]
        err_console.print(
            f"[bold red]error:[/] {len(errors) or n} problem{'s' if n != 1 else ''} in the input"
        )
        for p in exc.problems:
            err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False, soft_wrap=True)
    else:
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
    raise typer.Exit(2)


def _key_value_table(title: str) -> RichTable:
    """A two-column (what, value) summary table with the title on the left."""
    table = RichTable(title=title, show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    return table


def _print_presets(title: str, presets: dict) -> None:
    table = RichTable(title=title)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description")
    for preset in presets.values():
        table.add_row(preset.name, preset.description)
    console.print(table)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios (a name is accepted anywhere a scenario file is)."""
    from .scenario.loader import scenario_presets

    _print_presets("Built-in scenarios", scenario_presets())


@app.command()
def constellations() -> None:
    """List the built-in constellations (for `constellation: {preset: NAME}` and sc.preset_constellation)."""
    from .scenario.loader import constellation_presets

    _print_presets("Built-in constellations", constellation_presets())


@app.command()
def terminals() -> None:
    """List the link terminals (for a scenario's `network:` keys), with rates and sources."""
    from .network.links import terminals as catalog

    table = RichTable(title="Built-in terminals")
    for col in ("name", "kind", "max rate", "source"):
        table.add_column(col, style="bold cyan" if col == "name" else None)
    for t in catalog().values():
        rate = getattr(t, "max_rate_bps", None)
        table.add_row(
            t.name,
            t.kind,
            f"{rate / 1e9:g} Gbit/s" if rate and np.isfinite(rate) else "-",
            escape(str(t.source)),
        )
    console.print(table)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="scenario YAML files or preset names")],
) -> None:
    """Check scenario files: every problem is reported at once, with file, line and key path."""
    from .overview import check_scenario
    from .runner import resolve_policies

    failed = False
    for name in files:
        try:
            loaded, constellation, notes = check_scenario(name)
            resolve_policies(loaded)  # user policies (module:Class, entry points) import
        except InputError as exc:
            failed = True
            err_console.print(f"[bold red]{name}: {len(exc.problems)} problem(s)[/]")
            for p in exc.problems:
                err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False, soft_wrap=True)
            continue
        for p in notes:
            err_console.print(
                f"  [yellow]warning:[/] {escape(str(p))}", highlight=False, soft_wrap=True
            )
        console.print(
            f"[green]ok[/] {name}: {len(constellation):,} satellites, "
            f"{loaded.spec.duration_s:g} s at {loaded.spec.step_s:g} s steps, propagator {loaded.spec.propagator}"
        )
    if failed:
        raise typer.Exit(2)


@app.command()
def run(
    scenario: ScenarioArg = "default",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="write the run directory (summary.json, Parquet tables, report.html) here",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="continue a killed run in --out DIR from its last checkpoint"
        ),
    ] = False,
    policy: Annotated[
        list[str] | None,
        typer.Option(
            "--policy",
            "-p",
            help="run these policies instead of the scenario's policy and compare list (repeat); "
            "a built-in name, module:Class or a name installed under spacecompute.policies",
        ),
    ] = None,
    checkpoint_every: Annotated[
        int | None,
        typer.Option(
            "--checkpoint-every",
            min=0,
            help="with --out: save the state every N steps (default: the scenario's "
            "checkpoint_every_steps; 0 never)",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the summaries as JSON instead of a table")
    ] = False,
    czml: Annotated[
        bool,
        typer.Option(
            "--czml",
            help="with --out: also write scene.czml (Cesium) into each run directory "
            "(needs the [czml] extra)",
        ),
    ] = False,
) -> None:
    """Run a scenario through the engine (default: the built-in `default`): its workload under
    its policy and the policies of its `compare` list, side by side."""
    from .runner import LazyProgress, run_scenario

    if czml and out is None:
        _fail(InputError("--czml needs --out DIR", field="--czml", expected="--out DIR"))
        return
    progress = LazyProgress(err_console) if not as_json else None
    try:
        result = run_scenario(
            scenario,
            out_dir=out,
            resume=resume,
            policies=policy or None,
            checkpoint_every=checkpoint_every,
            progress=progress,
        )
        if out is not None:
            from .results.report import write_report

            write_report(out)
            if czml:
                from .results.czml import write_czml

                write_czml(out)
    except (InputError, MemoryBudgetError) as exc:
        if progress is not None:
            progress.stop()
        _fail(exc)
        return
    finally:
        if progress is not None:
            progress.stop()
    if as_json:
        from .sim.rundir import _json_value

        sys.stdout.write(json.dumps(_json_value(result.to_json()), indent=2) + "\n")
        return
    _print_run(result)


def _print_run(result) -> None:
    """The side-by-side summary of ``spacecompute run``."""
    runs = [result.summaries[p] for p in result.policies]
    first = runs[0]
    table = RichTable(
        title=f"spacecompute run: {result.scenario}",
        caption=f"{result.workload}, {first['satellites']:,} satellites, {first['start']} .. "
        f"{first['end']}, {first['steps']:,} steps of {first['step_s']:g} s",
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("metric", style="bold", no_wrap=True)
    for p in result.policies:
        table.add_column(p, justify="right", no_wrap=True)

    def num(v, scale=1.0, fmt=",.0f"):
        return "-" if v is None else format(v / scale, fmt)

    def size(v):
        if v is None:
            return "-"
        for unit, f in (
            ("EB", 1e18),
            ("PB", 1e15),
            ("TB", 1e12),
            ("GB", 1e9),
            ("MB", 1e6),
            ("kB", 1e3),
        ):
            if abs(v) >= f:
                return f"{v / f:,.2f} {unit}"
        return f"{v:,.0f} B"

    def duration(v):
        if v is None:
            return "-"
        if v >= 3600:
            return f"{v / 3600:,.2f} h"
        return f"{v / 60:,.1f} min" if v >= 60 else f"{v:,.1f} s"

    def energy(v):
        if v is None:
            return "-"
        if v >= 3.6e8:
            return f"{v / 3.6e9:,.2f} MWh"
        return f"{v / 3.6e6:,.1f} kWh" if v >= 3.6e6 else f"{v / 3.6e3:,.1f} Wh"

    wall = ("wall time", lambda s: num(s.get("wall_time_s"), 1, ",.2f") + " s")
    if result.workload == "training":
        rows = [
            ("training jobs arrived", lambda s: num(s.get("jobs_arrived", s.get("jobs_total")))),
            ("finished before deadline", lambda s: num(s.get("jobs_on_time"))),
            ("missed the deadline", lambda s: num(s.get("jobs_missed_deadline"))),
            (
                "rejected / never fit",
                lambda s: f"{num(s.get('jobs_rejected'))} / {num(s.get('jobs_never_fit'))}",
            ),
            ("running or queued at end", lambda s: num(s.get("jobs_pending"))),
            (
                "work of finished jobs",
                lambda s: num(s.get("ops_completed_jobs"), 1e21, ",.1f") + " ZFLOP",
            ),
            (
                "work lost to faults (rollbacks)",
                lambda s: (
                    "-"
                    if not s.get("ops_spent")
                    else f"{100 * s['ops_lost'] / s['ops_spent']:.1f} % ({num(s.get('rollbacks'))})"
                ),
            ),
            ("all-reduce over the lasers", lambda s: size(s.get("allreduce_bytes"))),
            (
                "checkpoint traffic",
                lambda s: size(
                    (s.get("checkpoint_write_bytes") or 0) + (s.get("checkpoint_read_bytes") or 0)
                ),
            ),
            ("compute energy", lambda s: energy(s.get("energy_compute_j"))),
            ("payload utilisation", lambda s: num(s.get("utilisation_mean"), 0.01, ".1f") + " %"),
            ("brown-outs (sat-steps)", lambda s: num(s.get("brownouts"))),
            wall,
        ]
    elif result.workload == "inference":

        def pct(v):
            return "-" if v is None else f"{100 * v:.1f} %"

        rows = [
            ("requests", lambda s: num(s.get("jobs_total"))),
            (
                "answered within the objective",
                lambda s: f"{num(s.get('jobs_on_time'))} ({pct(s.get('on_time_fraction'))})",
            ),
            ("answered late", lambda s: num(s.get("jobs_late"))),
            ("dropped: no satellite in view", lambda s: num(s.get("dropped_no_satellite"))),
            ("dropped: no compute capacity", lambda s: num(s.get("dropped_no_capacity"))),
            (
                "dropped: deadline / fault",
                lambda s: f"{num(s.get('dropped_deadline'))} / {num(s.get('dropped_fault'))}",
            ),
            ("latency, median", lambda s: num(s.get("latency_median_s"), 1e-3, ",.0f") + " ms"),
            ("latency, 95th pct", lambda s: num(s.get("latency_p95_s"), 1e-3, ",.0f") + " ms"),
            ("laser (ISL) traffic", lambda s: size(s.get("isl_bytes"))),
            ("payload energy", lambda s: energy(s.get("energy_compute_j"))),
            (
                "energy per answered request",
                lambda s: num(s.get("energy_per_completed_j"), 1, ",.1f") + " J",
            ),
            ("brown-outs (sat-steps)", lambda s: num(s.get("brownouts"))),
            (
                "silent faults / corrupted answers",
                lambda s: f"{num(s.get('faults_silent'))} / {num(s.get('jobs_corrupted'))}",
            ),
            wall,
        ]
    else:
        rows = [
            ("frames captured (jobs)", lambda s: num(s.get("jobs_total"))),
            ("data captured", lambda s: size((s.get("bits_captured") or 0) / 8)),
            ("data downlinked", lambda s: size(s.get("bytes_downlinked"))),
            ("ground-station time used", lambda s: duration(s.get("downlink_time_s"))),
            ("insights delivered (useful frames)", lambda s: num(s.get("insights_delivered"))),
            (
                "capture to insight, median",
                lambda s: num(s.get("insight_latency_median_s"), 60, ",.1f") + " min",
            ),
            (
                "capture to insight, 95th pct",
                lambda s: num(s.get("insight_latency_p95_s"), 60, ",.1f") + " min",
            ),
            (
                "on-board compute energy",
                lambda s: energy(s.get("energy_compute_j")),
            ),
            (
                "  of which inference on frames",
                lambda s: energy(s.get("energy_jobs_j")),
            ),
            (
                "energy per insight",
                lambda s: num(s.get("energy_per_insight_j"), 1e3, ",.1f") + " kJ",
            ),
            ("cloudy frames discarded on board", lambda s: num(s.get("jobs_discarded_cloudy"))),
            ("jobs lost (storage full)", lambda s: num(s.get("jobs_lost"))),
            ("jobs still on board at the end", lambda s: num(s.get("jobs_pending"))),
            ("brown-outs (sat-steps)", lambda s: num(s.get("brownouts"))),
            (
                "silent faults / corrupted results",
                lambda s: f"{num(s.get('faults_silent'))} / {num(s.get('jobs_corrupted'))}",
            ),
            wall,
        ]
    for label, fn in rows:
        table.add_row(label, *[fn(s) for s in runs])
    console.print(table)
    if result.resumed:
        console.print(f"resumed from checkpoints: {', '.join(result.resumed)}")
    if result.skipped:
        console.print(f"already complete (read back): {', '.join(result.skipped)}")
    if result.path is not None:
        console.print(
            f"[green]wrote[/] {escape(str(result.path))} (report.html inside)", soft_wrap=True
        )


@app.command()
def overview(
    scenario: ScenarioArg = "default",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="write results (summary.json, Parquet tables) to this directory"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the summary as JSON instead of tables")
    ] = False,
) -> None:
    """Orbits, sun and eclipse, and ground access of a scenario (no workload), streamed over
    time chunks: satellites, sunlit fraction, eclipses, contacts per station."""
    from .overview import print_overview, run_overview

    try:
        result = run_overview(scenario, out_dir=out, progress=not as_json)
    except (InputError, MemoryBudgetError) as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
    else:
        print_overview(result, console)


def _slug(text: str) -> str:
    """A file-name-safe lower-case form of a location ("Paris, FR" -> "paris-fr")."""
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9.]+", "-", folded.lower()).strip("-") or "here"


def _scenario_constellation(scenario: str):
    """(loaded scenario, run settings, constellation) of a scenario file or preset."""
    from .scenario.build import build_constellation, run_settings
    from .scenario.loader import load_scenario

    loaded = load_scenario(scenario)
    settings = run_settings(loaded)
    constellation, _ = build_constellation(
        loaded.spec.constellation, loaded.base_dir, epoch=settings.start
    )
    return loaded, settings, constellation


IslOption = Annotated[
    str,
    typer.Option(
        "--isl",
        help="ISLs: auto (+Grid for Walker shells, nearest-k for the rest), plus-grid, nearest-k, none",
    ),
]
SeamOption = Annotated[
    str, typer.Option("--seam", help="+Grid seam: auto (connect delta, cut star), connect, cut")
]


@app.command()
def rtt(
    scenario: ScenarioArg,
    src: Annotated[
        str, typer.Option("--from", help="city name (e.g. Paris, 'Paris, US') or 'lat,lon'")
    ],
    dst: Annotated[str, typer.Option("--to", help="city name or 'lat,lon'")],
    duration: Annotated[
        float | None, typer.Option("--duration", help="seconds (default: the scenario's)")
    ] = None,
    step: Annotated[
        float | None, typer.Option("--step", help="seconds (default: the scenario's)")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="ISO-8601 UTC (default: the scenario's)")
    ] = None,
    min_elevation: Annotated[
        float,
        typer.Option("--min-elevation", help="elevation mask of the two end points, deg"),
    ] = 25.0,
    relay: Annotated[
        bool,
        typer.Option("--relay", help="let the scenario's ground stations relay traffic"),
    ] = False,
    isl: IslOption = "auto",
    seam: SeamOption = "auto",
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="output directory (default: ./rtt-<from>-<to>/)", show_default=False
        ),
    ] = None,
    csv: Annotated[
        bool, typer.Option("--csv", help="write rtt.csv instead of rtt.parquet")
    ] = False,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="write rtt.png")] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="print a machine-readable summary")
    ] = False,
) -> None:
    """Round-trip time between two places over a scenario's constellation, step by step.

    Shortest-delay path over the ISLs (+Grid for Walker shells) with the up and down links;
    ground stations relay only with --relay. Writes the time series (rtt.parquet or rtt.csv),
    a plot (rtt.png) and summary.json into --out (default ./rtt-<from>-<to>/).
    """
    from .network.routing import (
        ground_point,
        plot_rtt,
        rtt_series,
        rtt_summary,
    )
    from .scenario.build import build_ground, link_rates
    from .table import atomic_write_text

    try:
        a = ground_point(src, min_elevation_deg=min_elevation, field="--from")
        b = ground_point(dst, min_elevation_deg=min_elevation, field="--to")
        loaded, settings, constellation = _scenario_constellation(scenario)
        stations = build_ground(loaded) if relay else None
        t0 = settings.start if start is None else parse_time(start, field="--start")
        span = settings.duration_s if duration is None else duration
        dt = settings.step_s if step is None else step
        table = rtt_series(
            constellation,
            a,
            b,
            t0,
            span,
            dt,
            method=settings.propagator,
            min_elevation_deg=min_elevation,
            stations=stations,
            relay_ground=relay,
            memory_budget_bytes=settings.memory_budget_bytes,
            isl=isl,
            seam=seam,
            **link_rates(loaded, constellation),
        )
    except (InputError, MemoryBudgetError) as exc:
        _fail(exc)
        return
    summary = {
        "scenario": settings.name,
        "from": str(a.names[0]),
        "to": str(b.names[0]),
        "from_lat_lon_deg": [float(a.lat_deg[0]), float(a.lon_deg[0])],
        "to_lat_lon_deg": [float(b.lat_deg[0]), float(b.lon_deg[0])],
        "start": str(np.datetime64(t0, "s")) + "Z",
        "duration_s": float(span),
        "step_s": float(dt),
        "min_elevation_deg": float(min_elevation),
        "relay_ground": bool(relay),
        **rtt_summary(table),
    }
    out_dir = out if out is not None else Path(f"rtt-{_slug(src)}-{_slug(dst)}")
    try:
        files = [table.write(out_dir / ("rtt.csv" if csv else "rtt.parquet"))]
        if plot:
            title = f"{summary['from']} - {summary['to']} over {settings.name}"
            plot_rtt(table, out_dir / "rtt.png", title=title)
            files.append(out_dir / "rtt.png")
        files.append(out_dir / "summary.json")
        summary["files"] = [str(f) for f in files]
        atomic_write_text(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    except InputError as exc:  # unwritable output directory
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    head = _key_value_table(
        f"spacecompute rtt: {escape(summary['from'])} - {escape(summary['to'])}"
    )

    def ms(x):
        return "-" if x is None else f"{x:.2f} ms"

    rows = [
        ("scenario", f"{settings.name}: {len(constellation):,} satellites"),
        ("span", f"{summary['start']}, {span:g} s at {dt:g} s ({summary['steps']} steps)"),
        (
            "RTT min / median / max",
            f"{ms(summary['rtt_min_ms'])} / {ms(summary['rtt_median_ms'])} / {ms(summary['rtt_max_ms'])}",
        ),
        ("hops", f"{summary['hops_min']} .. {summary['hops_max']} (links, up and down included)"),
        ("path changes", f"{summary['path_changes']} ({summary['distinct_paths']} distinct paths)"),
        ("unreachable steps", f"{summary['unreachable_steps']}"),
        ("lower bound", f"{summary['rtt_lower_bound_ms']:.2f} ms (great circle + up/down legs)"),
        ("files", ", ".join(summary["files"])),
    ]
    for k, v in rows:
        head.add_row(k, escape(v))
    console.print(head)


@app.command()
def topology(
    scenario: ScenarioArg,
    at: Annotated[float, typer.Option("--at", help="seconds after the scenario start")] = 0.0,
    isl: IslOption = "auto",
    seam: SeamOption = "auto",
    k: Annotated[int, typer.Option("--k", help="laser terminals per satellite (nearest-k)")] = 4,
    inter_shell: Annotated[
        bool, typer.Option("--inter-shell", help="link consecutive shells too")
    ] = False,
    gsl: Annotated[
        str, typer.Option("--gsl", help="ground links: all (every visible satellite) or best")
    ] = "all",
    antennas: Annotated[int, typer.Option("--antennas", help="antennas per station (best)")] = 1,
    min_elevation: Annotated[
        float | None,
        typer.Option("--min-elevation", help="elevation mask, deg (default: each station's)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the statistics as JSON")] = False,
) -> None:
    """Statistics of a scenario's network at one instant: degree, diameter, link lengths and
    capacities (ISLs and links to the scenario's ground stations)."""
    from .network.topology import TopologyBuilder, graph_stats
    from .scenario.build import build_ground, link_rates

    try:
        loaded, settings, constellation = _scenario_constellation(scenario)
        ground = build_ground(loaded)
        if not np.isfinite(at):
            raise InputError(f"--at {at}", field="--at", expected="a finite number of seconds")
        t = settings.start + np.timedelta64(round(at * 1e9), "ns")
        eph = constellation.propagate(
            t,
            0.0,
            1.0,
            settings.propagator,
            velocities=False,
            memory_budget_bytes=settings.memory_budget_bytes,
        )
        builder = TopologyBuilder(
            constellation,
            ground,
            isl=isl,
            seam=seam,
            k=k,
            inter_shell=inter_shell,
            gsl=gsl,
            antennas=antennas,
            min_elevation_deg=min_elevation,
            **link_rates(loaded, constellation),
        )
        graph = builder.step(eph.r_ecef_m[0], eph.times[0])
    except (InputError, MemoryBudgetError) as exc:
        _fail(exc)
        return
    stats = {
        "scenario": settings.name,
        "time": str(np.datetime64(t, "s")) + "Z",
        **graph_stats(graph),
    }
    if as_json:
        sys.stdout.write(json.dumps(stats, indent=2) + "\n")
        return
    head = _key_value_table(f"spacecompute topology: {escape(settings.name)} at {stats['time']}")

    def q(d, unit="", fmt=".1f"):
        if d["min"] != d["min"]:  # NaN: no such links
            return "-"
        return f"{d['min']:{fmt}} / {d['median']:{fmt}} / {d['max']:{fmt}}{unit}"

    approx = "" if stats["diameter_exact"] else " (lower bound, double sweep)"
    rows = [
        ("nodes", f"{stats['satellites']:,} satellites, {stats['ground_nodes']} ground stations"),
        ("links", f"{stats['isl_links']:,} ISLs, {stats['gsl_links']:,} GSLs"),
        (
            "ISL degree min / median / max",
            q(stats["isl_degree"], fmt=".0f")
            + f" (mean {stats['isl_degree']['mean']:.2f}; {stats['satellites_without_isl']:,} without ISL)",
        ),
        (
            "GSLs per station",
            q(stats["gsl_per_station"], fmt=".0f")
            + f" ({stats['stations_without_gsl']} stations without any)",
        ),
        ("ISL components", f"{stats['isl_components']:,} (largest {stats['largest_component']:,})"),
        (
            "diameter",
            f"{stats['diameter_hops']:.0f} hops, {stats['diameter_delay_ms']:.1f} ms one way{approx}",
        ),
        ("ISL length min / median / max", q(stats["isl_length_km"], " km")),
        ("GSL length min / median / max", q(stats["gsl_length_km"], " km")),
        (
            "ISL capacity",
            q(stats["isl_capacity_gbps"], " Gbit/s")
            + f", {stats['isl_capacity_total_tbps']:.1f} Tbit/s in all",
        ),
        (
            "GSL capacity",
            q(stats["gsl_capacity_gbps"], " Gbit/s")
            + f", {stats['gsl_capacity_total_tbps']:.2f} Tbit/s in all",
        ),
    ]
    for key, value in rows:
        head.add_row(key, escape(value))
    console.print(head)


@app.command()
def size(
    design: Annotated[
        str,
        typer.Argument(
            help="planner YAML file or built-in design: suncatcher, starcloud-40mw, odc-1m"
        ),
    ] = "suncatcher",
    as_json: Annotated[
        bool, typer.Option("--json", help="print the results as JSON instead of tables")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="output directory (default: ./size-<name>/)", show_default=False
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", help="Monte Carlo samples (0: no Monte Carlo)")
    ] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Monte Carlo seed")] = 0,
) -> None:
    """Size an orbital data centre and compare its cost with a terrestrial one.

    Solar array, battery, radiator, masses, satellites and launches from the project's physics
    (the orbit's real eclipses, the thermal and radiation models); costs over the life, $/kW/yr,
    $/GPU-hour, $/PFLOP-day, $/Mtoken, the terrestrial baseline, Monte Carlo P10/P50/P90, a
    tornado chart, the break-even launch price and the published claims that do not add up.
    Writes report.html, results.json and plots into --out (default ./size-<name>/).
    """
    from .economics.presets import load_design
    from .economics.report import print_plan, write_report
    from .economics.uncertainty import plan

    try:
        if samples < 0:
            raise InputError(f"--samples {samples}", field="--samples", expected="an integer >= 0")
        loaded = load_design(design)
        result = plan(loaded, samples=samples, seed=seed)
    except SpacecomputeError as exc:
        _fail(exc)
        return
    out_dir = out if out is not None else Path(f"size-{_slug(loaded.name)}")
    try:
        files = write_report(result, out_dir)
    except OSError as exc:
        _fail(
            InputError(
                f"cannot write the report: {exc}",
                file=str(out_dir),
                expected="a writable directory",
            )
        )
        return
    if as_json:
        data = result.to_json()
        data["files"] = [str(f) for f in files]
        sys.stdout.write(json.dumps(data, indent=2, allow_nan=False) + "\n")
        return
    print_plan(result, console)
    console.print(f"[green]wrote[/] {escape(', '.join(str(f) for f in files))}", soft_wrap=True)


@app.command()
def compare(
    dirs: Annotated[
        list[Path],
        typer.Argument(help="run directories (a comparison run contributes one column per policy)"),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="print the comparison as JSON instead of a table")
    ] = False,
) -> None:
    """Compare runs side by side: summary metrics as rows (the workload's question first), runs
    or policies as columns; the best value of each row in bold green, "best" as the workload
    defines it (Earth observation: more insights, sooner, for fewer downlinked bytes)."""
    from .results.compare import compare_runs, comparison_json, format_comparison

    try:
        table = compare_runs(dirs)
    except InputError as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(comparison_json(table), indent=2, allow_nan=False) + "\n")
        return
    console.print(format_comparison(table))


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="run directory (or comparison run)")],
) -> None:
    """(Re)write RUN_DIR/report.html: plots and summary table, self-contained."""
    from .results.report import write_report

    try:
        path = write_report(run_dir)
    except InputError as exc:
        _fail(exc)
        return
    except OSError as exc:
        _fail(
            InputError(
                f"cannot write the report: {exc}",
                file=str(run_dir),
                expected="a writable directory",
            )
        )
        return
    console.print(f"[green]wrote[/] {escape(str(path))}", soft_wrap=True)


@app.command("czml")
def czml_command(
    run_dir: Annotated[Path, typer.Argument(help="run directory (or comparison run)")],
) -> None:
    """Write RUN_DIR/scene.czml for Cesium (a comparison run: one per policy directory):
    satellites coloured by state over time, ground stations, contacts and laser links, a clock
    over the run. At most 10,000 satellites (above: a deterministic subset, named in the file)."""
    from .results.czml import write_czml

    try:
        paths = write_czml(run_dir)
    except InputError as exc:
        _fail(exc)
        return
    for path in paths:
        console.print(f"[green]wrote[/] {escape(str(path))}", soft_wrap=True)


@app.command()
def view(
    run_dir: Annotated[Path, typer.Argument(help="run directory (or comparison run)")],
    no_open: Annotated[
        bool, typer.Option("--no-open", help="write the page only, do not open a browser")
    ] = False,
    policy: Annotated[
        str | None,
        typer.Option("--policy", "-p", help="in a comparison run: the policy to show"),
    ] = None,
) -> None:
    """Write RUN_DIR/view.html, a 3D globe of the run that works offline from file://, and open
    it: time slider, play and speed, satellites coloured by state, contacts and laser links,
    click a satellite for its battery, temperature, queue and job."""
    from .results.view import write_view

    try:
        path = write_view(run_dir, policy=policy)
    except InputError as exc:
        _fail(exc)
        return
    console.print(f"[green]wrote[/] {escape(str(path))}", soft_wrap=True)
    if not no_open:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


@app.command("validate-models")
def validate_models(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="also write the report as Markdown (e.g. docs/validation.md)"),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="run only this check module (repeatable)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the checks as JSON")] = False,
) -> None:
    """Run every reference comparison the project has (SGP4, sun, eclipses, contacts, links,
    ITU-R, radiators, power, published figures, RTTs) and print one table: quantity, reference
    with its citation, ours, difference, tolerance, pass. Exit status 1 if a check fails."""
    from .table import atomic_write_text
    from .validation import run_checks
    from .validation.report import print_report, summary, to_markdown

    try:
        results = run_checks(only or None)
    except InputError as exc:
        _fail(exc)
        return
    n, ok, _ = summary(results)
    if as_json:
        rows = [
            {
                "module": r.module,
                "quantity": c.quantity,
                "citation": c.citation,
                "ours": _finite_or_none(c.ours),
                "reference": _finite_or_none(c.reference_value),
                "difference": _finite_or_none(c.difference),
                "tolerance": _finite_or_none(c.tolerance),
                "unit": c.unit,
                "passed": c.passed,
                "note": c.note,
            }
            for r in results
            for c in r.checks
        ]
        sys.stdout.write(json.dumps({"checks": rows, "passed": ok, "total": n}, indent=2) + "\n")
    else:
        print_report(results, console)
    if out is not None:
        try:
            atomic_write_text(out, to_markdown(results))
        except OSError as exc:
            _fail(InputError(f"cannot write {out}: {exc}", file=str(out), expected="a path"))
            return
        if not as_json:
            console.print(f"[green]wrote[/] {escape(str(out))}", soft_wrap=True)
    if ok < n:
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry point."""
    from ._runtime import keep_freed_memory

    keep_freed_memory()
    try:
        app()
    except SpacecomputeError as exc:  # anything a command did not catch itself
        try:
            _fail(exc)
        except typer.Exit as stop:
            sys.exit(stop.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
