"""Load and validate scenario files and presets, reporting every problem with file and line."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ..astro.presets import (  # re-exported: the preset reader lives below sim/
    constellation_presets,
    load_constellation_file,
)
from ..errors import InputError
from ..yamlio import (
    LocatedYaml,
    Preset,
    data_presets,
    load_yaml_file,
    problems_from_validation,
    validate_located,
)
from .schema import ScenarioSpec


def scenario_presets() -> dict[str, Preset]:
    """Built-in scenarios by name (``spacecompute scenarios`` lists them)."""
    return data_presets("scenarios")


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


def _validate(located: LocatedYaml, model: type[BaseModel]):
    return validate_located(located, model, keys_hint="name:, start:, constellation:, ...")


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
