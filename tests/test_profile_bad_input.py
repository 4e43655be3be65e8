"""Bad firm profile files through the real command line: ``file: row N.column: message (fix)``, exit 2.

Each case writes a small profile file (on the two-firm catalogue: scrap is a residue, feldspar an
input) and runs ``ecodistrict matchmake`` in a subprocess, as a user would; stderr must name the
file and the row (the line number a spreadsheet shows) and column, with no traceback.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from simulation.inputs.catalogue import load_resource_catalogue
from simulation.inputs.errors import InputError
from simulation.inputs.firm_profiles import read_profiles
from tests.conftest import FIXTURES
from tests.test_bad_input import assert_input_error, cli

CATALOGUE = load_resource_catalogue(FIXTURES / "two_firms" / "resources.yaml")
HEADER = "firm,sector,x_km,y_km,employees,direction,resource,quantity,unit\n"
S1 = "S1,23.31,0,0,100,out,scrap,1000,t\n"
B1 = "B1,23.31,5,0,50,in,feldspar,5000,t\n"


@dataclass(frozen=True)
class Case:
    id: str
    text: str
    field: str
    says: tuple[str, ...]


CASES = [
    Case("unknown_resource", HEADER + S1.replace("scrap", "scarp"), "row 2.resource",
         ("unknown resource 'scarp'", "did you mean scrap")),
    Case("unknown_unit", HEADER + S1.replace(",t\n", ",tonnes\n"), "row 2.unit", ("unknown unit 'tonnes'",)),
    Case("unit_of_another_family", HEADER + S1.replace(",t\n", ",MWh\n"), "row 2.unit",
         ("counted in t", "give the quantity in t or kg")),
    Case("missing_coordinate", HEADER + S1.replace("23.31,0,0", "23.31,,0"), "row 2.x_km", ("missing coordinate",)),
    Case("coordinate_not_a_number", HEADER + S1.replace("23.31,0,0", "23.31,0,north"), "row 2.y_km",
         ("'north' is not a number",)),
    Case("quantity_not_a_number", HEADER + S1.replace("1000", "lots"), "row 2.quantity", ("'lots', not a number",)),
    Case("negative_quantity", HEADER + S1.replace("1000", "-5"), "row 2.quantity", ("negative quantity",)),
    Case("direction_not_in_or_out", HEADER + S1.replace(",out,", ",output,"), "row 2.direction",
         ("'output'", "'in'", "'out'")),
    Case("duplicated_row", HEADER + S1 + B1 + S1.replace("1000", "20"), "row 4.resource",
         ("already lists out 'scrap' on row 2", "one row per firm")),
    Case("missing_column", HEADER.replace("y_km,", "") + S1.replace("0,0,100", "0,100"), "row 1",
         ("missing column 'y_km'",)),
    Case("unknown_column", HEADER.replace("unit\n", "unit,address\n") + S1.replace(",t\n", ",t,Via Roma 1\n"),
         "row 1.address", ("unknown column",)),
    Case("firm_rows_disagree", HEADER + S1 + S1.replace("0,0,100,out,scrap", "0.5,0,100,in,feldspar"),
         "row 3.x_km", ("has x_km 0.0 on row 2 but 0.5 here",)),
    Case("empty_file", "", "(document)", ("empty",)),
    Case("header_only", "# a comment line\n" + HEADER, "row 2", ("header but no flows",)),
    Case("out_is_not_a_residue", HEADER + B1.replace(",in,", ",out,"), "row 2.resource", ("not a residue",)),
    Case("in_is_not_an_input", HEADER + S1.replace(",out,", ",in,"), "row 2.resource", ("not an input",)),
    Case("too_many_values", HEADER + S1.replace(",t\n", ",t,extra\n"), "row 2",
         ("10 values but the header has 9 columns",)),
    Case("employees_missing", HEADER + S1.replace(",100,", ",,"), "row 2.employees", ("employees is blank",)),
]


IN_PROCESS = {"coordinate_not_a_number", "unknown_column", "header_only", "in_is_not_an_input", "too_many_values",
              "employees_missing"}  # checked without a subprocess, to keep the suite fast
CLI_CASES = [c for c in CASES if c.id not in IN_PROCESS]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_matchmake_reports_bad_profile(tmp_path, case):
    shutil.copy(FIXTURES / "two_firms" / "resources.yaml", tmp_path / "resources.yaml")
    firms = tmp_path / "firms.csv"
    firms.write_text(case.text, encoding="utf-8")
    result = cli("matchmake", firms, "--catalog", tmp_path / "resources.yaml", "--out", tmp_path / "out.csv",
                 cwd=tmp_path)
    assert_input_error(result, firms, case.field, case.says)
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_read_profiles_reports_bad_profile(tmp_path, case):
    """Every case, in process: one problem naming the file and the row.column, with a fix."""
    firms = tmp_path / "firms.csv"
    firms.write_text(case.text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_profiles(firms, CATALOGUE)
    hits = [p for p in caught.value.problems if p.file == str(firms) and (p.field or "(document)") == case.field]
    assert hits, caught.value.problems
    for fragment in case.says:
        assert any(fragment in f"{p.message} ({p.fix})" for p in hits), (fragment, hits)


def test_matchmake_reports_every_problem_of_a_file_at_once(tmp_path):
    shutil.copy(FIXTURES / "two_firms" / "resources.yaml", tmp_path / "resources.yaml")
    firms = tmp_path / "firms.csv"
    firms.write_text(HEADER + S1.replace("scrap", "scarp") + B1.replace(",t\n", ",MWh\n"), encoding="utf-8")
    result = cli("matchmake", firms, "--catalog", tmp_path / "resources.yaml", cwd=tmp_path)
    lines = assert_input_error(result, firms, "row 2.resource")
    assert any(line.startswith(f"{firms}: row 3.unit: ") for line in lines)


def test_matchmake_reports_a_missing_profile_and_catalogue(tmp_path):
    result = cli("matchmake", tmp_path / "nope.csv", cwd=tmp_path)
    assert_input_error(result, tmp_path / "nope.csv", "(document)", ("file not found",))
    (tmp_path / "firms.csv").write_text(HEADER + S1, encoding="utf-8")
    result = cli("matchmake", tmp_path / "firms.csv", "--catalog", tmp_path / "none.yaml", cwd=tmp_path)
    assert_input_error(result, tmp_path / "none.yaml", "(document)", ("file not found",))


@pytest.mark.parametrize("radius", ["0", "far"])
def test_matchmake_rejects_a_bad_radius(tmp_path, radius):
    result = cli("matchmake", FIXTURES / "profiles" / "four_firms.csv", "--radius", radius, cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr and "--radius" in result.stderr


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


def test_scenario_reports_a_missing_profile_file_and_an_unknown_reference_archetype(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(FIXTURES / "profiles", folder)
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "two_firms")
    scenario = folder / "scenario.yaml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text.replace("profiles: four_firms.csv", "profiles: nope.csv"), encoding="utf-8")
    result = cli("validate", scenario, cwd=tmp_path)
    assert_input_error(result, scenario, "firms.profiles", ("'nope.csv' not found",))
    scenario.write_text(text.replace("profiles: four_firms.csv",
                                     "profiles: four_firms.csv\n  profile_defaults: {reference_archetypes: {S1: klin}}"),
                        encoding="utf-8")
    result = cli("validate", scenario, cwd=tmp_path)
    assert_input_error(result, scenario, "firms.profile_defaults.reference_archetypes.S1",
                       ("unknown archetype 'klin'", "did you mean kiln"))
