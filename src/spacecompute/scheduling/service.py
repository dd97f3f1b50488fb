"""Policies of the orbital-cloud inference service: one interface, swapped by name.

Every step the engine (:mod:`spacecompute.sim.service`) shows a policy a read-only
:class:`ServiceView` - the requests that arrive during the step, the candidate satellites of
each requesting city (visible ones, and ISL-reachable ones within ``max_isl_hops`` of a visible
one, with their one-way propagation delay) and the state of every satellite at the start of the
step - and gets back a :class:`ServiceDecision`: for each request the satellite that serves it
(``-1``: rejected) and a priority (the order of service on that satellite, smaller first). A
policy never mutates engine state. A policy may define ``prepare(predictor)``; the engine calls
it once before the first step with an object whose ``forecast(step_index, n_steps)`` predicts
the coming steps (orbits are predictable: sunlight, visibility, and the demand model's expected
arrivals), see :class:`spacecompute.sim.service.ServicePredictor`.

Decisions are causal: a request's choice uses the state at the start of the step and the
choices made for the requests that arrived before it in the step (never later arrivals).

Policies (:data:`SERVICE_POLICIES`):

``nearest-visible``
    The highest-elevation visible satellite, no ISL, FIFO: the "compute on the satellite
    overhead" baseline of LEO edge computing (Bhattacherjee et al., "In-orbit computing: an
    outlandish thought experiment?", HotNets 2020; Pfandzelter and Bermbach, "Edge (of the
    Earth) replication", arXiv:2012.08979, 2020). Blind to power, heat and load.
``energy-aware``
    The visible satellite with the most energy and thermal headroom (the share of the payload's
    peak it can run now: sunlit or charged battery, thermal throttle, not rebooting), FIFO;
    rejects when no visible satellite has headroom. The energy-harvesting rule of orbital edge
    computing (Denby and Lucia, "Orbital edge computing", ASPLOS 2020). Blind to load.
``isl-offload``
    Least expected completion time over every candidate within ``max_isl_hops`` (the MCT
    heuristic, Braun et al., JPDC 61(6) 2001; join-the-shortest-queue), FIFO. With
    ``choices=2`` it is the *power of two choices*: compare two random candidates only
    (Mitzenmacher, "The power of two choices in randomized load balancing", IEEE TPDS 12(10)
    2001), which avoids herding on stale load information; the default (all candidates) uses
    the full view the engine gives.
``deadline-aware``
    The same placement plus admission control and earliest-deadline-first service: a request
    whose best expected completion misses its deadline is rejected at arrival, queues are served
    in deadline order (EDF, Liu and Layland, JACM 20(1) 1973), and a queued request that can no
    longer finish in time is dropped before it wastes compute (``drop_early``).
``optimising``
    Receding-horizon linear programme (model predictive control, Mayne et al., Automatica 36
    2000) over the next ``horizon_steps`` steps, solved with HiGHS (Huangfu and Hall, Math.
    Prog. Comp. 10 2018) through :func:`scipy.optimize.linprog`: a transportation problem
    (Hitchcock 1941) from the cities (expected requests per size class from the demand model)
    to their candidate satellites, with the *predicted* visibility of each city (contact
    windows), the *predicted* compute capacity of each satellite and step (eclipses from the
    propagated orbits, battery, thermal throttle), the queued backlog and EDF deadline
    constraints. Objective: the number of requests served within their objective. Its duals
    (bid prices) decide which requests each satellite may take; placement, admission test, EDF
    and early drops are those of ``deadline-aware``, and no compute is placed past a satellite's
    predicted loss of power. See :class:`Optimising` for the LP, why it can beat the
    heuristics and when it cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numba
import numpy as np

from .._parallel import read_only
from ..errors import InputError
from .policies import policy_from_registry

# --------------------------------------------------------------------------------------------
# view and decision


@dataclass(frozen=True)
class ServiceView:
    """Read-only snapshot of one step ``[t0, t0 + dt_s)`` for a service policy.

    Requests (M,), sorted by arrival: ``arrival_s`` seconds after ``t0``, ``city`` index into the
    candidate table, ``ops`` (FLOP), ``input_bits``, ``output_bits``, ``deadline_s`` (seconds
    after ``t0``).

    Candidates of each city ``c`` are entries ``cand_ptr[c]:cand_ptr[c + 1]`` (CSR): serving
    satellite ``cand_sat``, the visible satellite the request enters by ``cand_access``,
    ``cand_hops`` ISL hops from it (0: the serving satellite is visible), ``cand_delay_s``
    one-way light time (user link slant range + ISL path, / c) and ``cand_elevation_deg`` of the
    access satellite. Each serving satellite appears once per city (its lowest-delay access).

    Satellites (N,): ``backlog_ops`` work queued, ``capacity_ops_per_s`` the engine's estimate of
    the rate each can compute at now (payload peak x thermal throttle x availability x power
    factor: sunlit array or battery above its compute-shedding level), ``sunlit``,
    ``state_of_charge``, ``thermal_throttle``; ``peak_ops_per_s`` of the payload.

    Link rates (bit/s): ``uplink_bps`` and ``downlink_bps`` of the user terminal, ``isl_bps`` per
    ISL hop (store and forward). ``seed`` and ``step_index`` seed any randomness of a policy.
    """

    step_index: int
    time_ns: int
    dt_s: float
    arrival_s: np.ndarray
    city: np.ndarray
    ops: np.ndarray
    input_bits: np.ndarray
    output_bits: np.ndarray
    deadline_s: np.ndarray
    cand_ptr: np.ndarray
    cand_sat: np.ndarray
    cand_access: np.ndarray
    cand_hops: np.ndarray
    cand_delay_s: np.ndarray
    cand_elevation_deg: np.ndarray
    backlog_ops: np.ndarray
    capacity_ops_per_s: np.ndarray
    sunlit: np.ndarray
    state_of_charge: np.ndarray
    thermal_throttle: np.ndarray
    peak_ops_per_s: float
    uplink_bps: float
    downlink_bps: float
    isl_bps: float
    latency_objective_s: float
    max_isl_hops: int
    seed: int = 0

    _ARRAYS = (
        "arrival_s",
        "city",
        "ops",
        "input_bits",
        "output_bits",
        "deadline_s",
        "cand_ptr",
        "cand_sat",
        "cand_access",
        "cand_hops",
        "cand_delay_s",
        "cand_elevation_deg",
        "backlog_ops",
        "capacity_ops_per_s",
        "sunlit",
        "state_of_charge",
        "thermal_throttle",
    )

    def __post_init__(self) -> None:
        for name in self._ARRAYS:
            a = np.array(getattr(self, name), copy=True)
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    @property
    def m(self) -> int:
        """Number of requests."""
        return int(self.arrival_s.shape[0])

    @property
    def n(self) -> int:
        """Number of satellites."""
        return int(self.backlog_ops.shape[0])

    def visible_best(self, score: np.ndarray | None = None) -> np.ndarray:
        """Per city (C,), the visible candidate entry (hops 0) with the highest ``score`` (one
        value per candidate entry; default the access elevation), ties to the lower entry;
        -1 where the city sees no satellite."""
        s = self.cand_elevation_deg if score is None else np.asarray(score, dtype=np.float64)
        return segment_argmax(self.cand_ptr, s, self.cand_hops == 0)


@dataclass(frozen=True)
class ServiceDecision:
    """``satellite`` (M,) int64, -1 to reject; ``priority`` (M,) float in seconds after the
    step's ``t0`` (e.g. the arrival for FIFO, the deadline for EDF), smaller served first on a
    satellite, across steps (ties by arrival); a request in service is never preempted.
    ``no_capacity`` (M,) bool, optional: rejections for lack of compute among the satellites
    the policy considers (else the engine calls a rejection ``no_capacity`` only when no
    candidate at all can compute)."""

    satellite: np.ndarray
    priority: np.ndarray
    no_capacity: np.ndarray | None = None


class ServicePolicy(Protocol):
    """A service policy: ``decide(view) -> ServiceDecision``.

    ``drop_early``: queued requests that can no longer finish by their deadline are dropped
    before they start (else they run until the client's timeout).
    """

    name: str
    drop_early: bool

    def decide(self, view: ServiceView) -> ServiceDecision: ...


# --------------------------------------------------------------------------------------------
# vectorized helpers and the placement kernel


def segment_argmax(ptr: np.ndarray, score: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Index of the largest ``score`` among the masked entries of each segment
    ``ptr[c]:ptr[c + 1]`` (ties to the lowest index); -1 for segments with none. No loop."""
    ptr = np.asarray(ptr, dtype=np.int64)
    n_seg = ptr.shape[0] - 1
    out = np.full(n_seg, -1, dtype=np.int64)
    idx = np.flatnonzero(mask)
    if idx.size == 0 or n_seg <= 0:
        return out
    seg = np.searchsorted(ptr, idx, side="right") - 1
    # sort by (segment, -score, index): the first entry of each segment is its best
    order = np.lexsort((idx, -np.asarray(score, dtype=np.float64)[idx], seg))
    s_sorted = seg[order]
    first = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    out[s_sorted[first]] = idx[order][first]
    return out


@numba.njit(cache=True)
def _place_kernel(
    arrival_s,
    city,
    ops,
    in_bits,
    out_bits,
    deadline_s,
    req_class,
    active,
    cand_ptr,
    cand_sat,
    cand_hops,
    cand_delay_s,
    allowed,
    free_at_s,
    speed,
    until_s,
    ops_limit,
    up_bps,
    down_bps,
    isl_bps,
    admit,
    fallback,
    two_choices,
    rnd,
    out_sat,
    out_done,
):  # pragma: no cover - numba
    """Least expected completion time placement, request by request in arrival order.

    Expected delivery on candidate j (satellite w): ready = arrival + light time + input bits /
    uplink + hops x input bits / ISL rate; start = max(ready, free_at[w]); end = start + ops /
    speed[w]; delivered = end + light time + output bits / downlink + hops x output / ISL. The
    chosen satellite's ``free_at`` becomes ``end`` (a Lindley recursion on the estimate), so
    later requests of the step see the load of earlier ones; a candidate whose compute would
    end after ``until_s[w]`` (the satellite is predicted to lose power then), or whose
    ``ops_limit[w]`` the request exceeds (a bid price), is skipped. First
    pass: entries with
    ``allowed[j, class]``; with ``fallback`` a second pass over all entries when the first finds
    nothing (or nothing in time, with ``admit``). ``two_choices``: only two random feasible
    entries (``rnd`` (M, 2) uniforms) are compared.
    """
    m = arrival_s.shape[0]
    scratch = np.empty(cand_sat.shape[0], dtype=np.int64)
    # per request, the transfer times of each hop count (the same operations as written out
    # per candidate: (h x bits) / rate), so the candidate loop does no division but one
    h_top = 0
    for j in range(cand_hops.shape[0]):
        h_top = max(h_top, cand_hops[j])
    in_isl = np.empty(h_top + 1)
    out_isl = np.empty(h_top + 1)
    for i in range(m):
        out_sat[i] = -1
        out_done[i] = np.inf
        if not active[i]:
            continue
        c = city[i]
        lo = cand_ptr[c]
        hi = cand_ptr[c + 1]
        q = req_class[i]
        best = np.inf
        best_w = -1
        best_end = 0.0
        t_arr = arrival_s[i]
        in_up = in_bits[i] / up_bps
        out_down = out_bits[i] / down_bps
        for h in range(h_top + 1):
            in_isl[h] = h * in_bits[i] / isl_bps
            out_isl[h] = h * out_bits[i] / isl_bps
        for attempt in range(2):
            if attempt == 1 and not fallback:
                break
            n_ok = 0
            for j in range(lo, hi):
                if attempt == 0 and not allowed[j, q]:
                    continue
                if speed[cand_sat[j]] <= 0.0:
                    continue
                scratch[n_ok] = j
                n_ok += 1
            if n_ok == 0:
                continue
            if two_choices and n_ok > 2:
                a = int(rnd[i, 0] * n_ok)
                b = int(rnd[i, 1] * (n_ok - 1))
                if b >= a:
                    b += 1
                scratch[0], scratch[1] = scratch[min(a, b)], scratch[max(a, b)]
                n_ok = 2
            for k in range(n_ok):
                j = scratch[k]
                w = cand_sat[j]
                if ops[i] > ops_limit[w]:
                    continue
                h = cand_hops[j]
                d = cand_delay_s[j]
                ready = t_arr + d + in_up + in_isl[h]
                start = max(ready, free_at_s[w])
                end = start + ops[i] / speed[w]
                if end > until_s[w]:
                    continue
                done = end + d + out_down + out_isl[h]
                if done < best:
                    best = done
                    best_w = w
                    best_end = end
            if best_w >= 0 and (not admit or best <= deadline_s[i]):
                break
        if best_w < 0 or (admit and best > deadline_s[i]):
            continue
        free_at_s[best_w] = best_end
        out_sat[i] = best_w
        out_done[i] = best


def place_least_completion(
    view: ServiceView,
    *,
    admit: bool,
    allowed: np.ndarray | None = None,
    req_class: np.ndarray | None = None,
    active: np.ndarray | None = None,
    fallback: bool = True,
    choices: int = 0,
    until_s: np.ndarray | None = None,
    ops_limit: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Satellite (M,) (-1: none / rejected) and expected delivery time (s after ``t0``, inf
    when rejected) of each request by least expected completion time (see
    :func:`_place_kernel`). ``allowed`` (J, Q) bool restricts the first pass by request class
    ``req_class`` (M,); ``active`` (M,) False skips a request; ``choices=2``: power of two
    choices; ``admit``: reject requests whose best delivery misses the deadline; ``until_s``
    (N,): no compute may end after it on that satellite (s after ``t0``; default never);
    ``ops_limit`` (N,): largest request (ops) a satellite may take (default no limit)."""
    m = view.m
    n_cand = view.cand_sat.shape[0]
    if allowed is None:
        allowed = np.ones((n_cand, 1), dtype=np.bool_)
        req_class = np.zeros(m, dtype=np.int64)
    if req_class is None:
        req_class = np.zeros(m, dtype=np.int64)
    if active is None:
        active = np.ones(m, dtype=np.bool_)
    speed = np.asarray(view.capacity_ops_per_s, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        free_at = np.where(speed > 0, view.backlog_ops / speed, np.inf)
    free_at = np.ascontiguousarray(free_at, dtype=np.float64)
    if choices == 2:
        rng = np.random.default_rng([int(view.seed), int(view.step_index), 0x2C40])
        rnd = rng.random((m, 2))
    else:
        rnd = np.zeros((m, 2))
    out_sat = np.empty(m, dtype=np.int64)
    out_done = np.empty(m, dtype=np.float64)
    # inputs as read-only views, whatever the view's arrays are: one compiled signature
    _place_kernel(
        *map(
            read_only,
            (
                np.ascontiguousarray(view.arrival_s, dtype=np.float64),
                np.ascontiguousarray(view.city, dtype=np.int64),
                np.ascontiguousarray(view.ops, dtype=np.float64),
                np.ascontiguousarray(view.input_bits, dtype=np.float64),
                np.ascontiguousarray(view.output_bits, dtype=np.float64),
                np.ascontiguousarray(view.deadline_s, dtype=np.float64),
                np.ascontiguousarray(req_class, dtype=np.int64),
                np.ascontiguousarray(active, dtype=np.bool_),
                np.ascontiguousarray(view.cand_ptr, dtype=np.int64),
                np.ascontiguousarray(view.cand_sat, dtype=np.int64),
                np.ascontiguousarray(view.cand_hops, dtype=np.int64),
                np.ascontiguousarray(view.cand_delay_s, dtype=np.float64),
                np.ascontiguousarray(allowed, dtype=np.bool_),
            ),
        ),
        free_at,
        *map(
            read_only,
            (
                np.ascontiguousarray(speed),
                np.full(view.n, np.inf)
                if until_s is None
                else np.ascontiguousarray(until_s, dtype=np.float64),
                np.full(view.n, np.inf)
                if ops_limit is None
                else np.ascontiguousarray(ops_limit, dtype=np.float64),
            ),
        ),
        float(view.uplink_bps),
        float(view.downlink_bps),
        float(view.isl_bps),
        bool(admit),
        bool(fallback),
        choices == 2,
        rnd,
        out_sat,
        out_done,
    )
    return out_sat, out_done


def _fifo(view: ServiceView) -> np.ndarray:
    return np.asarray(view.arrival_s, dtype=np.float64).copy()


# --------------------------------------------------------------------------------------------
# heuristics


def _satellite_of_entry(view: ServiceView, entry: np.ndarray) -> np.ndarray:
    """The satellite of each candidate entry (-1 for -1; every request -1 when no city sees a
    satellite this step and there are no candidate entries at all)."""
    if view.cand_sat.size == 0:
        return np.full(np.shape(entry), -1, np.int64)
    return np.where(entry >= 0, view.cand_sat[np.maximum(entry, 0)], -1)


@dataclass(frozen=True)
class NearestVisible:
    """The highest-elevation visible satellite, FIFO (see the module docstring)."""

    name: str = "nearest-visible"
    drop_early: bool = False

    def decide(self, view: ServiceView) -> ServiceDecision:
        best = view.visible_best()
        entry = best[view.city] if view.m else np.zeros(0, np.int64)
        sat = _satellite_of_entry(view, entry)
        return ServiceDecision(sat.astype(np.int64), _fifo(view))


@dataclass(frozen=True)
class EnergyAware:
    """The visible satellite with the most headroom, FIFO (see the module docstring).

    Headroom of satellite w: ``capacity_ops_per_s[w] / peak`` in [0, 1] (0 in eclipse with the
    battery at its compute-shedding level, when rebooting, or fully throttled); ties by state of
    charge, then elevation. Rejects when the best visible headroom is below ``min_headroom``.
    """

    name: str = "energy-aware"
    drop_early: bool = False
    min_headroom: float = 1e-6

    def decide(self, view: ServiceView) -> ServiceDecision:
        peak = view.peak_ops_per_s if view.peak_ops_per_s > 0 else 1.0
        headroom = np.clip(view.capacity_ops_per_s / peak, 0.0, 1.0)
        w = view.cand_sat
        score = (
            np.round(headroom[w], 9) * 4.0
            + np.round(view.state_of_charge[w], 9) * 2.0
            + view.cand_elevation_deg / 90.0 * 0.5
        )
        best = view.visible_best(score)
        entry = best[view.city] if view.m else np.zeros(0, np.int64)
        ok = entry >= 0
        sat = _satellite_of_entry(view, entry)
        dark = ok & (headroom[np.maximum(sat, 0)] < self.min_headroom)
        ok &= ~dark
        return ServiceDecision(np.where(ok, sat, -1).astype(np.int64), _fifo(view), dark)


@dataclass(frozen=True)
class IslOffload:
    """Least expected completion time within ``max_isl_hops``, FIFO, no admission control
    (``choices=2``: power of two choices). See the module docstring."""

    name: str = "isl-offload"
    drop_early: bool = False
    choices: int = 0

    def __post_init__(self) -> None:
        if self.choices not in (0, 2):
            raise InputError(
                f"choices = {self.choices!r}", field="choices", expected="0 (all) or 2"
            )

    def decide(self, view: ServiceView) -> ServiceDecision:
        sat, _ = place_least_completion(view, admit=False, choices=self.choices)
        return ServiceDecision(sat, _fifo(view))


@dataclass(frozen=True)
class DeadlineAware:
    """Least expected completion time with admission control, EDF service and early drops
    (see the module docstring)."""

    name: str = "deadline-aware"
    drop_early: bool = True

    def decide(self, view: ServiceView) -> ServiceDecision:
        sat, _ = place_least_completion(view, admit=True)
        return ServiceDecision(sat, np.asarray(view.deadline_s, dtype=np.float64).copy())


# --------------------------------------------------------------------------------------------
# the optimising policy


def window_capacity_ops(
    rate_ops_per_s: np.ndarray, dt_s: float, latency_objective_s: float, horizon_steps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute available to the requests arriving in steps ``a .. b`` of a horizon.

    ``rate_ops_per_s`` (S, N) predicted rate per step (S >= 1; steps past its end repeat the
    last). For each window ``0 <= a <= b < horizon_steps`` the ops each satellite can do
    between ``a dt`` and the last deadline of those arrivals, ``(b + 1) dt + L``. Returns
    (a (W,), b (W,), capacity (W, N)). Under EDF a set of requests is feasible on one
    satellite when, for every such window, the work released in it fits this capacity (the
    processor-demand criterion, Baruah, Rosier and Howell, Real-Time Systems 2(4) 1990, taken
    at step resolution)."""
    rate = np.asarray(rate_ops_per_s, dtype=np.float64)
    dt = float(dt_s)
    lat = float(latency_objective_s)
    h = int(horizon_steps)
    reach = h + int(np.ceil(lat / dt)) + 1
    if rate.shape[0] < reach:
        rate = np.concatenate([rate, np.repeat(rate[-1:], reach - rate.shape[0], axis=0)])
    a_w, b_w = np.triu_indices(h)  # all windows a <= b
    lo = a_w * dt
    hi = (b_w + 1) * dt + lat
    s = np.arange(reach)
    overlap = np.clip(
        np.minimum(hi[:, None], (s[None, :] + 1) * dt) - np.maximum(lo[:, None], s[None, :] * dt),
        0.0,
        None,
    )  # (W, S) seconds of step s inside window w
    return a_w, b_w, overlap @ rate[:reach]


@dataclass
class Optimising:
    """Receding-horizon LP over predicted capacity, visibility and demand (module docstring).

    LP, re-solved every step ``k`` over steps ``tau = 0 .. H-1`` (``H = horizon_steps``), in
    units of one mean request (``U`` ops):

    - flows ``y[tau, c, w] >= 0`` (work, in U) from city ``c`` to each candidate satellite ``w``
      of the *predicted* candidate table of step ``k + tau`` (predicted visibility and ISL
      paths) that has predicted capacity;
    - counts ``0 <= z[tau, c, q] <= n[tau, c] p_q`` of requests served, for the size classes
      ``q`` (``n_classes`` equal-count quantile classes of the workload's sizes, share ``p_q``,
      mean ``ops_q``); ``n`` is the demand forecast (population x diurnal profile x rate x dt);
    - a city's served work is what its flows carry: ``sum_q ops_q z / U <= sum_w y``. Within a
      city every class has the same candidates, so this is exact and keeps the LP at
      (cities x candidates) + (cities x classes) variables instead of their product;
    - deadlines of satellite ``w``: for every window of arrival steps ``a <= b`` of the
      horizon, ``sum_{tau in [a, b]} y[tau, ., w] <= (utilisation x C_w(a, b) - [a = 0]
      backlog_w) / U``, with ``C_w(a, b)`` the predicted ops ``w`` can do from ``a dt`` to the
      last deadline ``(b + 1) dt + L`` (:func:`window_capacity_ops`, the processor-demand
      criterion of EDF at step resolution). The windows couple the steps of the horizon:
      the backlog and the work admitted now use the capacity of the coming steps, and a
      satellite predicted to enter eclipse offers none there;
    - minimise ``-sum z + eps sum cost y`` with ``cost = (2 x light time + U / rate) / L``
      (capped at 1): each unserved request costs 1, so the LP maximises the requests served in
      time, and ``eps = latency_weight`` breaks ties towards low latency.

    Dispatch for step ``k`` by *bid prices* (the LP-based admission control of network revenue
    management: Talluri and van Ryzin, "An analysis of bid-price controls for network revenue
    management", Management Science 44(11) 1998). The dual of satellite ``w``'s deadline rows
    for the windows that contain the current step, ``pi_w``, is the number of requests in time
    that one unit of its capacity is predicted to be worth; a request of ``o`` ops is worth 1,
    so it may use ``w`` only if ``pi_w o / U <= 1``, i.e. ``o <= U / pi_w``
    (:meth:`plan`'s ``ops_limit``: no limit where ``w`` is predicted to have spare capacity).
    Among the satellites it may use, a request is placed by least expected completion, never
    where its compute would end after the satellite is predicted to lose power
    (:meth:`power_cutoff_s`, from the predicted eclipses), rejected if even the best misses the
    deadline, and served EDF with early drops (as ``deadline-aware``). The prices act on each
    request's actual size and the actual queues, so a forecast that is off by the Poisson noise
    of a step does not throw work away the way a thinning by planned shares does (tried while
    developing this policy: it lost 1 to 2 points of requests in time to ``deadline-aware``, as
    did routing the requests along the LP's flows, whose vertex solutions put a city's work on
    one or two satellites).

    Why it can beat the heuristics on requests served in time: under overload it admits the
    request mix that maximises the count, i.e. small requests before large ones (the exchange
    argument behind Moore and Hodgson's rule for the number of late jobs, Moore, Management
    Science 15(1) 1968), where the heuristics admit in arrival order; and it keeps work off
    satellites about to lose power. Where it cannot: with no overload every load-balancing
    policy serves nearly all requests in time and the LP has nothing to gain (it then behaves
    as ``deadline-aware``, all prices being 0); and its prices follow the *expected* demand and
    a fluid capacity (no queueing inside a step), so the gain is a fraction of a point, not
    more, and ``n_classes`` must resolve the size distribution finely enough (with 3 classes
    the threshold is a class mean and the policy lost to ``deadline-aware``; 6 to 16 classes
    gave the same result).
    """

    name: str = "optimising"
    drop_early: bool = True
    horizon_steps: int = 2
    n_classes: int = 8
    utilisation: float = 1.0
    latency_weight: float = 0.01
    predictor: Any = field(default=None, repr=False)
    last_lp: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for name in ("horizon_steps", "n_classes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
                raise InputError(f"{name} = {v!r}", field=name, expected="a whole number >= 1")
        if not 0.0 < float(self.utilisation) <= 1.0:
            raise InputError(
                f"utilisation = {self.utilisation!r}", field="utilisation", expected="in (0, 1]"
            )
        if not 0.0 <= float(self.latency_weight) < 1.0:
            raise InputError(
                f"latency_weight = {self.latency_weight!r}",
                field="latency_weight",
                expected="in [0, 1)",
            )

    def prepare(self, predictor: Any) -> None:
        """Keep the engine's predictor (see :class:`spacecompute.sim.service.ServicePredictor`)."""
        self.predictor = predictor

    def classes(self, size_sample_ops: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class upper bounds (Q - 1,), mean ops (Q,) and share of requests (Q,) from a sample
        of request sizes; one class when all sizes are equal."""
        sample = np.sort(np.asarray(size_sample_ops, dtype=np.float64))
        q = int(self.n_classes)
        if sample.size == 0 or sample[0] == sample[-1] or q == 1:
            mean = float(sample.mean()) if sample.size else 0.0
            return np.zeros(0), np.full(1, mean), np.ones(1)
        bounds = np.unique(np.quantile(sample, np.arange(1, q) / q))
        cls = np.searchsorted(bounds, sample, side="right")
        counts = np.bincount(cls, minlength=bounds.size + 1)
        means = np.bincount(cls, weights=sample, minlength=bounds.size + 1) / np.maximum(counts, 1)
        return bounds, means, counts / counts.sum()

    def plan(self, view: ServiceView) -> dict[str, np.ndarray]:
        """Solve the LP at ``view.step_index``. Returns ``ops_limit`` (N,): the largest request
        (ops) each satellite may take now (``U / pi``; inf where its bid price is 0),
        ``share`` (C, Q) the planned admission share per city and class of the current step
        (NaN: no LP group; for inspection) and the class ``bounds``; records the LP's size and
        status in ``last_lp``."""
        from scipy import sparse
        from scipy.optimize import linprog

        reach = int(self.horizon_steps) + int(np.ceil(view.latency_objective_s / view.dt_s)) + 1
        fc = self.predictor.forecast(view.step_index, reach)
        bounds, q_ops, q_share = self.classes(fc.size_sample_ops)
        n_q = q_ops.shape[0]
        n = view.n
        n_c = view.cand_ptr.shape[0] - 1
        out = {
            "share": np.full((n_c, n_q), np.nan),
            "bounds": bounds,
            "ops_limit": np.full(n, np.inf),
        }
        h = min(int(self.horizon_steps), fc.capacity_ops_per_s.shape[0])
        unit = float(np.sum(q_ops * q_share))
        if h == 0 or unit <= 0:
            return out
        dt = float(view.dt_s)
        lat = float(view.latency_objective_s)
        rate = np.asarray(fc.capacity_ops_per_s, dtype=np.float64)
        w_a, w_b, w_cap = window_capacity_ops(rate, dt, lat, h)
        w_cap = float(self.utilisation) * w_cap
        w_cap[w_a == 0] -= np.asarray(view.backlog_ops, dtype=np.float64)[None, :]
        demand = np.asarray(fc.demand, dtype=np.float64)
        # flow variables over the predicted candidate tables
        taus = [np.full(fc.cand_city[t].shape[0], t, np.int64) for t in range(h)]
        y_tau = np.concatenate(taus)
        y_city = np.concatenate(fc.cand_city[:h]).astype(np.int64)
        y_sat = np.concatenate(fc.cand_sat[:h]).astype(np.int64)
        y_delay = np.concatenate(fc.cand_delay_s[:h]).astype(np.float64)
        keep = (rate[y_tau, y_sat] > 0) & (demand[y_tau, y_city] > 0)
        y_tau, y_city, y_sat, y_delay = y_tau[keep], y_city[keep], y_sat[keep], y_delay[keep]
        if y_tau.size == 0:
            out["share"][:] = 0.0
            return out
        n_y = y_tau.size
        y_cost = np.minimum((2.0 * y_delay + unit / rate[y_tau, y_sat]) / lat, 1.0)
        # groups (tau, city) that have a flow
        g_key, y_g = np.unique(y_tau * n_c + y_city, return_inverse=True)
        n_g = g_key.size
        g_tau, g_city = g_key // n_c, g_key % n_c
        g_n = demand[g_tau, g_city]
        # z variables: group x class
        n_z = n_g * n_q
        z_g = np.repeat(np.arange(n_g), n_q)
        z_q = np.tile(np.arange(n_q), n_g)
        c = np.concatenate([float(self.latency_weight) * y_cost, -np.ones(n_z)])
        upper = np.concatenate([np.full(n_y, np.inf), g_n[z_g] * q_share[z_q]])
        # rows: per group, served work <= flows; per (window, satellite), deadlines
        rows = [y_g, z_g]
        cols = [np.arange(n_y), n_y + np.arange(n_z)]
        vals = [-np.ones(n_y), q_ops[z_q] / unit]
        cap_rows, cap_cols = [], []
        for wi in range(w_a.size):  # the H (H + 1) / 2 windows of the horizon
            inside = (y_tau >= w_a[wi]) & (y_tau <= w_b[wi])
            cap_rows.append(wi * n + y_sat[inside])
            cap_cols.append(np.flatnonzero(inside))
        cap_key, cap_inv = np.unique(np.concatenate(cap_rows), return_inverse=True)
        rows.append(n_g + cap_inv)
        cols.append(np.concatenate(cap_cols))
        vals.append(np.ones(cap_inv.size))
        a_ub = sparse.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(n_g + cap_key.size, n_y + n_z),
        )
        b_ub = np.concatenate(
            [np.zeros(n_g), np.maximum(w_cap[cap_key // n, cap_key % n], 0.0) / unit]
        )
        res = linprog(
            c,
            A_ub=a_ub,
            b_ub=b_ub,
            bounds=np.stack([np.zeros(n_y + n_z), upper], axis=1),
            method="highs",
        )
        self.last_lp = {
            "variables": float(n_y + n_z),
            "rows": float(a_ub.shape[0]),
            "status": float(res.status),
            "served_expected": float(res.x[n_y:].sum()) if res.status == 0 else 0.0,
        }
        if res.status != 0:
            return out  # no plan: every request is handled as by deadline-aware
        x = np.asarray(res.x)
        z = x[n_y:].reshape(n_g, n_q)
        now = g_tau == 0
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.clip(z / (g_n[:, None] * q_share[None, :]), 0.0, 1.0)
        out["share"][g_city[now]] = frac[now]
        # bid prices: the duals of the deadline rows of the windows a request of this step
        # uses (a = 0), in requests per unit U of work
        dual = -np.asarray(res.ineqlin.marginals)[n_g:]
        win = cap_key // n
        now_rows = w_a[win] == 0
        price = np.zeros(n)
        np.add.at(price, (cap_key % n)[now_rows], np.maximum(dual[now_rows], 0.0))
        with np.errstate(divide="ignore"):
            out["ops_limit"] = np.where(price > 1e-9, unit / price, np.inf)
        return out

    def power_cutoff_s(self, view: ServiceView) -> np.ndarray:
        """Per satellite (N,), when it is predicted to stop computing (s after ``t0``): the
        start of the first step of the horizon with no predicted capacity (its eclipse with
        the battery at the shedding level); inf when none is predicted."""
        reach = int(self.horizon_steps) + int(np.ceil(view.latency_objective_s / view.dt_s)) + 1
        fc = self.predictor.forecast(view.step_index, reach)
        rate = np.asarray(fc.capacity_ops_per_s, dtype=np.float64)
        out = np.full(view.n, np.inf)
        for s in range(rate.shape[0] - 1, 0, -1):  # the few steps of the horizon
            out[rate[s] <= 0] = s * float(view.dt_s)
        return out

    def decide(self, view: ServiceView) -> ServiceDecision:
        if self.predictor is None:
            raise InputError(
                "the optimising policy needs a predictor",
                field="policy",
                expected="prepare(predictor) called by the engine before the first step",
            )
        plan = self.plan(view)
        sat, _ = place_least_completion(
            view, admit=True, until_s=self.power_cutoff_s(view), ops_limit=plan["ops_limit"]
        )
        return ServiceDecision(sat, np.asarray(view.deadline_s, dtype=np.float64).copy())


# --------------------------------------------------------------------------------------------
# registry


SERVICE_POLICIES: dict[str, Callable[..., ServicePolicy]] = {
    "nearest-visible": NearestVisible,
    "energy-aware": EnergyAware,
    "isl-offload": IslOffload,
    "deadline-aware": DeadlineAware,
    "optimising": Optimising,
}


def get_service_policy(name: str, **options: Any) -> ServicePolicy:
    """A new instance of the service policy ``name`` (options passed to its constructor);
    :class:`InputError` listing the names otherwise."""
    return policy_from_registry(SERVICE_POLICIES, name, "service", options)


__all__ = [
    "SERVICE_POLICIES",
    "DeadlineAware",
    "EnergyAware",
    "IslOffload",
    "NearestVisible",
    "Optimising",
    "ServiceDecision",
    "ServicePolicy",
    "ServiceView",
    "get_service_policy",
    "place_least_completion",
    "segment_argmax",
    "window_capacity_ops",
]
