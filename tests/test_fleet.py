"""The fleet: power, thermal and radiation composed per step, with conservation checks."""

from __future__ import annotations

import numpy as np
import pytest

import spacecompute as sc
from spacecompute.astro.eclipse import sunlit_fraction_from_positions
from spacecompute.astro.sun import sun_position_eci_m
from spacecompute.errors import InputError
from spacecompute.spacecraft.fleet import Fleet, StepGeometry
from spacecompute.spacecraft.radiation import Mitigation, dose_rate_rad_s

START = "2026-03-20T00:00:00Z"


@pytest.fixture(scope="module")
def day():
    c = sc.preset_constellation("threebody")
    eph = c.propagate(START, 6 * 3600, 60)
    sun = sun_position_eci_m(eph.times)
    lit = sunlit_fraction_from_positions(eph.r_eci_m, sun, "conical")
    return c, eph, sun, lit


def run(fleet, eph, sun, lit, load=1.0):
    """Every step's report, copied (a FleetStep's arrays are reused by the next step)."""
    from dataclasses import fields, replace

    steps = []
    for k in range(eph.n_times):
        out = fleet.step(60.0, lit[k], StepGeometry.from_ephemeris(eph, k, sun[k]), load)
        steps.append(replace(out, **{f.name: np.array(getattr(out, f.name)) for f in fields(out)}))
    return steps


def test_energy_is_conserved_per_satellite(day):
    c, eph, sun, lit = day
    f = Fleet.for_constellation("threebody", len(c), state_of_charge=0.6, temperature_k=293.15)
    e0 = f.power_state.stored_energy_j.copy()
    t0 = f.thermal_state.temperature_k.copy()
    tp0 = f.thermal_state.payload_temperature_k.copy()
    steps = run(f, eph, sun, lit)
    s = f.power_state
    stored = s.stored_energy_j - e0
    balance = s.energy_generated_j - (
        s.energy_to_loads_j + stored + s.losses_j + s.energy_curtailed_j
    )
    assert np.allclose(balance, 0.0, atol=1e-6 * s.energy_generated_j.max())
    # heat, two nodes: C_bus dT_bus + C_payload dT_payload = electrical loads (all end as heat)
    # + absorbed + heater - radiated
    t = f.thermal_state
    internal = sum(s.load_power_w for s in steps) * 60.0
    assert np.allclose(internal, s.energy_to_loads_j, rtol=1e-9)
    c_heat = f.thermal.heat_capacity_j_per_k
    c_payload = f.thermal.payload_heat_capacity_j_per_k
    assert np.all(c_payload > 0) and np.all(f.thermal.payload_conductance_w_per_k > 0)
    assert np.abs(t.payload_temperature_k - tp0).max() > 1.0  # the payload node moved
    lhs = c_heat * (t.temperature_k - t0) + c_payload * (t.payload_temperature_k - tp0)
    rhs = internal + t.heat_absorbed_j + t.heater_j - t.heat_rejected_j
    assert np.allclose(lhs, rhs, rtol=0, atol=1e-6 * t.heat_rejected_j.max())


def test_compute_is_shed_before_the_bus_browns_out(day):
    c, eph, sun, lit = day
    f = Fleet.for_constellation("threebody", len(c), state_of_charge=0.4)
    steps = run(f, eph, sun, lit)
    assert not any(s.brownout.any() for s in steps)
    # in eclipse with the battery at its compute reserve, compute draws nothing
    in_eclipse = lit < 0.01
    throttle = np.array([s.power_throttle for s in steps])
    assert in_eclipse.any()
    assert throttle[in_eclipse].min() == 0.0
    assert throttle[~in_eclipse].max() == 1.0


def test_same_seed_same_faults_and_different_seed_differs(day):
    c, eph, sun, lit = day
    options = {"mitigation": Mitigation.none(), "shielding_mm_al": 0.5}
    a = run(Fleet.for_constellation("threebody", len(c), seed=7, **options), eph, sun, lit)
    b = run(Fleet.for_constellation("threebody", len(c), seed=7, **options), eph, sun, lit)
    d = run(Fleet.for_constellation("threebody", len(c), seed=8, **options), eph, sun, lit)

    def faults(steps):
        return np.array(
            [s.silent_errors.sum() + s.detected_errors.sum() + s.reboots.sum() for s in steps]
        )

    assert np.array_equal(faults(a), faults(b))
    assert np.array_equal(
        np.array([s.temperature_k for s in a]), np.array([s.temperature_k for s in b])
    )
    assert faults(a).sum() > 0 and not np.array_equal(faults(a), faults(d))


def test_dose_follows_the_radiation_map(day):
    c, eph, sun, lit = day
    f = Fleet.for_constellation("threebody", len(c))
    steps = run(f, eph, sun, lit)
    total = sum(s.dose_rad for s in steps)
    expected = (dose_rate_rad_s(eph.lat_deg, eph.lon_deg, eph.alt_m, f.shielding_mm_al) * 60.0).sum(
        axis=0
    )
    assert np.allclose(total, expected, rtol=1e-12)


def test_tmr_never_lets_a_silent_error_through(day):
    c, eph, sun, lit = day
    f = Fleet.for_constellation(
        "threebody", len(c), mitigation=Mitigation.tmr(), shielding_mm_al=0.1
    )
    steps = run(f, eph, sun, lit)
    assert sum(int(s.silent_errors.sum()) for s in steps) == 0
    # TMR spends 3x the compute: useful work is at most a third of the full-load work
    assert max(float(s.useful_fraction.max()) for s in steps) <= 1 / 3 + 1e-12


def test_hot_satellite_is_throttled():
    n = 3
    f = Fleet.from_bus("odc-1m", n, temperature_k=360.0)
    r = np.array([[7.0e6, 0, 0]] * n)
    v = np.array([[0, 7.5e3, 0]] * n)
    geo = StepGeometry(r, v, np.zeros(n), np.zeros(n), np.full(n, 620e3), np.array([1.5e11, 0, 0]))
    out = f.step(60.0, np.ones(n), geo, 1.0)
    assert out.thermal_throttle.max() < 1.0


def test_bad_input():
    with pytest.raises(InputError):
        Fleet.from_bus("threebody", 2, attitude="spinning")
    f = Fleet.from_bus("threebody", 2)
    geo = StepGeometry(
        np.ones((2, 3)) * 7e6,
        np.ones((2, 3)),
        np.zeros(2),
        np.zeros(2),
        np.full(2, 5e5),
        np.ones(3),
    )
    with pytest.raises(InputError):
        f.step(0.0, np.ones(2), geo, 1.0)


def test_malloc_tuning_is_optional():
    import subprocess
    import sys

    code = "from spacecompute._runtime import keep_freed_memory as k; print(k(), k())"
    on = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    off = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "SPACECOMPUTE_MALLOC_TUNING": "0"},
    )
    assert off.stdout.split() == ["False", "False"]
    first, second = on.stdout.split()
    assert first == second  # applied once, same answer after


def test_temperatures_start_on_the_orbit_not_a_warm_up(day):
    # idle satellites (load 0) started at the orbit-average equilibrium: the first orbit's mean
    # temperature equals the last one's (no warm-up drift), while a start at 20 C drifts
    c, eph, sun, lit = day
    orbit = 95  # steps of 60 s

    def drift(fleet):
        temps = np.array([s.temperature_k for s in run(fleet, eph, sun, lit, load=0.0)])
        return temps[-orbit:].mean(axis=0) - temps[:orbit].mean(axis=0)

    settled = drift(Fleet.for_constellation("threebody", len(c)))
    cold = drift(Fleet.for_constellation("threebody", len(c), temperature_k=293.15))
    assert np.abs(settled).max() < 2.0
    assert np.abs(cold).max() > 5.0 * np.abs(settled).max()


def test_payload_node_runs_hotter_than_the_bus_and_drives_the_throttle(day):
    c, eph, sun, lit = day
    f = Fleet.for_constellation("threebody", len(c))
    steps = run(f, eph, sun, lit, load=1.0)
    bus = np.array([s.temperature_k for s in steps])
    payload = np.array([s.payload_temperature_k for s in steps])
    computing = np.array([s.compute_power_w for s in steps]) > f.power.compute_idle_w + 1.0
    # at full compute the payload sits about P / G = 40 K (catalog default rule) above the bus
    rise = (payload - bus)[computing]
    assert rise.size and 30.0 < np.median(rise) < 45.0
