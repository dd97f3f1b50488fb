"""A Gymnasium environment over the engine: train a scheduling agent on a real scenario.

``pip install spacecompute[rl]`` (gymnasium). ::

    from spacecompute.rl import SpacecomputeEnv
    env = SpacecomputeEnv("default", duration_s=6 * 3600, reward="insights")
    obs, info = env.reset(seed=0)
    while True:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    info["summary"]          # the run's summary, as `spacecompute run` prints it

**Seam.** The environment drives the unchanged Earth-observation engine
(:mod:`spacecompute.sim.engine`) with a policy object whose ``decide(view)`` hands the step's
:class:`~spacecompute.scheduling.policies.PolicyView` to the environment and returns the agent's
action. The engine runs in a worker thread and the two hand over strictly in turn (only one runs
at a time), so an episode is the engine's own run: the same physics, accounting and checks as
``spacecompute run``, and the same results for the same seed.

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

Only the Earth-observation workload is offered: the inference and training policies decide over
a varying number of requests or jobs per step, which needs a fixed-size encoding of the decision
(e.g. per city or per job slot) before it fits a Gymnasium space.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import replace
from typing import Any

import numpy as np

try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("spacecompute.rl needs gymnasium: pip install 'spacecompute[rl]'") from exc

from .errors import InputError
from .scheduling.policies import PolicyView, load_for_backlog

REWARDS: tuple[str, ...] = ("insights", "energy", "insights-energy")
ACTIONS: tuple[str, ...] = ("binary", "load")
_J_PER_KWH = 3.6e6
#: Bound of the ``backlog_steps`` observation (a queue of more steps of full compute shows as it).
MAX_BACKLOG_STEPS = 1e6


class _Stop(Exception):
    """Raised inside the engine thread to end an episode early (reset or close)."""


class _AgentPolicy:
    """The EO policy the engine sees: ``decide`` hands the view over and waits for the action."""

    name = "agent"
    on_board = True

    def __init__(self, env: SpacecomputeEnv) -> None:
        self._env = env

    def decide(self, view: PolicyView) -> np.ndarray:
        self._env._to_env.put(("view", view))
        action = self._env._to_engine.get()
        if action is _STOP:
            raise _Stop
        return action


_STOP = object()


class SpacecomputeEnv(gym.Env):
    """A Gymnasium environment of a scenario's Earth-observation run (see the module docstring).

    ``scenario``: a preset name, a scenario file or a loaded scenario. ``reward``: one of
    :data:`REWARDS`; ``action``: one of :data:`ACTIONS`; ``energy_weight`` (insights per kWh)
    and ``brownout_penalty`` (insights per brown-out) shape ``"insights-energy"``.
    ``duration_s``, ``start``, ``step_s``, ``propagator``, ``seed`` override the scenario's keys.
    """

    metadata = {"render_modes": []}  # noqa: RUF012  (gymnasium's convention)

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
        from .runner import with_overrides
        from .scenario.build import engine_config
        from .scenario.loader import LoadedScenario, load_scenario

        if reward not in REWARDS:
            raise InputError(f"reward = {reward!r}", field="reward", expected=f"one of {REWARDS}")
        if action not in ACTIONS:
            raise InputError(f"action = {action!r}", field="action", expected=f"one of {ACTIONS}")
        loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
        overrides = {"duration_s": duration_s, "start": start, "step_s": step_s}
        overrides.update({"propagator": propagator, "seed": seed})
        loaded = with_overrides(loaded, overrides)
        if loaded.spec.workload.kind != "earth-observation":
            raise InputError(
                f"workload {loaded.spec.workload.kind!r}",
                file=loaded.file,
                field="workload.kind",
                expected="earth-observation (the only workload offered as an environment)",
            )
        self.reward_kind, self.action_kind = reward, action
        self.energy_weight, self.brownout_penalty = float(energy_weight), float(brownout_penalty)
        self._agent = _AgentPolicy(self)
        self.config = engine_config(loaded, self._agent)
        self._scenario_seed = int(self.config.seed)
        self._episodes = 0
        from .sim.engine import _EORun

        probe = _EORun(self.config, False)  # sizes the spaces (and checks the configuration)
        self.n, self.total_steps = probe.n, probe.total_steps
        n = self.n
        unit = spaces.Box(0.0, 1.0, (n,), np.float32)
        self.observation_space = spaces.Dict(
            {
                "sunlit": unit,
                "state_of_charge": unit,
                "thermal_throttle": unit,
                "backlog_steps": spaces.Box(0.0, MAX_BACKLOG_STEPS, (n,), np.float32),
                "storage_fraction": unit,
                "in_contact": spaces.MultiBinary(n),
                "time_fraction": spaces.Box(0.0, 1.0, (1,), np.float32),
            }
        )
        self.action_space = (
            spaces.MultiBinary(n) if action == "binary" else spaces.Box(0.0, 1.0, (n,), np.float32)
        )
        self._thread: threading.Thread | None = None
        self._run: Any = None
        self._obs: dict[str, np.ndarray] | None = None
        self._view: PolicyView | None = None

    # -- the engine thread ----------------------------------------------------------------------
    def _engine(self, config: Any) -> None:
        from ._runtime import numba_threads_for
        from .sim.engine import _EORun

        try:
            run = _EORun(config, False)
            self._run = run
            with numba_threads_for(run.n):
                run.run(None, None)
            self._to_env.put(("done", None))
        except _Stop:
            pass
        except BaseException as exc:  # handed to the caller of step/reset
            self._to_env.put(("error", exc))

    def _stop_episode(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._to_engine.put(_STOP)
            self._thread.join()
        self._thread = None

    def _receive(self) -> tuple[str, Any]:
        kind, value = self._to_env.get()
        if kind == "error":
            self._thread = None
            raise value
        return kind, value

    # -- gymnasium API --------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        super().reset(seed=seed)
        self._stop_episode()
        if seed is not None:
            episode_seed = int(seed)
        elif self._episodes == 0:
            episode_seed = self._scenario_seed
        else:
            episode_seed = int(self.np_random.integers(0, 2**31 - 1))
        self._episodes += 1
        self._to_env: queue.Queue = queue.Queue(maxsize=1)
        self._to_engine: queue.Queue = queue.Queue(maxsize=1)
        config = replace(self.config, seed=episode_seed)
        self._wall0 = time.perf_counter()
        self._thread = threading.Thread(target=self._engine, args=(config,), daemon=True)
        self._thread.start()
        kind, view = self._receive()
        if kind != "view":  # pragma: no cover - a run has at least one step
            raise RuntimeError("the run ended before its first step")
        self._view, self._obs = view, self._observation(view)
        return self._obs, {"step": 0, "seed": episode_seed}

    def step(self, action: Any) -> tuple[dict[str, np.ndarray], float, bool, bool, dict]:
        if self._thread is None or self._view is None:
            raise RuntimeError("call reset() before step() (and after the episode ended)")
        self._to_engine.put(self._loads(action, self._view))
        kind, view = self._receive()
        run = self._run
        i = run.steps_done - 1  # the step just run (the engine waits in the next decide)
        info: dict[str, Any] = {"step": i + 1, **self._terms(run.rows, i)}
        reward = self._reward(info)
        if kind == "done":
            from .sim.engine import _finish

            self._thread.join()
            self._thread, self._view = None, None
            info["summary"] = _finish(run, self._wall0, None).summary
            return self._obs, reward, False, True, info
        self._view, self._obs = view, self._observation(view)
        return self._obs, reward, False, False, info

    def close(self) -> None:
        self._stop_episode()

    # -- translation ----------------------------------------------------------------------------
    def _observation(self, view: PolicyView) -> dict[str, np.ndarray]:
        full = view.peak_ops_per_s * view.dt_s
        backlog = view.backlog_ops / full if full > 0 else np.zeros(view.n)
        storage = (
            view.storage_used_bytes / view.storage_bytes
            if view.storage_bytes > 0
            else np.zeros(view.n)
        )

        def unit(a: np.ndarray) -> np.ndarray:
            return np.clip(np.asarray(a, np.float32), 0.0, 1.0)

        return {
            "sunlit": unit(view.sunlit),
            "state_of_charge": unit(view.state_of_charge),
            "thermal_throttle": unit(view.thermal_throttle),
            "backlog_steps": np.clip(np.asarray(backlog, np.float32), 0.0, MAX_BACKLOG_STEPS),
            "storage_fraction": unit(storage),
            "in_contact": np.asarray(view.in_contact, np.int8),
            "time_fraction": np.array([view.step_index / self.total_steps], np.float32),
        }

    def _loads(self, action: Any, view: PolicyView) -> np.ndarray:
        a = np.asarray(action)
        if a.shape != (self.n,):
            raise InputError(
                f"action of shape {a.shape}", field="action", expected=f"({self.n},) per satellite"
            )
        if self.action_kind == "binary":
            return np.where(a.astype(bool), load_for_backlog(view), 0.0)
        return np.clip(np.nan_to_num(a.astype(np.float64), nan=0.0), 0.0, 1.0)

    def _terms(self, rows: dict[str, np.ndarray], i: int) -> dict[str, float]:
        """The reward terms of step ``i`` (also in ``info``, to compose other rewards)."""
        return {
            "insights": float(rows["jobs_completed"][i]),
            "energy_kwh": float(rows["compute_power_w"][i])
            * float(self.config.step_s)
            / _J_PER_KWH,
            "brownouts": float(rows["brownouts"][i]),
        }

    def _reward(self, terms: dict[str, float]) -> float:
        if self.reward_kind == "insights":
            return terms["insights"]
        if self.reward_kind == "energy":
            return -terms["energy_kwh"]
        return (
            terms["insights"]
            - self.energy_weight * terms["energy_kwh"]
            - self.brownout_penalty * terms["brownouts"]
        )


__all__ = ["ACTIONS", "REWARDS", "SpacecomputeEnv"]
