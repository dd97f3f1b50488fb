"""Shared test fixtures: paths to the test data and an offline astropy."""

from __future__ import annotations

from pathlib import Path

import pytest

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
