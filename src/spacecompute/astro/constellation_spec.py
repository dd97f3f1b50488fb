"""The constellation part of the scenario schema (pydantic v2): Walker shells, clusters and
element-set files, and constellation preset files.

It sits in ``astro/`` (below ``sim/``) so that the engines can read constellation presets, which
are scenario fragments validated by this same schema, without importing the ``scenario/`` layer
above them. :mod:`spacecompute.scenario.schema` re-exports every name.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .constants import EARTH_RADIUS_WGS72_M, MU_WGS72_M3_S2

# Tolerance between a stated altitude and the one its mean motion implies (see check in WalkerSpec)
MEAN_MOTION_ALTITUDE_TOLERANCE_KM = 100.0


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


TimeLike = _dt.datetime | _dt.date | str


class WalkerSpec(_Strict):
    """A Walker delta or star shell (Walker 1984)."""

    total: Annotated[int, Field(ge=1, le=10_000_000, description="satellites in the shell")]
    planes: Annotated[int, Field(ge=1, description="orbit planes")]
    phasing: Annotated[int, Field(ge=0, description="Walker phasing factor F, 0..planes-1")] = 1
    altitude_km: Annotated[float, Field(ge=150.0, le=50_000.0, allow_inf_nan=False)]
    inclination_deg: (
        Annotated[float, Field(ge=0.0, le=180.0, allow_inf_nan=False)] | Literal["sso"]
    ) = Field(description="degrees, or 'sso' for the sun-synchronous inclination at this altitude")
    kind: Literal["delta", "star"] = "delta"
    raan_spread_deg: Annotated[float | None, Field(gt=0.0, le=360.0, allow_inf_nan=False)] = None
    raan_offset_deg: Annotated[float, Field(allow_inf_nan=False)] = 0.0
    mean_motion_rev_per_day: Annotated[
        float | None,
        Field(gt=0.0, allow_inf_nan=False, description="optional; checked against altitude_km"),
    ] = None
    name: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> WalkerSpec:
        if self.total % self.planes:
            raise ValueError(
                f"total {self.total} is not a multiple of planes {self.planes} "
                "(expected total = planes x satellites per plane)"
            )
        if self.phasing >= self.planes and self.planes > 1:
            raise ValueError(f"phasing {self.phasing} must be below planes ({self.planes})")
        if self.mean_motion_rev_per_day is not None:
            n_rad_s = self.mean_motion_rev_per_day * 2 * math.pi / 86400.0
            implied_km = ((MU_WGS72_M3_S2 / n_rad_s**2) ** (1 / 3) - EARTH_RADIUS_WGS72_M) / 1e3
            if abs(implied_km - self.altitude_km) > MEAN_MOTION_ALTITUDE_TOLERANCE_KM:
                raise ValueError(
                    f"mean motion {self.mean_motion_rev_per_day:g} rev/day implies a mean altitude of "
                    f"{implied_km:.0f} km, but the shell is stated at {self.altitude_km:g} km "
                    "(see Hypatia issue #33); drop mean_motion_rev_per_day or fix one of the two"
                )
        return self


class ElementsSpec(_Strict):
    """Satellites from an element-set file (TLE, 3LE, OMM JSON or OMM CSV)."""

    file: Annotated[str, Field(min_length=1, description="path, relative to the scenario file")]
    format: Literal["tle", "omm-json", "omm-csv"] | None = None
    name_pattern: str | None = None
    catalog_numbers: list[Annotated[int, Field(ge=0)]] | None = None
    skip_bad: bool = False
    source: str = ""


class ClusterSpec(_Strict):
    """A compact formation-flying cluster (see :mod:`spacecompute.astro.formation`)."""

    count: Annotated[int, Field(ge=1, le=100_000)]
    radius_m: Annotated[float, Field(gt=0.0, le=1.0e6, allow_inf_nan=False)]
    altitude_km: Annotated[float, Field(ge=150.0, le=50_000.0, allow_inf_nan=False)]
    inclination_deg: (
        Annotated[float, Field(ge=0.0, le=180.0, allow_inf_nan=False)] | Literal["sso"]
    ) = "sso"
    local_time_ascending_node_h: (
        Annotated[float, Field(ge=0.0, lt=24.0, allow_inf_nan=False)] | None
    ) = Field(
        default=6.0, description="sets the RAAN from the sun at the epoch; 6 or 18 is dawn-dusk"
    )
    raan_deg: Annotated[float, Field(allow_inf_nan=False)] | None = None
    name: str = "CLUSTER"


class ShellEntry(_Strict):
    """One entry of ``shells``: exactly one of ``walker``, ``elements`` or ``cluster``."""

    walker: WalkerSpec | None = None
    elements: ElementsSpec | None = None
    cluster: ClusterSpec | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ShellEntry:
        given = [k for k in ("walker", "elements", "cluster") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'walker', 'elements' or 'cluster'"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self


class ConstellationSpec(_Strict):
    """A constellation: a preset name, or a list of shells (Walker shells and element files)."""

    preset: str | None = None
    name: str = ""
    description: str = ""
    source: str = ""
    epoch: TimeLike | None = Field(
        default=None, description="epoch of generated Walker shells (default: the scenario start)"
    )
    shells: list[ShellEntry] | None = None

    @model_validator(mode="after")
    def _preset_or_shells(self) -> ConstellationSpec:
        if (self.preset is None) == (not self.shells):
            raise ValueError("give either 'preset' or a non-empty list of 'shells'")
        return self


class ConstellationFile(ConstellationSpec):
    """A constellation preset file: a :class:`ConstellationSpec` with ``shells`` (no ``preset``)."""


__all__ = [
    "MEAN_MOTION_ALTITUDE_TOLERANCE_KM",
    "ClusterSpec",
    "ConstellationFile",
    "ConstellationSpec",
    "ElementsSpec",
    "ShellEntry",
    "TimeLike",
    "WalkerSpec",
]
