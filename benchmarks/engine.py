"""Benchmark: the Earth-observation engine at scale, side by side with orbital-compute 0.3.0.

Targets (spacecompute issue 5, section 7; 2-core machine; 60 s steps, every model on):

  1k   1,000 satellites x 24 h (1,440 steps) ........................... 5 s or less
       (orbital-compute 0.3.0 took about 200 s at this size on such a machine)
  10k  10,000 satellites x 24 h with about 1e6 jobs ...................... 2 min or less
  1m   1,000,000 satellites x 1 h (60 steps) ............... 10 min or less, peak RSS <= 12 GiB

What runs: ``spacecompute.sim.engine.run_engine`` with the default models: SGP4, conical
shadow, the bus's power, thermal and radiation models (``Fleet``), Ka-band radio link budgets to
the 6 default ground stations above their elevation masks with greedy one-to-one matching, the
Earth-observation workload (one job per imaging satellite and step), per-satellite FIFO compute
and downlink queues with storage admission, policy ``on-board`` (``--policy``). Constellations:
Walker delta shells at 550 km / 53 deg (1k: 40 planes x 25, 10k: 100 x 100, bus
``starlink-v1``) and the ``odc-1m`` preset (32 Walker shells from 500 to 2,000 km, its own bus).

Job count: the workload is the default sensor (Denby & Lucia's 4096 px camera) over the default
area of interest (land, sun elevation >= 10 deg); a job is one (satellite, step) in which the
satellite images. For a 53 deg shell about 9 % of satellite-steps qualify, so 10,000 satellites
x 1,440 steps give about 1.3 million jobs: the "about 1e6 jobs" of the target with no change of
sensor or area. (A narrower area, e.g. a polygon, would lower it proportionally.)

Each case runs in a fresh child process (``--child CASE``) that first runs a 10-minute run of
the default 12-satellite constellation (numba caches loaded), then times ``run_engine`` (wall
clock of the whole call: constellation, propagation, environment, steps, result tables), best
of the repeats; peak RSS is the child's ``ru_maxrss`` (``VmHWM`` printed as a cross-check). The
parent imports nothing heavy, so the children's high-water marks are their own.

The peer (``--peer-python``, the Python of a virtual environment with
``orbital-compute==0.3.0``; never a dependency of spacecompute) runs
``/work/shared/peers/orbital_compute_bench.py`` at 1,000 satellites x 24 h with ``--peer-jobs``
jobs. Its setup sorts the whole job queue at every submission (30,000 jobs took 94 s to submit
alone on the 2-core machine), so it cannot take our 130,000 jobs; 10,000 is the default.

Usage::

    python benchmarks/engine.py [--sizes 1k,10k,1m] [--repeats N] [--policy on-board]
                                [--peer-python /tmp/peer-venv/bin/python] [--peer-jobs 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

PEER_SCRIPT = Path("/work/shared/peers/orbital_compute_bench.py")
START = "2026-01-01T00:00:00Z"
HOUR = 3600.0

#: case -> (satellites, hours, Walker planes or None for the odc-1m preset, target s,
#: target peak RSS GiB or None, default repeats)
CASES: dict[str, tuple[int, float, int | None, float, float | None, int]] = {
    "1k": (1_000, 24.0, 40, 5.0, None, 3),
    "10k": (10_000, 24.0, 100, 120.0, None, 1),
    "1m": (1_000_000, 1.0, None, 600.0, 12.0, 1),
}


def _vm_hwm_mib() -> float | None:
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def child(case: str, policy: str, repeats: int) -> None:
    """Run one case in this (fresh) process; print one JSON line."""
    import resource

    import numba

    import spacecompute as sc
    from spacecompute._runtime import PARALLEL_MIN_SATELLITES
    from spacecompute.sim.engine import EngineConfig, chunk_steps_for, run_engine

    n, hours, planes, *_ = CASES[case]
    options: dict = {"policy": policy, "start": START, "duration_s": hours * HOUR}
    if planes is None:
        options["constellation"] = "odc-1m"  # chunks sized by the engine's memory budget
    else:
        options["constellation"] = sc.walker(
            total=n, planes=planes, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
        )
        options["bus"] = "starlink-v1"
    run_engine(EngineConfig(duration_s=600.0))  # warm-up: numba caches, imports
    walls = []
    result = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run_engine(EngineConfig(**options))
        walls.append(time.perf_counter() - t0)
    assert result is not None
    s = result.summary
    print(
        json.dumps(
            {
                "case": case,
                "satellites": int(s["satellites"]),
                "steps": int(s["steps"]),
                "jobs": int(s["jobs_total"]),
                "completed": int(s["jobs_completed"]),
                "dropped": int(s["jobs_dropped"]),
                "wall_s": min(walls),
                "walls_s": walls,
                "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
                "vm_hwm_mib": _vm_hwm_mib(),
                "numba_threads": numba.get_num_threads(),
                "one_numba_thread_below": PARALLEL_MIN_SATELLITES,
                "chunk_steps": chunk_steps_for(
                    n, len(EngineConfig().stations), EngineConfig().chunk_steps
                ),
            }
        ),
        flush=True,
    )


def run_case(case: str, policy: str, repeats: int) -> dict:
    cmd = [sys.executable, __file__, "--child", case, "--policy", policy, "--repeats", str(repeats)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
    return {"case": case, "error": f"exit {proc.returncode} after {elapsed:.0f} s: {tail}"}


def run_peer(python: str, script: Path, jobs: int) -> dict:
    proc = subprocess.run(
        [python, str(script), "1000", "24", str(jobs), "60"], capture_output=True, text=True
    )
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"error": f"exit {proc.returncode}: {proc.stderr.strip().splitlines()[-3:]}"}


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1k,10k,1m", help="comma-separated cases of 1k, 10k, 1m")
    p.add_argument("--repeats", type=int, default=None, help="runs per case (best is kept)")
    p.add_argument("--policy", default="on-board")
    p.add_argument("--peer-python", default=None, help="Python with orbital-compute==0.3.0")
    p.add_argument("--peer-jobs", type=int, default=10_000)
    p.add_argument("--peer-script", default=str(PEER_SCRIPT))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.policy, args.repeats or 1)
        return 0
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in CASES]
    if unknown:
        p.error(f"unknown size(s) {unknown}; choose among {list(CASES)}")

    load = os.getloadavg()
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; cpu: {cpu_model()}, {os.cpu_count()} cores"
    )
    print(
        f"python {platform.python_version()}; load average at start: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}"
    )
    rows = []
    for case in sizes:
        reps = args.repeats or CASES[case][5]
        res = run_case(case, args.policy, reps)
        res["load1"] = os.getloadavg()[0]
        rows.append(res)
        print(json.dumps(res), flush=True)
    peer = None
    if args.peer_python:
        peer = run_peer(args.peer_python, Path(args.peer_script), args.peer_jobs)
        peer["load1"] = os.getloadavg()[0]
        print(json.dumps(peer), flush=True)

    print()
    head = (
        f"{'tool':<16} {'case':<5} {'satellites':>10} {'steps':>6} {'jobs':>10} {'completed':>9} "
        f"{'wall_s':>8} {'peak_RSS_MiB':>12} {'target':>16} {'verdict':>7}"
    )
    print(head)
    for r in rows:
        case = r["case"]
        _, _, _, t_s, t_gib, _ = CASES[case]
        target = f"<= {t_s:g} s" + (f", {t_gib:g} GiB" if t_gib else "")
        if "error" in r:
            print(
                f"{'spacecompute':<16} {case:<5} {'':>10} {'':>6} {'':>10} {'':>9} {'':>8} {'':>12} {target:>16} {'FAIL':>7}  {r['error']}"
            )
            continue
        ok = r["wall_s"] <= t_s and (t_gib is None or r["rss_mib"] <= t_gib * 1024)
        print(
            f"{'spacecompute':<16} {case:<5} {r['satellites']:>10,} {r['steps']:>6} {r['jobs']:>10,} "
            f"{r['completed']:>9,} {r['wall_s']:>8.1f} {r['rss_mib']:>12.0f} {target:>16} "
            f"{'PASS' if ok else 'FAIL':>7}"
        )
    if peer is not None:
        if "error" in peer:
            print(f"{'orbital-compute':<16} {'1k':<5} {peer['error']}")
        else:
            print(
                f"{'orbital-compute':<16} {'1k':<5} {peer['n_sats']:>10,} {1440:>6} "
                f"{peer['jobs']:>10,} {peer['completed']:>9,} {peer['total_s']:>8.1f} "
                f"{peer['maxrss_mb']:>12.0f} {'(setup ' + str(peer['setup_s']) + ' s)':>16}"
            )
            ours = next((r for r in rows if r.get("case") == "1k" and "wall_s" in r), None)
            if ours:
                print(
                    f"ratio orbital-compute / spacecompute at 1k x 24 h: {peer['total_s'] / ours['wall_s']:.0f}x"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
