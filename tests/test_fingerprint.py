"""Nothing on disk is reused unless it belongs to the same inputs (issue 13, section 1).

The fingerprint of the resolved scenario (spacecompute.fingerprint) is checked before any
finished run or checkpoint is reused; a mismatch is exit 2 naming the keys that differ, or a
re-run with --force."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from spacecompute.cli import app
from spacecompute.fingerprint import differences, file_digest, fingerprint

runner = CliRunner()

BASE = {
    "name": "edit",
    "constellation": {"preset": "threebody"},
    "duration_s": 600,
    "step_s": 60,
    "start": "2026-03-20T00:00:00Z",
    "ground": {"stations": ["Svalbard"]},
    "workload": {"kind": "earth-observation", "cloud_fraction": 0.5},
    "policy": "on-board",
}


def _write(path, doc):
    path.write_text(json.dumps(doc))  # JSON is YAML
    return str(path)


def _doc(path):
    from spacecompute.scenario.loader import load_scenario
    from spacecompute.scenario.resolved import resolved_document

    return resolved_document(load_scenario(str(path)))


# ------------------------------------------------------------------ the fingerprint itself


def test_fingerprint_is_canonical_and_versioned():
    a = {"b": 1, "a": [1, 2, {"y": 0.5, "x": None}]}
    b = {"a": [1, 2, {"x": None, "y": 0.5}], "b": 1}
    assert fingerprint(a) == fingerprint(b)  # key order does not matter
    assert len(fingerprint(a)) == 64
    assert fingerprint(a, version="0.0.1") != fingerprint(a)
    assert fingerprint({"a": [2, 1]}) != fingerprint({"a": [1, 2]})  # list order does


def test_differences_name_the_key_paths():
    old = {"duration_s": 3600.0, "workload": {"cloud_fraction": 0.5}, "ground": {"x": [1, 2]}}
    new = {"duration_s": 7200.0, "workload": {"cloud_fraction": 0.7}, "ground": {"x": [1, 3]}}
    assert differences(old, new) == [
        "duration_s: 3600 -> 7200",
        "ground.x[1]: 2 -> 3",
        "workload.cloud_fraction: 0.5 -> 0.7",
    ]
    assert differences({"a": 1}, {"b": 1}) == ["a: 1 -> (absent)", "b: (absent) -> 1"]
    assert differences(old, old) == []
    assert differences({"f": {"a.b/c": 1}}, {"f": {"a.b/c": 2}}) == ['f["a.b/c"]: 1 -> 2']


@pytest.mark.parametrize(
    "key, value",
    [
        ("duration_s", 1200),
        ("step_s", 30),
        ("start", "2026-03-21T00:00:00Z"),
        ("seed", 3),
        ("propagator", "j2"),
        ("shadow", "cylindrical"),
        ("name", "other"),
        ("constellation", {"preset": "suncatcher-cluster"}),
        ("ground", {"stations": ["Singapore"]}),
        ("network", {"isl_rate_bps": 1.0e9}),
        ("spacecraft", {"bus": "cote-3u"}),
        ("workload", {"kind": "earth-observation", "cloud_fraction": 0.7}),
        ("workload", {"kind": "earth-observation", "sensor": {"bands": 4}}),
        ("max_epoch_age_days", 30),
    ],
)
def test_any_change_of_a_result_key_changes_the_fingerprint(tmp_path, key, value):
    """The class: every scenario key that can change results is in the resolved document, so a
    change of any one changes the fingerprint and is named by differences()."""
    a = _doc(_write(tmp_path / "a.yaml", BASE))
    b = _doc(_write(tmp_path / "b.yaml", {**BASE, key: value}))
    assert fingerprint(a) != fingerprint(b)
    assert differences(a, b) and all(d.startswith(key) for d in differences(a, b))


def test_result_neutral_keys_and_defaults_keep_the_fingerprint(tmp_path):
    """Checkpoint cadence, memory budget and description cannot change results; a default
    written out equals it left out."""
    a = _doc(_write(tmp_path / "a.yaml", BASE))
    b = _doc(
        _write(
            tmp_path / "b.yaml",
            {
                **BASE,
                "checkpoint_every_steps": 7,
                "memory_budget_mib": 512,
                "description": "x",
                "seed": 0,
                "propagator": "sgp4",
            },
        )
    )
    assert fingerprint(a) == fingerprint(b)


def test_an_edited_element_file_changes_the_fingerprint(tmp_path):
    """A scenario's TLE file is part of its inputs: editing the file (not the scenario) changes
    the fingerprint, under the key that references it."""
    tle = tmp_path / "sats.tle"
    tle.write_text("ISS\n1 25544U\n2 25544\n")
    doc = {**BASE, "constellation": {"shells": [{"elements": {"file": "sats.tle"}}]}}
    path = _write(tmp_path / "a.yaml", doc)
    before = _doc(path)
    assert before["file_contents"] == {"constellation.shells[0].elements.file": file_digest(tle)}
    tle.write_text("ISS\n1 25544U\n2 25545\n")
    after = _doc(path)
    assert fingerprint(before) != fingerprint(after)
    assert differences(before, after)[0].startswith(
        'file_contents["constellation.shells[0].elements.file"]'
    )


# ------------------------------------------------------------------ the reported cases, end to end


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One finished 10-step run of BASE in E, and its JSON output."""
    tmp = tmp_path_factory.mktemp("fp")
    scen = _write(tmp / "edit.yaml", BASE)
    out = tmp / "E"
    result = runner.invoke(app, ["run", scen, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return tmp, out, json.loads(result.stdout)


def test_resume_after_editing_the_scenario_exits_2_naming_what_differs(finished, tmp_path):
    _, out, first = finished
    copy = tmp_path / "E"
    shutil.copytree(out, copy)
    scen = _write(
        tmp_path / "edit.yaml",
        {**BASE, "duration_s": 1200, "workload": {**BASE["workload"], "cloud_fraction": 0.7}},
    )
    for extra in (["--resume"], []):
        result = runner.invoke(app, ["run", scen, "--out", str(copy), *extra])
        assert result.exit_code == 2, result.output
        assert "workload.cloud_fraction: 0.5 -> 0.7" in result.output
        assert "duration_s: 600 -> 1200" in result.output
        assert "--force" in result.output and "Traceback" not in result.output
    # the earlier results are untouched
    assert (
        json.loads((copy / "summary.json").read_text())["steps"]
        == first["runs"]["on-board"]["steps"]
    )
    forced = runner.invoke(app, ["run", scen, "--out", str(copy), "--resume", "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.output)["runs"]["on-board"]["steps"] == 20  # the new results
    assert json.loads((copy / "summary.json").read_text())["steps"] == 20


def test_a_copied_run_resumed_with_another_scenario_exits_2(finished, tmp_path):
    _, out, _ = finished
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    result = runner.invoke(app, ["run", "default", "--out", str(copy), "--resume"])
    assert result.exit_code == 2, result.output
    assert "scenario 'edit'" in result.output and 'name: "edit" -> "default"' in result.output
    assert json.loads((copy / "summary.json").read_text())["scenario"] == "edit"


def test_resuming_an_unchanged_finished_run_reads_it_back(finished):
    tmp, out, first = finished
    result = runner.invoke(
        app, ["run", str(tmp / "edit.yaml"), "--out", str(out), "--resume", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["runs"] == first["runs"]  # read back, not re-run


def test_results_without_a_manifest_are_not_reused(finished, tmp_path):
    """A run directory written before fingerprints (no inputs.json) is never trusted."""
    tmp, out, _ = finished
    copy = tmp_path / "old"
    shutil.copytree(out, copy)
    (copy / "inputs.json").unlink()
    result = runner.invoke(app, ["run", str(tmp / "edit.yaml"), "--out", str(copy), "--resume"])
    assert result.exit_code == 2 and "without a record of their inputs" in result.output


def test_a_non_empty_out_that_is_not_a_run_is_refused_unless_forced(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    scen = _write(tmp_path / "s.yaml", {**BASE, "duration_s": 120})
    result = runner.invoke(app, ["run", scen, "--out", str(out)])
    assert result.exit_code == 2 and "notes.txt" in result.output
    assert not (out / "summary.json").exists()
    forced = runner.invoke(app, ["run", scen, "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (out / "summary.json").exists() and (out / "notes.txt").read_text() == "keep me"
    # once it holds a run of these inputs, --resume reads it back (the notes do not block it)
    resumed = runner.invoke(app, ["run", scen, "--out", str(out), "--resume", "--json"])
    assert resumed.exit_code == 0, resumed.output
    on_disk = json.loads((out / "summary.json").read_text())
    assert json.loads(resumed.stdout)["runs"]["on-board"]["steps"] == on_disk["steps"]
    # another scenario still may not write there
    other = _write(tmp_path / "o.yaml", {**BASE, "duration_s": 180})
    assert runner.invoke(app, ["run", other, "--out", str(out)]).exit_code == 2


def test_a_checkpoint_of_other_inputs_names_the_differences(tmp_path):
    import numpy as np

    from spacecompute.errors import InputError
    from spacecompute.sim.checkpoint import Checkpointer

    old = {"duration_s": 3600.0, "seed": 0}
    Checkpointer(tmp_path, 5, fingerprint(old), old).save(5, {"x": np.zeros(1)})
    new = {"duration_s": 7200.0, "seed": 0}
    with pytest.raises(InputError, match="duration_s: 3600 -> 7200"):
        Checkpointer(tmp_path, 5, fingerprint(new), new).load()


# ------------------------------------------------------------------ property: any change is seen

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
_docs = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(
    a=st.dictionaries(st.text(max_size=6), _docs, max_size=5),
    b=st.dictionaries(st.text(max_size=6), _docs, max_size=5),
)
def test_the_fingerprint_changes_exactly_when_differences_name_a_key(a, b):
    """For any two documents, the fingerprints are equal exactly when differences() finds
    nothing (numbers compared by value: 1 and 1.0 hash alike only if written alike, so such
    pairs are left out)."""
    from spacecompute.fingerprint import canonical_json

    diffs = differences(a, b)
    same_text = canonical_json(a) == canonical_json(b)
    assert (fingerprint(a) == fingerprint(b)) == same_text
    if same_text:
        assert diffs == []
    elif not diffs:  # only int/float spelling differs (3 vs 3.0): values equal
        assert json.loads(canonical_json(a)) == json.loads(canonical_json(b))


def test_one_instant_written_two_ways_is_the_same_input(tmp_path):
    a = _doc(_write(tmp_path / "a.yaml", BASE))
    b = _doc(_write(tmp_path / "b.yaml", {**BASE, "start": "2026-03-20 00:00:00"}))
    assert a["start"] == b["start"] and fingerprint(a) == fingerprint(b)


def test_one_policy_of_a_comparison_run_resumes_in_its_own_folder(tmp_path):
    scen = _write(tmp_path / "c.yaml", {**BASE, "duration_s": 120, "compare": ["bent-pipe"]})
    out = tmp_path / "cmp"
    both = runner.invoke(app, ["run", scen, "--out", str(out), "--json"])
    assert both.exit_code == 0, both.output
    one = runner.invoke(
        app, ["run", scen, "--out", str(out), "--resume", "--policy", "bent-pipe", "--json"]
    )
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["runs"] == {
        "bent-pipe": json.loads(both.stdout)["runs"]["bent-pipe"]
    }
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["bent-pipe", "on-board"]
