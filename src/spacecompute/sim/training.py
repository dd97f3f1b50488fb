"""Distributed training on a satellite cluster: the engine of training jobs and its accounting.

Idea. Training jobs (:func:`~spacecompute.workloads.batch.training_jobs`: parameters ``N``,
``6 N D`` FLOP, 16 bytes of model state per parameter, checkpoints of 12 bytes per parameter,
fp16 gradients of 2 bytes per parameter, a requested width and a deadline) arrive at a cluster
of satellites linked by lasers (by default Google's Suncatcher cluster: 81 satellites with 64
Trillium TPUs each, arXiv:2511.19468). A policy (:mod:`spacecompute.scheduling.training`) gives
each job a set of satellites every step; the job runs synchronous data-parallel SGD on them and
all-reduces its gradients around a ring over the optical inter-satellite links.

One step ``k`` is ``[t_k, t_{k+1})``. Order inside a step (each stage uses only what existed at
its start; causal):

1. **admission**: jobs that arrived by ``t_k`` join; a job whose model state cannot fit the
   cluster's accelerator memory is dropped at its arrival (``never_fits``); jobs whose deadline
   is ``<= t_k`` are dropped at their deadline (``deadline``). Model states (16 bytes per
   parameter) are sharded over the participants as in ZeRO stage 3 (Rajbhandari et al., SC
   2020), so a job needs ``min_width = ceil(memory / (HBM x memory_headroom))`` satellites (HBM
   of the payload from the hardware catalog) and can use up to ``max(parallelism, min_width)``.
2. **policy**: ``decide(view)`` with the state at ``t_k``; rejected jobs are dropped at ``t_k``
   (``rejected``). A job that had satellites and now has none is *preempted*: it writes a
   checkpoint (graceful preemption, as a batch scheduler's grace period).
3. **fleet**: :meth:`~spacecompute.spacecraft.fleet.Fleet.step` with the policy's load. The
   compute a satellite *executes* is ``drawn x peak x dt`` where ``drawn = (P - P_idle) / (P_max -
   P_idle)`` is the share of the payload's power it was granted: eclipse with a flat battery
   (power model), thermal throttling and reboot downtime all lower it. (The fleet's own
   ``useful_fraction``, which subtracts a generic half work unit per fault, is not used: here
   the loss of a fault is the rollback of the whole job, computed below.)
4. **jobs** (vectorized over the running jobs). Synchronous SGD waits for the slowest replica,
   so a job of ``p`` satellites computes at ``r = min_s executed_s / dt`` FLOP/s per satellite.
   One training step of ``B`` tokens costs ``6 N B`` FLOP (Kaplan et al. 2020) and a ring
   all-reduce of the fp16 gradients (:func:`~spacecompute.workloads.batch.ring_allreduce_time_s`,
   Patarasuk & Yuan 2009) at the *slowest link of the ring* (rate from the optical link budget
   at the actual distances, :func:`~spacecompute.network.links.optical_link_budget`, times the
   number of parallel rings) with a per-hop latency of ``collective_latency_s`` plus light time:
   ``tau = 6 N B / (p r) + T_allreduce`` (no overlap, as
   :func:`~spacecompute.workloads.batch.data_parallel_step_time_s`). The job progresses at
   ``rho = 6 N B / tau`` FLOP/s while it works. Time is taken first by loading state
   (``t_load = 8 C / R_ckpt``: all participants after a rollback or a resume, newcomers copying
   from the live replicas otherwise; ``C`` checkpoint bytes, ``R_ckpt`` the slowest participant's
   link to its nearest neighbour, where checkpoints are stored) and at the end by a checkpoint
   write when one is due (``t_save = 8 C / (p R_ckpt)``, sharded over the participants). A job
   completes at ``t_k + t_load + remaining / rho + t_save`` if that is within the step and not
   after its deadline (the final model is written like a checkpoint).

   *Faults* (radiation, :mod:`spacecompute.spacecraft.radiation`, Trillium rates from
   Suncatcher): a reboot or a detected (uncorrectable) error on any participant during the step
   crashes the synchronous job: it rolls back to its last checkpoint (the fault is taken to
   strike before the job could finish in that step) and every participant reloads the
   checkpoint next step. *Silent errors* (SDC) on a participant mark the job's state since its
   last checkpoint as corrupt; with ``silent_errors="rollback"`` (default) the corruption is
   caught at the next checkpoint validation (the data-parallel replicas are compared and the
   loss checked before a checkpoint is committed; cf. Hochschild et al., "Cores that don't
   count", HotOS 2021, and Dixit et al., "Silent data corruptions at scale", arXiv:2102.11245):
   instead of committing, the job rolls back to the previous checkpoint. With ``"ignore"`` SDCs
   are only counted (the corrupted result is delivered). The checkpoint interval defaults to one
   step (60 s): with Trillium's rates (about 0.6 detected errors and 1.5 SDCs per satellite-day in
   the shielded SSO) a 64-satellite job fails every ~10 minutes while a checkpoint costs
   milliseconds over 9.6 Tbit/s links, so Young's optimum ``sqrt(2 C M)`` (Young, Commun. ACM
   17, 1974) is below one step; in-memory checkpoints to peers make this practical (Wang et al.,
   "GEMINI", SOSP 2023).
5. **checkpoints**: a job that has run ``checkpoint_interval_s`` since its last checkpoint (and
   has new work) writes one at the end of the step.
6. **deadlines**: a job not done by a deadline inside the step is dropped at its deadline.

Every job ends at most once (completed, or dropped with one reason); jobs still open at the end
of the run are ``pending``. Accounting per job (exact, tested): ``ops_spent`` (progress made,
including work later rolled back) ``= progress_ops`` (live progress at the end; ``total_ops``
for completed jobs) ``+ ops_lost`` (rolled back); ``ops_capacity`` (compute its participants
executed) ``= ops_spent + ops_overhead`` (waiting for the slowest replica, all-reduce time,
loading and checkpointing, idle after finishing inside a step). Per satellite, ``energy_j``
(electrical energy the payload drew, idle included) ``= energy_assigned_j + energy_unassigned_j``;
a job's ``energy_j`` is the payload energy of its participants over the steps they worked for
it. Bytes over the ISLs per job: ``allreduce_bytes`` (``2 (p - 1) x gradient bytes`` per
training step, work later rolled back included), ``checkpoint_write_bytes`` and
``checkpoint_read_bytes``.

Tables (the run-directory contract plus extra columns). *jobs*: ``satellite`` is the lowest
index of the satellites a job first ran on (``lat_deg``/``lon_deg`` where that satellite was
then; -1 and NaN if it never ran), ``satellites_max`` the most satellites it had at once,
``satellite_steps`` the satellite-steps it used, ``satellites_used`` every satellite it ran on
(ranges, "0-15,20"); ``bytes_in`` = all-reduce + checkpoint bytes read over the ISLs,
``bytes_out`` = checkpoint bytes written; ``ops`` its total FLOP; the accounting columns above;
``on_time``. *steps*: the EO data columns (``bits_*``) are 0 (the summary's ``bits_*`` are
null: undefined for training); extra columns ``ops_executed``, ``ops_progress``, ``ops_lost``,
``backlog_ops``, ``allreduce_bytes``, ``checkpoint_bytes``, ``jobs_running``, ``jobs_waiting``,
``satellites_assigned``, ``ring_rate_min_bps`` (slowest ring of the step), ``sunlit_mean``,
``reboots``, ``detected_errors``, ``silent_errors``. *satellites*: ``ops_done`` executed,
``energy_j`` and its split, ``ops_assigned``, ``steps_assigned``, ``allreduce_bytes_sent``.

Eclipses. Suncatcher flies a dawn-dusk sun-synchronous orbit (ascending node at 06:00 local
time): in our model (SGP4, conical shadow) it is in continuous sunlight except in an eclipse
season of about 88 days around the *December* solstice (8 November 2026 to 3 February 2027;
up to 21 % of the time in shadow, about 20 minutes per 98-minute orbit on 2026-12-21; no
shadow at all in June). The default start, 2026-12-21, is in that season, so that energy
matters; the Suncatcher bus keeps its battery for the essential loads (compute may not discharge
it below the reserve, :class:`~spacecompute.spacecraft.fleet.Fleet`), so its payload stops in
eclipse.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..astro.constellation import Constellation
from ..astro.eclipse import sunlit_fraction_from_positions
from ..astro.sun import sun_position_eci_m
from ..astro.timeutil import parse_time
from ..errors import InputError
from ..network.links import OpticalTerminal, line_of_sight, optical_rate_at_bps, terminal
from ..scheduling.checks import check_training_decision
from ..scheduling.training import (
    TRAINING_POLICIES,
    TrainingDecision,
    TrainingView,
    get_training_policy,
)
from ..spacecraft.fleet import Fleet
from ..spacecraft.hardware import bus as bus_preset
from ..spacecraft.hardware import bus_for_constellation
from ..spacecraft.power import ATTITUDE_MODES, incidence_cosine, solar_power_w
from ..table import Table, filled_column
from ..workloads.batch import MAX_MODEL_PARAMS, ring_allreduce_time_s, training_jobs
from .engine import EngineResult
from .queues import NAT
from .rundir import SCHEMAS, fleet_row

JOB_KIND = "training"
#: Global batch of a training step, tokens (4M, as Llama 2: Touvron et al., arXiv:2307.09288).
DEFAULT_BATCH_TOKENS = 4 * 2**20
#: Per-hop software latency of a collective (s); NCCL-class ring latencies are a few us per hop
#: (assumed).
DEFAULT_COLLECTIVE_LATENCY_S = 5e-6
SPEED_OF_LIGHT_M_S = 299_792_458.0

_WAITING, _COMPLETED, _DROPPED = 0, 1, 2
_STATUS_NAMES = np.array(["pending", "completed", "dropped"], dtype=object)
_R_NONE, _R_DEADLINE, _R_REJECTED, _R_NEVER_FITS = 0, 1, 2, 3
_REASON_NAMES = np.array(["", "deadline", "rejected", "never_fits"], dtype=object)
_SILENT = ("rollback", "ignore")


# --------------------------------------------------------------------------------------------
# configuration


def _is_int(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | np.integer)


def _is_num(v: Any) -> bool:
    return not isinstance(v, bool) and isinstance(v, int | float | np.integer | np.floating)


@dataclass(frozen=True)
class TrainingConfig:
    """What to run. Times UTC (ISO text or datetime64); durations in seconds; SI units.

    Cluster: ``constellation`` preset (or a
    :class:`~spacecompute.astro.constellation.Constellation`, then ``bus`` is required), optional ``bus`` (default: the preset's), ``satellites``
    (use only the first this many of the preset; None: all), ``isl_terminal`` (default: the
    bus's laser terminal), ``allreduce_rings`` (parallel rings over distinct terminal pairs, at
    most half the terminals), ``collective_latency_s`` (per ring hop, plus light time),
    ``initial_state_of_charge``, ``attitude`` of the arrays, ``precision`` of the training
    arithmetic (peak from the hardware catalog), ``memory_headroom`` (share of accelerator memory
    for model states; the rest for activations and buffers).

    Jobs (:func:`~spacecompute.workloads.batch.training_jobs`): ``job_rate_per_s`` (Poisson),
    ``params_range``, ``tokens_per_param``, ``max_parallelism`` (requested widths are powers of two
    up to it), ``deadline_slack`` (deadline = arrival + slack x the compute time at the requested
    width and the payload's peak), ``batch_tokens`` per training step. The defaults (200 jobs a
    day of 1e9 to 1e10 parameters, about 1.6 times what the 81 satellites can compute in a day
    of the eclipse season) overload the cluster, so that the policies differ; smaller models
    (the generator's 1e8) would need deadlines of seconds, below the 60 s step.

    Run: ``start``, ``duration_s``, ``step_s``, ``propagator`` ("sgp4" or "j2"), ``policy`` (a
    name of :data:`~spacecompute.scheduling.training.TRAINING_POLICIES`) with
    ``policy_options`` (pairs of name and value), ``seed`` (jobs and radiation faults),
    ``chunk_steps`` (instants propagated at a time; results do not depend on it),
    ``checkpoint_interval_s`` (of the jobs, rounded up to whole steps), ``silent_errors``
    ("rollback" or "ignore", see the module docstring), ``scenario`` (a label).
    """

    constellation: str = "suncatcher-cluster"
    bus: str | None = None
    satellites: int | None = None
    start: str = "2026-12-21T00:00:00Z"
    duration_s: float = 24 * 3600.0
    step_s: float = 60.0
    propagator: str = "sgp4"
    policy: Any = "optimising"  # a built-in name or a user policy (scheduling.protocols)
    policy_options: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    chunk_steps: int = 240
    job_rate_per_s: float = 200.0 / 86400.0
    params_range: tuple[float, float] = (1e9, 1e10)
    tokens_per_param: float = 20.0
    max_parallelism: int = 64
    deadline_slack: float = 2.0
    batch_tokens: float = float(DEFAULT_BATCH_TOKENS)
    precision: str = "bf16"
    memory_headroom: float = 0.8
    checkpoint_interval_s: float = 60.0
    silent_errors: str = "rollback"
    isl_terminal: str | None = None
    allreduce_rings: int = 1
    collective_latency_s: float = DEFAULT_COLLECTIVE_LATENCY_S
    initial_state_of_charge: float = 1.0
    attitude: str = "sun-tracking"
    scenario: str | None = None

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"{name} = {getattr(self, name)!r}", field=name, expected=expected)

        for name in ("duration_s", "step_s", "checkpoint_interval_s", "batch_tokens"):
            v = getattr(self, name)
            if not _is_num(v) or not math.isfinite(v) or v <= 0:
                raise bad(name, "a finite number > 0")
        if self.duration_s < self.step_s:
            raise bad("duration_s", f">= step_s ({self.step_s} s): at least one step")
        for name in ("job_rate_per_s", "collective_latency_s"):
            v = getattr(self, name)
            if not _is_num(v) or not math.isfinite(v) or v < 0:
                raise bad(name, "a finite number >= 0")
        for name in ("tokens_per_param", "deadline_slack"):
            v = getattr(self, name)
            if not _is_num(v) or not math.isfinite(v) or v <= 0:
                raise bad(name, "a finite number > 0")
        if self.deadline_slack < 1.0:
            raise bad("deadline_slack", ">= 1")
        if not _is_int(self.seed):
            raise bad("seed", "an integer")
        if not _is_int(self.chunk_steps) or self.chunk_steps < 2:
            raise bad("chunk_steps", "a whole number >= 2")
        if not _is_int(self.max_parallelism) or self.max_parallelism < 1:
            raise bad("max_parallelism", "a whole number >= 1")
        if not _is_int(self.allreduce_rings) or self.allreduce_rings < 1:
            raise bad("allreduce_rings", "a whole number >= 1")
        if self.satellites is not None and (not _is_int(self.satellites) or self.satellites < 1):
            raise bad("satellites", "a whole number >= 1, or None for all")
        pr = self.params_range
        if (
            not isinstance(pr, tuple | list)
            or len(pr) != 2
            or not all(_is_num(v) and math.isfinite(v) and 0 < v <= MAX_MODEL_PARAMS for v in pr)
            or pr[1] < pr[0]
        ):
            raise bad("params_range", "(low, high) parameter counts, 0 < low <= high <= 1e15")
        for name in ("memory_headroom",):
            v = getattr(self, name)
            if not _is_num(v) or not 0 < v <= 1:
                raise bad(name, "in (0, 1]")
        v = self.initial_state_of_charge
        if not _is_num(v) or not 0 <= v <= 1:
            raise bad("initial_state_of_charge", "in [0, 1]")
        if self.silent_errors not in _SILENT:
            raise bad("silent_errors", f"one of {list(_SILENT)}")
        if self.attitude not in ATTITUDE_MODES:
            raise bad("attitude", f"one of {sorted(ATTITUDE_MODES)}")
        if self.propagator not in ("sgp4", "j2"):
            raise bad("propagator", "'sgp4' or 'j2'")
        if not isinstance(self.policy_options, tuple) or not all(
            isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
            for p in self.policy_options
        ):
            raise bad("policy_options", "a tuple of (name, value) pairs")
        parse_time(self.start, field="start")
        get_training_policy(self.policy)  # unknown name -> InputError listing the names
        try:
            get_training_policy(self.policy, **dict(self.policy_options))
        except InputError as exc:
            p = exc.problems[0]
            raise InputError(
                p.message,
                field=(
                    p.field
                    if (p.field or "").startswith("policy_options")
                    else f"policy_options.{p.field}"
                ),
                expected=p.expected,
            ) from None


# --------------------------------------------------------------------------------------------
# forecasts for look-ahead policies


@dataclass(frozen=True)
class TrainingForecast:
    """Predicted sunlight and array power over ``n`` steps from ``step_index`` (arrays (n, N)).

    ``sunlit`` in [0, 1] at each step start (conical shadow), ``array_power_w`` the array's
    output there (:func:`~spacecompute.spacecraft.power.solar_power_w` with the fleet's attitude).
    """

    step_index: int
    times_ns: np.ndarray
    sunlit: np.ndarray
    array_power_w: np.ndarray


@dataclass
class TrainingPredictor:
    """Forecasts of a training run for look-ahead policies: ``predict(step_index, n_steps)``.

    Propagates the same orbits at the same instants as the engine (so the predicted eclipses are
    exactly those that will happen) and caches blocks of ``block_steps`` steps; the cache never
    changes a result. Windows may reach past the end of the run (``n_steps``): the orbits go on,
    and a policy must not plan as if the world ended with the simulation. Also gives the power
    figures a policy needs to turn array power into compute: ``essential_load_w``,
    ``compute_idle_w``, ``compute_max_w`` (W), ``battery_capacity_j``, ``compute_shed_soc``
    (compute may not discharge the battery below this state of charge),
    ``discharge_efficiency``, ``peak_ops_per_s`` and ``dt_s``.
    """

    constellation: Any
    start_ns: int
    dt_s: float
    n_steps: int
    propagator: str
    power: Any
    essential_load_w: float
    compute_idle_w: float
    compute_max_w: float
    battery_capacity_j: float
    compute_shed_soc: float
    discharge_efficiency: float
    peak_ops_per_s: float
    block_steps: int = 240
    _cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    def _block(self, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if b not in self._cache:
            k0 = b * self.block_steps
            k1 = k0 + self.block_steps
            t_ns, sunlit, power = _environment(
                self.constellation,
                self.start_ns,
                self.dt_s,
                k0,
                k1,
                self.propagator,
                self.power,
            )
            self._cache[b] = (t_ns, sunlit, power)
            if len(self._cache) > 4:  # keep memory bounded
                self._cache.pop(min(self._cache))
        return self._cache[b]

    def predict(self, step_index: int, n_steps: int) -> TrainingForecast:
        k0 = max(0, int(step_index))
        k1 = max(k0, k0 + int(n_steps))
        n = len(self.constellation)
        if k1 == k0:
            z = np.zeros((0, n))
            return TrainingForecast(k0, np.zeros(0, np.int64), z, z)
        parts = [
            self._block(b) for b in range(k0 // self.block_steps, (k1 - 1) // self.block_steps + 1)
        ]
        t_ns = np.concatenate([p[0] for p in parts])
        first = (k0 // self.block_steps) * self.block_steps
        sl = slice(k0 - first, k1 - first)
        return TrainingForecast(
            k0,
            t_ns[sl],
            np.concatenate([p[1] for p in parts])[sl],
            np.concatenate([p[2] for p in parts])[sl],
        )


def _times(start_ns: int, dt_s: float, k0: int, k1: int) -> np.ndarray:
    dt_ns = round(dt_s * 1e9)
    return (start_ns + np.arange(k0, k1, dtype=np.int64) * dt_ns).astype("datetime64[ns]")


def _environment(
    const: Any, start_ns: int, dt_s: float, k0: int, k1: int, propagator: str, power: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step starts ``k0..k1-1``: times (ns), sunlit (T, N), array power (T, N)."""
    times = _times(start_ns, dt_s, k0, k1)
    eph = const.propagate(None, times=times, method=propagator)
    sun = sun_position_eci_m(eph.times)
    sunlit = np.asarray(sunlit_fraction_from_positions(eph.r_eci_m, sun, "conical"), float)
    sunlit = np.nan_to_num(sunlit, nan=0.0)
    out = np.empty_like(sunlit)
    for t in range(times.size):  # loop over time steps (vectorized over satellites)
        r, v = eph.r_eci_m[t], eph.v_eci_m[t]
        cos = np.nan_to_num(incidence_cosine(power.attitude_mode, r, v, sun[t]), nan=0.0)
        dist = np.linalg.norm(sun[t][None, :] - r, axis=1)
        out[t] = solar_power_w(power, sunlit[t], cos, 0.0, dist)
    return times.astype(np.int64), sunlit, out


# --------------------------------------------------------------------------------------------
# the run


@dataclass
class _Setup:
    """Everything of a run fixed by its configuration (rebuilt identically on resume)."""

    const: Any
    n: int
    fleet: Any
    bus: Any
    peak: float
    hbm_bytes: float
    terminal: Any
    dt: float
    dt_ns: int
    start_ns: int
    total_steps: int
    jobs: dict[str, np.ndarray]
    policy: Any
    interval_steps: int


def _job_table(config: TrainingConfig, start: np.datetime64, peak: float) -> Table:
    return training_jobs(
        start,
        float(config.duration_s),
        rate_per_s=float(config.job_rate_per_s),
        seed=int(config.seed),
        params_range=(float(config.params_range[0]), float(config.params_range[1])),
        tokens_per_param=float(config.tokens_per_param),
        max_parallelism=int(config.max_parallelism),
        ops_per_s_per_sat=peak,
        deadline_slack=float(config.deadline_slack),
    )


_JOB_COLUMNS = (
    "arrival",
    "params",
    "total_ops",
    "memory_bytes",
    "checkpoint_bytes",
    "gradient_bytes",
    "parallelism",
    "deadline",
)


def _job_constants(table: Table, config: TrainingConfig, n: int, hbm: float) -> dict:
    """Per-job constants (arrays (J,)) in arrival order, ids renumbered 0..J-1."""
    missing = [c for c in _JOB_COLUMNS if c not in table]
    if missing:
        raise InputError(
            f"the jobs table lacks {missing}",
            field="jobs",
            expected=f"the columns of training_jobs(): {list(_JOB_COLUMNS)}",
        )
    arrival = np.asarray(table["arrival"]).astype("datetime64[ns]").astype(np.int64)
    order = np.argsort(arrival, kind="stable")
    out: dict[str, np.ndarray] = {
        "source_id": np.asarray(table["id"] if "id" in table else np.arange(len(table)))[order]
    }
    out["arrival"] = arrival[order]
    out["deadline"] = np.asarray(table["deadline"]).astype("datetime64[ns]").astype(np.int64)[order]
    for c in ("params", "total_ops", "memory_bytes", "checkpoint_bytes", "gradient_bytes"):
        a = np.asarray(table[c], dtype=np.float64)[order]
        if not np.all(np.isfinite(a) & (a >= 0)):
            raise InputError(f"jobs column {c} has bad values", field=f"jobs.{c}", expected=">= 0")
        out[c] = a
    par = np.asarray(table["parallelism"])[order]
    if par.size and (not np.issubdtype(par.dtype, np.integer) or np.any(par < 1)):
        raise InputError("bad parallelism", field="jobs.parallelism", expected="integers >= 1")
    out["parallelism"] = par.astype(np.int64)
    per_step = 6.0 * out["params"] * float(config.batch_tokens)
    out["ops_per_train_step"] = np.where(per_step > 0, per_step, 1.0)
    min_w = np.ceil(out["memory_bytes"] / (hbm * float(config.memory_headroom)) - 1e-12)
    out["min_width"] = np.maximum(min_w, 1).astype(np.int64)
    out["max_width"] = np.maximum(out["parallelism"], out["min_width"])
    out["never_fits"] = out["min_width"] > n
    return out


def _state_arrays(n_jobs: int, n: int) -> dict[str, np.ndarray]:
    f = np.zeros(n_jobs)
    i = np.zeros(n_jobs, np.int64)
    b = np.zeros(n_jobs, bool)
    st: dict[str, np.ndarray] = {
        "admitted": b.copy(),
        "status": i.copy(),
        "reason": i.copy(),
        "start": np.full(n_jobs, NAT, np.int64),
        "end": np.full(n_jobs, NAT, np.int64),
        "satellite": np.full(n_jobs, -1, np.int64),
        "lat_deg": np.full(n_jobs, np.nan),
        "lon_deg": np.full(n_jobs, np.nan),
        "progress_ops": f.copy(),
        "committed_ops": f.copy(),
        "ops_spent": f.copy(),
        "ops_lost": f.copy(),
        "ops_lost_corrupt": f.copy(),
        "ops_capacity": f.copy(),
        "energy_j": f.copy(),
        "allreduce_bytes": f.copy(),
        "checkpoint_write_bytes": f.copy(),
        "checkpoint_read_bytes": f.copy(),
        "rollbacks": i.copy(),
        "corrupt_rollbacks": i.copy(),
        "checkpoints": i.copy(),
        "silent_errors": i.copy(),
        "since_checkpoint_steps": i.copy(),
        "corrupt": b.copy(),
        "live": b.copy(),
        "participants": i.copy(),
        "satellite_steps": i.copy(),
        "max_participants": i.copy(),
        "used": np.zeros((n_jobs, n), bool),
    }
    return st


_STEP_COLUMNS = (
    *(k for k in SCHEMAS["steps"] if k != "time"),
    # beyond the schema
    "ops_executed",
    "ops_progress",
    "ops_lost",
    "backlog_ops",
    "allreduce_bytes",
    "checkpoint_bytes",
    "jobs_running",
    "jobs_waiting",
    "satellites_assigned",
    "ring_rate_min_bps",
    "sunlit_mean",
    "reboots",
    "detected_errors",
    "silent_errors",
)

_SAT_COLUMNS = (
    "ops_done",
    "energy_j",
    "energy_assigned_j",
    "energy_unassigned_j",
    "ops_assigned",
    "steps_assigned",
    "sunlit_sum",
    "allreduce_bytes_sent",
)


def _local_angle(r: np.ndarray, v: np.ndarray) -> np.ndarray:
    """(N,) angle of each satellite about the cluster centre in the plane across the radial
    direction (along-track, cross-track), used to order a ring around the formation."""
    c = r.mean(axis=0)
    u_r = c / np.linalg.norm(c)
    vm = v.mean(axis=0)
    u_t = vm - (vm @ u_r) * u_r
    u_t /= np.linalg.norm(u_t)
    u_n = np.cross(u_r, u_t)
    d = r - c[None, :]
    return np.arctan2(d @ u_n, d @ u_t)


#: From this many satellites the nearest neighbours are found among a k-d tree's candidates
#: instead of among all N^2 pairs (1,584 satellites: 107 ms a step with all pairs).
_ALL_PAIRS_MAX = 256
#: Candidates per satellite from the k-d tree (the nearest by its own arithmetic).
_CANDIDATES = 4


def _nearest_neighbour(
    r: np.ndarray, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(N,) index of each satellite's nearest other satellite and the squared distance, with
    the arithmetic and the tie rule (lowest index) of the all-pairs search at any size: a
    large fleet measures only the candidates of a compiled sweep along x
    (:mod:`spacecompute.sim.nearest_candidates`: those within a hair of the least distance)
    with the same expression; positions with NaN or inf, each satellite's ``_CANDIDATES``
    nearest from a k-d tree (scipy.spatial.cKDTree; Maneewongvatana & Mount 1999). ``rows``:
    only these satellites' (each row's answer is the same as in the whole fleet's)."""
    n = r.shape[0]
    every = np.arange(n)
    rows = every if rows is None else np.asarray(rows, np.int64)
    if n <= _ALL_PAIRS_MAX:
        return _nearest_among(r, rows, np.broadcast_to(every, (rows.size, n)))
    if np.isfinite(r).all():  # candidates of a sweep along x (sim/nearest_candidates.py)
        from .nearest_candidates import nearest_candidates

        cand, full = nearest_candidates(r, rows)
        j, d2 = _nearest_among(r, rows, cand)
        if full.any():  # a lattice: more equal distances than candidates, search all
            t = np.flatnonzero(full)
            j[t], d2[t] = _nearest_among(r, rows[t], np.broadcast_to(every, (t.size, n)))
        return j, d2
    from scipy.spatial import cKDTree

    k = min(_CANDIDATES + 1, n)  # the satellite itself is among its own nearest
    dist, cand = cKDTree(r).query(r[rows], k=k)
    j, d2 = _nearest_among(r, rows, np.sort(cand, axis=1))
    # where the farthest candidate is as near as the nearest (a lattice: more ties than
    # candidates), the lowest index may lie beyond them: those rows search all satellites
    tied = dist[:, -1] <= dist[:, 1] * (1.0 + 1e-9)
    if tied.any():
        t = np.flatnonzero(tied)
        j[t], d2[t] = _nearest_among(r, rows[t], np.broadcast_to(every, (t.size, n)))
    return j, d2


def _nearest_among(r: np.ndarray, rows: np.ndarray, cand: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each satellite ``rows[i]`` the nearest of ``cand[i]`` (sorted, may include itself)
    and the squared distance: the all-pairs expression, the first of equal distances."""
    diff = r[rows][:, None, :] - r[cand]
    d2 = np.einsum("ijk,ijk->ij", diff, diff)
    d2[cand == rows[:, None]] = np.inf
    pick = np.argmin(d2, axis=1)
    at = np.arange(rows.size)
    return cand[at, pick], d2[at, pick]


def _nearest_rate(r: np.ndarray, term: Any, rows: np.ndarray | None = None) -> np.ndarray:
    """(N,) optical rate from each satellite to its nearest other satellite (bit/s; inf alone);
    ``rows``: only for these satellites (the ring participants of a step), (len(rows),)."""
    n = r.shape[0]
    if n < 2:
        return np.full(n if rows is None else len(rows), np.inf)
    j, d2 = _nearest_neighbour(r, rows)
    d = np.sqrt(d2)
    rate = optical_rate_at_bps(term, term, np.maximum(d, 1e-3))
    mine = r if rows is None else r[rows]
    ok = np.asarray(line_of_sight(mine, r[j])) & (d <= term.max_range_m)
    return np.where(ok, rate, 0.0)


def _setup(config: TrainingConfig, jobs: Table | None) -> _Setup:
    from ..astro.presets import preset_constellation

    start = parse_time(config.start, field="start")
    if isinstance(config.constellation, Constellation):  # a scenario's shells (needs a bus)
        if config.bus is None:
            raise InputError(
                "a constellation given as elements needs a bus",
                field="bus",
                expected="a bus preset of the hardware catalog",
            )
        const = config.constellation
    else:
        const = preset_constellation(config.constellation, epoch=start)
    if config.satellites is not None:
        if config.satellites > len(const):
            raise InputError(
                f"satellites = {config.satellites}",
                field="satellites",
                expected=f"<= {len(const)} (the preset's size)",
            )
        const = Constellation(
            const.elements.take(np.arange(config.satellites)), name=const.name, shells=()
        )
    n = len(const)
    b = (
        bus_for_constellation(config.constellation)
        if config.bus is None
        else bus_preset(config.bus)
    )
    fleet = Fleet(
        b,
        n,
        seed=int(config.seed),
        state_of_charge=float(config.initial_state_of_charge),
        attitude=config.attitude,
    )
    peak = float(b.compute_peak_ops_per_s(config.precision))
    if not peak > 0:
        raise InputError(
            f"bus {b.name!r} has no compute at {config.precision!r}",
            field="precision",
            expected="a precision the payload supports",
        )
    hbm = float(b.compute_memory_bytes)
    if not hbm > 0:
        raise InputError(f"bus {b.name!r} has no accelerator memory", field="bus")
    term_name = config.isl_terminal or b.laser_terminal
    if term_name is None:
        raise InputError(
            f"bus {b.name!r} has no laser terminal", field="isl_terminal", expected="a terminal"
        )
    term = terminal(term_name)
    if not isinstance(term, OpticalTerminal):
        raise InputError(
            f"terminal {term_name!r} is not optical", field="isl_terminal", expected="optical"
        )
    if 2 * config.allreduce_rings > max(b.laser_terminals, 2):
        raise InputError(
            f"allreduce_rings = {config.allreduce_rings}",
            field="allreduce_rings",
            expected=f"<= {max(b.laser_terminals, 2) // 2} (two terminals per ring)",
        )
    dt = float(config.step_s)
    start_ns = int(np.datetime64(start, "ns").astype(np.int64))
    total_steps = int(np.floor(float(config.duration_s) / dt + 1e-9))
    table = _job_table(config, start, peak) if jobs is None else jobs
    consts = _job_constants(table, config, n, hbm)
    policy = get_training_policy(config.policy, **dict(config.policy_options))
    interval_steps = max(1, math.ceil(float(config.checkpoint_interval_s) / dt - 1e-9))
    return _Setup(
        const,
        n,
        fleet,
        b,
        peak,
        hbm,
        term,
        dt,
        round(dt * 1e9),
        start_ns,
        total_steps,
        consts,
        policy,
        interval_steps,
    )


def _efficiency(
    s: _Setup, config: TrainingConfig, width: np.ndarray, link_bps: float
) -> np.ndarray:
    """Share of a training step spent computing at ``width`` satellites, full compute and
    ``link_bps`` per ring (all-reduce by :func:`ring_allreduce_time_s`)."""
    j = s.jobs
    w = np.maximum(np.asarray(width, np.int64), 1)
    t_c = j["ops_per_train_step"] / (w * s.peak)
    bw = link_bps if math.isfinite(link_bps) and link_bps > 0 else 1e300
    t_ar = ring_allreduce_time_s(
        j["gradient_bytes"], w, bw * config.allreduce_rings, config.collective_latency_s
    )
    return t_c / (t_c + t_ar)


def check_training_config(config: TrainingConfig) -> None:
    """Build what a run of ``config`` is made of (constellation, fleet, terminal, the jobs),
    without stepping; raises :class:`InputError` for a configuration the run would refuse
    (``spacecompute validate`` calls it)."""
    if not isinstance(config, TrainingConfig):
        raise InputError(f"config is a {type(config).__name__}", expected="a TrainingConfig")
    _setup(config, None)


def run_training(
    config: TrainingConfig,
    out_dir: Any = None,
    *,
    checkpoint: Any = None,
    progress: Any = None,
    jobs: Table | None = None,
) -> EngineResult:
    """Run ``config``; with ``out_dir`` also write a run directory (RunWriter).

    ``checkpoint``: a :class:`~spacecompute.sim.checkpoint.Checkpointer`; the run resumes from
    its saved state when there is one and saves every ``checkpoint.every_steps`` steps.
    ``progress(steps_done, total_steps)`` is called after every step. ``jobs``: a table with the
    columns of :func:`~spacecompute.workloads.batch.training_jobs` to use instead of generating
    them (hand-built scenarios); ids are renumbered in arrival order.

    Returns an :class:`~spacecompute.sim.engine.EngineResult` (summary keys of the run-directory
    contract plus training keys; jobs, steps and satellites tables with extra columns).
    """
    if not isinstance(config, TrainingConfig):
        raise InputError(f"config is a {type(config).__name__}", expected="a TrainingConfig")
    from .core import Core

    wall0 = _time.perf_counter()
    run = TrainingWorkload(config, jobs)
    Core([run]).run(checkpoint=checkpoint, progress=progress, out_dir=out_dir)
    return run.result(wall0, out_dir)


class TrainingWorkload:
    """Training as a workload plug-in of the core (:mod:`spacecompute.sim.core`):
    :meth:`demand` runs stages 1-2 (admission, the policy: its load), :meth:`advance` stages
    3-6 with what the fleet did."""

    kind = "training"
    recording = False  # the core sets it when the run records states

    def __init__(self, config: TrainingConfig, jobs: Table | None = None) -> None:
        self.config = config
        self.s = s = _setup(config, jobs)
        self.n, self.fleet, self.const = s.n, s.fleet, s.const
        self.policy = s.policy
        n, dt = s.n, s.dt
        self.idle_w = float(s.fleet.bus.compute_power_idle_w)
        self.span_w = float(s.fleet.bus.compute_power_max_w) - self.idle_w
        self.st = _state_arrays(s.jobs["arrival"].size, n)
        self.sat = {k: np.zeros(n) for k in _SAT_COLUMNS}
        self.rows: dict[str, list[float]] = {k: [] for k in _STEP_COLUMNS}
        self.row_times: list[int] = []
        self.prev_assign = np.full(n, -1, np.int64)
        self.totals = {
            "brownouts": 0.0,
            "faults_silent": 0.0,
            "faults_detected": 0.0,
            "reboots": 0.0,
        }
        self.steps_done = 0
        self.end_run_ns = s.start_ns + s.total_steps * s.dt_ns
        # nominal link rate (nearest-neighbour median at the start) for the policies' efficiency
        eph0 = s.const.propagate(None, times=_times(s.start_ns, dt, 0, 1), method=config.propagator)
        nominal_bps = float(np.median(_nearest_rate(eph0.r_eci_m[0], s.terminal)))
        self.efficiency = _efficiency(s, config, s.jobs["max_width"], nominal_bps)

    def clock(self) -> Any:
        from .core import Clock

        s, c = self.s, self.config
        start = np.datetime64(s.start_ns, "ns")
        return Clock(start, s.dt, s.total_steps, c.propagator, int(c.chunk_steps))

    def prepare(self) -> None:
        prepare = getattr(self.policy, "prepare", None)
        if not callable(prepare):
            return
        s, fleet, n = self.s, self.fleet, self.n
        p = fleet.power
        prepare(
            TrainingPredictor(
                s.const,
                s.start_ns,
                s.dt,
                s.total_steps,
                self.config.propagator,
                p,
                float(fleet.essential_load_w),
                self.idle_w,
                self.idle_w + self.span_w,
                float(fleet.bus.battery_capacity_j),
                float(np.asarray(p.compute_shed_soc).reshape(-1)[0]) if n else 1.0,
                float(np.asarray(p.discharge_efficiency).reshape(-1)[0]) if n else 1.0,
                s.peak,
                block_steps=int(self.config.chunk_steps),
            )
        )

    def begin_chunk(self, chunk: Any) -> None:
        pass

    def state_dict(self) -> dict[str, np.ndarray]:
        state = {"job." + key: v for key, v in self.st.items()}
        state.update({"sat." + key: v for key, v in self.sat.items()})
        state.update({"row." + key: np.asarray(v, float) for key, v in self.rows.items()})
        state["row_time"] = np.asarray(self.row_times, np.int64)
        state["prev_assign"] = self.prev_assign
        state.update({"total." + key: np.float64(v) for key, v in self.totals.items()})
        state["steps_done"] = np.asarray(self.steps_done)
        return state

    def load_state_dict(self, state: Any) -> None:
        st, sat = self.st, self.sat
        for k in st:
            st[k] = np.array(state["job." + k], dtype=st[k].dtype, copy=True)
        for k in sat:
            sat[k] = np.array(state["sat." + k], dtype=np.float64, copy=True)
        for k in self.rows:
            self.rows[k] = [float(x) for x in state["row." + k]]
        self.row_times = [int(x) for x in state["row_time"]]
        self.prev_assign = np.array(state["prev_assign"], dtype=np.int64)
        for k in self.totals:
            self.totals[k] = float(state["total." + k])
        self.steps_done = int(state["steps_done"])

    def demand(self, step: Any) -> Any:
        from .core import Demand

        self.decided = _decide(
            self.config, self.s, self.st, self.prev_assign, self.efficiency, step.sunlit,
            step.index, step.time_ns, self.end_run_ns,
        )  # fmt: skip
        return Demand(self.decided["load"])

    def advance(self, step: Any, grant: Any) -> Any:
        from .core import StepRecord

        stats = _step(
            self.config, self.s, self.st, self.sat, self.prev_assign, self.decided,
            step.chunk.geometry(step.k), grant.fleet, step.sunlit, step.time_ns,
            self.idle_w, self.span_w,
        )  # fmt: skip
        self.prev_assign = stats.pop("assign")
        stats.pop("_fleet")
        computing = stats.pop("_computing")
        queue = stats.pop("_queue_ops")
        ring_a, ring_b = stats.pop("_ring_links")
        for key in ("brownouts", "faults_silent", "faults_detected", "reboots"):
            self.totals[key] += stats.pop("_" + key)
        self.row_times.append(step.time_ns)
        for key in _STEP_COLUMNS:
            self.rows[key].append(float(stats[key]))
        self.steps_done = step.index + 1
        return StepRecord(computing, queue, self.prev_assign, (ring_a, ring_b))

    def result(self, wall0: float, out_dir: Any) -> EngineResult:
        return _finish(
            self.config, self.s, self.st, self.sat, self.rows, self.row_times, self.totals,
            self.steps_done, wall0, out_dir,
        )  # fmt: skip


def _decide(
    config: TrainingConfig,
    s: _Setup,
    st: dict[str, np.ndarray],
    prev_assign: np.ndarray,
    efficiency: np.ndarray,
    sunlit: np.ndarray,
    k: int,
    tk: int,
    end_run_ns: int,
) -> dict[str, Any]:
    """Stages 1-2 of step ``[t_k, t_k + dt)`` (see the module docstring): admission, deadlines,
    the policy's assignment and load, preemption checkpoints."""
    dt, peak, J = s.dt, s.peak, s.jobs
    fleet = s.fleet
    dropped = 0
    status, reason = st["status"], st["reason"]

    # 1. admission and deadlines at the step start
    new = ~st["admitted"] & (J["arrival"] <= tk)
    st["admitted"] |= new
    nf = new & J["never_fits"]
    status[nf], reason[nf], st["end"][nf] = _DROPPED, _R_NEVER_FITS, J["arrival"][nf]
    dropped += int(nf.sum())
    late = st["admitted"] & (status == _WAITING) & (J["deadline"] <= tk)
    status[late], reason[late], st["end"][late] = _DROPPED, _R_DEADLINE, J["deadline"][late]
    dropped += int(late.sum())
    active = np.flatnonzero(st["admitted"] & (status == _WAITING))

    # 2. policy
    view = TrainingView(
        sunlit=sunlit,
        state_of_charge=fleet.state_of_charge,
        thermal_throttle=fleet.thermal_throttle,
        temperature_k=fleet.temperature_k,
        downtime_s=fleet.downtime_s,
        assignment=prev_assign,
        job_id=active,
        arrival_ns=J["arrival"][active],
        deadline_ns=J["deadline"][active],
        total_ops=J["total_ops"][active],
        remaining_ops=J["total_ops"][active] - st["progress_ops"][active],
        min_width=J["min_width"][active],
        max_width=J["max_width"][active],
        participants=st["participants"][active],
        efficiency=efficiency[active],
        peak_ops_per_s=peak,
        dt_s=dt,
        step_index=k,
        time_ns=tk,
        end_ns=end_run_ns,
    )
    decision = policy_decide(s.policy, view)
    assign = decision.assign
    if decision.reject is not None:
        rej = active[decision.reject]
        status[rej], reason[rej], st["end"][rej] = _DROPPED, _R_REJECTED, tk
        dropped += int(rej.size)
        bad = np.isin(assign, rej)
        if bad.any():
            raise InputError(
                f"policy {s.policy.name} assigned satellites to a job it rejected",
                field="policy",
            )
    assigned = assign >= 0
    if np.any(assign < -1) or not np.isin(assign[assigned], active).all():
        raise InputError(
            f"policy {s.policy.name} assigned satellites to jobs not running",
            field="policy",
            expected="ids of the view's jobs, or -1",
        )
    count = np.bincount(assign[assigned], minlength=len(J["arrival"]))
    if assigned.any():
        used_jobs = np.flatnonzero(count)
        if np.any(count[used_jobs] > J["max_width"][used_jobs]) or np.any(
            count[used_jobs] < J["min_width"][used_jobs]
        ):
            raise InputError(
                f"policy {s.policy.name} gave a job more satellites than its max_width or "
                "fewer than its min_width",
                field="policy",
            )
    load = np.where(assigned, 1.0, 0.0) if decision.load is None else decision.load
    load = np.where(assigned, np.clip(load, 0.0, 1.0), 0.0)

    # preemption: jobs that had satellites and have none now write a checkpoint
    open_ = (status == _WAITING) & st["admitted"]
    pre = np.flatnonzero(open_ & (st["participants"] > 0) & (count == 0))
    ckpt_bytes_step = 0.0
    if pre.size:
        ckpt_bytes_step += _checkpoint(st, J, pre)
        st["live"][pre] = False
        st["since_checkpoint_steps"][pre] = 0

    return {
        "assign": assign,
        "assigned": assigned,
        "count": count,
        "load": load,
        "dropped": dropped,
        "ckpt_bytes": ckpt_bytes_step,
    }


def _step(
    config: TrainingConfig,
    s: _Setup,
    st: dict[str, np.ndarray],
    sat: dict[str, np.ndarray],
    prev_assign: np.ndarray,
    decided: dict[str, Any],
    geo: Any,
    fs: Any,
    sunlit: np.ndarray,
    tk: int,
    idle_w: float,
    span_w: float,
) -> dict[str, Any]:
    """Stages 3-6 of step ``[t_k, t_k + dt)`` with the fleet's step ``fs`` (see the module
    docstring): executed compute and energy, the jobs, checkpoints, deadlines; the step's row."""
    dt, peak, J = s.dt, s.peak, s.jobs
    status, reason = st["status"], st["reason"]
    assign, assigned, count = decided["assign"], decided["assigned"], decided["count"]
    dropped = decided["dropped"]
    # 3. fleet (stepped by the core with the decided load)
    power = fs.compute_power_w
    drawn = np.clip((power - idle_w) / span_w, 0.0, 1.0) if span_w > 0 else power * 0
    executed = drawn * peak * dt
    energy = power * dt
    sat["ops_done"] += executed
    sat["energy_j"] += energy
    sat["energy_assigned_j"] += np.where(assigned, energy, 0.0)
    sat["energy_unassigned_j"] += np.where(assigned, 0.0, energy)
    sat["ops_assigned"] += np.where(assigned, executed, 0.0)
    sat["steps_assigned"] += assigned
    sat["sunlit_sum"] += sunlit

    # 4. jobs, vectorized over the participants grouped by job (ring order)
    part = np.flatnonzero(assigned)
    j = {
        "completed": 0,
        "dropped": 0,
        "ckpt_bytes": decided["ckpt_bytes"],
        "ops_progress": 0.0,
        "ops_lost": 0.0,
        "allreduce_b": 0.0,
        "ring_min": np.nan,
        "ring_links": (np.zeros(0, np.int64), np.zeros(0, np.int64)),  # for the recorder
    }
    if part.size:
        j = _jobs_step(
            config, s, st, sat, prev_assign, geo, fs, executed, energy, assign, part, tk, j
        )
    completed = j["completed"]
    dropped += j["dropped"]
    ckpt_bytes_step, ops_progress, ops_lost = j["ckpt_bytes"], j["ops_progress"], j["ops_lost"]
    allreduce_b, ring_min, ring_links = j["allreduce_b"], j["ring_min"], j["ring_links"]
    st["participants"][:] = count
    # open jobs without satellites whose deadline falls inside the step
    idle_late = (
        st["admitted"] & (status == _WAITING) & (count == 0) & (J["deadline"] < tk + s.dt_ns)
    )
    status[idle_late], reason[idle_late] = _DROPPED, _R_DEADLINE
    st["end"][idle_late] = J["deadline"][idle_late]
    dropped += int(idle_late.sum())

    open_now = st["admitted"] & (status == _WAITING)
    silent_n = float(np.sum(fs.silent_errors))
    detected_n = float(np.sum(fs.detected_errors))
    reboots_n = float(np.sum(fs.reboots))
    brown = float(np.count_nonzero(fs.brownout))
    return {
        "assign": assign.astype(np.int64),
        **fleet_row(fs, power, executed, peak * dt),
        "bits_captured": 0.0,
        "bits_processed": 0.0,
        "bits_downlinked": 0.0,
        "bits_dropped": 0.0,
        "backlog_bits": 0.0,
        "jobs_completed": float(completed),
        "jobs_dropped": float(dropped),
        "brownouts": brown,
        "faults": silent_n + detected_n,
        "ops_executed": float(executed.sum()),
        "ops_progress": ops_progress,
        "ops_lost": ops_lost,
        "backlog_ops": float(np.sum(J["total_ops"][open_now] - st["progress_ops"][open_now])),
        "allreduce_bytes": allreduce_b,
        "checkpoint_bytes": ckpt_bytes_step,
        "jobs_running": float(np.count_nonzero(count)),
        "jobs_waiting": float(np.count_nonzero(open_now & (count == 0))),
        "satellites_assigned": float(np.count_nonzero(assigned)),
        "ring_rate_min_bps": ring_min,
        "sunlit_mean": float(np.mean(sunlit)),
        "reboots": reboots_n,
        "detected_errors": detected_n,
        "silent_errors": silent_n,
        "_brownouts": brown,
        "_faults_silent": silent_n,
        "_faults_detected": detected_n,
        "_reboots": reboots_n,
        "_fleet": fs,
        "_computing": executed > 0,
        "_queue_ops": (
            np.where(assigned, (J["total_ops"] - st["progress_ops"])[np.maximum(assign, 0)], 0.0)
            if len(J["total_ops"])
            else np.zeros(assigned.shape)  # no job has arrived yet
        ),
        "_ring_links": ring_links,
    }


def _rings(
    config: TrainingConfig,
    s: _Setup,
    prev_assign: np.ndarray,
    geo: Any,
    fs: Any,
    executed: np.ndarray,
    energy: np.ndarray,
    assign: np.ndarray,
    part: np.ndarray,
) -> dict[str, Any]:
    """The participants ``part`` grouped by job in ring order (by the angle along the orbit),
    each ring's slowest link and hop latency, and the per-job sums of the step."""
    ring_min = np.nan
    pj = assign[part]
    theta = _local_angle(geo.r_eci_m, geo.v_eci_m)[part]
    order = np.lexsort((part, theta, pj))
    ps, pj = part[order], pj[order]
    first = np.r_[True, pj[1:] != pj[:-1]]
    g_start = np.flatnonzero(first)
    g_size = np.diff(np.r_[g_start, ps.size])
    jobs_run = pj[g_start]
    # ring links: each participant to the next in its group, the last back to the first
    nxt = np.arange(ps.size) + 1
    g_end = g_start + g_size - 1
    nxt[g_end] = g_start
    r = geo.r_eci_m
    d = np.linalg.norm(r[ps] - r[ps[nxt]], axis=1)
    # the ring links and each participant's link to its nearest neighbour in one call of the
    # (elementwise) rate and line-of-sight functions: the values of two calls
    j_near, d2_near = _nearest_neighbour(r, ps) if r.shape[0] >= 2 else (ps, None)
    if d2_near is None:
        link = _ring_rates(s.terminal, r[ps], r[ps[nxt]], d)
        near_bps = np.full(ps.size, np.inf)
    else:
        both = _ring_rates(
            s.terminal,
            np.concatenate([r[ps], r[ps]]),
            np.concatenate([r[ps[nxt]], r[j_near]]),
            np.concatenate([d, np.sqrt(d2_near)]),
        )
        link, near_bps = both[: ps.size], both[ps.size :]
    link[np.repeat(g_size == 1, g_size)] = np.inf
    ring_bps = np.minimum.reduceat(link, g_start) * config.allreduce_rings
    in_ring = np.repeat(g_size > 1, g_size)
    ring_links = (ps[in_ring], ps[nxt][in_ring])
    hop_s = config.collective_latency_s + np.maximum.reduceat(d, g_start) / SPEED_OF_LIGHT_M_S
    store_bps = np.minimum.reduceat(near_bps, g_start)
    e_min = np.minimum.reduceat(executed[ps], g_start)
    cap = np.add.reduceat(executed[ps], g_start)
    en = np.add.reduceat(energy[ps], g_start)
    newcomers = np.add.reduceat((prev_assign[ps] != pj).astype(np.int64), g_start)
    fault = np.maximum.reduceat(
        ((fs.reboots[ps] > 0) | (fs.detected_errors[ps] > 0)).astype(np.int64), g_start
    ).astype(bool)
    silent = np.add.reduceat(fs.silent_errors[ps].astype(np.int64), g_start)
    finite_bps = np.isfinite(ring_bps)
    if np.any(finite_bps):
        ring_min = float(np.min(ring_bps[finite_bps]))
    return {
        "ps": ps,
        "pj": pj,
        "g_start": g_start,
        "g_size": g_size,
        "jobs_run": jobs_run,
        "ring_bps": ring_bps,
        "ring_links": ring_links,
        "hop_s": hop_s,
        "store_bps": store_bps,
        "e_min": e_min,
        "cap": cap,
        "en": en,
        "newcomers": newcomers,
        "fault": fault,
        "silent": silent,
        "ring_min": ring_min,
    }


def _settle(
    s: _Setup,
    st: dict[str, np.ndarray],
    jr: np.ndarray,
    done: np.ndarray,
    fault: np.ndarray,
    corrupt: np.ndarray,
    due: np.ndarray,
    can_finish: np.ndarray,
    tk: int,
) -> tuple[float, float, int]:
    """The end of the step for the running jobs ``jr`` that did not complete: rollbacks
    (faults, or corruption caught at a validation), checkpoints due, deadlines inside the step.
    Returns (work lost, checkpoint bytes written, jobs dropped)."""
    J = s.jobs
    status, reason = st["status"], st["reason"]
    ops_lost, ckpt_bytes_step, dropped = 0.0, 0.0, 0
    # rollback: faults, or corruption caught at a validation (final save or checkpoint)
    validate = ~done & (due | can_finish)
    roll = ~done & (fault | (corrupt & validate))
    rj = jr[roll]
    if rj.size:
        lost = st["progress_ops"][rj] - st["committed_ops"][rj]
        st["ops_lost"][rj] += lost
        by_corrupt = ~fault[roll]
        st["ops_lost_corrupt"][rj[by_corrupt]] += lost[by_corrupt]
        st["corrupt_rollbacks"][rj[by_corrupt]] += 1
        st["rollbacks"][rj] += 1
        st["progress_ops"][rj] = st["committed_ops"][rj]
        st["live"][rj] = False
        st["corrupt"][rj] = False
        st["since_checkpoint_steps"][rj] = 0
        ops_lost = float(lost.sum())
    # keep the corruption flag of jobs going on
    going = ~done & ~roll
    st["corrupt"][jr[going]] = corrupt[going]
    # 5. checkpoints due
    cj = jr[going & due]
    if cj.size:
        ckpt_bytes_step += _checkpoint(st, J, cj)
        st["since_checkpoint_steps"][cj] = 0
    # 6. deadlines inside the step
    miss = ~done & (J["deadline"][jr] < tk + s.dt_ns)
    mj = jr[miss]
    status[mj], reason[mj], st["end"][mj] = _DROPPED, _R_DEADLINE, J["deadline"][mj]
    dropped += int(mj.size)
    return ops_lost, ckpt_bytes_step, dropped


def _jobs_step(
    config: TrainingConfig,
    s: _Setup,
    st: dict[str, np.ndarray],
    sat: dict[str, np.ndarray],
    prev_assign: np.ndarray,
    geo: Any,
    fs: Any,
    executed: np.ndarray,
    energy: np.ndarray,
    assign: np.ndarray,
    part: np.ndarray,
    tk: int,
    j: dict[str, Any],
) -> dict[str, Any]:
    """Stage 4-6 for the running jobs (participants ``part``): rings, progress, completion,
    rollbacks, checkpoints, deadlines; the counters in ``j`` are updated and returned."""
    dt, J = s.dt, s.jobs
    status = st["status"]
    completed = dropped = 0
    ckpt_bytes_step = j["ckpt_bytes"]
    ops_progress = ops_lost = allreduce_b = 0.0
    ring_min = np.nan
    g = _rings(config, s, prev_assign, geo, fs, executed, energy, assign, part)
    ps = g["ps"]
    pj = g["pj"]
    g_start = g["g_start"]
    g_size = g["g_size"]
    jobs_run = g["jobs_run"]
    ring_bps = g["ring_bps"]
    ring_links = g["ring_links"]
    hop_s = g["hop_s"]
    store_bps = g["store_bps"]
    e_min = g["e_min"]
    cap = g["cap"]
    en = g["en"]
    newcomers = g["newcomers"]
    fault = g["fault"]
    silent = g["silent"]
    ring_min = g["ring_min"]

    p = g_size.astype(np.float64)
    jr = jobs_run
    ckpt = J["checkpoint_bytes"][jr]
    ops_step = J["ops_per_train_step"][jr]
    # first run: where and when
    fresh = st["start"][jr] == NAT
    if fresh.any():
        fj = jr[fresh]
        st["start"][fj] = tk
        lowest = np.minimum.reduceat(ps, g_start)[fresh]
        st["satellite"][fj] = lowest
        st["lat_deg"][fj] = geo.lat_deg[lowest]
        st["lon_deg"][fj] = geo.lon_deg[lowest]
    st["used"][pj, ps] = True
    st["satellite_steps"][jr] += g_size
    st["max_participants"][jr] = np.maximum(st["max_participants"][jr], g_size)
    st["ops_capacity"][jr] += cap
    st["energy_j"][jr] += en
    # state loads: everyone after a rollback / resume, newcomers from live replicas
    live = st["live"][jr]
    has_state = st["committed_ops"][jr] > 0
    readers = np.where(live, newcomers, np.where(has_state, g_size, 0))
    # (alone in the constellation: the checkpoint stays on board, no ISL time; no link to
    # the neighbour: the data waits, infinite time)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_load = np.where(readers > 0, 8.0 * ckpt / store_bps, 0.0)
        t_save_one = 8.0 * ckpt / (p * store_bps)
    t_load = np.nan_to_num(t_load, nan=0.0, posinf=np.inf)
    t_save_one = np.nan_to_num(t_save_one, nan=0.0, posinf=np.inf)
    read_b = readers * ckpt
    st["checkpoint_read_bytes"][jr] += read_b
    ckpt_bytes_step += float(read_b.sum())
    due = st["since_checkpoint_steps"][jr] + 1 >= s.interval_steps
    t_save = np.where(due, t_save_one, 0.0)
    # progress rate while working (FLOP/s)
    rate = e_min / dt  # per satellite
    with np.errstate(divide="ignore", invalid="ignore"):
        t_c = ops_step / (p * rate)
        bw = np.where(np.isfinite(ring_bps) & (ring_bps > 0), ring_bps, 1.0)
        t_ar = ring_allreduce_time_s(J["gradient_bytes"][jr], g_size, bw, hop_s)
        t_ar = np.where(g_size > 1, t_ar, 0.0)
        rho = np.where((rate > 0) & (ring_bps > 0), ops_step / (t_c + t_ar), 0.0)
    rho = np.nan_to_num(rho, nan=0.0, posinf=0.0)
    remaining = J["total_ops"][jr] - st["progress_ops"][jr]
    d_rel = (J["deadline"][jr] - tk) / 1e9
    window = np.minimum(dt, d_rel)
    with np.errstate(divide="ignore", invalid="ignore"):
        need_t = np.where(remaining > 0, remaining / rho, 0.0)
    need_t = np.nan_to_num(need_t, nan=np.inf)
    finish_t = t_load + need_t + t_save_one
    corrupt = st["corrupt"][jr]
    if config.silent_errors == "rollback":
        corrupt = corrupt | (silent > 0)
    st["silent_errors"][jr] += silent
    can_finish = finish_t <= window + 1e-12
    done = can_finish & ~fault & ~corrupt
    # work time (s) and the progress made in the step
    work_end = np.where(due, dt - t_save, dt)
    work_end = np.minimum(work_end, np.maximum(d_rel, 0.0))
    work_t = np.clip(work_end - t_load, 0.0, None)
    inc = np.minimum(rho * work_t, remaining)
    inc = np.where(can_finish, remaining, inc)
    n_train = np.where(ops_step > 0, inc / ops_step, 0.0)
    ar = n_train * 2.0 * (p - 1.0) * J["gradient_bytes"][jr]
    st["allreduce_bytes"][jr] += ar
    # each ring member sends (and receives) its 1/p share: 2 (p - 1) / p x G per step
    np.add.at(sat["allreduce_bytes_sent"], ps, np.repeat(ar / p, g_size))
    allreduce_b = float(ar.sum())
    st["ops_spent"][jr] += inc
    st["progress_ops"][jr] += inc
    ops_progress = float(inc.sum())
    st["live"][jr] = True
    st["since_checkpoint_steps"][jr] += 1
    # completion (the final model is written like a checkpoint)
    dj = jr[done]
    if dj.size:
        st["progress_ops"][dj] = J["total_ops"][dj]
        end_ns = tk + np.round(finish_t[done] * 1e9).astype(np.int64)
        st["end"][dj] = np.minimum(end_ns, J["deadline"][dj])
        status[dj] = _COMPLETED
        wb = J["checkpoint_bytes"][dj]
        st["checkpoint_write_bytes"][dj] += wb
        ckpt_bytes_step += float(wb.sum())
        st["checkpoints"][dj] += 1
        st["committed_ops"][dj] = J["total_ops"][dj]
        completed += int(dj.size)
    lost_now, ckpt_now, dropped_now = _settle(s, st, jr, done, fault, corrupt, due, can_finish, tk)
    ops_lost = lost_now
    ckpt_bytes_step += ckpt_now
    dropped += dropped_now
    j.update(
        completed=completed,
        dropped=dropped,
        ckpt_bytes=ckpt_bytes_step,
        ops_progress=ops_progress,
        ops_lost=ops_lost,
        allreduce_b=allreduce_b,
        ring_min=ring_min,
        ring_links=ring_links,
    )
    return j


def policy_decide(policy: Any, view: TrainingView) -> TrainingDecision:
    """``policy.decide(view)`` with its output checked (shapes, dtypes; one place for every
    workload: :mod:`spacecompute.scheduling.checks`); InputError if malformed."""
    assign, load, reject = check_training_decision(
        policy.decide(view), view.n, view.n_jobs, policy, view.step_index
    )
    return TrainingDecision(assign, load, reject)


def _ring_rates(term: Any, a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Optical rate of each ring link (bit/s): link budget at distance ``d``, 0 without line of
    sight or beyond the terminal's range."""
    rate = optical_rate_at_bps(term, term, np.maximum(d, 1e-3))
    ok = np.asarray(line_of_sight(a, b)) & (d <= term.max_range_m)
    return np.where(ok, rate, 0.0).reshape(d.shape)


def _checkpoint(st: dict[str, np.ndarray], J: dict[str, np.ndarray], idx: np.ndarray) -> float:
    """Write (or, when corrupt, fail to validate and roll back) checkpoints of jobs ``idx``
    that have new work; returns the bytes written."""
    new = st["progress_ops"][idx] > st["committed_ops"][idx]
    idx = idx[new]
    if idx.size == 0:
        return 0.0
    bad = st["corrupt"][idx]
    rb = idx[bad]
    if rb.size:
        lost = st["progress_ops"][rb] - st["committed_ops"][rb]
        st["ops_lost"][rb] += lost
        st["ops_lost_corrupt"][rb] += lost
        st["corrupt_rollbacks"][rb] += 1
        st["rollbacks"][rb] += 1
        st["progress_ops"][rb] = st["committed_ops"][rb]
        st["live"][rb] = False
        st["corrupt"][rb] = False
    ok = idx[~bad]
    st["committed_ops"][ok] = st["progress_ops"][ok]
    st["checkpoints"][ok] += 1
    wb = J["checkpoint_bytes"][ok]
    st["checkpoint_write_bytes"][ok] += wb
    return float(wb.sum())


def _ranges(used_row: np.ndarray) -> str:
    """Satellite indices as compact ranges, ``"0-15,20"``."""
    idx = np.flatnonzero(used_row)
    if idx.size == 0:
        return ""
    breaks = np.flatnonzero(np.diff(idx) > 1)
    lo = idx[np.r_[0, breaks + 1]]
    hi = idx[np.r_[breaks, idx.size - 1]]
    return ",".join(f"{a}" if a == b else f"{a}-{b}" for a, b in zip(lo, hi, strict=True))


def _finish(
    config: TrainingConfig,
    s: _Setup,
    st: dict[str, np.ndarray],
    sat: dict[str, np.ndarray],
    rows: dict[str, list[float]],
    row_times: list[int],
    totals: dict[str, float],
    n_steps: int,
    wall0: float,
    out_dir: Any,
) -> EngineResult:
    """Build the tables and the summary; write the run directory if asked."""
    J = s.jobs
    n_jobs = J["arrival"].size
    status, reason, end = st["status"], st["reason"], st["end"]
    completed = status == _COMPLETED
    latency = np.full(n_jobs, np.nan)
    latency[completed] = (end[completed] - J["arrival"][completed]) / 1e9
    tardy_ok = completed & (end <= J["deadline"])

    def ts(a: np.ndarray) -> np.ndarray:
        return a.astype("datetime64[ns]")

    satellites_used = np.array([_ranges(row) for row in st["used"]], dtype=object)
    job_table = Table(
        {
            "job_id": np.arange(n_jobs, dtype=np.int64),
            "kind": filled_column(n_jobs, JOB_KIND),
            "satellite": st["satellite"].copy(),
            "arrival": ts(J["arrival"]),
            "start": ts(st["start"]),
            "end": ts(end),
            "status": _STATUS_NAMES[status],
            "drop_reason": _REASON_NAMES[reason],
            "ops": J["total_ops"].copy(),
            "bytes_in": st["allreduce_bytes"] + st["checkpoint_read_bytes"],
            "bytes_out": st["checkpoint_write_bytes"].copy(),
            "latency_s": latency,
            "energy_j": st["energy_j"].copy(),
            "lat_deg": st["lat_deg"].copy(),
            "lon_deg": st["lon_deg"].copy(),
            "source_id": np.asarray(J["source_id"]).astype(np.int64),
            "deadline": ts(J["deadline"]),
            "params": J["params"].copy(),
            "memory_bytes": J["memory_bytes"].copy(),
            "checkpoint_bytes": J["checkpoint_bytes"].copy(),
            "gradient_bytes": J["gradient_bytes"].copy(),
            "parallelism": J["parallelism"].copy(),
            "min_width": J["min_width"].copy(),
            "max_width": J["max_width"].copy(),
            "satellites_max": st["max_participants"].copy(),
            "satellite_steps": st["satellite_steps"].copy(),
            "satellites_used": satellites_used,
            "progress_ops": st["progress_ops"].copy(),
            "ops_spent": st["ops_spent"].copy(),
            "ops_lost": st["ops_lost"].copy(),
            "ops_lost_corrupt": st["ops_lost_corrupt"].copy(),
            "ops_capacity": st["ops_capacity"].copy(),
            "allreduce_bytes": st["allreduce_bytes"].copy(),
            "checkpoint_write_bytes": st["checkpoint_write_bytes"].copy(),
            "checkpoint_read_bytes": st["checkpoint_read_bytes"].copy(),
            "checkpoints": st["checkpoints"].copy(),
            "rollbacks": st["rollbacks"].copy(),
            "corrupt_rollbacks": st["corrupt_rollbacks"].copy(),
            "silent_errors": st["silent_errors"].copy(),
            "on_time": tardy_ok,
        }
    )
    steps = Table(
        {
            "time": np.asarray(row_times, dtype=np.int64).astype("datetime64[ns]"),
            **{k: np.asarray(v, dtype=np.float64) for k, v in rows.items()},
        }
    )
    duration = n_steps * s.dt
    full = s.peak * duration
    satellites = Table(
        {
            "satellite": np.arange(s.n, dtype=np.int64),
            "name": np.asarray([str(x) for x in s.const.names], dtype=object),
            "ops_done": sat["ops_done"].copy(),
            "energy_j": sat["energy_j"].copy(),
            "busy_fraction": sat["ops_done"] / full if full > 0 else sat["ops_done"] * 0,
            "sunlit_fraction": sat["sunlit_sum"] / max(n_steps, 1),
            "energy_assigned_j": sat["energy_assigned_j"].copy(),
            "energy_unassigned_j": sat["energy_unassigned_j"].copy(),
            "ops_assigned": sat["ops_assigned"].copy(),
            "steps_assigned": sat["steps_assigned"].copy(),
            "allreduce_bytes_sent": sat["allreduce_bytes_sent"].copy(),
        }
    )
    lat_done = latency[completed]
    end_time = np.datetime64(s.start_ns, "ns") + np.timedelta64(round(duration * 1e9), "ns")
    dropped = status == _DROPPED
    due = J["deadline"] <= s.start_ns + n_steps * s.dt_ns
    summary: dict[str, Any] = {
        "scenario": config.scenario,
        "policy": s.policy.name,
        "start": str(np.datetime64(s.start_ns, "ns").astype("datetime64[s]")) + "Z",
        "end": str(np.datetime64(end_time, "s")) + "Z",
        "steps": n_steps,
        "step_s": s.dt,
        "satellites": s.n,
        "jobs_total": int(n_jobs),
        "jobs_completed": int(completed.sum()),
        "jobs_dropped": int(dropped.sum()),
        "bits_captured": None,
        "bits_processed": None,
        "bits_downlinked": None,
        "bits_dropped": None,
        "energy_compute_j": float(sat["energy_j"].sum()),
        "latency_median_s": float(np.median(lat_done)) if lat_done.size else None,
        "latency_p95_s": float(np.percentile(lat_done, 95)) if lat_done.size else None,
        "brownouts": totals["brownouts"],
        "faults_silent": totals["faults_silent"],
        "wall_time_s": _time.perf_counter() - wall0,
        # training
        "workload": JOB_KIND,
        "jobs_pending": int((status == _WAITING).sum()),
        "jobs_arrived": int(st["admitted"].sum()),
        "jobs_on_time": int(tardy_ok.sum()),
        "jobs_due": int(due.sum()),
        "jobs_missed_deadline": int((dropped & (reason == _R_DEADLINE)).sum()),
        "jobs_rejected": int((dropped & (reason == _R_REJECTED)).sum()),
        "jobs_never_fit": int((dropped & (reason == _R_NEVER_FITS)).sum()),
        "ops_completed_jobs": float(J["total_ops"][completed].sum()),
        "ops_executed": float(sat["ops_done"].sum()),
        "ops_spent": float(st["ops_spent"].sum()),
        "ops_lost": float(st["ops_lost"].sum()),
        "ops_lost_corrupt": float(st["ops_lost_corrupt"].sum()),
        "rollbacks": int(st["rollbacks"].sum()),
        "corrupt_rollbacks": int(st["corrupt_rollbacks"].sum()),
        "checkpoints": int(st["checkpoints"].sum()),
        "allreduce_bytes": float(st["allreduce_bytes"].sum()),
        "checkpoint_write_bytes": float(st["checkpoint_write_bytes"].sum()),
        "checkpoint_read_bytes": float(st["checkpoint_read_bytes"].sum()),
        "energy_jobs_j": float(st["energy_j"].sum()),
        "energy_completed_jobs_j": float(st["energy_j"][completed].sum()),
        "faults_detected": totals["faults_detected"],
        "reboots": totals["reboots"],
        "utilisation_mean": float(sat["ops_done"].sum() / (full * s.n)) if full > 0 else 0.0,
        "seed": int(config.seed),
        "constellation": config.constellation
        if isinstance(config.constellation, str)
        else (config.constellation.name or "custom"),
        "silent_errors_policy": config.silent_errors,
    }
    result = EngineResult(summary, job_table, steps, satellites)
    if out_dir is not None:
        from .rundir import write_run_tables

        result.path = write_run_tables(out_dir, job_table, steps, satellites, summary)
    return result


__all__ = [
    "DEFAULT_BATCH_TOKENS",
    "JOB_KIND",
    "TRAINING_POLICIES",
    "TrainingConfig",
    "TrainingForecast",
    "TrainingPredictor",
    "check_training_config",
    "policy_decide",
    "run_training",
]
