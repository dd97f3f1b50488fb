"""Scheduling policies (plug-ins): pure functions of a read-only view of the step.

One registry per workload kind; :func:`policy_names` lists the names a scenario may use.
"""

from .policies import POLICIES, BentPipe, EnergyAware, OnBoard, Policy, PolicyView, get_policy

WORKLOAD_KINDS: tuple[str, ...] = ("earth-observation",)


def policy_names(workload_kind: str) -> tuple[str, ...]:
    """Policy names registered for a workload kind (``earth-observation``, ...)."""
    if workload_kind == "earth-observation":
        return tuple(POLICIES)
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
