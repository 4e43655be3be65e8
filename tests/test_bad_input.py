"""Bad input through the real command line: ``file: dotted.field: message (fix)``, exit 2, no traceback.

Each case copies the two-firm fixture (scenario, resources, archetypes) into a temporary folder,
spoils one thing, and runs ``python -m simulation.cli`` in a subprocess, as a user would. The
contract (DESIGN §2): stderr names the file and the dotted field, the exit code is 2, no
traceback is shown, and ``run`` writes nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "two_firms"
ROOT = Path(__file__).resolve().parents[1]
PROBLEM_LINE = re.compile(r"^(?P<file>\S.*?): (?P<field>\S.*?): (?P<message>.+) \((?P<fix>.+)\)$")

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


CASES = [
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
    Case("unknown_archetype_incumbent",
         {"scenario.yaml": edit_yaml(set_key("firms.incumbents.0.archetype", "klin"))},
         "scenario.yaml", "firms.incumbents.0.archetype", ("unknown archetype 'klin'", "did you mean kiln"),
         run_too=True),
    Case("max_share_above_one",
         {"resources.yaml": edit_yaml(set_key("substitutions.0.max_share",
                                              {"value": 1.5, "unit": "share", "source": "assumption"}))},
         "resources.yaml", "substitutions.0.max_share", ("1.5",)),
    Case("initial_trust_above_one",
         {"scenario.yaml": edit_yaml(set_key("behaviour.negotiation.initial_trust", 1.5))},
         "scenario.yaml", "behaviour.negotiation.initial_trust", ("less than or equal to 1",)),
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
         "scenario.yaml", "(document)", ("duplicate key 'seed'", "line 19", "keep only one")),
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


def cli(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_input_error(result: subprocess.CompletedProcess, file: Path, field: str, says=()) -> list[str]:
    """Exit 2, no traceback, every stderr line in the contract's format, one naming ``file: field``."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "nothing on stderr"
    for line in lines:
        assert PROBLEM_LINE.match(line), f"not 'file: field: message (fix)': {line!r}"
    hits = [line for line in lines if line.startswith(f"{file}: {field}: ")]
    assert hits, f"no line starts with '{file}: {field}: ' in:\n{result.stderr}"
    for fragment in says:
        assert any(fragment in line for line in hits), f"{fragment!r} missing from {hits}"
    return lines


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_validate_reports_bad_input(tmp_path, case):
    folder = spoil(tmp_path, case)
    result = cli("validate", folder / case.target, cwd=tmp_path)
    assert_input_error(result, folder / case.file, case.field, case.says)


@pytest.mark.parametrize("case", [c for c in CASES if c.run_too], ids=[c.id for c in CASES if c.run_too])
def test_run_refuses_bad_input_and_writes_nothing(tmp_path, case):
    folder = spoil(tmp_path, case)
    out = tmp_path / "out"
    result = cli("run", folder / case.target, "--out", out, cwd=tmp_path)
    assert_input_error(result, folder / case.file, case.field, case.says)
    assert not out.exists()
    assert not (tmp_path / "runs").exists()
    assert "outputs written" not in result.stdout


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


def test_validate_reports_unknown_archetype_alongside_schema_errors(tmp_path):
    """An unknown archetype is found even when another part of the scenario is invalid."""
    case = Case("mixed", {"scenario.yaml": edit_yaml(set_key("years", {"start": 2030, "end": 2026}),
                                                     set_key("firms.incumbents.1.archetype", "pres"))},
                "scenario.yaml", "years.end")
    folder = spoil(tmp_path, case)
    result = cli("validate", folder / "scenario.yaml", cwd=tmp_path)
    lines = assert_input_error(result, folder / "scenario.yaml", "years.end")
    assert any(line.startswith(f"{folder / 'scenario.yaml'}: firms.incumbents.1.archetype: ") for line in lines)


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


def test_valid_fixture_validates(tmp_path):
    """The unspoilt fixture passes, so the failures above are caused by the edits."""
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    result = cli("validate", *(folder / n for n in ("scenario.yaml", "resources.yaml", "archetypes.yaml")),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("option", [("--years", "0"), ("--seed", "-1"), ("--years", "two"), ("--seed", "1.5")])
def test_run_rejects_bad_command_line_numbers(tmp_path, option):
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    out = tmp_path / "out"
    result = cli("run", folder / "scenario.yaml", *option, "--out", out, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert option[0] in result.stderr and "whole number" in result.stderr
    assert not out.exists()


def test_run_rejects_years_beyond_the_last_simulated_year(tmp_path):
    """``--years`` is bounded by the scenario's start year: an input error, not a traceback."""
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    out = tmp_path / "out"
    result = cli("run", folder / "scenario.yaml", "--years", "1000", "--out", out, cwd=tmp_path)
    assert_input_error(result, "command line", "--years", ("1000 years from 2026", "275 or fewer"))
    assert not out.exists()


@pytest.mark.parametrize("out", ["a_file", "a_file/run"])
def test_run_refuses_an_out_folder_that_is_a_file(tmp_path, out):
    folder = spoil(tmp_path, Case("good", {}, "", ""))
    (tmp_path / "a_file").write_text("keep me", encoding="utf-8")
    result = cli("run", folder / "scenario.yaml", "--out", tmp_path / out, cwd=tmp_path)
    assert_input_error(result, "command line", "--out", ("is a file, not a folder",))
    assert (tmp_path / "a_file").read_text(encoding="utf-8") == "keep me"
