"""The Earth-observation Gymnasium environment: API conformance (check_env), determinism for a
seed, and the episode equals the engine's own run of the same policy; and the choice of the
environment by workload (the inference and training ones: test_rl_inference.py and
test_rl_training.py)."""

from __future__ import annotations

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

import spacecompute as sc  # noqa: E402
from spacecompute.rl import SpacecomputeEnv  # noqa: E402


@pytest.fixture(scope="module")
def env():
    e = SpacecomputeEnv("default", duration_s=1800)
    yield e
    e.close()


def test_check_env_passes(env):
    check_env(env, skip_render_check=True)
    assert env.n == 12 and env.total_steps == 30


def _episode(env, seed, policy):
    obs, info = env.reset(seed=seed)
    rewards, socs = [], [obs["state_of_charge"].copy()]
    while True:
        obs, r, terminated, truncated, info = env.step(policy(obs))
        rewards.append(r)
        socs.append(obs["state_of_charge"].copy())
        assert not terminated
        if truncated:
            return np.array(rewards), np.array(socs), info


def test_episode_is_deterministic_for_a_seed(env):
    rng = np.random.default_rng(7)
    actions = rng.integers(0, 2, size=(env.total_steps, env.n))
    it = iter(actions)
    r1, s1, i1 = _episode(env, 3, lambda obs: next(it))
    it = iter(actions)
    r2, s2, i2 = _episode(env, 3, lambda obs: next(it))
    assert len(r1) == env.total_steps
    assert np.array_equal(r1, r2) and np.array_equal(s1, s2)
    assert i1["summary"]["insights_delivered"] == i2["summary"]["insights_delivered"]


def test_all_on_episode_equals_the_on_board_run(env):
    """Action 1 everywhere is the on-board policy: the episode's rewards (insights per step)
    sum to the insights of `sc.run` with on-board, same seed, and its summary matches."""
    rewards, _, info = _episode(env, 0, lambda obs: np.ones(env.n, np.int8))
    ref = sc.run("default", policy="on-board", duration_s=1800, seed=0).summary
    assert rewards.sum() == ref["insights_delivered"] == info["summary"]["insights_delivered"]
    for key in ("jobs_total", "jobs_completed", "energy_compute_j", "bits_downlinked"):
        assert info["summary"][key] == ref[key]


def test_reset_mid_episode_and_energy_reward(env):
    obs, _ = env.reset(seed=1)
    env.step(np.ones(env.n, np.int8))
    obs2, _ = env.reset(seed=1)  # stops the running episode, starts the same one again
    assert all(np.array_equal(obs[k], obs2[k]) for k in obs)
    e = SpacecomputeEnv("default", duration_s=600, reward="energy", action="load")
    e.reset(seed=0)
    _, r_idle, _, _, info = e.step(np.zeros(e.n, np.float32))
    # an idle payload still draws its idle power: minus (sum of idle power x dt) in kWh
    bent = sc.run("default", policy="bent-pipe", duration_s=600, seed=0)
    assert r_idle == -info["energy_kwh"] < 0
    # the bent pipe never computes either: the same idle draw in its first step
    first_w = bent.steps["compute_power_w"][0]
    assert info["energy_kwh"] == pytest.approx(first_w * 60.0 / 3.6e6, rel=1e-12)
    e.close()


def test_the_environment_follows_the_workload():
    """SpacecomputeEnv picks the environment of the scenario's workload; each class refuses a
    scenario of another workload."""
    from spacecompute.rl import EOEnv, InferenceEnv, TrainingEnv

    e = SpacecomputeEnv("training-cluster", duration_s=600)
    assert type(e) is TrainingEnv and isinstance(e, SpacecomputeEnv)
    assert type(SpacecomputeEnv("default", duration_s=600)) is EOEnv
    assert type(SpacecomputeEnv(sc.load_scenario("orbital-cloud"), duration_s=60)) is InferenceEnv
    with pytest.raises(sc.InputError, match=r"workload\.kind"):
        EOEnv("training-cluster", duration_s=600)
    with pytest.raises(sc.InputError, match="reward"):
        SpacecomputeEnv("default", reward="money")
