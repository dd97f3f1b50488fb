"""Time handling: UTC instants as ``numpy.datetime64[ns]``, Julian dates and sidereal time.

Times are UTC. UT1 - UTC (at most 0.9 s) is neglected where UT1 is called for (Earth rotation
angle): that displaces Earth-fixed positions by at most about 0.4 km at the equator. Leap seconds
are not applied to spans of time: a step of 60 s is 60 SI seconds of UTC.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np

from ..errors import InputError
from ..sizeguard import check_size
from .constants import JD_UNIX_EPOCH, SECONDS_PER_DAY, TWO_PI

_NS_PER_DAY = 86_400_000_000_000


def parse_time(value: object, *, field: str = "time") -> np.datetime64:
    """Parse a UTC instant given as ISO-8601 text (``2026-03-20T00:00:00Z``), a ``datetime``
    (naive means UTC) or a ``numpy.datetime64``; return ``datetime64[ns]``.

    Raises :class:`~spacecompute.errors.InputError` naming ``field`` for anything else.
    """
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InputError("time is NaT", field=field, expected="a UTC date and time")
        return value.astype("datetime64[ns]")
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.UTC).replace(tzinfo=None)
        return np.datetime64(value, "ns")
    if isinstance(value, _dt.date):
        return np.datetime64(value, "ns")
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1]
        elif text.endswith("+00:00"):
            text = text[:-6]
        try:
            return np.datetime64(_dt.datetime.fromisoformat(text), "ns")
        except ValueError:
            pass
    raise InputError(
        f"cannot read {value!r} as a time",
        field=field,
        expected="an ISO-8601 UTC time such as 2026-03-20T00:00:00Z",
    )


def time_grid(start: object, duration_s: float, step_s: float) -> np.ndarray:
    """Instants ``start, start + step_s, ...`` up to and including ``start + duration_s``.

    ``duration_s = 0`` gives the single instant ``start``. Returns ``datetime64[ns]``, shape (T,).
    """
    t0 = parse_time(start, field="start")
    if not np.isfinite(duration_s) or duration_s < 0:
        raise InputError(
            f"duration_s = {duration_s}", field="duration_s", expected="a finite number >= 0"
        )
    if not np.isfinite(step_s) or step_s <= 0:
        raise InputError(f"step_s = {step_s}", field="step_s", expected="a finite number > 0")
    steps = np.floor(duration_s / step_s + 1e-9) + 1
    check_size("the time grid", [(steps, "steps")], 16, key="duration_s or step_s")
    n = int(steps)
    offsets_ns = np.round(np.arange(n) * step_s * 1e9).astype("int64")
    return t0 + offsets_ns.astype("timedelta64[ns]")


def seconds_since(times: np.ndarray, epoch: np.datetime64) -> np.ndarray:
    """Float seconds from ``epoch`` to each of ``times``."""
    delta = np.asarray(times, dtype="datetime64[ns]") - np.datetime64(epoch, "ns")
    return delta.astype("int64") / 1e9


def datetime64_to_jd(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Julian dates of UTC instants as a (whole, fraction) pair, as ``sgp4`` wants them.

    ``whole`` ends in .5 (midnight); ``fraction`` is in [0, 1). Splitting keeps full precision
    (a single float64 Julian date resolves only about 40 microseconds).
    """
    ns = np.asarray(times, dtype="datetime64[ns]").astype("int64")
    days, rem = np.divmod(ns, _NS_PER_DAY)
    return JD_UNIX_EPOCH + days.astype(np.float64), rem / _NS_PER_DAY


def jd_to_datetime64(jd: np.ndarray, fraction: np.ndarray | float = 0.0) -> np.ndarray:
    """Inverse of :func:`datetime64_to_jd` (to the nearest nanosecond)."""
    jd = np.asarray(jd, dtype=np.float64)
    fraction = np.asarray(fraction, dtype=np.float64)
    whole = np.floor(jd - JD_UNIX_EPOCH)
    frac = (jd - JD_UNIX_EPOCH - whole) + fraction
    ns = whole.astype("int64") * _NS_PER_DAY + np.round(frac * _NS_PER_DAY).astype("int64")
    return ns.astype("datetime64[ns]")


def gmst_rad(jd_whole: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Greenwich mean sidereal time (IAU 1982 model), radians in [0, 2 pi).

    Source: Vallado, Crawford, Hujsak and Kelso, AIAA 2006-6753, function ``gstime`` (the angle
    that relates SGP4's TEME frame to the pseudo-Earth-fixed frame). UT1 is taken as UTC.
    """
    jd_whole = np.asarray(jd_whole, dtype=np.float64)
    fraction = np.asarray(fraction, dtype=np.float64)
    tut1 = ((jd_whole - 2451545.0) + fraction) / 36525.0
    # Seconds of sidereal time; the 1.002737909350795 term of the day fraction is written out
    # explicitly so that the large whole-day part does not swamp it.
    temp = (
        -6.2e-6 * tut1 * tut1 * tut1
        + 0.093104 * tut1 * tut1
        + (876600.0 * 3600.0 + 8640184.812866) * tut1
        + 67310.54841
    )
    theta = np.remainder(np.deg2rad(temp / 240.0), TWO_PI)
    return theta


def utc_seconds_of_day(times: np.ndarray) -> np.ndarray:
    """Seconds since 00:00 UTC of each instant's day."""
    ns = np.asarray(times, dtype="datetime64[ns]").astype("int64")
    return np.remainder(ns, _NS_PER_DAY) / 1e9


__all__ = [
    "SECONDS_PER_DAY",
    "datetime64_to_jd",
    "gmst_rad",
    "jd_to_datetime64",
    "parse_time",
    "seconds_since",
    "time_grid",
    "utc_seconds_of_day",
]
