"""Uncertain inputs, Monte Carlo, tornado chart, and :func:`plan` (the whole planner run).

A planner value is a number, a range ``{low, high}`` (sampled uniformly; its nominal is the
midpoint), a range with a nominal ``{low, high, nominal}`` (sampled from the triangular
distribution whose mode is the nominal) or a distribution ``{dist: triangular|uniform|normal|lognormal, ...}``
(:class:`Dist`). The deterministic answer uses every nominal value; the Monte Carlo draws
``samples`` joint samples of all uncertain inputs, independently, from
``numpy.random.default_rng(seed)`` (same seed, same results) and evaluates the model once,
vectorized; P10/P50/P90 are the 10th, 50th and 90th percentiles (linear interpolation). The
tornado chart moves one input at a time to the ends of its range (P10 and P90 for the unbounded
normal and lognormal) with every other input nominal, and sorts inputs by the swing of the
space cost per kW-year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: z-score of the 90th percentile of a normal distribution.
Z90 = 1.2815515655446004
#: Outputs summarized by the Monte Carlo (P10/P50/P90).
MC_OUTPUTS = (
    "space_usd_per_kw_year",
    "terrestrial_usd_per_kw_year",
    "space_to_terrestrial_ratio",
    "launched_power_price_usd_per_kw_year",
    "launched_power_price_rated_usd_per_kw_year",
    "space_usd_per_gpu_hour",
    "space_usd_per_pflop_day",
    "space_usd_per_mtoken",
    "mass_total_kg",
    "space_total_usd",
    "break_even_launch_price_usd_per_kg",
)
#: Output the tornado chart ranks inputs by.
TORNADO_OUTPUT = "space_usd_per_kw_year"
DISTRIBUTIONS = ("triangular", "uniform", "normal", "lognormal")


@dataclass(frozen=True)
class Dist:
    """A planner value: ``kind`` is ``fixed``, ``range``, ``uniform``, ``triangular``, ``normal`` or
    ``lognormal``; ``params`` its parameters (uniform and a range without nominal: low, high; a
    range with a nominal: low, nominal, high, sampled as triangular; triangular: low, mode,
    high; normal: mean, sd; lognormal: median, sigma of the logarithm); ``nominal`` the value of
    the deterministic answer; ``low`` and ``high`` the tornado's ends."""

    kind: str
    params: tuple[float, ...]
    nominal: float
    low: float
    high: float

    @property
    def is_fixed(self) -> bool:
        return self.kind == "fixed" or self.low == self.high

    @classmethod
    def fixed(cls, value: float) -> Dist:
        v = float(value)
        return cls("fixed", (v,), v, v, v)

    @classmethod
    def parse(cls, raw: Any) -> Dist:
        """A :class:`Dist` from YAML data (number, range mapping or distribution mapping);
        ``ValueError`` with a readable message otherwise."""
        if isinstance(raw, Dist):
            return raw
        if isinstance(raw, bool):
            raise ValueError("a number, a range {low, high} or a distribution {dist: ...}")
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise ValueError(f"{raw!r} is not a finite number")
            return cls.fixed(raw)
        if not isinstance(raw, Mapping):
            raise ValueError(
                f"{raw!r} is not a number, a range {{low, high}} or a distribution {{dist: ...}}"
            )
        data = dict(raw)
        kind = data.pop("dist", None)

        def number(key: str) -> float:
            if key not in data:
                raise ValueError(f"missing {key!r}")
            v = data.pop(key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{key} = {v!r} is not a finite number")
            return float(v)

        def done() -> None:
            if data:
                raise ValueError(f"unknown key(s) {sorted(data)}")

        if kind is None or kind == "uniform":
            lo, hi = number("low"), number("high")
            has_nominal = "nominal" in data
            nom = number("nominal") if has_nominal else 0.5 * (lo + hi)
            done()
            if not lo <= nom <= hi:
                raise ValueError(f"need low <= nominal <= high, got {lo:g}, {nom:g}, {hi:g}")
            if kind is None and has_nominal and lo < hi:
                return cls("range", (lo, nom, hi), nom, lo, hi)
            return cls("range" if kind is None else "uniform", (lo, hi), nom, lo, hi)
        if kind == "triangular":
            lo, mode, hi = number("low"), number("mode"), number("high")
            done()
            if not lo <= mode <= hi or lo == hi:
                raise ValueError(
                    f"need low <= mode <= high, low < high; got {lo:g}, {mode:g}, {hi:g}"
                )
            return cls("triangular", (lo, mode, hi), mode, lo, hi)
        if kind == "normal":
            mean, sd = number("mean"), number("sd")
            done()
            if sd < 0:
                raise ValueError(f"sd = {sd:g} is negative")
            return cls("normal", (mean, sd), mean, mean - Z90 * sd, mean + Z90 * sd)
        if kind == "lognormal":
            median, sigma = number("median"), number("sigma")
            done()
            if median <= 0 or sigma < 0:
                raise ValueError("need median > 0 and sigma >= 0")
            return cls(
                "lognormal",
                (median, sigma),
                median,
                median * math.exp(-Z90 * sigma),
                median * math.exp(Z90 * sigma),
            )
        raise ValueError(f"unknown dist {kind!r}; expected one of {', '.join(DISTRIBUTIONS)}")

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws (a fixed value gives ``n`` copies without using the generator)."""
        if self.kind == "fixed":
            return np.full(n, self.nominal)
        if self.kind in ("range", "uniform") and len(self.params) == 2:
            return rng.uniform(self.params[0], self.params[1], n)
        if self.kind in ("range", "triangular"):
            return rng.triangular(*self.params, n)
        if self.kind == "normal":
            return rng.normal(self.params[0], self.params[1], n)
        return self.params[0] * np.exp(rng.normal(0.0, self.params[1], n))

    def describe(self) -> str:
        """Short text: ``3,600``, ``0.06..0.25 (0.08)``, ``triangular 1,520/3,986/6,000``."""

        def g(x: float) -> str:
            if x == round(x) and abs(x) < 1e15:
                return f"{x:,.0f}"
            return f"{x:,.4g}"

        if self.kind == "fixed":
            return g(self.nominal)
        if self.kind in ("range", "uniform"):
            return f"{g(self.low)}..{g(self.high)} ({g(self.nominal)})"
        if self.kind == "triangular":
            return "triangular " + "/".join(g(x) for x in self.params)
        if self.kind == "normal":
            return f"normal {g(self.params[0])} +/- {g(self.params[1])}"
        return f"lognormal median {g(self.params[0])}, sigma {g(self.params[1])}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "params": list(self.params),
            "nominal": self.nominal,
            "low": self.low,
            "high": self.high,
        }


def sample_values(design, samples: int, seed: int) -> dict[str, np.ndarray]:
    """``samples`` joint draws of every parameter of ``design`` (fixed ones as (1,) arrays),
    clipped to each parameter's bounds. Parameters are drawn in name order from one generator,
    so the same seed gives the same draws."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name in sorted(design.params):
        prm = design.params[name]
        if prm.dist.is_fixed:
            out[name] = np.array([prm.nominal])
        else:
            lo, hi = prm.bounds
            out[name] = np.clip(prm.dist.sample(rng, samples), lo, hi)
    return out


@dataclass(frozen=True)
class MonteCarlo:
    """Monte Carlo results: the draws, every output per sample, and P10/P50/P90 of the key ones."""

    samples: int
    seed: int
    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, np.ndarray]
    percentiles: Mapping[str, tuple[float, float, float]]

    def to_json(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "seed": self.seed,
            "percentiles": {
                k: {"p10": v[0], "p50": v[1], "p90": v[2]} for k, v in self.percentiles.items()
            },
        }


def _percentiles(a: np.ndarray) -> tuple[float, float, float]:
    a = np.asarray(a, dtype=np.float64)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return (math.nan, math.nan, math.nan)
    p = np.percentile(a, [10.0, 50.0, 90.0])
    return (float(p[0]), float(p[1]), float(p[2]))


def monte_carlo(design, physics, samples: int = 2000, seed: int = 0) -> MonteCarlo:
    """Evaluate ``design`` on ``samples`` joint draws of its uncertain inputs (vectorized)."""
    from .cost import evaluate

    if samples < 1:
        from ..errors import InputError

        raise InputError(f"samples = {samples}", field="--samples", expected="an integer >= 1")
    inputs = sample_values(design, samples, seed)
    outputs = evaluate(design, inputs, physics)
    n = max(v.shape[0] for v in outputs.values())
    outputs = {k: np.broadcast_to(v, (n,)) for k, v in outputs.items()}
    pct = {k: _percentiles(outputs[k]) for k in MC_OUTPUTS if k in outputs}
    return MonteCarlo(samples, seed, inputs, outputs, pct)


@dataclass(frozen=True)
class TornadoBar:
    """One input of the tornado chart: its low and high values and the output at each."""

    name: str
    low: float
    high: float
    output_low: float
    output_high: float

    @property
    def swing(self) -> float:
        return abs(self.output_high - self.output_low)

    def to_json(self) -> dict[str, float | str]:
        return {
            "name": self.name,
            "low": self.low,
            "high": self.high,
            "output_low": self.output_low,
            "output_high": self.output_high,
            "swing": self.swing,
        }


def tornado(design, physics, output: str = TORNADO_OUTPUT) -> tuple[float, list[TornadoBar]]:
    """Swing of ``output`` as each uncertain input goes from its low to its high end, every other
    input nominal. Returns the nominal output and the bars sorted by decreasing swing (inputs
    that do not move the output are left out). One vectorized evaluation."""
    from .cost import evaluate

    names = [k for k in sorted(design.params) if not design.params[k].dist.is_fixed]
    base = design.nominal_values()
    m = 1 + 2 * len(names)
    values = {k: np.repeat(v, m) for k, v in base.items()}
    for i, name in enumerate(names):
        prm = design.params[name]
        lo_b, hi_b = prm.bounds
        values[name][1 + 2 * i] = np.clip(prm.dist.low, lo_b, hi_b)
        values[name][2 + 2 * i] = np.clip(prm.dist.high, lo_b, hi_b)
    res = np.broadcast_to(evaluate(design, values, physics)[output], (m,))
    nominal = float(res[0])
    bars = []
    for i, name in enumerate(names):
        bar = TornadoBar(
            name,
            float(values[name][1 + 2 * i]),
            float(values[name][2 + 2 * i]),
            float(res[1 + 2 * i]),
            float(res[2 + 2 * i]),
        )
        if bar.swing > 1e-9 * max(1.0, abs(nominal)):
            bars.append(bar)
    bars.sort(key=lambda b: b.swing, reverse=True)
    return nominal, bars


# ---------------------------------------------------------------------------------------------
# The whole planner run
# ---------------------------------------------------------------------------------------------

#: Launch prices ($/kg) at which the report shows the space cost, besides the design's own.
SWEEP_LAUNCH_PRICES_USD_PER_KG = (3600.0, 1000.0, 500.0, 200.0, 100.0)


@dataclass(frozen=True)
class PlanResult:
    """Everything :func:`plan` computed for one design."""

    design: Any
    physics: Any
    nominal: Mapping[str, float]
    monte_carlo: MonteCarlo | None
    tornado_output: str
    tornado_nominal: float
    tornado: list[TornadoBar]
    claims: list[Any]
    launch_sweep: list[tuple[float, float, float]] = field(default_factory=list)

    @property
    def inconsistencies(self) -> list[Any]:
        """The published claims that the planner found inconsistent."""
        return [c for c in self.claims if not c.consistent]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary (see docs/planner.md for the keys); NaN and inf become None."""
        d = self.design
        return _json_safe(
            {
                "name": d.name,
                "description": d.description,
                "source": d.source,
                "file": d.file,
                "orbit": {
                    "description": d.orbit.describe(),
                    "altitude_km": d.orbit.altitude_m / 1e3,
                    "inclination_deg": math.degrees(d.orbit.inclination_rad),
                    "ltan_h": d.orbit.ltan_h,
                    **self.physics.eclipse.summary(),
                },
                "target": {
                    "kind": d.target.kind,
                    "value": d.target.value,
                    "precision": d.target.precision,
                },
                "accelerator": d.accelerator,
                "eclipse_operation": d.eclipse_operation,
                "array_pointing": d.array_pointing,
                "launch_pricing": d.launch_pricing,
                "results": _clean(dict(self.nominal)),
                "monte_carlo": self.monte_carlo.to_json() if self.monte_carlo is not None else None,
                "tornado": {
                    "output": self.tornado_output,
                    "nominal": self.tornado_nominal,
                    "bars": [b.to_json() for b in self.tornado],
                },
                "break_even_launch_price_usd_per_kg": _finite(
                    self.nominal["break_even_launch_price_usd_per_kg"]
                ),
                "launch_price_sweep": [
                    {"launch_price_usd_per_kg": p, "space_usd_per_kw_year": s, "ratio": r}
                    for p, s, r in self.launch_sweep
                ],
                "claims": [c.to_json() for c in self.claims],
                "inconsistencies": [c.to_json() for c in self.inconsistencies],
                "parameters": {
                    k: {
                        **prm.dist.to_json(),
                        "origin": prm.origin,
                        "source": prm.source,
                        "date": prm.date,
                        "assumed": prm.assumed,
                    }
                    for k, prm in sorted(d.params.items())
                },
                "notes": list(d.notes),
            }
        )


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _clean(d: dict[str, float]) -> dict[str, float | None]:
    return {k: _finite(v) if isinstance(v, float) else v for k, v in d.items()}


def plan(design, *, samples: int = 2000, seed: int = 0, physics=None) -> PlanResult:
    """Size and cost ``design``: nominal answer, Monte Carlo (``samples`` = 0 skips it),
    tornado chart, break-even launch price, launch-price sweep and the published claims."""
    from .cost import check_claims, evaluate, scalars
    from .sizing import prepare

    physics = physics if physics is not None else prepare(design)
    nominal = scalars(evaluate(design, design.nominal_values(), physics))
    mc = monte_carlo(design, physics, samples, seed) if samples > 0 else None
    t_nominal, bars = tornado(design, physics)
    sweep_prices = sorted(
        {design.params["launch_price_usd_per_kg"].nominal, *SWEEP_LAUNCH_PRICES_USD_PER_KG},
        reverse=True,
    )
    values = design.nominal_values()
    values = {k: np.repeat(v, len(sweep_prices)) for k, v in values.items()}
    values["launch_price_usd_per_kg"] = np.array(sweep_prices)
    swept = evaluate(design, values, physics)
    sweep = [
        (
            float(p),
            float(swept["space_usd_per_kw_year"][i]),
            float(swept["space_to_terrestrial_ratio"][i]),
        )
        for i, p in enumerate(sweep_prices)
    ]
    claims = check_claims(design.claims, nominal)
    return PlanResult(design, physics, nominal, mc, TORNADO_OUTPUT, t_nominal, bars, claims, sweep)


__all__ = [
    "DISTRIBUTIONS",
    "MC_OUTPUTS",
    "SWEEP_LAUNCH_PRICES_USD_PER_KG",
    "TORNADO_OUTPUT",
    "Dist",
    "MonteCarlo",
    "PlanResult",
    "TornadoBar",
    "monte_carlo",
    "plan",
    "sample_values",
    "tornado",
]
