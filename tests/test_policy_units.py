"""Unit tests of the policy modules on small arrays (no YAML, no model): admission, allocation,
commitments, enforcement and the price instruments."""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from simulation.inputs.plots import Plots
from simulation.inputs.policy_schema import Admission, Allocation, Commitments, Enforcement
from simulation.policy.admission import screen, sector_allows
from simulation.policy.allocation import cheapest_plot, choose_plot
from simulation.policy.commitments import Commitment, bind, feasible_secondary_share, incentive, renewal_bonus
from simulation.policy.contribution import potential_surplus
from simulation.policy.effects import SecondaryState
from simulation.policy.enforcement import check_year, expected_fine_rate, violates
from simulation.policy.profiling import Openings, Profile
from simulation.world import SubstitutionTable


def profile(score, symbiosis) -> Profile:
    n = len(score)
    zero = np.zeros(n)
    return Profile(zero, zero, np.array(symbiosis, float), np.array(score, float), np.zeros(n, int),
                   np.zeros(n, int), np.zeros((1, 0), bool))


def admission(**fields) -> Admission:
    base = dict(rule="open", min_score=0.0, min_symbiosis=0.0, quota_per_year=None, sector_max_share={},
                excluded_sectors=[])
    return Admission.model_validate({**base, **fields})


SCORES = profile([0.2, 0.9, 0.5, 0.9], symbiosis=[0.8, 0.1, 0.6, 0.3])


def test_open_admits_all_in_arrival_order():
    assert screen(admission(), SCORES, 2030).queue == [0, 1, 2, 3]


def test_threshold_rejects_low_scores_and_keeps_arrival_order():
    s = screen(admission(rule="threshold", min_score=0.5), SCORES, 2030)
    assert s.queue == [1, 2, 3] and s.rejected == {0}


def test_ranking_orders_by_score_ties_by_arrival_with_a_quota():
    s = screen(admission(rule="ranking", quota_per_year=2), SCORES, 2030)
    assert s.queue == [1, 3, 2, 0] and s.quota == 2


def test_complementarity_screens_on_symbiosis_potential():
    s = screen(admission(rule="complementarity", min_symbiosis=0.5), SCORES, 2030)
    assert s.queue == [0, 2] and s.rejected == {1, 3}


def test_contribution_screens_on_the_gain_with_present_firms_best_first():
    gains = np.array([50.0, 300.0, 100.0, 300.0])  # EUR/yr
    s = screen(admission(rule="contribution", min_contribution_eur_per_yr=100), SCORES, 2030, gains)
    assert s.queue == [1, 3, 2] and s.rejected == {0} and s.quota is None
    capped = screen(admission(rule="contribution", min_contribution_eur_per_yr=0, quota_per_year=1), SCORES, 2030,
                    gains)
    assert capped.queue == [1, 3, 2, 0] and capped.quota == 1


def test_contribution_takes_the_best_rows_first_and_counts_each_residue_once():
    """Resources scrap, feldspar, aggregate, sludge; rows scrap->feldspar (81 EUR/t, max 50 %),
    scrap->aggregate (20 EUR/t), sludge->aggregate (-3 EUR/t: a loss, not counted).

    The sink (1,000 t feldspar, 2,000 t aggregate) takes the present firms' 1,000 t of scrap: 500 t
    on feldspar (its 50 % cap), the other 500 t on aggregate: 500 x 81 + 500 x 20 = 50,500 EUR/yr,
    not 1,000 t on each row. The source (800 t scrap) gives 300 t to the open feldspar row and 500 t
    to the aggregate row: 300 x 81 + 500 x 20 = 34,300. Sludge alone brings nothing."""
    subs = SubstitutionTable(residue=np.array([0, 0, 3]), input=np.array([1, 2, 2]), ratio=np.array([1.0, 1.0, 0.5]),
                             max_share=np.array([0.5, 1.0, 0.2]), treatment=np.zeros(3))
    flows = SimpleNamespace(inputs=np.array([[0, 1000, 2000, 0], [0, 0, 0, 0], [0, 0, 0, 0]], float),
                            outputs=np.array([[0, 0, 0, 0], [800, 0, 0, 0], [0, 0, 0, 100]], float))
    district = Openings(residue_left=np.array([[600, 0, 0, 500], [400, 0, 0, 0]], float),
                        row_open=np.array([[300, 0, 0], [0, 1000, 40]], float), xy_km=np.zeros((2, 2)),
                        jobs_density=0.01)
    gain = potential_surplus(flows, subs, [0, 1, 2], district, np.array([81.0, 20.0, -3.0]))
    assert gain == pytest.approx([50_500.0, 34_300.0, 0.0])


def test_a_rule_outside_its_window_admits_everyone():
    assert screen(admission(rule="threshold", min_score=0.99, start_year=2035), SCORES, 2030).queue == [0, 1, 2, 3]


def test_sector_quota_is_checked_with_the_applicant_in():
    rule = admission(sector_max_share={"ceramics": 0.5}, excluded_sectors=["landfill"])
    assert sector_allows(rule, "ceramics", Counter(ceramics=1), 3, 2030)       # 2 of 4
    assert not sector_allows(rule, "ceramics", Counter(ceramics=2), 3, 2030)   # 3 of 4
    assert not sector_allows(rule, "landfill", Counter(), 0, 2030)


def plots() -> Plots:
    """Three free plots on a line, 1 km apart: the middle one is the cheapest."""
    return Plots(ids=["a", "b", "c"], x_m=np.array([0.0, 1000.0, 2000.0]), y_m=np.zeros(3),
                 area_m2=np.array([1000.0, 1000.0, 1000.0]), land_price_eur_per_m2=np.array([100.0, 90.0, 95.0]),
                 zone=["productive"] * 3, occupants=np.zeros(3, dtype=np.int32), capacity=1)


def first(candidates: np.ndarray) -> int:
    return int(candidates[0])


def test_free_choice_takes_the_cheapest_fitting_plot():
    assert cheapest_plot(plots(), 800.0, first) == 1
    assert cheapest_plot(plots(), 2000.0, first) is None


def test_authority_allocation_places_the_firm_next_to_its_partners_within_the_cost_premium():
    rule = Allocation.model_validate(dict(rule="authority", max_cost_premium=0.2, discount_share=0.1,
                                          discount_min_score=0.5, proximity_eur_per_km=0.0))
    partners = np.array([[2.0, 0.0]])
    plot, discount = choose_plot(rule, plots(), 800.0, 2030, 0.8, lambda: partners, 1, first)
    assert plot == 2 and discount == pytest.approx(95 * 1000 * 0.1)
    plot, _ = choose_plot(rule.model_copy(update={"max_cost_premium": 0.01}), plots(), 800.0, 2030, 0.8,
                          lambda: partners, 1, first)
    assert plot == 1  # plot c costs 5.6 % more than b


def test_secondary_target_is_capped_at_what_the_inputs_allow():
    subs = SubstitutionTable(np.array([0]), np.array([1]), np.array([1.0]), np.array([0.3]), np.array([0.0]))
    inputs, material = np.array([0.0, 100.0, 100.0]), np.array([False, True, True])
    assert feasible_secondary_share(inputs, material, subs) == pytest.approx(0.15)
    rule = Commitments.model_validate(dict(publish_flows=False, min_secondary_share=0.4, secondary_share_years=3,
                                           join_services=[]))
    assert bind(rule, 0.15, 2030) == Commitment(False, 0.15, 2033, ())
    assert bind(rule, 0.0, 2030) is None  # nothing replaceable: not bound


def test_incentive_and_renewal_bonus_spread_the_expected_fine_over_the_shortfall():
    offer = incentive(300.0, received=np.array([2.0, 10.0]), target=np.array([10.0, 10.0]),
                      bound=np.array([True, True]), material_rows=np.array([True]))
    assert offer.shortfall == pytest.approx([8, 0]) and offer.fine_rate == pytest.approx([300, 0])
    subs = SubstitutionTable(np.array([0]), np.array([1]), np.array([1.0]), np.array([1.0]), np.array([0.0]))
    state = SecondaryState(received=np.array([6.0]), target=np.array([10.0]), fine_rate=np.array([300.0]))
    # the contract brings 4 of the 6 received: without it the buyer misses 8, so it is worth 4/8 of the fine
    bonus = renewal_bonus(state, np.array([True]), subs, np.array([0]), np.array([0]), np.array([4.0]))
    assert bonus == pytest.approx([150])


def test_enforcement_checks_every_interval_and_fines_only_breaches():
    rule = Enforcement.model_validate(dict(monitoring_probability=0.5, interval_years=2, fine_eur=1000,
                                           exclusion_after_violations=None, start_year=2030))
    assert expected_fine_rate(rule, 2031) == pytest.approx(250)
    assert [check_year(rule, y, 2026) for y in (2030, 2031, 2032)] == [True, False, True]
    bound = Commitment(False, 0.2, 2031, ("canteen",))
    assert not violates(bound, 7, 2030, 0.0, 10.0)       # before the deadline, no canteen running
    assert violates(bound, 7, 2031, 9.0, 10.0)           # short of the target
    assert violates(bound, 7, 2031, 10.0, 10.0, ({"canteen"}, {}))
    assert not violates(bound, 7, 2031, 10.0, 10.0, ({"canteen"}, {7: {"canteen"}}))
