"""Tests of the per-satellite FIFO queues and the job store (spacecompute.sim.queues).

References built here, independently of the code under test:

- a job-by-job simulation with one ``collections.deque`` per satellite (remaining work of the
  head job, capacity used so far in the step), the plain meaning of FIFO at constant rate;
- the previous whole-queue vectorized implementation (one pass over every queued job per step),
  which the engine's results were validated with: the linked-list queues must reproduce it bit
  for bit (same ids in the same order, same fractions exactly).
"""

from __future__ import annotations

import io
from collections import deque

import numpy as np
import pytest

from spacecompute.errors import InputError
from spacecompute.sim.queues import NAT, FifoQueues, JobStore

# --------------------------------------------------------------------------------------------
# references


class DequeQueues:
    """FIFO by simulation: each satellite serves its head job until the step's capacity is used.

    A job starts when capacity is left for it (or it has size 0) and ends when its remaining
    work fits the capacity left; fractions are (work done in the step before the event) /
    capacity. Events are returned in push order (the global sequence of pushes)."""

    def __init__(self, n: int) -> None:
        self.q: list[deque] = [deque() for _ in range(n)]
        self.seq = 0

    def push(self, ids, sats, sizes) -> None:
        for i, s, z in zip(ids, sats, sizes, strict=True):
            self.q[int(s)].append([self.seq, int(i), float(z), False])
            self.seq += 1

    def serve(self, capacity):
        served = np.zeros(len(self.q))
        started, done = [], []
        for s, q in enumerate(self.q):
            c = max(float(capacity[s]), 0.0)
            used = 0.0
            while q:
                job = q[0]
                room = c - used
                frac = used / c if c > 0 else 0.0
                if job[2] <= room:  # finishes in this step
                    if not job[3]:
                        started.append((job[0], job[1], frac))
                    used += job[2]
                    done.append((job[0], job[1], used / c if c > 0 else 0.0))
                    q.popleft()
                    continue
                if room > 0:  # starts or goes on, ends in a later step
                    if not job[3]:
                        started.append((job[0], job[1], frac))
                        job[3] = True
                    job[2] -= room
                    used = c
                break
            served[s] = used
        started.sort()
        done.sort()

        def cols(events):
            return (
                np.array([e[1] for e in events], np.int64),
                np.array([e[2] for e in events], np.float64),
            )

        return (served, *cols(started), *cols(done))


class VectorQueues:
    """The previous implementation: one pass over every queued job per step (O(queue)).

    With one fix: a job that does not finish starts only with capacity > 0 (the start offset
    ``offset - size`` can round an ulp below the service, which started jobs at zero capacity).
    """

    def __init__(self, n: int) -> None:
        self.demand, self.served = np.zeros(n), np.zeros(n)
        self.jobs, self.sat = np.zeros(0, np.int64), np.zeros(0, np.int64)
        self.offset, self.size = np.zeros(0), np.zeros(0)
        self.started = np.zeros(0, bool)

    def push(self, job_ids, sats, sizes) -> None:
        if job_ids.size == 0:
            return
        order = np.argsort(sats, kind="stable")
        s, z = sats[order], sizes[order]
        csum = np.cumsum(z)
        first = np.r_[True, s[1:] != s[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(s.size), 0))
        within = csum - (csum - z)[group_start]
        off = np.empty_like(z)
        off[order] = self.demand[s] + within
        last = np.r_[s[1:] != s[:-1], True]
        self.demand[s[last]] = off[order][last]
        self.jobs = np.concatenate([self.jobs, job_ids])
        self.sat = np.concatenate([self.sat, sats])
        self.offset = np.concatenate([self.offset, off])
        self.size = np.concatenate([self.size, sizes])
        self.started = np.concatenate([self.started, np.zeros(job_ids.size, bool)])

    def serve(self, capacity):
        before = self.served.copy()
        cap = np.maximum(capacity, 0.0)
        self.served = np.where(cap >= self.demand - before, self.demand, before + cap)
        b0, b1, c = before[self.sat], self.served[self.sat], cap[self.sat]
        with np.errstate(divide="ignore", invalid="ignore"):
            newly = ~self.started & (b1 > self.offset - self.size) & (c > 0)
            start = np.clip(np.where(c > 0, (self.offset - self.size - b0) / c, 0.0), 0.0, 1.0)
            done = self.offset <= b1
            end = np.clip(np.where(c > 0, (self.offset - b0) / c, 0.0), 0.0, 1.0)
        newly |= done & ~self.started
        self.started |= newly
        out = (self.served - before, self.jobs[newly], start[newly], self.jobs[done], end[done])
        keep = ~done
        for k in ("jobs", "sat", "offset", "size", "started"):
            setattr(self, k, getattr(self, k)[keep])
        return out


def random_ops(seed: int, n: int, steps: int, integer: bool):
    """A seeded random sequence of pushes and serves on ``n`` satellites.

    ``integer``: sizes and capacities are whole numbers (exact in float64, so every reference
    must agree exactly, ties included); otherwise continuous values. Ids are a random
    permutation, so push order is not id order."""
    rng = np.random.default_rng(seed)
    ids = rng.permutation(steps * 12)
    nxt = 0
    ops = []
    for _ in range(steps):
        m = int(rng.integers(0, 12))
        sats = rng.integers(0, n, m)
        if integer:
            sizes = rng.integers(0, 9, m).astype(np.float64)  # zeros included
            cap = rng.integers(-3, 16, n).astype(np.float64)  # negatives count as 0
        else:
            sizes = rng.uniform(0.0, 10.0, m) * (rng.random(m) > 0.1)  # 10 % zero-size
            # capacities >= 1 (or 0): a fraction's rounding error is about ulp(offset) /
            # capacity, offsets stay below ~1e3, so fractions agree to 1e-12
            cap = rng.uniform(1.0, 20.0, n) * (rng.random(n) > 0.2)
            cap[rng.random(n) < 0.05] = 1e3  # covers the whole queue
        ops.append(("serve", cap))
        ops.append(("push", ids[nxt : nxt + m].astype(np.int64), sats, sizes))
        nxt += m
    ops.append(("serve", np.full(n, 1e6)))  # drain
    return ops


def apply(queues, op):
    if op[0] == "push":
        queues.push(op[1], op[2], op[3])
        return None
    return queues.serve(op[1])


# --------------------------------------------------------------------------------------------
# FifoQueues against the references


@pytest.mark.parametrize("seed", range(6))
def test_integer_sizes_match_deque_simulation_exactly(seed):
    n = 4
    ops = random_ops(seed, n, 80, integer=True)
    q, ref = FifoQueues(n), DequeQueues(n)
    finished = 0
    for op in ops:
        got, want = apply(q, op), apply(ref, op)
        if got is None:
            continue
        served, st_id, st_f, dn_id, dn_f = got
        r_served, r_st_id, r_st_f, r_dn_id, r_dn_f = want
        np.testing.assert_array_equal(served, r_served)
        np.testing.assert_array_equal(st_id, r_st_id)
        np.testing.assert_array_equal(dn_id, r_dn_id)
        np.testing.assert_allclose(st_f, r_st_f, rtol=0, atol=1e-12)
        np.testing.assert_allclose(dn_f, r_dn_f, rtol=0, atol=1e-12)
        finished += dn_id.size
    assert finished == sum(op[1].size for op in ops if op[0] == "push")  # all drained
    assert len(q) == 0
    np.testing.assert_array_equal(q.backlog(), 0.0)


@pytest.mark.parametrize("seed", range(6))
def test_continuous_sizes_match_deque_simulation(seed):
    n = 5
    q, ref = FifoQueues(n), DequeQueues(n)
    total_in = total_out = 0.0
    for op in random_ops(100 + seed, n, 80, integer=False):
        if op[0] == "push":
            total_in += float(op[3].sum())
        got, want = apply(q, op), apply(ref, op)
        if got is None:
            continue
        np.testing.assert_allclose(got[0], want[0], rtol=1e-12, atol=1e-9)
        for a, b in zip(got[1:], want[1:], strict=True):
            if a.dtype.kind == "i":
                np.testing.assert_array_equal(a, b)
            else:
                np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
        total_out += float(got[0].sum())
    # conservation: the drain serves exactly what was admitted (served set to demand)
    np.testing.assert_array_equal(q.served, q.demand)
    assert total_out == pytest.approx(total_in, rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_bit_identical_to_whole_queue_implementation(seed):
    n = 7
    q, ref = FifoQueues(n), VectorQueues(n)
    for op in random_ops(200 + seed, n, 120, integer=bool(seed % 2)):
        got, want = apply(q, op), apply(ref, op)
        if got is None:
            continue
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype
            assert np.array_equal(a, b)  # exact: same order, same bits
        assert np.array_equal(q.served, ref.served)
        assert np.array_equal(q.demand, ref.demand)


def test_hand_built_case():
    # satellite 0: jobs 10 (4), 11 (6), 12 (0); satellite 1: job 20 (5)
    q = FifoQueues(2)
    q.push(np.array([10, 20, 11, 12]), np.array([0, 1, 0, 0]), np.array([4.0, 5.0, 6.0, 0.0]))
    np.testing.assert_array_equal(q.demand, [10.0, 5.0])
    served, st, st_f, dn, dn_f = q.serve(np.array([8.0, 0.0]))
    np.testing.assert_array_equal(served, [8.0, 0.0])
    np.testing.assert_array_equal(st, [10, 11])  # 11 starts at 4/8 of the step
    np.testing.assert_array_equal(st_f, [0.0, 0.5])
    np.testing.assert_array_equal(dn, [10])
    np.testing.assert_array_equal(dn_f, [0.5])
    # next step: 11 has 2 left; with capacity 4 it ends at 2/4, the empty job 12 with it
    served, st, st_f, dn, dn_f = q.serve(np.array([4.0, 10.0]))
    np.testing.assert_array_equal(served, [2.0, 5.0])
    np.testing.assert_array_equal(st, [20, 12])
    np.testing.assert_array_equal(st_f, [0.0, 0.5])
    np.testing.assert_array_equal(dn, [20, 11, 12])
    np.testing.assert_array_equal(dn_f, [0.5, 0.5, 0.5])
    assert len(q) == 0
    # a zero-size job on an empty queue finishes at once, even with no capacity
    q.push(np.array([30]), np.array([1]), np.array([0.0]))
    served, st, _, dn, dn_f = q.serve(np.zeros(2))
    np.testing.assert_array_equal(dn, [30])
    np.testing.assert_array_equal(dn_f, [0.0])
    np.testing.assert_array_equal(st, [30])


def test_many_jobs_growth_and_slot_reuse():
    # more jobs than the initial capacity, pushed and finished in waves: slots are reused
    n = 3
    q, ref = FifoQueues(n), VectorQueues(n)
    rng = np.random.default_rng(7)
    next_id = 0
    for _ in range(30):
        m = int(rng.integers(0, 400))
        ids = np.arange(next_id, next_id + m)
        next_id += m
        sats, sizes = rng.integers(0, n, m), rng.uniform(0, 3, m)
        q.push(ids, sats, sizes)
        ref.push(ids, sats, sizes)
        cap = rng.uniform(0, 300, n)
        for a, b in zip(q.serve(cap), ref.serve(cap), strict=True):
            assert np.array_equal(a, b)
        assert len(q) == ref.jobs.size
    assert next_id > 2048


# --------------------------------------------------------------------------------------------
# checkpoints


def test_state_dict_round_trip_continues_identically():
    n = 6
    ops = random_ops(11, n, 100, integer=False)
    a = FifoQueues(n)
    for op in ops[:101]:
        apply(a, op)
    state = a.state_dict()
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in state.values())
    # through a .npz file, as the checkpointer writes it
    buf = io.BytesIO()
    np.savez(buf, **state)
    buf.seek(0)
    with np.load(buf) as f:
        loaded = {k: f[k] for k in f.files}
    b = FifoQueues(n)
    b.load_state_dict(loaded)
    assert len(b) == len(a) > 0
    for k, v in b.state_dict().items():
        assert np.array_equal(v, state[k]), k
    for op in ops[101:]:
        ra, rb = apply(a, op), apply(b, op)
        if ra is not None:
            for x, y in zip(ra, rb, strict=True):
                assert np.array_equal(x, y)
    # the saved state is a copy: serving did not change it
    assert state["jobs"].size > 0 and not np.array_equal(state["served"], a.served)


def test_state_dict_lists_queue_in_push_order():
    q = FifoQueues(3)
    q.push(np.array([5, 3, 9]), np.array([2, 0, 2]), np.array([1.0, 2.0, 3.0]))
    q.push(np.array([1]), np.array([0]), np.array([4.0]))
    q.serve(np.array([1.0, 0.0, 0.5]))
    s = q.state_dict()
    np.testing.assert_array_equal(s["jobs"], [5, 3, 9, 1])
    np.testing.assert_array_equal(s["sat"], [2, 0, 2, 0])
    np.testing.assert_array_equal(s["offset"], [1.0, 2.0, 4.0, 6.0])
    np.testing.assert_array_equal(s["started"], [True, True, False, False])
    np.testing.assert_array_equal(s["served"], [1.0, 0.0, 0.5])


def test_load_state_dict_rejects_mismatch():
    s = FifoQueues(3).state_dict()
    with pytest.raises(InputError):
        FifoQueues(4).load_state_dict(s)
    bad = dict(s)
    del bad["sat"]
    with pytest.raises(InputError):
        FifoQueues(3).load_state_dict(bad)


# --------------------------------------------------------------------------------------------
# input checks


def test_bad_input_raises_input_error():
    q = FifoQueues(2)
    with pytest.raises(InputError):
        q.push(np.array([0]), np.array([2]), np.array([1.0]))  # satellite out of range
    with pytest.raises(InputError):
        q.push(np.array([0]), np.array([-1]), np.array([1.0]))
    with pytest.raises(InputError):
        q.push(np.array([0]), np.array([0]), np.array([-1.0]))  # negative size
    with pytest.raises(InputError):
        q.push(np.array([0]), np.array([0]), np.array([np.nan]))
    with pytest.raises(InputError):
        q.push(np.array([0, 1]), np.array([0]), np.array([1.0]))  # lengths differ
    with pytest.raises(InputError):
        q.serve(np.ones(3))
    with pytest.raises(InputError):
        FifoQueues(-1)
    assert len(q) == 0 and np.array_equal(q.demand, [0.0, 0.0])  # nothing half-done


def test_serve_empty_and_scalar_capacity():
    q = FifoQueues(3)
    served, st, st_f, dn, dn_f = q.serve(5.0)
    np.testing.assert_array_equal(served, 0.0)
    assert st.dtype == dn.dtype == np.int64 and st.size == dn.size == 0
    assert st_f.dtype == dn_f.dtype == np.float64


# --------------------------------------------------------------------------------------------
# JobStore


def test_job_store_add_grow_defaults_and_round_trip(tmp_path):
    js = JobStore()
    js.stream_to(tmp_path / "parts")
    ids1 = js.add(satellite=np.array([1, 2]), ops=np.array([3.0, 4.0]))
    ids2 = js.add(satellite=np.arange(3000) % 5, bits=np.full(3000, 8.0), cloudy=True)
    np.testing.assert_array_equal(ids1, [0, 1])
    np.testing.assert_array_equal(ids2, np.arange(2, 3002))
    assert js.n == len(js) == js.held == 3002
    np.testing.assert_array_equal(js["ops"][[0, 1, 2]], [3.0, 4.0, 0.0])  # missing columns: 0
    assert np.all(np.asarray(js["start"]) == NAT) and np.all(np.asarray(js["end"]) == NAT)
    assert np.asarray(js["cloudy"]).sum() == 3000 and np.asarray(js["bits"]).sum() == 8.0 * 3000
    js["status"][5] = 2  # writes go to the store; status != 0: finished
    js["end"][np.array([5, 7])] = [50, 70]
    assert js["status"][5] == 2 and js["end"][7] == 70
    js.add_at("ops", np.array([7, 7, 5]), 1.0)  # repeated ids add up; finished job 5 skipped
    assert js["ops"][7] == 2.0 and js["ops"][5] == 0.0
    s = js.state_dict()  # compacts: only the unfinished jobs stay, job 5 is on disk
    assert js.held == 3001 and all(len(s[k]) == 3001 for k in (*js.cols, "ids"))
    with pytest.raises(KeyError, match="job 5"):
        js["end"][5]
    other = JobStore()
    other.stream_to(tmp_path / "parts", resume=True)
    other.load_state_dict(s)
    for k in js.cols:
        assert np.array_equal(np.asarray(other[k]), np.asarray(js[k]))
    other.add(satellite=np.array([9]))
    assert other.n == 3003 and js.n == 3002  # independent copies
    rows = list(other.drain())
    assert len(rows) == 1 and np.array_equal(rows[0]["job_id"], np.arange(3003))
    assert rows[0]["end"][5] == 50 and rows[0]["status"][5] == 2
    other.close()
    assert not (tmp_path / "parts").exists()


def test_job_store_subclass_columns_and_errors(tmp_path):
    class Extra(JobStore):
        _INT = (*JobStore._INT, "restarts")

    js = Extra()
    js.add(satellite=np.array([0, 1]), restarts=np.array([2, 3]))
    np.testing.assert_array_equal(js["restarts"], [2, 3])
    with pytest.raises(InputError):
        js.add(satellite=np.array([0]), no_such_column=np.array([1]))
    with pytest.raises(InputError):
        js.add(satellite=np.array([0, 1]), ops=np.array([1.0, 2.0, 3.0]))
    with pytest.raises(KeyError):
        js["restarts"][np.array([2])]  # never added
    s = js.state_dict()
    s["ops"] = s["ops"][:1]
    with pytest.raises(InputError):
        Extra().load_state_dict(s)
    # a checkpoint whose parts are gone is refused, naming the folder
    js["status"][0] = 1
    s = js.state_dict()
    fresh = Extra()
    fresh.stream_to(tmp_path / "elsewhere", resume=True)
    with pytest.raises(InputError, match="parts"):
        fresh.load_state_dict(s)


def test_job_store_holds_only_unfinished_jobs_and_gives_every_row_back(tmp_path):
    """Jobs arrive in batches and finish out of id order (per-satellite FIFO with random
    service): the store's capacity stays within 1.25 x the peak of (unfinished + batch) (no
    growth with the run's length; status codes held as int8, given back as int64), and the rows drained from the parts (several parts and
    windows) equal a reference table of every job, dtypes included."""
    rng = np.random.default_rng(3)
    js = JobStore()
    js.stream_to(tmp_path / "p", part_rows=700, window_rows=512)
    ref: dict[str, list[np.ndarray]] = {"status": [], "end": [], "ops": [], "satellite": []}
    status = np.zeros(0, np.int64)
    end = np.zeros(0, np.int64)
    worst, peak = 0.0, 0
    for step in range(300):
        m = int(rng.integers(0, 60))
        sats = rng.integers(0, 8, m)
        ops = rng.random(m)
        ids = js.add(satellite=sats, ops=ops)
        ref["ops"].append(ops)
        ref["satellite"].append(sats)
        status = np.r_[status, np.zeros(m, np.int64)]
        end = np.r_[end, np.full(m, NAT)]
        # finish a random set of the held jobs (some satellites stall for long stretches)
        held = js.ids
        stalled = np.asarray(js["satellite"][held]) == step // 50 % 8
        done = held[(rng.random(held.size) < 0.3) & ~stalled]
        js["status"][done] = 1 + done % 2
        js["end"][done] = step
        status[done], end[done] = 1 + done % 2, step
        peak = max(peak, int(np.count_nonzero(status == 0)) + m)
        worst = max(worst, js.cols["status"].size / max(1.25 * peak, 1024))
        if step == 150:
            js.state_dict()  # a checkpoint: flushes a part mid-run, holds the unfinished only
            assert js.held == np.count_nonzero(status == 0)
        assert ids.size == m
    assert worst <= 1.0
    assert js.cols["status"].dtype == np.int8 and js.cols["satellite"].dtype == np.int32
    assert js["status"][js.ids].dtype == np.int64 and np.asarray(js["satellite"]).dtype == np.int64
    assert js.sink.parts > 2  # streamed as it went
    rows = list(js.drain())
    assert len(rows) > 1  # several windows
    got = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    np.testing.assert_array_equal(got["job_id"], np.arange(js.n))
    np.testing.assert_array_equal(got["status"], status)
    np.testing.assert_array_equal(got["end"], end)
    np.testing.assert_array_equal(got["ops"], np.concatenate(ref["ops"]))
    np.testing.assert_array_equal(got["satellite"], np.concatenate(ref["satellite"]))
    assert got["status"].dtype == np.int64 and got["ops"].dtype == np.float64
    assert got["cloudy"].dtype == bool and got["job_id"].dtype == np.int64
    js.close()


def test_part_sink_truncate_to_a_checkpoint(tmp_path):
    """Parts written after a checkpoint's state are removed on resume; the rows given back are
    those of the checkpoint plus what is written again, as if nothing had stopped."""
    from spacecompute.sim.sink import PartSink

    def rows(k: np.ndarray) -> dict[str, np.ndarray]:
        return {"job_id": k, "x": k * 2.0}

    sink = PartSink(tmp_path, key="job_id", part_rows=10, window_rows=8)
    sink.append(rows(np.arange(25)[::-1]))
    sink.flush()
    state = sink.state()
    sink.append(rows(np.arange(25, 60)))  # written after the checkpoint, then killed
    sink.flush()
    again = PartSink(tmp_path, key="job_id", part_rows=10, window_rows=8)
    again.truncate(state)
    assert again.parts == state["parts"] and len(again) == 25
    again.append(rows(np.arange(25, 40)))
    got = list(again.windows())
    assert [len(w["job_id"]) for w in got] == [8, 8, 8, 8, 8]
    k = np.concatenate([w["job_id"] for w in got])
    np.testing.assert_array_equal(k, np.arange(40))
    np.testing.assert_array_equal(np.concatenate([w["x"] for w in got]), np.arange(40) * 2.0)
    again.clear()
    assert not tmp_path.joinpath("part-000000.arrow").exists()


def test_part_sink_keeps_no_view_of_what_it_was_given(tmp_path):
    """The rows a sink keeps past an append are copies: a view of the last part-filling slice
    would keep the caller's whole arrays (a compaction's finished rows) alive until the next
    part is written; changing the given arrays afterwards changes nothing."""
    from spacecompute.sim.sink import PartSink

    sink = PartSink(tmp_path, key="job_id", part_rows=10, window_rows=8)
    given = {"job_id": np.arange(25), "x": np.arange(25) * 2.0}
    sink.append(given)
    assert sink.parts == 2 and len(sink) == 25
    assert not any(np.shares_memory(v, given[k]) for b in sink._buf for k, v in b.items())
    given["x"][:] = -1.0
    got = list(sink.windows())
    np.testing.assert_array_equal(np.concatenate([w["x"] for w in got]), np.arange(25) * 2.0)
    sink.clear()


def test_fifo_reuses_freed_slots_before_new_ones():
    """Memory of the queues: a slot that held a finished job is used again before any slot never
    used, so the slots touched are the peak of jobs queued at once, whatever the capacity."""
    q = FifoQueues(3)
    for _ in range(50):
        q.push(np.arange(40), np.arange(40) % 3, np.ones(40))
        *_, done, _ = q.serve(np.full(3, 100.0))
        assert done.size == 40 and len(q) == 0
    assert q._high == 40 and q._cap >= 1024  # 2,000 jobs went through 40 slots
    q.push(np.arange(2000), np.zeros(2000, np.int64), np.ones(2000))  # grows past the capacity
    assert len(q) == 2000 and q._high == 2000 and q._cap >= 2000
    _, _, _, done, _ = q.serve(np.array([1500.0, 0.0, 0.0]))
    np.testing.assert_array_equal(done, np.arange(1500))
    assert q.queued()["jobs"].tolist() == list(range(1500, 2000))


def test_part_sink_windows_from_its_buffer_equal_those_read_back_from_parts(tmp_path):
    """A sink that wrote no part (a small run) hands its windows back from the buffer, writing
    nothing: the same windows, rows, order and dtypes as after a flush to a part file."""
    from spacecompute.sim.sink import PartSink

    rng = np.random.default_rng(5)
    keys = rng.permutation(30)
    rows = {
        "job_id": keys.astype(np.int64),
        "small": (keys % 7).astype(np.int8),
        "mid": (keys * 3).astype(np.int32),
        "flag": keys % 2 == 0,
        "x": rng.normal(size=30),
    }
    kept = PartSink(tmp_path / "kept", key="job_id", part_rows=100, window_rows=8)
    written = PartSink(tmp_path / "written", key="job_id", part_rows=100, window_rows=8)
    for a, b in ((0, 11), (11, 30)):
        kept.append({k: v[a:b] for k, v in rows.items()})
        written.append({k: v[a:b] for k, v in rows.items()})
    written.flush()
    got, want = list(kept.windows()), list(written.windows())
    assert kept.parts == 0 and not (tmp_path / "kept").exists()
    assert [len(w["job_id"]) for w in got] == [8, 8, 8, 6] == [len(w["job_id"]) for w in want]
    for g, w in zip(got, want, strict=True):
        assert list(g) == list(w)
        for k in w:
            assert g[k].dtype == w[k].dtype, k
            np.testing.assert_array_equal(g[k], w[k])
    assert list(PartSink(tmp_path / "none", key="job_id").windows()) == []


def test_kept_table_is_assembled_when_first_used(tmp_path):
    """A run kept in memory assembles its jobs table from its pieces only when the table is
    first used, then lets its parts go; its columns (dtypes and values: strings, NaN, NaT,
    booleans) equal those of the same pieces written to Parquet and read back; a table never
    used lets its parts go when collected; a table pickles as a plain one."""
    import gc
    import pickle

    from spacecompute.sim import sink
    from spacecompute.table import Table

    def piece(a: int, b: int) -> Table:
        k = np.arange(a, b)
        end = np.where(k % 3 == 0, np.iinfo(np.int64).min, k * 10**9).astype("datetime64[ns]")
        return Table(
            {
                "job_id": k,
                "name": np.array(["", "completed", "dropped"], object)[k % 3],
                "end": end,
                "x": np.where(k % 4 == 0, np.nan, k / 7.0),
                "flag": k % 2 == 0,
            }
        )

    pieces = [piece(0, 5), piece(5, 12)]
    empty = piece(0, 0)
    calls, released = [], []

    def source():
        calls.append(1)
        return iter(pieces)

    lazy = sink.kept_table(source, 12, empty, release=lambda: released.append(1))
    assert len(lazy) == 12 and not calls and "not assembled" in repr(lazy)
    whole = sink.ParquetTable(
        sink.write_table_stream(tmp_path / "whole.parquet", iter(pieces), empty)
    )
    assert lazy.columns == whole.columns and calls == [1] and released == [1]
    for c in whole.columns:
        assert lazy[c].dtype == whole[c].dtype, c
        np.testing.assert_array_equal(lazy[c], whole[c])
    assert calls == [1] and released == [1]  # held once assembled
    again = pickle.loads(pickle.dumps(sink.kept_table(lambda: iter(pieces), 12, empty)))
    assert type(again) is Table
    np.testing.assert_array_equal(again["name"], whole["name"])
    none = sink.kept_table(lambda: iter(()), 0, empty)
    assert none.columns == whole.columns and len(none["job_id"]) == 0
    unread = sink.kept_table(source, 12, empty, release=lambda: released.append(2))
    del unread
    gc.collect()
    assert released == [1, 2] and calls == [1]
    with pytest.raises(RuntimeError, match="12 rows was given 5"):
        sink.kept_table(lambda: iter(pieces[:1]), 12, empty)["job_id"]


def test_part_sink_reads_only_the_columns_asked_for_and_keeps_sorted_rows(tmp_path):
    """``windows(columns)`` gives the key and those columns only, the same values as all of
    them; rows already in key order are written and read in that order (no sort needed), rows
    out of order are sorted, and the windows can be read again."""
    from spacecompute.sim.sink import PartSink

    sink = PartSink(tmp_path, key="job_id", part_rows=10, window_rows=8)
    k = np.r_[np.arange(15), np.arange(15, 30)[::-1]]
    sink.append({"job_id": k, "a": k * 2.0, "b": (k % 5).astype(np.int8)})
    full = list(sink.windows())
    some = list(sink.windows(["b"]))
    assert [list(w) for w in some] == [["job_id", "b"]] * 4
    for f, s in zip(full, some, strict=True):
        np.testing.assert_array_equal(f["job_id"], s["job_id"])
        np.testing.assert_array_equal(f["b"], s["b"])
        assert s["b"].dtype == np.int8
    np.testing.assert_array_equal(np.concatenate([w["job_id"] for w in full]), np.arange(30))
    np.testing.assert_array_equal(np.concatenate([w["a"] for w in full]), np.arange(30) * 2.0)
    sink.clear()


def test_part_sink_refuses_a_checkpoint_of_older_parts(tmp_path):
    """A checkpoint saved with the Parquet parts of an earlier version (no ``format`` in its
    state) cannot be resumed: a clear error naming --resume, not a traceback; one that had
    written no part yet can."""
    from spacecompute.errors import InputError
    from spacecompute.sim.sink import PartSink

    (tmp_path / "part-000000.parquet").write_bytes(b"PAR1")
    sink = PartSink(tmp_path, key="job_id")
    with pytest.raises(InputError, match="another version") as err:
        sink.truncate({"parts": np.asarray(1), "rows": np.asarray(5)})
    assert err.value.problems[0].field == "--resume"
    sink.truncate({"parts": np.asarray(0), "rows": np.asarray(0)})
    assert not list(tmp_path.glob("part-*"))


# ------------------------------------------------------------------ the backlog on disk


def _random_steps(q: FifoQueues, rng: np.random.Generator, steps: int, first_id: int):
    """Serve and push at random (capacities of 0, negative, small and large; sizes of 0 among
    others): every output of every step and the queue's content after it, and the next id."""
    out = []
    n = q.n
    for _ in range(steps):
        cap = rng.choice([0.0, -1.0, 0.5, 3.0, 10.0], size=n) * (rng.random(n) < 0.4)
        res = q.serve(cap)
        out.append([*res, q.done_sats.copy(), *q.queued().values(), np.asarray([len(q)])])
        m = int(rng.integers(0, 12))
        sizes = rng.choice([0.0, 0.3, 1.0, 2.5], size=m)
        q.push(np.arange(first_id, first_id + m), rng.integers(0, n, m), sizes)
        first_id += m
    return out, first_id


def _same_bits(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for u, v in zip(x, y, strict=True):
            assert u.dtype == v.dtype and u.shape == v.shape
            np.testing.assert_array_equal(u.view(np.uint8), v.view(np.uint8))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("compact", [None, "dead", "segments"])
def test_fifo_with_its_backlog_on_disk_serves_bit_identically(tmp_path, seed, compact, monkeypatch):
    """With a budget of a few jobs in memory (the rest on disk, read back when a queue is
    served), every step's started and finished jobs, fractions, satellites and the queued jobs
    are bit for bit those of the queues held in memory; and a checkpoint taken mid-run resumes
    to the same steps: the file it refers to is cut back to the checkpoint's length (records
    appended after it), or kept while compactions write new ones (``compact``: whenever the
    dead records outnumber the live ones, or on every addition that finds a front on disk)."""
    from spacecompute.sim import spill

    if compact == "dead":
        monkeypatch.setattr(spill, "COMPACT_RECORDS", 0)
    elif compact == "segments":
        monkeypatch.setattr(spill, "SEGMENTS_PER_SATELLITE", 0)
    ref, _ = _random_steps(FifoQueues(7), np.random.default_rng(seed), 60, 0)
    for budget in (0, 3):
        folder = tmp_path / f"b{budget}"
        q = FifoQueues(7)
        q.spill_to(folder, budget)
        rng = np.random.default_rng(seed)
        got, next_id = _random_steps(q, rng, 30, 0)
        assert q.spilled > 0 and q.in_memory <= budget
        state = {k: v.copy() for k, v in q.state_dict().items()}
        rng_state = rng.bit_generator.state
        more, _ = _random_steps(q, rng, 30, next_id)
        _same_bits(ref, got + more)
        sp = q._spill
        assert (sp.gen > int(state["spill.gen"])) == (compact is not None)
        assert sp.length > int(state["spill.length"]) or compact  # appended, not rewritten
        # resume from the checkpoint at step 30 (the disk has moved on since)
        again = FifoQueues(7)
        again.spill_to(folder, budget, resume=True)
        again.load_state_dict(state)
        rng.bit_generator.state = rng_state
        resumed, _ = _random_steps(again, rng, 30, next_id)
        _same_bits(ref[30:], resumed)
        again.close()
        assert not folder.exists()


def test_fifo_backlog_on_disk_is_checked_on_resume(tmp_path):
    """A checkpoint whose file of waiting jobs is gone is refused with a clear error."""
    q = FifoQueues(3)
    q.spill_to(tmp_path / "b", 1)
    q.push(np.arange(6), np.array([0, 0, 1, 1, 2, 2]), np.ones(6))
    assert q.spilled >= 5
    state = q.state_dict()
    for f in (tmp_path / "b").glob("*.bin"):
        f.unlink()
    again = FifoQueues(3)
    again.spill_to(tmp_path / "b", 1, resume=True)
    with pytest.raises(InputError, match="missing or incomplete"):
        again.load_state_dict(state)
    with pytest.raises(InputError):
        q.spill_to(None, -1)


def test_fifo_backlog_state_of_an_earlier_version_is_read(tmp_path):
    """The state of the backlog file of earlier versions (each satellite's front one run of
    records at ``pos``, no segment table) resumes the same queues."""
    q = FifoQueues(3)
    q.spill_to(tmp_path / "b", 1)
    q.push(np.arange(6), np.array([2, 0, 1, 0, 2, 1]), np.ones(6))
    state = q.state_dict()
    assert state["spill.seg_sat"].tolist() == [0, 1, 2]  # one segment each: the old layout
    old = {k: v for k, v in state.items() if not k.startswith("spill.seg_")}
    old["spill.pos"] = np.zeros(3, np.int64)
    old["spill.pos"][state["spill.seg_sat"]] = state["spill.seg_pos"]
    again = FifoQueues(3)
    again.spill_to(tmp_path / "b", 1, resume=True)
    again.load_state_dict(old)
    assert again.queued()["jobs"].tolist() == q.queued()["jobs"].tolist() == list(range(6))
    again.close()


def test_job_store_parked_rows_leave_the_store_and_their_completions_are_laid_over(tmp_path):
    """Parked jobs (final but for status and end) leave the store at its next compaction like
    finished rows; their final values, set while held or after they left, and across a
    checkpoint, come back in the drained rows exactly where a store that kept them would have
    them; the store then holds only the jobs neither finished nor parked."""
    rng = np.random.default_rng(5)
    js = JobStore()
    js.stream_to(tmp_path / "p", part_rows=300, window_rows=256)
    status, end = np.zeros(0, np.int64), np.zeros(0, np.int64)
    parked = np.zeros(0, np.int64)
    for step in range(200):
        m = int(rng.integers(0, 40))
        js.add(satellite=rng.integers(0, 8, m), ops=rng.random(m))
        status, end = np.r_[status, np.zeros(m, np.int64)], np.r_[end, np.full(m, NAT)]
        held = js.ids
        pending = held[np.asarray(js["status"][held]) == JobStore.PENDING]
        go = pending[rng.random(pending.size) < 0.3]
        js.park(go)
        parked = np.union1d(parked, go)
        done = parked[rng.random(parked.size) < 0.05]
        parked = np.setdiff1d(parked, done)
        js.set_final(done, status=1, end=step)
        status[done], end[done] = 1, step
        if step == 100:
            state = {k: v.copy() for k, v in js.state_dict().items()}
            assert js.held == np.count_nonzero(status == 0) - parked.size
            js = JobStore()
            js.stream_to(tmp_path / "p", part_rows=300, window_rows=256, resume=True)
            js.load_state_dict(state)
    assert js.completions.parts > 1 and len(parked) > 0
    rows = list(js.drain())
    assert len(rows) > 1
    got = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
    np.testing.assert_array_equal(got["job_id"], np.arange(js.n))
    np.testing.assert_array_equal(got["status"], status)
    np.testing.assert_array_equal(got["end"], end)
    js.close()
    assert not (tmp_path / "p").exists() and not (tmp_path / "p-done").exists()


@pytest.mark.parametrize("n", [0, 5, 128, 1000, 40_003])
def test_column_sum_on_disk_is_numpys_sum_bit_for_bit(monkeypatch, n):
    """The energy column's sum, from pieces spilled to a scratch file and summed by numpy's
    pairwise splits in slices, is ``np.sum`` of the whole column bit for bit (values of many
    magnitudes, where the order of additions shows)."""
    from spacecompute.sim import column_sum

    monkeypatch.setattr(column_sum, "MEMORY_VALUES", 300)
    monkeypatch.setattr(column_sum, "LEAF_VALUES", 64)
    rng = np.random.default_rng(n)
    values = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
    s = column_sum.ColumnSum()
    cuts = np.sort(rng.integers(0, n + 1, 7))
    for piece in np.split(values, cuts):
        s.add(piece)
    on_disk = s._path is not None
    assert on_disk == (n > 300)
    got = s.total()
    assert np.float64(got).tobytes() == np.sum(values).tobytes()
    s.close()
    assert s._path is None
