"""Planner files: the YAML schema, the defaults, and the built-in presets.

A planner file (``spacecompute size FILE``) says what to build and where::

    name: my-design
    target: {it_power_kw: 1000, accelerator: nvidia-h100-sxm}   # or accelerators: / pflops:
    orbit: {altitude_km: 650, inclination_deg: sso, ltan_h: 6.0}
    satellite: {it_power_kw: 20, array_pointing: sun-tracking}  # or accelerators:
    launch: {vehicle: falcon-9, pricing: fixed}                 # or learning-curve
    operation: {eclipse: battery}                               # or throttle
    parameters:                                                 # overrides of defaults.yaml
      launch_price_usd_per_kg: 200
      solar_specific_power_w_per_kg: {low: 80, high: 150}
      pue: {value: 1.1, source: "my operator's figure", date: "2025"}
    claims: [...]                                               # published numbers to check

Unknown keys are errors (with a suggestion), and every problem is reported with its file, line
and key path (:func:`spacecompute.scenario.loader.problems_from_validation`). Values may be a
number, a range ``{low, high, nominal}`` or a distribution ``{dist: ...}``
(:class:`~spacecompute.economics.uncertainty.Dist`), optionally wrapped as
``{value: ..., source: ..., date: ...}`` to record where it came from.

The defaults (``data/planner/defaults.yaml``) give every parameter its value, source and date;
the presets (``data/planner/*.yaml``) are published designs: ``suncatcher`` (Google's
Suncatcher paper), ``starcloud-40mw`` (Starcloud's white paper) and ``odc-1m`` (the
million-satellite filing).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    create_model,
    model_validator,
)

from ..errors import InputError, Problem
from ..yamlio import (
    LocatedYaml,
    Preset,
    format_path,
    load_yaml_file,
    presets_in,
    resolve_preset_file,
    validate_located,
)
from .cost import CLAIM_FIELDS, Claim
from .sizing import DEFAULT_START, Design, OrbitSpec, Param, Target
from .uncertainty import Dist

PLANNER_DIR = "planner"
DEFAULTS_FILE = "defaults.yaml"
DEFAULT_PRESET = "suncatcher"
DEFAULT_ACCELERATOR = "nvidia-h100-sxm"
_META = ("value", "source", "date", "note", "assumed")


def _planner_path() -> Path:
    return Path(str(resources.files("spacecompute") / "data" / PLANNER_DIR))


# ---------------------------------------------------------------------------------------------
# Values: a number, a range, a distribution, optionally with its source
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sourced:
    """A parsed value and, when the file gave them, its source, date and note."""

    dist: Dist
    source: str = ""
    date: str = ""
    note: str = ""
    assumed: bool = False


def _sourced(raw: Any) -> Sourced:
    if isinstance(raw, Sourced):
        return raw
    if isinstance(raw, dict) and "value" in raw:
        unknown = sorted(set(raw) - set(_META))
        if unknown:
            raise ValueError(
                f"unknown key(s) {unknown} next to value (expected {', '.join(_META)})"
            )
        date = raw.get("date", "")
        if isinstance(date, _dt.date):
            date = date.isoformat()
        return Sourced(
            Dist.parse(raw["value"]),
            str(raw.get("source", "") or "").strip(),
            str(date or ""),
            str(raw.get("note", "") or "").strip(),
            bool(raw.get("assumed", False)),
        )
    return Sourced(Dist.parse(raw))


Value = Annotated[Any, PlainValidator(_sourced)]


def _band(raw: Any) -> tuple[float, float]:
    if (
        isinstance(raw, list | tuple)
        and len(raw) == 2
        and all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw)
        and raw[0] <= raw[1]
    ):
        return (float(raw[0]), float(raw[1]))
    raise ValueError(f"{raw!r} is not a band [low, high] of two numbers with low <= high")


Band = Annotated[Any, PlainValidator(_band)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


# ---------------------------------------------------------------------------------------------
# Schema
# ---------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class TargetModel(_Strict):
    """What to build: exactly one of ``it_power_kw``, ``accelerators`` and ``pflops``."""

    it_power_kw: Positive | None = Field(None, description="IT power to put in orbit, kW")
    accelerators: Annotated[int, Field(ge=1)] | None = Field(None, description="accelerators")
    pflops: Positive | None = Field(None, description="dense peak PFLOPS at `precision`")
    precision: str = Field("bf16", description="precision of pflops and of $/PFLOP-day")
    accelerator: str | None = Field(None, description="hardware catalog name")

    @model_validator(mode="after")
    def _one(self) -> TargetModel:
        given = [
            k for k in ("it_power_kw", "accelerators", "pflops") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of it_power_kw, accelerators, pflops"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class OrbitModel(_Strict):
    """A circular orbit."""

    altitude_km: Annotated[float, Field(ge=150.0, le=6000.0, allow_inf_nan=False)] = Field(
        description="altitude above the equator, km"
    )
    inclination_deg: (
        Annotated[float, Field(ge=0.0, le=180.0, allow_inf_nan=False)] | Literal["sso"]
    ) = Field(description="degrees, or 'sso' for sun-synchronous")
    ltan_h: Annotated[float, Field(ge=0.0, lt=24.0)] | None = Field(
        None, description="local time of the ascending node, hours (6 or 18: dawn-dusk)"
    )
    raan_deg: Annotated[float, Field(allow_inf_nan=False)] | None = None
    start: _dt.datetime | _dt.date | str = Field(
        DEFAULT_START, description="start of the year over which eclipses are computed"
    )

    @model_validator(mode="after")
    def _node(self) -> OrbitModel:
        if self.ltan_h is not None and self.raan_deg is not None:
            raise ValueError("give ltan_h or raan_deg, not both")
        return self


class SatelliteModel(_Strict):
    """How the target is split into satellites: IT power or accelerators per satellite."""

    it_power_kw: Positive | None = Field(None, description="IT power per satellite, kW")
    accelerators: Annotated[int, Field(ge=1)] | None = Field(
        None, description="accelerators per satellite"
    )
    array_pointing: Literal["sun-tracking", "single-axis", "orbit-normal"] = "sun-tracking"

    @model_validator(mode="after")
    def _one(self) -> SatelliteModel:
        if (self.it_power_kw is None) == (self.accelerators is None):
            raise ValueError("give exactly one of it_power_kw, accelerators (per satellite)")
        return self


class LaunchModel(_Strict):
    vehicle: str | None = Field(None, description="a vehicle of defaults.yaml")
    pricing: Literal["fixed", "learning-curve"] = "fixed"


class OperationModel(_Strict):
    eclipse: Literal["battery", "throttle"] = Field(
        "battery", description="battery: compute through eclipses; throttle: compute off in eclipse"
    )


class ClaimModel(_Strict):
    """A published number to check (``check`` names the kind; see CLAIM_FIELDS)."""

    check: Literal[tuple(CLAIM_FIELDS)]  # type: ignore[valid-type]
    label: str
    source: str = ""
    tolerance: Annotated[float, Field(gt=0, le=10)] = 0.05
    mass_kg: Positive | None = None
    power_kw: Positive | None = None
    life_years: Positive | None = None
    launch_price_usd_per_kg: Positive | None = None
    stated_usd_per_kw_year: Positive | Band | None = None
    electricity_usd_per_kwh: Positive | Band | None = None
    pue: Positive | Band | None = None
    it_power_kw: Positive | None = None
    years: Positive | None = None
    stated_usd: Positive | None = None
    area_m2: Positive | None = None
    cell_efficiency: Positive | None = None
    packing_factor: Positive | None = None
    stated_w: Positive | None = None
    parts_usd: list[Positive] | None = None
    stated_total_usd: Positive | None = None
    stated_kg: Positive | None = None
    stated_kw_per_tonne: Positive | None = None

    @model_validator(mode="after")
    def _fields(self) -> ClaimModel:
        need = CLAIM_FIELDS[self.check]
        optional = {"pue"} if self.check == "terrestrial_energy" else set()
        meta = {"check", "label", "source", "tolerance"}
        given = {
            k for k in type(self).model_fields if k not in meta and getattr(self, k) is not None
        }
        missing = [k for k in need if k not in given]
        extra = sorted(given - set(need) - optional)
        if missing or extra:
            parts = []
            if missing:
                parts.append("missing " + ", ".join(missing))
            if extra:
                parts.append("not used by this check: " + ", ".join(extra))
            raise ValueError(
                f"claim '{self.check}': {'; '.join(parts)} (it takes {', '.join(need)})"
            )
        bands = {
            "terrestrial_power_band": ("electricity_usd_per_kwh", "pue", "stated_usd_per_kw_year")
        }
        for k in need:
            v = getattr(self, k)
            is_band = isinstance(v, tuple)
            if is_band != (k in bands.get(self.check, ())):
                want = "a band [low, high]" if not is_band else "one number"
                raise ValueError(f"claim '{self.check}': {k} must be {want}")
        return self


class _DefaultParam(_Strict):
    value: Value
    bounds: tuple[float, float] = (-math.inf, math.inf)
    description: str
    source: str = Field(min_length=1)
    date: str | _dt.date = Field(description="date of the source")
    assumed: bool = False
    note: str = ""


class _Vehicle(_Strict):
    capacity_kg: Positive
    price_usd_per_kg: Positive | None = None
    source: str = Field(min_length=1)
    date: str | _dt.date


class _AcceleratorPrice(_Strict):
    value: Value
    source: str = Field(min_length=1)
    date: str | _dt.date
    assumed: bool = False


class DefaultsFile(_Strict):
    """Schema of ``data/planner/defaults.yaml``."""

    parameters: dict[str, _DefaultParam]
    vehicles: dict[str, _Vehicle] = {}
    accelerator_prices: dict[str, _AcceleratorPrice] = {}


def _date(value: str | _dt.date) -> str:
    return value.isoformat() if isinstance(value, _dt.date) else str(value)


def _validate(located: LocatedYaml, model: type[BaseModel]):
    return validate_located(located, model, keys_hint="name:, target:, orbit:, satellite:, ...")


@dataclass(frozen=True)
class Defaults:
    """The planner's defaults: parameters, vehicles and accelerator prices, with sources."""

    file: str
    parameters: dict[str, _DefaultParam]
    vehicles: dict[str, _Vehicle]
    accelerator_prices: dict[str, _AcceleratorPrice]


@lru_cache(maxsize=1)
def load_defaults() -> Defaults:
    """Read and validate ``data/planner/defaults.yaml`` (cached)."""
    path = _planner_path() / DEFAULTS_FILE
    located = load_yaml_file(path)
    model = _validate(located, DefaultsFile)
    problems = []
    for name, prm in model.parameters.items():
        lo, hi = prm.bounds
        d = prm.value.dist
        if not (lo <= d.low <= d.nominal <= d.high <= hi):
            problems.append(
                Problem(
                    f"value outside its bounds [{lo:g}, {hi:g}]",
                    file=str(path),
                    line=located.line_of(("parameters", name)),
                    field=f"parameters.{name}",
                    expected="low <= nominal <= high within the bounds",
                )
            )
    if problems:
        raise InputError(problems=problems)
    return Defaults(
        str(path), dict(model.parameters), dict(model.vehicles), dict(model.accelerator_prices)
    )


@lru_cache(maxsize=1)
def planner_file_model() -> type[BaseModel]:
    """The pydantic model of a planner file; ``parameters`` has one optional field per default."""
    defaults = load_defaults()
    fields: dict[str, Any] = {
        name: (Value | None, Field(None, description=prm.description))
        for name, prm in defaults.parameters.items()
    }
    parameters = create_model("Parameters", __base__=_Strict, **fields)
    return create_model(
        "PlannerFile",
        __base__=_Strict,
        name=(str, Field(min_length=1, description="design name")),
        description=(str, ""),
        source=(str, ""),
        notes=(list[str], []),
        target=(TargetModel, Field(description="it_power_kw, accelerators or pflops")),
        orbit=(OrbitModel, Field(description="altitude_km and inclination_deg")),
        satellite=(SatelliteModel, Field(description="it_power_kw or accelerators per satellite")),
        launch=(LaunchModel, LaunchModel()),
        operation=(OperationModel, OperationModel()),
        parameters=(parameters, parameters()),
        claims=(list[ClaimModel], []),
    )


# ---------------------------------------------------------------------------------------------
# Presets and loading
# ---------------------------------------------------------------------------------------------


def planner_presets() -> dict[str, Preset]:
    """Built-in planner designs by name (``spacecompute size NAME``)."""
    return presets_in(_planner_path(), skip=(DEFAULTS_FILE,))


def resolve(name_or_path: str) -> Path:
    """A planner file path, or the file of the built-in preset of that name."""
    return resolve_preset_file(name_or_path, planner_presets(), "planner design")


def _problem(located: LocatedYaml, path: tuple, message: str, expected: str) -> Problem:
    return Problem(
        message,
        file=located.file,
        line=located.line_of(path),
        field=format_path(path),
        expected=expected,
    )


def load_design(name_or_path: str = DEFAULT_PRESET) -> Design:
    """Read, validate and resolve a planner file or preset into a plain :class:`Design`.

    Parameters take, in increasing precedence: defaults.yaml, the launch vehicle, the
    accelerator's price table, the file's ``parameters:``. Every problem is reported at once
    with file and line (:class:`~spacecompute.errors.InputError`).
    """
    return design_from_located(load_yaml_file(resolve(name_or_path)))


def design_from_located(located: LocatedYaml) -> Design:
    """:func:`load_design` of a parsed planner document (a file's, or one built in memory such
    as a sweep cell's); problems are located in ``located.file``."""
    model = _validate(located, planner_file_model())
    defaults = load_defaults()
    file = located.file
    problems: list[Problem] = []

    # accelerator and vehicle names
    acc_name = model.target.accelerator or DEFAULT_ACCELERATOR
    try:
        from .sizing import accelerator

        hw = accelerator(acc_name)
        if model.target.precision not in hw.peak_ops_per_s:
            problems.append(
                _problem(
                    located,
                    ("target", "precision"),
                    f"{acc_name} has no {model.target.precision} peak in the hardware catalog",
                    "one of " + ", ".join(sorted(hw.peak_ops_per_s)),
                )
            )
    except InputError as exc:
        problems.append(
            _problem(
                located,
                ("target", "accelerator"),
                f"unknown accelerator {acc_name!r}",
                exc.problems[0].expected or "a name of data/hardware.yaml",
            )
        )
    vehicle = model.launch.vehicle
    if vehicle is not None and vehicle not in defaults.vehicles:
        close = difflib.get_close_matches(vehicle, list(defaults.vehicles), n=1)
        problems.append(
            _problem(
                located,
                ("launch", "vehicle"),
                f"unknown vehicle {vehicle!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                "one of " + ", ".join(defaults.vehicles),
            )
        )

    # parameters: defaults < vehicle < accelerator price table < file
    params: dict[str, Param] = {}
    for name, d in defaults.parameters.items():
        params[name] = Param(
            name,
            d.value.dist,
            d.source,
            _date(d.date),
            "default",
            d.description,
            d.assumed,
            d.note,
            tuple(d.bounds),
        )
    if vehicle in defaults.vehicles:
        v = defaults.vehicles[vehicle]
        base = params["launch_vehicle_capacity_kg"]
        params[base.name] = Param(
            base.name,
            Dist.fixed(v.capacity_kg),
            v.source,
            _date(v.date),
            f"vehicle {vehicle}",
            base.description,
            bounds=base.bounds,
        )
        if v.price_usd_per_kg is not None:
            base = params["launch_price_usd_per_kg"]
            params[base.name] = Param(
                base.name,
                Dist.fixed(v.price_usd_per_kg),
                v.source,
                _date(v.date),
                f"vehicle {vehicle}",
                base.description,
                bounds=base.bounds,
            )
    if acc_name in defaults.accelerator_prices:
        a = defaults.accelerator_prices[acc_name]
        base = params["accelerator_price_usd"]
        params[base.name] = Param(
            base.name,
            a.value.dist,
            a.source,
            _date(a.date),
            f"price table ({acc_name})",
            base.description,
            a.assumed,
            bounds=base.bounds,
        )
    given_params = {
        k: getattr(model.parameters, k)
        for k in type(model.parameters).model_fields
        if getattr(model.parameters, k) is not None
    }
    for name, given in given_params.items():
        base = params[name]
        s: Sourced = given
        lo, hi = base.bounds
        d = s.dist
        if not (lo <= d.low and d.high <= hi):
            problems.append(
                _problem(
                    located,
                    ("parameters", name),
                    f"{d.describe()} is outside the physical bounds [{lo:g}, {hi:g}]",
                    base.description or "a value within the bounds",
                )
            )
        params[name] = Param(
            name,
            d,
            s.source or f"{file}, line {located.line_of(('parameters', name))}",
            s.date,
            "design",
            base.description,
            s.assumed,
            s.note,
            base.bounds,
        )

    # target and satellite split
    t = model.target
    if t.it_power_kw is not None:
        target = Target("it_power", t.it_power_kw * 1e3, t.precision)
    elif t.accelerators is not None:
        target = Target("accelerators", float(t.accelerators), t.precision)
    else:
        target = Target("pflops", t.pflops * 1e15, t.precision)
    sat = model.satellite
    if sat.accelerators is not None:
        per_kind, per_value = "accelerators", float(sat.accelerators)
    else:
        per_kind, per_value = "it_power", sat.it_power_kw * 1e3

    try:
        orbit = OrbitSpec.from_user(
            model.orbit.altitude_km,
            model.orbit.inclination_deg,
            ltan_h=model.orbit.ltan_h,
            raan_deg=model.orbit.raan_deg,
            start=model.orbit.start,
        )
    except InputError as exc:
        orbit = None
        for p in exc.problems:
            key = tuple((p.field or "orbit").split("."))
            problems.append(_problem(located, key, p.message, p.expected or ""))
    if problems:
        raise InputError(problems=problems)

    claims = tuple(
        Claim(
            check=c.check,
            label=c.label,
            data={
                k: getattr(c, k)
                for k in type(c).model_fields
                if k not in ("check", "label", "source", "tolerance") and getattr(c, k) is not None
            },
            source=c.source,
            tolerance=c.tolerance,
            file=file,
            line=located.line_of(("claims", i)),
        )
        for i, c in enumerate(model.claims)
    )
    assert orbit is not None
    return Design(
        name=model.name,
        target=target,
        orbit=orbit,
        accelerator=acc_name,
        per_satellite_kind=per_kind,
        per_satellite_value=per_value,
        params=params,
        description=model.description.strip(),
        source=model.source.strip(),
        file=file,
        eclipse_operation=model.operation.eclipse,
        array_pointing=sat.array_pointing,
        launch_pricing=model.launch.pricing,
        vehicle=vehicle,
        claims=claims,
        notes=tuple(n.strip() for n in model.notes),
    )


__all__ = [
    "DEFAULT_ACCELERATOR",
    "DEFAULT_PRESET",
    "Defaults",
    "DefaultsFile",
    "design_from_located",
    "load_defaults",
    "load_design",
    "planner_file_model",
    "planner_presets",
    "resolve",
]
