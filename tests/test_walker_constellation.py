"""Walker shells, constellations and the SGP4 propagation path."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spacecompute as sc
from spacecompute.astro.constants import EARTH_RADIUS_WGS72_M, MU_WGS72_M3_S2
from spacecompute.astro.walker import altitude_from_mean_motion_m, mean_motion_from_altitude_rad_s
from spacecompute.errors import InputError, MemoryBudgetError

START = "2026-03-20T00:00:00Z"


def test_walker_pattern_geometry():
    c = sc.walker(total=1584, planes=72, phasing=1, altitude_km=550, inclination_deg=53)
    e = c.elements
    assert len(c) == 1584
    assert np.unique(e.raan_rad).size == 72
    assert np.allclose(np.diff(np.unique(e.raan_rad)), 2 * np.pi / 72)
    # Walker phasing: satellite s of plane p+1 leads satellite s of plane p by F*360/T
    m = e.mean_anomaly_rad.reshape(72, 22)
    step = np.remainder(m[1:, :] - m[:-1, :], 2 * np.pi)
    assert np.allclose(step, 2 * np.pi * 1 / 1584)
    assert np.allclose(np.remainder(m[:, 1] - m[:, 0], 2 * np.pi), 2 * np.pi / 22)
    assert np.allclose(e.inclination_rad, np.deg2rad(53))


def test_walker_star_spreads_over_180_degrees():
    c = sc.walker(
        total=351, planes=27, phasing=1, altitude_km=1015, inclination_deg=98.98, kind="star"
    )
    raan = np.unique(c.elements.raan_rad)
    assert raan.max() == pytest.approx(np.pi * 26 / 27)


def test_mean_motion_and_period_follow_kepler():
    # Period of a 550 km circular orbit: T = 2 pi sqrt(a^3 / mu), a = 6928.135 km -> 95.65 min
    a = EARTH_RADIUS_WGS72_M + 550e3
    period = 2 * math.pi * math.sqrt(a**3 / MU_WGS72_M3_S2)
    assert period / 60 == pytest.approx(95.65, abs=0.01)
    n = mean_motion_from_altitude_rad_s(550e3)
    assert 2 * math.pi / n == pytest.approx(period, rel=1e-12)
    assert altitude_from_mean_motion_m(n) == pytest.approx(550e3, abs=1e-3)


def test_propagated_period_and_altitude_match_the_shell():
    c = sc.walker(total=4, planes=2, phasing=1, altitude_km=550, inclination_deg=53)
    eph = c.propagate(START, duration_s=6000, step_s=10)
    # time for the argument of latitude to advance one revolution, from the orbit normal
    r = eph.r_eci_m[:, 0, :]
    h = np.cross(r[0], eph.v_eci_m[0, 0])
    h /= np.linalg.norm(h)
    x0 = r[0] / np.linalg.norm(r[0])
    y0 = np.cross(h, x0)
    angle = np.unwrap(np.arctan2(r @ y0, r @ x0))
    period = np.interp(2 * np.pi, angle, eph.t_s)
    # SGP4 argument-of-latitude rate includes J2: within 0.2 % of Keplerian
    kepler = 2 * math.pi / mean_motion_from_altitude_rad_s(550e3)
    assert period == pytest.approx(kepler, rel=2e-3)
    radius = np.linalg.norm(eph.r_eci_m, axis=-1)
    assert np.mean(radius) - EARTH_RADIUS_WGS72_M == pytest.approx(550e3, abs=5e3)


def test_walker_rejects_inconsistent_input_with_all_problems():
    with pytest.raises(InputError) as info:
        sc.walker(total=1585, planes=72, phasing=80, altitude_km=100, inclination_deg=200)
    text = str(info.value)
    for word in ("multiple of planes", "phasing", "altitude", "inclination"):
        assert word in text


def test_sgp4_path_equals_satrec_directly():
    from sgp4.api import SatrecArray

    from spacecompute.astro.timeutil import datetime64_to_jd, gmst_rad

    c = sc.walker(total=30, planes=5, phasing=2, altitude_km=700, inclination_deg=70)
    eph = c.propagate(START, duration_s=3600, step_s=300)
    jd, fr = datetime64_to_jd(eph.times)
    _e, r, v = SatrecArray(c.elements.to_satrecs()).sgp4(jd, fr)
    assert np.array_equal(eph.r_eci_m, np.transpose(r, (1, 0, 2)) * 1000)
    assert np.array_equal(eph.v_eci_m, np.transpose(v, (1, 0, 2)) * 1000)
    theta = gmst_rad(jd, fr)
    x = np.cos(theta)[:, None] * eph.r_eci_m[..., 0] + np.sin(theta)[:, None] * eph.r_eci_m[..., 1]
    assert np.allclose(eph.r_ecef_m[..., 0], x, atol=1e-6)
    assert eph.valid.all()


def test_chunks_equal_one_shot():
    c = sc.walker(total=60, planes=6, phasing=1, altitude_km=600, inclination_deg=60)
    whole = c.propagate(START, duration_s=7200, step_s=60)
    parts = list(c.propagate_chunks(START, duration_s=7200, step_s=60, chunk_steps=7))
    assert sum(p.n_times for p in parts) == whole.n_times
    assert np.array_equal(np.concatenate([p.r_eci_m for p in parts]), whole.r_eci_m)
    assert np.array_equal(np.concatenate([p.r_ecef_m for p in parts]), whole.r_ecef_m)


def test_chunks_respect_the_memory_budget():
    c = sc.walker(total=1000, planes=10, phasing=1, altitude_km=600, inclination_deg=60)
    budget = 8 * 2**20
    parts = list(c.propagate_chunks(START, duration_s=3600, step_s=10, memory_budget_bytes=budget))
    assert len(parts) > 1
    assert max(p.nbytes() for p in parts) <= budget


def test_propagate_refuses_a_result_over_budget():
    c = sc.walker(total=1000, planes=10, phasing=1, altitude_km=600, inclination_deg=60)
    with pytest.raises(MemoryBudgetError, match="propagate_chunks"):
        c.propagate(START, duration_s=86400, step_s=1, memory_budget_bytes=2**20)


def test_combined_shells_keep_order_and_shell_index():
    a = sc.walker(total=10, planes=2, phasing=1, altitude_km=550, inclination_deg=53)
    b = sc.walker(total=6, planes=3, phasing=1, altitude_km=1100, inclination_deg=30)
    c = a + b
    assert len(c) == 16
    assert list(np.unique(c.elements.shell)) == [0, 1]
    assert c.shells[1].start == 10 and c.shells[1].count == 6


@given(
    planes=st.integers(1, 20),
    per_plane=st.integers(1, 20),
    altitude_km=st.floats(300, 2000),
    inclination=st.floats(0, 180),
    data=st.data(),
)
@settings(max_examples=30, deadline=None)
def test_walker_altitude_property(planes, per_plane, altitude_km, inclination, data):
    phasing = data.draw(st.integers(0, planes - 1))
    c = sc.walker(
        total=planes * per_plane,
        planes=planes,
        phasing=phasing,
        altitude_km=altitude_km,
        inclination_deg=inclination,
    )
    eph = c.propagate(START, duration_s=0)
    radius = np.linalg.norm(eph.r_eci_m[0], axis=-1)
    # circular shells: SGP4 radius within 20 km of a = R + h (short-period J2 terms)
    assert np.all(np.abs(radius - EARTH_RADIUS_WGS72_M - altitude_km * 1e3) < 20e3)
