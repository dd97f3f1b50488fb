"""Gymnasium environments over the engines: train a scheduling agent on a real scenario.

``pip install spacecompute[rl]`` (gymnasium). ::

    from spacecompute.rl import SpacecomputeEnv
    env = SpacecomputeEnv("orbital-cloud", duration_s=600)   # an InferenceEnv
    obs, info = env.reset(seed=0)
    while True:
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            break
    info["summary"]          # the run's summary, as `spacecompute run` prints it

``SpacecomputeEnv(scenario, **options)`` picks the environment of the scenario's workload:

- :class:`~spacecompute.rl.eo.EOEnv` (``earth-observation``): per satellite, compute now or not;
- :class:`~spacecompute.rl.inference.InferenceEnv` (``inference``): per city, which placement
  rule serves its requests of the step, or per satellite, whether it takes new requests;
- :class:`~spacecompute.rl.training.TrainingEnv` (``training``): per satellite, which of a fixed
  number of job slots it works for (or none).

The engines decide over a varying number of requests or jobs per step; the inference and training
environments give them a fixed-size encoding (cities, job slots) so that an agent's observation
and action fit Gymnasium spaces. Each environment drives the unchanged engine through the policy
seam (:mod:`spacecompute.rl.base`), so an episode is the engine's own run, rewards come from its
step rows, and an action that encodes a built-in policy's decisions reproduces that policy's run
exactly (tested).
"""

from __future__ import annotations

from .base import MAX_COUNT, MAX_SECONDS, SpacecomputeEnv
from .eo import ACTIONS, MAX_BACKLOG_STEPS, REWARDS, EOEnv
from .inference import InferenceEnv
from .training import TrainingEnv

__all__ = [
    "ACTIONS",
    "MAX_BACKLOG_STEPS",
    "MAX_COUNT",
    "MAX_SECONDS",
    "REWARDS",
    "EOEnv",
    "InferenceEnv",
    "SpacecomputeEnv",
    "TrainingEnv",
]
