"""The front of per-satellite FIFO queues kept on disk: a queue's backlog beyond a memory budget.

Why: a constellation that images more than its stations can downlink ends a day with tens of
millions of results waiting (56 million for 1,000,000 satellites), most of them in queues that
will not be served for hours. :class:`~spacecompute.sim.queues.FifoQueues` keeps at most a
budget of queued jobs in memory; past it, it moves whole queues of the satellites with the most
jobs here, and reads a satellite's jobs back, in order, in the step its queue is served.

Layout: one file ``backlog-<generation>.bin`` of fixed-size records (:data:`RECORD`, 33 bytes:
job id, cumulative end offset, size, push sequence number, started), only ever appended to.
Satellite ``s``'s *front* (the jobs of its queue on disk; those in memory come after them) is
a list of *segments*, contiguous runs of its records, one per :meth:`~SpillFile.add` since its
front was last read back, in order: the table ``seg_sat``, ``seg_pos``, ``seg_cnt``, sorted by
satellite (stable, so a satellite's segments stay in the order they were added). Adding
records appends them at the end of the file, satellite by satellite, and adds a segment for
each satellite (16 bytes in memory); reading a satellite's front back
(:meth:`~SpillFile.take`) drops its segments and leaves the records in the file, dead. The file
is rewritten (a new generation holding only the live fronts, one segment per satellite, written
in blocks: memory a block) only when its dead records outnumber both its live ones and
:data:`COMPACT_RECORDS`, or when the fronts are split into more than
:data:`SEGMENTS_PER_SATELLITE` segments per satellite on average: each record is then written a
few times at most, where rewriting the whole backlog on every addition (the layout of earlier
versions) wrote the million-satellite day's backlog of 1.8 GB about ten times.

Checkpoints: the state (:meth:`~SpillFile.state`) refers to the first ``length`` records of the
current generation, which no later addition changes (appends only); the file is synced to disk
then. A compaction after a checkpoint writes a new generation and keeps the one the checkpoint
refers to until the next checkpoint. Resuming (:meth:`~SpillFile.load`) cuts the file back to
the checkpoint's ``length`` (what a killed run appended after it is dropped) and removes other
generations. The state of earlier versions (one segment per satellite: ``pos`` instead of the
segment table) is read as such.
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
#: Records rewritten at a time when the file is compacted (8.7 MB; the block's index arrays
#: and copies take about 6 times that while it is written).
BLOCK_RECORDS = 1 << 18
#: Dead records (read back) the file may hold beyond its live ones before it is compacted
#: (16.8 million: 550 MB).
COMPACT_RECORDS = 1 << 24
#: Segments per satellite (on average, of at least 4,096 satellites) the fronts may be split
#: into before the file is compacted: 16 bytes each in memory, one read each.
SEGMENTS_PER_SATELLITE = 4
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
        self.first_off = np.full(self.n, np.inf)  # end offset of each front's first job
        self._segments(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int32))
        self.total = 0  # records in all fronts
        self.gen = -1  # the file's generation (-1: none yet)
        self.length = 0  # records in the file (live or read back)
        self.pinned = -1  # the generation a checkpoint refers to (kept)

    def __repr__(self) -> str:
        return f"SpillFile({str(self._folder)!r}, jobs={self.total}, generation={self.gen})"

    def _segments(self, sat: np.ndarray, pos: np.ndarray, cnt: np.ndarray) -> None:
        """The segment table (satellite int32, position int64, count int32; sorted by
        satellite). Segments of a satellite whose front was read back stay in it, dead, until
        the next :meth:`add` (:meth:`_live`): only fronts with jobs are ever looked up."""
        self.seg_sat = sat.astype(np.int32, copy=False)
        self.seg_pos = pos.astype(np.int64, copy=False)
        self.seg_cnt = cnt.astype(np.int32, copy=False)

    def _live(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The segments of the fronts that hold jobs."""
        keep = self.count[self.seg_sat] > 0
        return self.seg_sat[keep], self.seg_pos[keep], self.seg_cnt[keep]

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

    def _segments_of(self, sats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions, counts) of the segments of ``sats``, satellite by satellite in the
        order of ``sats``, each satellite's in order."""
        sats = np.asarray(sats).astype(np.int32)  # (another dtype would copy the table)
        lo = np.searchsorted(self.seg_sat, sats, "left")
        hi = np.searchsorted(self.seg_sat, sats, "right")
        idx = np.repeat(lo, hi - lo) + _within(hi - lo)
        return self.seg_pos[idx], self.seg_cnt[idx]

    def peek(self, sats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(counts, records) of the fronts of ``sats`` (in that order), left in place."""
        sats = np.asarray(sats, np.int64)
        counts = self.count[sats]
        if not counts.any():
            return counts, np.zeros(0, RECORD)
        pos, cnt = self._segments_of(sats[counts > 0])
        fd = os.open(self.path, os.O_RDONLY)
        try:
            parts = [self._read(fd, int(p), int(c)) for p, c in zip(pos, cnt, strict=True)]
        finally:
            os.close(fd)
        return counts, np.concatenate(parts)

    def take(self, sats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(counts, records) of the fronts of ``sats``, which become empty (their records stay
        in the file, dead)."""
        counts, records = self.peek(sats)
        self.count[sats] = 0  # (their segments are dropped at the next add)
        self.first_off[sats] = np.inf
        self.total -= int(counts.sum())
        return counts, records

    # -- writing ------------------------------------------------------------------------------
    def add(self, counts: np.ndarray, records: np.ndarray) -> None:
        """Append ``records`` (grouped by satellite in increasing order, ``counts`` (n,) of
        each) behind the satellites' fronts, at the end of the file (compacted first when it
        holds too many dead records)."""
        counts = np.asarray(counts, np.int64)
        if not counts.any():
            return
        sat, pos, cnt = self._live()
        many = sat.size > SEGMENTS_PER_SATELLITE * max(self.n, 4096)
        if self.gen < 0 or many or self.length - self.total > max(self.total, COMPACT_RECORDS):
            self._compact()
            sat, pos, cnt = self.seg_sat, self.seg_pos, self.seg_cnt
        fd = os.open(self.path, os.O_WRONLY)
        try:
            data = memoryview(np.ascontiguousarray(records, RECORD).view(np.uint8))
            at = self.length * RECORD.itemsize
            while data:  # pwrite may write less than asked
                done = os.pwrite(fd, data, at)
                data, at = data[done:], at + done
        finally:
            os.close(fd)
        sats = np.flatnonzero(counts)
        start = np.cumsum(counts) - counts  # of each satellite in ``records``
        fresh = sats[self.count[sats] == 0]
        self.first_off[fresh] = records["off"][start[fresh]]
        sat = np.concatenate((sat, sats))
        order = np.argsort(sat, kind="stable")  # a satellite's older segments stay first
        pos = np.concatenate((pos, self.length + start[sats]))
        self._segments(sat[order], pos[order], np.concatenate((cnt, counts[sats]))[order])
        self.count += counts
        m = int(counts.sum())
        self.total += m
        self.length += m

    def _compact(self) -> None:
        """Write the next generation: every live front as one segment, satellite by satellite
        in blocks of about :data:`BLOCK_RECORDS` records; the old file is removed unless a
        checkpoint refers to it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        gen = self.gen + 1
        path, tmp = self.folder / _name(gen), self.folder / (_name(gen) + ".tmp")
        old_fd = os.open(self.path, os.O_RDONLY) if self.gen >= 0 else -1
        try:
            with open(tmp, "wb") as f:
                sats = np.flatnonzero(self.count)
                cum = np.cumsum(self.count[sats])
                a = 0
                while a < sats.size:  # satellites sats[a:b]: about BLOCK_RECORDS records
                    base = cum[a] - self.count[sats[a]]
                    b = int(np.searchsorted(cum, base + BLOCK_RECORDS, "right"))
                    b = min(max(b, a + 1), sats.size)
                    pos, cnt = self._segments_of(sats[a:b])
                    for p, c in zip(pos, cnt, strict=True):
                        f.write(self._read(old_fd, int(p), int(c)).tobytes())
                    a = b
                f.flush()
                os.fsync(f.fileno())
        finally:
            if old_fd >= 0:
                os.close(old_fd)
        os.replace(tmp, path)
        old_gen = self.gen
        sats = np.flatnonzero(self.count)
        cnt = self.count[sats]
        self._segments(sats, np.cumsum(cnt) - cnt, cnt)
        self.gen, self.length = gen, self.total
        if old_gen >= 0 and old_gen != self.pinned:
            (self.folder / _name(old_gen)).unlink(missing_ok=True)

    # -- checkpoints --------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """What a checkpoint records (the file is synced to disk first); the current file is
        kept until another is recorded."""
        if self.pinned >= 0 and self.pinned != self.gen:
            (self.folder / _name(self.pinned)).unlink(missing_ok=True)
        self.pinned = self.gen
        if self.gen >= 0:
            fd = os.open(self.path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        sat, pos, cnt = self._live()
        return {
            "count": self.count.copy(),
            "first_off": self.first_off.copy(),
            "seg_sat": sat,
            "seg_pos": pos,
            "seg_cnt": cnt,
            "gen": np.asarray(self.gen),
            "length": np.asarray(self.length),
        }

    def load(self, state: dict[str, np.ndarray]) -> None:
        """Go back to a checkpoint's :meth:`state`: its file must be there (what was appended
        to it after the checkpoint is cut off); files written after it are removed."""
        count = np.array(state["count"], np.int64)
        if count.shape != (self.n,):
            raise InputError("backlog state of another number of satellites", field="state")
        gen, length = int(state["gen"]), int(state["length"])
        if "seg_sat" in state:
            sat, pos, cnt = (np.array(state[f"seg_{k}"], np.int64) for k in ("sat", "pos", "cnt"))
        else:  # an earlier version's state: one segment per satellite, at ``pos``
            sat = np.flatnonzero(count)
            pos, cnt = np.array(state["pos"], np.int64)[sat], count[sat]
        if sat.shape != pos.shape or sat.shape != cnt.shape or int(cnt.sum()) != int(count.sum()):
            raise InputError("backlog state whose segments do not add up", field="state")
        path = self.folder / _name(gen)
        if gen >= 0 and (not path.is_file() or path.stat().st_size < length * RECORD.itemsize):
            raise InputError(
                f"{path} (the waiting jobs the checkpoint was saved with) is missing or incomplete",
                field="--resume",
                expected="the run directory as the interrupted run left it (or run again "
                "without --resume)",
            )
        if gen >= 0:
            os.truncate(path, length * RECORD.itemsize)
        for other in self.folder.glob(_GLOB) if self.folder.is_dir() else []:
            if other != path:
                other.unlink(missing_ok=True)
        self.count = count
        self._segments(sat, pos, cnt)
        self.first_off = np.array(state["first_off"], np.float64)
        self.gen, self.length, self.pinned = gen, length, gen
        self.total = int(count.sum())

    def reset(self) -> None:
        """Start empty: remove every file (a run that starts from its first step)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        self.count[:] = 0
        self.first_off[:] = np.inf
        self._segments(np.zeros(0, np.int32), np.zeros(0, np.int64), np.zeros(0, np.int32))
        self.total, self.gen, self.length, self.pinned = 0, -1, 0, -1

    def clear(self) -> None:
        """Remove the files and the folder (the run is over)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
        if self._finalizer is not None:
            self._finalizer.detach()


__all__ = ["BLOCK_RECORDS", "COMPACT_RECORDS", "RECORD", "SEGMENTS_PER_SATELLITE", "SpillFile"]
