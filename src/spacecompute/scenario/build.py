"""Turn validated scenario models into plain objects: Constellation, GroundStations, run settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..astro.constellation import Constellation
from ..astro.presets import (  # re-exported: the preset reader lives below sim/ (see astro/presets)
    build_constellation,
    ltan_raan_rad,
    preset_constellation,
)
from ..astro.timeutil import parse_time
from ..errors import InputError, Problem
from .loader import LoadedScenario


@dataclass(frozen=True)
class RunSettings:
    """Plain run settings taken from a scenario."""

    name: str
    description: str
    start: np.datetime64
    duration_s: float
    step_s: float
    propagator: str
    shadow: str
    max_epoch_age_days: float
    memory_budget_bytes: int


def run_settings(loaded: LoadedScenario) -> RunSettings:
    s = loaded.spec
    return RunSettings(
        name=s.name or Path(loaded.file).stem,
        description=s.description,
        start=parse_time(s.start, field="start"),
        duration_s=float(s.duration_s),
        step_s=float(s.step_s),
        propagator=s.propagator,
        shadow=s.shadow,
        max_epoch_age_days=float(s.max_epoch_age_days),
        memory_budget_bytes=int(s.memory_budget_mib * 2**20),
    )


def build_ground(loaded: LoadedScenario):
    """The scenario's ground stations as a :class:`~spacecompute.astro.ground.GroundStations`."""
    from ..astro.ground import GroundStations, city_stations, ground_stations, stations_from_latlon

    g = loaded.spec.ground
    parts = []
    if g.stations == "all":
        parts.append(ground_stations())
    elif isinstance(g.stations, list) and g.stations:
        parts.append(ground_stations(g.stations))
    if g.largest_cities:
        parts.append(city_stations(top=g.largest_cities))
    if g.custom:
        parts.append(
            stations_from_latlon(
                [c.lat_deg for c in g.custom],
                [c.lon_deg for c in g.custom],
                [c.alt_m for c in g.custom],
                [c.min_elevation_deg for c in g.custom],
                names=[c.name for c in g.custom],
            )
        )
    if not parts:
        return None
    stations = GroundStations.concat(parts) if len(parts) > 1 else parts[0]
    if g.min_elevation_deg is not None:
        from dataclasses import replace

        stations = replace(stations, min_elevation_deg=np.full(len(stations), g.min_elevation_deg))
    return stations


def link_rates(loaded: LoadedScenario, constellation: Constellation) -> dict:
    """ISL and ground-link rates for :class:`~spacecompute.network.topology.TopologyBuilder`.

    Each is a fixed rate when the scenario gives one, else a function of the link's length that
    evaluates the link budget of the scenario's terminals (:mod:`spacecompute.network.links`):
    the optical budget for ISLs, the radio budget (DVB-S2 MODCOD) for ground links, whose
    elevation follows from the slant range and the constellation's median altitude
    (law of cosines: sin(el) = ((R + h)^2 - R^2 - d^2) / (2 R d)); the rate is a function of
    the distance only, so its ITU-R attenuation is that of the reference site (Paris).
    """
    from ..astro.constants import EARTH_EQUATORIAL_RADIUS_M
    from ..astro.walker import altitude_from_mean_motion_m
    from ..network import links

    net = loaded.spec.network
    problems: list[Problem] = []

    def lookup(name: str, kind: str, key: str):
        try:
            found = links.terminal(name)
        except InputError as exc:
            problems.extend(
                Problem(p.message, file=loaded.file, field=f"network.{key}", expected=p.expected)
                for p in exc.problems
            )
            return None
        if found.kind != kind:
            problems.append(
                Problem(
                    f"{name!r} is a {found.kind} terminal",
                    file=loaded.file,
                    field=f"network.{key}",
                    expected=f"a {kind} terminal (spacecompute terminals)",
                )
            )
            return None
        return found

    isl_t = (
        lookup(net.isl_terminal, "optical", "isl_terminal") if net.isl_rate_bps is None else None
    )
    radio = lookup(net.gsl_radio, "radio", "gsl_radio") if net.gsl_rate_bps is None else None
    ground = (
        lookup(net.ground_terminal, "ground", "ground_terminal")
        if net.gsl_rate_bps is None
        else None
    )
    if problems:
        raise InputError(problems=problems)

    if isl_t is not None:

        def isl_rate(distance_m):
            return np.asarray(
                links.optical_link_budget(isl_t, isl_t, distance_m).rate_bps, dtype=np.float64
            )

    else:
        isl_rate = float(net.isl_rate_bps)

    if radio is not None:
        h = float(np.median(altitude_from_mean_motion_m(constellation.elements.mean_motion_rad_s)))
        r_e = EARTH_EQUATORIAL_RADIUS_M

        def gsl_rate(distance_m):
            d = np.maximum(np.asarray(distance_m, dtype=np.float64), 1.0)
            sin_el = np.clip(((r_e + h) ** 2 - r_e**2 - d * d) / (2.0 * r_e * d), -1.0, 1.0)
            elevation = np.rad2deg(np.arcsin(sin_el))
            rate = links.radio_link_budget(radio, ground, d, np.maximum(elevation, 0.0)).rate_bps
            return np.asarray(rate, dtype=np.float64)

    else:
        gsl_rate = float(net.gsl_rate_bps)
    return {"isl_rate_bps": isl_rate, "gsl_rate_bps": gsl_rate}


__all__ = [
    "RunSettings",
    "build_constellation",
    "build_ground",
    "link_rates",
    "ltan_raan_rad",
    "preset_constellation",
    "run_settings",
    "scenario_policy",
]


def engine_config(loaded: LoadedScenario, policy: Any = None):
    """The :class:`~spacecompute.sim.engine.EngineConfig` of an Earth-observation scenario for
    ``policy`` (default: the scenario's ``policy``)."""
    from ..sim.engine import DEFAULT_STATIONS, EngineConfig

    s = loaded.spec
    settings = run_settings(loaded)
    stations = build_ground(loaded)
    w = s.workload
    from ..workloads.eo import SensorModel

    sensor = SensorModel(
        pixels_across=w.sensor.pixels_across,
        pixels_along=w.sensor.pixels_along,
        pixel_pitch_m=w.sensor.pixel_pitch_um * 1e-6,
        focal_length_m=w.sensor.focal_length_mm * 1e-3,
        bits_per_pixel=w.sensor.bits_per_pixel,
        bands=w.sensor.bands,
    )
    aoi: object = w.aoi
    if w.aoi not in ("land", "all"):
        path = loaded.base_dir / w.aoi
        if not path.is_file():
            raise InputError(
                f"no such file: {w.aoi}",
                file=loaded.file,
                field="workload.aoi",
                expected="land, all, or a GeoJSON file (path relative to the scenario file)",
            )
        aoi = str(path)
    return EngineConfig(
        **_run_keys(loaded, policy),
        sensor=sensor,
        aoi=aoi,
        stations=DEFAULT_STATIONS if stations is None else stations,
        storage_bytes=None if w.storage_gb is None else float(w.storage_gb) * 1e9,
        model=w.model,
        cloud_fraction=float(w.cloud_fraction),
        radio_terminal=s.network.gsl_radio,
        ground_terminal=s.network.ground_terminal,
        shadow=settings.shadow,
        memory_budget_bytes=settings.memory_budget_bytes
        if "memory_budget_mib" in s.model_fields_set
        else None,
    )


def _dated_preset_bus(loaded: LoadedScenario) -> str | None:
    """The bus of a constellation preset given its own epoch (built here, so the engines cannot
    look its bus up by the preset's name), else None."""
    c = loaded.spec.constellation
    if c.preset is None or c.epoch is None:
        return None
    from ..spacecraft.hardware import bus_for_constellation

    return bus_for_constellation(c.preset).name


def _preset_or_shells(loaded: LoadedScenario, start: np.datetime64):
    """The scenario's constellation as the engines take it: a preset name (the engines date
    its Walker shells and clusters at the run's start), or a built :class:`Constellation` (shells,
    or a preset given its own ``constellation.epoch``, which must not be lost; it flies the bus of
    ``spacecraft.bus`` or of its preset)."""
    s = loaded.spec
    if s.constellation.preset is not None and s.constellation.epoch is None:
        return s.constellation.preset
    if s.spacecraft.bus is None and s.constellation.preset is None:
        raise InputError(
            "a constellation built from shells needs a bus for its satellites",
            file=loaded.file,
            field="spacecraft.bus",
            expected="a bus preset of the hardware catalog (e.g. threebody, starlink-v1)",
        )
    constellation, _ = build_constellation(
        s.constellation,
        loaded.base_dir,
        epoch=start,
        memory_budget_bytes=int(s.memory_budget_mib * 2**20),
    )
    return constellation


def scenario_policy(
    loaded: LoadedScenario,
    policy: Any = None,
    *,
    field: str | None = None,
    search_path: tuple[Path, ...] = (),
) -> Any:
    """``policy`` (default: the scenario's ``policy``) as an engine takes it: a built-in name
    as is, a user policy (``module:Class`` from the scenario's folder, then ``search_path``,
    then the environment; an entry-point name, a class or an object) resolved and checked,
    errors naming the file."""
    from ..scheduling import policy_names
    from ..scheduling.custom import resolve_policy

    s = loaded.spec
    chosen = s.policy if policy is None else policy
    kind = s.workload.kind
    if isinstance(chosen, str) and chosen in policy_names(kind):
        return chosen
    return resolve_policy(
        chosen,
        kind,
        search_path=[loaded.base_dir, *search_path],
        file=loaded.file,
        field=field or "policy",
        builtins=policy_names(kind),
    )


def _run_keys(loaded: LoadedScenario, policy: Any) -> dict:
    """The configuration keys every engine shares, from the scenario."""
    s = loaded.spec
    settings = run_settings(loaded)
    return {
        "constellation": _preset_or_shells(loaded, settings.start),
        "bus": s.spacecraft.bus or _dated_preset_bus(loaded),
        "start": str(np.datetime64(settings.start, "ns")) + "Z",
        "duration_s": settings.duration_s,
        "step_s": settings.step_s,
        "propagator": settings.propagator,
        "policy": scenario_policy(loaded, policy),
        "seed": int(s.seed),
        "scenario": settings.name,
    }


def service_config(loaded: LoadedScenario, policy: Any = None):
    """The :class:`~spacecompute.sim.service.ServiceConfig` of an inference scenario."""
    from ..sim.service import ServiceConfig

    w = loaded.spec.workload
    return ServiceConfig(
        **_run_keys(loaded, policy),
        model=w.model,
        precision=w.precision,
        rate_per_s_global=float(w.rate_per_s),
        latency_objective_s=float(w.latency_objective_s),
        timeout_s=float(w.timeout_s),
        top_cities=int(w.top_cities),
        min_elevation_deg=float(w.min_elevation_deg),
        max_isl_hops=int(w.max_isl_hops),
        max_access_satellites=w.max_access_satellites,
        horizon_steps=int(w.horizon_steps),
    )


def training_config(loaded: LoadedScenario, policy: Any = None):
    """The :class:`~spacecompute.sim.training.TrainingConfig` of a training scenario."""
    from ..sim.training import TrainingConfig

    s = loaded.spec
    w = s.workload
    keys = _run_keys(loaded, policy)
    source = keys["constellation"]
    n = len(preset_constellation(source) if isinstance(source, str) else source)
    if w.max_parallelism > n:
        raise InputError(
            f"max_parallelism {w.max_parallelism} is above the cluster's {n} satellites",
            file=loaded.file,
            field="workload.max_parallelism",
            expected=f"at most {n} (a job spans at most every satellite)",
        )
    return TrainingConfig(
        **keys,
        job_rate_per_s=float(w.jobs_per_day) / 86400.0,
        params_range=(float(w.params_min), float(w.params_max)),
        tokens_per_param=float(w.tokens_per_param),
        max_parallelism=int(w.max_parallelism),
        deadline_slack=float(w.deadline_slack),
        precision=w.precision,
        checkpoint_interval_s=float(w.checkpoint_interval_s),
        isl_terminal=s.network.isl_terminal
        if "isl_terminal" in s.network.model_fields_set
        else None,
    )


def workload_config(loaded: LoadedScenario, policy: Any = None):
    """The engine configuration of the scenario's workload kind, and the function that runs it:
    ``(config, run)`` with ``run(config, out_dir=None, *, checkpoint=None, progress=None)``."""
    kind = loaded.spec.workload.kind
    if kind == "inference":
        from ..sim.service import run_service

        return service_config(loaded, policy), run_service
    if kind == "training":
        from ..sim.training import run_training

        return training_config(loaded, policy), run_training
    from ..sim.engine import run_engine

    return engine_config(loaded, policy), run_engine


def batch_config(loaded: LoadedScenario, policy: Any = None):
    """The :class:`~spacecompute.sim.batch.BatchConfig` of a scenario whose workload is a batch
    item (in a mix)."""
    from ..sim.batch import BatchConfig

    s = loaded.spec
    w = s.workload
    settings = run_settings(loaded)
    keys = {
        "constellation": _preset_or_shells(loaded, settings.start),
        "bus": s.spacecraft.bus or _dated_preset_bus(loaded),
        "start": str(np.datetime64(settings.start, "ns")) + "Z",
        "duration_s": settings.duration_s,
        "step_s": settings.step_s,
        "propagator": settings.propagator,
        "policy": policy or s.policy,
        "seed": int(s.seed),
        "scenario": settings.name,
    }
    return BatchConfig(
        **keys,
        rate_per_s=float(w.jobs_per_hour) / 3600.0,
        ops_range=(float(w.ops_min), float(w.ops_max)),
        deadline_slack=float(w.deadline_slack),
        precision=w.precision,
    )


#: Default policy of each workload kind in a mix (the single-workload engines' defaults).
MIX_DEFAULT_POLICIES = {
    "earth-observation": "energy-aware",
    "inference": "isl-offload",
    "training": "optimising",
    "batch": "least-loaded",
}


def mix_item_scenario(loaded: LoadedScenario, index: int) -> LoadedScenario:
    """Item ``index`` of ``workloads:`` as a single-workload scenario (its ``workload`` and
    ``policy``), so that the single-workload builders make its engine configuration."""
    from dataclasses import replace

    s = loaded.spec
    item = s.workloads[index]
    spec = s.model_copy(
        update={
            "workload": item,
            "policy": item.policy or MIX_DEFAULT_POLICIES[item.kind],
            "workloads": None,
            "compare": [],
        }
    )
    return replace(loaded, spec=spec)


def mix_item_config(loaded: LoadedScenario, index: int):
    """The :class:`~spacecompute.sim.mixed.MixedWorkload` of item ``index`` of ``workloads:``."""
    from ..sim.mixed import MixedWorkload

    item = loaded.spec.workloads[index]
    sub = mix_item_scenario(loaded, index)
    config = batch_config(sub) if item.kind == "batch" else workload_config(sub)[0]
    priority = index if item.priority is None else int(item.priority)
    return MixedWorkload(config, item.name, priority, float(item.weight))


def mixed_config(loaded: LoadedScenario, arbiter: Any = None, items: Any = None):
    """The :class:`~spacecompute.sim.mixed.MixedConfig` of a scenario with ``workloads:``
    (``arbiter``: default the scenario's; ``items``: the built MixedWorkloads, if already
    built)."""
    from ..sim.mixed import MixedConfig

    s = loaded.spec
    if items is None:
        items = [mix_item_config(loaded, i) for i in range(len(s.workloads))]
    return MixedConfig(
        tuple(items),
        arbiter=s.arbiter if arbiter is None else arbiter,
        scenario=run_settings(loaded).name,
        seed=int(s.seed),
    )
