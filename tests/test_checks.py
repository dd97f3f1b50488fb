"""Tests of element-set consistency checks, numbers worked out by hand from Kepler's third law.

WGS72 constants written out here independently of the code: mu = 398600.8 km^3/s^2,
R_e = 6378.135 km (Vallado et al., AIAA 2006-6753).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import pytest

from spacecompute.astro.checks import check_elements, implied_mean_altitude_m
from spacecompute.astro.elements import element_set
from spacecompute.astro.elements_io import read_elements

DATA = Path(__file__).parent / "data" / "tle"
MU_KM3_S2 = 398600.8
RE_KM = 6378.135
EPOCH_JD = 2461120.5  # 2026-03-21 00:00 UTC


def rev_day_for_altitude_km(alt_km: float) -> float:
    a = RE_KM + alt_km
    return math.sqrt(MU_KM3_S2 / a**3) * 86400.0 / (2.0 * math.pi)


def make(n=1, rev_day=15.06, ecc=0.0001, inc_deg=53.0, **kw):
    return element_set(
        catalog_number=np.arange(n) + 90000,
        epoch_jd=EPOCH_JD,
        epoch_fr=0.25,
        mean_motion_rad_s=np.asarray(rev_day, dtype=float) * 2.0 * math.pi / 86400.0,
        eccentricity=ecc,
        inclination_rad=np.radians(inc_deg),
        raan_rad=0.0,
        arg_perigee_rad=0.0,
        mean_anomaly_rad=0.0,
        source_line=np.arange(n) * 3 + 1,
        source_file="shell.tle",
        **kw,
    )


def test_implied_altitude_matches_kepler_by_hand():
    # 13.66 rev/day: n = 9.93387e-4 rad/s, a = (mu / n^2)^(1/3) = 7392.2 km -> 1014 km
    n = 13.66 * 2 * math.pi / 86400
    a_km = (MU_KM3_S2 / n**2) ** (1 / 3)
    assert a_km == pytest.approx(7392.2, abs=0.1)
    assert implied_mean_altitude_m(n) / 1000 == pytest.approx(a_km - RE_KM, abs=1e-6)
    for alt in (300.0, 550.0, 1200.0, 35786.0):
        n = rev_day_for_altitude_km(alt) * 2 * math.pi / 86400
        assert implied_mean_altitude_m(n) == pytest.approx(alt * 1000, abs=1e-3)


def test_hypatia_issue_33_mean_motion_contradicts_shell_altitude():
    problems = check_elements(make(rev_day=13.66), stated_altitude_m=550e3)
    assert len(problems) == 1
    p = problems[0]
    assert p.severity == "error"
    assert "13.66 rev/day" in p.message and "1014 km" in p.message and "550 km" in p.message
    assert p.file == "shell.tle" and p.line == 1
    assert "90000" in p.message  # names the satellite


def test_consistent_mean_motion_has_no_problem():
    # 15.06 rev/day is 548.9 km with these constants
    assert check_elements(make(rev_day=15.06), stated_altitude_m=550e3) == []
    assert rev_day_for_altitude_km(550.0) == pytest.approx(15.05, abs=0.02)


def test_altitude_warning_band():
    warn = check_elements(make(rev_day=rev_day_for_altitude_km(600.0)), stated_altitude_m=550e3)
    assert [p.severity for p in warn] == ["warning"]
    assert "600 km" in warn[0].message
    assert (
        check_elements(make(rev_day=rev_day_for_altitude_km(570.0)), stated_altitude_m=550e3) == []
    )
    err = check_elements(make(rev_day=rev_day_for_altitude_km(651.0)), stated_altitude_m=550e3)
    assert [p.severity for p in err] == ["error"]


def test_low_perigee_flagged():
    # perigee 120 km, apogee 600 km: a = R + 360 km, e = 240 km / a
    a = RE_KM + 360.0
    e = 240.0 / a
    rev_day = math.sqrt(MU_KM3_S2 / a**3) * 86400 / (2 * math.pi)
    problems = check_elements(make(rev_day=rev_day, ecc=e))
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "perigee altitude of 120 km" in problems[0].message
    assert check_elements(make(rev_day=rev_day_for_altitude_km(160.0), ecc=0.0)) == []


@pytest.mark.parametrize("ecc", [1.2, 1.0, -0.1])
def test_bad_eccentricity_flagged(ecc):
    problems = check_elements(make(ecc=ecc))
    assert [p.field for p in problems] == ["eccentricity"]
    assert problems[0].severity == "error" and f"{ecc:g}" in problems[0].message


@pytest.mark.parametrize("column", ["mean_motion_rad_s", "bstar", "inclination_rad", "epoch_fr"])
def test_nan_flagged(column):
    el = make(n=3)
    getattr(el, column)[1] = np.nan
    problems = check_elements(el, stated_altitude_m=550e3, at_time="2026-03-21T00:00:00Z")
    assert len(problems) == 1
    assert problems[0].severity == "error" and "not a finite number" in problems[0].message
    assert problems[0].line == 4
    el = make(n=2)
    el.raan_rad[0] = np.inf
    assert "right ascension" in check_elements(el)[0].field


def test_inclination_and_mean_motion_ranges():
    assert check_elements(make(inc_deg=190.0))[0].field == "inclination"
    assert check_elements(make(inc_deg=-1.0))[0].field == "inclination"
    assert check_elements(make(inc_deg=180.0)) == []
    for bad in (0.0, -15.0):
        problems = check_elements(make(rev_day=bad))
        assert [p.field for p in problems] == ["mean motion"]
        assert "not positive" in problems[0].message


def test_epoch_age_warning():
    el = make()
    assert check_elements(el, at_time=np.datetime64("2026-04-01T06:00")) == []  # 11 days
    problems = check_elements(el, at_time=np.datetime64("2026-04-10T06:00"))  # 20 days
    assert [p.severity for p in problems] == ["warning"]
    assert "20.0 days before" in problems[0].message and "km per day" in problems[0].message
    problems = check_elements(el, at_time="2026-03-01T06:00:00Z")
    assert "20.0 days after" in problems[0].message
    assert check_elements(el, at_time="2026-04-10T06:00:00Z", max_epoch_age_days=30) == []


def test_a_few_offenders_are_listed_one_by_one():
    rev = np.full(1000, 15.06)
    rev[[10, 500, 999]] = 13.66
    problems = check_elements(make(n=1000, rev_day=rev), stated_altitude_m=550e3)
    assert [p.line for p in problems] == [31, 1501, 2998]
    assert all("1014 km" in p.message for p in problems)


def test_million_satellites_one_systematic_error_is_summarized():
    n = 1_000_000
    el = make(n=n, rev_day=13.66)
    t0 = time.perf_counter()
    problems = check_elements(el, stated_altitude_m=550e3, at_time="2026-03-22T00:00:00Z")
    elapsed = time.perf_counter() - t0
    assert len(problems) == 1
    msg = problems[0].message
    assert msg.startswith("1,000,000 satellites:")
    assert "13.66 rev/day" in msg and "550 km" in msg
    assert "90000" in msg and "90001" in msg and "999,997 more" in msg
    assert elapsed < 5.0


def test_real_constellations_have_no_errors():
    for name in ["starlink-2026-03-23.tle", "by-constellation/kuiper-2026-03-19.tle"]:
        el, _ = read_elements(DATA / name)
        problems = check_elements(el, at_time="2026-03-20T00:00:00Z")
        assert [p for p in problems if p.severity == "error"] == []
    # Kuiper shells: 590, 610 and 630 km (FCC 20-102, 2020); the 210 satellites (630 km shell) include
    # ones still raising their orbits, reported together as warnings/errors, never one each
    el, _ = read_elements(DATA / "by-constellation/kuiper-2026-03-19.tle")
    assert len(check_elements(el, stated_altitude_m=630e3)) <= 2


def test_empty_set():
    assert check_elements(make(n=0)) == []
