"""Earth shadow: the fraction of the sun's disk that each satellite sees, and eclipse events.

Models (positions in the inertial frame TEME, metres; the Earth a sphere):

- ``"conical"``: fraction of the solar disk not hidden by the Earth, from the overlap of two
  disks of apparent radii ``a = asin(R_sun / |r_sun - r|)`` (sun) and ``b = asin(R / |r|)``
  (Earth) whose centres are ``c`` apart, as seen from the satellite: 1 outside the penumbra,
  0 in the umbra, ``1 - b^2 / a^2`` in the annular case, and in the penumbra
  ``1 - A / (pi a^2)`` with ``A`` the overlap area (O. Montenbruck and E. Gill, *Satellite
  Orbits*, Springer 2000, sec. 3.4.2). The disks are treated as plane
  circles; the error this makes near a limb seen 68 deg wide from LEO is about 1e-3 of the
  solar disk. Limb darkening is neglected.
- ``"cylindrical"``: sunlit (1) or not (0): in shadow when behind the Earth (``r . s_hat < 0``)
  and within the cylinder of radius R about the Earth-sun line (Montenbruck and Gill 2000,
  sec. 3.4.2). The cylinder's edge runs through the middle of the true penumbra.

The Earth's radius ``earth_radius_m`` defaults to the WGS84 equatorial radius. The oblate
Earth's shadow is up to 21 km narrower over the poles (a few seconds of a LEO crossing). The
atmosphere absorbs and refracts grazing sunlight; to count rays that graze it as blocked, raise
the radius by a grazing height (20-50 km is usual, e.g. ``EARTH_EQUATORIAL_RADIUS_M + 30e3``).
Positions at or below ``earth_radius_m`` from the Earth's centre give 0.

Invalid input: a NaN position (or NaN sun) gives NaN, so callers can mask it
(``np.isnan(f)``); it never counts as sunlit or as eclipsed.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from .._parallel import twin_kernel
from ..table import Table
from .constants import EARTH_EQUATORIAL_RADIUS_M, SUN_RADIUS_M
from .ephemeris import Ephemeris
from .sun import sun_position_eci_m

_MODELS = ("conical", "cylindrical")


@twin_kernel(fastmath=False)
def _conical_kernel(r, sun, earth_radius_m, sun_radius_m, out):  # pragma: no cover - compiled
    n_t, n_sat = out.shape
    earth_r2 = earth_radius_m * earth_radius_m
    for k in prange(n_t * n_sat):
        t = k // n_sat
        i = k - t * n_sat
        x = r[t, i, 0]
        y = r[t, i, 1]
        z = r[t, i, 2]
        # satellite -> sun
        dx = sun[t, 0] - x
        dy = sun[t, 1] - y
        dz = sun[t, 2] - z
        r2 = x * x + y * y + z * z
        d2 = dx * dx + dy * dy + dz * dz
        if not (math.isfinite(r2) and math.isfinite(d2)):
            out[t, i] = np.nan
            continue
        if r2 <= earth_r2:
            out[t, i] = 0.0
            continue
        rn = math.sqrt(r2)
        dn = math.sqrt(d2)
        sin_b = earth_radius_m / rn
        sin_a = min(1.0, sun_radius_m / dn)
        cos_b = math.sqrt(1.0 - sin_b * sin_b)
        cos_a = math.sqrt(1.0 - sin_a * sin_a)
        # cosine of the angle between the Earth's centre and the sun's centre
        cos_c = -(x * dx + y * dy + z * dz) / (rn * dn)
        # c >= a + b: no overlap (cheap test, no trigonometric function)
        if cos_c <= cos_a * cos_b - sin_a * sin_b:
            out[t, i] = 1.0
            continue
        # c <= |b - a|: one disk inside the other
        if cos_c >= cos_a * cos_b + sin_a * sin_b:
            if sin_b >= sin_a:
                out[t, i] = 0.0
            else:
                a = math.asin(sin_a)
                b = math.asin(sin_b)
                out[t, i] = 1.0 - (b * b) / (a * a)
            continue
        a = math.asin(sin_a)
        b = math.asin(sin_b)
        c = math.acos(min(1.0, max(-1.0, cos_c)))
        # Montenbruck and Gill (2000) sec. 3.4.2: overlap area of the two disks
        xx = (c * c + a * a - b * b) / (2.0 * c)
        yy = math.sqrt(max(0.0, a * a - xx * xx))
        area = (
            a * a * math.acos(min(1.0, max(-1.0, xx / a)))
            + b * b * math.acos(min(1.0, max(-1.0, (c - xx) / b)))
            - c * yy
        )
        nu = 1.0 - area / (math.pi * a * a)
        out[t, i] = min(1.0, max(0.0, nu))


@twin_kernel(fastmath=False)
def _cylindrical_kernel(r, s_hat, earth_radius_m, out):  # pragma: no cover - compiled
    n_t, n_sat = out.shape
    earth_r2 = earth_radius_m * earth_radius_m
    for k in prange(n_t * n_sat):
        t = k // n_sat
        i = k - t * n_sat
        x = r[t, i, 0]
        y = r[t, i, 1]
        z = r[t, i, 2]
        p = x * s_hat[t, 0] + y * s_hat[t, 1] + z * s_hat[t, 2]
        r2 = x * x + y * y + z * z
        if not (math.isfinite(r2) and math.isfinite(p)):
            out[t, i] = np.nan
        elif r2 <= earth_r2 or (p < 0.0 and r2 - p * p < earth_r2):
            out[t, i] = 0.0
        else:
            out[t, i] = 1.0


def sunlit_fraction_from_positions(
    r_eci_m: np.ndarray,
    sun_eci_m: np.ndarray,
    model: str = "conical",
    out: np.ndarray | None = None,
    *,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
    sun_radius_m: float = SUN_RADIUS_M,
) -> np.ndarray:
    """Fraction of the solar disk seen by each satellite, in [0, 1] (see the module docstring).

    ``r_eci_m``: (T, N, 3) float64 or float32 satellite positions (TEME, m); ``sun_eci_m``:
    (T, 3) geocentric sun positions (:func:`~spacecompute.astro.sun.sun_position_eci_m`).
    (N, 3) positions with one (3,) sun give (N,). ``model``: ``"conical"`` (umbra 0, penumbra
    between, Montenbruck and Gill 2000 sec. 3.4.2) or ``"cylindrical"`` (0 or 1).
    ``earth_radius_m``: radius of the shadowing sphere (default WGS84 equatorial; add 20-50 km
    for atmospheric grazing). ``out``: optional (T, N) float32/float64 array written in place.

    Returns (T, N) float32 (or ``out``). NaN where a position is NaN. Runs in a numba kernel,
    parallel over all (time, satellite) pairs, with no temporaries beyond the sun vectors.
    """
    if model not in _MODELS:
        raise ValueError(f"model must be one of {_MODELS}, got {model!r}")
    r = np.asarray(r_eci_m)
    if r.dtype not in (np.float32, np.float64):
        r = r.astype(np.float64)
    sun = np.asarray(sun_eci_m, dtype=np.float64)
    single = r.ndim == 2
    if single:
        r = r[None]
        sun = sun.reshape(1, 3)
    if r.ndim != 3 or r.shape[-1] != 3 or sun.shape != (r.shape[0], 3):
        raise ValueError(
            f"expected positions (T, N, 3) and sun (T, 3); got {np.shape(r_eci_m)} and "
            f"{np.shape(sun_eci_m)}"
        )
    shape = r.shape[:2]
    if out is None:
        result = np.empty(shape, dtype=np.float32)
    else:
        result = out[None] if single else out
        if result.shape != shape or result.dtype not in (np.float32, np.float64):
            raise ValueError(f"out must be float32/float64 of shape {shape}")
    if model == "conical":
        _conical_kernel(r, sun, float(earth_radius_m), float(sun_radius_m), result)
    else:
        s_hat = sun / np.linalg.norm(sun, axis=-1, keepdims=True)
        _cylindrical_kernel(r, s_hat, float(earth_radius_m), result)
    if out is not None:
        return out
    return result[0] if single else result


def sunlit_fraction(
    eph: Ephemeris,
    model: str = "conical",
    out: np.ndarray | None = None,
    *,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> np.ndarray:
    """Sunlit fraction (T, N) float32 of every satellite of an ephemeris at its instants.

    The sun from the Almanac's low-precision formulae
    (:func:`~spacecompute.astro.sun.sun_position_eci_m`, 0.01 deg), the shadow from
    :func:`sunlit_fraction_from_positions`. NaN where ``eph.valid`` is False.
    """
    sun = sun_position_eci_m(eph.times)
    result = sunlit_fraction_from_positions(
        eph.r_eci_m, sun, model, out, earth_radius_m=earth_radius_m
    )
    valid = np.asarray(eph.valid)
    if not valid.all():
        result[~valid] = np.nan
    return result


def eclipse_fraction_cylindrical(
    altitude_m: np.ndarray | float,
    beta_rad: np.ndarray | float,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> np.ndarray:
    """Fraction of a circular orbit spent in the cylindrical Earth shadow (closed form).

    ``f = acos( sqrt(h^2 + 2 R h) / ((R + h) cos(beta)) ) / pi`` for ``|beta|`` below
    ``asin(R / (R + h))``, else 0 (Rickman, "Introduction to Orbital Mechanics and Spacecraft
    Attitudes for Thermal Engineers", NASA TFAWS 2014; the same geometry as
    :func:`sunlit_fraction_from_positions` with ``model="cylindrical"``). Broadcasts
    ``altitude_m`` (above a sphere of radius ``earth_radius_m``) against ``beta_rad``.
    """
    h = np.asarray(altitude_m, dtype=np.float64)
    beta = np.asarray(beta_rad, dtype=np.float64)
    radius = earth_radius_m + h
    beta_star = np.arcsin(np.clip(earth_radius_m / radius, -1.0, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        arg = np.sqrt(h * h + 2.0 * earth_radius_m * h) / (radius * np.cos(beta))
        f = np.arccos(np.clip(arg, -1.0, 1.0)) / np.pi
    return np.where(np.abs(beta) < beta_star, f, 0.0)


def _empty_events(name_dtype: np.dtype) -> Table:
    return Table(
        {
            "satellite": np.zeros(0, dtype=np.int64),
            "name": np.zeros(0, dtype=name_dtype),
            "start": np.zeros(0, dtype="datetime64[ns]"),
            "end": np.zeros(0, dtype="datetime64[ns]"),
            "duration_s": np.zeros(0),
            "min_sunlit": np.zeros(0),
            "starts_before": np.zeros(0, dtype=bool),
            "ends_after": np.zeros(0, dtype=bool),
        }
    )


def eclipse_events(
    times: np.ndarray,
    sunlit: np.ndarray,
    names: np.ndarray | None = None,
    threshold: float = 0.5,
    *,
    margin: np.ndarray | None = None,
    max_block_samples: int = 1 << 25,
) -> Table:
    """Eclipse windows: intervals where the sunlit fraction is below ``threshold``.

    ``times``: (T,) datetime64; ``sunlit``: (T, N) from :func:`sunlit_fraction` (any float
    dtype). Start and end are the instants where the series crosses ``threshold``, linearly
    interpolated between the two samples that bracket it (with the cylindrical model's 0/1
    values: the midpoint). A window that is already under way at the first sample, or follows
    an invalid (NaN) sample, has ``starts_before = True`` and starts at its first eclipsed
    sample; likewise ``ends_after`` and the last eclipsed sample at the other end. NaN samples
    never count as eclipsed.

    Returns a :class:`~spacecompute.table.Table` ordered by satellite, then start, with columns
    ``satellite`` (int index), ``name`` (``names[satellite]``, or the index as text),
    ``start``, ``end`` (datetime64[ns]), ``duration_s``, ``min_sunlit`` (the depth: lowest
    sampled fraction), ``starts_before``, ``ends_after`` (bool).

    ``margin`` (optional, (T, N)): a continuous function of time that is positive in sunlight
    and crosses zero at the shadow edge, such as :func:`shadow_margin_m`. When given, crossing
    instants are interpolated on it instead of on the sunlit fraction, which at coarse steps
    (60 s against a penumbra of ~10 s) would only give the midpoint between samples: the error
    falls from up to half a step to about a second.

    Vectorized with numpy (transitions from a diff of the boolean series); satellites are
    processed in blocks of about ``max_block_samples`` samples to bound the memory.
    """
    t_ns = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    values = np.asarray(sunlit)
    if values.ndim != 2 or values.shape[0] != t_ns.shape[0]:
        raise ValueError(f"sunlit must be (T, N) with T = len(times); got {values.shape}")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    n_t, n_sat = values.shape
    if names is not None:
        names = np.asarray(names)
        if names.shape != (n_sat,):
            raise ValueError(f"names has shape {names.shape}, expected ({n_sat},)")
    name_dtype = names.dtype if names is not None else np.dtype(str)
    if n_t == 0 or n_sat == 0:
        return _empty_events(name_dtype)

    width = n_t + 2  # one NaN pad sample before and after each satellite's series
    block = max(1, int(max_block_samples) // width)
    parts: list[dict[str, np.ndarray]] = []
    for first in range(0, n_sat, block):  # blocks of satellites, not one satellite at a time
        chunk = values[:, first : first + block]
        padded = np.full((chunk.shape[1], width), np.nan, dtype=np.float64)
        padded[:, 1:-1] = chunk.T
        flat = padded.ravel()
        if margin is not None:
            mpad = np.full((chunk.shape[1], width), np.nan, dtype=np.float64)
            mpad[:, 1:-1] = np.asarray(margin)[:, first : first + block].T
            mflat = mpad.ravel()
        with np.errstate(invalid="ignore"):
            dark = flat < threshold
        step = np.diff(dark.view(np.int8))
        begin = np.flatnonzero(step == 1) + 1  # flat index of the first eclipsed sample
        stop = np.flatnonzero(step == -1) + 1  # flat index of the first sample after
        if begin.size == 0:
            continue
        sat = begin // width
        i_begin = begin - sat * width - 1  # time index of the first eclipsed sample
        i_stop = stop - sat * width - 1  # time index after the last eclipsed sample (<= T)

        before = flat[begin - 1]
        starts_before = ~np.isfinite(before)
        i_prev = np.maximum(i_begin - 1, 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = (before - threshold) / (before - flat[begin])
            if margin is not None:
                m0, m1 = mflat[begin - 1], mflat[begin]
                bracket = (m0 > 0) & (m1 <= 0)
                frac = np.where(bracket, m0 / (m0 - m1), frac)
        frac = np.where(starts_before, 1.0, frac)
        start_ns = t_ns[i_prev] + np.round(frac * (t_ns[i_begin] - t_ns[i_prev])).astype(np.int64)

        after = flat[stop]
        last = flat[stop - 1]
        ends_after = ~np.isfinite(after)
        i_next = np.minimum(i_stop, n_t - 1)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = (threshold - last) / (after - last)
            if margin is not None:
                m0, m1 = mflat[stop - 1], mflat[stop]
                bracket = (m0 <= 0) & (m1 > 0)
                frac = np.where(bracket, -m0 / (m1 - m0), frac)
        frac = np.where(ends_after, 0.0, frac)
        end_ns = t_ns[i_stop - 1] + np.round(frac * (t_ns[i_next] - t_ns[i_stop - 1])).astype(
            np.int64
        )

        bounds = np.empty(2 * begin.size, dtype=np.int64)
        bounds[0::2] = begin
        bounds[1::2] = stop
        depth = np.minimum.reduceat(flat, bounds)[0::2]

        index = sat + first
        parts.append(
            {
                "satellite": index.astype(np.int64),
                "name": names[index] if names is not None else index.astype(str),
                "start": start_ns.astype("datetime64[ns]"),
                "end": end_ns.astype("datetime64[ns]"),
                "duration_s": (end_ns - start_ns) / 1e9,
                "min_sunlit": depth,
                "starts_before": starts_before,
                "ends_after": ends_after,
            }
        )
    if not parts:
        return _empty_events(name_dtype)
    return Table({key: np.concatenate([p[key] for p in parts]) for key in parts[0]})


@twin_kernel()
def _margin_kernel(r, sun, radius, out):  # pragma: no cover - compiled
    n_t, n = r.shape[0], r.shape[1]
    for k in range(n_t):
        sx, sy, sz = sun[k, 0], sun[k, 1], sun[k, 2]
        norm = math.sqrt(sx * sx + sy * sy + sz * sz)
        sx, sy, sz = sx / norm, sy / norm, sz / norm
        for i in prange(n):
            x, y, z = r[k, i, 0], r[k, i, 1], r[k, i, 2]
            along = x * sx + y * sy + z * sz
            dist = math.sqrt(x * x + y * y + z * z)
            if along >= 0.0:
                out[k, i] = dist - radius + along
            else:
                px, py, pz = x - along * sx, y - along * sy, z - along * sz
                out[k, i] = math.sqrt(px * px + py * py + pz * pz) - radius


def shadow_margin_m(
    r_eci_m: np.ndarray, sun_eci_m: np.ndarray, earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M
) -> np.ndarray:
    """Signed distance (m) from the edge of the Earth's shadow cylinder, (T, N) float64.

    Behind the Earth (r . s < 0) it is the distance from the Earth-sun line minus the Earth's
    radius: negative inside the shadow, zero on its edge. On the sun side it is
    ``|r| - R + r . s``, which is positive and joins the other branch continuously at r . s = 0.
    Being continuous and nearly linear in time across an eclipse boundary, it locates entry and
    exit instants by linear interpolation to about a second at 60 s steps (the cylinder's edge
    is the conical model's half-light instant within about a second in LEO; Montenbruck and
    Gill, "Satellite Orbits" (2000), section 3.4).
    """
    r = np.ascontiguousarray(r_eci_m, dtype=np.float64)
    sun = np.ascontiguousarray(np.broadcast_to(sun_eci_m, (r.shape[0], 3)), dtype=np.float64)
    out = np.empty(r.shape[:2])
    _margin_kernel(r, sun, float(earth_radius_m), out)
    return out


def eclipse_events_from_ephemeris(
    eph: Ephemeris,
    model: str = "conical",
    threshold: float = 0.5,
    *,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> Table:
    """Eclipse windows of every satellite of an ephemeris (:func:`sunlit_fraction` then
    :func:`eclipse_events`, with ``eph.names``)."""
    sunlit = sunlit_fraction(eph, model, earth_radius_m=earth_radius_m)
    margin = shadow_margin_m(eph.r_eci_m, sun_position_eci_m(eph.times), earth_radius_m)
    return eclipse_events(eph.times, sunlit, eph.names, threshold, margin=margin)


__all__ = [
    "eclipse_events",
    "eclipse_events_from_ephemeris",
    "eclipse_fraction_cylindrical",
    "shadow_margin_m",
    "sunlit_fraction",
    "sunlit_fraction_from_positions",
]
