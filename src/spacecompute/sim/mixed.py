"""Mixed workloads: several workload plug-ins on one fleet, shared by an arbiter every step.

A mixed run (scenario key ``workloads:``) runs e.g. Earth observation, the inference service
and batch or training jobs on the same satellites, in one loop of the engine core
(:mod:`spacecompute.sim.core`). Each step:

1. every workload states its *demand*: the payload load it would use on each satellite (its
   policy decides, with the fleet's state at the step start, as in a single-workload run);
2. the :class:`~spacecompute.scheduling.arbiters.Arbiter` sees an
   :class:`~spacecompute.scheduling.arbiters.ArbiterView` of the fleet and grants each
   workload a share. Shares are in the arbiter's unit, the share of the payload's time that
   actually runs: a load ``L`` asked of the fleet runs ``L x a`` of the step, where ``a =
   thermal throttle x share of the step not rebooting`` (the fleet's own rule), so demand
   ``= L x a`` and the ``capacity`` is ``a``. A grant ``g`` becomes the load ``g / a``
   (exactly the workload's own load where it got all it asked);
3. the fleet is stepped once with the sum of the loads: power, heat and faults act on the
   fleet as a whole;
4. each workload advances with its part ``f_w = L_w / sum L`` of what the fleet did: useful
   work and the energy drawn above idle are split in that proportion; faults strike the
   workload whose work was running (each sees the satellite's faults in its share of the
   step; a workload's own rules decide what a fault costs it).

Energy: the payload's electrical energy per satellite is its idle energy (``min(P, P_idle)
dt``, the fleet's) plus each workload's active energy ``max(P - P_idle, 0) dt x f_w``, exactly
(``satellites`` columns ``energy_idle_j`` and ``energy_<name>_j``; tested).

Results (a run directory like any other, so ``compare`` and ``report`` read it):

- ``jobs.parquet``: every workload's jobs with the contract's columns and ``workload`` (the
  workload's name); ``job_id`` is the id within its workload. ``jobs-<name>.parquet``: each
  workload's own table with all its columns;
- ``steps.parquet``: the fleet's columns (utilisation = useful work over the peak, power, charge,
  temperatures, brown-outs, faults), the sums of the workloads' data columns (``bits_*``,
  ``jobs_*``, ``backlog_bits``) and per workload ``utilisation_<name>``, ``demand_<name>``,
  ``grant_<name>`` (mean load asked and granted) and ``energy_<name>_j``, and
  ``storage_<name>_bytes`` / ``link_<name>_bytes`` for the workloads that report them (data
  held on board at the step start, e.g. imaging);
- ``satellites.parquet``: ``energy_j`` = ``energy_idle_j`` + the ``energy_<name>_j``, and
  ``utilisation_<name>``;
- ``summary.json``: the contract's keys over the whole run, ``workload: mix``, ``arbiter``,
  and ``workloads``: each workload's own summary (its keys as in a single-workload run) with
  ``priority``, ``weight``, ``utilisation`` (mean useful share of the payloads) and
  ``energy_active_j``; the same split flat, ``utilisation_<name>``, ``energy_<name>_j``,
  ``jobs_completed_<name>``, ``jobs_dropped_<name>``, ``on_time_fraction_inference``,
  ``insights_delivered_eo``, ... (the rows of ``compare`` and the report).

Names: ``eo``, ``inference``, ``training``, ``batch`` by default (a workload's ``name`` in the
scenario sets another); every workload of a mix runs on the first one's fleet (bus, initial
charge, attitude).
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..astro.constants import SOLAR_CONSTANT_W_M2
from ..errors import InputError
from ..scheduling.arbiters import ArbiterForecast, ArbiterView
from ..scheduling.checks import check_arbiter_grants
from .core import Core, Demand, Step
from .engine import EngineResult
from .rundir import envelopes

#: Default names of the workloads in a mix (column and file suffixes), by kind.
SHORT_NAMES = {
    "earth-observation": "eo",
    "inference": "inference",
    "training": "training",
    "batch": "batch",
}


def arbiter_names() -> list[str]:
    """Names of the built-in arbiters."""
    from ..scheduling.arbiters import ARBITERS

    return sorted(ARBITERS)


def get_arbiter(
    arbiter: Any, *, search_path: Any = (), file: str | None = None, field: str = "arbiter"
) -> Any:
    """A checked arbiter object: a built-in name, ``module:Class`` (from ``search_path``, e.g.
    the scenario's folder, then the environment), an entry-point name, a class or an object
    (:func:`spacecompute.scheduling.custom.resolve_arbiter`)."""
    from ..scheduling.arbiters import resolve_arbiter

    return resolve_arbiter(arbiter, search_path=search_path, file=file, field=field)


def horizon_steps(arbiter: Any, dt_s: float) -> int:
    """Steps of look-ahead an arbiter asks for: its ``horizon_steps``, else its ``horizon_s``
    in steps (rounded up), else none."""
    steps = getattr(arbiter, "horizon_steps", None)
    if steps is None and getattr(arbiter, "horizon_s", None) is not None:
        steps = math.ceil(float(arbiter.horizon_s) / float(dt_s) - 1e-9)
    return int(steps or 0)


@dataclass(frozen=True)
class MixedWorkload:
    """One workload of a mix: its engine ``config`` (EngineConfig, ServiceConfig,
    TrainingConfig or BatchConfig; or a built plug-in of the
    :class:`~spacecompute.sim.core.Workload` Protocol, used once), ``name`` (default:
    :data:`SHORT_NAMES` of its kind, else the plug-in's ``kind``),
    ``priority`` (smaller first) and ``weight`` (> 0) for the arbiter."""

    config: Any
    name: str | None = None
    priority: int = 0
    weight: float = 1.0


@dataclass(frozen=True)
class MixedConfig:
    """A mixed run: ``workloads`` (MixedWorkload, in the scenario's order) shared by ``arbiter``
    (a built-in name or an arbiter object); ``scenario`` labels the run."""

    workloads: tuple[MixedWorkload, ...]
    arbiter: Any = "priority"
    scenario: str | None = None
    seed: int = 0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def policy(self) -> Any:
        """What labels a mixed run (the runner's policy slot): its arbiter."""
        return self.arbiter

    def __post_init__(self) -> None:
        if not self.workloads:
            raise InputError("no workloads", field="workloads", expected="one or more")
        names = [workload_name(w) for w in self.workloads]
        if len(set(names)) != len(names):
            raise InputError(
                f"workload names {names} repeat", field="workloads", expected="distinct names"
            )
        for w in self.workloads:
            if not (isinstance(w.weight, int | float) and w.weight > 0):
                raise InputError(f"weight = {w.weight!r}", field="workloads", expected="> 0")


def workload_name(w: MixedWorkload) -> str:
    kind = _kind_of(w.config)
    return w.name or SHORT_NAMES.get(kind, kind)


def _is_plugin(obj: Any) -> bool:
    return all(callable(getattr(obj, m, None)) for m in ("demand", "advance", "clock", "result"))


def _kind_of(config: Any) -> str:
    if _is_plugin(config):
        return str(config.kind)
    from .engine import EngineConfig
    from .service import ServiceConfig
    from .training import TrainingConfig

    if isinstance(config, EngineConfig):
        return "earth-observation"
    if isinstance(config, ServiceConfig):
        return "inference"
    if isinstance(config, TrainingConfig):
        return "training"
    from .batch import BatchConfig

    if isinstance(config, BatchConfig):
        return "batch"
    raise InputError(
        f"a {type(config).__name__} is not a workload configuration",
        field="workloads",
        expected="EngineConfig, ServiceConfig, TrainingConfig or BatchConfig",
    )


def build_workload(config: Any) -> Any:
    """The core plug-in of an engine configuration (a built plug-in, e.g. your own
    :class:`~spacecompute.sim.core.Workload`, as given)."""
    if _is_plugin(config):
        return config
    kind = _kind_of(config)
    if kind == "earth-observation":
        from .engine import _EORun

        return _EORun(config, False)
    if kind == "inference":
        from .service import ServiceWorkload

        return ServiceWorkload(config)
    if kind == "training":
        from .training import TrainingWorkload

        return TrainingWorkload(config)
    from .batch import BatchWorkload

    return BatchWorkload(config)


def check_mixed_config(config: MixedConfig) -> None:
    """Build every workload and the arbiter without stepping (``spacecompute validate``)."""
    MixedRun(config)


class MixedRun:
    """A mixed run: the workloads, the arbiter, and the fleet-level accounting of the split
    (the core's observer: :meth:`on_step`, :meth:`state_dict`)."""

    def __init__(self, config: MixedConfig) -> None:
        self.config = config
        self.names = [workload_name(w) for w in config.workloads]
        self.workloads = [build_workload(w.config) for w in config.workloads]
        self.arbiter = get_arbiter(config.arbiter)
        self.priority = np.array([int(w.priority) for w in config.workloads], np.int64)
        self.weight = np.array([float(w.weight) for w in config.workloads], np.float64)
        self.core = Core(self.workloads, share=self.share, observer=self)
        fleet = self.core.fleet
        self.n = n = len(self.core.const)
        self.dt = self.core.clock.dt_s
        self.idle_w = np.broadcast_to(np.asarray(fleet.power.compute_idle_w, float), (n,))
        self.max_w = np.broadcast_to(np.asarray(fleet.power.compute_max_w, float), (n,))
        self.horizon = horizon_steps(self.arbiter, self.dt)
        self._blocks: dict[int, np.ndarray] = {}  # forecast sunlight by block of steps
        w = len(self.workloads)
        self.sat = {
            "energy_j": np.zeros(n),
            "energy_idle_j": np.zeros(n),
            "useful": np.zeros(n),
            "sunlit": np.zeros(n),
            "energy_w": np.zeros((w, n)),
            "useful_w": np.zeros((w, n)),
        }
        self.rows: dict[str, list[float]] = {}
        self.step_times: list[int] = []
        self.totals = np.zeros(2)  # brown-outs, silent faults

    # -- the arbiter ----------------------------------------------------------------------------
    def view(self, step: Step, demand: np.ndarray, avail: np.ndarray) -> ArbiterView:
        """The fleet as the arbiter sees it at the step start (see :class:`ArbiterView`)."""
        fleet, dt = self.core.fleet, self.dt
        pw, ps = fleet.power, fleet.power_state
        battery = np.asarray(ps.stored_energy_j, float)
        capacity_j = np.broadcast_to(np.asarray(ps.capacity_j, float), battery.shape)
        reserve = np.asarray(pw.compute_shed_soc, float) * capacity_j
        base_w = fleet.essential_load_w + self.idle_w
        solar_j = SOLAR_CONSTANT_W_M2 * pw.effective_area_m2 * step.sunlit * dt
        # what the payload may spend above idle with no brown-out: the battery above its reserve
        # plus the step's solar input less the bus and idle draw (ArbiterView)
        available = np.maximum(battery - reserve + solar_j - base_w * dt, 0.0)
        forecast = self._forecast(step, demand, base_w) if self.horizon > 0 else None
        return ArbiterView(
            step_index=step.index,
            dt_s=dt,
            names=tuple(self.names),
            priority=self.priority,
            weight=self.weight,
            demand=demand,
            capacity=avail,
            dynamic_energy_j=(self.max_w - self.idle_w) * dt,
            energy_available_j=available,
            battery_j=battery,
            battery_capacity_j=capacity_j,
            reserve_j=reserve,
            forecast=forecast,
        )

    def _forecast(self, step: Step, demand: np.ndarray, base_w: np.ndarray) -> ArbiterForecast:
        """Look-ahead over the next ``horizon_steps`` (cut at the end of the run): sunlight and
        array energy from the orbits propagated again for those steps (blocks aligned on step
        indices, so the forecast does not depend on the chunking), the bus and idle draw, the
        present demand held constant (persistence); no contact information (all False)."""
        dt = self.dt
        k1 = min(step.index + self.horizon, self.core.clock.total_steps)
        sunlit = self._sunlit_ahead(step.index, k1)
        solar = SOLAR_CONSTANT_W_M2 * self.core.fleet.power.effective_area_m2 * sunlit * dt
        h = sunlit.shape[0]
        return ArbiterForecast(
            sunlit=sunlit,
            solar_energy_j=solar,
            base_energy_j=np.broadcast_to(base_w * dt, sunlit.shape),
            demand=np.repeat(demand[:, None, :], h, axis=1),
            in_contact=np.zeros(sunlit.shape, bool),
        )

    def _sunlit_ahead(self, k0: int, k1: int) -> np.ndarray:
        """(k1 - k0, N) sunlit fraction at the starts of steps k0..k1-1, from blocks of steps
        propagated once each (the last two kept)."""
        from ..astro.eclipse import sunlit_fraction_from_positions
        from ..astro.sun import sun_position_eci_m

        c = self.core.clock
        size = max(self.horizon, 64)
        rows = []
        for b in range(k0 // size, (max(k1, k0 + 1) - 1) // size + 1):
            if b not in self._blocks:
                steps = np.arange(b * size, min((b + 1) * size, c.total_steps), dtype=np.int64)
                t0 = np.datetime64(c.start, "ns").astype(np.int64)
                times = (t0 + steps * c.dt_ns).astype("datetime64[ns]")
                eph = self.core.const.propagate(None, times=times, method=c.propagator)
                sl = sunlit_fraction_from_positions(
                    eph.r_eci_m, sun_position_eci_m(eph.times), c.shadow
                )
                self._blocks[b] = np.nan_to_num(np.asarray(sl, np.float64), nan=0.0)
                for old in [x for x in self._blocks if x < b - 1]:
                    del self._blocks[old]
            rows.append(self._blocks[b])
        block = np.concatenate(rows, axis=0)
        first = (k0 // size) * size
        return block[k0 - first : k1 - first]

    def share(self, step: Step, demands: list[Demand]) -> list[np.ndarray]:
        """Demands (loads) -> the arbiter's grants -> loads for the fleet (see the module
        docstring, step 2)."""
        fleet, dt = self.core.fleet, self.dt
        avail = fleet.thermal_throttle * (1.0 - np.minimum(fleet.downtime_s, dt) / dt)
        loads = np.array([np.clip(d.load, 0.0, 1.0) for d in demands])
        demand = loads * avail[None, :]
        view = self.view(step, demand, avail)
        grant = check_arbiter_grants(self.arbiter.share(view), view, self.arbiter, step.index)
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = np.where(avail > 0, grant / avail, 0.0)
        return list(np.where(grant >= demand, loads, np.minimum(scaled, loads)))

    # -- the fleet-level accounting (the core's observer) ---------------------------------------
    def on_step(self, step: Step, fs: Any, demands: list[Demand], loads: list[np.ndarray]) -> None:
        dt, sat = self.dt, self.sat
        power = np.asarray(fs.compute_power_w, float)
        total = np.sum(loads, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(total > 0, np.asarray(loads) / total, 0.0)
        e_idle = np.minimum(power, self.idle_w) * dt
        e_w = np.maximum(power - self.idle_w, 0.0)[None, :] * dt * frac
        u_w = fs.useful_fraction[None, :] * frac
        sat["energy_j"] += power * dt
        sat["energy_idle_j"] += e_idle
        sat["energy_w"] += e_w
        sat["useful"] += fs.useful_fraction
        sat["useful_w"] += u_w
        sat["sunlit"] += step.sunlit
        brown = float(np.count_nonzero(fs.brownout))
        self.totals += (brown, float(np.sum(fs.silent_errors)))
        soc, temp = fs.state_of_charge, fs.temperature_k
        row = {
            "utilisation_mean": float(np.mean(fs.useful_fraction)),
            "compute_power_w": float(power.sum()),
            **envelopes(soc, temp),
            "brownouts": brown,
            "faults": float(np.sum(fs.silent_errors) + np.sum(fs.detected_errors)),
            "energy_idle_j": float(e_idle.sum()),
        }
        for i, name in enumerate(self.names):
            row[f"utilisation_{name}"] = float(u_w[i].mean())
            row[f"demand_{name}"] = float(np.mean(np.clip(demands[i].load, 0.0, 1.0)))
            row[f"grant_{name}"] = float(np.mean(loads[i]))
            row[f"energy_{name}_j"] = float(e_w[i].sum())
            for what in ("storage_bytes", "link_bytes"):  # reported by the workloads that hold
                value = getattr(demands[i], what)  # data on board or move it over links
                if value is not None:
                    row[f"{what[:-6]}_{name}_bytes"] = float(np.sum(value))
        for key, value in row.items():
            self.rows.setdefault(key, []).append(value)
        self.step_times.append(step.time_ns)

    def state_dict(self) -> dict[str, np.ndarray]:
        out = {"mix.sat." + k: v for k, v in self.sat.items()}
        out.update({"mix.row." + k: np.asarray(v, float) for k, v in self.rows.items()})
        out["mix.step_times"] = np.asarray(self.step_times, np.int64)
        out["mix.totals"] = self.totals
        arbiter_state = getattr(self.arbiter, "state_dict", None)
        if callable(arbiter_state):
            out.update({"arbiter." + k: v for k, v in arbiter_state().items()})
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        for k in self.sat:
            self.sat[k] = np.array(state["mix.sat." + k], float)
        self.rows = {
            k[len("mix.row.") :]: [float(x) for x in v]
            for k, v in state.items()
            if k.startswith("mix.row.")
        }
        self.step_times = [int(x) for x in state["mix.step_times"]]
        self.totals = np.array(state["mix.totals"], float)
        arbiter_load = getattr(self.arbiter, "load_state_dict", None)
        if callable(arbiter_load):
            arbiter_load({k[8:]: v for k, v in state.items() if k.startswith("arbiter.")})

    # -- results --------------------------------------------------------------------------------
    def result(self, wall0: float, out_dir: Any) -> EngineResult:
        from .mixed_results import mixed_result

        parts = [w.result(wall0, None) for w in self.workloads]
        return mixed_result(self, parts, wall0, out_dir)


def run_mixed(
    config: MixedConfig,
    out_dir: Any = None,
    *,
    checkpoint: Any = None,
    progress: Any = None,
) -> EngineResult:
    """Run the mix ``config`` (see the module docstring); with ``out_dir`` write a run
    directory. ``checkpoint`` and ``progress`` as for the single-workload engines. The result's
    ``parts`` maps each workload's name to its own :class:`EngineResult`."""
    from .._runtime import numba_threads_for

    if not isinstance(config, MixedConfig):
        raise InputError(f"config is a {type(config).__name__}", expected="a MixedConfig")
    wall0 = _time.perf_counter()
    run = MixedRun(config)
    with numba_threads_for(run.n):
        run.core.run(checkpoint=checkpoint, progress=progress, out_dir=out_dir)
    return run.result(wall0, out_dir)


__all__ = [
    "SHORT_NAMES",
    "MixedConfig",
    "MixedRun",
    "MixedWorkload",
    "arbiter_names",
    "check_mixed_config",
    "get_arbiter",
    "run_mixed",
    "workload_name",
]
