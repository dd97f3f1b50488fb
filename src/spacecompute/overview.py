"""The pre-engine run: orbits, sun and eclipse, and ground access over a scenario, streamed.

``spacecompute run`` uses this until the scheduling engine lands (issue 5). It propagates the
constellation in time chunks sized to the scenario's memory budget, computes the sunlit fraction
of every satellite at every step, eclipse windows and ground-station contact windows, and
summarises them. Nothing holds (T, N, 3) for the whole run.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .astro.eclipse import eclipse_events, shadow_margin_m, sunlit_fraction_from_positions
from .astro.sun import sun_position_eci_m
from .astro.timeutil import time_grid
from .errors import InputError, Problem
from .scenario.build import build_ground, run_settings
from .scenario.loader import LoadedScenario, load_scenario
from .sim.windows import WindowJoiner
from .table import Table, atomic_write_text


def check_scenario(name: str) -> tuple[LoadedScenario, object, list[Problem]]:
    """Load a scenario, build its constellation and stations, and run the consistency checks.

    Raises :class:`InputError` with every error found; returns warnings as problems.
    """
    from .preflight import checked_constellation, located_in

    loaded = load_scenario(name)
    with located_in(loaded):
        _, constellation, warnings = checked_constellation(loaded)
        build_ground(loaded)
    return loaded, constellation, warnings


@dataclass
class OverviewResult:
    summary: dict
    stations: Table | None = None
    contacts: Table | None = None
    eclipses: Table | None = None
    satellites: Table | None = None
    warnings: list[Problem] = field(default_factory=list)


def run_overview(
    name: str = "default",
    *,
    out_dir: str | Path | None = None,
    progress: bool = True,
    chunk_steps: int | None = None,
) -> OverviewResult:
    """Run the scenario ``name`` (file or preset) through orbits, eclipse and ground access.

    Time is streamed in chunks sized to the scenario's memory budget (or of ``chunk_steps``).
    """
    from .astro.access import ContactTracker, access_summary

    wall0 = time.perf_counter()
    loaded, constellation, warnings = check_scenario(name)
    s = run_settings(loaded)
    stations = build_ground(loaded)
    grid = time_grid(s.start, s.duration_s, s.step_s)
    n_sat, n_t = len(constellation), grid.shape[0]

    sunlit_sum = np.zeros(n_sat)
    alt_min = np.full(n_sat, np.inf)
    alt_max = np.full(n_sat, -np.inf)
    invalid = np.zeros(n_sat, dtype=np.int64)
    eclipses = WindowJoiner(("satellite",), minima=("min_sunlit",))
    tracker = None
    if stations is not None and len(stations):
        tracker_bytes = len(stations) * n_sat * 100
        if tracker_bytes > s.memory_budget_bytes:
            raise InputError(
                f"tracking contacts of {len(stations)} stations x {n_sat:,} satellites needs about "
                f"{tracker_bytes / 2**30:.1f} GiB, over the memory budget of {s.memory_budget_bytes / 2**30:.1f} GiB",
                file=loaded.file,
                field="ground.stations",
                expected="fewer stations, or a larger memory_budget_mib",
            )
        tracker = ContactTracker(stations, n_sat, satellite_names=constellation.names)
    prev_time = prev_sunlit = prev_margin = None

    chunks = constellation.propagate_chunks(
        s.start,
        s.duration_s,
        s.step_s,
        s.propagator,
        memory_budget_bytes=s.memory_budget_bytes,
        chunk_steps=chunk_steps,
    )
    with _progress(progress and n_sat * n_t > 2_000_000, n_t) as advance:
        for eph in chunks:
            sun = sun_position_eci_m(eph.times)
            sunlit = sunlit_fraction_from_positions(eph.r_eci_m, sun, model=s.shadow)
            margin = shadow_margin_m(eph.r_eci_m, sun)
            sunlit_sum += np.nansum(sunlit, axis=0)
            invalid += (~eph.valid).sum(axis=0)
            alt = eph.alt_m
            alt_min = np.fmin(alt_min, np.nanmin(alt, axis=0))
            alt_max = np.fmax(alt_max, np.nanmax(alt, axis=0))
            if prev_time is not None:  # one step of overlap joins windows across chunks
                times_ext = np.concatenate([[prev_time], eph.times])
                sunlit_ext = np.concatenate([prev_sunlit[None, :], sunlit], axis=0)
                margin_ext = np.concatenate([prev_margin[None, :], margin], axis=0)
            else:
                times_ext, sunlit_ext, margin_ext = eph.times, sunlit, margin
            eclipses.add(eclipse_events(times_ext, sunlit_ext, margin=margin_ext))
            prev_time, prev_sunlit, prev_margin = (
                eph.times[-1],
                sunlit[-1].copy(),
                margin[-1].copy(),
            )
            if tracker is not None:
                tracker.update(eph.times, eph.r_ecef_m)
            advance(eph.n_times)
            del eph, sunlit

    eclipse_table = eclipses.result()
    contacts = tracker.finish() if tracker is not None else None
    station_table = (
        access_summary(contacts, stations, span=(grid[0], grid[-1]))
        if tracker is not None
        else None
    )

    sunlit_frac = sunlit_sum / max(n_t - 0, 1)
    ecl_durations = eclipse_table["duration_s"] if eclipse_table is not None else np.zeros(0)
    full_ecl = (
        ecl_durations[~(eclipse_table["starts_before"] | eclipse_table["ends_after"])]
        if eclipse_table is not None
        else np.zeros(0)
    )
    summary = {
        "scenario": s.name,
        "description": s.description,
        "start": _iso(grid[0]),
        "end": _iso(grid[-1]),
        "steps": int(n_t),
        "step_s": s.step_s,
        "propagator": s.propagator,
        "shadow_model": s.shadow,
        "satellites": int(n_sat),
        "shells": len(constellation.shells),
        "altitude_min_km": float(np.min(alt_min) / 1e3),
        "altitude_max_km": float(np.max(alt_max) / 1e3),
        "propagation_failures": int(invalid.sum()),
        "sunlit_fraction_mean": float(np.mean(sunlit_frac)),
        "sunlit_fraction_min": float(np.min(sunlit_frac)),
        "sunlit_fraction_max": float(np.max(sunlit_frac)),
        "eclipses": len(ecl_durations),
        "eclipse_duration_mean_s": float(np.mean(full_ecl)) if len(full_ecl) else 0.0,
        "eclipse_duration_max_s": float(np.max(full_ecl)) if len(full_ecl) else 0.0,
        "ground_stations": 0 if stations is None else len(stations),
        "contacts": 0 if contacts is None else len(contacts),
        "contact_time_total_h": 0.0
        if contacts is None
        else float(np.sum(contacts["duration_s"]) / 3600),
        "warnings": [str(w) for w in warnings],
        "wall_time_s": round(time.perf_counter() - wall0, 3),
    }
    satellites = Table(
        {
            "satellite": np.arange(n_sat),
            "name": constellation.names,
            "sunlit_fraction": sunlit_frac,
            "altitude_min_km": alt_min / 1e3,
            "altitude_max_km": alt_max / 1e3,
        }
    )
    result = OverviewResult(summary, station_table, contacts, eclipse_table, satellites, warnings)
    if out_dir is not None:
        write_overview(result, Path(out_dir))
    return result


def _iso(t: np.datetime64) -> str:
    """``2026-03-20T00:00:00Z`` (fractions of a second only when there are any)."""
    text = str(np.datetime64(t, "ms"))
    return (text[:-4] if text.endswith(".000") else text) + "Z"


def write_overview(result: OverviewResult, out_dir: Path) -> None:
    """Write summary.json and Parquet tables into ``out_dir``, each file atomically."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory: {exc.strerror or exc}",
            file=str(out_dir),
            expected="a writable directory",
        ) from None
    for name, table in (
        ("stations", result.stations),
        ("contacts", result.contacts),
        ("eclipses", result.eclipses),
        ("satellites", result.satellites),
    ):
        if table is not None:
            table.write(out_dir / f"{name}.parquet")
    atomic_write_text(out_dir / "summary.json", json.dumps(result.summary, indent=2) + "\n")


class _progress:
    """A rich progress bar over time steps, or nothing for short runs."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled = enabled
        self.total = total
        self._bar = None

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import BarColumn, Progress, TimeRemainingColumn

        self._bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            "{task.completed}/{task.total} steps",
            TimeRemainingColumn(),
            transient=True,
        )
        self._bar.__enter__()
        task = self._bar.add_task("propagating", total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.__exit__(*exc)
        return False


def print_overview(result: OverviewResult, console) -> None:
    """Print the summary and the per-station table with rich."""
    from rich.markup import escape
    from rich.table import Table as RichTable

    s = result.summary
    head = RichTable(
        title=f"spacecompute overview: {s['scenario']}", show_header=False, title_justify="left"
    )
    head.add_column("what", style="bold", overflow="fold")
    head.add_column("value", overflow="fold")
    rows = [
        ("span", f"{s['start']} .. {s['end']} ({s['steps']:,} steps of {s['step_s']:,g} s)"),
        (
            "satellites",
            f"{s['satellites']:,} in {s['shells']} shell(s), propagator {s['propagator']}",
        ),
        ("altitude", f"{s['altitude_min_km']:.1f} .. {s['altitude_max_km']:.1f} km"),
        (
            "sunlit fraction",
            f"mean {s['sunlit_fraction_mean']:.3f} (satellites from {s['sunlit_fraction_min']:.3f} to {s['sunlit_fraction_max']:.3f}), {s['shadow_model']} shadow",
        ),
        (
            "eclipses",
            f"{s['eclipses']:,}, full ones last {s['eclipse_duration_mean_s'] / 60:.1f} min on average, {s['eclipse_duration_max_s'] / 60:.1f} min at most",
        ),
        ("ground stations", f"{s['ground_stations']:,}"),
        ("contacts", f"{s['contacts']:,}, {s['contact_time_total_h']:,.1f} h in total"),
        ("wall time", f"{s['wall_time_s']:.2f} s"),
    ]
    if s["propagation_failures"]:
        rows.append(
            (
                "propagation failures",
                f"{s['propagation_failures']:,} satellite-steps (decayed or invalid)",
            )
        )
    for k, v in rows:
        head.add_row(k, v)
    console.print(head)
    if result.stations is not None and len(result.stations):
        st = result.stations
        order = np.argsort(-np.asarray(st["contacts"]), kind="stable")
        table = RichTable(title="Contacts per ground station (top 15)", title_justify="left")
        for col in ("station", "contacts", "hours", "mean min", "max gap h"):
            table.add_column(col, justify="right" if col != "station" else "left")
        for i in order[:15]:
            table.add_row(
                str(st["station_name"][i]),
                f"{int(st['contacts'][i])}",
                f"{st['total_s'][i] / 3600:.2f}",
                f"{st['mean_duration_s'][i] / 60:.1f}",
                f"{st['max_gap_s'][i] / 3600:.1f}",
            )
        console.print(table)
    for w in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(str(w))}", highlight=False, soft_wrap=True)


__all__ = ["OverviewResult", "check_scenario", "print_overview", "run_overview", "write_overview"]
