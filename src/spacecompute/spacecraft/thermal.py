"""Radiator thermal model: environment loads, lumped-capacitance transient, throttling, sizing.

One thermal node per satellite, plus an optional payload node (see "Payload node" below) (struct of arrays over ``N`` satellites, SI units: W, J, K, m2).
The node is the radiator panel and everything that is thermally tied to it (the compute
payload, the heat-transport loop): a lumped heat capacity ``C`` (J/K) at one temperature ``T``.

Energy balance (Gilmore 2002, ch. 2 and 4; Wertz & Larson 1999, sec. 11.5)::

    C dT/dt = Q_internal + Q_environment + Q_heater - sides * eps * sigma * A * T^4

- ``A`` is the radiator's planform area (one face), ``sides`` 1 (the back is insulated) or 2
  (both faces radiate: a deployed panel), ``eps`` the infrared hemispherical emissivity, which
  by Kirchhoff's law is also the absorptivity for Earth infrared (gray body in the infrared),
  ``sigma`` the Stefan-Boltzmann constant (CODATA 2018, exact since the 2019 SI).
- Deep space is taken at 0 K (its 3 K background is below 1e-6 of the emission at 200 K).

Environment (:func:`environment_heat_w`), per radiating face (Gilmore 2002, vol. 1, ch. 2,
"Environmental heat loads"; Wertz & Larson, *SMAD* 3rd ed. (1999), sec. 11.5):

- direct sun: ``alpha * S * f_sun * max(cos(incidence), 0)``, ``S`` the solar constant (1361
  W/m2, Kopp & Lean 2011), ``f_sun`` the visible fraction of the solar disk (0 in umbra),
  ``alpha`` the solar absorptivity;
- albedo: ``alpha * S * a * F * max(cos(zeta), 0)``, ``a`` the Earth's albedo (0.30, SMAD
  sec. 11.5), ``zeta`` the sun's zenith angle at the sub-satellite point, ``F`` the face's view
  factor to the Earth; the ``F cos(zeta)`` albedo factor is the usual approximation for LEO
  (Gilmore 2002, ch. 2), poor near the terminator, where it gives 0;
- Earth infrared: ``eps * q_IR * F`` with the Earth's outgoing long-wave radiation ``q_IR``
  (237 W/m2 orbit-average, SMAD sec. 11.5; Gilmore ch. 2 tabulates its variation with
  orbit inclination and averaging time).

View factors of a flat plate to a spherical Earth (:func:`earth_view_factor`,
:func:`plate_earth_view_factor`): the differential planar element tilted by ``phi`` from the
line to the centre of a sphere of radius ``R`` at distance ``H R`` (J. R. Howell, *A Catalog of
Radiation Heat Transfer Configuration Factors*, "differential planar element to sphere, element
tilted"; the same curves as Gilmore 2002, ch. 2, Earth view factors of flat plates)::

    phi <= acos(1/H):       F = cos(phi) / H^2                 (nadir-facing plate: 1/H^2)
    phi >= pi - acos(1/H):  F = 0
    otherwise:              F = 1/2 - asin(sqrt(H^2-1) / (H sin phi)) / pi
                                + [cos(phi) acos(-sqrt(H^2-1) cot(phi))
                                   - sqrt(H^2-1) sqrt(1 - H^2 cos^2 phi)] / (pi H^2)

and for ``phi = 90 deg`` (a plate whose normal is horizontal: an edge-on radiator in a
dawn-dusk orbit) ``F = [asin(1/H) - sqrt(H^2-1) / H^2] / pi``. At 500 km: 0.860 (nadir) and
0.267 (vertical).

Orientations (``ThermalParams.orientation``; "front" is the radiating face of a one-sided panel):

- ``ORIENTATION_EDGE_ON`` (0): normal horizontal and perpendicular to the sun (the radiator of
  a sun-pointing array in a dawn-dusk orbit): each face sees the Earth with the vertical-plate
  ``F``; no direct sun unless ``cos_sun_normal`` is given (a pointing error).
- ``ORIENTATION_NADIR`` (1): the front faces the Earth (``F = 1/H^2``), the back deep space.
- ``ORIENTATION_ZENITH`` (2): the front faces deep space, the back the Earth.
- ``ORIENTATION_SUN_SHADED`` (3): behind a sunshade or the array: never direct sun; Earth
  view factors as edge-on unless given.

Per-face view factors can be forced with ``view_factor_front`` / ``view_factor_back``
(NaN, the default, means "from the orientation and the altitude").

Transient (:func:`thermal_step`): the input ``Q = Q_internal + Q_environment`` is held constant
over a step, and the ODE ``C dT/dt = Q - k T^4`` (``k = sides eps sigma A``) is integrated
over the step from its analytic solution rather than by a time-stepping formula, so that any
step (60 s with a 10 s time constant, or an hour) is stable, never overshoots the equilibrium
and never oscillates. Two routes, chosen per satellite by
``z = (k dt / C) p(max(T0, a))``, ``p(T) = T^3 + T^2 a + T a^2 + a^3`` (``dt`` over the
shortest local time constant), with ``a = (Q/k)^(1/4)`` the equilibrium:

- stiff steps (``z > 0.1``), exact: with ``x = T/a`` the ODE separates into
  ``dx / (1 - x^4) = (k a^3 / C) dt`` whose integral is
  ``h(x) = [artanh*(x) + atan(x)] / 2`` (``artanh*`` = ``0.5 ln|(1+x)/(1-x)|``), so
  ``h(x1) = h(x0) + k a^3 dt / C``; warming (``x < 1``) is solved for ``x1`` by Newton's method
  on ``artanh(x) + atan(x) = c``; cooling (``x > 1``) in the variable ``rho = T0/T1`` on
  ``rho^3 S(w0 rho) = S(w0) + 3 k T0^3 dt / C`` with ``w = a/T`` and
  ``S(w) = 1.5 (artanh w - atan w) / w^3 = 1 + 3 w^4/7 + 3 w^8/11 + ...``, which is regular at
  ``a = 0`` (no input at all: ``T1 = T0 (1 + 3 k T0^3 dt / C)^(-1/3)``, the classical radiative
  cooling law). Both residuals are convex and increasing and Newton's method starts from an
  upper bound of the root, so it converges monotonically (at most about 7 iterations). Within
  1e-6 of the equilibrium the linearized solution ``a + (T0 - a) exp(-4 k a^3 dt / C)`` is
  used (error about ``1.5 (T0 - a)^2 / a``, below 1e-9 K at 300 K).
- gentle steps (``z <= 0.1``), with no iteration: the exact relation
  ``T1 - a = (T0 - a) exp(-(k/C) integral p(T) dt)`` (``a^4 - T^4 = (a - T) p(T)``) with the
  integral by Simpson's rule on predicted mid- and end-point temperatures, and ``exp`` by its
  Taylor polynomial (all exponents lie in [-0.1, 0]) so that the loop vectorizes. Its error is
  below 3.2e-5 of ``|T0 - a|`` per step at ``z = 0.1`` and 2.6e-6 at ``z = 0.05`` (checked
  against the exact solution over T0/a from 1e-3 to 1e3), and it also stays between ``T0``
  and ``a``. A satellite of 1 t (C about 9e5 J/K) on a 100 m2 panel at 300 K has a time
  constant of about 15 min: 60 s steps take this route.

No step may heat faster than with no emission at all: ``T1 <= T0 + Q dt / C`` is enforced
(it only ever binds by rounding).

The heat radiated during the step is then ``Q dt - C (T1 - T0)`` (the energy balance of the
step, exact for the exact solution), reported as the mean power over the step.

Heater (optional, ``min_temperature_k > 0``): an ideal thermostat holds ``T >= T_min``. A node
that starts below the set point is raised to it at the start of the step; if the free solution
ends below the set point, the node ends at ``T_min`` and the heater energy is the larger of two
lower bounds of the true value, ``C (T_min - T0) + (k T_min^4 - Q) dt`` (exact when the node
sits at the set point all step) and ``C (T_min - T1_free)``.

Throttle: the compute throttle for the next step is linear in the end-of-step temperature, 1 at
or below ``T_max - band`` and 0 at or above ``T_max`` (a proportional controller; ``band = 0``
makes it on/off). With a quasi-static node (step longer than the time constant) the loop is
free of limit cycles when ``band > P / (4 k T^3)`` (``P`` the full compute heat): the
proportional gain ``P / band`` must not exceed the radiator's conductance ``4 k T^3``.

Payload node (optional, ``payload_heat_capacity_j_per_k > 0``): a second node per satellite,
the compute die and board with their own heat capacity ``C_p`` and conductance ``G`` to the bus
node (the cold plate or mounting path; the payload's heat reaches space through the bus node's
radiator, so "to the bus and to the radiator" is one path)::

    C_p dT_p/dt = P_payload - G (T_p - T_b)
    C_b dT_b/dt = Q_bus + Q_env + G (T_p - T_b) - k T_b^4

A small ``C_p / G`` (minutes) against the bus node's hours is what lets a chip throttle minutes
after a load starts while the bus stays cool. Each step is split in two exactly solved parts
(three exactly solved parts):

1. the payload node against the bus node held at its start temperature ``T_b0``:
   ``T_p* = T_inf + (T_p0 - T_inf) exp(-x)``, ``T_inf = T_b0 + P/G``, ``x = G dt / C_p``; the
   bus node is credited with the rest of the payload's heat, ``P dt - C_p (T_p* - T_p0)``
   (as a mean power over the step);
2. the bus node's radiative step above with that power added to its own loads, to ``T_b1``;
3. the payload follows the bus's move as the exact response of the first-order payload node to
   a linear ramp of the bus from ``T_b0`` to ``T_b1``: ``T_p1 = T_p* + (T_b1 - T_b0) (1 -
   (1 - exp(-x)) / x)``, the heat of that shift taken from the bus node (``C_p`` times it over
   ``C_b``: an internal transfer).

A payload much colder than the bus draws in part 1 at most what the bus node receives in the
step (its loads and environment), so that the bus node's input stays non-negative (a limit that
only binds in a transient such as a cold payload switched on in a warm bus; energy stays exact).
Every part is an exponential or the exact radiative solution and moves each node at most to its
target: stable and free of overshoot at any step, and energy is conserved to rounding (in =
``C_p dT_p + C_b dT_b`` + radiated). A step much longer than both time constants lands on the
two-node equilibrium (the bus's radiative one, the payload ``P/G`` above it) to within the
shift heat ``C_p dT_b / C_b`` of part 3, an error that shrinks by ``C_p / C_b`` at each further
such step. Against the closed
form of the linear two-node RC (no radiation) the split's error is of order ``C_p / C_b`` (the
bus is not a ramp): at ``C_b / C_p = 25`` it is 0.01 % of the payload's rise with 60 s steps
and 2.6 % with one-hour steps (``tests/test_payload_thermal.py``); satellites have ``C_b / C_p``
of 100 to 10,000. The
throttle then acts on the payload node's temperature. The default parameters (none: one node)
keep the single-node model; :mod:`spacecompute.spacecraft.fleet` takes them per device from the
hardware catalog, calibrated on the Tiansuan constellation's in-orbit telemetry (``docs/spacecraft.md``).

Sizing helpers (closed forms): :func:`radiator_flux_w_m2`, :func:`radiator_area_m2`,
:func:`equilibrium_temperature_k`. A two-sided panel of emissivity 0.92 at 20 C emits about
770 W/m2 of planform, the figure of Starcloud's white paper "Why we should train AI in space"
(2024), which nets about 633 W/m2 after about 137 W/m2 absorbed from the environment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numba import njit, prange

from .._parallel import twin_kernel
from ..astro.constants import EARTH_EQUATORIAL_RADIUS_M, SOLAR_CONSTANT_W_M2
from ..errors import InputError

__all__ = [
    "EARTH_ALBEDO",
    "EARTH_IR_W_M2",
    "ORIENTATIONS",
    "ORIENTATION_EDGE_ON",
    "ORIENTATION_NADIR",
    "ORIENTATION_SUN_SHADED",
    "ORIENTATION_ZENITH",
    "STEFAN_BOLTZMANN_W_M2_K4",
    "StepThermal",
    "ThermalParams",
    "ThermalState",
    "earth_view_factor",
    "environment_heat_w",
    "equilibrium_state",
    "equilibrium_temperature_k",
    "orbit_average_environment_w",
    "plate_earth_view_factor",
    "radiator_area_m2",
    "radiator_flux_w_m2",
    "thermal_params",
    "thermal_state",
    "thermal_step",
]

#: Stefan-Boltzmann constant, W m^-2 K^-4 (CODATA 2018; exact in the 2019 SI:
#: 2 pi^5 k_B^4 / (15 h^3 c^2)).
STEFAN_BOLTZMANN_W_M2_K4 = 5.670374419e-8
#: Earth's mean Bond albedo (Wertz & Larson, SMAD 3rd ed., sec. 11.5: 0.30 +/- 0.05).
EARTH_ALBEDO = 0.30
#: Earth's orbit-average outgoing long-wave radiation, W/m2 (SMAD sec. 11.5: 237 +/- 21).
EARTH_IR_W_M2 = 237.0

ORIENTATION_EDGE_ON = 0
ORIENTATION_NADIR = 1
ORIENTATION_ZENITH = 2
ORIENTATION_SUN_SHADED = 3
#: Orientation names accepted by :func:`thermal_params` and :func:`earth_view_factor`.
ORIENTATIONS: dict[str, int] = {
    "edge_on": ORIENTATION_EDGE_ON,
    "nadir": ORIENTATION_NADIR,
    "zenith": ORIENTATION_ZENITH,
    "sun_shaded": ORIENTATION_SUN_SHADED,
}

# Steps with z = dt / (local time constant) below this take the Simpson route (see module doc).
_GENTLE_Z = 0.1
_SIGMA = STEFAN_BOLTZMANN_W_M2_K4


# --------------------------------------------------------------------------------------------
# Parameters and state
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThermalParams:
    """Per-satellite radiator and thermal-node parameters, arrays of shape ``(N,)``.

    Attributes
    ----------
    radiator_area_m2:
        Planform area of the radiator (one face), m2.
    sides:
        1 (back insulated) or 2 (both faces radiate), int8.
    emissivity:
        Infrared hemispherical emissivity (also the Earth-infrared absorptivity), in (0, 1].
    absorptivity:
        Solar absorptivity, in [0, 1].
    orientation:
        ``ORIENTATION_*`` code, int8 (see the module docstring).
    heat_capacity_j_per_k:
        Lumped heat capacity of the node, J/K (mass times specific heat), > 0.
    max_temperature_k:
        Temperature at which compute is throttled to 0, K.
    throttle_band_k:
        Width of the linear throttle band below ``max_temperature_k``, K (>= 0).
    min_temperature_k:
        Heater set point, K; 0 means no heater.
    view_factor_front, view_factor_back:
        Forced view factors to the Earth of each face, in [0, 1]; NaN (the default) takes them
        from the orientation and the altitude.
    payload_heat_capacity_j_per_k, payload_conductance_w_per_k:
        The payload node (the compute die and board, module docstring "Payload node"): its heat
        capacity, J/K, and its conductance to the bus node (and through it to the radiator),
        W/K. Both 0 (the default): no payload node, the payload's heat goes straight into the
        bus node and the throttle acts on the bus node; both > 0 otherwise.
    radiative_coeff_w_per_k4:
        Derived: ``sides * emissivity * sigma * radiator_area_m2``, W/K^4.

    Constructing one validates it (:class:`~spacecompute.errors.InputError` on bad values) and
    keeps read-only copies of the arrays; :func:`thermal_params` builds one from scalars or
    arrays by broadcasting.
    """

    radiator_area_m2: np.ndarray
    sides: np.ndarray
    emissivity: np.ndarray
    absorptivity: np.ndarray
    orientation: np.ndarray
    heat_capacity_j_per_k: np.ndarray
    max_temperature_k: np.ndarray
    throttle_band_k: np.ndarray
    min_temperature_k: np.ndarray
    view_factor_front: np.ndarray
    view_factor_back: np.ndarray
    payload_heat_capacity_j_per_k: np.ndarray
    payload_conductance_w_per_k: np.ndarray
    radiative_coeff_w_per_k4: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = None
        for f in fields(self):
            if f.name == "radiative_coeff_w_per_k4":
                continue
            raw = getattr(self, f.name)
            if f.name in ("sides", "orientation"):
                arr = np.asarray(raw)
                allowed = (1, 2) if f.name == "sides" else tuple(ORIENTATIONS.values())
                if arr.dtype.kind not in "iuf" or not np.all(np.isin(arr, allowed)):
                    raise InputError(
                        f"{f.name} has values outside {allowed} (dtype {arr.dtype})",
                        field=f"thermal.{f.name}",
                        expected="one of "
                        + (
                            "1, 2"
                            if f.name == "sides"
                            else ", ".join(f"{v} ({k})" for k, v in ORIENTATIONS.items())
                        ),
                    )
                arr = np.array(arr, dtype=np.int8)
            else:
                try:
                    arr = np.array(raw, dtype=np.float64)
                except (TypeError, ValueError) as exc:
                    raise InputError(
                        f"{f.name} is not numeric", field=f"thermal.{f.name}", expected="numbers"
                    ) from exc
            if arr.ndim != 1:
                raise InputError(
                    f"{f.name} has shape {arr.shape}",
                    field=f"thermal.{f.name}",
                    expected="a 1-D array (N,)",
                )
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise InputError(
                    f"{f.name} has {arr.shape[0]} values for {n} satellites",
                    field=f"thermal.{f.name}",
                    expected=f"{n} values",
                )
            object.__setattr__(self, f.name, arr)
        self._validate()
        coeff = self.sides * self.emissivity * _SIGMA * self.radiator_area_m2
        object.__setattr__(self, "radiative_coeff_w_per_k4", np.ascontiguousarray(coeff))
        for f in fields(self):  # own copies, frozen: the derived coefficient cannot go stale
            getattr(self, f.name).flags.writeable = False

    def _validate(self) -> None:
        def check(name: str, ok: np.ndarray, expected: str) -> None:
            bad = np.flatnonzero(~ok)
            if bad.size:
                i = int(bad[0])
                value = getattr(self, name)[i]
                raise InputError(
                    f"{bad.size} bad value(s), first at satellite {i}: {value!r}",
                    field=f"thermal.{name}",
                    expected=expected,
                )

        check(
            "radiator_area_m2",
            np.isfinite(self.radiator_area_m2) & (self.radiator_area_m2 > 0),
            "> 0 m2",
        )
        check("emissivity", (self.emissivity > 0) & (self.emissivity <= 1), "in (0, 1]")
        check("absorptivity", (self.absorptivity >= 0) & (self.absorptivity <= 1), "in [0, 1]")
        c = self.heat_capacity_j_per_k
        check("heat_capacity_j_per_k", np.isfinite(c) & (c > 0), "> 0 J/K")
        tmax = self.max_temperature_k
        check("max_temperature_k", np.isfinite(tmax) & (tmax > 0), "> 0 K")
        band = self.throttle_band_k
        check(
            "throttle_band_k",
            np.isfinite(band) & (band >= 0) & (band < tmax),
            "in [0, max_temperature_k) K",
        )
        tmin = self.min_temperature_k
        check(
            "min_temperature_k",
            (tmin >= 0) & (tmin < tmax - band),
            ">= 0 K and below max_temperature_k - throttle_band_k",
        )
        for name in ("view_factor_front", "view_factor_back"):
            v = getattr(self, name)
            check(
                name, np.isnan(v) | ((v >= 0) & (v <= 1)), "NaN (from the orientation) or in [0, 1]"
            )
        cp = self.payload_heat_capacity_j_per_k
        gp = self.payload_conductance_w_per_k
        for name, v in (("payload_heat_capacity_j_per_k", cp), ("payload_conductance_w_per_k", gp)):
            check(name, np.isfinite(v) & (v >= 0), ">= 0 (0: no payload node)")
        check(
            "payload_conductance_w_per_k",
            (cp > 0) == (gp > 0),
            "> 0 where payload_heat_capacity_j_per_k > 0, and 0 where it is 0",
        )

    @property
    def has_payload_node(self) -> bool:
        """Whether any satellite has a payload node."""
        return bool(np.any(self.payload_heat_capacity_j_per_k > 0))

    @property
    def n(self) -> int:
        """Number of satellites."""
        return int(self.radiator_area_m2.shape[0])


_DEFAULTS: dict[str, Any] = {
    "sides": 2,
    "emissivity": 0.92,
    "absorptivity": 0.20,
    "orientation": ORIENTATION_EDGE_ON,
    "max_temperature_k": 358.15,
    "throttle_band_k": 10.0,
    "min_temperature_k": 0.0,
    "view_factor_front": math.nan,
    "view_factor_back": math.nan,
    "payload_heat_capacity_j_per_k": 0.0,
    "payload_conductance_w_per_k": 0.0,
}
_REQUIRED = ("radiator_area_m2", "heat_capacity_j_per_k")


def _orientation_codes(value: Any, name: str = "orientation") -> Any:
    """Map orientation names (a str or a sequence of str) to codes; pass numbers through."""
    if isinstance(value, str):
        if value not in ORIENTATIONS:
            raise InputError(
                f"unknown orientation {value!r}",
                field=f"thermal.{name}",
                expected="one of " + ", ".join(ORIENTATIONS),
            )
        return ORIENTATIONS[value]
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        flat = [str(v) for v in arr.ravel()]
        unknown = sorted({v for v in flat if v not in ORIENTATIONS})
        if unknown:
            raise InputError(
                f"unknown orientation(s) {unknown}",
                field=f"thermal.{name}",
                expected="one of " + ", ".join(ORIENTATIONS),
            )
        return np.array([ORIENTATIONS[v] for v in flat], dtype=np.int8).reshape(arr.shape)
    return value


def thermal_params(n: int, **values: Any) -> ThermalParams:
    """:class:`ThermalParams` for ``n`` satellites, each value a scalar or an ``(n,)`` array.

    Required: ``radiator_area_m2``, ``heat_capacity_j_per_k``. Defaults: ``sides=2``,
    ``emissivity=0.92`` (white paint Z-93; Gilmore 2002, app. A), ``absorptivity=0.20`` (a white
    thermal-control paint at beginning of life; Gilmore 2002, app. A, lists white paints between
    about 0.15 and 0.25), ``orientation="edge_on"`` (a name of :data:`ORIENTATIONS` or a code),
    ``max_temperature_k=358.15`` (85 C), ``throttle_band_k=10``, ``min_temperature_k=0`` (no
    heater), view factors NaN (from the orientation), no payload node
    (``payload_heat_capacity_j_per_k=0``, ``payload_conductance_w_per_k=0``).
    """
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise InputError(f"n = {n!r}", field="thermal.n", expected="an int >= 0")
    n = int(n)
    names = [f.name for f in fields(ThermalParams) if f.init]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InputError(
            f"unknown thermal parameter(s) {unknown}",
            field=f"thermal.{unknown[0]}",
            expected="one of " + ", ".join(names),
        )
    missing = [k for k in _REQUIRED if k not in values]
    if missing:
        raise InputError(
            f"missing thermal parameter(s) {missing}",
            field=f"thermal.{missing[0]}",
            expected="a value (scalar or (n,) array)",
        )
    built: dict[str, np.ndarray] = {}
    for name in names:
        value = values.get(name, _DEFAULTS.get(name))
        if name == "orientation":
            value = _orientation_codes(value)
        # sides and orientation keep their dtype: ThermalParams rejects non-integers
        dtype = None if name in ("sides", "orientation") else np.float64
        try:
            arr = np.broadcast_to(np.asarray(value, dtype=dtype), (n,))
        except (ValueError, TypeError) as exc:
            raise InputError(
                f"{name} has shape {np.shape(value)}",
                field=f"thermal.{name}",
                expected=f"a scalar or an array of shape ({n},)",
            ) from exc
        built[name] = np.array(arr)  # own, contiguous copy
    return ThermalParams(**built)


@dataclass
class ThermalState:
    """Mutable per-satellite thermal state, arrays of shape ``(N,)``; :func:`thermal_step`
    updates it in place.

    Attributes
    ----------
    temperature_k:
        Node temperature, K.
    heat_rejected_j:
        Cumulative heat radiated to space, J.
    heat_absorbed_j:
        Cumulative environmental heat absorbed (sun, albedo, Earth infrared), J.
    heater_j:
        Cumulative heater energy, J.
    throttled_steps:
        Number of steps that ended with a throttle below 1, int64.
    payload_temperature_k:
        Temperature of the payload node, K (equal to ``temperature_k`` where there is none).
    """

    temperature_k: np.ndarray
    heat_rejected_j: np.ndarray
    heat_absorbed_j: np.ndarray
    heater_j: np.ndarray
    throttled_steps: np.ndarray
    payload_temperature_k: np.ndarray

    @property
    def n(self) -> int:
        """Number of satellites."""
        return int(self.temperature_k.shape[0])


def thermal_state(
    n: int,
    temperature_k: float | np.ndarray = 293.15,
    payload_temperature_k: float | np.ndarray | None = None,
) -> ThermalState:
    """Initial :class:`ThermalState` for ``n`` satellites at ``temperature_k`` (scalar or
    ``(n,)``), the payload node at ``payload_temperature_k`` (default: the bus node's), counters
    at zero."""
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 0:
        raise InputError(f"n = {n!r}", field="thermal_state.n", expected="an int >= 0")
    try:
        t = np.array(np.broadcast_to(np.asarray(temperature_k, dtype=np.float64), (int(n),)))
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"temperature_k has shape {np.shape(temperature_k)}",
            field="thermal_state.temperature_k",
            expected=f"a scalar or an array of shape ({n},)",
        ) from exc
    if not np.all(np.isfinite(t) & (t > 0)):
        raise InputError(
            "temperature_k must be finite and positive",
            field="thermal_state.temperature_k",
            expected="> 0 K",
        )
    if payload_temperature_k is None:
        tp = t.copy()
    else:
        tp = thermal_state(n, payload_temperature_k).temperature_k
    z = np.zeros(int(n))
    return ThermalState(t, z.copy(), z.copy(), z.copy(), np.zeros(int(n), dtype=np.int64), tp)


@dataclass
class StepThermal:
    """Result of one :func:`thermal_step`, arrays of shape ``(N,)``.

    Attributes
    ----------
    temperature_k:
        End-of-step temperature, K (the state's own array, not a copy).
    throttle:
        Compute throttle in [0, 1] to apply during the next step.
    radiated_w:
        Mean radiated power over the step, W.
    heater_w:
        Mean heater power over the step, W (0 without a heater).
    payload_temperature_k:
        End-of-step temperature of the payload node, K (the state's own array; equal to
        ``temperature_k`` where there is no payload node).
    """

    temperature_k: np.ndarray
    throttle: np.ndarray
    radiated_w: np.ndarray
    heater_w: np.ndarray
    payload_temperature_k: np.ndarray | None = None


# --------------------------------------------------------------------------------------------
# View factors and environment
# --------------------------------------------------------------------------------------------


def _check_altitude(altitude_m: Any, name: str = "altitude_m") -> np.ndarray:
    h = np.asarray(altitude_m, dtype=np.float64)
    if not np.all(np.isfinite(h) & (h > 0)):
        raise InputError(f"{name} must be finite and > 0", field=name, expected="> 0 m")
    return h


def plate_earth_view_factor(
    altitude_m: float | np.ndarray,
    tilt_rad: float | np.ndarray,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> np.ndarray | float:
    """View factor from a flat plate to a spherical Earth, the plate's normal tilted by
    ``tilt_rad`` from nadir (0: facing the Earth, pi/2: vertical plate, pi: facing zenith).

    Howell's catalog, "differential planar element to sphere, element tilted" (formula in the
    module docstring; Gilmore 2002, vol. 1, ch. 2 plots the same factors). Broadcasts;
    returns a float for scalar inputs.
    """
    h = _check_altitude(altitude_m)
    phi = np.asarray(tilt_rad, dtype=np.float64)
    if not np.all(np.isfinite(phi) & (phi >= 0) & (phi <= math.pi)):
        raise InputError("tilt_rad must be in [0, pi]", field="tilt_rad", expected="[0, pi] rad")
    H, phi = np.broadcast_arrays((earth_radius_m + h) / earth_radius_m, phi)
    full = np.arccos(1.0 / H)
    s = np.sqrt(H * H - 1.0)
    sin_phi = np.sin(phi)
    cos_phi = np.cos(phi)
    with np.errstate(divide="ignore", invalid="ignore"):
        partial = (
            0.5
            - np.arcsin(np.clip(s / (H * sin_phi), -1.0, 1.0)) / math.pi
            + (
                cos_phi * np.arccos(np.clip(-s * cos_phi / sin_phi, -1.0, 1.0))
                - s * np.sqrt(np.clip(1.0 - H * H * cos_phi * cos_phi, 0.0, None))
            )
            / (math.pi * H * H)
        )
    out = np.where(phi <= full, cos_phi / (H * H), np.where(phi >= math.pi - full, 0.0, partial))
    return float(out) if out.ndim == 0 else out


def earth_view_factor(
    altitude_m: float | np.ndarray,
    orientation: int | str | np.ndarray,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """View factors to the Earth of the (front, back) faces of a flat radiator.

    ``ORIENTATION_NADIR``: front ``(R/(R+h))^2``, back 0; ``ORIENTATION_ZENITH``: the reverse;
    ``ORIENTATION_EDGE_ON`` and ``ORIENTATION_SUN_SHADED``: both faces the vertical-plate value
    ``[asin(1/H) - sqrt(H^2-1)/H^2] / pi`` with ``H = (R+h)/R`` (Howell's catalog, differential
    planar element to sphere; Gilmore 2002, vol. 1, ch. 2). Broadcasts; floats for scalars.
    """
    h = _check_altitude(altitude_m)
    code = np.asarray(_orientation_codes(orientation))
    if code.dtype.kind not in "iu" or not np.all((code >= 0) & (code <= 3)):
        raise InputError(
            f"orientation {orientation!r}",
            field="orientation",
            expected="one of " + ", ".join(f"{v} ({k})" for k, v in ORIENTATIONS.items()),
        )
    H, code = np.broadcast_arrays((earth_radius_m + h) / earth_radius_m, code)
    f_nadir = 1.0 / (H * H)
    f_vertical = (np.arcsin(1.0 / H) - np.sqrt(H * H - 1.0) / (H * H)) / math.pi
    front = np.where(
        code == ORIENTATION_NADIR, f_nadir, np.where(code == ORIENTATION_ZENITH, 0.0, f_vertical)
    )
    back = np.where(
        code == ORIENTATION_ZENITH, f_nadir, np.where(code == ORIENTATION_NADIR, 0.0, f_vertical)
    )
    if front.ndim == 0:
        return float(front), float(back)
    return front, back


@twin_kernel()
def _environment_kernel(
    area,
    sides,
    eps,
    alpha,
    orient,
    vf_front,
    vf_back,
    sunlit,
    altitude,
    cos_zenith,
    cos_normal,
    has_normal,
    earth_radius,
    solar,
    albedo,
    earth_ir,
    out,
):  # pragma: no cover - compiled
    inv_pi = 1.0 / math.pi
    for i in prange(out.shape[0]):
        H = (earth_radius + altitude[i]) / earth_radius
        H2 = H * H
        o = orient[i]
        f_nadir = 1.0 / H2
        if o == 1:
            ff = f_nadir
            fb = 0.0
        elif o == 2:
            ff = 0.0
            fb = f_nadir
        else:
            fv = (math.asin(1.0 / H) - math.sqrt(H2 - 1.0) / H2) * inv_pi
            ff = fv
            fb = fv
        if not math.isnan(vf_front[i]):
            ff = vf_front[i]
        if not math.isnan(vf_back[i]):
            fb = vf_back[i]
        cz = cos_zenith[i]
        if o == 1:
            cf = -cz
        elif o == 2:
            cf = cz
        elif o == 0 and has_normal:
            cf = cos_normal[i]
        else:
            cf = 0.0
        two = 1.0 if sides[i] == 2 else 0.0
        faces = ff + two * fb
        sun_cos = max(cf, 0.0) + two * max(-cf, 0.0)
        q_sun = alpha[i] * solar * (sunlit[i] * sun_cos + albedo * faces * max(cz, 0.0))
        q_ir = eps[i] * earth_ir * faces
        out[i] = area[i] * (q_sun + q_ir)


@twin_kernel()
def _count_outside(x, lo, hi):  # pragma: no cover - compiled
    """Number of elements not in [lo, hi] (NaN counts as outside)."""
    bad = 0
    for i in prange(x.shape[0]):
        v = x[i]
        if not (v >= lo and v <= hi):
            bad += 1
    return bad


#: Below this many values a range check counts in numpy: :func:`_count_outside` pays only on
#: large fleets, and a small run (the default 12 satellites) then compiles it in neither its
#: writable nor its read-only variant (0.1-0.2 s each on a cold numba cache).
_COUNT_KERNEL_MIN = 100_000


def _outside(x: np.ndarray, lo: float, hi: float) -> int:
    """Number of elements of the float64 array ``x`` not in ``[lo, hi]`` (NaN counts)."""
    if x.size < _COUNT_KERNEL_MIN:
        return int(x.size - np.count_nonzero((x >= lo) & (x <= hi)))
    return int(_count_outside(x, lo, hi))


def _as_n_array(
    x: Any, n: int, name: str, lo: float, hi: float, expected: str, check: bool = True
) -> np.ndarray:
    """``x`` as a contiguous float64 ``(n,)`` array with every value in ``[lo, hi]``
    (the range is checked only when ``check``)."""
    arr = np.asarray(x)
    if arr.shape != (n,):
        if arr.ndim == 0:
            arr = np.full(n, float(arr), dtype=np.float64)
        else:
            raise InputError(
                f"{name} has shape {arr.shape}", field=name, expected=f"shape ({n},) or a scalar"
            )
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    bad = _outside(arr, lo, hi) if n and check else 0
    if bad:
        raise InputError(f"{bad} value(s) out of range or NaN", field=name, expected=expected)
    return arr


def environment_heat_w(
    params: ThermalParams,
    sunlit: np.ndarray,
    altitude_m: np.ndarray,
    cos_sun_zenith: np.ndarray,
    cos_sun_normal: np.ndarray | None = None,
    *,
    solar_constant_w_m2: float = SOLAR_CONSTANT_W_M2,
    albedo: float = EARTH_ALBEDO,
    earth_ir_w_m2: float = EARTH_IR_W_M2,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
    out: np.ndarray | None = None,
    validate: bool = True,
) -> np.ndarray:
    """Environmental heat absorbed by each satellite's radiator, W, shape ``(N,)``.

    ``validate=False`` skips the range checks of the inputs (shapes are still checked), for
    callers such as the fleet that produce them.

    Sum over the radiating faces (the front, and the back of two-sided panels) of direct sun,
    albedo and Earth infrared (Gilmore 2002, vol. 1, ch. 2; SMAD sec. 11.5; formulas in the
    module docstring).

    Parameters
    ----------
    sunlit:
        Visible fraction of the solar disk, in [0, 1] (bool accepted; 0 in eclipse).
    altitude_m:
        Altitude above the spherical Earth of radius ``earth_radius_m``, m (> 0).
    cos_sun_zenith:
        ``r_hat . s_hat``: cosine of the sun's zenith angle at the sub-satellite point (the
        angle between the satellite's position vector and the direction to the sun), in
        [-1, 1]. Drives the albedo and, for nadir/zenith panels, the direct sun.
    cos_sun_normal:
        For ``ORIENTATION_EDGE_ON`` only: cosine of the angle between the sun and the front
        normal (a pointing error; the back gets the negative). ``None``: 0 (ideally edge-on).
    solar_constant_w_m2, albedo, earth_ir_w_m2:
        Environment constants (1361 W/m2, 0.30, 237 W/m2 by default).
    out:
        Optional ``(N,)`` float64 array to write into.
    """
    n = params.n
    s = np.asarray(sunlit)
    if s.dtype == np.bool_:
        s = s.astype(np.float64)
    s = _as_n_array(s, n, "sunlit", 0.0, 1.0, "a fraction in [0, 1]", validate)
    h = _as_n_array(altitude_m, n, "altitude_m", 1e-9, np.inf, "> 0 m", validate)
    cz = _as_n_array(
        cos_sun_zenith, n, "cos_sun_zenith", -1.0, 1.0, "a cosine in [-1, 1]", validate
    )
    if cos_sun_normal is None:
        cn = cz  # unused
        has_normal = False
    else:
        cn = _as_n_array(cos_sun_normal, n, "cos_sun_normal", -1.0, 1.0, "a cosine in [-1, 1]")
        has_normal = True
    for name, value, hi in (
        ("solar_constant_w_m2", solar_constant_w_m2, np.inf),
        ("albedo", albedo, 1.0),
        ("earth_ir_w_m2", earth_ir_w_m2, np.inf),
    ):
        if not (math.isfinite(value) and 0.0 <= value <= hi):
            raise InputError(f"{name} = {value!r}", field=name, expected=f"in [0, {hi}]")
    if out is None:
        out = np.empty(n, dtype=np.float64)
    elif out.shape != (n,) or out.dtype != np.float64:
        raise InputError(f"out has shape {out.shape}", field="out", expected=f"float64 ({n},)")
    p = params
    _environment_kernel(
        p.radiator_area_m2,
        p.sides,
        p.emissivity,
        p.absorptivity,
        p.orientation,
        p.view_factor_front,
        p.view_factor_back,
        s,
        h,
        cz,
        cn,
        has_normal,
        float(earth_radius_m),
        float(solar_constant_w_m2),
        float(albedo),
        float(earth_ir_w_m2),
        out,
    )
    return out


def orbit_average_environment_w(
    params: ThermalParams,
    altitude_m: np.ndarray,
    beta_rad: np.ndarray,
    *,
    samples: int = 72,
    earth_radius_m: float = EARTH_EQUATORIAL_RADIUS_M,
) -> np.ndarray:
    """Orbit-average environmental heat of each satellite's radiator, W, shape ``(N,)``.

    A circular orbit at ``altitude_m`` whose plane makes the angle ``beta_rad`` with the sun
    (the beta angle), sampled at ``samples`` equally spaced arguments of latitude ``u`` counted
    from the point nearest the sun: ``cos(zenith) = cos(beta) cos(u)``, in the cylindrical
    Earth shadow where ``cos(zenith) < 0`` and ``(R + h) sin(zenith) < R`` (the eclipse fraction
    ``acos(sqrt(h^2 + 2 R h) / ((R + h) cos beta)) / pi`` of Wertz & Larson, SMAD sec. 5.1, to
    the sampling), and :func:`environment_heat_w` averaged over the samples. The loop runs over
    the samples, vectorised over satellites.
    """
    n = params.n
    h = _as_n_array(altitude_m, n, "altitude_m", 1e-9, np.inf, "> 0 m")
    beta = _as_n_array(beta_rad, n, "beta_rad", -math.pi / 2, math.pi / 2, "in [-pi/2, pi/2]")
    if not (isinstance(samples, int) and samples >= 4):
        raise InputError(f"samples = {samples!r}", field="samples", expected="an int >= 4")
    cos_beta = np.cos(beta)
    ratio = earth_radius_m / (earth_radius_m + h)
    total = np.zeros(n)
    out = np.empty(n)
    for k in range(samples):
        cz = cos_beta * math.cos(2.0 * math.pi * (k + 0.5) / samples)
        shadow = (cz < 0.0) & (np.sqrt(np.maximum(1.0 - cz * cz, 0.0)) < ratio)
        sunlit = np.where(shadow, 0.0, 1.0)
        total += environment_heat_w(params, sunlit, h, cz, out=out, validate=False)
    return total / samples


def equilibrium_state(
    params: ThermalParams,
    bus_heat_w: np.ndarray | float,
    payload_heat_w: np.ndarray | float,
    environment_w: np.ndarray | float,
) -> ThermalState:
    """:class:`ThermalState` at the steady state of constant inputs: the bus node at
    ``((bus + payload + environment) / k)^(1/4)`` and the payload node ``payload / G`` above it
    (the bus node where there is no payload node), counters at zero. With orbit-average inputs
    (:func:`orbit_average_environment_w`) it starts a run on its orbit instead of a warm-up
    transient."""
    n = params.n
    q_bus = _as_n_array(bus_heat_w, n, "bus_heat_w", 0.0, np.inf, "finite >= 0 W")
    q_pay = _as_n_array(payload_heat_w, n, "payload_heat_w", 0.0, np.inf, "finite >= 0 W")
    q_env = _as_n_array(environment_w, n, "environment_w", 0.0, np.inf, "finite >= 0 W")
    q = q_bus + q_pay + q_env
    t_bus = np.maximum((q / params.radiative_coeff_w_per_k4) ** 0.25, params.min_temperature_k)
    t_bus = np.maximum(t_bus, 3.0)  # no input at all: deep space, not 0 K
    g = params.payload_conductance_w_per_k
    with np.errstate(divide="ignore", invalid="ignore"):
        t_pay = np.where(g > 0, t_bus + q_pay / np.where(g > 0, g, 1.0), t_bus)
    return thermal_state(n, t_bus, t_pay)


# --------------------------------------------------------------------------------------------
# Transient
# --------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _s_of_w(w):  # pragma: no cover - compiled
    """``S(w) = 1.5 (artanh w - atan w) / w^3`` for ``0 <= w < 1`` (series below 0.2)."""
    if w < 0.2:
        z = w * w
        z = z * z
        return 1.0 + z * (
            3.0 / 7.0
            + z
            * (
                3.0 / 11.0
                + z * (3.0 / 15.0 + z * (3.0 / 19.0 + z * (3.0 / 23.0 + z * (3.0 / 27.0))))
            )
        )
    return 1.5 * (math.atanh(w) - math.atan(w)) / (w * w * w)


@njit(cache=True)
def _exact_free_step(t0, a, k, c, dt):  # pragma: no cover - compiled
    """Exact end temperature of ``C dT/dt = k (a^4 - T^4)`` after ``dt`` (module docstring)."""
    if abs(t0 - a) <= 1e-6 * a:
        # within 1e-6 of equilibrium: the linearized solution, exact to O((T0 - a)^2)
        return a + (t0 - a) * math.exp(-4.0 * k * a * a * a * dt / c)
    if t0 > a:
        # cooling, in rho = T0 / T1 >= 1 with w = a / T
        w0 = a / t0
        r = _s_of_w(w0) + 3.0 * k * t0 * t0 * t0 * dt / c
        rho = r ** (1.0 / 3.0)
        if w0 > 0.0:
            w_ub = math.tanh((2.0 / 3.0) * w0 * w0 * w0 * r + 0.25 * math.pi)
            if w_ub >= 1.0:
                return a
            rho = min(rho, w_ub / w0)
        for _ in range(60):
            w = w0 * rho
            if w >= 1.0:
                return a
            w4 = w * w
            w4 = w4 * w4
            f = rho * rho * rho * _s_of_w(w) - r
            d = f * (1.0 - w4) / (3.0 * rho * rho)
            rho -= d
            if rho < 1.0:
                rho = 1.0
            if w0 * rho >= 1.0:
                return a
            if abs(d) <= 1e-13 * rho:
                break
        return t0 / rho
    if t0 < a:
        # warming, in x = T / a < 1
        x0 = t0 / a
        cc = math.atanh(x0) + math.atan(x0) + 2.0 * k * a * a * a * dt / c
        x = min(0.5 * cc, math.tanh(cc - math.atan(x0)))
        if x >= 1.0:
            return a
        for _ in range(60):
            x4 = x * x
            x4 = x4 * x4
            g = math.atanh(x) + math.atan(x) - cc
            d = 0.5 * g * (1.0 - x4)
            x -= d
            if x < x0:
                x = x0
            if abs(d) <= 1e-13 * x:
                break
        return a * x
    return t0


@njit(cache=True, inline="always")
def _p(t, a):  # pragma: no cover - compiled
    """``T^3 + T^2 a + T a^2 + a^3``: ``(a^4 - T^4) = (a - T) p(T)``."""
    return ((t + a) * t + a * a) * t + a * a * a


@njit(cache=True, inline="always")
def _exp_small(x):  # pragma: no cover - compiled
    """``exp(x)`` for ``|x| <= 0.1`` by its degree-10 Taylor polynomial (relative error below
    3e-17 there): branch-free, so that the loops using it vectorize."""
    y = 1.0 / 3628800.0  # 1/10!
    y = y * x + 1.0 / 362880.0
    y = y * x + 1.0 / 40320.0
    y = y * x + 1.0 / 5040.0
    y = y * x + 1.0 / 720.0
    y = y * x + 1.0 / 120.0
    y = y * x + 1.0 / 24.0
    y = y * x + 1.0 / 6.0
    y = y * x + 0.5
    y = y * x + 1.0
    return y * x + 1.0


@njit(cache=True, inline="always")
def _gentle_free_step(t0, a, b):  # pragma: no cover - compiled
    """Exponential Simpson route: ``T1 = a + (T0 - a) exp(-b integral p)``, ``b = k dt / C``,
    with the integral over the unit step by Simpson's rule on predicted mid/end points.

    Valid for ``z = b p(max(T0, a)) <= _GENTLE_Z = 0.1``: every exponent is then in
    [-0.1, 0] (``p`` grows with ``T`` and every predicted point lies between ``T0`` and ``a``),
    where :func:`_exp_small` is exact to rounding. Meaningless (but discarded) otherwise."""
    p0 = _p(t0, a)
    dev = t0 - a
    tm = a + dev * _exp_small(-0.5 * b * p0)
    pm = _p(tm, a)
    tm = a + dev * _exp_small(-0.25 * b * (p0 + pm))
    pm = _p(tm, a)
    t1 = a + dev * _exp_small(-b * pm)
    return a + dev * _exp_small(-(b / 6.0) * (p0 + 4.0 * pm + _p(t1, a)))


@njit(cache=True)
def _free_step(t0, q, k, c, dt):  # pragma: no cover - compiled
    """End temperature with constant input ``q`` and no heater (exact or Simpson route);
    the scalar reference of what :func:`_step_kernel` does per satellite."""
    a = math.sqrt(math.sqrt(q / k))
    b = k * dt / c
    if b * _p(max(t0, a), a) > _GENTLE_Z:
        t1 = _exact_free_step(t0, a, k, c, dt)
    else:
        t1 = _gentle_free_step(t0, a, b)
    # physical bound: no step heats faster than with no emission at all
    return min(t1, t0 + q * dt / c)


_CHUNK = 2048


@twin_kernel()
def _payload_kernel(
    bus_temp, payload_cap, payload_g, payload_heat, bus_heat, env, dt, payload_temp, bus_in
):  # pragma: no cover - compiled
    """First part of the two-node step (module docstring, "Payload node"): the payload node
    against the bus node held at its start temperature, exactly. Updates ``payload_temp`` and
    writes the bus node's internal heat: its own ``bus_heat`` plus the mean power it receives
    from the payload (all of ``payload_heat`` where there is no payload node). A cold payload
    draws from the bus at most what the bus receives in the step (its loads and environment),
    so that the bus node's input is never negative; energy stays exact."""
    for i in prange(bus_temp.shape[0]):
        cp = payload_cap[i]
        p = payload_heat[i]
        if cp > 0.0:
            g = payload_g[i]
            t_inf = bus_temp[i] + p / g
            dtp = (t_inf - payload_temp[i]) * -math.expm1(-g * dt / cp)
            dtp = min(dtp, (p + bus_heat[i] + env[i]) * dt / cp)
            payload_temp[i] += dtp
            bus_in[i] = max(bus_heat[i] + (p * dt - cp * dtp) / dt, -env[i])
        else:
            bus_in[i] = bus_heat[i] + p


@twin_kernel()
def _step_kernel(
    temp,
    kcoef,
    cap,
    tmax,
    band,
    tmin,
    internal,
    env,
    dt,
    throttle,
    radiated_w,
    heater_w,
    rejected_j,
    absorbed_j,
    heater_j,
    throttled_steps,
    payload_cap,
    payload_temp,
    payload_g,
    bus_start,
):  # pragma: no cover - compiled
    # Per chunk: (1) the Simpson route for every satellite, branch-free so that the compiler
    # vectorizes it; (2) the exact route where the step is stiff; (3) heater, energy and
    # throttle bookkeeping, branch-free. The throttle follows the payload node where there is
    # one (payload_cap > 0); elsewhere the payload node follows the bus node.
    n = temp.shape[0]
    inv_dt = 1.0 / dt
    n_chunks = (n + _CHUNK - 1) // _CHUNK
    for ch in prange(n_chunks):
        lo = ch * _CHUNK
        hi = min(lo + _CHUNK, n)
        m = hi - lo
        t_free = np.empty(m)
        eq = np.empty(m)
        stiff = np.empty(m)
        for j in range(m):
            i = lo + j
            t_start = max(temp[i], tmin[i])
            k = kcoef[i]
            q = internal[i] + env[i]
            a = math.sqrt(math.sqrt(q / k))
            b = k * dt / cap[i]
            eq[j] = a
            stiff[j] = b * _p(max(t_start, a), a)
            t1 = _gentle_free_step(t_start, a, b)
            t_free[j] = min(t1, t_start + q * dt / cap[i])
        for j in range(m):
            if stiff[j] > _GENTLE_Z:
                i = lo + j
                t_set = tmin[i]
                t_start = max(temp[i], t_set)
                if t_start == t_set and eq[j] < t_set:
                    # held at the heater set point all step: no need to solve (just below it)
                    t_free[j] = np.nextafter(t_set, 0.0)
                    continue
                c = cap[i]
                t1 = _exact_free_step(t_start, eq[j], kcoef[i], c, dt)
                q = internal[i] + env[i]
                t_free[j] = min(t1, t_start + q * dt / c)
        for j in range(m):
            i = lo + j
            t0 = temp[i]
            t_set = tmin[i]
            t_start = max(t0, t_set)
            k = kcoef[i]
            c = cap[i]
            q = internal[i] + env[i]
            t1 = t_free[j]
            t4 = t_set * t_set
            t4 = t4 * t4
            e_hold = max(max(c * (t_set - t_start) + (k * t4 - q) * dt, c * (t_set - t1)), 0.0)
            held = t1 < t_set
            e_heat = c * (t_start - t0) + (e_hold if held else 0.0)
            t1 = t_set if held else t1
            e_rad = max(q * dt + e_heat - c * (t1 - t0), 0.0)
            cp = payload_cap[i]
            if cp > 0.0:
                # third part: the payload follows the bus's move over the step as it follows a
                # linear ramp; the heat of that move is the bus's (an internal transfer)
                x = payload_g[i] * dt / cp
                lag = 0.5 * x if x < 1e-8 else 1.0 + math.expm1(-x) / x
                corr = (t1 - bus_start[i]) * lag
                payload_temp[i] += corr
                t1 -= cp * corr / c
            temp[i] = t1
            radiated_w[i] = e_rad * inv_dt
            heater_w[i] = e_heat * inv_dt
            rejected_j[i] += e_rad
            absorbed_j[i] += env[i] * dt
            heater_j[i] += e_heat
            has_node = payload_cap[i] > 0.0
            tt = payload_temp[i] if has_node else t1
            payload_temp[i] = tt
            bw = band[i]
            hot = tmax[i]
            s_lin = min(max((hot - tt) / max(bw, 1e-300), 0.0), 1.0)
            s_step = 1.0 if tt < hot else 0.0
            s = s_lin if bw > 0.0 else s_step
            throttle[i] = s
            throttled_steps[i] += 1 if s < 1.0 else 0


def _check_state_buffers(n: int, state: ThermalState) -> None:
    """:func:`_check_buffers` of a thermal state's arrays (N,): the kernels write into them."""
    _check_buffers(
        n,
        "state",
        {
            "temperature_k": state.temperature_k,
            "heat_rejected_j": state.heat_rejected_j,
            "heat_absorbed_j": state.heat_absorbed_j,
            "heater_j": state.heater_j,
            "payload_temperature_k": state.payload_temperature_k,
        },
        {"throttled_steps": state.throttled_steps},
    )


def _check_buffers(
    n: int, owner: str, floats: dict[str, np.ndarray], ints: dict[str, np.ndarray]
) -> None:
    """Every array C-contiguous, of shape ``(n,)``, float64 (``floats``) or int64 (``ints``)."""
    for names, dtype in ((floats, np.float64), (ints, np.int64)):
        for name, arr in names.items():
            if not (
                isinstance(arr, np.ndarray)
                and arr.shape == (n,)
                and arr.dtype == dtype
                and arr.flags.c_contiguous
                and arr.flags.writeable
            ):
                raise InputError(
                    f"{owner}.{name} is not a writable contiguous {np.dtype(dtype)} array ({n},)",
                    field=f"{owner}.{name}",
                    expected=f"{np.dtype(dtype)} array of shape ({n},)",
                )


def thermal_step(
    params: ThermalParams,
    state: ThermalState,
    dt_s: float,
    internal_heat_w: np.ndarray,
    environment_w: np.ndarray,
    *,
    out: StepThermal | None = None,
    validate: bool = True,
    payload_heat_w: np.ndarray | None = None,
) -> StepThermal:
    """Advance every satellite's thermal nodes by ``dt_s`` seconds, in place.

    ``C dT/dt = internal + environment (+ heater) - k T^4`` with both inputs held constant over
    the step, solved exactly for stiff steps and by an exponential Simpson rule for gentle ones
    (module docstring: stable and monotone for any ``dt_s``). Updates ``state`` (temperature
    and the cumulative counters) and returns the end-of-step temperature, the throttle to apply
    to compute during the next step, and the mean radiated and heater powers.

    Parameters
    ----------
    internal_heat_w:
        Heat dissipated inside the node during the step, W (>= 0): the (throttled) compute
        load and the rest of the bus.
    environment_w:
        Absorbed environmental heat, W (>= 0), e.g. from :func:`environment_heat_w`.
    payload_heat_w:
        Heat dissipated in the payload node, W (>= 0; ``None``: 0). Where a satellite has no
        payload node it goes into the bus node with ``internal_heat_w``. With a payload node the
        throttle follows the payload node's temperature (module docstring, "Payload node").
    out:
        Optional :class:`StepThermal` whose ``throttle``, ``radiated_w`` and ``heater_w``
        arrays are reused (no allocation in a loop).
    validate:
        Check the inputs (about 1 ms per million satellites); pass ``False`` in a hot loop whose
        inputs are known to be valid.
    """
    n = params.n
    if state.n != n:
        raise InputError(
            f"state has {state.n} satellites, params {n}", field="state", expected=f"{n} satellites"
        )
    if not (
        isinstance(dt_s, int | float | np.integer | np.floating)
        and math.isfinite(dt_s)
        and dt_s > 0
    ):
        raise InputError(f"dt_s = {dt_s!r}", field="dt_s", expected="a finite time step > 0 s")
    # shapes and dtypes are always checked (the kernel does not bound-check); values only
    # with validate=True
    _check_state_buffers(n, state)
    if payload_heat_w is None:
        q_pay = np.zeros(n)
    else:
        q_pay = _as_n_array(
            payload_heat_w, n, "payload_heat_w", 0.0, np.inf, "finite >= 0 W", validate
        )
    if validate:
        q_int = _as_n_array(internal_heat_w, n, "internal_heat_w", 0.0, np.inf, "finite >= 0 W")
        q_env = _as_n_array(environment_w, n, "environment_w", 0.0, np.inf, "finite >= 0 W")
        if n and _outside(state.temperature_k, 1e-300, np.inf):
            raise InputError(
                "state temperatures must be finite and > 0",
                field="state.temperature_k",
                expected="> 0 K",
            )
    else:
        q_int = np.ascontiguousarray(internal_heat_w, dtype=np.float64)
        q_env = np.ascontiguousarray(environment_w, dtype=np.float64)
        for name, arr in (("internal_heat_w", q_int), ("environment_w", q_env)):
            if arr.shape != (n,):
                raise InputError(f"{name} has shape {arr.shape}", field=name, expected=f"({n},)")
    p = params
    bus_in = np.empty(n)
    bus_start = state.temperature_k.copy()
    _payload_kernel(
        state.temperature_k,
        p.payload_heat_capacity_j_per_k,
        p.payload_conductance_w_per_k,
        q_pay,
        q_int,
        q_env,
        float(dt_s),
        state.payload_temperature_k,
        bus_in,
    )
    if out is None:
        out = StepThermal(state.temperature_k, np.empty(n), np.empty(n), np.empty(n))
    else:
        _check_buffers(
            n,
            "out",
            {"throttle": out.throttle, "radiated_w": out.radiated_w, "heater_w": out.heater_w},
            {},
        )
        out.temperature_k = state.temperature_k
    out.payload_temperature_k = state.payload_temperature_k
    _step_kernel(
        state.temperature_k,
        p.radiative_coeff_w_per_k4,
        p.heat_capacity_j_per_k,
        p.max_temperature_k,
        p.throttle_band_k,
        p.min_temperature_k,
        bus_in,
        q_env,
        float(dt_s),
        out.throttle,
        out.radiated_w,
        out.heater_w,
        state.heat_rejected_j,
        state.heat_absorbed_j,
        state.heater_j,
        state.throttled_steps,
        p.payload_heat_capacity_j_per_k,
        state.payload_temperature_k,
        p.payload_conductance_w_per_k,
        bus_start,
    )
    return out


# --------------------------------------------------------------------------------------------
# Sizing helpers (closed forms)
# --------------------------------------------------------------------------------------------


def _positive(name: str, value: Any, allow_zero: bool = False) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    ok = np.isfinite(arr) & ((arr >= 0) if allow_zero else (arr > 0))
    if not np.all(ok):
        raise InputError(
            f"{name} = {value!r}", field=name, expected=">= 0" if allow_zero else "> 0"
        )
    return arr


def _emissivity(value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all((arr > 0) & (arr <= 1)):
        raise InputError(f"emissivity = {value!r}", field="emissivity", expected="in (0, 1]")
    return arr


def _sides(value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if not np.all((arr == 1) | (arr == 2)):
        raise InputError(f"sides = {value!r}", field="sides", expected="1 or 2")
    return arr.astype(np.float64)


def _finite(name: str, value: Any) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise InputError(f"{name} = {value!r}", field=name, expected="a finite number")
    return arr


def _scalar_or_array(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x


def radiator_flux_w_m2(
    temperature_k: float | np.ndarray,
    emissivity: float | np.ndarray,
    sides: int | np.ndarray = 2,
    absorbed_w_per_m2: float | np.ndarray = 0.0,
) -> np.ndarray | float:
    """Net heat rejected per m2 of radiator planform, W/m2: ``sides eps sigma T^4 - absorbed``.

    Stefan-Boltzmann law for a gray surface facing 0 K space (Gilmore 2002, ch. 2 and 6);
    ``absorbed_w_per_m2`` is the environmental heat absorbed per m2 of planform. Negative when
    the panel absorbs more than it emits. Example (Starcloud 2024): 2 x 0.92 x sigma x
    293.15^4 = 770 W/m2 gross. Broadcasts; a float for scalar inputs.
    """
    t = _positive("temperature_k", temperature_k)
    eps = _emissivity(emissivity)
    s = _sides(sides)
    q_abs = _finite("absorbed_w_per_m2", absorbed_w_per_m2)
    return _scalar_or_array(s * eps * _SIGMA * t**4 - q_abs)


def radiator_area_m2(
    heat_w: float | np.ndarray,
    temperature_k: float | np.ndarray,
    emissivity: float | np.ndarray,
    sides: int | np.ndarray = 2,
    environment_w_per_m2: float | np.ndarray = 0.0,
) -> np.ndarray | float:
    """Planform area that rejects ``heat_w`` at ``temperature_k``, m2:
    ``Q / (sides eps sigma T^4 - q_env)`` (Gilmore 2002, ch. 6, radiator sizing).

    ``environment_w_per_m2`` is the environmental heat absorbed per m2 of planform; an
    :class:`~spacecompute.errors.InputError` is raised where it is not below the emission (no
    area can do it).
    """
    q = _positive("heat_w", heat_w, allow_zero=True)
    net = np.asarray(radiator_flux_w_m2(temperature_k, emissivity, sides, environment_w_per_m2))
    if not np.all(net > 0):
        raise InputError(
            "the environment absorbed is not below the emission at this temperature",
            field="environment_w_per_m2",
            expected="below sides * emissivity * sigma * T^4",
        )
    return _scalar_or_array(q / net)


def equilibrium_temperature_k(
    heat_w: float | np.ndarray,
    area_m2: float | np.ndarray,
    emissivity: float | np.ndarray,
    sides: int | np.ndarray = 2,
    absorbed_w: float | np.ndarray = 0.0,
) -> np.ndarray | float:
    """Steady radiator temperature, K: ``((Q + Q_abs) / (sides eps sigma A))^(1/4)``.

    Steady state of the lumped energy balance (Gilmore 2002, ch. 2; SMAD sec. 11.5, eq. for the
    equilibrium temperature of a gray body). ``absorbed_w`` is the absorbed environmental heat
    in W. Broadcasts; a float for scalar inputs.
    """
    q = _positive("heat_w", heat_w, allow_zero=True)
    a = _positive("area_m2", area_m2)
    eps = _emissivity(emissivity)
    s = _sides(sides)
    q_abs = _positive("absorbed_w", absorbed_w, allow_zero=True)
    return _scalar_or_array(((q + q_abs) / (s * eps * _SIGMA * a)) ** 0.25)
