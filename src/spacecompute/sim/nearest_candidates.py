"""Candidates for the nearest neighbour of some points among all: a compiled sweep along x.

Training's ring needs, every step, each participant's nearest other satellite (the all-pairs
search's answer: least squared distance, ties to the lowest index; :func:`spacecompute.sim.
training._nearest_neighbour`). A k-d tree built every step cost ~2 ms for Starlink shell 1.
Here the satellites are sorted by x once per call, and each point scans outward from its place
in that order until the squared x difference alone exceeds the best squared distance so far
(the sweep-line search of Friedman, Baskett and Shustek, "An algorithm for finding nearest
neighbors", IEEE Trans. Computers C-24(10), 1975, on one coordinate). It is exact: a floating
sum of non-negative squares is at least any of its terms, and the squared difference grows
along the sort in either direction.

The kernel returns *candidates*, not the answer: every point within a relative ``1e-9`` of its
least squared distance (by the kernel's own order of additions), so that the caller chooses
among them with the all-pairs expression itself (numpy's ``einsum``, whose order of additions
is its own); the two orders differ by a few units in the last place, far inside the margin.
"""

from __future__ import annotations

import numba
import numpy as np

#: Relative margin of the candidates over the least squared distance (see the module docstring).
MARGIN = 1e-9
#: Candidates kept per point; a point with more (a lattice of equal distances) is marked.
MAX_CANDIDATES = 16


@numba.njit(cache=True)
def _next(r, order, xi, lo, hi):  # pragma: no cover - numba
    """The squared x differences of the next points below (``lo``) and above (``hi``) in x
    order (inf past either end)."""
    d_lo = np.inf
    d_hi = np.inf
    if lo >= 0:
        dx = xi - r[order[lo], 0]
        d_lo = dx * dx
    if hi < order.shape[0]:
        dx = xi - r[order[hi], 0]
        d_hi = dx * dx
    return d_lo, d_hi


@numba.njit(cache=True)
def _scan(r, order, p, margin, out):  # pragma: no cover - numba
    """Scan outward from position ``p`` of the x order, the nearer side in x first, until
    both sides' squared x difference exceeds ``(1 + margin)`` times the least squared
    distance found so far; writes the points within that bound of the least into ``out``
    sorted by index (at most its length) and returns how many there are (possibly more than
    fit)."""
    i = order[p]
    xi, yi, zi = r[i, 0], r[i, 1], r[i, 2]
    k_max = out.shape[0]
    best = np.inf
    limit = np.inf
    c = 0
    lo = p - 1
    hi = p + 1
    while True:
        d_lo, d_hi = _next(r, order, xi, lo, hi)
        if d_lo <= d_hi:
            dxx = d_lo
            j = order[lo] if lo >= 0 else -1
            lo -= 1
        else:
            dxx = d_hi
            j = order[hi]
            hi += 1
        if j < 0 or dxx > limit:
            break
        dy = yi - r[j, 1]
        dz = zi - r[j, 2]
        d2 = dxx + dy * dy + dz * dz
        if d2 > limit:
            continue
        if d2 < best:  # a new least: drop the kept ones beyond its bound
            best = d2
            limit = best * (1.0 + margin)
            kept = 0
            for x in range(min(c, k_max)):
                jj = out[x]
                ex = xi - r[jj, 0]
                ey = yi - r[jj, 1]
                ez = zi - r[jj, 2]
                if ex * ex + ey * ey + ez * ez <= limit:
                    out[kept] = jj
                    kept += 1
            c = kept if c <= k_max else c  # an overflowed row stays marked
        if c < k_max:  # insertion by index
            x = c
            while x > 0 and out[x - 1] > j:
                out[x] = out[x - 1]
                x -= 1
            out[x] = j
        c += 1
    return c


@numba.njit(cache=True)
def _sweep(r, order, pos, rows, margin, cand, count):  # pragma: no cover - numba
    """For each ``rows[a]``: the points (other than itself) within ``(1 + margin)`` of its least
    squared distance, sorted by index, into ``cand[a, :count[a]]`` (``count[a]`` beyond the
    width of ``cand``: more than fit, the row is incomplete). ``order`` the points by x,
    ``pos`` the inverse permutation."""
    for a in range(rows.shape[0]):
        count[a] = _scan(r, order, pos[rows[a]], margin, cand[a])


def nearest_candidates(r: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(len(rows), K) candidates for the nearest neighbour of each point ``r[rows]`` among all
    of ``r`` (N, 3), finite, N >= 2: sorted by index, each row padded by repeating its last;
    and (len(rows),) bool, True where a row holds more than :data:`MAX_CANDIDATES` (its
    candidates are incomplete: search that row among all points)."""
    r = np.ascontiguousarray(r, dtype=np.float64)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    order = np.argsort(r[:, 0], kind="stable").astype(np.int64)
    pos = np.empty_like(order)
    pos[order] = np.arange(order.size)
    cand = np.empty((rows.size, MAX_CANDIDATES), np.int64)
    count = np.zeros(rows.size, np.int64)
    _sweep(r, order, pos, rows, MARGIN, cand, count)
    width = int(min(max(count.max(initial=1), 1), MAX_CANDIDATES))
    out = cand[:, :width].copy()
    kept = np.minimum(count, MAX_CANDIDATES)
    col = np.arange(width)
    # pad with the row's last candidate (a duplicate never changes the first minimum)
    last = out[np.arange(rows.size), np.maximum(kept - 1, 0)]
    out = np.where(col[None, :] < kept[:, None], out, last[:, None])
    return out, count > MAX_CANDIDATES


__all__ = ["MARGIN", "MAX_CANDIDATES", "nearest_candidates"]
