"""The fused per-chunk geometry kernels give the numpy formulas' numbers bit for bit.

References: :mod:`spacecompute.sim.numpy_reference` (the numpy expressions the engine used before
the kernels). ``assert_array_equal`` throughout: the kernels do the same IEEE operations in the
same order, so not even the last bit may move.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import spacecompute as sc
from spacecompute import _runtime
from spacecompute._buffers import BufferPool
from spacecompute.astro.access import look_angles, visible_pairs
from spacecompute.astro.ephemeris import Ephemeris
from spacecompute.astro.frames import ecef_to_geodetic, geodetic_to_ecef
from spacecompute.astro.ground import ground_stations
from spacecompute.sim.engine import DEFAULT_STATIONS, GROUND_TERMINAL, RADIO_TERMINAL
from spacecompute.sim.forecast import chunk_environment, with_previous_instant
from spacecompute.sim.numpy_reference import (
    chunk_environment_numpy,
    ecef_to_geodetic_numpy,
    imaging_steps_numpy,
    look_angles_numpy,
)
from spacecompute.workloads.eo import SensorModel
from spacecompute.workloads.eo_steps import imaging_steps

START = "2026-03-20T00:00:00Z"


@pytest.fixture(autouse=True)
def kernels_always(monkeypatch):
    """The kernels for every size (small inputs run the numpy formulas otherwise)."""
    monkeypatch.setattr(_runtime, "FUSED_MIN_POINTS", 0)


@pytest.fixture(scope="module")
def stations():
    return ground_stations(list(DEFAULT_STATIONS))


def _positions(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Points from 0 to 36,000 km altitude over the whole globe, some NaN."""
    shape = shape[:-1]
    lat = rng.uniform(-90.0, 90.0, shape)
    lon = rng.uniform(-180.0, 180.0, shape)
    alt = rng.choice([0.0, 1.0, 4e5, 1.2e6, 2e7, 3.6e7], shape) * rng.uniform(0.5, 1.0, shape)
    r = geodetic_to_ecef(lat, lon, alt)
    r.reshape(-1, 3)[::97] = np.nan
    return r


@pytest.fixture(scope="module")
def eph():
    """A small real chunk: 240 satellites (3 shells) x 25 instants at 60 s, one satellite failed."""
    const = sc.walker(
        total=240, planes=12, phasing=1, altitude_km=550, inclination_deg=53, epoch=START
    )
    e = next(const.propagate_chunks(START, 24 * 60.0, 60.0, "sgp4", chunk_steps=25))
    valid = e.valid.copy()
    valid[5:9, 17] = False
    r_eci = e.r_eci_m.copy()
    r_eci[5:9, 17] = np.nan
    return Ephemeris(e.times, r_eci, e.v_eci_m, names=e.names, valid=valid)


def _fresh(e: Ephemeris) -> Ephemeris:
    return Ephemeris(e.times, e.r_eci_m, e.v_eci_m, names=e.names, valid=e.valid)


@pytest.mark.parametrize("shape", [(50, 3), (4, 300, 3), (2, 3, 40, 3)])
def test_look_angles_kernel_equals_numpy(stations, shape):
    r = _positions(np.random.default_rng(len(shape)), shape)
    el, az, rng = look_angles(r, stations)
    el0, az0, rng0 = look_angles_numpy(r, stations)
    assert el.shape == el0.shape == (*shape[:-2], len(stations), shape[-2])
    np.testing.assert_array_equal(el, el0)
    np.testing.assert_array_equal(az, az0)
    np.testing.assert_array_equal(rng, rng0)
    assert np.isnan(el).any() and (el > 0).any() and (el < 0).any()
    el2, none, rng2 = look_angles(r, stations, azimuth=False)
    assert none is None
    np.testing.assert_array_equal(el2, el0)
    np.testing.assert_array_equal(rng2, rng0)


@pytest.mark.parametrize("masks", [None, [-5.0, 0.0, 0.0, 10.0, -90.0, 45.0]])
def test_visible_pairs_equal_numpy_mask(stations, masks):
    if masks is not None:  # negative and zero masks: the pairs below the horizon count too
        stations = dataclasses.replace(stations, min_elevation_deg=np.array(masks))
    r = _positions(np.random.default_rng(7), (30, 500, 3))
    r[0, :4] = stations.ecef_m[:4]  # zero line of sight: elevation 0 (atan2(0, 0))
    el0, _, rng0 = look_angles_numpy(r, stations)
    visible = np.isfinite(el0) & (el0 >= stations.min_elevation_deg[None, :, None])
    assert visible.sum() > visible.size // 16  # more than first guessed: exercises the retry
    for pool in (None, BufferPool()):
        idx, el, rng = visible_pairs(r, stations, buffers=pool)
        np.testing.assert_array_equal(idx, np.flatnonzero(visible))
        np.testing.assert_array_equal(el, el0[visible])
        np.testing.assert_array_equal(rng, rng0[visible])


def test_ecef_to_geodetic_kernel_equals_numpy():
    r = _positions(np.random.default_rng(3), (200, 50, 3))
    r[0, :6] = [[0, 0, 0], [0, 0, 6.4e6], [0, 0, -6.4e6], [7e6, 0, 0], [0, -7e6, 0], [-7e6, 0, 1]]
    got = ecef_to_geodetic(r)
    ref = ecef_to_geodetic_numpy(r)
    for a, b in zip(got, ref, strict=True):
        assert a.shape == (200, 50)
        np.testing.assert_array_equal(a, b)
    out = tuple(np.empty((200, 50)) for _ in range(3))
    assert all(a is b for a, b in zip(ecef_to_geodetic(r, out=out), out, strict=True))
    np.testing.assert_array_equal(out[2], ref[2])
    single = ecef_to_geodetic(r[3, 4])
    assert single[0].shape == () and single[0] == ref[0][3, 4]


@pytest.mark.parametrize("aoi", ["land", "all"])
def test_imaging_steps_kernel_equals_numpy(eph, aoi):
    e = _fresh(eph)
    sensor = SensorModel.cote()
    k, s, p = imaging_steps(e, sensor, land=aoi == "land", min_sun_elevation_deg=10.0)
    k0, s0, p0 = imaging_steps_numpy(e, sensor, aoi=aoi, min_sun_elevation_deg=10.0)
    assert k0.size > 100
    np.testing.assert_array_equal(k, k0)
    np.testing.assert_array_equal(s, s0)
    np.testing.assert_array_equal(p, p0)
    assert not np.any((s == 17) & (k >= 4) & (k < 9))  # invalid steps never image


def test_chunk_environment_equals_numpy(eph, stations):
    from spacecompute.network.links import terminal

    radio, ground = terminal(RADIO_TERMINAL), terminal(GROUND_TERMINAL)
    kw = dict(model="yolov8n", cloud_fraction=0.67, seed=3, aoi="land")
    a_eph, b_eph = _fresh(eph), _fresh(eph)
    pool = BufferPool()
    a = chunk_environment(a_eph, stations, radio, ground, buffers=pool, **kw)
    b = chunk_environment_numpy(b_eph, stations, radio, ground, **kw)
    for name in ("times_ns", "sun_eci_m", "sunlit", "rate_bps", "frame_bounds"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert (a.rate_bps > 0).sum() > 10 and len(a.frames) > 50
    for col in b.frames.keys():
        np.testing.assert_array_equal(a.frames[col], b.frames[col])
    for x, y in zip(a_eph._geodetic, b_eph._geodetic, strict=True):
        np.testing.assert_array_equal(x, y)
    # a second chunk while the first is held: fresh arrays, the first is left as it was
    rate_before = a.rate_bps.copy()
    c = chunk_environment(_fresh(eph), stations, radio, ground, buffers=pool, **kw)
    assert not np.shares_memory(c.rate_bps, a.rate_bps)
    np.testing.assert_array_equal(a.rate_bps, rate_before)


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def test_buffer_pool_never_hands_out_a_held_array():
    pool = BufferPool(keep=2)
    a = pool.take("x", (4, 3))
    b = pool.take("x", (4, 3))
    assert not np.shares_memory(a, b)  # a is held
    address = _address(a)
    del a
    c = pool.take("x", (2, 3))  # a is free again: a leading slice of it
    assert _address(c) == address and c.shape == (2, 3)
    view = c[1:]
    del c
    d = pool.take("x", (4, 3))  # c's array is still held through a view
    assert not np.shares_memory(d, view)
    assert pool.take("x", (4, 5)).shape == (4, 5)  # other trailing shape: a new array ...
    assert pool.nbytes() == 4 * 5 * 8  # ... and the (., 3) ones of the last run are forgotten
    assert pool.take("x", (4, 3), np.float32).dtype == np.float32
    pool.take("z", (3,))[:] = 7.0
    np.testing.assert_array_equal(pool.take("z", (3,), zeroed=True), 0.0)  # reused, zeroed
    pool.clear()
    assert pool.nbytes() == 0


def test_buffer_pool_forgets_free_arrays_too_short():
    """A longer request (the second chunk has one instant more than the first) replaces a free
    shorter array instead of keeping both; a held one is kept."""
    pool = BufferPool(keep=3)
    pool.take("x", (4, 3))  # free at once
    pool.take("x", (5, 3))
    assert pool.nbytes() == 5 * 3 * 8
    held = pool.take("x", (2, 3))  # a leading slice of the (5, 3) array, held
    longer = pool.take("x", (6, 3))
    assert pool.nbytes() == (5 + 6) * 3 * 8 and not np.shares_memory(held, longer)


def test_with_previous_instant_copies_into_reused_buffers(eph):
    pool = BufferPool()
    first, second = eph, _fresh(eph)
    x = with_previous_instant(first, second, buffers=pool)
    np.testing.assert_array_equal(x.r_eci_m[1:], second.r_eci_m)
    np.testing.assert_array_equal(x.r_eci_m[0], first.r_eci_m[-1])
    np.testing.assert_array_equal(x.valid[0], first.valid[-1])
    np.testing.assert_array_equal(x.r_ecef_m[1:], second.r_ecef_m)
    assert x.times[0] == first.times[-1] and x.n_times == second.n_times + 1
    y = with_previous_instant(first, second, buffers=pool)  # x still held: other arrays
    assert not np.shares_memory(x.r_eci_m, y.r_eci_m)
    address = _address(y.r_eci_m)
    del y
    z = with_previous_instant(first, second, buffers=pool)
    assert _address(z.r_eci_m) == address


def test_small_inputs_compile_no_kernel(monkeypatch, eph, stations):
    """Below FUSED_MIN_POINTS the numpy formulas run (same numbers): the default 12-satellite
    run compiles none of the geometry kernels."""
    from spacecompute.astro import access, frames
    from spacecompute.workloads import eo_steps

    monkeypatch.setattr(_runtime, "FUSED_MIN_POINTS", 10**9)

    def boom(*args):
        raise AssertionError("kernel called for a small input")

    for module, name in [
        (frames, "_geodetic_kernel"),
        (access, "_look_kernel"),
        (access, "_visible_kernel"),
        (eo_steps, "_imaging_kernel"),
    ]:
        monkeypatch.setattr(module, name, boom)
    e = _fresh(eph)
    assert ecef_to_geodetic(e.r_ecef_m)[0].shape == e.valid.shape
    assert look_angles(e.r_ecef_m, stations)[0].shape == (25, 6, 240)
    assert visible_pairs(e.r_ecef_m, stations)[0].size > 0
    assert imaging_steps(e, SensorModel.cote(), land=True, min_sun_elevation_deg=10.0)[0].size


def test_engine_run_is_the_same_with_kernels_and_numpy_formulas(monkeypatch):
    from spacecompute.sim.engine import EngineConfig, run_engine

    def run() -> tuple[dict, dict]:
        res = run_engine(EngineConfig(duration_s=7200.0))
        summary = {k: v for k, v in res.summary.items() if k != "wall_time_s"}
        tables = {
            f"{t}.{k}": res.__dict__[t][k]
            for t in ("jobs", "steps")
            for k in res.__dict__[t].keys()
        }
        return summary, tables

    kernels = run()  # FUSED_MIN_POINTS = 0 (autouse fixture)
    monkeypatch.setattr(_runtime, "FUSED_MIN_POINTS", 10**9)
    numpy_formulas = run()
    assert kernels[0] == numpy_formulas[0] and kernels[0]["jobs_total"] > 0
    for k, v in numpy_formulas[1].items():
        np.testing.assert_array_equal(kernels[1][k], v, err_msg=k)


def test_eo_frames_with_a_polygon_area_equal_numpy(eph):
    from spacecompute.sim.numpy_reference import eo_frames_numpy
    from spacecompute.workloads.eo import eo_frames

    box = {  # GeoJSON (lon, lat): a band around the equator
        "type": "Polygon",
        "coordinates": [[[-180, -30], [180, -30], [180, 30], [-180, 30], [-180, -30]]],
    }
    a = eo_frames(_fresh(eph), aoi=box, seed=5, buffers=BufferPool())
    b = eo_frames_numpy(_fresh(eph), aoi=box, seed=5)
    assert 0 < len(a) and set(a.keys()) == set(b.keys())
    for col in b.keys():
        np.testing.assert_array_equal(a[col], b[col])


def test_no_station_no_pair(eph):
    r = np.ascontiguousarray(eph.r_ecef_m)
    st = dataclasses.replace(
        ground_stations(["Svalbard"]),
        names=np.array([], object),
        lat_deg=np.zeros(0),
        lon_deg=np.zeros(0),
        alt_m=np.zeros(0),
        min_elevation_deg=np.zeros(0),
        operators=None,
    )
    idx, el, rng = visible_pairs(r, st)
    assert idx.size == el.size == rng.size == 0
    assert look_angles(r, st)[0].shape == (r.shape[0], 0, r.shape[1])
