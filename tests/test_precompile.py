"""The first run compiles its kernels on both cores (``spacecompute._precompile``): the list of
kernels is the default run's, and what is compiled lands in numba's cache."""

from __future__ import annotations

import os
import subprocess
import sys

import numba

from spacecompute import _precompile
from spacecompute._parallel import TwinKernel
from spacecompute._precompile import dispatcher_of, parse_signature
from spacecompute._warm_kernels import KERNELS


def _signatures() -> set[tuple[str, tuple]]:
    """(qualified name, argument types) of every one-thread kernel of the package loaded here."""
    found = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith("spacecompute.") or module is None:
            continue
        for obj in list(vars(module).values()):
            disp = obj.serial if isinstance(obj, TwinKernel) else obj
            if isinstance(disp, numba.core.registry.CPUDispatcher):
                py = disp.py_func
                found |= {(f"{py.__module__}.{py.__qualname__}", tuple(s)) for s in disp.signatures}
    return found


def test_the_list_holds_the_kernels_and_types_the_default_run_compiles(monkeypatch):
    """Every listed kernel is called with the listed types by the default run's warm-up, and
    the warm-up loads no kernel that is not listed (else: ``python tools/record_warm_kernels.py``)."""
    from spacecompute.preflight import prepare_scenario
    from spacecompute.runner import _warm_up
    from spacecompute.scenario.loader import load_scenario

    monkeypatch.setattr(_precompile, "_in_helper", True)  # no helper process in a test
    before = _signatures()
    warm = _warm_up(prepare_scenario(load_scenario("default"), None))
    assert warm is not None
    warm()
    after = _signatures()
    listed = {(f"{m}.{n}", parse_signature(args)) for m, n, args in KERNELS}
    assert listed <= after, listed - after
    assert after - before <= listed, (after - before) - listed
    assert len(listed) == len(KERNELS)  # no kernel listed twice
    for module, name, _ in KERNELS:
        assert isinstance(dispatcher_of(module, name), numba.core.registry.CPUDispatcher)


def test_precompile_fills_the_cache_from_two_processes(tmp_path):
    """On an empty cache: every listed kernel ends compiled here or cached by the helper; a
    stale signature is skipped; once ready, nothing is forked again; no listed kernel (or a
    list naming nothing) means no precompile."""
    code = (
        "from spacecompute._precompile import precompile, dispatcher_of, parse_signature, "
        "_is_ready\n"
        "from spacecompute._warm_kernels import KERNELS\n"
        "small = tuple(k for k in KERNELS if k[1] in ('_ask_kernel', '_work_kernel'))\n"
        "stale = (small[0][0], small[0][1], ('float64',))\n"
        "print(precompile(small + (stale,)))\n"
        "print(all(_is_ready(dispatcher_of(m, n), parse_signature(a)) for m, n, a in small))\n"
        "print(precompile(small), precompile((('spacecompute.nowhere', 'x', ()),)))\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "SPACECOMPUTE_RUN_PROCESSES": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False", "False"]
    cached = {p.name.split("-")[0] for p in tmp_path.rglob("*.nbi")}
    assert {"fleet._ask_kernel", "fleet._work_kernel"} <= cached, cached
