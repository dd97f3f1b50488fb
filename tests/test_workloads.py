"""Tests of spacecompute.workloads against closed forms, hand computations and statistics."""

from __future__ import annotations

import json

import numpy as np
import pytest
from shapely.geometry import box

from spacecompute.astro.constants import EARTH_MEAN_RADIUS_M, MU_EARTH_M3_S2
from spacecompute.astro.ephemeris import Ephemeris
from spacecompute.errors import InputError
from spacecompute.table import Table
from spacecompute.workloads import (
    SensorModel,
    batch_jobs,
    data_parallel_step_time_s,
    diurnal_profile,
    eo_frames,
    inference_requests,
    model_spec,
    ring_allreduce_time_s,
    training_jobs,
)

START = "2026-04-15T00:00:00Z"  # equation of time ~0 on 15 April (for the solar reference)


def _circular_ephemeris(duration_s: float, step_s: float, raans_deg=(0.0,), alt_m=500e3):
    """Circular polar (i = 90 deg) orbits, one per RAAN, positions from the closed form."""
    a = EARTH_MEAN_RADIUS_M + alt_m
    n = np.sqrt(MU_EARTH_M3_S2 / a**3)
    t = np.arange(0.0, duration_s + step_s / 2, step_s)
    times = np.datetime64("2026-04-15T00:00:00", "ns") + (t * 1e9).astype(np.int64).astype(
        "timedelta64[ns]"
    )
    u = n * t[:, None] + np.deg2rad(np.arange(len(raans_deg)) * 37.0)[None, :]
    raan = np.deg2rad(np.asarray(raans_deg))[None, :]
    r = np.stack([a * np.cos(u) * np.cos(raan), a * np.cos(u) * np.sin(raan), a * np.sin(u)], -1)
    return Ephemeris(times, r, None)


@pytest.fixture(scope="module")
def eph_day():
    return _circular_ephemeris(86400.0, 10.0)


@pytest.fixture(scope="module")
def eph_two():
    return _circular_ephemeris(6 * 3600.0, 10.0, raans_deg=(0.0, 90.0))


# --------------------------------------------------------------------------- sensor geometry


def test_cote_sensor_geometry_references():
    s = SensorModel.cote()
    # Denby & Lucia 2020: GSD = 1.1e-6 x 500e3 / 0.2 = 2.75 m, swath 4096 x 2.75 = 11.264 km
    assert s.gsd_m(500e3) == pytest.approx(2.75, rel=1e-12)
    assert s.swath_m(500e3) == pytest.approx(11264.0, rel=1e-12)
    # ground speed sqrt(mu/a) R/a = 7616.2 x 6371.0/6871.0 = 7062 m/s -> 11264 / 7062 = 1.595 s
    assert s.frame_period_s(500e3) == pytest.approx(1.6, abs=0.01)
    assert s.frame_period_s(500e3, 7000.0) == pytest.approx(11264.0 / 7000.0)
    assert s.bits_per_frame == 4096 * 4096 * 3 * 8
    assert s.tiles_per_frame(640) == 7 * 7  # ceil(4096 / 640) = 7
    rect = SensorModel(1000, 5e-6, 1.0, 12, 4, pixels_along=500)
    assert rect.frame_length_m(600e3) == pytest.approx(3.0 * 500)
    assert rect.bits_per_frame == 1000 * 500 * 4 * 12


@pytest.mark.parametrize(
    "kwargs",
    [
        {"pixels_across": 0},
        {"pixel_pitch_m": -1e-6},
        {"focal_length_m": float("nan")},
        {"bands": 1.5},
        {"pixels_along": 0},
    ],
)
def test_sensor_bad_input(kwargs):
    with pytest.raises(InputError):
        SensorModel(**kwargs)


# --------------------------------------------------------------------------- EO frames


def test_frame_count_matches_duration_over_period(eph_day):
    t = eo_frames(eph_day, aoi="all", min_sun_elevation_deg=-90.0, seed=0)
    # every step images; total frames = duration / period (period from the geodetic altitude,
    # ~500-521 km over WGS84 for a spherical orbit, so take the mean over the track)
    period = SensorModel.cote().frame_period_s(eph_day.alt_m[:-1, 0])
    expected = np.sum(10.0 / period)
    assert len(t) == eph_day.n_times - 1
    assert abs(t["frames"].sum() - expected) / expected < 0.01
    tiles = 49
    spec = model_spec("yolov8n")
    np.testing.assert_allclose(t["ops"], t["frames"] * tiles * spec.ops_per_unit)
    np.testing.assert_allclose(t["bits"], t["frames"] * 4096 * 4096 * 24.0)
    np.testing.assert_allclose(t["result_bytes"], t["frames"] * tiles * 240.0)


def test_land_fraction_of_a_polar_track(eph_day):
    everything = eo_frames(eph_day, aoi="all", min_sun_elevation_deg=-90.0, seed=0)
    land = eo_frames(eph_day, aoi="land", min_sun_elevation_deg=-90.0, seed=0)
    frac = land["frames"].sum() / everything["frames"].sum()
    # a polar circular orbit samples latitude uniformly and (over a day) longitude ~uniformly:
    # reference = land fraction of a uniform lat/lon grid (not area-weighted), which differs
    # from the 29 % area fraction because the poles (Antarctica) are oversampled
    from global_land_mask import globe

    lat, lon = np.meshgrid(np.linspace(-89.75, 89.75, 360), np.linspace(-179.75, 179.75, 720))
    reference = globe.is_land(lat, lon).mean()
    assert 0.25 < reference < 0.40
    assert abs(frac - reference) < 0.05
    # land rows are a subset of all rows
    assert set(land["time"].tolist()) <= set(everything["time"].tolist())


def _solar_elevation_reference_deg(times, lat_deg, lon_deg):
    """Textbook solar elevation: sin e = sin phi sin d + cos phi cos d cos H, declination from
    Cooper (1969), hour angle from mean solar time (equation of time ~0 on 15 April)."""
    day = (times.astype("datetime64[D]") - times.astype("datetime64[Y]")).astype(int) + 1
    decl = np.deg2rad(23.44) * np.sin(2 * np.pi * (284 + day) / 365.0)
    hours = (times - times.astype("datetime64[D]")).astype("timedelta64[s]").astype(float) / 3600
    h = np.deg2rad((hours + lon_deg / 15.0 - 12.0) * 15.0)
    phi = np.deg2rad(lat_deg)
    return np.rad2deg(
        np.arcsin(np.sin(phi) * np.sin(decl) + np.cos(phi) * np.cos(decl) * np.cos(h))
    )


def test_frames_only_in_daylight(eph_day):
    allsky = eo_frames(eph_day, aoi="all", min_sun_elevation_deg=-90.0, seed=0)
    day = eo_frames(eph_day, aoi="all", min_sun_elevation_deg=10.0, seed=0)
    el_day = _solar_elevation_reference_deg(day["time"], day["lat_deg"], day["lon_deg"])
    assert el_day.min() > 10.0 - 1.0  # none at night (1 deg: accuracy of the reference)
    el_all = _solar_elevation_reference_deg(allsky["time"], allsky["lat_deg"], allsky["lon_deg"])
    # every clearly sunlit step of the whole track is imaged, no clearly dark one is
    imaged = np.isin(allsky["time"], day["time"])
    assert np.all(imaged[el_all > 11.0])
    assert not np.any(imaged[el_all < 9.0])
    assert 0.3 < len(day) / len(allsky) < 0.6


def test_cloud_fraction_binomial(eph_two):
    p = 0.67
    t = eo_frames(eph_two, aoi="all", min_sun_elevation_deg=-90.0, cloud_fraction=p, seed=3)
    n = len(t)
    assert n > 4000
    assert abs(t["cloudy"].mean() - p) < 4.0 * np.sqrt(p * (1 - p) / n)
    np.testing.assert_array_equal(t["useful"], ~t["cloudy"])
    assert not eo_frames(eph_two, aoi="all", cloud_fraction=0.0, seed=3)["cloudy"].any()
    assert eo_frames(eph_two, aoi="all", cloud_fraction=1.0, seed=3)["cloudy"].all()


def _assert_tables_equal(a: Table, b: Table) -> None:
    assert a.columns == b.columns
    for k in a.columns:
        np.testing.assert_array_equal(a[k], b[k])


def test_eo_same_seed_same_table(eph_two):
    a = eo_frames(eph_two, aoi="land", seed=11)
    b = eo_frames(eph_two, aoi="land", seed=11)
    c = eo_frames(eph_two, aoi="land", seed=12)
    _assert_tables_equal(a, b)
    assert not np.array_equal(a["cloudy"], c["cloudy"])
    np.testing.assert_array_equal(a["frames"], c["frames"])
    # two satellites, rows ordered by time then satellite
    assert set(np.unique(a["satellite"]).tolist()) == {0, 1}
    key = a["time"].astype(np.int64) * 2 + a["satellite"]
    assert np.all(np.diff(key) > 0)


def test_eo_chunking_does_not_change_clouds_or_counts(eph_two):
    whole = eo_frames(eph_two, aoi="all", min_sun_elevation_deg=-90.0, seed=5)
    half = eph_two.n_times // 2
    parts = []
    for sl in (slice(0, half + 1), slice(half, None)):
        sub = Ephemeris(eph_two.times[sl], eph_two.r_eci_m[sl], None)
        parts.append(eo_frames(sub, aoi="all", min_sun_elevation_deg=-90.0, seed=5))
    for k in ("frames", "cloudy", "satellite"):
        np.testing.assert_array_equal(whole[k], np.concatenate([p[k] for p in parts]))


def test_geojson_polygon_restricts_frames(eph_day, tmp_path):
    poly = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[-20, -40], [40, -40], [40, 40], [-20, 40], [-20, -40]]],
                },
            }
        ],
    }
    path = tmp_path / "aoi.geojson"
    path.write_text(json.dumps(poly))
    t = eo_frames(eph_day, aoi=str(path), min_sun_elevation_deg=-90.0, seed=0)
    assert len(t) > 50
    assert np.all((t["lon_deg"] >= -20) & (t["lon_deg"] <= 40))
    assert np.all((t["lat_deg"] >= -40) & (t["lat_deg"] <= 40))
    # the same box as a shapely geometry gives the same table; everything inside is kept
    g = eo_frames(eph_day, aoi=box(-20, -40, 40, 40), min_sun_elevation_deg=-90.0, seed=0)
    _assert_tables_equal(t, g)
    allsky = eo_frames(eph_day, aoi="all", min_sun_elevation_deg=-90.0, seed=0)
    inside = (
        (allsky["lon_deg"] > -20)
        & (allsky["lon_deg"] < 40)
        & (allsky["lat_deg"] > -40)
        & (allsky["lat_deg"] < 40)
    )
    assert inside.sum() == len(t)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cloud_fraction": 1.5},
        {"min_sun_elevation_deg": 100.0},
        {"aoi": 42},
        {"aoi": "/nonexistent/aoi.geojson"},
        {"aoi": {"type": "Polygon", "coordinates": "nope"}},
        {"model": "llm-8b"},
        {"model": "no-such-model"},
        {"seed": 1.5},
    ],
)
def test_eo_bad_input(eph_two, kwargs):
    with pytest.raises(InputError):
        eo_frames(eph_two, **kwargs)


def test_eo_bad_ephemeris():
    with pytest.raises(InputError):
        eo_frames(np.zeros((3, 3)))


# --------------------------------------------------------------------------- inference


def _profile_reference(h, a=0.5):
    """Independent closed form: 1 - a cos(pi (h - 5)/16) on [5, 21], 1 + a cos(pi (h - 21)/8)."""
    h = np.remainder(h, 24.0)
    hh = np.where(h < 5.0, h + 24.0, h)
    return np.where(
        hh <= 21.0, 1 - a * np.cos(np.pi * (hh - 5) / 16), 1 + a * np.cos(np.pi * (hh - 21) / 8)
    )


def test_diurnal_profile_shape():
    h = np.linspace(0, 24, 24 * 600, endpoint=False)
    f = diurnal_profile(h)
    np.testing.assert_allclose(f, _profile_reference(h), atol=1e-12)
    assert f.mean() == pytest.approx(1.0, abs=1e-9)
    assert diurnal_profile(21.0) == pytest.approx(1.5)
    assert diurnal_profile(5.0) == pytest.approx(0.5)
    assert h[np.argmax(f)] == pytest.approx(21.0, abs=0.01)


def test_diurnal_profile_halves_equal_both_halves_and_a_choice():
    """Each half evaluated on its own entries gives the values of both halves evaluated
    everywhere and a choice between them, bit for bit (the form the request generator used)."""
    h = np.random.default_rng(3).uniform(-50.0, 50.0, 20_000)
    h[:6] = [5.0, 21.0, 0.0, 24.0, -19.0, np.nan]
    x = np.remainder(h - 5.0, 24.0)
    both = np.where(
        x <= 16.0,
        1.0 - 0.3 * np.cos(np.pi * x / 16.0),
        1.0 + 0.3 * np.cos(np.pi * (x - 16.0) / 8.0),
    )
    np.testing.assert_array_equal(diurnal_profile(h, 0.3), both)
    np.testing.assert_array_equal(diurnal_profile(h.reshape(100, 200), 0.3), both.reshape(100, 200))
    assert np.ndim(diurnal_profile(7.5)) == 0


def test_city_draw_is_numpys_choice():
    """The request generator's city draw is ``Generator.choice`` with probabilities: the same
    draws and the same generator state after, for this numpy."""
    from spacecompute.workloads.inference import _choice

    w = np.random.default_rng(0).random(300) ** 3
    w /= w.sum()
    for seed in range(20):
        n = int(np.random.default_rng(seed).integers(0, 5000))
        a, b = np.random.default_rng(seed), np.random.default_rng(seed)
        np.testing.assert_array_equal(_choice(a, w, n), b.choice(len(w), size=n, p=w))
        assert a.random() == b.random()


def _one_city(lon=0.0):
    return Table(
        {
            "name": np.array(["X"], dtype=object),
            "lat_deg": np.array([10.0]),
            "lon_deg": np.array([lon]),
            "population": np.array([1000]),
        }
    )


def test_inference_total_count_poisson():
    rate = 0.05
    t = inference_requests(START, 86400.0, rate_per_s_global=rate, seed=7, top_cities=200)
    mean = rate * 86400.0  # diurnal profile has daily mean 1 -> exact expectation over a day
    assert abs(len(t) - mean) < 4.0 * np.sqrt(mean)
    assert np.all(np.diff(t["time"].astype(np.int64)) >= 0)
    assert t["time"].min() >= np.datetime64("2026-04-15T00:00:00")
    assert t["time"].max() < np.datetime64("2026-04-16T00:00:00")
    np.testing.assert_array_equal(t["deadline"] - t["time"], np.timedelta64(5, "s"))
    np.testing.assert_allclose(t["ops"], (t["tokens_in"] + t["tokens_out"]) * 2 * 8e9)
    np.testing.assert_allclose(t["input_bytes"], 4.0 * t["tokens_in"])
    # log-normal tokens: median ~ 1020
    assert np.median(t["tokens_in"]) == pytest.approx(1020, rel=0.1)


def test_inference_evening_beats_night_and_thinning_histogram():
    rate = 1.0
    t = inference_requests(START, 86400.0, rate_per_s_global=rate, seed=1, city_table=_one_city())
    hour = (t["time"] - np.datetime64("2026-04-15", "ns")).astype(np.int64) / 3.6e12
    counts = np.bincount(hour.astype(int), minlength=24)[:24]
    evening = counts[20:22].sum()
    night = counts[4:6].sum()
    assert evening > 2.0 * night
    # histogram vs the intensity integrated over each hour (lon 0: local = UTC)
    fine = np.linspace(0, 24, 24 * 3600, endpoint=False) + 0.5 / 3600
    expected = rate * 3600.0 * _profile_reference(fine).reshape(24, -1).mean(axis=1)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 49.7  # chi-square, 23 dof, p = 0.001


def test_inference_local_time_shift():
    # a city at 90 E sees its 21:00 peak at 15:00 UTC
    t = inference_requests(
        START, 86400.0, rate_per_s_global=1.0, seed=2, city_table=_one_city(lon=90.0)
    )
    hour = (t["time"] - np.datetime64("2026-04-15", "ns")).astype(np.int64) // 3_600_000_000_000
    counts = np.bincount(hour, minlength=24)
    assert counts[14:16].sum() > 2.0 * counts[22:24].sum()  # 20-22 local vs 04-06 local


def test_inference_seed():
    kw = {"rate_per_s_global": 0.02, "top_cities": 100}
    a = inference_requests(START, 3600.0, seed=4, **kw)
    b = inference_requests(START, 3600.0, seed=4, **kw)
    c = inference_requests(START, 3600.0, seed=5, **kw)
    _assert_tables_equal(a, b)
    assert len(a) != len(c) or not np.array_equal(a["time"], c["time"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_per_s_global": -1.0},
        {"rate_per_s_global": 1.0, "model": "nope"},
        {"rate_per_s_global": 1.0, "latency_objective_s": 0.0},
        {"rate_per_s_global": 1.0, "amplitude": 2.0},
        {"rate_per_s_global": 1e9},
    ],
)
def test_inference_bad_input(kwargs):
    with pytest.raises(InputError):
        inference_requests(START, 3600.0, seed=0, top_cities=10, **kwargs)


# --------------------------------------------------------------------------- batch / training


def test_ring_allreduce_by_hand():
    # 1 GB, p = 8, 100 Gbps, 1 ms: 2 x 7/8 x 8e9 bit / 1e11 bit/s + 14 x 1e-3 = 0.14 + 0.014
    assert ring_allreduce_time_s(1e9, 8, 100e9, 1e-3) == pytest.approx(0.154, rel=1e-12)
    assert ring_allreduce_time_s(1e9, 1, 100e9, 1e-3) == 0.0
    # bandwidth term tends to 2 n / B for large p
    big = ring_allreduce_time_s(1e9, 10_000, 100e9, 0.0)
    assert big == pytest.approx(2 * 8e9 / 100e9, rel=1e-3)
    vec = ring_allreduce_time_s(np.array([1e9, 2e9]), np.array([2, 4]), 8e9, 0.0)
    np.testing.assert_allclose(vec, [1.0, 3.0])  # 2 x 1/2 x 8e9/8e9 ; 2 x 3/4 x 16e9/8e9


def test_data_parallel_step_by_hand():
    # 1e15 FLOP over 10 sats at 1e14 FLOP/s = 1 s; all-reduce 1 GB at 100 Gbps, 1 ms, p = 10:
    # 2 x 9/10 x 0.08 + 18e-3 = 0.162 s
    got = data_parallel_step_time_s(1e15, 10, 1e14, 1e9, 100e9, 1e-3)
    assert got == pytest.approx(1.162, rel=1e-12)


@pytest.mark.parametrize(
    "args",
    [(1e9, 0, 1e9, 0.0), (1e9, 2.5, 1e9, 0.0), (-1.0, 2, 1e9, 0.0), (1e9, 2, 0.0, 0.0)],
)
def test_ring_bad_input(args):
    with pytest.raises(InputError):
        ring_allreduce_time_s(*args)


def test_training_jobs():
    rate, dur = 1e-3, 5 * 86400.0
    t = training_jobs(START, dur, rate_per_s=rate, seed=9)
    assert abs(len(t) - rate * dur) < 4 * np.sqrt(rate * dur)
    n = t["params"]
    assert n.min() >= 1e8 - 1 and n.max() <= 1e10 + 1
    np.testing.assert_allclose(t["total_ops"], 6.0 * n * 20.0 * n)  # C = 6 N D, D = 20 N
    np.testing.assert_allclose(t["memory_bytes"], 16.0 * n)
    np.testing.assert_allclose(t["checkpoint_bytes"], 12.0 * n)
    assert set(np.unique(t["parallelism"]).tolist()) <= {1, 2, 4, 8, 16, 32, 64}
    work = (t["deadline"] - t["arrival"]).astype(np.int64) / 1e9
    np.testing.assert_allclose(work, 2.0 * t["total_ops"] / (t["parallelism"] * 1e14), rtol=1e-6)
    # log-uniform: median of log10 N ~ 9
    assert np.median(np.log10(n)) == pytest.approx(9.0, abs=0.3)
    _assert_tables_equal(t, training_jobs(START, dur, rate_per_s=rate, seed=9))


def test_batch_jobs():
    t = batch_jobs(START, 86400.0, rate_per_s=0.01, seed=1)
    assert abs(len(t) - 864) < 4 * np.sqrt(864)
    assert t["total_ops"].min() >= 1e15 and t["total_ops"].max() <= 1e19
    np.testing.assert_allclose(t["checkpoint_bytes"], t["memory_bytes"])
    assert np.all(t["deadline"] > t["arrival"])
    other = batch_jobs(START, 86400.0, rate_per_s=0.01, seed=2)
    assert len(other) != len(t) or not np.array_equal(other["total_ops"], t["total_ops"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_per_s": -1.0},
        {"rate_per_s": 0.01, "ops_range": (1e10, 1e9)},
        {"rate_per_s": 0.01, "max_parallelism": 0},
        {"rate_per_s": 0.01, "deadline_slack": 0.5},
    ],
)
def test_batch_bad_input(kwargs):
    with pytest.raises(InputError):
        batch_jobs(START, 86400.0, seed=0, **kwargs)
