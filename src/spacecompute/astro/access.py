"""Ground-station access: look angles and contact windows.

Geometry
--------
The line of sight ``d = r_sat - r_station`` (Earth-fixed, m) is projected on the station's
local east / north / up unit vectors, ``up`` being the normal of the WGS84 ellipsoid (geodetic
up, NIMA TR8350.2; see :func:`spacecompute.astro.frames.enu_basis`):

- elevation ``= atan2(d.up, hypot(d.east, d.north))`` in [-90, 90] deg,
- azimuth ``= atan2(d.east, d.north)`` from north through east, in [0, 360) deg,
- range ``= |d|``.

No refraction, no terrain: the elevation mask stands for both.

Contact windows
---------------
A window of (station, satellite) is a maximal interval during which the elevation is at or
above the station's mask. Elevation is sampled at the ephemeris instants; between samples the
satellite position is interpolated by the quadratic (Lagrange) polynomial through the three
latest samples (error about jerk * dt^3 / 16, ~20 m for LEO at 30 s steps), and:

- a window's start (end) is the instant, between the last sample below (above) the mask and the
  first above (below), where the interpolated elevation crosses the mask: Illinois false
  position to 1 ms (Dowell and Jarratt, BIT 11 (1971) 168). Where fewer than three samples
  exist (first step of the span) or a sample is invalid, the root of the quadratic through the
  elevation samples (Press et al., Numerical Recipes 3rd ed., sec. 5.6) or linear
  interpolation is used instead;
- the maximum elevation and its time maximise the interpolated elevation between the neighbours
  of the discrete maximum by golden-section search (Numerical Recipes sec. 10.2), falling back
  to the vertex of the parabola through the three elevation samples (sec. 10.3).

Against a brute-force search at 1 s steps (sgp4 + astropy, tests/test_access.py), 30 s steps
give start/end within 0.03 s and maximum elevation within 0.01 deg for LEO.

Passes shorter than one sampling step can fall between samples and be missed; sample at a step
well below the shortest pass of interest (30 s resolves LEO passes above a 10 deg mask).

Scaling: :class:`ContactTracker` consumes the ephemeris in time chunks and never holds (T, S, N)
arrays. A numba kernel loops time -> station -> satellite with per-(station, satellite) state,
stations spread over threads. A conservative prefilter skips a satellite when the angle between
the station's and the satellite's geocentric directions exceeds the largest Earth-central angle
at which the satellite (at its highest radius in the chunk) can be above the smallest mask,
lowered by 0.3 deg to cover the difference between geodetic and geocentric up (at most 0.19 deg,
NIMA TR8350.2). For a spherical Earth of radius R and a satellite at radius r that angle is
``lambda = acos(R cos(e) / r) - e`` (Vallado, Fundamentals of Astrodynamics and Applications,
4th ed., sec. 11.2); the station's own geocentric radius is used for R (the smallest of all
stations, which makes lambda larger, i.e. the test more permissive).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numba
import numpy as np
from numba import njit, prange

from .. import _runtime
from .._parallel import twin_kernel
from ..errors import InputError
from ..table import Table
from .frames import enu_basis
from .ground import GroundStations

# Per-(station, satellite) float state: window start, previous elevation, discrete maximum and
# its time, samples before / after the maximum, refined maximum (time, elevation)
_F_START, _F_PREV, _F_MAX, _F_TMAX, _F_BM, _F_TBM, _F_AM, _F_TAM, _F_RT, _F_RE = range(10)
_NF = 10
# Per-(station, satellite) integer state: last step seen visible, step of the max, flags
_I_LAST, _I_IMAX, _I_FLAGS = range(3)
_NI = 3
_OPEN = 1
_STARTS_BEFORE = 2
_ENDS_AFTER = 4
# Margin added to the prefilter for geodetic vs geocentric up (max 0.19 deg) and rounding
_PREFILTER_MARGIN_DEG = 0.3


# ---------------------------------------------------------------------------------------------
# Look angles (numpy, any shape)
# ---------------------------------------------------------------------------------------------


def look_angles(
    r_sat_ecef_m: np.ndarray, stations: GroundStations, *, azimuth: bool = True
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Elevation, azimuth and range of satellites seen from ground stations.

    Parameters
    ----------
    r_sat_ecef_m : (..., N, 3) Earth-fixed satellite positions, m.
    stations : ``S`` ground stations.
    azimuth : False skips the azimuth (returned as None), a third of the work.

    Returns
    -------
    elevation_deg, azimuth_deg, range_m : each (..., S, N). Elevation in [-90, 90] above the
    WGS84 ellipsoid's tangent plane, azimuth in [0, 360) from north through east.

    One numba pass writes the results with no (..., S, N, 3) temporaries; the values are bit
    for bit those of the numpy formulas (:func:`look_angles_numpy`, tested), which small inputs
    run instead. For contact windows over long spans use :func:`contact_windows`, which never holds (..., S, N) arrays.
    """
    r = np.asarray(r_sat_ecef_m, dtype=np.float64)
    if r.ndim < 2 or r.shape[-1] != 3:
        raise InputError(
            f"satellite positions have shape {r.shape}",
            field="r_sat_ecef_m",
            expected="an array of shape (..., N, 3) in m",
        )
    lead, n = r.shape[:-2], r.shape[-2]
    if r.size // 3 * len(stations) < _runtime.FUSED_MIN_POINTS:  # no kernel to compile
        el, az, rng = look_angles_numpy(r, stations)
        return el, az if azimuth else None, rng
    flat = np.ascontiguousarray(r.reshape(-1, n, 3))
    st, basis = _station_geometry(stations)
    shape = (flat.shape[0], st.shape[0], n)
    el = np.empty(shape)
    rng = np.empty(shape)
    az = np.empty(shape if azimuth else (0, 0, 0))
    _look_kernel(flat, st, basis, el, rng, az)
    out_shape = (*lead, st.shape[0], n)
    return (
        el.reshape(out_shape),
        az.reshape(out_shape) if azimuth else None,
        rng.reshape(out_shape),
    )


def visible_pairs(
    r_sat_ecef_m: np.ndarray,
    stations: GroundStations,
    *,
    buffers: object = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Station-satellite pairs at or above each station's elevation mask.

    ``r_sat_ecef_m`` (T, N, 3) Earth-fixed positions, m. Returns ``(index, elevation_deg,
    range_m)`` of the visible pairs in C order of (T, S, N): ``index`` is the flat index into a
    (T, S, N) array. The same values as ``look_angles`` (with ``np.isfinite(el) & (el >= mask)``)
    at ``np.nonzero`` of that mask, without any (T, S, N) array: one numba pass writes the
    visible pairs only. ``buffers``: a :class:`~spacecompute._buffers.BufferPool` for the
    output arrays (which are then views into it), else fresh arrays.
    """
    r = np.ascontiguousarray(r_sat_ecef_m, dtype=np.float64)
    if r.ndim != 3 or r.shape[-1] != 3:
        raise InputError(
            f"satellite positions have shape {r.shape}",
            field="r_sat_ecef_m",
            expected="an array of shape (T, N, 3) in m",
        )
    st, basis = _station_geometry(stations)
    mask = np.ascontiguousarray(stations.min_elevation_deg, dtype=np.float64)
    total = r.shape[0] * st.shape[0] * r.shape[1]
    if total < _runtime.FUSED_MIN_POINTS:  # no kernel to compile for a small chunk
        el, _, rng = look_angles_numpy(r, stations)
        visible = np.isfinite(el) & (el >= mask[None, :, None])
        return np.flatnonzero(visible), el[visible], rng[visible]
    capacity = min(total, max(1024, total // 16))
    while True:
        if buffers is None:
            idx = np.empty(capacity, np.int64)
            el = np.empty(capacity)
            rng = np.empty(capacity)
        else:
            idx = buffers.take("visible.index", (capacity,), np.int64)
            el = buffers.take("visible.elevation", (capacity,))
            rng = buffers.take("visible.range", (capacity,))
        count = _visible_kernel(r, st, basis, mask, idx, el, rng)
        if count <= capacity:
            return idx[:count], el[:count], rng[:count]
        capacity = min(total, 2 * count)  # rare: the pool keeps the larger arrays


def look_angles_numpy(
    r_sat_ecef_m: np.ndarray, stations: GroundStations
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`look_angles` as whole-array numpy expressions with (..., S, N, 3) temporaries (the
    reference of its kernel, and what it runs below
    :data:`~spacecompute._runtime.FUSED_MIN_POINTS` station-satellite-instants)."""
    r = np.asarray(r_sat_ecef_m, dtype=np.float64)
    st = stations.ecef_m  # (S, 3)
    basis = enu_basis(stations.lat_deg, stations.lon_deg)  # (S, 3, 3) rows E, N, U
    d = r[..., None, :, :] - st[:, None, :]  # (..., S, N, 3)
    de = np.einsum("...snk,sk->...sn", d, basis[:, 0, :])
    dn = np.einsum("...snk,sk->...sn", d, basis[:, 1, :])
    du = np.einsum("...snk,sk->...sn", d, basis[:, 2, :])
    horizontal = np.hypot(de, dn)
    elevation = np.degrees(np.arctan2(du, horizontal))
    azimuth = np.degrees(np.arctan2(de, dn)) % 360.0
    azimuth = np.where(azimuth >= 360.0, 0.0, azimuth)
    rng = np.sqrt(de * de + dn * dn + du * du)
    return elevation, azimuth, rng


def _station_geometry(stations: GroundStations) -> tuple[np.ndarray, np.ndarray]:
    """Station positions (S, 3) and east/north/up bases (S, 3, 3), C-contiguous float64."""
    st = np.ascontiguousarray(stations.ecef_m, dtype=np.float64).reshape(-1, 3)
    basis = np.ascontiguousarray(enu_basis(stations.lat_deg, stations.lon_deg), dtype=np.float64)
    return st, basis.reshape(-1, 3, 3)


# ---------------------------------------------------------------------------------------------
# Numba kernels
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _enu(dx, dy, dz, basis, s):  # pragma: no cover - compiled
    """Components of (dx, dy, dz) on station ``s``'s east, north, up: each dot product summed
    (x + z) + y, the order in which ``np.einsum("...snk,sk->...sn")`` sums its three terms
    (numpy 2.x, x86-64), so that the kernels match the numpy formulas bit for bit."""
    de = dx * basis[s, 0, 0] + dz * basis[s, 0, 2] + dy * basis[s, 0, 1]
    dn = dx * basis[s, 1, 0] + dz * basis[s, 1, 2] + dy * basis[s, 1, 1]
    du = dx * basis[s, 2, 0] + dz * basis[s, 2, 2] + dy * basis[s, 2, 1]
    return de, dn, du


@njit(cache=True)
def _look_kernel(r, st, basis, el, rng, az):  # pragma: no cover - compiled
    """Elevation, range and (if ``az`` is not empty) azimuth of (M, N, 3) positions from S
    stations into (M, S, N) arrays; see :func:`look_angles`."""
    want_az = az.shape[0] > 0
    for m in range(r.shape[0]):
        for s in range(st.shape[0]):
            px = st[s, 0]
            py = st[s, 1]
            pz = st[s, 2]
            for n in range(r.shape[1]):
                de, dn, du = _enu(r[m, n, 0] - px, r[m, n, 1] - py, r[m, n, 2] - pz, basis, s)
                el[m, s, n] = math.degrees(math.atan2(du, math.hypot(de, dn)))
                rng[m, s, n] = math.sqrt(de * de + dn * dn + du * du)
                if want_az:
                    a = math.degrees(math.atan2(de, dn)) % 360.0
                    az[m, s, n] = 0.0 if a >= 360.0 else a


@njit(cache=True)
def _visible_kernel(r, st, basis, mask, idx, el, rng):  # pragma: no cover - compiled
    """Pairs of (T, N, 3) positions and S stations with elevation >= the station's mask, in C
    order of (T, S, N), into ``idx`` / ``el`` / ``rng`` while they have room; returns how many
    pairs there are (more than the room: call again with larger arrays)."""
    n_st = st.shape[0]
    n_sat = r.shape[1]
    room = idx.shape[0]
    count = 0
    for t in range(r.shape[0]):
        for s in range(n_st):
            px = st[s, 0]
            py = st[s, 1]
            pz = st[s, 2]
            lo = mask[s]
            below_if_down = lo >= 0.0
            for n in range(n_sat):
                de, dn, du = _enu(r[t, n, 0] - px, r[t, n, 1] - py, r[t, n, 2] - pz, basis, s)
                if below_if_down and du < 0.0:
                    continue  # elevation < 0 <= mask (skips atan2 and hypot for most pairs)
                e = math.degrees(math.atan2(du, math.hypot(de, dn)))
                if math.isfinite(e) and e >= lo:
                    if count < room:
                        idx[count] = (t * n_st + s) * n_sat + n
                        el[count] = e
                        rng[count] = math.sqrt(de * de + dn * dn + du * du)
                    count += 1
    return count


@njit(cache=True)
def _elev_deg(r, i, n, px, py, pz, ux, uy, uz):
    """Elevation (deg) of satellite ``n`` at row ``i`` over a station at (px, py, pz), up u."""
    dx = r[i, n, 0] - px
    dy = r[i, n, 1] - py
    dz = r[i, n, 2] - pz
    dd = math.sqrt(dx * dx + dy * dy + dz * dz)
    if not dd > 0.0:
        return math.nan
    s = (dx * ux + dy * uy + dz * uz) / dd
    if s > 1.0:
        s = 1.0
    elif s < -1.0:
        s = -1.0
    return math.degrees(math.asin(s))


@njit(cache=True)
def _cross(ta, fa, tb, fb, tc, fc):
    """Time in [tb, tc] where f changes sign, f known at ta < tb < tc (fa may be NaN).

    Root of the quadratic through the three samples (stable form, Numerical Recipes 5.6);
    linear interpolation between tb and tc when fa is missing or the quadratic misbehaves.
    """
    if not math.isfinite(fb):
        return tc
    if not math.isfinite(fc):
        return tb
    h = tc - tb
    denom = fb - fc
    x_lin = 0.5 * h if denom == 0.0 else h * fb / denom
    if x_lin < 0.0:
        x_lin = 0.0
    elif x_lin > h:
        x_lin = h
    if not (math.isfinite(fa) and ta < tb):
        return tb + x_lin
    h0 = ta - tb
    d0 = (fa - fb) / h0
    d2 = (fc - fb) / h
    c2 = (d0 - d2) / (h0 - h)
    c1 = d2 - c2 * h
    # p(x) = fb + c1 x + c2 x^2 on x in [0, h]; exactly one root there (sign change)
    if abs(c2) * h <= 1e-12 * (abs(c1) + 1e-300):
        return tb + x_lin if c1 == 0.0 else tb + min(max(-fb / c1, 0.0), h)
    disc = c1 * c1 - 4.0 * c2 * fb
    if disc < 0.0:
        return tb + x_lin
    q = -0.5 * (c1 + math.copysign(math.sqrt(disc), c1))
    tol = 1e-9 * h
    if q != 0.0:
        x1 = q / c2
        if -tol <= x1 <= h + tol:
            return tb + min(max(x1, 0.0), h)
        x2 = fb / q
        if -tol <= x2 <= h + tol:
            return tb + min(max(x2, 0.0), h)
    return tb + x_lin


@njit(cache=True)
def _vertex(t0, e0, t1, e1, t2, e2):
    """(time, value) of the vertex of the parabola through 3 samples around a maximum e1."""
    if not (math.isfinite(e0) and math.isfinite(e2) and t0 < t1 < t2):
        return t1, e1
    h0 = t0 - t1
    h2 = t2 - t1
    d0 = (e0 - e1) / h0
    d2 = (e2 - e1) / h2
    c2 = (d0 - d2) / (h0 - h2)
    c1 = d2 - c2 * h2
    if not c2 < 0.0:
        return t1, e1
    x = -c1 / (2.0 * c2)
    if x < h0:
        x = h0
    elif x > h2:
        x = h2
    ev = e1 + x * (c1 + c2 * x)
    if ev < e1:
        return t1, e1
    if ev > 90.0:
        ev = 90.0
    return t1 + x, ev


_GOLDEN = 0.5 * (math.sqrt(5.0) - 1.0)


@njit(cache=True)
def _sin_elev_interp(r, i, n, w0, w1, w2, px, py, pz, ux, uy, uz):
    """sin(elevation) of the position interpolated with Lagrange weights w on rows i-2..i."""
    dx = w0 * r[i - 2, n, 0] + w1 * r[i - 1, n, 0] + w2 * r[i, n, 0] - px
    dy = w0 * r[i - 2, n, 1] + w1 * r[i - 1, n, 1] + w2 * r[i, n, 1] - py
    dz = w0 * r[i - 2, n, 2] + w1 * r[i - 1, n, 2] + w2 * r[i, n, 2] - pz
    return (dx * ux + dy * uy + dz * uz) / math.sqrt(dx * dx + dy * dy + dz * dz)


@njit(cache=True)
def _refine_max(r, t_s, i, n, px, py, pz, ux, uy, uz):
    """Maximum elevation between rows i-2 and i when the discrete maximum is at row i-1.

    The satellite position is interpolated by the quadratic (Lagrange) polynomial through the
    three samples (error about jerk * dt^3 / 16: ~20 m for LEO at 30 s steps) and the elevation
    maximised over [t[i-2], t[i]] by golden-section search (Numerical Recipes 3rd ed., 10.2).
    Returns (time_s, elevation_deg), or (nan, nan) if a sample is missing.
    """
    t0 = t_s[i - 2]
    t1 = t_s[i - 1]
    t2 = t_s[i]
    for k in range(3):
        if not (
            math.isfinite(r[i - k, n, 0])
            and math.isfinite(r[i - k, n, 1])
            and math.isfinite(r[i - k, n, 2])
        ):
            return math.nan, math.nan
    d01 = t0 - t1
    d02 = t0 - t2
    d12 = t1 - t2
    a = t0
    b = t2
    x1 = b - _GOLDEN * (b - a)
    x2 = a + _GOLDEN * (b - a)
    w0 = (x1 - t1) * (x1 - t2) / (d01 * d02)
    w1 = (x1 - t0) * (x1 - t2) / (-d01 * d12)
    w2 = (x1 - t0) * (x1 - t1) / (d02 * d12)
    f1 = _sin_elev_interp(r, i, n, w0, w1, w2, px, py, pz, ux, uy, uz)
    w0 = (x2 - t1) * (x2 - t2) / (d01 * d02)
    w1 = (x2 - t0) * (x2 - t2) / (-d01 * d12)
    w2 = (x2 - t0) * (x2 - t1) / (d02 * d12)
    f2 = _sin_elev_interp(r, i, n, w0, w1, w2, px, py, pz, ux, uy, uz)
    for _ in range(28):
        if f1 >= f2:
            b = x2
            x2 = x1
            f2 = f1
            x1 = b - _GOLDEN * (b - a)
            w0 = (x1 - t1) * (x1 - t2) / (d01 * d02)
            w1 = (x1 - t0) * (x1 - t2) / (-d01 * d12)
            w2 = (x1 - t0) * (x1 - t1) / (d02 * d12)
            f1 = _sin_elev_interp(r, i, n, w0, w1, w2, px, py, pz, ux, uy, uz)
        else:
            a = x1
            x1 = x2
            f1 = f2
            x2 = a + _GOLDEN * (b - a)
            w0 = (x2 - t1) * (x2 - t2) / (d01 * d02)
            w1 = (x2 - t0) * (x2 - t2) / (-d01 * d12)
            w2 = (x2 - t0) * (x2 - t1) / (d02 * d12)
            f2 = _sin_elev_interp(r, i, n, w0, w1, w2, px, py, pz, ux, uy, uz)
    if f1 >= f2:
        tv = x1
        sv = f1
    else:
        tv = x2
        sv = f2
    if sv > 1.0:
        sv = 1.0
    return tv, math.degrees(math.asin(sv))


@njit(cache=True)
def _cross_interp(r, t_s, i, n, px, py, pz, ux, uy, uz, sin_mask, t_guess):
    """Time in [t[i-1], t[i]] where the elevation crosses the mask, on the position interpolated
    by the quadratic through rows i-2, i-1, i (see :func:`_refine_max`); Illinois false position
    (Dowell and Jarratt, BIT 11 (1971) 168) to 1 ms. ``t_guess`` is returned if it fails."""
    for k in range(3):
        if not (
            math.isfinite(r[i - k, n, 0])
            and math.isfinite(r[i - k, n, 1])
            and math.isfinite(r[i - k, n, 2])
        ):
            return t_guess
    t0 = t_s[i - 2]
    t1 = t_s[i - 1]
    t2 = t_s[i]
    d01 = t0 - t1
    d02 = t0 - t2
    d12 = t1 - t2
    a = t1
    b = t2
    fa = _sin_elev_interp(r, i, n, 0.0, 1.0, 0.0, px, py, pz, ux, uy, uz) - sin_mask
    fb = _sin_elev_interp(r, i, n, 0.0, 0.0, 1.0, px, py, pz, ux, uy, uz) - sin_mask
    if not (fa * fb <= 0.0) or fa == fb:
        return t_guess
    side = 0
    for _ in range(40):
        x = (a * fb - b * fa) / (fb - fa)
        w0 = (x - t1) * (x - t2) / (d01 * d02)
        w1 = (x - t0) * (x - t2) / (-d01 * d12)
        w2 = (x - t0) * (x - t1) / (d02 * d12)
        fx = _sin_elev_interp(r, i, n, w0, w1, w2, px, py, pz, ux, uy, uz) - sin_mask
        if fx == 0.0:
            return x
        if (fx > 0.0) == (fb > 0.0):
            b = x
            fb = fx
            if side == -1:
                fa *= 0.5
            side = -1
        else:
            a = x
            fa = fx
            if side == 1:
                fb *= 0.5
            side = 1
        if b - a < 1e-3:
            break
    return (a * fb - b * fa) / (fb - fa)


@twin_kernel()
def _prefilter_prepare(r, r_station_min_m, e_min_deg, unit, thr):
    """Geocentric unit vectors unit[i, k, n] (struct of arrays, NaN where r is) and per-satellite
    thresholds thr[n] = cos(lambda_max) for the satellite's largest radius (module docstring);
    -2 disables the test for that satellite."""
    n_rows = r.shape[0]
    n_sat = r.shape[1]
    e = math.radians(e_min_deg)
    for n in prange(n_sat):
        rmax = 0.0
        for i in range(n_rows):
            rr = math.sqrt(r[i, n, 0] ** 2 + r[i, n, 1] ** 2 + r[i, n, 2] ** 2)
            if rr > rmax:
                rmax = rr
            inv = 1.0 / rr
            unit[i, 0, n] = r[i, n, 0] * inv
            unit[i, 1, n] = r[i, n, 1] * inv
            unit[i, 2, n] = r[i, n, 2] * inv
        t = -2.0
        if e_min_deg > -89.0 and rmax > 0.0:
            q = r_station_min_m * math.cos(e) / rmax
            if q < 1.0:
                lam = math.acos(q) - e
                if lam < math.pi:
                    t = math.cos(lam) - 1e-9
        thr[n] = t


@njit(cache=True)
def _emit(b, cnt, s, n, end, flags, sf, out_f, out_i):
    if math.isfinite(sf[s, n, _F_RE]) and sf[s, n, _F_RE] >= sf[s, n, _F_MAX]:
        tv = sf[s, n, _F_RT]
        ev = sf[s, n, _F_RE]
    else:
        tv, ev = _vertex(
            sf[s, n, _F_TBM],
            sf[s, n, _F_BM],
            sf[s, n, _F_TMAX],
            sf[s, n, _F_MAX],
            sf[s, n, _F_TAM],
            sf[s, n, _F_AM],
        )
    out_f[b, cnt, 0] = sf[s, n, _F_START]
    out_f[b, cnt, 1] = end
    out_f[b, cnt, 2] = ev
    out_f[b, cnt, 3] = tv
    out_i[b, cnt, 0] = s
    out_i[b, cnt, 1] = n
    out_i[b, cnt, 2] = flags


@twin_kernel()
def _advance(
    r,
    t_s,
    g0,
    unit,
    thr,
    st_pos,
    st_up,
    st_cen,
    st_mask,
    blk_st,
    blk_n,
    prog,
    sf,
    si,
    olist,
    nopen,
    out_f,
    out_i,
    out_n,
):
    """Process rows prog[b] .. R-1 of one chunk for each block of stations b (in parallel).

    A block stops early (prog[b] < R) when its output buffer could overflow; the caller empties
    the buffers and calls again.
    """
    n_rows = r.shape[0]
    n_sat = r.shape[1]
    n_blocks = blk_st.shape[0]
    cap = out_f.shape[1]
    nan = math.nan
    for b in prange(n_blocks):
        i = prog[b]
        cnt = out_n[b]
        score = np.empty(n_sat)
        while i < n_rows:
            need = 0
            for k in range(blk_n[b]):
                need += nopen[blk_st[b, k]]
            if cnt + need > cap:
                break
            g = g0 + i
            ti = t_s[i]
            for k in range(blk_n[b]):
                s = blk_st[b, k]
                px = st_pos[s, 0]
                py = st_pos[s, 1]
                pz = st_pos[s, 2]
                ux = st_up[s, 0]
                uy = st_up[s, 1]
                uz = st_up[s, 2]
                cx = st_cen[s, 0]
                cy = st_cen[s, 1]
                cz = st_cen[s, 2]
                m = st_mask[s]
                sin_m = math.sin(math.radians(m))
                # Prefilter, vectorisable: cos(central angle) - cos(lambda_max)
                ux_row = unit[i, 0]
                uy_row = unit[i, 1]
                uz_row = unit[i, 2]
                for n in range(n_sat):
                    score[n] = cx * ux_row[n] + cy * uy_row[n] + cz * uz_row[n] - thr[n]
                for n in range(n_sat):
                    if not score[n] >= 0.0:
                        continue
                    el = _elev_deg(r, i, n, px, py, pz, ux, uy, uz)
                    if not el >= m:
                        continue
                    si[s, n, _I_LAST] = g
                    if si[s, n, _I_FLAGS] & _OPEN:
                        if el > sf[s, n, _F_MAX]:
                            sf[s, n, _F_BM] = sf[s, n, _F_PREV]
                            sf[s, n, _F_TBM] = t_s[i - 1]
                            sf[s, n, _F_MAX] = el
                            sf[s, n, _F_TMAX] = ti
                            sf[s, n, _F_AM] = nan
                            sf[s, n, _F_TAM] = nan
                            sf[s, n, _F_RT] = nan
                            sf[s, n, _F_RE] = nan
                            si[s, n, _I_IMAX] = g
                        elif si[s, n, _I_IMAX] == g - 1:
                            sf[s, n, _F_AM] = el
                            sf[s, n, _F_TAM] = ti
                            if i >= 2:
                                tv, ev = _refine_max(r, t_s, i, n, px, py, pz, ux, uy, uz)
                                sf[s, n, _F_RT] = tv
                                sf[s, n, _F_RE] = ev
                        sf[s, n, _F_PREV] = el
                    else:
                        flags = _OPEN
                        if g == 0:
                            start = ti
                            el1 = nan
                            t1 = nan
                            flags |= _STARTS_BEFORE
                        else:
                            el1 = _elev_deg(r, i - 1, n, px, py, pz, ux, uy, uz)
                            t1 = t_s[i - 1]
                            el0 = nan
                            t0 = nan
                            if i >= 2:
                                el0 = _elev_deg(r, i - 2, n, px, py, pz, ux, uy, uz)
                                t0 = t_s[i - 2]
                            start = _cross(t0, el0 - m, t1, el1 - m, ti, el - m)
                            if i >= 2:
                                start = _cross_interp(
                                    r, t_s, i, n, px, py, pz, ux, uy, uz, sin_m, start
                                )
                        sf[s, n, _F_START] = start
                        sf[s, n, _F_PREV] = el
                        sf[s, n, _F_MAX] = el
                        sf[s, n, _F_TMAX] = ti
                        sf[s, n, _F_BM] = el1
                        sf[s, n, _F_TBM] = t1
                        sf[s, n, _F_AM] = nan
                        sf[s, n, _F_TAM] = nan
                        sf[s, n, _F_RT] = nan
                        sf[s, n, _F_RE] = nan
                        si[s, n, _I_IMAX] = g
                        si[s, n, _I_FLAGS] = flags
                        olist[s, nopen[s]] = n
                        nopen[s] += 1
                # Windows open before this row and not seen now end between rows i-1 and i
                k2 = nopen[s] - 1
                while k2 >= 0:
                    n = olist[s, k2]
                    if si[s, n, _I_LAST] != g:
                        el = _elev_deg(r, i, n, px, py, pz, ux, uy, uz)
                        if si[s, n, _I_IMAX] == g - 1:
                            sf[s, n, _F_AM] = el
                            sf[s, n, _F_TAM] = ti
                            if i >= 2:
                                tv, ev = _refine_max(r, t_s, i, n, px, py, pz, ux, uy, uz)
                                sf[s, n, _F_RT] = tv
                                sf[s, n, _F_RE] = ev
                        el0 = nan
                        t0 = nan
                        if i >= 2:
                            el0 = _elev_deg(r, i - 2, n, px, py, pz, ux, uy, uz)
                            t0 = t_s[i - 2]
                        end = _cross(t0, el0 - m, t_s[i - 1], sf[s, n, _F_PREV] - m, ti, el - m)
                        if i >= 2:
                            end = _cross_interp(r, t_s, i, n, px, py, pz, ux, uy, uz, sin_m, end)
                        _emit(b, cnt, s, n, end, si[s, n, _I_FLAGS], sf, out_f, out_i)
                        cnt += 1
                        si[s, n, _I_FLAGS] = 0
                        nopen[s] -= 1
                        olist[s, k2] = olist[s, nopen[s]]
                    k2 -= 1
            i += 1
        prog[b] = i
        out_n[b] = cnt


@njit(cache=True)
def _close_all(t_end, sf, si, olist, nopen, out_f, out_i):
    """Emit every open window as cut by the end of the span; returns the count."""
    cnt = 0
    for s in range(nopen.shape[0]):
        for k in range(nopen[s]):
            n = olist[s, k]
            _emit(0, cnt, s, n, t_end, si[s, n, _I_FLAGS] | _ENDS_AFTER, sf, out_f, out_i)
            cnt += 1
            si[s, n, _I_FLAGS] = 0
        nopen[s] = 0
    return cnt


# ---------------------------------------------------------------------------------------------
# Streaming tracker
# ---------------------------------------------------------------------------------------------


def _as_datetime64_ns(times: object, field: str) -> np.ndarray:
    t = np.asarray(times)
    if t.dtype.kind != "M" or t.ndim > 1:
        raise InputError(
            f"times of dtype {t.dtype} and shape {t.shape}",
            field=field,
            expected="a 1-D numpy datetime64 array (UTC)",
        )
    return t.astype("datetime64[ns]").reshape(-1)


class ContactTracker:
    """Finds contact windows over successive time chunks of an ephemeris.

    Feed chunks of ``(times (T,), r_ecef_m (T, N, 3))`` in time order with :meth:`update`;
    windows open at a chunk boundary are carried over, so the result does not depend on how the
    span is cut. :meth:`drain` hands over the windows closed so far (to bound memory on long
    runs); :meth:`finish` closes the windows still open at the end of the span
    (``ends_after = True``) and returns every window not drained yet.

    Memory: about ``S * N * 100`` bytes of state plus the chunk. Threads: numba's
    (``NUMBA_NUM_THREADS`` / :func:`numba.set_num_threads`).
    """

    def __init__(
        self,
        stations: GroundStations,
        n_satellites: int,
        min_elevation_deg: float | None = None,
        *,
        satellite_names: Sequence[str] | np.ndarray | None = None,
    ) -> None:
        if not isinstance(stations, GroundStations):
            raise InputError(
                f"stations is a {type(stations).__name__}",
                field="stations",
                expected="a GroundStations object",
            )
        if len(stations) == 0:
            raise InputError("no stations", field="stations", expected="at least one station")
        if not isinstance(n_satellites, int | np.integer) or n_satellites < 0:
            raise InputError(
                f"n_satellites = {n_satellites!r}", field="n_satellites", expected="an int >= 0"
            )
        if min_elevation_deg is not None:
            stations = stations.with_min_elevation(min_elevation_deg)
        self.stations = stations
        self.n_satellites = int(n_satellites)
        n_st = len(stations)
        if satellite_names is None:
            names = np.array([str(i) for i in range(self.n_satellites)], dtype=object)
        else:
            names = np.asarray(satellite_names, dtype=object).reshape(-1)
            if names.shape[0] != self.n_satellites:
                raise InputError(
                    f"{names.shape[0]} satellite names for {self.n_satellites} satellites",
                    field="satellite_names",
                    expected=f"{self.n_satellites} names",
                )
        self.satellite_names = names

        self._st_pos = np.ascontiguousarray(stations.ecef_m)
        self._st_up = np.ascontiguousarray(enu_basis(stations.lat_deg, stations.lon_deg)[:, 2, :])
        radius = np.linalg.norm(self._st_pos, axis=1)
        self._st_cen = np.ascontiguousarray(self._st_pos / radius[:, None])
        self._r_station_min_m = float(radius.min())
        self._st_mask = np.ascontiguousarray(stations.min_elevation_deg, dtype=np.float64)
        self._e_min_deg = float(self._st_mask.min()) - _PREFILTER_MARGIN_DEG

        n_threads = max(1, numba.get_num_threads())
        n_blocks = max(1, min(n_st, n_threads))
        per = -(-n_st // n_blocks)
        blk = np.full((n_blocks, per), -1, dtype=np.int64)
        blk_n = np.zeros(n_blocks, dtype=np.int64)
        for s in range(n_st):  # interleave stations over blocks to balance the work
            b = s % n_blocks
            blk[b, blk_n[b]] = s
            blk_n[b] += 1
        self._blk, self._blk_n = blk, blk_n

        n_sat = self.n_satellites
        self._sf = np.full((n_st, n_sat, _NF), np.nan)
        self._si = np.full((n_st, n_sat, _NI), -1, dtype=np.int64)
        self._si[:, :, _I_FLAGS] = 0
        self._olist = np.zeros((n_st, n_sat), dtype=np.int64)
        self._nopen = np.zeros(n_st, dtype=np.int64)
        self._cap = max(1024, (n_st * n_sat) // (8 * n_blocks))
        self._out_f = np.empty((n_blocks, self._cap, 4))
        self._out_i = np.empty((n_blocks, self._cap, 3), dtype=np.int64)

        self._epoch_ns: int | None = None
        self._last_ns: int | None = None
        self._steps = 0  # global index of the next row
        self._carry_r = np.empty((0, n_sat, 3))
        self._carry_t = np.empty(0)
        self._done_f: list[np.ndarray] = []
        self._done_i: list[np.ndarray] = []
        self._finished = False

    @property
    def n_steps(self) -> int:
        """Instants consumed so far."""
        return self._steps

    @property
    def n_open(self) -> int:
        """Windows open now (at the last instant consumed)."""
        return int(self._nopen.sum())

    def update(self, times: np.ndarray, r_ecef_m: np.ndarray) -> None:
        """Consume instants ``times`` (T,) with Earth-fixed positions ``r_ecef_m`` (T, N, 3) m.

        Times must increase strictly, within the chunk and after the previous chunk. NaN
        positions (failed propagation) count as not visible.
        """
        if self._finished:
            raise InputError("tracker already finished", field="update", expected="a new tracker")
        t = _as_datetime64_ns(times, "times")
        r = np.asarray(r_ecef_m, dtype=np.float64)
        if r.ndim != 3 or r.shape[1:] != (self.n_satellites, 3) or r.shape[0] != t.shape[0]:
            raise InputError(
                f"positions have shape {r.shape} for {t.shape[0]} times",
                field="r_ecef_m",
                expected=f"shape ({t.shape[0]}, {self.n_satellites}, 3)",
            )
        if t.shape[0] == 0:
            return
        ns = t.astype(np.int64)
        if np.isnat(t).any() or (ns.shape[0] > 1 and np.any(np.diff(ns) <= 0)):
            raise InputError(
                "times are not strictly increasing", field="times", expected="increasing UTC times"
            )
        if self._last_ns is not None and ns[0] <= self._last_ns:
            raise InputError(
                f"chunk starts at {t[0]}, not after the previous chunk's last time",
                field="times",
                expected="chunks in time order",
            )
        if self._epoch_ns is None:
            self._epoch_ns = int(ns[0])
        t_new = (ns - self._epoch_ns) / 1e9
        n_carry = self._carry_t.shape[0]
        if n_carry:
            # C order whatever the layout of r (np.concatenate follows its inputs' strides, and
            # another layout is another compiled version of the kernels below)
            rr = np.empty((n_carry + r.shape[0], *r.shape[1:]))
            rr[:n_carry], rr[n_carry:] = self._carry_r, r
            ts = np.concatenate([self._carry_t, t_new])
        else:
            rr = np.ascontiguousarray(r)
            ts = t_new
        g0 = self._steps - n_carry
        unit = np.empty((rr.shape[0], 3, rr.shape[1]))
        thr = np.empty(rr.shape[1])
        _prefilter_prepare(rr, self._r_station_min_m, self._e_min_deg, unit, thr)
        n_blocks = self._blk.shape[0]
        prog = np.full(n_blocks, n_carry, dtype=np.int64)
        out_n = np.zeros(n_blocks, dtype=np.int64)
        n_rows = rr.shape[0]
        while True:
            _advance(
                rr,
                ts,
                g0,
                unit,
                thr,
                self._st_pos,
                self._st_up,
                self._st_cen,
                self._st_mask,
                self._blk,
                self._blk_n,
                prog,
                self._sf,
                self._si,
                self._olist,
                self._nopen,
                self._out_f,
                self._out_i,
                out_n,
            )
            for b in range(n_blocks):
                if out_n[b]:
                    self._done_f.append(self._out_f[b, : out_n[b]].copy())
                    self._done_i.append(self._out_i[b, : out_n[b]].copy())
            out_n[:] = 0
            if np.all(prog >= n_rows):
                break
            # Some block filled its buffer: grow it (at least to the open windows of a block)
            need = max(
                int(self._nopen[self._blk[b, : self._blk_n[b]]].sum()) for b in range(n_blocks)
            )
            self._cap = max(2 * self._cap, need + 1)
            self._out_f = np.empty((n_blocks, self._cap, 4))
            self._out_i = np.empty((n_blocks, self._cap, 3), dtype=np.int64)
        keep = min(2, n_rows)
        self._carry_r = rr[n_rows - keep :].copy()
        self._carry_t = ts[n_rows - keep :].copy()
        self._steps += t.shape[0]
        self._last_ns = int(ns[-1])

    def _table(self, f: np.ndarray, i: np.ndarray) -> Table:
        epoch = np.datetime64(self._epoch_ns if self._epoch_ns is not None else 0, "ns")
        station = i[:, 0]
        sat = i[:, 1]
        flags = i[:, 2]
        start_ns = np.round(f[:, 0] * 1e9).astype(np.int64)
        end_ns = np.round(f[:, 1] * 1e9).astype(np.int64)
        tmax_ns = np.round(f[:, 3] * 1e9).astype(np.int64)
        order = np.lexsort((sat, start_ns, station))
        td = "timedelta64[ns]"
        return Table(
            {
                "station": station[order],
                "station_name": self.stations.names[station[order]],
                "satellite": sat[order],
                "satellite_name": self.satellite_names[sat[order]],
                "start": epoch + start_ns[order].astype(td),
                "end": epoch + end_ns[order].astype(td),
                "duration_s": (f[:, 1] - f[:, 0])[order],
                "max_elevation_deg": f[order, 2],
                "time_of_max": epoch + tmax_ns[order].astype(td),
                "starts_before": (flags[order] & _STARTS_BEFORE) != 0,
                "ends_after": (flags[order] & _ENDS_AFTER) != 0,
            }
        )

    def _collect(self) -> Table:
        done_f, done_i = self._done_f, self._done_i
        self._done_f, self._done_i = [], []
        f = np.concatenate(done_f) if done_f else np.empty((0, 4))
        del done_f
        i = np.concatenate(done_i) if done_i else np.empty((0, 3), dtype=np.int64)
        del done_i
        return self._table(f, i)

    def drain(self) -> Table:
        """Windows closed since the last :meth:`drain` (not those still open), then forget them."""
        return self._collect()

    def finish(self) -> Table:
        """Close windows still open (``ends_after = True``, end = last instant) and return all
        windows not drained yet, sorted by station, start, satellite."""
        if not self._finished and self._steps:
            n_open = self.n_open
            if n_open:
                out_f = np.empty((1, n_open, 4))
                out_i = np.empty((1, n_open, 3), dtype=np.int64)
                t_end = float(self._carry_t[-1])
                cnt = _close_all(t_end, self._sf, self._si, self._olist, self._nopen, out_f, out_i)
                self._done_f.append(out_f[0, :cnt].copy())
                self._done_i.append(out_i[0, :cnt].copy())
        self._finished = True
        return self._collect()


# ---------------------------------------------------------------------------------------------
# One-shot API
# ---------------------------------------------------------------------------------------------


def contact_windows(
    eph_or_positions: object,
    stations: GroundStations,
    min_elevation_deg: float | None = None,
    *,
    times: np.ndarray | None = None,
    satellite_names: Sequence[str] | np.ndarray | None = None,
    chunk_steps: int = 240,
) -> Table:
    """Contact windows between ground stations and satellites.

    Parameters
    ----------
    eph_or_positions : an :class:`~spacecompute.astro.ephemeris.Ephemeris` (its ``times``,
        ``r_ecef_m`` and ``names`` are used) or Earth-fixed positions (T, N, 3) m with ``times``.
    stations : the ground stations.
    min_elevation_deg : ``None`` uses each station's own mask; a number overrides all masks.
    times : (T,) datetime64 UTC, required with a position array.
    satellite_names : (N,) names (default: the ephemeris' names, else "0", "1", ...).
    chunk_steps : instants processed per chunk (bounds working memory; the result does not
        depend on it).

    Returns
    -------
    :class:`~spacecompute.table.Table` sorted by station, start, satellite, with columns
    station, station_name, satellite, satellite_name, start, end (datetime64[ns]), duration_s,
    max_elevation_deg, time_of_max (datetime64[ns]), starts_before / ends_after (True where the
    window is cut by the start / end of the span). See the module docstring for the method.
    """
    if hasattr(eph_or_positions, "r_ecef_m") and hasattr(eph_or_positions, "times"):
        eph = eph_or_positions
        t = eph.times
        r = eph.r_ecef_m
        if satellite_names is None and getattr(eph, "names", None) is not None:
            satellite_names = eph.names
        if times is not None:
            raise InputError(
                "times given with an Ephemeris", field="times", expected="times only with arrays"
            )
    else:
        if times is None:
            raise InputError(
                "positions given without times",
                field="times",
                expected="times (T,) datetime64 with a (T, N, 3) position array",
            )
        t = times
        r = np.asarray(eph_or_positions, dtype=np.float64)
    if r.ndim != 3 or r.shape[-1] != 3:
        raise InputError(
            f"positions have shape {np.shape(r)}",
            field="r_ecef_m",
            expected="an array of shape (T, N, 3) in m",
        )
    if not isinstance(chunk_steps, int | np.integer) or chunk_steps < 1:
        raise InputError(
            f"chunk_steps = {chunk_steps!r}", field="chunk_steps", expected="an int >= 1"
        )
    t = _as_datetime64_ns(t, "times")
    if t.shape[0] != r.shape[0]:
        raise InputError(
            f"{t.shape[0]} times for {r.shape[0]} position rows",
            field="times",
            expected=f"{r.shape[0]} times",
        )
    tracker = ContactTracker(
        stations, r.shape[1], min_elevation_deg, satellite_names=satellite_names
    )
    for k in range(0, r.shape[0], chunk_steps):
        tracker.update(t[k : k + chunk_steps], r[k : k + chunk_steps])
    return tracker.finish()


def access_summary(
    windows: Table,
    n_stations: int | GroundStations,
    *,
    span: tuple[np.datetime64, np.datetime64] | None = None,
) -> Table:
    """Per-station statistics of contact windows (one row per station, windows of all
    satellites together).

    Columns: station, station_name (when ``n_stations`` is a :class:`GroundStations`), contacts,
    total_s (sum of window durations: contact-seconds), covered_s (time with at least one
    satellite in view), mean_duration_s, max_gap_s (longest time with no satellite in view;
    between the first and last window, or over ``span = (start, end)`` when given; NaN for a
    station with no window and no span).
    """
    names = None
    if isinstance(n_stations, GroundStations):
        names = n_stations.names
        n_st = len(n_stations)
    else:
        n_st = int(n_stations)
    for col in ("station", "start", "end", "duration_s"):
        if col not in windows:
            raise InputError(
                f"column {col!r} missing", field="windows", expected="a contact_windows() table"
            )
    station = np.asarray(windows["station"], dtype=np.int64)
    if station.size and (station.min() < 0 or station.max() >= n_st):
        raise InputError(
            f"station index {int(station.max())} for {n_st} stations",
            field="n_stations",
            expected="the number of stations the windows were computed for",
        )
    start = np.asarray(windows["start"], dtype="datetime64[ns]").astype(np.int64)
    end = np.asarray(windows["end"], dtype="datetime64[ns]").astype(np.int64)
    dur = np.asarray(windows["duration_s"], dtype=np.float64)
    contacts = np.bincount(station, minlength=n_st).astype(np.int64)
    total = np.bincount(station, weights=dur, minlength=n_st)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(contacts > 0, total / np.maximum(contacts, 1), np.nan)
    covered = np.zeros(n_st)
    max_gap = np.full(n_st, np.nan)
    span_ns = None
    if span is not None:
        span_ns = (
            int(np.datetime64(span[0], "ns").astype(np.int64)),
            int(np.datetime64(span[1], "ns").astype(np.int64)),
        )
    order = np.lexsort((start, station))
    st_sorted = station[order]
    bounds = np.searchsorted(st_sorted, np.arange(n_st + 1))
    for s in range(n_st):
        idx = order[bounds[s] : bounds[s + 1]]
        if idx.size == 0:
            if span_ns is not None:
                max_gap[s] = (span_ns[1] - span_ns[0]) / 1e9
            continue
        a = start[idx]
        e = np.maximum.accumulate(end[idx])
        gaps = a[1:] - e[:-1]
        covered[s] = _union_length_ns(a, end[idx]) / 1e9
        candidates = [gaps.max() if gaps.size else 0]
        if span_ns is not None:
            candidates += [a[0] - span_ns[0], span_ns[1] - e[-1]]
        max_gap[s] = max(0, *[int(c) for c in candidates]) / 1e9
    cols: dict[str, np.ndarray] = {"station": np.arange(n_st, dtype=np.int64)}
    if names is not None:
        cols["station_name"] = names
    cols.update(
        {
            "contacts": contacts,
            "total_s": total,
            "covered_s": covered,
            "mean_duration_s": mean,
            "max_gap_s": max_gap,
        }
    )
    return Table(cols)


def _union_length_ns(start: np.ndarray, end: np.ndarray) -> int:
    """Length of the union of intervals [start, end) given sorted by start (int64 ns)."""
    run_end = np.maximum.accumulate(end)
    prev = np.concatenate([[np.iinfo(np.int64).min], run_end[:-1]])
    return int(np.clip(run_end - np.maximum(start, prev), 0, None).sum())


__all__ = [
    "ContactTracker",
    "access_summary",
    "contact_windows",
    "look_angles",
    "look_angles_numpy",
    "visible_pairs",
]
