"""Scenarios and experiments carry a title and a description in each report language."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulation.inputs.errors import InputError
from simulation.inputs.localised import LANGUAGES, in_language
from simulation.inputs.scenario import load_scenario
from simulation.sweeps.experiment import load_experiment
from tests.conftest import ROOT

SHIPPED_SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "scenarios/examples/kalundborg/scenario.yaml"]
SHIPPED_EXPERIMENTS = sorted((ROOT / "experiments").glob("*.yaml"))


def _variant(tmp_path: Path, lines: str) -> Path:
    path = tmp_path / "variant.yaml"
    path.write_text(f"name: variant\nbase: {ROOT / 'scenarios' / 'landfill_tax_high.yaml'}\n{lines}", encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SHIPPED_SCENARIOS + SHIPPED_EXPERIMENTS, ids=lambda p: p.stem)
def test_every_shipped_scenario_and_experiment_has_its_own_title_and_description_in_each_language(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert set(doc["title"]) == set(LANGUAGES) and set(doc["description"]) == set(LANGUAGES)
    assert doc["title"]["en"] != doc["title"]["it"] and doc["description"]["en"] != doc["description"]["it"]
    assert all(len(t) <= 45 for t in doc["title"].values()), "a title is short: it heads tables and legends"


def test_titles_of_the_shipped_scenarios_are_all_different():
    for lang in LANGUAGES:
        titles = [yaml.safe_load(p.read_text(encoding="utf-8"))["title"][lang] for p in SHIPPED_SCENARIOS]
        assert len(set(titles)) == len(titles)


def test_a_plain_string_title_is_the_same_text_in_every_language(tmp_path):
    scenario = load_scenario(_variant(tmp_path, "title: A plain title\ndescription: Same words.\n")).scenario
    assert scenario.title == {lang: "A plain title" for lang in LANGUAGES}
    assert scenario.description == {lang: "Same words." for lang in LANGUAGES}


def test_a_language_left_out_falls_back_to_english(tmp_path):
    scenario = load_scenario(_variant(tmp_path, "title: {en: Only English}\n")).scenario
    assert scenario.title == {"en": "Only English", "it": "Only English"}


def test_a_variant_does_not_take_the_title_or_description_of_its_base(tmp_path):
    """landfill_tax_high's title would present the variant as the higher tax, and a partial title
    would be merged with the base's language by language."""
    scenario = load_scenario(_variant(tmp_path, "title: {it: Solo italiano}\n")).scenario
    assert scenario.title == {"en": "Solo italiano", "it": "Solo italiano"}
    assert scenario.description == {lang: "" for lang in LANGUAGES}
    assert load_scenario(_variant(tmp_path, "")).scenario.title is None


@pytest.mark.parametrize("field", ["title", "description"])
def test_an_unknown_language_is_refused_naming_file_field_and_fix(tmp_path, field):
    path = _variant(tmp_path, f"{field}: {{en: Higher tax, fr: Taxe plus haute}}\n")
    with pytest.raises(InputError) as info:
        load_scenario(path)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.field == f"{field}.fr"
    assert "unknown language 'fr'" in problem.message and "en, it" in problem.fix


def test_the_command_line_refuses_an_unknown_language_with_exit_status_2(tmp_path):
    import subprocess
    import sys
    path = _variant(tmp_path, "title: {EN: Higher tax}\n")
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "validate", str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "title.EN: unknown language 'EN'" in done.stderr and "Traceback" not in done.stderr


def test_an_experiment_title_is_checked_like_a_scenario_title(tmp_path):
    text = (ROOT / "experiments" / "landfill_tax_grid.yaml").read_text(encoding="utf-8")
    text = text.replace("scenario: ../scenarios/", f"scenario: {ROOT / 'scenarios'}/")
    path = tmp_path / "grid.yaml"
    path.write_text(text.replace("title: {en:", "title: {de: Deponiesteuer, en:"), encoding="utf-8")
    with pytest.raises(InputError, match="title.de: unknown language 'de'"):
        load_experiment(path)
    path.write_text(text.replace("title: {en: Landfill tax levels, it: Livelli del tributo di discarica}",
                                 "title: Tax levels"), encoding="utf-8")
    assert load_experiment(path).experiment.title == {lang: "Tax levels" for lang in LANGUAGES}


def test_in_language_reads_old_manifests():
    assert in_language("an old plain description", "it") == "an old plain description"
    assert in_language(None, "it", default="landfill_tax_high") == "landfill_tax_high"
    assert in_language({"en": "Higher landfill tax", "it": ""}, "it") == "Higher landfill tax"


def test_the_live_view_shows_the_english_title_and_description():
    from types import SimpleNamespace

    from simulation.view.components import scenario_text, scenario_title
    scenario = load_scenario(ROOT / "scenarios" / "landfill_tax_high.yaml").scenario
    assert scenario_title(scenario) == "Higher landfill tax"
    text = scenario_text(SimpleNamespace(scenario=scenario))
    assert "Higher landfill tax" in text and "<code>landfill_tax_high</code>" in text
    assert "Does making disposal dearer" in text
