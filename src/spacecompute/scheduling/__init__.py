"""Scheduling policies (plug-ins): pure functions of a read-only view of the step.

One registry per workload kind; :func:`policy_names` lists the names a scenario may use.
"""

from .policies import POLICIES, BentPipe, EnergyAware, OnBoard, Policy, PolicyView, get_policy

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
    "POLICIES",
    "WORKLOAD_KINDS",
    "BentPipe",
    "EnergyAware",
    "OnBoard",
    "Policy",
    "PolicyView",
    "get_policy",
    "policy_names",
]
