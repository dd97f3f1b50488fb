"""Electrical power: solar array, battery with capacity fade, load priority and energy accounting.

Every quantity is per satellite, a struct of (N,) arrays, advanced one time step at a time by
a numba kernel (parallel over satellites, writing the state in place). SI units: W, J, s, m2, K.

Solar array
-----------
Power delivered by the array (J. R. Wertz and W. J. Larson, *Space Mission Analysis and
Design* (SMAD), 3rd ed. (1999), sec. 11.4.1, solar-array design: ``P_o = S eta``,
``P_BOL = P_o I_d cos(theta)``, lifetime degradation ``L_d = (1 - d)^years``,
``P_EOL = P_BOL L_d``; M. R. Patel, *Spacecraft Power Systems* (CRC 2004), ch. 4):

``P = S (AU / r_sun)^2 * A * eta * pf * max(cos(theta), 0) * sunlit * (1 - d)^(age / year)``

with ``S`` the solar constant (1,361 W/m2, Kopp and Lean 2011), ``A`` the array area, ``eta``
the cell efficiency, ``pf`` the packing (fill) factor standing for SMAD's inherent degradation
``I_d``, ``theta`` the sun's angle off the array normal, ``sunlit`` the fraction of the solar
disk seen (:func:`spacecompute.astro.eclipse.sunlit_fraction_from_positions`, 0 in umbra) and
``d`` the degradation per year (SMAD quotes about 3.75 %/yr for Si and 2.75 %/yr for GaAs
cells in LEO). Temperature coefficients of the cells are not modelled.

Attitude modes (:func:`incidence_cosine`; ``h`` the orbit normal ``r x v / |r x v|``, ``s``
the unit vector to the sun, ``beta = asin(h . s)`` the beta angle; SMAD sec. 11.4.1 on body-
mounted versus one- and two-axis tracking arrays, S. L. Rickman, NASA TFAWS short course
(2014) for beta):

- ``SUN_TRACKING`` (0): two-axis tracking, the array normal on the sun: ``cos = 1``.
- ``BODY_FIXED_ZENITH`` (1): nadir-pointing spacecraft with cells on the zenith (anti-nadir)
  face, normal ``r / |r|``: ``cos = r_hat . s`` (negative: the sun is behind the panel).
- ``ORBIT_NORMAL`` (2): fixed wing of a dawn-dusk sun-synchronous spacecraft, normal along the
  orbit normal on the sun's side (Suncatcher, arXiv:2511.19468): ``cos = |h . s| = |sin beta|``.
- ``SINGLE_AXIS`` (3): one-axis solar-array drive about the orbit normal (the usual LEO
  configuration), tracking the sun's in-plane component: ``cos = cos beta``.

Battery and load priority (per step of length ``dt``)
-----------------------------------------------------
Stored energy ``E`` (J, at the cells) lies in ``[E_floor, C]`` with ``C`` the faded capacity and
``E_floor = (1 - DoD_max) C``. Loads are served in this order (SMAD sec. 11.4 energy balance;
load shedding of non-essential loads, Patel 2004 ch. 14):

1. essential loads (bus + radios + heaters) from the array, then from the battery down to
   ``E_floor`` through the discharge efficiency ``eta_d``. If that cannot cover them the bus
   browns out: the step is flagged, the unmet energy is added to ``energy_shortfall_j`` and
   ``brownout_steps`` counts it (never silent). A gap below 1e-9 of the demand counts as
   rounding, not as a brownout (a battery sized to the joule ends exactly at its floor);
2. compute (``idle + u (max - idle)`` requested at utilisation ``u``) from what is left of the
   array, then from the battery but only down to ``max(E_floor, compute_shed_soc C)`` (a
   load-shedding threshold that keeps a reserve for the essential loads): compute is throttled
   first;
3. the remaining array power charges the battery through ``eta_c`` up to ``C``; the rest is
   curtailed (array and battery full: wasted).

Accounting, exact per satellite (the charge and discharge losses and energy lost when fade
lowers the capacity below the stored energy are all in ``losses_j``)::

    energy_generated_j = energy_to_loads_j + (E - E_0) + losses_j + energy_curtailed_j

and, separately, ``energy_to_loads_j + energy_shortfall_j`` = energy requested by the essential
loads + compute energy granted.

Capacity fade
-------------
Power-law calendar and cycle fade, added (J. Schmalstieg, S. Kaebitz, M. Ecker and D. U. Sauer,
"A holistic aging model for Li(NiMnCo)O2 based 18650 lithium-ion batteries", J. Power Sources
257 (2014) 325-334; cells: Sanyo UR18650E, 2.05 Ah, NMC / graphite, data of M. Ecker et al.,
J. Power Sources 248 (2014) 839-851)::

    C / C_BOL = 1 - alpha * t_days^0.75 - beta * Q_Ah^0.5
    alpha = (7.543 V - 23.75) 1e6 exp(-6976 / T)      (per day^0.75; V cell voltage, T in K)
    beta = 7.348e-3 (V_mean - 3.667)^2 + 7.60e-4 + 4.081e-3 DoD     (per Ah^0.5)

``Q_Ah`` is the charge throughput of one cell (charge plus discharge), ``2 C_cell EFC`` with
``EFC`` the equivalent full cycles, as replicated in NREL's BLAST-Lite
(``nmc111_gr_Sanyo2Ah_2014``). Here the model is written per satellite as
``C / C_BOL = 1 - k_cal * (age / 1 day)^z_cal - k_cyc * EFC^z_cyc`` with
``EFC = (energy into + energy out of the cells) / (2 C_BOL)``;
:func:`schmalstieg_2014_fade_coefficients` gives ``k_cal``, ``k_cyc`` at an operating point
(``k_cyc = beta sqrt(2 C_cell)``), and any other power-law model (z_cal = 0.5 for the square-
root calendar law of J. Wang et al., J. Power Sources 269 (2014) 937) can be set directly.
Coefficients are constant per satellite: the fade is evaluated in closed form from the age and
the throughput, exact for constant operating conditions. The model was fitted at 35 C and 1C
(cycling) and 35-50 C (calendar); outside that it is an extrapolation. Resistance growth and
charge/discharge rate limits are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numba import njit, prange

from .._parallel import read_only, twin_kernel
from ..astro.constants import AU_M, JULIAN_YEAR_S, SECONDS_PER_DAY, SOLAR_CONSTANT_W_M2
from ..errors import InputError

__all__ = [
    "ATTITUDE_MODES",
    "BODY_FIXED_ZENITH",
    "ORBIT_NORMAL",
    "SINGLE_AXIS",
    "SUN_TRACKING",
    "PowerParams",
    "PowerState",
    "StepPower",
    "array_area_for_load_m2",
    "battery_for_eclipse_j",
    "incidence_cosine",
    "power_params",
    "power_state",
    "power_step",
    "schmalstieg_2014_fade_coefficients",
    "solar_power_w",
]

SUN_TRACKING = 0
BODY_FIXED_ZENITH = 1
ORBIT_NORMAL = 2
SINGLE_AXIS = 3

#: Attitude mode names (as accepted by :func:`power_params`) and their codes.
ATTITUDE_MODES: dict[str, int] = {
    "sun-tracking": SUN_TRACKING,
    "body-fixed-zenith": BODY_FIXED_ZENITH,
    "orbit-normal": ORBIT_NORMAL,
    "single-axis": SINGLE_AXIS,
}

#: Nominal capacity of the Sanyo UR18650E cell of Schmalstieg et al. (2014), Ah (Ecker et al.
#: 2014: 2.05 Ah).
SCHMALSTIEG_CELL_CAPACITY_AH = 2.05


# ---------------------------------------------------------------------------------------------
# Parameters and state
# ---------------------------------------------------------------------------------------------

# name -> (lowest, highest, lowest inclusive, description); floats unless in _INT_FIELDS
_BOUNDS: dict[str, tuple[float, float, bool, str]] = {
    "array_area_m2": (0.0, math.inf, True, ">= 0 m2"),
    "cell_efficiency": (0.0, 1.0, True, "in [0, 1]"),
    "packing_factor": (0.0, 1.0, True, "in [0, 1]"),
    "degradation_per_year": (0.0, 1.0, True, "in [0, 1)"),
    "battery_capacity_j": (0.0, math.inf, True, ">= 0 J"),
    "max_depth_of_discharge": (0.0, 1.0, True, "in [0, 1]"),
    "charge_efficiency": (0.0, 1.0, False, "in (0, 1]"),
    "discharge_efficiency": (0.0, 1.0, False, "in (0, 1]"),
    "bus_load_w": (0.0, math.inf, True, ">= 0 W"),
    "radio_load_w": (0.0, math.inf, True, ">= 0 W"),
    "heater_load_w": (0.0, math.inf, True, ">= 0 W"),
    "compute_idle_w": (0.0, math.inf, True, ">= 0 W"),
    "compute_max_w": (0.0, math.inf, True, ">= compute_idle_w"),
    "compute_shed_soc": (0.0, 1.0, True, "in [0, 1]"),
    "fade_calendar_coeff": (0.0, math.inf, True, ">= 0 per day^fade_calendar_exponent"),
    "fade_calendar_exponent": (0.0, math.inf, False, "> 0"),
    "fade_cycle_coeff": (0.0, math.inf, True, ">= 0 per cycle^fade_cycle_exponent"),
    "fade_cycle_exponent": (0.0, math.inf, False, "> 0"),
}


def _check_array(name: str, a: np.ndarray, n: int | None) -> None:
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        raise InputError(
            f"shape {a.shape}",
            field=name,
            expected=f"a scalar or an array of shape ({n if n is not None else 'N'},)",
        )


@dataclass(frozen=True)
class PowerParams:
    """Power-system design of N satellites, one (N,) read-only array per field (float64;
    ``attitude_mode`` int64).

    Solar array (SMAD sec. 11.4.1): ``array_area_m2``, ``cell_efficiency``, ``packing_factor``
    (fill factor, SMAD's inherent degradation), ``degradation_per_year`` (fraction of power lost
    per year), ``attitude_mode`` (int codes, see the module docstring). Battery:
    ``battery_capacity_j`` (beginning of life, at the cells), ``max_depth_of_discharge``,
    ``charge_efficiency``, ``discharge_efficiency`` (one-way energy efficiencies). Loads (W):
    ``bus_load_w``, ``radio_load_w``, ``heater_load_w`` (essential), ``compute_idle_w``,
    ``compute_max_w`` (compute draws ``idle + u (max - idle)`` at utilisation ``u``);
    ``compute_shed_soc``: compute may discharge the battery only above this state of charge
    (0: down to the depth-of-discharge floor). Fade (module docstring):
    ``fade_calendar_coeff``, ``fade_calendar_exponent`` (time in days),
    ``fade_cycle_coeff``, ``fade_cycle_exponent`` (equivalent full cycles).

    Build it with :func:`power_params`, which broadcasts scalars. Invalid values raise
    :class:`~spacecompute.errors.InputError`.
    """

    array_area_m2: np.ndarray
    cell_efficiency: np.ndarray
    packing_factor: np.ndarray
    degradation_per_year: np.ndarray
    attitude_mode: np.ndarray
    battery_capacity_j: np.ndarray
    max_depth_of_discharge: np.ndarray
    charge_efficiency: np.ndarray
    discharge_efficiency: np.ndarray
    bus_load_w: np.ndarray
    radio_load_w: np.ndarray
    heater_load_w: np.ndarray
    compute_idle_w: np.ndarray
    compute_max_w: np.ndarray
    compute_shed_soc: np.ndarray
    fade_calendar_coeff: np.ndarray
    fade_calendar_exponent: np.ndarray
    fade_cycle_coeff: np.ndarray
    fade_cycle_exponent: np.ndarray
    # derived, for the kernel: A * eta * pf (m2), log(1 - d), bus + radio (W)
    effective_area_m2: np.ndarray = field(init=False, repr=False)
    log_retention_per_year: np.ndarray = field(init=False, repr=False)
    base_essential_load_w: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n: int | None = None
        for f in fields(self):
            if not f.init:
                continue
            raw = getattr(self, f.name)
            if f.name == "attitude_mode":
                a = np.array(raw, copy=True)
                if a.dtype.kind not in "iu" and not (
                    a.dtype.kind == "f" and np.all(np.isfinite(a) & (a == np.round(a)))
                ):
                    raise InputError(
                        f"attitude mode codes {raw!r}",
                        field=f.name,
                        expected=f"integer codes or names of {ATTITUDE_MODES}",
                    )
                a = a.astype(np.int64)
            else:
                a = np.array(raw, dtype=np.float64, copy=True)
            _check_array(f.name, a, n)
            n = a.shape[0]
            if f.name == "attitude_mode":
                bad = (a < 0) | (a > SINGLE_AXIS)
                expected = f"codes {sorted(ATTITUDE_MODES.values())} ({ATTITUDE_MODES})"
            else:
                lo, hi, lo_incl, expected = _BOUNDS[f.name]
                with np.errstate(invalid="ignore"):
                    bad = ~np.isfinite(a) | (a > hi) | ((a < lo) if lo_incl else (a <= lo))
                if f.name == "degradation_per_year":
                    bad |= a >= 1.0
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"invalid value {a[i]!r} for satellite {i}", field=f.name, expected=expected
                )
            a.setflags(write=False)
            object.__setattr__(self, f.name, a)
        if np.any(self.compute_max_w < self.compute_idle_w):
            i = int(np.flatnonzero(self.compute_max_w < self.compute_idle_w)[0])
            raise InputError(
                f"compute_max_w {self.compute_max_w[i]} below compute_idle_w "
                f"{self.compute_idle_w[i]} for satellite {i}",
                field="compute_max_w",
                expected=">= compute_idle_w",
            )
        derived = {
            "effective_area_m2": self.array_area_m2 * self.cell_efficiency * self.packing_factor,
            "log_retention_per_year": np.log1p(-self.degradation_per_year),
            "base_essential_load_w": self.bus_load_w + self.radio_load_w,
        }
        for name, a in derived.items():
            a = np.ascontiguousarray(a, dtype=np.float64)
            a.setflags(write=False)
            object.__setattr__(self, name, a)

    @property
    def n(self) -> int:
        """Number of satellites."""
        return int(self.array_area_m2.shape[0])

    @property
    def essential_load_w(self) -> np.ndarray:
        """Bus + radio + heater load (W), the loads served before compute."""
        return self.base_essential_load_w + self.heater_load_w


def schmalstieg_2014_fade_coefficients(
    cell_voltage_v: float | np.ndarray = 3.7,
    temperature_k: float | np.ndarray = 293.15,
    mean_voltage_v: float | np.ndarray = 3.7,
    depth_of_discharge: float | np.ndarray = 0.2,
    cell_capacity_ah: float | np.ndarray = SCHMALSTIEG_CELL_CAPACITY_AH,
) -> dict[str, np.ndarray]:
    """Power-law fade coefficients of the NMC/graphite model of Schmalstieg et al. (2014).

    J. Schmalstieg et al., J. Power Sources 257 (2014) 325-334, eqs. for capacity:
    ``alpha_cap = (7.543 V - 23.75) 1e6 exp(-6976 / T)`` (calendar, per day^0.75, ``V`` the
    storage cell voltage, ``T`` in K) and ``beta_cap = 7.348e-3 (V_mean - 3.667)^2 + 7.600e-4 +
    4.081e-3 DoD`` (cycle, per Ah^0.5 of charge throughput ``Q``). Sanyo UR18650E cells
    (2.05 Ah). With ``Q = 2 C_cell EFC``: ``fade_cycle_coeff = beta_cap sqrt(2 C_cell)`` per
    EFC^0.5. A negative ``alpha`` (below 3.15 V) is clipped to 0.

    Returns a dict with ``fade_calendar_coeff``, ``fade_calendar_exponent`` (0.75),
    ``fade_cycle_coeff``, ``fade_cycle_exponent`` (0.5), ready for :func:`power_params`.
    """
    v = np.asarray(cell_voltage_v, dtype=np.float64)
    t = np.asarray(temperature_k, dtype=np.float64)
    vm = np.asarray(mean_voltage_v, dtype=np.float64)
    dod = np.asarray(depth_of_discharge, dtype=np.float64)
    cap = np.asarray(cell_capacity_ah, dtype=np.float64)
    for name, a, ok in (
        ("temperature_k", t, t > 0),
        ("depth_of_discharge", dod, (dod >= 0) & (dod <= 1)),
        ("cell_capacity_ah", cap, cap > 0),
        ("cell_voltage_v", v, np.isfinite(v)),
        ("mean_voltage_v", vm, np.isfinite(vm)),
    ):
        if not np.all(ok & np.isfinite(a)):
            raise InputError(f"invalid value {a!r}", field=name, expected="a finite value in range")
    alpha = np.maximum((7.543 * v - 23.75) * 1e6 * np.exp(-6976.0 / t), 0.0)
    beta = 7.348e-3 * (vm - 3.667) ** 2 + 7.600e-4 + 4.081e-3 * dod
    return {
        "fade_calendar_coeff": alpha,
        "fade_calendar_exponent": np.full_like(alpha, 0.75),
        "fade_cycle_coeff": beta * np.sqrt(2.0 * cap),
        "fade_cycle_exponent": np.full_like(beta, 0.5),
    }


_REQUIRED = (
    "array_area_m2",
    "cell_efficiency",
    "packing_factor",
    "battery_capacity_j",
    "max_depth_of_discharge",
    "charge_efficiency",
    "discharge_efficiency",
    "bus_load_w",
)
_DEFAULTS: dict[str, Any] = {
    "degradation_per_year": 0.0,
    "attitude_mode": SUN_TRACKING,
    "radio_load_w": 0.0,
    "heater_load_w": 0.0,
    "compute_idle_w": 0.0,
    "compute_max_w": 0.0,
    "compute_shed_soc": 0.0,
}
_FADE = ("fade_calendar_coeff", "fade_calendar_exponent", "fade_cycle_coeff", "fade_cycle_exponent")


def _mode_codes(value: Any) -> Any:
    """Attitude mode names (``"sun-tracking"``, ...) to codes; ints pass through."""

    def one(v: Any) -> int:
        if isinstance(v, str):
            key = v.strip().lower().replace("_", "-")
            if key not in ATTITUDE_MODES:
                raise InputError(
                    f"unknown attitude mode {v!r}",
                    field="attitude_mode",
                    expected=f"one of {sorted(ATTITUDE_MODES)}",
                )
            return ATTITUDE_MODES[key]
        return v

    if isinstance(value, str):
        return one(value)
    a = np.asarray(value)
    if a.dtype.kind in "UO":
        return np.array([one(v) for v in a.ravel()], dtype=np.int64).reshape(a.shape)
    return value


def power_params(n: int, **values: Any) -> PowerParams:
    """:class:`PowerParams` for ``n`` satellites; each value a scalar (broadcast) or (n,) array.

    Required: ``array_area_m2``, ``cell_efficiency``, ``packing_factor``,
    ``battery_capacity_j``, ``max_depth_of_discharge``, ``charge_efficiency``,
    ``discharge_efficiency``, ``bus_load_w``. Optional (default): ``degradation_per_year`` (0),
    ``attitude_mode`` (``"sun-tracking"``; names or codes), ``radio_load_w``,
    ``heater_load_w``, ``compute_idle_w``, ``compute_max_w`` (0), ``compute_shed_soc`` (0).
    Fade: the four ``fade_*`` fields, all or none; by default those of
    :func:`schmalstieg_2014_fade_coefficients` at 3.7 V, 20 C, cycled at
    ``max_depth_of_discharge``.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise InputError(f"invalid number of satellites {n!r}", field="n", expected="an int >= 0")
    known = set(_REQUIRED) | set(_DEFAULTS) | set(_FADE)
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(
            f"unknown power parameter(s) {unknown}",
            field=unknown[0],
            expected=f"one of {sorted(known)}",
        )
    missing = [k for k in _REQUIRED if k not in values]
    if missing:
        raise InputError(
            f"missing power parameter(s) {missing}", field=missing[0], expected="a value"
        )
    given_fade = [k for k in _FADE if k in values]
    if given_fade and len(given_fade) != len(_FADE):
        raise InputError(
            "fade parameters must be given all together",
            field=sorted(set(_FADE) - set(given_fade))[0],
            expected=f"all of {list(_FADE)} or none",
        )
    merged = {**_DEFAULTS, **values}
    merged["attitude_mode"] = _mode_codes(merged["attitude_mode"])
    if not given_fade:
        dod = np.asarray(merged["max_depth_of_discharge"], dtype=np.float64)
        if dod.ndim > 1 or not np.all((dod >= 0) & (dod <= 1)):
            raise InputError(
                f"invalid value {dod!r}", field="max_depth_of_discharge", expected="in [0, 1]"
            )
        merged.update(schmalstieg_2014_fade_coefficients(depth_of_discharge=dod))
    out: dict[str, np.ndarray] = {}
    for name, v in merged.items():
        a = np.asarray(v)
        if a.ndim == 0:
            a = np.broadcast_to(a, (n,))
        elif a.shape != (n,):
            raise InputError(f"shape {a.shape}", field=name, expected=f"a scalar or shape ({n},)")
        out[name] = a
    return PowerParams(**out)


@dataclass
class PowerState:
    """Mutable power state of N satellites, (N,) float64 arrays unless noted.

    ``stored_energy_j``: energy in the cells; ``capacity_j``: faded capacity;
    ``cycle_throughput_j``: cumulative energy into plus out of the cells (for equivalent full
    cycles); ``age_s``: time since beginning of life (array degradation and calendar fade).
    Cumulative accounting since creation: ``energy_generated_j`` (array output),
    ``energy_to_loads_j`` (delivered to loads), ``energy_curtailed_j`` (array and battery full),
    ``energy_shortfall_j`` (essential demand not met: brownout), ``losses_j`` (charge and
    discharge inefficiency, and stored energy lost to fade), ``brownout_steps`` (int64).
    """

    stored_energy_j: np.ndarray
    capacity_j: np.ndarray
    cycle_throughput_j: np.ndarray
    age_s: np.ndarray
    energy_generated_j: np.ndarray
    energy_to_loads_j: np.ndarray
    energy_curtailed_j: np.ndarray
    energy_shortfall_j: np.ndarray
    losses_j: np.ndarray
    brownout_steps: np.ndarray

    @property
    def n(self) -> int:
        """Number of satellites."""
        return int(self.stored_energy_j.shape[0])

    def state_of_charge(self) -> np.ndarray:
        """Stored energy over the faded capacity (0 where the capacity is 0)."""
        cap = self.capacity_j
        if cap.size and cap.min() > 0:  # every satellite has a battery (NaN fails the test)
            return self.stored_energy_j / cap
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.capacity_j > 0, self.stored_energy_j / self.capacity_j, 0.0)

    def equivalent_full_cycles(self, params: PowerParams) -> np.ndarray:
        """``cycle_throughput_j / (2 * battery_capacity_j)`` (0 where there is no battery)."""
        c = params.battery_capacity_j
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(c > 0, self.cycle_throughput_j / (2.0 * c), 0.0)


def power_state(
    params: PowerParams,
    state_of_charge: float | np.ndarray = 1.0,
    age_s: float | np.ndarray = 0.0,
) -> PowerState:
    """Fresh :class:`PowerState`: beginning-of-life capacity, stored energy ``soc * C``.

    ``state_of_charge`` in [0, 1] (scalar or (N,)); ``age_s`` >= 0 sets the starting age (the
    capacity is then faded by the calendar term only, as if stored since beginning of life).
    Accumulators start at zero.
    """
    n = params.n
    soc = np.broadcast_to(np.asarray(state_of_charge, dtype=np.float64), (n,))
    age = np.broadcast_to(np.asarray(age_s, dtype=np.float64), (n,))
    if not np.all((soc >= 0) & (soc <= 1)):
        raise InputError(
            "state of charge out of range", field="state_of_charge", expected="in [0, 1]"
        )
    if not np.all(np.isfinite(age) & (age >= 0)):
        raise InputError("invalid age", field="age_s", expected="finite, >= 0 s")
    rel = (
        1.0 - params.fade_calendar_coeff * (age / SECONDS_PER_DAY) ** params.fade_calendar_exponent
    )
    capacity = params.battery_capacity_j * np.maximum(rel, 0.0)
    z = np.zeros(n)
    return PowerState(
        stored_energy_j=soc * capacity,
        capacity_j=capacity,
        cycle_throughput_j=z.copy(),
        age_s=age.copy(),
        energy_generated_j=z.copy(),
        energy_to_loads_j=z.copy(),
        energy_curtailed_j=z.copy(),
        energy_shortfall_j=z.copy(),
        losses_j=z.copy(),
        brownout_steps=np.zeros(n, dtype=np.int64),
    )


@dataclass
class StepPower:
    """Result of one :func:`power_step`, (N,) arrays.

    ``compute_power_w``: compute power granted; ``throttle``: granted / requested (1 where
    nothing was requested); ``brownout``: bool, essential loads not met this step;
    ``state_of_charge``: stored / faded capacity at the end of the step; ``solar_power_w``:
    array output; ``load_power_w``: power delivered to all loads (essential + compute), the
    electrical dissipation for a thermal model.
    """

    compute_power_w: np.ndarray
    throttle: np.ndarray
    brownout: np.ndarray
    state_of_charge: np.ndarray
    solar_power_w: np.ndarray
    load_power_w: np.ndarray

    @classmethod
    def empty(cls, n: int) -> StepPower:
        """Buffers for ``n`` satellites, to pass as ``out`` to :func:`power_step`."""
        return cls(
            compute_power_w=np.empty(n),
            throttle=np.empty(n),
            brownout=np.empty(n, dtype=np.bool_),
            state_of_charge=np.empty(n),
            solar_power_w=np.empty(n),
            load_power_w=np.empty(n),
        )


# ---------------------------------------------------------------------------------------------
# Incidence and array power
# ---------------------------------------------------------------------------------------------


@twin_kernel()
def _incidence_kernel(mode, r, v, s, out):  # pragma: no cover - compiled
    n = out.shape[0]
    for i in prange(n):
        m = mode[i] if mode.shape[0] > 1 else mode[0]
        if m == 0:
            out[i] = 1.0
            continue
        if m == 1:
            rn = math.sqrt(r[i, 0] ** 2 + r[i, 1] ** 2 + r[i, 2] ** 2)
            if not rn > 0.0:  # zero or NaN position
                out[i] = np.nan
                continue
            out[i] = (r[i, 0] * s[0] + r[i, 1] * s[1] + r[i, 2] * s[2]) / rn
            continue
        hx = r[i, 1] * v[i, 2] - r[i, 2] * v[i, 1]
        hy = r[i, 2] * v[i, 0] - r[i, 0] * v[i, 2]
        hz = r[i, 0] * v[i, 1] - r[i, 1] * v[i, 0]
        hn = math.sqrt(hx * hx + hy * hy + hz * hz)
        if not hn > 0.0:  # no orbit plane (radial or zero velocity) or NaN
            out[i] = np.nan
            continue
        sb = (hx * s[0] + hy * s[1] + hz * s[2]) / hn
        sb = min(1.0, max(-1.0, sb))
        if m == 2:
            out[i] = abs(sb)
        else:
            out[i] = math.sqrt(1.0 - sb * sb)


def incidence_cosine(
    mode: int | str | np.ndarray,
    r_eci_m: np.ndarray,
    v_eci_m: np.ndarray,
    sun_dir: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Cosine of the sun's angle off the array normal, (N,), for each attitude mode.

    ``mode``: a code or name, or (N,) codes (module docstring: 0 sun-tracking -> 1;
    1 body-fixed zenith face -> ``r_hat . s``, negative when the sun is behind the panel;
    2 orbit-normal dawn-dusk wing -> ``|sin beta|``; 3 single-axis drive about the orbit
    normal -> ``cos beta``). ``r_eci_m``, ``v_eci_m``: (N, 3) inertial position and velocity;
    ``sun_dir``: (3,) direction to the sun (normalised here; the parallax of the sun between
    satellites, below 5e-5 rad in LEO, is neglected). Eclipses are not applied here (see
    ``sunlit`` in :func:`solar_power_w`). NaN geometry gives NaN.
    """
    r = np.ascontiguousarray(r_eci_m, dtype=np.float64)
    v = np.ascontiguousarray(v_eci_m, dtype=np.float64)
    if r.ndim != 2 or r.shape[1] != 3:
        raise InputError(f"shape {r.shape}", field="r_eci_m", expected="(N, 3) metres")
    if v.shape != r.shape:
        raise InputError(f"shape {v.shape}", field="v_eci_m", expected=f"{r.shape} m/s")
    s = np.asarray(sun_dir, dtype=np.float64).reshape(-1)
    sn = float(np.linalg.norm(s)) if s.shape == (3,) else 0.0
    if not (sn > 0 and math.isfinite(sn)):
        raise InputError(
            f"invalid sun direction {sun_dir!r}", field="sun_dir", expected="(3,) non-zero"
        )
    s = s / sn
    m = np.atleast_1d(np.asarray(_mode_codes(mode)))
    if m.ndim != 1 or (m.shape[0] not in (1, r.shape[0])) or m.dtype.kind not in "iu":
        raise InputError(
            f"mode {mode!r}", field="mode", expected=f"a code or ({r.shape[0]},) codes"
        )
    m = m.astype(np.int64)
    if np.any((m < 0) | (m > SINGLE_AXIS)):
        raise InputError("unknown attitude mode code", field="mode", expected=str(ATTITUDE_MODES))
    if out is None:
        out = np.empty(r.shape[0])
    _incidence_kernel(m, r, v, s, out)
    return out


def solar_power_w(
    params: PowerParams,
    sunlit: np.ndarray,
    cos_incidence: np.ndarray,
    age_s: float | np.ndarray,
    sun_distance_m: float | np.ndarray = AU_M,
) -> np.ndarray:
    """Array output power (W), (N,): ``S (AU/r)^2 A eta pf max(cos, 0) sunlit (1 - d)^years``.

    SMAD 3rd ed. sec. 11.4.1 (``P_BOL = S eta I_d cos(theta)`` per m2, ``L_d = (1 - d)^years``);
    ``S`` = 1,361 W/m2 (Kopp and Lean 2011) at 1 AU, scaled by the inverse square of
    ``sun_distance_m``; ``years = age_s / 365.25 d``. ``sunlit``: fraction of the solar disk
    seen, in [0, 1]. Numpy, any broadcastable shapes.
    """
    flux = SOLAR_CONSTANT_W_M2 * (AU_M / np.asarray(sun_distance_m, dtype=np.float64)) ** 2
    years = np.asarray(age_s, dtype=np.float64) / JULIAN_YEAR_S
    return (
        flux
        * params.effective_area_m2
        * np.maximum(np.asarray(cos_incidence, dtype=np.float64), 0.0)
        * np.asarray(sunlit, dtype=np.float64)
        * np.exp(params.log_retention_per_year * years)
    )


# ---------------------------------------------------------------------------------------------
# The step
# ---------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _pow(x, z):  # pragma: no cover - compiled
    """``x ** z`` for x >= 0, with square-root fast paths for the usual fade exponents."""
    if z == 0.5:
        return math.sqrt(x)
    if z == 0.75:
        r = math.sqrt(x)
        return r * math.sqrt(r)
    if z == 1.0:
        return x
    return x**z


@twin_kernel()
def _power_step_kernel(  # pragma: no cover - compiled
    dt,
    flux,
    # params
    eff_area,
    log_ret,
    base_ess,
    heater,
    c_idle,
    c_max,
    shed_soc,
    cap_bol,
    dod,
    eta_c,
    eta_d,
    k_cal,
    z_cal,
    k_cyc,
    z_cyc,
    # inputs
    sunlit,
    cos_inc,
    util,
    # state (in place)
    stored,
    capacity,
    throughput,
    age,
    e_gen_acc,
    e_load_acc,
    e_curt_acc,
    e_short_acc,
    e_loss_acc,
    brown_steps,
    # outputs
    out_cmp_w,
    out_throttle,
    out_brown,
    out_soc,
    out_solar_w,
    out_load_w,
):
    n = stored.shape[0]
    year_s = 365.25 * 86400.0
    for i in prange(n):
        # generation over the step, array degradation at the age at the start of the step
        c = cos_inc[i]
        if c < 0.0:
            c = 0.0
        p_sun = flux * eff_area[i] * c * sunlit[i] * math.exp(log_ret[i] * (age[i] / year_s))
        e_gen = p_sun * dt
        st = stored[i]
        cap = capacity[i]
        ed = eta_d[i]
        e_floor = (1.0 - dod[i]) * cap
        # 1. essential loads: array first, then battery down to the floor
        e_ess = (base_ess[i] + heater[i]) * dt
        gen_to_ess = min(e_gen, e_ess)
        need = e_ess - gen_to_ess
        avail_cell = st - e_floor
        if avail_cell < 0.0:
            avail_cell = 0.0
        brown = False
        short = 0.0
        # a gap below 1e-9 of the demand is rounding (e.g. a battery sized to the joule)
        if need - avail_cell * ed > 1e-9 * need:
            brown = True
            draw1 = avail_cell
            short = need - avail_cell * ed
        else:
            draw1 = need / ed
            if draw1 > avail_cell:
                draw1 = avail_cell
        st1 = st - draw1
        delivered = e_ess - short
        gen_left = e_gen - gen_to_ess
        # 2. compute: what is left of the array, then battery down to the shedding level
        u = util[i]
        e_req = (c_idle[i] + u * (c_max[i] - c_idle[i])) * dt
        e_shed = shed_soc[i] * cap
        if e_shed < e_floor:
            e_shed = e_floor
        avail2 = st1 - e_shed
        if avail2 < 0.0 or brown:  # browned out: the battery is at its floor
            avail2 = 0.0
        e_cmp = min(e_req, gen_left + avail2 * ed)
        if e_cmp < 0.0:
            e_cmp = 0.0
        from_gen = min(e_cmp, gen_left)
        draw2 = (e_cmp - from_gen) / ed
        if draw2 > avail2:
            draw2 = avail2
        st2 = st1 - draw2
        gen_left -= from_gen
        delivered += e_cmp
        # discharge loss: energy out of the cells minus energy delivered from them
        loss = (draw1 + draw2) - (need - short) - (e_cmp - from_gen)
        # 3. charge with the surplus, curtail the rest
        acc = 0.0
        curt = 0.0
        if gen_left > 0.0:
            head = cap - st2
            if head < 0.0:
                head = 0.0
            acc = min(gen_left, head / eta_c[i])
            st2 = st2 + acc * eta_c[i]
            loss += acc - acc * eta_c[i]
            curt = gen_left - acc
        tp = throughput[i] + draw1 + draw2 + acc * eta_c[i]
        # fade: closed form in age and equivalent full cycles
        a_new = age[i] + dt
        cb = cap_bol[i]
        rel = 1.0
        if k_cal[i] > 0.0:
            rel -= k_cal[i] * _pow(a_new / 86400.0, z_cal[i])
        if k_cyc[i] > 0.0 and cb > 0.0:
            rel -= k_cyc[i] * _pow(tp / (2.0 * cb), z_cyc[i])
        if rel < 0.0:
            rel = 0.0
        cap_new = cb * rel
        if st2 > cap_new:
            loss += st2 - cap_new
            st2 = cap_new
        # write back
        stored[i] = st2
        capacity[i] = cap_new
        throughput[i] = tp
        age[i] = a_new
        e_gen_acc[i] += e_gen
        e_load_acc[i] += delivered
        e_curt_acc[i] += curt
        e_short_acc[i] += short
        e_loss_acc[i] += loss
        if brown:
            brown_steps[i] += 1
        out_cmp_w[i] = e_cmp / dt
        out_throttle[i] = e_cmp / e_req if e_req > 0.0 else 1.0
        out_brown[i] = brown
        out_soc[i] = st2 / cap_new if cap_new > 0.0 else 0.0
        out_solar_w[i] = p_sun
        out_load_w[i] = delivered / dt


@twin_kernel()
def _count_bad_inputs(sunlit, cos_inc, util):  # pragma: no cover - compiled
    bad = 0
    for i in prange(sunlit.shape[0]):
        s = sunlit[i]
        c = cos_inc[i]
        u = util[i]
        if not (
            s >= 0.0 and s <= 1.0 and c >= -1.0000001 and c <= 1.0000001 and u >= 0.0 and u <= 1.0
        ):
            bad += 1
    return bad


def _input(name: str, a: Any, n: int) -> np.ndarray:
    """``a`` as a contiguous (n,) float64 array. float32 inputs (a fleet's sunlit fraction) are
    widened here: the kernel widens every element anyway, so the results are the same bits,
    and a single dtype (and a read-only view) is a single compiled version of the kernels."""
    x = np.asarray(a)
    if x.ndim == 0:
        x = np.full(n, float(x))
    if x.shape != (n,):
        raise InputError(f"shape {x.shape}", field=name, expected=f"({n},)")
    return read_only(np.ascontiguousarray(x, dtype=np.float64))


def power_step(
    params: PowerParams,
    state: PowerState,
    dt_s: float,
    sunlit: np.ndarray,
    cos_incidence: np.ndarray,
    compute_utilisation: np.ndarray,
    *,
    heater_load_w: np.ndarray | None = None,
    sun_distance_m: float = AU_M,
    out: StepPower | None = None,
    validate: bool = True,
) -> StepPower:
    """Advance the power system of every satellite by ``dt_s`` seconds, in place.

    ``sunlit`` (N,): fraction of the solar disk seen, in [0, 1]; ``cos_incidence`` (N,): from
    :func:`incidence_cosine`; ``compute_utilisation`` (N,) in [0, 1]. Inputs are held constant
    over the step. ``heater_load_w`` (N,): replaces ``params.heater_load_w`` for this step (e.g.
    from a thermal model). ``sun_distance_m``: one value for all satellites. ``out``: buffers to
    write into (:meth:`StepPower.empty`), avoiding allocation in a loop. ``validate=False``
    skips the range check of the inputs (a pass over three arrays).

    Load priority, battery limits, brownout reporting, fade and the energy balance are those of
    the module docstring. Returns the :class:`StepPower` of this step. Bad input raises
    :class:`~spacecompute.errors.InputError` before the state is touched.
    """
    n = params.n
    if state.n != n:
        raise InputError(
            f"state has {state.n} satellites, params {n}", field="state", expected=f"{n}"
        )
    dt = float(dt_s)
    if not (dt > 0 and math.isfinite(dt)):
        raise InputError(f"invalid time step {dt_s!r}", field="dt_s", expected="finite, > 0 s")
    d = float(sun_distance_m)
    if not (d > 0 and math.isfinite(d)):
        raise InputError(
            f"invalid sun distance {sun_distance_m!r}", field="sun_distance_m", expected="> 0 m"
        )
    s = _input("sunlit", sunlit, n)
    c = _input("cos_incidence", cos_incidence, n)
    u = _input("compute_utilisation", compute_utilisation, n)
    if heater_load_w is None:
        heater = params.heater_load_w
    else:
        heater = np.ascontiguousarray(_input("heater_load_w", heater_load_w, n), dtype=np.float64)
        if not np.all(np.isfinite(heater) & (heater >= 0)):
            raise InputError(
                "invalid heater load", field="heater_load_w", expected=">= 0 W, finite"
            )
    if validate and n and _count_bad_inputs(s, c, u):
        for name, a, lo, hi in (
            ("sunlit", s, 0.0, 1.0),
            ("cos_incidence", c, -1.0000001, 1.0000001),
            ("compute_utilisation", u, 0.0, 1.0),
        ):
            bad = ~((a >= lo) & (a <= hi))
            if np.any(bad):
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"invalid value {a[i]!r} for satellite {i} (mask NaN, e.g. decayed, satellites)",
                    field=name,
                    expected=f"in [{lo:g}, {hi:g}]",
                )
    if out is None:
        out = StepPower.empty(n)
    elif any(getattr(out, f.name).shape != (n,) for f in fields(out)):
        raise InputError(
            "output buffers of the wrong shape", field="out", expected=f"({n},) arrays"
        )
    flux = SOLAR_CONSTANT_W_M2 * (AU_M / d) ** 2
    # read-only views: one compiled signature whatever the flags of the caller's arrays
    p = params
    _power_step_kernel(
        dt,
        flux,
        read_only(p.effective_area_m2),
        read_only(p.log_retention_per_year),
        read_only(p.base_essential_load_w),
        read_only(heater),
        read_only(p.compute_idle_w),
        read_only(p.compute_max_w),
        read_only(p.compute_shed_soc),
        read_only(p.battery_capacity_j),
        read_only(p.max_depth_of_discharge),
        read_only(p.charge_efficiency),
        read_only(p.discharge_efficiency),
        read_only(p.fade_calendar_coeff),
        read_only(p.fade_calendar_exponent),
        read_only(p.fade_cycle_coeff),
        read_only(p.fade_cycle_exponent),
        s,
        c,
        u,
        state.stored_energy_j,
        state.capacity_j,
        state.cycle_throughput_j,
        state.age_s,
        state.energy_generated_j,
        state.energy_to_loads_j,
        state.energy_curtailed_j,
        state.energy_shortfall_j,
        state.losses_j,
        state.brownout_steps,
        out.compute_power_w,
        out.throttle,
        out.brownout,
        out.state_of_charge,
        out.solar_power_w,
        out.load_power_w,
    )
    return out


# ---------------------------------------------------------------------------------------------
# Closed-form sizing (planning)
# ---------------------------------------------------------------------------------------------


def _positive(
    name: str, v: Any, *, allow_zero: bool = False, upper: float | None = None
) -> np.ndarray:
    a = np.asarray(v, dtype=np.float64)
    ok = np.isfinite(a) & ((a >= 0) if allow_zero else (a > 0))
    if upper is not None:
        ok &= a <= upper
    if not np.all(ok):
        rng = (">= 0" if allow_zero else "> 0") + (
            f" and <= {upper:g}" if upper is not None else ""
        )
        raise InputError(f"invalid value {v!r}", field=name, expected=rng)
    return a


def battery_for_eclipse_j(
    load_w: float | np.ndarray,
    eclipse_s: float | np.ndarray,
    dod: float | np.ndarray,
    discharge_eff: float | np.ndarray = 1.0,
) -> np.ndarray | float:
    """Battery capacity (J) that carries ``load_w`` through ``eclipse_s`` using ``dod`` of it.

    ``C = P_e T_e / (DoD eta_d)``: SMAD 3rd ed. sec. 11.4.2 (``C_r = P_e T_e / ((DOD) N n)``
    with ``N`` = 1 battery and ``n`` the battery-to-load efficiency). Broadcasts; returns a float
    for scalar inputs.
    """
    p = _positive("load_w", load_w, allow_zero=True)
    t = _positive("eclipse_s", eclipse_s, allow_zero=True)
    dd = _positive("dod", dod, upper=1.0)
    e = _positive("discharge_eff", discharge_eff, upper=1.0)
    c = p * t / (dd * e)
    return float(c) if c.ndim == 0 else c


def array_area_for_load_m2(
    load_w: float | np.ndarray,
    sunlit_fraction: float | np.ndarray,
    cell_efficiency: float | np.ndarray,
    packing_factor: float | np.ndarray = 1.0,
    *,
    eclipse_load_w: float | np.ndarray | None = None,
    x_eclipse: float | np.ndarray = 0.65,
    x_daylight: float | np.ndarray = 0.85,
    cos_incidence: float | np.ndarray = 1.0,
    degradation_per_year: float | np.ndarray = 0.0,
    life_years: float | np.ndarray = 0.0,
    solar_flux_w_m2: float | np.ndarray = SOLAR_CONSTANT_W_M2,
) -> np.ndarray | float:
    """Array area (m2) that balances an orbit's energy at end of life.

    SMAD 3rd ed. sec. 11.4.1, eq. 11-5: the array must supply
    ``P_sa = (P_e T_e / X_e + P_d T_d / X_d) / T_d`` with ``T_d / T = sunlit_fraction`` and
    path efficiencies ``X_e`` (array -> battery -> loads) and ``X_d`` (array -> loads); SMAD
    quotes ``X_e, X_d`` = 0.65, 0.85 for direct energy transfer and 0.60, 0.80 for peak-power
    tracking (the defaults here are the former). For :func:`power_step` use ``x_daylight=1`` and
    ``x_eclipse = charge_efficiency * discharge_efficiency``. Area
    ``A = P_sa / (S eta pf cos(theta) (1 - d)^life)``. ``load_w`` is the daylight load;
    ``eclipse_load_w`` defaults to it. Broadcasts; float for scalar inputs.
    """
    pd = _positive("load_w", load_w, allow_zero=True)
    pe = (
        pd
        if eclipse_load_w is None
        else _positive("eclipse_load_w", eclipse_load_w, allow_zero=True)
    )
    f = _positive("sunlit_fraction", sunlit_fraction, upper=1.0)
    eta = _positive("cell_efficiency", cell_efficiency, upper=1.0)
    pf = _positive("packing_factor", packing_factor, upper=1.0)
    xe = _positive("x_eclipse", x_eclipse, upper=1.0)
    xd = _positive("x_daylight", x_daylight, upper=1.0)
    ci = _positive("cos_incidence", cos_incidence, upper=1.0)
    deg = _positive("degradation_per_year", degradation_per_year, allow_zero=True)
    if np.any(deg >= 1):
        raise InputError(
            "degradation of 100 %/yr or more", field="degradation_per_year", expected="< 1"
        )
    life = _positive("life_years", life_years, allow_zero=True)
    s = _positive("solar_flux_w_m2", solar_flux_w_m2)
    p_sa = (pe * (1.0 - f) / xe + pd * f / xd) / f
    area = p_sa / (s * eta * pf * ci * (1.0 - deg) ** life)
    return float(area) if area.ndim == 0 else area
