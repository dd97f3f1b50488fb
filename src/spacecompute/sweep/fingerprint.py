"""The fingerprint of a sweep cell: what decides whether a finished cell can be reused.

``--resume`` reuses a cell's run directory only when the fingerprint of its fully resolved
document (every default filled in, relative file paths made absolute, the seed included), of the
contents of every file the document names (element files, GeoJSON areas, a user's constellation
file) and of the package version equals the recorded one, so an edited sweep file, an edited TLE
file, a changed default or another spacecompute version re-runs the cell instead of reusing stale
results. The hash is :func:`spacecompute.fingerprint.fingerprint`, the one that guards
``spacecompute run --resume``.
"""

from __future__ import annotations

import os
from typing import Any

from ..fingerprint import canonical_json, file_digest, fingerprint


def referenced_files(document: Any) -> dict[str, str]:
    """``path -> file_digest`` of every absolute path to an existing file in ``document``."""
    found: dict[str, str] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)
        elif isinstance(value, str) and os.path.isabs(value) and os.path.isfile(value):
            found[value] = file_digest(value)

    walk(document)
    return found


def cell_fingerprint(resolved_cell_document: dict[str, Any]) -> str:
    """The fingerprint of a resolved cell document, the files it names and the version."""
    from .. import __version__  # read at call time: the installed package's version

    document = {
        "cell": resolved_cell_document,
        "file_contents": referenced_files(resolved_cell_document),
    }
    return fingerprint(document, version=__version__)


__all__ = ["canonical_json", "cell_fingerprint", "referenced_files"]
