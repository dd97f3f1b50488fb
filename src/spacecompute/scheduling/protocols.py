"""What a scheduling policy is: one :class:`typing.Protocol` per workload kind.

A policy is any object that satisfies the Protocol of its workload: the built-in policies of
:mod:`spacecompute.scheduling` do, and so may yours. Give one

- from Python: ``sc.run("threebody", policy=MyPolicy())`` (an instance, or a class that takes no
  arguments);
- from a scenario file: ``policy: "my_module:MyPolicy"`` (``my_module`` importable from the
  scenario file's folder or from the environment; ``policy_options`` of the workload are not
  passed to it, set them in the class);
- by name, from an installed package that registers it in the entry-point group
  ``spacecompute.policies`` (``[project.entry-points."spacecompute.policies"]`` of its
  ``pyproject.toml``: ``my-policy = "my_package.module:MyPolicy"``), then ``policy: my-policy``.

Rules shared by every kind:

- ``decide(view)`` is called once per step with a read-only view of the state at the step start
  (arrays cannot be written) and must return the decision of the documented shape and dtype; the
  engine checks it every step (:mod:`spacecompute.scheduling.checks`) and stops with an
  :class:`~spacecompute.errors.InputError` naming the policy, the step and what was expected.
- ``name`` (str) labels the run (summary ``policy``, run directory, comparisons).
- Optional hooks, called when defined: ``prepare(predictor)`` once before the first step, with
  a predictor of exactly what the engine will see (sunlight, contacts, arrivals;
  :mod:`spacecompute.sim.forecast`); ``state_dict() -> dict[str, np.ndarray]`` and
  ``load_state_dict(state)`` so that a stateful policy resumes from a checkpoint with the same
  results as an uninterrupted run.
- Same seed, same results: a policy that draws random numbers seeds them from the view
  (``step_index``; the service view also carries ``seed``).

A fourth kind, the arbiter that shares each satellite between the workloads of a mixed
scenario (:class:`spacecompute.scheduling.arbiters.Arbiter`: ``name`` and ``share(view)``),
is in :data:`PROTOCOLS` under the key ``"arbiter"`` and is resolved by the same code
(:func:`spacecompute.scheduling.custom.resolve_arbiter`; ``arbiter: "my_module:MyArbiter"``,
entry-point group ``spacecompute.arbiters``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .arbiters import Arbiter

if TYPE_CHECKING:
    import numpy as np

    from .policies import PolicyView
    from .service import ServiceDecision, ServiceView
    from .training import TrainingDecision, TrainingView


@runtime_checkable
class EOPolicy(Protocol):
    """Earth observation: each satellite's compute load for the step.

    ``decide(view: PolicyView) -> np.ndarray`` of shape (N,), real numbers in [0, 1] (the share
    of the payload's peak the satellite runs at; the fleet model may deliver less under power,
    heat and faults). ``on_board``: True runs the model on board (frames join the compute queue,
    only results are downlinked); False is a bent pipe (raw frames join the downlink queue and
    the loads are ignored for processing).

    Example: run on board only in sunlight::

        class SunOnly:
            name = "sun-only"
            on_board = True

            def decide(self, view):
                return np.where(view.sunlit > 0.5, load_for_backlog(view), 0.0)
    """

    name: str
    on_board: bool

    def decide(self, view: PolicyView) -> np.ndarray: ...


@runtime_checkable
class InferencePolicy(Protocol):
    """Inference service: where each request of the step runs.

    ``decide(view: ServiceView) -> ServiceDecision`` with ``satellite`` (M,) integer satellite
    indices, -1 to reject, each one of the request's candidates (``view.cand_*``); ``priority``
    (M,) real, seconds after the step start, smaller served first; optional ``no_capacity``
    (M,) bool. Optional attribute ``drop_early`` (bool, default False): queued requests that can
    no longer meet their deadline are dropped before they start.
    """

    name: str

    def decide(self, view: ServiceView) -> ServiceDecision: ...


@runtime_checkable
class TrainingPolicy(Protocol):
    """Distributed training: which job each satellite works on.

    ``decide(view: TrainingView) -> TrainingDecision`` with ``assign`` (N,) integer job ids of
    the view's jobs or -1; optional ``load`` (N,) in [0, 1] and ``reject`` (J,) bool.
    """

    name: str

    def decide(self, view: TrainingView) -> TrainingDecision: ...


#: The Protocol of each workload kind (the keys of a scenario's ``workload.kind``) and of the
#: arbiter (key ``"arbiter"``).
PROTOCOLS: dict[str, type[Any]] = {
    "earth-observation": EOPolicy,
    "inference": InferencePolicy,
    "training": TrainingPolicy,
    "arbiter": Arbiter,
}

#: What a policy of each kind must offer, for error messages.
EXPECTED: dict[str, str] = {
    "earth-observation": "an object with name: str, on_board: bool and decide(view) returning "
    "(N,) loads in [0, 1] (spacecompute.scheduling.protocols.EOPolicy)",
    "inference": "an object with name: str and decide(view) returning a ServiceDecision "
    "(spacecompute.scheduling.protocols.InferencePolicy)",
    "training": "an object with name: str and decide(view) returning a TrainingDecision "
    "(spacecompute.scheduling.protocols.TrainingPolicy)",
    "arbiter": "an object with name: str and share(view) returning (W, N) grants with "
    "0 <= grant <= demand and per satellite sum <= capacity "
    "(spacecompute.scheduling.arbiters.Arbiter)",
}

__all__ = ["EXPECTED", "PROTOCOLS", "Arbiter", "EOPolicy", "InferencePolicy", "TrainingPolicy"]
