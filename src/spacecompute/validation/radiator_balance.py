"""Radiator balance against the published figures.

Ours: :func:`spacecompute.spacecraft.thermal.radiator_flux_w_m2` (Stefan-Boltzmann, gray
two-sided panel facing 0 K space) and the transient node of
:func:`spacecompute.spacecraft.thermal.thermal_step`. References: 770 W/m2 for a two-sided
radiator of emissivity 0.92 at 20 C (Starcloud, "Why we should train AI in space", white paper
2024; also the project's reference notes), and the white paper's net 633.08 W/m2 after 137 W/m2
absorbed from the sun, albedo and Earth infrared.
"""

from __future__ import annotations

import numpy as np

from ..spacecraft.thermal import radiator_flux_w_m2, thermal_params, thermal_state, thermal_step
from .check import Check

STARCLOUD = "Starcloud white paper (2024)"


def checks() -> list[Check]:
    gross = float(radiator_flux_w_m2(293.15, 0.92, sides=2))
    net = float(radiator_flux_w_m2(293.15, 0.92, sides=2, absorbed_w_per_m2=137.0))
    # the same balance closed by the transient model: 1 m2 carrying 633.08 W with 137 W absorbed
    p = thermal_params(1, radiator_area_m2=1.0, heat_capacity_j_per_k=5.0e3, emissivity=0.92)
    s = thermal_state(1, 250.0)
    for _ in range(200):  # 25 time constants
        thermal_step(p, s, 60.0, np.array([633.08]), np.array([137.0]))
    return [
        Check(
            "two-sided radiator at 20 C, emissivity 0.92: emitted flux",
            STARCLOUD,
            gross,
            770.0,
            1.0,
            "W/m2",
        ),
        Check(
            "same, net of 137 W/m2 absorbed from the environment",
            STARCLOUD,
            net,
            633.08,
            1.0,
            "W/m2",
        ),
        Check(
            "transient node carrying 633.08 W/m2 + 137 W/m2: equilibrium",
            STARCLOUD + " (20 C)",
            float(s.temperature_k[0]),
            293.15,
            0.1,
            "K",
        ),
    ]
