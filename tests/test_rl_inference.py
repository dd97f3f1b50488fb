"""The inference-service Gymnasium environment: API conformance (check_env), determinism for a
seed, and that an action encoding a built-in policy reproduces that policy's run exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

gym = pytest.importorskip("gymnasium")

from gymnasium.utils.env_checker import check_env  # noqa: E402

import spacecompute as sc  # noqa: E402
from rl_episodes import play_episode, summary_differences  # noqa: E402
from spacecompute.rl import InferenceEnv, SpacecomputeEnv  # noqa: E402
from spacecompute.rl.inference import RULES  # noqa: E402

SCENARIO = str(Path(__file__).parent / "data" / "rl" / "inference-small.yaml")


@pytest.mark.parametrize("action", ["rule", "gate"])
def test_check_env_passes(action):
    env = SpacecomputeEnv(SCENARIO, action=action, duration_s=30)
    assert isinstance(env, InferenceEnv)
    check_env(env, skip_render_check=True)
    assert env.n == 396 and env.n_cities == 30 and env.total_steps == 3
    assert len(set(env.cities)) == 30
    env.close()


def test_episode_is_deterministic_for_a_seed():
    env = InferenceEnv(SCENARIO, duration_s=60, reward="on-time-energy")
    rng = np.random.default_rng(5)
    actions = rng.integers(0, len(RULES), size=(env.total_steps, env.n_cities))
    it = iter(actions)
    r1, o1, i1 = play_episode(env, 3, lambda obs: next(it))
    it = iter(actions)
    r2, o2, i2 = play_episode(env, 3, lambda obs: next(it))
    assert len(r1) == env.total_steps == 6
    assert np.array_equal(r1, r2)
    assert all(np.array_equal(a[k], b[k]) for a, b in zip(o1, o2, strict=True) for k in a)
    assert not summary_differences(i1[-1]["summary"], i2[-1]["summary"])
    # another seed draws other requests
    r3, _, _ = play_episode(env, 4, lambda obs: actions[0])
    assert not np.array_equal(r1, r3)
    env.close()


@pytest.mark.parametrize(
    ("rule", "drop_early"),
    [("isl-offload", False), ("deadline-aware", True), ("energy-aware", False)],
)
def test_one_rule_everywhere_is_that_policy(rule, drop_early):
    """The same rule in every city reproduces the built-in policy's run: every summary key, and
    the on-time rewards sum to its requests answered in time."""
    env = InferenceEnv(SCENARIO, drop_early=drop_early)
    rewards, observations, infos = play_episode(env, 0, lambda obs: env.rule_action(rule))
    ref = sc.run(SCENARIO, policy=rule, seed=0).summary
    summary = infos[-1]["summary"]
    assert not summary_differences(ref, summary)
    assert rewards.sum() == ref["jobs_on_time"] > 0
    # the observation counts the requests the engine generated: each once, in its step
    arrived = sum(o["city_requests"].sum() for o in observations[:-1])
    assert arrived == ref["jobs_total"]
    assert sum(i["dropped"] for i in infos) <= ref["jobs_dropped"]
    env.close()


def test_gates_all_open_is_isl_offload_and_all_closed_serves_nobody():
    env = InferenceEnv(SCENARIO, action="gate", duration_s=60)
    rewards, _, infos = play_episode(env, 0, lambda obs: np.ones(env.n, np.int8))
    ref = sc.run(SCENARIO, policy="isl-offload", seed=0, duration_s=60).summary
    assert not summary_differences(ref, infos[-1]["summary"])
    assert rewards.sum() == ref["jobs_on_time"]
    rewards, _, infos = play_episode(env, 0, lambda obs: np.zeros(env.n, np.int8))
    s = infos[-1]["summary"]
    assert rewards.sum() == 0 and s["jobs_completed"] == 0
    assert s["jobs_dropped"] == s["jobs_total"] == ref["jobs_total"]
    # a request with candidates, all closed, is refused for lack of (open) capacity
    assert s["dropped_no_capacity"] == s["jobs_total"] - s["dropped_no_satellite"]
    env.close()


class _RejectAll:
    """A user policy that refuses every request (the reference of the reject rule)."""

    name = "reject-all"

    def decide(self, view):
        from spacecompute.scheduling.service import ServiceDecision

        return ServiceDecision(np.full(view.m, -1, np.int64), view.arrival_s.copy())


def test_reject_everywhere_and_the_energy_reward():
    """Rejecting every request computes nothing: the energy reward is minus what the payloads
    draw at zero load, as in a run of a user policy that rejects everything."""
    env = InferenceEnv(SCENARIO, reward="energy", duration_s=30)
    rewards, observations, infos = play_episode(env, 0, lambda obs: env.rule_action("reject"))
    s = infos[-1]["summary"]
    assert s["jobs_completed"] == 0 and s["jobs_dropped"] == s["jobs_total"] > 0
    ref = sc.run(SCENARIO, policy=_RejectAll(), duration_s=30, seed=0)
    assert np.array_equal(-rewards, ref.steps["compute_power_w"] * 10.0 / 3.6e6)
    assert np.array_equal(-rewards, [i["energy_kwh"] for i in infos])
    assert not summary_differences(ref.summary, s)
    # no work was queued: every backlog observation is empty
    assert all(o["backlog_s"].max() == 0 for o in observations)
    env.close()


def test_each_city_follows_its_rule():
    """Half the cities reject, the other half use least completion: the rejecting cities' requests
    all end dropped at arrival, on no satellite; the others' are served."""
    env = InferenceEnv(SCENARIO, duration_s=30)
    half = np.arange(env.n_cities) % 2 == 0
    action = np.where(half, RULES.index("reject"), RULES.index("isl-offload"))
    play_episode(env, 0, lambda obs: action)
    jobs = env.result.jobs
    city, status = np.asarray(jobs["city"]), np.asarray(jobs["status"])
    rejecting = np.isin(city, np.asarray(env.cities)[half])
    assert rejecting.any() and (~rejecting).any()
    assert np.all(status[rejecting] == "dropped")
    assert np.all(np.asarray(jobs["satellite"])[rejecting] == -1)
    served = status[~rejecting] == "completed"
    assert served.mean() > 0.5
    env.close()


def test_observation_is_the_view():
    env = InferenceEnv(SCENARIO, duration_s=30)
    obs, _ = env.reset(seed=0)
    view = env.view
    assert obs["city_requests"].sum() == view.m > 0
    assert np.all(obs["city_candidates"] >= obs["city_visible"])
    # the requests of a city that sees satellites count once per visible satellite
    seen = obs["city_visible"] > 0
    assert obs["demand_in_range"].sum() == pytest.approx(
        float((obs["city_requests"] * obs["city_visible"])[seen].sum())
    )
    assert np.allclose(obs["capacity_fraction"], view.capacity_ops_per_s / view.peak_ops_per_s)
    env.close()


def test_bad_options_and_actions():
    with pytest.raises(sc.InputError, match="reward"):
        InferenceEnv(SCENARIO, reward="insights")
    with pytest.raises(sc.InputError, match=r"workload\.kind"):
        InferenceEnv("default")
    env = InferenceEnv(SCENARIO, duration_s=30)
    env.reset(seed=0)
    with pytest.raises(sc.InputError, match="action"):
        env.step(np.zeros(3, np.int64))
    with pytest.raises(sc.InputError, match="action"):
        env.step(np.full(env.n_cities, len(RULES), np.int64))
    env.close()
