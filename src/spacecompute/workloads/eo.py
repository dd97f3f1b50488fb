"""Earth-observation workload (space edge computing): frames captured along the ground track.

Sensor geometry (Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed., ch. 9, nadir
pinhole camera): ground sample distance ``GSD = pixel_pitch x altitude / focal_length``,
swath ``= GSD x pixels_across``, along-track frame length ``= GSD x pixels_along``, frame period
``= frame length / ground speed``. Reference camera: Denby & Lucia, "Orbital Edge Computing:
Nanosatellite Constellations as a New Class of Computer System", ASPLOS 2020 (cote): 4096 px,
1.1 um pitch, 0.2 m focal length: GSD 2.75 m and swath 11.26 km at 500 km, frame period ~1.6 s.

Frames are taken while the sub-satellite point is inside the area of interest (global land by
default, from ``global_land_mask``, bit-packed and memory-mapped by :mod:`.landmask`; or
GeoJSON / shapely polygons) and in daylight (sun elevation at the sub-satellite point above
``min_sun_elevation_deg``).

Table granularity: ONE ROW PER (satellite, ephemeris step) in which the satellite images, with a
``frames`` count; ``bits``, ``ops`` and ``result_bytes`` are totals over the row's frames. Step
``k`` is the interval ``[t_k, t_{k+1})``, judged by the state at ``t_k`` (the last instant opens
no step). The number of frames of a step is ``floor(t_{k+1}/P) - floor(t_k/P)`` with ``t`` in
seconds since 1970 and ``P`` the step's frame period, so counts add up across steps and do not
depend on where a time loop cuts its chunks.

Clouds: one Bernoulli(``cloud_fraction``) draw per row (cloud cover taken as correlated over a
step's stretch of track, ~420 km per minute at 500 km; use shorter steps for finer cloud
patterns). Default 0.67, the global mean cloud fraction from MODIS (King et al., "Spatial and
Temporal Distribution of Clouds Observed by MODIS Onboard the Terra and Aqua Satellites", IEEE
TGRS 51(7), 2013); Wang et al. (China Communications, 2024, Baoyun satellite) report 80-90 % of
images cloud-covered in cloudy regions. A cloudy frame is captured (its bits exist) but is not
``useful``. The draw is a counter-based hash of (seed, satellite, time), so the same seed gives
the same clouds for the same frame whatever the chunking, and the table is fully determined by
the ephemeris, the arguments and ``seed``.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..astro.constants import EARTH_MEAN_RADIUS_M, MU_EARTH_M3_S2
from ..astro.ephemeris import Ephemeris
from ..errors import InputError
from ..table import Table
from .eo_steps import imaging_steps, land_mask, sun_elevation_deg
from .inference import ModelSpec, model_spec


@dataclass(frozen=True)
class SensorModel:
    """A push-frame camera looking at nadir (Wertz & Larson, SMAD ch. 9).

    ``pixels_across`` x ``pixels_along`` detector (``pixels_along`` defaults to a square frame),
    ``pixel_pitch_m`` detector pitch, ``focal_length_m`` optics, ``bits_per_pixel`` per band,
    ``bands`` spectral bands.
    """

    pixels_across: int = 4096
    pixel_pitch_m: float = 1.1e-6
    focal_length_m: float = 0.2
    bits_per_pixel: int = 8
    bands: int = 3
    pixels_along: int | None = None

    def __post_init__(self) -> None:
        for name in ("pixels_across", "bits_per_pixel", "bands"):
            v = getattr(self, name)
            if not isinstance(v, int | np.integer) or isinstance(v, bool) or v < 1:
                raise InputError(f"{name} = {v!r}", field=name, expected="a whole number >= 1")
        pa = self.pixels_along
        if pa is not None and (
            not isinstance(pa, int | np.integer) or isinstance(pa, bool) or pa < 1
        ):
            raise InputError(f"pixels_along = {pa!r}", field="pixels_along", expected=">= 1")
        for name in ("pixel_pitch_m", "focal_length_m"):
            v = getattr(self, name)
            if not isinstance(v, int | float | np.number) or not math.isfinite(v) or v <= 0:
                raise InputError(f"{name} = {v!r}", field=name, expected="a finite number > 0")

    @classmethod
    def cote(cls) -> SensorModel:
        """Denby & Lucia (ASPLOS 2020) camera: 4096 px, 1.1 um, 0.2 m; 8-bit RGB (assumed)."""
        return cls(4096, 1.1e-6, 0.2, 8, 3)

    @property
    def rows(self) -> int:
        """Pixels along track (``pixels_along`` or, by default, ``pixels_across``)."""
        return self.pixels_across if self.pixels_along is None else int(self.pixels_along)

    def gsd_m(self, altitude_m: np.ndarray | float) -> np.ndarray:
        """Ground sample distance at nadir, ``pixel_pitch x altitude / focal_length`` (m)."""
        return self.pixel_pitch_m * np.asarray(altitude_m, dtype=float) / self.focal_length_m

    def swath_m(self, altitude_m: np.ndarray | float) -> np.ndarray:
        """Cross-track swath, ``GSD x pixels_across`` (m)."""
        return self.gsd_m(altitude_m) * self.pixels_across

    def frame_length_m(self, altitude_m: np.ndarray | float) -> np.ndarray:
        """Along-track frame length, ``GSD x pixels_along`` (m)."""
        return self.gsd_m(altitude_m) * self.rows

    def frame_period_s(
        self, altitude_m: np.ndarray | float, ground_speed_m_s: np.ndarray | float | None = None
    ) -> np.ndarray:
        """Time between contiguous frames, ``frame length / ground speed`` (s).

        Without ``ground_speed_m_s``: circular orbit, ``v = sqrt(mu / (R + h)) x R / (R + h)``
        (sub-satellite point speed, Earth rotation neglected; R the mean Earth radius).
        """
        h = np.asarray(altitude_m, dtype=float)
        if ground_speed_m_s is None:
            ground_speed_m_s = ground_speed_circular_m_s(h)
        return self.frame_length_m(h) / np.asarray(ground_speed_m_s, dtype=float)

    @property
    def bits_per_frame(self) -> int:
        """``pixels_across x pixels_along x bands x bits_per_pixel`` (uncompressed)."""
        return int(self.pixels_across) * self.rows * int(self.bands) * int(self.bits_per_pixel)

    def tiles_per_frame(self, tile_px: int) -> int:
        """Model input tiles covering one frame, ``ceil(across / tile) x ceil(along / tile)``."""
        return math.ceil(self.pixels_across / tile_px) * math.ceil(self.rows / tile_px)


def ground_speed_circular_m_s(altitude_m: np.ndarray | float) -> np.ndarray:
    """Speed of the sub-satellite point of a circular orbit, ``sqrt(mu/(R+h)) x R/(R+h)``."""
    a = EARTH_MEAN_RADIUS_M + np.asarray(altitude_m, dtype=float)
    return np.sqrt(MU_EARTH_M3_S2 / a) * EARTH_MEAN_RADIUS_M / a


def _aoi_mask_fn(aoi: object):
    """A function ``(lat_deg, lon_deg) -> bool array`` for the area of interest."""
    if aoi is None or (isinstance(aoi, str) and aoi in ("all", "global")):
        return lambda lat, lon: np.ones(np.shape(lat), dtype=bool)
    if isinstance(aoi, str) and aoi == "land":
        return land_mask
    import shapely
    from shapely.geometry import shape
    from shapely.geometry.base import BaseGeometry

    if isinstance(aoi, BaseGeometry):
        geom = aoi
    elif isinstance(aoi, dict) or isinstance(aoi, str | os.PathLike):
        if isinstance(aoi, dict):
            data, where = aoi, "aoi"
        else:
            path = Path(aoi)
            if not path.is_file():
                raise InputError(
                    f"aoi = {aoi!r}: no such file",
                    field="aoi",
                    expected='"land", "all", a GeoJSON file, a GeoJSON dict or a shapely geometry',
                )
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise InputError(f"cannot read GeoJSON: {exc}", file=str(path)) from None
            where = str(path)
        try:
            if data.get("type") == "FeatureCollection":
                parts = [shape(f["geometry"]) for f in data["features"]]
                geom = shapely.union_all(parts)
            elif data.get("type") == "Feature":
                geom = shape(data["geometry"])
            else:
                geom = shape(data)
        except (
            KeyError,
            TypeError,
            ValueError,
            AttributeError,
            shapely.errors.ShapelyError,
        ) as exc:
            raise InputError(f"not a GeoJSON geometry: {exc}", file=where, field="aoi") from None
    else:
        raise InputError(
            f"aoi = {aoi!r}",
            field="aoi",
            expected='"land", "all", a GeoJSON file, a GeoJSON dict or a shapely geometry',
        )
    if geom.is_empty or geom.area <= 0:
        raise InputError("the area of interest has no area", field="aoi")
    shapely.prepare(geom)
    # GeoJSON is (lon, lat); points on the boundary count as inside
    return lambda lat, lon: np.asarray(shapely.intersects_xy(geom, lon, lat), dtype=bool)


def _imaging_pairs(
    eph: Ephemeris,
    sensor: SensorModel,
    aoi: object,
    in_aoi: Any,
    el_min: float,
    buffers: object,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, satellite, frame period) of the steps in which a satellite images: valid, sun
    above ``el_min`` at the sub-satellite point, inside the area of interest (row-major)."""
    land = isinstance(aoi, str) and aoi == "land"
    k_idx, s_idx, p = imaging_steps(
        eph, sensor, land=land, min_sun_elevation_deg=el_min, buffers=buffers
    )
    if not land and k_idx.size:
        keep = in_aoi(eph.lat_deg[k_idx, s_idx], eph.lon_deg[k_idx, s_idx])
        k_idx, s_idx, p = k_idx[keep], s_idx[keep], p[keep]
    return k_idx, s_idx, p


def _hash_uniform(seed: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers from a SplitMix64 hash of (seed, a, b) (Steele et al., OOPSLA 2014)."""
    with np.errstate(over="ignore"):
        x = np.uint64(seed & 0xFFFFFFFFFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
        x = x ^ (a.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9))
        x = x ^ (b.astype(np.int64).view(np.uint64) * np.uint64(0x94D049BB133111EB))
        for _ in range(2):
            x = x + np.uint64(0x9E3779B97F4A7C15)
            x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def eo_frames(
    eph: Ephemeris,
    sensor: SensorModel | None = None,
    *,
    model: str | ModelSpec = "yolov8n",
    aoi: object = "land",
    min_sun_elevation_deg: float = 10.0,
    cloud_fraction: float = 0.67,
    seed: int = 0,
    buffers: object = None,
) -> Table:
    """Imaging workload of the satellites of ``eph`` (one row per imaging satellite and step).

    ``sensor`` defaults to :meth:`SensorModel.cote`. ``model`` (catalog name, tile model): ops
    per frame ``= tiles_per_frame x ops_per_unit``, result bytes per frame ``= tiles_per_frame x
    output_bytes_per_unit``. Ground speed per step from successive Earth-fixed positions,
    ``|r(t_{k+1}) - r(t_k)| / dt x R_local / |r|`` (Earth rotation included); altitude from the
    geodetic altitude at ``t_k``. ``aoi``: ``"land"`` (default), ``"all"``/None, a GeoJSON path
    or dict, or a shapely geometry (lon/lat degrees). ``seed``: integer for the cloud draws.

    Columns: satellite (int64 index into the ephemeris), time (datetime64[ns], step start),
    lat_deg, lon_deg (sub-satellite point at step start), frames (int64), bits (total), ops
    (FLOP, total), result_bytes (total), cloudy (bool), useful (bool: not cloudy). Rows sorted by
    time, then satellite. See the module docstring for the granularity and the cloud model.

    The per-step geometry (ground speed, frame period, sun elevation, land cell) is one fused
    numba pass (:func:`~spacecompute.workloads.eo_steps.imaging_steps`; numpy formulas with the
    same numbers for small ephemerides); ``buffers``, a
    :class:`~spacecompute._buffers.BufferPool`, lends it its working arrays.
    """
    if not isinstance(eph, Ephemeris):
        raise InputError(f"eph is a {type(eph).__name__}", field="eph", expected="an Ephemeris")
    sensor = SensorModel.cote() if sensor is None else sensor
    if not isinstance(sensor, SensorModel):
        raise InputError("sensor is not a SensorModel", field="sensor")
    spec = model_spec(model)
    if spec.unit != "tile" or spec.tile_px is None:
        raise InputError(f"model {spec.name!r} is not an image model", field="model")
    cf = float(cloud_fraction)
    if not 0.0 <= cf <= 1.0:
        raise InputError(
            f"cloud_fraction = {cloud_fraction}", field="cloud_fraction", expected="0..1"
        )
    el_min = float(min_sun_elevation_deg)
    if not -90.0 <= el_min <= 90.0:
        raise InputError(
            f"min_sun_elevation_deg = {min_sun_elevation_deg}",
            field="min_sun_elevation_deg",
            expected="-90..90",
        )
    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise InputError(f"seed = {seed!r}", field="seed", expected="an integer")
    in_aoi = _aoi_mask_fn(aoi)

    n_t, n_sat = eph.n_times, eph.n_satellites
    empty = Table(
        {
            "satellite": np.zeros(0, np.int64),
            "time": np.zeros(0, "datetime64[ns]"),
            "lat_deg": np.zeros(0),
            "lon_deg": np.zeros(0),
            "frames": np.zeros(0, np.int64),
            "bits": np.zeros(0),
            "ops": np.zeros(0),
            "result_bytes": np.zeros(0),
            "cloudy": np.zeros(0, bool),
            "useful": np.zeros(0, bool),
        }
    )
    if n_t < 2 or n_sat == 0:
        return empty
    times = eph.times
    t_ns = times.astype(np.int64)
    if np.any(np.diff(t_ns) <= 0):
        raise InputError("ephemeris times are not increasing", field="eph.times")
    k_idx, s_idx, p = _imaging_pairs(eph, sensor, aoi, in_aoi, el_min, buffers)
    t0_s = t_ns[k_idx] / 1e9
    t1_s = t_ns[k_idx + 1] / 1e9
    frames = (np.floor(t1_s / p) - np.floor(t0_s / p)).astype(np.int64)
    nz = frames > 0
    k_idx, s_idx, frames = k_idx[nz], s_idx[nz], frames[nz]
    lat = eph.lat_deg
    lon = eph.lon_deg

    tiles = sensor.tiles_per_frame(spec.tile_px)
    cloudy = _hash_uniform(int(seed), s_idx, t_ns[k_idx]) < cf
    f = frames.astype(float)
    return Table(
        {
            "satellite": s_idx.astype(np.int64),
            "time": times[k_idx],
            "lat_deg": lat[k_idx, s_idx],
            "lon_deg": lon[k_idx, s_idx],
            "frames": frames,
            "bits": f * sensor.bits_per_frame,
            "ops": f * tiles * spec.ops_per_unit,
            "result_bytes": f * tiles * spec.output_bytes_per_unit,
            "cloudy": cloudy,
            "useful": ~cloudy,
        }
    )


__all__ = ["SensorModel", "eo_frames", "ground_speed_circular_m_s", "sun_elevation_deg"]
