"""``spacecompute query DIR "SELECT ..."``: SQL over a sweep with DuckDB (optional extra).

Views: ``sweep`` (``DIR/sweep.parquet``, one row per cell) and, over the finished cells' run
directories, one view per Parquet table they hold (``jobs``, ``steps``, ``satellites``,
``contacts``), each with a leading ``cell_id`` column to join with ``sweep``. Axis columns are
named by their key path: quote them in SQL (``"spacecraft.bus"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import InputError
from .results import read_table

#: Run-directory tables exposed as views (when at least one cell has them).
RUN_TABLES = ("jobs", "steps", "satellites", "contacts")


def _connect() -> Any:
    try:
        import duckdb
    except ImportError:
        raise InputError(
            "DuckDB is not installed", field="query", expected="pip install 'spacecompute[duckdb]'"
        ) from None
    return duckdb.connect()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_sweep(out_dir: str | Path) -> Any:
    """A DuckDB connection with the views of the module docstring."""
    out = Path(out_dir)
    table = read_table(out)
    con = _connect()
    con.execute(
        f"CREATE VIEW sweep AS SELECT * FROM read_parquet({_quote(str(out / 'sweep.parquet'))})"
    )
    ok = [
        (cell_id, run_dir)
        for cell_id, run_dir, status in zip(
            table.column("cell_id").to_pylist(),
            table.column("run_dir").to_pylist(),
            table.column("status").to_pylist(),
            strict=True,
        )
        if status == "ok"
    ]
    for name in RUN_TABLES:
        files = [(c, out / d / f"{name}.parquet") for c, d in ok]
        files = [(c, f) for c, f in files if f.is_file()]
        if not files:
            continue
        listing = ", ".join(_quote(str(f)) for _, f in files)
        con.execute(
            f"CREATE VIEW {name} AS SELECT "
            r"regexp_extract(filename, '([0-9a-f]{16})[/\\][^/\\]*$', 1) AS cell_id, "
            f"* EXCLUDE (filename) FROM read_parquet([{listing}], union_by_name = true, "
            "filename = true)"
        )
    return con


def query(out_dir: str | Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` over the sweep in ``out_dir``: (column names, rows)."""
    import duckdb

    con = open_sweep(out_dir)
    try:
        result = con.execute(sql)
    except duckdb.Error as exc:
        raise InputError(
            f"SQL error: {str(exc).splitlines()[0]}",
            field="query",
            expected="SQL over the views sweep, " + ", ".join(RUN_TABLES),
        ) from None
    if result.description is None:
        return [], []
    names = [d[0] for d in result.description]
    return names, result.fetchall()


__all__ = ["RUN_TABLES", "open_sweep", "query"]
