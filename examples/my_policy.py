"""A custom Earth-observation policy: battery thresholds with hysteresis (an example plug-in).

Idea. The built-in ``energy-aware`` policy computes whenever the state of charge is at least
0.5: a satellite near that line switches its payload on and off from one step to the next
(chattering), and every switch in eclipse starts with a battery that is already low. Spacecraft
power subsystems shed and restore loads at two different thresholds for this reason (load
shedding with hysteresis, e.g. M. R. Patel, *Spacecraft Power Systems*, CRC Press 2005,
ch. 13 "Power management"; a Schmitt trigger in electronics). This policy does the same for the
payload: a satellite that computes stops when its state of charge falls below ``stop_below``,
and a satellite that stopped resumes only once it has recharged above ``start_above``. While
on, it runs as fast as its queue needs (``load_for_backlog``, the ``on-board`` policy of Denby &
Lucia, ASPLOS 2020) unless the payload is thermally throttled.

It satisfies :class:`spacecompute.scheduling.protocols.EOPolicy` (``name``, ``on_board``,
``decide``) and uses the optional hooks: ``prepare`` resets the switch state at the start of a
run (so one instance can serve several runs), ``state_dict`` / ``load_state_dict`` carry it
through checkpoints, so ``spacecompute run --resume`` gives the results of an uninterrupted run.

Use it from a scenario file (``policy: "my_policy:MyPolicy"``, this folder is searched first),
from Python (``sc.run("eo-cubesat", policy=MyPolicy())``) or register it from a package::

    [project.entry-points."spacecompute.policies"]
    soc-hysteresis = "my_policy:MyPolicy"
"""

from __future__ import annotations

import numpy as np

from spacecompute.scheduling.policies import PolicyView, load_for_backlog


class MyPolicy:
    """Compute on board between two state-of-charge thresholds (hysteresis)."""

    name = "soc-hysteresis"
    on_board = True

    def __init__(self, stop_below: float = 0.3, start_above: float = 0.6) -> None:
        if not 0.0 <= stop_below < start_above <= 1.0:
            raise ValueError("expected 0 <= stop_below < start_above <= 1")
        self.stop_below = float(stop_below)
        self.start_above = float(start_above)
        self.computing: np.ndarray | None = None

    def __repr__(self) -> str:
        # its settings: a run's fingerprint tells runs of other settings apart by this text
        return f"MyPolicy(stop_below={self.stop_below}, start_above={self.start_above})"

    def prepare(self, predictor: object) -> None:
        """A new run: every satellite starts switched on."""
        self.computing = None

    def decide(self, view: PolicyView) -> np.ndarray:
        if self.computing is None or self.computing.shape != (view.n,):
            self.computing = np.ones(view.n, dtype=bool)
        soc = view.state_of_charge
        self.computing = np.where(self.computing, soc >= self.stop_below, soc >= self.start_above)
        on = self.computing & (view.thermal_throttle >= 1.0)
        return np.where(on, load_for_backlog(view), 0.0)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"computing": np.zeros(0, bool) if self.computing is None else self.computing}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        saved = np.asarray(state["computing"], dtype=bool)
        self.computing = saved.copy() if saved.size else None
