"""Batch jobs as a workload plug-in of the engine core: work that fills spare payload time.

Jobs come from :func:`~spacecompute.workloads.batch.batch_jobs` (Poisson arrivals, log-uniform
sizes; ``parallelism`` 1: each job runs on one satellite). A job that arrived before step
``k`` starts is placed at ``t_k`` on the satellite with the least queued work (ties: the lowest
index; the *least-loaded* rule of batch schedulers) and served there first come, first served
(:class:`~spacecompute.sim.queues.FifoQueues`) at the useful rate the fleet grants (``useful
fraction x peak x dt`` per step). It asks for the whole payload while its queue holds work, so
in a mix with a low priority it takes the time the others leave ("in the gaps").

A job completes when its work is done (``on_time`` whether by its deadline); jobs still queued
at the end are ``pending``: batch jobs are not dropped. A job's ``energy_j`` is its active
energy at the payload's nominal efficiency, ``ops x (P_max - P_idle) / peak``.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..astro.timeutil import parse_time
from ..errors import InputError
from ..table import Table
from .core import Clock, Demand, Grant, Step, StepRecord
from .engine import EngineResult
from .queues import NAT, FifoQueues
from .rundir import fleet_row

JOB_KIND = "batch"
_STATUS_NAMES = np.array(["pending", "completed", "dropped"], dtype=object)
#: Placement rules of the batch workload (only one so far).
BATCH_POLICIES = ("least-loaded",)


@dataclass(frozen=True)
class BatchConfig:
    """What to run: batch jobs at ``rate_per_s`` with ``ops_range`` (FLOP) at ``precision`` on
    ``constellation`` (a preset name or a Constellation with ``bus``). Other keys as
    :class:`~spacecompute.sim.engine.EngineConfig`."""

    constellation: Any = "threebody"
    bus: str | None = None
    start: str = "2026-01-01T00:00:00Z"
    duration_s: float = 6 * 3600.0
    step_s: float = 60.0
    propagator: str = "sgp4"
    policy: str = "least-loaded"
    seed: int = 0
    chunk_steps: int = 240
    rate_per_s: float = 0.01
    ops_range: tuple[float, float] = (1e15, 1e18)
    deadline_slack: float = 4.0
    precision: str = "int8"
    scenario: str | None = None

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"{name} = {getattr(self, name)!r}", field=name, expected=expected)

        if self.policy not in BATCH_POLICIES:
            raise bad("policy", f"one of {list(BATCH_POLICIES)}")
        for name in ("duration_s", "step_s", "rate_per_s", "deadline_slack"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise bad(name, "a finite number")
        if self.step_s <= 0 or self.duration_s < self.step_s:
            raise bad("step_s", "seconds > 0 and at most duration_s")
        lo, hi = self.ops_range
        if not 0 < lo <= hi:
            raise bad("ops_range", "0 < min <= max")


class BatchWorkload:
    """The batch workload (see the module docstring) as a plug-in of the core."""

    kind = "batch"
    recording = False  # the core sets it when the run records states

    def __init__(self, config: BatchConfig) -> None:
        from ..astro.constellation import Constellation
        from ..astro.presets import preset_constellation
        from ..spacecraft.fleet import Fleet
        from ..workloads.batch import batch_jobs

        self.config = c = config
        self.start = parse_time(c.start, field="start")
        if isinstance(c.constellation, Constellation):
            if c.bus is None:
                raise InputError("a constellation given as elements needs a bus", field="bus")
            self.const = c.constellation
        else:
            self.const = preset_constellation(c.constellation, epoch=self.start)
        self.n = n = len(self.const)
        self.fleet = (
            Fleet.for_constellation(c.constellation, n, seed=int(c.seed))
            if c.bus is None
            else Fleet.from_bus(c.bus, n, seed=int(c.seed))
        )
        bus = self.fleet.bus
        self.peak = float(bus.compute_peak_ops_per_s(c.precision))
        if not self.peak > 0:
            raise InputError(
                f"the payload of bus {bus.name!r} has no {c.precision} compute",
                field="precision",
                expected="a precision the payload supports",
            )
        self.j_per_op = (bus.compute_power_max_w - bus.compute_power_idle_w) / self.peak
        self.dt = float(c.step_s)
        self.total_steps = int(np.floor(c.duration_s / self.dt + 1e-9))
        table = batch_jobs(
            self.start, c.duration_s, rate_per_s=float(c.rate_per_s), seed=int(c.seed),
            ops_range=tuple(c.ops_range), max_parallelism=1, ops_per_s_per_sat=self.peak,
            deadline_slack=float(c.deadline_slack),
        )  # fmt: skip
        self.arrival = np.asarray(table["arrival"]).astype("datetime64[ns]").astype(np.int64)
        self.deadline = np.asarray(table["deadline"]).astype("datetime64[ns]").astype(np.int64)
        self.ops = np.asarray(table["total_ops"], float)
        m = self.ops.size
        self.state = {
            "satellite": np.full(m, -1, np.int64),
            "start": np.full(m, NAT, np.int64),
            "end": np.full(m, NAT, np.int64),
            "status": np.zeros(m, np.int64),
            "energy_j": np.zeros(m),
            "admitted": np.zeros(1, np.int64),
            "sat_ops": np.zeros(n),
            "sat_energy": np.zeros(n),
            "sat_sunlit": np.zeros(n),
            "current_job": np.full(n, -1, np.int64),
        }
        self.queue = FifoQueues(n)
        self.rows: dict[str, list[float]] = {}
        self.step_times: list[int] = []

    # -- the plug-in interface ------------------------------------------------------------------
    def clock(self) -> Clock:
        c = self.config
        return Clock(self.start, self.dt, self.total_steps, c.propagator, int(c.chunk_steps))

    def prepare(self) -> None:
        pass

    def begin_chunk(self, chunk: Any) -> None:
        pass

    def demand(self, step: Step) -> Demand:
        """Admit the jobs that arrived before the step; ask for what the queues hold."""
        st = self.state
        a = int(st["admitted"][0])
        b = int(np.searchsorted(self.arrival, step.time_ns, side="left"))
        if b > a:
            self._place(np.arange(a, b))
            st["admitted"][0] = b
        fleet, dt = self.fleet, self.dt
        speed = self.peak * dt * fleet.thermal_throttle
        with np.errstate(divide="ignore", invalid="ignore"):
            load = np.where(speed > 0, self.queue.backlog() / speed, 0.0)
        return Demand(np.clip(load, 0.0, 1.0))

    def _place(self, ids: np.ndarray) -> None:
        """Least-loaded placement, one job after the other (a handful per step)."""
        backlog = self.queue.backlog().copy()
        sats = np.empty(ids.size, np.int64)
        for i, j in enumerate(ids):  # loop over this step's arrivals (a few)
            s = int(np.argmin(backlog))
            sats[i] = s
            backlog[s] += self.ops[j]
        self.state["satellite"][ids] = sats
        self.queue.push(ids, sats, self.ops[ids])

    def advance(self, step: Step, grant: Grant) -> StepRecord | None:
        st, fs, dt, tk = self.state, grant.fleet, self.dt, step.time_ns
        dt_ns = round(dt * 1e9)
        cap = fs.useful_fraction * self.peak * dt
        done_ops, st_ids, st_frac, done_ids, end_frac = self.queue.serve(cap)
        st["start"][st_ids] = tk + np.round(st_frac * dt_ns).astype(np.int64)
        st["current_job"][st["satellite"][st_ids]] = st_ids
        st["end"][done_ids] = tk + np.round(end_frac * dt_ns).astype(np.int64)
        st["status"][done_ids] = 1
        st["energy_j"][done_ids] = self.ops[done_ids] * self.j_per_op
        power = np.asarray(fs.compute_power_w, float)
        st["sat_ops"] += done_ops
        st["sat_energy"] += power * dt
        st["sat_sunlit"] += step.sunlit
        row = {
            **fleet_row(fs, power, done_ops, self.peak * dt),
            "bits_captured": 0.0,
            "bits_processed": 0.0,
            "bits_downlinked": 0.0,
            "bits_dropped": 0.0,
            "backlog_bits": 0.0,
            "jobs_completed": float(done_ids.size),
            "jobs_dropped": 0.0,
            "brownouts": float(np.count_nonzero(fs.brownout)),
            "faults": float(np.sum(fs.silent_errors) + np.sum(fs.detected_errors)),
            "ops_processed": float(done_ops.sum()),
            "backlog_ops": float(self.queue.backlog().sum()),
        }
        for key, value in row.items():
            self.rows.setdefault(key, []).append(value)
        self.step_times.append(tk)
        if not self.recording:
            return None
        computing = done_ops > 0
        job = np.where(computing, st["current_job"], -1)
        return StepRecord(computing, self.queue.backlog(), job)

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {"s." + k: v for k, v in self.state.items()}
        out.update({"q." + k: v for k, v in self.queue.state_dict().items()})
        out.update({"row." + k: np.asarray(v, float) for k, v in self.rows.items()})
        out["step_times"] = np.asarray(self.step_times, np.int64)
        return out

    def load_state_dict(self, state: Any) -> None:
        for k, v in self.state.items():
            self.state[k] = np.array(state["s." + k], dtype=v.dtype)
        self.queue.load_state_dict({k[2:]: v for k, v in state.items() if k.startswith("q.")})
        self.rows = {k[4:]: [float(x) for x in v] for k, v in state.items() if k.startswith("row.")}
        self.step_times = [int(x) for x in state["step_times"]]

    def result(self, wall0: float, out_dir: Any) -> EngineResult:
        return _finish(self, wall0, out_dir)


def _finish(run: BatchWorkload, wall0: float, out_dir: Any) -> EngineResult:
    st, n_steps, m = run.state, len(run.step_times), run.ops.size
    status = st["status"]
    done = status == 1
    latency = np.where(done, (st["end"] - run.arrival) / 1e9, np.nan)
    on_time = done & (st["end"] <= run.deadline)
    jobs = Table(
        {
            "job_id": np.arange(m, dtype=np.int64),
            "kind": np.full(m, JOB_KIND, dtype=object),
            "satellite": st["satellite"].copy(),
            "arrival": run.arrival.astype("datetime64[ns]"),
            "start": st["start"].astype("datetime64[ns]"),
            "end": st["end"].astype("datetime64[ns]"),
            "status": _STATUS_NAMES[status],
            "drop_reason": np.full(m, "", dtype=object),
            "ops": run.ops.copy(),
            "bytes_in": np.zeros(m),
            "bytes_out": np.zeros(m),
            "latency_s": latency,
            "energy_j": st["energy_j"].copy(),
            "lat_deg": np.full(m, np.nan),
            "lon_deg": np.full(m, np.nan),
            "deadline": run.deadline.astype("datetime64[ns]"),
            "on_time": on_time,
        }
    )
    steps = Table(
        {
            "time": np.asarray(run.step_times, np.int64).astype("datetime64[ns]"),
            **{k: np.asarray(v, float) for k, v in run.rows.items()},
        }
    )
    duration = n_steps * run.dt
    satellites = Table(
        {
            "satellite": np.arange(run.n, dtype=np.int64),
            "name": np.asarray([str(x) for x in run.const.names], dtype=object),
            "ops_done": st["sat_ops"].copy(),
            "energy_j": st["sat_energy"].copy(),
            "busy_fraction": st["sat_ops"] / (run.peak * duration)
            if duration > 0
            else st["sat_ops"],
            "sunlit_fraction": st["sat_sunlit"] / max(n_steps, 1),
        }
    )
    lat = latency[done]
    end = np.datetime64(run.start, "ns") + np.timedelta64(round(duration * 1e9), "ns")
    admitted = int(st["admitted"][0])
    summary = {
        "scenario": run.config.scenario,
        "policy": run.config.policy,
        "start": str(np.datetime64(run.start, "s")) + "Z",
        "end": str(np.datetime64(end, "s")) + "Z",
        "steps": n_steps,
        "step_s": run.dt,
        "satellites": run.n,
        "jobs_total": admitted,
        "jobs_completed": int(done.sum()),
        "jobs_dropped": 0,
        "bits_captured": None,
        "bits_processed": None,
        "bits_downlinked": None,
        "bits_dropped": None,
        "energy_compute_j": float(st["sat_energy"].sum()),
        "latency_median_s": float(np.median(lat)) if lat.size else None,
        "latency_p95_s": float(np.percentile(lat, 95)) if lat.size else None,
        "brownouts": float(np.sum(run.rows.get("brownouts", [0.0]))),
        "faults_silent": None,
        "wall_time_s": _time.perf_counter() - wall0,
        "workload": "batch",
        "jobs_pending": admitted - int(done.sum()),
        "jobs_on_time": int(on_time.sum()),
        "ops_processed": float(st["sat_ops"].sum()),
        "energy_jobs_j": float(st["energy_j"].sum()),
        "seed": int(run.config.seed),
        "precision": run.config.precision,
    }
    # jobs that had not arrived by the end of the run are not part of it
    keep = np.arange(m) < admitted
    jobs = Table({k: np.asarray(jobs[k])[keep] for k in jobs.columns})
    result = EngineResult(summary, jobs, steps, satellites)
    if out_dir is not None:
        from .rundir import write_run_tables

        result.path = write_run_tables(out_dir, jobs, steps, satellites, summary)
    return result


def run_batch(
    config: BatchConfig, out_dir: Any = None, *, checkpoint: Any = None, progress: Any = None
) -> EngineResult:
    """Run batch jobs alone on the core (see the module docstring)."""
    from .core import Core

    wall0 = _time.perf_counter()
    run = BatchWorkload(config)
    Core([run]).run(checkpoint=checkpoint, progress=progress, out_dir=out_dir)
    return run.result(wall0, out_dir)


__all__ = ["BATCH_POLICIES", "BatchConfig", "BatchWorkload", "run_batch"]
