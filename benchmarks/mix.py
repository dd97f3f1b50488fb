"""Benchmark: a mix of all three workloads on one fleet against the three workloads run alone.

Issue 10, section 7: Starlink shell 1 with compute payloads (1,584 satellites, 2 Jetson AGX Orin
each), inference for the 300 largest cities + on-board imaging + training, 24 h at 60 s
(``benchmarks/scenarios/mix-starlink.yaml``). Target: the mix in 30 s or less on 2 cores, and
no more than the sum of the three single-workload runs (each item of ``workloads:`` run alone
as a single-workload scenario with its own policy; they share nothing, so the sum is what a
user would pay to run them apart, and the mix should cost no more: one propagation, one
environment, one fleet).

Each run is a fresh child process (``--child``) that first runs one hour of the same mix (numba
caches loaded), then times ``run_scenario`` (no run directory): wall clock, CPU time and the
child's peak RSS. The scenario's request rate is 50 per second (4.3 million requests a day);
the service streams its finished requests to part files as the run goes (``sim/sink.py``), so
its memory holds only the requests in flight.

Usage::

    python benchmarks/mix.py [--hours 24] [--scenario FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from spacecompute.runner import run_scenario, with_overrides
from spacecompute.scenario.build import mix_item_scenario
from spacecompute.scenario.loader import load_scenario

HERE = Path(__file__).resolve().parent


def child(scenario: str, hours: float, item: int) -> None:
    """Time one run (``item`` -1: the mix, else that item of ``workloads:`` alone); print JSON."""
    base = load_scenario(scenario)
    run_scenario(with_overrides(base, {"duration_s": 3600.0}))  # warm-up (numba caches)
    loaded = with_overrides(base, {"duration_s": hours * 3600.0})
    if item >= 0:
        loaded = mix_item_scenario(loaded, item)
    c0, t0 = time.process_time(), time.perf_counter()
    run_scenario(loaded)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_gib": peak}))


def timed(scenario: str, hours: float, item: int) -> dict:
    cmd = [sys.executable, __file__, "--child", str(item), "--hours", str(hours)]
    done = subprocess.run(
        [*cmd, "--scenario", scenario], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        return {
            "wall": float("nan"),
            "cpu": float("nan"),
            "peak_gib": float("nan"),
            "error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1],
        }
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--scenario", default=str(HERE / "scenarios" / "mix-starlink.yaml"))
    ap.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ["SPACECOMPUTE_RUN_PROCESSES"] = "1"
    if args.child is not None:
        child(args.scenario, args.hours, args.child)
        return
    mix = load_scenario(args.scenario)
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, {dt.date.today()}, "
        f"load average {os.getloadavg()[0]:.2f}, {args.hours:g} h"
    )
    print(f"{'run':36s} {'wall s':>8s} {'cpu s':>8s} {'peak GiB':>9s}")
    rows = []
    for i, item in enumerate(mix.spec.workloads):
        r = timed(args.scenario, args.hours, i)
        rows.append(r)
        label = f"alone: {item.kind} ({item.policy})"
        print(f"{label:36s} {r['wall']:8.1f} {r['cpu']:8.1f} {r['peak_gib']:9.2f}", flush=True)
    r = timed(args.scenario, args.hours, -1)
    total = sum(x["wall"] for x in rows), sum(x["cpu"] for x in rows)
    print(f"{'sum of the three':36s} {total[0]:8.1f} {total[1]:8.1f}")
    print(
        f"{'mix (' + mix.spec.arbiter + ')':36s} {r['wall']:8.1f} {r['cpu']:8.1f} "
        f"{r['peak_gib']:9.2f}"
    )
    print(
        f"mix / sum: {r['wall'] / total[0]:.2f} (wall), {r['cpu'] / total[1]:.2f} (cpu); "
        "target: mix <= 30 s and <= the sum"
    )
    for x in [*rows, r]:
        if "error" in x:
            print("error:", x["error"])


if __name__ == "__main__":
    main()
