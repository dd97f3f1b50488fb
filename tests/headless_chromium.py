"""Headless Chromium for page tests: serve files on 127.0.0.1, dump the DOM, take screenshots.

Pages under test collect their own errors (``window.onerror``, unhandled rejections and
``console.error``) into an element that the dumped DOM carries back (see :data:`ERROR_TRAP`).
Chromium is the Debian package ``chromium`` (``.ci/run`` installs it); without it the tests
that need it skip, saying so.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Where ``.ci/run`` installs the npm package ``cesium``.
CESIUM_BUILD = ROOT / ".ci" / "node_modules" / "cesium" / "Build" / "Cesium"

#: A script to put first in a test page: errors go into <pre id="page-errors">.
ERROR_TRAP = """<script>
(function () {
  var errs = [];
  function put() {
    var el = document.getElementById('page-errors');
    if (!el) { el = document.createElement('pre'); el.id = 'page-errors';
      (document.body || document.documentElement).appendChild(el); }
    el.textContent = JSON.stringify(errs);
  }
  window.addEventListener('error', function (e) { errs.push('error: ' + e.message); put(); });
  window.addEventListener('unhandledrejection', function (e) {
    errs.push('rejection: ' + (e.reason && e.reason.stack || e.reason)); put(); });
  var ce = console.error;
  console.error = function () { errs.push('console.error: ' + Array.prototype.join.call(arguments, ' ')); put(); ce.apply(console, arguments); };
  document.addEventListener('DOMContentLoaded', put);
})();
</script>"""


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def need_chromium() -> str:
    exe = chromium()
    if exe is None:
        pytest.skip(
            "headless Chromium not installed (Debian package `chromium`; .ci/run installs it)"
        )
    return exe


def _flags(profile: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader",
        "--ignore-gpu-blocklist",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]


def run_chromium(url: str, *args: str, timeout_s: float = 120.0, tries: int = 2) -> str:
    """Run headless Chromium on ``url`` with ``args``; returns its stdout. A run that hangs
    (seen on overloaded machines) is tried again once."""
    exe = need_chromium()
    for attempt in range(tries):
        with tempfile.TemporaryDirectory() as profile:
            try:
                done = subprocess.run(
                    [exe, *_flags(profile), *args, url],
                    capture_output=True,
                    text=True,
                    timeout=timeout_s,
                    env={**os.environ, "HOME": profile},
                )
                break
            except subprocess.TimeoutExpired:
                if attempt == tries - 1:
                    raise
    if done.returncode != 0:
        raise AssertionError(f"chromium failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def dump_dom(url: str, budget_ms: int = 20_000, size: str = "1024,768") -> str:
    return run_chromium(
        url, f"--virtual-time-budget={budget_ms}", f"--window-size={size}", "--dump-dom"
    )


def screenshot(url: str, out: Path, budget_ms: int = 20_000, size: str = "1024,768") -> Path:
    run_chromium(
        url,
        f"--virtual-time-budget={budget_ms}",
        f"--window-size={size}",
        f"--screenshot={out}",
    )
    if not out.is_file():
        raise AssertionError(f"chromium wrote no screenshot {out}")
    return out


def page_errors(dom: str) -> list[str]:
    """The errors the page's :data:`ERROR_TRAP` collected (unescaped)."""
    import html
    import json

    m = re.search(r'<pre id="page-errors">(.*?)</pre>', dom, re.S)
    return json.loads(html.unescape(m.group(1))) if m and m.group(1) else []


def element_text(dom: str, element_id: str) -> str | None:
    import html

    m = re.search(rf'<[^>]+id="{element_id}"[^>]*>(.*?)</', dom, re.S)
    return html.unescape(m.group(1)) if m else None


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep the test output clean
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
