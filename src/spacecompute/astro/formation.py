"""Compact satellite clusters flying in formation (e.g. Google's Suncatcher cluster).

A cluster is a virtual chief on a circular orbit and N members on passive relative orbits around
it. Members use the *projected circular orbit* (PCO) family of Hill/Clohessy-Wiltshire relative
motion: radial x = (rho/2) cos(u + alpha), along-track y = -rho sin(u + alpha), cross-track
z = rho cos(u + alpha), so that seen along the radial direction the formation is a disc of radius
``radius_m`` that turns once per orbit, while radial offsets make neighbour distances breathe.
Members are placed on a Vogel (sunflower) spiral inside the disc, which spaces them evenly.

Relative motion is mapped to mean elements with the linear relative-orbit-element relations
(D'Amico, "Autonomous formation flying in low Earth orbit", PhD thesis, TU Delft 2010, eq. 2.22):
x = -a (dex cos u + dey sin u), y = a (du + dO cos i) + 2 a (dex sin u - dey cos u),
z = a (di sin u - dO sin i cos u).

Sources for the Suncatcher design: Google, "Towards a future space-based, highly scalable AI
infrastructure system design", arXiv:2511.19468 (2025): 81 satellites within a 1 km radius at a
mean altitude of 650 km in a dawn-dusk sun-synchronous orbit.
"""

from __future__ import annotations

import math

import numpy as np

from .constants import EARTH_RADIUS_WGS72_M, TWO_PI
from .elements import ElementSet, element_set
from .timeutil import datetime64_to_jd, parse_time
from .walker import mean_motion_from_altitude_rad_s


def vogel_disc(count: int, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points evenly spread over a disc (Vogel 1979 sunflower spiral): (rho_m, angle_rad)."""
    k = np.arange(count, dtype=np.float64)
    rho = radius_m * np.sqrt((k + 0.5) / count)
    golden_angle = math.pi * (3.0 - math.sqrt(5.0))
    return rho, np.remainder(k * golden_angle, TWO_PI)


def cluster_elements(
    *,
    count: int,
    radius_m: float,
    altitude_m: float,
    inclination_rad: float,
    raan_rad: float,
    epoch: object,
    shell_index: int = 0,
    name: str = "CLUSTER",
) -> ElementSet:
    """Mean elements of a PCO formation cluster around a circular chief orbit (see module doc)."""
    a = EARTH_RADIUS_WGS72_M + altitude_m
    rho, alpha = vogel_disc(count, radius_m)
    dex = -(rho / (2.0 * a)) * np.cos(alpha)
    dey = (rho / (2.0 * a)) * np.sin(alpha)
    d_inc = -(rho / a) * np.sin(alpha)
    sin_i = math.sin(inclination_rad)
    d_raan = -(rho / a) * np.cos(alpha) / (sin_i if abs(sin_i) > 1e-6 else 1e-6)
    d_u = -d_raan * math.cos(inclination_rad)
    ecc = np.hypot(dex, dey)
    argp = np.where(ecc > 0, np.arctan2(dey, dex), 0.0)
    u = d_u  # chief's argument of latitude is 0 at epoch
    mean_anomaly = np.remainder(u - argp, TWO_PI)
    jd, fr = datetime64_to_jd(np.array([parse_time(epoch, field="epoch")]))
    return element_set(
        catalog_number=np.full(count, -1, dtype=np.int64),
        epoch_jd=jd[0],
        epoch_fr=fr[0],
        mean_motion_rad_s=mean_motion_from_altitude_rad_s(altitude_m),
        eccentricity=ecc,
        inclination_rad=inclination_rad + d_inc,
        raan_rad=np.remainder(raan_rad + d_raan, TWO_PI),
        arg_perigee_rad=np.remainder(argp, TWO_PI),
        mean_anomaly_rad=mean_anomaly,
        shell=shell_index,
        plane=0,
        slot=np.arange(count, dtype=np.int32),
        name_prefix=name,
    )


__all__ = ["cluster_elements", "vogel_disc"]
