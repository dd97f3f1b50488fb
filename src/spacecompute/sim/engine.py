"""Engine v0: the Earth-observation (space edge computing) workload over a constellation.

Idea. Satellites image the ground (:func:`~spacecompute.workloads.eo.eo_frames`, one *job* per
imaging satellite and time step) and either send the raw frames down (*bent pipe*) or run the
model on board and send only the small results (*orbital edge computing*, Denby & Lucia,
"Orbital Edge Computing: Nanosatellite Constellations as a New Class of Computer System",
ASPLOS 2020). A :class:`Policy` sets each satellite's compute load every step; the
:class:`~spacecompute.spacecraft.fleet.Fleet` turns it into useful compute under power,
thermal and radiation limits; ground-station contacts give the downlink capacity.

One step ``k`` is the interval ``[t_k, t_{k+1})`` (the last instant of the run opens no step,
as in :func:`~spacecompute.workloads.eo.eo_frames`). Order inside a step, chosen so that every
stage only uses data that existed at the start of the step (causal; it costs one step of
latency per stage):

1. **policy**: ``Policy.decide(view)`` with the state at ``t_k`` (queues before this step's
   arrivals, state of charge and thermal throttle left by the previous step);
2. **fleet**: ``Fleet.step`` gives ``useful_fraction``; on-board capacity
   ``C = useful_fraction x peak ops/s (int8) x dt``;
3. **compute** (FIFO per satellite): jobs that arrived in earlier steps; a processed useful job
   joins the downlink queue with its result bits, a processed cloudy one is dropped (``cloudy``);
4. **downlink** (FIFO per satellite): capacity ``rate x dt`` of the station matched to the
   satellite (see :func:`match_stations`); only what was queued before step ``k`` is served
   (results of step 3 wait for step ``k + 1``);
5. **arrivals**: this step's frames are stored if they fit (else dropped, ``storage_full``) and
   join the compute queue (on-board policies) or the downlink queue (bent pipe).

FIFO without a loop over jobs: every job gets, at admission, its cumulative-demand offset
``E_j`` within its satellite's queue (``sum of demands up to and including j``); the satellite
keeps its cumulative service ``B_s``; a job is done when ``B_s >= E_j``, and its end time is
interpolated inside the step at constant rate, ``t_k + dt x (E_j - B_before) / capacity``. When
the capacity covers the whole queue, ``B_s`` is set to the demand total exactly, so the last job
finishes with no rounding residue (exact accounting).

Step columns: ``bits_processed`` raw bits whose inference finished (bent pipe: raw bits
downlinked, processed on the ground at once); ``bits_dropped`` raw bits of jobs dropped in the
step (``storage_full`` at arrival, or ``cloudy`` after inference); ``backlog_bits`` bits held on
board at the end of the step (raw frames awaiting inference + undelivered downlink bits). Extra
columns beyond the schema: ``ops_processed``, ``ops_capacity``, ``downlink_capacity_bits``,
``downlink_busy_s`` (satellite-seconds of ground-station time used).

Job columns beyond the schema: ``cloudy``, ``restarts``, ``faults`` (see below) and ``station``
(index into the run's stations of the station that received the job's last bits; -1 if not
delivered).

Faults act on jobs: a silent error of the fleet's radiation model in a step counts against the
job being computed on that satellite (its ``faults`` column; a completed job with faults has a
corrupt result: summary ``jobs_corrupted``); detected errors and reboots count as ``restarts``
of that job (the work they lose is redone: the fleet's useful fraction already charges it).

Energy: a job's ``energy_j`` is its ops x the payload's J/op at peak (``power_max_w / peak
ops/s``); a satellite's ``energy_j`` (and the summary's ``energy_compute_j``) is the electrical
energy the payload actually drew, idle power included.

Memory: the job store holds only unfinished jobs; a finished job's row is final and streams to
Parquet part files (:mod:`spacecompute.sim.sink`), and ``jobs.parquet`` is assembled from them
in job-id order at the end (docs/engine.md, "Memory independent of duration").
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._runtime import numba_threads_for
from ..astro.ground import GroundStations, ground_stations
from ..astro.timeutil import parse_time
from ..errors import InputError
from ..scheduling.checks import check_eo_decision
from ..scheduling.policies import (
    POLICIES,
    BentPipe,
    EnergyAware,
    OnBoard,
    Policy,
    PolicyView,
    get_policy,
)
from ..table import Table, filled_column
from .column_sum import ColumnSum
from .core import Chunk, Clock, Core, Demand, Grant, Step, StepRecord
from .forecast import EOPredictor, chunk_environment
from .queues import FifoQueues, JobStore
from .rundir import fleet_row
from .sink import ParquetTable, kept_table, write_table_stream

#: Storage per satellite when the bus preset states none (bytes): 30 TB / 12 satellites, the
#: Three-Body Computing Constellation's announced figure (see data/hardware.yaml).
DEFAULT_STORAGE_BYTES = 2.5e12
#: Default ground stations: polar (Svalbard, TrollSat, Inuvik, McMurdo) and low-latitude
#: (Singapore, Hartebeesthoek) sites of the built-in list.
DEFAULT_STATIONS: tuple[str, ...] = (
    "Svalbard",
    "TrollSat",
    "Inuvik",
    "McMurdo",
    "Singapore",
    "Hartebeesthoek",
)
RADIO_TERMINAL = "hiside-ka"
GROUND_TERMINAL = "ka-ground-7m3"
JOB_KIND = "eo-frames"


_PENDING, _COMPLETED, _DROPPED = 0, 1, 2
_STATUS_NAMES = np.array(["pending", "completed", "dropped"], dtype=object)
_REASON_NONE, _REASON_CLOUDY, _REASON_STORAGE = 0, 1, 2
_REASON_NAMES = np.array(["", "cloudy", "storage_full"], dtype=object)


# --------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class EngineConfig:
    """What to run. Times are UTC (ISO text or datetime64); durations in seconds.

    ``stations``: built-in station names or a
    :class:`~spacecompute.astro.ground.GroundStations`; ``radio_terminal`` / ``ground_terminal``:
    terminals of the link catalog for the downlink budget; ``shadow``: ``conical`` or
    ``cylindrical``. ``sensor``: a :class:`~spacecompute.workloads.eo.SensorModel` (default: the
    cote camera); ``aoi``: ``"land"``, ``"all"``, a GeoJSON path or mapping, or a shapely
    geometry (lon/lat degrees). ``constellation``: a preset name or a
    :class:`~spacecompute.astro.constellation.Constellation` (then ``bus`` is required).
    ``bus``: a bus preset of the hardware catalog (default: the constellation preset's own bus).
    ``storage_bytes`` per satellite defaults to the bus preset's, else
    :data:`DEFAULT_STORAGE_BYTES`. ``chunk_steps``: instants propagated at a time (results do
    not depend on it), at most what fits ``memory_budget_bytes`` (default
    :data:`CHUNK_MEMORY_BUDGET_BYTES`, or :data:`PIPELINED_CHUNK_BUDGET_BYTES` where SGP4 runs
    ahead in a second process; see :func:`chunk_steps_for`). ``seed`` drives clouds and
    radiation faults.
    """

    constellation: Any = "threebody"
    stations: tuple[str, ...] = DEFAULT_STATIONS
    start: str = "2026-01-01T00:00:00Z"
    duration_s: float = 6 * 3600.0
    step_s: float = 60.0
    propagator: str = "sgp4"
    policy: Any = "on-board"  # a built-in name or a user policy (scheduling.protocols)
    seed: int = 0
    chunk_steps: int = 240
    storage_bytes: float | None = None
    model: str = "yolov8n"
    cloud_fraction: float = 0.67
    scenario: str | None = None
    bus: str | None = None
    radio_terminal: str = RADIO_TERMINAL
    ground_terminal: str = GROUND_TERMINAL
    shadow: str = "conical"
    sensor: Any = None
    aoi: Any = "land"
    memory_budget_bytes: int | None = None

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"{name} = {getattr(self, name)!r}", field=name, expected=expected)

        for name in ("duration_s", "step_s"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise bad(name, "a finite number of seconds")
        if self.duration_s < self.step_s:
            raise bad("duration_s", f">= step_s ({self.step_s} s): at least one step")
        if self.step_s <= 0:
            raise bad("step_s", "seconds > 0")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise bad("seed", "an integer")
        if (
            isinstance(self.chunk_steps, bool)
            or not isinstance(self.chunk_steps, int | np.integer)
            or self.chunk_steps < 2
        ):
            raise bad("chunk_steps", "a whole number >= 2")
        if self.memory_budget_bytes is not None and (
            isinstance(self.memory_budget_bytes, bool)
            or not isinstance(self.memory_budget_bytes, int | np.integer)
            or self.memory_budget_bytes <= 0
        ):
            raise bad("memory_budget_bytes", "a whole number of bytes > 0, or None")
        if self.storage_bytes is not None and (
            isinstance(self.storage_bytes, bool)
            or not isinstance(self.storage_bytes, int | float)
            or not math.isfinite(self.storage_bytes)
            or self.storage_bytes < 0
        ):
            raise bad("storage_bytes", "bytes >= 0 or None")
        if isinstance(self.cloud_fraction, bool) or not 0.0 <= float(self.cloud_fraction) <= 1.0:
            raise bad("cloud_fraction", "0..1")
        from ..astro.ground import GroundStations

        if isinstance(self.stations, str) or len(self.stations) == 0:
            raise bad("stations", "a non-empty sequence of ground-station names")
        if not isinstance(self.stations, GroundStations):
            object.__setattr__(self, "stations", tuple(self.stations))
        if self.shadow not in ("conical", "cylindrical"):
            raise bad("shadow", "'conical' or 'cylindrical'")
        get_policy(self.policy)  # unknown name -> InputError listing the names


#: Memory one chunk of time steps may take by default (bytes), see :func:`chunk_steps_for`:
#: 29 steps of 100,000 satellites, 2 of 1,000,000 (6 stations). Smaller chunks cost little:
#: 100,000 satellites x 1 h in chunks of 15, 30 and 60 steps took 11.5, 11.2 and 10.5 s of CPU,
#: 500,000 x 10 min in chunks of 2 and 5 steps 12.3 and 12.4 s (docs/benchmarks.md).
CHUNK_MEMORY_BUDGET_BYTES = 2**30

#: The default budget instead where SGP4 runs one chunk ahead in its own process
#: (:mod:`~spacecompute.astro.prefetch`; the run would have two chunks or more): 6 steps of
#: 100,000 satellites, 2 of 1,000,000. The smaller chunks cost no time there (100,000
#: satellites x 2 h in chunks of 6, 14 and 29 steps: the same CPU time in both processes,
#: within 2 %) and take about 0.6 GiB off a 100,000-satellite run (docs/benchmarks.md).
PIPELINED_CHUNK_BUDGET_BYTES = 2**28

#: Bytes a chunk holds per satellite and instant, beyond 8 per station (see :func:`chunk_steps_for`).
CHUNK_BYTES_PER_SATELLITE_INSTANT = 300

#: Memory each FIFO queue (compute, downlink) may hold its queued jobs in: past it, the queues
#: of the satellites with the most jobs wait on disk (:mod:`~spacecompute.sim.spill`) until
#: they are served. 512 MiB is about 11 million jobs at :data:`QUEUE_BYTES_PER_JOB`: a
#: 100,000-satellite day (5.6 million waiting) never reaches it; a million-satellite day (56
#: million) does. ``SPACECOMPUTE_BACKLOG_JOBS`` (a number of jobs) overrides it (tests force
#: the disk with a few jobs); the results are the same either way.
BACKLOG_MEMORY_BYTES = 2**29

#: Bytes a queued job takes in a :class:`~spacecompute.sim.queues.FifoQueues` (its slot: id,
#: offset, size, sequence number, next slot, started, and its place on the free stack).
QUEUE_BYTES_PER_JOB = 49


def backlog_budget_jobs() -> int:
    """Queued jobs a FIFO queue keeps in memory (see :data:`BACKLOG_MEMORY_BYTES`)."""
    import os

    given = os.environ.get("SPACECOMPUTE_BACKLOG_JOBS", "").strip()
    if given:
        try:
            jobs = int(given)
        except ValueError:
            jobs = -1
        if jobs < 0:
            raise InputError(
                f"SPACECOMPUTE_BACKLOG_JOBS = {given!r}",
                field="SPACECOMPUTE_BACKLOG_JOBS",
                expected="a whole number of jobs >= 0",
            )
        return jobs
    return BACKLOG_MEMORY_BYTES // QUEUE_BYTES_PER_JOB


def runs_ahead(const: Any, propagator: str) -> bool:
    """True where a run of ``const`` by ``propagator`` has its chunks propagated ahead in a
    second process (:mod:`spacecompute.astro.prefetch`): its chunks may then be smaller
    (:data:`PIPELINED_CHUNK_BUDGET_BYTES`) at no cost in time."""
    from ..astro.prefetch import PREFETCH_MIN_SATELLITES, prefetch_pays

    if propagator != "sgp4" or len(const) < PREFETCH_MIN_SATELLITES:
        return False
    return prefetch_pays(const.propagator("sgp4"), len(const), 2)


def run_chunk_steps(
    const: Any,
    propagator: str,
    total_steps: int,
    chunk_steps: int,
    *,
    n_stations: int = 0,
    budget_bytes: int | None = None,
    bytes_per_satellite_instant: int = CHUNK_BYTES_PER_SATELLITE_INSTANT,
) -> int:
    """The chunk length of a run: :func:`chunk_steps_for` in ``budget_bytes`` (the default
    budget when None), or in :data:`PIPELINED_CHUNK_BUDGET_BYTES` where no budget was given,
    the run needs more than one chunk and its chunks are propagated ahead
    (:func:`runs_ahead`)."""
    n = len(const)
    per = bytes_per_satellite_instant
    steps = chunk_steps_for(n, n_stations, chunk_steps, budget_bytes, per)
    if budget_bytes is None and total_steps > steps and runs_ahead(const, propagator):
        steps = chunk_steps_for(n, n_stations, chunk_steps, PIPELINED_CHUNK_BUDGET_BYTES, per)
    return steps


def chunk_steps_for(
    n_satellites: int,
    n_stations: int,
    chunk_steps: int,
    budget_bytes: int | None = None,
    bytes_per_satellite_instant: int = CHUNK_BYTES_PER_SATELLITE_INSTANT,
) -> int:
    """``chunk_steps`` capped so that one chunk's arrays fit ``budget_bytes`` (>= 2 instants).
    ``bytes_per_satellite_instant``: what a workload's chunk holds beyond the stations' rates
    (the Earth-observation engine's by default).

    Per satellite and instant a chunk holds at most ``8 x stations + 300`` bytes
    (:data:`CHUNK_BYTES_PER_SATELLITE_INSTANT`): the downlink rate of every station-satellite
    pair (float64), the propagated positions and velocities in two frames with their validity,
    geodetic positions (24), sunlit fraction (12) and the visible pairs and imaging steps. The
    arrays come from a pool reused from chunk to chunk (:data:`~spacecompute.sim.forecast.CHUNK_BUFFERS`),
    one set of them: a workload lets go of a chunk's arrays before the next one is made.
    Measured (6 stations, 100,000 satellites x 1 h in chunks of 10 and 30 steps): peak RSS grew
    by 292 bytes per satellite-instant with the propagation in the run's process (a copy of each
    chunk extended by the previous chunk's last instant), by 203 in the run's process with the
    pipelined propagation (which holds its own chunk in its own process).
    """
    budget = CHUNK_MEMORY_BUDGET_BYTES if budget_bytes is None else int(budget_bytes)
    per_instant = max(int(n_satellites), 1) * (8 * int(n_stations) + bytes_per_satellite_instant)
    return int(max(2, min(int(chunk_steps), budget // per_instant - 1)))


# --------------------------------------------------------------------------------------------
# station matching and FIFO service


def match_stations(
    rate_bps: np.ndarray,
    *,
    stations_out: np.ndarray | None = None,
    columns: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy one-to-one matching of stations to satellites by rate; returns (N,) rates.

    ``stations_out`` (N,) int64, if given, receives the matched station of each satellite (-1:
    none). ``columns``: the satellites that take part, ascending (default: every satellite with
    a link); the others get no station, as if their rates were 0.

    ``rate_bps`` (S, N): achievable rate of each station-satellite pair (0: no link). Each
    station serves at most one satellite and each satellite uses at most one station. Greedy
    by rate (take the best remaining pair, remove its station and satellite, repeat), computed
    in rounds without a loop over pairs: in each round every *locally dominant* pair (the best
    of its station's row and of its satellite's column) is taken. With distinct rates this gives
    exactly the greedy matching (Preis, STACS 1999); ties are broken by the lowest index
    (argmax), deterministically. Rounds <= min(S, N).
    """
    rate = np.asarray(rate_bps, dtype=np.float64)
    s_n, n = rate.shape
    out = np.zeros(n)
    if stations_out is not None:
        stations_out[:] = -1
    if s_n == 0 or n == 0:
        return out
    # only satellites with a link take part (a few hundred of 1e6): same argmax ties, as the
    # columns keep their order
    cols = np.flatnonzero((rate > 0).any(axis=0)) if columns is None else columns
    if cols.size == 0:  # no link this step (most steps of a small fleet)
        return out
    r = rate[:, cols]
    rows = np.arange(s_n)
    while True:
        r[~(r > 0)] = 0.0
        if not r.any():
            return out
        best_sat = np.argmax(r, axis=1)  # (S,)
        best_station = np.argmax(r, axis=0)  # (N,)
        row_ok = r[rows, best_sat] > 0
        mutual = row_ok & (best_station[best_sat] == rows)
        st, sat = rows[mutual], best_sat[mutual]
        out[cols[sat]] = r[st, sat]
        if stations_out is not None:
            stations_out[cols[sat]] = st
        r[st, :] = 0.0
        r[:, sat] = 0.0


# --------------------------------------------------------------------------------------------
# the run


@dataclass
class EngineResult:
    """Summary (keys of :data:`spacecompute.results.store.SUMMARY_KEYS`) and the tables."""

    summary: dict[str, Any]
    jobs: Table
    steps: Table
    satellites: Table
    path: Any = None
    trace: dict[str, np.ndarray] | None = None
    contacts: Table | None = None
    parts: dict[str, EngineResult] | None = None  # a mixed run's results per workload


class _EOJobs(JobStore):
    """The job store with the EO engine's fault counters: ``restarts`` (detected errors and
    reboots while the job was being computed: its lost work is redone, which the fleet's useful
    fraction already charges) and ``faults`` (silent errors while it was computed: its result
    is corrupt)."""

    _INT = (*JobStore._INT, "restarts", "faults", "station")
    _IN_FLIGHT = ("result_bytes",)  # not in the jobs table: not written to the parts
    _NARROW: ClassVar[dict[str, Any]] = {
        **JobStore._NARROW,
        "restarts": np.int32,
        "faults": np.int32,
        "station": np.int32,
    }


_TRACE_KEYS = (
    "ops_processed",
    "ops_capacity",
    "bits_downlinked",
    "downlink_capacity_bits",
    "compute_load",
)


class _EORun:
    """State and step of one Earth-observation run (see the module docstring for the order)."""

    def __init__(self, config: EngineConfig, trace: bool) -> None:
        from ..network.links import terminal
        from ..spacecraft.fleet import Fleet
        from ..workloads.inference import model_spec
        from .rundir import SCHEMAS  # the run-directory contract

        self.config = config
        self.policy = get_policy(config.policy)
        model_spec(config.model)
        self.start = parse_time(config.start, field="start")
        self.const = _constellation(config, self.start)
        n = self.n = len(self.const)
        if n == 0:
            raise InputError("the constellation has no satellites", field="constellation")
        if config.bus is None and not isinstance(config.constellation, str):
            raise InputError(
                "a constellation given as elements needs a bus",
                field="bus",
                expected="a bus preset of the hardware catalog",
            )
        self.fleet = (
            Fleet.for_constellation(config.constellation, n, seed=int(config.seed))
            if config.bus is None
            else Fleet.from_bus(config.bus, n, seed=int(config.seed))
        )
        bus = self.fleet.bus
        self.precision = inference_precision(bus)
        self.peak = float(bus.compute_peak_ops_per_s(self.precision))
        self.joule_per_op = float(bus.compute_power_max_w) / self.peak if self.peak > 0 else 0.0
        self.storage_bytes = float(
            config.storage_bytes
            if config.storage_bytes is not None
            else (bus.storage_bytes if bus.storage_bytes is not None else DEFAULT_STORAGE_BYTES)
        )
        self.stations = (
            config.stations
            if isinstance(config.stations, GroundStations)
            else ground_stations(list(config.stations))
        )
        self.radio, self.ground = terminal(config.radio_terminal), terminal(config.ground_terminal)
        self.dt = float(config.step_s)
        self.dt_ns = round(self.dt * 1e9)
        self.total_steps = int(np.floor(config.duration_s / self.dt + 1e-9))
        self.step_columns = [k for k in SCHEMAS["steps"] if k != "time"]
        self.step_columns += [
            "ops_processed",
            "ops_capacity",
            "downlink_capacity_bits",
            "downlink_busy_s",
        ]

        self.jobs = _EOJobs()
        self.compute_q, self.downlink_q = FifoQueues(n), FifoQueues(n)
        self.rows = {k: np.zeros(self.total_steps) for k in self.step_columns}
        self.step_time_ns = np.zeros(self.total_steps, np.int64)
        self.raw_held_bytes = np.zeros(n)  # raw frames waiting for on-board compute
        self.sat_ops = np.zeros(n)
        self.sat_energy = np.zeros(n)
        self.sat_sunlit = np.zeros(n)
        self.current_job = np.full(n, -1, np.int64)  # last job computed on each satellite
        # a satellite's current job when its computation is over: not parked while faults can
        # still be charged to it (see _park)
        self.held_back = np.full(n, -1, np.int64)
        self.totals = np.zeros(2)  # silent faults, brown-outs
        self.steps_done = 0
        self.trace: dict[str, list[np.ndarray]] | None = (
            {k: [] for k in _TRACE_KEYS} if trace else None
        )

    # -- checkpoints --------------------------------------------------------------------------
    _ARRAYS = ("raw_held_bytes", "sat_ops", "sat_energy", "sat_sunlit", "current_job", "totals")

    def state_dict(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"steps_done": np.asarray(self.steps_done)}
        out.update({k: getattr(self, k) for k in self._ARRAYS})
        out["step_time_ns"] = self.step_time_ns
        out["held_back"] = self.held_back
        out.update({"row." + k: v for k, v in self.rows.items()})
        out.update({"jobs." + k: v for k, v in self.jobs.state_dict().items()})
        out.update({"cq." + k: v for k, v in self.compute_q.state_dict().items()})
        out.update({"dq." + k: v for k, v in self.downlink_q.state_dict().items()})
        policy_state = getattr(self.policy, "state_dict", None)
        if callable(policy_state):
            out.update({"policy." + k: v for k, v in policy_state().items()})
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        def part(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}

        try:
            for k in self._ARRAYS:
                cur = getattr(self, k)
                new = np.array(state[k], dtype=cur.dtype)
                if new.shape != cur.shape:
                    raise ValueError(f"{k} has shape {new.shape}, expected {cur.shape}")
                setattr(self, k, new)
            self.step_time_ns = np.array(state["step_time_ns"], np.int64)
            if "held_back" in state:  # (where rows wait, not what they hold)
                self.held_back = np.array(state["held_back"], np.int64).reshape(self.n)
            self.rows = {k: np.array(state["row." + k], np.float64) for k in self.step_columns}
            if self.step_time_ns.shape != (self.total_steps,):
                raise ValueError("the checkpoint has another number of steps")
            self.jobs.load_state_dict(part("jobs."))
            self.compute_q.load_state_dict(part("cq."))
            self.downlink_q.load_state_dict(part("dq."))
            self.steps_done = int(state["steps_done"])
        except (KeyError, ValueError) as exc:
            raise InputError(
                f"the checkpoint does not match this run ({exc})",
                field="--resume",
                expected="a checkpoint of the same scenario and options",
            ) from None
        policy_load = getattr(self.policy, "load_state_dict", None)
        if callable(policy_load):
            policy_load(part("policy."))

    # -- the run ------------------------------------------------------------------------------
    def predictor(self) -> EOPredictor:
        c = self.config
        return EOPredictor(
            self.const,
            self.stations,
            self.radio,
            self.ground,
            self.start,
            self.dt,
            self.total_steps,
            c.propagator,
            c.model,
            float(c.cloud_fraction),
            int(c.seed),
            self.fleet.bus,
            self.peak,
            self.storage_bytes,
            c.shadow,
            c.sensor,
            c.aoi,
        )

    # -- the workload plug-in of the core (sim/core.py) ----------------------------------------
    kind = "earth-observation"
    recording = False  # the core sets it when the run records states

    def clock(self) -> Clock:
        c = self.config
        steps = run_chunk_steps(
            self.const, c.propagator, self.total_steps, int(c.chunk_steps),
            n_stations=len(self.stations), budget_bytes=c.memory_budget_bytes,
        )  # fmt: skip
        return Clock(self.start, self.dt, self.total_steps, c.propagator, steps, c.shadow)

    def prepare(self) -> None:
        prepare = getattr(self.policy, "prepare", None)
        if callable(prepare):
            prepare(self.predictor())

    def begin_chunk(self, chunk: Chunk) -> None:
        c = self.config
        self.end_chunk()  # the previous chunk's arrays go back to the pool before these are made
        self.eph = chunk.eph
        self.env = chunk_environment(
            chunk.eph,
            self.stations,
            self.radio,
            self.ground,
            model=c.model,
            cloud_fraction=c.cloud_fraction,
            seed=int(c.seed),
            shadow=c.shadow,
            sensor=c.sensor,
            aoi=c.aoi,
        )
        chunk.provide(sun_eci_m=self.env.sun_eci_m, sunlit=self.env.sunlit)
        # which satellites a station can reach at each instant of the chunk, and whether any
        # can (the policy's view and the downlink's matching, once per chunk)
        self._in_contact = (self.env.rate_bps > 0).any(axis=1)
        self._contact = self._in_contact.any(axis=1)

    def end_chunk(self) -> None:
        """Let go of the chunk's arrays (ephemeris, rates, frames), so that the pool hands them
        out again for the next chunk instead of allocating a second set beside them."""
        self.eph = self.env = None
        self._in_contact = self._contact = None

    def stream_tables(self, folder: Any, *, resume: bool) -> None:
        """Stream finished jobs to part files under ``folder`` (None: a temporary folder), the
        parts of a resumed run kept (see :meth:`JobStore.stream_to`)."""
        self.jobs.stream_to(None if folder is None else folder / "jobs", resume=resume)
        budget = backlog_budget_jobs()
        for name, queue in (("compute", self.compute_q), ("downlink", self.downlink_q)):
            where = None if folder is None else folder / f"backlog-{name}"
            queue.spill_to(where, budget, resume=resume)

    def close_tables(self) -> None:
        """Remove what the run kept on disk while it ran (parts, waiting jobs)."""
        self.compute_q.close()
        self.downlink_q.close()
        self.jobs.close()  # last: it removes the folders the parts leave empty

    def result(self, wall0: float, out_dir: Any) -> EngineResult:
        return _finish(self, wall0, out_dir)

    def run(self, checkpoint: Any, progress: Callable[[int, int], None] | None) -> None:
        """Run alone on the core (what :func:`run_engine` does, without a run directory)."""
        from .core import Core

        core = Core([self])
        core.steps_done = self.steps_done
        core.run(checkpoint=checkpoint, progress=progress)

    def demand(self, step: Step) -> Demand:
        """1. policy: the load it sets with the state at ``t_k``."""
        k, fleet = step.k, self.fleet
        storage_used = self.raw_held_bytes + self.downlink_q.backlog() / 8.0
        view = PolicyView(
            sunlit=self.env.sunlit[k],
            state_of_charge=fleet.state_of_charge,
            thermal_throttle=fleet.thermal_throttle,
            backlog_ops=self.compute_q.backlog(),
            storage_used_bytes=storage_used,
            storage_bytes=self.storage_bytes,
            in_contact=self._in_contact[k],
            peak_ops_per_s=self.peak,
            dt_s=self.dt,
            step_index=step.index,
            time_ns=int(self.env.times_ns[k]),
        )
        self._load = check_eo_decision(self.policy.decide(view), self.n, self.policy, step.index)
        return Demand(self._load, storage_bytes=storage_used)

    def advance(self, step: Step, grant: Grant) -> StepRecord | None:
        """2.-5. with the fleet's step: compute, downlink, arrivals, accounting."""
        n, dt, dt_ns, peak = self.n, self.dt, self.dt_ns, self.peak
        jobs, compute_q, downlink_q = self.jobs, self.compute_q, self.downlink_q
        policy, env, k = self.policy, self.env, step.k
        i = step.index
        tk = int(env.times_ns[k])
        sunlit = env.sunlit[k]
        rate_k = env.rate_bps[k]
        load = self._load
        completed = dropped = 0
        bits_dropped = 0.0
        # 2. fleet (stepped by the core with this load)
        fs = grant.fleet
        ops_cap = fs.useful_fraction * peak * dt
        power = fs.compute_power_w.copy()
        self.sat_energy += power * dt
        self.sat_sunlit += sunlit
        silent = fs.silent_errors
        self.totals[0] += float(silent.sum())
        brownouts = float(np.count_nonzero(fs.brownout))
        self.totals[1] += brownouts
        # 3. compute (most steps of a small fleet start and finish nothing: the job columns
        # are touched only where there are jobs)
        ops_done, st_ids, st_frac, done_ids, end_frac = compute_q.serve(ops_cap)
        self.sat_ops += ops_done
        cols = jobs.cols  # the store's columns, by rows found once per batch of ids
        if st_ids.size:
            rows = jobs.slots(st_ids)
            st_sats = cols["satellite"][rows].astype(np.int64)
            cols["start"][rows] = tk + np.round(st_frac * dt_ns).astype(np.int64)
            # faults act on the job being computed: the last one started on each satellite
            # (FIFO, so later starts overwrite earlier ones: numpy assigns repeated indices in
            # order)
            self.current_job[st_sats] = st_ids
            self._park(st_sats, None)
        detected = fs.detected_errors
        if silent.any() or detected.any() or fs.reboots.any():
            self._charge_faults(fs, ops_done)
        bits_processed = 0.0
        pending_dl = None
        if done_ids.size:  # (rows stay where they are until the next job is added)
            rows = jobs.slots(done_ids)
            done_sats = cols["satellite"][rows].astype(np.int64)
            done_bits = cols["bits"][rows]
            bits_processed = float(done_bits.sum())
            np.subtract.at(self.raw_held_bytes, done_sats, done_bits / 8)
            self.raw_held_bytes[self.raw_held_bytes < 0] = 0.0
            end_ns = tk + np.round(end_frac * dt_ns).astype(np.int64)
            cols["energy_j"][rows] = cols["ops"][rows] * self.joule_per_op
            cloudy = cols["cloudy"][rows]
            cid = done_ids[cloudy]
            if cid.size:
                cloudy_rows = rows[cloudy]
                cols["status"][cloudy_rows] = _DROPPED
                cols["reason"][cloudy_rows] = _REASON_CLOUDY
                cols["end"][cloudy_rows] = end_ns[cloudy]
                dropped += int(cid.size)
                bits_dropped += float(done_bits[cloudy].sum())
            useful = ~cloudy
            uid = done_ids[useful]
            if uid.size:
                results = cols["result_bytes"][rows[useful]]
                cols["bytes_out"][rows[useful]] = results
                pending_dl = (uid, done_sats[useful], results * 8.0)
                self._park(pending_dl[1], uid)
        # 4. downlink (queue as it was at the start of the step)
        # only satellites with a link and something to send take part (what masking the
        # others' rates to 0 did, without a pass over every station-satellite pair)
        station_of = np.empty(n, np.int64)
        if self._contact[k]:
            sending = np.flatnonzero(self._in_contact[k] & (downlink_q.backlog() > 0))
            rate = match_stations(rate_k, stations_out=station_of, columns=sending)
        else:  # no link at all: no station (what match_stations gives)
            rate = np.zeros(n)
            station_of.fill(-1)
        dl_cap = rate * dt
        bits_dl, dst_ids, dst_frac, dl_ids, dl_frac = downlink_q.serve(dl_cap)
        if not policy.on_board:
            if dst_ids.size:
                jobs["start"][dst_ids] = tk + np.round(dst_frac * dt_ns).astype(np.int64)
            bits_processed = float(bits_dl.sum())
        if dl_ids.size:
            jobs.set_final(
                dl_ids,
                status=_COMPLETED,
                station=station_of[downlink_q.done_sats],
                end=tk + np.round(dl_frac * dt_ns).astype(np.int64),
            )
            completed += int(dl_ids.size)
        if pending_dl is not None:
            downlink_q.push(*pending_dl)
        # 5. arrivals
        bits_captured, n_drop, bits_drop = self._arrivals(k, tk)
        dropped += n_drop
        bits_dropped += bits_drop
        # per-step aggregates
        self.step_time_ns[i] = tk
        values = {
            **fleet_row(fs, power, ops_done, peak * dt),
            "bits_captured": bits_captured,
            "bits_processed": bits_processed,
            "bits_downlinked": float(bits_dl.sum()),
            "bits_dropped": bits_dropped,
            "backlog_bits": float((self.raw_held_bytes * 8.0 + downlink_q.backlog()).sum()),
            "jobs_completed": float(completed),
            "jobs_dropped": float(dropped),
            "brownouts": brownouts,
            "faults": float(fs.silent_errors.sum() + fs.detected_errors.sum()),
            "ops_processed": float(ops_done.sum()),
            "ops_capacity": float(ops_cap.sum()),
            "downlink_capacity_bits": float(dl_cap.sum()),
            "downlink_busy_s": float(
                np.divide(bits_dl, rate, out=np.zeros(n), where=rate > 0).sum()
            ),
        }
        for key, v in values.items():
            self.rows[key][i] = v
        if self.trace is not None:
            for key, arr in zip(
                _TRACE_KEYS, (ops_done, ops_cap, bits_dl, dl_cap, load), strict=True
            ):
                self.trace[key].append(np.array(arr, copy=True))
        self.steps_done = i + 1
        if not self.recording:
            return None
        computing = ops_done > 0
        return StepRecord(computing, compute_q.backlog(), np.where(computing, self.current_job, -1))

    def _charge_faults(self, fs: Any, ops_done: np.ndarray) -> None:
        """Faults of the fleet's step against the job computed on each satellite that computed:
        silent errors to its ``faults``, detected errors and reboots to its ``restarts``."""
        jobs = self.jobs
        computing = (ops_done > 0) & (self.current_job >= 0)
        hit_silent = computing & (fs.silent_errors > 0)
        if hit_silent.any():
            jobs.add_at("faults", self.current_job[hit_silent], fs.silent_errors[hit_silent])
        hit_detected = computing & ((fs.detected_errors > 0) | (fs.reboots > 0))
        if hit_detected.any():
            cur = self.current_job[hit_detected]
            jobs.add_at(
                "restarts",
                cur,
                (fs.detected_errors[hit_detected] + fs.reboots[hit_detected]).astype(np.int64),
            )

    def _park(self, sats: np.ndarray, done: np.ndarray | None) -> None:
        """Park results waiting for their downlink: their rows are final but for status, end
        and station, so they leave the store (sim/queues.py ``JobStore.park``). ``done``: jobs
        whose computation ended this step, on satellites ``sats``; None: ``sats`` started jobs.
        A satellite's current job (the one faults are charged to) is held back until another
        starts there, so that nothing is ever added to a parked row."""
        prev = self.held_back[sats]
        go = (prev >= 0) & (prev != self.current_job[sats])
        if done is not None:
            hold = done == self.current_job[sats]
            go |= hold & (prev >= 0)
            self.jobs.park(done[~hold])
        if go.any():
            self.jobs.park(np.unique(prev[go]))  # (those downlinked meanwhile stay as they are)
            self.held_back[sats[go]] = -1
        if done is not None:
            self.held_back[sats[hold]] = done[hold]

    def _arrivals(self, k: int, tk: int) -> tuple[float, int, float]:
        """5. arrivals: this step's frames are stored if they fit (FIFO prefix per satellite,
        else dropped, ``storage_full``) and join the compute or the downlink queue. Returns
        (bits captured, jobs dropped, bits dropped)."""
        env, jobs, policy = self.env, self.jobs, self.policy
        compute_q, downlink_q = self.compute_q, self.downlink_q
        dropped, bits_dropped = 0, 0.0
        frames = env.frames
        a, b = int(env.frame_bounds[k]), int(env.frame_bounds[k + 1])
        bits_captured = 0.0
        if b > a:
            sl = slice(a, b)
            sats = frames["satellite"][sl]
            bits = frames["bits"][sl].astype(np.float64)
            ids = jobs.add(
                satellite=sats,
                arrival=np.full(b - a, tk, np.int64),
                ops=frames["ops"][sl],
                bits=bits,
                result_bytes=frames["result_bytes"][sl],
                lat_deg=frames["lat_deg"][sl],
                lon_deg=frames["lon_deg"][sl],
                cloudy=frames["cloudy"][sl],
                status=np.full(b - a, _PENDING),
                reason=np.full(b - a, _REASON_NONE),
            )
            bits_captured = float(bits.sum())
            # storage admission: FIFO prefix of this step's frames per satellite
            used = self.raw_held_bytes + downlink_q.backlog() / 8.0
            order = np.argsort(sats, kind="stable")
            s_o, by_o = sats[order], bits[order] / 8.0
            csum = np.cumsum(by_o)
            first = np.concatenate(((True,), s_o[1:] != s_o[:-1]))
            gstart = np.maximum.accumulate(np.where(first, np.arange(s_o.size), 0))
            within = csum - (csum - by_o)[gstart]
            fits = np.empty(b - a, bool)
            fits[order] = used[s_o] + within <= self.storage_bytes
            ops = frames["ops"][sl]
            keep, keep_sats, keep_bits = ids, sats, bits
            if not fits.all():
                drop_ids = ids[~fits]
                jobs["status"][drop_ids] = _DROPPED
                jobs["reason"][drop_ids] = _REASON_STORAGE
                jobs["end"][drop_ids] = tk
                dropped += int(drop_ids.size)
                bits_dropped += float(bits[~fits].sum())
                keep, keep_sats, keep_bits, ops = ids[fits], sats[fits], bits[fits], ops[fits]
            if policy.on_board:
                compute_q.push(keep, keep_sats, ops.astype(np.float64))
                np.add.at(self.raw_held_bytes, keep_sats, keep_bits / 8.0)
            else:
                jobs["bytes_out"][keep] = keep_bits / 8.0
                downlink_q.push(keep, keep_sats, keep_bits)
        return bits_captured, dropped, bits_dropped


#: Precisions tried in order for on-board inference: int8 (the usual deployment of quantized
#: vision models), then fp16, bf16, fp32 for hardware without int8 (e.g. the Jetson TX2).
INFERENCE_PRECISIONS: tuple[str, ...] = ("int8", "fp16", "bf16", "fp32")


def inference_precision(bus: Any) -> str:
    """The first precision of :data:`INFERENCE_PRECISIONS` the bus's payload has a peak for."""
    for precision in INFERENCE_PRECISIONS:
        if bus.compute_peak_ops_per_s(precision) > 0:
            return precision
    return INFERENCE_PRECISIONS[0]


def _constellation(config: EngineConfig, start: np.datetime64) -> Any:
    """The configured constellation: a preset name, or a Constellation object as given."""
    from ..astro.constellation import Constellation
    from ..astro.presets import preset_constellation

    if isinstance(config.constellation, Constellation):
        return config.constellation
    return preset_constellation(config.constellation, epoch=start)


def check_engine_config(config: EngineConfig) -> None:
    """Build what a run of ``config`` is made of (constellation, fleet, terminals, the area of
    interest), without stepping; raises :class:`InputError` for a configuration the run would
    refuse (``spacecompute validate`` calls it)."""
    from ..workloads.eo import _aoi_mask_fn

    if not isinstance(config, EngineConfig):
        raise InputError(f"config is a {type(config).__name__}", expected="an EngineConfig")
    _EORun(config, trace=False)
    _aoi_mask_fn(config.aoi)


def run_engine(
    config: EngineConfig,
    out_dir: Any = None,
    *,
    trace: bool = False,
    checkpoint: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> EngineResult:
    """Run ``config``; with ``out_dir`` also write a run directory (RunWriter, then finish).

    ``trace=True`` keeps per-step, per-satellite arrays (steps, N) in ``EngineResult.trace``:
    ops_processed, ops_capacity, bits_downlinked, downlink_capacity_bits, compute_load (of the
    steps run by this call). ``checkpoint``: a :class:`~spacecompute.sim.checkpoint.Checkpointer`;
    a saved state is restored first and the run continues from it, and the state is saved every
    ``checkpoint.every_steps`` steps. ``progress(steps_done, total_steps)`` is called after every
    step (an exception it raises, e.g. ``KeyboardInterrupt``, stops the run; the last checkpoint
    stays).
    """
    if not isinstance(config, EngineConfig):
        raise InputError(f"config is a {type(config).__name__}", expected="an EngineConfig")
    wall0 = _time.perf_counter()
    state = _EORun(config, trace)
    with numba_threads_for(state.n):
        Core([state]).run(checkpoint=checkpoint, progress=progress, out_dir=out_dir)
    return state.result(wall0, out_dir)


#: Steps of the throwaway run :func:`warm_up` makes (enough to reach the kernels of the step:
#: the fleet's models, both queues, the first frames).
WARM_UP_STEPS = 30
_WARM_UP_POLICIES = ("bent-pipe", "on-board", "energy-aware")


def warm_up(config: EngineConfig, steps: int = WARM_UP_STEPS, *, tables: bool = True) -> None:
    """Load (or, with a cold numba cache, compile) the kernels and modules a run of ``config``
    uses by stepping a throwaway copy of it for its first ``steps`` steps, writing nothing;
    ``tables``: the runs will write Parquet tables (a run directory), so import pyarrow too.

    Why: processes forked afterwards (one per policy, :mod:`spacecompute._forked`) inherit what
    this process loaded, instead of each loading the same cached kernels, or on the first run
    after an install each compiling them, at the same time. The copy runs one of the simple
    built-in policies (``on-board`` in place of any other: no user code runs twice) and never
    starts numba's threads (so this process may still fork)."""
    if not isinstance(config, EngineConfig):
        return
    from dataclasses import replace

    from .._precompile import precompile
    from .forecast import CHUNK_BUFFERS

    precompile()  # on an empty numba cache: the default run's kernels, on both cores

    given = config.policy
    policy = given if isinstance(given, str) and given in _WARM_UP_POLICIES else "on-board"
    short = replace(config, policy=policy, duration_s=min(config.duration_s, steps * config.step_s))
    state = _EORun(short, trace=False)
    try:
        Core([state])._run(None, None, None)  # not Core.run: it sets numba's thread count
    finally:
        CHUNK_BUFFERS.clear()
        state.close_tables()
    if tables:  # each run writes its tables with it: imported once, here
        import pyarrow  # noqa: F401


def contact_table(run: _EORun) -> Table:
    """Contact windows of the run's stations and satellites over the run (the run directory's
    ``contacts`` table), streamed by :class:`~spacecompute.astro.access.ContactTracker` in its
    own pass over the orbits: contacts do not depend on decisions, so this needs no state in
    checkpoints. Geometric visibility above each station's mask (the engine's downlink also
    needs the link budget to close)."""
    from ..astro.access import ContactTracker

    tracker = ContactTracker(run.stations, run.n, satellite_names=run.const.names)
    for eph in run.const.propagate_chunks(
        run.start,
        run.total_steps * run.dt,
        run.dt,
        run.config.propagator,
        chunk_steps=chunk_steps_for(
            run.n, len(run.stations), int(run.config.chunk_steps), run.config.memory_budget_bytes
        ),
        velocities=False,
    ):
        tracker.update(eph.times, eph.r_ecef_m)
    return tracker.finish()


def _job_table(cols: dict[str, np.ndarray]) -> Table:
    """The ``jobs`` table of the job rows ``cols`` (the store's columns and ``job_id``)."""
    status, arrival, end = cols["status"], cols["arrival"], cols["end"]
    completed = status == _COMPLETED
    latency = np.full(status.size, np.nan)
    latency[completed] = (end[completed] - arrival[completed]) / 1e9

    def ts(a: np.ndarray) -> np.ndarray:
        return a.astype("datetime64[ns]")  # int64 min is NaT

    return Table(
        {
            "job_id": cols["job_id"],
            "kind": filled_column(status.size, JOB_KIND),
            "satellite": cols["satellite"],
            "arrival": ts(arrival),
            "start": ts(cols["start"]),
            "end": ts(end),
            "status": _STATUS_NAMES[status],
            "drop_reason": _REASON_NAMES[cols["reason"]],
            "ops": cols["ops"],
            "bytes_in": cols["bits"] / 8.0,
            "bytes_out": cols["bytes_out"],
            "latency_s": latency,
            "energy_j": cols["energy_j"],
            "lat_deg": cols["lat_deg"],
            "lon_deg": cols["lon_deg"],
            "cloudy": cols["cloudy"],
            "restarts": cols["restarts"],
            "station": np.where(completed, cols["station"], -1),
            "faults": cols["faults"],
        }
    )


class _JobTotals:
    """What the summary takes from the jobs, gathered piece by piece in job-id order: counts,
    and the columns whose sums and percentiles must equal those of the whole table (latencies
    of completed jobs and job energies: 8 bytes a job)."""

    def __init__(self) -> None:
        self.count = dict.fromkeys(
            (
                "completed",
                "dropped",
                "pending",
                "insights",
                "lost",
                "cloudy",
                "corrupted",
                "restarted",
            ),
            0,
        )
        self._lat: list[np.ndarray] = []
        self._lat_insight: list[np.ndarray] = []
        # every job's energy, summed as one column at the end (on disk past 32 MB: 171
        # million jobs would be 1.4 GB, twice that concatenated)
        self._energy = ColumnSum()

    #: The job columns :meth:`add` reads (only these are read of the parts to sum a run kept
    #: in memory, whose table is assembled when first used).
    COLUMNS = ("status", "reason", "cloudy", "faults", "restarts", "energy_j", "arrival", "end")

    def add(self, cols: dict[str, np.ndarray]) -> None:
        status, reason = cols["status"], cols["reason"]
        completed, dropped = status == _COMPLETED, status == _DROPPED
        useful = completed & ~cols["cloudy"]
        c = self.count
        c["completed"] += int(completed.sum())
        c["dropped"] += int(dropped.sum())
        c["pending"] += int((status == _PENDING).sum())
        c["insights"] += int(useful.sum())
        c["lost"] += int((dropped & (reason != _REASON_CLOUDY)).sum())
        c["cloudy"] += int((dropped & (reason == _REASON_CLOUDY)).sum())
        c["corrupted"] += int(((cols["faults"] > 0) & completed).sum())
        c["restarted"] += int((cols["restarts"] > 0).sum())
        end, arrival = cols["end"], cols["arrival"]
        self._lat.append((end[completed] - arrival[completed]) / 1e9)  # as _job_table's
        self._lat_insight.append((end[useful] - arrival[useful]) / 1e9)
        self._energy.add(cols["energy_j"])

    def latencies(self) -> tuple[np.ndarray, np.ndarray]:
        """Latencies (s) of the completed jobs and of the useful (not cloudy) ones."""
        return np.concatenate([np.zeros(0), *self._lat]), np.concatenate(
            [np.zeros(0), *self._lat_insight]
        )

    def energy_j(self) -> float:
        """Sum of the jobs' ``energy_j`` (one sum over the column, as the whole table's)."""
        total = self._energy.total()
        self._energy.close()
        return total


def _summed(jobs: JobStore, totals: _JobTotals) -> Iterator[Table]:
    """The jobs table window by window, each window's rows added to ``totals``."""
    for cols in jobs.drain():
        totals.add(cols)
        yield _job_table(cols)


def _finish(run: _EORun, wall0: float, out_dir: Any) -> EngineResult:
    """Build the tables and the summary; write the run directory if asked."""
    config, policy, jobs, const = run.config, run.policy, run.jobs, run.const
    n, n_steps, peak, dt, start = run.n, run.steps_done, run.peak, run.dt, run.start
    sat_ops, sat_energy, sat_sunlit = run.sat_ops, run.sat_energy, run.sat_sunlit
    faults_silent, brownouts_total = float(run.totals[0]), float(run.totals[1])
    trace = run.trace
    # the queues' jobs are not needed any more (the rows of those still waiting are in the
    # store or its parts): their memory goes back before the table is assembled
    run.compute_q.close()
    run.downlink_q.close()
    # the jobs stream from the store's parts, window by window in id order (memory: a window)
    totals = _JobTotals()
    empty = _job_table(jobs.empty_rows())
    if out_dir is not None:
        from pathlib import Path

        job_table: Table = ParquetTable(
            write_table_stream(Path(out_dir) / "jobs.parquet", _summed(jobs, totals), empty)
        )
        run.close_tables()
    else:  # kept in memory: summed now (a few columns read), assembled when first used
        for cols in jobs.drain(_JobTotals.COLUMNS):
            totals.add(cols)
        job_table = kept_table(
            lambda: map(_job_table, jobs.drain()), len(jobs), empty, release=jobs.close
        )
    steps = Table(
        {
            "time": run.step_time_ns[:n_steps].astype("datetime64[ns]"),
            **{k: v[:n_steps].copy() for k, v in run.rows.items()},
        }
    )
    duration = n_steps * dt
    satellites = Table(
        {
            "satellite": np.arange(n, dtype=np.int64),
            "name": np.asarray([str(x) for x in const.names], dtype=object),
            "ops_done": sat_ops,
            "energy_j": sat_energy,
            "busy_fraction": sat_ops / (peak * duration) if peak * duration > 0 else sat_ops * 0,
            "sunlit_fraction": sat_sunlit / max(n_steps, 1),
        }
    )
    lat_done, lat_insight = totals.latencies()
    end_time = np.datetime64(start, "ns") + np.timedelta64(round(duration * 1e9), "ns")
    summary: dict[str, Any] = {
        "scenario": config.scenario,
        "policy": policy.name,
        "start": str(np.datetime64(start, "s")) + "Z",
        "end": str(np.datetime64(end_time, "s")) + "Z",
        "steps": n_steps,
        "step_s": dt,
        "satellites": n,
        "jobs_total": int(jobs.n),
        "jobs_completed": totals.count["completed"],
        "jobs_dropped": totals.count["dropped"],
        "bits_captured": float(steps["bits_captured"].sum()),
        "bits_processed": float(steps["bits_processed"].sum()),
        "bits_downlinked": float(steps["bits_downlinked"].sum()),
        "bits_dropped": float(steps["bits_dropped"].sum()),
        "energy_compute_j": float(sat_energy.sum()),
        "latency_median_s": float(np.median(lat_done)) if lat_done.size else None,
        "latency_p95_s": float(np.percentile(lat_done, 95)) if lat_done.size else None,
        "brownouts": brownouts_total,
        "faults_silent": faults_silent,
        "wall_time_s": _time.perf_counter() - wall0,
        "jobs_pending": totals.count["pending"],
        "seed": int(config.seed),
        "constellation": config.constellation
        if isinstance(config.constellation, str)
        else "custom",
        "workload": "earth-observation",
        "bus": run.fleet.bus.name,
        "model": config.model,
        "precision": run.precision,
        "bytes_downlinked": float(steps["bits_downlinked"].sum()) / 8.0,
        "downlink_time_s": float(steps["downlink_busy_s"].sum()),
        "insights_delivered": totals.count["insights"],
        "insight_latency_median_s": float(np.median(lat_insight)) if lat_insight.size else None,
        "insight_latency_p95_s": float(np.percentile(lat_insight, 95))
        if lat_insight.size
        else None,
        "jobs_lost": totals.count["lost"],
        "jobs_discarded_cloudy": totals.count["cloudy"],
        "jobs_corrupted": totals.count["corrupted"],
        "jobs_restarted": totals.count["restarted"],
        "energy_jobs_j": totals.energy_j(),
        "energy_per_insight_j": float(sat_energy.sum()) / totals.count["insights"]
        if totals.count["insights"]
        else None,
    }
    result = EngineResult(
        summary,
        job_table,
        steps,
        satellites,
        trace=(
            None
            if trace is None
            else {k: np.asarray(v).reshape(len(v), n) for k, v in trace.items()}
        ),
    )
    if out_dir is not None:
        from .rundir import write_run_tables

        result.contacts = contact_table(run)
        result.path = write_run_tables(
            out_dir, None, steps, satellites, summary, contacts=result.contacts
        )
    return result


__all__ = [
    "DEFAULT_STATIONS",
    "DEFAULT_STORAGE_BYTES",
    "POLICIES",
    "BentPipe",
    "EnergyAware",
    "EngineConfig",
    "EngineResult",
    "OnBoard",
    "Policy",
    "PolicyView",
    "check_engine_config",
    "get_policy",
    "match_stations",
    "run_engine",
]
