"""``view.html``: a run on a 3D globe that works from ``file://``, offline, with no token.

One self-contained page: three.js (vendored, ``data/web/three.module.min.js``), the Earth
texture (``data/web/earth-2048x1024.png``, rendered from the package's land mask) and the run's
data are inlined, because a page opened from ``file://`` cannot fetch files. The app
(``data/web/view.js``) draws the satellites as one point cloud coloured by state (instanced on
the GPU: smooth at 10,000 satellites), the ground stations, the ground contacts and the laser
links in use, with a time slider, play/pause and speed, layer toggles, and a click on a
satellite showing its battery, temperature, queue and job at that time.

What is drawn is a :class:`~spacecompute.results.scene.Scene`: at most 10,000 satellites (the
deterministic subset of ``states.parquet`` above that, named on the page), positions sampled
every step unless satellites x samples would pass
:data:`~spacecompute.results.scene.VIEW_SAMPLE_BUDGET` (then a whole number of steps; the page
interpolates along the orbit between samples). Positions go into the page as int16 (a
resolution of ``max |r| / 32767``, 0.26 km in LEO); battery as 1/255, temperature as 0.1 K.
"""

from __future__ import annotations

import base64
import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .scene import VIEW_SAMPLE_BUDGET, Scene, load_scene

VIEW_FILE = "view.html"
THREE_FILE = "three.module.min.js"
TEXTURE_FILE = "earth-2048x1024.png"
APP_FILE = "view.js"


def _web(name: str) -> bytes:
    return resources.files("spacecompute").joinpath("data", "web", name).read_bytes()


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def scene_payload(scene: Scene) -> dict[str, Any]:
    """The page's data (JSON-ready; arrays little-endian, base64)."""
    from ..sim.states import STATE_NAMES
    from .czml import STATE_RGBA

    r = scene.r_ecef_m
    valid = np.isfinite(r).all(axis=2)
    peak = float(np.abs(np.where(valid[..., None], r, 0.0)).max()) if r.size else 1.0
    scale = max(peak, 1.0) / 32767.0
    q = np.round(np.where(valid[..., None], r, 0.0) / scale).astype("<i2")
    sample_idx = np.round((scene.sample_times_ns - scene.start_ns) / (scene.step_s * 1e9))
    # state runs per satellite
    ptr, steps, codes = [0], [], []
    for change, code in scene.state_intervals():
        steps.append(change)
        codes.append(code)
        ptr.append(ptr[-1] + change.size)
    k = scene.n_steps
    detail = scene.detail_steps
    soc = np.round(np.nan_to_num(scene.soc, nan=0.0) * 255).clip(0, 255).astype("u1")
    temp = np.round(np.nan_to_num(scene.temperature_k, nan=0.0) * 10).clip(0, 65535)
    c = scene.contacts
    rel = lambda ns: ((ns - scene.start_ns) / 1e9).astype("<f4")  # noqa: E731
    st = scene.stations
    return {
        "label": scene.label,
        "workload": scene.workload,
        "policy": scene.policy,
        "note": scene.note,
        "start_ms": scene.start_ns // 1_000_000,
        "step_s": scene.step_s,
        "n_steps": k,
        "sample_steps_idx": sample_idx.astype(int).tolist(),
        "detail_steps_idx": detail.astype(int).tolist(),
        "names": [str(x) for x in scene.names],
        "satellites": scene.satellites.astype(int).tolist(),
        "pos_scale": scale,
        "pos_b64": _b64(q),
        "valid_b64": _b64(valid.astype("u1")),
        "state_ptr_b64": _b64(np.asarray(ptr, "<i4")),
        "state_step_b64": _b64(
            np.concatenate(steps).astype("<i4") if steps else np.zeros(0, "<i4")
        ),
        "state_code_b64": _b64(np.concatenate(codes).astype("u1") if codes else np.zeros(0, "u1")),
        "soc_b64": _b64(soc),
        "temperature_b64": _b64(temp.astype("<u2")),
        "queue_b64": _b64(np.nan_to_num(scene.queue_ops).astype("<f4")),
        "job_b64": _b64(scene.job.clip(-1, 2**31 - 1).astype("<i4")),
        "stations": {
            "names": [str(x) for x in st["names"]],
            "lat_deg": [float(x) for x in st["lat_deg"]],
            "lon_deg": [float(x) for x in st["lon_deg"]],
        },
        "contacts": {
            "station_b64": _b64(c["station"].astype("<i4")),
            "sat_b64": _b64(c["satellite"].astype("<i4")),
            "start_b64": _b64(rel(c["start_ns"])),
            "end_b64": _b64(rel(c["end_ns"])),
        },
        "links": {
            "a_b64": _b64(scene.links["a"].astype("<i4")),
            "b_b64": _b64(scene.links["b"].astype("<i4")),
            "first_b64": _b64(scene.links["first_step"].astype("<i4")),
            "end_b64": _b64(scene.links["end_step"].astype("<i4")),
        },
        "state_names": list(STATE_NAMES),
        "state_rgba": [list(x) for x in STATE_RGBA],
        "texture": "data:image/png;base64," + base64.b64encode(_web(TEXTURE_FILE)).decode(),
    }


_STYLE = """
html, body { margin: 0; height: 100%; background: #05070d; color: #dde3ee;
  font: 13px/1.35 system-ui, sans-serif; overflow: hidden; }
#globe { position: absolute; inset: 0; }
.panel { position: absolute; background: rgba(12, 18, 30, 0.86); border: 1px solid #2a3550;
  border-radius: 6px; padding: 8px 10px; }
#controls { left: 10px; right: 10px; bottom: 10px; display: flex; gap: 10px; align-items: center; }
#slider { flex: 1; }
#time { font-variant-numeric: tabular-nums; min-width: 11em; }
#title { left: 10px; top: 10px; max-width: 36em; }
#title h1 { font-size: 15px; margin: 0 0 4px; }
#legend { right: 10px; top: 10px; }
#legend span.sw { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
  margin-right: 6px; }
#legend td { padding: 0 4px; } #legend td.n { text-align: right; font-variant-numeric: tabular-nums; }
#info { left: 10px; top: 110px; }
#info th { text-align: left; padding-right: 10px; font-weight: 600; }
#layers label { margin-right: 8px; white-space: nowrap; }
#view-status { display: none; }
button, select { background: #1c2740; color: #dde3ee; border: 1px solid #3a4a70; border-radius: 4px; }
"""


def view_html(scene: Scene) -> str:
    """The whole page of ``scene`` as text."""
    three = _web(THREE_FILE).decode("utf-8")
    app = _web(APP_FILE).decode("utf-8")
    for name, text in ((THREE_FILE, three), (APP_FILE, app)):
        if "</script" in text.lower():
            raise RuntimeError(f"{name} contains '</script' and cannot be inlined")
    data = json.dumps(scene_payload(scene), separators=(",", ":")).replace("</", "<\\/")
    legend = "".join(
        f'<tr><td><span class="sw" style="background:rgb({r},{g},{b})"></span>{name}</td>'
        f'<td class="n" id="count-{i}">0</td></tr>'
        for i, (name, (r, g, b, _)) in enumerate(zip(_state_names(), _rgba(), strict=True))
    )
    title = html.escape(f"{scene.label}: {scene.workload}, {scene.policy}")
    note = html.escape(
        f"{scene.note}; positions every {scene.sample_steps * scene.step_s:g} s "
        f"(run step {scene.step_s:g} s), interpolated along the orbit"
    )
    layers = "".join(
        f'<label><input type="checkbox" class="layer" id="layer-{k}" checked> {label}</label>'
        for k, label in (
            ("satellites", "satellites"),
            ("stations", "stations"),
            ("contacts", "contacts"),
            ("links", "laser links"),
            ("earth", "Earth"),
        )
    )
    speeds = "".join(
        f'<option value="{v}"{" selected" if v == 60 else ""}>x{v}</option>'
        for v in (1, 10, 60, 300, 1200, 3600)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>spacecompute view: {title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{_STYLE}</style>
</head><body>
<div id="globe"></div>
<div id="title" class="panel"><h1>{title}</h1><div>{note}</div>
<div>drag to turn, wheel to zoom, click a satellite</div></div>
<div id="legend" class="panel"><table>{legend}</table></div>
<div id="info" class="panel" hidden><table id="info-rows"></table></div>
<div id="controls" class="panel">
<button id="play">play</button>
<select id="speed" title="simulated seconds per second">{speeds}</select>
<input id="slider" type="range" min="0" max="1" step="any" value="0">
<span id="time"></span>
<span id="layers">{layers}</span>
</div>
<pre id="view-status"></pre>
<script type="text/plain" id="three-src">{three}</script>
<script type="application/json" id="scene-data">{data}</script>
<script type="module">
{app}
</script>
</body></html>
"""


def _state_names() -> tuple[str, ...]:
    from ..sim.states import STATE_NAMES

    return STATE_NAMES


def _rgba() -> tuple[tuple[int, int, int, int], ...]:
    from .czml import STATE_RGBA

    return STATE_RGBA


def write_view(
    run_dir: str | Path, *, policy: str | None = None, budget: int = VIEW_SAMPLE_BUDGET
) -> Path:
    """Write ``view.html`` into ``run_dir`` and return its path. For a comparison run the page
    shows ``policy`` (default: its first policy) and goes into the top directory."""
    from ..table import atomic_write_text

    run_dir = Path(run_dir)
    one = run_of(run_dir, policy)
    page = view_html(load_scene(one, budget=budget))
    path = run_dir / VIEW_FILE
    atomic_write_text(path, page)
    return path


def embed_view(run_dir: str | Path, *, policy: str | None = None, height_px: int = 600) -> str:
    """The view of ``run_dir`` (``policy`` as in :func:`write_view`) as an ``<iframe
    srcdoc>`` for a notebook cell (``RunResult.view()``) or another page."""
    page = view_html(load_scene(run_of(Path(run_dir), policy)))
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;'
        f'height:{int(height_px)}px;border:0" title="spacecompute view"></iframe>'
    )


def run_of(run_dir: Path, policy: str | None) -> Path:
    """The run directory to show: ``run_dir`` itself, or a comparison run's ``policy`` (default
    its first)."""
    from ..errors import InputError
    from .store import find_runs

    runs = find_runs(run_dir)
    if policy is None:
        return runs[0].path
    for r in runs:
        if r.label == policy or r.path.name == policy:
            return r.path
    raise InputError(
        f"no policy {policy!r} in this run",
        file=str(run_dir),
        field="--policy",
        expected=f"one of {', '.join(r.label for r in runs)}",
    )


__all__ = ["VIEW_FILE", "embed_view", "run_of", "scene_payload", "view_html", "write_view"]
