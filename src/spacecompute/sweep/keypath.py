"""Key paths into a YAML document: ``constellation.shells[0].walker.total``.

A key path names one value of a scenario or planner document: mapping keys joined by dots, list
items by ``[index]``. :func:`set_path` writes a value into a copy, creating missing mappings on
the way (a scenario without ``spacecraft:`` accepts ``spacecraft.bus``); the schema then says
whether the key exists.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ..yamlio import format_path

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_\-]*)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")

Path_ = tuple[str | int, ...]


class KeyPathError(ValueError):
    """A key path that is malformed or that does not fit the document."""


def parse_path(text: str) -> Path_:
    """``"constellation.shells[0].walker.total"`` -> ``("constellation", "shells", 0, ...)``."""
    if not isinstance(text, str) or not text:
        raise KeyPathError("an empty key path")
    parts: list[str | int] = []
    for piece in text.split("."):
        match = _PART.fullmatch(piece)
        if match is None:
            raise KeyPathError(
                f"malformed key path {text!r} at {piece!r} "
                "(expected names joined by dots, list items as [0])"
            )
        parts.append(match.group(1))
        parts.extend(int(i) for i in _INDEX.findall(match.group(2)))
    return tuple(parts)


def set_path(document: dict[str, Any], path: Path_, value: Any) -> dict[str, Any]:
    """A deep copy of ``document`` with ``value`` at ``path``; missing mappings are created,
    a missing list item or a path through a plain value raises :class:`KeyPathError`."""
    out = copy.deepcopy(document)
    node: Any = out
    for depth, part in enumerate(path[:-1]):
        nxt = path[depth + 1]
        where = format_path(path[: depth + 1])
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise KeyPathError(f"{where}: the base has no item [{part}] (it has {size})")
            if node[part] is None:
                node[part] = {} if isinstance(nxt, str) else []
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise KeyPathError(f"{where}: the base has a {type(node).__name__} here, not keys")
            if node.get(part) is None:
                if isinstance(nxt, int):
                    raise KeyPathError(f"{where}: the base has no list here to index [{nxt}]")
                node[part] = {}
            node = node[part]
    last = path[-1]
    where = format_path(path)
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            raise KeyPathError(f"{where}: the base has no such list item")
        node[last] = copy.deepcopy(value)
    else:
        if not isinstance(node, dict):
            parent = format_path(path[:-1]) or "the top level"
            raise KeyPathError(f"{parent} is a {type(node).__name__} in the base, not keys")
        node[last] = copy.deepcopy(value)
    return out


def is_under(path: Path_, prefix: Path_) -> bool:
    """True if ``path`` equals ``prefix`` or lies below it."""
    return tuple(path[: len(prefix)]) == tuple(prefix)


__all__ = ["KeyPathError", "is_under", "parse_path", "set_path"]
