"""Benchmark: a mega-constellation for a whole day, beside the propagators' own speed (issue 15).

Target (2-core machine): 1,000,000 satellites x 24 h at 60 s, Earth observation with every
model on, in 45 minutes or less and 6 GiB or less.

What runs, in one fresh child process per case (``--child``), after a 10-minute warm-up run of
the default constellation (numba caches loaded):

1. ``run_engine`` on the ``odc-1m`` constellation (32 Walker shells, 500-2,000 km, 1,000,000
   satellites, its own bus; below 1,000,000 ``--satellites``: a Walker delta shell at 550 km /
   53 deg with bus ``starlink-v1``) for ``--hours``, SGP4
   (``--propagator``), policy ``on-board``, the default models (power, thermal, radiation,
   conical shadow, radio links to the default stations, the land mask), no run directory;
2. in the same process, the library limit: ``sgp4``'s ``SatrecArray`` alone (its C++ loop, one
   call per step into preallocated arrays, no conversion) and our J2 propagator alone, each over
   ``--probe-steps`` steps of the same satellites.

Reported: wall, satellite-steps per second of the run and of each propagator alone, and memory:
the run process's peak RSS (``ru_maxrss``) and the peak of the *sum of the proportional set
sizes* (PSS, ``/proc/PID/smaps_rollup``) of the run process and its children, sampled every
0.25 s: with SGP4 one chunk ahead in a forked process (``spacecompute.astro.prefetch``) the two
share the chunk slots, which PSS counts once and a sum of RSS would count twice.

Usage (``--workload inference``: the inference service over the laser mesh of the
``odc-1m`` constellation, ``benchmarks/scenarios/service-1m.yaml``)::

    python benchmarks/day.py [--satellites 1000000] [--hours 24] [--propagator sgp4] [--workload inference]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

START = "2026-03-20T00:00:00Z"


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(c) for c in f.read().split()]
    except OSError:
        pass
    return out


class PeakPss:
    """Peak of the summed PSS of this process and its children, sampled in a thread."""

    def __init__(self, every_s: float = 0.25) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._every = every_s
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self._every):
            total = _pss_kib(me) + sum(_pss_kib(c) for c in _children(me))
            self.peak_kib = max(self.peak_kib, total)

    def __enter__(self) -> PeakPss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def probe(const, steps: int) -> dict:
    """Satellite-steps per second of SatrecArray alone and of the J2 propagator alone."""
    import numpy as np

    from spacecompute.astro.j2 import J2Propagator
    from spacecompute.astro.propagation import SGP4Propagator
    from spacecompute.astro.timeutil import datetime64_to_jd, time_grid

    times = time_grid(START, (steps - 1) * 60.0, 60.0)
    jd, fr = datetime64_to_jd(times)
    sgp4 = SGP4Propagator(const.elements)._array
    n = len(const)
    e = np.empty((n, 1), np.uint8)
    r = np.empty((n, 1, 3))
    v = np.empty((n, 1, 3))
    t0 = time.perf_counter()
    for k in range(steps):
        sgp4._sgp4(jd[k : k + 1], fr[k : k + 1], e, r, v)
    satrec_s = time.perf_counter() - t0
    j2 = J2Propagator(const.elements)
    j2.propagate(times[:1])  # compile or load
    t0 = time.perf_counter()
    j2.propagate(times)
    j2_s = time.perf_counter() - t0
    return {"satrec_steps_per_s": n * steps / satrec_s, "j2_steps_per_s": n * steps / j2_s}


def run_inference(hours: float, propagator: str) -> tuple:
    """``benchmarks/scenarios/service-1m.yaml`` (the inference service over the laser mesh of
    the ``odc-1m`` constellation) for ``hours``: (constellation, summary, wall s, peak PSS KiB)."""
    from pathlib import Path

    from spacecompute.astro.presets import preset_constellation
    from spacecompute.runner import run_scenario, with_overrides
    from spacecompute.scenario.loader import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parent / "scenarios" / "service-1m.yaml")
    scenario = with_overrides(
        scenario, {"duration_s": hours * 3600.0, "propagator": propagator, "start": START}
    )
    with PeakPss() as pss:
        t0 = time.perf_counter()
        result = run_scenario(scenario)
        wall = time.perf_counter() - t0
    summary = result.summaries[result.policies[0]]
    return preset_constellation("odc-1m", epoch=START), summary, wall, pss.peak_kib


def child(n: int, hours: float, propagator: str, probe_steps: int, workload: str) -> None:
    import resource

    if workload == "inference":
        const, s, wall, peak_kib = run_inference(hours, propagator)
        out = {
            "workload": workload,
            "satellites": len(const),
            "steps": int(s["steps"]),
            "jobs": int(s["jobs_total"]),
            "pending": int(s["jobs_pending"]),
            "wall_s": wall,
            "run_steps_per_s": len(const) * int(s["steps"]) / wall,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "pss_peak_mib": peak_kib / 1024.0,
            "propagator": propagator,
        }
        out.update(probe(const, probe_steps))
        print(json.dumps(out), flush=True)
        return

    import spacecompute as sc
    from spacecompute.astro.presets import preset_constellation
    from spacecompute.sim.engine import EngineConfig, run_engine

    run_engine(EngineConfig(duration_s=600.0))  # warm-up: numba caches, imports
    options: dict = {"policy": "on-board", "start": START, "duration_s": hours * 3600.0}
    if n >= 1_000_000:
        const = preset_constellation("odc-1m", epoch=START)
        options["constellation"] = "odc-1m"  # with the preset's own bus
    else:  # a Walker delta shell at 550 km / 53 deg, sqrt(n) planes
        planes = max(1, round(n**0.5))
        while n % planes:
            planes -= 1
        const = sc.walker(
            total=n, planes=planes, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
        )
        options.update(constellation=const, bus="starlink-v1")
    config = EngineConfig(propagator=propagator, **options)
    with PeakPss() as pss:
        t0 = time.perf_counter()
        result = run_engine(config)
        wall = time.perf_counter() - t0
    s = result.summary
    out = {
        "satellites": int(s["satellites"]),
        "steps": int(s["steps"]),
        "jobs": int(s["jobs_total"]),
        "pending": int(s["jobs_pending"]),
        "wall_s": wall,
        "run_steps_per_s": int(s["satellites"]) * int(s["steps"]) / wall,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "pss_peak_mib": pss.peak_kib / 1024.0,
        "propagator": propagator,
    }
    out.update(probe(const, probe_steps))
    print(json.dumps(out), flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--satellites", type=int, default=1_000_000)
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--propagator", default="sgp4", choices=["sgp4", "j2"])
    ap.add_argument("--probe-steps", type=int, default=10)
    ap.add_argument(
        "--workload",
        default="eo",
        choices=["eo", "inference"],
        help="eo: Earth observation (--satellites); inference: benchmarks/scenarios/service-1m.yaml",
    )
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.satellites, args.hours, args.propagator, args.probe_steps, args.workload)
        return 0
    load = os.getloadavg()
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, load at start {load[0]:.2f}"
    )
    cmd = [sys.executable, __file__, "--child", "--satellites", str(args.satellites),
           "--hours", str(args.hours), "--propagator", args.propagator,
           "--probe-steps", str(args.probe_steps), "--workload", args.workload]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("{")]
    if not lines:
        print("failed:", (proc.stderr or proc.stdout).strip().splitlines()[-5:])
        return 1
    r = json.loads(lines[-1])
    print(f"# load at end {os.getloadavg()[0]:.2f}")
    print(
        f"{'what':<34} {'satellite-steps/s':>18} {'wall_s':>9} {'peak RSS MiB':>13} {'peak PSS MiB':>13}"
    )
    print(
        f"{'run: ' + r.get('workload', 'EO') + ', every model (' + r['propagator'] + ')':<34} "
        f"{r['run_steps_per_s']:>18,.0f} "
        f"{r['wall_s']:>9.1f} {r['rss_mib']:>13.0f} {r['pss_peak_mib']:>13.0f}"
    )
    print(f"{'SatrecArray alone':<34} {r['satrec_steps_per_s']:>18,.0f}")
    print(f"{'J2 propagator alone':<34} {r['j2_steps_per_s']:>18,.0f}")
    print(
        f"# {r['satellites']:,} satellites x {r['steps']:,} steps, {r['jobs']:,} jobs "
        f"({r['pending']:,} unfinished at the end); the run is "
        f"{r['run_steps_per_s'] / r['satrec_steps_per_s']:.2f} of SatrecArray's speed alone"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
