"""Consistency checks of mean element sets, before anything is propagated.

Checks (vectorized over satellites; a systematic error in a million satellites gives a few
summarized problems, not a million lines):

- non-finite numbers (error);
- eccentricity outside [0, 1), inclination outside [0, 180] deg, mean motion <= 0 (errors);
- perigee altitude below 150 km (error): the semi-major axis from Kepler's third law with the
  Kozai mean motion, ``a = (mu / n**2) ** (1/3)``, perigee ``a (1 - e) - R_e``; below about
  150 km an object re-enters within days and SGP4 is not meaningful;
- mean motion contradicting a stated (shell) altitude: the mean altitude ``a - R_e`` implied by
  the mean motion differs from the stated one by more than 100 km (error) or 25 km (warning).
  This catches the Hypatia mistake (snkas/hypatia issue #33) of a 550 km shell written with a
  1000+ km mean motion;
- epoch more than ``max_epoch_age_days`` away from the time of use (warning): SGP4 errors grow
  by roughly 1-3 km per day from epoch in LEO (Vallado et al., AIAA 2006-6753; Kelso, "Validation
  of SGP4 and IS-GPS-200D Against GPS Precision Ephemerides", AAS 07-127).

``mu`` and ``R_e`` are WGS72 (398600.8 km^3/s^2, 6378.135 km), the constants SGP4 uses
(Vallado et al., AIAA 2006-6753). The Kozai mean motion is used as it stands (its difference
from the Brouwer mean motion moves the altitude by well under 1 km in LEO).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import Problem
from .constants import EARTH_RADIUS_WGS72_M, MU_WGS72_M3_S2, SECONDS_PER_DAY, TWO_PI
from .elements import ElementSet
from .timeutil import jd_to_datetime64, parse_time

MIN_PERIGEE_ALTITUDE_M = 150_000.0
ALTITUDE_ERROR_M = 100_000.0
ALTITUDE_WARNING_M = 25_000.0
_SHOW = 3  # satellites named in a summarized problem
_ONE_BY_ONE = 5  # up to this many offenders get a problem each


def implied_mean_altitude_m(mean_motion_rad_s: np.ndarray) -> np.ndarray:
    """Mean altitude ``a - R_e`` (m) implied by a mean motion, with Kepler's third law (WGS72)."""
    n = np.asarray(mean_motion_rad_s, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        a_m = np.cbrt(MU_WGS72_M3_S2 / (n * n))
    return a_m - EARTH_RADIUS_WGS72_M


def _rev_day(n_rad_s):
    return n_rad_s * SECONDS_PER_DAY / TWO_PI


def _fmt_count(n: int) -> str:
    return f"{n:,} satellite" + ("s" if n != 1 else "")


class _Reporter:
    """Turns per-satellite masks into a few problems: one per satellite when there are few,
    otherwise one summary naming the count and the first few satellites."""

    def __init__(self, elements: ElementSet) -> None:
        self.el = elements
        self.file = elements.source_file
        self.problems: list[Problem] = []

    def label(self, k: int, where: bool = True) -> str:
        el = self.el
        name = str(el.take(np.array([k])).name_list()[0])
        cat = int(el.catalog_number[k])
        text = f"{name} (catalog {cat})" if cat >= 0 and str(cat) not in name else name
        line = int(el.source_line[k])
        if where and line > 0:  # the problem names the file: its line is enough here
            text += f" at line {line}"
        return text

    def report(
        self,
        mask: np.ndarray,
        *,
        field: str,
        severity: str,
        expected: str,
        one: Callable[[int], str],
        many: Callable[[np.ndarray], str],
    ) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        lines = self.el.source_line
        if idx.size <= _ONE_BY_ONE:
            for k in idx.tolist():
                line = int(lines[k]) or None
                self.problems.append(
                    Problem(
                        f"{self.label(k, where=False)}: {one(k)}",
                        file=self.file,
                        line=line,
                        field=field,
                        expected=expected,
                        severity=severity,
                    )
                )
            return
        shown = "; ".join(self.label(k) for k in idx[:_SHOW].tolist())
        more = f" and {idx.size - _SHOW:,} more" if idx.size > _SHOW else ""
        self.problems.append(
            Problem(
                f"{_fmt_count(idx.size)}: {many(idx)} (e.g. {shown}{more})",
                file=self.file,
                line=int(lines[idx[0]]) or None,
                field=field,
                expected=expected,
                severity=severity,
            )
        )


def _range(values: np.ndarray, fmt: str, unit: str) -> str:
    lo, hi = float(np.min(values)), float(np.max(values))
    if format(lo, fmt) == format(hi, fmt):
        return f"{lo:{fmt}}{unit}"
    return f"{lo:{fmt}} to {hi:{fmt}}{unit}"


def check_elements(
    elements: ElementSet,
    *,
    at_time: np.datetime64 | object | None = None,
    stated_altitude_m: float | np.ndarray | None = None,
    max_epoch_age_days: float = 14.0,
) -> list[Problem]:
    """Consistency checks of an element set; returns problems (severity "error" or "warning").

    ``stated_altitude_m`` is the altitude the satellites are said to fly at (a Walker shell's
    altitude; a number or one per satellite). ``at_time`` (``datetime64`` or ISO text) is when
    the elements will be used: epochs further than ``max_epoch_age_days`` from it give a warning.
    Each problem names the satellites (name, catalog number, file:line); many satellites with the
    same problem are summarized in one problem.
    """
    el = elements
    rep = _Reporter(el)
    n = len(el)
    if n == 0:
        return []

    float_cols = {
        "epoch": np.isfinite(el.epoch_jd) & np.isfinite(el.epoch_fr),
        "mean motion": np.isfinite(el.mean_motion_rad_s),
        "eccentricity": np.isfinite(el.eccentricity),
        "inclination": np.isfinite(el.inclination_rad),
        "right ascension of ascending node": np.isfinite(el.raan_rad),
        "argument of perigee": np.isfinite(el.arg_perigee_rad),
        "mean anomaly": np.isfinite(el.mean_anomaly_rad),
        "BSTAR": np.isfinite(el.bstar),
        "mean motion derivative": np.isfinite(el.mean_motion_dot),
        "mean motion second derivative": np.isfinite(el.mean_motion_ddot),
    }
    finite = np.ones(n, dtype=bool)
    for col, ok in float_cols.items():
        finite &= ok
        rep.report(
            ~ok,
            field=col,
            severity="error",
            expected="a finite number",
            one=lambda k, col=col: f"{col} is not a finite number (NaN or infinite)",
            many=lambda idx, col=col: f"{col} is not a finite number (NaN or infinite)",
        )

    e = el.eccentricity
    bad_e = finite & ((e < 0.0) | (e >= 1.0))
    rep.report(
        bad_e,
        field="eccentricity",
        severity="error",
        expected="0 <= e < 1 (a closed orbit)",
        one=lambda k: f"eccentricity {e[k]:g} is outside [0, 1)",
        many=lambda idx: f"eccentricity {_range(e[idx], 'g', '')} is outside [0, 1)",
    )
    inc_deg = np.degrees(el.inclination_rad)
    bad_i = finite & ((el.inclination_rad < 0.0) | (el.inclination_rad > np.pi))
    rep.report(
        bad_i,
        field="inclination",
        severity="error",
        expected="0 to 180 degrees",
        one=lambda k: f"inclination {inc_deg[k]:.4f} deg is outside [0, 180] deg",
        many=lambda idx: (
            f"inclination {_range(inc_deg[idx], '.4f', ' deg')} is outside [0, 180] deg"
        ),
    )
    nn = el.mean_motion_rad_s
    rev_day = _rev_day(nn)
    bad_n = finite & (nn <= 0.0)
    rep.report(
        bad_n,
        field="mean motion",
        severity="error",
        expected="a mean motion > 0 rev/day",
        one=lambda k: f"mean motion {rev_day[k]:.8g} rev/day is not positive",
        many=lambda idx: f"mean motion {_range(rev_day[idx], '.8g', ' rev/day')} is not positive",
    )

    usable = finite & ~bad_e & ~bad_n
    alt_m = np.where(usable, implied_mean_altitude_m(np.where(usable, nn, 1.0)), np.nan)
    perigee_m = np.where(
        usable, (alt_m + EARTH_RADIUS_WGS72_M) * (1.0 - e) - EARTH_RADIUS_WGS72_M, np.nan
    )
    low = usable & (perigee_m < MIN_PERIGEE_ALTITUDE_M)
    rep.report(
        low,
        field="mean motion / eccentricity",
        severity="error",
        expected=f"a perigee altitude of at least {MIN_PERIGEE_ALTITUDE_M / 1000:.0f} km",
        one=lambda k: (
            f"mean motion {rev_day[k]:.4f} rev/day and eccentricity {e[k]:.7f} give a perigee "
            f"altitude of {perigee_m[k] / 1000:.0f} km, below "
            f"{MIN_PERIGEE_ALTITUDE_M / 1000:.0f} km (re-entry within days)"
        ),
        many=lambda idx: (
            f"perigee altitudes of {_range(perigee_m[idx] / 1000, '.0f', ' km')} are below "
            f"{MIN_PERIGEE_ALTITUDE_M / 1000:.0f} km (re-entry within days)"
        ),
    )

    if stated_altitude_m is not None:
        stated = np.broadcast_to(np.asarray(stated_altitude_m, dtype=np.float64), (n,))
        diff = np.abs(alt_m - stated)
        for severity, lo, hi in (
            ("error", ALTITUDE_ERROR_M, np.inf),
            ("warning", ALTITUDE_WARNING_M, ALTITUDE_ERROR_M),
        ):
            mask = usable & np.isfinite(stated) & (diff > lo) & (diff <= hi)
            rep.report(
                mask,
                field="mean motion",
                severity=severity,
                expected=(
                    f"a mean motion whose implied altitude is within {lo / 1000:.0f} km of the "
                    "stated altitude"
                ),
                one=lambda k: (
                    f"mean motion {rev_day[k]:.2f} rev/day implies a mean altitude of "
                    f"{alt_m[k] / 1000:.0f} km, but the shell is stated at {stated[k] / 1000:.0f} km"
                ),
                many=lambda idx: (
                    f"mean motion {_range(rev_day[idx], '.2f', ' rev/day')} implies a mean "
                    f"altitude of {_range(alt_m[idx] / 1000, '.0f', ' km')}, but the shell is "
                    f"stated at {_range(stated[idx] / 1000, '.0f', ' km')}"
                ),
            )

    if at_time is not None:
        t = parse_time(at_time, field="at_time")
        ok_epoch = float_cols["epoch"]
        epoch = jd_to_datetime64(
            np.where(ok_epoch, el.epoch_jd, 2451545.0), np.where(ok_epoch, el.epoch_fr, 0.0)
        )
        age_days = np.where(
            ok_epoch, (t - epoch).astype("timedelta64[ns]").astype(np.float64) / 86400e9, 0.0
        )
        old = ok_epoch & (np.abs(age_days) > max_epoch_age_days)
        when = str(t.astype("datetime64[s]"))

        def describe(days: float) -> str:
            return f"{abs(days):.1f} days {'before' if days > 0 else 'after'}"

        rep.report(
            old,
            field="epoch",
            severity="warning",
            expected=f"an epoch within {max_epoch_age_days:g} days of {when}",
            one=lambda k: (
                f"epoch {epoch[k].astype('datetime64[s]')!s} is {describe(age_days[k])} "
                f"{when}; SGP4 accuracy degrades with distance from epoch (about 1-3 km per day "
                "in LEO)"
            ),
            many=lambda idx: (
                f"epochs are {_range(np.abs(age_days[idx]), '.1f', ' days')} away from {when}; "
                "SGP4 accuracy degrades with distance from epoch (about 1-3 km per day in LEO)"
            ),
        )
    return rep.problems


__all__ = ["check_elements", "implied_mean_altitude_m"]
