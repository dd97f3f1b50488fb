"""Bandwidth-aware delivery of bulk data: max-flow, min-cost flow and store-and-forward plans.

Three tools, all on plain edge arrays (``src``, ``dst``, ``capacity_bps``) so that they work on
any topology (the per-step graphs of :mod:`spacecompute.network.topology` among others):

* :func:`max_flow_bps` -- the largest rate from one node to a *set* of nodes (a super-sink joins
  the set) at one instant, with a minimum cut. Max-flow min-cut theorem (Ford and Fulkerson,
  "Maximal flow through a network", Canadian J. Math. 8, 1956); solved with Dinic's algorithm
  (Dinic, Soviet Math. Doklady 11, 1970) as implemented by
  :func:`scipy.sparse.csgraph.maximum_flow`, which works on **int32** capacities: rates are
  rounded down to a multiple of ``resolution_bps`` (1 kbps by default; coarser when needed so
  that no flow value can overflow int32). The result says which resolution was used.
* :func:`min_cost_flow` -- route a given rate at least cost (e.g. cost = link delay in s, giving
  the least flow-weighted delay), as the linear program
  ``min c.x  s.t.  A x = b,  0 <= x <= capacity`` on the sparse node-arc incidence matrix ``A``
  (Ahuja, Magnanti and Orlin, *Network Flows*, 1993, ch. 9), solved with HiGHS
  (:func:`scipy.optimize.linprog` ``method="highs"``). Infeasible demand is flagged, not raised.
* :class:`ContactPlan` and :func:`earliest_delivery` -- store-and-forward (delay/disruption-
  tolerant) delivery of a volume over time-varying links: the earliest time at which
  ``volume_bits`` sent by one node have all arrived at any node of a set. Contact plans as in
  CCSDS 734.2-B-1 (Schedule-Aware Bundle Routing / Contact Graph Routing) and Fraire, Madoery and
  Finochietto, "Contact plan design for predictable disruption-tolerant space sensor networks"
  (2017); the flow over time is computed on a *time-expanded graph* (Ford and Fulkerson,
  "Constructing maximal dynamic flows from static flows", Operations Research 6, 1958).

Links given once with ``directed=False`` are **full duplex**: each direction gets the full
capacity. With ``directed=True`` each row is one direction only.

Time-expanded model (:func:`earliest_delivery`)
-----------------------------------------------
The plan is a sequence of non-overlapping steps ``[t_k, t_k + d_k)`` within which every link has
a constant rate (gaps between steps carry nothing). Node ``v`` gets one copy ``(v, k)`` per step.
Arcs of the expanded graph:

* transfer ``(u, k) -> (w, k)`` with capacity ``rate_bps * d_k`` (bits) for each link of step k
  (both directions when undirected);
* holdover ``(v, k) -> (v, k + 1)``: bits stored by ``v`` at the end of step k, capacity
  ``storage_bits[v]`` (infinite by default; the source and the sinks are never limited);
* ``(g, k) -> T`` (super-sink, infinite) for every sink ``g`` and step ``k``.

Within a step the flow is static (fluid): a relay forwards at the rate it receives, without
buffering, so a multi-hop path delivers ``min(rates) * d_k`` bits in step k; a node's stored
volume varies linearly within a step, so limits at step boundaries are limits at all times.
**Assumption: propagation delay is small against the step length** (LEO links: a few to tens of
ms against steps of tens of seconds); it is ignored, and the delivery time is early by at most
the sum of the link delays along the last bits' path. ``delay_s`` is kept in the plan for
reference only.

Earliest delivery: ``F(m)``, the max flow using steps ``0..m``, is non-decreasing in ``m``; a
binary search finds the first step ``m`` with ``F(m) >= volume``. Within step ``m``, the bits
delivered by ``t_m + theta * d_m`` are ``F(theta) = min over cuts C of (a_C + b_C * theta)``
(``b_C``: full-step capacity of the step-m transfer arcs that C cuts): concave and piecewise
linear, **not** linear (a relay can run dry part-way through the step), so plain linear
interpolation between the step ends would be late. The root of ``F(theta) = volume`` is found
by Newton's method on the cut lines (each iteration: one max flow, its minimum cut, the root of
that cut's line), which climbs monotonically to the root and stops after at most as many
iterations as ``F`` has pieces -- exact for the piecewise-constant rate model (Gallo, Grigoriadis
and Tarjan, "A fast parametric maximum flow algorithm", SIAM J. Comput. 18, 1989, on parametric
cuts).

Complexity: the expanded graph has ``V' = K N + 2`` nodes and
``E' = sum_k E_k (x2 undirected) + (K-1) N + K |sinks| + 1`` arcs for K steps, N nodes. Each max
flow is Dinic's ``O(V'^2 E')`` worst case (far less in practice), and
:func:`earliest_delivery` runs ``ceil(log2 K) + 1`` of them for the search, a few for Newton's
method and one for the schedule; memory ``O(E')``. ``max_arcs`` (default 5 million) guards the
size: a larger expanded graph raises :class:`~spacecompute.errors.InputError` naming the size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import breadth_first_order, maximum_flow

from ..errors import InputError
from ..table import Table

_INT32_MAX = 2**31 - 1
"""scipy's maximum_flow works in int32 (int64 input silently gives wrong answers)."""
_FLOW_BOUND_UNITS = 2**30
"""Capacities are scaled so that every flow value (and so every arc flow) stays below this."""
_RTOL = 1e-9
"""Relative tolerance when comparing delivered bits with the volume."""


# ---------------------------------------------------------------------------------------------
# validation helpers


def _int_scalar(value: object, field: str, lo: int, hi: int | None, expected: str) -> int:
    arr = np.asarray(value)
    if arr.ndim != 0 or arr.dtype.kind not in "iu":
        raise InputError(f"got {value!r}", field=field, expected=expected)
    v = int(arr)
    if v < lo or (hi is not None and v > hi):
        raise InputError(f"got {v}", field=field, expected=expected)
    return v


def _n_nodes(n_nodes: object) -> int:
    return _int_scalar(n_nodes, "n_nodes", 1, None, "an integer >= 1")


def _node_index_array(values: object, n: int, field: str, what: str = "node") -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
        raise InputError(
            f"got shape {arr.shape} dtype {arr.dtype}", field=field, expected="1-D integer array"
        )
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        bad = int(arr[(arr < 0) | (arr >= n)][0])
        raise InputError(f"{what} {bad} out of range", field=field, expected=f"0 <= {what} < {n}")
    return arr


def _float_array(values: object, field: str, size: int, *, allow_inf: bool = False) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"not numeric: {values!r}", field=field, expected="numbers") from None
    if arr.ndim == 0:
        arr = np.full(size, float(arr))
    if arr.shape != (size,):
        raise InputError(
            f"got shape {arr.shape}", field=field, expected=f"a number or shape ({size},)"
        )
    bad = np.isnan(arr) | (arr < 0) | (~np.isfinite(arr) if not allow_inf else False)
    if np.any(bad):
        raise InputError(
            f"got {arr[bad][0]!r}",
            field=field,
            expected="non-negative numbers" + ("" if allow_inf else ", finite"),
        )
    return arr


def _edges(
    n: int, src: object, dst: object, capacity_bps: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = _node_index_array(src, n, "src")
    d = _node_index_array(dst, n, "dst")
    if s.shape != d.shape:
        raise InputError(
            f"src has {s.size} edges, dst {d.size}", field="dst", expected="as many as src"
        )
    cap = _float_array(capacity_bps, "capacity_bps", s.size)
    return s, d, cap


def _source_and_sinks(source: object, sinks: object, n: int) -> tuple[int, np.ndarray]:
    s = _int_scalar(source, "source", 0, n - 1, f"a node index 0 <= source < {n}")
    g = np.unique(_node_index_array(sinks, n, "sinks"))
    if g.size == 0:
        raise InputError("no sinks", field="sinks", expected="at least one node index")
    if np.any(g == s):
        raise InputError(
            f"source {s} is also a sink", field="sinks", expected="sinks other than the source"
        )
    return s, g


def _positive_number(value: object, field: str, *, allow_zero: bool = True) -> float:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"got {value!r}", field=field, expected="a number") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(
            f"got {v}",
            field=field,
            expected="a finite number " + (">= 0" if allow_zero else "> 0"),
        )
    return v


# ---------------------------------------------------------------------------------------------
# max-flow kernel


@dataclass(frozen=True, eq=False)
class _ArcFlow:
    value_units: int
    arc_flow_units: np.ndarray  # (A,) float: flow on each arc (parallel arcs share in proportion)
    source_side: np.ndarray  # (n,) bool: nodes reachable from s in the residual graph


def _max_flow_arcs(
    n: int, tail: np.ndarray, head: np.ndarray, cap_units: np.ndarray, s: int, t: int
) -> _ArcFlow:
    """Max flow on directed arcs with integer capacities (int64; clipped to int32 here).

    Parallel arcs are merged (capacities added in int64, then clipped) and their flow split back
    in proportion to capacity; antiparallel arcs are handled by scipy's skew-symmetric flow.
    The minimum cut's source side is the set reachable from ``s`` in the residual graph.
    """
    cap_units = np.asarray(cap_units, dtype=np.int64)
    use = (tail != head) & (cap_units > 0)
    g = sp.coo_array((cap_units[use], (tail[use], head[use])), shape=(n, n)).tocsr()
    g.sum_duplicates()
    g.data = np.minimum(g.data, _INT32_MAX)
    g32 = sp.csr_array((g.data.astype(np.int32), g.indices, g.indptr), shape=(n, n))
    res = maximum_flow(g32, s, t, method="dinic")
    flow = res.flow.tocoo()
    # net flow on each arc's (tail, head) pair, looked up by key
    fkey = flow.row.astype(np.int64) * n + flow.col.astype(np.int64)
    order = np.argsort(fkey)
    fkey = fkey[order]
    fval = flow.data.astype(np.float64)[order]
    akey = tail.astype(np.int64) * n + head.astype(np.int64)
    pos = np.clip(np.searchsorted(fkey, akey), 0, max(fkey.size - 1, 0))
    net = np.zeros(akey.size)
    if fkey.size:
        hit = fkey[pos] == akey
        net[hit] = fval[pos[hit]]
    # split the pair's forward flow over parallel arcs in proportion to capacity
    _, inv = np.unique(akey, return_inverse=True)
    capf = np.where(use, cap_units, 0).astype(np.float64)
    capsum = np.bincount(inv, weights=capf)[inv]
    with np.errstate(invalid="ignore", divide="ignore"):
        arc_flow = np.where(capsum > 0, np.maximum(net, 0.0) * capf / capsum, 0.0)
    # residual graph: capacity minus net flow (> 0 also on reverse arcs of used arcs)
    resid = (g - flow.tocsr().astype(np.int64)).tocsr()
    resid.data = (resid.data > 0).astype(np.int8)
    resid.eliminate_zeros()
    reached = breadth_first_order(resid, s, directed=True, return_predecessors=False)
    side = np.zeros(n, dtype=bool)
    side[reached] = True
    return _ArcFlow(int(res.flow_value), arc_flow, side)


def _to_units(cap: np.ndarray, unit: float) -> np.ndarray:
    """Capacities (float, inf allowed) as int64 multiples of ``unit``, rounded down."""
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.floor(cap / unit + 1e-9)
    return np.where(np.isfinite(q), np.minimum(q, _INT32_MAX), _INT32_MAX).astype(np.int64)


def _directed_arcs(
    src: np.ndarray, dst: np.ndarray, directed: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Arcs for edges: (tail, head, edge index, sign); undirected edges give both directions."""
    idx = np.arange(src.size)
    if directed:
        return src, dst, idx, np.ones(src.size)
    return (
        np.concatenate([src, dst]),
        np.concatenate([dst, src]),
        np.concatenate([idx, idx]),
        np.concatenate([np.ones(src.size), -np.ones(src.size)]),
    )


# ---------------------------------------------------------------------------------------------
# max flow at one step


@dataclass(frozen=True, eq=False)
class MaxFlowResult:
    """Maximum flow from one node to a set of nodes.

    ``value_bps``: the maximum rate (capacities rounded down to ``resolution_bps``).
    ``flow_bps``: per input edge; for undirected edges signed (positive: ``src -> dst``), for
    directed edges >= 0. ``source_side``: (n_nodes,) bool, the source side of a minimum cut;
    ``cut_capacity_bps``: that cut's capacity with the unrounded capacities (equal to
    ``value_bps`` up to the rounding).
    """

    value_bps: float
    flow_bps: np.ndarray
    source_side: np.ndarray
    cut_capacity_bps: float
    resolution_bps: float


def max_flow_bps(
    n_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    capacity_bps: np.ndarray,
    source: int,
    sinks: int | Sequence[int] | np.ndarray,
    *,
    directed: bool = False,
    resolution_bps: float = 1e3,
) -> MaxFlowResult:
    """Maximum rate from ``source`` to the set ``sinks`` (Dinic via scipy; super-sink).

    Edges are ``src[i] -- dst[i]`` with ``capacity_bps[i]`` (finite, >= 0); undirected by default
    (full duplex: both directions carry the full capacity). Capacities are rounded down to a
    multiple of ``resolution_bps`` (1 kbps default), made coarser if the total could overflow
    scipy's int32 capacities; ``MaxFlowResult.resolution_bps`` says which was used.
    """
    n = _n_nodes(n_nodes)
    s_arr, d_arr, cap = _edges(n, src, dst, capacity_bps)
    source_i, sink_arr = _source_and_sinks(source, sinks, n)
    resolution = _positive_number(resolution_bps, "resolution_bps", allow_zero=False)
    tail, head, edge, sign = _directed_arcs(s_arr, d_arr, directed)
    arc_cap = cap[edge]
    is_sink = np.zeros(n, dtype=bool)
    is_sink[sink_arr] = True
    out_bound = arc_cap[(tail == source_i) & (head != source_i)].sum()
    in_bound = arc_cap[is_sink[head] & ~is_sink[tail]].sum()
    unit = max(resolution, min(out_bound, in_bound) / _FLOW_BOUND_UNITS)
    t = n  # super-sink
    all_tail = np.concatenate([tail, sink_arr])
    all_head = np.concatenate([head, np.full(sink_arr.size, t)])
    units = np.concatenate([_to_units(arc_cap, unit), np.full(sink_arr.size, _INT32_MAX)])
    sol = _max_flow_arcs(n + 1, all_tail, all_head, units, source_i, t)
    arc_flow = sol.arc_flow_units[: tail.size] * unit
    flow = np.bincount(edge, weights=sign * arc_flow, minlength=s_arr.size)
    side = sol.source_side[:n]
    cut = side[tail] & ~side[head]
    return MaxFlowResult(
        value_bps=sol.value_units * unit,
        flow_bps=flow,
        source_side=side,
        cut_capacity_bps=float(arc_cap[cut].sum()),
        resolution_bps=unit,
    )


# ---------------------------------------------------------------------------------------------
# min-cost flow


@dataclass(frozen=True, eq=False)
class MinCostFlowResult:
    """A least-cost routing of ``demand_bps`` from a source to a set of sinks.

    ``flow_bps`` per input edge (signed for undirected edges, positive: ``src -> dst``; zeros
    when infeasible); ``total_cost`` = sum of ``cost * flow_bps`` over arcs (e.g. s*bps for
    cost = delay_s); ``mean_cost`` = total_cost / demand (the flow-weighted mean path cost,
    e.g. mean delay in s). Both are NaN when infeasible. ``status`` is HiGHS's message.
    """

    feasible: bool
    demand_bps: float
    flow_bps: np.ndarray
    total_cost: float
    mean_cost: float
    status: str


def min_cost_flow(
    n_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    capacity_bps: np.ndarray,
    cost: np.ndarray,
    source: int,
    sinks: int | Sequence[int] | np.ndarray,
    demand_bps: float,
    *,
    directed: bool = False,
) -> MinCostFlowResult:
    """Route ``demand_bps`` from ``source`` to any of ``sinks`` at least total cost.

    Linear program on the node-arc incidence matrix (sparse), solved with HiGHS::

        min sum_a cost_a x_a   s.t.  sum_out x - sum_in x = b_v (all v),  0 <= x_a <= cap_a

    with ``b_source = demand``, a super-sink ``T`` (``b_T = -demand``) joined to every sink by a
    free, uncapacitated arc. ``cost`` per edge (finite, >= 0; e.g. ``delay_s``) applies per bps in
    either direction; undirected edges are full duplex. Rates are scaled internally for
    conditioning. Demand above the max flow gives ``feasible=False`` (no exception).
    """
    n = _n_nodes(n_nodes)
    s_arr, d_arr, cap = _edges(n, src, dst, capacity_bps)
    c = _float_array(cost, "cost", s_arr.size)
    source_i, sink_arr = _source_and_sinks(source, sinks, n)
    demand = _positive_number(demand_bps, "demand_bps")
    tail, head, edge, sign = _directed_arcs(s_arr, d_arr, directed)
    n_arcs = tail.size
    if demand == 0:
        return MinCostFlowResult(True, 0.0, np.zeros(s_arr.size), 0.0, 0.0, "zero demand")
    scale = max(demand, float(cap.max(initial=0.0)))
    t = n
    all_tail = np.concatenate([tail, sink_arr])
    all_head = np.concatenate([head, np.full(sink_arr.size, t)])
    m = all_tail.size
    cols = np.arange(m)
    a_eq = sp.csr_array(
        (
            np.concatenate([np.ones(m), -np.ones(m)]),
            (np.concatenate([all_tail, all_head]), np.concatenate([cols, cols])),
        ),
        shape=(n + 1, m),
    )
    b_eq = np.zeros(n + 1)
    b_eq[source_i] = demand / scale
    b_eq[t] = -demand / scale
    cost_all = np.concatenate([c[edge], np.zeros(sink_arr.size)])
    upper = np.concatenate([cap[edge] / scale, np.full(sink_arr.size, np.inf)])
    bounds = np.column_stack([np.zeros(m), upper])
    res = linprog(cost_all, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status == 2:
        return MinCostFlowResult(
            False, demand, np.zeros(s_arr.size), float("nan"), float("nan"), res.message
        )
    if res.status != 0:
        raise RuntimeError(f"HiGHS failed on the min-cost flow LP: {res.message}")
    x = np.clip(res.x[:n_arcs], 0.0, None) * scale
    flow = np.bincount(edge, weights=sign * x, minlength=s_arr.size)
    total = float(np.dot(c[edge], x))
    return MinCostFlowResult(True, demand, flow, total, total / demand, res.message)


# ---------------------------------------------------------------------------------------------
# contact plans


@dataclass(frozen=True, eq=False)
class ContactPlan:
    """Links with piecewise-constant rates over non-overlapping time steps.

    Step ``k`` spans ``[step_start_s[k], step_start_s[k] + step_duration_s[k])`` (seconds on the
    plan's axis; ``epoch`` is its zero when built from datetime windows). Link ``i`` belongs to
    step ``edge_step[i]`` and joins ``src[i]`` and ``dst[i]`` at ``rate_bps[i]`` (both directions,
    full duplex, unless ``directed``). ``delay_s`` is carried for reference (see the module notes:
    delays are assumed small against steps). Build with :meth:`from_steps` or
    :meth:`from_windows`.
    """

    n_nodes: int
    step_start_s: np.ndarray
    step_duration_s: np.ndarray
    edge_step: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    rate_bps: np.ndarray
    delay_s: np.ndarray
    directed: bool = False
    epoch: np.datetime64 | None = None

    def __post_init__(self) -> None:
        n = _n_nodes(self.n_nodes)
        start = np.asarray(self.step_start_s, dtype=np.float64).reshape(-1)
        dur = np.asarray(self.step_duration_s, dtype=np.float64).reshape(-1)
        if start.shape != dur.shape:
            raise InputError(
                f"{start.size} step starts, {dur.size} durations",
                field="step_duration_s",
                expected="one duration per step",
            )
        if not (np.all(np.isfinite(start)) and np.all(np.isfinite(dur)) and np.all(dur > 0)):
            raise InputError(
                "non-finite step start or non-positive duration",
                field="step_duration_s",
                expected="finite starts and durations > 0 s",
            )
        end = start + dur
        if np.any(start[1:] < end[:-1] - 1e-9 * np.maximum(1.0, np.abs(end[:-1]))):
            k = int(np.flatnonzero(start[1:] < end[:-1])[0])
            raise InputError(
                f"step {k + 1} starts at {start[k + 1]} s before step {k} ends at {end[k]} s",
                field="step_start_s",
                expected="steps in time order, not overlapping",
            )
        step = _node_index_array(self.edge_step, max(start.size, 1), "edge_step", "step")
        if start.size == 0 and step.size:
            raise InputError("links but no steps", field="edge_step", expected="no links")
        s_arr, d_arr, rate = _edges(n, self.src, self.dst, self.rate_bps)
        if step.size != s_arr.size:
            raise InputError(
                f"{step.size} edge steps for {s_arr.size} links",
                field="edge_step",
                expected="one step index per link",
            )
        delay = _float_array(
            np.zeros(s_arr.size) if self.delay_s is None else self.delay_s, "delay_s", s_arr.size
        )
        for name, arr in (
            ("n_nodes", n),
            ("step_start_s", start),
            ("step_duration_s", dur),
            ("edge_step", step),
            ("src", s_arr),
            ("dst", d_arr),
            ("rate_bps", rate),
            ("delay_s", delay),
            ("directed", bool(self.directed)),
        ):
            if isinstance(arr, np.ndarray):
                arr.setflags(write=False)
            object.__setattr__(self, name, arr)

    @property
    def n_steps(self) -> int:
        return int(self.step_start_s.size)

    @property
    def step_end_s(self) -> np.ndarray:
        return self.step_start_s + self.step_duration_s

    def links(self) -> Table:
        """The links as a table: step, start_s, end_s, src, dst, rate_bps, delay_s."""
        return Table(
            {
                "step": self.edge_step,
                "start_s": self.step_start_s[self.edge_step],
                "end_s": self.step_end_s[self.edge_step],
                "src": self.src,
                "dst": self.dst,
                "rate_bps": self.rate_bps,
                "delay_s": self.delay_s,
            }
        )

    @classmethod
    def from_topology(cls, topology, *, step_s: float | None = None) -> ContactPlan:
        """A plan from a :class:`~spacecompute.network.topology.Topology` (one graph per step).

        Step k's links hold from ``times[k]`` for ``step_s`` seconds (default: the spacing of the
        topology's times); nodes are the topology's, satellites first, then ground stations.
        The plan's epoch is ``times[0]``.
        """
        times = np.asarray(topology.times, dtype="datetime64[ns]")
        start_s = (times - times[0]).astype(np.int64) / 1e9
        if step_s is None:
            if start_s.size < 2:
                raise InputError(
                    "a one-step topology has no step length",
                    field="step_s",
                    expected="step_s for a topology of one step",
                )
            step_s = float(np.median(np.diff(start_s)))
        edges = [
            {"src": g.src, "dst": g.dst, "capacity_bps": g.capacity_bps, "delay_s": g.delay_s}
            for g in topology
        ]
        n_nodes = int(topology.n_satellites + topology.n_ground)
        plan = cls.from_steps(n_nodes, start_s, np.full(start_s.size, float(step_s)), edges)
        return replace(plan, epoch=times[0])

    @classmethod
    def from_steps(
        cls,
        n_nodes: int,
        step_start_s: Sequence[float] | np.ndarray,
        step_duration_s: Sequence[float] | np.ndarray,
        step_edges: Sequence[Mapping[str, object]],
        *,
        directed: bool = False,
    ) -> ContactPlan:
        """A plan from per-step edge arrays.

        ``step_edges[k]`` is a mapping (a :class:`~spacecompute.table.Table` or dict) with
        ``src``, ``dst``, ``capacity_bps`` (or ``rate_bps``) and optionally ``delay_s`` for step
        ``k``; the links are constant over ``[step_start_s[k], step_start_s[k] +
        step_duration_s[k])``.
        """
        start = np.asarray(step_start_s, dtype=np.float64).reshape(-1)
        if len(step_edges) != start.size:
            raise InputError(
                f"{len(step_edges)} edge sets for {start.size} steps",
                field="step_edges",
                expected="one edge set per step",
            )
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("step", "src", "dst", "rate", "d")}
        for k, edges in enumerate(step_edges):
            rate_key = "capacity_bps" if "capacity_bps" in edges else "rate_bps"
            for key in ("src", "dst", rate_key):
                if key not in edges:
                    raise InputError(
                        f"key {key!r} missing",
                        field=f"step_edges[{k}]",
                        expected="src, dst, capacity_bps (and optionally delay_s)",
                    )
            s_k = np.asarray(edges["src"]).reshape(-1)
            d_k = np.asarray(edges["dst"]).reshape(-1)
            if s_k.size == 0 and d_k.size == 0:  # an empty step: keep integer dtypes
                s_k, d_k = s_k.astype(np.int64), d_k.astype(np.int64)
            parts["step"].append(np.full(s_k.size, k, dtype=np.int64))
            parts["src"].append(s_k)
            parts["dst"].append(d_k)
            parts["rate"].append(np.asarray(edges[rate_key], dtype=np.float64).reshape(-1))
            delay = edges["delay_s"] if "delay_s" in edges else np.zeros(s_k.size)
            parts["d"].append(np.broadcast_to(np.asarray(delay, dtype=np.float64), s_k.shape))
        cat = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64) for k, v in parts.items()}
        return cls(
            n_nodes=n_nodes,
            step_start_s=start,
            step_duration_s=np.asarray(step_duration_s, dtype=np.float64).reshape(-1),
            edge_step=cat["step"].astype(np.int64),
            src=cat["src"],
            dst=cat["dst"],
            rate_bps=cat["rate"].astype(np.float64),
            delay_s=cat["d"].astype(np.float64),
            directed=directed,
        )

    @classmethod
    def from_windows(
        cls,
        n_nodes: int,
        windows: Mapping[str, object],
        *,
        directed: bool = False,
        epoch: np.datetime64 | str | None = None,
    ) -> ContactPlan:
        """A plan from contact windows: columns ``node_a``, ``node_b``, ``start``, ``end``,
        ``rate_bps`` and optionally ``delay_s`` (one row per window; links ``node_a -- node_b``,
        or ``node_a -> node_b`` when ``directed``).

        ``start``/``end`` are seconds, or datetime64 converted to seconds since ``epoch``
        (default: the earliest start). Steps are the intervals between consecutive window
        boundaries in which at least one window is open.
        """
        for col in ("node_a", "node_b", "start", "end", "rate_bps"):
            if col not in windows:
                raise InputError(
                    f"column {col!r} missing",
                    field="windows",
                    expected="columns node_a, node_b, start, end, rate_bps (delay_s optional)",
                )
        start_raw = np.asarray(windows["start"]).reshape(-1)
        end_raw = np.asarray(windows["end"]).reshape(-1)
        epoch64 = None
        if start_raw.dtype.kind == "M" or end_raw.dtype.kind == "M":
            s_ns = start_raw.astype("datetime64[ns]")
            e_ns = end_raw.astype("datetime64[ns]")
            if epoch is not None:
                epoch64 = np.datetime64(epoch, "ns")
            elif s_ns.size:
                epoch64 = s_ns.min()
            else:
                epoch64 = np.datetime64(0, "ns")
            start = (s_ns - epoch64).astype(np.int64) / 1e9
            end = (e_ns - epoch64).astype(np.int64) / 1e9
        else:
            start = np.asarray(start_raw, dtype=np.float64)
            end = np.asarray(end_raw, dtype=np.float64)
        w = start.size
        if end.size != w or not (np.all(np.isfinite(start)) and np.all(np.isfinite(end))):
            raise InputError(
                "start/end lengths differ or are not finite",
                field="windows",
                expected="finite start and end per window",
            )
        if np.any(end < start):
            i = int(np.flatnonzero(end < start)[0])
            raise InputError(
                f"window {i} ends at {end[i]} s before it starts at {start[i]} s",
                field="windows.end",
                expected="end >= start",
            )
        node_a = np.asarray(windows["node_a"]).reshape(-1)
        node_b = np.asarray(windows["node_b"]).reshape(-1)
        rate = np.asarray(windows["rate_bps"], dtype=np.float64).reshape(-1)
        delay = (
            np.broadcast_to(np.asarray(windows["delay_s"], dtype=np.float64), (w,))
            if "delay_s" in windows
            else np.zeros(w)
        )
        if not (node_a.size == node_b.size == rate.size == w):
            raise InputError(
                "columns differ in length", field="windows", expected="equal-length columns"
            )
        bounds = np.unique(np.concatenate([start, end]))
        i0 = np.searchsorted(bounds, start)
        i1 = np.searchsorted(bounds, end)
        counts = i1 - i0  # number of elementary intervals each window covers (0 if empty)
        rows = np.repeat(np.arange(w), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        interval = i0[rows] + (np.arange(rows.size) - first)
        active, step = np.unique(interval, return_inverse=True)
        plan = cls(
            n_nodes=n_nodes,
            step_start_s=bounds[active] if active.size else np.zeros(0),
            step_duration_s=(bounds[active + 1] - bounds[active]) if active.size else np.zeros(0),
            edge_step=step.astype(np.int64),
            src=node_a[rows],
            dst=node_b[rows],
            rate_bps=rate[rows],
            delay_s=np.asarray(delay)[rows],
            directed=directed,
            epoch=epoch64,
        )
        return plan


# ---------------------------------------------------------------------------------------------
# earliest delivery on the time-expanded graph


@dataclass(frozen=True, eq=False)
class DeliveryResult:
    """Earliest store-and-forward delivery of a volume.

    ``delivery_time_s``: when the last bit arrives (plan time axis, s), ``None`` when the volume
    cannot be delivered within the plan; ``duration_s`` = delivery_time_s - start_s.
    ``delivered_bits``: the volume if deliverable, else the most that can arrive by the plan's
    end (= ``max_deliverable_bits``, computed in both cases). ``schedule``: one feasible
    transfer schedule -- Table with step, start_s, end_s (clipped to ``[start_s,
    delivery_time_s]``), from_node, to_node, bits (net bits over the link in that step).
    ``unit_bits``: the int32 rounding unit of the flow computation (schedule bits are multiples).
    """

    deliverable: bool
    delivery_time_s: float | None
    duration_s: float | None
    volume_bits: float
    delivered_bits: float
    max_deliverable_bits: float
    schedule: Table
    unit_bits: float


@dataclass(frozen=True, eq=False)
class _Expanded:
    n: int  # nodes incl. super-sink T = n - 2 and super-source S0 = n - 1
    tail: np.ndarray
    head: np.ndarray
    cap_bits: np.ndarray  # full-step capacity (inf allowed)
    kind: np.ndarray  # 0 transfer, 1 holdover, 2 to super-sink, 3 from super-source
    layer: np.ndarray
    edge: np.ndarray  # plan link of transfer arcs (-1 otherwise)
    sign: np.ndarray  # +1 src->dst, -1 dst->src
    unit_bits: float


@dataclass(frozen=True, eq=False)
class _Eval:
    value_bits: float  # capacity of the minimum cut found (unrounded capacities)
    a_bits: float  # part of it not scaling with theta
    b_bits: float  # full-step capacity of the cut's transfer arcs in the last step
    arc_flow_bits: np.ndarray
    active: np.ndarray


_TRANSFER, _HOLDOVER, _TO_SINK, _FROM_SOURCE = 0, 1, 2, 3


def _expand(
    plan: ContactPlan,
    keep_steps: np.ndarray,
    eff_dur: np.ndarray,
    source: int,
    sinks: np.ndarray,
    storage: np.ndarray,
    max_arcs: int,
) -> _Expanded:
    n_layers = keep_steps.size
    nn = plan.n_nodes
    layer_of_step = np.full(plan.n_steps, -1, dtype=np.int64)
    layer_of_step[keep_steps] = np.arange(n_layers)
    lk = layer_of_step[plan.edge_step]
    links = np.flatnonzero((lk >= 0) & (plan.rate_bps > 0) & (plan.src != plan.dst))
    mult = 1 if plan.directed else 2
    n_arcs = mult * links.size + (n_layers - 1) * nn + n_layers * sinks.size + 1
    if n_arcs > max_arcs:
        raise InputError(
            f"time-expanded graph too large: {n_layers} steps x {nn} nodes = "
            f"{n_layers * nn:,} node copies, {n_arcs:,} arcs",
            field="plan",
            expected=f"at most {max_arcs:,} arcs (fewer or longer steps, fewer nodes, "
            "or a larger max_arcs)",
        )
    tail, head, edge, sign = _directed_arcs(plan.src[links], plan.dst[links], plan.directed)
    edge = links[edge]
    t_layer = lk[edge]
    t_cap = plan.rate_bps[edge] * eff_dur[t_layer]
    # holdover arcs (v, k) -> (v, k + 1)
    h_layer = np.repeat(np.arange(max(n_layers - 1, 0)), nn)
    h_node = np.tile(np.arange(nn), max(n_layers - 1, 0))
    store = storage.copy()
    store[source] = np.inf
    store[sinks] = np.inf
    # sink arcs (g, k) -> T
    s_layer = np.repeat(np.arange(n_layers), sinks.size)
    s_node = np.tile(sinks, n_layers)
    big_t, big_s = n_layers * nn, n_layers * nn + 1
    tails = np.concatenate(
        [t_layer * nn + tail, h_layer * nn + h_node, s_layer * nn + s_node, [big_s]]
    )
    heads = np.concatenate(
        [t_layer * nn + head, (h_layer + 1) * nn + h_node, np.full(s_node.size, big_t), [source]]
    )
    cap = np.concatenate([t_cap, store[h_node], np.full(s_node.size, np.inf), [np.inf]])
    kind = np.concatenate(
        [
            np.full(t_cap.size, _TRANSFER),
            np.full(h_node.size, _HOLDOVER),
            np.full(s_node.size, _TO_SINK),
            [_FROM_SOURCE],
        ]
    ).astype(np.int8)
    layer = np.concatenate([t_layer, h_layer, s_layer, [0]]).astype(np.int64)
    edges = np.concatenate([edge, np.full(cap.size - edge.size, -1)]).astype(np.int64)
    signs = np.concatenate([sign, np.ones(cap.size - sign.size)])
    # rounding unit: no flow can exceed what leaves the source's copies
    bound = float(t_cap[tail == source].sum())
    unit = bound / _FLOW_BOUND_UNITS if bound > 0 else 1.0
    return _Expanded(n_layers * nn + 2, tails, heads, cap, kind, layer, edges, signs, unit)


def _evaluate(x: _Expanded, m: int, theta: float, supply_bits: float = np.inf) -> _Eval:
    """Max flow using steps 0..m-1 fully and step m for a fraction ``theta`` of its length."""
    last = (x.kind == _TRANSFER) & (x.layer == m)
    active = np.where(x.kind == _HOLDOVER, x.layer < m, x.layer <= m)
    cap = x.cap_bits.copy()
    cap[last] *= theta  # transfer arcs are finite
    cap = np.where(x.kind == _FROM_SOURCE, supply_bits, cap)
    units = np.where(active, _to_units(cap, x.unit_bits), 0)
    big_t, big_s = x.n - 2, x.n - 1
    sol = _max_flow_arcs(x.n, x.tail, x.head, units, big_s, big_t)
    side = sol.source_side
    cut = active & side[x.tail] & ~side[x.head]
    a = float(cap[cut & ~last].sum())
    b = float(x.cap_bits[cut & last].sum())
    return _Eval(a + b * theta, a, b, sol.arc_flow_units * x.unit_bits, active)


def _schedule(
    plan: ContactPlan,
    x: _Expanded,
    ev: _Eval,
    keep_steps: np.ndarray,
    eff_start: np.ndarray,
    eff_end: np.ndarray,
) -> Table:
    transfer = x.kind == _TRANSFER
    net = np.bincount(
        x.edge[transfer],
        weights=(x.sign * ev.arc_flow_bits)[transfer],
        minlength=plan.src.size,
    )
    used = np.flatnonzero(np.abs(net) > 0.5 * x.unit_bits)
    layer_of_step = np.full(plan.n_steps, -1, dtype=np.int64)
    layer_of_step[keep_steps] = np.arange(keep_steps.size)
    lay = layer_of_step[plan.edge_step[used]]
    fwd = net[used] > 0
    table = Table(
        {
            "step": plan.edge_step[used],
            "start_s": eff_start[lay],
            "end_s": eff_end[lay],
            "from_node": np.where(fwd, plan.src[used], plan.dst[used]),
            "to_node": np.where(fwd, plan.dst[used], plan.src[used]),
            "bits": np.abs(net[used]),
        }
    )
    return table.sort("step", "from_node", "to_node")


def earliest_delivery(
    plan: ContactPlan,
    volume_bits: float,
    source: int,
    sinks: int | Sequence[int] | np.ndarray,
    start_s: float = 0.0,
    *,
    storage_bits: float | np.ndarray = np.inf,
    max_arcs: int = 5_000_000,
) -> DeliveryResult:
    """Earliest time at which ``volume_bits``, available at ``source`` from ``start_s``, have
    all reached the set ``sinks`` by store-and-forward over the ``plan``.

    ``storage_bits``: what each node can hold between steps (scalar or per node; infinite by
    default; never applied to the source or the sinks). Data arriving at any sink counts as
    delivered. Method, exactness and complexity: see the module docstring (time-expanded graph,
    binary search over steps, Newton's method on the parametric cut in the last step).
    """
    if not isinstance(plan, ContactPlan):
        raise InputError(f"got {type(plan).__name__}", field="plan", expected="a ContactPlan")
    volume = _positive_number(volume_bits, "volume_bits")
    source_i, sink_arr = _source_and_sinks(source, sinks, plan.n_nodes)
    t0 = float(start_s)
    if not np.isfinite(t0):
        raise InputError(f"got {start_s!r}", field="start_s", expected="a finite time in s")
    storage = _float_array(storage_bits, "storage_bits", plan.n_nodes, allow_inf=True)
    max_arcs_i = _int_scalar(max_arcs, "max_arcs", 1, None, "an integer >= 1")
    empty = Table(
        {
            "step": np.zeros(0, np.int64),
            "start_s": np.zeros(0),
            "end_s": np.zeros(0),
            "from_node": np.zeros(0, np.int64),
            "to_node": np.zeros(0, np.int64),
            "bits": np.zeros(0),
        }
    )
    if volume == 0:
        return DeliveryResult(True, t0, 0.0, 0.0, 0.0, 0.0, empty, 1.0)
    keep = np.flatnonzero(plan.step_end_s > t0)
    if keep.size == 0:
        return DeliveryResult(False, None, None, volume, 0.0, 0.0, empty, 1.0)
    eff_start = np.maximum(plan.step_start_s[keep], t0)
    eff_end = plan.step_end_s[keep]
    eff_dur = eff_end - eff_start
    x = _expand(plan, keep, eff_dur, source_i, sink_arr, storage, max_arcs_i)
    n_layers = keep.size
    target = volume * (1.0 - _RTOL)

    full = _evaluate(x, n_layers - 1, 1.0)
    if full.value_bits < target:
        sched = _schedule(plan, x, full, keep, eff_start, eff_end)
        return DeliveryResult(
            False, None, None, volume, full.value_bits, full.value_bits, sched, x.unit_bits
        )
    # binary search: first step m with F(m) >= volume (F(n_layers - 1) is)
    lo, hi = -1, n_layers - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _evaluate(x, mid, 1.0).value_bits >= target:
            hi = mid
        else:
            lo = mid
    m = hi
    # Newton's method on the concave, piecewise-linear F(theta) within step m, from below
    theta = 0.0
    ev = _evaluate(x, m, theta)
    for _ in range(64):
        if ev.value_bits >= target:
            break
        if ev.b_bits <= 0:  # cannot happen in exact arithmetic; stay safe: end of step
            theta = 1.0
            break
        theta = min(max((volume - ev.a_bits) / ev.b_bits, theta), 1.0)
        ev = _evaluate(x, m, theta)
    else:
        theta = 1.0
    t_deliver = float(eff_start[m] + theta * eff_dur[m])
    final = _evaluate(x, m, theta, supply_bits=volume)
    end = eff_end.copy()
    end[m] = t_deliver
    sched = _schedule(plan, x, final, keep, eff_start, end)
    sched = sched.take(np.flatnonzero(sched["step"] <= keep[m]))
    return DeliveryResult(
        True, t_deliver, t_deliver - t0, volume, volume, full.value_bits, sched, x.unit_bits
    )


__all__ = [
    "ContactPlan",
    "DeliveryResult",
    "MaxFlowResult",
    "MinCostFlowResult",
    "earliest_delivery",
    "max_flow_bps",
    "min_cost_flow",
]
