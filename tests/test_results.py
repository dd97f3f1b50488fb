"""Run directories (results/): round trip, atomic writes, schema errors, report, compare, CLI."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from spacecompute import table as table_module
from spacecompute.cli import app
from spacecompute.errors import InputError
from spacecompute.results import (
    RunResult,
    RunWriter,
    compare_runs,
    comparison_json,
    find_runs,
    write_report,
)
from spacecompute.results import report as report_module
from spacecompute.results.compare import run_columns
from spacecompute.results.report import PLOTS
from spacecompute.table import Table


class SimulatedCrash(Exception):
    """Stands for a crash in the middle of a write (not an OSError, which becomes InputError)."""


T0 = np.datetime64("2025-03-01T00:00:00", "ns")
KINDS = np.array(["eo", "inference", "batch"])


def make_tables(seed: int, n_jobs: int = 300, n_steps: int = 48, n_sats: int = 6) -> dict:
    """Synthetic jobs / steps / satellites / contacts tables of the contract."""
    rng = np.random.default_rng(seed)
    status = rng.choice(np.array(["completed", "dropped", "pending"]), n_jobs, p=[0.7, 0.2, 0.1])
    done = status == "completed"
    started = status != "dropped"
    arrival = T0 + (rng.uniform(0, 86_400, n_jobs) * 1e9).astype("timedelta64[ns]")
    start = np.where(started, arrival + np.timedelta64(5, "s"), np.datetime64("NaT", "ns"))
    latency = np.where(done, rng.lognormal(3.0, 1.0, n_jobs), np.nan)
    end = np.where(
        done,
        arrival + (np.nan_to_num(latency) * 1e9).astype("timedelta64[ns]"),
        np.datetime64("NaT"),
    ).astype("datetime64[ns]")
    satellite = np.where(rng.random(n_jobs) < 0.1, -1, rng.integers(0, n_sats, n_jobs)).astype(
        np.int32
    )
    ground = satellite < 0
    jobs = Table(
        {
            "job_id": np.arange(n_jobs, dtype=np.int64),
            "kind": rng.choice(KINDS, n_jobs),
            "satellite": satellite,
            "arrival": arrival,
            "start": start,
            "end": end,
            "status": status,
            "drop_reason": np.where(status == "dropped", "deadline", ""),
            "ops": rng.uniform(1e9, 1e12, n_jobs),
            "bytes_in": rng.uniform(1e3, 1e6, n_jobs),
            "bytes_out": rng.uniform(1e2, 1e4, n_jobs),
            "latency_s": latency,
            "energy_j": rng.uniform(1, 100, n_jobs),
            "lat_deg": np.where(ground, np.nan, rng.uniform(-60, 60, n_jobs)),
            "lon_deg": np.where(ground, np.nan, rng.uniform(-180, 180, n_jobs)),
        }
    )
    time = T0 + np.arange(n_steps) * np.timedelta64(60, "s")
    soc = rng.uniform(0.4, 0.9, n_steps)
    temp = rng.uniform(280, 300, n_steps)
    steps_cols = {
        "time": time.astype("datetime64[ns]"),
        "utilisation_mean": rng.uniform(0, 1, n_steps),
        "compute_power_w": rng.uniform(0, 500, n_steps),
        "soc_min": soc - 0.1,
        "soc_mean": soc,
        "soc_max": soc + 0.1,
        "temperature_min_k": temp - 5,
        "temperature_mean_k": temp,
        "temperature_max_k": temp + 5,
    }
    for key in (
        "bits_captured",
        "bits_processed",
        "bits_downlinked",
        "bits_dropped",
        "backlog_bits",
    ):
        steps_cols[key] = rng.uniform(0, 1e9, n_steps)
    for key in ("jobs_completed", "jobs_dropped", "brownouts", "faults"):
        steps_cols[key] = rng.integers(0, 5, n_steps).astype(np.int64)
    satellites = Table(
        {
            "satellite": np.arange(n_sats, dtype=np.int32),
            "name": np.array([f"SAT-{i}" for i in range(n_sats)]),
            "ops_done": rng.uniform(0, 1e15, n_sats),
            "energy_j": rng.uniform(0, 1e6, n_sats),
            "busy_fraction": rng.uniform(0, 1, n_sats),
            "sunlit_fraction": rng.uniform(0.6, 1, n_sats),
        }
    )
    n_c = 5
    c_start = T0 + (np.sort(rng.uniform(0, 80_000, n_c)) * 1e9).astype("timedelta64[ns]")
    contacts = Table(
        {
            "station": rng.integers(0, 3, n_c),
            "station_name": np.array(["Svalbard", "Awarua", "Kiruna", "Svalbard", "Awarua"]),
            "satellite": rng.integers(0, n_sats, n_c),
            "satellite_name": np.array([f"SAT-{i}" for i in range(n_c)]),
            "start": c_start,
            "end": c_start + np.timedelta64(300, "s"),
            "duration_s": np.full(n_c, 300.0),
            "max_elevation_deg": rng.uniform(10, 90, n_c),
            "time_of_max": c_start + np.timedelta64(150, "s"),
            "starts_before": np.zeros(n_c, bool),
            "ends_after": np.zeros(n_c, bool),
        }
    )
    return {
        "jobs": jobs,
        "steps": Table(steps_cols),
        "satellites": satellites,
        "contacts": contacts,
    }


def make_summary(tables: dict, policy: str, **overrides) -> dict:
    jobs = tables["jobs"]
    steps = tables["steps"]
    lat = jobs["latency_s"][jobs["status"] == "completed"]
    summary = {
        "scenario": "synthetic-test",
        "policy": policy,
        "start": "2025-03-01T00:00:00Z",
        "end": "2025-03-01T00:48:00Z",
        "steps": len(steps),
        "step_s": 60.0,
        "satellites": len(tables["satellites"]),
        "jobs_total": len(jobs),
        "jobs_completed": int((jobs["status"] == "completed").sum()),
        "jobs_dropped": int((jobs["status"] == "dropped").sum()),
        "bits_captured": float(steps["bits_captured"].sum()),
        "bits_processed": float(steps["bits_processed"].sum()),
        "bits_downlinked": float(steps["bits_downlinked"].sum()),
        "bits_dropped": float(steps["bits_dropped"].sum()),
        "energy_compute_j": float(jobs["energy_j"].sum()),
        "latency_median_s": float(np.median(lat)),
        "latency_p95_s": float(np.percentile(lat, 95)),
        "brownouts": int(steps["brownouts"].sum()),
        "faults_silent": None,
        "wall_time_s": np.float64(1.5),  # numpy scalars are written as plain JSON
    }
    summary.update(overrides)
    return summary


def write_run(path: Path, seed: int, policy: str, **overrides) -> tuple[dict, dict]:
    tables = make_tables(seed)
    w = RunWriter(path)
    for name, t in tables.items():
        w.write_table(name, t)
    summary = make_summary(tables, policy, **overrides)
    w.write_summary(summary)
    assert w.finish() == path
    return tables, summary


@pytest.fixture()
def run_dir(tmp_path: Path) -> tuple[Path, dict, dict]:
    tables, summary = write_run(tmp_path / "run", 1, "greedy", jobs_completed=1234)
    return tmp_path / "run", tables, summary


@pytest.fixture()
def comparison_dir(tmp_path: Path) -> Path:
    root = tmp_path / "cmp"
    # "greedy" drops fewer jobs and has lower latency; "energy" delivers more bits.
    write_run(root / "greedy", 2, "greedy", jobs_dropped=10, latency_median_s=12.5,
              bits_downlinked=5e9, bits_captured=1e10, brownouts=3)  # fmt: skip
    write_run(root / "energy", 3, "energy", jobs_dropped=40, latency_median_s=80.0,
              bits_downlinked=8e9, bits_captured=1e10, brownouts=3)  # fmt: skip
    RunWriter(root).write_summary({"scenario": "synthetic-test", "policies": ["greedy", "energy"]})
    return root


# ---------------------------------------------------------------------------------------------
# store
# ---------------------------------------------------------------------------------------------


def test_round_trip(run_dir):
    path, tables, summary = run_dir
    run = RunResult.load(path)
    assert run.label == "run"  # a standalone run is named by its directory
    assert run._arrow == {}  # lazy: nothing read yet
    for name, written in tables.items():
        loaded = run.table(name)
        assert loaded.columns == written.columns
        for col in written.columns:
            a, b = written[col], loaded[col]
            if a.dtype.kind in "fM":
                np.testing.assert_array_equal(a, b.astype(a.dtype))
            else:
                assert a.tolist() == b.tolist(), (name, col)
    arrow = run.arrow("jobs")
    assert str(arrow.schema.field("satellite").type) == "int32"
    assert str(arrow.schema.field("start").type) == "timestamp[ns]"
    assert arrow.column("start").null_count == int((tables["jobs"]["status"] == "dropped").sum())
    expected = json.loads(json.dumps({**summary, "wall_time_s": 1.5}))
    assert run.summary == expected
    assert json.loads((path / "summary.json").read_text())["faults_silent"] is None
    assert [r.label for r in find_runs(path)] == ["run"]


def test_summary_nan_written_as_null(tmp_path):
    w = RunWriter(tmp_path)
    w.write_summary({"latency_p95_s": float("nan"), "x": np.int64(3)})
    assert json.loads((tmp_path / "summary.json").read_text()) == {"latency_p95_s": None, "x": 3}


def test_failed_write_keeps_earlier_file_and_leaves_no_temp(run_dir, monkeypatch):
    path, _, _ = run_dir
    before = (path / "jobs.parquet").read_bytes()
    real = pq.write_table

    def write_then_crash(table, where, *args, **kwargs):
        real(table, where, *args, **kwargs)  # the temp file is complete ...
        raise SimulatedCrash("disk full")  # ... and then the process "crashes"

    monkeypatch.setattr(pq, "write_table", write_then_crash)
    new = make_tables(99)["jobs"]
    with pytest.raises(SimulatedCrash, match="disk full"):
        RunWriter(path).write_table("jobs", new)
    assert (path / "jobs.parquet").read_bytes() == before
    assert not [p.name for p in path.iterdir() if p.name.startswith(".")]

    # the same for summary.json (text write fails after the temp file exists)
    summary_before = (path / "summary.json").read_text()

    def crash(p, write):
        return real_atomic(p, lambda tmp: (write(tmp), _raise()))

    def _raise():
        raise SimulatedCrash("killed")

    real_atomic = table_module.atomic_write
    monkeypatch.setattr(table_module, "atomic_write", crash)
    with pytest.raises(SimulatedCrash, match="killed"):
        RunWriter(path).write_summary({"policy": "other"})
    assert (path / "summary.json").read_text() == summary_before
    assert not [p.name for p in path.iterdir() if p.name.startswith(".")]


def test_writer_rejects_wrong_columns_and_finish_checks_completeness(tmp_path):
    tables = make_tables(4)
    w = RunWriter(tmp_path)
    bad = Table({k: v for k, v in tables["steps"].items() if k != "soc_min"})
    with pytest.raises(InputError, match="soc_min"):
        w.write_table("steps", bad)
    assert not (tmp_path / "steps.parquet").exists()
    w.write_table("jobs", tables["jobs"])
    with pytest.raises(RuntimeError, match=r"steps, satellites, summary\.json"):
        w.finish()


def _drop_column(file: Path, column: str) -> None:
    t = pq.read_table(file)
    pq.write_table(t.drop_columns([column]), file)


def test_schema_error_names_file_and_missing_columns(run_dir):
    path, _, _ = run_dir
    _drop_column(path / "jobs.parquet", "latency_s")
    _drop_column(path / "jobs.parquet", "lon_deg")
    with pytest.raises(InputError) as info:
        RunResult.load(path)
    (problem,) = info.value.problems
    assert problem.file == str(path / "jobs.parquet")
    assert "latency_s" in problem.message and "lon_deg" in problem.message
    assert "jobs.parquet" in str(info.value)


def test_schema_error_wrong_type_and_missing_table_and_summary_key(run_dir):
    import pyarrow as pa

    path, _, _ = run_dir
    t = pq.read_table(path / "steps.parquet")
    t = t.set_column(t.schema.get_field_index("time"), "time", pa.array(["x"] * len(t)))
    pq.write_table(t, path / "steps.parquet")
    (path / "satellites.parquet").unlink()
    summary = json.loads((path / "summary.json").read_text())
    del summary["latency_p95_s"]
    summary["jobs_total"] = "many"
    (path / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(InputError) as info:
        RunResult.load(path)
    text = str(info.value)
    assert "steps.parquet: time:" in text and "timestamp" in text
    assert "satellites.parquet" in text and "missing table" in text
    assert "latency_p95_s" in text and "jobs_total" in text


def test_not_a_run_directory(tmp_path):
    with pytest.raises(InputError, match=r"no summary\.json"):
        RunResult.load(tmp_path)
    with pytest.raises(InputError, match="no such directory"):
        find_runs(tmp_path / "missing")


def test_contacts_optional(run_dir):
    path, _, _ = run_dir
    (path / "contacts.parquet").unlink()
    run = RunResult.load(path)
    assert len(run.contacts) == 0 and "station_name" in run.contacts.columns


def test_find_runs_comparison(comparison_dir):
    runs = find_runs(comparison_dir)
    assert [r.label for r in runs] == ["greedy", "energy"]
    with pytest.raises(InputError, match="comparison run"):
        RunResult.load(comparison_dir)


# ---------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------


def _pngs(page: str) -> dict[str, bytes]:
    found = re.findall(r"<img alt='(\w+)' src='data:image/png;base64,([A-Za-z0-9+/=]+)'>", page)
    return {name: base64.b64decode(data) for name, data in found}


def _plotly_divs(page: str) -> list[str]:
    return re.findall(r'<div id="plot-(\w+)" class="plotly-graph-div"', page)


def _self_contained(page: str) -> None:
    """No resource is fetched: no external script, stylesheet, image or frame."""
    assert not re.search(r"<(script|img|link|iframe)[^>]+(src|href)=['\"]?(https?:)?//", page)


def test_report_single_run_static(run_dir):
    path, _, summary = run_dir
    out = write_report(path, interactive=False)
    assert out == path / "report.html"
    page = out.read_text()
    images = _pngs(page)
    assert sorted(images) == sorted(PLOTS) and len(PLOTS) == 5
    assert all(img.startswith(b"\x89PNG\r\n\x1a\n") and len(img) > 1000 for img in images.values())
    assert "1,234" in page  # jobs_completed
    assert f"{summary['jobs_dropped']:,}" in page
    assert "synthetic-test" in page and "greedy" in page
    assert "spacecompute[plot]" in page  # says how to get interactive plots
    assert "Plotly" not in page
    _self_contained(page)
    assert not [p.name for p in path.iterdir() if p.name.startswith(".")]


def test_report_interactive_includes_plotly_js_once(run_dir, monkeypatch):
    pytest.importorskip("plotly")
    from plotly.offline import get_plotlyjs

    page = write_report(run_dir[0]).read_text()
    assert sorted(_plotly_divs(page)) == sorted(PLOTS)
    assert not _pngs(page) and "spacecompute[plot]" not in page
    head = get_plotlyjs()[:200]
    assert page.count(head) == 1  # inlined once, not once per plot
    assert page.count("Plotly.newPlot(") == len(PLOTS)
    assert page.index("scRecord") < page.index(head)  # errors are collected from the start
    _self_contained(page)
    # without plotly the page falls back to the static images
    monkeypatch.setattr(report_module, "have_plotly", lambda: False)
    assert len(_pngs(write_report(run_dir[0]).read_text())) == len(PLOTS)


def test_report_comparison_and_cli(comparison_dir):
    result = CliRunner().invoke(app, ["report", str(comparison_dir)])
    assert result.exit_code == 0, result.output
    page = (comparison_dir / "report.html").read_text()
    assert len(_plotly_divs(page) or _pngs(page)) == 5
    assert "<th>greedy</th>" in page and "<th>energy</th>" in page
    assert "class='best'>12.5 s<" in page  # lower median latency
    assert "class='best'>3<" not in page  # a tie on brownouts has no best
    static = write_report(comparison_dir, interactive=False).read_text()
    assert len(_pngs(static)) == 5 and "class='best'>12.5 s<" in static


# ---------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------


def test_compare_picks_best(comparison_dir):
    table = compare_runs([comparison_dir])
    assert run_columns(table) == ["greedy", "energy"]
    best = dict(zip(table["metric"].tolist(), table["best"].tolist(), strict=True))
    assert best["jobs_dropped"] == "greedy"
    assert best["latency_median_s"] == "greedy"
    assert best["bits_downlinked"] == "energy"
    assert best["delivered_fraction"] == "energy"
    assert best["brownouts"] == ""  # tie
    assert best["bits_captured"] == ""  # "better" undefined
    assert best["faults_silent"] == ""  # null everywhere
    row = table["metric"].tolist().index("delivered_fraction")
    assert table["energy"][row] == pytest.approx(0.8)
    # two comparisons of the same policies: labels qualified by their directory
    other = comparison_dir.parent / "cmp2"
    shutil.copytree(comparison_dir, other)
    mixed = compare_runs([comparison_dir, other])
    assert run_columns(mixed) == [
        "cmp/greedy",
        "cmp/energy",
        "cmp2/greedy",
        "cmp2/energy",
    ]
    both = dict(zip(mixed["metric"].tolist(), mixed["best"].tolist(), strict=True))
    assert both["jobs_dropped"] == "cmp/greedy, cmp2/greedy"  # a tie between the best
    data = comparison_json(table)
    entry = next(m for m in data["metrics"] if m["metric"] == "latency_median_s")
    assert entry["best"] == ["greedy"] and entry["values"] == {"greedy": 12.5, "energy": 80.0}


def test_cli_compare(comparison_dir, run_dir, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["compare", str(comparison_dir / "greedy"), str(run_dir[0])])
    assert ok.exit_code == 0, ok.output
    assert "jobs dropped" in ok.output and "1,234" in ok.output
    assert "greedy" in ok.output and "run" in ok.output
    js = runner.invoke(app, ["compare", str(comparison_dir), "--json"])
    assert js.exit_code == 0, js.output
    assert json.loads(js.output)["runs"] == ["greedy", "energy"]

    (tmp_path / "empty").mkdir()
    bad = runner.invoke(app, ["compare", str(comparison_dir), str(tmp_path / "empty")])
    assert bad.exit_code == 2
    assert "no summary.json" in bad.output and "Traceback" not in bad.output
    assert not isinstance(bad.exception, InputError)  # handled, not raised
    missing = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no such directory" in missing.output


def test_report_of_an_empty_run(tmp_path):
    """No jobs, no steps, no contacts, null summary numbers: the report still renders."""
    tables = make_tables(5)
    w = RunWriter(tmp_path)
    for name, t in tables.items():
        w.write_table(name, t.take(np.array([], dtype=np.int64)))
    w.write_summary({key: None for key in make_summary(tables, "idle")} | {"policy": "idle"})
    page = w.finish(report=True).joinpath("report.html").read_text()
    assert len(_plotly_divs(page) or _pngs(page)) == 5
    assert "no completed jobs" in page and "no on-board work" in page
    assert len(_pngs(write_report(tmp_path, interactive=False).read_text())) == 5
    assert "idle" in page


# ---------------------------------------------------------------------------------------------
# per-workload metrics, findings and charts
# ---------------------------------------------------------------------------------------------

EO_KEYS = {"workload": "earth-observation", "jobs_total": 176, "jobs_lost": 0, "jobs_pending": 13}


def write_eo_comparison(root: Path) -> Path:
    """Energy-aware (on board: 121 cloudy frames discarded, results only downlinked) against
    bent-pipe (every frame sent down raw, processed on the ground: no on-board energy per job)."""
    for seed, policy, extra, ground in (
        (11, "energy-aware", dict(jobs_completed=42, jobs_dropped=121, jobs_discarded_cloudy=121,
                                  bits_downlinked=1.5e8, bytes_downlinked=1.878e7,
                                  insights_delivered=42, insight_latency_median_s=780.0,
                                  energy_per_insight_j=123_450.0), False),
        (12, "bent-pipe", dict(jobs_completed=132, jobs_dropped=0, jobs_discarded_cloudy=0,
                               bits_downlinked=2.0149e12, bytes_downlinked=2.5186e11,
                               insights_delivered=42, insight_latency_median_s=887.0,
                               energy_per_insight_j=123_430.0), True),
    ):  # fmt: skip
        tables = make_tables(seed)
        if ground:
            jobs = dict(tables["jobs"])
            jobs["energy_j"] = np.zeros(len(tables["jobs"]))
            tables["jobs"] = Table(jobs)
        w = RunWriter(root / policy)
        for name, t in tables.items():
            w.write_table(name, t)
        w.write_summary(make_summary(tables, policy, bits_captured=2.68e12, **EO_KEYS, **extra))
        w.finish()
    RunWriter(root).write_summary(
        {
            "scenario": "eo",
            "workload": "earth-observation",
            "policies": ["energy-aware", "bent-pipe"],
        }
    )
    return root


def test_compare_eo_fewer_bytes_downlinked_is_better_and_cloudy_frames_are_not_drops(tmp_path):
    table = compare_runs([write_eo_comparison(tmp_path / "eo")])
    keys = table["metric"].tolist()
    best = dict(zip(keys, table["best"].tolist(), strict=True))
    better = dict(zip(keys, table["better"].tolist(), strict=True))
    assert keys[:4] == [
        "insights_delivered",
        "insight_latency_median_s",
        "bytes_downlinked",
        "energy_per_insight_j",
    ]  # the question first
    assert best["bytes_downlinked"] == best["bits_downlinked"] == "energy-aware"
    assert best["insight_latency_median_s"] == "energy-aware"
    assert best["insights_delivered"] == ""  # a tie
    assert best["jobs_completed"] == best["jobs_dropped"] == ""  # not a measure of value in EO
    assert better["jobs_lost"] == "lower" and better["jobs_discarded_cloudy"] == ""
    assert set(table["workload"].tolist()) == {"earth-observation"}
    data = comparison_json(table)
    assert data["workload"] == "earth-observation"
    entry = next(m for m in data["metrics"] if m["metric"] == "bytes_downlinked")
    assert entry["unit"] == "B" and entry["better"] == "lower" and entry["best"] == ["energy-aware"]
    shown = CliRunner().invoke(app, ["compare", str(tmp_path / "eo")], env={"COLUMNS": "160"})
    assert shown.exit_code == 0, shown.output
    assert "18.78 MB" in shown.output and "251.86 GB" in shown.output
    # the workload's question (however the terminal's width wraps it)
    assert "fewest downlinked bytes" in " ".join(shown.output.split())
    # an EO run beside a run of another (here unknown) workload: no shared goal, no best
    write_run(tmp_path / "other", 4, "greedy")
    mixed = compare_runs([tmp_path / "eo" / "energy-aware", tmp_path / "other"])
    assert set(mixed["workload"].tolist()) == {"mixed"}
    assert not any(mixed["best"].tolist()) and not any(mixed["better"].tolist())


def test_metric_table_one_row_per_key_and_workload_and_training_laser_row_reads_allreduce():
    from spacecompute.results.metrics import (
        METRICS,
        WORKLOADS,
        metric_value,
        metrics_for,
        workload_of,
    )

    pairs = [(m.key, m.workload) for m in METRICS]
    assert len(pairs) == len(set(pairs))
    assert all(m.better in ("higher", "lower", None) for m in METRICS)
    for w in WORKLOADS:
        rows = metrics_for(w)
        assert len({m.key for m in rows}) == len(rows)  # overrides replace, never duplicate
    training = {"workload": "training", "allreduce_bytes": 3.79e16, "ops_lost": 5.0e19,
                "ops_spent": 1.0e22, "checkpoint_write_bytes": 3e13, "checkpoint_read_bytes": 2e13}  # fmt: skip
    row = {m.key: m for m in metrics_for("training")}
    assert metric_value(training, row["isl_bytes"]) == 3.79e16
    assert metric_value(training, row["work_lost_fraction"]) == pytest.approx(5e-3)
    assert metric_value(training, row["checkpoint_bytes"]) == pytest.approx(5e13)
    assert workload_of({"on_time_fraction": 0.8}) == "inference"  # older inference runs
    assert workload_of({"jobs_total": 3}) == "*"


def test_format_quantity():
    from spacecompute.results.metrics import format_quantity as f

    assert f(1.878e7, "B") == "18.78 MB"
    assert f(2.5186e11, "B") == "251.86 GB"
    assert f(780.0, "s") == "13.0 min" and f(0.247, "s") == "0.247 s" and f(7200, "s") == "2.00 h"
    assert f(0.5, "fraction") == "50 %" and f(1234, "") == "1,234" and f(None) == "-"
    assert f(6.64e21, "FLOP") == "6.64 ZFLOP" and f(float("nan"), "J") == "-"


def test_findings_name_the_winner_by_how_much_and_count_near_ties():
    from spacecompute.results.findings import findings, near_best, verdict
    from spacecompute.results.metrics import headline_metrics

    rows = headline_metrics("earth-observation")
    values = np.array([[42, 42], [780.0, 887.0], [1.878e7, 2.5186e11], [123_450.0, 123_430.0]])
    found = findings(values, rows, ["energy-aware", "bent-pipe"])
    assert found[0].tie and found[0].sentence == "all equal (42)"
    assert found[2].best.tolist() == [True, False]
    assert "18.78 MB" in found[2].sentence and "13,411 times less" in found[2].sentence
    assert found[3].tie and "about equal" in found[3].sentence  # 0.016 % apart
    assert verdict(found, ["energy-aware", "bent-pipe"]) == (
        "energy-aware is best (or within 1 %) on 4 of 4 headline metrics; bent-pipe 2 of 4."
    )
    assert near_best(np.array([100.0, 99.5, 90.0, np.nan]), "higher").tolist() == [
        True, True, False, False,
    ]  # fmt: skip
    assert "nothing to compare" in verdict(found[:1], ["only"])


def test_charts_eo_map_per_policy_never_draws_ground_work_and_funnel_is_log(tmp_path):
    from spacecompute.results.charts import build_charts, traffic_values, work_locations

    runs = find_runs(write_eo_comparison(tmp_path / "eo"))
    charts = {c.name: c for c in build_charts(runs, ["energy-aware", "bent-pipe"],
                                              "earth-observation")}  # fmt: skip
    jobs = runs[0].table("jobs")
    on_board = (jobs["status"] == "completed") & (jobs["satellite"] >= 0)
    lon, lat, ground = work_locations(runs[0])
    assert lon.size == on_board.sum() and ground == (
        (jobs["status"] == "completed").sum() - lon.size
    )
    np.testing.assert_array_equal(np.sort(lat), np.sort(jobs["lat_deg"][on_board]))
    lon_bp, _, ground_bp = work_locations(runs[1])  # bent pipe: every frame done on the ground
    assert lon_bp.size == 0 and ground_bp == (runs[1].table("jobs")["status"] == "completed").sum()
    world = charts["map"]
    assert len(world.panels) == 2 and [s.panel for s in world.series] == [0, 1]
    assert world.panels[1].title.startswith("bent-pipe: 0 jobs on board")
    assert "on the ground (not drawn)" in world.panels[1].title and not world.has_data(1)
    funnel = charts["funnel"]
    assert all(p.ylog for p in funnel.panels)
    bars = [s for s in funnel.series if s.panel == 0]
    np.testing.assert_allclose(bars[0].y, [2.68e12, runs[0].summary["bits_processed"], 1.5e8,
                                           runs[0].summary["bits_dropped"]])  # fmt: skip
    assert traffic_values(runs[1])[0] == 2.5186e11
    assert charts["latency_cdf"].panels[0].xlabel.startswith("capture to insight")


def test_training_funnel_is_work_and_laser_traffic_is_the_allreduce(tmp_path):
    from spacecompute.results.charts import funnel_values, traffic_values

    tables = make_tables(21)
    summary = make_summary(
        tables, "optimising", workload="training", bits_captured=None, bits_processed=None,
        bits_downlinked=None, bits_dropped=None, ops_executed=1.66e22, ops_spent=1.42e22,
        ops_completed_jobs=6.64e21, ops_lost=5.4e19, allreduce_bytes=3.79e16,
        checkpoint_write_bytes=3.13e13, checkpoint_read_bytes=2.16e13,
    )  # fmt: skip
    w = RunWriter(tmp_path / "t")
    for name, t in tables.items():
        w.write_table(name, t)
    w.write_summary(summary)
    run = RunResult.load(w.finish())
    np.testing.assert_allclose(funnel_values(run, "training"), [1.66e22, 1.42e22, 6.64e21, 5.4e19])
    assert traffic_values(run)[1:].tolist() == [3.79e16, pytest.approx(5.29e13)]
    row = dict(zip(*(compare_runs([tmp_path / "t"])[k].tolist() for k in ("metric", "label")),
                   strict=True))  # fmt: skip
    assert row["isl_bytes"] == "laser (ISL) bytes: all-reduce"


def test_long_runs_are_binned_keeping_the_envelope_and_the_mean():
    from spacecompute.results.charts import MAX_STEPS_DRAWN, _bins

    rng = np.random.default_rng(3)
    values = rng.normal(size=3 * MAX_STEPS_DRAWN + 17)
    short = values[:MAX_STEPS_DRAWN]
    assert _bins(short, "mean") is short  # short runs: as they are
    lo, hi, mean = _bins(values, "min"), _bins(values, "max"), _bins(values, "mean")
    assert lo.size == hi.size == mean.size == MAX_STEPS_DRAWN
    assert lo.min() == values.min() and hi.max() == values.max()
    assert np.all(lo <= mean) and np.all(mean <= hi)
    sizes = np.diff(np.append(np.linspace(0, values.size, MAX_STEPS_DRAWN, endpoint=False)
                              .astype(int), values.size))  # fmt: skip
    assert np.dot(mean, sizes) == pytest.approx(values.sum())
