"""Benchmark: the fused per-chunk geometry kernels against the numpy formulas, in the same run.

Two tables (spacecompute issue 15, "per-chunk geometry fused"):

1. **One chunk** of a Walker shell (550 km, 53 deg, 100 planes; 6 default stations) of as many
   instants as the Earth-observation engine would take for that size (``chunk_steps_for``),
   each stage timed with the numpy formulas (:mod:`spacecompute.sim.numpy_reference`, the code
   before the kernels) and with the kernels, best of ``--repeats``, and checked bit for bit:

   - ``visible pairs``: elevation and range of the station-satellite pairs above the masks
     (numpy: ``look_angles`` with azimuth on every pair, the mask, fancy indexing);
   - ``look_angles``: elevation, azimuth and range of every pair (the public function);
   - ``geodetic``: ``ecef_to_geodetic`` of the chunk;
   - ``imaging steps``: ground speed, frame period, sun elevation and land cell of every step;
   - ``chunk_environment``: the whole per-chunk environment (sunlight, downlink rates, frames,
     geodetic arrays), the fused one with its buffers reused from the previous repeat, as in a
     run.

2. **Whole runs** (``--runs``) of the Earth-observation engine (``run_engine``, every model on,
   policy on-board), each in a fresh child process after a warm-up run (numba caches loaded):
   the numpy path (the engine's ``chunk_environment`` and ``with_previous_instant`` replaced by
   the numpy reference) and the fused path, wall time (best of ``--run-repeats``) and the
   child's peak RSS (``VmHWM``); the summaries and every column of the jobs, steps and
   satellites tables must agree exactly.

Usage::

    python benchmarks/geometry.py [--sizes 10k,100k] [--repeats 3]
                                  [--runs 10k-6h,100k-1h] [--run-repeats 1]
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

START = "2026-01-01T00:00:00Z"
SIZES = {"1k": 1_000, "10k": 10_000, "100k": 100_000}
RUNS = {"10k-6h": (10_000, 6.0), "100k-1h": (100_000, 1.0), "1k-24h": (1_000, 24.0)}


def _best(fn, repeats: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeats):
        out = None
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _same(a, b) -> bool:
    import numpy as np

    if isinstance(a, tuple | list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(np.array_equal(a, b, equal_nan=True))


def chunk_table(size: str, repeats: int) -> list[dict]:
    """Stage timings of one chunk (see the module docstring)."""
    import numpy as np

    import spacecompute as sc
    from spacecompute._buffers import BufferPool
    from spacecompute.astro.access import look_angles, visible_pairs
    from spacecompute.astro.ephemeris import Ephemeris
    from spacecompute.astro.frames import ecef_to_geodetic
    from spacecompute.astro.ground import ground_stations
    from spacecompute.network.links import terminal
    from spacecompute.sim import numpy_reference as ref
    from spacecompute.sim.engine import EngineConfig, chunk_steps_for
    from spacecompute.sim.forecast import chunk_environment
    from spacecompute.workloads.eo import SensorModel
    from spacecompute.workloads.eo_steps import imaging_steps

    n = SIZES[size]
    cfg = EngineConfig()
    st = ground_stations(list(cfg.stations))
    steps = chunk_steps_for(n, len(st), cfg.chunk_steps)
    const = sc.walker(
        total=n, planes=100, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
    )
    raw = next(const.propagate_chunks(START, steps * 60.0, 60.0, "sgp4", chunk_steps=steps + 1))
    radio, ground = terminal(cfg.radio_terminal), terminal(cfg.ground_terminal)
    sensor = SensorModel.cote()
    mask = st.min_elevation_deg[None, :, None]

    def fresh() -> Ephemeris:
        return Ephemeris(raw.times, raw.r_eci_m, raw.v_eci_m, names=raw.names, valid=raw.valid)

    geo = fresh()
    geo.geodetic_into(*(np.empty(raw.valid.shape) for _ in range(3)))
    r = raw.r_ecef_m
    pool = BufferPool()

    def vis_numpy():
        el, _, rng = ref.look_angles_numpy(r, st)
        v = np.isfinite(el) & (el >= mask)
        return np.flatnonzero(v), el[v], rng[v]

    out_geo = tuple(np.empty(raw.valid.shape) for _ in range(3))
    kw = dict(model=cfg.model, cloud_fraction=cfg.cloud_fraction, seed=0, aoi=cfg.aoi)

    def env_numpy():
        e = fresh()
        env = ref.chunk_environment_numpy(e, st, radio, ground, **kw)
        return env, e

    def env_fused():
        e = fresh()
        env = chunk_environment(e, st, radio, ground, buffers=pool, **kw)
        return env, e

    stages = [
        ("visible pairs", vis_numpy, lambda: visible_pairs(r, st, buffers=pool)),
        ("look_angles", lambda: ref.look_angles_numpy(r, st), lambda: look_angles(r, st)),
        ("geodetic", lambda: ref.ecef_to_geodetic_numpy(r), lambda: ecef_to_geodetic(r, out_geo)),
        (
            "imaging steps",
            lambda: ref.imaging_steps_numpy(geo, sensor, aoi="land", min_sun_elevation_deg=10.0),
            lambda: imaging_steps(geo, sensor, land=True, min_sun_elevation_deg=10.0, buffers=pool),
        ),
        ("chunk_environment", env_numpy, env_fused),
    ]
    rows = []
    for name, f_numpy, f_fused in stages:
        f_fused()  # compile / load the kernels, fill the pool
        t_np, a = _best(f_numpy, repeats)
        t_fu, b = _best(f_fused, repeats)
        if name == "chunk_environment":
            (ea, pa), (eb, pb) = a, b
            fields = ("times_ns", "sun_eci_m", "sunlit", "rate_bps", "frame_bounds")
            same = all(_same(getattr(ea, k), getattr(eb, k)) for k in fields)
            same &= all(_same(ea.frames[k], eb.frames[k]) for k in ea.frames.keys())
            same &= _same(pa._geodetic, pb._geodetic)
        else:
            same = _same(a, b)
        del a, b
        rows.append(
            {
                "size": size,
                "satellites": n,
                "instants": int(raw.n_times),
                "stage": name,
                "numpy_s": t_np,
                "fused_s": t_fu,
                "identical": same,
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def _vm_hwm_mib() -> float:
    """Peak resident memory of this process (``VmHWM``; unlike ``ru_maxrss`` it is not carried
    over from the parent that started the child)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) / 1024.0
    return float("nan")


def run_child(case: str, path: str, repeats: int) -> None:
    """One whole run in this fresh process; prints one JSON line."""
    import spacecompute as sc
    from spacecompute.sim import engine, forecast
    from spacecompute.sim import numpy_reference as ref
    from spacecompute.sim.engine import EngineConfig, run_engine

    if path == "numpy":
        engine.chunk_environment = ref.chunk_environment_numpy
        engine.with_previous_instant = ref.with_previous_instant_numpy
        forecast.chunk_environment = ref.chunk_environment_numpy
    n, hours = RUNS[case]
    const = sc.walker(
        total=n, planes=100, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
    )
    opts = dict(constellation=const, bus="starlink-v1", start=START, duration_s=hours * 3600.0)
    run_engine(EngineConfig(duration_s=600.0))  # warm-up: numba caches, imports, land mask
    walls, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = run_engine(EngineConfig(**opts))
        walls.append(time.perf_counter() - t0)
    s = {k: v for k, v in result.summary.items() if k != "wall_time_s"}
    print(
        json.dumps(
            {
                "run": case,
                "path": path,
                "wall_s": min(walls),
                "walls_s": walls,
                "rss_mib": _vm_hwm_mib(),
                "summary": {k: v if isinstance(v, int | float) else str(v) for k, v in s.items()},
                "tables_sha256": _tables_digest(result),
            }
        ),
        flush=True,
    )


def _tables_digest(result) -> str:
    """SHA-256 of every column of the run's jobs, steps and satellites tables."""
    import hashlib

    import numpy as np

    h = hashlib.sha256()
    for table in (result.jobs, result.steps, result.satellites):
        for k in table.keys():
            col = np.asarray(table[k])
            h.update(k.encode())
            h.update(col.astype(str).tobytes() if col.dtype == object else col.tobytes())
    return h.hexdigest()


def run_table(cases: list[str], repeats: int) -> list[dict]:
    rows = []
    for case in cases:
        for path in ("numpy", "fused"):
            cmd = [sys.executable, __file__, "--child", case, "--path", path]
            cmd += ["--run-repeats", str(repeats)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [x for x in proc.stdout.splitlines() if x.startswith("{")]
            row = (
                json.loads(line[-1])
                if line
                else {"run": case, "path": path, "error": proc.stderr[-400:]}
            )
            rows.append(row)
            print(json.dumps({k: v for k, v in row.items() if k != "summary"}), flush=True)
    return rows


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
    p.add_argument("--sizes", default="10k,100k", help=f"one-chunk sizes among {list(SIZES)}")
    p.add_argument("--repeats", type=int, default=3, help="repeats per stage (best is kept)")
    p.add_argument("--runs", default="10k-6h,100k-1h", help=f"whole runs among {list(RUNS)}")
    p.add_argument("--run-repeats", type=int, default=1)
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--path", default="fused", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        run_child(args.child, args.path, args.run_repeats)
        return 0
    sizes = [s for s in args.sizes.split(",") if s]
    runs = [s for s in args.runs.split(",") if s]
    bad = [s for s in sizes if s not in SIZES] + [s for s in runs if s not in RUNS]
    if bad:
        p.error(f"unknown size(s) or run(s) {bad}")
    load = os.getloadavg()
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; cpu: {cpu_model()}, {os.cpu_count()} cores"
    )
    print(f"python {platform.python_version()}; load average at start: {load[0]:.2f}")
    rows = [r for s in sizes for r in chunk_table(s, args.repeats)]
    run_rows = run_table(runs, args.run_repeats) if runs else []

    print()
    print("| size | instants | stage | numpy s | fused s | speed-up | bit-identical |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['satellites']:,} | {r['instants']} | {r['stage']} | {r['numpy_s']:.3f} | "
            f"{r['fused_s']:.3f} | {r['numpy_s'] / r['fused_s']:.1f}x | "
            f"{'yes' if r['identical'] else 'NO'} |"
        )
    if run_rows:
        print()
        print("| EO run | path | wall s | peak RSS MiB | results identical |")
        print("|---|---|---|---|---|")
        for case in runs:
            pair = {r["path"]: r for r in run_rows if r.get("run") == case}
            same = all("summary" in r for r in pair.values()) and all(
                pair["numpy"][k] == pair["fused"][k] for k in ("summary", "tables_sha256")
            )
            for path in ("numpy", "fused"):
                r = pair.get(path, {})
                if "error" in r or not r:
                    print(f"| {case} | {path} | error: {r.get('error', 'missing')[-80:]} | | |")
                    continue
                print(
                    f"| {case} | {path} | {r['wall_s']:.1f} | {r['rss_mib']:.0f} | "
                    f"{'yes' if same else 'NO'} |"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
