"""Network topology: +Grid pairs, nearest-k, ground links, step graphs.

References used here are independent of the code under test: Walker's phasing formula for the
argument of latitude (Walker 1984), brute-force neighbour searches, the closed-form distance
from a point to a segment, and :func:`spacecompute.astro.access.look_angles` for elevations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacecompute.astro.access import look_angles
from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from spacecompute.astro.constellation import walker
from spacecompute.astro.ground import stations_from_latlon
from spacecompute.errors import InputError
from spacecompute.network.topology import (
    GSL,
    ISL,
    StepGraph,
    TopologyBuilder,
    graph_stats,
    ground_links,
    nearest_k_pairs,
    plus_grid_pairs,
)

START = "2026-03-20T00:00:00Z"
R_GRAZE_M = EARTH_EQUATORIAL_RADIUS_M + 80e3


def _segment_min_radius_m(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Smallest distance from the origin to segments p1-p2 (E, 3): perpendicular distance
    |p1 x p2| / |p2 - p1| when the foot of the perpendicular lies inside, else the nearer end."""
    d = p2 - p1
    cross = np.linalg.norm(np.cross(p1, p2), axis=-1)
    length = np.linalg.norm(d, axis=-1)
    inside = (np.einsum("ij,ij->i", -p1, d) > 0) & (np.einsum("ij,ij->i", p2, d) > 0)
    ends = np.minimum(np.linalg.norm(p1, axis=-1), np.linalg.norm(p2, axis=-1))
    return np.where(inside, cross / np.where(length > 0, length, 1.0), ends)


def _random_shell_points(rng, n, alt_lo_m=300e3, alt_hi_m=2000e3) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v * (EARTH_EQUATORIAL_RADIUS_M + rng.uniform(alt_lo_m, alt_hi_m, size=(n, 1)))


# --- +Grid ------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    planes=st.integers(3, 30),
    per_plane=st.integers(3, 30),
    phasing_frac=st.floats(0, 0.999),
)
def test_plus_grid_degree_four_symmetric_and_seam_phasing(planes, per_plane, phasing_frac):
    phasing = int(phasing_frac * planes)
    c = walker(planes * per_plane, planes, phasing, 550, 53)
    pairs = plus_grid_pairs(c, seam="connect")
    n = len(c)
    assert pairs.dtype == np.int64 and pairs.shape[1] == 2
    assert (pairs[:, 0] < pairs[:, 1]).all()  # one row per undirected link, no loops
    assert np.unique(pairs, axis=0).shape[0] == pairs.shape[0]
    degree = np.bincount(pairs.ravel(), minlength=n)
    assert (degree == 4).all()
    assert pairs.shape[0] == 2 * n
    # Walker (1984): slot s of plane p has argument of latitude s 2pi/S + p F 2pi/T. Every
    # inter-plane link, taken from plane p to plane p + 1 (mod P), joins satellites whose
    # arguments of latitude differ by exactly F 2pi/T: the seam link included.
    e = c.elements
    p, u = e.plane.astype(int), (e.arg_perigee_rad + e.mean_anomaly_rad)
    a, b = pairs[:, 0], pairs[:, 1]
    inter = p[a] != p[b]
    fwd = np.where((p[b] - p[a]) % planes == 1, 1, -1)  # orient p -> p + 1
    src = np.where(fwd[inter] == 1, a[inter], b[inter])
    dst = np.where(fwd[inter] == 1, b[inter], a[inter])
    assert ((p[dst] - p[src]) % planes == 1).all()
    expect = phasing * 2 * np.pi / (planes * per_plane)
    wrapped = np.mod(u[dst] - u[src] - expect + np.pi, 2 * np.pi) - np.pi
    assert np.abs(wrapped).max() < 1e-9
    assert np.count_nonzero(inter) == n  # P planes x S slots inter-plane links, seam included


def test_plus_grid_seam_cut_and_star_default():
    c = walker(12 * 5, 12, 1, 550, 53)
    cut = plus_grid_pairs(c, seam="cut")
    deg = np.bincount(cut.ravel(), minlength=len(c))
    plane = c.elements.plane
    assert (deg[(plane == 0) | (plane == 11)] == 3).all()
    assert (deg[(plane > 0) & (plane < 11)] == 4).all()
    star = walker(6 * 8, 6, 0, 780, 86.4, kind="star")  # Iridium-like star: seam cut by default
    deg_star = np.bincount(plus_grid_pairs(star).ravel(), minlength=len(star))
    assert deg_star.min() == 3 and deg_star.max() == 4
    with pytest.raises(InputError):
        plus_grid_pairs(c, seam="zip")


def test_plus_grid_from_element_set_infers_phasing():
    c = walker(10 * 7, 10, 3, 600, 60)
    from_const = plus_grid_pairs(c)
    from_elements = plus_grid_pairs(c.elements)
    assert np.array_equal(from_const, from_elements)


# --- nearest-k --------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(5, 120), k=st.integers(1, 5))
def test_nearest_k_respects_k_range_and_line_of_sight(seed, n, k):
    rng = np.random.default_rng(seed)
    r = _random_shell_points(rng, n)
    max_range = float(rng.uniform(1e6, 2e7))
    for rule in ("greedy", "mutual"):
        pairs = nearest_k_pairs(r, k, max_range, rule=rule)
        if pairs.size == 0:
            continue
        assert (pairs[:, 0] < pairs[:, 1]).all()
        assert np.unique(pairs, axis=0).shape[0] == pairs.shape[0]
        assert np.bincount(pairs.ravel(), minlength=n).max() <= k
        length = np.linalg.norm(r[pairs[:, 0]] - r[pairs[:, 1]], axis=1)
        assert (length <= max_range * (1 + 1e-12)).all()
        assert (_segment_min_radius_m(r[pairs[:, 0]], r[pairs[:, 1]]) > R_GRAZE_M - 1e-6).all()


def test_nearest_k_mutual_matches_brute_force_and_greedy_is_maximal():
    rng = np.random.default_rng(7)
    n, k = 150, 3
    r = _random_shell_points(rng, n, 540e3, 560e3)
    d = np.linalg.norm(r[:, None] - r[None], axis=-1)
    i, j = np.triu_indices(n, 1)
    los = np.zeros((n, n), dtype=bool)
    los[i, j] = los[j, i] = _segment_min_radius_m(r[i], r[j]) > R_GRAZE_M
    d_masked = np.where(los, d, np.inf)
    np.fill_diagonal(d_masked, np.inf)
    order = np.argsort(d_masked, axis=1)[:, :k]
    top = np.zeros((n, n), dtype=bool)
    top[np.repeat(np.arange(n), k), order.ravel()] = True
    top &= np.isfinite(d_masked)
    mutual = top & top.T
    brute = {(a, b) for a, b in zip(*np.nonzero(np.triu(mutual)), strict=True)}
    got = {tuple(p) for p in nearest_k_pairs(r, k, rule="mutual").tolist()}
    assert got == brute
    # greedy: every candidate pair left out has an end whose k terminals are all used
    greedy = nearest_k_pairs(r, k, rule="greedy")
    deg = np.bincount(greedy.ravel(), minlength=n)
    chosen = {tuple(p) for p in greedy.tolist()}
    cand = np.argsort(d_masked, axis=1)[:, : 2 * k]
    for a in range(n):
        for b in cand[a]:
            pair = (min(a, b), max(a, b))
            if np.isfinite(d_masked[a, b]) and pair not in chosen:
                assert deg[a] == k or deg[b] == k


# --- ground links -----------------------------------------------------------------------------


def test_ground_links_all_match_look_angles_and_best_respects_antennas():
    c = walker(1584, 72, 1, 550, 53)
    eph = c.propagate(START, 60.0, 30.0)
    gs = stations_from_latlon([48.85, -8.84, 0.0, 78.2], [2.35, 13.23, 0.0, 15.4], 0.0, 25.0)
    r = eph.r_ecef_m[0]
    links = ground_links(r, gs, "all")
    el, _, rng_m = look_angles(r, gs)
    s_ref, n_ref = np.nonzero(el >= 25.0)
    assert np.array_equal(links.station, s_ref) and np.array_equal(links.satellite, n_ref)
    assert np.allclose(links.distance_m, rng_m[s_ref, n_ref], rtol=1e-12)
    assert np.allclose(links.elevation_deg, el[s_ref, n_ref], atol=1e-9)
    ant = np.array([1, 2, 3, 2])
    best = ground_links(r, gs, "best", ant, handover="greedy")
    counts = np.bincount(best.station, minlength=len(gs))
    visible = np.bincount(links.station, minlength=len(gs))
    assert np.array_equal(counts, np.minimum(ant, visible))
    for g in range(len(gs)):  # the highest elevations
        top = np.sort(el[g][el[g] >= 25.0])[::-1][: ant[g]]
        assert np.allclose(np.sort(best.elevation_deg[best.station == g])[::-1], top)
    # sticky: the satellite held at the previous step is kept while it stays visible
    later = eph.r_ecef_m[2]
    first = ground_links(r, gs, "best", 1)
    still = ground_links(later, gs, "best", 1, previous=first.held)
    el2, _, _ = look_angles(later, gs)
    for g in range(len(gs)):
        held = first.held[g, 0]
        if held >= 0 and el2[g, held] >= 25.0:
            assert still.held[g, 0] == held


# --- step graphs ------------------------------------------------------------------------------


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    planes=st.integers(3, 16),
    per_plane=st.integers(3, 16),
    alt_km=st.floats(350, 1500),
    inc_deg=st.floats(20, 100),
    t_s=st.floats(0, 6000),
    isl=st.sampled_from(["auto", "nearest-k"]),
)
def test_graphs_symmetric_and_no_edge_through_the_earth(
    planes, per_plane, alt_km, inc_deg, t_s, isl
):
    c = walker(planes * per_plane, planes, 1, alt_km, inc_deg)
    gs = stations_from_latlon([0.0, 45.0, -60.0], [0.0, 90.0, -120.0], 0.0, 10.0)
    eph = c.propagate(START, t_s, max(t_s, 1.0), method="j2")
    builder = TopologyBuilder(c, gs, isl=isl, k=4)
    g = builder.step(eph.r_ecef_m[-1])
    r = eph.r_ecef_m[-1]
    isl_m = g.kind == ISL
    a, b = g.src[isl_m], g.dst[isl_m]
    assert (_segment_min_radius_m(r[a], r[b]) > R_GRAZE_M - 1e-6).all()
    assert np.allclose(g.distance_m[isl_m], np.linalg.norm(r[a] - r[b], axis=1), rtol=1e-12)
    gsl_m = g.kind == GSL
    el, _, _ = look_angles(r, gs)
    assert (el[g.dst[gsl_m] - len(c), g.src[gsl_m]] >= 10.0 - 1e-9).all()
    mat = g.to_scipy("delay_s")
    assert (mat != mat.T).nnz == 0  # symmetric
    assert mat.shape == (len(c) + len(gs), len(c) + len(gs))
    assert np.allclose(g.delay_s, g.distance_m / 299792458.0)


def test_build_matches_step_by_step_and_stats():
    c = walker(24 * 12, 24, 1, 550, 53)
    gs = stations_from_latlon([10.0, 50.0], [20.0, -3.0], 0.0, 20.0)
    eph = c.propagate(START, 120.0, 60.0)
    topo = TopologyBuilder(c, gs).build(eph)
    assert len(topo) == 3
    b2 = TopologyBuilder(c, gs)
    for t in range(3):
        one = b2.step(eph.r_ecef_m[t])
        assert np.array_equal(topo[t].src, one.src) and np.array_equal(topo[t].dst, one.dst)
        assert np.allclose(topo[t].distance_m, one.distance_m)
    table = topo.to_table()
    assert len(table) == int(topo.step_ptr[-1])
    stats = graph_stats(topo[0])
    assert stats["isl_degree"]["min"] == stats["isl_degree"]["max"] == 4
    assert stats["isl_components"] == 1 and stats["diameter_exact"]
    # +Grid torus of 24 x 12: diameter of the hop graph with a one-slot seam shift is at
    # least the plain torus' P/2 + S/2 - 1 and at most P/2 + S/2 + 1
    assert 12 + 6 - 1 <= stats["diameter_hops"] <= 12 + 6 + 1
    assert stats["isl_capacity_gbps"]["median"] == pytest.approx(100.0)


def test_hand_built_graph_csr_and_degree():
    g = StepGraph(
        3, 1, np.array([0, 1, 0]), np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0]),
        np.array([1.0, 2.0, 3.0]) / 3e8, np.full(3, 1e9), np.array([ISL, ISL, GSL], np.uint8),
    )  # fmt: skip
    assert g.degree().tolist() == [2, 2, 1, 1]
    dense = g.to_scipy("distance_m").toarray()
    assert dense[0, 1] == dense[1, 0] == 1.0 and dense[0, 3] == dense[3, 0] == 3.0
    assert g.edge_index([2, 3, 2], [1, 0, 3]).tolist() == [1, 2, -1]


def test_bad_inputs_raise_input_error():
    c = walker(60, 6, 1, 550, 53)
    with pytest.raises(InputError):
        TopologyBuilder(c, isl="mesh")
    with pytest.raises(InputError):
        TopologyBuilder(c, gsl="some")
    with pytest.raises(InputError):
        nearest_k_pairs(np.zeros((4, 2)), 2)
    with pytest.raises(InputError):
        TopologyBuilder(c).step(np.zeros((5, 3)))
    assert math.isfinite(R_GRAZE_M)


def test_inter_shell_links_join_shells_with_one_extra_terminal():
    c = (
        walker(12 * 8, 12, 1, 550, 53)
        + walker(10 * 10, 10, 1, 650, 70)
        + walker(8 * 8, 8, 1, 800, 40)
    )
    eph = c.propagate(START, method="j2")
    r = eph.r_ecef_m[0]
    plain = TopologyBuilder(c).step(r)
    joined = TopologyBuilder(c, inter_shell=True).step(r)
    assert graph_stats(plain)["isl_components"] == 3
    assert graph_stats(joined)["isl_components"] == 1
    extra = joined.degree(ISL)[: len(c)] - plain.degree(ISL)[: len(c)]
    assert extra.min() >= 0 and extra.max() == 1  # one inter-shell terminal per satellite
    shell = c.elements.shell
    cross = shell[joined.src] != shell[joined.dst]
    assert (np.abs(shell[joined.src[cross]] - shell[joined.dst[cross]]) == 1).all()
    assert (_segment_min_radius_m(r[joined.src], r[joined.dst]) > R_GRAZE_M).all()


def test_capacity_from_a_callable_of_distance():
    c = walker(10 * 8, 10, 1, 700, 60)
    r = c.propagate(START, method="j2").r_ecef_m[0]
    g = TopologyBuilder(c, isl_rate_bps=lambda d: 1e12 * (1e6 / d) ** 2).step(r)
    assert np.allclose(g.capacity_bps, 1e12 * (1e6 / g.distance_m) ** 2, rtol=1e-12)
    with pytest.raises(InputError):
        TopologyBuilder(c, isl_rate_bps=lambda d: -d).step(r)
