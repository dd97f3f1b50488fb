"""Rich tables that fit the terminal without cutting a number.

Rich shrinks a table wider than the console by cutting cells (``optimis…``, ``207,366,38…``).
:func:`fit_table` instead keeps every value column whole (``no_wrap``) and lets the first
(label) column wrap; when the value columns still do not fit, the table is split into parts of
as many columns as fit, each part repeating the label column. Key-value tables (label, text)
wrap their text at spaces and fold only words longer than the column (``overflow="fold"``).
A base module: it imports only rich.
"""

from __future__ import annotations

from typing import Any

#: The label column wraps down to this width before a table is split.
LABEL_MIN_WIDTH = 18


def _cell_width(console: Any, cell: Any) -> int:
    from rich.measure import Measurement

    renderable = console.render_str(cell) if isinstance(cell, str) else cell
    return Measurement.get(console, console.options, renderable).maximum


def _column_width(console: Any, column: Any) -> int:
    cells = [column.header, *column.cells]
    return max((_cell_width(console, c) for c in cells), default=0)


def _part(table: Any, columns: list[int], first: bool, last: bool) -> Any:
    from rich.table import Table

    part = Table(
        title=table.title if first else None,
        caption=table.caption if last else None,
        title_justify=table.title_justify,
        caption_justify=table.caption_justify,
        show_header=table.show_header,
        box=table.box,
    )
    for i in columns:
        col = table.columns[i]
        part.add_column(
            col.header,
            style=col.style,
            header_style=col.header_style,
            justify=col.justify,
            no_wrap=i != 0,
            overflow="fold",
            min_width=min(LABEL_MIN_WIDTH, _label_width(table)) if i == 0 else None,
        )
    cells = [list(table.columns[i].cells) for i in columns]
    for row in zip(*cells, strict=True):
        part.add_row(*row)
    return part


def _label_width(table: Any) -> int:
    col = table.columns[0]
    return max((len(str(c)) for c in [col.header, *col.cells]), default=1)


def fit_table(table: Any, width: int, console: Any) -> list[Any]:
    """``table`` (a ``rich.table.Table`` whose first column holds labels and the others values)
    as one or more tables no wider than ``width`` in which no value is cut or folded."""
    n = len(table.columns)
    if n <= 1:
        return [table]
    label = min(LABEL_MIN_WIDTH, _label_width(table)) + 3 + 1  # padding, borders
    needed = [_column_width(console, table.columns[i]) + 3 for i in range(1, n)]
    groups: list[list[int]] = [[]]
    used = label
    for i, w in enumerate(needed, start=1):
        if groups[-1] and used + w > width:
            groups.append([])
            used = label
        groups[-1].append(i)
        used += w
    return [
        _part(table, [0, *group], first=k == 0, last=k == len(groups) - 1)
        for k, group in enumerate(groups)
    ]


def print_table(console: Any, table: Any) -> None:
    """Print ``table`` on ``console``, split into parts that fit its width (:func:`fit_table`)."""
    for part in fit_table(table, console.width, console):
        console.print(part)


def fold_columns(table: Any) -> Any:
    """Let every column of ``table`` wrap at spaces and fold longer words instead of cutting
    them with an ellipsis (for key-value tables); returns ``table``."""
    for col in table.columns:
        col.overflow = "fold"
        col.no_wrap = False
    return table


__all__ = ["LABEL_MIN_WIDTH", "fit_table", "fold_columns", "print_table"]
