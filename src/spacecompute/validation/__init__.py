"""The validation report: every reference comparison the project has, in one table.

Each module named in :data:`CHECK_MODULES` exposes ``checks() -> list[Check]``
(:class:`~spacecompute.validation.check.Check`): a quantity we compute, the independent
reference it is compared with (closed form, verification vectors, published figure, another
implementation) with its citation, and a tolerance. :func:`run_checks` runs them all (or a
selection); :mod:`spacecompute.validation.report` prints the table and writes
``docs/validation.md`` (``spacecompute validate-models --out docs/validation.md``).

This package sits above every other layer: it imports the models it checks.
"""

from __future__ import annotations

import importlib
import time
import traceback
from dataclasses import dataclass

from .check import Check

#: The check modules, in report order (``spacecompute.validation.<name>``). Add a module here.
CHECK_MODULES: tuple[str, ...] = (
    "sgp4_vallado",
    "sun_ephemeris",
    "eclipse_closed_form",
    "contact_windows",
    "link_budgets",
    "itu_attenuation",
    "radiator_balance",
    "power_averages",
    "published_figures",
    "rtt_shortest_paths",
)

__all__ = ["CHECK_MODULES", "Check", "ModuleResult", "run_checks"]


@dataclass(frozen=True)
class ModuleResult:
    """The checks of one module, how long it took (s) and its title (first docstring line)."""

    module: str
    title: str
    checks: tuple[Check, ...]
    elapsed_s: float


def _title(mod) -> str:
    doc = (mod.__doc__ or "").strip().splitlines()
    return doc[0].rstrip(".") if doc else mod.__name__


def run_checks(modules: tuple[str, ...] | list[str] | None = None) -> list[ModuleResult]:
    """Run the check modules (default: all of :data:`CHECK_MODULES`), in order.

    A module that raises gives one failing check that carries the error, so that one broken
    comparison never hides the others.
    """
    names = CHECK_MODULES if modules is None else tuple(modules)
    unknown = [n for n in names if n not in CHECK_MODULES]
    if unknown:
        from ..errors import InputError

        raise InputError(
            f"unknown check module(s) {unknown}",
            field="--only",
            expected=f"one of {', '.join(CHECK_MODULES)}",
        )
    out = []
    for name in names:
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"{__name__}.{name}")
            title = _title(mod)
            checks = tuple(mod.checks())
        except Exception as exc:  # reported as a failed check, never hidden
            title = name
            last = traceback.format_exception_only(type(exc), exc)[-1].strip()
            checks = (
                Check(
                    quantity=f"{name}: the module ran",
                    citation="-",
                    ours=float("nan"),
                    reference_value=0.0,
                    tolerance=0.0,
                    unit="",
                    note=f"raised {last}",
                ),
            )
        out.append(ModuleResult(name, title, checks, time.perf_counter() - t0))
    return out
