"""Tests of the EO engine v0 (spacecompute.sim.engine): conservation, determinism, decisions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spacecompute.errors import InputError
from spacecompute.sim.engine import (
    POLICIES,
    EngineConfig,
    PolicyView,
    get_policy,
    match_stations,
    run_engine,
)
from spacecompute.workloads.eo import SensorModel
from spacecompute.workloads.inference import model_spec

HOURS = 3600.0


@pytest.fixture(scope="module")
def runs():
    """Threebody at 60 s, each policy, with per-satellite traces: 6 h, the look-ahead LP
    (which re-plans every 10 steps) 2 h so that the suite stays short."""
    return {
        name: run_engine(
            EngineConfig(policy=name, duration_s=(2 if name == "optimising" else 6) * HOURS),
            trace=True,
        )
        for name in POLICIES
    }


def _as_comparable(a: np.ndarray) -> np.ndarray:
    if a.dtype.kind == "M":
        return a.astype(np.int64)
    return a


def _tables_equal(t1, t2) -> bool:
    if t1.columns != t2.columns or len(t1) != len(t2):
        return False
    for c in t1.columns:
        a, b = _as_comparable(t1[c]), _as_comparable(t2[c])
        if a.dtype.kind == "f":
            if not np.array_equal(a, b, equal_nan=True):
                return False
        elif not np.array_equal(a, b):
            return False
    return True


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("policy", sorted(POLICIES))
def test_every_job_ends_in_exactly_one_state(runs, policy):
    r = runs[policy]
    jobs, s = r.jobs, r.summary
    status = jobs["status"]
    assert len(jobs) > 100
    assert set(status.tolist()) <= {"completed", "dropped", "pending"}
    n_c = int((status == "completed").sum())
    n_d = int((status == "dropped").sum())
    n_p = int((status == "pending").sum())
    assert n_c + n_d + n_p == len(jobs) == s["jobs_total"]
    assert (n_c, n_d) == (s["jobs_completed"], s["jobs_dropped"])
    assert np.array_equal(np.unique(jobs["job_id"]), np.arange(len(jobs)))
    # steps table counts the same transitions, each once
    assert r.steps["jobs_completed"].sum() == n_c
    assert r.steps["jobs_dropped"].sum() == n_d
    # drop reasons only on dropped jobs; times are consistent
    reason = jobs["drop_reason"]
    assert np.all((reason != "") == (status == "dropped"))
    done = status == "completed"
    arr, st, end = (jobs[c].astype(np.int64) for c in ("arrival", "start", "end"))
    assert np.all(st[done] >= arr[done]) and np.all(end[done] >= st[done])
    np.testing.assert_allclose(jobs["latency_s"][done], (end[done] - arr[done]) / 1e9)
    assert np.all(np.isnan(jobs["latency_s"][~done]))
    assert np.all(np.isnat(jobs["end"][status == "pending"]))
    # captured bits are the jobs' raw bits
    assert r.summary["bits_captured"] == pytest.approx(8 * jobs["bytes_in"].sum(), rel=1e-12)


def test_bent_pipe_bits_balance(runs):
    r = runs["bent-pipe"]
    steps, jobs = r.steps, r.jobs
    captured = np.cumsum(steps["bits_captured"])
    accounted = (
        np.cumsum(steps["bits_downlinked"])
        + np.cumsum(steps["bits_dropped"])
        + steps["backlog_bits"]
    )
    # exact every step: captured = downlinked + dropped + backlog
    np.testing.assert_allclose(accounted, captured, rtol=1e-12, atol=1.0)
    # a completed bent-pipe job has had all its raw bits downlinked, cloudy or not
    done = jobs["status"] == "completed"
    assert np.array_equal(jobs["bytes_out"][done], jobs["bytes_in"][done])
    assert jobs["cloudy"][done].any()
    assert 8 * jobs["bytes_in"][done].sum() <= r.summary["bits_downlinked"] * (1 + 1e-12)
    pending = jobs["status"] == "pending"
    assert r.summary["bits_downlinked"] <= 8 * jobs["bytes_in"][done | pending].sum() * (1 + 1e-12)
    assert np.all(jobs["energy_j"] == 0.0)  # no on-board compute


@pytest.mark.parametrize("policy", ["on-board", "energy-aware", "bent-pipe"])
def test_service_never_exceeds_capacity(runs, policy):
    tr = runs[policy].trace
    n_steps = runs[policy].summary["steps"]
    for k in ("ops_processed", "ops_capacity", "bits_downlinked", "downlink_capacity_bits"):
        assert tr[k].shape == (n_steps, runs[policy].summary["satellites"])
    assert np.all(tr["ops_processed"] <= tr["ops_capacity"] * (1 + 1e-12))
    assert np.all(tr["bits_downlinked"] <= tr["downlink_capacity_bits"] * (1 + 1e-12))
    assert np.all(tr["ops_processed"] >= 0) and np.all(tr["bits_downlinked"] >= 0)
    assert tr["bits_downlinked"].sum() > 0
    if policy == "bent-pipe":
        assert np.all(tr["ops_processed"] == 0)


def test_on_board_accounting(runs):
    r = runs["on-board"]
    jobs = r.jobs
    status, reason = jobs["status"], jobs["drop_reason"]
    cloudy = jobs["cloudy"]
    # clouds are discarded after inference, never downlinked
    assert not np.any(cloudy & (status == "completed"))
    assert np.all(reason[cloudy & (status == "dropped")] == "cloudy")
    assert np.all(cloudy[reason == "cloudy"]) and (reason == "cloudy").any()
    # ops done by the fleet: at least the ops of every job whose inference finished, at most
    # those plus the pending jobs' ops
    inferred = (status == "completed") | (reason == "cloudy") | (jobs["bytes_out"] > 0)
    ops_done = r.satellites["ops_done"].sum()
    assert ops_done >= jobs["ops"][inferred].sum() * (1 - 1e-12)
    assert ops_done <= jobs["ops"][inferred | (status == "pending")].sum() * (1 + 1e-12)
    np.testing.assert_allclose(ops_done, r.trace["ops_processed"].sum(), rtol=1e-12)
    # energy per job = ops x J/op of the payload (300 W / 744 TOPS for threebody)
    j_per_op = 300.0 / 744e12
    done = status == "completed"
    np.testing.assert_allclose(jobs["energy_j"][done], jobs["ops"][done] * j_per_op, rtol=1e-12)
    # downlinked bits are results of completed jobs (+ part of pending ones)
    lo = 8 * jobs["bytes_out"][done].sum()
    hi = 8 * jobs["bytes_out"][done | (status == "pending")].sum()
    assert lo * (1 - 1e-12) <= r.summary["bits_downlinked"] <= hi * (1 + 1e-12)


def test_fifo_order_per_satellite(runs):
    for name in ("bent-pipe", "on-board"):
        jobs = runs[name].jobs
        done = jobs["status"] == "completed"
        for s in np.unique(jobs["satellite"][done]):
            m = done & (jobs["satellite"] == s)
            end = jobs["end"][m].astype(np.int64)  # job ids are in arrival order
            assert np.all(np.diff(end) >= 0), (name, s)


def test_on_board_downlinks_results_only(runs):
    """Result bytes / raw bytes of a useful job = catalog output bytes per tile x tiles per
    frame / (bits per frame / 8), computed here independently of the engine."""
    spec, sensor = model_spec("yolov8n"), SensorModel.cote()
    tiles = math.ceil(4096 / spec.tile_px) ** 2  # ceil(4096 / 640)^2 = 49
    assert tiles == sensor.tiles_per_frame(spec.tile_px) == 49
    ratio = tiles * spec.output_bytes_per_unit / (4096 * 4096 * 3 * 8 / 8)
    ob = runs["on-board"].jobs
    done = ob["status"] == "completed"
    assert done.sum() > 10
    np.testing.assert_allclose(ob["bytes_out"][done] / ob["bytes_in"][done], ratio, rtol=1e-12)
    # same captured data in both runs (same ephemeris, seed and clouds)
    bp = runs["bent-pipe"].jobs
    assert np.array_equal(bp["bytes_in"], ob["bytes_in"])
    assert np.array_equal(bp["cloudy"], ob["cloudy"])
    s_bp, s_ob = runs["bent-pipe"].summary, runs["on-board"].summary
    assert s_bp["bits_captured"] == s_ob["bits_captured"]
    assert s_ob["bits_downlinked"] < 1e-3 * s_bp["bits_downlinked"]
    # and on-board needs at most ratio x the useful captured bits
    useful_bits = 8 * ob["bytes_in"][~ob["cloudy"]].sum()
    assert s_ob["bits_downlinked"] <= ratio * useful_bits * (1 + 1e-12)


def test_storage_full_drops_everything_when_a_job_cannot_fit():
    # one step of frames is ~37 x 50 MB = 1.9 GB; 1 GB of storage holds none
    r = run_engine(EngineConfig(policy="on-board", duration_s=2 * HOURS, storage_bytes=1e9))
    jobs = r.jobs
    assert len(jobs) > 0
    assert np.all(jobs["status"] == "dropped")
    assert np.all(jobs["drop_reason"] == "storage_full")
    assert r.summary["bits_dropped"] == r.summary["bits_captured"]
    assert r.summary["bits_downlinked"] == 0.0 and r.satellites["ops_done"].sum() == 0.0


# ------------------------------------------------------------------ determinism


def test_same_seed_same_tables_and_chunk_invariance(runs):
    cfg = EngineConfig(policy="on-board", duration_s=6 * HOURS, chunk_steps=37)
    r = run_engine(cfg)
    ref = runs["on-board"]
    for name in ("jobs", "steps", "satellites"):
        assert _tables_equal(getattr(r, name), getattr(ref, name)), name


@pytest.mark.parametrize("policy", ["on-board", "bent-pipe"])
def test_backlog_on_disk_gives_the_same_tables(runs, policy, monkeypatch):
    """With a budget of 5 queued jobs in memory (``SPACECOMPUTE_BACKLOG_JOBS``), the waiting
    jobs go to disk and come back when served: every table and the summary are those of the
    run that held them in memory."""
    from spacecompute.sim import spill

    writes = []
    add = spill.SpillFile.add
    monkeypatch.setattr(spill.SpillFile, "add", lambda f, *a: writes.append(1) or add(f, *a))
    from spacecompute.sim import engine

    held = {}
    finish = engine._finish

    def watched(run, *a):
        held.update(store=run.jobs.held, fifo=run.downlink_q.in_memory)
        held.update(pending=int(np.count_nonzero(run.jobs.cols["status"][: run.jobs.held] == 0)))
        return finish(run, *a)

    monkeypatch.setattr(engine, "_finish", watched)
    monkeypatch.setenv("SPACECOMPUTE_BACKLOG_JOBS", "5")
    r = run_engine(EngineConfig(policy=policy, duration_s=6 * HOURS), trace=True)
    ref = runs[policy]
    assert len(writes) > 10
    waiting = r.summary["jobs_pending"]
    assert waiting > 10 and held["fifo"] <= 5 + 12  # the budget, and a step's reads
    if policy == "on-board":  # the waiting results left the store: at most a current job each
        assert held["pending"] <= 12 < waiting
    for name in ("jobs", "steps", "satellites"):
        assert _tables_equal(getattr(r, name), getattr(ref, name)), name
    a = {k: v for k, v in r.summary.items() if k != "wall_time_s"}
    assert a == {k: v for k, v in ref.summary.items() if k != "wall_time_s"}


def test_backlog_budget_from_the_environment_is_checked(monkeypatch):
    from spacecompute.sim import engine

    monkeypatch.setenv("SPACECOMPUTE_BACKLOG_JOBS", "many")
    with pytest.raises(InputError, match="SPACECOMPUTE_BACKLOG_JOBS"):
        engine.backlog_budget_jobs()
    monkeypatch.delenv("SPACECOMPUTE_BACKLOG_JOBS")
    assert engine.backlog_budget_jobs() * engine.QUEUE_BYTES_PER_JOB <= engine.BACKLOG_MEMORY_BYTES


def test_different_seed_different_clouds():
    a = run_engine(EngineConfig(policy="on-board", duration_s=3 * HOURS, seed=1))
    b = run_engine(EngineConfig(policy="on-board", duration_s=3 * HOURS, seed=2))
    assert np.array_equal(a.jobs["bytes_in"], b.jobs["bytes_in"])
    assert not np.array_equal(a.jobs["cloudy"], b.jobs["cloudy"])


# ------------------------------------------------------------------ decisions


def _view(**kw) -> PolicyView:
    peak, dt = 744e12, 60.0
    base = {
        "sunlit": np.array([1.0, 0.0]),
        "state_of_charge": np.array([1.0, 0.0]),
        "thermal_throttle": np.array([1.0, 1.0]),
        "backlog_ops": np.array([0.5, 0.5]) * peak * dt,
        "storage_used_bytes": np.zeros(2),
        "storage_bytes": 2.5e12,
        "in_contact": np.array([False, False]),
        "peak_ops_per_s": peak,
        "dt_s": dt,
    }
    base.update(kw)
    return PolicyView(**base)


def test_energy_aware_idles_in_eclipse_with_empty_battery():
    view = _view()
    ea = get_policy("energy-aware").decide(view)
    ob = get_policy("on-board").decide(view)
    bp = get_policy("bent-pipe").decide(view)
    # backlog = half a step at peak -> load 0.5, by hand
    np.testing.assert_allclose(ob, [0.5, 0.5], rtol=1e-8)
    np.testing.assert_allclose(ea, [0.5, 0.0], rtol=1e-8)
    np.testing.assert_array_equal(bp, [0.0, 0.0])
    # a hot (throttled) satellite also waits under energy-aware
    hot = _view(thermal_throttle=np.array([0.9, 1.0]), state_of_charge=np.array([1.0, 1.0]))
    np.testing.assert_allclose(get_policy("energy-aware").decide(hot), [0.0, 0.0])
    # the load never exceeds 1
    big = _view(backlog_ops=np.array([1e30, 0.0]))
    np.testing.assert_allclose(get_policy("on-board").decide(big), [1.0, 0.0])
    # the view is read-only
    with pytest.raises(ValueError):
        view.sunlit[0] = 0.0


def _greedy_reference(rate: np.ndarray) -> np.ndarray:
    r = rate.copy()
    out = np.zeros(r.shape[1])
    while r.max() > 0:
        s, n = np.unravel_index(np.argmax(r), r.shape)
        out[n] = r[s, n]
        r[s, :] = 0
        r[:, n] = 0
    return out


def test_match_stations_by_hand_and_against_greedy():
    np.testing.assert_array_equal(match_stations(np.array([[5.0, 4.0], [3.0, 1.0]])), [5, 1])
    np.testing.assert_array_equal(match_stations(np.array([[5.0, 4.0], [6.0, 0.0]])), [6, 4])
    # one station, two satellites: only the best one is served
    np.testing.assert_array_equal(match_stations(np.array([[2.0, 3.0]])), [0, 3])
    rng = np.random.default_rng(7)
    for _ in range(200):
        s, n = rng.integers(1, 6), rng.integers(1, 9)
        rate = rng.random((s, n)) * (rng.random((s, n)) < 0.5)
        got = match_stations(rate)
        np.testing.assert_array_equal(got, _greedy_reference(rate))
        # one station per satellite: served rates are distinct entries of distinct rows
        assert np.count_nonzero(got) <= min(s, n)


# ------------------------------------------------------------------ input and output


def test_bad_input_raises_input_error():
    with pytest.raises(InputError, match="bent-pipe"):
        EngineConfig(policy="magic")
    with pytest.raises(InputError):
        EngineConfig(step_s=0.0)
    with pytest.raises(InputError):
        EngineConfig(duration_s=10.0, step_s=60.0)
    with pytest.raises(InputError):
        EngineConfig(cloud_fraction=1.5)
    with pytest.raises(InputError):
        EngineConfig(storage_bytes=-1.0)
    with pytest.raises(InputError):
        run_engine(EngineConfig(stations=("Nowhere Station",), duration_s=HOURS))
    with pytest.raises(InputError):
        run_engine({"policy": "on-board"})  # type: ignore[arg-type]


def test_run_directory_round_trip(tmp_path):
    from spacecompute.results.store import SUMMARY_KEYS, RunResult

    r = run_engine(EngineConfig(policy="bent-pipe", duration_s=2 * HOURS), out_dir=tmp_path)
    assert r.path == tmp_path
    loaded = RunResult.load(tmp_path)
    assert set(SUMMARY_KEYS) <= set(loaded.summary)
    assert loaded.summary["policy"] == "bent-pipe"
    assert loaded.summary["jobs_total"] == len(r.jobs)
    jobs = loaded.jobs
    assert len(jobs) == len(r.jobs)
    np.testing.assert_array_equal(jobs["status"], r.jobs["status"])
    assert len(loaded.steps) == r.summary["steps"] == 120
    assert len(loaded.satellites) == 12


# ------------------------------------------------------------------ checkpoints, progress, faults


class _Kill(KeyboardInterrupt):
    pass


def _kill_after(k: int):
    def progress(done: int, total: int) -> None:
        if done == k:
            raise _Kill

    return progress


def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path):
    """A run killed after 130 of 240 steps (checkpoint every 50) and resumed from its last
    checkpoint (step 100) ends with the same tables and summary as one run without a stop.
    The cote-3u bus makes energy bind (battery state carried over) and chunking differs."""
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint

    cfg = EngineConfig(policy="energy-aware", bus="cote-3u", duration_s=4 * HOURS, chunk_steps=64)
    whole = run_engine(cfg)
    ck = Checkpointer(tmp_path, 50, fingerprint(cfg))
    with pytest.raises(_Kill):
        run_engine(cfg, checkpoint=ck, progress=_kill_after(130))
    steps_done, _ = ck.load()
    assert steps_done == 100
    resumed = run_engine(cfg, checkpoint=ck)
    for name in ("jobs", "steps", "satellites"):
        assert _tables_equal(getattr(whole, name), getattr(resumed, name)), name
    a = {k: v for k, v in whole.summary.items() if k != "wall_time_s"}
    b = {k: v for k, v in resumed.summary.items() if k != "wall_time_s"}
    assert a == b
    assert whole.summary["jobs_completed"] > 0 and whole.summary["jobs_pending"] > 0


@pytest.fixture
def small_parts(monkeypatch):
    """Part files of 29 rows, windows of 64 rows and a job store of 16 rows at least, so that
    a short run compacts its store, writes many parts and assembles many windows."""
    from spacecompute.sim import sink
    from spacecompute.sim.queues import JobStore

    monkeypatch.setattr(sink, "PART_ROWS", 29)
    monkeypatch.setattr(sink, "WINDOW_ROWS", 64)
    monkeypatch.setattr(JobStore, "MIN_ROWS", 16)


def _files_equal(a, b) -> bool:
    return a.read_bytes() == b.read_bytes()


def test_streamed_jobs_equal_the_whole_table_and_the_store_holds_unfinished_jobs(
    tmp_path, small_parts, monkeypatch
):
    """With tiny parts, windows and store, the jobs stream out as the run goes: the tables
    and summary equal those of one window in memory (columns, order, dtypes); the store's
    capacity never passes 2 x the peak of (unfinished jobs + a step's arrivals); nothing is
    left of the parts."""
    from spacecompute.results.store import RunResult
    from spacecompute.sim import engine, sink

    cfg = EngineConfig(policy="energy-aware", bus="cote-3u", duration_s=3 * HOURS)
    seen: list[tuple[int, int, int]] = []
    add = engine._EOJobs.add

    def watched(self, **values):
        ids = add(self, **values)
        pending = int(np.count_nonzero(self.cols["status"][: self.held] == 0))
        seen.append((self.cols["status"].size, pending, ids.size))
        return ids

    monkeypatch.setattr(engine._EOJobs, "add", watched)
    streamed = run_engine(cfg, out_dir=tmp_path / "run")
    monkeypatch.undo()
    monkeypatch.setattr(sink, "PART_ROWS", 1 << 20)
    monkeypatch.setattr(sink, "WINDOW_ROWS", 1 << 20)
    whole = run_engine(cfg)
    assert isinstance(streamed.jobs, sink.ParquetTable)
    for name in ("jobs", "steps", "satellites"):
        a, b = getattr(whole, name), getattr(streamed, name)
        assert _tables_equal(a, b), name
        assert [a[c].dtype for c in a.columns] == [b[c].dtype for c in b.columns], name
    np.testing.assert_array_equal(streamed.jobs["job_id"], np.arange(len(whole.jobs)))
    a = {k: v for k, v in whole.summary.items() if k != "wall_time_s"}
    b = {k: v for k, v in RunResult.load(tmp_path / "run").summary.items() if k != "wall_time_s"}
    assert json_round(a) == b
    assert whole.summary["jobs_total"] > 5 * 16 and whole.summary["jobs_pending"] > 0
    peak = 0
    for cap, pending, m in seen:
        peak = max(peak, pending + m)
        assert cap <= max(2 * peak, 16)
    assert max(cap for cap, _, _ in seen) < whole.summary["jobs_total"] / 2
    assert not (tmp_path / "run" / sink.TABLES_DIR).exists()


def json_round(d):
    import json

    return json.loads(json.dumps(d))


@pytest.mark.parametrize("backlog_jobs", [None, "4"])
def test_resume_with_a_run_directory_writes_identical_parquet_files(
    tmp_path, small_parts, backlog_jobs, monkeypatch
):
    """Killed after a checkpoint (with parts written after it) and resumed: every Parquet file
    of the run directory is byte for byte that of an uninterrupted run; also with the waiting
    jobs on disk (a budget of 4 in memory: the checkpoint refers to the file it was saved
    with, kept while the killed run wrote others)."""
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint

    if backlog_jobs is not None:
        monkeypatch.setenv("SPACECOMPUTE_BACKLOG_JOBS", backlog_jobs)

    cfg = EngineConfig(policy="on-board", duration_s=3 * HOURS, chunk_steps=64)
    run_engine(cfg, out_dir=tmp_path / "whole")
    out = tmp_path / "killed"
    ck = Checkpointer(out, 50, fingerprint(cfg))
    with pytest.raises(_Kill):
        run_engine(cfg, out_dir=out, checkpoint=ck, progress=_kill_after(175))
    steps_done, state = ck.load()
    assert steps_done == 150
    written = len(list((out / ".tables" / "w0" / "jobs").glob("part-*.arrow")))
    (parts,) = [v for k, v in state.items() if k.endswith("jobs.sink.parts")]
    assert written > int(parts) > 0  # parts written after the checkpoint: dropped on resume
    if backlog_jobs is not None:
        assert int(state["w0.dq.spill.count"].sum()) > 0  # the checkpoint refers to a file
    run_engine(cfg, out_dir=out, checkpoint=ck)
    assert not (out / ".tables").exists()
    files = sorted(p.name for p in (tmp_path / "whole").glob("*.parquet"))
    assert "jobs.parquet" in files and "states.parquet" in files
    for name in files:
        assert _files_equal(tmp_path / "whole" / name, out / name), name


def test_a_checkpoint_of_parquet_parts_is_refused_on_resume(tmp_path, small_parts):
    """A checkpoint saved by an earlier version, whose finished jobs are in Parquet part files
    (its state records no part ``format``), cannot be resumed: a clear error naming --resume,
    not a traceback."""
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint

    cfg = EngineConfig(policy="on-board", duration_s=2 * HOURS, chunk_steps=64)
    ck = Checkpointer(tmp_path, 50, fingerprint(cfg))
    with pytest.raises(_Kill):
        run_engine(cfg, checkpoint=ck, progress=_kill_after(60))
    steps_done, state = ck.load()
    assert int(state["w0.jobs.sink.parts"]) > 0
    ck.save(steps_done, {k: v for k, v in state.items() if not k.endswith(".format")})
    with pytest.raises(InputError, match="another version of spacecompute") as err:
        run_engine(cfg, checkpoint=ck)
    assert err.value.problems[0].field == "--resume"


def test_checkpoint_of_another_configuration_is_refused(tmp_path):
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint

    cfg = EngineConfig(duration_s=HOURS)
    Checkpointer(tmp_path, 10, fingerprint(cfg)).save(10, {"x": np.zeros(1)})
    other = EngineConfig(duration_s=HOURS, seed=5)
    with pytest.raises(InputError, match="different scenario"):
        run_engine(other, checkpoint=Checkpointer(tmp_path, 10, fingerprint(other)))


def test_progress_is_called_once_per_step():
    calls = []
    run_engine(EngineConfig(duration_s=HOURS), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 60) for i in range(1, 61)]


def test_faults_act_on_the_jobs_being_computed():
    """Silent errors corrupt the job in service: every fault counted on a job is a silent error
    of the fleet, only computed (started) jobs carry them, and with a radiation-soft COTS
    accelerator over a day some jobs are hit."""
    r = run_engine(EngineConfig(policy="on-board", bus="suncatcher", duration_s=24 * HOURS))
    jobs = r.jobs
    hit = jobs["faults"] > 0
    assert hit.sum() >= 1
    assert jobs["faults"].sum() <= r.summary["faults_silent"]
    assert not np.isnat(jobs["start"][hit]).any()
    assert r.summary["jobs_corrupted"] == int((hit & (jobs["status"] == "completed")).sum())


def test_a_bus_without_int8_runs_inference_at_fp16():
    r = run_engine(EngineConfig(policy="on-board", bus="cote-3u", duration_s=2 * HOURS))
    assert r.summary["precision"] == "fp16"
    assert r.steps["ops_processed"].sum() > 0


def test_forecast_predicts_exactly_what_the_run_sees():
    """A look-ahead policy's forecast (EOPredictor) of steps 30..89 equals the run's own
    arrivals per step and satellite (jobs table) and its sunlight (trace-free: the satellites'
    sunlit fraction is checked against the forecast's over the same steps)."""
    seen = {}

    class Spy:
        name = "spy"
        on_board = True

        def prepare(self, predictor):
            seen["forecast"] = predictor.predict(30, 60)
            seen["tail"] = predictor.predict(predictor.n_steps - 5, 60)

        def decide(self, view):
            return np.zeros(view.n)

    import spacecompute.scheduling.policies as policies

    policies.POLICIES["spy"] = Spy
    try:
        r = run_engine(EngineConfig(policy="spy", duration_s=3 * HOURS))
    finally:
        del policies.POLICIES["spy"]
    f = seen["forecast"]
    assert f.arrival_ops.shape == (60, 12) and seen["tail"].arrival_ops.shape == (5, 12)
    jobs = r.jobs
    t0 = np.datetime64("2026-01-01T00:00:00", "ns")
    step = ((jobs["arrival"] - t0) // np.timedelta64(60, "s")).astype(int)
    inside = (step >= 30) & (step < 90)
    expected = np.zeros((60, 12))
    np.add.at(expected, (step[inside] - 30, jobs["satellite"][inside]), jobs["ops"][inside])
    assert inside.sum() > 0
    np.testing.assert_array_equal(f.arrival_ops, expected)
    bits = np.zeros((60, 12))
    np.add.at(bits, (step[inside] - 30, jobs["satellite"][inside]), jobs["bytes_in"][inside] * 8)
    np.testing.assert_array_equal(f.arrival_bits, bits)
    assert f.times_ns[0] == (t0 + np.timedelta64(30, "m")).astype(np.int64)
    assert ((f.sunlit >= 0) & (f.sunlit <= 1)).all() and 0 < f.sunlit.mean() < 1


def test_run_directory_has_contacts_and_every_downlink_happens_in_one(tmp_path):
    """The run directory's contacts table (geometric windows, found independently of the
    engine's per-step link budgets) covers every bent-pipe downlink: each completed job ends
    inside a window of its satellite with the station that received it (``station`` column), up
    to one step at the edges (the engine decides on the
    geometry at the start of each step)."""
    from spacecompute.results.store import RunResult

    r = run_engine(EngineConfig(policy="bent-pipe", duration_s=6 * HOURS), out_dir=tmp_path)
    loaded = RunResult.load(tmp_path)
    contacts = r.contacts
    assert loaded.contacts is not None and len(loaded.contacts) == len(contacts) > 10
    done = r.jobs["status"] == "completed"
    assert done.sum() > 50
    dt = np.timedelta64(60, "s")
    sat_c, start_c, end_c = contacts["satellite"], contacts["start"], contacts["end"]
    station_c = contacts["station"]
    assert (r.jobs["station"][done] >= 0).all() and (r.jobs["station"][~done] == -1).all()
    for sat, st, end in zip(
        r.jobs["satellite"][done], r.jobs["station"][done], r.jobs["end"][done], strict=True
    ):
        mine = (sat_c == sat) & (station_c == st)
        inside = (start_c[mine] - dt <= end) & (end <= end_c[mine] + dt)
        assert inside.any(), (sat, end)


def test_chunks_reuse_one_set_of_arrays(monkeypatch):
    """Memory: the previous chunk's arrays are let go before the next chunk is made, so the
    pool keeps one array of each name (two sets of them before), and the chunk estimate is the
    measured one (8 bytes per station and 300 per satellite-instant)."""
    from spacecompute.sim import engine
    from spacecompute.sim.forecast import CHUNK_BUFFERS

    kept: dict[str, int] = {}

    def clear():
        kept.update({k: len(v) for k, v in CHUNK_BUFFERS._slots.items()})
        CHUNK_BUFFERS._slots.clear()

    monkeypatch.setattr(CHUNK_BUFFERS, "clear", clear)
    run_engine(EngineConfig(duration_s=2 * HOURS, chunk_steps=7))
    assert {"geodetic.lat_deg", "sunlit", "rate_bps"} <= set(kept)
    assert all(v == 1 for v in kept.values()), kept
    assert engine.chunk_steps_for(100_000, 6, 240, 2**30) == 2**30 // (100_000 * 348) - 1 == 29
    assert engine.chunk_steps_for(1_000_000, 6, 240) == 2


def test_smaller_chunks_where_sgp4_runs_ahead(monkeypatch):
    """The default budget is PIPELINED_CHUNK_BUDGET_BYTES where the chunks are propagated in a
    second process (that costs no time there), CHUNK_MEMORY_BUDGET_BYTES elsewhere, and a
    given budget is kept."""
    from spacecompute.astro import prefetch
    from spacecompute.sim import engine

    monkeypatch.setattr(prefetch, "PREFETCH_MIN_SATELLITES", 0)
    monkeypatch.setattr(prefetch, "usable_cores", lambda: 2)
    monkeypatch.setattr(engine, "PIPELINED_CHUNK_BUDGET_BYTES", 12 * 348 * 11)  # 10 steps

    def steps(**kw):
        return engine._EORun(EngineConfig(**kw), trace=False).clock().chunk_steps

    assert steps() == 10
    assert steps(memory_budget_bytes=12 * 348 * 31) == 30
    assert steps(duration_s=4 * HOURS) == 240  # one chunk at the usual budget: as it was
    assert steps(propagator="j2") == 240
    monkeypatch.setenv("SPACECOMPUTE_PREFETCH", "0")
    assert steps() == 240
