"""Benchmark: a mix of all three workloads on one fleet against the three workloads run alone.

Issue 10, section 7: Starlink shell 1 with compute payloads (1,584 satellites, 2 Jetson AGX Orin
each), inference for the 300 largest cities + on-board imaging + training, 24 h at 60 s
(``benchmarks/scenarios/mix-starlink.yaml``). Target: the mix in 30 s or less on 2 cores, and
no more than the sum of the three single-workload runs (each item of ``workloads:`` run alone
as a single-workload scenario with its own policy; they share nothing, so the sum is what a
user would pay to run them apart, and the mix should cost no more: one propagation, one
environment, one fleet).

Each run is timed in this process after a one-hour warm-up of the same mix (numba caches
loaded), wall clock and CPU time of ``run_scenario`` (no run directory), best of ``--repeats``.

Usage::

    python benchmarks/mix.py [--hours 24] [--repeats 1] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import time
from pathlib import Path

from spacecompute.runner import run_scenario, with_overrides
from spacecompute.scenario.build import mix_item_scenario
from spacecompute.scenario.loader import load_scenario

HERE = Path(__file__).resolve().parent


def timed(loaded, repeats: int) -> tuple[float, float, dict]:
    best = (float("inf"), float("inf"), {})
    for _ in range(repeats):
        c0, t0 = time.process_time(), time.perf_counter()
        run = run_scenario(loaded)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if wall < best[0]:
            best = (wall, cpu, run.summaries[run.policies[0]])
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--scenario", default=str(HERE / "scenarios" / "mix-starlink.yaml"))
    args = ap.parse_args()
    os.environ.setdefault("SPACECOMPUTE_RUN_PROCESSES", "1")
    base = load_scenario(args.scenario)
    run_scenario(with_overrides(base, {"duration_s": 3600.0}))  # warm-up
    mix = with_overrides(base, {"duration_s": args.hours * 3600.0})
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{dt.date.today()}, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'run':34s} {'wall s':>8s} {'cpu s':>8s}")
    rows = []
    for i, item in enumerate(mix.spec.workloads):
        alone = mix_item_scenario(mix, i)
        wall, cpu, _ = timed(alone, args.repeats)
        rows.append((f"alone: {item.kind} ({alone.spec.policy})", wall, cpu))
        print(f"{rows[-1][0]:34s} {wall:8.1f} {cpu:8.1f}", flush=True)
    wall, cpu, summary = timed(mix, args.repeats)
    sum_wall = sum(r[1] for r in rows)
    sum_cpu = sum(r[2] for r in rows)
    print(f"{'sum of the three':34s} {sum_wall:8.1f} {sum_cpu:8.1f}")
    print(f"{'mix (' + mix.spec.arbiter + ')':34s} {wall:8.1f} {cpu:8.1f}")
    print(
        f"mix / sum: {wall / sum_wall:.2f} (wall), {cpu / sum_cpu:.2f} (cpu); "
        f"target: mix <= 30 s, mix <= sum"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS of the process {peak:.2f} GiB; mix brown-outs {summary.get('brownouts')}")


if __name__ == "__main__":
    main()
