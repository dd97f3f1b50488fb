"""Bulk-data delivery: max flow, min-cost flow and store-and-forward contact plans.

References are independent of the module: hand-computed answers, brute-force enumeration of
s-t cuts, and a time-expanded linear program built here from the windows and solved with HiGHS.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from spacecompute.errors import InputError
from spacecompute.network.delivery import (
    ContactPlan,
    earliest_delivery,
    max_flow_bps,
    min_cost_flow,
)

MBPS = 1e6
GBPS = 1e9
GBIT = 1e9


def windows(rows: list[tuple[int, int, float, float, float]]) -> dict[str, np.ndarray]:
    """Windows table from (node_a, node_b, start_s, end_s, rate_bps) rows."""
    a, b, s, e, r = (np.array(c) for c in zip(*rows, strict=True))
    return {
        "node_a": a.astype(np.int64),
        "node_b": b.astype(np.int64),
        "start": s.astype(float),
        "end": e.astype(float),
        "rate_bps": r.astype(float),
    }


# ---------------------------------------------------------------------------------------------
# contact plans: hand-built cases


def test_single_contact_delivers_at_rate():
    # 30 Gbit over a 100 Mbps contact opening at 600 s: 300 s of transfer -> 900 s
    plan = ContactPlan.from_windows(2, windows([(0, 1, 600, 1200, 100 * MBPS)]))
    r = earliest_delivery(plan, 30 * GBIT, source=0, sinks=[1])
    assert r.deliverable
    assert r.delivery_time_s == pytest.approx(900.0, rel=1e-9)
    assert r.duration_s == pytest.approx(900.0, rel=1e-9)
    assert r.delivered_bits == 30 * GBIT
    assert r.max_deliverable_bits == pytest.approx(60 * GBIT, rel=1e-9)
    assert len(r.schedule) == 1
    row = next(r.schedule.rows())
    assert (row["from_node"], row["to_node"]) == (0, 1)
    assert row["start_s"] == 600 and row["end_s"] == pytest.approx(900.0)
    assert row["bits"] == pytest.approx(30 * GBIT, rel=1e-6)


def test_single_contact_start_inside_and_after_window():
    plan = ContactPlan.from_windows(2, windows([(0, 1, 600, 1200, 100 * MBPS)]))
    # data ready at 700 s: 300 s of transfer from then on
    r = earliest_delivery(plan, 30 * GBIT, 0, [1], start_s=700.0)
    assert r.delivery_time_s == pytest.approx(1000.0, rel=1e-9)
    assert r.duration_s == pytest.approx(300.0, rel=1e-9)
    # data ready at 1000 s: only 20 Gbit fit before the window closes
    r = earliest_delivery(plan, 30 * GBIT, 0, [1], start_s=1000.0)
    assert not r.deliverable and r.delivery_time_s is None
    assert r.max_deliverable_bits == pytest.approx(20 * GBIT, rel=1e-9)
    # after the plan
    r = earliest_delivery(plan, 1.0, 0, [1], start_s=5000.0)
    assert not r.deliverable and r.max_deliverable_bits == 0


def test_same_answer_from_regular_steps():
    # the topology's view: 60 s steps over 0..1800 s, the link present in the steps 600..1200 s
    starts = np.arange(0.0, 1800.0, 60.0)
    steps = [
        {"src": [0], "dst": [1], "capacity_bps": [100 * MBPS], "delay_s": [0.005]}
        if 600 <= t0 < 1200
        else {"src": [], "dst": [], "capacity_bps": []}
        for t0 in starts
    ]
    plan = ContactPlan.from_steps(2, starts, np.full(starts.size, 60.0), steps)
    assert plan.n_steps == 30
    r = earliest_delivery(plan, 30 * GBIT, 0, [1])
    assert r.delivery_time_s == pytest.approx(900.0, rel=1e-9)
    # 5 steps of 60 s carry 6 Gbit each
    assert np.allclose(r.schedule["bits"], 6 * GBIT, rtol=1e-6)
    assert len(r.schedule) == 5


def two_hop_plan() -> ContactPlan:
    # A=0 sees B=1 at 1 Gbps during 0-100 s (100 Gbit); B sees ground G=2 at 200 Mbps, 500-1000 s
    return ContactPlan.from_windows(
        3, windows([(0, 1, 0, 100, 1 * GBPS), (1, 2, 500, 1000, 200 * MBPS)])
    )


def test_two_hop_store_and_forward():
    plan = two_hop_plan()
    r = earliest_delivery(plan, 50 * GBIT, 0, [2])
    # B holds the data from 100 s to 500 s, then 50 Gbit / 200 Mbps = 250 s
    assert r.delivery_time_s == pytest.approx(750.0, rel=1e-9)
    sched = r.schedule
    assert list(sched["from_node"]) == [0, 1]
    assert list(sched["to_node"]) == [1, 2]
    assert np.allclose(sched["bits"], 50 * GBIT, rtol=1e-6)
    # exactly the ISL window's volume: the ground window's end
    r = earliest_delivery(plan, 100 * GBIT, 0, [2])
    assert r.deliverable and r.delivery_time_s == pytest.approx(1000.0, rel=1e-9)


def test_two_hop_volume_too_big():
    r = earliest_delivery(two_hop_plan(), 120 * GBIT, 0, [2])
    assert not r.deliverable
    assert r.delivery_time_s is None and r.duration_s is None
    assert r.max_deliverable_bits == pytest.approx(100 * GBIT, rel=1e-9)
    assert r.delivered_bits == pytest.approx(100 * GBIT, rel=1e-9)


def test_parallel_ground_contacts_add_rates():
    # satellite 0 sees G1=1 at 100 Mbps and G2=2 at 50 Mbps during 0-1000 s
    plan = ContactPlan.from_windows(
        3, windows([(0, 1, 0, 1000, 100 * MBPS), (0, 2, 0, 1000, 50 * MBPS)])
    )
    # to either station: 150 Mbps -> 30 Gbit in 200 s
    r = earliest_delivery(plan, 30 * GBIT, 0, [1, 2])
    assert r.delivery_time_s == pytest.approx(200.0, rel=1e-9)
    # to G1 only: 300 s (G2 does not relay)
    r = earliest_delivery(plan, 30 * GBIT, 0, [1])
    assert r.delivery_time_s == pytest.approx(300.0, rel=1e-9)


def test_storage_cap_makes_path_infeasible():
    plan = two_hop_plan()
    # B must hold all 50 Gbit from 100 s to 500 s: a 40 Gbit store is not enough
    r = earliest_delivery(plan, 50 * GBIT, 0, [2], storage_bits=40 * GBIT)
    assert not r.deliverable
    assert r.max_deliverable_bits == pytest.approx(40 * GBIT, rel=1e-9)
    # 60 Gbit is; a per-node array with the cap on B only
    r = earliest_delivery(plan, 50 * GBIT, 0, [2], storage_bits=np.array([0.0, 60 * GBIT, 0.0]))
    assert r.delivery_time_s == pytest.approx(750.0, rel=1e-9)


def test_relay_running_dry_within_a_step():
    # A=0 -> B=1 at 1 Gbps during 0-10 s (B gets 10 Gbit). During 100-200 s A -> G=2 at
    # 100 Mbps and B -> G at 200 Mbps: 300 Mbps until B is empty at 150 s (15 Gbit delivered),
    # then 100 Mbps. 18 Gbit: 150 + 3 Gbit / 100 Mbps = 180 s (interpolating linearly over the
    # step would say 190 s).
    plan = ContactPlan.from_windows(
        3,
        windows(
            [(0, 1, 0, 10, 1 * GBPS), (0, 2, 100, 200, 100 * MBPS), (1, 2, 100, 200, 200 * MBPS)]
        ),
    )
    r = earliest_delivery(plan, 18 * GBIT, 0, [2])
    assert r.delivery_time_s == pytest.approx(180.0, rel=1e-9)
    r = earliest_delivery(plan, 12 * GBIT, 0, [2])
    assert r.delivery_time_s == pytest.approx(140.0, rel=1e-9)


def test_directed_links_carry_one_way_only():
    rows = windows([(1, 0, 0, 100, 1 * GBPS)])
    assert not earliest_delivery(
        ContactPlan.from_windows(2, rows, directed=True), 1.0, 0, [1]
    ).deliverable
    r = earliest_delivery(ContactPlan.from_windows(2, rows), 10 * GBIT, 0, [1])
    assert r.delivery_time_s == pytest.approx(10.0, rel=1e-9)


def test_windows_with_datetimes():
    epoch = np.datetime64("2030-01-01T00:00:00", "ns")
    table = windows([(0, 1, 600, 1200, 100 * MBPS)])
    table["start"] = epoch + (table["start"] * 1e9).astype("timedelta64[ns]")
    table["end"] = epoch + (table["end"] * 1e9).astype("timedelta64[ns]")
    plan = ContactPlan.from_windows(2, table, epoch=epoch)
    assert plan.epoch == epoch
    r = earliest_delivery(plan, 30 * GBIT, 0, [1])
    assert r.delivery_time_s == pytest.approx(900.0, rel=1e-9)
    # default epoch: the first window's start
    plan = ContactPlan.from_windows(2, table)
    assert earliest_delivery(plan, 30 * GBIT, 0, [1]).delivery_time_s == pytest.approx(300.0)


def test_size_guard_names_the_size():
    with pytest.raises(InputError, match="too large"):
        earliest_delivery(two_hop_plan(), 1.0, 0, [2], max_arcs=5)


def test_bad_plan_and_delivery_input():
    with pytest.raises(InputError, match="sinks"):
        earliest_delivery(two_hop_plan(), 1.0, 0, [0, 2])
    with pytest.raises(InputError, match="volume_bits"):
        earliest_delivery(two_hop_plan(), -1.0, 0, [2])
    with pytest.raises(InputError, match="storage_bits"):
        earliest_delivery(two_hop_plan(), 1.0, 0, [2], storage_bits=[1.0, 2.0])
    with pytest.raises(InputError, match="dst"):
        ContactPlan.from_windows(2, windows([(0, 5, 0, 10, 1.0)]))
    with pytest.raises(InputError, match=r"windows\.end"):
        ContactPlan.from_windows(2, windows([(0, 1, 10, 0, 1.0)]))
    with pytest.raises(InputError, match="step_start_s"):
        ContactPlan.from_steps(
            2, [0.0, 5.0], [10.0, 10.0], [{"src": [0], "dst": [1], "capacity_bps": [1.0]}] * 2
        )


# ---------------------------------------------------------------------------------------------
# contact plans against a time-expanded LP built here


def lp_deliverable_bits(
    n: int, rows: list[tuple[int, int, float, float, float]], sink: int, until_s: float, storage
) -> float:
    """Most bits from node 0 to ``sink`` by ``until_s``: an LP over elementary intervals."""
    cut = [(a, b, s, min(e, until_s), r) for a, b, s, e, r in rows if min(e, until_s) > s]
    bounds = sorted({t for _, _, s, e, _ in cut for t in (s, e)})
    intervals = list(itertools.pairwise(bounds))
    k_n = len(intervals)
    arcs = []  # (tail, head, capacity)
    for k, (t0, t1) in enumerate(intervals):
        for a, b, s, e, r in cut:
            if s <= t0 and t1 <= e:
                arcs += [
                    (k * n + a, k * n + b, r * (t1 - t0)),
                    (k * n + b, k * n + a, r * (t1 - t0)),
                ]
        for v in range(n):
            if k + 1 < k_n:
                cap = np.inf if v in (0, sink) else storage
                arcs.append((k * n + v, (k + 1) * n + v, cap))
    if not arcs:
        return 0.0
    t_node, s_node = k_n * n, k_n * n + 1
    arcs += [(k * n + sink, t_node, np.inf) for k in range(k_n)]
    arcs.append((s_node, 0, np.inf))
    n_total = k_n * n + 2
    a_eq = np.zeros((n_total, len(arcs)))
    for j, (u, v, _) in enumerate(arcs):
        a_eq[u, j] += 1
        a_eq[v, j] -= 1
    keep = [i for i in range(n_total) if i not in (t_node, s_node)]
    c = np.zeros(len(arcs))
    c[-1] = -1.0  # maximise the super-source's outflow
    scale = 1e9
    res = linprog(
        c,
        A_eq=a_eq[keep],
        b_eq=np.zeros(len(keep)),
        bounds=[(0, cap / scale) for _, _, cap in arcs],
        method="highs",
    )
    assert res.status == 0
    return -res.fun * scale


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 3),
            st.integers(0, 3),
            st.integers(0, 20),
            st.integers(1, 20),
            st.sampled_from([100 * MBPS, 200 * MBPS, 1 * GBPS]),
        ),
        min_size=1,
        max_size=6,
    ),
    frac=st.floats(0.05, 1.0),
    storage=st.sampled_from([np.inf, 5 * GBIT]),
)
def test_earliest_delivery_matches_time_expanded_lp(rows, frac, storage):
    # windows of 10 s granularity; node 0 sends to node 3
    rows = [(a, b, 10.0 * s, 10.0 * (s + d), r) for a, b, s, d, r in rows if a != b]
    if not rows:
        return
    plan = ContactPlan.from_windows(4, windows(rows))
    full = lp_deliverable_bits(4, rows, 3, np.inf, storage)
    if full <= 1e6:
        assert (
            earliest_delivery(plan, 1e6 + full, 0, [3], storage_bits=storage).deliverable is False
        )
        return
    volume = frac * full
    r = earliest_delivery(plan, volume, 0, [3], storage_bits=storage)
    assert r.max_deliverable_bits == pytest.approx(full, rel=1e-6)
    assert r.deliverable
    t = r.delivery_time_s
    assert lp_deliverable_bits(4, rows, 3, t, storage) == pytest.approx(volume, rel=1e-6)
    # earliest: one second before, less has arrived
    assert lp_deliverable_bits(4, rows, 3, t - 1.0, storage) < volume * (1 - 1e-7)
    # the schedule delivers the volume into the sink
    into = r.schedule["to_node"] == 3
    assert r.schedule["bits"][into].sum() == pytest.approx(volume, rel=1e-6)


# ---------------------------------------------------------------------------------------------
# max flow


def brute_force_min_cut(n, src, dst, cap, source, sinks, directed) -> float:
    others = [v for v in range(n) if v != source and v not in sinks]
    best = np.inf
    for k in range(len(others) + 1):
        for extra in itertools.combinations(others, k):
            side = np.zeros(n, dtype=bool)
            side[[source, *extra]] = True
            value = cap[side[src] & ~side[dst]].sum()
            if not directed:
                value += cap[side[dst] & ~side[src]].sum()
            best = min(best, value)
    return float(best)


def test_max_flow_hand_built():
    # s=0, a=1, b=2, t=3 (classic): 0->1 10, 0->2 5, 1->2 15, 1->3 5, 2->3 10 (Mbps)
    # min cuts {0} | rest and {0,1,2} | {3}: both 15 Mbps; the residual graph finds {0}
    src = np.array([0, 0, 1, 1, 2])
    dst = np.array([1, 2, 2, 3, 3])
    cap = np.array([10, 5, 15, 5, 10]) * MBPS
    r = max_flow_bps(4, src, dst, cap, 0, [3], directed=True)
    assert r.value_bps == 15 * MBPS
    assert r.cut_capacity_bps == 15 * MBPS
    assert list(r.source_side) == [True, False, False, False]
    assert np.all(r.flow_bps >= 0) and np.all(r.flow_bps <= cap)
    # sink 2 alone: cut {0} = 15 Mbps beats {0,1,3} = 5 + 15 = 20 Mbps; sinks {2, 3}: 15 Mbps
    assert max_flow_bps(4, src, dst, cap, 0, [2], directed=True).value_bps == 15 * MBPS
    assert max_flow_bps(4, src, dst, cap, 0, [2, 3], directed=True).value_bps == 15 * MBPS


def test_max_flow_undirected_full_duplex_and_signs():
    # path 0 - 1 - 2 given "backwards": flow runs dst -> src, reported negative
    r = max_flow_bps(3, [1, 2], [0, 1], [3 * GBPS, 2 * GBPS], 0, 2)
    assert r.value_bps == 2 * GBPS
    assert np.allclose(r.flow_bps, [-2 * GBPS, -2 * GBPS])
    # two parallel links share in proportion to capacity
    r = max_flow_bps(2, [0, 0], [1, 1], [1 * GBPS, 3 * GBPS], 0, [1])
    assert r.value_bps == 4 * GBPS
    assert np.allclose(r.flow_bps, [1 * GBPS, 3 * GBPS])


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 7),
    data=st.data(),
    directed=st.booleans(),
)
def test_max_flow_equals_brute_force_min_cut(n, data, directed):
    m = data.draw(st.integers(0, 14))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    dst = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    cap = np.array(data.draw(st.lists(st.integers(0, 50), min_size=m, max_size=m))) * 1e3 * 1e3
    sinks = data.draw(st.sets(st.integers(1, n - 1), min_size=1, max_size=max(1, n - 2)))
    sinks = sorted(sinks)
    r = max_flow_bps(n, src, dst, cap, 0, sinks, directed=directed)
    expected = brute_force_min_cut(n, src, dst, cap, 0, sinks, directed)
    assert r.value_bps == pytest.approx(expected, rel=1e-12, abs=1e-6)
    assert r.cut_capacity_bps == pytest.approx(expected, rel=1e-12, abs=1e-6)
    # a valid flow: within capacity, conserved at inner nodes, value = net out of the source
    assert np.all(np.abs(r.flow_bps) <= cap + 1e-6)
    if directed:
        assert np.all(r.flow_bps >= -1e-9)
    net_out = np.bincount(src, r.flow_bps, n) - np.bincount(dst, r.flow_bps, n)
    inner = np.ones(n, dtype=bool)
    inner[[0, *sinks]] = False
    assert np.allclose(net_out[inner], 0.0, atol=1e-3)
    assert net_out[0] == pytest.approx(r.value_bps, abs=1e-3)


def test_max_flow_bad_input():
    with pytest.raises(InputError, match="capacity_bps"):
        max_flow_bps(2, [0], [1], [-1.0], 0, [1])
    with pytest.raises(InputError, match="src"):
        max_flow_bps(2, [0, 2], [1, 1], [1.0, 1.0], 0, [1])
    with pytest.raises(InputError, match="sinks"):
        max_flow_bps(2, [0], [1], [1.0], 0, [])


# ---------------------------------------------------------------------------------------------
# min-cost flow


def two_path_graph():
    # 0 -> 1 -> 3: 100 Mbps, 10 ms + 10 ms; 0 -> 2 -> 3: 200 Mbps, 50 ms + 50 ms
    src = np.array([0, 1, 0, 2])
    dst = np.array([1, 3, 2, 3])
    cap = np.array([100, 100, 200, 200]) * MBPS
    delay = np.array([0.01, 0.01, 0.05, 0.05])
    return src, dst, cap, delay


def test_min_cost_flow_fills_the_fast_path_first():
    src, dst, cap, delay = two_path_graph()
    r = min_cost_flow(4, src, dst, cap, delay, 0, [3], 50 * MBPS)
    assert r.feasible
    assert np.allclose(r.flow_bps, [50 * MBPS, 50 * MBPS, 0, 0], atol=1.0)
    assert r.mean_cost == pytest.approx(0.02, rel=1e-6)
    # 150 Mbps: the fast path saturates at 100, 50 take the slow one
    r = min_cost_flow(4, src, dst, cap, delay, 0, [3], 150 * MBPS)
    assert np.allclose(r.flow_bps, [100 * MBPS, 100 * MBPS, 50 * MBPS, 50 * MBPS], atol=1.0)
    assert r.total_cost == pytest.approx(100e6 * 0.02 + 50e6 * 0.10, rel=1e-6)
    assert r.mean_cost == pytest.approx(7e6 / 150e6, rel=1e-6)


def test_min_cost_flow_infeasible_and_multi_sink():
    src, dst, cap, delay = two_path_graph()
    r = min_cost_flow(4, src, dst, cap, delay, 0, [3], 301 * MBPS)
    assert not r.feasible and np.isnan(r.total_cost)
    assert np.all(r.flow_bps == 0)
    # with 1 and 2 both sinks, the second hops are not needed: cost 10 ms / 50 ms per bit
    r = min_cost_flow(4, src, dst, cap, delay, 0, [1, 2], 150 * MBPS)
    assert np.allclose(r.flow_bps, [100 * MBPS, 0, 50 * MBPS, 0], atol=1.0)
    assert r.total_cost == pytest.approx(100e6 * 0.01 + 50e6 * 0.05, rel=1e-6)


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 6), data=st.data(), directed=st.booleans())
def test_min_cost_flow_feasible_iff_below_max_flow(n, data, directed):
    m = data.draw(st.integers(1, 10))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    dst = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=int)
    cap = np.array(data.draw(st.lists(st.integers(0, 20), min_size=m, max_size=m))) * 1e7
    cost = np.array(data.draw(st.lists(st.floats(0, 1), min_size=m, max_size=m)))
    limit = brute_force_min_cut(n, src, dst, cap, 0, [n - 1], directed)
    if limit == 0:
        return
    for demand, feasible in ((0.9 * limit, True), (limit * 1.01 + 1e3, False)):
        r = min_cost_flow(n, src, dst, cap, cost, 0, [n - 1], demand, directed=directed)
        assert r.feasible is feasible
        if feasible:
            net_out = np.bincount(src, r.flow_bps, n) - np.bincount(dst, r.flow_bps, n)
            assert net_out[0] == pytest.approx(demand, rel=1e-6)
            assert np.all(np.abs(r.flow_bps) <= cap * (1 + 1e-6) + 1.0)


def test_contact_plan_from_topology_matches_the_first_ground_contact():
    """End to end: a real satellite's first contact (found independently by contact_windows)
    bounds when 60 Gbit at 1 Gbit/s can be on the ground."""
    import spacecompute as sc
    from spacecompute.network.delivery import ContactPlan, earliest_delivery
    from spacecompute.network.topology import TopologyBuilder

    c = sc.preset_constellation("threebody").select(name_pattern="SCS-01 A")
    stations = sc.ground_stations(["Svalbard", "TrollSat", "Singapore"])
    eph = c.propagate("2026-03-20T00:00:00Z", duration_s=4 * 3600, step_s=10)
    topo = TopologyBuilder(c, stations, isl="none", gsl_rate_bps=1e9).build(eph)
    plan = ContactPlan.from_topology(topo)
    result = earliest_delivery(plan, 60e9, source=0, sinks=[1, 2, 3])
    windows = sc.contact_windows(eph, stations).sort("start")
    first = windows.take(np.flatnonzero(windows["duration_s"] >= 80))["start"][0]
    first_s = (first - eph.times[0]).astype(np.int64) / 1e9
    assert result.deliverable
    # links hold for whole 10 s steps: within a step of the first contact plus 60 s
    assert abs(result.delivery_time_s - (first_s + 60.0)) <= 10.0 + 1e-6
    assert plan.epoch == eph.times[0]
