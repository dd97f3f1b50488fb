"""Ephemeris: positions and velocities of N satellites at T instants.

Arrays are (T, N, 3) or (T, N), time first, satellites in the constellation's order. The inertial
frame is TEME (see :mod:`spacecompute.astro.frames`); Earth-fixed and geodetic values are computed
on first use and cached, so an ephemeris used only for inertial work never pays for them.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

from .frames import ecef_to_geodetic, teme_to_ecef
from .timeutil import datetime64_to_jd, gmst_rad, seconds_since


class Ephemeris:
    """Positions and velocities of ``N`` satellites at ``T`` instants.

    Attributes
    ----------
    times : (T,) datetime64[ns], UTC
    r_eci_m, v_eci_m : (T, N, 3) float64, TEME frame, m and m/s (``v_eci_m`` may be None when
        propagated with ``velocities=False``; ``v_ecef_m`` is then None too)
    r_ecef_m, v_ecef_m : (T, N, 3) float64, Earth-fixed (ITRS, polar motion neglected)
    lat_deg, lon_deg, alt_m : (T, N) WGS84 geodetic
    valid : (T, N) bool, False where the propagator failed (positions are NaN there)
    sunlit_ahead : None, or (shadow model, sun (T, 3), sunlit fraction (T, N) float64 with NaN
        as 0) computed ahead by the propagation process (``astro/prefetch.py``)
    names : (N,) satellite names
    frame : ``"TEME"``
    """

    frame = "TEME"

    sunlit_ahead: tuple[str, np.ndarray, np.ndarray] | None = None

    def __init__(
        self,
        times: np.ndarray,
        r_eci_m: np.ndarray,
        v_eci_m: np.ndarray | None,
        names: np.ndarray | None = None,
        valid: np.ndarray | None = None,
        r_ecef_m: np.ndarray | None = None,
        v_ecef_m: np.ndarray | None = None,
    ) -> None:
        self.times = np.asarray(times, dtype="datetime64[ns]")
        self.r_eci_m = r_eci_m
        self.v_eci_m = v_eci_m
        t, n = r_eci_m.shape[:2]
        if self.times.shape != (t,):
            raise ValueError(f"times has shape {self.times.shape}, positions have T = {t}")
        self.names = names
        self.valid = np.ones((t, n), dtype=bool) if valid is None else valid
        if r_ecef_m is not None:
            self.__dict__["r_ecef_m"] = r_ecef_m
        if v_ecef_m is not None:
            self.__dict__["v_ecef_m"] = v_ecef_m

    def __len__(self) -> int:
        return self.n_times

    def __repr__(self) -> str:
        return (
            f"Ephemeris({self.n_times} times x {self.n_satellites} satellites, "
            f"{self.times[0]} .. {self.times[-1]}, frame {self.frame})"
        )

    @property
    def n_times(self) -> int:
        return int(self.r_eci_m.shape[0])

    @property
    def n_satellites(self) -> int:
        return int(self.r_eci_m.shape[1])

    @cached_property
    def t_s(self) -> np.ndarray:
        """Seconds since ``times[0]`` (T,)."""
        return seconds_since(self.times, self.times[0])

    @cached_property
    def gmst_rad(self) -> np.ndarray:
        """Greenwich mean sidereal time at each instant (T,), radians."""
        return gmst_rad(*datetime64_to_jd(self.times))

    @cached_property
    def _ecef(self) -> tuple[np.ndarray, np.ndarray | None]:
        r, v = teme_to_ecef(self.r_eci_m, self.gmst_rad, self.v_eci_m)
        return r, v

    @cached_property
    def r_ecef_m(self) -> np.ndarray:
        return self._ecef[0]

    @cached_property
    def v_ecef_m(self) -> np.ndarray | None:
        if self.v_eci_m is None:
            return None
        return self._ecef[1]

    @cached_property
    def _geodetic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return ecef_to_geodetic(self.r_ecef_m)

    @property
    def has_geodetic(self) -> bool:
        """True once the geodetic positions are computed (or were computed ahead)."""
        return "_geodetic" in self.__dict__

    def geodetic_into(self, lat_deg: np.ndarray, lon_deg: np.ndarray, alt_m: np.ndarray) -> None:
        """Compute the geodetic arrays into these (T, N) float64 buffers (reused from chunk to
        chunk by a run) and keep them as ``lat_deg``, ``lon_deg``, ``alt_m``; nothing is done
        when they were computed already."""
        if "_geodetic" not in self.__dict__:
            self.__dict__["_geodetic"] = ecef_to_geodetic(
                self.r_ecef_m, out=(lat_deg, lon_deg, alt_m)
            )

    @property
    def lat_deg(self) -> np.ndarray:
        return self._geodetic[0]

    @property
    def lon_deg(self) -> np.ndarray:
        return self._geodetic[1]

    @property
    def alt_m(self) -> np.ndarray:
        return self._geodetic[2]

    def nbytes(self) -> int:
        """Bytes held by the arrays computed so far."""
        total = self.r_eci_m.nbytes + self.valid.nbytes
        if self.v_eci_m is not None:
            total += self.v_eci_m.nbytes
        for key in ("r_ecef_m", "v_ecef_m"):
            if self.__dict__.get(key) is not None:
                total += self.__dict__[key].nbytes
        if "_geodetic" in self.__dict__:
            total += sum(a.nbytes for a in self.__dict__["_geodetic"])
        return total


__all__ = ["Ephemeris"]
