"""Sizing of an orbital data centre from the project's physics.

Given a target (IT power, a number of accelerators, or PFLOPS at a precision), an orbit and the
planner's parameters, :func:`size` returns every satellite's solar array, battery, radiator and
mass breakdown, the number of satellites and of launches. It uses the physics of the engine,
not constants of its own:

- **Eclipses** (:func:`eclipse_year`): the orbit's beta angle over a year from
  :func:`spacecompute.astro.sun.beta_angle_from_elements`, with the node drifting at SGP4's
  secular J2 rate (:func:`spacecompute.astro.j2.secular_rates_rad_s`), and the eclipse fraction
  of each sample from the closed form :func:`spacecompute.astro.eclipse.eclipse_fraction_cylindrical`
  (Rickman 2014). The period is the draconic one (node to node) of the same theory.
  :func:`eclipse_by_propagation` checks it against a propagated orbit and
  :func:`spacecompute.astro.eclipse.sunlit_fraction_from_positions`.
- **Solar array** (:func:`spacecompute.spacecraft.power.array_area_for_load_m2`, SMAD 3rd ed.
  eq. 11-5): sized on the worst day of the year (longest eclipse, worst sun incidence for the
  array's pointing) at end of life; mass from the array's specific power at its rated output.
- **Battery** (:func:`spacecompute.spacecraft.power.battery_for_eclipse_j`): carries the eclipse
  load (the whole load, or only the bus when compute is throttled in eclipse) through the
  longest eclipse of the year.
- **Radiator** (:func:`spacecompute.spacecraft.thermal.radiator_area_m2`): rejects the
  satellite's electrical load (all of it ends as heat) at the chosen temperature, two-sided and
  edge-on to the sun, less the Earth infrared and albedo it absorbs, averaged over a propagated
  day (:func:`spacecompute.spacecraft.thermal.environment_heat_w`).
- **Radiation** (:mod:`spacecompute.spacecraft.radiation`): the dose rate averaged over a
  propagated day behind the design's shielding, the accelerator's total-dose tolerance
  (hardware or susceptibility catalog) and its upset rates.
- **Accelerators** (:func:`spacecompute.spacecraft.hardware.hardware`): power, mass and peak
  operations per second by precision.

Every function here is vectorized over parameter samples: parameters are numpy arrays of one
shape ``(N,)`` (``N = 1`` for the nominal design) and every output has that shape, so that a
Monte Carlo run of thousands of samples is one call. SI units inside (W, J, kg, m2, s).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..astro.constants import (
    EARTH_EQUATORIAL_RADIUS_M,
    JULIAN_YEAR_S,
    SOLAR_CONSTANT_W_M2,
    TWO_PI,
)
from ..errors import InputError

if TYPE_CHECKING:  # pragma: no cover
    from .uncertainty import Dist

#: Start of the year over which eclipses are averaged, unless the design says otherwise.
DEFAULT_START = "2026-01-01T00:00:00Z"
#: Sampling of the beta angle over the year (the beta angle moves by < 1 deg in 6 h).
ECLIPSE_STEP_S = 6 * 3600.0
#: Array pointing modes, as named by :data:`spacecompute.spacecraft.power.ATTITUDE_MODES`.
POINTING_MODES = ("sun-tracking", "single-axis", "orbit-normal")
#: Smallest sun-incidence cosine used when sizing an array (a wing edge-on to the sun would need
#: an infinite area; this caps it at a million times the area of a sun-facing one).
MIN_INCIDENCE_COSINE = 1e-6
#: Seconds per hour and joules per watt-hour.
_S_PER_H = 3600.0


# ---------------------------------------------------------------------------------------------
# Plain design objects (built from the YAML schema by :mod:`spacecompute.economics.presets`)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrbitSpec:
    """A circular orbit: altitude above the WGS72 equatorial radius (as Walker shells), inclination,
    right ascension of the ascending node at ``start`` (TEME), and the local time of the ascending
    node it was derived from (``None`` when the node was given)."""

    altitude_m: float
    inclination_rad: float
    raan_rad: float
    start: np.datetime64
    ltan_h: float | None = None
    sun_synchronous: bool = False

    @classmethod
    def from_user(
        cls,
        altitude_km: float,
        inclination_deg: float | str,
        *,
        ltan_h: float | None = None,
        raan_deg: float | None = None,
        start: object = DEFAULT_START,
    ) -> OrbitSpec:
        """An orbit from user units: ``inclination_deg`` may be ``"sso"`` (sun-synchronous at this
        altitude, :func:`spacecompute.astro.sun.sun_synchronous_inclination_rad`); the node from
        ``raan_deg`` or from a local time ``ltan_h`` (default 6.0 h for a sun-synchronous orbit,
        RAAN 0 otherwise) through :func:`spacecompute.astro.presets.ltan_raan_rad`."""
        from ..astro.constants import EARTH_RADIUS_WGS72_M
        from ..astro.sun import sun_synchronous_inclination_rad
        from ..astro.timeutil import parse_time

        t0 = parse_time(start, field="orbit.start")
        h = float(altitude_km) * 1e3
        sso = isinstance(inclination_deg, str)
        if sso:
            if inclination_deg != "sso":
                raise InputError(
                    f"inclination {inclination_deg!r}",
                    field="orbit.inclination_deg",
                    expected="degrees or 'sso'",
                )
            inc = float(sun_synchronous_inclination_rad(EARTH_RADIUS_WGS72_M + h))
            if not math.isfinite(inc):
                raise InputError(
                    f"no sun-synchronous inclination exists at {altitude_km:g} km",
                    field="orbit.altitude_km",
                    expected="an altitude below about 5,970 km for 'sso'",
                )
        else:
            inc = math.radians(float(inclination_deg))
        if raan_deg is not None and ltan_h is not None:
            raise InputError(
                "both raan_deg and ltan_h given", field="orbit", expected="one of the two"
            )
        if raan_deg is not None:
            raan = math.radians(float(raan_deg)) % TWO_PI
        elif ltan_h is not None or sso:
            from ..astro.presets import ltan_raan_rad

            ltan_h = 6.0 if ltan_h is None else float(ltan_h)
            raan = ltan_raan_rad(t0, ltan_h)
        else:
            raan = 0.0
        return cls(h, inc, raan, t0, ltan_h, sso)

    def describe(self) -> str:
        """One line such as ``650 km, 97.99 deg (SSO, LTAN 06:00)``."""
        text = f"{self.altitude_m / 1e3:g} km, {math.degrees(self.inclination_rad):.2f} deg"
        extra = []
        if self.sun_synchronous:
            extra.append("SSO")
        if self.ltan_h is not None:
            hours = int(self.ltan_h) % 24
            minutes = round((self.ltan_h - int(self.ltan_h)) * 60)
            extra.append(f"LTAN {hours:02d}:{minutes:02d}")
        else:
            extra.append(f"RAAN {math.degrees(self.raan_rad):.1f} deg")
        return text + f" ({', '.join(extra)})"

    def constellation(self):
        """A one-satellite :class:`~spacecompute.Constellation` on this orbit (epoch ``start``)."""
        from ..astro.constellation import walker

        return walker(
            total=1,
            planes=1,
            phasing=0,
            altitude_km=self.altitude_m / 1e3,
            inclination_deg=math.degrees(self.inclination_rad),
            raan_offset_deg=math.degrees(self.raan_rad),
            epoch=self.start,
            name="planner",
        )


@dataclass(frozen=True)
class Param:
    """One planner input: its distribution (a fixed number is a degenerate one), where the value
    came from (``origin``: default, vehicle, catalog or design) and its source and date."""

    name: str
    dist: Dist
    source: str = ""
    date: str = ""
    origin: str = "default"
    description: str = ""
    assumed: bool = False
    note: str = ""
    bounds: tuple[float, float] = (-math.inf, math.inf)

    @property
    def nominal(self) -> float:
        return self.dist.nominal


@dataclass(frozen=True)
class Target:
    """What to build: ``kind`` is ``it_power`` (``value`` in W), ``accelerators`` (a count) or
    ``pflops`` (``value`` in operations per second at ``precision``)."""

    kind: str
    value: float
    precision: str = "bf16"


@dataclass(frozen=True)
class Design:
    """A planner design: target, orbit, satellite split, operating choices, parameters, claims."""

    name: str
    target: Target
    orbit: OrbitSpec
    accelerator: str
    per_satellite_kind: str  # "it_power" (W) or "accelerators"
    per_satellite_value: float
    params: Mapping[str, Param]
    description: str = ""
    source: str = ""
    file: str = ""
    eclipse_operation: str = "battery"  # or "throttle"
    array_pointing: str = "sun-tracking"
    launch_pricing: str = "fixed"  # or "learning-curve"
    vehicle: str | None = None
    claims: tuple[Any, ...] = ()
    notes: tuple[str, ...] = ()

    def nominal_values(self) -> dict[str, np.ndarray]:
        """Every parameter at its nominal value, as arrays of shape (1,)."""
        return {k: np.array([p.nominal], dtype=np.float64) for k, p in self.params.items()}


# ---------------------------------------------------------------------------------------------
# Eclipses over a year, from the orbit kernel
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EclipseYear:
    """Beta angle and eclipse of one orbit sampled over a year.

    ``times`` (D,), ``beta_rad`` (D,), ``eclipse_fraction`` (D,) (fraction of each orbit in the
    cylindrical shadow), ``period_s`` (draconic period), ``nodal_rate_rad_s`` (J2 drift of the
    node), ``shadow_altitude_m`` (mean radius less the WGS84 equatorial radius, the altitude used
    in the shadow geometry).
    """

    times: np.ndarray
    beta_rad: np.ndarray
    eclipse_fraction: np.ndarray
    period_s: float
    nodal_rate_rad_s: float
    shadow_altitude_m: float

    @property
    def annual_fraction(self) -> float:
        """Mean fraction of time in eclipse over the year."""
        return float(np.mean(self.eclipse_fraction))

    @property
    def max_fraction(self) -> float:
        return float(np.max(self.eclipse_fraction))

    @property
    def longest_eclipse_s(self) -> float:
        """Longest eclipse of the year (s): the largest fraction times the period."""
        return self.max_fraction * self.period_s

    @property
    def eclipse_days(self) -> float:
        """Days of the year with an eclipse on every orbit."""
        step_days = float(
            (self.times[1] - self.times[0]) / np.timedelta64(1, "s") / 86400.0
            if self.times.size > 1
            else 0.0
        )
        return float(np.count_nonzero(self.eclipse_fraction > 0) * step_days)

    @property
    def beta_range_deg(self) -> tuple[float, float]:
        b = np.degrees(self.beta_rad)
        return float(b.min()), float(b.max())

    def summary(self) -> dict[str, float]:
        lo, hi = self.beta_range_deg
        return {
            "annual_eclipse_fraction": self.annual_fraction,
            "max_eclipse_fraction": self.max_fraction,
            "longest_eclipse_s": self.longest_eclipse_s,
            "eclipse_days_per_year": self.eclipse_days,
            "period_s": self.period_s,
            "beta_min_deg": lo,
            "beta_max_deg": hi,
        }


def _secular(orbit: OrbitSpec) -> dict[str, float]:
    from ..astro.j2 import secular_rates_rad_s

    rates = secular_rates_rad_s(orbit.constellation().elements)
    return {k: float(np.asarray(v)[0]) for k, v in rates.items()}


def eclipse_year(
    orbit: OrbitSpec, *, days: float = 365.25, step_s: float = ECLIPSE_STEP_S
) -> EclipseYear:
    """Beta angle and eclipse fraction of ``orbit`` over ``days`` from ``orbit.start``.

    The node drifts at the J2 secular rate of SGP4's theory (for a sun-synchronous orbit: with
    the mean sun), the sun follows the Almanac's formulae, and each sample's eclipse fraction is
    the cylindrical-shadow closed form for that beta angle. Fast: a few thousand samples.
    """
    from ..astro.eclipse import eclipse_fraction_cylindrical
    from ..astro.sun import beta_angle_from_elements
    from ..astro.timeutil import time_grid

    rates = _secular(orbit)
    times = time_grid(orbit.start, days * 86400.0, step_s)
    beta = beta_angle_from_elements(
        orbit.raan_rad, orbit.inclination_rad, times, raan_rate_rad_s=rates["nodedot"]
    )
    shadow_altitude_m = rates["semi_major_axis_m"] - EARTH_EQUATORIAL_RADIUS_M
    fraction = eclipse_fraction_cylindrical(shadow_altitude_m, beta)
    period_s = TWO_PI / (rates["mdot"] + rates["argpdot"])
    return EclipseYear(
        times=times,
        beta_rad=np.asarray(beta, dtype=np.float64),
        eclipse_fraction=np.asarray(fraction, dtype=np.float64),
        period_s=float(period_s),
        nodal_rate_rad_s=rates["nodedot"],
        shadow_altitude_m=float(shadow_altitude_m),
    )


def eclipse_by_propagation(
    orbit: OrbitSpec, start: object, duration_s: float, step_s: float = 10.0
) -> dict[str, float]:
    """Check :func:`eclipse_year` against a propagated orbit over ``[start, start + duration_s]``.

    Propagates the orbit with the J2 propagator, computes the cylindrical sunlit fraction of
    every step (:func:`spacecompute.astro.eclipse.sunlit_fraction_from_positions`) and the
    eclipse windows (:func:`spacecompute.astro.eclipse.eclipse_events`). Returns the propagated
    eclipse fraction, the closed form averaged over the same instants, and the longest complete
    eclipse found with the closed form's prediction for it.
    """
    from ..astro.eclipse import (
        eclipse_events,
        eclipse_fraction_cylindrical,
        sunlit_fraction_from_positions,
    )
    from ..astro.sun import beta_angle_from_elements, sun_position_eci_m

    rates = _secular(orbit)
    const = orbit.constellation()
    eph = const.propagate(start, duration_s, step_s, method="j2", velocities=False)
    sun = sun_position_eci_m(eph.times)
    lit = sunlit_fraction_from_positions(eph.r_eci_m, sun, "cylindrical")
    dt0 = (eph.times[0] - orbit.start) / np.timedelta64(1, "s")
    beta = beta_angle_from_elements(
        orbit.raan_rad + rates["nodedot"] * dt0,
        orbit.inclination_rad,
        eph.times,
        raan_rate_rad_s=rates["nodedot"],
    )
    closed = eclipse_fraction_cylindrical(
        rates["semi_major_axis_m"] - EARTH_EQUATORIAL_RADIUS_M, beta
    )
    events = eclipse_events(eph.times, lit)
    complete = ~(events["starts_before"] | events["ends_after"])
    longest = float(events["duration_s"][complete].max()) if complete.any() else 0.0
    period_s = TWO_PI / (rates["mdot"] + rates["argpdot"])
    return {
        "propagated_eclipse_fraction": float(1.0 - np.mean(lit)),
        "closed_form_eclipse_fraction": float(np.mean(closed)),
        "propagated_longest_eclipse_s": longest,
        "closed_form_longest_eclipse_s": float(np.max(closed) * period_s),
    }


# ---------------------------------------------------------------------------------------------
# Hardware, thermal and radiation: thin adapters over spacecompute.spacecraft
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accelerator:
    """The planner's view of a catalog accelerator (:func:`spacecompute.spacecraft.hardware.hardware`)."""

    name: str
    power_max_w: float
    mass_kg: float
    peak_ops_per_s: Mapping[str, float]
    tid_tolerance_rad: float | None
    radiation_device: str | None
    source: str = ""

    def peak(self, precision: str) -> float:
        """Dense peak operations per second at ``precision``; InputError if not in the catalog."""
        if precision not in self.peak_ops_per_s:
            raise InputError(
                f"{self.name} has no {precision} peak in the hardware catalog",
                field="target.precision",
                expected="one of " + ", ".join(sorted(self.peak_ops_per_s)),
            )
        return float(self.peak_ops_per_s[precision])


def accelerator(name: str) -> Accelerator:
    """The catalog accelerator ``name`` (InputError with the catalog's names if unknown)."""
    from ..spacecraft.hardware import hardware

    hw = hardware(name)
    peaks = getattr(hw, "peak_ops_per_s", {}) or {}
    tid = getattr(hw, "tid_tolerance_rad", None)
    return Accelerator(
        name=str(getattr(hw, "name", name)),
        power_max_w=float(hw.power_max_w),
        mass_kg=float(hw.mass_kg),
        peak_ops_per_s={str(k): float(v) for k, v in dict(peaks).items()},
        tid_tolerance_rad=None if tid is None or not np.isfinite(tid) else float(tid),
        radiation_device=getattr(hw, "radiation_device", None),
        source=str(getattr(hw, "source", "")),
    )


def radiator_area_m2(
    heat_w: np.ndarray,
    temperature_k: np.ndarray,
    emissivity: np.ndarray,
    environment_w_per_m2: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Two-sided radiator planform area (m2) rejecting ``heat_w`` at ``temperature_k`` while
    absorbing ``environment_w_per_m2`` per m2 of planform, from the thermal model
    (:func:`spacecompute.spacecraft.thermal.radiator_area_m2`)."""
    from ..spacecraft import thermal

    return np.asarray(
        thermal.radiator_area_m2(
            heat_w, temperature_k, emissivity, sides=2, environment_w_per_m2=environment_w_per_m2
        ),
        dtype=np.float64,
    )


@dataclass(frozen=True)
class OrbitDay:
    """One day of the orbit at 60 s steps: geodetic track, sunlit fraction, sun zenith cosine."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    sunlit: np.ndarray
    cos_sun_zenith: np.ndarray


def orbit_day(orbit: OrbitSpec, step_s: float = 60.0) -> OrbitDay:
    """Propagate ``orbit`` (J2) over its first day; the sunlit fraction from the conical shadow
    (:func:`spacecompute.astro.eclipse.sunlit_fraction`)."""
    from ..astro.eclipse import sunlit_fraction
    from ..astro.sun import sun_direction_eci

    eph = orbit.constellation().propagate(orbit.start, 86400.0, step_s, method="j2")
    r = eph.r_eci_m[:, 0, :]
    s_hat = sun_direction_eci(eph.times)
    cz = np.einsum("ij,ij->i", r / np.linalg.norm(r, axis=1, keepdims=True), s_hat)
    return OrbitDay(
        lat_deg=np.asarray(eph.lat_deg[:, 0], dtype=np.float64),
        lon_deg=np.asarray(eph.lon_deg[:, 0], dtype=np.float64),
        alt_m=np.asarray(eph.alt_m[:, 0], dtype=np.float64),
        sunlit=np.asarray(sunlit_fraction(eph)[:, 0], dtype=np.float64),
        cos_sun_zenith=np.clip(cz, -1.0, 1.0),
    )


@dataclass(frozen=True)
class RadiatorEnvironment:
    """Day-average environmental heat absorbed by a two-sided radiator kept edge-on to the sun,
    per m2 of planform: ``ir_per_emissivity`` (Earth infrared, times the emissivity) and
    ``albedo_per_absorptivity`` (albedo, times the solar absorptivity)."""

    ir_per_emissivity_w_m2: float
    albedo_per_absorptivity_w_m2: float

    def absorbed_w_m2(self, emissivity: Any, absorptivity: Any) -> np.ndarray:
        return (
            np.asarray(emissivity) * self.ir_per_emissivity_w_m2
            + np.asarray(absorptivity) * self.albedo_per_absorptivity_w_m2
        )


def radiator_environment(day: OrbitDay) -> RadiatorEnvironment:
    """Environmental load on a 1 m2 two-sided edge-on radiator, averaged over ``day``, from
    :func:`spacecompute.spacecraft.thermal.environment_heat_w` (Earth infrared and albedo with
    Howell's view factors; no direct sun on an edge-on panel)."""
    from ..spacecraft import thermal

    n = day.alt_m.shape[0]

    def mean_w(emissivity: float, absorptivity: float) -> float:
        params = thermal.thermal_params(
            n,
            radiator_area_m2=1.0,
            heat_capacity_j_per_k=1.0,
            sides=2,
            emissivity=emissivity,
            absorptivity=absorptivity,
            orientation=thermal.ORIENTATION_EDGE_ON,
        )
        return float(
            np.mean(thermal.environment_heat_w(params, day.sunlit, day.alt_m, day.cos_sun_zenith))
        )

    tiny = 1e-12
    ir = mean_w(1.0, 0.0)
    albedo = mean_w(tiny, 1.0) - tiny * ir
    return RadiatorEnvironment(ir, albedo)


@dataclass(frozen=True)
class Radiation:
    """Radiation environment of the orbit for one accelerator."""

    dose_rad_per_year: float
    tid_tolerance_rad: float | None
    upsets_per_rad: Mapping[str, float] = field(default_factory=dict)
    device: str = ""
    source: str = ""

    @property
    def life_limit_years(self) -> float:
        """Years until the accelerator's total-dose tolerance is reached (inf if unknown)."""
        if self.tid_tolerance_rad is None or self.dose_rad_per_year <= 0:
            return math.inf
        return self.tid_tolerance_rad / self.dose_rad_per_year


def radiation(day: OrbitDay, hw: Accelerator, shielding_mm_al: float, year: float) -> Radiation:
    """Day-average dose rate behind ``shielding_mm_al`` of aluminium from
    :func:`spacecompute.spacecraft.radiation.dose_rate_rad_s`, and the accelerator's upsets per
    rad and total-dose tolerance (hardware catalog, else the susceptibility catalog)."""
    from ..spacecraft import radiation as rad

    rate = rad.dose_rate_rad_s(day.lat_deg, day.lon_deg, day.alt_m, shielding_mm_al, year=year)
    per_rad: dict[str, float] = {}
    tid = hw.tid_tolerance_rad
    device = ""
    source = ""
    if hw.radiation_device:
        dev = rad.device_susceptibility(hw.radiation_device)
        device = dev.name
        per_rad = dict(zip(rad.EFFECTS, (float(x) for x in dev.events_per_rad), strict=True))
        if tid is None and math.isfinite(dev.tid_limit_rad):
            tid = float(dev.tid_limit_rad)
        source = dev.source
    return Radiation(
        dose_rad_per_year=float(np.mean(rate) * JULIAN_YEAR_S),
        tid_tolerance_rad=tid,
        upsets_per_rad=per_rad,
        device=device,
        source=source,
    )


@dataclass(frozen=True)
class Physics:
    """Everything orbit- and hardware-dependent, computed once per design."""

    eclipse: EclipseYear
    accelerator: Accelerator
    radiation: Radiation
    radiator_environment: RadiatorEnvironment


def prepare(design: Design) -> Physics:
    """Eclipses over a year, the accelerator, the radiation environment (at the nominal
    shielding) and the radiator's environmental load of ``design``."""
    hw = accelerator(design.accelerator)
    hw.peak(design.target.precision)
    day = orbit_day(design.orbit)
    year = float(str(design.orbit.start)[:4]) + 0.5
    shielding = design.params["radiation_shielding_mm_al"].nominal
    return Physics(
        eclipse_year(design.orbit),
        hw,
        radiation(day, hw, shielding, year),
        radiator_environment(day),
    )


# ---------------------------------------------------------------------------------------------
# Sizing, vectorized over parameter samples
# ---------------------------------------------------------------------------------------------


def incidence_cosine(beta_rad: np.ndarray, pointing: str) -> np.ndarray:
    """Cosine of the sun's angle off the array normal, per beta angle, for a pointing mode of
    :data:`spacecompute.spacecraft.power.ATTITUDE_MODES`: two-axis tracking 1, single-axis
    tracking about the orbit normal ``cos(beta)``, a wing fixed along the orbit normal
    ``|sin(beta)|`` (the formulas of :func:`spacecompute.spacecraft.power.incidence_cosine`)."""
    b = np.asarray(beta_rad, dtype=np.float64)
    if pointing == "sun-tracking":
        c = np.ones_like(b)
    elif pointing == "single-axis":
        c = np.cos(b)
    elif pointing == "orbit-normal":
        c = np.abs(np.sin(b))
    else:
        raise InputError(
            f"array pointing {pointing!r}",
            field="satellite.array_pointing",
            expected="one of " + ", ".join(POINTING_MODES),
        )
    return np.maximum(c, MIN_INCIDENCE_COSINE)


def _as_samples(p: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], int]:
    arrays = {k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in p.items()}
    n = max((a.shape[0] for a in arrays.values()), default=1)
    out = {}
    for k, a in arrays.items():
        if a.ndim != 1 or a.shape[0] not in (1, n):
            raise ValueError(f"parameter {k} has shape {a.shape}, expected (1,) or ({n},)")
        out[k] = np.broadcast_to(a, (n,))
    return out, n


def size(design: Design, values: Mapping[str, Any], physics: Physics) -> dict[str, np.ndarray]:
    """Size ``design`` for parameter ``values`` (name -> (N,) arrays or scalars).

    Returns (N,) arrays: counts (``accelerators``, ``accelerators_per_satellite``,
    ``satellites``, ``launches``), per-satellite powers (W), areas (m2), battery energy (J),
    masses (kg, ``mass_*_kg`` per satellite, ``mass_total_kg`` for the fleet), ``availability``
    (fraction of the time the compute runs) and ``it_kw_per_tonne``. See the module docstring
    for the physics.
    """
    from ..spacecraft.power import array_area_for_load_m2, battery_for_eclipse_j

    p, n = _as_samples(values)
    hw = physics.accelerator
    ecl = physics.eclipse
    acc_it_w = hw.power_max_w * (1.0 + p["server_power_overhead_fraction"])

    # accelerators, in total and per satellite
    t = design.target
    if t.kind == "accelerators":
        n_acc = np.full(n, float(t.value))
    elif t.kind == "it_power":
        n_acc = np.ceil(t.value / acc_it_w - 1e-9)
    elif t.kind == "pflops":
        n_acc = np.full(n, math.ceil(t.value / hw.peak(t.precision) - 1e-9), dtype=np.float64)
    else:  # pragma: no cover - the schema allows no other kind
        raise ValueError(f"unknown target kind {t.kind!r}")
    # satellites first (the IT power ratio when both are powers, else the accelerator count per
    # satellite), then the accelerators spread evenly over them
    if design.per_satellite_kind == "accelerators":
        satellites = np.ceil(n_acc / design.per_satellite_value - 1e-9)
    elif t.kind == "it_power":
        satellites = np.full(n, math.ceil(t.value / design.per_satellite_value - 1e-9), dtype=float)
    else:
        per_guess = np.maximum(1.0, np.round(design.per_satellite_value / acc_it_w))
        satellites = np.ceil(n_acc / per_guess - 1e-9)
    satellites = np.clip(satellites, 1.0, n_acc)
    per_sat = np.ceil(n_acc / satellites - 1e-9)

    # power per satellite
    it_w = per_sat * acc_it_w
    bus_w = p["bus_power_fraction"] * it_w
    load_w = it_w + bus_w
    eclipse_load_w = load_w if design.eclipse_operation == "battery" else bus_w

    # solar array: worst day of the year at end of life (SMAD eq. 11-5)
    cos_day = incidence_cosine(ecl.beta_rad, design.array_pointing)[:, None]
    sunlit_day = (1.0 - ecl.eclipse_fraction)[:, None]
    eff = p["solar_cell_efficiency"]
    packing = p["solar_packing_factor"]
    area_day = array_area_for_load_m2(
        load_w,
        sunlit_day,
        eff,
        packing * p["solar_inherent_degradation"],
        eclipse_load_w=eclipse_load_w,
        cos_incidence=cos_day,
        degradation_per_year=p["solar_degradation_per_year"],
        life_years=p["life_years"],
    )
    worst = np.argmax(area_day, axis=0)
    array_area = area_day[worst, np.arange(n)]
    rated_w = array_area * SOLAR_CONSTANT_W_M2 * eff * packing
    eol_factor = (1.0 - p["solar_degradation_per_year"]) ** p["life_years"]
    mass_solar = rated_w / p["solar_specific_power_w_per_kg"]

    # battery through the longest eclipse
    battery_j = np.asarray(
        battery_for_eclipse_j(
            eclipse_load_w,
            ecl.longest_eclipse_s,
            p["battery_depth_of_discharge"],
            p["battery_discharge_efficiency"],
        ),
        dtype=np.float64,
    )
    mass_battery = battery_j / (p["battery_specific_energy_wh_per_kg"] * _S_PER_H)

    # radiator: all the electrical load ends as heat
    heat_w = load_w
    temperature_k = p["radiator_temperature_c"] + 273.15
    absorbed = physics.radiator_environment.absorbed_w_m2(
        p["radiator_emissivity"], p["radiator_solar_absorptivity"]
    )
    radiator_area = radiator_area_m2(heat_w, temperature_k, p["radiator_emissivity"], absorbed)
    mass_radiator = radiator_area * p["radiator_areal_mass_kg_per_m2"]

    # masses
    mass_compute = per_sat * (hw.mass_kg + p["server_mass_per_accelerator_kg"])
    mass_terminals = p["laser_terminals_per_satellite"] * p["laser_terminal_mass_kg"]
    subtotal = mass_compute + mass_solar + mass_battery + mass_radiator + mass_terminals
    share = 1.0 - p["structure_mass_fraction"] - p["bus_mass_fraction"]
    if np.any(share <= 0):
        raise InputError(
            "structure_mass_fraction + bus_mass_fraction >= 1",
            field="parameters.structure_mass_fraction",
            expected="fractions of the dry mass that add up to less than 1",
        )
    mass_sat = subtotal / share
    mass_total = satellites * mass_sat
    launches = np.ceil(mass_total / p["launch_vehicle_capacity_kg"] - 1e-9)
    availability = (
        np.ones(n)
        if design.eclipse_operation == "battery"
        else np.full(n, 1.0 - ecl.annual_fraction)
    )
    it_total_w = n_acc * acc_it_w
    return {
        "accelerators": n_acc,
        "accelerators_per_satellite": per_sat,
        "satellites": satellites,
        "launches": launches,
        "accelerator_it_power_w": acc_it_w,
        "it_power_total_w": it_total_w,
        "it_power_per_satellite_w": it_w,
        "bus_power_per_satellite_w": bus_w,
        "load_per_satellite_w": load_w,
        "eclipse_load_per_satellite_w": eclipse_load_w,
        "array_area_per_satellite_m2": array_area,
        "array_rated_power_per_satellite_w": rated_w,
        "array_eol_power_per_satellite_w": rated_w * eol_factor,
        "array_sizing_day_index": worst.astype(np.float64),
        "battery_energy_per_satellite_j": battery_j,
        "heat_per_satellite_w": heat_w,
        "radiator_area_per_satellite_m2": radiator_area,
        "radiator_flux_w_per_m2": heat_w / radiator_area,
        "radiator_absorbed_w_per_m2": absorbed,
        "mass_compute_kg": mass_compute,
        "mass_solar_kg": mass_solar,
        "mass_battery_kg": mass_battery,
        "mass_radiator_kg": mass_radiator,
        "mass_terminals_kg": mass_terminals,
        "mass_structure_kg": p["structure_mass_fraction"] * mass_sat,
        "mass_bus_kg": p["bus_mass_fraction"] * mass_sat,
        "mass_satellite_kg": mass_sat,
        "mass_total_kg": mass_total,
        "availability": availability,
        "it_kw_per_tonne": (it_total_w / 1e3) / (mass_total / 1e3),
    }


#: Per-satellite mass lines of :func:`size`, in the order of the report's breakdown.
MASS_LINES = (
    "mass_compute_kg",
    "mass_solar_kg",
    "mass_battery_kg",
    "mass_radiator_kg",
    "mass_terminals_kg",
    "mass_structure_kg",
    "mass_bus_kg",
)

__all__ = [
    "DEFAULT_START",
    "MASS_LINES",
    "POINTING_MODES",
    "Accelerator",
    "Design",
    "EclipseYear",
    "OrbitDay",
    "OrbitSpec",
    "Param",
    "Physics",
    "Radiation",
    "RadiatorEnvironment",
    "Target",
    "accelerator",
    "eclipse_by_propagation",
    "eclipse_year",
    "incidence_cosine",
    "orbit_day",
    "prepare",
    "radiation",
    "radiator_area_m2",
    "radiator_environment",
    "size",
]
