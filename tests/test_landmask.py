"""The bit-packed land mask answers exactly as ``global_land_mask.globe.is_land``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacecompute.workloads import landmask


@pytest.fixture(scope="module")
def globe():
    from global_land_mask import globe  # the reference: decompresses the full 890 MiB mask

    return globe


def test_random_points_match_the_reference(globe):
    rng = np.random.default_rng(7)
    lat = rng.uniform(-90.0, 90.0, 200_000)
    lon = rng.uniform(-180.0, 180.0, 200_000)
    ours = landmask.is_land(lat, lon)
    assert np.array_equal(ours, globe.is_land(lat.copy(), lon.copy()))
    # a land fraction near the Earth's 29 %, counting lakes and ice shelves as land
    assert 0.28 < ours.mean() < 0.36


def test_grid_edges_poles_and_antimeridian_match(globe):
    m = landmask.packed_mask()
    lat = np.array([90.0, -90.0, m.lat_min, m.lat_max, 0.0, 45.0, -45.0, 89.999, -89.999])
    lon = np.array([180.0, -180.0, m.lon_min, m.lon_max, 179.9999, -179.9999, 0.0, 2.35, 13.4])
    lat_g, lon_g = np.meshgrid(lat, lon)
    ours = landmask.is_land(lat_g, lon_g)
    assert ours.shape == lat_g.shape
    assert np.array_equal(ours, globe.is_land(lat_g.copy(), lon_g.copy()))


def test_known_places():
    # Paris, the middle of the Pacific, Antarctica's interior, Lake Victoria (a lake is land)
    lat = np.array([48.8566, 0.0, -80.0, -1.0])
    lon = np.array([2.3522, -150.0, 30.0, 33.0])
    assert landmask.is_land(lat, lon).tolist() == [True, False, True, True]


@settings(max_examples=200, deadline=None)
@given(
    st.floats(-90.0, 90.0, allow_nan=False),
    st.floats(-180.0, 180.0, allow_nan=False),
)
def test_any_point_matches_the_reference(globe, lat, lon):
    assert landmask.is_land(np.array([lat]), np.array([lon]))[0] == bool(
        globe.is_land(np.array([lat]), np.array([lon]))[0]
    )


def _small_source(path, seed):
    """A 30 x 61 mask in the source's layout (lat descending, lon ascending)."""
    rng = np.random.default_rng(seed)
    mask = rng.random((30, 61)) < 0.7
    lat = np.linspace(90.0, -84.0, 30)
    lon = np.linspace(-180.0, 180.0, 61, endpoint=False)
    np.savez_compressed(path, mask=mask, lat=lat, lon=lon)
    return mask, lat, lon


def test_cache_is_built_once_reused_and_keyed_by_its_source(tmp_path, monkeypatch):
    source = tmp_path / "source.npz"
    cache = tmp_path / "cache"
    mask, lat, lon = _small_source(source, seed=1)
    monkeypatch.setenv("SPACECOMPUTE_CACHE_DIR", str(cache))
    monkeypatch.setattr(landmask, "_source_npz", lambda: source)
    landmask.packed_mask.cache_clear()
    try:
        built = landmask.packed_mask()
        files = sorted(p.name for p in cache.iterdir())
        assert len(files) == 1 and files[0].startswith("landmask-v") and files[0].endswith(".npy")
        assert isinstance(built.packed, np.memmap)
        # every cell centre answers as the unpacked source (ocean bits -> not land)
        lat_g, lon_g = np.meshgrid(lat, lon, indexing="ij")
        assert np.array_equal(landmask.is_land(lat_g, lon_g), ~mask)

        # a damaged cache file is rebuilt, never trusted
        (cache / files[0]).write_bytes(b"not a mask")
        landmask.packed_mask.cache_clear()
        assert np.array_equal(landmask.is_land(lat_g, lon_g), ~mask)

        # another source (a new global_land_mask release) never reuses the old file
        mask2, _, _ = _small_source(source, seed=2)
        landmask.packed_mask.cache_clear()
        assert np.array_equal(landmask.is_land(lat_g, lon_g), ~mask2)
        assert len(list(cache.iterdir())) == 2
        assert not list(cache.glob("*.tmp"))
    finally:
        landmask.packed_mask.cache_clear()
