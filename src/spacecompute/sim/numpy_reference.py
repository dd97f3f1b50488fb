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
- :func:`with_previous_instant_numpy`: :func:`spacecompute.sim.forecast.with_previous_instant`;
- :func:`service_candidates_numpy` and :func:`isl_paths_numpy`: the inference service's
  candidate tables and ISL paths (:func:`spacecompute.sim.service._candidates`, compiled in
  :mod:`spacecompute.sim.service_geometry`; ``tests/test_service_geometry.py``).
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


def isl_paths_numpy(
    isl: Any, dist_m: np.ndarray, ok: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`spacecompute.sim.service._Isl.paths` by a stable sort per hop level."""
    n, m = isl.n, isl.m
    length = np.full((n, m), np.inf)
    length[:, 0] = 0.0
    pred = np.full((n, m), -1, dtype=np.int64)
    edge = np.full((n, m), -1, dtype=np.int64)
    d = np.where(ok, dist_m, np.inf)
    for v, sw, sp, ed in isl.levels:  # loop over hop levels
        cand = length[v, sp] + d[ed]
        key = v * m + sw
        order = np.lexsort((cand, key))
        k_o = key[order]
        first = np.r_[True, k_o[1:] != k_o[:-1]]
        sel = order[first]
        length[v[sel], sw[sel]] = cand[sel]
        pred[v[sel], sw[sel]] = sp[sel]
        edge[v[sel], sw[sel]] = ed[sel]
    return length, pred, edge


def service_candidates_numpy(
    users: Any,
    isl: Any,
    r_ecef_m: np.ndarray,
    isl_dist_m: np.ndarray,
    isl_ok: np.ndarray,
    active: np.ndarray,
    min_el_deg: float,
    max_hops: int,
) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
    """:func:`spacecompute.sim.service._candidates` with dense (cities, satellites) look
    angles (:meth:`~spacecompute.sim.service._Users.look`) and a lexicographic sort of every
    (access, serving) pair."""
    from .service import SPEED_OF_LIGHT_M_S, _Candidates

    n_c = len(users)
    length, pred, edge = isl_paths_numpy(isl, isl_dist_m, isl_ok)
    if active.size == 0:
        z = np.zeros(0, np.int64)
        zf = np.zeros(0)
        return _Candidates(np.zeros(n_c + 1, np.int64), z, z, z, z, z, zf, zf, zf), (pred, edge)
    el, rng = users.look(r_ecef_m, active)
    vis = np.isfinite(el) & (el >= float(min_el_deg))
    ci, vs = np.nonzero(vis)
    city = active[ci]
    up_m = rng[ci, vs]
    elev = el[ci, vs]
    w = isl.nbr[vs]  # (P, M)
    hop = isl.hops[vs]
    path = length[vs]
    ok = (w >= 0) & (hop <= max_hops) & np.isfinite(path)
    pi, sl = np.nonzero(ok)
    c_f = city[pi]
    w_f = w[pi, sl]
    total_m = up_m[pi] + path[pi, sl]
    key = c_f * isl.n + w_f
    # per (city, serving satellite) the lowest-delay access; ties to the lower access index
    order = np.lexsort((vs[pi], total_m, key))
    k_o = key[order]
    first = np.r_[True, k_o[1:] != k_o[:-1]] if k_o.size else np.zeros(0, bool)
    sel = order[first]  # sorted by key = (city, serving satellite)
    cities_sel = c_f[sel]
    ptr = np.searchsorted(cities_sel, np.arange(n_c + 1))
    cand = _Candidates(
        ptr=ptr.astype(np.int64),
        city=cities_sel,
        sat=w_f[sel],
        access=vs[pi][sel],
        slot=sl[sel],
        hops=hop[pi, sl][sel],
        delay_s=total_m[sel] / SPEED_OF_LIGHT_M_S,
        path_m=path[pi, sl][sel],
        elevation_deg=elev[pi][sel],
    )
    return cand, (pred, edge)


__all__ = [
    "chunk_environment_numpy",
    "ecef_to_geodetic_numpy",
    "eo_frames_numpy",
    "imaging_steps_numpy",
    "isl_paths_numpy",
    "look_angles_numpy",
    "service_candidates_numpy",
    "with_previous_instant_numpy",
]


def isl_neighbourhoods_numpy(
    pairs: np.ndarray, n: int, max_hops: int
) -> tuple[int, np.ndarray, np.ndarray, list[tuple[np.ndarray, ...]]]:
    """(m, nbr, hops, levels) of :func:`~spacecompute.sim.isl_neighbourhoods.neighbourhoods`
    by set operations on (satellite, neighbour) keys over all satellites at once (the
    formulation the service used before the compiled search)."""
    from .isl_neighbourhoods import adjacency

    ptr, dst, eid = adjacency(np.asarray(pairs, np.int64).reshape(-1, 2), n)
    deg = np.diff(ptr)
    lv_v = np.arange(n, dtype=np.int64)
    lv_w = np.arange(n, dtype=np.int64)
    all_v, all_w, all_h = [lv_v], [lv_w], [np.zeros(n, np.int64)]
    seen = lv_v * n + lv_w
    raw_triples = []
    for h in range(1, int(max_hops) + 1):  # loop over hop levels (a handful)
        rep = deg[lv_w]
        total = int(rep.sum())
        if total == 0:
            break
        v_rep = np.repeat(lv_v, rep)
        p_rep = np.repeat(lv_w, rep)
        k = np.arange(total) - np.repeat(np.cumsum(rep) - rep, rep)
        idx = np.repeat(ptr[lv_w], rep) + k
        w, ed = dst[idx], eid[idx]
        key = v_rep * n + w
        new = ~np.isin(key, seen)
        raw_triples.append((v_rep[new], w[new], p_rep[new], ed[new]))
        new_keys = np.unique(key[new])
        lv_v, lv_w = new_keys // n, new_keys % n
        all_v.append(lv_v)
        all_w.append(lv_w)
        all_h.append(np.full(lv_v.size, h, np.int64))
        seen = np.union1d(seen, new_keys)
    v_all = np.concatenate(all_v)
    w_all = np.concatenate(all_w)
    h_all = np.concatenate(all_h)
    order = np.lexsort((w_all, h_all, v_all))
    v_all, w_all, h_all = v_all[order], w_all[order], h_all[order]
    counts = np.bincount(v_all, minlength=n)
    m = int(counts.max()) if n else 1
    starts = np.cumsum(counts) - counts
    slot = np.arange(v_all.size) - np.repeat(starts, counts)
    nbr = np.full((n, m), -1, dtype=np.int64)
    hops = np.full((n, m), -1, dtype=np.int64)
    nbr[v_all, slot] = w_all
    hops[v_all, slot] = h_all
    key_all = v_all * n + w_all  # sorted by (v, h, w): not by key; keep a sorter
    sorter = np.argsort(key_all)
    key_sorted = key_all[sorter]

    def slot_of(v: np.ndarray, w: np.ndarray) -> np.ndarray:
        return slot[sorter[np.searchsorted(key_sorted, v * n + w)]]

    levels = [(v, slot_of(v, w), slot_of(v, p), ed) for v, w, p, ed in raw_triples]
    return m, nbr, hops, levels
