"""A small columnar table: equal-length numpy columns with a name each.

Result tables (contact windows, eclipse events, ...) are returned as :class:`Table`: columns are
plain numpy arrays (``t["start"]``), ``len(t)`` is the number of rows, and ``to_arrow()`` /
``to_pandas()`` / ``write()`` hand them to other tools. This module imports nothing of ours.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np


class Table(Mapping[str, np.ndarray]):
    """Ordered mapping of column name to a 1-D numpy array; all columns have the same length."""

    __slots__ = ("_columns",)

    def __init__(self, columns: Mapping[str, object]) -> None:
        cols = {str(k): np.asarray(v) for k, v in columns.items()}
        lengths = {k: v.shape[0] if v.ndim else -1 for k, v in cols.items()}
        if any(v.ndim != 1 for v in cols.values()):
            raise ValueError(
                f"table columns must be 1-D, got shapes { {k: v.shape for k, v in cols.items()} }"
            )
        if len(set(lengths.values())) > 1:
            raise ValueError(f"table columns differ in length: {lengths}")
        self._columns = cols

    def __getitem__(self, key: str) -> np.ndarray:
        return self._columns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        """Number of rows."""
        for v in self._columns.values():
            return int(v.shape[0])
        return 0

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @property
    def num_rows(self) -> int:
        return len(self)

    def rows(self) -> Iterator[dict[str, object]]:
        """Rows as dicts of Python scalars (for display; not for hot paths)."""
        names = self.columns
        for values in zip(*(self._columns[n].tolist() for n in names), strict=True):
            yield dict(zip(names, values, strict=True))

    def take(self, index: np.ndarray) -> Table:
        return Table({k: v[index] for k, v in self._columns.items()})

    def sort(self, *keys: str) -> Table:
        """Rows ordered by ``keys`` (first key most significant)."""
        order = np.lexsort([self._columns[k] for k in reversed(keys)])
        return self.take(order)

    def to_arrow(self):
        import pyarrow as pa

        return pa.table(
            {k: v if v.dtype != object else v.tolist() for k, v in self._columns.items()}
        )

    def to_pandas(self):
        """A ``pandas.DataFrame`` (pandas is optional: ``pip install pandas``)."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError("Table.to_pandas() needs pandas: pip install pandas") from None
        return self.to_arrow().to_pandas()

    def head(self, n: int = 5) -> Table:
        return self.take(np.arange(min(n, len(self))))

    def format(self, max_rows: int = 10) -> str:
        """Plain-text rendering of the first ``max_rows`` rows (times to the second)."""
        names = self.columns
        shown = self.head(max_rows)
        cells = [
            [_cell(v) for v in shown[n].tolist()]
            if shown[n].dtype.kind != "M"
            else [str(np.datetime64(v, "s")) for v in shown[n]]
            for n in names
        ]
        widths = [
            max([len(n)] + [len(c) for c in col]) for n, col in zip(names, cells, strict=True)
        ]
        lines = ["  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True))]
        for row in zip(*cells, strict=True) if cells else []:
            lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if len(self) > max_rows:
            lines.append(f"... {len(self) - max_rows:,} more rows")
        return "\n".join(lines)

    def __str__(self) -> str:
        return f"{self!r}\n{self.format()}"

    def write(self, path: str | os.PathLike) -> Path:
        """Write as Parquet (``.parquet``) or CSV (``.csv``), atomically (temp file + rename)."""
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        table = self.to_arrow()
        if Path(path).suffix == ".csv":
            return atomic_write(path, lambda tmp: pcsv.write_csv(table, tmp))
        return atomic_write(path, lambda tmp: pq.write_table(table, tmp))

    def __repr__(self) -> str:
        return f"Table({len(self)} rows: {', '.join(self.columns)})"


def filled_column(n: int, value: object) -> np.ndarray:
    """An object column of ``n`` references to ``value`` (a constant string column: ``kind``,
    ``workload``). ``np.full(n, "text", dtype=object)`` casts a string array element by element
    and makes ``n`` string objects (0.46 s for 4.3 million rows); this fills in 20 ms."""
    out = np.empty(int(n), dtype=object)
    out.fill(value)
    return out


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def atomic_write(path: str | os.PathLike, write: Callable[[str], object]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it to ``path``.

    A crash or an exception leaves any earlier ``path`` untouched and no partial file behind.
    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    """
    from .errors import InputError

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise InputError(
            f"cannot write here: {exc.strerror or exc}",
            file=str(path),
            expected="a writable directory",
        ) from None
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(
            f"cannot write: {exc.strerror or exc}", file=str(path), expected="a writable file"
        ) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


__all__ = ["Table", "atomic_write", "atomic_write_text", "filled_column"]
