"""Load and validate scenario files and presets, reporting every problem with file and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ..astro.presets import (  # re-exported: the preset reader lives below sim/
    constellation_presets,
    load_constellation_file,
)
from ..yamlio import (
    LocatedYaml,
    Preset,
    data_presets,
    load_yaml_file,
    problems_from_validation,
    resolve_preset_file,
    validate_located,
)
from .schema import ScenarioSpec


def scenario_presets() -> dict[str, Preset]:
    """Built-in scenarios by name (``spacecompute scenarios`` lists them)."""
    return data_presets("scenarios")


def resolve(name_or_path: str, kind: str = "scenario") -> Path:
    """A file path, or the file of a built-in preset of that name (``kind``: scenario/constellation)."""
    presets = scenario_presets() if kind == "scenario" else constellation_presets()
    return resolve_preset_file(name_or_path, presets, kind)


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario, the file it came from, and the file's directory (for relative paths);
    ``located``: the parsed file with the line of every key (to locate later problems)."""

    spec: ScenarioSpec
    file: str
    base_dir: Path
    located: LocatedYaml | None = None

    def line_of(self, field: str) -> int | None:
        """The line of a key path such as ``workload.aoi`` or ``constellation.shells[0]`` (or of
        its closest parent that the file has); None without ``located``."""
        if self.located is None:
            return None
        return self.located.line_of(parse_key_path(field))


def parse_key_path(field: str) -> tuple[str | int, ...]:
    """``constellation.shells[0].walker`` -> ``("constellation", "shells", 0, "walker")``."""
    out: list[str | int] = []
    for part in field.split("."):
        name, *indices = part.split("[")
        if name:
            out.append(name)
        for index in indices:
            text = index.rstrip("]")
            out.append(int(text) if text.isdigit() else text)
    return tuple(out)


def load_scenario(name_or_path: str) -> LoadedScenario:
    """Read and validate a scenario file or preset; raises :class:`InputError` with all problems."""
    path = resolve(name_or_path, "scenario")
    located = load_yaml_file(path)
    return LoadedScenario(_validate(located, ScenarioSpec), str(path), path.parent, located)


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
