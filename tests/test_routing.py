"""Routing: shortest paths against scipy and a hand-built graph, RTT bounds, Hypatia's
Paris - Luanda figure, and the `rtt` / `topology` commands."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from typer.testing import CliRunner

from spacecompute.astro.constants import SPEED_OF_LIGHT_M_S
from spacecompute.astro.constellation import walker
from spacecompute.astro.frames import geodetic_to_ecef
from spacecompute.astro.ground import city, city_stations
from spacecompute.cli import app
from spacecompute.errors import InputError
from spacecompute.network.routing import ground_point, rtt_series, rtt_summary, shortest_paths
from spacecompute.network.topology import GSL, ISL, StepGraph, TopologyBuilder
from spacecompute.scenario.build import preset_constellation

START = "2026-03-20T00:00:00Z"
runner = CliRunner()


def _graph(n_sat, n_ground, src, dst, w):
    src, dst, w = np.asarray(src), np.asarray(dst), np.asarray(w, dtype=float)
    kind = np.where(np.maximum(src, dst) >= n_sat, GSL, ISL).astype(np.uint8)
    return StepGraph(n_sat, n_ground, src, dst, w * SPEED_OF_LIGHT_M_S, w, np.ones_like(w), kind)


def test_hand_built_graph_known_path_and_ground_relay():
    # satellites 0..4, ground nodes 5 (A), 6 (B), 7 (relay R)
    #   A-0 (1), 0-1 (1), 1-2 (1), 2-B (1)        -> A 0 1 2 B = 4
    #   0-3 (0.5), 3-4 (5), 4-2 (0.5)              -> detour of 6
    #   0-R (0.2), R-2 (0.2)                       -> via the ground relay: A 0 R 2 B = 2.4
    g = _graph(
        5, 3,
        [5, 0, 1, 2, 0, 3, 4, 0, 7],
        [0, 1, 2, 6, 3, 4, 2, 7, 2],
        [1, 1, 1, 1, 0.5, 5, 0.5, 0.2, 0.2],
    )  # fmt: skip
    for method in ("numba", "scipy"):
        sp = shortest_paths(g, [5], method=method)
        assert sp.dist[0, 6] == pytest.approx(4.0)
        assert sp.path(5, 6).tolist() == [5, 0, 1, 2, 6]
        relay = shortest_paths(g, [5], relay_ground=True, method=method)
        assert relay.dist[0, 6] == pytest.approx(2.4)
        assert relay.path(5, 6).tolist() == [5, 0, 7, 2, 6]
        hops = shortest_paths(g, [5], weight="hops", method=method)
        assert hops.dist[0, 6] == 4.0
    with pytest.raises(InputError):
        shortest_paths(g, [99])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_sat=st.integers(2, 60),
    n_ground=st.integers(0, 6),
    density=st.floats(0.02, 0.4),
    relay=st.booleans(),
)
def test_dijkstra_matches_scipy(seed, n_sat, n_ground, density, relay):
    rng = np.random.default_rng(seed)
    n = n_sat + n_ground
    a, b = np.triu_indices(n, 1)
    keep = (rng.random(a.size) < density) & (a < n_sat)  # no ground-ground links
    a, b = a[keep], b[keep]
    w = rng.uniform(1e-4, 1e-2, a.size)
    g = _graph(n_sat, n_ground, a, b, w)
    sources = np.arange(n)
    ours = shortest_paths(g, sources, relay_ground=relay)
    # independent reference: scipy on a directed matrix in which ground nodes forward nothing
    # (relay off), each ground source being run on its own matrix that keeps its out-links
    both_a, both_b, both_w = np.r_[a, b], np.r_[b, a], np.r_[w, w]
    for q, s in enumerate(sources):
        keep_e = (both_a < n_sat) | (both_a == s) if not relay else np.ones(both_a.size, bool)
        mat = csr_matrix((both_w[keep_e], (both_a[keep_e], both_b[keep_e])), shape=(n, n))
        ref = dijkstra(mat, directed=True, indices=int(s))
        assert np.allclose(ours.dist[q], ref, rtol=1e-12, equal_nan=False)
        # every predecessor chain reproduces the distance
        for t in np.flatnonzero(np.isfinite(ref))[:5]:
            path = ours.path(int(s), int(t))
            assert path[0] == s and path[-1] == t
            if not relay:
                assert (path[1:-1] < n_sat).all()
    sc = shortest_paths(g, sources, relay_ground=relay, method="scipy")
    assert np.allclose(ours.dist, sc.dist, rtol=1e-12)


def _rtt_bound_ms(a_ecef, b_ecef, r_sat_min):
    """Great-circle distance and the up and down legs, combined in quadrature (Minkowski):
    L >= sqrt((2 r_sat - |A| - |B|)^2 + (R_low gamma)^2), R_low = min(|A|, |B|) - 100 m."""
    ra, rb = np.linalg.norm(a_ecef), np.linalg.norm(b_ecef)
    gamma = math.acos(np.clip(np.dot(a_ecef, b_ecef) / (ra * rb), -1, 1))
    legs = 2 * r_sat_min - ra - rb
    return 2e3 * math.hypot(legs, (min(ra, rb) - 100.0) * gamma) / SPEED_OF_LIGHT_M_S


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lat_a=st.floats(-60, 60),
    lon_a=st.floats(-180, 180),
    lat_b=st.floats(-60, 60),
    lon_b=st.floats(-180, 180),
    planes=st.integers(8, 24),
    per_plane=st.integers(8, 24),
    alt_km=st.floats(400, 1500),
    inc_deg=st.floats(40, 90),
    relay=st.booleans(),
)
def test_rtt_never_below_great_circle_plus_legs(
    lat_a, lon_a, lat_b, lon_b, planes, per_plane, alt_km, inc_deg, relay
):
    c = walker(planes * per_plane, planes, 1, alt_km, inc_deg)
    relays = city_stations(10, min_elevation_deg=10.0) if relay else None
    tab = rtt_series(
        c, (lat_a, lon_a), (lat_b, lon_b), START, 600.0, 120.0, method="j2",
        min_elevation_deg=10.0, stations=relays, relay_ground=relay,
    )  # fmt: skip
    eph = c.propagate(START, 600.0, 120.0, method="j2")
    r_min = np.linalg.norm(eph.r_ecef_m, axis=-1).min()
    a = geodetic_to_ecef(lat_a, lon_a, 0.0)
    b = geodetic_to_ecef(lat_b, lon_b, 0.0)
    bound = _rtt_bound_ms(a, b, r_min)
    rtt = tab["rtt_ms"]
    ok = np.isfinite(rtt)
    assert (rtt[ok] >= bound - 1e-9).all()
    # the per-step bound reported in the table (lowest satellite of each step) holds too and is
    # at least the bound computed here with the lowest satellite of the whole span
    assert (rtt[ok] >= tab["bound_ms"][ok] - 1e-9).all()
    assert (tab["bound_ms"] >= bound - 1e-9).all()
    assert (rtt[ok] >= 2e3 * np.linalg.norm(a - b) / SPEED_OF_LIGHT_M_S).all()
    assert (tab["hops"][ok] >= 2).all() and (tab["hops"][~ok] == -1).all()


def test_hypatia_paris_luanda_over_starlink_shell1():
    """Kassing et al. (IMC 2020), Hypatia's README: Paris - Luanda over Starlink shell 1
    (72 x 22, 550 km, 53 deg) moves between about 85 and 117 ms. 100 city stations, 200 s at
    1 s, ISLs only (no ground relays), 25 deg user mask."""
    c = preset_constellation("starlink-shell1", epoch=START)
    stations = city_stations(100, min_elevation_deg=25.0)
    tab = rtt_series(c, "Paris", "Luanda", START, 200.0, 1.0, stations=stations)
    s = rtt_summary(tab)
    print(
        f"Paris-Luanda RTT over 200 s: min {s['rtt_min_ms']:.2f} ms, max {s['rtt_max_ms']:.2f} ms"
    )
    assert len(tab) == 201 and s["unreachable_steps"] == 0
    assert 80.0 <= s["rtt_min_ms"] and s["rtt_max_ms"] <= 120.0
    assert 5 <= s["hops_min"] <= s["hops_max"] <= 25
    # the RTT of a step is 2 x the path's length over c, recomputed from positions
    eph = c.propagate(START, 200.0, 50.0)
    ends = {
        "Paris": geodetic_to_ecef(*city("Paris"), 0.0),
        "Luanda": geodetic_to_ecef(*city("Luanda"), 0.0),
    }
    for k in range(eph.n_times):
        row = k * 50
        nodes = tab["path"][row].split(">")
        pts = [ends[x] if x in ends else eph.r_ecef_m[k, int(x[1:])] for x in nodes]
        length = sum(np.linalg.norm(p - q) for p, q in itertools.pairwise(pts))
        assert tab["rtt_ms"][row] == pytest.approx(2e3 * length / SPEED_OF_LIGHT_M_S, rel=1e-9)
        assert tab["hops"][row] == len(nodes) - 1


def test_ground_point_forms_and_errors():
    p = ground_point("48.85,2.35")
    assert p.lat_deg[0] == pytest.approx(48.85) and p.min_elevation_deg[0] == 25.0
    q = ground_point((-8.8, 13.2), min_elevation_deg=10.0)
    assert q.lon_deg[0] == pytest.approx(13.2) and q.min_elevation_deg[0] == 10.0
    with pytest.raises(InputError, match="unknown city"):
        ground_point("Nowhereville-on-Sea")
    with pytest.raises(InputError):
        ground_point("95,10")


def test_topology_builder_uses_relay_flag_in_rtt():
    c = walker(12 * 10, 12, 1, 800, 60)
    tab = rtt_series(c, "Paris", "Madrid", START, 60.0, 30.0, method="j2", min_elevation_deg=10.0)
    assert set(tab.columns) >= {"time", "rtt_ms", "hops", "path", "path_id", "path_changed"}
    assert not tab["path_changed"][0]
    assert isinstance(
        TopologyBuilder(c).step(c.propagate(START, method="j2").r_ecef_m[0]), StepGraph
    )


# --- CLI --------------------------------------------------------------------------------------


def test_cli_rtt_json_and_files(tmp_path):
    out = tmp_path / "paris-luanda"
    result = runner.invoke(
        app,
        ["rtt", "starlink-shell1", "--from", "Paris", "--to", "-8.84,13.23", "--duration", "4",
         "--step", "1", "--out", str(out), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    for key in (
        "rtt_min_ms",
        "rtt_median_ms",
        "rtt_max_ms",
        "hops_min",
        "hops_max",
        "path_changes",
    ):
        assert key in summary
    assert 40 < summary["rtt_min_ms"] <= summary["rtt_median_ms"] <= summary["rtt_max_ms"] < 200
    assert summary["rtt_min_ms"] >= summary["rtt_lower_bound_ms"]
    assert (out / "rtt.parquet").is_file() and (out / "rtt.png").is_file()
    assert json.loads((out / "summary.json").read_text())["steps"] == 5
    csv = runner.invoke(
        app,
        ["rtt", "starlink-shell1", "--from", "Paris", "--to", "Luanda", "--duration", "2",
         "--out", str(tmp_path / "c"), "--csv", "--no-plot", "--step", "1"],
    )  # fmt: skip
    assert csv.exit_code == 0, csv.output
    assert "RTT min / median / max" in csv.output
    assert (tmp_path / "c" / "rtt.csv").is_file() and not (tmp_path / "c" / "rtt.png").exists()


def test_cli_rtt_bad_city_exits_2(tmp_path):
    result = runner.invoke(
        app,
        ["rtt", "starlink-shell1", "--from", "Atlantisx", "--to", "Luanda", "-o", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "unknown city" in result.output and "Traceback" not in result.output
    bad = runner.invoke(
        app, ["rtt", "starlink-shell1", "--from", "Paris", "--to", "Luanda", "--step", "0",
              "-o", str(tmp_path)],
    )  # fmt: skip
    assert bad.exit_code == 2 and "step" in bad.output


def test_cli_topology_json():
    result = runner.invoke(app, ["topology", "starlink-shell1", "--json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["satellites"] == 1584 and stats["isl_links"] == 2 * 1584
    assert stats["isl_degree"]["min"] == stats["isl_degree"]["max"] == 4
    # twisted torus 72 x 22: 36 inter-plane hops and at least 11 - 1 in-plane ones (one seam
    # crossing shifts the slot by F = 1), at most 36 + 11 + 1
    assert 46 <= stats["diameter_hops"] <= 48
    text = runner.invoke(app, ["topology", "starlink-shell1", "--isl", "nearest-k", "--k", "3"])
    assert text.exit_code == 0, text.output
    assert "ISL degree" in text.output
    bad = runner.invoke(app, ["topology", "starlink-shell1", "--isl", "mesh"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
