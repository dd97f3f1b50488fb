"""Candidates for the nearest neighbour of some points among all: a compiled sweep along x.

Training's ring needs, every step, each participant's nearest other satellite (the all-pairs
search's answer: least squared distance, ties to the lowest index; :func:`spacecompute.sim.
training._nearest_neighbour`). A k-d tree built every step cost 1.7-1.9 ms for Starlink shell
1 (about 450 participants); this sweep 0.74-0.95 ms (the same captured steps, CPU time, shared
2-core machine, 2026-12-07). The satellites are sorted by x once per call; each point measures
its ``_SEED`` neighbours on either side in that order (a first bound), then scans outward on
each side until the squared x difference alone exceeds the least squared distance so far (the
projection method of Friedman, Baskett and Shustek, "An algorithm for finding nearest
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
def _d2(r, i, j):  # pragma: no cover - numba
    """Squared distance of points ``i`` and ``j`` by the kernel's order of additions, and the
    squared x difference alone."""
    dx = r[i, 0] - r[j, 0]
    dy = r[i, 1] - r[j, 1]
    dz = r[i, 2] - r[j, 2]
    dxx = dx * dx
    return dxx + dy * dy + dz * dz, dxx


#: Points on either side of a point's place in the x order measured first (a first bound).
_SEED = 4


@numba.njit(cache=True)
def _least(r, order, p):  # pragma: no cover - numba
    """The least squared distance from the point at position ``p`` of the x order to any other:
    its ``_SEED`` neighbours in x first, then outward on each side until the squared x
    difference alone exceeds the least so far."""
    n = order.shape[0]
    i = order[p]
    best = np.inf
    lo = max(p - _SEED, 0)
    hi = min(p + _SEED + 1, n)
    for q in range(lo, hi):
        if q != p:
            best = min(best, _d2(r, i, order[q])[0])
    for q in range(lo - 1, -1, -1):
        d2, dxx = _d2(r, i, order[q])
        if dxx > best:
            break
        best = min(best, d2)
    for q in range(hi, n):
        d2, dxx = _d2(r, i, order[q])
        if dxx > best:
            break
        best = min(best, d2)
    return best


@numba.njit(cache=True)
def _within(r, order, p, limit, out):  # pragma: no cover - numba
    """The points within squared distance ``limit`` of the point at position ``p`` of the x
    order (itself excepted), sorted by index into ``out`` (at most its length); returns how
    many there are (possibly more than fit)."""
    n = order.shape[0]
    i = order[p]
    k_max = out.shape[0]
    c = 0
    for side in (-1, 1):
        q = p + side
        while 0 <= q < n:
            j = order[q]
            d2, dxx = _d2(r, i, j)
            if dxx > limit:
                break
            if d2 <= limit:
                if c < k_max:  # insertion by index
                    x = c
                    while x > 0 and out[x - 1] > j:
                        out[x] = out[x - 1]
                        x -= 1
                    out[x] = j
                c += 1
            q += side
    return c


@numba.njit(cache=True)
def _sweep(r, order, pos, rows, margin, cand, count):  # pragma: no cover - numba
    """For each ``rows[a]``: the points (other than itself) within ``(1 + margin)`` of its least
    squared distance, sorted by index, into ``cand[a, :count[a]]`` (``count[a]`` beyond the
    width of ``cand``: more than fit, the row is incomplete). ``order`` the points by x,
    ``pos`` the inverse permutation."""
    for a in range(rows.shape[0]):
        p = pos[rows[a]]
        count[a] = _within(r, order, p, _least(r, order, p) * (1.0 + margin), cand[a])


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
