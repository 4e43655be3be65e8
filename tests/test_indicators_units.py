"""Unit tests of the indicator registry on a hand-made year (no YAML, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from simulation.indicators import COLUMNS, INDICATORS, REGISTRY, YearLedger, cyclicity, measure
from simulation.policy.admission import EntryCounts
from simulation.policy.enforcement import EnforcementCounts

FAMILY = np.array(["material", "material", "energy", "water"])


def year(**changes) -> YearLedger:
    """Four firms; firm 1 sells 30 t to firm 2 (2 km) and 10 t to firm 3 (4 km); firm 2 sells heat to 1."""
    base = dict(
        year=2030, firm_uids=np.array([1, 2, 3, 4]), jobs=40, plots_occupied_share=0.5,
        generated=np.array([100.0, 0.0, 50.0, 0.0]), exchanged=np.array([40.0, 0.0, 20.0, 0.0]),
        disposed=np.array([60.0, 0.0, 30.0, 0.0]), demand=np.array([0.0, 200.0, 0.0, 10.0]),
        received=np.array([0.0, 40.0, 0.0, 0.0]), virgin=np.array([0.0, 160.0, 0.0, 10.0]),
        supplier=np.array([1, 1, 2]), buyer=np.array([2, 3, 1]), residue=np.array([0, 0, 2]),
        delivered=np.array([30.0, 10.0, 20.0]), distance_km=np.array([2.0, 4.0, 1.0]),
        surplus_eur=np.array([100.0, -20.0, 50.0]), co2_avoided_t=np.array([1.0, 0.5, 2.0]),
        outside_route=np.array(["landfill", "", "vent", ""], dtype=object))
    return YearLedger(**{**base, **changes})


def indicators(ledger: YearLedger) -> dict:
    return measure(ledger, FAMILY, EntryCounts(applicants=3, admitted=1, rejected_rule=2), EnforcementCounts(), 1)


def test_circular_indicators_follow_their_formulas():
    got = indicators(year())
    assert got["circular_input_rate"] == pytest.approx(40 / 200)
    assert got["landfill_diversion_rate"] == pytest.approx(1 - 60 / 100)
    assert got["waste_landfilled_t"] == 60 and got["residues_sent_outside_t"] == 60
    assert got["byproduct_exchanged_t"] == 40 and got["energy_recovered_mwh"] == 20
    assert got["local_closure_rate"] == pytest.approx((40 / 100 + 20 / 50) / 2)  # water generates nothing
    assert got["mean_exchange_distance_km"] == pytest.approx((30 * 2 + 10 * 4) / 40)  # material contracts only
    assert got["exchange_tonne_km"] == pytest.approx(30 * 2 + 10 * 4)
    assert got["co2_avoided_t"] == pytest.approx(3.5)


def test_residues_recovered_outside_are_not_landfilled():
    """The 60 t nobody in the area takes go to recovery outside: they leave the area (local closure
    unchanged) but not to landfill, so the diversion rate is 1."""
    got = indicators(year(outside_route=np.array(["recovery", "", "vent", ""], dtype=object)))
    assert got["landfill_diversion_rate"] == 1.0 and got["waste_landfilled_t"] == 0
    assert got["residues_sent_outside_t"] == 60
    assert got["local_closure_rate"] == pytest.approx((40 / 100 + 20 / 50) / 2)


def test_network_indicators_count_pairs_and_cycles():
    got = indicators(year())
    assert got["symbiosis_links"] == 3 and got["linkage_density"] == pytest.approx(3 / 4)
    assert got["connectance"] == pytest.approx(3 / 12) and got["symbiotic_firm_share"] == pytest.approx(3 / 4)
    assert got["cyclicity"] == pytest.approx(1.0)  # 1 ⇄ 2 is a two-firm cycle
    assert got["net_savings_eur"] == pytest.approx(130)
    assert cyclicity(np.array([1, 2, 3]), np.array([2, 3, 1])) == pytest.approx(1.0)
    assert cyclicity(np.array([1, 2]), np.array([2, 3])) == 0.0


def test_a_year_without_anything_gives_zeros_not_errors():
    empty = year(firm_uids=np.zeros(0, int), generated=np.zeros(4), exchanged=np.zeros(4), disposed=np.zeros(4),
                 demand=np.zeros(4), received=np.zeros(4), virgin=np.zeros(4), supplier=np.zeros(0, int),
                 buyer=np.zeros(0, int), residue=np.zeros(0, int), delivered=np.zeros(0), distance_km=np.zeros(0),
                 surplus_eur=np.zeros(0), co2_avoided_t=np.zeros(0), outside_route=np.full(4, "", dtype=object))
    got = indicators(empty)
    assert got["firms"] == 0 and got["landfill_diversion_rate"] == 0 and np.isnan(got["mean_exchange_distance_km"])


def test_every_registered_indicator_has_a_family_unit_labels_and_formula_and_is_computed():
    got = indicators(year())
    assert list(got) == ["year", *COLUMNS]
    assert set(INDICATORS) <= set(COLUMNS) and got["applicants"] == 3 and got["rejected"] == 2 and got["exits"] == 1
    for ind in REGISTRY:
        assert ind.family and ind.unit and ind.label_en and ind.label_it and ind.formula, ind.name
        assert ind.kind in ("share", "signed", "amount", "count"), ind.name
        if ind.kind == "share" and not np.isnan(got[ind.name]):
            assert 0 <= got[ind.name] <= 1, ind.name
