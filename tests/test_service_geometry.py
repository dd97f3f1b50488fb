"""The service's compiled geometry (sim/service_geometry.py) gives the numpy formulation's
candidate tables and ISL paths bit for bit, and its cull never drops a visible pair.

References: :func:`spacecompute.sim.numpy_reference.service_candidates_numpy` and
:func:`~spacecompute.sim.numpy_reference.isl_paths_numpy` (the dense look angles and the
lexicographic sorts the service used before the kernels); ``assert_array_equal`` throughout.
The cull is checked against the dense look angles on random geometry (a closed-form bound of
the Earth-central angle, Wertz and Larson, SMAD 3rd ed., section 5.2).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from spacecompute.astro.constellation import walker
from spacecompute.astro.ground import cities
from spacecompute.network.topology import pair_geometry
from spacecompute.scenario.build import preset_constellation
from spacecompute.sim import service_geometry as sg
from spacecompute.sim.numpy_reference import isl_paths_numpy, service_candidates_numpy
from spacecompute.sim.service import _candidates, _Isl, _Users
from spacecompute.table import Table


def _assert_same_tables(a, b):
    (ca, pa), (cb, pb) = a, b
    for f in dataclasses.fields(ca):
        x, y = getattr(ca, f.name), getattr(cb, f.name)
        assert x.dtype == y.dtype, f.name
        np.testing.assert_array_equal(x, y, err_msg=f.name)
    for x, y in zip(pa, pb, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.fixture(scope="module")
def starlink():
    const = preset_constellation("starlink-shell1")
    eph = const.propagate("2026-03-20T00:00:00Z", 1800.0, 60.0, "j2")
    return _Users(cities(300)), _Isl(const, 2), eph


@pytest.mark.parametrize("min_el", [0.0, 25.0, 60.0])
def test_candidate_tables_equal_the_numpy_formulation(starlink, min_el):
    """Starlink shell 1 and the 300 largest cities at three instants: every city, a random
    subset, and a satellite without a position (NaN, as a failed propagation leaves it)."""
    users, isl, eph = starlink
    rng = np.random.default_rng(3)
    for k, active in [
        (0, np.arange(len(users))),
        (10, np.unique(rng.integers(0, len(users), 120))),
        (30, np.array([0, 7, 299])),
    ]:
        r = eph.r_ecef_m[k].copy()
        r[[5, 900]] = np.nan
        d, ok = pair_geometry(r, isl.pairs)
        args = (users, isl, r, d, ok, active, min_el, 2)
        got = _candidates(*args)
        _assert_same_tables(got, service_candidates_numpy(*args))
        assert got[0].city.size > 0 or active.size < len(users)
        assert not np.isin(got[0].access, [5, 900]).any()


def test_candidates_with_one_hop_and_no_active_city(starlink):
    users, isl1, eph = starlink[0], _Isl(preset_constellation("starlink-shell1"), 1), starlink[2]
    r = eph.r_ecef_m[3]
    d, ok = pair_geometry(r, isl1.pairs)
    for active in (np.arange(50), np.zeros(0, np.int64)):
        args = (users, isl1, r, d, ok, active, 25.0, 1)
        _assert_same_tables(_candidates(*args), service_candidates_numpy(*args))


def test_isl_paths_ties_and_unusable_links_as_the_stable_sort():
    """Equal link lengths (ties between paths), unusable links (inf) and NaN lengths: the
    compiled relaxation picks what the stable sort by (slot, length) picked."""
    const = walker(total=144, planes=12, phasing=1, altitude_km=550, inclination_deg=53)
    isl = _Isl(const, 3)
    rng = np.random.default_rng(11)
    e = isl.pairs.shape[0]
    for trial in range(4):
        d = rng.integers(1, 4, e).astype(np.float64) * 1.0e6  # many equal path lengths
        ok = rng.random(e) > 0.1 * trial
        if trial == 3:
            d[rng.integers(0, e, 20)] = np.nan
        for x, y in zip(isl.paths(d, ok), isl_paths_numpy(isl, d, ok), strict=True):
            np.testing.assert_array_equal(x, y)


def test_the_cull_keeps_every_visible_pair():
    """Random cities (poles, equator, every latitude) and satellites from 200 km to GEO: every
    pair at or above the mask by the dense look angles passes the dot-product cull, and the
    bound is tight enough to be worth it (a LEO shell at 25 deg: about 9.4 deg)."""
    rng = np.random.default_rng(5)
    n_c = 400
    lat = np.concatenate([[90.0, -90.0, 0.0, 45.0], rng.uniform(-90, 90, n_c - 4)])
    table = Table(
        {
            "name": np.arange(n_c).astype(str).astype(object),
            "lat_deg": lat,
            "lon_deg": rng.uniform(-180, 180, n_c),
            "population": np.ones(n_c),
        }
    )
    users = _Users(table)
    n = 8_000
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1)[:, None]
    radius = 6_378_137.0 + rng.choice([200e3, 550e3, 1200e3, 35_786e3], n)
    for min_el in (0.0, 10.0, 25.0, 80.0):
        for shell in np.unique(radius):
            r = u[radius == shell] * shell
            el, _ = users.look(r, np.arange(n_c))
            cos_cull = sg.cull_cosine(users, float(shell), min_el)
            dot = users.p_hat @ (r / shell).T
            visible = el >= min_el
            assert visible.any()
            assert np.all(dot[visible] >= cos_cull)
            assert (dot < cos_cull).any()  # the cull does skip pairs
    leo = sg.cull_cosine(users, 6_378_137.0 + 550e3, 25.0)
    assert 9.0 < math.degrees(math.acos(leo)) < 10.0
    # a mask the bound cannot serve turns the cull off
    assert sg.cull_cosine(users, 6_378_137.0 + 550e3, -89.5) == -2.0
    assert sg.cull_cosine(users, 1.0, 25.0) == -2.0


@pytest.mark.parametrize("cells", [True, False])
@pytest.mark.parametrize("min_el", [0.0, 25.0, 60.0])
def test_cull_scans_find_exactly_the_dense_visible_pairs(min_el, cells, monkeypatch):
    """Random cities (both poles, the date line, every latitude) and satellites on mixed
    shells, some exactly at a pole or on the date line: the pairs of the cell scan (and of the
    band scan, below ``CELL_SCAN_MIN_SATELLITES``) are the dense look angles' pairs above the
    mask, in the order of the satellites' z, bit for bit."""
    monkeypatch.setattr(sg, "CELL_SCAN_MIN_SATELLITES", 0 if cells else 10**9)
    rng = np.random.default_rng(7)
    n_c = 120
    lat = np.concatenate([[90.0, -90.0, 0.0, 89.9, -89.9], rng.uniform(-90, 90, n_c - 5)])
    lon = np.concatenate([[0.0, 0.0, 180.0, -180.0, 179.99], rng.uniform(-180, 180, n_c - 5)])
    table = Table(
        {
            "name": np.arange(n_c).astype(str).astype(object),
            "lat_deg": lat,
            "lon_deg": lon,
            "population": np.ones(n_c),
        }
    )
    users = _Users(table)
    n = 6_000
    u = rng.normal(size=(n, 3))
    u[:3] = [[0.0, 0.0, 1.0], [0.0, 0.0, -1.0], [-1.0, 1e-17, 0.0]]  # poles, the date line
    u /= np.linalg.norm(u, axis=1)[:, None]
    r = u * (6_378_137.0 + rng.choice([400e3, 1200e3, 2000e3], n))[:, None]
    r[10] = np.nan  # a satellite without a position
    active = np.unique(rng.integers(0, n_c, 90))
    row, sat, el, rng_m = sg.visible_pairs(users, r, active, min_el)
    el_d, rng_d = users.look(r, active)
    want_row, want_sat = np.nonzero(np.isfinite(el_d) & (el_d >= min_el))
    z = np.nan_to_num(r, nan=0.0)
    z = z[:, 2] / np.maximum(np.linalg.norm(z, axis=1), 1e-300)
    rank = np.empty(n, np.int64)
    rank[np.argsort(z, kind="stable")] = np.arange(n)
    order = np.lexsort((rank[want_sat], want_row))
    want_row, want_sat = want_row[order], want_sat[order]
    np.testing.assert_array_equal(row, want_row)
    np.testing.assert_array_equal(sat, want_sat)
    np.testing.assert_array_equal(el, el_d[want_row, want_sat])
    np.testing.assert_array_equal(rng_m, rng_d[want_row, want_sat])
    assert row.size > 0


@pytest.mark.parametrize("cells", [True, False])
@pytest.mark.parametrize("k", [1, 3, 200])
def test_max_access_keeps_the_highest_visible_satellites(k, cells, monkeypatch):
    """With ``max_access`` k each city keeps, of the dense look angles' visible pairs, the k of
    the highest elevation (ties to the lower index), with the same values, in z order; a cap
    above what a city sees keeps them all."""
    monkeypatch.setattr(sg, "CELL_SCAN_MIN_SATELLITES", 0 if cells else 10**9)
    users = _Users(cities(60))
    const = walker(total=2_400, planes=40, phasing=1, altitude_km=1200, inclination_deg=70)
    r = const.propagate("2026-03-20T00:00:00Z", 60.0, 60.0, "j2").r_ecef_m[0]
    active = np.arange(len(users))
    row, sat, el, rng_m = sg.visible_pairs(users, r, active, 20.0, max_access=k)
    all_row, all_sat, all_el, _ = sg.visible_pairs(users, r, active, 20.0)
    el_d, rng_d = users.look(r, active)
    assert row.size > 0
    for a in range(len(users)):
        mine = all_row == a
        best = np.lexsort((all_sat[mine], -all_el[mine]))[:k]
        want = np.sort(all_sat[mine][best])
        np.testing.assert_array_equal(np.sort(sat[row == a]), want)
        np.testing.assert_array_equal(el[row == a], el_d[a, sat[row == a]])
        np.testing.assert_array_equal(rng_m[row == a], rng_d[a, sat[row == a]])
        # the kept ones in the order of the uncapped pairs (the satellites' z)
        order = all_sat[mine]
        kept = sat[row == a]
        np.testing.assert_array_equal(kept, order[np.isin(order, kept)])
    if k == 200:
        assert np.bincount(all_row).max() <= 200
        np.testing.assert_array_equal(sat, all_sat)


def test_twins_give_identical_tables(starlink, monkeypatch):
    """The one-thread and the parallel twins of both kernels give the same bits."""
    users, isl, eph = starlink
    r = eph.r_ecef_m[0]
    d, ok = pair_geometry(r, isl.pairs)
    args = (users, isl, r, d, ok, np.arange(len(users)), 25.0, 2)
    serial = _candidates(*args)
    for kernel in (sg._visible_pairs_kernel, sg._candidates_kernel):
        monkeypatch.setattr(kernel, "choose", lambda *a, k=kernel: k.parallel)
    _assert_same_tables(_candidates(*args), serial)
