"""The Suncatcher and Starcloud figures, each on its own basis.

Ours: the planner's closed forms (:func:`spacecompute.economics.cost.check_claim`) on the
claims of the ``suncatcher`` and ``starcloud-40mw`` planner presets, each with the inputs the
publication gives. Suncatcher (arXiv:2511.19468, Table 1) divides launch cost by each listed
satellite's **rated** power over its life; the checks use those published powers, so they
compare like with like (the planner reports a design on that basis as
``launched_power_price_rated_usd_per_kw_year``, see docs/planner.md). A claim passes within
its tolerance (5 % unless the preset says otherwise) of the computed value. Where a
publication's figure does not follow from its own inputs (two of Starcloud's), the check
compares our number with the product of those inputs written out here, and the note gives the
published figure and the size of the disagreement.
"""

from __future__ import annotations

from ..astro.constants import SOLAR_CONSTANT_W_M2
from ..economics.cost import check_claim
from ..economics.presets import load_design
from .check import Check

#: Claims whose published figure does not follow from the publication's own inputs:
#: label -> (reference from those inputs, citation, unit scale, note).
DISAGREEMENTS = {
    "Launch line: ~100 t at ~$30/kg": (
        100_000 * 30.0,
        "the white paper's inputs: 100 t x $30/kg",
        "Starcloud states $5M, 67 % above its own inputs; we keep $3.0M "
        "(`spacecompute size starcloud-40mw` flags it)",
    ),
    "4 km x 4 km array power": (
        16e6 * SOLAR_CONSTANT_W_M2 * 0.22 * 0.90,
        "the white paper's inputs: 16 km2 x 1,361 W/m2 x 22 % x 90 %",
        "Starcloud states 5 GW, 16 % above what its area, cells and fill give at 1,361 W/m2 "
        "(5 GW would need 25.5 % cells); we keep 4.31 GW",
    ),
}

_UNITS = {"USD": (1e-6, "M$"), "W": (1e-9, "GW")}


def checks() -> list[Check]:
    out = []
    for preset, who in (("suncatcher", "Suncatcher"), ("starcloud-40mw", "Starcloud")):
        design = load_design(preset)
        for claim in design.claims:
            if claim.check in ("design_mass", "specific_power"):
                continue  # against the planner's own sizing, not a published formula
            for r in check_claim(claim):
                scale, unit = _UNITS.get(r.unit, (1.0, r.unit))
                if r.label in DISAGREEMENTS:
                    ref, citation, note = DISAGREEMENTS[r.label]
                    out.append(
                        Check(
                            f"{who}: {r.label}",
                            citation,
                            r.computed * scale,
                            ref * scale,
                            1e-9 * abs(ref * scale),
                            unit,
                            note=note,
                        )
                    )
                    continue
                basis = (
                    " (rated power, as published)" if claim.check == "launched_power_price" else ""
                )
                out.append(
                    Check(
                        f"{who}: {r.label}{basis}",
                        r.source or who,
                        r.computed * scale,
                        r.stated * scale,
                        r.tolerance * abs(r.computed * scale),
                        unit,
                    )
                )
    return out
