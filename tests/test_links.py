"""Tests of spacecompute.network.links against published figures and closed forms.

References used as independent checks:
- Suncatcher: Google, "Towards a future space-based, highly scalable AI infrastructure system
  design", arXiv:2511.19468 (2025), link budget: gains 105.1 dB, ~1.6 uW at 5,000 km, divergence
  18.9 urad, spot radius ~95 m, 1.39 / 71 / 196 photons per bit (Shannon / OOK / PM-16QAM).
- ETSI EN 302 307-1 V1.4.1, Table 13 (DVB-S2 MODCODs).
- ITU-R P.525-4 eq. (6) for free-space loss; ITU-R P.676-12 values computed with ITU-Rpy 0.4.0.
- Hypatia (Kassing et al., IMC 2020), Starlink 550 km shell: max_isl_length_m = 5016591.2.
- cote sample X-band link (Denby and Lucia, ASPLOS 2020).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M
from spacecompute.errors import InputError
from spacecompute.network.links import (
    DVBS2_MODCODS,
    GroundTerminal,
    OpticalTerminal,
    RadioTerminal,
    antenna_diameter_m,
    atmospheric_loss_db,
    beam_divergence_rad,
    dvbs2_best_modcod,
    free_space_path_loss_db,
    isl_feasible,
    line_of_sight,
    max_isl_range_m,
    optical_gain_db,
    optical_link_budget,
    optical_max_range_m,
    optical_rate_bps,
    optical_received_power_w,
    photon_energy_j,
    radio_link_budget,
    slant_range_m,
    spot_radius_m,
    terminal,
    terminals,
)

R = EARTH_EQUATORIAL_RADIUS_M
WL = 1.55e-6

# ---------------------------------------------------------------------------------------------
# Optical: Suncatcher link budget (arXiv:2511.19468)
# ---------------------------------------------------------------------------------------------


def test_suncatcher_aperture_gain_is_105_1_db():
    # arXiv:2511.19468: 10 cm aperture, ~80 % efficiency, 1.55 um -> 105.1 dB.
    assert optical_gain_db(0.10, WL, 0.80) == pytest.approx(105.1, abs=0.1)
    assert terminal("suncatcher-isl").gain_db == pytest.approx(105.1, abs=0.1)


def test_suncatcher_divergence_and_spot_radius():
    # arXiv:2511.19468: divergence ~ 1.22 lambda / D = 18.9 urad; spot radius ~95 m at 5,000 km.
    assert beam_divergence_rad(0.10, WL) == pytest.approx(18.9e-6, rel=0.005)
    assert spot_radius_m(5.0e6, 0.10, WL) == pytest.approx(95.0, abs=1.0)


def test_suncatcher_received_power_at_5000_km():
    # arXiv:2511.19468: 5 W, 105.1 dB each way, -3 dB other losses, 5,000 km -> ~1.6 uW.
    sc = terminal("suncatcher-isl")
    budget = optical_link_budget(sc, sc, 5.0e6)
    assert budget.received_power_w == pytest.approx(1.6e-6, rel=0.05)
    assert budget.divergence_rad == pytest.approx(18.9e-6, rel=0.005)
    assert budget.spot_radius_m == pytest.approx(95.0, abs=1.0)
    assert budget.losses_db == pytest.approx(3.0)
    # free-space loss by hand: 20 log10(4 pi 5e6 / 1.55e-6) = 20 log10(4.0537e13) = 272.157 dB
    assert budget.path_loss_db == pytest.approx(272.157, abs=0.01)
    # the same budget from the generic Friis function, in dB by hand:
    # 6.990 dBW + 2 x 105.167 dB - 272.157 dB - 3 dB = -57.833 dBW = 1.647 uW
    p = optical_received_power_w(5.0, 105.167, 105.167, WL, 5.0e6, 3.0)
    assert 10 * math.log10(p) == pytest.approx(-57.833, abs=0.01)


def test_photon_energy_matches_electronvolt_rule():
    # E[eV] = 1239.84198 / lambda[nm] (CODATA 2018 hc), 1 eV = 1.602176634e-19 J
    expected = 1239.84198 / 1550.0 * 1.602176634e-19
    assert photon_energy_j(WL) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("photons_per_bit", "lo_bps", "hi_bps"),
    [
        (1.39, 8e12, 1e13),  # Shannon: 1.6e-6 / (1.39 x 1.2816e-19) = 8.98 Tbps
        (71.0, 1.6e11, 1.9e11),  # OOK: 176 Gbps
        (196.0, 5.8e10, 7.0e10),  # PM-16QAM: 63.7 Gbps
    ],
)
def test_photons_per_bit_rate_at_suncatcher_power(photons_per_bit, lo_bps, hi_bps):
    # rate = P / (N_ppb h c / lambda), at the paper's 1.6 uW (arXiv:2511.19468)
    rate = optical_rate_bps(1.6e-6, WL, photons_per_bit)
    assert lo_bps < rate < hi_bps
    by_hand = 1.6e-6 / (photons_per_bit * 1239.84198 / 1550.0 * 1.602176634e-19)
    assert rate == pytest.approx(by_hand, rel=1e-6)


def test_suncatcher_rate_and_cap():
    sc = terminal("suncatcher-isl")
    far = optical_link_budget(sc, sc, np.array([5.0e6, 1.0e5]))
    # 1.647 uW / (196 x 1.2816e-19 J) = 65.6 Gbps: far below the 9.6 Tbps DWDM capacity
    assert far.rate_bps[0] == pytest.approx(65.6e9, rel=0.01)
    assert far.margin_db[0] < 0
    # at 100 km the received power is 2500 x larger -> capped at 24 x 400G = 9.6 Tbps
    assert far.rate_bps[1] == pytest.approx(9.6e12)
    # inside the cluster (100 m) the beam is fully collected: never more than P_tx less losses
    near = optical_link_budget(sc, sc, 100.0)
    assert near.received_power_w == pytest.approx(5.0 * 10 ** (-0.3))
    assert near.rate_bps == pytest.approx(9.6e12)


def test_optical_max_range_closed_form():
    sc = terminal("suncatcher-isl")
    d = optical_max_range_m(sc, sc, 65.6e9)
    # the inverse of the budget above: 65.6 Gbps closes at ~5,000 km
    assert d == pytest.approx(5.0e6, rel=0.01)
    at_d = optical_link_budget(sc, sc, d)
    assert at_d.received_power_w == pytest.approx(196.0 * photon_energy_j(WL) * 65.6e9, rel=1e-9)


def test_scot80_catalog_consistent_with_datasheet():
    # Tesat: 10 Gbps up to 8,000 km (Via Satellite, 2024-05-28). Optics are assumptions chosen
    # to match; this checks that the catalog entry and the model agree with the claim.
    scot = terminal("tesat-scot80")
    assert scot.max_rate_bps == 10e9
    assert scot.max_range_m == 8.0e6
    assert 8.0e6 <= optical_max_range_m(scot, scot) <= 9.0e6
    assert optical_link_budget(scot, scot, 8.0e6).rate_bps == pytest.approx(10e9)


def test_threebody_rate_from_announcement():
    tb = terminal("threebody-isl-100g")
    assert tb.max_rate_bps == 100e9
    assert "photons_per_bit" in tb.assumed
    assert optical_link_budget(tb, tb, 1.0e6).rate_bps == pytest.approx(100e9)


@settings(max_examples=60, deadline=None)
@given(
    d1=st.floats(min_value=1e4, max_value=1e8),
    k=st.floats(min_value=1.001, max_value=100.0),
)
def test_received_power_decreases_as_inverse_square(d1, k):
    sc = terminal("suncatcher-isl")
    p1 = optical_link_budget(sc, sc, d1).received_power_w
    p2 = optical_link_budget(sc, sc, d1 * k).received_power_w
    assert p2 < p1
    assert p2 * k * k == pytest.approx(p1, rel=1e-9)


def test_optical_inputs_rejected():
    sc = terminal("suncatcher-isl")
    with pytest.raises(InputError) as err:
        optical_link_budget(sc, sc, np.array([1e6, -5.0]))
    assert err.value.problems[0].field == "distance_m"
    with pytest.raises(InputError):
        optical_gain_db(0.1, WL, 1.5)
    other = dataclasses.replace(sc, name="c-band-1530", wavelength_m=1.06e-6)
    with pytest.raises(InputError, match="different wavelengths"):
        optical_link_budget(sc, other, 1e6)
    with pytest.raises(InputError) as err:
        OpticalTerminal("x", -1.0, 0.1, 0.8, WL, 1e9, 100.0)
    assert err.value.problems[0].field == "tx_power_w"


# ---------------------------------------------------------------------------------------------
# Radio: free-space loss, slant range, atmosphere, DVB-S2, link budget
# ---------------------------------------------------------------------------------------------


def test_free_space_path_loss_textbook_value():
    # ITU-R P.525-4 eq. (6): L = 32.45 + 20 log10(f / MHz) + 20 log10(d / km)
    #   = 32.4478 + 20 log10(8150) + 20 log10(1000) = 32.4478 + 78.2232 + 60.0 = 170.671 dB
    assert free_space_path_loss_db(1.0e6, 8.15e9) == pytest.approx(170.671, abs=0.005)
    # vectorized; 6 dB per doubling of distance
    loss = free_space_path_loss_db(np.array([1e6, 2e6, 4e6]), 8.15e9)
    assert np.diff(loss) == pytest.approx([6.0206, 6.0206], abs=1e-4)


def test_slant_range_limits():
    h = 550e3
    assert slant_range_m(90.0, h) == pytest.approx(h, rel=1e-12)
    assert slant_range_m(0.0, h) == pytest.approx(math.sqrt((R + h) ** 2 - R**2), rel=1e-12)


@pytest.mark.parametrize("elevation_deg", [5.0, 10.0, 25.0, 45.0, 70.0])
def test_slant_range_matches_central_angle_form(elevation_deg):
    # SMAD 3rd ed. section 5.2: nadir angle eta = asin(R cos e / (R + h)),
    # Earth central angle lam = 90 deg - e - eta, range D = R sin(lam) / sin(eta)
    h = 550e3
    e = math.radians(elevation_deg)
    eta = math.asin(R * math.cos(e) / (R + h))
    lam = math.pi / 2 - e - eta
    expected = R * math.sin(lam) / math.sin(eta)
    assert slant_range_m(elevation_deg, h) == pytest.approx(expected, rel=1e-9)
    arr = slant_range_m(np.array([elevation_deg, 90.0]), h)
    assert arr.shape == (2,)


def test_fallback_table_against_itu_values():
    # The fallback without itur (zenith table x 1/sin e):
    # zenith: P.676-12 gas 0.0459 dB + P.618-13 rain (99 %) 0.047 dB at 8.15 GHz
    assert atmospheric_loss_db(90.0, 8.15e9, use_itur=False) == pytest.approx(0.093, abs=0.005)
    # cosecant law: 30 deg is twice the zenith value
    z = atmospheric_loss_db(90.0, 26e9, use_itur=False)
    assert atmospheric_loss_db(30.0, 26e9, use_itur=False) == pytest.approx(2 * z, rel=1e-9)
    # gas only, against ITU-R P.676-12 slant-path values (ITU-Rpy 0.4.0, exact mode, standard
    # atmosphere) that were not used to build the zenith table: 1.593 dB at 10 deg, 3.088 dB
    # at 5 deg, 26 GHz; 0.260 dB at 10 deg, 8.15 GHz
    assert atmospheric_loss_db(10.0, 26e9, None, use_itur=False) == pytest.approx(1.593, abs=0.05)
    assert atmospheric_loss_db(5.0, 26e9, None, use_itur=False) == pytest.approx(3.088, abs=0.15)
    assert atmospheric_loss_db(10.0, 8.15e9, None, use_itur=False) == pytest.approx(0.260, abs=0.01)
    with pytest.raises(InputError):
        atmospheric_loss_db(30.0, 100e9, use_itur=False)
    with pytest.raises(InputError):
        atmospheric_loss_db(30.0, 8e9, availability=0.95, use_itur=False)


@pytest.mark.parametrize("use_itur", [False, None])
def test_atmospheric_loss_shape_and_order(use_itur):
    if use_itur is None:
        pytest.importorskip("itur")
    el = np.linspace(0.0, 90.0, 181)
    loss = atmospheric_loss_db(el, 26e9, use_itur=use_itur)
    # falls with elevation (P.618's rain rises again within a few degrees of zenith, where its
    # horizontal reduction factor turns), finite at the horizon
    assert np.all(np.diff(loss[el <= 85.0]) < 0)
    assert np.isfinite(loss[0])
    # continuous where the cosecant hands over to the curved layer (5 deg)
    assert atmospheric_loss_db(4.999999, 26e9, use_itur=use_itur) == pytest.approx(
        atmospheric_loss_db(5.0, 26e9, use_itur=use_itur), rel=1e-5
    )

    def a(e, f, p=0.99):
        return atmospheric_loss_db(e, f, p, use_itur=use_itur)

    assert a(20.0, 26e9, 0.999) > a(20.0, 26e9, 0.99) > a(20.0, 26e9, None)
    assert a(20.0, 26e9) > a(20.0, 8.15e9)
    with pytest.raises(InputError):
        a(95.0, 8e9)
    with pytest.raises(InputError):
        a(30.0, 100e9)
    with pytest.raises(InputError):
        a(30.0, 8e9, 0.2)


@pytest.mark.parametrize(
    ("name", "esn0_db", "efficiency"),
    [
        # ETSI EN 302 307-1 V1.4.1 Table 13
        ("QPSK 1/4", -2.35, 0.490243),
        ("QPSK 1/2", 1.00, 0.988858),
        ("8PSK 3/4", 7.91, 2.228124),
        ("16APSK 2/3", 8.97, 2.637201),
        ("32APSK 9/10", 16.05, 4.453027),
    ],
)
def test_dvbs2_table_matches_etsi(name, esn0_db, efficiency):
    by_name = {m.name: m for m in DVBS2_MODCODS}
    assert by_name[name].esn0_db == esn0_db
    assert by_name[name].spectral_efficiency == pytest.approx(efficiency, abs=1e-6)


def test_dvbs2_table_monotone():
    assert len(DVBS2_MODCODS) == 28
    for mod in ("QPSK", "8PSK", "16APSK", "32APSK"):
        rows = [m for m in DVBS2_MODCODS if m.modulation == mod]
        rates = [eval(m.code_rate) for m in rows]  # e.g. "3/4" -> 0.75
        assert rates == sorted(rates)
        assert all(np.diff([m.esn0_db for m in rows]) > 0)
        assert all(np.diff([m.spectral_efficiency for m in rows]) > 0)
    # the chosen MODCOD's efficiency never falls as Es/N0 rises
    esn0 = np.linspace(-5.0, 20.0, 2501)
    idx = dvbs2_best_modcod(esn0)
    eff = np.where(idx >= 0, [DVBS2_MODCODS[i].spectral_efficiency for i in idx], 0.0)
    assert np.all(np.diff(eff) >= 0)


def test_dvbs2_best_modcod_thresholds():
    names = [m.name for m in DVBS2_MODCODS]
    assert dvbs2_best_modcod(-2.36) == -1
    assert names[dvbs2_best_modcod(-2.35)] == "QPSK 1/4"
    assert names[dvbs2_best_modcod(7.91)] == "8PSK 3/4"
    # 8.97 dB reaches 16APSK 2/3 (2.637 bit/symbol), better than 8PSK 3/4
    assert names[dvbs2_best_modcod(9.0)] == "16APSK 2/3"
    assert names[dvbs2_best_modcod(30.0)] == "32APSK 9/10"
    # a 1 dB implementation margin moves each threshold up by 1 dB
    assert names[dvbs2_best_modcod(8.91, margin_db=1.0)] == "8PSK 3/4"
    assert dvbs2_best_modcod(np.array([[-10.0, 16.05]])).shape == (1, 2)


def test_cote_xband_link_by_hand():
    # cote sample: 2 W, -1 dB line, 6 dBi, 8.15 GHz, 20 MHz; ground 44.1 dBi, T_sys 144.6 K.
    radio = terminal("cote-xband")
    ground = terminal("cote-ground-xband")
    b = radio_link_budget(radio, ground, 500e3, 90.0)
    # link equation by hand (SMAD eq. 13-13), all in dB:
    #   EIRP  = 10 log10(2) - 1 + 6            =   8.0103 dBW
    #   FSPL  = 32.4478 + 78.2232 + 53.9794    = 164.6504 dB (8150 MHz, 500 km)
    #   G/T   = 44.1 - 10 log10(144.6)         =  22.4983 dB/K
    #   -k    = 228.5991 dB(W/K/Hz)
    #   C/N0  = 8.0103 - 164.6504 + 22.4983 + 228.5991 - A_atm = 94.4573 - A_atm dBHz
    #   Rs    = 20 MHz / 1.35 = 14.8148 MBd -> 71.7070 dB; Es/N0 = 22.7503 - A_atm dB
    assert b.eirp_dbw == pytest.approx(8.0103, abs=1e-3)
    assert b.path_loss_db == pytest.approx(164.6504, abs=1e-3)
    assert b.g_over_t_db_k == pytest.approx(22.4983, abs=1e-3)
    # ITU-R P.618 at the reference site (Paris, 99 %) for a 2.65 m antenna (44.1 dBi at 8.15 GHz,
    # eta 0.5): about 0.2 dB at zenith (0.093 dB in the fallback table without clouds and
    # scintillation)
    assert b.atmospheric_loss_db == pytest.approx(
        atmospheric_loss_db(90.0, 8.15e9, antenna_diameter_m=antenna_diameter_m(44.1, 8.15e9))
    )
    assert 0.05 < b.atmospheric_loss_db < 0.3
    assert b.cn0_dbhz == pytest.approx(94.4573 - b.atmospheric_loss_db, abs=2e-3)
    assert b.esn0_db == pytest.approx(22.7503 - b.atmospheric_loss_db, abs=2e-3)
    # Es/N0 ~ 22.7 dB clears 32APSK 9/10 (16.05 dB): 14.8148 MBd x 4.453027 = 65.97 Mbps
    assert b.modcod == "32APSK 9/10"
    assert b.rate_bps == pytest.approx(20e6 / 1.35 * 4.453027, rel=1e-9)
    assert 1e7 < b.rate_bps < 2e8
    assert b.ebn0_db == pytest.approx(b.esn0_db - 10 * math.log10(4.453027), abs=1e-9)
    # cote's own rate model, Shannon: 20 MHz x log2(1 + C/N), C/N = C/N0 - 73.0103 dB
    cn = 10 ** ((b.cn0_dbhz - 10 * math.log10(20e6)) / 10)
    assert b.shannon_rate_bps == pytest.approx(20e6 * math.log2(1 + cn), rel=1e-9)
    assert b.rate_bps < b.shannon_rate_bps


def test_radio_budget_vectorized_and_masked():
    radio = terminal("cote-xband")
    ground = terminal("cote-ground-xband")
    el = np.array([-5.0, 5.0, 10.0, 30.0, 90.0])
    rng = slant_range_m(np.clip(el, 0, 90), 500e3)
    b = radio_link_budget(radio, ground, rng, el)
    assert b.rate_bps.shape == (5,)
    # below the 10 deg mask: no link
    assert b.rate_bps[0] == 0 and b.rate_bps[1] == 0 and b.modcod[1] == ""
    assert np.isnan(b.margin_db[0])
    assert np.all(np.diff(b.rate_bps[2:]) >= 0)
    # the radio's cap applies
    capped = dataclasses.replace(radio, max_rate_bps=10e6)
    assert np.max(radio_link_budget(capped, ground, rng, el).rate_bps) == pytest.approx(10e6)
    # an implementation margin can only lower the rate
    b3 = radio_link_budget(radio, ground, rng, el, implementation_margin_db=3.0)
    assert np.all(b3.rate_bps <= b.rate_bps)


def test_ka_link_rate_class():
    # Hi-SIDE Ka transmitter (1 GBaud, 5 Gbps) to a 7.3 m station at 550 km, 30 deg elevation:
    # the DVB-S2 table caps it at 1 GBaud x 4.453 = 4.45 Gbps, a "several Gbps" class link
    radio = terminal("hiside-ka")
    ground = terminal("ka-ground-7m3")
    b = radio_link_budget(radio, ground, slant_range_m(30.0, 550e3), 30.0)
    assert radio.symbol_rate_baud == pytest.approx(1e9)
    assert 1e9 < b.rate_bps <= 5e9


def test_radio_terminal_validation():
    with pytest.raises(InputError) as err:
        RadioTerminal("bad", frequency_hz=8e9, bandwidth_hz=0.0, tx_power_w=1, antenna_gain_dbi=3)
    assert err.value.problems[0].field == "bandwidth_hz"
    with pytest.raises(InputError):
        GroundTerminal("bad", antenna_gain_dbi=40.0, system_noise_temperature_k=-1.0)
    with pytest.raises(InputError):
        slant_range_m(-1.0, 500e3)


# ---------------------------------------------------------------------------------------------
# Line of sight
# ---------------------------------------------------------------------------------------------


def _on_circle(radius_m, angle_rad):
    return np.array([radius_m * math.cos(angle_rad), radius_m * math.sin(angle_rad), 0.0])


def test_los_opposite_blocked_close_clear():
    h = 550e3
    a = _on_circle(R + h, 0.0)
    assert line_of_sight(a, -a) is False
    assert line_of_sight(a, _on_circle(R + h, math.radians(5.0))) is True
    # the same satellite twice, and a satellite below the grazing altitude
    assert line_of_sight(a, a) is True
    assert line_of_sight(_on_circle(R + 50e3, 0.0), _on_circle(R + 50e3, 0.01)) is False


def test_max_isl_range_hypatia_starlink():
    # Hypatia, Starlink 550 km shell, R = 6378135 m (WGS72), grazing 80 km:
    # max_isl_length_m = 5016591.2 in its generated description.txt
    assert max_isl_range_m(550e3, 550e3, 80e3, earth_radius_m=6378135.0) == pytest.approx(
        5016591.2, abs=0.1
    )


@pytest.mark.parametrize(("h1", "h2"), [(550e3, 550e3), (500e3, 1200e3)])
def test_los_boundary_matches_closed_form(h1, h2):
    g = 80e3
    r1, r2 = R + h1, R + h2
    a = _on_circle(r1, 0.0)
    lo, hi = 0.01, math.pi - 0.01  # clear at lo, blocked at hi
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if line_of_sight(a, _on_circle(r2, mid), g):
            lo = mid
        else:
            hi = mid
    boundary = float(np.linalg.norm(_on_circle(r2, lo) - a))
    expected = math.sqrt(r1**2 - (R + g) ** 2) + math.sqrt(r2**2 - (R + g) ** 2)
    assert boundary == pytest.approx(expected, abs=1.0)
    assert float(max_isl_range_m(h1, h2, g)) == pytest.approx(expected, abs=1e-6)


def test_los_vectorized_over_time_and_edges():
    rng = np.random.default_rng(7)
    r1 = rng.normal(size=(4, 6, 3))
    r2 = rng.normal(size=(4, 6, 3))
    r1 *= (R + rng.uniform(300e3, 2000e3, size=(4, 6, 1))) / np.linalg.norm(r1, axis=-1)[..., None]
    r2 *= (R + rng.uniform(300e3, 2000e3, size=(4, 6, 1))) / np.linalg.norm(r2, axis=-1)[..., None]
    out = line_of_sight(r1, r2)
    assert out.shape == (4, 6) and out.dtype == bool
    one_by_one = np.array([[line_of_sight(r1[t, e], r2[t, e]) for e in range(6)] for t in range(4)])
    assert np.array_equal(out, one_by_one)
    assert 0 < out.sum() < out.size  # both outcomes occur in this sample
    # broadcasting one satellite against many
    assert line_of_sight(r1[0, 0], r2[0]).shape == (6,)


def test_isl_feasible_uses_terminal_range():
    h = 550e3
    a = _on_circle(R + h, 0.0)
    b = _on_circle(R + h, math.radians(40.0))  # chord 2 (R + h) sin 20 deg = 4,739 km, in sight
    assert line_of_sight(a, b) is True
    assert isl_feasible(a, b) is True
    assert isl_feasible(a, b, max_range_m=4.5e6) is False
    assert isl_feasible(a, b, terminal("tesat-scot80").max_range_m) is True


def test_los_input_errors():
    with pytest.raises(InputError):
        line_of_sight(np.zeros((3, 2)), np.zeros((3, 2)))
    with pytest.raises(InputError):
        max_isl_range_m(50e3, 550e3, 80e3)


finite_coord = st.floats(min_value=-3 * R, max_value=3 * R, allow_nan=False)
vector = st.tuples(finite_coord, finite_coord, finite_coord)


@settings(max_examples=200, deadline=None)
@given(a=vector, b=vector, g=st.floats(min_value=0.0, max_value=200e3))
def test_los_symmetric(a, b, g):
    a, b = np.array(a), np.array(b)
    assert line_of_sight(a, b, g) == line_of_sight(b, a, g)


# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------


def test_catalog_entries_have_source_and_date():
    cat = terminals()
    assert {"suncatcher-isl", "tesat-scot80", "threebody-isl-100g", "cote-xband"} <= set(cat)
    assert set(terminals("ground")) == {"cote-ground-xband", "ka-ground-7m3"}
    for t in cat.values():
        assert t.source and t.date
        assert dataclasses.is_dataclass(t)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cat["suncatcher-isl"].tx_power_w = 10.0  # type: ignore[misc]


def test_catalog_suncatcher_values():
    sc = terminal("SUNCATCHER-ISL")
    assert isinstance(sc, OpticalTerminal)
    assert sc.tx_power_w == 5.0 and sc.max_rate_bps == 9.6e12
    assert sc.tx_loss_db + sc.rx_loss_db == pytest.approx(3.0)
    x = terminal("cote-xband")
    assert isinstance(x, RadioTerminal)
    assert (x.frequency_hz, x.bandwidth_hz, x.tx_power_w, x.antenna_gain_dbi) == (
        8.15e9,
        20e6,
        2.0,
        6.0,
    )
    assert terminal("cote-ground-xband").antenna_gain_dbi == 44.1


def test_unknown_terminal_suggests():
    with pytest.raises(InputError) as err:
        terminal("suncatcher")
    assert "suncatcher-isl" in str(err.value)
    assert err.value.problems[0].field == "terminal"
    with pytest.raises(InputError):
        terminals("laser")


@pytest.mark.parametrize("name", ["suncatcher-isl", "tesat-scot80"])
def test_optical_rate_at_equals_the_budget_bit_for_bit(name):
    from spacecompute.network.links import optical_rate_at_bps

    term = terminal(name)
    rng = np.random.default_rng(3)
    d = np.concatenate([[1e-3, 1.0, 4e3, 5e6, 1e8], 10.0 ** rng.uniform(-3, 8, 2000)])
    want = np.asarray(optical_link_budget(term, term, d).rate_bps)
    got = optical_rate_at_bps(term, term, d)
    np.testing.assert_array_equal(got, want)
    assert got.min() < got.max()  # both the capped and the power-limited regimes
    with pytest.raises(InputError, match="distance_m"):
        optical_rate_at_bps(term, term, np.array([1.0, np.nan]))
