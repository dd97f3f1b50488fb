"""Per-step cost of the spacecraft models (power, thermal, radiation) for a large fleet.

Usage: python benchmarks/spacecraft.py [--n N] [--steps K]

Prints a table: the time of one `Fleet.step` (power + thermal + radiation faults, everything
the engine calls per step) for N satellites, and of each model alone, after a warm-up step.
Target (issue 4): 1,000,000 satellites, 50 ms or less per step on a 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import time

import numba
import numpy as np

import spacecompute as sc
from spacecompute.astro.eclipse import sunlit_fraction_from_positions
from spacecompute.astro.sun import sun_position_eci_m
from spacecompute.spacecraft.fleet import Fleet, StepGeometry
from spacecompute.spacecraft.power import incidence_cosine, power_step
from spacecompute.spacecraft.radiation import dose_rate_rad_s, inject_faults
from spacecompute.spacecraft.thermal import environment_heat_w, thermal_step


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times), float(np.median(times))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--steps", type=int, default=10)
    args = ap.parse_args()
    n = args.n
    c = sc.walker(
        total=n, planes=1000 if n >= 1000 else 1, phasing=1, altitude_km=550, inclination_deg=53
    )
    eph = c.propagate("2026-03-20T00:00:00Z", 0.0, 60.0, method="j2", memory_budget_bytes=8 * 2**30)
    sun = sun_position_eci_m(eph.times)
    lit = sunlit_fraction_from_positions(eph.r_eci_m, sun, "conical")[0]
    geo = StepGeometry.from_ephemeris(eph, 0, sun[0])
    fleet = Fleet.for_constellation("odc-1m", n)
    fleet.step(60.0, lit, geo, 1.0)  # warm-up (JIT)
    rows = []
    rows.append(
        (
            "Fleet.step (power + thermal + radiation)",
            *best(lambda: fleet.step(60.0, lit, geo, 0.8), args.steps),
        )
    )
    sun_hat = geo.sun_eci_m / np.linalg.norm(geo.sun_eci_m)
    cos_inc = incidence_cosine(fleet.power.attitude_mode, geo.r_eci_m, geo.v_eci_m, sun_hat)
    util = np.full(n, 0.8)
    rows.append(
        (
            "  power_step",
            *best(
                lambda: power_step(
                    fleet.power, fleet.power_state, 60.0, lit, cos_inc, util, validate=False
                ),
                args.steps,
            ),
        )
    )
    heat = np.full(n, 50e3)
    alt = np.full(n, 550e3)
    cz = np.zeros(n)
    env = environment_heat_w(fleet.thermal, lit, alt, cz)
    rows.append(
        (
            "  environment_heat_w",
            *best(lambda: environment_heat_w(fleet.thermal, lit, alt, cz), args.steps),
        )
    )
    rows.append(
        (
            "  thermal_step",
            *best(
                lambda: thermal_step(
                    fleet.thermal, fleet.thermal_state, 60.0, heat, env, validate=False
                ),
                args.steps,
            ),
        )
    )
    rows.append(
        (
            "  dose_rate_rad_s",
            *best(lambda: dose_rate_rad_s(geo.lat_deg, geo.lon_deg, geo.alt_m, 10.0), args.steps),
        )
    )
    dose = dose_rate_rad_s(geo.lat_deg, geo.lon_deg, geo.alt_m, 10.0) * 60.0
    rows.append(
        (
            "  inject_faults",
            *best(lambda: inject_faults(1, 5, dose, fleet.susceptibility, True), args.steps),
        )
    )

    print(
        f"# spacecraft models, {n:,} satellites; {cpu_model()}, {os.cpu_count()} cores, numba threads {numba.get_num_threads()}"
    )
    print(
        f"# {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, load average {os.getloadavg()[0]:.2f}, peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    )
    print(f"{'part':45s} {'best ms':>9s} {'median ms':>10s}")
    for name, b, m in rows:
        print(f"{name:45s} {b * 1e3:9.1f} {m * 1e3:10.1f}")
    total = rows[0][1]
    print(
        f"target: <= 50 ms per step -> {'PASS' if total <= 0.05 else 'FAIL'} ({total * 1e3:.1f} ms)"
    )


if __name__ == "__main__":
    main()
