"""Compute-hardware catalog and satellite-bus presets.

The catalog is package data, ``spacecompute/data/hardware.yaml``; this module validates it
(pydantic v2 models, unknown keys are errors) and turns it once into small frozen dataclasses:

:class:`Accelerator`
    One compute part: dense peak operations per second by precision (``fp64`` ... ``int8``),
    memory (bytes), idle and maximum power (W), mass (kg), and its radiation susceptibility as a
    key into ``data/radiation_susceptibility.yaml`` (``radiation_device``) plus, where published,
    its total-ionizing-dose tolerance (``tid_tolerance_rad``).
:class:`BusPreset`
    One satellite design: mass, solar array (area, cell efficiency, packing factor), battery,
    radiator, laser terminals, compute payload (hardware names and counts) and housekeeping
    loads. Each constellation preset (``data/constellations/*.yaml``) has exactly one bus
    (:func:`bus_for_constellation`).

Every entry carries ``source`` and ``date``; ``assumed`` maps each value that is not published
to the reason it was chosen. Bad data and unknown names raise
:class:`~spacecompute.errors.InputError` naming the file, the field and what was expected, with
the closest names as suggestions.

Solar power at beginning of life (BOL) is ``S A eta p`` with the solar constant
``S = 1361 W/m2`` (Kopp and Lean, GRL 38 (2011) L01706), array area ``A``, cell efficiency
``eta`` and packing (fill) factor ``p`` (Wertz and Larson, *Space Mission Analysis and Design*,
3rd ed., 1999, section 11.4). For example 16 km2 of 22 % cells at 90 % fill give
16e6 x 1361 x 0.22 x 0.9 = 4.3 GW (Starcloud's 4 km x 4 km array).

Example::

    >>> from spacecompute.spacecraft.hardware import bus_for_constellation, hardware
    >>> hardware("nvidia-h100-sxm").peak_ops_per_s["fp8"]
    1979000000000000.0
    >>> round(bus_for_constellation("odc-1m").compute_power_per_mass_w_per_kg)
    100
"""

from __future__ import annotations

import datetime as _dt
import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from spacecompute.astro.constants import SOLAR_CONSTANT_W_M2
from spacecompute.errors import InputError, Problem
from spacecompute.yamlio import format_path, load_yaml_text

__all__ = [
    "PRECISIONS",
    "Accelerator",
    "BusPreset",
    "Catalog",
    "ComputeSlot",
    "bus",
    "bus_for_constellation",
    "buses",
    "catalog_path",
    "hardware",
    "hardware_catalog",
    "load_catalog",
    "ops_per_joule",
]

#: Precisions a peak may be given for, widest first.
PRECISIONS: tuple[str, ...] = (
    "fp64",
    "fp32",
    "tf32",
    "bf16",
    "fp16",
    "fp8",
    "int32",
    "int8",
    "int4",
)

_CATALOG_FILE = "hardware.yaml"
_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
#: Keys of an entry that are about the entry, not values that could be assumed.
_META_KEYS = frozenset({"name", "source", "date", "assumed", "notes", "description"})

Scalar = float | np.ndarray


# ---------------------------------------------------------------------------------------------
# Frozen results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accelerator:
    """One compute part from the catalog (SI units).

    ``peak_ops_per_s`` maps a precision (see :data:`PRECISIONS`) to the dense peak rate in
    operations (FLOP or integer ops) per second; precisions the part does not support are
    absent. ``tid_tolerance_rad`` is ``None`` where no total-dose figure is published.
    ``heat_capacity_j_per_k`` and ``thermal_conductance_w_per_k`` are the part's payload thermal
    node (die and board, and its path to the bus; :mod:`~spacecompute.spacecraft.thermal`): from
    the catalog where given, otherwise by :data:`PAYLOAD_SPECIFIC_HEAT_J_PER_KG_K` and
    :data:`PAYLOAD_RISE_AT_FULL_POWER_K` (and marked in ``assumed``). ``assumed`` maps each assumed value (``"mass_kg"``, ``"peak_ops_per_s.fp16"``, ...) to the
    reason it was chosen.
    """

    name: str
    vendor: str
    description: str
    peak_ops_per_s: Mapping[str, float]
    memory_bytes: float
    power_idle_w: float
    power_max_w: float
    mass_kg: float
    radiation_device: str
    tid_tolerance_rad: float | None
    source: str
    date: str
    assumed: Mapping[str, str]
    notes: str = ""
    heat_capacity_j_per_k: float = 0.0
    thermal_conductance_w_per_k: float = 0.0

    def __hash__(self) -> int:
        return hash(("Accelerator", self.name))

    @property
    def precisions(self) -> tuple[str, ...]:
        """The precisions this part has a peak for, widest first."""
        return tuple(p for p in PRECISIONS if p in self.peak_ops_per_s)

    def is_assumed(self, field: str) -> bool:
        """Whether ``field`` (e.g. ``"power_max_w"`` or ``"peak_ops_per_s.int8"``) is assumed."""
        return field in self.assumed or field.split(".", 1)[0] in self.assumed

    def peak(self, precision: str) -> float:
        """Dense peak operations per second at ``precision``.

        Raises :class:`InputError` for a precision this part has no figure for, naming those it has.
        """
        key = _precision_key(precision)
        if key not in self.peak_ops_per_s:
            raise InputError(
                f"{self.name} has no peak for {precision!r}",
                field="precision",
                expected=f"one of {list(self.precisions)}",
            )
        return self.peak_ops_per_s[key]

    def ops_per_joule(self, precision: str) -> float:
        """Peak operations per joule at maximum power, ``peak / power_max_w`` (ops/J = ops/s/W)."""
        return self.peak(precision) / self.power_max_w


@dataclass(frozen=True)
class ComputeSlot:
    """``count`` units of the catalog part ``hardware`` on a bus."""

    hardware: str
    count: int


@dataclass(frozen=True)
class BusPreset:
    """A satellite design: mass, power, thermal, terminals and compute payload (SI units).

    ``battery_capacity_wh`` is in watt-hours as in the data file (:attr:`battery_capacity_j`
    gives joules). ``compute_power_limited`` is true when the array at BOL cannot carry the
    compute at full power plus the housekeeping loads even in full sun.
    """

    name: str
    description: str
    constellations: tuple[str, ...]
    mass_kg: float
    array_area_m2: float
    cell_efficiency: float
    packing_factor: float
    battery_capacity_wh: float
    radiator_area_m2: float
    radiator_emissivity: float
    laser_terminals: int
    laser_terminal: str | None
    compute: tuple[ComputeSlot, ...]
    bus_load_w: float
    radio_load_w: float
    heater_load_w: float
    storage_bytes: float | None
    compute_power_limited: bool
    source: str
    date: str
    assumed: Mapping[str, str]
    notes: str = ""
    #: The catalog the payload names refer to (set by the loader; not part of equality).
    _parts: Mapping[str, Accelerator] = field(
        default_factory=lambda: MappingProxyType({}), repr=False, compare=False
    )

    def __hash__(self) -> int:
        return hash(("BusPreset", self.name))

    # -- payload ---------------------------------------------------------------------------

    def payload(self) -> tuple[tuple[Accelerator, int], ...]:
        """The compute payload as ``(Accelerator, count)`` pairs."""
        return tuple((self._parts[s.hardware], s.count) for s in self.compute)

    def compute_peak_ops_per_s(self, precision: str) -> float:
        """Summed dense peak of the payload at ``precision`` (parts without it count 0)."""
        key = _precision_key(precision)
        return float(sum(n * a.peak_ops_per_s.get(key, 0.0) for a, n in self.payload()))

    @property
    def compute_power_max_w(self) -> float:
        """Power of the whole payload at its maximum (W)."""
        return float(sum(n * a.power_max_w for a, n in self.payload()))

    @property
    def compute_power_idle_w(self) -> float:
        """Power of the whole payload when idle (W)."""
        return float(sum(n * a.power_idle_w for a, n in self.payload()))

    @property
    def compute_mass_kg(self) -> float:
        """Mass of the payload's parts (kg)."""
        return float(sum(n * a.mass_kg for a, n in self.payload()))

    @property
    def payload_heat_capacity_j_per_k(self) -> float:
        """Heat capacity of the payload thermal node: the parts' sum (J/K; 0 with no payload)."""
        return float(sum(n * a.heat_capacity_j_per_k for a, n in self.payload()))

    @property
    def payload_conductance_w_per_k(self) -> float:
        """Conductance of the payload node to the bus node: the parts' paths in parallel (W/K)."""
        return float(sum(n * a.thermal_conductance_w_per_k for a, n in self.payload()))

    @property
    def compute_memory_bytes(self) -> float:
        """Accelerator memory of the whole payload (bytes)."""
        return float(sum(n * a.memory_bytes for a, n in self.payload()))

    # -- power -----------------------------------------------------------------------------

    @property
    def housekeeping_load_w(self) -> float:
        """Bus, radio (including laser terminals) and heater loads together (W)."""
        return self.bus_load_w + self.radio_load_w + self.heater_load_w

    @property
    def battery_capacity_j(self) -> float:
        """Battery capacity in joules (``Wh x 3600``)."""
        return self.battery_capacity_wh * 3600.0

    def solar_power_bol_w(self, sunlit: Scalar = 1.0, cos: Scalar = 1.0) -> Scalar:
        """Array output at beginning of life, ``S A eta p x sunlit x cos`` (W).

        ``sunlit`` in [0, 1] is the fraction of the Sun's disc seen (see
        :func:`spacecompute.sunlit_fraction`), ``cos`` in [0, 1] the cosine of the Sun's angle
        of incidence on the array. Both broadcast; a scalar input gives a float.
        """
        f = _unit_interval(sunlit, "sunlit")
        c = _unit_interval(cos, "cos")
        area_term = self.array_area_m2 * self.cell_efficiency * self.packing_factor
        out = SOLAR_CONSTANT_W_M2 * area_term * f * c
        return float(out) if np.ndim(out) == 0 else out

    def power_margin_w(self, sunlit: Scalar = 1.0, cos: Scalar = 1.0) -> Scalar:
        """Solar BOL power minus the payload at maximum and the housekeeping loads (W)."""
        need = self.compute_power_max_w + self.housekeeping_load_w
        return self.solar_power_bol_w(sunlit, cos) - need

    @property
    def power_per_mass_w_per_kg(self) -> float:
        """Solar BOL power in full sun per kilogram of satellite (W/kg)."""
        return float(self.solar_power_bol_w()) / self.mass_kg

    @property
    def compute_power_per_mass_w_per_kg(self) -> float:
        """Payload maximum power per kilogram of satellite (W/kg; 100 W/kg = 100 kW/t)."""
        return self.compute_power_max_w / self.mass_kg


#: Specific heat for a part's payload node where the catalog gives no heat capacity, J/(kg K):
#: aluminium (900) and FR-4 boards (about 1,100) (Gilmore, Spacecraft Thermal Control Handbook
#: vol. 1 (2002), table A.2); the Tiansuan Raspberry Pi 4B fit (docs/spacecraft.md) gives
#: 17 J/K for a 46 g board, about 370 J/(kg K), so this errs on the slow side.
PAYLOAD_SPECIFIC_HEAT_J_PER_KG_K = 900.0
#: Temperature of a part's payload node above the bus node at full power where the catalog gives
#: no conductance, K (``G = power_max_w / 40 K``): between a flight cold plate (about 20 K) and
#: the Tiansuan Raspberry Pi 4B on BUPT-1, 62 K at 4.8 W with no heat sink (docs/spacecraft.md).
PAYLOAD_RISE_AT_FULL_POWER_K = 40.0


def _payload_thermal_assumed(m: AcceleratorModel) -> dict[str, str]:
    """The entry's ``assumed`` plus the payload-node values taken from the default rules."""
    out = dict(m.assumed)
    if m.heat_capacity_j_per_k is None:
        out.setdefault(
            "heat_capacity_j_per_k",
            f"Not published; mass_kg x {PAYLOAD_SPECIFIC_HEAT_J_PER_KG_K:g} J/(kg K) (aluminium "
            "and circuit board, Gilmore 2002 table A.2).",
        )
    if m.thermal_conductance_w_per_k is None:
        out.setdefault(
            "thermal_conductance_w_per_k",
            f"Not published; power_max_w / {PAYLOAD_RISE_AT_FULL_POWER_K:g} K (the part "
            f"{PAYLOAD_RISE_AT_FULL_POWER_K:g} K above the bus at full power).",
        )
    return out


def ops_per_joule(acc: Accelerator, precision: str) -> float:
    """Peak operations per joule of ``acc`` at ``precision`` and maximum power (ops/J).

    ``1e12`` ops/J is 1 TOPS/W. An H100 SXM gives 1,979 TFLOPS FP8 / 700 W = 2.8e12.
    """
    return acc.ops_per_joule(precision)


def _precision_key(precision: str) -> str:
    key = str(precision).strip().lower()
    if key not in PRECISIONS:
        close = difflib.get_close_matches(key, PRECISIONS, n=2, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise InputError(
            f"unknown precision {precision!r}{hint}",
            field="precision",
            expected=f"one of {list(PRECISIONS)}",
        )
    return key


def _unit_interval(value: Any, field: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"not a number: {value!r}", field=field, expected="a number") from None
    if not np.all(np.isfinite(arr) & (arr >= 0.0) & (arr <= 1.0)):
        raise InputError(f"out of range: {value!r}", field=field, expected="values in [0, 1]")
    return arr


# ---------------------------------------------------------------------------------------------
# File schema (pydantic v2; unknown keys are errors)
# ---------------------------------------------------------------------------------------------


def _date_to_text(value: Any) -> Any:
    """YAML reads an unquoted 2024-05-28 as a date; accept it as its ISO text."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _number(value: Any) -> Any:
    """PyYAML (YAML 1.1) reads ``1.979e15`` as text; accept numeric text as a number."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


Text = Annotated[str, Field(min_length=1)]
DateText = Annotated[str, BeforeValidator(_date_to_text), Field(pattern=_DATE_PATTERN)]
Positive = Annotated[float, BeforeValidator(_number), Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, BeforeValidator(_number), Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, BeforeValidator(_number), Field(gt=0, le=1, allow_inf_nan=False)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    description: str = ""
    source: Text = Field(description="where the values come from (document title or URL)")
    date: DateText = Field(
        description="publication date of the source: YYYY, YYYY-MM or YYYY-MM-DD"
    )
    assumed: dict[str, Text] = Field(default_factory=dict)
    notes: str = ""

    @field_validator("assumed")
    @classmethod
    def _reasons_are_reasons(cls, value: dict[str, str]) -> dict[str, str]:
        for key, reason in value.items():
            if len(reason.strip()) < 12:
                raise ValueError(
                    f"assumed.{key}: the reason {reason!r} is too short to be a reason"
                )
        return value

    def _check_assumed_keys(self) -> None:
        data = self.model_dump()
        allowed = sorted(k for k in type(self).model_fields if k not in _META_KEYS)
        for key in self.assumed:
            head, _, sub = key.partition(".")
            if head not in allowed:
                close = difflib.get_close_matches(head, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"assumed names {key!r}, which is not a value of this entry{hint}")
            if sub and not (isinstance(data[head], dict) and sub in data[head]):
                raise ValueError(f"assumed names {key!r}, but {head} has no {sub!r}")


class AcceleratorModel(_Entry):
    """One ``accelerators:`` entry of ``hardware.yaml``."""

    vendor: Text
    peak_ops_per_s: dict[str, Positive] = Field(description="dense peaks by precision, ops/s")
    memory_bytes: Positive
    power_idle_w: NonNegative
    power_max_w: Positive
    mass_kg: Positive
    radiation_device: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")]
    tid_tolerance_rad: Positive | None = None
    heat_capacity_j_per_k: Positive | None = None
    thermal_conductance_w_per_k: Positive | None = None

    @field_validator("peak_ops_per_s")
    @classmethod
    def _known_precisions(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise ValueError(f"no peak given (expected at least one of {list(PRECISIONS)})")
        for key in value:
            if key not in PRECISIONS:
                close = difflib.get_close_matches(key, PRECISIONS, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ValueError(
                    f"unknown precision {key!r}{hint} (expected one of {list(PRECISIONS)})"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> AcceleratorModel:
        if self.power_idle_w > self.power_max_w:
            raise ValueError(
                f"power_idle_w ({self.power_idle_w}) exceeds power_max_w ({self.power_max_w})"
            )
        self._check_assumed_keys()
        return self


class ComputeSlotModel(BaseModel):
    """One ``compute:`` item of a bus: a catalog part and how many."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hardware: Text
    count: Annotated[int, Field(ge=1)]


class BusModel(_Entry):
    """One ``buses:`` entry of ``hardware.yaml``."""

    constellations: list[Text] = Field(default_factory=list)
    mass_kg: Positive
    array_area_m2: Positive
    cell_efficiency: Annotated[float, BeforeValidator(_number), Field(gt=0, le=0.5)]
    packing_factor: Fraction
    battery_capacity_wh: NonNegative
    radiator_area_m2: Positive
    radiator_emissivity: Fraction
    laser_terminals: Annotated[int, Field(ge=0)]
    laser_terminal: Text | None = None
    compute: list[ComputeSlotModel] = Field(default_factory=list)
    bus_load_w: NonNegative
    radio_load_w: NonNegative
    heater_load_w: NonNegative
    storage_bytes: Positive | None = None
    compute_power_limited: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> BusModel:
        if self.laser_terminal is not None and self.laser_terminals == 0:
            raise ValueError("laser_terminal is named but laser_terminals is 0")
        self._check_assumed_keys()
        return self


class CatalogFile(BaseModel):
    """The whole ``hardware.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accelerators: list[AcceleratorModel] = Field(min_length=1)
    buses: list[BusModel] = Field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------


class Catalog(NamedTuple):
    """A loaded catalog: parts and buses by name, in file order."""

    accelerators: dict[str, Accelerator]
    buses: dict[str, BusPreset]
    file: str


def catalog_path() -> Path:
    """Path of the built-in ``hardware.yaml``."""
    return Path(str(resources.files("spacecompute") / "data" / _CATALOG_FILE))


_format_path = format_path


def _line_of(lines: dict, path: tuple) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _parse(text: str, file: str, packaged: bool = False) -> tuple[Any, dict]:
    """YAML data and the line of every key path (:mod:`spacecompute.yamlio`: syntax errors and
    duplicate keys are reported with their lines)."""
    located = load_yaml_text(text, file, packaged=packaged)
    if not isinstance(located.data, dict):
        raise InputError(
            "not a mapping", file=file, expected="a mapping with 'accelerators' and 'buses'"
        )
    return located.data, located.lines


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return sorted(model.model_fields)


def _model_for(loc: tuple) -> type[BaseModel] | None:
    """The model whose keys are at ``loc`` (a pydantic location without the final key)."""
    if not loc:
        return CatalogFile
    head = loc[0]
    if head == "accelerators" and len(loc) == 2:
        return AcceleratorModel
    if head == "buses" and len(loc) == 2:
        return BusModel
    if head == "buses" and len(loc) == 4 and loc[2] == "compute":
        return ComputeSlotModel
    return None


def _problems(error: ValidationError, data: Any, lines: dict, file: str) -> list[Problem]:
    problems: list[Problem] = []
    for err in error.errors(include_url=False):
        loc = tuple(err["loc"])
        kind = err["type"]
        msg = err["msg"]
        expected = None
        if kind == "extra_forbidden":
            parent = _model_for(loc[:-1])
            allowed = _allowed_keys(parent) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            msg = f"unknown key {loc[-1]!r}" + (f"; did you mean {close[0]!r}?" if close else "")
            expected = "one of " + ", ".join(allowed) if allowed else None
        elif kind == "missing":
            msg = "required key is missing"
            parent = _model_for(loc[:-1])
            info = parent.model_fields.get(str(loc[-1])) if parent else None
            expected = info.description if info is not None and info.description else None
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        else:
            got = err.get("input")
            if not isinstance(got, dict | list):
                msg = f"{msg} (got {got!r})"
        field = _format_path(loc)
        name = _entry_name(data, loc)
        if name:
            msg = f"{name}: {msg}"
        problems.append(
            Problem(
                msg, file=file, line=_line_of(lines, loc), field=field or None, expected=expected
            )
        )
    return problems


def _entry_name(data: Any, loc: tuple) -> str | None:
    if len(loc) >= 2 and isinstance(data, dict):
        items = data.get(loc[0])
        if isinstance(items, list) and isinstance(loc[1], int) and 0 <= loc[1] < len(items):
            item = items[loc[1]]
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                return item["name"]
    return None


def load_catalog(path: str | os.PathLike | None = None) -> Catalog:
    """Read and validate a hardware catalog file (the built-in one when ``path`` is None).

    Checks, each reported as an :class:`InputError` problem with file, line and field: the schema
    (unknown or missing keys, types, ranges, every entry's ``source`` and ``date``), ``assumed``
    keys naming real values, unique names, payload parts that exist in the catalog, each
    constellation on at most one bus, and ``compute_power_limited`` agreeing with the power
    budget (true exactly when BOL solar power in full sun is below payload maximum plus loads).
    """
    p = catalog_path() if path is None else Path(path)
    file = str(p)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "file not found", file=file, expected="a hardware catalog YAML file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=file) from None
    data, lines = _parse(text, file, packaged=path is None)
    try:
        doc = CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(problems=_problems(exc, data, lines, file)) from None

    problems: list[Problem] = []

    def problem(msg: str, loc: tuple, expected: str | None = None) -> None:
        problems.append(
            Problem(
                msg,
                file=file,
                line=_line_of(lines, loc),
                field=_format_path(loc),
                expected=expected,
            )
        )

    parts: dict[str, Accelerator] = {}
    for i, m in enumerate(doc.accelerators):
        if m.name in parts:
            problem(f"duplicate name {m.name!r}", ("accelerators", i, "name"), "unique names")
            continue
        parts[m.name] = Accelerator(
            name=m.name,
            vendor=m.vendor,
            description=m.description,
            peak_ops_per_s=MappingProxyType(
                {k: float(m.peak_ops_per_s[k]) for k in PRECISIONS if k in m.peak_ops_per_s}
            ),
            memory_bytes=float(m.memory_bytes),
            power_idle_w=float(m.power_idle_w),
            power_max_w=float(m.power_max_w),
            mass_kg=float(m.mass_kg),
            radiation_device=m.radiation_device,
            tid_tolerance_rad=None if m.tid_tolerance_rad is None else float(m.tid_tolerance_rad),
            source=" ".join(m.source.split()),
            date=m.date,
            assumed=MappingProxyType(_payload_thermal_assumed(m)),
            notes=" ".join(m.notes.split()),
            heat_capacity_j_per_k=float(
                m.heat_capacity_j_per_k or m.mass_kg * PAYLOAD_SPECIFIC_HEAT_J_PER_KG_K
            ),
            thermal_conductance_w_per_k=float(
                m.thermal_conductance_w_per_k or m.power_max_w / PAYLOAD_RISE_AT_FULL_POWER_K
            ),
        )
    frozen_parts = MappingProxyType(parts)

    out: dict[str, BusPreset] = {}
    owner: dict[str, str] = {}
    for i, b in enumerate(doc.buses):
        where = ("buses", i)
        if b.name in out:
            problem(f"duplicate name {b.name!r}", (*where, "name"), "unique names")
            continue
        bad = False
        for j, slot in enumerate(b.compute):
            if slot.hardware not in parts:
                close = difflib.get_close_matches(slot.hardware, list(parts), n=3, cutoff=0.4)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                problem(
                    f"{b.name}: unknown hardware {slot.hardware!r}{hint}",
                    (*where, "compute", j, "hardware"),
                    "a name from the accelerators list",
                )
                bad = True
        for j, c in enumerate(b.constellations):
            if c in owner:
                problem(
                    f"{b.name}: constellation {c!r} already has bus {owner[c]!r}",
                    (*where, "constellations", j),
                    "each constellation preset on one bus",
                )
                bad = True
            owner.setdefault(c, b.name)
        if bad:
            continue
        preset = BusPreset(
            name=b.name,
            description=b.description,
            constellations=tuple(b.constellations),
            mass_kg=float(b.mass_kg),
            array_area_m2=float(b.array_area_m2),
            cell_efficiency=float(b.cell_efficiency),
            packing_factor=float(b.packing_factor),
            battery_capacity_wh=float(b.battery_capacity_wh),
            radiator_area_m2=float(b.radiator_area_m2),
            radiator_emissivity=float(b.radiator_emissivity),
            laser_terminals=int(b.laser_terminals),
            laser_terminal=b.laser_terminal,
            compute=tuple(ComputeSlot(s.hardware, int(s.count)) for s in b.compute),
            bus_load_w=float(b.bus_load_w),
            radio_load_w=float(b.radio_load_w),
            heater_load_w=float(b.heater_load_w),
            storage_bytes=None if b.storage_bytes is None else float(b.storage_bytes),
            compute_power_limited=bool(b.compute_power_limited),
            source=" ".join(b.source.split()),
            date=b.date,
            assumed=MappingProxyType(dict(b.assumed)),
            notes=" ".join(b.notes.split()),
            _parts=frozen_parts,
        )
        short = float(preset.power_margin_w()) < 0.0
        if short != preset.compute_power_limited:
            solar = float(preset.solar_power_bol_w())
            need = preset.compute_power_max_w + preset.housekeeping_load_w
            problem(
                f"{b.name}: BOL solar power {solar:.1f} W vs payload maximum plus loads "
                f"{need:.1f} W, but compute_power_limited is {preset.compute_power_limited}",
                (*where, "compute_power_limited"),
                f"compute_power_limited: {str(short).lower()}",
            )
            continue
        out[b.name] = preset
    if problems:
        raise InputError(problems=problems)
    return Catalog(accelerators=parts, buses=out, file=file)


@lru_cache(maxsize=1)
def _builtin() -> Catalog:
    return load_catalog(None)


# ---------------------------------------------------------------------------------------------
# Look-ups
# ---------------------------------------------------------------------------------------------


def _lookup(table: Mapping[str, Any], name: str, what: str, listing: str) -> Any:
    key = str(name).strip().lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.4)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InputError(
        f"unknown {what} {name!r}{hint}",
        field=what.replace(" ", "_"),
        expected=f"one of {', '.join(table)}",
    )


def hardware_catalog() -> dict[str, Accelerator]:
    """The built-in compute parts by name, in file order (a fresh dict; the parts are frozen)."""
    return dict(_builtin().accelerators)


def hardware(name: str) -> Accelerator:
    """The built-in compute part called ``name`` (case-insensitive).

    An unknown name raises :class:`InputError` with the closest names.
    """
    return _lookup(_builtin().accelerators, name, "hardware", "hardware_catalog()")


def buses() -> dict[str, BusPreset]:
    """The built-in satellite buses by name, in file order."""
    return dict(_builtin().buses)


def bus(name: str) -> BusPreset:
    """The built-in satellite bus called ``name``; unknown names raise :class:`InputError`."""
    return _lookup(_builtin().buses, name, "bus", "buses()")


def bus_for_constellation(preset_name: str) -> BusPreset:
    """The bus of the constellation preset ``preset_name`` (e.g. ``"starlink-shell1"``).

    Raises :class:`InputError` for a name no bus lists, with the closest preset names.
    """
    table = {c: b for b in _builtin().buses.values() for c in b.constellations}
    return _lookup(table, preset_name, "constellation preset", "the constellation presets")
