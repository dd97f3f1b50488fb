"""Scheduling policies (plug-ins): pure functions of a read-only view of the step."""

from .policies import POLICIES, BentPipe, EnergyAware, OnBoard, Policy, PolicyView, get_policy

__all__ = ["POLICIES", "BentPipe", "EnergyAware", "OnBoard", "Policy", "PolicyView", "get_policy"]
