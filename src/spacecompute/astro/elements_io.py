"""Reading orbital element sets: TLE / 3LE text and CelesTrak OMM (JSON and CSV).

Formats:

- **TLE / 3LE**: the fixed-column two-line element format of NORAD / the US Space Force, as
  documented in Hoots and Roehrich, "Spacetrack Report No. 3" (1980), and on CelesTrak
  ("NORAD Two-Line Element Set Format", T.S. Kelso, https://celestrak.org/columns/v04n03/).
  Catalogue numbers of 100000 and above use the Space Force "Alpha-5" scheme: the first of the
  five characters is a letter A..Z without I and O standing for 10..33, so ``A0000`` = 100000
  and ``Z9999`` = 339999 (18th/19th SDS, "Alpha-5" announcement; same rule as
  ``sgp4.alpha5.from_alpha5``).
- **OMM**: the CCSDS Orbit Mean-Elements Message (CCSDS 502.0-B-3) keys as CelesTrak publishes
  them in ``FORMAT=json`` and ``FORMAT=csv`` (https://celestrak.org/NORAD/documentation/gp-data-formats.php).

TLE numbers are converted exactly as ``sgp4`` (python-sgp4 2.x, Vallado's ``SGP4.cpp``
``twoline2rv``) converts them, so that :meth:`ElementSet.to_satrecs` starts from the same
numbers as ``Satrec.twoline2rv``: the epoch goes through ``days2mdhms`` and ``jday`` with the
two-digit-year pivot 57 (1957..2056), and the day fraction is rounded to the 8 decimals a TLE
carries, as python-sgp4 does. OMM numbers are converted as ``sgp4.omm.initialize`` does.

Every problem is reported with the file, the line, the field (``line 2 column 27-33
(eccentricity)``) and what was expected. With ``on_error="raise"`` all problems of a file are
raised together in one :class:`~spacecompute.errors.InputError`; with ``on_error="skip"`` the
bad records are left out and the problems are returned beside the good ones.
"""

from __future__ import annotations

import csv
import datetime as _dt
import fnmatch
import io
import json
import math
import re
from pathlib import Path

import numpy as np

from ..errors import InputError, Problem
from .elements import XPDOTP, ElementSet, element_set

_DEG2RAD = math.pi / 180.0  # as ``deg2rad = pi / 180.0`` in SGP4.cpp / sgp4.omm
# 10**k for the implied-decimal exponent fields, computed with C's pow() as SGP4.cpp does
_POW10 = np.array([10.0**k for k in range(-9, 10)])
_ON_ERROR = ("raise", "skip")
_FORMATS = {
    "tle": "tle",
    "3le": "tle",
    "2le": "tle",
    "omm-json": "omm-json",
    "json": "omm-json",
    "omm-csv": "omm-csv",
    "csv": "omm-csv",
}

# ----------------------------------------------------------------------------------------------
# TLE field layout: (start, end) 0-based, end exclusive; regex matching exactly end-start chars.
# ----------------------------------------------------------------------------------------------
_CATNUM = r"(?:\d{5}| \d{4}| {2}\d{3}| {3}\d{2}| {4}\d|[A-HJ-NP-Z]\d{4})"
_ANGLE = r"(?:\d{3}| \d{2}| {2}\d)\.\d{4}"
_EXPFIELD = r"[ +-]\d{5}[+-]\d"

_L1_FIELDS: list[tuple[int, int, str, str, str]] = [
    (0, 1, "line number", r"1", "'1'"),
    (1, 2, "separator", r" ", "a space"),
    (2, 7, "catalog number", _CATNUM, "5 digits, or an Alpha-5 number such as A0000"),
    (7, 8, "classification", r"[UCS ]", "U, C or S"),
    (8, 9, "separator", r" ", "a space"),
    (9, 17, "international designator", r"[0-9A-Z ]{8}", "e.g. '98067A  ' or blanks"),
    (17, 18, "separator", r" ", "a space"),
    (18, 20, "epoch year", r"\d{2}", "two digits (57-99 = 1957-1999, 00-56 = 2000-2056)"),
    (20, 32, "epoch day", r"(?:\d{3}| \d{2}| {2}\d)\.\d{8}", "day of year as DDD.DDDDDDDD"),
    (32, 33, "separator", r" ", "a space"),
    (33, 43, "mean motion derivative", r"[ +-]\.\d{8}", "sign and .DDDDDDDD, e.g. ' .00012345'"),
    (43, 44, "separator", r" ", "a space"),
    (44, 52, "mean motion second derivative", _EXPFIELD, "implied decimal like ' 12345-3'"),
    (52, 53, "separator", r" ", "a space"),
    (53, 61, "BSTAR", _EXPFIELD, "implied decimal like ' 12345-3'"),
    (61, 62, "separator", r" ", "a space"),
    (62, 63, "ephemeris type", r"[\d ]", "a digit (normally 0)"),
    (63, 64, "separator", r" ", "a space"),
    (64, 68, "element set number", r"[ \d]{4}", "up to 4 digits, right-justified"),
    (68, 69, "checksum", r"\d", "a digit"),
]
_L2_FIELDS: list[tuple[int, int, str, str, str]] = [
    (0, 1, "line number", r"2", "'2'"),
    (1, 2, "separator", r" ", "a space"),
    (2, 7, "catalog number", _CATNUM, "5 digits, or an Alpha-5 number such as A0000"),
    (7, 8, "separator", r" ", "a space"),
    (8, 16, "inclination", _ANGLE, "degrees as DDD.DDDD"),
    (16, 17, "separator", r" ", "a space"),
    (17, 25, "right ascension of ascending node", _ANGLE, "degrees as DDD.DDDD"),
    (25, 26, "separator", r" ", "a space"),
    (26, 33, "eccentricity", r"\d{7}", "7 digits with an implied leading '0.', e.g. 0001234"),
    (33, 34, "separator", r" ", "a space"),
    (34, 42, "argument of perigee", _ANGLE, "degrees as DDD.DDDD"),
    (42, 43, "separator", r" ", "a space"),
    (43, 51, "mean anomaly", _ANGLE, "degrees as DDD.DDDD"),
    (51, 52, "separator", r" ", "a space"),
    (52, 63, "mean motion", r"(?:\d{2}| \d)\.\d{8}", "revolutions per day as DD.DDDDDDDD"),
    (63, 68, "revolution number", r"[ \d]{5}", "up to 5 digits, right-justified"),
    (68, 69, "checksum", r"\d", "a digit"),
]


def _compile(fields):
    whole = re.compile("".join(f"(?:{rx})" for _, _, _, rx, _ in fields), re.ASCII)
    parts = [(s, e, name, re.compile(rx, re.ASCII), exp) for s, e, name, rx, exp in fields]
    return whole, parts


_L1_WHOLE, _L1_PARTS = _compile(_L1_FIELDS)
_L2_WHOLE, _L2_PARTS = _compile(_L2_FIELDS)
_TLE_LEN = 69


def _field_label(lineno: int, start: int, end: int, name: str) -> str:
    cols = f"column {start + 1}" if end - start == 1 else f"column {start + 1}-{end}"
    return f"line {lineno} {cols} ({name})"


def _check_on_error(on_error: str) -> None:
    if on_error not in _ON_ERROR:
        raise InputError(f"on_error = {on_error!r}", field="on_error", expected="'raise' or 'skip'")


def _finish(
    elements: ElementSet, problems: list[Problem], on_error: str
) -> tuple[ElementSet, list[Problem]]:
    problems = sorted(problems, key=lambda p: p.line if p.line is not None else 0)
    if on_error == "raise" and any(p.severity == "error" for p in problems):
        raise InputError(problems=problems)
    return elements, problems


def _empty_set(source: str) -> ElementSet:
    empty = np.zeros(0)
    return element_set(
        catalog_number=np.zeros(0, dtype=np.int64),
        epoch_jd=empty,
        epoch_fr=empty,
        mean_motion_rad_s=empty,
        eccentricity=empty,
        inclination_rad=empty,
        raan_rad=empty,
        arg_perigee_rad=empty,
        mean_anomaly_rad=empty,
        names=np.zeros(0, dtype=object),
        intl_designator=np.zeros(0, dtype=object),
        source_file=source,
    )


def _rad_s_from_rad_min(no_rad_min: np.ndarray) -> np.ndarray:
    """rad/min -> rad/s, choosing among neighbouring doubles the one whose ``* 60.0`` gives back
    ``no_rad_min`` exactly (so that ``to_satrecs`` hands sgp4 the very same ``no_kozai``)."""
    m = no_rad_min / 60.0
    ok = m * 60.0 == no_rad_min
    if not ok.all():
        up = np.nextafter(m, np.inf)
        down = np.nextafter(m, -np.inf)
        m = np.where(
            ok,
            m,
            np.where(up * 60.0 == no_rad_min, up, np.where(down * 60.0 == no_rad_min, down, m)),
        )
    return m


def _c_round(x: np.ndarray) -> np.ndarray:
    """C's ``round()``: halves away from zero (Python's ``round`` goes to even)."""
    t = np.trunc(x)
    return t + np.sign(x) * (np.abs(x - t) >= 0.5)


_CUM_DAYS = np.array(
    [
        [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334],
        [0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335],
    ]
)


def tle_epoch_to_jd(year: np.ndarray, day_of_year: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split Julian date (UTC) of a TLE epoch, computed as python-sgp4's ``Satrec.twoline2rv``.

    ``year`` is the 4-digit year, ``day_of_year`` the TLE's day (1.0 = January 1, 00:00).
    Follows ``days2mdhms`` and ``jday`` of Vallado's ``SGP4.cpp`` operation by operation (same
    floating-point roundings), then rounds the fraction to 8 decimals as python-sgp4's wrapper
    does. Source: Vallado et al., AIAA 2006-6753, and python-sgp4 ``extension/wrapper.cpp``.
    """
    year = np.asarray(year, dtype=np.int64)
    days = np.asarray(day_of_year, dtype=np.float64)
    dayofyr = np.floor(days).astype(np.int64)
    leap = (year % 4 == 0).astype(np.int64)
    cum = _CUM_DAYS[leap]  # (N, 12)
    # month = first i with dayofyr <= cum[i] + lmonth[i], i.e. number of month starts before it
    mon = np.clip((dayofyr[:, None] > cum).sum(axis=1), 1, 12)
    day = dayofyr - cum[np.arange(len(year)), mon - 1]
    temp = (days - dayofyr) * 24.0
    hr = np.floor(temp)
    temp = (temp - hr) * 60.0
    minute = np.floor(temp)
    sec = (temp - minute) * 60.0
    yf = year.astype(np.float64)
    monf = mon.astype(np.float64)
    jd = (
        367.0 * yf
        - np.floor((7.0 * (yf + np.floor((monf + 9.0) / 12.0))) * 0.25)
        + np.floor(275.0 * monf / 9.0)
        + day
        + 1721013.5
    )
    fr = (sec + minute * 60.0 + hr * 3600.0) / 86400.0
    over = np.abs(fr) > 1.0
    if over.any():
        dtt = np.floor(fr[over])
        jd[over] += dtt
        fr[over] -= dtt
    fr = _c_round(fr * 1e8) / 1e8
    return jd, fr


def _alpha5_to_int(text: np.ndarray) -> np.ndarray:
    """Catalogue numbers from (N, 5) uint8 arrays of the 5 TLE characters (Alpha-5 aware)."""
    chars = text.astype(np.int64)
    digits = np.where(chars == ord(" "), 0, chars - ord("0"))
    first = chars[:, 0]
    letter = (first >= ord("A")) & (first <= ord("Z"))
    lead = np.where(
        letter,
        first - ord("A") + 10 - (first > ord("I")) - (first > ord("O")),
        digits[:, 0],
    )
    return (
        lead * 10000 + digits[:, 1] * 1000 + digits[:, 2] * 100 + digits[:, 3] * 10 + digits[:, 4]
    )


def _str_col(arr: np.ndarray, start: int, end: int) -> np.ndarray:
    return np.ascontiguousarray(arr[:, start:end]).view(f"S{end - start}").ravel()


def _float_col(arr: np.ndarray, start: int, end: int) -> np.ndarray:
    if len(arr) == 0:
        return np.zeros(0)
    return _str_col(arr, start, end).astype(np.float64)


def _int_col(arr: np.ndarray, start: int, end: int) -> np.ndarray:
    """Right-justified digit fields (spaces count as 0)."""
    val = np.zeros(len(arr), dtype=np.int64)
    for k in range(start, end):
        c = arr[:, k].astype(np.int64)
        val = val * 10 + np.where(c == ord(" "), 0, c - ord("0"))
    return val


def _exp_col(arr: np.ndarray, start: int) -> np.ndarray:
    """Implied-decimal exponent fields such as ``-12345-6`` = -0.12345e-6, evaluated as
    SGP4.cpp does: ``strtod("-.12345") * pow(10.0, -6)``."""
    sign = np.where(arr[:, start] == ord("-"), -1.0, 1.0)
    mant = _int_col(arr, start + 1, start + 6).astype(np.float64) / 1e5
    esign = np.where(arr[:, start + 6] == ord("-"), -1, 1)
    expo = esign * (arr[:, start + 7].astype(np.int64) - ord("0"))
    return (sign * mant) * _POW10[expo + 9]


def _checksum(arr: np.ndarray) -> np.ndarray:
    body = arr[:, :68].astype(np.int64)
    is_digit = (body >= ord("0")) & (body <= ord("9"))
    value = np.where(is_digit, body - ord("0"), 0) + (body == ord("-"))
    return value.sum(axis=1) % 10


def _split_lines(text: str) -> list[str]:
    """Lines of ``text`` for LF, CRLF, CR-CR-LF and lone-CR files; numbering as an editor shows."""
    if "\n" not in text and "\r" in text:
        parts = text.split("\r")
    else:
        parts = text.split("\n")
    return [p.rstrip("\r") for p in parts]


def _is_line1(s: str) -> bool:
    r = len(s.rstrip())
    return s[:1] == "1" and ((s[1:2] == " " and r > 24) or r >= 60)


def _is_line2(s: str) -> bool:
    r = len(s.rstrip())
    return s[:1] == "2" and ((s[1:2] == " " and r > 24) or r >= 60)


def _format_problems(line: str, lineno: int, which: int, source: str, label: str) -> list[Problem]:
    """Detailed problems of a TLE line that failed the whole-line pattern."""
    parts = _L1_PARTS if which == 1 else _L2_PARTS
    out: list[Problem] = []
    if not line.isascii():
        bad = next(i for i, c in enumerate(line) if not c.isascii())
        if bad < _TLE_LEN:
            out.append(
                Problem(
                    f"{label}non-ASCII character {line[bad]!r} in TLE line {which}",
                    file=source,
                    line=lineno,
                    field=f"line {which} column {bad + 1}",
                    expected="ASCII text in the fixed TLE columns",
                )
            )
            return out
    if len(line) < _TLE_LEN:
        out.append(
            Problem(
                f"{label}TLE line {which} is {len(line)} characters long",
                file=source,
                line=lineno,
                field=f"line {which} length",
                expected="69 characters (columns 1-69, the last being the checksum)",
            )
        )
    for start, end, name, rx, expected in parts:
        if end > len(line):
            break
        if rx.fullmatch(line, start, end) is None:
            out.append(
                Problem(
                    f"{label}{line[start:end]!r} is not a valid {name}",
                    file=source,
                    line=lineno,
                    field=_field_label(which, start, end, name),
                    expected=expected,
                )
            )
    if not out:  # cannot happen if the whole pattern is the concatenation of the parts
        out.append(
            Problem(
                f"{label}TLE line {which} does not match the TLE format",
                file=source,
                line=lineno,
                field=f"line {which}",
                expected="the fixed-column TLE layout",
            )
        )
    return out


def _intl_designator(raw: str) -> str:
    """``98067A`` -> ``1998-067A`` (OMM OBJECT_ID style); blanks -> ``''``."""
    raw = raw.strip()
    m = re.fullmatch(r"(\d\d)(\d\d\d)([A-Z]{0,3})", raw, re.ASCII)
    if not m:
        return raw
    yy = int(m.group(1))
    year = yy + (2000 if yy < 57 else 1900)
    return f"{year}-{m.group(2)}{m.group(3)}"


def parse_tle_text(
    text: str, *, source: str = "<text>", on_error: str = "raise"
) -> tuple[ElementSet, list[Problem]]:
    """Parse TLE (2-line) or 3LE (name line, optionally ``0 ``-prefixed) text.

    Accepts LF, CRLF, CR-CR-LF and CR line ends, blank lines, ``#`` comment lines, extra columns
    after column 69 (ignored) and a missing newline at the end. Verifies both checksums (sum of
    the digits of columns 1-68, ``-`` counting 1, mod 10), that both lines carry the same
    catalogue number, every field's format and the ranges of the angles and the epoch day.

    Returns ``(elements, problems)``. With ``on_error="raise"`` any problem raises one
    :class:`InputError` listing all of them; with ``"skip"`` bad records are left out and their
    problems returned. Names are stripped of padding and of the ``0 `` prefix; records without a
    name line get ``NORAD-<catalog number>``.
    """
    _check_on_error(on_error)
    problems: list[Problem] = []
    items = [
        (no, s)
        for no, s in enumerate(_split_lines(text), start=1)
        if s.strip() and not s.lstrip().startswith("#")
    ]

    # --- 1. group lines into records (name?, line 1, line 2) ---------------------------------
    records: list[tuple[str | None, int, int, str, int, str]] = []
    pending: tuple[int, str] | None = None

    def orphan_name(entry: tuple[int, str]) -> None:
        problems.append(
            Problem(
                f"line {entry[1].strip()[:40]!r} is neither a TLE line nor a name followed by "
                "TLE line 1",
                file=source,
                line=entry[0],
                field="record structure",
                expected="an optional name line, then a line starting with '1 ' and one with '2 '",
            )
        )

    i = 0
    n_items = len(items)
    while i < n_items:
        no, s = items[i]
        if _is_line1(s):
            if i + 1 < n_items and _is_line2(items[i + 1][1]):
                name_no, name = pending if pending is not None else (no, None)
                records.append((name, name_no, no, s, items[i + 1][0], items[i + 1][1]))
                i += 2
            else:
                problems.append(
                    Problem(
                        "TLE line 1 is not followed by a line 2",
                        file=source,
                        line=no,
                        field="record structure",
                        expected="a line starting with '2 ' right after line 1",
                    )
                )
                i += 1
            pending = None
            continue
        if _is_line2(s):
            problems.append(
                Problem(
                    "TLE line 2 without a line 1 before it",
                    file=source,
                    line=no,
                    field="record structure",
                    expected="a line starting with '1 ' right before each line starting with '2 '",
                )
            )
            pending = None
            i += 1
            continue
        if pending is not None:
            orphan_name(pending)
        pending = (no, s)
        i += 1
    if pending is not None:
        orphan_name(pending)

    if not records:
        if not problems:
            problems.append(
                Problem(
                    "no TLE element sets found",
                    file=source,
                    field="content",
                    expected="TLE or 3LE text: lines starting with '1 ' and '2 ' (69 columns)",
                )
            )
        return _finish(_empty_set(source), problems, on_error)

    # --- 2. field formats (whole-line pattern; field by field only for failures) -------------
    good: list[int] = []
    for k, (_name, _name_no, no1, l1, no2, l2) in enumerate(records):
        label = _rec_label(records[k])
        bad: list[Problem] = []
        if _L1_WHOLE.match(l1) is None:
            bad += _format_problems(l1, no1, 1, source, label)
        if _L2_WHOLE.match(l2) is None:
            bad += _format_problems(l2, no2, 2, source, label)
        if bad:
            problems += bad
        else:
            good.append(k)

    recs = [records[k] for k in good]
    m = len(recs)
    a1 = np.frombuffer("".join(r[3][:_TLE_LEN] for r in recs).encode("ascii"), dtype=np.uint8)
    a2 = np.frombuffer("".join(r[5][:_TLE_LEN] for r in recs).encode("ascii"), dtype=np.uint8)
    a1 = a1.reshape(m, _TLE_LEN)
    a2 = a2.reshape(m, _TLE_LEN)

    # --- 3. vectorized value checks ----------------------------------------------------------
    cat1 = _alpha5_to_int(a1[:, 2:7])
    cat2 = _alpha5_to_int(a2[:, 2:7])
    yy = _int_col(a1, 18, 20)
    year = np.where(yy < 57, yy + 2000, yy + 1900)
    epoch_day = _float_col(a1, 20, 32)
    incl_deg = _float_col(a2, 8, 16)
    raan_deg = _float_col(a2, 17, 25)
    argp_deg = _float_col(a2, 34, 42)
    mo_deg = _float_col(a2, 43, 51)
    days_in_year = np.where(year % 4 == 0, 366, 365)

    checks = [
        (
            _checksum(a1) != a1[:, 68] - ord("0"),
            lambda j: _checksum_problem(recs[j], 1, a1[j], source),
        ),
        (
            _checksum(a2) != a2[:, 68] - ord("0"),
            lambda j: _checksum_problem(recs[j], 2, a2[j], source),
        ),
        (
            cat1 != cat2,
            lambda j: Problem(
                f"{_rec_label(recs[j])}line 2 has catalog number {recs[j][5][2:7]!r} but line 1 "
                f"(line {recs[j][2]}) has {recs[j][3][2:7]!r}",
                file=source,
                line=recs[j][4],
                field=_field_label(2, 2, 7, "catalog number"),
                expected="the same catalog number as line 1",
            ),
        ),
        (
            (epoch_day < 1.0) | (np.floor(epoch_day) > days_in_year),
            lambda j: Problem(
                f"{_rec_label(recs[j])}epoch day {recs[j][3][20:32].strip()} is not a day of "
                f"{year[j]}",
                file=source,
                line=recs[j][2],
                field=_field_label(1, 20, 32, "epoch day"),
                expected=f"1.0 <= day < {days_in_year[j] + 1}.0",
            ),
        ),
    ]
    for col, (s, e, what, hi) in {
        "inclination": (8, 16, incl_deg, 180.0),
        "right ascension of ascending node": (17, 25, raan_deg, 360.0),
        "argument of perigee": (34, 42, argp_deg, 360.0),
        "mean anomaly": (43, 51, mo_deg, 360.0),
    }.items():
        checks.append(
            (
                what > hi,
                lambda j, col=col, s=s, e=e, hi=hi: Problem(
                    f"{_rec_label(recs[j])}{col} {recs[j][5][s:e].strip()} deg is out of range",
                    file=source,
                    line=recs[j][4],
                    field=_field_label(2, s, e, col),
                    expected=f"0 to {hi:g} degrees",
                ),
            )
        )
    ok = np.ones(m, dtype=bool)
    for bad_mask, make in checks:
        for j in np.flatnonzero(bad_mask):
            problems.append(make(int(j)))
        ok &= ~bad_mask

    # --- 4. numbers, converted as twoline2rv converts them ----------------------------------
    idx = np.flatnonzero(ok)
    a1, a2 = a1[idx], a2[idx]
    recs = [recs[j] for j in idx]
    epoch_jd, epoch_fr = tle_epoch_to_jd(year[idx], epoch_day[idx])
    no_rad_min = _float_col(a2, 52, 63) / XPDOTP
    names_raw = [r[0] for r in recs]
    cat = cat1[idx]
    if all(nm is None for nm in names_raw):
        names = np.array([f"NORAD-{c}" for c in cat.tolist()], dtype=object)
    else:
        names = np.array(
            [
                _clean_name(nm) if nm is not None else f"NORAD-{c}"
                for nm, c in zip(names_raw, cat.tolist(), strict=True)
            ],
            dtype=object,
        )
    intl = np.array([_intl_designator(r[3][9:17]) for r in recs], dtype=object)
    elements = element_set(
        catalog_number=cat,
        epoch_jd=epoch_jd,
        epoch_fr=epoch_fr,
        mean_motion_rad_s=_rad_s_from_rad_min(no_rad_min),
        eccentricity=_int_col(a2, 26, 33).astype(np.float64) / 1e7,
        inclination_rad=incl_deg[idx] * _DEG2RAD,
        raan_rad=raan_deg[idx] * _DEG2RAD,
        arg_perigee_rad=argp_deg[idx] * _DEG2RAD,
        mean_anomaly_rad=mo_deg[idx] * _DEG2RAD,
        bstar=_exp_col(a1, 53),
        mean_motion_dot=_float_col(a1, 33, 43),
        mean_motion_ddot=_exp_col(a1, 44),
        source_line=np.array([r[1] for r in recs], dtype=np.int64),
        names=names,
        intl_designator=intl,
        source_file=source,
        name_prefix="NORAD",
    )
    return _finish(elements, problems, on_error)


def _clean_name(name: str | None) -> str:
    if name is None:
        return ""
    name = name.strip()
    if name.startswith("0 "):
        name = name[2:].strip()
    return name


def _rec_label(rec) -> str:
    """``"STARLINK-1007: "`` or, without a name line, ``"catalog number 25544: "``."""
    if rec[0] is not None and _clean_name(rec[0]):
        return f"{_clean_name(rec[0])}: "
    return f"catalog number {rec[3][2:7].strip()}: "


def _checksum_problem(rec, which: int, arr: np.ndarray, source: str) -> Problem:
    computed = int(_checksum(arr[None, :])[0])
    stated = chr(arr[68])
    return Problem(
        f"{_rec_label(rec)}checksum of TLE line {which} is {stated} but the line's digits add "
        f"up to {computed} (mod 10)",
        file=source,
        line=rec[2] if which == 1 else rec[4],
        field=_field_label(which, 68, 69, "checksum"),
        expected=f"{computed} (sum of the digits in columns 1-68, '-' counting 1, mod 10)",
    )


# ----------------------------------------------------------------------------------------------
# OMM (CelesTrak JSON / CSV)
# ----------------------------------------------------------------------------------------------
_OMM_FLOAT_KEYS = (
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
)
_OMM_UNITS = {
    "MEAN_MOTION": "revolutions per day",
    "ECCENTRICITY": "a number in [0, 1)",
    "INCLINATION": "degrees",
    "RA_OF_ASC_NODE": "degrees",
    "ARG_OF_PERICENTER": "degrees",
    "MEAN_ANOMALY": "degrees",
    "BSTAR": "1/earth radii",
    "MEAN_MOTION_DOT": "rev/day^2",
    "MEAN_MOTION_DDOT": "rev/day^3",
}
_EPOCH_RE = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9})\d*)?\s*(?:Z|\+00:?00)?\s*",
    re.ASCII,
)
_MAX_CATNUM = 999_999_999  # 9-digit catalog numbers (OMM); TLEs hold up to 339999 (Alpha-5)
_ALPHA5_RE = re.compile(r"\s*(\d{1,9}|[A-HJ-NP-Z]\d{4})\s*", re.ASCII)


def _parse_omm_epoch(value: object) -> tuple[float, float] | None:
    """``2024-05-20T13:33:20.193984`` -> (JD of midnight, fraction of day); None if invalid."""
    if not isinstance(value, str):
        return None
    m = _EPOCH_RE.fullmatch(value)
    if m is None:
        return None
    y, mo, d, hh, mi, ss = (int(g) for g in m.groups()[:6])
    try:
        days = (_dt.date(y, mo, d) - _dt.date(1970, 1, 1)).days
    except ValueError:
        return None
    if hh > 23 or mi > 59 or ss > 59:
        return None
    ns = int(((m.group(7) or "") + "000000000")[:9])
    ns_of_day = ((hh * 60 + mi) * 60 + ss) * 1_000_000_000 + ns
    return 2440587.5 + days, ns_of_day / 86_400_000_000_000


def _omm_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        v = float(value)
    elif isinstance(value, str):
        try:
            v = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return v if math.isfinite(v) else None


def _omm_catnum(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_CATNUM else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and 0 <= value <= _MAX_CATNUM else None
    if isinstance(value, str):
        m = _ALPHA5_RE.fullmatch(value)
        if m is None:
            return None
        s = m.group(1)
        if s[0].isdigit():
            return int(s)
        c = s[0]
        return (ord(c) - ord("A") + 10 - (c > "I") - (c > "O")) * 10000 + int(s[1:])
    return None


def _omm_bad(
    rec: dict, key: str, expected: str, label: str, where: str, line: int | None, source: str
) -> Problem:
    value = rec.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        msg = f"{label}{key} is missing"
    else:
        msg = f"{label}{key} = {value!r} is not valid"
    return Problem(msg, file=source, line=line, field=f"{where}.{key}", expected=expected)


def _omm_records(
    records: list[tuple[int | None, str, object]], source: str, on_error: str
) -> tuple[ElementSet, list[Problem]]:
    """records: (line or None, where-label such as 'record [3]' or 'line 5', dict)."""
    problems: list[Problem] = []
    rows: list[tuple] = []
    for line, where, rec in records:
        if not isinstance(rec, dict):
            problems.append(
                Problem(
                    f"{where} is a {type(rec).__name__}, not an OMM record",
                    file=source,
                    line=line,
                    field=where,
                    expected="an object with OMM keys such as MEAN_MOTION, EPOCH, NORAD_CAT_ID",
                )
            )
            continue
        name = rec.get("OBJECT_NAME")
        label = f"{name}: " if isinstance(name, str) and name.strip() else ""
        bad: list[Problem] = []

        values = {}
        for key in _OMM_FLOAT_KEYS:
            v = _omm_number(rec.get(key))
            if v is None:
                bad.append(
                    _omm_bad(
                        rec, key, f"a finite number ({_OMM_UNITS[key]})", label, where, line, source
                    )
                )
            values[key] = v
        epoch = _parse_omm_epoch(rec.get("EPOCH"))
        if epoch is None:
            bad.append(
                _omm_bad(
                    rec,
                    "EPOCH",
                    "a UTC time such as 2024-05-20T13:33:20.193984",
                    label,
                    where,
                    line,
                    source,
                )
            )
        catnum = _omm_catnum(rec.get("NORAD_CAT_ID"))
        if catnum is None:
            bad.append(
                _omm_bad(
                    rec,
                    "NORAD_CAT_ID",
                    "a catalog number (integer 0 to 999999999)",
                    label,
                    where,
                    line,
                    source,
                )
            )
        if not bad:
            for key, lo, hi in (
                ("ECCENTRICITY", 0.0, 1.0),
                ("INCLINATION", 0.0, 180.0),
                ("RA_OF_ASC_NODE", -360.0, 360.0),
                ("ARG_OF_PERICENTER", -360.0, 360.0),
                ("MEAN_ANOMALY", -360.0, 360.0),
            ):
                v = values[key]
                if not (lo <= v <= hi) or (key == "ECCENTRICITY" and v >= 1.0):
                    rng = "0 <= e < 1" if key == "ECCENTRICITY" else f"{lo:g} to {hi:g} degrees"
                    bad.append(
                        Problem(
                            f"{label}{key} = {v!r} is out of range",
                            file=source,
                            line=line,
                            field=f"{where}.{key}",
                            expected=rng,
                        )
                    )
        if bad:
            problems += bad
            continue
        obj_id = rec.get("OBJECT_ID")
        rows.append(
            (
                catnum,
                epoch[0],
                epoch[1],
                *(values[k] for k in _OMM_FLOAT_KEYS),
                line if line is not None else 0,
                name.strip() if isinstance(name, str) else f"NORAD-{catnum}",
                obj_id.strip() if isinstance(obj_id, str) else "",
            )
        )
    if not rows and not records and not problems:
        problems.append(
            Problem(
                "no OMM records found",
                file=source,
                field="content",
                expected="one or more OMM records",
            )
        )
    if not rows:
        return _finish(_empty_set(source), problems, on_error)
    cols = list(zip(*rows, strict=True))
    f = {k: np.array(cols[3 + i], dtype=np.float64) for i, k in enumerate(_OMM_FLOAT_KEYS)}
    no_rad_min = f["MEAN_MOTION"] / 720.0 * math.pi  # as sgp4.omm.initialize
    elements = element_set(
        catalog_number=np.array(cols[0], dtype=np.int64),
        epoch_jd=np.array(cols[1]),
        epoch_fr=np.array(cols[2]),
        mean_motion_rad_s=_rad_s_from_rad_min(no_rad_min),
        eccentricity=f["ECCENTRICITY"],
        inclination_rad=f["INCLINATION"] * _DEG2RAD,
        raan_rad=f["RA_OF_ASC_NODE"] * _DEG2RAD,
        arg_perigee_rad=f["ARG_OF_PERICENTER"] * _DEG2RAD,
        mean_anomaly_rad=f["MEAN_ANOMALY"] * _DEG2RAD,
        bstar=f["BSTAR"],
        mean_motion_dot=f["MEAN_MOTION_DOT"],
        mean_motion_ddot=f["MEAN_MOTION_DDOT"],
        source_line=np.array(cols[3 + len(_OMM_FLOAT_KEYS)], dtype=np.int64),
        names=np.array(cols[4 + len(_OMM_FLOAT_KEYS)], dtype=object),
        intl_designator=np.array(cols[5 + len(_OMM_FLOAT_KEYS)], dtype=object),
        source_file=source,
        name_prefix="NORAD",
    )
    return _finish(elements, problems, on_error)


def parse_omm_json(
    text: str, *, source: str = "<text>", on_error: str = "raise"
) -> tuple[ElementSet, list[Problem]]:
    """Parse CelesTrak OMM JSON (``FORMAT=json``): an array of records (or one record).

    Values may be JSON numbers or strings. Required keys: EPOCH, MEAN_MOTION, ECCENTRICITY,
    INCLINATION, RA_OF_ASC_NODE, ARG_OF_PERICENTER, MEAN_ANOMALY, NORAD_CAT_ID, BSTAR,
    MEAN_MOTION_DOT, MEAN_MOTION_DDOT; OBJECT_NAME and OBJECT_ID are optional. Problems name the
    record index (``record [12].MEAN_MOTION``) and the line where the record starts.
    Numbers are converted as ``sgp4.omm.initialize`` converts them.
    """
    _check_on_error(on_error)
    text = text.lstrip("\ufeff")
    decoder = json.JSONDecoder()
    records: list[tuple[int | None, str, object]] = []
    try:
        pos = _skip_ws(text, 0)
        if pos < len(text) and text[pos] == "[":
            # decode element by element to know the line where each record starts
            pos = _skip_ws(text, pos + 1)
            line = 1 + text.count("\n", 0, pos)
            last = pos
            if pos < len(text) and text[pos] == "]":
                pos += 1
            else:
                while True:
                    line += text.count("\n", last, pos)
                    last = pos
                    obj, pos = decoder.raw_decode(text, pos)
                    records.append((line, f"record [{len(records)}]", obj))
                    pos = _skip_ws(text, pos)
                    if pos < len(text) and text[pos] == ",":
                        pos = _skip_ws(text, pos + 1)
                        continue
                    if pos < len(text) and text[pos] == "]":
                        pos += 1
                        break
                    raise json.JSONDecodeError("expected ',' or ']'", text, pos)
            if _skip_ws(text, pos) != len(text):
                raise json.JSONDecodeError("extra data after the array", text, _skip_ws(text, pos))
        else:
            obj = json.loads(text)
            if isinstance(obj, dict):
                records.append((1 + text.count("\n", 0, pos), "record [0]", obj))
            else:
                return _finish(
                    _empty_set(source),
                    [
                        Problem(
                            f"top-level JSON value is a {type(obj).__name__}",
                            file=source,
                            line=1,
                            field="content",
                            expected="a JSON array of OMM records",
                        )
                    ],
                    on_error,
                )
    except (json.JSONDecodeError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            prob = Problem(
                f"invalid JSON: {exc.msg}",
                file=source,
                line=exc.lineno,
                field=f"column {exc.colno}",
                expected="a JSON array of OMM records",
            )
        else:
            prob = Problem(
                "JSON nested too deeply", file=source, field="content", expected="OMM JSON"
            )
        return _finish(_empty_set(source), [prob], on_error)
    return _omm_records(records, source, on_error)


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def parse_omm_csv(
    text: str, *, source: str = "<text>", on_error: str = "raise"
) -> tuple[ElementSet, list[Problem]]:
    """Parse CelesTrak OMM CSV (``FORMAT=csv``): a header line of OMM keys, one record a line.

    Same keys and conversions as :func:`parse_omm_json`; problems name the line and the key.
    """
    _check_on_error(on_error)
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int | None, str, object]] = []
    try:
        header = None
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue
            if header is None:
                header = [c.strip().upper() for c in row]
                header_line = reader.line_num
                continue
            line = reader.line_num
            if len(row) != len(header):
                records.append(
                    (line, f"line {line}", f"row with {len(row)} fields (header has {len(header)})")
                )
                continue
            records.append((line, f"line {line}", dict(zip(header, row, strict=True))))
    except csv.Error as exc:
        return _finish(
            _empty_set(source),
            [
                Problem(
                    f"invalid CSV: {exc}",
                    file=source,
                    line=reader.line_num,
                    field="content",
                    expected="CelesTrak OMM CSV",
                )
            ],
            on_error,
        )
    if header is None or "MEAN_MOTION" not in header:
        return _finish(
            _empty_set(source),
            [
                Problem(
                    "no OMM CSV header found"
                    if header is None
                    else "CSV header has no MEAN_MOTION",
                    file=source,
                    line=header_line if header is not None else None,
                    field="header",
                    expected="a header line with OMM keys (OBJECT_NAME, EPOCH, MEAN_MOTION, ...)",
                )
            ],
            on_error,
        )
    # rows that were not dicts are reported by _omm_records with a clear message
    fixed = []
    problems: list[Problem] = []
    for line, where, rec in records:
        if isinstance(rec, str):
            problems.append(
                Problem(
                    f"{rec}",
                    file=source,
                    line=line,
                    field=where,
                    expected=f"{len(header)} comma-separated fields as in the header",
                )
            )
        else:
            fixed.append((line, where, rec))
    if problems:
        elements, more = _omm_records(fixed, source, "skip")
        return _finish(elements, problems + more, on_error)
    return _omm_records(fixed, source, on_error)


# ----------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------
def detect_format(text: str) -> str:
    """``"omm-json"`` if the text starts with ``[`` or ``{``, ``"omm-csv"`` if its first line
    names OMM keys (OBJECT_NAME / NORAD_CAT_ID), else ``"tle"``."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("[", "{"):
        return "omm-json"
    first = stripped.split("\n", 1)[0].upper()
    if "," in first and ("OBJECT_NAME" in first or "NORAD_CAT_ID" in first):
        return "omm-csv"
    return "tle"


def read_elements(
    path: str | Path,
    *,
    format: str | None = None,
    on_error: str = "raise",
    name_pattern: str | None = None,
    catalog_numbers: list[int] | None = None,
) -> tuple[ElementSet, list[Problem]]:
    """Read a TLE/3LE, OMM JSON or OMM CSV file into an :class:`ElementSet`.

    ``format`` is ``"tle"``, ``"omm-json"``, ``"omm-csv"`` or None to detect it from the content.
    ``name_pattern`` is a case-insensitive glob on names (``"starlink-1*"``) and
    ``catalog_numbers`` a list of NORAD numbers; given both, a satellite must match both.
    Raises :class:`InputError` for a missing or unreadable file, for any bad record when
    ``on_error="raise"``, and when the selection matches nothing.
    """
    _check_on_error(on_error)
    source = str(path)
    p = Path(path)
    if format is not None and format.lower() not in _FORMATS:
        raise InputError(
            f"unknown element file format {format!r}",
            file=source,
            field="format",
            expected="one of 'tle', 'omm-json', 'omm-csv' (or None to detect it)",
        )
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(
            "file not found", file=source, expected="an existing TLE, 3LE or OMM file"
        ) from None
    except IsADirectoryError:
        raise InputError(
            "is a directory, not a file", file=source, expected="a TLE, 3LE or OMM file"
        ) from None
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc}", file=source, expected="a readable file"
        ) from None
    if b"\x00" in data[:65536]:
        raise InputError(
            "file contains NUL bytes: not a text file (compressed?)",
            file=source,
            expected="TLE, 3LE or OMM text (uncompressed)",
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # element lines are ASCII; names in a legacy 8-bit code page stay readable this way
        text = data.decode("latin-1")
    fmt = _FORMATS[format.lower()] if format is not None else detect_format(text)
    parser = {"tle": parse_tle_text, "omm-json": parse_omm_json, "omm-csv": parse_omm_csv}[fmt]
    elements, problems = parser(text, source=source, on_error=on_error)
    if name_pattern is None and catalog_numbers is None:
        return elements, problems

    keep = np.ones(len(elements), dtype=bool)
    wanted: list[str] = []
    if name_pattern is not None:
        rx = re.compile(fnmatch.translate(name_pattern.upper()), re.DOTALL)
        names = elements.name_list()
        keep &= np.fromiter(
            (rx.match(str(nm).upper()) is not None for nm in names), dtype=bool, count=len(names)
        )
        wanted.append(f"name pattern {name_pattern!r}")
    if catalog_numbers is not None:
        try:
            nums = np.asarray([int(c) for c in catalog_numbers], dtype=np.int64)
        except (TypeError, ValueError):
            raise InputError(
                f"catalog_numbers = {catalog_numbers!r}",
                file=source,
                field="catalog_numbers",
                expected="a list of integer NORAD catalog numbers",
            ) from None
        keep &= np.isin(elements.catalog_number, nums)
        shown = ", ".join(str(c) for c in nums[:10].tolist()) + (", ..." if len(nums) > 10 else "")
        wanted.append(f"catalog numbers [{shown}]")
    if not keep.any():
        raise InputError(
            f"no satellite matches {' and '.join(wanted)} ({len(elements)} satellites read)",
            file=source,
            field="selection",
            expected="a name pattern / catalog numbers that match satellites in the file",
            problems=problems,
        )
    return elements.take(np.flatnonzero(keep)), problems


__all__ = [
    "detect_format",
    "parse_omm_csv",
    "parse_omm_json",
    "parse_tle_text",
    "read_elements",
    "tle_epoch_to_jd",
]
