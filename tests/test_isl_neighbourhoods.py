"""The compiled breadth-first search of every satellite's laser-mesh neighbourhood
(sim/isl_neighbourhoods.py) gives the numpy formulation's tables exactly, in the same order.

Reference: :func:`spacecompute.sim.numpy_reference.isl_neighbourhoods_numpy` (set operations on
(satellite, neighbour) keys over all satellites, what the service used before), on Starlink
shell 1's +Grid and on random graphs (hypothesis: repeated links, isolated satellites, more hops
than the graph is deep); plus closed forms of a +Grid torus (1 + 2h(h + 1) satellites within h
hops).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacecompute.astro.constellation import walker
from spacecompute.network.topology import plus_grid_pairs
from spacecompute.scenario.build import preset_constellation
from spacecompute.sim.isl_neighbourhoods import neighbourhoods
from spacecompute.sim.numpy_reference import isl_neighbourhoods_numpy


def _assert_same(pairs: np.ndarray, n: int, max_hops: int) -> None:
    got = neighbourhoods(pairs, n, max_hops)
    m, nbr, hops, levels = isl_neighbourhoods_numpy(pairs, n, max_hops)
    assert got.m == m
    np.testing.assert_array_equal(got.nbr, nbr)
    np.testing.assert_array_equal(got.hops, hops)
    for i, a in enumerate(got.level_arrays):
        want = np.concatenate([lv[i] for lv in levels]) if levels else np.zeros(0, np.int64)
        np.testing.assert_array_equal(a, want)
    # level by level too (the numpy loop may end with an empty level: compare the non-empty)
    ours = [lv for lv in got.levels if lv[0].size]
    theirs = [lv for lv in levels if lv[0].size]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        for x, y in zip(a, b, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("max_hops", [0, 1, 2, 4])
def test_starlink_shell_equals_the_numpy_formulation(max_hops):
    const = preset_constellation("starlink-shell1")
    _assert_same(plus_grid_pairs(const), len(const), max_hops)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    links=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=90),
    max_hops=st.integers(0, 6),
)
def test_random_graphs_equal_the_numpy_formulation(n, links, max_hops):
    pairs = np.array([(a % n, b % n) for a, b in links if a % n != b % n], np.int64)
    _assert_same(pairs.reshape(-1, 2), n, max_hops)


def test_plus_grid_torus_neighbourhood_sizes():
    """On a +Grid torus far larger than the reach, 1 + 2h(h + 1) satellites lie within h hops
    (the diamond of the Manhattan metric), 4h of them at exactly h."""
    const = walker(total=400, planes=20, phasing=1, altitude_km=550, inclination_deg=53)
    hood = neighbourhoods(plus_grid_pairs(const), 400, 3)
    assert hood.m == 1 + 2 * 3 * 4
    for h in range(4):
        assert (np.count_nonzero(hood.hops == h, axis=1) == (4 * h if h else 1)).all()
    # every triple links a satellite of level h to one of level h - 1 by a real link
    v, sw, sp, _ = hood.level_arrays
    assert (hood.hops[v, sw] == hood.hops[v, sp] + 1).all()
