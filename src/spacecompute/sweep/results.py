"""``DIR/sweep.parquet``: one row per cell, written atomically as cells finish.

Columns: ``cell`` (index), ``cell_id`` (directory ``cells/<cell_id>``), ``replicate``, ``seed``,
one column per axis (named by its key path, e.g. ``spacecraft.bus``), ``status`` (``ok``,
``failed`` or ``pending``), ``error``, ``run_dir`` (relative to DIR), ``cell_wall_time_s``, then
every scalar summary metric of the cell's run (nested keys joined by dots). Rows are in cell
order whatever order the cells finished in.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .spec import Sweep

TABLE_FILE = "sweep.parquet"
#: Columns that differ between otherwise identical sweeps (timing).
WALL_TIME_COLUMNS = ("cell_wall_time_s", "wall_time_s")


def _plain(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def rows(sweep: Sweep, records: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's rows (dicts), one per cell in cell order."""
    out = []
    for cell in sweep.cells:
        record = records.get(cell.index)
        row: dict[str, Any] = {
            "cell": cell.index,
            "cell_id": cell.cell_id,
            "replicate": cell.replicate,
            "seed": cell.seed,
        }
        for a in sweep.axes:
            row[a.key] = _plain(cell.values[a.key])
        status = "pending" if record is None else record["status"]
        row["status"] = status
        row["error"] = None if record is None else record.get("error")
        row["run_dir"] = f"cells/{cell.cell_id}"
        row["cell_wall_time_s"] = None if record is None else record.get("cell_wall_time_s")
        for k, v in ((record or {}).get("metrics") or {}).items():
            if k not in row:
                row[k] = v
        out.append(row)
    return out


def _column(values: Sequence[Any]) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed kinds: text
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def to_arrow(table_rows: list[dict[str, Any]]) -> Any:
    """A pyarrow table of ``rows`` (the union of their columns, in first-seen order)."""
    import pyarrow as pa

    names: dict[str, None] = {}
    for row in table_rows:
        for k in row:
            names.setdefault(k, None)
    return pa.table({n: _column([row.get(n) for row in table_rows]) for n in names})


def write_table(out_dir: Path, sweep: Sweep, records: dict[int, dict[str, Any]]) -> Path:
    """Write ``out_dir/sweep.parquet`` atomically."""
    import pyarrow.parquet as pq

    from ..table import atomic_write

    table = to_arrow(rows(sweep, records))
    return atomic_write(out_dir / TABLE_FILE, lambda tmp: pq.write_table(table, tmp))


def read_table(out_dir: str | Path) -> Any:
    """``DIR/sweep.parquet`` as a pyarrow table (an InputError if there is none)."""
    import pyarrow.parquet as pq

    from ..errors import InputError

    path = Path(out_dir) / TABLE_FILE
    if not path.is_file():
        raise InputError(
            "not a sweep directory: no sweep.parquet",
            file=str(out_dir),
            expected="the --out DIR of `spacecompute sweep`",
        )
    return pq.read_table(path)


__all__ = ["TABLE_FILE", "WALL_TIME_COLUMNS", "read_table", "rows", "to_arrow", "write_table"]
