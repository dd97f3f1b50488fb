"""YAML reading that remembers where every value came from (file and line), and located
validation problems from pydantic errors. A base module: it imports nothing of ours but errors.

Scenario files are YAML 1.1 read with PyYAML's safe loader; every mapping key and sequence item
is recorded with its line so that validation problems point to ``file:line``. Duplicate keys are
errors (PyYAML would silently keep the last one).

This is the one YAML reader of the package (scenarios, planner designs, the data catalogs), and
it bounds what a file can cost: nesting deeper than :data:`MAX_DEPTH` levels (PyYAML's composer
would overflow the stack) and documents that expand, through aliases, to more than
:data:`MAX_NODES` values, or use more than :data:`MAX_ALIAS_NODES` values through aliases (a
"billion laughs" file of 1 KB grows past gigabytes) are refused before they are built.
Unquoted timestamps that name no real time (``2026-02-30``, ``T25:00``) are located problems.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ValidationError

from .errors import InputError, Problem

Path_ = tuple[str | int, ...]

#: Deepest nesting of lists and mappings a YAML file may have.
MAX_DEPTH = 64
#: Most values (keys, items, scalars) a document may expand to, aliases included.
MAX_NODES = 2_000_000
#: Most values a document may reach through aliases (each use of an alias counts its values).
MAX_ALIAS_NODES = 100_000
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


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


class _Budget:
    """Counts the values built, and those reached through aliases (nodes seen before)."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.nodes = 0
        self.alias_nodes = 0
        self.seen: set[int] = set()

    def visit(self, node: yaml.Node, in_alias: bool) -> bool:
        """Count ``node``; returns whether it (or an ancestor) was reached through an alias."""
        self.nodes += 1
        again = in_alias or id(node) in self.seen
        self.seen.add(id(node))
        if again:
            self.alias_nodes += 1
        if self.nodes > MAX_NODES or self.alias_nodes > MAX_ALIAS_NODES:
            what = (
                f"more than {MAX_ALIAS_NODES:,} values through aliases"
                if self.alias_nodes > MAX_ALIAS_NODES
                else f"more than {MAX_NODES:,} values"
            )
            raise InputError(
                f"the document expands to {what} (nested YAML aliases?)",
                file=self.file,
                line=node.start_mark.line + 1,
                expected="a scenario-sized file; write repeated values out instead of aliasing "
                "aliases",
            )
        return again


def _scalar(loader: yaml.SafeLoader, node: yaml.Node, path: Path_, problems: list, file: str):
    """A scalar's value; an impossible timestamp is a located problem (None in its place)."""
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError) as exc:
        if node.tag != _TIMESTAMP_TAG:
            raise
        problems.append(
            Problem(
                f"{node.value!r} is not a real date and time ({exc})",
                file=file,
                line=node.start_mark.line + 1,
                field=format_path(path) or None,
                expected="a calendar date and a time of day in UTC, e.g. 2026-03-20T00:00:00Z "
                "(hours 00-23, a day that exists in its month)",
            )
        )
        return None


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path_,
    lines: dict,
    problems: list,
    file: str,
    budget: _Budget | None = None,
    in_alias: bool = False,
):
    budget = budget if budget is not None else _Budget(file)
    in_alias = budget.visit(node, in_alias)
    if len(path) > MAX_DEPTH:  # only through aliases: _check_depth bounds the text's nesting
        raise InputError(
            f"aliases nest values more than {MAX_DEPTH} levels deep (an alias inside itself?)",
            file=file,
            line=node.start_mark.line + 1,
            expected=f"at most {MAX_DEPTH} levels of nesting",
        )
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        for key_node, value_node in node.value:
            key = (
                _scalar(loader, key_node, path, problems, file)
                if isinstance(key_node, yaml.ScalarNode)
                else None
            )
            if not isinstance(key, str | int | float | bool) or key is None:
                problems.append(
                    Problem(
                        f"key {key!r} is not a plain name"
                        if isinstance(key_node, yaml.ScalarNode)
                        else "a list or mapping used as a key",
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
            out[key] = _build(loader, value_node, child, lines, problems, file, budget, in_alias)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, i), lines, problems, file, budget, in_alias)
            for i, item in enumerate(node.value)
        ]
    return _scalar(loader, node, path, problems, file)


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before composing (PyYAML's composer and our
    builder recurse; its parser does not). Syntax errors are left to the composer."""
    loader = yaml.SafeLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise InputError(
                        f"lists and mappings nested more than {MAX_DEPTH} levels deep",
                        file=file,
                        line=event.start_mark.line + 1,
                        expected=f"at most {MAX_DEPTH} levels of nesting",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return
    finally:
        loader.dispose()


def _loader_class(packaged: bool) -> type:
    """PyYAML's pure-Python safe loader; libyaml's (the same constructor and resolver on a C
    parser, about ten times faster) for the package's own catalogs, whose text is known."""
    if packaged and getattr(yaml, "__with_libyaml__", False):
        return yaml.CSafeLoader
    return yaml.SafeLoader


def load_yaml_text(text: str, file: str = "<text>", *, packaged: bool = False) -> LocatedYaml:
    """Parse YAML text; syntax errors and duplicate keys raise :class:`InputError` with lines.

    ``packaged``: the text is a data file shipped in the package (read at the start of every
    run): parsed by libyaml when PyYAML has it, same values and lines. User files are always
    read by the pure-Python loader, whose errors the messages above are written for."""
    try:
        loader = _loader_class(packaged)(text)
    except yaml.YAMLError as exc:  # e.g. a control character the YAML reader refuses
        raise InputError(
            f"not readable as YAML: {exc}", file=file, expected="printable UTF-8 text"
        ) from None
    try:
        if not packaged:  # the package's catalogs are shallow
            _check_depth(text, file)
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


#: Parsed documents by the SHA-256 of their text: a command reads the same preset and catalog
#: files many times (presets, the bus and hardware catalogs of each stage), and PyYAML's
#: pure-Python reader costs milliseconds per file. Keyed by content, not by modification time,
#: so that a file rewritten within the file system's timestamp resolution is read again.
_PARSED: dict[bytes, LocatedYaml] = {}
_PARSED_MAX_FILES = 256


def load_yaml_file(path: str | os.PathLike) -> LocatedYaml:
    """Read and parse a YAML file (see :func:`load_yaml_text`).

    Text parsed before in this process is not parsed again; the caller gets its own copy."""
    p = Path(path)
    text = _read_text(p)
    key = hashlib.sha256(text.encode("utf-8")).digest()
    cached = _PARSED.get(key)
    if cached is None:
        cached = load_yaml_text(text, file=str(p))
        if len(_PARSED) >= _PARSED_MAX_FILES:
            _PARSED.clear()
        _PARSED[key] = cached
    return LocatedYaml(copy.deepcopy(cached.data), dict(cached.lines), str(p))


def _read_text(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8")
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


@dataclass(frozen=True)
class Preset:
    """A built-in YAML file by name; its ``description`` is read only when asked for."""

    name: str
    path: Path

    @property
    def description(self) -> str:
        data = load_yaml_file(self.path).data
        return str(data.get("description", "")).strip() if isinstance(data, dict) else ""


def presets_in(base: Path, skip: tuple[str, ...] = ()) -> dict[str, Preset]:
    """The YAML files of a folder by name (file stem), in name order, except ``skip``."""
    return {
        path.stem: Preset(path.stem, path)
        for path in sorted(base.glob("*.yaml"))
        if path.name not in skip
    }


def data_presets(folder: str) -> dict[str, Preset]:
    """The YAML files of a package data folder by name."""
    return presets_in(Path(str(resources.files("spacecompute") / "data" / folder)))


def resolve_preset_file(name_or_path: str, presets: dict[str, Preset], what: str) -> Path:
    """``name_or_path`` as a file path, else the file of the built-in preset of that name (one
    of ``presets``); otherwise an :class:`InputError` with the closest names (``what``: e.g.
    "scenario", "sweep")."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    if name_or_path in presets:
        return presets[name_or_path].path
    close = difflib.get_close_matches(name_or_path, list(presets), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise InputError(
        f"no such file, and no built-in {what} of that name{hint}",
        file=name_or_path,
        expected=f"a {what} YAML file or one of: {', '.join(presets)}",
    )


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
        elif isinstance(part, str) and isinstance(current, dict) and part == current.get("kind"):
            continue  # the tag of a discriminated union (workload kind): not a key
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


def validate_located(
    located: LocatedYaml, model: type[BaseModel], *, keys_hint: str = ""
) -> object:
    """Validate parsed YAML against a pydantic model; every problem located (file, line, key)."""
    if not isinstance(located.data, dict):
        raise InputError(
            f"the top level is a {type(located.data).__name__}",
            file=located.file,
            line=1,
            expected=f"a mapping of keys{f' ({keys_hint})' if keys_hint else ''}",
        )
    try:
        return model.model_validate(located.data)
    except ValidationError as exc:
        raise InputError(problems=problems_from_validation(exc, located, model)) from None


__all__ = [
    "LocatedYaml",
    "Preset",
    "data_presets",
    "format_path",
    "load_yaml_file",
    "load_yaml_text",
    "presets_in",
    "problems_from_validation",
    "validate_located",
]
