"""The scenario file schema (pydantic v2). Unknown keys are errors, so typos never pass silently.

User-facing keys carry their unit (``altitude_km``, ``inclination_deg``, ``duration_s``). Models
here live only at the edge: :mod:`spacecompute.scenario.build` turns them into plain objects.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..astro.constellation_spec import (  # noqa: F401  (re-exported: the scenario schema)
    MEAN_MOTION_ALTITUDE_TOLERANCE_KM,
    ClusterSpec,
    ConstellationFile,
    ConstellationSpec,
    ElementsSpec,
    ShellEntry,
    TimeLike,
    WalkerSpec,
    _Strict,
)
from ..workloads.batch import MAX_MODEL_PARAMS


class StationSpec(_Strict):
    name: Annotated[str, Field(min_length=1)]
    lat_deg: Annotated[float, Field(ge=-90.0, le=90.0, allow_inf_nan=False)]
    lon_deg: Annotated[float, Field(ge=-180.0, le=360.0, allow_inf_nan=False)]
    alt_m: Annotated[float, Field(ge=-500.0, le=10_000.0, allow_inf_nan=False)] = 0.0
    min_elevation_deg: Annotated[float, Field(ge=-5.0, le=90.0, allow_inf_nan=False)] = 10.0


class GroundSpec(_Strict):
    """Ground segment: built-in stations by name (or ``all``), cities, and custom stations."""

    stations: Literal["all", "none"] | list[str] = "all"
    largest_cities: Annotated[int, Field(ge=0, le=10_000)] = 0
    custom: list[StationSpec] = []  # noqa: RUF012  (pydantic copies defaults)
    min_elevation_deg: Annotated[float | None, Field(ge=-5.0, le=90.0, allow_inf_nan=False)] = None


class NetworkSpec(_Strict):
    """Link equipment: terminals from the catalog (``spacecompute terminals``) set link rates."""

    isl_terminal: str = Field(
        default="tesat-scot80", description="optical terminal of every satellite"
    )
    gsl_radio: str = Field(default="hiside-ka", description="satellite radio for ground links")

    @field_validator("isl_terminal")
    @classmethod
    def _optical_terminal(cls, value: str) -> str:
        from ..errors import InputError
        from ..network.links import terminal, terminals

        optical = list(terminals("optical"))
        try:
            known = terminal(value).kind == "optical"
        except InputError:
            known = False
        if not known:
            raise ValueError(
                f"unknown optical terminal {value!r} (expected one of {optical}; "
                "see spacecompute terminals)"
            )
        return value

    ground_terminal: str = Field(default="ka-ground-7m3", description="ground-station terminal")
    isl_rate_bps: Annotated[float | None, Field(gt=0.0, allow_inf_nan=False)] = Field(
        default=None, description="fixed ISL rate instead of the optical link budget"
    )
    gsl_rate_bps: Annotated[float | None, Field(gt=0.0, allow_inf_nan=False)] = Field(
        default=None, description="fixed ground-link rate instead of the radio link budget"
    )


class SensorSpec(_Strict):
    """A nadir push-frame camera (:class:`~spacecompute.workloads.eo.SensorModel`); the
    defaults are the cote study's camera."""

    pixels_across: Annotated[int, Field(ge=1, le=1_000_000)] = 4096
    pixels_along: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    pixel_pitch_um: Annotated[float, Field(gt=0.0, le=1000.0, allow_inf_nan=False)] = 1.1
    focal_length_mm: Annotated[float, Field(gt=0.0, le=100_000.0, allow_inf_nan=False)] = 200.0
    bits_per_pixel: Annotated[int, Field(ge=1, le=64)] = 8
    bands: Annotated[int, Field(ge=1, le=1000)] = 3


class EarthObservationSpec(_Strict):
    """Earth-observation workload (space edge computing): frames imaged over land in daylight,
    inference on board or on the ground (see :mod:`spacecompute.workloads.eo`)."""

    kind: Literal["earth-observation"] = "earth-observation"
    model: str = Field(default="yolov8n", description="image model of the model catalog")
    cloud_fraction: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.67
    storage_gb: Annotated[float | None, Field(ge=0.0, allow_inf_nan=False)] = Field(
        default=None, description="on-board storage per satellite (default: the bus's)"
    )
    aoi: Annotated[str, Field(min_length=1)] = Field(
        default="land",
        description="area of interest: land, all, or a GeoJSON file (relative to the scenario)",
    )
    sensor: SensorSpec = SensorSpec()

    @field_validator("model")
    @classmethod
    def _model_known(cls, value: str) -> str:
        from ..errors import InputError
        from ..workloads.inference import model_catalog

        try:
            spec = model_catalog()[value]
        except KeyError:
            names = sorted(k for k, m in model_catalog().items() if m.unit == "tile")
            raise ValueError(f"unknown model {value!r} (expected one of {names})") from None
        except InputError as exc:  # pragma: no cover - the shipped catalog is valid
            raise ValueError(exc.problems[0].message) from None
        if spec.unit != "tile":
            raise ValueError(f"model {value!r} is not an image model")
        return value


class SpacecraftSpec(_Strict):
    """The satellites' bus: a preset of the hardware catalog (``spacecompute`` hardware.yaml)."""

    bus: str | None = Field(
        default=None, description="bus preset (default: the constellation preset's own bus)"
    )

    @field_validator("bus")
    @classmethod
    def _bus_known(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from ..spacecraft.hardware import buses

        names = sorted(buses())
        if value not in names:
            raise ValueError(f"unknown bus {value!r} (expected one of {names})")
        return value


class InferenceServiceSpec(_Strict):
    """Inference service (orbital cloud): requests from users in the most populous cities, by
    local time of day, served by a visible or laser-reachable satellite
    (:mod:`spacecompute.sim.service`)."""

    kind: Literal["inference"]
    model: str = Field(default="llm-8b", description="model of the model catalog")
    precision: str = "fp16"
    rate_per_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        default=500.0, description="requests per second, worldwide, daily mean"
    )
    latency_objective_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 5.0
    timeout_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 30.0
    top_cities: Annotated[int, Field(ge=1, le=10_000)] = 300
    min_elevation_deg: Annotated[float, Field(ge=0.0, le=90.0, allow_inf_nan=False)] = 25.0
    max_isl_hops: Annotated[int, Field(ge=0, le=64)] = 2
    max_access_satellites: Annotated[int, Field(ge=1)] | None = Field(
        default=None,
        description="a city reaches the mesh through at most this many of its visible "
        "satellites, the highest (default: all)",
    )
    horizon_steps: Annotated[int, Field(ge=1, le=10_000)] = Field(
        default=2, description="look-ahead of the optimising policy (steps)"
    )


class TrainingSpec(_Strict):
    """Distributed training jobs (data parallel with ring all-reduce over the laser links) on a
    cluster of satellites (:mod:`spacecompute.sim.training`)."""

    kind: Literal["training"]
    jobs_per_day: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 200.0
    params_min: Annotated[
        float,
        Field(
            gt=0.0,
            le=MAX_MODEL_PARAMS,
            allow_inf_nan=False,
            description="parameters of the smallest model (at most 1e15)",
        ),
    ] = 1e9
    params_max: Annotated[
        float,
        Field(
            gt=0.0,
            le=MAX_MODEL_PARAMS,
            allow_inf_nan=False,
            description="parameters of the largest model (at most 1e15)",
        ),
    ] = 1e10
    tokens_per_param: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 20.0
    max_parallelism: Annotated[int, Field(ge=1)] = 64
    deadline_slack: Annotated[float, Field(ge=1.0, allow_inf_nan=False)] = 2.0
    precision: str = "bf16"
    checkpoint_interval_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 60.0

    @model_validator(mode="after")
    def _range(self) -> TrainingSpec:
        if self.params_max < self.params_min:
            raise ValueError("params_max < params_min")
        return self


WorkloadSpec = Annotated[
    EarthObservationSpec | InferenceServiceSpec | TrainingSpec, Field(discriminator="kind")
]


class BatchSpec(_Strict):
    """Batch jobs that fill spare payload time (only in a mix, ``workloads:``;
    :mod:`spacecompute.sim.batch`): Poisson arrivals, log-uniform work, one satellite each."""

    kind: Literal["batch"]
    jobs_per_hour: Annotated[float, Field(gt=0.0, le=1e6, allow_inf_nan=False)] = 36.0
    ops_min: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1e15
    ops_max: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1e18
    deadline_slack: Annotated[float, Field(ge=1.0, allow_inf_nan=False)] = 4.0
    precision: str = "int8"

    @model_validator(mode="after")
    def _range(self) -> BatchSpec:
        if self.ops_max < self.ops_min:
            raise ValueError("ops_max < ops_min")
        return self


class _MixFields(_Strict):
    """What an item of ``workloads:`` adds to a workload block: its own ``policy`` (default: the
    kind's default), ``priority`` (smaller first; default its place in the list) and ``weight``
    (> 0, default 1) for the arbiter, and a ``name`` (default eo, inference, training, batch)."""

    name: Annotated[str | None, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)] = None
    policy: str | None = Field(
        default=None, description="the workload's policy (built-in name, module:Class, ...)"
    )
    priority: int | None = None
    weight: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 1.0

    @field_validator("policy")
    @classmethod
    def _policy_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        from ..scheduling import policy_names
        from ..scheduling.custom import entry_point_names, is_reference

        kind = info.data.get("kind", "")
        names = ("least-loaded",) if kind == "batch" else policy_names(kind)
        if value in names or (
            kind != "batch" and (is_reference(value) or value in entry_point_names())
        ):
            return value
        raise ValueError(
            f"unknown policy {value!r} for the {kind} workload "
            f"(expected one of {sorted(names)}" + (", or module:Class)" if kind != "batch" else ")")
        )


class EarthObservationItem(_MixFields, EarthObservationSpec):
    """An Earth-observation workload in a mix."""


class InferenceServiceItem(_MixFields, InferenceServiceSpec):
    """An inference service in a mix."""


class TrainingItem(_MixFields, TrainingSpec):
    """Training jobs in a mix."""


class BatchItem(_MixFields, BatchSpec):
    """Batch jobs in a mix."""


MixItemSpec = Annotated[
    EarthObservationItem | InferenceServiceItem | TrainingItem | BatchItem,
    Field(discriminator="kind"),
]


class ScenarioSpec(_Strict):
    """A whole scenario file."""

    name: str = ""
    description: str = ""
    start: TimeLike = "2026-03-20T00:00:00Z"
    duration_s: Annotated[float, Field(ge=0.0, le=366 * 86400.0, allow_inf_nan=False)] = 86400.0
    step_s: Annotated[float, Field(gt=0.0, le=86400.0, allow_inf_nan=False)] = 60.0
    propagator: Literal["sgp4", "j2"] = "sgp4"
    shadow: Literal["conical", "cylindrical"] = "conical"
    constellation: ConstellationSpec
    ground: GroundSpec = GroundSpec()
    network: NetworkSpec = NetworkSpec()
    max_epoch_age_days: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 14.0
    memory_budget_mib: Annotated[float, Field(ge=16.0, allow_inf_nan=False)] = 2048.0
    spacecraft: SpacecraftSpec = SpacecraftSpec()
    workload: WorkloadSpec = EarthObservationSpec()
    workloads: Annotated[list[MixItemSpec], Field(min_length=1, max_length=8)] | None = Field(
        default=None,
        description="several workloads on one fleet (a mix), each with its own policy, "
        "priority and weight, shared by the arbiter; instead of workload: and policy:",
    )
    arbiter: str = Field(
        default="priority",
        description="a mix's arbiter (how each satellite is shared between the workloads)",
    )
    policy: str = Field(
        default="energy-aware",
        description="scheduling policy: a built-in name, module:Class (importable from the "
        "scenario's folder or the environment) or a name registered by an installed package",
    )
    compare: list[str] = Field(
        default=[], description="more policies run side by side with the same scenario"
    )
    seed: Annotated[int, Field(ge=0)] = 0
    checkpoint_every_steps: Annotated[int, Field(ge=0)] = Field(
        default=60, description="with --out: save the run's state every this many steps (0: never)"
    )

    @model_validator(mode="after")
    def _policies_known(self) -> ScenarioSpec:
        from ..scheduling import policy_names
        from ..scheduling.custom import entry_point_names, is_reference

        if self.workloads is not None:
            return self._mix_checked()

        names = policy_names(self.workload.kind)
        for p in [self.policy, *self.compare]:
            if p not in names and not is_reference(p) and p not in entry_point_names():
                installed = entry_point_names()
                raise ValueError(
                    f"unknown policy {p!r} for the {self.workload.kind} workload "
                    f"(expected one of {sorted(names)}"
                    + (f", an installed policy {list(installed)}" if installed else "")
                    + ", or module:Class)"
                )
        if len(set([self.policy, *self.compare])) != 1 + len(self.compare):
            raise ValueError("policy and compare name the same policy twice")
        return self

    def _mix_checked(self) -> ScenarioSpec:
        """A mix: no workload:/policy: beside workloads:, distinct names, known arbiters
        (``arbiter`` and the ``compare`` list, which then names other arbiters)."""
        from ..scheduling.custom import ARBITER_ENTRY_POINT_GROUP, entry_point_names, is_reference
        from ..sim.mixed import SHORT_NAMES, arbiter_names

        for key in ("workload", "policy"):
            if key in self.model_fields_set:
                raise ValueError(
                    f"give {key}: or workloads:, not both (in a mix each item of workloads: has "
                    "its own policy)"
                )
        names = [w.name or SHORT_NAMES[w.kind] for w in self.workloads or []]
        if len(set(names)) != len(names):
            raise ValueError(f"workloads {names} repeat a name: give each a distinct name:")
        known = arbiter_names()
        installed = entry_point_names(ARBITER_ENTRY_POINT_GROUP)
        for a in [self.arbiter, *self.compare]:
            if a not in known and a not in installed and not is_reference(a):
                raise ValueError(f"unknown arbiter {a!r} (expected one of {known} or module:Class)")
        if len(set([self.arbiter, *self.compare])) != 1 + len(self.compare):
            raise ValueError("arbiter and compare name the same arbiter twice")
        return self

    @field_validator("start")
    @classmethod
    def _start_is_time(cls, value: TimeLike) -> TimeLike:
        from ..astro.timeutil import parse_time
        from ..errors import InputError

        try:
            parse_time(value)
        except InputError as exc:
            raise ValueError(exc.problems[0].message + " (expected an ISO-8601 UTC time)") from None
        return value


__all__ = [
    "BatchSpec",
    "ClusterSpec",
    "ConstellationFile",
    "ConstellationSpec",
    "EarthObservationSpec",
    "ElementsSpec",
    "GroundSpec",
    "InferenceServiceSpec",
    "MixItemSpec",
    "NetworkSpec",
    "ScenarioSpec",
    "SensorSpec",
    "ShellEntry",
    "SpacecraftSpec",
    "StationSpec",
    "TrainingSpec",
    "WalkerSpec",
]
