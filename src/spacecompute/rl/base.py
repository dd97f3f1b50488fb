"""The common base of the environments: the scenario, and the hand-over with the engine thread.

**Seam.** An environment drives an unchanged engine (Earth observation, inference service or
training) with a policy object whose ``decide(view)`` hands the step's view to the environment
and returns the decision built from the agent's action. The engine runs in a worker thread and
the two hand over strictly in turn (only one runs at a time), so an episode *is* the engine's own
run: the same physics, accounting and checks as ``spacecompute run``, and the same results for the
same seed and decisions.

**Rewards** come from the engine's own per-step rows (the ``steps`` table of a run), read after
each step: the Earth-observation run keeps them on its run object; the service and training
engines keep them in their run function, where the ``progress`` callback (called after every
step, in that function) finds them (:meth:`SpacecomputeEnv._engine_rows`). So the rewards of an
episode sum to the run's own totals (tested).
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
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("spacecompute.rl needs gymnasium: pip install 'spacecompute[rl]'") from exc

from ..errors import InputError

_J_PER_KWH = 3.6e6
#: Bound of the observations counted in seconds (a queue, a wait, a deadline further away shows
#: as this).
MAX_SECONDS = 1e7
#: Bound of the observations that count requests or jobs.
MAX_COUNT = 1e9


class _Stop(Exception):
    """Raised inside the engine thread to end an episode early (reset or close)."""


_STOP = object()


class _Agent:
    """The policy the engine sees: ``decide`` hands the view over and waits for the decision.

    ``attrs`` become attributes (``name``, ``on_board`` for Earth observation, ``drop_early``
    for the service)."""

    def __init__(self, env: SpacecomputeEnv, **attrs: Any) -> None:
        self._env = env
        self.name = "agent"
        for key, value in attrs.items():
            setattr(self, key, value)

    def decide(self, view: Any) -> Any:
        self._env._to_env.put(("view", view))
        decision = self._env._to_engine.get()
        if decision is _STOP:
            raise _Stop
        return decision


class _PreparedAgent(_Agent):
    """An agent that also keeps the engine's predictor (for :meth:`expert_action` of look-ahead
    policies, which need it)."""

    def prepare(self, predictor: Any) -> None:
        self._env.predictor = predictor


def loaded_scenario(scenario: Any) -> Any:
    """A :class:`~spacecompute.scenario.loader.LoadedScenario` of a preset name, a file or a
    loaded scenario."""
    from ..scenario.loader import LoadedScenario, load_scenario

    return scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)


def env_class(kind: str) -> type[SpacecomputeEnv]:
    """The environment class of a workload kind."""
    from .eo import EOEnv
    from .inference import InferenceEnv
    from .training import TrainingEnv

    classes: dict[str, type[SpacecomputeEnv]] = {
        "earth-observation": EOEnv,
        "inference": InferenceEnv,
        "training": TrainingEnv,
    }
    if kind not in classes:  # pragma: no cover - the schema knows only these kinds
        raise InputError(f"workload {kind!r}", field="workload.kind", expected=f"{sorted(classes)}")
    return classes[kind]


def check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    """``value`` if it is one of ``choices``, else an :class:`InputError` listing them."""
    if value not in choices:
        raise InputError(f"{field} = {value!r}", field=field, expected=f"one of {choices}")
    return value


def unit(a: Any) -> np.ndarray:
    """float32 clipped to [0, 1]."""
    return np.clip(np.asarray(a, np.float32), 0.0, 1.0)


def bounded(a: Any, high: float) -> np.ndarray:
    """float32 clipped to [0, high] (NaN as 0)."""
    return np.clip(np.nan_to_num(np.asarray(a, np.float64), nan=0.0), 0.0, high).astype(np.float32)


def box(size: int, high: float) -> Any:
    """A float32 observation space of ``size`` values in [0, high]."""
    return gym.spaces.Box(0.0, high, (size,), np.float32)


def fleet_spaces(n: int) -> dict[str, Any]:
    """The per-satellite observations every environment shares: ``sunlit``,
    ``state_of_charge``, ``thermal_throttle`` (each (N,) in [0, 1])."""
    return {key: box(n, 1.0) for key in ("sunlit", "state_of_charge", "thermal_throttle")}


class SpacecomputeEnv(gym.Env):
    """A Gymnasium environment of a scenario's run, for the scenario's workload.

    ``SpacecomputeEnv(scenario, **options)`` returns the environment of the scenario's
    ``workload.kind``: :class:`~spacecompute.rl.eo.EOEnv` (Earth observation),
    :class:`~spacecompute.rl.inference.InferenceEnv` (inference service) or
    :class:`~spacecompute.rl.training.TrainingEnv` (distributed training); each is also a
    subclass of this one and can be built directly. ``scenario``: a preset name, a scenario file
    or a loaded scenario; ``options`` are those of the class (a wrong name or value gives an
    :class:`~spacecompute.errors.InputError`). Every class takes ``duration_s``, ``start``,
    ``step_s``, ``propagator`` and ``seed``, which override the scenario's keys.

    An episode is the scenario's run; it ends truncated at the run's last step (a time limit),
    whose observation repeats the last one (the run has no view after its end), with
    ``info["summary"]`` the run's summary and :attr:`result` its tables. ``reset(seed=s)`` runs
    the scenario with ``seed = s``; ``reset()`` without a seed keeps the scenario's ``seed`` on
    the first episode and draws the next ones from the environment's generator.
    """

    metadata = {"render_modes": []}  # noqa: RUF012  (gymnasium's convention)
    #: Workload kind of the class (the scenario's ``workload.kind``).
    kind: str = ""
    REWARDS: tuple[str, ...] = ()
    ACTIONS: tuple[str, ...] = ()

    def __new__(cls, scenario: Any = "default", *args: Any, **kwargs: Any) -> SpacecomputeEnv:
        if cls is not SpacecomputeEnv:
            return super().__new__(cls)
        loaded = loaded_scenario(scenario)
        env = super().__new__(env_class(loaded.spec.workload.kind))
        env._preloaded = (scenario, loaded)  # __init__ (called next) need not read it again
        return env

    # -- construction helpers (subclasses) ------------------------------------------------------
    def _scenario(self, scenario: Any, overrides: dict[str, Any]) -> Any:
        """The scenario with ``overrides`` applied, checked to be of this class's workload."""
        from ..runner import with_overrides

        pre = self.__dict__.pop("_preloaded", None)
        loaded = pre[1] if pre is not None and pre[0] is scenario else loaded_scenario(scenario)
        loaded = with_overrides(loaded, overrides)
        if loaded.spec.workload.kind != self.kind:
            raise InputError(
                f"workload {loaded.spec.workload.kind!r}",
                file=loaded.file,
                field="workload.kind",
                expected=f"{self.kind} for {type(self).__name__} (SpacecomputeEnv picks the "
                "environment of the scenario's workload)",
            )
        return loaded

    def _choose(
        self,
        scenario: Any,
        reward: str,
        action: str,
        energy_weight: float,
        brownout_penalty: float,
        overrides: dict[str, Any],
    ) -> Any:
        """Check and keep the options every environment has; the scenario with ``overrides``
        (``duration_s``, ``start``, ``step_s``, ``propagator``, ``seed``) applied."""
        self.reward_kind = check_choice(reward, self.REWARDS, "reward")
        self.action_kind = check_choice(action, self.ACTIONS, "action")
        self.energy_weight, self.brownout_penalty = float(energy_weight), float(brownout_penalty)
        return self._scenario(scenario, overrides)

    def _handover(self, config: Any) -> None:
        """Keep the engine configuration (holding the agent) and clear the episode state."""
        self.config = config
        self._scenario_seed = int(config.seed)
        self._episodes = 0
        self._thread: threading.Thread | None = None
        self._view: Any = None
        self._obs: Any = None
        self._rows: Any = None
        self._steps_done = 0
        self._run: Any = None
        #: The last finished episode's :class:`~spacecompute.sim.engine.EngineResult` (summary
        #: and the jobs, steps and satellites tables); None before.
        self.result: Any = None
        #: The engine's predictor of the running episode (look-ahead policies need it).
        self.predictor: Any = None

    # -- subclass hooks ---------------------------------------------------------------------------
    def _run_engine(self, config: Any) -> Any:
        """Run the engine (in the worker thread) with ``progress=self._progress``; returns the
        :class:`~spacecompute.sim.engine.EngineResult`."""
        raise NotImplementedError

    def _observation(self, view: Any) -> Any:
        raise NotImplementedError

    def _decision(self, action: Any, view: Any, info: dict[str, Any]) -> Any:
        """The decision the engine gets for ``action`` on ``view`` (what was changed to make
        it valid may go to the step's ``info``)."""
        raise NotImplementedError

    def _terms(self, rows: Any, i: int) -> dict[str, float]:
        """The reward terms of step ``i`` from the engine's step rows (also in ``info``)."""
        raise NotImplementedError

    def _reward(self, terms: dict[str, float]) -> float:
        raise NotImplementedError

    def _reward_of(self, terms: dict[str, float], primary: str) -> float:
        """The reward options every environment shares: ``"energy"`` (minus the payload's
        kWh), a ``*-energy`` combination (``primary`` less ``energy_weight`` x kWh less
        ``brownout_penalty`` per brown-out), else the term ``primary`` itself."""
        if self.reward_kind == "energy":
            return -terms["energy_kwh"]
        if self.reward_kind.endswith("-energy"):
            return (
                terms[primary]
                - self.energy_weight * terms["energy_kwh"]
                - self.brownout_penalty * terms["brownouts"]
            )
        return terms[primary]

    def _run_workload(self, run: Any) -> Any:
        """Run one workload plug-in alone on the engine core (as ``spacecompute run`` does,
        without a run directory) with ``progress=self._progress``; its result."""
        from ..sim.core import Core

        self._run = run
        Core([run]).run(progress=self._progress)  # one numba thread for small fleets
        return run.result(self._wall0, None)

    def _engine_rows(self) -> Any:
        """The running workload's step rows (a dict of per-step lists)."""
        return self._run.rows

    # -- the engine thread --------------------------------------------------------------------
    def _progress(self, done: int, total: int) -> None:
        """The engine's ``progress`` callback (after every step, in the engine thread)."""
        if self._rows is None:
            self._rows = self._engine_rows()
        self._steps_done = done

    def _engine(self, config: Any) -> None:
        try:
            result = self._run_engine(config)
            self._to_env.put(("done", result))
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
    ) -> tuple[Any, dict[str, Any]]:
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
        self._rows, self._steps_done, self.predictor = None, 0, None
        self._new_episode()
        config = replace(self.config, seed=episode_seed)
        self._wall0 = time.perf_counter()
        self._thread = threading.Thread(target=self._engine, args=(config,), daemon=True)
        self._thread.start()
        kind, view = self._receive()
        if kind != "view":  # pragma: no cover - a run has at least one step
            raise RuntimeError("the run ended before its first step")
        self._view, self._obs = view, self._observation(view)
        return self._obs, {"step": 0, "seed": episode_seed}

    def _new_episode(self) -> None:
        """Clear what an environment keeps per episode (before the engine starts)."""

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        if self._thread is None or self._view is None:
            raise RuntimeError("call reset() before step() (and after the episode ended)")
        info: dict[str, Any] = {}
        self._to_engine.put(self._decision(action, self._view, info))
        kind, value = self._receive()
        i = self._steps_done - 1  # the step just run (the engine waits in the next decide)
        info.update({"step": i + 1, **self._terms(self._rows, i)})
        reward = self._reward(info)
        if kind == "done":
            self._thread.join()
            self._thread, self._view = None, None
            self.result = value
            info["summary"] = value.summary
            return self._obs, reward, False, True, info
        self._view, self._obs = value, self._observation(value)
        return self._obs, reward, False, False, info

    def close(self) -> None:
        self._stop_episode()

    @property
    def view(self) -> Any:
        """The engine's view of the current step (what the observation encodes); None between
        episodes."""
        return self._view

    def _energy_kwh(self, rows: Any, i: int) -> float:
        """The payload's energy drawn in step ``i`` (kWh), all satellites."""
        return float(rows["compute_power_w"][i]) * float(self.config.step_s) / _J_PER_KWH


__all__ = ["MAX_COUNT", "MAX_SECONDS", "SpacecomputeEnv", "check_choice", "loaded_scenario"]
