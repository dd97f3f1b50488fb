"""Results of a run: the run directory (Parquet tables and ``summary.json``), its HTML report
and side-by-side comparisons of runs or policies.

``RunWriter`` writes a run directory atomically, ``RunResult.load`` / ``find_runs`` read one back
with its schema checked, ``write_report`` renders ``report.html`` and ``compare_runs`` builds the
table behind ``spacecompute compare``; both read the one metric table of :mod:`.metrics`, where
each metric's direction belongs to a workload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .compare import compare_results, compare_runs, comparison_json, format_comparison
    from .report import write_report
    from .store import SCHEMAS, SUMMARY_KEYS, RunResult, RunWriter, find_runs, is_comparison

#: Where each name lives: imported when first asked for, so that a run that only stores its
#: results (``runner`` imports ``.store``) does not import the report and its charts.
_HOMES = {
    "compare_results": "compare",
    "compare_runs": "compare",
    "comparison_json": "compare",
    "format_comparison": "compare",
    "write_report": "report",
    "SCHEMAS": "store",
    "SUMMARY_KEYS": "store",
    "RunResult": "store",
    "RunWriter": "store",
    "find_runs": "store",
    "is_comparison": "store",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "SCHEMAS",
    "SUMMARY_KEYS",
    "RunResult",
    "RunWriter",
    "compare_results",
    "compare_runs",
    "comparison_json",
    "find_runs",
    "format_comparison",
    "is_comparison",
    "write_report",
]
