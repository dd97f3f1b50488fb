"""Benchmark: peak memory of an Earth-observation or inference run against its duration (issue 15).

A run writes its run directory (``run_engine(config, out_dir)``, as ``spacecompute run --out``):
finished jobs stream to Parquet part files as the run goes and the job store holds only the
unfinished ones (:mod:`spacecompute.sim.sink`), so peak memory should not grow with the
duration once the per-chunk arrays and the land mask are paid for. Each case runs in a fresh
child process (numba caches warm: a 10-minute default run first) on a Walker delta shell at
550 km / 53 deg (planes = sqrt(satellites), bus ``starlink-v1``), policy ``on-board``, 60 s
steps; peak RSS is the child's ``ru_maxrss`` (what ``/usr/bin/time -v`` reports as "Maximum
resident set size"); ``child_peak_MiB`` the largest of its own children's (the forked
propagation process of a pipelined run), counted apart (its resident pages include those it
shares with its parent since the fork). Run it with ``PYTHONPATH`` pointing at another
checkout to measure that one side by side.

The chunk budget is the engine's (1 GiB, ``engine.CHUNK_MEMORY_BUDGET_BYTES``) unless
``--budget-mib`` is given; ``--no-out`` runs without a run directory (as ``run_engine(config)``).

``--workload inference``: the inference service (``run_service``) on the same shells, policy
``deadline-aware`` unless ``--policy`` names another, ``--rate`` requests/s from the 300 largest
cities, ``--step-s`` steps (default 30 s); its requests stream to Parquet as they end and its
store holds those in flight (``sim/service.py`` ``_Store``).

Usage::

    python benchmarks/memory.py [--cases 10000x6,10000x24,100000x2] [--policy on-board]
                                [--budget-mib 256] [--no-out]
    python benchmarks/memory.py --workload inference --cases 2000x2,2000x8 [--rate 200]

The large cases of issue 15 (idle machine): ``--cases 100000x24`` (3 GiB target),
``/usr/bin/time -v spacecompute run odc-1m --out DIR`` (1,000,000 x 1 h, 4 GiB target).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

START = "2026-01-01T00:00:00Z"


def _run_inference(const: object, hours: float, args: argparse.Namespace, out: str | None):
    """The inference service on ``const`` for ``hours`` (see the module docstring)."""
    from spacecompute.sim.service import ServiceConfig, run_service

    def config(duration_s: float, constellation: object = "starlink-shell1") -> ServiceConfig:
        return ServiceConfig(
            constellation=constellation,
            policy=args.policy or "deadline-aware",
            start=START,
            duration_s=duration_s,
            step_s=args.step_s,
            rate_per_s_global=args.rate,
        )

    run_service(config(10 * args.step_s))  # warm-up: numba caches, imports
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return run_service(config(hours * 3600.0, const), out), base


def child(n: int, hours: float, args: argparse.Namespace) -> None:
    """Run one case in this (fresh) process; print one JSON line."""
    import spacecompute as sc
    from spacecompute.sim.engine import EngineConfig, run_engine

    planes = max(1, round(math.sqrt(n)))
    while n % planes:
        planes -= 1
    const = sc.walker(
        total=n, planes=planes, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
    )
    budget_mib, policy = args.budget_mib, args.policy or "on-board"
    with tempfile.TemporaryDirectory(prefix="spacecompute-mem-") as out:
        if args.workload == "inference":
            t0 = time.perf_counter()
            result, base = _run_inference(const, hours, args, None if args.no_out else out)
            wall = time.perf_counter() - t0
            _report(n, hours, result.summary, wall, base)
            return
        run_engine(EngineConfig(duration_s=600.0))  # warm-up: numba caches, imports
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
        t0 = time.perf_counter()
        config = EngineConfig(
            constellation=const,
            bus="starlink-v1",
            policy=policy,
            start=START,
            duration_s=hours * 3600.0,
            memory_budget_bytes=None if budget_mib is None else int(budget_mib * 2**20),
        )
        result = run_engine(config, out_dir=None if args.no_out else out)
        wall = time.perf_counter() - t0
    _report(n, hours, result.summary, wall, base)


def _report(n: int, hours: float, s: dict, wall: float, base: float) -> None:
    print(
        json.dumps(
            {
                "satellites": n,
                "hours": hours,
                "jobs": int(s["jobs_total"]),
                "pending": int(s["jobs_pending"]),
                "wall_s": wall,
                "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "warm_rss_mib": base,
                # the propagation process of a pipelined run (astro/prefetch.py), once ended
                "children_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0,
            }
        ),
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", default="10000x6,10000x24,100000x2")
    ap.add_argument("--workload", default="eo", choices=["eo", "inference"])
    ap.add_argument("--policy", default=None, help="default: on-board (EO), deadline-aware")
    ap.add_argument("--rate", type=float, default=200.0, help="inference: requests/s")
    ap.add_argument("--step-s", type=float, default=30.0, help="inference: step (s)")
    ap.add_argument(
        "--budget-mib",
        type=float,
        default=None,
        help="the engine's chunk memory budget (default: the engine's own)",
    )
    ap.add_argument("--no-out", action="store_true", help="run without a run directory")
    ap.add_argument("--child", nargs=2, metavar=("SATELLITES", "HOURS"))
    args = ap.parse_args()
    if args.child:
        child(int(args.child[0]), float(args.child[1]), args)
        return
    import spacecompute

    print(
        f"# spacecompute {spacecompute.__version__} ({spacecompute.__file__}), "
        f"{platform.processor() or platform.machine()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{args.workload}"
        + (
            f" at {args.rate:g} requests/s, {args.step_s:g} s steps, "
            if args.workload != "eo"
            else ", "
        )
        + f"chunk budget {args.budget_mib or 'default'} MiB, "
        f"{'no run directory' if args.no_out else 'run directory written'}"
    )
    print(
        f"{'satellites':>10} {'hours':>5} {'jobs':>11} {'pending':>9} {'wall_s':>7} "
        f"{'peak_RSS_MiB':>12} {'after_warm-up_MiB':>17} {'child_peak_MiB':>14}"
    )
    for case in args.cases.split(","):
        n, hours = case.split("x")
        cmd = [sys.executable, __file__, "--child", n, hours, "--workload", args.workload]
        cmd += ["--rate", str(args.rate), "--step-s", str(args.step_s)]
        if args.policy is not None:
            cmd += ["--policy", args.policy]
        if args.budget_mib is not None:
            cmd += ["--budget-mib", str(args.budget_mib)]
        if args.no_out:
            cmd.append("--no-out")
        proc = subprocess.run(cmd, capture_output=True, text=True)
        lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
        if not lines:
            print(f"{case}: failed: {(proc.stderr or proc.stdout).strip().splitlines()[-3:]}")
            continue
        r = json.loads(lines[-1])
        print(
            f"{r['satellites']:>10,} {r['hours']:>5g} {r['jobs']:>11,} {r['pending']:>9,} "
            f"{r['wall_s']:>7.1f} {r['rss_mib']:>12.0f} {r['warm_rss_mib']:>17.0f} "
            f"{r['children_rss_mib']:>14.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
