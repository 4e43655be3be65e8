"""A model is built from a World, reads no file, and collects its indicators with Mesa's DataCollector."""

from __future__ import annotations

import builtins
import io
from pathlib import Path

import pytest

from simulation.indicators import COLUMNS
from simulation.inputs.errors import InputError
from simulation.inputs.scenario import load_scenario
from simulation.model import EcoDistrictModel
from simulation.world import build_world, load_world, world_of
from tests.conftest import TWO_FIRMS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_firm_world():
    """The two-firm district as a World (grid plots, no profile file)."""
    loaded = load_scenario(TWO_FIRMS)
    return build_world(loaded.scenario, loaded.catalogue)


@pytest.fixture
def no_files(monkeypatch):
    """From here on, any attempt to open a file fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"a file was opened: {args[:1]}")
    for target, name in ((builtins, "open"), (io, "open"), (Path, "read_text"), (Path, "read_bytes")):
        monkeypatch.setattr(target, name, refuse)


def test_a_model_built_from_an_in_memory_world_opens_no_file(two_firm_world, no_files):
    model = EcoDistrictModel(two_firm_world, seed=7)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    years = two_firm_world.scenario.years
    assert list(frame.columns) == ["year", *COLUMNS]
    assert list(frame.year) == list(range(years.start, years.end + 1))
    assert frame.symbiosis_links.iloc[0] == 1 and model.seed_used == 7


def test_a_model_is_built_from_keyword_arguments_alone_as_solaraviz_does():
    parameters = dict(scenario=ROOT / "scenarios" / "formigine_baseline.yaml", years=3, seed=2,
                      policy__landfill_tax__inert_eur_per_t=40)
    model = EcoDistrictModel(**parameters)
    assert model.scenario.policy.landfill_tax.inert_eur_per_t == 40 and model.scenario.years.count == 3
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 3 and frame.firms.iloc[-1] > 0
    again = EcoDistrictModel(**parameters)
    again.run()
    assert again.datacollector.get_model_vars_dataframe().equals(frame)  # same parameters, same run


def test_a_model_needs_a_world_or_a_scenario_not_both(two_firm_world):
    with pytest.raises(TypeError, match="World or a scenario"):
        EcoDistrictModel()
    with pytest.raises(TypeError, match="not both"):
        EcoDistrictModel(two_firm_world, scenario=TWO_FIRMS)


def test_bad_input_is_an_input_error_of_the_world_not_of_the_model():
    with pytest.raises(InputError, match="landfill_tax"):
        load_world(ROOT / "scenarios" / "formigine_baseline.yaml", policy__landfill_tax__inert_eur_per_t=-1)
    loaded = load_scenario(TWO_FIRMS)
    crowded = loaded.scenario.model_copy(update={"firms": loaded.scenario.firms.model_copy(update={
        "incumbents": [i.model_copy(update={"count": 50}) for i in loaded.scenario.firms.incumbents]})})
    with pytest.raises(InputError, match="no free plot"):
        build_world(crowded, loaded.catalogue)


def test_the_world_of_a_scenario_applies_seed_and_years():
    world = world_of(load_scenario(TWO_FIRMS), seed=11, years=2)
    assert world.scenario.seed == 11 and world.scenario.years.count == 2
