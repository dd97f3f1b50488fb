"""The fleet: power, thermal and radiation state of every satellite, advanced one step at a time.

:class:`Fleet` composes the three spacecraft models over a struct of arrays (one entry per
satellite) and is what the engine calls each time step::

    fleet = Fleet.from_bus("threebody", n=len(constellation))
    for k in range(eph.n_times):
        out = fleet.step(dt_s, sunlit[k], StepGeometry.from_ephemeris(eph, k, sun[k]), load)

Order of one step, and why:

1. Satellites still rebooting after a radiation functional interrupt compute nothing.
2. The compute asked for is the load times the thermal throttle of the previous step (the
   radiator cannot reject more) times availability.
3. :func:`~spacecompute.spacecraft.power.power_step` grants what the array and battery allow
   (compute is throttled first; a bus brown-out is flagged, never hidden).
4. All electrical power drawn ends as heat (radio RF output is neglected): the payload's in its
   own thermal node (die and board, from the hardware catalog), the rest in the bus node; with
   the environmental heat they drive :func:`~spacecompute.spacecraft.thermal.thermal_step`,
   whose payload-node temperature gives the next throttle.

Temperatures start, unless given, from each satellite's orbit-average equilibrium: at the
first step, the orbit's beta angle and altitude (from the step's position, velocity and sun)
give the orbit-average environmental heat
(:func:`~spacecompute.spacecraft.thermal.orbit_average_environment_w`), and with the idle loads
(housekeeping and the payload's idle power) the steady state of both nodes
(:func:`~spacecompute.spacecraft.thermal.equilibrium_state`): a run shows its orbit, not a
warm-up from 20 C.
5. The dose of the step (:func:`~spacecompute.spacecraft.radiation.dose_rate_rad_s`) drives
   seeded Poisson faults of the payload's device, handled by the chosen mitigation; reboots
   set a downtime carried into the next steps.

Everything is vectorized over satellites; faults depend only on (seed, step index, satellite),
so results do not depend on how a run is cut into chunks.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numba
import numpy as np

from .._parallel import read_only, twin_kernel
from .._runtime import keep_freed_memory
from ..astro.constants import EARTH_EQUATORIAL_RADIUS_M
from ..errors import InputError
from .hardware import BusPreset, bus, bus_for_constellation
from .power import (
    ATTITUDE_MODES,
    StepPower,
    incidence_cosine,
    power_params,
    power_state,
    power_step,
)
from .radiation import (
    Mitigation,
    apply_mitigation,
    device_susceptibility,
    dose_rate_rad_s,
    inject_faults,
)
from .thermal import (
    environment_heat_w,
    equilibrium_state,
    orbit_average_environment_w,
    thermal_params,
    thermal_state,
    thermal_step,
)

#: Heat capacity per kg of satellite used for the lumped thermal node (aluminium structure,
#: 900 J/(kg K); Gilmore, Spacecraft Thermal Control Handbook vol. 1 (2002), table A.2).
SPECIFIC_HEAT_J_PER_KG_K = 900.0
#: Shielding of the compute payload, mm Al-equivalent (Suncatcher's shielded SSO environment,
#: about 150 rad(Si)/year, arXiv:2511.19468; see spacecraft.radiation).
DEFAULT_SHIELDING_MM_AL = 10.0


@twin_kernel()
def _geometry_kernel(r, sun_hat, earth_radius, cos_zenith, altitude):  # pragma: no cover - numba
    for i in numba.prange(r.shape[0]):
        x, y, z = r[i, 0], r[i, 1], r[i, 2]
        norm = math.sqrt(x * x + y * y + z * z)
        cos_zenith[i] = (x * sun_hat[0] + y * sun_hat[1] + z * sun_hat[2]) / norm
        altitude[i] = max(norm - earth_radius, 1.0)


@twin_kernel()
def _ask_kernel(load, throttle, downtime_s, dt, available_share, asked):  # pragma: no cover
    for i in numba.prange(load.shape[0]):
        down = min(downtime_s[i], dt)
        downtime_s[i] -= down
        share = 1.0 - down / dt
        available_share[i] = share
        asked[i] = min(max(load[i], 0.0), 1.0) * throttle[i] * share


@twin_kernel()
def _work_kernel(
    compute_w, idle_w, max_w, lost_s, downtime_s, dt, overhead, busy, useful
):  # pragma: no cover
    for i in numba.prange(compute_w.shape[0]):
        span = max_w[i] - idle_w[i]
        drawn = (compute_w[i] - idle_w[i]) / span if span > 0.0 else 0.0
        drawn = min(max(drawn, 0.0), 1.0)
        busy[i] = compute_w[i] > idle_w[i] + 1e-9
        work = drawn * dt - lost_s[i] - min(downtime_s[i], dt)
        useful[i] = max(work, 0.0) / dt / overhead


@dataclass(frozen=True)
class StepGeometry:
    """Where each satellite is at one step: TEME position and velocity (N, 3), geodetic
    position (N,), and the sun's TEME position (3,)."""

    r_eci_m: np.ndarray
    v_eci_m: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    sun_eci_m: np.ndarray

    @classmethod
    def from_ephemeris(cls, eph, k: int, sun_eci_m: np.ndarray) -> StepGeometry:
        """Step ``k`` of an :class:`~spacecompute.astro.ephemeris.Ephemeris` (with velocities)."""
        if eph.v_eci_m is None:
            raise InputError(
                "the ephemeris has no velocities",
                field="eph",
                expected="an ephemeris propagated with velocities=True",
            )
        return cls(
            eph.r_eci_m[k],
            eph.v_eci_m[k],
            eph.lat_deg[k],
            eph.lon_deg[k],
            eph.alt_m[k],
            np.asarray(sun_eci_m, dtype=np.float64).reshape(3),
        )


@dataclass
class FleetStep:
    """What one :meth:`Fleet.step` did, arrays (N,).

    The arrays belong to the fleet and are overwritten by the next step: copy what you keep.
    ``compute_power_w`` is the electrical power the payload drew and ``load_power_w`` that of all
    loads (it all becomes heat: the payload's in the payload node, the rest in the bus node);
    ``temperature_k`` is the bus node's and ``payload_temperature_k`` the payload node's (which
    the throttle follows); ``useful_fraction`` the share
    of the step's nominal compute (payload at full load for the whole step) that produced
    good results after throttling, downtime, lost work and the mitigation's overhead.
    """

    compute_power_w: np.ndarray
    load_power_w: np.ndarray
    useful_fraction: np.ndarray
    available: np.ndarray
    power_throttle: np.ndarray
    thermal_throttle: np.ndarray
    brownout: np.ndarray
    state_of_charge: np.ndarray
    temperature_k: np.ndarray
    dose_rad: np.ndarray
    silent_errors: np.ndarray
    detected_errors: np.ndarray
    reboots: np.ndarray
    payload_temperature_k: np.ndarray | None = None


class Fleet:
    """Power, thermal and radiation state of N satellites built from a bus preset.

    Parameters beyond the bus: ``attitude`` of the arrays (``"sun-tracking"``,
    ``"body-fixed-zenith"``, ``"orbit-normal"``, ``"single-axis"``), radiator ``orientation``
    (see :mod:`~spacecompute.spacecraft.thermal`), ``shielding_mm_al``, the fault
    ``mitigation``, ``seed``, the initial state of charge and temperature (``None``, the default: each
    satellite's orbit-average equilibrium, set at the first step; a number: both nodes at that
    temperature), and ``max_temperature_k`` (throttle limit on the payload node; 358 K = 85 C,
    the usual maximum junction-case limit of commercial parts). Compute may draw the battery only down to a reserve
    that carries the essential loads (bus, radios, heaters) through ``reserve_eclipse_s`` of
    eclipse (default 40 min, above the longest LEO eclipse of about 36 min at 500 km), so that
    compute is shed before the bus browns out.
    """

    def __init__(
        self,
        bus_preset: BusPreset,
        n: int,
        *,
        attitude: str = "sun-tracking",
        orientation: str | int = "edge_on",
        shielding_mm_al: float = DEFAULT_SHIELDING_MM_AL,
        mitigation: Mitigation | None = None,
        seed: int = 0,
        state_of_charge: float = 1.0,
        temperature_k: float | None = None,
        max_temperature_k: float = 358.15,
        throttle_band_k: float = 10.0,
        max_depth_of_discharge: float = 0.8,
        reserve_eclipse_s: float = 2400.0,
    ) -> None:
        if not isinstance(n, int | np.integer) or n < 0:
            raise InputError(f"n = {n!r}", field="n", expected="a whole number >= 0")
        if attitude not in ATTITUDE_MODES:
            raise InputError(
                f"attitude {attitude!r}",
                field="attitude",
                expected=f"one of {sorted(ATTITUDE_MODES)}",
            )
        keep_freed_memory()  # per-step arrays reuse resident pages (see spacecompute._runtime)
        self.bus = bus_preset
        self.n = int(n)
        self.seed = int(seed)
        self.shielding_mm_al = float(shielding_mm_al)
        self.mitigation = mitigation or Mitigation.none()
        self.step_index = 0
        b = bus_preset
        payload = b.payload()
        self.n_devices = int(sum(count for _, count in payload)) or 1
        device = payload[0][0].radiation_device if payload else "generic-cots"
        self.susceptibility = device_susceptibility(device)
        self.power = power_params(
            self.n,
            array_area_m2=b.array_area_m2,
            cell_efficiency=b.cell_efficiency,
            packing_factor=b.packing_factor,
            battery_capacity_j=b.battery_capacity_j,
            max_depth_of_discharge=max_depth_of_discharge,
            charge_efficiency=0.95,
            discharge_efficiency=0.95,
            bus_load_w=b.bus_load_w,
            radio_load_w=b.radio_load_w,
            heater_load_w=b.heater_load_w,
            compute_idle_w=b.compute_power_idle_w,
            compute_max_w=b.compute_power_max_w,
            attitude_mode=attitude,
            compute_shed_soc=min(
                1.0,
                (1.0 - max_depth_of_discharge)
                + (b.bus_load_w + b.radio_load_w + b.heater_load_w)
                * float(reserve_eclipse_s)
                / 0.95
                / max(b.battery_capacity_j, 1.0),
            ),
        )
        self.power_state = power_state(self.power, state_of_charge=state_of_charge)
        self.thermal = thermal_params(
            self.n,
            radiator_area_m2=b.radiator_area_m2,
            sides=2,
            emissivity=b.radiator_emissivity,
            absorptivity=0.2,
            orientation=orientation,
            heat_capacity_j_per_k=b.mass_kg * SPECIFIC_HEAT_J_PER_KG_K,
            max_temperature_k=max_temperature_k,
            throttle_band_k=throttle_band_k,
            payload_heat_capacity_j_per_k=b.payload_heat_capacity_j_per_k,
            payload_conductance_w_per_k=b.payload_conductance_w_per_k,
        )
        self.start_at_equilibrium = temperature_k is None
        self.thermal_state = thermal_state(
            self.n, 293.15 if temperature_k is None else temperature_k
        )
        self.thermal_throttle = np.ones(self.n)
        self.downtime_s = np.zeros(self.n)
        self._power_out = StepPower.empty(self.n)
        self._cos_zenith = np.empty(self.n)
        self._altitude = np.empty(self.n)
        self._environment = np.empty(self.n)
        self._busy = np.empty(self.n, dtype=bool)
        self._available = np.empty(self.n)
        self._asked = np.empty(self.n)
        self._useful = np.empty(self.n)
        self.essential_load_w = b.bus_load_w + b.radio_load_w + b.heater_load_w

    @classmethod
    def from_bus(cls, name: str, n: int, **options) -> Fleet:
        """A fleet of ``n`` identical satellites of the bus preset ``name``."""
        return cls(bus(name), n, **options)

    @classmethod
    def for_constellation(cls, preset: str, n: int, **options) -> Fleet:
        """A fleet of the bus that flies the constellation preset ``preset``."""
        return cls(bus_for_constellation(preset), n, **options)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every array that evolves step to step (power, thermal, reboots, step count),
        for checkpoints; :meth:`load_state_dict` restores them into a fleet built the same way."""
        out: dict[str, np.ndarray] = {"step_index": np.asarray(self.step_index, np.int64)}
        for prefix, state in (("power.", self.power_state), ("thermal.", self.thermal_state)):
            for f in dataclasses.fields(state):
                out[prefix + f.name] = np.array(getattr(state, f.name), copy=True)
        out["thermal_throttle"] = self.thermal_throttle.copy()
        out["downtime_s"] = self.downtime_s.copy()
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved (shapes must match this fleet)."""
        try:
            for prefix, obj in (("power.", self.power_state), ("thermal.", self.thermal_state)):
                for f in dataclasses.fields(obj):
                    cur = getattr(obj, f.name)
                    new = np.asarray(state[prefix + f.name], dtype=np.asarray(cur).dtype)
                    if np.shape(new) != np.shape(cur):
                        raise ValueError(f"{prefix}{f.name} has shape {np.shape(new)}")
                    setattr(obj, f.name, new.copy())
            for name in ("thermal_throttle", "downtime_s"):
                new = np.asarray(state[name], dtype=np.float64)
                if new.shape != (self.n,):
                    raise ValueError(f"{name} has shape {new.shape}")
                getattr(self, name)[:] = new
            self.step_index = int(state["step_index"])
        except (KeyError, ValueError) as exc:
            raise InputError(
                f"fleet state does not match this fleet ({exc})",
                field="checkpoint",
                expected=f"a state saved from a fleet of {self.n} satellites",
            ) from None

    def _start_at_orbit_equilibrium(
        self, geometry: StepGeometry, sun_hat: np.ndarray, altitude_m: np.ndarray
    ) -> None:
        """Both thermal nodes at the orbit-average equilibrium of the idle satellite: beta
        angle from the orbit normal ``r x v`` and the sun, environment averaged over a circular
        orbit at the current altitude, idle loads (housekeeping and the payload's idle power)."""
        normal = np.cross(geometry.r_eci_m, geometry.v_eci_m)
        norm = np.linalg.norm(normal, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sin_beta = (normal @ sun_hat) / norm
        beta = np.arcsin(np.clip(np.nan_to_num(sin_beta, nan=0.0), -1.0, 1.0))
        environment = orbit_average_environment_w(self.thermal, altitude_m, beta)
        start = equilibrium_state(
            self.thermal, self.essential_load_w, self.power.compute_idle_w, environment
        )
        self.thermal_state.temperature_k[:] = start.temperature_k
        self.thermal_state.payload_temperature_k[:] = start.payload_temperature_k

    @property
    def payload_temperature_k(self) -> np.ndarray:
        return self.thermal_state.payload_temperature_k

    @property
    def state_of_charge(self) -> np.ndarray:
        return self.power_state.state_of_charge()

    @property
    def temperature_k(self) -> np.ndarray:
        return self.thermal_state.temperature_k

    def step(
        self,
        dt_s: float,
        sunlit: np.ndarray,
        geometry: StepGeometry,
        compute_load: np.ndarray | float,
    ) -> FleetStep:
        """Advance every satellite by ``dt_s`` seconds.

        ``sunlit`` (N,) in [0, 1]; ``compute_load`` (N,) or scalar in [0, 1]: the share of the
        payload's peak the scheduler wants this step. Returns a :class:`FleetStep`.
        """
        n = self.n
        dt = float(dt_s)
        if not np.isfinite(dt) or dt <= 0:
            raise InputError(f"dt_s = {dt_s}", field="dt_s", expected="seconds > 0")
        sunlit = np.asarray(sunlit, dtype=np.float64)
        if np.isnan(sunlit).any():  # no position (failed propagation): no sun
            sunlit = np.nan_to_num(sunlit, nan=0.0)
        load = np.broadcast_to(np.asarray(compute_load, dtype=np.float64), (n,))
        if sunlit.shape != (n,):
            raise InputError(f"sunlit has shape {sunlit.shape}", field="sunlit", expected=f"({n},)")

        # 1-2: availability (reboots) and the previous step's thermal limit
        available_share, asked = self._available, self._asked
        _ask_kernel(
            read_only(np.ascontiguousarray(load)),  # one compiled signature for any caller's load
            self.thermal_throttle,
            self.downtime_s,
            dt,
            available_share,
            asked,
        )

        # 3: power
        sun_hat = geometry.sun_eci_m / np.linalg.norm(geometry.sun_eci_m)
        cos_inc = incidence_cosine(
            self.power.attitude_mode, geometry.r_eci_m, geometry.v_eci_m, sun_hat
        )
        p = power_step(
            self.power,
            self.power_state,
            dt,
            sunlit,
            cos_inc,
            asked,
            out=self._power_out,
            validate=False,
        )

        # 4: thermal (all electrical power drawn becomes heat)
        cos_zenith, altitude = self._cos_zenith, self._altitude
        _geometry_kernel(
            np.ascontiguousarray(geometry.r_eci_m, dtype=np.float64),
            sun_hat,
            EARTH_EQUATORIAL_RADIUS_M,
            cos_zenith,
            altitude,
        )
        environment = environment_heat_w(
            self.thermal, sunlit, altitude, cos_zenith, out=self._environment
        )
        if self.step_index == 0 and self.start_at_equilibrium:
            self._start_at_orbit_equilibrium(geometry, sun_hat, altitude)
        payload_heat = p.compute_power_w
        bus_heat = np.maximum(p.load_power_w - payload_heat, 0.0)
        t = thermal_step(
            self.thermal,
            self.thermal_state,
            dt,
            bus_heat,
            environment,
            validate=False,
            payload_heat_w=payload_heat,
        )
        self.thermal_throttle[:] = t.throttle

        # 5: radiation
        dose = (
            dose_rate_rad_s(
                geometry.lat_deg, geometry.lon_deg, geometry.alt_m, self.shielding_mm_al
            )
            * dt
        )
        busy = self._busy
        np.greater(p.compute_power_w, self.power.compute_idle_w + 1e-9, out=busy)
        events = inject_faults(
            self.seed, self.step_index, dose, self.susceptibility, busy, n_devices=self.n_devices
        )
        outcome = apply_mitigation(events, self.mitigation, dt)
        self.downtime_s += outcome.downtime_s
        self.step_index += 1

        useful = self._useful
        _work_kernel(
            p.compute_power_w,
            self.power.compute_idle_w,
            self.power.compute_max_w,
            outcome.lost_work_s,
            outcome.downtime_s,
            dt,
            float(outcome.overhead_factor),
            busy,
            useful,
        )
        return FleetStep(
            compute_power_w=p.compute_power_w,
            load_power_w=p.load_power_w,
            useful_fraction=useful,
            available=available_share > 0,
            power_throttle=p.throttle,
            thermal_throttle=self.thermal_throttle,
            brownout=p.brownout,
            state_of_charge=p.state_of_charge,
            temperature_k=t.temperature_k,
            payload_temperature_k=t.payload_temperature_k,
            dose_rad=dose,
            silent_errors=outcome.silent,
            detected_errors=outcome.detected,
            reboots=outcome.reboots,
        )


__all__ = ["DEFAULT_SHIELDING_MM_AL", "Fleet", "FleetStep", "StepGeometry"]
