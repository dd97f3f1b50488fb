"""A rich progress bar over a sweep's cells: done, failed, running, time left."""

from __future__ import annotations

from typing import Any


class SweepProgress:
    """Use as ``progress`` of :func:`spacecompute.sweep.run_sweep`; close with :meth:`stop`."""

    def __init__(self, console: Any, description: str = "cells") -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[red]{task.fields[failed]} failed[/] {task.fields[running]} running"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task(description, total=None, failed=0, running=0)
        self._bar.start()

    def __call__(self, done: int, failed: int, running: int, total: int) -> None:
        self._bar.update(self._task, completed=done, total=total, failed=failed, running=running)

    def stop(self) -> None:
        self._bar.stop()


__all__ = ["SweepProgress"]
