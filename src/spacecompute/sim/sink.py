"""Streaming tables: rows written to Parquet part files as a run goes, put in key order at the end.

Why: a run's job table grows with its duration (13 million jobs a day for 100,000 satellites
imaging the ground), and holding it until the end made a run's memory grow with its length.
A :class:`PartSink` takes rows as they become final (a finished job), in any order, and keeps
at most :data:`PART_ROWS` of them in memory: past that, and whenever asked (at every
checkpoint), it writes them to a *part file* ``<folder>/part-NNNNNN.parquet`` (closed, written
atomically). Inside a part the rows are sorted by the key (the job id), one Parquet row group
per key window ``[w W, (w + 1) W)`` (``W`` = :data:`WINDOW_ROWS`).

At the end :meth:`PartSink.windows` hands the rows back window by window in key order: the
row groups of one window from every part (found from the parts' footers, no data read),
concatenated and sorted by the key. Memory: one window (``W`` rows), never the whole table.
Keys are job ids 0, 1, 2, ... so every window but the last holds exactly ``W`` rows: the
assembled file has row groups of ``W`` rows, whatever the parts were (a table of up to ``W``
rows is one row group, as ``pyarrow.parquet.write_table`` writes it).

Resume: a checkpoint records :meth:`PartSink.state` (parts written and rows in them) after a
:meth:`~PartSink.flush`; :meth:`PartSink.truncate` removes the parts a killed run wrote after
it, so the resumed run writes them again and ends with the same rows (tested). A killed run
leaves at most a temporary file beside the parts (atomic writes), which the next write ignores.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import weakref
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..table import Table, atomic_write

#: Rows buffered before they are written to a part file (131,072: ~18 MB of job rows).
PART_ROWS = 1 << 17
#: Rows per key window: the most rows a row group of the parts holds, and the row groups of the
#: assembled file (262,144 rows: ~35 MB of job rows, ~0.15 GB while a window is assembled).
WINDOW_ROWS = 1 << 18
_PART_GLOB = "part-*.parquet"
#: Folder of a run directory holding the part files of its streamed tables, one folder per
#: table (removed once the tables are assembled).
TABLES_DIR = ".tables"


def parts_folder(out_dir: Any, checkpoint: Any, table: str) -> Path | None:
    """Where a run streams table (or workload) ``table``: ``<out_dir>/.tables/<table>``, else
    beside the checkpoint (``<its run dir>/.tables/<table>``), so that the parts outlive a
    killed run that can be resumed; None (a temporary folder) when the run has neither."""
    if out_dir is not None:
        return Path(out_dir) / TABLES_DIR / table
    if checkpoint is not None:
        return Path(checkpoint.path).parent.parent / TABLES_DIR / table
    return None


def _part_index(path: Path) -> int:
    return int(path.stem.split("-")[1])


class PartSink:
    """Rows of one table streamed to part files under ``folder`` (see the module docstring).

    ``folder``: where the parts go (created when the first part is written); None: a private
    temporary folder, removed by :meth:`clear` or when the sink is garbage-collected. ``key``:
    the integer column rows are put in order by. ``part_rows`` / ``window_rows``: see
    :data:`PART_ROWS` / :data:`WINDOW_ROWS` (the defaults, read when the sink is made).
    """

    def __init__(
        self,
        folder: str | Path | None,
        *,
        key: str,
        part_rows: int | None = None,
        window_rows: int | None = None,
    ) -> None:
        if folder is None:
            folder = tempfile.mkdtemp(prefix="spacecompute-parts-")
            self._finalizer: Any = weakref.finalize(self, shutil.rmtree, folder, True)
        else:
            self._finalizer = None
        self.folder = Path(folder)
        self.key = str(key)
        self.part_rows = int(PART_ROWS if part_rows is None else part_rows)
        self.window_rows = int(WINDOW_ROWS if window_rows is None else window_rows)
        self._buf: list[dict[str, np.ndarray]] = []
        self._buffered = 0
        self.parts = 0  # part files written
        self.rows_written = 0  # rows in them

    def __repr__(self) -> str:
        return f"PartSink({str(self.folder)!r}, parts={self.parts}, rows={len(self)})"

    def __len__(self) -> int:
        """Rows taken so far (written and buffered)."""
        return self.rows_written + self._buffered

    # -- writing ------------------------------------------------------------------------------
    def append(self, cols: Mapping[str, np.ndarray]) -> None:
        """Take rows: column name -> (m,) array, every call with the same columns (the key
        among them); written to a part once :attr:`part_rows` are buffered."""
        m = len(cols[self.key])
        a = 0
        while a < m:  # in slices, so that a part never holds much more than part_rows rows
            b = min(m, a + max(self.part_rows - self._buffered, 1))
            part = {k: np.asarray(v)[a:b] for k, v in cols.items()}
            self._buffered += b - a
            a = b
            if self._buffered >= self.part_rows:
                self._buf.append(part)
                self.flush()
            else:  # kept past this call: a copy (a view would keep all of ``cols`` alive)
                self._buf.append({k: v.copy() for k, v in part.items()})

    def flush(self) -> None:
        """Write the buffered rows to the next part file (nothing when none are buffered)."""
        if not self._buf:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = {k: np.concatenate([b[k] for b in self._buf]) for k in self._buf[0]}
        key = cols[self.key]
        order = np.argsort(key, kind="stable")
        table = pa.table({k: v[order] for k, v in cols.items()})
        window = key[order] // self.window_rows
        cuts = np.r_[0, np.flatnonzero(window[1:] != window[:-1]) + 1, window.size]

        def write(tmp: str) -> None:
            # no dictionary encoding: a temporary file of mostly distinct values, written 4x
            # faster without it (and no larger)
            with pq.ParquetWriter(tmp, table.schema, use_dictionary=False) as writer:
                for a, b in itertools.pairwise(cuts):
                    writer.write_table(table.slice(a, b - a), row_group_size=self.window_rows)

        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / f"part-{self.parts:06d}.parquet", write)
        self.parts += 1
        self.rows_written += int(key.size)
        self._buf, self._buffered = [], 0
        pa.default_memory_pool().release_unused()  # the pool would keep the part's buffers

    # -- checkpoints --------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """What a checkpoint records (call :meth:`flush` first): ``parts`` and ``rows``."""
        if self._buf:
            raise RuntimeError("flush the sink before saving its state")
        return {"parts": np.asarray(self.parts), "rows": np.asarray(self.rows_written)}

    def reset(self) -> None:
        """Start empty: remove every part (a run that starts from its first step)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._buf, self._buffered, self.parts, self.rows_written = [], 0, 0, 0

    def truncate(self, state: Mapping[str, Any]) -> None:
        """Go back to a checkpoint's :meth:`state`: remove the parts written after it and check
        that those before it are all there."""
        import pyarrow.parquet as pq

        parts, rows = int(state["parts"]), int(state["rows"])
        found = sorted(self.folder.glob(_PART_GLOB)) if self.folder.is_dir() else []
        for path in found:
            if _part_index(path) >= parts:
                path.unlink()
        kept = [p for p in found if _part_index(p) < parts]
        have = sum(pq.read_metadata(p).num_rows for p in kept)
        if len(kept) != parts or have != rows:
            raise InputError(
                f"{self.folder} holds {len(kept)} of the {parts} parts ({have} of {rows} rows) "
                "the checkpoint was saved with",
                field="--resume",
                expected="the run directory as the interrupted run left it (or run again "
                "without --resume)",
            )
        self._buf, self._buffered, self.parts, self.rows_written = [], 0, parts, rows

    # -- reading ------------------------------------------------------------------------------
    def windows(self) -> Iterator[dict[str, np.ndarray]]:
        """Every row taken, window by window in key order (rows of one window sorted by key,
        stable); flushes first. Memory: one window. Where no part was written (every row is
        still buffered: a small run), the windows come from the buffer, with the same rows,
        order and dtypes, and nothing is written or read."""
        if self.parts == 0:
            return self._buffered_windows()
        return self._part_windows()

    def _buffered_windows(self) -> Iterator[dict[str, np.ndarray]]:
        if not self._buf:
            return
        cols = {k: np.concatenate([b[k] for b in self._buf]) for k in self._buf[0]}
        order = np.argsort(cols[self.key], kind="stable")
        cols = {k: v[order] for k, v in cols.items()}
        window = cols[self.key] // self.window_rows
        cuts = np.r_[0, np.flatnonzero(window[1:] != window[:-1]) + 1, window.size]
        for a, b in itertools.pairwise(cuts):
            yield {k: v[a:b] for k, v in cols.items()}

    def _part_windows(self) -> Iterator[dict[str, np.ndarray]]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.flush()
        index: dict[int, list[tuple[Path, int]]] = {}
        for path in sorted(self.folder.glob(_PART_GLOB)) if self.folder.is_dir() else []:
            if _part_index(path) >= self.parts:
                continue
            meta = pq.read_metadata(path)
            col = meta.schema.to_arrow_schema().get_field_index(self.key)
            for rg in range(meta.num_row_groups):
                stats = meta.row_group(rg).column(col).statistics
                if stats is not None and stats.has_min_max:
                    low = int(stats.min)
                else:  # no statistics: read the key of the row group
                    low = int(pq.ParquetFile(path).read_row_group(rg, [self.key])[0][0].as_py())
                index.setdefault(low // self.window_rows, []).append((path, rg))
        for w in sorted(index):
            table = pa.concat_tables(  # parts of older runs may hold wider integers
                [pq.ParquetFile(path).read_row_group(rg) for path, rg in index[w]],
                promote_options="permissive",
            )
            cols = {name: table.column(name).to_numpy() for name in table.column_names}
            del table
            pa.default_memory_pool().release_unused()  # the pool would keep the window
            order = np.argsort(cols[self.key], kind="stable")
            for k in cols:  # one column at a time: one window plus one column in memory
                cols[k] = cols[k][order]
            yield cols

    def clear(self) -> None:
        """Remove the parts and their folder (after the table was assembled)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        if TABLES_DIR in self.folder.parts:  # the run's last streamed table: empty folders
            up = self.folder.parent
            while up.name != TABLES_DIR and up != up.parent:
                up = up.parent
            for p in [*self.folder.parents][: len(self.folder.parents) - len(up.parents)]:
                try:
                    p.rmdir()
                except OSError:
                    break
        if self._finalizer is not None:
            self._finalizer.detach()
        self._buf, self._buffered, self.parts, self.rows_written = [], 0, 0, 0


def concat_tables(tables: list[Table], empty: Table) -> Table:
    """One :class:`Table` of ``tables`` one after the other (``empty`` when there are none)."""
    if not tables:
        return empty
    if len(tables) == 1:
        return tables[0]
    return Table({c: np.concatenate([t[c] for t in tables]) for c in tables[0].columns})


def write_table_stream(
    path: str | Path, tables: Iterator[Table], empty: Table, **options: Any
) -> Path:
    """Write the :class:`Table` pieces ``tables`` (same columns) one after the other into the
    Parquet file ``path``, atomically (``empty``: what to write when there is none); memory is one piece. The result equals ``Table.write`` of their
    concatenation. ``options``: of ``pyarrow.parquet.ParquetWriter`` (e.g. ``use_dictionary=
    False`` for a temporary file, written faster)."""
    import pyarrow.parquet as pq

    def write(tmp: str) -> None:
        writer = None
        try:
            for table in tables:
                arrow = table.to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(tmp, arrow.schema, **options)
                writer.write_table(arrow)
            if writer is None:
                pq.write_table(empty.to_arrow(), tmp, **options)
        finally:
            if writer is not None:
                writer.close()

    return atomic_write(path, write)


class ParquetTable(Table):
    """A :class:`Table` read from a Parquet file when first used (then held): a run's result
    tables stay on disk until asked for. Columns as :class:`~spacecompute.results.store.RunResult`
    reads them (strings as object arrays, timestamps as ``datetime64[ns]``). ``owned``: the
    file is a temporary one of this table, removed when the table is garbage-collected (a
    run kept in memory). Pickles as a plain :class:`Table`."""

    __slots__ = ("__weakref__", "_loaded", "_path", "_pending")

    def __init__(self, path: str | Path, *, owned: bool = False) -> None:
        self._path = Path(path)
        self._loaded: dict[str, np.ndarray] | None = None
        self._pending: tuple[list[Table], Table, str] | None = None
        if owned:
            weakref.finalize(self, _unlink, self._path)

    @classmethod
    def unwritten(cls, pieces: list[Table], empty: Table, prefix: str) -> ParquetTable:
        """An owned table of ``pieces`` whose temporary file (named with ``prefix``) is written
        by :func:`write_table_stream` when the table is first used: a run whose tables nobody
        reads (the command line's, without ``--out``) writes none and imports no pyarrow."""
        table = cls.__new__(cls)
        table._path = Path()
        table._loaded = None
        table._pending = (pieces, empty, prefix)
        return table

    @property
    def _columns(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        if self._pending is not None:
            pieces, empty, prefix = self._pending
            self._path = write_table_stream(temporary_parquet(prefix), iter(pieces), empty)
            weakref.finalize(self, _unlink, self._path)
            self._pending = None
        if self._loaded is None:
            import pyarrow.parquet as pq

            arrow = pq.read_table(self._path)
            self._loaded = {
                c: arrow.column(c).to_numpy(zero_copy_only=False) for c in arrow.column_names
            }
        return self._loaded

    def __reduce__(self) -> tuple[Any, ...]:
        return (Table, (dict(self._columns),))

    def __repr__(self) -> str:
        if self._pending is not None:
            return "ParquetTable(not written yet)"
        if self._loaded is None:
            return f"ParquetTable({str(self._path)!r}, not read yet)"
        return super().__repr__()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def kept_table(pieces: Iterator[Table], empty: Table, prefix: str) -> ParquetTable:
    """The table of the :class:`Table` pieces ``pieces`` (same columns) for a run kept in memory:
    up to :data:`WINDOW_ROWS` rows held until first used (:meth:`ParquetTable.unwritten`), more
    streamed at once to a temporary Parquet file (memory: about two windows). Either way the
    table reads back from the same Parquet file's columns."""
    held: list[Table] = []
    rows = 0
    for piece in pieces:
        held.append(piece)
        rows += len(piece)
        if rows > WINDOW_ROWS:
            rest = itertools.chain(_popped(held), pieces)
            return ParquetTable(
                write_table_stream(temporary_parquet(prefix), rest, empty), owned=True
            )
    return ParquetTable.unwritten(held, empty, prefix)


def _popped(held: list[Table]) -> Iterator[Table]:
    """The items of ``held``, each dropped from the list once handed out."""
    while held:
        yield held.pop(0)


def temporary_parquet(prefix: str) -> Path:
    """A new empty temporary file name for a table of a run kept in memory (see
    :class:`ParquetTable` ``owned``)."""
    import os

    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".parquet")
    os.close(fd)
    return Path(name)


__all__ = [
    "PART_ROWS",
    "TABLES_DIR",
    "WINDOW_ROWS",
    "ParquetTable",
    "PartSink",
    "concat_tables",
    "kept_table",
    "parts_folder",
    "temporary_parquet",
    "write_table_stream",
]
