"""The distributed-training environment: which job each satellite of the cluster works for.

::

    from spacecompute.rl import TrainingEnv      # or SpacecomputeEnv("training-cluster")
    env = TrainingEnv("training-cluster", duration_s=6 * 3600, job_slots=16, reward="jobs")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.expert_action("deadline-aware"))

The training engine (:mod:`spacecompute.sim.training`) shows a policy the open jobs of the step
(a varying number) and takes the job each satellite works for. The environment gives the jobs
``job_slots`` (``J``) fixed **slots**: a job that arrives takes the lowest free slot and keeps it
until it ends (completed or dropped), so an agent sees the same job at the same place from step to
step; when every slot is taken, newer jobs wait outside the window (counted in
``jobs_outside``), invisible and unserved, until a slot frees.

**Action**: ``action="slot"`` (default), ``MultiDiscrete([J + 1] * N)``: per satellite 0 (idle)
or ``1 + s`` (work for the job in slot ``s``) at full load; ``action="slot-load"``:
``spaces.Dict(slot=that, load=Box(0, 1, (N,)))``, the compute load of each working satellite as
well (a lower load draws less power and computes proportionally less; a synchronous job runs at
its slowest participant's pace). The engine needs each job it serves to get between its
``min_width`` (memory) and ``max_width`` satellites, so the action is *repaired* to that, and
``info["repaired"]`` counts the satellites it changed: satellites pointing to an empty slot idle,
a job given more than ``max_width`` keeps its lowest-index satellites, and a job given fewer than
``min_width`` gets none. Jobs are never rejected by the agent: a job it does not serve is dropped
at its deadline. :meth:`expert_action` encodes a built-in (or any) policy's decision on the
current view, for imitation learning; followed at every step it reproduces that policy's run
exactly (tested), as long as the policy rejects no job and serves none outside the window.
:meth:`action_masks` gives the slot values that point to a job, for maskable agents.

**Observation** (``spaces.Dict``, at the step start):

- per satellite (N,), float32: ``sunlit`` [0, 1], ``state_of_charge`` [0, 1],
  ``thermal_throttle`` [0, 1], ``available`` (1 unless rebooting the whole step); and ``slot``
  (``MultiDiscrete``: what it worked for in the previous step, coded as the action);
- per slot (J,), float32 (zeros for an empty slot): ``job_present`` (1: a job holds the slot),
  ``remaining_fraction`` of its work, ``work_left_s`` (the time it still needs at ``max_width``
  satellites, full compute and the nominal link rate: remaining / (width x peak x efficiency)),
  ``time_left_s`` (to its deadline), ``min_width``, ``max_width``, ``participants`` (satellites
  it had in the previous step), ``efficiency`` (share of a training step spent computing at
  ``max_width``); a job's slack is ``time_left_s - work_left_s``;
- ``jobs_outside`` (1,): open jobs waiting outside the window; ``time_fraction`` (1,).

Seconds are clipped to [0, :data:`~spacecompute.rl.base.MAX_SECONDS`].

**Reward** (``reward=``), per step, from the engine's step row:

- ``"jobs"`` (default): jobs completed in the step (a job completes only before its deadline);
- ``"work"``: useful training progress in the step, in satellite-steps of full compute
  (``(ops_progress - ops_lost) / (peak x dt)``: progress made minus progress rolled back by
  faults), a denser signal than completions;
- ``"energy"``: minus the payloads' energy drawn in the step, in kWh;
- ``"jobs-energy"``: jobs minus ``energy_weight`` x kWh minus ``brownout_penalty`` per satellite
  brown-out in the step.

``info`` of every step holds ``jobs``, ``work``, ``dropped``, ``energy_kwh``, ``brownouts`` and
``repaired``. Episodes, seeds and ``info["summary"]``: see
:class:`~spacecompute.rl.base.SpacecomputeEnv`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from ..errors import InputError
from ..scheduling.training import TrainingDecision, TrainingView
from .base import (
    MAX_COUNT,
    MAX_SECONDS,
    SpacecomputeEnv,
    _PreparedAgent,
    bounded,
    box,
    fleet_spaces,
)
from .base import unit as _unit

REWARDS: tuple[str, ...] = ("jobs", "work", "energy", "jobs-energy")
ACTIONS: tuple[str, ...] = ("slot", "slot-load")


class TrainingEnv(SpacecomputeEnv):
    """A Gymnasium environment of a scenario's training run (see the module docstring).

    ``job_slots``: the number of job slots ``J`` (>= 1); ``reward``: one of :data:`REWARDS`;
    ``action``: one of :data:`ACTIONS`; ``energy_weight`` (jobs per kWh) and
    ``brownout_penalty`` (jobs per brown-out) shape ``"jobs-energy"``. ``duration_s``,
    ``start``, ``step_s``, ``propagator``, ``seed`` override the scenario's keys.
    """

    kind = "training"
    REWARDS = REWARDS
    ACTIONS = ACTIONS

    def __init__(
        self,
        scenario: Any = "training-cluster",
        *,
        job_slots: int = 16,
        reward: str = "jobs",
        action: str = "slot",
        energy_weight: float = 1.0,
        brownout_penalty: float = 1.0,
        duration_s: float | None = None,
        start: str | None = None,
        step_s: float | None = None,
        propagator: str | None = None,
        seed: int | None = None,
    ) -> None:
        from ..scenario.build import training_config
        from ..sim.training import _setup

        if isinstance(job_slots, bool) or not isinstance(job_slots, int | np.integer):
            raise InputError(f"job_slots = {job_slots!r}", field="job_slots", expected="an int")
        if job_slots < 1:
            raise InputError(f"job_slots = {job_slots}", field="job_slots", expected=">= 1")
        overrides = {"duration_s": duration_s, "start": start, "step_s": step_s}
        overrides.update({"propagator": propagator, "seed": seed})
        loaded = self._choose(scenario, reward, action, energy_weight, brownout_penalty, overrides)
        self.job_slots = int(job_slots)
        self._agent = _PreparedAgent(self)
        self._handover(training_config(loaded, self._agent))
        setup = _setup(self.config, None)  # sizes the spaces (and checks the configuration)
        self.n, self.total_steps, self.peak_ops_per_s = setup.n, setup.total_steps, setup.peak
        self.observation_space = self._spaces()
        slot = spaces.MultiDiscrete(np.full(self.n, self.job_slots + 1, np.int64))
        self.action_space = (
            slot
            if action == "slot"
            else spaces.Dict({"slot": slot, "load": spaces.Box(0.0, 1.0, (self.n,), np.float32)})
        )
        self._slot_job = np.full(self.job_slots, -1, np.int64)
        self._experts: dict[str, Any] = {}

    def _spaces(self) -> spaces.Dict:
        n, j = self.n, self.job_slots
        return spaces.Dict(
            {
                **fleet_spaces(n),
                "available": box(n, 1.0),
                "slot": spaces.MultiDiscrete(np.full(n, j + 1, np.int64)),
                "job_present": box(j, 1.0),
                "remaining_fraction": box(j, 1.0),
                "work_left_s": box(j, MAX_SECONDS),
                "time_left_s": box(j, MAX_SECONDS),
                "min_width": box(j, float(n)),
                "max_width": box(j, float(n)),
                "participants": box(j, float(n)),
                "efficiency": box(j, 1.0),
                "jobs_outside": box(1, MAX_COUNT),
                "time_fraction": box(1, 1.0),
            }
        )

    # -- engine ---------------------------------------------------------------------------------
    def _run_engine(self, config: Any) -> Any:
        from ..sim.training import TrainingWorkload

        return self._run_workload(TrainingWorkload(config, None))

    def _new_episode(self) -> None:
        self._slot_job = np.full(self.job_slots, -1, np.int64)
        self._experts = {}

    # -- slots ----------------------------------------------------------------------------------
    @property
    def slot_jobs(self) -> np.ndarray:
        """The job id held by each slot (J,), -1 for a free slot (ids are the rows of the run's
        jobs table)."""
        return self._slot_job.copy()

    def _update_slots(self, view: TrainingView) -> None:
        """Free the slots of jobs that ended; new jobs take the lowest free slots in arrival
        order (the view lists jobs by id, which is arrival order)."""
        held = self._slot_job >= 0
        self._slot_job[held & ~np.isin(self._slot_job, view.job_id)] = -1
        new = view.job_id[~np.isin(view.job_id, self._slot_job)]
        free = np.flatnonzero(self._slot_job < 0)
        take = min(free.size, new.size)
        self._slot_job[free[:take]] = new[:take]

    def _slot_of_jobs(self, job_ids: np.ndarray) -> np.ndarray:
        """Slot (0..J-1) of each job id, -1 for jobs outside the window and for -1."""
        order = np.argsort(self._slot_job)
        keys = self._slot_job[order]
        pos = np.clip(np.searchsorted(keys, job_ids), 0, keys.size - 1)
        hit = (keys[pos] == job_ids) & (job_ids >= 0)
        return np.where(hit, order[pos], -1)

    def action_masks(self) -> np.ndarray:
        """Which slot values each satellite may take now, (N x (J + 1),) bool, satellite by
        satellite (idle always; a slot only while a job holds it): the flat mask of a
        ``MultiDiscrete`` action that maskable agents take (e.g. sb3-contrib's MaskablePPO)."""
        row = np.r_[True, self._slot_job >= 0]
        return np.tile(row, self.n)

    # -- translation ----------------------------------------------------------------------------
    def _observation(self, view: TrainingView) -> dict[str, np.ndarray]:
        self._update_slots(view)
        j = self.job_slots
        present = self._slot_job >= 0
        idx = np.searchsorted(view.job_id, self._slot_job[present])  # rows of the view

        def per_slot(values: Any) -> np.ndarray:
            out = np.zeros(j)
            out[present] = np.asarray(values, np.float64)[idx]
            return out

        total = per_slot(view.total_ops)
        remaining = per_slot(view.remaining_ops)
        width = per_slot(view.max_width)
        eff = per_slot(view.efficiency)
        rate = width * float(view.peak_ops_per_s) * eff
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(total > 0, remaining / total, 0.0)
            work_left = np.where(rate > 0, remaining / rate, np.where(present, MAX_SECONDS, 0.0))
        time_left = np.where(present, (per_slot(view.deadline_ns) - view.time_ns) / 1e9, 0.0)
        n_outside = view.n_jobs - int(present.sum())
        return {
            "sunlit": _unit(view.sunlit),
            "state_of_charge": _unit(view.state_of_charge),
            "thermal_throttle": _unit(view.thermal_throttle),
            "available": view.available.astype(np.float32),
            "slot": (self._slot_of_jobs(np.asarray(view.assignment, np.int64)) + 1).astype(
                np.int64
            ),
            "job_present": present.astype(np.float32),
            "remaining_fraction": _unit(frac),
            "work_left_s": bounded(work_left, MAX_SECONDS),
            "time_left_s": bounded(time_left, MAX_SECONDS),
            "min_width": bounded(per_slot(view.min_width), self.n),
            "max_width": bounded(width, self.n),
            "participants": bounded(per_slot(view.participants), self.n),
            "efficiency": _unit(eff),
            "jobs_outside": np.array([n_outside], np.float32),
            "time_fraction": np.array([view.step_index / self.total_steps], np.float32),
        }

    def _decision(self, action: Any, view: TrainingView, info: dict[str, Any]) -> TrainingDecision:
        load = None
        if self.action_kind == "slot-load":
            if not isinstance(action, dict) or set(action) != {"slot", "load"}:
                raise InputError(
                    f"action of type {type(action).__name__}",
                    field="action",
                    expected="a dict with 'slot' and 'load'",
                )
            load = np.asarray(action["load"], np.float64)
            if load.shape != (self.n,):
                raise InputError(
                    f"load of shape {load.shape}", field="action.load", expected=f"({self.n},)"
                )
            load = np.clip(np.nan_to_num(load, nan=0.0), 0.0, 1.0)
            action = action["slot"]
        a = np.asarray(action)
        if a.shape != (self.n,) or a.dtype.kind not in "biu":
            raise InputError(
                f"action of shape {a.shape} and dtype {a.dtype}",
                field="action",
                expected=f"({self.n},) integers in 0..{self.job_slots} (0: idle, 1 + slot)",
            )
        if self.n and (a.min() < 0 or a.max() > self.job_slots):
            raise InputError(
                f"a slot value {a.min()}..{a.max()}",
                field="action",
                expected=f"0..{self.job_slots} (0: idle, 1 + slot)",
            )
        a = a.astype(np.int64)
        wanted = np.where(a > 0, self._slot_job[np.maximum(a - 1, 0)], -1)
        assign = self._repair(wanted, view)
        info["repaired"] = int(np.count_nonzero((a > 0) & (assign < 0)))
        return TrainingDecision(assign, load=load)

    def _repair(self, wanted: np.ndarray, view: TrainingView) -> np.ndarray:
        """``wanted`` job ids (N,) made valid for the engine (module docstring), vectorized."""
        assign = wanted.copy()
        on = np.flatnonzero(assign >= 0)
        if on.size == 0:
            return assign
        row = np.searchsorted(view.job_id, assign[on])  # the jobs' rows in the view
        order = np.lexsort((on, row))  # by job, then satellite index
        on, row = on[order], row[order]
        first = np.r_[True, row[1:] != row[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(on.size), 0))
        rank = np.arange(on.size) - start
        over = rank >= view.max_width[row]
        assign[on[over]] = -1
        count = np.bincount(row[~over], minlength=view.n_jobs)
        short = (count[row] < view.min_width[row]) & ~over
        assign[on[short]] = -1
        return assign

    def expert_action(self, policy: Any = "deadline-aware", **options: Any) -> Any:
        """The action that makes the engine apply ``policy``'s decision on the current view:
        a built-in name (with ``options``) or a training policy object (kept for the episode,
        so a stateful one sees every step). Followed at every step it reproduces the policy's
        run, if the policy rejects no job (rejections are not part of the action) and serves no
        job outside the window (an :class:`InputError` says so). ``slot-load``: the policy's
        loads too (1 where it gives none)."""
        from ..scheduling.training import get_training_policy
        from ..sim.training import policy_decide

        if self._view is None:
            raise RuntimeError("call reset() before expert_action()")
        key = policy if isinstance(policy, str) else f"object:{id(policy)}"
        if key not in self._experts:
            p = get_training_policy(policy, **options)
            prepare = getattr(p, "prepare", None)
            if callable(prepare) and self.predictor is not None:
                prepare(self.predictor)
            self._experts[key] = p
        decision = policy_decide(self._experts[key], self._view)
        slot = self._slot_of_jobs(np.asarray(decision.assign, np.int64))
        outside = (decision.assign >= 0) & (slot < 0)
        if outside.any():
            raise InputError(
                f"policy {self._experts[key].name} serves job "
                f"{int(decision.assign[outside][0])}, outside the {self.job_slots} job slots",
                field="job_slots",
                expected="more job slots",
            )
        action = (slot + 1).astype(np.int64)
        if self.action_kind == "slot":
            return action
        load = np.ones(self.n) if decision.load is None else np.asarray(decision.load)
        return {"slot": action, "load": load.astype(np.float32)}

    def _terms(self, rows: dict[str, Any], i: int) -> dict[str, float]:
        full = self.peak_ops_per_s * float(self.config.step_s)
        work = float(rows["ops_progress"][i]) - float(rows["ops_lost"][i])
        return {
            "jobs": float(rows["jobs_completed"][i]),
            "work": work / full if full > 0 else 0.0,
            "dropped": float(rows["jobs_dropped"][i]),
            "energy_kwh": self._energy_kwh(rows, i),
            "brownouts": float(rows["brownouts"][i]),
        }

    def _reward(self, terms: dict[str, float]) -> float:
        return self._reward_of(terms, "work" if self.reward_kind == "work" else "jobs")


__all__ = ["ACTIONS", "REWARDS", "TrainingEnv"]
