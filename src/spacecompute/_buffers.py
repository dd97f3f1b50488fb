"""Arrays reused from one time chunk to the next (imports nothing of ours).

A run streams over time chunks whose arrays (look angles, geodetic positions, downlink rates)
take hundreds of MB. Allocating them afresh for every chunk costs more than computing them: on
virtual machines the kernel faults in every fresh page (about 1.3-1.8 ms per MiB here,
docs/benchmarks.md), and glibc returns blocks above its mmap threshold to the system when they
are freed. A :class:`BufferPool` keeps the last arrays of each name and hands one out again only
when nothing else refers to it (its reference count, views included: a numpy view holds its base),
so an array still held by the previous chunk, a forecast or a caller is never overwritten; a
new one is allocated instead. A request shorter along the first axis than a kept array gets a
leading slice of it; a request of another shape beyond the first axis (another run) makes the
pool forget the arrays of that name, so it holds at most ``keep`` chunks' worth of the latest
run (:meth:`BufferPool.clear` forgets everything).
"""

from __future__ import annotations

import sys
import threading

import numpy as np


def _refs(slots: list[np.ndarray], i: int) -> int:
    """References to ``slots[i]`` as counted from here (the list's, the argument's, and any
    holder's)."""
    return sys.getrefcount(slots[i])


def _fits(a: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> bool:
    return a.dtype == dtype and a.shape[1:] == shape[1:] and a.shape[0] >= shape[0]


#: :func:`_refs` of an array that only its list holds, measured once on this interpreter (how
#: it counts the references of a call's arguments is its own business).
_REFS_WHEN_FREE = _refs([np.empty(1)], 0)


class BufferPool:
    """Named reusable arrays (see the module docstring); ``keep`` arrays per name at most."""

    def __init__(self, keep: int = 3) -> None:
        self.keep = int(keep)
        self._slots: dict[str, list[np.ndarray]] = {}
        self._lock = threading.Lock()

    def take(
        self, name: str, shape: tuple[int, ...], dtype: object = np.float64, *, zeroed: bool = False
    ) -> np.ndarray:
        """A C-contiguous array of ``shape`` (at least one axis) that nothing else refers to:
        always a view of a kept array, which the view keeps in use. Uninitialised, or zeros with
        ``zeroed`` (a new array then comes from ``np.zeros``, whose pages the system maps on
        first use, so a sparse array costs only the pages written or read)."""
        shape = tuple(int(s) for s in shape)
        if not shape:
            raise ValueError("a buffer has at least one axis")
        dt = np.dtype(dtype)
        with self._lock:
            slots = self._slots.setdefault(name, [])
            for i in range(len(slots)):
                if _fits(slots[i], shape, dt) and _refs(slots, i) == _REFS_WHEN_FREE:
                    out = slots[i][: shape[0]]
                    if zeroed:
                        out.fill(0)
                    return out
            # arrays of another shape or dtype belonged to another run, and free arrays too short
            # for this request (the new one serves every request they could): forget them; the
            # least recently allocated make room
            kept = [
                i
                for i in range(len(slots))
                if slots[i].dtype == dt
                and slots[i].shape[1:] == shape[1:]
                and (slots[i].shape[0] >= shape[0] or _refs(slots, i) != _REFS_WHEN_FREE)
            ]
            slots[:] = [slots[i] for i in kept]
            del slots[self.keep - 1 :]
            slots.insert(0, (np.zeros if zeroed else np.empty)(shape, dt))
            return slots[0][: shape[0]]

    def clear(self) -> None:
        """Forget every kept array (the memory returns once no caller holds it)."""
        with self._lock:
            self._slots.clear()

    def nbytes(self) -> int:
        """Bytes of the arrays kept."""
        with self._lock:
            return sum(a.nbytes for slots in self._slots.values() for a in slots)


__all__ = ["BufferPool"]
