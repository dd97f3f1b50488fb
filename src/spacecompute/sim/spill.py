"""The front of per-satellite FIFO queues kept on disk: a queue's backlog beyond a memory budget.

Why: a constellation that images more than its stations can downlink ends a day with tens of
millions of results waiting (56 million for 1,000,000 satellites), most of them in queues that
will not be served for hours. :class:`~spacecompute.sim.queues.FifoQueues` keeps at most a
budget of queued jobs in memory; past it, it moves whole queues of the satellites with the most
jobs here, and reads a satellite's jobs back, in order, in the step its queue is served.

Layout: one file ``backlog-<generation>.bin`` of fixed-size records (:data:`RECORD`, 33 bytes:
job id, cumulative end offset, size, push sequence number, started), satellite by satellite;
satellite ``s`` owns the contiguous records ``[pos[s], pos[s] + count[s])``, the *front* of its
queue (the jobs in memory come after them). Reading a satellite's records back empties its
segment (the file is not changed); adding records writes the next generation: every live
segment of the old file merged with the new records, satellite by satellite, in blocks (memory:
a block), then the old file is removed, unless a checkpoint refers to it (:meth:`state`).
Files are read and written with ``pread``/``write``, never memory-mapped, so the pages they
pass through are the system's page cache, not the run's memory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

#: One spilled job (packed: 33 bytes).
RECORD = np.dtype(
    [("job", "<i8"), ("off", "<f8"), ("size", "<f8"), ("seq", "<i8"), ("started", "u1")]
)
#: Records rewritten at a time when a generation is written (8.7 MB; the block's index arrays
#: and copies take about 6 times that while it is written).
BLOCK_RECORDS = 1 << 18
_GLOB = "backlog-*.bin"


def _name(gen: int) -> str:
    return f"backlog-{gen:06d}.bin"


def _within(counts: np.ndarray) -> np.ndarray:
    """0, 1, ..., c - 1 for every count c, concatenated."""
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts
    return np.arange(total, dtype=np.int64) - np.repeat(starts, counts)


class SpillFile:
    """The spilled fronts of ``n`` satellites' queues in ``folder`` (None: a temporary folder,
    removed by :meth:`clear` or when this object is garbage-collected)."""

    def __init__(self, n: int, folder: str | Path | None = None) -> None:
        self._folder = None if folder is None else Path(folder)
        self._finalizer: Any = None
        self.n = int(n)
        self.count = np.zeros(self.n, np.int64)  # records of each satellite's front
        self.pos = np.zeros(self.n, np.int64)  # where they start in the file
        self.first_off = np.full(self.n, np.inf)  # end offset of each front's first job
        self.total = 0  # records in all fronts
        self.gen = -1  # the file's generation (-1: none yet)
        self.length = 0  # records in the file (live or read back)
        self.pinned = -1  # the generation a checkpoint refers to (kept)

    def __repr__(self) -> str:
        return f"SpillFile({str(self._folder)!r}, jobs={self.total}, generation={self.gen})"

    @property
    def folder(self) -> Path:
        """Where the files go (a temporary folder is made when first needed)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="spacecompute-backlog-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, self._folder, True)
        return self._folder

    @property
    def path(self) -> Path:
        return self.folder / _name(self.gen)

    # -- reading ------------------------------------------------------------------------------
    def _read(self, fd: int, start: int, count: int) -> np.ndarray:
        size = count * RECORD.itemsize
        buf = os.pread(fd, size, start * RECORD.itemsize)
        if len(buf) != size:
            raise InputError(
                f"{self.path} is shorter than the backlog it holds",
                field="backlog",
                expected="the run directory as the run left it",
            )
        return np.frombuffer(buf, RECORD)

    def peek(self, sats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(counts, records) of the fronts of ``sats`` (in that order), left in place."""
        sats = np.asarray(sats, np.int64)
        counts = self.count[sats]
        if not counts.any():
            return counts, np.zeros(0, RECORD)
        fd = os.open(self.path, os.O_RDONLY)
        try:
            parts = [
                self._read(fd, int(self.pos[s]), int(c))
                for s, c in zip(sats, counts, strict=True)
                if c
            ]
        finally:
            os.close(fd)
        return counts, np.concatenate(parts)

    def take(self, sats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(counts, records) of the fronts of ``sats``, which become empty."""
        counts, records = self.peek(sats)
        self.count[sats] = 0
        self.first_off[sats] = np.inf
        self.total -= int(counts.sum())
        return counts, records

    # -- writing ------------------------------------------------------------------------------
    def add(self, counts: np.ndarray, records: np.ndarray) -> None:
        """Append ``records`` (grouped by satellite in increasing order, ``counts`` (n,) of
        each) behind the satellites' fronts: writes the next generation."""
        counts = np.asarray(counts, np.int64)
        if not counts.any():
            return
        old_count, old_pos = self.count, self.pos
        total = old_count + counts
        new_pos = np.cumsum(total) - total
        new_start = np.cumsum(counts) - counts  # of each satellite in ``records``
        self.folder.mkdir(parents=True, exist_ok=True)
        gen = self.gen + 1
        path, tmp = self.folder / _name(gen), self.folder / (_name(gen) + ".tmp")
        old_fd = os.open(self.path, os.O_RDONLY) if self.gen >= 0 else -1
        try:
            with open(tmp, "wb") as f:
                a = 0
                cum = np.cumsum(total)
                while a < self.n:
                    # satellites [a, b): about BLOCK_RECORDS records (at least one satellite)
                    b = int(np.searchsorted(cum, cum[a] - total[a] + BLOCK_RECORDS, "right"))
                    b = min(max(b, a + 1), self.n)
                    f.write(self._block(a, b, old_fd, old_count, old_pos, counts, new_start,
                                        records).tobytes())  # fmt: skip
                    a = b
                f.flush()
                os.fsync(f.fileno())
        finally:
            if old_fd >= 0:
                os.close(old_fd)
        os.replace(tmp, path)
        old_gen = self.gen
        self.count, self.pos, self.gen, self.length = total, new_pos, gen, int(total.sum())
        first_new = records["off"][np.minimum(new_start, max(records.size - 1, 0))]
        fresh = (old_count == 0) & (counts > 0)
        self.first_off[fresh] = first_new[fresh]
        self.total = self.length
        if old_gen >= 0 and old_gen != self.pinned:
            (self.folder / _name(old_gen)).unlink(missing_ok=True)

    def _block(
        self,
        a: int,
        b: int,
        old_fd: int,
        old_count: np.ndarray,
        old_pos: np.ndarray,
        counts: np.ndarray,
        new_start: np.ndarray,
        records: np.ndarray,
    ) -> np.ndarray:
        """The records of satellites [a, b) in the next generation: each one's old front, then
        its new records."""
        oc, nc = old_count[a:b], counts[a:b]
        out = np.empty(int(oc.sum() + nc.sum()), RECORD)
        seg = np.cumsum(oc + nc) - (oc + nc)  # each satellite's start in ``out``
        if oc.any():
            live = np.flatnonzero(oc)
            lo = int(old_pos[a:b][live].min())
            hi = int((old_pos[a:b][live] + oc[live]).max())
            span = self._read(old_fd, lo, hi - lo)
            src = np.repeat(old_pos[a:b] - lo, oc) + _within(oc)
            out[np.repeat(seg, oc) + _within(oc)] = span[src]
        if nc.any():
            src = np.repeat(new_start[a:b], nc) + _within(nc)
            out[np.repeat(seg + oc, nc) + _within(nc)] = records[src]
        return out

    # -- checkpoints --------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """What a checkpoint records; the current file is kept until another is recorded."""
        if self.pinned >= 0 and self.pinned != self.gen:
            (self.folder / _name(self.pinned)).unlink(missing_ok=True)
        self.pinned = self.gen
        return {
            "count": self.count.copy(),
            "pos": self.pos.copy(),
            "first_off": self.first_off.copy(),
            "gen": np.asarray(self.gen),
            "length": np.asarray(self.length),
        }

    def load(self, state: dict[str, np.ndarray]) -> None:
        """Go back to a checkpoint's :meth:`state`: its file must be there; files written after
        it are removed."""
        count = np.array(state["count"], np.int64)
        if count.shape != (self.n,):
            raise InputError("backlog state of another number of satellites", field="state")
        gen, length = int(state["gen"]), int(state["length"])
        path = self.folder / _name(gen)
        if gen >= 0 and (not path.is_file() or path.stat().st_size != length * RECORD.itemsize):
            raise InputError(
                f"{path} (the waiting jobs the checkpoint was saved with) is missing or incomplete",
                field="--resume",
                expected="the run directory as the interrupted run left it (or run again "
                "without --resume)",
            )
        for other in self.folder.glob(_GLOB) if self.folder.is_dir() else []:
            if other != path:
                other.unlink(missing_ok=True)
        self.count, self.pos = count, np.array(state["pos"], np.int64)
        self.first_off = np.array(state["first_off"], np.float64)
        self.gen, self.length, self.pinned = gen, length, gen
        self.total = int(count.sum())

    def reset(self) -> None:
        """Start empty: remove every file (a run that starts from its first step)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self.count[:] = 0
        self.first_off[:] = np.inf
        self.total, self.gen, self.length, self.pinned = 0, -1, 0, -1

    def clear(self) -> None:
        """Remove the files and the folder (the run is over)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._finalizer is not None:
            self._finalizer.detach()


__all__ = ["BLOCK_RECORDS", "RECORD", "SpillFile"]
