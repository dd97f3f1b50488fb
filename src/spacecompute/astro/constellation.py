"""The :class:`Constellation`: N satellites' element sets plus how they were made, and propagation.

A constellation is made from Walker shells (:func:`walker`), element-set files
(:func:`load_elements`) or presets (:func:`spacecompute.preset_constellation`), and combined with
``+``. ``propagate`` returns an :class:`~spacecompute.astro.ephemeris.Ephemeris` for a span that
fits the memory budget; ``propagate_chunks`` streams any span in chunks of time.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np

from ..errors import InputError, MemoryBudgetError
from .elements import ElementSet
from .ephemeris import Ephemeris
from .propagation import (
    DEFAULT_MEMORY_BUDGET_BYTES,
    bytes_per_step,
    iter_time_chunks,
    make_propagator,
    plan_chunks,
)
from .timeutil import time_grid
from .walker import DEFAULT_EPOCH, WalkerShell, walker_elements


@dataclass(frozen=True)
class ShellInfo:
    """Where a group of satellites came from: a Walker shell or an element-set file."""

    index: int
    start: int  # first satellite index in the constellation
    count: int
    walker: WalkerShell | None = None
    source: str = ""


class Constellation:
    """N satellites as mean element sets (columns), in a fixed order used by every result array."""

    def __init__(
        self, elements: ElementSet, *, name: str = "", shells: tuple[ShellInfo, ...] = ()
    ) -> None:
        self.elements = elements
        self.name = name
        self.shells = shells or (ShellInfo(0, 0, len(elements), source=elements.source_file or ""),)
        self._propagators: dict[str, object] = {}
        self._names: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.elements)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return f"Constellation({label}{len(self):,} satellites in {len(self.shells)} shell(s))"

    @property
    def names(self) -> np.ndarray:
        """Satellite names (N,), object array of str."""
        if self._names is None:
            self._names = self.elements.name_list()
        return self._names

    @property
    def epoch(self) -> np.ndarray:
        return self.elements.epoch

    def __add__(self, other: Constellation) -> Constellation:
        if not isinstance(other, Constellation):
            return NotImplemented
        offset_shell = max(s.index for s in self.shells) + 1
        other_elements = replace(other.elements, shell=other.elements.shell + offset_shell)
        shells = self.shells + tuple(
            replace(s, index=s.index + offset_shell, start=s.start + len(self))
            for s in other.shells
        )
        name = " + ".join(n for n in (self.name, other.name) if n)
        return Constellation(
            ElementSet.concat([self.elements, other_elements]), name=name, shells=shells
        )

    def select(
        self, name_pattern: str | None = None, catalog_numbers: list[int] | None = None
    ) -> Constellation:
        """Satellites whose name matches the glob ``name_pattern`` (case-insensitive) and/or whose
        catalogue number is in ``catalog_numbers``."""
        mask = np.ones(len(self), dtype=bool)
        if name_pattern is not None:
            pat = name_pattern.upper()
            mask &= np.array(
                [fnmatch.fnmatchcase(str(n).upper(), pat) for n in self.names], dtype=bool
            )
        if catalog_numbers is not None:
            mask &= np.isin(
                self.elements.catalog_number, np.asarray(catalog_numbers, dtype=np.int64)
            )
        if not mask.any():
            raise InputError(
                "the selection matches no satellite",
                field="select",
                expected=f"a name pattern or catalogue numbers present among the {len(self)} satellites",
            )
        idx = np.flatnonzero(mask)
        return Constellation(self.elements.take(idx), name=self.name, shells=())

    def propagator(self, method: str = "sgp4"):
        """The (cached) propagator object for ``method``."""
        if method not in self._propagators:
            self._propagators[method] = make_propagator(self.elements, method)
        return self._propagators[method]

    def _ephemeris(self, chunk) -> Ephemeris:
        eph = Ephemeris(
            chunk.times,
            chunk.r_eci_m,
            chunk.v_eci_m,
            names=self.names,
            valid=chunk.valid,
            r_ecef_m=chunk.r_ecef_m,
            v_ecef_m=chunk.v_ecef_m,
        )
        if chunk.geodetic is not None:  # computed ahead, by the same function as Ephemeris's
            eph.__dict__["_geodetic"] = chunk.geodetic
        eph.sunlit_ahead = chunk.sunlit
        return eph

    def propagate(
        self,
        start: object,
        duration_s: float = 0.0,
        step_s: float = 60.0,
        method: str = "sgp4",
        *,
        times: np.ndarray | None = None,
        memory_budget_bytes: int | None = None,
        velocities: bool = True,
    ) -> Ephemeris:
        """Positions and velocities at ``start, start + step_s, ..., start + duration_s``.

        ``method`` is ``"sgp4"`` or ``"j2"``. The whole result must fit ``memory_budget_bytes``
        (default 2 GiB); for longer spans use :meth:`propagate_chunks`, which streams.
        Explicit ``times`` (datetime64 array) replace start/duration/step. With
        ``velocities=False`` no velocities are computed or held (``v_eci_m`` is None).
        """
        grid = (
            time_grid(start, duration_s, step_s)
            if times is None
            else np.asarray(times, "datetime64[ns]")
        )
        budget = DEFAULT_MEMORY_BUDGET_BYTES if memory_budget_bytes is None else memory_budget_bytes
        need = bytes_per_step(len(self), velocities=velocities) * grid.shape[0]
        if need > budget:
            raise MemoryBudgetError(
                f"{grid.shape[0]:,} steps x {len(self):,} satellites need about {need / 2**30:.1f} GiB, "
                f"over the memory budget of {budget / 2**30:.1f} GiB: shorten the span, stream it in time "
                "chunks (propagate_chunks), or raise the memory budget (a scenario's "
                "memory_budget_mib)"
            )
        chunk = self.propagator(method).propagate(grid, velocities=velocities)
        return self._ephemeris(chunk)

    def propagate_chunks(
        self,
        start: object,
        duration_s: float,
        step_s: float = 60.0,
        method: str = "sgp4",
        *,
        chunk_steps: int | None = None,
        memory_budget_bytes: int | None = None,
        velocities: bool = True,
        overlap: bool = False,
        shadow: str | None = None,
    ) -> Iterator[Ephemeris]:
        """Stream the span as successive :class:`Ephemeris` chunks in time order.

        Each chunk holds at most ``chunk_steps`` instants (default: as many as fit the memory
        budget, 2 GiB unless given). Peak memory is about one chunk. With ``velocities=False``
        no velocities are computed or held (``v_eci_m`` is None).

        ``overlap=True``: every chunk after the first starts with the previous chunk's last
        instant (so that each chunk's first step is complete), and chunk ``j``'s arrays are
        valid only until chunk ``j + 1`` is asked for: large SGP4 runs are then propagated one
        chunk ahead in a second process (:mod:`spacecompute.astro.prefetch`, which also computes
        the geodetic positions and, with ``shadow``, the sun and the sunlit fraction by that shadow
        model as ``Ephemeris.sunlit_ahead``; the chunks carry no Earth-fixed velocities there).
        """
        grid = time_grid(start, duration_s, step_s)
        steps = chunk_steps or plan_chunks(
            grid.shape[0], len(self), memory_budget_bytes=memory_budget_bytes, velocities=velocities
        )
        prop = self.propagator(method)
        parts = list(iter_time_chunks(grid, steps))
        if overlap:
            parts = [parts[0]] + [np.concatenate([a[-1:], b]) for a, b in pairwise(parts)]
            from .prefetch import prefetch_pays, prefetched_chunks

            if prefetch_pays(prop, len(self), len(parts)):
                chunks = prefetched_chunks(prop, parts, velocities=velocities, shadow=shadow)
                for chunk in chunks:
                    yield self._ephemeris(chunk)
                return
        for times in parts:
            chunk = prop.propagate(times, velocities=velocities)
            yield self._ephemeris(chunk)


def walker(
    total: int,
    planes: int,
    phasing: int,
    altitude_km: float,
    inclination_deg: float,
    *,
    kind: str = "delta",
    raan_spread_deg: float | None = None,
    raan_offset_deg: float = 0.0,
    epoch: object = DEFAULT_EPOCH,
    name: str = "",
) -> Constellation:
    """A Walker delta (RAAN spread 360 deg) or star (180 deg) shell of ``total`` satellites.

    ``walker(total=1584, planes=72, phasing=1, altitude_km=550, inclination_deg=53)`` is Starlink
    shell 1 as modelled by Hypatia (Kassing et al., IMC 2020).
    """
    spread = (
        raan_spread_deg if raan_spread_deg is not None else (180.0 if kind == "star" else 360.0)
    )
    shell = WalkerShell(
        total=int(total),
        planes=int(planes),
        phasing=int(phasing),
        altitude_m=float(altitude_km) * 1e3,
        inclination_rad=math.radians(float(inclination_deg)),
        raan_spread_rad=math.radians(float(spread)),
        raan_offset_rad=math.radians(float(raan_offset_deg)),
        kind=kind,
        name=name,
    )
    elements = walker_elements(shell, epoch=epoch)
    return Constellation(
        elements, name=name, shells=(ShellInfo(0, 0, len(elements), walker=shell),)
    )


def load_elements(
    path: str,
    *,
    name_pattern: str | None = None,
    catalog_numbers: list[int] | None = None,
    skip_bad: bool = False,
    format: str | None = None,
) -> Constellation:
    """Read a TLE / 3LE / CelesTrak OMM JSON / OMM CSV file into a :class:`Constellation`.

    Bad records raise :class:`~spacecompute.errors.InputError` listing each with file and line;
    with ``skip_bad=True`` they are skipped and counted in ``constellation.skipped``.
    """
    from .elements_io import read_elements

    elements, problems = read_elements(
        path,
        format=format,
        on_error="skip" if skip_bad else "raise",
        name_pattern=name_pattern,
        catalog_numbers=catalog_numbers,
    )
    elements = replace(elements, shell=np.zeros(len(elements), dtype=np.int32))
    const = Constellation(
        elements, name=str(path), shells=(ShellInfo(0, 0, len(elements), source=str(path)),)
    )
    const.skipped = problems
    return const


__all__ = ["Constellation", "ShellInfo", "load_elements", "walker"]
