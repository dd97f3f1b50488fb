"""The fingerprint of a sweep cell: what decides whether a finished cell can be reused.

``--resume`` reuses a cell's run directory only when the sha256 of its fully resolved document
(every default filled in, relative file paths made absolute, the seed included) and of the
package version equals the recorded one, so an edited sweep file, a changed default or another
spacecompute version re-runs the cell instead of reusing stale results.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_json(document: Any) -> str:
    """Sorted-key, whitespace-free JSON (dates and other non-JSON values as their text)."""
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )


def cell_fingerprint(resolved_cell_document: dict[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of the resolved cell document and the package
    version."""
    from .. import __version__

    text = canonical_json({"document": resolved_cell_document, "version": __version__})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


__all__ = ["canonical_json", "cell_fingerprint"]
