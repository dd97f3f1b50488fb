"""Inference service (orbital cloud) workload, and the model catalog shared with EO.

Requests come from ground users in cities (GeoNames, via :func:`spacecompute.astro.ground.cities`)
weighted by population and by a diurnal traffic profile in local solar time. Arrivals form a
non-homogeneous, marked Poisson process sampled by thinning (Lewis & Shedler 1979), vectorized.

Model catalog: ``data/models.yaml`` (ops per unit, input/output bytes per unit, source, date);
operations are FLOP with one multiply-accumulate counted as 2 FLOP.

Reproducibility: every random draw comes from ``numpy.random.default_rng(seed)`` in a fixed
order, so the same arguments and seed give identical tables. A time loop that asks for
successive chunks should pass a different seed per chunk (e.g. from
``numpy.random.SeedSequence(seed).spawn(n)``); chunks are then independent Poisson processes,
which is exactly what a Poisson process over disjoint intervals is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from ..astro.ground import cities
from ..astro.timeutil import parse_time, utc_seconds_of_day
from ..errors import InputError
from ..table import Table
from ..yamlio import load_yaml_text

_CATALOG_FILE = "models.yaml"

#: Hour (local solar time) of the diurnal traffic peak and trough.
PEAK_HOUR = 21.0
TROUGH_HOUR = 5.0

#: Most candidate arrivals one call may draw (memory guard; ask for shorter chunks instead).
MAX_CANDIDATES = 50_000_000


@dataclass(frozen=True)
class ModelSpec:
    """One catalog model. ``unit`` is ``"tile"`` or ``"token"``; ops are FLOP per unit."""

    name: str
    task: str
    unit: str
    ops_per_unit: float
    tile_px: int | None
    input_bytes_per_unit: float
    output_bytes_per_unit: float
    source: str
    date: str


def _num(value: object, field: str) -> float:
    try:
        out = float(value)  # YAML 1.1 reads "8.2e9" as text; float() accepts it
    except (TypeError, ValueError):
        raise InputError(f"{value!r} is not a number", field=field, file=_CATALOG_FILE) from None
    if not np.isfinite(out) or out < 0:
        raise InputError(f"{value!r}", field=field, file=_CATALOG_FILE, expected="a number >= 0")
    return out


@lru_cache(maxsize=1)
def model_catalog() -> dict[str, ModelSpec]:
    """All models of ``data/models.yaml`` by name."""
    path = resources.files("spacecompute") / "data" / _CATALOG_FILE
    raw = load_yaml_text(path.read_text(encoding="utf-8"), file=_CATALOG_FILE, packaged=True).data
    out: dict[str, ModelSpec] = {}
    for i, entry in enumerate(raw["models"]):
        where = f"models[{i}]"
        unit = entry["unit"]
        if unit not in ("tile", "token"):
            raise InputError(f"unit = {unit!r}", field=f"{where}.unit", expected="tile or token")
        tile = entry.get("tile_px")
        out[entry["name"]] = ModelSpec(
            name=str(entry["name"]),
            task=str(entry["task"]),
            unit=unit,
            ops_per_unit=_num(entry["ops_per_unit"], f"{where}.ops_per_unit"),
            tile_px=None if tile is None else int(tile),
            input_bytes_per_unit=_num(entry["input_bytes_per_unit"], f"{where}.input_bytes"),
            output_bytes_per_unit=_num(entry["output_bytes_per_unit"], f"{where}.output_bytes"),
            source=str(entry["source"]),
            date=str(entry["date"]),
        )
    return out


def model_spec(name: str | ModelSpec) -> ModelSpec:
    """The catalog entry ``name`` (a :class:`ModelSpec` is returned unchanged)."""
    if isinstance(name, ModelSpec):
        return name
    catalog = model_catalog()
    if name not in catalog:
        raise InputError(
            f"unknown model {name!r}", field="model", expected=f"one of {sorted(catalog)}"
        )
    return catalog[name]


def diurnal_profile(local_hour: np.ndarray, amplitude: float = 0.5) -> np.ndarray:
    """Relative request intensity at local solar hour ``local_hour`` (any shape), mean 1 over a day.

    Piecewise cosine: rises from ``1 - amplitude`` at 05:00 to ``1 + amplitude`` at 21:00 (16 h
    half-period), falls back to 05:00 (8 h half-period). Each half-cosine averages to zero over
    its segment, so the daily mean is exactly 1. Shape: residential Internet traffic peaks in the
    evening (20:00-22:00) and is lowest in the early morning (04:00-06:00) (Sandvine, Global
    Internet Phenomena reports; Feldmann et al., "The Lockdown Effect", IMC 2020, Fig. 2); the
    default amplitude 0.5 (trough/peak = 1/3) is an assumption of that order.
    """
    if not 0.0 <= amplitude <= 1.0:
        raise InputError(f"amplitude = {amplitude}", field="amplitude", expected="0 <= a <= 1")
    h = np.remainder(np.asarray(local_hour, dtype=float) - TROUGH_HOUR, 24.0)  # hours since 05
    rise = PEAK_HOUR - TROUGH_HOUR  # 16 h
    up = h <= rise
    if h.ndim == 0:
        h = h.reshape(1)
        up = up.reshape(1)
    out = np.empty(h.shape)
    # each half evaluated on its own entries only (elementwise: the same values as both
    # halves everywhere and a choice between them)
    out[up] = 1.0 - amplitude * np.cos(np.pi * h[up] / rise)
    down = ~up
    out[down] = 1.0 + amplitude * np.cos(np.pi * (h[down] - rise) / (24.0 - rise))
    return out if np.ndim(local_hour) else out.reshape(())


def local_solar_hour(times: np.ndarray, lon_deg: np.ndarray) -> np.ndarray:
    """Mean local solar time in hours, ``UTC hour + lon / 15`` modulo 24 (broadcasts)."""
    return np.remainder(utc_seconds_of_day(times) / 3600.0 + np.asarray(lon_deg) / 15.0, 24.0)


def _choice(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """``rng.choice(len(p), size=size, p=p)`` for valid probabilities ``p``: numpy's own
    algorithm (the normalised cumulative sum searched with ``size`` uniforms, so the same
    draws and the same generator state after; tested against ``rng.choice``), without its
    checks of ``p`` (a third of its time on 300 cities)."""
    cdf = p.cumsum()
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right").astype(np.int64, copy=False)


def _positive(value: float, field: str, *, allow_zero: bool = False) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{field} = {value!r}", field=field, expected="a number") from None
    if not np.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise InputError(
            f"{field} = {value!r}",
            field=field,
            expected="a finite number >= 0" if allow_zero else "a finite number > 0",
        )
    return v


def inference_requests(
    start: object,
    duration_s: float,
    *,
    rate_per_s_global: float,
    seed: int | None,
    model: str | ModelSpec = "llm-8b",
    tokens_in_median: float = 1020.0,
    tokens_out_median: float = 129.0,
    tokens_sigma: float = 1.0,
    latency_objective_s: float = 5.0,
    top_cities: int | None = 1000,
    amplitude: float = 0.5,
    city_table: Table | None = None,
) -> Table:
    """Inference requests from ground users over ``[start, start + duration_s)``.

    Intensity of city ``c`` at time ``t``: ``rate_per_s_global x w_c x f(h_c(t))`` with
    ``w_c = population_c / sum(population)`` and ``f`` the :func:`diurnal_profile` at the city's
    local solar hour ``h_c = UTC hour + lon_c / 15``. Since ``f`` has daily mean 1, a whole day
    holds ``rate_per_s_global x 86400`` requests on average. Sampling (Lewis & Shedler 1979,
    thinning): candidates from a homogeneous process of rate ``rate x (1 + amplitude)``, each
    given a city drawn by population, kept with probability ``f / (1 + amplitude)``.

    Sizes: for a token model, ``tokens_in`` and ``tokens_out`` are log-normal,
    ``round(median x exp(sigma Z))`` (at least 1); the medians default to the conversation trace
    of Patel et al., "Splitwise", ISCA 2024 (Azure LLM inference: prompt ~1020, output ~129
    tokens). ``ops = (tokens_in + tokens_out) x ops_per_unit`` (2N per token, Kaplan et al.
    2020), ``input_bytes = tokens_in x input_bytes_per_unit``, ``output_bytes = tokens_out x
    output_bytes_per_unit``. For a tile model each request is one tile (``tokens_in =
    tokens_out = 1``). ``deadline = time + latency_objective_s``.

    ``city_table``: cities to use instead of :func:`~spacecompute.astro.ground.cities`
    (columns name, lat_deg, lon_deg, population). Same seed and arguments -> identical table.

    Columns: id (int64), time (datetime64[ns], sorted), city (str), lat_deg, lon_deg,
    tokens_in, tokens_out (int64), ops (FLOP), input_bytes, output_bytes (float64), deadline
    (datetime64[ns]).
    """
    t0 = parse_time(start, field="start")
    duration = _positive(duration_s, "duration_s", allow_zero=True)
    rate = _positive(rate_per_s_global, "rate_per_s_global", allow_zero=True)
    latency = _positive(latency_objective_s, "latency_objective_s")
    sigma = _positive(tokens_sigma, "tokens_sigma", allow_zero=True)
    med_in = _positive(tokens_in_median, "tokens_in_median")
    med_out = _positive(tokens_out_median, "tokens_out_median")
    if not 0.0 <= float(amplitude) <= 1.0:
        raise InputError(f"amplitude = {amplitude}", field="amplitude", expected="0 <= a <= 1")
    spec = model_spec(model)
    table = cities(top=top_cities) if city_table is None else city_table
    for col in ("name", "lat_deg", "lon_deg", "population"):
        if col not in table:
            raise InputError(f"city table has no column {col!r}", field="city_table")
    pop = np.asarray(table["population"], dtype=float)
    if len(pop) == 0 or np.any(pop < 0) or pop.sum() <= 0:
        raise InputError("no population to draw requests from", field="city_table")
    weights = pop / pop.sum()

    lam_max = rate * (1.0 + amplitude)
    expected = lam_max * duration
    if expected > MAX_CANDIDATES:
        raise InputError(
            f"{expected:.3g} candidate arrivals in one call",
            field="duration_s",
            expected=f"rate x duration x (1 + amplitude) <= {MAX_CANDIDATES} (use shorter chunks)",
        )
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(expected))
    offsets_s = np.sort(rng.uniform(0.0, duration, n))
    city_idx = _choice(rng, weights, n)
    offsets_ns = np.floor(offsets_s * 1e9).astype(np.int64).astype("timedelta64[ns]")
    times = t0 + offsets_ns
    lat = np.asarray(table["lat_deg"], dtype=float)[city_idx]
    lon = np.asarray(table["lon_deg"], dtype=float)[city_idx]
    accept_p = diurnal_profile(local_solar_hour(times, lon), amplitude) / (1.0 + amplitude)
    keep = rng.random(n) < accept_p
    times, city_idx, lat, lon = times[keep], city_idx[keep], lat[keep], lon[keep]
    m = len(times)

    if spec.unit == "token":
        z = rng.standard_normal((2, m))
        tok_in = np.maximum(1, np.rint(med_in * np.exp(sigma * z[0]))).astype(np.int64)
        tok_out = np.maximum(1, np.rint(med_out * np.exp(sigma * z[1]))).astype(np.int64)
        ops = (tok_in + tok_out) * spec.ops_per_unit
    else:
        tok_in = np.ones(m, dtype=np.int64)
        tok_out = np.ones(m, dtype=np.int64)
        ops = np.full(m, spec.ops_per_unit)
    latency_ns = np.timedelta64(round(latency * 1e9), "ns")
    return Table(
        {
            "id": np.arange(m, dtype=np.int64),
            "time": times,
            "city": np.asarray(table["name"])[city_idx],
            "lat_deg": lat,
            "lon_deg": lon,
            "tokens_in": tok_in,
            "tokens_out": tok_out,
            "ops": ops.astype(float),
            "input_bytes": tok_in * spec.input_bytes_per_unit,
            "output_bytes": tok_out * spec.output_bytes_per_unit,
            "deadline": times + latency_ns,
        }
    )


__all__ = [
    "ModelSpec",
    "diurnal_profile",
    "inference_requests",
    "local_solar_hour",
    "model_catalog",
    "model_spec",
]
