"""Batch and training jobs (distributed computing over a cluster of satellites).

Collective communication: ring all-reduce (Patarasuk & Yuan, "Bandwidth optimal all-reduce
algorithms for clusters of workstations", J. Parallel Distrib. Comput. 69(2), 2009): for ``p``
nodes, message ``n`` bytes, per-link bandwidth ``B`` bit/s and per-message latency ``alpha``:
``T = 2 (p - 1) / p x 8 n / B + 2 (p - 1) alpha`` (reduce-scatter then all-gather, ``p - 1``
steps each, ``n / p`` bytes per step).

Training jobs follow the scaling-law compute ``C = 6 N D`` FLOP for ``N`` parameters and ``D``
tokens (Kaplan et al., arXiv:2001.08361, 2020), with ``D = tokens_per_param x N`` (20 tokens
per parameter, Hoffmann et al., "Training Compute-Optimal Large Language Models", NeurIPS
2022). Memory for mixed-precision Adam is 16 bytes per parameter (fp16 weights and gradients,
fp32 master weights, momentum and variance; Rajbhandari et al., "ZeRO", SC 2020); a checkpoint
holds the fp32 master weights and the two Adam moments, 12 bytes per parameter; gradients are
all-reduced in fp16, 2 bytes per parameter.

Arrivals are a homogeneous Poisson process. Same seed and arguments -> identical tables
(``numpy.random.default_rng(seed)``, draws in a fixed order).
"""

from __future__ import annotations

import numpy as np

from ..astro.timeutil import parse_time
from ..errors import InputError
from ..sizeguard import check_size
from ..table import Table
from .inference import _positive

#: Bytes per parameter (Rajbhandari et al., ZeRO, SC 2020; see the module docstring).
TRAINING_MEMORY_BYTES_PER_PARAM = 16.0
CHECKPOINT_BYTES_PER_PARAM = 12.0
GRADIENT_BYTES_PER_PARAM = 2.0


def ring_allreduce_time_s(
    message_bytes: np.ndarray | float,
    p: np.ndarray | int,
    bandwidth_bps: np.ndarray | float,
    latency_s: np.ndarray | float,
) -> np.ndarray:
    """Ring all-reduce time ``2 (p-1)/p x 8 bytes / bandwidth + 2 (p-1) x latency`` (s).

    Patarasuk & Yuan 2009. ``bandwidth_bps`` in bit/s (per link, each direction), ``latency_s``
    per step. Broadcasts; ``p = 1`` gives 0.
    """
    n = np.asarray(message_bytes, dtype=float)
    pp = np.asarray(p)
    b = np.asarray(bandwidth_bps, dtype=float)
    lat = np.asarray(latency_s, dtype=float)
    if not np.issubdtype(pp.dtype, np.integer) or np.any(pp < 1):
        raise InputError(f"p = {p!r}", field="p", expected="whole numbers >= 1")
    if np.any(~np.isfinite(n)) or np.any(n < 0):
        raise InputError("message_bytes", field="message_bytes", expected="finite numbers >= 0")
    if np.any(~(b > 0)) or np.any(~np.isfinite(b)):
        raise InputError("bandwidth_bps", field="bandwidth_bps", expected="finite numbers > 0")
    if np.any(~np.isfinite(lat)) or np.any(lat < 0):
        raise InputError("latency_s", field="latency_s", expected="finite numbers >= 0")
    pf = pp.astype(float)
    return 2.0 * (pf - 1.0) / pf * 8.0 * n / b + 2.0 * (pf - 1.0) * lat


def data_parallel_step_time_s(
    ops_per_step: np.ndarray | float,
    p: np.ndarray | int,
    ops_per_s_per_sat: np.ndarray | float,
    gradient_bytes: np.ndarray | float,
    link_bps: np.ndarray | float,
    latency_s: np.ndarray | float,
) -> np.ndarray:
    """One data-parallel step: compute ``ops_per_step / (p x ops_per_s_per_sat)`` plus a ring
    all-reduce of ``gradient_bytes`` (:func:`ring_allreduce_time_s`), without overlap (s)."""
    ops = np.asarray(ops_per_step, dtype=float)
    rate = np.asarray(ops_per_s_per_sat, dtype=float)
    if np.any(~np.isfinite(ops)) or np.any(ops < 0):
        raise InputError("ops_per_step", field="ops_per_step", expected="finite numbers >= 0")
    if np.any(~(rate > 0)) or np.any(~np.isfinite(rate)):
        raise InputError("ops_per_s_per_sat", field="ops_per_s_per_sat", expected="numbers > 0")
    comm = ring_allreduce_time_s(gradient_bytes, p, link_bps, latency_s)
    return ops / (np.asarray(p).astype(float) * rate) + comm


#: Largest model a training job may have (parameters): 500x the largest published dense models
#: (about 2e12); beyond it the FLOP counts and widths of a job overflow their integer columns.
MAX_MODEL_PARAMS = 1.0e15

#: Memory of one job: the generator's columns and the engine's per-job state, with headroom.
JOB_BYTES = 512


def _arrivals(
    rng: np.random.Generator,
    start: object,
    duration_s: float,
    rate_per_s: float,
    key: str = "rate_per_s or duration_s",
) -> np.ndarray:
    t0 = parse_time(start, field="start")
    duration = _positive(duration_s, "duration_s", allow_zero=True)
    rate = _positive(rate_per_s, "rate_per_s", allow_zero=True)
    check_size("the job arrivals", [(rate * duration, "jobs")], JOB_BYTES, key=key)
    n = int(rng.poisson(rate * duration))
    offsets = np.sort(rng.uniform(0.0, duration, n))
    return t0 + np.floor(offsets * 1e9).astype(np.int64).astype("timedelta64[ns]")


def _log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int, field: str) -> np.ndarray:
    lo = _positive(lo, f"{field}[0]")
    hi = _positive(hi, f"{field}[1]")
    if hi < lo:
        raise InputError(f"{field} = ({lo}, {hi})", field=field, expected="low <= high")
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _parallelism(rng: np.random.Generator, max_parallelism: int, n: int) -> np.ndarray:
    if not isinstance(max_parallelism, int | np.integer) or max_parallelism < 1:
        raise InputError(
            f"max_parallelism = {max_parallelism!r}", field="max_parallelism", expected=">= 1"
        )
    exponents = np.arange(int(np.log2(max_parallelism)) + 1)
    return (2 ** rng.choice(exponents, size=n)).astype(np.int64)


def _deadline(
    arrival: np.ndarray, work_s: np.ndarray, slack: float, field: str = "deadline_slack"
) -> np.ndarray:
    s = _positive(slack, field)
    if s < 1.0:
        raise InputError(f"{field} = {slack}", field=field, expected=">= 1")
    return arrival + np.ceil(work_s * s * 1e9).astype(np.int64).astype("timedelta64[ns]")


def training_jobs(
    start: object,
    duration_s: float,
    *,
    rate_per_s: float,
    seed: int | None,
    params_range: tuple[float, float] = (1e8, 1e10),
    tokens_per_param: float = 20.0,
    max_parallelism: int = 64,
    ops_per_s_per_sat: float = 1e14,
    deadline_slack: float = 2.0,
) -> Table:
    """Training jobs arriving over ``[start, start + duration_s)``.

    Parameters ``N`` log-uniform in ``params_range``; ``total_ops = 6 N x tokens_per_param x N``;
    ``memory_bytes = 16 N``; ``checkpoint_bytes = 12 N``; ``gradient_bytes = 2 N``;
    ``parallelism`` a power of two up to ``max_parallelism`` (uniform over the exponents);
    ``deadline = arrival + deadline_slack x total_ops / (parallelism x ops_per_s_per_sat)``
    (compute only; the default 1e14 FLOP/s per satellite is an assumption, about a tenth of an
    H100's dense bf16 peak).

    Columns: id, arrival (datetime64[ns]), params, total_ops (FLOP), memory_bytes,
    checkpoint_bytes, gradient_bytes, parallelism (satellites, int64), deadline.
    """
    rng = np.random.default_rng(seed)
    arrival = _arrivals(
        rng, start, duration_s, rate_per_s, key="workload.jobs_per_day or duration_s"
    )
    n = len(arrival)
    tpp = _positive(tokens_per_param, "tokens_per_param")
    rate = _positive(ops_per_s_per_sat, "ops_per_s_per_sat")
    params = np.rint(_log_uniform(rng, *params_range, n, "params_range"))
    total_ops = 6.0 * params * (tpp * params)
    par = _parallelism(rng, max_parallelism, n)
    return Table(
        {
            "id": np.arange(n, dtype=np.int64),
            "arrival": arrival,
            "params": params,
            "total_ops": total_ops,
            "memory_bytes": TRAINING_MEMORY_BYTES_PER_PARAM * params,
            "checkpoint_bytes": CHECKPOINT_BYTES_PER_PARAM * params,
            "gradient_bytes": GRADIENT_BYTES_PER_PARAM * params,
            "parallelism": par,
            "deadline": _deadline(arrival, total_ops / (par * rate), deadline_slack),
        }
    )


def batch_jobs(
    start: object,
    duration_s: float,
    *,
    rate_per_s: float,
    seed: int | None,
    ops_range: tuple[float, float] = (1e15, 1e19),
    memory_range_bytes: tuple[float, float] = (1e9, 1e11),
    checkpoint_fraction: float = 1.0,
    max_parallelism: int = 16,
    ops_per_s_per_sat: float = 1e14,
    deadline_slack: float = 4.0,
) -> Table:
    """Generic batch jobs (assumed ranges: every size is a parameter, log-uniform).

    ``total_ops`` log-uniform in ``ops_range``, ``memory_bytes`` log-uniform in
    ``memory_range_bytes``, ``checkpoint_bytes = checkpoint_fraction x memory_bytes``,
    ``parallelism`` a power of two up to ``max_parallelism``, ``deadline = arrival +
    deadline_slack x total_ops / (parallelism x ops_per_s_per_sat)``.

    Columns: id, arrival, total_ops, memory_bytes, checkpoint_bytes, parallelism, deadline.
    """
    rng = np.random.default_rng(seed)
    arrival = _arrivals(rng, start, duration_s, rate_per_s)
    n = len(arrival)
    rate = _positive(ops_per_s_per_sat, "ops_per_s_per_sat")
    frac = _positive(checkpoint_fraction, "checkpoint_fraction", allow_zero=True)
    ops = _log_uniform(rng, *ops_range, n, "ops_range")
    mem = _log_uniform(rng, *memory_range_bytes, n, "memory_range_bytes")
    par = _parallelism(rng, max_parallelism, n)
    return Table(
        {
            "id": np.arange(n, dtype=np.int64),
            "arrival": arrival,
            "total_ops": ops,
            "memory_bytes": mem,
            "checkpoint_bytes": frac * mem,
            "parallelism": par,
            "deadline": _deadline(arrival, ops / (par * rate), deadline_slack),
        }
    )


__all__ = [
    "CHECKPOINT_BYTES_PER_PARAM",
    "GRADIENT_BYTES_PER_PARAM",
    "TRAINING_MEMORY_BYTES_PER_PARAM",
    "batch_jobs",
    "data_parallel_step_time_s",
    "ring_allreduce_time_s",
    "training_jobs",
]
