"""The economics of one exchange, computed by hand (docs/ODD.md §7.8: a two-firm case pins the model).

Supplier emits 1000 t/yr of scrap; buyer needs 5000 t/yr of feldspar, of which scrap may replace
15 %; plots 2 km apart. Disposal avoided 25 + 9 (inert landfill tax) = 34 EUR/t; virgin price 60;
transport 5 + 0.08 × 2 = 5.16; treatment 8 → s = 80.84 EUR/t. q = min(1000, 0.15 × 5000) = 750 t.
S = 750 × 80.84 − 1000 (transaction cost) = 59,630 EUR/yr. Trust 0.5, risk premium 0.2 →
distrust 0.1; each side's stake at risk is its half (β = 0.5) of the unit surplus, 40.42 EUR/t, so the
disagreement points are 750 × 0.1 × 40.42 = 3,031.5 each. Supplier gain
3,031.5 + 0.5 × (59,630 − 6,063) = 29,815 = 750 × (34 − 5.16 − 8 + p) − 500 → p = 19.58.
CO2 avoided 750 × (0.008 + 0.03 − 0.00008 × 2) = 28.38 t.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.inputs.scenario import load_scenario
from simulation.runs import build_model, run_scenario
from tests.conftest import TWO_FIRMS, run_checking_invariants


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out, model = run_scenario(TWO_FIRMS, out=tmp_path_factory.mktemp("run") / "two")
    return out, model


def test_exchange_matches_hand_calculation(run):
    out, _ = run
    ex = pd.read_csv(out / "exchanges.csv")
    assert len(ex) == 1
    deal = ex.iloc[0]
    assert (deal.resource, deal.substitutes, deal.unit) == ("scrap", "feldspar", "t")
    assert deal.quantity == pytest.approx(750.0, rel=1e-12)
    assert deal.distance_km == pytest.approx(2.0, rel=1e-12)
    assert deal.unit_surplus_eur == pytest.approx(80.84, rel=1e-12)
    assert deal.price_eur_per_unit == pytest.approx(19.58, rel=1e-12)


def test_indicators_match_hand_calculation(run):
    out, _ = run
    ind = pd.read_csv(out / "indicators.csv").iloc[0]
    assert ind.net_savings_eur == pytest.approx(59_630.0, rel=1e-12)
    assert ind.co2_avoided_t == pytest.approx(28.38, rel=1e-12)
    assert ind.byproduct_exchanged_t == pytest.approx(750.0)
    assert ind.waste_landfilled_t == pytest.approx(250.0) and ind.residues_sent_outside_t == pytest.approx(250.0)
    assert ind.circular_input_rate == pytest.approx(750 / 5000)
    assert ind.landfill_diversion_rate == pytest.approx(0.75)
    assert ind.symbiosis_links == 1 and ind.linkage_density == pytest.approx(0.5)
    assert ind.connectance == pytest.approx(0.5) and ind.cyclicity == 0.0


def test_each_side_gains_its_nash_share(run):
    """Both firms end the year better off than without the exchange, by the hand-computed gains."""
    _, model = run
    supplier, buyer = sorted(model.firms(), key=lambda f: f.archetype)
    margin = 10_000_000 * 0.1
    # Without the exchange the supplier would pay the landfill tax on all 1000 t, which the
    # reference cost (catalogue prices, no policy) leaves out: its profit would be margin − 9,000.
    assert supplier.profit_eur == pytest.approx(margin - 1000 * 9 + 29_815, rel=1e-12)
    assert buyer.profit_eur == pytest.approx(margin + 59_630 - 29_815, rel=1e-12)


def test_no_exchange_when_distrust_exceeds_surplus():
    loaded = load_scenario(TWO_FIRMS)
    scenario = loaded.scenario
    negotiation = scenario.behaviour.negotiation.model_copy(update={"initial_trust": 0.0, "risk_premium_share": 1.0})
    behaviour = scenario.behaviour.model_copy(update={"negotiation": negotiation})
    loaded.scenario = scenario.model_copy(update={"behaviour": behaviour})
    model = build_model(loaded)
    # Distrust 1: disagreement points 750 × 80.84 = 60,630 (the whole surplus before the
    # transaction cost) > S = 59,630, so no deal.
    run_checking_invariants(model)
    assert len(model.contracts) == 0
