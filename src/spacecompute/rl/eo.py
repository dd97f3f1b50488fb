"""The Earth-observation environment: when each satellite computes its imagery on board.

::

    from spacecompute.rl import SpacecomputeEnv
    env = SpacecomputeEnv("default", duration_s=6 * 3600, reward="insights")
    obs, info = env.reset(seed=0)
    while True:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    info["summary"]          # the run's summary, as `spacecompute run` prints it

The hand-over with the engine is :mod:`spacecompute.rl.base`'s.

**Observation** (``spaces.Dict`` of float32 arrays (N,) per satellite, at the step start):
``sunlit`` share of the solar disc seen [0, 1]; ``state_of_charge`` [0, 1];
``thermal_throttle`` [0, 1] (1: no thermal limit); ``backlog_steps`` the compute queue in steps of
full compute (``backlog_ops / (peak x dt)``, clipped to [0, 1e6]); ``storage_fraction`` storage used over
capacity [0, 1]; ``in_contact`` 1 where a ground station can take a downlink now; and
``time_fraction`` (1,) the elapsed share of the run.

**Action**: ``action="binary"`` (default) ``MultiBinary(N)``: 1 runs the satellite's payload as
fast as its queue needs this step (the ``on-board`` policy's load), 0 keeps it idle; or
``action="load"``: ``Box(0, 1, (N,))``, the compute load itself.

**Reward** (``reward=``), per step, from the engine's step row:

- ``"insights"`` (default): useful frames whose results reached the ground in the step (on-board
  processing downlinks only non-cloudy results, so every completed job is an insight);
- ``"energy"``: minus the payload's energy drawn in the step, in kWh;
- ``"insights-energy"``: insights minus ``energy_weight`` x kWh, minus ``brownout_penalty`` per
  satellite brown-out in the step (the trade-off of the look-ahead optimiser's objective).

``info`` of every step holds the three terms (``insights``, ``energy_kwh``, ``brownouts``) to
compose other rewards. An episode is the scenario's run (``duration_s`` etc. may be overridden); it ends truncated at
the run's last step (a time limit), whose observation repeats the last one (the run has no view
after its end). ``reset(seed=s)`` runs the scenario with ``seed = s`` (clouds and radiation
faults); ``reset()`` without a seed keeps the scenario's ``seed`` on the first episode and draws
the next ones from the environment's generator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..scheduling.policies import PolicyView, load_for_backlog
from .base import SpacecomputeEnv, _Agent, box, fleet_spaces, unit

REWARDS: tuple[str, ...] = ("insights", "energy", "insights-energy")
ACTIONS: tuple[str, ...] = ("binary", "load")
#: Bound of the ``backlog_steps`` observation (a queue of more steps of full compute shows as it).
MAX_BACKLOG_STEPS = 1e6


class EOEnv(SpacecomputeEnv):
    """A Gymnasium environment of a scenario's Earth-observation run (see the module docstring).

    ``scenario``: a preset name, a scenario file or a loaded scenario. ``reward``: one of
    :data:`REWARDS`; ``action``: one of :data:`ACTIONS`; ``energy_weight`` (insights per kWh)
    and ``brownout_penalty`` (insights per brown-out) shape ``"insights-energy"``.
    ``duration_s``, ``start``, ``step_s``, ``propagator``, ``seed`` override the scenario's keys.
    """

    kind = "earth-observation"
    REWARDS = REWARDS
    ACTIONS = ACTIONS

    def __init__(
        self,
        scenario: Any = "default",
        *,
        reward: str = "insights",
        action: str = "binary",
        energy_weight: float = 1.0,
        brownout_penalty: float = 1.0,
        duration_s: float | None = None,
        start: str | None = None,
        step_s: float | None = None,
        propagator: str | None = None,
        seed: int | None = None,
    ) -> None:
        from ..scenario.build import engine_config
        from ..sim.engine import _EORun

        overrides = {"duration_s": duration_s, "start": start, "step_s": step_s}
        overrides.update({"propagator": propagator, "seed": seed})
        loaded = self._choose(scenario, reward, action, energy_weight, brownout_penalty, overrides)
        self._agent = _Agent(self, on_board=True)
        self._handover(engine_config(loaded, self._agent))
        probe = _EORun(self.config, False)  # sizes the spaces (and checks the configuration)
        self.n, self.total_steps = probe.n, probe.total_steps
        n = self.n
        self.observation_space = spaces.Dict(
            {
                **fleet_spaces(n),
                "backlog_steps": box(n, MAX_BACKLOG_STEPS),
                "storage_fraction": box(n, 1.0),
                "in_contact": spaces.MultiBinary(n),
                "time_fraction": box(1, 1.0),
            }
        )
        self.action_space = spaces.MultiBinary(n) if action == "binary" else box(n, 1.0)

    # -- engine ---------------------------------------------------------------------------------
    def _run_engine(self, config: Any) -> Any:
        from ..sim.engine import _EORun

        return self._run_workload(_EORun(config, False))

    # -- translation ----------------------------------------------------------------------------
    def _observation(self, view: PolicyView) -> dict[str, np.ndarray]:
        full = view.peak_ops_per_s * view.dt_s
        backlog = view.backlog_ops / full if full > 0 else np.zeros(view.n)
        storage = (
            view.storage_used_bytes / view.storage_bytes
            if view.storage_bytes > 0
            else np.zeros(view.n)
        )
        return {
            "sunlit": unit(view.sunlit),
            "state_of_charge": unit(view.state_of_charge),
            "thermal_throttle": unit(view.thermal_throttle),
            "backlog_steps": np.clip(np.asarray(backlog, np.float32), 0.0, MAX_BACKLOG_STEPS),
            "storage_fraction": unit(storage),
            "in_contact": np.asarray(view.in_contact, np.int8),
            "time_fraction": np.array([view.step_index / self.total_steps], np.float32),
        }

    def _decision(self, action: Any, view: PolicyView, info: dict[str, Any]) -> np.ndarray:
        from ..errors import InputError

        a = np.asarray(action)
        if a.shape != (self.n,):
            raise InputError(
                f"action of shape {a.shape}", field="action", expected=f"({self.n},) per satellite"
            )
        if self.action_kind == "binary":
            return np.where(a.astype(bool), load_for_backlog(view), 0.0)
        return np.clip(np.nan_to_num(a.astype(np.float64), nan=0.0), 0.0, 1.0)

    def _terms(self, rows: dict[str, Any], i: int) -> dict[str, float]:
        return {
            "insights": float(rows["jobs_completed"][i]),
            "energy_kwh": self._energy_kwh(rows, i),
            "brownouts": float(rows["brownouts"][i]),
        }

    def _reward(self, terms: dict[str, float]) -> float:
        return self._reward_of(terms, "insights")


__all__ = ["ACTIONS", "MAX_BACKLOG_STEPS", "REWARDS", "EOEnv"]
