"""The front door: ``spacecompute run`` (the built-in default scenario: 12 Three-Body
satellites, one day, energy-aware vs bent-pipe) as a user types it, in fresh processes.

Prints wall time, CPU time (user + system of the command and its forked processes) and peak
resident memory (the largest of its processes, from ``wait4``) for: warm runs with one forked
process per policy (the default) and with the policies one after another
(``SPACECOMPUTE_RUN_PROCESSES=1``), and with ``--cold`` the first run after an install (an
empty numba cache in a temporary ``NUMBA_CACHE_DIR``; numba caching stays on). On a shared
machine compare CPU times, and run the baseline in the same minute.

The package's modules are byte-compiled first (``compileall``, what ``pip install`` does): where
``PYTHONDONTWRITEBYTECODE`` is set and the package is an editable checkout, Python would
otherwise compile every module's source again in every run (0.3-0.4 s of a warm run, not the
package's own start-up). ``--no-compile`` measures without that step.

    python benchmarks/front_door.py [--reps 3] [--cold] [--no-compile]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def measure(env_extra: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one ``spacecompute run``."""
    env = {**os.environ, **env_extra}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "spacecompute", "run"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"spacecompute run failed ({proc.returncode})")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def byte_compile() -> None:
    """Write the ``__pycache__`` files of the package imported from this environment (stale
    ones are rewritten; Python checks them against the sources' times)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("spacecompute")
    if spec is None or spec.origin is None:
        raise SystemExit("spacecompute is not importable")
    package = os.path.dirname(spec.origin)
    compileall.compile_dir(package, quiet=1)
    print(f"byte-compiled {package}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="also the first run after install")
    parser.add_argument(
        "--no-compile", action="store_true", help="do not byte-compile the package first"
    )
    args = parser.parse_args()
    if not args.no_compile:
        byte_compile()
    cases = {
        "warm, forked (default)": {"SPACECOMPUTE_RUN_PROCESSES": ""},
        "warm, one process": {"SPACECOMPUTE_RUN_PROCESSES": "1"},
    }
    measure(cases["warm, one process"])  # fills the numba cache
    rows: dict[str, list[tuple[float, float, float]]] = {name: [] for name in cases}
    if args.cold:
        for mode in ("forked", "one process"):
            rows[f"first run, {mode}"] = []
    for _ in range(args.reps):  # interleaved, so that a change of load hits every case
        for name, env in cases.items():
            rows[name].append(measure(env))
        if args.cold:
            for mode, flag in (("forked", ""), ("one process", "1")):
                with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
                    env = {"SPACECOMPUTE_RUN_PROCESSES": flag, "NUMBA_CACHE_DIR": cache}
                    rows[f"first run, {mode}"].append(measure(env))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"spacecompute run (default scenario), {args.reps} runs each, load average {load:.1f}")
    print(time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    print(
        f"{'case':<26} {'wall s (min..max)':>20} {'median':>7} {'CPU s (min..max)':>20} "
        f"{'median':>7} {'peak MB':>8}"
    )
    for name, got in rows.items():
        if not got:
            continue
        w, c, m = zip(*got, strict=True)
        print(
            f"{name:<26} {min(w):>9.2f}..{max(w):<8.2f} {statistics.median(w):>7.2f} "
            f"{min(c):>9.2f}..{max(c):<8.2f} {statistics.median(c):>7.2f} {max(m):>8.0f}"
        )


if __name__ == "__main__":
    main()
