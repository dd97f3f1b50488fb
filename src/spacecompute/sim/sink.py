"""Streaming tables: rows written to part files as a run goes, put in key order at the end.

Why: a run's job table grows with its duration (13 million jobs a day for 100,000 satellites
imaging the ground), and holding it until the end made a run's memory grow with its length.
A :class:`PartSink` takes rows as they become final (a finished job), in any order, and keeps
at most :data:`PART_ROWS` of them in memory: past that, and whenever asked (at every
checkpoint), it writes them to a *part file* ``<folder>/part-NNNNNN.arrow`` (closed, written
atomically). Inside a part the rows are sorted by the key (the job id), one record batch per
key window ``[w W, (w + 1) W)`` (``W`` = :data:`WINDOW_ROWS`).

Format: a part is temporary (read once or twice by this run, then removed), so it is an Arrow
IPC file, uncompressed, with the columns as they are held (narrow integers stay narrow): writing
one is a copy of the rows, and reading one is memory-mapped, without decoding, and touches only
the columns asked for. The Parquet parts of earlier versions cost 2.5-3 us of CPU a row to write
and read back (encoding, snappy, the decoding); the results the user keeps are Parquet as before.

At the end :meth:`PartSink.windows` hands the rows back window by window in key order: the
record batches of one window from every part (found from the parts' schemas, no data read),
concatenated and sorted by the key (not sorted again when they already are in order). Memory:
one window (``W`` rows), never the whole table. Keys are job ids 0, 1, 2, ... so every window
but the last holds exactly ``W`` rows: the assembled file has row groups of ``W`` rows,
whatever the parts were (a table of up to ``W`` rows is one row group, as
``pyarrow.parquet.write_table`` writes it).

A run kept in memory (no run directory) does not write its job table at all: :func:`kept_table`
gives a table that is assembled from the windows when it is first used (a run whose tables
nobody reads, such as a benchmark's or the command line's without ``--out``, never assembles
them), the parts kept until then.

Resume: a checkpoint records :meth:`PartSink.state` (parts written, rows in them, and
:data:`PART_FORMAT`) after a :meth:`~PartSink.flush`; :meth:`PartSink.truncate` removes the
parts a killed run wrote after it, so the resumed run writes them again and ends with the same
rows (tested); a checkpoint whose parts are of an earlier format is refused with an
:class:`~spacecompute.errors.InputError` naming ``--resume``. A killed run leaves at most a
temporary file beside the parts (atomic writes), which the next write ignores.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from ..table import Table, atomic_write

#: Rows buffered before they are written to a part file (131,072: ~18 MB of job rows).
PART_ROWS = 1 << 17
#: Rows per key window: the most rows a record batch of the parts holds, and the row groups of
#: the assembled file (262,144 rows: ~35 MB of job rows, ~0.15 GB while a window is assembled).
WINDOW_ROWS = 1 << 18
#: Version of the part files, recorded in a checkpoint (:meth:`PartSink.state`): 2, Arrow IPC
#: files; 1 (no ``format`` recorded), the Parquet parts of earlier versions, refused on resume.
PART_FORMAT = 2
_PART_GLOB = "part-*.arrow"
_OLD_PART_GLOB = "part-*.parquet"
#: Schema metadata of a part: the key windows of its record batches, in order.
_WINDOWS_META = b"spacecompute.windows"
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


def _in_key_order(cols: dict[str, np.ndarray], key: str) -> dict[str, np.ndarray]:
    """``cols`` with the rows sorted by ``key`` (stable), unchanged when they already are (the
    store moves its finished rows out in id order, so a part is mostly a few sorted runs and
    often one): a check of the key instead of a sort and a copy of every column."""
    k = cols[key]
    if k.size < 2 or bool((k[1:] >= k[:-1]).all()):
        return cols
    order = np.argsort(k, kind="stable")
    for name in cols:  # one column at a time: the rows plus one column in memory
        cols[name] = cols[name][order]
    return cols


def _window_cuts(key: np.ndarray, window_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(window of each run of rows, cut positions) of the sorted ``key``."""
    window = key // window_rows
    cuts = np.r_[0, np.flatnonzero(window[1:] != window[:-1]) + 1, window.size]
    return window[cuts[:-1]], cuts


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

    @property
    def temporary(self) -> bool:
        """Whether the parts are in a private temporary folder (no run directory)."""
        return self._finalizer is not None

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
        """Write the buffered rows to the next part file (nothing when none are buffered): an
        Arrow IPC file, uncompressed, one record batch per key window, rows sorted by the key
        (a temporary file: what it costs is a copy of the rows, not an encoding)."""
        if not self._buf:
            return
        import pyarrow as pa

        cols = _in_key_order(self._concatenated(), self.key)
        windows, cuts = _window_cuts(cols[self.key], self.window_rows)
        meta = {_WINDOWS_META: " ".join(str(int(w)) for w in windows).encode()}
        schema = pa.schema(
            [(k, pa.from_numpy_dtype(v.dtype)) for k, v in cols.items()], metadata=meta
        )

        def write(tmp: str) -> None:
            with pa.OSFile(tmp, "wb") as f, pa.ipc.new_file(f, schema) as writer:
                for a, b in itertools.pairwise(cuts):
                    arrays = [pa.array(v[a:b]) for v in cols.values()]
                    writer.write_batch(pa.record_batch(arrays, schema=schema))

        self.folder.mkdir(parents=True, exist_ok=True)
        atomic_write(self.folder / f"part-{self.parts:06d}.arrow", write)
        self.parts += 1
        self.rows_written += int(cuts[-1])
        self._buf, self._buffered = [], 0
        pa.default_memory_pool().release_unused()  # the pool would keep the packed flags

    def _concatenated(self) -> dict[str, np.ndarray]:
        if len(self._buf) == 1:
            return dict(self._buf[0])
        return {k: np.concatenate([b[k] for b in self._buf]) for k in self._buf[0]}

    # -- checkpoints --------------------------------------------------------------------------
    def state(self) -> dict[str, np.ndarray]:
        """What a checkpoint records (call :meth:`flush` first): ``parts``, ``rows`` and the
        parts' ``format`` (:data:`PART_FORMAT`)."""
        if self._buf:
            raise RuntimeError("flush the sink before saving its state")
        return {
            "parts": np.asarray(self.parts),
            "rows": np.asarray(self.rows_written),
            "format": np.asarray(PART_FORMAT),
        }

    def reset(self) -> None:
        """Start empty: remove every part (a run that starts from its first step)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self._buf, self._buffered, self.parts, self.rows_written = [], 0, 0, 0

    def truncate(self, state: Mapping[str, Any]) -> None:
        """Go back to a checkpoint's :meth:`state`: remove the parts written after it and check
        that those before it are all there. A checkpoint whose parts are of another
        :data:`PART_FORMAT` (an earlier version's Parquet parts) is refused (InputError)."""
        parts, rows = int(state["parts"]), int(state["rows"])
        version = int(state["format"]) if "format" in state else 1
        if version != PART_FORMAT and parts:
            raise InputError(
                f"{self.folder} holds part files of another version of spacecompute (format "
                f"{version}, this version reads format {PART_FORMAT})",
                field="--resume",
                expected="a run directory written by this version (run again without --resume)",
            )
        if self.folder.is_dir():
            for old in self.folder.glob(_OLD_PART_GLOB):
                old.unlink()
        found = sorted(self.folder.glob(_PART_GLOB)) if self.folder.is_dir() else []
        for path in found:
            if _part_index(path) >= parts:
                path.unlink()
        kept = [p for p in found if _part_index(p) < parts]
        have = sum(_rows_in(p) for p in kept) if len(kept) == parts else -1
        if len(kept) != parts or have != rows:
            raise InputError(
                f"{self.folder} holds {len(kept)} of the {parts} parts ({max(have, 0)} of "
                f"{rows} rows) the checkpoint was saved with",
                field="--resume",
                expected="the run directory as the interrupted run left it (or run again "
                "without --resume)",
            )
        self._buf, self._buffered, self.parts, self.rows_written = [], 0, parts, rows

    # -- reading ------------------------------------------------------------------------------
    def windows(self, columns: Any = None) -> Iterator[dict[str, np.ndarray]]:
        """Every row taken, window by window in key order (rows of one window sorted by key,
        stable); flushes first. ``columns``: only these (and the key), in the order taken;
        None: all. Memory: one window. Where no part was written (every row is still
        buffered: a small run), the windows come from the buffer, with the same rows, order
        and dtypes, and nothing is written or read. The windows can be read again."""
        if self.parts == 0:
            return self._buffered_windows(columns)
        return self._part_windows(columns)

    def _names(self, have: Any, columns: Any) -> list[str]:
        if columns is None:
            return list(have)
        wanted = {self.key, *columns}
        return [k for k in have if k in wanted]

    def _buffered_windows(self, columns: Any) -> Iterator[dict[str, np.ndarray]]:
        if not self._buf:
            return
        names = self._names(self._buf[0], columns)
        cols = _in_key_order(
            {k: np.concatenate([b[k] for b in self._buf]) for k in names}, self.key
        )
        _, cuts = _window_cuts(cols[self.key], self.window_rows)
        for a, b in itertools.pairwise(cuts):
            yield {k: v[a:b] for k, v in cols.items()}

    def _index(self) -> dict[int, list[tuple[Path, int]]]:
        """Window -> the (part, record batch) pairs holding its rows, from the parts' schemas
        (no data read)."""
        import pyarrow as pa

        index: dict[int, list[tuple[Path, int]]] = {}
        for path in sorted(self.folder.glob(_PART_GLOB)) if self.folder.is_dir() else []:
            if _part_index(path) >= self.parts:
                continue
            with pa.memory_map(str(path)) as src:
                meta = pa.ipc.open_file(src).schema.metadata or {}
            for i, w in enumerate(meta.get(_WINDOWS_META, b"").split()):
                index.setdefault(int(w), []).append((path, i))
        return index

    def _part_windows(self, columns: Any) -> Iterator[dict[str, np.ndarray]]:
        import pyarrow as pa

        self.flush()
        for _, batches in sorted(self._index().items()):
            pieces: dict[str, list[np.ndarray]] = {}
            for path, group in itertools.groupby(batches, key=lambda b: b[0]):
                # memory-mapped (no read of the columns not asked for); a map is let go once
                # its columns are copied into the window below
                with pa.memory_map(str(path)) as src:
                    reader = pa.ipc.open_file(src)
                    got = [reader.get_batch(i) for _, i in group]
                for batch in got:
                    for k in self._names(batch.schema.names, columns):
                        col = batch.column(k).to_numpy(zero_copy_only=False)
                        pieces.setdefault(k, []).append(col)
                del got
            cols = {k: np.concatenate(v) if len(v) > 1 else v[0].copy() for k, v in pieces.items()}
            del pieces
            yield _in_key_order(cols, self.key)

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


def _rows_in(path: Path) -> int:
    """Rows of a part file (from its footer and record batch headers)."""
    import pyarrow as pa

    with pa.memory_map(str(path)) as src:
        reader = pa.ipc.open_file(src)
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))


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

    __slots__ = ("__weakref__", "_loaded", "_path")

    def __init__(self, path: str | Path, *, owned: bool = False) -> None:
        self._path = Path(path)
        self._loaded: dict[str, np.ndarray] | None = None
        if owned:
            weakref.finalize(self, _unlink, self._path)

    @property
    def _columns(self) -> dict[str, np.ndarray]:  # type: ignore[override]
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
        if self._loaded is None:
            return f"ParquetTable({str(self._path)!r}, not read yet)"
        return super().__repr__()


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


class KeptTable(Table):
    """The table of a run kept in memory (no run directory), assembled when first used (then
    held) from ``source()``: the :class:`Table` pieces of the job table in order (made from
    the windows of the run's part files, :meth:`PartSink.windows`), ``rows`` in all.

    Until then nothing but the parts exist (a run whose tables nobody reads assembles nothing:
    171 million rows of a million satellites' day were 9.5 minutes of writing a temporary
    Parquet file that no one read). When it is assembled, each column is allocated once at
    its full length and filled piece by piece (memory: the table and one piece), and
    ``release()`` removes the parts; it is called as well when the table is garbage-collected
    unread. The columns equal those of the pieces written to Parquet and read back (strings
    as object arrays, timestamps ``datetime64[ns]``; tested). Pickles as a plain
    :class:`Table`."""

    __slots__ = ("__weakref__", "_empty", "_finalizer", "_loaded", "_rows", "_source")

    def __init__(
        self,
        source: Callable[[], Iterable[Table]],
        rows: int,
        empty: Table,
        release: Callable[[], None] | None = None,
    ) -> None:
        self._source: Callable[[], Iterable[Table]] | None = source
        self._rows = int(rows)
        self._empty = empty
        self._loaded: dict[str, np.ndarray] | None = None
        self._finalizer = None if release is None else weakref.finalize(self, release)

    def __len__(self) -> int:
        return self._rows

    @property
    def _columns(self) -> dict[str, np.ndarray]:  # type: ignore[override]
        if self._loaded is None:
            self._loaded = self._assemble()
            self._source = None
            if self._finalizer is not None:
                self._finalizer()  # the parts are not needed any more
        return self._loaded

    def _assemble(self) -> dict[str, np.ndarray]:
        assert self._source is not None
        out: dict[str, np.ndarray] | None = None
        at = 0
        for piece in self._source():
            m = len(piece)
            if out is None:
                out = {c: np.empty(self._rows, piece[c].dtype) for c in piece.columns}
            if at + m > self._rows:
                raise RuntimeError(f"a kept table of {self._rows} rows was given more")
            for c, col in out.items():
                col[at : at + m] = piece[c]
            at += m
        if at != self._rows:
            raise RuntimeError(f"a kept table of {self._rows} rows was given {at}")
        if out is None:
            return {c: np.asarray(self._empty[c]) for c in self._empty.columns}
        return out

    def pieces(self) -> Iterator[Table]:
        """The table in pieces, in order, without assembling it (memory: a piece; the whole
        table once it is assembled): for a caller that copies the rows elsewhere anyway."""
        if self._loaded is not None or self._source is None:
            yield self
            return
        yield from self._source()

    def dtype(self, column: str) -> np.dtype:
        """The dtype of ``column`` (without assembling the table)."""
        if self._loaded is not None:
            return self._loaded[column].dtype
        return np.asarray(self._empty[column]).dtype

    def __reduce__(self) -> tuple[Any, ...]:
        return (Table, (dict(self._columns),))

    def __repr__(self) -> str:
        if self._loaded is None:
            return f"KeptTable({self._rows} rows, not assembled yet)"
        return super().__repr__()


def kept_table(
    source: Callable[[], Iterable[Table]],
    rows: int,
    empty: Table,
    release: Callable[[], None] | None = None,
) -> KeptTable:
    """The job table of a run kept in memory: a :class:`KeptTable` of the pieces ``source()``
    gives (``rows`` in all; ``empty``: its columns when there are none), assembled when first
    used; ``release()`` then (or when the table is collected unread) removes the parts."""
    return KeptTable(source, rows, empty, release)


def temporary_parquet(prefix: str) -> Path:
    """A new empty temporary file name for a table of a run kept in memory (see
    :class:`ParquetTable` ``owned``)."""
    import os

    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".parquet")
    os.close(fd)
    return Path(name)


__all__ = [
    "PART_FORMAT",
    "PART_ROWS",
    "TABLES_DIR",
    "WINDOW_ROWS",
    "KeptTable",
    "ParquetTable",
    "PartSink",
    "concat_tables",
    "kept_table",
    "parts_folder",
    "temporary_parquet",
    "write_table_stream",
]
