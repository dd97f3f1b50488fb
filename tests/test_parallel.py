"""Twin kernels: the one-thread and the parallel twin give the same bits; small work runs on
one thread (so that a small problem compiles only the cheap twin)."""

from __future__ import annotations

import os
import subprocess
import sys

import numba
import numpy as np

from spacecompute import _parallel
from spacecompute.astro.constants import EARTH_EQUATORIAL_RADIUS_M, SUN_RADIUS_M
from spacecompute.astro.eclipse import _conical_kernel


def test_twins_give_identical_bits():
    rng = np.random.default_rng(7)
    n_t, n_sat = 40, 3_000
    r = rng.normal(size=(n_t, n_sat, 3)) * 7.0e6
    sun = rng.normal(size=(n_t, 3)) * 1.496e11
    out_serial = np.empty((n_t, n_sat))
    out_parallel = np.empty((n_t, n_sat))
    args = (EARTH_EQUATORIAL_RADIUS_M, SUN_RADIUS_M)
    _conical_kernel.serial(r, sun, *args, out_serial)
    _conical_kernel.parallel(r, sun, *args, out_parallel)
    np.testing.assert_array_equal(out_serial, out_parallel)
    # a fraction of the disc in [0, 1], and some satellites in each regime
    assert np.all((out_serial >= 0.0) & (out_serial <= 1.0))
    assert (out_serial == 0.0).any() and (out_serial == 1.0).any()


def test_small_work_runs_on_one_thread(monkeypatch):
    monkeypatch.setattr(_parallel, "_serial_only", False)  # the suite runs one-thread twins
    small = np.zeros(_parallel.PARALLEL_MIN_WORK - 1)
    large = np.zeros(_parallel.PARALLEL_MIN_WORK)
    kernel = _conical_kernel
    assert kernel.choose(small, 1.0) is kernel.serial
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    assert kernel.choose(large, small) is kernel.parallel
    monkeypatch.setattr(numba, "get_num_threads", lambda: 1)
    assert kernel.choose(large) is kernel.serial


def test_twins_are_cached_under_their_own_names():
    suffix = "_parallel"
    kernel = _conical_kernel
    assert kernel.parallel.py_func.__qualname__ == kernel.serial.py_func.__qualname__ + suffix
    assert kernel.parallel.py_func.__code__ is kernel.serial.py_func.__code__


def test_environment_turns_the_parallel_twins_off(monkeypatch):
    """``SPACECOMPUTE_PARALLEL_KERNELS=0``: large work runs the one-thread twin too."""
    code = "from spacecompute import _parallel; print(_parallel._serial_only)"
    seen = {}
    for value in ("0", "1", ""):
        env = {**os.environ, "SPACECOMPUTE_PARALLEL_KERNELS": value}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        seen[value] = done.stdout.strip()
    assert seen == {"0": "True", "1": "False", "": "False"}
    monkeypatch.setattr(_parallel, "_serial_only", True)
    monkeypatch.setattr(numba, "get_num_threads", lambda: 2)
    large = np.zeros(_parallel.PARALLEL_MIN_WORK)
    assert _conical_kernel.choose(large) is _conical_kernel.serial
