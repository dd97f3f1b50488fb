"""Mixed workloads on one fleet (sim/core.py, sim/mixed.py): conservation, arbitration with
known answers, determinism, chunk-invariance, resume; the scenario keys workloads:/arbiter:."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spacecompute.errors import InputError
from spacecompute.sim.batch import BatchConfig
from spacecompute.sim.checkpoint import Checkpointer
from spacecompute.sim.engine import EngineConfig
from spacecompute.sim.mixed import MixedConfig, MixedRun, MixedWorkload, run_mixed
from spacecompute.sim.service import ServiceConfig

RUN = dict(
    constellation="threebody", start="2026-03-20T00:00:00Z", duration_s=2 * 3600.0, step_s=60.0
)


def _mix(seed: int = 0, chunk_steps: int = 240, arbiter: str = "priority") -> MixedConfig:
    """Inference first, then on-board imaging, then batch jobs, on the 12 Three-Body
    satellites (their payload runs the 8B model at INT8)."""
    svc = ServiceConfig(
        **RUN, seed=seed, propagator="sgp4", precision="int8", rate_per_s_global=5.0,
        top_cities=100, min_elevation_deg=10.0, chunk_steps=chunk_steps,
        policy="deadline-aware",
    )  # fmt: skip
    eo = EngineConfig(**RUN, seed=seed, policy="on-board", chunk_steps=chunk_steps)
    batch = BatchConfig(
        **RUN, seed=seed, rate_per_s=20 / 3600, ops_range=(1e16, 1e18), chunk_steps=chunk_steps
    )
    return MixedConfig(
        (MixedWorkload(svc, priority=0), MixedWorkload(eo, priority=1), MixedWorkload(batch)),
        arbiter=arbiter,
        seed=seed,
    )


@pytest.fixture(scope="module")
def mixed():
    return run_mixed(_mix())


def _tables_equal(a, b) -> None:
    for name in ("jobs", "steps", "satellites"):
        ta, tb = getattr(a, name), getattr(b, name)
        assert ta.columns == tb.columns
        for c in ta.columns:
            if c in ("time",) or np.asarray(ta[c]).dtype != object:
                np.testing.assert_array_equal(np.asarray(ta[c]), np.asarray(tb[c]), err_msg=c)
            else:
                assert list(ta[c]) == list(tb[c]), c
    for part in a.parts:
        pa, pb = a.parts[part].jobs, b.parts[part].jobs
        for c in pa.columns:
            x, y = np.asarray(pa[c]), np.asarray(pb[c])
            if x.dtype == object:
                assert list(x) == list(y), (part, c)
            else:
                np.testing.assert_array_equal(x, y, err_msg=f"{part}.{c}")


def test_every_job_ends_once_and_energy_is_conserved(mixed):
    s = mixed.summary
    assert s["workload"] == "mix" and set(s["workloads"]) == {"inference", "eo", "batch"}
    for name, part in mixed.parts.items():
        status = np.asarray(part.jobs["status"])
        assert set(status) <= {"completed", "dropped", "pending"}
        ps = part.summary
        assert ps["jobs_completed"] + ps["jobs_dropped"] + ps["jobs_pending"] == len(status), name
        done = status == "completed"
        end = np.asarray(part.jobs["end"])[done]
        assert np.all(end >= np.asarray(part.jobs["arrival"])[done]), name
    assert s["jobs_total"] == sum(len(p.jobs) for p in mixed.parts.values()) == len(mixed.jobs)
    assert all(s["workloads"][n]["jobs_completed"] > 0 for n in ("inference", "eo", "batch"))
    # per satellite: payload energy = idle + each workload's energy above idle (exact split)
    sat = mixed.satellites
    total = np.asarray(sat["energy_idle_j"]) + sum(
        np.asarray(sat[f"energy_{n}_j"]) for n in ("inference", "eo", "batch")
    )
    np.testing.assert_allclose(total, np.asarray(sat["energy_j"]), rtol=1e-9, atol=1e-6)
    # the service charges its part to its requests exactly: jobs + unused budget = its part
    svc = mixed.parts["inference"]
    jobs_e = np.bincount(
        np.maximum(np.asarray(svc.jobs["satellite"]), 0),
        weights=np.where(np.asarray(svc.jobs["satellite"]) >= 0, svc.jobs["energy_j"], 0.0),
        minlength=12,
    )
    np.testing.assert_allclose(
        jobs_e + np.asarray(svc.satellites["energy_waste_j"]),
        np.asarray(sat["energy_inference_j"]),
        rtol=1e-9,
        atol=1e-6,
    )


class _Recorder:
    """Wraps a MixedRun's observer to keep what every step asked and got."""

    def __init__(self, run: MixedRun) -> None:
        self.run, self.inner = run, run.on_step
        self.steps: list[tuple] = []
        run.core.observer = self

    def on_step(self, step, fs, demands, loads):
        self.steps.append(
            (
                np.array(step.sunlit),
                np.array(fs.useful_fraction),
                np.array(fs.compute_power_w),
                [np.array(d.load) for d in demands],
                [np.array(x) for x in loads],
            )
        )
        self.inner(step, fs, demands, loads)

    def state_dict(self):
        return self.run.state_dict()

    def load_state_dict(self, state):
        self.run.load_state_dict(state)


def test_priority_preempts_the_lower_workload():
    """Strict priority: the first workload gets its whole demand wherever it asks; the batch
    jobs (asking for whole payloads) get only the rest, and lose it where inference needs it."""
    run = MixedRun(replace(_mix(), workloads=(_mix().workloads[0], _mix().workloads[2])))
    rec = _Recorder(run)
    run.core.run()
    preempted = 0
    for _, _, _, demands, loads in rec.steps:
        np.testing.assert_array_equal(loads[0], np.clip(demands[0], 0, 1))  # inference: all
        assert np.all(loads[0] + loads[1] <= 1.0 + 1e-12)
        both = (demands[0] > 0) & (demands[1] > 0)
        preempted += int(np.count_nonzero(both & (loads[1] < demands[1])))
        np.testing.assert_allclose(loads[1][both], np.minimum(demands[1], 1 - loads[0])[both])
    assert preempted > 0


def test_an_inference_request_preempts_training():
    """Inference (priority 0) and a training job on the Suncatcher cluster: wherever inference
    asks for a payload the training job's share shrinks by exactly that much."""
    from spacecompute.sim.training import TrainingConfig, TrainingWorkload
    from spacecompute.table import Table

    run = dict(
        constellation="suncatcher-cluster",
        start="2026-12-21T00:00:00Z",
        duration_s=1800.0,
        step_s=60.0,
    )
    svc = ServiceConfig(
        **run, propagator="sgp4", precision="bf16", rate_per_s_global=50.0,
        min_elevation_deg=10.0, policy="deadline-aware",
    )  # fmt: skip
    t0 = np.datetime64("2026-12-21T00:00:00", "ns")
    one_job = Table(
        {
            "id": np.array([0]),
            "arrival": np.array([t0]),
            "params": np.array([1e10]),
            "total_ops": np.array([6 * 1e10 * 2e11]),  # about 40 minutes on the 81 satellites
            "memory_bytes": np.array([16e10]),
            "checkpoint_bytes": np.array([12e10]),
            "gradient_bytes": np.array([2e10]),
            "parallelism": np.array([81]),  # every satellite of the cluster
            "deadline": np.array([t0 + np.timedelta64(86400, "s")]),
        }
    )
    trn = TrainingWorkload(TrainingConfig(**run, policy="all-in"), jobs=one_job)
    mix = MixedRun(MixedConfig((MixedWorkload(svc), MixedWorkload(trn, priority=1))))
    rec = _Recorder(mix)
    mix.core.run()
    preempted = 0
    for _, _, _, demands, loads in rec.steps:
        np.testing.assert_array_equal(loads[0], demands[0])
        both = (demands[0] > 0) & (demands[1] > 0)
        preempted += int(np.count_nonzero(both))
        np.testing.assert_allclose(loads[1][both], (1.0 - loads[0])[both], rtol=1e-12)
    assert preempted > 0
    svc_jobs = mix.result(0.0, None).parts["inference"]
    assert svc_jobs.summary["jobs_on_time"] == svc_jobs.summary["jobs_completed"] > 0


def test_eclipse_with_an_empty_battery_serves_nobody():
    run = MixedRun(_mix())
    fleet = run.core.fleet
    reserve = np.asarray(fleet.power.compute_shed_soc) * np.asarray(fleet.power_state.capacity_j)
    fleet.power_state.stored_energy_j[:] = np.broadcast_to(reserve, fleet.n)  # at the reserve
    rec = _Recorder(run)
    run.core.run(checkpoint=None)
    dark_steps = 0
    for sunlit, useful, power, _, _ in rec.steps[:5]:
        dark = sunlit == 0.0
        dark_steps += int(np.count_nonzero(dark))
        assert np.all(useful[dark] == 0.0)
        assert np.all(power[dark] <= np.asarray(run.idle_w)[dark] + 1e-9)
    assert dark_steps > 0
    # no request was computed on a dark satellite in those steps (the service's jobs table:
    # its store holds only requests in flight, the others streamed out)
    svc = run.result(0.0, None).parts["inference"].jobs
    first = np.datetime64("2026-03-20T00:05:00", "ns")
    started = np.asarray(svc["start"])
    early = ~np.isnat(started) & (started < first)
    assert early.any()
    dark_any = np.flatnonzero(np.all([s[0] == 0.0 for s in rec.steps[:5]], axis=0))
    assert not np.isin(np.asarray(svc["satellite"])[early], dark_any).any()


def test_same_seed_same_tables_and_chunk_invariance(mixed):
    _tables_equal(mixed, run_mixed(_mix(chunk_steps=17)))
    other = run_mixed(_mix(seed=1))
    assert len(other.jobs) != len(mixed.jobs) or not np.array_equal(
        np.asarray(other.jobs["arrival"]), np.asarray(mixed.jobs["arrival"])
    )


def test_resume_equals_an_uninterrupted_run(tmp_path: Path, mixed):
    ck = Checkpointer(tmp_path, 25, "mix")

    def stop(done: int, total: int) -> None:
        if done == 60:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_mixed(_mix(), checkpoint=ck, progress=stop)
    assert ck.load()[0] == 50
    _tables_equal(mixed, run_mixed(_mix(), checkpoint=ck))


def test_a_bad_arbiter_is_refused():
    class Greedy:
        name = "greedy"

        def share(self, view):
            return np.ones_like(view.demand)  # more than the demand

    with pytest.raises(InputError, match="greedy"):
        run_mixed(replace(_mix(), arbiter=Greedy()))
    with pytest.raises(InputError, match="arbiter"):
        run_mixed(replace(_mix(), arbiter="no-such-arbiter"))


# -- scenario files ---------------------------------------------------------------------------

_SCENARIO = """\
name: tiny-mix
start: 2026-03-20T00:00:00Z
duration_s: 3600
step_s: 60
constellation:
  preset: threebody
workloads:
  - kind: inference
    precision: int8
    rate_per_s: 2
    top_cities: 50
    policy: deadline-aware
  - kind: earth-observation
    policy: {eo_policy}
  - kind: batch
    jobs_per_hour: 10
arbiter: priority
"""


def test_a_mixed_scenario_runs_and_problems_name_the_item(tmp_path: Path):
    from spacecompute.runner import run_scenario

    good = tmp_path / "mix.yaml"
    good.write_text(_SCENARIO.format(eo_policy="on-board"))
    run = run_scenario(str(good), out_dir=tmp_path / "out")
    s = run.summaries["priority"]
    assert run.workload == "mixed" and s["arbiter"] == "priority"
    assert (tmp_path / "out" / "jobs-eo.parquet").is_file()
    from spacecompute.results.store import RunResult

    loaded = RunResult.load(tmp_path / "out")
    assert set(loaded.summary["workloads"]) == {"inference", "eo", "batch"}

    bad = tmp_path / "bad.yaml"
    bad.write_text(_SCENARIO.format(eo_policy="no-such-policy"))
    from spacecompute.scenario.loader import load_scenario

    with pytest.raises(InputError) as exc:
        load_scenario(str(bad))
    p = exc.value.problems[0]
    assert p.file == str(bad) and p.line == 14 and p.field == "workloads[1].policy"
    both = tmp_path / "both.yaml"
    both.write_text(_SCENARIO.format(eo_policy="on-board") + "workload:\n  kind: inference\n")
    with pytest.raises(InputError, match="not both"):
        load_scenario(str(both))


class _SunAhead:
    """An arbiter that looks ahead: the batch workload gets a satellite only while the next
    hour is sunlit on average (else priority order as usual)."""

    name = "sun-ahead"
    horizon_steps = 60

    def __init__(self) -> None:
        self.first_sunlit: list[np.ndarray] = []

    def share(self, view):
        from spacecompute.scheduling.arbiters import PriorityArbiter

        f = view.forecast
        assert f.sunlit.shape == (min(60, 120 - view.step_index), view.demand.shape[1])
        self.first_sunlit.append(f.sunlit[0].copy())
        grant = PriorityArbiter().share(view)
        grant[-1] *= f.sunlit.mean(axis=0) > 0.5
        return grant


def test_a_look_ahead_arbiter_sees_the_run_s_sunlight_whatever_the_chunks():
    results = []
    for chunk in (240, 17):
        arbiter = _SunAhead()
        run = MixedRun(replace(_mix(chunk_steps=chunk), arbiter=arbiter))
        rec = _Recorder(run)
        run.core.run()
        for seen, step in zip(arbiter.first_sunlit, rec.steps, strict=True):
            np.testing.assert_array_equal(seen, step[0])  # the forecast's first step is now
        results.append(run.result(0.0, None))
    _tables_equal(*results)
