"""The first run after an install compiles its numba kernels on both cores, not on one.

Why: with an empty numba cache the default run (12 satellites, energy-aware vs bent-pipe)
spent about 12 s of its 20 s compiling fifteen step kernels one after another in one process
(numba compiles under a global lock: threads would not help) while the second core waited; with
``--out`` each policy's process then compiled the contact-table kernels (about 7 s) again.
Which kernels, and with which argument types, is known before the run: the same for every run
of the default path (:mod:`spacecompute._warm_kernels`, recorded).

How: :func:`start` (``runner.run_scenario``, before it prepares an Earth-observation run)
forks one helper process, which compiles the listed kernels into numba's on-disk cache,
costliest first, one at a time, while this process prepares the run; :func:`join` (through
:func:`precompile` in ``sim.engine.warm_up`` before its throwaway steps, or in the runner before
policies run one after another) then takes the rest of the list with it, each process claiming
the next kernel from a shared counter, and waits for the helper. The first steps load from the
cache what the helper compiled (milliseconds each), and the policies' forked processes inherit
them. Nothing about the kernels changes, only where they are
compiled: results are the same bit for bit.

When not: when the kernels are compiled or cached already (every run after the first; told by
the list's first, costliest kernel), where a fork is not safe (``_forked.fork_is_safe``, e.g.
``SPACECOMPUTE_RUN_PROCESSES=1``) and where numba caching is off. A listed signature that no
longer matches its kernel (an edited kernel, before the list is regenerated) is skipped: the
run compiles what it needs as before. :func:`stop` ends a helper that no warm-up joined.

``python tools/record_warm_kernels.py`` regenerates the list from the default scenario on an
empty cache (numba's compile events); ``tests/test_precompile.py`` checks that it is current.
"""

from __future__ import annotations

import importlib
import multiprocessing
from typing import Any

#: Set in the helper process: it compiles, nothing else
_in_helper = False


def dispatcher_of(module: str, name: str) -> Any:
    """The numba dispatcher of kernel ``name`` in ``module`` (the one-thread twin of a
    :class:`~spacecompute._parallel.TwinKernel`)."""
    from ._parallel import TwinKernel

    obj = getattr(importlib.import_module(module), name)
    return obj.serial if isinstance(obj, TwinKernel) else obj


def parse_signature(args: tuple[str, ...]) -> tuple[Any, ...]:
    """Argument types written as numba prints them, e.g.
    ``("Array(float64, 1, 'C', False, aligned=True)", "float64")``."""
    from numba.core import types

    names = {k: v for k, v in vars(types).items() if not k.startswith("_")}
    names["bool"] = types.boolean
    # our own list of numba type names, evaluated with numba's types only
    return tuple(eval(a, {"__builtins__": {}}, names) for a in args)


def _is_ready(dispatcher: Any, sig: tuple[Any, ...]) -> bool:
    """True when ``dispatcher`` has ``sig`` compiled in this process or in its disk cache."""
    if sig in dispatcher.overloads:
        return True
    cache = dispatcher._cache  # numba's per-function cache (index file of signatures)
    key = cache._index_key(sig, dispatcher.targetctx.codegen())
    return key in cache._cache_file._load_index()


def _claim(counter: Any) -> int:
    with counter.get_lock():
        i = counter.value
        counter.value = i + 1
    return i


def _compile_claimed(entries: list[tuple[Any, tuple[Any, ...]]], counter: Any) -> None:
    """Compile the entries this process claims, one at a time, until none is left."""
    while (i := _claim(counter)) < len(entries):
        dispatcher, sig = entries[i]
        try:
            dispatcher.compile(sig)
        except Exception:  # a stale signature: the run compiles what it really needs
            pass


def _helper(entries: list[tuple[Any, tuple[Any, ...]]], counter: Any) -> None:
    global _in_helper
    _in_helper = True
    try:
        _compile_claimed(entries, counter)
    except BaseException:  # Ctrl-C: the parent reports it
        pass


Kernels = tuple[tuple[str, str, tuple[str, ...]], ...]

#: (helper process, shared claim counter, entries) of :func:`start`, until joined or stopped
_started: tuple[Any, Any, list[tuple[Any, tuple[Any, ...]]]] | None = None


def _cold_entries(kernels: Kernels | None) -> list[tuple[Any, tuple[Any, ...]]] | None:
    """(dispatcher, argument types) of those of ``kernels`` neither compiled here nor cached;
    None if there are none."""
    try:
        if kernels is None:
            from ._warm_kernels import KERNELS as kernels
        entries = [(dispatcher_of(m, n), parse_signature(s)) for m, n, s in kernels]
        if _is_ready(*entries[0]):  # the usual case (a warm cache), told by one index file
            return None
        entries = [(d, sig) for d, sig in entries if d._can_compile and not _is_ready(d, sig)]
    except Exception:  # no list, a renamed kernel, caching off or numba internals moved
        return None
    return entries or None


def _set_up_numba() -> None:
    """numba's one-time set-up of its CPU target (its implementation registries: about 0.9 s
    before the first compile of a process), done here before the fork so that the helper
    inherits it instead of doing it again; this process would do it next anyway."""
    try:
        from numba.core.registry import cpu_target

        from ._runtime import import_blas_lean

        import_blas_lean()
        cpu_target.typing_context.refresh()
        cpu_target.target_context.refresh()
    except Exception:  # numba internals moved: each process sets itself up
        pass


def start(kernels: Kernels | None = None) -> bool:
    """Fork the helper now, on an empty cache, so that it compiles ``kernels`` (default: the
    default run's) while this process goes on preparing the run; :func:`precompile` then joins
    it (or :func:`stop` ends it). True if a helper was started."""
    global _started
    from ._forked import fork_is_safe

    if _started is not None or _in_helper or not fork_is_safe():
        return False
    entries = _cold_entries(kernels)
    if entries is None:
        return False
    _set_up_numba()
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", 0)
    helper = context.Process(target=_helper, args=(entries, counter), daemon=True)
    helper.start()
    _started = (helper, counter, entries)
    return True


def precompile(kernels: Kernels | None = None) -> bool:
    """Compile ``kernels`` ((module, name, argument types), costliest first; default: the default
    run's, :data:`~spacecompute._warm_kernels.KERNELS`) in this process and one forked helper
    (see the module docstring), or finish the list of an earlier :func:`start`; True if it
    did."""
    if _started is None and not start(kernels):
        return False
    return join()


def join() -> bool:
    """If :func:`start` forked a helper: take the rest of its list here, and wait for it; True
    if there was one."""
    global _started
    if _started is None:
        return False
    helper, counter, entries = _started
    _started = None
    try:
        _compile_claimed(entries, counter)
    except BaseException:
        helper.terminate()
        raise
    finally:
        helper.join()
    return True


def stop() -> None:
    """End the helper of a :func:`start` that no :func:`precompile` joined (the run took another
    path, or failed); what it compiled so far stays in the cache (numba writes atomically)."""
    global _started
    if _started is not None:
        helper, _started = _started[0], None
        helper.terminate()
        helper.join()
