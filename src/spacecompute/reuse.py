"""What an output directory holds, and whether it may be reused for a scenario's runs.

Every directory ``spacecompute run --out`` writes (the run directory of each policy, and for a
comparison run its top directory) gets a manifest, ``inputs.json``: the
:func:`~spacecompute.fingerprint.fingerprint` of the resolved scenario of that run and the
resolved document itself (see :mod:`spacecompute.scenario.resolved`). It is written before the
run starts, after any earlier ``summary.json`` there has been removed, so a ``summary.json``
always belongs to the manifest beside it.

Rules (checked for every directory before any run starts, so nothing is ever mixed):

- results on disk (``summary.json``, a checkpoint, Parquet tables) whose manifest has another
  fingerprint, or no manifest, belong to other inputs: refused with the key paths that differ
  (``--force`` replaces them);
- a non-empty ``--out`` holding anything that is not a spacecompute run file is refused
  (``--force`` writes the run there anyway; files that are not run files are never removed);
- same fingerprint: ``--resume`` reuses finished runs and continues checkpoints; without it the
  runs are done again.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, Problem
from .fingerprint import differences
from .table import atomic_write_text

MANIFEST = "inputs.json"
#: Files and folders a run directory may hold (all written by spacecompute).
RUN_FILES: frozenset[str] = frozenset(
    {
        MANIFEST,
        "summary.json",
        "report.html",
        ".checkpoint",
        "jobs.parquet",
        "steps.parquet",
        "satellites.parquet",
        "contacts.parquet",
        "states.parquet",  # the per-satellite state series (view, CZML)
        "links.parquet",
        ".states",
        ".tables",  # part files of the tables a run streams (spacecompute.sim.sink)
        "scenario.yaml",  # the scenario as run (view and CZML rebuild orbits from it)
        "scene.czml",
        "view.html",
    }
)
_RESULT_FILES = RUN_FILES - {MANIFEST, "report.html", "scenario.yaml", "scene.czml", "view.html"}


@dataclass(frozen=True)
class Stored:
    """What a directory holds: its manifest (or None) and whether it has results."""

    manifest: dict[str, Any] | None
    has_results: bool
    finished: bool


def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    """The parsed ``inputs.json`` of ``run_dir``, or None when absent or unreadable."""
    try:
        data = json.loads((run_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def stored(run_dir: Path) -> Stored:
    """What ``run_dir`` holds now."""
    if not run_dir.is_dir():
        return Stored(None, False, False)
    has = any((run_dir / name).exists() for name in _RESULT_FILES)
    finished = (run_dir / "summary.json").exists() and not (run_dir / ".checkpoint").exists()
    return Stored(read_manifest(run_dir), has, finished)


def write_manifest(run_dir: Path, fingerprint: str, document: Mapping[str, Any]) -> None:
    """Start a run in ``run_dir``: remove a stale ``summary.json``, then write the manifest."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "summary.json").unlink(missing_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot write the output directory ({exc.strerror or exc})",
            file=str(run_dir),
            expected="a writable directory",
        ) from None
    from . import __version__

    text = json.dumps(
        {"fingerprint": fingerprint, "spacecompute": __version__, "document": document},
        indent=2,
        sort_keys=True,
    )
    atomic_write_text(run_dir / MANIFEST, text + "\n")


def clear_run_files(run_dir: Path) -> None:
    """Remove the run files spacecompute wrote in ``run_dir`` (``--force``); nothing else."""
    for name in RUN_FILES:
        path = run_dir / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError as exc:
            raise InputError(
                f"cannot remove the earlier run's {name} ({exc.strerror or exc})",
                file=str(run_dir),
                expected="a writable directory",
            ) from None


def conflict(
    run_dir: Path, fingerprint: str, document: Mapping[str, Any], held: Stored
) -> str | None:
    """Why ``run_dir``'s results may not be reused for these inputs (None: they may, or there
    are none)."""
    manifest = held.manifest
    if manifest is None:
        if not held.has_results:
            return None
        return (
            f"{run_dir} holds results without a record of their inputs ({MANIFEST}; written by "
            "an older spacecompute or copied in part)"
        )
    if manifest.get("fingerprint") == fingerprint:
        return None
    old = manifest.get("document")
    name = old.get("name") if isinstance(old, dict) else None
    what = f"runs of scenario {name!r}" if name else "runs"
    diffs = differences(old, document) if isinstance(old, dict) else []
    if not diffs:
        version = manifest.get("spacecompute")
        diffs = [f"spacecompute version: {version} -> (this version)"] if version else []
    detail = "; ".join(diffs) if diffs else "unknown differences"
    return f"{run_dir} holds {what} with other inputs: {detail}"


def unrelated_entries(out: Path, run_dirs: set[Path]) -> list[str]:
    """Entries of ``out`` that are neither run files nor run directories."""
    if not out.is_dir():
        return []
    found = []
    for entry in sorted(out.iterdir()):
        if entry.name in RUN_FILES or entry in run_dirs:
            continue
        if entry.is_dir() and any((entry / n).exists() for n in (MANIFEST, "summary.json")):
            continue  # a policy's run directory of an earlier comparison run
        found.append(entry.name + ("/" if entry.is_dir() else ""))
    return found


def refuse(reasons: list[str], *, resume: bool, unrelated: str | None = None) -> InputError:
    """The error that refuses to reuse or overwrite ``--out`` (``unrelated``: the problem of
    files in it that are not a run)."""
    advice = (
        "the same scenario and options as the earlier run, another --out, or --force to run "
        "again and replace its results"
        if resume
        else "another (empty or new) --out directory, or --force to replace the earlier results"
    )
    problems = [Problem(r, field="--out", expected=advice) for r in reasons]
    if unrelated:
        problems.append(
            Problem(
                unrelated,
                field="--out",
                expected="an empty or new --out directory, or --force to write the run into it "
                "(files that are not run files are kept)",
            )
        )
    return InputError(problems=problems)


__all__ = [
    "MANIFEST",
    "RUN_FILES",
    "Stored",
    "clear_run_files",
    "conflict",
    "read_manifest",
    "refuse",
    "stored",
    "unrelated_entries",
    "write_manifest",
]
