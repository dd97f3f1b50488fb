"""Mean orbital element sets as columns (struct of arrays), the common currency of all sources.

TLE/3LE files, OMM JSON/CSV and generated Walker shells all become an :class:`ElementSet`.
Elements are SGP4 mean elements (Kozai mean motion, WGS72, TEME of epoch): Hoots and Roehrich,
"Spacetrack Report No. 3" (1980), and Vallado et al., AIAA 2006-6753.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .constants import JD_SGP4_EPOCH_ORIGIN, TWO_PI
from .timeutil import jd_to_datetime64

# Minutes per day over 2 pi: converts rev/day <-> rad/min as in SGP4's ``twoline2rv``
XPDOTP = 1440.0 / TWO_PI


@dataclass(frozen=True, eq=False)
class ElementSet:
    """N mean element sets. Angles in radians, mean motion in rad/s (Kozai, as in TLEs).

    ``bstar`` is SGP4's drag term in 1/earth-radii. ``epoch_jd`` + ``epoch_fr`` is the UTC epoch
    as a split Julian date (as in ``sgp4``). ``shell``/``plane``/``slot`` locate a satellite in a
    Walker shell (``-1`` for catalogue objects). ``source_line`` is the 1-based line of the record
    in ``source_file`` (0 when generated).
    """

    catalog_number: np.ndarray
    epoch_jd: np.ndarray
    epoch_fr: np.ndarray
    mean_motion_rad_s: np.ndarray
    eccentricity: np.ndarray
    inclination_rad: np.ndarray
    raan_rad: np.ndarray
    arg_perigee_rad: np.ndarray
    mean_anomaly_rad: np.ndarray
    bstar: np.ndarray
    mean_motion_dot: np.ndarray  # rev/day^2 / 2 as in TLE line 1 (not used by SGP4)
    mean_motion_ddot: np.ndarray  # rev/day^3 / 6 as in TLE line 1 (not used by SGP4)
    shell: np.ndarray
    plane: np.ndarray
    slot: np.ndarray
    source_line: np.ndarray
    names: np.ndarray | None = None  # object array of str, or None (generated on demand)
    intl_designator: np.ndarray | None = None
    source_file: str | None = None
    name_prefix: str = "SAT"

    # Column names that hold one value per satellite
    COLUMNS: tuple[str, ...] = field(
        default=(
            "catalog_number",
            "epoch_jd",
            "epoch_fr",
            "mean_motion_rad_s",
            "eccentricity",
            "inclination_rad",
            "raan_rad",
            "arg_perigee_rad",
            "mean_anomaly_rad",
            "bstar",
            "mean_motion_dot",
            "mean_motion_ddot",
            "shell",
            "plane",
            "slot",
            "source_line",
        ),
        init=False,
        repr=False,
    )

    def __len__(self) -> int:
        return int(self.catalog_number.shape[0])

    @property
    def epoch(self) -> np.ndarray:
        """Epochs as ``datetime64[ns]`` (N,)."""
        return jd_to_datetime64(self.epoch_jd, self.epoch_fr)

    @property
    def mean_motion_rev_day(self) -> np.ndarray:
        return self.mean_motion_rad_s * 86400.0 / TWO_PI

    def name_list(self) -> np.ndarray:
        """Satellite names (object array of str); generated names for Walker shells."""
        if self.names is not None:
            return self.names
        return np.array(
            [
                f"{self.name_prefix}-S{s}-P{p}-{k}" if p >= 0 else f"{self.name_prefix}-{c}"
                for s, p, k, c in zip(
                    self.shell.tolist(),
                    self.plane.tolist(),
                    self.slot.tolist(),
                    self.catalog_number.tolist(),
                    strict=True,
                )
            ],
            dtype=object,
        )

    def take(self, index: np.ndarray) -> ElementSet:
        """A subset (or reordering) by integer index or boolean mask."""
        index = np.asarray(index)
        changes = {name: getattr(self, name)[index] for name in self.COLUMNS}
        if self.names is not None:
            changes["names"] = self.names[index]
        if self.intl_designator is not None:
            changes["intl_designator"] = self.intl_designator[index]
        return replace(self, **changes)

    @staticmethod
    def concat(parts: list[ElementSet]) -> ElementSet:
        """Join element sets in order (shell numbers are kept as they are)."""
        if not parts:
            raise ValueError("nothing to concatenate")
        if len(parts) == 1:
            return parts[0]
        cols = {
            name: np.concatenate([getattr(p, name) for p in parts]) for name in parts[0].COLUMNS
        }
        names = np.concatenate([p.name_list() for p in parts])
        intl = None
        if all(p.intl_designator is not None for p in parts):
            intl = np.concatenate([p.intl_designator for p in parts])
        files = {p.source_file for p in parts}
        return ElementSet(
            **cols,
            names=names,
            intl_designator=intl,
            source_file=files.pop() if len(files) == 1 else None,
        )

    def to_satrecs(self) -> list:
        """``sgp4.api.Satrec`` objects initialised with ``sgp4init`` (WGS72, improved mode)."""
        from sgp4.api import WGS72, Satrec

        # Same rounding as ``twoline2rv`` ((jd + fr) - origin), then the exact split epoch is put
        # back, so that TLE-derived satellites reproduce ``Satrec.twoline2rv`` bit for bit.
        epoch_days = (self.epoch_jd + self.epoch_fr) - JD_SGP4_EPOCH_ORIGIN
        no_kozai = self.mean_motion_rad_s * 60.0
        ndot = self.mean_motion_dot / (XPDOTP * 1440.0)
        nddot = self.mean_motion_ddot / (XPDOTP * 1440.0 * 1440.0)
        out = []
        for k in range(len(self)):
            sat = Satrec()
            sat.sgp4init(
                WGS72,
                "i",
                int(self.catalog_number[k]) % 100000 if self.catalog_number[k] >= 0 else 0,
                float(epoch_days[k]),
                float(self.bstar[k]),
                float(ndot[k]),
                float(nddot[k]),
                float(self.eccentricity[k]),
                float(self.arg_perigee_rad[k]),
                float(self.inclination_rad[k]),
                float(self.mean_anomaly_rad[k]),
                float(no_kozai[k]),
                float(self.raan_rad[k]),
            )
            sat.jdsatepoch = float(self.epoch_jd[k])
            sat.jdsatepochF = float(self.epoch_fr[k])
            out.append(sat)
        return out


def element_set(
    *,
    catalog_number,
    epoch_jd,
    epoch_fr,
    mean_motion_rad_s,
    eccentricity,
    inclination_rad,
    raan_rad,
    arg_perigee_rad,
    mean_anomaly_rad,
    bstar=0.0,
    mean_motion_dot=0.0,
    mean_motion_ddot=0.0,
    shell=-1,
    plane=-1,
    slot=-1,
    source_line=0,
    names=None,
    intl_designator=None,
    source_file: str | None = None,
    name_prefix: str = "SAT",
) -> ElementSet:
    """Build an :class:`ElementSet` from array-likes (scalars broadcast to N)."""
    n = int(np.asarray(catalog_number).shape[0])

    def col(value, dtype):
        arr = np.asarray(value, dtype=dtype)
        if arr.ndim == 0:
            arr = np.full(n, arr, dtype=dtype)
        if arr.shape != (n,):
            raise ValueError(f"column has shape {arr.shape}, expected ({n},)")
        return arr

    f64, i64, i32 = np.float64, np.int64, np.int32
    return ElementSet(
        catalog_number=col(catalog_number, i64),
        epoch_jd=col(epoch_jd, f64),
        epoch_fr=col(epoch_fr, f64),
        mean_motion_rad_s=col(mean_motion_rad_s, f64),
        eccentricity=col(eccentricity, f64),
        inclination_rad=col(inclination_rad, f64),
        raan_rad=col(raan_rad, f64),
        arg_perigee_rad=col(arg_perigee_rad, f64),
        mean_anomaly_rad=col(mean_anomaly_rad, f64),
        bstar=col(bstar, f64),
        mean_motion_dot=col(mean_motion_dot, f64),
        mean_motion_ddot=col(mean_motion_ddot, f64),
        shell=col(shell, i32),
        plane=col(plane, i32),
        slot=col(slot, i32),
        source_line=col(source_line, i32),
        names=None if names is None else np.asarray(names, dtype=object),
        intl_designator=None
        if intl_designator is None
        else np.asarray(intl_designator, dtype=object),
        source_file=source_file,
        name_prefix=name_prefix,
    )


__all__ = ["XPDOTP", "ElementSet", "element_set"]
