"""Sweep files: a base scenario or planner design, axes over key paths of it, seeds.

::

    name: policies-x-buses
    base: {scenario: default}          # or {design: suncatcher}: a file or a built-in name
    set:                               # the same for every cell
      duration_s: 7200
    axes:                              # any key path of the base document
      policy: [energy-aware, bent-pipe]              # explicit values: a grid
      spacecraft.bus: [threebody, cubesat-6u-jetson]
      workload.cloud_fraction: {low: 0.3, high: 0.8}  # a range: sampled
    sampling: {method: lhs, points: 8}  # how ranges are sampled (lhs or random)
    seeds: 3                           # replicates (or an explicit list [0, 1, 2])
    seed: 0                            # the sweep's seed (range samples, derived seeds)
    report: {metrics: [...], pareto: {x: ..., y: ...}}

Cells are the product of the grid axes and the sample points, each run once per seed. The
file is validated like a scenario before anything runs: every malformed or unknown key path,
empty axis, negative seed and every axis value that the base's schema rejects is reported at
once with the sweep file's line (:class:`~spacecompute.errors.InputError`). Combinations that
the model rejects although each value alone is valid (``total`` not a multiple of ``planes``)
become failed cells with their error and the sweep goes on.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InputError, Problem
from ..yamlio import (
    LocatedYaml,
    Preset,
    data_presets,
    load_yaml_file,
    resolve_preset_file,
    validate_located,
)
from .fingerprint import cell_fingerprint
from .keypath import KeyPathError, Path_, is_under, parse_path, set_path

#: Most cells a sweep may have (a typo such as ``points: 1000000`` should not start a week).
MAX_CELLS = 100_000
#: Up to this many value combinations are all validated before the sweep runs.
MAX_VALIDATED_COMBINATIONS = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class BaseRef(_Strict):
    """What the cells vary: a scenario or a planner design (file or built-in name)."""

    scenario: str | None = Field(None, description="scenario file or preset")
    design: str | None = Field(None, description="planner file or built-in design")

    @model_validator(mode="after")
    def _one(self) -> BaseRef:
        if (self.scenario is None) == (self.design is None):
            raise ValueError("give exactly one of 'scenario' or 'design'")
        return self


class SamplingSpec(_Strict):
    method: Literal["lhs", "random"] = "lhs"
    points: int = Field(8, ge=1, le=MAX_CELLS, description="sample points over the ranges")


class ParetoSpec(_Strict):
    x: str = Field(min_length=1, description="metric on the x axis")
    y: str = Field(min_length=1, description="metric on the y axis")
    x_goal: Literal["min", "max"] | None = None
    y_goal: Literal["min", "max"] | None = None


class ReportSpec(_Strict):
    metrics: list[str] = Field([], description="metrics shown in report.html (default: a few)")
    pareto: ParetoSpec | None = None


class SweepFile(_Strict):
    """The schema of a sweep file's top level (axes and seeds are checked with their lines)."""

    name: str = ""
    description: str = ""
    base: BaseRef = Field(description="{scenario: NAME_OR_FILE} or {design: NAME_OR_FILE}")
    set: dict[str, Any] = {}
    axes: dict[str, Any] = {}
    sampling: SamplingSpec | None = None
    seeds: Any = None
    seed: int = Field(0, ge=0)
    monte_carlo_samples: int = Field(0, ge=0, le=1_000_000)
    report: ReportSpec = ReportSpec()


@dataclass(frozen=True)
class Axis:
    """One axis: ``key`` as written, its parsed ``path``; ``values`` (a grid) or a range."""

    key: str
    path: Path_
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    integer: bool = False

    @property
    def kind(self) -> str:
        return "grid" if self.low is None else "range"

    def to_json(self) -> dict[str, Any]:
        if self.kind == "grid":
            return {"key": self.key, "kind": "grid", "values": list(self.values)}
        return {
            "key": self.key,
            "kind": "range",
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "integer": self.integer,
        }


@dataclass(frozen=True)
class Cell:
    """One run of the sweep: its axis values, replicate and seed, its resolved document and
    fingerprint; ``error`` when the model rejects the combination (it is not run)."""

    index: int
    values: dict[str, Any]
    replicate: int
    seed: int
    document: dict[str, Any]
    fingerprint: str
    error: str | None = None

    @property
    def cell_id(self) -> str:
        """The cell's directory name under ``DIR/cells/``: its fingerprint's first 16 digits."""
        return self.fingerprint[:16]


@dataclass(frozen=True)
class Sweep:
    """A validated sweep and its cells, in cell order (grid axes slowest, seeds fastest)."""

    name: str
    description: str
    file: str
    kind: Literal["scenario", "planner"]
    base: str
    axes: tuple[Axis, ...]
    seeds: tuple[int | None, ...]
    seed: int
    monte_carlo_samples: int
    sampling: SamplingSpec | None
    report: ReportSpec
    cells: tuple[Cell, ...] = field(repr=False)
    text: str = field(default="", repr=False)

    def to_json(self) -> dict[str, Any]:
        """``DIR/sweep.json``: what the report and ``query`` need to read the results back."""
        return {
            "name": self.name,
            "description": self.description,
            "file": self.file,
            "kind": self.kind,
            "base": self.base,
            "axes": [a.to_json() for a in self.axes],
            "seeds": list(self.seeds),
            "seed": self.seed,
            "sampling": None if self.sampling is None else self.sampling.model_dump(),
            "monte_carlo_samples": self.monte_carlo_samples,
            "report": self.report.model_dump(),
            "cells": len(self.cells),
        }


def sweep_presets() -> dict[str, Preset]:
    """Built-in sweeps by name (``spacecompute sweeps`` lists them)."""
    return data_presets("sweeps")


def resolve_sweep(name_or_path: str) -> Path:
    """A sweep file path, or the file of the built-in sweep of that name."""
    return resolve_preset_file(name_or_path, sweep_presets(), "sweep")


# ---------------------------------------------------------------------------------------------
# The base document and validation of one cell document
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Base:
    kind: Literal["scenario", "planner"]
    name: str
    file: str
    base_dir: Path
    document: dict[str, Any]


def _beside(name: str, folder: Path) -> str:
    """A relative file name is looked up beside the sweep file first (then as given)."""
    candidate = folder / name
    return str(candidate) if not Path(name).is_absolute() and candidate.is_file() else name


def _load_base(ref: BaseRef, folder: Path) -> _Base:
    if ref.scenario is not None:
        from ..scenario.loader import load_scenario, resolve

        path = resolve(_beside(ref.scenario, folder), "scenario")
        load_scenario(str(path))  # the base itself must be valid (its own file and lines)
        located = load_yaml_file(path)
        doc = copy.deepcopy(located.data)
        doc["compare"] = []  # one policy per cell: sweep the policy axis to compare policies
        return _Base("scenario", ref.scenario, str(path), path.parent.resolve(), doc)
    from ..economics.presets import load_design
    from ..economics.presets import resolve as resolve_design

    path = resolve_design(_beside(ref.design or "", folder))
    load_design(str(path))
    located = load_yaml_file(path)
    return _Base("planner", ref.design or "", str(path), path.parent.resolve(), located.data)


def _absolute_files(doc: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    """Relative file paths of a scenario document made absolute (they are relative to the base
    scenario's directory, and the cell runs from its own directory)."""
    doc = copy.deepcopy(doc)

    def fix(holder: dict, key: str) -> None:
        value = holder.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            holder[key] = str(base_dir / value)

    constellation = doc.get("constellation")
    shells = constellation.get("shells") if isinstance(constellation, dict) else None
    for entry in shells if isinstance(shells, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("elements"), dict):
            fix(entry["elements"], "file")
    workload = doc.get("workload")
    if isinstance(workload, dict) and workload.get("aoi") not in (None, "land", "all"):
        fix(workload, "aoi")
    return doc


def validate_cell_document(base: _Base, doc: dict[str, Any]) -> tuple[dict | None, list[Problem]]:
    """(the resolved JSON document, []) or (None, problems) for one cell's document."""
    if base.kind == "scenario":
        from ..scenario.schema import ScenarioSpec

        doc = _absolute_files(doc, base.base_dir)
        try:
            spec = validate_located(LocatedYaml(doc, {}, base.file), ScenarioSpec)
        except InputError as exc:
            return None, exc.problems
        return spec.model_dump(mode="json"), []
    from ..economics.presets import design_from_located

    try:
        design_from_located(LocatedYaml(doc, {}, base.file))
    except InputError as exc:
        return None, exc.problems
    return json.loads(json.dumps(doc, default=str)), []


# ---------------------------------------------------------------------------------------------
# Reading the sweep file
# ---------------------------------------------------------------------------------------------


class _Problems:
    """Located problems of the sweep file, collected so that all are reported at once."""

    def __init__(self, located: LocatedYaml) -> None:
        self.located = located
        self.items: list[Problem] = []

    def add(self, path: tuple, message: str, expected: str | None = None) -> None:
        self.items.append(
            Problem(
                message,
                file=self.located.file,
                line=self.located.line_of(path),
                field=_where(path),
                expected=expected,
            )
        )

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(problems=sorted(self.items, key=lambda p: p.line or 0))


def _where(path: tuple) -> str:
    """``("axes", "spacecraft.bus", 1)`` -> ``axes['spacecraft.bus'][1]``."""
    out = str(path[0])
    for part in path[1:]:
        out += f"[{part}]" if isinstance(part, int) else f"[{part!r}]"
    return out


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and np.isfinite(x)


def _parse_axis(key: str, raw: Any, problems: _Problems) -> Axis | None:
    where = ("axes", key)
    try:
        path = parse_path(key)
    except KeyPathError as exc:
        problems.add(where, str(exc), "a key path such as constellation.shells[0].walker.total")
        return None
    if path[0] == "compare":
        problems.add(where, "a sweep runs one policy per cell", "an axis over 'policy' instead")
        return None
    if isinstance(raw, list):
        if not raw:
            problems.add(where, f"axis {key!r} is empty", "a list of at least one value")
            return None
        texts = [json.dumps(v, sort_keys=True, default=str) for v in raw]
        for i, t in enumerate(texts):
            if t in texts[:i]:
                problems.add((*where, i), f"value {raw[i]!r} repeats", "distinct values")
        return Axis(key, path, values=tuple(raw))
    if isinstance(raw, dict):
        return _parse_range(key, path, raw, problems)
    problems.add(
        where,
        f"axis {key!r} is a {type(raw).__name__}",
        "a list of values [a, b, ...] or a range {low: ..., high: ...} (fixed values go in set:)",
    )
    return None


def _parse_range(key: str, path: Path_, raw: dict, problems: _Problems) -> Axis | None:
    where = ("axes", key)
    unknown = sorted(set(raw) - {"low", "high", "log", "integer"})
    if unknown:
        problems.add(where, f"unknown key(s) {unknown} in range", "low, high, log, integer")
        return None
    ok = True
    for k in ("low", "high"):
        if k not in raw:
            problems.add(where, f"range {key!r} has no {k!r}", "a range {low: ..., high: ...}")
            ok = False
        elif not _is_number(raw[k]):
            problems.add((*where, k), f"{k} {raw[k]!r} is not a finite number", "a number")
            ok = False
    for k in ("log", "integer"):
        if k in raw and not isinstance(raw[k], bool):
            problems.add((*where, k), f"{k} {raw[k]!r} is not true/false", "true or false")
            ok = False
    if not ok:
        return None
    low, high = float(raw["low"]), float(raw["high"])
    if not low < high:
        problems.add(where, f"range {key!r}: low {low:g} is not below high {high:g}", "low < high")
        return None
    log = bool(raw.get("log", False))
    if log and low <= 0:
        problems.add(where, f"range {key!r}: log sampling needs low > 0 (got {low:g})", "low > 0")
        return None
    return Axis(key, path, low=low, high=high, log=log, integer=bool(raw.get("integer", False)))


def _parse_seeds(raw: Any, problems: _Problems) -> tuple[int | None, ...] | None:
    """Replicate seeds as given (``None`` if derived, filled in later); None on problems."""
    if raw is None:
        return (None,)
    if isinstance(raw, bool) or not isinstance(raw, int | list):
        problems.add(("seeds",), f"seeds {raw!r}", "a number of replicates or a list of seeds")
        return None
    if isinstance(raw, int):
        if raw < 1:
            problems.add(("seeds",), f"seeds {raw} is not a positive count", "an integer >= 1")
            return None
        return tuple([None] * raw)
    if not raw:
        problems.add(("seeds",), "the list of seeds is empty", "at least one seed")
        return None
    good = True
    for i, s in enumerate(raw):
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            problems.add(("seeds", i), f"{s!r} is not a seed", "an integer >= 0")
            good = False
        elif s in raw[:i]:
            problems.add(("seeds", i), f"seed {s} repeats", "distinct seeds")
            good = False
    return tuple(raw) if good else None


def replicate_seed(sweep_seed: int, replicate: int) -> int:
    """The seed of replicate ``replicate`` when ``seeds:`` is a count: derived from the sweep's
    seed and the replicate number only (numpy ``SeedSequence``), never from the execution order.
    Every cell of one replicate shares it (common random numbers: the effect of an axis is not
    blurred by different random draws)."""
    state = np.random.SeedSequence([int(sweep_seed), int(replicate)]).generate_state(1)
    return int(state[0] & 0x7FFFFFFF)


def load_sweep(name_or_path: str) -> Sweep:
    """Read and validate a sweep file or built-in sweep, and enumerate its cells; every problem
    is raised at once as an :class:`InputError` (file and line)."""
    path = resolve_sweep(name_or_path)
    located = load_yaml_file(path)
    model: SweepFile = validate_located(located, SweepFile, keys_hint="base:, axes:, seeds:, ...")
    problems = _Problems(located)
    axes = [a for k, v in model.axes.items() if (a := _parse_axis(k, v, problems)) is not None]
    seeds = _parse_seeds(model.seeds, problems)
    overrides = _parse_set(model.set, problems)
    if model.seeds is not None:
        for a in axes:
            if a.path[0] == "seed":
                problems.add(("axes", a.key), "'seed' is set by seeds:", "an axis without seed")
    try:
        base = _load_base(model.base, Path(path).parent)
    except InputError as exc:
        ref = model.base.scenario or model.base.design
        for p in exc.problems:  # an unknown base name: point at the sweep file's base: line
            if p.file == ref and p.line is None:
                problems.add(("base",), f"{ref}: {p.message}", p.expected)
            else:
                problems.items.append(p)
        problems.raise_if_any()
        raise
    template = _apply_set(base, overrides, problems)
    if template is None:
        problems.raise_if_any()
    assert template is not None
    sampled = _sample(axes, model.sampling, model.seed)
    combos = _combinations(axes, sampled)
    n_cells = len(combos) * len(seeds or (None,))
    if n_cells > MAX_CELLS:
        problems.add(("axes",), f"{n_cells:,} cells", f"at most {MAX_CELLS:,}")
        problems.raise_if_any()
    resolved = _check_values(base, template, axes, combos, problems)
    problems.raise_if_any()
    assert seeds is not None
    cells = _cells(base, template, axes, combos, resolved, seeds, model)
    return Sweep(
        name=model.name or path.stem,
        description=model.description,
        file=str(path),
        kind=base.kind,
        base=base.name,
        axes=tuple(axes),
        seeds=tuple(c.seed for c in cells[: len(seeds)]) if cells else seeds,
        seed=model.seed,
        monte_carlo_samples=model.monte_carlo_samples,
        sampling=model.sampling,
        report=model.report,
        cells=tuple(cells),
        text=Path(path).read_text(encoding="utf-8"),
    )


def _parse_set(raw: dict[str, Any], problems: _Problems) -> list[tuple[str, Path_, Any]]:
    out = []
    for key, value in raw.items():
        try:
            path = parse_path(key)
        except KeyPathError as exc:
            problems.add(("set", key), str(exc), "a key path such as duration_s")
            continue
        if path[0] == "compare":
            problems.add(("set", key), "a sweep runs one policy per cell", "policy: or an axis")
            continue
        out.append((key, path, value))
    return out


def _apply_set(base: _Base, overrides: list, problems: _Problems) -> dict | None:
    doc = base.document
    for key, path, value in overrides:
        try:
            doc = set_path(doc, path, value)
        except KeyPathError as exc:
            problems.add(("set", key), str(exc))
            return None
    _, found = validate_cell_document(base, doc)
    for p in found:
        key = next((k for k, path, _ in overrides if _field_under(p, path)), None)
        where = ("set", key) if key is not None else ("set",) if overrides else ("base",)
        problems.add(where, f"{p.field or 'the document'}: {p.message}", p.expected)
    return None if found else doc


def _field_under(problem: Problem, path: Path_) -> bool:
    try:
        return bool(problem.field) and is_under(parse_path(problem.field or ""), path)
    except KeyPathError:
        return False


def _sample(axes: list[Axis], sampling: SamplingSpec | None, seed: int) -> list[dict[str, Any]]:
    """The sample points over the range axes (one empty point when there are none)."""
    ranges = [a for a in axes if a.kind == "range"]
    if not ranges:
        return [{}]
    spec = sampling or SamplingSpec()
    rng = np.random.default_rng(seed)
    if spec.method == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(ranges), rng=rng).random(spec.points)
    else:
        unit = rng.random((spec.points, len(ranges)))
    points = []
    for row in unit:
        point = {}
        for a, u in zip(ranges, row, strict=True):
            assert a.low is not None and a.high is not None
            if a.log:
                x = float(np.exp(np.log(a.low) + u * (np.log(a.high) - np.log(a.low))))
            else:
                x = float(a.low + u * (a.high - a.low))
            point[a.key] = round(x) if a.integer else x
        points.append(point)
    return points


def _combinations(axes: list[Axis], sampled: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Grid product (axes in file order, the first slowest) times the sample points."""
    grid = [a for a in axes if a.kind == "grid"]
    out = []
    for values in itertools.product(*(a.values for a in grid)):
        for point in sampled:
            combo = dict(zip((a.key for a in grid), values, strict=True))
            combo.update(point)
            out.append({a.key: combo[a.key] for a in axes})
    return out


def _document(template: dict, axes: list[Axis], combo: dict[str, Any]) -> dict:
    doc = template
    for a in axes:
        doc = set_path(doc, a.path, combo[a.key])
    return doc


def _check_values(
    base: _Base, template: dict, axes: list[Axis], combos: list[dict], problems: _Problems
) -> list[tuple[dict | None, list[Problem]]]:
    """Validate each axis value on its own, then every combination; a value is reported when it
    fails by itself at its own key path, or when every combination holding it fails."""
    bad: set[tuple[str, Any]] = set()
    alone: dict[tuple[str, int], list[Problem]] = {}
    for a in axes:
        if not _check_axis_alone(base, template, a, problems, bad, alone):
            bad.add((a.key, None))
    if len(combos) > MAX_VALIDATED_COMBINATIONS:
        return [(None, [])] * len(combos)  # checked cell by cell when it is built
    broken = {k for k, i in bad if i is None}
    bad_values = {(k, _key(axes, k, i)) for k, i in bad if i is not None}
    if broken:  # check the other axes over their own combinations; the sweep is refused anyway
        axes = [a for a in axes if a.key not in broken]
        combos = list(
            {_canon(c): c for c in ({a.key: c[a.key] for a in axes} for c in combos)}.values()
        )
    resolved = [validate_cell_document(base, _document(template, axes, c)) for c in combos]
    for a in axes:
        if a.kind != "grid":
            continue
        for i, value in enumerate(a.values):
            if (a.key, i) in bad:
                continue
            mine = [
                r
                for c, r in zip(combos, resolved, strict=True)
                if _same(c[a.key], value)
                and not any((k, _canon(v)) in bad_values for k, v in c.items())
            ]
            if (mine and all(doc is None for doc, _ in mine)) or (not mine and (a.key, i) in alone):
                _report_value(problems, a, i, value, alone.get((a.key, i)) or mine[0][1])
    return resolved


def _check_axis_alone(
    base: _Base,
    template: dict,
    a: Axis,
    problems: _Problems,
    bad: set[tuple[str, Any]],
    alone: dict[tuple[str, int], list[Problem]],
) -> bool:
    """Validate each value of ``a`` in the base; False if the key path itself is wrong."""
    tried = list(enumerate(a.values)) if a.kind == "grid" else [("low", a.low), ("high", a.high)]
    for i, value in tried:
        try:
            doc = set_path(template, a.path, round(value) if a.integer else value)
        except KeyPathError as exc:
            problems.add(("axes", a.key), str(exc), "a key path that the base has")
            return False
        _, found = validate_cell_document(base, doc)
        unknown = [p for p in found if p.message.startswith("unknown key") and p.field]
        if unknown and a.path and _field_under(unknown[0], a.path[:1]):
            p = unknown[0]
            problems.add(("axes", a.key), f"{p.field}: {p.message}", p.expected)
            return False
        own = [p for p in found if _field_under(p, a.path)]
        if own:
            _report_value(problems, a, i, value, own)
            bad.add((a.key, i))
        elif found and isinstance(i, int):
            alone[(a.key, i)] = found
    return True


def _key(axes: list[Axis], key: str, i: Any) -> str:
    axis = next(a for a in axes if a.key == key)
    return _canon(axis.values[i]) if isinstance(i, int) and axis.kind == "grid" else ""


def _canon(x: Any) -> str:
    return json.dumps(x, sort_keys=True, default=str)


def _same(x: Any, y: Any) -> bool:
    return _canon(x) == _canon(y)


def _report_value(problems: _Problems, axis: Axis, i: int | str, value: Any, found: list) -> None:
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    at = f"{first.field}: " if first.field else ""
    problems.add(
        ("axes", axis.key, i),
        f"value {value!r} is rejected: {at}{first.message}{more}",
        first.expected,
    )


def _cells(
    base: _Base,
    template: dict,
    axes: list[Axis],
    combos: list[dict],
    resolved: list[tuple[dict | None, list[Problem]]],
    seeds: tuple[int | None, ...],
    model: SweepFile,
) -> list[Cell]:
    cells: list[Cell] = []
    for combo, (doc, found) in zip(combos, resolved, strict=True):
        if doc is None and not found:  # not validated up front (very large sweeps)
            doc, found = validate_cell_document(base, _document(template, axes, combo))
        for r, given in enumerate(seeds):
            seed = _cell_seed(base, doc, given, model.seed, r, len(seeds))
            document = _cell_document(base, doc, seed, model.monte_carlo_samples)
            error = None if doc is not None else "; ".join(str(_strip(p)) for p in found)
            if doc is None:
                document = {"kind": base.kind, "invalid": combo, "seed": seed, "error": error}
            cells.append(
                Cell(len(cells), dict(combo), r, seed, document, cell_fingerprint(document), error)
            )
    return cells


def _strip(p: Problem) -> Problem:
    """A problem of a cell document without the base file's name (the cell has no lines)."""
    return Problem(p.message, field=p.field, expected=p.expected)


def _cell_seed(
    base: _Base, doc: dict | None, given: int | None, sweep_seed: int, r: int, n: int
) -> int:
    if given is not None:
        return int(given)
    if n == 1:  # no seeds: the base's own seed
        return int((doc or {}).get("seed", 0)) if base.kind == "scenario" else int(sweep_seed)
    return replicate_seed(sweep_seed, r)


def _cell_document(base: _Base, doc: dict | None, seed: int, samples: int) -> dict[str, Any]:
    if doc is None:
        return {}
    if base.kind == "scenario":
        # base_dir: where `policy: "module:Class"` is imported from, as for the base scenario
        scenario = {**doc, "seed": seed}
        return {"kind": "scenario", "scenario": scenario, "base_dir": str(base.base_dir)}
    return {"kind": "planner", "design": doc, "seed": seed, "monte_carlo_samples": samples}


__all__ = [
    "MAX_CELLS",
    "Axis",
    "Cell",
    "Sweep",
    "SweepFile",
    "load_sweep",
    "replicate_seed",
    "resolve_sweep",
    "sweep_presets",
    "validate_cell_document",
]
