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

#: How help names a value's kind: a word, not Python's type (``<str>``, ``<list[str]>``).
_HELP_KINDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "Path": "PATH"}


def _help_kind(original):
    """Wrap typer's ``display_type_rich``: nothing for flags, ``TEXT`` for a repeatable text
    option (its help says "repeat"), ``INTEGER``, ``NUMBER``, ``PATH``."""

    def display(self, ctx):
        if getattr(self, "is_flag", False):
            return None
        text = original(self, ctx)
        if text is None or getattr(self, "metavar", None) is not None:
            return text
        kind = text.strip("<>").removesuffix("...")
        if kind.startswith("list[") and kind.endswith("]"):
            kind = kind[5:-1]
        kind = kind.replace(" range", "")
        return _HELP_KINDS.get(kind, kind.upper())

    return display


for _param in (typer.core.TyperOption, typer.core.TyperArgument):
    _param.display_type_rich = _help_kind(_param.display_type_rich)

ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="scenario YAML file or built-in preset name (see `spacecompute scenarios`)"
    ),
]


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        console.print(f"spacecompute {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """Computing in orbit: how much compute a constellation delivers, to whom, at what latency,
    energy and cost."""


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
    table.add_column("what", style="bold", overflow="fold")
    table.add_column("value", overflow="fold")
    return table


def _print_presets(title: str, presets: dict) -> None:
    table = RichTable(title=title)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description", overflow="fold")
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
        table.add_column(col, style="bold cyan" if col == "name" else None, overflow="fold")
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
    """Check scenario files: every problem is reported at once, with file, line and key path.

    Builds everything `spacecompute run` builds (constellation, fleet, hardware, terminals,
    workload inputs, engine configuration) without stepping: a file that passes runs."""
    from .preflight import prepare_scenario

    failed = False
    for name in files:
        try:
            prepared = prepare_scenario(name)
        except (InputError, MemoryBudgetError) as exc:
            failed = True
            problems = exc.problems if isinstance(exc, InputError) else [exc]
            err_console.print(f"[bold red]{name}: {len(problems)} problem(s)[/]")
            for p in problems:
                err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False, soft_wrap=True)
            continue
        _print_warnings(prepared.warnings)
        s = prepared.settings
        console.print(
            f"[green]ok[/] {name}: {len(prepared.constellation):,} satellites, "
            f"{s.duration_s:,g} s at {s.step_s:,g} s steps, propagator {s.propagator}, "
            f"{_workload_text(prepared.loaded.spec)} under {', '.join(prepared.policies)}"
        )
    if failed:
        raise typer.Exit(2)


def _workload_text(spec) -> str:
    """``earth-observation``, or for a mix ``mixed (inference, eo, batch)``."""
    if spec.workloads is None:
        return spec.workload.kind
    from .sim.mixed import SHORT_NAMES

    return "mixed (" + ", ".join(w.name or SHORT_NAMES[w.kind] for w in spec.workloads) + ")"


def _print_warnings(problems) -> None:
    """Warnings about a scenario (old elements, skipped records), as `validate` prints them."""
    for p in problems:
        err_console.print(
            f"  [yellow]warning:[/] {escape(str(p))}", highlight=False, soft_wrap=True
        )


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
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="run again and replace results in --out that belong to other inputs (another "
            "scenario or edited keys), or write into a --out that holds other files",
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
            force=force,
            warn=_print_warnings,
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
    except KeyboardInterrupt:
        if progress is not None:
            progress.stop()
        _interrupted(scenario, out, policy)
    finally:
        if progress is not None:
            progress.stop()
    if as_json:
        from .sim.rundir import _json_value

        sys.stdout.write(json.dumps(_json_value(result.to_json()), indent=2) + "\n")
        return
    _print_run(result)


def _interrupted(scenario: str, out: Path | None, policies: list[str] | None) -> None:
    """Ctrl-C during `run`: say how to go on (the last checkpoint in --out is kept), exit 130."""
    import shlex

    if out is None:
        err_console.print(
            "[bold yellow]interrupted[/]: nothing was kept (give --out DIR to keep checkpoints "
            "that a later run can resume)",
            highlight=False,
        )
    else:
        words = ["spacecompute", "run", scenario, "--out", _shown(out), "--resume"]
        for p in policies or []:
            words += ["--policy", p]
        err_console.print(
            f"[bold yellow]interrupted[/]: the last checkpoint in {escape(_shown(out))} is kept; "
            f"resume with:\n  {escape(shlex.join(words))}",
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(130)


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
    elif result.workload == "mixed":
        rows = [("arbiter", lambda s: str(s.get("arbiter")))]
        for name in runs[0].get("workloads", {}):

            def part(key, fmt, name=name):
                return lambda s: fmt((s.get("workloads", {}).get(name) or {}).get(key))

            own = runs[0]["workloads"][name]
            extra = [
                (key, label)
                for key, label in (
                    ("jobs_on_time", "on time"),
                    ("dropped_no_satellite", "dropped: no satellite in view"),
                    ("insights_delivered", "insights delivered"),
                )
                if own.get(key) is not None
            ]
            rows += [
                (f"{name}: jobs total", part("jobs_total", num)),
                (f"{name}: completed", part("jobs_completed", num)),
                (f"{name}: dropped", part("jobs_dropped", num)),
                *[(f"{name}: {label}", part(key, num)) for key, label in extra],
                (f"{name}: share of the payloads",
                 part("utilisation", lambda v: num(v, 0.01, ".2f") + " %")),
                (f"{name}: energy above idle", part("energy_active_j", energy)),
            ]  # fmt: skip
        rows += [
            ("payload idle energy", lambda s: energy(s.get("energy_idle_j"))),
            ("compute energy", lambda s: energy(s.get("energy_compute_j"))),
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
    from .richtable import print_table

    print_table(console, table)
    if result.resumed:
        console.print(f"resumed from checkpoints: {', '.join(result.resumed)}")
    if result.skipped:
        console.print(f"already complete (read back): {', '.join(result.skipped)}")
    if result.path is not None:
        console.print(
            f"[green]wrote[/] {escape(_shown(result.path))} (report.html inside)", soft_wrap=True
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


def _shown(path: Path | str) -> str:
    """A path as printed: resolved (no ``..``, links followed), relative to the working
    directory when it lies below it, else absolute."""
    full = Path(path).resolve()
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(full)


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
        loaded.spec.constellation,
        loaded.base_dir,
        epoch=settings.start,
        memory_budget_bytes=settings.memory_budget_bytes,
    )
    return loaded, settings, constellation


#: Farthest instant from a scenario's start that --at may name (100 years, in seconds).
MAX_OFFSET_S = 100 * 365.25 * 86400.0

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


class _StepProgress:
    """Progress of a long step-by-step command on stderr: a bar (only on a terminal, after 2 s,
    as `run`'s) and, when the run will take over half a minute, one line with the estimate
    (also when piped)."""

    def __init__(self, label: str, announce_after_s: float = 2.0) -> None:
        import time

        from .runner import LazyProgress

        self.label = label
        self.clock = time.perf_counter
        self.after_s = announce_after_s
        self.bar = LazyProgress(err_console) if err_console.is_terminal else None
        self.announced = False
        self.first: tuple[int, float] | None = None  # (steps, time) at the first step

    def __call__(self, done: int, total: int) -> None:
        if self.bar is not None:
            self.bar(self.label, done, total)
        if self.first is None:  # the rate is measured from here: setup and compilation excluded
            self.first = (done, self.clock())
            return
        elapsed = self.clock() - self.first[1]
        if self.announced or done <= self.first[0] or elapsed < self.after_s:
            return
        self.announced = True
        left = elapsed / (done - self.first[0]) * (total - done)
        if left > 30.0:
            err_console.print(
                f"{self.label}: {total:,} steps, about {_duration_words(left)} to go "
                "(Ctrl-C stops)",
                highlight=False,
            )

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _duration_words(seconds: float) -> str:
    if seconds >= 5400:
        return f"{seconds / 3600:,.1f} h"
    if seconds >= 90:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds:,.0f} s"


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
        progress = _StepProgress("rtt")
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
            progress=progress,
            **link_rates(loaded, constellation),
        )
        progress.stop()
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
        summary["files"] = [_shown(f) for f in files]
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
        return "no path" if x is None else f"{x:,.2f} ms"

    reached = summary["hops_min"] is not None

    rows = [
        ("scenario", f"{settings.name}: {len(constellation):,} satellites"),
        ("span", f"{summary['start']}, {span:,g} s at {dt:,g} s ({summary['steps']:,} steps)"),
        (
            "RTT min / median / max",
            f"{ms(summary['rtt_min_ms'])} / {ms(summary['rtt_median_ms'])} / {ms(summary['rtt_max_ms'])}",
        ),
        (
            "hops",
            f"{summary['hops_min']:,} .. {summary['hops_max']:,} (links, up and down included)"
            if reached
            else "no path at any step",
        ),
        (
            "path changes",
            f"{summary['path_changes']:,} ({summary['distinct_paths']:,} distinct paths)",
        ),
        ("unreachable steps", f"{summary['unreachable_steps']:,} of {summary['steps']:,}"),
        ("lower bound", f"{summary['rtt_lower_bound_ms']:,.2f} ms (great circle + up/down legs)"),
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
        if not np.isfinite(at) or abs(at) > MAX_OFFSET_S:
            raise InputError(
                f"--at {at:g}",
                field="--at",
                expected=f"seconds within {MAX_OFFSET_S:,.0f} (100 years) of the scenario start",
            )
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
        ("nodes", f"{stats['satellites']:,} satellites, {stats['ground_nodes']:,} ground stations"),
        ("links", f"{stats['isl_links']:,} ISLs, {stats['gsl_links']:,} GSLs"),
        (
            "ISL degree min / median / max",
            q(stats["isl_degree"], fmt=".0f")
            + f" (mean {stats['isl_degree']['mean']:.2f}; {stats['satellites_without_isl']:,} without ISL)",
        ),
        (
            "GSLs per station",
            q(stats["gsl_per_station"], fmt=".0f")
            + f" ({stats['stations_without_gsl']:,} stations without any)",
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
    console.print(f"[green]wrote[/] {escape(', '.join(_shown(f) for f in files))}", soft_wrap=True)


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
    from .richtable import print_table

    print_table(console, format_comparison(table))


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="run directory (or comparison run)")],
) -> None:
    """(Re)write RUN_DIR/report.html: plots and summary table, self-contained."""
    from .results.report import write_report

    try:
        if (run_dir / "sweep.parquet").is_file():  # a sweep directory
            from .sweep.report import write_sweep_report

            path = write_sweep_report(run_dir)
        else:
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
    console.print(f"[green]wrote[/] {escape(_shown(path))}", soft_wrap=True)


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


SweepArg = Annotated[
    str,
    typer.Argument(help="sweep YAML file or built-in sweep name (see `spacecompute sweeps`)"),
]


@app.command()
def sweeps() -> None:
    """List the built-in sweeps (a name is accepted anywhere a sweep file is)."""
    from .sweep.spec import sweep_presets

    _print_presets("Built-in sweeps", sweep_presets())


@app.command()
def sweep(
    sweep_file: SweepArg,
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="sweep directory: cells/, sweep.parquet, report.html"),
    ],
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-j", help="worker processes (default: the machine's cores)"),
    ] = None,
    dask: Annotated[
        bool, typer.Option("--dask", help="run on a Dask LocalCluster of --workers workers")
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="run on an existing Dask cluster (tcp://HOST:8786)"),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="reuse the finished cells of --out whose fingerprint matches"
        ),
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="validate the sweep and list its cells; run nothing")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the outcome as JSON instead of a table")
    ] = False,
) -> None:
    """Run a design-space sweep: a base scenario or planner design, axes over any of its key
    paths, seeds; one run directory per cell, DIR/sweep.parquet and DIR/report.html."""
    from .sweep.progress import SweepProgress
    from .sweep.run import run_sweep
    from .sweep.spec import load_sweep

    progress = None
    try:
        spec = load_sweep(sweep_file)
        if check:
            _print_sweep_cells(spec)
            return
        if not as_json:
            progress = SweepProgress(err_console, f"sweep {spec.name}")
        result = run_sweep(
            spec,
            out,
            workers=workers,
            executor="dask" if (dask or scheduler) else "local",
            scheduler=scheduler,
            resume=resume,
            progress=progress,
        )
    except (InputError, MemoryBudgetError) as exc:
        if progress is not None:
            progress.stop()
        _fail(exc)
        return
    finally:
        if progress is not None:
            progress.stop()
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=2) + "\n")
        return
    table = _key_value_table(f"spacecompute sweep: {escape(spec.name)}")
    table.add_row("cells", f"{len(spec.cells):,} ({result.ran:,} run, {result.reused:,} reused)")
    table.add_row("finished", f"{result.ok:,}")
    table.add_row("failed", f"{result.failed:,}")
    table.add_row("wall time", f"{result.wall_time_s:,.1f} s")
    console.print(table)
    for error, n in result.errors.most_common(10):
        console.print(f"  [red]{n} failed:[/] {escape(error)}", soft_wrap=True)
    console.print(
        f"[green]wrote[/] {escape(str(out))} (sweep.parquet, report.html, cells/)", soft_wrap=True
    )


def _print_sweep_cells(spec) -> None:
    """``sweep --check``: the cells of a valid sweep."""
    table = RichTable(title=f"{spec.name}: {len(spec.cells):,} cells", title_justify="left")
    for col in ("cell", *[a.key for a in spec.axes], "seed", "cell_id", "note"):
        table.add_column(col)
    for c in spec.cells[:200]:
        values = [escape(str(c.values[a.key])) for a in spec.axes]
        note = escape(f"rejected: {c.error}") if c.error else ""
        table.add_row(str(c.index), *values, str(c.seed), c.cell_id, note)
    console.print(table)
    if len(spec.cells) > 200:
        console.print(f"... and {len(spec.cells) - 200:,} more cells")


@app.command()
def query(
    sweep_dir: Annotated[Path, typer.Argument(help="sweep directory (--out of `sweep`)")],
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over the views sweep, jobs, steps, satellites, contacts (quote axis "
            'columns: "spacecraft.bus")'
        ),
    ],
    csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
) -> None:
    """SQL over a sweep's table and its run directories' Parquet tables, with DuckDB."""
    from .sweep.query import query as run_query

    try:
        names, rows = run_query(sweep_dir, sql)
    except InputError as exc:
        _fail(exc)
        return
    if csv:
        import csv as csv_module

        writer = csv_module.writer(sys.stdout)
        writer.writerow(names)
        writer.writerows(rows)
        return
    table = RichTable()
    for n in names:
        table.add_column(escape(n))
    for row in rows:
        table.add_row(*[escape(f"{v:.6g}" if isinstance(v, float) else str(v)) for v in row])
    console.print(table)


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
