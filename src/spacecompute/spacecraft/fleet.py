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
from typing import Any

import numba
import numpy as np

from .._parallel import PARALLEL_MIN_WORK, read_only, twin_kernel
from .._runtime import keep_freed_memory
from ..astro.constants import AU_M, EARTH_EQUATORIAL_RADIUS_M, SOLAR_CONSTANT_W_M2
from ..errors import InputError
from . import power as _power
from . import radiation as _radiation
from . import thermal as _thermal
from .hardware import BusPreset, bus, bus_for_constellation
from .power import (
    ATTITUDE_MODES,
    StepPower,
    incidence_cosine,
    power_params,
    power_state,
)
from .radiation import (
    _KINDS,
    _NEEDS_BUSY,
    MitigatedFaults,
    Mitigation,
    device_susceptibility,
    dose_rate_rad_s,
)
from .thermal import (
    EARTH_ALBEDO,
    EARTH_IR_W_M2,
    environment_heat_w,
    equilibrium_state,
    orbit_average_environment_w,
    thermal_params,
    thermal_state,
)

#: Heat capacity per kg of satellite used for the lumped thermal node (aluminium structure,
#: 900 J/(kg K); Gilmore, Spacecraft Thermal Control Handbook vol. 1 (2002), table A.2).
SPECIFIC_HEAT_J_PER_KG_K = 900.0
#: Shielding of the compute payload, mm Al-equivalent (Suncatcher's shielded SSO environment,
#: about 150 rad(Si)/year, arXiv:2511.19468; see spacecraft.radiation).
DEFAULT_SHIELDING_MM_AL = 10.0
#: The solar flux at 1 AU (W/m2), as :func:`~spacecompute.spacecraft.power.power_step` computes
#: it for the default sun distance.
_FLUX_1AU_W_M2 = SOLAR_CONSTANT_W_M2 * (AU_M / float(AU_M)) ** 2
#: The work unit of :func:`~spacecompute.spacecraft.radiation.apply_mitigation` (its default, s).
_radiation_work_unit_s = 60.0


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


def _norm3(v: np.ndarray) -> Any:
    """``np.linalg.norm`` of a float64 (3,) vector (its own formula, ``sqrt(v . v)``: the same
    bits, without its Python layers)."""
    if isinstance(v, np.ndarray) and v.dtype == np.float64 and v.shape == (3,):
        return math.sqrt(float(v.dot(v)))
    return np.linalg.norm(v)


def _read_only_loads(compute_load: np.ndarray | float, n: int) -> np.ndarray:
    """``compute_load`` as a read-only float64 (N,) array (a view where it is one already: what
    ``np.broadcast_to`` gives, at less cost per step; the kernel's signature stays the same)."""
    if (
        isinstance(compute_load, np.ndarray)
        and compute_load.shape == (n,)
        and compute_load.dtype == np.float64
        and compute_load.flags.c_contiguous
    ):
        view = compute_load.view()
        view.flags.writeable = False
        return view
    loads = np.broadcast_to(np.asarray(compute_load, dtype=np.float64), (n,))
    return read_only(np.ascontiguousarray(loads))  # a copy where broadcast: read-only again


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
        # buffers of the models' intermediate values (the step's outputs stay new arrays where
        # they were)
        self._cos_incidence = np.empty(self.n)
        self._bus_heat = np.empty(self.n)
        self._bus_in = np.empty(self.n)
        self._bus_start = np.empty(self.n)
        self._throttle = np.empty(self.n)
        self._radiated_w = np.empty(self.n)
        self._heater_w = np.empty(self.n)
        self._dose_rate_buffer = np.empty(self.n)
        self._fault_counts = np.zeros((self.n, len(_radiation.EFFECTS)), dtype=np.int32)
        self._fault_flags = np.empty(self.n, dtype=np.bool_)
        self._downtime_new = np.empty(self.n)
        self._lost_work = np.empty(self.n)
        # every array of a step is at most (N, 5): below the parallel size, each twin kernel
        # would run its one-thread version anyway (spacecompute._parallel); called directly
        self._one_thread = len(_radiation.EFFECTS) * self.n < PARALLEL_MIN_WORK
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

    # -- the models' kernels, called with the fleet's own arrays -------------------------------
    def _kernel(self, twin: Any) -> Any:
        """The one-thread version of ``twin`` where it would choose it anyway, else the twin."""
        return twin.serial if self._one_thread else twin

    def _incidence(self, r_eci: np.ndarray, v_eci: np.ndarray, sun_hat: np.ndarray) -> np.ndarray:
        """:func:`~spacecompute.spacecraft.power.incidence_cosine` into the fleet's buffer."""
        v = np.ascontiguousarray(v_eci, dtype=np.float64)
        if r_eci.shape != (self.n, 3) or v.shape != r_eci.shape:  # (its error, or power_step's)
            return incidence_cosine(self.power.attitude_mode, r_eci, v_eci, sun_hat)
        sn = _norm3(sun_hat)
        if not (sn > 0 and math.isfinite(sn)):
            return incidence_cosine(self.power.attitude_mode, r_eci, v_eci, sun_hat)  # raises
        mode = self.power.attitude_mode  # int64 codes (PowerParams), checked by extremes
        if not (
            isinstance(mode, np.ndarray)
            and mode.dtype == np.int64
            and mode.ndim == 1
            and mode.shape[0] in (1, r_eci.shape[0])
            and (mode.size == 0 or (mode.min() >= 0 and mode.max() <= 3))
        ):
            return incidence_cosine(self.power.attitude_mode, r_eci, v_eci, sun_hat)
        out = self._cos_incidence
        self._kernel(_power._incidence_kernel)(mode.astype(np.int64), r_eci, v, sun_hat / sn, out)
        return out

    def _power_step(
        self, dt: float, sunlit: np.ndarray, cos_inc: np.ndarray, asked: np.ndarray
    ) -> StepPower:
        """:func:`~spacecompute.spacecraft.power.power_step` (unvalidated, at 1 AU) into the
        fleet's buffers."""
        p, st, out = self.power, self.power_state, self._power_out
        if st.n != self.n or cos_inc.shape != (self.n,):  # (its error)
            return _power.power_step(p, st, dt, sunlit, cos_inc, asked, out=out, validate=False)
        self._kernel(_power._power_step_kernel)(
            dt, _FLUX_1AU_W_M2,
            *map(read_only, (  # as power_step passes them: one compiled signature
                p.effective_area_m2, p.log_retention_per_year, p.base_essential_load_w,
                p.heater_load_w, p.compute_idle_w, p.compute_max_w, p.compute_shed_soc,
                p.battery_capacity_j, p.max_depth_of_discharge, p.charge_efficiency,
                p.discharge_efficiency, p.fade_calendar_coeff, p.fade_calendar_exponent,
                p.fade_cycle_coeff, p.fade_cycle_exponent,
                sunlit, cos_inc, asked,
            )),
            st.stored_energy_j, st.capacity_j, st.cycle_throughput_j, st.age_s,
            st.energy_generated_j, st.energy_to_loads_j, st.energy_curtailed_j,
            st.energy_shortfall_j, st.losses_j, st.brownout_steps,
            out.compute_power_w, out.throttle, out.brownout, out.state_of_charge,
            out.solar_power_w, out.load_power_w,
        )  # fmt: skip
        return out

    def _environment_heat(
        self, sunlit: np.ndarray, altitude: np.ndarray, cos_zenith: np.ndarray
    ) -> np.ndarray:
        """:func:`~spacecompute.spacecraft.thermal.environment_heat_w` into the fleet's buffer;
        its range checks by minimum and maximum (NaN fails them), the function itself where one
        fails (for its error)."""
        out = self._environment
        if self.n and not (
            sunlit.min() >= 0.0
            and sunlit.max() <= 1.0
            and altitude.min() >= 1e-9
            and cos_zenith.min() >= -1.0
            and cos_zenith.max() <= 1.0
        ):
            return environment_heat_w(self.thermal, sunlit, altitude, cos_zenith, out=out)
        p = self.thermal
        self._kernel(_thermal._environment_kernel)(
            p.radiator_area_m2, p.sides, p.emissivity, p.absorptivity, p.orientation,
            p.view_factor_front, p.view_factor_back, np.ascontiguousarray(sunlit), altitude,
            cos_zenith, cos_zenith, False, float(EARTH_EQUATORIAL_RADIUS_M),
            float(SOLAR_CONSTANT_W_M2), float(EARTH_ALBEDO), float(EARTH_IR_W_M2), out,
        )  # fmt: skip
        return out

    def _thermal_step(
        self, dt: float, bus_heat: np.ndarray, environment: np.ndarray, payload_heat: np.ndarray
    ) -> _thermal.StepThermal:
        """:func:`~spacecompute.spacecraft.thermal.thermal_step` (unvalidated) with the
        fleet's buffers."""
        p, state, n = self.thermal, self.thermal_state, self.n
        _thermal._check_state_buffers(n, state)
        bus_in, bus_start = self._bus_in, self._bus_start
        np.copyto(bus_start, state.temperature_k)
        kernel = self._kernel
        kernel(_thermal._payload_kernel)(
            state.temperature_k, p.payload_heat_capacity_j_per_k, p.payload_conductance_w_per_k,
            payload_heat, bus_heat, environment, dt, state.payload_temperature_k, bus_in,
        )  # fmt: skip
        out = _thermal.StepThermal(
            state.temperature_k, self._throttle, self._radiated_w, self._heater_w
        )
        out.payload_temperature_k = state.payload_temperature_k
        kernel(_thermal._step_kernel)(
            state.temperature_k, p.radiative_coeff_w_per_k4, p.heat_capacity_j_per_k,
            p.max_temperature_k, p.throttle_band_k, p.min_temperature_k, bus_in, environment,
            dt, out.throttle, out.radiated_w, out.heater_w, state.heat_rejected_j,
            state.heat_absorbed_j, state.heater_j, state.throttled_steps,
            p.payload_heat_capacity_j_per_k, state.payload_temperature_k,
            p.payload_conductance_w_per_k, bus_start,
        )  # fmt: skip
        return out

    def _dose_rate(self, geometry: StepGeometry) -> np.ndarray:
        """:func:`~spacecompute.spacecraft.radiation.dose_rate_rad_s` of the step's positions
        behind the fleet's shielding (rad(Si)/s, into the fleet's buffer); the function itself
        for other shapes and for its error."""
        lat, lon, alt = (
            np.ascontiguousarray(a, dtype=np.float64)
            for a in (geometry.lat_deg, geometry.lon_deg, geometry.alt_m)
        )
        if not (lat.ndim == 1 and lat.shape == lon.shape == alt.shape == (self.n,)):
            return dose_rate_rad_s(lat, lon, alt, self.shielding_mm_al)
        fp, fe = _radiation._shield_factors(np.asarray(self.shielding_mm_al, dtype=np.float64))
        out = self._dose_rate_buffer
        bad = self._kernel(_radiation._total_kernel)(  # read-only: as dose_rate_rad_s passes them
            read_only(lat), read_only(lon), read_only(alt), float(fp[0]), float(fe[0]),
            _radiation._params(2025.0, 1.0), out,
        )  # fmt: skip
        if bad:
            return dose_rate_rad_s(lat, lon, alt, self.shielding_mm_al)  # raises
        return out

    def _faults(self, dose: np.ndarray, busy: np.ndarray, dt: float) -> MitigatedFaults:
        """:func:`~spacecompute.spacecraft.radiation.inject_faults` (one device count for all,
        the fleet's step index) then :func:`~spacecompute.spacecraft.radiation.apply_mitigation`
        with the default work unit, into the fleet's buffers (the counts new arrays)."""
        n, sus, mit = self.n, self.susceptibility, self.mitigation
        counts = self._fault_counts
        counts.fill(0)
        key = _radiation._step_key(self.seed, self.step_index)
        if n:
            bad = self._kernel(_radiation._inject_kernel)(
                key, np.uint64(0), dose, dose, False, float(self.n_devices), busy,
                np.asarray(sus.events_per_rad, dtype=np.float64), _NEEDS_BUSY, counts,
                self._fault_flags,
            )  # fmt: skip
            if bad:
                raise _radiation._bad_dose()
        unit = _radiation_work_unit_s
        silent = np.empty(n, dtype=np.int32)
        detected = np.empty(n, dtype=np.int32)
        reboots = np.empty(n, dtype=np.int32)
        downtime, lost = self._downtime_new, self._lost_work
        self._kernel(_radiation._mitigate_kernel)(
            _KINDS.index(mit.kind), counts, float(sus.reboot_downtime_s), unit,
            float(mit.checkpoint_interval_s), float(mit.restart_s), max(1, int(dt // unit)),
            silent, detected, reboots, downtime, lost,
        )  # fmt: skip
        return MitigatedFaults(silent, detected, reboots, downtime, lost, mit.overhead_factor)

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
        if not math.isfinite(dt) or dt <= 0:
            raise InputError(f"dt_s = {dt_s}", field="dt_s", expected="seconds > 0")
        sunlit = np.asarray(sunlit, dtype=np.float64)
        if np.isnan(sunlit).any():  # no position (failed propagation): no sun
            sunlit = np.nan_to_num(sunlit, nan=0.0)
        load = _read_only_loads(compute_load, n)
        if sunlit.shape != (n,):
            raise InputError(f"sunlit has shape {sunlit.shape}", field="sunlit", expected=f"({n},)")

        # 1-2: availability (reboots) and the previous step's thermal limit
        available_share, asked = self._available, self._asked
        kernel = self._kernel
        kernel(_ask_kernel)(
            load,
            self.thermal_throttle,
            self.downtime_s,
            dt,
            available_share,
            asked,
        )

        # 3: power (the models' kernels called directly: the inputs are the fleet's own, their
        # checks done here once; the same kernels on the same values as the public functions)
        sun_hat = geometry.sun_eci_m / _norm3(geometry.sun_eci_m)
        r_eci = np.ascontiguousarray(geometry.r_eci_m, dtype=np.float64)
        cos_inc = self._incidence(r_eci, geometry.v_eci_m, sun_hat)
        p = self._power_step(dt, np.ascontiguousarray(sunlit), cos_inc, asked)

        # 4: thermal (all electrical power drawn becomes heat)
        cos_zenith, altitude = self._cos_zenith, self._altitude
        kernel(_geometry_kernel)(r_eci, sun_hat, EARTH_EQUATORIAL_RADIUS_M, cos_zenith, altitude)
        environment = self._environment_heat(sunlit, altitude, cos_zenith)
        if self.step_index == 0 and self.start_at_equilibrium:
            self._start_at_orbit_equilibrium(geometry, sun_hat, altitude)
        payload_heat = p.compute_power_w
        bus_heat = np.subtract(p.load_power_w, payload_heat, out=self._bus_heat)
        np.maximum(bus_heat, 0.0, out=bus_heat)
        t = self._thermal_step(dt, bus_heat, environment, payload_heat)
        self.thermal_throttle[:] = t.throttle

        # 5: radiation
        dose = self._dose_rate(geometry) * dt
        busy = self._busy
        np.greater(p.compute_power_w, self.power.compute_idle_w + 1e-9, out=busy)
        outcome = self._faults(dose, busy, dt)
        self.downtime_s += outcome.downtime_s
        self.step_index += 1

        useful = self._useful
        kernel(_work_kernel)(
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
