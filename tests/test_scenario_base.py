"""A scenario may name a ``base`` scenario and list only what it changes.

The shipped policy scenarios are one-lever variants of the Formigine baseline; a base's own file
paths stay relative to the base; bases chain. A bad base (missing, a cycle, a variant without its
own name) is an input error: those cases are in ``tests/test_bad_input.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analysis.inputs import differences
from simulation.inputs.scenario import load_scenario
from tests.conftest import BASELINE, FIXTURES, ROOT

POLICY_SCENARIOS = {
    "landfill_tax_high": {"policy.landfill_tax.inert_eur_per_t": (9.0, 25.82),
                          "policy.landfill_tax.nonhazardous_eur_per_t": (12.0, 40.0)},
    "facilitator_platform": {"policy.facilitator.enabled": (False, True)},
}


OWN = ("name", "title", "description")  # what a scenario says of itself, not a setting


@pytest.mark.parametrize("name", POLICY_SCENARIOS)
def test_a_shipped_policy_scenario_is_the_baseline_with_one_lever_changed(name):
    base = load_scenario(BASELINE).scenario.model_dump(mode="json")
    variant = load_scenario(ROOT / "scenarios" / f"{name}.yaml").scenario.model_dump(mode="json")
    changed = {k: v for k, v in differences(base, variant).items() if k.split(".")[0] not in OWN}
    assert changed == POLICY_SCENARIOS[name]
    assert variant["name"] == name


def _variant(folder: Path, text: str, name: str = "variant.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_base_keeps_its_paths_relative_to_its_own_folder(tmp_path):
    """The two-firm base names its catalogue beside it; a variant one folder up still finds it."""
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "territory")
    path = _variant(tmp_path, "name: cheap_deals\nbase: territory/scenario.yaml\n"
                              "behaviour: {negotiation: {transaction_cost_eur_per_yr: 10}}\n")
    loaded = load_scenario(path)
    assert loaded.scenario.name == "cheap_deals"
    assert loaded.scenario.behaviour.negotiation.transaction_cost_eur_per_yr == 10
    assert loaded.scenario.district.blocks[0].gap_m == 1900  # from the base
    assert Path(loaded.catalogue.resources_path).resolve() == (tmp_path / "territory" / "resources.yaml").resolve()


def test_bases_chain(tmp_path):
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "territory")
    _variant(tmp_path, "name: middle\nbase: territory/scenario.yaml\nseed: 9\n", "middle.yaml")
    path = _variant(tmp_path, "name: top\nbase: middle.yaml\nyears: {start: 2026, end: 2027}\n")
    scenario = load_scenario(path).scenario
    assert (scenario.name, scenario.seed, scenario.years.end) == ("top", 9, 2027)
