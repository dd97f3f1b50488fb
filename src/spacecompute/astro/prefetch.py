"""SGP4 one chunk ahead in a forked process, while this process steps the current chunk.

Why: ``sgp4``'s ``SatrecArray`` runs on one core and holds the GIL (two threads calling it take
2.3 times as long as one), and it is about 45 % of a 100,000-satellite Earth-observation run
(docs/benchmarks.md); the geodetic positions of every satellite and instant (Bowring's
iteration, 19 libm calls a point) are the next largest item. A second process computes both
for the next chunk meanwhile, so that on two cores they cost (almost) no wall time. The numbers
come from the same functions on the same inputs, so results are bit for bit those of
:meth:`Constellation.propagate_chunks` and of :class:`~spacecompute.astro.ephemeris.Ephemeris`
(tested).

How: one child is forked before the first chunk (it inherits the ``SatrecArray``: nothing is
pickled). Two slots of shared anonymous memory (``mmap``, ``MAP_SHARED``) each hold one chunk's
arrays. The child fills slot ``j % 2`` with chunk ``j`` as soon as the slot is free and says so
on a pipe; this process's chunk ``j`` is views into the slot, given back when the next chunk is
asked for. Where chunk ``j`` starts with chunk ``j - 1``'s last instant (the engine's overlapping
chunks), the child copies that instant from the other slot instead of computing it again (with
the 2-step chunks of a million satellites that was a third of its work). So chunk ``j``'s arrays
are valid until the consumer asks for chunk ``j + 1`` (the
contract :func:`~spacecompute.sim.forecast.with_previous_instant` already set with its reused
buffers). Memory: two slots of 105 bytes per satellite-instant (r, v, Earth-fixed r: 72;
geodetic latitude, longitude and height: 24; sunlit fraction: 8; validity: 1), shared, instead
of a fresh chunk (97 bytes), its copy extended by one instant (73), the previous chunk (97) and
the geodetic and sunlit buffers (36).

When not (:func:`prefetch_pays`): off Linux, with one usable core, inside a daemonic process,
inside a policy's forked process or a sweep's pool or Dask worker (their runs already share the
cores: ``_forked.in_forked_run``), below
:data:`PREFETCH_MIN_SATELLITES`, for one chunk, for the J2 propagator (a numba kernel, cheap and
parallel) and with ``SPACECOMPUTE_PREFETCH=0``. The child runs only the C++ propagator and the
one-thread twin of the conversion kernel, so numba's thread pool, even when this process has
started it, is never entered after the fork.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .._forked import in_forked_run, usable_cores
from .._parallel import serial_only
from .._runtime import release_free_heap
from .eclipse import sunlit_fraction_from_positions
from .frames import ecef_to_geodetic
from .propagation import PropagatedChunk, SGP4Propagator
from .sun import sun_position_eci_m

#: Below this many satellites the propagation is too short to be worth a second process
PREFETCH_MIN_SATELLITES = 20_000

#: Seconds between checks that the child is still alive while waiting for a chunk
_POLL_S = 0.5

_ALIGN = 64


def prefetch_pays(propagator: Any, n_satellites: int, n_chunks: int) -> bool:
    """True where :func:`prefetched_chunks` is used (see the module docstring)."""
    if not isinstance(propagator, SGP4Propagator) or n_chunks < 2:
        return False
    if n_satellites < PREFETCH_MIN_SATELLITES or os.environ.get("SPACECOMPUTE_PREFETCH") == "0":
        return False
    if not sys.platform.startswith("linux") or usable_cores() < 2 or in_forked_run():
        return False
    return not multiprocessing.current_process().daemon


class _Slot:
    """One chunk's arrays (at most ``t`` instants of ``n`` satellites) in shared memory."""

    def __init__(self, t: int, n: int, velocities: bool, shadow: str | None) -> None:
        shapes = {"r": (t, n, 3), "v": (t, n, 3), "re": (t, n, 3), "valid": (t, n)}
        shapes.update(lat=(t, n), lon=(t, n), alt=(t, n), sun=(t, 3), sunlit=(t, n))
        if not velocities:
            del shapes["v"]
        if shadow is None:
            del shapes["sun"], shapes["sunlit"]
        self.shadow = shadow
        sizes = {k: int(np.prod(s)) * (1 if k == "valid" else 8) for k, s in shapes.items()}
        offsets, total = {}, 0
        for k, size in sizes.items():
            offsets[k] = total
            total += -(-size // _ALIGN) * _ALIGN
        self.memory = mmap.mmap(-1, max(total, 1))  # anonymous, MAP_SHARED: seen by the child
        self.arrays = {
            k: np.frombuffer(
                self.memory, np.bool_ if k == "valid" else np.float64, int(np.prod(s)), offsets[k]
            ).reshape(s)
            for k, s in shapes.items()
        }

    def views(self, t: int, start: int = 0) -> PropagatedChunk:
        """Instants ``start`` to ``t`` (C-contiguous views; ``times`` left empty)."""
        a = {k: v[start:t] for k, v in self.arrays.items()}
        geodetic = (a["lat"], a["lon"], a["alt"])
        sunlit = None if self.shadow is None else (self.shadow, a["sun"], a["sunlit"])
        return PropagatedChunk(
            np.empty(0), a["r"], a.get("v"), a["valid"], a["re"], None, geodetic, sunlit
        )


def _serve(
    prop: SGP4Propagator, chunks: Sequence[np.ndarray], slots: list[_Slot], conn: Any
) -> None:
    """The child: fill slot ``j % 2`` with chunk ``j`` whenever the parent has freed it: the
    states, then the geodetic positions by :func:`~spacecompute.astro.frames.ecef_to_geodetic`
    (what :class:`~spacecompute.astro.ephemeris.Ephemeris` would run in the parent) and, with a
    shadow model, the sun and the sunlit fraction as the engine computes them."""
    serial_only()  # numba's thread pool does not survive a fork
    release_free_heap()  # what the parent had freed: not to be copied as the parent reuses it
    scratch = np.empty(slots[0].arrays["valid"].shape, np.float32)
    try:
        for j, times in enumerate(chunks):
            if conn.recv() != "free":
                return
            start = 0
            if j > 0 and times[0] == chunks[j - 1][-1]:
                # the previous chunk's last instant (being read by the parent: read here too),
                # copied rather than computed again: with chunks of 2 steps that is a third
                last = chunks[j - 1].shape[0] - 1
                for key, a in slots[j % 2].arrays.items():
                    a[0] = slots[(j - 1) % 2].arrays[key][last]
                start = 1
            _fill(prop, times[start:], slots[j % 2].views(times.shape[0], start), scratch)
            conn.send(("done", j))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return  # the parent is gone or stopped the run
    except BaseException as exc:
        try:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
        except (OSError, ValueError):
            pass


def _fill(prop: SGP4Propagator, times: np.ndarray, c: PropagatedChunk, scratch: np.ndarray) -> None:
    """States, geodetic positions and (where asked) the sunlit fraction at ``times`` into ``c``."""
    prop.fill(times, c.r_eci_m, c.v_eci_m, c.valid, c.r_ecef_m, None, serial=True)
    ecef_to_geodetic(c.r_ecef_m, out=c.geodetic)
    if c.sunlit is not None:
        _sunlit_into(times, c.r_eci_m, c.sunlit, scratch[: times.shape[0]])


def _sunlit_into(
    times: np.ndarray, r_eci_m: np.ndarray, sunlit: tuple, scratch: np.ndarray
) -> None:
    """The sun and the sunlit fraction as float64 with NaN as 0, by the steps of
    :func:`~spacecompute.sim.forecast.chunk_environment` (float32 kernel output, then widened)."""
    shadow, sun, fraction = sunlit
    sun[:] = sun_position_eci_m(times)
    sunlit_fraction_from_positions(r_eci_m, sun, shadow, out=scratch)
    np.copyto(fraction, scratch)
    np.nan_to_num(fraction, copy=False, nan=0.0)


def _wait(conn: Any, child: Any, j: int) -> None:
    """Block until the child reports chunk ``j``; raise if it failed or died (never hang)."""
    try:
        while not conn.poll(_POLL_S):
            if not child.is_alive():
                raise EOFError
        status, detail = conn.recv()
    except (EOFError, OSError):
        child.join(timeout=5)
        raise RuntimeError(
            f"the propagation process ended (exit code {child.exitcode}) before chunk {j}; "
            "set SPACECOMPUTE_PREFETCH=0 to propagate in this process"
        ) from None
    if status != "done":
        raise RuntimeError(f"propagation of chunk {j} failed in the propagation process: {detail}")


def prefetched_chunks(
    prop: SGP4Propagator,
    chunks: Sequence[np.ndarray],
    *,
    velocities: bool = True,
    shadow: str | None = None,
) -> Iterator[PropagatedChunk]:
    """Chunks ``chunks`` (datetime64 time arrays) propagated one ahead in a forked child.

    Each yielded chunk holds TEME r (and v with ``velocities``), validity, Earth-fixed r (no
    Earth-fixed v), the geodetic positions and, with ``shadow`` (a model of
    :func:`~spacecompute.astro.eclipse.sunlit_fraction_from_positions`), the sun and the sunlit
    fraction, as views into shared memory, valid until the next chunk is asked for.
    """
    longest = max(int(c.shape[0]) for c in chunks)
    if shadow is not None and shadow not in ("conical", "cylindrical"):
        raise ValueError(f"shadow must be 'conical' or 'cylindrical', got {shadow!r}")
    slots = [_Slot(longest, prop.n, velocities, shadow) for _ in range(2)]
    _warm_kernels(velocities, shadow)
    context = multiprocessing.get_context("fork")
    here, there = context.Pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns of fork with threads; see docstring
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(
            target=_serve, args=(prop, chunks, slots, there), daemon=True, name="sgp4-prefetch"
        )
        child.start()
    there.close()
    prop.release()  # the child propagates with its own copy (about 1,000 bytes a satellite)
    try:
        here.send("free")
        here.send("free")
        for j, times in enumerate(chunks):
            _wait(here, child, j)
            chunk = slots[j % 2].views(times.shape[0])
            chunk.times = np.asarray(times, "datetime64[ns]")
            yield chunk
            if j + 2 < len(chunks):
                here.send("free")
    finally:
        here.close()  # the child sees EOF and ends
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
            child.join()


def _warm_kernels(velocities: bool, shadow: str | None) -> None:
    """Compile (or load) the child's kernels here, once, with the argument types it calls them
    with (the one-thread conversion kernel, the geodetic and shadow kernels): what a forked
    child compiles is lost when it ends."""
    from .frames import _geodetic_kernel
    from .propagation import _finish_sgp4

    one = np.zeros(1)
    _geodetic_kernel(np.zeros((1, 3)), one, one.copy(), one.copy())
    a = np.zeros((1, 1, 3))
    _finish_sgp4.serial(
        np.zeros((1, 1), np.uint8), a, a.copy() if velocities else np.empty((0, 0, 3)),
        np.zeros(1), np.zeros((1, 1), bool), True, a.copy(), np.empty((0, 0, 3)), velocities,
        False,
    )  # fmt: skip
    if shadow is not None:
        r = np.full((1, 1, 3), 7e6)
        sun = sun_position_eci_m(np.array(["2026-01-01"], "datetime64[ns]"))
        sunlit_fraction_from_positions(r, sun, shadow, out=np.empty((1, 1), np.float32))


__all__ = ["PREFETCH_MIN_SATELLITES", "prefetch_pays", "prefetched_chunks"]
