"""The engine core: one time loop that runs workload plug-ins on one fleet.

Idea (the tiny-core design of discrete-event kernels such as SimPy, with interchangeable
parts as in scikit-learn): the core owns the clock, the orbits, the environment every
workload shares, the :class:`~spacecompute.spacecraft.fleet.Fleet`, checkpoints and progress;
a *workload* (Earth observation, the inference service, training, ...) owns its jobs, its
policy and its accounting, and talks to the core through the small :class:`Workload` Protocol.

The loop, over chunks of time steps (``Constellation.propagate_chunks``, memory bounded)::

    for each chunk:  propagate once; every workload's begin_chunk(chunk) (its own per-chunk
                     environment, e.g. downlink rates and imaging frames); the sun, the
                     sunlit fraction and, when a workload asks, the laser-link geometry are
                     computed once for all
        for each step k of the chunk:
            demand_w = workload.demand(step)                 (share of each payload, (N,))
            grant_w  = arbiter.share(view of the fleet)       (only with several workloads)
            fleet.step(dt, sunlit, geometry, sum of the grants)   -- once, for the whole fleet
            workload.advance(step, its grant and its part of the fleet's output)
            record states; checkpoint every N steps; progress(steps_done, total)

One workload: its demand is the fleet's load, unchanged (no arbiter), so a single-workload run
is exactly the engine it was. Several workloads: see :mod:`spacecompute.sim.mixed`.

Units of a share: the load a workload asks of a payload (a fraction of its peak over the step,
what :meth:`Fleet.step` takes). The fleet turns a load into work after the thermal throttle,
reboots and the power it can draw; each workload gets the fraction ``load_w / sum of loads`` of
what the fleet did (useful work, active energy, faults), the idle draw belongs to the fleet.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import InputError


@dataclass(frozen=True)
class Clock:
    """The time grid of a run: ``total_steps`` steps of ``dt_s`` from ``start`` (datetime64),
    orbits by ``propagator`` in chunks of at most ``chunk_steps`` instants, sunlight by the
    ``shadow`` model (``conical`` or ``cylindrical``)."""

    start: np.datetime64
    dt_s: float
    total_steps: int
    propagator: str
    chunk_steps: int
    shadow: str = "conical"

    @property
    def dt_ns(self) -> int:
        return round(self.dt_s * 1e9)


class Chunk:
    """What the core knows of one chunk of ``n_steps`` steps (``n_steps + 1`` instants).

    ``eph`` the propagated orbits (its first instant is the previous chunk's last, so that every
    step is complete); ``sun_eci_m`` (T, 3) and ``sunlit`` (T, N) are computed once, on first
    use, unless a workload :meth:`provide` s them (the Earth-observation workload's
    :func:`~spacecompute.sim.forecast.chunk_environment` computes both); :meth:`isl_geometry`
    the lengths and line of sight of laser links (only when a workload asks).
    """

    def __init__(self, eph: Any, first_step: int, n_steps: int, shadow: str) -> None:
        self.eph = eph
        self.first_step = int(first_step)
        self.n_steps = int(n_steps)
        self.shadow = shadow
        self.times_ns = eph.times.astype("datetime64[ns]").astype(np.int64)
        self._sun: np.ndarray | None = None
        self._sunlit: np.ndarray | None = None
        ahead = getattr(eph, "sunlit_ahead", None)
        if ahead is not None and ahead[0] == shadow:  # computed by the propagation process
            self._sun, self._sunlit = ahead[1], ahead[2]
        self._isl: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def provide(self, *, sun_eci_m: np.ndarray | None = None, sunlit: Any = None) -> None:
        """Hand the core what a workload computed anyway (the same functions, same values)."""
        if sun_eci_m is not None:
            self._sun = sun_eci_m
        if sunlit is not None:
            self._sunlit = sunlit

    @property
    def sun_eci_m(self) -> np.ndarray:
        if self._sun is None:
            from ..astro.sun import sun_position_eci_m

            self._sun = sun_position_eci_m(self.eph.times)
        return self._sun

    @property
    def sunlit(self) -> np.ndarray:
        if self._sunlit is None:
            from ..astro.eclipse import sunlit_fraction_from_positions

            s = sunlit_fraction_from_positions(self.eph.r_eci_m, self.sun_eci_m, self.shadow)
            self._sunlit = np.nan_to_num(np.asarray(s).astype(np.float64), nan=0.0)
        return self._sunlit

    def isl_geometry(self, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(T, E) lengths (m) and line of sight of the links ``pairs`` (E, 2) at every instant
        (:func:`~spacecompute.network.topology.pair_geometry`), computed once per chunk."""
        key = id(pairs)
        if key not in self._isl:
            if pairs.shape[0]:
                from ..network.topology import pair_geometry

                self._isl[key] = pair_geometry(self.eph.r_ecef_m, pairs)
            else:
                t = self.eph.n_times
                self._isl[key] = (np.zeros((t, 0)), np.zeros((t, 0), bool))
        return self._isl[key]

    def geometry(self, k: int) -> Any:
        from ..spacecraft.fleet import StepGeometry

        return StepGeometry.from_ephemeris(self.eph, k, self.sun_eci_m[k])


@dataclass(frozen=True)
class Step:
    """Step ``index`` of the run (``k``-th of its chunk): the interval ``[time_ns, time_ns +
    dt_s)``."""

    index: int
    k: int
    time_ns: int
    dt_s: float
    chunk: Chunk

    @property
    def sunlit(self) -> np.ndarray:
        return self.chunk.sunlit[self.k]


@dataclass(frozen=True)
class Demand:
    """What a workload asks for in a step, per satellite (N,): ``load`` the share of the payload
    it would use (fleet load, [0, 1]); ``storage_bytes`` what it holds on board and
    ``link_bytes`` what it would move over links this step (reported, not arbitrated; None:
    nothing)."""

    load: np.ndarray
    storage_bytes: np.ndarray | None = None
    link_bytes: np.ndarray | None = None


@dataclass(frozen=True)
class Grant:
    """What a workload got in a step: ``load`` (N,) the share of the payload granted (its part of
    the fleet's load), ``fraction`` (N,) its part of what the fleet did (``load / sum of
    loads``; 1 in a single-workload run), ``fleet`` the fleet's step *as this workload sees it*
    (:class:`~spacecompute.spacecraft.fleet.FleetStep` with ``useful_fraction`` and the active
    part of ``compute_power_w`` scaled by ``fraction``; the whole step when alone)."""

    load: np.ndarray
    fraction: np.ndarray
    fleet: Any


@dataclass(frozen=True)
class StepRecord:
    """What the state recorder keeps of a workload's step (``states.parquet``): ``computing``
    (N,) bool, ``queue_ops`` (N,) work waiting, ``job`` (N,) the job computed (-1: none),
    ``links`` laser links that carried its traffic, ``(a, b)`` or None."""

    computing: np.ndarray
    queue_ops: np.ndarray
    job: np.ndarray
    links: tuple[np.ndarray, np.ndarray] | None = None


@runtime_checkable
class Workload(Protocol):
    """A workload plug-in of the core.

    ``kind`` its workload name (``earth-observation``, ``inference``, ``training``, ``batch``);
    ``n`` satellites; ``fleet`` the :class:`~spacecompute.spacecraft.fleet.Fleet` it reads state
    from (in a mixed run the core sets every workload's to the one shared fleet); ``clock()``
    its :class:`Clock` (every workload of a run must agree on it, except ``chunk_steps``: the
    smallest is used). ``const`` its constellation.

    Per run: ``prepare()`` once before the first step (a policy's look-ahead), then per chunk
    ``begin_chunk(chunk)``; per step ``demand(step) -> Demand`` (the state at the step start,
    before the fleet moves), ``advance(step, grant) -> StepRecord | None`` (its jobs move on with
    what it was granted; the record only when the core set its ``recording`` attribute True,
    i.e. when the run writes ``states.parquet``). ``state_dict() / load_state_dict(state)`` its state (arrays; the
    fleet's state is the core's). ``result(wall0, out_dir)`` its tables and summary (an
    :class:`~spacecompute.sim.engine.EngineResult`; with ``out_dir`` written there).
    """

    kind: str
    n: int
    fleet: Any
    const: Any

    def clock(self) -> Clock: ...

    def prepare(self) -> None: ...

    def begin_chunk(self, chunk: Chunk) -> None: ...

    def demand(self, step: Step) -> Demand: ...

    def advance(self, step: Step, grant: Grant) -> StepRecord | None: ...

    def state_dict(self) -> dict[str, np.ndarray]: ...

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None: ...

    def result(self, wall0: float, out_dir: Any) -> Any: ...


#: ``share(step, demands) -> loads``: a mixed run's arbiter step (see :mod:`.mixed`).
ShareFn = Callable[[Step, list[Demand]], list[np.ndarray]]


def split_fleet_step(fs: Any, fraction: np.ndarray, idle_w: np.ndarray | float) -> Any:
    """``fs`` as one workload sees it: useful work and the active power (above idle) scaled by
    ``fraction`` (N,); the idle draw stays in its ``compute_power_w`` (so a workload's own
    idle/active split holds) and the fleet-wide state (charge, temperature, faults) is shared."""
    power = np.asarray(fs.compute_power_w)
    idle = np.minimum(power, idle_w)
    return dataclasses.replace(
        fs,
        useful_fraction=fs.useful_fraction * fraction,
        compute_power_w=idle + (power - idle) * fraction,
    )


class Core:
    """Runs ``workloads`` (one or more :class:`Workload`) on one fleet over one clock.

    ``share``: how the payloads are shared when there are several (a :data:`ShareFn`, built by
    :mod:`spacecompute.sim.mixed` from an arbiter); with one workload its demand is the load.
    ``observer``: an object with ``on_step(step, fleet_step, demands, loads)`` called after each
    step, and ``state_dict`` / ``load_state_dict`` saved with the checkpoints (the mixed run's
    fleet-level accounting), or None.
    """

    def __init__(
        self,
        workloads: Sequence[Workload],
        *,
        share: ShareFn | None = None,
        observer: Any = None,
    ) -> None:
        if not workloads:
            raise InputError("no workload to run", field="workloads", expected="one or more")
        self.workloads = list(workloads)
        self.fleet = self.workloads[0].fleet
        self.const = self.workloads[0].const
        clocks = [w.clock() for w in self.workloads]
        first = clocks[0]
        for w, c in zip(self.workloads[1:], clocks[1:], strict=True):
            if dataclasses.replace(c, chunk_steps=first.chunk_steps) != first:
                raise InputError(
                    f"workload {w.kind} runs on another clock ({c}) than {self.workloads[0].kind}",
                    field="workloads",
                    expected="one start, duration, step, propagator and shadow for every workload",
                )
            w.fleet = self.fleet
        self.clock = dataclasses.replace(first, chunk_steps=min(c.chunk_steps for c in clocks))
        if len(self.workloads) > 1 and share is None:
            raise InputError("several workloads need an arbiter", field="arbiter")
        self.share = share
        self.observer = observer
        self.recorder: Any = None
        self.steps_done = 0
        self._all: np.ndarray | None = None  # the grant's fraction of a single workload

    # -- checkpoints ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {"core.steps_done": np.asarray(self.steps_done)}
        out.update({"fleet." + k: v for k, v in self.fleet.state_dict().items()})
        for i, w in enumerate(self.workloads):
            out.update({f"w{i}." + k: v for k, v in w.state_dict().items()})
        if self.observer is not None:
            out.update({"obs." + k: v for k, v in self.observer.state_dict().items()})
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        def part(prefix: str) -> dict[str, np.ndarray]:
            return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}

        if "core.steps_done" not in state:
            raise InputError(
                "the checkpoint does not match this run (no core state)",
                field="--resume",
                expected="a checkpoint of the same scenario and options",
            )
        try:
            for i, w in enumerate(self.workloads):
                w.load_state_dict(part(f"w{i}."))
            self.fleet.load_state_dict(part("fleet."))
            if self.observer is not None:
                self.observer.load_state_dict(part("obs."))
        except (KeyError, ValueError) as exc:
            raise InputError(
                f"the checkpoint does not match this run ({exc})",
                field="--resume",
                expected="a checkpoint of the same scenario and options",
            ) from None
        self.steps_done = int(state["core.steps_done"])

    # -- the run --------------------------------------------------------------------------------
    def run(
        self,
        *,
        checkpoint: Any = None,
        progress: Callable[[int, int], None] | None = None,
        out_dir: Any = None,
    ) -> None:
        """Prepare the workloads, restore a checkpoint, then step to the end of the run (one
        numba thread for small fleets, :func:`~spacecompute._runtime.numba_threads_for`)."""
        from .._runtime import numba_threads_for
        from .forecast import CHUNK_BUFFERS

        try:
            with numba_threads_for(len(self.const)):
                self._run(checkpoint, progress, out_dir)
        finally:
            CHUNK_BUFFERS.clear()  # the chunk arrays are not kept beyond the run

    def _run(self, checkpoint: Any, progress: Any, out_dir: Any) -> None:
        for w in self.workloads:
            w.prepare()
        saved = checkpoint.load() if checkpoint is not None else None
        for i, w in enumerate(self.workloads):  # tables streamed to disk as the run goes
            stream = getattr(w, "stream_tables", None)
            if callable(stream):
                from .sink import parts_folder

                stream(parts_folder(out_dir, checkpoint, f"w{i}"), resume=saved is not None)
        if saved is not None:
            self.load_state_dict(saved[1])
        if out_dir is not None:
            from .states import StateRecorder

            self.recorder = StateRecorder(
                out_dir, len(self.const), steps_done=self.steps_done, checkpoint=checkpoint
            )
        for w in self.workloads:
            w.recording = self.recorder is not None
        # closed explicitly, so that a run stopped by an error also ends the propagation
        # process at once (astro/prefetch.py), not whenever the generator is collected
        with contextlib.closing(self._chunks()) as chunks:
            for chunk in chunks:
                for w in self.workloads:
                    w.begin_chunk(chunk)
                for k in range(chunk.n_steps):
                    self._step(chunk, k)
                    self.steps_done += 1
                    if checkpoint is not None and checkpoint.due(self.steps_done):
                        checkpoint.save(self.steps_done, self.state_dict())
                    if progress is not None:
                        progress(self.steps_done, self.clock.total_steps)
                # the chunk's arrays are let go before the next chunk is made (memory: one
                # chunk's arrays, not two)
                for w in self.workloads:
                    end = getattr(w, "end_chunk", None)
                    if callable(end):
                        end()
                del chunk
        if self.recorder is not None:
            self.recorder.finish()

    def _chunks(self) -> Any:
        """The chunks of the steps still to run, each with its previous instant prepended."""
        c = self.clock
        first = self.steps_done
        if first >= c.total_steps:
            return
        t_first = np.datetime64(c.start, "ns") + np.timedelta64(first * c.dt_ns, "ns")
        step = first
        parts = self.const.propagate_chunks(
            t_first, (c.total_steps - first) * c.dt_s, c.dt_s, c.propagator,
            chunk_steps=c.chunk_steps, overlap=True, shadow=c.shadow,
        )  # fmt: skip
        with contextlib.closing(parts):
            for eph in parts:
                if eph.n_times < 2:
                    continue
                n_steps = min(eph.n_times - 1, c.total_steps - step)
                if n_steps <= 0:
                    return
                yield Chunk(eph, step, n_steps, c.shadow)
                eph = None  # held no longer than the chunk's users hold it
                step += n_steps

    def _step(self, chunk: Chunk, k: int) -> None:
        step = Step(self.steps_done, k, int(chunk.times_ns[k]), self.clock.dt_s, chunk)
        demands = [w.demand(step) for w in self.workloads]
        if len(self.workloads) == 1:
            loads = [demands[0].load]
        else:
            loads = self.share(step, demands)
        total = loads[0] if len(loads) == 1 else np.minimum(np.sum(loads, axis=0), 1.0)
        fs = self.fleet.step(self.clock.dt_s, step.sunlit, chunk.geometry(k), total)
        records = []
        if len(self.workloads) == 1:
            if self._all is None:  # a single workload gets all of what the fleet did
                self._all = np.ones(len(self.const))
                self._all.flags.writeable = False
            records.append(self.workloads[0].advance(step, Grant(loads[0], self._all, fs)))
        else:
            idle_w = self.fleet.power.compute_idle_w
            with np.errstate(divide="ignore", invalid="ignore"):
                for w, load in zip(self.workloads, loads, strict=True):
                    frac = np.where(total > 0, load / total, 0.0)
                    seen = split_fleet_step(fs, frac, idle_w)
                    records.append(w.advance(step, Grant(load, frac, seen)))
        if self.observer is not None:
            self.observer.on_step(step, fs, demands, loads)
        if self.recorder is not None:
            self._record(step, fs, records)

    def _record(self, step: Step, fs: Any, records: list[StepRecord | None]) -> None:
        got = [r for r in records if r is not None]
        if not got:
            return
        for r in got:
            if r.links is not None:
                self.recorder.record_links(step.index, *r.links)
        computing = np.logical_or.reduce([r.computing for r in got])
        queue = np.sum([r.queue_ops for r in got], axis=0) if len(got) > 1 else got[0].queue_ops
        job = got[0].job
        for r in got[1:]:  # the first workload (by priority order of the list) that computed
            job = np.where(job >= 0, job, r.job)
        self.recorder.record(step.index, step.sunlit, fs, computing, queue, job)


__all__ = [
    "Chunk",
    "Clock",
    "Core",
    "Demand",
    "Grant",
    "Step",
    "StepRecord",
    "Workload",
    "split_fleet_step",
]
