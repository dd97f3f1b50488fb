"""Everything a run builds, built once before it steps: the one path of ``validate`` and ``run``.

:func:`prepare_scenario` loads a scenario, builds its constellation (and checks its elements),
ground stations, link terminals and the engine configuration of its workload, then builds what
the engine is made of (fleet and bus, hardware and precision, terminals and radios, the area of
interest, the jobs) without stepping. ``spacecompute validate`` stops there; ``spacecompute run``
goes on with the same configurations. So a file ``validate`` accepts runs, and both report a
problem with the same words and the same ``file:line``: every problem raised while building is
located in the scenario file (:func:`locate`), the engine's configuration names translated to
the scenario's keys.

Sits with :mod:`spacecompute.runner` above :mod:`spacecompute.scenario` and :mod:`spacecompute.sim`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import InputError, Problem

#: Engine configuration names -> the scenario key they come from (see scenario/build.py).
CONFIG_KEYS: dict[str, str] = {
    "constellation": "constellation",
    "stations": "ground.stations",
    "start": "start",
    "duration_s": "duration_s",
    "step_s": "step_s",
    "propagator": "propagator",
    "policy": "policy",
    "seed": "seed",
    "bus": "spacecraft.bus",
    "shadow": "shadow",
    "scenario": "name",
    "memory_budget_bytes": "memory_budget_mib",
    "storage_bytes": "workload.storage_gb",
    "model": "workload.model",
    "cloud_fraction": "workload.cloud_fraction",
    "sensor": "workload.sensor",
    "aoi": "workload.aoi",
    "radio_terminal": "network.gsl_radio",
    "ground_terminal": "network.ground_terminal",
    "isl_terminal": "network.isl_terminal",
    "terminal": "network",
    "precision": "workload.precision",
    "rate_per_s_global": "workload.rate_per_s",
    "latency_objective_s": "workload.latency_objective_s",
    "timeout_s": "workload.timeout_s",
    "top_cities": "workload.top_cities",
    "min_elevation_deg": "workload.min_elevation_deg",
    "max_isl_hops": "workload.max_isl_hops",
    "max_access_satellites": "workload.max_access_satellites",
    "horizon_steps": "workload.horizon_steps",
    "job_rate_per_s": "workload.jobs_per_day",
    "jobs": "workload",
    "params_range": "workload.params_min",
    "tokens_per_param": "workload.tokens_per_param",
    "max_parallelism": "workload.max_parallelism",
    "deadline_slack": "workload.deadline_slack",
    "checkpoint_interval_s": "workload.checkpoint_interval_s",
    "altitude_m": "constellation",
}

#: Top-level keys of a scenario file (a problem's field that starts with one is already a key).
_SCENARIO_ROOTS = (
    "name",
    "description",
    "start",
    "duration_s",
    "step_s",
    "propagator",
    "shadow",
    "constellation",
    "ground",
    "network",
    "max_epoch_age_days",
    "memory_budget_mib",
    "spacecraft",
    "workload",
    "workloads",
    "arbiter",
    "policy",
    "compare",
    "seed",
    "checkpoint_every_steps",
)


def _scenario_key(problem_field: str | None) -> str:
    if not problem_field:
        return ""
    root = problem_field.split(".")[0].split("[")[0]
    if root in _SCENARIO_ROOTS and problem_field not in CONFIG_KEYS:
        return problem_field
    if problem_field in CONFIG_KEYS:
        return CONFIG_KEYS[problem_field]
    return CONFIG_KEYS.get(root, "")


def locate(problems: Sequence[Problem], loaded: Any) -> list[Problem]:
    """``problems`` raised while building ``loaded`` (a LoadedScenario), placed in its file.

    A problem that already names another file (an element file, a GeoJSON file) keeps it; the
    others get the scenario file, the scenario key they come from and that key's line (or its
    closest parent's, for a key the file leaves at its default)."""
    out = []
    for p in problems:
        if (p.file is not None and p.file != loaded.file) or (p.field or "").startswith("--"):
            out.append(p)  # another file's problem, or a command-line option's
            continue
        key = _scenario_key(p.field)
        field_name = key or p.field
        line = p.line if p.line is not None else (loaded.line_of(key) if key else None)
        out.append(replace(p, file=loaded.file, line=line, field=field_name))
    return out


@contextlib.contextmanager
def located_in(loaded: Any) -> Iterator[None]:
    """Re-raise an :class:`InputError` from the block with its problems located in ``loaded``."""
    try:
        yield
    except InputError as exc:
        raise InputError(problems=locate(exc.problems, loaded)) from None


@dataclass
class PreparedScenario:
    """A scenario ready to run: its engine configuration per policy and the function that runs
    them, the built constellation, and the warnings to show (``validate`` and ``run`` alike)."""

    loaded: Any
    settings: Any
    constellation: Any
    configs: dict[str, Any]
    run_fn: Callable[..., Any]
    warnings: list[Problem] = field(default_factory=list)

    @property
    def policies(self) -> list[str]:
        return list(self.configs)


def prepare_scenario(scenario: Any, policies: Sequence[Any] | None = None) -> PreparedScenario:
    """Load ``scenario`` (file, preset or a loaded scenario) and build everything a run builds,
    without stepping.

    ``policies`` (default: the scenario's ``policy`` and ``compare``): built-in names of its
    workload, ``module:Class``, entry-point names, classes or policy objects
    (:func:`resolve_policies`). Raises :class:`InputError` with every problem located in the
    scenario file.
    """
    from ._runtime import import_blas_lean
    from .scenario.loader import LoadedScenario, load_scenario

    import_blas_lean()  # before the first kernel below
    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    with located_in(loaded):
        chosen = resolve_policies(loaded, policies)
    problems: list[Problem] = []

    def stage(build: Callable[[], Any]) -> Any:
        """Run one build step; collect its problems, so that independent steps all report."""
        try:
            return build()
        except InputError as exc:
            problems.extend(p for p in locate(exc.problems, loaded) if p not in problems)
            return None

    built = stage(lambda: checked_constellation(loaded))
    constellation = built[1] if built is not None else None
    stage(lambda: _ground_and_links(loaded, constellation))
    engine = stage(lambda: _engine_configs(loaded, chosen)) if built is not None else None
    if problems or built is None or engine is None:
        raise InputError(problems=problems)
    settings, constellation, warnings = built
    configs, run_fn = engine
    return PreparedScenario(loaded, settings, constellation, configs, run_fn, warnings)


def resolve_policies(loaded: Any, policies: Sequence[Any] | None = None) -> list[Any]:
    """The policies of a run, each a built-in name or a checked user policy object: ``policies``
    when given (``--policy``; ``module:Class`` may then also live in the current directory),
    else the scenario's ``policy`` and ``compare`` list. Labels must be distinct folder names;
    every problem is raised at once as an :class:`InputError` naming the file and key."""
    from .scenario.build import scenario_policy

    spec = loaded.spec
    if spec.workloads is not None:  # a mix: its runs are labelled by their arbiters
        return list(policies) if policies else [spec.arbiter, *spec.compare]
    given = list(policies) if policies else [spec.policy, *spec.compare]
    extra = (Path.cwd(),) if policies else ()
    chosen: list[Any] = []
    problems: list[Problem] = []
    for i, p in enumerate(given):
        key = "--policy" if policies else ("policy" if i == 0 else f"compare[{i - 1}]")
        try:
            chosen.append(scenario_policy(loaded, p, field=key, search_path=extra))
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems=problems)
    names = [_policy_label(p) for p in chosen]
    if len(set(names)) != len(names):
        raise InputError(
            f"policies {names} repeat a name",
            file=loaded.file,
            field="--policy" if policies else "compare",
        )
    for name in names:
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise InputError(
                f"policy name {name!r}",
                file=loaded.file,
                field="policy",
                expected="a name usable as a folder",
            )
    return chosen


def _policy_label(policy: Any) -> str:
    """The label of a run: a built-in name, else the policy's ``name``."""
    return policy if isinstance(policy, str) else str(policy.name)


def checked_constellation(loaded: Any) -> tuple[Any, Any, list[Problem]]:
    """Run settings, the constellation (checked element by element and propagated at the run's
    first and last instants), and the warnings."""
    from .astro.checks import check_elements
    from .scenario.build import build_constellation, run_settings

    settings = run_settings(loaded)
    constellation, skipped = build_constellation(
        loaded.spec.constellation,
        loaded.base_dir,
        epoch=settings.start,
        memory_budget_bytes=int(loaded.spec.memory_budget_mib * 2**20),
    )
    end = settings.start + np.timedelta64(round(settings.duration_s * 1e9), "ns")
    checked = check_elements(
        constellation.elements,
        at_time=settings.start + (end - settings.start) // 2,
        max_epoch_age_days=settings.max_epoch_age_days,
    )
    errors = [p for p in checked if p.severity == "error"]
    if errors:
        raise InputError(problems=errors)
    errors = _propagation_problems(constellation, settings, end)
    if errors:
        raise InputError(problems=errors)
    warnings = [p for p in checked if p.severity != "error"]
    if skipped:
        warnings.append(
            Problem(
                f"skipped {len(skipped):,} bad element records",
                file=loaded.file,
                line=loaded.line_of("constellation"),
                field="constellation",
                severity="warning",
            )
        )
    return settings, constellation, warnings


def _propagation_problems(constellation: Any, settings: Any, end: np.datetime64) -> list[Problem]:
    """Satellites the propagator cannot place (SGP4 errors, decayed: altitude <= 0) at the
    run's first or last instant: the run would fail on them."""
    if len(constellation) == 0:
        return []
    times = np.array([settings.start, end], dtype="datetime64[ns]")
    eph = constellation.propagate(
        None,
        times=times,
        method=settings.propagator,
        velocities=False,
        memory_budget_bytes=max(settings.memory_budget_bytes, 2**31),
    )
    with np.errstate(invalid="ignore"):
        bad_at = ~(eph.valid & (eph.alt_m > 0.0))
    bad = bad_at.any(axis=0)
    if not bad.any():
        return []
    el = constellation.elements
    first = int(np.flatnonzero(bad)[0])
    instant = times[int(np.flatnonzero(bad_at[:, first])[0])]
    epoch_days = (el.epoch[first] - instant) / np.timedelta64(86400, "s")
    line = int(el.source_line[first])
    at = f" ({el.source_file}:{line})" if el.source_file and line else ""
    later = "later" if epoch_days > 0 else "earlier"
    return [
        Problem(
            f"{int(bad.sum()):,} of {len(constellation):,} satellites cannot be propagated "
            f"({settings.propagator}) at {np.datetime64(instant, 's')}Z, e.g. "
            f"{constellation.names[first]}{at}, whose elements' epoch is "
            f"{abs(epoch_days):,.1f} days {later}",
            field="start",
            expected=f"a run within about {settings.max_epoch_age_days:g} days of the "
            "elements' epochs (max_epoch_age_days)",
        )
    ]


def _ground_and_links(loaded: Any, constellation: Any) -> None:
    """The ground stations and the link terminals (their budgets need the constellation's
    altitude: without a constellation only the stations are built)."""
    from .scenario.build import build_ground, link_rates

    build_ground(loaded)
    if constellation is not None:
        link_rates(loaded, constellation)


def _engine_configs(loaded: Any, chosen: list[Any]) -> tuple[dict[str, Any], Callable[..., Any]]:
    """The engine configuration per policy label (they differ only in the policy), the first
    one built as the engine builds it."""
    from .scenario.build import workload_config

    if loaded.spec.workloads is not None:
        return _mixed_configs(loaded, chosen)
    first, run_fn = workload_config(loaded, chosen[0])
    _check_engine(loaded.spec.workload.kind, first)
    configs = {_policy_label(chosen[0]): first}
    for p in chosen[1:]:
        configs[_policy_label(p)] = replace(first, policy=p)
    return configs, run_fn


def _mixed_configs(loaded: Any, arbiters: list[Any]) -> tuple[dict[str, Any], Callable[..., Any]]:
    """A mix's configuration per arbiter: every workload built (its problems located at its
    item of ``workloads:``), the arbiters resolved, the workloads' clocks checked."""
    from .scenario.build import mix_item_config, mix_item_scenario, mixed_config
    from .sim.core import Core
    from .sim.mixed import build_workload, get_arbiter, run_mixed

    items, built, problems = [], [], []
    for i in range(len(loaded.spec.workloads)):
        try:
            items.append(mix_item_config(loaded, i))
            built.append(build_workload(items[-1].config))
        except InputError as exc:
            problems += _at_item(locate(exc.problems, mix_item_scenario(loaded, i)), loaded, i)
    resolved = {}
    for i, a in enumerate(arbiters):
        field = "arbiter" if i == 0 else f"compare[{i - 1}]"
        try:  # module:Class from the scenario's folder; labelled by its name, as policies
            obj = get_arbiter(a, search_path=(loaded.base_dir,), file=str(loaded.file), field=field)
        except InputError as exc:
            problems += exc.problems
            continue
        label = str(getattr(obj, "name", "") or _policy_label(a))
        if label in resolved:
            problems.append(
                Problem(
                    f"a second arbiter named {label!r}",
                    file=str(loaded.file),
                    line=loaded.line_of(field),
                    field=field,
                    expected="arbiters of distinct names (each run is a folder of that name)",
                )
            )
        resolved[label] = obj
    if problems:
        raise InputError(problems=problems)
    Core(built, share=lambda step, demands: [d.load for d in demands])  # same clock for all
    configs = {label: mixed_config(loaded, obj, items) for label, obj in resolved.items()}
    return configs, run_mixed


def _at_item(problems: list[Problem], loaded: Any, index: int) -> list[Problem]:
    """Problems of a mix's item built as a single-workload scenario, moved to its
    ``workloads[index]`` key (and that key's line)."""
    out = []
    for p in problems:
        key = p.field or ""
        if key == "workload" or key.startswith("workload."):
            key = f"workloads[{index}]" + key[len("workload") :]
        elif key == "policy":
            key = f"workloads[{index}].policy"
        line = loaded.line_of(key) if p.file == loaded.file and key else p.line
        out.append(replace(p, field=key, line=line))
    return out


def _check_engine(kind: str, config: Any) -> None:
    if kind == "inference":
        from .sim.service import check_service_config

        check_service_config(config)
    elif kind == "training":
        from .sim.training import check_training_config

        check_training_config(config)
    else:
        from .sim.engine import check_engine_config

        check_engine_config(config)


__all__ = [
    "CONFIG_KEYS",
    "PreparedScenario",
    "checked_constellation",
    "locate",
    "located_in",
    "prepare_scenario",
    "resolve_policies",
]
