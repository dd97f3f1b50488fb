"""What the engine sees of a chunk of time, and forecasts of it for look-ahead policies.

:func:`chunk_environment` computes, for an ephemeris chunk, everything of the outside world the
Earth-observation engine uses: the sunlit fraction (conical shadow), the radio downlink rate of
every station-satellite pair from the link budget, and the imaging workload. The engine calls it
for the chunks it steps through; :class:`EOPredictor` calls the same function for any window of
steps, so a policy's forecast is exactly what will happen to the orbits, sunlight, contacts and
arrivals (the spacecraft state, which depends on decisions, is the policy's to model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._buffers import BufferPool
from ..astro.access import visible_pairs
from ..astro.eclipse import sunlit_fraction_from_positions
from ..astro.ephemeris import Ephemeris
from ..astro.sun import sun_position_eci_m
from ..astro.timeutil import time_grid
from ..table import Table

#: Arrays of the per-chunk work, reused from chunk to chunk (see :mod:`spacecompute._buffers`):
#: an array still held by a caller (the previous chunk, a forecast) is never handed out again.
CHUNK_BUFFERS = BufferPool()


def with_previous_instant(
    prev: Ephemeris | None, eph: Ephemeris, *, buffers: BufferPool | None = None
) -> Ephemeris:
    """``eph`` with ``prev``'s last instant prepended, so that its first step is complete (the
    chunks of ``Constellation.propagate_chunks`` do not overlap); ``prev`` None: ``eph``.
    The arrays are written into ``buffers`` (default :data:`CHUNK_BUFFERS`)."""
    if prev is None:
        return eph
    pool = CHUNK_BUFFERS if buffers is None else buffers

    def cat(name: str, a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
        if a is None or b is None:
            return None
        out = pool.take("chunk." + name, (b.shape[0] + 1, *b.shape[1:]), b.dtype)
        out[:1] = a[-1:]
        out[1:] = b
        return out

    return Ephemeris(
        np.concatenate([prev.times[-1:], eph.times]),
        cat("r_eci_m", prev.r_eci_m, eph.r_eci_m),
        cat("v_eci_m", prev.v_eci_m, eph.v_eci_m),
        names=eph.names,
        valid=cat("valid", prev.valid, eph.valid),
        r_ecef_m=cat("r_ecef_m", prev.r_ecef_m, eph.r_ecef_m),
    )


@dataclass(frozen=True)
class ChunkEnvironment:
    """Arrays over the instants ``T`` of a chunk and the satellites ``N`` (stations ``S``).

    ``times_ns`` (T,) int64 ns since the Unix epoch; ``sun_eci_m`` (T, 3); ``sunlit`` (T, N) in
    [0, 1]; ``rate_bps`` (T, S, N) radio rate of each station-satellite pair (0: no link);
    ``frames``: :func:`~spacecompute.workloads.eo.eo_frames` rows; ``frame_bounds`` (T,): rows
    of step ``k`` are ``frame_bounds[k]:frame_bounds[k + 1]``.
    """

    times_ns: np.ndarray
    sun_eci_m: np.ndarray
    sunlit: np.ndarray
    rate_bps: np.ndarray
    frames: Table
    frame_bounds: np.ndarray


def chunk_environment(
    eph: Ephemeris,
    stations: Any,
    radio: Any,
    ground: Any,
    *,
    model: str,
    cloud_fraction: float,
    seed: int,
    shadow: str = "conical",
    sensor: Any = None,
    aoi: Any = "land",
    buffers: BufferPool | None = None,
) -> ChunkEnvironment:
    """Sunlight, downlink rates and imaging frames of ``eph`` (see :class:`ChunkEnvironment`).

    Rates from :func:`~spacecompute.network.links.radio_link_budget` (terminals ``radio`` on
    board, ``ground`` at the stations) above each station's minimum elevation, with the ITU-R
    attenuation at each station's location (:func:`~spacecompute.network.links.atmospheric_loss_db`).

    The geometry runs in fused numba kernels with no full-size temporaries: elevation and range
    of the visible station-satellite pairs only (:func:`~spacecompute.astro.access.visible_pairs`),
    geodetic positions (kept on ``eph``), and sun elevation and land cell of each step
    (:func:`~spacecompute.workloads.eo_steps.imaging_steps`). Their arrays and those returned
    (``sunlit``, ``rate_bps``, ``eph``'s geodetic arrays) come from ``buffers`` (default
    :data:`CHUNK_BUFFERS`), reused from one chunk to the next once nothing holds them. The
    values are those of the numpy formulas, bit for bit
    (:func:`~spacecompute.sim.numpy_reference.chunk_environment_numpy`, tested), which small
    chunks (below :data:`~spacecompute._runtime.FUSED_MIN_POINTS`) run instead of the kernels.
    """
    from ..network.links import radio_link_budget
    from ..workloads.eo import eo_frames

    pool = CHUNK_BUFFERS if buffers is None else buffers
    n_t, n = eph.n_times, eph.n_satellites
    if not eph.has_geodetic:  # (the propagation process computes them ahead: no buffers then)
        eph.geodetic_into(
            pool.take("geodetic.lat_deg", (n_t, n)),
            pool.take("geodetic.lon_deg", (n_t, n)),
            pool.take("geodetic.alt_m", (n_t, n)),
        )
    t_ns = eph.times.astype(np.int64)
    ahead = eph.sunlit_ahead
    if ahead is not None and ahead[0] == shadow:  # computed by the propagation process
        sun, sunlit = ahead[1], ahead[2]
    else:
        sun = sun_position_eci_m(eph.times)
        sunlit32 = pool.take("sunlit.float32", (n_t, n), np.float32)
        sunlit_fraction_from_positions(eph.r_eci_m, sun, shadow, out=sunlit32)
        sunlit = pool.take("sunlit", (n_t, n))
        np.copyto(sunlit, sunlit32)
        np.nan_to_num(sunlit, copy=False, nan=0.0)
        del sunlit32
    idx, el, rng = visible_pairs(eph.r_ecef_m, stations, buffers=pool)
    rate = pool.take("rate_bps", (n_t, len(stations), n), zeroed=True)
    if idx.size:
        site = idx // n % len(stations)  # each visible pair's station: ITU-R loss at its site
        rate.reshape(-1)[idx] = radio_link_budget(
            radio,
            ground,
            rng,
            el,
            lat_deg=stations.lat_deg[site],
            lon_deg=stations.lon_deg[site],
            alt_m=stations.alt_m[site],
        ).rate_bps
    del idx, el, rng
    frames = eo_frames(
        eph,
        sensor,
        model=model,
        aoi=aoi,
        cloud_fraction=cloud_fraction,
        seed=int(seed),
        buffers=pool,
    )
    f_step = np.searchsorted(t_ns, frames["time"].astype(np.int64))
    bounds = np.searchsorted(f_step, np.arange(eph.n_times))
    return ChunkEnvironment(t_ns, sun, sunlit, rate, frames, bounds)


@dataclass(frozen=True)
class Forecast:
    """Predicted outside world over ``n`` steps starting at ``step_index`` (arrays (n, N)).

    ``sunlit`` at each step start; ``downlink_rate_bps`` the best station's rate (before the
    one-satellite-per-station matching, so an upper bound); per-step arrivals of the imaging
    workload: ``arrival_ops`` (FLOP), ``arrival_bits`` (raw bits), ``result_bits`` (bits of
    results of the useful frames). ``times_ns`` (n,) step starts.
    """

    step_index: int
    times_ns: np.ndarray
    sunlit: np.ndarray
    downlink_rate_bps: np.ndarray
    arrival_ops: np.ndarray
    arrival_bits: np.ndarray
    result_bits: np.ndarray


@dataclass
class EOPredictor:
    """Forecasts of the Earth-observation run (see :class:`Forecast`) for look-ahead policies.

    ``bus`` (the satellites' :class:`~spacecompute.spacecraft.hardware.Bus`), ``peak_ops_per_s``,
    ``storage_bytes``, ``dt_s`` and ``n_steps`` (of the run) are there for the policy to model
    the spacecraft. ``predict(step_index, n_steps)`` propagates the orbits over the window (SGP4
    or J2, as the run) and returns what the engine will see; windows past the run are cut.
    """

    constellation: Any
    stations: Any
    radio: Any
    ground: Any
    start: np.datetime64
    dt_s: float
    n_steps: int
    propagator: str
    model: str
    cloud_fraction: float
    seed: int
    bus: Any
    peak_ops_per_s: float
    storage_bytes: float
    shadow: str = "conical"
    sensor: Any = None
    aoi: Any = "land"

    def predict(self, step_index: int, n_steps: int) -> Forecast:
        n_steps = max(0, min(int(n_steps), self.n_steps - int(step_index)))
        n = len(self.constellation)
        if n_steps == 0:
            z = np.zeros((0, n))
            return Forecast(int(step_index), np.zeros(0, np.int64), z, z, z, z, z)
        dt_ns = round(self.dt_s * 1e9)
        t0 = np.datetime64(self.start, "ns") + np.timedelta64(int(step_index) * dt_ns, "ns")
        times = time_grid(t0, n_steps * self.dt_s, self.dt_s)[: n_steps + 1]
        eph = self.constellation.propagate(times[0], times=times, method=self.propagator)
        env = chunk_environment(
            eph,
            self.stations,
            self.radio,
            self.ground,
            model=self.model,
            cloud_fraction=self.cloud_fraction,
            seed=self.seed,
            shadow=self.shadow,
            sensor=self.sensor,
            aoi=self.aoi,
        )
        f = env.frames
        k = np.searchsorted(env.times_ns, f["time"].astype(np.int64))
        keep = k < n_steps
        k, sat = k[keep], f["satellite"][keep]
        shape = (n_steps, n)

        def per_step(values: np.ndarray) -> np.ndarray:
            out = np.zeros(shape)
            np.add.at(out, (k, sat), np.asarray(values, dtype=np.float64)[keep])
            return out

        useful = ~np.asarray(f["cloudy"], bool)
        return Forecast(
            int(step_index),
            env.times_ns[:n_steps],
            env.sunlit[:n_steps],
            env.rate_bps[:n_steps].max(axis=1) if env.rate_bps.shape[1] else np.zeros(shape),
            per_step(f["ops"]),
            per_step(f["bits"]),
            per_step(np.where(useful, np.asarray(f["result_bytes"], float) * 8.0, 0.0)),
        )


__all__ = [
    "CHUNK_BUFFERS",
    "ChunkEnvironment",
    "EOPredictor",
    "Forecast",
    "chunk_environment",
    "with_previous_instant",
]
