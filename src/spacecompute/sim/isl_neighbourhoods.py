"""Every satellite's neighbourhood on the laser mesh within ``max_hops`` hops, compiled.

The inference service relays a request from the satellite a user sees to any satellite within
``max_isl_hops`` laser hops (:class:`spacecompute.sim.service._Isl`). It needs, once per run:

- ``nbr`` (N, M): for every satellite ``v``, itself (slot 0), then the satellites first reached
  at 1 hop, 2 hops, ... (each level in increasing index), -1 padded; ``hops`` (N, M) their hop
  counts;
- the *level triples* ``(v, slot of w, slot of p, edge)``: every link ``p -> w`` that reaches a
  satellite ``w`` of level ``h`` from one ``p`` of level ``h - 1`` (all of them, so that the
  hop-limited Bellman-Ford of :func:`~spacecompute.sim.service_geometry.isl_paths` finds the
  shortest of the min-hop paths), level by level, within a level by ``v``, then by ``p``, then
  by the neighbours of ``p`` in increasing index.

This is a breadth-first search from every satellite (Cormen et al., *Introduction to
Algorithms*, 3rd ed., section 22.2), bounded to ``max_hops`` levels. The numpy formulation
(:func:`~spacecompute.sim.numpy_reference.isl_neighbourhoods_numpy`) searched all satellites
at once with set operations on (satellite, neighbour) keys: at 1,000,000 satellites
(13 million keys at 2 hops) its sorts took about 100 s. Here one compiled loop searches each
satellite's neighbourhood in a small scratch list (two passes: count, then fill), and the
tables are the numpy formulation's exactly, in the same order (tested).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np


@dataclass(frozen=True)
class Neighbourhoods:
    """The tables of the module docstring: ``m`` slots per satellite; ``level_arrays`` the
    triples (v, slot of w, slot of p, edge) end to end; ``level_bounds`` where each level's
    triples start and end in them (levels 1, 2, ...)."""

    m: int
    nbr: np.ndarray
    hops: np.ndarray
    level_arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    level_bounds: np.ndarray

    @property
    def levels(self) -> list[tuple[np.ndarray, ...]]:
        """The triples level by level: [(v, slot of w, slot of p, edge), ...]."""
        b = self.level_bounds
        return [tuple(a[b[i] : b[i + 1]] for a in self.level_arrays) for i in range(b.size - 1)]


def adjacency(pairs: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of the undirected links ``pairs`` (E, 2): ``ptr`` (N + 1,), then each satellite's
    neighbours in increasing index (``dst``) and the link of each (``eid``)."""
    e = pairs.shape[0]
    src = np.concatenate([pairs[:, 0], pairs[:, 1]])
    dst = np.concatenate([pairs[:, 1], pairs[:, 0]])
    eid = np.concatenate([np.arange(e), np.arange(e)])
    order = np.lexsort((dst, src))
    src, dst, eid = src[order], dst[order], eid[order]
    ptr = np.searchsorted(src, np.arange(n + 1))
    return ptr.astype(np.int64), dst.astype(np.int64), eid.astype(np.int64)


@numba.njit(cache=True)
def _grow(a, need):  # pragma: no cover - compiled
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), a.dtype)
    b[: a.shape[0]] = a
    return b


@numba.njit(cache=True)
def _sorted_unique(values, k, out, at):  # pragma: no cover - compiled
    """``values[:k]`` sorted without repeats into ``out[at:]`` (insertion: a level holds a
    handful); returns how many."""
    m = 0
    for i in range(k):
        x = values[i]
        j = at + m
        while j > at and out[j - 1] > x:
            j -= 1
        if j > at and out[j - 1] == x:
            continue
        for q in range(at + m, j, -1):
            out[q] = out[q - 1]
        out[j] = x
        m += 1
    return m


@numba.njit(cache=True)
def _slot_in(lst, lo, hi, x):  # pragma: no cover - compiled
    """The index of ``x`` in the sorted ``lst[lo:hi]`` (it is there), from ``lo``."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if lst[mid] <= x:
            lo = mid
        else:
            hi = mid
    return lo


@numba.njit(cache=True)
def _search(ptr, dst, eid, max_hops, fill, cnt, tri_cnt, nbr, hops, tri_off, out):
    # pragma: no cover - compiled
    """One pass over every satellite. Counting (``fill`` False): its neighbourhood size into
    ``cnt`` (N,) and its triples per level into ``tri_cnt`` (H, N). Filling: ``nbr`` and
    ``hops`` rows, and the triples at ``tri_off`` (H, N) into ``out`` (4, total)."""
    n = ptr.shape[0] - 1
    lst = np.empty(64, np.int64)  # the neighbourhood in slot order
    bound = np.empty(max_hops + 2, np.int64)  # level h is lst[bound[h]:bound[h + 1]]
    tw = np.empty(64, np.int64)  # this level's triples: reached satellite, parent slot, link
    tp = np.empty(64, np.int64)
    te = np.empty(64, np.int64)
    for v in range(n):
        lst[0] = v
        bound[0], bound[1] = 0, 1
        levels = 0
        for h in range(1, max_hops + 1):
            size = bound[h]
            k = 0
            for ps in range(bound[h - 1], size):
                w = lst[ps]
                for q in range(ptr[w], ptr[w + 1]):
                    x = dst[q]
                    new = True
                    for s in range(size):  # not reached at an earlier level
                        if lst[s] == x:
                            new = False
                            break
                    if new:
                        if k == tw.shape[0]:
                            tw = _grow(tw, k + 1)
                            tp = _grow(tp, k + 1)
                            te = _grow(te, k + 1)
                        tw[k], tp[k], te[k] = x, ps, eid[q]
                        k += 1
            if k == 0:
                break
            lst = _grow(lst, size + k)
            width = _sorted_unique(tw, k, lst, size)  # the level, sorted, after the others
            bound[h + 1] = size + width
            levels = h
            if fill:
                base = tri_off[h - 1, v]
                for i in range(k):
                    out[0, base + i] = v
                    out[1, base + i] = _slot_in(lst, size, size + width, tw[i])
                    out[2, base + i] = tp[i]
                    out[3, base + i] = te[i]
            else:
                tri_cnt[h - 1, v] = k
        if not fill:
            cnt[v] = bound[levels + 1]
            continue
        for h in range(levels + 1):
            for s in range(bound[h], bound[h + 1]):
                nbr[v, s] = lst[s]
                hops[v, s] = h


def neighbourhoods(pairs: np.ndarray, n: int, max_hops: int) -> Neighbourhoods:
    """:class:`Neighbourhoods` of ``n`` satellites linked by ``pairs`` (E, 2)."""
    ptr, dst, eid = adjacency(np.asarray(pairs, np.int64).reshape(-1, 2), n)
    h = max(int(max_hops), 0)
    cnt = np.zeros(n, np.int64)
    tri_cnt = np.zeros((max(h, 1), n), np.int64)
    dummy2 = np.zeros((1, 1), np.int64)
    _search(ptr, dst, eid, h, False, cnt, tri_cnt, dummy2, dummy2, dummy2, dummy2)
    m = int(cnt.max()) if n else 1
    per_level = tri_cnt.sum(axis=1)
    bounds = np.concatenate([[0], np.cumsum(per_level)])
    tri_off = bounds[:-1, None] + np.cumsum(tri_cnt, axis=1) - tri_cnt
    nbr = np.full((n, m), -1, np.int64)
    hops = np.full((n, m), -1, np.int64)
    out = np.empty((4, int(bounds[-1])), np.int64)
    _search(ptr, dst, eid, h, True, cnt, tri_cnt, nbr, hops, tri_off, out)
    return Neighbourhoods(m, nbr, hops, tuple(np.ascontiguousarray(a) for a in out), bounds)


__all__ = ["Neighbourhoods", "adjacency", "neighbourhoods"]
