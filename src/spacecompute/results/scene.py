"""What the 3D view and the CZML scene draw, rebuilt from a run directory.

A :class:`Scene` holds, for the satellites recorded in ``states.parquet`` (all of them up to
:data:`~spacecompute.sim.states.MAX_SATELLITES`, else the deterministic subset named there):
Earth-fixed positions (ITRS, metres) sampled every ``sample_steps`` steps, the state intervals
(run-length encoded ``states.parquet``), the ground stations, the ground contacts (the
``contacts`` table) and the laser links that carried traffic (``links.parquet``).

Positions are not stored by the run: the orbits are propagated again from the scenario saved
with the run (``scenario.yaml``, written by ``spacecompute run``; else the constellation preset
named in ``summary.json``) with the run's propagator, epoch and time grid, so they are the
positions the engine used. The sampling interval is the run's step, widened to a whole number
of steps so that satellites x samples stays within a budget (:data:`CZML_SAMPLE_BUDGET`,
:data:`VIEW_SAMPLE_BUDGET`); the viewers interpolate between samples.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError

#: Most satellite-position samples in a CZML scene (10,000 satellites x 200 samples).
CZML_SAMPLE_BUDGET = 2_000_000
#: Most satellite-position samples in a view page (10,000 satellites x 100 samples).
VIEW_SAMPLE_BUDGET = 1_000_000
#: Longest interval between CZML position samples (s): Lagrange interpolation of degree 5 of
#: Earth-fixed LEO positions stays within 0.2 km at 300 s (2.8 km at 480 s, 105 km at 900 s;
#: measured on Starlink shell 1 over a day, docs/visualisation.md), so the CZML budget gives
#: way to accuracy beyond it.
CZML_MAX_SAMPLE_S = 300.0


@dataclass
class Scene:
    """One run, ready to draw. Times are int64 ns since the Unix epoch (UTC).

    ``satellites`` (M,) indices in the run, ``names`` (M,); ``sample_times_ns`` (T,) and
    ``r_ecef_m`` (T, M, 3) float64; ``step_times_ns`` (K + 1,) the run's step boundaries;
    ``states`` (K, M) uint8 codes (:data:`~spacecompute.sim.states.STATE_NAMES`); at the steps
    ``detail_steps`` (D,) (the sampled ones) ``soc``, ``temperature_k``, ``queue_ops``
    (float32) and ``job`` (int64), each (D, M);
    ``stations``: names, lat_deg, lon_deg, alt_m; ``contacts``: (station, satellite position
    in ``satellites``, start_ns, end_ns) arrays; ``links``: (a, b positions, first step, last
    step + 1) arrays of laser-link intervals. ``note`` says which satellites are drawn.
    """

    path: Path
    label: str
    workload: str
    policy: str
    n_satellites: int
    satellites: np.ndarray
    names: np.ndarray
    start_ns: int
    step_s: float
    n_steps: int
    sample_steps: int
    sample_times_ns: np.ndarray
    r_ecef_m: np.ndarray
    states: np.ndarray
    detail_steps: np.ndarray
    soc: np.ndarray
    temperature_k: np.ndarray
    queue_ops: np.ndarray
    job: np.ndarray
    stations: dict[str, np.ndarray]
    contacts: dict[str, np.ndarray]
    links: dict[str, np.ndarray]
    note: str

    @property
    def end_ns(self) -> int:
        return int(self.start_ns + round(self.n_steps * self.step_s * 1e9))

    def state_intervals(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per drawn satellite: (first step of each run of equal states, its state code)."""
        out = []
        for j in range(self.states.shape[1]):
            s = self.states[:, j]
            change = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
            out.append((change, s[change]))
        return out


def sample_stride(
    n_satellites: int,
    n_steps: int,
    budget: int,
    *,
    step_s: float = 60.0,
    max_s: float | None = None,
) -> int:
    """Steps between position samples: 1, or the smallest whole number keeping
    ``n_satellites x samples`` within ``budget``; with ``max_s``, at most ``max_s`` seconds
    (at least one step) even if the budget is passed."""
    samples = n_steps + 1
    if n_satellites * samples <= budget:
        return 1
    per_sat = max(budget // max(n_satellites, 1), 2)
    stride = max(1, math.ceil(n_steps / (per_sat - 1)))
    if max_s is not None:
        stride = min(stride, max(1, int(max_s // step_s)))
    return stride


def load_scene(
    run_dir: str | Path, *, budget: int = VIEW_SAMPLE_BUDGET, max_sample_s: float | None = None
) -> Scene:
    """The :class:`Scene` of one run directory (not a comparison run's top directory: pass
    one of its policy directories); ``budget`` and ``max_sample_s`` as in
    :func:`sample_stride`."""
    import pyarrow.parquet as pq

    from ..sim.states import STATES_FILE
    from .store import RunResult

    run_dir = Path(run_dir)
    result = RunResult.load(run_dir)
    summary = result.summary
    states_path = run_dir / STATES_FILE
    if not states_path.is_file():
        raise InputError(
            "the run has no per-satellite state series",
            file=str(states_path),
            expected="a run written by `spacecompute run --out` of this version (run it again)",
        )
    n_sat = int(summary["satellites"])
    n_steps = int(summary["steps"])
    step_s = float(summary["step_s"])
    start = np.datetime64(str(summary["start"]).rstrip("Z"), "ns")
    start_ns = int(start.astype(np.int64))
    states_file = pq.ParquetFile(states_path)
    sats = np.unique(
        pq.read_table(states_path, columns=["satellite"])["satellite"].to_numpy()
    ).astype(np.int64)
    m = sats.size

    loaded = _scenario_of_run(run_dir)
    const, propagator = _constellation(loaded, summary, start, run_dir)
    if len(const) != n_sat:
        raise InputError(
            f"the scenario's constellation has {len(const)} satellites, the run {n_sat}",
            file=str(run_dir / "scenario.yaml"),
            expected="the scenario the run was made with",
        )
    stride = sample_stride(m, n_steps, budget, step_s=step_s, max_s=max_sample_s)
    idx = np.unique(np.minimum(np.arange(0, n_steps + stride, stride), n_steps))
    dt_ns = round(step_s * 1e9)
    times = start + (idx * dt_ns).astype("timedelta64[ns]")
    r = _positions(const, sats, times, propagator)
    # states every step; battery, temperature, queue and job at the sampled steps (the last
    # sample, the run's end, shows the last step), read in batches: memory ~ steps x M bytes
    detail = np.unique(np.minimum(idx, max(n_steps - 1, 0)))
    row_of = np.full(max(n_steps, 1), -1, np.int64)
    row_of[detail] = np.arange(detail.size)
    states = np.full((n_steps, m), 1, np.uint8)
    d = detail.size
    soc = np.full((d, m), np.nan, np.float32)
    temp = np.full((d, m), np.nan, np.float32)
    queue = np.zeros((d, m), np.float32)
    job = np.full((d, m), -1, np.int64)
    for batch in states_file.iter_batches(batch_size=1_000_000):
        col = {name: batch.column(name).to_numpy() for name in batch.schema.names}
        step = col["step"].astype(np.int64)
        if step.size and (step.min() < 0 or step.max() >= n_steps):
            raise InputError(
                "steps outside the run", file=str(states_path), expected=f"steps 0..{n_steps - 1}"
            )
        pos = np.searchsorted(sats, col["satellite"])
        states[step, pos] = col["state"]
        keep = row_of[step] >= 0
        rows, p = row_of[step[keep]], pos[keep]
        soc[rows, p] = col["soc"][keep]
        temp[rows, p] = col["temperature_k"][keep]
        queue[rows, p] = col["queue_ops"][keep]
        job[rows, p] = col["job"][keep]

    names = np.asarray(const.names, dtype=object)[sats]
    workload = str(
        summary.get("workload") or (loaded.spec.workload.kind if loaded is not None else "")
    )
    if workload == "mix" and "eo" in (summary.get("workloads") or {}):
        workload = "earth-observation"  # a mix with imaging downlinks to the stations
    stations = _stations(loaded, workload)
    contacts = _contacts(run_dir, sats, stations)
    links = _links(run_dir, sats)
    note = (
        f"all {n_sat:,} satellites"
        if m == n_sat
        else f"{m:,} of {n_sat:,} satellites (cap {m:,}): satellites floor(j x {n_sat} / {m}),"
        f" j = 0..{m - 1}"
    )
    return Scene(
        path=run_dir,
        label=result.label,
        workload=workload,
        policy=str(summary.get("policy", "")),
        n_satellites=n_sat,
        satellites=sats,
        names=names,
        start_ns=start_ns,
        step_s=step_s,
        n_steps=n_steps,
        sample_steps=stride,
        sample_times_ns=times.astype(np.int64),
        r_ecef_m=r,
        states=states,
        detail_steps=detail,
        soc=soc,
        temperature_k=temp,
        queue_ops=queue,
        job=job,
        stations=stations,
        contacts=contacts,
        links=links,
        note=note,
    )


def _scenario_of_run(run_dir: Path) -> Any:
    """The run's saved scenario as a LoadedScenario, or None if it has none."""
    from ..scenario.loader import LoadedScenario
    from ..scenario.schema import ScenarioSpec
    from ..yamlio import load_yaml_file, validate_located

    path = run_dir / "scenario.yaml"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^# base_dir: (.+)$", text, re.MULTILINE)
    base = Path(m.group(1)) if m else run_dir
    spec = validate_located(load_yaml_file(path), ScenarioSpec)
    return LoadedScenario(spec, str(path), base)


def _constellation(loaded: Any, summary: dict, start: np.datetime64, run_dir: Path) -> Any:
    from ..scenario.build import build_constellation, preset_constellation

    if loaded is not None:
        spec = loaded.spec
        if spec.constellation.preset is not None and spec.constellation.epoch is None:
            return preset_constellation(spec.constellation.preset, epoch=start), spec.propagator
        # shells, or a preset with its own epoch: built as the run built it
        const, _ = build_constellation(spec.constellation, loaded.base_dir, epoch=start)
        return const, spec.propagator
    name = summary.get("constellation")
    if not isinstance(name, str) or name == "custom":
        raise InputError(
            "cannot rebuild the orbits: no scenario.yaml and no constellation preset named in "
            "the summary",
            file=str(run_dir),
            expected="a run directory written by `spacecompute run --out`",
        )
    return preset_constellation(name, epoch=start), "sgp4"


def _positions(const: Any, sats: np.ndarray, times: np.ndarray, propagator: str) -> np.ndarray:
    """(T, M, 3) Earth-fixed positions (m) of satellites ``sats`` at ``times``."""
    from ..astro.constellation import Constellation

    sub = Constellation(const.elements.take(sats), name=const.name)
    out = np.empty((times.size, sats.size, 3))
    per = max(1, 50_000_000 // max(sats.size * 200, 1))
    for a in range(0, times.size, per):
        eph = sub.propagate(None, times=times[a : a + per], method=propagator, velocities=False)
        out[a : a + per] = eph.r_ecef_m
    return out


def _stations(loaded: Any, workload: str) -> dict[str, np.ndarray]:
    """The ground stations the run used: those of an Earth-observation run (its downlink);
    the other workloads use none (their users are in cities)."""
    from ..astro.ground import ground_stations

    st = None
    if workload == "earth-observation" and loaded is not None:
        from ..scenario.build import build_ground

        st = build_ground(loaded)
    if st is None and workload == "earth-observation":
        from ..sim.engine import DEFAULT_STATIONS

        st = ground_stations(list(DEFAULT_STATIONS))
    if st is None:
        return {
            "names": np.zeros(0, object),
            "lat_deg": np.zeros(0),
            "lon_deg": np.zeros(0),
            "alt_m": np.zeros(0),
        }
    return {
        "names": np.asarray(st.names, dtype=object),
        "lat_deg": np.asarray(st.lat_deg, float),
        "lon_deg": np.asarray(st.lon_deg, float),
        "alt_m": np.asarray(st.alt_m, float),
    }


def _contacts(run_dir: Path, sats: np.ndarray, stations: dict) -> dict[str, np.ndarray]:
    import pyarrow.parquet as pq

    empty = {k: np.zeros(0, np.int64) for k in ("station", "satellite", "start_ns", "end_ns")}
    path = run_dir / "contacts.parquet"
    if not path.is_file() or stations["names"].size == 0:
        return empty
    t = pq.read_table(path, columns=["station", "satellite", "start", "end"])
    sat = t["satellite"].to_numpy().astype(np.int64)
    station = t["station"].to_numpy().astype(np.int64)
    keep = np.isin(sat, sats) & (station >= 0) & (station < stations["names"].size)

    def ns(col: str) -> np.ndarray:
        return t[col].to_numpy().astype("datetime64[ns]").astype(np.int64)[keep]

    return {
        "station": station[keep],
        "satellite": np.searchsorted(sats, sat[keep]),
        "start_ns": ns("start"),
        "end_ns": ns("end"),
    }


def _links(run_dir: Path, sats: np.ndarray) -> dict[str, np.ndarray]:
    """Laser-link intervals: consecutive steps of one pair joined."""
    import pyarrow.parquet as pq

    from ..sim.states import LINKS_FILE

    empty = {k: np.zeros(0, np.int64) for k in ("a", "b", "first_step", "end_step")}
    path = run_dir / LINKS_FILE
    if not path.is_file():
        return empty
    t = pq.read_table(path)
    a = t["a"].to_numpy().astype(np.int64)
    b = t["b"].to_numpy().astype(np.int64)
    step = t["step"].to_numpy().astype(np.int64)
    keep = np.isin(a, sats) & np.isin(b, sats)
    a, b, step = a[keep], b[keep], step[keep]
    if a.size == 0:
        return empty
    order = np.lexsort((step, b, a))
    a, b, step = a[order], b[order], step[order]
    new = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (step[1:] != step[:-1] + 1)]
    first = np.flatnonzero(new)
    last = np.r_[first[1:], a.size] - 1
    return {
        "a": np.searchsorted(sats, a[first]),
        "b": np.searchsorted(sats, b[first]),
        "first_step": step[first],
        "end_step": step[last] + 1,
    }


def scene_run_dirs(run_dir: str | Path) -> list[Path]:
    """The run directories under ``run_dir``: itself, or each policy of a comparison run."""
    from .store import find_runs

    return [r.path for r in find_runs(run_dir)]


__all__ = [
    "CZML_MAX_SAMPLE_S",
    "CZML_SAMPLE_BUDGET",
    "VIEW_SAMPLE_BUDGET",
    "Scene",
    "load_scene",
    "sample_stride",
    "scene_run_dirs",
]
