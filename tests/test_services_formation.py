"""Keeping, leaving, founding and closing coalitions (simulation.services.formation), on small arrays
with hand-computed values: no YAML, no model.

The canteen of tests/test_services_cost_sharing.py: A, B, C with stand-alone costs 36,000, 30,000 and
12,000 EUR/yr and ``C(Q) = 10,000 + 4·Q``.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.agents.firm import Firm
from simulation.services.formation import (
    KindYear,
    Proposal,
    coalitions,
    found,
    stabilise,
    still_members,
)
from simulation.services.kinds import KindTerms, ServiceTerms
from tests.test_services_cost_sharing import MEALS, canteen, canteen_uses


def terms(rule: str = "proportional", **changes) -> ServiceTerms:
    values = {"rule": rule, "shapley_exact_max_members": 10, "shapley_permutations": 200, "manager_active": False,
              "manager_cost_eur": 0.0, "cofunding_share": 0.0, "accepts": Firm.accepts_service_share}
    return ServiceTerms(**(values | changes))


def setting(kind: KindTerms, rule: str = "proportional", meals: np.ndarray = MEALS, xy=None, **changes) -> KindYear:
    n = len(meals)
    return KindYear(kind=kind, year=2030, seed=1, terms=terms(rule, **changes), uses=canteen_uses(meals),
                    xy=np.zeros((n, 2)) if xy is None else np.asarray(xy, dtype=float), uid=np.arange(1, n + 1))


def one_coalition(members) -> Proposal:
    """A new service proposed to the firms at positions ``members``."""
    members = np.asarray(members, dtype=np.int64)
    return Proposal(np.zeros(len(members), dtype=np.int64), members, np.full((1, 2), np.nan), np.zeros(1),
                    np.full(1, -1))


def test_all_three_stay_under_the_proportional_rule():
    _, ok, ev = stabilise(setting(canteen()), one_coalition([0, 1, 2]))
    assert ok.tolist() == [True]
    np.testing.assert_allclose(ev.payment, [62_000 * 6 / 13, 62_000 * 5 / 13, 62_000 * 2 / 13])
    assert ev.payment.sum() == pytest.approx(ev.shared_cost.sum())


def test_a_member_whose_payment_exceeds_its_standalone_cost_leaves():
    # equal shares of 62,000: 20,666.67 is above the small firm's 12,000; without it A and B pay 27,000 each
    kept, ok, ev = stabilise(setting(canteen(), "equal"), one_coalition([0, 1, 2]))
    assert ok.tolist() == [True] and kept.pos.tolist() == [0, 1]
    np.testing.assert_allclose(ev.payment, [27_000.0, 27_000.0])
    np.testing.assert_allclose(ev.saving, [9_000.0, 3_000.0])


def test_a_coalition_left_below_min_members_closes():
    kept, ok, ev = stabilise(setting(canteen(min_members=3), "equal"), one_coalition([0, 1, 2]))
    assert ok.tolist() == [False] and len(kept) == 0 and ev is None


def test_no_service_when_it_costs_more_than_going_alone():
    # F = 27,000: C = 79,000 > 78,000 of stand-alone costs; every share is above its member's
    _, ok, ev = stabilise(setting(canteen(fixed=27_000.0)), one_coalition([0, 1, 2]))
    assert ok.tolist() == [False] and ev is None


def test_shapley_payments_are_standalone_cost_minus_shapley_saving():
    _, _, ev = stabilise(setting(canteen(), "shapley"), one_coalition([0, 1, 2]))
    np.testing.assert_allclose(ev.payment, [29_000.0, 24_000.0, 9_000.0])


def test_founding_cuts_users_into_groups_that_fill_the_capacity():
    # capacity 7,000 meals: A (6,000) alone, then B and C (7,000)
    new = found(setting(canteen(capacity=7_000.0, min_members=1)), np.ones(3, dtype=bool))
    assert new.svc.tolist() == [0, 1, 1] and new.pos.tolist() == [0, 1, 2]
    assert (new.service == -1).all()


def test_founding_carries_this_years_cofunding():
    new = found(setting(canteen(), cofunding_share=0.4), np.array([True, True, False]))
    assert new.pos.tolist() == [0, 1] and new.cofund.tolist() == [0.4]


def test_standing_members_gone_or_beyond_reach_are_not_kept():
    kind = canteen(reach_km=0.5)
    standing = Proposal(np.zeros(3, dtype=np.int64), np.array([0, 1, -1]), np.zeros((1, 2)), np.zeros(1),
                        np.zeros(1, dtype=np.int64))
    # B has moved 2 km from the hub; the third member is no longer in the district
    kept = still_members(kind, standing, np.ones(2, dtype=bool), np.array([[0.3, 0.0], [2.0, 0.0]]))
    assert kept.pos.tolist() == [0] and len(kept) == 1


def test_coalitions_found_one_canteen_for_all_three():
    final, ev = coalitions(setting(canteen()), Proposal.empty())
    assert len(final) == 1 and sorted(final.pos.tolist()) == [0, 1, 2]
    assert (ev.saving > 0).all()
