"""Cost of a shared service and the rules that split it (simulation.services.cost_sharing), on small
arrays with hand-computed values: no YAML, no model.

The canteen of docs/ODD.md §7.15's worked example: firms A, B, C eat 6,000, 5,000 and 2,000 meals a
year at 6 EUR alone (stand-alone costs 36,000, 30,000, 12,000 EUR/yr); a shared canteen costs
``C(Q) = 10,000 + 4·Q`` EUR/yr, so ``C = 62,000`` for all three and the savings game is
``v(AB) = 12,000, v(AC) = 6,000, v(BC) = 4,000, v(ABC) = 16,000``, singletons 0.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from simulation.services.cost_sharing import (
    coalition_value,
    equal_shares,
    proportional_shares,
    served_quantity,
    service_cost,
    shapley_exact,
    shapley_sampled,
    shapley_stream,
)
from simulation.services.kinds import KindTerms
from simulation.services.uses import Uses

MEALS = np.array([6_000.0, 5_000.0, 2_000.0])


def canteen(**changes) -> KindTerms:
    """A canteen billed per employee: 10,000 EUR/yr fixed, 4 EUR a meal, 6 EUR a meal alone."""
    kind = KindTerms(
        index=0, id="canteen", service_class="accessory", unit="meal", basis="employees",
        resources=np.zeros(0, dtype=np.int64), per_unit=100.0, standalone_cost=6.0, fixed=10_000.0,
        coordination=0.0, capex_yearly=0.0, variable=4.0, reference_q=1.0, exponent=1.0, capacity=1e9,
        min_members=2, reach_km=math.inf, connection_eur_per_km_yr=0.0)
    return dataclasses.replace(kind, **changes)


def canteen_uses(meals: np.ndarray = MEALS, price: float = 6.0) -> Uses:
    """Uses of a per-employee kind: no resources, no feeders, no takers."""
    n = len(meals)
    return Uses(u=meals.copy(), pu=meals * price, u_res=np.zeros((n, 0)), h=np.zeros(n), w=np.zeros(n),
                dc_source=0.0, p_return=0.0)


def canteen_game(kind: KindTerms, uses: Uses):
    """The savings game of the canteen's members and its vectors (connections 0)."""
    vectors = uses.vectors(np.arange(len(uses.u)), np.zeros(len(uses.u)))

    def value(size, sums):
        return coalition_value(kind, size, *sums, uses.dc_source, uses.p_return, 0.0, 0.0)

    return value, vectors


# ------------------------------------------------------------------ the cost function
def test_service_cost_adds_fixed_coordination_unfunded_capex_and_variable_cost():
    kind = canteen(coordination=2_000.0, capex_yearly=8_000.0)
    Q = np.array([13_000.0, 0.0])
    cost = service_cost(kind, Q, np.array([500.0, 0.0]), np.array([300.0, 0.0]), np.array([0.25, 0.0]), 2_000.0)
    # 10,000 + 2,000 + 8,000 × 0.75 + 4 × 13,000 − 500 + 300; an empty service still pays its fixed costs
    np.testing.assert_allclose(cost, [69_800.0, 20_000.0])


def test_variable_cost_with_economies_of_scale():
    kind = canteen(variable=4.0, reference_q=1_000.0, exponent=0.5)
    # v·Q_ref·(Q/Q_ref)^b: 4 × 1,000 × 4^0.5 = 8,000 for Q = 4,000; nothing for Q = 0
    np.testing.assert_allclose(kind.variable_cost(np.array([4_000.0, 0.0])), [8_000.0, 0.0])


def test_served_quantity_is_capped_by_capacity_and_by_what_the_source_supplies():
    assert served_quantity(canteen(capacity=10_000.0), np.array([13_000.0]), 0.0) == pytest.approx(10_000.0)
    heat = canteen(source_residue=0, source_ratio=0.5, capacity=1e9)
    # 100 units wanted, 60 of source residue give 0.5 × 60 = 30
    np.testing.assert_allclose(served_quantity(heat, np.array([100.0, 10.0]), np.array([60.0, 60.0])), [30.0, 10.0])


def test_coalition_value_is_the_saving_above_min_members_and_zero_below():
    kind, uses = canteen(), canteen_uses()
    value, vectors = canteen_game(kind, uses)
    members = np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1], [1, 0, 0]], dtype=float)
    v = value(members.sum(axis=1), vectors @ members.T)
    np.testing.assert_allclose(v, [12_000.0, 6_000.0, 4_000.0, 16_000.0, 0.0])
    # clip=False: the raw stand-alone cost minus cost, negative when the service does not pay
    raw = coalition_value(kind, np.inf, 2_000.0, 12_000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, clip=False)
    assert raw == pytest.approx(12_000.0 - 18_000.0)


# ------------------------------------------------------------------ the share rules
def test_proportional_shares_follow_each_members_served_quantity():
    cost, Q = np.array([62_000.0]), np.array([13_000.0])
    svc = np.zeros(3, dtype=np.int64)
    share = proportional_shares(cost, MEALS, Q, svc)
    np.testing.assert_allclose(share, [62_000 * 6 / 13, 62_000 * 5 / 13, 62_000 * 2 / 13])
    assert share.sum() == pytest.approx(cost.sum())


def test_proportional_shares_of_a_service_serving_nothing_are_zero():
    share = proportional_shares(np.array([1_000.0]), np.zeros(2), np.zeros(1), np.zeros(2, dtype=np.int64))
    np.testing.assert_array_equal(share, [0.0, 0.0])


def test_equal_shares_split_among_users_per_coalition_and_spare_feeders():
    cost = np.array([54_000.0, 9_000.0])
    svc = np.array([0, 0, 1, 1, 1, 1])
    is_user = np.array([True, True, True, True, True, False])  # the last one only feeds coalition 1
    share = equal_shares(cost, is_user, svc)
    np.testing.assert_allclose(share, [27_000.0, 27_000.0, 3_000.0, 3_000.0, 3_000.0, 0.0])
    np.testing.assert_allclose(np.bincount(svc, share), cost)


def test_exact_shapley_value_of_the_canteen_game():
    value, vectors = canteen_game(canteen(), canteen_uses())
    phi = shapley_exact(value, vectors)
    np.testing.assert_allclose(phi, [7_000.0, 6_000.0, 3_000.0])
    # efficiency: the values share v(ABC); the payments sa − φ share the cost C(ABC)
    assert phi.sum() == pytest.approx(16_000.0)
    assert (MEALS * 6 - phi).sum() == pytest.approx(62_000.0)


def test_exact_shapley_value_of_two_and_four_member_games():
    # two members that save 10 together and nothing alone split it equally
    def pair(size, sums):
        return np.where(size >= 2, 10.0, 0.0)

    np.testing.assert_allclose(shapley_exact(pair, np.ones((1, 2))), [5.0, 5.0])

    # v(S) = (Σ_S x)²: φ_i = x_i · Σ x (own square plus half of each cross term 2·x_i·x_j)
    def square(size, sums):
        return sums[0] ** 2

    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    phi = shapley_exact(square, x)
    np.testing.assert_allclose(phi, [10.0, 20.0, 30.0, 40.0])
    assert phi.sum() == pytest.approx(100.0)


def test_sampled_shapley_agrees_with_the_exact_value_and_is_efficient():
    meals = np.array([6_000.0, 5_000.0, 2_000.0, 3_000.0])
    value, vectors = canteen_game(canteen(), canteen_uses(meals))
    exact = shapley_exact(value, vectors)
    sampled = shapley_sampled(value, vectors, np.random.default_rng(7), 20_000)
    np.testing.assert_allclose(sampled, exact, rtol=0.03)
    # every order's marginal savings add up to v(N): the estimate is efficient too
    assert sampled.sum() == pytest.approx(exact.sum(), rel=1e-12)


def test_shapley_stream_depends_on_the_members_not_their_order():
    a = shapley_stream(1, 2030, 0, np.array([5, 9, 2])).random(3)
    b = shapley_stream(1, 2030, 0, np.array([9, 2, 5])).random(3)
    c = shapley_stream(1, 2031, 0, np.array([5, 9, 2])).random(3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
