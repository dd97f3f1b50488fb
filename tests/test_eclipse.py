"""Earth shadow models and eclipse events against closed-form geometry.

Orbits are built analytically here (circles of radius R + h in a plane at a chosen beta angle to
a fixed sun), and the results are compared with closed forms written out in the tests: the
cylindrical eclipse fraction, the penumbra crossing time from the sun's apparent radius, the
umbra and penumbra cones, and the GEO equinox eclipse.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from spacecompute.astro.constants import (
    AU_M,
    EARTH_EQUATORIAL_RADIUS_M,
    MU_EARTH_M3_S2,
    SUN_RADIUS_M,
)
from spacecompute.astro.eclipse import (
    eclipse_events,
    eclipse_events_from_ephemeris,
    eclipse_fraction_cylindrical,
    sunlit_fraction,
    sunlit_fraction_from_positions,
)
from spacecompute.astro.ephemeris import Ephemeris
from spacecompute.astro.sun import beta_angle_rad, sun_position_eci_m

R_E = EARTH_EQUATORIAL_RADIUS_M
DEG = np.pi / 180.0
SUN_HAT = np.array([0.3, -0.8, 0.52]) / np.linalg.norm([0.3, -0.8, 0.52])


def orbit_basis(s_hat: np.ndarray, beta_rad: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(normal, u1, u2) of an orbit plane at beta to ``s_hat``; u1 is the point nearest the
    anti-sun direction, so that cos(angle(r, -s_hat)) = cos(theta) cos(beta) at phase theta."""
    e = np.cross(s_hat, [0.0, 0.0, 1.0])
    e /= np.linalg.norm(e)
    normal = np.sin(beta_rad) * s_hat + np.cos(beta_rad) * e
    u1 = -np.cos(beta_rad) * s_hat + np.sin(beta_rad) * e
    u2 = np.cross(normal, u1)
    return normal, u1, u2


def circular_orbits(
    radii_m: np.ndarray, betas_rad: np.ndarray, theta_rad: np.ndarray, s_hat: np.ndarray = SUN_HAT
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and velocities (T, N, 3) on circles at phases theta (T,), one per (radius, beta)."""
    n = len(radii_m)
    r = np.empty((len(theta_rad), n, 3))
    v = np.empty_like(r)
    c = np.cos(theta_rad)[:, None]
    s = np.sin(theta_rad)[:, None]
    for k in range(n):
        _, u1, u2 = orbit_basis(s_hat, betas_rad[k])
        r[:, k] = radii_m[k] * (c * u1 + s * u2)
        v[:, k] = np.sqrt(MU_EARTH_M3_S2 / radii_m[k]) * (-s * u1 + c * u2)
    return r, v


ALTS_M = np.array([300e3, 550e3, 1000e3, 2000e3])
BETAS_DEG = np.array([0.0, 15.0, 30.0, 45.0, 60.0, 70.0, 80.0])
N_STEPS = 7200


@pytest.fixture(scope="module")
def grid_orbits():
    alt = np.repeat(ALTS_M, len(BETAS_DEG))
    beta = np.tile(BETAS_DEG, len(ALTS_M)) * DEG
    theta = np.linspace(-np.pi, np.pi, N_STEPS, endpoint=False) + 0.37 * 2 * np.pi / N_STEPS
    r, v = circular_orbits(R_E + alt, beta, theta)
    sun = np.tile(SUN_HAT * AU_M, (N_STEPS, 1))
    return alt, beta, theta, r, v, sun


def test_cylindrical_fraction_matches_closed_form(grid_orbits) -> None:
    alt, beta, _, r, v, sun = grid_orbits
    np.testing.assert_allclose(
        beta_angle_rad(r, v, sun), np.broadcast_to(beta, r.shape[:2]), atol=1e-12
    )
    cyl = sunlit_fraction_from_positions(r, sun, "cylindrical")
    assert cyl.dtype == np.float32 and cyl.shape == r.shape[:2]
    assert set(np.unique(cyl)) <= {0.0, 1.0}
    measured = np.mean(cyl == 0.0, axis=0)
    expected = eclipse_fraction_cylindrical(alt, beta)
    np.testing.assert_allclose(measured, expected, atol=2.0 / N_STEPS)
    # the closed form itself: beta = 0 reduces to asin(R / (R + h)) / pi; zero above beta*
    np.testing.assert_allclose(
        eclipse_fraction_cylindrical(alt, 0.0), np.arcsin(R_E / (R_E + alt)) / np.pi, rtol=1e-12
    )
    assert expected[(alt == 2000e3) & (beta > 50 * DEG)].max() == 0.0  # beta* = 49.6 deg
    assert expected[(alt == 300e3) & (beta == 70 * DEG)][0] > 0.0  # beta* = 72.7 deg


def test_conical_brackets_cylindrical(grid_orbits) -> None:
    alt, beta, _, r, _, sun = grid_orbits
    cyl = sunlit_fraction_from_positions(r, sun, "cylindrical")
    con = sunlit_fraction_from_positions(r, sun, "conical")
    assert np.all((con >= 0.0) & (con <= 1.0))
    # umbra lies inside the shadow cylinder, which lies inside umbra + penumbra
    assert np.all(cyl[con == 0.0] == 0.0)
    assert np.all(con[cyl == 0.0] < 1.0)
    assert np.all(con[cyl == 1.0] > 0.0)
    umbra = np.mean(con == 0.0, axis=0)
    penumbra = np.mean((con > 0.0) & (con < 1.0), axis=0)
    f_cyl = eclipse_fraction_cylindrical(alt, beta)
    shadowed = f_cyl > 0.02
    assert np.all(penumbra[shadowed] > 0.0)
    # umbra + half the penumbra is the cylindrical eclipse, to a fraction of the penumbra
    np.testing.assert_array_less(
        np.abs(umbra + penumbra / 2 - f_cyl)[shadowed], 0.1 * penumbra[shadowed] + 2.0 / N_STEPS
    )
    # the mean sunlit fraction over an orbit is 1 - cylindrical eclipse fraction, to the same order
    np.testing.assert_array_less(
        np.abs(con.mean(axis=0) - (1.0 - f_cyl))[shadowed], 0.1 * penumbra[shadowed] + 2.0 / N_STEPS
    )


def _penumbra_closed_form_s(alt_m: float, beta_rad: float) -> tuple[float, float]:
    """Penumbra crossing time for a sun at infinity: the sun's centre is c = phi from the
    Earth's centre as seen from the satellite, where cos(phi) = cos(theta) cos(beta); the
    penumbra spans b - a < c < b + a, with a = asin(R_sun / 1 AU), b = asin(R / r)."""
    radius = R_E + alt_m
    a = np.arcsin(SUN_RADIUS_M / AU_M)
    b = np.arcsin(R_E / radius)
    n = np.sqrt(MU_EARTH_M3_S2 / radius**3)
    theta_out = np.arccos(np.cos(b + a) / np.cos(beta_rad))
    theta_in = np.arccos(np.cos(b - a) / np.cos(beta_rad))
    theta_half = np.arccos(np.cos(b) / np.cos(beta_rad))
    return (theta_out - theta_in) / n, theta_half / n


@pytest.mark.parametrize("beta_deg", [0.0, 30.0, 60.0])
def test_penumbra_duration_and_monotonicity_500km(beta_deg: float) -> None:
    alt = 500e3
    radius = R_E + alt
    n = np.sqrt(MU_EARTH_M3_S2 / radius**3)
    expected_s, half_s = _penumbra_closed_form_s(alt, beta_deg * DEG)
    dt = 0.005
    t = np.arange(-half_s - expected_s - 5.0, -half_s + expected_s + 5.0, dt)  # entry side
    r, _ = circular_orbits(np.array([radius]), np.array([beta_deg * DEG]), n * t)
    sun = np.tile(SUN_HAT * AU_M, (len(t), 1))
    con = sunlit_fraction_from_positions(r, sun, "conical")[:, 0].astype(np.float64)
    in_penumbra = (con > 0.0) & (con < 1.0)
    measured_s = in_penumbra.sum() * dt
    assert measured_s == pytest.approx(expected_s, rel=0.01, abs=2 * dt)
    if beta_deg == 0.0:
        assert 8.0 < measured_s < 10.0  # 2 a / n = 8.4 s at 500 km
    # the visible fraction only falls on the way in (float32 rounding allowed)
    assert np.all(np.diff(con) <= 1e-6)
    assert con[0] == 1.0 and con[-1] == 0.0
    # and only rises on the way out (mirror image)
    r_out, _ = circular_orbits(np.array([radius]), np.array([beta_deg * DEG]), -n * t[::-1])
    con_out = sunlit_fraction_from_positions(r_out, sun, "conical")[:, 0].astype(np.float64)
    assert np.all(np.diff(con_out) >= -1e-6)
    # the half-light instant is the cylinder's edge, to 2 % of the penumbra
    t_half = t[np.argmin(np.abs(con - 0.5))]
    assert abs(t_half - (-half_s)) < 0.02 * expected_s + dt


def test_satellites_on_the_sun_side_are_lit() -> None:
    rng = np.random.default_rng(4)
    u = rng.normal(size=(2000, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    u[u @ SUN_HAT < 0] *= -1.0  # sun hemisphere
    r = (u * rng.uniform(R_E + 200e3, 5e8, (2000, 1)))[None]
    sun = (SUN_HAT * AU_M)[None]
    assert np.all(sunlit_fraction_from_positions(r, sun, "conical") == 1.0)
    assert np.all(sunlit_fraction_from_positions(r, sun, "cylindrical") == 1.0)


def test_geo_equinox_eclipse_about_72_min() -> None:
    """GEO at the March equinox 2026 (USNO: 2026-03-20 14:46 UTC): the longest eclipses of the
    year, about 70 min of umbra and 72 min in all (e.g. Soop, Handbook of Geostationary Orbits,
    1994)."""
    sidereal_day_s = 86164.0905
    radius = (MU_EARTH_M3_S2 * (sidereal_day_s / (2 * np.pi)) ** 2) ** (1 / 3)
    step_s = 2.0
    t_s = np.arange(0.0, sidereal_day_s, step_s)
    times = np.datetime64("2026-03-20T02:46:00", "ns") + (t_s * 1e9).astype("timedelta64[ns]")
    sun = sun_position_eci_m(times)
    omega = 2 * np.pi / sidereal_day_s
    lon = omega * t_s
    r = np.stack([np.cos(lon), np.sin(lon), np.zeros_like(lon)], axis=-1)[:, None, :] * radius
    con = sunlit_fraction_from_positions(r, sun, "conical")[:, 0]
    shadow_min = np.sum(con < 1.0) * step_s / 60
    umbra_min = np.sum(con == 0.0) * step_s / 60
    assert 70.0 < shadow_min < 73.0
    assert 66.0 < umbra_min < 70.0
    # closed form for the sun's declination at midnight of the orbit (sun at infinity)
    k = np.argmin(con)
    v = np.cross([0.0, 0.0, 1.0], r[k, 0]) * omega
    beta = beta_angle_rad(r[k], v[None], sun[k])[0]
    a = np.arcsin(SUN_RADIUS_M / np.linalg.norm(sun[k]))
    b = np.arcsin(R_E / radius)
    total_s = 2 * np.arccos(np.cos(b + a) / np.cos(beta)) / omega
    full_s = 2 * np.arccos(np.cos(b - a) / np.cos(beta)) / omega
    assert shadow_min * 60 == pytest.approx(total_s, abs=2 * step_s + 10.0)
    assert umbra_min * 60 == pytest.approx(full_s, abs=2 * step_s + 10.0)
    # cylindrical: between umbra and umbra + penumbra
    cyl_min = np.sum(sunlit_fraction_from_positions(r, sun, "cylindrical") == 0.0) * step_s / 60
    assert umbra_min <= cyl_min <= shadow_min


unit = st.tuples(*[st.floats(-1.0, 1.0)] * 3).filter(lambda x: 0.1 < np.linalg.norm(x))


@settings(max_examples=400, deadline=None)
@given(
    x_m=st.floats(-4e8, 2e7),
    rho_m=st.floats(0.0, 1.5 * R_E),
    azimuth_rad=st.floats(0.0, 2 * np.pi),
    sun_dir=unit,
    sun_distance_au=st.floats(0.983, 1.017),
)
def test_shadow_invariants(x_m, rho_m, azimuth_rad, sun_dir, sun_distance_au) -> None:
    """Invariants from cone geometry, computed here independently of the kernels:
    - outside the penumbral cone (internal tangents of sun and Earth, apex between them) the
      whole sun is visible;
    - inside the umbral cone (external tangents) and behind the Earth none of it is;
    - the shadow cylinder lies between the two.
    Satellites are drawn by distance along the Earth-sun line and off it, so that the shadow
    and its edges are well sampled."""
    assume(np.hypot(x_m, rho_m) > R_E + 100e3)
    s_hat = np.asarray(sun_dir) / np.linalg.norm(sun_dir)
    d_sun = sun_distance_au * AU_M
    e1 = np.cross(s_hat, [0.0, 0.0, 1.0] if abs(s_hat[2]) < 0.9 else [1.0, 0.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(s_hat, e1)
    r = x_m * s_hat + rho_m * (np.cos(azimuth_rad) * e1 + np.sin(azimuth_rad) * e2)
    sun = (s_hat * d_sun)[None]
    con = float(sunlit_fraction_from_positions(r[None, None], sun, "conical")[0, 0])
    cyl = float(sunlit_fraction_from_positions(r[None, None], sun, "cylindrical")[0, 0])
    assert 0.0 <= con <= 1.0
    assert cyl in (0.0, 1.0)
    event("umbra" if con == 0.0 else "lit" if con == 1.0 else "penumbra")
    x = r @ s_hat  # along the sun direction
    rho = np.linalg.norm(r - x * s_hat)  # distance from the Earth-sun line
    # penumbral cone: apex at x_p towards the sun, half-angle asin((R_sun + R) / d)
    x_p = d_sun * R_E / (SUN_RADIUS_M + R_E)
    alpha_p = np.arcsin((SUN_RADIUS_M + R_E) / d_sun)
    angle_p = np.arctan2(rho, x_p - x)  # angle off the cone axis, seen from the apex
    if angle_p > alpha_p * (1 + 1e-6) or x > R_E:
        assert con == 1.0
    # umbral cone: apex at x_u behind the Earth, half-angle asin((R_sun - R) / d)
    x_u = -d_sun * R_E / (SUN_RADIUS_M - R_E)
    alpha_u = np.arcsin((SUN_RADIUS_M - R_E) / d_sun)
    angle_u = np.arctan2(rho, x - x_u)
    if x < -R_E * np.sin(alpha_u) - 1e3 and x > x_u and angle_u < alpha_u * (1 - 1e-6):
        assert con == 0.0
    if cyl == 0.0:
        assert con < 1.0
    if con == 0.0:
        assert cyl == 0.0


def test_nan_positions_out_and_dtypes() -> None:
    rng = np.random.default_rng(8)
    r = rng.normal(size=(3, 50, 3)) * 7e6
    r[1, 7] = np.nan
    sun = np.tile(SUN_HAT * AU_M, (3, 1))
    for model in ("conical", "cylindrical"):
        f = sunlit_fraction_from_positions(r, sun, model)
        assert np.isnan(f[1, 7]) and np.isfinite(np.delete(f.ravel(), 57)).all()
        out = np.full((3, 50), -1.0, dtype=np.float32)
        assert sunlit_fraction_from_positions(r, sun, model, out=out) is out
        np.testing.assert_array_equal(out, f)
        single = sunlit_fraction_from_positions(r[0], sun[0], model)
        np.testing.assert_array_equal(single, f[0])
        f32 = sunlit_fraction_from_positions(r.astype(np.float32), sun, model)
        assert np.mean(np.abs(f32 - f)[np.isfinite(f)] < 1e-3) > 0.99
    # inside the shadowing sphere: dark
    assert sunlit_fraction_from_positions(np.array([[SUN_HAT * 6e6]]), sun[:1])[0, 0] == 0.0
    with pytest.raises(ValueError):
        sunlit_fraction_from_positions(r, sun, "flat")
    # a larger shadowing sphere (atmosphere) lengthens the eclipse
    theta = np.linspace(-np.pi, np.pi, 3600, endpoint=False)
    ro, _ = circular_orbits(np.array([R_E + 500e3]), np.array([0.0]), theta)
    sun_t = np.tile(SUN_HAT * AU_M, (3600, 1))
    base = np.sum(sunlit_fraction_from_positions(ro, sun_t, "cylindrical") == 0)
    grazing = np.sum(
        sunlit_fraction_from_positions(ro, sun_t, "cylindrical", earth_radius_m=R_E + 50e3) == 0
    )
    expected = (np.arcsin((R_E + 50e3) / (R_E + 500e3)) - np.arcsin(R_E / (R_E + 500e3))) / np.pi
    assert (grazing - base) / 3600 == pytest.approx(expected, abs=2 / 3600)


def _ramp_series(t_s: np.ndarray, centre_s: float, half_width_s: float, ramp_s: float):
    """Piecewise-linear sunlit fraction: 0.5 exactly at centre +- half_width, linear over ramp_s."""
    return np.clip((np.abs(t_s - centre_s) - half_width_s) / ramp_s + 0.5, 0.0, 1.0)


def test_eclipse_events_constructed_series() -> None:
    step = 10.0
    t_s = np.arange(0.0, 1000.0 + step / 2, step)
    t0 = np.datetime64("2026-01-01T00:00:00", "ns")
    times = t0 + (t_s * 1e9).astype("timedelta64[ns]")
    n_t = len(t_s)
    s = np.ones((n_t, 6))
    s[:, 0] = _ramp_series(t_s, 333.3, 77.7, 40.0)  # one window 255.6 .. 411.0 s
    s[:, 1] = np.minimum(  # cut by the start and by the end
        _ramp_series(t_s, -50.0, 91.1, 40.0), _ramp_series(t_s, 1040.0, 73.4, 40.0)
    )
    s[:, 2] = np.minimum(  # two windows
        _ramp_series(t_s, 200.0, 44.4, 30.0), _ramp_series(t_s, 700.0, 150.15, 30.0)
    )
    # s[:, 3] never eclipsed
    s[:, 4] = np.where((t_s >= 500.0) & (t_s <= 620.0), 0.0, 1.0)  # 0/1: midpoints
    s[:, 5] = _ramp_series(t_s, 600.0, 200.0, 40.0)
    s[60, 5] = np.nan  # invalid sample inside the window splits it
    names = np.array(["a", "b", "c", "d", "e", "f"])
    ev = eclipse_events(times, s.astype(np.float32), names)
    assert list(ev.columns) == [
        "satellite", "name", "start", "end", "duration_s", "min_sunlit", "starts_before", "ends_after"
    ]  # fmt: skip
    sec = (ev["start"] - t0) / np.timedelta64(1, "ns") / 1e9
    end = (ev["end"] - t0) / np.timedelta64(1, "ns") / 1e9
    expected = [  # satellite, start, end, starts_before, ends_after
        (0, 333.3 - 77.7, 333.3 + 77.7, False, False),
        (1, 0.0, -50.0 + 91.1, True, False),
        (1, 1040.0 - 73.4, 1000.0, False, True),
        (2, 200.0 - 44.4, 200.0 + 44.4, False, False),
        (2, 700.0 - 150.15, 700.0 + 150.15, False, False),
        (4, 495.0, 625.0, False, False),
        (5, 400.0, 590.0, False, True),
        (5, 610.0, 800.0, True, False),
    ]
    assert len(ev) == len(expected)
    for k, (sat, a, b, before, after) in enumerate(expected):
        assert ev["satellite"][k] == sat and ev["name"][k] == names[sat]
        assert sec[k] == pytest.approx(a, abs=1e-6) and end[k] == pytest.approx(b, abs=1e-6)
        assert ev["starts_before"][k] == before and ev["ends_after"][k] == after
        assert ev["duration_s"][k] == pytest.approx(b - a, abs=1e-6)
    # depth: the lowest sample of each window
    assert ev["min_sunlit"][0] == 0.0  # samples 280 .. 390 s are at 0
    assert ev["min_sunlit"][3] == pytest.approx(0.0, abs=1e-7)
    shallow = eclipse_events(times, _ramp_series(t_s, 500.0, 5.0, 40.0)[:, None])
    assert len(shallow) == 1
    assert shallow["min_sunlit"][0] == pytest.approx(0.5 - 5.0 / 40.0, abs=1e-12)
    assert shallow["name"][0] == "0"
    # small blocks give the same table
    blocked = eclipse_events(times, s.astype(np.float32), names, max_block_samples=150)
    for key in ev.columns:
        np.testing.assert_array_equal(blocked[key], ev[key])
    # threshold: below 0.2 only
    ev02 = eclipse_events(times, s[:, :1], threshold=0.2)
    assert (ev02["start"][0] - t0) / np.timedelta64(1, "ns") / 1e9 == pytest.approx(
        333.3 - 77.7 + 12.0, abs=1e-6
    )
    assert len(eclipse_events(times, np.ones((n_t, 3)))) == 0


def test_eclipse_events_on_circular_orbits(grid_orbits) -> None:
    alt, beta, theta, r, _, sun = grid_orbits
    radius = R_E + alt
    cyl = sunlit_fraction_from_positions(r, sun, "cylindrical")
    # the same phases as times of one orbit of each radius differ per orbit: use one radius
    for k in np.flatnonzero(alt == 550e3):
        period_s = 2 * np.pi * np.sqrt(radius[k] ** 3 / MU_EARTH_M3_S2)
        t_ns = ((theta - theta[0]) / (2 * np.pi) * period_s * 1e9).astype(np.int64)
        times = np.datetime64("2026-01-01", "ns") + t_ns.astype("timedelta64[ns]")
        ev = eclipse_events(times, cyl[:, k : k + 1])
        f = eclipse_fraction_cylindrical(alt[k], beta[k])
        if f == 0:
            assert len(ev) == 0
            continue
        assert len(ev) == 1 and not ev["starts_before"][0] and not ev["ends_after"][0]
        assert ev["duration_s"][0] == pytest.approx(f * period_s, abs=period_s / N_STEPS)
        # centred on theta = 0 (midnight of the orbit)
        mid = ev["start"][0] + (ev["end"][0] - ev["start"][0]) / 2
        t_mid = times[0] + np.timedelta64(int(-theta[0] / (2 * np.pi) * period_s * 1e9), "ns")
        assert abs((mid - t_mid) / np.timedelta64(1, "ns") / 1e9) < period_s / N_STEPS


def test_ephemeris_conveniences() -> None:
    t0 = np.datetime64("2026-06-01T00:00:00", "ns")
    radius = R_E + 600e3
    period_s = 2 * np.pi * np.sqrt(radius**3 / MU_EARTH_M3_S2)
    t_s = np.arange(0.0, 2 * period_s, 5.0)
    times = t0 + (t_s * 1e9).astype("timedelta64[ns]")
    s_hat = sun_position_eci_m(t0) / np.linalg.norm(sun_position_eci_m(t0))
    betas = np.array([0.0, 40.0, 75.0]) * DEG
    r, v = circular_orbits(np.full(3, radius), betas, 2 * np.pi * t_s / period_s, s_hat)
    valid = np.ones(r.shape[:2], dtype=bool)
    valid[10, 1] = False
    eph = Ephemeris(times, r, v, names=np.array(["x", "y", "z"]), valid=valid)
    f = sunlit_fraction(eph, "conical")
    direct = sunlit_fraction_from_positions(r, sun_position_eci_m(times), "conical")
    assert np.isnan(f[10, 1])
    f[10, 1] = direct[10, 1]
    np.testing.assert_array_equal(f, direct)
    ev = eclipse_events_from_ephemeris(eph, "cylindrical")
    # beta 0 and 40 deg are eclipsed once per orbit (the sun moves 0.08 deg in 3 h); 75 is not
    assert set(ev["name"]) == {"x", "y"}
    full = ~ev["starts_before"] & ~ev["ends_after"]
    for name, b in (("x", betas[0]), ("y", betas[1])):
        d = ev["duration_s"][full & (ev["name"] == name)]
        assert d.size >= 1
        np.testing.assert_allclose(d, eclipse_fraction_cylindrical(600e3, b) * period_s, atol=15.0)


def test_shadow_margin_locates_eclipse_edges_at_coarse_steps():
    """Entry and exit from 60 s samples with the margin agree with a 0.5 s reference run."""
    import spacecompute as sc
    from spacecompute.astro.eclipse import eclipse_events, shadow_margin_m

    c = sc.walker(total=3, planes=3, phasing=0, altitude_km=550, inclination_deg=53)
    start = "2026-03-20T00:00:00Z"

    def events(step, margin):
        eph = c.propagate(start, duration_s=4 * 3600, step_s=step)
        sun = sun_position_eci_m(eph.times)
        lit = sunlit_fraction_from_positions(eph.r_eci_m, sun, "cylindrical")
        m = shadow_margin_m(eph.r_eci_m, sun) if margin else None
        ev = eclipse_events(eph.times, lit, margin=m)
        keep = ~(ev["starts_before"] | ev["ends_after"])
        return ev["start"][keep], ev["end"][keep]

    ref_start, ref_end = events(0.5, margin=False)
    start60, end60 = events(60.0, margin=True)
    assert len(ref_start) == len(start60) > 0
    err = np.abs(np.concatenate([start60 - ref_start, end60 - ref_end]).astype(np.int64)) / 1e9
    assert err.max() < 2.0
    plain_start, _ = events(60.0, margin=False)
    assert np.abs((plain_start - ref_start).astype(np.int64)).max() / 1e9 > err.max()
