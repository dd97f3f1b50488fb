"""Policies side by side in forked processes: the same results as one after another."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from spacecompute._forked import run_forked

SCENARIO = (
    "name: forked\nstart: 2026-03-20T06:00:00Z\nduration_s: 1200\nstep_s: 60\n"
    "constellation: {preset: threebody}\n"
    "workload: {kind: earth-observation, model: yolov8m}\n"
    "policy: energy-aware\ncompare: [on-board, bent-pipe]\n"
)


def test_run_forked_returns_results_in_order_and_relays_progress():
    seen = []

    def task(k):
        def run(report):
            for i in range(1, 4):
                report(i, 3)
            return {"square": k * k, "pid": os.getpid()}

        return run

    out = run_forked({f"t{k}": task(k) for k in range(3)}, 2, lambda *a: seen.append(a))
    assert list(out) == ["t0", "t1", "t2"]
    assert [v["square"] for v in out.values()] == [0, 1, 4]
    assert all(v["pid"] != os.getpid() for v in out.values())
    assert sorted(seen) == sorted((f"t{k}", i, 3) for k in range(3) for i in range(1, 4))


def test_run_forked_reraises_the_task_error():
    from spacecompute.errors import InputError

    def bad(report):
        raise InputError("no", field="x", expected="yes")

    with pytest.raises(InputError, match="x: no"):
        run_forked({"ok": lambda report: 1, "bad": bad}, 2)


def test_comparison_side_by_side_equals_one_after_another(tmp_path):
    """A fresh process forks one run per policy (2 cores); SPACECOMPUTE_RUN_PROCESSES=1 runs
    them in turn: summaries and job tables identical."""
    scen = tmp_path / "s.yaml"
    scen.write_text(SCENARIO)
    outs = {}
    for processes in ("", "1"):
        out = tmp_path / f"out{processes or 'N'}"
        env = {**os.environ, "SPACECOMPUTE_RUN_PROCESSES": processes}
        done = subprocess.run(
            [sys.executable, "-m", "spacecompute", "run", str(scen), "--out", str(out), "--json"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        outs[processes] = (out, json.loads(done.stdout))
    (a_dir, a), (b_dir, b) = outs[""], outs["1"]
    assert a["policies"] == b["policies"] == ["energy-aware", "on-board", "bent-pipe"]
    for policy in a["policies"]:
        sa = {k: v for k, v in a["runs"][policy].items() if "wall" not in k}
        sb = {k: v for k, v in b["runs"][policy].items() if "wall" not in k}
        assert sa == sb
        jobs = (a_dir / policy / "jobs.parquet").read_bytes()
        assert jobs == (b_dir / policy / "jobs.parquet").read_bytes()


def test_warm_up_loads_the_step_kernels_before_a_fork_and_leaves_nothing(tmp_path):
    """The throwaway steps before a fork: the kernels of a step are loaded, numba's threads
    are not started (the process may still fork), and no part files are left behind."""
    code = (
        "from spacecompute.sim.engine import EngineConfig, warm_up\n"
        "from spacecompute.sim.queues import _serve_kernel\n"
        "from spacecompute._forked import fork_is_safe\n"
        "assert not _serve_kernel.signatures\n"
        "warm_up(EngineConfig(duration_s=3600, policy='energy-aware'), steps=3)\n"
        "print(len(_serve_kernel.signatures) > 0, fork_is_safe())\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "SPACECOMPUTE_RUN_PROCESSES": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]
    assert list(tmp_path.iterdir()) == []


def test_a_progress_callback_that_raises_stops_the_forked_runs(tmp_path):
    import multiprocessing
    import time

    def slow(key):
        def run(report):
            for i in range(1, 200):
                report(i, 200)
                time.sleep(0.05)
            (tmp_path / key).write_text("finished")  # a run that was not stopped
            return key

        return run

    def stop(key, done, total):
        if done >= 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_forked({"a": slow("a"), "b": slow("b")}, 2, stop)
    time.sleep(0.5)
    assert not list(tmp_path.iterdir())  # both runs were stopped
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]
