"""Readable in a terminal: 80 columns without cut numbers, help without Python types, --version,
"no path", messages that name commands rather than Python functions, Ctrl-C, the planner's
note on a nominal outside its Monte Carlo band."""

from __future__ import annotations

import ast
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from typer.testing import CliRunner

import spacecompute
from spacecompute.cli import app
from spacecompute.richtable import fit_table

runner = CliRunner()
SRC = Path(spacecompute.__file__).parent


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The CLI in a subprocess with stdout a pipe and COLUMNS=80 (as in a pipe or a terminal
    of 80 columns)."""
    env = {**os.environ, "COLUMNS": "80", "PYTHONPATH": str(SRC.parent)}
    return subprocess.run(
        [sys.executable, "-m", "spacecompute", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
    )


def _wide_table_lines(text: str) -> list[str]:
    """Table lines wider than 80 columns (a path on a line of its own may be longer: it is
    printed whole so that it can be copied)."""
    return [line for line in text.splitlines() if len(line) > 80 and line[:1] in "┏┃┡│└┌├"]


def test_fit_table_splits_wide_tables_without_cutting_a_number():
    table = Table(title="wide")
    table.add_column("metric")
    values = [f"{10**12 + k:,}" for k in range(7)]
    for k in range(7):
        table.add_column(f"policy-number-{k}", justify="right")
    table.add_row("a long metric label that has to wrap somewhere", *values)
    console = Console(width=80, record=True, file=io.StringIO())
    parts = fit_table(table, 80, console)
    assert len(parts) > 1
    for part in parts:
        console.print(part)
    text = console.export_text()
    assert "…" not in text
    assert all(v in text for v in values)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert all(f"policy-number-{k}" in text for k in range(7))


def test_run_and_compare_at_80_columns_in_a_pipe(tmp_path):
    """Four policies side by side (`optimis…`, `207,366,38…` before): every policy name and
    every number whole, the numbers those of summary.json."""
    scen = tmp_path / "four.yaml"
    scen.write_text(
        "name: four\nstart: 2026-03-20T06:00:00Z\nduration_s: 300\nstep_s: 60\n"
        "constellation: {preset: threebody}\n"
        "ground: {stations: [Svalbard, TrollSat, Singapore]}\n"
        "network: {gsl_radio: cote-xband, ground_terminal: cote-ground-xband}\n"
        "spacecraft: {bus: cote-3u}\nworkload: {kind: earth-observation, model: yolov8m}\n"
        "policy: optimising\ncompare: [energy-aware, on-board, bent-pipe]\n"
    )
    out = tmp_path / "out"
    ran = _cli("run", str(scen), "--out", str(out), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "…" not in ran.stdout
    assert _wide_table_lines(ran.stdout) == []
    runs = json.loads((out / "summary.json").read_text())["runs"]
    for policy, summary in runs.items():
        assert policy in ran.stdout
        assert f"{summary['jobs_total']:,}" in ran.stdout
    compared = _cli("compare", str(out), cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "…" not in compared.stdout
    assert _wide_table_lines(compared.stdout) == []
    from spacecompute.results.metrics import format_quantity

    for summary in runs.values():
        whole = format_quantity(float(summary["bits_captured"]), "bit")  # e.g. 105.50 Gbit
        assert whole in compared.stdout
        assert f"{summary['jobs_total']:,}" in compared.stdout
        assert "e+" not in compared.stdout  # units and separators, not exponents


def test_help_shows_no_python_types():
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert {"run", "validate", "rtt", "size"} <= set(commands)
    for name in commands:
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (name, result.output)
        for noise in ("<bool>", "<list[str]>", "<str>", "<float>", "<int"):
            assert noise not in result.output, (name, noise)
    run_help = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "120"}).output
    assert "TEXT" in run_help and "PATH" in run_help  # value kinds stay


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"spacecompute {spacecompute.__version__}"


def test_rtt_unreachable_pair_says_no_path(tmp_path):
    """12 satellites and no ISL path from Paris to Luanda at these instants."""
    result = runner.invoke(
        app,
        [
            *("rtt", "threebody", "--from", "Paris", "--to", "Luanda"),
            *("--duration", "60", "--step", "60", "--no-plot", "--out", str(tmp_path / "rtt")),
        ],
        env={"COLUMNS": "100"},
    )
    assert result.exit_code == 0, result.output
    assert "no path" in result.output and "None" not in result.output
    assert "2 of 2" in result.output  # unreachable steps


def _message_strings(node: ast.Call) -> list[str]:
    out = []
    for arg in [*node.args, *(k.value for k in node.keywords)]:
        for sub in ast.walk(arg):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                out.append(sub.value)
    return out


def test_messages_never_point_users_at_a_python_module():
    """Messages name a CLI command (`spacecompute terminals`) or the values themselves, never
    a module path such as spacecompute.network.links.terminals()."""
    module_path = re.compile(r"spacecompute\.[a-z_]+\.[a-z_]")
    kinds = {"InputError", "Problem", "ValueError", "MemoryBudgetError", "SpacecomputeError"}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name in kinds:
                found += [
                    f"{path.name}:{node.lineno}: {s}"
                    for s in _message_strings(node)
                    if module_path.search(s)
                ]
    assert not found, found


def test_unknown_terminal_names_the_command_that_lists_them(tmp_path):
    path = tmp_path / "radio.yaml"
    path.write_text("constellation: {preset: threebody}\nnetwork: {gsl_radio: acme-radio}\n")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "spacecompute terminals" in result.output and "spacecompute." not in result.output


def test_ctrl_c_during_run_says_how_to_resume(tmp_path, monkeypatch):
    import spacecompute.runner as runner_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner_module, "run_scenario", interrupted)
    out = tmp_path / "runs" / ".." / "runs" / "x"
    result = runner.invoke(app, ["run", "default", "--out", str(out), "--policy", "on-board"])
    assert result.exit_code == 130
    text = " ".join(result.output.split())
    resolved = str((tmp_path / "runs" / "x").resolve())
    assert f"spacecompute run default --out {resolved} --resume --policy on-board" in text
    no_out = runner.invoke(app, ["run", "default"])
    assert no_out.exit_code == 130 and "--out" in no_out.output


@pytest.mark.parametrize("design, outside", [("suncatcher", True), ("odc-1m", False)])
def test_size_says_why_the_nominal_lies_outside_the_band(design, outside):
    """Suncatcher's nominal $158k/kW/yr lies below the Monte Carlo's P10: its input ranges are
    skewed (satellite cost 800..5,000 $/kg around 1,500: a mean near 2,400), so the nominal
    (the modes) sits low; with every input at its mean the result is near the median."""
    from spacecompute.economics.presets import load_design
    from spacecompute.economics.uncertainty import plan

    result = plan(load_design(design), samples=400, seed=0)
    p10, p50, p90 = result.monte_carlo.percentiles["space_usd_per_kw_year"]
    nominal = result.nominal["space_usd_per_kw_year"]
    assert (not p10 <= nominal <= p90) == outside
    note = result.nominal_note
    if not outside:
        assert note is None
        return
    assert nominal < p10 and "below its P10" in note
    assert "satellite_cost_usd_per_kg" in note and "skewed" in note
    at_means = float(re.search(r"at its mean the result is \$([\d.]+)k", note).group(1)) * 1e3
    assert abs(at_means - p50) < abs(nominal - p50) / 2  # the skew explains most of the gap
    assert result.to_json()["nominal_outside_band"] == note


def test_long_step_runs_announce_their_time(monkeypatch):
    """`rtt` over a day at 1 s: after the first steps, one line with the time to go (measured
    from the first step, so that setup and compilation do not count); short runs say nothing."""
    import spacecompute.cli as cli

    buffer = io.StringIO()
    monkeypatch.setattr(cli, "err_console", Console(file=buffer, width=120))
    now = [0.0]
    progress = cli._StepProgress("rtt")
    progress.clock = lambda: now[0]
    progress(1, 86_401)  # first step at t = 0 (after setup)
    now[0] = 1.0
    progress(101, 86_401)  # 100 steps a second: not yet 2 s measured
    assert buffer.getvalue() == ""
    now[0] = 3.0
    progress(301, 86_401)  # 86,100 steps to go at 100 per second: 861 s
    assert "rtt: 86,401 steps, about 14 min to go" in buffer.getvalue()
    short = cli._StepProgress("rtt")
    short.clock = lambda: now[0]
    short(1, 400)
    now[0] = 6.0
    short(301, 400)  # 99 steps left at 100 per second: 1 s
    assert buffer.getvalue().count("to go") == 1
