"""Scenarios whose incumbents come from a firm profile file (``firms.profiles``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.inputs.scenario import load_scenario
from simulation.runs import build_model, run_scenario
from tests.conftest import FIXTURES, ROOT, run_checking_invariants

PROFILED = FIXTURES / "profiles" / "scenario.yaml"


def test_profiled_firms_enter_at_their_coordinates_with_their_flows(tmp_path):
    out, model = run_scenario(PROFILED, out=tmp_path / "run")
    firms = pd.read_csv(out / "firms.csv", dtype={"sector": str})
    assert list(firms.archetype) == ["profile:S1", "profile:S2", "profile:B1", "profile:B2"]
    assert list(firms["plot"]) == list(firms.archetype)
    assert list(firms.x_m) == [0.0, 10_000.0, 5_000.0, 20_000.0] and set(firms.y_m) == {0.0}
    assert list(firms.employees) == [100, 40, 50, 20] and set(firms.entry_year) == {2026}
    assert list(firms.sector_group) == ["ceramics"] * 4  # borrowed from the reference archetypes
    flows = pd.read_csv(out / "flows.csv")
    first = flows[flows.year == 2026].set_index("resource")
    assert first.loc["scrap", "generated"] == pytest.approx(1400.0)  # activity 1: the profiled flows
    assert first.loc["feldspar", "demand"] == pytest.approx(7000.0)
    plots = pd.read_csv(out / "plots.csv")
    assert len(plots) == 5 and (plots.zone == "profiled").sum() == 4


def test_profiled_firms_borrow_plot_turnover_and_radius_from_their_reference():
    model = build_model(load_scenario(PROFILED))
    cat = model.catalogue
    s1 = cat.archetypes["profile:S1"]          # reference: kiln (100 persons, 5000 m2, 10 M EUR/yr)
    s2 = cat.archetypes["profile:S2"]          # 40 persons
    assert s1.plot_area.value == pytest.approx(5000) and s2.plot_area.value == pytest.approx(2000)
    assert s2.turnover.value == pytest.approx(10_000_000 * 0.4)
    assert s2.radius_of_action.value == 10 and "assumption" in s2.turnover.source
    assert s1.outputs["scrap"].value == pytest.approx(1000)


def test_formigine_profiled_scenario_keeps_the_invariants():
    model = build_model(load_scenario(ROOT / "scenarios" / "formigine_profiled.yaml"), years=3)
    run_checking_invariants(model)
    firms = model.all_firms()
    profiled = [f for f in firms if model.catalogue.archetype_ids[f.archetype].startswith("profile:")]
    assert len(profiled) == 11
    # links appear once discovered synergies are implemented (ODD §7.5), not in the first year
    assert model.indicator_rows[0]["symbiosis_links"] == 0 and model.indicator_rows[-1]["symbiosis_links"] > 0
    assert np.isfinite(model.indicator_rows[-1]["symbiosis_efficiency"])


def test_a_profiled_sector_without_reference_archetype_is_an_input_error(tmp_path):
    import shutil

    from simulation.inputs.errors import InputError

    folder = tmp_path / "profiles"
    shutil.copytree(FIXTURES / "profiles", folder)
    shutil.copytree(FIXTURES / "two_firms", tmp_path / "two_firms")
    csv = folder / "four_firms.csv"
    csv.write_text(csv.read_text(encoding="utf-8").replace("B2,23.31", "B2,99.00"), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_scenario(folder / "scenario.yaml")
    [problem] = caught.value.problems
    assert problem.field == "firms.profiles" and "'B2'" in problem.message
    assert "reference_archetypes" in problem.fix
