"""The fully resolved scenario: what a run's results depend on, as one plain JSON document.

Its :func:`~spacecompute.fingerprint.fingerprint` decides whether results on disk (finished
runs, checkpoints) belong to a scenario (see :mod:`spacecompute.runner`). The document is the
validated scenario with every default filled in, its resolved ``name``, and the contents hash
of every user file it references (element files, a constellation file, the AOI GeoJSON), so an
edited TLE file changes it. Keys that cannot change results are left out: ``description``,
``checkpoint_every_steps``, ``memory_budget_mib`` (results never depend on time chunking) and
``compare`` (each policy's run has its own document, with its ``policy``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..astro.timeutil import parse_time
from ..errors import InputError
from ..fingerprint import file_digest, fingerprint
from .loader import LoadedScenario, constellation_presets, load_constellation_file

#: Scenario keys that do not change a run's results (left out of the fingerprint).
RESULT_NEUTRAL_KEYS: tuple[str, ...] = (
    "description",
    "checkpoint_every_steps",
    "memory_budget_mib",
    "compare",
)


def scenario_name(loaded: LoadedScenario) -> str:
    """The scenario's name: its ``name`` key, else its file name without the extension."""
    return loaded.spec.name or Path(loaded.file).stem


def _user_files(constellation: dict[str, Any], base_dir: Path, at: str) -> dict[str, str]:
    """Contents hashes of the element files (and a user's constellation file) referenced."""
    files: dict[str, str] = {}
    preset = constellation.get("preset")
    if preset is not None and preset not in constellation_presets():
        files[f"{at}.preset"] = file_digest(preset)  # a user's file (read as resolve() does)
        try:
            spec, _, inner_dir = load_constellation_file(preset)
        except InputError:  # the run itself reports it
            return files
        files.update(_user_files(spec.model_dump(mode="json"), inner_dir, f"{at}.preset"))
    for i, shell in enumerate(constellation.get("shells") or []):
        elements = shell.get("elements")
        if elements:
            path = Path(elements["file"])
            files[f"{at}.shells[{i}].elements.file"] = file_digest(
                path if path.is_absolute() else base_dir / path
            )
    return files


def _instant(value: object) -> str:
    """An ISO-8601 UTC instant in one spelling (ns precision), whatever the file wrote."""
    import numpy as np

    return str(np.datetime64(parse_time(value, field="start"), "ns")) + "Z"


def resolved_document(loaded: LoadedScenario, policy: str | None = None) -> dict[str, Any]:
    """The resolved scenario of one run (``policy``: the run's policy, default the scenario's)."""
    doc = loaded.spec.model_dump(mode="json")
    for key in RESULT_NEUTRAL_KEYS:
        doc.pop(key, None)
    doc["name"] = scenario_name(loaded)
    doc["start"] = _instant(loaded.spec.start)  # one spelling per instant
    if loaded.spec.constellation.epoch is not None:
        doc["constellation"]["epoch"] = _instant(loaded.spec.constellation.epoch)
    if policy is not None:
        doc["policy"] = policy
    files = _user_files(doc["constellation"], loaded.base_dir, "constellation")
    workload = doc.get("workload") or {}
    aoi = workload.get("aoi")
    if aoi is not None and aoi not in ("land", "all"):
        files["workload.aoi"] = file_digest(loaded.base_dir / aoi)
    for i, item in enumerate(doc.get("workloads") or []):  # a mix: each item's area of interest
        aoi = item.get("aoi")
        if aoi is not None and aoi not in ("land", "all"):
            files[f"workloads[{i}].aoi"] = file_digest(loaded.base_dir / aoi)
    doc["file_contents"] = files
    return doc


def scenario_fingerprint(loaded: LoadedScenario, policy: str | None = None) -> str:
    """:func:`~spacecompute.fingerprint.fingerprint` of :func:`resolved_document`."""
    return fingerprint(resolved_document(loaded, policy))


__all__ = ["RESULT_NEUTRAL_KEYS", "resolved_document", "scenario_fingerprint", "scenario_name"]
