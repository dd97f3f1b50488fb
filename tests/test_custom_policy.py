"""Your own scheduler: policies as objects, from a scenario file (module:Class), from an
entry point, with clear errors; the example of examples/my_policy.py run from Python, the CLI
and an entry point."""

from __future__ import annotations

import importlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import spacecompute as sc
from spacecompute.cli import app
from spacecompute.errors import InputError
from spacecompute.scheduling.checks import (
    check_eo_decision,
    check_service_decision,
    check_training_decision,
)
from spacecompute.scheduling.policies import PolicyView
from spacecompute.scheduling.protocols import EOPolicy

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
runner = CliRunner()


@pytest.fixture
def example(tmp_path, monkeypatch):
    """The example scenario and module copied to tmp_path, shortened to 2 hours."""
    shutil.copy(EXAMPLES / "my_policy.py", tmp_path / "my_policy.py")
    text = (EXAMPLES / "my_policy.yaml").read_text()
    assert 'policy: "my_policy:MyPolicy"' in text and "duration_s: 43200" in text
    (tmp_path / "my_policy.yaml").write_text(text.replace("duration_s: 43200", "duration_s: 7200"))
    sys.modules.pop("my_policy", None)
    yield tmp_path
    sys.modules.pop("my_policy", None)


def _view(soc, backlog=1e12, throttle=1.0):
    n = len(soc)
    return PolicyView(
        sunlit=np.zeros(n),
        state_of_charge=np.asarray(soc, float),
        thermal_throttle=np.full(n, throttle),
        backlog_ops=np.full(n, backlog),
        storage_used_bytes=np.zeros(n),
        storage_bytes=1e12,
        in_contact=np.zeros(n, bool),
        peak_ops_per_s=1e12,
        dt_s=60.0,
    )


def _example_class():
    sys.path.insert(0, str(EXAMPLES))
    try:
        sys.modules.pop("my_policy", None)
        return importlib.import_module("my_policy").MyPolicy
    finally:
        sys.path.remove(str(EXAMPLES))
        sys.modules.pop("my_policy", None)


def test_example_policy_switches_with_hysteresis_and_checkpoints_its_state():
    MyPolicy = _example_class()
    p = MyPolicy(stop_below=0.3, start_above=0.6)
    assert isinstance(p, EOPolicy)
    full = 1e12 * (1 + 1e-9) / (1e12 * 60.0)  # load_for_backlog: backlog / (peak x dt)
    on = []
    for soc in (0.9, 0.5, 0.29, 0.5, 0.59, 0.61, 0.31, 0.299):
        on.append(p.decide(_view([soc]))[0] > 0)
    # on until below 0.3, off until above 0.6, on again until below 0.3
    assert on == [True, True, False, False, False, True, True, False]
    assert p.decide(_view([0.7]))[0] == pytest.approx(full)
    assert p.decide(_view([0.7], throttle=0.5))[0] == 0.0  # thermally throttled: off
    state = p.state_dict()
    q = MyPolicy()
    q.load_state_dict(state)
    assert np.array_equal(q.computing, p.computing)
    q.prepare(None)  # a new run starts switched on
    assert q.decide(_view([0.5]))[0] > 0


def test_example_scenario_via_cli_equals_python_object_and_resumes(example):
    scen = str(example / "my_policy.yaml")
    result = runner.invoke(app, ["run", scen, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["policies"] == ["soc-hysteresis", "energy-aware", "on-board"]
    cli = doc["runs"]["soc-hysteresis"]
    assert cli["policy"] == "soc-hysteresis"
    assert cli["jobs_total"] == doc["runs"]["on-board"]["jobs_total"] > 0
    assert cli["jobs_total"] == cli["jobs_completed"] + cli["jobs_dropped"] + cli["jobs_pending"]
    # the same policy given as an object from Python: the same run (same seed, same tables)
    sys.path.insert(0, str(example))
    try:
        MyPolicy = importlib.import_module("my_policy").MyPolicy
    finally:
        sys.path.remove(str(example))
    r = sc.run(scen, policy=MyPolicy())
    assert isinstance(r, sc.RunResult)
    for key in ("jobs_completed", "insights_delivered", "energy_compute_j", "bits_downlinked"):
        assert r.summary[key] == cli[key]
    assert len(r.jobs) == cli["jobs_total"] and len(r.steps) == cli["steps"] == 120


def test_policy_from_an_entry_point(example, monkeypatch):
    dist = example / "myplug-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[spacecompute.policies]\nsoc-hysteresis-ep = my_policy:MyPolicy\n"
    )
    monkeypatch.syspath_prepend(str(example))
    importlib.invalidate_caches()
    from spacecompute.scheduling.custom import entry_point_names

    assert "soc-hysteresis-ep" in entry_point_names()
    # by name in a scenario file (the schema accepts installed names) and from Python
    text = (example / "my_policy.yaml").read_text()
    scen = example / "ep.yaml"
    scen.write_text(
        text.replace('policy: "my_policy:MyPolicy"', "policy: soc-hysteresis-ep")
        .replace("compare: [energy-aware, on-board]", "compare: []")
        .replace("duration_s: 7200", "duration_s: 1800")
    )
    result = runner.invoke(app, ["run", str(scen), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policies"] == ["soc-hysteresis"]
    r = sc.run(str(scen), policy="soc-hysteresis-ep", duration_s=600)
    assert r.summary["policy"] == "soc-hysteresis" and r.summary["steps"] == 10


def _scenario(tmp_path, policy, module_text=None):
    if module_text is not None:
        (tmp_path / "bad_policies.py").write_text(module_text)
    path = tmp_path / "s.yaml"
    path.write_text(
        "constellation: {preset: threebody}\nduration_s: 600\n"
        "start: 2026-03-20T00:00:00Z\nground: {stations: [Svalbard]}\n"
        f'policy: "{policy}"\n'
    )
    sys.modules.pop("bad_policies", None)
    return str(path)


BAD = """
import numpy as np
class NoOnBoard:
    name = "x"
    def decide(self, view):
        return np.zeros(view.n)
class WrongShape:
    name = "wrong-shape"
    on_board = True
    def decide(self, view):
        return np.zeros(view.n + 1)
class NaNs:
    name = "nans"
    on_board = True
    def decide(self, view):
        return np.full(view.n, np.nan)
class Text:
    name = "text"
    on_board = True
    def decide(self, view):
        return ["a"] * view.n
class NeedsArgs:
    name = "needs-args"
    on_board = True
    def __init__(self, threshold):
        self.threshold = threshold
    def decide(self, view):
        return np.zeros(view.n)
"""


@pytest.mark.parametrize(
    ("policy", "needle"),
    [
        ("no_such_module:P", "cannot import 'no_such_module'"),
        ("bad_policies:Missing", "has no attribute 'Missing'"),
        ("bad_policies:NoOnBoard", "lacks on_board (bool)"),
        ("bad_policies:NeedsArgs", "cannot create policy"),
        ("no-such-policy", "unknown policy 'no-such-policy'"),
        ("bad_policies:WrongShape", "at step 0 returned loads of shape (13,)"),
        ("bad_policies:NaNs", "a NaN, infinite or negative load"),
        ("bad_policies:Text", "loads of dtype <U1"),
    ],
)
def test_bad_user_policy_is_a_clear_error_exit_2(tmp_path, policy, needle):
    scen = _scenario(tmp_path, policy, BAD)
    result = runner.invoke(app, ["run", scen])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert needle in out and "policy" in out and "Traceback" not in out
    assert "expected" in out
    if policy.startswith(("no_such", "bad_policies:Missing", "bad_policies:NoOnBoard")):
        assert "s.yaml" in out  # the file named


def test_sc_run_takes_a_policy_class_and_creates_it():
    class SunOnly:
        name = "sun-only"
        on_board = True

        def decide(self, view):
            return np.where(view.sunlit > 0.5, 1.0, 0.0)

    r = sc.run("default", policy=SunOnly, duration_s=600)
    assert r.summary["policy"] == "sun-only" and r.summary["steps"] == 10
    assert len(r.steps) == 10


def test_sc_run_rejects_objects_that_are_not_policies():
    with pytest.raises(InputError, match="lacks a decide"):
        sc.run("default", policy=object(), duration_s=600)
    with pytest.raises(InputError, match="policy = 42"):
        sc.run("default", policy=42, duration_s=600)
    with pytest.raises(InputError, match="duration_s"):
        sc.run("default", duration_s=-5)


def test_decision_checks_shapes_dtypes_ranges():
    p = type("P", (), {"name": "p"})()
    assert check_eo_decision([0.0, 1.0 + 1e-9], 2, p, 0).tolist() == [0.0, 1.0]
    with pytest.raises(InputError, match=r"a load of 1\.5"):
        check_eo_decision([0.0, 1.5], 2, p, 3)
    dec = type("D", (), {"satellite": np.array([0, -1]), "priority": np.zeros(2)})()
    sat, prio, no_cap = check_service_decision(dec, 2, 5, p, 0)
    assert sat.dtype == np.int64 and prio.dtype == np.float64 and no_cap is None
    dec.satellite = np.array([0, 5])
    with pytest.raises(InputError, match="satellite index"):
        check_service_decision(dec, 2, 5, p, 0)
    dec.satellite = np.array([0.0, 1.0])
    with pytest.raises(InputError, match="dtype float64"):
        check_service_decision(dec, 2, 5, p, 0)
    with pytest.raises(InputError, match="ServiceDecision"):
        check_service_decision(np.zeros(2), 2, 5, p, 0)
    tdec = type("T", (), {"assign": np.array([-1, 0, 1]), "reject": np.zeros(3, bool)})()
    with pytest.raises(InputError, match="reject of shape"):
        check_training_decision(tdec, 3, 2, p, 7)
    tdec.reject = np.zeros(2, bool)
    assign, load, reject = check_training_decision(tdec, 3, 2, p, 7)
    assert assign.tolist() == [-1, 0, 1] and load is None and reject.shape == (2,)


def test_user_inference_and_training_policies_equal_the_builtins_they_wrap():
    """A user object for the other two workloads: the same run as the built-in it delegates to,
    labelled with its own name; a malformed decision is a clear error."""
    from spacecompute.scheduling.service import NearestVisible
    from spacecompute.scheduling.training import AllIn

    class MyInference:
        name = "my-nearest"

        def __init__(self):
            self.inner = NearestVisible()

        def decide(self, view):
            return self.inner.decide(view)

    class MyTraining:
        name = "my-all-in"

        def decide(self, view):
            return AllIn().decide(view)

    mine = sc.run("orbital-cloud", policy=MyInference(), duration_s=20)
    ref = sc.run("orbital-cloud", policy="nearest-visible", duration_s=20)
    assert mine.summary["policy"] == "my-nearest" and ref.summary["jobs_total"] > 0
    for key in ("jobs_total", "jobs_completed", "jobs_dropped", "energy_compute_j"):
        assert mine.summary[key] == ref.summary[key]
    mine = sc.run("training-cluster", policy=MyTraining(), duration_s=1200)
    ref = sc.run("training-cluster", policy="all-in", duration_s=1200)
    assert mine.summary["energy_compute_j"] == ref.summary["energy_compute_j"] > 0

    class Bad:
        name = "bad"

        def decide(self, view):
            return None

    with pytest.raises(InputError, match="returned NoneType"):
        sc.run("training-cluster", policy=Bad(), duration_s=600)


def test_sc_run_out_dir_reads_back_the_same_tables_and_shows_html(tmp_path):
    mem = sc.run("default", policy="on-board", duration_s=1200)
    disk = sc.run("default", policy="on-board", duration_s=1200, out_dir=tmp_path / "r")
    assert mem.path is None and disk.path == tmp_path / "r"
    assert (tmp_path / "r" / "jobs.parquet").is_file()
    for name in ("jobs", "steps", "satellites"):
        a, b = getattr(mem, name), getattr(disk, name)
        assert a.columns == b.columns and len(a) == len(b) > 0
        assert np.array_equal(
            a["satellite" if name != "steps" else "jobs_completed"],
            b["satellite" if name != "steps" else "jobs_completed"],
        )
    html = mem._repr_html_()
    assert html.startswith("<table>") and "insights_delivered" in html and "on-board" in html
    both = sc.run("default", policy=["on-board", "bent-pipe"], duration_s=1200)
    assert isinstance(both, sc.RunResults) and list(both) == ["on-board", "bent-pipe"]
    assert both["on-board"].summary["jobs_total"] == mem.summary["jobs_total"]
    assert "bent-pipe" in both._repr_html_() and "insights_delivered" in both.compare()["metric"]
    # in a notebook the globe of a run on disk embeds as an iframe with the page inline
    view = disk.view(height_px=321)
    assert view._repr_html_().startswith("<iframe srcdoc=") and "height:321px" in view
    assert "three" in view.lower() and "http://" not in view.split("srcdoc=")[0]
    with pytest.raises(sc.InputError, match="kept in memory"):
        mem.view()
    # the same policy object, run again into its directory, finds its own results (its state
    # changed during the first run, which must not make them another scenario's)
    p = _example_class()()
    first = sc.run("default", policy=p, duration_s=1200, out_dir=tmp_path / "obj")
    again = sc.run("default", policy=p, duration_s=1200, out_dir=tmp_path / "obj", resume=True)
    assert again.summary == first.summary
    assert sc.run("default", policy=p, duration_s=1200, out_dir=tmp_path / "obj", force=True)
    with pytest.raises(sc.InputError, match="no run"):
        both.view("optimising")


def test_cli_policy_option_imports_from_the_current_directory(example, monkeypatch):
    sub = example / "scenarios"
    sub.mkdir()
    (sub / "s.yaml").write_text(
        "constellation: {preset: threebody}\nduration_s: 600\nstart: 2026-03-20T00:00:00Z\n"
        "ground: {stations: [Svalbard]}\n"
    )
    monkeypatch.chdir(example)  # my_policy.py is here, not beside the scenario
    result = runner.invoke(
        app, ["run", "scenarios/s.yaml", "--policy", "my_policy:MyPolicy", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["policies"] == ["soc-hysteresis"]


def test_validate_imports_and_checks_user_policies(tmp_path, example):
    bad = _scenario(tmp_path, "bad_policies:NoOnBoard", BAD)
    result = runner.invoke(app, ["validate", bad])
    assert result.exit_code == 2 and "lacks on_board" in " ".join(result.output.split())
    ok = runner.invoke(app, ["validate", str(example / "my_policy.yaml")])
    assert ok.exit_code == 0, ok.output


_IDENT = r"[A-Za-z_][A-Za-z0-9_]{0,8}"


def test_reference_parser_property():
    """``module.path:attr`` is a reference exactly when both sides are dotted identifiers."""
    from hypothesis import given
    from hypothesis import strategies as st

    from spacecompute.scheduling.custom import is_reference

    dotted = st.lists(st.from_regex(_IDENT, fullmatch=True), min_size=1, max_size=3).map(".".join)

    @given(dotted, dotted)
    def good(module, attr):
        assert is_reference(f"{module}:{attr}")

    @given(st.text(max_size=30))
    def any_text(text):
        if is_reference(text):  # then importlib can take both sides
            module, attr = text.split(":")
            assert all(x.isidentifier() for x in module.split(".") + attr.split("."))
        else:
            assert text.count(":") != 1 or not all(
                x.isidentifier() for side in text.split(":") for x in side.split(".")
            )

    good()
    any_text()
    assert not is_reference("on-board") and not is_reference("a:b:c") and not is_reference(3)


def test_stateful_user_policy_resumes_from_a_checkpoint_like_an_uninterrupted_run(example):
    """The example's switch state goes through state_dict/load_state_dict: thresholds high
    enough to switch satellites off within the run, a kill after a checkpoint, a resume with a
    fresh object, and the summary equals the uninterrupted run's."""
    from spacecompute.runner import run_scenario

    sys.path.insert(0, str(example))
    try:
        MyPolicy = importlib.import_module("my_policy").MyPolicy
    finally:
        sys.path.remove(str(example))
    scen = str(example / "my_policy.yaml")
    whole = run_scenario(scen, policies=[MyPolicy(0.97, 0.99)], keep_results=True)
    steps = whole.results["soc-hysteresis"].steps
    assert steps["utilisation_mean"].min() == 0.0 < steps["utilisation_mean"].max()

    def kill(policy, done, total):
        if done == 70:
            raise KeyboardInterrupt

    out = example / "out"
    with pytest.raises(KeyboardInterrupt):
        run_scenario(
            scen, policies=[MyPolicy(0.97, 0.99)], out_dir=out, checkpoint_every=30, progress=kill
        )
    assert (out / ".checkpoint" / "state.npz").exists()
    resumed = run_scenario(scen, policies=[MyPolicy(0.97, 0.99)], out_dir=out, resume=True)
    assert resumed.resumed == ["soc-hysteresis"]
    a = {k: v for k, v in whole.summaries["soc-hysteresis"].items() if k != "wall_time_s"}
    b = {k: v for k, v in resumed.summaries["soc-hysteresis"].items() if k != "wall_time_s"}
    assert a == b
    # other settings of the same class do not resume that checkpoint
    from spacecompute.runner import _policy_source

    assert _policy_source(MyPolicy(0.97, 0.99), MyPolicy(0.97, 0.99)) == _policy_source(
        MyPolicy(0.97, 0.99), MyPolicy(0.97, 0.99)
    )
    assert _policy_source(MyPolicy(0.5, 0.99), MyPolicy(0.5, 0.99)) != _policy_source(
        MyPolicy(0.97, 0.99), MyPolicy(0.97, 0.99)
    )
