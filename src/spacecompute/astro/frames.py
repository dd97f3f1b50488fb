"""Reference frames: TEME (SGP4's inertial frame) to Earth-fixed, and WGS84 geodetic coordinates.

Frames used by spacecompute:

- **TEME** (true equator, mean equinox of date): the inertial frame in which SGP4 produces
  positions, and the inertial frame of every ``r_eci_m`` / ``v_eci_m`` array in spacecompute.
- **ITRS** (Earth-fixed): obtained from TEME by a rotation about the z axis by the Greenwich mean
  sidereal time (IAU 1982), following Vallado et al., AIAA 2006-6753, appendix C (TEME -> PEF).
  Neglected: polar motion (at most about 15 m on the ground) and UT1 - UTC (at most 0.9 s, about
  0.4 km of Earth rotation at the equator). Differences between TEME and GCRS (precession and
  nutation since J2000, about 0.36 deg of longitude in 2026) only matter for inertial directions
  such as the sun's, which :mod:`spacecompute.astro.sun` gives in the same TEME-like frame of date.
- **Geodetic** latitude, longitude and height over the WGS84 ellipsoid (NIMA TR8350.2).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .. import _runtime
from .constants import (
    EARTH_ECCENTRICITY_SQ,
    EARTH_EQUATORIAL_RADIUS_M,
    EARTH_ROTATION_RATE_RAD_S,
)


def teme_to_ecef(
    r_teme_m: np.ndarray, gmst_rad: np.ndarray, v_teme_m_s: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Rotate TEME positions (and velocities) into the Earth-fixed frame.

    ``r_teme_m`` has shape (T, N, 3) (or (T, 3)); ``gmst_rad`` has shape (T,). Velocities include
    the Earth-rotation term ``- omega x r``. Returns ``(r_ecef_m, v_ecef_m_s or None)``.
    """
    r = np.asarray(r_teme_m, dtype=np.float64)
    theta = np.asarray(gmst_rad, dtype=np.float64)
    shape = (-1,) + (1,) * (r.ndim - 2)
    c = np.cos(theta).reshape(shape)
    s = np.sin(theta).reshape(shape)
    out = np.empty_like(r)
    out[..., 0] = c * r[..., 0] + s * r[..., 1]
    out[..., 1] = -s * r[..., 0] + c * r[..., 1]
    out[..., 2] = r[..., 2]
    if v_teme_m_s is None:
        return out, None
    v = np.asarray(v_teme_m_s, dtype=np.float64)
    vout = np.empty_like(v)
    w = EARTH_ROTATION_RATE_RAD_S
    vout[..., 0] = c * v[..., 0] + s * v[..., 1] + w * out[..., 1]
    vout[..., 1] = -s * v[..., 0] + c * v[..., 1] - w * out[..., 0]
    vout[..., 2] = v[..., 2]
    return out, vout


def ecef_to_teme(
    r_ecef_m: np.ndarray, gmst_rad: np.ndarray, v_ecef_m_s: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Inverse of :func:`teme_to_ecef` (same shapes)."""
    r = np.asarray(r_ecef_m, dtype=np.float64)
    theta = np.asarray(gmst_rad, dtype=np.float64)
    shape = (-1,) + (1,) * (r.ndim - 2)
    c = np.cos(theta).reshape(shape)
    s = np.sin(theta).reshape(shape)
    out = np.empty_like(r)
    out[..., 0] = c * r[..., 0] - s * r[..., 1]
    out[..., 1] = s * r[..., 0] + c * r[..., 1]
    out[..., 2] = r[..., 2]
    if v_ecef_m_s is None:
        return out, None
    v = np.asarray(v_ecef_m_s, dtype=np.float64)
    w = EARTH_ROTATION_RATE_RAD_S
    vx = v[..., 0] - w * r[..., 1]
    vy = v[..., 1] + w * r[..., 0]
    vout = np.empty_like(v)
    vout[..., 0] = c * vx - s * vy
    vout[..., 1] = s * vx + c * vy
    vout[..., 2] = v[..., 2]
    return out, vout


def geodetic_to_ecef(lat_deg: np.ndarray, lon_deg: np.ndarray, alt_m: np.ndarray) -> np.ndarray:
    """WGS84 geodetic latitude, longitude (degrees) and ellipsoidal height (m) to ECEF (m).

    Returns shape ``broadcast(lat, lon, alt).shape + (3,)``. Source: NIMA TR8350.2, eq. 4-14.
    """
    lat = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    lon = np.deg2rad(np.asarray(lon_deg, dtype=np.float64))
    h = np.asarray(alt_m, dtype=np.float64)
    lat, lon, h = np.broadcast_arrays(lat, lon, h)
    sin_lat = np.sin(lat)
    n = EARTH_EQUATORIAL_RADIUS_M / np.sqrt(1.0 - EARTH_ECCENTRICITY_SQ * sin_lat * sin_lat)
    out = np.empty((*lat.shape, 3))
    out[..., 0] = (n + h) * np.cos(lat) * np.cos(lon)
    out[..., 1] = (n + h) * np.cos(lat) * np.sin(lon)
    out[..., 2] = (n * (1.0 - EARTH_ECCENTRICITY_SQ) + h) * sin_lat
    return out


def ecef_to_geodetic(
    r_ecef_m: np.ndarray, out: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF positions (..., 3) in m to WGS84 (lat_deg, lon_deg, alt_m), each of shape (...).

    Bowring's method with two refinements (Bowring, Survey Review 23 (1976) 323): below a
    millimetre in height and 1e-9 degree in latitude from the surface to GEO. ``out``: three
    float64 arrays of shape (...) written in place (and returned).

    One numba pass over the points, no temporaries; bit for bit the numpy formulas of
    :func:`ecef_to_geodetic_numpy` (same operations in the same order, tested), which small
    inputs run instead.
    """
    r = np.asarray(r_ecef_m, dtype=np.float64)
    if r.ndim < 1 or r.shape[-1] != 3:
        raise ValueError(f"expected positions (..., 3), got shape {r.shape}")
    shape = r.shape[:-1]
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    if out is None:
        out = (np.empty(shape), np.empty(shape), np.empty(shape))
    elif any(o.shape != shape or o.dtype != np.float64 or not o.flags.c_contiguous for o in out):
        raise ValueError(f"out must be three C-contiguous float64 arrays of shape {shape}")
    lat, lon, alt = out
    if flat.shape[0] < _runtime.FUSED_MIN_POINTS:  # no kernel to compile for a small input
        for o, v in zip(out, ecef_to_geodetic_numpy(flat), strict=True):
            o.reshape(-1)[:] = v
    else:
        _geodetic_kernel(flat, lat.reshape(-1), lon.reshape(-1), alt.reshape(-1))
    return lat, lon, alt


def ecef_to_geodetic_numpy(r_ecef_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`ecef_to_geodetic` as whole-array numpy expressions (the reference of its kernel,
    and what it runs below :data:`~spacecompute._runtime.FUSED_MIN_POINTS` points)."""
    r = np.asarray(r_ecef_m, dtype=np.float64)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    a = EARTH_EQUATORIAL_RADIUS_M
    e2 = EARTH_ECCENTRICITY_SQ
    b = a * np.sqrt(1.0 - e2)
    ep2 = e2 / (1.0 - e2)
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    # Parametric latitude as the starting point, then Bowring's iteration
    beta = np.arctan2(z * a, p * b)
    for _ in range(2):
        sb, cb = np.sin(beta), np.cos(beta)
        lat = np.arctan2(z + ep2 * b * sb**3, p - e2 * a * cb**3)
        beta = np.arctan2(b * np.sin(lat), a * np.cos(lat))
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = a / np.sqrt(1.0 - e2 * sin_lat * sin_lat)
    # Height by projection on the normal: well conditioned at all latitudes, poles included
    alt = p * cos_lat + z * sin_lat - a * a / n
    return np.rad2deg(lat), np.rad2deg(lon), alt


_A = EARTH_EQUATORIAL_RADIUS_M
_E2 = EARTH_ECCENTRICITY_SQ
_B = _A * math.sqrt(1.0 - _E2)  # as np.sqrt of a float: both are the correctly rounded sqrt
_EP2 = _E2 / (1.0 - _E2)


@njit(cache=True)
def _geodetic_kernel(r, lat_deg, lon_deg, alt_m):  # pragma: no cover - compiled
    """Bowring (see :func:`ecef_to_geodetic`), point by point; every product and sum in the
    order of the numpy expression, ``x**3`` as ``pow(x, 3.0)`` as numpy computes it."""
    a = _A
    e2 = _E2
    b = _B
    ep2b = _EP2 * _B
    e2a = _E2 * _A
    aa = _A * _A
    for i in range(r.shape[0]):
        x = r[i, 0]
        y = r[i, 1]
        z = r[i, 2]
        p = math.hypot(x, y)
        lon = math.atan2(y, x)
        beta = math.atan2(z * a, p * b)
        lat = math.atan2(
            z + ep2b * math.pow(math.sin(beta), 3.0), p - e2a * math.pow(math.cos(beta), 3.0)
        )
        beta = math.atan2(b * math.sin(lat), a * math.cos(lat))
        # second refinement (numpy computes one more beta after it, which nothing uses)
        lat = math.atan2(
            z + ep2b * math.pow(math.sin(beta), 3.0), p - e2a * math.pow(math.cos(beta), 3.0)
        )
        sin_lat = math.sin(lat)
        cos_lat = math.cos(lat)
        n = a / math.sqrt(1.0 - e2 * sin_lat * sin_lat)
        alt_m[i] = p * cos_lat + z * sin_lat - aa / n
        lat_deg[i] = math.degrees(lat)
        lon_deg[i] = math.degrees(lon)


def enu_basis(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Unit vectors east, north, up in ECEF at geodetic (lat, lon): shape (..., 3, 3), rows E, N, U."""
    lat = np.deg2rad(np.asarray(lat_deg, dtype=np.float64))
    lon = np.deg2rad(np.asarray(lon_deg, dtype=np.float64))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


__all__ = [
    "ecef_to_geodetic",
    "ecef_to_geodetic_numpy",
    "ecef_to_teme",
    "enu_basis",
    "geodetic_to_ecef",
    "teme_to_ecef",
]
