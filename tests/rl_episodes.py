"""Shared by the Gymnasium environment tests: play an episode, compare two run summaries."""

from __future__ import annotations

import numpy as np

#: Summary keys that may differ between two runs of the same decisions.
VOLATILE = ("wall_time_s", "policy")


def play_episode(env, seed, act):
    """Rewards (array), observations and infos of one episode with actions ``act(obs)``."""
    obs, _ = env.reset(seed=seed)
    rewards, observations, infos = [], [obs], []
    while True:
        obs, r, terminated, truncated, info = env.step(act(obs))
        assert not terminated
        rewards.append(r)
        observations.append(obs)
        infos.append(info)
        if truncated:
            return np.array(rewards), observations, infos


def summary_differences(a, b):
    """Keys (other than :data:`VOLATILE`) whose values differ, with both values."""
    return {k: (a[k], b.get(k)) for k in a if k not in VOLATILE and a[k] != b.get(k)}
