"""Scheduling policies for the Earth-observation workload: one interface, swapped by name.

A policy sees a read-only :class:`PolicyView` of the step (what exists at its start) and returns
each satellite's compute load in [0, 1]; it never mutates engine state. A policy may also define
``prepare(predictor)``: the engine calls it once before the first step with an object whose
``predict(step_index, n_steps)`` returns a forecast of the coming steps (sunlit fraction,
best downlink rate, arrivals), so that a policy can plan on predicted eclipses and contacts
(orbits are predictable). See :mod:`spacecompute.sim.forecast`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from .protocols import EOPolicy


@dataclass(frozen=True)
class PolicyView:
    """Read-only snapshot a policy decides on, arrays (N,) at the start of the step.

    ``sunlit`` in [0, 1] (share of the solar disk seen), ``state_of_charge`` in [0, 1],
    ``thermal_throttle`` in [0, 1] (1 = no thermal limit), ``backlog_ops`` ops waiting in the
    compute queue, ``storage_used_bytes`` / ``storage_bytes``, ``in_contact`` (a station sees the
    satellite with a closing link), ``peak_ops_per_s`` of the payload and the step ``dt_s``.
    """

    sunlit: np.ndarray
    state_of_charge: np.ndarray
    thermal_throttle: np.ndarray
    backlog_ops: np.ndarray
    storage_used_bytes: np.ndarray
    storage_bytes: float
    in_contact: np.ndarray
    peak_ops_per_s: float
    dt_s: float
    step_index: int = 0
    time_ns: int = 0

    def __post_init__(self) -> None:
        for name in (
            "sunlit",
            "state_of_charge",
            "thermal_throttle",
            "backlog_ops",
            "storage_used_bytes",
            "in_contact",
        ):
            # a read-only view, not a copy (a copy of six (N,) arrays costs 10-20 ms a step at
            # a million satellites); the policy cannot write through it
            a = np.asarray(getattr(self, name)).view()
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    @property
    def n(self) -> int:
        return int(self.sunlit.shape[0])


#: The Earth-observation policy Protocol (documented in :mod:`spacecompute.scheduling.protocols`).
Policy = EOPolicy


def load_for_backlog(view: PolicyView) -> np.ndarray:
    """Load that would clear the compute backlog this step, ``backlog / (peak x dt)``, <= 1.

    A relative headroom of 1e-9 covers the rounding of the fleet's power model, which would
    otherwise leave a residue of a fraction of an op (and one more step of latency)."""
    full = view.peak_ops_per_s * view.dt_s
    if full <= 0:
        return np.zeros(view.n)
    return np.minimum(1.0, view.backlog_ops * (1.0 + 1e-9) / full)


@dataclass(frozen=True)
class BentPipe:
    """Bent pipe: no on-board compute; every raw frame is queued for downlink and processed on
    the ground (instantaneously here). The baseline of Denby & Lucia (ASPLOS 2020)."""

    name: str = "bent-pipe"
    on_board: bool = False

    def decide(self, view: PolicyView) -> np.ndarray:
        return np.zeros(view.n)


@dataclass(frozen=True)
class OnBoard:
    """Orbital edge computing (Denby & Lucia, ASPLOS 2020): run the model on board as fast as
    the queue needs; cloudy frames are discarded after inference and only the results of
    useful frames are downlinked."""

    name: str = "on-board"
    on_board: bool = True

    def decide(self, view: PolicyView) -> np.ndarray:
        return load_for_backlog(view)


@dataclass(frozen=True)
class EnergyAware:
    """On-board processing gated on energy and heat: compute only when ``sunlit >= 0.5``,
    ``state_of_charge >= 0.5`` and ``thermal_throttle == 1``; otherwise frames wait in storage
    (cf. the energy-harvesting schedule of Denby & Lucia, ASPLOS 2020)."""

    name: str = "energy-aware"
    on_board: bool = True
    min_sunlit: float = 0.5
    min_state_of_charge: float = 0.5

    def decide(self, view: PolicyView) -> np.ndarray:
        ok = (
            (view.sunlit >= self.min_sunlit)
            & (view.state_of_charge >= self.min_state_of_charge)
            & (view.thermal_throttle >= 1.0)
        )
        return np.where(ok, load_for_backlog(view), 0.0)


POLICIES: dict[str, Callable[[], Policy]] = {
    "bent-pipe": BentPipe,
    "on-board": OnBoard,
    "energy-aware": EnergyAware,
}


#: The workload kind of each registry's label in :func:`policy_from_registry`.
_WORKLOAD_OF = {"service": "inference", "training": "training"}


def policy_from_registry(
    registry: dict[str, Callable[..., Any]],
    name: Any,
    kind: str,
    options: dict[str, Any],
    aliases: dict[str, str] | None = None,
) -> Any:
    """A new instance of policy ``name`` of ``registry`` (``options`` to its factory).

    ``name`` may also be a user policy (see :mod:`spacecompute.scheduling.protocols`): an
    object, a class, ``"module:Class"`` or an entry-point name, resolved and checked by
    :func:`~spacecompute.scheduling.custom.resolve_policy`. An unknown name or bad options raise
    :class:`InputError` naming the ``kind`` of policy."""
    from .custom import resolve_policy

    aliases = aliases or {}
    if isinstance(name, str):
        name = aliases.get(name, name)
    if not isinstance(name, str) or name not in registry:
        return resolve_policy(
            name,
            _WORKLOAD_OF.get(kind, kind),
            options=options,
            builtins=[*registry, *aliases],
        )
    try:
        return registry[name](**options)
    except TypeError as exc:
        raise InputError(
            f"bad options for policy {name!r}: {exc}", field="policy_options"
        ) from None


def get_policy(name: Any) -> Policy:
    """The registered policy called ``name``, or a user policy (object, class,
    ``"module:Class"``, entry-point name) checked against :class:`EOPolicy`;
    :class:`InputError` listing the names otherwise."""
    return policy_from_registry(POLICIES, name, "earth-observation", {})


# The optimising look-ahead policy lives in its own module (it imports PolicyView from here).
from .lookahead import LookAhead  # noqa: E402

POLICIES[LookAhead.name] = LookAhead

__all__ = [
    "POLICIES",
    "BentPipe",
    "EnergyAware",
    "OnBoard",
    "Policy",
    "PolicyView",
    "get_policy",
    "load_for_backlog",
]
