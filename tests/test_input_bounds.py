"""Inputs that cannot crash a run (issue 13, defects 8, 11-16): every number finite and within a
named bound (simulation/inputs/bounds.py), experiments and files beyond a size refused before
anything is read or sampled, files that are not regular files refused by name, YAML merge keys,
GeoJSON plots that are valid and do not overlap, ``--years`` within the scenario's span, policy
windows outside the simulated years warned about, and every problem of a file reported at once.

Each defect is reproduced through the real command line (``python -m simulation.cli`` in a
subprocess, marked ``slow``) on copies of the two-firm fixture; a few in-process tests pin the
counting and merging rules themselves.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import BASELINE, FIXTURES, PROBLEM_LINE, assert_input_error, cli

SCENARIO = "scenario.yaml"


def two_firms(tmp_path: Path, replace: dict[str, str] | None = None, append: str = "",
              name: str = SCENARIO) -> Path:
    """A copy of the two-firm fixture in ``tmp_path/two_firms`` with its scenario edited as text
    (each ``replace`` key must occur once); the path of the edited scenario."""
    folder = tmp_path / "two_firms"
    if not folder.exists():
        shutil.copytree(FIXTURES / "two_firms", folder)
    text = (FIXTURES / "two_firms" / SCENARIO).read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = folder / name
    path.write_text(text + append, encoding="utf-8")
    return path


def problem_lines(result) -> list[str]:
    """stderr lines of a refused command: exit 2, no traceback, each ``file: field: message (fix)``."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), result.stderr
    return lines


# ------------------------------------------------------------------ defect 8: sizes and rates that crashed the run
@pytest.mark.slow
def test_plot_sizes_gaps_and_rates_beyond_their_bounds_are_refused(tmp_path):
    path = two_firms(tmp_path, {"plot_width_m: 100": "plot_width_m: 1e200", "gap_m: 1900": "gap_m: 1e306",
                                "  incumbents:": "  applicants: {rate_per_year: 1e12, mix: {kiln: 1}}\n  incumbents:"})
    result = cli("validate", path, cwd=tmp_path)
    assert_input_error(result, path, "district.blocks.0.plot_width_m", ("beyond 100,000 m", "plot side or gap"))
    assert_input_error(result, path, "district.blocks.0.gap_m", ("1e+306 m is beyond 100,000 m",))
    assert_input_error(result, path, "firms.applicants.rate_per_year",
                       ("beyond 10,000 firms/yr", "rate of applicants", "exhaust memory"))
    out = tmp_path / "out"
    assert cli("run", path, "--out", out, cwd=tmp_path).returncode == 2
    assert not out.exists()


# ------------------------------------------------------------------ defect 11: overflow to inf and NaN
@pytest.mark.slow
def test_money_land_prices_and_profile_quantities_that_overflow_are_refused(tmp_path):
    path = two_firms(tmp_path, {"land_price_eur_per_m2: 50": "land_price_eur_per_m2: 1e308"},
                     "policy:\n  exchange_subsidy: {eur_per_t: 1e308}\n  enforcement: {fine_eur: 1e308}\n")
    profile = path.parent / "firms.csv"  # checked against the resources.yaml beside it
    shutil.copy(FIXTURES / "profiles" / "four_firms.csv", profile)
    profile.write_text(profile.read_text(encoding="utf-8").replace("out,scrap,1000,t", "out,scrap,1e308,t"),
                       encoding="utf-8")
    result = cli("validate", path, profile, cwd=tmp_path)
    assert_input_error(result, path, "district.blocks.0.land_price_eur_per_m2", ("beyond 1,000,000 EUR/m2",))
    assert_input_error(result, path, "policy.exchange_subsidy.eur_per_t", ("beyond 1e9 EUR/t", "inf and NaN"))
    assert_input_error(result, path, "policy.enforcement.fine_eur", ("beyond 1e9 EUR",))
    assert_input_error(result, profile, "row 4.quantity", ("1e+308 t/yr is beyond 1e9 t/yr",))


# ------------------------------------------------------------------ defect 12: experiments and files too large to check
def experiment(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nscenario: {BASELINE}\nseed: 1\n{body}", encoding="utf-8")
    return path


@pytest.mark.slow
def test_huge_experiments_and_yaml_files_are_refused_with_their_size_before_anything_is_sampled(tmp_path):
    values = ", ".join(str(v) for v in range(500))
    grid = experiment(tmp_path, "grid", f"replicates: 10000\ngrid:\n  policy.landfill_tax.inert_eur_per_t: [{values}]\n"
                                        f"  policy.virgin_levy.eur_per_t: [{values}]\n")
    many = experiment(tmp_path, "many", "replicates: 1\ngrid:\n  policy.virgin_levy.eur_per_t: "
                                        f"[{', '.join(str(v) for v in range(100_000))}]\n")
    sobol = experiment(tmp_path, "sobol", "replicates: 1\ndesign:\n  method: sobol\n  samples: 524288\n"
                                          "  statistic: final_year\n  parameters:\n"
                                          "    policy.virgin_levy.eur_per_t: {low: 0, high: 30}\n")
    big = tmp_path / "big.yaml"
    with big.open("wb") as file:
        file.truncate(48_000_000)  # sparse: refused on its size, never read
    result = cli("validate", grid, many, sobol, big, cwd=tmp_path)
    assert_input_error(result, grid, "grid", ("2,500,000,000 runs", "beyond 1,000,000"))
    assert_input_error(result, many, "grid", ("100,000 values", "beyond 1,000"))
    assert_input_error(result, sobol, "design.samples", ("1,572,864 runs",))  # 2^19 x (1 + 2) points
    assert_input_error(result, big, "(document)", ("48,000,000 bytes", "bound of 20,000,000 bytes"))


# ------------------------------------------------------------------ defect 13: YAML merge keys
MERGED_BLOCKS = """district:
  blocks:
    - &lot {name: west, origin_x_m: 0, origin_y_m: 0, rows: 1, cols: 1, plot_width_m: 100,
            plot_depth_m: 100, gap_m: 0, land_price_eur_per_m2: 50}
    - {<<: *lot, name: east, origin_x_m: 2000}
"""


@pytest.mark.slow
def test_yaml_merge_keys_are_accepted_and_real_duplicate_keys_still_refused(tmp_path):
    merged = two_firms(tmp_path, name="merged.yaml")
    text = merged.read_text(encoding="utf-8")
    district = text[text.index("district:"):text.index("firms:")]
    merged.write_text(text.replace(district, MERGED_BLOCKS), encoding="utf-8")
    result = cli("validate", merged, cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == f"{merged}: valid", result.stderr
    duplicated = two_firms(tmp_path, {"seed: 1": "seed: 1\nseed: 2"}, name="duplicated.yaml")
    assert_input_error(cli("validate", duplicated, cwd=tmp_path), duplicated, "(document)", ("duplicate key 'seed'",))


def test_merge_keys_follow_yaml_1_1_own_keys_override_and_earlier_merges_win(tmp_path):
    from simulation.inputs.strict_yaml import parse_yaml
    doc = parse_yaml("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nc: {<<: [*a, *b], x: 3}\n", tmp_path / "m.yaml")
    assert doc["c"] == {"x": 3, "y": 1, "z": 2}


# ------------------------------------------------------------------ defect 14: GeoJSON plots
def geojson_scenario(tmp_path: Path, name: str, east: list) -> Path:
    """The GeoJSON fixture with its second polygon ('east') replaced by ``east`` (one ring)."""
    folder = tmp_path / "geojson"
    if not folder.exists():
        shutil.copytree(FIXTURES / "geojson", folder)
        shutil.copytree(FIXTURES / "two_firms", tmp_path / "two_firms", dirs_exist_ok=True)
    doc = json.loads((folder / "plots.geojson").read_text(encoding="utf-8"))
    doc["features"][1]["geometry"]["coordinates"] = [east]
    (folder / f"{name}.geojson").write_text(json.dumps(doc), encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text((folder / SCENARIO).read_text(encoding="utf-8").replace("plots.geojson", f"{name}.geojson"),
                    encoding="utf-8")
    return path


@pytest.mark.slow
def test_geojson_plots_need_finite_coordinates_valid_polygons_and_no_overlap(tmp_path):
    nan = geojson_scenario(tmp_path, "nan", [[2000, 0], [float("nan"), 0], [2120, 80], [2000, 80], [2000, 0]])
    bowtie = geojson_scenario(tmp_path, "bowtie", [[2000, 0], [2100, 100], [2100, 0], [2000, 100], [2000, 0]])
    overlap = geojson_scenario(tmp_path, "overlap", [[50, 50], [150, 50], [150, 150], [50, 150], [50, 50]])
    result = cli("validate", nan, bowtie, overlap, cwd=tmp_path)
    folder = Path("geojson")
    lines = problem_lines(result)
    assert_input_error(result, tmp_path / folder / "nan.geojson", "features.1", ("not a finite number",))
    assert_input_error(result, tmp_path / folder / "bowtie.geojson", "features.1", ("Self-intersection",))
    assert_input_error(result, tmp_path / folder / "overlap.geojson", "features.1",
                       ("plot 'east' overlaps plot 'west'",))
    assert len(lines) == 3, lines


def test_geojson_plots_that_touch_along_an_edge_are_accepted(tmp_path):
    from simulation.inputs.scenario import load_scenario
    from simulation.world import world_of
    touching = geojson_scenario(tmp_path, "touching", [[100, 0], [200, 0], [200, 100], [100, 100], [100, 0]])
    world = world_of(load_scenario(touching))
    assert world.plots.ids == ["west", "east"]
    assert world.plots.area_m2.tolist() == [10_000, 10_000]


# ------------------------------------------------------------------ defect 15: files that are not regular files
@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="POSIX FIFOs and devices")
def test_devices_fifos_and_folders_are_refused_by_name_without_reading_them(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    base = two_firms(tmp_path, {"name: two_firms": "name: variant\nbase: /dev/zero"}, name="variant.yaml")
    result = cli("validate", fifo, base, tmp_path, cwd=tmp_path)  # cli's timeout fails the test if it hangs
    assert_input_error(result, fifo, "(document)", ("named pipe (FIFO), not a regular file",))
    assert_input_error(result, base, "base", ("'/dev/zero' is a device, not a regular file",))
    assert_input_error(result, tmp_path, "(document)", ("is a folder, not a file",))
    assert_input_error(cli("run", "/dev/zero", "--out", tmp_path / "out", cwd=tmp_path), "/dev/zero", "(document)",
                       ("is a device, not a regular file",))
    assert not (tmp_path / "out").exists()
    experiment = tmp_path / "experiment.yaml"
    experiment.write_text("name: x\nscenario: /dev/zero\nseed: 1\nreplicates: 1\n"
                          "grid: {policy.landfill_tax.inert_eur_per_t: [1]}\n", encoding="utf-8")
    assert_input_error(cli("validate", experiment, cwd=tmp_path), experiment, "scenario",
                       ("'/dev/zero' is a device, not a regular file",))


# ------------------------------------------------------------------ defect 16: --years, policy windows, names, messages
@pytest.mark.slow
def test_years_beyond_the_scenarios_span_are_an_error(tmp_path):
    path = two_firms(tmp_path)  # 2026-2028
    out = tmp_path / "out"
    result = cli("run", path, "--years", "50", "--out", out, cwd=tmp_path)
    assert_input_error(result, "command line", "--years", ("after the scenario's last year 2028", "3 or fewer"))
    assert not out.exists()


@pytest.mark.slow
def test_a_policy_window_outside_the_simulated_years_is_a_warning_not_an_error(tmp_path):
    path = two_firms(tmp_path, append="policy:\n  landfill_tax: {start_year: 2040}\n")
    result = cli("validate", path, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{path}: valid"
    assert "policy.landfill_tax: in force from 2040, outside the simulated years 2026-2028" in result.stderr


@pytest.mark.slow
def test_dot_names_and_schema_class_names_never_reach_the_user(tmp_path):
    dot = experiment(tmp_path, "dots", "replicates: 1\ngrid:\n  policy.virgin_levy.eur_per_t: [0, 1]\n")
    dot.write_text(dot.read_text(encoding="utf-8").replace("name: dots", "name: '..'"), encoding="utf-8")
    folder = tmp_path / "two_firms"
    path = two_firms(tmp_path, {"archetypes: archetypes.yaml": "archetypes: listed.yaml"})
    (folder / "listed.yaml").write_text("- kiln\n- press\n", encoding="utf-8")
    result = cli("validate", dot, path, cwd=tmp_path)
    assert_input_error(result, dot, "name", ("names the current or the parent folder",))
    assert_input_error(result, folder / "listed.yaml", "(document)", ("expected a mapping of keys, not a list",))
    assert "ArchetypeFile" not in result.stderr and "instance of" not in result.stderr
    assert not (tmp_path / "sweeps").exists()


# ------------------------------------------------------------------ every problem of a file in one pass
@pytest.mark.slow
def test_validate_reports_every_problem_of_a_file_in_one_pass(tmp_path):
    path = two_firms(tmp_path, {"seed: 1": "seed: 1\ncolour: red", "{archetype: kiln, count: 1}":
                                "{archetype: kiln, count: 0}", "{archetype: press, count: 1}":
                                "{archetype: presss, count: 1}"})
    duplicated = two_firms(tmp_path, {"seed: 1": "seed: 1\nseed: 2", "gap_m: 1900": "gap_m: 1900, gap_m: 10"},
                           name="duplicated.yaml")
    result = cli("validate", path, duplicated, cwd=tmp_path)
    lines = problem_lines(result)
    assert_input_error(result, path, "colour", ("unknown key",))
    assert_input_error(result, path, "firms.incumbents.0.count", ("greater than or equal to 1",))
    assert_input_error(result, path, "firms.incumbents.1.archetype", ("unknown archetype 'presss'",))
    assert_input_error(result, duplicated, "(document)", ("duplicate key 'seed'",))
    assert_input_error(result, duplicated, "(document)", ("duplicate key 'gap_m'",))
    assert len(lines) == 5, lines


# ------------------------------------------------------------------ the counting rules
def test_experiment_runs_are_counted_as_the_samplers_draw_them():
    """Sobol' N·(D + 2), Morris N·(D + 1), Latin hypercube N points: the count checked before sampling."""
    from simulation.inputs.bounds import experiment_runs
    from simulation.sweeps.design import Design, sample
    parameters = {"a": {"low": 0, "high": 1}, "b": {"low": 0, "high": 1}, "c": {"low": 0, "high": 1}}
    for method in ("sobol", "morris", "lhs"):
        design = Design(method=method, samples=8, statistic="final_year", parameters=parameters)
        assert experiment_runs(None, design, 3) == len(sample(design, seed=1)) * 3, method
    assert experiment_runs({"a": [1, 2, 3], "b": [1, 2]}, None, 5) == 30


def test_a_bound_names_its_limit_what_it_bounds_and_why():
    from simulation.inputs.bounds import MAX_EUR, MAX_LENGTH_M
    assert MAX_LENGTH_M.problem(100_000) is None
    message, fix = MAX_LENGTH_M.problem(100_001, "m")
    assert message == f"100001 m is beyond 100,000 m, the bound for a plot side or gap: {MAX_LENGTH_M.why}"
    assert fix == "give at most 100,000 m"
    assert MAX_EUR.problem(-2e9, "EUR")[1] == "give a value between -1e9 and 1e9"
