"""Contact windows against an independent propagator and a brute-force search.

Ours: :func:`spacecompute.astro.constellation.load_elements` and ``propagate`` (SGP4 at 30 s
steps) into :func:`spacecompute.astro.access.contact_windows` (crossings and maxima refined
between samples), for the twelve Three-Body Computing Constellation satellites shipped with
the package and four stations over 12 h. Reference, written out here without the project's
frames: positions from the ``sgp4`` library at every second, rotated to Earth-fixed by the
IAU 1982 GMST (Vallado, *Fundamentals of Astrodynamics*, 4th ed., eq. 3-45, UT1 = UTC), the
stations on the WGS84 ellipsoid, and windows where the elevation crosses the mask (start and
end interpolated linearly within the second, maximum = largest 1 s sample).
"""

from __future__ import annotations

import math
from importlib import resources

import numpy as np

from ..astro.access import contact_windows
from ..astro.constellation import load_elements
from ..astro.ground import ground_stations
from .check import Check

CITATION = "sgp4 + brute force at 1 s"
START = np.datetime64("2026-03-19T12:00:00", "ns")
SPAN_S = 12 * 3600
STATIONS = ("Svalbard", "Wallops", "Singapore", "Awarua")


def _gmst_rad(jd_ut1: np.ndarray) -> np.ndarray:
    t = (jd_ut1 - 2451545.0) / 36525.0
    sec = 67310.54841 + (876600.0 * 3600.0 + 8640184.812866) * t + 0.093104 * t**2 - 6.2e-6 * t**3
    return np.radians((sec % 86400.0) / 240.0)


def _station_ecef_m(lat_deg, lon_deg, alt_m) -> np.ndarray:
    a, f = 6378137.0, 1.0 / 298.257223563
    e2 = f * (2.0 - f)
    lat, lon = np.radians(lat_deg), np.radians(lon_deg)
    n = a / np.sqrt(1.0 - e2 * np.sin(lat) ** 2)
    return np.stack(
        [
            (n + alt_m) * np.cos(lat) * np.cos(lon),
            (n + alt_m) * np.cos(lat) * np.sin(lon),
            (n * (1.0 - e2) + alt_m) * np.sin(lat),
        ],
        axis=-1,
    )


def _brute_force(tle_path, stations) -> list[tuple]:
    """(station, satellite, start_s, end_s, max_el_deg, cut) of every window at 1 s."""
    from sgp4.api import Satrec, SatrecArray

    lines = [ln for ln in open(tle_path).read().splitlines() if ln.strip()]
    recs = [Satrec.twoline2rv(lines[k + 1], lines[k + 2]) for k in range(0, len(lines), 3)]
    t_s = np.arange(0, SPAN_S + 1, dtype=float)
    jd0 = (START - np.datetime64("2000-01-01T12:00:00", "ns")).astype(np.int64) / 86400e9
    jd = np.full(t_s.size, 2451545.0)
    fr = jd0 + t_s / 86400.0
    err, r, _ = SatrecArray(recs).sgp4(jd, fr)  # (N, T, 3) km
    if err.any():
        raise RuntimeError("sgp4 reported an error")
    th = _gmst_rad(jd + fr)
    c, s = np.cos(th), np.sin(th)
    x = (c * r[..., 0] + s * r[..., 1]) * 1e3
    y = (-s * r[..., 0] + c * r[..., 1]) * 1e3
    z = r[..., 2] * 1e3
    rows = []
    for k in range(len(stations)):
        p = _station_ecef_m(stations.lat_deg[k], stations.lon_deg[k], stations.alt_m[k])
        lat, lon = math.radians(stations.lat_deg[k]), math.radians(stations.lon_deg[k])
        up = np.array([math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat)])
        d = np.stack([x - p[0], y - p[1], z - p[2]], axis=-1)
        el = np.degrees(np.arcsin((d @ up) / np.linalg.norm(d, axis=-1)))  # (N, T)
        for n in range(el.shape[0]):
            f = el[n] - stations.min_elevation_deg[k]
            vis = f >= 0
            edges = np.diff(vis.astype(np.int8))
            ups = list(np.flatnonzero(edges == 1) + 1)
            downs = list(np.flatnonzero(edges == -1) + 1)
            if vis[0]:
                ups.insert(0, 0)
            if vis[-1]:
                downs.append(t_s.size)
            for a, b in zip(ups, downs, strict=True):
                start = 0.0 if a == 0 else a - 1 + f[a - 1] / (f[a - 1] - f[a])
                end = t_s[-1] if b == t_s.size else b - 1 + f[b - 1] / (f[b - 1] - f[b])
                rows.append((k, n, start, end, float(el[n, a:b].max()), a == 0 or b == t_s.size))
    return rows


def checks() -> list[Check]:
    data = resources.files("spacecompute") / "data" / "tle"
    stations = ground_stations(list(STATIONS))
    with resources.as_file(data / "threebody-scs01-2026-03-19.tle") as path:
        const = load_elements(str(path))
        brute = _brute_force(path, stations)
    eph = const.propagate(START, float(SPAN_S), 30.0)
    w = contact_windows(eph, stations)
    start = (w["start"] - START).astype(np.int64) / 1e9
    end = (w["end"] - START).astype(np.int64) / 1e9
    d_start = d_end = d_max = 0.0
    matched: set[int] = set()
    long_matched = 0
    for st, n, b_start, b_end, b_max, cut in brute:
        k = np.flatnonzero(
            (w["station"] == st) & (w["satellite"] == n) & (np.abs(start - b_start) < 60)
        )
        if not k.size:
            continue
        k = int(k[0])
        matched.add(k)
        long_matched += b_end - b_start >= 90
        d_start = max(d_start, abs(start[k] - b_start))
        d_end = max(d_end, abs(end[k] - b_end))
        if not cut and b_max < 85.0:
            d_max = max(d_max, abs(float(w["max_elevation_deg"][k]) - b_max))
    long_enough = sum(1 for b in brute if b[3] - b[2] >= 90)
    return [
        Check(
            "brute-force passes of 90 s or more that we find",
            CITATION,
            float(long_matched),
            float(long_enough),
            0.0,
            "windows",
            note=f"{len(brute)} windows by brute force, {len(matched)} found; shorter passes may "
            "fall between the 30 s samples",
        ),
        Check(
            "windows we report that brute force does not",
            CITATION,
            float(len(w) - len(matched)),
            0.0,
            0.0,
            "windows",
        ),
        Check("largest difference of a window's start", CITATION, d_start, 0.0, 2.0, "s"),
        Check("largest difference of a window's end", CITATION, d_end, 0.0, 2.0, "s"),
        Check(
            "largest difference of a pass's maximum elevation",
            CITATION,
            d_max,
            0.0,
            0.05,
            "deg",
            note="passes peaking above 85 deg left out: 1 s samples under-read a near-zenith "
            "maximum (0.27 deg on a 89.6 deg pass), where ours is refined between samples",
        ),
    ]
