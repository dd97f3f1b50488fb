"""Arbiters: how each satellite's payload and energy are shared between workloads every step.

A scenario with several workloads (``workloads:``) runs them on one fleet. Every step each
workload says how much of each satellite's payload it would use (its *demand*, a share of the
payload's time in [0, 1]); the arbiter grants each workload a share, and the fleet is stepped
once with the sum of the grants, so power, heat and faults act on the fleet as a whole.

Units: shares of the payload's time over the step (load fractions). A share ``g`` of a
satellite's payload for the step runs ``g x peak x dt`` operations at the workload's own
precision and draws ``g x dynamic_energy_j`` joules above the payload's idle draw, where
``dynamic_energy_j = (payload peak power - idle power) x dt`` (the fleet's linear power model).

This module holds the interface (:class:`ArbiterView`, :class:`Arbiter`) and the built-in
arbiters ``priority`` and ``weighted-fair``; ``optimising`` (a receding-horizon LP) lives in
:mod:`spacecompute.scheduling.arbiter_lp`. All three are resolved by name like policies
(:func:`spacecompute.scheduling.custom.resolve_arbiter`), and so is a user's own arbiter. See
docs/arbiters.md.

Energy rule: ``priority`` and ``weighted-fair`` share the payload's time only; the fleet's own
power model limits the load as in a single-workload run (compute is shed at its reserve), so a
satellite whose battery runs low delivers less than it was granted. ``optimising`` is the one
arbiter that plans energy: on its forecast its grants never take a battery below the reserve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import InputError
from .arbiter_lp import OptimisingArbiter


@dataclass(frozen=True)
class ArbiterForecast:
    """Look-ahead over the next ``H`` steps (from the same predictors the policies get).

    ``sunlit`` (H, N) share of the solar disc seen; ``solar_energy_j`` (H, N) energy the arrays
    deliver per step; ``base_energy_j`` (H, N) energy the bus and the idle payload draw per step;
    ``demand`` (W, H, N) expected demand of each workload (shares, as in the view);
    ``in_contact`` (H, N) whether a ground station can take a downlink. Row 0 is the current
    step (the view's own ``demand`` and ``capacity`` stand for row 0 where they differ).
    Optional: ``capacity`` (H, N) shares the payload is expected to run (default: 1 after the
    current step, no throttle or fault foreseen).
    """

    sunlit: np.ndarray
    solar_energy_j: np.ndarray
    base_energy_j: np.ndarray
    demand: np.ndarray
    in_contact: np.ndarray
    capacity: np.ndarray | None = None


@dataclass(frozen=True)
class ArbiterView:
    """The state an arbiter sees at the start of a step (arrays are read-only).

    ``names`` (W,) the workloads in the scenario's order; ``priority`` (W,) int, smaller first;
    ``weight`` (W,) > 0, the value of a unit share of each workload (weighted-fair shares and
    the optimising objective); ``demand`` (W, N) shares in [0, 1]; ``capacity`` (N,) shares the
    payload can run this step (1 less thermal throttle and faults; 0 when off);
    ``dynamic_energy_j`` (N,) the energy a full share draws above idle this step;
    ``energy_available_j`` (N,) battery energy above the brown-out reserve plus this step's
    solar input less the bus and idle draw (what the payload may spend without a brown-out);
    ``battery_j`` (N,), ``battery_capacity_j`` (N,), ``reserve_j`` (N,); ``forecast`` the
    look-ahead, or None when the run offers none. Optional: ``charge_efficiency`` and
    ``discharge_efficiency`` (scalars or (N,), one-way, default 1): energy into the battery is
    ``eta_c`` times the surplus, a deficit of ``x`` J takes ``x / eta_d`` J out of it.
    """

    step_index: int
    dt_s: float
    names: tuple[str, ...]
    priority: np.ndarray
    weight: np.ndarray
    demand: np.ndarray
    capacity: np.ndarray
    dynamic_energy_j: np.ndarray
    energy_available_j: np.ndarray
    battery_j: np.ndarray
    battery_capacity_j: np.ndarray
    reserve_j: np.ndarray
    forecast: ArbiterForecast | None = None
    charge_efficiency: float | np.ndarray = 1.0
    discharge_efficiency: float | np.ndarray = 1.0

    @property
    def n(self) -> int:
        """Number of satellites."""
        return int(np.shape(self.capacity)[0])

    @property
    def n_workloads(self) -> int:
        """Number of workloads."""
        return len(self.names)


@runtime_checkable
class Arbiter(Protocol):
    """Shares each satellite between the workloads.

    ``share(view) -> np.ndarray`` (W, N) real grants with ``0 <= grant <= demand`` and, per
    satellite, ``sum over workloads <= capacity``; the engine checks it every step
    (:func:`spacecompute.scheduling.checks.check_arbiter_grants`) and stops with an InputError
    naming the arbiter, the step and what was expected. ``name`` labels the run.
    Optional: ``state_dict``/``load_state_dict`` as for policies; ``horizon_s`` (float), the
    look-ahead the arbiter wants in ``view.forecast`` (an arbiter without it may get None).
    """

    name: str

    def share(self, view: ArbiterView) -> np.ndarray: ...


class PriorityArbiter:
    """Strict priority with preemption: the first workload takes what it asks, the next the rest.

    Workloads are served in ascending ``priority`` (ties in the scenario's order); a lower one
    gets only the capacity the higher ones leave, and loses its share in any step a higher one
    needs it (its running work is paused, the workload decides whether that costs a checkpoint).
    No energy rule: the fleet's own power model limits the load (as in a single-workload run).
    The classic fixed-priority rule of real-time systems (Liu & Layland, J. ACM 20(1), 1973).
    """

    name = "priority"

    def share(self, view: ArbiterView) -> np.ndarray:
        demand = np.clip(np.asarray(view.demand, dtype=float), 0.0, 1.0)
        left = np.clip(np.asarray(view.capacity, dtype=float), 0.0, 1.0).copy()
        grant = np.zeros_like(demand)
        for w in np.argsort(np.asarray(view.priority), kind="stable"):
            grant[w] = np.minimum(demand[w], left)
            left -= grant[w]
        return grant


def water_fill(demand: np.ndarray, capacity: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted max-min fair shares (W, N) of ``capacity`` (N,) under ``demand`` (W, N).

    Progressive filling (D. Bertsekas and R. Gallager, *Data Networks*, 2nd ed., Prentice Hall
    1992, sec. 6.5.2, with weights): each round gives every still-unsatisfied workload
    ``left x weight / (sum of the unsatisfied weights)``; those whose demand that covers are
    granted their demand and leave, the capacity they did not use goes round again. The result
    is the unique allocation ``grant = min(demand, lam x weight)`` with ``lam`` the largest level
    that fits the capacity (``grant = demand`` when everything fits). At most W + 1 rounds, each
    vectorised over the satellites; ``weight`` (W,) > 0.
    """
    d = np.clip(np.asarray(demand, dtype=np.float64), 0.0, None)
    left = np.clip(np.asarray(capacity, dtype=np.float64), 0.0, None).copy()
    w = np.asarray(weight, dtype=np.float64)[:, None]
    grant = np.zeros_like(d)
    active = d > 0
    for _ in range(d.shape[0] + 1):  # each round satisfies one workload or ends
        wsum = (w * active).sum(axis=0)
        live = wsum > 0
        if not live.any():
            break
        offer = np.where(active, w * (left / np.where(live, wsum, 1.0)), 0.0)
        done = active & (offer >= d - grant)
        # satellites where someone is satisfied: grant those and go round; else final shares
        some = done.any(axis=0)
        give = np.where(done, d - grant, 0.0)
        final = np.where(active & ~some[None, :], offer, 0.0)
        grant += give + final
        left = np.maximum(left - give.sum(axis=0) - final.sum(axis=0), 0.0)
        active &= ~done & some[None, :]
    return np.minimum(grant, d)


class WeightedFairArbiter:
    """Weighted max-min fairness per satellite: shares in proportion to ``weight``.

    Each satellite's capacity is shared by water-filling (:func:`water_fill`): a workload gets
    ``capacity x weight / (sum of the weights of the workloads still wanting more)``, capped at
    its demand, and what a capped workload leaves is shared again among the others. It is the
    per-step allocation of generalized processor sharing (A. K. Parekh and R. G. Gallager, "A
    generalized processor sharing approach to flow control in integrated services networks:
    the single-node case", IEEE/ACM Trans. Networking 1(3), 1993, 344-357) and of weighted fair
    queueing (A. Demers, S. Keshav and S. Shenker, "Analysis and simulation of a fair queueing
    algorithm", ACM SIGCOMM 1989): no workload with demand is starved, none gets more than its
    weight's share while another wants more, and capacity is never left idle while demand is
    unmet (work conserving). No energy rule (as ``priority``).
    """

    name = "weighted-fair"

    def share(self, view: ArbiterView) -> np.ndarray:
        weight = np.asarray(view.weight, dtype=np.float64)
        if weight.size and not (np.isfinite(weight).all() and weight.min() > 0):
            raise InputError(
                f"workload weights {weight.tolist()}",
                field="workloads.weight",
                expected="finite weights > 0 for the weighted-fair arbiter",
            )
        demand = np.clip(np.asarray(view.demand, dtype=np.float64), 0.0, 1.0)
        capacity = np.clip(np.asarray(view.capacity, dtype=np.float64), 0.0, 1.0)
        return water_fill(demand, capacity, weight)


#: The built-in arbiters, by the name a scenario gives (``arbiter:``); the LP arbiter loads
#: scipy only when it first solves.
ARBITERS: dict[str, type] = {
    "priority": PriorityArbiter,
    "weighted-fair": WeightedFairArbiter,
    "optimising": OptimisingArbiter,
}
ARBITER_NAMES: tuple[str, ...] = tuple(ARBITERS)


def builtin_arbiter(name: str) -> type:
    """The class of built-in arbiter ``name`` (one of :data:`ARBITER_NAMES`); KeyError else."""
    return ARBITERS[name]


def resolve_arbiter(spec: Any, **kwargs: Any) -> Any:
    """:func:`spacecompute.scheduling.custom.resolve_arbiter` (a name, ``module:Class``, an
    entry point, a class or an object -> a checked arbiter), here beside the built-ins."""
    from .custom import resolve_arbiter as resolve

    return resolve(spec, **kwargs)


__all__ = [
    "ARBITERS",
    "ARBITER_NAMES",
    "Arbiter",
    "ArbiterForecast",
    "ArbiterView",
    "OptimisingArbiter",
    "PriorityArbiter",
    "WeightedFairArbiter",
    "builtin_arbiter",
    "resolve_arbiter",
    "water_fill",
]
