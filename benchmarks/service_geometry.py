"""Benchmark: the inference service's candidate tables, compiled and culled against dense numpy.

For 300 cities and Walker shells at 550 km, 53 deg with 2 ISL hops, the CPU time of one
instant's candidate table (:func:`spacecompute.sim.service._candidates`, kernels of
``sim/service_geometry.py``) and of the dense numpy formulation it reproduces bit for bit
(:func:`spacecompute.sim.numpy_reference.service_candidates_numpy`; skipped above
``--dense-max`` satellites: its (cities x satellites) temporaries grow to gigabytes). Run with
``NUMBA_NUM_THREADS=1`` for the one-thread numbers a run below 500,000 satellites gets.

Usage::

    NUMBA_NUM_THREADS=1 python benchmarks/service_geometry.py [--sizes 1584 10080 102400]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from spacecompute.astro.constellation import walker
from spacecompute.astro.ground import cities
from spacecompute.network.topology import pair_geometry
from spacecompute.sim.numpy_reference import service_candidates_numpy
from spacecompute.sim.service import _candidates, _Isl, _Users

#: Satellites -> planes of the Walker shells measured.
PLANES = {1584: 72, 10_080: 112, 102_400: 320}


def cpu_ms(fn, args: tuple, repeat: int) -> tuple[float, object]:
    fn(*args)  # compile / warm
    t = time.process_time()
    for _ in range(repeat):
        out = fn(*args)
    return (time.process_time() - t) / repeat * 1e3, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=sorted(PLANES), choices=sorted(PLANES))
    ap.add_argument("--dense-max", type=int, default=20_000)
    args = ap.parse_args()
    users = _Users(cities(300))
    active = np.arange(len(users))
    print(f"{'satellites':>10s} {'compiled ms':>12s} {'numpy ms':>10s} {'candidates':>11s}")
    for total in args.sizes:
        const = walker(
            total=total, planes=PLANES[total], phasing=1, altitude_km=550, inclination_deg=53
        )
        isl = _Isl(const, 2)
        r = const.propagate("2026-03-20T00:00:00Z", 0.0, 60.0, "j2").r_ecef_m[0]
        d, ok = pair_geometry(r, isl.pairs)
        call = (users, isl, r, d, ok, active, 25.0, 2)
        repeat = 20 if total < 50_000 else 5
        fast, (cand, _) = cpu_ms(_candidates, call, repeat)
        dense = "-"
        if total <= args.dense_max:
            dense = f"{cpu_ms(service_candidates_numpy, call, repeat)[0]:.1f}"
        print(f"{total:>10,d} {fast:>12.1f} {dense:>10s} {cand.city.size:>11,d}", flush=True)


if __name__ == "__main__":
    main()
