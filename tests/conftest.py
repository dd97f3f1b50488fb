"""Shared test fixtures: paths to the test data and an offline astropy."""

from __future__ import annotations

import os
from pathlib import Path

# Every twin kernel runs its one-thread version (``spacecompute/_parallel.py``): numba then
# compiles one version of each kernel instead of two, about a third of the suite's time on a
# cold cache. The parallel versions give the same bits; the tests that say so (test_parallel,
# test_j2, test_service_geometry) call them explicitly. Set before spacecompute is imported.
os.environ.setdefault("SPACECOMPUTE_PARALLEL_KERNELS", "0")

import pytest
from hypothesis import settings

# No per-example deadline: the first example of a property may pay a numba compilation, and CI
# machines are shared; the properties themselves are what the tests check, not their speed.
settings.register_profile("spacecompute", deadline=None, print_blob=True)
settings.load_profile("spacecompute")

TESTS = Path(__file__).parent
TLE_DIR = TESTS / "data" / "tle"


@pytest.fixture(scope="session")
def tle_dir() -> Path:
    return TLE_DIR


@pytest.fixture(scope="session")
def astropy_offline():
    """astropy configured never to download (IERS tables as bundled)."""
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    iers.conf.iers_degraded_accuracy = "warn"
    return iers
