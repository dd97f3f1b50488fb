"""The optimising policy: receding-horizon linear programming over predicted eclipses and contacts.

Idea
----
Orbits are predictable, so the sunlight, the ground contacts and the imaging workload of the
coming hours are known in advance (:class:`~spacecompute.sim.forecast.EOPredictor` computes them
with the engine's own functions). :class:`LookAhead` uses that knowledge the way model predictive
control does (E. F. Camacho and C. Bordons, *Model Predictive Control*, 2nd ed., Springer 2007,
ch. 1-2 and 7 (constrained MPC); J. B. Rawlings, D. Q. Mayne and M. M. Diehl, *Model Predictive
Control: Theory, Computation, and Design*, 2nd ed., Nob Hill 2017, ch. 1-2): every ``R`` steps it
solves a linear program over the next ``H`` steps from the measured state (backlog, state of
charge, thermal throttle), applies the first ``R`` steps of the plan and plans again (receding
horizon), so forecast errors and unmodelled effects (thermal throttling, radiation reboots) are
corrected by feedback. It is the energy-aware scheduling problem of orbital edge computing
(B. Denby and B. Lucia, "Orbital Edge Computing: Nanosatellite Constellations as a New Class of
Computer System", ASPLOS 2020: a 3U cubesat whose Jetson TX2 draws more than its array gives
must duty-cycle on its battery), posed as an optimisation instead of a threshold rule.

The linear program (one per satellite; all satellites of a group in one sparse LP)
-----------------------------------------------------------------------------------
Units inside the LP are scaled: ops in ``U = peak x dt`` (one step of the payload at full
load), result bits in the same ``U`` (the results of ``U`` ops), energy in battery capacities
``C``. For steps ``k = 0 .. H-1`` (``k = 0`` is the current step):

- compute ``c_k`` in ``[0, throttle]`` (``k = 0``: the measured thermal throttle; later 1);
- compute backlog (FIFO queue, arrivals of step ``k`` are served from step ``k + 1``, the
  engine's order): ``q_{k+1} = q_k - c_k + a_k`` with ``q_0`` the measured backlog and
  ``q_{k+1} >= a_k`` (that is ``c_k <= q_k``: cumulative compute <= backlog + cumulative
  arrivals);
- results queue: ``o_{k+1} = o_k + c_k - y_k``, ``y_k <= o_k`` (results are downlinkable only
  once processed, from the next step, as in the engine), ``o_0 = 0`` (what is already in the
  downlink queue goes down whatever the plan), ``y_k <= rate_k dt / (rho U)`` with ``rate_k``
  the predicted best station rate (an upper bound: the engine gives each station to one
  satellite) and ``rho`` the predicted useful result bits per op (cloudy frames give none);
- battery (linear, the priority rules of :mod:`spacecompute.spacecraft.power`):
  generation ``g_k = P_array x sunlit_k x dt`` (two-axis sun tracking, the Fleet's default
  attitude, so the incidence cosine is 1), essential load ``L_e = (bus + radio + heater) x
  dt``, payload idle ``L_i = P_idle dt``, compute energy ``j c_k`` with
  ``j = (P_max - P_idle) dt`` per ``U``::

      j c_k + ch_k + w_k - eta_d d_k - s_k - i_k = g_k - L_e - L_i   (energy balance)
      ch_k + w_k <= g_k                                  (only the array charges / is curtailed)
      c_k <= throttle_k (1 - i_k / L_i)                  (a shed payload computes nothing)
      E_{k+1} = E_k + eta_c ch_k - d_k,  E in [E_floor, C]           (stored energy)
      E_{k+1} + z_{k+1} >= E_reserve                                 (reserve, soft)

  with ``ch`` charge, ``d`` discharge, ``w`` curtailment (array energy wasted when the battery
  is full), ``s`` shortfall (a brown-out: essential loads not served), ``i`` the payload's idle
  energy shed, in ``[0, min(L_i, L_e + L_i - g_k)]`` (the array powers the payload before it
  charges, so only what it cannot carry may be shed), and ``z`` the gap below the reserve. The policy cannot switch
  the payload off (a load of 0 still draws idle power); the Fleet sheds it only when the battery
  is at the reserve and the array cannot carry it, so shedding is priced between the value of
  compute and the reserve penalty: the LP sheds only where the Fleet would (at the reserve, in
  eclipse), never to save energy for compute elsewhere. ``E_floor`` is the depth-of-discharge floor and ``E_reserve`` the Fleet's
  compute-shedding level (``(1 - DoD) C`` plus the essential loads for ``reserve_eclipse_s``
  of eclipse), read from a :class:`~spacecompute.spacecraft.fleet.Fleet` built with the engine's
  defaults, so the LP and the simulator share one set of numbers.

Objective (maximised): ``sum_k W_k (y_k + beta c_k) - M_z sum z - M_s sum s - M_i sum i
+ tau E_H`` with
``W_k = 1 + gamma (H - k) / H`` (a result delivered now is worth ``1 + gamma`` times one
delivered at the end of the horizon: earlier is better, which cuts capture-to-insight latency),
``beta`` the value of processing before delivery (frees storage; results delivered after the
horizon), penalties ``M_z`` (per unit of energy below the reserve per step: ten times what that
energy could buy in compute) and ``M_s = 10 (H + 1) M_z`` (above any sum of reserve gaps a
shortfall could avoid: never brown out to protect the reserve), ``M_i = M_z / 5`` (shedding
the idle payload costs more than any compute the energy could buy, less than the reserve), and
a tiny terminal value ``tau`` of stored energy (so the plan never dumps energy it cannot use).
The metric this optimises is therefore: useful result bits delivered to the ground, earlier
better, without a brown-out and without dipping into the eclipse reserve.

Approximations (all on the safe side or negligible, except where said): the Fleet sheds the
payload by the state of charge, the LP by price (above; shedding is priced a little higher in
earlier steps so that it comes as late as possible, at the reserve); the useful-result density
``rho`` is the window's average (the FIFO order fixes which frames are served; with clouds
drawn per frame the average is what a linear model can use); battery fade and array
degradation over the horizon are neglected (a day is < 0.1 %); storage limits are not
modelled; the thermal throttle is only known for the current step (throttling later makes the
satellite compute and spend less than planned: safe). Near the end of a run the window is cut,
so the last plans do not see the eclipses after it (an end effect of any finite horizon).

Decision: for a step ``i`` steps after the last plan, the load is the planned ``c_i``, capped by
the measured backlog (``load = min(c_i, backlog / U)``), so the satellite never spends more
energy than planned. The plan depends only on the step index (plans start at multiples of
``R``) and on the forecast, which is exact whatever the window, so results do not depend on the
engine's chunking. HiGHS solves the LPs (Q. Huangfu and J. A. J. Hall, "Parallelizing the dual
revised simplex method", Math. Prog. Comp. 10 (2018) 119-142) through
:func:`scipy.optimize.linprog`.

Cost: the LP of a group of ``G`` satellites has ``11 G H`` variables and ``8 G H`` rows with
25 non-zeros per satellite-step; satellites with nothing to compute in the window are
left out. Groups of at most ``group_size`` satellites are solved in turn (a loop over
``ceil(N / group_size)`` groups, bounded; satellites never interact in this model). The
forecast is fetched in blocks of ``H`` steps, each predicted once.

Benchmark (the scenario of ``tests/test_lookahead.py`` with all 12 Three-Body orbits: cote-3u
bus, cote's X-band downlink, yolov8m on every frame, 12 h from 2026-01-01, six stations,
conical shadow), useful frames delivered / bus brown-outs (satellite-steps): bent-pipe 3481 / 0
(downlink-bound), on-board 16817 / 494, energy-aware 10240 / 0, optimising 13136 / 0. On-board
delivers more only by browning the bus out; among brown-out-free policies the optimising one is
best (+28 % over energy-aware). When energy does not bind (yolov8n) it does what on-board does.
Limit: the policy cannot switch the payload off, and the idle TX2 plus the bus draw more than
the array gives on average, so once the battery is down to the reserve no policy can compute
safely on this bus (in a 24 h run the optimising policy computes nothing after about 8 h).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError
from .policies import PolicyView

# variable families of the LP, in this order (each holds G x H entries, satellite-major)
_VARS = ("c", "q", "y", "o", "ch", "d", "w", "s", "e", "z", "i")
_V = {name: i for i, name in enumerate(_VARS)}
_FORECAST_FIELDS = ("sunlit", "arrival_ops", "result_bits", "downlink_rate_bps")


@dataclass(frozen=True)
class EnergyModel:
    """Per-satellite constants of the linear battery model (SI units; identical satellites).

    ``array_power_w`` in full sun (two-axis sun tracking: incidence cosine 1);
    ``essential_load_w`` the loads served first (bus + radio + heater); ``compute_idle_w`` the
    payload's idle power (drawn whenever the Fleet does not shed it) and ``compute_span_w`` its
    power from idle to full load; ``capacity_j``, ``floor_j`` (depth-of-discharge
    floor), ``reserve_j`` (the level below which the Fleet sheds compute); one-way
    ``charge_efficiency`` and ``discharge_efficiency``. See :mod:`spacecompute.spacecraft.power`.
    """

    array_power_w: float
    essential_load_w: float
    compute_idle_w: float
    compute_span_w: float
    capacity_j: float
    floor_j: float
    reserve_j: float
    charge_efficiency: float = 0.95
    discharge_efficiency: float = 0.95

    def __post_init__(self) -> None:
        for name in (
            "array_power_w",
            "essential_load_w",
            "compute_idle_w",
            "compute_span_w",
            "capacity_j",
            "floor_j",
            "reserve_j",
        ):
            v = getattr(self, name)
            if (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not (math.isfinite(v) and v >= 0)
            ):
                raise InputError(f"{name} = {v!r}", field=name, expected="a finite number >= 0")
        for name in ("charge_efficiency", "discharge_efficiency"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 1:
                raise InputError(f"{name} = {v!r}", field=name, expected="in (0, 1]")
        if not self.capacity_j > 0:
            raise InputError(
                f"capacity_j = {self.capacity_j!r}", field="capacity_j", expected="> 0 J"
            )
        if not self.floor_j <= self.reserve_j <= self.capacity_j:
            raise InputError(
                f"floor_j {self.floor_j}, reserve_j {self.reserve_j}, capacity_j {self.capacity_j}",
                field="reserve_j",
                expected="floor_j <= reserve_j <= capacity_j",
            )

    @classmethod
    def from_bus(cls, bus: Any) -> EnergyModel:
        """The model of a :class:`~spacecompute.spacecraft.hardware.BusPreset` as the engine flies
        it: a one-satellite :class:`~spacecompute.spacecraft.fleet.Fleet` with the engine's
        (default) options gives the battery floor, the shedding reserve and the efficiencies;
        array power ``S x A x eta x packing`` (solar constant 1361 W/m2, Kopp and Lean 2011)."""
        from ..astro.constants import SOLAR_CONSTANT_W_M2
        from ..spacecraft.fleet import Fleet
        from ..spacecraft.power import SUN_TRACKING

        p = Fleet(bus, 1).power
        if int(p.attitude_mode[0]) != SUN_TRACKING:  # pragma: no cover - engine default
            raise InputError(
                "the fleet's arrays do not track the sun",
                field="attitude",
                expected="sun-tracking (incidence cosine 1)",
            )
        cap = float(p.battery_capacity_j[0])
        floor = (1.0 - float(p.max_depth_of_discharge[0])) * cap
        reserve = max(floor, float(p.compute_shed_soc[0]) * cap)
        return cls(
            array_power_w=float(SOLAR_CONSTANT_W_M2 * p.effective_area_m2[0]),
            essential_load_w=float(p.essential_load_w[0]),
            compute_idle_w=float(p.compute_idle_w[0]),
            compute_span_w=float(p.compute_max_w[0] - p.compute_idle_w[0]),
            capacity_j=cap,
            floor_j=floor,
            reserve_j=min(reserve, cap),
            charge_efficiency=float(p.charge_efficiency[0]),
            discharge_efficiency=float(p.discharge_efficiency[0]),
        )


@dataclass(frozen=True)
class Plan:
    """A solved look-ahead plan, arrays (H, N) over the steps of the window (SI units).

    ``ops`` compute per step; ``backlog_ops`` (H + 1, N) the planned compute backlog at the
    start of each step (and after the last); ``downlink_bits`` useful result bits sent per step;
    ``stored_j`` (H + 1, N) battery energy at each step start; ``charge_j``, ``discharge_j``,
    ``curtailed_j``, ``shortfall_j`` (essential loads not served: a brown-out), ``idle_shed_j``
    (payload idle energy shed) per step; ``reserve_gap_j`` (H, N) how far below the reserve the
    battery ends each step. ``objective`` (per group, the LP's maximised value, scaled
    units) and ``result_bits_per_op`` (N,) the density used.
    """

    ops: np.ndarray
    backlog_ops: np.ndarray
    downlink_bits: np.ndarray
    stored_j: np.ndarray
    charge_j: np.ndarray
    discharge_j: np.ndarray
    curtailed_j: np.ndarray
    shortfall_j: np.ndarray
    idle_shed_j: np.ndarray
    reserve_gap_j: np.ndarray
    result_bits_per_op: np.ndarray
    objective: list[float] = field(default_factory=list)

    @property
    def n_steps(self) -> int:
        return int(self.ops.shape[0])


def _as_2d(name: str, a: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``a`` as a float array of ``shape``, finite and >= 0; InputError otherwise."""
    try:
        x = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} is not numeric", field=name, expected="numbers") from None
    if x.shape != shape:
        raise InputError(f"{name} has shape {x.shape}", field=name, expected=f"{shape}")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise InputError(f"{name} has negative or non-finite values", field=name, expected=">= 0")
    return x


def plan_lookahead(
    sunlit: np.ndarray,
    arrival_ops: np.ndarray,
    result_bits: np.ndarray,
    downlink_rate_bps: np.ndarray,
    backlog_ops: np.ndarray,
    stored_j: np.ndarray,
    energy: EnergyModel,
    *,
    dt_s: float,
    peak_ops_per_s: float,
    throttle: np.ndarray | None = None,
    nominal_steps: int | None = None,
    earlier_gain: float = 1.0,
    processing_weight: float = 0.1,
    group_size: int = 256,
) -> Plan:
    """Solve the look-ahead LP (module docstring) for N satellites over H steps.

    ``sunlit``, ``arrival_ops``, ``result_bits`` (useful result bits of the step's arrivals),
    ``downlink_rate_bps``: (H, N) forecasts, as in :class:`~spacecompute.sim.forecast.Forecast`.
    ``backlog_ops`` (N,) ops waiting now; ``stored_j`` (N,) battery energy now; ``throttle``
    (N,) share of the peak available in the current step (default 1). ``nominal_steps``: the
    horizon the weights ``W_k = 1 + earlier_gain (H_nom - k) / H_nom`` refer to (default H; a
    window cut by the end of the run keeps the weights of the full horizon).
    ``processing_weight``: ``beta``. Returns a :class:`Plan` in SI units.
    """
    dt = float(_as_2d("dt_s", dt_s, ()))
    peak = float(_as_2d("peak_ops_per_s", peak_ops_per_s, ()))
    if not dt > 0:
        raise InputError(f"dt_s = {dt_s!r}", field="dt_s", expected="seconds > 0")
    gamma = float(_as_2d("earlier_gain", earlier_gain, ()))
    beta = float(_as_2d("processing_weight", processing_weight, ()))
    if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
        raise InputError(f"group_size = {group_size!r}", field="group_size", expected=">= 1")
    sunlit = _as_2d("sunlit", sunlit, np.shape(sunlit))
    if sunlit.ndim != 2:
        raise InputError(f"sunlit has shape {sunlit.shape}", field="sunlit", expected="(H, N)")
    h, n = sunlit.shape
    shape = (h, n)
    sunlit = np.clip(_as_2d("sunlit", sunlit, shape), 0.0, 1.0)
    arrival_ops = _as_2d("arrival_ops", arrival_ops, shape)
    result_bits = _as_2d("result_bits", result_bits, shape)
    rate = _as_2d("downlink_rate_bps", downlink_rate_bps, shape)
    backlog = _as_2d("backlog_ops", backlog_ops, (n,))
    stored = _as_2d("stored_j", stored_j, (n,))
    thr = np.ones(n) if throttle is None else np.clip(_as_2d("throttle", throttle, (n,)), 0, 1)
    h_nom = h if nominal_steps is None else max(int(nominal_steps), h)

    # useful result bits per op: the satellite's window average, else the window's, else 0
    tot_ops, tot_res = arrival_ops.sum(axis=0), result_bits.sum(axis=0)
    overall = float(result_bits.sum() / arrival_ops.sum()) if arrival_ops.sum() > 0 else 0.0
    rho = np.where(tot_ops > 0, tot_res / np.where(tot_ops > 0, tot_ops, 1.0), overall)

    zeros = np.zeros((h, n))
    out = {
        "ops": zeros.copy(),
        "backlog_ops": np.zeros((h + 1, n)),
        "downlink_bits": zeros.copy(),
        "stored_j": np.zeros((h + 1, n)),
        "charge_j": zeros.copy(),
        "discharge_j": zeros.copy(),
        "curtailed_j": zeros.copy(),
        "shortfall_j": zeros.copy(),
        "idle_shed_j": zeros.copy(),
        "reserve_gap_j": zeros.copy(),
    }
    out["backlog_ops"][0] = backlog
    out["stored_j"][0] = stored
    objective: list[float] = []
    if h == 0 or n == 0:
        return Plan(**out, result_bits_per_op=rho, objective=objective)

    unit = peak * dt  # ops of one full step
    active = (backlog + arrival_ops.sum(axis=0) > 0) if unit > 0 else np.zeros(n, bool)
    # satellites with nothing to compute: their battery follows the Fleet's rules (below)
    sats = np.flatnonzero(active)
    for g0 in range(0, sats.size, group_size):  # bounded: ceil(N_active / group_size) groups
        idx = sats[g0 : g0 + group_size]
        sol, obj = _solve_group(
            sunlit[:, idx],
            arrival_ops[:, idx] / unit,
            rate[:, idx],
            backlog[idx] / unit,
            stored[idx],
            thr[idx],
            rho[idx],
            energy,
            dt,
            unit,
            h_nom,
            gamma,
            beta,
        )
        objective.append(obj)
        cap = energy.capacity_j
        out["ops"][:, idx] = sol["c"] * unit
        out["backlog_ops"][1:, idx] = sol["q"] * unit
        out["downlink_bits"][:, idx] = sol["y"] * unit * rho[idx]
        out["stored_j"][1:, idx] = sol["e"] * cap
        out["charge_j"][:, idx] = sol["ch"] * cap
        out["discharge_j"][:, idx] = sol["d"] * cap
        out["curtailed_j"][:, idx] = sol["w"] * cap
        out["shortfall_j"][:, idx] = sol["s"] * cap
        out["reserve_gap_j"][:, idx] = sol["z"] * cap
        out["idle_shed_j"][:, idx] = sol["i"] * cap
    idle = np.flatnonzero(~active)
    if idle.size:
        _idle_battery(out, idle, sunlit[:, idle], stored[idle], energy, dt)
    out["ops"] = np.maximum(out["ops"], 0.0)
    return Plan(**out, result_bits_per_op=rho, objective=objective)


def _idle_battery(
    out: dict[str, np.ndarray],
    idx: np.ndarray,
    sunlit: np.ndarray,
    stored: np.ndarray,
    m: EnergyModel,
    dt: float,
) -> None:
    """Battery of satellites that compute nothing, by the Fleet's priority rules (module
    :mod:`spacecompute.spacecraft.power`): essential loads from the array, then the battery down
    to the floor; the idle payload from what is left of the array, then the battery down to the
    reserve (the rest is shed); the surplus charges, the rest is curtailed. A loop over the H
    steps, vectorized over satellites; the same balance as the LP."""
    e = stored.copy()
    eta_c, eta_d = m.charge_efficiency, m.discharge_efficiency
    for k in range(sunlit.shape[0]):
        gen = m.array_power_w * sunlit[k] * dt
        ess, idle = m.essential_load_w * dt, m.compute_idle_w * dt
        need = np.maximum(ess - gen, 0.0)
        d1 = np.minimum(need / eta_d, np.maximum(e - m.floor_j, 0.0))
        short = need - d1 * eta_d
        e1 = e - d1
        left = np.maximum(gen - ess, 0.0)
        idle_need = np.maximum(idle - left, 0.0)
        d2 = np.minimum(idle_need / eta_d, np.maximum(e1 - m.reserve_j, 0.0))
        shed = idle_need - d2 * eta_d
        left = np.maximum(left - idle, 0.0)
        ch = np.minimum(left, np.maximum(m.capacity_j - (e1 - d2), 0.0) / eta_c)
        e = e1 - d2 + ch * eta_c
        out["charge_j"][k, idx] = ch
        out["discharge_j"][k, idx] = d1 + d2
        out["curtailed_j"][k, idx] = left - ch
        out["shortfall_j"][k, idx] = short
        out["idle_shed_j"][k, idx] = shed
        out["reserve_gap_j"][k, idx] = np.maximum(m.reserve_j - e, 0.0)
        out["stored_j"][k + 1, idx] = e


def _solve_group(
    sunlit: np.ndarray,
    arrivals_u: np.ndarray,
    rate_bps: np.ndarray,
    backlog_u: np.ndarray,
    stored_j: np.ndarray,
    throttle: np.ndarray,
    rho: np.ndarray,
    m: EnergyModel,
    dt: float,
    unit: float,
    h_nom: int,
    gamma: float,
    beta: float,
) -> tuple[dict[str, np.ndarray], float]:
    """Build and solve the sparse LP of one group of G satellites; arrays (H, G) per family."""
    from scipy import sparse  # imported here: the policy registry should not load scipy
    from scipy.optimize import linprog

    h, g = sunlit.shape
    gh = g * h
    nv = len(_VARS) * gh
    cap = m.capacity_j
    eta_c, eta_d = m.charge_efficiency, m.discharge_efficiency
    gen = (m.array_power_w * dt / cap) * sunlit.T  # (G, H) scaled
    fixed = (m.essential_load_w + m.compute_idle_w) * dt / cap
    idle = m.compute_idle_w * dt / cap
    j = m.compute_span_w * dt / cap  # energy of one U of compute
    e0 = np.clip(stored_j / cap, m.floor_j / cap, 1.0)
    a = arrivals_u.T  # (G, H)

    sat = np.repeat(np.arange(g), h)
    k = np.tile(np.arange(h), g)
    later = k >= 1

    def var(name: str, kk: np.ndarray | None = None, ss: np.ndarray | None = None) -> np.ndarray:
        kk = k if kk is None else kk
        ss = sat if ss is None else ss
        return _V[name] * gh + ss * h + kk

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []

    def put(r: np.ndarray, c: np.ndarray, v: float | np.ndarray) -> None:
        rows.append(r)
        cols.append(c)
        vals.append(np.broadcast_to(np.asarray(v, dtype=np.float64), r.shape))

    base = np.arange(gh)  # row of (satellite, step) within a family
    # --- equalities: queue, results, energy balance, battery
    r_q, r_o, r_b, r_e = base, gh + base, 2 * gh + base, 3 * gh + base
    put(r_q, var("q"), 1.0)  # q_{k+1} - q_k + c_k = a_k (+ q_0 at k = 0)
    put(r_q[later], var("q", k[later] - 1, sat[later]), -1.0)
    put(r_q, var("c"), 1.0)
    put(r_o, var("o"), 1.0)  # o_{k+1} - o_k - c_k + y_k = 0
    put(r_o[later], var("o", k[later] - 1, sat[later]), -1.0)
    put(r_o, var("c"), -1.0)
    put(r_o, var("y"), 1.0)
    put(r_b, var("c"), j)  # j c + ch + w - eta_d d - s - i = gen - fixed
    put(r_b, var("ch"), 1.0)
    put(r_b, var("w"), 1.0)
    put(r_b, var("d"), -eta_d)
    put(r_b, var("s"), -1.0)
    put(r_b, var("i"), -1.0)
    put(r_e, var("e"), 1.0)  # E_{k+1} - E_k - eta_c ch + d = E_0 at k = 0
    put(r_e[later], var("e", k[later] - 1, sat[later]), -1.0)
    put(r_e, var("ch"), -eta_c)
    put(r_e, var("d"), 1.0)
    b_eq = np.concatenate(
        [
            a.ravel() + np.where(k == 0, backlog_u[sat], 0.0),
            np.zeros(gh),
            (gen - fixed).ravel(),
            np.where(k == 0, e0[sat], 0.0),
        ]
    )
    n_eq = 4 * gh
    # --- inequalities: y_k <= o_k (k >= 1), ch + w <= gen, E + z >= reserve
    first_ub = n_eq
    n_y = int(later.sum())
    r_y = first_ub + np.arange(n_y)
    put(r_y, var("y")[later], 1.0)
    put(r_y, var("o", k[later] - 1, sat[later]), -1.0)
    r_g = first_ub + n_y + base
    put(r_g, var("ch"), 1.0)
    put(r_g, var("w"), 1.0)
    r_r = first_ub + n_y + gh + base
    put(r_r, var("e"), -1.0)
    put(r_r, var("z"), -1.0)
    cmax = np.ones((g, h))
    cmax[:, 0] = throttle
    n_i = gh if idle > 0 else 0
    if n_i:  # c_k + throttle_k i_k / L_i <= throttle_k: a shed payload computes nothing
        r_i = first_ub + n_y + 2 * gh + base
        put(r_i, var("c"), 1.0)
        put(r_i, var("i"), cmax.ravel() / idle)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    val = np.concatenate(vals)
    n_ub = n_y + 2 * gh + n_i
    b_ub = np.concatenate(
        [np.zeros(n_y), gen.ravel(), np.full(gh, -m.reserve_j / cap), cmax.ravel()[:n_i]]
    )
    matrix = sparse.csr_matrix((val, (row, col)), shape=(n_eq + n_ub, nv))
    a_eq, a_ub = matrix[:n_eq], matrix[n_eq:]

    # --- bounds
    lo = np.zeros(nv)
    hi = np.full(nv, np.inf)
    hi[var("c")] = cmax.ravel()
    # the Fleet powers the idle payload from the array first: only what it cannot carry can be shed
    ess = m.essential_load_w * dt / cap
    hi[var("i")] = np.clip(idle + ess - gen, 0.0, idle).ravel()
    lo[var("q")] = a.ravel()  # q_{k+1} >= a_k  <=>  c_k <= q_k
    with np.errstate(divide="ignore", invalid="ignore"):
        ycap = np.where(
            rho[:, None] > 0, rate_bps.T * dt / (np.maximum(rho, 1e-300)[:, None] * unit), 0.0
        )
    ycap[:, 0] = 0.0  # o_0 = 0: nothing of this plan is downlinkable in its first step
    hi[var("y")] = ycap.ravel()
    lo[var("e")] = m.floor_j / cap
    hi[var("e")] = 1.0

    # --- objective (minimised): -W (y + beta c) + M_z z + M_s s + M_i i + tiny d - tau E_H
    weight = 1.0 + gamma * (h_nom - k) / h_nom
    best_per_energy = (1.0 + gamma) * (1.0 + beta) / max(j, 1e-12)
    m_z = 10.0 * best_per_energy
    cost = np.zeros(nv)
    cost[var("y")] = -weight
    cost[var("c")] = -beta * weight
    cost[var("z")] = m_z
    cost[var("s")] = 10.0 * (h + 1) * m_z  # above any sum of reserve gaps it could avoid
    # shedding the idle payload: dearer than compute could repay, cheaper than the reserve, and
    # a little dearer early, so that it happens as late as possible (at the reserve, as the Fleet)
    cost[var("i")] = 0.2 * m_z * (1.0 + 0.1 * (h - k) / h)
    cost[var("d")] = 1e-9 * best_per_energy
    last = var("e", np.full(g, h - 1), np.arange(g))
    cost[last] -= 1e-4 * best_per_energy

    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=np.column_stack([lo, hi]),
        method="highs",
    )
    if res.status != 0 or res.x is None:  # feasible and bounded by construction
        raise RuntimeError(f"look-ahead LP failed: {res.message}")
    x = res.x
    sol = {name: x[_V[name] * gh : (_V[name] + 1) * gh].reshape(g, h).T for name in _VARS}
    for name in ("c", "q", "y", "o", "ch", "d", "w", "s", "z", "i"):
        sol[name] = np.maximum(sol[name], 0.0)
    return sol, float(-res.fun)


class LookAhead:
    """The optimising policy (``"optimising"``): receding-horizon LP, see the module docstring.

    ``horizon_s`` (default 3 h, about two orbits in LEO, so the next eclipse and the next
    contacts are always in view) and ``replan_s`` (default 10 min) are turned into whole steps
    ``H`` and ``R`` of the run's ``dt`` in :meth:`prepare`. ``earlier_gain`` (``gamma``),
    ``processing_weight`` (``beta``) and ``group_size`` are those of :func:`plan_lookahead`.
    The engine calls :meth:`prepare` with its predictor before the first step;
    :meth:`state_dict` / :meth:`load_state_dict` carry the current plan through checkpoints.
    """

    name: str = "optimising"
    on_board: bool = True

    def __init__(
        self,
        horizon_s: float = 3 * 3600.0,
        replan_s: float = 600.0,
        *,
        earlier_gain: float = 1.0,
        processing_weight: float = 0.1,
        group_size: int = 256,
    ) -> None:
        for fname, v in (("horizon_s", horizon_s), ("replan_s", replan_s)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not (0 < v < math.inf):
                raise InputError(f"{fname} = {v!r}", field=fname, expected="seconds > 0")
        if replan_s > horizon_s:
            raise InputError(
                f"replan_s {replan_s} > horizon_s {horizon_s}",
                field="replan_s",
                expected="<= horizon_s",
            )
        for fname, v in (("earlier_gain", earlier_gain), ("processing_weight", processing_weight)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not (0 <= v < math.inf):
                raise InputError(f"{fname} = {v!r}", field=fname, expected="a number >= 0")
        if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
            raise InputError(f"group_size = {group_size!r}", field="group_size", expected=">= 1")
        self.horizon_s = float(horizon_s)
        self.replan_s = float(replan_s)
        self.earlier_gain = float(earlier_gain)
        self.processing_weight = float(processing_weight)
        self.group_size = int(group_size)
        self.predictor: Any = None
        self.energy: EnergyModel | None = None
        self.horizon_steps = 0
        self.replan_steps = 0
        self.plan_start = -1
        self.plan: Plan | None = None
        self.plans_solved = 0
        self._blocks: dict[int, dict[str, np.ndarray]] = {}

    # -- engine hooks -------------------------------------------------------------------------
    def prepare(self, predictor: Any) -> None:
        """Keep the engine's :class:`~spacecompute.sim.forecast.EOPredictor`; derive ``H``,
        ``R`` (steps) and the :class:`EnergyModel` of its bus."""
        dt = float(predictor.dt_s)
        self.predictor = predictor
        self.energy = EnergyModel.from_bus(predictor.bus)
        self.horizon_steps = max(2, round(self.horizon_s / dt))
        self.replan_steps = max(1, min(self.horizon_steps, round(self.replan_s / dt)))
        self.plan_start = -1
        self.plan = None
        self.plans_solved = 0
        self._blocks = {}

    def decide(self, view: PolicyView) -> np.ndarray:
        """Planned compute load of this step, capped by the measured backlog, in [0, 1]."""
        if self.predictor is None or self.energy is None:
            raise InputError(
                "the optimising policy has no forecast",
                field="policy",
                expected="prepare(predictor) called before decide (the EO engine does it)",
            )
        step = int(view.step_index)
        unit = float(view.peak_ops_per_s) * float(view.dt_s)
        if unit <= 0:
            return np.zeros(view.n)
        offset = step - self.plan_start
        if self.plan is None or offset < 0 or offset >= self.replan_steps:
            self._replan(view)
            offset = 0
        plan = self.plan
        assert plan is not None
        if plan.ops.shape[1] != view.n:
            raise InputError(
                f"the plan is for {plan.ops.shape[1]} satellites, the view has {view.n}",
                field="view",
                expected="the constellation the policy was prepared for",
            )
        if offset >= plan.n_steps:  # the run's last steps: nothing planned
            return np.zeros(view.n)
        planned = plan.ops[offset] / unit
        # planned load (LP tolerance covered by 1e-6 of a step), never more than the backlog
        need = np.asarray(view.backlog_ops, dtype=np.float64) * (1.0 + 1e-9) / unit
        load = np.where(planned > 1e-9, np.minimum(planned + 1e-6, need), 0.0)
        return np.clip(load, 0.0, 1.0)

    def _forecast(self, step: int) -> dict[str, np.ndarray]:
        """The forecast of steps ``[step, step + H)`` (cut at the end of the run), assembled from
        blocks of ``H`` steps that start at multiples of ``H``: each block is predicted once,
        and which blocks exist depends only on the step index, never on the engine's chunks
        (the predictor gives the same numbers for a step whatever the window, see
        :mod:`spacecompute.sim.forecast`)."""
        h = self.horizon_steps
        first, last = step // h, (step + h - 1) // h
        for b in [b for b in self._blocks if b < first]:
            del self._blocks[b]
        parts: dict[str, list[np.ndarray]] = {k: [] for k in _FORECAST_FIELDS}
        for b in range(first, last + 1):
            if b not in self._blocks:
                f = self.predictor.predict(b * h, h)
                self._blocks[b] = {k: np.asarray(getattr(f, k)) for k in _FORECAST_FIELDS}
            lo = max(step - b * h, 0)
            hi = min(step + h - b * h, h)
            for k in _FORECAST_FIELDS:
                parts[k].append(self._blocks[b][k][lo:hi])
        return {k: np.concatenate(v, axis=0) for k, v in parts.items()}

    def _replan(self, view: PolicyView) -> None:
        step = int(view.step_index)
        f = self._forecast(step)
        assert self.energy is not None
        self.plan = plan_lookahead(
            f["sunlit"],
            f["arrival_ops"],
            f["result_bits"],
            f["downlink_rate_bps"],
            np.asarray(view.backlog_ops, dtype=np.float64),
            np.asarray(view.state_of_charge, dtype=np.float64) * self.energy.capacity_j,
            self.energy,
            dt_s=float(view.dt_s),
            peak_ops_per_s=float(view.peak_ops_per_s),
            throttle=np.asarray(view.thermal_throttle, dtype=np.float64),
            nominal_steps=self.horizon_steps,
            earlier_gain=self.earlier_gain,
            processing_weight=self.processing_weight,
            group_size=self.group_size,
        )
        self.plan_start = step
        self.plans_solved += 1

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The current plan (numpy arrays only): its first step and planned ops (H, N)."""
        ops = np.zeros((0, 0)) if self.plan is None else self.plan.ops
        return {"plan_start": np.asarray(self.plan_start, np.int64), "plan_ops": ops.copy()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved (after :meth:`prepare`)."""
        try:
            start = int(np.asarray(state["plan_start"]))
            ops = np.asarray(state["plan_ops"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"policy state does not match ({exc})",
                field="checkpoint",
                expected="a state saved by LookAhead.state_dict",
            ) from None
        if start < 0 or ops.ndim != 2 or ops.size == 0:
            self.plan, self.plan_start = None, -1
            return
        z = np.zeros_like(ops)
        zp = np.zeros((ops.shape[0] + 1, ops.shape[1]))
        self.plan = Plan(ops, zp, z, zp, z, z, z, z, z, z, np.zeros(ops.shape[1]))
        self.plan_start = start


def register(policies: dict[str, Any]) -> None:
    """Add ``"optimising": LookAhead`` to a policy registry (``scheduling.policies.POLICIES``)."""
    policies[LookAhead.name] = LookAhead


__all__ = ["EnergyModel", "LookAhead", "Plan", "plan_lookahead", "register"]
