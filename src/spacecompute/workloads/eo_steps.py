"""Which satellites image in which steps: one fused numba pass over a chunk (no temporaries).

For every step ``k`` (all instants but the last) and satellite, :func:`imaging_steps` computes,
as :func:`~spacecompute.workloads.eo.eo_frames` defines them, the ground speed
``|r(t_{k+1}) - r(t_k)| / dt x (|r| - h) / |r|``, the frame period of the sensor, the validity of
the step, the sun elevation at the sub-satellite point
(:func:`~spacecompute.workloads.eo.sun_elevation_deg`) and, for the ``"land"`` area of
interest, the land mask cell (:func:`~spacecompute.workloads.landmask.is_land`), and writes
only the (step, satellite, period) triples that image. Every value is computed by the same
operations in the same order as the numpy formulas (:func:`imaging_steps_numpy`, which small
chunks run instead), so the results are the same bit for bit (tested); other areas of interest
are applied to the triples afterwards.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from .. import _runtime
from ..astro.ephemeris import Ephemeris
from ..astro.frames import teme_to_ecef
from ..astro.sun import sun_direction_eci
from ..astro.timeutil import datetime64_to_jd, gmst_rad
from .landmask import is_land, kernel_args

#: The geodetic vertical and the geocentric direction of a point on or above the WGS84
#: ellipsoid differ by at most 0.193 deg (NIMA TR8350.2), so their dot products with the sun
#: direction differ by at most 2 sin(0.097 deg) = 0.0034: where the geocentric one is below
#: sin(el_min) - 0.01, the sun elevation is below el_min, and its trigonometry is skipped.
_SUN_MARGIN = 0.01

_NO_LAND = np.zeros((0, 0), np.uint8)
_NO_LAND.flags.writeable = False
_NO_GRID = np.zeros(8)


def sun_direction_ecef(times: np.ndarray) -> np.ndarray:
    """Unit sun direction in the Earth-fixed frame at ``times`` (T, 3) (TEME to Earth-fixed by
    the mean sidereal time, :func:`~spacecompute.astro.frames.teme_to_ecef`)."""
    s, _ = teme_to_ecef(sun_direction_eci(times), gmst_rad(*datetime64_to_jd(times)))
    return np.ascontiguousarray(s, dtype=np.float64)


def imaging_steps(
    eph: Ephemeris,
    sensor: Any,
    *,
    land: bool,
    min_sun_elevation_deg: float,
    buffers: Any = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(step, satellite, frame_period_s)`` of the (step, satellite) pairs that image.

    Pairs in row-major order (by step, then satellite). ``land``: keep only pairs over land
    (else every pair in daylight; apply another area of interest to the result). ``buffers``: a
    :class:`~spacecompute._buffers.BufferPool` for the outputs (views into it), else fresh.
    """
    if max(0, eph.n_times - 1) * eph.n_satellites < _runtime.FUSED_MIN_POINTS:
        return imaging_steps_numpy(  # a small chunk: no kernel to compile
            eph,
            sensor,
            in_aoi=land_mask if land else None,
            min_sun_elevation_deg=min_sun_elevation_deg,
        )
    r = np.ascontiguousarray(eph.r_ecef_m, dtype=np.float64)
    lat = np.ascontiguousarray(eph.lat_deg, dtype=np.float64)
    lon = np.ascontiguousarray(eph.lon_deg, dtype=np.float64)
    alt = np.ascontiguousarray(eph.alt_m, dtype=np.float64)
    valid = np.ascontiguousarray(eph.valid, dtype=bool)
    t_ns = eph.times.astype(np.int64)
    dt = np.ascontiguousarray(np.diff(t_ns) / 1e9, dtype=np.float64)
    sun = sun_direction_ecef(eph.times[:-1])
    bits, grid = kernel_args() if land else (_NO_LAND, _NO_GRID)
    sensor_args = (
        float(sensor.pixel_pitch_m),
        float(sensor.focal_length_m),
        float(sensor.rows),
        float(min_sun_elevation_deg),
    )
    total = max(0, r.shape[0] - 1) * r.shape[1]
    capacity = min(total, max(1024, total // 4))
    while True:
        if buffers is None:
            k_out = np.empty(capacity, np.int64)
            s_out = np.empty(capacity, np.int64)
            p_out = np.empty(capacity)
        else:
            k_out = buffers.take("imaging.step", (capacity,), np.int64)
            s_out = buffers.take("imaging.satellite", (capacity,), np.int64)
            p_out = buffers.take("imaging.period", (capacity,))
        count = _imaging_kernel(
            r, dt, valid, lat, lon, alt, sun, *sensor_args, bits, grid, k_out, s_out, p_out
        )
        if count <= capacity:
            return k_out[:count], s_out[:count], p_out[:count]
        capacity = min(total, 2 * count)


def land_mask(lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """The ``"land"`` area of interest: :func:`~spacecompute.workloads.landmask.is_land` of
    the latitude clipped to [-90, 90] and the longitude wrapped to [-180, 180)."""
    lat_c = np.clip(lat_deg, -90.0, 90.0)
    lon_c = np.remainder(lon_deg + 180.0, 360.0) - 180.0
    return is_land(lat_c, lon_c)


def imaging_steps_numpy(
    eph: Ephemeris,
    sensor: Any,
    *,
    in_aoi: Callable[[np.ndarray, np.ndarray], np.ndarray] | None,
    min_sun_elevation_deg: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`imaging_steps` as whole-array numpy expressions with (T-1, N) temporaries (the
    reference of its kernel, and what it runs below
    :data:`~spacecompute._runtime.FUSED_MIN_POINTS` satellite-steps); ``in_aoi(lat, lon)``:
    the area of interest (None: everywhere)."""
    t_ns = eph.times.astype(np.int64)
    lat = eph.lat_deg[:-1]
    lon = eph.lon_deg[:-1]
    alt = eph.alt_m[:-1]
    r = eph.r_ecef_m
    dt = (np.diff(t_ns) / 1e9)[:, None]  # (T-1, 1)
    rnorm = np.linalg.norm(r[:-1], axis=-1)
    ground_speed = np.linalg.norm(r[1:] - r[:-1], axis=-1) / dt * (rnorm - alt) / rnorm
    with np.errstate(divide="ignore", invalid="ignore"):
        period = sensor.frame_period_s(alt, ground_speed)  # (T-1, N)
    valid = eph.valid[:-1] & eph.valid[1:] & np.isfinite(period) & (period > 0) & (alt > 0)
    sun_el = sun_elevation_deg(eph.times[:-1], lat, lon)
    take = valid & (sun_el > float(min_sun_elevation_deg))
    if in_aoi is not None:
        take &= in_aoi(np.where(take, lat, 0.0), np.where(take, lon, 0.0))
    k_idx, s_idx = np.nonzero(take)  # row-major: sorted by time, then satellite
    return k_idx, s_idx, period[k_idx, s_idx]


def sun_elevation_deg(times: np.ndarray, lat_deg: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Sun elevation above the horizon at ground points (T, N) at instants ``times`` (T,), deg.

    ``sin(elevation) = up . s`` with ``up`` the geodetic vertical and ``s`` the sun direction in
    the Earth-fixed frame (Astronomical Almanac low-precision sun; parallax of 4e-5 rad neglected).
    """
    s = sun_direction_ecef(times)  # (T, 3)
    lat = np.deg2rad(lat_deg)
    lon = np.deg2rad(lon_deg)
    cl = np.cos(lat)
    sin_el = (
        cl * np.cos(lon) * s[:, None, 0]
        + cl * np.sin(lon) * s[:, None, 1]
        + np.sin(lat) * s[:, None, 2]
    )
    return np.rad2deg(np.arcsin(np.clip(sin_el, -1.0, 1.0)))


@njit(cache=True, error_model="numpy")
def _imaging_kernel(
    r, dt, valid, lat, lon, alt, sun, pitch, focal, rows, el_min, bits, grid, k_out, s_out, p_out
):  # pragma: no cover - compiled
    """See the module docstring; returns the number of pairs (write them again into larger
    arrays if it exceeds their length)."""
    use_land = bits.shape[0] > 0
    sin_night = math.sin(math.radians(el_min)) - _SUN_MARGIN
    room = k_out.shape[0]
    count = 0
    for k in range(r.shape[0] - 1):
        sx = sun[k, 0]
        sy = sun[k, 1]
        sz = sun[k, 2]
        for n in range(r.shape[1]):
            h = alt[k, n]
            x = r[k, n, 0]
            y = r[k, n, 1]
            z = r[k, n, 2]
            dx = r[k + 1, n, 0] - x
            dy = r[k + 1, n, 1] - y
            dz = r[k + 1, n, 2] - z
            rnorm = math.sqrt(x * x + y * y + z * z)
            speed = math.sqrt(dx * dx + dy * dy + dz * dz) / dt[k] * (rnorm - h) / rnorm
            period = pitch * h / focal * rows / speed
            if not (
                valid[k, n]
                and valid[k + 1, n]
                and math.isfinite(period)
                and period > 0.0
                and h > 0.0
            ):
                continue
            if (x * sx + y * sy + z * sz) / rnorm < sin_night:
                continue  # sun provably below el_min here (see _SUN_MARGIN)
            la = math.radians(lat[k, n])
            lo = math.radians(lon[k, n])
            cl = math.cos(la)
            sin_el = cl * math.cos(lo) * sx + cl * math.sin(lo) * sy + math.sin(la) * sz
            if sin_el > 1.0:
                sin_el = 1.0
            elif sin_el < -1.0:
                sin_el = -1.0
            if not math.degrees(math.asin(sin_el)) > el_min:
                continue
            if use_land:  # is_land(clip(lat, -90, 90), remainder(lon + 180, 360) - 180)
                la = lat[k, n]
                la = -90.0 if la < -90.0 else (90.0 if la > 90.0 else la)
                la = grid[2] if la < grid[2] else (grid[3] if la > grid[3] else la)
                lo = (lon[k, n] + 180.0) % 360.0 - 180.0
                lo = grid[6] if lo < grid[6] else (grid[7] if lo > grid[7] else lo)
                i = int((la - grid[0]) / grid[1])
                j = int((lo - grid[4]) / grid[5])
                if (bits[i, j >> 3] >> (7 - (j & 7))) & 1:
                    continue  # ocean
            if count < room:
                k_out[count] = k
                s_out[count] = n
                p_out[count] = period
            count += 1
    return count


__all__ = [
    "imaging_steps",
    "imaging_steps_numpy",
    "land_mask",
    "sun_direction_ecef",
    "sun_elevation_deg",
]
