"""The orbital-cloud inference service (sim/service.py) and its policies (scheduling/service.py).

Conservation laws over whole runs, hand-built decisions with a known right answer, closed forms
(Lindley recursion of the service kernel, energy per operation, EDF window capacities, +Grid
neighbourhoods, elevation against the access module), determinism, chunk invariance and resume
after a kill. Runs are short (1 to 2 minutes of simulated time) to keep the file fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from spacecompute.astro.constants import SPEED_OF_LIGHT_M_S
from spacecompute.errors import InputError
from spacecompute.scheduling.service import (
    SERVICE_POLICIES,
    DeadlineAware,
    EnergyAware,
    IslOffload,
    NearestVisible,
    Optimising,
    ServiceView,
    get_service_policy,
    place_least_completion,
    window_capacity_ops,
)
from spacecompute.sim.service import ServiceConfig, run_service
from spacecompute.table import Table

POLICIES = sorted(SERVICE_POLICIES)
TOKYO = Table(
    {
        "name": np.array(["Tokyo"], dtype=object),
        "lat_deg": np.array([35.69]),
        "lon_deg": np.array([139.69]),
        "population": np.array([1.0]),
    }
)
# a short run over Starlink shell 1 from the 40 largest cities
BASE = {"duration_s": 90.0, "rate_per_s_global": 120.0, "top_cities": 40, "chunk_steps": 4}


@pytest.fixture(scope="module")
def runs():
    """One short run per policy (shared by the conservation tests)."""
    return {p: run_service(ServiceConfig(policy=p, **BASE)) for p in POLICIES}


def _tables_equal(a: Table, b: Table) -> bool:
    if list(a) != list(b):
        return False
    for k in a:
        x, y = np.asarray(a[k]), np.asarray(b[k])
        if x.dtype.kind == "M":  # NaT != NaT: compare the integers
            x, y = x.view(np.int64), y.view(np.int64)
        if x.dtype.kind == "f":
            if not np.array_equal(x, y, equal_nan=True):
                return False
        elif not np.array_equal(x, y):
            return False
    return True


def _results_equal(r1, r2) -> bool:
    same = all(
        _tables_equal(getattr(r1, t), getattr(r2, t)) for t in ("jobs", "steps", "satellites")
    )
    s1 = {k: v for k, v in r1.summary.items() if k != "wall_time_s"}
    s2 = {k: v for k, v in r2.summary.items() if k != "wall_time_s"}
    return same and s1 == s2


# ------------------------------------------------------------------ conservation


@pytest.mark.parametrize("policy", POLICIES)
def test_every_request_ends_exactly_once(runs, policy):
    r = runs[policy]
    j, s = r.jobs, r.summary
    status = j["status"]
    completed, dropped, pending = (status == x for x in ("completed", "dropped", "pending"))
    assert np.all(completed | dropped | pending)
    assert s["jobs_total"] == len(j) > 500
    assert s["jobs_completed"] == completed.sum() == r.steps["jobs_completed"].sum()
    assert s["jobs_dropped"] == dropped.sum() == r.steps["jobs_dropped"].sum()
    assert s["jobs_pending"] == pending.sum()
    # an end time and a reason exactly where the request ended
    assert not np.isnat(j["end"][completed | dropped]).any()
    assert np.isnat(j["end"][pending]).all()
    assert np.all(j["drop_reason"][dropped] != "") and np.all(j["drop_reason"][~dropped] == "")
    assert set(j["drop_reason"][dropped]) <= {"no_satellite", "no_capacity", "deadline", "fault"}
    # causality: arrival <= ready <= start <= end of compute <= delivery
    c = completed
    assert np.all(j["ready"][c] >= j["arrival"][c])
    assert np.all(j["start"][c] >= j["ready"][c])
    assert np.all(j["compute_end"][c] >= j["start"][c])
    assert np.all(j["end"][c] >= j["compute_end"][c])
    # exact latency and the on-time flag against the objective
    lat = (j["end"][c] - j["arrival"][c]) / np.timedelta64(1, "s")
    np.testing.assert_array_equal(j["latency_s"][c], lat)
    assert np.all(np.isnan(j["latency_s"][~c]))
    np.testing.assert_array_equal(j["on_time"][c], j["end"][c] <= j["deadline"][c])
    assert not j["on_time"][~c].any()
    assert s["jobs_on_time"] == int(j["on_time"].sum())
    # rejected requests are dropped at their arrival and ran nowhere
    rejected = j["satellite"] < 0
    assert np.all(dropped[rejected])
    np.testing.assert_array_equal(j["end"][rejected], j["arrival"][rejected])
    assert np.all(j["energy_j"][rejected] == 0)


@pytest.mark.parametrize("policy", POLICIES)
def test_bits_balance(runs, policy):
    """Input bits that arrived = processed + dropped + backlog; output bits delivered = outputs
    of the completed requests; each checked against the jobs table (independent bookkeeping)."""
    r = runs[policy]
    st, j = r.steps, r.jobs
    completed = j["status"] == "completed"
    pending = j["status"] == "pending"
    captured = st["bits_captured"].sum()
    assert captured == pytest.approx(8 * j["bytes_in"].sum(), rel=1e-12)
    assert captured == pytest.approx(
        st["bits_processed"].sum() + st["bits_dropped"].sum() + st["backlog_bits"][-1], rel=1e-12
    )
    assert st["bits_processed"].sum() == pytest.approx(8 * j["bytes_in"][completed].sum())
    assert st["backlog_bits"][-1] == pytest.approx(8 * j["bytes_in"][pending].sum())
    assert st["bits_downlinked"].sum() == pytest.approx(8 * j["bytes_out"].sum(), rel=1e-12)
    assert np.all(j["bytes_out"][~completed] == 0)
    # ISL bytes: input per hop once admitted, output per hop once delivered; the per-link
    # totals, the steps and the summary carry the same bytes
    ran = j["satellite"] >= 0
    expected = (j["bytes_in"] + j["bytes_out"]) * j["isl_hops"]
    np.testing.assert_allclose(j["isl_bytes"], np.where(ran, expected, 0.0))
    assert r.trace["isl_bytes"].sum() == pytest.approx(j["isl_bytes"].sum(), rel=1e-12)
    assert st["isl_bytes"].sum() == pytest.approx(j["isl_bytes"].sum(), rel=1e-12)
    assert r.summary["isl_bytes"] == pytest.approx(st["isl_bytes"].sum(), rel=1e-12)
    # user links: the same bytes through the access satellites
    user = np.bincount(
        j["access_satellite"][ran],
        weights=(j["bytes_in"] + j["bytes_out"])[ran],
        minlength=len(r.satellites),
    )
    np.testing.assert_allclose(r.satellites["user_bytes"], user, rtol=1e-12)


@pytest.mark.parametrize("policy", POLICIES)
def test_energy_balance_per_satellite(runs, policy):
    """Per satellite: payload energy drawn (fleet) = idle + unused budget + the jobs' energy
    (the jobs table's energy_j summed by serving satellite); and the satellites' total equals
    the steps' compute power x dt."""
    r = runs[policy]
    sat, j = r.satellites, r.jobs
    ran = j["satellite"] >= 0
    per_sat = np.bincount(j["satellite"][ran], weights=j["energy_j"][ran], minlength=len(sat))
    np.testing.assert_allclose(
        sat["energy_j"],
        sat["energy_idle_j"] + sat["energy_waste_j"] + per_sat,
        rtol=1e-9,
        atol=1e-6,
    )
    assert sat["energy_j"].sum() == pytest.approx(
        r.steps["compute_power_w"].sum() * r.summary["step_s"], rel=1e-12
    )
    assert r.summary["energy_compute_j"] == pytest.approx(sat["energy_j"].sum(), rel=1e-12)
    assert per_sat.sum() > 0


def test_energy_per_operation_closed_form(runs):
    """Without faults a request costs ops x (P_max - P_idle) / peak: two Jetson AGX Orin 64GB
    (60 W max, 7 W idle, 42.6 TFLOP/s fp16 each, NVIDIA data sheet DS-10662-001) per
    starlink-v1 satellite; throttling slows work and power alike, so the ratio holds."""
    r = runs["deadline-aware"]
    assert r.summary["reboots"] == 0 and r.summary["faults_detected"] == 0
    j = r.jobs
    joule_per_op = (2 * 60.0 - 2 * 7.0) / (2 * 4.26e13)
    np.testing.assert_allclose(j["energy_j"], j["ops_done"] * joule_per_op, rtol=1e-9, atol=1e-9)
    done = j["status"] == "completed"
    np.testing.assert_array_equal(j["ops_done"][done], j["ops"][done])


# ------------------------------------------------------------------ hand-built decisions


def _view(**overrides) -> ServiceView:
    """One city (index 0) with two candidate satellites (N = 2) and three requests."""
    peak = 8.52e13
    base = {
        "step_index": 0,
        "time_ns": 0,
        "dt_s": 10.0,
        "arrival_s": np.array([0.0, 1.0, 2.0]),
        "city": np.zeros(3, np.int64),
        "ops": np.full(3, 0.1 * peak),
        "input_bits": np.full(3, 32e3),
        "output_bits": np.full(3, 4e3),
        "deadline_s": np.array([5.0, 6.0, 7.0]),
        "cand_ptr": np.array([0, 2]),
        "cand_sat": np.array([0, 1]),
        "cand_access": np.array([0, 1]),
        "cand_hops": np.array([0, 0]),
        "cand_delay_s": np.array([0.002, 0.003]),
        "cand_elevation_deg": np.array([80.0, 40.0]),
        "backlog_ops": np.zeros(2),
        "capacity_ops_per_s": np.array([peak, peak]),
        "sunlit": np.ones(2),
        "state_of_charge": np.ones(2),
        "thermal_throttle": np.ones(2),
        "peak_ops_per_s": peak,
        "uplink_bps": 10e6,
        "downlink_bps": 100e6,
        "isl_bps": 100e9,
        "latency_objective_s": 5.0,
        "max_isl_hops": 1,
    }
    base.update(overrides)
    return ServiceView(**base)


@dataclass
class _Forecast:
    step_index: int
    times_ns: np.ndarray
    sunlit: np.ndarray
    capacity_ops_per_s: np.ndarray
    demand: np.ndarray
    cand_city: tuple
    cand_sat: tuple
    cand_hops: tuple
    cand_delay_s: tuple
    size_sample_ops: np.ndarray


class _Predictor:
    """A predictor that says the view's situation lasts (for the optimising policy)."""

    def __init__(self, view: ServiceView, demand_per_step: float, sizes=None) -> None:
        self.view = view
        self.demand = demand_per_step
        self.sizes = np.asarray(view.ops if sizes is None else sizes, dtype=float)

    def forecast(self, step_index: int, n_steps: int) -> _Forecast:
        v = self.view
        rep = lambda a: tuple(np.asarray(a) for _ in range(n_steps))  # noqa: E731
        return _Forecast(
            step_index,
            np.arange(n_steps, dtype=np.int64),
            np.tile(v.sunlit, (n_steps, 1)),
            np.tile(v.capacity_ops_per_s, (n_steps, 1)),
            np.full((n_steps, 1), self.demand),
            rep(np.zeros(v.cand_sat.size, np.int64)),
            rep(v.cand_sat),
            rep(v.cand_hops),
            rep(v.cand_delay_s),
            self.sizes,
        )


def _optimising(view: ServiceView, demand: float = 3.0, sizes=None, **options) -> Optimising:
    p = Optimising(**options)
    p.prepare(_Predictor(view, demand, sizes))
    return p


def test_a_satellite_in_eclipse_with_an_empty_battery_is_not_chosen():
    """Satellite 0 is overhead (80 deg) but in eclipse with its battery at the shedding level
    (no capacity); satellite 1 (40 deg) is sunlit. Every policy that looks at power picks 1;
    nearest-visible, blind to power, picks 0 (so the test can tell them apart)."""
    view = _view(
        capacity_ops_per_s=np.array([0.0, 8.52e13]),
        sunlit=np.array([0.0, 1.0]),
        state_of_charge=np.array([0.2, 0.9]),
    )
    for policy in (EnergyAware(), IslOffload(), DeadlineAware(), _optimising(view)):
        np.testing.assert_array_equal(policy.decide(view).satellite, [1, 1, 1])
    np.testing.assert_array_equal(NearestVisible().decide(view).satellite, [0, 0, 0])
    # and with no visible satellite able to compute, energy-aware rejects instead of queueing
    dark = _view(capacity_ops_per_s=np.zeros(2), sunlit=np.zeros(2))
    np.testing.assert_array_equal(EnergyAware().decide(dark).satellite, [-1, -1, -1])


def test_a_deadline_only_isl_offload_can_meet():
    """The only visible satellite (0) has 100 s of work queued; its idle neighbour (1) is one
    ISL hop away. Nearest-visible sends the request to 0 (delivered after ~100 s, past its
    5 s deadline); isl-offload and deadline-aware send it to 1, whose expected delivery is the
    closed form light + transfers + compute + light + transfers."""
    peak = 8.52e13
    view = _view(
        arrival_s=np.array([0.5]),
        city=np.zeros(1, np.int64),
        ops=np.array([0.5 * peak]),
        input_bits=np.array([32e3]),
        output_bits=np.array([4e3]),
        deadline_s=np.array([5.5]),
        cand_hops=np.array([0, 1]),
        cand_delay_s=np.array([0.002, 0.0045]),
        backlog_ops=np.array([100.0 * peak, 0.0]),
    )
    assert NearestVisible().decide(view).satellite.tolist() == [0]
    assert IslOffload().decide(view).satellite.tolist() == [1]
    assert DeadlineAware().decide(view).satellite.tolist() == [1]
    sat, done = place_least_completion(view, admit=True)
    expected = 0.5 + 0.0045 + 32e3 / 10e6 + 32e3 / 100e9 + 0.5 + 0.0045 + 4e3 / 100e6 + 4e3 / 100e9
    assert sat.tolist() == [1]
    assert done[0] == pytest.approx(expected, rel=1e-12)
    # on satellite 0 it would be delivered after the 100 s backlog: far past the deadline
    only_0 = _view(**{**view.__dict__, "cand_ptr": np.array([0, 1]), "cand_sat": np.array([0])})
    sat0, done0 = place_least_completion(only_0, admit=False)
    assert sat0.tolist() == [0] and done0[0] > 100.0 > view.deadline_s[0]
    # with admission control the hopeless request is rejected rather than queued
    assert DeadlineAware().decide(only_0).satellite.tolist() == [-1]


def test_least_completion_sees_the_load_of_earlier_requests_of_the_step():
    """Three equal requests, two idle equal satellites: the kernel's Lindley estimate puts the
    second on the other satellite and the third behind the first (a causal, sequential
    join-the-shortest-queue)."""
    peak = 8.52e13
    view = _view(
        arrival_s=np.zeros(3),
        ops=np.full(3, 2.0 * peak),
        deadline_s=np.full(3, 50.0),
        cand_elevation_deg=np.array([60.0, 60.0]),
        cand_delay_s=np.array([0.003, 0.003]),
    )
    sat, done = place_least_completion(view, admit=False)
    assert sat.tolist() == [0, 1, 0]
    assert done[2] - done[0] == pytest.approx(2.0, rel=1e-12)


def _place_reference(
    a,
    c,
    ops,
    in_b,
    out_b,
    dl,
    cls,
    active,
    ptr,
    sat,
    hops,
    delay,
    allowed,
    free_at,
    speed,
    until,
    limit,
    up,
    down,
    isl,
    admit,
    fallback,
    two,
    rnd,
):
    """The least-completion placement written out plainly (every feasible entry listed, then
    compared), for the compiled kernel's skips to be checked against."""
    out_sat, out_done = np.full(a.size, -1), np.full(a.size, np.inf)
    for i in range(a.size):
        if not active[i]:
            continue
        best, best_w, best_end = np.inf, -1, 0.0
        for attempt in (0, 1):
            if attempt == 1 and not fallback:
                break
            ok = [j for j in range(ptr[c[i]], ptr[c[i] + 1])
                  if (attempt == 1 or allowed[j, cls[i]]) and speed[sat[j]] > 0.0]  # fmt: skip
            if not ok:
                continue
            if two and len(ok) > 2:
                x, y = int(rnd[i, 0] * len(ok)), int(rnd[i, 1] * (len(ok) - 1))
                y += y >= x
                ok = [ok[min(x, y)], ok[max(x, y)]]
            for j in ok:
                w = sat[j]
                if ops[i] > limit[w]:
                    continue
                start = max(a[i] + delay[j] + in_b[i] / up + hops[j] * in_b[i] / isl, free_at[w])
                end = start + ops[i] / speed[w]
                done = end + delay[j] + out_b[i] / down + hops[j] * out_b[i] / isl
                if end <= until[w] and done < best:
                    best, best_w, best_end = done, w, end
            if best_w >= 0 and (not admit or best <= dl[i]):
                break
        if best_w >= 0 and not (admit and best > dl[i]):
            free_at[best_w] = best_end
            out_sat[i], out_done[i] = best_w, best
    return out_sat, out_done


@pytest.mark.parametrize("admit, fallback, two", [(True, True, False), (False, True, False),
                                                  (True, False, False), (False, True, True)])  # fmt: skip
def test_placement_kernel_equals_the_written_out_placement(admit, fallback, two):
    """Random steps (cities with shared candidates, busy, idle and dark satellites, request
    classes, power and price limits, equal delays for ties): the kernel's satellites, delivery
    times and free-at estimates equal the written-out placement's bit for bit."""
    from spacecompute._parallel import read_only
    from spacecompute.scheduling.service import _place_kernel

    rng = np.random.default_rng(11)
    for _ in range(5):
        n, n_city, m = 30, 6, 400
        counts = rng.integers(0, 9, n_city)
        ptr = np.r_[0, np.cumsum(counts)].astype(np.int64)
        sat = np.concatenate([np.sort(rng.choice(n, k, replace=False)) for k in counts])
        k = sat.size
        hops = rng.integers(0, 3, k)
        delay = rng.choice([0.002, 0.003, 0.004], k)
        allowed = rng.random((k, 2)) < 0.7
        speed = np.where(rng.random(n) < 0.2, 0.0, rng.choice([1e13, 2e13], n))
        free_at = rng.choice([0.0, 0.5, 3.0], n)
        until = np.where(rng.random(n) < 0.2, 4.0, np.inf)
        limit = np.where(rng.random(n) < 0.2, 1e13, np.inf)
        a = np.sort(rng.uniform(0, 10, m))
        args = (a, rng.integers(0, n_city, m), rng.choice([1e12, 5e12, 2e13], m),
                rng.choice([8e3, 32e3], m), rng.choice([4e3, 8e3], m), a + 5.0,
                rng.integers(0, 2, m), rng.random(m) < 0.95, ptr, sat, hops, delay, allowed)  # fmt: skip
        rnd = rng.random((m, 2))
        f1, f2 = free_at.copy(), free_at.copy()
        want = _place_reference(*args, f1, speed, until, limit, 10e6, 100e6, 100e9, admit,
                                fallback, two, rnd)  # fmt: skip
        got_sat, got_done = np.empty(m, np.int64), np.empty(m)
        ro = [read_only(x) for x in (speed, until, limit)]  # as the policy passes them
        _place_kernel(*map(read_only, args), f2, *ro, 10e6, 100e6, 100e9, admit, fallback, two,
                      rnd, got_sat, got_done)  # fmt: skip
        np.testing.assert_array_equal(got_sat, want[0])
        np.testing.assert_array_equal(got_done, want[1])
        np.testing.assert_array_equal(f2, f1)
        assert (got_sat >= 0).sum() > m // 4


def test_power_of_two_choices_compares_two_candidates():
    view = _view(
        cand_ptr=np.array([0, 2]),
        backlog_ops=np.array([0.0, 50 * 8.52e13]),
        deadline_s=np.full(3, 500.0),
    )
    # two candidates only: both are compared, so the idle one wins as with full information
    assert IslOffload(choices=2).decide(view).satellite.tolist() == [0, 0, 0]
    with pytest.raises(InputError):
        IslOffload(choices=3)


def test_optimising_prices_out_large_requests_when_overloaded():
    """One satellite; the workload is half small (0.04 or 0.06 s of the payload's peak) and
    half large (2 or 4 s) requests, two size classes of means 0.05 and 3 s. With 20 expected
    requests per 10 s step the large class cannot all be served (0.5 + 30 s of work against
    15 s of capacity up to the last deadline), so it is the marginal class: its bid price caps
    a request near the class mean (3 s, raised slightly by the LP's latency term: closed form
    from the LP's optimality conditions). The 4 s request, which deadline-aware admits, is
    refused; small ones and a 2 s one are taken. With 2 expected requests nothing is priced."""
    peak = 8.52e13
    sizes = np.array([0.04, 0.06, 2.0, 4.0]) * peak
    ops = np.array([0.05, 0.05, 4.0, 0.05]) * peak
    view = _view(
        arrival_s=np.array([0.0, 0.1, 0.2, 0.3]),
        city=np.zeros(4, np.int64),
        ops=ops,
        input_bits=np.full(4, 32e3),
        output_bits=np.full(4, 4e3),
        deadline_s=np.array([0.0, 0.1, 0.2, 0.3]) + 5.0,
        cand_ptr=np.array([0, 1]),
        cand_sat=np.array([0]),
        cand_access=np.array([0]),
        cand_hops=np.array([0]),
        cand_delay_s=np.array([0.002]),
        cand_elevation_deg=np.array([70.0]),
        backlog_ops=np.zeros(1),
        capacity_ops_per_s=np.array([peak]),
        sunlit=np.ones(1),
        state_of_charge=np.ones(1),
        thermal_throttle=np.ones(1),
    )
    assert DeadlineAware().decide(view).satellite.tolist() == [0, 0, 0, 0]
    opt = _optimising(view, demand=20.0, sizes=sizes, n_classes=2)
    plan = opt.plan(view)
    assert opt.last_lp["status"] == 0
    # the marginal class has zero reduced cost: pi = U / ops_q - eps (2 light + U / rate) / L
    unit = sizes.mean()
    price = unit / (3.0 * peak) - 0.01 * (2 * 0.002 + unit / peak) / 5.0
    assert plan["ops_limit"][0] == pytest.approx(unit / price, rel=1e-6)
    assert opt.decide(view).satellite.tolist() == [0, 0, -1, 0]
    two = _view(**{**view.__dict__, "ops": np.array([0.05, 0.05, 2.0, 0.05]) * peak})
    assert opt.decide(two).satellite.tolist() == [0, 0, 0, 0]
    relaxed = _optimising(view, demand=2.0, sizes=sizes, n_classes=2)
    assert np.isinf(relaxed.plan(view)["ops_limit"][0])
    assert relaxed.decide(view).satellite.tolist() == [0, 0, 0, 0]


def test_window_capacity_closed_form():
    """Constant rate r: the window of arrival steps a..b reaches from a dt to (b + 1) dt + L."""
    rate = np.full((1, 3), 2.0)
    a, b, cap = window_capacity_ops(rate, 10.0, 5.0, 3)
    assert list(zip(a.tolist(), b.tolist(), strict=True)) == [
        (0, 0),
        (0, 1),
        (0, 2),
        (1, 1),
        (1, 2),
        (2, 2),
    ]
    np.testing.assert_allclose(cap[:, 0], 2.0 * ((b + 1 - a) * 10.0 + 5.0))
    # a satellite dark in step 1 loses that step's 10 s in every window that covers it
    rate = np.array([[1.0], [0.0], [1.0], [1.0], [1.0]])
    _, _, cap = window_capacity_ops(rate, 10.0, 5.0, 2)
    np.testing.assert_allclose(cap[:, 0], [10.0, 15.0, 5.0])


# ------------------------------------------------------------------ the engine's kernels and geometry


def test_service_kernel_is_the_lindley_recursion():
    """One satellite, speed 1 op/s, jobs in order with ready times: start = max(ready, previous
    end), end = start + size; the budget and the step end stop the server mid-job."""
    from spacecompute.sim.service import _serve

    ready = np.array([0.0, 1.0, 1.5, 6.0, 7.0])
    size = np.array([2.0, 1.0, 0.5, 3.0, 5.0])
    outcome, start, end, done, used, in_prog = _serve(
        np.zeros(5, np.int64),
        ready,
        size,
        np.full(5, 1e9),
        np.ones(1),
        np.full(1, 7.0),
        10.0,
        False,
    )
    # by hand: [0,2], [2,3], [3,3.5], [6,9] (6.5 s busy); job 4 starts at 9 and the busy
    # budget (7 s) is used up at 9.5, before the step ends at 10: 0.5 ops done, 4.5 left
    np.testing.assert_allclose(start, [0.0, 2.0, 3.0, 6.0, 9.0])
    np.testing.assert_allclose(end[:4], [2.0, 3.0, 3.5, 9.0])
    assert outcome.tolist() == [1, 1, 1, 1, 0]
    assert done[4] == pytest.approx(0.5) and used[0] == pytest.approx(7.0)
    assert in_prog[0] == 4
    # expiry: a job that cannot start before its expiry is dropped then; with drop_early one
    # that would end after it is dropped when it would start
    outcome, _, end, done, _, _ = _serve(
        np.zeros(3, np.int64),
        np.zeros(3),
        np.array([4.0, 4.0, 1.0]),
        np.array([10.0, 6.0, 5.0]),
        np.ones(1),
        np.full(1, 10.0),
        10.0,
        True,
    )
    assert outcome.tolist() == [1, 2, 1]
    np.testing.assert_allclose(end, [4.0, 4.0, 5.0])
    outcome, _, end, done, _, _ = _serve(
        np.zeros(2, np.int64),
        np.zeros(2),
        np.array([4.0, 4.0]),
        np.array([10.0, 6.0]),
        np.ones(1),
        np.full(1, 10.0),
        10.0,
        False,
    )
    assert outcome.tolist() == [1, 2] and end[1] == pytest.approx(6.0)
    assert done[1] == pytest.approx(2.0)  # ran 4 -> 6, then the client gave up


def test_plus_grid_neighbourhoods_match_breadth_first_search():
    """Hop counts of the static neighbourhoods equal unweighted shortest paths over the +Grid
    graph (scipy), and the path lengths of one instant equal the sum of the links used."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import shortest_path

    from spacecompute.astro.constellation import walker
    from spacecompute.network.topology import pair_geometry
    from spacecompute.sim.service import _Isl

    # 12 planes of 12: every link (30 deg apart) clears the 80 km grazing altitude
    const = walker(total=144, planes=12, phasing=1, altitude_km=550, inclination_deg=53)
    isl = _Isl(const, 2)
    n = len(const)
    adj = csr_matrix((np.ones(len(isl.pairs)), (isl.pairs[:, 0], isl.pairs[:, 1])), shape=(n, n))
    hops = shortest_path(adj, directed=False, unweighted=True)
    assert isl.m == 13  # self, 4 at one hop, 8 at two on a torus grid
    for v in range(n):
        nb = isl.nbr[v][isl.nbr[v] >= 0]
        assert sorted(nb.tolist()) == sorted(np.flatnonzero(hops[v] <= 2).tolist())
        np.testing.assert_array_equal(isl.hops[v][isl.nbr[v] >= 0], hops[v][nb])
    eph = const.propagate("2026-01-01T00:00:00Z", 0.0, 60.0, "j2")
    dist, ok = pair_geometry(eph.r_ecef_m[0], isl.pairs)
    length, pred, edge = isl.paths(dist, ok)
    src = np.arange(n).repeat(isl.m)
    path = isl.walk_edges(src, np.tile(np.arange(isl.m), n), pred, edge)  # (n M, 2)
    total = np.where(path >= 0, dist[np.maximum(path, 0)], 0.0).sum(axis=1).reshape(n, isl.m)
    valid = isl.nbr >= 0
    # each path is a chain of links from the source to the neighbour
    ends = isl.pairs[np.maximum(path, 0)]  # (n M, 2, 2)
    two = (path >= 0).all(axis=1)
    first, second = ends[two, 0], ends[two, 1]
    target = isl.nbr.reshape(-1)[two]
    assert np.all((first == target[:, None]).any(axis=1))  # walked back from the neighbour
    assert np.all((second == src[two][:, None]).any(axis=1))  # ... to the source
    share = (first[:, :, None] == second[:, None, :]).any(axis=(1, 2))
    assert np.all(share)  # the two links meet at a satellite
    assert np.all(ok) and np.isfinite(length[valid]).all()
    np.testing.assert_allclose(total[valid], length[valid], rtol=1e-12)
    # one hop: the link's own length
    one = isl.hops == 1
    v_idx = np.nonzero(one)[0]
    key = {tuple(sorted(p)): e for e, p in enumerate(isl.pairs.tolist())}
    e_idx = [key[tuple(sorted((v, w)))] for v, w in zip(v_idx, isl.nbr[one], strict=True)]
    np.testing.assert_allclose(length[one], dist[e_idx], rtol=1e-15)
    hop_count = (path >= 0).sum(axis=1).reshape(n, isl.m)
    np.testing.assert_array_equal(hop_count[valid], isl.hops[valid])


def test_user_elevation_matches_the_access_module():
    from spacecompute.astro.access import look_angles
    from spacecompute.astro.ground import cities, stations_from_latlon
    from spacecompute.scenario.build import preset_constellation
    from spacecompute.sim.service import _Users

    table = cities(top=5)
    users = _Users(table)
    const = preset_constellation("starlink-shell1")
    eph = const.propagate("2026-01-01T00:00:00Z", 0.0, 60.0, "j2")
    el, rng = users.look(eph.r_ecef_m[0], np.arange(5))
    st = stations_from_latlon(table["lat_deg"], table["lon_deg"])
    el_ref, _, rng_ref = look_angles(eph.r_ecef_m[0], st)
    np.testing.assert_allclose(el, el_ref, atol=1e-7)
    np.testing.assert_allclose(rng, rng_ref, rtol=1e-9)


# ------------------------------------------------------------------ runs


def test_eclipsed_satellites_are_not_chosen_in_a_run(runs):
    """Over a run, the satellites energy-aware, isl-offload, deadline-aware and optimising
    choose are sunlit when the request arrives (the starlink-v1 battery sheds compute in
    eclipse: its reserve for 40 min of essential loads exceeds its capacity), checked against
    the shadow model directly; nearest-visible does choose eclipsed ones in the same run."""
    from spacecompute.astro.eclipse import sunlit_fraction_from_positions
    from spacecompute.astro.sun import sun_position_eci_m
    from spacecompute.scenario.build import preset_constellation

    const = preset_constellation("starlink-shell1")
    eph = const.propagate("2026-01-01T00:00:00Z", BASE["duration_s"], 10.0, "j2")
    sunlit = np.asarray(sunlit_fraction_from_positions(eph.r_eci_m, sun_position_eci_m(eph.times)))
    t0 = np.datetime64("2026-01-01T00:00:00", "ns")
    for policy in POLICIES:
        j = runs[policy].jobs
        ran = j["satellite"] >= 0
        step = ((j["arrival"][ran] - t0) // np.timedelta64(10, "s")).astype(int)
        lit = sunlit[step, j["satellite"][ran]]
        if policy == "nearest-visible":
            assert np.sum(lit == 0) > 10
        else:
            assert ran.sum() > 100 and np.all(lit > 0), policy


def test_only_isl_offload_serves_an_overloaded_city_in_time():
    """All requests from Tokyo, more than the visible satellites can compute: the policies
    without ISL offload (one satellite overhead) serve almost none in time, the offloading ones
    nearly all."""
    cfg = {"city_table": TOKYO, "rate_per_s_global": 60.0, "max_isl_hops": 1, "duration_s": 60.0}
    frac = {
        p: run_service(ServiceConfig(policy=p, **cfg)).summary["on_time_fraction"] for p in POLICIES
    }
    for p in ("nearest-visible", "energy-aware"):
        assert frac[p] < 0.05, frac
    for p in ("isl-offload", "deadline-aware", "optimising"):
        assert frac[p] > 0.95, frac


def test_max_access_satellites_limits_each_city_to_its_highest_satellites():
    """Tokyo's users reach the mesh through one satellite, the highest they see, with the cap
    at 1: every request of a step enters through the same satellite; a cap above what a city
    can see changes no number."""
    cfg = {"city_table": TOKYO, "rate_per_s_global": 60.0, "max_isl_hops": 1, "duration_s": 120.0}
    free = run_service(ServiceConfig(policy="isl-offload", **cfg))
    one = run_service(ServiceConfig(policy="isl-offload", max_access_satellites=1, **cfg))
    wide = run_service(ServiceConfig(policy="isl-offload", max_access_satellites=10_000, **cfg))
    for key in ("jobs", "steps", "satellites"):
        a, b = getattr(free, key), getattr(wide, key)
        for col in a.columns:
            np.testing.assert_array_equal(np.asarray(a[col]), np.asarray(b[col]), err_msg=col)

    def access_per_step(result):
        jobs = result.jobs
        served = np.asarray(jobs["satellite"]) >= 0
        step = np.asarray(jobs["arrival"]).astype("datetime64[s]").astype(np.int64)[served] // 10
        access = np.asarray(jobs["access_satellite"])[served]
        return np.array([np.unique(access[step == k]).size for k in np.unique(step)])

    assert (access_per_step(one) == 1).all() and access_per_step(one).size > 5
    assert access_per_step(free).max() > 1


def test_optimising_beats_every_heuristic_when_overloaded():
    """Benchmark: Tokyo sends more than even its ISL neighbourhood can serve. The optimising
    policy serves the most requests within their objective (the metric its LP maximises)."""
    cfg = {"city_table": TOKYO, "rate_per_s_global": 600.0, "max_isl_hops": 1, "duration_s": 60.0}
    on_time = {
        p: run_service(ServiceConfig(policy=p, **cfg)).summary["jobs_on_time"] for p in POLICIES
    }
    best_heuristic = max(v for k, v in on_time.items() if k != "optimising")
    assert on_time["optimising"] > best_heuristic, on_time
    assert on_time["deadline-aware"] == best_heuristic  # admission control matters most


def test_faults_restart_and_corrupt_the_work_being_computed(monkeypatch):
    """Every satellite reboots at the end of step 3 and has one silent error in step 5
    (injected into the fleet's output): the jobs in service at the end of step 3 lose their
    progress (flag ``fault_hit``; those that complete were computed again and cost more than
    their ops' worth of energy), and each satellite's last result of step 5 is corrupt."""
    import dataclasses

    from spacecompute.spacecraft.fleet import Fleet

    step = Fleet.step

    def faulty(self, *args, **kwargs):
        k = self.step_index
        out = step(self, *args, **kwargs)
        if k == 3:
            out = dataclasses.replace(out, reboots=np.ones(self.n, np.int32))
        if k == 5:
            out = dataclasses.replace(out, silent_errors=np.ones(self.n, np.int32))
        return out

    monkeypatch.setattr(Fleet, "step", faulty)
    cfg = {"city_table": TOKYO, "rate_per_s_global": 200.0, "max_isl_hops": 1, "duration_s": 90.0}
    r = run_service(ServiceConfig(policy="isl-offload", **cfg))
    j, s = r.jobs, r.summary
    t0 = np.datetime64("2026-01-01T00:00:00", "ns")
    hit = j["fault_hit"]
    assert 0 < hit.sum() <= s["satellites"]
    # each was started by the end of step 3 and had not finished by then
    assert np.all(j["start"][hit] < t0 + np.timedelta64(40, "s"))
    done_hit = hit & (j["status"] == "completed")
    assert done_hit.sum() > 0
    assert np.all(j["compute_end"][done_hit] >= t0 + np.timedelta64(40, "s"))
    joule_per_op = (2 * 60.0 - 2 * 7.0) / (2 * 4.26e13)
    assert np.all(j["energy_j"][done_hit] > j["ops"][done_hit] * joule_per_op * (1 + 1e-9))
    # corrupted: completed in step 5, at most one per satellite, the satellite's last of it
    bad = j["corrupted"]
    assert s["jobs_corrupted"] == bad.sum() > 0
    in5 = (j["compute_end"] >= t0 + np.timedelta64(50, "s")) & (
        j["compute_end"] < t0 + np.timedelta64(60, "s")
    )
    assert np.all(in5[bad]) and np.all(j["status"][bad] == "completed")
    assert len(np.unique(j["satellite"][bad])) == bad.sum()
    for w in np.unique(j["satellite"][bad]):
        same = in5 & (j["satellite"] == w)
        assert j["compute_end"][bad & (j["satellite"] == w)][0] == j["compute_end"][same].max()
    assert s["faults_silent"] == s["satellites"]


def test_same_seed_same_results_other_seed_other_results(runs):
    a, b = runs["isl-offload"], run_service(ServiceConfig(policy="isl-offload", **BASE))
    assert _results_equal(a, b)
    c = run_service(ServiceConfig(policy="isl-offload", **{**BASE, "seed": 7}))
    assert len(c.jobs) != len(a.jobs) or not np.array_equal(c.jobs["ops"], a.jobs["ops"])


def test_results_do_not_depend_on_the_time_chunking(runs):
    other = run_service(ServiceConfig(policy="optimising", **{**BASE, "chunk_steps": 50}))
    assert _results_equal(runs["optimising"], other)


class _Kill(KeyboardInterrupt):
    pass


@pytest.mark.parametrize("policy", ["deadline-aware", "optimising"])
def test_resume_after_a_kill_equals_an_uninterrupted_run(tmp_path, policy):
    """Killed after 7 of 9 steps (checkpoint every 3), resumed from step 6: same tables and
    summary as the uninterrupted run."""
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint

    cfg = ServiceConfig(policy=policy, **BASE)

    def kill_after_7(done: int, total: int) -> None:
        if done == 7:
            raise _Kill

    ck = Checkpointer(tmp_path, 3, fingerprint(cfg))
    with pytest.raises(_Kill):
        run_service(cfg, checkpoint=ck, progress=kill_after_7)
    assert ck.load()[0] == 6
    resumed = run_service(cfg, checkpoint=ck)
    assert _results_equal(resumed, run_service(cfg))


def test_progress_and_run_directory(tmp_path):
    from spacecompute.results.store import SUMMARY_KEYS, RunResult

    calls = []
    r = run_service(
        ServiceConfig(policy="nearest-visible", **BASE),
        out_dir=tmp_path,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(i, 9) for i in range(1, 10)]
    assert r.path == tmp_path
    loaded = RunResult.load(tmp_path)
    assert set(SUMMARY_KEYS) <= set(loaded.summary)
    assert loaded.summary["jobs_total"] == len(r.jobs)
    np.testing.assert_array_equal(loaded.jobs["status"], r.jobs["status"])


@pytest.fixture
def small_parts(monkeypatch):
    """Part files of 300 rows, windows of 512 rows and a job store of 64 rows at least, so that
    a short run (about 1,200 requests a step) compacts its store, writes many parts and
    assembles many windows."""
    from spacecompute.sim import sink
    from spacecompute.sim.queues import JobStore

    monkeypatch.setattr(sink, "PART_ROWS", 300)
    monkeypatch.setattr(sink, "WINDOW_ROWS", 512)
    monkeypatch.setattr(JobStore, "MIN_ROWS", 64)


def test_requests_stream_out_and_the_store_holds_those_in_flight(
    runs, tmp_path, small_parts, monkeypatch
):
    """Finished requests stream to Parquet parts as the run goes: the store's capacity stays
    within 2 x the peak of (requests in flight + a step's arrivals), far below the run's
    requests, while the tables and summary equal those of a run assembled in one window
    (columns, order, dtypes); nothing is left of the parts."""
    import json

    from spacecompute.results.store import RunResult
    from spacecompute.sim import service, sink

    cfg = ServiceConfig(policy="deadline-aware", **BASE)
    seen: list[tuple[int, int, int]] = []
    add = service._Store.add

    def watched(self, **values):
        ids = add(self, **values)
        pending = int(np.count_nonzero(self.cols["status"][: self.held] == 0))
        seen.append((self.cols["status"].size, pending, ids.size))
        return ids

    monkeypatch.setattr(service._Store, "add", watched)
    streamed = run_service(cfg, out_dir=tmp_path / "run")
    whole = runs["deadline-aware"]  # the module's run (made before the sizes were patched)
    assert isinstance(streamed.jobs, sink.ParquetTable)
    for name in ("jobs", "steps", "satellites"):
        a, b = getattr(whole, name), getattr(streamed, name)
        assert _tables_equal(a, b), name
        assert [a[c].dtype for c in a.columns] == [b[c].dtype for c in b.columns], name
    np.testing.assert_array_equal(streamed.jobs["job_id"], np.arange(len(whole.jobs)))
    a = {k: v for k, v in whole.summary.items() if k != "wall_time_s"}
    b = {k: v for k, v in RunResult.load(tmp_path / "run").summary.items() if k != "wall_time_s"}
    assert json.loads(json.dumps(a)) == b
    total = whole.summary["jobs_total"]
    assert total > 5 * 1200 and whole.summary["jobs_pending"] > 0
    peak = 0
    for cap, pending, m in seen:
        peak = max(peak, pending + m)
        assert cap <= max(2 * peak, 64)
    assert max(cap for cap, _, _ in seen) < total / 3
    assert not (tmp_path / "run" / sink.TABLES_DIR).exists()


def test_resume_with_a_run_directory_writes_identical_parquet_files(tmp_path, small_parts):
    """Killed after a checkpoint, with parts written after it, and resumed: every Parquet file
    of the run directory is byte for byte that of an uninterrupted run."""
    from spacecompute.sim.checkpoint import Checkpointer, fingerprint

    cfg = ServiceConfig(policy="deadline-aware", **BASE)
    run_service(cfg, out_dir=tmp_path / "whole")
    out = tmp_path / "killed"
    ck = Checkpointer(out, 3, fingerprint(cfg))

    def kill_after_8(done: int, total: int) -> None:
        if done == 8:
            raise _Kill

    with pytest.raises(_Kill):
        run_service(cfg, out_dir=out, checkpoint=ck, progress=kill_after_8)
    steps_done, state = ck.load()
    assert steps_done == 6
    written = len(list((out / ".tables" / "w0" / "jobs").glob("part-*.arrow")))
    (parts,) = [v for k, v in state.items() if k.endswith("job.sink.parts")]
    assert written > int(parts) > 0  # parts written after the checkpoint: dropped on resume
    run_service(cfg, out_dir=out, checkpoint=ck)
    files = sorted(p.name for p in (tmp_path / "whole").glob("*.parquet"))
    assert "jobs.parquet" in files and "states.parquet" in files
    for name in files:
        assert (tmp_path / "whole" / name).read_bytes() == (out / name).read_bytes(), name


def test_light_time_of_the_chosen_path():
    """A request's one-way light time is slant range / c + ISL path / c; checked on the jobs
    of a run against the time between arrival and readiness minus the transfer times."""
    r = run_service(ServiceConfig(policy="isl-offload", **{**BASE, "duration_s": 30.0}))
    j = r.jobs
    ran = j["satellite"] >= 0
    hops = j["isl_hops"][ran]
    bits_in = 8 * j["bytes_in"][ran]
    delay_in = (j["ready"][ran] - j["arrival"][ran]) / np.timedelta64(1, "s")
    light = delay_in - bits_in / 10e6 - hops * bits_in / 100e9
    # the up link at >= 25 deg: between 550 km and ~1,120 km of slant range; the ISL path on top
    assert np.all(light >= 550e3 / SPEED_OF_LIGHT_M_S - 1e-9)
    assert np.all(light <= (1.2e6 + j["isl_path_m"][ran]) / SPEED_OF_LIGHT_M_S + 1e-9)
    assert np.all((j["isl_path_m"][ran] > 0) == (hops > 0))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("duration_s", 5.0),
        ("step_s", 0.0),
        ("step_s", float("nan")),
        ("policy", "fastest"),
        ("model", "gpt-99"),
        ("timeout_s", 1.0),
        ("max_isl_hops", -1),
        ("propagator", "kepler"),
        ("seed", True),
        ("rate_per_s_global", -1.0),
        ("constellation", 42),
        ("latency_objective_s", 0.0),
        ("min_elevation_deg", 95.0),
        ("chunk_steps", 1),
        ("max_access_satellites", 0),
        ("max_access_satellites", 2.5),
    ],
)
def test_bad_config_raises_input_error(field, value):
    with pytest.raises(InputError) as err:
        ServiceConfig(**{field: value})
    assert field in str(err.value)


def test_bad_inputs_at_run_time():
    with pytest.raises(InputError):
        run_service({"policy": "isl-offload"})  # type: ignore[arg-type]
    with pytest.raises(InputError):
        get_service_policy("nope")
    with pytest.raises(InputError):
        run_service(ServiceConfig(precision="fp4", duration_s=10.0))
    with pytest.raises(InputError):
        Optimising(horizon_steps=0)
