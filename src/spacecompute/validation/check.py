"""One reference comparison of the validation report."""
from __future__ import annotations
from dataclasses import dataclass

@dataclass(frozen=True)
class Check:
    """``quantity`` compared with ``reference_value`` from ``citation``; passes when
    ``abs(ours - reference_value) <= tolerance``. ``note`` says why where we disagree."""
    quantity: str
    citation: str
    ours: float
    reference_value: float
    tolerance: float
    unit: str
    note: str = ""

    @property
    def difference(self) -> float:
        return self.ours - self.reference_value

    @property
    def passed(self) -> bool:
        return abs(self.difference) <= self.tolerance
