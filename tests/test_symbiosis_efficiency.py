"""``symbiosis_efficiency``: realised over optimal exchange surplus of the year (docs/ODD.md §7.16).

Both are before fixed yearly costs, at the year's prices; the optimum is a linear program over the
delivering contracts and the candidates of the year (``simulation.exchange.optimum.year_optimum``).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from simulation.inputs.scenario import deep_merge, load_scenario, validate_scenario_data
from simulation.runs import build_model, run_scenario
from tests.conftest import BASELINE, FIXTURES, TWO_FIRMS, run_checking_invariants
from tests.test_invariants_property import scenarios

PROFILED = FIXTURES / "profiles" / "scenario.yaml"


def profiled(**changes):
    raw = deep_merge(yaml.safe_load(PROFILED.read_text()), changes)
    return build_model(validate_scenario_data(raw, PROFILED))


def test_efficiency_is_in_indicators_csv_and_one_for_the_two_firm_exchange(tmp_path):
    out, _ = run_scenario(TWO_FIRMS, out=tmp_path / "two")
    ind = pd.read_csv(out / "indicators.csv")
    assert "symbiosis_efficiency" in ind.columns
    assert list(ind.symbiosis_efficiency) == [1.0, 1.0, 1.0]


def test_efficiency_is_one_when_negotiation_finds_the_optimum():
    """Four profiled firms (tests/test_matchmaking.py): B1 takes S1's 750 t, B2 S2's 300 t, as the optimum."""
    model = profiled()
    run_checking_invariants(model)
    assert [row["symbiosis_efficiency"] for row in model.indicator_rows] == [1.0, 1.0, 1.0]
    assert model.indicator_rows[0]["net_savings_eur"] == pytest.approx(750 * 80.6 + 300 * 80.2 - 2 * 1000)


def test_efficiency_when_first_come_negotiation_blocks_a_better_allocation():
    """greedy_blocks.csv: S1 (1000 t) at 0 km, B1 (cap 750 t) at 5, B2 (cap 300 t) at -20, S2 (400 t) at 30.

    u = 81 − 0.08·d: S1→B1 80.6, S1→B2 79.4, S2→B1 79.0 (S2→B2 is 50 km, beyond reach). The facilitator
    makes every pair within 30 km known. Negotiation takes the largest deal first, S1→B1 750 t, and
    S1's last 250 t go to B2: realised 750·80.6 + 250·79.4 = 80,300. Optimum: B2 300 t and B1 700 t
    from S1, B1's last 50 t from S2: 700·80.6 + 300·79.4 + 50·79.0 = 84,190. The contracts stand,
    so every year scores 80,300 / 84,190 (lock-in counts: the optimum may re-allocate them).
    """
    model = profiled(firms={"profiles": "greedy_blocks.csv"}, policy={"facilitator": {"enabled": True}})
    run_checking_invariants(model)
    expected = 80_300 / 84_190
    assert [row["symbiosis_efficiency"] for row in model.indicator_rows] == pytest.approx([expected] * 3,
                                                                                          rel=1e-9)


def test_efficiency_is_computed_at_checkpoints_above_the_firm_threshold():
    raw = deep_merge(yaml.safe_load(TWO_FIRMS.read_text()), {"years": {"start": 2026, "end": 2032}})
    model = build_model(validate_scenario_data(raw, TWO_FIRMS))
    model.EFFICIENCY_YEARLY_UP_TO_FIRMS = 1  # two firms are "above" it
    model.run()
    values = [row["symbiosis_efficiency"] for row in model.indicator_rows]
    computed = [not math.isnan(v) for v in values]
    assert computed == [False, False, False, False, True, False, True]  # 5th year and the last


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=scenarios())
def test_realised_surplus_never_exceeds_the_optimum(raw):
    """In random districts and policies, the realised surplus is at most the optimum, every year."""
    model = build_model(validate_scenario_data(raw, Path("random.yaml")))
    ratios = []
    compute = model.optimal_allocation

    def recording(market, candidates):
        realised, optimal = compute(market, candidates)
        if optimal > 0:
            ratios.append(realised / optimal)
        else:
            assert realised <= 1e-6
        return realised, optimal

    model.optimal_allocation = recording
    model.run()
    assert all(r <= 1 + 1e-9 for r in ratios), ratios
    values = [row["symbiosis_efficiency"] for row in model.indicator_rows]
    assert all(math.isnan(v) or v <= 1.0 for v in values)


def test_baseline_efficiency_is_a_share():
    model = build_model(load_scenario(FIXTURES.parent.parent / "scenarios" / "formigine_baseline.yaml"), years=5)
    model.run()
    values = [row["symbiosis_efficiency"] for row in model.indicator_rows]
    # 0 in the first year: no synergy is discovered and implemented yet (ODD §7.5)
    assert all(0 <= v <= 1 for v in values) and values[0] == 0 and values[-1] > 0, values


def test_skipping_the_optimum_changes_nothing_but_the_efficiency():
    """Sweeps that do not keep symbiosis_efficiency skip the yearly optimum; the run is the same."""
    loaded = load_scenario(BASELINE)
    measured, skipped = (build_model(loaded, seed=4, years=8, measure_efficiency=flag) for flag in (True, False))
    measured.run()
    skipped.run()
    a, b = pd.DataFrame(measured.indicator_rows), pd.DataFrame(skipped.indicator_rows)
    assert a.symbiosis_efficiency.notna().all() and b.symbiosis_efficiency.isna().all()
    pd.testing.assert_frame_equal(a.drop(columns="symbiosis_efficiency"), b.drop(columns="symbiosis_efficiency"))
