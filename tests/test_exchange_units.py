"""Unit tests of the exchange package on small arrays (no YAML, no model): search, surplus, negotiation.

The toy world has two resources: a residue ``r = 0`` that replaces input ``i = 1`` one for one
(row ``s = 0``), carried by truck at 2 EUR/t + 0.5 EUR/t·km up to 10 km.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.exchange.market import Market, Terms
from simulation.exchange.negotiation import bargain, negotiate
from simulation.exchange.search import Candidates, contract_keys, find_candidates, standing_contract_of
from simulation.exchange.surplus import (
    co2_avoided_t,
    fixed_yearly_cost,
    minimum_viable_flow,
    nash_price,
    stakes_at_risk,
    supplier_unit_value,
    unit_surplus,
    yearly_payments,
)
from simulation.policy.effects import Incentive, PolicyEffects
from simulation.world import SubstitutionTable, Transport

SUBS = SubstitutionTable(residue=np.array([0]), input=np.array([1]), ratio=np.array([1.0]),
                         max_share=np.array([1.0]), treatment=np.array([4.0]))
TRUCK = Transport(fixed=np.array([2.0, 0.0]), per_km=np.array([0.5, 0.0]), max_km=np.array([10.0, 0.0]),
                  co2_per_km=np.array([1e-4, 0.0]), pipe_eur_per_km_yr=np.zeros(2), by_truck=np.array([True, False]))
TERMS = Terms(bargaining_power_supplier=0.5, risk_premium_share=0.0, initial_trust=1.0,
              transaction_cost_eur_per_yr=100.0, candidates_per_firm=5, district_wide_search=False)


def effects(**changes) -> PolicyEffects:
    """Disposal 30 EUR/t for the residue, virgin 50 EUR/t for the input, nothing else."""
    base = dict(disposal_cost=np.array([30.0, 0.0]), virgin_cost=np.array([0.0, 50.0]), subsidy=np.zeros(2),
                transport_surcharge=np.zeros(2))
    return PolicyEffects(**{**base, **changes})


def market(xy_km, supply, demand, radius_km=5.0) -> Market:
    """Firms at ``xy_km`` with residue ``supply`` (t of r) and input ``demand`` (t of i) left."""
    n = len(xy_km)
    supply_left = np.zeros((n, 2))
    supply_left[:, 0] = supply
    input_left = np.zeros((n, 2))
    input_left[:, 1] = demand
    return Market(uid=np.arange(10, 10 + n), xy_km=np.asarray(xy_km, dtype=float), radius_km=np.full(n, radius_km),
                  supply_left=supply_left, input_left=input_left, row_cap_left=input_left[:, [1]].copy())


# ------------------------------------------------------------------ surplus
def test_unit_surplus_is_disposal_plus_virgin_avoided_less_transport_and_treatment():
    d = np.array([3.0])
    assert unit_surplus(np.array([0]), d, SUBS, TRUCK, effects()) == pytest.approx([30 + 50 - 2 - 1.5 - 4])


def test_the_two_sides_values_add_up_to_the_joint_surplus_and_the_payments_to_the_year_gain():
    rows, d, q, price, fixed = np.array([0]), np.array([3.0]), np.array([100.0]), np.array([20.0]), np.array([300.0])
    e = effects(subsidy=np.array([5.0, 0.0]), transport_surcharge=np.array([0.2, 0.0]), treatment_subsidy_share=0.5)
    supplier_value = supplier_unit_value(rows, d, SUBS, TRUCK, e)
    buyer_value = SUBS.ratio[rows] * e.virgin_cost[SUBS.input[rows]]
    assert supplier_value + buyer_value == pytest.approx(unit_surplus(rows, d, SUBS, TRUCK, e))
    supplier_pays, buyer_pays = yearly_payments(rows, d, q, price, fixed, SUBS, TRUCK, e)
    # each side's gain: the bill it avoids (disposal, virgin purchase) less what it pays for the exchange
    gain = q * e.disposal_cost[0] - supplier_pays + q * SUBS.ratio * e.virgin_cost[1] - buyer_pays
    assert gain == pytest.approx(q * unit_surplus(rows, d, SUBS, TRUCK, e) - fixed)
    # the capex subsidy's treatment share co-funds plants, not the per-unit treatment cost (4)
    assert supplier_pays == pytest.approx(100 * (2 + 1.5 + 0.6 + 4 - 20 - 5) + 150)


def test_transport_surcharge_is_paid_per_unit_and_km():
    rows, d = np.array([0, 0]), np.array([1.0, 4.0])
    saving = unit_surplus(rows, d, SUBS, TRUCK, effects()) - unit_surplus(
        rows, d, SUBS, TRUCK, effects(transport_surcharge=np.array([0.1, 0.0])))
    assert saving == pytest.approx([0.1, 0.4])


def test_fixed_cost_and_nash_price_split_the_surplus_by_bargaining_power():
    assert fixed_yearly_cost(np.array([0]), np.array([3.0]), SUBS, TRUCK, 100.0, effects()) == pytest.approx([100])
    q, u, f, v_s = 100.0, 72.5, 100.0, 30 - 2 - 1.5 - 4
    price = nash_price(q, u, f, v_s, 0.0, 0.0, 0.75)
    supplier_gain = q * (v_s + price) - f / 2
    assert supplier_gain == pytest.approx(0.75 * (q * u - f))


def test_co2_avoided_counts_disposal_and_virgin_production_less_the_haul():
    got = co2_avoided_t(np.array([10.0]), np.array([0]), np.array([2.0]), np.array([0.5, 0.0]), np.array([0.0, 0.2]),
                        SUBS, TRUCK)
    assert got == pytest.approx([10 * (0.5 + 0.2 - 2e-4)])


# ------------------------------------------------------------------ search
def test_a_pair_is_a_candidate_only_within_a_radius_of_action_and_transport_reach():
    m = market([[0, 0], [3, 0], [8, 0]], supply=[100, 0, 0], demand=[0, 50, 50], radius_km=5.0)
    found = find_candidates(m, SUBS, TRUCK, TERMS)
    assert list(zip(found.supplier, found.buyer)) == [(0, 1)]  # firm 2 is 8 km away, beyond both radii
    wide = find_candidates(m, SUBS, TRUCK, Terms(**{**TERMS.__dict__, "district_wide_search": True}))
    assert sorted(zip(wide.supplier, wide.buyer)) == [(0, 1), (0, 2)]  # the facilitator: up to the 10 km reach


def test_published_flows_are_listed_by_the_platform_beyond_the_radius():
    m = market([[0, 0], [8, 0]], supply=[100, 0], demand=[0, 50], radius_km=1.0)
    assert len(find_candidates(m, SUBS, TRUCK, TERMS)) == 0
    terms = Terms(**{**TERMS.__dict__, "platform_candidates_per_firm": 3})
    listed = find_candidates(m, SUBS, TRUCK, terms, published=np.array([True, False]))
    assert list(zip(listed.supplier, listed.buyer, listed.distance_km)) == [(0, 1, 8.0)]


def test_a_candidate_on_a_standing_contract_is_a_top_up_with_no_new_fixed_cost():
    """Firms 10 → 11 have contract row 7; the buyer has 50 t of room left. A new pair would not pay
    (S = 50 × 73.5 − 5,000 < 0), the top-up does (no new fixed cost) even below the 25 t minimum flow."""
    m = market([[0, 0], [1, 0]], supply=[100, 0], demand=[0, 20])
    found = find_candidates(m, SUBS, TRUCK, TERMS)
    standing = standing_contract_of(found, m.uid, contract_keys(np.array([10]), np.array([11]), np.array([0]), 1),
                                    np.array([7]), 1)
    assert list(standing) == [7]
    dear = Terms(**{**TERMS.__dict__, "transaction_cost_eur_per_yr": 5_000.0, "min_viable_flow_t": 25.0})
    trust = lambda a, b: np.ones(len(a))  # noqa: E731
    assert len(negotiate(market([[0, 0], [1, 0]], [100, 0], [0, 20]), found, SUBS, TRUCK, effects(), dear,
                         trust)) == 0
    top_up = negotiate(m, found, SUBS, TRUCK, effects(), dear, trust, standing)
    assert list(top_up.contract) == [7] and top_up.quantity == pytest.approx([20]) and top_up.fixed_cost == [0]


# ------------------------------------------------------------------ negotiation
def test_the_best_deal_is_signed_first_and_takes_what_it_can():
    m = market([[0, 0], [1, 0], [4, 0]], supply=[100, 0, 0], demand=[0, 60, 60])
    cands = Candidates(np.array([0, 0]), np.array([1, 2]), np.array([0, 0]), np.array([1.0, 4.0]))
    deals = negotiate(m, cands, SUBS, TRUCK, effects(), TERMS, lambda a, b: np.ones(len(a)))
    assert list(deals.buyer) == [1, 2] and deals.quantity == pytest.approx([60, 40])  # nearer buyer first
    assert m.supply_left[0, 0] == pytest.approx(0) and m.input_left[2, 1] == pytest.approx(20)


def test_distrust_stops_a_deal_whose_surplus_does_not_cover_the_disagreement_points():
    q, rows, d, fixed = np.array([10.0]), np.array([0]), np.array([1.0]), np.array([100.0])
    wary = Terms(**{**TERMS.__dict__, "risk_premium_share": 1.0})
    agreed, _ = bargain(rows, d, q, np.array([1.0]), fixed, SUBS, TRUCK, effects(), wary)
    refused, _ = bargain(rows, d, q, np.array([0.0]), fixed, SUBS, TRUCK, effects(), wary)
    assert agreed.all() and not refused.any()


def test_a_committed_buyer_values_the_fine_it_avoids():
    rows, d, q, fixed = np.array([0]), np.array([9.0]), np.array([1.0]), np.array([100.0])
    alone, _ = bargain(rows, d, q, np.array([1.0]), fixed, SUBS, TRUCK, effects(), TERMS)
    bound, _ = bargain(rows, d, q, np.array([1.0]), fixed, SUBS, TRUCK, effects(), TERMS, np.array([500.0]))
    assert not alone.any() and bound.all()
    offer = Incentive(fine_rate=np.array([0.0, 500.0]), shortfall=np.array([0.0, 10.0]), rows=np.array([True]))
    assert offer.bonus(np.array([1, 1]), np.array([0, 0]), np.array([5.0, 20.0])) == pytest.approx([250, 500])


def test_the_risk_premium_is_charged_on_the_surplus_a_default_destroys_not_on_gross_value():
    """A high-value residue with a thin local surplus (as ferrous scrap: 255 EUR/t gross, ~40 EUR/t
    local gain). Trust 0, premium 0.2: δ = 0.2, so the deal needs q·u·0.8 > F, q > 100 / (0.8·u)."""
    scrap = effects(disposal_cost=np.array([250.0, 0.0]), virgin_cost=np.array([0.0, 50.0]))
    rows, d, fixed = np.array([0, 0]), np.array([1.0, 1.0]), np.array([100.0, 100.0])
    u = unit_surplus(rows[:1], d[:1], SUBS, TRUCK, scrap)[0]
    stake_s, stake_b = stakes_at_risk(np.array([u]), 0.5)
    assert stake_s + stake_b == pytest.approx([u])   # not 250 + 50 = 300
    wary = Terms(**{**TERMS.__dict__, "risk_premium_share": 0.2})
    q_min = 100 / (0.8 * u)
    agreed, _ = bargain(rows, d, np.array([q_min * 1.01, q_min * 0.99]), np.zeros(2), fixed, SUBS, TRUCK, scrap,
                        wary)
    assert list(agreed) == [True, False]


def test_a_trucked_exchange_below_the_minimum_viable_flow_is_not_signed():
    small = Terms(**{**TERMS.__dict__, "min_viable_flow_t": 25.0})
    rows, d, fixed = np.array([0, 0]), np.array([1.0, 1.0]), np.array([1.0, 1.0])
    agreed, _ = bargain(rows, d, np.array([24.0, 25.0]), np.ones(2), fixed, SUBS, TRUCK, effects(), small)
    assert list(agreed) == [False, True]
    m = market([[0, 0], [1, 0]], supply=[20.0, 0.0], demand=[0.0, 500.0])
    cands = Candidates(np.array([0]), np.array([1]), np.array([0]), np.array([1.0]))
    assert len(negotiate(m, cands, SUBS, TRUCK, effects(), small, lambda a, b: np.ones(len(a)))) == 0
    assert len(negotiate(m, cands, SUBS, TRUCK, effects(), TERMS, lambda a, b: np.ones(len(a)))) == 1
    assert minimum_viable_flow(np.array([0]), SUBS, TRUCK, 25.0) == pytest.approx([25.0])
