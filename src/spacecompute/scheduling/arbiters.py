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
arbiters, resolved by name like policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class ArbiterForecast:
    """Look-ahead over the next ``H`` steps (from the same predictors the policies get).

    ``sunlit`` (H, N) share of the solar disc seen; ``solar_energy_j`` (H, N) energy the arrays
    deliver per step; ``base_energy_j`` (H, N) energy the bus and the idle payload draw per step;
    ``demand`` (W, H, N) expected demand of each workload (shares, as in the view);
    ``in_contact`` (H, N) whether a ground station can take a downlink.
    """

    sunlit: np.ndarray
    solar_energy_j: np.ndarray
    base_energy_j: np.ndarray
    demand: np.ndarray
    in_contact: np.ndarray


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
    look-ahead, or None when the run offers none.
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


@runtime_checkable
class Arbiter(Protocol):
    """Shares each satellite between the workloads.

    ``share(view) -> np.ndarray`` (W, N) real grants with ``0 <= grant <= demand`` and, per
    satellite, ``sum over workloads <= capacity``; the engine checks it every step and stops with
    an InputError naming the arbiter, the step and what was expected. ``name`` labels the run.
    Optional ``state_dict``/``load_state_dict`` as for policies.
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


__all__ = ["Arbiter", "ArbiterForecast", "ArbiterView", "PriorityArbiter"]
