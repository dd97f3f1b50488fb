"""Benchmark: memory per waiting job of the Earth-observation engine's backlog (issue 15).

A million satellites end a day with 56 million results waiting for a downlink. This replays
what the engine does with each of them, without the rest of the run: every step a batch of
frames joins the job store (``_EOJobs.add``, the engine's columns), is computed (its result
parked where the store can park it, ``JobStore.park``) and joins the downlink FIFO
(``FifoQueues.push``), where it waits (no station in view). Reported: the growth of the
process's resident memory per waiting job, and the time per job.

Run it on two checkouts to compare (``PYTHONPATH=<checkout>/src``); a checkout without
``JobStore.park`` keeps every waiting row in the store, as before the bounded backlog.

Usage::

    python benchmarks/backlog.py [--jobs 5000000] [--satellites 100000] [--budget JOBS]

``--budget``: queued jobs the FIFO keeps in memory (default: the engine's,
``engine.backlog_budget_jobs()``; ``none``: no limit).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=5_000_000)
    ap.add_argument("--satellites", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=120_000, help="frames per step")
    ap.add_argument("--budget", default="engine")
    args = ap.parse_args()

    import numpy as np

    from spacecompute.sim import engine
    from spacecompute.sim.queues import FifoQueues

    n, m = args.satellites, args.batch
    jobs = engine._EOJobs()
    queue = FifoQueues(n)
    parks = hasattr(jobs, "park")
    budget = None
    if hasattr(queue, "spill_to"):
        if args.budget == "engine":
            budget = engine.backlog_budget_jobs()
        elif args.budget != "none":
            budget = int(args.budget)
        queue.spill_to(None, budget)
    rng = np.random.default_rng(0)
    sats = np.sort(rng.integers(0, n, m))
    frame = {
        "satellite": sats,
        "arrival": np.zeros(m, np.int64),
        "ops": rng.random(m) * 1e12,
        "bits": rng.random(m) * 4e8,
        "result_bytes": rng.random(m) * 1e4,
        "lat_deg": rng.random(m),
        "lon_deg": rng.random(m),
        "cloudy": np.zeros(m, bool),
        "status": np.zeros(m, np.int64),
        "reason": np.zeros(m, np.int64),
    }
    # warm: the kernels, the sink's first part, pyarrow
    warm = FifoQueues(4)
    warm.push(np.arange(3), np.array([0, 1, 1]), np.ones(3))
    warm.serve(np.ones(4))
    rss0, t0 = _rss_mib(), time.perf_counter()
    steps = args.jobs // m
    for _ in range(steps):
        ids = jobs.add(**frame)
        jobs["bytes_out"][ids] = frame["result_bytes"]
        if parks:
            jobs.park(ids)
        queue.push(ids, sats, frame["result_bytes"] * 8.0)
    wall = time.perf_counter() - t0
    waiting = steps * m
    grown = _rss_mib() - rss0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"# {platform.machine()}, python {platform.python_version()}, numpy {np.__version__}, "
        f"load {os.getloadavg()[0]:.2f}"
    )
    print(
        f"{n:,} satellites, {waiting:,} waiting jobs, parked: {parks}, FIFO budget: {budget}: "
        f"store holds {jobs.held:,} rows, FIFO {getattr(queue, 'in_memory', len(queue)):,} in "
        f"memory and {getattr(queue, 'spilled', 0):,} on disk; resident memory +{grown:,.0f} MiB "
        f"= {grown * 2**20 / waiting:.1f} bytes per waiting job (peak RSS {peak:,.0f} MiB); "
        f"{wall:.1f} s, {wall / waiting * 1e9:.0f} ns per job"
    )
    if hasattr(queue, "close"):
        queue.close()
    jobs.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
