"""The orbital-cloud inference service: ground users' requests served by satellites' payloads.

Idea. Users in cities send inference requests (:func:`~spacecompute.workloads.inference.
inference_requests`: rate by population and local time of day, sizes of an LLM or vision model,
a latency objective). A request goes up to a visible satellite (the *access* satellite), is
relayed over inter-satellite links (ISLs) to the satellite a policy chose (``max_isl_hops`` at
most), waits in that satellite's queue, is computed on its payload, and its result goes back the
same way. Policies (:mod:`spacecompute.scheduling.service`) pick the satellite; the
:class:`~spacecompute.spacecraft.fleet.Fleet` decides what the payload can compute under power,
thermal and radiation limits.

One step ``k`` is the interval ``[t_k, t_k + dt)``. Order inside a step:

1. **arrivals**: the requests of the step, generated per step with a seed derived from
   ``(seed, k)`` (so results do not depend on ``chunk_steps``);
2. **geometry** at ``t_k``: user-to-satellite elevation and slant range for the requesting
   cities (geodetic up, WGS84; visible at ``min_elevation_deg``, 25 deg by default, Starlink's
   user-terminal minimum, SpaceX FCC filing SAT-MOD-20181108-00083), +Grid ISL lengths
   (:func:`~spacecompute.network.topology.plus_grid_pairs`, line of sight checked), and the
   shortest (by length) of the min-hop ISL paths from each visible satellite to each satellite
   within ``max_isl_hops``; held for the step. Only the city-satellite pairs within the largest
   Earth-central angle of the mask are computed, in compiled kernels
   (:mod:`spacecompute.sim.service_geometry`; the same numbers as the dense numpy formulation,
   bit for bit);
3. **policy**: a :class:`~spacecompute.scheduling.service.ServiceView` -> a satellite (or
   reject) and a priority per request;
4. **plan and fleet**: the queues are scheduled once at the payload's speed known at ``t_k``
   (peak x thermal throttle x share not rebooting) to get each satellite's busy time ``b``;
   ``Fleet.step`` runs with load ``b / dt`` and returns the useful fraction ``u``;
5. **service**: each queue is served in priority order, non-preemptively, no job before it is
   *ready* (arrived at the satellite), at speed ``peak x u / load`` (throttling, brown-out and
   fault losses slow the clock) for at most ``b`` seconds (the busy time the fleet drew power
   for), in a compiled kernel over the queue (:func:`_serve_kernel`; a Lindley recursion with
   release times). Work the budget leaves undone waits for the next step;
6. **faults**: a reboot or a detected error on a satellite restarts the job it was computing
   (its progress is lost); ``silent`` errors corrupt that many of the results it finished in
   the step (flag ``corrupted``);
7. **accounting** of bits, energy, ISL bytes and the per-step row.

Latency (s) of a completed request = ``delivered - arrival`` exactly, with ``delivered = end of
compute + return`` and the parts: up-link light time (slant range / c) + input bits / user
up-link rate; per ISL hop the input bits / ISL rate (store and forward) + the path's light time;
queueing and compute; the same back with the output bits and the down-link rate. Transfers are
not capacity-limited (the bytes are small next to the link rates: 4 kB prompts against
100 Gbit/s ISLs), and the result returns over the request's path (a pass at 25 deg lasts
minutes; latencies are seconds). Rates: user terminal :data:`USER_UPLINK_BPS` and
:data:`USER_DOWNLINK_BPS`, ISL :data:`ISL_BPS` (see there for sources).

Ends of a request (``status`` / ``drop_reason``):

- ``completed``: the result was delivered; ``on_time`` when it was delivered by the deadline
  (``arrival + latency_objective_s``). A late delivery counts as *completed but late*
  (``on_time`` False; ``latency_s`` exact);
- ``dropped`` / ``no_satellite``: no satellite at the elevation mask (the user cannot connect;
  requests do not wait for one);
- ``dropped`` / ``no_capacity``: rejected by the policy while no candidate satellite (or none
  of those the policy considers, as it reports) can compute (eclipse with the battery at its
  shedding level, rebooting);
- ``dropped`` / ``deadline``: rejected at admission because it cannot meet its deadline, or
  dropped from a queue: policies with ``drop_early`` (deadline-aware, optimising) drop a
  queued request when it can no longer be delivered by its deadline (before computing it);
  the others keep it until the client gives up at ``arrival + timeout_s`` (work done on it is
  wasted);
- ``dropped`` / ``fault``: as ``deadline``, for a request whose work was lost to a fault;
- ``pending``: still queued at the end of the run (the backlog).

Bits per step: ``bits_captured`` input bits of the step's requests; ``bits_processed`` input
bits of requests whose compute finished; ``bits_downlinked`` output bits delivered to users
(counted in the step their compute finished; delivery follows within the return time);
``bits_dropped`` input bits of requests dropped in the step; ``backlog_bits`` input bits of the
queued requests at the end of the step. So ``sum(captured) = sum(processed) + sum(dropped) +
backlog`` exactly, and ``sum(downlinked)`` = output bits of completed requests.

Energy (J). A satellite's ``energy_j`` is the payload's electrical energy from the fleet (sum of
``compute_power_w x dt``). Per satellite and step it splits into idle (``min(P, P_idle) dt``)
and active (``max(P - P_idle, 0) dt``) energy; the active energy is charged to the jobs in
proportion to the operations each received out of the useful operations the fleet granted
(``u x peak x dt``); what the granted budget did not use (a slowed clock pushing work past the
step) is ``energy_waste_j``. Identity, per satellite: ``energy_j = energy_idle_j +
energy_waste_j + sum of energy_j of the jobs it ran`` (tested). Without faults a job costs
``ops x (P_max - P_idle) / peak`` (throttling slows work and power alike); a fault's lost work
and a restart raise it.

ISL bytes: every link of a request's path carries its input bytes when it is admitted and its
output bytes back when it is delivered (a dropped request's result never moves); ``isl_bytes``
per job is ``(input + output if delivered) x hops``, and the run keeps the bytes of every +Grid
link (``EngineResult.trace["isl_bytes"]`` with ``trace["isl_pairs"]``); the satellites'
``user_bytes`` count the same way over the access satellite's user link.

Columns beyond the run-directory contract. Jobs: ``city``, ``access_satellite``, ``isl_hops``,
``isl_path_m``, ``isl_bytes``, ``ready`` (input at the serving satellite), ``compute_end``,
``deadline``, ``on_time``, ``ops_done`` (progress), ``fault_hit``, ``corrupted``; ``satellite``
is where it ran (-1: rejected). Steps: ``ops_processed``, ``ops_capacity`` (granted budget),
``jobs_on_time``, ``isl_bytes``, ``energy_idle_j``, ``energy_waste_j``,
``requests_no_satellite``. Satellites: ``energy_idle_j``, ``energy_waste_j``, ``jobs_served``,
``user_bytes`` (bytes through its user link as access satellite).

Memory: the job store (:class:`_Store`, a :class:`~spacecompute.sim.queues.JobStore`) holds only
the requests in flight; a completed or dropped request's row is final and streams to Parquet
part files (:mod:`spacecompute.sim.sink`), and ``jobs.parquet`` is assembled from them in
job-id order at the end (docs/engine.md, "Memory independent of duration (inference service)").
"""

from __future__ import annotations

import inspect
import math
import time as _time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numba
import numpy as np

from ..astro.constants import SOLAR_CONSTANT_W_M2, SPEED_OF_LIGHT_M_S
from ..astro.timeutil import parse_time
from ..errors import InputError
from ..scheduling.checks import check_service_decision
from ..scheduling.service import SERVICE_POLICIES, ServiceView, get_service_policy
from ..table import Table, filled_column
from .engine import EngineResult
from .queues import NAT, JobStore
from .rundir import fleet_row
from .sink import ParquetTable, kept_table, write_table_stream

#: User-terminal rates (bit/s): Starlink Residential was advertised at 25-220 Mbit/s down and
#: 5-20 Mbit/s up (SpaceX, starlink.com/specifications, 2023); measured medians of that order
#: (Michel et al., "A first look at Starlink performance", IMC 2022). 100 down / 10 up assumed.
USER_DOWNLINK_BPS = 100e6
USER_UPLINK_BPS = 10e6
#: ISL rate per hop (bit/s): the topology layer's optical-ISL default, 100 Gbit/s
#: (:data:`spacecompute.network.topology.DEFAULT_ISL_RATE_BPS`; SpaceX reports its laser links at
#: up to 200 Gbit/s).
ISL_BPS = 100e9
#: Starlink user terminals' minimum elevation (SpaceX FCC filing SAT-MOD-20181108-00083).
USER_MIN_ELEVATION_DEG = 25.0
JOB_KIND = "inference"

_PENDING, _COMPLETED, _DROPPED = 0, 1, 2
_STATUS_NAMES = np.array(["pending", "completed", "dropped"], dtype=object)
_R_NONE, _R_NO_SAT, _R_NO_CAP, _R_DEADLINE, _R_FAULT = 0, 1, 2, 3, 4
_REASON_NAMES = np.array(["", "no_satellite", "no_capacity", "deadline", "fault"], dtype=object)
# serve-kernel outcomes
_WAIT, _DONE, _DROP = 0, 1, 2


# --------------------------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class ServiceConfig:
    """What to run. Times are UTC (ISO text); durations in seconds; rates in bit/s.

    ``constellation``: a preset name or a :class:`~spacecompute.astro.constellation.
    Constellation` (then ``bus`` names its bus preset; default ``starlink-v1``). ``policy``: a
    name of :data:`~spacecompute.scheduling.service.SERVICE_POLICIES`; ``policy_options`` its
    constructor options as ``((name, value), ...)``. ``model`` / ``precision``: the catalog
    model (:func:`~spacecompute.workloads.inference.model_spec`) and the payload precision it
    runs at. ``rate_per_s_global``: mean requests per second over a day (see
    :func:`~spacecompute.workloads.inference.inference_requests`), from the ``top_cities`` most
    populous cities (or ``city_table``: columns name, lat_deg, lon_deg, population).
    ``latency_objective_s``: deadline after arrival; ``timeout_s``: when a client gives up
    (at least the objective). ``max_isl_hops``: how far a request may be relayed.
    ``max_access_satellites``: a city's users reach the laser mesh through at most that many of
    the satellites they see, those of the highest elevation (None: every visible one; a
    terminal tracks a few beams, and with a million satellites a city sees about 20,000).
    ``horizon_steps``: look-ahead of the optimising policy. ``chunk_steps``: instants
    propagated at a time, at most what :data:`~spacecompute.sim.engine.CHUNK_MEMORY_BUDGET_BYTES`
    holds (results do not depend on it). ``seed`` drives requests and faults.

    Defaults: Starlink shell 1 (72 x 22 Walker, 550 km, 53 deg; bus ``starlink-v1`` with two
    Jetson AGX Orin 64GB) for one hour in 10 s steps; an 8-billion-parameter LLM (``llm-8b``:
    16 GB of weights at fp16 fit the pair's 128 GB; prompts ~1,020 and answers ~129 tokens,
    Splitwise's conversation trace) at fp16, the Orin's dense tensor-core precision; 500
    requests/s from the 300 largest cities; a 5 s objective (an interactive answer) and a 30 s
    client timeout (assumed); up to 2 ISL hops. The ops model is compute-bound (2 N FLOP per
    token): a median request takes ~0.24 s of the pair's 85 TFLOP/s, whereas real token-by-token
    decoding on an Orin is memory-bound and slower.
    """

    constellation: Any = "starlink-shell1"
    bus: str | None = None
    start: str = "2026-01-01T00:00:00Z"
    duration_s: float = 3600.0
    step_s: float = 10.0
    propagator: str = "j2"
    policy: Any = "isl-offload"  # a built-in name or a user policy (scheduling.protocols)
    policy_options: tuple[tuple[str, Any], ...] = ()
    seed: int = 0
    chunk_steps: int = 120
    model: str = "llm-8b"
    precision: str = "fp16"
    rate_per_s_global: float = 500.0
    latency_objective_s: float = 5.0
    timeout_s: float = 30.0
    top_cities: int = 300
    city_table: Any = None
    min_elevation_deg: float = USER_MIN_ELEVATION_DEG
    max_isl_hops: int = 2
    max_access_satellites: int | None = None
    horizon_steps: int = 2
    uplink_bps: float = USER_UPLINK_BPS
    downlink_bps: float = USER_DOWNLINK_BPS
    isl_bps: float = ISL_BPS
    scenario: str | None = None

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(f"{name} = {getattr(self, name)!r}", field=name, expected=expected)

        def number(name: str) -> float:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float | np.number):
                raise bad(name, "a finite number")
            v = float(v)
            if not math.isfinite(v):
                raise bad(name, "a finite number")
            return v

        def whole(name: str, lo: int) -> int:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < lo:
                raise bad(name, f"a whole number >= {lo}")
            return int(v)

        from ..astro.constellation import Constellation

        if not isinstance(self.constellation, str | Constellation):
            raise bad("constellation", "a constellation preset name or a Constellation")
        if self.bus is not None and not isinstance(self.bus, str):
            raise bad("bus", "a bus preset name or None")
        for name in ("duration_s", "step_s"):
            number(name)
        if self.step_s <= 0:
            raise bad("step_s", "seconds > 0")
        if self.duration_s < self.step_s:
            raise bad("duration_s", f">= step_s ({self.step_s} s): at least one step")
        if self.propagator not in ("sgp4", "j2"):
            raise bad("propagator", "'sgp4' or 'j2'")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int | np.integer):
            raise bad("seed", "an integer")
        if self.seed < 0:
            raise bad("seed", "an integer >= 0")
        whole("chunk_steps", 2)
        if number("rate_per_s_global") < 0:
            raise bad("rate_per_s_global", "requests per second >= 0")
        if number("latency_objective_s") <= 0:
            raise bad("latency_objective_s", "seconds > 0")
        if number("timeout_s") < self.latency_objective_s:
            raise bad("timeout_s", f">= latency_objective_s ({self.latency_objective_s} s)")
        if self.city_table is None:
            whole("top_cities", 1)
        el = number("min_elevation_deg")
        if not 0.0 <= el < 90.0:
            raise bad("min_elevation_deg", "degrees in [0, 90)")
        whole("max_isl_hops", 0)
        if self.max_isl_hops > 8:
            raise bad("max_isl_hops", "at most 8")
        if self.max_access_satellites is not None:
            whole("max_access_satellites", 1)
        whole("horizon_steps", 1)
        for name in ("uplink_bps", "downlink_bps", "isl_bps"):
            if number(name) <= 0:
                raise bad(name, "bit/s > 0")
        if not isinstance(self.policy, str) or self.policy not in SERVICE_POLICIES:
            get_service_policy(self.policy)  # a user policy: resolved and checked, or InputError
        try:
            dict(self.policy_options)
        except (TypeError, ValueError):
            raise bad("policy_options", "((name, value), ...)") from None
        from ..workloads.inference import model_spec

        model_spec(self.model)  # unknown model -> InputError listing the names
        if not isinstance(self.precision, str):
            raise bad("precision", "a precision name such as 'fp16' or 'int8'")

    def make_policy(self) -> Any:
        """A fresh instance of the configured policy (a user policy object: itself)."""
        options = dict(self.policy_options)
        if isinstance(self.policy, str) and self.policy == "optimising":
            options.setdefault("horizon_steps", int(self.horizon_steps))
        return get_service_policy(self.policy, **options)


# --------------------------------------------------------------------------------------------
# the job store


class _Store(JobStore):
    """The requests still in flight as a struct of arrays by job id; the others stream out.

    A :class:`~spacecompute.sim.queues.JobStore` (the Earth-observation engine's): a request
    whose ``status`` is not pending (completed or dropped) has a final row, which leaves the
    store for its sink (Parquet part files, :mod:`spacecompute.sim.sink`) at the next
    compaction, so the store holds about the requests still queued plus a step's arrivals,
    whatever the run's duration. The ISL links of each request's path, in order from the
    serving satellite's side (-1: none), are the columns ``edge0 .. edge{H-1}`` (H =
    ``max_hops``, at least 1; :meth:`_Rows.edges` gives them as one (K, H) array). Integer
    columns of small values are held narrow (read as int64, see ``JobStore._NARROW``).
    """

    _FLOAT = (
        "ops",
        "input_bytes",
        "output_bytes",
        "lat_deg",
        "lon_deg",
        "energy_j",
        "remaining_ops",
        "isl_path_m",
        "delay_out_s",
        "priority",
    )
    # times in ns since the Unix epoch
    _INT = (
        "arrival",
        "ready",
        "start",
        "end",
        "compute_end",
        "deadline",
        "expiry",
        "satellite",
        "access",
        "hops",
        "city",
        "status",
        "reason",
    )
    _BOOL = ("started", "fault_hit", "corrupted", "on_time")
    _NAT_COLUMNS = ("start", "end", "compute_end")
    # what only a request in flight needs (its queue order, expiry, path): not written out
    _IN_FLIGHT = ("priority", "delay_out_s", "expiry", "started")
    _NARROW: ClassVar[dict[str, Any]] = {
        "satellite": np.int32,
        "access": np.int32,
        "city": np.int32,
        "hops": np.int8,
        "status": np.int8,
        "reason": np.int8,
    }

    def __init__(self, max_hops: int = 0) -> None:
        self.edge_columns = tuple(f"edge{i}" for i in range(max(int(max_hops), 1)))
        # per store: the number of link columns is the run's max_hops
        self._INT = (*type(self)._INT, *self.edge_columns)
        self._NARROW = {**type(self)._NARROW, **dict.fromkeys(self.edge_columns, np.int32)}
        self._IN_FLIGHT = (*type(self)._IN_FLIGHT, *self.edge_columns)
        super().__init__()

    def at(self, ids: np.ndarray) -> _Rows:
        """The held requests ``ids`` (their rows found once: a step reads and writes the same
        requests many times)."""
        return _Rows(self, self.slots(ids))


class _Rows:
    """Rows of a :class:`_Store` at fixed slots, valid until the store next compacts (its next
    :meth:`~JobStore.add`, within the step that found them): ``rows[col]`` reads the column
    (int64 for a narrow one), ``rows[col] = values`` writes it, :meth:`sub` selects rows."""

    __slots__ = ("slots", "store")

    def __init__(self, store: _Store, slots: np.ndarray) -> None:
        self.store, self.slots = store, slots

    def __getitem__(self, key: str) -> np.ndarray:
        return self.store.cols[key][self.slots].astype(self.store.dtype(key), copy=False)

    def __setitem__(self, key: str, values: Any) -> None:
        self.store.cols[key][self.slots] = values

    def sub(self, select: Any) -> _Rows:
        """The rows ``select`` (a mask or an index array) of these."""
        return _Rows(self.store, self.slots[select])

    def edges(self) -> np.ndarray:
        """The links of these requests' paths, (K, H) int64, -1 padded."""
        cols = self.store.edge_columns
        out = np.empty((self.slots.size, len(cols)), np.int64)
        for i, k in enumerate(cols):
            out[:, i] = self.store.cols[k][self.slots]
        return out


# --------------------------------------------------------------------------------------------
# geometry: users to satellites, ISL neighbourhoods and paths


#: Bytes the service's chunk holds per satellite and instant (positions and velocities in two
#: frames, geodetic positions, sunlit fraction, the lengths and line of sight of 2 laser links):
#: measured 143 (1,000,000 satellites x 1 h: 11.7 GB peak in chunks of 61 instants, 3.4 GB in
#: chunks of 3, the same tables)
CHUNK_BYTES_PER_INSTANT = 150


class _Users:
    """Cities as ground points: ECEF position (C, 3) and geodetic up vector (C, 3)."""

    def __init__(self, table: Table) -> None:
        from ..astro.frames import enu_basis, geodetic_to_ecef

        self.lat = np.asarray(table["lat_deg"], dtype=np.float64)
        self.lon = np.asarray(table["lon_deg"], dtype=np.float64)
        pop = np.asarray(table["population"], dtype=np.float64)
        self.weight = pop / pop.sum()
        self.names = np.asarray([str(x) for x in table["name"]], dtype=object)
        self.p = geodetic_to_ecef(self.lat, self.lon, np.zeros_like(self.lat))
        up = enu_basis(self.lat, self.lon)[:, 2, :]
        # contiguous: a strided view (two cities or more) and a contiguous one (one city) are
        # two compiled versions of the service geometry's kernels
        self.up = np.ascontiguousarray(up)
        self.up_dot_p = np.einsum("ck,ck->c", up, self.p)
        self.p2 = np.einsum("ck,ck->c", self.p, self.p)
        # for the cull of far satellites (sim/service_geometry.py): unit vectors, geocentric
        # latitude, the smallest radius and the largest tilt of geodetic up from geocentric
        rho = np.sqrt(self.p2)
        self.p_hat = self.p / np.where(rho > 0.0, rho, 1.0)[:, None]
        self.geocentric_lat_rad = np.arcsin(np.clip(self.p_hat[:, 2], -1.0, 1.0))
        self.rho_min_m = float(rho.min(initial=np.inf))
        tilt = np.einsum("ck,ck->c", up, self.p_hat)
        tilt_deg = np.degrees(np.arccos(np.clip(tilt, -1.0, 1.0)))
        self.up_tilt_max_deg = float(tilt_deg.max(initial=0.0))

    def __len__(self) -> int:
        return int(self.lat.shape[0])

    def look(self, r_ecef_m: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Elevation (deg) and slant range (m), (len(idx), N), of satellites at ``r_ecef_m``
        (N, 3) from cities ``idx``: ``sin(el) = up . (r - p) / |r - p|`` (geodetic up, WGS84),
        by matrix products over cities x satellites."""
        r = np.nan_to_num(np.asarray(r_ecef_m, dtype=np.float64), nan=0.0)
        up, p = self.up[idx], self.p[idx]
        r2 = np.einsum("nk,nk->n", r, r)
        # explicit sums over the 3 axes (no BLAS: its spinning threads would contend with the
        # numba kernels of the fleet on a small machine)
        p_r = p[:, 0, None] * r[None, :, 0] + p[:, 1, None] * r[None, :, 1]
        p_r += p[:, 2, None] * r[None, :, 2]
        up_r = up[:, 0, None] * r[None, :, 0] + up[:, 1, None] * r[None, :, 1]
        up_r += up[:, 2, None] * r[None, :, 2]
        d2 = r2[None, :] + self.p2[idx][:, None] - 2.0 * p_r
        rng = np.sqrt(np.maximum(d2, 1.0))
        sin_el = (up_r - self.up_dot_p[idx][:, None]) / rng
        return np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0))), rng


class _Isl:
    """Static +Grid ISL pairs and, for every satellite, the satellites within ``max_hops`` hops.

    ``nbr`` (N, M): slot 0 is the satellite itself, then the others by hop count (-1 padding);
    ``hops`` (N, M). :meth:`paths` gives the length of the shortest of the min-hop paths to each
    slot at one instant (a hop-limited Bellman-Ford over the levels), with the predecessor slot
    and the edge used, so each request's path and the bytes on each link are known.
    """

    def __init__(self, const: Any, max_hops: int) -> None:
        from ..network.topology import plus_grid_pairs
        from .isl_neighbourhoods import neighbourhoods

        n = len(const)
        self.n = n
        try:
            pairs = plus_grid_pairs(const)
        except InputError:
            pairs = np.zeros((0, 2), dtype=np.int64)
        self.pairs = pairs.astype(np.int64)
        self.max_hops = int(max_hops)
        # compiled breadth-first search (sim/isl_neighbourhoods.py; the numpy formulation is
        # numpy_reference.isl_neighbourhoods_numpy, the same tables, tested)
        hood = neighbourhoods(self.pairs, n, self.max_hops)
        self.m, self.nbr, self.hops = hood.m, hood.nbr, hood.hops
        self.level_arrays = hood.level_arrays  # for the compiled relaxation
        self.levels = hood.levels  # the same triples level by level

    def paths(
        self, dist_m: np.ndarray, ok: np.ndarray, out: tuple | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(length (N, M) m, inf where unreachable; predecessor slot (N, M); edge (N, M)) at
        one instant, from the link lengths ``dist_m`` (E,) and usability ``ok`` (E,); compiled
        (:func:`~spacecompute.sim.service_geometry.isl_paths`; the numpy formulation is
        :func:`~spacecompute.sim.numpy_reference.isl_paths_numpy`)."""
        from .service_geometry import isl_paths

        return isl_paths(self, dist_m, ok, out)

    def walk_edges(
        self, access: np.ndarray, slot: np.ndarray, pred: np.ndarray, edge: np.ndarray
    ) -> np.ndarray:
        """The links (edge ids) of the paths ``access -> slot``, (K, max_hops), -1 padded; the
        path is walked back from its end, so a path of h links fills columns 0..h-1 from the
        serving satellite's side."""
        out = np.full((access.size, max(self.max_hops, 1)), -1, np.int64)
        idx = np.arange(access.size)
        s = slot.copy()
        a = access.copy()
        for i in range(self.max_hops):  # at most max_hops links per path
            live = s > 0
            if not live.any():
                break
            idx, s, a = idx[live], s[live], a[live]
            out[idx, i] = edge[a, s]
            s = pred[a, s]
        return out


@dataclass
class _Candidates:
    """Candidate table of one step, CSR over all cities (see ServiceView)."""

    ptr: np.ndarray
    city: np.ndarray
    sat: np.ndarray
    access: np.ndarray
    slot: np.ndarray
    hops: np.ndarray
    delay_s: np.ndarray
    path_m: np.ndarray
    elevation_deg: np.ndarray


def _candidates(
    users: _Users,
    isl: _Isl,
    r_ecef_m: np.ndarray,
    isl_dist_m: np.ndarray,
    isl_ok: np.ndarray,
    active: np.ndarray,
    min_el_deg: float,
    max_hops: int,
    max_access: int | None = None,
    paths_out: tuple | None = None,
) -> tuple[_Candidates, tuple[np.ndarray, np.ndarray]]:
    """Candidates of the ``active`` cities at one instant, and the ISL paths (pred, edge);
    ``max_access``: a city reaches the mesh through at most that many of its visible satellites,
    those of the highest elevation (None: all); ``paths_out``: see
    :func:`~spacecompute.sim.service_geometry.isl_paths`.

    Only the visible pairs are computed, in compiled kernels
    (:mod:`spacecompute.sim.service_geometry`); the dense numpy formulation is
    :func:`~spacecompute.sim.numpy_reference.service_candidates_numpy` (the same tables, bit
    for bit, tested)."""
    from .service_geometry import candidate_columns, visible_pairs

    n_c = len(users)
    length, pred, edge = isl.paths(isl_dist_m, isl_ok, paths_out)
    if active.size == 0:
        z = np.zeros(0, np.int64)
        zf = np.zeros(0)
        return _Candidates(np.zeros(n_c + 1, np.int64), z, z, z, z, z, zf, zf, zf), (pred, edge)
    active = np.unique(np.asarray(active, np.int64))  # sorted: the table is by city
    row, vs, elev, up_m = visible_pairs(users, r_ecef_m, active, min_el_deg, max_access)
    city, sat, access, slot, hops, delay_s, path_m, el = candidate_columns(
        row, vs, elev, up_m, active, isl, length, max_hops, SPEED_OF_LIGHT_M_S
    )
    cand = _Candidates(
        ptr=np.searchsorted(city, np.arange(n_c + 1)).astype(np.int64),
        city=city,
        sat=sat,
        access=access,
        slot=slot,
        hops=hops,
        delay_s=delay_s,
        path_m=path_m,
        elevation_deg=el,
    )
    return cand, (pred, edge)


# --------------------------------------------------------------------------------------------
# capacity estimate and the predictor


def capacity_estimate(
    fleet: Any, sunlit: np.ndarray, peak_ops_per_s: float, dt_s: float
) -> np.ndarray:
    """Rate (ops/s) each satellite's payload can compute at now, (N,).

    ``peak x thermal throttle x share of the step not rebooting x power factor``; the power
    factor is 1 while the battery is above the fleet's compute-shedding level, else the share
    of the compute range the array's surplus over the essential loads covers (array power
    ``S x A_eff x sunlit``, sun-tracking; see :mod:`spacecompute.spacecraft.power`)."""
    pw = fleet.power
    sunlit = np.nan_to_num(np.asarray(sunlit, dtype=np.float64), nan=0.0)
    share = 1.0 - np.minimum(fleet.downtime_s, dt_s) / dt_s
    array_w = SOLAR_CONSTANT_W_M2 * pw.effective_area_m2 * sunlit
    idle, top = pw.compute_idle_w, pw.compute_max_w
    span = np.maximum(top - idle, 1e-12)
    surplus = array_w - fleet.essential_load_w - idle
    factor_array = np.clip(surplus / span, 0.0, 1.0)
    battery_ok = fleet.state_of_charge > pw.compute_shed_soc + 1e-9
    factor = np.where(battery_ok, 1.0, factor_array)
    return peak_ops_per_s * fleet.thermal_throttle * share * factor


@dataclass(frozen=True)
class ServiceForecast:
    """Predicted outside world over ``n`` steps from ``step_index``.

    ``sunlit`` (n, N) predicted sunlit fraction (propagated orbits, conical shadow);
    ``capacity_ops_per_s`` (n, N) from it and the satellites' current battery, thermal and
    reboot state (:func:`capacity_estimate`); ``demand`` (n, C) expected requests per city and
    step (rate x population share x diurnal profile at the step's middle x dt); per step ``i``
    the candidate table of every city as the engine will build it (predicted visibility, i.e.
    contact windows, and ISL paths): ``cand_city[i]``, ``cand_sat[i]``, ``cand_hops[i]``,
    ``cand_delay_s[i]`` (sorted by city, then satellite); ``size_sample_ops`` a sample of
    request sizes (ops) of the workload model.
    """

    step_index: int
    times_ns: np.ndarray
    sunlit: np.ndarray
    capacity_ops_per_s: np.ndarray
    demand: np.ndarray
    cand_city: tuple[np.ndarray, ...]
    cand_sat: tuple[np.ndarray, ...]
    cand_hops: tuple[np.ndarray, ...]
    cand_delay_s: tuple[np.ndarray, ...]
    size_sample_ops: np.ndarray


@dataclass
class ServicePredictor:
    """Forecasts of the service run for look-ahead policies (see :class:`ServiceForecast`).

    ``forecast(step_index, n_steps)`` propagates the orbits to those steps with the run's
    propagator (so the positions are exactly the engine's), builds the candidate tables with
    the engine's own function, and caches the geometry of recent steps. Windows past the run
    are cut.
    """

    constellation: Any
    propagator: str
    start_ns: int
    dt_s: float
    n_steps: int
    users: Any
    isl: Any
    fleet: Any
    peak_ops_per_s: float
    rate_per_s_global: float
    min_elevation_deg: float
    max_isl_hops: int
    size_sample_ops: np.ndarray
    max_access_satellites: int | None = None
    _cache: dict[int, tuple[Any, ...]] = field(default_factory=dict, repr=False)

    def _geometry(self, steps: np.ndarray) -> None:
        from ..astro.eclipse import sunlit_fraction_from_positions
        from ..astro.sun import sun_position_eci_m
        from ..network.topology import pair_geometry

        need = [int(s) for s in steps if int(s) not in self._cache]
        if not need:
            return
        dt_ns = round(self.dt_s * 1e9)
        times = (np.int64(self.start_ns) + np.asarray(need, np.int64) * dt_ns).astype(
            "datetime64[ns]"
        )
        eph = self.constellation.propagate(
            times[0], times=times, method=self.propagator, velocities=False
        )
        sun = sun_position_eci_m(eph.times)
        sl = np.asarray(sunlit_fraction_from_positions(eph.r_eci_m, sun, "conical"))
        sl = np.nan_to_num(sl.astype(np.float64), nan=0.0)
        all_c = np.arange(len(self.users))
        for i, s in enumerate(need):  # loop over the few new steps
            if self.isl.pairs.shape[0]:
                d, ok = pair_geometry(eph.r_ecef_m[i], self.isl.pairs)
            else:
                d, ok = np.zeros(0), np.zeros(0, bool)
            cand, _ = _candidates(
                self.users,
                self.isl,
                eph.r_ecef_m[i],
                d,
                ok,
                all_c,
                self.min_elevation_deg,
                self.max_isl_hops,
                self.max_access_satellites,
            )
            self._cache[s] = (sl[i], cand.city, cand.sat, cand.hops, cand.delay_s)
        for s in [s for s in self._cache if s < min(need) - 8]:
            del self._cache[s]

    def forecast(self, step_index: int, n_steps: int) -> ServiceForecast:
        from ..workloads.inference import diurnal_profile, local_solar_hour

        k0 = int(step_index)
        n_steps = max(0, min(int(n_steps), self.n_steps - k0))
        steps = np.arange(k0, k0 + n_steps)
        self._geometry(steps)
        n = len(self.constellation)
        got = [self._cache[int(s)] for s in steps]
        sunlit = np.array([x[0] for x in got]).reshape(n_steps, n)
        cap = np.array(
            [
                capacity_estimate(self.fleet, sunlit[i], self.peak_ops_per_s, self.dt_s)
                for i in range(n_steps)
            ]
        ).reshape(n_steps, n)
        dt_ns = round(self.dt_s * 1e9)
        times_ns = np.int64(self.start_ns) + steps.astype(np.int64) * dt_ns
        mid = (times_ns + dt_ns // 2).astype("datetime64[ns]")
        hour = local_solar_hour(mid[:, None], self.users.lon[None, :])
        demand = (
            self.rate_per_s_global * self.users.weight[None, :] * diurnal_profile(hour) * self.dt_s
        )
        return ServiceForecast(
            k0,
            times_ns,
            sunlit,
            cap,
            demand,
            tuple(x[1] for x in got),
            tuple(x[2] for x in got),
            tuple(x[3] for x in got),
            tuple(x[4] for x in got),
            self.size_sample_ops,
        )


def _size_sample(model: Any, n: int = 4096) -> np.ndarray:
    """Request sizes (ops) drawn from the workload model with its default size parameters."""
    from ..workloads.inference import inference_requests

    spec = model
    if spec.unit != "token":
        return np.full(n, spec.ops_per_unit)
    par = inspect.signature(inference_requests).parameters
    med_in = float(par["tokens_in_median"].default)
    med_out = float(par["tokens_out_median"].default)
    sigma = float(par["tokens_sigma"].default)
    z = np.random.default_rng(20240601).standard_normal((2, n))
    tok_in = np.maximum(1, np.rint(med_in * np.exp(sigma * z[0])))
    tok_out = np.maximum(1, np.rint(med_out * np.exp(sigma * z[1])))
    return (tok_in + tok_out) * spec.ops_per_unit


# --------------------------------------------------------------------------------------------
# the service kernel


@numba.njit(cache=True)
def _serve_kernel(
    sat,
    ready,
    remaining,
    expiry,
    speed,
    cap_time,
    t1,
    drop_early,
    outcome,
    t_start,
    t_end,
    done_ops,
    used,
    in_progress,
):  # pragma: no cover - numba
    """Serve queues given in service order (grouped by satellite), times in s from the step start.

    Per satellite: jobs in order, non-preemptive, none before its ``ready`` time, at ``speed``
    ops/s, for at most ``cap_time`` s of busy time, until ``t1``. A job whose ``expiry`` (latest
    end of compute) passes before it starts is dropped at ``max(expiry, ready)``; with
    ``drop_early`` one that would end after its expiry is dropped when it would start; without,
    it runs until its expiry and is dropped then. Outputs per job: outcome (wait / done / drop),
    start (NaN: did not start now), end or drop time, ops done now; per satellite: busy time
    used and the job left in progress (-1: none).
    """
    m = sat.shape[0]
    cur = -1
    t = 0.0
    u = 0.0
    stopped = False
    for i in range(m):
        s = sat[i]
        if s != cur:
            cur = s
            t = 0.0
            u = 0.0
            stopped = False
        outcome[i] = 0
        t_start[i] = np.nan
        t_end[i] = np.nan
        done_ops[i] = 0.0
        x = expiry[i]
        st = max(t, ready[i])
        if not stopped and (st >= t1 or u >= cap_time[s] or speed[s] <= 0.0):
            stopped = True
        if stopped:
            dt_drop = max(x, ready[i])
            if dt_drop <= t1:
                outcome[i] = 2
                t_end[i] = max(dt_drop, 0.0)
            continue
        if st >= x:
            outcome[i] = 2
            t_end[i] = max(x, ready[i], 0.0)
            continue
        need = remaining[i] / speed[s]
        if drop_early and st + need > x:
            outcome[i] = 2
            t_end[i] = st
            continue
        avail = min(t1 - st, cap_time[s] - u)
        t_start[i] = st
        if need <= avail and st + need <= x:
            done_ops[i] = remaining[i]
            u += need
            t = st + need
            outcome[i] = 1
            t_end[i] = t
        elif x - st < avail:
            run = x - st
            done_ops[i] = run * speed[s]
            u += run
            t = x
            outcome[i] = 2
            t_end[i] = x
        else:
            done_ops[i] = min(avail * speed[s], remaining[i])
            u += avail
            t = st + avail
            stopped = True
            in_progress[s] = i
        used[s] = u


def _serve(
    job_sat: np.ndarray,
    ready: np.ndarray,
    remaining: np.ndarray,
    expiry: np.ndarray,
    speed: np.ndarray,
    cap_time: np.ndarray,
    t1: float,
    drop_early: bool,
) -> tuple[np.ndarray, ...]:
    """Run :func:`_serve_kernel` and return (outcome, start, end, ops done, used (N,),
    in-progress index (N,))."""
    m = job_sat.shape[0]
    n = speed.shape[0]
    outcome = np.zeros(m, np.int64)
    t_start = np.empty(m)
    t_end = np.empty(m)
    done_ops = np.empty(m)
    used = np.zeros(n)
    in_progress = np.full(n, -1, np.int64)
    _serve_kernel(
        np.ascontiguousarray(job_sat, dtype=np.int64),
        np.ascontiguousarray(ready, dtype=np.float64),
        np.ascontiguousarray(remaining, dtype=np.float64),
        np.ascontiguousarray(expiry, dtype=np.float64),
        np.ascontiguousarray(speed, dtype=np.float64),
        np.ascontiguousarray(cap_time, dtype=np.float64),
        float(t1),
        bool(drop_early),
        outcome,
        t_start,
        t_end,
        done_ops,
        used,
        in_progress,
    )
    return outcome, t_start, t_end, done_ops, used, in_progress


# --------------------------------------------------------------------------------------------
# the run

_STEP_EXTRA = (
    "ops_processed",
    "ops_capacity",
    "jobs_on_time",
    "isl_bytes",
    "energy_idle_j",
    "energy_waste_j",
    "requests_no_satellite",
)
_SAT_ACC = (
    "ops_done",
    "energy_j",
    "energy_idle_j",
    "energy_waste_j",
    "sunlit_steps",
    "jobs_served",
    "user_bytes",
)


def _step_seed(seed: int, step: int) -> int:
    """Seed of the requests of step ``step`` (independent of the time chunking)."""
    return int(np.random.SeedSequence([int(seed), 0x5E7, int(step)]).generate_state(1)[0])


@numba.njit(cache=True)
def _entries_kernel(ptr, cand_sat, city, sat, out):  # pragma: no cover - numba
    """The entry of each request's chosen satellite in its city's candidates (by satellite,
    ``ptr[c]:ptr[c + 1]``; a binary search), -1 where none was chosen (``sat`` < 0); returns
    how many chosen satellites are not among their city's candidates."""
    missing = 0
    for i in range(city.shape[0]):
        out[i] = -1
        if sat[i] < 0:
            continue
        lo, hi = ptr[city[i]], ptr[city[i] + 1]
        end = hi
        while lo < hi:
            mid = (lo + hi) // 2
            if cand_sat[mid] < sat[i]:
                lo = mid + 1
            else:
                hi = mid
        if lo < end and cand_sat[lo] == sat[i]:
            out[i] = lo
        else:
            missing += 1
    return missing


def _pick(column: np.ndarray, entry: np.ndarray, chosen: np.ndarray, fill: Any) -> np.ndarray:
    """``column[entry]`` where ``chosen``, else ``fill`` (also when no city sees a satellite this
    step and the candidate table is empty)."""
    if column.size == 0:
        return np.full(np.shape(entry), fill, dtype=np.result_type(column, np.asarray(fill)))
    return np.where(chosen, column[np.maximum(entry, 0)], fill)


def check_service_config(config: ServiceConfig) -> tuple:
    """Build what a run of ``config`` is made of, without stepping: ``(policy, model spec,
    start, constellation, its name, fleet, peak ops/s)``; raises :class:`InputError` for a
    configuration the run would refuse (``spacecompute validate`` calls it)."""
    from ..astro.constellation import Constellation
    from ..spacecraft.fleet import Fleet
    from ..workloads.inference import model_spec

    if not isinstance(config, ServiceConfig):
        raise InputError(f"config is a {type(config).__name__}", expected="a ServiceConfig")
    policy = config.make_policy()
    spec = model_spec(config.model)
    start = parse_time(config.start, field="start")
    if isinstance(config.constellation, Constellation):
        const = config.constellation
        const_name = const.name or "custom"
    else:
        from ..astro.presets import preset_constellation

        const = preset_constellation(config.constellation, epoch=start)
        const_name = config.constellation
    n = len(const)
    if n == 0:
        raise InputError("the constellation has no satellites", field="constellation")
    if config.bus is not None:
        fleet = Fleet.from_bus(config.bus, n, seed=int(config.seed))
    elif isinstance(config.constellation, Constellation):
        fleet = Fleet.from_bus("starlink-v1", n, seed=int(config.seed))
    else:
        fleet = Fleet.for_constellation(config.constellation, n, seed=int(config.seed))
    bus = fleet.bus
    peak = float(bus.compute_peak_ops_per_s(config.precision))
    if not peak > 0:
        raise InputError(
            f"the payload of bus {bus.name!r} has no {config.precision} compute",
            field="precision",
            expected="a precision the payload supports",
        )
    return policy, spec, start, const, const_name, fleet, peak


def run_service(
    config: ServiceConfig,
    out_dir: Any = None,
    *,
    checkpoint: Any = None,
    progress: Any = None,
) -> EngineResult:
    """Run the inference service ``config`` (see the module docstring).

    With ``out_dir`` also write a run directory (RunWriter). ``checkpoint``: a
    :class:`~spacecompute.sim.checkpoint.Checkpointer`; a saved state is restored and the run
    continues after it, with exactly the results of an uninterrupted run. ``progress(steps_done,
    total_steps)`` is called after every step. Returns an :class:`~spacecompute.sim.engine.
    EngineResult` (summary with every ``SUMMARY_KEYS`` key and the service's own keys; jobs,
    steps and satellites tables; ``trace`` with the ISL pairs and the bytes on each).
    """
    from .core import Core

    wall0 = _time.perf_counter()
    run = ServiceWorkload(config)
    Core([run]).run(checkpoint=checkpoint, progress=progress, out_dir=out_dir)
    return run.result(wall0, out_dir)


@dataclass
class _NewRequests:
    """The requests of one step as the policy decided them (see :meth:`ServiceWorkload.demand`)."""

    t0: int
    in_b: np.ndarray
    new_ids: np.ndarray
    isl_bytes: float
    bits_dropped: float
    dropped: int
    no_satellite: int


class ServiceWorkload:
    """The inference service as a workload plug-in of the core (:mod:`spacecompute.sim.core`).

    :meth:`demand` runs the step's stages 1-4 up to the plan (arrivals, geometry, policy, the
    busy time of each payload: its load); :meth:`advance` stages 5-7 with what the fleet did.
    """

    kind = "inference"
    recording = False  # the core sets it when the run records states

    def __init__(self, config: ServiceConfig) -> None:
        from ..astro.ground import cities
        from .rundir import SCHEMAS  # the run-directory contract

        self.config = config
        policy, spec, start, const, const_name, fleet, peak = check_service_config(config)
        self.policy, self.spec, self.start, self.const = policy, spec, start, const
        self.const_name, self.fleet, self.peak = const_name, fleet, peak
        self.n = n = len(const)
        self.idle_w = float(fleet.bus.compute_power_idle_w)
        table = config.city_table if config.city_table is not None else cities(config.top_cities)
        for col in ("name", "lat_deg", "lon_deg", "population"):
            if col not in table:
                raise InputError(f"city table has no column {col!r}", field="city_table")
        self.users = users = _Users(table)
        if len(users) == 0:
            raise InputError("no cities to draw requests from", field="top_cities")
        # the request generator returns the "name" column: pass the city index there
        self.gen_table = Table(
            {
                "name": np.arange(len(users), dtype=np.int64),
                "lat_deg": users.lat,
                "lon_deg": users.lon,
                "population": np.asarray(table["population"], dtype=np.float64),
            }
        )
        self.isl = _Isl(const, int(config.max_isl_hops))
        self.paths_buffers: tuple[np.ndarray, ...] | None = None
        self.dt = float(config.step_s)
        self.start_ns = int(np.datetime64(start, "ns").astype(np.int64))
        self.total_steps = int(np.floor(config.duration_s / self.dt + 1e-9))
        self.drop_early = bool(getattr(policy, "drop_early", False))
        limit_s = float(config.latency_objective_s) if self.drop_early else float(config.timeout_s)
        self.latency_ns = round(float(config.latency_objective_s) * 1e9)
        self.limit_ns = round(limit_s * 1e9)
        # state: the requests in flight (the others stream to the sink, see _Store)
        self.jobs = _Store(int(config.max_isl_hops))
        self.queue = np.zeros(0, np.int64)
        self.step_columns = [k for k in SCHEMAS["steps"] if k != "time"] + list(_STEP_EXTRA)
        self.rows: dict[str, list[float]] = {k: [] for k in self.step_columns}
        self.step_times: list[int] = []
        self.acc = {k: np.zeros(n) for k in _SAT_ACC}
        self.edge_bytes = np.zeros(self.isl.pairs.shape[0])
        self.counters = {"faults_silent": 0.0, "brownouts": 0.0, "reboots": 0.0, "detected": 0.0}

    # -- the plug-in interface ------------------------------------------------------------------
    def clock(self) -> Any:
        from .core import Clock
        from .engine import run_chunk_steps

        c = self.config
        # chunks in the memory budget (a million satellites: 6 steps, not 120 of 0.15 GB each;
        # 2 where SGP4 runs ahead in its own process, which holds two chunks of its own)
        steps = run_chunk_steps(
            self.const, c.propagator, self.total_steps, int(c.chunk_steps),
            bytes_per_satellite_instant=CHUNK_BYTES_PER_INSTANT,
        )  # fmt: skip
        return Clock(self.start, self.dt, self.total_steps, c.propagator, steps)

    def prepare(self) -> None:
        prepare = getattr(self.policy, "prepare", None)
        if callable(prepare):
            c = self.config
            prepare(
                ServicePredictor(
                    self.const,
                    c.propagator,
                    self.start_ns,
                    self.dt,
                    self.total_steps,
                    self.users,
                    self.isl,
                    self.fleet,
                    self.peak,
                    float(c.rate_per_s_global),
                    float(c.min_elevation_deg),
                    int(c.max_isl_hops),
                    _size_sample(self.spec),
                    c.max_access_satellites,
                )
            )

    def begin_chunk(self, chunk: Any) -> None:
        self.chunk = chunk
        self.isl_d, self.isl_ok = chunk.isl_geometry(self.isl.pairs)

    def stream_tables(self, folder: Any, *, resume: bool) -> None:
        """Stream finished requests to part files under ``folder`` (None: a temporary folder),
        the parts of a resumed run kept (see :meth:`JobStore.stream_to`)."""
        self.jobs.stream_to(None if folder is None else folder / "jobs", resume=resume)

    def state_dict(self) -> dict[str, np.ndarray]:
        # the requests in flight and how far the sink got (JobStore.state_dict)
        state: dict[str, Any] = {"job." + k: v for k, v in self.jobs.state_dict().items()}
        state["queue"] = self.queue
        state["step_times"] = np.asarray(self.step_times, np.int64)
        for k in self.step_columns:
            state["row." + k] = np.asarray(self.rows[k], np.float64)
        for k in _SAT_ACC:
            state["sat." + k] = self.acc[k]
        state["edge_bytes"] = self.edge_bytes
        for k, v in self.counters.items():
            state["count." + k] = np.float64(v)
        return state

    def load_state_dict(self, state: Any) -> None:
        self.jobs.load_state_dict(
            {k[len("job.") :]: v for k, v in state.items() if k.startswith("job.")}
        )
        self.queue = np.asarray(state["queue"], np.int64).copy()
        self.step_times = [int(x) for x in state["step_times"]]
        for k in self.step_columns:
            self.rows[k] = [float(x) for x in state["row." + k]]
        for k in _SAT_ACC:
            self.acc[k] = np.asarray(state["sat." + k], np.float64).copy()
        self.edge_bytes = np.asarray(state["edge_bytes"], np.float64).copy()
        for k in self.counters:
            self.counters[k] = float(state["count." + k])

    def demand(self, step: Any) -> Any:
        """Stages 1-4: arrivals, geometry, the policy's decisions, the plan (the load)."""
        from .core import Demand

        req = self._requests(step)
        cand, paths = self._geometry(step, req)
        sat, prio, no_capacity = self._decide(step, req, cand)
        self.new = self._admit(step, req, cand, paths, sat, prio, no_capacity)
        self.load = self._plan(step.time_ns)
        return Demand(self.load)

    def advance(self, step: Any, grant: Any) -> Any:
        """Stages 5-7 with the fleet's step (as this workload sees it)."""
        from .core import StepRecord

        fs = grant.fleet
        t0, dt, n = step.time_ns, self.dt, self.n
        u = fs.useful_fraction.copy()
        power = fs.compute_power_w.copy()
        load = grant.load  # the plan's load, or less where an arbiter granted less
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(load > 0, self.peak * u / load, 0.0)
        served = _serve(
            self.q_sat, self.q_ready, self.q_rem, self.q_exp, speed, load * dt, dt, self.drop_early
        )
        outcome, t_st, t_en, d_ops, _, in_prog = served
        e_idle, e_waste, ops_done = self._energy(power, u * self.peak * dt, d_ops)
        d_rows, c_end, x_rows = self._outcomes(t0, outcome, t_st, t_en, d_ops)
        job_now = self._faults(fs, in_prog, outcome, d_rows, c_end)
        self._account(step, fs, power, sunlit=step.sunlit, ops_done=ops_done,
                      budget_ops=u * self.peak * dt, e_idle=e_idle, e_waste=e_waste,
                      d_rows=d_rows, x_rows=x_rows, done=outcome == _DONE,
                      waiting=outcome == _WAIT)  # fmt: skip
        if not self.recording:
            return None
        waiting = self.q_rows.sub(outcome == _WAIT)
        q_left = np.bincount(waiting["satellite"], weights=waiting["remaining_ops"], minlength=n)
        admitted = self.jobs.at(self.new.new_ids)
        used = np.concatenate([admitted.edges().ravel(), d_rows.edges().ravel()])
        used = np.unique(used[used >= 0])
        links = (self.isl.pairs[used, 0], self.isl.pairs[used, 1]) if used.size else None
        return StepRecord(ops_done > 0, q_left, job_now, links)

    def result(self, wall0: float, out_dir: Any) -> EngineResult:
        return _finish(self, wall0, out_dir)

    # -- stages ---------------------------------------------------------------------------------
    def _requests(self, step: Any) -> dict[str, np.ndarray]:
        """1. arrivals: the requests of the step (seeded by the step index)."""
        from ..workloads.inference import inference_requests

        c = self.config
        req = inference_requests(
            np.datetime64(step.time_ns, "ns"),
            self.dt,
            rate_per_s_global=float(c.rate_per_s_global),
            seed=_step_seed(c.seed, step.index),
            model=self.spec,
            latency_objective_s=float(c.latency_objective_s),
            city_table=self.gen_table,
        )
        arrival = req["time"].astype("datetime64[ns]").astype(np.int64)
        return {
            "arrival": arrival,
            "city": np.asarray(req["city"], dtype=np.int64),
            "ops": np.asarray(req["ops"], dtype=np.float64),
            "in_b": np.asarray(req["input_bytes"], dtype=np.float64),
            "out_b": np.asarray(req["output_bytes"], dtype=np.float64),
            "deadline": arrival + self.latency_ns,
        }

    def _geometry(self, step: Any, req: dict[str, np.ndarray]) -> tuple[Any, Any]:
        """2. who sees whom: the candidate table of the requesting cities, and the ISL paths."""
        k, c = step.k, self.config
        return _candidates(
            self.users,
            self.isl,
            step.chunk.eph.r_ecef_m[k],
            self.isl_d[k],
            self.isl_ok[k],
            np.unique(req["city"]),
            float(c.min_elevation_deg),
            int(c.max_isl_hops),
            c.max_access_satellites,
            self._paths_out(),
        )

    def _paths_out(self) -> tuple[np.ndarray, ...]:
        """The step's path tables, filled again every step (used within the step only)."""
        if self.paths_buffers is None:
            n, m = self.n, self.isl.m
            self.paths_buffers = (
                np.empty((n, m)),
                np.empty((n, m), np.int64),
                np.empty((n, m), np.int64),
            )
        return self.paths_buffers

    def _decide(self, step: Any, req: dict[str, np.ndarray], cand: Any) -> tuple:
        """3. the policy: a satellite (or reject) and a priority per request."""
        c, jobs, queue, fleet, n = self.config, self.jobs, self.queue, self.fleet, self.n
        t0, sunlit = step.time_ns, step.sunlit
        backlog = np.zeros(n)
        if queue.size:
            q = jobs.at(queue)
            np.add.at(backlog, q["satellite"], q["remaining_ops"])
        self.cap_est = capacity_estimate(fleet, sunlit, self.peak, self.dt)
        view = ServiceView(
            step_index=step.index,
            time_ns=t0,
            dt_s=self.dt,
            arrival_s=(req["arrival"] - t0) / 1e9,
            city=req["city"],
            ops=req["ops"],
            input_bits=req["in_b"] * 8.0,
            output_bits=req["out_b"] * 8.0,
            deadline_s=(req["deadline"] - t0) / 1e9,
            cand_ptr=cand.ptr,
            cand_sat=cand.sat,
            cand_access=cand.access,
            cand_hops=cand.hops,
            cand_delay_s=cand.delay_s,
            cand_elevation_deg=cand.elevation_deg,
            backlog_ops=backlog,
            capacity_ops_per_s=self.cap_est,
            sunlit=sunlit,
            state_of_charge=fleet.state_of_charge,
            thermal_throttle=fleet.thermal_throttle,
            peak_ops_per_s=self.peak,
            uplink_bps=float(c.uplink_bps),
            downlink_bps=float(c.downlink_bps),
            isl_bps=float(c.isl_bps),
            latency_objective_s=float(c.latency_objective_s),
            max_isl_hops=int(c.max_isl_hops),
            seed=int(c.seed),
        )
        m = req["city"].size
        return check_service_decision(self.policy.decide(view), m, n, self.policy, step.index)

    def _entries(self, req: dict[str, np.ndarray], cand: Any, sat: np.ndarray) -> np.ndarray:
        """The decided candidate entry of each request (its access, path, delay); -1: none."""
        city = np.ascontiguousarray(req["city"], np.int64)
        entry = np.empty(city.size, np.int64)
        if _entries_kernel(cand.ptr, cand.sat, city, np.ascontiguousarray(sat, np.int64), entry):
            raise InputError(
                f"policy {self.policy.name} chose a satellite that is not a candidate",
                field="policy",
                expected="a satellite of the request's candidate list",
            )
        return entry

    def _admit(
        self,
        step: Any,
        req: dict[str, np.ndarray],
        cand: Any,
        paths: tuple[np.ndarray, np.ndarray],
        sat: np.ndarray,
        prio: np.ndarray,
        no_capacity: np.ndarray | None,
    ) -> _NewRequests:
        """The step's requests become jobs: queued where a satellite was chosen, else dropped."""
        c, jobs, users = self.config, self.jobs, self.users
        t0 = step.time_ns
        arrival, city, in_b, out_b = req["arrival"], req["city"], req["in_b"], req["out_b"]
        # priorities are seconds after t0: make them comparable across steps
        prio = prio + (t0 - self.start_ns) / 1e9
        has_vis = np.zeros(len(users), bool)
        has_vis[cand.city[cand.hops == 0]] = True
        entry = self._entries(req, cand, sat)
        chosen = sat >= 0
        up_bps, down_bps, isl_bps = float(c.uplink_bps), float(c.downlink_bps), float(c.isl_bps)
        light = _pick(cand.delay_s, entry, chosen, 0.0)
        hops = _pick(cand.hops, entry, chosen, 0)
        delay_in = light + in_b * 8.0 / up_bps + hops * in_b * 8.0 / isl_bps
        delay_out = light + out_b * 8.0 / down_bps + hops * out_b * 8.0 / isl_bps
        dark = _all_candidates_dead(cand, city, self.cap_est)
        if no_capacity is not None:
            dark |= no_capacity
        reason = np.where(
            chosen,
            _R_NONE,
            np.where(~has_vis[city], _R_NO_SAT, np.where(dark, _R_NO_CAP, _R_DEADLINE)),
        )
        # the ISL links of each chosen request's path (-1: none)
        edges = np.full((city.size, len(jobs.edge_columns)), -1, np.int64)
        path = None
        if chosen.any() and self.edge_bytes.size:
            path = self.isl.walk_edges(cand.access[entry[chosen]], cand.slot[entry[chosen]], *paths)
            edges[chosen] = path
        ids = jobs.add(
            ops=req["ops"],
            input_bytes=in_b,
            output_bytes=out_b,
            lat_deg=users.lat[city],
            lon_deg=users.lon[city],
            remaining_ops=req["ops"],
            isl_path_m=_pick(cand.path_m, entry, chosen, 0.0),
            delay_out_s=delay_out,
            priority=prio,
            arrival=arrival,
            ready=arrival + np.round(delay_in * 1e9).astype(np.int64),
            deadline=req["deadline"],
            expiry=arrival + self.limit_ns - np.round(delay_out * 1e9).astype(np.int64),
            satellite=np.where(chosen, sat, -1),
            access=_pick(cand.access, entry, chosen, -1),
            hops=hops,
            city=city,
            status=np.where(chosen, _PENDING, _DROPPED),
            reason=reason,
            end=np.where(chosen, NAT, arrival),  # a rejected request ends at its arrival
            **{k: edges[:, i] for i, k in enumerate(jobs.edge_columns)},
        )
        new_ids = ids[chosen]
        # input bytes over the user link and the ISL path (the output's, on delivery)
        if path is not None:
            _book_links(self.edge_bytes, path, in_b[chosen])
        np.add.at(self.acc["user_bytes"], cand.access[entry[chosen]], in_b[chosen])
        self.queue = np.concatenate([self.queue, new_ids])
        return _NewRequests(
            t0,
            in_b,
            new_ids,
            float((in_b * hops)[chosen].sum()),
            float(in_b[~chosen].sum() * 8.0),
            int(np.count_nonzero(~chosen)),
            int(np.count_nonzero(reason == _R_NO_SAT)),
        )

    def _plan(self, t0: int) -> np.ndarray:
        """4. the queues in service order, planned at the speed known at ``t_k``: the load."""
        jobs, fleet, dt, n = self.jobs, self.fleet, self.dt, self.n
        queue, q = self.queue, jobs.at(self.queue)
        q_sat = q["satellite"]
        order = np.lexsort((queue, q["priority"], ~q["started"], q_sat))
        self.queue = queue[order]
        self.q_rows = q = q.sub(order)  # the queue's rows for the rest of the step
        self.q_sat = q_sat[order]
        self.q_ready = (q["ready"] - t0) / 1e9
        self.q_exp = (q["expiry"] - t0) / 1e9
        self.q_rem = q["remaining_ops"]
        share = 1.0 - np.minimum(fleet.downtime_s, dt) / dt
        plan_speed = self.peak * fleet.thermal_throttle * share
        _, _, _, _, busy, _ = _serve(
            self.q_sat, self.q_ready, self.q_rem, self.q_exp, plan_speed, np.full(n, dt), dt,
            self.drop_early,
        )  # fmt: skip
        return np.minimum(1.0, busy / dt * (1.0 + 1e-9))

    def _energy(
        self, power: np.ndarray, budget_ops: np.ndarray, d_ops: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Idle and active energy; the active charged to jobs by ops out of the granted budget."""
        dt, n, q_sat = self.dt, self.n, self.q_sat
        e_idle = np.minimum(power, self.idle_w) * dt
        e_active = np.maximum(power - self.idle_w, 0.0) * dt
        with np.errstate(divide="ignore", invalid="ignore"):
            j_per_op = np.where(budget_ops > 0, e_active / budget_ops, 0.0)
        job_e = d_ops * j_per_op[q_sat]
        q = self.q_rows
        q["energy_j"] = q["energy_j"] + job_e
        e_waste = e_active - np.bincount(q_sat, weights=job_e, minlength=n)
        return e_idle, e_waste, np.bincount(q_sat, weights=d_ops, minlength=n)

    def _outcomes(
        self, t0: int, outcome: np.ndarray, t_st: np.ndarray, t_en: np.ndarray, d_ops: np.ndarray
    ) -> tuple[_Rows, np.ndarray, _Rows]:
        """5. service: progress, completions (delivered after the return) and drops; returns
        the rows of the completed requests, their compute ends and the rows of the dropped."""
        q = self.q_rows
        q["remaining_ops"] = q["remaining_ops"] - d_ops
        newly = np.isfinite(t_st) & ~q["started"]
        started = q.sub(newly)
        started["start"] = t0 + np.round(t_st[newly] * 1e9).astype(np.int64)
        started["started"] = True
        done = outcome == _DONE
        d = q.sub(done)
        d["remaining_ops"] = 0.0
        c_end = t0 + np.round(t_en[done] * 1e9).astype(np.int64)
        d["compute_end"] = c_end
        deliver = c_end + np.round(d["delay_out_s"] * 1e9).astype(np.int64)
        d["end"] = deliver
        d["status"] = _COMPLETED
        d["on_time"] = deliver <= d["deadline"]
        d_out = d["output_bytes"]
        if self.edge_bytes.size:
            _book_links(self.edge_bytes, d.edges(), d_out)
        self.new.isl_bytes += float((d_out * d["hops"]).sum())
        np.add.at(self.acc["user_bytes"], d["access"], d_out)
        drop = outcome == _DROP
        x = q.sub(drop)
        x["end"] = t0 + np.round(t_en[drop] * 1e9).astype(np.int64)
        x["status"] = _DROPPED
        x["reason"] = np.where(x["fault_hit"], _R_FAULT, _R_DEADLINE)
        return d, c_end, x

    def _faults(
        self,
        fs: Any,
        in_prog: np.ndarray,
        outcome: np.ndarray,
        d_rows: _Rows,
        c_end: np.ndarray,
    ) -> np.ndarray:
        """6. faults: restarts of the job in progress, corrupted results; the queue moves on.
        Returns the job each satellite was computing (-1: none)."""
        queue, n = self.queue, self.n
        hit = (fs.reboots + fs.detected_errors > 0) & (in_prog >= 0)
        if hit.any():
            f = self.q_rows.sub(in_prog[hit])
            f["remaining_ops"] = f["ops"]
            f["fault_hit"] = True
        silent = np.asarray(fs.silent_errors, np.int64)
        if silent.any() and d_rows.slots.size:
            ds = self.q_sat[outcome == _DONE]
            o = np.lexsort((-c_end, ds))  # by satellite, latest end first
            ds_o = ds[o]
            first = np.r_[True, ds_o[1:] != ds_o[:-1]]
            start_pos = np.maximum.accumulate(np.where(first, np.arange(ds_o.size), 0))
            rank = np.arange(ds_o.size) - start_pos
            d_rows.sub(o[rank < silent[ds_o]])["corrupted"] = True
        counters = self.counters
        counters["faults_silent"] += float(silent.sum())
        counters["reboots"] += float(np.sum(fs.reboots))
        counters["detected"] += float(np.sum(fs.detected_errors))
        job_now = (
            np.where(in_prog >= 0, queue[np.maximum(in_prog, 0)], -1)
            if queue.size
            else np.full(n, -1, np.int64)
        )
        self.queue = queue[outcome == _WAIT]
        return job_now

    def _account(self, step: Any, fs: Any, power: np.ndarray, **v: Any) -> None:
        """7. accounting: per satellite and the step's row."""
        acc, dt, new, n = self.acc, self.dt, self.new, self.n
        d, x, ops_done = v["d_rows"], v["x_rows"], v["ops_done"]
        brown = float(np.count_nonzero(fs.brownout))
        self.counters["brownouts"] += brown
        acc["ops_done"] += ops_done
        acc["energy_j"] += power * dt
        acc["energy_idle_j"] += v["e_idle"]
        acc["energy_waste_j"] += v["e_waste"]
        acc["sunlit_steps"] += v["sunlit"]
        acc["jobs_served"] += np.bincount(self.q_sat[v["done"]], minlength=n)
        self.step_times.append(step.time_ns)
        r = self.rows
        for key, value in fleet_row(fs, power, ops_done, self.peak * dt).items():
            r[key].append(value)
        waiting = self.q_rows.sub(v["waiting"])
        r["bits_captured"].append(float(new.in_b.sum() * 8.0))
        r["bits_processed"].append(float(d["input_bytes"].sum() * 8.0))
        r["bits_downlinked"].append(float(d["output_bytes"].sum() * 8.0))
        r["bits_dropped"].append(new.bits_dropped + float(x["input_bytes"].sum() * 8.0))
        r["backlog_bits"].append(float(waiting["input_bytes"].sum() * 8.0))
        r["jobs_completed"].append(float(d.slots.size))
        r["jobs_dropped"].append(float(new.dropped + x.slots.size))
        r["brownouts"].append(brown)
        r["faults"].append(float(np.sum(fs.silent_errors) + np.sum(fs.detected_errors)))
        r["ops_processed"].append(float(ops_done.sum()))
        r["ops_capacity"].append(float(v["budget_ops"].sum()))
        r["jobs_on_time"].append(float(np.count_nonzero(d["on_time"])))
        r["isl_bytes"].append(new.isl_bytes)
        r["energy_idle_j"].append(float(v["e_idle"].sum()))
        r["energy_waste_j"].append(float(v["e_waste"].sum()))
        r["requests_no_satellite"].append(float(new.no_satellite))


def _book_links(edge_bytes: np.ndarray, path: np.ndarray, nbytes: np.ndarray) -> None:
    """Add ``nbytes`` (K,) to every link of the paths (K, H) (-1: no link)."""
    used = path >= 0
    np.add.at(edge_bytes, path[used], np.broadcast_to(nbytes[:, None], path.shape)[used])


def _all_candidates_dead(cand: _Candidates, city: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Per request (M,): True where no candidate satellite of its city can compute now."""
    n_c = cand.ptr.shape[0] - 1
    alive = (cap[cand.sat] > 0).astype(np.float64)
    per_city = np.bincount(cand.city, weights=alive, minlength=n_c)
    return per_city[city] == 0


def _job_table(cols: dict[str, np.ndarray], city_names: np.ndarray) -> Table:
    """The ``jobs`` table of the request rows ``cols`` (the store's columns and ``job_id``)."""
    status, arrival, end = cols["status"], cols["arrival"], cols["end"]
    completed = status == _COMPLETED
    latency = np.full(status.size, np.nan)
    latency[completed] = (end[completed] - arrival[completed]) / 1e9

    def ts(a: np.ndarray) -> np.ndarray:
        return a.astype("datetime64[ns]")  # int64 min is NaT

    ops_done = cols["ops"] - cols["remaining_ops"]
    ops_done = np.where(completed, cols["ops"], np.maximum(ops_done, 0.0))
    out_bytes = np.where(completed, cols["output_bytes"], 0.0)
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
            "bytes_in": cols["input_bytes"],
            "bytes_out": out_bytes,
            "latency_s": latency,
            "energy_j": cols["energy_j"],
            "lat_deg": cols["lat_deg"],
            "lon_deg": cols["lon_deg"],
            "city": city_names[cols["city"]],
            "access_satellite": cols["access"],
            "isl_hops": cols["hops"],
            "isl_path_m": cols["isl_path_m"],
            "isl_bytes": np.where(
                cols["satellite"] >= 0, (cols["input_bytes"] + out_bytes) * cols["hops"], 0.0
            ),
            "ready": ts(cols["ready"]),
            "compute_end": ts(cols["compute_end"]),
            "deadline": ts(cols["deadline"]),
            "on_time": cols["on_time"],
            "ops_done": ops_done,
            "fault_hit": cols["fault_hit"],
            "corrupted": cols["corrupted"],
        }
    )


class _JobTotals:
    """What the summary takes from the ``n`` requests, gathered window by window in job-id
    order: counts, and the columns whose percentiles and sum must equal those of the whole
    table (latencies of completed requests and request energies, filled into arrays of ``n``:
    16 bytes a request, no copies)."""

    def __init__(self, n: int) -> None:
        self.count = dict.fromkeys(
            (
                "completed",
                "dropped",
                "pending",
                "on_time",
                "corrupted",
                "fault_hit",
                *(f"dropped_{r}" for r in _REASON_NAMES[1:]),
            ),
            0,
        )
        self._lat = np.empty(n)
        self._energy = np.empty(n)
        self._n_lat = self._n_energy = 0

    #: The request columns :meth:`add` reads (only these are read of the parts to sum a run
    #: kept in memory, whose table is assembled when first used).
    COLUMNS = (
        "status",
        "reason",
        "on_time",
        "corrupted",
        "fault_hit",
        "arrival",
        "end",
        "energy_j",
    )

    def add(self, cols: dict[str, np.ndarray]) -> None:
        status, reason = cols["status"], cols["reason"]
        completed, dropped = status == _COMPLETED, status == _DROPPED
        c = self.count
        c["completed"] += int(completed.sum())
        c["dropped"] += int(dropped.sum())
        c["pending"] += int((status == _PENDING).sum())
        c["on_time"] += int(np.count_nonzero(cols["on_time"] & completed))
        c["corrupted"] += int(np.count_nonzero(cols["corrupted"]))
        c["fault_hit"] += int(np.count_nonzero(cols["fault_hit"]))
        for code, name in enumerate(_REASON_NAMES[1:], start=1):
            c[f"dropped_{name}"] += int(np.count_nonzero(dropped & (reason == code)))
        lat = (cols["end"][completed] - cols["arrival"][completed]) / 1e9  # as _job_table's
        self._lat[self._n_lat : self._n_lat + lat.size] = lat
        self._n_lat += lat.size
        energy = cols["energy_j"]
        self._energy[self._n_energy : self._n_energy + energy.size] = energy
        self._n_energy += energy.size

    def latencies(self) -> np.ndarray:
        """Latencies (s) of the completed requests, in job-id order."""
        return self._lat[: self._n_lat]

    def energy_j(self) -> float:
        """Sum of the requests' ``energy_j`` (one sum over the column, as the whole table's)."""
        return float(self._energy[: self._n_energy].sum())


def _jobs_written(run: ServiceWorkload, out_dir: Any) -> tuple[Table, _JobTotals]:
    """The jobs table streamed from the store's parts window by window in id order (memory: a
    window) to ``<out_dir>/jobs.parquet``, read back when first used
    (:class:`~spacecompute.sim.sink.ParquetTable`); without a run directory, summed from a
    few columns of the parts now and assembled from them when first used
    (:class:`~spacecompute.sim.sink.KeptTable`)."""
    from pathlib import Path

    jobs, names = run.jobs, run.users.names
    totals = _JobTotals(int(jobs.n))
    empty = _job_table(jobs.empty_rows(), names)
    if out_dir is None:
        for cols in jobs.drain(_JobTotals.COLUMNS):
            totals.add(cols)
        table: Table = kept_table(
            lambda: (_job_table(cols, names) for cols in jobs.drain()),
            int(jobs.n),
            empty,
            release=jobs.close,
        )
        return table, totals

    def pieces() -> Iterator[Table]:
        for cols in jobs.drain():
            totals.add(cols)
            yield _job_table(cols, names)

    table = ParquetTable(write_table_stream(Path(out_dir) / "jobs.parquet", pieces(), empty))
    jobs.close()
    return table, totals


def _finish(run: ServiceWorkload, wall0: float, out_dir: Any) -> EngineResult:
    """Build the tables and the summary; write the run directory if asked."""
    config, policy, const, const_name = run.config, run.policy, run.const, run.const_name
    rows, step_times, acc = run.rows, run.step_times, run.acc
    edge_bytes, isl, counters = run.edge_bytes, run.isl, run.counters
    peak, dt, start = run.peak, run.dt, run.start
    n = len(const)
    n_steps = len(step_times)
    n_jobs = int(run.jobs.n)
    job_table, totals = _jobs_written(run, out_dir)
    count = totals.count
    steps = Table(
        {
            "time": np.asarray(step_times, dtype=np.int64).astype("datetime64[ns]"),
            **{k: np.asarray(v, dtype=np.float64) for k, v in rows.items()},
        }
    )
    duration = n_steps * dt
    satellites = Table(
        {
            "satellite": np.arange(n, dtype=np.int64),
            "name": np.asarray([str(x) for x in const.names], dtype=object),
            "ops_done": acc["ops_done"].copy(),
            "energy_j": acc["energy_j"].copy(),
            "busy_fraction": acc["ops_done"] / (peak * duration)
            if duration > 0
            else acc["ops_done"] * 0,
            "sunlit_fraction": acc["sunlit_steps"] / max(n_steps, 1),
            "energy_idle_j": acc["energy_idle_j"].copy(),
            "energy_waste_j": acc["energy_waste_j"].copy(),
            "jobs_served": acc["jobs_served"].copy(),
            "user_bytes": acc["user_bytes"].copy(),
        }
    )
    lat_done = totals.latencies()
    on_time, n_completed = count["on_time"], count["completed"]
    end_time = np.datetime64(start, "ns") + np.timedelta64(round(duration * 1e9), "ns")
    energy_jobs = totals.energy_j()
    summary: dict[str, Any] = {
        "scenario": config.scenario,
        "policy": policy.name,
        "start": str(np.datetime64(start, "s")) + "Z",
        "end": str(np.datetime64(end_time, "s")) + "Z",
        "steps": n_steps,
        "step_s": dt,
        "satellites": n,
        "jobs_total": n_jobs,
        "jobs_completed": n_completed,
        "jobs_dropped": count["dropped"],
        "bits_captured": float(steps["bits_captured"].sum()),
        "bits_processed": float(steps["bits_processed"].sum()),
        "bits_downlinked": float(steps["bits_downlinked"].sum()),
        "bits_dropped": float(steps["bits_dropped"].sum()),
        "energy_compute_j": float(acc["energy_j"].sum()),
        # in place: the gathered latencies are this summary's alone (no copy of 8 bytes each)
        "latency_median_s": float(np.median(lat_done, overwrite_input=True))
        if lat_done.size
        else None,
        "latency_p95_s": float(np.percentile(lat_done, 95, overwrite_input=True))
        if lat_done.size
        else None,
        "brownouts": counters["brownouts"],
        "faults_silent": counters["faults_silent"],
        "wall_time_s": _time.perf_counter() - wall0,
        # service keys
        "jobs_pending": count["pending"],
        "jobs_on_time": on_time,
        "on_time_fraction": on_time / n_jobs if n_jobs else None,
        "jobs_late": n_completed - on_time,
        "jobs_corrupted": count["corrupted"],
        "jobs_fault_hit": count["fault_hit"],
        "dropped_no_satellite": count["dropped_no_satellite"],
        "dropped_no_capacity": count["dropped_no_capacity"],
        "dropped_deadline": count["dropped_deadline"],
        "dropped_fault": count["dropped_fault"],
        "backlog_bits": float(steps["backlog_bits"][-1]) if n_steps else 0.0,
        "energy_jobs_j": energy_jobs,
        "energy_idle_j": float(acc["energy_idle_j"].sum()),
        "energy_waste_j": float(acc["energy_waste_j"].sum()),
        "energy_per_completed_j": energy_jobs / n_completed if n_completed else None,
        "ops_processed": float(acc["ops_done"].sum()),
        "isl_bytes": float(edge_bytes.sum()),
        "reboots": counters["reboots"],
        "faults_detected": counters["detected"],
        "latency_objective_s": float(config.latency_objective_s),
        "rate_per_s_global": float(config.rate_per_s_global),
        "model": config.model,
        "precision": config.precision,
        "max_isl_hops": int(config.max_isl_hops),
        "seed": int(config.seed),
        "constellation": const_name,
    }
    result = EngineResult(
        summary,
        job_table,
        steps,
        satellites,
        trace={"isl_pairs": isl.pairs.copy(), "isl_bytes": edge_bytes.copy()},
    )
    if out_dir is not None:
        from .rundir import write_run_tables

        # jobs.parquet was streamed there already (_jobs_written)
        result.path = write_run_tables(out_dir, None, steps, satellites, summary)
    return result


__all__ = [
    "ISL_BPS",
    "USER_DOWNLINK_BPS",
    "USER_MIN_ELEVATION_DEG",
    "USER_UPLINK_BPS",
    "ServiceConfig",
    "ServiceForecast",
    "ServicePredictor",
    "capacity_estimate",
    "check_service_config",
    "run_service",
]
