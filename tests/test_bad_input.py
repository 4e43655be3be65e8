"""Bad input, in one place: every way a user's file or command line can be wrong is reported as
``file: dotted.field: message (fix)``, exit code 2, no traceback, nothing written (docs/ODD.md §6.4).

Sections:

1. scenario and catalogue files (the two-firm fixture spoilt one thing at a time);
2. scenario bases (``base:`` naming a missing file, itself, a cycle);
3. planning policy (every policy option);
4. firm profile files (``file: row N.column``);
5. command-line options.

Each case copies a fixture into a temporary folder, spoils one thing, and checks the problem in
process (``validate_file``, what ``validate`` prints) and/or through the real command line
(``python -m simulation.cli`` in a subprocess, as a user would; those are marked ``slow``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from simulation.cli.validate import validate_file
from simulation.inputs.catalogue import load_resource_catalogue
from simulation.inputs.errors import InputError
from simulation.inputs.firm_profiles import read_profiles
from simulation.inputs.scenario import load_scenario
from tests.conftest import FIXTURES, PROBLEM_LINE, assert_input_error, cli

FIXTURE = FIXTURES / "two_firms"

Edit = Callable[[Path], None]


def set_key(dotted: str, value) -> Callable[[dict], None]:
    """A document edit: set ``dotted`` (``a.b.0.c``; integers index lists) to ``value``."""

    def edit(doc: dict) -> None:
        *parents, last = dotted.split(".")
        node = doc
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return edit


def edit_yaml(*edits: Callable[[dict], None]) -> Edit:
    """A file edit: parse, apply document edits, write back."""

    def edit(path: Path) -> None:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for e in edits:
            e(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    return edit


def write_text(text: str) -> Edit:
    def edit(path: Path) -> None:
        path.write_text(text, encoding="utf-8")

    return edit


def append_text(text: str) -> Edit:
    def edit(path: Path) -> None:
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return edit


def add_overlapping_block(doc: dict) -> None:
    block = dict(doc["district"]["blocks"][0], name="annex", origin_x_m=50, origin_y_m=50)
    doc["district"]["blocks"].append(block)


def add_substitution_to(input_id: str) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        doc["substitutions"].append(dict(doc["substitutions"][0], input=input_id))

    return edit


def kiln_loop(share: float, replaces: str) -> Callable[[dict], None]:
    """The kiln also needs feldspar and recycles ``share`` of its scrap in house into ``replaces``."""

    def edit(doc: dict) -> None:
        kiln = doc["archetypes"]["kiln"]
        kiln["inputs"] = {"feldspar": {"value": 2000, "unit": "t/yr", "source": "assumption: test figure"}}
        kiln["in_house"] = {"scrap": {"recycled_share": {"value": share, "unit": "share", "source": "assumption"},
                                      "replaces": replaces}}

    return edit


def geojson_of(*properties) -> str:
    """A FeatureCollection of 100 m square plots east of the fixture's grid, one per ``properties``."""
    features = [{"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates": [[
        [x, 0], [x + 100, 0], [x + 100, 100], [x, 100], [x, 0]]]}}
        for x, props in zip(range(5000, 5000 + 200 * len(properties), 200), properties)]
    return json.dumps({"type": "FeatureCollection", "features": features})


@dataclass(frozen=True)
class Case:
    """One spoilt input: which file to edit and how, and what stderr must then say."""

    id: str
    edits: dict[str, Edit]
    file: str  # name of the file the problem must be reported in
    field: str  # dotted field expected after the file name ("(document)" for whole-file problems)
    says: tuple[str, ...] = ()  # further fragments the message or fix must contain
    target: str = "scenario.yaml"  # the file given to the command
    run_too: bool = False  # also check that `run` refuses it and writes nothing


# ====================================================================== 1. scenario and catalogue files
SCENARIO_CASES = [
    Case("unknown_key", {"scenario.yaml": edit_yaml(set_key("policy.landfil_tax", {"inert_eur_per_t": 5}))},
         "scenario.yaml", "policy.landfil_tax", ("unknown key", "did you mean landfill_tax"), run_too=True),
    Case("unknown_key_with_a_space", {"scenario.yaml": edit_yaml(set_key("policy.landfill tax", 3))},
         "scenario.yaml", "policy.'landfill tax'", ("unknown key", "did you mean landfill_tax")),
    Case("wrong_type_seed", {"scenario.yaml": edit_yaml(set_key("seed", "abc"))},
         "scenario.yaml", "seed", ("whole number",), run_too=True),
    Case("negative_archetype_output",
         {"archetypes.yaml": edit_yaml(set_key("archetypes.kiln.outputs.scrap",
                                               {"value": -5, "unit": "t/yr", "source": "assumption"}))},
         "archetypes.yaml", "archetypes.kiln.outputs.scrap", ("negative", ">= 0"), run_too=True),
    Case("negative_archetype_output_validated_alone",
         {"archetypes.yaml": edit_yaml(set_key("archetypes.kiln.outputs.scrap",
                                               {"value": -5, "unit": "t/yr", "source": "assumption"}))},
         "archetypes.yaml", "archetypes.kiln.outputs.scrap", ("negative",), target="archetypes.yaml"),
    Case("negative_transaction_cost",
         {"scenario.yaml": edit_yaml(set_key("behaviour.negotiation.transaction_cost_eur_per_yr", -100))},
         "scenario.yaml", "behaviour.negotiation.transaction_cost_eur_per_yr", ("greater than or equal to 0",)),
    Case("unknown_resource_in_archetype_outputs",
         {"archetypes.yaml": edit_yaml(set_key("archetypes.kiln.outputs.scarp",
                                               {"value": 10, "unit": "t/yr", "source": "assumption"}))},
         "archetypes.yaml", "archetypes.kiln.outputs.scarp", ("unknown resource 'scarp'", "did you mean scrap")),
    Case("unknown_resource_in_substitution",
         {"resources.yaml": edit_yaml(set_key("substitutions.0.input", "feldspr"))},
         "resources.yaml", "substitutions.0.input", ("unknown resource 'feldspr'", "did you mean feldspar"),
         run_too=True),
    Case("unknown_resource_in_substitution_validated_alone",
         {"resources.yaml": edit_yaml(set_key("substitutions.0.residue", "scarp"))},
         "resources.yaml", "substitutions.0.residue", ("unknown resource 'scarp'", "did you mean scrap"),
         target="resources.yaml"),
    Case("substitution_to_nonexistent_input", {"resources.yaml": edit_yaml(add_substitution_to("cement"))},
         "resources.yaml", "substitutions.1.input", ("unknown resource 'cement'",)),
    Case("in_house_share_above_one", {"archetypes.yaml": edit_yaml(kiln_loop(1.2, "feldspar"))},
         "archetypes.yaml", "archetypes.kiln.in_house.scrap.recycled_share",
         ("between 0 and 1, got 1.2", "e.g. 0.995"), run_too=True),
    Case("in_house_replaces_unknown_resource", {"archetypes.yaml": edit_yaml(kiln_loop(0.4, "feldspr"))},
         "archetypes.yaml", "archetypes.kiln.in_house.scrap.replaces",
         ("'feldspr', which is not among its inputs", "did you mean feldspar")),
    Case("unknown_archetype_incumbent",
         {"scenario.yaml": edit_yaml(set_key("firms.incumbents.0.archetype", "klin"))},
         "scenario.yaml", "firms.incumbents.0.archetype", ("unknown archetype 'klin'", "did you mean kiln"),
         run_too=True),
    Case("landfill_tax_on_a_recovery_route",
         {"resources.yaml": edit_yaml(set_key("resources.scrap.disposal.route", "recovery"))},
         "resources.yaml", "resources.scrap.disposal.landfill_tax_class",
         ("landfill routes only, not to recovery", "remove landfill_tax_class")),
    Case("material_residue_to_the_sewer",
         {"resources.yaml": edit_yaml(set_key("resources.scrap.alternatives", [
             {"route": "sewer", "gate_fee": {"value": 2, "unit": "EUR/t", "source": "assumption"},
              "co2": {"value": 0, "unit": "tCO2/t", "source": "assumption"}}]))},
         "resources.yaml", "resources.scrap.alternatives.0.route",
         ("a material residue cannot go to sewer", "landfill, recovery, incineration, treatment")),
    Case("sale_price_on_a_landfill_route",
         {"resources.yaml": edit_yaml(set_key("resources.scrap.disposal.sale_price",
                                              {"value": 5, "unit": "EUR/t", "source": "assumption"}))},
         "resources.yaml", "resources.scrap.disposal.sale_price", ("only a recovery route can sell",)),
    Case("cost_pass_through_above_one",
         {"archetypes.yaml": edit_yaml(set_key("archetypes.press.cost_pass_through",
                                               {"value": 1.5, "unit": "share", "source": "assumption"}))},
         "archetypes.yaml", "archetypes.press.cost_pass_through", ("between 0 and 1",)),
    Case("investment_capex_in_the_wrong_unit",
         {"resources.yaml": edit_yaml(set_key("substitutions.0.investment", {
             "capex": {"value": 100, "unit": "EUR/t", "source": "assumption"},
             "lifetime": {"value": 10, "unit": "yr", "source": "assumption"}}))},
         "resources.yaml", "substitutions.0.investment.capex", ("EUR/(t/yr)",)),
    Case("max_share_above_one",
         {"resources.yaml": edit_yaml(set_key("substitutions.0.max_share",
                                              {"value": 1.5, "unit": "share", "source": "assumption"}))},
         "resources.yaml", "substitutions.0.max_share", ("1.5",)),
    Case("entry_opportunity_without_a_stream",
         {"scenario.yaml": edit_yaml(set_key("firms.applicants.opportunity",
                                             {"elasticity": 1, "reference_eur_per_yr": 100_000}))},
         "scenario.yaml", "firms.applicants.opportunity", ("rate_per_year is 0", "when_opportunity_eur_per_yr")),
    Case("negative_entry_elasticity",
         {"scenario.yaml": edit_yaml(set_key("firms.applicants", {
             "rate_per_year": 1, "mix": {"press": 1},
             "opportunity": {"elasticity": -0.5, "reference_eur_per_yr": 100_000}}))},
         "scenario.yaml", "firms.applicants.opportunity.elasticity", ("greater than or equal to 0",), run_too=True),
    Case("entry_elasticity_above_its_bound",
         {"scenario.yaml": edit_yaml(set_key("firms.applicants", {
             "rate_per_year": 1, "mix": {"press": 1},
             "opportunity": {"elasticity": 50, "reference_eur_per_yr": 100_000}}))},
         "scenario.yaml", "firms.applicants.opportunity.elasticity", ("10",)),
    Case("entry_opportunity_reference_missing",
         {"scenario.yaml": edit_yaml(set_key("firms.applicants", {
             "rate_per_year": 1, "mix": {"press": 1}, "opportunity": {"elasticity": 1}}))},
         "scenario.yaml", "firms.applicants.opportunity.reference_eur_per_yr", ("Field required", "add this field")),
    Case("queued_threshold_in_the_wrong_unit",
         {"scenario.yaml": edit_yaml(set_key("firms.applicants.queue", [
             {"archetype": "press", "year": 2027,
              "when_opportunity_eur_per_yr": {"value": 5, "unit": "EUR/t", "source": "assumption"}}]))},
         "scenario.yaml", "firms.applicants.queue.0.when_opportunity_eur_per_yr", ("EUR/t", "EUR/yr")),
    Case("initial_trust_above_one",
         {"scenario.yaml": edit_yaml(set_key("behaviour.negotiation.initial_trust", 1.5))},
         "scenario.yaml", "behaviour.negotiation.initial_trust", ("less than or equal to 1",)),
    Case("flat_hazard_rate_of_an_old_file", {"scenario.yaml": edit_yaml(set_key("behaviour.exit.hazard_rate", 0.02))},
         "scenario.yaml", "behaviour.exit.hazard_rate",
         ("replaced by hazard_by_size", "hazard_by_size: [{max_employees: null, rate: 0.02}]"), run_too=True),
    Case("hazard_size_bounds_unsorted",
         {"scenario.yaml": edit_yaml(set_key("behaviour.exit.hazard_by_size", [
             {"max_employees": 49, "rate": 0.02}, {"max_employees": 9, "rate": 0.05},
             {"max_employees": None, "rate": 0.005}]))},
         "scenario.yaml", "behaviour.exit.hazard_by_size.1.max_employees",
         ("9 employees is not above the previous class's bound (49)", "smallest firms up")),
    Case("hazard_rate_above_one",
         {"scenario.yaml": edit_yaml(set_key("behaviour.exit.hazard_by_size", [
             {"max_employees": None, "rate": {"value": 1.5, "unit": "1/yr", "source": "assumption"}}]))},
         "scenario.yaml", "behaviour.exit.hazard_by_size.0.rate", ("less than or equal to 1",)),
    Case("hazard_without_an_open_last_class",
         {"scenario.yaml": edit_yaml(set_key("behaviour.exit.hazard_by_size", [
             {"max_employees": 9, "rate": 0.05}, {"max_employees": 49, "rate": 0.02}]))},
         "scenario.yaml", "behaviour.exit.hazard_by_size.1.max_employees",
         ("ends at 49 employees, so larger firms have no rate", "{max_employees: null, rate: ...}")),
    Case("hazard_open_class_before_the_last",
         {"scenario.yaml": edit_yaml(set_key("behaviour.exit.hazard_by_size", [
             {"max_employees": None, "rate": 0.05}, {"max_employees": 49, "rate": 0.02}]))},
         "scenario.yaml", "behaviour.exit.hazard_by_size.0.max_employees", ("only the last class may be open",)),
    Case("hazard_by_size_empty", {"scenario.yaml": edit_yaml(set_key("behaviour.exit.hazard_by_size", []))},
         "scenario.yaml", "behaviour.exit.hazard_by_size", ("add at least one entry",)),
    Case("grid_blocks_overlap", {"scenario.yaml": edit_yaml(add_overlapping_block)},
         "scenario.yaml", "district.blocks.1", ("overlap", "annex", "row")),
    Case("empty_district", {"scenario.yaml": edit_yaml(set_key("district", {"blocks": []}))},
         "scenario.yaml", "district.blocks", ("no plots",)),
    Case("years_reversed", {"scenario.yaml": edit_yaml(set_key("years", {"start": 2030, "end": 2026}))},
         "scenario.yaml", "years.end", ("before start", "swap")),
    Case("missing_catalogue_file", {"scenario.yaml": edit_yaml(set_key("catalogue", {"resources": "nope.yaml"}))},
         "scenario.yaml", "catalogue.resources", ("nope.yaml", "not found", "relative to the scenario"),
         run_too=True),
    Case("yaml_syntax_error",
         {"scenario.yaml": write_text("name: broken\nseed: 1\nyears: {start: 2026, end: 2028\n"
                                      "district:\n  blocks: []\n")},
         "scenario.yaml", "(document)", ("YAML syntax error", "line 4", "line 3"), run_too=True),
    Case("yaml_syntax_error_in_catalogue",
         {"resources.yaml": write_text("resources:\n  feldspar:\n    name: Feldspar\n   family: material\n")},
         "resources.yaml", "(document)", ("YAML syntax error", "line 4")),
    # "billion laughs": nine levels of nine aliases would expand to 387 million values
    Case("alias_bomb", {"scenario.yaml": append_text(
        "laughs: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
            f"more{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]\n" for k in range(1, 9)))},
         "scenario.yaml", "(document)", ("expands to more than 1,000,000 values", "aliases"), run_too=True),
    Case("duplicate_yaml_key", {"scenario.yaml": append_text("seed: 4\n")},
         "scenario.yaml", "(document)", ("duplicate key 'seed'", "line 20", "keep only one")),
    Case("unit_mismatch_in_catalogue",
         {"resources.yaml": edit_yaml(set_key("resources.feldspar.virgin_price",
                                              {"value": 60, "unit": "EUR/kg", "source": "x"}))},
         "resources.yaml", "resources.feldspar.virgin_price", ("EUR/kg", "EUR/t")),
    Case("unit_mismatch_in_scenario",
         {"scenario.yaml": edit_yaml(set_key("policy.landfill_tax.inert_eur_per_t",
                                             {"value": 0.009, "unit": "EUR/kg", "source": "x"}))},
         "scenario.yaml", "policy.landfill_tax.inert_eur_per_t", ("EUR/kg", "EUR/t")),
    Case("missing_scenario_file", {}, "nothere.yaml", "(document)", ("file not found",),
         target="nothere.yaml", run_too=True),
    Case("scenario_is_a_list", {"scenario.yaml": write_text("- name: two_firms\n- seed: 1\n")},
         "scenario.yaml", "(document)", ("must be a mapping",)),
    Case("geojson_file_missing", {"scenario.yaml": edit_yaml(set_key("district.geojson", "plots.geojson"))},
         "scenario.yaml", "district.geojson", ("'plots.geojson' not found",)),
    Case("geojson_properties_not_a_mapping",
         {"plots.geojson": write_text(geojson_of({"id": "east", "land_price_eur_per_m2": 50}, ["not a mapping"])),
          "scenario.yaml": edit_yaml(set_key("district.geojson", "plots.geojson"))},
         "plots.geojson", "features.1", ("unusable plot polygon",)),
    Case("geojson_plot_id_repeats_a_grid_plot",
         {"plots.geojson": write_text(geojson_of({"id": "row-r1c1", "land_price_eur_per_m2": 50})),
          "scenario.yaml": edit_yaml(set_key("district.geojson", "plots.geojson"))},
         "plots.geojson", "features", ("plot ids repeat: row-r1c1",)),
    Case("geojson_land_price_missing",
         {"plots.geojson": write_text(geojson_of({"id": "east"})),
          "scenario.yaml": edit_yaml(set_key("district.geojson", "plots.geojson"))},
         "plots.geojson", "features.0", ("missing key 'land_price_eur_per_m2'",)),
    Case("incumbents_do_not_fit", {"scenario.yaml": edit_yaml(set_key("firms.incumbents.0.count", 5))},
         "scenario.yaml", "firms.incumbents.0", ("no free plot",), run_too=True),
]


def spoil(tmp_path: Path, case: Case) -> Path:
    """Copy the fixture to ``tmp_path/case``, apply the case's edits; return the folder."""
    folder = tmp_path / "case"
    shutil.copytree(FIXTURE, folder)
    for name, edit in case.edits.items():
        edit(folder / name)
    return folder


def problems_in_process(folder: Path, case: Case) -> list[str]:
    """What ``validate`` prints for the case's target, one line per problem, checked like the CLI's."""
    lines = [str(p) for p in validate_file(folder / case.target)]
    assert lines and all(PROBLEM_LINE.match(line) for line in lines), lines
    hits = [line for line in lines if line.startswith(f"{folder / case.file}: {case.field}: ")]
    assert hits, lines
    for fragment in case.says:
        assert any(fragment in line for line in hits), (fragment, hits)
    return lines


@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[c.id for c in SCENARIO_CASES])
def test_validate_in_process_reports_bad_input(tmp_path, case):
    problems_in_process(spoil(tmp_path, case), case)


@pytest.mark.slow
@pytest.mark.parametrize("case", SCENARIO_CASES, ids=[c.id for c in SCENARIO_CASES])
def test_validate_reports_bad_input(tmp_path, case):
    folder = spoil(tmp_path, case)
    result = cli("validate", folder / case.target, cwd=tmp_path)
    assert_input_error(result, folder / case.file, case.field, case.says)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in SCENARIO_CASES if c.run_too],
                         ids=[c.id for c in SCENARIO_CASES if c.run_too])
def test_run_refuses_bad_input_and_writes_nothing(tmp_path, case):
    folder = spoil(tmp_path, case)
    out = tmp_path / "out"
    result = cli("run", folder / case.target, "--out", out, cwd=tmp_path)
    assert_input_error(result, folder / case.file, case.field, case.says)
    assert not out.exists()
    assert not (tmp_path / "runs").exists()
    assert "outputs written" not in result.stdout


@pytest.mark.slow
def test_validate_reports_every_problem_at_once(tmp_path):
    """Three independent problems, in two files, are all printed by one ``validate``."""
    case = Case("three", {
        "scenario.yaml": edit_yaml(set_key("seed", "abc"), set_key("policy.landfil_tax", 3)),
        "archetypes.yaml": edit_yaml(set_key("archetypes.press.inputs.feldspar",
                                             {"value": -1, "unit": "t/yr", "source": "assumption"})),
    }, "scenario.yaml", "seed")
    folder = spoil(tmp_path, case)
    result = cli("validate", folder / "scenario.yaml", cwd=tmp_path)
    lines = assert_input_error(result, folder / "scenario.yaml", "seed")
    expected = [f"{folder / 'scenario.yaml'}: seed: ", f"{folder / 'scenario.yaml'}: policy.landfil_tax: ",
                f"{folder / 'archetypes.yaml'}: archetypes.press.inputs.feldspar: "]
    for start in expected:
        assert sum(line.startswith(start) for line in lines) == 1, (start, lines)
    assert len(lines) == 3, lines


@pytest.mark.slow
def test_validate_reports_unknown_archetype_alongside_schema_errors(tmp_path):
    """An unknown archetype is found even when another part of the scenario is invalid."""
    case = Case("mixed", {"scenario.yaml": edit_yaml(set_key("years", {"start": 2030, "end": 2026}),
                                                     set_key("firms.incumbents.1.archetype", "pres"))},
                "scenario.yaml", "years.end")
    folder = spoil(tmp_path, case)
    result = cli("validate", folder / "scenario.yaml", cwd=tmp_path)
    lines = assert_input_error(result, folder / "scenario.yaml", "years.end")
    assert any(line.startswith(f"{folder / 'scenario.yaml'}: firms.incumbents.1.archetype: ") for line in lines)


@pytest.mark.slow
def test_validate_checks_every_file_given(tmp_path):
    """Problems of several files on one command line are all reported; good files are not."""
    good = spoil(tmp_path, Case("good", {}, "", ""))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nseed: -3\n", encoding="utf-8")
    missing = tmp_path / "missing.yaml"
    result = cli("validate", good / "scenario.yaml", bad, missing, cwd=tmp_path)
    lines = assert_input_error(result, bad, "seed")
    assert any(line.startswith(f"{missing}: (document): ") for line in lines)
    assert not any(str(good) in line for line in lines)


@pytest.mark.slow
def test_valid_fixture_validates(tmp_path):
    """The unspoilt fixture passes, so the failures above are caused by the edits."""
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    result = cli("validate", *(folder / n for n in ("scenario.yaml", "resources.yaml", "archetypes.yaml")),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# ====================================================================== 2. scenario bases
def _variant(folder: Path, text: str, name: str = "variant.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.slow
@pytest.mark.parametrize("text, field, says", [
    ("name: v\nbase: nope.yaml\n", "base", ("file 'nope.yaml' not found", "relative to the scenario's folder")),
    ("name: v\nbase: [a.yaml]\n", "base", ("expected the path of a scenario file",)),
    ("name: v\nbase: variant.yaml\n", "base", ("cycle", "variant.yaml -> variant.yaml")),
    ("base: territory/scenario.yaml\nseed: 3\n", "name", ("needs a name of its own",)),
], ids=["missing", "not_a_path", "itself", "no_name"])
def test_a_bad_base_is_an_input_error_on_the_variant(tmp_path, text, field, says):
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "territory")
    path = _variant(tmp_path, text)
    assert_input_error(cli("validate", path, cwd=tmp_path), path, field, says)


def test_a_cycle_through_two_files_is_refused(tmp_path):
    _variant(tmp_path, "name: a\nbase: b.yaml\n", "a.yaml")
    _variant(tmp_path, "name: b\nbase: a.yaml\n", "b.yaml")
    with pytest.raises(InputError, match="cycle: a.yaml -> b.yaml -> a.yaml"):
        load_scenario(tmp_path / "a.yaml")


# ====================================================================== 3. planning policy
def policy(dotted: str, value) -> dict:
    return {"scenario.yaml": edit_yaml(set_key(f"policy.{dotted}", value))}


POLICY_CASES = [
    Case("unknown_admission_rule", policy("admission.rule", "lottery"),
         "scenario.yaml", "policy.admission.rule", ("'threshold'", "allowed values"), run_too=True),
    Case("ranking_without_quota", policy("admission.rule", "ranking"),
         "scenario.yaml", "policy.admission.quota_per_year", ("needs quota_per_year",), run_too=True),
    Case("min_score_above_one", policy("admission.min_score", 1.5),
         "scenario.yaml", "policy.admission.min_score", ("less than or equal to 1",)),
    Case("negative_quota", policy("admission.quota_per_year", -1),
         "scenario.yaml", "policy.admission.quota_per_year", ("greater than or equal to 0",)),
    Case("fractional_quota", policy("admission.quota_per_year", 1.5),
         "scenario.yaml", "policy.admission.quota_per_year", ("whole number",)),
    Case("unknown_sector_in_quota", policy("admission.sector_max_share", {"cheramics": 0.5}),
         "scenario.yaml", "policy.admission.sector_max_share.cheramics",
         ("unknown sector group 'cheramics'", "did you mean ceramics"), run_too=True),
    Case("sector_share_above_one", policy("admission.sector_max_share", {"ceramics": 2}),
         "scenario.yaml", "policy.admission.sector_max_share.ceramics", ("less than or equal to 1",)),
    Case("unknown_excluded_sector", policy("admission.excluded_sectors", ["logistic"]),
         "scenario.yaml", "policy.admission.excluded_sectors.0", ("unknown sector group 'logistic'",)),
    Case("negative_contribution_floor", policy("admission.min_contribution_eur_per_yr", -1000),
         "scenario.yaml", "policy.admission.min_contribution_eur_per_yr", ("greater than or equal to 0",),
         run_too=True),
    Case("contribution_floor_in_another_unit",
         policy("admission.min_contribution_eur_per_yr", {"value": 30, "unit": "EUR/t", "source": "assumption"}),
         "scenario.yaml", "policy.admission.min_contribution_eur_per_yr", ("'EUR/t'", "EUR/yr")),
    Case("contribution_without_floor", policy("admission.rule", "contribution"),
         "scenario.yaml", "policy.admission.min_contribution_eur_per_yr", ("needs min_contribution_eur_per_yr",),
         run_too=True),
    Case("admission_window_reversed", policy("admission", {"start_year": 2030, "end_year": 2028}),
         "scenario.yaml", "policy.admission.end_year", ("before start_year",)),
    Case("profiling_weights_all_zero",
         policy("profiling", {"weight_circular": 0, "weight_territorial": 0, "weight_symbiosis": 0}),
         "scenario.yaml", "policy.profiling.weight_circular", ("all three family weights are 0",)),
    Case("unknown_allocation_rule", policy("allocation.rule", "lottery"),
         "scenario.yaml", "policy.allocation.rule", ("'authority'",)),
    Case("negative_proximity_value", policy("allocation.proximity_eur_per_km", -5),
         "scenario.yaml", "policy.allocation.proximity_eur_per_km", ("greater than or equal to 0",)),
    Case("proximity_in_wrong_unit",
         policy("allocation.proximity_eur_per_km", {"value": 5, "unit": "EUR/m", "source": "assumption"}),
         "scenario.yaml", "policy.allocation.proximity_eur_per_km", ("EUR/m", "EUR/km")),
    Case("discount_above_one", policy("allocation.discount_share", 1.2),
         "scenario.yaml", "policy.allocation.discount_share", ("less than or equal to 1",)),
    Case("misspelt_commitment", policy("commitments.publish_flow", True),
         "scenario.yaml", "policy.commitments.publish_flow", ("unknown key", "did you mean publish_flows")),
    Case("secondary_share_in_percent",
         policy("commitments.min_secondary_share", {"value": 10, "unit": "%", "source": "assumption"}),
         "scenario.yaml", "policy.commitments.min_secondary_share", ("'%'", "share")),
    Case("unknown_service_commitment", policy("commitments.join_services", ["canteen"]),
         "scenario.yaml", "policy.commitments.join_services.0", ("unknown service 'canteen'", "no shared services")),
    Case("monitoring_probability_above_one", policy("enforcement.monitoring_probability", 1.5),
         "scenario.yaml", "policy.enforcement.monitoring_probability", ("less than or equal to 1",), run_too=True),
    Case("monitoring_interval_zero", policy("enforcement.interval_years", 0),
         "scenario.yaml", "policy.enforcement.interval_years", ("greater than or equal to 1",)),
    Case("negative_fine", policy("enforcement.fine_eur", -100),
         "scenario.yaml", "policy.enforcement.fine_eur", ("greater than or equal to 0",)),
    Case("exclusion_after_zero_violations", policy("enforcement.exclusion_after_violations", 0),
         "scenario.yaml", "policy.enforcement.exclusion_after_violations", ("greater than or equal to 1",)),
    Case("pipe_share_above_one", policy("capex_subsidy.pipe_share", 2),
         "scenario.yaml", "policy.capex_subsidy.pipe_share", ("less than or equal to 1",)),
    Case("levy_on_a_residue", policy("virgin_levy.resources", ["scrap"]),
         "scenario.yaml", "policy.virgin_levy.resources.0", ("'scrap' is not a material input",)),
    Case("facilitator_reach_zero", policy("facilitator.reach_km", 0),
         "scenario.yaml", "policy.facilitator.reach_km", ("greater than 0",)),
]


@pytest.mark.parametrize("case", POLICY_CASES, ids=[c.id for c in POLICY_CASES])
def test_validate_reports_bad_policy_input(tmp_path, case):
    """In-process (``validate`` prints exactly these lines): one line per problem, in the contract's
    format, one naming the file and the dotted field with the expected words."""
    problems_in_process(spoil(tmp_path, case), case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in POLICY_CASES if c.run_too],
                         ids=[c.id for c in POLICY_CASES if c.run_too])
def test_cli_refuses_bad_policy_input_and_writes_nothing(tmp_path, case):
    """Through the command line: ``validate`` and ``run`` exit 2, no traceback, nothing written."""
    folder = spoil(tmp_path, case)
    assert_input_error(cli("validate", folder / case.target, cwd=tmp_path), folder / case.file, case.field, case.says)
    out = tmp_path / "out"
    result = cli("run", folder / case.target, "--out", out, cwd=tmp_path)
    assert_input_error(result, folder / case.file, case.field, case.says)
    assert not out.exists()


# ====================================================================== 4. firm profile files
# A small profile file on the two-firm catalogue (scrap is a residue, feldspar an input), checked
# by ``read_profiles`` in process and by ``ecodistrict matchmake``: ``file: row N.column`` names the
# line number a spreadsheet shows.
PROFILE_CATALOGUE = load_resource_catalogue(FIXTURES / "two_firms" / "resources.yaml")
HEADER = "firm,sector,x_km,y_km,employees,direction,resource,quantity,unit\n"
S1 = "S1,23.31,0,0,100,out,scrap,1000,t\n"
B1 = "B1,23.31,5,0,50,in,feldspar,5000,t\n"


@dataclass(frozen=True)
class ProfileCase:
    """One spoilt profile file: its text, and the ``row N.column`` field and words it must be reported with."""

    id: str
    text: str
    field: str
    says: tuple[str, ...]


PROFILE_CASES = [
    ProfileCase("unknown_resource", HEADER + S1.replace("scrap", "scarp"), "row 2.resource",
                ("unknown resource 'scarp'", "did you mean scrap")),
    ProfileCase("unknown_unit", HEADER + S1.replace(",t\n", ",tonnes\n"), "row 2.unit", ("unknown unit 'tonnes'",)),
    ProfileCase("unit_of_another_family", HEADER + S1.replace(",t\n", ",MWh\n"), "row 2.unit",
                ("counted in t", "give the quantity in t or kg")),
    ProfileCase("missing_coordinate", HEADER + S1.replace("23.31,0,0", "23.31,,0"), "row 2.x_km",
                ("missing coordinate",)),
    ProfileCase("coordinate_not_a_number", HEADER + S1.replace("23.31,0,0", "23.31,0,north"), "row 2.y_km",
                ("'north' is not a number",)),
    ProfileCase("quantity_not_a_number", HEADER + S1.replace("1000", "lots"), "row 2.quantity",
                ("'lots', not a number",)),
    ProfileCase("negative_quantity", HEADER + S1.replace("1000", "-5"), "row 2.quantity", ("negative quantity",)),
    ProfileCase("direction_not_in_or_out", HEADER + S1.replace(",out,", ",output,"), "row 2.direction",
                ("'output'", "'in'", "'out'")),
    ProfileCase("duplicated_row", HEADER + S1 + B1 + S1.replace("1000", "20"), "row 4.resource",
                ("already lists out 'scrap' on row 2", "one row per firm")),
    ProfileCase("missing_column", HEADER.replace("y_km,", "") + S1.replace("0,0,100", "0,100"), "row 1",
                ("missing column 'y_km'",)),
    ProfileCase("unknown_column", HEADER.replace("unit\n", "unit,address\n") + S1.replace(",t\n", ",t,Via Roma 1\n"),
                "row 1.address", ("unknown column",)),
    ProfileCase("firm_rows_disagree", HEADER + S1 + S1.replace("0,0,100,out,scrap", "0.5,0,100,in,feldspar"),
                "row 3.x_km", ("has x_km 0.0 on row 2 but 0.5 here",)),
    ProfileCase("empty_file", "", "(document)", ("empty",)),
    ProfileCase("header_only", "# a comment line\n" + HEADER, "row 2", ("header but no flows",)),
    ProfileCase("out_is_not_a_residue", HEADER + B1.replace(",in,", ",out,"), "row 2.resource", ("not a residue",)),
    ProfileCase("in_is_not_an_input", HEADER + S1.replace(",out,", ",in,"), "row 2.resource", ("not an input",)),
    ProfileCase("too_many_values", HEADER + S1.replace(",t\n", ",t,extra\n"), "row 2",
                ("10 values but the header has 9 columns",)),
    ProfileCase("employees_missing", HEADER + S1.replace(",100,", ",,"), "row 2.employees", ("employees is blank",)),
]


IN_PROCESS = {"coordinate_not_a_number", "unknown_column", "header_only", "in_is_not_an_input", "too_many_values",
              "employees_missing"}  # checked without a subprocess, to keep the suite fast
PROFILE_CLI_CASES = [c for c in PROFILE_CASES if c.id not in IN_PROCESS]


@pytest.mark.slow
@pytest.mark.parametrize("case", PROFILE_CLI_CASES, ids=[c.id for c in PROFILE_CLI_CASES])
def test_matchmake_reports_bad_profile(tmp_path, case):
    shutil.copy(FIXTURES / "two_firms" / "resources.yaml", tmp_path / "resources.yaml")
    firms = tmp_path / "firms.csv"
    firms.write_text(case.text, encoding="utf-8")
    result = cli("matchmake", firms, "--catalog", tmp_path / "resources.yaml", "--out", tmp_path / "out.csv",
                 cwd=tmp_path)
    assert_input_error(result, firms, case.field, case.says)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("case", PROFILE_CASES, ids=[c.id for c in PROFILE_CASES])
def test_read_profiles_reports_bad_profile(tmp_path, case):
    """Every case, in process: one problem naming the file and the row.column, with a fix."""
    firms = tmp_path / "firms.csv"
    firms.write_text(case.text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_profiles(firms, PROFILE_CATALOGUE)
    hits = [p for p in caught.value.problems if p.file == str(firms) and (p.field or "(document)") == case.field]
    assert hits, caught.value.problems
    for fragment in case.says:
        assert any(fragment in f"{p.message} ({p.fix})" for p in hits), (fragment, hits)


@pytest.mark.slow
def test_matchmake_reports_every_problem_of_a_file_at_once(tmp_path):
    shutil.copy(FIXTURES / "two_firms" / "resources.yaml", tmp_path / "resources.yaml")
    firms = tmp_path / "firms.csv"
    firms.write_text(HEADER + S1.replace("scrap", "scarp") + B1.replace(",t\n", ",MWh\n"), encoding="utf-8")
    result = cli("matchmake", firms, "--catalog", tmp_path / "resources.yaml", cwd=tmp_path)
    lines = assert_input_error(result, firms, "row 2.resource")
    assert any(line.startswith(f"{firms}: row 3.unit: ") for line in lines)


@pytest.mark.slow
def test_matchmake_reports_a_missing_profile_and_catalogue(tmp_path):
    result = cli("matchmake", tmp_path / "nope.csv", cwd=tmp_path)
    assert_input_error(result, tmp_path / "nope.csv", "(document)", ("file not found",))
    (tmp_path / "firms.csv").write_text(HEADER + S1, encoding="utf-8")
    result = cli("matchmake", tmp_path / "firms.csv", "--catalog", tmp_path / "none.yaml", cwd=tmp_path)
    assert_input_error(result, tmp_path / "none.yaml", "(document)", ("file not found",))


@pytest.mark.slow
@pytest.mark.parametrize("radius", ["0", "far"])
def test_matchmake_rejects_a_bad_radius(tmp_path, radius):
    result = cli("matchmake", FIXTURES / "profiles" / "four_firms.csv", "--radius", radius, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "--radius" in result.stderr


@pytest.mark.slow
def test_scenario_reports_problems_of_its_profile_file(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "profiles", folder)
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "two_firms")
    bad = folder / "four_firms.csv"
    bad.write_text(bad.read_text(encoding="utf-8").replace("S2,23.31,10,0,40,out,scrap",
                                                           "S2,23.31,10,0,40,out,scarp"), encoding="utf-8")
    out = tmp_path / "out"
    result = cli("run", folder / "scenario.yaml", "--out", out, cwd=tmp_path)
    assert_input_error(result, bad, "row 5.resource", ("unknown resource 'scarp'",))
    assert not out.exists()


@pytest.mark.slow
def test_scenario_reports_a_missing_profile_file_and_an_unknown_reference_archetype(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "profiles", folder)
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "two_firms")
    scenario = folder / "scenario.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("profiles: four_firms.csv", "profiles: nope.csv"), encoding="utf-8")
    result = cli("validate", scenario, cwd=tmp_path)
    assert_input_error(result, scenario, "firms.profiles", ("'nope.csv' not found",))
    defaults = "profiles: four_firms.csv\n  profile_defaults: {reference_archetypes: {S1: klin}}"
    scenario.write_text(text.replace("profiles: four_firms.csv", defaults), encoding="utf-8")
    result = cli("validate", scenario, cwd=tmp_path)
    assert_input_error(result, scenario, "firms.profile_defaults.reference_archetypes.S1",
                       ("unknown archetype 'klin'", "did you mean kiln"))


# ====================================================================== 5. command-line options
@pytest.mark.slow
@pytest.mark.parametrize("option", [("--years", "0"), ("--seed", "-1"), ("--years", "two"), ("--seed", "1.5")])
def test_run_rejects_bad_command_line_numbers(tmp_path, option):
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    out = tmp_path / "out"
    result = cli("run", folder / "scenario.yaml", *option, "--out", out, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert option[0] in result.stderr and "whole number" in result.stderr
    assert not out.exists()


@pytest.mark.slow
def test_run_rejects_years_beyond_the_last_simulated_year(tmp_path):
    """``--years`` is bounded by the scenario's span (issue 13, defect 16): an input error, not a traceback."""
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    out = tmp_path / "out"
    result = cli("run", folder / "scenario.yaml", "--years", "1000", "--out", out, cwd=tmp_path)
    assert_input_error(result, "command line", "--years", ("1000 years from 2026", "3 or fewer"))
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("out", ["a_file", "a_file/run"])
def test_run_refuses_an_out_folder_that_is_a_file(tmp_path, out):
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    (tmp_path / "a_file").write_text("keep me", encoding="utf-8")
    result = cli("run", folder / "scenario.yaml", "--out", tmp_path / out, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("is a file, not a folder",))
    assert (tmp_path / "a_file").read_text(encoding="utf-8") == "keep me"
