"""Layering (docs/architecture.md): every module imports only its own layer or layers below it.

Checked by AST over every module of ``src/spacecompute`` (function-level imports included), so a
lazy import of a higher layer fails as surely as a top-level one; and every layer imports on its
own (no import circle needs another layer loaded first).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spacecompute

ROOT = Path(spacecompute.__file__).parent

#: Rank of each layer, from docs/architecture.md (higher imports lower, never the reverse;
#: layers of one rank may import each other).
LAYER_RANK: dict[str, int] = {
    "errors": 0,
    "table": 0,
    "yamlio": 0,
    "_runtime": 0,
    "_cache": 0,
    "_parallel": 0,
    "_forked": 0,
    "_precompile": 0,
    "_warm_kernels": 0,
    "_buffers": 0,
    "sizeguard": 0,
    "richtable": 0,
    "fingerprint": 0,
    "astro": 1,
    "network": 2,
    "spacecraft": 2,
    "economics": 3,
    "scheduling": 3,
    "workloads": 3,
    "sim": 4,
    "scenario": 5,
    "results": 5,
    "reuse": 6,
    "preflight": 6,
    "runner": 6,
    "overview": 6,
    "rl": 6,
    "validation": 6,
    "sweep": 7,
    "cli": 7,
    "__main__": 8,
}


def _module_name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, root: Path = ROOT) -> list[tuple[str, int]]:
    """Every ``spacecompute`` module ``path`` imports (absolute names) with its line."""
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:  # from . import x: x may be a module
                    found += [(f"{target}.{a.name}", node.lineno) for a in node.names]
                    continue
            else:
                target = node.module or ""
            found.append((target, node.lineno))
    return [(t, line) for t, line in found if t.split(".")[0] == "spacecompute"]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_violations(root: Path = ROOT) -> list[str]:
    bad = []
    for path in sorted(root.rglob("*.py")):
        src = _layer(_module_name(path, root))
        if src is None:  # the package's lazy export table names modules as strings
            continue
        for target, line in _imports(path, root):
            dst = _layer(target)
            if dst is None or dst == src or dst == "__version__":  # the root's version string
                continue
            if dst not in LAYER_RANK or src not in LAYER_RANK:
                bad.append(f"{path.relative_to(root)}:{line}: layer {src!r} or {dst!r} unranked")
            elif LAYER_RANK[dst] > LAYER_RANK[src]:
                bad.append(f"{path.relative_to(root)}:{line}: {src} imports {target} (above it)")
    return bad


def test_no_module_imports_a_layer_above_it():
    assert layer_violations() == []


def test_the_checker_finds_an_upward_import(tmp_path):
    pkg = tmp_path / "spacecompute"
    (pkg / "sim").mkdir(parents=True)
    (pkg / "sim" / "engine.py").write_text("def f():\n    from ..scenario.build import x\n")
    (pkg / "astro").mkdir()
    (pkg / "astro" / "a.py").write_text("from ..errors import InputError\n")
    assert layer_violations(pkg) == [
        "sim/engine.py:2: sim imports spacecompute.scenario.build (above it)"
    ]


_LAYERS = sorted(k for k in LAYER_RANK if k != "__main__")

#: Run in one fresh interpreter: load the third-party libraries every layer needs (numpy, numba:
#: about 1 s), then, for each layer, fork a child that imports that layer first. No module of
#: ours is loaded before the fork, so an import circle fails in the child as it would in a fresh
#: interpreter; the fork saves loading numpy and numba again for each of the 30 layers.
_IMPORT_EACH_LAYER = """
import importlib, json, os, sys, traceback
import numpy, numba
assert not any(m == "spacecompute" or m.startswith("spacecompute.") for m in sys.modules)
result = {}
for layer in sys.argv[1:]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            importlib.import_module("spacecompute." + layer)
            code, text = 0, ""
        except BaseException:
            code, text = 1, traceback.format_exc()
        os.write(w, text.encode())
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as pipe:
        text = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    result[layer] = [os.waitstatus_to_exitcode(status), text]
print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def layer_imports() -> dict[str, list]:
    layers = [k for k in _LAYERS if k != "rl" or importlib.util.find_spec("gymnasium")]
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_LAYER, *layers], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("layer", _LAYERS)
def test_each_layer_imports_alone(layer, layer_imports):
    """A fresh interpreter imports the layer first (an import circle would fail here)."""
    if layer == "rl":
        pytest.importorskip("gymnasium")
    code, text = layer_imports[layer]
    assert code == 0, text


def test_the_layer_check_fails_on_an_import_circle(tmp_path):
    """The forked check reports a module that cannot be imported first."""
    pkg = tmp_path / "spacecompute"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .b import y\nx = 1\n")
    (pkg / "b.py").write_text("from .a import x\ny = 2\n")
    (pkg / "c.py").write_text("z = 3\n")
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH_LAYER, "a", "c"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["c"] == [0, ""]
    assert result["a"][0] == 1 and "circular import" in result["a"][1]


def test_every_module_is_in_a_ranked_layer():
    layers = {_layer(_module_name(p)) for p in ROOT.rglob("*.py")} - {None}
    assert layers <= set(LAYER_RANK), layers - set(LAYER_RANK)
    importlib.import_module("spacecompute.astro.presets")
