"""Optical and radio link budgets against their published examples.

Optical: :func:`spacecompute.network.links.optical_link_budget` with the catalog's
``suncatcher-isl`` terminal against the worked example of Google's Suncatcher study
(arXiv:2511.19468, 2025: 10 cm apertures at 80 % efficiency, 1.55 um, 5 W, 3 dB of other
losses, 5,000 km). Radio: :func:`~spacecompute.network.links.free_space_path_loss_db` against
ITU-R P.525-4 eq. (6) and :func:`~spacecompute.network.links.radio_link_budget` for cote's
X-band downlink (Denby and Lucia, ASPLOS 2020, sample configuration: 2 W, -1 dB line, 6 dBi,
8.15 GHz, 20 MHz; ground 44.1 dBi, 144.6 K) against the link equation of SMAD 3rd ed.
eq. 13-13 worked by hand, and the DVB-S2 rate of ETSI EN 302 307-1 Table 13.
"""

from __future__ import annotations

import math

from ..network.links import (
    free_space_path_loss_db,
    optical_gain_db,
    optical_link_budget,
    radio_link_budget,
    terminal,
)
from .check import Check

SUNCATCHER = "Suncatcher, arXiv:2511.19468"


def checks() -> list[Check]:
    sc = terminal("suncatcher-isl")
    b = optical_link_budget(sc, sc, 5.0e6)
    radio, ground = terminal("cote-xband"), terminal("cote-ground-xband")
    r = radio_link_budget(radio, ground, 500e3, 90.0)
    # P.525-4 eq. (6): L = 32.45 + 20 log f(MHz) + 20 log d(km)
    p525 = 32.45 + 20 * math.log10(8150.0) + 20 * math.log10(1000.0)
    return [
        Check(
            "optical aperture gain, 10 cm at 80 %, 1.55 um",
            SUNCATCHER,
            float(optical_gain_db(0.10, 1.55e-6, 0.80)),
            105.1,
            0.1,
            "dB",
        ),
        Check(
            "beam divergence 1.22 lambda / D", SUNCATCHER, b.divergence_rad * 1e6, 18.9, 0.1, "urad"
        ),
        Check("spot radius at 5,000 km", SUNCATCHER, b.spot_radius_m, 95.0, 1.0, "m"),
        Check(
            "received power at 5,000 km (5 W, 3 dB losses)",
            SUNCATCHER,
            b.received_power_w * 1e6,
            1.6,
            0.08,
            "uW",
            note="the paper rounds: 6.99 dBW + 2 x 105.17 dB - 272.16 dB - 3 dB = 1.647 uW",
        ),
        Check(
            "free-space loss, 8.15 GHz over 1,000 km",
            "ITU-R P.525-4 eq. (6)",
            float(free_space_path_loss_db(1.0e6, 8.15e9)),
            p525,
            0.01,
            "dB",
        ),
        Check(
            "cote X-band, 500 km zenith: C/N0 before the atmosphere",
            "SMAD 3rd ed. eq. 13-13 by hand (94.4573 dBHz)",
            float(r.cn0_dbhz + r.atmospheric_loss_db),
            94.4573,
            2e-3,
            "dBHz",
        ),
        Check(
            "cote X-band, 500 km zenith: DVB-S2 rate (32APSK 9/10)",
            "ETSI EN 302 307-1 Table 13: 20 MHz / 1.35 x 4.453027",
            float(r.rate_bps) / 1e6,
            20.0 / 1.35 * 4.453027,
            1e-6,
            "Mbps",
        ),
    ]
