"""Planner: orbital data-centre sizing and cost against terrestrial data centres.

Uses the physics of the engine, not constants of its own: the orbit kernel for eclipses over a
year, ``spacecraft.power`` for the array and battery, ``spacecraft.thermal`` for the radiator,
``spacecraft.radiation`` for the dose and ``spacecraft.hardware`` for the accelerators.

Example::

    from spacecompute.economics import load_design, plan
    result = plan(load_design("suncatcher"), samples=2000, seed=0)
    result.nominal["space_usd_per_kw_year"], result.nominal["terrestrial_usd_per_kw_year"]
    [c.message for c in result.inconsistencies]

Modules: :mod:`~spacecompute.economics.sizing` (eclipses, array, battery, radiator, masses,
satellites, launches), :mod:`~spacecompute.economics.cost` (space and terrestrial costs,
figures of merit, break-even launch price, published-claim checks),
:mod:`~spacecompute.economics.uncertainty` (ranges and distributions, Monte Carlo, tornado,
:func:`plan`), :mod:`~spacecompute.economics.presets` (YAML schema, defaults with sources,
built-in designs) and :mod:`~spacecompute.economics.report` (console, JSON, plots, HTML).
See docs/planner.md.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Design": "spacecompute.economics.sizing",
    "OrbitSpec": "spacecompute.economics.sizing",
    "EclipseYear": "spacecompute.economics.sizing",
    "eclipse_year": "spacecompute.economics.sizing",
    "eclipse_by_propagation": "spacecompute.economics.sizing",
    "prepare": "spacecompute.economics.sizing",
    "size": "spacecompute.economics.sizing",
    "Claim": "spacecompute.economics.cost",
    "ClaimCheck": "spacecompute.economics.cost",
    "check_claims": "spacecompute.economics.cost",
    "evaluate": "spacecompute.economics.cost",
    "launched_power_price_usd_per_kw_year": "spacecompute.economics.cost",
    "learning_curve_price_usd_per_kg": "spacecompute.economics.cost",
    "terrestrial_energy_usd": "spacecompute.economics.cost",
    "terrestrial_power_price_usd_per_kw_year": "spacecompute.economics.cost",
    "Dist": "spacecompute.economics.uncertainty",
    "PlanResult": "spacecompute.economics.uncertainty",
    "monte_carlo": "spacecompute.economics.uncertainty",
    "plan": "spacecompute.economics.uncertainty",
    "tornado": "spacecompute.economics.uncertainty",
    "load_defaults": "spacecompute.economics.presets",
    "load_design": "spacecompute.economics.presets",
    "planner_presets": "spacecompute.economics.presets",
    "print_plan": "spacecompute.economics.report",
    "write_report": "spacecompute.economics.report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spacecompute.economics' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
