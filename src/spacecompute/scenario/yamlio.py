"""YAML reading that remembers where every value came from (file and line).

Scenario files are YAML 1.1 read with PyYAML's safe loader; every mapping key and sequence item
is recorded with its line so that validation problems point to ``file:line``. Duplicate keys are
errors (PyYAML would silently keep the last one).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..errors import InputError, Problem

Path_ = tuple[str | int, ...]


def format_path(path: Path_) -> str:
    """``("constellation", "shells", 0, "walker")`` -> ``constellation.shells[0].walker``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class LocatedYaml:
    """Parsed YAML data plus a map from key path to 1-based line number."""

    def __init__(self, data: object, lines: dict[Path_, int], file: str) -> None:
        self.data = data
        self.lines = lines
        self.file = file

    def line_of(self, path: Path_) -> int | None:
        """Line of the longest prefix of ``path`` that was seen in the file."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def _build(
    loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict, problems: list, file: str
):
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                problems.append(
                    Problem(
                        f"key {key!r} is not a plain name",
                        file=file,
                        line=key_node.start_mark.line + 1,
                        field=format_path(path),
                        expected="text keys",
                    )
                )
                continue
            key = str(key)
            child = (*path, key)
            if key in out:
                problems.append(
                    Problem(
                        f"duplicate key {key!r} (first at line {lines.get(child)})",
                        file=file,
                        line=key_node.start_mark.line + 1,
                        field=format_path(child),
                        expected="each key once",
                    )
                )
                continue
            lines[child] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, child, lines, problems, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, i), lines, problems, file)
            for i, item in enumerate(node.value)
        ]
    return loader.construct_object(node, deep=True)


def load_yaml_text(text: str, file: str = "<text>") -> LocatedYaml:
    """Parse YAML text; syntax errors and duplicate keys raise :class:`InputError` with lines."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # e.g. a control character the YAML reader refuses
        raise InputError(
            f"not readable as YAML: {exc}", file=file, expected="printable UTF-8 text"
        ) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise InputError(
                f"YAML syntax error: {exc.problem or exc}",
                file=file,
                line=(mark.line + 1) if mark else None,
                expected="valid YAML (check indentation, colons and quotes)",
            ) from None
        except yaml.YAMLError as exc:
            raise InputError(f"YAML error: {exc}", file=file, expected="valid YAML") from None
        if node is None:
            raise InputError(
                "the file is empty", file=file, expected="a YAML mapping of scenario keys"
            )
        lines: dict[Path_, int] = {}
        problems: list[Problem] = []
        try:
            data = _build(loader, node, (), lines, problems, file)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(
                f"YAML error: {getattr(exc, 'problem', exc)}",
                file=file,
                line=(mark.line + 1) if mark else None,
                expected="valid YAML values",
            ) from None
        if problems:
            raise InputError(problems=problems)
        return LocatedYaml(data, lines, file)
    finally:
        loader.dispose()


def load_yaml_file(path: str | os.PathLike) -> LocatedYaml:
    """Read and parse a YAML file (see :func:`load_yaml_text`)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            "file not found", file=str(p), expected="an existing YAML file or a preset name"
        ) from None
    except IsADirectoryError:
        raise InputError("is a directory", file=str(p), expected="a YAML file") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start})",
            file=str(p),
            expected="a UTF-8 YAML file",
        ) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=str(p)) from None
    return load_yaml_text(text, file=str(p))


__all__ = ["LocatedYaml", "format_path", "load_yaml_file", "load_yaml_text"]
