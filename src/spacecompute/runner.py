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

Nothing on disk is reused unless it provably belongs to the same inputs: every directory written
carries the fingerprint of its resolved scenario (``inputs.json``, :mod:`spacecompute.reuse`),
checked before any run starts; results of other inputs, or unrelated files in ``--out``, are an
:class:`InputError` naming what differs, unless ``force=True`` (then they are replaced).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._runtime import numba_threads_for
from .errors import InputError, Problem

#: ``progress(policy, steps_done, total_steps)``; when policies run side by side in forked
#: processes (:mod:`spacecompute._forked`) it is called from a helper thread of this process,
#: about once per percent of each run.
ProgressFn = Callable[[str, int, int], None]


@dataclass
class ScenarioRun:
    """Summaries of a scenario's runs, by policy, in run order; ``path``: the output directory;
    ``warnings``: what ``spacecompute validate`` warns about the scenario (old elements, ...)."""

    scenario: str
    workload: str
    policies: list[str]
    summaries: dict[str, dict[str, Any]]
    path: Path | None = None
    resumed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)

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
    """Where each policy's run goes: ``out_dir`` for one policy, ``out_dir/<policy>`` for
    several, and also for one policy picked out of an existing comparison run (``--policy``)."""
    if out_dir is None:
        return {p: None for p in policies}
    if len(policies) == 1 and not _holds_comparison(out_dir):
        return {policies[0]: out_dir}
    return {p: out_dir / p for p in policies}


def _holds_comparison(out_dir: Path) -> bool:
    from .errors import SpacecomputeError
    from .results.store import is_comparison

    if not (out_dir / "summary.json").is_file():
        return False
    try:
        return is_comparison(out_dir)
    except (SpacecomputeError, OSError, ValueError):
        return False  # not a readable summary: the reuse rule reports it


def _policy_source(given: Any, policy: Any) -> str:
    """What identifies a policy in a run's fingerprint: the text it was given as, else its class,
    its ``name`` and its own ``repr`` where it defines one (give a policy a ``__repr__`` that
    shows its settings, so that runs of other settings are told apart). Its attributes are not
    used: a run changes them (a policy's state), and the same object must find its own results."""
    if isinstance(given, str):
        return given
    cls = type(policy)
    source = f"{cls.__module__}.{cls.__qualname__} named {getattr(policy, 'name', '')!r}"
    if cls.__repr__ is not object.__repr__:
        source += f": {policy!r}"
    return source


#: Runs of fewer satellites than this go side by side in forked processes (one per core) when
#: a scenario compares several policies; larger runs go one after another (memory, and from
#: ``_runtime.PARALLEL_MIN_SATELLITES`` each uses numba's threads).
FORKED_MAX_SATELLITES = 100_000


#: Below this many satellites the kernels of a forked comparison are loaded once, before the
#: fork (``warm``; a few steps of a throwaway run, whose kernels all run on one thread).
WARM_UP_MAX_SATELLITES = 10_000


def _run_tasks(
    tasks: dict[str, Callable[[Callable[[int, int], None]], Any]],
    n_satellites: int,
    progress: ProgressFn | None,
    warm: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Each policy's run, side by side where that is safe and pays (:mod:`spacecompute._forked`),
    else one after another; the same results either way. ``warm()``, called before a fork,
    loads what every run needs once (the forked processes inherit it)."""
    from ._forked import fork_is_safe, run_forked, usable_cores
    from ._precompile import join as join_compiling
    from ._precompile import stop as stop_compiling

    workers = min(len(tasks), usable_cores())
    if workers > 1 and n_satellites < FORKED_MAX_SATELLITES and fork_is_safe():
        if warm is not None and n_satellites < WARM_UP_MAX_SATELLITES:
            try:
                warm()  # joins the compiling helper of run_scenario, if any
            except Exception:  # only a head start: the runs themselves report any problem
                pass
        stop_compiling()  # a helper no warm-up joined: none compiles beside the runs
        if fork_is_safe():
            return run_forked(tasks, workers, progress)
    if warm is not None and n_satellites < WARM_UP_MAX_SATELLITES:
        join_compiling()  # the helper's list is the kernels these runs compile next
    stop_compiling()
    out = {}
    for name, task in tasks.items():

        def report(done: int, total: int, policy: str = name) -> None:
            if progress is not None:
                progress(policy, done, total)

        out[name] = task(report)
    return out


def _warm_up(prepared: Any, tables: bool = True) -> Callable[[], None] | None:
    """What loads the kernels of the prepared engine runs before they are forked (None: the
    workload has no such step); ``tables``: the runs write run directories."""
    from .sim.engine import run_engine, warm_up

    if prepared.run_fn is not run_engine:
        return None
    config = next(iter(prepared.configs.values()))
    return lambda: warm_up(config, tables=tables)


def _compiles_ahead(loaded: Any) -> bool:
    """Whether a helper process should compile the engine's kernels while a run of ``loaded`` is
    prepared (:mod:`spacecompute._precompile`; only on an empty numba cache): an
    Earth-observation run, on a machine with a free core."""
    from ._forked import usable_cores

    spec = loaded.spec
    if spec.workloads is not None or spec.workload.kind in ("inference", "training"):
        return False
    return usable_cores() > 1


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
    force: bool = False,
    warn: Callable[[list[Problem]], None] | None = None,
) -> ScenarioRun:
    """Run ``scenario`` (file, preset or :class:`~spacecompute.scenario.loader.LoadedScenario`)
    for its ``policy`` and ``compare`` policies (or for ``policies`` when given: built-in names,
    ``module:Class``, entry-point names, classes or policy objects) and return the summaries;
    with ``out_dir`` write the run directories (and checkpoints, see the module docstring).
    Everything is built first, as ``spacecompute validate`` builds it
    (:func:`~spacecompute.preflight.prepare_scenario`); ``warn(problems)`` then receives its
    warnings, before the first step. ``keep_results``: also keep each run's tables
    (``ScenarioRun.results``). ``force``: replace results in ``out_dir`` that belong to other
    inputs, and write into a directory holding other files."""
    from ._precompile import start as start_compiling
    from ._precompile import stop as stop_compiling
    from .fingerprint import fingerprint
    from .preflight import located_in, prepare_scenario
    from .results.store import RunResult
    from .reuse import write_manifest
    from .scenario.loader import LoadedScenario, load_scenario
    from .scenario.resolved import resolved_document, scenario_name
    from .sim.checkpoint import Checkpointer
    from .sim.rundir import _json_value
    from .table import atomic_write_text

    loaded = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    if _compiles_ahead(loaded):  # the first run after an install: a helper compiles meanwhile
        from ._warm_kernels import CONTACT_KERNELS, KERNELS

        start_compiling(KERNELS if out_dir is None else CONTACT_KERNELS + KERNELS)
    try:
        prepared = prepare_scenario(loaded, policies)
    except BaseException:
        stop_compiling()
        raise
    loaded, spec, names = prepared.loaded, prepared.loaded.spec, prepared.policies
    given = list(policies) if policies else names_given(spec)
    if warn is not None and prepared.warnings:
        warn(prepared.warnings)
    every = spec.checkpoint_every_steps if checkpoint_every is None else checkpoint_every
    out = None if out_dir is None else Path(out_dir)
    if resume and out is None:
        raise InputError("--resume needs --out DIR", field="--resume", expected="--out DIR")
    dirs = _run_dirs(out, names)
    # a policy is identified by the text it was given as, else by its class and settings
    docs = {
        name: resolved_document(loaded, _policy_source(given_as, prepared.configs[name].policy))
        for given_as, name in zip(given, names, strict=True)
    }
    prints = {name: fingerprint(d) for name, d in docs.items()}
    if out is not None:
        _check_out(out, dirs, docs, prints, loaded, resume=resume, force=force)
    n_satellites = len(prepared.constellation)
    kind = "mixed" if spec.workloads is not None else spec.workload.kind
    run = ScenarioRun(scenario_name(loaded), kind, names, {}, out)
    run.warnings = list(prepared.warnings)
    tasks: dict[str, Callable[[Callable[[int, int], None]], Any]] = {}
    for name in names:
        config, run_fn = prepared.configs[name], prepared.run_fn
        run_dir = dirs[name]
        checkpoint = None
        if run_dir is not None:
            checkpoint = Checkpointer(run_dir, int(every), prints[name], docs[name])
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
            if name not in run.resumed:
                write_manifest(run_dir, prints[name], docs[name])
            write_scenario_document(run_dir, loaded)

        def task(
            report: Callable[[int, int], None],
            *,
            config: Any = config,
            run_fn: Any = run_fn,
            run_dir: Path | None = run_dir,
            checkpoint: Any = checkpoint,
            name: str = name,
        ) -> tuple[dict[str, Any], Any]:
            with numba_threads_for(n_satellites), located_in(loaded):
                result = run_fn(config, out_dir=run_dir, checkpoint=checkpoint, progress=report)
            if checkpoint is not None:
                checkpoint.clear()
            return result.summary, (_result_of(result, name, run_dir) if keep_results else None)

        tasks[name] = task
    for name, (summary, result) in _run_tasks(
        tasks, n_satellites, progress, _warm_up(prepared, tables=out is not None)
    ).items():
        run.summaries[name] = summary
        if keep_results:
            run.results[name] = result
    run.summaries = {name: run.summaries[name] for name in names}
    if keep_results:
        run.results = {name: run.results[name] for name in names}
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


def names_given(spec: Any) -> list[Any]:
    """What a scenario's runs are labelled by: ``policy`` and ``compare``, or for a mix
    (``workloads:``) its ``arbiter`` and ``compare`` (other arbiters)."""
    if spec.workloads is not None:
        return [spec.arbiter, *spec.compare]
    return [spec.policy, *spec.compare]


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
    arbiter: Any = None,
    out_dir: str | Path | None = None,
    seed: int | None = None,
    duration_s: float | None = None,
    start: str | None = None,
    step_s: float | None = None,
    propagator: str | None = None,
    resume: bool = False,
    force: bool = False,
    compare: bool = False,
    progress: ProgressFn | None = None,
) -> Any:
    """Run a scenario and return its results (the Python form of ``spacecompute run``).

    ``scenario``: a preset name, a scenario file or a
    :class:`~spacecompute.scenario.loader.LoadedScenario` (:func:`spacecompute.load_scenario`).
    ``policy``: None (the scenario's ``policy``), one policy (a built-in name, ``module:Class``,
    an entry-point name of ``spacecompute.policies``, a class or an object satisfying the
    workload's Protocol, :mod:`spacecompute.scheduling.protocols`) or a list of them;
    ``compare=True`` runs the scenario's ``policy`` and ``compare`` list. ``arbiter``: for a
    scenario with ``workloads:`` (whose runs are labelled by their arbiters), one arbiter or a
    list in the same forms (a built-in name, ``module:Class``, an entry-point name of
    ``spacecompute.arbiters``, a class or an object satisfying
    :class:`~spacecompute.scheduling.arbiters.Arbiter`). ``seed``,
    ``duration_s``, ``start``, ``step_s``, ``propagator`` override the scenario's keys.
    ``out_dir`` writes the run directories (as ``spacecompute run --out``) and ``resume``
    continues from their checkpoints; ``force`` replaces results there of other inputs (as
    ``--force``).

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
    if arbiter is not None:
        if loaded.spec.workloads is None:
            raise InputError(
                "an arbiter for a scenario with one workload",
                file=loaded.file,
                field="arbiter",
                expected="a scenario with workloads: (a mix), or policy= for this one",
            )
        if policy is not None:
            raise InputError("give policy or arbiter, not both", field="arbiter")
        policy = arbiter
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
        force=force,
    )
    if not many:
        return done.results[done.policies[0]]
    return RunResults({p: done.results[p] for p in done.policies}, done.path)


def _top_document(loaded: Any, names: Sequence[str]) -> dict[str, Any]:
    """The resolved document of a comparison run's top directory: the scenario and its
    policies."""
    from .scenario.resolved import resolved_document

    doc = resolved_document(loaded)
    doc.pop("policy", None)
    doc["policies"] = list(names)
    return doc


def _check_out(
    out: Path,
    dirs: dict[str, Path | None],
    docs: dict[str, dict[str, Any]],
    prints: dict[str, str],
    loaded: Any,
    *,
    resume: bool,
    force: bool,
) -> None:
    """Refuse (or with ``force`` clear) whatever in ``out`` belongs to other inputs, before
    any run starts (see :mod:`spacecompute.reuse`)."""
    from .fingerprint import fingerprint
    from .reuse import clear_run_files, conflict, refuse, stored, unrelated_entries, write_manifest

    if out.exists() and not out.is_dir():
        raise InputError("is a file", file=str(out), field="--out", expected="a directory")
    targets: list[tuple[Path, str, dict[str, Any]]] = []
    if len(dirs) > 1:
        top = _top_document(loaded, list(dirs))
        targets.append((out, fingerprint(top), top))
    targets += [(d, prints[p], docs[p]) for p, d in dirs.items() if d is not None]
    clashes = [(d, r) for d, f, doc in targets if (r := conflict(d, f, doc, stored(d)))]
    reasons = [r for _, r in clashes]
    # other files block only a directory that is not yet a run of these inputs (after --force
    # wrote one beside them, --resume and a re-run find it by its manifest)
    ours = any(stored(d).manifest is not None for d, _, _ in targets)
    others = [] if ours and not reasons else unrelated_entries(out, {d for d, _, _ in targets})
    unrelated = None
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        unrelated = f"{out} is not empty and not a spacecompute run: it holds {shown}"
    if (reasons or unrelated) and not force:
        raise refuse(reasons, resume=resume, unrelated=unrelated)
    for d, _ in clashes:  # force: replace the results of other inputs (only run files)
        clear_run_files(d)
    if len(dirs) > 1:
        d, f, doc = targets[0]
        write_manifest(d, f, doc)


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
    "run",
    "run_scenario",
    "with_overrides",
]
