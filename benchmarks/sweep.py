"""Benchmark: one sweep on one worker, on 2 local processes and on a 2-worker Dask LocalCluster.

Targets (spacecompute issue 11, section 6; an idle 2-core machine):

  speed-up of the 2-process pool and of the 2-worker Dask LocalCluster over 1 worker .. 1.8 or more
  overhead per cell (sweep wall time / cells, minus a bare run's time) .............. 0.5 s or less

The sweep: the built-in ``default`` scenario (12 Three-Body satellites, Earth observation)
shortened to 2 h, policies energy-aware and bent-pipe x ``cells / 2`` seeds (64 cells by
default). Each cell is a full run directory (Parquet tables, summary, cell.json) and the sweep
table is rewritten as cells finish; ``report.html`` is not written (it is the same for every
executor and is timed separately on the last sweep).

The bare run: ``spacecompute.runner.run_scenario`` of one cell's scenario into a fresh directory,
in this process after a warm-up run (numba caches loaded), median of 5. Each sweep runs in a
fresh child process (``--child EXECUTOR``) and is timed from just before ``run_sweep`` (the
sweep file already loaded): the 1-worker sweep pays its first run's warm-up (numba cache
loading, catalogs) in that time, the pool and the Dask workers their start and warm-up, as a
user's ``spacecompute sweep`` does.

Overhead per cell of an executor with W workers: ``wall x W / cells - bare`` (the time a worker
spends per cell beyond the run itself).

Usage::

    python benchmarks/sweep.py [--cells 64] [--workers 2] [--executors serial,pool,dask]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SWEEP = """\
name: bench-sweep
description: "benchmarks/sweep.py: default scenario over 2 h, 2 policies x {seeds} seeds"
base: {{scenario: default}}
set:
  duration_s: 7200
axes:
  policy: [energy-aware, bent-pipe]
seeds: {seeds}
seed: 0
"""


def _bare_run_s(sweep, tmp: Path, repeats: int = 5) -> float:
    from spacecompute.runner import run_scenario
    from spacecompute.sweep.cells import CellTask, execute

    cell = sweep.cells[0]
    execute(CellTask(cell.index, cell.fingerprint, cell.document, None), tmp / "warm")
    scenario = tmp / "warm" / "scenario.yaml"
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        run_scenario(str(scenario), out_dir=tmp / f"bare{i}")
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, default=64, help="cells (even; 2 policies x cells/2)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--executors", default="serial,pool,dask")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--file", default=None, help=argparse.SUPPRESS)
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return _child(args.child, args.file, args.out, args.workers)
    if args.cells < 2 or args.cells % 2:
        p.error("--cells must be an even number >= 2")

    from spacecompute.sweep import load_sweep
    from spacecompute.sweep.report import write_sweep_report

    tmp = Path(tempfile.mkdtemp(prefix="spacecompute-bench-sweep-"))
    file = tmp / "bench.yaml"
    file.write_text(SWEEP.format(seeds=args.cells // 2))
    sweep = load_sweep(str(file))
    print(
        f"# benchmarks/sweep.py: {len(sweep.cells)} cells of the default scenario over 2 h; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    bare = _bare_run_s(sweep, tmp)
    print(f"bare run (one cell, warm, median of 5): {bare:.3f} s")
    rows = []
    serial_wall = None
    tables = {}
    for name in args.executors.split(","):
        workers = 1 if name == "serial" else args.workers
        out = tmp / name
        child = [sys.executable, __file__, "--child", name, "--workers", str(workers)]
        done = subprocess.run(
            [*child, "--file", str(file), "--out", str(out)], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"{name}: failed\n{done.stdout}\n{done.stderr}")
            return 1
        wall = json.loads(done.stdout.strip().splitlines()[-1])["wall_s"]
        if name == "serial":
            serial_wall = wall
        tables[name] = _table(out)
        overhead = wall * workers / len(sweep.cells) - bare
        speedup = f"{serial_wall / wall:.2f}" if serial_wall else "-"
        rows.append((name, workers, wall, speedup, overhead))
    t0 = time.perf_counter()
    write_sweep_report(out)
    report_s = time.perf_counter() - t0
    same = all(t == next(iter(tables.values())) for t in tables.values())
    print()
    print(
        "| executor | workers | cells | wall (s) | speed-up vs 1 worker | overhead per cell (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, workers, wall, speedup, overhead in rows:
        print(
            f"| {name} | {workers} | {len(sweep.cells)} | {wall:.1f} | {speedup} | {overhead:.3f} |"
        )
    print()
    print(f"same table (all but wall time) from every executor: {same}")
    print(f"report.html of the sweep: {report_s:.1f} s")
    print(f"(outputs in {tmp})")
    return 0


def _child(name: str, file: str, out: str, workers: int) -> int:
    """Run one sweep in this (fresh) process and print its wall time as JSON."""
    from spacecompute.sweep import load_sweep, run_sweep

    sweep = load_sweep(file)
    t0 = time.perf_counter()
    result = run_sweep(
        sweep, out, workers=workers, executor="dask" if name == "dask" else "local", report=False
    )
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "ok": result.ok, "errors": dict(result.errors)}))
    return 0 if result.ok == len(sweep.cells) else 1


def _table(out: Path) -> list[dict]:
    import pyarrow.parquet as pq

    rows = pq.read_table(out / "sweep.parquet").to_pylist()
    return [{k: v for k, v in r.items() if not k.endswith("wall_time_s")} for r in rows]


if __name__ == "__main__":
    sys.exit(main())
