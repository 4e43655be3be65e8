"""The conventions a user of ``ecodistrict`` expects (issue 13), through the real command line.

``--version``; ``--quiet``/``--verbose`` on every subcommand, before or after its name; help texts
in plain words; ``load_run`` reading ids as text and loading ``applicants.csv``; a cell that is not
a number reported as ``file: row N.column: ...``; ``compare`` saying why no run pairs; names that
spreadsheets would run as formulas (``=cmd|' /C calc'!A0``) or Markdown would take as markup
(``<b>x</b>``) written harmlessly (defect 6); and no Python warning raised by the project's own
code in the README's commands (acceptance 4).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import simulation
from analysis.run_folder import load_run
from simulation.cli.main import PROJECT_LOGGERS, main, setup_logging
from simulation.io.cells import markdown_text, neutralise, neutralise_frame
from tests.conftest import FIXTURES, ROOT, assert_input_error

FORMULA = "=cmd|' /C calc'!A0"
MARKUP = "<b>x</b>"
SUBCOMMANDS = ("run", "validate", "sweep", "compare", "matchmake")
# A Python warning whose source line is in the project: "<path>/simulation/x.py:12: FutureWarning: ..."
PROJECT_WARNING = re.compile(r"(?:^|[/\\])(?:simulation|analysis)[/\\]\S*\.py:\d+: \w*Warning\b", re.M)


def ecodistrict(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -W always -m simulation.cli ARGS``: every Python warning is printed, with its source line."""
    return subprocess.run([sys.executable, "-W", "always", "-m", "simulation.cli", *map(str, args)],
                          check=False, capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_ok_without_project_warnings(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert not PROJECT_WARNING.search(result.stderr), result.stderr


@pytest.fixture(scope="module")
def territory(tmp_path_factory) -> Path:
    """The two-firm territory with a NACE code ending in 0 (``52.10``), GeoJSON plots named like a
    formula and like a negative sum, a second scenario of it, one with a policy window after its
    years, and the four-firm profile file with hostile firm names."""
    root = tmp_path_factory.mktemp("territory")
    shutil.copytree(FIXTURES / "two_firms", root / "two_firms")
    archetypes = root / "two_firms" / "archetypes.yaml"
    archetypes.write_text(archetypes.read_text().replace('sector: "23.31"', 'sector: "52.10"', 1))
    shutil.copytree(FIXTURES / "geojson", root / "geojson")
    plots = root / "geojson" / "plots.geojson"
    plots.write_text(plots.read_text().replace('"id": "west"', f'"id": {json.dumps(FORMULA)}')
                     .replace('"id": "east"', '"id": "-2+3"'))
    scenario = (root / "geojson" / "scenario.yaml").read_text()
    (root / "geojson" / "other.yaml").write_text(scenario.replace("name: geojson_plots", "name: geojson_other"))
    (root / "geojson" / "late_policy.yaml").write_text(
        scenario + "policy:\n  landfill_tax: {start_year: 2090}\n")
    names = {"S1": FORMULA, "B1": MARKUP, "S2": "-S2", "B2": "@B2"}
    lines = (FIXTURES / "profiles" / "four_firms.csv").read_text().splitlines(keepends=True)
    (root / "firms.csv").write_text("".join(
        names.get(line.split(",", 1)[0], line.split(",", 1)[0]) + "," + line.split(",", 1)[1]
        if "," in line and not line.startswith("#") else line for line in lines))
    return root


@pytest.fixture(scope="module")
def runs(territory) -> dict[str, Path]:
    """``geojson_plots`` with seed 1 (no Python warning) and ``geojson_other`` with seed 2 (``--quiet``:
    nothing on standard error); they share no seed."""
    first = ecodistrict("run", "geojson/scenario.yaml", "--seed", "1", "--out", "runs/plots-seed1", cwd=territory)
    assert_ok_without_project_warnings(first)
    quiet = ecodistrict("run", "geojson/other.yaml", "--seed", "2", "--out", "runs/other-seed2", "--quiet",
                        cwd=territory)
    assert_ok_without_project_warnings(quiet)
    assert quiet.stderr == "" and quiet.stdout.startswith("ran geojson_other"), quiet
    return {"plots": territory / "runs" / "plots-seed1", "other": territory / "runs" / "other-seed2"}


@pytest.fixture
def restored_logging():
    """In-process calls of :func:`main` set up logging; put the levels and handlers back afterwards."""
    root = logging.getLogger()
    handlers, levels = list(root.handlers), {n: logging.getLogger(n).level for n in ("", *PROJECT_LOGGERS)}
    yield
    root.handlers[:] = handlers
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


# ---------------------------------------------------------------- version, verbosity, help


@pytest.mark.slow
def test_version_prints_the_package_version(tmp_path):
    result = ecodistrict("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ecodistrict {simulation.__version__}\n"


@pytest.mark.parametrize("flag", ["--quiet", "-q", "--verbose", "-vv"])
@pytest.mark.parametrize("before", [True, False], ids=["before", "after"])
@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_subcommand_takes_quiet_and_verbose_before_or_after_its_name(command, flag, before, tmp_path,
                                                                          monkeypatch, capsys, restored_logging):
    """The option is parsed (no usage error): the command goes on to report its missing input."""
    monkeypatch.chdir(tmp_path)
    missing = "missing.csv" if command == "matchmake" else "missing" if command == "compare" else "missing.yaml"
    argv = [flag, command, missing] if before else [command, missing, flag]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "usage:" not in err and "not found" in err, err


def test_quiet_and_verbose_together_are_refused(tmp_path, monkeypatch, capsys, restored_logging):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["--quiet", "validate", "missing.yaml", "--verbose"])
    assert exit_.value.code == 2
    assert "--quiet and --verbose exclude each other" in capsys.readouterr().err


def test_verbose_shows_the_project_notes_but_not_those_of_other_libraries(capsys, restored_logging):
    """Dask's ``distributed`` logs its progress at INFO on a logger of its own level: ``sweep -v``
    must not print it (a threshold on the root logger would not stop a propagated record)."""
    library = logging.getLogger("distributed.nanny_of_a_test")
    library.setLevel(logging.INFO)
    try:
        setup_logging(verbose=1)
        library.info("Start Nanny at tcp://127.0.0.1:1")
        library.warning("a worker restarted")
        logging.getLogger("simulation.sweeps.of_a_test").info("resuming 3 runs")
        setup_logging(quiet=True)
        logging.getLogger("analysis.of_a_test").warning("a warning --quiet hides")
    finally:
        library.setLevel(logging.NOTSET)
    assert capsys.readouterr().err == "warning: a worker restarted\nresuming 3 runs\n"


@pytest.mark.slow
@pytest.mark.parametrize("command", ["", *SUBCOMMANDS])
def test_help_texts_are_plain_text(command, tmp_path):
    """No reStructuredText markup, no references to design documents the user does not have."""
    result = ecodistrict(*([command] if command else []), "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith("usage: ecodistrict")
    for markup in ("``", "DESIGN", "§", ":func:", ":mod:", ":data:", ":class:", "docs/"):
        assert markup not in text, f"{markup!r} in the help of {command or 'ecodistrict'}:\n{text}"
    assert "--quiet" in text and "--verbose" in text
    if command:
        assert text.split("\n\n")[1].strip(), f"{command} --help has no description"


@pytest.mark.slow
def test_validate_prints_its_warning_unless_quiet_and_its_checks_when_verbose(territory):
    plain = ecodistrict("validate", "geojson/late_policy.yaml", cwd=territory)
    assert_ok_without_project_warnings(plain)
    assert re.search(r"^warning: geojson/late_policy.yaml: policy.landfill_tax: .*outside the simulated years",
                     plain.stderr, re.M), plain.stderr
    quiet = ecodistrict("validate", "--quiet", "geojson/late_policy.yaml", cwd=territory)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert quiet.stdout == "geojson/late_policy.yaml: valid\n"
    verbose = ecodistrict("-v", "validate", "geojson/late_policy.yaml", cwd=territory)
    assert "geojson/late_policy.yaml: checking it as a scenario" in verbose.stderr, verbose.stderr
    assert "warning: geojson/late_policy.yaml: policy.landfill_tax" in verbose.stderr


# ---------------------------------------------------------------- reading run folders back


def test_load_run_reads_ids_as_text_and_loads_the_applicants(runs):
    run = load_run(runs["plots"])
    assert "52.10" in set(run.firms.sector), run.firms.sector  # not 52.1
    assert run.plots["plot"].map(type).eq(str).all() and run.firms.sector.map(type).eq(str).all()
    assert list(run.applicants.columns) == ["year", "order", "archetype", "sector_group", "score", "circular",
                                            "territorial", "symbiosis", "partners", "decision", "firm"]
    assert pd.api.types.is_numeric_dtype(run.applicants.score)
    assert all(pd.api.types.is_numeric_dtype(run.indicators[c]) for c in run.indicators.columns)


@pytest.mark.slow
def test_a_cell_that_is_not_a_number_is_an_input_error_naming_row_and_column(runs, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(runs["plots"], broken)
    indicators = broken / "indicators.csv"
    lines = indicators.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[2].rstrip("\n").split(",")
    column = header.index("circular_input_rate")
    cells[column] = "n/a?"
    lines[2] = ",".join(cells) + "\n"
    indicators.write_text("".join(lines))
    result = ecodistrict("compare", broken, runs["other"], "--out", tmp_path / "report", cwd=tmp_path)
    assert_input_error(result, indicators, "row 3.circular_input_rate", says=["not a number", "'n/a?'"])
    assert not (tmp_path / "report").exists()


@pytest.mark.slow
def test_compare_says_no_run_pairs_because_the_seeds_differ(runs, tmp_path):
    loud = ecodistrict("-v", "compare", runs["plots"], runs["other"], "--out", tmp_path / "loud", cwd=tmp_path)
    assert_ok_without_project_warnings(loud)
    assert re.search(r"^warning: Scenario geojson_other has only 0 run\(s\) paired with the baseline: the seeds "
                     r"differ \(geojson_other was run with seeds 2, geojson_plots with 1\)", loud.stderr, re.M), \
        loud.stderr
    assert f"{runs['plots']}: run folder of scenario geojson_plots, seed 1" in loud.stderr  # a progress note


# ---------------------------------------------------------------- formula and markup injection (defect 6)


def test_only_text_that_a_spreadsheet_would_run_is_quoted():
    for text in (FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"):
        assert neutralise(text) == "'" + text
    for value in ("ceramica_alfa", "-12.5", "+3", "1e-3", -4.0, 7, None, "", MARKUP):
        assert neutralise(value) == value
    frame = pd.DataFrame({"name": [FORMULA, "ok", None], "price": [-1.5, 2.0, -3.0], "n": [-1, 0, 2]})
    safe = neutralise_frame(frame)
    assert safe.name.tolist()[:2] == ["'" + FORMULA, "ok"] and pd.isna(safe.name[2])
    assert safe.price.tolist() == [-1.5, 2.0, -3.0] and safe.n.dtype == frame.n.dtype
    assert markdown_text(MARKUP) == "&lt;b&gt;x&lt;/b&gt;" and markdown_text("a|b") == "a\\|b"
    assert markdown_text("ceramica_alfa") == "ceramica_alfa" and markdown_text("_x_") == "\\_x\\_"


def _csv_cells(path: Path) -> dict[str, list[str]]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return {name: [row[k] for row in rows[1:]] for k, name in enumerate(rows[0])}


def _assert_numbers_stay_numbers(cells: dict[str, list[str]], text_columns: set[str]) -> None:
    for column, values in cells.items():
        if column not in text_columns:
            for value in values:
                assert value == "" or re.fullmatch(r"-?\d+(\.\d*)?([eE][+-]?\d+)?|nan|-?inf", value), (column, value)


def test_run_folder_csvs_quote_formula_names_and_keep_numbers(runs):
    plots = _csv_cells(runs["plots"] / "plots.csv")
    assert sorted(plots["plot"]) == sorted(["'" + FORMULA, "'-2+3"])
    _assert_numbers_stay_numbers(plots, {"plot", "zone"})
    firms = _csv_cells(runs["plots"] / "firms.csv")
    assert set(firms["plot"]) == {"'" + FORMULA, "'-2+3"}
    _assert_numbers_stay_numbers(firms, {"archetype", "sector", "sector_group", "plot", "exit_reason",
                                         "commitments"})
    exchanges = _csv_cells(runs["plots"] / "exchanges.csv")
    _assert_numbers_stay_numbers(exchanges, {"resource", "substitutes", "unit", "status", "route"})


def _table_rows(markdown: str) -> list[list[str]]:
    """The lines of Markdown tables, split on the pipes that are not escaped."""
    return [re.split(r"(?<!\\)\|", line)[1:-1] for line in markdown.splitlines() if line.startswith("|")]


@pytest.mark.slow
def test_matchmake_quotes_formula_names_in_csvs_and_escapes_them_in_the_summary(territory, tmp_path):
    result = ecodistrict("matchmake", territory / "firms.csv", "--catalog", territory / "two_firms" / "resources.yaml",
                         "--optimal", "--out", tmp_path / "mm.csv", "-q", cwd=tmp_path)
    assert_ok_without_project_warnings(result)
    assert result.stderr == "", result.stderr
    exchanges = _csv_cells(tmp_path / "mm.csv")
    assert set(exchanges["supplier"]) == {"'" + FORMULA, "'-S2"}
    assert set(exchanges["buyer"]) == {MARKUP, "'@B2"}  # markup is harmless in a CSV
    _assert_numbers_stay_numbers(exchanges, {"supplier", "buyer", "residue", "substitutes", "unit", "route"})
    firms = _csv_cells(tmp_path / "mm_firms.csv")
    assert {"'" + FORMULA, MARKUP, "'-S2", "'@B2", "(group)"} == set(firms["firm"])
    summary = (tmp_path / "mm.md").read_text(encoding="utf-8")
    assert MARKUP not in summary and "&lt;b&gt;x&lt;/b&gt;" in summary
    assert "'=cmd\\|' /C calc'!A0" in summary
    rows = _table_rows(summary)
    assert rows
    widths = {len(r) for r in rows if not set("".join(r)) <= set("-")}
    header_widths = {len(r) for r in rows if set("".join(r)) <= set("-")}
    assert widths <= header_widths, "a name split a table row into more columns"


# ---------------------------------------------------------------- acceptance 4: the README's commands


@pytest.mark.slow
def test_the_readme_validate_and_matchmake_raise_no_warning_of_the_project(tmp_path):
    """``validate`` on the shipped files the README names and ``matchmake`` on the Formigine profiles
    (the runs and the comparison are checked by the fixtures and tests above)."""
    files = ["scenarios/formigine_baseline.yaml", "experiments/landfill_tax_grid.yaml",
             "scenarios/profiles/formigine_example.csv", "scenarios/examples/kalundborg/resources.yaml",
             "scenarios/examples/kalundborg/archetypes.yaml", "scenarios/examples/kalundborg/firms.csv",
             "scenarios/examples/kalundborg/scenario.yaml"]
    validate = ecodistrict("validate", *files, cwd=ROOT)
    assert_ok_without_project_warnings(validate)
    assert validate.stderr == "", validate.stderr
    matchmake = ecodistrict("matchmake", "scenarios/profiles/formigine_example.csv", "--optimal",
                            "--out", tmp_path / "formigine.csv", cwd=ROOT)
    assert_ok_without_project_warnings(matchmake)
    assert matchmake.stderr == "", matchmake.stderr
