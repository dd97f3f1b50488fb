"""``spacecompute run``: a scenario through the engine, one run per policy, side by side.

Sits above :mod:`spacecompute.scenario` and :mod:`spacecompute.sim` (it turns a validated
scenario into engine configurations and runs them). Output directory layout, for ``--out OUT``:

- one policy: ``OUT`` is a run directory (``summary.json``, ``jobs/steps/satellites.parquet``,
  ``report.html``);
- several (``policy`` plus ``compare``): ``OUT/<policy>/`` per policy and ``OUT/summary.json``
  listing them under ``policies`` (a comparison run: ``spacecompute compare OUT`` and
  ``spacecompute report OUT`` read it), with ``OUT/report.html`` over all policies.

Checkpoints: every ``checkpoint_every_steps`` steps each policy's state is saved in
``<run dir>/.checkpoint/state.npz`` (removed when its run completes). ``resume=True`` skips
policies whose run is complete and continues the others from their checkpoint; the results are
the same as those of an uninterrupted run. Without ``resume`` any old checkpoint is discarded.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._runtime import numba_threads_for
from .errors import InputError

#: ``progress(policy, steps_done, total_steps)``
ProgressFn = Callable[[str, int, int], None]


@dataclass
class ScenarioRun:
    """Summaries of a scenario's runs, by policy, in run order; ``path``: the output directory."""

    scenario: str
    workload: str
    policies: list[str]
    summaries: dict[str, dict[str, Any]]
    path: Path | None = None
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``run --json`` document: scenario, workload, policies, runs (policy -> summary),
        out (the output directory or null)."""
        return {
            "scenario": self.scenario,
            "workload": self.workload,
            "policies": list(self.policies),
            "runs": {p: self.summaries[p] for p in self.policies},
            "out": None if self.path is None else str(self.path),
        }


def _run_dirs(out_dir: Path | None, policies: Sequence[str]) -> dict[str, Path | None]:
    if out_dir is None:
        return {p: None for p in policies}
    if len(policies) == 1:
        return {policies[0]: out_dir}
    return {p: out_dir / p for p in policies}


def _policy_source(given: Any, policy: Any) -> str:
    """What identifies a policy in a checkpoint's fingerprint: the text it was given as, else
    its class and its settings (its own ``repr``, or its attributes before the run), so that a
    checkpoint of other settings is not resumed."""
    if isinstance(given, str):
        return given
    cls = type(policy)
    if cls.__repr__ is not object.__repr__:
        return f"{cls.__module__}.{cls.__qualname__}: {policy!r}"
    settings = sorted((k, repr(v)) for k, v in getattr(policy, "__dict__", {}).items())
    return f"{cls.__module__}.{cls.__qualname__}: {settings}"


def _policy_label(policy: Any) -> str:
    """The label of a run: a built-in name, else the policy's ``name``."""
    return policy if isinstance(policy, str) else str(policy.name)


def run_scenario(
    scenario: Any,
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    policies: Sequence[Any] | None = None,
    checkpoint_every: int | None = None,
    progress: ProgressFn | None = None,
    keep_results: bool = False,
) -> ScenarioRun:
    """Run ``scenario`` (file, preset or :class:`~spacecompute.scenario.loader.LoadedScenario`)
    for its ``policy`` and ``compare`` policies (or for ``policies`` when given: built-in names,
    ``module:Class``, entry-point names, classes or policy objects) and return the summaries;
    with ``out_dir`` write the run directories (and checkpoints, see the module docstring).
    ``keep_results``: also keep each run's tables (``ScenarioRun.results``)."""
    from .results.store import RunResult
    from .scenario.build import workload_config
    from .scenario.loader import LoadedScenario, load_scenario
    from .sim.checkpoint import Checkpointer, fingerprint
    from .sim.rundir import _json_value
    from .table import atomic_write_text

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    spec = loaded.spec
    given = list(policies) if policies else [spec.policy, *spec.compare]
    chosen = resolve_policies(loaded, policies)
    names = [_policy_label(p) for p in chosen]
    every = spec.checkpoint_every_steps if checkpoint_every is None else checkpoint_every
    out = None if out_dir is None else Path(out_dir)
    if resume and out is None:
        raise InputError("--resume needs --out DIR", field="--resume", expected="--out DIR")
    text = Path(loaded.file).read_text(encoding="utf-8")
    digest = hashlib.sha256((text + spec.model_dump_json()).encode()).hexdigest()
    dirs = _run_dirs(out, names)
    n_satellites = _satellite_count(loaded)
    run = ScenarioRun(spec.name or Path(loaded.file).stem, spec.workload.kind, names, {}, out)
    for policy, name, given_as in zip(chosen, names, given, strict=True):
        config, run_fn = workload_config(loaded, policy)
        run_dir = dirs[name]
        checkpoint = None
        if run_dir is not None:
            source = _policy_source(given_as, policy)
            checkpoint = Checkpointer(run_dir, int(every), fingerprint(f"{digest}\n{source}"))
            if resume and (run_dir / "summary.json").exists() and not checkpoint.path.exists():
                run.summaries[name] = RunResult.load(run_dir).summary
                if keep_results:
                    run.results[name] = RunResult.load(run_dir, label=name)
                run.skipped.append(name)
                continue
            if checkpoint.path.exists():
                if resume:
                    run.resumed.append(name)
                else:
                    checkpoint.clear()

        def step_progress(done: int, total: int, policy: str = name) -> None:
            if progress is not None:
                progress(policy, done, total)

        if run_dir is not None:
            write_scenario_document(run_dir, loaded)
        with numba_threads_for(n_satellites):
            result = run_fn(config, out_dir=run_dir, checkpoint=checkpoint, progress=step_progress)
        if checkpoint is not None:
            checkpoint.clear()
        run.summaries[name] = result.summary
        if keep_results:
            run.results[name] = _result_of(result, name, run_dir)
    if out is not None and len(names) > 1:
        import json

        top = {
            "scenario": run.scenario,
            "workload": run.workload,
            "policies": names,
            "runs": {p: run.summaries[p] for p in names},
        }
        atomic_write_text(
            out / "summary.json", json.dumps(_json_value(top), indent=2, allow_nan=False) + "\n"
        )
    return run


#: The resolved scenario saved in every run directory (the view and the CZML scene rebuild the
#: orbits from it).
SCENARIO_FILE = "scenario.yaml"


def write_scenario_document(run_dir: Path, loaded: Any) -> Path:
    """Write ``run_dir/scenario.yaml``: the validated scenario as given (keys the user set, so
    that it validates and runs the same), headed by comments naming its source file and the
    directory that relative paths in it (element files, areas of interest) are relative to."""
    import yaml

    from .table import atomic_write_text

    doc = loaded.spec.model_dump(mode="json", exclude_unset=True, by_alias=True)
    text = (
        f"# resolved scenario of this run (spacecompute run)\n"
        f"# source: {Path(loaded.file).resolve()}\n"
        f"# base_dir: {Path(loaded.base_dir).resolve()}\n"
        + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    )
    path = run_dir / SCENARIO_FILE
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(
            f"cannot create the output directory ({exc.strerror or exc})",
            file=str(run_dir),
            expected="a writable directory",
        ) from None
    return path


def resolve_policies(loaded: Any, policies: Sequence[Any] | None = None) -> list[Any]:
    """The policies of a run, each a built-in name or a checked user policy object: ``policies``
    when given (``--policy``; ``module:Class`` may then also live in the current directory),
    else the scenario's ``policy`` and ``compare`` list. Labels must be distinct folder names;
    every problem is raised at once as an :class:`InputError` naming the file and key."""
    from .errors import Problem
    from .scenario.build import scenario_policy

    spec = loaded.spec
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


def _result_of(result: Any, label: str, run_dir: Path | None) -> Any:
    """The public :class:`~spacecompute.results.store.RunResult` of an engine result: read
    lazily from its run directory when one was written (memory stays bounded), else the
    tables in memory."""
    from .results.store import RunResult

    if run_dir is not None:
        return RunResult.load(run_dir, label=label)
    tables = {
        "jobs": result.jobs,
        "steps": result.steps,
        "satellites": result.satellites,
        "contacts": result.contacts,
    }
    return RunResult(None, result.summary, label, tables=tables)


#: Scenario keys that :func:`run` may override (keyword: scenario key).
RUN_OVERRIDES = ("seed", "start", "duration_s", "step_s", "propagator")


def with_overrides(loaded: Any, overrides: dict[str, Any]) -> Any:
    """``loaded`` with some top-level scenario keys replaced, validated like the file."""
    from dataclasses import replace

    from pydantic import ValidationError

    from .scenario.schema import ScenarioSpec

    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return loaded
    data = loaded.spec.model_dump(exclude_unset=True)
    data.update(given)
    try:
        spec = ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        from .errors import Problem

        raise InputError(
            problems=[
                Problem(
                    e["msg"],
                    file=loaded.file,
                    field=".".join(str(x) for x in e["loc"]) or None,
                    expected="a value the scenario file would accept",
                )
                for e in exc.errors()
            ]
        ) from None
    return replace(loaded, spec=spec)


def run(
    scenario: Any = "default",
    *,
    policy: Any = None,
    out_dir: str | Path | None = None,
    seed: int | None = None,
    duration_s: float | None = None,
    start: str | None = None,
    step_s: float | None = None,
    propagator: str | None = None,
    resume: bool = False,
    compare: bool = False,
    progress: ProgressFn | None = None,
) -> Any:
    """Run a scenario and return its results (the Python form of ``spacecompute run``).

    ``scenario``: a preset name, a scenario file or a
    :class:`~spacecompute.scenario.loader.LoadedScenario` (:func:`spacecompute.load_scenario`).
    ``policy``: None (the scenario's ``policy``), one policy (a built-in name, ``module:Class``,
    an entry-point name of ``spacecompute.policies``, a class or an object satisfying the
    workload's Protocol, :mod:`spacecompute.scheduling.protocols`) or a list of them;
    ``compare=True`` runs the scenario's ``policy`` and ``compare`` list. ``seed``,
    ``duration_s``, ``start``, ``step_s``, ``propagator`` override the scenario's keys.
    ``out_dir`` writes the run directories (as ``spacecompute run --out``) and ``resume``
    continues from their checkpoints.

    Returns a :class:`~spacecompute.results.store.RunResult` (``.summary``, ``.jobs``,
    ``.steps``, ``.satellites``, ``.contacts``) for one policy, or a
    :class:`~spacecompute.results.store.RunResults` (label -> RunResult, ``.compare()``) for a
    list or ``compare=True``.
    """
    from .results.store import RunResults
    from .scenario.loader import LoadedScenario, load_scenario

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    loaded = with_overrides(
        loaded,
        {
            "seed": seed,
            "duration_s": duration_s,
            "start": start,
            "step_s": step_s,
            "propagator": propagator,
        },
    )
    many = compare or isinstance(policy, list | tuple)
    if compare and policy is not None:
        raise InputError("give policy or compare=True, not both", field="compare")
    policies = None if policy is None else (list(policy) if many else [policy])
    if many and policies is not None and not policies:
        raise InputError("an empty list of policies", field="policy", expected="one or more")
    done = run_scenario(
        loaded,
        out_dir=out_dir,
        resume=resume,
        policies=policies,
        progress=progress,
        keep_results=True,
    )
    if not many:
        return done.results[done.policies[0]]
    return RunResults({p: done.results[p] for p in done.policies}, done.path)


def _satellite_count(loaded: Any) -> int:
    """How many satellites the scenario has (to choose numba's thread count)."""
    from .scenario.build import build_constellation, preset_constellation

    spec = loaded.spec.constellation
    if spec.preset is not None:
        return len(preset_constellation(spec.preset))
    return len(build_constellation(spec, loaded.base_dir)[0])


class LazyProgress:
    """A rich progress bar that appears only once a run has taken more than ``after_s`` seconds
    (short runs print nothing). Use as ``progress`` of :func:`run_scenario`; close with
    :meth:`stop`."""

    def __init__(self, console: Any, after_s: float = 2.0) -> None:
        self.console = console
        self.after_s = float(after_s)
        self.t0 = time.perf_counter()
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, policy: str, done: int, total: int) -> None:
        if self._bar is None:
            if time.perf_counter() - self.t0 < self.after_s:
                return
            from rich.progress import BarColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

            self._bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                "{task.completed}/{task.total} steps",
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=True,
            )
            self._bar.start()
        if policy not in self._tasks:
            self._tasks[policy] = self._bar.add_task(policy, total=total)
        self._bar.update(self._tasks[policy], completed=done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


__all__ = [
    "LazyProgress",
    "ScenarioRun",
    "resolve_policies",
    "run",
    "run_scenario",
    "with_overrides",
]
