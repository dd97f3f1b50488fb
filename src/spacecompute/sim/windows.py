"""Join time windows (eclipses, contacts) that were cut at the boundaries of time chunks.

Streaming runs compute windows chunk by chunk, each chunk starting at the previous chunk's last
instant (one step of overlap), so a window running across a boundary appears twice: once with
``ends_after`` in chunk k and once with ``starts_before`` in chunk k + 1. :class:`WindowJoiner`
holds the open ones and joins them, vectorized over windows.
"""

from __future__ import annotations

import numpy as np

from ..table import Table


class WindowJoiner:
    """Accumulates window tables chunk by chunk and joins windows split at chunk boundaries.

    ``keys`` name the columns that identify a window's owner (e.g. ``("satellite",)``). ``maxima``
    and ``minima`` name columns combined with max / min when two halves are joined; ``duration_s``
    is recomputed from ``start`` and ``end``.
    """

    def __init__(
        self, keys: tuple[str, ...], *, maxima: tuple[str, ...] = (), minima: tuple[str, ...] = ()
    ) -> None:
        self.keys = keys
        self.maxima = maxima
        self.minima = minima
        self._done: list[Table] = []
        self._open: Table | None = None

    def add(self, windows: Table) -> None:
        """Add the windows of the next chunk (in time order)."""
        if len(windows) == 0:
            return
        if self._open is not None and len(self._open):
            windows = self._join(self._open, windows)
            self._open = None
        still_open = windows["ends_after"].astype(bool)
        self._done.append(windows.take(np.flatnonzero(~still_open)))
        self._open = windows.take(np.flatnonzero(still_open))

    def _join(self, open_: Table, new: Table) -> Table:
        key_open = self._key(open_)
        key_new = self._key(new)
        continues = new["starts_before"].astype(bool)
        pos = np.searchsorted(key_open, key_new, sorter=np.argsort(key_open))
        order = np.argsort(key_open)
        pos = np.clip(pos, 0, max(len(key_open) - 1, 0))
        match = continues & (len(key_open) > 0) & (key_open[order][pos] == key_new)
        cols = {name: new[name].copy() for name in new}
        src = order[pos[match]]
        cols["start"][match] = open_["start"][src]
        cols["starts_before"][match] = open_["starts_before"][src]
        for name in self.maxima:
            cols[name][match] = np.maximum(open_[name][src], new[name][match])
        for name in self.minima:
            cols[name][match] = np.minimum(open_[name][src], new[name][match])
        for name in cols:
            if name.startswith("time_of_") and self.maxima:
                ref = self.maxima[0]
                take_old = open_[ref][src] >= new[ref][match]
                cols[name][np.flatnonzero(match)[take_old]] = open_[name][src][take_old]
        cols["duration_s"] = (cols["end"] - cols["start"]).astype("timedelta64[ns]").astype(
            np.int64
        ) / 1e9
        # open windows with no continuation (the satellite vanished) are closed as they were
        matched_open = np.zeros(len(open_), dtype=bool)
        matched_open[src] = True
        orphans = open_.take(np.flatnonzero(~matched_open))
        if len(orphans):
            self._done.append(orphans)
        return Table(cols)

    def _key(self, table: Table) -> np.ndarray:
        key = np.zeros(len(table), dtype=np.int64)
        for name in self.keys:
            key = key * (1 << 31) + table[name].astype(np.int64)
        return key

    def result(self) -> Table | None:
        """All windows so far (open ones included, flagged ``ends_after``), sorted by start."""
        parts = [t for t in self._done if len(t)]
        if self._open is not None and len(self._open):
            parts.append(self._open)
        if not parts:
            return None
        cols = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        return Table(cols).sort("start", *self.keys)


__all__ = ["WindowJoiner"]
