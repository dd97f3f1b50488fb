"""Propagators behind :meth:`spacecompute.Constellation.propagate`.

- ``"sgp4"``: the ``sgp4`` package's C++ ``SatrecArray`` (Vallado et al., AIAA 2006-6753),
  called once per time step straight into the (T, N, 3) output arrays (for fewer than
  ``_DIRECT_MIN_SATELLITES`` satellites: once for all steps into (N, T, 3) buffers, then
  reordered); a parallel numba pass then converts km to m and, when asked, rotates into the
  Earth-fixed frame.
- ``"j2"``: the fast analytic propagator of :mod:`spacecompute.astro.j2`.

Both produce TEME positions. Memory: one chunk of T steps holds ``T * N * 3 * 8`` bytes per
array; :func:`plan_chunks` sizes chunks to a byte budget so that runs of any length stream.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np

from .._parallel import twin_kernel
from ..errors import InputError, MemoryBudgetError
from .elements import ElementSet
from .timeutil import datetime64_to_jd, gmst_rad

#: Default memory budget for one propagated chunk (all arrays of the chunk), bytes.
DEFAULT_MEMORY_BUDGET_BYTES = 2 * 1024**3

METHODS = ("sgp4", "j2")


#: From this many satellites on, SatrecArray writes each time step straight into the outputs
_DIRECT_MIN_SATELLITES = 256

#: Earth-fixed outputs at least this large are mapped by a helper thread while SGP4 runs
_PRETOUCH_MIN_BYTES = 16 * 2**20

#: Satellites per block in :func:`_reorder_sgp4` (reads 64 (T, 3) rows, writes runs of 64 x 3)
_REORDER_BLOCK = 64


@twin_kernel()
def _reorder_sgp4(
    e, r_km, v_km_s, gmst, r_out, v_out, valid, want_ecef, r_ecef, v_ecef, want_v=True
):  # pragma: no cover - numba
    n, t = e.shape
    omega = 7.292115146706979e-5
    # Blocks of satellites in parallel, time inside: both the (N, T, 3) reads and the (T, N, 3)
    # writes stay sequential within a block (cache and TLB friendly, first touch in order)
    n_blocks = (n + _REORDER_BLOCK - 1) // _REORDER_BLOCK
    for b in numba.prange(n_blocks):
        i0 = b * _REORDER_BLOCK
        i1 = min(n, i0 + _REORDER_BLOCK)
        for k in range(t):
            c = math.cos(gmst[k])
            s = math.sin(gmst[k])
            for i in range(i0, i1):
                ok = e[i, k] == 0
                valid[k, i] = ok
                if ok:
                    x = r_km[i, k, 0] * 1000.0
                    y = r_km[i, k, 1] * 1000.0
                    z = r_km[i, k, 2] * 1000.0
                    vx = v_km_s[i, k, 0] * 1000.0
                    vy = v_km_s[i, k, 1] * 1000.0
                    vz = v_km_s[i, k, 2] * 1000.0
                else:
                    x = y = z = vx = vy = vz = np.nan
                r_out[k, i, 0] = x
                r_out[k, i, 1] = y
                r_out[k, i, 2] = z
                if want_v:
                    v_out[k, i, 0] = vx
                    v_out[k, i, 1] = vy
                    v_out[k, i, 2] = vz
                if want_ecef:
                    xe = c * x + s * y
                    ye = -s * x + c * y
                    r_ecef[k, i, 0] = xe
                    r_ecef[k, i, 1] = ye
                    r_ecef[k, i, 2] = z
                    if want_v:
                        v_ecef[k, i, 0] = c * vx + s * vy + omega * ye
                        v_ecef[k, i, 1] = -s * vx + c * vy - omega * xe
                        v_ecef[k, i, 2] = vz


@twin_kernel()
def _finish_sgp4(
    e, r, v, gmst, valid, want_ecef, r_ecef, v_ecef, want_v, want_v_ecef=True
):  # pragma: no cover - numba
    """In place on sgp4's (T, N, 3) output: km -> m (NaN where sgp4 reported an error),
    validity, and optionally the Earth-fixed r and (``want_v and want_v_ecef``) v (same
    formulas as :func:`_reorder_sgp4`)."""
    t, n = e.shape
    omega = 7.292115146706979e-5
    n_blocks = (n + 1023) // 1024
    for b in numba.prange(n_blocks):
        i0 = b * 1024
        i1 = min(n, i0 + 1024)
        for k in range(t):
            c = math.cos(gmst[k])
            s = math.sin(gmst[k])
            for i in range(i0, i1):
                ok = e[k, i] == 0
                valid[k, i] = ok
                f = 1000.0 if ok else np.nan
                x = r[k, i, 0] * f
                y = r[k, i, 1] * f
                z = r[k, i, 2] * f
                r[k, i, 0] = x
                r[k, i, 1] = y
                r[k, i, 2] = z
                if want_v:
                    v[k, i, 0] *= f
                    v[k, i, 1] *= f
                    v[k, i, 2] *= f
                if want_ecef:
                    xe = c * x + s * y
                    ye = -s * x + c * y
                    r_ecef[k, i, 0] = xe
                    r_ecef[k, i, 1] = ye
                    r_ecef[k, i, 2] = z
                    if want_v and want_v_ecef:
                        vx = v[k, i, 0]
                        vy = v[k, i, 1]
                        v_ecef[k, i, 0] = c * vx + s * vy + omega * ye
                        v_ecef[k, i, 1] = -s * vx + c * vy - omega * xe
                        v_ecef[k, i, 2] = v[k, i, 2]


@numba.njit(nogil=True, cache=True)
def _touch_pages(a, b):  # pragma: no cover - numba
    """Write one zero per 4 KiB page of the C-contiguous arrays ``a`` and ``b``.

    SatrecArray runs on one core with the GIL held; meanwhile a helper thread runs this without
    the GIL on the other core, so that the kernel's page faults for the Earth-fixed outputs
    (first-touch costs, high on virtual machines) are paid in parallel instead of afterwards.
    """
    fa = a.reshape(-1)
    for i in range(0, fa.size, 512):
        fa[i] = 0.0
    fb = b.reshape(-1)
    for i in range(0, fb.size, 512):
        fb[i] = 0.0


@dataclass
class PropagatedChunk:
    """Arrays of one chunk: TEME r/v (T, N, 3), validity (T, N), optional ECEF r/v.

    ``v_eci_m`` and ``v_ecef_m`` are None when the propagator was asked for no velocities.
    """

    times: np.ndarray
    r_eci_m: np.ndarray
    v_eci_m: np.ndarray | None
    valid: np.ndarray
    r_ecef_m: np.ndarray | None = None
    v_ecef_m: np.ndarray | None = None
    #: (lat_deg, lon_deg, alt_m), each (T, N), where computed ahead (else the Ephemeris does it)
    geodetic: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: (shadow model, sun (T, 3) m, sunlit fraction (T, N) float64, NaN as 0) where computed ahead
    sunlit: tuple[str, np.ndarray, np.ndarray] | None = None


class SGP4Propagator:
    """SGP4/SDP4 over all satellites through ``sgp4.api.SatrecArray`` (WGS72, improved mode)."""

    name = "sgp4"

    def __init__(self, elements: ElementSet) -> None:
        self.n = len(elements)
        self._elements = elements
        self._satrecs: Any = None
        self._array  # noqa: B018  (built now: a propagator is made to be used)

    @property
    def _array(self) -> Any:
        """The ``SatrecArray`` (about 1,000 bytes a satellite), built from the elements when
        first needed after :meth:`release`."""
        if self._satrecs is None:
            from sgp4.api import SatrecArray

            self._satrecs = SatrecArray(self._elements.to_satrecs())
        return self._satrecs

    def release(self) -> None:
        """Let go of the ``SatrecArray`` until the next propagation here builds it again (0.9 s
        for 100,000 satellites): a forked propagation process holds its own copy
        (:mod:`~spacecompute.astro.prefetch`), and SGP4 keeps no state between calls that a
        new one would lack (near-Earth: none; deep-space: its resonance integrator restarts
        from the epoch or steps on from a multiple of its 720-minute step, the same numbers)."""
        self._satrecs = None

    def propagate(
        self, times: np.ndarray, *, ecef: bool = True, velocities: bool = True
    ) -> PropagatedChunk:
        """TEME (and, with ``ecef``, Earth-fixed) states at ``times``; with
        ``velocities=False`` the velocity outputs are neither filled nor allocated (None)."""
        times = np.asarray(times, dtype="datetime64[ns]")
        t, n = times.shape[0], self.n
        empty = np.empty((0, 0, 3))
        r = np.empty((t, n, 3))
        v = np.empty((t, n, 3)) if velocities else None
        valid = np.empty((t, n), dtype=bool)
        re = np.empty((t, n, 3)) if ecef else None
        ve = np.empty((t, n, 3)) if ecef and velocities else None
        if n >= _DIRECT_MIN_SATELLITES:
            self.fill(times, r, v, valid, re, ve, pretouch=True)
        else:
            jd, fr = datetime64_to_jd(times)
            e = np.empty((n, t), dtype=np.uint8)
            r_raw = np.empty((n, t, 3))
            v_raw = np.empty((n, t, 3))
            self._array._sgp4(jd, fr, e, r_raw, v_raw)
            _reorder_sgp4(
                e, r_raw, v_raw, gmst_rad(jd, fr), r, empty if v is None else v, valid, ecef,
                empty if re is None else re, empty if ve is None else ve, velocities,
            )  # fmt: skip
            del r_raw, v_raw
        return PropagatedChunk(times, r, v, valid, re, ve)

    def fill(
        self,
        times: np.ndarray,
        r: np.ndarray,
        v: np.ndarray | None,
        valid: np.ndarray,
        r_ecef: np.ndarray | None,
        v_ecef: np.ndarray | None,
        *,
        pretouch: bool = False,
        serial: bool = False,
    ) -> None:
        """Write the states at ``times`` into the given (T, N, 3) / (T, N) arrays: one
        SatrecArray call per step straight into row k of the outputs (viewed as (N, 1, 3)), no
        (N, T, 3) buffers, no transpose. ``v`` None: no velocities; ``r_ecef`` None: no
        Earth-fixed states; ``v_ecef`` None: Earth-fixed positions only. ``pretouch``: map fresh
        Earth-fixed outputs in a helper thread meanwhile; ``serial``: the one-thread twin of the
        conversion kernel (a forked child must not start numba's thread pool)."""
        jd, fr = datetime64_to_jd(np.asarray(times, dtype="datetime64[ns]"))
        t, n = jd.shape[0], self.n
        empty = np.empty((0, 0, 3))
        toucher = None
        if pretouch and r_ecef is not None and r_ecef.nbytes >= _PRETOUCH_MIN_BYTES:
            after = empty if v_ecef is None else v_ecef
            toucher = threading.Thread(target=_touch_pages, args=(r_ecef, after), daemon=True)
            toucher.start()
        v_scratch = np.empty((n, 1, 3)) if v is None else None
        e = np.empty((t, n), dtype=np.uint8)
        for k in range(t):
            self._array._sgp4(
                jd[k : k + 1],
                fr[k : k + 1],
                e[k].reshape(n, 1),
                r[k].reshape(n, 1, 3),
                v_scratch if v is None else v[k].reshape(n, 1, 3),
            )
        if toucher is not None:
            toucher.join()
        kernel = _finish_sgp4.serial if serial else _finish_sgp4
        kernel(
            e, r, empty if v is None else v, gmst_rad(jd, fr), valid, r_ecef is not None,
            empty if r_ecef is None else r_ecef, empty if v_ecef is None else v_ecef,
            v is not None, v_ecef is not None,
        )  # fmt: skip


def make_propagator(elements: ElementSet, method: str):
    """The propagator object for ``method`` (``"sgp4"`` or ``"j2"``)."""
    if method == "sgp4":
        return SGP4Propagator(elements)
    if method == "j2":
        from .j2 import J2Propagator

        return J2Propagator(elements)
    raise InputError(
        f"unknown propagator {method!r}", field="method", expected=" or ".join(METHODS)
    )


def bytes_per_step(n_satellites: int, *, ecef: bool = True, velocities: bool = True) -> int:
    """Bytes that one time step of a propagated chunk holds (r, v, valid, optional ECEF r, v),
    plus room for transient buffers (sgp4's (N, T, 3) r, v below ``_DIRECT_MIN_SATELLITES``
    satellites; its error codes).

    With ``velocities=False`` the v arrays of the chunk are not allocated (the raw SGP4 buffers
    still are, so the figure stays an upper bound for both propagators).
    """
    arrays = (4 if ecef else 2) // (1 if velocities else 2)
    return n_satellites * (arrays * 3 * 8 + 1 + 2 * 3 * 8 + 1)


def plan_chunks(
    n_times: int,
    n_satellites: int,
    *,
    memory_budget_bytes: int | None = None,
    ecef: bool = True,
    velocities: bool = True,
) -> int:
    """Largest number of time steps per chunk that fits the budget (at least 1).

    Raises :class:`MemoryBudgetError` when a single step does not fit.
    """
    budget = (
        DEFAULT_MEMORY_BUDGET_BYTES if memory_budget_bytes is None else int(memory_budget_bytes)
    )
    per_step = bytes_per_step(n_satellites, ecef=ecef, velocities=velocities)
    steps = budget // max(per_step, 1)
    if steps < 1:
        raise MemoryBudgetError(
            f"one time step of {n_satellites:,} satellites needs {per_step / 2**20:.1f} MiB, "
            f"more than the memory budget of {budget / 2**20:.1f} MiB"
        )
    return int(min(steps, max(n_times, 1)))


def iter_time_chunks(times: np.ndarray, chunk_steps: int) -> Iterator[np.ndarray]:
    """Successive slices of ``times`` of at most ``chunk_steps`` instants."""
    for k in range(0, times.shape[0], chunk_steps):
        yield times[k : k + chunk_steps]


__all__ = [
    "DEFAULT_MEMORY_BUDGET_BYTES",
    "METHODS",
    "PropagatedChunk",
    "SGP4Propagator",
    "bytes_per_step",
    "iter_time_chunks",
    "make_propagator",
    "plan_chunks",
]
