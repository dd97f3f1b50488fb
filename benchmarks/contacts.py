"""Benchmark: contact windows of many ground stations x many satellites over a day.

Default size (the scaling target): 100 stations at the largest cities x 10,000 satellites x 24 h
at 30 s (2,881 instants). ``--quick`` runs 20 stations x 1,000 satellites x 6 h.

Satellite positions are analytic circular orbits (a Walker-delta-like shell of evenly spaced
planes, two-body motion, no perturbations), rotated to Earth-fixed axes by the Earth rotation
angle ``omega_E * t`` (IERS Conventions 2010 rate); they are generated in chunks of ``--chunk``
instants and fed to :class:`spacecompute.astro.access.ContactTracker`. Generation and contact
search are timed separately. Peak RSS is the process's maximum resident set (``getrusage``).

Usage::

    python benchmarks/contacts.py [--quick] [--stations S] [--satellites N] [--hours H]
                                  [--step 30] [--chunk 240] [--threads K]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numba
import numpy as np

from spacecompute.astro.access import ContactTracker
from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M, MU_EARTH_M3_S2
from spacecompute.astro.constants import EARTH_ROTATION_RATE_RAD_S as OMEGA_E
from spacecompute.astro.ground import city_stations


def shell(n_sat: int, alt_m: float, inc_deg: float, n_planes: int | None = None):
    """Walker-delta-like shell: (raan, u0) of ``n_sat`` satellites in ``n_planes`` planes."""
    if n_planes is None:
        n_planes = max(1, round(np.sqrt(n_sat)))
    per_plane = -(-n_sat // n_planes)
    k = np.arange(n_sat)
    plane = k // per_plane
    slot = k % per_plane
    raan = 2.0 * np.pi * plane / n_planes
    u0 = 2.0 * np.pi * slot / per_plane + 2.0 * np.pi * plane / (n_planes * per_plane)
    a = EARTH_EQUATORIAL_RADIUS_M + alt_m
    return raan, u0, np.full(n_sat, np.radians(inc_deg)), np.full(n_sat, a)


def positions_ecef(t_s: np.ndarray, raan, u0, inc, a) -> np.ndarray:
    """(T, N, 3) Earth-fixed positions of circular two-body orbits at seconds ``t_s``."""
    n = np.sqrt(MU_EARTH_M3_S2 / a**3)
    u = u0[None, :] + n[None, :] * t_s[:, None]
    cu, su = np.cos(u), np.sin(u)
    co, so = np.cos(raan)[None, :], np.sin(raan)[None, :]
    ci, si = np.cos(inc)[None, :], np.sin(inc)[None, :]
    x = a * (cu * co - su * ci * so)
    y = a * (cu * so + su * ci * co)
    z = a * su * si
    th = (OMEGA_E * t_s)[:, None]
    c, s = np.cos(th), np.sin(th)
    out = np.empty((*u.shape, 3))
    out[..., 0] = c * x + s * y
    out[..., 1] = -s * x + c * y
    out[..., 2] = z
    return out


def peak_rss_mib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024.0 if sys.platform != "darwin" else kib / 2**20


def run(n_st: int, n_sat: int, hours: float, step_s: float, chunk: int) -> dict[str, float]:
    stations = city_stations(top=n_st, min_elevation_deg=10.0)
    # Two shells: 80% at 550 km / 53 deg, 20% at 1,100 km / 87.9 deg (polar)
    n1 = int(0.8 * n_sat)
    parts = [shell(n1, 550e3, 53.0), shell(n_sat - n1, 1100e3, 87.9)]
    raan, u0, inc, a = (np.concatenate([p[k] for p in parts]) for k in range(4))
    n_steps = round(hours * 3600.0 / step_s) + 1
    t_all = np.arange(n_steps) * step_s
    epoch = np.datetime64("2026-03-20T00:00:00", "ns")

    # Warm-up: compile (or load cached) kernels on a tiny case, outside the timing
    warm = ContactTracker(stations.take([0, 1]), 3)
    warm.update(epoch + np.arange(3).astype("timedelta64[s]"), np.ones((3, 3, 3)) * 7e6)
    warm.finish()

    tracker = ContactTracker(stations, n_sat)
    t_gen = 0.0
    t_contact = 0.0
    for k in range(0, n_steps, chunk):
        ts = t_all[k : k + chunk]
        tic = time.perf_counter()
        r = positions_ecef(ts, raan, u0, inc, a)
        times = epoch + np.round(ts * 1e9).astype(np.int64).astype("timedelta64[ns]")
        t_gen += time.perf_counter() - tic
        tic = time.perf_counter()
        tracker.update(times, r)
        t_contact += time.perf_counter() - tic
    tic = time.perf_counter()
    windows = tracker.finish()
    t_contact += time.perf_counter() - tic
    return {
        "stations": n_st,
        "satellites": n_sat,
        "steps": n_steps,
        "threads": numba.get_num_threads(),
        "gen_s": t_gen,
        "contacts_s": t_contact,
        "windows": len(windows),
        "rss_mib": peak_rss_mib(),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="20 stations x 1,000 satellites x 6 h")
    p.add_argument("--stations", type=int, default=None)
    p.add_argument("--satellites", type=int, default=None)
    p.add_argument("--hours", type=float, default=None)
    p.add_argument("--step", type=float, default=30.0)
    p.add_argument("--chunk", type=int, default=240)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    if args.threads:
        numba.set_num_threads(args.threads)
    n_st, n_sat, hours = (20, 1000, 6.0) if args.quick else (100, 10_000, 24.0)
    n_st = args.stations or n_st
    n_sat = args.satellites or n_sat
    hours = args.hours or hours
    res = run(n_st, n_sat, hours, args.step, args.chunk)
    head = (
        f"{'stations':>8} {'satellites':>10} {'steps':>6} {'threads':>7} {'positions_s':>11} "
        f"{'contacts_s':>10} {'windows':>9} {'peak_RSS_MiB':>12}"
    )
    print(head)
    print(
        f"{res['stations']:>8} {res['satellites']:>10} {res['steps']:>6} {res['threads']:>7} "
        f"{res['gen_s']:>11.2f} {res['contacts_s']:>10.2f} {res['windows']:>9} "
        f"{res['rss_mib']:>12.0f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
