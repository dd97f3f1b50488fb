"""Routing over the step graphs: shortest-delay paths, paths, round-trip time series.

Shortest paths
--------------
Dijkstra's algorithm (E. W. Dijkstra, "A note on two problems in connexion with graphs",
Numerische Mathematik 1 (1959) 269-271) with a binary heap and lazy deletion (Cormen et al.,
*Introduction to Algorithms*, 3rd ed., section 24.3), compiled with numba and run in parallel
over sources. ``scipy.sparse.csgraph.dijkstra`` is available as ``method="scipy"`` (and is the
reference the tests compare against).

Ground relaying. As in Hypatia's ``algorithm_free_one_only_over_isls`` (Kassing et al.,
"Exploring the Internet from space with Hypatia", IMC 2020), traffic by default travels
only over ISLs between its up and down links: a ground node is a source or a destination but
never a transit node. With ``relay_ground=True`` ground stations relay (satellite - station -
satellite hops are allowed, as in Hypatia's ``algorithm_free_one_only_gs_relays``).

Round-trip time
---------------
:func:`rtt_series` propagates the constellation, builds each step's graph with the two
endpoints as ground nodes (and relay stations if asked), and finds the shortest-delay path
from A to B: RTT = 2 x one-way delay (links are symmetric and the path is the same both ways
at an instant; light time in vacuum, no processing or queueing, as in Hypatia's RTT figures).
``hops`` counts links, up and down links included.

A lower bound (used in the tests and printed by the CLI): any path leaves A, reaches the
satellite layer (geocentric radius at least ``r_sat``) and comes down to B, never below the
radius ``R_low = min(|A|, |B|)``. Writing the path length as the integral of
``sqrt(dr^2 + r^2 dphi^2)`` and applying Minkowski's inequality,

    L >= sqrt( (2 r_sat - |A| - |B|)^2 + (R_low * gamma)^2 ),

with ``gamma`` the angle between A and B seen from the Earth's centre: the great-circle
distance and the up and down legs combined in quadrature (their plain sum is not a bound, as
slanted legs also cover ground distance).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from .._parallel import twin_kernel
from ..astro.constants import SPEED_OF_LIGHT_M_S
from ..errors import InputError
from .topology import PARALLEL_MIN_WORK, StepGraph, TopologyBuilder

#: Elevation mask of user terminals in the RTT series: Starlink's 25 deg (SpaceX, FCC filing
#: SAT-MOD-20181108-00083), also used by Hypatia for Starlink (Kassing et al., IMC 2020)
DEFAULT_USER_MIN_ELEVATION_DEG = 25.0


# ---------------------------------------------------------------------------------------------
# Dijkstra (numba)
# ---------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _heap_push(keys, nodes, size, key, node):  # pragma: no cover - numba
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if keys[p] <= key:
            break
        keys[i] = keys[p]
        nodes[i] = nodes[p]
        i = p
    keys[i] = key
    nodes[i] = node
    return size + 1


@njit(cache=True, inline="always")
def _heap_pop(keys, nodes, size):  # pragma: no cover - numba
    """Remove the top (read keys[0], nodes[0] first); returns the new size."""
    size -= 1
    key = keys[size]
    node = nodes[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and keys[c + 1] < keys[c]:
            c += 1
        if keys[c] >= key:
            break
        keys[i] = keys[c]
        nodes[i] = nodes[c]
        i = c
    keys[i] = key
    nodes[i] = node
    return size


@njit(cache=True)
def _dijkstra_into(
    indptr, indices, data, source, target, n_transit, dist, pred, keys, nodes
):  # pragma: no cover
    """Single-source Dijkstra into ``dist``/``pred``; stops when ``target`` (>= 0) is settled.

    Nodes ``>= n_transit`` other than the source are reached but never expanded.
    """
    dist[:] = np.inf
    pred[:] = -1
    dist[source] = 0.0
    size = _heap_push(keys, nodes, 0, 0.0, source)
    while size > 0:
        d = keys[0]
        u = nodes[0]
        size = _heap_pop(keys, nodes, size)
        if d > dist[u]:
            continue
        if u == target:
            break
        if u >= n_transit and u != source:
            continue
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = d + data[k]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = u
                size = _heap_push(keys, nodes, size, nd, v)


@njit(parallel=True, cache=True)
def _dijkstra_many_par(indptr, indices, data, sources, n_transit):  # pragma: no cover - numba
    """Distances (K, V) and predecessors (K, V) from each source, in parallel over sources."""
    n_v = indptr.shape[0] - 1
    n_k = sources.shape[0]
    dist = np.empty((n_k, n_v))
    pred = np.empty((n_k, n_v), dtype=np.int32)
    cap = indices.shape[0] + 1
    for q in prange(n_k):
        keys = np.empty(cap)
        nodes = np.empty(cap, dtype=np.int32)
        _dijkstra_into(
            indptr, indices, data, sources[q], -1, n_transit, dist[q], pred[q], keys, nodes
        )
    return dist, pred


@njit(cache=True)
def _dijkstra_many_ser(indptr, indices, data, sources, n_transit):  # pragma: no cover - numba
    """One-thread twin of :func:`_dijkstra_many_par` (heap buffers reused across sources)."""
    n_v = indptr.shape[0] - 1
    n_k = sources.shape[0]
    dist = np.empty((n_k, n_v))
    pred = np.empty((n_k, n_v), dtype=np.int32)
    cap = indices.shape[0] + 1
    keys = np.empty(cap)
    nodes = np.empty(cap, dtype=np.int32)
    for q in range(n_k):
        _dijkstra_into(
            indptr, indices, data, sources[q], -1, n_transit, dist[q], pred[q], keys, nodes
        )
    return dist, pred


def _dijkstra_many(indptr, indices, data, sources, n_transit, parallel: bool | None = None):
    """Dijkstra from each of ``sources``; parallel over sources when there are several and the
    work (sources x links) is large, or when ``parallel`` says so."""
    if parallel is None:
        parallel = sources.shape[0] > 1 and sources.shape[0] * indices.shape[0] >= PARALLEL_MIN_WORK
    kernel = _dijkstra_many_par if parallel else _dijkstra_many_ser
    return kernel(indptr, indices, data, np.asarray(sources, dtype=np.int64), n_transit)


@twin_kernel()
def _eccentricities(indptr, indices, data, sources, n_transit):  # pragma: no cover - numba
    """Largest finite distance from each source (K,), without keeping (K, V) arrays."""
    n_v = indptr.shape[0] - 1
    n_k = sources.shape[0]
    out = np.empty(n_k)
    cap = indices.shape[0] + 1
    for q in prange(n_k):
        keys = np.empty(cap)
        nodes = np.empty(cap, dtype=np.int32)
        dist = np.empty(n_v)
        pred = np.empty(n_v, dtype=np.int32)
        _dijkstra_into(indptr, indices, data, sources[q], -1, n_transit, dist, pred, keys, nodes)
        m = 0.0
        for v in range(n_v):
            if dist[v] < np.inf and dist[v] > m:
                m = dist[v]
        out[q] = m
    return out


@njit(cache=True)
def _walk_back(pred, source, target):  # pragma: no cover - numba
    """Node sequence source..target from a predecessor row; empty when unreachable."""
    n = pred.shape[0]
    out = np.empty(n, dtype=np.int64)
    k = 0
    v = target
    while v != source:
        if v < 0 or k >= n:
            return np.empty(0, dtype=np.int64)
        out[k] = v
        k += 1
        v = pred[v]
    out[k] = source
    k += 1
    return out[:k][::-1].copy()


# ---------------------------------------------------------------------------------------------
# Public shortest paths
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ShortestPaths:
    """Shortest paths from ``sources`` (K,): ``dist`` (K, V) in the weight's unit (seconds of
    delay by default; inf where unreachable) and ``pred`` (K, V) predecessors (-1: none)."""

    sources: np.ndarray
    dist: np.ndarray
    pred: np.ndarray
    weight: str = "delay_s"

    def row(self, source: int) -> int:
        hit = np.flatnonzero(self.sources == source)
        if hit.size == 0:
            raise InputError(
                f"node {source} is not a source", field="source", expected="one of the sources"
            )
        return int(hit[0])

    def path(self, source: int, target: int) -> np.ndarray:
        """Nodes from ``source`` to ``target`` (empty if unreachable)."""
        return _walk_back(self.pred[self.row(source)], int(source), int(target))


def _check_sources(sources, n_nodes: int) -> np.ndarray:
    src = np.atleast_1d(np.asarray(sources))
    if src.dtype.kind not in "iu" or src.ndim != 1 or ((src < 0) | (src >= n_nodes)).any():
        raise InputError(
            f"sources {sources!r}", field="sources", expected=f"node numbers in 0..{n_nodes - 1}"
        )
    return src.astype(np.int64)


def shortest_paths(
    graph: StepGraph,
    sources,
    *,
    weight: str = "delay_s",
    relay_ground: bool = False,
    method: str = "numba",
    parallel: bool | None = None,
) -> ShortestPaths:
    """Shortest paths from each of ``sources`` (node numbers) to every node of ``graph``.

    ``weight``: an edge column (``"delay_s"``, ``"distance_m"``) or ``"hops"``.
    ``relay_ground``: allow ground nodes as transit nodes (default: sources and sinks only).
    ``method``: ``"numba"`` (parallel over sources) or ``"scipy"``
    (``scipy.sparse.csgraph.dijkstra``; without ground relaying each ground source is replaced
    by a copy that keeps its out-links while ground nodes lose theirs). ``parallel``: run the
    numba kernel over sources on all threads (None: when the work is large).
    """
    src = _check_sources(sources, graph.n_nodes)
    n_transit = graph.n_nodes if relay_ground else graph.n_satellites
    if method == "numba":
        indptr, indices, data, _ = graph.csr(weight)
        dist, pred = _dijkstra_many(indptr, indices, data, src, n_transit, parallel)
        return ShortestPaths(src, dist, pred, weight)
    if method != "scipy":
        raise InputError(f"method = {method!r}", field="method", expected="'numba' or 'scipy'")
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import dijkstra

    mat = graph.to_scipy(weight)
    if relay_ground or graph.n_ground == 0:
        dist, pred = dijkstra(mat, directed=True, indices=src, return_predecessors=True)
        return ShortestPaths(src, dist, pred.astype(np.int32), weight)
    v, n = graph.n_nodes, graph.n_satellites
    coo = mat.tocoo()
    keep = coo.row < n  # ground nodes forward nothing
    ground_src = src[src >= n]
    copy_of = {int(g): v + q for q, g in enumerate(ground_src)}
    rows, cols, vals = [coo.row[keep]], [coo.col[keep]], [coo.data[keep]]
    for g, c in copy_of.items():  # one entry per ground source, not per edge
        sel = coo.row == g
        rows.append(np.full(int(sel.sum()), c))
        cols.append(coo.col[sel])
        vals.append(coo.data[sel])
    size = v + len(copy_of)
    aug = csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(size, size)
    )
    run = np.array([copy_of.get(int(s), int(s)) for s in src], dtype=np.int64)
    dist, pred = dijkstra(aug, directed=True, indices=run, return_predecessors=True)
    dist, pred = dist[:, :v].copy(), pred[:, :v].copy()
    for q, s in enumerate(src):
        pred[q][pred[q] == run[q]] = s
        dist[q, s] = 0.0
        pred[q, s] = -9999
    pred[pred < 0] = -1
    return ShortestPaths(src, dist, pred.astype(np.int32), weight)


# ---------------------------------------------------------------------------------------------
# Locations
# ---------------------------------------------------------------------------------------------

_LATLON = re.compile(
    r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*,\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*$"
)


def ground_point(
    where, *, min_elevation_deg: float = DEFAULT_USER_MIN_ELEVATION_DEG, field: str = "location"
):
    """One ground node from a city name (``"Paris"``, ``"Paris, US"``), a ``"lat,lon"`` string,
    a ``(lat_deg, lon_deg)`` pair, or a one-station GroundStations (returned as given).

    Cities come from :func:`spacecompute.astro.ground.city` (GeoNames, CC BY 4.0). Unknown names
    and bad coordinates raise :class:`InputError` naming ``field``.
    """
    from ..astro.ground import GroundStations, city, stations_from_latlon

    if isinstance(where, GroundStations):
        if len(where) != 1:
            raise InputError(
                f"{len(where)} stations", field=field, expected="exactly one ground station"
            )
        return where
    try:
        if isinstance(where, str):
            m = _LATLON.match(where)
            if m:
                lat, lon = float(m.group(1)), float(m.group(2))
                name = f"{lat:g},{lon:g}"
            else:
                lat, lon = city(where)
                name = where.strip()
        else:
            lat, lon = (float(x) for x in where)
            name = f"{lat:g},{lon:g}"
        return stations_from_latlon(lat, lon, 0.0, min_elevation_deg, names=[name])
    except InputError as exc:
        raise InputError(
            problems=[
                type(p)(
                    p.message,
                    p.file,
                    p.line,
                    f"{field}: {p.field}" if p.field else field,
                    p.expected,
                )
                for p in exc.problems
            ]
        ) from None
    except (TypeError, ValueError):
        raise InputError(
            f"{where!r}", field=field, expected="a city name, 'lat,lon' or a (lat, lon) pair"
        ) from None


def rtt_lower_bound_ms(a_ecef_m: np.ndarray, b_ecef_m: np.ndarray, r_sat_min_m):
    """The RTT lower bound of the module docstring, ms: 2 L / c with
    ``L = sqrt((2 r_sat - |A| - |B|)^2 + (R_low gamma)^2)`` and ``R_low = min(|A|, |B|) - 100 m``
    (the 100 m cover the geodetic-vs-geocentric tilt of a zero-elevation link).

    ``r_sat_min_m``: the smallest geocentric radius of any satellite (scalar or array); the
    result has its shape (a float for a scalar).
    """
    a = np.asarray(a_ecef_m, dtype=np.float64).reshape(3)
    b = np.asarray(b_ecef_m, dtype=np.float64).reshape(3)
    ra, rb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    gamma = math.acos(float(np.clip(a @ b / (ra * rb), -1.0, 1.0)))
    r_low = min(ra, rb) - 100.0
    radial = np.maximum(2.0 * np.asarray(r_sat_min_m, dtype=np.float64) - ra - rb, 0.0)
    out = 2.0 * np.hypot(radial, r_low * gamma) / SPEED_OF_LIGHT_M_S * 1e3
    return float(out) if out.ndim == 0 else out


# ---------------------------------------------------------------------------------------------
# RTT series
# ---------------------------------------------------------------------------------------------


#: Memory of one step of :func:`rtt_series` (its row of Python objects, path text included).
RTT_BYTES_PER_STEP = 400


def rtt_series(
    constellation,
    ground_a,
    ground_b,
    start,
    duration_s: float,
    step_s: float,
    *,
    method: str = "sgp4",
    min_elevation_deg: float = DEFAULT_USER_MIN_ELEVATION_DEG,
    stations=None,
    relay_ground: bool = False,
    chunk_steps: int | None = None,
    memory_budget_bytes: int | None = None,
    progress=None,
    **topology_options,
):
    """Round-trip time between two ground points over time, as a :class:`~spacecompute.table.Table`.

    ``ground_a``/``ground_b``: city names, ``"lat,lon"``, (lat, lon) or one-station
    GroundStations; their elevation mask is ``min_elevation_deg`` (default 25 deg). ``stations``:
    further ground nodes (kept with their own masks), used as relays only with
    ``relay_ground=True`` (default off, Hypatia's "only over ISLs"). ``topology_options`` go to
    :class:`~spacecompute.network.topology.TopologyBuilder` (``isl``, ``seam``, ``gsl``, ...).

    Columns: ``time``, ``t_s`` (since start), ``rtt_ms`` (NaN when no path), ``hops`` (links,
    up/down included; -1 when no path), ``up_satellite``, ``down_satellite`` (-1 when none),
    ``path`` (``"A>#sat>...>B"``), ``path_id`` (0, 1, ... in order of first use),
    ``path_changed`` (the path differs from the previous step's; False at the first step),
    ``bound_ms`` (the lower bound of :func:`rtt_lower_bound_ms` with the step's lowest
    satellite). ``progress(steps_done, total_steps)`` is called after every step.
    """
    from ..sizeguard import check_size
    from ..table import Table

    if np.isfinite(duration_s) and np.isfinite(step_s) and duration_s >= 0 and step_s > 0:
        # one row per step (Python objects: time, rtt, hops, satellites, path text): ~400 B
        check_size(
            "the RTT time series",
            [(np.floor(duration_s / step_s) + 1, "steps")],
            RTT_BYTES_PER_STEP,
            key="--duration or --step",
            budget_bytes=memory_budget_bytes,
        )
    a = ground_point(ground_a, min_elevation_deg=min_elevation_deg, field="from")
    b = ground_point(ground_b, min_elevation_deg=min_elevation_deg, field="to")
    ground = a.concat(b) if stations is None else a.concat(b, stations)
    names = [str(x) for x in ground.names]
    names[0], names[1] = (str(a.names[0]), str(b.names[0]))
    builder = TopologyBuilder(constellation, ground, **topology_options)
    n = len(constellation)
    src, dst = n, n + 1
    n_transit = n + len(ground) if relay_ground else n
    times_out, rtt, hops, up, down, paths, bounds = [], [], [], [], [], [], []
    total_steps = 0  # known once the first chunk has checked the span
    for eph in constellation.propagate_chunks(
        start,
        duration_s,
        step_s,
        method,
        chunk_steps=chunk_steps,
        memory_budget_bytes=memory_budget_bytes,
        velocities=False,
    ):
        topo = builder.build(eph)
        r_min = np.nanmin(np.linalg.norm(eph.r_ecef_m, axis=2), axis=1)
        bounds.append(np.atleast_1d(rtt_lower_bound_ms(a.ecef_m[0], b.ecef_m[0], r_min)))
        for t in range(len(topo)):
            g = topo[t]
            indptr, indices, data, _ = g.csr("delay_s")
            dist = np.empty(g.n_nodes)
            pred = np.empty(g.n_nodes, dtype=np.int32)
            keys = np.empty(indices.shape[0] + 1)
            heap_nodes = np.empty(indices.shape[0] + 1, dtype=np.int32)
            _dijkstra_into(indptr, indices, data, src, dst, n_transit, dist, pred, keys, heap_nodes)
            nodes = _walk_back(pred, src, dst)
            times_out.append(topo.times[t])
            if nodes.size:
                rtt.append(2.0 * dist[dst] * 1e3)
                hops.append(nodes.size - 1)
                up.append(int(nodes[1]))
                down.append(int(nodes[-2]))
                paths.append(">".join(names[v - n] if v >= n else f"#{v}" for v in nodes.tolist()))
            else:
                rtt.append(math.nan)
                hops.append(-1)
                up.append(-1)
                down.append(-1)
                paths.append("")
            if progress is not None:
                total_steps = total_steps or math.floor(duration_s / step_s + 1e-9) + 1
                progress(len(times_out), total_steps)
    times = np.array(times_out, dtype="datetime64[ns]")
    ids: dict[str, int] = {}
    path_id = np.array([ids.setdefault(p, len(ids)) for p in paths], dtype=np.int64)
    changed = np.zeros(path_id.shape[0], dtype=bool)
    changed[1:] = path_id[1:] != path_id[:-1]
    return Table(
        {
            "time": times,
            "t_s": (times - times[0]).astype(np.int64) / 1e9 if times.size else np.zeros(0),
            "rtt_ms": np.array(rtt, dtype=np.float64),
            "hops": np.array(hops, dtype=np.int64),
            "up_satellite": np.array(up, dtype=np.int64),
            "down_satellite": np.array(down, dtype=np.int64),
            "path": np.array(paths, dtype=object),
            "path_id": path_id,
            "path_changed": changed,
            "bound_ms": np.concatenate(bounds) if bounds else np.zeros(0),
        }
    )


def rtt_summary(table) -> dict:
    """``rtt_min_ms``, ``rtt_median_ms``, ``rtt_max_ms``, ``hops_min``, ``hops_max``,
    ``path_changes``, ``distinct_paths``, ``steps``, ``unreachable_steps`` and
    ``rtt_lower_bound_ms`` (smallest per-step bound) of an RTT series."""
    rtt = np.asarray(table["rtt_ms"], dtype=np.float64)
    ok = np.isfinite(rtt)
    hops = np.asarray(table["hops"])[ok]
    return {
        "rtt_min_ms": float(rtt[ok].min()) if ok.any() else None,
        "rtt_median_ms": float(np.median(rtt[ok])) if ok.any() else None,
        "rtt_max_ms": float(rtt[ok].max()) if ok.any() else None,
        "hops_min": int(hops.min()) if ok.any() else None,
        "hops_max": int(hops.max()) if ok.any() else None,
        "path_changes": int(np.count_nonzero(table["path_changed"])),
        "distinct_paths": int(np.unique(np.asarray(table["path_id"])[ok]).size),
        "steps": int(rtt.size),
        "unreachable_steps": int(np.count_nonzero(~ok)),
        **(
            {"rtt_lower_bound_ms": float(np.min(table["bound_ms"]))}
            if "bound_ms" in table and len(table)
            else {}
        ),
    }


def plot_rtt(table, path, *, title: str = "") -> None:
    """Write a PNG of RTT (and hops) against time, atomically (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from ..table import atomic_write

    fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    t = np.asarray(table["t_s"])
    ax.plot(t, table["rtt_ms"], lw=1.4, color="tab:blue", label="RTT")
    changed = np.asarray(table["path_changed"], dtype=bool)
    if changed.any():
        ax.plot(
            t[changed],
            np.asarray(table["rtt_ms"])[changed],
            "o",
            ms=3,
            color="tab:red",
            label="path change",
        )
    ax.set_xlabel("time since start (s)")
    ax.set_ylabel("round-trip time (ms)")
    ax.grid(alpha=0.3)
    ax2 = ax.twinx()
    ax2.step(
        t,
        np.where(np.asarray(table["hops"]) >= 0, table["hops"], np.nan),
        where="post",
        lw=0.8,
        color="tab:gray",
        alpha=0.6,
    )
    ax2.set_ylabel("hops", color="tab:gray")
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png"))
    finally:
        plt.close(fig)


__all__ = [
    "DEFAULT_USER_MIN_ELEVATION_DEG",
    "ShortestPaths",
    "ground_point",
    "plot_rtt",
    "rtt_lower_bound_ms",
    "rtt_series",
    "rtt_summary",
    "shortest_paths",
]
