"""Network topology per time step: inter-satellite links, ground links, sparse graphs.

A step's network is a :class:`StepGraph`: undirected edges (``src``, ``dst``) with
``distance_m``, ``delay_s`` (vacuum light time, distance / c), ``capacity_bps`` and ``kind``
(:data:`ISL` or :data:`GSL`). Nodes are numbered satellites ``0 .. N-1`` (the constellation's
order), then ground nodes ``N .. N+G-1`` (the stations' order). A :class:`TopologyBuilder`
makes the graphs of all steps of an ephemeris chunk; :class:`Topology` holds them.

Inter-satellite links (ISLs)
----------------------------
- **+Grid** (:func:`plus_grid_pairs`) for Walker shells: every satellite links to its two
  neighbours in its plane (slots s - 1 and s + 1) and to the satellites of the same slot in the
  two adjacent planes (Bhattacherjee and Singla, "Network topology design at 27,000 km/hour",
  CoNEXT 2019; Hypatia's ``generate_plus_grid_isls``, Kassing et al., IMC 2020). The pairs depend
  only on plane and slot, so they are computed once and reused at every step.

  *Seam.* In a Walker delta pattern i: T/P/F, slot s of plane p has argument of latitude
  ``s * 360/S + p * F * 360/T`` at epoch (Walker 1984). A virtual plane P coincides with plane 0
  shifted by ``P * F * 360/T = F * 360/S``, i.e. F slots; so ``seam="connect"`` links
  (P-1, s) to (0, (s + F) mod S), the link that has the same relative geometry as every other
  inter-plane link. ``seam="cut"`` leaves the last and first planes unlinked (the usual choice
  for a Walker *star* pattern, whose first and last planes counter-rotate); ``"auto"`` (default)
  is "connect" for delta shells and "cut" for star shells.
- **nearest-k** (:func:`nearest_k_pairs`) for arbitrary catalogues: candidate neighbours from a
  k-d tree (``scipy.spatial.cKDTree``), then at most ``k`` laser terminals per satellite by
  shortest-first greedy matching (default) or mutual k-nearest selection (see the function).
- **between shells** (``inter_shell=True``): consecutive shells (by altitude) are joined by
  nearest-neighbour pairs, one extra terminal per satellite (shortest-first greedy matching).

Every ISL must have line of sight: the segment's closest approach to the Earth's centre must
exceed ``R_eq + grazing_altitude_m`` (80 km by default, the atmosphere-grazing limit used by
Hypatia, whose maximum ISL length is ``2 sqrt((R + h)^2 - (R + 80 km)^2)``), and be no longer
than ``max_isl_range_m`` when one is given. Edges failing either test are dropped at that step.

Ground-satellite links (GSLs)
-----------------------------
A satellite is visible from a station when its elevation above the WGS84 ellipsoid's tangent
plane (geodetic up, NIMA TR8350.2) is at least the station's mask (and, optionally, its slant
range is at most ``max_gsl_range_m``). ``gsl="all"`` links every visible satellite (Hypatia's
"free" ground-station model: the routing picks the satellite); ``gsl="best"`` links each
station to at most ``antennas`` satellites: with ``handover="sticky"`` a station keeps its
satellites while they stay visible and fills free antennas with the highest-elevation others;
with ``handover="greedy"`` it takes the highest-elevation ones at every step.

Capacities are a constant per link kind or a callable of the distance (m) that returns bit/s
(e.g. from the link budgets of :mod:`spacecompute.network.links`). The defaults are placeholders:
100 Gbit/s per ISL (the laser ISLs of the Three-Body Computing Constellation: ADA Space and
Zhejiang Lab launch announcement, 2025-05-14) and 10 Gbit/s per GSL.

Speed: the per-step geometry (ISL lengths and line of sight, GSL visibility, CSR assembly) runs
in numba kernels over edges or stations; no Python loop runs over satellites or edges.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numba import njit, prange

from ..astro.constants import EARTH_EQUATORIAL_RADIUS_M, SPEED_OF_LIGHT_M_S
from ..errors import InputError

#: Edge kinds
ISL = 0
GSL = 1
KIND_NAMES = ("isl", "gsl")

#: Default grazing altitude of ISLs above the equatorial radius (Hypatia: 80 km)
DEFAULT_GRAZING_ALTITUDE_M = 80e3
#: Placeholder capacities (see the module docstring)
DEFAULT_ISL_RATE_BPS = 100e9
DEFAULT_GSL_RATE_BPS = 10e9

RateLike = float | Callable[[np.ndarray], np.ndarray]


# ---------------------------------------------------------------------------------------------
# Static +Grid pairs
# ---------------------------------------------------------------------------------------------


def _walker_groups(source) -> list[tuple[np.ndarray, int, int, int, str]]:
    """(global indices, planes, per_plane, phasing, kind) of each Walker shell in ``source``.

    ``source`` is a Constellation (shell metadata used) or an ElementSet (planes and slots
    read from the ``plane``/``slot`` columns, phasing inferred from the mean anomalies).
    """
    from ..astro.constellation import Constellation
    from ..astro.elements import ElementSet

    if isinstance(source, Constellation):
        elements = source.elements
        known = {info.index: info.walker for info in source.shells if info.walker is not None}
    elif isinstance(source, ElementSet):
        elements, known = source, {}
    else:
        raise InputError(
            f"got a {type(source).__name__}",
            field="constellation",
            expected="a Constellation or an ElementSet",
        )
    plane = np.asarray(elements.plane, dtype=np.int64)
    slot = np.asarray(elements.slot, dtype=np.int64)
    shell = np.asarray(elements.shell, dtype=np.int64)
    in_grid = (plane >= 0) & (slot >= 0)
    groups = []
    for sid in np.unique(shell[in_grid]):
        idx = np.flatnonzero(in_grid & (shell == sid))
        p, s = plane[idx], slot[idx]
        n_planes, per_plane = int(p.max()) + 1, int(s.max()) + 1
        if n_planes * per_plane != idx.size:
            raise InputError(
                f"shell {sid} has {idx.size} satellites with plane/slot numbers up to "
                f"{n_planes - 1}/{per_plane - 1}",
                field="constellation.elements.plane/slot",
                expected="a complete Walker grid (planes x satellites per plane)",
            )
        lookup = np.full(n_planes * per_plane, -1, dtype=np.int64)
        lookup[p * per_plane + s] = idx
        if (lookup < 0).any():
            raise InputError(
                f"shell {sid} repeats plane/slot numbers",
                field="constellation.elements.plane/slot",
                expected="each (plane, slot) once",
            )
        w = known.get(int(sid))
        if w is not None:
            phasing, kind = int(w.phasing), str(w.kind)
        else:
            phasing, kind = _infer_phasing(elements, lookup, n_planes, per_plane), "delta"
        groups.append((lookup, n_planes, per_plane, phasing, kind))
    return groups


def _infer_phasing(elements, lookup: np.ndarray, n_planes: int, per_plane: int) -> int:
    """Walker F from the argument of latitude of (plane 1, slot 0) relative to (plane 0, slot 0)."""
    if n_planes < 2:
        return 0
    u = np.asarray(elements.arg_perigee_rad) + np.asarray(elements.mean_anomaly_rad)
    step = 2.0 * math.pi / (n_planes * per_plane)
    du = (u[lookup[per_plane]] - u[lookup[0]]) % (2.0 * math.pi)
    return round(du / step) % n_planes


def plus_grid_pairs(source, *, seam: str = "auto") -> np.ndarray:
    """Static +Grid ISL pairs of every Walker shell of ``source``, (E, 2) int64, ``i < j``.

    ``source`` is a :class:`~spacecompute.astro.constellation.Constellation` or an
    :class:`~spacecompute.astro.elements.ElementSet` (satellites with plane/slot -1, catalogue
    objects, get no +Grid links). ``seam`` is ``"auto"``, ``"connect"`` or ``"cut"`` (see the
    module docstring). With at least 3 planes and 3 satellites per plane and the seam connected,
    every satellite has exactly 4 links. Pairs are sorted and unique.
    """
    if seam not in ("auto", "connect", "cut"):
        raise InputError(f"seam = {seam!r}", field="seam", expected="'auto', 'connect' or 'cut'")
    parts = [np.zeros((0, 2), dtype=np.int64)]
    for lookup, n_planes, per_plane, phasing, kind in _walker_groups(source):
        grid = lookup.reshape(n_planes, per_plane)
        slots = np.arange(per_plane)
        if per_plane >= 2:  # ring in each plane
            parts.append(np.stack([grid, grid[:, (slots + 1) % per_plane]], -1).reshape(-1, 2))
        if n_planes >= 2:  # same slot, next plane
            parts.append(np.stack([grid[:-1], grid[1:]], -1).reshape(-1, 2))
            connect = seam == "connect" or (seam == "auto" and kind == "delta")
            if connect and n_planes >= 3:
                offset = phasing if kind == "delta" else 0
                parts.append(
                    np.stack([grid[-1], grid[0, (slots + offset) % per_plane]], -1).reshape(-1, 2)
                )
    pairs = np.concatenate(parts)
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    n = int(hi.max()) + 1 if hi.size else 1
    key = np.unique((lo * n + hi)[lo != hi])  # sorted, unique; one int64 key per pair
    return np.stack([key // n, key % n], axis=-1)


# ---------------------------------------------------------------------------------------------
# Numba kernels
# ---------------------------------------------------------------------------------------------


#: Below this many elementary operations a kernel runs on one thread: on a small, shared
#: machine waking the worker threads of a parallel region can cost milliseconds
PARALLEL_MIN_WORK = 2_000_000


@njit(cache=True, inline="always")
def _pair_one(r, t, i, j, rg2, max_range):  # pragma: no cover - numba
    """Length of the segment r[t, i] - r[t, j] and whether it is usable: finite, no longer than
    ``max_range`` and with its closest approach to the origin (clamped projection of the
    origin on the segment) above sqrt(rg2)."""
    x1 = r[t, i, 0]
    y1 = r[t, i, 1]
    z1 = r[t, i, 2]
    dx = r[t, j, 0] - x1
    dy = r[t, j, 1] - y1
    dz = r[t, j, 2] - z1
    dd = dx * dx + dy * dy + dz * dz
    d = math.sqrt(dd)
    s = 0.0
    if dd > 0.0:
        s = -(x1 * dx + y1 * dy + z1 * dz) / dd
        if s < 0.0:
            s = 0.0
        elif s > 1.0:
            s = 1.0
    cx = x1 + s * dx
    cy = y1 + s * dy
    cz = z1 + s * dz
    return d, (cx * cx + cy * cy + cz * cz > rg2) and (d <= max_range)


@njit(parallel=True, cache=True)
def _pair_geometry_par(r, a, b, r_graze, max_range):  # pragma: no cover - numba
    """Lengths (T, E) and usability (T, E) of pairs (a[e], b[e]) at each step of r (T, N, 3)."""
    n_t = r.shape[0]
    n_e = a.shape[0]
    dist = np.empty((n_t, n_e))
    ok = np.empty((n_t, n_e), dtype=np.bool_)
    rg2 = r_graze * r_graze
    for idx in prange(n_t * n_e):
        t = idx // n_e
        e = idx - t * n_e
        dist[t, e], ok[t, e] = _pair_one(r, t, a[e], b[e], rg2, max_range)
    return dist, ok


@njit(cache=True)
def _pair_geometry_ser(r, a, b, r_graze, max_range):  # pragma: no cover - numba
    """One-thread twin of :func:`_pair_geometry_par`."""
    n_t = r.shape[0]
    n_e = a.shape[0]
    dist = np.empty((n_t, n_e))
    ok = np.empty((n_t, n_e), dtype=np.bool_)
    rg2 = r_graze * r_graze
    for t in range(n_t):
        for e in range(n_e):
            dist[t, e], ok[t, e] = _pair_one(r, t, a[e], b[e], rg2, max_range)
    return dist, ok


def _pair_geometry(r, a, b, r_graze, max_range):
    """Dispatch to the one-thread or the parallel kernel by problem size."""
    if r.shape[0] * a.shape[0] >= PARALLEL_MIN_WORK // 10:
        return _pair_geometry_par(r, a, b, r_graze, max_range)
    return _pair_geometry_ser(r, a, b, r_graze, max_range)


@njit(cache=True, inline="always")
def _gsl_station(
    r, st, up, sin_mask, max_range2, g, fill, k, out_sat, out_dist, out_sin
):  # pragma: no cover
    """Satellites visible from station g: their count; with ``fill`` they are also written at
    ``out_*[k:]`` (satellite, range, sin(elevation))."""
    px = st[g, 0]
    py = st[g, 1]
    pz = st[g, 2]
    ux = up[g, 0]
    uy = up[g, 1]
    uz = up[g, 2]
    sm = sin_mask[g]
    mr2 = max_range2[g]
    c = 0
    for i in range(r.shape[0]):
        dx = r[i, 0] - px
        dy = r[i, 1] - py
        dz = r[i, 2] - pz
        du = dx * ux + dy * uy + dz * uz
        if sm >= 0.0 and not du > 0.0:
            continue
        d2 = dx * dx + dy * dy + dz * dz
        if not d2 <= mr2:
            continue
        d = math.sqrt(d2)
        if not du >= d * sm:
            continue
        if fill:
            out_sat[k] = i
            out_dist[k] = d
            out_sin[k] = du / d
            k += 1
        c += 1
    return c


@njit(parallel=True, cache=True)
def _gsl_visible_par(
    r, st, up, sin_mask, max_range2, fill, ptr, out_sat, out_dist, out_sin
):  # pragma: no cover
    """Visible satellites of every station. Pass 1 (``fill`` False): counts (G,). Pass 2:
    writes satellite, range and sin(elevation) at ``ptr[g]..`` for station g."""
    n_g = st.shape[0]
    counts = np.zeros(n_g, dtype=np.int64)
    for g in prange(n_g):
        k = ptr[g] if fill else 0
        counts[g] = _gsl_station(
            r, st, up, sin_mask, max_range2, g, fill, k, out_sat, out_dist, out_sin
        )
    return counts


@njit(cache=True)
def _gsl_visible_ser(
    r, st, up, sin_mask, max_range2, fill, ptr, out_sat, out_dist, out_sin
):  # pragma: no cover
    """One-thread twin of :func:`_gsl_visible_par`."""
    n_g = st.shape[0]
    counts = np.zeros(n_g, dtype=np.int64)
    for g in range(n_g):
        k = ptr[g] if fill else 0
        counts[g] = _gsl_station(
            r, st, up, sin_mask, max_range2, g, fill, k, out_sat, out_dist, out_sin
        )
    return counts


def _gsl_visible(r, st, up, sin_mask, max_range2, fill, ptr, out_sat, out_dist, out_sin):
    kernel = _gsl_visible_par if r.shape[0] * st.shape[0] >= PARALLEL_MIN_WORK else _gsl_visible_ser
    return kernel(r, st, up, sin_mask, max_range2, fill, ptr, out_sat, out_dist, out_sin)


@njit(cache=True)
def _select_best(ptr, cand_sat, cand_sin, antennas, held, sticky):  # pragma: no cover
    """Per station, indices (into the candidates) of the satellites it links to, (G, A) with -1.

    Sticky: satellites in ``held`` (G, A) that are still candidates are kept first; free
    antennas take the highest-elevation remaining candidates.
    """
    n_g, a_max = held.shape
    chosen = np.full((n_g, a_max), -1, dtype=np.int64)
    for g in range(n_g):
        lo = ptr[g]
        hi = ptr[g + 1]
        want = antennas[g]
        taken = 0
        if sticky:
            for a in range(a_max):
                s = held[g, a]
                if s < 0 or taken >= want:
                    continue
                for c in range(lo, hi):
                    if cand_sat[c] == s:
                        chosen[g, taken] = c
                        taken += 1
                        break
        while taken < want:
            best = -1
            best_v = -2.0
            for c in range(lo, hi):
                dup = False
                for q in range(taken):
                    if chosen[g, q] == c:
                        dup = True
                        break
                if not dup and cand_sin[c] > best_v:
                    best_v = cand_sin[c]
                    best = c
            if best < 0:
                break
            chosen[g, taken] = best
            taken += 1
    return chosen


@njit(cache=True)
def _greedy_match(a, b, order, capacity):  # pragma: no cover - numba
    """Shortest-first greedy b-matching: take pairs in ``order`` while both ends have a free
    terminal (``capacity`` per node). Returns a boolean mask over the pairs."""
    used = np.zeros(capacity.shape[0], dtype=np.int64)
    keep = np.zeros(a.shape[0], dtype=np.bool_)
    for q in range(order.shape[0]):
        e = order[q]
        i = a[e]
        j = b[e]
        if used[i] < capacity[i] and used[j] < capacity[j]:
            used[i] += 1
            used[j] += 1
            keep[e] = True
    return keep


@njit(cache=True)
def _csr_both(n_nodes, src, dst, w):  # pragma: no cover - numba
    """Symmetric CSR (both directions of every edge): indptr, indices, data, edge id."""
    n_e = src.shape[0]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for e in range(n_e):
        indptr[src[e] + 1] += 1
        indptr[dst[e] + 1] += 1
    for v in range(n_nodes):
        indptr[v + 1] += indptr[v]
    pos = indptr[:-1].copy()
    indices = np.empty(2 * n_e, dtype=np.int32)
    data = np.empty(2 * n_e)
    eid = np.empty(2 * n_e, dtype=np.int64)
    for e in range(n_e):
        u = src[e]
        v = dst[e]
        k = pos[u]
        indices[k] = v
        data[k] = w[e]
        eid[k] = e
        pos[u] = k + 1
        k = pos[v]
        indices[k] = u
        data[k] = w[e]
        eid[k] = e
        pos[v] = k + 1
    return indptr, indices, data, eid


# ---------------------------------------------------------------------------------------------
# Per-step ISL and GSL helpers
# ---------------------------------------------------------------------------------------------


def _grazing_radius_m(grazing_altitude_m: float) -> float:
    g = float(grazing_altitude_m)
    if not math.isfinite(g) or g < 0:
        raise InputError(
            f"grazing_altitude_m = {grazing_altitude_m!r}",
            field="grazing_altitude_m",
            expected="a finite height in m >= 0",
        )
    return EARTH_EQUATORIAL_RADIUS_M + g


def _check_positions(r_m: np.ndarray, field: str = "r_m") -> np.ndarray:
    r = np.ascontiguousarray(r_m, dtype=np.float64)
    if r.ndim < 2 or r.shape[-1] != 3:
        raise InputError(
            f"positions have shape {r.shape}", field=field, expected="an array (..., N, 3) in m"
        )
    return r


def pair_geometry(
    r_m: np.ndarray,
    pairs: np.ndarray,
    *,
    grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
    max_range_m: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Lengths (m) and usability of ``pairs`` (E, 2) at positions ``r_m`` (N, 3) or (T, N, 3).

    Returns ``(distance_m, ok)`` of shape (E,) or (T, E). ``ok`` is True where both positions
    are finite, the segment clears ``R_eq + grazing_altitude_m`` and it is no longer than
    ``max_range_m`` (no limit when None).
    """
    r = _check_positions(r_m)
    single = r.ndim == 2
    r3 = r[None] if single else r
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    mr = math.inf if max_range_m is None else float(max_range_m)
    dist, ok = _pair_geometry(
        r3,
        np.ascontiguousarray(p[:, 0]),
        np.ascontiguousarray(p[:, 1]),
        _grazing_radius_m(grazing_altitude_m),
        mr,
    )
    return (dist[0], ok[0]) if single else (dist, ok)


def nearest_k_pairs(
    r_m: np.ndarray,
    k: int = 4,
    max_range_m: float | None = None,
    grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
    *,
    rule: str = "greedy",
    candidates: int | None = None,
    terminals: np.ndarray | None = None,
) -> np.ndarray:
    """ISL pairs (E, 2) int64 (``i < j``, sorted) for satellites at ``r_m`` (N, 3), at most
    ``k`` links per satellite.

    Candidates: each satellite's ``candidates`` (default ``2 k``) nearest others within
    ``max_range_m`` (``scipy.spatial.cKDTree``), kept only with line of sight above
    ``R_eq + grazing_altitude_m``. Selection rule:

    - ``"greedy"``: candidate pairs are taken shortest first while both satellites still have a
      free terminal (greedy b-matching; every satellite ends with at most ``k`` links, and no
      unused candidate pair joins two satellites that both have a free terminal);
    - ``"mutual"``: a pair is kept when each satellite is among the other's ``k`` nearest
      line-of-sight candidates (mutual k-nearest-neighbour graph; degree at most ``k``).

    ``terminals`` (N,) gives a per-satellite number of terminals instead of ``k`` (greedy only);
    satellites with NaN positions get no links.
    """
    r = _check_positions(r_m)
    if r.ndim != 2:
        raise InputError(f"positions have shape {r.shape}", field="r_m", expected="(N, 3) in m")
    if not isinstance(k, int | np.integer) or k < 0:
        raise InputError(f"k = {k!r}", field="k", expected="a whole number >= 0")
    if rule not in ("greedy", "mutual"):
        raise InputError(f"rule = {rule!r}", field="rule", expected="'greedy' or 'mutual'")
    n = r.shape[0]
    finite = np.isfinite(r).all(axis=1)
    idx_f = np.flatnonzero(finite)
    q = min(int(candidates or 2 * k), idx_f.size - 1)
    if k == 0 or q <= 0:
        return np.zeros((0, 2), dtype=np.int64)
    from scipy.spatial import cKDTree

    rf = r[idx_f]
    tree = cKDTree(rf)
    ub = math.inf if max_range_m is None else float(max_range_m)
    d, nb = tree.query(rf, k=q + 1, distance_upper_bound=ub, workers=-1)
    d, nb = d[:, 1:], nb[:, 1:]  # first column: the satellite itself
    m = nb.shape[0]
    rows = np.repeat(np.arange(m), q).reshape(m, q)
    has = nb < m
    a = idx_f[rows[has]]
    b = idx_f[nb[has]]
    dist_pair = d[has]
    _, los = pair_geometry(r, np.stack([a, b], -1), grazing_altitude_m=grazing_altitude_m)
    valid = np.zeros((m, q), dtype=bool)
    valid[has] = los
    if rule == "mutual":
        rank = np.cumsum(valid, axis=1) - 1
        top = valid & (rank < k)
        a_t = idx_f[rows[top]]
        b_t = idx_f[nb[top]]
        lo, hi = np.minimum(a_t, b_t), np.maximum(a_t, b_t)
        key = lo * n + hi
        uniq, counts = np.unique(key, return_counts=True)
        keep = uniq[counts == 2]
        return np.stack([keep // n, keep % n], -1).astype(np.int64)
    a, b, dist_pair = a[los], b[los], dist_pair[los]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key, first = np.unique(lo * n + hi, return_index=True)
    lo, hi, dist_pair = key // n, key % n, dist_pair[first]
    cap = np.full(n, int(k), dtype=np.int64) if terminals is None else _terminals(terminals, n)
    order = np.argsort(dist_pair, kind="stable")
    keep = _greedy_match(lo, hi, order, cap)
    return np.stack([lo[keep], hi[keep]], -1).astype(np.int64)


def _terminals(terminals: np.ndarray, n: int) -> np.ndarray:
    t = np.asarray(terminals, dtype=np.int64).reshape(-1)
    if t.shape != (n,) or (t < 0).any():
        raise InputError(
            f"terminals has shape {t.shape}",
            field="terminals",
            expected=f"({n},) whole numbers >= 0",
        )
    return t


def inter_shell_pairs(
    r_m: np.ndarray,
    shell: np.ndarray,
    *,
    max_range_m: float | None = None,
    grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
    terminals: int = 1,
    candidates: int = 4,
) -> np.ndarray:
    """ISL pairs (E, 2) between consecutive shells (ordered by mean radius) at positions r_m.

    For each pair of consecutive shells, every satellite of the lower shell proposes its
    ``candidates`` nearest satellites of the upper shell (k-d tree, within ``max_range_m``,
    line of sight checked); pairs are then matched shortest first with ``terminals`` inter-shell
    terminals per satellite in all (greedy b-matching; a satellite of a middle shell links up or
    down, not both, when ``terminals`` is 1).
    """
    from scipy.spatial import cKDTree

    r = _check_positions(r_m)
    shell = np.asarray(shell, dtype=np.int64)
    ids = np.unique(shell)
    finite = np.isfinite(r).all(axis=1)
    radius = np.linalg.norm(r, axis=1)
    means = np.array(
        [np.nanmean(np.where(finite[shell == s], radius[shell == s], np.nan)) for s in ids]
    )
    ordered = ids[np.argsort(means)]
    ub = math.inf if max_range_m is None else float(max_range_m)
    parts = [np.zeros((0, 2), dtype=np.int64)]
    free = np.full(r.shape[0], int(terminals), dtype=np.int64)  # shared by all shell pairs
    for lower, upper in itertools.pairwise(ordered):
        il = np.flatnonzero((shell == lower) & finite)
        iu = np.flatnonzero((shell == upper) & finite)
        if il.size == 0 or iu.size == 0:
            continue
        q = min(candidates, iu.size)
        d, nb = cKDTree(r[iu]).query(r[il], k=q, distance_upper_bound=ub, workers=-1)
        d, nb = d.reshape(il.size, q), nb.reshape(il.size, q)
        has = nb < iu.size
        a = np.repeat(il, q).reshape(il.size, q)[has]
        b = iu[nb[has]]
        dd = d[has]
        _, los = pair_geometry(r, np.stack([a, b], -1), grazing_altitude_m=grazing_altitude_m)
        a, b, dd = a[los], b[los], dd[los]
        order = np.argsort(dd, kind="stable")
        keep = _greedy_match(a, b, order, free)
        free -= np.bincount(np.concatenate([a[keep], b[keep]]), minlength=free.shape[0])
        pairs = np.stack([np.minimum(a, b)[keep], np.maximum(a, b)[keep]], -1)
        parts.append(pairs.astype(np.int64))
    return np.concatenate(parts)


@dataclass(frozen=True)
class GroundLinks:
    """GSLs of one step, sorted by station: ``station`` (E,) index into the stations,
    ``satellite`` (E,), ``distance_m`` (E,), ``elevation_deg`` (E,). ``held`` (G, A) is the
    satellite each station's antennas point at (-1: none; ``policy="best"`` only)."""

    station: np.ndarray
    satellite: np.ndarray
    distance_m: np.ndarray
    elevation_deg: np.ndarray
    held: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.station.shape[0])


def _antennas(antennas, n_g: int) -> np.ndarray:
    a = np.asarray(antennas)
    if a.dtype.kind not in "iu" and not (a.dtype.kind == "f" and np.all(np.mod(a, 1) == 0)):
        raise InputError(
            f"antennas = {antennas!r}", field="antennas", expected="whole numbers >= 1"
        )
    a = np.broadcast_to(a.astype(np.int64), (n_g,)).copy()
    if (a < 1).any():
        raise InputError(
            f"antennas = {antennas!r}", field="antennas", expected="whole numbers >= 1"
        )
    return a


def ground_links(
    r_sat_ecef_m: np.ndarray,
    ground,
    policy: str = "all",
    antennas: int | np.ndarray = 1,
    *,
    min_elevation_deg: float | np.ndarray | None = None,
    max_range_m: float | None = None,
    handover: str = "sticky",
    previous: np.ndarray | None = None,
) -> GroundLinks:
    """Ground-satellite links at one step.

    ``r_sat_ecef_m`` (N, 3) Earth-fixed positions; ``ground`` a
    :class:`~spacecompute.astro.ground.GroundStations` (its masks are used unless
    ``min_elevation_deg`` is given). ``policy="all"`` links every visible satellite;
    ``policy="best"`` links at most ``antennas`` (scalar or (G,)) per station, chosen by
    elevation; ``handover="sticky"`` keeps the satellites in ``previous`` (G, A) while they stay
    visible, ``"greedy"`` re-picks the highest every step. See the module docstring.
    """
    from ..astro.frames import enu_basis

    if policy not in ("all", "best"):
        raise InputError(f"policy = {policy!r}", field="gsl", expected="'all' or 'best'")
    if handover not in ("sticky", "greedy"):
        raise InputError(
            f"handover = {handover!r}", field="handover", expected="'sticky' or 'greedy'"
        )
    r = _check_positions(r_sat_ecef_m, "r_sat_ecef_m")
    if r.ndim != 2:
        raise InputError(
            f"positions have shape {r.shape}", field="r_sat_ecef_m", expected="(N, 3) in m"
        )
    n_g = len(ground)
    mask = ground.min_elevation_deg if min_elevation_deg is None else min_elevation_deg
    mask = np.broadcast_to(np.asarray(mask, dtype=np.float64), (n_g,))
    if not (np.isfinite(mask).all() and (np.abs(mask) <= 90).all()):
        raise InputError(
            "elevation mask out of range", field="min_elevation_deg", expected="[-90, 90] deg"
        )
    sin_mask = np.sin(np.radians(mask))
    mr = math.inf if max_range_m is None else float(max_range_m)
    max_range2 = np.full(n_g, mr * mr)
    st = np.ascontiguousarray(ground.ecef_m, dtype=np.float64).reshape(n_g, 3)
    up = np.ascontiguousarray(enu_basis(ground.lat_deg, ground.lon_deg)[..., 2, :]).reshape(n_g, 3)
    e_i = np.zeros(0, dtype=np.int64)
    e_f = np.zeros(0)
    counts = _gsl_visible(r, st, up, sin_mask, max_range2, False, e_i, e_i, e_f, e_f)
    ptr = np.zeros(n_g + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    total = int(ptr[-1])
    sat = np.empty(total, dtype=np.int64)
    dist = np.empty(total)
    sin_el = np.empty(total)
    _gsl_visible(r, st, up, sin_mask, max_range2, True, ptr, sat, dist, sin_el)
    station = np.repeat(np.arange(n_g, dtype=np.int64), counts)
    held = None
    if policy == "best":
        ant = _antennas(antennas, n_g)
        a_max = int(ant.max()) if n_g else 1
        prev = np.full((n_g, a_max), -1, dtype=np.int64)
        if previous is not None:
            p = np.asarray(previous, dtype=np.int64)
            if p.ndim == 2 and p.shape[0] == n_g:
                w = min(a_max, p.shape[1])
                prev[:, :w] = p[:, :w]
        chosen = _select_best(ptr, sat, sin_el, ant, prev, handover == "sticky")
        held = np.where(chosen >= 0, sat[np.maximum(chosen, 0)], -1)
        pick = chosen[chosen >= 0]
        pick.sort()
        station, sat, dist, sin_el = station[pick], sat[pick], dist[pick], sin_el[pick]
    elevation = np.degrees(np.arcsin(np.clip(sin_el, -1.0, 1.0)))
    return GroundLinks(station, sat, dist, elevation, held)


def _rate(rate: RateLike, distance_m: np.ndarray, field: str) -> np.ndarray:
    if callable(rate):
        out = np.broadcast_to(np.asarray(rate(distance_m), dtype=np.float64), distance_m.shape)
    else:
        out = np.full(distance_m.shape, float(rate))
    if out.size and not (np.isfinite(out).all() and (out >= 0).all()):
        raise InputError("link rates must be finite and >= 0", field=field, expected="bit/s >= 0")
    return np.ascontiguousarray(out)


# ---------------------------------------------------------------------------------------------
# Graph objects
# ---------------------------------------------------------------------------------------------


@dataclass(eq=False)
class StepGraph:
    """The network at one step: undirected edges with distance, delay, capacity and kind.

    Nodes: satellites ``0..n_satellites-1``, then ground nodes ``n_satellites..n_nodes-1``.
    Each link appears once (ISLs with ``src < dst``; GSLs from satellite to ground node).
    """

    n_satellites: int
    n_ground: int
    src: np.ndarray
    dst: np.ndarray
    distance_m: np.ndarray
    delay_s: np.ndarray
    capacity_bps: np.ndarray
    kind: np.ndarray
    time: np.datetime64 | None = None
    ground_names: np.ndarray | None = None
    _csr: dict = field(default_factory=dict, repr=False)

    @property
    def n_nodes(self) -> int:
        return self.n_satellites + self.n_ground

    @property
    def n_edges(self) -> int:
        return int(self.src.shape[0])

    def __repr__(self) -> str:
        n_isl = int(np.count_nonzero(self.kind == ISL))
        return (
            f"StepGraph({self.n_satellites:,} satellites, {self.n_ground} ground nodes, "
            f"{n_isl:,} ISLs, {self.n_edges - n_isl:,} GSLs)"
        )

    def csr(self, weight: str = "delay_s") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Symmetric CSR arrays (indptr, indices, data, edge id), both directions of each link,
        weighted by ``weight`` (an edge column name, or ``"hops"`` for 1 per link)."""
        if weight not in self._csr:
            w = np.ones(self.n_edges) if weight == "hops" else np.asarray(getattr(self, weight))
            self._csr[weight] = _csr_both(
                self.n_nodes, self.src, self.dst, np.ascontiguousarray(w, dtype=np.float64)
            )
        return self._csr[weight]

    def to_scipy(self, weight: str = "delay_s"):
        """A ``scipy.sparse.csr_matrix`` (n_nodes, n_nodes), symmetric, of ``weight``."""
        from scipy.sparse import csr_matrix

        indptr, indices, data, _ = self.csr(weight)
        return csr_matrix((data, indices, indptr), shape=(self.n_nodes, self.n_nodes))

    def degree(self, kind: int | None = None) -> np.ndarray:
        """Links per node (n_nodes,), of one ``kind`` or all."""
        sel = slice(None) if kind is None else self.kind == kind
        return np.bincount(
            np.concatenate([self.src[sel], self.dst[sel]]), minlength=self.n_nodes
        ).astype(np.int64)

    def edge_index(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Edge ids of links (u[i], v[i]) (either direction); -1 where there is none."""
        indptr, indices, _, eid = self.csr("delay_s")
        u = np.asarray(u, dtype=np.int64).reshape(-1)
        v = np.asarray(v, dtype=np.int64).reshape(-1)
        out = np.full(u.shape, -1, dtype=np.int64)
        for q in range(u.shape[0]):  # path-length loops only (a few dozen hops)
            lo, hi = indptr[u[q]], indptr[u[q] + 1]
            hit = np.flatnonzero(indices[lo:hi] == v[q])
            if hit.size:
                out[q] = eid[lo + hit[0]]
        return out


@dataclass(eq=False)
class Topology:
    """The graphs of T steps, edges of all steps concatenated; ``topology[t]`` is a StepGraph.

    ``step_ptr`` (T+1,) delimits step t's edges ``step_ptr[t]:step_ptr[t+1]``.
    """

    times: np.ndarray
    n_satellites: int
    n_ground: int
    step_ptr: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    distance_m: np.ndarray
    delay_s: np.ndarray
    capacity_bps: np.ndarray
    kind: np.ndarray
    ground_names: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.step_ptr.shape[0] - 1)

    def __getitem__(self, t: int) -> StepGraph:
        if not -len(self) <= t < len(self):
            raise IndexError(t)
        t = t % len(self)
        s = slice(int(self.step_ptr[t]), int(self.step_ptr[t + 1]))
        return StepGraph(
            self.n_satellites,
            self.n_ground,
            self.src[s],
            self.dst[s],
            self.distance_m[s],
            self.delay_s[s],
            self.capacity_bps[s],
            self.kind[s],
            self.times[t] if self.times is not None else None,
            self.ground_names,
        )

    def __iter__(self):
        for t in range(len(self)):
            yield self[t]

    def to_table(self):
        """All edges as a :class:`~spacecompute.table.Table` (step, time, src, dst, kind, ...)."""
        from ..table import Table

        step = np.repeat(np.arange(len(self)), np.diff(self.step_ptr))
        return Table(
            {
                "step": step,
                "time": self.times[step],
                "src": self.src,
                "dst": self.dst,
                "kind": np.asarray(KIND_NAMES, dtype=object)[self.kind],
                "distance_m": self.distance_m,
                "delay_s": self.delay_s,
                "capacity_bps": self.capacity_bps,
            }
        )

    @staticmethod
    def from_steps(graphs: list[StepGraph], times: np.ndarray | None = None) -> Topology:
        """Concatenate per-step graphs (same nodes) into a Topology."""
        if not graphs:
            raise ValueError("no steps")
        g0 = graphs[0]
        ptr = np.zeros(len(graphs) + 1, dtype=np.int64)
        np.cumsum([g.n_edges for g in graphs], out=ptr[1:])

        def cat(name):
            return np.concatenate([getattr(g, name) for g in graphs])

        if times is None:
            times = np.array([g.time for g in graphs], dtype="datetime64[ns]")
        return Topology(
            times,
            g0.n_satellites,
            g0.n_ground,
            ptr,
            cat("src"),
            cat("dst"),
            cat("distance_m"),
            cat("delay_s"),
            cat("capacity_bps"),
            cat("kind"),
            g0.ground_names,
        )


# ---------------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------------


class TopologyBuilder:
    """Builds the :class:`StepGraph` of each step from Earth-fixed positions.

    Parameters
    ----------
    source : Constellation or ElementSet (plane/slot of Walker shells are used for +Grid).
    ground : GroundStations or None (ground nodes N..N+G-1, in this order).
    isl : ``"auto"`` (+Grid for Walker shells, nearest-k among the other satellites),
        ``"plus-grid"`` (Walker shells only), ``"nearest-k"`` (all satellites) or ``"none"``.
    seam : +Grid seam, ``"auto"`` | ``"connect"`` | ``"cut"``.
    k : laser terminals per satellite for nearest-k; ``k_rule``: ``"greedy"`` | ``"mutual"``.
    inter_shell : also link consecutive shells (one extra terminal per satellite).
    max_isl_range_m : longest ISL (None: line of sight only); ``grazing_altitude_m``: 80 km.
    gsl, antennas, handover, min_elevation_deg, max_gsl_range_m : see :func:`ground_links`.
    isl_rate_bps, gsl_rate_bps : constant bit/s or callables of the distance (m) returning
        bit/s, e.g. from the link budgets of :mod:`spacecompute.network.links`::

            from spacecompute.network import links
            t = links.terminal("suncatcher-isl")
            TopologyBuilder(c, isl_rate_bps=lambda d: links.optical_link_budget(t, t, d).rate_bps)
    """

    def __init__(
        self,
        source,
        ground=None,
        *,
        isl: str = "auto",
        seam: str = "auto",
        k: int = 4,
        k_rule: str = "greedy",
        inter_shell: bool = False,
        max_isl_range_m: float | None = None,
        grazing_altitude_m: float = DEFAULT_GRAZING_ALTITUDE_M,
        gsl: str = "all",
        antennas: int | np.ndarray = 1,
        handover: str = "sticky",
        min_elevation_deg: float | np.ndarray | None = None,
        max_gsl_range_m: float | None = None,
        isl_rate_bps: RateLike = DEFAULT_ISL_RATE_BPS,
        gsl_rate_bps: RateLike = DEFAULT_GSL_RATE_BPS,
    ) -> None:
        from ..astro.constellation import Constellation

        if isl not in ("auto", "plus-grid", "nearest-k", "none"):
            raise InputError(
                f"isl = {isl!r}", field="isl", expected="'auto', 'plus-grid', 'nearest-k' or 'none'"
            )
        if gsl not in ("all", "best"):
            raise InputError(f"gsl = {gsl!r}", field="gsl", expected="'all' or 'best'")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise InputError(
                f"k = {k!r}",
                field="k",
                expected="a whole number >= 1 (laser terminals per satellite)",
            )
        if handover not in ("sticky", "greedy"):
            raise InputError(
                f"handover = {handover!r}", field="handover", expected="'sticky' or 'greedy'"
            )
        elements = source.elements if isinstance(source, Constellation) else source
        self.n_satellites = len(elements)
        self.ground = ground
        self.n_ground = 0 if ground is None else len(ground)
        self.isl, self.k, self.k_rule = isl, int(k), k_rule
        self.inter_shell = bool(inter_shell)
        self.max_isl_range_m = max_isl_range_m
        self.r_graze_m = _grazing_radius_m(grazing_altitude_m)
        self.grazing_altitude_m = float(grazing_altitude_m)
        self.gsl, self.handover = gsl, handover
        self.antennas = _antennas(antennas, self.n_ground) if self.n_ground else None
        self.min_elevation_deg = min_elevation_deg
        self.max_gsl_range_m = max_gsl_range_m
        self.isl_rate_bps, self.gsl_rate_bps = isl_rate_bps, gsl_rate_bps
        self.shell = np.asarray(elements.shell, dtype=np.int64)
        in_grid = (np.asarray(elements.plane) >= 0) & (np.asarray(elements.slot) >= 0)
        if isl in ("auto", "plus-grid"):
            self.static_pairs = plus_grid_pairs(source, seam=seam)
            self.knn_index = np.flatnonzero(~in_grid) if isl == "auto" else np.zeros(0, np.int64)
        elif isl == "nearest-k":
            self.static_pairs = np.zeros((0, 2), dtype=np.int64)
            self.knn_index = np.arange(self.n_satellites)
        else:
            self.static_pairs = np.zeros((0, 2), dtype=np.int64)
            self.knn_index = np.zeros(0, dtype=np.int64)
        self._a = np.ascontiguousarray(self.static_pairs[:, 0])
        self._b = np.ascontiguousarray(self.static_pairs[:, 1])
        self._held: np.ndarray | None = None
        self.ground_names = None if ground is None else ground.names

    def reset(self) -> None:
        """Forget the GSL handover state (the satellites each station held)."""
        self._held = None

    @cached_property
    def _max_range(self) -> float:
        return math.inf if self.max_isl_range_m is None else float(self.max_isl_range_m)

    def _dynamic_isl(self, r: np.ndarray) -> np.ndarray:
        """Pairs that depend on the step's positions (nearest-k, between shells)."""
        parts = [np.zeros((0, 2), dtype=np.int64)]
        if self.knn_index.size >= 2 and self.k > 0:
            sub = nearest_k_pairs(
                r[self.knn_index],
                self.k,
                self.max_isl_range_m,
                self.grazing_altitude_m,
                rule=self.k_rule,
            )
            parts.append(self.knn_index[sub])
        if self.inter_shell and np.unique(self.shell).size > 1:
            parts.append(
                inter_shell_pairs(
                    r,
                    self.shell,
                    max_range_m=self.max_isl_range_m,
                    grazing_altitude_m=self.grazing_altitude_m,
                )
            )
        return np.concatenate(parts)

    def _assemble(
        self,
        r: np.ndarray,
        static_dist: np.ndarray,
        static_ok: np.ndarray,
        time: np.datetime64 | None,
    ) -> StepGraph:
        n = self.n_satellites
        src = [self._a[static_ok]]
        dst = [self._b[static_ok]]
        dist = [static_dist[static_ok]]
        dyn = self._dynamic_isl(r)
        if dyn.shape[0]:
            d_dyn, ok_dyn = pair_geometry(
                r, dyn, grazing_altitude_m=self.grazing_altitude_m, max_range_m=self.max_isl_range_m
            )
            src.append(dyn[ok_dyn, 0])
            dst.append(dyn[ok_dyn, 1])
            dist.append(d_dyn[ok_dyn])
        isl_dist = np.concatenate(dist)
        isl_cap = _rate(self.isl_rate_bps, isl_dist, "isl_rate_bps")
        n_isl = isl_dist.shape[0]
        if self.n_ground:
            links = ground_links(
                r,
                self.ground,
                self.gsl,
                self.antennas,
                min_elevation_deg=self.min_elevation_deg,
                max_range_m=self.max_gsl_range_m,
                handover=self.handover,
                previous=self._held,
            )
            self._held = links.held
            src.append(links.satellite)
            dst.append(links.station + n)
            g_dist = links.distance_m
        else:
            g_dist = np.zeros(0)
        g_cap = _rate(self.gsl_rate_bps, g_dist, "gsl_rate_bps")
        distance = np.concatenate([isl_dist, g_dist])
        kind = np.zeros(distance.shape[0], dtype=np.uint8)
        kind[n_isl:] = GSL
        capacity = np.concatenate([isl_cap, g_cap])
        src_all = np.concatenate(src).astype(np.int64)
        dst_all = np.concatenate(dst).astype(np.int64)
        # a link whose budget does not close (rate 0) is no link: routing must not use it
        up = capacity > 0
        if not up.all():
            src_all, dst_all, distance, capacity, kind = (
                a[up] for a in (src_all, dst_all, distance, capacity, kind)
            )
        return StepGraph(
            n,
            self.n_ground,
            src_all,
            dst_all,
            distance,
            distance / SPEED_OF_LIGHT_M_S,
            capacity,
            kind,
            time,
            self.ground_names,
        )

    def step(self, r_ecef_m: np.ndarray, time: np.datetime64 | None = None) -> StepGraph:
        """The graph at one step from Earth-fixed positions (N, 3), m."""
        r = _check_positions(r_ecef_m, "r_ecef_m")
        if r.shape != (self.n_satellites, 3):
            raise InputError(
                f"positions have shape {r.shape}",
                field="r_ecef_m",
                expected=f"({self.n_satellites}, 3) in m",
            )
        d, ok = _pair_geometry(r[None], self._a, self._b, self.r_graze_m, self._max_range)
        return self._assemble(r, d[0], ok[0], time)

    def build(self, ephemeris=None, *, r_ecef_m: np.ndarray | None = None, times=None) -> Topology:
        """The graphs of every step of an :class:`~spacecompute.astro.ephemeris.Ephemeris` chunk
        (or of ``r_ecef_m`` (T, N, 3) with ``times``). The static +Grid geometry of all steps is
        one vectorized kernel call; the dynamic parts run once per step."""
        if ephemeris is not None:
            r, times = ephemeris.r_ecef_m, ephemeris.times
        else:
            r = r_ecef_m
        r = _check_positions(r, "r_ecef_m")
        if r.ndim != 3 or r.shape[1:] != (self.n_satellites, 3):
            raise InputError(
                f"positions have shape {r.shape}",
                field="r_ecef_m",
                expected=f"(T, {self.n_satellites}, 3) in m",
            )
        if times is None:
            times = np.full(r.shape[0], np.datetime64("NaT"), dtype="datetime64[ns]")
        times = np.asarray(times, dtype="datetime64[ns]")
        d, ok = _pair_geometry(r, self._a, self._b, self.r_graze_m, self._max_range)
        graphs = [self._assemble(r[t], d[t], ok[t], times[t]) for t in range(r.shape[0])]
        return Topology.from_steps(graphs, times)


# ---------------------------------------------------------------------------------------------
# Statistics
# ---------------------------------------------------------------------------------------------


def _quantiles(x: np.ndarray, scale: float) -> dict[str, float]:
    if x.size == 0:
        return {"min": math.nan, "median": math.nan, "max": math.nan, "mean": math.nan}
    return {
        "min": float(x.min() * scale),
        "median": float(np.median(x) * scale),
        "max": float(x.max() * scale),
        "mean": float(x.mean() * scale),
    }


def graph_stats(graph: StepGraph, *, exact_diameter_max_nodes: int = 5000) -> dict:
    """Degree, diameter, link-length and capacity statistics of one step's graph.

    Diameters are over the satellite (ISL) graph's largest connected component, in hops and in
    one-way delay (ms). Exact (all-pairs Dijkstra) up to ``exact_diameter_max_nodes``
    satellites; above, the double-sweep lower bound (Magnien, Latapy and Habib, "Fast
    computation of empirically tight bounds for the diameter of massive graphs", ACM JEA 13
    (2009)): a search from a node of the component, then from the farthest node found.
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    from .routing import _dijkstra_many, _eccentricities

    n, g = graph.n_satellites, graph.n_ground
    isl = graph.kind == ISL
    gsl = ~isl
    deg_isl = np.bincount(
        np.concatenate([graph.src[isl], graph.dst[isl]]), minlength=graph.n_nodes
    )[:n]
    deg_gsl = graph.degree(GSL)
    sub = StepGraph(
        n,
        0,
        graph.src[isl],
        graph.dst[isl],
        graph.distance_m[isl],
        graph.delay_s[isl],
        graph.capacity_bps[isl],
        graph.kind[isl],
    )
    indptr, indices, data, _ = sub.csr("delay_s")
    mat = csr_matrix((data, indices, indptr), shape=(n, n))
    n_comp, labels = connected_components(mat, directed=False)
    sizes = np.bincount(labels) if n else np.zeros(1, dtype=np.int64)
    big = int(np.argmax(sizes)) if n else 0
    members = np.flatnonzero(labels == big).astype(np.int64)
    exact = members.size <= exact_diameter_max_nodes
    ones = np.ones_like(data)
    diam = [0.0, 0.0]  # hops, seconds
    if members.size > 1:
        for q, w in enumerate((ones, data)):
            if exact:
                diam[q] = float(np.max(_eccentricities(indptr, indices, w, members, n)))
            else:
                row, _ = _dijkstra_many(indptr, indices, w, members[:1], n)
                far = members[np.argmax(row[0, members])]
                row, _ = _dijkstra_many(indptr, indices, w, np.array([far]), n)
                diam[q] = float(np.max(row[0, members]))
    d_hops, d_ms = diam[0], diam[1] * 1e3
    stats = {
        "satellites": int(n),
        "ground_nodes": int(g),
        "isl_links": int(np.count_nonzero(isl)),
        "gsl_links": int(np.count_nonzero(gsl)),
        "isl_degree": _quantiles(deg_isl, 1.0),
        "satellites_without_isl": int(np.count_nonzero(deg_isl == 0)),
        "gsl_per_station": _quantiles(deg_gsl[n:], 1.0),
        "stations_without_gsl": int(np.count_nonzero(deg_gsl[n:] == 0)),
        "isl_components": int(n_comp),
        "largest_component": int(members.size),
        "diameter_hops": d_hops,
        "diameter_delay_ms": d_ms,
        "diameter_exact": bool(exact),
        "isl_length_km": _quantiles(graph.distance_m[isl], 1e-3),
        "gsl_length_km": _quantiles(graph.distance_m[gsl], 1e-3),
        "isl_capacity_gbps": _quantiles(graph.capacity_bps[isl], 1e-9),
        "gsl_capacity_gbps": _quantiles(graph.capacity_bps[gsl], 1e-9),
        "isl_capacity_total_tbps": float(graph.capacity_bps[isl].sum() * 1e-12),
        "gsl_capacity_total_tbps": float(graph.capacity_bps[gsl].sum() * 1e-12),
    }
    return stats


__all__ = [
    "DEFAULT_GRAZING_ALTITUDE_M",
    "DEFAULT_GSL_RATE_BPS",
    "DEFAULT_ISL_RATE_BPS",
    "GSL",
    "ISL",
    "KIND_NAMES",
    "GroundLinks",
    "StepGraph",
    "Topology",
    "TopologyBuilder",
    "graph_stats",
    "ground_links",
    "inter_shell_pairs",
    "nearest_k_pairs",
    "pair_geometry",
    "plus_grid_pairs",
]
