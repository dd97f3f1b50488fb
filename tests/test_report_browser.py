"""The default report in a real browser: headless Chromium renders report.html of a short
default run (the default scenario cut to one hour) with no script error, every plot drawn, and a
screenshot that shows the policies' colours (not a blank page).

Skips when Chromium (Debian package ``chromium``) or plotly (the ``[plot]`` extra) is missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="headless Chromium not found (Debian package `chromium`; .ci/run installs it)",
    ),
    pytest.mark.slow,
]


def _chromium(profile: Path, *args: str) -> str:
    """Run headless Chromium (sandbox off: CI runs as root) and return its stdout."""
    cmd = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=30000",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _status(dom: str) -> tuple[int, int, str]:
    """(plots drawn, errors, error text) from the page's #sc-status and #sc-errors."""
    status = re.search(r'<p id="sc-status"[^>]*>', dom)
    assert status, "no #sc-status in the rendered page"
    plots = int(re.search(r'data-plots="(\d+)"', status.group(0)).group(1))
    errors = re.search(r'data-errors="(\d+)"', status.group(0))
    text = re.search(r'<pre id="sc-errors"[^>]*>(.*?)</pre>', dom, re.S)
    return plots, int(errors.group(1)) if errors else -1, text.group(1) if text else ""


def test_the_error_collector_catches_errors(tmp_path):
    """The check below can fail: a page that throws is caught by the same collector."""
    from spacecompute.results.report import _ERROR_COLLECTOR, _STATUS

    page = tmp_path / "broken.html"
    page.write_text(
        f"<!DOCTYPE html><html><head>{_ERROR_COLLECTOR}</head><body>"
        "<pre id='sc-errors' hidden></pre><script>console.error('probe one');"
        "throw new Error('probe two');</script><p id='sc-status' data-plots='0'></p>"
        f"{_STATUS}</body></html>"
    )
    plots, errors, text = _status(_chromium(tmp_path / "profile", "--dump-dom", page.as_uri()))
    assert errors == 2 and "probe one" in text and "probe two" in text and plots == 0


@pytest.fixture(scope="module")
def default_report(tmp_path_factory) -> Path:
    pytest.importorskip("plotly", reason="interactive report needs plotly (the [plot] extra)")
    from importlib.resources import files

    from typer.testing import CliRunner

    from spacecompute.cli import app

    root = tmp_path_factory.mktemp("default-report")
    text = (files("spacecompute") / "data" / "scenarios" / "default.yaml").read_text()
    short, n = re.subn(r"(?m)^duration_s: .*$", "duration_s: 3600", text)
    assert n == 1
    scenario = root / "default-1h.yaml"
    scenario.write_text(short)
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(root / "out")])
    assert result.exit_code == 0, result.output
    return root / "out" / "report.html"


def test_default_report_renders_without_errors(default_report, tmp_path):
    from spacecompute.results.report import PLOTS

    dom = _chromium(tmp_path / "profile", "--dump-dom", default_report.as_uri())
    plots, errors, text = _status(dom)
    assert errors == 0, text
    assert plots == len(PLOTS)
    assert dom.count('class="main-svg"') >= len(PLOTS)  # plotly drew its SVG layers
    assert "fewest downlinked bytes" in dom  # the question comes first


def test_default_report_screenshot_is_not_blank(default_report, tmp_path):
    from matplotlib.image import imread

    from spacecompute.results.charts import PALETTE

    shot = tmp_path / "report.png"
    _chromium(
        tmp_path / "profile",
        "--window-size=1280,4200",
        f"--screenshot={shot}",
        default_report.as_uri(),
    )
    rgb = (imread(shot)[..., :3] * 255).round().astype(np.int16)
    assert rgb.shape[:2] == (4200, 1280)
    ink = (rgb < 200).any(axis=-1).mean()
    assert ink > 0.02  # text, axes and plots: far from an empty white page
    for colour in PALETTE[:2]:  # both policies of the default run are drawn in their colours
        target = np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)])
        assert (np.abs(rgb - target).max(axis=-1) <= 12).sum() > 200, colour
