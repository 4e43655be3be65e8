"""Property test: random small scenarios keep the invariants of docs/ODD.md §1 (Patterns) in every year."""

from __future__ import annotations

import math
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation.inputs.catalogue import load_catalogue
from simulation.inputs.scenario import validate_scenario_data
from simulation.runs import build_model
from tests.conftest import run_checking_invariants

CATALOGUE = load_catalogue()
ARCHETYPES = list(CATALOGUE.archetype_ids)
LARGEST_PLOT_SIDE_M = math.ceil(math.sqrt(max(a.plot_area.value for a in CATALOGUE.archetypes.values())))


@st.composite
def scenarios(draw):
    rows, cols = draw(st.integers(1, 4)), draw(st.integers(2, 5))
    n_plots = rows * cols
    firms = draw(st.lists(st.sampled_from(ARCHETYPES), min_size=1, max_size=n_plots))
    incumbents = [{"archetype": a, "count": firms.count(a)} for a in sorted(set(firms))]
    mix = draw(st.dictionaries(st.sampled_from(ARCHETYPES), st.floats(0.1, 5), min_size=1, max_size=5))
    start = draw(st.integers(2020, 2030))
    window = draw(st.one_of(st.just({}), st.fixed_dictionaries(
        {"start_year": st.integers(start, start + 3), "end_year": st.integers(start + 3, start + 6)})))
    return {
        "name": "random",
        "seed": draw(st.integers(0, 2**32)),
        "years": {"start": start, "end": start + draw(st.integers(1, 6))},
        "district": {"blocks": [{
            "name": "b", "origin_x_m": draw(st.floats(-5000, 5000)), "origin_y_m": 0, "rows": rows, "cols": cols,
            "plot_width_m": LARGEST_PLOT_SIDE_M + draw(st.floats(0, 200)), "plot_depth_m": LARGEST_PLOT_SIDE_M,
            "gap_m": draw(st.floats(0, 3000)), "land_price_eur_per_m2": draw(st.floats(0, 200))}]},
        "firms": {"incumbents": incumbents,
                  "applicants": {"rate_per_year": draw(st.floats(0, 4)), "mix": mix}},
        "behaviour": {
            "activity": {"growth_sd": draw(st.floats(0, 0.5)), "shock_probability": draw(st.floats(0, 1))},
            "contracts": {"duration_years": draw(st.integers(1, 4)),
                          "disruption_probability": draw(st.floats(0, 1))},
            "negotiation": {"initial_trust": draw(st.floats(0, 1)), "candidates_per_firm": draw(st.integers(1, 6)),
                            "bargaining_power_supplier": draw(st.floats(0, 1))},
            "exit": {"hazard_by_size": [{"max_employees": 60, "rate": draw(st.floats(0, 0.5))},
                                        {"max_employees": None, "rate": draw(st.floats(0, 0.5))}],
                     "loss_years": draw(st.integers(1, 3))},
            "services": {"cost_share_rule": draw(st.sampled_from(["proportional", "equal", "shapley"])),
                         "shapley_exact_max_members": draw(st.integers(1, 8))},
        },
        "policy": {
            "landfill_tax": {"inert_eur_per_t": draw(st.floats(0, 200)),
                             "nonhazardous_eur_per_t": draw(st.floats(0, 200)), **window},
            "virgin_levy": {"eur_per_t": draw(st.floats(0, 100))},
            "exchange_subsidy": {"eur_per_t": draw(st.floats(0, 50))},
            "facilitator": {"enabled": draw(st.booleans())},
            "park_manager": {"enabled": draw(st.booleans()), **window},
            "service_cofunding": {"capex_share": draw(st.floats(0, 1))},
        },
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=scenarios())
def test_random_scenarios_keep_invariants_every_year(raw):
    loaded = validate_scenario_data(raw, Path("random.yaml"))
    model = build_model(loaded)
    run_checking_invariants(model)
    assert len(model.indicator_rows) == loaded.scenario.years.count
