"""Eclipse durations against the closed form at several beta angles.

Ours: a circular orbit sampled every 10 s, the shadow margin of
:func:`spacecompute.astro.eclipse.shadow_margin_m` and the eclipse windows of
:func:`spacecompute.astro.eclipse.eclipse_events` (crossings interpolated on the margin).
Reference: the cylindrical shadow's closed form written out here, duration
``T / pi x acos(sqrt(h^2 + 2 R h) / ((R + h) cos beta))`` (Rickman, NASA TFAWS 2014; no
eclipse above ``beta* = asin(R / (R + h))``).
"""

from __future__ import annotations

import math

import numpy as np

from ..astro.constants import AU_M, EARTH_EQUATORIAL_RADIUS_M, MU_EARTH_M3_S2
from ..astro.eclipse import eclipse_events, shadow_margin_m, sunlit_fraction_from_positions
from .check import Check

CITATION = "closed form, Rickman (NASA TFAWS 2014)"
ALTITUDE_M = 550e3
BETAS_DEG = (0.0, 30.0, 50.0, 65.0)
STEP_S = 10.0


def circular_orbit(radius_m: float, beta_rad: float, theta: np.ndarray) -> tuple[np.ndarray, ...]:
    """Positions and velocities (T, 3) on a circle whose plane is at ``beta`` to a sun on +x;
    ``theta`` = 0 is the subsolar point."""
    u1 = np.array([math.cos(beta_rad), 0.0, -math.sin(beta_rad)])
    u2 = np.array([0.0, 1.0, 0.0])
    speed = math.sqrt(MU_EARTH_M3_S2 / radius_m)
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    return radius_m * (c * u1 + s * u2), speed * (-s * u1 + c * u2)


def closed_form_eclipse_s(altitude_m: float, beta_rad: float) -> float:
    r_e = EARTH_EQUATORIAL_RADIUS_M
    radius = r_e + altitude_m
    period = 2 * math.pi * math.sqrt(radius**3 / MU_EARTH_M3_S2)
    arg = math.sqrt(altitude_m**2 + 2 * r_e * altitude_m) / (radius * math.cos(beta_rad))
    return period / math.pi * math.acos(arg) if arg < 1.0 else 0.0


def checks() -> list[Check]:
    radius = EARTH_EQUATORIAL_RADIUS_M + ALTITUDE_M
    n = math.sqrt(MU_EARTH_M3_S2 / radius**3)
    t = np.arange(0.0, 2 * math.pi / n, STEP_S)
    times = np.datetime64("2026-03-20T00:00:00", "ns") + (t * 1e9).astype("timedelta64[ns]")
    sun = np.tile([AU_M, 0.0, 0.0], (t.size, 1))
    out = []
    for beta_deg in BETAS_DEG:
        r, _ = circular_orbit(radius, math.radians(beta_deg), n * t)
        r = r[:, None, :]
        sunlit = sunlit_fraction_from_positions(r, sun, "cylindrical")
        ev = eclipse_events(times, sunlit, margin=shadow_margin_m(r, sun))
        inside = ~(ev["starts_before"] | ev["ends_after"])
        ours = float(np.sum(ev["duration_s"][inside]))
        out.append(
            Check(
                f"eclipse at {ALTITUDE_M / 1e3:.0f} km, beta {beta_deg:g} deg",
                CITATION,
                ours,
                closed_form_eclipse_s(ALTITUDE_M, math.radians(beta_deg)),
                1.0,
                "s",
            )
        )
    return out
