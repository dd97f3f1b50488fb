"""`validate` and `run` agree: one path builds everything a run builds, and locates every problem.

Each case below was accepted by `validate` and then refused by `run` (or refused by `run` without
the file and line `validate` gives). Now `validate` exits 2 with ``file:line``, and `run` prints
the same problem; `run` prints `validate`'s warnings; and a property test checks that any
generated scenario `validate` accepts runs for one step.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from spacecompute.cli import app
from spacecompute.errors import InputError
from spacecompute.preflight import prepare_scenario
from spacecompute.runner import run_scenario

runner = CliRunner()

SHORT = "start: 2026-03-20T00:00:00Z\nduration_s: 120\n"

CASES = {
    # the README's example: a constellation of shells and no spacecraft.bus
    "no-bus": (
        SHORT + "constellation:\n  shells:\n"
        "    - walker: {total: 4, planes: 2, altitude_km: 550, inclination_deg: 53}\n",
        1,
        "spacecraft.bus",
    ),
    "unknown-radio": (
        SHORT + "constellation: {preset: threebody}\nnetwork:\n  gsl_radio: acme-radio\n",
        5,
        "network.gsl_radio",
    ),
    "missing-aoi": (
        SHORT + "constellation: {preset: threebody}\n"
        "workload: {kind: earth-observation, aoi: missing.geojson}\n",
        4,
        "workload.aoi",
    ),
    "step-over-duration": (
        "duration_s: 60\nstep_s: 120\nconstellation: {preset: threebody}\n",
        1,
        "duration_s",
    ),
    "training-without-bf16": (
        SHORT
        + "constellation: {preset: threebody}\nworkload:\n  kind: training\n"
        + "  max_parallelism: 12\n",
        4,
        "workload.precision",
    ),
    "start-1957": (
        "start: 1957-10-04T00:00:00Z\nduration_s: 120\nconstellation: {preset: threebody}\n",
        1,
        "start",
    ),
}


def _problem_lines(output: str) -> list[str]:
    return [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("- ")]


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_what_run_refuses_with_the_same_located_message(case, tmp_path):
    text, line, key = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    checked = runner.invoke(app, ["validate", str(path)])
    assert checked.exit_code == 2, checked.output
    problems = _problem_lines(checked.output)
    assert problems and problems[0].startswith(f"{path}:{line}: {key}: "), problems
    ran = runner.invoke(app, ["run", str(path)])
    assert ran.exit_code == 2, ran.output
    assert _problem_lines(ran.output) == problems
    assert "Traceback" not in ran.output and "numpy" not in ran.output


def test_independent_problems_are_all_reported_at_once(tmp_path):
    """An unknown radio (link budgets) and a missing AOI file (the workload): both, once each."""
    path = tmp_path / "two.yaml"
    path.write_text(
        SHORT + "constellation: {preset: threebody}\nnetwork: {gsl_radio: acme-radio}\n"
        "workload: {kind: earth-observation, aoi: missing.geojson}\n"
    )
    for command in ("validate", "run"):
        result = runner.invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        problems = _problem_lines(result.output)
        assert len(problems) == 2, problems
        assert problems[0].startswith(f"{path}:4: network.gsl_radio: ")
        assert problems[1].startswith(f"{path}:5: workload.aoi: ")


def _tle_line(text: str) -> str:
    """A TLE line with its modulo-10 checksum (digits, and 1 for each minus sign)."""
    total = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in text)
    return text + str(total % 10)


def test_a_decayed_tle_is_located_in_its_file_by_validate_and_run(tmp_path):
    """16.9 rev/day: a mean altitude of 50 km. `run` used to say only "altitude_m: 1 value(s)
    out of range"; both now name the element file, its line and the perigee."""
    (tmp_path / "low.tle").write_text(
        "LOW-1\n"
        + _tle_line("1 99999U 26001A   26078.25000000  .00007059  00000+0  31840-3 0  999")
        + "\n"
        + _tle_line("2 99999  51.6000 152.9903 0003419 300.8495  59.0437 16.90000000 4697")
        + "\n"
    )
    path = tmp_path / "low.yaml"
    path.write_text(
        SHORT + "constellation:\n  shells:\n    - elements: {file: low.tle}\n"
        "spacecraft: {bus: starlink-v1}\n"
    )
    for command in ("validate", "run"):
        result = runner.invoke(app, [command, str(path)])
        assert result.exit_code == 2, result.output
        problem = _problem_lines(result.output)[0]
        assert problem.startswith(f"{tmp_path / 'low.tle'}:1: "), problem
        assert re.search(r"perigee altitude of -?\d+ km", problem), problem


def test_run_prints_the_warnings_of_validate(tmp_path):
    """eo-cubesat's TLEs are 76 days from its run: over the 14 days the docs promise to warn
    about. `run` shows the warning `validate` shows (before the run's table)."""
    path = tmp_path / "old.yaml"
    path.write_text(
        "start: 2026-06-03T00:00:00Z\nduration_s: 60\nconstellation: {preset: threebody}\n"
        "policy: on-board\n"
    )
    checked = runner.invoke(app, ["validate", str(path)])
    assert checked.exit_code == 0, checked.output
    warnings = [line for line in checked.output.splitlines() if "warning:" in line]
    assert warnings and "days away from" in warnings[0]
    ran = runner.invoke(app, ["run", str(path)])
    assert ran.exit_code == 0, ran.output
    ran_warnings = [line for line in ran.output.splitlines() if "warning:" in line]
    assert [w.strip() for w in ran_warnings] == [w.strip() for w in warnings]
    assert ran.output.index("warning:") < ran.output.index("spacecompute run")
    assert run_scenario(str(path)).warnings  # the Python API keeps them too


# --- the property: what validate accepts runs --------------------------------------------------

_POLICIES = {
    "earth-observation": ["bent-pipe", "on-board", "energy-aware", "optimising"],
    "inference": ["nearest-visible", "energy-aware", "isl-offload", "deadline-aware", "optimising"],
    "training": ["all-in", "energy-aware", "deadline-aware", "optimising"],
}
_CONSTELLATIONS = [
    {"preset": "threebody"},
    {"shells": [{"walker": {"total": 4, "planes": 2, "altitude_km": 550, "inclination_deg": 53}}]},
    {"shells": [{"cluster": {"count": 4, "radius_m": 1000, "altitude_km": 650}}]},
]
_BUSES = [None, "threebody", "cote-3u", "suncatcher", "starlink-v1", "odc-1m"]
_STARTS = ["2026-03-20T00:00:00Z", "2026-12-21T06:00:00Z", "2026-06-01T12:00:00Z", "1990-01-01"]


@st.composite
def _workloads(draw):
    kind = draw(st.sampled_from(sorted(_POLICIES)))
    if kind == "earth-observation":
        workload = {
            "kind": kind,
            "model": draw(st.sampled_from(["yolov8n", "yolov8m"])),
            "aoi": draw(st.sampled_from(["land", "all"])),
        }
    elif kind == "inference":
        workload = {
            "kind": kind,
            "precision": draw(st.sampled_from(["fp16", "int8", "bf16"])),
            "rate_per_s": 5.0,
            "top_cities": 5,
        }
    else:
        workload = {
            "kind": kind,
            "precision": draw(st.sampled_from(["bf16", "int8", "fp16"])),
            "jobs_per_day": 50.0,
            "max_parallelism": draw(st.sampled_from([2, 4])),
        }
    return workload, draw(st.sampled_from(_POLICIES[kind]))


@st.composite
def _scenarios(draw):
    workload, policy = draw(_workloads())
    step = draw(st.sampled_from([30.0, 60.0]))
    doc = {
        "start": draw(st.sampled_from(_STARTS)),
        "step_s": step,
        "duration_s": step * draw(st.sampled_from([0.5, 1.0, 1.5])),  # one step, or none
        "propagator": draw(st.sampled_from(["sgp4", "j2"])),
        "constellation": draw(st.sampled_from(_CONSTELLATIONS)),
        "ground": {"stations": ["Svalbard", "Singapore"]},
        "workload": workload,
        "policy": policy,
    }
    bus = draw(st.sampled_from(_BUSES))
    if bus is not None:
        doc["spacecraft"] = {"bus": bus}
    return doc


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(doc=_scenarios())
def test_what_validate_accepts_runs_one_step(doc):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "generated.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        try:
            prepare_scenario(str(path))
        except InputError as refused:
            with pytest.raises(InputError) as also:
                run_scenario(str(path))
            assert str(also.value) == str(refused)
            assert all(p.file for p in refused.problems), str(refused)
            return
        result = run_scenario(str(path))  # no input error
        summary = result.summaries[doc["policy"]]
        assert summary["steps"] == 1
