"""Benchmark: propagation throughput (SGP4 and J2) and a streamed day of a million satellites.

Prints, for Walker shells of N = 1e3 .. 1e6 satellites (550 km, 53 deg), satellite-steps per
second of:

- ``raw sgp4``: the ``sgp4`` package's ``SatrecArray.sgp4(jd, fr)`` (C++, one thread), the
  reference, measured in the same run;
- ``SGP4 path``: :meth:`SGP4Propagator.propagate(times, ecef=True)` (sgp4 writing each step
  straight into the (T, N, 3) outputs, then a parallel numba pass to metres and the Earth-fixed
  frame); also with TEME positions only;
- ``J2``: :class:`spacecompute.astro.j2.J2Propagator` (TEME r and v; TEME + ECEF r and v;
  TEME positions only).

Then the targets:

(a) SGP4 path including the ITRS conversion >= 1/1.3 of raw ``SatrecArray`` throughput;
(b) J2, 1,000,000 satellites, one step (TEME positions) <= 50 ms;
(c) 1,000,000 satellites x 24 h at 60 s with J2: positions + sunlit fraction
    (:func:`spacecompute.astro.eclipse.sunlit_fraction_from_positions`, conical shadow, sun from
    :func:`spacecompute.astro.sun.sun_position_eci_m`), streamed in time chunks, in <= 3 min
    with peak RSS <= 4 GiB. Run in a child process so that its peak RSS
    (``resource.getrusage``) is its own.

Timings are the best of several repeats (``--repeats``), wall clock, all cores numba is given.

Usage::

    python benchmarks/propagation.py [--quick | --full] [--repeats R] [--chunk 30]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

import numba
import numpy as np

START = "2026-03-20T00:00:00Z"
PLANES = {1_000: 20, 10_000: 100, 100_000: 500, 1_000_000: 1000}
GIB = 2**30


def machine_info() -> str:
    """CPU model, core count, date and versions, one per line."""
    import sgp4

    import spacecompute

    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kib = int(fh.readline().split()[1])
            mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join(
        [
            f"load    : {load} (1, 5, 15 min; other processes skew timings on few cores)",
            f"machine : {cpu}, {os.cpu_count()} cores{mem}; numba threads {numba.get_num_threads()}"
            f" ({numba.config.THREADING_LAYER})",
            f"date    : {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"versions: python {platform.python_version()}, numpy {np.__version__}, "
            f"numba {numba.__version__}, sgp4 {sgp4.__version__} "
            f"(accelerated={__import__('sgp4.api').api.accelerated}), "
            f"spacecompute {spacecompute.__version__}",
        ]
    )


def best_of(fn, repeats: int) -> float:
    """Smallest wall time of ``repeats`` calls (seconds); the result of each call is dropped."""
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        del out
    return best


def shell(n: int):
    from spacecompute.astro.constellation import walker

    return walker(total=n, planes=PLANES[n], phasing=1, altitude_km=550, inclination_deg=53)


def steps_for(n: int, sat_steps: float, max_steps: int) -> int:
    return int(max(1, min(max_steps, round(sat_steps / n))))


def throughput_table(sizes: list[int], sat_steps: float, repeats: int) -> list[dict]:
    """Rows of satellite-steps per second for each N."""
    from sgp4.api import SatrecArray

    from spacecompute.astro.j2 import J2Propagator
    from spacecompute.astro.propagation import SGP4Propagator
    from spacecompute.astro.timeutil import datetime64_to_jd, time_grid

    rows = []
    for n in sizes:
        const = shell(n)
        # SGP4 (raw and ours): ~sat_steps satellite-steps, few steps at 1e6
        t_sgp4 = steps_for(n, sat_steps, 10_000 if n < 1_000_000 else 5)
        times = time_grid(START, (t_sgp4 - 1) * 60.0, 60.0)
        jd, fr = datetime64_to_jd(times)
        t0 = time.perf_counter()
        ours = SGP4Propagator(const.elements)
        t_build = time.perf_counter() - t0
        raw: SatrecArray = ours._array  # the very same SatrecArray, called directly
        ours.propagate(times[:1])
        # interleaved, so that a change of machine load hits both alike
        raw_s = ours_s = ours_r_s = np.inf
        for _ in range(repeats):
            raw_s = min(raw_s, best_of(lambda jd=jd, fr=fr, raw=raw: raw.sgp4(jd, fr), 1))
            ours_s = min(ours_s, best_of(lambda o=ours, t=times: o.propagate(t, ecef=True), 1))
            ours_r_s = min(
                ours_r_s,
                best_of(lambda o=ours, t=times: o.propagate(t, ecef=False, velocities=False), 1),
            )
        del raw, ours
        # J2: as many satellite-steps (outputs of 240 MB per array at 1e7)
        t0 = time.perf_counter()
        j2 = J2Propagator(const.elements)
        j2_build = time.perf_counter() - t0
        t_j2 = steps_for(n, sat_steps, 10_000 if n < 1_000_000 else 10)
        times_j2 = time_grid(START, (t_j2 - 1) * 60.0, 60.0)
        j2.propagate(times_j2[:1])
        j2_teme = best_of(lambda p=j2, t=times_j2: p.propagate(t, ecef=False), repeats)
        j2_ecef = best_of(lambda p=j2, t=times_j2: p.propagate(t, ecef=True), repeats)
        j2_pos = best_of(
            lambda p=j2, t=times_j2: p.propagate(t, ecef=False, velocities=False), repeats
        )
        rows.append(
            {
                "n": n,
                "steps_sgp4": t_sgp4,
                "steps_j2": t_j2,
                "raw": n * t_sgp4 / raw_s,
                "sgp4_path": n * t_sgp4 / ours_s,
                "sgp4_r": n * t_sgp4 / ours_r_s,
                "j2_teme_rv": n * t_j2 / j2_teme,
                "j2_ecef_rv": n * t_j2 / j2_ecef,
                "j2_teme_r": n * t_j2 / j2_pos,
                "satrec_build_s": t_build,
                "j2_build_s": j2_build,
            }
        )
        del j2, const
    return rows


def print_table(rows: list[dict], sat_steps: float) -> None:
    print(
        f"\nSatellite-steps per second (millions; best of repeats; calls of ~{sat_steps:.0e} "
        "satellite-steps; r, v = positions and velocities)\n"
    )
    print(
        "| N | steps SGP4 / J2 | raw SatrecArray.sgp4 | SGP4 path TEME+ECEF r,v | ratio | "
        "SGP4 path TEME r | J2 TEME r,v | J2 TEME+ECEF r,v | J2 TEME r | build Satrecs / J2 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['n']:,} | {r['steps_sgp4']:,} / {r['steps_j2']:,} | {r['raw'] / 1e6:.2f} | "
            f"{r['sgp4_path'] / 1e6:.2f} | {r['sgp4_path'] / r['raw']:.2f} | "
            f"{r['sgp4_r'] / 1e6:.2f} | "
            f"{r['j2_teme_rv'] / 1e6:.1f} | {r['j2_ecef_rv'] / 1e6:.1f} | "
            f"{r['j2_teme_r'] / 1e6:.1f} | {r['satrec_build_s']:.2f} s / {r['j2_build_s']:.2f} s |"
        )


def one_step_1e6(repeats: int, n: int = 1_000_000) -> dict[str, tuple[float, float]]:
    """J2 wall time (best, median) of one step of ``n`` satellites, in seconds, by output set."""
    from spacecompute.astro.j2 import J2Propagator
    from spacecompute.astro.timeutil import time_grid

    j2 = J2Propagator(shell(n).elements)
    times = time_grid(START, 0.0, 60.0)
    out = {}
    for label, kw in (
        ("TEME r", {"ecef": False, "velocities": False}),
        ("TEME r,v", {"ecef": False, "velocities": True}),
        ("TEME+ECEF r", {"ecef": True, "velocities": False}),
        ("TEME+ECEF r,v", {"ecef": True, "velocities": True}),
    ):
        j2.propagate(times, **kw)
        samples = []
        for _ in range(max(repeats, 10)):
            t0 = time.perf_counter()
            chunk = j2.propagate(times, **kw)
            samples.append(time.perf_counter() - t0)
            del chunk
        out[label] = (min(samples), float(np.median(samples)))
    return out


def stream_child(n: int, hours: float, step_s: float, chunk_steps: int, model: str) -> dict:
    """Target (c), run inside the child process: J2 positions + sunlit fraction, streamed."""
    from spacecompute.astro.eclipse import sunlit_fraction_from_positions
    from spacecompute.astro.j2 import J2Propagator
    from spacecompute.astro.propagation import iter_time_chunks
    from spacecompute.astro.sun import sun_position_eci_m
    from spacecompute.astro.timeutil import time_grid

    t_start = time.perf_counter()
    const = shell(n)
    prop = J2Propagator(const.elements)
    t_setup = time.perf_counter() - t_start
    grid = time_grid(START, hours * 3600.0, step_s)
    sunlit_sum = np.zeros(n)  # per-satellite sum of sunlit fractions: mean over the day
    t_prop = t_sun = 0.0
    frac = np.empty((chunk_steps, n), dtype=np.float32)
    for times in iter_time_chunks(grid, chunk_steps):
        t0 = time.perf_counter()
        chunk = prop.propagate(times, ecef=False, velocities=False)
        t1 = time.perf_counter()
        sun = sun_position_eci_m(times)
        f = sunlit_fraction_from_positions(chunk.r_eci_m, sun, model, out=frac[: times.shape[0]])
        sunlit_sum += f.sum(axis=0, dtype=np.float64)
        t_sun += time.perf_counter() - t1
        t_prop += t1 - t0
        del chunk
    total = time.perf_counter() - t_start
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hwm_kib = 0
    try:
        with open("/proc/self/status") as fh:
            hwm_kib = next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM"))
    except (OSError, StopIteration, ValueError):
        pass
    return {
        "n": n,
        "steps": int(grid.shape[0]),
        "chunk_steps": chunk_steps,
        "model": model,
        "setup_s": t_setup,
        "propagate_s": t_prop,
        "sunlit_s": t_sun,
        "total_s": total,
        "peak_rss_gib": kib * 1024 / GIB,
        "vmhwm_gib": hwm_kib * 1024 / GIB,
        "mean_sunlit": float(sunlit_sum.mean() / grid.shape[0]),
    }


def run_stream(n: int, hours: float, step_s: float, chunk_steps: int, model: str) -> dict:
    """Target (c) in a fresh interpreter; returns the child's JSON result."""
    cmd = [
        sys.executable,
        os.path.abspath(__file__),
        "--stream-child",
        f"--satellites={n}",
        f"--hours={hours}",
        f"--step={step_s}",
        f"--chunk={chunk_steps}",
        f"--model={model}",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"stream child failed:\n{proc.stdout}\n{proc.stderr}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = wall
    return result


def memory_note(n: int, chunk_steps: int) -> str:
    from spacecompute.astro.j2 import _NC
    from spacecompute.astro.propagation import bytes_per_step

    r = n * 3 * 8
    valid = n
    frac = n * 4
    chunk = chunk_steps * (r + valid + frac)
    return (
        f"Memory budget, N = {n:,}: one J2 step of TEME positions is {r / 2**20:.0f} MiB "
        f"(+ {valid / 2**20:.0f} MiB validity, + {frac / 2**20:.0f} MiB float32 sunlit fraction); "
        f"a chunk of {chunk_steps} steps holds {chunk / 2**30:.2f} GiB. Fixed costs: the J2 "
        f"constant table {_NC * 8 * n / 2**20:.0f} MiB and the element set "
        f"{16 * 8 * n / 2**20:.0f} MiB. With velocities and ECEF (4 arrays) a step is "
        f"{4 * r / 2**20:.0f} MiB (SGP4 writes straight into these from 256 satellites on); "
        f"plan_chunks budgets bytes_per_step = {bytes_per_step(n) / 2**20:.0f} MiB per step "
        "(headroom for transient buffers included)."
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="small sizes only (smoke test)")
    ap.add_argument("--full", action="store_true", help="more repeats; both shadow models in (c)")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--chunk", type=int, default=30, help="time steps per streamed chunk in (c)")
    ap.add_argument("--stream-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--satellites", type=int, default=1_000_000, help=argparse.SUPPRESS)
    ap.add_argument("--hours", type=float, default=24.0, help=argparse.SUPPRESS)
    ap.add_argument("--step", type=float, default=60.0, help=argparse.SUPPRESS)
    ap.add_argument("--model", default="conical", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.stream_child:
        print(
            json.dumps(stream_child(args.satellites, args.hours, args.step, args.chunk, args.model))
        )
        return

    repeats = args.repeats or (2 if args.quick else 5 if args.full else 3)
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    sat_steps = 1e6 if args.quick else 1e7
    print(machine_info())

    # (c) first: a child's ru_maxrss includes the RSS its parent had when it was spawned
    # (Linux keeps the high-water mark across fork/exec), so spawn it while this one is small
    n_s, hours = (10_000, 2.0) if args.quick else (1_000_000, 24.0)
    models = ["conical", "cylindrical"] if args.full else ["conical"]
    streams = [run_stream(n_s, hours, 60.0, args.chunk, model) for model in models]

    rows = throughput_table(sizes, sat_steps, repeats)
    print_table(rows, sat_steps)
    small = []
    if not args.quick:
        # Calls 10x smaller (arrays of 24 MB): memory freed by one call is still mapped when the
        # next one runs, so first-touch costs of fresh memory weigh less (see docs/benchmarks.md)
        small = throughput_table([1_000, 10_000, 100_000], sat_steps / 10, repeats)
        print_table(small, sat_steps / 10)

    print("\nTargets")
    for label, table in (("", rows), (" (10x smaller calls)", small)):
        if not table:
            continue
        worst = min(table, key=lambda r: r["sgp4_path"] / r["raw"])
        ratio = worst["sgp4_path"] / worst["raw"]
        print(
            f"(a) SGP4 path incl. ITRS / raw SatrecArray throughput{label}: worst {ratio:.2f} at "
            f"N = {worst['n']:,} (target >= {1 / 1.3:.2f}): "
            f"{'PASS' if ratio >= 1 / 1.3 else 'FAIL'}"
        )

    n_one = 10_000 if args.quick else 1_000_000
    one = one_step_1e6(repeats, n_one)
    best, median = one["TEME r"]
    ok_b = best <= 0.050
    label = "" if n_one == 1_000_000 else f" (quick: N = {n_one:,}, not the target size)"
    print(
        f"(b) J2, {n_one:,} satellites, one step, TEME positions: best {best * 1e3:.1f} ms, "
        f"median {median * 1e3:.1f} ms (target <= 50 ms): {'PASS' if ok_b else 'FAIL'}{label}"
    )
    for key, (b, m) in one.items():
        print(f"      {key:<14s} best {b * 1e3:6.1f} ms  median {m * 1e3:6.1f} ms")

    for res in streams:
        model = res["model"]
        ok_c = res["total_s"] <= 180.0 and res["peak_rss_gib"] <= 4.0
        print(
            f"(c) J2 + sunlit fraction ({model}), {n_s:,} satellites x {hours:g} h at 60 s "
            f"({res['steps']:,} steps, chunks of {res['chunk_steps']}): total {res['total_s']:.1f} s "
            f"(setup {res['setup_s']:.1f} s, propagate {res['propagate_s']:.1f} s, sunlit "
            f"{res['sunlit_s']:.1f} s; process incl. start {res['process_wall_s']:.1f} s), peak RSS "
            f"{res['peak_rss_gib']:.2f} GiB (VmHWM {res['vmhwm_gib']:.2f} GiB), mean sunlit fraction {res['mean_sunlit']:.3f} "
            f"(target <= 180 s and <= 4 GiB): "
            f"{'PASS' if ok_c else 'FAIL'}{'' if n_s == 1_000_000 else ' (quick size)'}"
        )
    print("\n" + memory_note(1_000_000, args.chunk))
    print("load at end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
