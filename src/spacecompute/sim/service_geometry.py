"""Compiled geometry of the inference service: who sees whom, the ISL paths, the candidates.

Every step the service needs, for the cities with requests, the satellites above the users'
elevation mask and, through the +Grid ISLs, the satellites within ``max_isl_hops`` of them
(:func:`spacecompute.sim.service._candidates`). The numpy formulation computed the look angles
of every city to every satellite (dense (C, N) temporaries: 300 x 1,584 = 0.5 M pairs, ~20 ms a
step) and sorted every (access, serving) pair (~12 ms). Here:

1. **cull** (:func:`_visible_pairs_kernel`): a city sees a satellite above elevation ``e`` only
   if the Earth-central angle between them is at most ``lambda_max = 90 deg - e' -
   asin(rho_min cos e' / R_max)`` (law of sines on the sphere through the city; Wertz and
   Larson, *Space Mission Analysis and Design*, 3rd ed., section 5.2), with ``e' = e - gamma -
   margin``: ``rho_min`` the smallest geocentric radius of the cities, ``R_max`` the largest of
   the satellites (the angle grows with ``R`` and falls with ``rho``), ``gamma`` the largest
   angle between a city's geodetic up and its geocentric direction (0.19 deg on WGS84; the
   elevation from the geodetic horizon exceeds the geocentric one by at most it). The
   satellites are sorted by the z of their unit vectors, so a city scans only the band of
   geocentric latitudes within ``lambda_max`` of its own, and a unit-vector dot product
   against ``cos(lambda_max)`` rejects the rest of the band. Work per step: cities x the
   satellites of a band, not cities x satellites; no dense temporaries. The survivors get the
   elevation's sine and the slant range with the numpy formulas, operation for operation
   (so bit for bit; :mod:`spacecompute.sim.numpy_reference` keeps the dense formulation, and
   the tests compare them with ``assert_array_equal``); numpy then takes the arcsine of the
   survivors only and applies the mask, so the mask decides exactly as before;
2. **paths** (:func:`_isl_paths_kernel`): the hop-limited Bellman-Ford of
   :meth:`spacecompute.sim.service._Isl.paths` as one loop over the level triples (shortest
   candidate per slot; ties to the first in level order, NaN last, as the stable sort did);
3. **candidates** (:func:`_candidates_kernel`): per city, the (access, serving) pairs of its
   visible satellites, the lowest-delay access per serving satellite (ties to the lower access
   index), sorted by serving satellite, as the lexicographic sort did.

Kernels 1 and 3 are twins (:func:`~spacecompute._parallel.twin_kernel`): one thread below
:data:`~spacecompute._parallel.PARALLEL_MIN_WORK` pairs (Starlink shell 1's 300 cities), a
parallel loop over the cities above (each city writes its own rows; no float reduction, so
both twins give identical results). They are compiled on the first service run only.
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
from numba import prange

from .._parallel import PARALLEL_MIN_WORK, twin_kernel

#: Margin (deg) of the cull, on the elevation and on the Earth-central angle: the cull only
#: skips pairs that are this far below the mask, far beyond any rounding.
CULL_MARGIN_DEG = 0.5


def cull_cosine(users: Any, r_norm_max_m: float, min_el_deg: float) -> float:
    """Cosine of the largest Earth-central angle at which any of ``users`` sees a satellite at
    radius ``<= r_norm_max_m`` above ``min_el_deg`` (plus margins); -2.0: no cull (the bound
    is vacuous or the geometry degenerate)."""
    e = math.radians(float(min_el_deg) - users.up_tilt_max_deg - CULL_MARGIN_DEG)
    if not (e > math.radians(-89.0)) or not (r_norm_max_m > users.rho_min_m):
        return -2.0
    lam = 0.5 * math.pi - e - math.asin(users.rho_min_m * math.cos(e) / r_norm_max_m)
    lam += math.radians(CULL_MARGIN_DEG)
    if not (lam < math.radians(179.0)):
        return -2.0
    return math.cos(lam)


def _pair_work(city_pos: np.ndarray, *args: Any) -> int:
    """Work of the pair kernel: the satellites its cities scan (``args[5]``: their ranges)."""
    ranges = args[5]
    return int(np.sum(ranges[..., 1] - ranges[..., 0]))


@numba.njit(cache=True)
def _cells_of_city(band_lo, band_hi, lon_c, dlon, band_z, band_ptr, cell_lon, out):
    # pragma: no cover - numba
    """The ranges of ``cell_lon`` (satellites by band of z, each band by longitude) a city
    scans: the bands whose z meet ``[band_lo, band_hi]`` and, in each, the longitudes within
    ``dlon`` of ``lon_c`` (two ranges where the interval wraps; the whole band for ``dlon`` >=
    pi). Writes (start, end) pairs into ``out``; returns how many satellites they hold."""
    nb = band_ptr.shape[0] - 1
    n_out = 0
    held = 0
    b0 = max(np.searchsorted(band_z, band_lo, side="right") - 1, 0)
    for b in range(b0, nb):
        if band_z[b] > band_hi:
            break
        lo, hi = band_ptr[b], band_ptr[b + 1]
        if lo == hi:
            continue
        if dlon >= math.pi:
            ranges = ((lo, hi), (hi, hi))
        else:
            a, z = lon_c - dlon, lon_c + dlon
            seg = cell_lon[lo:hi]
            if a < -math.pi:
                ranges = (
                    (lo, lo + np.searchsorted(seg, z, side="right")),
                    (lo + np.searchsorted(seg, a + 2.0 * math.pi, side="left"), hi),
                )
            elif z > math.pi:
                ranges = (
                    (lo, lo + np.searchsorted(seg, z - 2.0 * math.pi, side="right")),
                    (lo + np.searchsorted(seg, a, side="left"), hi),
                )
            else:
                ranges = (
                    (
                        lo + np.searchsorted(seg, a, side="left"),
                        lo + np.searchsorted(seg, z, side="right"),
                    ),
                    (hi, hi),
                )
        for x, y in ranges:
            if y > x:
                out[n_out, 0] = x
                out[n_out, 1] = y
                n_out += 1
                held += y - x
    return n_out, held


@numba.njit(cache=True)
def _look(c, j, p, up, up_dot_p, p2, r, r2):  # pragma: no cover - numba
    """``sin(el)`` and the slant range of satellite ``j`` from city ``c``: the numpy formulas of
    :meth:`~spacecompute.sim.service._Users.look`, in the same order of operations."""
    p_r = p[c, 0] * r[j, 0] + p[c, 1] * r[j, 1]
    p_r = p_r + p[c, 2] * r[j, 2]
    up_r = up[c, 0] * r[j, 0] + up[c, 1] * r[j, 1]
    up_r = up_r + up[c, 2] * r[j, 2]
    d2 = r2[j] + p2[c] - 2.0 * p_r
    rg = np.sqrt(max(d2, 1.0))
    return (up_r - up_dot_p[c]) / rg, rg


@numba.njit(cache=True)
def _offer(top_sin, top_sat, top_pos, m, s, j, pos):  # pragma: no cover - numba
    """Offer satellite ``j`` (``sin(el)`` ``s``, scanned ``pos``-th) to the ``m`` best so far,
    kept in order of decreasing ``sin(el)`` (ties: the lower index first) in arrays of the
    cap's length; returns how many are kept."""
    k = top_sin.shape[0]
    if m == k and not (s > top_sin[m - 1] or (s == top_sin[m - 1] and j < top_sat[m - 1])):
        return m
    i = m if m < k else k - 1  # the slot freed (or the last one, dropped)
    while i > 0 and (s > top_sin[i - 1] or (s == top_sin[i - 1] and j < top_sat[i - 1])):
        top_sin[i], top_sat[i], top_pos[i] = top_sin[i - 1], top_sat[i - 1], top_pos[i - 1]
        i -= 1
    top_sin[i], top_sat[i], top_pos[i] = s, j, pos
    return min(m + 1, k)


@twin_kernel(work=_pair_work)
def _visible_pairs_kernel(
    city_pos,
    p,
    up,
    up_dot_p,
    p2,
    start,
    ranges,
    n_ranges,
    cell_sat,
    rank,
    p_hat,
    r,
    r2,
    r_hat,
    cos_cull,
    max_access,
):  # pragma: no cover - numba
    """Pairs (city position, satellite) that pass the cull, with ``sin(el)`` and the range.

    ``city_pos`` (A,) rows of the city arrays; city ``a`` scans the satellites
    ``cell_sat[x:y]`` of its ``n_ranges[a]`` ranges ``ranges[a]`` (cells of z and longitude
    that cover its cap) and writes its survivors from ``start[a]``, ordered by ``rank`` (the
    satellites' order by the z of their unit vectors, the order the band scan gave; empty: one
    range in that order already). ``max_access`` > 0: only the survivors of the highest
    ``sin(el)`` (ties: the lower index), at most that many a city. Returns (row into
    ``city_pos`` (P,), satellite (P,), sin el (P,), range m (P,)), by city."""
    a_n = city_pos.shape[0]
    count = np.zeros(a_n, np.int64)
    b_sat = np.empty(start[a_n], np.int64)
    b_key = np.empty(start[a_n] if rank.shape[0] else 0, np.int64)
    b_sin = np.empty(start[a_n], np.float64)
    b_rng = np.empty(start[a_n], np.float64)
    for a in prange(a_n):
        c = city_pos[a]
        px, py, pz = p_hat[c, 0], p_hat[c, 1], p_hat[c, 2]
        lo = start[a]
        q = lo
        # capped: the best so far (sin el, satellite, scan position)
        top_sin = np.empty(max_access)
        top_sat = np.empty(max_access, np.int64)
        top_pos = np.empty(max_access, np.int64)
        m = 0
        for g in range(n_ranges[a]):
            for k in range(ranges[a, g, 0], ranges[a, g, 1]):
                j = cell_sat[k]
                if px * r_hat[j, 0] + py * r_hat[j, 1] + pz * r_hat[j, 2] < cos_cull:
                    continue
                if max_access == 0:
                    b_sat[q] = j
                    q += 1
                else:
                    s = _look(c, j, p, up, up_dot_p, p2, r, r2)[0]
                    m = _offer(top_sin, top_sat, top_pos, m, s, j, k)
        if max_access > 0:  # the kept ones in their order of the scan
            keep = top_sat[:m][np.argsort(top_pos[:m])]
            b_sat[lo : lo + m] = keep
            q = lo + m
        count[a] = q - lo
        if rank.shape[0]:  # cells: back to the order of z (one range of the band is in it)
            for i in range(lo, q):
                b_key[i] = rank[b_sat[i]]
            b_sat[lo:q] = b_sat[lo:q][np.argsort(b_key[lo:q])]
        for i in range(lo, q):
            b_sin[i], b_rng[i] = _look(c, b_sat[i], p, up, up_dot_p, p2, r, r2)
    total = 0
    for a in range(a_n):
        total += count[a]
    row = np.empty(total, np.int64)
    sat = np.empty(total, np.int64)
    sin_el = np.empty(total, np.float64)
    rng = np.empty(total, np.float64)
    i = 0
    for a in range(a_n):
        for x in range(start[a], start[a] + count[a]):
            row[i] = a
            sat[i] = b_sat[x]
            sin_el[i] = b_sin[x]
            rng[i] = b_rng[x]
            i += 1
    return row, sat, sin_el, rng


@numba.njit(cache=True)
def _scan_plan(band_lo, band_hi, lon_c, dlon, band_z, band_ptr, cell_lon, max_ranges):
    # pragma: no cover - numba
    """Each city's ranges of cells (:func:`_cells_of_city`) and where its scratch starts."""
    a_n = band_lo.shape[0]
    ranges = np.zeros((a_n, max_ranges, 2), np.int64)
    n_ranges = np.zeros(a_n, np.int64)
    start = np.zeros(a_n + 1, np.int64)
    for a in range(a_n):
        k, held = _cells_of_city(
            band_lo[a], band_hi[a], lon_c[a], dlon[a], band_z, band_ptr, cell_lon, ranges[a]
        )
        n_ranges[a] = k
        start[a + 1] = start[a] + held
    return ranges, n_ranges, start


#: From this many satellites the cull scans cells of z and longitude (below, the band of z:
#: the cells' sorts cost more than they save; both give the same pairs in the same order)
CELL_SCAN_MIN_SATELLITES = 20_000

#: Bands of z (the unit vectors' z) per sine of the cull angle: cells about a quarter of the
#: cap's height, so that a city scans little more than its cap's longitudes
_BANDS_PER_SIN = 4.0


def _cells(r_hat: np.ndarray, lam: float) -> tuple[np.ndarray, ...]:
    """Satellites by cell: bands of equal z width (``band_z`` their lower edges), each by
    longitude: (band_z (B,), band_ptr (B + 1,), cell_sat (N,), cell_lon (N,))."""
    z = r_hat[:, 2]
    n_bands = int(min(max(2.0 * _BANDS_PER_SIN / max(math.sin(min(lam, 0.5 * math.pi)), 1e-3),
                          1.0), 4096.0))  # fmt: skip
    band_z = -1.0 + 2.0 * np.arange(n_bands) / n_bands
    band = np.clip(np.searchsorted(band_z, z, side="right") - 1, 0, n_bands - 1)
    lon = np.arctan2(r_hat[:, 1], r_hat[:, 0])
    # by longitude, then by band with a stable radix sort (small integers): the order of
    # np.lexsort((lon, band)) up to equal longitudes, four times as fast at 1,000,000
    by_lon = np.argsort(lon)
    cell_sat = by_lon[np.argsort(band[by_lon].astype(np.int16), kind="stable")]
    band_ptr = np.searchsorted(band[cell_sat], np.arange(n_bands + 1))
    return band_z, band_ptr.astype(np.int64), cell_sat.astype(np.int64), lon[cell_sat]


def _cell_ranges(
    users: Any,
    r_hat: np.ndarray,
    active: np.ndarray,
    lat: np.ndarray,
    lam: float,
    band_lo: np.ndarray,
    band_hi: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """What each city scans among the cells: (ranges (A, R, 2), their number (A,), where each
    city's scratch starts (A + 1,), the satellites by cell (N,)); the longitudes within
    ``asin(sin lam / cos lat)`` of the city's (all of them where its cap holds a pole)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = math.sin(lam) / np.cos(lat)
    pole = (np.abs(lat) + lam >= 0.5 * np.pi) | ~(ratio < 1.0)
    dlon = np.where(pole, 2.0 * math.pi, np.arcsin(np.minimum(ratio, 1.0)) + 1e-9)
    band_z, band_ptr, cell_sat, cell_lon = _cells(r_hat, lam)
    lon_c = np.arctan2(users.p_hat[active, 1], users.p_hat[active, 0])
    ranges, n_ranges, start = _scan_plan(
        band_lo, band_hi, lon_c, dlon, band_z, band_ptr, cell_lon, 2 * band_z.size
    )
    return ranges, n_ranges, start, cell_sat


def visible_pairs(
    users: Any,
    r_ecef_m: np.ndarray,
    active: np.ndarray,
    min_el_deg: float,
    max_access: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The (city, satellite) pairs above ``min_el_deg``: (row into ``active``, satellite,
    elevation deg, slant range m), grouped by city; the values of the dense
    :meth:`~spacecompute.sim.service._Users.look` at those pairs, bit for bit.
    ``max_access``: at most that many satellites a city, those of the highest elevation
    (ties: the lower index); None: every one.

    The cull scans, for each city, the cells (bands of z, then longitude) that cover the cap of
    Earth-central angle ``lambda_max`` about it: the band of latitudes, and in it the longitudes
    within ``asin(sin lambda_max / cos lat)`` of the city's (the longitude extent of a
    spherical cap; all longitudes where the cap holds a pole)."""
    r = np.nan_to_num(np.asarray(r_ecef_m, dtype=np.float64), nan=0.0)
    r2 = np.einsum("nk,nk->n", r, r)  # as _Users.look computes it
    r_norm = np.sqrt(r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        r_hat = np.where(r_norm[:, None] > 0.0, r / r_norm[:, None], 0.0)
    cos_cull = cull_cosine(users, float(r_norm.max(initial=0.0)), min_el_deg)
    active = np.asarray(active, np.int64)
    lat = users.geocentric_lat_rad[active]
    if cos_cull <= -1.0:  # no cull: every satellite
        lam = math.pi
        band_lo, band_hi = np.full(active.size, -2.0), np.full(active.size, 2.0)
    else:  # |latitude difference| <= central angle
        lam = math.acos(cos_cull) + 1e-9
        band_lo = np.sin(np.maximum(lat - lam, -0.5 * np.pi)) - 1e-12
        band_hi = np.sin(np.minimum(lat + lam, 0.5 * np.pi)) + 1e-12
    z = np.ascontiguousarray(r_hat[:, 2])
    z_order = np.argsort(z, kind="stable")
    if z.size < CELL_SCAN_MIN_SATELLITES:  # the band of latitudes alone, in z order
        z_sorted = z[z_order]
        ranges = np.empty((active.size, 1, 2), np.int64)
        ranges[:, 0, 0] = np.searchsorted(z_sorted, band_lo, side="left")
        ranges[:, 0, 1] = np.searchsorted(z_sorted, band_hi, side="right")
        n_ranges = np.ones(active.size, np.int64)
        start = np.zeros(active.size + 1, np.int64)
        np.cumsum(ranges[:, 0, 1] - ranges[:, 0, 0], out=start[1:])
        cell_sat, rank = z_order, np.zeros(0, np.int64)
    else:
        rank = np.empty(z.size, np.int64)
        rank[z_order] = np.arange(z.size)
        ranges, n_ranges, start, cell_sat = _cell_ranges(
            users, r_hat, active, lat, lam, band_lo, band_hi
        )
    if max_access:  # room for that many a city, not for every satellite scanned
        held = np.diff(start)
        start = np.zeros(active.size + 1, np.int64)
        np.cumsum(np.minimum(held, int(max_access)), out=start[1:])
    row, sat, sin_el, rng = _visible_pairs_kernel(
        active, users.p, users.up, users.up_dot_p, users.p2, start, ranges, n_ranges,
        cell_sat.astype(np.int64, copy=False), rank, users.p_hat, r, r2,
        np.ascontiguousarray(r_hat), float(cos_cull), int(max_access or 0),
    )  # fmt: skip
    el = np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))
    vis = np.isfinite(el) & (el >= float(min_el_deg))
    return row[vis], sat[vis], el[vis], rng[vis]


# --------------------------------------------------------------------------------------------
# ISL paths


from numba import njit  # noqa: E402  (beside the kernel that uses it)


@njit(cache=True)
def _isl_paths_kernel(v, sw, sp, ed, d, length, pred, edge):  # pragma: no cover - numba
    """Relax the level triples in order: ``length[v, sw] = min(length[v, sp] + d[ed])``, the
    first of equal candidates winning and NaN losing to any number (a stable sort by (slot,
    candidate) picked these); ``pred``/``edge`` of the winner. ``pred == -1`` marks a slot not
    yet reached in its level (a predecessor slot is never -1)."""
    for i in range(v.shape[0]):
        a, s = v[i], sw[i]
        c = length[a, sp[i]] + d[ed[i]]
        if pred[a, s] >= 0:
            best = length[a, s]
            if not (c < best or (best != best and c == c)):
                continue
        length[a, s] = c
        pred[a, s] = sp[i]
        edge[a, s] = ed[i]


def isl_paths(
    isl: Any, dist_m: np.ndarray, ok: np.ndarray, out: tuple | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:meth:`spacecompute.sim.service._Isl.paths` compiled (same values, tested); ``out``:
    three (N, M) arrays (float64, int64, int64) to fill instead of new ones (a million
    satellites: 312 MB a step not mapped again)."""
    n, m = isl.n, isl.m
    if out is None:
        length, pred, edge = (
            np.empty((n, m)),
            np.empty((n, m), np.int64),
            np.empty((n, m), np.int64),
        )
    else:
        length, pred, edge = out
    length.fill(np.inf)
    length[:, 0] = 0.0
    pred.fill(-1)
    edge.fill(-1)
    d = np.where(ok, dist_m, np.inf).astype(np.float64)
    v, sw, sp, ed = isl.level_arrays
    if v.size:
        _isl_paths_kernel(v, sw, sp, ed, d, length, pred, edge)
    return length, pred, edge


# --------------------------------------------------------------------------------------------
# candidates


def _candidate_work(pair_ptr: np.ndarray, *args: Any) -> int:
    """Work of the candidate kernel: (pairs, neighbourhood slots) entries (``args[4]``: nbr)."""
    return int(pair_ptr[-1]) * int(args[4].shape[1])


@twin_kernel(work=_candidate_work)
def _candidates_kernel(
    pair_ptr, pair_sat, pair_el, up_m, city_id, nbr, hops, length, max_hops, light_m_s, n_blocks
):  # pragma: no cover - numba
    """Per city (rows ``pair_ptr[i]:pair_ptr[i+1]`` of its visible pairs): every satellite
    within ``max_hops`` of a visible one, with the lowest-delay access (``up_m + path``; ties
    to the lower access index), sorted by serving satellite. Returns the candidate columns
    (city, satellite, access, slot, hops, delay s, path m, elevation deg), by (city, satellite).

    The cities are split into ``n_blocks`` blocks (the parallel loop's unit of work), each with
    its own scratch of one entry per satellite: the best entry so far per serving satellite. A
    city's serving satellites come out in order by a scan of that scratch over their index range
    when the range is short, else by a sort."""
    a_n = pair_ptr.shape[0] - 1
    n, m = nbr.shape
    bound = np.empty(a_n + 1, np.int64)
    bound[0] = 0
    most = 0  # entries of the city with the most
    for i in range(a_n):
        bound[i + 1] = bound[i] + (pair_ptr[i + 1] - pair_ptr[i]) * m
        most = max(most, bound[i + 1] - bound[i])
    count = np.zeros(a_n, np.int64)
    o_pair = np.empty(bound[a_n], np.int64)
    o_slot = np.empty(bound[a_n], np.int64)
    o_sat = np.empty(bound[a_n], np.int64)
    o_tot = np.empty(bound[a_n], np.float64)
    n_blocks = max(1, min(n_blocks, a_n))
    for b in prange(n_blocks):
        best_q = np.full(n, -1, np.int64)
        best_s = np.empty(n, np.int64)
        best_t = np.empty(n, np.float64)
        touched = np.empty(most, np.int64)
        for i in range(b * a_n // n_blocks, (b + 1) * a_n // n_blocks):
            k = 0
            w_lo = n
            w_hi = -1
            for q in range(pair_ptr[i], pair_ptr[i + 1]):
                a = pair_sat[q]
                for s in range(m):
                    w = nbr[a, s]
                    if w < 0 or hops[a, s] > max_hops:
                        continue
                    path = length[a, s]
                    if not np.isfinite(path):
                        continue
                    t = up_m[q] + path
                    bq = best_q[w]
                    if bq < 0:
                        touched[k] = w
                        k += 1
                        w_lo = min(w_lo, w)
                        w_hi = max(w_hi, w)
                    elif not (t < best_t[w] or (t == best_t[w] and a < pair_sat[bq])):
                        continue
                    best_q[w] = q
                    best_s[w] = s
                    best_t[w] = t
            out = bound[i]
            if w_hi - w_lo < 16 * k:  # scan the range: in order, no sort
                for w in range(w_lo, w_hi + 1):
                    if best_q[w] >= 0:
                        o_pair[out] = best_q[w]
                        o_slot[out] = best_s[w]
                        o_sat[out] = w
                        o_tot[out] = best_t[w]
                        best_q[w] = -1
                        out += 1
            else:
                ws = np.sort(touched[:k])
                for x in range(k):
                    w = ws[x]
                    o_pair[out] = best_q[w]
                    o_slot[out] = best_s[w]
                    o_sat[out] = w
                    o_tot[out] = best_t[w]
                    best_q[w] = -1
                    out += 1
            count[i] = k
    total = 0
    for i in range(a_n):
        total += count[i]
    c_city = np.empty(total, np.int64)
    c_sat = np.empty(total, np.int64)
    c_access = np.empty(total, np.int64)
    c_slot = np.empty(total, np.int64)
    c_hops = np.empty(total, np.int64)
    c_delay = np.empty(total, np.float64)
    c_path = np.empty(total, np.float64)
    c_el = np.empty(total, np.float64)
    j = 0
    for i in range(a_n):
        for x in range(bound[i], bound[i] + count[i]):
            q, s = o_pair[x], o_slot[x]
            a = pair_sat[q]
            c_city[j] = city_id[i]
            c_sat[j] = o_sat[x]
            c_access[j] = a
            c_slot[j] = s
            c_hops[j] = hops[a, s]
            c_delay[j] = o_tot[x] / light_m_s
            c_path[j] = length[a, s]
            c_el[j] = pair_el[q]
            j += 1
    return c_city, c_sat, c_access, c_slot, c_hops, c_delay, c_path, c_el


def candidate_columns(
    pair_row: np.ndarray,
    pair_sat: np.ndarray,
    pair_el: np.ndarray,
    up_m: np.ndarray,
    active: np.ndarray,
    isl: Any,
    length: np.ndarray,
    max_hops: int,
    light_m_s: float,
) -> tuple[np.ndarray, ...]:
    """Candidates of the visible pairs (grouped by row into ``active``, the sorted city ids):
    (city, satellite, access, slot, hops, delay s = (up-link + path) / ``light_m_s``, path m,
    elevation deg), sorted by (city, satellite)."""
    pair_ptr = np.searchsorted(pair_row, np.arange(active.size + 1)).astype(np.int64)
    # blocks are the parallel twin's units of work (the tables do not depend on them): one
    # for the one-thread twin, which then makes its scratch once (and numba's thread count,
    # microseconds a call, is asked only when the parallel twin may run)
    parallel = int(pair_ptr[-1]) * int(isl.nbr.shape[1]) >= PARALLEL_MIN_WORK  # _candidate_work
    return _candidates_kernel(
        pair_ptr,
        np.ascontiguousarray(pair_sat, np.int64),
        np.ascontiguousarray(pair_el, np.float64),
        np.ascontiguousarray(up_m, np.float64),
        np.ascontiguousarray(active, np.int64),
        isl.nbr,
        isl.hops,
        length,
        int(max_hops),
        float(light_m_s),
        4 * numba.get_num_threads() if parallel else 1,
    )


__all__ = ["CULL_MARGIN_DEG", "candidate_columns", "cull_cosine", "isl_paths", "visible_pairs"]
