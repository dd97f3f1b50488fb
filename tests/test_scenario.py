"""Scenario files: validation reports every problem with file and line; presets all load."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacecompute.errors import InputError
from spacecompute.scenario.build import build_constellation, preset_constellation, run_settings
from spacecompute.scenario.loader import constellation_presets, load_scenario, scenario_presets
from spacecompute.scenario.yamlio import load_yaml_text

REQUIRED_CONSTELLATIONS = {
    "starlink-shell1": 1584,
    "kuiper-k1": 1156,
    "telesat-t1": 351,
    "threebody": 12,
    "qianfan": 108,
    "suncatcher-cluster": 81,
}


def write(tmp_path, text: str):
    p = tmp_path / "s.yaml"
    p.write_text(textwrap.dedent(text))
    return p


def problems_of(path) -> list:
    with pytest.raises(InputError) as info:
        load_scenario(str(path))
    return info.value.problems


def test_every_problem_is_reported_at_once_with_lines(tmp_path):
    p = write(
        tmp_path,
        """\
        name: bad
        start: not-a-time
        duration_s: -5
        propagatr: sgp4
        constellation:
          shells:
            - walker: {total: 1584, planes: 72, altitude_km: 90, inclination_deg: 200}
        """,
    )
    found = {(q.field, q.line) for q in problems_of(p)}
    assert ("start", 2) in found
    assert ("duration_s", 3) in found
    assert ("propagatr", 4) in found
    assert ("constellation.shells[0].walker.altitude_km", 7) in found
    assert ("constellation.shells[0].walker.inclination_deg", 7) in found
    assert all(q.file == str(p) for q in problems_of(p))


def test_unknown_key_suggests_the_right_one(tmp_path):
    p = write(
        tmp_path,
        """\
        constellation:
          shells:
            - walker: {total: 22, planes: 1, altitude_km: 550, inclinaton_deg: 53}
        """,
    )
    messages = " ".join(str(q) for q in problems_of(p))
    assert "unknown key 'inclinaton_deg'" in messages
    assert "did you mean 'inclination_deg'" in messages
    assert "required key is missing" in messages  # inclination_deg itself


def test_mean_motion_contradicting_altitude_is_an_error(tmp_path):
    # Hypatia issue #33: a 53-deg Starlink shell given Telesat's 13.66 rev/day
    p = write(
        tmp_path,
        """\
        constellation:
          shells:
            - walker: {total: 1584, planes: 72, altitude_km: 550, inclination_deg: 53,
                       mean_motion_rev_per_day: 13.66}
        """,
    )
    (q,) = problems_of(p)
    assert "13.66 rev/day implies a mean altitude of 10" in q.message and "550" in q.message
    ok = write(
        tmp_path,
        """\
        constellation:
          shells:
            - walker: {total: 1584, planes: 72, altitude_km: 550, inclination_deg: 53,
                       mean_motion_rev_per_day: 15.05}
        """,
    )
    assert load_scenario(str(ok)).spec.constellation.shells[0].walker.total == 1584


def test_duplicate_keys_and_syntax_errors_have_lines(tmp_path):
    p = write(tmp_path, "name: a\nname: b\nconstellation: {preset: threebody}\n")
    (q,) = problems_of(p)
    assert q.line == 2 and "duplicate key" in q.message
    p = write(tmp_path, "name: [a,\n")
    (q,) = problems_of(p)
    assert "syntax" in q.message and q.line is not None


def test_missing_file_and_unknown_preset(tmp_path):
    (q,) = problems_of(tmp_path / "nope.yaml")
    assert "no built-in scenario" in q.message
    (q,) = problems_of("starlink-shel1")
    assert "starlink-shell1" in q.message


def test_bad_element_file_is_reported_with_its_scenario_field(tmp_path):
    p = write(tmp_path, "constellation:\n  shells:\n    - elements: {file: missing.tle}\n")
    loaded = load_scenario(str(p))
    with pytest.raises(InputError) as info:
        build_constellation(loaded.spec.constellation, loaded.base_dir)
    assert "missing.tle" in str(info.value)


def test_all_builtin_scenarios_validate_and_list_descriptions():
    presets = scenario_presets()
    assert "default" in presets
    for name in REQUIRED_CONSTELLATIONS:
        assert name in presets
    for preset in presets.values():
        assert preset.description
        loaded = load_scenario(preset.name)
        assert run_settings(loaded).step_s > 0


@pytest.mark.parametrize("name,count", sorted(REQUIRED_CONSTELLATIONS.items()))
def test_constellation_presets_build(name, count):
    c = preset_constellation(name)
    assert len(c) == count
    assert constellation_presets()[name].description


def test_odc_1m_preset_spreads_a_million_satellites_over_shells():
    loaded_spec = constellation_presets()["odc-1m"]
    from spacecompute.scenario.loader import load_constellation_file

    spec, _, _ = load_constellation_file(loaded_spec.name)
    totals = [s.walker.total for s in spec.shells]
    alts = [s.walker.altitude_km for s in spec.shells]
    incs = {str(s.walker.inclination_deg) for s in spec.shells}
    assert sum(totals) == 1_000_000
    assert min(alts) == 500 and max(alts) == 2000
    assert incs == {"30.0", "sso"}


def test_suncatcher_cluster_stays_within_its_radius():
    c = preset_constellation("suncatcher-cluster", epoch="2026-03-20T00:00:00Z")
    eph = c.propagate("2026-03-20T00:00:00Z", duration_s=5800, step_s=60)
    centre = eph.r_eci_m.mean(axis=1, keepdims=True)
    spread = np.linalg.norm(eph.r_eci_m - centre, axis=-1)
    assert spread.max() < 1.3e3  # 1 km disc plus the radial breathing of the relative orbits
    d = np.linalg.norm(eph.r_eci_m[:, :, None, :] - eph.r_eci_m[:, None, :, :], axis=-1)
    d[:, np.arange(81), np.arange(81)] = np.inf
    nearest = d.min(axis=2)
    assert 50 < nearest.min() and nearest.max() < 300  # Suncatcher: about 100-200 m
    # dawn-dusk: the orbit normal points near the sun (|beta| large)
    from spacecompute.astro.sun import beta_angle_rad, sun_position_eci_m

    beta = beta_angle_rad(eph.r_eci_m[:1], eph.v_eci_m[:1], sun_position_eci_m(eph.times[:1]))
    assert np.all(np.abs(np.rad2deg(beta)) > 60)


@given(st.text(max_size=300))
@settings(max_examples=150, deadline=None)
def test_yaml_reader_never_crashes(text):
    try:
        load_yaml_text(text, "fuzz.yaml")
    except InputError:
        pass


def test_network_terminals_set_link_rates(tmp_path):
    """Link rates come from the link budgets of the scenario's terminals, or fixed values."""
    from spacecompute.network.links import optical_link_budget, terminal
    from spacecompute.scenario.build import link_rates

    loaded = load_scenario("threebody")
    const, _ = build_constellation(loaded.spec.constellation, loaded.base_dir)
    rates = link_rates(loaded, const)
    t = terminal("threebody-isl-100g")
    d = np.array([1000e3, 6000e3])
    assert np.array_equal(rates["isl_rate_bps"](d), optical_link_budget(t, t, d).rate_bps)
    assert rates["isl_rate_bps"](d)[0] == 100e9  # capped by the terminal
    g = rates["gsl_rate_bps"](np.array([520e3, 2500e3]))
    assert g[0] > g[1] >= 0  # overhead beats the horizon

    fixed = write(
        tmp_path,
        "constellation: {preset: threebody}\nnetwork: {isl_rate_bps: 2.5e9, gsl_rate_bps: 1e9}\n",
    )
    loaded = load_scenario(str(fixed))
    rates = link_rates(loaded, const)
    assert rates == {"isl_rate_bps": 2.5e9, "gsl_rate_bps": 1e9}

    bad = write(
        tmp_path,
        "constellation: {preset: threebody}\nnetwork: {isl_terminal: hiside-ka, gsl_radio: nope}\n",
    )
    with pytest.raises(InputError) as info:  # the ISL terminal is checked by the schema
        load_scenario(str(bad))
    assert {p.field for p in info.value.problems} == {"network.isl_terminal"}
    assert "tesat-scot80" in str(info.value)  # the known optical terminals are listed
    bad = write(tmp_path, "constellation: {preset: threebody}\nnetwork: {gsl_radio: nope}\n")
    loaded = load_scenario(str(bad))
    with pytest.raises(InputError) as info:
        link_rates(loaded, const)
    fields = {p.field for p in info.value.problems}
    assert fields == {"network.gsl_radio"}


def test_every_builtin_scenario_maps_to_an_engine_configuration():
    """Each preset's workload, policy and compare list turn into the configuration of the
    engine of its workload kind (the kinds the issue asks for are all present)."""
    from spacecompute.scenario.build import mixed_config, workload_config

    kinds = set()
    for preset in scenario_presets().values():
        loaded = load_scenario(preset.name)
        spec = loaded.spec
        if spec.workloads is not None:  # a mix: one configuration per arbiter
            for arbiter in [spec.arbiter, *spec.compare]:
                config = mixed_config(loaded, arbiter)
                assert config.arbiter == arbiter and len(config.workloads) >= 2
            continue
        kinds.add(spec.workload.kind)
        for policy in [spec.policy, *spec.compare]:
            config, run = workload_config(loaded, policy)
            assert config.policy == policy and callable(run)
            assert config.duration_s == spec.duration_s and config.seed == spec.seed
    assert kinds == {"earth-observation", "inference", "training"}


def test_a_preset_with_its_own_epoch_is_run_at_that_epoch(tmp_path):
    """`constellation: {preset, epoch}` dates the preset's cluster at its epoch, not at the run's
    start (the engines were given the bare name, which lost the epoch), on the preset's bus."""
    from spacecompute.runner import run_scenario
    from spacecompute.scenario.build import training_config

    text = (
        "name: ep\nstart: 2026-03-20T00:00:00Z\nduration_s: 120\nstep_s: 60\n"
        "constellation: {preset: suncatcher-cluster%s}\n"
        "workload: {kind: training, max_parallelism: 16}\npolicy: all-in\n"
    )
    dated, plain = tmp_path / "dated.yaml", tmp_path / "plain.yaml"
    dated.write_text(text % ", epoch: 2026-03-19T00:00:00Z")
    plain.write_text(text % "")
    config = training_config(load_scenario(str(dated)))
    expected = preset_constellation("suncatcher-cluster", epoch="2026-03-19T00:00:00Z")
    at_start = preset_constellation("suncatcher-cluster", epoch="2026-03-20T00:00:00Z")
    assert not isinstance(config.constellation, str)
    assert np.array_equal(config.constellation.elements.raan_rad, expected.elements.raan_rad)
    assert not np.array_equal(expected.elements.raan_rad, at_start.elements.raan_rad)
    assert config.bus == "suncatcher"  # the preset's own bus
    assert training_config(load_scenario(str(plain))).constellation == "suncatcher-cluster"
    run = run_scenario(str(dated))
    assert run.summaries["all-in"]["steps"] == 2
