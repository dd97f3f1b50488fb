"""Scheduling policies (plug-ins): pure functions of a read-only view of the step.

One registry per workload kind; :func:`policy_names` lists the built-in names a scenario may
use. A policy is any object that satisfies its workload's Protocol (:mod:`.protocols`); user
policies come as objects, ``module:Class`` or entry points (:mod:`.custom`). Arbiters share each
satellite between the workloads of a mixed scenario (:mod:`.arbiters`, :mod:`.arbiter_lp`;
built-in names in :data:`ARBITER_NAMES`), resolved the same way (:func:`resolve_arbiter`).
"""

from .arbiters import (
    ARBITER_NAMES,
    Arbiter,
    ArbiterForecast,
    ArbiterView,
    OptimisingArbiter,
    PriorityArbiter,
    WeightedFairArbiter,
)
from .custom import (
    ARBITER_ENTRY_POINT_GROUP,
    ENTRY_POINT_GROUP,
    check_arbiter,
    check_policy,
    entry_point_names,
    resolve_arbiter,
    resolve_policy,
)
from .policies import POLICIES, BentPipe, EnergyAware, OnBoard, Policy, PolicyView, get_policy
from .protocols import PROTOCOLS, EOPolicy, InferencePolicy, TrainingPolicy

WORKLOAD_KINDS: tuple[str, ...] = ("earth-observation", "inference", "training")


def policy_names(workload_kind: str) -> tuple[str, ...]:
    """Policy names registered for a workload kind (``earth-observation``, ``inference``,
    ``training``)."""
    if workload_kind == "earth-observation":
        return tuple(POLICIES)
    if workload_kind == "inference":
        from .service import SERVICE_POLICIES

        return tuple(SERVICE_POLICIES)
    if workload_kind == "training":
        from .training import TRAINING_POLICIES

        return tuple(TRAINING_POLICIES)
    return ()


__all__ = [
    "ARBITER_ENTRY_POINT_GROUP",
    "ARBITER_NAMES",
    "ENTRY_POINT_GROUP",
    "POLICIES",
    "PROTOCOLS",
    "WORKLOAD_KINDS",
    "Arbiter",
    "ArbiterForecast",
    "ArbiterView",
    "BentPipe",
    "EOPolicy",
    "EnergyAware",
    "InferencePolicy",
    "OnBoard",
    "OptimisingArbiter",
    "Policy",
    "PolicyView",
    "PriorityArbiter",
    "TrainingPolicy",
    "WeightedFairArbiter",
    "check_arbiter",
    "check_policy",
    "entry_point_names",
    "get_policy",
    "policy_names",
    "resolve_arbiter",
    "resolve_policy",
]
