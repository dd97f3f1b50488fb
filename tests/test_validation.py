"""The validation report (`spacecompute validate-models`): every check passes, the report
names its references, and the command writes docs/validation.md-style Markdown."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from spacecompute.cli import app
from spacecompute.network.atmosphere import itur_available
from spacecompute.validation import CHECK_MODULES, Check, run_checks
from spacecompute.validation.report import summary, to_markdown

runner = CliRunner()


@pytest.fixture(scope="module")
def results():
    return run_checks()


def test_check_semantics():
    c = Check("x", "ref", 10.5, 10.0, 0.5, "m")
    assert c.difference == 0.5 and c.passed
    assert not Check("x", "ref", 10.6, 10.0, 0.5, "m").passed
    assert not Check("x", "ref", math.nan, 10.0, 0.5, "m").passed  # NaN never passes


def test_every_check_passes(results):
    assert [r.module for r in results] == list(CHECK_MODULES)
    failed = [
        (r.module, c.quantity, c.ours, c.reference_value, c.tolerance, c.note)
        for r in results
        for c in r.checks
        if not c.passed and (itur_available() or r.module != "itu_attenuation")
    ]
    assert failed == []
    n, ok, _ = summary(results)
    assert n >= 60 and ok <= n
    for r in results:
        assert r.checks, r.module
        for c in r.checks:
            assert c.citation and c.quantity and math.isfinite(c.ours)
            assert c.tolerance >= 0


def test_markdown_has_every_row_and_the_disagreements(results):
    md = to_markdown(results)
    assert md.startswith("# Validation report")
    assert "spacecompute 0." in md and "checks pass" in md
    n, _, _ = summary(results)
    assert md.count("| yes |") + md.count("| **NO** |") == n
    # where we disagree with a publication, the report says so and why
    assert "Starcloud states $5M" in md and "Starcloud states 5 GW" in md


def test_a_failing_module_is_reported_not_hidden(monkeypatch):
    import spacecompute.validation.radiator_balance as mod

    def boom():
        raise RuntimeError("broken")

    monkeypatch.setattr(mod, "checks", boom)
    (r,) = run_checks(["radiator_balance"])
    assert len(r.checks) == 1 and not r.checks[0].passed
    assert "broken" in r.checks[0].note


def test_cli_writes_markdown_and_exit_codes(tmp_path):
    out = tmp_path / "validation.md"
    res = runner.invoke(
        app,
        ["validate-models", "--only", "radiator_balance", "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "770" in res.output and "yes" in res.output
    text = out.read_text()
    assert "Radiator balance" in text and "Starcloud white paper (2024)" in text
    res = runner.invoke(app, ["validate-models", "--only", "nope"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["validate-models", "--only", "sun_ephemeris", "--json"])
    assert res.exit_code == 0 and '"passed": 9' in res.output
