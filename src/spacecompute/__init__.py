"""spacecompute: computing in orbit, from 12 satellites to a million.

Public API (stable; see docs/api.md)::

    import spacecompute as sc
    c = sc.walker(total=1584, planes=72, phasing=1, altitude_km=550, inclination_deg=53)
    c = sc.load_elements("starlink.tle")          # TLE / 3LE / OMM JSON / OMM CSV
    c = sc.preset_constellation("threebody")      # built-in presets by name
    eph = c.propagate(start="2026-03-20T00:00:00Z", duration_s=86400, step_s=60, method="sgp4")
    sc.sunlit_fraction(eph)                       # (T, N) in [0, 1]
    sc.contact_windows(eph, sc.ground_stations(), min_elevation_deg=10)
    r = sc.run("default", policy="on-board", duration_s=3600)   # -> RunResult
    r.summary, r.jobs, r.steps, r.satellites                      # dict, Tables
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Public names and the module that defines each; imported on first use so that
# `import spacecompute` stays fast and light.
_EXPORTS = {
    "Constellation": "spacecompute.astro.constellation",
    "walker": "spacecompute.astro.constellation",
    "load_elements": "spacecompute.astro.constellation",
    "Ephemeris": "spacecompute.astro.ephemeris",
    "preset_constellation": "spacecompute.astro.presets",
    "load_scenario": "spacecompute.scenario.loader",
    "run": "spacecompute.runner",
    "RunResult": "spacecompute.results.store",
    "RunResults": "spacecompute.results.store",
    "sunlit_fraction": "spacecompute.astro.eclipse",
    "eclipse_events": "spacecompute.astro.eclipse",
    "eclipse_events_from_ephemeris": "spacecompute.astro.eclipse",
    "eclipse_fraction_cylindrical": "spacecompute.astro.eclipse",
    "sun_position_eci_m": "spacecompute.astro.sun",
    "beta_angle_rad": "spacecompute.astro.sun",
    "sun_synchronous_inclination_rad": "spacecompute.astro.sun",
    "contact_windows": "spacecompute.astro.access",
    "look_angles": "spacecompute.astro.access",
    "GroundStations": "spacecompute.astro.ground",
    "ground_stations": "spacecompute.astro.ground",
    "stations_from_latlon": "spacecompute.astro.ground",
    "cities": "spacecompute.astro.ground",
    "city": "spacecompute.astro.ground",
    "city_stations": "spacecompute.astro.ground",
    "time_grid": "spacecompute.astro.timeutil",
    "Table": "spacecompute.table",
    "InputError": "spacecompute.errors",
    "SpacecomputeError": "spacecompute.errors",
    "MemoryBudgetError": "spacecompute.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'spacecompute' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
