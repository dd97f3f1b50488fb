"""Fingerprints of resolved inputs: what proves that results on disk belong to these inputs.

A base module (imports nothing of ours), so every layer can use it: the runner for run
directories and checkpoints, and any later feature that reuses results (sweep cells).

A fingerprint is the SHA-256 of the canonical JSON (sorted keys, no spaces) of a *resolved*
document (every default filled in, every referenced user file replaced by the hash of its
contents, see :func:`file_digest`) together with the package version, so a changed key, an
edited TLE file or another spacecompute version all change it. :func:`differences` names the key
paths where two documents differ, for the error message that refuses to reuse the results.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__  # the package root only (lazy exports), no layer

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


def plain(value: Any) -> Any:
    """``value`` as plain JSON data: mappings with text keys, lists, numbers, text, None.

    Times become ISO text, paths text, non-finite floats text ("nan", "inf"), sets sorted lists.
    """
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        try:
            return plain(value.item())
        except (TypeError, ValueError):
            pass
    return str(value)


def canonical_json(document: Mapping[str, Any]) -> str:
    """The canonical JSON text of ``document`` (sorted keys, compact separators)."""
    return json.dumps(plain(document), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def fingerprint(document: Mapping[str, Any], *, version: str = __version__) -> str:
    """SHA-256 (hex) of the canonical JSON of ``document`` and the package ``version``."""
    text = canonical_json({"document": document, "spacecompute": str(version)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_digest(path: str | os.PathLike) -> str:
    """``sha256:<hex>`` of a file's contents, or ``missing`` when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return "missing"
    return "sha256:" + digest.hexdigest()


def _key(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    text = str(key)
    if not _NAME.match(text):
        text = json.dumps(text)
        return f"{path}[{text}]"
    return f"{path}.{text}" if path else text


def _short(value: Any, limit: int = 60) -> str:
    if value is _ABSENT:
        return "(absent)"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # 3600.0 reads 3600
    text = json.dumps(plain(value), sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_ABSENT = object()


def differences(a: Any, b: Any, *, limit: int = 20) -> list[str]:
    """Where ``a`` and ``b`` differ, as ``"key.path: old -> new"`` lines (at most ``limit``).

    >>> differences({"duration_s": 3600, "w": {"x": 0.5}}, {"duration_s": 7200, "w": {"x": 0.7}})
    ['duration_s: 3600 -> 7200', 'w.x: 0.5 -> 0.7']
    """
    out: list[str] = []
    _walk(plain(a), plain(b), "", out)
    if len(out) > limit:
        out = [*out[:limit], f"... and {len(out) - limit} more"]
    return out


def _walk(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            _walk(a.get(k, _ABSENT), b.get(k, _ABSENT), _key(path, k), out)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, _key(path, i), out)
        return
    if a is _ABSENT or b is _ABSENT or a != b or type(a) is not type(b):
        if a is not _ABSENT and b is not _ABSENT and a == b and {type(a), type(b)} <= {int, float}:
            return  # 3600 and 3600.0 are the same value
        out.append(f"{path or '(document)'}: {_short(a)} -> {_short(b)}")


__all__ = ["canonical_json", "differences", "file_digest", "fingerprint", "plain"]
