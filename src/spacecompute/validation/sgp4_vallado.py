"""SGP4 against Vallado's verification vectors.

Our element reader (:func:`spacecompute.astro.elements_io.read_elements`) and
``ElementSet.to_satrecs`` (epoch rounded as ``twoline2rv`` does) feed the ``sgp4`` library;
positions and velocities are compared with ``tcppver.out`` of Vallado, Crawford, Hujsak and
Kelso, "Revisiting Spacetrack Report #3", AIAA 2006-6753, for ten satellites of its
verification set (near-Earth, Molniya, deep-space and resonant orbits, shipped in
``spacecompute/data/validation``; the whole set of 588 vectors is checked by
``tests/test_elements_io.py``).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from ..astro.elements_io import read_elements
from .check import Check

CITATION = "Vallado et al., AIAA 2006-6753, tcppver.out"


def _vectors(text: str) -> dict[int, np.ndarray]:
    blocks: dict[int, list] = {}
    current: list | None = None
    for line in text.splitlines():
        parts = line.split()
        if not parts or line.startswith("#"):
            continue
        if len(parts) == 2 and parts[1] == "xx":
            current = blocks.setdefault(int(parts[0]), [])
        elif current is not None:
            current.append([float(x) for x in parts[:7]])
    return {k: np.array(v) for k, v in blocks.items()}


def checks() -> list[Check]:
    data = resources.files("spacecompute") / "data" / "validation"
    with resources.as_file(data / "sgp4-ver-subset.tle") as path:
        elements, _ = read_elements(path, format="tle")
    vectors = _vectors((data / "tcppver-subset.out").read_text())
    out = []
    dv_all, n_all = 0.0, 0
    for cat, sat in zip(elements.catalog_number.tolist(), elements.to_satrecs(), strict=True):
        dr, n = 0.0, 0
        for row in vectors[int(cat)]:
            err, r, v = sat.sgp4_tsince(row[0])
            if err:  # SGP4 itself reports decay; tcppver.out stops there too
                continue
            dr = max(dr, float(np.max(np.abs(np.subtract(r, row[1:4])))))
            dv_all = max(dv_all, float(np.max(np.abs(np.subtract(v, row[4:7])))))
            n += 1
        n_all += n
        out.append(
            Check(f"#{cat:05d}: largest position error, {n} epochs", CITATION, dr, 0.0, 1e-6, "km")
        )
    out.append(
        Check(
            f"all ten: largest velocity error, {n_all} epochs",
            CITATION,
            dv_all,
            0.0,
            1e-9,
            "km/s",
            note="tcppver.out prints 8 decimals (km, km/s): errors of 5e-9 are its rounding",
        )
    )
    return out
