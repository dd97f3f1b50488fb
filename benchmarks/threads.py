"""One thread or two: the per-step spacecraft models and a per-chunk kernel at growing sizes.

Usage: python benchmarks/threads.py [--sizes 1000,10000,...] [--steps K]

Every numba kernel that may run in parallel is a twin (``spacecompute._parallel``): one thread
below ``PARALLEL_MIN_WORK`` array elements, all of numba's threads above. This script times the
same calls with each twin forced, in the same process, and prints the ratio, the measurement
behind the threshold (docs/benchmarks.md, "Threads"). Run it on an idle machine.
"""

from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import spacecompute as sc
from spacecompute import _parallel
from spacecompute.astro.eclipse import sunlit_fraction_from_positions
from spacecompute.astro.sun import sun_position_eci_m
from spacecompute.spacecraft.fleet import Fleet, StepGeometry


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def forced(threshold: int, fn, repeats: int) -> float:
    """Time ``fn`` with the twins' threshold set to ``threshold`` (0: always parallel)."""
    saved = _parallel.PARALLEL_MIN_WORK
    _parallel.PARALLEL_MIN_WORK = threshold
    try:
        fn()  # warm-up (compiles the twin on first use)
        return best(fn, repeats)
    finally:
        _parallel.PARALLEL_MIN_WORK = saved


def cases(n: int, steps: int):
    c = sc.walker(
        total=n, planes=100 if n >= 100 else 1, phasing=1, altitude_km=550, inclination_deg=53
    )
    eph = c.propagate("2026-03-20T00:00:00Z", 600.0, 60.0, method="j2")
    sun = sun_position_eci_m(eph.times)
    lit = sunlit_fraction_from_positions(eph.r_eci_m, sun, "conical")[0]
    geo = StepGeometry.from_ephemeris(eph, 0, sun[0])
    fleet = Fleet.for_constellation("odc-1m", n)
    yield "Fleet.step", lambda: fleet.step(60.0, lit, geo, 0.8)
    yield (
        "sunlit fraction (11 steps)",
        lambda: sunlit_fraction_from_positions(eph.r_eci_m, sun, "conical"),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,50000,100000,300000,1000000")
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    print(f"numba threads: {numba.get_num_threads()}; threshold {_parallel.PARALLEL_MIN_WORK:,}")
    print(f"{'case':28s} {'satellites':>10s} {'1 thread':>10s} {'parallel':>10s} {'ratio':>7s}")
    for n in (int(s) for s in args.sizes.split(",")):
        for name, fn in cases(n, args.steps):
            one = forced(np.iinfo(np.int64).max, fn, args.steps)
            par = forced(0, fn, args.steps)
            print(
                f"{name:28s} {n:>10,d} {one * 1e3:>8.2f}ms {par * 1e3:>8.2f}ms {one / par:>6.2f}x"
            )


if __name__ == "__main__":
    main()
