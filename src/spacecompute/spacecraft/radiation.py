"""Radiation and faults: dose-rate map, device susceptibility, seeded fault injection, mitigations.

Everything is vectorized over satellites: one call handles the (N,) satellites of one time
step (numba kernels, parallel over satellites). Dose is in rad(Si) (1 rad = 0.01 Gy), the unit
of beam tests and radiation specifications; everything else is SI.

1. Environment: :func:`dose_rate_rad_s`
---------------------------------------
An analytic map of the ionizing dose rate behind an aluminium shield, the sum of three parts:

``D = D_gcr + D_p + D_e``  (rad(Si)/s)

*Geomagnetic coordinates.* Centred-dipole (geomagnetic) latitude ``Lm`` from the IGRF-14
degree-1 Gauss coefficients (IAGA Working Group V-MOD, "International Geomagnetic Reference
Field, 14th generation", coefficient file igrf14coeffs.txt, doi:10.5281/zenodo.14218973, 2024):
``g10 = -29350.0``, ``g11 = -1410.3``, ``h11 = 4545.5`` nT at 2025.0 with secular variation
12.6, 10.0, -21.5 nT/yr, which put the north geomagnetic pole at 80.8 N, 72.8 W in 2025.
Geodetic latitude is used as geocentric (at most 0.19 deg apart).

*Galactic cosmic rays* (``D_gcr``): the free-space GCR dose rate near solar minimum, about
0.3 mGy/day in silicon (C. Zeitlin et al., "Measurements of energetic particle radiation in
transit to Mars on the Mars Science Laboratory", Science 340 (2013) 1080-1084: 0.33 mGy/day in
the silicon detector, 0.48 mGy/day in tissue), times

- the Earth's shadow ``(1 + cos t) / 2`` with ``sin t = R_E / r`` (the solid angle the Earth
  hides), and
- a transmission through the geomagnetic field ``1 / (1 + Rc / 1.7 GV)`` of the vertical
  Stormer cutoff rigidity ``Rc = 14.5 GV cos^4(Lm) / (r / R_E)^2`` (D. F. Smart and M. A. Shea,
  "A review of geomagnetic cutoff rigidities for earth-orbiting spacecraft", Adv. Space Res. 36
  (2005) 2012-2020). The form is empirical: it gives the roughly order-of-magnitude drop of the
  GCR dose rate from the magnetic poles to the equator seen by LEO dosimeters (G. D. Badhwar,
  "The radiation environment in low-Earth orbit", Radiat. Res. 148 (1997) S3-S10): 8x at 650 km.
  Shielding of 1-50 mm Al hardly changes the GCR dose and is ignored.

*South Atlantic Anomaly, trapped protons* (``D_p``): a tilted Gaussian on the latitude-longitude
map, centred at 26 S, 50 W (2025) at 500 km, drifting west at 0.3 deg/yr (J. R. Heirtzler, "The
future of the South Atlantic anomaly and implications for radiation damage in space",
J. Atmos. Sol.-Terr. Phys. 64 (2002) 1701-1708; F. Fuerst, R. F. Wimmer-Schweingruber and
M.-B. Kallenrode, "Secular variation of the South Atlantic Anomaly", Ann. Geophys. 27 (2009);
the proton SAA maps of G. P. Ginet et al., "Energetic proton maps for the South Atlantic
Anomaly", IEEE NSREC Radiation Effects Data Workshop 2007). Widths (sigma) 23 deg along the
major axis, tilted 15 deg so that the blob dips south towards southern Africa, and 10 deg
across it at 500 km, growing by 10 % per 100 km of altitude (the SAA widens upwards into the
inner belt). Its peak rises with altitude as ``exp(u - u^2 / (2 u_max))``,
``u = (h - 500 km) / 150 km`` (constant above ``u_max``, i.e. 2,100 km): an e-fold per 150 km
near 500 km that flattens towards the inner-belt maximum, a by-eye fit to the growth of the
AP-8 MIN >10 MeV flux at the SAA centre (D. M. Sawyer and J. I. Vette, "AP-8 trapped proton
environment for solar maximum and solar minimum", NSSDC/WDC-A-R&S 76-06 (1976)): x2.0 from 400
to 500 km, x2.6 from 500 to 650 km, x17 from 500 to 1,000 km, x200 from 500 to 2,000 km.

*Polar horns, outer-belt electrons* (``D_e``): a Gaussian band in ``1/L``, the inverse of the
dipole L-shell ``L = (r / R_E) / cos^2(Lm)`` (``1/L`` is the squared cosine of the invariant
latitude), centred at L = 5 with sigma 0.065 in ``1/L`` (L = 3.8-7.4 at one sigma: the outer
belt, whose electrons reach LEO at geomagnetic latitudes of about 57-67 deg at 650 km, moving
equatorward with altitude, and vanish inside the slot, L < 2.5; J. I. Vette, "The AE-8 trapped electron model environment",
NSSDC/WDC-A-R&S 91-24 (1991); the MIR/REM measurements of P. Buehler et al., Radiat. Meas. 35
(2002) 489-497), rising with altitude as ``exp((h - 650 km) / 300 km)``.

*Shielding* (spherical aluminium shell of thickness ``t`` in mm; 1 mm Al = 0.27 g/cm2): dose-
depth laws with the shapes of SHIELDOSE-2 curves for LEO trapped spectra (S. M. Seltzer,
"Updated calculations for routine space-shielding radiation dose estimates: SHIELDOSE-2", NIST
IR 5477 (1994); ECSS-E-ST-10-04C (2008), figures of dose versus Al thickness for LEO):
protons ``(t / 10 mm)^-0.7``; electrons ``exp(-(t - 2 mm) / 1.1 mm) + 0.01 (2 mm / t)^0.5``
(an e-fold per ~1 mm Al for outer-belt spectra, then a ~1 % bremsstrahlung tail), so the horns
dominate behind 1-3 mm and give about 9 % behind 10 mm.

*Calibration.* The SAA amplitude is set so that a sun-synchronous orbit at 650 km (98 deg)
behind 10 mm Al averages 150 rad(Si)/year, the Suncatcher figure for its shielded TPUs
(Google, "Towards a future space-based, highly scalable AI infrastructure system design",
arXiv:2511.19468: about 750 rad(Si) over 5 years); the SAA then gives 88 % of that dose, GCR
2.5 % and the horns 9 %. The electron amplitude is set so that the same orbit behind 2 mm Al
gets about 3 krad(Si)/year, most of it from electrons (the order of magnitude of AE-8/AP-8
results for polar LEO behind thin shielding). Independent checks in the tests: ISS-like orbit
(400 km, 51.6 deg, ~20 g/cm2) 0.22 mGy/day against the 0.2-0.3 mGy/day measured inside the ISS;
memory upsets on an Alsat-1-like orbit against its 4.0e-7 upsets/bit/day.

*Numerics.* The kernels evaluate ``exp`` and ``sin`` by short polynomials (relative error below
1e-9, far below the model's own) so that the loop vectorizes: about 2 ms per 10^6 points.

*Limits* (read before using the numbers):

- An approximation of AP-8/AE-8-class maps, aimed at a factor of about 2 for orbit averages
  in LEO between 400 and 2,000 km (0-3,000 km accepted; below 300 km the numbers are tiny
  anyway), much worse locally (SAA edges, horns); not a substitute for AP-8/AP-9, AE-8/AE-9 or
  SPENVIS in design work. Not for MEO/GEO (the outer belt and the heart of the inner belt are not
  modelled): altitudes above 3,000 km raise :class:`~spacecompute.errors.InputError`.
- Solar-minimum conditions (AP-8 MIN, GCR near its maximum), the conservative case for LEO
  trapped protons; ``solar_factor`` scales trapped protons and GCR together (about 0.6 at solar
  maximum near 500 km, AP-8 MAX/MIN). No solar particle events (they can deliver a year's dose
  in days in polar orbits), no geomagnetic storms, no east-west or directional (anisotropy)
  effects, no secondary neutrons, no dependence on the time of day.
- The SAA is a single Gaussian (the real one is lopsided and has a weaker secondary lobe), its
  centre does not move with altitude, the horns are symmetric in longitude (the real southern
  horn is stronger near the SAA), and the dipole is centred (the eccentric dipole, which makes
  the SAA, is replaced by the blob).
- Shielding laws are fitted for 1-50 mm of aluminium (0.1-200 mm accepted); the GCR dose does
  not change with shielding here.

For single-event rates, :func:`proton_flux_cm2_s` converts the proton part (trapped + GCR) to
a 67-MeV-equivalent flux with 1 rad(Si) = 7.9e6 protons/cm2 (Suncatcher), the conversion
behind the per-rad susceptibilities below; :func:`flux_enhancement` is the factor by which the
belts raise the local dose rate above the cosmic-ray background.

2. Susceptibility: :func:`device_susceptibility`
------------------------------------------------
Events per rad(Si) per device and effect, loaded from ``data/radiation_susceptibility.yaml``
(each entry with its source, date and the values that are assumed). Effects, in the order of the
columns of :class:`FaultEvents` (``EFFECTS``): ``sdc`` (silent data corruption), ``detected``
(uncorrectable memory error, detected: work is redone), ``functional_interrupt`` (accelerator
hang: reboot), ``host_cpu`` and ``host_ram`` (host crash: reboot). Trillium v6e from Suncatcher:
1 SDC per 17 rad, 1 HBM uncorrectable per 44 rad, 1 TPU functional interrupt per 5 krad, 1 host
CPU event per 450 rad, 1 host RAM event per 400 rad.

3. Fault injection: :func:`inject_faults`
-----------------------------------------
Per satellite and step, the number of events of each effect is Poisson with mean
``dose_rad * events_per_rad * n_devices`` (``sdc`` and ``detected`` only while busy). Drawn as
one Poisson total with the summed mean, then split among effects by categorical draws, which
gives independent Poisson counts per effect (Poisson splitting). Small means (< 10) by inversion,
larger ones by W. Hoermann's PTRS ("The transformed rejection method for generating Poisson
random variables", Insurance: Mathematics and Economics 12 (1993) 39-45), as NumPy does.

*Random streams (same seed, same results, any chunking).* The uniforms are counter-based: the
``j``-th uniform of satellite ``i`` at step ``s`` is a hash of ``(seed, s, i, j)``:
``(key0, key1) = SeedSequence(seed).generate_state(2, uint64)``,
``k_s = mix(key0 ^ mix(s + key1))``, ``k_si = mix(k_s + (i + 1) * 0x9E3779B97F4A7C15)``,
``x_0 = k_si``, ``x_j = mix(k_si + j * 0xD1B54A32D192ED03)`` for ``j >= 1`` and
``u_j = ((x_j >> 11) + 0.5) 2^-53``, with ``mix`` the SplitMix64 finaliser (G. L. Steele,
D. Lea and C. H. Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014; J. K.
Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011, for the counter-based
idea). ``u_0`` decides whether a satellite has any event at all (``u_0 > P(0)``), so that a
first cheap pass settles the ~99.99 % of satellites with none. A satellite's faults
at a step therefore depend only on the seed, the step index, its global index
(``first_satellite + i``), its own dose and busy flag: not on how steps or satellites are split
into calls, nor on the thread count. A ``numpy.random.Generator`` may be passed instead of a
seed: its ``SeedSequence`` is used (``default_rng(7)`` and ``7`` give the same faults; the
generator's state is not consumed).

4. Mitigations: :func:`apply_mitigation`
----------------------------------------
Outcome per satellite and step: silent corruptions (wrong results delivered), detected errors
(work redone), reboots, downtime and work lost, and the compute overhead factor:

- ``none``: SDCs are silent; a detected error or a reboot loses the current work unit (half a
  unit on average, the fault striking uniformly within it).
- ``checkpoint`` (interval ``tau``, cost ``C`` per checkpoint, restart ``R``): overhead
  ``1 + C / tau``; a detected error or a reboot rolls back to the last checkpoint (``tau / 2``
  lost on average) and costs ``R`` of downtime. SDCs stay silent. The optimal interval is
  ``sqrt(2 C M)`` for mean time between failures ``M`` (J. W. Young, "A first order
  approximation to the optimum checkpoint interval", Commun. ACM 17 (1974) 530-531), refined by
  J. T. Daly, "A higher order estimate of the optimum checkpoint interval for restart dumps",
  Future Gener. Comput. Syst. 22 (2006) 303-312: :func:`optimal_checkpoint_interval_s`.
- ``dmr`` (dual modular redundancy, 2x compute): results are compared at the end of each work
  unit; any SDC becomes a detected mismatch and the whole unit is redone; detected errors are
  redone as without mitigation. Two identical corruptions in both copies are neglected.
- ``tmr`` (triple modular redundancy with majority vote, 3x compute; R. E. Lyons and
  W. Vanderkulk, "The use of triple-modular redundancy to improve computer reliability", IBM J.
  Res. Dev. 6 (1962) 200-209): one faulty copy (SDC or detected error) per voted work unit is
  outvoted; faults beyond one per unit of the step fail the vote and the unit is redone (the
  faults of a step are taken as spread over its ``dt / work_unit`` units, one per unit while
  they last: exact when steps see at most one fault, optimistic at very high rates).
  Reboots are not masked by any option (the whole node restarts) and lose half a work unit, or
  half a checkpoint interval with checkpointing.

The event rates are per device whatever the mitigation: DMR and TMR here run their copies on
the satellite's devices (the 2x and 3x are compute, not extra exposure). Redundancy over extra
chips is modelled by passing those chips in ``n_devices``. Losses are expected values (not
sampled), so the randomness is all in :func:`inject_faults`.
"""

from __future__ import annotations

import difflib
import functools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
from numba import njit, prange

from .._parallel import read_only, twin_kernel
from ..errors import InputError, Problem
from ..yamlio import load_yaml_text

__all__ = [
    "DEFAULT_SHIELDING_MM_AL",
    "EFFECTS",
    "OUTCOMES",
    "PROTONS_PER_CM2_PER_RAD",
    "FaultEvents",
    "MitigatedFaults",
    "Mitigation",
    "Susceptibility",
    "apply_mitigation",
    "device_susceptibilities",
    "device_susceptibility",
    "dose_rate_components_rad_s",
    "dose_rate_rad_s",
    "expected_faults",
    "flux_enhancement",
    "geomagnetic_latitude_deg",
    "geomagnetic_pole_deg",
    "inject_faults",
    "mtbf_s",
    "optimal_checkpoint_interval_s",
    "proton_flux_cm2_s",
]

# ---------------------------------------------------------------------------------------------
# Constants (sources in the module docstring)
# ---------------------------------------------------------------------------------------------

IGRF_REFERENCE_RADIUS_M = 6371200.0  # IGRF reference radius a = 6371.2 km
# IGRF-14 degree-1 coefficients (nT) at 2025.0 and their secular variation (nT/yr), 2025-2030
_IGRF14_EPOCH = 2025.0
_IGRF14_G10, _IGRF14_G11, _IGRF14_H11 = -29350.0, -1410.3, 4545.5
_IGRF14_SV_G10, _IGRF14_SV_G11, _IGRF14_SV_H11 = 12.6, 10.0, -21.5

#: 1 rad(Si) of 67 MeV protons is about 7.9e6 protons/cm2 (Suncatcher, arXiv:2511.19468).
PROTONS_PER_CM2_PER_RAD = 7.9e6
#: Aluminium-equivalent shielding in mm used when none is given (Suncatcher-like shielded bus).
DEFAULT_SHIELDING_MM_AL = 10.0

# Galactic cosmic rays
GCR_FREE_SPACE_RAD_S = 0.03 / 86400.0  # 0.3 mGy/day(Si) = 0.03 rad/day (Zeitlin et al. 2013)
STORMER_CUTOFF_GV = 14.5  # vertical cutoff at the magnetic equator, r = R_E (Smart & Shea 2005)
GCR_ROLLOVER_GV = 1.7

# South Atlantic Anomaly (trapped protons)
SAA_CENTER_LAT_DEG = -26.0
SAA_CENTER_LON_DEG_2025 = -50.0
SAA_DRIFT_LON_DEG_PER_YEAR = -0.3  # westward (Heirtzler 2002; Fuerst et al. 2009)
SAA_SIGMA_MAJOR_DEG = 23.0
SAA_SIGMA_MINOR_DEG = 10.0
SAA_TILT_DEG = -15.0  # major axis rotated clockwise: further east is further south
SAA_REFERENCE_ALT_M = 500.0e3
SAA_WIDTH_GROWTH_PER_M = 0.10 / 100.0e3
SAA_SCALE_HEIGHT_M = 150.0e3
SAA_ROLLOVER_ALT_M = 2100.0e3  # log-amplitude flattens (quadratic roll-over) up to here
#: Peak trapped-proton dose rate at the SAA centre, 500 km, behind 10 mm Al, solar minimum:
#: calibrated to 150 rad(Si)/yr for a 650 km SSO behind 10 mm Al (see module docstring).
SAA_PEAK_RAD_S = 5.08e-5

# Polar horns (outer-belt electrons), a Gaussian band in 1/L (dipole L-shell)
HORN_CENTER_INV_L = 0.2  # L = 5
HORN_SIGMA_INV_L = 0.065  # L = 3.8-7.4 at one sigma
HORN_REFERENCE_ALT_M = 650.0e3
HORN_SCALE_HEIGHT_M = 300.0e3
#: Peak electron dose rate in the horns at 650 km behind 2 mm Al (calibrated, module docstring).
HORN_PEAK_RAD_S = 4.9e-4

# Shielding laws
PROTON_REFERENCE_MM = 10.0
PROTON_SHIELD_EXPONENT = 0.7
ELECTRON_REFERENCE_MM = 2.0
ELECTRON_EFOLD_MM = 1.1
ELECTRON_BREMSSTRAHLUNG_FRACTION = 0.01
SHIELDING_RANGE_MM = (0.1, 200.0)
ALTITUDE_RANGE_M = (0.0, 3000.0e3)
_ALT_LO, _ALT_HI = ALTITUDE_RANGE_M

#: Effects, in the order of the columns of :attr:`FaultEvents.counts`.
EFFECTS: tuple[str, ...] = ("sdc", "detected", "functional_interrupt", "host_cpu", "host_ram")
#: What each effect does: silent corruption, detected error (redo) or reboot.
OUTCOMES: dict[str, str] = {
    "sdc": "silent",
    "detected": "detected",
    "functional_interrupt": "reboot",
    "host_cpu": "reboot",
    "host_ram": "reboot",
}
_NEEDS_BUSY = np.array([OUTCOMES[e] != "reboot" for e in EFFECTS])
# columns 2, 3, 4 (functional_interrupt, host_cpu, host_ram) are reboots: the kernels rely on it
_REBOOT_COLS = [k for k, e in enumerate(EFFECTS) if OUTCOMES[e] == "reboot"]

_D2R = math.pi / 180.0


# ---------------------------------------------------------------------------------------------
# Geomagnetic coordinates
# ---------------------------------------------------------------------------------------------


def _check_year(year: float) -> float:
    y = float(year)
    if not (2000.0 <= y <= 2035.0):
        raise InputError(f"{year!r}", field="year", expected="a year between 2000 and 2035")
    return y


def geomagnetic_pole_deg(year: float = 2025.0) -> tuple[float, float]:
    """North geomagnetic (centred-dipole) pole ``(lat_deg, lon_deg)`` from IGRF-14 degree 1.

    Linear secular variation from 2025.0 (IGRF-14 predictive SV, valid 2025-2030; accepted
    2000-2035, where the dipole direction stays within about 1 deg of this extrapolation).
    2025: 80.79 N, 72.76 W.
    """
    dy = _check_year(year) - _IGRF14_EPOCH
    g10 = _IGRF14_G10 + _IGRF14_SV_G10 * dy
    g11 = _IGRF14_G11 + _IGRF14_SV_G11 * dy
    h11 = _IGRF14_H11 + _IGRF14_SV_H11 * dy
    b0 = math.sqrt(g10 * g10 + g11 * g11 + h11 * h11)
    lat = 90.0 - math.degrees(math.acos(-g10 / b0))
    lon = math.degrees(math.atan2(-h11, -g11))
    return lat, lon


def geomagnetic_latitude_deg(
    lat_deg: np.ndarray, lon_deg: np.ndarray, year: float = 2025.0
) -> np.ndarray:
    """Centred-dipole geomagnetic latitude (deg) of geographic points (any broadcast shape)."""
    plat, plon = geomagnetic_pole_deg(year)
    phi = np.radians(np.asarray(lat_deg, dtype=np.float64))
    dl = np.radians(np.asarray(lon_deg, dtype=np.float64) - plon)
    s = np.sin(phi) * math.sin(math.radians(plat)) + np.cos(phi) * math.cos(
        math.radians(plat)
    ) * np.cos(dl)
    return np.degrees(np.arcsin(np.clip(s, -1.0, 1.0)))


# ---------------------------------------------------------------------------------------------
# Dose-rate map
# ---------------------------------------------------------------------------------------------

# Parameter vector of the dose kernel (indices)
_P_SIN_PLAT, _P_COS_PLAT, _P_PLON = 0, 1, 2
_P_SAA_LAT, _P_SAA_LON, _P_SOLAR = 3, 4, 5
_P_COUNT = 6


_SAA_COS_TILT = math.cos(math.radians(SAA_TILT_DEG))
_SAA_SIN_TILT = math.sin(math.radians(SAA_TILT_DEG))
_SAA_U_MAX = (SAA_ROLLOVER_ALT_M - SAA_REFERENCE_ALT_M) / SAA_SCALE_HEIGHT_M


@njit(cache=True, inline="always")
def _sin_poly(x):  # pragma: no cover - compiled
    """sin(x) for |x| <= pi/2: Taylor series to x^15 (error < 1e-11); vectorizes."""
    x2 = x * x
    p = -1.0 / 1307674368000.0
    p = 1.0 / 6227020800.0 + x2 * p
    p = -1.0 / 39916800.0 + x2 * p
    p = 1.0 / 362880.0 + x2 * p
    p = -1.0 / 5040.0 + x2 * p
    p = 1.0 / 120.0 + x2 * p
    p = -1.0 / 6.0 + x2 * p
    return x * (1.0 + x2 * p)


@njit(cache=True, inline="always")
def _exp_poly(x):  # pragma: no cover - compiled
    """exp(x) for x <= 10 as (e^(x/64))^64 with a degree-12 Taylor series (relative error
    < 1e-10); exactly 0 below -40 (e^-40 = 4e-18). Pure arithmetic, so the loops vectorize."""
    xc = min(max(x, -40.0), 10.0)
    y = xc * (1.0 / 64.0)
    p = 1.0 / 479001600.0
    p = 1.0 / 39916800.0 + y * p
    p = 1.0 / 3628800.0 + y * p
    p = 1.0 / 362880.0 + y * p
    p = 1.0 / 40320.0 + y * p
    p = 1.0 / 5040.0 + y * p
    p = 1.0 / 720.0 + y * p
    p = 1.0 / 120.0 + y * p
    p = 1.0 / 24.0 + y * p
    p = 1.0 / 6.0 + y * p
    p = 0.5 + y * p
    p = 1.0 + y * p
    p = 1.0 + y * p
    for _ in range(6):
        p = p * p
    return p if x > -40.0 else 0.0


@njit(cache=True, inline="always")
def _dose_parts(lat, lon, h, fp, fe, par):  # pragma: no cover - compiled
    """(gcr, trapped protons, trapped electrons) in rad(Si)/s at one point."""
    sphi = _sin_poly(lat * _D2R)
    cphi = math.sqrt(max(0.0, 1.0 - sphi * sphi))
    w = lon * _D2R - par[_P_PLON]
    w -= 2.0 * math.pi * math.floor((w + math.pi) * (0.5 / math.pi))
    sw = _sin_poly(0.5 * w)
    # sine of the geomagnetic latitude (cos of the longitude difference by the half angle)
    smlat = sphi * par[_P_SIN_PLAT] + cphi * par[_P_COS_PLAT] * (1.0 - 2.0 * sw * sw)
    c2 = max(0.0, 1.0 - smlat * smlat)  # cos^2(geomagnetic latitude)
    rr = (IGRF_REFERENCE_RADIUS_M + h) / IGRF_REFERENCE_RADIUS_M
    inv_rr2 = 1.0 / (rr * rr)
    # galactic cosmic rays: Earth's shadow x cutoff-rigidity transmission
    rc = STORMER_CUTOFF_GV * c2 * c2 * inv_rr2
    shadow = 0.5 * (1.0 + math.sqrt(max(0.0, 1.0 - inv_rr2)))
    gcr = GCR_FREE_SPACE_RAD_S * shadow * par[_P_SOLAR] / (1.0 + rc / GCR_ROLLOVER_GV)
    # SAA: tilted Gaussian on the lat-lon map, widening and rising with altitude
    dlat = lat - par[_P_SAA_LAT]
    dlon = lon - par[_P_SAA_LON]
    dlon -= 360.0 * math.floor((dlon + 180.0) * (1.0 / 360.0))
    grow = max(0.5, 1.0 + (h - SAA_REFERENCE_ALT_M) * SAA_WIDTH_GROWTH_PER_M)
    x = (_SAA_COS_TILT * dlon + _SAA_SIN_TILT * dlat) / (SAA_SIGMA_MAJOR_DEG * grow)
    y = (_SAA_COS_TILT * dlat - _SAA_SIN_TILT * dlon) / (SAA_SIGMA_MINOR_DEG * grow)
    u = min((h - SAA_REFERENCE_ALT_M) / SAA_SCALE_HEIGHT_M, _SAA_U_MAX)
    log_amp = u - u * u / (2.0 * _SAA_U_MAX)
    prot = SAA_PEAK_RAD_S * _exp_poly(log_amp - 0.5 * (x * x + y * y)) * fp * par[_P_SOLAR]
    # polar horns: outer-belt band in 1/L = cos^2(Lm) / (r / R_E)
    z = (c2 / rr - HORN_CENTER_INV_L) / HORN_SIGMA_INV_L
    elec = HORN_PEAK_RAD_S * _exp_poly(
        (h - HORN_REFERENCE_ALT_M) / HORN_SCALE_HEIGHT_M - 0.5 * z * z
    )
    return gcr, prot, elec * fe


_FASTMATH = {"contract", "arcp"}  # FMA and reciprocals; NaN and inf semantics kept


@twin_kernel(fastmath=_FASTMATH)
def _total_kernel(lat, lon, alt, fp, fe, par, out):  # pragma: no cover - compiled
    """Total dose rate, scalar shielding factors (the hot path: vectorizes). Invalid points
    get NaN; returns their number."""
    bad = 0
    for i in prange(lat.shape[0]):
        la = lat[i]
        lo = lon[i]
        h = alt[i]
        ok = (la >= -90.0) & (la <= 90.0) & (h >= _ALT_LO) & (h <= _ALT_HI) & (abs(lo) < np.inf)
        g, p, e = _dose_parts(la if ok else 0.0, lo if ok else 0.0, h if ok else 0.0, fp, fe, par)
        out[i] = g + p + e + (0.0 if ok else np.nan)
        bad += 0 if ok else 1
    return bad


@twin_kernel(fastmath=_FASTMATH)
def _total_kernel_per_point(lat, lon, alt, fp, fe, par, out):  # pragma: no cover - compiled
    """Total dose rate with per-point shielding factors fp, fe (N,)."""
    bad = 0
    for i in prange(lat.shape[0]):
        la = lat[i]
        lo = lon[i]
        h = alt[i]
        ok = (la >= -90.0) & (la <= 90.0) & (h >= _ALT_LO) & (h <= _ALT_HI) & (abs(lo) < np.inf)
        g, p, e = _dose_parts(
            la if ok else 0.0, lo if ok else 0.0, h if ok else 0.0, fp[i], fe[i], par
        )
        out[i] = g + p + e + (0.0 if ok else np.nan)
        bad += 0 if ok else 1
    return bad


@twin_kernel(fastmath=_FASTMATH)
def _parts_kernel(lat, lon, alt, fp, fe, par, out):  # pragma: no cover - compiled
    """The three parts into out[0..2], per-point shielding factors fp, fe (N,)."""
    bad = 0
    for i in prange(lat.shape[0]):
        la = lat[i]
        lo = lon[i]
        h = alt[i]
        ok = (la >= -90.0) & (la <= 90.0) & (h >= _ALT_LO) & (h <= _ALT_HI) & (abs(lo) < np.inf)
        g, p, e = _dose_parts(
            la if ok else 0.0, lo if ok else 0.0, h if ok else 0.0, fp[i], fe[i], par
        )
        nan = 0.0 if ok else np.nan
        out[0, i] = g + nan
        out[1, i] = p + nan
        out[2, i] = e + nan
        bad += 0 if ok else 1
    return bad


def _shield_factors(shielding_mm_al: Any) -> tuple[np.ndarray, np.ndarray]:
    if (isinstance(shielding_mm_al, float | int) and not isinstance(shielding_mm_al, bool)) or (
        isinstance(shielding_mm_al, np.ndarray)
        and shielding_mm_al.ndim == 0
        and shielding_mm_al.dtype == np.float64
    ):
        fp, fe = _scalar_shield_factors(float(shielding_mm_al))  # every step: cached
        return fp.copy(), fe.copy()
    return _array_shield_factors(shielding_mm_al)


@functools.lru_cache(maxsize=64)
def _scalar_shield_factors(shielding_mm_al: float) -> tuple[np.ndarray, np.ndarray]:
    return _array_shield_factors(shielding_mm_al)


def _array_shield_factors(shielding_mm_al: Any) -> tuple[np.ndarray, np.ndarray]:
    t = np.atleast_1d(np.asarray(shielding_mm_al, dtype=np.float64)).ravel()
    lo, hi = SHIELDING_RANGE_MM
    if t.size == 0 or not np.all(np.isfinite(t)) or t.min() < lo or t.max() > hi:
        raise InputError(
            "shielding out of range",
            field="shielding_mm_al",
            expected=f"finite aluminium-equivalent thickness in mm within [{lo}, {hi}]",
        )
    fp = (t / PROTON_REFERENCE_MM) ** (-PROTON_SHIELD_EXPONENT)
    fe = np.exp(-(t - ELECTRON_REFERENCE_MM) / ELECTRON_EFOLD_MM) + (
        ELECTRON_BREMSSTRAHLUNG_FRACTION * np.sqrt(ELECTRON_REFERENCE_MM / t)
    )
    return fp, fe


def _params(year: float, solar_factor: float) -> np.ndarray:
    """The kernels' parameter vector, cached (a fleet asks for it every step; the kernels only
    read it, and it stays writable so that they keep their compiled signature)."""
    return _cached_params(_check_year(year), float(solar_factor))


@functools.lru_cache(maxsize=64)
def _cached_params(year: float, solar_factor: float) -> np.ndarray:
    y = _check_year(year)
    sf = float(solar_factor)
    if not (0.0 <= sf <= 2.0):
        raise InputError(
            f"{solar_factor!r}", field="solar_factor", expected="a factor within [0, 2]"
        )
    plat, plon = geomagnetic_pole_deg(y)
    par = np.empty(_P_COUNT)
    par[_P_SIN_PLAT] = math.sin(math.radians(plat))
    par[_P_COS_PLAT] = math.cos(math.radians(plat))
    par[_P_PLON] = math.radians(plon)
    par[_P_SAA_LAT] = SAA_CENTER_LAT_DEG
    par[_P_SAA_LON] = SAA_CENTER_LON_DEG_2025 + SAA_DRIFT_LON_DEG_PER_YEAR * (y - _IGRF14_EPOCH)
    par[_P_SOLAR] = sf
    return par


def _evaluate(
    lat_deg: Any,
    lon_deg: Any,
    alt_m: Any,
    shielding_mm_al: Any,
    year: float,
    solar_factor: float,
    parts: bool,
) -> np.ndarray:
    """Total (parts=False, shape of the inputs) or the three parts (3, *shape)."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    alt = np.asarray(alt_m, dtype=np.float64)
    sh = np.asarray(shielding_mm_al, dtype=np.float64)
    if lat.ndim == 1 and lat.shape == lon.shape == alt.shape and sh.ndim == 0:
        # one step of a fleet (every step of a run): nothing to broadcast
        shape = lat.shape
        flat = [np.ascontiguousarray(a) for a in (lat, lon, alt)]
    else:
        try:
            shape = np.broadcast_shapes(lat.shape, lon.shape, alt.shape, sh.shape)
        except ValueError:
            raise InputError(
                f"shapes {lat.shape}, {lon.shape}, {alt.shape}, {sh.shape} do not broadcast",
                field="lat_deg, lon_deg, alt_m, shielding_mm_al",
                expected="arrays of the same shape (or scalars)",
            ) from None
        flat = [
            np.ascontiguousarray(np.broadcast_to(a, shape)).reshape(-1) for a in (lat, lon, alt)
        ]
    # read-only views: one compiled signature whether the caller's arrays are writeable or not
    # (a broadcast is not)
    flat = [read_only(a) for a in flat]
    fp, fe = _shield_factors(sh)
    par = _params(year, solar_factor)
    n = flat[0].size
    if not parts and fp.size == 1:
        out = np.empty(n)
        bad = _total_kernel(flat[0], flat[1], flat[2], float(fp[0]), float(fe[0]), par, out)
    else:
        fpn = read_only(np.ascontiguousarray(np.broadcast_to(fp.reshape(sh.shape), shape)))
        fen = read_only(np.ascontiguousarray(np.broadcast_to(fe.reshape(sh.shape), shape)))
        fpn, fen = fpn.reshape(-1), fen.reshape(-1)
        if parts:
            out = np.empty((3, n))
            bad = _parts_kernel(flat[0], flat[1], flat[2], fpn, fen, par, out)
        else:
            out = np.empty(n)
            bad = _total_kernel_per_point(flat[0], flat[1], flat[2], fpn, fen, par, out)
    if bad:
        raise InputError(
            f"{bad} of {n} positions are invalid or outside the model",
            field="lat_deg, lon_deg, alt_m",
            expected="finite latitude within [-90, 90] deg and altitude within [0, 3,000] km "
            "(LEO; MEO/GEO are not modelled)",
        )
    return out.reshape((3, *shape) if parts else shape)


def dose_rate_rad_s(
    lat_deg: Any,
    lon_deg: Any,
    alt_m: Any,
    shielding_mm_al: Any = DEFAULT_SHIELDING_MM_AL,
    *,
    year: float = 2025.0,
    solar_factor: float = 1.0,
) -> np.ndarray:
    """Ionizing dose rate in rad(Si)/s behind ``shielding_mm_al`` of aluminium.

    ``lat_deg``, ``lon_deg`` (geodetic, deg) and ``alt_m`` (m) are arrays of one shape, e.g.
    (N,) for one step or (T, N) (scalars broadcast); ``shielding_mm_al`` is a scalar or an array
    of that shape. ``year`` moves the dipole (IGRF-14) and the SAA (0.3 deg/yr westward);
    ``solar_factor`` scales trapped protons and GCR (1 = solar minimum). The model, its sources
    and its limits (LEO only) are in the module docstring. Bad input raises
    :class:`~spacecompute.errors.InputError`.
    """
    return _evaluate(lat_deg, lon_deg, alt_m, shielding_mm_al, year, solar_factor, False)


def dose_rate_components_rad_s(
    lat_deg: Any,
    lon_deg: Any,
    alt_m: Any,
    shielding_mm_al: Any = DEFAULT_SHIELDING_MM_AL,
    *,
    year: float = 2025.0,
    solar_factor: float = 1.0,
) -> dict[str, np.ndarray]:
    """The parts of :func:`dose_rate_rad_s`: ``{"gcr", "trapped_protons", "trapped_electrons"}``
    (rad(Si)/s each, same shape as the inputs); they add up to the total."""
    out = _evaluate(lat_deg, lon_deg, alt_m, shielding_mm_al, year, solar_factor, True)
    return {"gcr": out[0], "trapped_protons": out[1], "trapped_electrons": out[2]}


def proton_flux_cm2_s(
    lat_deg: Any,
    lon_deg: Any,
    alt_m: Any,
    shielding_mm_al: Any = DEFAULT_SHIELDING_MM_AL,
    *,
    year: float = 2025.0,
    solar_factor: float = 1.0,
) -> np.ndarray:
    """Penetrating proton flux (protons/cm2/s), 67-MeV equivalent, behind the shield.

    The proton part of the dose (trapped protons + GCR, electrons excluded) times
    ``PROTONS_PER_CM2_PER_RAD`` (7.9e6 protons/cm2 per rad(Si), Suncatcher). Multiply by a
    high-energy proton upset cross-section (cm2/bit) for a single-event upset rate per bit.
    """
    parts = _evaluate(lat_deg, lon_deg, alt_m, shielding_mm_al, year, solar_factor, True)
    return (parts[0] + parts[1]) * PROTONS_PER_CM2_PER_RAD


def flux_enhancement(
    lat_deg: Any,
    lon_deg: Any,
    alt_m: Any,
    shielding_mm_al: Any = DEFAULT_SHIELDING_MM_AL,
    *,
    year: float = 2025.0,
) -> np.ndarray:
    """Factor (>= 1) by which trapped particles raise the dose rate above the local cosmic-ray
    background: ``(D_gcr + D_p + D_e) / D_gcr``. About 1 at low latitudes outside the SAA,
    hundreds at the SAA centre; use it to scale a rate measured outside the belts."""
    parts = _evaluate(lat_deg, lon_deg, alt_m, shielding_mm_al, year, 1.0, True)
    return parts.sum(axis=0) / parts[0]


# ---------------------------------------------------------------------------------------------
# Susceptibility catalog
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Susceptibility:
    """Events per rad(Si) of one device, per effect (in ``EFFECTS`` order), with provenance.

    ``events_per_rad`` is a read-only (5,) array; ``reboot_downtime_s`` the time a reboot takes
    the device out; ``tid_limit_rad`` the total dose without hard failure (a tested lower bound
    where the source says so) and ``tid_onset_rad`` the first degradation (NaN if unknown).
    """

    name: str
    events_per_rad: np.ndarray
    reboot_downtime_s: float
    tid_limit_rad: float
    tid_onset_rad: float = math.nan
    description: str = ""
    source: str = ""
    date: str = ""
    assumed: tuple[str, ...] = ()
    notes: str = ""
    aliases: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        rates = np.array(self.events_per_rad, dtype=np.float64).reshape(-1)
        if rates.shape != (len(EFFECTS),) or not np.all(np.isfinite(rates)) or rates.min() < 0:
            raise InputError(
                f"{self.events_per_rad!r}",
                field="events_per_rad",
                expected=f"{len(EFFECTS)} finite non-negative rates, one per {EFFECTS}",
            )
        rates.setflags(write=False)
        object.__setattr__(self, "events_per_rad", rates)
        if not (math.isfinite(self.reboot_downtime_s) and self.reboot_downtime_s >= 0):
            raise InputError(
                f"{self.reboot_downtime_s!r}",
                field="reboot_downtime_s",
                expected="seconds >= 0",
            )

    def rate(self, effect: str) -> float:
        """Events per rad(Si) of one effect (``"sdc"``, ``"detected"``, ...)."""
        if effect not in EFFECTS:
            raise InputError(f"{effect!r}", field="effect", expected=f"one of {EFFECTS}")
        return float(self.events_per_rad[EFFECTS.index(effect)])

    def events_per_year(self, dose_rad_per_year: float) -> dict[str, float]:
        """Expected events per year of each effect at a yearly dose (busy all the time)."""
        return {
            e: float(r) * float(dose_rad_per_year)
            for e, r in zip(EFFECTS, self.events_per_rad, strict=True)
        }


_CATALOG_FILE = "radiation_susceptibility.yaml"
_RATE_KEYS = ("rad_per_event", "events_per_rad", "cross_section_cm2")
_DEVICE_KEYS = {
    "name",
    "aliases",
    "description",
    "effects",
    "reboot_downtime_s",
    "tid_limit_rad",
    "tid_onset_rad",
    "source",
    "date",
    "assumed",
    "notes",
}


def _number(value: Any, where: str, file: str) -> float:
    if isinstance(value, str):  # PyYAML (YAML 1.1) reads 1e-10 as text
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{value!r}", file=file, field=where, expected="a finite number")
    return float(value)


def _parse_device(entry: Any, where: str, file: str) -> Susceptibility:
    if not isinstance(entry, dict):
        raise InputError("not a mapping", file=file, field=where)
    unknown = set(entry) - _DEVICE_KEYS
    if unknown:
        key = sorted(map(str, unknown))[0]
        close = difflib.get_close_matches(key, sorted(_DEVICE_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"unknown field{hint}", file=file, field=f"{where}.{key}")
    for key in ("name", "effects", "reboot_downtime_s", "tid_limit_rad", "source", "date"):
        if entry.get(key) in (None, ""):
            raise InputError("missing", file=file, field=f"{where}.{key}")
    effects = entry["effects"]
    if not isinstance(effects, dict):
        raise InputError("not a mapping", file=file, field=f"{where}.effects")
    rates = np.zeros(len(EFFECTS))
    for eff, spec in effects.items():
        f = f"{where}.effects.{eff}"
        if eff not in EFFECTS:
            raise InputError("unknown effect", file=file, field=f, expected=str(EFFECTS))
        if not isinstance(spec, dict) or len(spec) != 1 or next(iter(spec)) not in _RATE_KEYS:
            raise InputError("bad rate", file=file, field=f, expected=f"one of {_RATE_KEYS}")
        key, raw = next(iter(spec.items()))
        v = _number(raw, f"{f}.{key}", file)
        if v < 0 or (key == "rad_per_event" and v == 0):
            raise InputError(f"{v!r}", file=file, field=f"{f}.{key}", expected="a positive number")
        if key == "rad_per_event":
            rates[EFFECTS.index(eff)] = 1.0 / v
        elif key == "events_per_rad":
            rates[EFFECTS.index(eff)] = v
        else:
            rates[EFFECTS.index(eff)] = v * PROTONS_PER_CM2_PER_RAD
    onset = entry.get("tid_onset_rad")
    assumed = entry.get("assumed") or []
    aliases = entry.get("aliases") or []
    if not isinstance(assumed, list) or not isinstance(aliases, list):
        raise InputError("not a list", file=file, field=f"{where}.assumed/aliases")
    return Susceptibility(
        name=str(entry["name"]),
        events_per_rad=rates,
        reboot_downtime_s=_number(entry["reboot_downtime_s"], f"{where}.reboot_downtime_s", file),
        tid_limit_rad=_number(entry["tid_limit_rad"], f"{where}.tid_limit_rad", file),
        tid_onset_rad=math.nan if onset is None else _number(onset, f"{where}.tid_onset_rad", file),
        description=str(entry.get("description") or "").strip(),
        source=str(entry["source"]).strip(),
        date=str(entry["date"]),
        assumed=tuple(str(a) for a in assumed),
        notes=str(entry.get("notes") or "").strip(),
        aliases=tuple(str(a) for a in aliases),
    )


@lru_cache(maxsize=1)
def _catalog() -> tuple[dict[str, Susceptibility], dict[str, str]]:
    file = f"spacecompute/data/{_CATALOG_FILE}"
    path = resources.files("spacecompute") / "data" / _CATALOG_FILE
    try:
        doc = load_yaml_text(path.read_text(encoding="utf-8"), file=file, packaged=True).data
    except InputError as exc:
        raise InputError(f"not valid YAML: {exc}", file=file) from None
    entries = doc.get("devices") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise InputError("no 'devices' list", file=file, expected="devices: [ ... ]")
    devices: dict[str, Susceptibility] = {}
    names: dict[str, str] = {}
    problems: list[Problem] = []
    for i, entry in enumerate(entries):
        try:
            dev = _parse_device(entry, f"devices[{i}]", file)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        for key in (dev.name, *dev.aliases):
            k = key.strip().casefold()
            if k in names:
                problems.append(
                    Problem(f"duplicate name {key!r}", file=file, field=f"devices[{i}]")
                )
            names[k] = dev.name
        devices[dev.name] = dev
    if problems:
        raise InputError(problems=problems)
    return devices, names


def device_susceptibilities() -> MappingProxyType[str, Susceptibility]:
    """All devices of ``data/radiation_susceptibility.yaml`` by name (read-only mapping)."""
    return MappingProxyType(_catalog()[0])


def device_susceptibility(name: str) -> Susceptibility:
    """The device called ``name`` or one of its aliases (case-insensitive), e.g.
    ``"trillium-v6e"``, ``"cots-embedded-gpu"`` (alias ``"jetson-tx2"``) or ``"rad750"``."""
    devices, names = _catalog()
    key = str(name).strip().casefold()
    if key in names:
        return devices[names[key]]
    close = difflib.get_close_matches(key, list(names), n=3, cutoff=0.4)
    raise InputError(
        f"unknown radiation device {name!r}",
        field="device",
        expected=f"one of {sorted(devices)} (closest: {', '.join(close) or 'none'})",
    )


def __getattr__(name: str) -> Any:
    # DEVICE_SUSCEPTIBILITY is loaded from the package data on first use.
    if name == "DEVICE_SUSCEPTIBILITY":
        return device_susceptibilities()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# Counter-based random numbers and Poisson sampling
# ---------------------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_GOLDEN_SAT = 0x9E3779B97F4A7C15
_GOLDEN_DRAW = 0xD1B54A32D192ED03


def _mix64_py(z: int) -> int:
    """SplitMix64 finaliser on Python ints (same as the compiled one)."""
    z &= _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


@njit(cache=True, inline="always")
def _mix64(z):  # pragma: no cover - compiled
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@njit(cache=True, inline="always")
def _to_unit(x):  # pragma: no cover - compiled
    """uint64 -> float in (0, 1) from its top 53 bits."""
    return (float(x >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def _uniform(key, j):  # pragma: no cover - compiled
    """The j-th uniform (j >= 1) of the stream ``key``; draw 0 is ``_to_unit(key)``."""
    return _to_unit(_mix64(key + np.uint64(j) * np.uint64(_GOLDEN_DRAW)))


@njit(cache=True, inline="always")
def _sat_key(step_key, sat):  # pragma: no cover - compiled
    """Stream key of the satellite with global index ``sat`` (uint64) at a step."""
    return _mix64(step_key + (sat + np.uint64(1)) * np.uint64(_GOLDEN_SAT))


@njit(cache=True)
def _poisson_rest(lam, key, u0, p0):  # pragma: no cover - compiled
    """Poisson(lam) given draw 0 ``u0`` and ``p0`` = P(0) as used to screen it: returns
    (k, next draw index). Inversion for lam < 10, else PTRS from draw 1."""
    if lam < 10.0:
        p = p0
        cdf = p0
        k = 0
        while u0 > cdf and k < 1000:
            k += 1
            p *= lam / k
            cdf += p
        return k, 1
    # PTRS, Hoermann (1993), as in NumPy's random_poisson_ptrs
    j = 1
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:
        u = _uniform(key, j) - 0.5
        v = _uniform(key, j + 1)
        j += 2
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k), j
        if k < 0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return int(k), j


@twin_kernel()
def _inject_kernel(
    step_key, first_sat, dose, ndev, per_sat, mscal, busy, rates, needs_busy, out, flag
):  # pragma: no cover - compiled
    """Fault counts into out (N, E), zeroed by the caller; returns the number of invalid doses
    or device counts. Pass 1 draws each satellite's first uniform and keeps those that may have
    an event (or have bad input); pass 2 samples those in full.
    """
    n = dose.shape[0]
    ne = rates.shape[0]
    tot_busy = 0.0
    tot_idle = 0.0
    for e in range(ne):
        tot_busy += rates[e]
        if not needs_busy[e]:
            tot_idle += rates[e]
    for i in prange(n):
        d = dose[i]
        m = mscal * (ndev[i] if per_sat else 1.0)
        valid = (d >= 0.0) & (d < np.inf) & (m >= 0.0) & (m < np.inf)
        lam = d * m * (tot_busy if busy[i] else tot_idle)
        u0 = _to_unit(_sat_key(step_key, first_sat + np.uint64(i)))
        # K >= 1 needs u0 > exp(-lam) >= 1 - lam: screen with 1 - u0 < lam (with slack)
        flag[i] = (not valid) | ((1.0 - u0) < 1.000001 * lam)
    bad = 0
    for i in prange(n):
        if not flag[i]:
            continue
        d = dose[i]
        m = mscal * (ndev[i] if per_sat else 1.0)
        if not ((d >= 0.0) & (d < np.inf) & (m >= 0.0) & (m < np.inf)):
            bad += 1
            continue
        b = busy[i]
        tot = tot_busy if b else tot_idle
        lam = d * m * tot
        key = _sat_key(step_key, first_sat + np.uint64(i))
        k, j = _poisson_rest(lam, key, _to_unit(key), math.exp(-lam))
        for _ in range(k):
            u = _uniform(key, j) * tot
            j += 1
            acc = 0.0
            chosen = -1
            for e in range(ne):
                if b or not needs_busy[e]:
                    if rates[e] > 0.0:
                        chosen = e
                        acc += rates[e]
                        if u < acc:
                            break
            out[i, chosen] += 1
    return bad


def _seed_key(seed: Any) -> tuple[int, int]:
    """128-bit key of a seed: ``SeedSequence(seed).generate_state(2, uint64)``."""
    if isinstance(seed, np.random.Generator):
        ss = seed.bit_generator.seed_seq
        if not isinstance(ss, np.random.SeedSequence):
            raise InputError(
                "this Generator has no SeedSequence",
                field="seed",
                expected="an int seed or a Generator made by numpy.random.default_rng(seed)",
            )
    elif isinstance(seed, np.random.SeedSequence):
        ss = seed
    elif isinstance(seed, int | np.integer) and not isinstance(seed, bool) and int(seed) >= 0:
        return _int_seed_key(int(seed))
    else:
        raise InputError(
            f"{seed!r}",
            field="seed",
            expected="a non-negative int, a SeedSequence or a numpy Generator",
        )
    k0, k1 = (int(x) for x in ss.generate_state(2, np.uint64))
    return k0, k1


@functools.lru_cache(maxsize=256)
def _int_seed_key(seed: int) -> tuple[int, int]:
    """:func:`_seed_key` of an int (asked for every step of a run: cached)."""
    k0, k1 = (int(x) for x in np.random.SeedSequence(seed).generate_state(2, np.uint64))
    return k0, k1


def _step_key(seed: Any, step_index: Any) -> np.uint64:
    if not isinstance(step_index, int | np.integer) or isinstance(step_index, bool):
        raise InputError(f"{step_index!r}", field="step_index", expected="an int >= 0")
    s = int(step_index)
    if s < 0:
        raise InputError(f"{s}", field="step_index", expected="an int >= 0")
    k0, k1 = _seed_key(seed)
    return np.uint64(_mix64_py(k0 ^ _mix64_py(s + k1)))


# ---------------------------------------------------------------------------------------------
# Fault injection
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultEvents:
    """Fault counts of one step: ``counts`` (N, 5) int32, columns in ``EFFECTS`` order.

    ``reboot_downtime_s`` is the device's downtime per reboot (from its susceptibility).
    """

    counts: np.ndarray
    step_index: int
    reboot_downtime_s: float

    def __len__(self) -> int:
        return int(self.counts.shape[0])

    def count(self, effect: str) -> np.ndarray:
        """(N,) counts of one effect."""
        if effect not in EFFECTS:
            raise InputError(f"{effect!r}", field="effect", expected=f"one of {EFFECTS}")
        return self.counts[:, EFFECTS.index(effect)]

    @property
    def sdc(self) -> np.ndarray:
        """(N,) silent data corruptions."""
        return self.counts[:, 0]

    @property
    def detected(self) -> np.ndarray:
        """(N,) detected uncorrectable errors."""
        return self.counts[:, 1]

    @property
    def reboots(self) -> np.ndarray:
        """(N,) events needing a reboot (functional interrupts, host CPU and host RAM)."""
        c = self.counts
        return (c[:, 2] + c[:, 3] + c[:, 4]).astype(np.int32, copy=False)


def _as_1d(value: Any, n: int, name: str, dtype: Any) -> np.ndarray:
    a = np.asarray(value, dtype=dtype)
    if a.ndim == 0:
        return a.reshape(1)
    if a.shape != (n,):
        raise InputError(f"shape {a.shape}", field=name, expected=f"a scalar or shape ({n},)")
    return np.ascontiguousarray(a)


def _fault_inputs(
    dose_rad: Any, susceptibility: Susceptibility, busy: Any, n_devices: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(susceptibility, Susceptibility):
        raise InputError(
            f"{type(susceptibility).__name__}",
            field="susceptibility",
            expected="a Susceptibility (device_susceptibility(name))",
        )
    dose = np.ascontiguousarray(np.asarray(dose_rad, dtype=np.float64))
    if dose.ndim != 1:
        raise InputError(f"shape {dose.shape}", field="dose_rad", expected="shape (N,)")
    n = dose.shape[0]
    b = _as_1d(True if busy is None else busy, n, "busy", np.bool_)
    nd = _as_1d(n_devices, n, "n_devices", np.float64)
    return dose, b, nd


def _bad_dose() -> InputError:
    return InputError(
        "negative or non-finite dose or device count",
        field="dose_rad, n_devices",
        expected="finite values >= 0",
    )


def expected_faults(
    dose_rad: Any,
    susceptibility: Susceptibility,
    busy: Any = None,
    *,
    n_devices: Any = 1,
) -> np.ndarray:
    """(N, 5) Poisson means of :func:`inject_faults` (``sdc`` and ``detected`` only if busy)."""
    dose, b, nd = _fault_inputs(dose_rad, susceptibility, busy, n_devices)
    if dose.size and not (
        np.isfinite(dose).all() and dose.min() >= 0 and np.isfinite(nd).all() and nd.min() >= 0
    ):
        raise _bad_dose()
    rates = susceptibility.events_per_rad[None, :] * np.where(
        _NEEDS_BUSY[None, :] & ~np.broadcast_to(b, dose.shape)[:, None], 0.0, 1.0
    )
    return (dose * np.broadcast_to(nd, dose.shape))[:, None] * rates


def inject_faults(
    seed: Any,
    step_index: int,
    dose_rad: Any,
    susceptibility: Susceptibility,
    busy: Any = None,
    *,
    n_devices: Any = 1,
    first_satellite: int = 0,
) -> FaultEvents:
    """Seeded Poisson fault injection for one step.

    ``dose_rad`` (N,) is each satellite's dose in this step (rad(Si), e.g.
    ``dose_rate_rad_s(...) * dt``); ``busy`` (N,) bool (or a scalar; None = all busy) says who
    computes: ``sdc`` and ``detected`` need a computation to corrupt, reboots do not;
    ``n_devices`` (scalar or (N,)) multiplies the means (devices per satellite). Counts are
    Poisson with mean ``dose * events_per_rad * n_devices``. ``seed`` is an int, a
    ``SeedSequence`` or a ``Generator`` from ``default_rng(seed)``; results depend only on
    (seed, ``step_index``, ``first_satellite + i``) and the satellite's own inputs, so any
    split of the steps or of the satellites into calls gives the same faults (module docstring).
    """
    dose, b, nd = _fault_inputs(dose_rad, susceptibility, busy, n_devices)
    key = _step_key(seed, step_index)
    if not isinstance(first_satellite, int | np.integer) or int(first_satellite) < 0:
        raise InputError(f"{first_satellite!r}", field="first_satellite", expected="an int >= 0")
    n = dose.shape[0]
    out = np.zeros((n, len(EFFECTS)), dtype=np.int32)  # only rows with events are written
    if n:
        per_sat = nd.size > 1
        busy_n = b if b.size == n else np.full(n, bool(b[0]))
        bad = _inject_kernel(
            key,
            np.uint64(int(first_satellite)),
            dose,
            nd if per_sat else dose,
            per_sat,
            1.0 if per_sat else float(nd[0]),
            busy_n,
            np.asarray(susceptibility.events_per_rad, dtype=np.float64),
            _NEEDS_BUSY,
            out,
            np.empty(n, dtype=np.bool_),
        )
        if bad:
            raise _bad_dose()
    return FaultEvents(
        counts=out,
        step_index=int(step_index),
        reboot_downtime_s=float(susceptibility.reboot_downtime_s),
    )


# ---------------------------------------------------------------------------------------------
# Mitigations
# ---------------------------------------------------------------------------------------------

_KINDS = ("none", "checkpoint", "dmr", "tmr")


@dataclass(frozen=True)
class Mitigation:
    """How faults are handled, with its cost (module docstring, section 4).

    ``kind``: ``"none"``, ``"checkpoint"`` (``checkpoint_interval_s``, ``checkpoint_cost_s``
    per checkpoint, ``restart_s`` to reload one after a failure), ``"dmr"`` or ``"tmr"``.
    Build with :meth:`none`, :meth:`checkpoint`, :meth:`dmr`, :meth:`tmr`.
    """

    kind: str = "none"
    checkpoint_interval_s: float = 0.0
    checkpoint_cost_s: float = 0.0
    restart_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise InputError(f"{self.kind!r}", field="mitigation.kind", expected=str(_KINDS))
        for name in ("checkpoint_interval_s", "checkpoint_cost_s", "restart_s"):
            v = float(getattr(self, name))
            if not (math.isfinite(v) and v >= 0.0):
                raise InputError(f"{v!r}", field=f"mitigation.{name}", expected="seconds >= 0")
        if self.kind == "checkpoint" and not self.checkpoint_interval_s > 0.0:
            raise InputError(
                f"{self.checkpoint_interval_s!r}",
                field="mitigation.checkpoint_interval_s",
                expected="seconds > 0",
            )

    @classmethod
    def none(cls) -> Mitigation:
        """No mitigation: SDCs reach the user."""
        return cls("none")

    @classmethod
    def checkpoint(cls, interval_s: float, cost_s: float, restart_s: float = 0.0) -> Mitigation:
        """Checkpoint/restart every ``interval_s`` at ``cost_s`` each (see
        :func:`optimal_checkpoint_interval_s`)."""
        return cls("checkpoint", float(interval_s), float(cost_s), float(restart_s))

    @classmethod
    def dmr(cls) -> Mitigation:
        """Dual modular redundancy: 2x compute, SDC detected by comparison and redone."""
        return cls("dmr")

    @classmethod
    def tmr(cls) -> Mitigation:
        """Triple modular redundancy: 3x compute, one faulty copy per work unit outvoted."""
        return cls("tmr")

    @property
    def overhead_factor(self) -> float:
        """Compute spent per unit of useful compute: 1, ``1 + C / tau``, 2 or 3."""
        if self.kind == "checkpoint":
            return 1.0 + self.checkpoint_cost_s / self.checkpoint_interval_s
        return {"none": 1.0, "dmr": 2.0, "tmr": 3.0}[self.kind]


@dataclass(frozen=True)
class MitigatedFaults:
    """Outcome of one step per satellite after a mitigation, all (N,).

    ``silent``: corrupted results delivered undetected; ``detected``: errors caught, their work
    redone; ``reboots``; ``downtime_s``: time down rebooting (and restarting from a checkpoint);
    ``lost_work_s``: compute time to be redone (it may exceed the step: carry it over);
    ``overhead_factor``: compute per unit of useful compute of the mitigation.
    Useful compute over a step = ``(busy time - downtime_s - lost_work_s) / overhead_factor``.
    """

    silent: np.ndarray
    detected: np.ndarray
    reboots: np.ndarray
    downtime_s: np.ndarray
    lost_work_s: np.ndarray
    overhead_factor: float


def apply_mitigation(
    events: FaultEvents,
    mitigation: Mitigation,
    dt_s: float,
    *,
    work_unit_s: float = 60.0,
) -> MitigatedFaults:
    """Turn one step's raw faults into outcomes under ``mitigation`` (module docstring, sec. 4).

    ``dt_s`` is the step length; ``work_unit_s`` the length of one result (a batch, an
    inference, a task step): the commit granularity without checkpointing and the voting /
    comparison granularity of DMR and TMR. Expected (mean) losses are used: half a unit (or
    half a checkpoint interval) per failure, a full unit per failed comparison or vote.
    """
    if not isinstance(events, FaultEvents) or not isinstance(mitigation, Mitigation):
        raise InputError(
            "wrong types", field="events, mitigation", expected="FaultEvents, Mitigation"
        )
    dt = float(dt_s)
    unit = float(work_unit_s)
    if not (math.isfinite(dt) and dt > 0 and math.isfinite(unit) and unit > 0):
        raise InputError(
            f"dt_s={dt_s!r}, work_unit_s={work_unit_s!r}",
            field="dt_s, work_unit_s",
            expected="seconds > 0",
        )
    n = len(events)
    counts = np.ascontiguousarray(events.counts, dtype=np.int32)
    if counts.ndim != 2 or counts.shape[1] != len(EFFECTS):
        raise InputError(f"shape {counts.shape}", field="events.counts", expected="(N, 5)")
    silent = np.empty(n, dtype=np.int32)
    detected = np.empty(n, dtype=np.int32)
    reboots = np.empty(n, dtype=np.int32)
    downtime = np.empty(n)
    lost = np.empty(n)
    _mitigate_kernel(
        _KINDS.index(mitigation.kind),
        counts,
        float(events.reboot_downtime_s),
        unit,
        float(mitigation.checkpoint_interval_s),
        float(mitigation.restart_s),
        max(1, int(dt // unit)),
        silent,
        detected,
        reboots,
        downtime,
        lost,
    )
    return MitigatedFaults(
        silent=silent,
        detected=detected,
        reboots=reboots,
        downtime_s=downtime,
        lost_work_s=lost,
        overhead_factor=mitigation.overhead_factor,
    )


@twin_kernel()
def _mitigate_kernel(
    kind, counts, reboot_s, unit, tau, restart_s, units, silent, detected, reboots, downtime, lost
):  # pragma: no cover - compiled
    """Per-satellite outcome of one step; kind is the index in ("none", "checkpoint", "dmr",
    "tmr"). Expected losses: half a rollback interval per failure, a whole unit per redo."""
    for i in prange(counts.shape[0]):
        sdc = counts[i, 0]
        det = counts[i, 1]
        reb = counts[i, 2] + counts[i, 3] + counts[i, 4]
        reboots[i] = reb
        down = reb * reboot_s
        if kind == 0:  # none: SDC silent, failures lose half a work unit
            silent[i] = sdc
            detected[i] = det
            lost[i] = (det + reb) * 0.5 * unit
        elif kind == 1:  # checkpoint/restart: roll back half an interval, pay the restart
            silent[i] = sdc
            detected[i] = det
            lost[i] = (det + reb) * 0.5 * tau
            down += (det + reb) * restart_s
        elif kind == 2:  # DMR: a mismatch found at the end of the unit redoes all of it
            silent[i] = 0
            detected[i] = sdc + det
            lost[i] = sdc * unit + (det + reb) * 0.5 * unit
        else:  # TMR: one faulty copy per voted unit is outvoted
            failed = max(sdc + det - units, 0)
            silent[i] = 0
            detected[i] = failed
            lost[i] = failed * unit + reb * 0.5 * unit
        downtime[i] = down


def optimal_checkpoint_interval_s(
    checkpoint_cost_s: float, mtbf_s: float, method: str = "young"
) -> float:
    """Checkpoint interval that minimises the expected waste.

    ``"young"``: ``sqrt(2 C M)`` (Young 1974); ``"daly"``: ``sqrt(2 C M) (1 + sqrt(C / 2M) / 3
    + (C / 2M) / 9) - C`` for ``C < 2M``, else ``M`` (Daly 2006, higher-order estimate).
    """
    c = float(checkpoint_cost_s)
    m = float(mtbf_s)
    if not (math.isfinite(c) and c > 0 and math.isfinite(m) and m > 0):
        raise InputError(
            f"C={checkpoint_cost_s!r}, M={mtbf_s!r}",
            field="checkpoint_cost_s, mtbf_s",
            expected="seconds > 0",
        )
    if method == "young":
        return math.sqrt(2.0 * c * m)
    if method == "daly":
        if c >= 2.0 * m:
            return m
        x = c / (2.0 * m)
        return math.sqrt(2.0 * c * m) * (1.0 + math.sqrt(x) / 3.0 + x / 9.0) - c
    raise InputError(f"{method!r}", field="method", expected="'young' or 'daly'")


def mtbf_s(
    dose_rate_rad_s: float,
    susceptibility: Susceptibility,
    *,
    n_devices: float = 1.0,
    busy_fraction: float = 1.0,
) -> float:
    """Mean time between failures that force a rollback (detected errors and reboots), in s,
    at a mean dose rate; the ``M`` of :func:`optimal_checkpoint_interval_s`."""
    d = float(dose_rate_rad_s)
    f = float(busy_fraction)
    nd = float(n_devices)
    if not (math.isfinite(d) and d >= 0 and 0.0 <= f <= 1.0 and math.isfinite(nd) and nd >= 0):
        raise InputError(
            "bad arguments",
            field="dose_rate_rad_s, n_devices, busy_fraction",
            expected="rate >= 0, devices >= 0, fraction within [0, 1]",
        )
    r = susceptibility.events_per_rad
    per_rad = f * r[1] + r[_REBOOT_COLS].sum()
    rate = d * nd * per_rad
    return math.inf if rate == 0 else 1.0 / rate
