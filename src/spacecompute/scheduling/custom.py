"""User policies and arbiters: resolve ``"module:Class"``, entry-point names and objects to a
checked policy (or arbiter).

See :mod:`spacecompute.scheduling.protocols` for what a policy is. Resolution order for a text:
a built-in name (the registries of :mod:`spacecompute.scheduling`, resolved by the caller),
then ``module:attribute`` (imported from ``search_path`` first, e.g. the scenario file's folder,
then from the environment), then a name of the entry-point group :data:`ENTRY_POINT_GROUP`.
A class (or a factory function) is called with the options; an instance is used as given.
Every failure is an :class:`~spacecompute.errors.InputError` naming the file, the key and what
was expected, never a traceback. Arbiters (:mod:`spacecompute.scheduling.arbiters`) are resolved
by the same code (:func:`resolve_arbiter`, entry-point group :data:`ARBITER_ENTRY_POINT_GROUP`),
built-in names included.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from ..errors import InputError
from .protocols import EXPECTED

#: Entry-point group in which installed packages register policies by name.
ENTRY_POINT_GROUP = "spacecompute.policies"
#: Entry-point group in which installed packages register arbiters by name.
ARBITER_ENTRY_POINT_GROUP = "spacecompute.arbiters"


def is_reference(text: object) -> bool:
    """Whether ``text`` has the form ``module.path:attribute`` (dotted Python identifiers)."""
    if not isinstance(text, str) or text.count(":") != 1:
        return False
    return all(part.isidentifier() for side in text.split(":") for part in side.split("."))


def _entry_points(group: str = ENTRY_POINT_GROUP) -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=group):
        found.setdefault(ep.name, ep)
    return found


def entry_point_names(group: str = ENTRY_POINT_GROUP) -> tuple[str, ...]:
    """Names registered by installed packages in ``group`` (default ``spacecompute.policies``;
    :data:`ARBITER_ENTRY_POINT_GROUP` for arbiters)."""
    return tuple(sorted(_entry_points(group)))


def _error(message: str, file: str | None, field: str, kind: str) -> InputError:
    return InputError(message, file=file, field=field, expected=EXPECTED[kind])


def _import_reference(
    text: str, search_path: Iterable[Path], file: str | None, field: str, noun: str = "policy"
):
    module_name, _, attr = text.partition(":")
    added = [str(p) for p in search_path if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        where = ", ".join(str(p) for p in search_path)
        raise InputError(
            f"cannot import {module_name!r} ({exc})",
            file=file,
            field=field,
            expected="module:Class with the module importable"
            + (f" from {where} or the environment" if where else " from the environment"),
        ) from None
    except Exception as exc:  # the user's module failed while importing: say so, no traceback
        raise InputError(
            f"importing {module_name!r} failed: {type(exc).__name__}: {exc}",
            file=file,
            field=field,
            expected="a module that imports without error",
        ) from None
    finally:
        for p in added:
            if p in sys.path:
                sys.path.remove(p)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise InputError(
                f"module {module_name!r} has no attribute {attr!r}",
                file=file,
                field=field,
                expected=f"a {noun} class or object defined in {module_name}",
            )
        obj = getattr(obj, part)
    return obj


def _load_entry_point(
    ep: metadata.EntryPoint, file: str | None, field: str, group: str = ENTRY_POINT_GROUP
) -> Any:
    try:
        return ep.load()
    except Exception as exc:
        raise InputError(
            f"entry point {ep.name!r} = {ep.value!r} failed to load: {type(exc).__name__}: {exc}",
            file=file,
            field=field,
            expected=f"an importable object registered in group {group!r}",
        ) from None


def _instantiate(
    obj: Any,
    options: dict[str, Any],
    label: str,
    file: str | None,
    field: str,
    noun: str = "policy",
    method: str = "decide",
):
    """A class or factory is called with ``options``; an instance is returned as given.
    ``noun`` (policy, arbiter) and ``method`` (decide, share) name what is being made."""
    is_factory = inspect.isclass(obj) or (
        callable(obj) and not hasattr(obj, method) and inspect.isroutine(obj)
    )
    if not is_factory:
        if options:
            raise InputError(
                f"options {sorted(options)} given for the {noun} object {label}",
                file=file,
                field=f"{noun}_options",
                expected=f"no options for a {noun} instance (options go to a class or factory)",
            )
        return obj
    try:
        return obj(**options)
    except TypeError as exc:
        raise InputError(
            f"cannot create {noun} {label}: {exc}",
            file=file,
            field=field,
            expected="a class or factory that takes "
            + (f"the options {sorted(options)}" if options else "no arguments"),
        ) from None


def _missing_method_and_name(obj: Any, method: str) -> list[str]:
    """What ``obj`` lacks of a Protocol's ``method(view)`` and non-empty ``name``."""
    missing = []
    bound = getattr(obj, method, None)
    if not callable(bound):
        missing.append(f"a {method}(view) method")
    else:
        try:
            inspect.signature(bound).bind(None)
        except TypeError:
            missing.append(f"{method}(view) taking exactly one argument (the view)")
        except ValueError:  # builtins without a signature: trust them
            pass
    if not isinstance(getattr(obj, "name", None), str) or not obj.name:
        missing.append("a name (non-empty str)")
    return missing


def check_policy(policy: Any, kind: str, *, file: str | None = None, field: str = "policy") -> Any:
    """``policy`` if it satisfies the Protocol of workload ``kind``; else an InputError saying
    what is missing (``name``, ``decide``, ``on_board`` for Earth observation)."""
    label = type(policy).__name__
    missing = _missing_method_and_name(policy, "decide")
    if kind == "earth-observation" and not isinstance(getattr(policy, "on_board", None), bool):
        missing.append("on_board (bool)")
    if missing:
        raise _error(
            f"{label} is not a {kind} policy: it lacks {', '.join(missing)}", file, field, kind
        )
    return policy


def resolve_policy(
    spec: Any,
    kind: str,
    *,
    options: dict[str, Any] | None = None,
    search_path: Iterable[str | Path] = (),
    file: str | None = None,
    field: str = "policy",
    builtins: Iterable[str] = (),
) -> Any:
    """The checked policy object of ``spec`` (not a built-in name: the caller looks those up).

    ``spec``: ``"module:attr"``, an entry-point name, a class or factory (called with
    ``options``) or an instance. ``search_path``: folders tried first for ``module``.
    ``builtins`` are listed in the error for an unknown name.
    """
    if kind not in EXPECTED or kind == "arbiter":
        raise InputError(f"unknown workload kind {kind!r}", field="workload.kind")
    options = dict(options or {})
    folders = [Path(p) for p in search_path]
    if isinstance(spec, str):
        if is_reference(spec):
            obj = _import_reference(spec, folders, file, field)
        else:
            eps = _entry_points()
            if spec not in eps:
                raise InputError(
                    f"unknown {kind} policy {spec!r}",
                    file=file,
                    field=field,
                    expected=f"one of {sorted(builtins)}"
                    + (f", an installed policy {sorted(eps)}" if eps else "")
                    + ", or module:Class",
                )
            obj = _load_entry_point(eps[spec], file, field)
        label = spec
    elif spec is None or isinstance(spec, int | float | bool | bytes | list | tuple | dict):
        raise _error(f"policy = {spec!r}", file, field, kind)
    else:
        obj, label = spec, getattr(spec, "__name__", type(spec).__name__)
    return check_policy(
        _instantiate(obj, options, label, file, field), kind, file=file, field=field
    )


def check_arbiter(arbiter: Any, *, file: str | None = None, field: str = "arbiter") -> Any:
    """``arbiter`` if it satisfies :class:`~spacecompute.scheduling.arbiters.Arbiter` (a
    non-empty ``name`` and ``share(view)``); else an InputError saying what is missing."""
    missing = _missing_method_and_name(arbiter, "share")
    if missing:
        raise _error(
            f"{type(arbiter).__name__} is not an arbiter: it lacks {', '.join(missing)}",
            file,
            field,
            "arbiter",
        )
    return arbiter


def resolve_arbiter(
    spec: Any,
    *,
    options: dict[str, Any] | None = None,
    search_path: Iterable[str | Path] = (),
    file: str | None = None,
    field: str = "arbiter",
) -> Any:
    """The checked arbiter object of ``spec``: a built-in name (``priority``, ``weighted-fair``,
    ``optimising``), ``"module:Class"`` (from ``search_path``, e.g. the scenario's folder, then
    the environment), a name of the entry-point group :data:`ARBITER_ENTRY_POINT_GROUP`, a class
    or factory (called with ``options``) or an instance (used as given)."""
    from .arbiters import ARBITER_NAMES, builtin_arbiter

    options = dict(options or {})
    folders = [Path(p) for p in search_path]
    if isinstance(spec, str):
        if spec in ARBITER_NAMES:
            obj = builtin_arbiter(spec)
        elif is_reference(spec):
            obj = _import_reference(spec, folders, file, field, noun="arbiter")
        else:
            eps = _entry_points(ARBITER_ENTRY_POINT_GROUP)
            if spec not in eps:
                raise InputError(
                    f"unknown arbiter {spec!r}",
                    file=file,
                    field=field,
                    expected=f"one of {list(ARBITER_NAMES)}"
                    + (f", an installed arbiter {sorted(eps)}" if eps else "")
                    + ", or module:Class",
                )
            obj = _load_entry_point(eps[spec], file, field, ARBITER_ENTRY_POINT_GROUP)
        label = spec
    elif spec is None or isinstance(spec, int | float | bool | bytes | list | tuple | dict):
        raise _error(f"arbiter = {spec!r}", file, field, "arbiter")
    else:
        obj, label = spec, getattr(spec, "__name__", type(spec).__name__)
    made = _instantiate(obj, options, label, file, field, noun="arbiter", method="share")
    return check_arbiter(made, file=file, field=field)


__all__ = [
    "ARBITER_ENTRY_POINT_GROUP",
    "ENTRY_POINT_GROUP",
    "check_arbiter",
    "check_policy",
    "entry_point_names",
    "is_reference",
    "resolve_arbiter",
    "resolve_policy",
]
