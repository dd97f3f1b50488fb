"""Sweeps: validation with file and line, executors that agree, resume by fingerprint (also after
kill -9), failed cells recorded, the statistics of the report, DuckDB queries."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from spacecompute.cli import app
from spacecompute.sweep import cell_fingerprint, load_sweep, run_sweep
from spacecompute.sweep.analysis import mean_ci, pareto_front
from spacecompute.sweep.cells import unpack_cell
from spacecompute.sweep.keypath import KeyPathError, parse_path, set_path
from spacecompute.sweep.spec import replicate_seed
from spacecompute.yamlio import format_path

runner = CliRunner()
SRC = Path(__file__).resolve().parents[1] / "src"

# The default scenario (12 Three-Body satellites) shortened to 20 minutes: cells of ~0.5 s.
SHORT = """\
name: short
base: {{scenario: default}}
set:
  duration_s: {duration}
axes:
  policy: [energy-aware, bent-pipe]
seeds: 2
seed: 7
"""


def _table(out: Path) -> list[dict]:
    """sweep.parquet without its timing columns."""
    rows = pq.read_table(out / "sweep.parquet").to_pylist()
    return [{k: v for k, v in r.items() if not k.endswith("wall_time_s")} for r in rows]


@pytest.fixture(scope="module")
def short_sweep(tmp_path_factory) -> tuple[Path, Path]:
    """(sweep file, its directory after an uninterrupted serial run)."""
    base = tmp_path_factory.mktemp("sweep")
    file = base / "short.yaml"
    file.write_text(SHORT.format(duration=1200))
    out = base / "serial"
    result = run_sweep(str(file), out, workers=1, report=True)
    assert result.ok == 4 and result.failed == 0
    return file, out


# --- key paths and validation ----------------------------------------------------------------

_names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)


@given(st.lists(st.one_of(_names, st.integers(0, 99)), min_size=1, max_size=6))
def test_key_paths_round_trip(parts):
    if isinstance(parts[0], int):
        parts = ["root", *parts]
    path = tuple(parts)
    assert parse_path(format_path(path)) == path


def test_set_path_creates_mappings_and_refuses_missing_items():
    doc = {"constellation": {"preset": "threebody"}}
    out = set_path(doc, parse_path("spacecraft.bus"), "cote-3u")
    assert out["spacecraft"] == {"bus": "cote-3u"} and "spacecraft" not in doc
    with pytest.raises(KeyPathError, match="no list here"):
        set_path(doc, parse_path("constellation.shells[0].walker.total"), 12)
    with pytest.raises(KeyPathError, match="malformed"):
        parse_path("a..b")


def test_bad_sweep_reports_every_problem_with_its_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "base: {scenario: default}\n"  # 1
        "axes:\n"  # 2
        "  spacecraft.buss: [threebody]\n"  # 3: unknown key path
        "  workload.cloud_fraction: []\n"  # 4: empty axis
        "  step_s: [60, fast]\n"  # 5: a value of the wrong type
        "  policy: [energy-aware, nope]\n"  # 6: a value the schema rejects
        "seeds: [1, -2]\n"  # 7: a negative seed
    )
    result = runner.invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "5 problems" in text
    for line, what in (
        (3, "unknown key 'buss'"),
        (4, "is empty"),
        (5, "'fast' is rejected"),
        (6, "'nope' is rejected"),
        (7, "-2 is not a seed"),
    ):
        assert f"bad.yaml:{line}:" in text and what in text
    assert not (tmp_path / "out").exists()  # nothing ran


@pytest.mark.parametrize(
    ("seeds", "message"), [("-1", "not a positive count"), ("[]", "empty"), ("[0, 0]", "repeats")]
)
def test_bad_seeds(tmp_path, seeds, message):
    bad = tmp_path / "s.yaml"
    bad.write_text(f"base: {{scenario: default}}\naxes: {{policy: [bent-pipe]}}\nseeds: {seeds}\n")
    result = runner.invoke(app, ["sweep", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "s.yaml:3:" in result.output and message in result.output


def test_cells_and_seeds_are_deterministic(short_sweep):
    file, _ = short_sweep
    a, b = load_sweep(str(file)), load_sweep(str(file))
    assert [c.fingerprint for c in a.cells] == [c.fingerprint for c in b.cells]
    assert [c.seed for c in a.cells] == [replicate_seed(7, r) for r in (0, 1, 0, 1)]
    assert a.cells[0].document["scenario"]["compare"] == []  # one policy per cell
    assert len({c.fingerprint for c in a.cells}) == 4


def test_fingerprint_covers_document_and_version():
    doc = {"kind": "scenario", "scenario": {"duration_s": 1200.0, "seed": 1}}
    same = {"scenario": {"seed": 1, "duration_s": 1200.0}, "kind": "scenario"}
    assert cell_fingerprint(doc) == cell_fingerprint(same)  # key order does not matter
    assert cell_fingerprint(doc) != cell_fingerprint({**doc, "scenario": {"seed": 2}})
    import spacecompute

    before = cell_fingerprint(doc)
    old = spacecompute.__version__
    try:
        spacecompute.__version__ = "0.0.0-other"
        other = cell_fingerprint(doc)
    finally:
        spacecompute.__version__ = old
    assert other != before


def test_fingerprint_covers_the_contents_of_named_files(tmp_path):
    tle = tmp_path / "sats.tle"
    tle.write_text("first version\n")
    doc = {
        "kind": "scenario",
        "scenario": {"constellation": {"shells": [{"elements": {"file": str(tle)}}]}},
    }
    before = cell_fingerprint(doc)
    tle.write_text("edited\n")
    assert cell_fingerprint(doc) != before


def test_ranges_are_latin_hypercube_samples(tmp_path):
    file = tmp_path / "r.yaml"
    file.write_text(
        "base: {design: suncatcher}\n"
        "axes:\n"
        "  parameters.launch_price_usd_per_kg: {low: 100, high: 10000, log: true}\n"
        "  orbit.altitude_km: {low: 500, high: 1000, integer: true}\n"
        "sampling: {method: lhs, points: 10}\n"
    )
    sweep = load_sweep(str(file))
    price = np.log10([c.values["parameters.launch_price_usd_per_kg"] for c in sweep.cells])
    alt = [c.values["orbit.altitude_km"] for c in sweep.cells]
    # Latin hypercube: exactly one sample in each tenth of each (log) range
    assert sorted(np.floor((price - 2.0) / 0.2).astype(int)) == list(range(10))
    assert all(isinstance(a, int) and 500 <= a <= 1000 for a in alt)
    assert sorted(np.floor((np.array(alt) - 500) / 50.0001).astype(int)) == list(range(10))


# --- executors, resume, faults ---------------------------------------------------------------


@pytest.mark.parametrize("shared", [True, False], ids=["shared-disk", "archives"])
def test_dask_local_cluster_matches_serial(short_sweep, tmp_path, shared):
    pytest.importorskip("distributed")
    file, serial = short_sweep
    out = tmp_path / "dask"
    result = run_sweep(
        str(file),
        out,
        workers=2,
        executor="dask",
        dask_processes=False,
        report=False,
        shared_filesystem=shared,
    )
    assert result.ok == 4
    assert _table(out) == _table(serial)
    # written by the workers, or sent back as archives (a cluster without a shared
    # filesystem): complete run directories here either way
    for row in _table(out):
        run_dir = out / row["run_dir"]
        assert (run_dir / "summary.json").is_file() and (run_dir / "scenario.yaml").is_file()


def test_process_pool_matches_serial(short_sweep, tmp_path):
    file, serial = short_sweep
    out = tmp_path / "pool"
    result = run_sweep(str(file), out, workers=2, report=False)
    assert result.ok == 4 and _table(out) == _table(serial)


def test_resume_reuses_only_matching_fingerprints(short_sweep, tmp_path):
    import shutil

    file, first = short_sweep
    serial = tmp_path / "copy"
    shutil.copytree(first, serial)
    again = run_sweep(str(file), serial, workers=1, resume=True, report=False)
    assert (again.reused, again.ran) == (4, 0)
    html = again._repr_html_()  # in Jupyter: the counts, then the cells' rows
    assert "sweep short" in html and html.count("<tr>") >= 1 + 4 and "energy-aware" in html
    # one more policy: only its two cells run
    more = tmp_path / "more.yaml"
    more.write_text(file.read_text().replace("bent-pipe]", "bent-pipe, on-board]"))
    grown = run_sweep(str(more), serial, workers=1, resume=True, report=False)
    assert (grown.reused, grown.ran) == (4, 2)
    # a changed base (duration) changes every fingerprint: nothing stale is reused
    longer = tmp_path / "longer.yaml"
    longer.write_text(SHORT.format(duration=1260))
    changed = load_sweep(str(longer))
    assert {c.cell_id for c in changed.cells}.isdisjoint(r["cell_id"] for r in _table(serial))


def test_kill_9_then_resume_gives_the_same_table(short_sweep, tmp_path):
    file, serial = short_sweep
    out = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "spacecompute", "sweep", str(file), "--out", str(out), "-j", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if list(out.glob("cells/*/cell.json")):
            break
        time.sleep(0.05)
    if proc.poll() is None:  # (a very fast machine may have finished the 4 cells already)
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode in (-signal.SIGKILL, 0)
    result = run_sweep(str(file), out, workers=1, resume=True, report=False)
    assert result.reused >= 1 and result.ok == 4
    assert _table(out) == _table(serial)


def test_failed_cells_are_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    scenario = tmp_path / "walker.yaml"
    scenario.write_text(
        "duration_s: 600\n"
        "constellation:\n"
        "  shells:\n"
        "    - walker: {total: 12, planes: 3, altitude_km: 550, inclination_deg: 97}\n"
        "ground: {stations: [Svalbard]}\n"
        "spacecraft: {bus: threebody}\n"
        "policy: bent-pipe\n"
    )
    file = tmp_path / "w.yaml"
    file.write_text(
        "base: {scenario: walker.yaml}\n"  # beside the sweep file
        "axes:\n"
        "  constellation.shells[0].walker.total: [12, 14]\n"
        "  constellation.shells[0].walker.planes: [3, 2]\n"
    )
    from spacecompute.sweep import cells as cells_module

    real = cells_module._run_scenario_cell

    def flaky(document, run_dir, resume):
        if document["scenario"]["constellation"]["shells"][0]["walker"]["planes"] == 2 and (
            document["scenario"]["constellation"]["shells"][0]["walker"]["total"] == 12
        ):
            raise RuntimeError("worker exploded")
        return real(document, run_dir, resume)

    monkeypatch.setattr(cells_module, "_run_scenario_cell", flaky)
    result = run_sweep(str(file), tmp_path / "out", workers=1, report=True)
    rows = pq.read_table(tmp_path / "out" / "sweep.parquet").to_pylist()
    status = {
        (r["constellation.shells[0].walker.total"], r["constellation.shells[0].walker.planes"]): r
        for r in rows
    }
    assert status[(12, 3)]["status"] == "ok" and status[(14, 2)]["status"] == "ok"
    assert status[(14, 3)]["status"] == "failed"
    assert "not a multiple of planes" in status[(14, 3)]["error"]
    assert status[(12, 2)]["status"] == "failed" and "worker exploded" in status[(12, 2)]["error"]
    assert (result.ok, result.failed) == (2, 2) and len(result.errors) == 2
    assert "Failed cells" in (tmp_path / "out" / "report.html").read_text()


def test_unpack_cell_replaces_a_directory_whole(tmp_path):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = b'{"status": "ok"}'
        info = tarfile.TarInfo("cell.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    target = tmp_path / "cells" / "abc"
    target.mkdir(parents=True)
    (target / "stale.parquet").write_text("old")
    unpack_cell(buffer.getvalue(), target)
    assert sorted(p.name for p in target.iterdir()) == ["cell.json"]
    assert [p.name for p in target.parent.iterdir()] == ["abc"]


# --- results: statistics, report, query ------------------------------------------------------


def test_mean_ci_matches_the_t_table():
    # t(0.975, 2) = 4.3027 (Student's t table, 4 decimals); s of (1, 2, 3) = 1
    mean, half, n = mean_ci([1.0, 2.0, 3.0, math.nan])
    assert (mean, n) == (2.0, 3)
    assert half == pytest.approx(4.3027 / math.sqrt(3), rel=2e-5)
    assert mean_ci([5.0]) == (5.0, None, 1)


@given(
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=40),
    st.sampled_from(["min", "max"]),
    st.sampled_from(["min", "max"]),
)
def test_pareto_front_is_the_non_dominated_set(points, x_goal, y_goal):
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    sx = 1 if x_goal == "min" else -1
    sy = 1 if y_goal == "min" else -1

    def dominated(i):
        return any(
            sx * x[j] <= sx * x[i] and sy * y[j] <= sy * y[i] and (x[j], y[j]) != (x[i], y[i])
            for j in range(len(x))
        )

    front = set(pareto_front(x, y, x_goal, y_goal).tolist())
    brute = {(x[i], y[i]) for i in range(len(x)) if not dominated(i)}
    assert {(x[i], y[i]) for i in front} == brute


def test_report_and_query(short_sweep):
    pytest.importorskip("duckdb")
    _, out = short_sweep
    page = (out / "report.html").read_text()
    assert "Effects" in page and "Pareto front" in page and "95 %" in page
    result = runner.invoke(
        app,
        [
            "query",
            str(out),
            "SELECT s.policy, count(*) AS jobs FROM jobs j JOIN sweep s USING (cell_id) "
            "GROUP BY s.policy ORDER BY s.policy",
            "--csv",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "policy,jobs"
    rows = pq.read_table(out / "sweep.parquet").to_pylist()
    for line in lines[1:]:
        policy, jobs = line.split(",")
        assert int(jobs) == sum(r["jobs_total"] for r in rows if r["policy"] == policy)
    bad = runner.invoke(app, ["query", str(out), "SELECT nope FROM sweep"])
    assert bad.exit_code == 2 and "SQL error" in bad.output


def test_sweeps_lists_presets_that_validate():
    result = runner.invoke(app, ["sweeps"])
    assert result.exit_code == 0
    for name in ("threebody-policies", "orbital-cloud-size", "suncatcher-launch"):
        assert name in result.output
        assert load_sweep(name).cells


def test_check_lists_cells_without_running(short_sweep, tmp_path):
    file, _ = short_sweep
    result = runner.invoke(app, ["sweep", str(file), "--out", str(tmp_path / "o"), "--check"])
    assert result.exit_code == 0 and "4 cells" in result.output
    assert not (tmp_path / "o").exists()


class _DiesOnRead(dict):
    """A cell document whose first read kills the worker process (as kill -9 or the OOM killer
    would)."""

    def __getitem__(self, key):
        os._exit(9)


def test_pool_records_a_cell_whose_worker_keeps_dying():
    from spacecompute.sweep.cells import CellTask
    from spacecompute.sweep.executors import MAX_WORKER_DEATHS, run_pool

    tasks = [CellTask(i, f"{i:064x}", _DiesOnRead(), None) for i in range(2)]
    outcomes = sorted(run_pool(tasks, 2), key=lambda o: o.index)
    assert [o.index for o in outcomes] == [0, 1]
    for o in outcomes:
        assert o.record["status"] == "failed" and "worker process died" in o.record["error"]
    assert MAX_WORKER_DEATHS == 2


def test_a_user_policy_as_an_axis_is_imported_beside_the_base_scenario(tmp_path):
    """`policy: "module:Class"` cells import the module from the base scenario's folder (as a
    run of that scenario does), and their metrics are read under the policy's label."""
    example = Path(__file__).resolve().parents[1] / "examples" / "my_policy.yaml"
    file = tmp_path / "user.yaml"
    file.write_text(
        f"name: user\nbase: {{scenario: {example}}}\nset: {{duration_s: 1200}}\n"
        'axes:\n  policy: ["my_policy:MyPolicy", energy-aware]\n'
    )
    result = run_sweep(str(file), tmp_path / "out", workers=1, report=False)
    assert (result.ok, result.failed) == (2, 0), result.errors
    rows = {r["policy"]: r for r in _table(tmp_path / "out")}
    assert rows["my_policy:MyPolicy"]["steps"] == rows["energy-aware"]["steps"] == 20
