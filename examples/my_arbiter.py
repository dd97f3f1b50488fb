"""A custom arbiter: inference first, a kept slice for the rest, the remainder shared by weight.

Idea. Requests to a model served from orbit have a latency objective; imagery processing and
training do not, but a strict priority (the built-in ``priority`` arbiter) starves them on a
satellite that serves requests all the time, and a training job that never advances holds its
memory and its checkpoints for nothing. Operating systems and cloud schedulers solve this with a
reserved minimum share per class beside the priorities (e.g. Linux's ``SCHED_DEADLINE``
bandwidth reservation; Kubernetes requests beside priority classes; the "guaranteed minimum
plus best effort" of DiffServ's assured forwarding, RFC 2597). This arbiter does the same per
satellite and step:

1. a slice ``kept_for_others`` of the capacity is kept for the other workloads (only as much
   of it as they ask for, so nothing is idled for them);
2. the workloads named in ``first`` take what they ask from the rest (shared by weight among
   themselves if they ask for more than there is);
3. what is left, the kept slice included, goes to the others by weighted max-min fairness
   (:func:`spacecompute.scheduling.arbiters.water_fill`, as the built-in ``weighted-fair``).

It satisfies :class:`spacecompute.scheduling.arbiters.Arbiter` (``name`` and ``share(view)``
returning (W, N) grants within demand and capacity). Use it from a scenario with several
``workloads:`` (``arbiter: "my_arbiter:MyArbiter"``, this folder is searched first), from
Python (``sc.run(scenario, arbiter=MyArbiter())`` where the run API offers it) or register it
from a package::

    [project.entry-points."spacecompute.arbiters"]
    inference-first = "my_arbiter:MyArbiter"
"""

from __future__ import annotations

import numpy as np

from spacecompute.scheduling.arbiters import ArbiterView, water_fill


class MyArbiter:
    """The workloads named in ``first`` before the others, which keep ``kept_for_others``."""

    name = "inference-first"

    def __init__(self, first: tuple[str, ...] = ("inference",), kept_for_others: float = 0.1):
        if not 0.0 <= kept_for_others <= 1.0:
            raise ValueError("expected 0 <= kept_for_others <= 1")
        self.first = tuple(first)
        self.kept_for_others = float(kept_for_others)

    def __repr__(self) -> str:
        # its settings: a run's fingerprint tells runs of other settings apart by this text
        return f"MyArbiter(first={self.first!r}, kept_for_others={self.kept_for_others})"

    def share(self, view: ArbiterView) -> np.ndarray:
        demand = np.clip(np.asarray(view.demand, dtype=float), 0.0, 1.0)
        capacity = np.clip(np.asarray(view.capacity, dtype=float), 0.0, 1.0)
        weight = np.asarray(view.weight, dtype=float)
        first = np.array([name in self.first for name in view.names], dtype=bool)
        kept = np.minimum(self.kept_for_others * capacity, demand[~first].sum(axis=0))
        grant = np.zeros_like(demand)
        grant[first] = water_fill(demand[first], capacity - kept, weight[first])
        left = np.maximum(capacity - grant.sum(axis=0), 0.0)
        grant[~first] = water_fill(demand[~first], left, weight[~first])
        return grant
