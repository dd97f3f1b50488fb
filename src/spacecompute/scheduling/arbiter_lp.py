"""The optimising arbiter: a receding-horizon linear program over the predicted energy.

Idea
----
The eclipses, the solar input and the bus's own draw of the coming hours are known in advance
(the engine's predictors compute them with its own functions, ``view.forecast``), and so,
roughly, is each workload's demand. :class:`OptimisingArbiter` uses that knowledge as model
predictive control does (J. B. Rawlings, D. Q. Mayne and M. M. Diehl, *Model Predictive
Control: Theory, Computation, and Design*, 2nd ed., Nob Hill 2017, ch. 1-2; E. F. Camacho and
C. Bordons, *Model Predictive Control*, 2nd ed., Springer 2007): it plans the shares of every
workload over the next ``H`` steps from the measured battery, applies the plan's first steps,
and plans again from the new measurements (receding horizon), so forecast errors are corrected
by feedback. It is the energy-aware scheduling of orbital edge computing (B. Denby and
B. Lucia, ASPLOS 2020) posed, as in the EO ``optimising`` policy
(:mod:`spacecompute.scheduling.lookahead`), as a linear program, here across workloads.

The linear program (per satellite; all satellites of a group in one sparse LP)
----------------------------------------------------------------------------
For steps ``k = 0 .. H-1`` (``k = 0`` the current step) and workloads ``w``:

- grants ``g[w,k]`` in ``[0, D[w,k]]`` (``D`` the view's demand at ``k = 0``, the forecast's
  after) and ``sum_w g[w,k] <= cap_k`` (the view's capacity at ``k = 0``, the forecast's or 1
  after);
- battery: the bus balance ``b_k = S_k - B_k - j sum_w g[w,k]`` (``j`` the view's
  ``dynamic_energy_j``, a full share above idle; ``S`` and ``B`` the forecast's solar and base
  (bus + idle payload) energy) charges the battery through ``eta_c`` when positive and draws
  ``b / eta_d`` from it when negative: ``E_{k+1} = min(C, E_k + min(eta_c b_k, b_k / eta_d))``
  (the rest of a surplus spills), with ``E_0`` the measured ``battery_j``, ``C`` the battery's
  capacity, and ``E_{k+1} >= min(reserve, E°_{k+1})``, where ``E°`` is the battery with no
  grant at all (the bus alone). So no grant takes a battery below its reserve (no brown-out),
  and where the bus alone would (an eclipse longer than the battery), the grants cost that
  battery nothing more. Grants of zero are always feasible. In the LP the two ``min`` become
  ``E_{k+1} <= C``, ``E_{k+1} <= E_k + eta_c b_k`` and ``E_{k+1} <= E_k + b_k / eta_d``
  (linear, exact for the grants: see :func:`solve_plan`).

Objective (maximised): ``sum_{w,k} weight[w] (1 + epsilon (H - k) / H) g[w,k]``, the weighted
share of payload time delivered, with a small ``epsilon`` (``earlier_gain``) that prefers
delivering now to later at equal value (without it the plan could defer work forever, only its
first steps are applied). Energies are scaled by each battery's capacity.

Unserved demand is not carried from one step to the next in the LP (each workload's forecast
demand is what it expects to ask for, its backlog included); the arbiter only shares.

Work saved
----------
A satellite whose greedy plan (every step the highest weights first, up to demand and capacity)
keeps its battery above the floor on the whole forecast needs no LP: that plan maximises every
step's value on its own, so it is optimal. Only the others (energy binds) go into the LP, in
groups of ``group_size`` satellites (satellites do not interact; HiGHS solves many small
block-diagonal LPs faster than one large one: 324 satellites x 60 steps in groups of 16-32 in
3.4 s, in groups of 256 in 5.6 s on the loaded 2-core development machine). The plan is solved every
``replan_s`` (default 10 min) and on the step indices that are multiples of that many steps, so
results do not depend on how the engine chunks time; between plans each satellite gets its
planned shares, capped by its current demand, capacity and this step's energy
(``energy_available_j``), so a satellite never spends more than planned. Satellites outside
the plan, and every satellite when the run offers no forecast, get the one-step optimum: the
highest weights first up to ``min(capacity, energy_available_j / dynamic_energy_j)`` (the
solution of the one-step LP, a fractional knapsack). HiGHS solves the LP (Q. Huangfu and
J. A. J. Hall, Math. Prog. Comp. 10 (2018) 119-142) through :func:`scipy.optimize.linprog`.

Relation to :mod:`~spacecompute.scheduling.lookahead`: the same method (receding horizon, one
sparse LP per group of satellites, indexing by family x satellite x step) but not its code:
the EO policy's LP models the imaging queues and downlink with a bus's constants shared by all
satellites (``EnergyModel.from_bus``), while the arbiter gets per-satellite energies, reserve
and efficiencies from its view, and shares between workloads rather than planning one queue.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:  # annotations only: arbiters.py imports this module for its registry
    from .arbiters import ArbiterView

#: Grants below this share are noise of the LP and count as zero.
_SHARE_TOL = 1e-9


def serve_in_order(demand: np.ndarray, limit: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Grants (W, N) serving workloads in ``order`` up to their demand within ``limit`` (N,)."""
    left = np.clip(np.asarray(limit, dtype=np.float64), 0.0, None).copy()
    grant = np.zeros_like(demand, dtype=np.float64)
    for w in order:
        grant[w] = np.minimum(demand[w], left)
        left -= grant[w]
    return grant


def _by_weight(weight: np.ndarray) -> np.ndarray:
    """Workloads by decreasing weight (ties in the scenario's order)."""
    return np.argsort(-np.asarray(weight, dtype=np.float64), kind="stable")


def energy_limit(view: ArbiterView) -> np.ndarray:
    """Shares (N,) each satellite may grant this step: ``min(capacity, energy_available_j /
    dynamic_energy_j)`` (no limit from energy where a share costs none)."""
    cap = np.clip(np.asarray(view.capacity, dtype=np.float64), 0.0, 1.0)
    avail = np.maximum(np.asarray(view.energy_available_j, dtype=np.float64), 0.0)
    dyn = np.asarray(view.dynamic_energy_j, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        budget = np.where(dyn > 0, avail / np.where(dyn > 0, dyn, 1.0), np.inf)
    return np.minimum(cap, budget)


def one_step_grants(view: ArbiterView) -> np.ndarray:
    """The one-step optimum: highest weight first within :func:`energy_limit`."""
    demand = np.clip(np.asarray(view.demand, dtype=np.float64), 0.0, 1.0)
    return serve_in_order(demand, energy_limit(view), _by_weight(view.weight))


@dataclass(frozen=True)
class HorizonInputs:
    """The arrays of one plan, (H, N) unless said: ``demand`` (W, H, N), ``capacity``,
    ``net_j`` (solar less base energy), ``dynamic_j`` (N,), ``battery_j`` (N,) measured and
    clipped to ``[0, capacity_j]``, ``capacity_j`` (N,), ``floor_j`` (H, N) the lowest battery
    allowed at the end of each step, ``eta_c``, ``eta_d`` (N,), ``weight`` (W,)."""

    demand: np.ndarray
    capacity: np.ndarray
    net_j: np.ndarray
    dynamic_j: np.ndarray
    battery_j: np.ndarray
    capacity_j: np.ndarray
    floor_j: np.ndarray
    eta_c: np.ndarray
    eta_d: np.ndarray
    weight: np.ndarray

    def take(self, idx: np.ndarray) -> HorizonInputs:
        """The inputs of satellites ``idx``."""
        return HorizonInputs(
            self.demand[:, :, idx],
            self.capacity[:, idx],
            self.net_j[:, idx],
            self.dynamic_j[idx],
            self.battery_j[idx],
            self.capacity_j[idx],
            self.floor_j[:, idx],
            self.eta_c[idx],
            self.eta_d[idx],
            self.weight,
        )


def battery_path(
    e0: np.ndarray,
    net_j: np.ndarray,
    compute_j: np.ndarray,
    capacity_j: np.ndarray,
    eta_c: np.ndarray,
    eta_d: np.ndarray,
) -> np.ndarray:
    """Battery (H, N) at the end of each step: surplus ``net - compute`` charges through
    ``eta_c`` up to the capacity (the rest spills), a deficit draws ``deficit / eta_d``; a loop
    over the H steps, vectorised over satellites."""
    out = np.empty_like(net_j, dtype=np.float64)
    e = np.asarray(e0, dtype=np.float64).copy()
    for k in range(net_j.shape[0]):
        bal = net_j[k] - compute_j[k]
        e = np.minimum(e + np.where(bal > 0, eta_c * bal, bal / eta_d), capacity_j)
        out[k] = e
    return out


def _per_sat(value: Any, n: int) -> np.ndarray:
    a = np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()
    if not (np.isfinite(a).all() and (a > 0).all() and (a <= 1).all()):
        raise InputError(
            f"battery efficiencies {a.min():g}..{a.max():g}",
            field="charge_efficiency",
            expected="one-way efficiencies in (0, 1]",
        )
    return a


def horizon_inputs(view: ArbiterView) -> HorizonInputs:
    """The plan's arrays from the view and its forecast (row 0 from the view's own measures)."""
    f = view.forecast
    if f is None:
        raise InputError("no forecast", field="forecast", expected="an ArbiterForecast")
    w, n = np.shape(view.demand)
    demand = np.clip(np.array(f.demand, dtype=np.float64), 0.0, 1.0)
    if demand.ndim != 3 or demand.shape[0] != w or demand.shape[2] != n or demand.shape[1] < 1:
        raise InputError(
            f"forecast demand of shape {demand.shape}",
            field="forecast.demand",
            expected=f"({w}, H, {n}) with H >= 1",
        )
    h = demand.shape[1]
    demand[:, 0] = np.clip(np.asarray(view.demand, dtype=np.float64), 0.0, 1.0)
    fields = {"solar_energy_j": f.solar_energy_j, "base_energy_j": f.base_energy_j}
    if f.capacity is not None:
        fields["capacity"] = f.capacity
    arrays = {}
    for key, value in fields.items():
        a = np.asarray(value, dtype=np.float64)
        if a.shape != (h, n) or not np.isfinite(a).all():
            raise InputError(
                f"forecast {key} of shape {a.shape}",
                field=f"forecast.{key}",
                expected=f"a finite ({h}, {n}) array (H steps x satellites, as the demand)",
            )
        arrays[key] = a
    capacity = np.clip(arrays.get("capacity", np.ones((h, n))), 0.0, 1.0)
    capacity[0] = np.clip(np.asarray(view.capacity, dtype=np.float64), 0.0, 1.0)
    net = arrays["solar_energy_j"] - arrays["base_energy_j"]
    cap_j = np.maximum(np.asarray(view.battery_capacity_j, dtype=np.float64), 0.0)
    e0 = np.clip(np.asarray(view.battery_j, dtype=np.float64), 0.0, cap_j)
    eta_c = _per_sat(view.charge_efficiency, n)
    eta_d = _per_sat(view.discharge_efficiency, n)
    idle_path = battery_path(e0, net, np.zeros((h, n)), cap_j, eta_c, eta_d)
    floor = np.minimum(np.asarray(view.reserve_j, dtype=np.float64)[None, :], idle_path)
    return HorizonInputs(
        demand,
        capacity,
        net,
        np.maximum(np.asarray(view.dynamic_energy_j, dtype=np.float64), 0.0),
        e0,
        cap_j,
        floor,
        eta_c,
        eta_d,
        np.asarray(view.weight, dtype=np.float64),
    )


def greedy_plan(x: HorizonInputs) -> np.ndarray:
    """Grants (W, H, N): every step the highest weights first, up to demand and capacity."""
    order = _by_weight(x.weight)
    w, h, n = x.demand.shape
    left = x.capacity.copy()
    grant = np.zeros((w, h, n))
    for i in order:
        grant[i] = np.minimum(x.demand[i], left)
        left -= grant[i]
    return grant


def energy_binds(x: HorizonInputs, grants: np.ndarray, tol_j: float = 1e-9) -> np.ndarray:
    """(N,) whether ``grants`` (W, H, N) take a battery below its floor somewhere."""
    path = battery_path(
        x.battery_j, x.net_j, x.dynamic_j * grants.sum(axis=0), x.capacity_j, x.eta_c, x.eta_d
    )
    scale = np.maximum(x.capacity_j, 1.0)
    return (path < x.floor_j - tol_j * scale).any(axis=0)


def solve_plan(x: HorizonInputs, earlier_gain: float) -> tuple[np.ndarray, float]:
    """Solve the LP of the module docstring for the satellites of ``x``: grants (W, H, G) and
    the objective ``sum weight x grant`` (unscaled by ``earlier_gain``).

    Variables: the grants and the battery ``E_{k+1}`` per satellite-step (scaled by the
    battery's capacity). The bus balance is substituted: with ``b_k = S_k - B_k - j G_k`` the
    battery gains ``phi(b) = min(eta_c b, b / eta_d)`` (concave), so ``E_{k+1} <= E_k +
    phi(b_k)`` is two linear rows. The LP may keep ``E`` below the physical battery (energy
    wasted); that never helps the objective, and since ``phi`` is increasing the physical path
    ``min(cap, E_k + phi(b_k))`` is the highest feasible one: a grant plan is feasible exactly
    when the physical battery stays above the floor, and the slack at the capacity is spill.
    """
    from scipy import sparse  # here: the arbiter registry should not load scipy
    from scipy.optimize import linprog

    w, h, g = x.demand.shape
    gh = g * h
    en = w  # families: g_0 .. g_{W-1}, e (each G x H, satellite-major)
    scale = np.where(x.capacity_j > 0, x.capacity_j, 1.0)  # energies in battery capacities
    j = np.repeat(x.dynamic_j / scale, h)
    eta_c, eta_d = np.repeat(x.eta_c, h), np.repeat(x.eta_d, h)
    lossy = bool((x.eta_c < 1).any() or (x.eta_d < 1).any())
    sat = np.repeat(np.arange(g), h)
    k = np.tile(np.arange(h), g)
    cell = np.arange(gh)
    later = k >= 1

    def col(f: int, cells: np.ndarray = cell) -> np.ndarray:
        return f * gh + cells

    # rows: capacity, battery on a surplus (eta_c), battery on a deficit (1 / eta_d; the same
    # row when lossless)
    cap, gain, loss = cell, gh + cell, 2 * gh + cell
    battery_rows = [(gain, eta_c)] + ([(loss, 1.0 / eta_d)] if lossy else [])
    parts = [(cap, col(i), 1.0) for i in range(w)]
    for rows_, factor in battery_rows:
        parts += [(rows_, col(i), j * factor) for i in range(w)]
        parts += [(rows_, col(en), 1.0), (rows_[later], col(en, cell[later] - 1), -1.0)]
    n_rows = gh * (1 + len(battery_rows))
    rows = np.concatenate([r for r, _, _ in parts])
    cols = np.concatenate([c for _, c, _ in parts])
    vals = np.concatenate(
        [np.broadcast_to(np.asarray(v, np.float64), r.shape) for r, _, v in parts]
    )
    matrix = sparse.csr_array((vals, (rows, cols)), shape=(n_rows, (w + 1) * gh))
    net = (x.net_j.T / scale[:, None]).ravel()
    start = np.where(k == 0, (x.battery_j / scale)[sat], 0.0)  # E_0 moves to the right side
    b_ub = np.concatenate(
        [x.capacity.T.ravel()] + [net * factor + start for _, factor in battery_rows]
    )

    lo = np.zeros((w + 1) * gh)
    hi = np.empty((w + 1) * gh)
    for i in range(w):
        hi[col(i)] = x.demand[i].T.ravel()
    hi[col(en)] = (x.capacity_j / scale)[sat]
    lo[col(en)] = np.minimum((x.floor_j.T / scale[:, None]).ravel(), hi[col(en)])

    top = float(x.weight.max()) if w else 1.0
    earlier = 1.0 + earlier_gain * (h - k) / h
    cost = np.zeros((w + 1) * gh)
    for i in range(w):
        cost[col(i)] = -(x.weight[i] / top) * earlier
    res = linprog(cost, A_ub=matrix, b_ub=b_ub, bounds=np.column_stack([lo, hi]), method="highs")
    if res.status != 0 or res.x is None:  # grants of zero are feasible by construction
        raise RuntimeError(f"optimising arbiter: LP failed: {res.message}")
    grants = np.stack([res.x[col(i)].reshape(g, h).T for i in range(w)])
    grants = np.clip(grants, 0.0, x.demand)
    grants[grants < _SHARE_TOL] = 0.0
    over = grants.sum(axis=0)
    grants *= np.where(over > x.capacity, x.capacity / np.maximum(over, 1e-300), 1.0)[None]
    value = float((x.weight[:, None, None] * grants).sum())
    return grants, value


class OptimisingArbiter:
    """The optimising arbiter (``"optimising"``): receding-horizon LP, see the module docstring.

    ``horizon_s`` (default 3 h, about two LEO orbits, so the next eclipse is always in view) is
    the look-ahead the engine is asked for (``view.forecast``); ``replan_s`` (default 10 min)
    how often the plan is solved again; ``earlier_gain`` the ``epsilon`` of the objective;
    ``group_size`` the most satellites in one LP. ``last_objective`` (the weighted shares the
    last plan gives the energy-bound satellites over its horizon), ``lp_solves``,
    ``lp_failures`` (LPs HiGHS could not solve: their satellites got the one-step optimum, which
    is safe for the step) and ``lp_seconds`` report the work done.
    """

    name = "optimising"

    def __init__(
        self,
        horizon_s: float = 3 * 3600.0,
        replan_s: float = 600.0,
        *,
        earlier_gain: float = 1e-3,
        group_size: int = 32,
    ) -> None:
        for fname, v in (("horizon_s", horizon_s), ("replan_s", replan_s)):
            if isinstance(v, bool) or not isinstance(v, int | float) or not (0 < v < math.inf):
                raise InputError(f"{fname} = {v!r}", field=fname, expected="seconds > 0")
        if (
            isinstance(earlier_gain, bool)
            or not isinstance(earlier_gain, int | float)
            or not (0 <= earlier_gain <= 1)
        ):
            raise InputError(
                f"earlier_gain = {earlier_gain!r}", field="earlier_gain", expected="in [0, 1]"
            )
        if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
            raise InputError(f"group_size = {group_size!r}", field="group_size", expected=">= 1")
        self.horizon_s = float(horizon_s)
        self.replan_s = float(replan_s)
        self.earlier_gain = float(earlier_gain)
        self.group_size = int(group_size)
        self.plan_start = -1
        self.plan_sats = np.zeros(0, np.int64)
        self.plan = np.zeros((0, 0, 0))
        self.plan_n = 0
        self.last_objective = 0.0
        self.lp_solves = 0
        self.lp_failures = 0
        self.lp_seconds = 0.0

    def __repr__(self) -> str:
        return (
            f"OptimisingArbiter(horizon_s={self.horizon_s:g}, replan_s={self.replan_s:g}, "
            f"earlier_gain={self.earlier_gain:g}, group_size={self.group_size})"
        )

    def share(self, view: ArbiterView) -> np.ndarray:
        """This step's grants (W, N): the plan's where energy binds, else the one-step optimum."""
        grants = one_step_grants(view)
        f = view.forecast
        no_horizon = f is None or (np.ndim(f.demand) == 3 and np.shape(f.demand)[1] == 0)
        if no_horizon or grants.size == 0:
            return grants
        step = int(view.step_index)
        every = max(1, round(self.replan_s / float(view.dt_s)))
        offset = step - self.plan_start
        stale = (
            self.plan_start < 0
            or not 0 <= offset < min(every, self.plan.shape[1])
            or self.plan.shape[0] != grants.shape[0]
            or self.plan_n != grants.shape[1]
        )
        if stale or (step % every == 0 and offset != 0):
            self._replan(view)
            offset = 0
        if self.plan_sats.size:
            idx = self.plan_sats
            planned = np.minimum(self.plan[:, offset], np.clip(view.demand[:, idx], 0.0, 1.0))
            limit = energy_limit(view)[idx]
            total = planned.sum(axis=0)
            planned *= np.where(total > limit, limit / np.maximum(total, 1e-300), 1.0)
            grants[:, idx] = planned
        return grants

    def _replan(self, view: ArbiterView) -> None:
        x = horizon_inputs(view)
        binding = np.flatnonzero(energy_binds(x, greedy_plan(x)))
        w, h, _ = x.demand.shape
        plan = np.zeros((w, h, binding.size))
        value = 0.0
        t0 = time.perf_counter()
        solved = np.ones(binding.size, dtype=bool)
        for g0 in range(0, binding.size, self.group_size):  # bounded: ceil(N_bind / size)
            sel = slice(g0, g0 + self.group_size)
            self.lp_solves += 1
            try:
                plan[:, :, sel], v = solve_plan(x.take(binding[sel]), self.earlier_gain)
            except RuntimeError:  # numerical trouble in HiGHS: these get the one-step optimum
                self.lp_failures += 1
                solved[sel] = False
                continue
            value += v
        self.lp_seconds += time.perf_counter() - t0
        binding, plan = binding[solved], plan[:, :, solved]
        self.plan_start, self.plan_sats, self.plan = int(view.step_index), binding, plan
        self.plan_n = int(x.demand.shape[2])
        self.last_objective = value

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The current plan: its first step, its satellites and their grants (W, H, S)."""
        return {
            "plan_start": np.asarray(self.plan_start, np.int64),
            "plan_sats": self.plan_sats.copy(),
            "plan": self.plan.copy(),
            "plan_n": np.asarray(self.plan_n, np.int64),
        }

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved."""
        try:
            start = int(np.asarray(state["plan_start"]))
            sats = np.asarray(state["plan_sats"], dtype=np.int64).ravel()
            plan = np.asarray(state["plan"], dtype=np.float64)
            n = int(np.asarray(state["plan_n"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"arbiter state does not match ({exc})",
                field="checkpoint",
                expected="a state saved by OptimisingArbiter.state_dict",
            ) from None
        if plan.ndim != 3 or plan.shape[2] != sats.size or (sats.size and sats.max() >= n):
            raise InputError(
                f"arbiter plan of shape {plan.shape} for {sats.size} satellites",
                field="checkpoint",
                expected="a state saved by OptimisingArbiter.state_dict",
            )
        self.plan_start, self.plan_sats, self.plan = start, sats, plan.copy()
        self.plan_n = n


__all__ = [
    "HorizonInputs",
    "OptimisingArbiter",
    "battery_path",
    "energy_binds",
    "energy_limit",
    "greedy_plan",
    "horizon_inputs",
    "one_step_grants",
    "serve_in_order",
    "solve_plan",
]
