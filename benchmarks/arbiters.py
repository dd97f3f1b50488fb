"""Benchmark: the arbiters' cost per step, and the optimising arbiter's LP.

Default size: the orbital-dc cluster's 81 satellites x 3 workloads, a 60-step horizon (1 h at
60 s). The energy is made to bind on every satellite (payload peak above what the array leaves
in sunlight, an eclipse of 35 min in a 95-min orbit, phases spread over the fleet), so every
satellite goes into the LP: the worst case. ``--sizes`` takes ``N:W:H`` triples.

Printed per size: ``priority`` and ``weighted-fair`` per step (best of 20), the optimising
arbiter's screening (greedy plan and battery paths), the sparse LP's build + HiGHS solve of
all satellites in one LP (``solve_plan``, best of 3), a whole replanning step of the arbiter
(``OptimisingArbiter.share`` on a fresh arbiter: screening + LPs in groups of 32, best of 3),
the LP's variables and non-zeros, and the lowest planned battery less its floor (>= 0 up to
HiGHS's tolerance: no brown-out on the forecast).

Usage::

    python benchmarks/arbiters.py [--sizes 81:3:60 324:3:60 81:3:180]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from spacecompute.scheduling.arbiter_lp import (
    OptimisingArbiter,
    battery_path,
    energy_binds,
    greedy_plan,
    horizon_inputs,
    solve_plan,
)
from spacecompute.scheduling.arbiters import (
    ArbiterForecast,
    ArbiterView,
    PriorityArbiter,
    WeightedFairArbiter,
)


def synthetic_view(n: int, w: int, h: int, dt_s: float = 60.0, seed: int = 0) -> ArbiterView:
    """A view whose energy binds on every satellite: 95-min orbits with 35 min of eclipse,
    phases spread over the fleet, array 600 W, bus + idle payload 250 W, payload 0..700 W above
    idle, battery 1 kWh with a 30 % reserve, demands drawn in [0, 1]."""
    rng = np.random.default_rng(seed)
    period, eclipse = 95 * 60.0, 35 * 60.0
    t = np.arange(h)[:, None] * dt_s + rng.uniform(0, period, n)[None, :]
    sunlit = ((t % period) >= eclipse).astype(float)
    cap = np.full(n, 3.6e6)
    demand = rng.uniform(0.2, 1.0, (w, h, n))
    forecast = ArbiterForecast(
        sunlit=sunlit,
        solar_energy_j=600.0 * dt_s * sunlit,
        base_energy_j=np.full((h, n), 250.0 * dt_s),
        demand=demand,
        in_contact=np.zeros((h, n), bool),
    )
    battery = rng.uniform(0.35, 0.6, n) * cap
    reserve = 0.3 * cap
    return ArbiterView(
        step_index=0,
        dt_s=dt_s,
        names=tuple(f"w{i}" for i in range(w)),
        priority=np.arange(w),
        weight=np.linspace(3.0, 1.0, w),
        demand=demand[:, 0],
        capacity=np.ones(n),
        dynamic_energy_j=np.full(n, 700.0 * dt_s),
        energy_available_j=battery - reserve + forecast.solar_energy_j[0] - 250.0 * dt_s,
        battery_j=battery,
        battery_capacity_j=cap,
        reserve_j=reserve,
        forecast=forecast,
        charge_efficiency=0.95,
        discharge_efficiency=0.95,
    )


def _best(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure(n: int, w: int, h: int) -> dict[str, float]:
    view = synthetic_view(n, w, h)
    x = horizon_inputs(view)
    binding = energy_binds(x, greedy_plan(x))
    grants, value = solve_plan(x, 1e-3)
    path = battery_path(
        x.battery_j, x.net_j, x.dynamic_j * grants.sum(axis=0), x.capacity_j, x.eta_c, x.eta_d
    )
    return {
        "priority_ms": 1e3 * _best(lambda: PriorityArbiter().share(view), 20),
        "fair_ms": 1e3 * _best(lambda: WeightedFairArbiter().share(view), 20),
        "screen_ms": 1e3 * _best(lambda: energy_binds(x, greedy_plan(x)), 5),
        "lp_s": _best(lambda: solve_plan(x, 1e-3), 3),
        "replan_s": _best(lambda: OptimisingArbiter().share(view), 3),
        "vars": (w + 1) * n * h,
        "nnz": n * h * (3 * w + 4) - 2 * n,  # capacity + two battery rows
        "binding": int(binding.sum()),
        "value": value,
        "min_margin_j": float((path - x.floor_j).min()),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["81:3:60", "81:3:180", "324:3:60"])
    args = ap.parse_args(argv)
    print(
        "| satellites x workloads x horizon | priority ms | weighted-fair ms | screening ms "
        "| one LP build + solve s | replanning step s | LP variables | LP non-zeros "
        "| energy-bound sats | min battery - floor J |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        n, w, h = (int(v) for v in size.split(":"))
        m = measure(n, w, h)
        print(
            f"| {n} x {w} x {h} | {m['priority_ms']:.3f} | {m['fair_ms']:.3f} "
            f"| {m['screen_ms']:.2f} | {m['lp_s']:.3f} | {m['replan_s']:.3f} "
            f"| {m['vars']:,} | {m['nnz']:,} "
            f"| {m['binding']} / {n} | {m['min_margin_j']:.3g} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
