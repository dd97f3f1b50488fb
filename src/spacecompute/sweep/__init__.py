"""Design-space sweeps: a base scenario or planner design, axes over its key paths, seeds;
cells run here, on a local process pool or on Dask; results in ``sweep.parquet`` and
``report.html`` (see docs/sweeps.md). Sits above :mod:`spacecompute.runner` and
:mod:`spacecompute.economics`."""

from .fingerprint import cell_fingerprint
from .run import SweepRun, run_sweep
from .spec import Axis, Cell, Sweep, load_sweep, sweep_presets

__all__ = [
    "Axis",
    "Cell",
    "Sweep",
    "SweepRun",
    "cell_fingerprint",
    "load_sweep",
    "run_sweep",
    "sweep_presets",
]
