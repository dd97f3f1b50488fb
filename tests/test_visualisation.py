"""Issue 12, sections 1 and 2: state series, CZML scene, and the 3D view page.

The browser tests load the CZML in real CesiumJS and open view.html in headless Chromium; they
skip (saying why) where Chromium or the npm package ``cesium`` is missing (``.ci/run`` installs
both).
"""

from __future__ import annotations

import itertools
import json
import shutil
import types
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from headless_chromium import (
    CESIUM_BUILD,
    ERROR_TRAP,
    dump_dom,
    element_text,
    need_chromium,
    page_errors,
    screenshot,
    serve,
)
from spacecompute.results.czml import (
    INTERPOLATION_DEGREE,
    STATE_RGBA,
    read_czml,
    write_czml,
)
from spacecompute.results.scene import load_scene, sample_stride
from spacecompute.results.view import write_view
from spacecompute.sim import states as st

EO_SCENARIO = """\
name: eo-view-test
start: 2026-01-01T00:00:00Z
duration_s: 3600
step_s: 60
constellation:
  preset: threebody
ground:
  stations: [Svalbard, TrollSat, Inuvik, McMurdo, Singapore, Hartebeesthoek]
workload:
  kind: earth-observation
policy: on-board
seed: 0
"""

TRAINING_SCENARIO = """\
name: training-view-test
start: 2026-12-21T00:00:00Z
duration_s: 900
step_s: 60
constellation:
  preset: suncatcher-cluster
ground:
  stations: none
workload:
  kind: training
  jobs_per_day: 2000
  params_min: 1.0e9
  params_max: 2.0e9
  max_parallelism: 16
  precision: bf16
policy: all-in
seed: 1
"""


def _cols(path: Path) -> dict[str, np.ndarray]:
    """A Parquet table as numpy columns."""
    t = pq.read_table(path)
    return {name: t[name].to_numpy(zero_copy_only=False) for name in t.column_names}


def _by_step(values: np.ndarray, step: np.ndarray, fn) -> np.ndarray:
    return np.array([fn(values[step == k]) for k in np.unique(step)])


def _run(tmp: Path, text: str) -> Path:
    from spacecompute.runner import run_scenario

    scenario = tmp / "scenario-in.yaml"
    scenario.write_text(text)
    out = tmp / "run"
    run_scenario(str(scenario), out_dir=out)
    return out


@pytest.fixture(scope="module")
def eo_run(tmp_path_factory) -> Path:
    out = _run(tmp_path_factory.mktemp("eo"), EO_SCENARIO)
    write_czml(out)
    return out


# --- the state series ------------------------------------------------------------------------


def test_states_agree_with_the_steps_envelope(eo_run):
    """Recorded battery and temperature of all 12 satellites give the steps table's min, mean
    and max of every step (the engine's own reduction of the same fleet outputs)."""
    s = _cols(eo_run / "states.parquet")
    steps = _cols(eo_run / "steps.parquet")
    assert len(s["step"]) == 60 * 12
    k = s["step"]
    np.testing.assert_allclose(_by_step(s["soc"], k, np.min), steps["soc_min"], rtol=1e-6)
    np.testing.assert_allclose(_by_step(s["soc"], k, np.mean), steps["soc_mean"], rtol=1e-6)
    for fn, col in ((np.max, "temperature_max_k"), (np.min, "temperature_min_k")):
        np.testing.assert_allclose(_by_step(s["temperature_k"], k, fn), steps[col], rtol=1e-6)
    # a satellite that computed in some step has ops done; one that never did has none
    ops = _cols(eo_run / "satellites.parquet")["ops_done"]
    busy = np.isin(s["state"], [st.COMPUTING, st.THROTTLED])
    for i in range(12):
        assert (ops[i] > 0) == bool(busy[s["satellite"] == i].any())
    meta = pq.read_schema(eo_run / "states.parquet").metadata[b"spacecompute.states"].decode()
    assert "recorded=12" in meta and "subset=all" in meta


def test_recorded_subset_is_deterministic_and_spread():
    assert np.array_equal(st.recorded_satellites(12), np.arange(12))
    sub = st.recorded_satellites(25_000, 10_000)
    assert sub.size == 10_000 and np.all(np.diff(sub) > 0)
    assert sub[0] == 0 and sub[-1] == (9_999 * 25_000) // 10_000
    # evenly spread: gaps of 2 or 3 satellites
    assert set(np.diff(sub).tolist()) == {2, 3}


def _fleet_step(n: int, **over) -> types.SimpleNamespace:
    base = {
        "thermal_throttle": np.ones(n),
        "power_throttle": np.ones(n),
        "reboots": np.zeros(n),
        "detected_errors": np.zeros(n),
        "silent_errors": np.zeros(n),
        "available": np.ones(n, bool),
        "brownout": np.zeros(n, bool),
        "state_of_charge": np.linspace(0.2, 1.0, n),
        "temperature_k": np.linspace(280, 300, n),
    }
    base.update(over)
    return types.SimpleNamespace(**base)


def test_state_code_priority():
    n = 7
    fs = _fleet_step(
        n,
        thermal_throttle=np.array([1, 1, 1, 0.5, 0.5, 1, 1.0]),
        reboots=np.array([0, 0, 0, 0, 1, 0, 0]),
        brownout=np.array([0, 0, 0, 0, 1, 0, 0], bool),
        available=np.array([1, 1, 1, 1, 1, 0, 1], bool),
    )
    sunlit = np.array([1.0, 0.2, 1.0, 1.0, 1.0, 1.0, 0.5])
    computing = np.array([0, 0, 1, 1, 1, 0, 0], bool)
    codes = st.state_codes(sunlit, fs, computing)
    assert codes.tolist() == [
        st.SUNLIT,
        st.ECLIPSE,
        st.COMPUTING,
        st.THROTTLED,
        st.BROWNED_OUT,
        st.FAULTED,
        st.SUNLIT,
    ]


class _Every:
    def __init__(self, k: int) -> None:
        self.k = k

    def due(self, steps_done: int) -> bool:
        return steps_done % self.k == 0


def _record(rec: st.StateRecorder, steps: range, n: int) -> None:
    for k in steps:
        fs = _fleet_step(n, state_of_charge=np.full(n, k / 10.0))
        rec.record_links(k, np.array([0, 1]), np.array([1, 2]))
        rec.record(k, np.ones(n), fs, np.arange(n) % 2 == 0, np.full(n, float(k)), np.arange(n))


@pytest.mark.parametrize("flush_rows", [st.FLUSH_ROWS, 6])
def test_recorder_resume_equals_an_uninterrupted_run(tmp_path, monkeypatch, flush_rows):
    """A run killed after its checkpoint at step 5 (rows of steps 5 and 6 recorded, maybe
    flushed) and resumed from it writes the same file as a run that was never killed."""
    monkeypatch.setattr(st, "FLUSH_ROWS", flush_rows)
    n = 3
    whole = st.StateRecorder(tmp_path / "a", n, checkpoint=_Every(5))
    _record(whole, range(10), n)
    whole.finish()
    killed = st.StateRecorder(tmp_path / "b", n, checkpoint=_Every(5))
    _record(killed, range(7), n)  # killed here: no finish
    resumed = st.StateRecorder(tmp_path / "b", n, steps_done=5, checkpoint=_Every(5))
    _record(resumed, range(5, 10), n)
    resumed.finish()
    for name in ("states.parquet", "links.parquet"):
        a = pq.read_table(tmp_path / "a" / name)
        b = pq.read_table(tmp_path / "b" / name)
        assert a.equals(b), name
    assert pq.read_table(tmp_path / "a" / "states.parquet").num_rows == 30
    assert not (tmp_path / "b" / ".states").exists()


# --- the scene and the CZML --------------------------------------------------------------------


def test_scenario_saved_with_the_run_rebuilds_it(eo_run):
    from spacecompute.scenario.loader import load_scenario

    saved = load_scenario(str(eo_run / "scenario.yaml"))
    assert saved.spec.constellation.preset == "threebody"
    assert saved.spec.duration_s == 3600 and saved.spec.policy == "on-board"
    assert list(saved.spec.ground.stations) == [
        "Svalbard",
        "TrollSat",
        "Inuvik",
        "McMurdo",
        "Singapore",
        "Hartebeesthoek",
    ]


def test_sample_stride_keeps_the_budget():
    assert sample_stride(12, 60, 2_000_000) == 1
    stride = sample_stride(10_000, 1440, 1_000_000)
    samples = len(range(0, 1440 + stride, stride))
    assert 10_000 * samples <= 1_000_000 + 10_000 and stride == 15
    # the CZML's accuracy cap: at most 300 s between samples, whatever the budget
    assert sample_stride(10_000, 1440, 2_000_000, step_s=60.0, max_s=300.0) == 5
    assert sample_stride(10_000, 1440, 2_000_000, step_s=600.0, max_s=300.0) == 1


def test_czml_structure(eo_run):
    packets = read_czml(eo_run / "scene.czml")
    doc = packets[0]
    assert doc["id"] == "document" and doc["version"] == "1.0"
    assert doc["clock"]["interval"] == "2026-01-01T00:00:00.000Z/2026-01-01T01:00:00.000Z"
    assert "all 12 satellites" in doc["name"]
    sats = [p for p in packets if p["id"].startswith("sat-")]
    stations = [p for p in packets if p["id"].startswith("station-")]
    contacts = [p for p in packets if p["id"].startswith("contact-")]
    assert len(sats) == 12 and len(stations) == 6
    c = _cols(eo_run / "contacts.parquet")
    n_pairs = len(set(zip(c["station"].tolist(), c["satellite"].tolist(), strict=True)))
    assert len(contacts) == n_pairs > 0
    assert len(packets) == 1 + 12 + 6 + n_pairs
    states = _cols(eo_run / "states.parquet")
    palette = [list(c) for c in STATE_RGBA]
    for p in sats:
        pos = p["position"]
        assert pos["referenceFrame"] == "FIXED"
        assert pos["interpolationAlgorithm"] == "LAGRANGE"
        assert pos["interpolationDegree"] == INTERPOLATION_DEGREE
        assert len(pos["cartesian"]) == 4 * 61
        colors = p["point"]["color"]
        # the intervals tile the run, and each has the colour of the recorded state
        bounds = [c["interval"].split("/") for c in colors]
        assert bounds[0][0] == "2026-01-01T00:00:00.000Z"
        assert bounds[-1][1] == "2026-01-01T01:00:00.000Z"
        assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))
        sat = int(p["id"][4:])
        mine = states["satellite"] == sat
        codes = states["state"][mine][np.argsort(states["step"][mine])]
        minute = [
            int(np.datetime64(b[0].rstrip("Z")).astype("datetime64[m]").astype(int) % 60)
            for b in bounds
        ]
        for m, c in zip(minute, colors, strict=True):
            assert c["rgba"] == palette[codes[m]]
    for p in contacts:
        refs = p["polyline"]["positions"]["references"]
        assert refs[0].startswith("station-") and refs[1].startswith("sat-")
        assert p["polyline"]["arcType"] == "NONE"  # straight, not along the ground
        assert all(s["boolean"] is True for s in p["polyline"]["show"])


def _lagrange(t: np.ndarray, x: np.ndarray, at: float, degree: int) -> np.ndarray:
    """Lagrange interpolation over the ``degree + 1`` samples around ``at`` (as Cesium's
    LagrangePolynomialApproximation picks them)."""
    i = int(np.searchsorted(t, at))
    lo = max(0, min(i - (degree + 1) // 2, len(t) - degree - 1))
    tt, xx = t[lo : lo + degree + 1], x[lo : lo + degree + 1]
    out = np.zeros(x.shape[1])
    for j in range(degree + 1):
        w = np.prod([(at - tt[m]) / (tt[j] - tt[m]) for m in range(degree + 1) if m != j])
        out += w * xx[j]
    return out


def test_czml_positions_interpolate_to_the_orbit(eo_run):
    """Lagrange degree 5 through the 60 s samples reproduces SGP4 between them to metres."""
    from spacecompute.scenario.build import preset_constellation

    packets = read_czml(eo_run / "scene.czml")
    sat0 = next(p for p in packets if p["id"] == "sat-0")
    c = np.asarray(sat0["position"]["cartesian"]).reshape(-1, 4)
    start = np.datetime64("2026-01-01T00:00:00", "ns")
    const = preset_constellation("threebody", epoch=start)
    mids = np.arange(30.0, 3600.0, 60.0)
    eph = const.propagate(
        None, times=start + (mids * 1e9).astype("timedelta64[ns]"), velocities=False
    )
    err = [
        np.linalg.norm(_lagrange(c[:, 0], c[:, 1:], m, 5) - eph.r_ecef_m[i, 0])
        for i, m in enumerate(mids)
    ]
    assert max(err) < 5.0  # metres (samples are rounded to 1 m)


def test_large_runs_are_sampled_and_interpolate(eo_run):
    """With a small budget the samples widen to whole steps and the interpolation still follows
    the orbit (the view's great-circle interpolation: well under a kilometre at 300 s)."""
    scene = load_scene(eo_run, budget=12 * 13)
    assert scene.sample_steps == 5
    assert np.array_equal(
        (scene.sample_times_ns - scene.start_ns) // 60_000_000_000, np.arange(0, 61, 5)
    )


# --- browsers --------------------------------------------------------------------------------


_CESIUM_PAGE = """<!doctype html><html><head><meta charset="utf-8">
{trap}
<script>window.CESIUM_BASE_URL = 'cesium/';</script>
<script src="cesium/Cesium.js"></script></head><body><pre id="result">pending</pre>
<script>
Cesium.CzmlDataSource.load('scene.czml').then(function (ds) {{
  var c = ds.clock, s = ds.entities.getById('sat-0');
  var t = Cesium.JulianDate.addSeconds(c.startTime, 90, new Cesium.JulianDate());
  var p = s.position.getValue(t), col = s.point.color.getValue(t);
  var line = ds.entities.values.filter(function (e) {{ return e.polyline; }})[0];
  document.getElementById('result').textContent = JSON.stringify({{
    entities: ds.entities.values.length,
    start: Cesium.JulianDate.toIso8601(c.startTime, 0),
    stop: Cesium.JulianDate.toIso8601(c.stopTime, 0),
    position: [p.x, p.y, p.z],
    color: [col.red, col.green, col.blue].map(function (v) {{ return Math.round(v * 255); }}),
    frame: s.position.referenceFrame,
    fixed: Cesium.ReferenceFrame.FIXED,
    lines: ds.entities.values.filter(function (e) {{ return e.polyline; }}).length,
    straight: line.polyline.arcType.getValue(t) === Cesium.ArcType.NONE,
    name: ds.name
  }});
}}).catch(function (e) {{ console.error('load failed: ' + e); }});
</script></body></html>
"""


def test_cesium_loads_the_czml(eo_run, tmp_path):
    need_chromium()
    if not (CESIUM_BUILD / "Cesium.js").is_file():
        pytest.skip(f"CesiumJS not installed at {CESIUM_BUILD} (.ci/run installs the npm package)")
    site = tmp_path / "site"
    site.mkdir()
    (site / "cesium").symlink_to(CESIUM_BUILD, target_is_directory=True)
    shutil.copy(eo_run / "scene.czml", site / "scene.czml")
    (site / "index.html").write_text(_CESIUM_PAGE.format(trap=ERROR_TRAP))
    with serve(site) as url:
        dom = dump_dom(url + "index.html", budget_ms=15_000)
    assert page_errors(dom) == []
    result = json.loads(element_text(dom, "result"))
    packets = read_czml(eo_run / "scene.czml")
    assert result["entities"] == len(packets) - 1  # the document packet is no entity
    assert result["start"] == "2026-01-01T00:00:00Z" and result["stop"] == "2026-01-01T01:00:00Z"
    assert result["frame"] == result["fixed"]
    assert result["lines"] == sum(p["id"].startswith("contact-") for p in packets)
    assert result["straight"]
    # Cesium's interpolation at 90 s is the orbit (SGP4), and the colour the state of step 1
    from spacecompute.scenario.build import preset_constellation

    start = np.datetime64("2026-01-01T00:00:00", "ns")
    eph = preset_constellation("threebody", epoch=start).propagate(
        None, times=np.array([start + np.timedelta64(90, "s")]), velocities=False
    )
    assert np.linalg.norm(np.asarray(result["position"]) - eph.r_ecef_m[0, 0]) < 5.0
    states = _cols(eo_run / "states.parquet")
    code = states["state"][(states["satellite"] == 0) & (states["step"] == 1)][0]
    assert result["color"] == list(STATE_RGBA[code][:3])


def _trapped_copy(page: Path, out: Path) -> Path:
    text = page.read_text(encoding="utf-8")
    out.write_text(text.replace("<head>", "<head>" + ERROR_TRAP, 1), encoding="utf-8")
    return out


def test_view_page_runs_offline_and_draws(eo_run, tmp_path):
    need_chromium()
    page = write_view(eo_run)
    assert page == eo_run / "view.html"
    text = page.read_text(encoding="utf-8")
    # self-contained: no script, style sheet or image comes from elsewhere
    import re

    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", text)
    assert '"texture":"data:image/png;base64,' in text
    trapped = _trapped_copy(page, tmp_path / "view.html")
    url = trapped.resolve().as_uri()
    # the clock advances while playing, and everything is drawn, with no errors
    dom = dump_dom(url + "#play=1&speed=600", budget_ms=8_000)
    assert page_errors(dom) == []
    status = json.loads(element_text(dom, "view-status"))
    assert status["ready"] and status["t"] > 0 and status["frames"] > 1
    assert status["satellites"] == 12 and sum(status["counts"]) == 12
    # at 30 min: a picture of the globe and the satellites, different from a blank canvas
    from PIL import Image

    shot = screenshot(url + "#t=1800&sat=0", tmp_path / "view.png", budget_ms=5_000)
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    blank = np.array([5, 7, 13])  # the page's background
    differs = np.any(np.abs(img - blank) > 8, axis=2)
    assert differs.mean() > 0.2  # the globe fills a good part of the window
    near = lambda rgb: np.all(np.abs(img - np.asarray(rgb)) < 12, axis=2)  # noqa: E731
    assert near((58, 96, 62)).sum() > 1000 and near((12, 34, 64)).sum() > 1000  # land, sea
    assert sum(near(c[:3]).sum() for c in STATE_RGBA[:3]) > 20  # satellites drawn


def test_view_status_at_a_time_matches_the_run(eo_run, tmp_path):
    need_chromium()
    trapped = _trapped_copy(write_view(eo_run), tmp_path / "view.html")
    dom = dump_dom(trapped.resolve().as_uri() + "#t=1830&sat=3", budget_ms=3_000)
    assert page_errors(dom) == []
    status = json.loads(element_text(dom, "view-status"))
    states = _cols(eo_run / "states.parquet")
    want = np.bincount(states["state"][states["step"] == 30], minlength=6)
    assert status["counts"] == want.tolist()
    # the clicked satellite's battery and temperature at that step
    import re

    mine = (states["step"] == 30) & (states["satellite"] == 3)
    battery = re.search(r"<th>battery</th><td>(\d+) %</td>", dom)
    kelvin = re.search(r"<th>temperature</th><td>([\d.]+) K", dom)
    assert int(battery.group(1)) == round(round(states["soc"][mine][0] * 255) / 2.55)
    assert float(kelvin.group(1)) == pytest.approx(states["temperature_k"][mine][0], abs=0.06)
    c = _cols(eo_run / "contacts.parquet")
    at = np.datetime64("2026-01-01T00:30:30", "ns")
    assert status["contacts"] == int(((c["start"] <= at) & (c["end"] > at)).sum())


# --- training: laser links ---------------------------------------------------------------------


def test_training_links_join_satellites_of_one_job(tmp_path):
    out = _run(tmp_path, TRAINING_SCENARIO)
    links = _cols(out / "links.parquet")
    s = _cols(out / "states.parquet")
    job = {
        (int(a), int(b)): int(j)
        for a, b, j in zip(s["step"], s["satellite"], s["job"], strict=True)
    }
    assert len(links["step"]) > 0
    for k, a, b in zip(links["step"], links["a"], links["b"], strict=True):
        assert job[int(k), int(a)] == job[int(k), int(b)] >= 0
    write_czml(out)
    packets = read_czml(out / "scene.czml")
    assert any(p["id"].startswith("link-") for p in packets)
    assert not any(p["id"].startswith("station-") for p in packets)


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_view_czml_and_errors(eo_run, tmp_path):
    from typer.testing import CliRunner

    from spacecompute.cli import app

    runner = CliRunner()
    copy = tmp_path / "copy"
    shutil.copytree(eo_run, copy)
    (copy / "scene.czml").unlink()
    done = runner.invoke(app, ["czml", str(copy)])
    assert done.exit_code == 0, done.output
    assert (copy / "scene.czml").is_file()
    done = runner.invoke(app, ["view", str(copy), "--no-open"])
    assert done.exit_code == 0, done.output
    assert (copy / "view.html").stat().st_size < 5_000_000
    (copy / "states.parquet").unlink()
    done = runner.invoke(app, ["view", str(copy), "--no-open"])
    assert done.exit_code == 2 and "states.parquet" in done.output
    done = runner.invoke(app, ["run", "default", "--czml"])
    assert done.exit_code == 2 and "--out" in done.output


def test_engine_resume_writes_the_same_state_series(tmp_path):
    """An EO run killed after 70 of 120 steps (checkpoint every 50) and resumed writes the
    states.parquet of a run never killed."""
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint
    from spacecompute.sim.engine import EngineConfig, run_engine

    cfg = EngineConfig(policy="energy-aware", bus="cote-3u", duration_s=7200.0, chunk_steps=32)
    run_engine(cfg, out_dir=tmp_path / "whole")
    ck = Checkpointer(tmp_path / "killed", 50, fingerprint(cfg))

    def kill(done: int, total: int) -> None:
        if done == 70:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_engine(cfg, out_dir=tmp_path / "killed", checkpoint=ck, progress=kill)
    run_engine(cfg, out_dir=tmp_path / "killed", checkpoint=ck)
    a = pq.read_table(tmp_path / "whole" / "states.parquet")
    b = pq.read_table(tmp_path / "killed" / "states.parquet")
    assert a.num_rows == 120 * 12 and a.equals(b)
