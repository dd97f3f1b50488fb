"""Constellation presets and constellation YAML files -> :class:`Constellation`.

Presets (``data/constellations/*.yaml``) are scenario fragments: they use the schema of a
scenario's ``constellation:`` key (:mod:`spacecompute.astro.constellation_spec`). This reader
sits in ``astro/``, below ``sim/``, so that the engines build presets by name without importing
the ``scenario/`` layer; :mod:`spacecompute.scenario.build` and
:mod:`spacecompute.scenario.loader` re-export it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from ..errors import InputError, Problem
from ..sizeguard import check_size
from ..yamlio import (
    Preset,
    data_presets,
    load_yaml_file,
    resolve_preset_file,
    validate_located,
)
from .constants import EARTH_RADIUS_WGS72_M, TWO_PI
from .constellation import Constellation, ShellInfo
from .constellation_spec import (
    ClusterSpec,
    ConstellationFile,
    ConstellationSpec,
    ElementsSpec,
    WalkerSpec,
)
from .elements import ElementSet
from .formation import cluster_elements
from .timeutil import parse_time
from .walker import DEFAULT_EPOCH, WalkerShell, walker_elements


def constellation_presets() -> dict[str, Preset]:
    """Built-in constellations by name (``spacecompute constellations`` lists them)."""
    return data_presets("constellations")


def resolve_constellation_file(name_or_path: str) -> Path:
    """A constellation YAML file path, or the file of the built-in preset of that name."""
    return resolve_preset_file(name_or_path, constellation_presets(), "constellation")


def load_constellation_file(name_or_path: str) -> tuple[ConstellationFile, str, Path]:
    """Read and validate a constellation preset file (or a user's constellation YAML)."""
    path = resolve_constellation_file(name_or_path)
    located = load_yaml_file(path)
    spec = validate_located(
        located, ConstellationFile, keys_hint="name:, start:, constellation:, ..."
    )
    return spec, str(path), path.parent


def _inclination_rad(value: float | str, altitude_km: float) -> float:
    if value == "sso":
        from .sun import sun_synchronous_inclination_rad

        return float(sun_synchronous_inclination_rad(EARTH_RADIUS_WGS72_M + altitude_km * 1e3))
    return math.radians(float(value))


def ltan_raan_rad(epoch: object, ltan_h: float) -> float:
    """RAAN (rad) that gives a local time of ascending node ``ltan_h`` hours at ``epoch``.

    LTAN = 12 h + (RAAN - RA_sun) / (15 deg/h) (mean sun; Wertz, SMAD, section 9.4), so a dawn-dusk
    orbit has LTAN 06:00 or 18:00.
    """
    from .sun import sun_position_eci_m

    sun = sun_position_eci_m(np.array([parse_time(epoch)]))[0]
    ra_sun = math.atan2(sun[1], sun[0])
    return (ra_sun + math.radians((ltan_h - 12.0) * 15.0)) % TWO_PI


def _walker(spec: WalkerSpec, epoch: object, index: int) -> tuple[ElementSet, ShellInfo]:
    spread = (
        spec.raan_spread_deg
        if spec.raan_spread_deg is not None
        else (180.0 if spec.kind == "star" else 360.0)
    )
    shell = WalkerShell(
        total=spec.total,
        planes=spec.planes,
        phasing=spec.phasing,
        altitude_m=spec.altitude_km * 1e3,
        inclination_rad=_inclination_rad(spec.inclination_deg, spec.altitude_km),
        raan_spread_rad=math.radians(spread),
        raan_offset_rad=math.radians(spec.raan_offset_deg),
        kind=spec.kind,
        name=spec.name or f"SHELL{index}",
    )
    elements = walker_elements(shell, epoch=epoch, shell_index=index)
    return elements, ShellInfo(index, 0, len(elements), walker=shell, source="walker")


def _cluster(spec: ClusterSpec, epoch: object, index: int) -> tuple[ElementSet, ShellInfo]:
    if spec.raan_deg is not None:
        raan = math.radians(spec.raan_deg)
    else:
        raan = ltan_raan_rad(epoch, spec.local_time_ascending_node_h or 6.0)
    elements = cluster_elements(
        count=spec.count,
        radius_m=spec.radius_m,
        altitude_m=spec.altitude_km * 1e3,
        inclination_rad=_inclination_rad(spec.inclination_deg, spec.altitude_km),
        raan_rad=raan,
        epoch=epoch,
        shell_index=index,
        name=spec.name,
    )
    return elements, ShellInfo(index, 0, len(elements), source="cluster")


def _elements(
    spec: ElementsSpec, base_dir: Path, index: int, field: str
) -> tuple[ElementSet, ShellInfo, list[Problem]]:
    from .elements_io import read_elements

    path = Path(spec.file)
    if not path.is_absolute():
        path = Path(os.path.normpath(base_dir / path))  # printed in messages: no "a/../b"
    try:
        elements, skipped = read_elements(
            str(path),
            format=spec.format,
            on_error="skip" if spec.skip_bad else "raise",
            name_pattern=spec.name_pattern,
            catalog_numbers=spec.catalog_numbers,
        )
    except InputError as exc:
        raise InputError(
            problems=[
                Problem(
                    p.message,
                    file=p.file,
                    line=p.line,
                    field=p.field or f"{field}.file",
                    expected=p.expected,
                )
                for p in exc.problems
            ]
        ) from None
    elements = ElementSet.take(elements, np.arange(len(elements)))
    from dataclasses import replace

    elements = replace(elements, shell=np.full(len(elements), index, dtype=np.int32))
    return elements, ShellInfo(index, 0, len(elements), source=str(path)), skipped


#: Memory a run needs per satellite, at least: its elements and propagator constants, one
#: propagated step (positions and velocities, TEME and Earth-fixed), the spacecraft state and
#: the engine's per-satellite arrays (docs/benchmarks.md: 1.23 GiB peak for a million).
RUN_BYTES_PER_SATELLITE = 1024


def build_constellation(
    spec: ConstellationSpec,
    base_dir: Path,
    *,
    epoch: object | None = None,
    field: str = "constellation",
    memory_budget_bytes: int | None = None,
) -> tuple[Constellation, list[Problem]]:
    """A :class:`Constellation` from its spec; also returns skipped-record notes.

    Walker shells and clusters get ``spec.epoch``, else ``epoch`` (the scenario start), else
    :data:`~spacecompute.astro.walker.DEFAULT_EPOCH`. Generated satellites (Walker shells,
    clusters) are counted against ``memory_budget_bytes`` (default 2 GiB) at
    :data:`RUN_BYTES_PER_SATELLITE` each before any is built (:mod:`spacecompute.sizeguard`).
    """
    if spec.preset is not None:
        preset, _, preset_dir = load_constellation_file(spec.preset)
        const, notes = build_constellation(
            preset,
            preset_dir,
            epoch=spec.epoch or epoch,
            field=f"{field}.preset({spec.preset})",
            memory_budget_bytes=memory_budget_bytes,
        )
        return const, notes
    generated = sum(
        (e.walker.total if e.walker is not None else 0)
        + (e.cluster.count if e.cluster is not None else 0)
        for e in spec.shells or []
    )
    check_size(
        "a run over this constellation",
        [(generated, "satellites")],
        RUN_BYTES_PER_SATELLITE,
        key=(
            "memory_budget_mib (or a smaller constellation)"
            if ".preset(" in field  # a built-in preset's shells are not the user's to edit
            else f"{field}.shells (fewer satellites) or memory_budget_mib"
        ),
        budget_bytes=memory_budget_bytes,
    )
    shell_epoch = spec.epoch or epoch or DEFAULT_EPOCH
    parts: list[ElementSet] = []
    infos: list[ShellInfo] = []
    notes: list[Problem] = []
    start = 0
    for i, entry in enumerate(spec.shells or []):
        where = f"{field}.shells[{i}]"
        if entry.walker is not None:
            els, info = _walker(entry.walker, shell_epoch, i)
        elif entry.cluster is not None:
            els, info = _cluster(entry.cluster, shell_epoch, i)
        else:
            els, info, skipped = _elements(entry.elements, base_dir, i, f"{where}.elements")
            notes += skipped
        parts.append(els)
        infos.append(ShellInfo(i, start, len(els), walker=info.walker, source=info.source))
        start += len(els)
    return Constellation(ElementSet.concat(parts), name=spec.name, shells=tuple(infos)), notes


def preset_constellation(name: str, *, epoch: object | None = None) -> Constellation:
    """A built-in constellation by name (``spacecompute constellations`` lists them), or a
    constellation YAML file. Walker shells and clusters get ``epoch`` (default 2026-01-01)."""
    spec, _, base_dir = load_constellation_file(name)
    const, _ = build_constellation(spec, base_dir, epoch=epoch)
    return const


__all__ = [
    "RUN_BYTES_PER_SATELLITE",
    "build_constellation",
    "constellation_presets",
    "load_constellation_file",
    "ltan_raan_rad",
    "preset_constellation",
    "resolve_constellation_file",
]
