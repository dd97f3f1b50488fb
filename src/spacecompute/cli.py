"""The ``spacecompute`` command line (typer).

Every user mistake (bad file, bad key, unknown preset) is printed as ``file:line: field: problem
(expected ...)`` on stderr and exits with status 2; no traceback is shown for them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

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
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios (a name is accepted anywhere a scenario file is)."""
    from .scenario.loader import scenario_presets

    table = RichTable(title="Built-in scenarios", show_lines=False)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description")
    for preset in scenario_presets().values():
        table.add_row(preset.name, preset.description)
    console.print(table)


@app.command()
def constellations() -> None:
    """List the built-in constellations (for `constellation: {preset: NAME}` and sc.preset_constellation)."""
    from .scenario.loader import constellation_presets

    table = RichTable(title="Built-in constellations")
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description")
    for preset in constellation_presets().values():
        table.add_row(preset.name, preset.description)
    console.print(table)


@app.command()
def validate(
    files: Annotated[list[str], typer.Argument(help="scenario YAML files or preset names")],
) -> None:
    """Check scenario files: every problem is reported at once, with file, line and key path."""
    from .sim.overview import check_scenario

    failed = False
    for name in files:
        try:
            loaded, constellation, notes = check_scenario(name)
        except InputError as exc:
            failed = True
            err_console.print(f"[bold red]{name}: {len(exc.problems)} problem(s)[/]")
            for p in exc.problems:
                err_console.print(f"  [red]-[/] {escape(str(p))}", highlight=False, soft_wrap=True)
            continue
        for p in notes:
            err_console.print(f"  [yellow]warning:[/] {escape(str(p))}", highlight=False, soft_wrap=True)
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
            "--out", "-o", help="write results (summary.json, Parquet tables) to this directory"
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the summary as JSON instead of tables")
    ] = False,
) -> None:
    """Run a scenario (default: the built-in `default`) and print its summary.

    Until the scheduling engine lands this runs what exists: orbits, sun and eclipse, and ground
    access, streamed over time chunks.
    """
    from .sim.overview import print_overview, run_overview

    try:
        result = run_overview(scenario, out_dir=out, progress=not as_json)
    except (InputError, MemoryBudgetError) as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
    else:
        print_overview(result, console)


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SpacecomputeError as exc:  # anything a command did not catch itself
        try:
            _fail(exc)
        except typer.Exit as stop:
            sys.exit(stop.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
