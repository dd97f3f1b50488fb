"""``scene.czml``: a run as a CZML document for Cesium (and any CZML reader), written with czml3.

Packets, in order: the document (``id: document``, a clock over the run, the note on which
satellites are drawn in its ``name``), one per drawn satellite (``sat-<index>``: positions
sampled in the Earth-fixed frame (``referenceFrame: FIXED``, ITRS) with LAGRANGE interpolation of
degree :data:`INTERPOLATION_DEGREE`, so Cesium draws smooth motion from the run's 60 s step, and
a point coloured by state over time, one interval per run of equal states), one per ground
station (``station-<index>``), one per station-satellite pair that had a contact
(``contact-<station>-<satellite>``: a line shown during the contact windows) and one per pair of
satellites whose laser link carried traffic (``link-<a>-<b>``: a line shown while it did).

The drawn satellites are those of ``states.parquet``: all of them up to 10,000, else the
deterministic subset named in the document's ``name`` (see :mod:`spacecompute.sim.states`).
Positions are sampled every step unless satellites x samples would pass
:data:`~spacecompute.results.scene.CZML_SAMPLE_BUDGET`; the sample interval is then a whole
number of steps, at most :data:`~spacecompute.results.scene.CZML_MAX_SAMPLE_S` (300 s: the
interpolation stays within 0.2 km), and the document's ``name`` says which.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InputError
from .scene import CZML_MAX_SAMPLE_S, CZML_SAMPLE_BUDGET, Scene, load_scene

CZML_FILE = "scene.czml"
#: Degree of the Lagrange interpolation of the sampled positions (Cesium's
#: LagrangePolynomialApproximation; degree 5 interpolates 6 samples).
INTERPOLATION_DEGREE = 5
#: RGBA colour of each state (index = code of :data:`~spacecompute.sim.states.STATE_NAMES`).
STATE_RGBA: tuple[tuple[int, int, int, int], ...] = (
    (242, 199, 68, 255),  # sunlit
    (90, 111, 180, 255),  # eclipse
    (60, 180, 75, 255),  # computing
    (245, 130, 49, 255),  # throttled
    (230, 25, 75, 255),  # faulted
    (145, 30, 180, 255),  # browned out
)
STATION_RGBA = (255, 255, 255, 255)
CONTACT_RGBA = (0, 200, 255, 200)
LINK_RGBA = (255, 80, 200, 200)


def iso(ns: int) -> str:
    """UTC ISO 8601 text of ``ns`` nanoseconds since the epoch (millisecond precision)."""
    return str(np.datetime64(int(ns), "ns").astype("datetime64[ms]")) + "Z"


def iso_array(ns: np.ndarray) -> list[str]:
    """:func:`iso` of many instants at once."""
    ms = np.asarray(ns, dtype=np.int64).astype("datetime64[ns]").astype("datetime64[ms]")
    text = np.datetime_as_string(ms, unit="ms")
    return [x + "Z" for x in text.tolist()]


def czml_packets(scene: Scene) -> list[Any]:
    """The czml3 packets of ``scene`` (see the module docstring)."""
    import czml3
    from czml3 import properties as p
    from czml3 import types as t
    from czml3.enums import ClockRanges, ClockSteps, InterpolationAlgorithms

    from ..sim.states import STATE_NAMES

    start, end = iso(scene.start_ns), iso(scene.end_ns)
    whole = t.TimeInterval(start=start, end=end)
    step_ns = round(scene.step_s * 1e9)
    packets: list[Any] = [
        czml3.Packet(
            id="document",
            name=f"{scene.label} ({scene.workload}, {scene.policy}): {scene.note}; positions every "
            f"{scene.sample_steps * scene.step_s:g} s",
            version="1.0",
            clock=p.Clock(
                interval=whole,
                currentTime=start,
                multiplier=60.0,
                range=ClockRanges.LOOP_STOP,
                step=ClockSteps.SYSTEM_CLOCK_MULTIPLIER,
            ),
        )
    ]
    rel_s = (scene.sample_times_ns - scene.start_ns) / 1e9
    # one validated colour per state; the intervals are built without re-validating each one
    # (hundreds of thousands in a large run): their times come from step_times, already in
    # the form czml3 writes
    palette = [p.Color(rgba=list(rgba)) for rgba in STATE_RGBA]
    step_times = iso_array(scene.start_ns + np.arange(scene.n_steps + 1, dtype=np.int64) * step_ns)
    for j, sat in enumerate(scene.satellites):
        xyz = np.round(scene.r_ecef_m[:, j, :])
        ok = np.isfinite(xyz).all(axis=1)
        samples = np.column_stack([rel_s[ok], xyz[ok]]).ravel().tolist()
        change, codes = _runs(scene.states[:, j])
        bounds = np.r_[change, scene.n_steps]
        colors = [
            t.IntervalValue.model_construct(
                start=step_times[bounds[i]], end=step_times[bounds[i + 1]], value=palette[c]
            )
            for i, c in enumerate(codes.tolist())
        ]
        packets.append(
            czml3.Packet(
                id=f"sat-{int(sat)}",
                name=str(scene.names[j]),
                description=f"satellite {int(sat)}; states: {', '.join(STATE_NAMES)}",
                availability=whole,
                position=p.Position(
                    epoch=start,
                    referenceFrame="FIXED",
                    interpolationAlgorithm=InterpolationAlgorithms.LAGRANGE,
                    interpolationDegree=INTERPOLATION_DEGREE,
                    cartesian=samples,
                ),
                point=p.Point(
                    pixelSize=5,
                    color=t.TimeIntervalCollection(values=colors) if colors else None,
                ),
            )
        )
    st = scene.stations
    for i, name in enumerate(st["names"]):
        packets.append(
            czml3.Packet(
                id=f"station-{i}",
                name=str(name),
                position=p.Position(
                    cartographicDegrees=[
                        float(st["lon_deg"][i]),
                        float(st["lat_deg"][i]),
                        float(st["alt_m"][i]),
                    ]
                ),
                point=p.Point(pixelSize=7, color=p.Color(rgba=list(STATION_RGBA))),
            )
        )
    packets += _line_packets(
        "contact",
        scene.contacts["station"],
        scene.contacts["satellite"],
        scene.contacts["start_ns"],
        scene.contacts["end_ns"],
        lambda a: f"station-{int(a)}",
        lambda b: f"sat-{int(scene.satellites[b])}",
        CONTACT_RGBA,
    )
    links = scene.links
    packets += _line_packets(
        "link",
        links["a"],
        links["b"],
        scene.start_ns + links["first_step"] * step_ns,
        scene.start_ns + links["end_step"] * step_ns,
        lambda a: f"sat-{int(scene.satellites[a])}",
        lambda b: f"sat-{int(scene.satellites[b])}",
        LINK_RGBA,
    )
    return packets


def _runs(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    change = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if codes.size else codes
    return change, codes[change]


def _line_packets(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    start_ns: np.ndarray,
    end_ns: np.ndarray,
    ref_a: Any,
    ref_b: Any,
    rgba: tuple[int, int, int, int],
) -> list[Any]:
    """One polyline packet per (a, b) pair, shown during its intervals."""
    import czml3
    from czml3 import properties as p
    from czml3 import types as t
    from czml3.enums import ArcTypes

    out = []
    if len(a) == 0:
        return out
    order = np.lexsort((start_ns, b, a))
    a, b, s, e = a[order], b[order], start_ns[order], end_ns[order]
    new = np.flatnonzero(np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1])])
    for g0, g1 in zip(new, np.r_[new[1:], a.size], strict=True):
        ra, rb = ref_a(a[g0]), ref_b(b[g0])
        shown = [
            t.IntervalValue(start=iso(s[i]), end=iso(e[i]), value=True)
            for i in range(g0, g1)
            if e[i] > s[i]
        ]
        if not shown:
            continue
        out.append(
            czml3.Packet(
                id=f"{kind}-{ra}-{rb}",
                name=f"{kind} {ra} - {rb}",
                polyline=p.Polyline(
                    positions=p.PositionList(references=[f"{ra}#position", f"{rb}#position"]),
                    arcType=ArcTypes.NONE,  # a straight line, not a geodesic along the ground
                    show=t.TimeIntervalCollection(values=shown),
                    width=1.5,
                    material=p.PolylineMaterial(
                        solidColor=p.SolidColorMaterial(color=p.Color(rgba=list(rgba)))
                    ),
                ),
            )
        )
    return out


def write_czml(run_dir: str | Path, *, budget: int = CZML_SAMPLE_BUDGET) -> list[Path]:
    """Write ``scene.czml`` in ``run_dir``, or in each policy directory of a comparison run;
    returns the files written (atomically, one packet at a time)."""
    from ..table import atomic_write
    from .scene import scene_run_dirs

    try:
        import czml3  # noqa: F401
    except ImportError:
        raise InputError(
            "writing CZML needs the czml3 package",
            field="--czml",
            expected="pip install 'spacecompute[czml]'",
        ) from None
    written = []
    for one in scene_run_dirs(run_dir):
        scene = load_scene(one, budget=budget, max_sample_s=CZML_MAX_SAMPLE_S)
        packets = czml_packets(scene)
        path = Path(one) / CZML_FILE

        def write(tmp: Any, packets: list[Any] = packets) -> None:
            with open(tmp, "w", encoding="utf-8") as f:
                f.write("[\n")
                for i, packet in enumerate(packets):
                    f.write(("," if i else "") + packet.to_json(indent=None) + "\n")
                f.write("]\n")

        atomic_write(path, write)
        written.append(path)
    return written


def read_czml(path: str | Path) -> list[dict[str, Any]]:
    """The packets of a CZML file (plain JSON)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


__all__ = ["CZML_FILE", "INTERPOLATION_DEGREE", "STATE_RGBA", "czml_packets", "write_czml"]
