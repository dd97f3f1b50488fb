"""Cost of an orbital data centre over its life, the terrestrial baseline, and published claims.

Space (all in USD over the life ``L`` years; vectorized over parameter samples like
:func:`spacecompute.economics.sizing.size`):

- **launch**: launched mass x price per kg. The mass includes the replacements (below). The
  price is fixed, or follows a learning curve on cumulative launched mass (Wright's law):
  ``p(M) = p0 (M / M0)^b`` with ``b = log2(1 - r)`` for a fall of ``r`` per doubling
  (Suncatcher, arXiv:2511.19468: about 20 %); the design pays the average of ``p`` over the mass
  it launches itself, starting ``launch_doublings_before_start`` doublings after ``M0``.
- **satellites**: dry mass less compute x manufacturing cost per kg; **compute**: accelerators x
  price x (1 + server overhead); both with the replacements.
- **replacements**: capacity lost is relaunched: ``(satellite failure rate + accelerator
  failure rate) x L``, plus the satellites retired by total ionizing dose when the orbit's dose
  reaches the accelerator's tolerance before the end of life (``L / radiation life - 1``).
- **insurance**: a launch-plus-one-year rate on launch + satellites + compute; **operations**: a
  fraction of the capital in orbit per year; **ground segment**: stations x cost.

Outputs: annual cost = total / L, and per delivered kW-year of IT power (the compute runs all
the time with a battery, only in sunlight when throttled), per GPU-hour, per PFLOP-day
delivered (peak x model FLOPs utilization) and per million tokens of a model of ``N`` parameters
(``2N`` FLOPs per token, Kaplan et al. 2020). Suncatcher's **launched-power price** (Table 1) is
``mass x launch price / (power x life)`` with the satellite's electrical power, on two bases:
the sized design's **load** (compute plus bus, what the satellites draw:
``launched_power_price_usd_per_kw_year``, also ``..._load_...``) and its array's **rated**
power (``launched_power_price_rated_usd_per_kw_year``), the basis of Table 1, which divides by
each listed satellite's rated power (Starlink v2 mini: 28 kW). Published figures are checked on
their own basis (the claim's ``power_kw``).

Terrestrial baseline for the same accelerators and life: IT energy ``P_IT x hours x price``,
overhead energy ``(PUE - 1)`` times that, the facility's capital per watt spread over its life,
and the same compute hardware with the accelerator failure rate. Suncatcher's terrestrial
**power price** is ``price x PUE x 8,766 h`` per kW-year.

**Break-even launch price**: the space cost is linear in the launch price (insurance included;
with a learning curve in the reference price ``p0``), so the price at which the space cost per
kW-year equals the terrestrial one is solved exactly, per sample; NaN where even a free launch
does not break even.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..astro.constants import JULIAN_YEAR_S, SOLAR_CONSTANT_W_M2
from ..errors import InputError
from .sizing import Design, Physics, _as_samples, size

#: Hours in a (Julian) year, 8,766.
HOURS_PER_YEAR = JULIAN_YEAR_S / 3600.0
#: Joules per kilowatt-hour.
J_PER_KWH = 3.6e6
#: Seconds per day.
_S_PER_DAY = 86400.0

#: Space cost lines (USD over the life), in report order.
SPACE_COST_LINES = (
    "launch_usd",
    "satellites_usd",
    "compute_usd",
    "insurance_usd",
    "operations_usd",
    "ground_segment_usd",
)
#: Terrestrial cost lines (USD over the life), in report order.
TERRESTRIAL_COST_LINES = (
    "terrestrial_energy_it_usd",
    "terrestrial_energy_overhead_usd",
    "terrestrial_facility_usd",
    "terrestrial_compute_usd",
)


# ---------------------------------------------------------------------------------------------
# Closed forms (also used to check published claims)
# ---------------------------------------------------------------------------------------------


def launched_power_price_usd_per_kw_year(
    mass_kg: Any, power_w: Any, life_years: Any, launch_price_usd_per_kg: Any
) -> np.ndarray | float:
    """Suncatcher's launched-power price (arXiv:2511.19468, Table 1), USD per kW-year:
    ``mass x launch price per kg / (power x lifespan)``. Broadcasts; float for scalars."""
    out = (
        np.asarray(mass_kg, dtype=np.float64)
        * np.asarray(launch_price_usd_per_kg, dtype=np.float64)
        / (np.asarray(power_w, dtype=np.float64) / 1e3 * np.asarray(life_years, dtype=np.float64))
    )
    return float(out) if out.ndim == 0 else out


def terrestrial_power_price_usd_per_kw_year(
    electricity_usd_per_kwh: Any, pue: Any = 1.0
) -> np.ndarray | float:
    """Cost of powering 1 kW of IT for a year on the ground: ``price x PUE x 8,766 h``."""
    out = (
        np.asarray(electricity_usd_per_kwh, dtype=np.float64)
        * np.asarray(pue, dtype=np.float64)
        * HOURS_PER_YEAR
    )
    return float(out) if out.ndim == 0 else out


def terrestrial_energy_usd(
    it_power_w: Any, duration_s: Any, electricity_usd_per_kwh: Any, pue: Any = 1.0
) -> np.ndarray | float:
    """Electricity bill (USD) of ``it_power_w`` of IT running for ``duration_s`` at a PUE."""
    out = (
        np.asarray(it_power_w, dtype=np.float64)
        * np.asarray(duration_s, dtype=np.float64)
        / J_PER_KWH
        * np.asarray(electricity_usd_per_kwh, dtype=np.float64)
        * np.asarray(pue, dtype=np.float64)
    )
    return float(out) if out.ndim == 0 else out


def learning_curve_price_usd_per_kg(
    reference_price_usd_per_kg: Any,
    learning_rate: Any,
    reference_cumulative_mass_kg: Any,
    doublings_before_start: Any,
    mass_kg: Any,
) -> np.ndarray:
    """Average price per kg paid for ``mass_kg`` on a learning curve (Wright's law).

    ``p(M) = p0 (M / M0)^b``, ``b = log2(1 - r)``: each doubling of the cumulative launched
    mass ``M`` cuts the price by the fraction ``r``. The design starts at
    ``M_s = M0 2^d`` (``d`` doublings after the reference) and pays the mean of ``p`` over
    ``[M_s, M_s + m]``: ``p0 M0^-b [(M_s + m)^(b+1) - M_s^(b+1)] / ((b + 1) m)``.
    """
    p0 = np.asarray(reference_price_usd_per_kg, dtype=np.float64)
    r = np.asarray(learning_rate, dtype=np.float64)
    m0 = np.asarray(reference_cumulative_mass_kg, dtype=np.float64)
    d = np.asarray(doublings_before_start, dtype=np.float64)
    m = np.asarray(mass_kg, dtype=np.float64)
    if np.any((r < 0) | (r >= 0.5)):
        raise InputError(
            f"learning rate {r!r}",
            field="parameters.launch_learning_rate",
            expected="in [0, 0.5): the fall of the price per doubling",
        )
    b = np.log2(1.0 - r)
    start = m0 * 2.0**d
    x = m / start  # the design's mass in units of the cumulative mass at its start
    k = b + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_factor = np.where(x > 1e-9, np.expm1(k * np.log1p(x)) / (k * x), 1.0)
    return p0 * (1.0 - r) ** d * mean_factor


# ---------------------------------------------------------------------------------------------
# The whole model
# ---------------------------------------------------------------------------------------------


def evaluate(design: Design, values: Mapping[str, Any], physics: Physics) -> dict[str, np.ndarray]:
    """Sizing plus costs of ``design`` for parameter ``values`` (name -> (N,) arrays).

    Returns the outputs of :func:`spacecompute.economics.sizing.size` and the cost lines and
    figures of merit described in the module docstring, all (N,) arrays with units in the names.
    """
    p, n = _as_samples(values)
    out = size(design, p, physics)
    life = p["life_years"]
    life_s = life * JULIAN_YEAR_S
    hw = physics.accelerator

    # replacements over the life
    rad = physics.radiation
    rad_life = rad.life_limit_years
    radiation_replacements = (
        np.maximum(0.0, life / rad_life - 1.0) if math.isfinite(rad_life) else np.zeros(n)
    )
    replacement = (
        p["satellite_annual_failure_rate"] + p["accelerator_annual_failure_rate"]
    ) * life + radiation_replacements

    # launch
    launch_mass = out["mass_total_kg"] * (1.0 + replacement)
    if design.launch_pricing == "learning-curve":
        price_kg = learning_curve_price_usd_per_kg(
            p["launch_price_usd_per_kg"],
            p["launch_learning_rate"],
            p["launch_reference_cumulative_mass_kg"],
            p["launch_doublings_before_start"],
            launch_mass,
        )
        initial_price_kg = learning_curve_price_usd_per_kg(
            p["launch_price_usd_per_kg"],
            p["launch_learning_rate"],
            p["launch_reference_cumulative_mass_kg"],
            p["launch_doublings_before_start"],
            out["mass_total_kg"],
        )
    else:
        price_kg = np.array(p["launch_price_usd_per_kg"], dtype=np.float64)
        initial_price_kg = price_kg
    with np.errstate(divide="ignore", invalid="ignore"):
        price_factor = np.where(
            p["launch_price_usd_per_kg"] > 0, price_kg / p["launch_price_usd_per_kg"], 1.0
        )
        initial_factor = np.where(
            p["launch_price_usd_per_kg"] > 0, initial_price_kg / p["launch_price_usd_per_kg"], 1.0
        )
    launch = launch_mass * price_kg

    # capital
    non_compute_kg = out["mass_satellite_kg"] - out["mass_compute_kg"]
    satellites_usd = (
        out["satellites"] * non_compute_kg * p["satellite_cost_usd_per_kg"] * (1.0 + replacement)
    )
    compute_unit_usd = p["accelerator_price_usd"] * (1.0 + p["server_cost_overhead_fraction"])
    compute_usd = out["accelerators"] * compute_unit_usd * (1.0 + replacement)
    insurance = p["insurance_rate"] * (launch + satellites_usd + compute_usd)
    operations = p["operations_fraction_per_year"] * (satellites_usd + compute_usd) * life
    ground = p["ground_station_count"] * p["ground_station_cost_usd"]
    total = launch + satellites_usd + compute_usd + insurance + operations + ground
    annual = total / life

    # what it delivers
    availability = out["availability"]
    it_w = out["it_power_total_w"]
    delivered_kw = it_w / 1e3 * availability
    gpu_hours_year = out["accelerators"] * availability * HOURS_PER_YEAR
    peak = hw.peak(design.target.precision) if design.target.precision in hw.peak_ops_per_s else 0.0
    flops = out["accelerators"] * peak * p["model_flops_utilization"]
    tokens_per_s = flops / (2.0 * p["token_model_parameters"])
    # two bases for Suncatcher's launched-power price: the sized design's load (compute plus
    # bus, what it draws) and its array's rated power (Table 1's basis for the satellites it
    # lists, e.g. 28 kW for a Starlink v2 mini)
    sat_power_w = out["load_per_satellite_w"] * out["satellites"]
    rated_power_w = out["array_rated_power_per_satellite_w"] * out["satellites"]

    with np.errstate(divide="ignore", invalid="ignore"):
        space_kwyr = annual / delivered_kw
        space_gpu_h = annual / gpu_hours_year
        space_pflop_day = annual / (flops * availability / 1e15 * 365.25)
        space_mtoken = annual / (tokens_per_s * availability * JULIAN_YEAR_S) * 1e6

    # terrestrial baseline: same accelerators, same life, running all the time
    t_energy = terrestrial_energy_usd(it_w, life_s, p["electricity_price_usd_per_kwh"])
    t_overhead = t_energy * (p["pue"] - 1.0)
    t_facility = (
        p["terrestrial_capex_usd_per_w"] * it_w * life / p["terrestrial_facility_life_years"]
    )
    t_compute = (
        out["accelerators"] * compute_unit_usd * (1.0 + p["accelerator_annual_failure_rate"] * life)
    )
    t_total = t_energy + t_overhead + t_facility + t_compute
    t_annual = t_total / life
    with np.errstate(divide="ignore", invalid="ignore"):
        t_kwyr = t_annual / (it_w / 1e3)
        t_gpu_h = t_annual / (out["accelerators"] * HOURS_PER_YEAR)
        t_pflop_day = t_annual / (flops / 1e15 * 365.25)
        t_mtoken = t_annual / (tokens_per_s * JULIAN_YEAR_S) * 1e6

    # break-even launch prices (the space total is linear in the launch price)
    slope = launch_mass * price_factor * (1.0 + p["insurance_rate"])  # d total / d price
    intercept = total - slope * p["launch_price_usd_per_kg"]
    with np.errstate(divide="ignore", invalid="ignore"):
        breakeven = (t_kwyr * delivered_kw * life - intercept) / slope
        t_power_price = terrestrial_power_price_usd_per_kw_year(
            p["electricity_price_usd_per_kwh"], p["pue"]
        )
        breakeven_power = (
            t_power_price * sat_power_w / 1e3 * life / (out["mass_total_kg"] * initial_factor)
        )
        breakeven_power_rated = (
            t_power_price * rated_power_w / 1e3 * life / (out["mass_total_kg"] * initial_factor)
        )
    breakeven = np.where(np.isfinite(breakeven) & (breakeven >= 0), breakeven, np.nan)

    upsets = {
        f"{k}_events_per_accelerator_year": np.full(n, v * rad.dose_rad_per_year)
        for k, v in rad.upsets_per_rad.items()
    }
    out.update(
        {
            "dose_rad_per_year": np.full(n, rad.dose_rad_per_year),
            "radiation_life_years": np.full(n, rad_life),
            **upsets,
            "replacement_fraction": replacement,
            "launch_mass_kg": launch_mass,
            "launch_price_effective_usd_per_kg": price_kg,
            "launch_usd": launch,
            "satellites_usd": satellites_usd,
            "compute_usd": compute_usd,
            "insurance_usd": insurance,
            "operations_usd": operations,
            "ground_segment_usd": np.broadcast_to(ground, (n,)).astype(np.float64),
            "space_total_usd": total,
            "space_annual_usd": annual,
            "space_usd_per_kw_year": space_kwyr,
            "launched_power_price_usd_per_kw_year": launched_power_price_usd_per_kw_year(
                out["mass_total_kg"], sat_power_w, life, initial_price_kg
            ),
            "launched_power_price_load_usd_per_kw_year": launched_power_price_usd_per_kw_year(
                out["mass_total_kg"], sat_power_w, life, initial_price_kg
            ),
            "launched_power_price_rated_usd_per_kw_year": launched_power_price_usd_per_kw_year(
                out["mass_total_kg"], rated_power_w, life, initial_price_kg
            ),
            "space_usd_per_gpu_hour": space_gpu_h,
            "space_usd_per_pflop_day": space_pflop_day,
            "space_usd_per_mtoken": space_mtoken,
            "terrestrial_energy_it_usd": t_energy,
            "terrestrial_energy_overhead_usd": t_overhead,
            "terrestrial_facility_usd": t_facility,
            "terrestrial_compute_usd": t_compute,
            "terrestrial_total_usd": t_total,
            "terrestrial_annual_usd": t_annual,
            "terrestrial_usd_per_kw_year": t_kwyr,
            "terrestrial_power_price_usd_per_kw_year": t_power_price,
            "terrestrial_usd_per_gpu_hour": t_gpu_h,
            "terrestrial_usd_per_pflop_day": t_pflop_day,
            "terrestrial_usd_per_mtoken": t_mtoken,
            "space_to_terrestrial_ratio": space_kwyr / t_kwyr,
            "break_even_launch_price_usd_per_kg": breakeven,
            "break_even_launch_price_power_only_usd_per_kg": breakeven_power,
            "break_even_launch_price_power_only_rated_usd_per_kg": breakeven_power_rated,
            "gpu_hour_market_price_usd": np.broadcast_to(
                p["gpu_hour_market_price_usd"], (n,)
            ).astype(np.float64),
            "delivered_pflops": flops * availability / 1e15,
        }
    )
    return {k: np.asarray(v, dtype=np.float64) for k, v in out.items()}


def scalars(outputs: Mapping[str, np.ndarray], index: int = 0) -> dict[str, float]:
    """One sample of :func:`evaluate`'s outputs as plain floats (NaN kept)."""
    return {k: float(np.asarray(v).reshape(-1)[index]) for k, v in outputs.items()}


# ---------------------------------------------------------------------------------------------
# Published claims
# ---------------------------------------------------------------------------------------------


#: Claim kinds and the fields each needs (all numbers; ``*_band`` fields are [low, high]).
CLAIM_FIELDS: dict[str, tuple[str, ...]] = {
    "launched_power_price": (
        "mass_kg",
        "power_kw",
        "life_years",
        "launch_price_usd_per_kg",
        "stated_usd_per_kw_year",
    ),
    "terrestrial_power_band": (
        "electricity_usd_per_kwh",
        "pue",
        "stated_usd_per_kw_year",
    ),
    "terrestrial_energy": ("it_power_kw", "years", "electricity_usd_per_kwh", "stated_usd"),
    "launch_cost": ("mass_kg", "launch_price_usd_per_kg", "stated_usd"),
    "array_power": ("area_m2", "cell_efficiency", "packing_factor", "stated_w"),
    "sum": ("parts_usd", "stated_total_usd"),
    "design_mass": ("stated_kg",),
    "specific_power": ("stated_kw_per_tonne",),
}


@dataclass(frozen=True)
class Claim:
    """A published statement to check: ``check`` is a key of :data:`CLAIM_FIELDS`."""

    check: str
    label: str
    data: Mapping[str, Any]
    source: str = ""
    tolerance: float = 0.05
    file: str = ""
    line: int | None = None


@dataclass(frozen=True)
class ClaimCheck:
    """The result of checking one claim: stated against computed, and whether they agree."""

    label: str
    check: str
    stated: float
    computed: float
    unit: str
    relative_error: float
    tolerance: float
    consistent: bool
    message: str
    source: str = ""
    extra: Mapping[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "check": self.check,
            "stated": self.stated,
            "computed": self.computed,
            "unit": self.unit,
            "relative_error": self.relative_error,
            "tolerance": self.tolerance,
            "consistent": self.consistent,
            "message": self.message,
            "source": self.source,
            **({"extra": dict(self.extra)} if self.extra else {}),
        }


def _money(x: float) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"${x / 1e9:,.2f}B"
    if a >= 1e6:
        return f"${x / 1e6:,.1f}M"
    return f"${x:,.0f}"


def _result(
    claim: Claim,
    stated: float,
    computed: float,
    unit: str,
    how: str,
    extra: Mapping[str, float] | None = None,
    label: str | None = None,
) -> ClaimCheck:
    err = (stated - computed) / computed if computed else math.inf
    ok = abs(err) <= claim.tolerance
    verdict = "consistent" if ok else "INCONSISTENT"
    ratio = stated / computed if computed else math.inf
    off = (
        f"{err:+.1%}"
        if 0.5 <= ratio <= 2.0
        else f"the stated value is {ratio:.3g}x the computed one"
    )
    message = f"{verdict}: stated {stated:,.4g} {unit}, {how} gives {computed:,.4g} {unit} ({off})"
    return ClaimCheck(
        label=label or claim.label,
        check=claim.check,
        stated=float(stated),
        computed=float(computed),
        unit=unit,
        relative_error=float(err),
        tolerance=claim.tolerance,
        consistent=bool(ok),
        message=message,
        source=claim.source,
        extra=dict(extra or {}),
    )


def check_claim(claim: Claim, nominal: Mapping[str, float] | None = None) -> list[ClaimCheck]:
    """Check one published claim with the project's formulas (and, for ``design_mass`` and
    ``specific_power``, against the nominal sizing ``nominal`` of the design)."""
    d = claim.data
    if claim.check == "launched_power_price":
        computed = launched_power_price_usd_per_kw_year(
            d["mass_kg"], d["power_kw"] * 1e3, d["life_years"], d["launch_price_usd_per_kg"]
        )
        return [
            _result(
                claim,
                d["stated_usd_per_kw_year"],
                computed,
                "$/kW/yr",
                f"{d['mass_kg']:g} kg x ${d['launch_price_usd_per_kg']:,g}/kg / "
                f"({d['power_kw']:g} kW as published x {d['life_years']:g} y)",
            )
        ]
    if claim.check == "terrestrial_power_band":
        (e_lo, e_hi), (u_lo, u_hi), (s_lo, s_hi) = (
            d["electricity_usd_per_kwh"],
            d["pue"],
            d["stated_usd_per_kw_year"],
        )
        lo = terrestrial_power_price_usd_per_kw_year(e_lo, u_lo)
        hi = terrestrial_power_price_usd_per_kw_year(e_hi, u_hi)
        return [
            _result(
                claim,
                s_lo,
                lo,
                "$/kW/yr",
                f"${e_lo:g}/kWh x PUE {u_lo:g} x 8,766 h",
                label=f"{claim.label} (low end)",
            ),
            _result(
                claim,
                s_hi,
                hi,
                "$/kW/yr",
                f"${e_hi:g}/kWh x PUE {u_hi:g} x 8,766 h",
                label=f"{claim.label} (high end)",
            ),
        ]
    if claim.check == "terrestrial_energy":
        pue = float(d.get("pue", 1.0))
        computed = terrestrial_energy_usd(
            d["it_power_kw"] * 1e3,
            d["years"] * JULIAN_YEAR_S,
            d["electricity_usd_per_kwh"],
            pue,
        )
        return [
            _result(
                claim,
                d["stated_usd"],
                computed,
                "USD",
                f"{d['it_power_kw']:,g} kW x {d['years']:g} y x 8,766 h x "
                f"${d['electricity_usd_per_kwh']:g}/kWh" + (f" x PUE {pue:g}" if pue != 1 else ""),
            )
        ]
    if claim.check == "launch_cost":
        computed = d["mass_kg"] * d["launch_price_usd_per_kg"]
        implied = d["stated_usd"] / d["mass_kg"]
        res = _result(
            claim,
            d["stated_usd"],
            computed,
            "USD",
            f"{d['mass_kg']:,g} kg x ${d['launch_price_usd_per_kg']:,g}/kg",
            extra={"implied_price_usd_per_kg": implied},
        )
        if not res.consistent:
            res = replace(
                res,
                message=res.message
                + f"; the stated {_money(d['stated_usd'])} implies ${implied:,.0f}/kg, "
                f"not the ${d['launch_price_usd_per_kg']:,g}/kg stated",
            )
        return [res]
    if claim.check == "array_power":
        computed = SOLAR_CONSTANT_W_M2 * d["area_m2"] * d["cell_efficiency"] * d["packing_factor"]
        return [
            _result(
                claim,
                d["stated_w"],
                computed,
                "W",
                f"{d['area_m2']:,g} m2 x {SOLAR_CONSTANT_W_M2:,g} W/m2 x "
                f"{d['cell_efficiency']:g} x {d['packing_factor']:g}",
            )
        ]
    if claim.check == "sum":
        parts = [float(x) for x in d["parts_usd"]]
        return [
            _result(
                claim,
                d["stated_total_usd"],
                sum(parts),
                "USD",
                "the sum of the stated parts " + " + ".join(_money(x) for x in parts),
            )
        ]
    if claim.check in ("design_mass", "specific_power"):
        if nominal is None:
            return []
        if claim.check == "design_mass":
            return [
                _result(
                    claim,
                    d["stated_kg"],
                    nominal["mass_total_kg"],
                    "kg",
                    "the planner's sizing of this design",
                )
            ]
        return [
            _result(
                claim,
                d["stated_kw_per_tonne"],
                nominal["it_kw_per_tonne"],
                "kW/t",
                "the planner's sizing (IT power per tonne launched)",
            )
        ]
    raise ValueError(f"unknown claim kind {claim.check!r}")  # pragma: no cover - schema


def check_claims(
    claims: Sequence[Claim], nominal: Mapping[str, float] | None = None
) -> list[ClaimCheck]:
    """:func:`check_claim` for every claim, in order."""
    out: list[ClaimCheck] = []
    for c in claims:
        out.extend(check_claim(c, nominal))
    return out


__all__ = [
    "CLAIM_FIELDS",
    "HOURS_PER_YEAR",
    "J_PER_KWH",
    "SPACE_COST_LINES",
    "TERRESTRIAL_COST_LINES",
    "Claim",
    "ClaimCheck",
    "check_claim",
    "check_claims",
    "evaluate",
    "launched_power_price_usd_per_kw_year",
    "learning_curve_price_usd_per_kg",
    "scalars",
    "terrestrial_energy_usd",
    "terrestrial_power_price_usd_per_kw_year",
]
