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


def run_scenario(
    scenario: str,
    *,
    out_dir: str | Path | None = None,
    resume: bool = False,
    policies: Sequence[str] | None = None,
    checkpoint_every: int | None = None,
    progress: ProgressFn | None = None,
) -> ScenarioRun:
    """Run ``scenario`` (file or preset) for its ``policy`` and ``compare`` policies (or for
    ``policies`` when given) and return the summaries; with ``out_dir`` write the run
    directories (and checkpoints, see the module docstring)."""
    from .results.store import RunResult
    from .scenario.build import workload_config
    from .scenario.loader import load_scenario
    from .scheduling import policy_names
    from .sim.checkpoint import Checkpointer, fingerprint
    from .sim.rundir import _json_value
    from .table import atomic_write_text

    loaded = load_scenario(scenario)
    spec = loaded.spec
    names = list(policies) if policies else [spec.policy, *spec.compare]
    known = policy_names(spec.workload.kind)
    for p in names:
        if p not in known:
            raise InputError(
                f"unknown policy {p!r} for the {spec.workload.kind} workload",
                field="--policy",
                expected=f"one of {sorted(known)}",
            )
    if len(set(names)) != len(names):
        raise InputError(f"policies {names} repeat a name", field="--policy")
    every = spec.checkpoint_every_steps if checkpoint_every is None else checkpoint_every
    out = None if out_dir is None else Path(out_dir)
    if resume and out is None:
        raise InputError("--resume needs --out DIR", field="--resume", expected="--out DIR")
    text = Path(loaded.file).read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    dirs = _run_dirs(out, names)
    n_satellites = _satellite_count(loaded)
    run = ScenarioRun(spec.name or Path(loaded.file).stem, spec.workload.kind, names, {}, out)
    for policy in names:
        config, run_fn = workload_config(loaded, policy)
        run_dir = dirs[policy]
        checkpoint = None
        if run_dir is not None:
            checkpoint = Checkpointer(run_dir, int(every), fingerprint(f"{digest}\n{policy}"))
            if resume and (run_dir / "summary.json").exists() and not checkpoint.path.exists():
                run.summaries[policy] = RunResult.load(run_dir).summary
                run.skipped.append(policy)
                continue
            if checkpoint.path.exists():
                if resume:
                    run.resumed.append(policy)
                else:
                    checkpoint.clear()

        def step_progress(done: int, total: int, policy: str = policy) -> None:
            if progress is not None:
                progress(policy, done, total)

        if run_dir is not None:
            write_scenario_document(run_dir, loaded)
        with numba_threads_for(n_satellites):
            result = run_fn(config, out_dir=run_dir, checkpoint=checkpoint, progress=step_progress)
        if checkpoint is not None:
            checkpoint.clear()
        run.summaries[policy] = result.summary
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


__all__ = ["LazyProgress", "ScenarioRun", "run_scenario"]
