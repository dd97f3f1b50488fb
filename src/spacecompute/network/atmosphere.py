"""Atmospheric attenuation on Earth-space paths from the ITU-R recommendations.

The total attenuation exceeded for ``p`` % of an average year at a station is that of ITU-R
P.618-13 section 2.5, ``A = A_gas + sqrt((A_rain + A_cloud)^2 + A_scint^2)``, with

- rain: P.618-13 section 2.2.1.1 (slant path, with P.837-7 rain rates, P.839-4 rain heights,
  P.838-3 specific attenuation; circular polarisation, tau = 45 deg);
- gases: P.676-12 Annex 2 (slant path from the integrated water vapour of P.836-6 and the
  surface pressure and temperature of P.835 / P.1510);
- clouds: P.840-8 (integrated liquid water content);
- tropospheric scintillation: P.618-13 section 2.4.1, for the antenna's effective diameter;

gas and clouds at ``max(p, 1)`` % as P.618-13 eqs. (64)-(65) prescribe. All of it is computed by
ITU-Rpy (the ``itur`` package, del Portillo, https://github.com/inigodelportillo/ITU-Rpy), whose
wheel ships the ITU-R digital maps: nothing is downloaded at run time.

ITU-Rpy takes about 0.2 s per call (and several seconds to import and load its maps), so a link
budget does not call it per step: the attenuation of each (station, frequency, availability,
antenna) is tabulated on a 1-deg elevation grid from 5 to 90 deg (one vectorised call for all new
stations) and interpolated. Tables are kept for the process and in the user's cache folder
(:mod:`spacecompute._cache`), under a name that digests the table's inputs, the grid and
ITU-Rpy's version, so a later run at the same stations does not import ITU-Rpy at all.
``A(e) sin(e)`` is interpolated rather than ``A(e)`` because it varies slowly with elevation
(the path length goes as 1/sin(e)), which keeps the interpolation error below 0.5 % of ``A``.
Below 5 deg, where P.618's scintillation and P.840's cosecant law are not defined, the 5-deg
value is carried down along the curved-layer path of P.618-13 eq. (2) (finite at 0 deg).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._cache import cache_dir, read_array, write_array_atomically

__all__ = [
    "ELEVATION_GRID_DEG",
    "MIN_TABULATED_ELEVATION_DEG",
    "REFERENCE_SITE",
    "clear_sky",
    "elevation_factor",
    "itur_available",
    "itur_slant_loss_db",
    "itur_version",
]

#: Site used when a budget is given no station: Paris (48.85 N, 2.35 E, 100 m), the temperate
#: reference site of the fallback table in :mod:`spacecompute.network.links`.
REFERENCE_SITE = (48.85, 2.35, 100.0)

#: Lowest elevation ITU-Rpy is evaluated at (P.618-13 scintillation: 5 to 90 deg).
MIN_TABULATED_ELEVATION_DEG = 5.0
#: The elevation grid of the tables (deg).
ELEVATION_GRID_DEG = np.arange(MIN_TABULATED_ELEVATION_DEG, 90.0 + 0.5, 1.0)

_LAYER_HEIGHT_M = 6.0e3  # equivalent height of the absorbing layer (oxygen, P.676 Annex 2)
_EFFECTIVE_EARTH_RADIUS_M = 8.5e6  # P.618-13 eq. (2)

#: ITU-Rpy's default antenna efficiency; the scintillation model uses only the effective
#: diameter ``sqrt(eta) D``, so with ``D`` derived from the gain at the same ``eta`` the result
#: depends on the gain alone.
ANTENNA_EFFICIENCY = 0.5

#: Sentinel availability: clear sky (gases only, median water vapour).
clear_sky = None

# (lat, lon, alt, f, p, D) rounded -> A(e) sin(e) on ELEVATION_GRID_DEG
_TABLES: dict[tuple, np.ndarray] = {}


def _layer_path_m(sin_e: np.ndarray) -> np.ndarray:
    """Path length through a layer of height H over a curved Earth (ITU-R P.618-13 eq. (2))."""
    h2 = 2.0 * _LAYER_HEIGHT_M
    return h2 / (np.sqrt(sin_e * sin_e + h2 / _EFFECTIVE_EARTH_RADIUS_M) + sin_e)


def elevation_factor(elevation_deg: np.ndarray, min_elevation_deg: float = 5.0) -> np.ndarray:
    """Slant-to-zenith ratio: 1/sin(e) from ``min_elevation_deg`` up, the curved-layer path
    ratio of P.618-13 eq. (2) below (continuous there, finite at 0 deg)."""
    elevation_deg = np.asarray(elevation_deg, dtype=np.float64)
    e_min = math.radians(min_elevation_deg)
    s = np.sin(np.radians(np.maximum(elevation_deg, min_elevation_deg)))
    low = np.sin(np.radians(np.minimum(elevation_deg, min_elevation_deg)))
    curved = _layer_path_m(low) / _layer_path_m(np.asarray(math.sin(e_min))) / math.sin(e_min)
    return np.where(elevation_deg >= min_elevation_deg, 1.0 / s, curved)


@lru_cache(maxsize=1)
def itur_available() -> bool:
    """Whether ITU-Rpy (the optional extra ``spacecompute[itur]``) is installed (read from the
    installed distributions: importing ITU-Rpy takes seconds)."""
    return itur_version() != ""


@lru_cache(maxsize=1)
def itur_version() -> str:
    """ITU-Rpy's version ("" when not installed)."""
    try:
        return importlib.metadata.version("itur")
    except importlib.metadata.PackageNotFoundError:
        return ""


def _itur_table(sites: np.ndarray, f_ghz: float, p: float | None, d_m: float) -> np.ndarray:
    """``A(e) sin(e)`` (dB) on the elevation grid for ``sites`` (K, 3: lat, lon, alt_m): one
    vectorised ITU-Rpy call for all of them."""
    import itur

    e = ELEVATION_GRID_DEG
    k = len(sites)
    lat = np.repeat(sites[:, 0], e.size)
    lon = np.repeat(sites[:, 1], e.size)
    hs_km = np.repeat(np.maximum(sites[:, 2], 0.0) / 1e3, e.size)
    el = np.tile(e, k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ITU-Rpy warns on ranges we stay inside
        a = itur.atmospheric_attenuation_slant_path(
            lat,
            lon,
            f_ghz,
            el,
            50.0 if p is None else p,
            d_m,
            hs=hs_km,
            eta=ANTENNA_EFFICIENCY,
            include_rain=p is not None,
            include_clouds=p is not None,
            include_scintillation=p is not None,
        )
    a = np.asarray(getattr(a, "value", a), dtype=np.float64).reshape(k, e.size)
    return a * np.sin(np.radians(e))[None, :]


_DISK_FORMAT = 1


def _disk_path(key: tuple) -> Path:
    """Where the table of ``key`` is kept: a digest of the key, the grid and ITU-Rpy's version."""
    text = repr(
        (_DISK_FORMAT, key, ELEVATION_GRID_DEG.tolist(), ANTENNA_EFFICIENCY, itur_version())
    )
    return cache_dir() / "itur" / f"{hashlib.sha256(text.encode()).hexdigest()[:24]}.npy"


def _from_disk(key: tuple) -> np.ndarray | None:
    table = read_array(_disk_path(key))
    if table is None or table.shape != ELEVATION_GRID_DEG.shape or not np.isfinite(table).all():
        return None
    return table


def _to_disk(key: tuple, table: np.ndarray) -> None:
    try:
        write_array_atomically(_disk_path(key), table)
    except OSError:
        pass  # no writable cache folder: the table stays in this process only


def _tables(sites: np.ndarray, f_hz: float, p: float | None, d_m: float) -> np.ndarray:
    """(K, E) tables of ``sites``: from this process, else from the cache folder, else computed
    (the missing ones in one ITU-Rpy call) and kept in both."""
    keys = [
        (round(float(a), 4), round(float(b), 4), round(float(c), 1), f_hz, p, round(d_m, 3))
        for a, b, c in sites
    ]
    for key in keys:
        if key not in _TABLES and (table := _from_disk(key)) is not None:
            _TABLES[key] = table
    missing = [i for i, key in enumerate(keys) if key not in _TABLES]
    if missing:
        new = _itur_table(sites[missing], f_hz / 1e9, p, d_m)
        for row, i in enumerate(missing):
            _TABLES[keys[i]] = new[row]
            _to_disk(keys[i], new[row])
    return np.stack([_TABLES[key] for key in keys])


def itur_slant_loss_db(
    elevation_deg: np.ndarray,
    frequency_hz: float,
    p_percent: float | None,
    lat_deg: np.ndarray,
    lon_deg: np.ndarray,
    alt_m: np.ndarray,
    antenna_diameter_m: float,
) -> np.ndarray:
    """Total attenuation (dB) exceeded ``p_percent`` % of the year (``None``: clear sky, gases
    only with the median water vapour) at ``elevation_deg`` (0-90) from sites ``lat_deg``,
    ``lon_deg``, ``alt_m``, all broadcast together (validated by the caller)."""
    e, lat, lon, alt = np.broadcast_arrays(
        np.asarray(elevation_deg, dtype=np.float64),
        np.asarray(lat_deg, dtype=np.float64),
        np.asarray(lon_deg, dtype=np.float64),
        np.asarray(alt_m, dtype=np.float64),
    )
    shape = e.shape
    sites, inverse = _unique_sites(lat.ravel(), lon.ravel(), alt.ravel())
    table = _tables(sites, float(frequency_hz), p_percent, float(antenna_diameter_m))
    ev = e.ravel()
    # Linear interpolation of A sin(e) on the 1-deg grid, per element's site.
    x = np.clip(ev, MIN_TABULATED_ELEVATION_DEG, 90.0) - MIN_TABULATED_ELEVATION_DEG
    i0 = np.minimum(x.astype(np.intp), ELEVATION_GRID_DEG.size - 2)
    w = x - i0
    g = table[inverse, i0] * (1.0 - w) + table[inverse, i0 + 1] * w
    out = g / np.sin(np.radians(np.maximum(ev, MIN_TABULATED_ELEVATION_DEG)))
    low = ev < MIN_TABULATED_ELEVATION_DEG
    if low.any():  # g is A(5) sin(5) there: carry it down the curved layer
        out[low] = g[low] * elevation_factor(ev[low], MIN_TABULATED_ELEVATION_DEG)
    return out.reshape(shape)


def _unique_sites(
    lat: np.ndarray, lon: np.ndarray, alt: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (lat, lon, alt) rows (K, 3) and each element's row: one sort per column and
    one over integer codes (much faster than ``np.unique(axis=0)`` on many elements)."""
    if lat.size == 0 or ((lat == lat[0]).all() and (lon == lon[0]).all() and (alt == alt[0]).all()):
        first = np.array([[lat[0], lon[0], alt[0]]]) if lat.size else np.zeros((1, 3))
        return first, np.zeros(lat.size, dtype=np.intp)
    codes = [np.unique(c, return_inverse=True) for c in (lat, lon, alt)]
    key = codes[0][1].astype(np.int64)
    for values, inv in codes[1:]:
        key = key * values.size + inv
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    sites = np.stack([lat[first], lon[first], alt[first]], axis=1)
    return sites, inverse.ravel()
