"""Load and validate scenario files and presets, reporting every problem with file and line."""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..errors import InputError, Problem
from .schema import ConstellationFile, ScenarioSpec
from .yamlio import LocatedYaml, format_path, load_yaml_file

DATA = resources.files("spacecompute") / "data"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    path: Path


def _presets(folder: str) -> dict[str, Preset]:
    out: dict[str, Preset] = {}
    base = Path(str(DATA / folder))
    for path in sorted(base.glob("*.yaml")):
        located = load_yaml_file(path)
        data = located.data if isinstance(located.data, dict) else {}
        out[path.stem] = Preset(path.stem, str(data.get("description", "")).strip(), path)
    return out


def scenario_presets() -> dict[str, Preset]:
    """Built-in scenarios by name (``spacecompute scenarios`` lists them)."""
    return _presets("scenarios")


def constellation_presets() -> dict[str, Preset]:
    """Built-in constellations by name (``spacecompute.preset_constellation``)."""
    return _presets("constellations")


def _model_at(model: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The pydantic model class reached by following ``path`` (field names and list indices)."""
    current: object = model
    for part in path:
        current = _unwrap_to_model(current, part)
        if current is None:
            return None
    return _first_model(current)


def _first_model(tp: object) -> type[BaseModel] | None:
    """``tp`` itself if it is a model class, else the first model inside an Optional/Union/Annotated."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _first_model(arg)
        if found is not None:
            return found
    return None


def _unwrap_to_model(tp: object, part: object) -> object:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        if not isinstance(part, str) or part not in tp.model_fields:
            return None
        return tp.model_fields[part].annotation
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _unwrap_to_model(args[0], part)
    if origin in (list, tuple) and isinstance(part, int):
        return args[0] if args else None
    if args:  # unions: the first member that accepts the part
        for arg in args:
            got = _unwrap_to_model(arg, part)
            if got is not None:
                return got
    return None


def _data_path(data: object, loc: tuple) -> tuple:
    """Keep the parts of a pydantic ``loc`` that index into the YAML data (drop union tags)."""
    kept = []
    current = data
    for part in loc:
        if isinstance(current, dict) and isinstance(part, str) and part in current:
            kept.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            kept.append(part)
            current = current[part]
        elif isinstance(part, str) and isinstance(current, dict):
            kept.append(part)  # a missing or unknown key: keep it for the message
            current = None
        # else: a union member tag such as 'literal[...]' or 'list[str]': skip
    return tuple(kept)


def problems_from_validation(
    error: ValidationError, located: LocatedYaml, model: type[BaseModel]
) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located, readable problems."""
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for err in error.errors(include_url=False):
        path = _data_path(located.data, tuple(err["loc"]))
        kind = err["type"]
        msg = err["msg"]
        expected = None
        if kind == "extra_forbidden":
            key = path[-1] if path else "?"
            parent = _model_at(model, path[:-1])
            allowed = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(key), allowed, n=1)
            msg = f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else "")
            expected = "one of " + ", ".join(allowed) if allowed else None
        elif kind == "missing":
            msg = "required key is missing"
            parent = _model_at(model, path[:-1])
            field = parent.model_fields.get(str(path[-1])) if parent and path else None
            if field is not None and field.description:
                expected = field.description
        elif msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        else:
            got = err.get("input")
            if not isinstance(got, dict | list):
                msg = f"{msg} (got {got!r})"
        key = (path, msg)
        if key in seen:
            continue
        seen.add(key)
        field = format_path(path) or None
        previous = problems[-1] if problems else None
        if (
            previous is not None
            and previous.field == field
            and msg.startswith("Input should be")
            and previous.message.startswith("Input should be")
        ):
            # alternatives of a union (e.g. a number or 'sso'): one problem, not two
            got = msg.rsplit(" (got ", 1)
            first = previous.message.rsplit(" (got ", 1)
            merged = f"{first[0]}, or {got[0][len('Input should be ') :]}" + (
                f" (got {got[1]}" if len(got) > 1 else ""
            )
            problems[-1] = Problem(merged, file=previous.file, line=previous.line, field=field)
            continue
        problems.append(
            Problem(
                msg, file=located.file, line=located.line_of(path), field=field, expected=expected
            )
        )
    return problems


def resolve(name_or_path: str, kind: str = "scenario") -> Path:
    """A file path, or the file of a built-in preset of that name (``kind``: scenario/constellation)."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    presets = scenario_presets() if kind == "scenario" else constellation_presets()
    if name_or_path in presets:
        return presets[name_or_path].path
    close = difflib.get_close_matches(name_or_path, list(presets), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InputError(
        f"no such file, and no built-in {kind} of that name{hint}",
        file=name_or_path,
        expected=f"a {kind} YAML file or one of: {', '.join(presets)}",
    )


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario, the file it came from, and the file's directory (for relative paths)."""

    spec: ScenarioSpec
    file: str
    base_dir: Path


def load_scenario(name_or_path: str) -> LoadedScenario:
    """Read and validate a scenario file or preset; raises :class:`InputError` with all problems."""
    path = resolve(name_or_path, "scenario")
    located = load_yaml_file(path)
    return LoadedScenario(_validate(located, ScenarioSpec), str(path), path.parent)


def load_constellation_file(name_or_path: str) -> tuple[ConstellationFile, str, Path]:
    """Read and validate a constellation preset file (or a user's constellation YAML)."""
    path = resolve(name_or_path, "constellation")
    located = load_yaml_file(path)
    return _validate(located, ConstellationFile), str(path), path.parent


def _validate(located: LocatedYaml, model: type[BaseModel]):
    if not isinstance(located.data, dict):
        raise InputError(
            f"the top level is a {type(located.data).__name__}",
            file=located.file,
            line=1,
            expected="a mapping of keys (name:, start:, constellation:, ...)",
        )
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        raise InputError(problems=problems_from_validation(exc, located, model)) from None


__all__ = [
    "LoadedScenario",
    "Preset",
    "constellation_presets",
    "load_constellation_file",
    "load_scenario",
    "problems_from_validation",
    "resolve",
    "scenario_presets",
]
