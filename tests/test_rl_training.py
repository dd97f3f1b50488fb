"""The distributed-training Gymnasium environment: API conformance (check_env), determinism for
a seed, stable job slots, the repair of invalid actions, and that following a built-in policy's
decisions (``expert_action``) reproduces that policy's run exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

import spacecompute as sc  # noqa: E402
from rl_episodes import play_episode, summary_differences  # noqa: E402
from spacecompute.rl import SpacecomputeEnv, TrainingEnv  # noqa: E402

SCENARIO = str(Path(__file__).parent / "data" / "rl" / "training-small.yaml")


@pytest.mark.parametrize("action", ["slot", "slot-load"])
def test_check_env_passes(action):
    env = SpacecomputeEnv(SCENARIO, action=action, job_slots=4, duration_s=300)
    assert isinstance(env, TrainingEnv)
    check_env(env, skip_render_check=True)
    assert env.n == 81 and env.total_steps == 5
    env.close()


def test_episode_is_deterministic_for_a_seed():
    env = TrainingEnv(SCENARIO, job_slots=4, reward="work", duration_s=900)
    rng = np.random.default_rng(11)
    actions = rng.integers(0, 5, size=(env.total_steps, env.n))
    it = iter(actions)
    r1, o1, i1 = play_episode(env, 2, lambda obs: next(it))
    it = iter(actions)
    r2, o2, i2 = play_episode(env, 2, lambda obs: next(it))
    assert np.array_equal(r1, r2) and r1.sum() > 0
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(o1, o2, strict=True) for k in a)
    assert [i["repaired"] for i in i1] == [i["repaired"] for i in i2]
    assert not summary_differences(i1[-1]["summary"], i2[-1]["summary"])
    env.close()


@pytest.mark.parametrize("policy", ["deadline-aware", "all-in"])
def test_expert_action_reproduces_the_policy(policy):
    """Following a built-in policy's decisions, encoded as slot actions, is that policy's run:
    every summary key; the job rewards sum to its jobs done on time, and no action needed a
    repair (the policy's decisions are valid)."""
    env = TrainingEnv(SCENARIO, job_slots=48)
    rewards, _, infos = play_episode(env, 0, lambda obs: env.expert_action(policy))
    ref = sc.run(SCENARIO, policy=policy, seed=0).summary
    assert not summary_differences(ref, infos[-1]["summary"])
    assert rewards.sum() == ref["jobs_on_time"] > 0
    assert sum(i["repaired"] for i in infos) == 0
    env.close()


def test_work_reward_sums_to_the_useful_progress():
    env = TrainingEnv(SCENARIO, job_slots=48, reward="work", action="slot-load")
    rewards, _, infos = play_episode(env, 0, lambda obs: env.expert_action("deadline-aware"))
    s = infos[-1]["summary"]
    full = env.peak_ops_per_s * 60.0
    assert rewards.sum() == pytest.approx((s["ops_spent"] - s["ops_lost"]) / full, rel=1e-9)
    assert not summary_differences(sc.run(SCENARIO, policy="deadline-aware", seed=0).summary, s)
    env.close()


def test_slots_are_stable_and_the_window_is_bounded():
    """A job keeps its slot until it ends; with one slot the others wait outside the window
    and a policy serving them cannot be encoded."""
    env = TrainingEnv(SCENARIO, job_slots=8, duration_s=900)
    obs, _ = env.reset(seed=0)
    history = [env.slot_jobs]
    for _ in range(env.total_steps - 1):
        obs, *_ = env.step(np.zeros(env.n, np.int64))  # nobody works: jobs only arrive or expire
        history.append(env.slot_jobs)
    h = np.array(history)
    for s in range(env.job_slots):  # a slot's job id changes only through -1 (free)
        held = h[:, s][h[:, s] >= 0]
        assert np.all(np.diff(held) >= 0)
    assert obs["job_present"].sum() == (env.slot_jobs >= 0).sum()
    mask = env.action_masks().reshape(env.n, env.job_slots + 1)
    assert np.array_equal(mask[5], np.r_[True, obs["job_present"] > 0]) and mask[:, 0].all()
    one = TrainingEnv(SCENARIO, job_slots=1, duration_s=900)
    obs, _ = one.reset(seed=0)
    outside = False
    for _ in range(one.total_steps - 1):
        obs, *_ = one.step(np.zeros(one.n, np.int64))
        if obs["jobs_outside"][0] > 0:
            outside = True
            with pytest.raises(sc.InputError, match="job_slots"):
                one.expert_action("all-in")
            break
    assert outside
    env.close()
    one.close()


def test_invalid_actions_are_repaired():
    """Every satellite on slot 0: the job keeps its max_width lowest-index satellites; the
    others idle and are counted as repaired. A slot with no job: its satellites idle."""
    env = TrainingEnv(SCENARIO, job_slots=4, duration_s=600)
    obs, _ = env.reset(seed=0)
    while not obs["job_present"][0]:  # idle until the first job arrives
        obs, *_ = env.step(np.zeros(env.n, np.int64))
    width = int(obs["max_width"][0])
    assert width < env.n
    obs, _, _, _, info = env.step(np.ones(env.n, np.int64))
    assert info["repaired"] == env.n - width
    assert np.array_equal(obs["slot"], np.r_[np.ones(width), np.zeros(env.n - width)])
    assert obs["participants"][0] == width
    empty = int(np.flatnonzero(obs["job_present"] == 0)[0])
    obs, _, _, _, info = env.step(np.full(env.n, empty + 1, np.int64))
    assert info["repaired"] == env.n and not obs["slot"].any()
    with pytest.raises(sc.InputError, match="action"):
        env.step(np.full(env.n, env.job_slots + 1, np.int64))
    env.close()


def test_bad_options():
    with pytest.raises(sc.InputError, match="job_slots"):
        TrainingEnv(SCENARIO, job_slots=0)
    with pytest.raises(sc.InputError, match="reward"):
        TrainingEnv(SCENARIO, reward="on-time")
    with pytest.raises(sc.InputError, match=r"workload\.kind"):
        TrainingEnv("orbital-cloud")
