"""Sun position, beta angle and sun-synchronous orbits against independent references.

References: astropy's built-in ephemeris (``get_body('sun', ..., ephemeris='builtin')``,
transformed to astropy's TEME frame, offline), published sun-synchronous missions, and closed
forms written out here.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest

from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M, MU_EARTH_M3_S2
from spacecompute.astro.eclipse import eclipse_fraction_cylindrical
from spacecompute.astro.sun import (
    SUN_SYNCHRONOUS_NODAL_RATE_RAD_S,
    beta_angle_from_elements,
    beta_angle_rad,
    dawn_dusk_raan_rad,
    sun_direction_eci,
    sun_position_eci_m,
    sun_right_ascension_rad,
    sun_synchronous_inclination_rad,
)
from spacecompute.astro.timeutil import time_grid

pytest.importorskip("astropy")

DEG = np.pi / 180.0


def _random_instants(n: int, seed: int) -> np.ndarray:
    lo = np.datetime64("2000-01-01T00:00:00", "ns").astype(np.int64)
    hi = np.datetime64("2050-12-31T00:00:00", "ns").astype(np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.integers(lo, hi, n)).astype("datetime64[ns]")


@functools.lru_cache(maxsize=8)
def _astropy_sun_teme_cached(key: bytes) -> np.ndarray:
    from astropy.coordinates import TEME, get_body
    from astropy.time import Time
    from astropy.utils import iers

    times = np.frombuffer(key, dtype="datetime64[ns]")
    with (
        iers.conf.set_temp("auto_download", False),
        iers.conf.set_temp("auto_max_age", None),
        iers.conf.set_temp("iers_degraded_accuracy", "ignore"),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter(
            "ignore"
        )  # ERFA "dubious year" for instants past the leap-second table
        t = Time(times, scale="utc")
        sun = get_body("sun", t, ephemeris="builtin").transform_to(TEME(obstime=t))
        return sun.cartesian.xyz.to_value("m").T.copy()


def astropy_sun_teme_m(times: np.ndarray) -> np.ndarray:
    """(T, 3) sun position in TEME from astropy's built-in ephemeris (apparent, geocentric)."""
    return _astropy_sun_teme_cached(np.ascontiguousarray(times, "datetime64[ns]").tobytes())


def _ra_dec_deg(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.rad2deg(np.arctan2(p[..., 1], p[..., 0])),
        np.rad2deg(np.arcsin(p[..., 2] / np.linalg.norm(p, axis=-1))),
    )


def test_sun_position_matches_astropy_2000_2050() -> None:
    times = _random_instants(400, seed=7)
    ref = astropy_sun_teme_m(times)
    mine = sun_position_eci_m(times)
    assert mine.shape == (400, 3)
    ra_ref, dec_ref = _ra_dec_deg(ref)
    ra, dec = _ra_dec_deg(mine)
    d_ra = (ra - ra_ref + 180.0) % 360.0 - 180.0
    # Astronomical Almanac, sec. C: 0.01 deg in right ascension and declination, 1950-2050
    assert np.abs(d_ra).max() < 0.01
    assert np.abs(dec - dec_ref).max() < 0.01
    cos_sep = (
        np.sum(ref * mine, axis=1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(mine, axis=1)
    )
    sep_deg = np.rad2deg(np.arccos(np.clip(cos_sep, -1.0, 1.0)))
    assert sep_deg.max() < 0.011
    assert sep_deg.mean() < 0.005
    rel = np.linalg.norm(mine, axis=1) / np.linalg.norm(ref, axis=1) - 1.0
    assert np.abs(rel).max() < 2e-4  # brief: 0.1 %; the Almanac formula does 1e-4


def test_sun_direction_is_unit_position_direction() -> None:
    times = _random_instants(50, seed=3)
    p = sun_position_eci_m(times)
    u = sun_direction_eci(times)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-15)
    np.testing.assert_allclose(u, p / np.linalg.norm(p, axis=1, keepdims=True), atol=1e-15)
    # scalar instant
    assert sun_position_eci_m(np.datetime64("2026-03-20T14:46:00")).shape == (3,)
    assert sun_direction_eci("2026-03-20T14:46:00Z").shape == (3,)


def test_sun_at_march_equinox_2026() -> None:
    # USNO "Earth's Seasons": March equinox 2026-03-20 14:46 UTC (sun crosses the equator
    # northwards, at right ascension 0); the sun's declination moves 0.0165 deg per hour then
    _, dec = _ra_dec_deg(sun_position_eci_m(np.datetime64("2026-03-20T14:46:00")))
    assert abs(dec) < 0.015
    ra = np.rad2deg(sun_right_ascension_rad(np.datetime64("2026-03-20T14:46:00")))
    assert min(ra, 360.0 - ra) < 0.04


def test_sun_synchronous_inclination_published_values() -> None:
    r = EARTH_EQUATORIAL_RADIUS_M
    inc = np.rad2deg(sun_synchronous_inclination_rad(r + np.array([550e3, 650e3, 693e3, 705e3])))
    # Brief / SMAD-style values: 97.6 deg at 550 km, 97.98 deg at 650 km
    assert inc[0] == pytest.approx(97.6, abs=0.02)
    assert inc[1] == pytest.approx(97.98, abs=0.02)
    # ESA Sentinel-1 User Handbook (2013): 693 km, 98.18 deg
    assert inc[2] == pytest.approx(98.18, abs=0.03)
    # USGS Landsat 8 Data Users Handbook (2019): 705 km, 98.2 deg
    assert inc[3] == pytest.approx(98.2, abs=0.03)
    # Published rule of thumb for circular orbits, cos(i) = -(a / 12,352 km)^(7/2)
    # (Wikipedia, "Sun-synchronous orbit", from the same J2 theory with rounded constants)
    a = r + np.linspace(300e3, 1500e3, 13)
    np.testing.assert_allclose(
        np.rad2deg(sun_synchronous_inclination_rad(a)),
        np.rad2deg(np.arccos(-((a / 12352e3) ** 3.5))),
        atol=0.01,
    )
    # eccentricity enters through p = a (1 - e^2): cos(i) scales with (1 - e^2)^2
    np.testing.assert_allclose(
        np.cos(sun_synchronous_inclination_rad(r + 700e3, 0.1)),
        np.cos(sun_synchronous_inclination_rad(r + 700e3)) * (1 - 0.1**2) ** 2,
        rtol=1e-12,
    )
    # no sun-synchronous orbit above about 12,352 km
    assert np.isnan(sun_synchronous_inclination_rad(13000e3))


def _orbit_states(radius_m: float, normal: np.ndarray, phases_rad: np.ndarray):
    """Circular orbit states with a given unit normal, at the given phases (N,)."""
    normal = normal / np.linalg.norm(normal)
    trial = np.array([1.0, 0.0, 0.0]) if abs(normal[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    u1 = np.cross(normal, trial)
    u1 /= np.linalg.norm(u1)
    u2 = np.cross(normal, u1)
    c, s = np.cos(phases_rad)[:, None], np.sin(phases_rad)[:, None]
    speed = np.sqrt(MU_EARTH_M3_S2 / radius_m)
    return radius_m * (c * u1 + s * u2), speed * (-s * u1 + c * u2)


def test_beta_angle_of_constructed_orbits() -> None:
    rng = np.random.default_rng(11)
    n_t, n = 4, 30
    sun = rng.normal(size=(n_t, 3)) * 1.5e11
    beta_true = rng.uniform(-89.0, 89.0, size=(n_t, n)) * DEG
    r = np.empty((n_t, n, 3))
    v = np.empty((n_t, n, 3))
    for t in range(n_t):
        s_hat = sun[t] / np.linalg.norm(sun[t])
        e = np.cross(s_hat, rng.normal(size=3))
        e /= np.linalg.norm(e)
        for k in range(n):
            normal = np.sin(beta_true[t, k]) * s_hat + np.cos(beta_true[t, k]) * e
            rr, vv = _orbit_states(7e6, normal, rng.uniform(0, 2 * np.pi, 1))
            r[t, k], v[t, k] = rr[0], vv[0]
    beta = beta_angle_rad(r, v, sun)
    np.testing.assert_allclose(beta, beta_true, atol=1e-9)
    # (N, 3) states with one sun vector
    np.testing.assert_allclose(beta_angle_rad(r[0], v[0], sun[0]), beta_true[0], atol=1e-9)
    # NaN state gives NaN
    r[1, 2] = np.nan
    assert np.isnan(beta_angle_rad(r, v, sun)[1, 2])


def test_beta_from_elements_against_states_and_astropy_sun() -> None:
    times = _random_instants(40, seed=5)
    rng = np.random.default_rng(2)
    raan = rng.uniform(0, 2 * np.pi, 25)
    inc = rng.uniform(0, np.pi, 25)
    beta_el = beta_angle_from_elements(raan, inc, times)
    assert beta_el.shape == (40, 25)
    # states from the elements (perifocal P, Q of a circular orbit, argument of latitude u)
    p_vec = np.stack([np.cos(raan), np.sin(raan), np.zeros(25)], axis=-1)
    q_vec = np.stack([-np.cos(inc) * np.sin(raan), np.cos(inc) * np.cos(raan), np.sin(inc)], -1)
    u = rng.uniform(0, 2 * np.pi, (40, 25, 1))
    r = 7e6 * (np.cos(u) * p_vec + np.sin(u) * q_vec)
    v = 7.5e3 * (-np.sin(u) * p_vec + np.cos(u) * q_vec)
    beta_ref = beta_angle_rad(r, v, astropy_sun_teme_m(times))
    # the two differ only by the Almanac's sun error (0.011 deg)
    assert np.abs(beta_el - beta_ref).max() < 0.011 * DEG
    # a drifting node: equal to evaluating each instant with its own node
    rate = 2e-7
    drift = beta_angle_from_elements(raan[:3], inc[:3], times[:5], raan_rate_rad_s=rate)
    dt = (times[:5] - times[0]).astype(np.int64) / 1e9
    for k in range(5):
        np.testing.assert_allclose(
            drift[k], beta_angle_from_elements(raan[:3] + rate * dt[k], inc[:3], times[k])[0]
        )


def test_dawn_dusk_raan_puts_normal_at_the_sun() -> None:
    times = _random_instants(30, seed=9)
    ref = astropy_sun_teme_m(times)
    ra_ref, dec_ref = _ra_dec_deg(ref)
    raan_dusk = dawn_dusk_raan_rad(times)
    d = (np.rad2deg(raan_dusk) - ra_ref - 90.0 + 180.0) % 360.0 - 180.0
    assert np.abs(d).max() < 0.011  # LTAN 18:00: node 6 h east of the sun
    raan_dawn = dawn_dusk_raan_rad(times, ltan_hours=6.0)
    d = (np.rad2deg(raan_dawn) - ra_ref + 90.0 + 180.0) % 360.0 - 180.0
    assert np.abs(d).max() < 0.011
    # a polar orbit (i = 90 deg): its normal lies in the equator at the sun's right ascension,
    # so beta = 90 deg - |declination| (dusk) and -(90 deg - |declination|) (dawn)
    beta_dusk = np.array(
        [
            beta_angle_from_elements(o, np.pi / 2, t)[0]
            for o, t in zip(raan_dusk, times, strict=True)
        ]
    )
    beta_dawn = np.array(
        [
            beta_angle_from_elements(o, np.pi / 2, t)[0]
            for o, t in zip(raan_dawn, times, strict=True)
        ]
    )
    np.testing.assert_allclose(np.rad2deg(beta_dusk), 90.0 - np.abs(dec_ref), atol=0.011)
    np.testing.assert_allclose(np.rad2deg(beta_dawn), -(90.0 - np.abs(dec_ref)), atol=0.011)
    with pytest.raises(Exception, match="ltan_hours"):
        dawn_dusk_raan_rad(times[0], ltan_hours=10.5)


@pytest.mark.parametrize(
    ("ltan_hours", "start", "solstice"),
    [(18.0, "2026-01-01T00:00:00Z", "2026-06-21"), (6.0, "2026-07-01T00:00:00Z", "2026-12-21")],
)
def test_dawn_dusk_sso_650km_eclipse_season(ltan_hours: float, start: str, solstice: str) -> None:
    """Dawn-dusk SSO at 650 km over a year: a node that follows the mean sun (J2 drift at the
    sun-synchronous rate), beta from the elements, eclipse fraction from the closed form."""
    h = 650e3
    a = EARTH_EQUATORIAL_RADIUS_M + h
    inc = sun_synchronous_inclination_rad(a)
    times = time_grid(start, 365 * 86400.0, 86400.0 / 4)
    raan0 = dawn_dusk_raan_rad(times[0], ltan_hours)
    beta = beta_angle_from_elements(raan0, inc, times, SUN_SYNCHRONOUS_NODAL_RATE_RAD_S)
    assert np.all(np.sign(beta) == (1 if ltan_hours == 18.0 else -1))
    f = eclipse_fraction_cylindrical(h, beta)
    days = np.flatnonzero(f > 0)
    assert days.size > 0
    assert np.all(np.diff(days) == 1)  # one season
    season_d = days.size / 4
    # Closed-form geometry: the orbit normal sits (i - 90) deg from the equator on the far side
    # from the summer sun, so at the solstice |beta| = 90 - (23.44 + i - 90) = 58.6 deg, below
    # beta* = asin(R / (R + h)) = 65.2 deg: eclipses of up to ~20 min for ~3 months only.
    beta_min = 90.0 - (23.44 + np.rad2deg(inc) - 90.0)
    assert np.rad2deg(np.abs(beta)).min() == pytest.approx(beta_min, abs=0.3)
    peak = times[np.argmax(f)]
    assert abs((peak - np.datetime64(solstice)) / np.timedelta64(1, "D")) < 5
    centre = times[days[0]] + (times[days[-1]] - times[days[0]]) / 2
    assert abs((centre - np.datetime64(solstice)) / np.timedelta64(1, "D")) < 8
    assert 70 < season_d < 110
    period_s = 2 * np.pi * np.sqrt(a**3 / MU_EARTH_M3_S2)
    f_peak = eclipse_fraction_cylindrical(h, beta_min * DEG)
    assert f.max() * period_s / 60 == pytest.approx(f_peak * period_s / 60, abs=0.5)
    assert 18.0 < f.max() * period_s / 60 < 21.0
