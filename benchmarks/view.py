"""Size and build time of the 3D view page and the CZML scene for a large constellation.

A synthetic run of N satellites (a Walker shell propagated with J2; states cycling through all
six codes; no contacts) over one day at a 60 s step: prints the scene's sampling, the time to
build view.html and scene.czml, and their sizes. With ``--shot`` also renders the page in
headless Chromium at 12:00 (a screenshot) and prints how many satellites it drew.

    python benchmarks/view.py [N] [--shot]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from spacecompute.astro.constellation import walker
from spacecompute.results.czml import czml_packets
from spacecompute.results.scene import (
    CZML_MAX_SAMPLE_S,
    CZML_SAMPLE_BUDGET,
    VIEW_SAMPLE_BUDGET,
    Scene,
    sample_stride,
)
from spacecompute.results.view import view_html


def synthetic_scene(
    n: int, budget: int, hours: float = 24.0, max_sample_s: float | None = None
) -> Scene:
    const = walker(n, 100, 1, 550.0, 53.0, epoch="2026-01-01T00:00:00Z")
    k = int(hours * 60)
    stride = sample_stride(n, k, budget, step_s=60.0, max_s=max_sample_s)
    idx = np.unique(np.minimum(np.arange(0, k + stride, stride), k))
    start = np.datetime64("2026-01-01T00:00:00", "ns")
    times = start + (idx * 60 * 10**9).astype("timedelta64[ns]")
    eph = const.propagate(None, times=times, method="j2", velocities=False)
    detail = np.unique(np.minimum(idx, k - 1))
    states = ((np.arange(k)[:, None] // 30 + np.arange(n)[None, :]) % 6).astype(np.uint8)
    empty = {key: np.zeros(0, np.int64) for key in ("a", "b", "first_step", "end_step")}
    return Scene(
        path=Path("."),
        label=f"synthetic-{n}",
        workload="synthetic",
        policy="none",
        n_satellites=n,
        satellites=np.arange(n),
        names=np.asarray(const.names, dtype=object),
        start_ns=int(start.astype(np.int64)),
        step_s=60.0,
        n_steps=k,
        sample_steps=stride,
        sample_times_ns=times.astype(np.int64),
        r_ecef_m=eph.r_ecef_m,
        states=states,
        detail_steps=detail,
        soc=np.full((detail.size, n), 0.8, np.float32),
        temperature_k=np.full((detail.size, n), 290.0, np.float32),
        queue_ops=np.zeros((detail.size, n), np.float32),
        job=np.full((detail.size, n), -1, np.int64),
        stations={
            "names": np.array(["Svalbard"], object),
            "lat_deg": np.array([78.23]),
            "lon_deg": np.array([15.39]),
            "alt_m": np.array([500.0]),
        },
        contacts={
            key: np.zeros(0, np.int64) for key in ("station", "satellite", "start_ns", "end_ns")
        },
        links=empty,
        note=f"all {n:,} satellites",
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
    out = Path(tempfile.mkdtemp(prefix="view-bench-"))
    rows = []
    t0 = time.perf_counter()
    scene = synthetic_scene(n, VIEW_SAMPLE_BUDGET)
    t1 = time.perf_counter()
    page = view_html(scene)
    t2 = time.perf_counter()
    (out / "view.html").write_text(page, encoding="utf-8")
    rows.append(("view.html", scene.sample_steps * 60, len(page.encode()), t2 - t1, t1 - t0))
    t0 = time.perf_counter()
    scene = synthetic_scene(n, CZML_SAMPLE_BUDGET, max_sample_s=CZML_MAX_SAMPLE_S)
    t1 = time.perf_counter()
    packets = czml_packets(scene)
    with open(out / "scene.czml", "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(p.to_json(indent=None) for p in packets) + "\n]\n")
    t2 = time.perf_counter()
    rows.append(
        (
            "scene.czml",
            scene.sample_steps * 60,
            (out / "scene.czml").stat().st_size,
            t2 - t1,
            t1 - t0,
        )
    )
    print(f"{n:,} satellites, one day at 60 s steps; files in {out}")
    print(f"{'file':<12} {'sample s':>9} {'size MB':>9} {'build s':>8} {'propagate s':>12}")
    for name, sample, size, build, prop in rows:
        print(f"{name:<12} {sample:>9} {size / 1e6:>9.1f} {build:>8.1f} {prop:>12.1f}")
    if "--shot" in sys.argv:
        import json
        import re
        import subprocess

        url = (out / "view.html").resolve().as_uri() + "#t=43200"
        flags = [
            "--headless",
            "--no-sandbox",
            "--use-angle=swiftshader",
            "--enable-unsafe-swiftshader",
            f"--user-data-dir={out / 'profile'}",
            "--window-size=1200,800",
            "--virtual-time-budget=20000",
        ]
        subprocess.run(
            ["chromium", *flags, f"--screenshot={out / 'view.png'}", url],
            capture_output=True,
            timeout=300,
        )
        dom = subprocess.run(
            ["chromium", *flags, "--dump-dom", url], capture_output=True, text=True, timeout=300
        ).stdout
        m = re.search(r'<pre id="view-status">(.*?)</pre>', dom, re.S)
        status = json.loads(m.group(1)) if m else {}
        print(f"page: {status.get('satellites')} satellites drawn; {out / 'view.png'}")


if __name__ == "__main__":
    main()
