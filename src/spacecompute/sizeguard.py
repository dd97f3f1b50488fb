"""The one size guard: estimate the memory of a request before allocating it, and refuse it with
the numbers and the key to change. A base module (imports nothing of ours but errors).

Every place that allocates in proportion to a user's numbers (satellites, time steps, jobs,
Monte Carlo samples) calls :func:`check_size` with its counts and bytes per item first, so an
absurd request is a :class:`~spacecompute.errors.MemoryBudgetError` in milliseconds (the CLI
exits 2) instead of a ``MemoryError``, an out-of-memory kill or an hour of swapping. The bytes
per item are estimates with headroom (documented where each guard is called); the budget is the
scenario's ``memory_budget_mib`` where there is one, else :data:`DEFAULT_BUDGET_BYTES`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .errors import MemoryBudgetError

#: Budget of a request when the caller has none (the scenario default, memory_budget_mib 2048).
DEFAULT_BUDGET_BYTES = 2 * 2**30


def format_bytes(n: float) -> str:
    """``3.2 GiB``, ``512 MiB``, ``1.0e+12 GiB`` for absurd sizes."""
    if not math.isfinite(n):
        return "an unbounded amount"
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:,.1f} {unit}" if value < 1e6 else f"{value:.1e} {unit}"
    return f"{n:.0f} B"


def _count(n: float) -> str:
    return f"{n:,.0f}" if n < 1e15 else f"{n:.2g}"


def check_size(
    what: str,
    counts: Sequence[tuple[float, str]],
    bytes_each: float,
    *,
    key: str,
    budget_bytes: float | None = None,
    fixed_bytes: float = 0.0,
) -> float:
    """Refuse ``what`` if ``product(counts) x bytes_each + fixed_bytes`` exceeds the budget.

    ``counts``: ``(number, label)`` pairs, e.g. ``[(1e7, "satellites")]``; ``key``: the input(s)
    to change, named in the message. Returns the estimate in bytes.

    >>> check_size("the job table", [(1e3, "jobs")], 200, key="jobs_per_day")
    200000.0
    """
    budget = DEFAULT_BUDGET_BYTES if budget_bytes is None else float(budget_bytes)
    total = 1.0
    for n, _ in counts:
        total *= max(float(n), 0.0) if math.isfinite(float(n)) else math.inf
    need = total * float(bytes_each) + float(fixed_bytes)
    if need > budget or not math.isfinite(need):
        parts = " x ".join(f"{_count(n)} {label}" for n, label in counts)
        raise MemoryBudgetError(
            f"{what} would need about {format_bytes(need)} ({parts} x {bytes_each:,.0f} bytes), "
            f"over the memory budget of {format_bytes(budget)}: change {key}"
        )
    return need


__all__ = ["DEFAULT_BUDGET_BYTES", "check_size", "format_bytes"]
