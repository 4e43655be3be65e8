"""Entry that follows opportunity (docs/ODD.md §7.2, :mod:`simulation.policy.opportunity`).

Uses ``tests/fixtures/admission`` (see tests/test_planning_policy.py): the ``kiln`` emits 1,000 t
of scrap a year, which the ``press`` (3,000 t feldspar, scrap up to half of it) could take whole:
an opportunity of 1,000 t x 81 EUR/t (disposal 25 + inert landfill tax 9 + feldspar 60 avoided,
less transport 5 and treatment 8, at 0 km) = 81,000 EUR/yr; the ``dump`` takes and gives nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.inputs.scenario import deep_merge, load_scenario, validate_scenario_data
from simulation.policy.opportunity import stream_weights
from simulation.runs import build_model
from tests.conftest import FIXTURES, ROOT

SCENARIOS = ROOT / "scenarios"
ADMISSION = FIXTURES / "admission" / "scenario.yaml"
PRESS_EUR_PER_YR = 1000 * (25 + 9 + 60 - 5 - 8)


def district(**changes):
    """The admission fixture with ``changes`` merged in (its queue replaced), as a model ready to run."""
    raw = yaml.safe_load(ADMISSION.read_text())
    raw["firms"]["applicants"] = {}
    return build_model(validate_scenario_data(deep_merge(raw, changes), ADMISSION))


def test_elasticity_zero_gives_the_mix_weights_whatever_the_opportunity():
    mix = np.array([1.0, 2.0, 0.5, 0.0])
    assert stream_weights(mix, np.array([0.0, 1e6, 3e12, 5e4]), 0.0, 1000.0).tolist() == mix.tolist()


def test_weights_grow_with_opportunity_as_a_constant_elasticity():
    """(1 + G / reference) ** elasticity: twice the reference triples the odds at elasticity 1,
    nines them at 2; an archetype outside the mix stays out."""
    got = stream_weights(np.array([1.0, 2.0, 0.0]), np.array([2000.0, 0.0, 1e9]), 2.0, 1000.0)
    assert got.tolist() == [9.0, 2.0, 0.0]


def test_elasticity_zero_reproduces_the_fixed_mix_run_exactly():
    """The baseline with an opportunity block at elasticity 0 draws the same applicants, admits the
    same firms and measures the same indicators as without the block."""
    path = SCENARIOS / "formigine_baseline.yaml"
    fixed = build_model(load_scenario(path), seed=7, years=8)
    raw = yaml.safe_load(path.read_text())
    raw["firms"]["applicants"]["opportunity"] = {"elasticity": 0, "reference_eur_per_yr": 100_000}
    flat = build_model(validate_scenario_data(raw, path), seed=7, years=8)
    fixed.run()
    flat.run()
    assert [(a.year, a.archetype, a.decision) for a in flat.authority.applications] == [
        (a.year, a.archetype, a.decision) for a in fixed.authority.applications]
    # NaN-aware: a year without material contracts has no mean exchange distance
    pd.testing.assert_frame_equal(pd.DataFrame(flat.indicator_rows), pd.DataFrame(fixed.indicator_rows))


def stream_applicants(incumbent: str, seed: int) -> list[str]:
    """Archetypes of the 2026 stream applicants (press or dump, equal mix weights, elasticity 1 at
    a reference of the press's opportunity) in a district whose one incumbent is ``incumbent``."""
    model = district(seed=seed, firms={"incumbents": [{"archetype": incumbent, "count": 1}], "applicants": {
        "rate_per_year": 4, "mix": {"press": 1, "dump": 1},
        "opportunity": {"elasticity": 1, "reference_eur_per_yr": PRESS_EUR_PER_YR}}})
    model.step()
    return [a.archetype for a in model.authority.applications]


def test_a_large_unused_residue_attracts_its_sink_archetype_more_often_on_paired_seeds():
    """With the kiln's 1,000 t of scrap unused, the press's weight is 1 x (1 + 1) = 2 against the
    dump's 1 (P = 2/3); beside the dump, whose sludge nobody takes, both weigh 1 (P = 1/2). The same
    yearly ENTRY draws (same number of applicants, same uniforms) then name the press at least as
    often on every seed, and more often over the seeds."""
    with_scrap, without = [], []
    for seed in range(1, 21):
        a, b = stream_applicants("kiln", seed), stream_applicants("dump", seed)
        assert len(a) == len(b)  # paired: the same number of applicants
        assert a.count("press") >= b.count("press")
        with_scrap.append(a.count("press"))
        without.append(b.count("press"))
    assert sum(with_scrap) > sum(without)
    applicants = sum(len(stream_applicants("kiln", s)) for s in range(1, 21))
    assert sum(with_scrap) / applicants == pytest.approx(2 / 3, abs=0.15)


def test_a_queued_applicant_arrives_the_first_year_its_opportunity_exceeds_the_threshold():
    """An empty district; the kiln is queued for 2027, the press from 2026 once its opportunity
    exceeds 50,000 EUR/yr. 2026: no firm, 0 EUR/yr. 2027: the kiln arrives with this year's
    applicants, so it does not count yet: still 0. 2028: the kiln's 1,000 t of scrap are unused,
    81,000 EUR/yr > 50,000: the press arrives, in 2028 and only once. It gets the far plot (the
    kiln took the cheapest), 5 km away, beyond its 1 km reach, so the scrap stays unused; a second
    press waiting for more than exactly 81,000 EUR/yr never arrives: equal is not above."""
    model = district(years={"start": 2026, "end": 2030}, firms={"incumbents": [], "applicants": {"queue": [
        {"archetype": "press", "year": 2026, "when_opportunity_eur_per_yr": 50_000},
        {"archetype": "kiln", "year": 2027},
        {"archetype": "press", "year": 2026, "when_opportunity_eur_per_yr": PRESS_EUR_PER_YR}]}})
    press = model.catalogue.archetype_index("press")
    seen = {}
    for _ in range(5):
        model.authority.set_prices(model.year)
        seen[model.year] = model.authority.opportunities([press])[press]
        model.step()
    assert seen == pytest.approx({2026: 0.0, 2027: 0.0, 2028: PRESS_EUR_PER_YR,
                                   2029: PRESS_EUR_PER_YR, 2030: PRESS_EUR_PER_YR})
    assert [(a.year, a.archetype, a.decision) for a in model.authority.applications] == [
        (2027, "kiln", "admitted"), (2028, "press", "admitted")]
    [firm] = [f for f in model.firms() if f.archetype == press]
    assert model.plots.ids[firm.plot].startswith("far")


def test_a_threshold_waits_for_its_year_before_it_counts():
    """The kiln is present from 2026 (press opportunity 81,000 EUR/yr every year nobody takes the
    scrap): a press queued from 2028 with a 1,000 EUR/yr threshold arrives in 2028, not before."""
    model = district(years={"start": 2026, "end": 2028}, firms={"applicants": {"queue": [
        {"archetype": "press", "year": 2028, "when_opportunity_eur_per_yr": 1000}]}})
    model.run()
    assert [(a.year, a.archetype) for a in model.authority.applications] == [(2028, "press")]
