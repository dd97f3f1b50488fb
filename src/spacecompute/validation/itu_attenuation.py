"""ITU-R attenuation on Earth-space paths against ITU-Rpy called directly.

Ours: :func:`spacecompute.network.links.atmospheric_loss_db`, which tabulates ITU-Rpy
(ITU-R P.618-13 section 2.5: gases P.676-12, rain P.618-13, clouds P.840-8, scintillation) per
station and frequency on a 1-deg elevation grid and interpolates. Reference: ITU-Rpy 0.4.0's
``atmospheric_attenuation_slant_path`` at the exact elevation (1 m antenna, eta 0.5), computed
for the cases below and stored here. Off the grid the two differ by the interpolation only.
Without the optional ``itur`` package the budget falls back to a zenith table scaled by
1/sin(e), which these checks then fail (it has no clouds or scintillation and overstates
rain at low elevation: 5.26 dB of rain at 26 GHz, 10 deg, 99 % in Paris, against P.618's 3.70 dB).
"""

from __future__ import annotations

from ..network.atmosphere import itur_available
from ..network.links import atmospheric_loss_db
from .check import Check

CITATION = "ITU-Rpy 0.4.0, ITU-R P.618-13"

#: (site, lat, lon, alt_m, f_GHz, elevation_deg, availability, total attenuation dB) from
#: ITU-Rpy 0.4.0 (see the module docstring).
REFERENCE = (
    ("Paris", 48.85, 2.35, 100.0, 8.2, 7.3, 0.99, 1.8478),
    ("Paris", 48.85, 2.35, 100.0, 12.0, 15.5, 0.99, 1.5884),
    ("Paris", 48.85, 2.35, 100.0, 26.0, 10.0, 0.99, 11.4585),
    ("Paris", 48.85, 2.35, 100.0, 26.0, 44.7, 0.999, 7.9973),
    ("Paris", 48.85, 2.35, 100.0, 30.0, 10.0, 0.999, 25.4641),
    ("Singapore", 1.35, 103.82, 20.0, 8.2, 20.5, 0.999, 7.2548),
    ("Singapore", 1.35, 103.82, 20.0, 12.0, 30.2, 0.99, 3.1911),
    ("Singapore", 1.35, 103.82, 20.0, 30.0, 60.4, 0.99, 13.3863),
)


_NOTES = {
    ("Paris", 26.0, 10.0): "the project's former 1/sin(e) zenith table (now the fallback without "
    "itur) had 5.26 dB of rain here where P.618 has 3.70 dB, and no clouds (4.2 dB) or "
    "scintillation (1.4 dB); gases at 1 % humidity add 3.4 dB",
}


def checks() -> list[Check]:
    fallback = "" if itur_available() else "itur not installed: the 1/sin(e) fallback table. "
    out = []
    for site, lat, lon, alt, f_ghz, el, avail, ref in REFERENCE:
        note = fallback + _NOTES.get((site, f_ghz, el), "")
        ours = float(
            atmospheric_loss_db(
                el,
                f_ghz * 1e9,
                avail,
                lat_deg=lat,
                lon_deg=lon,
                alt_m=alt,
                antenna_diameter_m=1.0,
            )
        )
        out.append(
            Check(
                f"{site}, {f_ghz:g} GHz, {el:g} deg, {avail:.1%} of the year",
                CITATION,
                ours,
                ref,
                max(0.005 * ref, 0.01),
                "dB",
                note=note,
            )
        )
    return out
