"""Benchmark: the end of an Earth-observation run (the job table's assembly) against its steps.

Issue 15: after the steps of the million-satellite day the process spent at least 9.5 minutes
assembling its 171-million-row job table. This runs ``run_engine`` as ``benchmarks/day.py``
does (a Walker delta shell at 550 km / 53 deg, bus ``starlink-v1``, policy ``on-board``, SGP4,
every model on, no run directory) after a 10-minute warm-up, with timers around
``engine._finish`` (the assembly and the summary): wall, user and system time of the steps and
of the assembly, and the peak RSS. ``SPACECOMPUTE_BACKLOG_JOBS`` (a number of jobs a queue)
forces the backlog to disk at small sizes.

Usage::

    python benchmarks/assembly.py [--satellites 20000] [--hours 6]
"""

from __future__ import annotations

import argparse
import os
import resource
import time

START = "2026-03-20T00:00:00Z"


def _now() -> tuple[float, float, float]:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime, r.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--satellites", type=int, default=20_000)
    ap.add_argument("--hours", type=float, default=6.0)
    args = ap.parse_args()

    import spacecompute as sc
    from spacecompute.sim import engine

    engine.run_engine(engine.EngineConfig(duration_s=600.0))  # warm-up: numba caches
    n = args.satellites
    planes = max(1, round(n**0.5))
    while n % planes:
        planes -= 1
    const = sc.walker(
        total=n, planes=planes, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
    )
    config = engine.EngineConfig(
        policy="on-board",
        start=START,
        duration_s=args.hours * 3600.0,
        constellation=const,
        bus="starlink-v1",
    )
    marks: dict[str, tuple[float, float, float]] = {}
    finish = engine._finish

    def timed(*a, **k):  # type: ignore[no-untyped-def]
        marks["assembly"] = _now()
        try:
            return finish(*a, **k)
        finally:
            marks["end"] = _now()

    engine._finish = timed
    t0 = _now()
    result = engine.run_engine(config)
    s = result.summary
    print(
        f"# {n:,} satellites x {args.hours:g} h: {s['jobs_total']:,} jobs "
        f"({s['jobs_pending']:,} unfinished), load {os.getloadavg()[0]:.2f}, "
        f"SPACECOMPUTE_BACKLOG_JOBS={os.environ.get('SPACECOMPUTE_BACKLOG_JOBS', '')!r}"
    )
    print(f"{'phase':<10} {'wall_s':>8} {'user_s':>8} {'sys_s':>8}")
    for name, a, b in (("steps", t0, marks["assembly"]), ("assembly", marks["assembly"], marks["end"])):  # fmt: skip
        print(f"{name:<10} {b[0] - a[0]:>8.2f} {b[1] - a[1]:>8.2f} {b[2] - a[2]:>8.2f}")
    print(f"# peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
