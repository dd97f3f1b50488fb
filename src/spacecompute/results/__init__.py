"""Results of a run: the run directory (Parquet tables and ``summary.json``), its HTML report
and side-by-side comparisons of runs or policies.

``RunWriter`` writes a run directory atomically, ``RunResult.load`` / ``find_runs`` read one back
with its schema checked, ``write_report`` renders ``report.html`` and ``compare_runs`` builds the
table behind ``spacecompute compare``; both read the one metric table of :mod:`.metrics`, where
each metric's direction belongs to a workload.
"""

from __future__ import annotations

from .compare import compare_results, compare_runs, comparison_json, format_comparison
from .report import write_report
from .store import SCHEMAS, SUMMARY_KEYS, RunResult, RunWriter, find_runs, is_comparison

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
