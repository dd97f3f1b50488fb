"""Compute-hardware catalog and satellite-bus presets (spacecompute.spacecraft.hardware).

Reference numbers are typed in here with their sources, independently of data/hardware.yaml:
a wrong value in the catalog makes a test fail.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

import spacecompute
from spacecompute.errors import InputError
from spacecompute.spacecraft.hardware import (
    PRECISIONS,
    bus,
    bus_for_constellation,
    buses,
    catalog_path,
    hardware,
    hardware_catalog,
    load_catalog,
    ops_per_joule,
)

CONSTELLATIONS = Path(spacecompute.__file__).parent / "data" / "constellations"

# Physics, typed in independently of the package.
SOLAR_CONSTANT = 1361.0  # W/m2, Kopp and Lean, GRL 38 (2011) L01706
STEFAN_BOLTZMANN = 5.670374419e-8  # W/(m2 K4), CODATA 2018
EARTH_RADIUS_M = 6378137.0  # WGS84
MU_EARTH = 3.986004418e14  # m3/s2, WGS84 / IERS
TERA = 1e12


def _rel(x: float, ref: float, tol: float) -> bool:
    return abs(x - ref) <= tol * abs(ref)


# ---------------------------------------------------------------------------------------------
# The built-in file
# ---------------------------------------------------------------------------------------------


def test_builtin_catalog_validates_and_has_the_required_entries() -> None:
    cat = load_catalog()
    assert cat.file == str(catalog_path())
    for name in (
        "nvidia-h100-sxm",
        "jetson-agx-orin-64gb",
        "jetson-tx2",
        "tpu-v6e-trillium",
        "huawei-atlas-200",
        "threebody-744tops",
    ):
        assert name in cat.accelerators, name
    # at least one radiation-hardened space processor: TID tolerance of 100 krad(Si) or more
    assert any((a.tid_tolerance_rad or 0) >= 1e5 for a in cat.accelerators.values())
    # the cached look-ups return the same frozen objects
    assert hardware_catalog()["nvidia-h100-sxm"] is hardware("nvidia-h100-sxm")
    assert buses()["odc-1m"] is bus("odc-1m")


def test_every_entry_has_source_date_and_reasons_for_assumptions() -> None:
    entries = [*hardware_catalog().values(), *buses().values()]
    assert len(entries) >= 14
    for e in entries:
        assert len(e.source) > 20, e.name
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", e.date), (e.name, e.date)
        assert 2000 <= int(e.date[:4]) <= 2026, (e.name, e.date)
        for key, reason in e.assumed.items():
            head, _, sub = key.partition(".")
            assert hasattr(e, head), (e.name, key)
            if sub:
                assert sub in getattr(e, head), (e.name, key)
            assert len(reason) >= 12, (e.name, key)


def test_entries_are_frozen() -> None:
    h100 = hardware("nvidia-h100-sxm")
    with pytest.raises(AttributeError):
        h100.power_max_w = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        h100.peak_ops_per_s["fp8"] = 1.0  # type: ignore[index]


# ---------------------------------------------------------------------------------------------
# Datasheet numbers
# ---------------------------------------------------------------------------------------------


def test_h100_sxm_matches_the_nvidia_datasheet() -> None:
    # NVIDIA, "NVIDIA H100 Tensor Core GPU" datasheet, H100 SXM column (2023): FP64 Tensor Core
    # 67 TFLOPS, FP32 67 TFLOPS, TF32 989, BF16 1,979, FP16 1,979, FP8 3,958 TFLOPS and INT8
    # 3,958 TOPS *with sparsity* (dense = half), 80 GB, max TDP 700 W.
    h = hardware("nvidia-h100-sxm")
    assert _rel(h.peak("fp8"), 3958 * TERA / 2, 1e-3)  # 1,979 TFLOPS dense
    assert _rel(h.peak("int8"), 3958 * TERA / 2, 1e-3)
    assert _rel(h.peak("bf16"), 1979 * TERA / 2, 1e-3)  # 989 TFLOPS dense
    assert _rel(h.peak("fp16"), 1979 * TERA / 2, 1e-3)
    assert _rel(h.peak("tf32"), 989 * TERA / 2, 1e-3)
    assert _rel(h.peak("fp64"), 67 * TERA, 1e-3)
    assert _rel(h.peak("fp32"), 67 * TERA, 1e-3)
    assert h.memory_bytes == pytest.approx(80e9)
    assert h.power_max_w == pytest.approx(700.0)
    # published values are not marked assumed; the unpublished ones are
    for f in ("power_max_w", "memory_bytes", "peak_ops_per_s.fp8"):
        assert not h.is_assumed(f), f
    assert h.is_assumed("power_idle_w") and h.is_assumed("mass_kg")
    # Hopper tensor cores: FP8 at twice the FP16/BF16 rate, TF32 at half (H100 white paper)
    assert h.peak("fp8") == pytest.approx(2 * h.peak("bf16"))
    assert h.peak("tf32") == pytest.approx(h.peak("bf16") / 2, rel=1e-3)


def test_h100_pcie_matches_the_product_brief() -> None:
    # NVIDIA H100 PCIe product brief PB-11133-001_v02 (Nov 2022): TDP 350 W, 80 GB HBM2e;
    # datasheet PCIe column: FP8 3,026 TFLOPS with sparsity.
    h = hardware("nvidia-h100-pcie")
    assert h.power_max_w == pytest.approx(350.0)
    assert h.memory_bytes == pytest.approx(80e9)
    assert _rel(h.peak("fp8"), 3026 * TERA / 2, 1e-3)


def test_trillium_matches_the_google_cloud_docs() -> None:
    # Google Cloud, "TPU v6e" (docs.cloud.google.com/tpu/docs/v6e): peak compute per chip
    # 918 TFLOPs bf16, 1836 TOPs int8, HBM 32 GB per chip. Suncatcher (arXiv:2511.19468):
    # no hard failure up to 15 krad(Si).
    t = hardware("tpu-v6e-trillium")
    assert t.peak("bf16") == pytest.approx(918 * TERA)
    assert t.peak("int8") == pytest.approx(1836 * TERA)
    assert t.memory_bytes == pytest.approx(32e9)
    assert t.tid_tolerance_rad == pytest.approx(15e3)
    assert t.radiation_device == "trillium-v6e"
    # Google publishes no chip power: it must be marked as assumed
    assert t.is_assumed("power_max_w") and t.is_assumed("power_idle_w")


def test_atlas_200_matches_the_huawei_datasheet() -> None:
    # Huawei Atlas 200 AI accelerator module (model 3000) hardware design guide
    # (EDOC1100223191): typical power 11 W at 22 TOPS INT8; FP16 at half the INT8 rate (Ascend
    # 310: 16 TOPS INT8 / 8 TFLOPS FP16, Huawei Connect 2018).
    a = hardware("huawei-atlas-200")
    assert a.peak("int8") == pytest.approx(22 * TERA)
    assert a.peak("fp16") == pytest.approx(11 * TERA)
    assert a.power_max_w == pytest.approx(11.0)


def test_jetson_numbers_match_nvidia_and_the_oec_paper() -> None:
    # Jetson AGX Orin Series data sheet DS-10662-001: 64GB module up to 275 TOPS INT8 (sparse),
    # 2048 CUDA cores at 1.3 GHz (5.3 FP32 TFLOPS), 64 GB LPDDR5, 15-60 W.
    o = hardware("jetson-agx-orin-64gb")
    assert o.peak("int8") == pytest.approx(275 * TERA / 2)
    assert _rel(o.peak("fp32"), 2048 * 2 * 1.3e9, 2e-3)
    assert o.memory_bytes == pytest.approx(64e9)
    assert o.power_max_w == pytest.approx(60.0)
    # NVIDIA, "Jetson TX2 Delivers Twice the Intelligence to the Edge" (2017): 256 Pascal cores,
    # 1.3 GHz, 1.33 TFLOPS FP16; Max-Q: GPU 854 MHz at about 7.5 W, the mode of Denby and Lucia,
    # "Orbital Edge Computing", ASPLOS 2020.
    tx2 = hardware("jetson-tx2")
    assert _rel(tx2.peak("fp16"), 1.33 * TERA, 5e-3)
    assert tx2.memory_bytes == pytest.approx(8e9)
    maxq = hardware("jetson-tx2-maxq")
    assert maxq.power_max_w == pytest.approx(7.5)
    assert _rel(maxq.peak("fp16"), 256 * 4 * 0.854e9, 1e-3)
    assert maxq.peak("fp16") < tx2.peak("fp16")


def test_threebody_payload_is_the_announced_744_tops() -> None:
    # ADA Space / Zhejiang Lab (2025-05-14): up to 744 TOPS per satellite, 5 POPS for the 12,
    # 30 TB of storage for the constellation.
    p = hardware("threebody-744tops")
    assert p.peak("int8") == pytest.approx(744 * TERA)
    assert p.is_assumed("peak_ops_per_s.int8")  # the precision is not announced
    assert p.is_assumed("power_max_w") and p.is_assumed("mass_kg")
    # 744 TOPS is a maximum: 12 x 744 TOPS exceeds the 5 POPS total (417 TOPS on average)
    assert 12 * p.peak("int8") >= 5000 * TERA
    b = bus_for_constellation("threebody")
    assert b.compute_peak_ops_per_s("int8") == pytest.approx(744 * TERA)
    assert 12 * b.storage_bytes == pytest.approx(30e12)


def test_rad_hard_processor() -> None:
    # BAE Systems RAD5545: 5.6 GOPS, 3.7 GFLOPS.
    r = hardware("bae-rad5545")
    assert r.peak("fp64") == pytest.approx(3.7e9)
    assert r.peak("int32") == pytest.approx(5.6e9)
    assert r.tid_tolerance_rad >= 1e5
    # a rad-hard processor is orders of magnitude slower than a commercial accelerator
    assert hardware("jetson-tx2").peak("fp32") > 100 * r.peak("fp64")


# ---------------------------------------------------------------------------------------------
# Plausibility (internal consistency)
# ---------------------------------------------------------------------------------------------


def test_narrower_precisions_are_never_slower_and_efficiency_is_plausible() -> None:
    floats = ["fp64", "fp32", "tf32", "bf16", "fp16", "fp8"]
    for a in hardware_catalog().values():
        assert 0 <= a.power_idle_w < a.power_max_w, a.name
        got = [p for p in floats if p in a.peak_ops_per_s]
        for wide, narrow in itertools.pairwise(got):
            if {wide, narrow} == {"bf16", "fp16"}:
                continue
            assert a.peak(narrow) >= a.peak(wide), (a.name, wide, narrow)
        if "int8" in a.peak_ops_per_s and "fp16" in a.peak_ops_per_s:
            assert a.peak("int8") >= a.peak("fp16"), a.name
        for p in a.precisions:
            # no digital part reaches 20 TOPS/W dense; nothing useful is below 0.1 GOPS/W
            assert 1e8 < ops_per_joule(a, p) < 2e13, (a.name, p)
        if "int8" in a.peak_ops_per_s:
            # 2017-2025 inference accelerators: about 0.5 to 10 dense INT8 TOPS per watt
            assert 0.5e12 <= a.ops_per_joule("int8") <= 10e12, a.name
    assert ops_per_joule(hardware("nvidia-h100-sxm"), "fp8") == pytest.approx(1979e12 / 700)


def test_unknown_precision_and_missing_peak() -> None:
    h = hardware("nvidia-h100-sxm")
    with pytest.raises(InputError, match="fp8"):
        h.peak("fp9")
    with pytest.raises(InputError, match="no peak"):
        h.peak("int4")
    with pytest.raises(InputError):
        bus("odc-1m").compute_peak_ops_per_s("float17")
    assert set(PRECISIONS) >= {"fp64", "fp32", "bf16", "fp16", "fp8", "int8"}


# ---------------------------------------------------------------------------------------------
# Buses
# ---------------------------------------------------------------------------------------------


def test_every_constellation_preset_has_exactly_one_bus() -> None:
    presets = sorted(p.stem for p in CONSTELLATIONS.glob("*.yaml"))
    assert len(presets) >= 7
    for name in presets:
        b = bus_for_constellation(name)
        assert name in b.constellations
        assert b.compute, f"{b.name} carries no compute payload"
    claimed = [c for b in buses().values() for c in b.constellations]
    assert sorted(claimed) == presets  # each once, and no bus claims a preset that does not exist


def test_solar_power_covers_compute_or_the_bus_is_flagged() -> None:
    flagged = []
    for b in buses().values():
        solar = SOLAR_CONSTANT * b.array_area_m2 * b.cell_efficiency * b.packing_factor
        assert b.solar_power_bol_w() == pytest.approx(solar)
        need = (
            sum(n * a.power_max_w for a, n in b.payload())
            + b.bus_load_w
            + b.radio_load_w
            + b.heater_load_w
        )
        assert b.compute_power_max_w + b.housekeeping_load_w == pytest.approx(need)
        if b.compute_power_limited:
            flagged.append(b.name)
            assert solar < need, f"{b.name} is flagged but has {solar:.0f} W for {need:.0f} W"
        else:
            assert solar >= need, f"{b.name}: {solar:.0f} W of array for {need:.0f} W of load"
            assert b.power_margin_w() >= 0
        assert 0.5 <= b.power_per_mass_w_per_kg <= 150, b.name  # W/kg of real spacecraft
    # cote's 3U cubesat: 7.1 W peak solar input for a 7.5 W TX2 (Denby and Lucia, ASPLOS 2020)
    assert flagged == ["cote-3u"]
    assert _rel(bus("cote-3u").solar_power_bol_w(), 7.1, 0.03)


def test_bus_power_matches_the_suncatcher_table() -> None:
    # Suncatcher (arXiv:2511.19468) Table 1: Starlink v1 260 kg, 7 kW (est.); Starlink v2 mini
    # 575 kg, 28 kW (est.), the reference satellite of the launched-power price.
    s1 = bus_for_constellation("starlink-shell1")
    assert s1.mass_kg == pytest.approx(260.0)
    assert _rel(s1.solar_power_bol_w(), 7000.0, 0.02)
    sc = bus_for_constellation("suncatcher-cluster")
    assert sc.mass_kg == pytest.approx(575.0)
    assert _rel(sc.solar_power_bol_w(), 28000.0, 0.02)
    assert sc.compute_peak_ops_per_s("bf16") > 0
    # Telesat Lightspeed: 750 kg (SpaceNews 2023-12-04), 792 SCOT80 terminals for 198 satellites
    tl = bus_for_constellation("telesat-t1")
    assert tl.mass_kg == pytest.approx(750.0)
    assert tl.laser_terminals == 792 // 198


def test_odc_bus_reproduces_100_kw_of_compute_per_tonne() -> None:
    # 2026 million-satellite filing: about 100 kW of compute per tonne launched.
    b = bus_for_constellation("odc-1m")
    assert _rel(b.compute_power_per_mass_w_per_kg * 1000.0, 100e3, 0.05)
    assert b.solar_power_bol_w() >= b.compute_power_max_w + b.housekeeping_load_w
    assert b.compute_mass_kg < b.mass_kg
    # the solar array is Starcloud's 22 % cells at 90 % fill (white paper, 2024)
    assert (b.cell_efficiency, b.packing_factor) == (0.22, 0.90)


def test_batteries_and_radiators_are_sized_for_their_loads() -> None:
    # Longest eclipse of a circular orbit (beta = 0, cylindrical shadow) at 500 km, the lowest
    # preset altitude: f = acos(sqrt(h^2 + 2 R h) / (R + h)) / pi of the period (~35.8 min).
    h = 500e3
    frac = math.acos(math.sqrt(h * h + 2 * EARTH_RADIUS_M * h) / (EARTH_RADIUS_M + h)) / math.pi
    eclipse_s = frac * 2 * math.pi * math.sqrt((EARTH_RADIUS_M + h) ** 3 / MU_EARTH)
    assert 35 * 60 < eclipse_s < 36.5 * 60
    # two-sided radiator at 20 C: 2 eps sigma T^4, ~770 W/m2 for eps = 0.92
    per_m2 = 2 * STEFAN_BOLTZMANN * 293.15**4
    assert _rel(0.92 * per_m2, 770.0, 0.01)
    for b in buses().values():
        assert 0.8 * b.battery_capacity_j >= b.housekeeping_load_w * eclipse_s, b.name
        heat = b.compute_power_max_w + b.housekeeping_load_w
        assert b.radiator_emissivity * per_m2 * b.radiator_area_m2 >= heat, b.name
        assert b.mass_kg > b.compute_mass_kg, b.name


def test_laser_terminals_name_network_terminals() -> None:
    from spacecompute.network.links import terminals

    optical = terminals("optical")
    for b in buses().values():
        if b.laser_terminal is not None:
            assert b.laser_terminal in optical, (b.name, b.laser_terminal)
            assert b.laser_terminals >= 1


def test_solar_power_broadcasts_and_checks_its_inputs() -> None:
    b = bus("starlink-v1")
    full = b.solar_power_bol_w()
    got = b.solar_power_bol_w(sunlit=np.array([0.0, 0.5, 1.0]), cos=0.5)
    np.testing.assert_allclose(got, [0.0, 0.25 * full, 0.5 * full])
    assert isinstance(b.solar_power_bol_w(0.3), float)
    with pytest.raises(InputError, match="sunlit"):
        b.solar_power_bol_w(sunlit=1.5)
    with pytest.raises(InputError, match="cos"):
        b.solar_power_bol_w(cos=-0.1)
    assert b.battery_capacity_j == pytest.approx(b.battery_capacity_wh * 3600)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(InputError) as exc:
        hardware("nvidia-h100-sx")
    assert "nvidia-h100-sxm" in str(exc.value)
    assert exc.value.problems[0].field == "hardware"
    with pytest.raises(InputError, match="tpu-v6e-trillium"):
        hardware("tpu-v6-trilium")
    with pytest.raises(InputError, match="starlink-shell1"):
        bus_for_constellation("starlink-shel1")
    with pytest.raises(InputError, match="suncatcher"):
        bus("suncatchr")
    assert hardware(" NVIDIA-H100-SXM ") is hardware("nvidia-h100-sxm")


def _copy(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(catalog_path().read_text(encoding="utf-8"))
    edit(data)
    out = tmp_path / "hardware.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


def test_a_faithful_copy_loads(tmp_path: Path) -> None:
    cat = load_catalog(_copy(tmp_path, lambda d: None))
    assert cat.accelerators == load_catalog().accelerators
    assert list(cat.buses) == list(buses())


def test_unknown_key_is_reported_with_field_line_and_suggestion(tmp_path: Path) -> None:
    text = catalog_path().read_text(encoding="utf-8")
    anchor = "    power_max_w: 700.0\n"
    assert text.count(anchor) == 1
    line = text[: text.index(anchor)].count("\n") + 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(anchor, anchor + "    power_max_kw: 0.7\n"), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_catalog(bad)
    (p,) = exc.value.problems
    assert p.field == "accelerators[0].power_max_kw"
    assert p.file == str(bad)
    assert p.line == line
    assert "power_max_w" in p.message  # did you mean
    assert "nvidia-h100-sxm" in p.message


def test_missing_source_is_reported(tmp_path: Path) -> None:
    def edit(d):
        del d["buses"][2]["source"]
        d["accelerators"][1]["date"] = "last year"

    with pytest.raises(InputError) as exc:
        load_catalog(_copy(tmp_path, edit))
    fields = {p.field: p for p in exc.value.problems}
    assert "buses[2].source" in fields
    assert "missing" in fields["buses[2].source"].message
    assert "accelerators[1].date" in fields


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (
            lambda d: d["accelerators"][0]["peak_ops_per_s"].update(fp9=1e15),
            "accelerators[0].peak_ops_per_s",
            "fp8",
        ),
        (
            lambda d: d["accelerators"][0]["assumed"].update(mass_g="a reason long enough"),
            "accelerators[0]",
            "mass_kg",
        ),
        (
            lambda d: d["accelerators"][0]["assumed"].update(mass_kg="guess"),
            "accelerators[0].assumed",
            "too short",
        ),
        (
            lambda d: d["accelerators"][0].update(power_idle_w=800.0),
            "accelerators[0]",
            "power_idle_w",
        ),
        (lambda d: d["buses"][0].update(cell_efficiency=0.9), "buses[0].cell_efficiency", "0.5"),
        (
            lambda d: d["buses"][0]["compute"][0].update(hardware="jetson-agx-orin-64"),
            "buses[0].compute[0].hardware",
            "jetson-agx-orin-64gb",
        ),
        (
            lambda d: d["buses"][1]["constellations"].append("starlink-shell1"),
            "buses[1].constellations[1]",
            "starlink-v1",
        ),
        (
            lambda d: d["buses"][0].update(array_area_m2=5.0),
            "buses[0].compute_power_limited",
            "compute_power_limited",
        ),
        (
            lambda d: d["buses"][0].update(laser_terminals=-1),
            "buses[0].laser_terminals",
            "greater than",
        ),
        (lambda d: d.update(spacecraft=[]), "spacecraft", "unknown key"),
    ],
)
def test_malformed_catalog_is_rejected_with_the_field(tmp_path: Path, edit, field, words) -> None:
    with pytest.raises(InputError) as exc:
        load_catalog(_copy(tmp_path, edit))
    problems = exc.value.problems
    assert any(p.field == field and words in p.message for p in problems), [
        str(p) for p in problems
    ]
    assert all(p.file and p.file.endswith("hardware.yaml") for p in problems)


def test_unreadable_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_catalog(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("accelerators: [\n", encoding="utf-8")
    with pytest.raises(InputError, match="YAML"):
        load_catalog(broken)
    dup = tmp_path / "dup.yaml"
    text = catalog_path().read_text(encoding="utf-8")
    dup.write_text(text.replace("    mass_kg: 1.0\n", "    mass_kg: 1.0\n    mass_kg: 2.0\n", 1))
    with pytest.raises(InputError, match="duplicate key") as exc:
        load_catalog(dup)
    assert exc.value.problems[0].field == "accelerators[0].mass_kg"


def test_radiation_devices_resolve_in_the_susceptibility_table() -> None:
    path = catalog_path().parent / "radiation_susceptibility.yaml"
    if not path.exists():
        pytest.skip("radiation_susceptibility.yaml not present")
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    keys = set()
    for d in doc["devices"]:
        keys.add(d["name"])
        keys.update(d.get("aliases", []))
    for a in hardware_catalog().values():
        assert a.radiation_device in keys, (a.name, a.radiation_device)
