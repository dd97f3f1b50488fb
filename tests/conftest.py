"""Shared test fixtures: paths to the test data and an offline astropy."""

from __future__ import annotations

from pathlib import Path

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


# Numba compiles a kernel the first time a process calls it and caches it on disk. With one
# pytest-xdist worker per core each worker would compile nearly every kernel itself; instead, on
# a cold cache, the controller first compiles them once, split over two processes in parallel
# (earth observation and the ground segment in one, the inference service and training in the
# other), and the workers load them. On a warm cache this costs two imports.
_WARM_UP = (
    "import spacecompute as sc; "
    "sc.run('default', policy=['energy-aware', 'bent-pipe', 'on-board'], duration_s=1800)",
    "import spacecompute as sc; "
    "sc.run('orbital-cloud', policy=['isl-offload', 'nearest-visible'], duration_s=60); "
    "sc.run('training-cluster', policy=['all-in', 'deadline-aware'], duration_s=1800)",
)


def pytest_configure(config):
    import os
    import subprocess
    import sys

    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return  # a worker, or no workers: nothing to share
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        for code in _WARM_UP
    ]
    for proc in procs:  # a failure here is the tests' to report, not the warm-up's
        try:
            proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            proc.kill()
