"""Per-satellite FIFO queues by cumulative offsets, and the growable job store of a run.

See :mod:`spacecompute.sim.engine` for the idea (no loop over jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Missing timestamp (int64 min is NaT as datetime64[ns]).
NAT = np.iinfo(np.int64).min


@dataclass
class FifoQueues:
    """Per-satellite FIFO queue by cumulative offsets (see the module docstring).

    ``demand`` (N,) cumulative demand admitted, ``served`` (N,) cumulative service;
    ``jobs`` ids of the jobs in the queue, ``offset`` their cumulative end offsets,
    ``size`` their own demand, ``started`` whether service began.
    """

    n: int
    demand: np.ndarray = field(init=False)
    served: np.ndarray = field(init=False)
    jobs: np.ndarray = field(init=False)
    offset: np.ndarray = field(init=False)
    size: np.ndarray = field(init=False)
    started: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.demand = np.zeros(self.n)
        self.served = np.zeros(self.n)
        self.jobs = np.zeros(0, np.int64)
        self.offset = np.zeros(0)
        self.size = np.zeros(0)
        self.started = np.zeros(0, bool)

    def backlog(self) -> np.ndarray:
        return self.demand - self.served

    _STATE = ("demand", "served", "jobs", "offset", "size", "started")

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the queue's arrays (for checkpoints)."""
        return {k: np.array(getattr(self, k), copy=True) for k in self._STATE}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved."""
        for k in self._STATE:
            setattr(self, k, np.array(state[k], dtype=getattr(self, k).dtype, copy=True))

    def push(self, job_ids: np.ndarray, sats: np.ndarray, sizes: np.ndarray) -> None:
        """Append jobs (given in FIFO order) to their satellites' queues."""
        if job_ids.size == 0:
            return
        order = np.argsort(sats, kind="stable")
        s, z = sats[order], sizes[order]
        csum = np.cumsum(z)
        first = np.r_[True, s[1:] != s[:-1]]
        group_start = np.maximum.accumulate(np.where(first, np.arange(s.size), 0))
        before = csum - z
        within = csum - before[group_start]  # cumulative inside the satellite's group
        off = np.empty_like(z)
        off[order] = self.demand[s] + within
        last = np.r_[s[1:] != s[:-1], True]
        self.demand[s[last]] = off[order][last]  # the last offset is the new demand total
        self.jobs = np.concatenate([self.jobs, job_ids])
        self.offset = np.concatenate([self.offset, off])
        self.size = np.concatenate([self.size, sizes])
        self.started = np.concatenate([self.started, np.zeros(job_ids.size, bool)])

    def serve(
        self, capacity: np.ndarray, job_sat: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Serve up to ``capacity`` (N,) per satellite.

        Returns (served this step (N,), started ids, start fractions, done ids, end fractions);
        fractions of the step in [0, 1] at constant rate.
        """
        before = self.served.copy()
        left = self.demand - before
        cap = np.maximum(capacity, 0.0)
        self.served = np.where(cap >= left, self.demand, before + cap)
        delta = self.served - before
        sat = job_sat[self.jobs]
        b0, b1, c = before[sat], self.served[sat], cap[sat]
        with np.errstate(divide="ignore", invalid="ignore"):
            newly = ~self.started & (b1 > self.offset - self.size)
            start_frac = np.where(c > 0, (self.offset - self.size - b0) / c, 0.0)
            done = self.offset <= b1
            end_frac = np.where(c > 0, (self.offset - b0) / c, 0.0)
        start_frac = np.clip(start_frac, 0.0, 1.0)
        end_frac = np.clip(end_frac, 0.0, 1.0)
        # a zero-size job at the head completes at once
        newly |= done & ~self.started
        self.started |= newly
        out = (
            delta,
            self.jobs[newly],
            start_frac[newly],
            self.jobs[done],
            end_frac[done],
        )
        keep = ~done
        self.jobs, self.offset = self.jobs[keep], self.offset[keep]
        self.size, self.started = self.size[keep], self.started[keep]
        return out


class JobStore:
    """Growable struct of arrays of every job of the run, indexed by job id."""

    _FLOAT = ("ops", "bits", "result_bytes", "lat_deg", "lon_deg", "energy_j", "bytes_out")
    _INT = ("satellite", "arrival", "start", "end", "status", "reason")

    def __init__(self) -> None:
        self.n = 0
        self.cols: dict[str, np.ndarray] = {k: np.zeros(0) for k in self._FLOAT}
        self.cols.update({k: np.zeros(0, np.int64) for k in self._INT})
        self.cols["cloudy"] = np.zeros(0, bool)

    def add(self, **values: np.ndarray) -> np.ndarray:
        m = len(next(iter(values.values())))
        need = self.n + m
        cap = len(self.cols["ops"])
        if need > cap:
            new = max(need, 2 * cap, 1024)
            for k, a in self.cols.items():
                b = np.zeros(new, a.dtype)
                b[: self.n] = a[: self.n]
                self.cols[k] = b
        ids = np.arange(self.n, need)
        for k, a in self.cols.items():
            if k in values:
                a[ids] = values[k]
            elif k in ("start", "end"):
                a[ids] = NAT
            else:
                a[ids] = 0
        self.n = need
        return ids

    def __getitem__(self, key: str) -> np.ndarray:
        return self.cols[key][: self.n]

    def state_dict(self) -> dict[str, np.ndarray]:
        """The used part of every column (for checkpoints)."""
        return {k: a[: self.n].copy() for k, a in self.cols.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` saved."""
        n = len(state["ops"])
        for k, a in self.cols.items():
            self.cols[k] = np.array(state[k], dtype=a.dtype, copy=True)
            if len(self.cols[k]) != n:
                raise ValueError(f"job column {k} has {len(self.cols[k])} rows, expected {n}")
        self.n = n


__all__ = ["NAT", "FifoQueues", "JobStore"]
