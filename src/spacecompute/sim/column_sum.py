"""The sum of a float64 column given piece by piece, bit for bit ``np.sum`` of the whole column,
without holding the column in memory.

Why: a run's summary sums the energy of every job (``energy_jobs_j``), one sum over the whole
column as the table's own; 171 million jobs (a million satellites for a day) are 1.4 GB of
float64, twice that while they are concatenated. numpy sums a contiguous float64 array by
*pairwise summation* (``pairwise_sum`` in numpy's ``loops_utils.h.src``): below 128 values an
unrolled loop, above it the sum of the two halves, the first half's length ``n // 2`` rounded
down to a multiple of 8. The split depends only on the length, so the sum of a slice is the
sum of that subtree: past :data:`MEMORY_VALUES` values the pieces go to a scratch file, and
:meth:`ColumnSum.total` follows the same splits down to slices of at most
:data:`LEAF_VALUES` values, read and summed by numpy (tested against ``np.sum`` bit for bit).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

#: Values kept in memory before the pieces go to a scratch file (32 MB).
MEMORY_VALUES = 1 << 22
#: Longest slice read and summed at once from the scratch file (8 MB).
LEAF_VALUES = 1 << 20


class ColumnSum:
    """Takes float64 pieces (:meth:`add`) and gives the sum of their concatenation
    (:meth:`total`), equal to ``np.sum(np.concatenate(pieces))``; ``folder``: where the scratch
    file goes (None: the system's temporary folder)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self._pieces: list[np.ndarray] = []
        self._held = 0
        self.n = 0
        self._folder = folder
        self._path: Path | None = None

    def add(self, values: np.ndarray) -> None:
        """Append ``values`` (converted to float64)."""
        a = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        self.n += a.size
        if self._path is not None:
            with open(self._path, "ab") as f:
                f.write(a.tobytes())
            return
        self._pieces.append(a.copy())
        self._held += a.size
        if self._held > MEMORY_VALUES:
            fd, name = tempfile.mkstemp(prefix="spacecompute-sum-", dir=self._folder)
            with os.fdopen(fd, "wb") as f:
                for p in self._pieces:
                    f.write(p.tobytes())
            self._path, self._pieces, self._held = Path(name), [], 0

    def total(self) -> float:
        """``np.sum`` of everything added, bit for bit."""
        if self._path is None:
            return float(np.concatenate([np.zeros(0), *self._pieces]).sum())
        with open(self._path, "rb") as f:
            return float(self._sum(f, 0, self.n))

    def _sum(self, f, lo: int, hi: int) -> np.float64:
        n = hi - lo
        if n <= max(LEAF_VALUES, 128):  # numpy sums 128 values or fewer in one block
            f.seek(lo * 8)
            return np.add.reduce(np.fromfile(f, np.float64, n))
        half = n // 2
        half -= half % 8
        return self._sum(f, lo, lo + half) + self._sum(f, lo + half, hi)

    def close(self) -> None:
        """Remove the scratch file."""
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            self._path = None
        self._pieces, self._held = [], 0

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


__all__ = ["LEAF_VALUES", "MEMORY_VALUES", "ColumnSum"]
