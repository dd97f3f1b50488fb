"""The one place where a policy's decision is checked, every step (shape, dtype, range).

Each check is O(N + M) numpy work (a few reductions over the decision arrays), negligible beside
the step itself, so a user policy that returns a wrong shape, a non-numeric dtype, NaN or a value
out of range stops the run with an :class:`~spacecompute.errors.InputError` naming the policy,
the step and what was expected, instead of corrupting the accounting or raising deep inside the
engine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import InputError

#: Loads within this of [0, 1] are clipped silently (LP solutions carry rounding of this order).
LOAD_TOLERANCE = 1e-6
#: Arbiter grants within this (a share of the payload's step) of their bounds are clipped.
GRANT_TOLERANCE = 1e-9


def _fail(policy: Any, step: int, what: str, expected: str, noun: str = "policy") -> InputError:
    name = getattr(policy, "name", type(policy).__name__)
    return InputError(
        f"{noun} {name!r} at step {step} returned {what}", field=noun, expected=expected
    )


def _array(value: Any, policy: Any, step: int, label: str, kinds: str, expected: str):
    try:
        a = np.asarray(value)
    except Exception:  # ragged sequences and other objects numpy refuses
        raise _fail(policy, step, f"{label} of type {type(value).__name__}", expected) from None
    if a.dtype.kind not in kinds:
        raise _fail(policy, step, f"{label} of dtype {a.dtype}", expected)
    return a


def _shape(a: np.ndarray, shape: tuple[int, ...], policy, step, label, expected) -> None:
    if a.shape != shape:
        raise _fail(policy, step, f"{label} of shape {a.shape}", expected)


def _field(value: Any, shape: tuple[int, ...], policy, step, label, kinds, expected) -> np.ndarray:
    """``value`` as an array of one of the dtype ``kinds`` and of ``shape``, else the error."""
    a = _array(value, policy, step, label, kinds, expected)
    _shape(a, shape, policy, step, label, expected)
    return a


def check_eo_decision(load: Any, n: int, policy: Any, step: int) -> np.ndarray:
    """The Earth-observation decision as float64 (N,) in [0, 1]."""
    if (  # the usual decision, checked by its extremes (NaN fails them): no message built
        type(load) is np.ndarray
        and load.dtype == np.float64
        and load.shape == (n,)
        and n
        and load.min() >= -LOAD_TOLERANCE
        and load.max() <= 1.0 + LOAD_TOLERANCE
    ):
        return np.clip(load, 0.0, 1.0)
    expected = f"({n},) real loads in [0, 1]"
    a = _field(load, (n,), policy, step, "loads", "biuf", expected)
    a = a.astype(np.float64, copy=False)
    if n and not (np.isfinite(a).all() and a.min() >= -LOAD_TOLERANCE):
        raise _fail(policy, step, "a NaN, infinite or negative load", expected)
    if n and a.max() > 1.0 + LOAD_TOLERANCE:
        raise _fail(policy, step, f"a load of {a.max():g}", expected)
    return np.clip(a, 0.0, 1.0)


def check_service_decision(
    decision: Any, m: int, n: int, policy: Any, step: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The inference decision as ``(satellite int64 (M,), priority float64 (M,), no_capacity
    bool (M,) or None)``; satellites in -1..N-1 (whether each is a candidate of its request is
    checked by the engine, which holds the candidate table)."""
    if not (hasattr(decision, "satellite") and hasattr(decision, "priority")):
        raise _fail(policy, step, type(decision).__name__, "a ServiceDecision(satellite, priority)")
    expected = f"({m},) integer satellite indices in -1..{n - 1}"
    sat = _field(decision.satellite, (m,), policy, step, "satellites", "iu", expected)
    if m and (sat.min() < -1 or sat.max() >= n):
        raise _fail(policy, step, f"a satellite index {sat.min()}..{sat.max()}", expected)
    expected_p = f"({m},) real priorities (seconds after the step start), not NaN"
    prio = _field(decision.priority, (m,), policy, step, "priorities", "biuf", expected_p)
    prio = prio.astype(np.float64, copy=False)
    if m and np.isnan(prio).any():
        raise _fail(policy, step, "a NaN priority", expected_p)
    no_cap = getattr(decision, "no_capacity", None)
    if no_cap is not None:
        expected_c = f"({m},) bool or None"
        no_cap = _field(no_cap, (m,), policy, step, "no_capacity", "b", expected_c)
    return sat.astype(np.int64, copy=False), prio, no_cap


def check_training_decision(
    decision: Any, n: int, n_jobs: int, policy: Any, step: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The training decision as ``(assign int64 (N,), load float64 (N,) or None,
    reject bool (J,) or None)``; which job ids may be assigned is checked by the engine."""
    if not hasattr(decision, "assign"):
        raise _fail(policy, step, type(decision).__name__, "a TrainingDecision(assign, ...)")
    expected = f"({n},) integer job ids or -1"
    assign = _field(decision.assign, (n,), policy, step, "assign", "iu", expected)
    load = getattr(decision, "load", None)
    if load is not None:  # the engine clips it to [0, 1] on assigned satellites
        expected_l = f"({n},) real loads in [0, 1], or None"
        load = _field(load, (n,), policy, step, "load", "biuf", expected_l)
        load = load.astype(np.float64, copy=False)
        if n and np.isnan(load).any():
            raise _fail(policy, step, "a NaN load", expected_l)
    reject = getattr(decision, "reject", None)
    if reject is not None:
        expected_r = f"({n_jobs},) bool over the view's jobs, or None"
        reject = _field(reject, (n_jobs,), policy, step, "reject", "b", expected_r)
    return assign.astype(np.int64, copy=False), load, reject


def _label(view: Any, w: int) -> str:
    names = tuple(getattr(view, "names", ()))
    return repr(names[w]) if w < len(names) else str(w)


def check_arbiter_grants(grants: Any, view: Any, arbiter: Any, step: int) -> np.ndarray:
    """An arbiter's grants as float64 (W, N) with ``0 <= grant <= demand`` and, per satellite,
    ``sum <= capacity`` (``view`` an :class:`~spacecompute.scheduling.arbiters.ArbiterView`);
    values within :data:`GRANT_TOLERANCE` of a bound are clipped to it, anything else (shape,
    dtype, NaN, negative, above demand or capacity) is an InputError naming the arbiter, the
    step and what was expected."""
    demand = np.clip(np.asarray(view.demand, dtype=np.float64), 0.0, 1.0)
    capacity = np.clip(np.asarray(view.capacity, dtype=np.float64), 0.0, 1.0)
    w, n = demand.shape
    expected = (
        f"({w}, {n}) real grants (workloads x satellites) with 0 <= grant <= demand and, "
        "per satellite, sum over workloads <= capacity"
    )
    tol = GRANT_TOLERANCE

    def fail(what: str) -> InputError:
        return _fail(arbiter, step, what, expected, noun="arbiter")

    try:
        a = np.asarray(grants)
    except Exception:  # ragged sequences and other objects numpy refuses
        raise fail(f"grants of type {type(grants).__name__}") from None
    if a.dtype.kind not in "biuf":
        raise fail(f"grants of dtype {a.dtype}")
    if a.shape != (w, n):
        raise fail(f"grants of shape {a.shape}")
    a = a.astype(np.float64, copy=False)
    if a.size == 0:
        return a.copy()
    if not np.isfinite(a).all():
        raise fail("a NaN or infinite grant")
    if a.min() < -tol:
        raise fail(f"a negative grant ({a.min():g})")
    excess = a - demand
    if excess.max() > tol:
        i, j = np.unravel_index(int(np.argmax(excess)), excess.shape)
        raise fail(
            f"a grant above demand: workload {_label(view, int(i))} on satellite {j}, "
            f"{a[i, j]:.12g} > {demand[i, j]:.12g}"
        )
    a = np.clip(a, 0.0, demand)
    total = a.sum(axis=0)
    over = total - capacity
    if over.max() > tol:
        j = int(np.argmax(over))
        raise fail(f"grants above capacity on satellite {j}: {total[j]:.12g} > {capacity[j]:.12g}")
    # within the tolerance above capacity: scale the satellite's grants down to it
    fix = total > capacity
    if fix.any():
        a[:, fix] *= capacity[fix] / total[fix]
    return a


__all__ = [
    "GRANT_TOLERANCE",
    "LOAD_TOLERANCE",
    "check_arbiter_grants",
    "check_eo_decision",
    "check_service_decision",
    "check_training_decision",
]
