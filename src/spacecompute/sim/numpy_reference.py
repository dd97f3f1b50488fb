"""The numpy formulas that the fused per-chunk geometry kernels reproduce bit for bit.

Before the kernels, a chunk's environment was computed with these numpy expressions (full-size
temporaries for every intermediate). They are kept, unchanged, as the reference the kernels are
tested against (``tests/test_geometry_kernels.py``: ``assert_array_equal`` on random inputs and
on a chunk of a constellation) and as the "numpy" column of ``benchmarks/geometry.py``. Nothing
else uses them.

- :func:`look_angles_numpy`: :func:`spacecompute.astro.access.look_angles`;
- :func:`ecef_to_geodetic_numpy`: :func:`spacecompute.astro.frames.ecef_to_geodetic`;
- :func:`imaging_steps_numpy`: :func:`spacecompute.workloads.eo_steps.imaging_steps`;
- :func:`chunk_environment_numpy`: :func:`spacecompute.sim.forecast.chunk_environment`;
- :func:`with_previous_instant_numpy`: :func:`spacecompute.sim.forecast.with_previous_instant`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..astro.constants import EARTH_ECCENTRICITY_SQ, EARTH_EQUATORIAL_RADIUS_M
from ..astro.eclipse import sunlit_fraction_from_positions
from ..astro.ephemeris import Ephemeris
from ..astro.frames import enu_basis
from ..astro.sun import sun_position_eci_m
from ..table import Table
from ..workloads.eo import (
    SensorModel,
    _aoi_mask_fn,
    _hash_uniform,
    sun_elevation_deg,
)
from ..workloads.inference import model_spec
from .forecast import ChunkEnvironment


def look_angles_numpy(
    r_sat_ecef_m: np.ndarray, stations: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Elevation, azimuth, range (..., S, N) with (..., S, N, 3) temporaries and ``einsum``."""
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


def ecef_to_geodetic_numpy(r_ecef_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bowring's method with two refinements, as whole-array numpy expressions."""
    r = np.asarray(r_ecef_m, dtype=np.float64)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    a = EARTH_EQUATORIAL_RADIUS_M
    e2 = EARTH_ECCENTRICITY_SQ
    b = a * np.sqrt(1.0 - e2)
    ep2 = e2 / (1.0 - e2)
    p = np.hypot(x, y)
    lon = np.arctan2(y, x)
    beta = np.arctan2(z * a, p * b)
    for _ in range(2):
        sb, cb = np.sin(beta), np.cos(beta)
        lat = np.arctan2(z + ep2 * b * sb**3, p - e2 * a * cb**3)
        beta = np.arctan2(b * np.sin(lat), a * np.cos(lat))
    sin_lat = np.sin(lat)
    cos_lat = np.cos(lat)
    n = a / np.sqrt(1.0 - e2 * sin_lat * sin_lat)
    alt = p * cos_lat + z * sin_lat - a * a / n
    return np.rad2deg(lat), np.rad2deg(lon), alt


def imaging_steps_numpy(
    eph: Ephemeris, sensor: SensorModel, *, aoi: object, min_sun_elevation_deg: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, satellite, frame period) of the imaging pairs, with (T-1, N) temporaries."""
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
    take &= _aoi_mask_fn(aoi)(np.where(take, lat, 0.0), np.where(take, lon, 0.0))
    k_idx, s_idx = np.nonzero(take)  # row-major: sorted by time, then satellite
    return k_idx, s_idx, period[k_idx, s_idx]


def eo_frames_numpy(
    eph: Ephemeris,
    sensor: SensorModel | None = None,
    *,
    model: str = "yolov8n",
    aoi: object = "land",
    min_sun_elevation_deg: float = 10.0,
    cloud_fraction: float = 0.67,
    seed: int = 0,
) -> Table:
    """:func:`~spacecompute.workloads.eo.eo_frames` on valid arguments, numpy geometry."""
    sensor = SensorModel.cote() if sensor is None else sensor
    spec = model_spec(model)
    times = eph.times
    t_ns = times.astype(np.int64)
    k_idx, s_idx, p = imaging_steps_numpy(
        eph, sensor, aoi=aoi, min_sun_elevation_deg=min_sun_elevation_deg
    )
    t0_s = t_ns[k_idx] / 1e9
    t1_s = t_ns[k_idx + 1] / 1e9
    frames = (np.floor(t1_s / p) - np.floor(t0_s / p)).astype(np.int64)
    nz = frames > 0
    k_idx, s_idx, frames = k_idx[nz], s_idx[nz], frames[nz]
    tiles = sensor.tiles_per_frame(spec.tile_px)
    cloudy = _hash_uniform(int(seed), s_idx, t_ns[k_idx]) < float(cloud_fraction)
    f = frames.astype(float)
    return Table(
        {
            "satellite": s_idx.astype(np.int64),
            "time": times[k_idx],
            "lat_deg": eph.lat_deg[k_idx, s_idx],
            "lon_deg": eph.lon_deg[k_idx, s_idx],
            "frames": frames,
            "bits": f * sensor.bits_per_frame,
            "ops": f * tiles * spec.ops_per_unit,
            "result_bytes": f * tiles * spec.output_bytes_per_unit,
            "cloudy": cloudy,
            "useful": ~cloudy,
        }
    )


def with_previous_instant_numpy(prev: Ephemeris | None, eph: Ephemeris) -> Ephemeris:
    """:func:`~spacecompute.sim.forecast.with_previous_instant` by ``np.concatenate`` (fresh
    arrays for every chunk)."""
    if prev is None:
        return eph

    def cat(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        if a is None or b is None:
            return None
        return np.concatenate([a[-1:], b], axis=0)

    return Ephemeris(
        cat(prev.times, eph.times),
        cat(prev.r_eci_m, eph.r_eci_m),
        cat(prev.v_eci_m, eph.v_eci_m),
        names=eph.names,
        valid=cat(prev.valid, eph.valid),
        r_ecef_m=cat(prev.r_ecef_m, eph.r_ecef_m),
    )


def chunk_environment_numpy(
    eph: Ephemeris,
    stations: Any,
    radio: Any,
    ground: Any,
    *,
    model: str,
    cloud_fraction: float,
    seed: int,
    shadow: str = "conical",
    sensor: Any = None,
    aoi: Any = "land",
) -> ChunkEnvironment:
    """:func:`~spacecompute.sim.forecast.chunk_environment` with the numpy formulas (the
    ephemeris' geodetic arrays, if not computed yet, by :func:`ecef_to_geodetic_numpy`)."""
    from ..network.links import radio_link_budget

    if "_geodetic" not in eph.__dict__:
        eph.__dict__["_geodetic"] = ecef_to_geodetic_numpy(eph.r_ecef_m)
    t_ns = eph.times.astype(np.int64)
    sun = sun_position_eci_m(eph.times)
    sunlit = np.asarray(sunlit_fraction_from_positions(eph.r_eci_m, sun, shadow))
    sunlit = np.nan_to_num(sunlit.astype(np.float64), nan=0.0)
    el, _, rng = look_angles_numpy(eph.r_ecef_m, stations)  # (T, S, N)
    visible = np.isfinite(el) & (el >= stations.min_elevation_deg[None, :, None])
    rate = np.zeros(el.shape)
    if visible.any():
        site = np.nonzero(visible)[1]  # each visible pair's station: ITU-R loss at its site
        rate[visible] = radio_link_budget(
            radio,
            ground,
            rng[visible],
            el[visible],
            lat_deg=stations.lat_deg[site],
            lon_deg=stations.lon_deg[site],
            alt_m=stations.alt_m[site],
        ).rate_bps
    frames = eo_frames_numpy(
        eph, sensor, model=model, aoi=aoi, cloud_fraction=cloud_fraction, seed=int(seed)
    )
    f_step = np.searchsorted(t_ns, frames["time"].astype(np.int64))
    bounds = np.searchsorted(f_step, np.arange(eph.n_times))
    return ChunkEnvironment(t_ns, sun, sunlit, rate, frames, bounds)


__all__ = [
    "chunk_environment_numpy",
    "ecef_to_geodetic_numpy",
    "eo_frames_numpy",
    "imaging_steps_numpy",
    "look_angles_numpy",
    "with_previous_instant_numpy",
]
