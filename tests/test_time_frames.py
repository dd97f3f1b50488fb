"""Time conversions and frames against independent references (sgp4.api.jday, astropy)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M, EARTH_POLAR_RADIUS_M
from spacecompute.astro.frames import (
    ecef_to_geodetic,
    ecef_to_teme,
    enu_basis,
    geodetic_to_ecef,
    teme_to_ecef,
)
from spacecompute.astro.timeutil import (
    datetime64_to_jd,
    gmst_rad,
    jd_to_datetime64,
    parse_time,
    time_grid,
)
from spacecompute.errors import InputError


def test_julian_date_matches_sgp4_jday():
    from sgp4.api import jday

    t = parse_time("2026-03-20T12:34:56.25Z")
    jd, fr = datetime64_to_jd(np.array([t]))
    ref_jd, ref_fr = jday(2026, 3, 20, 12, 34, 56.25)
    assert jd[0] + fr[0] == pytest.approx(ref_jd + ref_fr, abs=1e-11)


def test_j2000_epoch():
    jd, fr = datetime64_to_jd(np.array([np.datetime64("2000-01-01T12:00:00")]))
    assert jd[0] + fr[0] == 2451545.0


@given(st.integers(min_value=-2_000_000_000_000_000_000, max_value=4_000_000_000_000_000_000))
def test_julian_date_round_trip(ns):
    t = np.array([ns], dtype="datetime64[ns]")
    assert jd_to_datetime64(*datetime64_to_jd(t))[0] == t[0]


def test_parse_time_forms():
    ref = np.datetime64("2026-03-20T00:00:00", "ns")
    assert parse_time("2026-03-20T00:00:00Z") == ref
    assert parse_time("2026-03-20T00:00:00+00:00") == ref
    assert parse_time(dt.datetime(2026, 3, 20, tzinfo=dt.UTC)) == ref
    assert parse_time(dt.datetime(2026, 3, 20, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))) == ref
    assert parse_time(np.datetime64("2026-03-20")) == ref
    with pytest.raises(InputError, match="ISO-8601"):
        parse_time("yesterday")


def test_time_grid_includes_end_and_zero_duration_is_one_step():
    g = time_grid("2026-03-20T00:00:00Z", 120, 60)
    assert len(g) == 3 and (g[-1] - g[0]) == np.timedelta64(120, "s")
    assert len(time_grid("2026-03-20T00:00:00Z", 0, 60)) == 1
    with pytest.raises(InputError):
        time_grid("2026-03-20T00:00:00Z", 10, 0)


def test_gmst_against_vallado_example():
    # Vallado, Fundamentals of Astrodynamics, 4th ed., example 3-5: 1992-08-20 12:14 UT1
    # gives GMST = 152.578787810 deg.
    jd, fr = datetime64_to_jd(np.array([np.datetime64("1992-08-20T12:14:00")]))
    assert np.rad2deg(gmst_rad(jd, fr))[0] == pytest.approx(152.578787810, abs=1e-6)


def test_gmst_matches_sgp4_gstime():
    from sgp4.propagation import gstime

    t = time_grid("2026-01-01T00:00:00Z", 86400 * 30, 3607)
    jd, fr = datetime64_to_jd(t)
    ref = np.array([gstime(a + b) for a, b in zip(jd, fr, strict=True)])
    assert np.allclose(gmst_rad(jd, fr), ref, atol=1e-9)


def test_teme_to_itrs_against_astropy(astropy_offline):
    from astropy import units as u
    from astropy.coordinates import ITRS, TEME, CartesianDifferential, CartesianRepresentation
    from astropy.time import Time

    rng = np.random.default_rng(1)
    times = Time("2019-06-01T00:00:00", scale="utc") + np.arange(5) * 3.3 * u.day
    r = rng.normal(size=(5, 3))
    r = r / np.linalg.norm(r, axis=1, keepdims=True) * 7.0e6
    v = rng.normal(size=(5, 3)) * 5e3
    for k in range(5):
        teme = TEME(
            CartesianRepresentation(
                r[k] * u.m, differentials=CartesianDifferential(v[k] * u.m / u.s)
            ),
            obstime=times[k],
        )
        itrs = teme.transform_to(ITRS(obstime=times[k]))
        ref_r = itrs.cartesian.xyz.to_value(u.m)
        ref_v = itrs.velocity.d_xyz.to_value(u.m / u.s)
        # feed UT1 to isolate what we neglect on purpose: polar motion (< 20 m at 7,000 km)
        ut1 = times[k].ut1
        jd, fr = np.array([ut1.jd1]), np.array([ut1.jd2])
        mine_r, mine_v = teme_to_ecef(r[k][None, :], gmst_rad(jd, fr), v[k][None, :])
        assert np.linalg.norm(mine_r[0] - ref_r) < 20.0
        assert np.linalg.norm(mine_v[0] - ref_v) < 0.02


@given(st.floats(-7e7, 7e7), st.floats(-7e7, 7e7), st.floats(-7e7, 7e7), st.floats(0, 2 * np.pi))
@settings(max_examples=60)
def test_teme_ecef_round_trip(x, y, z, theta):
    r = np.array([[x, y, z]])
    v = np.array([[1e3, -2e3, 3e3]])
    re, ve = teme_to_ecef(r, np.array([theta]), v)
    rb, vb = ecef_to_teme(re, np.array([theta]), ve)
    assert np.allclose(rb, r, atol=1e-6) and np.allclose(vb, v, atol=1e-9)
    assert np.linalg.norm(re) == pytest.approx(np.linalg.norm(r), rel=1e-12, abs=1e-6)


def test_geodetic_known_points():
    r = geodetic_to_ecef(np.array([0.0, 90.0, 0.0]), np.array([0.0, 0.0, 90.0]), np.zeros(3))
    assert np.allclose(r[0], [EARTH_EQUATORIAL_RADIUS_M, 0, 0], atol=1e-6)
    assert np.allclose(r[1], [0, 0, EARTH_POLAR_RADIUS_M], atol=1e-6)
    assert np.allclose(r[2], [0, EARTH_EQUATORIAL_RADIUS_M, 0], atol=1e-6)


def test_geodetic_against_astropy():
    from astropy import units as u
    from astropy.coordinates import EarthLocation

    rng = np.random.default_rng(7)
    lat = rng.uniform(-90, 90, 200)
    lon = rng.uniform(-180, 180, 200)
    h = rng.uniform(-1e3, 4e7, 200)
    loc = EarthLocation.from_geodetic(lon * u.deg, lat * u.deg, h * u.m, ellipsoid="WGS84")
    ref = np.stack([loc.x.to_value(u.m), loc.y.to_value(u.m), loc.z.to_value(u.m)], axis=-1)
    assert np.allclose(geodetic_to_ecef(lat, lon, h), ref, atol=1e-6)
    lat2, lon2, h2 = ecef_to_geodetic(ref)
    assert np.allclose(lat2, lat, atol=1e-9)
    assert np.allclose(np.remainder(lon2 - lon + 180, 360) - 180, 0, atol=1e-9)
    assert np.allclose(h2, h, atol=1e-3)


def test_enu_basis_is_orthonormal_and_up_is_normal():
    b = enu_basis(np.array([10.0, -45.0]), np.array([20.0, 200.0]))
    for m in b:
        assert np.allclose(m @ m.T, np.eye(3), atol=1e-12)
    # up is the ellipsoid normal: a point 1 km up from the surface lies along it
    p0 = geodetic_to_ecef(10.0, 20.0, 0.0)
    p1 = geodetic_to_ecef(10.0, 20.0, 1000.0)
    assert np.allclose((p1 - p0) / 1000.0, b[0][2], atol=1e-9)
