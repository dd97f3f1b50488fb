"""The command line: the front door commands, exit status 2 on bad input, atomic outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from spacecompute.cli import app
from spacecompute.overview import run_overview

runner = CliRunner()


def test_scenarios_lists_presets_with_descriptions():
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    for name in ("default", "starlink-shell1", "threebody", "odc-1m", "suncatcher-cluster"):
        assert name in result.output


def test_constellations_lists_presets():
    result = runner.invoke(app, ["constellations"])
    assert result.exit_code == 0 and "kuiper-k1" in result.output


def test_validate_ok_and_bad(tmp_path):
    ok = runner.invoke(app, ["validate", "default", "starlink-shell1"])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "constellation:\n  shells:\n    - walker: {total: 10, planes: 3, altitude_km: 550, inclination_deg: 53}\nstep_s: 0\n"
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "multiple of planes" in result.output and "step_s" in result.output
    assert "Traceback" not in result.output


def test_console_script_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("constellation: {preset: nosuchpreset}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "spacecompute", "run", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "nosuchpreset" in proc.stderr and "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "spacecompute", "run", "no-such-file.yaml"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "no built-in scenario" in proc.stderr


def test_overview_default_json_summary():
    result = runner.invoke(app, ["overview", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["satellites"] == 12
    assert summary["steps"] == 1441
    # a ~500 km sun-synchronous orbit is sunlit for 60-100 % of the time
    assert 0.6 < summary["sunlit_fraction_mean"] <= 1.0
    assert summary["contacts"] > 0 and summary["ground_stations"] == 6


def test_overview_writes_outputs_atomically_and_keeps_old_results_on_failure(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["overview", "default", "--out", str(out)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "contacts.parquet",
        "eclipses.parquet",
        "satellites.parquet",
        "stations.parquet",
        "summary.json",
    ]
    before = (out / "summary.json").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text("constellation: {preset: threebody}\nduration_s: -1\n")
    again = runner.invoke(app, ["overview", str(bad), "--out", str(out)])
    assert again.exit_code == 2
    assert (out / "summary.json").read_text() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    contacts = pq.read_table(out / "contacts.parquet")
    assert contacts.num_rows == json.loads(before)["contacts"]


def test_streamed_run_equals_one_chunk(tmp_path):
    base = "constellation: {preset: threebody}\nduration_s: 21600\nstep_s: 30\nground: {stations: [Svalbard, TrollSat, Singapore]}\n"
    path = tmp_path / "s.yaml"
    path.write_text(base)
    a = run_overview(str(path), progress=False)
    b = run_overview(str(path), progress=False, chunk_steps=7)  # 103 chunks
    assert len(a.contacts) == len(b.contacts) > 0
    assert np.array_equal(a.contacts["start"], b.contacts["start"])
    assert len(a.eclipses) == len(b.eclipses) > 0
    assert np.abs((a.eclipses["start"] - b.eclipses["start"]).astype(np.int64)).max() == 0
    assert np.allclose(a.satellites["sunlit_fraction"], b.satellites["sunlit_fraction"])


@pytest.mark.parametrize("name", ["telesat-t1", "suncatcher-cluster"])
def test_other_presets_run(name, tmp_path):
    result = run_overview(name, progress=False)
    assert result.summary["satellites"] in (351, 81)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "default", "--out", "{bad}"],
        [
            "rtt",
            "threebody",
            "--from",
            "Paris",
            "--to",
            "Luanda",
            "--duration",
            "60",
            "--no-plot",
            "-o",
            "{bad}",
        ],
    ],
)
def test_unwritable_output_is_a_clear_error(args, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    bad = str(blocker / "out")  # a directory cannot be created under a file
    result = runner.invoke(app, [a.replace("{bad}", bad) for a in args])
    assert result.exit_code == 2, result.output
    assert "writable" in result.output and "Traceback" not in result.output


# ------------------------------------------------------------------ spacecompute run (engine)

RUN_JSON_KEYS = {"scenario", "workload", "policies", "runs", "out"}


def _short_scenario(tmp_path, hours=3, extra=""):
    path = tmp_path / "short.yaml"
    path.write_text(
        "constellation: {preset: threebody}\n"
        f"duration_s: {hours * 3600}\n"
        "start: 2026-03-20T00:00:00Z\n"
        "ground: {stations: [Svalbard, TrollSat, Singapore]}\n"
        "spacecraft: {bus: cote-3u}\n"
        "policy: energy-aware\ncompare: [bent-pipe, on-board]\n" + extra
    )
    return path


def test_run_default_json_is_energy_aware_against_bent_pipe():
    """The default run: the 12 Three-Body satellites, energy-aware and bent-pipe side by side;
    on-board inference downlinks only the results of the useful frames, the bent pipe every
    raw frame (the ratio is the model's result size over the frame size, here < 1e-3)."""
    result = runner.invoke(app, ["run", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == RUN_JSON_KEYS
    assert doc["policies"] == ["energy-aware", "bent-pipe"]
    ea, bp = doc["runs"]["energy-aware"], doc["runs"]["bent-pipe"]
    for s in (ea, bp):
        assert s["satellites"] == 12 and s["steps"] == 1440
        assert s["jobs_total"] == s["jobs_completed"] + s["jobs_dropped"] + s["jobs_pending"]
    assert ea["jobs_total"] == bp["jobs_total"] > 1000  # same frames for both policies
    assert ea["bytes_downlinked"] < 1e-3 * bp["bytes_downlinked"]
    assert bp["bytes_downlinked"] == pytest.approx(bp["bits_downlinked"] / 8)
    assert ea["insights_delivered"] > 0.9 * bp["insights_delivered"]


def test_run_out_writes_a_comparison_run_with_report(tmp_path):
    from spacecompute.results.store import find_runs

    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(_short_scenario(tmp_path)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "report.html").exists()
    runs = find_runs(out)
    assert [r.label for r in runs] == ["energy-aware", "bent-pipe", "on-board"]
    assert not (out / "energy-aware" / ".checkpoint").exists()  # removed once complete
    top = json.loads((out / "summary.json").read_text())
    assert top["runs"]["bent-pipe"]["jobs_total"] == runs[1].summary["jobs_total"]
    compared = runner.invoke(app, ["compare", str(out)])
    assert compared.exit_code == 0 and "energy-aware" in compared.output
    doc = json.loads(runner.invoke(app, ["compare", str(out), "--json"]).output)
    metrics = {m["metric"] for m in doc["metrics"]}
    assert {"insights_delivered", "insight_latency_median_s", "jobs_lost"} <= metrics
    assert "jobs_on_time" not in metrics  # a training metric: no EO run has it


def test_run_resume_after_a_kill_gives_the_uninterrupted_results(tmp_path, monkeypatch):
    """Kill the second policy's run mid-way (after a checkpoint), resume from the CLI: every
    summary equals that of an uninterrupted run (wall time aside). The policies run one after
    another here, so that the kill comes at step 100 exactly (side by side, progress is relayed
    by the percent; test_forked.py stops forked runs from the callback)."""
    from spacecompute.runner import run_scenario

    monkeypatch.setenv("SPACECOMPUTE_RUN_PROCESSES", "1")
    scen = str(_short_scenario(tmp_path))
    whole = run_scenario(scen)

    def kill(policy, done, total):
        if policy == "bent-pipe" and done == 100:
            raise KeyboardInterrupt

    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run_scenario(scen, out_dir=out, checkpoint_every=40, progress=kill)
    assert (out / "bent-pipe" / ".checkpoint" / "state.npz").exists()
    assert not (out / "summary.json").exists()
    result = runner.invoke(app, ["run", scen, "--out", str(out), "--resume", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    for p in whole.policies:
        a = {k: v for k, v in whole.summaries[p].items() if k != "wall_time_s"}
        b = {k: v for k, v in doc["runs"][p].items() if k != "wall_time_s"}
        assert json.loads(json.dumps(a)) == b, p


def test_run_bad_policy_and_resume_without_out_exit_2(tmp_path):
    scen = str(_short_scenario(tmp_path, hours=1))
    bad = runner.invoke(app, ["run", scen, "--policy", "psychic"])
    assert bad.exit_code == 2 and "psychic" in bad.output and "bent-pipe" in bad.output
    no_out = runner.invoke(app, ["run", scen, "--resume"])
    assert no_out.exit_code == 2 and "--out" in no_out.output
    path = tmp_path / "badpolicy.yaml"
    path.write_text("constellation: {preset: threebody}\npolicy: psychic\n")
    bad_file = runner.invoke(app, ["run", str(path)])
    assert bad_file.exit_code == 2 and "psychic" in bad_file.output
    assert "Traceback" not in bad_file.output


def test_training_preset_runs_from_the_cli(tmp_path):
    """The 81-satellite training preset, shortened to 3 h: every job is accounted for (completed
    + dropped for a reason + pending) in the JSON summary of each policy."""
    from spacecompute.scenario.loader import load_scenario

    spec = load_scenario("training-cluster").spec
    assert spec.workload.kind == "training" and spec.policy == "optimising"
    path = tmp_path / "t.yaml"
    text = Path(load_scenario("training-cluster").file).read_text().replace("86400", "10800")
    path.write_text(text)
    result = runner.invoke(
        app, ["run", str(path), "--json", "--policy", "deadline-aware", "--policy", "all-in"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["workload"] == "training"
    for s in doc["runs"].values():
        assert s["satellites"] == 81 and s["steps"] == 180
        assert s["jobs_total"] == s["jobs_completed"] + s["jobs_dropped"] + s["jobs_pending"]
        assert s["jobs_dropped"] == (
            s["jobs_missed_deadline"] + s["jobs_rejected"] + s["jobs_never_fit"]
        )
        assert 0 < s["jobs_on_time"] <= s["jobs_completed"] <= s["jobs_arrived"]


def test_orbital_cloud_preset_runs_from_the_cli(tmp_path):
    """The orbital-cloud preset (Starlink shell 1, LLM requests), shortened to 2 min: every
    request ends in one state, and offloading over the lasers answers more within the objective
    than the nearest visible satellite alone."""
    from spacecompute.scenario.loader import load_scenario

    text = Path(load_scenario("orbital-cloud").file).read_text().replace("3600", "120")
    path = tmp_path / "c.yaml"
    path.write_text(text)
    result = runner.invoke(
        app, ["run", str(path), "--json", "--policy", "isl-offload", "--policy", "nearest-visible"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["workload"] == "inference"
    runs = doc["runs"]
    for s in runs.values():
        assert s["satellites"] == 1584 and s["steps"] == 12
        assert s["jobs_total"] == s["jobs_completed"] + s["jobs_dropped"] + s["jobs_pending"]
    assert runs["isl-offload"]["jobs_total"] == runs["nearest-visible"]["jobs_total"] > 1000
    assert runs["isl-offload"]["jobs_on_time"] > runs["nearest-visible"]["jobs_on_time"]
    assert runs["nearest-visible"]["isl_bytes"] == 0


def test_run_with_a_geojson_area_of_interest_and_a_sensor(tmp_path):
    """workload.aoi (a GeoJSON box over Europe) and workload.sensor reach the engine: every
    frame is imaged inside the box, and its raw size is frames x 2048^2 pixels x 3 bands x
    8 bits; a missing AOI file is a located error."""

    box = {
        "type": "Polygon",
        "coordinates": [[[-10, 35], [30, 35], [30, 60], [-10, 60], [-10, 35]]],
    }
    (tmp_path / "europe.geojson").write_text(json.dumps(box))
    scen = tmp_path / "eu.yaml"
    scen.write_text(
        "start: 2026-03-20T08:00:00Z\nduration_s: 21600\n"
        "constellation: {preset: threebody}\n"
        "ground: {stations: [Svalbard, TrollSat, Singapore]}\n"
        "workload: {kind: earth-observation, aoi: europe.geojson,"
        " sensor: {pixels_across: 2048, focal_length_mm: 100}}\n"
        "policy: on-board\n"
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(scen), "--out", str(out)])
    assert result.exit_code == 0, result.output
    jobs = pq.read_table(
        out / "jobs.parquet", columns=["lat_deg", "lon_deg", "bytes_in"]
    ).to_pydict()
    assert len(jobs["lat_deg"]) > 20
    assert all(35 <= lat <= 60 for lat in jobs["lat_deg"])
    assert all(-10 <= lon <= 30 for lon in jobs["lon_deg"])
    frame_bytes = 2048 * 2048 * 3 * 8 / 8
    ratios = np.asarray(jobs["bytes_in"]) / frame_bytes
    assert np.allclose(ratios, np.round(ratios)) and ratios.min() >= 1
    scen.write_text(scen.read_text().replace("europe.geojson", "nowhere.geojson"))
    bad = runner.invoke(app, ["run", str(scen)])
    assert bad.exit_code == 2 and "workload.aoi" in bad.output and "nowhere" in bad.output
