"""The numpy formulas that the fused per-chunk geometry kernels reproduce bit for bit.

Before the kernels, a chunk's environment was computed with these numpy expressions (full-size
temporaries for every intermediate). They are kept, unchanged, as the reference the kernels are
tested against (``tests/test_geometry_kernels.py``: ``assert_array_equal`` on random inputs and
on a chunk of a constellation) and as the "numpy" column of ``benchmarks/geometry.py``. The
look angles, geodetic and imaging formulas live beside their kernels (small inputs, below
:data:`~spacecompute._runtime.FUSED_MIN_POINTS`, run them so that a small run compiles no
kernel); the whole-chunk functions here are used by nothing but tests and benchmarks.

- :func:`look_angles_numpy`: :func:`spacecompute.astro.access.look_angles`;
- :func:`ecef_to_geodetic_numpy`: :func:`spacecompute.astro.frames.ecef_to_geodetic`;
- :func:`imaging_steps_numpy`: :func:`spacecompute.workloads.eo_steps.imaging_steps` (with the
  area of interest of :func:`~spacecompute.workloads.eo.eo_frames`);
- :func:`chunk_environment_numpy`: :func:`spacecompute.sim.forecast.chunk_environment`;
- :func:`with_previous_instant_numpy`: :func:`spacecompute.sim.forecast.with_previous_instant`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..astro.access import look_angles_numpy
from ..astro.eclipse import sunlit_fraction_from_positions
from ..astro.ephemeris import Ephemeris
from ..astro.frames import ecef_to_geodetic_numpy
from ..astro.sun import sun_position_eci_m
from ..table import Table
from ..workloads.eo import SensorModel, _aoi_mask_fn, _hash_uniform
from ..workloads.eo_steps import imaging_steps_numpy as _imaging_steps_numpy
from ..workloads.inference import model_spec
from .forecast import ChunkEnvironment


def imaging_steps_numpy(
    eph: Ephemeris, sensor: SensorModel, *, aoi: object, min_sun_elevation_deg: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, satellite, frame period) of the imaging pairs, with (T-1, N) temporaries."""
    return _imaging_steps_numpy(
        eph, sensor, in_aoi=_aoi_mask_fn(aoi), min_sun_elevation_deg=min_sun_elevation_deg
    )


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
