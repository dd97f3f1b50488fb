"""The default run's path imports only what it uses (``spacecompute run``, docs/benchmarks.md
"Front door"): no pyarrow where nothing is written, no report, and not the ``numpy.f2py`` and
``numpy.testing`` that scipy's array-API layer imports when numba loads its first kernel."""

from __future__ import annotations

import os
import subprocess
import sys


def test_a_run_kept_in_memory_imports_no_pyarrow_report_or_numpy_test_modules(tmp_path):
    code = (
        "import sys\n"
        "from dataclasses import replace\n"
        "import numpy\n"
        "from spacecompute.preflight import prepare_scenario\n"
        "prepared = prepare_scenario('default')\n"
        "config = replace(prepared.configs['energy-aware'], duration_s=2 * 3600)\n"
        "result = prepared.run_fn(config)\n"
        "assert result.summary['steps'] == 120, result.summary['steps']\n"
        "heavy = ['pyarrow', 'numpy.f2py', 'numpy.testing', 'unittest',\n"
        "         'spacecompute.results.report', 'matplotlib']\n"
        "print(*[m for m in heavy if m in sys.modules])\n"
        "print('scipy.linalg.cython_blas' in sys.modules, 'f2py' in numpy.__all__,\n"
        "      'testing' in dir(numpy))\n"
        "assert len(result.jobs) == result.summary['jobs_total']\n"
        "print('pyarrow' in sys.modules)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ""  # none of the heavy modules
    # numpy as it was; the job table, assembled when first used from the rows the run kept
    # in memory (no part file written for a run this small), needs no pyarrow either
    assert lines[1:] == ["True True True", "False"]
    assert list(tmp_path.iterdir()) == []  # the temporary jobs table went with the result
