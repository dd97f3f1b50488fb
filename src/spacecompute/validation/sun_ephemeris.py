"""Sun position against an independent ephemeris.

Ours: :func:`spacecompute.astro.sun.sun_position_eci_m` (the Astronomical Almanac's low-precision
formulae, section C, rotated to TEME). Reference: astropy 8.0.2's built-in ephemeris
(``get_body('sun', t, ephemeris='builtin')`` transformed to astropy's ``TEME`` frame, apparent
geocentric position, IERS auto-download off), computed once for the instants below and stored
here, since astropy is only a test dependency; ``tests/test_sun.py`` repeats the comparison
live at 400 random instants from 2000 to 2050. The Almanac states its formulae to 0.01 deg in
right ascension and declination from 1950 to 2050.
"""

from __future__ import annotations

import numpy as np

from ..astro.sun import sun_position_eci_m
from .check import Check

CITATION = "astropy 8.0.2 builtin ephemeris, TEME"

#: (UTC instant, x, y, z in km, TEME) from astropy 8.0.2 (see the module docstring).
REFERENCE_KM = (
    ("2000-01-01T12:00:00", 26484767.0, -132761157.6, -57554635.1),
    ("2010-06-21T00:00:00", 1220512.8, 139473296.5, 60466010.0),
    ("2020-03-20T03:50:00", 148987236.4, 11821.2, 233.0),
    ("2024-09-22T12:00:00", -150135485.7, 69553.3, 31320.0),
    ("2026-03-20T00:00:00", 148953167.2, -1463208.0, -632359.2),
    ("2026-12-21T15:00:00", -641747.6, -135023435.2, -58534590.9),
    ("2035-07-04T06:00:00", -31985044.2, 136437187.3, 59132110.9),
    ("2049-11-11T18:00:00", -95632638.4, -103760998.4, -44971738.0),
)


def checks() -> list[Check]:
    times = np.array([t for t, *_ in REFERENCE_KM], dtype="datetime64[ns]")
    ref = np.array([xyz for _, *xyz in REFERENCE_KM]) * 1e3
    ours = sun_position_eci_m(times)
    cos = np.sum(ref * ours, axis=1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(ours, axis=1)
    sep_deg = np.rad2deg(np.arccos(np.clip(cos, -1.0, 1.0)))
    out = [
        Check(
            f"sun direction {t[:10]}: angle from the reference",
            CITATION,
            float(s),
            0.0,
            0.01,
            "deg",
        )
        for (t, *_), s in zip(REFERENCE_KM, sep_deg, strict=True)
    ]
    rel = np.linalg.norm(ours, axis=1) / np.linalg.norm(ref, axis=1) - 1.0
    worst = int(np.argmax(np.abs(rel)))
    out.append(
        Check(
            "sun distance: largest relative error of the 8",
            CITATION,
            float(rel[worst]),
            0.0,
            2e-4,
            "",
        )
    )
    return out
