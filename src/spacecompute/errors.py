"""Errors that spacecompute reports to users.

This module sits below every layer (``astro/`` included): it imports nothing of ours.
An :class:`InputError` always says *where* (file, line, field) and *what was expected*, so that
the CLI can print it and exit with status 2 instead of showing a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


class SpacecomputeError(Exception):
    """Base class of every error spacecompute raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a user's input.

    ``file`` and ``line`` locate it (line numbers start at 1), ``field`` is a key path such as
    ``constellation.shells[0].altitude_km``, ``message`` says what is wrong and ``expected`` what
    would be accepted.
    """

    message: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    expected: str | None = None
    severity: str = "error"

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        elif self.line is not None:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        expected = f" (expected {self.expected})" if self.expected else ""
        return f"{where}{field}{self.message}{expected}"


class InputError(SpacecomputeError):
    """Bad user input: one or more :class:`Problem` objects, all reported at once."""

    def __init__(
        self,
        message: str | None = None,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        found = list(problems or [])
        if message is not None:
            found.insert(
                0, Problem(message=message, file=file, line=line, field=field, expected=expected)
            )
        if not found:
            found = [Problem(message="invalid input", file=file)]
        self.problems: list[Problem] = found
        super().__init__(str(self))

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class MemoryBudgetError(SpacecomputeError):
    """A request would hold more in memory than the configured budget allows."""
