"""ITU-R slant-path attenuation of the radio budget against ITU-Rpy called directly.

The budget tabulates ITU-Rpy once per (station, frequency, availability) on a 1-deg grid and
interpolates, so off the grid it may differ from a direct call by the interpolation only.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from spacecompute.network import atmosphere
from spacecompute.network.links import atmospheric_loss_db

itur = pytest.importorskip("itur")

# Paris (temperate, the reference site), Singapore (tropical), Svalbard (polar, high station)
SITES = [(48.85, 2.35, 100.0), (1.35, 103.82, 20.0), (78.23, 15.39, 500.0)]
ELEVATIONS = np.array([5.0, 7.3, 10.0, 15.5, 20.0, 30.0, 44.7, 60.0, 75.2, 90.0])


@pytest.fixture(autouse=True)
def fresh_tables(tmp_path, monkeypatch):
    """Every test computes its tables from ITU-Rpy: an empty process cache and cache folder."""
    monkeypatch.setenv("SPACECOMPUTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(atmosphere, "_TABLES", {})


def direct(lat, lon, alt_m, f_ghz, el, p, d_m):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = itur.atmospheric_attenuation_slant_path(
            np.full(el.shape, lat), np.full(el.shape, lon), f_ghz, el, p, d_m, hs=alt_m / 1e3
        )
    return np.asarray(a.value)


@pytest.mark.parametrize("f_ghz", [8.2, 12.0, 26.0, 30.0])
@pytest.mark.parametrize("availability", [0.99, 0.999])
def test_matches_itur_across_elevations(f_ghz, availability):
    p = round(100 * (1 - availability), 6)
    for lat, lon, alt in SITES[: 3 if f_ghz == 26.0 else 2]:
        ours = atmospheric_loss_db(
            ELEVATIONS,
            f_ghz * 1e9,
            availability,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            antenna_diameter_m=2.0,
        )
        ref = direct(lat, lon, alt, f_ghz, ELEVATIONS, p, 2.0)
        # on the grid (whole degrees) it is ITU-Rpy itself; between, the interpolation of
        # A sin(e) on a 1-deg grid stays within 0.5 % (0.05 dB floor)
        on_grid = ELEVATIONS == np.round(ELEVATIONS)
        np.testing.assert_allclose(ours[on_grid], ref[on_grid], rtol=1e-9)
        np.testing.assert_allclose(ours, ref, rtol=5e-3, atol=0.05)


def test_clear_sky_is_gas_only_and_sites_vectorise():
    el = np.array([10.0, 30.0, 90.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gas = itur.atmospheric_attenuation_slant_path(
            np.full(3, 48.85),
            np.full(3, 2.35),
            26.0,
            el,
            50.0,
            1.0,
            hs=0.1,
            include_rain=False,
            include_clouds=False,
            include_scintillation=False,
        ).value
    np.testing.assert_allclose(atmospheric_loss_db(el, 26e9, None), gas, rtol=1e-9)
    # two stations in one call: each element gets its own site's value
    lat = np.array([SITES[0][0], SITES[1][0]])
    lon = np.array([SITES[0][1], SITES[1][1]])
    alt = np.array([SITES[0][2], SITES[1][2]])
    both = atmospheric_loss_db(np.array([20.0, 20.0]), 26e9, lat_deg=lat, lon_deg=lon, alt_m=alt)
    one = [atmospheric_loss_db(20.0, 26e9, lat_deg=a, lon_deg=b, alt_m=c) for a, b, c in SITES[:2]]
    np.testing.assert_allclose(both, one, rtol=1e-12)
    assert both[1] > both[0]  # the tropics rain more


def test_issue_values_rain_only():
    # issue 14: P.618 rain at Paris, 26 GHz, 10 deg, exceeded 1 % of the year: 3.70 dB (the
    # cosecant table had 5.26 dB)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rain = itur.rain_attenuation(48.85, 2.35, 26.0, 10.0, hs=0.1, p=1.0, tau=45).value
    assert rain == pytest.approx(3.70, abs=0.01)
    assert atmospheric_loss_db(10.0, 26e9, use_itur=False) > 5.26 + 1.0  # table: rain + gas


def test_fallback_warns_once(monkeypatch):
    from spacecompute.network import links

    monkeypatch.setattr(atmosphere, "itur_available", lambda: False)
    monkeypatch.setattr(links, "_fallback_warned", False)
    with pytest.warns(RuntimeWarning, match="itur"):
        a = atmospheric_loss_db(30.0, 26e9)
    assert a == pytest.approx(atmospheric_loss_db(30.0, 26e9, use_itur=False))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        atmospheric_loss_db(30.0, 26e9)  # no second warning


def test_no_network_at_run_time(monkeypatch):
    # ITU-Rpy's maps ship in its wheel: a new station's table is computed with sockets refused
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network refused by the test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    a = atmospheric_loss_db(25.0, 20e9, 0.995, lat_deg=-33.9, lon_deg=18.4, alt_m=10.0)
    assert 0.5 < a < 20.0


def test_tables_are_kept_on_disk_and_reused_without_itur(tmp_path, monkeypatch):
    args = (np.array([12.0, 47.0]), 26e9, 0.99)
    site = {"lat_deg": 1.35, "lon_deg": 103.82, "alt_m": 20.0}
    first = atmospheric_loss_db(*args, **site)
    files = list((tmp_path / "cache" / "itur").glob("*.npy"))
    assert len(files) == 1

    # a new process (empty process cache) reads the file and never calls ITU-Rpy
    monkeypatch.setattr(atmosphere, "_TABLES", {})

    def no_itur(*a, **k):
        raise AssertionError("ITU-Rpy called although the table is cached")

    monkeypatch.setattr(atmosphere, "_itur_table", no_itur)
    np.testing.assert_array_equal(atmospheric_loss_db(*args, **site), first)

    # another ITU-Rpy version, or a damaged file, is never read
    monkeypatch.setattr(atmosphere, "_TABLES", {})
    monkeypatch.setattr(atmosphere, "itur_version", lambda: "0.0-other")
    with pytest.raises(AssertionError, match="ITU-Rpy called"):
        atmospheric_loss_db(*args, **site)
    monkeypatch.undo()
    monkeypatch.setenv("SPACECOMPUTE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(atmosphere, "_TABLES", {})
    files[0].write_bytes(b"damaged")
    np.testing.assert_allclose(atmospheric_loss_db(*args, **site), first, rtol=1e-12)
