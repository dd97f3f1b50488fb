"""Per-satellite FIFO queues by cumulative offsets, and the growable job store of a run.

FIFO without a loop over queued jobs (see :mod:`spacecompute.sim.engine` for the idea): every
job gets, at admission, its cumulative-demand offset ``E_j`` within its satellite's queue (the
sum of the demands up to and including ``j``); the satellite keeps its cumulative service
``B_s``; a job is done when ``B_s >= E_j``, its start and end interpolated inside the step at
constant rate (cumulative arrival and service functions of a FIFO server, as in network
calculus: Le Boudec & Thiran, *Network Calculus*, LNCS 2050, Springer 2001, ch. 1). Offsets only grow along a satellite's queue, so the jobs a step finishes are a
*prefix* of that queue.

Storage: the queued jobs live in slots of flat arrays; each satellite's queue is a singly linked
list of slots (``head``, ``tail``, ``next``), and freed slots go back to a free stack. A step
walks, for every satellite, only the prefix of jobs it finishes plus the one job it starts, so
``serve`` costs O(N + finished + started) instead of O(jobs queued) (a numba kernel; with a
growing backlog of 1e6 queued jobs the old whole-queue pass made a run quadratic). Outputs are
returned in push order (a global sequence number per job), exactly the order of a single
concatenated array of queued jobs, so that every sum the engine takes over them is bit-identical.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numba
import numpy as np

from ..errors import InputError

#: Missing timestamp (int64 min is NaT as datetime64[ns]).
NAT = np.iinfo(np.int64).min


# --------------------------------------------------------------------------------------------
# kernels


@numba.njit(cache=True)
def _push_kernel(
    job_ids,
    sats,
    offsets,
    sizes,
    seq0,
    head,
    tail,
    nxt,
    q_job,
    q_off,
    q_size,
    q_started,
    q_seq,
    free,
    n_free,
    high,
):  # pragma: no cover - compiled
    """Append jobs (in the given order) at the tails of their satellites' lists: into freed
    slots first, then the never-used slots from ``high`` on; returns (freed slots left, the new
    ``high``)."""
    for i in range(job_ids.shape[0]):
        if n_free > 0:
            n_free -= 1
            slot = free[n_free]
        else:
            slot = high
            high += 1
        q_job[slot] = job_ids[i]
        q_off[slot] = offsets[i]
        q_size[slot] = sizes[i]
        q_started[slot] = False
        q_seq[slot] = seq0 + i
        nxt[slot] = -1
        s = sats[i]
        t = tail[s]
        if t >= 0:
            nxt[t] = slot
        else:
            head[s] = slot
        tail[s] = slot
    return n_free, high


@numba.njit(cache=True)
def _serve_kernel(
    capacity,
    demand,
    served,
    delta,
    head,
    tail,
    nxt,
    q_job,
    q_off,
    q_size,
    q_started,
    q_seq,
    free,
    n_free,
    st_job,
    st_frac,
    st_seq,
    dn_job,
    dn_frac,
    dn_seq,
    dn_sat,
):  # pragma: no cover - compiled
    """One step of service for every satellite (see :meth:`FifoQueues.serve`).

    Writes the new cumulative service into ``served`` and this step's into ``delta``; records
    started jobs in ``st_*`` and finished ones in ``dn_*`` (grouped by satellite); frees the
    finished slots. Returns (started, finished, free slots). The arithmetic is the one of the
    vectorized reference (same operations in the same order), so results are bit-identical.
    """
    n_st = 0
    n_dn = 0
    for s in range(demand.shape[0]):
        b0 = served[s]
        c = capacity[s]
        if c < 0.0:
            c = 0.0
        dem = demand[s]
        if c >= dem - b0:
            b1 = dem
        else:
            b1 = b0 + c
        served[s] = b1
        delta[s] = b1 - b0
        j = head[s]
        if j < 0:
            continue
        # the finished prefix
        while j >= 0 and q_off[j] <= b1:
            if not q_started[j]:
                f = 0.0
                if c > 0.0:
                    f = (q_off[j] - q_size[j] - b0) / c
                    f = min(max(f, 0.0), 1.0)
                st_job[n_st] = q_job[j]
                st_frac[n_st] = f
                st_seq[n_st] = q_seq[j]
                n_st += 1
            f = 0.0
            if c > 0.0:
                f = (q_off[j] - b0) / c
                f = min(max(f, 0.0), 1.0)
            dn_job[n_dn] = q_job[j]
            dn_frac[n_dn] = f
            dn_seq[n_dn] = q_seq[j]
            dn_sat[n_dn] = s
            n_dn += 1
            k = nxt[j]
            free[n_free] = j
            n_free += 1
            j = k
        head[s] = j
        if j < 0:
            tail[s] = -1
            continue
        # jobs whose service began but did not end: in exact arithmetic only the new head (its
        # successor starts at the head's end offset, above the service); with no capacity no job
        # starts (the start offset ``E - size`` can fall an ulp below the service: no start)
        if not c > 0.0:
            continue
        while j >= 0:
            if q_started[j]:
                j = nxt[j]
                continue
            if not b1 > q_off[j] - q_size[j]:
                break
            q_started[j] = True
            f = (q_off[j] - q_size[j] - b0) / c
            st_job[n_st] = q_job[j]
            st_frac[n_st] = min(max(f, 0.0), 1.0)
            st_seq[n_st] = q_seq[j]
            n_st += 1
            j = nxt[j]
    return n_st, n_dn, n_free


@numba.njit(cache=True)
def _live_slots(head, nxt, slots, sats):  # pragma: no cover - compiled
    """Slot and satellite of every queued job, satellite by satellite in FIFO order; returns
    the count."""
    m = 0
    for s in range(head.shape[0]):
        j = head[s]
        while j >= 0:
            slots[m] = j
            sats[m] = s
            m += 1
            j = nxt[j]
    return m


@numba.njit(cache=True)
def _list_lengths(head, nxt, out):  # pragma: no cover - compiled
    """Jobs in each satellite's list in memory."""
    for s in range(head.shape[0]):
        m = 0
        j = head[s]
        while j >= 0:
            m += 1
            j = nxt[j]
        out[s] = m


@numba.njit(cache=True)
def _detach_kernel(
    chosen,
    head,
    tail,
    nxt,
    q_job,
    q_off,
    q_size,
    q_started,
    q_seq,
    free,
    n_free,
    r_job,
    r_off,
    r_size,
    r_seq,
    r_started,
):  # pragma: no cover - compiled
    """Move the whole lists of the ``chosen`` satellites out (satellite by satellite, FIFO
    order) into the ``r_*`` arrays and free their slots; returns (jobs moved, free slots)."""
    m = 0
    for s in range(head.shape[0]):
        if not chosen[s]:
            continue
        j = head[s]
        while j >= 0:
            r_job[m] = q_job[j]
            r_off[m] = q_off[j]
            r_size[m] = q_size[j]
            r_seq[m] = q_seq[j]
            r_started[m] = q_started[j]
            m += 1
            k = nxt[j]
            free[n_free] = j
            n_free += 1
            j = k
        head[s] = -1
        tail[s] = -1
    return m, n_free


@numba.njit(cache=True)
def _attach_kernel(
    sats,
    counts,
    r_job,
    r_off,
    r_size,
    r_seq,
    r_started,
    head,
    tail,
    nxt,
    q_job,
    q_off,
    q_size,
    q_started,
    q_seq,
    free,
    n_free,
    high,
):  # pragma: no cover - compiled
    """Put each satellite's records (FIFO order) in front of its list in memory; returns (free
    slots left, the new ``high``)."""
    i = 0
    for p in range(sats.shape[0]):
        s = sats[p]
        first = -1
        prev = -1
        for _ in range(counts[p]):
            if n_free > 0:
                n_free -= 1
                slot = free[n_free]
            else:
                slot = high
                high += 1
            q_job[slot] = r_job[i]
            q_off[slot] = r_off[i]
            q_size[slot] = r_size[i]
            q_seq[slot] = r_seq[i]
            q_started[slot] = r_started[i]
            if prev >= 0:
                nxt[prev] = slot
            else:
                first = slot
            prev = slot
            i += 1
        if prev >= 0:
            nxt[prev] = head[s]
            if head[s] < 0:
                tail[s] = prev
            head[s] = first
    return n_free, high


def _in_order(seq: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """``arrays`` reordered by increasing ``seq`` (push order); copies."""
    if seq.size > 1 and not (seq[1:] > seq[:-1]).all():
        order = np.argsort(seq, kind="stable")
        return tuple(a[order] for a in arrays)
    return tuple(a.copy() for a in arrays)


# --------------------------------------------------------------------------------------------
# queues


class FifoQueues:
    """Per-satellite FIFO queues by cumulative offsets (see the module docstring).

    ``n`` satellites. ``demand`` (N,) cumulative demand admitted and ``served`` (N,) cumulative
    service, in the unit of the pushed sizes (ops, bits, ...). ``serve`` returns the jobs it
    starts and finishes in push order.
    """

    _STATE = ("demand", "served", "jobs", "offset", "size", "started", "sat")

    def __init__(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise InputError(f"n = {n!r}", field="n", expected="a whole number of satellites >= 0")
        self.n = int(n)
        self.demand = np.zeros(self.n)
        self.served = np.zeros(self.n)
        self._head = np.full(self.n, -1, np.int64)
        self._tail = np.full(self.n, -1, np.int64)
        self._seq = 0  # sequence number of the next pushed job
        self.done_sats = np.zeros(0, np.int64)  # satellites of the last serve's done jobs
        self._spill: Any = None  # the fronts of queues kept on disk (see spill_to)
        self.budget: int | None = None  # most jobs held in memory (None: no limit)
        self._alloc(0)

    def __repr__(self) -> str:
        return f"FifoQueues(n={self.n}, queued={len(self)})"

    def __len__(self) -> int:
        """Number of jobs queued (not finished) over all satellites, on disk included."""
        return self.in_memory + self.spilled

    @property
    def in_memory(self) -> int:
        """Queued jobs held in memory."""
        return int(self._high - self._n_free)

    @property
    def spilled(self) -> int:
        """Queued jobs kept on disk (see :meth:`spill_to`)."""
        return 0 if self._spill is None else int(self._spill.total)

    # -- the backlog beyond the budget, on disk -----------------------------------------------
    # A satellite's queue is its *front* on disk (sim/spill.py), if any, then its list in
    # memory. When a push leaves more than ``budget`` jobs in memory, the whole lists of the
    # satellites with the most jobs go behind their fronts on disk until half the budget is
    # left. Before a step's service, every satellite whose front the kernel could reach is read
    # back: any capacity (> 0) reaches it, and with none only a job of size 0 ending at the
    # service already reached can finish; the other satellites' lists in memory lie behind their
    # fronts, at offsets the kernel does not reach either (offsets grow along a queue). So the
    # kernel runs on exactly the jobs it would touch with everything in memory.
    def spill_to(self, folder: Any, budget: int | None, *, resume: bool = False) -> None:
        """Keep at most ``budget`` queued jobs in memory (None: no limit), the rest in
        ``folder`` (None: a temporary folder). Without ``resume`` earlier files there are
        removed; with it, :meth:`load_state_dict` finds the one its checkpoint refers to."""
        from .spill import SpillFile

        if budget is not None and (isinstance(budget, bool) or int(budget) < 0):
            raise InputError(f"budget = {budget!r}", field="budget", expected="jobs >= 0")
        if self._spill is not None:
            self._spill.clear()
        self._spill = SpillFile(self.n, folder)
        self.budget = None if budget is None else int(budget)
        if not resume:
            self._spill.reset()

    def close(self) -> None:
        """Let go of every queued job, in memory and on disk (the run is over; ``demand`` and
        ``served`` stay)."""
        if self._spill is not None:
            self._spill.clear()
            self._spill = None
        self._head[:] = -1
        self._tail[:] = -1
        self._alloc(0)

    def _maybe_spill(self) -> None:
        """Past the budget: move the longest lists to disk until half the budget is left."""
        if self.budget is None or self.in_memory <= self.budget:
            return
        if self._spill is None:
            self.spill_to(None, self.budget)
        lengths = np.empty(self.n, np.int64)
        _list_lengths(self._head, self._next, lengths)
        order = np.argsort(-lengths, kind="stable")
        excess = self.in_memory - self.budget // 2
        k = int(np.searchsorted(np.cumsum(lengths[order]), excess)) + 1
        chosen = np.zeros(self.n, bool)
        chosen[order[:k]] = True
        chosen &= lengths > 0
        counts = np.where(chosen, lengths, 0)
        m = int(counts.sum())
        r_job, r_seq = np.empty(m, np.int64), np.empty(m, np.int64)
        r_off, r_size, r_started = np.empty(m), np.empty(m), np.empty(m, bool)
        _, n_free = _detach_kernel(
            chosen, self._head, self._tail, self._next, self._job, self._off, self._size,
            self._started, self._qseq, self._free, np.int64(self._n_free),
            r_job, r_off, r_size, r_seq, r_started,
        )  # fmt: skip
        self._n_free = int(n_free)
        from .spill import RECORD

        records = np.empty(m, RECORD)
        records["job"], records["off"], records["size"] = r_job, r_off, r_size
        records["seq"], records["started"] = r_seq, r_started
        self._spill.add(counts, records)

    def _page_in(self, cap: np.ndarray) -> None:
        """Read back the fronts this step's service could reach (see above)."""
        sp = self._spill
        b0, dem = self.served, self.demand
        c = np.where(cap < 0.0, 0.0, cap)
        with np.errstate(invalid="ignore"):
            b1 = np.where(c >= dem - b0, dem, b0 + c)
            need = (sp.count > 0) & ((c > 0.0) | (sp.first_off <= b1))
        sats = np.flatnonzero(need)
        if sats.size == 0:
            return
        counts, records = sp.take(sats)
        m = int(counts.sum())
        self._reserve(m)
        n_free, high = _attach_kernel(
            sats.astype(np.int64), counts, np.ascontiguousarray(records["job"]),
            np.ascontiguousarray(records["off"]), np.ascontiguousarray(records["size"]),
            np.ascontiguousarray(records["seq"]), records["started"].astype(bool),
            self._head, self._tail, self._next, self._job, self._off, self._size,
            self._started, self._qseq, self._free, np.int64(self._n_free), np.int64(self._high),
        )  # fmt: skip
        self._n_free, self._high = int(n_free), int(high)

    # -- slot storage -------------------------------------------------------------------------
    # Memory: slots ``[0, _high)`` have been used, the ones above never (a push writes every
    # field of a slot before it is read), and the free stack holds only slots freed by
    # ``serve``. Arrays are allocated with ``np.empty`` and never filled, so the capacity not
    # yet used costs address space, not memory (the system maps a page on its first write):
    # the queues hold about 49 bytes per job at their peak, whatever the doubling.
    def _alloc(self, cap: int) -> None:
        """Empty slot storage of ``cap`` slots (none used yet)."""
        self._cap = int(cap)
        self._next = np.empty(cap, np.int64)
        self._job = np.empty(cap, np.int64)
        self._off = np.empty(cap)
        self._size = np.empty(cap)
        self._started = np.empty(cap, bool)
        self._qseq = np.empty(cap, np.int64)
        self._free = np.empty(cap, np.int64)  # stack of freed slots, popped from its end
        self._n_free = 0
        self._high = 0  # slots from here on were never used
        self._work(cap)

    def _work(self, cap: int) -> None:
        """Output buffers of ``serve``: a step starts or finishes only queued jobs, so at most
        ``cap`` of each."""
        self._st_job = np.empty(cap, np.int64)
        self._st_frac = np.empty(cap)
        self._st_seq = np.empty(cap, np.int64)
        self._dn_job = np.empty(cap, np.int64)
        self._dn_frac = np.empty(cap)
        self._dn_seq = np.empty(cap, np.int64)
        self._dn_sat = np.empty(cap, np.int64)

    def _reserve(self, m: int) -> None:
        """Make room for ``m`` more jobs (capacity doubles, amortized O(1) per job; the new
        half is not touched, see above)."""
        if m <= self._n_free + self._cap - self._high:
            return
        old, used = self._cap, self._high
        new = max(used + m - self._n_free, 2 * old, 1024)

        def grow(a: np.ndarray, keep: int) -> np.ndarray:
            b = np.empty(new, a.dtype)
            b[:keep] = a[:keep]
            return b

        self._next = grow(self._next, used)
        self._job = grow(self._job, used)
        self._off = grow(self._off, used)
        self._size = grow(self._size, used)
        self._started = grow(self._started, used)
        self._qseq = grow(self._qseq, used)
        self._free = grow(self._free, self._n_free)
        self._cap = new
        self._work(new)

    # -- public interface ---------------------------------------------------------------------
    def backlog(self) -> np.ndarray:
        """Demand admitted but not yet served, per satellite (N,), a new array."""
        return self.demand - self.served

    def push(self, job_ids: np.ndarray, sats: np.ndarray, sizes: np.ndarray) -> None:
        """Append jobs (given in FIFO order) to their satellites' queues.

        ``job_ids`` (m,) integer ids, ``sats`` (m,) satellite indices in ``[0, n)``, ``sizes``
        (m,) demands >= 0 (finite). Jobs of one satellite keep their order in the call.
        """
        job_ids = np.asarray(job_ids)
        if job_ids.size == 0:
            return
        job_ids = job_ids.astype(np.int64, copy=False).reshape(-1)
        sats = np.asarray(sats).reshape(-1)
        sizes = np.asarray(sizes, dtype=np.float64).reshape(-1)
        if not sats.size == sizes.size == job_ids.size:
            raise InputError(
                f"push of {job_ids.size} ids, {sats.size} satellites, {sizes.size} sizes",
                field="push",
                expected="arrays of one length",
            )
        if sats.dtype.kind not in "iu":
            raise InputError(f"satellites of dtype {sats.dtype}", field="sats", expected="integers")
        sats = sats.astype(np.int64, copy=False)
        if sats.min() < 0 or sats.max() >= self.n:
            raise InputError(
                f"satellite indices {sats.min()}..{sats.max()}",
                field="sats",
                expected=f"indices in [0, {self.n})",
            )
        if not (sizes >= 0.0).all() or not np.isfinite(sizes).all():
            raise InputError(
                "a job size is negative, infinite or NaN", field="sizes", expected=">= 0"
            )
        if job_ids.size == 1:  # one job (most pushes of a small fleet): the same sums
            z0 = sizes[0]
            off = self.demand[sats] + (z0 - (z0 - z0))
            self.demand[sats] = off
        else:
            off = self._offsets(sats, sizes)
        self._reserve(job_ids.size)
        self._push(job_ids, sats, off, sizes, self._seq)
        self._seq += int(job_ids.size)
        self._maybe_spill()

    def _offsets(self, sats: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """The jobs' cumulative end offsets in their satellites' queues, the demand totals
        moved to the last of them."""
        # cumulative offsets within each satellite's group (stable: FIFO order kept)
        order = np.argsort(sats, kind="stable")
        s, z = sats[order], sizes[order]
        csum = np.cumsum(z)
        step = s[1:] != s[:-1]
        first = np.concatenate(((True,), step))
        group_start = np.maximum.accumulate(np.where(first, np.arange(s.size), 0))
        before = csum - z
        within = csum - before[group_start]  # cumulative inside the satellite's group
        off = np.empty_like(z)
        off[order] = self.demand[s] + within
        last = np.concatenate((step, (True,)))
        self.demand[s[last]] = off[order][last]  # the last offset is the new demand total
        return off

    def _push(
        self, jobs: np.ndarray, sats: np.ndarray, off: np.ndarray, sizes: np.ndarray, seq: int
    ) -> None:
        """Append ``jobs`` at the tails of their satellites' lists (slots: freed ones first)."""
        n_free, high = _push_kernel(
            jobs, sats, off, sizes, np.int64(seq), self._head, self._tail, self._next, self._job,
            self._off, self._size, self._started, self._qseq, self._free,
            np.int64(self._n_free), np.int64(self._high),
        )  # fmt: skip
        self._n_free, self._high = int(n_free), int(high)

    def serve(
        self, capacity: np.ndarray, job_sat: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Serve up to ``capacity`` (N,) per satellite (negative counts as 0).

        Returns (served this step (N,), started ids, start fractions, done ids, end fractions),
        ids in push order (the done jobs' satellites are :attr:`done_sats` afterwards); fractions of the step in [0, 1] at constant rate (0 where the
        capacity is 0, e.g. a job of size 0 at the head finishes at once). When the capacity
        covers a queue, its service is set to the demand total exactly (no rounding residue).
        ``job_sat`` (jobs' satellites) is accepted for compatibility and not needed: each
        queue knows its jobs.
        """
        cap = np.asarray(capacity, dtype=np.float64)
        if cap.shape != (self.n,):
            if cap.ndim != 0:
                raise InputError(
                    f"capacity has shape {cap.shape}", field="capacity", expected=f"({self.n},)"
                )
            cap = np.full(self.n, float(cap))
        cap = np.ascontiguousarray(cap)
        if self.spilled:
            self._page_in(cap)
        delta = np.empty(self.n)
        n_st, n_dn, n_free = _serve_kernel(
            cap,
            self.demand,
            self.served,
            delta,
            self._head,
            self._tail,
            self._next,
            self._job,
            self._off,
            self._size,
            self._started,
            self._qseq,
            self._free,
            np.int64(self._n_free),
            self._st_job,
            self._st_frac,
            self._st_seq,
            self._dn_job,
            self._dn_frac,
            self._dn_seq,
            self._dn_sat,
        )
        self._n_free = int(n_free)
        st_job, st_frac = _in_order(self._st_seq[:n_st], self._st_job[:n_st], self._st_frac[:n_st])
        dn_job, dn_frac, self.done_sats = _in_order(
            self._dn_seq[:n_dn], self._dn_job[:n_dn], self._dn_frac[:n_dn], self._dn_sat[:n_dn]
        )
        return delta, st_job, st_frac, dn_job, dn_frac

    def queued(self) -> dict[str, np.ndarray]:
        """The queued jobs in push order: ``jobs`` ids, ``sat``, ``offset`` (cumulative end
        offsets), ``size``, ``started`` (whether service began), on disk included."""
        out = self._queued_in_memory()
        if self.spilled:
            sats = np.flatnonzero(self._spill.count)
            counts, rec = self._spill.peek(sats)
            disk = {
                "jobs": rec["job"].copy(),
                "sat": np.repeat(sats.astype(np.int64), counts),
                "offset": rec["off"].copy(),
                "size": rec["size"].copy(),
                "started": rec["started"].astype(bool),
                "seq": rec["seq"].copy(),
            }
            order = np.argsort(np.concatenate((out["seq"], disk["seq"])), kind="stable")
            out = {k: np.concatenate((out[k], disk[k]))[order] for k in out}
        del out["seq"]
        return out

    def _queued_in_memory(self) -> dict[str, np.ndarray]:
        """The jobs of the lists in memory in push order, with their ``seq``."""
        m = self.in_memory
        slots = np.empty(m, np.int64)
        sats = np.empty(m, np.int64)
        _live_slots(self._head, self._next, slots, sats)
        order = np.argsort(self._qseq[slots], kind="stable")
        slots, sats = slots[order], sats[order]
        return {
            "jobs": self._job[slots],
            "sat": sats,
            "offset": self._off[slots],
            "size": self._size[slots],
            "started": self._started[slots],
            "seq": self._qseq[slots],
        }

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the queues' state (numpy arrays only, for checkpoints): ``demand``,
        ``served`` (N,), the jobs in memory (as :meth:`queued`, with their ``seq``), and the
        fronts on disk by reference (``spill.*``: the file is kept until the next checkpoint)."""
        out = {"demand": self.demand.copy(), "served": self.served.copy()}
        out.update(self._queued_in_memory())
        out["next_seq"] = np.asarray(self._seq)
        if self._spill is not None and (self.spilled or self._spill.gen >= 0):
            out.update({"spill." + k: v for k, v in self._spill.state().items()})
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved (into queues of the same ``n``)."""
        missing = [k for k in self._STATE if k not in state]
        if missing:
            raise InputError(
                f"queue state lacks {', '.join(missing)}",
                field="state",
                expected="a FifoQueues.state_dict()",
            )
        demand = np.array(state["demand"], dtype=np.float64)
        served = np.array(state["served"], dtype=np.float64)
        if demand.shape != (self.n,) or served.shape != (self.n,):
            raise InputError(
                f"queue state for {demand.shape} satellites", field="state", expected=f"({self.n},)"
            )
        jobs = np.asarray(state["jobs"], dtype=np.int64).reshape(-1)
        m = jobs.size
        cols = {k: np.asarray(state[k]).reshape(-1) for k in ("sat", "offset", "size", "started")}
        if any(a.size != m for a in cols.values()):
            raise InputError("queue state columns differ in length", field="state")
        sats = cols["sat"].astype(np.int64)
        if m and (sats.min() < 0 or sats.max() >= self.n):
            raise InputError("queue state has satellite indices out of range", field="state")
        self.demand, self.served = demand, served
        self._head = np.full(self.n, -1, np.int64)
        self._tail = np.full(self.n, -1, np.int64)
        self._alloc(max(m, 1024))
        self._seq = 0
        if m:
            off, size = cols["offset"].astype(np.float64), cols["size"].astype(np.float64)
            self._push(jobs, sats, off, size, 0)
            # the kernel filled slots in order 0, 1, ...: slot i holds the i-th job
            self._started[:m] = cols["started"].astype(bool)
            self._seq = m
            if "seq" in state:  # the sequence numbers the jobs on disk are ordered with
                self._qseq[:m] = np.asarray(state["seq"], np.int64).reshape(-1)
        if "next_seq" in state:
            self._seq = int(state["next_seq"])
        spill = {k[len("spill.") :]: v for k, v in state.items() if k.startswith("spill.")}
        if spill:
            if self._spill is None:
                self.spill_to(None, self.budget, resume=True)
            self._spill.load(spill)
        elif self._spill is not None:
            self._spill.reset()


# --------------------------------------------------------------------------------------------
# job store


class _Column:
    """Column ``name`` of a :class:`JobStore`, indexed by job ids (an int or an array of them):
    ``store["end"][ids]`` reads, ``store["end"][ids] = v`` writes. ``np.asarray`` of it gives
    the held jobs' values in id order (a copy)."""

    __slots__ = ("_name", "_store")

    def __init__(self, store: JobStore, name: str) -> None:
        self._store, self._name = store, name

    def __getitem__(self, ids: Any) -> np.ndarray:
        a = self._store.cols[self._name][self._store.slots(ids)]
        return a.astype(self._store.dtype(self._name), copy=False)

    def __setitem__(self, ids: Any, values: Any) -> None:
        self._store.cols[self._name][self._store.slots(ids)] = values

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self._store.cols[self._name][: self._store.held]
        return np.array(a, dtype=self._store.dtype(self._name) if dtype is None else dtype)

    def __len__(self) -> int:
        return self._store.held


class JobStore:
    """The run's *unfinished* jobs as a struct of arrays; finished ones stream to a sink.

    Columns: floats ``_FLOAT``, integers ``_INT`` (``start`` and ``end`` are ns since 1970,
    :data:`NAT` when missing), and ``cloudy`` (bool). Subclasses add columns by extending
    ``_FLOAT`` / ``_INT``. Job ids are 0, 1, 2, ... in the order of :meth:`add`; ``store[col]``
    is the column indexed by job id (see :class:`_Column`), for held jobs only.

    A job is *finished* once its ``status`` is not :attr:`PENDING` (0): its row is final (the
    engines write nothing to it after that). Finished rows leave the store for its sink
    (a :class:`~spacecompute.sim.sink.PartSink`, see :meth:`stream_to`; a temporary folder
    when none was given) by *compaction*: when an :meth:`add` finds the store full, the
    finished rows are moved out and the unfinished ones moved to the front in id order, and
    the capacity becomes 1.25 x what they fill if they fill more than four fifths of it (or
    less than an eighth: it shrinks after a backlog). A compaction costs O(rows held) and is
    followed by at least a quarter as many additions before the next one: amortised O(1) per
    job, and the store holds at most ``1.25 x (unfinished jobs + one batch)`` rows at their
    peak (:attr:`MIN_ROWS` at least). Integer columns are stored as narrow as their values
    need (:attr:`_NARROW`: satellite indices, status and reason codes; 107 instead of 137 bytes
    a row for the Earth-observation store) and read, drained and checkpointed as int64, so
    nothing outside the store sees the difference. Held ids are sorted, so a job's row is
    found by binary search. Checkpoints
    (:meth:`state_dict`) compact and flush first: the state holds only unfinished jobs and the
    parts on disk hold every finished one. :meth:`drain` gives every job back in id order.

    *Parked* jobs (:meth:`park`): unfinished jobs whose row is final but for the columns set
    when they finish (an Earth-observation result waiting for its downlink: ``status``, ``end``,
    ``station``). They leave the store at the next compaction like finished rows (written as
    pending), and :meth:`set_final` records their final values then as *completions*: a second
    sink of (id, those columns), laid over the rows window by window by :meth:`drain`. A waiting
    result then costs no memory in the store (107 bytes a row before); the table is the same.
    """

    _FLOAT: tuple[str, ...] = (
        "ops",
        "bits",
        "result_bytes",
        "lat_deg",
        "lon_deg",
        "energy_j",
        "bytes_out",
    )
    _INT: tuple[str, ...] = ("satellite", "arrival", "start", "end", "status", "reason")
    _BOOL: tuple[str, ...] = ("cloudy",)
    _NAT_COLUMNS = ("start", "end")
    #: Columns only a job in flight needs: not written to the sink, not in :meth:`drain`'s
    #: windows (the job table is made of the others; a part is a copy of the rows it holds).
    _IN_FLIGHT: tuple[str, ...] = ()
    #: Integer columns held narrower than int64 (their values always fit): storage dtype.
    _NARROW: ClassVar[dict[str, Any]] = {
        "satellite": np.int32,
        "status": np.int8,
        "reason": np.int8,
    }
    #: ``status`` of a job that is not finished.
    PENDING = 0
    #: ``status`` of a held parked job (see :meth:`park`; written out as :attr:`PENDING`).
    PARKED = -1
    #: The key column of the rows handed to the sink.
    KEY = "job_id"
    #: Smallest capacity (rows) the store grows to.
    MIN_ROWS = 1024

    def __init__(self) -> None:
        self.n = 0  # jobs added (ids 0 .. n-1)
        self.held = 0  # rows held: slots 0 .. held-1, ids ascending
        self.cols: dict[str, np.ndarray] = {k: np.zeros(0) for k in self._FLOAT}
        self.cols.update({k: np.zeros(0, self._NARROW.get(k, np.int64)) for k in self._INT})
        self.cols.update({k: np.zeros(0, bool) for k in self._BOOL})
        self._ids = np.zeros(0, np.int64)
        self._sink: Any = None
        self._done: Any = None  # completions of parked jobs (see :meth:`set_final`)

    def __len__(self) -> int:
        """Number of jobs added so far (held or written)."""
        return self.n

    def __repr__(self) -> str:
        return f"{type(self).__name__}(jobs={self.n}, held={self.held})"

    def dtype(self, key: str) -> np.dtype:
        """The dtype column ``key`` is read, drained and checkpointed as (int64 for an integer
        column held narrower)."""
        return np.dtype(np.int64) if key in self._NARROW else self.cols[key].dtype

    def _rows(
        self, select: Any, *, wide: bool = True, finished: bool = False
    ) -> dict[str, np.ndarray]:
        """The held rows ``select`` (a slice or mask of ``[0, held)``), ``KEY`` first, every
        column in its read dtype (``wide``) or as held (copies); ``finished``: without the
        :attr:`_IN_FLIGHT` columns (the rows that go to the sink)."""
        h = self.held
        view = isinstance(select, slice)  # (a mask gives a new array: not copied again)
        out = {self.KEY: self._ids[:h][select].astype(np.int64, copy=view)}
        for k, a in self.cols.items():
            if finished and k in self._IN_FLIGHT:
                continue
            out[k] = a[:h][select].astype(self.dtype(k) if wide else a.dtype, copy=view)
        return out

    def _widened(self, windows: Any) -> Any:
        """The sink's windows (rows as held: narrow integer columns) in the read dtypes."""
        for w in windows:
            yield {
                k: v.astype(self.dtype(k), copy=False) if k in self._NARROW else v
                for k, v in w.items()
            }

    # -- the sink -----------------------------------------------------------------------------
    @property
    def sink(self) -> Any:
        """Where finished rows go (a temporary :class:`~spacecompute.sim.sink.PartSink` unless
        :meth:`stream_to` named a folder)."""
        if self._sink is None:
            from .sink import PartSink

            self._sink = PartSink(None, key=self.KEY)
        return self._sink

    @property
    def completions(self) -> Any:
        """Where the final values of parked jobs that left the store go (a sink beside
        :attr:`sink`: ``<folder>-done`` or a temporary folder)."""
        if self._done is None:
            from .sink import PartSink

            self._done = PartSink(None, key=self.KEY, window_rows=self.sink.window_rows)
        return self._done

    def stream_to(self, folder: Any, *, resume: bool = False, **options: Any) -> None:
        """Stream finished rows to part files in ``folder`` (None: a temporary folder), the
        completions of parked jobs to ``<folder>-done``. Without ``resume`` earlier parts there
        are removed; with it, :meth:`load_state_dict` keeps the parts its checkpoint covers.
        ``options``: of :class:`~spacecompute.sim.sink.PartSink`."""
        from pathlib import Path

        from .sink import PartSink

        for old in (self._sink, self._done):
            if old is not None:
                old.clear()
        self._sink = PartSink(folder, key=self.KEY, **options)
        done = None if folder is None else Path(folder).with_name(Path(folder).name + "-done")
        self._done = PartSink(done, key=self.KEY, **options)
        if not resume:
            self._sink.reset()
            self._done.reset()

    # -- rows ---------------------------------------------------------------------------------
    def slots(self, ids: Any) -> np.ndarray:
        """Rows of the held jobs ``ids`` (an int or an integer array); a KeyError for an id
        that is not held (finished and written, or never added)."""
        ids = np.asarray(ids)
        if ids.dtype.kind not in "iu":
            raise TypeError(f"job ids of dtype {ids.dtype}, expected integers")
        if ids.size == 0:  # most steps finish or start nothing on most columns
            return np.empty(ids.shape, np.intp)
        held = self._ids[: self.held]
        s = held.searchsorted(ids)
        if not self.held or s.max() >= self.held or not (held[s] == ids).all():
            found = held[np.minimum(s, max(self.held - 1, 0))] if self.held else held[:0]
            ok = (s < self.held) & (found == ids) if self.held else np.zeros(ids.shape, bool)
            bad = np.atleast_1d(ids)[~np.atleast_1d(ok)][0]
            raise KeyError(f"job {bad} is not held (finished and written, or never added)")
        return s

    def __getitem__(self, key: str) -> _Column:
        """Column ``key``, indexed by job ids (reads and writes go to the store)."""
        if key not in self.cols:
            raise KeyError(key)
        return _Column(self, key)

    @property
    def ids(self) -> np.ndarray:
        """Ids of the held jobs, ascending (a copy)."""
        return self._ids[: self.held].copy()

    def add_at(self, key: str, ids: np.ndarray, values: Any) -> None:
        """``np.add.at`` on column ``key`` at jobs ``ids``: repeated ids add up; ids of finished
        jobs are skipped (their rows are final)."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        values = np.broadcast_to(np.asarray(values), ids.shape)
        held = self._ids[: self.held]
        s = np.minimum(np.searchsorted(held, ids), max(self.held - 1, 0))
        ok = (held[s] == ids) if self.held else np.zeros(ids.shape, bool)
        ok[ok] &= self.cols["status"][s[ok]] == self.PENDING
        np.add.at(self.cols[key], s[ok], values[ok])

    def park(self, ids: np.ndarray) -> None:
        """Park the jobs ``ids`` that are held and pending (others are left as they are): their
        rows are final but for the columns :meth:`set_final` will set; they leave the store at
        the next compaction (see the class docstring). :meth:`add_at` skips them from now on, as
        it skips finished jobs, so the caller parks only jobs it will not add to."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if ids.size == 0 or self.held == 0:
            return
        held = self._ids[: self.held]
        s = np.minimum(np.searchsorted(held, ids), self.held - 1)
        s = s[held[s] == ids]
        s = s[self.cols["status"][s] == self.PENDING]
        self.cols["status"][s] = self.PARKED

    def set_final(self, ids: np.ndarray, **values: Any) -> None:
        """Final values (column -> (m,) or scalar; ``status`` among them) of parked jobs
        ``ids``: written into the rows still held, recorded as completions for the others (laid
        over their rows by :meth:`drain`). Ids of held jobs that are not parked are written as
        by ``store[col][ids] = values``; every id must be held or parked."""
        ids = np.asarray(ids, np.int64).reshape(-1)
        if ids.size == 0:
            return
        held = self._ids[: self.held]
        s = np.minimum(np.searchsorted(held, ids), max(self.held - 1, 0))
        here = (held[s] == ids) if self.held else np.zeros(ids.shape, bool)
        full = {k: np.broadcast_to(np.asarray(v), ids.shape) for k, v in values.items()}
        for k, v in full.items():
            self.cols[k][s[here]] = v[here]
        if not here.all():
            gone = ~here
            rows = {self.KEY: ids[gone]}
            rows.update({k: v[gone].astype(self.cols[k].dtype) for k, v in full.items()})
            self.completions.append(rows)

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append jobs: column name -> (m,) values (missing columns get 0, ``start``/``end``
        :data:`NAT`); returns their ids (m,)."""
        if not values:
            raise InputError("no columns given", field="add", expected="column=values")
        unknown = sorted(set(values) - set(self.cols))
        if unknown:
            raise InputError(
                f"unknown job column(s) {', '.join(unknown)}",
                field="add",
                expected=", ".join(self.cols),
            )
        arrays = {k: np.asarray(v) for k, v in values.items()}
        lengths = {len(v) for v in arrays.values() if v.ndim == 1}
        if len(lengths) != 1:
            raise InputError(
                f"job columns of lengths {sorted(lengths)}",
                field="add",
                expected="(m,) arrays of one length (scalars are broadcast)",
            )
        m = lengths.pop()
        for k, v in arrays.items():
            if v.shape != (m,) and v.ndim != 0:
                raise InputError(f"column {k} has shape {v.shape}", field=k, expected=f"({m},)")
        self._make_room(m)
        start, need = self.held, self.held + m
        for k, a in self.cols.items():
            if k in arrays:
                a[start:need] = arrays[k]
            elif k in self._NAT_COLUMNS:
                a[start:need] = NAT
            else:
                a[start:need] = 0
        ids = np.arange(self.n, self.n + m, dtype=np.int64)
        self._ids[start:need] = ids
        self.held = need
        self.n += m
        return ids

    def _make_room(self, m: int) -> None:
        """Room for ``m`` more rows: compact when full, grow when still more than four fifths
        full (by a quarter: a backlog of millions of unfinished jobs is not doubled)."""
        cap = self._ids.size
        if self.held + m <= cap:
            return
        self.compact()
        need = self.held + m
        if 5 * need > 4 * cap or (8 * need < cap and cap > self.MIN_ROWS):
            self._resize(max(need + need // 4, self.MIN_ROWS))  # grow, or shrink after a backlog

    def _resize(self, new: int) -> None:
        """Capacity ``new`` rows, the held rows kept. One column at a time, each old column let
        go before the next is copied: at most one column is held twice (a copy of the whole
        store beside the old one was 2 x 107 bytes a row at the peak of a backlogged run)."""
        h = self.held
        for k in list(self.cols):
            b = np.empty(new, self.cols[k].dtype)
            b[:h] = self.cols[k][:h]
            self.cols[k] = b  # the old column is freed here (nothing else refers to it)
        ids = np.empty(new, np.int64)
        ids[:h] = self._ids[:h]
        self._ids = ids

    def compact(self) -> int:
        """Move the finished rows to the sink and the unfinished ones to the front (id order
        kept); returns the rows moved out. O(rows held)."""
        h = self.held
        done = self.cols["status"][:h] != self.PENDING
        n_done = int(np.count_nonzero(done))
        if n_done == 0:
            return 0
        rows = self._rows(done, wide=False, finished=True)  # narrow columns too
        self.sink.append(self._unparked(rows))
        keep = ~done
        live = h - n_done
        for a in (*self.cols.values(), self._ids):
            a[:live] = a[:h][keep]
        self.held = live
        return n_done

    def _unparked(self, rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """``rows`` (copies) with parked jobs written as pending (their row as it is now)."""
        status = rows["status"]
        status[status == self.PARKED] = self.PENDING
        return rows

    def _completed(self, windows: Any, columns: Any) -> Any:
        """The sink's windows with the completions of parked jobs laid over their rows (those
        of ``columns``, None: all)."""
        with_done = self._done is not None and len(self._done)
        done = self._done.windows(columns) if with_done else iter(())
        w_rows = self.sink.window_rows
        patch = next(done, None)
        for w in windows:
            key = w[self.KEY]
            while (
                patch is not None and key.size and patch[self.KEY][0] // w_rows <= key[0] // w_rows
            ):
                pid = patch[self.KEY]
                pos = np.minimum(np.searchsorted(key, pid), key.size - 1)
                if pid[0] // w_rows != key[0] // w_rows or not (key[pos] == pid).all():
                    raise RuntimeError("a completion of a job that is not in the table")
                for k, v in patch.items():
                    if k != self.KEY and k in w:
                        w[k][pos] = v
                patch = next(done, None)
            yield w
        if patch is not None:
            raise RuntimeError("a completion of a job that is not in the table")

    def drain(self, columns: Any = None) -> Any:
        """Every job added, finished or not, window by window in id order (dicts of the
        columns, but the :attr:`_IN_FLIGHT` ones, and ``job_id``, see
        :meth:`PartSink.windows`); the store is empty afterwards. ``columns``: only these (and
        ``job_id``; what is read of the parts is only these). The windows can be drained again
        (the rows stay in the sink) until :meth:`close`."""
        h = self.held
        if h:
            out = {self.KEY: self._ids[:h]}  # views of the held rows, not a copy
            out.update({k: a[:h] for k, a in self.cols.items() if k not in self._IN_FLIGHT})
            self._unparked(out)  # (in place: the store is emptied here)
            self.held = 0
            self._resize(0)  # the sink holds the rows it has not written yet
            self.sink.append(out)
        self.held = 0
        self._resize(0)
        return self._widened(self._completed(self.sink.windows(columns), columns))

    def empty_rows(self) -> dict[str, np.ndarray]:
        """No rows: the columns of :meth:`drain`'s windows, of length 0."""
        out = {self.KEY: np.zeros(0, np.int64)}
        out.update({k: np.zeros(0, self.dtype(k)) for k in self.cols if k not in self._IN_FLIGHT})
        return out

    def close(self) -> None:
        """Remove the sink's part files (after :meth:`drain`'s table is written)."""
        for sink in (self._sink, self._done):
            if sink is not None:
                sink.clear()

    # -- checkpoints --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """The unfinished jobs (copies) and how far the sink got, for checkpoints: compacts and
        flushes first, so that the parts on disk hold every finished job."""
        self.compact()
        self.sink.flush()
        self.completions.flush()
        out = self._rows(slice(None))
        out["ids"] = out.pop(self.KEY)
        out["added"] = np.asarray(self.n)
        out.update({"sink." + k: v for k, v in self.sink.state().items()})
        out.update({"done." + k: v for k, v in self.completions.state().items()})
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved (the sink's parts written after it are
        removed)."""
        missing = [k for k in (*self.cols, "ids", "added") if k not in state]
        if missing:
            raise InputError(
                f"job state lacks column(s) {', '.join(missing)}",
                field="state",
                expected="a JobStore.state_dict()",
            )
        ids = np.array(state["ids"], dtype=np.int64).reshape(-1)
        h = ids.size
        cols = {}
        for k, a in self.cols.items():
            cols[k] = np.array(state[k], dtype=a.dtype, copy=True).reshape(-1)
            if len(cols[k]) != h:
                raise InputError(
                    f"job column {k} has {len(cols[k])} rows, expected {h}", field="state"
                )
        added = int(state["added"])
        if h and (np.any(ids[1:] <= ids[:-1]) or ids[0] < 0 or ids[-1] >= added):
            raise InputError("job state ids are not ascending job ids", field="state")
        sink = {k[len("sink.") :]: v for k, v in state.items() if k.startswith("sink.")}
        if sink:
            self.sink.truncate(sink)
        done = {k[len("done.") :]: v for k, v in state.items() if k.startswith("done.")}
        if done:
            self.completions.truncate(done)
        else:  # a checkpoint of a version without parked jobs
            self.completions.reset()
        self.cols, self._ids, self.held, self.n = cols, ids, h, added
        self._make_room(0)


__all__ = ["NAT", "FifoQueues", "JobStore"]
