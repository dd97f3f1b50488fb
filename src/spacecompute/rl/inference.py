"""The inference-service environment: where the requests of ground users are computed.

::

    from spacecompute.rl import InferenceEnv      # or SpacecomputeEnv("orbital-cloud")
    env = InferenceEnv("orbital-cloud", duration_s=600, action="rule", reward="on-time")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.rule_action("deadline-aware"))

The service engine (:mod:`spacecompute.sim.service`) shows a policy every request of the step
(thousands on Starlink shell 1) with the candidate satellites of its city. A fixed-size encoding
cannot name a satellite per request, so the agent decides at the two levels the literature on LEO
task offloading learns at, and the engine's placement does the rest, request by request:

- ``action="rule"`` (default), ``MultiDiscrete([K] * C)``: per city, which of the K
  :data:`RULES` places its requests of the step. This is the *hyper-heuristic* (rule-selection)
  formulation: the agent learns *when* and *where* energy-, load- or deadline-awareness pays,
  and reuses the heuristics' exact placement. The rules are those of the built-in policies
  (:mod:`spacecompute.scheduling.service`): ``reject`` (admission control: the city's requests
  are refused), ``nearest-visible`` (highest elevation, blind to load and power),
  ``energy-aware`` (most power and thermal headroom among the visible), ``isl-offload`` (least
  expected completion time within ``max_isl_hops``, blind to deadlines) and ``deadline-aware``
  (the same, rejecting a request whose best expected delivery misses its deadline). The same
  rule in every city reproduces the built-in policy of that name exactly (with ``drop_early``
  as that policy's: False for the first three, True for ``deadline-aware``; tested).
- ``action="gate"``, ``MultiBinary(N)``: per satellite, 1 if it takes new requests this step
  (admission control per server, e.g. to keep work off a satellite about to enter eclipse or
  throttle); every request goes to the open candidate of least expected completion time
  (``isl-offload``'s placement over the open satellites), with the deadline test of
  ``deadline-aware`` when ``drop_early``. All ones reproduces ``isl-offload`` (``drop_early``
  False) or ``deadline-aware`` (True).

Rules that use the queues (``isl-offload``, ``deadline-aware``) see the queues at the step start
plus the work placed in the step by the load-blind rules (taken as queued at the step start) and
by the load-aware rule before them (``isl-offload`` then ``deadline-aware``); with one rule in
every city this is exactly that policy. Every request is served earliest deadline first; all
requests share one latency objective, so this is arrival order (FIFO), as the built-ins.
A request the agent refuses (``reject``, or no open candidate under ``gate``) ends ``dropped``,
with the engine's reason: ``no_satellite`` when its city sees none, ``no_capacity`` when none of
its candidates can compute (under ``gate``: none is open), else ``deadline`` (admission control,
as the ``deadline-aware`` policy's refusals).

**Observation** (``spaces.Dict`` of float32 arrays, at the step start; the city features describe
the requests that arrive in the step, as a policy's view does):

- per satellite (N,): ``sunlit`` [0, 1], ``state_of_charge`` [0, 1], ``thermal_throttle``
  [0, 1], ``capacity_fraction`` (the rate it can compute at now over its peak: power, heat and
  reboots, [0, 1]), ``backlog_s`` (queued work in seconds of full compute), ``demand_in_range``
  (requests of the step from cities that see it);
- per city (C, the scenario's ``top_cities`` by population; names in :attr:`cities`):
  ``city_requests`` (count), ``city_work_s`` (their work in seconds of one payload's peak),
  ``city_visible`` (satellites above the elevation mask), ``city_candidates`` (satellites within
  ``max_isl_hops``), ``city_best_capacity`` (highest ``capacity_fraction`` among them),
  ``city_best_wait_s`` (shortest queue wait among them, backlog over rate; the bound when none
  can compute or there is none); the engine computes the geometry of the cities that send
  requests in the step only, so a city without requests shows no visible satellites and no
  candidates;
- ``time_fraction`` (1,), the elapsed share of the run.

Counts are clipped to [0, :data:`~spacecompute.rl.base.MAX_COUNT`], seconds to
[0, :data:`~spacecompute.rl.base.MAX_SECONDS`].

**Reward** (``reward=``), per step, from the engine's step row:

- ``"on-time"`` (default): requests whose answer reached the user within the latency objective,
  counted in the step their compute ended (the return leg follows within a second); the
  service-level objective of an inference service;
- ``"energy"``: minus the payloads' energy drawn in the step, in kWh;
- ``"on-time-energy"``: on-time requests minus ``energy_weight`` x kWh minus
  ``brownout_penalty`` per satellite brown-out in the step.

``info`` of every step holds ``on_time``, ``completed``, ``dropped``, ``energy_kwh`` and
``brownouts`` to compose other rewards. Episodes, seeds and ``info["summary"]``: see
:class:`~spacecompute.rl.base.SpacecomputeEnv`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from gymnasium import spaces

from ..errors import InputError
from ..scheduling.service import (
    EnergyAware,
    NearestVisible,
    ServiceDecision,
    ServiceView,
    place_least_completion,
)
from .base import (
    MAX_COUNT,
    MAX_SECONDS,
    SpacecomputeEnv,
    _PreparedAgent,
    bounded,
    box,
    check_choice,
    fleet_spaces,
)
from .base import unit as _unit

REWARDS: tuple[str, ...] = ("on-time", "energy", "on-time-energy")
ACTIONS: tuple[str, ...] = ("rule", "gate")
#: The placement rules of ``action="rule"`` (index = action value).
RULES: tuple[str, ...] = (
    "reject",
    "nearest-visible",
    "energy-aware",
    "isl-offload",
    "deadline-aware",
)
_REJECT, _NEAREST, _ENERGY, _ISL, _DEADLINE = range(len(RULES))


class InferenceEnv(SpacecomputeEnv):
    """A Gymnasium environment of a scenario's inference-service run (see the module docstring).

    ``reward``: one of :data:`REWARDS`; ``action``: one of :data:`ACTIONS`; ``drop_early``: queued
    requests that can no longer meet their deadline are dropped before they start (as the
    ``deadline-aware`` policy; False: they run until the client's timeout); ``energy_weight``
    (requests per kWh) and ``brownout_penalty`` (requests per brown-out) shape
    ``"on-time-energy"``. ``duration_s``, ``start``, ``step_s``, ``propagator``, ``seed``
    override the scenario's keys.
    """

    kind = "inference"
    REWARDS = REWARDS
    ACTIONS = ACTIONS
    RULES = RULES

    def __init__(
        self,
        scenario: Any = "orbital-cloud",
        *,
        reward: str = "on-time",
        action: str = "rule",
        drop_early: bool = False,
        energy_weight: float = 1.0,
        brownout_penalty: float = 1.0,
        duration_s: float | None = None,
        start: str | None = None,
        step_s: float | None = None,
        propagator: str | None = None,
        seed: int | None = None,
    ) -> None:
        from ..astro.ground import cities
        from ..scenario.build import service_config
        from ..sim.service import check_service_config

        if not isinstance(drop_early, bool | np.bool_):
            raise InputError(f"drop_early = {drop_early!r}", field="drop_early", expected="a bool")
        overrides = {"duration_s": duration_s, "start": start, "step_s": step_s}
        overrides.update({"propagator": propagator, "seed": seed})
        loaded = self._choose(scenario, reward, action, energy_weight, brownout_penalty, overrides)
        self.drop_early = bool(drop_early)
        self._agent = _PreparedAgent(self, drop_early=self.drop_early)
        self._handover(service_config(loaded, self._agent))
        # sizes the spaces (and checks the configuration as the run will)
        _, _, _, const, _, _, self.peak_ops_per_s = check_service_config(self.config)
        names = cities(int(self.config.top_cities))["name"]
        #: City names, in the order of the per-city observations and actions.
        self.cities: list[str] = [str(x) for x in names]
        self.n, self.n_cities = len(const), len(self.cities)
        self.total_steps = int(np.floor(self.config.duration_s / self.config.step_s + 1e-9))
        self.observation_space = self._spaces()
        self.action_space = (
            spaces.MultiDiscrete(np.full(self.n_cities, len(RULES), np.int64))
            if action == "rule"
            else spaces.MultiBinary(self.n)
        )

    def _spaces(self) -> spaces.Dict:
        n, c = self.n, self.n_cities
        return spaces.Dict(
            {
                **fleet_spaces(n),
                "capacity_fraction": box(n, 1.0),
                "backlog_s": box(n, MAX_SECONDS),
                "demand_in_range": box(n, MAX_COUNT),
                "city_requests": box(c, MAX_COUNT),
                "city_work_s": box(c, MAX_SECONDS),
                "city_visible": box(c, float(n)),
                "city_candidates": box(c, float(n)),
                "city_best_capacity": box(c, 1.0),
                "city_best_wait_s": box(c, MAX_SECONDS),
                "time_fraction": box(1, 1.0),
            }
        )

    def rule_action(self, rule: str) -> np.ndarray:
        """The ``action="rule"`` action that applies ``rule`` (one of :data:`RULES`) in every
        city: with the ``drop_early`` of that policy it reproduces the built-in policy's run."""
        return np.full(self.n_cities, RULES.index(check_choice(rule, RULES, "rule")), np.int64)

    # -- engine ---------------------------------------------------------------------------------
    def _run_engine(self, config: Any) -> Any:
        from ..sim.service import ServiceWorkload

        return self._run_workload(ServiceWorkload(config))

    # -- translation ----------------------------------------------------------------------------
    def _observation(self, view: ServiceView) -> dict[str, np.ndarray]:
        n, c = self.n, self.n_cities
        peak = float(view.peak_ops_per_s) if view.peak_ops_per_s > 0 else 1.0
        cap = np.asarray(view.capacity_ops_per_s, np.float64)
        cap_frac = np.clip(cap / peak, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            wait = np.where(cap > 0, view.backlog_ops / cap, MAX_SECONDS)
        requests = np.bincount(view.city, minlength=c).astype(np.float64)
        work_s = np.bincount(view.city, weights=view.ops, minlength=c) / peak
        entry_city = np.repeat(np.arange(c), np.diff(view.cand_ptr))
        visible = view.cand_hops == 0
        best_cap = np.zeros(c)
        np.maximum.at(best_cap, entry_city, cap_frac[view.cand_sat])
        best_wait = np.full(c, MAX_SECONDS)
        np.minimum.at(best_wait, entry_city, wait[view.cand_sat])
        in_range = np.bincount(
            view.cand_sat[visible], weights=requests[entry_city[visible]], minlength=n
        )
        return {
            "sunlit": _unit(view.sunlit),
            "state_of_charge": _unit(view.state_of_charge),
            "thermal_throttle": _unit(view.thermal_throttle),
            "capacity_fraction": _unit(cap_frac),
            "backlog_s": bounded(view.backlog_ops / peak, MAX_SECONDS),
            "demand_in_range": bounded(in_range, MAX_COUNT),
            "city_requests": bounded(requests, MAX_COUNT),
            "city_work_s": bounded(work_s, MAX_SECONDS),
            "city_visible": bounded(np.bincount(entry_city[visible], minlength=c), n),
            "city_candidates": bounded(np.diff(view.cand_ptr), n),
            "city_best_capacity": _unit(best_cap),
            "city_best_wait_s": bounded(best_wait, MAX_SECONDS),
            "time_fraction": np.array([view.step_index / self.total_steps], np.float32),
        }

    def _decision(self, action: Any, view: ServiceView, info: dict[str, Any]) -> ServiceDecision:
        size = self.n_cities if self.action_kind == "rule" else self.n
        a = np.asarray(action)
        if a.shape != (size,) or a.dtype.kind not in "biu":
            what = "city" if self.action_kind == "rule" else "satellite"
            raise InputError(
                f"action of shape {a.shape} and dtype {a.dtype}",
                field="action",
                expected=f"({size},) integers, one per {what}",
            )
        priority = np.asarray(view.deadline_s, np.float64).copy()  # EDF (= FIFO here)
        if self.action_kind == "gate":
            return self._gate(a.astype(bool), view, priority)
        if size and (a.min() < 0 or a.max() >= len(RULES)):
            raise InputError(
                f"a rule {a.min()}..{a.max()}", field="action", expected=f"0..{len(RULES) - 1}"
            )
        return self._rules(a.astype(np.int64)[view.city], view, priority)

    def _rules(self, rule: np.ndarray, view: ServiceView, priority: np.ndarray) -> ServiceDecision:
        """Each request placed by its city's rule (module docstring)."""
        sat = np.full(view.m, -1, np.int64)
        no_capacity = np.zeros(view.m, bool)
        nearest = rule == _NEAREST
        if nearest.any():
            sat[nearest] = NearestVisible().decide(view).satellite[nearest]
        energy = rule == _ENERGY
        if energy.any():
            d = EnergyAware().decide(view)
            sat[energy] = d.satellite[energy]
            no_capacity[energy] = d.no_capacity[energy]
        placed = sat >= 0
        backlog = np.asarray(view.backlog_ops, np.float64) + np.bincount(
            sat[placed], weights=view.ops[placed], minlength=view.n
        )
        for r, admit in ((_ISL, False), (_DEADLINE, True)):
            mine = rule == r
            if not mine.any():
                continue
            seen = view if np.array_equal(backlog, view.backlog_ops) else None
            if seen is None:
                seen = replace(view, backlog_ops=backlog)
            s, _ = place_least_completion(seen, admit=admit, active=mine)
            sat[mine] = s[mine]
            ok = mine & (s >= 0)
            backlog = backlog + np.bincount(s[ok], weights=view.ops[ok], minlength=view.n)
        return ServiceDecision(sat, priority, no_capacity)

    def _gate(self, open_: np.ndarray, view: ServiceView, priority: np.ndarray) -> ServiceDecision:
        """Least expected completion over the open satellites (module docstring)."""
        allowed = open_[view.cand_sat][:, None]
        sat, _ = place_least_completion(
            view, admit=self.drop_early, allowed=allowed, fallback=False
        )
        c = self.n_cities
        entry_city = np.repeat(np.arange(c), np.diff(view.cand_ptr))
        open_per_city = np.bincount(entry_city, weights=allowed[:, 0], minlength=c)
        no_capacity = (sat < 0) & (np.diff(view.cand_ptr)[view.city] > 0)
        no_capacity &= open_per_city[view.city] == 0
        return ServiceDecision(sat, priority, no_capacity)

    def _terms(self, rows: dict[str, Any], i: int) -> dict[str, float]:
        return {
            "on_time": float(rows["jobs_on_time"][i]),
            "completed": float(rows["jobs_completed"][i]),
            "dropped": float(rows["jobs_dropped"][i]),
            "energy_kwh": self._energy_kwh(rows, i),
            "brownouts": float(rows["brownouts"][i]),
        }

    def _reward(self, terms: dict[str, float]) -> float:
        return self._reward_of(terms, "on_time")


__all__ = ["ACTIONS", "REWARDS", "RULES", "InferenceEnv"]
