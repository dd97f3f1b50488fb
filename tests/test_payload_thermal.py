"""Payload thermal node: closed-form two-node response, the Tiansuan calibration, throttling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from spacecompute.errors import InputError
from spacecompute.spacecraft.payload_calibration import (
    RPI4B_CONDUCTANCE_W_PER_K,
    RPI4B_HEAT_CAPACITY_J_PER_K,
    RPI4B_PLATEAU_C,
    RPI4B_STRESS_CURVE,
    rpi4b_payload_curve_c,
)
from spacecompute.spacecraft.thermal import (
    equilibrium_state,
    orbit_average_environment_w,
    thermal_params,
    thermal_state,
    thermal_step,
)
from spacecompute.validation.payload_thermal import checks


def _two_node(n: int, cb: float, cp: float, g: float, area: float = 1e-12, **kw):
    return thermal_params(
        n,
        radiator_area_m2=area,
        heat_capacity_j_per_k=cb,
        payload_heat_capacity_j_per_k=cp,
        payload_conductance_w_per_k=g,
        **kw,
    )


@pytest.mark.parametrize(("dt", "rel_tol"), [(1.0, 1e-6), (60.0, 2e-4), (3600.0, 0.03)])
def test_two_node_step_response_matches_closed_form(dt, rel_tol):
    # without radiation: D = Tp - Tb relaxes with rate G (1/Cp + 1/Cb) to P Cb / (G (Cp + Cb)),
    # and Cp Tp + Cb Tb grows by P t; the split step's error is of order Cp/Cb (module doc)
    cb, cp, g, p = 500.0, 20.0, 0.1, 5.0
    params = _two_node(1, cb, cp, g, max_temperature_k=1e4)
    state = thermal_state(1, 290.0, 300.0)
    rate = g * (1 / cp + 1 / cb)
    d_inf = p * cb / (g * (cp + cb))
    zero, heat = np.zeros(1), np.full(1, p)
    for k in range(1, 6):
        thermal_step(params, state, dt, zero, zero, payload_heat_w=heat)
        t = k * dt
        d = d_inf + (10.0 - d_inf) * math.exp(-rate * t)
        s = cp * 300.0 + cb * 290.0 + p * t
        tp = (s + cb * d) / (cp + cb)
        tb = (s - cp * d) / (cp + cb)
        assert state.payload_temperature_k[0] == pytest.approx(tp, abs=rel_tol * d_inf)
        assert state.temperature_k[0] == pytest.approx(tb, abs=rel_tol * d_inf * cp / cb)
        # energy is exact at any step
        assert cp * state.payload_temperature_k[0] + cb * state.temperature_k[0] == pytest.approx(
            s - state.heat_rejected_j[0], rel=1e-12
        )


def test_two_node_energy_is_conserved_with_radiation_and_any_step():
    rng = np.random.default_rng(3)
    n = 64
    cb = rng.uniform(1e3, 1e6, n)
    cp = rng.uniform(1.0, 2e3, n)
    g = rng.uniform(0.05, 50.0, n)
    params = _two_node(n, cb, cp, g, area=rng.uniform(0.01, 5.0, n))
    state = thermal_state(n, rng.uniform(200, 350, n), rng.uniform(200, 400, n))
    e0 = cb * state.temperature_k + cp * state.payload_temperature_k
    total_in = np.zeros(n)
    for dt in (1.0, 60.0, 3600.0, 1e5):
        bus = rng.uniform(0, 500, n)
        pay = rng.uniform(0, 500, n)
        env = rng.uniform(0, 300, n)
        thermal_step(params, state, dt, bus, env, payload_heat_w=pay)
        total_in += (bus + pay) * dt
        assert np.all(np.isfinite(state.payload_temperature_k))
        assert np.all(state.payload_temperature_k > 0)
    stored = cb * state.temperature_k + cp * state.payload_temperature_k - e0
    balance = total_in + state.heat_absorbed_j - state.heat_rejected_j - stored
    assert np.allclose(balance, 0.0, atol=1e-9 * np.abs(state.heat_rejected_j).max())


def test_huge_step_lands_on_the_two_node_equilibrium_without_overshoot():
    params = _two_node(1, 1e4, 20.0, 0.1, area=0.05)
    state = thermal_state(1, 250.0)
    thermal_step(params, state, 1e7, np.full(1, 10.0), np.zeros(1), payload_heat_w=np.full(1, 4.0))
    eq = equilibrium_state(params, 10.0, 4.0, 0.0)
    # one step: off by the payload's shift heat C_p dT_b / C_b (here 20 x 22 K / 1e4 J/K)
    assert state.temperature_k[0] == pytest.approx(eq.temperature_k[0], abs=0.05)
    assert state.payload_temperature_k[0] == pytest.approx(eq.payload_temperature_k[0], abs=0.05)
    thermal_step(params, state, 1e7, np.full(1, 10.0), np.zeros(1), payload_heat_w=np.full(1, 4.0))
    # the next: that error times C_p / C_b
    assert state.temperature_k[0] == pytest.approx(eq.temperature_k[0], abs=2e-4)
    assert state.payload_temperature_k[0] == pytest.approx(eq.payload_temperature_k[0], abs=2e-4)
    assert eq.payload_temperature_k[0] - eq.temperature_k[0] == pytest.approx(40.0)


def test_tiansuan_rpi4b_curve_reproduced_within_1_5_k():
    times = np.array([t for t, _ in RPI4B_STRESS_CURVE])
    measured = np.array([c for _, c in RPI4B_STRESS_CURVE])
    ours = rpi4b_payload_curve_c(times)
    assert np.abs(ours - measured).max() < 1.5
    assert rpi4b_payload_curve_c(np.array([80 * 60.0]))[0] == pytest.approx(
        RPI4B_PLATEAU_C, abs=1.5
    )
    # tau = C / G about 3.6 min: the time scale of the in-orbit heating
    assert 150 < RPI4B_HEAT_CAPACITY_J_PER_K / RPI4B_CONDUCTANCE_W_PER_K < 300


def test_validation_rows_pass_and_say_where_we_differ():
    rows = checks()
    assert len(rows) >= 4
    assert all(r.passed for r in rows)
    assert all(r.citation and r.unit == "C" for r in rows)
    paper = [r for r in rows if r.reference_value == 85.7]
    assert paper and "plateau" in paper[0].note


def test_chip_throttles_minutes_after_load_while_bus_stays_cool():
    # a 4 kg cubesat bus (3.6 kJ/K) at 20 C carrying the BUPT-1 Raspberry Pi at 4.8 W
    area = (3.0 + 4.8) / (2 * 0.92 * 5.670374419e-8 * 293.15**4)
    params = _two_node(1, 3600.0, RPI4B_HEAT_CAPACITY_J_PER_K, RPI4B_CONDUCTANCE_W_PER_K, area=area)
    state = thermal_state(1, 293.15)
    first = None
    for k in range(1, 61):
        out = thermal_step(
            params, state, 60.0, np.full(1, 3.0), np.zeros(1), payload_heat_w=np.full(1, 4.8)
        )
        if first is None and out.throttle[0] < 1.0:
            first = k
            bus_at_throttle = state.temperature_k[0]
    assert first is not None and 3 <= first <= 20  # minutes
    assert bus_at_throttle - 293.15 < 2.0  # the bus has barely moved
    assert state.payload_temperature_k[0] - state.temperature_k[0] > 50.0


def test_orbit_average_environment_against_closed_form_eclipse_fraction():
    # zenith-facing one-sided plate, no albedo or Earth IR reaches it: the orbit average is
    # alpha S A cos(beta)/pi, whatever the eclipse (the eclipse is on the night side)
    params = thermal_params(
        2, radiator_area_m2=1.0, heat_capacity_j_per_k=1.0, sides=1, orientation="zenith"
    )
    beta = np.radians([0.0, 60.0])
    q = orbit_average_environment_w(params, np.full(2, 550e3), beta, samples=720)
    expected = 0.2 * 1361.0 * np.cos(beta) / math.pi
    assert np.allclose(q, expected, rtol=2e-3)


def test_payload_parameters_must_come_in_pairs():
    with pytest.raises(InputError) as err:
        _two_node(1, 1e3, 10.0, 0.0)
    assert "payload_conductance_w_per_k" in str(err.value)
