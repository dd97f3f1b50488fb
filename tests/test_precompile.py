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
from spacecompute._warm_kernels import CONTACT_KERNELS, KERNELS


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


def _callees(listing) -> set[str]:
    """Qualified names of the kernels the listed ones call (compiled inside their compile on an
    empty cache, so they show up as compiled on their own then, not when loaded from it)."""
    seen: set[str] = set()
    todo = [dispatcher_of(m, n) for m, n, _ in listing]
    while todo:
        py = todo.pop().py_func
        for name in py.__code__.co_names:
            obj = py.__globals__.get(name)
            disp = obj.serial if isinstance(obj, TwinKernel) else obj
            if isinstance(disp, numba.core.registry.CPUDispatcher):
                q = f"{disp.py_func.__module__}.{disp.py_func.__qualname__}"
                if q not in seen:
                    seen.add(q)
                    todo.append(disp)
    return seen


def test_the_lists_hold_the_kernels_and_types_the_default_run_compiles(monkeypatch):
    """Every listed kernel is called with the listed types by the default run's preparation and
    warm-up (``KERNELS``) or by its contact table (``CONTACT_KERNELS``), and neither loads a
    kernel that is not listed (else: ``python tools/record_warm_kernels.py``)."""
    from dataclasses import replace

    from spacecompute.preflight import prepare_scenario
    from spacecompute.runner import _warm_up
    from spacecompute.scenario.loader import load_scenario
    from spacecompute.sim.engine import _EORun, contact_table

    monkeypatch.setattr(_precompile, "_in_helper", True)  # no helper process in a test
    for listing in (KERNELS, CONTACT_KERNELS):
        for module, name, _ in listing:
            assert isinstance(dispatcher_of(module, name), numba.core.registry.CPUDispatcher)
    before = _signatures()
    prepared = prepare_scenario(load_scenario("default"), None)
    warm = _warm_up(prepared)
    assert warm is not None
    warm()
    steps = _signatures()
    config = next(iter(prepared.configs.values()))
    contact_table(_EORun(replace(config, policy="on-board"), trace=False))
    contacts = _signatures()
    for listing, got, new in (
        (KERNELS, steps, steps - before),
        (CONTACT_KERNELS, contacts, contacts - steps),
    ):
        listed = {(f"{m}.{n}", parse_signature(args)) for m, n, args in listing}
        assert len(listed) == len(listing)  # none listed twice
        assert listed <= got, listed - got
        called = _callees(listing)
        new = {(q, sig) for q, sig in new if q not in called}
        assert new <= listed, new - listed


def test_precompile_fills_the_cache_from_two_processes(tmp_path):
    """On an empty cache: every listed kernel ends compiled here or cached by the helper; a
    stale signature is skipped; once ready, nothing is forked again; no listed kernel (or a
    list naming nothing) means no precompile; a started helper that nobody joins is stopped."""
    code = (
        "from spacecompute._precompile import precompile, dispatcher_of, parse_signature, "
        "_is_ready\n"
        "from spacecompute._warm_kernels import KERNELS\n"
        "small = tuple(k for k in KERNELS if k[1] in ('_ask_kernel', '_work_kernel'))\n"
        "stale = (small[0][0], small[0][1], ('float64',))\n"
        "print(precompile(small + (stale,)))\n"
        "print(all(_is_ready(dispatcher_of(m, n), parse_signature(a)) for m, n, a in small))\n"
        "print(precompile(small), precompile((('spacecompute.nowhere', 'x', ()),)))\n"
        "from spacecompute import _precompile\n"
        "geo = tuple(k for k in KERNELS if k[1] == '_geometry_kernel')\n"
        "print(_precompile.start(geo), _precompile.stop(), _precompile._started)\n"
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "SPACECOMPUTE_RUN_PROCESSES": ""}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True", "False", "False", "True", "None", "None"]
    cached = {p.name.split("-")[0] for p in tmp_path.rglob("*.nbi")}
    assert {"fleet._ask_kernel", "fleet._work_kernel"} <= cached, cached


def test_only_earth_observation_runs_compile_ahead(monkeypatch):
    """The helper compiles the engine's kernels: not for training, inference or mixed runs."""
    from spacecompute import _forked
    from spacecompute.runner import _compiles_ahead
    from spacecompute.scenario.loader import load_scenario

    monkeypatch.setattr(_forked, "usable_cores", lambda: 2)
    assert _compiles_ahead(load_scenario("default"))
    assert not _compiles_ahead(load_scenario("training-cluster"))
    assert not _compiles_ahead(load_scenario("threebody-mixed"))
    monkeypatch.setattr(_forked, "usable_cores", lambda: 1)
    assert not _compiles_ahead(load_scenario("default"))
