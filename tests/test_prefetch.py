"""SGP4 one chunk ahead in a forked process: the same bits as in this process, no hang."""

from __future__ import annotations

import multiprocessing
import os
import sys
from itertools import pairwise

import numpy as np
import pytest

import spacecompute as sc
from spacecompute.astro import prefetch
from spacecompute.astro.ephemeris import Ephemeris
from spacecompute.astro.frames import ecef_to_geodetic
from spacecompute.astro.prefetch import prefetch_pays, prefetched_chunks
from spacecompute.astro.propagation import SGP4Propagator
from spacecompute.astro.timeutil import time_grid
from spacecompute.sim.core import Chunk
from spacecompute.sim.engine import EngineConfig, run_engine
from spacecompute.sim.forecast import with_previous_instant

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork: Linux only")

START = "2026-03-20T00:00:00Z"


@pytest.fixture(scope="module")
def shell():
    return sc.walker(total=300, planes=15, phasing=1, altitude_km=550, inclination_deg=53)


def overlapping(grid, steps):
    parts = [grid[k : k + steps] for k in range(0, grid.shape[0], steps)]
    return [parts[0]] + [np.concatenate([a[-1:], b]) for a, b in pairwise(parts)]


@pytest.mark.parametrize(("velocities", "shadow"), [(True, "conical"), (False, "cylindrical")])
def test_prefetched_chunks_equal_propagating_here(shell, velocities, shadow):
    prop = SGP4Propagator(shell.elements)
    parts = overlapping(time_grid(START, 3000.0, 60.0), 7)  # 51 instants: 8 chunks, last short
    got = 0
    ahead = prefetched_chunks(prop, parts, velocities=velocities, shadow=shadow)
    for times, chunk in zip(parts, ahead, strict=True):
        here = prop.propagate(times, velocities=velocities)
        np.testing.assert_array_equal(chunk.times, here.times)
        np.testing.assert_array_equal(chunk.r_eci_m, here.r_eci_m)
        np.testing.assert_array_equal(chunk.valid, here.valid)
        np.testing.assert_array_equal(chunk.r_ecef_m, here.r_ecef_m)
        if velocities:
            np.testing.assert_array_equal(chunk.v_eci_m, here.v_eci_m)
        else:
            assert chunk.v_eci_m is None
        assert chunk.v_ecef_m is None
        for got_a, want_a in zip(chunk.geodetic, ecef_to_geodetic(here.r_ecef_m), strict=True):
            np.testing.assert_array_equal(got_a, want_a)
        # the sunlit fraction as the engine core computes it (Chunk.sunlit)
        core_chunk = Chunk(Ephemeris(here.times, here.r_eci_m, here.v_eci_m), 0, 1, shadow)
        assert chunk.sunlit[0] == shadow
        np.testing.assert_array_equal(chunk.sunlit[1], core_chunk.sun_eci_m)
        np.testing.assert_array_equal(chunk.sunlit[2], core_chunk.sunlit)
        assert 0 < chunk.sunlit[2].mean() < 1
        got += 1
    assert got == len(parts) == 8
    assert not multiprocessing.active_children()  # the child ended with the last chunk


def test_overlapping_chunks_equal_the_previous_instant_prepended(shell, monkeypatch):
    """``overlap=True`` (prefetched or not) gives, bit for bit, what the engine built before:
    each chunk with the previous chunk's last instant prepended."""
    plain = list(shell.propagate_chunks(START, 3600.0, 60.0, chunk_steps=9))
    expected, prev = [], None
    for part in plain:
        e = with_previous_instant(prev, part)
        keys = ("times", "r_eci_m", "r_ecef_m", "lat_deg", "lon_deg", "alt_m")
        expected.append({k: np.array(getattr(e, k)) for k in keys})
        prev = part
    for prefetched in (False, True):
        monkeypatch.setattr(prefetch, "PREFETCH_MIN_SATELLITES", 0 if prefetched else 10**9)
        chunks = shell.propagate_chunks(START, 3600.0, 60.0, chunk_steps=9, overlap=True)
        n = 0
        for want, got in zip(expected, chunks, strict=True):
            for key, value in want.items():
                np.testing.assert_array_equal(getattr(got, key), value)
            n += 1
        assert n == len(expected) == 7


def test_a_run_with_prefetch_equals_one_without(monkeypatch, tmp_path):
    const = sc.walker(total=256, planes=16, phasing=1, altitude_km=550, inclination_deg=53)
    config = EngineConfig(
        constellation=const, bus="starlink-v1", policy="on-board", duration_s=3 * 3600.0,
        chunk_steps=23,
    )  # fmt: skip
    monkeypatch.setenv("SPACECOMPUTE_PREFETCH", "0")
    base = run_engine(config, out_dir=tmp_path / "here")
    monkeypatch.delenv("SPACECOMPUTE_PREFETCH")
    monkeypatch.setattr(prefetch, "PREFETCH_MIN_SATELLITES", 0)
    monkeypatch.setattr(prefetch, "usable_cores", lambda: 2)
    used = []

    def spy(*args, **kwargs):
        used.append(1)
        yield from prefetched_chunks(*args, **kwargs)

    monkeypatch.setattr(prefetch, "prefetched_chunks", spy)
    run_engine(config, out_dir=tmp_path / "ahead")
    assert used
    assert base.summary["jobs_total"] > 1000
    names = ("jobs", "steps", "satellites", "states", "contacts")  # contacts: after the run
    for name in (f"{x}.parquet" for x in names):
        assert (tmp_path / "here" / name).read_bytes() == (tmp_path / "ahead" / name).read_bytes()


def test_this_process_lets_go_of_the_satrecs_while_the_child_propagates(shell):
    prop = SGP4Propagator(shell.elements)
    chunks = prefetched_chunks(prop, overlapping(time_grid(START, 600.0, 60.0), 4))
    next(chunks)
    assert prop._satrecs is None  # the child has its own copy
    chunks.close()


def test_a_released_propagator_gives_the_same_states():
    # near Earth and geosynchronous (SDP4 with its resonance integrator, whose state a call
    # keeps for the next); the second span continues the first or starts afresh
    for altitude_km in (550, 35_786):
        const = sc.walker(total=12, planes=3, phasing=1, altitude_km=altitude_km,
                          inclination_deg=55)  # fmt: skip
        kept, released = SGP4Propagator(const.elements), SGP4Propagator(const.elements)
        first = time_grid(START, 3 * 86400.0, 7200.0)
        later = time_grid("2026-03-25T00:00:00Z", 86400.0, 3600.0)
        for p in (kept, released):
            p.propagate(first)
        released.release()
        a, b = kept.propagate(later), released.propagate(later)
        for key in ("r_eci_m", "v_eci_m", "valid", "r_ecef_m"):
            np.testing.assert_array_equal(getattr(a, key), getattr(b, key))


def test_a_child_that_dies_is_an_error_not_a_hang(shell, monkeypatch):
    prop = SGP4Propagator(shell.elements)
    monkeypatch.setattr(prop, "fill", lambda *a, **k: os._exit(3))
    parts = overlapping(time_grid(START, 600.0, 60.0), 4)
    with pytest.raises(RuntimeError, match="exit code 3"):
        list(prefetched_chunks(prop, parts))


def test_a_child_error_is_raised_here(shell, monkeypatch):
    prop = SGP4Propagator(shell.elements)

    def fail(*a, **k):
        raise ValueError("bad elements")

    monkeypatch.setattr(prop, "fill", fail)
    parts = overlapping(time_grid(START, 600.0, 60.0), 4)
    with pytest.raises(RuntimeError, match="ValueError: bad elements"):
        list(prefetched_chunks(prop, parts))
    assert not multiprocessing.active_children()


def test_a_run_that_stops_early_ends_the_child(shell):
    prop = SGP4Propagator(shell.elements)
    parts = overlapping(time_grid(START, 3000.0, 60.0), 5)
    chunks = prefetched_chunks(prop, parts)
    next(chunks)
    assert len(multiprocessing.active_children()) == 1
    chunks.close()
    assert not multiprocessing.active_children()


def test_when_prefetch_does_not_pay(shell, monkeypatch):
    from spacecompute.astro.j2 import J2Propagator

    prop = SGP4Propagator(shell.elements)
    monkeypatch.setattr(prefetch, "PREFETCH_MIN_SATELLITES", 0)
    assert not prefetch_pays(prop, 300, 1)  # one chunk: nothing to overlap
    assert not prefetch_pays(J2Propagator(shell.elements), 300, 8)
    monkeypatch.setenv("SPACECOMPUTE_PREFETCH", "0")
    assert not prefetch_pays(prop, 300, 8)


def test_a_run_that_fails_ends_the_propagation_process(monkeypatch):
    from spacecompute.sim import core

    const = sc.walker(total=256, planes=16, phasing=1, altitude_km=550, inclination_deg=53)
    monkeypatch.setattr(prefetch, "PREFETCH_MIN_SATELLITES", 0)
    monkeypatch.setattr(prefetch, "usable_cores", lambda: 2)
    step = core.Core._step

    def failing(self, chunk, k):
        if self.steps_done == 30:
            assert len(multiprocessing.active_children()) == 1  # the child was running
            raise ValueError("a policy failed")
        step(self, chunk, k)

    monkeypatch.setattr(core.Core, "_step", failing)
    config = EngineConfig(
        constellation=const, bus="starlink-v1", policy="on-board", duration_s=3600.0,
        chunk_steps=7,
    )  # fmt: skip
    with pytest.raises(ValueError, match="a policy failed"):
        run_engine(config)
    assert not multiprocessing.active_children()


def test_no_propagation_process_beside_a_sweeps_workers(shell, monkeypatch):
    """A sweep's pool or Dask worker already shares the cores with the others: no prefetch
    while its cell runs, and again afterwards (a threaded Dask worker lives in this process)."""
    from spacecompute import _forked
    from spacecompute.sweep.cells import run_cell_beside_others

    prop = SGP4Propagator(shell.elements)
    monkeypatch.setattr(prefetch, "PREFETCH_MIN_SATELLITES", 0)
    monkeypatch.setattr(prefetch, "usable_cores", lambda: 2)
    assert prefetch_pays(prop, 300, 8)
    seen = []
    monkeypatch.setattr(
        "spacecompute.sweep.cells.run_cell",
        lambda task: seen.append(_forked.in_forked_run() or prefetch_pays(prop, 300, 8)),
    )
    run_cell_beside_others("cell")
    assert seen == [True]
    assert not _forked.in_forked_run() and prefetch_pays(prop, 300, 8)
