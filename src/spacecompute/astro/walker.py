"""Walker constellations: delta (RAAN over 360 deg) and star (RAAN over 180 deg) patterns.

A Walker pattern i: T/P/F places T satellites in P equally spaced circular orbit planes with the
same inclination; the phase offset between satellites of adjacent planes is F * 360 / T degrees.
Source: J. G. Walker, "Satellite constellations", J. British Interplanetary Society 37 (1984)
559-572; and Wertz, "Space Mission Engineering: The New SMAD" (2011), section 10.4.

Satellites are generated as SGP4 mean element sets (circular, no drag) so that both propagators
take them. The altitude is the Keplerian mean altitude: semi-major axis a = R_eq + h with WGS72's
R_eq = 6378.135 km, and the mean motion is n = sqrt(mu / a^3) (WGS72 mu), as in Hypatia's
generator (Kassing et al., IMC 2020).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from .constants import EARTH_RADIUS_WGS72_M, MU_WGS72_M3_S2, TWO_PI
from .elements import ElementSet, element_set
from .timeutil import datetime64_to_jd, parse_time

DEFAULT_EPOCH = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class WalkerShell:
    """One Walker shell: ``total`` satellites in ``planes`` planes with phasing ``phasing``."""

    total: int
    planes: int
    phasing: int
    altitude_m: float
    inclination_rad: float
    raan_spread_rad: float = TWO_PI
    raan_offset_rad: float = 0.0
    kind: str = "delta"
    name: str = ""

    @property
    def per_plane(self) -> int:
        return self.total // self.planes

    @property
    def semi_major_axis_m(self) -> float:
        return EARTH_RADIUS_WGS72_M + self.altitude_m

    @property
    def mean_motion_rad_s(self) -> float:
        return math.sqrt(MU_WGS72_M3_S2 / self.semi_major_axis_m**3)

    def validate(self, field: str = "shell") -> None:
        """Raise :class:`InputError` listing every inconsistent parameter."""
        problems = []

        def bad(key: str, msg: str, expected: str) -> None:
            from ..errors import Problem

            problems.append(Problem(msg, field=f"{field}.{key}", expected=expected))

        if not isinstance(self.total, int | np.integer) or self.total < 1:
            bad("total", f"total = {self.total}", "a whole number >= 1")
        if not isinstance(self.planes, int | np.integer) or self.planes < 1:
            bad("planes", f"planes = {self.planes}", "a whole number >= 1")
        elif isinstance(self.total, int | np.integer) and self.total % self.planes:
            bad(
                "planes",
                f"total {self.total} is not a multiple of planes {self.planes}",
                "total = planes x satellites per plane",
            )
        if isinstance(self.planes, int | np.integer) and self.planes >= 1:
            if not (0 <= self.phasing < max(self.planes, 1)):
                bad(
                    "phasing",
                    f"phasing = {self.phasing}",
                    f"a whole number in 0..{self.planes - 1}",
                )
        if not math.isfinite(self.altitude_m) or self.altitude_m < 150e3:
            bad(
                "altitude_km",
                f"altitude {self.altitude_m / 1e3:g} km",
                "a finite altitude of at least 150 km (below it the orbit decays within days)",
            )
        if not math.isfinite(self.inclination_rad) or not (0 <= self.inclination_rad <= math.pi):
            bad(
                "inclination_deg",
                f"inclination {math.degrees(self.inclination_rad):g} deg",
                "0..180 deg",
            )
        if self.kind not in ("delta", "star"):
            bad("kind", f"kind = {self.kind!r}", "'delta' or 'star'")
        if not math.isfinite(self.raan_spread_rad) or not (0 < self.raan_spread_rad <= TWO_PI):
            bad(
                "raan_spread_deg",
                f"RAAN spread {math.degrees(self.raan_spread_rad):g} deg",
                "0 < spread <= 360 deg",
            )
        if problems:
            raise InputError(problems=problems)


def walker_elements(
    shell: WalkerShell, *, epoch: object = DEFAULT_EPOCH, shell_index: int = 0
) -> ElementSet:
    """Mean element sets of a Walker shell, plane by plane, slot by slot (vectorized).

    Plane p has RAAN ``raan_offset + p * spread / P``; slot s of plane p has mean anomaly
    ``s * 360/S + p * F * 360/T`` (S satellites per plane).
    """
    shell.validate()
    planes, per_plane = shell.planes, shell.per_plane
    plane = np.repeat(np.arange(planes, dtype=np.int32), per_plane)
    slot = np.tile(np.arange(per_plane, dtype=np.int32), planes)
    raan = np.remainder(shell.raan_offset_rad + plane * (shell.raan_spread_rad / planes), TWO_PI)
    mean_anomaly = np.remainder(
        slot * (TWO_PI / per_plane) + plane * (shell.phasing * TWO_PI / shell.total), TWO_PI
    )
    jd, fr = datetime64_to_jd(np.array([parse_time(epoch, field="epoch")]))
    n = shell.total
    return element_set(
        catalog_number=np.full(n, -1, dtype=np.int64),
        epoch_jd=jd[0],
        epoch_fr=fr[0],
        mean_motion_rad_s=shell.mean_motion_rad_s,
        eccentricity=0.0,
        inclination_rad=shell.inclination_rad,
        raan_rad=raan,
        arg_perigee_rad=0.0,
        mean_anomaly_rad=mean_anomaly,
        shell=shell_index,
        plane=plane,
        slot=slot,
        name_prefix=shell.name or "WALKER",
    )


def altitude_from_mean_motion_m(mean_motion_rad_s: np.ndarray) -> np.ndarray:
    """Keplerian mean altitude a - R_eq (WGS72) implied by a mean motion (Kepler's third law)."""
    n = np.asarray(mean_motion_rad_s, dtype=np.float64)
    return np.cbrt(MU_WGS72_M3_S2 / (n * n)) - EARTH_RADIUS_WGS72_M


def mean_motion_from_altitude_rad_s(altitude_m: np.ndarray) -> np.ndarray:
    """Keplerian mean motion sqrt(mu / a^3) for a = R_eq + altitude (WGS72)."""
    a = EARTH_RADIUS_WGS72_M + np.asarray(altitude_m, dtype=np.float64)
    return np.sqrt(MU_WGS72_M3_S2 / a**3)


__all__ = [
    "DEFAULT_EPOCH",
    "WalkerShell",
    "altitude_from_mean_motion_m",
    "mean_motion_from_altitude_rad_s",
    "walker_elements",
]
