"""No traceback, no hang, no out-of-memory kill (issue 13, section 3).

One YAML reader bounds nesting and alias expansion and locates impossible dates; one size guard
(spacecompute.sizeguard) refuses a request before allocating it; nonsense values are errors.
Every case goes through the CLI and must exit 2 with a message, never a traceback."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacecompute.cli import app
from spacecompute.errors import InputError, MemoryBudgetError
from spacecompute.yamlio import MAX_DEPTH, load_yaml_text

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src" / "spacecompute"


def _exit_2(args, *needles):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    for needle in needles:
        assert needle in result.output, (needle, result.output)
    return result.output


def _alias_bomb(levels: int = 12) -> str:
    """The "billion laughs": each level a list of 9 aliases of the one before (9**12 values)."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ the YAML reader


def test_an_alias_bomb_is_refused_before_it_is_expanded(tmp_path):
    text = _alias_bomb()
    assert len(text) < 1100  # a 1 KB file that would expand to 282 billion values
    with pytest.raises(InputError, match="through aliases"):
        load_yaml_text(text, file="bomb.yaml")
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    _exit_2(["validate", str(path)], "bomb.yaml:", "aliases")
    _exit_2(["run", str(path)], "aliases")


def test_modest_aliases_still_work():
    doc = load_yaml_text("base: &b {x: 1, y: [1, 2]}\nc: *b\nd: [*b, *b]\n").data
    assert doc["c"] == doc["d"][1] == {"x": 1, "y": [1, 2]}


@pytest.mark.parametrize("opener, closer", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_a_located_error_not_a_recursion_error(tmp_path, opener, closer):
    text = "constellation: " + opener * 5000 + "1" + closer * 5000 + "\n"
    with pytest.raises(InputError, match=f"more than {MAX_DEPTH} levels"):
        load_yaml_text(text)
    load_yaml_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))  # at the limit: fine
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    _exit_2(["validate", str(path)], "deep.yaml:1", "levels")


def test_a_recursive_alias_is_refused():
    with pytest.raises(InputError):
        load_yaml_text("a: &a [1, *a]\n")


@pytest.mark.parametrize(
    "value, line",
    [
        ("2026-02-29T00:00:00Z", "day is out of range"),
        ("2026-02-30", "day is out of range"),
        ("2026-03-20T25:00:00Z", "hour must be in 0..23"),
    ],
)
def test_impossible_unquoted_dates_are_located_errors(tmp_path, value, line):
    path = tmp_path / "s.yaml"
    path.write_text(f"constellation: {{preset: threebody}}\nstart: {value}\n")
    out = _exit_2(["validate", str(path)], "s.yaml:2", "start", line, "2026-03-20T00:00:00Z")
    assert "ValueError" not in out


def test_an_impossible_date_in_a_planner_file_is_a_located_error(tmp_path):
    from spacecompute.economics.presets import load_design

    text = Path(load_design("suncatcher").file).read_text()
    assert "start: 2026-01-01" in text
    bad = text.replace("start: 2026-01-01", "start: 2026-02-30")
    line = bad.splitlines().index(next(s for s in bad.splitlines() if "2026-02-30" in s)) + 1
    path = tmp_path / "plan.yaml"
    path.write_text(bad)
    _exit_2(["size", str(path), "--samples", "0"], f"plan.yaml:{line}", "orbit.start")


def test_every_yaml_read_goes_through_the_one_reader():
    """The class: no module but yamlio.py calls PyYAML's loaders directly."""
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if p.name != "yamlio.py"
        and re.search(r"yaml\.(safe_load|load|full_load|unsafe_load|compose)\b", p.read_text())
    ]
    assert offenders == []


def test_the_packaged_catalogs_read_the_same_through_libyaml():
    """The package's own YAML files (``packaged=True``: libyaml where PyYAML has it, read at
    every start) give the same values and the same lines as the pure-Python loader."""
    files = sorted((SRC / "data").rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        text = path.read_text(encoding="utf-8")
        slow, fast = load_yaml_text(text, str(path)), load_yaml_text(text, str(path), packaged=True)
        assert fast.data == slow.data, path
        assert fast.lines == slow.lines, path


# ------------------------------------------------------------------ the size guard


def test_check_size_names_the_numbers_and_the_key():
    from spacecompute.sizeguard import check_size

    assert check_size("x", [(10, "jobs")], 100, key="k") == 1000
    with pytest.raises(MemoryBudgetError) as err:
        check_size("the job table", [(1e10, "jobs"), (3, "copies")], 512, key="jobs_per_day")
    text = str(err.value)
    assert "10,000,000,000 jobs x 3 copies x 512 bytes" in text
    assert "14,305.1 GiB" in text or "14.0 TiB" in text  # 1.536e13 B
    assert "change jobs_per_day" in text and "2.0 GiB" in text
    with pytest.raises(MemoryBudgetError):
        check_size("x", [(float("inf"), "steps")], 1, key="k")


def _training(tmp_path, **workload):
    from spacecompute.scenario.loader import load_scenario

    text = Path(load_scenario("training-cluster").file).read_text()
    text = text.replace("duration_s: 86400", "duration_s: 600")
    for key, value in workload.items():
        text = re.sub(rf"{key}: \S+", f"{key}: {value}", text)
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return str(path)


def test_training_jobs_are_guarded_before_they_are_drawn(tmp_path):
    scen = _training(tmp_path, jobs_per_day="1.0e+12")
    _exit_2(["run", scen, "-p", "all-in"], "jobs", "GiB", "workload.jobs_per_day")


def test_absurd_model_sizes_are_errors(tmp_path):
    scen = _training(tmp_path, params_min="1.0e+30", params_max="1.0e+31")
    _exit_2(["validate", scen], "workload.params_min", "workload.params_max")


def test_a_ten_million_satellite_shell_is_refused_before_it_is_built(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(
        json.dumps(
            {
                "constellation": {
                    "shells": [
                        {
                            "walker": {
                                "total": 10_000_000,
                                "planes": 1000,
                                "altitude_km": 550,
                                "inclination_deg": 53,
                            }
                        }
                    ]
                },
                "spacecraft": {"bus": "starlink-v1"},
                "duration_s": 60,
            }
        )
    )
    _exit_2(["run", str(path)], "10,000,000 satellites", "memory_budget_mib")


def test_cli_size_requests_are_guarded():
    _exit_2(["size", "suncatcher", "--samples", "100000000"], "100,000,000 samples", "--samples")
    _exit_2(["size", "suncatcher", "--seed", "-5"], "--seed")


def test_rtt_and_topology_requests_are_guarded():
    _exit_2(
        ["rtt", "default", "--from", "Paris", "--to", "Tokyo", "--duration", "1e9", "--step", "1"],
        "1,000,000,001 steps",
        "--duration or --step",
    )
    _exit_2(["topology", "default", "--at", "1e12"], "--at")
    _exit_2(["topology", "default", "--k", "0"], "k = 0", ">= 1")
    _exit_2(["topology", "default", "--k", "-3"], "k = -3")


# ------------------------------------------------------------------ nonsense that passed silently


def test_an_unknown_isl_terminal_lists_the_known_ones(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("constellation: {preset: threebody}\nnetwork: {isl_terminal: acme-laser}\n")
    _exit_2(["validate", str(path)], "s.yaml:2", "acme-laser", "tesat-scot80")


def test_max_parallelism_above_the_cluster_is_an_error(tmp_path):
    scen = _training(tmp_path, max_parallelism=128)
    _exit_2(["run", scen, "-p", "all-in"], "workload.max_parallelism", "81")
